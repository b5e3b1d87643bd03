/* vhost-user messages (vhu_msg.h): header framing, the request table, the
 * stateless checks every message passes before its handler, payload decoding
 * into host structs, and reply building. Pure functions on byte buffers; the
 * socket layer calls them and the handlers consume what vhu_msg_decode() fills.
 * Section names cited below are those of QEMU's docs/interop/vhost-user.rst.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vhu_msg.h"

/* virtio 1.2 §5.1.4: 'mtu' is a 16-bit field; 68 is the IPv4 minimum (RFC 791). */
#define VHU_MIN_MTU 68u
#define VHU_MAX_MTU 65535u

static int check_set_protocol_features(const union vhu_msg_body *b, struct iovs_err *err);
static int check_vring_index_only(const union vhu_msg_body *b, struct iovs_err *err);
static int check_set_vring_num(const union vhu_msg_body *b, struct iovs_err *err);
static int check_set_vring_addr(const union vhu_msg_body *b, struct iovs_err *err);
static int check_set_vring_enable(const union vhu_msg_body *b, struct iovs_err *err);
static int check_vring_file(const union vhu_msg_body *b, struct iovs_err *err);
static int check_mem_table(const union vhu_msg_body *b, struct iovs_err *err);
static int check_add_mem_reg(const union vhu_msg_body *b, struct iovs_err *err);
static int check_rem_mem_reg(const union vhu_msg_body *b, struct iovs_err *err);
static int check_log_base(const union vhu_msg_body *b, struct iovs_err *err);
static int check_iotlb(const union vhu_msg_body *b, struct iovs_err *err);
static int check_net_set_mtu(const union vhu_msg_body *b, struct iovs_err *err);
static int check_set_status(const union vhu_msg_body *b, struct iovs_err *err);
static int size_check_mem_table(const void *payload, size_t len, struct iovs_err *err);

/* A request this back-end handles: exact payload size, body, fds, reply. */
#define MSG(req, sz, kind, fdr, rep, chk)                                                          \
	[VHU_REQ_##req] = {.name = #req,                                                           \
			   .supported = true,                                                      \
			   .size = (sz),                                                           \
			   .body = (kind),                                                         \
			   .fds = (fdr),                                                           \
			   .reply = (rep),                                                         \
			   .check = (chk)}
/* A request known by name, refused with -EOPNOTSUPP (feature never offered). */
#define UNSUPPORTED(req, rep) [VHU_REQ_##req] = {.name = #req, .reply = (rep)}

#define U64   sizeof(uint64_t)
#define STATE sizeof(struct vhu_wire_vring_state)

/* "Front-end message types": sizes are the "request payload" of each entry;
 * replies follow "Communication" and the REPLY_ACK section. */
