/* Unit tests of the vhost-user message layer (vhu_msg.c): one test per item of
 * bad-input.md class 10 that needs no device state, the refusal policy, the
 * reply builders, and a valid example of every supported request. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vhu_msg.h"

#define MAX_MSG (VHU_MSG_HDR_SIZE + VHU_MSG_MAX_PAYLOAD)

/* Header + payload on the wire, then parse_hdr and validate as the socket
 * layer will. Fails the test if a refusal comes without a message. */
static int
send_msg(uint32_t request, uint32_t flags, const void *payload, uint32_t size, unsigned n_fds)
{
	struct vhu_wire_hdr w = {.request = request, .flags = flags, .size = size};
	uint8_t buf[MAX_MSG + 64];
	struct iovs_err err = {{0}};
	struct vhu_msg_hdr h;
	int rc;

	assert_true(size <= MAX_MSG + 64 - sizeof(w));
	memcpy(buf, &w, sizeof(w));
	if (size > 0)
		memcpy(buf + sizeof(w), payload, size);
	rc = vhu_msg_parse_hdr(buf, sizeof(w), &h, &err);
	if (rc == 0)
		rc = vhu_msg_validate(&h, buf + sizeof(w), size, n_fds, &err);
	if (rc != 0)
		assert_true(err.msg[0] != '\0');
	return rc;
}

static int
send_req(uint32_t request, const void *payload, uint32_t size, unsigned n_fds)
{
	return send_msg(request, VHU_FLAG_VERSION, payload, size, n_fds);
}

static int
send_u64(uint32_t request, uint64_t v, unsigned n_fds)
{
	return send_req(request, &v, sizeof(v), n_fds);
}

static int
send_state(uint32_t request, uint32_t index, uint32_t num)
{
	struct vhu_wire_vring_state s = {.index = index, .num = num};

	return send_req(request, &s, sizeof(s), 0);
}

static struct vhu_wire_mem_region
region(uint64_t gpa, uint64_t size, uint64_t uva, uint64_t off)
{
	struct vhu_wire_mem_region r = {.guest_phys_addr = gpa,
					.memory_size = size,
					.userspace_addr = uva,
					.mmap_offset = off};

	return r;
}

/* SET_MEM_TABLE with 'n' regions from 'r', sized for 'n', with 'n' fds. */
static int
send_mem_table(uint32_t n, const struct vhu_wire_mem_region *r)
{
	struct vhu_wire_mem_table t;

	memset(&t, 0, sizeof(t));
	t.nregions = n;
	if (n > 0)
		memcpy(t.regions, r, n * sizeof(*r));
	return send_req(VHU_REQ_SET_MEM_TABLE, &t, VHU_MEM_TABLE_HDR_SIZE + n * sizeof(*r), n);
}

static int
send_one_region(const struct vhu_wire_mem_region r)
{
	return send_mem_table(1, &r);
}

static int
send_mem_reg(uint32_t request, const struct vhu_wire_mem_region r, unsigned n_fds)
{
	struct vhu_wire_mem_reg m = {.region = r};

	return send_req(request, &m, sizeof(m), n_fds);
}

static int
send_iotlb(uint8_t type, uint8_t perm, uint64_t iova, uint64_t size, uint64_t uva)
{
	struct vhu_wire_iotlb m = {
		.iova = iova, .size = size, .uva = uva, .perm = perm, .type = type};

	return send_req(VHU_REQ_IOTLB_MSG, &m, sizeof(m), 0);
}

#define GIB (UINT64_C(1) << 30)

/* --- Valid messages. --- */

struct example {
	uint32_t request;
	uint8_t payload[VHU_MSG_MAX_PAYLOAD];
	uint32_t size;
	unsigned n_fds;
};

static size_t
examples(struct example *ex)
{
	struct vhu_wire_vring_addr addr = {.index = 1, .flags = VHU_VRING_F_LOG};
	struct vhu_wire_vring_state st = {.index = VHU_MAX_VRINGS - 1, .num = 256};
	struct vhu_wire_log log = {.mmap_size = 4096, .mmap_offset = 0};
	struct vhu_wire_iotlb tlb = {.iova = 0x1000,
				     .size = 0x1000,
				     .uva = 0x7f0000000000,
				     .perm = VHU_IOTLB_PERM_RW,
				     .type = VHU_IOTLB_UPDATE};
	struct vhu_wire_mem_reg reg = {.region = region(4 * GIB, GIB, 0x7f0000000000, 0)};
	struct vhu_wire_mem_table t = {.nregions = 2};
	uint64_t u;
	size_t n = 0;

	t.regions[0] = region(0, 2 * GIB, 0x7f0000000000, 0);
	t.regions[1] = region(4 * GIB, 2 * GIB, 0x7f0080000000, 2 * GIB);

#define ADD(req, p, sz, fds)                                                                       \
	do {                                                                                       \
		ex[n].request = (req);                                                             \
		memcpy(ex[n].payload, (p), (sz));                                                  \
		ex[n].size = (sz);                                                                 \
		ex[n].n_fds = (fds);                                                               \
		n++;                                                                               \
	} while (0)
#define ADD_U64(req, v, fds)                                                                       \
	do {                                                                                       \
		u = (v);                                                                           \
		ADD(req, &u, sizeof(u), fds);                                                      \
	} while (0)

	ADD(VHU_REQ_GET_FEATURES, "", 0, 0);
	ADD_U64(VHU_REQ_SET_FEATURES, UINT64_C(1) << VHU_F_PROTOCOL_FEATURES | UINT64_C(1) << 32,
		0);
	ADD(VHU_REQ_SET_OWNER, "", 0, 0);
	ADD(VHU_REQ_RESET_OWNER, "", 0, 0);
	ADD(VHU_REQ_SET_MEM_TABLE, &t, VHU_MEM_TABLE_HDR_SIZE + 2 * sizeof(t.regions[0]), 2);
	ADD(VHU_REQ_SET_LOG_BASE, &log, sizeof(log), 1);
	ADD(VHU_REQ_SET_LOG_FD, "", 0, 1);
	ADD(VHU_REQ_SET_VRING_NUM, &st, sizeof(st), 0);
	ADD(VHU_REQ_SET_VRING_ADDR, &addr, sizeof(addr), 0);
	ADD(VHU_REQ_SET_VRING_BASE, &st, sizeof(st), 0);
	ADD(VHU_REQ_GET_VRING_BASE, &st, sizeof(st), 0);
	ADD_U64(VHU_REQ_SET_VRING_KICK, 3, 1);
	ADD_U64(VHU_REQ_SET_VRING_KICK, 3 | VHU_VRING_NOFD_MASK, 0);
	ADD_U64(VHU_REQ_SET_VRING_CALL, 0, 1);
	ADD_U64(VHU_REQ_SET_VRING_ERR, VHU_MAX_VRINGS - 1, 1);
	ADD(VHU_REQ_GET_PROTOCOL_FEATURES, "", 0, 0);
	ADD_U64(VHU_REQ_SET_PROTOCOL_FEATURES,
		UINT64_C(1) << VHU_PROTOCOL_F_MQ | UINT64_C(1) << VHU_PROTOCOL_F_REPLY_ACK, 0);
	ADD(VHU_REQ_GET_QUEUE_NUM, "", 0, 0);
	st.num = 1;
	ADD(VHU_REQ_SET_VRING_ENABLE, &st, sizeof(st), 0);
	ADD_U64(VHU_REQ_SEND_RARP, UINT64_C(0x563412005452), 0);
	ADD_U64(VHU_REQ_NET_SET_MTU, 9000, 0);
	ADD(VHU_REQ_SET_BACKEND_REQ_FD, "", 0, 1);
	ADD(VHU_REQ_IOTLB_MSG, &tlb, sizeof(tlb), 0);
	ADD(VHU_REQ_RESET_DEVICE, "", 0, 0);
	ADD(VHU_REQ_GET_MAX_MEM_SLOTS, "", 0, 0);
	ADD(VHU_REQ_ADD_MEM_REG, &reg, sizeof(reg), 1);
	ADD(VHU_REQ_REM_MEM_REG, &reg, sizeof(reg), 0);
	ADD_U64(VHU_REQ_SET_STATUS, 0x0f, 0);
	ADD(VHU_REQ_GET_STATUS, "", 0, 0);
#undef ADD
#undef ADD_U64
	return n;
}

