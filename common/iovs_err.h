/* One error convention for all of iovs.
 *
 * Actions return 0 or -errno. Where a human must learn *what* was wrong (a config
 * file, a control request, a port's devargs), the caller also passes a
 * 'struct iovs_err' that the callee fills with one sentence. iovs_errf() sets
 * the message and returns the -errno it was given, so a check reads:
 *
 *     if (conf->n_queues == 0 || conf->n_queues > VSW_MAX_QUEUES)
 *             return iovs_errf(err, -ERANGE, "queues %u out of range 1..%u", ...);
 *
 * 'err' may be NULL when the caller does not want the text.
 */
#ifndef IOVS_ERR_H
#define IOVS_ERR_H

#include <stddef.h>

#define IOVS_ERR_MAX 256

struct iovs_err {
	char msg[IOVS_ERR_MAX];
};

/* Fills 'err' (if not NULL) and returns 'rc' (a negative errno). */
int iovs_errf(struct iovs_err *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes the message already in 'err' with "prefix: ". Returns 'rc'. */
int iovs_err_prefix(struct iovs_err *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes at most 'max' bytes of 's' in double quotes, for quoting a value a user
 * or peer sent into a message: '"' and '\' escaped, other bytes outside
 * printable ASCII as \xHH, long values cut with "...". Returns 'buf'. */
#define IOVS_QUOTED_SIZE 64
const char *iovs_quote(const char *s, size_t max, char buf[IOVS_QUOTED_SIZE]);

/* The message, or strerror(-rc) when none was set. */
const char *iovs_err_str(const struct iovs_err *err, int rc);

#endif
