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
 */
#ifndef VHU_PRIV_H
#define VHU_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "vhu.h"
#include "vhu_mem.h"
#include "vhu_msg.h"
#include "vhu_vq.h"

struct vhu_vring {
	/* Fast path. */
	struct vhu_vq vq;
	bool running; /* PMDs may use 'vq' (acquire/release) */
	int call_fd;  /* -1: the front-end polls */
	uint64_t packets, bytes, calls;
	uint64_t drops[VHU_DROP__MAX];
	bool broken_logged;

	/* Control thread: what the front-end configured. */
	uint32_t num;
	bool have_num, have_addr, have_kick, enabled;
	struct vhu_msg_vring_addr addr;
	uint32_t base;
	int kick_fd;
	int err_fd; /* written once by the PMD when the ring breaks; swapped while stopped */
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
	int backend_req_fd;

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