const struct vhu_msg_spec vhu_msg_specs[VHU_REQ__MAX] = {
	MSG(GET_FEATURES, 0, VHU_BODY_NONE, VHU_FDS_NONE, VHU_REPLY_BODY, NULL),
	MSG(SET_FEATURES, U64, VHU_BODY_U64, VHU_FDS_NONE, VHU_REPLY_NONE, NULL),
	MSG(SET_OWNER, 0, VHU_BODY_NONE, VHU_FDS_NONE, VHU_REPLY_NONE, NULL),
	/* Deprecated; "back-ends either ignore this message, or use it to
	 * disable all rings": accepted here, the handler decides. */
	MSG(RESET_OWNER, 0, VHU_BODY_NONE, VHU_FDS_NONE, VHU_REPLY_NONE, NULL),
	[VHU_REQ_SET_MEM_TABLE] = {.name = "SET_MEM_TABLE",
				   .supported = true,
				   .variable = true,
				   .size = VHU_MEM_TABLE_HDR_SIZE,
				   .body = VHU_BODY_MEM_TABLE,
				   .fds = VHU_FDS_NREGIONS,
				   .reply = VHU_REPLY_NONE, /* postcopy replies: not supported */
				   .size_check = size_check_mem_table,
				   .check = check_mem_table},
	/* Only the VHOST_USER_PROTOCOL_F_LOG_SHMFD form: log description + fd. */
	MSG(SET_LOG_BASE, sizeof(struct vhu_wire_log), VHU_BODY_LOG, VHU_FDS_ONE, VHU_REPLY_STATUS,
	    check_log_base),
	MSG(SET_LOG_FD, 0, VHU_BODY_NONE, VHU_FDS_ONE, VHU_REPLY_NONE, NULL),
	MSG(SET_VRING_NUM, STATE, VHU_BODY_STATE, VHU_FDS_NONE, VHU_REPLY_NONE,
	    check_set_vring_num),
	MSG(SET_VRING_ADDR, sizeof(struct vhu_wire_vring_addr), VHU_BODY_ADDR, VHU_FDS_NONE,
	    VHU_REPLY_NONE, check_set_vring_addr),
	/* 'num' is not checked: packed rings use all 32 bits (avail index,
	 * wrap counter, used index, wrap counter). */
	MSG(SET_VRING_BASE, STATE, VHU_BODY_STATE, VHU_FDS_NONE, VHU_REPLY_NONE,
	    check_vring_index_only),
	MSG(GET_VRING_BASE, STATE, VHU_BODY_STATE, VHU_FDS_NONE, VHU_REPLY_BODY,
	    check_vring_index_only),
	MSG(SET_VRING_KICK, U64, VHU_BODY_FILE, VHU_FDS_UNLESS_NOFD, VHU_REPLY_NONE,
	    check_vring_file),
	MSG(SET_VRING_CALL, U64, VHU_BODY_FILE, VHU_FDS_UNLESS_NOFD, VHU_REPLY_NONE,
	    check_vring_file),
	MSG(SET_VRING_ERR, U64, VHU_BODY_FILE, VHU_FDS_UNLESS_NOFD, VHU_REPLY_NONE,
	    check_vring_file),
	MSG(GET_PROTOCOL_FEATURES, 0, VHU_BODY_NONE, VHU_FDS_NONE, VHU_REPLY_BODY, NULL),
	MSG(SET_PROTOCOL_FEATURES, U64, VHU_BODY_U64, VHU_FDS_NONE, VHU_REPLY_NONE,
	    check_set_protocol_features),
	MSG(GET_QUEUE_NUM, 0, VHU_BODY_NONE, VHU_FDS_NONE, VHU_REPLY_BODY, NULL),
	MSG(SET_VRING_ENABLE, STATE, VHU_BODY_STATE, VHU_FDS_NONE, VHU_REPLY_NONE,
	    check_set_vring_enable),
	/* The first 6 bytes are the guest's MAC. */
	MSG(SEND_RARP, U64, VHU_BODY_U64, VHU_FDS_NONE, VHU_REPLY_NONE, NULL),
	MSG(NET_SET_MTU, U64, VHU_BODY_U64, VHU_FDS_NONE, VHU_REPLY_NONE, check_net_set_mtu),
	MSG(SET_BACKEND_REQ_FD, 0, VHU_BODY_NONE, VHU_FDS_ONE, VHU_REPLY_NONE, NULL),
	MSG(IOTLB_MSG, sizeof(struct vhu_wire_iotlb), VHU_BODY_IOTLB, VHU_FDS_NONE,
	    VHU_REPLY_STATUS, check_iotlb),
	UNSUPPORTED(SET_VRING_ENDIAN, VHU_REPLY_NONE),
	UNSUPPORTED(GET_CONFIG, VHU_REPLY_BODY),
	UNSUPPORTED(SET_CONFIG, VHU_REPLY_NONE),
	UNSUPPORTED(CREATE_CRYPTO_SESSION, VHU_REPLY_BODY),
	UNSUPPORTED(CLOSE_CRYPTO_SESSION, VHU_REPLY_NONE),
	UNSUPPORTED(POSTCOPY_ADVISE, VHU_REPLY_BODY),
	UNSUPPORTED(POSTCOPY_LISTEN, VHU_REPLY_NONE),
	UNSUPPORTED(POSTCOPY_END, VHU_REPLY_STATUS),
	UNSUPPORTED(GET_INFLIGHT_FD, VHU_REPLY_BODY),
	UNSUPPORTED(SET_INFLIGHT_FD, VHU_REPLY_NONE),
	UNSUPPORTED(GPU_SET_SOCKET, VHU_REPLY_NONE),
	MSG(RESET_DEVICE, 0, VHU_BODY_NONE, VHU_FDS_NONE, VHU_REPLY_NONE, NULL),
	UNSUPPORTED(VRING_KICK, VHU_REPLY_NONE),
	MSG(GET_MAX_MEM_SLOTS, 0, VHU_BODY_NONE, VHU_FDS_NONE, VHU_REPLY_BODY, NULL),
	MSG(ADD_MEM_REG, sizeof(struct vhu_wire_mem_reg), VHU_BODY_MEM_REG, VHU_FDS_ONE,
	    VHU_REPLY_NONE, check_add_mem_reg),
	MSG(REM_MEM_REG, sizeof(struct vhu_wire_mem_reg), VHU_BODY_MEM_REG, VHU_FDS_STRAY_OK,
	    VHU_REPLY_NONE, check_rem_mem_reg),
	MSG(SET_STATUS, U64, VHU_BODY_U64, VHU_FDS_NONE, VHU_REPLY_NONE, check_set_status),
	MSG(GET_STATUS, 0, VHU_BODY_NONE, VHU_FDS_NONE, VHU_REPLY_BODY, NULL),
	UNSUPPORTED(GET_SHARED_OBJECT, VHU_REPLY_BODY),
	UNSUPPORTED(SET_DEVICE_STATE_FD, VHU_REPLY_BODY),
	UNSUPPORTED(CHECK_DEVICE_STATE, VHU_REPLY_STATUS),
};

