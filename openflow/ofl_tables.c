/* The agent's flow tables: FLOW_MOD, GROUP_MOD, METER_MOD, PACKET_OUT,
 * bundles, the table multiparts, FLOW_REMOVED and PACKET_IN, on the switch's
 * pipeline (vswitch/pipeline.h) through ofl_xlate.c. The agent thread is the
 * pipeline's one writer: each message is one transaction (begin → mod →
 * commit, or abort on an error), a committed bundle is one transaction for all
 * its messages (P7). A BARRIER waits for the token of the last commit
 * (vsw_pl_synced: every PMD has passed a quiescent state since); nothing here
 * ever waits for a PMD. */
#define LOG_PREFIX "openflow/tables: "
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iovs_log.h"
#include "iovs_time.h"
#include "ofl_agent_priv.h"
#include "ofl_wire.h"
#include "ofl_xlate.h"

#define BUNDLE_MAX_MSGS	 100000u
#define BUNDLE_MAX_BYTES (64u << 20)
#define EXPIRE_EVERY_MS	 1000u
#define PIN_PER_RUN	 256u

/* Scratch of the agent thread (one per agent, allocated on first use). */
struct ofl_tables_scratch {
	struct ofl_xlate_insts xi;
	struct vsw_act gacts[OFL_MAX_BUCKETS][OFL_MAX_ACTIONS];
	struct vsw_pl_bucket_spec gb[OFL_MAX_BUCKETS];
	struct ofl_msg inner; /* a bundle's message, decoded */
	struct ofl_flow_stats fs;
	struct ofl_group_desc gd;
	uint8_t pin_buf[OFL_MAX_MSG_LEN + 1];
	/* Flows removed in the open transaction with SEND_FLOW_REM. */
	struct vsw_pl_removed *rm;
	size_t n_rm, cap_rm;
	bool rm_failed;
};

struct ofl_bundle_msg {
	size_t len;
	uint8_t raw[];
};

struct ofl_bundle_st {
	uint32_t id;
	uint16_t flags;
	bool onf;
	bool closed;
	uint8_t version;
	size_t n, cap, bytes;
	struct ofl_bundle_msg **msgs;
};

static struct ofl_tables_scratch *
scratch(struct ofl_agent *a)
{
	if (a->ts == NULL)
		a->ts = calloc(1, sizeof(*a->ts));
	return a->ts;
}

void
ofl_tables_scratch_free(struct ofl_agent *a)
{
	if (a->ts != NULL)
		free(a->ts->rm);
	free(a->ts);
	a->ts = NULL;
}

struct vsw_pl *
ofl_dp_pipeline(const struct dp *dp)
{
	return dp->ops != NULL && dp->ops->pipeline != NULL ? dp->ops->pipeline(dp->sw) : NULL;
}

/* ---- transactions ---- */

static void
removed_cb(void *arg, const struct vsw_pl_removed *rm)
{
	struct ofl_tables_scratch *ts = arg;

	if (!(rm->flags & VSW_PL_FF_SEND_FLOW_REM))
		return;
	if (ts->n_rm == ts->cap_rm) {
		size_t cap = ts->cap_rm ? ts->cap_rm * 2 : 64;
		struct vsw_pl_removed *n = realloc(ts->rm, cap * sizeof(*n));

		if (n == NULL) {
			ts->rm_failed = true;
			return;
		}
		ts->rm = n;
		ts->cap_rm = cap;
	}
	ts->rm[ts->n_rm++] = *rm;
}

/* FLOW_REMOVED (§7.4.2) to every connection whose role and async filter
 * want it. */