static void
test_valid_message_of_every_supported_request_is_accepted(void **state)
{
	static struct example ex[64];
	bool seen[VHU_REQ__MAX] = {false};
	union vhu_msg_body b;
	size_t n = examples(ex), i;
	uint32_t r;

	(void)state;
	for (i = 0; i < n; i++) {
		if (send_req(ex[i].request, ex[i].payload, ex[i].size, ex[i].n_fds) != 0)
			fail_msg("%s example refused", vhu_msg_name(ex[i].request));
		assert_int_equal(vhu_msg_decode(ex[i].request, ex[i].payload, ex[i].size, &b), 0);
		/* NEED_REPLY changes nothing in validation. */
		assert_int_equal(send_msg(ex[i].request, VHU_FLAG_VERSION | VHU_FLAG_NEED_REPLY,
					  ex[i].payload, ex[i].size, ex[i].n_fds),
				 0);
		seen[ex[i].request] = true;
	}
	for (r = 0; r < VHU_REQ__MAX; r++)
		if (vhu_msg_specs[r].supported && !seen[r])
			fail_msg("no valid example of %s", vhu_msg_specs[r].name);
}

static void
test_decode_fills_host_structs(void **state)
{
	static struct example ex[64];
	size_t n = examples(ex), i;
	union vhu_msg_body b;

	(void)state;
	for (i = 0; i < n; i++) {
		assert_int_equal(vhu_msg_decode(ex[i].request, ex[i].payload, ex[i].size, &b), 0);
		switch (ex[i].request) {
		case VHU_REQ_SET_MEM_TABLE:
			assert_int_equal(b.mem.nregions, 2);
			assert_true(b.mem.regions[1].gpa == 4 * GIB);
			assert_true(b.mem.regions[1].mmap_offset == 2 * GIB);
			break;
		case VHU_REQ_SET_VRING_ADDR:
			assert_int_equal(b.addr.index, 1);
			assert_int_equal(b.addr.flags, VHU_VRING_F_LOG);
			break;
		case VHU_REQ_SET_VRING_KICK:
			assert_int_equal(b.file.index, 3);
			assert_int_equal(b.file.nofd, ex[i].n_fds == 0);
			break;
		case VHU_REQ_IOTLB_MSG:
			assert_int_equal(b.iotlb.type, VHU_IOTLB_UPDATE);
			assert_int_equal(b.iotlb.perm, VHU_IOTLB_PERM_RW);
			assert_true(b.iotlb.uva == 0x7f0000000000);
			break;
		case VHU_REQ_SET_LOG_BASE:
			assert_true(b.log.size == 4096);
			break;
		case VHU_REQ_ADD_MEM_REG:
			assert_true(b.region.gpa == 4 * GIB && b.region.size == GIB);
			break;
		}
	}
}

/* --- SET_MEM_TABLE. --- */

static void
test_mem_table_with_zero_regions_is_refused(void **state)
{
	(void)state;
	assert_int_equal(send_mem_table(0, NULL), -EINVAL);
}

static void
test_mem_table_with_more_than_eight_regions_is_refused(void **state)
{
	struct vhu_wire_mem_table t = {.nregions = VHU_MAX_MEM_REGIONS + 1};
	uint32_t n[] = {VHU_MAX_MEM_REGIONS + 1, 64, 0x10000, UINT32_MAX};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		t.nregions = n[i];
		/* Whatever the payload size, even the largest we accept. */
		assert_int_equal(send_req(VHU_REQ_SET_MEM_TABLE, &t, sizeof(t), 8), -E2BIG);
		assert_int_equal(send_req(VHU_REQ_SET_MEM_TABLE, &t, VHU_MEM_TABLE_HDR_SIZE, 0),
				 -E2BIG);
	}
}

