/* The table multiparts (§7.3.5): FLOW, AGGREGATE, TABLE, GROUP, GROUP_DESC,
 * GROUP_FEATURES, METER, METER_CONFIG, METER_FEATURES, TABLE_FEATURES, read
 * from the pipeline on the agent thread (its writer: it sees the flows of the
 * last commit) and written with ofl_mp_writer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ofl_agent_priv.h"
#include "ofl_cli.h"
#include "ofl_priv.h"
#include "ofl_wire.h"
#include "ofl_xlate.h"

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* What a FLOW or AGGREGATE request selects (§7.3.5.2): table, out_port,
 * out_group, cookie/mask, and a match the flow is at least as specific as. */
struct flow_walk {
	const struct ofl_flow_stats_request *req;
	struct vsw_flow_key key, mask;
	struct ofl_mp_writer *w;
	struct ofl_flow_stats *fs;
	uint64_t now;
	struct ofl_aggregate_stats agg;
	int rc;
};

static bool
flow_selected(const struct flow_walk *fw, const struct vsw_pl_flow *f)
{
	const struct ofl_flow_stats_request *r = fw->req;
	const struct vsw_act_prog *prog = vsw_cls_rule_actions(&f->rule);

	if ((f->cookie & r->cookie_mask) != (r->cookie & r->cookie_mask))
		return false;
	if (!vsw_flow_mask_is_subset(&fw->mask, &f->rule.mask) ||
	    !vsw_flow_key_equal_masked(&f->rule.key, &fw->key, &fw->mask))
		return false;
	return vsw_act_prog_outputs_to(prog, r->out_port, r->out_group);
}

static void
flow_visit(const struct vsw_pl_flow *f, void *arg)
{
	struct flow_walk *fw = arg;
	struct ofl_flow_stats *fs = fw->fs;
	uint64_t packets, bytes, used, d;

	if (!flow_selected(fw, f))
		return;
	vsw_pl_flow_stats(f, &packets, &bytes, &used);
	if (fs == NULL) {
		fw->agg.packet_count += packets;
		fw->agg.byte_count += bytes;
		fw->agg.flow_count++;
		return;
	}
	memset(fs, 0, sizeof(*fs));
	d = fw->now > f->created_ns ? fw->now - f->created_ns : 0;
	fs->table_id = f->table_id;
	fs->duration_sec = (uint32_t)(d / 1000000000u);
	fs->duration_nsec = (uint32_t)(d % 1000000000u);
	fs->priority = (uint16_t)f->rule.priority;
	fs->idle_timeout = f->idle_timeout;
	fs->hard_timeout = f->hard_timeout;
	fs->flags = f->flags;
	fs->cookie = f->cookie;
	fs->packet_count = packets;
	fs->byte_count = bytes;
	/* As the CLI's dump: transport set-fields named by the match (udp_dst, not tcp_dst). */
	ofl_cli_flow_back(f, &fs->match, &fs->ins);
	if (fw->rc == 0)
		fw->rc = ofl_mp_add_flow(fw->w, fs);
}

static int
flow_walk_init(struct flow_walk *fw, struct peer *pe, const struct ofl_msg *req, uint8_t *table)
{
	memset(fw, 0, sizeof(*fw));
	fw->req = &req->mp_request.flow;
	fw->now = mono_ns();
	*table = fw->req->table_id;
	if (*table != OFPTT_ALL && *table >= ofl_dp_n_tables(pe->dp))
		return -OFL_E_BAD_TABLE_ID;
	return ofl_xlate_match(&fw->req->match, &fw->key, &fw->mask);
}

