/* vhost-user messages: wire format, the table of front-end requests, and the
 * pure checks that run on every message before any handler sees it.
 *
 * Design. A message arrives as a 12-byte header, a payload of 'size' bytes and
 * up to a few file descriptors (SCM_RIGHTS). The socket layer (not written
 * yet) reads the header, calls vhu_msg_parse_hdr() (framing: version, flags,
 * size bound), reads exactly 'size' more bytes, then calls vhu_msg_validate()
 * (known request, payload size, fd count, and every check on the payload that
 * needs no device state). Only then does it call vhu_msg_decode() and a handler,
 * which does the state checks (ring order, feature gating, power-of-two ring
 * sizes on split rings). Everything here is a pure function: no I/O, no
 * globals written, no allocation, so it is fuzzed as is (tests/fuzz/fuzz_vhu_msg.c).
 *
 * Byte order: every number is in the machine's native order (vhost-user.rst,
 * "Message Specification"); the wire structs are packed and copied out with
 * memcpy, because the payload starts at offset 12 and is not 8-byte aligned.
 *
 * File descriptors. vhu_msg_validate() counts fds, it never closes them. On
 * any refusal, and for messages that take no fd, the caller closes every fd it
 * received with the message. For REM_MEM_REG the spec allows one stray fd,
 * which the caller must close unused (vhost-user.rst, VHOST_USER_REM_MEM_REG).
 *
 * Refusals: see vhu_msg_on_error() for what the socket layer does with each.
 */
#ifndef VHU_MSG_H
#define VHU_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iovs_err.h"

/* Limits of this back-end. */
#define VHU_MAX_QUEUE_PAIRS 16
#define VHU_MAX_VRINGS	    (2 * VHU_MAX_QUEUE_PAIRS)
#define VHU_MAX_MEM_REGIONS 8	   /* SET_MEM_TABLE's wire limit; ADD_MEM_REG: vhu_mem.h */
#define VHU_MAX_RING_SIZE   32768u /* virtio 1.2 §2.7 (split) and §2.8 (packed) */
#define VHU_MSG_MAX_FDS	    VHU_MAX_MEM_REGIONS

/* Header flags (vhost-user.rst, "Header"). */
#define VHU_FLAG_VERSION_MASK 0x3u
#define VHU_FLAG_VERSION      0x1u
#define VHU_FLAG_REPLY	      0x4u
#define VHU_FLAG_NEED_REPLY   0x8u

/* Payload of SET_VRING_KICK/CALL/ERR: index in bits 0-7, bit 8 "no fd". */
#define VHU_VRING_IDX_MASK  0xffu
#define VHU_VRING_NOFD_MASK (UINT64_C(1) << 8)

/* SET_VRING_ADDR flags: the only one is VHOST_VRING_F_LOG (bit 0). */
#define VHU_VRING_F_LOG 0x1u

/* Feature bit 30 of GET/SET_FEATURES gates the protocol features. */
#define VHU_F_PROTOCOL_FEATURES 30

/* Protocol feature bits (vhost-user.rst, "Protocol features"). */
enum vhu_protocol_feature {
	VHU_PROTOCOL_F_MQ = 0,
	VHU_PROTOCOL_F_LOG_SHMFD = 1,
	VHU_PROTOCOL_F_RARP = 2,
	VHU_PROTOCOL_F_REPLY_ACK = 3,
	VHU_PROTOCOL_F_NET_MTU = 4,
	VHU_PROTOCOL_F_BACKEND_REQ = 5, /* formerly SLAVE_REQ */
	VHU_PROTOCOL_F_CROSS_ENDIAN = 6,
	VHU_PROTOCOL_F_CRYPTO_SESSION = 7,
	VHU_PROTOCOL_F_PAGEFAULT = 8,
	VHU_PROTOCOL_F_CONFIG = 9,
	VHU_PROTOCOL_F_BACKEND_SEND_FD = 10,
	VHU_PROTOCOL_F_HOST_NOTIFIER = 11,
	VHU_PROTOCOL_F_INFLIGHT_SHMFD = 12,
	VHU_PROTOCOL_F_RESET_DEVICE = 13,
	VHU_PROTOCOL_F_INBAND_NOTIFICATIONS = 14,
	VHU_PROTOCOL_F_CONFIGURE_MEM_SLOTS = 15,
	VHU_PROTOCOL_F_STATUS = 16,
	VHU_PROTOCOL_F_XEN_MMAP = 17,
	VHU_PROTOCOL_F_SHARED_OBJECT = 18,
	VHU_PROTOCOL_F_DEVICE_STATE = 19,
};