#undef MSG
#undef UNSUPPORTED
#undef U64
#undef STATE

const struct vhu_msg_spec *
vhu_msg_spec_of(uint32_t request)
{
	if (request >= VHU_REQ__MAX || vhu_msg_specs[request].name == NULL)
		return NULL;
	return &vhu_msg_specs[request];
}

const char *
vhu_msg_name(uint32_t request)
{
	/* The one written global: a per-thread buffer, for log lines only. */
	static __thread char unknown[sizeof("UNKNOWN(4294967295)")];
	const struct vhu_msg_spec *s = vhu_msg_spec_of(request);

	if (s != NULL)
		return s->name;
	snprintf(unknown, sizeof(unknown), "UNKNOWN(%" PRIu32 ")", request);
	return unknown;
}

int
vhu_msg_parse_hdr(const void *buf, size_t len, struct vhu_msg_hdr *out, struct iovs_err *err)
{
	struct vhu_wire_hdr w;

	if (len < sizeof(w))
		return iovs_errf(err, -EBADMSG, "header of %zu bytes, expected %zu", len,
				 sizeof(w));
	memcpy(&w, buf, sizeof(w));
	/* "Header": lower 2 bits are the version, currently 0x01. */
	if ((w.flags & VHU_FLAG_VERSION_MASK) != VHU_FLAG_VERSION)
		return iovs_errf(err, -EPROTO, "%s: version %u, expected %u",
				 vhu_msg_name(w.request), w.flags & VHU_FLAG_VERSION_MASK,
				 VHU_FLAG_VERSION);
	/* Bit 2 is set only "on each reply from the back-end". */
	if (w.flags & VHU_FLAG_REPLY)
		return iovs_errf(err, -EPROTO, "%s: REPLY flag set on a request",
				 vhu_msg_name(w.request));
	if (w.flags & ~(VHU_FLAG_VERSION_MASK | VHU_FLAG_NEED_REPLY))
		return iovs_errf(err, -EPROTO, "%s: reserved flag bits 0x%" PRIx32,
				 vhu_msg_name(w.request),
				 w.flags & ~(VHU_FLAG_VERSION_MASK | VHU_FLAG_NEED_REPLY));
	if (w.size > VHU_MSG_MAX_PAYLOAD)
		return iovs_errf(err, -EMSGSIZE, "%s: payload of %" PRIu32 " bytes, at most %zu",
				 vhu_msg_name(w.request), w.size, VHU_MSG_MAX_PAYLOAD);
	out->request = w.request;
	out->flags = w.flags;
	out->size = w.size;
	out->need_reply = (w.flags & VHU_FLAG_NEED_REPLY) != 0;
	return 0;
}