static void
test_mem_table_whose_size_disagrees_with_nregions_is_refused(void **state)
{
	struct vhu_wire_mem_table t;
	uint32_t n, size;

	(void)state;
	memset(&t, 0, sizeof(t));
	for (n = 0; n < VHU_MAX_MEM_REGIONS; n++)
		t.regions[n] = region(n * GIB, GIB, 0x7f0000000000 + n * GIB, 0);
	for (n = 1; n <= VHU_MAX_MEM_REGIONS; n++) {
		t.nregions = n;
		for (size = VHU_MEM_TABLE_HDR_SIZE; size <= sizeof(t); size++) {
			int rc = send_req(VHU_REQ_SET_MEM_TABLE, &t, size, n);

			if (size == VHU_MEM_TABLE_HDR_SIZE + n * sizeof(t.regions[0]))
				assert_int_equal(rc, 0);
			else
				assert_int_equal(rc, -EBADMSG);
		}
	}
}

static void
test_mem_table_with_overlapping_regions_is_refused(void **state)
{
	struct vhu_wire_mem_region r[VHU_MAX_MEM_REGIONS];

	(void)state;
	/* Partial overlap, either order. */
	r[0] = region(0, 2 * GIB, 0x100000000000, 0);
	r[1] = region(GIB, 2 * GIB, 0x200000000000, 0);
	assert_int_equal(send_mem_table(2, r), -EINVAL);
	r[0] = region(GIB, 2 * GIB, 0x100000000000, 0);
	r[1] = region(0, 2 * GIB, 0x200000000000, 0);
	assert_int_equal(send_mem_table(2, r), -EINVAL);
	/* One inside another, identical, one byte of overlap. */
	r[1] = region(2 * GIB, 4096, 0x200000000000, 0);
	assert_int_equal(send_mem_table(2, r), -EINVAL);
	r[1] = r[0];
	assert_int_equal(send_mem_table(2, r), -EINVAL);
	r[1] = region(3 * GIB - 1, GIB, 0x200000000000, 0);
	assert_int_equal(send_mem_table(2, r), -EINVAL);
	/* The clash between the first and the last of eight. */
	for (unsigned i = 0; i < VHU_MAX_MEM_REGIONS; i++)
		r[i] = region(i * 2 * GIB, GIB, 0x100000000000 + i * GIB, 0);
	assert_int_equal(send_mem_table(VHU_MAX_MEM_REGIONS, r), 0);
	r[7] = region(GIB - 4096, 8192, 0x100000000000 + 7 * GIB, 0);
	assert_int_equal(send_mem_table(VHU_MAX_MEM_REGIONS, r), -EINVAL);
	/* Adjacent is fine. */
	r[0] = region(0, GIB, 0x100000000000, 0);
	r[1] = region(GIB, GIB, 0x200000000000, 0);
	assert_int_equal(send_mem_table(2, r), 0);
}

/* The overlap check against a reference written differently: two ranges
 * overlap when some byte belongs to both, found here by testing the larger of
 * the two starts. Random small ranges so that overlaps are frequent. */
static void
test_mem_table_overlap_check_agrees_with_a_reference(void **state)
{
	struct vhu_wire_mem_region r[VHU_MAX_MEM_REGIONS];
	uint64_t seed = 0x9e3779b97f4a7c15;
	unsigned iter, n, i, j;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		bool clash = false;

		n = 1 + iter % VHU_MAX_MEM_REGIONS;
		for (i = 0; i < n; i++) {
			seed = seed * 6364136223846793005u + 1442695040888963407u;
			r[i] = region((seed >> 33) % 64 * 4096, (1 + (seed >> 20) % 8) * 4096,
				      0x100000000000 + i * GIB, 0);
		}
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++) {
				uint64_t s = r[i].guest_phys_addr;

				if (i != j && s >= r[j].guest_phys_addr &&
				    s < r[j].guest_phys_addr + r[j].memory_size)
					clash = true;
			}
		assert_int_equal(send_mem_table(n, r), clash ? -EINVAL : 0);
	}
}

static void
test_mem_table_region_of_size_zero_is_refused(void **state)
{
	(void)state;
	assert_int_equal(send_one_region(region(0, 0, 0x7f0000000000, 0)), -EINVAL);
}

static void
test_mem_table_region_whose_guest_end_wraps_is_refused(void **state)
{
	(void)state;
	assert_int_equal(send_one_region(region(UINT64_MAX - 4095, 8192, 0x1000, 0)), -EOVERFLOW);
	assert_int_equal(send_one_region(region(1, UINT64_MAX, 0x1000, 0)), -EOVERFLOW);
	assert_int_equal(send_one_region(region(UINT64_MAX - 8191, 4096, 0x1000, 0)), 0);
}

static void
test_mem_table_region_whose_user_end_wraps_is_refused(void **state)
{
	(void)state;
	assert_int_equal(send_one_region(region(0, 8192, UINT64_MAX - 4095, 0)), -EOVERFLOW);
	assert_int_equal(send_one_region(region(0, GIB, UINT64_MAX, 0)), -EOVERFLOW);
}

static void
test_mem_table_region_whose_size_plus_offset_overflows_is_refused(void **state)
{
	(void)state;
	/* Wraps 64 bits. */
	assert_int_equal(send_one_region(region(0, GIB, 0x1000, UINT64_MAX - 4095)), -EOVERFLOW);
	/* Fits 64 bits, not off_t. */
	assert_int_equal(send_one_region(region(0, GIB, 0x1000, (uint64_t)INT64_MAX)), -EOVERFLOW);
	assert_int_equal(send_one_region(region(0, (uint64_t)INT64_MAX + 1, 0x1000, 0)),
			 -EOVERFLOW);
	/* The last accepted end. */
	assert_int_equal(send_one_region(region(0, GIB, 0x1000, (uint64_t)INT64_MAX - GIB)), 0);
	/* ADD_MEM_REG runs the same checks. */
	assert_int_equal(send_mem_reg(VHU_REQ_ADD_MEM_REG, region(0, GIB, 0x1000, UINT64_MAX), 1),
			 -EOVERFLOW);
	assert_int_equal(send_mem_reg(VHU_REQ_ADD_MEM_REG, region(0, 0, 0x1000, 0), 1), -EINVAL);
}

/* The mmap layer rounds mmap_offset + size up to the page size of the fd (a
 * hugepage, up to 1 GiB). An end just below 2^64 would round up to 0: a
 * zero-size mmap. Validation keeps every end <= INT64_MAX, so rounding up to
 * any page size up to 2^62 cannot wrap. */
