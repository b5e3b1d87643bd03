/* iommu_as.c when memory runs out: create, map and replace fail cleanly with
 * -ENOMEM, and an invalidation that cannot split drops more instead of
 * failing. The test compiles iommu_as.c itself with malloc and calloc
 * redirected to a counter that fails on demand (no seam in production code). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

static int allocs_left = -1; /* < 0: never fail */

static void *
try_malloc(size_t n)
{
	if (allocs_left == 0)
		return NULL;
	if (allocs_left > 0)
		allocs_left--;
	return malloc(n);
}

static void *
try_calloc(size_t n, size_t size)
{
	if (allocs_left == 0)
		return NULL;
	if (allocs_left > 0)
		allocs_left--;
	return calloc(n, size);
}

#define malloc(n)    try_malloc(n)
#define calloc(n, s) try_calloc(n, s)
#include "iommu_as.c"
#undef malloc
#undef calloc

static void
test_create_nomem(void **state)
{
	struct iommu_as_config cfg = {0};
	struct iommu_as *as = NULL;

	(void)state;
	for (int k = 0; k < 2; k++) { /* the space, then its ranges */
		allocs_left = k;
		assert_int_equal(iommu_as_create(&cfg, &as), -ENOMEM);
		assert_null(as);
	}
	allocs_left = -1;
	assert_int_equal(iommu_as_create(&cfg, &as), 0);
	iommu_as_destroy(as);
}

static void
test_map_nomem(void **state)
{
	struct iommu_as_config cfg = {0};
	struct iommu_as_stats st;
	struct iommu_as *as;
	uint64_t bytes, len = 1, t;

	(void)state;
	allocs_left = -1;
	assert_int_equal(iommu_as_create(&cfg, &as), 0);
	assert_int_equal(iommu_as_map(as, 0, 0x100, 0x1000, IOMMU_PERM_RW), 0);
	allocs_left = 0;
	assert_int_equal(iommu_as_map(as, 0x100, 0x100, 0, IOMMU_PERM_RW), -ENOMEM);
	/* the split cannot get a node: the upper part goes too */
	assert_int_equal(iommu_as_invalidate(as, 0x10, 0x10, &bytes), 0);
	assert_int_equal(bytes, 0x100 - 0x10);
	assert_int_equal(iommu_as_translate(as, 0x20, &len, IOMMU_PERM_READ, &t), -ENOENT);
	/* replace: the overlapped part is gone, the new mapping not in */
	assert_int_equal(iommu_as_replace(as, 0x8, 0x4, 0, IOMMU_PERM_RW), -ENOMEM);
	assert_int_equal(iommu_as_translate(as, 0x8, &len, IOMMU_PERM_READ, &t), -ENOENT);
	assert_int_equal(iommu_as_translate(as, 0x7, &len, IOMMU_PERM_READ, &t), 0);
	assert_int_equal(t, 0x1007);
	iommu_as_get_stats(as, &st);
	assert_int_equal(st.mappings, 1); /* [0, 7]: replace's split dropped [0xc, 0xf] */
	assert_int_equal(st.mapped_bytes, 8);
	assert_int_equal(st.overdrops, 2);
	assert_int_equal(st.maps_refused, 2);
	assert_int_equal(iommu_as_check(as, NULL, 0), 0);
	allocs_left = -1;
	iommu_as_destroy(as);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_nomem),
		cmocka_unit_test(test_map_nomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
