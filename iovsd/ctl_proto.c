/* Control-socket request parsing and reply formatting (ctl_proto.h). Pure: no
 * I/O, no globals; ctl.c feeds it lines and ctl_cmds.c consumes the requests. */
#include "ctl_proto.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int
iovsd_ctl_req_parse(const char *line, size_t len, struct iovsd_ctl_req *req, struct iovs_err *err)
{
	json_error_t jerr;
	json_t *root, *cmd, *args;
	const char *key;
	json_t *val;
	int rc = 0;

	memset(req, 0, sizeof(*req));
	if (len > IOVSD_CTL_MAX_LINE)
		return iovs_errf(err, -EMSGSIZE, "request longer than %d bytes",
				 IOVSD_CTL_MAX_LINE);
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return iovs_errf(err, -EINVAL, "request is not JSON: %d:%d: %s", jerr.line,
				 jerr.column, jerr.text);
	if (!json_is_object(root)) {
		rc = iovs_errf(err, -EINVAL, "request must be a JSON object");
		goto out;
	}
	json_object_foreach(root, key, val) {
		if (strcmp(key, "cmd") != 0 && strcmp(key, "args") != 0) {
			rc = iovs_errf(err, -EINVAL, "request: unknown key \"%s\"", key);
			goto out;
		}
	}
	cmd = json_object_get(root, "cmd");
	if (!json_is_string(cmd) || json_string_length(cmd) == 0 ||
	    json_string_length(cmd) >= sizeof(req->cmd)) {
		rc = iovs_errf(err, -EINVAL, "request: \"cmd\" must be a command name string");
		goto out;
	}
	args = json_object_get(root, "args");
	if (args != NULL && !json_is_object(args)) {
		rc = iovs_errf(err, -EINVAL, "request: \"args\" must be an object");
		goto out;
	}
	memcpy(req->cmd, json_string_value(cmd), json_string_length(cmd) + 1);
	req->args = args != NULL ? json_incref(args) : json_object();
	if (req->args == NULL)
		rc = iovs_errf(err, -ENOMEM, "out of memory");
out:
	json_decref(root);
	return rc;
}

void
iovsd_ctl_req_fini(struct iovsd_ctl_req *req)
{
	json_decref(req->args);
	req->args = NULL;
}

int
iovsd_ctl_args_check(const json_t *args, const char *const *allowed, struct iovs_err *err)
{
	const char *key;
	json_t *val;
	unsigned i;

	json_object_foreach((json_t *)args, key, val) {
		bool ok = false;

		for (i = 0; allowed[i] != NULL && !ok; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (!ok)
			return iovs_errf(err, -EINVAL, "unknown argument \"%s\"", key);
	}
	return 0;
}

int
iovsd_ctl_arg_str(const json_t *args, const char *key, bool optional, const char **out,
		  struct iovs_err *err)
{
	const json_t *v = json_object_get(args, key);

	*out = NULL;
	if (v == NULL) {
		if (optional)
			return 0;
		return iovs_errf(err, -EINVAL, "missing argument \"%s\"", key);
	}
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return iovs_errf(err, -EINVAL, "argument \"%s\" must be a non-empty string", key);
	*out = json_string_value(v);
	return 0;
}

static char *
dump_line(json_t *reply)
{
	char *s, *line;
	size_t n;

	s = json_dumps(reply, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(reply);
	if (s == NULL)
		return NULL;
	n = strlen(s);
	line = realloc(s, n + 2);
	if (line == NULL) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	return line;
}

char *
iovsd_ctl_reply_ok(json_t *result)
{
	return dump_line(json_pack("{s:b, s:o}", "ok", 1, "result",
				   result != NULL ? result : json_object()));
}

char *
iovsd_ctl_reply_err(const char *msg)
{
	return dump_line(json_pack("{s:b, s:s}", "ok", 0, "error", msg));
}