static uint64_t
align_up(uint64_t v, uint64_t page)
{
	return (v + page - 1) & ~(page - 1);
}

static void
test_region_that_would_align_to_a_zero_size_mmap_is_refused(void **state)
{
	uint64_t off = UINT64_MAX - 4096 - 100, size = 4096, last = (uint64_t)INT64_MAX - GIB;

	(void)state;
	assert_true(align_up(off + size, 2 << 20) == 0); /* what would go wrong */
	assert_int_equal(send_one_region(region(0, size, 0x1000, off)), -EOVERFLOW);
	assert_int_equal(send_mem_reg(VHU_REQ_ADD_MEM_REG, region(0, size, 0x1000, off), 1),
			 -EOVERFLOW);

	assert_int_equal(send_one_region(region(0, GIB, 0x1000, last)), 0);
	assert_true(align_up(last + GIB, GIB) > last);
	assert_true(align_up(last + GIB, UINT64_C(1) << 62) > last);
}

static void
test_add_mem_reg_without_its_fd_is_refused(void **state)
{
	struct vhu_wire_mem_region r = region(0, GIB, 0x7f0000000000, 0);

	(void)state;
	assert_int_equal(send_mem_reg(VHU_REQ_ADD_MEM_REG, r, 0), -EBADF);
	assert_int_equal(send_mem_reg(VHU_REQ_ADD_MEM_REG, r, 2), -EBADF);
}

/* "the back-end MAY accept messages with one file descriptor"; "The mmap
 * offset is ignored." */
static void
test_rem_mem_reg_accepts_one_stray_fd_and_ignores_the_mmap_offset(void **state)
{
	(void)state;
	assert_int_equal(send_mem_reg(VHU_REQ_REM_MEM_REG, region(0, GIB, 0x1000, UINT64_MAX), 1),
			 0);
	assert_int_equal(send_mem_reg(VHU_REQ_REM_MEM_REG, region(0, GIB, 0x1000, 0), 2), -EBADF);
	assert_int_equal(send_mem_reg(VHU_REQ_REM_MEM_REG, region(UINT64_MAX, GIB, 0x1000, 0), 0),
			 -EOVERFLOW);
}

static void
test_mem_table_with_fewer_or_more_fds_than_regions_is_refused(void **state)
{
	struct vhu_wire_mem_table t = {.nregions = 2};

	(void)state;
	t.regions[0] = region(0, GIB, 0x100000000000, 0);
	t.regions[1] = region(GIB, GIB, 0x200000000000, 0);
	for (unsigned fds = 0; fds <= VHU_MSG_MAX_FDS + 1; fds++)
		assert_int_equal(send_req(VHU_REQ_SET_MEM_TABLE, &t,
					  VHU_MEM_TABLE_HDR_SIZE + 2 * sizeof(t.regions[0]), fds),
				 fds == 2 ? 0 : -EBADF);
}

/* --- SET_LOG_BASE. --- */

static void
test_log_base_whose_size_plus_offset_overflows_is_refused(void **state)
{
	struct vhu_wire_log l;

	(void)state;
	l = (struct vhu_wire_log){.mmap_size = 4096, .mmap_offset = UINT64_MAX - 100};
	assert_int_equal(send_req(VHU_REQ_SET_LOG_BASE, &l, sizeof(l), 1), -EOVERFLOW);
	l = (struct vhu_wire_log){.mmap_size = UINT64_MAX, .mmap_offset = 0};
	assert_int_equal(send_req(VHU_REQ_SET_LOG_BASE, &l, sizeof(l), 1), -EOVERFLOW);
	l = (struct vhu_wire_log){.mmap_size = 4096, .mmap_offset = (uint64_t)INT64_MAX - 4095};
	assert_int_equal(send_req(VHU_REQ_SET_LOG_BASE, &l, sizeof(l), 1), -EOVERFLOW);
	l = (struct vhu_wire_log){.mmap_size = 4096, .mmap_offset = (uint64_t)INT64_MAX - 4096};
	assert_int_equal(send_req(VHU_REQ_SET_LOG_BASE, &l, sizeof(l), 1), 0);
}

static void
test_log_base_of_size_zero_or_without_fd_is_refused(void **state)
{
	struct vhu_wire_log l = {.mmap_size = 0, .mmap_offset = 0};

	(void)state;
	assert_int_equal(send_req(VHU_REQ_SET_LOG_BASE, &l, sizeof(l), 1), -EINVAL);
	l.mmap_size = 4096;
	assert_int_equal(send_req(VHU_REQ_SET_LOG_BASE, &l, sizeof(l), 0), -EBADF);
}

/* --- Vring indexes and sizes. --- */

static const uint32_t bad_indexes[] = {
	VHU_MAX_VRINGS, VHU_MAX_VRINGS + 1, 255, 256, 0x8000, 0x10000, 0x10001, UINT32_MAX};

static void
test_vring_index_at_or_above_the_maximum_is_refused(void **state)
{
	static const uint32_t state_reqs[] = {VHU_REQ_SET_VRING_NUM, VHU_REQ_SET_VRING_BASE,
					      VHU_REQ_GET_VRING_BASE, VHU_REQ_SET_VRING_ENABLE};
	struct vhu_wire_vring_addr a = {0};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(bad_indexes) / sizeof(bad_indexes[0]); i++) {
		for (k = 0; k < sizeof(state_reqs) / sizeof(state_reqs[0]); k++)
			assert_int_equal(send_state(state_reqs[k], bad_indexes[i], 1), -ERANGE);
		a.index = bad_indexes[i];
		assert_int_equal(send_req(VHU_REQ_SET_VRING_ADDR, &a, sizeof(a), 0), -ERANGE);
	}
	for (i = 0; i < VHU_MAX_VRINGS; i++)
		assert_int_equal(send_state(VHU_REQ_SET_VRING_NUM, (uint32_t)i, 256), 0);
}

