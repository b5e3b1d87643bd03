/* Logging to stderr with a level and a per-file prefix; rate limits for the data path. */
#include "iovs_log.h"
#include "iovs_time.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static enum iovs_log_level log_level = IOVS_LOG_INFO;

static const char *const level_names[] = {
	[IOVS_LOG_ERR] = "error",
	[IOVS_LOG_WARN] = "warning",
	[IOVS_LOG_INFO] = "info",
	[IOVS_LOG_DEBUG] = "debug",
};

void
iovs_log_set_level(enum iovs_log_level level)
{
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

enum iovs_log_level
iovs_log_get_level(void)
{
	return __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

void
iovs_log(enum iovs_log_level level, const char *prefix, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (level > iovs_log_get_level())
		return;
	n = snprintf(line, sizeof(line), "iovs %s: %s", level_names[level], prefix);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line so that threads do not interleave mid-line. */
	fprintf(stderr, "%s\n", line);
}

int64_t
iovs_ratelimit_take(struct iovs_ratelimit *rl)
{
	uint64_t now = iovs_now_ms();
	uint64_t next = __atomic_load_n(&rl->next_ms, __ATOMIC_RELAXED);

	if (now < next || !__atomic_compare_exchange_n(&rl->next_ms, &next, now + 1000, false,
						       __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		__atomic_fetch_add(&rl->suppressed, 1, __ATOMIC_RELAXED);
		return -1;
	}
	return (int64_t)__atomic_exchange_n(&rl->suppressed, 0, __ATOMIC_RELAXED);
}
