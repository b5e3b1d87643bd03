/* struct iommu_as: every error path by name, the boundaries of the 64-bit
 * space, VFIO type1v2 unmap, IOTLB invalidate, the allocator around reserved
 * ranges, then random operations against the linear model
 * (iommu_as_model.c, CONVENTIONS.md 15). IOMMU_SEED=n replays a model run. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "iommu_as_model.h"
#include "iommu_priv.h"

#define PG  UINT64_C(0x1000)
#define TOP UINT64_MAX
#define RW  IOMMU_PERM_RW
#define RD  IOMMU_PERM_READ
#define WR  IOMMU_PERM_WRITE

static const struct iommu_range x86[] = {{0, 0xfedfffff}, {0xfef00000, (UINT64_C(1) << 48) - 1}};

static struct iommu_as *
new_as(const struct iommu_range *valid, size_t n, uint64_t pgsizes, uint64_t max)
{
	struct iommu_as_config cfg = {valid, n, pgsizes, max};
	struct iommu_as *as = NULL;

	assert_int_equal(iommu_as_create(&cfg, &as), 0);
	assert_non_null(as);
	return as;
}

static void
check(const struct iommu_as *as)
{
	char why[256] = "";

	if (iommu_as_check(as, why, sizeof(why)) != 0)
		fail_msg("%s", why);
}

static uint64_t
n_mappings(const struct iommu_as *as)
{
	struct iommu_as_stats st;

	iommu_as_get_stats(as, &st);
	return st.mappings;
}

static void
test_create_errors(void **state)
{
	const struct iommu_range bad = {0x2000, 0x1fff};
	struct iommu_as_config cfg = {0};
	struct iommu_as *as = NULL;

	(void)state;
	assert_int_equal(iommu_as_create(NULL, &as), -EINVAL);
	cfg.n_valid = 1; /* valid NULL */
	assert_int_equal(iommu_as_create(&cfg, &as), -EINVAL);
	cfg.valid = &bad; /* start > end */
	assert_int_equal(iommu_as_create(&cfg, &as), -EINVAL);
	cfg.n_valid = (1u << 20) + 1;
	assert_int_equal(iommu_as_create(&cfg, &as), -EINVAL);
	assert_null(as);
	iommu_as_destroy(NULL);
}

/* Unsorted, overlapping and adjacent ranges merge; the smallest page wins. */
static void
test_create_merges(void **state)
{
	const struct iommu_range in[] = {{0x5000, 0x5fff}, {0, 0xfff},	     {0x1000, 0x1fff},
					 {0x4000, 0x4fff}, {0x4800, 0x6fff}, {TOP - 1, TOP}};
	const struct iommu_range *v;
	struct iommu_as *as = new_as(in, 6, (PG << 9) | PG, 0);
	size_t n;

	(void)state;
	v = iommu_as_valid_ranges(as, &n);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].start, 0);
	assert_int_equal(v[0].end, 0x1fff);
	assert_int_equal(v[1].start, 0x4000);
	assert_int_equal(v[1].end, 0x6fff);
	assert_int_equal(v[2].start, TOP - 1);
	assert_int_equal(v[2].end, TOP);
	assert_int_equal(iommu_as_page_size(as), PG);
	iommu_as_destroy(as);
	as = new_as(NULL, 0, 0, 0);
	v = iommu_as_valid_ranges(as, &n);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].start, 0);
	assert_int_equal(v[0].end, TOP);
	assert_int_equal(iommu_as_page_size(as), 1);
	iommu_as_destroy(as);
}

static void
test_map_einval(void **state)
{
	struct iommu_as *as = new_as(x86, 2, PG, 0);

	(void)state;
	assert_int_equal(iommu_as_map(as, 0x1000, 0, 0x1000, RW), -EINVAL);	 /* size 0 */
	assert_int_equal(iommu_as_map(as, 0x1000, PG, 0x1000, 0), -EINVAL);	 /* no perm */
	assert_int_equal(iommu_as_map(as, 0x1000, PG, 0x1000, 4), -EINVAL);	 /* unknown */
	assert_int_equal(iommu_as_map(as, 0x1001, PG, 0x1000, RW), -EINVAL);	 /* iova */
	assert_int_equal(iommu_as_map(as, 0x1000, PG + 1, 0x1000, RW), -EINVAL); /* size */
	assert_int_equal(iommu_as_map(as, 0x1000, PG, 0x1800, RW), -EINVAL);	 /* target */
	assert_int_equal(n_mappings(as), 0);
	iommu_as_destroy(as);
}