/* 0x10000 narrowed to 16 bits would be ring 0; 0x10001 ring 1. */
static void
test_vring_index_0x10000_is_not_truncated_to_ring_0(void **state)
{
	struct iovs_err err = {{0}};
	struct vhu_wire_vring_state s = {.index = 0x10000, .num = 256};
	struct vhu_msg_hdr h = {.request = VHU_REQ_SET_VRING_NUM, .flags = 1, .size = sizeof(s)};

	(void)state;
	assert_int_equal(vhu_msg_validate(&h, &s, sizeof(s), 0, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "65536"));
	assert_non_null(strstr(err.msg, "SET_VRING_NUM"));
}

static void
test_vring_fd_messages_with_index_above_the_maximum_are_refused(void **state)
{
	static const uint32_t reqs[] = {VHU_REQ_SET_VRING_KICK, VHU_REQ_SET_VRING_CALL,
					VHU_REQ_SET_VRING_ERR};
	uint64_t idx;
	size_t k;

	(void)state;
	for (k = 0; k < 3; k++)
		for (idx = 0; idx <= VHU_VRING_IDX_MASK; idx++) {
			assert_int_equal(send_u64(reqs[k], idx, 1),
					 idx < VHU_MAX_VRINGS ? 0 : -ERANGE);
			assert_int_equal(send_u64(reqs[k], idx | VHU_VRING_NOFD_MASK, 0),
					 idx < VHU_MAX_VRINGS ? 0 : -ERANGE);
		}
}

/* Bits 9-63 are reserved: an index of 0x10000 must not become ring 0. */
static void
test_vring_fd_message_with_reserved_bits_is_refused(void **state)
{
	(void)state;
	assert_int_equal(send_u64(VHU_REQ_SET_VRING_KICK, 0x10000, 1), -EINVAL);
	assert_int_equal(send_u64(VHU_REQ_SET_VRING_CALL, UINT64_C(1) << 63, 1), -EINVAL);
	assert_int_equal(send_u64(VHU_REQ_SET_VRING_ERR, 0x200 | VHU_VRING_NOFD_MASK, 0), -EINVAL);
}

static void
test_vring_kick_with_nofd_bit_must_come_without_fd(void **state)
{
	(void)state;
	assert_int_equal(send_u64(VHU_REQ_SET_VRING_KICK, 0 | VHU_VRING_NOFD_MASK, 1), -EBADF);
	assert_int_equal(send_u64(VHU_REQ_SET_VRING_KICK, 0 | VHU_VRING_NOFD_MASK, 0), 0);
	assert_int_equal(send_u64(VHU_REQ_SET_VRING_CALL, 0, 0), -EBADF);
	assert_int_equal(send_u64(VHU_REQ_SET_VRING_CALL, 0, 2), -EBADF);
}

static void
test_vring_num_zero_is_refused(void **state)
{
	(void)state;
	assert_int_equal(send_state(VHU_REQ_SET_VRING_NUM, 0, 0), -EINVAL);
}

static void
test_vring_num_above_32768_is_refused(void **state)
{
	(void)state;
	assert_int_equal(send_state(VHU_REQ_SET_VRING_NUM, 0, 32769), -EINVAL);
	assert_int_equal(send_state(VHU_REQ_SET_VRING_NUM, 0, 65536), -EINVAL);
	assert_int_equal(send_state(VHU_REQ_SET_VRING_NUM, 0, UINT32_MAX), -EINVAL);
	assert_int_equal(send_state(VHU_REQ_SET_VRING_NUM, 0, 32768), 0);
	assert_int_equal(send_state(VHU_REQ_SET_VRING_NUM, 0, 1), 0);
}

/* Packed rings may have any size; the split ring's power of two is checked
 * when the ring type is known (a state check, not syntax). */
static void
test_vring_num_not_a_power_of_two_is_left_to_the_ring_type_check(void **state)
{
	(void)state;
	assert_int_equal(send_state(VHU_REQ_SET_VRING_NUM, 0, 1000), 0);
}

static void
test_vring_enable_other_than_zero_or_one_is_refused(void **state)
{
	(void)state;
	assert_int_equal(send_state(VHU_REQ_SET_VRING_ENABLE, 0, 0), 0);
	assert_int_equal(send_state(VHU_REQ_SET_VRING_ENABLE, 0, 2), -EINVAL);
	assert_int_equal(send_state(VHU_REQ_SET_VRING_ENABLE, 0, UINT32_MAX), -EINVAL);
}

static void
test_vring_addr_with_unknown_flags_is_refused(void **state)
{
	struct vhu_wire_vring_addr a = {.index = 0, .flags = 0x2};

	(void)state;
	assert_int_equal(send_req(VHU_REQ_SET_VRING_ADDR, &a, sizeof(a), 0), -EINVAL);
	a.flags = 0x80000001u;
	assert_int_equal(send_req(VHU_REQ_SET_VRING_ADDR, &a, sizeof(a), 0), -EINVAL);
}

/* --- Sizes and fds for every request. --- */

static void
test_truncated_payloads_are_refused_at_every_length(void **state)
{
	uint8_t zero[VHU_MSG_MAX_PAYLOAD] = {0};
	uint32_t r, len;

	(void)state;
	for (r = 0; r < VHU_REQ__MAX; r++) {
		const struct vhu_msg_spec *s = &vhu_msg_specs[r];

		if (!s->supported)
			continue;
		for (len = 0; len < s->size; len++)
			if (send_req(r, zero, len, 1) != -EBADMSG)
				fail_msg("%s with %u bytes accepted", s->name, len);
	}
}

static void
test_oversized_payloads_are_refused_at_every_length(void **state)
{
	static struct example ex[64];
	uint8_t big[VHU_MSG_MAX_PAYLOAD];
	size_t n = examples(ex), i;
	uint32_t len;

	(void)state;
	for (i = 0; i < n; i++) {
		memset(big, 0, sizeof(big));
		memcpy(big, ex[i].payload, ex[i].size);
		for (len = ex[i].size + 1; len <= VHU_MSG_MAX_PAYLOAD; len++)
			if (send_req(ex[i].request, big, len, ex[i].n_fds) != -EBADMSG)
				fail_msg("%s with %u bytes accepted", vhu_msg_name(ex[i].request),
					 len);
	}
}

