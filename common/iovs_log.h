/* Logging, split control path vs. data path (CONVENTIONS.md 11).
 *
 * Each .c file defines LOG_PREFIX ("vswitch/port: ") before including this header
 * and logs with LOG_ERR/LOG_WARN/LOG_INFO/LOG_DBG. Control-path logs go straight
 * to stderr. Data-path code (PMD threads) must use LOG_RL_*: each call site
 * prints at most one line per second and counts what it suppressed. Drops are
 * counters with a reason, never log lines.
 */
#ifndef IOVS_LOG_H
#define IOVS_LOG_H

#include <stdint.h>

enum iovs_log_level { IOVS_LOG_ERR, IOVS_LOG_WARN, IOVS_LOG_INFO, IOVS_LOG_DEBUG };

void iovs_log_set_level(enum iovs_log_level level);
enum iovs_log_level iovs_log_get_level(void);

void iovs_log(enum iovs_log_level level, const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A call site's rate limit; shared by all threads, lock-free. */
struct iovs_ratelimit {
	uint64_t next_ms;
	uint64_t suppressed;
};

/* Returns the number of lines suppressed since the last one (>= 0) if this call
 * may print, or -1 if it must stay silent. */
int64_t iovs_ratelimit_take(struct iovs_ratelimit *rl);

#ifndef LOG_PREFIX
#define LOG_PREFIX ""
#endif

#define LOG_ERR(...)  iovs_log(IOVS_LOG_ERR, LOG_PREFIX, __VA_ARGS__)
#define LOG_WARN(...) iovs_log(IOVS_LOG_WARN, LOG_PREFIX, __VA_ARGS__)
#define LOG_INFO(...) iovs_log(IOVS_LOG_INFO, LOG_PREFIX, __VA_ARGS__)
#define LOG_DBG(...)  iovs_log(IOVS_LOG_DEBUG, LOG_PREFIX, __VA_ARGS__)

#define LOG_RL(level, ...)                                                                         \
	do {                                                                                       \
		static struct iovs_ratelimit rl_;                                                  \
		if (iovs_ratelimit_take(&rl_) >= 0)                                                \
			iovs_log(level, LOG_PREFIX, __VA_ARGS__);                                  \
	} while (0)
#define LOG_RL_ERR(...)	 LOG_RL(IOVS_LOG_ERR, __VA_ARGS__)
#define LOG_RL_WARN(...) LOG_RL(IOVS_LOG_WARN, __VA_ARGS__)

#endif