static void
test_map_eoverflow(void **state)
{
	struct iommu_as *as = new_as(NULL, 0, 0, 0);

	(void)state;
	assert_int_equal(iommu_as_map(as, TOP, 2, 0, RW), -EOVERFLOW);
	assert_int_equal(iommu_as_map(as, 1, TOP, 0, RW), 0); /* ends at TOP exactly */
	assert_int_equal(iommu_as_map(as, 0, 1, TOP, RW), 0);
	assert_int_equal(iommu_as_invalidate(as, 0, TOP, NULL), 0);
	assert_int_equal(iommu_as_map(as, 0, TOP, 2, RW), -EOVERFLOW);	    /* target wraps */
	assert_int_equal(iommu_as_map(as, 0x1000, 2, TOP, RW), -EOVERFLOW); /* target wraps */
	assert_int_equal(n_mappings(as), 1);				    /* the byte at TOP */
	assert_int_equal(iommu_as_map(as, 0, TOP, 1, WR), 0); /* target ends at TOP: fits */
	assert_int_equal(n_mappings(as), 2);
	check(as);
	iommu_as_destroy(as);
}

/* -ERANGE outside the aperture, -EADDRNOTAVAIL in or across the MSI hole. */
static void
test_map_aperture_and_holes(void **state)
{
	const struct iommu_range above[] = {{0x10000, 0x1ffff}};
	struct iommu_as *as = new_as(x86, 2, PG, 0);

	(void)state;
	assert_int_equal(iommu_as_map(as, UINT64_C(1) << 48, PG, 0, RW), -ERANGE);
	assert_int_equal(iommu_as_map(as, (UINT64_C(1) << 48) - PG, 2 * PG, 0, RW), -ERANGE);
	assert_int_equal(iommu_as_map(as, 0xfee00000, PG, 0, RW), -EADDRNOTAVAIL);
	assert_int_equal(iommu_as_map(as, 0xfeeff000, PG, 0, RW), -EADDRNOTAVAIL);
	assert_int_equal(iommu_as_map(as, 0xfedff000, 2 * PG, 0, RW), -EADDRNOTAVAIL);
	assert_int_equal(iommu_as_map(as, 0xfedff000, 0x102000, 0, RW), -EADDRNOTAVAIL);
	/* right up to the hole on both sides */
	assert_int_equal(iommu_as_map(as, 0xfedff000, PG, 0, RW), 0);
	assert_int_equal(iommu_as_map(as, 0xfef00000, PG, 0x1000, RW), 0);
	assert_int_equal(iommu_as_map(as, (UINT64_C(1) << 48) - PG, PG, 0, RW), 0);
	iommu_as_destroy(as);
	as = new_as(above, 1, PG, 0);
	assert_int_equal(iommu_as_map(as, 0, PG, 0, RW), -ERANGE); /* iova 0 reserved */
	assert_int_equal(iommu_as_map(as, 0xf000, 2 * PG, 0, RW), -ERANGE);
	assert_int_equal(iommu_as_map(as, 0x10000, PG, 0, RW), 0);
	iommu_as_destroy(as);
}

/* Adjacent on either side is fine; a single shared byte is not. */
static void
test_map_eexist(void **state)
{
	struct iommu_as *as = new_as(NULL, 0, 0, 0);
	struct iommu_as_stats st;

	(void)state;
	assert_int_equal(iommu_as_map(as, 0x1000, 0x1000, 0xa000, RW), 0);
	assert_int_equal(iommu_as_map(as, 0x2000, 0x1000, 0xb000, RW), 0);	 /* above */
	assert_int_equal(iommu_as_map(as, 0, 0x1000, 0xc000, RW), 0);		 /* below, at 0 */
	assert_int_equal(iommu_as_map(as, 0x2fff, 1, 0, RW), -EEXIST);		 /* last byte */
	assert_int_equal(iommu_as_map(as, 0x3000 - 1, 2, 0, RW), -EEXIST);	 /* one byte */
	assert_int_equal(iommu_as_map(as, 0x800, 0x10000, 0, RW), -EEXIST);	 /* covers all */
	assert_int_equal(iommu_as_map(as, 0x1800, 0x10, 0, RW), -EEXIST);	 /* inside */
	assert_int_equal(iommu_as_map(as, 0x1000, 0x1000, 0xa000, RW), -EEXIST); /* same */
	assert_int_equal(iommu_as_map(as, 0x3000, 1, 0, RW), 0);
	assert_int_equal(iommu_as_map(as, TOP, 1, 0, RW), 0); /* the last byte */
	assert_int_equal(iommu_as_map(as, TOP - 1, 2, 0, RW), -EEXIST);
	iommu_as_get_stats(as, &st);
	assert_int_equal(st.mappings, 5);
	assert_int_equal(st.mapped_bytes, 0x3002);
	assert_int_equal(st.maps, 5);
	assert_int_equal(st.maps_refused, 6);
	check(as);
	iommu_as_destroy(as);
}

