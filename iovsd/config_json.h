/* The JSON reading helpers of iovsd's configuration (config.c), shared with
 * config_vf.c. Each returns 0 or -errno with "WHERE.KEY: problem" in 'err';
 * an absent optional key leaves the destination as it was. Private to iovsd/. */
#ifndef IOVSD_CONFIG_JSON_H
#define IOVSD_CONFIG_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "iovs_err.h"

/* Fills 'err' with "WHERE.KEY: message"; either part may be NULL or empty. */
int iovsd_json_errf(struct iovs_err *err, int rc, const char *where, const char *key,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Every key of 'obj' is one of 'keys' (NULL-terminated). */
int iovsd_json_check_keys(const json_t *obj, const char *where, const char *const keys[],
			  struct iovs_err *err);
int iovsd_json_require(const json_t *obj, const char *where, const char *key, struct iovs_err *err);
int iovsd_json_int(const json_t *obj, const char *where, const char *key, json_int_t min,
		   json_int_t max, json_int_t *out, struct iovs_err *err);
int iovsd_json_string(const json_t *obj, const char *where, const char *key, char *dst, size_t size,
		      struct iovs_err *err);
int iovsd_json_bool(const json_t *obj, const char *where, const char *key, bool *dst,
		    struct iovs_err *err);

#endif
