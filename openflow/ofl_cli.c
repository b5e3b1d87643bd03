/* Flows from the command line (ofl_agent.h): iovsctl flow add/mod/del and
 * flow dump, for iovsd's control thread. The text goes through ofl_syntax.c
 * into the codec's FLOW_MOD (parsed before the mutex is taken), then through
 * ofl_tables.c's transaction path under the agent's mutex, as a controller's
 * FLOW_MOD would; a dump walks the pipeline as the FLOW multipart does
 * (ofl_table_stats.c). The trace is ofl_trace.c's. */
#define LOG_PREFIX "openflow/cli: "
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iovs_log.h"
#include "ofl_cli.h"
#include "ofl_priv.h"
#include "ofl_syntax.h"
#include "ofl_wire.h"
#include "ofl_xlate.h"

#define VISIBLE_WAIT_MS 1000

int
ofl_cli_lock_dp(struct ofl_agent *a, const char *name, struct dp **dp, struct vsw_pl **pl,
		struct iovs_err *err)
{
	pthread_mutex_lock(&a->mu);
	for (unsigned i = 0; i < MAX_DPS; i++) {
		if (a->dps[i] == NULL || strcmp(a->dps[i]->conf.name, name) != 0)
			continue;
		*dp = a->dps[i];
		*pl = ofl_dp_pipeline(*dp);
		if (*pl != NULL)
			return 0;
		pthread_mutex_unlock(&a->mu);
		return iovs_errf(err, -ENODEV,
				 "bridge %s: its OpenFlow datapath has no flow tables", name);
	}
	pthread_mutex_unlock(&a->mu);
	return iovs_errf(err, -ENOENT, "bridge %s has no OpenFlow datapath", name);
}

void
ofl_cli_flow_back(const struct vsw_pl_flow *f, struct ofl_match *m, struct ofl_instructions *ins)
{
	const struct ofl_oxm *proto;

	ofl_xlate_match_back(&f->rule.key, &f->rule.mask, m);
	ofl_xlate_prog_back(vsw_cls_rule_actions(&f->rule), VSW_ACT_PORT_ANY, ins);
	proto = ofl_match_find(m, OFPXMT_OFB_IP_PROTO);
	if (proto != NULL) {
		ofl_xlate_actions_proto(&ins->apply, proto->value[0]);
		ofl_xlate_actions_proto(&ins->write, proto->value[0]);
	}
}

/* ---- flow add / mod / del ---- */