static void
test_map_enospc_limit(void **state)
{
	struct iommu_as *as = new_as(NULL, 0, PG, 2);

	(void)state;
	assert_int_equal(iommu_as_map(as, 0, PG, 0, RW), 0);
	assert_int_equal(iommu_as_map(as, PG, PG, 0, RW), 0);
	assert_int_equal(iommu_as_map(as, 4 * PG, PG, 0, RW), -ENOSPC);
	assert_int_equal(iommu_as_map(as, 0, PG, 0, RW), -EEXIST); /* EEXIST first */
	assert_int_equal(iommu_as_free(as, 0, NULL), 0);
	assert_int_equal(iommu_as_map(as, 4 * PG, PG, 0, RW), 0);
	iommu_as_destroy(as);
}

/* All of 2^64 mapped: mapped_bytes saturates. */
static void
test_whole_space(void **state)
{
	struct iommu_as *as = new_as(NULL, 0, 0, 0);
	struct iommu_as_stats st;
	uint64_t len = TOP, t, bytes;

	(void)state;
	assert_int_equal(iommu_as_map(as, 0, 1, 0x100, RD), 0);
	assert_int_equal(iommu_as_map(as, 1, TOP, 0, RW), 0);
	iommu_as_get_stats(as, &st);
	assert_int_equal(st.mapped_bytes, TOP);
	assert_int_equal(iommu_as_translate(as, 0, &len, RD, &t), 0);
	assert_int_equal(t, 0x100);
	assert_int_equal(len, 1);
	len = TOP;
	assert_int_equal(iommu_as_translate(as, TOP, &len, WR, &t), 0);
	assert_int_equal(t, TOP - 1);
	assert_int_equal(len, 1);
	assert_int_equal(iommu_as_unmap(as, 1, TOP, &bytes), 0);
	assert_int_equal(bytes, TOP);
	check(as);
	iommu_as_destroy(as);
}

static void
test_translate(void **state)
{
	struct iommu_as *as = new_as(NULL, 0, PG, 0);
	uint64_t len, t = 0;

	(void)state;
	assert_int_equal(iommu_as_map(as, 0x10000, 0x4000, 0x7f0000000000, RD), 0);
	assert_int_equal(iommu_as_map(as, 0x14000, 0x1000, 0x1000, RW), 0);
	len = 0x100;
	assert_int_equal(iommu_as_translate(as, 0x10010, &len, RD, &t), 0);
	assert_int_equal(t, 0x7f0000000010);
	assert_int_equal(len, 0x100); /* all of it */
	len = 0x10000;		      /* cut at the mapping's end, not merged with the next */
	assert_int_equal(iommu_as_translate(as, 0x13ff0, &len, RD, &t), 0);
	assert_int_equal(len, 0x10);
	len = TOP;
	assert_int_equal(iommu_as_translate(as, 0x14fff, &len, RW, &t), 0);
	assert_int_equal(t, 0x1fff);
	assert_int_equal(len, 1);
	len = 1;
	assert_int_equal(iommu_as_translate(as, 0x10000, &len, WR, &t), -EACCES);
	assert_int_equal(iommu_as_translate(as, 0x10000, &len, RW, &t), -EACCES);
	assert_int_equal(iommu_as_translate(as, 0xffff, &len, RD, &t), -ENOENT);
	assert_int_equal(iommu_as_translate(as, 0x15000, &len, RD, &t), -ENOENT);
	assert_int_equal(iommu_as_translate(as, 0, &len, RD, &t), -ENOENT);
	assert_int_equal(iommu_as_translate(as, TOP, &len, RD, &t), -ENOENT);
	assert_int_equal(iommu_as_translate(as, 0x10000, &len, 0, &t), -EINVAL);
	assert_int_equal(iommu_as_translate(as, 0x10000, &len, 8, &t), -EINVAL);
	len = 0;
	assert_int_equal(iommu_as_translate(as, 0x10000, &len, RD, &t), -EINVAL);
	iommu_as_destroy(as);
}

