/* vfio_info.c: the GET_INFO / GET_REGION_INFO parsers on hand-built answers,
 * one test per refusal. */
#include <errno.h>
#include <linux/vfio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "vfio.h"

/* An answer being built: the fixed struct, then capabilities. */
struct ans {
	uint8_t b[4096];
	size_t used;
	size_t prev_next; /* where the last capability's 'next' is, 0: none */
	size_t first_field;
};

static void
put32(struct ans *a, size_t off, uint32_t v)
{
	memcpy(a->b + off, &v, 4);
}

static void
put64(struct ans *a, size_t off, uint64_t v)
{
	memcpy(a->b + off, &v, 8);
}

static void
iommu_ans(struct ans *a, uint32_t flags, uint64_t pgsizes)
{
	memset(a, 0, sizeof(*a));
	a->used = sizeof(struct vfio_iommu_type1_info);
	a->first_field = offsetof(struct vfio_iommu_type1_info, cap_offset);
	put32(a, 4, flags);
	put64(a, 8, pgsizes);
}

static void
region_ans(struct ans *a, uint32_t index, uint32_t flags, uint64_t size)
{
	memset(a, 0, sizeof(*a));
	a->used = sizeof(struct vfio_region_info);
	a->first_field = offsetof(struct vfio_region_info, cap_offset);
	put32(a, 4, flags);
	put32(a, 8, index);
	put64(a, 16, size);
	put64(a, 24, (uint64_t)index << 40);
}

/* Appends a capability; returns its offset. */
static size_t
cap(struct ans *a, uint16_t id, const void *body, size_t len)
{
	size_t off = (a->used + 7) & ~(size_t)7;
	uint16_t v = 1;
	memcpy(a->b + off, &id, 2);
	memcpy(a->b + off + 2, &v, 2);
	put32(a, off + 4, 0);
	memcpy(a->b + off + 8, body, len);
	put32(a, a->prev_next ? a->prev_next : a->first_field, (uint32_t)off);
	a->prev_next = off + 4;
	a->used = off + 8 + len;
	return off;
}

static size_t
ranges_cap(struct ans *a, uint32_t n, const uint64_t *se)
{
	uint8_t body[8 + 16 * 8] = {0};
	memcpy(body, &n, 4);
	memcpy(body + 8, se, 16 * n);
	return cap(a, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, body, 8 + 16 * n);
}

static size_t
done(struct ans *a)
{
	put32(a, 0, (uint32_t)a->used);
	return a->used;
}

static const uint64_t x86[] = {0, 0xfedfffff, 0xfef00000, 0x7fffffffff};

static void
iommu_good(void **state)
{
	struct vfio_iommu_desc d;
	struct ans a;
	uint32_t avail = 65000;
	(void)state;

	iommu_ans(&a, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, 0x40201000);
	ranges_cap(&a, 2, x86);
	uint8_t mig[24] = {0};
	cap(&a, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, mig, sizeof(mig)); /* skipped */
	cap(&a, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, &avail, 4);
	size_t n = done(&a);
	assert_int_equal(vfio_parse_iommu_info(a.b, n, &d, NULL, NULL), 0);
	assert_int_equal(d.pgsizes, 0x40201000);
	assert_true(d.has_ranges);
	assert_int_equal(d.n_ranges, 2);
	assert_int_equal(d.ranges[0].end, 0xfedfffff);
	assert_int_equal(d.ranges[1].start, 0xfef00000);
	assert_true(d.has_dma_avail);
	assert_int_equal(d.dma_avail, 65000);
}

static void
iommu_no_caps(void **state)
{
	struct vfio_iommu_desc d;
	struct ans a;
	(void)state;

	iommu_ans(&a, VFIO_IOMMU_INFO_PGSIZES, 0x1000);
	ranges_cap(&a, 2, x86); /* present, but the flag says no caps */
	assert_int_equal(vfio_parse_iommu_info(a.b, done(&a), &d, NULL, NULL), 0);
	assert_false(d.has_ranges);
	assert_int_equal(d.pgsizes, 0x1000);
}

static void
iommu_too_short(void **state)
{
	struct vfio_iommu_desc d;
	struct ans a;
	struct iovs_err err;
	(void)state;

	iommu_ans(&a, 0, 0);
	assert_int_equal(vfio_parse_iommu_info(a.b, 15, &d, NULL, &err), -EBADMSG);
	put32(&a, 0, 8);
	assert_int_equal(vfio_parse_iommu_info(a.b, 24, &d, NULL, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "argsz 8"));
}

static void
iommu_needs_more(void **state)
{
	struct vfio_iommu_desc d;
	struct ans a;
	uint32_t need = 0;
	(void)state;

	iommu_ans(&a, VFIO_IOMMU_INFO_CAPS, 0);
	ranges_cap(&a, 2, x86);
	size_t n = done(&a);
	assert_int_equal(vfio_parse_iommu_info(a.b, 24, &d, &need, NULL), -EMSGSIZE);
	assert_int_equal(need, n);
}