/* --- Decoding: wire structs to host structs, sizes already checked. --- */

static void
decode_region(const struct vhu_wire_mem_region *w, struct vhu_msg_region *r)
{
	r->gpa = w->guest_phys_addr;
	r->size = w->memory_size;
	r->uva = w->userspace_addr;
	r->mmap_offset = w->mmap_offset;
}

static int
decode_mem_table(const void *payload, size_t len, struct vhu_msg_mem_table *t)
{
	struct vhu_wire_mem_table w;
	uint32_t i;

	if (len < VHU_MEM_TABLE_HDR_SIZE || len > sizeof(w))
		return -EBADMSG;
	memset(&w, 0, sizeof(w));
	memcpy(&w, payload, len);
	if (w.nregions > VHU_MAX_MEM_REGIONS ||
	    len != VHU_MEM_TABLE_HDR_SIZE + w.nregions * sizeof(w.regions[0]))
		return -EBADMSG;
	t->nregions = w.nregions;
	for (i = 0; i < w.nregions; i++)
		decode_region(&w.regions[i], &t->regions[i]);
	return 0;
}

int
vhu_msg_decode(uint32_t request, const void *payload, size_t len, union vhu_msg_body *out)
{
	const struct vhu_msg_spec *s = vhu_msg_spec_of(request);

	memset(out, 0, sizeof(*out));
	if (s == NULL || !s->supported)
		return -EOPNOTSUPP;
	if (s->body == VHU_BODY_MEM_TABLE)
		return decode_mem_table(payload, len, &out->mem);
	if (len != s->size)
		return -EBADMSG;

	switch (s->body) {
	case VHU_BODY_NONE:
	case VHU_BODY_MEM_TABLE:
		break;
	case VHU_BODY_U64:
		memcpy(&out->u64, payload, sizeof(out->u64));
		break;
	case VHU_BODY_FILE: {
		uint64_t v;

		memcpy(&v, payload, sizeof(v));
		out->file.index = (uint32_t)(v & VHU_VRING_IDX_MASK);
		out->file.nofd = (v & VHU_VRING_NOFD_MASK) != 0;
		break;
	}
	case VHU_BODY_STATE: {
		struct vhu_wire_vring_state w;

		memcpy(&w, payload, sizeof(w));
		out->state.index = w.index;
		out->state.num = w.num;
		break;
	}
	case VHU_BODY_ADDR: {
		struct vhu_wire_vring_addr w;

		memcpy(&w, payload, sizeof(w));
		out->addr.index = w.index;
		out->addr.flags = w.flags;
		out->addr.desc = w.desc_user_addr;
		out->addr.used = w.used_user_addr;
		out->addr.avail = w.avail_user_addr;
		out->addr.log = w.log_guest_addr;
		break;
	}
	case VHU_BODY_MEM_REG: {
		struct vhu_wire_mem_reg w;

		memcpy(&w, payload, sizeof(w));
		decode_region(&w.region, &out->region);
		break;
	}
	case VHU_BODY_LOG: {
		struct vhu_wire_log w;

		memcpy(&w, payload, sizeof(w));
		out->log.size = w.mmap_size;
		out->log.offset = w.mmap_offset;
		break;
	}
	case VHU_BODY_IOTLB: {
		struct vhu_wire_iotlb w;

		memcpy(&w, payload, sizeof(w));
		out->iotlb.iova = w.iova;
		out->iotlb.size = w.size;
		out->iotlb.uva = w.uva;
		out->iotlb.perm = w.perm;
		out->iotlb.type = w.type;
		break;
	}
	}
	return 0;
}

/* --- Validation. --- */