/* VFIO type1v2: whole mappings only, a covering range takes all inside. */
static void
test_unmap_v2(void **state)
{
	struct iommu_as *as = new_as(NULL, 0, PG, 0);
	uint64_t bytes = 1;

	(void)state;
	for (uint64_t i = 0; i < 8; i += 2) /* 0x10000, 0x12000, 0x14000, 0x16000 */
		assert_int_equal(iommu_as_map(as, 0x10000 + i * PG, PG, 0, RW), 0);
	assert_int_equal(iommu_as_map(as, 0x20000, 4 * PG, 0, RW), 0);
	assert_int_equal(iommu_as_unmap(as, 0x20000, PG, &bytes), -EINVAL);	/* end inside */
	assert_int_equal(iommu_as_unmap(as, 0x21000, 3 * PG, &bytes), -EINVAL); /* start */
	assert_int_equal(iommu_as_unmap(as, 0x21000, PG, &bytes), -EINVAL);	/* both */
	assert_int_equal(iommu_as_unmap(as, 0x20800, PG, &bytes), -EINVAL);	/* align */
	assert_int_equal(iommu_as_unmap(as, 0x20000, PG + 1, &bytes), -EINVAL);
	assert_int_equal(iommu_as_unmap(as, 0x20000, 0, &bytes), -EINVAL);
	assert_int_equal(iommu_as_unmap(as, 0xfffffffffffff000, 2 * PG, &bytes), -EOVERFLOW);
	assert_int_equal(bytes, 1);
	assert_int_equal(n_mappings(as), 5);
	assert_int_equal(iommu_as_unmap(as, 0x30000, PG, &bytes), 0); /* nothing there */
	assert_int_equal(bytes, 0);
	/* covers 0x12000 and 0x14000 whole and the holes around them */
	assert_int_equal(iommu_as_unmap(as, 0x11000, 5 * PG, &bytes), 0);
	assert_int_equal(bytes, 2 * PG);
	assert_int_equal(n_mappings(as), 3);
	assert_int_equal(iommu_as_unmap(as, 0, 0xfffffffffffff000, &bytes), 0); /* all */
	assert_int_equal(bytes, 6 * PG);
	assert_int_equal(n_mappings(as), 0);
	/* the last page of the space */
	assert_int_equal(iommu_as_map(as, 0 - PG, PG, 0, RW), 0);
	assert_int_equal(iommu_as_unmap(as, 0 - PG, PG, NULL), 0);
	assert_int_equal(n_mappings(as), 0);
	check(as);
	iommu_as_destroy(as);
}

static void
expect_mapping(const struct iommu_as *as, uint64_t at, uint64_t iova, uint64_t size,
	       uint64_t target)
{
	struct iommu_mapping m;

	assert_int_equal(iommu_as_find(as, at, &m), 0);
	assert_int_equal(m.iova, iova);
	assert_int_equal(m.size, size);
	assert_int_equal(m.target, target);
}