static void
send_removed(struct dp *dp, const struct vsw_pl_removed *rm)
{
	struct ofl_msg *m;
	unsigned i;

	for (i = 0; i < dp->n_peers; i++) {
		struct peer *pe = dp->peers[i];
		struct ofl_flow_removed *fr;

		if (!ofl_conn_async_wants(pe->c, OFL_ASYNC_FLOW_REMOVED, rm->reason))
			continue;
		m = ofl_reply_init(pe, OFPT_FLOW_REMOVED, 0);
		fr = &m->flow_removed;
		fr->cookie = rm->cookie;
		fr->priority = (uint16_t)rm->priority;
		fr->reason = rm->reason;
		fr->table_id = rm->table_id;
		fr->duration_sec = (uint32_t)(rm->duration_ns / 1000000000u);
		fr->duration_nsec = (uint32_t)(rm->duration_ns % 1000000000u);
		fr->idle_timeout = rm->idle_timeout;
		fr->hard_timeout = rm->hard_timeout;
		fr->packet_count = rm->packets;
		fr->byte_count = rm->bytes;
		ofl_xlate_match_back(&rm->key, &rm->mask, &fr->match);
		ofl_conn_send_msg(pe->c, m);
	}
}

static int
txn_begin(struct dp *dp, struct vsw_pl *pl)
{
	struct ofl_tables_scratch *ts = scratch(dp->a);

	if (ts == NULL)
		return -ENOMEM;
	ts->n_rm = 0;
	ts->rm_failed = false;
	return vsw_pl_begin(pl, iovs_now_ns());
}

/* Queues the commit's flow-install sample: from 'rx_ns' (the arrival of the
 * message that made it; 0: not from a controller, no sample) until every PMD
 * has seen it (ofl_tables_install_poll). */
static void
install_pend(struct dp *dp, uint64_t token, uint64_t rx_ns)
{
	unsigned tail;

	if (rx_ns == 0)
		return;
	if (dp->pend_n == INSTALL_PEND) {
		dp->install_unsampled++;
		return;
	}
	tail = (dp->pend_head + dp->pend_n++) % INSTALL_PEND;
	dp->pend[tail].token = token;
	dp->pend[tail].rx_ns = rx_ns;
}

bool
ofl_tables_install_poll(struct dp *dp)
{
	struct vsw_pl *pl = ofl_dp_pipeline(dp);

	while (dp->pend_n > 0) {
		unsigned h = dp->pend_head;
		uint64_t now;

		/* Tokens grow: once one is seen, all before it are. */
		if (pl != NULL && !vsw_pl_synced(pl, dp->pend[h].token))
			return true;
		now = iovs_now_ns();
		iovs_hist_add(&dp->install, now > dp->pend[h].rx_ns ? now - dp->pend[h].rx_ns : 0);
		dp->pend_head = (h + 1) % INSTALL_PEND;
		dp->pend_n--;
		dp->a->waits_done++;
	}
	return false;
}

static void
txn_commit(struct dp *dp, struct vsw_pl *pl, uint64_t rx_ns)
{
	struct ofl_tables_scratch *ts = dp->a->ts;

	dp->token = vsw_pl_commit(pl);
	dp->has_token = true;
	install_pend(dp, dp->token, rx_ns);
	if (ts->rm_failed)
		LOG_WARN("%s: out of memory: some FLOW_REMOVED not sent", dp->conf.name);
	for (size_t i = 0; i < ts->n_rm; i++)
		send_removed(dp, &ts->rm[i]);
	ts->n_rm = 0;
}

static void
txn_abort(struct dp *dp, struct vsw_pl *pl)
{
	vsw_pl_abort(pl);
	dp->a->ts->n_rm = 0;
}