static int
check_payload_size(const struct vhu_msg_spec *s, const void *payload, size_t len,
		   struct iovs_err *err)
{
	if (s->variable) {
		if (len < s->size)
			return iovs_errf(err, -EBADMSG,
					 "%s: payload of %zu bytes, at least %" PRIu32, s->name,
					 len, s->size);
		return s->size_check(payload, len, err);
	}
	if (len != s->size)
		return iovs_errf(err, -EBADMSG, "%s: payload of %zu bytes, expected %" PRIu32,
				 s->name, len, s->size);
	return 0;
}

/* "Memory regions description": nregions <= 8, and only those are sent. */
static int
size_check_mem_table(const void *payload, size_t len, struct iovs_err *err)
{
	uint32_t n;

	memcpy(&n, payload, sizeof(n));
	if (n == 0)
		return iovs_errf(err, -EINVAL, "SET_MEM_TABLE: no memory region");
	if (n > VHU_MAX_MEM_REGIONS)
		return iovs_errf(err, -E2BIG, "SET_MEM_TABLE: %" PRIu32 " regions, at most %u", n,
				 VHU_MAX_MEM_REGIONS);
	if (len != VHU_MEM_TABLE_HDR_SIZE + n * sizeof(struct vhu_wire_mem_region))
		return iovs_errf(
			err, -EBADMSG,
			"SET_MEM_TABLE: payload of %zu bytes for %" PRIu32 " regions, expected %zu",
			len, n, VHU_MEM_TABLE_HDR_SIZE + n * sizeof(struct vhu_wire_mem_region));
	return 0;
}

static unsigned
fds_expected(const struct vhu_msg_spec *s, const union vhu_msg_body *b, unsigned n_fds)
{
	switch (s->fds) {
	case VHU_FDS_NONE:
		return 0;
	case VHU_FDS_ONE:
		return 1;
	case VHU_FDS_NREGIONS:
		return b->mem.nregions;
	case VHU_FDS_UNLESS_NOFD:
		return b->file.nofd ? 0 : 1;
	case VHU_FDS_STRAY_OK:
		/* "the back-end MAY accept messages with one file descriptor" */
		return n_fds <= 1 ? n_fds : 0;
	}
	return 0;
}

int
vhu_msg_validate(const struct vhu_msg_hdr *h, const void *payload, size_t payload_len,
		 unsigned n_fds, struct iovs_err *err)
{
	const struct vhu_msg_spec *s = vhu_msg_spec_of(h->request);
	union vhu_msg_body b;
	unsigned want;
	uint64_t raw;
	int rc;

	if (s == NULL)
		return iovs_errf(err, -EOPNOTSUPP, "%s: unknown request", vhu_msg_name(h->request));
	if (!s->supported)
		return iovs_errf(err, -EOPNOTSUPP, "%s: not supported by this back-end", s->name);
	if (payload_len != h->size)
		return iovs_errf(err, -EBADMSG,
				 "%s: %zu payload bytes for a header size of %" PRIu32, s->name,
				 payload_len, h->size);
	rc = check_payload_size(s, payload, payload_len, err);
	if (rc != 0)
		return rc;
	if (vhu_msg_decode(h->request, payload, payload_len, &b) != 0)
		return iovs_errf(err, -EBADMSG, "%s: payload does not decode", s->name);
	want = fds_expected(s, &b, n_fds);
	if (n_fds != want)
		return iovs_errf(err, -EBADF, "%s: %u file descriptors, expected %u", s->name,
				 n_fds, want);
	if (s->body == VHU_BODY_FILE) {
		/* Bits 9-63 are reserved: refuse them rather than guess. */
		memcpy(&raw, payload, sizeof(raw));
		if (raw & ~(VHU_VRING_IDX_MASK | VHU_VRING_NOFD_MASK))
			return iovs_errf(err, -EINVAL, "%s: reserved bits 0x%" PRIx64 " set",
					 s->name,
					 raw & ~(VHU_VRING_IDX_MASK | VHU_VRING_NOFD_MASK));
	}
	if (s->check != NULL) {
		rc = s->check(&b, err);
		if (rc != 0)
			return iovs_err_prefix(err, rc, "%s", s->name);
	}
	return 0;
}

/* The spec's index is 32 bits. It is compared whole, never narrowed first:
 * 0x10000 truncated to 16 bits would name ring 0 (bad-input.md, class 10). */