/* IOTLB: split in the middle, trim either end, byte granular on paged AS. */
static void
test_invalidate(void **state)
{
	struct iommu_as *as = new_as(NULL, 0, PG, 0);
	struct iommu_as_stats st;
	uint64_t bytes;

	(void)state;
	assert_int_equal(iommu_as_map(as, 0x10000, 0x10000, 0x100000, RW), 0);
	assert_int_equal(iommu_as_invalidate(as, 0x18000, 0x10, &bytes), 0); /* split */
	assert_int_equal(bytes, 0x10);
	expect_mapping(as, 0, 0x10000, 0x8000, 0x100000);
	expect_mapping(as, 0x18000, 0x18010, 0x7ff0, 0x108010);
	assert_int_equal(iommu_as_invalidate(as, 0xf000, 0x1001, &bytes), 0); /* bottom */
	assert_int_equal(bytes, 1);
	expect_mapping(as, 0, 0x10001, 0x7fff, 0x100001);
	assert_int_equal(iommu_as_invalidate(as, 0x1ffff, 0x10, &bytes), 0); /* top */
	assert_int_equal(bytes, 1);
	expect_mapping(as, 0x18000, 0x18010, 0x7fef, 0x108010);
	/* across both pieces and the hole between */
	assert_int_equal(iommu_as_invalidate(as, 0x17fff, 0x12, &bytes), 0);
	assert_int_equal(bytes, 2); /* the hole between is not counted */
	expect_mapping(as, 0, 0x10001, 0x7ffe, 0x100001);
	expect_mapping(as, 0x18000, 0x18011, 0x7fee, 0x108011);
	assert_int_equal(iommu_as_invalidate(as, 0, TOP, &bytes), 0); /* everything */
	assert_int_equal(bytes, 0x7ffe + 0x7fee);
	assert_int_equal(n_mappings(as), 0);
	assert_int_equal(iommu_as_invalidate(as, 5, 5, &bytes), 0); /* nothing */
	assert_int_equal(bytes, 0);
	assert_int_equal(iommu_as_invalidate(as, 5, 0, &bytes), -EINVAL);
	assert_int_equal(iommu_as_invalidate(as, TOP, 2, &bytes), -EOVERFLOW);
	iommu_as_get_stats(as, &st);
	assert_int_equal(st.splits, 1);
	assert_int_equal(st.trims, 4);
	assert_int_equal(st.unmapped, 2);
	check(as);
	iommu_as_destroy(as);
}

/* At max_mappings a split drops the upper part too: more than asked. */
static void
test_invalidate_overdrop(void **state)
{
	struct iommu_as *as = new_as(NULL, 0, 0, 2);
	struct iommu_as_stats st;
	uint64_t bytes, len = 1, t;

	(void)state;
	assert_int_equal(iommu_as_map(as, 0, 0x100, 0, RW), 0);
	assert_int_equal(iommu_as_invalidate(as, 0x10, 0x10, &bytes), 0); /* 2 mappings */
	assert_int_equal(bytes, 0x10);
	assert_int_equal(iommu_as_invalidate(as, 0x40, 0x10, &bytes), 0); /* at the limit */
	assert_int_equal(bytes, 0x100 - 0x40);
	assert_int_equal(iommu_as_translate(as, 0x60, &len, RD, &t), -ENOENT);
	iommu_as_get_stats(as, &st);
	assert_int_equal(st.overdrops, 1);
	assert_int_equal(st.mapped_bytes, 0x10 + 0x20);
	check(as);
	iommu_as_destroy(as);
}

static void
test_replace(void **state)
{
	struct iommu_as *as = new_as(x86, 2, 0, 3);
	uint64_t len = 0x100, t;

	(void)state;
	assert_int_equal(iommu_as_map(as, 0x1000, 0x3000, 0xa0000, RD), 0);
	assert_int_equal(iommu_as_replace(as, 0x2000, 0x800, 0xb0000, RW), 0);
	assert_int_equal(iommu_as_translate(as, 0x2000, &len, WR, &t), 0);
	assert_int_equal(t, 0xb0000);
	expect_mapping(as, 0, 0x1000, 0x1000, 0xa0000);
	expect_mapping(as, 0x2800, 0x2800, 0x1800, 0xa1800);
	/* refused before anything changes */
	assert_int_equal(iommu_as_replace(as, 0x1000, 0x1000, 0, 0), -EINVAL);
	assert_int_equal(iommu_as_replace(as, 0xfedff000, 0x2000, 0, RW), -EADDRNOTAVAIL);
	assert_int_equal(iommu_as_replace(as, UINT64_C(1) << 48, 1, 0, RW), -ERANGE);
	assert_int_equal(n_mappings(as), 3);
	/* the limit: the overlapped part is gone, the new one not in */
	assert_int_equal(iommu_as_replace(as, 0x3000, 0x100, 0, RW), -ENOSPC);
	len = 1;
	assert_int_equal(iommu_as_translate(as, 0x3000, &len, RD, &t), -ENOENT);
	check(as);
	iommu_as_destroy(as);
}

