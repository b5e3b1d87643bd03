/* vhost-user internals shared by the files of this folder (never included outside).
 *
 * Ownership at a glance:
 *   struct vhu_loop   control thread.
 *   struct vhu_dev    control thread, except what PMDs read: 'mem' and 'log'
 *                     (published pointers, acquire), 'hdr_len' and 'mrg_rxbuf'
 *                     (written only while every ring is stopped) and vr[].
 *   struct vhu_vring  'vq', the counters and 'broken_logged' belong to the PMD
 *                     serving the ring while 'running' is true; the control
 *                     thread touches them only after clearing 'running' and a
 *                     sync. 'call_fd' is replaced only while the ring is stopped.
 *   The device IOTLB  'iotlb' (an iommu_as, VIRTIO_F_ACCESS_PLATFORM): written by
 *                     the control thread between vhu_iotlb_write_begin/end,
 *                     read by PMDs between vhu_iotlb_read_begin/end (below).
 *                     'backend_req_fd' is replaced only while every ring is
 *                     stopped: PMDs send IOTLB misses on it.
 */
#ifndef VHU_PRIV_H
#define VHU_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_spinlock.h>

#include "iommu.h"
#include "vhu.h"
#include "vhu_mem.h"
#include "vhu_msg.h"
#include "vhu_vq.h"

/* IOTLB misses a ring waits for: one MISS per (ring, page, permission) until
 * an update arrives or VHU_IOTLB_RESEND_MS passes. */
#define VHU_IOTLB_PENDING   4
#define VHU_IOTLB_RESEND_MS 50
/* Packets for a guest rx ring whose buffers missed, kept in order (a guest rx
 * ring's hold); more are dropped as 'iotlb_hold_full'. */
#define VHU_IOTLB_HOLD 64
/* Most IOTLB entries per device; an update beyond evicts one (a cache). */
#define VHU_IOTLB_MAX_ENTRIES 16384

struct vhu_iotlb_pending {
	uint64_t page; /* iova >> 12 */
	uint64_t tsc;  /* when sent */
	uint32_t gen;  /* dev->iotlb_gen when sent */
	uint8_t type;  /* VHU_IOTLB_MISS or VHU_IOTLB_ACCESS_FAIL */
	uint8_t perm;  /* VHU_IOTLB_PERM_* */
	bool used;
};

struct vhu_vring {
	/* Fast path. */
	struct vhu_vq vq;
	bool running; /* PMDs may use 'vq' (acquire/release) */
	int call_fd;  /* -1: the front-end polls */
	uint64_t packets, bytes, calls;
	uint64_t drops[VHU_DROP__MAX];
	bool broken_logged;
	/* VIRTIO_F_ACCESS_PLATFORM, the PMD's side. 'iotlb_reading' is the read
	 * flag of vhu_iotlb_read_begin(). The rest belongs to the PMD serving the
	 * ring (counters read relaxed by the control thread), except the hold of
	 * a guest rx ring, which 'hold_lock' guards (the PMD polling the same
	 * pair's tx ring drains it too) and the control thread empties after a
	 * stop and sync. */
	uint32_t iotlb_reading;
	struct vhu_iotlb_pending pend[VHU_IOTLB_PENDING];
	uint8_t pend_next;
	uint64_t iotlb_misses, iotlb_unsent, iotlb_waits, iotlb_held, iotlb_access;
	rte_spinlock_t hold_lock;
	uint16_t hold_n; /* written under hold_lock, read relaxed outside */
	struct rte_mbuf *hold[VHU_IOTLB_HOLD];

	/* Control thread: what the front-end configured. */
	uint32_t num;
	bool have_num, have_addr, have_kick, enabled;
	struct vhu_msg_vring_addr addr;
	uint32_t base;
	int kick_fd;
	int err_fd;	 /* written once by the PMD when the ring breaks; swapped while stopped */
	bool iotlb_wait; /* ready, but an area's IOVA missed: starts at an update */
	/* With an IOTLB and indirect descriptors: the queue's copy of a scattered
	 * indirect table (vhu_vq_layout.ind_bounce), 'ind_bounce_size' bytes;
	 * grown only while the ring is stopped, freed at a reset. */
	uint8_t *ind_bounce;
	size_t ind_bounce_size;
} __attribute__((aligned(64)));