static int
apply_flow_mod(struct dp *dp, struct vsw_pl *pl, const struct ofl_flow_mod *fm)
{
	struct ofl_tables_scratch *ts = dp->a->ts;
	struct vsw_pl_flow_mod vfm;
	uint8_t nt = ofl_dp_n_tables(dp);
	int rc;

	if (fm->command <= OFPFC_MODIFY_STRICT && fm->table_id >= nt)
		return -OFL_E_FMF_BAD_TABLE_ID;
	if (fm->command >= OFPFC_DELETE && fm->table_id != OFPTT_ALL && fm->table_id >= nt)
		return -OFL_E_FMF_BAD_TABLE_ID;
	if (fm->command <= OFPFC_MODIFY_STRICT && fm->buffer_id != OFP_NO_BUFFER)
		return -OFL_E_BUFFER_UNKNOWN;
	if (fm->command <= OFPFC_MODIFY_STRICT &&
	    ofl_instructions_has(&fm->ins, OFPIT_GOTO_TABLE) && fm->ins.goto_table >= nt)
		return -OFL_E_BIC_BAD_TABLE_ID;
	rc = ofl_xlate_flow_mod(fm, &vfm, &ts->xi);
	if (rc != 0)
		return rc;
	return ofl_xlate_err(vsw_pl_flow_mod(pl, &vfm, removed_cb, ts));
}

static int
apply_group_mod(struct dp *dp, struct vsw_pl *pl, const struct ofl_group_mod *gm)
{
	struct ofl_tables_scratch *ts = dp->a->ts;
	struct vsw_pl_group_mod vgm = {
		.cmd = (enum vsw_pl_mod_cmd)gm->command,
		.type = gm->type,
		/* DELETE of OFPG_ALL (§7.3.4.2) is the pipeline's "every group". */
		.group_id = gm->command == OFPGC_DELETE && gm->group_id == OFPG_ALL
				    ? VSW_ACT_GROUP_ANY
				    : gm->group_id,
		.buckets = ts->gb,
		.n_buckets = gm->n_buckets,
	};

	for (unsigned i = 0; i < gm->n_buckets; i++) {
		const struct ofl_bucket *b = &gm->buckets[i];
		int n = ofl_xlate_actions(&b->actions, ts->gacts[i]);

		if (n < 0)
			return n;
		ts->gb[i] = (struct vsw_pl_bucket_spec){.weight = b->weight,
							.watch_port = b->watch_port,
							.watch_group = b->watch_group,
							.acts = ts->gacts[i],
							.n_acts = (size_t)n};
	}
	return ofl_xlate_err(vsw_pl_group_mod(pl, &vgm, removed_cb, ts));
}

static int
apply_meter_mod(struct dp *dp, struct vsw_pl *pl, const struct ofl_meter_mod *mm)
{
	struct vsw_pl_meter_mod vmm = {
		.cmd = (enum vsw_pl_mod_cmd)mm->command,
		.flags = mm->flags,
		.meter_id = mm->meter_id,
	};

	if (mm->command != OFPMC_DELETE) {
		if (mm->n_bands != 1)
			return -OFL_E_MMF_BAD_BAND; /* one drop band */
		vmm.rate = mm->bands[0].rate;
		vmm.burst = mm->bands[0].burst_size;
	}
	return ofl_xlate_err(vsw_pl_meter_mod(pl, &vmm, removed_cb, dp->a->ts));
}

/* One state-changing message inside an open transaction. */
static int
txn_apply(struct dp *dp, struct vsw_pl *pl, const struct ofl_msg *m)
{
	switch (m->h.type) {
	case OFPT_FLOW_MOD:
		return apply_flow_mod(dp, pl, &m->flow_mod);
	case OFPT_GROUP_MOD:
		return apply_group_mod(dp, pl, &m->group_mod);
	case OFPT_METER_MOD:
		return apply_meter_mod(dp, pl, &m->meter_mod);
	case OFPT_PORT_MOD:
		return 0; /* port config bits are not kept (documented) */
	default:
		return -OFL_E_BFC_MSG_UNSUP;
	}
}

/* One FLOW/GROUP/METER_MOD as its own transaction; 'rx_ns' as txn_commit. */
static int
txn_run(struct dp *dp, const struct ofl_msg *m, uint64_t rx_ns)
{
	struct vsw_pl *pl = ofl_dp_pipeline(dp);
	int rc;

	if (pl == NULL)
		return -OFL_E_BAD_TYPE;
	rc = txn_begin(dp, pl);
	if (rc != 0)
		return -OFL_E_FMF_UNKNOWN;
	rc = txn_apply(dp, pl, m);
	if (rc != 0) {
		txn_abort(dp, pl);
		return rc;
	}
	txn_commit(dp, pl, rx_ns);
	return 0;
}