/* Front-end requests (vhost-user.rst, "Front-end message types"). */
enum vhu_request {
	VHU_REQ_NONE = 0,
	VHU_REQ_GET_FEATURES = 1,
	VHU_REQ_SET_FEATURES = 2,
	VHU_REQ_SET_OWNER = 3,
	VHU_REQ_RESET_OWNER = 4,
	VHU_REQ_SET_MEM_TABLE = 5,
	VHU_REQ_SET_LOG_BASE = 6,
	VHU_REQ_SET_LOG_FD = 7,
	VHU_REQ_SET_VRING_NUM = 8,
	VHU_REQ_SET_VRING_ADDR = 9,
	VHU_REQ_SET_VRING_BASE = 10,
	VHU_REQ_GET_VRING_BASE = 11,
	VHU_REQ_SET_VRING_KICK = 12,
	VHU_REQ_SET_VRING_CALL = 13,
	VHU_REQ_SET_VRING_ERR = 14,
	VHU_REQ_GET_PROTOCOL_FEATURES = 15,
	VHU_REQ_SET_PROTOCOL_FEATURES = 16,
	VHU_REQ_GET_QUEUE_NUM = 17,
	VHU_REQ_SET_VRING_ENABLE = 18,
	VHU_REQ_SEND_RARP = 19,
	VHU_REQ_NET_SET_MTU = 20,
	VHU_REQ_SET_BACKEND_REQ_FD = 21, /* formerly SET_SLAVE_REQ_FD */
	VHU_REQ_IOTLB_MSG = 22,
	VHU_REQ_SET_VRING_ENDIAN = 23,
	VHU_REQ_GET_CONFIG = 24,
	VHU_REQ_SET_CONFIG = 25,
	VHU_REQ_CREATE_CRYPTO_SESSION = 26,
	VHU_REQ_CLOSE_CRYPTO_SESSION = 27,
	VHU_REQ_POSTCOPY_ADVISE = 28,
	VHU_REQ_POSTCOPY_LISTEN = 29,
	VHU_REQ_POSTCOPY_END = 30,
	VHU_REQ_GET_INFLIGHT_FD = 31,
	VHU_REQ_SET_INFLIGHT_FD = 32,
	VHU_REQ_GPU_SET_SOCKET = 33,
	VHU_REQ_RESET_DEVICE = 34,
	VHU_REQ_VRING_KICK = 35,
	VHU_REQ_GET_MAX_MEM_SLOTS = 36,
	VHU_REQ_ADD_MEM_REG = 37,
	VHU_REQ_REM_MEM_REG = 38,
	VHU_REQ_SET_STATUS = 39,
	VHU_REQ_GET_STATUS = 40,
	VHU_REQ_GET_SHARED_OBJECT = 41,
	VHU_REQ_SET_DEVICE_STATE_FD = 42,
	VHU_REQ_CHECK_DEVICE_STATE = 43,
	VHU_REQ__MAX
};

/* IOTLB message types and permissions ("An IOTLB message"). */
enum vhu_iotlb_type {
	VHU_IOTLB_MISS = 1, /* back-end to front-end only */
	VHU_IOTLB_UPDATE = 2,
	VHU_IOTLB_INVALIDATE = 3,
	VHU_IOTLB_ACCESS_FAIL = 4, /* back-end to front-end only */
};
/* Back-end requests on the channel of SET_BACKEND_REQ_FD ("Back-end message
 * types"); iovs sends only IOTLB misses and access failures, never NEED_REPLY. */
enum vhu_backend_request {
	VHU_BACKEND_IOTLB_MSG = 1, /* formerly SLAVE_IOTLB_MSG */
};
#define VHU_IOTLB_PERM_RO 0x1u
#define VHU_IOTLB_PERM_WO 0x2u
#define VHU_IOTLB_PERM_RW 0x3u

/* --- Wire format: packed, host byte order. For vhu_msg.c and tests only. --- */

struct vhu_wire_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

struct vhu_wire_vring_state {
	uint32_t index;
	uint32_t num;
} __attribute__((packed));

/* "A vring address description". The spec's table shows a "size" column
 * that has no field on the wire: the layout is Linux's struct vhost_vring_addr,
 * 40 bytes, which is what every front-end sends. */
struct vhu_wire_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_user_addr;
	uint64_t used_user_addr;
	uint64_t avail_user_addr;
	uint64_t log_guest_addr;
} __attribute__((packed));

struct vhu_wire_mem_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
} __attribute__((packed));

/* SET_MEM_TABLE: only the first 'nregions' entries are on the wire. */
struct vhu_wire_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vhu_wire_mem_region regions[VHU_MAX_MEM_REGIONS];
} __attribute__((packed));

