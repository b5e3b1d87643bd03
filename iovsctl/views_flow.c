/* iovsctl's views of OpenFlow flows (views.h): flow dump, one flow per line
 * in the syntax 'flow add' takes (with its counters), and ofl trace, one step
 * per line indented by group depth, then the verdict. Shapes:
 * docs/control-protocol.md (FLOW, TRACE). */
#include <stdio.h>
#include <string.h>

#include "views.h"

static const char *
str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : dflt;
}

static long long
int_of(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* table=0 priority=10 cookie=0x0 n_packets=5 n_bytes=490 duration=3.204s idle_timeout=0
 * hard_timeout=0 [flags] MATCH actions=ACTIONS */
int
iovsctl_view_flows(const json_t *result, FILE *f)
{
	const json_t *flows = json_object_get(result, "flows"), *fl;
	size_t i;

	json_array_foreach(flows, i, fl) {
		const char *match = str_or(fl, "match", ""), *flags = str_or(fl, "flags", "");

		fprintf(f,
			"table=%lld priority=%lld cookie=%s n_packets=%lld n_bytes=%lld "
			"duration=%.3fs idle_timeout=%lld hard_timeout=%lld%s%s%s%s actions=%s\n",
			int_of(fl, "table"), int_of(fl, "priority"), str_or(fl, "cookie", "-"),
			int_of(fl, "n_packets"), int_of(fl, "n_bytes"),
			json_number_value(json_object_get(fl, "duration")),
			int_of(fl, "idle_timeout"), int_of(fl, "hard_timeout"), flags[0] ? " " : "",
			flags, match[0] ? " " : "", match, str_or(fl, "actions", "-"));
	}
	if (json_array_size(flows) == 0)
		fprintf(f, "no flows\n");
	return 0;
}

/* A table's lines start the line; what happens at a table is indented
 * under it, a group's buckets further. */
int
iovsctl_view_trace(const json_t *result, FILE *f)
{
	const json_t *steps = json_object_get(result, "steps"), *s;
	size_t i;

	fprintf(f, "packet: %s\n", str_or(result, "packet", "-"));
	json_array_foreach(steps, i, s) {
		const char *kind = str_or(s, "kind", "");
		int top = strcmp(kind, "table") == 0 || strcmp(kind, "miss") == 0 ||
			  strcmp(kind, "note") == 0;

		fprintf(f, "%*s%s\n", (top ? 0 : 4) + 4 * (int)int_of(s, "depth"), "",
			str_or(s, "text", "-"));
	}
	fprintf(f, "result: %s\n", str_or(result, "verdict", "-"));
	return 0;
}