static int
txn_one(struct peer *pe, const struct ofl_msg *m)
{
	return txn_run(pe->dp, m, pe->c->last_rx_ns);
}

int
ofl_h_flow_mod(struct peer *pe, const struct ofl_msg *m, const uint8_t *raw, size_t len)
{
	(void)raw;
	(void)len;
	return txn_one(pe, m);
}

int
ofl_h_group_mod(struct peer *pe, const struct ofl_msg *m, const uint8_t *raw, size_t len)
{
	(void)raw;
	(void)len;
	return txn_one(pe, m);
}

int
ofl_h_meter_mod(struct peer *pe, const struct ofl_msg *m, const uint8_t *raw, size_t len)
{
	(void)raw;
	(void)len;
	return txn_one(pe, m);
}

uint64_t
ofl_tables_change_seq(struct dp *dp)
{
	if (ofl_dp_pipeline(dp) != NULL)
		return dp->token;
	return dp->ops != NULL && dp->ops->change_seq != NULL ? dp->ops->change_seq(dp->sw) : 0;
}

bool
ofl_tables_visible(struct dp *dp, uint64_t seq)
{
	struct vsw_pl *pl = ofl_dp_pipeline(dp);

	if (pl != NULL)
		return !dp->has_token || vsw_pl_synced(pl, seq);
	if (dp->ops == NULL || dp->ops->visible_seq == NULL)
		return true;
	return dp->ops->visible_seq(dp->sw) >= seq;
}

/* ---- PACKET_OUT ---- */

int
ofl_h_packet_out(struct peer *pe, const struct ofl_msg *m, const uint8_t *raw, size_t len)
{
	const struct ofl_packet_out *po = &m->packet_out;
	struct dp *dp = pe->dp;
	struct ofl_tables_scratch *ts = scratch(dp->a);
	struct vsw_act_env env = {
		.table_id = 0,
		.n_tables = ofl_dp_n_tables(dp),
		.packet_out = true,
		.local_port = VSW_ACT_PORT_ANY,
	};
	struct vsw_act_insts insts = {.goto_table = VSW_ACT_NO_TABLE};
	struct vsw_act_prog *prog;
	enum vsw_act_err ve;
	int n, rc;

	(void)raw;
	(void)len;
	if (ofl_dp_pipeline(dp) == NULL || dp->ops->packet_out == NULL)
		return -OFL_E_BAD_TYPE;
	if (ts == NULL)
		return -OFL_E_FMF_UNKNOWN;
	if (po->buffer_id != OFP_NO_BUFFER)
		return -OFL_E_BUFFER_UNKNOWN; /* n_buffers is 0 */
	n = ofl_xlate_actions(&po->actions, ts->xi.apply);
	if (n < 0)
		return n;
	insts.apply = ts->xi.apply;
	insts.n_apply = (size_t)n;
	ve = vsw_act_compile(&insts, &env, &prog);
	if (ve != VSW_ACT_OK)
		return ofl_xlate_err(ve);
	rc = dp->ops->packet_out(dp->sw, po->in_port, po->data, po->data_len, prog);
	if (rc == -EMSGSIZE)
		return -OFL_E_BAD_PACKET;
	if (rc != 0)
		LOG_WARN("%s: packet-out dropped: %s", dp->conf.name, strerror(-rc));
	return 0;
}

/* ---- PACKET_IN ---- */

struct pin_walk {
	struct dp *dp;
	uint8_t *buf;
};

