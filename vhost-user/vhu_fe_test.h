/* A vhost-user front-end for tests: what QEMU or DPDK virtio-user do, step by
 * step and with every field under the test's control, so that a test can also
 * do what they never would. Two halves:
 *  - the socket side: messages with fds, replies, the usual sequences
 *    (negotiate, memory table, ring setup);
 *  - the driver side: descriptor chains posted into split or packed rings in
 *    the memfd guest memory, and the used entries read back.
 * Users: vhu_dev_test.c, and vhu_net_test.c and vhu_iotlb_test.c through
 * vhu_fe_dev_test.h, whose device runs in the same
 * process ('pump' runs its loop before a reply is read), and
 * tests/tools/vhu_rogue.c, whose device is an iovsd in another process (replies
 * are waited for). No cmocka here: a failed step calls vhu_fe_fail(), which
 * hands the message to 'vhu_fe_fail_hook' (cmocka's fail_msg in the unit tests)
 * or prints it and exits.
 *
 * Guest memory layout: ring 'i' lives at (i % 8) * VHU_FE_RING_STRIDE of the
 * memory given to vhu_fe_send_addr(): descriptors at 0, the driver area (split
 * avail ring, packed driver event) at VHU_FE_AVAIL_OFF, the device area at
 * VHU_FE_USED_OFF; 8 rings take the first MiB. */
#ifndef VHU_FE_TEST_H
#define VHU_FE_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhu_msg.h"
#include "vhu_vq.h"

#define VHU_FE_RING_STRIDE 0x20000u
#define VHU_FE_AVAIL_OFF   0x10000u
#define VHU_FE_USED_OFF	   0x18000u
#define VHU_FE_RINGS_SIZE  (8u * VHU_FE_RING_STRIDE) /* what the rings may take */
#define VHU_FE_MAX_FDS	   16
#define VHU_FE_RING_MAX	   1024u /* largest ring the driver side handles */

#define VHU_FE_V1 VHU_FLAG_VERSION
#define VHU_FE_NR (VHU_FLAG_VERSION | VHU_FLAG_NEED_REPLY)

/* Called with the reason of a failed step; must not return (the default
 * prints and exits with status 1). */