/* Why the pipeline (or the agent's state checks) refused a FLOW_MOD. */
static const char *
refusal_why(int rc)
{
	switch (-rc) {
	case OFL_E_FMF_BAD_TABLE_ID:
		return "no such table";
	case OFL_E_BIC_BAD_TABLE_ID:
		return "goto_table names a table past the last one";
	case OFL_E_BAC_BAD_OUT_GROUP:
		return "a group the actions use does not exist (add it with ovs-ofctl add-group)";
	case OFL_E_MMF_UNKNOWN_METER:
		return "the meter does not exist (add it with ovs-ofctl add-meter)";
	case OFL_E_BAC_BAD_OUT_PORT:
		return "an output port is not a port of the bridge";
	case OFL_E_FMF_OVERLAP:
		return "check_overlap: it overlaps a flow of the same priority";
	case OFL_E_BAC_MATCH_INCONSISTENT:
		return "an action needs a header the match does not guarantee";
	case OFL_E_BAC_BAD_TYPE:
		return "an action the pipeline does not implement";
	case OFL_E_FMF_UNKNOWN:
		return "out of memory, or the table is full";
	default:
		return "refused";
	}
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
wake(struct ofl_agent *a)
{
	uint64_t one = 1;

	if (write(a->wake_fd, &one, sizeof(one)) < 0)
		LOG_WARN("eventfd: %s", strerror(errno));
}

/* Like a controller's BARRIER: the change is visible to every PMD. The
 * mutex is not held while waiting (the OpenFlow thread goes on). */
static void
wait_visible(struct ofl_agent *a, struct vsw_pl *pl, uint64_t token, const char *bridge)
{
	for (unsigned ms = 0; ms < VISIBLE_WAIT_MS; ms++) {
		bool done;

		pthread_mutex_lock(&a->mu);
		done = vsw_pl_synced(pl, token);
		pthread_mutex_unlock(&a->mu);
		if (done)
			return;
		usleep(1000);
	}
	LOG_WARN("%s: a flow change is not yet seen by every PMD after %u ms", bridge,
		 VISIBLE_WAIT_MS);
}

int
ofl_agent_flow_mod(struct ofl_agent *a, const char *bridge, enum ofl_cli_cmd cmd, bool strict,
		   const char *text, struct iovs_err *err)
{
	static const enum ofl_syntax_use uses[] = {
		[OFL_CLI_ADD] = OFL_SYNTAX_ADD,
		[OFL_CLI_MODIFY] = OFL_SYNTAX_MODIFY,
		[OFL_CLI_DELETE] = OFL_SYNTAX_DELETE,
	};
	struct ofl_msg *m;
	struct vsw_pl *pl;
	struct dp *dp;
	uint64_t token;
	uint8_t n_tables;
	int rc;

	if ((unsigned)cmd > OFL_CLI_DELETE)
		return iovs_errf(err, -EINVAL, "unknown command %d", (int)cmd);
	m = malloc(sizeof(*m));
	if (m == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory");
	rc = ofl_syntax_parse(text != NULL ? text : "", uses[cmd], strict, m, err);
	if (rc == 0)
		rc = ofl_cli_lock_dp(a, bridge, &dp, &pl, err);
	if (rc != 0)
		goto out;
	rc = ofl_tables_txn(dp, m);
	token = dp->token;
	n_tables = ofl_dp_n_tables(dp);
	pthread_mutex_unlock(&a->mu);
	if (rc != 0) {
		if (rc == -(int)OFL_E_FMF_BAD_TABLE_ID || rc == -(int)OFL_E_BIC_BAD_TABLE_ID)
			rc = iovs_errf(err, -EINVAL, "%s: %s: the bridge has tables 0..%u",
				       ofl_err_name(rc), refusal_why(rc), n_tables - 1u);
		else
			rc = iovs_errf(err, -EINVAL, "%s: %s", ofl_err_name(rc), refusal_why(rc));
		goto out;
	}
	wake(a);
	wait_visible(a, pl, token, bridge);
out:
	free(m);
	return rc;
}

/* ---- flow dump ---- */

struct dump {
	const struct ofl_flow_mod *sel;
	struct vsw_flow_key key, mask;
	const struct vsw_pl_flow **v;
	size_t n, cap;
	bool nomem;
	/* one flow at a time */
	struct ofl_flow_stats fs;
	char match[OFL_SYNTAX_BUF], actions[OFL_SYNTAX_BUF], flags[128];
};

/* What a FLOW multipart would select (§7.3.5.2). */
static void
collect(const struct vsw_pl_flow *f, void *arg)
{
	struct dump *d = arg;
	const struct ofl_flow_mod *s = d->sel;

	if ((f->cookie & s->cookie_mask) != (s->cookie & s->cookie_mask) ||
	    !vsw_flow_mask_is_subset(&d->mask, &f->rule.mask) ||
	    !vsw_flow_key_equal_masked(&f->rule.key, &d->key, &d->mask) ||
	    !vsw_act_prog_outputs_to(vsw_cls_rule_actions(&f->rule), s->out_port, s->out_group))
		return;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;
		const struct vsw_pl_flow **v = realloc(d->v, cap * sizeof(*v));

		if (v == NULL) {
			d->nomem = true;
			return;
		}
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = f;
}

/* Table, priority descending, then the older flow first. */
static int
flow_order(const void *x, const void *y)
{
	const struct vsw_pl_flow *a = *(const struct vsw_pl_flow *const *)x;
	const struct vsw_pl_flow *b = *(const struct vsw_pl_flow *const *)y;

	if (a->table_id != b->table_id)
		return a->table_id < b->table_id ? -1 : 1;
	if (a->rule.priority != b->rule.priority)
		return a->rule.priority > b->rule.priority ? -1 : 1;
	if (a->created_ns != b->created_ns)
		return a->created_ns < b->created_ns ? -1 : 1;
	return a->rule.seq < b->rule.seq ? -1 : a->rule.seq > b->rule.seq;
}

static void
flags_text(uint16_t flags, char *buf, size_t size)
{
	static const struct {
		uint16_t flag;
		const char *name;
	} names[] = {
		{OFPFF_SEND_FLOW_REM, "send_flow_rem"},	 {OFPFF_CHECK_OVERLAP, "check_overlap"},
		{OFPFF_RESET_COUNTS, "reset_counts"},	 {OFPFF_NO_PKT_COUNTS, "no_packet_counts"},
		{OFPFF_NO_BYT_COUNTS, "no_byte_counts"},
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && n < size; i++)
		if (flags & names[i].flag)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "," : "",
					      names[i].name);
}

static void
dump_one(struct dump *d, const struct vsw_pl_flow *f, uint64_t now, struct ofl_flow_entry *e)
{
	struct ofl_flow_stats *fs = &d->fs;
	uint64_t used, age = now > f->created_ns ? now - f->created_ns : 0;

	memset(fs, 0, sizeof(*fs));
	fs->table_id = f->table_id;
	fs->duration_sec = (uint32_t)(age / 1000000000u);
	fs->duration_nsec = (uint32_t)(age % 1000000000u);
	fs->priority = (uint16_t)f->rule.priority;
	fs->idle_timeout = f->idle_timeout;
	fs->hard_timeout = f->hard_timeout;
	fs->flags = f->flags;
	fs->cookie = f->cookie;
	vsw_pl_flow_stats(f, &fs->packet_count, &fs->byte_count, &used);
	ofl_cli_flow_back(f, &fs->match, &fs->ins);
	ofl_syntax_print_match(&fs->match, d->match, sizeof(d->match));
	ofl_syntax_print_instructions(&fs->ins, d->actions, sizeof(d->actions));
	flags_text(f->flags, d->flags, sizeof(d->flags));
	*e = (struct ofl_flow_entry){
		.fs = fs, .match = d->match, .actions = d->actions, .flags = d->flags};
}

int
ofl_agent_flow_dump(struct ofl_agent *a, const char *bridge, const char *filter,
		    void (*fn)(const struct ofl_flow_entry *e, void *arg), void *arg,
		    struct iovs_err *err)
{
	struct ofl_msg *m = malloc(sizeof(*m));
	struct dump *d = calloc(1, sizeof(*d));
	struct vsw_pl *pl;
	struct dp *dp;
	uint8_t table;
	int rc;

	if (m == NULL || d == NULL) {
		rc = iovs_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	rc = ofl_syntax_parse(filter != NULL ? filter : "", OFL_SYNTAX_FILTER, false, m, err);
	if (rc == 0 && ofl_xlate_match(&m->flow_mod.match, &d->key, &d->mask) != 0)
		rc = iovs_errf(err, -EINVAL, "a field the pipeline does not match");
	if (rc == 0)
		rc = ofl_cli_lock_dp(a, bridge, &dp, &pl, err);
	if (rc != 0)
		goto out;
	d->sel = &m->flow_mod;
	table = m->flow_mod.table_id;
	if (table != OFPTT_ALL && table >= ofl_dp_n_tables(dp)) {
		rc = iovs_errf(err, -EINVAL,
			       "table=%u: no such table (the bridge has tables 0..%u)", table,
			       ofl_dp_n_tables(dp) - 1u);
	} else {
		uint64_t now = mono_ns();

		vsw_pl_flow_foreach(pl, table == OFPTT_ALL ? VSW_PL_TABLE_ALL : table, collect, d);
		if (d->nomem)
			rc = iovs_errf(err, -ENOMEM, "out of memory");
		else if (d->n > 0)
			qsort(d->v, d->n, sizeof(d->v[0]), flow_order);
		for (size_t i = 0; rc == 0 && i < d->n; i++) {
			struct ofl_flow_entry e;

			dump_one(d, d->v[i], now, &e);
			fn(&e, arg);
		}
	}
	pthread_mutex_unlock(&a->mu);
	if (rc == 0)
		rc = (int)d->n;
out:
	if (d != NULL)
		free(d->v);
	free(d);
	free(m);
	return rc;
}
