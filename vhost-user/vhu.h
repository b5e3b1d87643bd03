/* vhost-user: the public API, the only header other folders include.
 *
 * A 'struct vhu_dev' is one virtio-net device served to one front-end (QEMU,
 * libvirt, DPDK virtio-user) over one unix socket, in server mode (iovs listens,
 * one front-end at a time) or client mode (iovs connects and reconnects with
 * backoff). Its sockets and timers live in a 'struct vhu_loop', an epoll set the
 * control thread polls (vhu_loop_fd() is readable when there is work).
 *
 * Concurrency. vhu_loop_*, vhu_dev_create/destroy and vhu_dev_get_info run on
 * the control thread. vhu_dev_dequeue/enqueue run on PMD threads, one PMD per
 * queue pair direction at a time; they never block, never allocate except mbufs
 * and never wait for the control thread. Whenever the control thread changes
 * what a PMD reads (a ring's layout, the memory table, the log), it stops the
 * ring, calls the owner's 'sync' callback (an RCU grace period: afterwards no
 * PMD is inside dequeue/enqueue with the old state), changes it, and restarts it.
 */
#ifndef VHU_H
#define VHU_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "iovs_err.h"

#define VHU_PATH_MAX		108 /* sun_path */
#define VHU_DEV_MAX_QUEUE_PAIRS 16  /* = VHU_MAX_QUEUE_PAIRS of vhu_msg.h */

struct vhu_loop;
struct vhu_dev;

int vhu_loop_create(struct vhu_loop **out, struct iovs_err *err);
/* Every device must have been destroyed. NULL is a no-op. */
void vhu_loop_destroy(struct vhu_loop *loop);
/* An epoll fd: readable when vhu_loop_run() has work. */
int vhu_loop_fd(const struct vhu_loop *loop);
/* Handles every pending socket and timer event without blocking. */
void vhu_loop_run(struct vhu_loop *loop);

struct vhu_dev_conf {
	char path[VHU_PATH_MAX];
	bool client;		  /* connect to 'path' (front-end is the server) */
	uint16_t max_queue_pairs; /* answered to GET_QUEUE_NUM, 1..VHU_MAX_QUEUE_PAIRS */
};

/* Called on the control thread. */
struct vhu_dev_cb {
	void (*sync)(void *arg);	  /* wait until no PMD uses the old state */
	void (*state_changed)(void *arg); /* link went up or down (for logs, events) */
	void *arg;
};

/* Creates the device and starts listening (server) or connecting (client).
 * A server socket path that exists is replaced only if it is a socket nobody
 * listens on; the new socket is mode 0660. Returns 0, -EINVAL, -EADDRINUSE,
 * or an errno from socket calls. */
int vhu_dev_create(struct vhu_loop *loop, const struct vhu_dev_conf *conf,
		   const struct vhu_dev_cb *cb, struct vhu_dev **out, struct iovs_err *err);
/* Disconnects, stops every ring (calls 'sync'), unmaps guest memory, removes a
 * server socket file. NULL is a no-op. */
void vhu_dev_destroy(struct vhu_dev *dev);

/* Drop and error reasons, counted per queue. */
enum vhu_drop {
	VHU_DROP_NO_BUFFERS,   /* guest rx: the guest posted no (or too few) buffers */
	VHU_DROP_TOO_BIG,      /* guest rx: packet larger than the guest's buffer */
	VHU_DROP_MALFORMED,    /* a bad virtio-net header, or a chain too short or too scattered */
	VHU_DROP_NO_MBUF,      /* guest tx: mbuf pool empty */
	VHU_DROP_BROKEN,       /* the ring is broken: packets not sent or received */
	VHU_DROP_DOWN,	       /* the ring is not running */
	VHU_DROP_IOTLB_ACCESS, /* the IOTLB refused the access a buffer needs (vIOMMU) */
	VHU_DROP_IOTLB_HOLD_FULL, /* guest rx: buffers missed and the hold was full */
	VHU_DROP__MAX
};
const char *vhu_drop_name(enum vhu_drop d);

