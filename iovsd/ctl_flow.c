/* The flow commands of the control socket (ctl_flow.h): iovsctl flow
 * add/mod/del/dump and ofl trace. Each checks that the bridge has OpenFlow
 * (its "openflow" object, a running datapath), then calls the agent, which
 * takes its own mutex: the text is parsed by openflow/ofl_syntax.c and runs
 * the transaction path of a controller's FLOW_MOD. Flows added here are not
 * persisted (like a controller's): they live as long as the datapath.
 * Result shapes: docs/control-protocol.md. */
#include "ctl_flow.h"

#include <errno.h>
#include <stdio.h>

#include "ctl_proto.h"
#include "iovsd.h"
#include "ofl_agent.h"

const char *const iovsd_flow_add_args[] = {"bridge", "flow", NULL};
const char *const iovsd_flow_mod_args[] = {"bridge", "flow", "strict", NULL};
const char *const iovsd_flow_del_args[] = {"bridge", "match", "strict", NULL};
const char *const iovsd_flow_dump_args[] = {"bridge", "match", NULL};
const char *const iovsd_ofl_trace_args[] = {"bridge", "packet", NULL};

/* The bridge named in 'args', if its OpenFlow datapath runs. */
static int
of_bridge(struct iovsd *d, const json_t *args, const char **bridge, struct iovs_err *err)
{
	const struct iovsd_of_conf *of;
	const char *why;
	int rc = iovsd_ctl_arg_str(args, "bridge", false, bridge, err);

	if (rc != 0)
		return rc;
	of = iovsd_conf_find_of(d->conf, *bridge);
	if (of == NULL)
		return iovs_errf(err, -ENOENT, "no bridge named %s", *bridge);
	if (!of->enabled)
		return iovs_errf(
			err, -EINVAL,
			"bridge %s has no OpenFlow: enable it with 'iovsctl controller set "
			"%s none' (or TARGETS)",
			*bridge, *bridge);
	if (d->ofl == NULL)
		return iovs_errf(err, -ENODEV, "the OpenFlow thread is not running");
	why = iovsd_of_error(d, *bridge);
	if (why != NULL)
		return iovs_errf(err, -ENODEV,
				 "bridge %s: its OpenFlow datapath is not running: %s", *bridge,
				 why);
	return 0;
}

static int
arg_bool(const json_t *args, const char *key, bool *out, struct iovs_err *err)
{
	const json_t *v = json_object_get(args, key);

	*out = false;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return iovs_errf(err, -EINVAL, "argument \"%s\" must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

static int
flow_mod(struct iovsd *d, const json_t *args, enum ofl_cli_cmd cmd, const char *key,
	 struct iovs_err *err)
{
	const char *bridge, *text;
	bool strict;
	int rc = of_bridge(d, args, &bridge, err);

	if (rc == 0)
		rc = iovsd_ctl_arg_str(args, key, cmd == OFL_CLI_DELETE, &text, err);
	if (rc == 0)
		rc = arg_bool(args, "strict", &strict, err);
	if (rc == 0)
		rc = ofl_agent_flow_mod(d->ofl, bridge, cmd, strict, text, err);
	return rc;
}

int
iovsd_cmd_flow_add(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	(void)result;
	return flow_mod(d, args, OFL_CLI_ADD, "flow", err);
}

int
iovsd_cmd_flow_mod(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	(void)result;
	return flow_mod(d, args, OFL_CLI_MODIFY, "flow", err);
}

int
iovsd_cmd_flow_del(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	(void)result;
	return flow_mod(d, args, OFL_CLI_DELETE, "match", err);
}

static void
flow_json(const struct ofl_flow_entry *e, void *arg)
{
	const struct ofl_flow_stats *fs = e->fs;
	char cookie[24];

	snprintf(cookie, sizeof(cookie), "0x%llx", (unsigned long long)fs->cookie);
	json_array_append_new(arg,
			      json_pack("{s:i, s:i, s:s, s:I, s:I, s:f, s:i, s:i, s:s, s:s, s:s}",
					"table", fs->table_id, "priority", fs->priority, "cookie",
					cookie, "n_packets", (json_int_t)fs->packet_count,
					"n_bytes", (json_int_t)fs->byte_count, "duration",
					fs->duration_sec + fs->duration_nsec / 1e9, "idle_timeout",
					fs->idle_timeout, "hard_timeout", fs->hard_timeout, "flags",
					e->flags, "match", e->match, "actions", e->actions));
}

int
iovsd_cmd_flow_dump(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	const char *bridge, *match;
	json_t *flows;
	int rc = of_bridge(d, args, &bridge, err);

	if (rc == 0)
		rc = iovsd_ctl_arg_str(args, "match", true, &match, err);
	if (rc != 0)
		return rc;
	flows = json_array();
	rc = ofl_agent_flow_dump(d->ofl, bridge, match, flow_json, flows, err);
	if (rc < 0) {
		json_decref(flows);
		return rc;
	}
	*result = json_pack("{s:s, s:o}", "bridge", bridge, "flows", flows);
	return *result != NULL ? 0 : iovs_errf(err, -ENOMEM, "out of memory");
}

static void
step_json(const struct ofl_trace_step *s, void *arg)
{
	json_t *o =
		json_pack("{s:s, s:i, s:s}", "kind", s->kind, "depth", s->depth, "text", s->text);
	char cookie[24];

	if (o == NULL)
		return;
	if (s->table_id >= 0)
		json_object_set_new(o, "table", json_integer(s->table_id));
	if (s->has_flow) {
		snprintf(cookie, sizeof(cookie), "0x%llx", (unsigned long long)s->cookie);
		json_object_set_new(o, "priority", json_integer(s->priority));
		json_object_set_new(o, "cookie", json_string(cookie));
		json_object_set_new(o, "match", json_string(s->match));
		json_object_set_new(o, "actions", json_string(s->actions));
	}
	json_array_append_new(arg, o);
}

int
iovsd_cmd_ofl_trace(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	struct ofl_trace_summary sum;
	const char *bridge, *packet;
	json_t *steps;
	int rc = of_bridge(d, args, &bridge, err);

	if (rc == 0)
		rc = iovsd_ctl_arg_str(args, "packet", false, &packet, err);
	if (rc != 0)
		return rc;
	steps = json_array();
	rc = ofl_agent_trace(d->ofl, bridge, packet, step_json, steps, &sum, err);
	if (rc != 0) {
		json_decref(steps);
		return rc;
	}
	*result = json_pack("{s:s, s:s, s:o, s:i, s:i, s:b, s:b, s:s}", "bridge", bridge, "packet",
			    sum.packet, "steps", steps, "n_tables", sum.n_tables, "n_outputs",
			    sum.n_outputs, "dropped", sum.dropped, "truncated", sum.truncated,
			    "verdict", sum.verdict);
	return *result != NULL ? 0 : iovs_errf(err, -ENOMEM, "out of memory");
}