static int
check_index(uint32_t index, struct iovs_err *err)
{
	if (index >= VHU_MAX_VRINGS)
		return iovs_errf(err, -ERANGE, "vring index %" PRIu32 ", at most %u", index,
				 VHU_MAX_VRINGS - 1);
	return 0;
}

static int
check_vring_index_only(const union vhu_msg_body *b, struct iovs_err *err)
{
	return check_index(b->state.index, err);
}

/* virtio 1.2 §2.7 / §2.8: a queue has 1..32768 entries. That a split ring's
 * size is a power of two is a state check done when the ring type is known
 * (VIRTIO_F_RING_PACKED negotiated or not), not here. */
static int
check_set_vring_num(const union vhu_msg_body *b, struct iovs_err *err)
{
	int rc = check_index(b->state.index, err);

	if (rc != 0)
		return rc;
	if (b->state.num == 0 || b->state.num > VHU_MAX_RING_SIZE)
		return iovs_errf(err, -EINVAL,
				 "vring %" PRIu32 ": size %" PRIu32 ", expected 1..%u",
				 b->state.index, b->state.num, VHU_MAX_RING_SIZE);
	return 0;
}

/* Descriptor, avail and used alignment depends on the ring type, so it is a
 * state check of the vring module. */
static int
check_set_vring_addr(const union vhu_msg_body *b, struct iovs_err *err)
{
	int rc = check_index(b->addr.index, err);

	if (rc != 0)
		return rc;
	if (b->addr.flags & ~VHU_VRING_F_LOG)
		return iovs_errf(err, -EINVAL, "vring %" PRIu32 ": unknown flags 0x%" PRIx32,
				 b->addr.index, b->addr.flags & ~VHU_VRING_F_LOG);
	return 0;
}

static int
check_set_vring_enable(const union vhu_msg_body *b, struct iovs_err *err)
{
	int rc = check_index(b->state.index, err);

	if (rc != 0)
		return rc;
	if (b->state.num > 1)
		return iovs_errf(err, -EINVAL,
				 "vring %" PRIu32 ": enable %" PRIu32 ", expected 0 or 1",
				 b->state.index, b->state.num);
	return 0;
}

static int
check_vring_file(const union vhu_msg_body *b, struct iovs_err *err)
{
	return check_index(b->file.index, err);
}

/* "In-band notifications": negotiating it without BACKEND_REQ and REPLY_ACK
 * is an error, and the back-end should close the connection. */
static int
check_set_protocol_features(const union vhu_msg_body *b, struct iovs_err *err)
{
	const uint64_t needs =
		UINT64_C(1) << VHU_PROTOCOL_F_BACKEND_REQ | UINT64_C(1) << VHU_PROTOCOL_F_REPLY_ACK;

	if ((b->u64 & UINT64_C(1) << VHU_PROTOCOL_F_INBAND_NOTIFICATIONS) &&
	    (b->u64 & needs) != needs)
		return iovs_errf(err, -EINVAL,
				 "INBAND_NOTIFICATIONS without BACKEND_REQ and REPLY_ACK");
	return 0;
}

/* A region's three ranges must not wrap: [gpa, gpa+size), [uva, uva+size)
 * and, when 'mmap' is set, [mmap_offset, mmap_offset+size) within off_t, so
 * that rounding it up to any page size cannot wrap to a zero-size mmap. */
static int
check_region(const struct vhu_msg_region *r, unsigned i, bool mmap, struct iovs_err *err)
{
	if (r->size == 0)
		return iovs_errf(err, -EINVAL, "region %u: size 0", i);
	if (r->size > UINT64_MAX - r->gpa)
		return iovs_errf(err, -EOVERFLOW,
				 "region %u: guest address 0x%" PRIx64 " + size 0x%" PRIx64
				 " wraps",
				 i, r->gpa, r->size);
	if (r->size > UINT64_MAX - r->uva)
		return iovs_errf(err, -EOVERFLOW,
				 "region %u: user address 0x%" PRIx64 " + size 0x%" PRIx64 " wraps",
				 i, r->uva, r->size);
	if (mmap &&
	    (r->size > (uint64_t)INT64_MAX || r->mmap_offset > (uint64_t)INT64_MAX - r->size))
		return iovs_errf(err, -EOVERFLOW,
				 "region %u: mmap offset 0x%" PRIx64 " + size 0x%" PRIx64
				 " exceeds the largest file offset",
				 i, r->mmap_offset, r->size);
	return 0;
}