/* ---- the allocator ---- */

/* The x86 MSI window is never handed out: a block that would straddle it
 * goes above it. */
static void
test_alloc_reserved(void **state)
{
	const struct iommu_range r[] = {{0xfed00000, 0xfedfffff}, {0xfef00000, 0xfeffffff}};
	struct iommu_as *as = new_as(r, 2, PG, 0);
	uint64_t iova;

	(void)state;
	assert_int_equal(iommu_as_alloc(as, 0xc0000, 0, 0, RW, &iova), 0);
	assert_int_equal(iova, 0xfed00000);
	/* 0x40000 left below the hole: 0x80000 does not fit there */
	assert_int_equal(iommu_as_alloc(as, 0x80000, 0, 0, RW, &iova), 0);
	assert_int_equal(iova, 0xfef00000);
	assert_int_equal(iommu_as_alloc(as, 0x40000, 0, 0, RW, &iova), 0);
	assert_int_equal(iova, 0xfedc0000); /* first fit: back below */
	assert_int_equal(iommu_as_alloc(as, 0x80000, 0, 0, RW, &iova), 0);
	assert_int_equal(iova, 0xfef80000);
	assert_int_equal(iommu_as_find_free(as, PG, 0, &iova), -ENOSPC); /* exhausted */
	assert_int_equal(iommu_as_alloc(as, PG, 0, 0, RW, &iova), -ENOSPC);
	assert_int_equal(iommu_as_free(as, 0xfedc0000, &iova), 0);
	assert_int_equal(iova, 0x40000);
	assert_int_equal(iommu_as_find_free(as, 0x80000, 0, &iova), -ENOSPC);
	assert_int_equal(iommu_as_find_free(as, 0x40000, 0, &iova), 0);
	assert_int_equal(iova, 0xfedc0000);
	check(as);
	iommu_as_destroy(as);
}

static void
test_alloc_alignment(void **state)
{
	const uint64_t mb2 = UINT64_C(1) << 21;
	struct iommu_as *as = new_as(x86, 2, PG | mb2, 0);
	uint64_t iova;

	(void)state;
	assert_int_equal(iommu_as_map(as, 0, PG, 0, RW), 0);
	assert_int_equal(iommu_as_alloc(as, PG, 0, 0, RW, &iova), 0);
	assert_int_equal(iova, PG); /* the smallest page */
	assert_int_equal(iommu_as_alloc(as, PG, mb2, 0, RW, &iova), 0);
	assert_int_equal(iova, mb2);
	assert_int_equal(iommu_as_alloc(as, mb2, mb2, 0, RW, &iova), 0);
	assert_int_equal(iova, 2 * mb2);
	/* an alignment below the page size is the page size */
	assert_int_equal(iommu_as_alloc(as, PG, 16, 0, RW, &iova), 0);
	assert_int_equal(iova, 2 * PG);
	/* 1 GiB aligned: above the first GiB, which is in use */
	assert_int_equal(iommu_as_find_free(as, PG, UINT64_C(1) << 30, &iova), 0);
	assert_int_equal(iova, UINT64_C(1) << 30);
	/* 4 GiB aligned 4 GiB: only above the MSI hole, at 4 GiB */
	assert_int_equal(iommu_as_find_free(as, UINT64_C(1) << 32, UINT64_C(1) << 32, &iova), 0);
	assert_int_equal(iova, UINT64_C(1) << 32);
	assert_int_equal(iommu_as_find_free(as, 0, 0, &iova), -EINVAL);
	assert_int_equal(iommu_as_find_free(as, PG + 1, 0, &iova), -EINVAL);
	assert_int_equal(iommu_as_find_free(as, PG, 3 * PG, &iova), -EINVAL);
	assert_int_equal(iommu_as_alloc(as, PG, 0, 0, 0, &iova), -EINVAL);  /* perm */
	assert_int_equal(iommu_as_alloc(as, PG, 0, 1, RW, &iova), -EINVAL); /* target */
	/* larger than the space */
	assert_int_equal(iommu_as_find_free(as, UINT64_C(1) << 48, 0, &iova), -ENOSPC);
	check(as);
	iommu_as_destroy(as);
}