/* ADD_MEM_REG / REM_MEM_REG: "Single memory region description". */
struct vhu_wire_mem_reg {
	uint64_t padding;
	struct vhu_wire_mem_region region;
} __attribute__((packed));

/* SET_LOG_BASE with VHOST_USER_PROTOCOL_F_LOG_SHMFD: "Log description". */
struct vhu_wire_log {
	uint64_t mmap_size;
	uint64_t mmap_offset;
} __attribute__((packed));

/* "An IOTLB message": Linux's struct vhost_iotlb_msg, whose natural
 * alignment pads it to 32 bytes; front-ends send all 32. */
struct vhu_wire_iotlb {
	uint64_t iova;
	uint64_t size;
	uint64_t uva;
	uint8_t perm;
	uint8_t type;
	uint8_t padding[6];
} __attribute__((packed));

#define VHU_MSG_HDR_SIZE sizeof(struct vhu_wire_hdr)
#define VHU_MEM_TABLE_HDR_SIZE                                                                     \
	(sizeof(struct vhu_wire_mem_table) -                                                       \
	 sizeof(struct vhu_wire_mem_region[VHU_MAX_MEM_REGIONS]))
/* The largest payload accepted: SET_MEM_TABLE with VHU_MAX_MEM_REGIONS. Bigger
 * messages (GET_CONFIG with a 256-byte space, for instance) are refused by
 * vhu_msg_parse_hdr(); none of them is sent unless we offered its feature. */
#define VHU_MSG_MAX_PAYLOAD sizeof(struct vhu_wire_mem_table)
/* The largest reply built here: header + u64 or vring state. */
#define VHU_MSG_MAX_REPLY (VHU_MSG_HDR_SIZE + sizeof(uint64_t))

/* --- Host structs: what handlers see, filled by vhu_msg_decode(). --- */

struct vhu_msg_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size; /* payload bytes that follow, <= VHU_MSG_MAX_PAYLOAD */
	bool need_reply;
};

struct vhu_msg_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vhu_msg_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;
	uint64_t used;
	uint64_t avail;
	uint64_t log;
};

/* SET_VRING_KICK/CALL/ERR. */
struct vhu_msg_vring_file {
	uint32_t index;
	bool nofd; /* poll instead of an eventfd; no fd came with the message */
};

struct vhu_msg_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t mmap_offset;
};

struct vhu_msg_mem_table {
	uint32_t nregions;
	struct vhu_msg_region regions[VHU_MAX_MEM_REGIONS];
};

struct vhu_msg_log {
	uint64_t size;
	uint64_t offset;
};

struct vhu_msg_iotlb {
	uint64_t iova;
	uint64_t size;
	uint64_t uva;
	uint8_t perm;
	uint8_t type;
};

enum vhu_msg_body_kind {
	VHU_BODY_NONE,
	VHU_BODY_U64,
	VHU_BODY_STATE,
	VHU_BODY_ADDR,
	VHU_BODY_FILE,
	VHU_BODY_MEM_TABLE,
	VHU_BODY_MEM_REG,
	VHU_BODY_LOG,
	VHU_BODY_IOTLB,
};

union vhu_msg_body {
	uint64_t u64;
	struct vhu_msg_vring_state state;
	struct vhu_msg_vring_addr addr;
	struct vhu_msg_vring_file file;
	struct vhu_msg_mem_table mem;
	struct vhu_msg_region region;
	struct vhu_msg_log log;
	struct vhu_msg_iotlb iotlb;
};

/* --- The request table. --- */

/* How many fds a request carries. */
enum vhu_fd_rule {
	VHU_FDS_NONE,	     /* 0 */
	VHU_FDS_ONE,	     /* exactly 1 */
	VHU_FDS_NREGIONS,    /* exactly 'nregions' of SET_MEM_TABLE */
	VHU_FDS_UNLESS_NOFD, /* 1, or 0 when VHU_VRING_NOFD_MASK is set */
	VHU_FDS_STRAY_OK,    /* 0 or 1; a fd is closed unused (REM_MEM_REG) */
};

/* What the back-end sends back. */
enum vhu_reply_rule {
	VHU_REPLY_NONE,	  /* only a REPLY_ACK u64 when NEED_REPLY is set */
	VHU_REPLY_STATUS, /* always a u64: 0 success, non-zero failure */
	VHU_REPLY_BODY,	  /* always a reply carrying data (GET_*) */
};

