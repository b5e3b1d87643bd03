/* ofl trace (ofl_agent.h): a packet given as fields (ofl_syntax.h, use
 * PACKET) becomes a flow key, vsw_pl_trace() walks it through the bridge's
 * tables on iovsd's control thread under the agent's mutex (read only: no
 * packet, no counter, no meter), and each step it reports becomes a line in
 * OpenFlow terms: the flow that matched (as a dump prints it), the
 * instructions, what each action does to the packet, the action set, groups
 * and buckets, meters, outputs and the drop reason. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofl_cli.h"
#include "ofl_priv.h"
#include "ofl_syntax.h"
#include "ofl_wire.h"
#include "ofl_xlate.h"

#define MAX_DEPTH (VSW_PL_GROUP_DEPTH + 2)

struct trace {
	struct dp *dp;
	void (*fn)(const struct ofl_trace_step *s, void *arg);
	void *arg;
	struct ofl_trace_summary *sum;
	size_t verdict_len;
	struct vsw_flow_key orig;	     /* the packet as given */
	struct vsw_flow_key prev[MAX_DEPTH]; /* as the last step at each depth left it */
	uint8_t group_type[MAX_DEPTH];	     /* the group a bucket at depth d + 1 belongs to */
	int n_ports;
	struct ofl_port ports[MAX_PORTS]; /* the bridge's ports, as the switch ops see them */
	/* scratch */
	struct ofl_match m, m2;
	struct ofl_instructions ins;
	struct ofl_actions acts;
	char text[OFL_SYNTAX_BUF + 512];
	char buf[OFL_SYNTAX_BUF], buf2[OFL_SYNTAX_BUF];
};

static const char *const drop_names[VSW_PL_DROP__MAX] = {
	[VSW_PL_DROP_TABLE_MISS] = "table miss", [VSW_PL_DROP_NO_OUTPUT] = "no output",
	[VSW_PL_DROP_METER] = "meter",		 [VSW_PL_DROP_TTL] = "invalid TTL",
	[VSW_PL_DROP_NO_MBUF] = "no buffer",	 [VSW_PL_DROP_GROUP] = "group",
};

static const char *const group_types[] = {"all", "select", "indirect", "fast_failover"};

static void __attribute__((format(printf, 5, 6)))
step(struct trace *t, const char *kind, unsigned depth, int table, const char *fmt, ...)
{
	struct ofl_trace_step s = {
		.kind = kind, .depth = depth, .table_id = table, .text = t->text};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->text, sizeof(t->text), fmt, ap);
	va_end(ap);
	t->fn(&s, t->arg);
}