struct vhu_conn;	 /* vhu_sock.c */
struct vhu_sock_watches; /* vhu_sock.c */

struct vhu_dev {
	struct vhu_loop *loop;
	struct vhu_dev_conf conf;
	struct vhu_dev_cb cb;
	struct vhu_conn *conn; /* NULL while not connected */
	struct vhu_sock_watches *watches;
	int listen_fd; /* server mode */
	int timer_fd;  /* client mode: reconnect backoff */
	uint32_t backoff_ms;
	uint64_t connects, disconnects;
	char state[96];

	/* Negotiated. */
	uint64_t features;
	uint64_t protocol_features;
	bool features_set, owner;
	uint8_t status;
	uint16_t mtu;
	uint8_t rarp_mac[6]; /* SEND_RARP: written before 'rarp_pending' (release) */
	bool rarp_pending;   /* taken by the PMD of queue pair 0 */
	int backend_req_fd;  /* replaced only while every ring is stopped */

	/* The device IOTLB (IOVA → front-end address), see the top of this file. */
	struct iommu_as *iotlb;
	uint32_t iotlb_writer; /* a write is in progress: readers back off */
	uint32_t iotlb_gen;    /* +1 per update, written by the writer */
	uint64_t iotlb_updates, iotlb_refused, iotlb_invalidations, iotlb_evictions;
	uint64_t iotlb_rand;	    /* the eviction's pseudo-random IOVA (xorshift64 state) */
	uint64_t iotlb_ring_misses; /* MISS sent by the control thread (ring areas) */
	uint64_t iotlb_ring_waits;  /* ring starts that waited for a translation */
	uint64_t iotlb_misses_unsent;

	/* Read by PMDs. */
	const struct vhu_mem *mem; /* published; retired after a sync */
	const struct vhu_log *log; /* published when logging (VHOST_F_LOG_ALL) */
	uint16_t hdr_len;	   /* virtio-net header: 10 or 12 bytes */
	bool mrg_rxbuf;

	struct vhu_mem *mem_own; /* the table 'mem' points to */
	struct vhu_log *log_map; /* mapped by SET_LOG_BASE */
	void *log_base;
	size_t log_len;

	struct vhu_vring vr[VHU_MAX_VRINGS];
};