struct vhu_msg_spec {
	const char *name;
	bool supported; /* false: known, but refused with -EOPNOTSUPP */
	bool variable;	/* 'size' is a minimum; 'size_check' decides */
	uint32_t size;	/* exact payload size, or the minimum */
	enum vhu_msg_body_kind body;
	enum vhu_fd_rule fds;
	enum vhu_reply_rule reply;
	/* For 'variable': the exact size from the payload's own header. */
	int (*size_check)(const void *payload, size_t len, struct iovs_err *err);
	/* Syntax checks on the decoded body that need no device state. */
	int (*check)(const union vhu_msg_body *b, struct iovs_err *err);
};

/* One row per request, indexed by enum vhu_request; rows without a name
 * (0 and anything >= VHU_REQ__MAX) are unknown requests. */
extern const struct vhu_msg_spec vhu_msg_specs[VHU_REQ__MAX];

/* --- Functions. All pure: any thread, no state. --- */

/* "SET_MEM_TABLE", or "UNKNOWN(n)" in a per-thread buffer that the next call
 * on the same thread overwrites. */
const char *vhu_msg_name(uint32_t request);

/* The row for 'request', or NULL when the request is unknown. */
const struct vhu_msg_spec *vhu_msg_spec_of(uint32_t request);

/* Reads a header from the first 'len' bytes of 'buf' (len >= 12).
 * Returns 0, -EBADMSG if 'len' is short, -EPROTO if the version is not 1 or
 * REPLY or a reserved flag bit is set (a request is never a reply), or
 * -EMSGSIZE if 'size' > VHU_MSG_MAX_PAYLOAD. Any error loses the framing of
 * the stream: the caller closes the connection. */
int vhu_msg_parse_hdr(const void *buf, size_t len, struct vhu_msg_hdr *out, struct iovs_err *err);

/* Every check that needs no device state, in this order: known request
 * (-EOPNOTSUPP, also for known requests this back-end does not implement),
 * 'payload_len' == h->size and the payload size rule (-EBADMSG; for
 * SET_MEM_TABLE -EINVAL with 0 regions, -E2BIG with more than 8), the fd
 * count (-EBADF), then the request's own syntax checks (-EINVAL, -ERANGE,
 * -EOVERFLOW). Returns 0 when the message may go to its handler. Never
 * closes fds: see the header comment. */
int vhu_msg_validate(const struct vhu_msg_hdr *h, const void *payload, size_t payload_len,
		     unsigned n_fds, struct iovs_err *err);

/* Copies a validated payload into host structs. Returns 0, -EOPNOTSUPP for
 * an unknown or unsupported request, or -EBADMSG when the size does not fit
 * the request's body (neither after a successful vhu_msg_validate()). */
int vhu_msg_decode(uint32_t request, const void *payload, size_t payload_len,
		   union vhu_msg_body *out);

/* What the socket layer does after a refusal 'rc' of a message with header 'h'
 * (or h == NULL when vhu_msg_parse_hdr() failed). 'reply_ack' says whether
 * VHOST_USER_PROTOCOL_F_REPLY_ACK was negotiated. */
enum vhu_msg_action {
	VHU_MSG_IGNORE, /* close its fds, read and drop its payload, keep going */
	VHU_MSG_NACK,	/* close its fds, send a non-zero u64 reply */
	VHU_MSG_CLOSE,	/* close the connection */
};
enum vhu_msg_action vhu_msg_on_error(const struct vhu_msg_hdr *h, int rc, bool reply_ack);

/* Reply builders: write header (version 1 | REPLY, 'request', size) and
 * payload into 'buf'. Return the bytes written, or 0 if 'cap' is too small. */
size_t vhu_msg_build_u64_reply(void *buf, size_t cap, uint32_t request, uint64_t v);
size_t vhu_msg_build_state_reply(void *buf, size_t cap, uint32_t request, uint32_t index,
				 uint32_t num);
/* REPLY_ACK: u64 0 for rc == 0, else the positive errno (non-zero). */
size_t vhu_msg_build_ack(void *buf, size_t cap, uint32_t request, int rc);

/* VHOST_USER_BACKEND_IOTLB_MSG for the back-end channel: version 1, no
 * NEED_REPLY, a 32-byte struct vhost_iotlb_msg of 'type' (MISS or
 * ACCESS_FAIL), 'iova' and 'perm' (VHU_IOTLB_PERM_*); size and user address 0.
 * Returns the bytes written (44), or 0 if 'cap' is too small. */
#define VHU_MSG_BACKEND_IOTLB_LEN (VHU_MSG_HDR_SIZE + sizeof(struct vhu_wire_iotlb))
size_t vhu_msg_build_backend_iotlb(void *buf, size_t cap, uint8_t type, uint64_t iova,
				   uint8_t perm);

#endif
