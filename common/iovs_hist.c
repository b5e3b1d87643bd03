/* Latency histogram (iovs_hist.h). */
#include "iovs_hist.h"

unsigned
iovs_hist_index(uint64_t ns)
{
	unsigned e;

	if (ns < IOVS_HIST_SUB)
		return (unsigned)ns;
	e = 63u - (unsigned)__builtin_clzll(ns);
	if (e > IOVS_HIST_MAX_EXP)
		return IOVS_HIST_BUCKETS - 1;
	return (e - IOVS_HIST_SUB_BITS + 1) * IOVS_HIST_SUB +
	       (unsigned)((ns >> (e - IOVS_HIST_SUB_BITS)) & (IOVS_HIST_SUB - 1));
}

uint64_t
iovs_hist_lower(unsigned i)
{
	unsigned shift;

	if (i < IOVS_HIST_SUB)
		return i;
	shift = i / IOVS_HIST_SUB - 1;
	return (uint64_t)(IOVS_HIST_SUB + i % IOVS_HIST_SUB) << shift;
}

uint64_t
iovs_hist_upper(unsigned i)
{
	if (i < IOVS_HIST_SUB)
		return i;
	if (i >= IOVS_HIST_BUCKETS - 1)
		return UINT64_MAX;
	return iovs_hist_lower(i + 1) - 1;
}

void
iovs_hist_add(struct iovs_hist *h, uint64_t ns)
{
	h->count++;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->bucket[iovs_hist_index(ns)]++;
}

uint64_t
iovs_hist_quantile(const struct iovs_hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	rank = (uint64_t)(q * (double)h->count + 0.999999);
	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < IOVS_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t up = iovs_hist_upper(i);

			return up < h->max_ns ? up : h->max_ns;
		}
	}
	return h->max_ns;
}