int
ofl_mp_flow(struct peer *pe, const struct ofl_msg *req)
{
	struct vsw_pl *pl = ofl_dp_pipeline(pe->dp);
	struct ofl_mp_writer w;
	struct flow_walk fw;
	uint8_t table, *buf;
	size_t cap;
	int rc;

	if (pl == NULL)
		return -OFL_E_BAD_MULTIPART;
	rc = flow_walk_init(&fw, pe, req, &table);
	if (rc != 0)
		return rc;
	/* A flow entry is at most ~3 KB on the wire (40 OXMs, 2 × 32 actions),
	 * typically 100-200 bytes: size the reply for the flows there are at
	 * 256 bytes each, and walk again in a buffer 4 times larger if that was
	 * too small. */
	cap = (size_t)vsw_pl_n_flows(pl) * 256 + 65536;
	fw.fs = malloc(sizeof(*fw.fs));
	buf = malloc(cap);
	if (fw.fs == NULL || buf == NULL) {
		free(fw.fs);
		free(buf);
		return -ENOMEM;
	}
	for (;;) {
		ofl_mp_writer_init(&w, buf, cap, 0, req->h.xid, OFPMP_FLOW);
		fw.w = &w;
		fw.rc = 0;
		vsw_pl_flow_foreach(pl, table == OFPTT_ALL ? VSW_PL_TABLE_ALL : table, flow_visit,
				    &fw);
		if (fw.rc != -ENOSPC || cap > ((size_t)1 << 31))
			break;
		cap *= 4;
		free(buf);
		buf = malloc(cap);
		if (buf == NULL) {
			free(fw.fs);
			return -ENOMEM;
		}
	}
	free(fw.fs);
	rc = fw.rc != 0 ? fw.rc : ofl_mp_send(pe, &w);
	free(buf);
	return rc;
}

int
ofl_mp_aggregate(struct peer *pe, const struct ofl_msg *req)
{
	struct vsw_pl *pl = ofl_dp_pipeline(pe->dp);
	struct flow_walk fw;
	struct ofl_msg *m;
	uint8_t table;
	int rc;

	if (pl == NULL)
		return -OFL_E_BAD_MULTIPART;
	rc = flow_walk_init(&fw, pe, req, &table);
	if (rc != 0)
		return rc;
	vsw_pl_flow_foreach(pl, table == OFPTT_ALL ? VSW_PL_TABLE_ALL : table, flow_visit, &fw);
	m = ofl_reply_init(pe, OFPT_MULTIPART_REPLY, req->h.xid);
	m->mp_reply.type = OFPMP_AGGREGATE;
	m->mp_reply.aggregate = fw.agg;
	return ofl_conn_send_msg(pe->c, m);
}

static void
count_visit(const struct vsw_pl_flow *f, void *arg)
{
	uint32_t *active = arg;

	active[f->table_id]++;
}

int
ofl_mp_table(struct peer *pe, const struct ofl_msg *req)
{
	struct dp *dp = pe->dp;
	struct vsw_pl *pl = ofl_dp_pipeline(dp);
	uint64_t lookups[VSW_PL_TABLES] = {0}, matched[VSW_PL_TABLES] = {0};
	uint32_t active[VSW_PL_TABLES] = {0};
	uint8_t n = ofl_dp_n_tables(dp);
	struct ofl_mp_writer w;
	unsigned i;

	if (pl != NULL)
		vsw_pl_flow_foreach(pl, VSW_PL_TABLE_ALL, count_visit, active);
	if (dp->ops != NULL && dp->ops->table_counters != NULL)
		dp->ops->table_counters(dp->sw, lookups, matched, n);
	ofl_mp_writer_init(&w, dp->a->mpbuf, MP_BUF_SIZE, 0, req->h.xid, OFPMP_TABLE);
	for (i = 0; i < n; i++) {
		struct ofl_table_stats ts = {.table_id = (uint8_t)i,
					     .active_count = active[i],
					     .lookup_count = lookups[i],
					     .matched_count = matched[i]};

		ofl_mp_add_table(&w, &ts);
	}
	return ofl_mp_send(pe, &w);
}

/* ---- groups ---- */

struct group_walk {
	struct vsw_pl *pl;
	uint64_t now;
	struct ofl_mp_writer *w;
	uint32_t id; /* OFPG_ALL: every group */
	bool desc;
	struct ofl_group_desc *gd;
	int rc;
};