static void
pin_cb(void *arg, const struct ofl_pin *pin)
{
	struct pin_walk *w = arg;
	struct dp *dp = w->dp;
	unsigned i;

	for (i = 0; i < dp->n_peers; i++) {
		struct peer *pe = dp->peers[i];
		struct ofl_msg *m;
		struct ofl_packet_in *pi;
		uint32_t keep = pin->len;

		if (!ofl_conn_async_wants(pe->c, OFL_ASYNC_PACKET_IN, pin->reason))
			continue;
		if (pin->max_len != OFPCML_NO_BUFFER && keep > pin->max_len)
			keep = pin->max_len;
		if (keep > 65000)
			keep = 65000;
		m = ofl_reply_init(pe, OFPT_PACKET_IN, 0);
		pi = &m->packet_in;
		pi->buffer_id = OFP_NO_BUFFER;
		pi->total_len = (uint16_t)(pin->len > 0xffff ? 0xffff : pin->len);
		pi->reason = pin->reason;
		pi->table_id = pin->table_id;
		pi->cookie = pin->cookie;
		pi->match.n = 1;
		pi->match.f[0].field = OFPXMT_OFB_IN_PORT;
		pi->match.f[0].len = 4;
		pi->match.f[0].value[0] = (uint8_t)(pin->in_port >> 24);
		pi->match.f[0].value[1] = (uint8_t)(pin->in_port >> 16);
		pi->match.f[0].value[2] = (uint8_t)(pin->in_port >> 8);
		pi->match.f[0].value[3] = (uint8_t)pin->in_port;
		if (pin->metadata != 0) {
			struct ofl_oxm *o = &pi->match.f[pi->match.n++];

			o->field = OFPXMT_OFB_METADATA;
			o->len = 8;
			for (int k = 0; k < 8; k++)
				o->value[k] = (uint8_t)(pin->metadata >> (56 - 8 * k));
		}
		pi->data = pin->data;
		pi->data_len = keep;
		ofl_conn_send_msg(pe->c, m);
	}
}

/* ---- timers ---- */

static void
install_default_flow(struct dp *dp, struct vsw_pl *pl)
{
	/* fail_mode standalone: as Open vSwitch, a new bridge has the visible
	 * flow "priority=0 actions=NORMAL" (a controller may delete it);
	 * secure: no flow, a table miss drops (OF 1.3 §5.4). */
	struct ofl_msg *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return;
	m->h.type = OFPT_FLOW_MOD;
	m->flow_mod.command = OFPFC_ADD;
	m->flow_mod.buffer_id = OFP_NO_BUFFER;
	m->flow_mod.out_port = OFPP_ANY;
	m->flow_mod.out_group = OFPG_ANY;
	m->flow_mod.ins.n = 1;
	m->flow_mod.ins.order[0] = OFPIT_APPLY_ACTIONS;
	m->flow_mod.ins.apply.n = 1;
	m->flow_mod.ins.apply.a[0].type = OFPAT_OUTPUT;
	m->flow_mod.ins.apply.a[0].output.port = OFPP_NORMAL;
	if (txn_begin(dp, pl) == 0) {
		int rc = apply_flow_mod(dp, pl, &m->flow_mod);

		if (rc == 0)
			txn_commit(dp, pl, 0);
		else {
			txn_abort(dp, pl);
			LOG_ERR("%s: the default NORMAL flow was refused: %s", dp->conf.name,
				ofl_err_name(rc));
		}
	}
	free(m);
}

void
ofl_tables_run(struct dp *dp, uint64_t now_ms)
{
	struct vsw_pl *pl = ofl_dp_pipeline(dp);
	struct ofl_tables_scratch *ts;

	if (pl == NULL || (ts = scratch(dp->a)) == NULL)
		return;
	if (!dp->tables_ready) {
		dp->tables_ready = true;
		if (dp->conf.fail_mode == OFL_FAIL_STANDALONE && vsw_pl_n_flows(pl) == 0)
			install_default_flow(dp, pl);
	}
	vsw_pl_poll(pl);
	if (now_ms >= dp->next_expire_ms) {
		dp->next_expire_ms = now_ms + EXPIRE_EVERY_MS;
		ts->n_rm = 0;
		ts->rm_failed = false;
		if (vsw_pl_expire(pl, iovs_now_ns(), removed_cb, ts) > 0)
			for (size_t i = 0; i < ts->n_rm; i++)
				send_removed(dp, &ts->rm[i]);
		ts->n_rm = 0;
	}
	if (dp->ops->packet_in_poll != NULL) {
		struct pin_walk w = {.dp = dp, .buf = ts->pin_buf};

		dp->ops->packet_in_poll(dp->sw, pin_cb, &w, PIN_PER_RUN);
	}
}