static void
iommu_cap_in_fixed_part(void **state)
{
	struct vfio_iommu_desc d;
	struct ans a;
	(void)state;

	iommu_ans(&a, VFIO_IOMMU_INFO_CAPS, 0);
	ranges_cap(&a, 2, x86);
	put32(&a, a.first_field, 8); /* inside the fixed struct */
	assert_int_equal(vfio_parse_iommu_info(a.b, done(&a), &d, NULL, NULL), -EBADMSG);
}

static void
iommu_cap_past_end(void **state)
{
	struct vfio_iommu_desc d;
	struct ans a;
	(void)state;

	iommu_ans(&a, VFIO_IOMMU_INFO_CAPS, 0);
	ranges_cap(&a, 2, x86);
	size_t n = done(&a);
	put32(&a, a.first_field, (uint32_t)n - 4); /* header sticks out */
	assert_int_equal(vfio_parse_iommu_info(a.b, n, &d, NULL, NULL), -EBADMSG);
}

static void
iommu_cap_loop(void **state)
{
	struct vfio_iommu_desc d;
	struct ans a;
	struct iovs_err err;
	uint32_t avail = 1;
	(void)state;

	iommu_ans(&a, VFIO_IOMMU_INFO_CAPS, 0);
	size_t first = cap(&a, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, &avail, 4);
	put32(&a, first + 4, (uint32_t)first); /* points to itself */
	assert_int_equal(vfio_parse_iommu_info(a.b, done(&a), &d, NULL, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "points back"));
	size_t second = cap(&a, 99, &avail, 4);
	put32(&a, first + 4, (uint32_t)second);
	put32(&a, second + 4, (uint32_t)first); /* two-cap loop */
	assert_int_equal(vfio_parse_iommu_info(a.b, done(&a), &d, NULL, NULL), -EBADMSG);
}

static void
iommu_next_past_argsz(void **state)
{
	struct vfio_iommu_desc d;
	struct ans a;
	uint32_t avail = 1;
	(void)state;

	iommu_ans(&a, VFIO_IOMMU_INFO_CAPS, 0);
	size_t first = cap(&a, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, &avail, 4);
	put32(&a, first + 4, 4000);
	assert_int_equal(vfio_parse_iommu_info(a.b, done(&a), &d, NULL, NULL), -EBADMSG);
}

static void
iommu_too_many_hops(void **state)
{
	struct vfio_iommu_desc d;
	struct ans a;
	struct iovs_err err;
	(void)state;

	iommu_ans(&a, VFIO_IOMMU_INFO_CAPS, 0);
	for (int i = 0; i < VFIO_CAP_HOPS_MAX; i++)
		cap(&a, 77, "", 0);
	assert_int_equal(vfio_parse_iommu_info(a.b, done(&a), &d, NULL, NULL), 0);
	cap(&a, 77, "", 0);
	assert_int_equal(vfio_parse_iommu_info(a.b, done(&a), &d, NULL, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "more than 64"));
}

static void
iommu_ranges_do_not_fit(void **state)
{
	struct vfio_iommu_desc d;
	struct ans a;
	(void)state;

	iommu_ans(&a, VFIO_IOMMU_INFO_CAPS, 0);
	size_t off = ranges_cap(&a, 2, x86);
	put32(&a, off + 8, 3); /* claims 3, has room for 2 */
	assert_int_equal(vfio_parse_iommu_info(a.b, done(&a), &d, NULL, NULL), -EBADMSG);
	put32(&a, off + 8, 0xffffffff);
	assert_int_equal(vfio_parse_iommu_info(a.b, done(&a), &d, NULL, NULL), -E2BIG);
}

static void
iommu_range_backwards(void **state)
{
	struct vfio_iommu_desc d;
	struct ans a;
	const uint64_t bad[] = {0x2000, 0x1000};
	(void)state;

	iommu_ans(&a, VFIO_IOMMU_INFO_CAPS, 0);
	ranges_cap(&a, 1, bad);
	assert_int_equal(vfio_parse_iommu_info(a.b, done(&a), &d, NULL, NULL), -EBADMSG);
}

static void
iommu_two_range_caps(void **state)
{
	struct vfio_iommu_desc d;
	struct ans a;
	(void)state;

	iommu_ans(&a, VFIO_IOMMU_INFO_CAPS, 0);
	ranges_cap(&a, 2, x86);
	ranges_cap(&a, 2, x86);
	assert_int_equal(vfio_parse_iommu_info(a.b, done(&a), &d, NULL, NULL), -EBADMSG);
}

static void
iommu_dma_avail_cut(void **state)
{
	struct vfio_iommu_desc d;
	struct ans a;
	uint16_t half = 1;
	(void)state;

	iommu_ans(&a, VFIO_IOMMU_INFO_CAPS, 0);
	cap(&a, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, &half, 2);
	assert_int_equal(vfio_parse_iommu_info(a.b, done(&a), &d, NULL, NULL), -EBADMSG);
}