static void
group_visit(const struct vsw_pl_group_mod *gm, unsigned refs, void *arg)
{
	struct group_walk *gw = arg;

	if (gw->id != OFPG_ALL && gw->id != gm->group_id)
		return;
	if (!gw->desc) {
		struct ofl_group_stats gs = {.group_id = gm->group_id,
					     .ref_count = refs,
					     .n_buckets = (uint8_t)gm->n_buckets};
		struct vsw_pl_group_stats st;

		if (vsw_pl_group_stats(gw->pl, gm->group_id, gw->now, &st) == 0) {
			gs.packet_count = st.packets;
			gs.byte_count = st.bytes;
			gs.duration_sec = (uint32_t)(st.duration_ns / 1000000000u);
			gs.duration_nsec = (uint32_t)(st.duration_ns % 1000000000u);
			for (unsigned i = 0; i < st.n_buckets && i < OFL_MAX_BUCKETS; i++) {
				gs.buckets[i].packet_count = st.bucket_packets[i];
				gs.buckets[i].byte_count = st.bucket_bytes[i];
			}
		}
		if (gw->rc == 0)
			gw->rc = ofl_mp_add_group(gw->w, &gs);
		return;
	}
	memset(gw->gd, 0, sizeof(*gw->gd));
	gw->gd->type = gm->type;
	gw->gd->group_id = gm->group_id;
	gw->gd->n_buckets =
		(uint8_t)(gm->n_buckets > OFL_MAX_BUCKETS ? OFL_MAX_BUCKETS : gm->n_buckets);
	for (unsigned i = 0; i < gw->gd->n_buckets; i++) {
		struct ofl_bucket *b = &gw->gd->buckets[i];

		b->weight = gm->buckets[i].weight;
		b->watch_port = gm->buckets[i].watch_port;
		b->watch_group = gm->buckets[i].watch_group;
		ofl_xlate_actions_back(gm->buckets[i].acts, gm->buckets[i].n_acts, VSW_ACT_PORT_ANY,
				       &b->actions);
	}
	if (gw->rc == 0)
		gw->rc = ofl_mp_add_group_desc(gw->w, gw->gd);
}

static int
group_mp(struct peer *pe, const struct ofl_msg *req, bool desc)
{
	struct vsw_pl *pl = ofl_dp_pipeline(pe->dp);
	struct ofl_mp_writer w;
	struct group_walk gw = {.pl = pl, .now = mono_ns(), .w = &w, .desc = desc};

	if (pl == NULL)
		return -OFL_E_BAD_MULTIPART;
	gw.id = desc ? OFPG_ALL : req->mp_request.group_id;
	gw.gd = desc ? malloc(sizeof(*gw.gd)) : NULL;
	if (desc && gw.gd == NULL)
		return -ENOMEM;
	ofl_mp_writer_init(&w, pe->dp->a->mpbuf, MP_BUF_SIZE, 0, req->h.xid,
			   desc ? OFPMP_GROUP_DESC : OFPMP_GROUP);
	vsw_pl_group_foreach(pl, group_visit, &gw);
	free(gw.gd);
	if (gw.rc < 0 && gw.rc != -ENOSPC)
		return gw.rc;
	return ofl_mp_send(pe, &w);
}

int
ofl_mp_group(struct peer *pe, const struct ofl_msg *req)
{
	return group_mp(pe, req, false);
}

int
ofl_mp_group_desc(struct peer *pe, const struct ofl_msg *req)
{
	return group_mp(pe, req, true);
}

/* Action types iovs runs, as a bitmap of OFPAT_* (§7.3.5.9). */
#define ACTION_BITS                                                                                \
	((1u << OFPAT_OUTPUT) | (1u << OFPAT_PUSH_VLAN) | (1u << OFPAT_POP_VLAN) |                 \
	 (1u << OFPAT_SET_QUEUE) | (1u << OFPAT_GROUP) | (1u << OFPAT_SET_NW_TTL) |                \
	 (1u << OFPAT_DEC_NW_TTL) | (1u << OFPAT_SET_FIELD))