/* ---- bundles (OF 1.4 §7.3.9; ONF EXT-230 on 1.3) ---- */

static void
bundle_reset(struct ofl_bundle_st *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->msgs[i]);
	free(b->msgs);
	b->msgs = NULL;
	b->n = b->cap = b->bytes = 0;
}

void
ofl_bundle_free(struct peer *pe)
{
	if (pe->bundle == NULL)
		return;
	bundle_reset(pe->bundle);
	free(pe->bundle);
	pe->bundle = NULL;
}

static int
bundle_reply(struct peer *pe, const struct ofl_msg *req, uint16_t type)
{
	struct ofl_msg *m = ofl_reply_init(pe, OFPT_BUNDLE_CONTROL, req->h.xid);

	m->h.version = req->h.version;
	m->bundle_ctrl = req->bundle_ctrl;
	m->bundle_ctrl.type = type;
	return ofl_conn_send_msg(pe->c, m);
}

/* Applies every message of the bundle in one transaction; on the first
 * failure, that message's error is sent (its xid) and the whole bundle is
 * undone: MSG_FAILED. */
static int
bundle_commit(struct peer *pe, struct ofl_bundle_st *b)
{
	struct dp *dp = pe->dp;
	struct vsw_pl *pl = ofl_dp_pipeline(dp);
	struct ofl_tables_scratch *ts = scratch(dp->a);
	size_t i;
	int rc;

	if (pl == NULL || ts == NULL)
		return -OFL_E_BFC_UNKNOWN;
	if (txn_begin(dp, pl) != 0)
		return -OFL_E_BFC_UNKNOWN;
	for (i = 0; i < b->n; i++) {
		struct ofl_bundle_msg *bm = b->msgs[i];

		rc = ofl_decode(bm->raw, bm->len, &ts->inner, NULL);
		if (rc == 0)
			rc = txn_apply(dp, pl, &ts->inner);
		if (rc != 0) {
			txn_abort(dp, pl);
			ofl_conn_send_error(pe->c, rc, bm->raw, bm->len);
			return -OFL_E_BFC_MSG_FAILED;
		}
	}
	txn_commit(dp, pl, pe->c->last_rx_ns);
	return 0;
}

int
ofl_h_bundle_ctrl(struct peer *pe, const struct ofl_msg *m, const uint8_t *raw, size_t len)
{
	const struct ofl_bundle_ctrl *bc = &m->bundle_ctrl;
	struct ofl_bundle_st *b = pe->bundle;
	int rc;

	(void)raw;
	(void)len;
	if (ofl_dp_pipeline(pe->dp) == NULL)
		return -OFL_E_BAD_TYPE;
	switch (bc->type) {
	case OFPBCT_OPEN_REQUEST:
		if (b != NULL)
			return b->id == bc->bundle_id ? -OFL_E_BFC_BUNDLE_EXIST
						      : -OFL_E_BFC_OUT_OF_BUNDLES;
		b = calloc(1, sizeof(*b));
		if (b == NULL)
			return -OFL_E_BFC_UNKNOWN;
		b->id = bc->bundle_id;
		b->flags = bc->flags;
		b->onf = bc->onf;
		b->version = m->h.version;
		pe->bundle = b;
		return bundle_reply(pe, m, OFPBCT_OPEN_REPLY);
	case OFPBCT_CLOSE_REQUEST:
		if (b == NULL || b->id != bc->bundle_id)
			return -OFL_E_BFC_BAD_ID;
		if (b->closed)
			return -OFL_E_BFC_BUNDLE_CLOSED;
		b->closed = true;
		return bundle_reply(pe, m, OFPBCT_CLOSE_REPLY);
	case OFPBCT_COMMIT_REQUEST:
		if (b == NULL || b->id != bc->bundle_id)
			return -OFL_E_BFC_BAD_ID;
		if (bc->flags != b->flags)
			return -OFL_E_BFC_BAD_FLAGS;
		rc = bundle_commit(pe, b);
		ofl_bundle_free(pe); /* committed or failed: the bundle is gone */
		if (rc != 0)
			return rc;
		return bundle_reply(pe, m, OFPBCT_COMMIT_REPLY);
	case OFPBCT_DISCARD_REQUEST:
		if (b == NULL || b->id != bc->bundle_id)
			return -OFL_E_BFC_BAD_ID;
		ofl_bundle_free(pe);
		return bundle_reply(pe, m, OFPBCT_DISCARD_REPLY);
	default:
		return -OFL_E_BFC_BAD_TYPE;
	}
}