static void __attribute__((format(printf, 2, 3))) verdict(struct trace *t, const char *fmt, ...)
{
	char *v = t->sum->verdict;
	size_t size = sizeof(t->sum->verdict);
	va_list ap;
	int n;

	if (t->verdict_len >= size)
		return;
	if (t->verdict_len > 0)
		t->verdict_len += (size_t)snprintf(v + t->verdict_len, size - t->verdict_len, ", ");
	if (t->verdict_len >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(v + t->verdict_len, size - t->verdict_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->verdict_len += (size_t)n;
}

/* " (p2)" for a port of the bridge, "" otherwise. */
static const char *
port_name(const struct trace *t, uint32_t port, char *buf, size_t size)
{
	buf[0] = '\0';
	for (int i = 0; i < t->n_ports; i++)
		if (t->ports[i].port_no == port)
			snprintf(buf, size, " (%.16s)", t->ports[i].name);
	return buf;
}

static bool
port_live(void *arg, uint32_t port)
{
	const struct trace *t = arg;

	for (int i = 0; i < t->n_ports; i++)
		if (t->ports[i].port_no == port)
			return !(t->ports[i].state & OFL_PS_LINK_DOWN);
	return false;
}

/* The fields of 'to' that differ from 'from', in the flow syntax ("" if
 * none); 'frame': only what the frame carries (not the metadata). */
static const char *
changes(struct trace *t, const struct vsw_flow_key *from, const struct vsw_flow_key *to, bool frame)
{
	struct vsw_flow_key all;
	struct ofl_match *d = &t->m2;

	uint8_t n = 0;

	memset(&all, 0xff, sizeof(all));
	ofl_xlate_match_back(from, &all, &t->m);
	ofl_xlate_match_back(to, &all, d);
	for (unsigned i = 0; i < d->n; i++) {
		const struct ofl_oxm *o = ofl_match_find(&t->m, d->f[i].field);

		if (frame && d->f[i].field == OFPXMT_OFB_METADATA)
			continue;
		if (o == NULL || memcmp(o->value, d->f[i].value, o->len) != 0)
			d->f[n++] = d->f[i];
	}
	d->n = n;
	ofl_syntax_print_match(d, t->buf2, sizeof(t->buf2));
	return t->buf2;
}

/* vsw_act[] → the flow syntax, tp_* named for the packet's protocol. */
static const char *
acts_text(struct trace *t, const struct vsw_act *acts, size_t n, uint8_t ip_proto)
{
	ofl_xlate_actions_back(acts, n, VSW_ACT_PORT_ANY, &t->acts);
	ofl_xlate_actions_proto(&t->acts, ip_proto);
	ofl_syntax_print_actions(&t->acts, t->buf, sizeof(t->buf));
	return t->buf;
}

static void
on_lookup(struct trace *t, const struct vsw_pl_trace_ev *ev)
{
	const struct vsw_pl_flow *f = ev->flow;
	struct ofl_trace_step s = {.kind = "table", .table_id = ev->table_id, .text = t->text};

	if (f == NULL) {
		step(t, "miss", 0, ev->table_id, "table %u: no flow matches", ev->table_id);
		return;
	}
	ofl_cli_flow_back(f, &t->m, &t->ins);
	ofl_syntax_print_match(&t->m, t->buf, sizeof(t->buf));
	ofl_syntax_print_instructions(&t->ins, t->buf2, sizeof(t->buf2));
	snprintf(t->text, sizeof(t->text), "table %u: priority=%" PRIu32 " cookie=0x%" PRIx64 " %s",
		 ev->table_id, f->rule.priority, f->cookie,
		 t->buf[0] != '\0' ? t->buf : "(matches every packet)");
	s.has_flow = true;
	s.priority = (uint16_t)f->rule.priority;
	s.cookie = f->cookie;
	s.match = t->buf;
	s.actions = t->buf2;
	t->fn(&s, t->arg);
	snprintf(t->text, sizeof(t->text), "instructions: %s", t->buf2);
	s = (struct ofl_trace_step){
		.kind = "instructions", .table_id = ev->table_id, .text = t->text};
	t->fn(&s, t->arg);
}

static void
on_meter(struct trace *t, const struct vsw_pl_trace_ev *ev)
{
	bool pkt = ev->meter_flags & VSW_PL_METER_PKTPS;

	if (!ev->found) {
		step(t, "meter", 0, ev->table_id, "meter %" PRIu32 ": no such meter", ev->id);
		return;
	}
	snprintf(t->buf, sizeof(t->buf), ", burst %" PRIu32 " %s", ev->meter_burst,
		 pkt ? "packets" : "kb");
	step(t, "meter", 0, ev->table_id,
	     "meter %" PRIu32 ": drop band at %" PRIu32 " %s%s (a trace does not measure the "
	     "rate: the packet is assumed within it)",
	     ev->id, ev->meter_rate, pkt ? "pktps" : "kbps",
	     (ev->meter_flags & VSW_PL_METER_BURST) ? t->buf : "");
}

static void
on_action(struct trace *t, const struct vsw_pl_trace_ev *ev)
{
	const char *kind = ev->in_set ? "set" : "apply";
	const char *what = acts_text(t, ev->act, 1, ev->key->ip_proto);
	const char *changed;

	if (ev->act->type == VSW_ACT_DEC_NW_TTL) {
		step(t, kind, ev->depth, ev->table_id,
		     "%s (a traced packet has no TTL: assumed above 1)", what);
		t->prev[ev->depth] = *ev->key;
		return;
	}
	changed = changes(t, &t->prev[ev->depth], ev->key, false); /* 'what' stays in t->buf */
	if (changed[0] != '\0')
		step(t, kind, ev->depth, ev->table_id, "%s: the packet now has %s", what, changed);
	else if (ev->act->type == VSW_ACT_SET_FIELD || ev->act->type == VSW_ACT_POP_VLAN)
		step(t, kind, ev->depth, ev->table_id, "%s: no change to this packet", what);
	else
		step(t, kind, ev->depth, ev->table_id, "%s", what);
	t->prev[ev->depth] = *ev->key;
}

static void
on_output(struct trace *t, const struct vsw_pl_trace_ev *ev)
{
	const char *kind = "output", *changed = changes(t, &t->orig, ev->key, true);
	char name[32], q[32] = "", mod[OFL_SYNTAX_BUF / 4] = "";

	if (ev->queue != 0)
		snprintf(q, sizeof(q), ", queue %" PRIu32, ev->queue);
	if (changed[0] != '\0')
		snprintf(mod, sizeof(mod), "; it leaves with %s", changed);
	port_name(t, ev->port, name, sizeof(name));
	switch (ev->act->type) {
	case VSW_ACT_OUTPUT:
		step(t, kind, ev->depth, ev->table_id, "output:%" PRIu32 "%s%s%s", ev->port, name,
		     q, mod);
		verdict(t, "output:%" PRIu32 "%s", ev->port, name);
		break;
	case VSW_ACT_OUT_IN_PORT:
		step(t, kind, ev->depth, ev->table_id,
		     "IN_PORT: back out of port %" PRIu32 "%s%s%s", ev->port, name, q, mod);
		verdict(t, "IN_PORT:%" PRIu32 "%s", ev->port, name);
		break;
	case VSW_ACT_OUT_NORMAL:
		step(t, kind, ev->depth, ev->table_id,
		     "NORMAL: the learning bridge forwards it (MAC table, VLANs) from port %" PRIu32
		     "%s%s",
		     ev->port, name, mod);
		verdict(t, "NORMAL");
		break;
	case VSW_ACT_OUT_FLOOD:
	case VSW_ACT_OUT_ALL:
		step(t, kind, ev->depth, ev->table_id,
		     "%s: every port of the bridge but port %" PRIu32 "%s%s",
		     ev->act->type == VSW_ACT_OUT_FLOOD ? "FLOOD" : "ALL", ev->port, name, mod);
		verdict(t, "%s", ev->act->type == VSW_ACT_OUT_FLOOD ? "FLOOD" : "ALL");
		break;
	case VSW_ACT_OUT_CONTROLLER:
		step(t, kind, ev->depth, ev->table_id,
		     "CONTROLLER: a packet-in to the controllers (reason %s, max_len %u)%s",
		     ev->pin_reason == VSW_PL_PIN_NO_MATCH ? "no_match" : "action", ev->max_len,
		     mod);
		verdict(t, "CONTROLLER");
		break;
	default:
		step(t, kind, ev->depth, ev->table_id, "%s", acts_text(t, ev->act, 1, 0));
		verdict(t, "%s", t->buf);
		break;
	}
}

static void
on_drop(struct trace *t, const struct vsw_pl_trace_ev *ev)
{
	const char *why;

	switch (ev->drop) {
	case VSW_PL_DROP_TABLE_MISS:
		why = "table miss: no flow matches, the packet is dropped (OpenFlow 1.3 §5.4)";
		break;
	case VSW_PL_DROP_NO_OUTPUT:
		why = "no output: the instructions ended without one and the action set has none";
		break;
	case VSW_PL_DROP_METER:
		why = "the meter does not exist";
		break;
	case VSW_PL_DROP_GROUP:
		why = "the group does not exist, has no live bucket, or is chained too deep";
		break;
	default:
		why = drop_names[ev->drop];
		break;
	}
	step(t, "drop", ev->depth, ev->table_id, "drop: %s", why);
}

static void
on_group(struct trace *t, const struct vsw_pl_trace_ev *ev)
{
	if (ev->depth + 1 < MAX_DEPTH)
		t->group_type[ev->depth] = ev->group_type;
	if (!ev->found) {
		step(t, "group", ev->depth, ev->table_id, "group:%" PRIu32 ": no such group",
		     ev->id);
		return;
	}
	step(t, "group", ev->depth, ev->table_id, "group:%" PRIu32 ": %s, %u bucket%s", ev->id,
	     ev->group_type < 4 ? group_types[ev->group_type] : "?", ev->n_buckets,
	     ev->n_buckets == 1 ? "" : "s");
}

static void
on_bucket(struct trace *t, const struct vsw_pl_trace_ev *ev)
{
	uint8_t type = ev->depth >= 1 ? t->group_type[ev->depth - 1] : 0;
	const char *how = type == VSW_PL_GROUP_SELECT ? " chosen by the packet's hash"
			  : type == VSW_PL_GROUP_FF   ? ", the first live one"
						      : "";

	if (ev->depth < MAX_DEPTH)
		t->prev[ev->depth] = *ev->key;
	step(t, "bucket", ev->depth, ev->table_id, "bucket %u%s (weight %u): %s", ev->bucket, how,
	     ev->weight, acts_text(t, ev->acts, ev->n_acts, ev->key->ip_proto));
}

static void
on_event(void *arg, const struct vsw_pl_trace_ev *ev)
{
	struct trace *t = arg;
	uint8_t proto = ev->key->ip_proto;

	if (ev->depth >= MAX_DEPTH)
		return;
	switch (ev->kind) {
	case VSW_PL_TRACE_LOOKUP:
		on_lookup(t, ev);
		break;
	case VSW_PL_TRACE_METER:
		on_meter(t, ev);
		break;
	case VSW_PL_TRACE_ACTION:
		on_action(t, ev);
		break;
	case VSW_PL_TRACE_CLEAR:
		step(t, "clear", 0, ev->table_id, "clear_actions: the action set is now empty");
		break;
	case VSW_PL_TRACE_WRITE:
		step(t, "write", 0, ev->table_id, "write_actions(%s): into the action set",
		     acts_text(t, ev->acts, ev->n_acts, proto));
		break;
	case VSW_PL_TRACE_METADATA:
		step(t, "metadata", 0, ev->table_id, "write_metadata: metadata=0x%" PRIx64,
		     ev->key->metadata);
		t->prev[0] = *ev->key;
		break;
	case VSW_PL_TRACE_GOTO:
		step(t, "goto", 0, ev->table_id, "goto_table:%u", ev->table_id);
		break;
	case VSW_PL_TRACE_ACTION_SET: {
		struct vsw_act set[VSW_ACT_SET_MAX];

		for (size_t i = 0; i < ev->n_acts && i < VSW_ACT_SET_MAX; i++)
			set[i] = *ev->set[i];
		if (ev->n_acts == 0)
			step(t, "action_set", 0, ev->table_id,
			     "no goto_table: end of the pipeline, the action set is empty");
		else
			step(t, "action_set", 0, ev->table_id,
			     "no goto_table: end of the pipeline, the action set runs: %s",
			     acts_text(t, set, ev->n_acts, proto));
		break;
	}
	case VSW_PL_TRACE_GROUP:
		on_group(t, ev);
		break;
	case VSW_PL_TRACE_BUCKET:
		on_bucket(t, ev);
		break;
	case VSW_PL_TRACE_OUTPUT:
		on_output(t, ev);
		break;
	case VSW_PL_TRACE_DROP:
		on_drop(t, ev);
		break;
	}
}

static void
trace_run(struct trace *t, struct vsw_pl *pl, const struct vsw_flow_key *key)
{
	static const struct vsw_pl_trace_ops ops = {.event = on_event, .port_live = port_live};
	struct vsw_pl_trace_result res;
	char name[32];

	if (port_name(t, key->in_port, name, sizeof(name))[0] == '\0')
		step(t, "note", 0, -1, "in_port %" PRIu32 " is not a port of %s (traced anyway)",
		     key->in_port, t->dp->conf.name);
	t->orig = *key;
	for (unsigned d = 0; d < MAX_DEPTH; d++)
		t->prev[d] = *key;
	vsw_pl_trace(pl, key, &ops, t, &res);
	t->sum->n_tables = res.n_tables;
	t->sum->n_outputs = res.n_outputs;
	t->sum->dropped = res.dropped;
	t->sum->truncated = res.truncated;
	if (res.truncated)
		step(t, "note", 0, -1, "more than %u steps: the rest is not traced",
		     VSW_PL_TRACE_MAX_EVENTS);
	if (res.dropped) {
		t->verdict_len = 0;
		verdict(t, "drop: %s", drop_names[res.drop]);
	}
}

int
ofl_agent_trace(struct ofl_agent *a, const char *bridge, const char *packet,
		void (*fn)(const struct ofl_trace_step *s, void *arg), void *arg,
		struct ofl_trace_summary *sum, struct iovs_err *err)
{
	struct ofl_msg *m = malloc(sizeof(*m));
	struct trace *t = calloc(1, sizeof(*t));
	struct vsw_flow_key key, mask;
	struct vsw_pl *pl;
	struct dp *dp;
	int rc;

	memset(sum, 0, sizeof(*sum));
	if (m == NULL || t == NULL) {
		rc = iovs_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	rc = ofl_syntax_parse(packet != NULL ? packet : "", OFL_SYNTAX_PACKET, false, m, err);
	if (rc == 0 && ofl_xlate_match(&m->flow_mod.match, &key, &mask) != 0)
		rc = iovs_errf(err, -EINVAL, "a field the pipeline does not match");
	if (rc == 0)
		rc = ofl_cli_lock_dp(a, bridge, &dp, &pl, err);
	if (rc != 0)
		goto out;
	ofl_syntax_print_match(&m->flow_mod.match, sum->packet, sizeof(sum->packet));
	vsw_pl_trace_key_parse(&key);
	t->dp = dp;
	t->fn = fn;
	t->arg = arg;
	t->sum = sum;
	if (dp->ops->port_list != NULL)
		t->n_ports = dp->ops->port_list(dp->sw, t->ports, MAX_PORTS);
	if (t->n_ports > MAX_PORTS)
		t->n_ports = MAX_PORTS;
	trace_run(t, pl, &key);
	pthread_mutex_unlock(&a->mu);
out:
	free(t);
	free(m);
	return rc;
}