int
ofl_mp_group_features(struct peer *pe, const struct ofl_msg *req)
{
	struct ofl_msg *m = ofl_reply_init(pe, OFPT_MULTIPART_REPLY, req->h.xid);
	struct ofl_group_features *gf = &m->mp_reply.group_features;

	if (ofl_dp_pipeline(pe->dp) == NULL)
		return -OFL_E_BAD_MULTIPART;
	m->mp_reply.type = OFPMP_GROUP_FEATURES;
	gf->types = (1u << OFPGT_ALL) | (1u << OFPGT_SELECT) | (1u << OFPGT_INDIRECT) |
		    (1u << OFPGT_FF);
	/* SELECT_WEIGHT | SELECT_LIVENESS | CHAINING */
	gf->capabilities = (1u << 0) | (1u << 1) | (1u << 2);
	for (unsigned i = 0; i < 4; i++) {
		gf->max_groups[i] = 65536;
		gf->actions[i] = ACTION_BITS;
	}
	return ofl_conn_send_msg(pe->c, m);
}

/* ---- meters ---- */

struct meter_walk {
	struct vsw_pl *pl;
	struct ofl_mp_writer *w;
	uint32_t id; /* OFPM_ALL: every meter */
	bool config;
	uint64_t now;
	int rc;
};

static void
meter_visit(const struct vsw_pl_meter_mod *mm, unsigned refs, void *arg)
{
	struct meter_walk *mw = arg;
	int rc;

	if (mw->id != OFPM_ALL && mw->id != mm->meter_id)
		return;
	if (mw->config) {
		struct ofl_meter_config mc = {
			.flags = mm->flags, .meter_id = mm->meter_id, .n_bands = 1};

		mc.bands[0] = (struct ofl_band){
			.type = OFPMBT_DROP, .rate = mm->rate, .burst_size = mm->burst};
		rc = ofl_mp_add_meter_config(mw->w, &mc);
	} else {
		struct ofl_meter_stats ms = {
			.meter_id = mm->meter_id, .flow_count = refs, .n_bands = 1};
		uint64_t dropped = 0;

		vsw_pl_meter_stats(mw->pl, mm->meter_id, &ms.packet_in_count, &ms.byte_in_count,
				   &dropped);
		ms.bands[0].packet_count = dropped;
		rc = ofl_mp_add_meter(mw->w, &ms);
	}
	if (mw->rc == 0)
		mw->rc = rc < 0 ? rc : 0;
}

static int
meter_mp(struct peer *pe, const struct ofl_msg *req, bool config)
{
	struct vsw_pl *pl = ofl_dp_pipeline(pe->dp);
	struct ofl_mp_writer w;
	struct meter_walk mw = {.pl = pl, .w = &w, .config = config, .now = mono_ns()};

	if (pl == NULL)
		return -OFL_E_BAD_MULTIPART;
	mw.id = req->mp_request.meter_id;
	ofl_mp_writer_init(&w, pe->dp->a->mpbuf, MP_BUF_SIZE, 0, req->h.xid,
			   config ? OFPMP_METER_CONFIG : OFPMP_METER);
	vsw_pl_meter_foreach(pl, meter_visit, &mw);
	if (mw.rc < 0 && mw.rc != -ENOSPC)
		return mw.rc;
	return ofl_mp_send(pe, &w);
}

int
ofl_mp_meter(struct peer *pe, const struct ofl_msg *req)
{
	return meter_mp(pe, req, false);
}

int
ofl_mp_meter_config(struct peer *pe, const struct ofl_msg *req)
{
	return meter_mp(pe, req, true);
}

int
ofl_mp_meter_features(struct peer *pe, const struct ofl_msg *req)
{
	struct ofl_msg *m = ofl_reply_init(pe, OFPT_MULTIPART_REPLY, req->h.xid);
	struct ofl_meter_features *mf = &m->mp_reply.meter_features;

	if (ofl_dp_pipeline(pe->dp) == NULL)
		return -OFL_E_BAD_MULTIPART;
	m->mp_reply.type = OFPMP_METER_FEATURES;
	mf->max_meter = 65536;
	mf->band_types = 1u << OFPMBT_DROP;
	mf->capabilities = OFPMF_KBPS | OFPMF_PKTPS | OFPMF_BURST | OFPMF_STATS;
	mf->max_bands = 1;
	mf->max_color = 0;
	return ofl_conn_send_msg(pe->c, m);
}

/* ---- TABLE_FEATURES (read-only, §7.3.5.5) ---- */