struct vhu_queue_info {
	bool rx_up, tx_up; /* guest rx ring (we enqueue) / guest tx ring (we dequeue) running */
	uint64_t rx_packets, rx_bytes; /* from the guest (its tx ring) */
	uint64_t tx_packets, tx_bytes; /* to the guest (its rx ring) */
	uint64_t drops[VHU_DROP__MAX];
	uint64_t calls; /* interrupts we sent */
};

/* VIRTIO_F_ACCESS_PLATFORM (a vIOMMU in the guest): the device IOTLB. */
struct vhu_iotlb_info {
	bool enabled;	  /* negotiated */
	uint64_t entries; /* now */
	uint64_t updates; /* IOTLB_MSG updates applied */
	uint64_t refused; /* updates refused (not inside one memory region, ...) */
	uint64_t invalidations;
	uint64_t evictions;	/* entries dropped to stay within the limit */
	uint64_t misses;	/* MISS messages sent (data path and ring starts) */
	uint64_t misses_unsent; /* misses with no back-end channel or a full one */
	uint64_t waits;		/* bursts that left descriptors in a ring for a translation */
	uint64_t ring_waits;	/* ring starts that waited for a translation */
	uint64_t held;		/* packets to a guest kept in a hold for a translation */
	uint64_t held_now;
	uint64_t access_failures; /* buffers given back unused: permission refused */
};

struct vhu_dev_info {
	bool connected;
	bool link_up;	/* queue pair 0 running both ways */
	char state[96]; /* "listening", "connected", "reconnecting in 2 s", "broken: ..." */
	uint64_t features;
	uint64_t protocol_features;
	uint16_t n_queue_pairs; /* pairs the front-end set up */
	uint16_t mtu;		/* NET_SET_MTU, 0 if never sent */
	uint32_t mem_regions;
	uint64_t connects, disconnects;
	struct vhu_iotlb_info iotlb;
	struct vhu_queue_info q[VHU_DEV_MAX_QUEUE_PAIRS];
};
/* Snapshot for views (counters read relaxed). */
void vhu_dev_get_info(struct vhu_dev *dev, struct vhu_dev_info *info);

/* The virtio features the front-end negotiated (0 before SET_FEATURES), for
 * any thread (read relaxed). They change only while the device's rings are
 * stopped, but a reader outside the data path may see the value of a moment
 * ago: the switch reads them per tx burst to learn what work (checksums, TSO)
 * the guest takes, and vhu_dev_enqueue() finishes or drops what it cannot. */
uint64_t vhu_dev_features(const struct vhu_dev *dev);

/* Names of the bits of 'features' (virtio) as "VERSION_1 MRG_RXBUF ...". */
void vhu_features_format(uint64_t features, char *buf, size_t len);

/* --- Fast path (PMD). 'qp' is a queue pair index. --- */

/* Up to 'n' packets the guest sent on pair 'qp' (its tx ring), in mbufs from 'mp'.
 * The checksum and segmentation work the guest's virtio-net header asks for
 * travels on as mbuf TX offload flags (vswitch/offload.h); a header that does
 * not match its packet drops the packet (counted as malformed). */
uint16_t vhu_dev_dequeue(struct vhu_dev *dev, uint16_t qp, struct rte_mempool *mp,
			 struct rte_mbuf **pkts, uint16_t n);
/* Copies up to 'n' packets into the guest's rx ring of pair 'qp'. Returns how
 * many it took (and freed); the caller keeps the rest and drops them: the first
 * of them may already have had its pending offload work applied for this guest.
 * Pending checksum work becomes a NEEDS_CSUM header (GUEST_CSUM) or is done
 * here; TSO must only reach a guest that negotiated it (the switch segments for
 * the others first): a TSO packet the guest cannot take is dropped (too_big). */
uint16_t vhu_dev_enqueue(struct vhu_dev *dev, uint16_t qp, struct rte_mbuf **pkts, uint16_t n);

#endif
