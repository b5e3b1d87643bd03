/* The control socket's wire format: one JSON object per line each way.
 *   request:  {"cmd": "port.add", "args": {...}}        ("args" optional)
 *   reply:    {"ok": true, "result": {...}}  or  {"ok": false, "error": "what was wrong"}
 * Parsing is pure (fuzzed by tests/fuzz/fuzz_ctl.c); docs/control-protocol.md
 * lists the commands. */
#ifndef IOVSD_CTL_PROTO_H
#define IOVSD_CTL_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "iovs_err.h"

#define IOVSD_CTL_MAX_LINE (64 * 1024)
#define IOVSD_CTL_CMD_MAX  32

struct iovsd_ctl_req {
	char cmd[IOVSD_CTL_CMD_MAX];
	json_t *args; /* an object (owned; empty when absent) */
};

/* Parses one request line (without the newline). On success the caller owns
 * req->args and frees it with iovsd_ctl_req_fini(). */
int iovsd_ctl_req_parse(const char *line, size_t len, struct iovsd_ctl_req *req,
			struct iovs_err *err);
void iovsd_ctl_req_fini(struct iovsd_ctl_req *req);

/* Argument checks shared by every command: 'allowed' is a NULL-terminated list
 * of the keys the command takes; any other key is an error. */
int iovsd_ctl_args_check(const json_t *args, const char *const *allowed, struct iovs_err *err);
/* A required (or, with 'optional', possibly absent → *out = NULL) string argument. */
int iovsd_ctl_arg_str(const json_t *args, const char *key, bool optional, const char **out,
		      struct iovs_err *err);

/* Reply lines (with the trailing newline), malloc'd. */
char *iovsd_ctl_reply_ok(json_t *result); /* steals 'result' (may be NULL) */
char *iovsd_ctl_reply_err(const char *msg);

#endif