static void
tf_prop(struct ofl_table_features *tf, uint16_t type, const uint32_t *ids, unsigned n)
{
	struct ofl_tf_prop *p = &tf->props[tf->n_props++];

	p->type = type;
	p->n_ids = (uint8_t)n;
	memcpy(p->ids, ids, n * sizeof(ids[0]));
}

/* An OXM header (class OPENFLOW_BASIC) for the match/set-field properties. */
static uint32_t
oxm_hdr(uint8_t field, bool mask)
{
	const struct ofl_oxm_spec *s = ofl_oxm_spec_of(field);

	return (0x8000u << 16) | ((uint32_t)field << 9) | (mask ? 1u << 8 : 0) |
	       (uint32_t)(mask ? s->len * 2 : s->len);
}

int
ofl_mp_table_features(struct peer *pe, const struct ofl_msg *req)
{
	static const uint32_t insts[] = {OFPIT_GOTO_TABLE,    OFPIT_WRITE_METADATA,
					 OFPIT_WRITE_ACTIONS, OFPIT_APPLY_ACTIONS,
					 OFPIT_CLEAR_ACTIONS, OFPIT_METER};
	static const uint32_t acts[] = {OFPAT_OUTPUT,	  OFPAT_SET_QUEUE, OFPAT_GROUP,
					OFPAT_PUSH_VLAN,  OFPAT_POP_VLAN,  OFPAT_SET_NW_TTL,
					OFPAT_DEC_NW_TTL, OFPAT_SET_FIELD};
	uint8_t n = ofl_dp_n_tables(pe->dp);
	uint32_t match[OFL_MAX_TF_IDS], wild[OFL_MAX_TF_IDS], set[OFL_MAX_TF_IDS], next[64];
	unsigned nm = 0, nw = 0, ns = 0;
	struct ofl_table_features *tf;
	struct ofl_mp_writer w;
	int rc = 0;

	if (ofl_dp_pipeline(pe->dp) == NULL)
		return -OFL_E_BAD_MULTIPART;
	for (unsigned f = 0; f < OFPXMT_OFB__MAX; f++) {
		const struct ofl_oxm_spec *s = ofl_oxm_spec_of((uint8_t)f);

		if (!s->supported || f == OFPXMT_OFB_IN_PHY_PORT)
			continue;
		match[nm++] = oxm_hdr((uint8_t)f, s->maskable);
		wild[nw++] = oxm_hdr((uint8_t)f, false);
		if (s->settable)
			set[ns++] = oxm_hdr((uint8_t)f, false);
	}
	tf = malloc(sizeof(*tf));
	if (tf == NULL)
		return -ENOMEM;
	ofl_mp_writer_init(&w, pe->dp->a->mpbuf, MP_BUF_SIZE, 0, req->h.xid, OFPMP_TABLE_FEATURES);
	for (unsigned t = 0; t < n && rc >= 0; t++) {
		unsigned nn = 0;

		memset(tf, 0, sizeof(*tf));
		tf->table_id = (uint8_t)t;
		snprintf(tf->name, sizeof(tf->name), "table%u", t);
		tf->metadata_match = UINT64_MAX;
		tf->metadata_write = UINT64_MAX;
		tf->max_entries = 1000000;
		for (unsigned k = t + 1; k < n; k++)
			next[nn++] = k;
		tf_prop(tf, OFPTFPT_INSTRUCTIONS, insts, 6);
		tf_prop(tf, OFPTFPT_NEXT_TABLES, next, nn);
		tf_prop(tf, OFPTFPT_WRITE_ACTIONS, acts, 8);
		tf_prop(tf, OFPTFPT_APPLY_ACTIONS, acts, 8);
		tf_prop(tf, OFPTFPT_MATCH, match, nm);
		tf_prop(tf, OFPTFPT_WILDCARDS, wild, nw);
		tf_prop(tf, OFPTFPT_WRITE_SETFIELD, set, ns);
		tf_prop(tf, OFPTFPT_APPLY_SETFIELD, set, ns);
		rc = ofl_mp_add_table_features(&w, tf);
	}
	free(tf);
	if (rc < 0 && rc != -ENOSPC)
		return rc;
	return ofl_mp_send(pe, &w);
}