static void
test_header_announcing_more_than_the_largest_payload_is_refused(void **state)
{
	static const uint32_t sizes[] = {VHU_MSG_MAX_PAYLOAD + 1, 4096, 0x10000, UINT32_MAX};
	struct vhu_wire_hdr w = {.request = VHU_REQ_SET_MEM_TABLE, .flags = VHU_FLAG_VERSION};
	struct vhu_msg_hdr h;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		w.size = sizes[i];
		assert_int_equal(vhu_msg_parse_hdr(&w, sizeof(w), &h, NULL), -EMSGSIZE);
		assert_int_equal(vhu_msg_on_error(NULL, -EMSGSIZE, true), VHU_MSG_CLOSE);
	}
	w.size = VHU_MSG_MAX_PAYLOAD;
	assert_int_equal(vhu_msg_parse_hdr(&w, sizeof(w), &h, NULL), 0);
	assert_int_equal(h.size, VHU_MSG_MAX_PAYLOAD);
}

static void
test_truncated_header_is_refused_at_every_length(void **state)
{
	struct vhu_wire_hdr w = {.request = 1, .flags = VHU_FLAG_VERSION};
	struct vhu_msg_hdr h;
	size_t len;

	(void)state;
	for (len = 0; len < sizeof(w); len++)
		assert_int_equal(vhu_msg_parse_hdr(&w, len, &h, NULL), -EBADMSG);
}

static void
test_payload_length_disagreeing_with_the_header_is_refused(void **state)
{
	struct vhu_msg_hdr h = {.request = VHU_REQ_SET_FEATURES, .flags = 1, .size = 8};
	uint64_t v[2] = {0, 0};

	(void)state;
	assert_int_equal(vhu_msg_validate(&h, v, 16, 0, NULL), -EBADMSG);
	assert_int_equal(vhu_msg_validate(&h, v, 4, 0, NULL), -EBADMSG);
	assert_int_equal(vhu_msg_validate(&h, v, 8, 0, NULL), 0);
}

static void
test_fds_on_messages_that_take_none_are_refused(void **state)
{
	static struct example ex[64];
	size_t n = examples(ex), i;
	unsigned fds;

	(void)state;
	for (i = 0; i < n; i++) {
		const struct vhu_msg_spec *s = vhu_msg_spec_of(ex[i].request);

		if (s->fds != VHU_FDS_NONE)
			continue;
		for (fds = 1; fds <= VHU_MSG_MAX_FDS; fds++)
			if (send_req(ex[i].request, ex[i].payload, ex[i].size, fds) != -EBADF)
				fail_msg("%s with %u fds accepted", s->name, fds);
	}
}

static void
test_fd_carrying_messages_without_fds_are_refused(void **state)
{
	static struct example ex[64];
	size_t n = examples(ex), i;

	(void)state;
	for (i = 0; i < n; i++) {
		if (ex[i].n_fds == 0)
			continue;
		if (send_req(ex[i].request, ex[i].payload, ex[i].size, 0) != -EBADF)
			fail_msg("%s without fd accepted", vhu_msg_name(ex[i].request));
		if (send_req(ex[i].request, ex[i].payload, ex[i].size, ex[i].n_fds + 1) != -EBADF)
			fail_msg("%s with an extra fd accepted", vhu_msg_name(ex[i].request));
	}
}

/* --- Header flags, unknown requests and the refusal policy. --- */

static void
test_wrong_version_flag_is_refused(void **state)
{
	(void)state;
	assert_int_equal(send_msg(VHU_REQ_GET_FEATURES, 0x0, NULL, 0, 0), -EPROTO);
	assert_int_equal(send_msg(VHU_REQ_GET_FEATURES, 0x2, NULL, 0, 0), -EPROTO);
	assert_int_equal(send_msg(VHU_REQ_GET_FEATURES, 0x3, NULL, 0, 0), -EPROTO);
	assert_int_equal(send_msg(VHU_REQ_GET_FEATURES, 0x1, NULL, 0, 0), 0);
}

static void
test_reply_or_reserved_flag_on_a_request_is_refused(void **state)
{
	(void)state;
	assert_int_equal(send_msg(VHU_REQ_GET_FEATURES, 0x1 | VHU_FLAG_REPLY, NULL, 0, 0), -EPROTO);
	assert_int_equal(send_msg(VHU_REQ_GET_FEATURES, 0x1 | 0x10, NULL, 0, 0), -EPROTO);
	assert_int_equal(send_msg(VHU_REQ_GET_FEATURES, 0x1 | 0x80000000u, NULL, 0, 0), -EPROTO);
}

static void
test_unknown_request_is_refused_and_skipped_unless_a_reply_is_needed(void **state)
{
	static const uint32_t unknown[] = {0, VHU_REQ__MAX, 44, 1000, 0x10005, UINT32_MAX};
	struct vhu_msg_hdr h = {.flags = 1};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_int_equal(send_req(unknown[i], NULL, 0, 0), -EOPNOTSUPP);
		assert_int_equal(send_req(unknown[i], "12345678", 8, 3), -EOPNOTSUPP);
		h.request = unknown[i];
		h.need_reply = false;
		assert_int_equal(vhu_msg_on_error(&h, -EOPNOTSUPP, true), VHU_MSG_IGNORE);
		h.need_reply = true;
		assert_int_equal(vhu_msg_on_error(&h, -EOPNOTSUPP, true), VHU_MSG_NACK);
		assert_int_equal(vhu_msg_on_error(&h, -EOPNOTSUPP, false), VHU_MSG_IGNORE);
	}
}

static void
test_known_but_unsupported_request_is_refused(void **state)
{
	struct vhu_msg_hdr h = {.flags = 1};

	(void)state;
	assert_int_equal(send_state(VHU_REQ_SET_VRING_ENDIAN, 0, 0), -EOPNOTSUPP);
	assert_int_equal(send_req(VHU_REQ_POSTCOPY_LISTEN, NULL, 0, 0), -EOPNOTSUPP);
	assert_int_equal(send_req(VHU_REQ_GET_INFLIGHT_FD, NULL, 0, 0), -EOPNOTSUPP);
	/* It would change state the front-end then relies on: close... */
	h.request = VHU_REQ_SET_VRING_ENDIAN;
	assert_int_equal(vhu_msg_on_error(&h, -EOPNOTSUPP, false), VHU_MSG_CLOSE);
	/* ...unless it can be told. */
	h.need_reply = true;
	assert_int_equal(vhu_msg_on_error(&h, -EOPNOTSUPP, true), VHU_MSG_NACK);
	/* A front-end waiting for a body cannot be told. */
	h.request = VHU_REQ_GET_CONFIG;
	assert_int_equal(vhu_msg_on_error(&h, -EOPNOTSUPP, true), VHU_MSG_CLOSE);
}

