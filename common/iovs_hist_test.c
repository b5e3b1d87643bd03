/* iovs_hist against a sorted-array reference (CONVENTIONS.md 15). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "iovs_hist.h"

/* Buckets tile [0, 2^41) without gaps or overlap, each at most 1/8 wide. */
static void
test_buckets_tile(void **state)
{
	(void)state;
	assert_int_equal(iovs_hist_lower(0), 0);
	for (unsigned i = 0; i + 1 < IOVS_HIST_BUCKETS; i++) {
		uint64_t lo = iovs_hist_lower(i), up = iovs_hist_upper(i);

		assert_true(lo <= up);
		assert_int_equal(iovs_hist_lower(i + 1), up + 1);
		assert_int_equal(iovs_hist_index(lo), i);
		assert_int_equal(iovs_hist_index(up), i);
		assert_true((up - lo) * 8 <= lo || lo < IOVS_HIST_SUB * 2);
	}
	assert_int_equal(iovs_hist_index(UINT64_MAX), IOVS_HIST_BUCKETS - 1);
	assert_int_equal(iovs_hist_upper(IOVS_HIST_BUCKETS - 1), UINT64_MAX);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Random samples: every quantile is the true one rounded up to its bucket's
 * upper bound (never below it, never more than one bucket above). */
static void
test_quantiles_vs_sorted(void **state)
{
	enum { N = 20000 };
	static uint64_t v[N];
	static struct iovs_hist h;
	const double qs[] = {0.01, 0.5, 0.9, 0.99, 0.999, 1.0};
	uint64_t sum = 0;

	(void)state;
	memset(&h, 0, sizeof(h));
	srand(7);
	for (unsigned i = 0; i < N; i++) {
		/* log-uniform over 1 ns .. 2^34 ns */
		unsigned e = (unsigned)rand() % 34;

		v[i] = ((uint64_t)1 << e) + (uint64_t)rand() % ((uint64_t)1 << e);
		sum += v[i];
		iovs_hist_add(&h, v[i]);
	}
	qsort(v, N, sizeof(v[0]), cmp_u64);
	assert_int_equal(h.count, N);
	assert_int_equal(h.sum_ns, sum);
	assert_int_equal(h.max_ns, v[N - 1]);
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		size_t rank = (size_t)(qs[k] * N + 0.999999);
		uint64_t truth = v[rank - 1], got = iovs_hist_quantile(&h, qs[k]);

		assert_true(got >= truth);
		assert_int_equal(iovs_hist_index(got), iovs_hist_index(truth));
	}
}

static void
test_empty_and_single(void **state)
{
	struct iovs_hist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(iovs_hist_quantile(&h, 0.99), 0);
	iovs_hist_add(&h, 123456);
	/* one sample: every quantile is that sample (capped by max) */
	assert_int_equal(iovs_hist_quantile(&h, 0.5), 123456);
	assert_int_equal(iovs_hist_quantile(&h, 1.0), 123456);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_tile),
		cmocka_unit_test(test_quantiles_vs_sorted),
		cmocka_unit_test(test_empty_and_single),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