/* ---- regions ---- */

static size_t
sparse_cap(struct ans *a, uint32_t n, const uint64_t *os)
{
	uint8_t body[8 + 16 * 40] = {0};
	memcpy(body, &n, 4);
	memcpy(body + 8, os, 16 * n);
	return cap(a, VFIO_REGION_INFO_CAP_SPARSE_MMAP, body, 8 + 16 * n);
}

static void
region_sparse(void **state)
{
	struct vfio_region_desc d;
	struct ans a;
	const uint64_t areas[] = {0, 0x2000, 0x2000, 0, 0x3000, 0x1000};
	(void)state;

	region_ans(&a, 0, 0xf, 0x4000);
	sparse_cap(&a, 3, areas);
	assert_int_equal(vfio_parse_region_info(a.b, done(&a), &d, NULL, NULL), 0);
	assert_true(d.sparse);
	assert_int_equal(d.n_areas, 2); /* the empty one skipped */
	assert_int_equal(d.areas[1].offset, 0x3000);
	assert_int_equal(d.offset, 0);
}

static void
region_whole_or_nothing(void **state)
{
	struct vfio_region_desc d;
	struct ans a;
	const uint64_t areas[] = {0, 0x1000};
	(void)state;

	region_ans(&a, 1, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_MMAP, 0x8000);
	assert_int_equal(vfio_parse_region_info(a.b, done(&a), &d, NULL, NULL), 0);
	assert_int_equal(d.n_areas, 1);
	assert_int_equal(d.areas[0].size, 0x8000);
	assert_int_equal(d.offset, 1ull << 40);
	/* Areas listed but no MMAP flag: nothing may be mapped. */
	region_ans(&a, 2, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_CAPS, 0x8000);
	sparse_cap(&a, 1, areas);
	assert_int_equal(vfio_parse_region_info(a.b, done(&a), &d, NULL, NULL), 0);
	assert_int_equal(d.n_areas, 0);
}

static void
region_area_outside(void **state)
{
	struct vfio_region_desc d;
	struct ans a;
	const uint64_t areas[] = {0x3000, 0x2000};
	const uint64_t wrap[] = {0x1000, UINT64_MAX};
	(void)state;

	region_ans(&a, 0, 0xf, 0x4000);
	sparse_cap(&a, 1, areas);
	assert_int_equal(vfio_parse_region_info(a.b, done(&a), &d, NULL, NULL), -EBADMSG);
	region_ans(&a, 0, 0xf, 0x4000);
	sparse_cap(&a, 1, wrap);
	assert_int_equal(vfio_parse_region_info(a.b, done(&a), &d, NULL, NULL), -EBADMSG);
}

static void
region_too_many_areas(void **state)
{
	struct vfio_region_desc d;
	struct ans a;
	uint64_t areas[2 * 33] = {0};
	(void)state;

	region_ans(&a, 0, 0xf, 0x100000);
	sparse_cap(&a, 33, areas);
	assert_int_equal(vfio_parse_region_info(a.b, done(&a), &d, NULL, NULL), -E2BIG);
}

static void
region_short_and_needs_more(void **state)
{
	struct vfio_region_desc d;
	struct ans a;
	uint32_t need = 0;
	const uint64_t areas[] = {0, 0x1000};
	(void)state;

	region_ans(&a, 0, 0xf, 0x4000);
	sparse_cap(&a, 1, areas);
	size_t n = done(&a);
	assert_int_equal(vfio_parse_region_info(a.b, 31, &d, NULL, NULL), -EBADMSG);
	assert_int_equal(vfio_parse_region_info(a.b, 32, &d, &need, NULL), -EMSGSIZE);
	assert_int_equal(need, n);
	put32(&a, 0, 16);
	assert_int_equal(vfio_parse_region_info(a.b, n, &d, NULL, NULL), -EBADMSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(iommu_good),
		cmocka_unit_test(iommu_no_caps),
		cmocka_unit_test(iommu_too_short),
		cmocka_unit_test(iommu_needs_more),
		cmocka_unit_test(iommu_cap_in_fixed_part),
		cmocka_unit_test(iommu_cap_past_end),
		cmocka_unit_test(iommu_cap_loop),
		cmocka_unit_test(iommu_next_past_argsz),
		cmocka_unit_test(iommu_too_many_hops),
		cmocka_unit_test(iommu_ranges_do_not_fit),
		cmocka_unit_test(iommu_range_backwards),
		cmocka_unit_test(iommu_two_range_caps),
		cmocka_unit_test(iommu_dma_avail_cut),
		cmocka_unit_test(region_sparse),
		cmocka_unit_test(region_whole_or_nothing),
		cmocka_unit_test(region_area_outside),
		cmocka_unit_test(region_too_many_areas),
		cmocka_unit_test(region_short_and_needs_more),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