static void
test_refusal_of_a_status_reply_request_is_a_nack(void **state)
{
	struct vhu_msg_hdr h = {.request = VHU_REQ_IOTLB_MSG, .flags = 1};

	(void)state;
	assert_int_equal(vhu_msg_on_error(&h, -EINVAL, false), VHU_MSG_NACK);
	h.request = VHU_REQ_SET_LOG_BASE;
	assert_int_equal(vhu_msg_on_error(&h, -EOVERFLOW, false), VHU_MSG_NACK);
	h.request = VHU_REQ_SET_MEM_TABLE;
	assert_int_equal(vhu_msg_on_error(&h, -EINVAL, false), VHU_MSG_CLOSE);
	h.need_reply = true;
	assert_int_equal(vhu_msg_on_error(&h, -EINVAL, true), VHU_MSG_NACK);
	h.request = VHU_REQ_GET_VRING_BASE;
	assert_int_equal(vhu_msg_on_error(&h, -ERANGE, true), VHU_MSG_CLOSE);
}

/* --- Other per-message syntax. --- */

static void
test_iotlb_message_of_a_type_the_front_end_may_not_send_is_refused(void **state)
{
	static const uint8_t bad[] = {0, VHU_IOTLB_MISS, VHU_IOTLB_ACCESS_FAIL, 5, 255};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad); i++)
		assert_int_equal(send_iotlb(bad[i], VHU_IOTLB_PERM_RW, 0x1000, 4096, 0x1000),
				 -EINVAL);
	assert_int_equal(send_iotlb(VHU_IOTLB_INVALIDATE, 0, 0x1000, 4096, 0), 0);
}

static void
test_iotlb_message_whose_end_wraps_is_refused(void **state)
{
	(void)state;
	assert_int_equal(send_iotlb(VHU_IOTLB_UPDATE, 1, UINT64_MAX - 4095, 8192, 0x1000),
			 -EOVERFLOW);
	assert_int_equal(send_iotlb(VHU_IOTLB_UPDATE, 1, 0x1000, 8192, UINT64_MAX - 4095),
			 -EOVERFLOW);
	assert_int_equal(send_iotlb(VHU_IOTLB_INVALIDATE, 0, 1, UINT64_MAX, 0), -EOVERFLOW);
	assert_int_equal(send_iotlb(VHU_IOTLB_INVALIDATE, 0, 0x1000, 0, 0), -EINVAL);
}

static void
test_iotlb_update_without_valid_permissions_is_refused(void **state)
{
	(void)state;
	assert_int_equal(send_iotlb(VHU_IOTLB_UPDATE, 0, 0x1000, 4096, 0x1000), -EINVAL);
	assert_int_equal(send_iotlb(VHU_IOTLB_UPDATE, 4, 0x1000, 4096, 0x1000), -EINVAL);
	assert_int_equal(send_iotlb(VHU_IOTLB_UPDATE, VHU_IOTLB_PERM_RO, 0x1000, 4096, 0x1000), 0);
}

static void
test_mtu_outside_68_to_65535_is_refused(void **state)
{
	(void)state;
	assert_int_equal(send_u64(VHU_REQ_NET_SET_MTU, 0, 0), -ERANGE);
	assert_int_equal(send_u64(VHU_REQ_NET_SET_MTU, 67, 0), -ERANGE);
	assert_int_equal(send_u64(VHU_REQ_NET_SET_MTU, 65536, 0), -ERANGE);
	assert_int_equal(send_u64(VHU_REQ_NET_SET_MTU, 68, 0), 0);
	assert_int_equal(send_u64(VHU_REQ_NET_SET_MTU, 65535, 0), 0);
}

static void
test_status_wider_than_eight_bits_is_refused(void **state)
{
	(void)state;
	assert_int_equal(send_u64(VHU_REQ_SET_STATUS, 0x100, 0), -ERANGE);
	assert_int_equal(send_u64(VHU_REQ_SET_STATUS, 0xff, 0), 0);
}

static void
test_inband_notifications_without_backend_req_and_reply_ack_are_refused(void **state)
{
	const uint64_t inband = UINT64_C(1) << VHU_PROTOCOL_F_INBAND_NOTIFICATIONS;
	const uint64_t req = UINT64_C(1) << VHU_PROTOCOL_F_BACKEND_REQ;
	const uint64_t ack = UINT64_C(1) << VHU_PROTOCOL_F_REPLY_ACK;

	(void)state;
	assert_int_equal(send_u64(VHU_REQ_SET_PROTOCOL_FEATURES, inband, 0), -EINVAL);
	assert_int_equal(send_u64(VHU_REQ_SET_PROTOCOL_FEATURES, inband | req, 0), -EINVAL);
	assert_int_equal(send_u64(VHU_REQ_SET_PROTOCOL_FEATURES, inband | ack, 0), -EINVAL);
	assert_int_equal(send_u64(VHU_REQ_SET_PROTOCOL_FEATURES, inband | req | ack, 0), 0);
}

/* --- Names and replies. --- */

static void
test_names_come_from_the_table_or_say_unknown(void **state)
{
	(void)state;
	assert_string_equal(vhu_msg_name(VHU_REQ_SET_MEM_TABLE), "SET_MEM_TABLE");
	assert_string_equal(vhu_msg_name(VHU_REQ_GET_STATUS), "GET_STATUS");
	assert_string_equal(vhu_msg_name(VHU_REQ_VRING_KICK), "VRING_KICK");
	assert_string_equal(vhu_msg_name(0), "UNKNOWN(0)");
	assert_string_equal(vhu_msg_name(44), "UNKNOWN(44)");
	assert_string_equal(vhu_msg_name(UINT32_MAX), "UNKNOWN(4294967295)");
	for (uint32_t r = 1; r < VHU_REQ__MAX; r++)
		assert_non_null(vhu_msg_spec_of(r));
}