/* vhu_dev.c: ring and device state (control thread). */
bool vhu_dev_packed(const struct vhu_dev *dev);
int vhu_vring_start(struct vhu_dev *dev, unsigned idx, struct iovs_err *err);
/* Stops ring 'idx' if it runs: clears 'running', syncs. Returns true if it ran. */
bool vhu_vring_stop(struct vhu_dev *dev, unsigned idx);
/* Stops every running ring with one sync; returns a bitmask of those stopped. */
uint64_t vhu_dev_stop_all(struct vhu_dev *dev);
/* Restarts the rings in 'mask' (logging failures: the ring stays stopped). */
void vhu_dev_restart(struct vhu_dev *dev, uint64_t mask);
/* Swaps in a new memory table (stop, publish, sync, retire, restart). Takes 'm'. */
void vhu_dev_set_mem(struct vhu_dev *dev, struct vhu_mem *m);
void vhu_dev_set_log(struct vhu_dev *dev, struct vhu_log *log, void *base, size_t len);
/* Forgets everything the front-end set up: rings, memory, log, features. */
void vhu_dev_reset(struct vhu_dev *dev);
void vhu_dev_set_state(struct vhu_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vhu_dev_sync(struct vhu_dev *dev);

/* vhu_dev.c: the IOTLB (control thread). An update maps [iova, iova + size)
 * to front-end address 'uva' (inside one memory region: -EFAULT otherwise)
 * with VHU_IOTLB_PERM_* 'perm', then starts the rings that waited for it. */
int vhu_dev_iotlb_update(struct vhu_dev *dev, uint64_t iova, uint64_t size, uint64_t uva,
			 uint8_t perm, struct iovs_err *err);
void vhu_dev_iotlb_invalidate(struct vhu_dev *dev, uint64_t iova, uint64_t size);
/* Empties the IOTLB (every ring stopped: no reader). */
void vhu_dev_iotlb_flush(struct vhu_dev *dev);
/* Sends a back-end IOTLB message (MISS or ACCESS_FAIL); any thread, never
 * blocks. Returns 0, -ENOTCONN without a back-end channel, -EAGAIN when the
 * socket is full, or another send error. */
int vhu_dev_iotlb_send(struct vhu_dev *dev, uint8_t type, uint64_t iova, unsigned iommu_perm);
/* The front-end's VHU_IOTLB_PERM_* for IOMMU_PERM_* bits (the same bits). */
static inline uint8_t
vhu_iotlb_perm(unsigned iommu_perm)
{
	return (uint8_t)(iommu_perm & IOMMU_PERM_RW);
}

/* The IOTLB's read side, a per-ring reader flag against one writer (the
 * control thread): a reader raises its ring's flag, then looks for a writer
 * (a full fence between, and between the writer's flag and its look at the
 * readers' flags: each sees the other). A reader that finds a writer lowers
 * its flag and does not wait: the burst does nothing this time (descriptors
 * stay in the ring, rx packets go to the hold). The writer waits for the
 * raised flags to drop: at most one burst. No shared line is written by
 * readers, and a PMD never waits for the control thread. */
static inline bool
vhu_iotlb_read_begin(const struct vhu_dev *dev, struct vhu_vring *vr)
{
	__atomic_store_n(&vr->iotlb_reading, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__builtin_expect(__atomic_load_n(&dev->iotlb_writer, __ATOMIC_ACQUIRE) == 0, 1))
		return true;
	__atomic_store_n(&vr->iotlb_reading, 0, __ATOMIC_RELEASE);
	return false;
}

static inline void
vhu_iotlb_read_end(struct vhu_vring *vr)
{
	__atomic_store_n(&vr->iotlb_reading, 0, __ATOMIC_RELEASE);
}

/* vhu_handlers.c: one message, validated and decoded. Returns 0 or -errno;
 * for GET_* fills 'reply' (header + payload) and '*reply_len'. Takes the fds. */
int vhu_handle(struct vhu_dev *dev, const struct vhu_msg_hdr *h, const union vhu_msg_body *b,
	       int *fds, unsigned n_fds, uint8_t *reply, size_t *reply_len, struct iovs_err *err);
/* What we offer. */
uint64_t vhu_offered_features(void);
uint64_t vhu_offered_protocol_features(void);

/* vhu_sock.c */
int vhu_sock_start(struct vhu_dev *dev, struct iovs_err *err);
void vhu_sock_stop(struct vhu_dev *dev);

/* Virtio feature bits used here (virtio 1.2 §5.1.3, §6). */
enum {
	VHU_NET_F_CSUM = 0,
	VHU_NET_F_GUEST_CSUM = 1,
	VHU_NET_F_MTU = 3,
	VHU_NET_F_MAC = 5,
	VHU_NET_F_GUEST_TSO4 = 7,
	VHU_NET_F_GUEST_TSO6 = 8,
	VHU_NET_F_GUEST_ECN = 9,
	VHU_NET_F_GUEST_UFO = 10,
	VHU_NET_F_HOST_TSO4 = 11,
	VHU_NET_F_HOST_TSO6 = 12,
	VHU_NET_F_HOST_ECN = 13,
	VHU_NET_F_HOST_UFO = 14,
	VHU_NET_F_MRG_RXBUF = 15,
	VHU_NET_F_STATUS = 16,
	VHU_NET_F_CTRL_VQ = 17,
	VHU_NET_F_GUEST_ANNOUNCE = 21,
	VHU_NET_F_MQ = 22,
	VHU_F_NOTIFY_ON_EMPTY = 24,
	VHU_F_LOG_ALL = 26, /* VHOST_F_LOG_ALL */
	VHU_F_ANY_LAYOUT = 27,
	VHU_RING_F_INDIRECT_DESC = 28,
	VHU_RING_F_EVENT_IDX = 29,
	VHU_F_VERSION_1 = 32,
	VHU_F_ACCESS_PLATFORM = 33,
	VHU_F_RING_PACKED = 34,
	VHU_F_IN_ORDER = 35,
};
#define VHU_BIT(b) (UINT64_C(1) << (b))

#endif