/* The last page of the 64-bit space; alignment that would wrap. */
static void
test_alloc_top(void **state)
{
	const struct iommu_range r[] = {{TOP - 3 * PG + 1, TOP}};
	struct iommu_as *as = new_as(r, 1, PG, 0);
	uint64_t iova;

	(void)state;
	assert_int_equal(iommu_as_find_free(as, PG, UINT64_C(1) << 63, &iova), -ENOSPC);
	assert_int_equal(iommu_as_alloc(as, 2 * PG, 0, 0, RW, &iova), 0);
	assert_int_equal(iova, TOP - 3 * PG + 1);
	assert_int_equal(iommu_as_alloc(as, PG, 0, 0, RW, &iova), 0);
	assert_int_equal(iova, TOP - PG + 1);
	assert_int_equal(iommu_as_alloc(as, PG, 0, 0, RW, &iova), -ENOSPC);
	assert_int_equal(iommu_as_free(as, TOP - PG + 1, NULL), 0);
	assert_int_equal(iommu_as_free(as, TOP - PG + 1, NULL), -ENOENT);
	assert_int_equal(iommu_as_free(as, TOP - 2 * PG + 1, NULL), -ENOENT); /* not its start */
	assert_int_equal(iommu_as_find_free(as, 2 * PG, 0, &iova), -ENOSPC);
	check(as);
	iommu_as_destroy(as);
}

/* find and foreach: ascending, stop values passed back. */
static int
visit(const struct iommu_mapping *m, void *arg)
{
	uint64_t *prev = arg;

	assert_true(m->iova > *prev || *prev == TOP);
	*prev = m->iova;
	return m->iova == 0x50000 ? 42 : 0;
}

static void
test_find_foreach(void **state)
{
	struct iommu_as *as = new_as(NULL, 0, PG, 0);
	struct iommu_mapping m;
	uint64_t prev = TOP;

	(void)state;
	assert_int_equal(iommu_as_find(as, 0, &m), -ENOENT);
	assert_int_equal(iommu_as_foreach(as, visit, &prev), 0);
	for (uint64_t i = 9; i > 0; i--)
		assert_int_equal(iommu_as_map(as, i * 0x10000, PG, i * PG, i & 1 ? RD : RW), 0);
	expect_mapping(as, 0, 0x10000, PG, PG);
	expect_mapping(as, 0x10800, 0x10000, PG, PG);
	expect_mapping(as, 0x11000, 0x20000, PG, 2 * PG);
	assert_int_equal(iommu_as_find(as, 0x91000, &m), -ENOENT);
	assert_int_equal(iommu_as_foreach(as, visit, &prev), 42);
	assert_int_equal(prev, 0x50000);
	iommu_as_destroy(as);
}

/* 2^17 mappings in ascending order (the worst case for an unbalanced tree),
 * then every other one removed: the height stays within the AVL bound. */
static void
test_balance(void **state)
{
	enum { N = 1 << 17 };
	struct iommu_as *as = new_as(NULL, 0, PG, 0);
	struct iommu_as_stats st;
	uint64_t len, t;

	(void)state;
	for (uint64_t i = 0; i < N; i++)
		assert_int_equal(iommu_as_map(as, i * PG, PG, i * PG, RW), 0);
	iommu_as_get_stats(as, &st);
	assert_true(st.tree_height <= 18 * 144 / 100 + 1);
	for (uint64_t i = 0; i < N; i += 2)
		assert_int_equal(iommu_as_unmap(as, i * PG, PG, NULL), 0);
	iommu_as_get_stats(as, &st);
	assert_int_equal(st.mappings, N / 2);
	assert_true(st.tree_height <= 17 * 144 / 100 + 1);
	for (uint64_t i = 0; i < N; i++) {
		len = 1;
		assert_int_equal(iommu_as_translate(as, i * PG + 7, &len, RW, &t),
				 (i & 1) ? 0 : -ENOENT);
	}
	check(as);
	iommu_as_destroy(as);
}