static void
test_replies_carry_the_reply_flag_and_their_payload(void **state)
{
	uint8_t buf[VHU_MSG_MAX_REPLY];
	struct vhu_wire_hdr w;
	struct vhu_wire_vring_state s;
	uint64_t v;

	(void)state;
	assert_int_equal(vhu_msg_build_u64_reply(buf, sizeof(buf), VHU_REQ_GET_FEATURES,
						 UINT64_C(0x140000000)),
			 20);
	memcpy(&w, buf, sizeof(w));
	memcpy(&v, buf + sizeof(w), sizeof(v));
	assert_int_equal(w.request, VHU_REQ_GET_FEATURES);
	assert_int_equal(w.flags, VHU_FLAG_VERSION | VHU_FLAG_REPLY);
	assert_int_equal(w.size, 8);
	assert_true(v == UINT64_C(0x140000000));

	assert_int_equal(vhu_msg_build_state_reply(buf, sizeof(buf), VHU_REQ_GET_VRING_BASE, 3, 77),
			 20);
	memcpy(&s, buf + sizeof(w), sizeof(s));
	assert_int_equal(s.index, 3);
	assert_int_equal(s.num, 77);

	assert_int_equal(vhu_msg_build_ack(buf, sizeof(buf), VHU_REQ_SET_MEM_TABLE, 0), 20);
	memcpy(&v, buf + sizeof(w), sizeof(v));
	assert_true(v == 0);
	assert_int_equal(vhu_msg_build_ack(buf, sizeof(buf), VHU_REQ_SET_MEM_TABLE, -EINVAL), 20);
	memcpy(&v, buf + sizeof(w), sizeof(v));
	assert_true(v == EINVAL);

	assert_int_equal(vhu_msg_build_u64_reply(buf, 19, VHU_REQ_GET_FEATURES, 0), 0);
	assert_int_equal(vhu_msg_build_state_reply(buf, 0, VHU_REQ_GET_VRING_BASE, 0, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_message_of_every_supported_request_is_accepted),
		cmocka_unit_test(test_decode_fills_host_structs),
		cmocka_unit_test(test_mem_table_with_zero_regions_is_refused),
		cmocka_unit_test(test_mem_table_with_more_than_eight_regions_is_refused),
		cmocka_unit_test(test_mem_table_whose_size_disagrees_with_nregions_is_refused),
		cmocka_unit_test(test_mem_table_with_overlapping_regions_is_refused),
		cmocka_unit_test(test_mem_table_overlap_check_agrees_with_a_reference),
		cmocka_unit_test(test_mem_table_region_of_size_zero_is_refused),
		cmocka_unit_test(test_mem_table_region_whose_guest_end_wraps_is_refused),
		cmocka_unit_test(test_mem_table_region_whose_user_end_wraps_is_refused),
		cmocka_unit_test(test_mem_table_region_whose_size_plus_offset_overflows_is_refused),
		cmocka_unit_test(test_region_that_would_align_to_a_zero_size_mmap_is_refused),
		cmocka_unit_test(test_add_mem_reg_without_its_fd_is_refused),
		cmocka_unit_test(test_rem_mem_reg_accepts_one_stray_fd_and_ignores_the_mmap_offset),
		cmocka_unit_test(test_mem_table_with_fewer_or_more_fds_than_regions_is_refused),
		cmocka_unit_test(test_log_base_whose_size_plus_offset_overflows_is_refused),
		cmocka_unit_test(test_log_base_of_size_zero_or_without_fd_is_refused),
		cmocka_unit_test(test_vring_index_at_or_above_the_maximum_is_refused),
		cmocka_unit_test(test_vring_index_0x10000_is_not_truncated_to_ring_0),
		cmocka_unit_test(test_vring_fd_messages_with_index_above_the_maximum_are_refused),
		cmocka_unit_test(test_vring_fd_message_with_reserved_bits_is_refused),
		cmocka_unit_test(test_vring_kick_with_nofd_bit_must_come_without_fd),
		cmocka_unit_test(test_vring_num_zero_is_refused),
		cmocka_unit_test(test_vring_num_above_32768_is_refused),
		cmocka_unit_test(test_vring_num_not_a_power_of_two_is_left_to_the_ring_type_check),
		cmocka_unit_test(test_vring_enable_other_than_zero_or_one_is_refused),
		cmocka_unit_test(test_vring_addr_with_unknown_flags_is_refused),
		cmocka_unit_test(test_truncated_payloads_are_refused_at_every_length),
		cmocka_unit_test(test_oversized_payloads_are_refused_at_every_length),
		cmocka_unit_test(test_header_announcing_more_than_the_largest_payload_is_refused),
		cmocka_unit_test(test_truncated_header_is_refused_at_every_length),
		cmocka_unit_test(test_payload_length_disagreeing_with_the_header_is_refused),
		cmocka_unit_test(test_fds_on_messages_that_take_none_are_refused),
		cmocka_unit_test(test_fd_carrying_messages_without_fds_are_refused),
		cmocka_unit_test(test_wrong_version_flag_is_refused),
		cmocka_unit_test(test_reply_or_reserved_flag_on_a_request_is_refused),
		cmocka_unit_test(
			test_unknown_request_is_refused_and_skipped_unless_a_reply_is_needed),
		cmocka_unit_test(test_known_but_unsupported_request_is_refused),
		cmocka_unit_test(test_refusal_of_a_status_reply_request_is_a_nack),
		cmocka_unit_test(
			test_iotlb_message_of_a_type_the_front_end_may_not_send_is_refused),
		cmocka_unit_test(test_iotlb_message_whose_end_wraps_is_refused),
		cmocka_unit_test(test_iotlb_update_without_valid_permissions_is_refused),
		cmocka_unit_test(test_mtu_outside_68_to_65535_is_refused),
		cmocka_unit_test(test_status_wider_than_eight_bits_is_refused),
		cmocka_unit_test(
			test_inband_notifications_without_backend_req_and_reply_ack_are_refused),
		cmocka_unit_test(test_names_come_from_the_table_or_say_unknown),
		cmocka_unit_test(test_replies_carry_the_reply_flag_and_their_payload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