int
ofl_h_bundle_add(struct peer *pe, const struct ofl_msg *m, const uint8_t *raw, size_t len)
{
	const struct ofl_bundle_add *ba = &m->bundle_add;
	struct ofl_bundle_st *b = pe->bundle;
	struct ofl_tables_scratch *ts = scratch(pe->dp->a);
	struct ofl_bundle_msg *bm;
	int rc;

	(void)raw;
	(void)len;
	if (ofl_dp_pipeline(pe->dp) == NULL)
		return -OFL_E_BAD_TYPE;
	if (ts == NULL)
		return -OFL_E_BFC_UNKNOWN;
	if (b == NULL) { /* an add opens a bundle implicitly (§7.3.9.3) */
		b = calloc(1, sizeof(*b));
		if (b == NULL)
			return -OFL_E_BFC_UNKNOWN;
		b->id = ba->bundle_id;
		b->flags = ba->flags;
		b->onf = ba->onf;
		b->version = m->h.version;
		pe->bundle = b;
	}
	if (b->id != ba->bundle_id)
		return -OFL_E_BFC_BAD_ID;
	if (b->closed)
		return -OFL_E_BFC_BUNDLE_CLOSED;
	if (ba->flags != b->flags)
		return -OFL_E_BFC_BAD_FLAGS;
	if (b->n >= BUNDLE_MAX_MSGS || b->bytes + ba->msg_len > BUNDLE_MAX_BYTES)
		return -OFL_E_BFC_MSG_TOO_MANY;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct ofl_bundle_msg **n = realloc(b->msgs, cap * sizeof(*n));

		if (n == NULL)
			return -OFL_E_BFC_UNKNOWN;
		b->msgs = n;
		b->cap = cap;
	}
	bm = malloc(sizeof(*bm) + ba->msg_len);
	if (bm == NULL)
		return -OFL_E_BFC_UNKNOWN;
	bm->len = ba->msg_len;
	memcpy(bm->raw, ba->msg, ba->msg_len);
	/* OF 1.4 FLOW/GROUP/METER_MOD have the 1.3 layout: kept as 1.3. The
	 * message is validated now (syntax and stateless rules); the state
	 * checks wait for the commit. */
	bm->raw[0] = OFP13_VERSION;
	rc = ofl_decode(bm->raw, bm->len, &ts->inner, NULL);
	if (rc != 0) {
		free(bm);
		return rc;
	}
	b->msgs[b->n++] = bm;
	b->bytes += ba->msg_len;
	return 0;
}

/* ---- one message from outside a connection (ofl_cli.c) ---- */

/* As a controller's message: the caller (iovsd's control
 * thread) holds the agent's mutex. Not sampled in the install-latency
 * histogram (no message was read). */
int
ofl_tables_txn(struct dp *dp, const struct ofl_msg *m)
{
	return txn_run(dp, m, 0);
}
