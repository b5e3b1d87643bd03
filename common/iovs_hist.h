/* A latency histogram: log-linear buckets over nanoseconds (each power of two
 * split into IOVS_HIST_SUB equal steps, so a bucket is at most 12.5 % wide),
 * from 0 ns to about 18 minutes; larger values land in the last bucket.
 * Cumulative: a reader takes differences between two copies.
 *
 * Threads: one writer; readers copy it under the writer's lock (or accept
 * torn counts). Plain integers, no allocation. */
#ifndef IOVS_HIST_H
#define IOVS_HIST_H

#include <stdint.h>

#define IOVS_HIST_SUB_BITS 3
#define IOVS_HIST_SUB	   (1u << IOVS_HIST_SUB_BITS)
#define IOVS_HIST_MAX_EXP  40 /* 2^40 ns: about 18 minutes */
#define IOVS_HIST_BUCKETS  ((IOVS_HIST_MAX_EXP - IOVS_HIST_SUB_BITS + 2) * IOVS_HIST_SUB)

struct iovs_hist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t max_ns;
	uint64_t bucket[IOVS_HIST_BUCKETS];
};

void iovs_hist_add(struct iovs_hist *h, uint64_t ns);
/* The bucket 'ns' falls in, and the smallest and largest value of bucket i. */
unsigned iovs_hist_index(uint64_t ns);
uint64_t iovs_hist_lower(unsigned i);
uint64_t iovs_hist_upper(unsigned i);
/* The value at quantile q (0 < q <= 1): the upper bound of the bucket that
 * holds it (never above max_ns), so a reported p99 is an upper bound within
 * one bucket. 0 when empty. */
uint64_t iovs_hist_quantile(const struct iovs_hist *h, double q);

#endif