static bool
ranges_overlap(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
	/* Ends do not wrap: check_region() ran first. */
	return a < b + b_size && b < a + a_size;
}

static int
check_mem_table(const union vhu_msg_body *b, struct iovs_err *err)
{
	const struct vhu_msg_mem_table *t = &b->mem;
	unsigned i, j;
	int rc;

	for (i = 0; i < t->nregions; i++) {
		rc = check_region(&t->regions[i], i, true, err);
		if (rc != 0)
			return rc;
	}
	/* At most 8 regions: 28 pairs. */
	for (i = 0; i < t->nregions; i++)
		for (j = i + 1; j < t->nregions; j++)
			if (ranges_overlap(t->regions[i].gpa, t->regions[i].size, t->regions[j].gpa,
					   t->regions[j].size))
				return iovs_errf(err, -EINVAL,
						 "regions %u and %u overlap in guest memory", i, j);
	return 0;
}

static int
check_add_mem_reg(const union vhu_msg_body *b, struct iovs_err *err)
{
	return check_region(&b->region, 0, true, err);
}

/* REM_MEM_REG: "The mmap offset is ignored." */
static int
check_rem_mem_reg(const union vhu_msg_body *b, struct iovs_err *err)
{
	return check_region(&b->region, 0, false, err);
}

/* "Log description": the fd is mapped from 'offset' for 'size' bytes. */
static int
check_log_base(const union vhu_msg_body *b, struct iovs_err *err)
{
	if (b->log.size == 0)
		return iovs_errf(err, -EINVAL, "log size 0");
	if (b->log.size > (uint64_t)INT64_MAX || b->log.offset > (uint64_t)INT64_MAX - b->log.size)
		return iovs_errf(err, -EOVERFLOW,
				 "log offset 0x%" PRIx64 " + size 0x%" PRIx64
				 " exceeds the largest file offset",
				 b->log.offset, b->log.size);
	return 0;
}

/* "IOMMU support": the front-end sends updates (2) and invalidations (3);
 * miss (1) and access fail (4) only travel from back-end to front-end. */
static int
check_iotlb(const union vhu_msg_body *b, struct iovs_err *err)
{
	const struct vhu_msg_iotlb *m = &b->iotlb;

	if (m->type != VHU_IOTLB_UPDATE && m->type != VHU_IOTLB_INVALIDATE)
		return iovs_errf(err, -EINVAL,
				 "IOTLB type %u, expected update (2) or invalidate (3)", m->type);
	if (m->size == 0)
		return iovs_errf(err, -EINVAL, "IOTLB entry of size 0");
	if (m->size > UINT64_MAX - m->iova)
		return iovs_errf(err, -EOVERFLOW,
				 "IOTLB iova 0x%" PRIx64 " + size 0x%" PRIx64 " wraps", m->iova,
				 m->size);
	if (m->type == VHU_IOTLB_INVALIDATE)
		return 0;
	if (m->perm == 0 || m->perm > VHU_IOTLB_PERM_RW)
		return iovs_errf(err, -EINVAL, "IOTLB update with permissions %u, expected 1..3",
				 m->perm);
	if (m->size > UINT64_MAX - m->uva)
		return iovs_errf(err, -EOVERFLOW,
				 "IOTLB user address 0x%" PRIx64 " + size 0x%" PRIx64 " wraps",
				 m->uva, m->size);
	return 0;
}

static int
check_net_set_mtu(const union vhu_msg_body *b, struct iovs_err *err)
{
	if (b->u64 < VHU_MIN_MTU || b->u64 > VHU_MAX_MTU)
		return iovs_errf(err, -ERANGE, "MTU %" PRIu64 ", expected %u..%u", b->u64,
				 VHU_MIN_MTU, VHU_MAX_MTU);
	return 0;
}