extern void (*vhu_fe_fail_hook)(const char *msg);
void vhu_fe_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
#define VHU_FE_CHECK(cond)                                                                         \
	do {                                                                                       \
		if (!(cond))                                                                       \
			vhu_fe_fail("%s:%d: %s", __FILE__, __LINE__, #cond);                       \
	} while (0)

/* --- Process accounting and resources. --- */
int vhu_fe_count_fds(void);	  /* open fds of this process */
uint64_t vhu_fe_rss_bytes(void);  /* resident set of this process */
uint64_t vhu_fe_rss_of(int pid);  /* ... of another one (0 if gone) */
int vhu_fe_count_fds_of(int pid); /* ... (-1 if gone) */
double vhu_fe_now_s(void);
int vhu_fe_eventfd(void); /* non-blocking, close-on-exec */
int vhu_fe_memfd(uint64_t size);
uint8_t *vhu_fe_map(int fd, uint64_t size);
uint64_t vhu_fe_uva(const void *p);
int vhu_fe_connect(const char *path);
int vhu_fe_listen(const char *path);

/* --- The socket side. --- */
struct vhu_fe {
	int fd;	     /* our end of the connection, -1 when none */
	bool ack;    /* REPLY_ACK negotiated: send NEED_REPLY, expect an ack */
	bool packed; /* VIRTIO_F_RING_PACKED negotiated */
	int memfd;   /* guest memory */
	uint8_t *mem;
	uint64_t mem_size;
	uint64_t gpa;		 /* guest address of mem[0] */
	uint16_t queue_pairs;	 /* GET_QUEUE_NUM must answer this (0: anything) */
	void (*pump)(void *arg); /* runs an in-process device; NULL: a remote one */
	void *pump_arg;
	int timeout_ms; /* a remote device: how long a reply may take */
};

/* NEED_REPLY when REPLY_ACK was negotiated. */
uint32_t vhu_fe_flags(const struct vhu_fe *fe);

void vhu_fe_send_raw(int fd, const void *buf, size_t len, const int *fds, unsigned nfds);
/* A header with 'size' = len, then the payload; fds ride with the header. */
void vhu_fe_send_msg(int fd, uint32_t req, uint32_t flags, const void *payload, uint32_t len,
		     const int *fds, unsigned nfds);
void vhu_fe_send_none(struct vhu_fe *fe, uint32_t req, uint32_t flags);
void vhu_fe_send_u64(struct vhu_fe *fe, uint32_t req, uint32_t flags, uint64_t v);
void vhu_fe_send_state(struct vhu_fe *fe, uint32_t req, uint32_t flags, uint32_t idx, uint32_t num);
/* SET_VRING_KICK/CALL/ERR with payload 'v'; 'fd' (if >= 0) is sent and our
 * copy closed. */
void vhu_fe_send_file(struct vhu_fe *fe, uint32_t req, uint32_t flags, uint64_t v, int fd);
/* SET_VRING_ADDR: ring 'idx' at (idx % 8) * VHU_FE_RING_STRIDE of 'mem', whose
 * guest address is fe->gpa. */
void vhu_fe_send_addr(struct vhu_fe *fe, uint32_t flags, uint32_t idx, const uint8_t *mem,
		      uint32_t aflags);
/* SET_MEM_TABLE announcing 'nregions' but carrying 'n' (<= 9) region entries. */
void vhu_fe_send_mem_table(struct vhu_fe *fe, uint32_t flags, uint32_t nregions,
			   const struct vhu_wire_mem_region *r, unsigned n, const int *fds,
			   unsigned nfds);
void vhu_fe_send_mem_reg(struct vhu_fe *fe, uint32_t req, uint32_t flags,
			 struct vhu_wire_mem_region r, int fd);
void vhu_fe_send_log_base(struct vhu_fe *fe, uint32_t flags, uint64_t size, uint64_t offset,
			  int fd);

/* Runs the device (or waits for it), then reads one reply if there is one.
 * Returns its payload size, or -1 when nothing was sent. */
int vhu_fe_read_reply(struct vhu_fe *fe, uint32_t req, void *payload, size_t cap);
uint64_t vhu_fe_expect_reply_u64(struct vhu_fe *fe, uint32_t req);
uint32_t vhu_fe_expect_reply_state(struct vhu_fe *fe, uint32_t req, uint32_t idx);
/* Nothing was sent back and the connection is still open. */
void vhu_fe_expect_no_reply(struct vhu_fe *fe);
/* Accepted: an ack of 0 with REPLY_ACK, else no reply. */
void vhu_fe_expect_ok(struct vhu_fe *fe, uint32_t req);
/* A non-zero ack or status, connection kept. */
void vhu_fe_expect_nack(struct vhu_fe *fe, uint32_t req);
/* The device closed the connection without a reply. */
void vhu_fe_expect_closed(struct vhu_fe *fe);

/* --- VIRTIO_F_ACCESS_PLATFORM: the IOTLB and the back-end channel. --- */
/* IOTLB_MSG of 'type' (UPDATE, INVALIDATE, or what no front-end sends);
 * IOTLB_MSG always gets a u64 status back: read it with
 * vhu_fe_expect_reply_u64() (0: applied). */
void vhu_fe_send_iotlb(struct vhu_fe *fe, uint8_t type, uint64_t iova, uint64_t size, uint64_t uva,
		       uint8_t perm);
/* UPDATE, expected to be applied. */
void vhu_fe_iotlb_update(struct vhu_fe *fe, uint64_t iova, uint64_t size, uint64_t uva,
			 uint8_t perm);
/* SET_BACKEND_REQ_FD with one end of a socketpair; returns the other
 * (non-blocking), on which the device's requests arrive. */
int vhu_fe_backend_channel(struct vhu_fe *fe);
/* Reads one back-end IOTLB message if there is one: true and '*m'. */
bool vhu_fe_backend_iotlb(int fd, struct vhu_wire_iotlb *m);

/* --- The usual sequences. --- */
uint64_t vhu_fe_get_features(struct vhu_fe *fe);
/* QEMU's order: GET_FEATURES, GET/SET_PROTOCOL_FEATURES, GET_QUEUE_NUM,
 * SET_OWNER, then (at device start) SET_FEATURES. 'pf' 0: none negotiated. */
void vhu_fe_negotiate(struct vhu_fe *fe, uint64_t features, uint64_t pf);
struct vhu_wire_mem_region vhu_fe_region(uint64_t gpa, uint64_t size, uint64_t uva, uint64_t off);
/* One region: all of fe->mem at fe->gpa. */
void vhu_fe_set_mem(struct vhu_fe *fe);
/* SET_VRING_BASE of ring 'idx' in guest memory 'mem'. A split ring's used
 * index is made to agree, as in a guest with nothing in flight. */
void vhu_fe_set_base(struct vhu_fe *fe, uint32_t idx, uint32_t base, uint8_t *mem);
/* NUM, BASE, ADDR, KICK and CALL of ring 'idx' in guest memory 'mem'. */
void vhu_fe_setup_ring(struct vhu_fe *fe, uint32_t idx, uint32_t num, uint32_t base, uint8_t *mem);
void vhu_fe_enable_ring(struct vhu_fe *fe, uint32_t idx, bool on);
/* negotiate('features', 'pf'), the memory table, rings 0 and 1 of 'num'
 * entries in fe->mem from the start (split: index 0; packed: slot 0, wrap
 * counters 1), enabled (SET_VRING_ENABLE when 'features'
 * has PROTOCOL_FEATURES). */
void vhu_fe_handshake(struct vhu_fe *fe, uint64_t features, uint64_t pf, uint32_t num);

/* --- The driver side: one ring in fe->mem. --- */
struct vhu_fe_buf {
	uint64_t gpa;
	uint32_t len;
	bool write; /* device-writable */
};

struct vhu_fe_ring {
	uint8_t *base; /* descriptors; + VHU_FE_AVAIL_OFF, + VHU_FE_USED_OFF */
	uint16_t num;
	bool packed;
	uint16_t avail_idx; /* split: free-running; packed: next slot */
	bool avail_wrap;
	uint16_t used_idx; /* split: free-running; packed: next slot */
	bool used_wrap;
	uint16_t next_desc;		     /* split: next descriptor to fill */
	uint16_t chain_len[VHU_FE_RING_MAX]; /* packed: descriptors per buffer id */
	unsigned in_flight;		     /* posted, not yet seen used */
};

/* Ring 'idx' of fe->mem, as vhu_fe_handshake() sets it up. */
void vhu_fe_ring_init(struct vhu_fe_ring *r, struct vhu_fe *fe, uint32_t idx, uint16_t num);
/* Makes the chain 'b[0..n)' available; returns its id (split: head index). */
uint16_t vhu_fe_ring_post(struct vhu_fe_ring *r, const struct vhu_fe_buf *b, unsigned n);
/* The next used entry, if the device published one. */
bool vhu_fe_ring_used(struct vhu_fe_ring *r, uint16_t *id, uint32_t *len);
/* Split, raw: descriptor 'i' and the avail ring, for what no driver does. */
struct vhu_split_desc *vhu_fe_split_desc(struct vhu_fe_ring *r, uint16_t i);
/* Puts 'head' (any value) in the next avail slot and moves avail->idx by 'step'. */
void vhu_fe_split_publish(struct vhu_fe_ring *r, uint16_t head, uint16_t step);

#endif
