/* The error convention of iovs_err.h: -errno plus one sentence for humans. */
#include "iovs_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
iovs_errf(struct iovs_err *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return rc;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

int
iovs_err_prefix(struct iovs_err *err, int rc, const char *fmt, ...)
{
	char line[2 * IOVS_ERR_MAX + 2];
	size_t n;
	va_list ap;

	if (err == NULL)
		return rc;
	va_start(ap, fmt);
	vsnprintf(line, IOVS_ERR_MAX, fmt, ap);
	va_end(ap);
	n = strlen(line);
	snprintf(line + n, sizeof(line) - n, ": %s",
		 err->msg[0] != '\0' ? err->msg : strerror(rc < 0 ? -rc : rc));
	/* Truncate to the message size; the tail of a long message matters least. */
	n = strnlen(line, sizeof(err->msg) - 1);
	memcpy(err->msg, line, n);
	err->msg[n] = '\0';
	return rc;
}

const char *
iovs_err_str(const struct iovs_err *err, int rc)
{
	if (err != NULL && err->msg[0] != '\0')
		return err->msg;
	return strerror(rc < 0 ? -rc : rc);
}

const char *
iovs_quote(const char *s, size_t max, char buf[IOVS_QUOTED_SIZE])
{
	size_t o = 0, i, n;
	char one[8];

	buf[o++] = '"';
	for (i = 0; i < max && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			n = (size_t)snprintf(one, sizeof(one), "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			n = (size_t)snprintf(one, sizeof(one), "\\x%02x", c);
		else
			n = (size_t)snprintf(one, sizeof(one), "%c", c);
		/* Keep room for '...', the closing quote and the NUL. */
		if (o + n + 5 > IOVS_QUOTED_SIZE) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, one, n);
		o += n;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}