/* virtio 1.2 §2.1: the device status field is 8 bits. */
static int
check_set_status(const union vhu_msg_body *b, struct iovs_err *err)
{
	if (b->u64 > 0xff)
		return iovs_errf(err, -ERANGE, "status 0x%" PRIx64 " wider than 8 bits", b->u64);
	return 0;
}

/* The policy for refusals, from the spec's few words on errors:
 *  - framing errors (h == NULL) leave the stream unreadable: close;
 *  - a request whose reply carries data (GET_*) leaves the front-end waiting
 *    for a body it cannot get: close;
 *  - a request whose reply is a u64 status (IOTLB_MSG, SET_LOG_BASE) gets a
 *    non-zero one ("non-zero otherwise");
 *  - with REPLY_ACK negotiated and NEED_REPLY set, "the back-end MUST respond
 *    with ... success or failure": nack, and the front-end decides;
 *  - an unknown request without NEED_REPLY is skipped: extensions are gated
 *    by feature bits ("Communication"), so it belongs to one never offered,
 *    and closing "should only happen in exceptional circumstances";
 *  - any other refusal (a malformed or unsupported known request that the
 *    front-end believes applied) closes: a silent failure would leave it
 *    driving a device in another state than it thinks. */
enum vhu_msg_action
vhu_msg_on_error(const struct vhu_msg_hdr *h, int rc, bool reply_ack)
{
	const struct vhu_msg_spec *s;

	if (h == NULL)
		return VHU_MSG_CLOSE;
	s = vhu_msg_spec_of(h->request);
	if (s != NULL && s->reply == VHU_REPLY_BODY)
		return VHU_MSG_CLOSE;
	if (s != NULL && s->reply == VHU_REPLY_STATUS)
		return VHU_MSG_NACK;
	if (h->need_reply && reply_ack)
		return VHU_MSG_NACK;
	if (s == NULL && rc == -EOPNOTSUPP)
		return VHU_MSG_IGNORE;
	return VHU_MSG_CLOSE;
}

/* --- Replies. --- */

static size_t
build_reply(void *buf, size_t cap, uint32_t request, const void *payload, uint32_t size)
{
	struct vhu_wire_hdr w = {
		.request = request,
		.flags = VHU_FLAG_VERSION | VHU_FLAG_REPLY,
		.size = size,
	};

	if (cap < sizeof(w) + size)
		return 0;
	memcpy(buf, &w, sizeof(w));
	memcpy((uint8_t *)buf + sizeof(w), payload, size);
	return sizeof(w) + size;
}

size_t
vhu_msg_build_u64_reply(void *buf, size_t cap, uint32_t request, uint64_t v)
{
	return build_reply(buf, cap, request, &v, sizeof(v));
}

size_t
vhu_msg_build_state_reply(void *buf, size_t cap, uint32_t request, uint32_t index, uint32_t num)
{
	struct vhu_wire_vring_state w = {.index = index, .num = num};

	return build_reply(buf, cap, request, &w, sizeof(w));
}

size_t
vhu_msg_build_ack(void *buf, size_t cap, uint32_t request, int rc)
{
	return vhu_msg_build_u64_reply(buf, cap, request,
				       rc == 0 ? 0 : (uint64_t)(rc < 0 ? -rc : rc));
}

size_t
vhu_msg_build_backend_iotlb(void *buf, size_t cap, uint8_t type, uint64_t iova, uint8_t perm)
{
	struct vhu_wire_hdr h = {
		.request = VHU_BACKEND_IOTLB_MSG,
		.flags = VHU_FLAG_VERSION,
		.size = sizeof(struct vhu_wire_iotlb),
	};
	struct vhu_wire_iotlb m = {.iova = iova, .perm = perm, .type = type};

	if (cap < sizeof(h) + sizeof(m))
		return 0;
	memcpy(buf, &h, sizeof(h));
	memcpy((uint8_t *)buf + sizeof(h), &m, sizeof(m));
	return sizeof(h) + sizeof(m);
}
