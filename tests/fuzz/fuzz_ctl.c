/* libFuzzer target: control-socket request parsing and argument checks. */
#include <stddef.h>
#include <stdint.h>

#include "ctl_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const allowed[] = {"bridge", "name", "port", NULL};
	struct iovsd_ctl_req req;
	struct iovs_err err;
	const char *s;

	if (iovsd_ctl_req_parse((const char *)data, size, &req, &err) != 0)
		return 0;
	iovsd_ctl_args_check(req.args, allowed, &err);
	iovsd_ctl_arg_str(req.args, "name", true, &s, &err);
	iovsd_ctl_req_fini(&req);
	return 0;
}
