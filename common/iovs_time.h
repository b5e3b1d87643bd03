/* Monotonic time for aging and rate limits: cheap enough to call once per burst. */
#ifndef IOVS_TIME_H
#define IOVS_TIME_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
iovs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Precise monotonic time (latency measurements): a vDSO call, ~20 ns. */
static inline uint64_t
iovs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