/* The self-check notices each kind of corruption (and restoring it heals). */
static void
test_check_detects(void **state)
{
	struct iommu_as *as = new_as(x86, 2, 0, 0);
	struct iommu_node *r;
	char why[128];

	(void)state;
	for (uint64_t i = 1; i <= 3; i++)
		assert_int_equal(iommu_as_map(as, i * 0x1000, 0x800, 0, RW), 0);
	r = as->root; /* 0x2000, children 0x1000 and 0x3000 */
	check(as);
	as->n++;
	assert_int_equal(iommu_as_check(as, why, sizeof(why)), -EUCLEAN);
	as->n--;
	r->height++;
	assert_int_equal(iommu_as_check(as, why, sizeof(why)), -EUCLEAN);
	r->height--;
	r->left->last = r->first; /* overlaps its parent */
	assert_int_equal(iommu_as_check(as, why, sizeof(why)), -EUCLEAN);
	r->left->last = 0x17ff;
	r->perm = 0;
	assert_int_equal(iommu_as_check(as, NULL, 0), -EUCLEAN);
	r->perm = RW;
	r->right->first = 0xfee00000; /* in the MSI hole */
	r->right->last = 0xfee007ff;
	assert_int_equal(iommu_as_check(as, why, sizeof(why)), -EUCLEAN);
	r->right->first = 0x3000;
	r->right->last = 0x37ff;
	check(as);
	iommu_as_destroy(as);
}

/* ---- against the model ---- */

static uint64_t rng_state;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void
model_run(unsigned config, uint64_t dflt_seed, unsigned ops)
{
	const char *env = getenv("IOMMU_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : dflt_seed;
	struct iommu_as_config cfg;
	struct iommu_model md;
	struct iommu_as *as;
	struct iommu_as_stats st;
	uint8_t op[IOMMU_MODEL_OP_SIZE];
	char why[512] = "";
	size_t peak = 0;

	rng_state = seed ? seed : 1;
	iommu_model_config(config, &cfg);
	assert_int_equal(iommu_as_create(&cfg, &as), 0);
	assert_int_equal(iommu_model_init(&md, &cfg), 0);
	for (unsigned i = 0; i < ops; i++) {
		/* phases of 2000 ops that mostly add, then mostly remove */
		static const uint8_t grow[] = {0, 3, 8, 10}, shrink[] = {1, 2, 9, 9};
		uint64_t r = rnd();

		for (size_t k = 0; k < sizeof(op); k += 8) {
			uint64_t r2 = rnd();

			memcpy(&op[k], &r2, 8);
		}
		if (r % 3)
			op[0] = (i / 2000) % 2 ? shrink[(r >> 8) % 4] : grow[(r >> 8) % 4];
		if (iommu_model_step(&md, as, op, why, sizeof(why)) != 0 ||
		    iommu_model_compare(&md, as, why, sizeof(why)) != 0)
			fail_msg("config %u seed %#llx (IOMMU_SEED to replay) op %u: %s", config,
				 (unsigned long long)seed, i, why);
		peak = md.n > peak ? md.n : peak;
	}
	iommu_as_get_stats(as, &st);
	print_message("config %u seed %#llx: %u ops, %llu maps (%llu refused), %llu removed, "
		      "%llu splits, %llu trims, %llu overdrops, peak %zu mappings\n",
		      config, (unsigned long long)seed, ops, (unsigned long long)st.maps,
		      (unsigned long long)st.maps_refused, (unsigned long long)st.unmapped,
		      (unsigned long long)st.splits, (unsigned long long)st.trims,
		      (unsigned long long)st.overdrops, peak);
	iommu_model_fini(&md);
	iommu_as_destroy(as);
}

static void
test_model(void **state)
{
	(void)state;
	for (unsigned c = 0; c < IOMMU_MODEL_CONFIGS; c++)
		model_run(c, 0x10aa5eed + c, 20000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_create_merges),
		cmocka_unit_test(test_map_einval),
		cmocka_unit_test(test_map_eoverflow),
		cmocka_unit_test(test_map_aperture_and_holes),
		cmocka_unit_test(test_map_eexist),
		cmocka_unit_test(test_map_enospc_limit),
		cmocka_unit_test(test_whole_space),
		cmocka_unit_test(test_translate),
		cmocka_unit_test(test_unmap_v2),
		cmocka_unit_test(test_invalidate),
		cmocka_unit_test(test_invalidate_overdrop),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_alloc_reserved),
		cmocka_unit_test(test_alloc_alignment),
		cmocka_unit_test(test_alloc_top),
		cmocka_unit_test(test_find_foreach),
		cmocka_unit_test(test_balance),
		cmocka_unit_test(test_check_detects),
		cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
