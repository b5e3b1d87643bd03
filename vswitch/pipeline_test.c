/* Tests of the OpenFlow pipeline (pipeline.c, pipeline_run.c, emc.c) on real
 * mbufs, with outputs captured through vsw_pl_out_ops: table miss, counters,
 * goto with metadata, the action set's order, copies only when needed,
 * reserved outputs and packet-ins, invalid TTL, groups of each type, meters
 * and timeouts on a fake clock, transactions (abort, overlap, replace,
 * modify/delete filters), BARRIER tokens over rte_rcu_qsbr, the atomicity of a
 * transaction seen by a concurrent reader (P7), and a model test: random flow
 * tables over 3 tables, random packets, the pipeline with its exact-match
 * cache against a linear-scan reference interpreter across versions (class
 * 13, P8); the trace (pipeline_trace.c): its steps, that it changes nothing,
 * and that it names the outputs vsw_pl_run() produces on the same random
 * tables. */
#include "pipeline_test_frames.h"

#include <pthread.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "emc.h"
#include "pipeline.h"

#define NS 1000000000ull

/* ---- Captured outputs ---- */

enum ev_kind { EV_OUTPUT, EV_NORMAL, EV_FLOOD, EV_ALL, EV_CTRL, EV_DROP };

struct ev {
	enum ev_kind kind;
	uint32_t port; /* output; in_port for normal/flood; drop reason */
	uint32_t queue;
	struct rte_mbuf *m; /* identity only: freed when captured */
	uint8_t frame[TF_MAXLEN];
	size_t len;
	struct vsw_pl_pin pin;
	struct vsw_flow_key pin_key;
};

#define MAX_EV 64

struct cap {
	struct ev ev[MAX_EV];
	unsigned n;
	bool live[16]; /* port_live */
};

static struct ev *
cap_add(struct cap *c, enum ev_kind kind, uint32_t port, struct rte_mbuf *m)
{
	struct ev *e;

	assert_true(c->n < MAX_EV);
	e = &c->ev[c->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->port = port;
	e->m = m;
	if (m != NULL) {
		e->len = tf_bytes(m, e->frame);
		rte_pktmbuf_free(m);
	}
	return e;
}

static void
cb_output(void *ctx, uint32_t port, uint32_t queue, struct rte_mbuf *m)
{
	cap_add(ctx, EV_OUTPUT, port, m)->queue = queue;
}

static void
cb_normal(void *ctx, uint32_t in_port, struct rte_mbuf *m)
{
	cap_add(ctx, EV_NORMAL, in_port, m);
}

static void
cb_flood(void *ctx, uint32_t in_port, bool all, struct rte_mbuf *m)
{
	cap_add(ctx, all ? EV_ALL : EV_FLOOD, in_port, m);
}

static void
cb_controller(void *ctx, const struct vsw_pl_pin *pin, struct rte_mbuf *m)
{
	struct ev *e = cap_add(ctx, EV_CTRL, 0, m);

	e->pin = *pin;
	e->pin_key = *pin->key;
	e->pin.key = NULL;
}

static void
cb_drop(void *ctx, enum vsw_pl_drop reason)
{
	cap_add(ctx, EV_DROP, (uint32_t)reason, NULL);
}

static bool
cb_port_live(void *ctx, uint32_t port)
{
	struct cap *c = ctx;

	return port < 16 && c->live[port];
}

static const struct vsw_pl_out_ops out_ops = {
	.output = cb_output,
	.normal = cb_normal,
	.flood = cb_flood,
	.controller = cb_controller,
	.drop = cb_drop,
	.port_live = cb_port_live,
};

/* ---- Fixture ---- */

struct fx {
	struct vsw_pl *pl;
	struct vsw_pl_ctx ctx;
	struct cap cap;
	uint64_t now;
};

static struct fx *
fx_new(bool emc, bool ttl_to_controller)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct vsw_pl_config conf = {
		.n_pmds = 2, .local_port = 15, .invalid_ttl_to_controller = ttl_to_controller};

	assert_non_null(fx);
	assert_int_equal(vsw_pl_create(&conf, &fx->pl), 0);
	assert_int_equal(vsw_pl_ctx_init(&fx->ctx, fx->pl, 1, tf_mp, emc), 0);
	for (int i = 0; i < 16; i++)
		fx->cap.live[i] = true;
	return fx;
}

static void
fx_free(struct fx *fx)
{
	vsw_pl_ctx_fini(&fx->ctx);
	vsw_pl_destroy(fx->pl);
	free(fx);
	assert_int_equal(rte_mempool_in_use_count(tf_mp), 0);
}

/* Runs one frame received on 'in_port'; returns the events. */
static struct cap *
fx_run(struct fx *fx, const uint8_t *f, size_t len, uint32_t in_port)
{
	struct rte_mbuf *m = tf_mbuf(f, len, 0);

	fx->cap.n = 0;
	fx->ctx.now_ns = fx->now;
	vsw_pl_run(&fx->ctx, &m, NULL, 1, in_port, &out_ops, &fx->cap);
	return &fx->cap;
}

static void
fm_init(struct vsw_pl_flow_mod *fm, enum vsw_pl_cmd cmd, uint8_t table, uint32_t prio)
{
	memset(fm, 0, sizeof(*fm));
	fm->cmd = cmd;
	fm->table_id = table;
	fm->priority = prio;
	fm->out_port = VSW_ACT_PORT_ANY;
	fm->out_group = VSW_ACT_GROUP_ANY;
	fm->insts.goto_table = VSW_ACT_NO_TABLE;
}

static enum vsw_act_err
fx_mod(struct fx *fx, const struct vsw_pl_flow_mod *fm)
{
	enum vsw_act_err e;

	assert_int_equal(vsw_pl_begin(fx->pl, fx->now), 0);
	e = vsw_pl_flow_mod(fx->pl, fm, NULL, NULL);
	vsw_pl_commit(fx->pl);
	return e;
}

static void
add_simple(struct fx *fx, uint8_t table, uint32_t prio, const struct vsw_act *acts, size_t n)
{
	struct vsw_pl_flow_mod fm;

	fm_init(&fm, VSW_PL_ADD, table, prio);
	fm.insts.apply = acts;
	fm.insts.n_apply = n;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
}

#define OUT(p)                                                                                     \
	{                                                                                          \
		.type = VSW_ACT_OUTPUT, .u32 = (p)                                                 \
	}
#define SETU(f, v)                                                                                 \
	{                                                                                          \
		.type = VSW_ACT_SET_FIELD, .field = (f), .u32 = (v)                                \
	}
#define SETB(f, ...)                                                                               \
	{                                                                                          \
		.type = VSW_ACT_SET_FIELD, .field = (f), .bytes = { __VA_ARGS__ }                  \
	}

static void
frame_key(const struct ev *e, uint32_t in_port, struct vsw_flow_key *k)
{
	vsw_flow_key_extract(e->frame, (uint32_t)e->len, in_port, k);
}

/* ---- Tests ---- */

static void
test_table_miss_drops(void **state)
{
	struct fx *fx = fx_new(true, false);
	uint8_t f[TF_MAXLEN];
	size_t len = tf_build(f, 0, TF_IPV4, TF_TCP, 0, 10);
	struct cap *c;

	(void)state;
	c = fx_run(fx, f, len, 1);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->ev[0].kind, EV_DROP);
	assert_int_equal(c->ev[0].port, VSW_PL_DROP_TABLE_MISS);
	assert_int_equal(fx->ctx.lookups[0], 1);
	assert_int_equal(fx->ctx.matched[0], 0);
	fx_free(fx);
}

struct stats_arg {
	uint64_t packets, bytes;
	unsigned n;
};

static void
sum_stats(const struct vsw_pl_flow *f, void *arg)
{
	struct stats_arg *s = arg;
	uint64_t p, b;

	vsw_pl_flow_stats(f, &p, &b, NULL);
	s->packets += p;
	s->bytes += b;
	s->n++;
}

static void
test_output_counters_and_originals(void **state)
{
	struct fx *fx = fx_new(true, false);
	uint8_t f[TF_MAXLEN];
	size_t len = tf_build(f, 0, TF_IPV4, TF_UDP, 0, 10);
	struct vsw_act one[] = {OUT(2)};
	struct vsw_act two[] = {OUT(3), OUT(4)};
	struct vsw_pl_flow_mod fm;
	struct stats_arg s = {0};
	struct rte_mbuf *m;
	struct cap *c;

	(void)state;
	fm_init(&fm, VSW_PL_ADD, 0, 10);
	fm.key.in_port = 1;
	fm.mask.in_port = UINT32_MAX;
	fm.insts.apply = one;
	fm.insts.n_apply = 1;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	fm.key.in_port = 2;
	fm.insts.apply = two;
	fm.insts.n_apply = 2;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);

	/* One output: the packet itself leaves, no copy. */
	m = tf_mbuf(f, len, 0);
	fx->cap.n = 0;
	vsw_pl_run(&fx->ctx, &m, NULL, 1, 1, &out_ops, &fx->cap);
	c = &fx->cap;
	assert_int_equal(c->n, 1);
	assert_int_equal(c->ev[0].kind, EV_OUTPUT);
	assert_int_equal(c->ev[0].port, 2);
	assert_ptr_equal(c->ev[0].m, m);
	assert_memory_equal(c->ev[0].frame, f, len);
	/* Two outputs: a copy to the first, the original to the last. */
	m = tf_mbuf(f, len, 0);
	fx->cap.n = 0;
	vsw_pl_run(&fx->ctx, &m, NULL, 1, 2, &out_ops, &fx->cap);
	assert_int_equal(c->n, 2);
	assert_int_equal(c->ev[0].port, 3);
	assert_int_equal(c->ev[1].port, 4);
	assert_ptr_not_equal(c->ev[0].m, m);
	assert_ptr_equal(c->ev[1].m, m);
	assert_memory_equal(c->ev[0].frame, f, len);
	/* Counters: 3 more packets on port 1 (EMC hits count too). */
	for (int i = 0; i < 3; i++)
		fx_run(fx, f, len, 1);
	vsw_pl_flow_foreach(fx->pl, 0, sum_stats, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.packets, 5);
	assert_int_equal(s.bytes, 5 * len);
	assert_int_equal(fx->ctx.emc_hits, 3);
	fx_free(fx);
}

static void
test_goto_with_metadata(void **state)
{
	struct fx *fx = fx_new(true, false);
	uint8_t f[TF_MAXLEN];
	size_t len = tf_build(f, 0, TF_IPV4, TF_TCP, 0, 10);
	struct vsw_act t1[] = {SETB(VSW_ACT_F_ETH_DST, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff), OUT(3)};
	struct vsw_pl_flow_mod fm;
	struct vsw_flow_key k;
	struct cap *c;

	(void)state;
	fm_init(&fm, VSW_PL_ADD, 0, 1);
	fm.insts.write_metadata = true;
	fm.insts.metadata = 0xab00;
	fm.insts.metadata_mask = 0xff00;
	fm.insts.goto_table = 5;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	fm_init(&fm, VSW_PL_ADD, 5, 1);
	fm.key.metadata = 0xab00;
	fm.mask.metadata = 0xff00;
	fm.insts.apply = t1;
	fm.insts.n_apply = 2;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	/* Going backwards is refused. */
	fm_init(&fm, VSW_PL_ADD, 5, 2);
	fm.insts.goto_table = 4;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_E_BAD_TABLE_ID);
	fm.table_id = VSW_PL_TABLES;
	fm.insts.goto_table = VSW_ACT_NO_TABLE;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_E_BAD_TABLE);

	c = fx_run(fx, f, len, 1);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->ev[0].kind, EV_OUTPUT);
	assert_int_equal(c->ev[0].port, 3);
	frame_key(&c->ev[0], 1, &k);
	assert_int_equal(k.eth_dst[0], 0xaa);
	assert_true(tf_verify(c->ev[0].frame, c->ev[0].len));
	assert_int_equal(fx->ctx.lookups[0], 1);
	assert_int_equal(fx->ctx.matched[5], 1);
	fx_free(fx);
}

/* write-actions accumulate over tables; the set runs pop/push before
 * set_field whatever the order written; clear_actions empties it. */
static void
test_write_actions_set_order(void **state)
{
	struct fx *fx = fx_new(true, false);
	uint8_t f[TF_MAXLEN];
	size_t len = tf_build(f, 0, TF_IPV4, TF_TCP, 0, 10);
	struct vsw_act w0[] = {OUT(5),
			       SETU(VSW_ACT_F_VLAN_VID, 77),
			       SETU(VSW_ACT_F_IPV4_DST, 1),
			       {.type = VSW_ACT_PUSH_VLAN, .u16 = 0x8100}};
	struct vsw_act w1[] = {SETU(VSW_ACT_F_IPV4_DST, 0x0a000063),
			       {.type = VSW_ACT_SET_QUEUE, .u32 = 3}};
	struct vsw_pl_flow_mod fm;
	struct vsw_flow_key k;
	struct cap *c;

	(void)state;
	fm_init(&fm, VSW_PL_ADD, 0, 1);
	fm.key.eth_type = TF_IPV4;
	fm.mask.eth_type = 0xffff;
	fm.insts.write = w0;
	fm.insts.n_write = 4;
	fm.insts.goto_table = 1;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	fm.table_id = 1;
	fm.insts.write = w1;
	fm.insts.n_write = 2;
	fm.insts.goto_table = VSW_ACT_NO_TABLE;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);

	c = fx_run(fx, f, len, 1);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->ev[0].kind, EV_OUTPUT);
	assert_int_equal(c->ev[0].port, 5);
	assert_int_equal(c->ev[0].queue, 3);
	frame_key(&c->ev[0], 1, &k);
	assert_int_equal(k.vlan_vid, VSW_FLOW_VID_PRESENT | 77); /* pushed, then set */
	assert_int_equal(k.ipv4_dst, 0x0a000063);		 /* the later write won */
	assert_true(tf_verify(c->ev[0].frame, c->ev[0].len));

	/* clear_actions in table 1: nothing left to output. */
	fm_init(&fm, VSW_PL_MODIFY_STRICT, 1, 1);
	fm.key.eth_type = TF_IPV4;
	fm.mask.eth_type = 0xffff;
	fm.insts.clear = true;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	c = fx_run(fx, f, len, 1);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->ev[0].kind, EV_DROP);
	assert_int_equal(c->ev[0].port, VSW_PL_DROP_NO_OUTPUT);
	fx_free(fx);
}

static void
test_reserved_outputs_and_packet_in(void **state)
{
	struct fx *fx = fx_new(false, false);
	uint8_t f[TF_MAXLEN];
	size_t len = tf_build(f, 0, TF_IPV4, TF_TCP, 0, 10);
	struct vsw_act acts[] = {
		OUT(VSW_ACT_PORT_IN_PORT),
		OUT(VSW_ACT_PORT_NORMAL),
		OUT(VSW_ACT_PORT_FLOOD),
		OUT(VSW_ACT_PORT_ALL),
		OUT(VSW_ACT_PORT_LOCAL),
		{.type = VSW_ACT_OUTPUT, .u32 = VSW_ACT_PORT_CONTROLLER, .u16 = 64},
	};
	struct vsw_act ctrl[] = {
		{.type = VSW_ACT_OUTPUT, .u32 = VSW_ACT_PORT_CONTROLLER, .u16 = 0xffff}};
	struct vsw_pl_flow_mod fm;
	struct cap *c;

	(void)state;
	fm_init(&fm, VSW_PL_ADD, 0, 100);
	fm.key.in_port = 4;
	fm.mask.in_port = UINT32_MAX;
	fm.cookie = 0xc0c0;
	fm.insts.apply = acts;
	fm.insts.n_apply = 6;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	add_simple(fx, 0, 0, ctrl, 1); /* the table-miss flow */

	c = fx_run(fx, f, len, 4);
	assert_int_equal(c->n, 6);
	assert_int_equal(c->ev[0].kind, EV_OUTPUT);
	assert_int_equal(c->ev[0].port, 4);
	assert_int_equal(c->ev[1].kind, EV_NORMAL);
	assert_int_equal(c->ev[1].port, 4);
	assert_int_equal(c->ev[2].kind, EV_FLOOD);
	assert_int_equal(c->ev[3].kind, EV_ALL);
	assert_int_equal(c->ev[4].kind, EV_OUTPUT);
	assert_int_equal(c->ev[4].port, 15); /* LOCAL */
	assert_int_equal(c->ev[5].kind, EV_CTRL);
	assert_int_equal(c->ev[5].pin.reason, VSW_PL_PIN_ACTION);
	assert_int_equal(c->ev[5].pin.max_len, 64);
	assert_int_equal(c->ev[5].pin.cookie, 0xc0c0);
	assert_int_equal(c->ev[5].pin.table_id, 0);
	assert_int_equal(c->ev[5].pin_key.in_port, 4);
	for (int i = 0; i < 6; i++)
		assert_memory_equal(c->ev[i].frame, f, len);

	c = fx_run(fx, f, len, 3);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->ev[0].kind, EV_CTRL);
	assert_int_equal(c->ev[0].pin.reason, VSW_PL_PIN_NO_MATCH);
	fx_free(fx);

	/* A bridge without a local port refuses LOCAL. */
	struct vsw_pl_config conf = {.n_pmds = 1, .local_port = VSW_ACT_PORT_ANY};
	struct vsw_pl *pl;

	assert_int_equal(vsw_pl_create(&conf, &pl), 0);
	assert_int_equal(vsw_pl_begin(pl, 0), 0);
	fm.insts.n_apply = 5;
	assert_int_equal(vsw_pl_flow_mod(pl, &fm, NULL, NULL), VSW_ACT_E_BAD_OUT_PORT);
	vsw_pl_abort(pl);
	vsw_pl_destroy(pl);
}

static void
test_invalid_ttl(void **state)
{
	struct vsw_act acts[] = {{.type = VSW_ACT_DEC_NW_TTL}, OUT(2)};
	uint8_t f[TF_MAXLEN];
	size_t len = tf_build(f, 0, TF_IPV4, TF_UDP, 0, 10);

	(void)state;
	f[14 + 8] = 1;
	tf_fix(f, len);
	for (int to_ctrl = 0; to_ctrl < 2; to_ctrl++) {
		struct fx *fx = fx_new(false, to_ctrl);
		struct cap *c;

		add_simple(fx, 0, 1, acts, 2);
		c = fx_run(fx, f, len, 1);
		assert_int_equal(c->n, 1);
		if (to_ctrl) {
			assert_int_equal(c->ev[0].kind, EV_CTRL);
			assert_int_equal(c->ev[0].pin.reason, VSW_PL_PIN_INVALID_TTL);
		} else {
			assert_int_equal(c->ev[0].kind, EV_DROP);
			assert_int_equal(c->ev[0].port, VSW_PL_DROP_TTL);
		}
		fx_free(fx);
	}
}

/* ---- Groups ---- */

static enum vsw_act_err
group_add(struct fx *fx, enum vsw_pl_mod_cmd cmd, uint8_t type, uint32_t id,
	  const struct vsw_pl_bucket_spec *b, size_t n)
{
	struct vsw_pl_group_mod gm = {
		.cmd = cmd, .type = type, .group_id = id, .buckets = b, .n_buckets = n};
	enum vsw_act_err e;

	assert_int_equal(vsw_pl_begin(fx->pl, fx->now), 0);
	e = vsw_pl_group_mod(fx->pl, &gm, NULL, NULL);
	vsw_pl_commit(fx->pl);
	return e;
}

static void
test_group_all_and_indirect(void **state)
{
	struct fx *fx = fx_new(true, false);
	uint8_t f[TF_MAXLEN];
	size_t len = tf_build(f, 0, TF_IPV4, TF_TCP, 0, 10);
	struct vsw_act b0[] = {OUT(1)}, b1[] = {SETU(VSW_ACT_F_TP_DST, 8080), OUT(2)},
		       b2[] = {OUT(3)};
	struct vsw_pl_bucket_spec all[] = {
		{.acts = b0,
		 .n_acts = 1,
		 .watch_port = VSW_ACT_PORT_ANY,
		 .watch_group = VSW_ACT_GROUP_ANY},
		{.acts = b1,
		 .n_acts = 2,
		 .watch_port = VSW_ACT_PORT_ANY,
		 .watch_group = VSW_ACT_GROUP_ANY},
		{.acts = b2,
		 .n_acts = 1,
		 .watch_port = VSW_ACT_PORT_ANY,
		 .watch_group = VSW_ACT_GROUP_ANY},
	};
	struct vsw_act to_all[] = {{.type = VSW_ACT_GROUP, .u32 = 7}, OUT(9)};
	struct vsw_act ind[] = {{.type = VSW_ACT_GROUP, .u32 = 7}};
	struct vsw_pl_group_stats gs;
	struct vsw_pl_flow_mod fm;
	struct vsw_flow_key k;
	struct cap *c;

	(void)state;
	/* A flow to a group that does not exist is refused. */
	fm_init(&fm, VSW_PL_ADD, 0, 1);
	fm.insts.apply = to_all;
	fm.insts.n_apply = 2;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_E_BAD_OUT_GROUP);
	assert_int_equal(group_add(fx, VSW_PL_MOD_ADD, VSW_PL_GROUP_ALL, 7, all, 3), VSW_ACT_OK);
	assert_int_equal(group_add(fx, VSW_PL_MOD_ADD, VSW_PL_GROUP_ALL, 7, all, 3),
			 VSW_ACT_E_GROUP_EXISTS);
	assert_int_equal(group_add(fx, VSW_PL_MOD_MODIFY, VSW_PL_GROUP_ALL, 8, all, 3),
			 VSW_ACT_E_UNKNOWN_GROUP);
	assert_int_equal(group_add(fx, VSW_PL_MOD_ADD, VSW_PL_GROUP_INDIRECT, 8, all, 3),
			 VSW_ACT_E_INVALID_GROUP);
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);

	c = fx_run(fx, f, len, 1);
	assert_int_equal(c->n, 4);
	assert_int_equal(c->ev[0].port, 1);
	assert_int_equal(c->ev[1].port, 2);
	assert_int_equal(c->ev[2].port, 3);
	assert_int_equal(c->ev[3].port, 9);
	frame_key(&c->ev[1], 1, &k);
	assert_int_equal(k.tp_dst, 8080);
	assert_true(tf_verify(c->ev[1].frame, c->ev[1].len));
	frame_key(&c->ev[2], 1, &k); /* a bucket's changes stay in its copy */
	assert_int_equal(k.tp_dst, 80);
	frame_key(&c->ev[3], 1, &k);
	assert_int_equal(k.tp_dst, 80);
	/* Counters: the group and each bucket saw the packet (PMD 1's row). */
	assert_int_equal(vsw_pl_group_stats(fx->pl, 7, fx->now + 5000, &gs), 0);
	assert_int_equal(gs.packets, 1);
	assert_int_equal(gs.bytes, len);
	assert_int_equal(gs.duration_ns, 5000);
	assert_int_equal(gs.n_buckets, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(gs.bucket_packets[i], 1);
		assert_int_equal(gs.bucket_bytes[i], len);
	}
	assert_int_equal(vsw_pl_group_stats(fx->pl, 8, fx->now, &gs), -ENOENT);

	/* Indirect, modified in place of the all group. */
	assert_int_equal(group_add(fx, VSW_PL_MOD_MODIFY, VSW_PL_GROUP_INDIRECT, 7, &all[1], 1),
			 VSW_ACT_OK);
	fm_init(&fm, VSW_PL_MODIFY, 0, 0);
	fm.insts.apply = ind;
	fm.insts.n_apply = 1;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	c = fx_run(fx, f, len, 1);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->ev[0].port, 2);
	assert_ptr_equal(c->ev[0].m, c->ev[0].m);
	/* A modify keeps the group's totals, its new bucket starts at 0. */
	c = fx_run(fx, f, len, 1);
	assert_int_equal(vsw_pl_group_stats(fx->pl, 7, fx->now, &gs), 0);
	assert_int_equal(gs.packets, 3);
	assert_int_equal(gs.bytes, 3 * len);
	assert_int_equal(gs.n_buckets, 1);
	assert_int_equal(gs.bucket_packets[0], 2);

	/* Deleting the group deletes the flows that use it. */
	assert_int_equal(vsw_pl_n_flows(fx->pl), 1);
	assert_int_equal(group_add(fx, VSW_PL_MOD_DELETE, 0, 7, NULL, 0), VSW_ACT_OK);
	assert_int_equal(vsw_pl_n_flows(fx->pl), 0);
	c = fx_run(fx, f, len, 1);
	assert_int_equal(c->ev[0].port, VSW_PL_DROP_TABLE_MISS);
	fx_free(fx);
}

static void
test_group_select_and_ff(void **state)
{
	struct fx *fx = fx_new(true, false);
	uint8_t f[TF_MAXLEN];
	size_t len = tf_build(f, 0, TF_IPV4, TF_TCP, 0, 10);
	struct vsw_act o[4][1] = {{OUT(1)}, {OUT(2)}, {OUT(3)}, {OUT(4)}};
	struct vsw_pl_bucket_spec b[4];
	struct vsw_act to_g[] = {{.type = VSW_ACT_GROUP, .u32 = 1}};
	unsigned hits[5] = {0};
	struct cap *c;

	(void)state;
	for (int i = 0; i < 4; i++)
		b[i] = (struct vsw_pl_bucket_spec){.weight = i == 3 ? 0 : 1,
						   .acts = o[i],
						   .n_acts = 1,
						   .watch_port = VSW_ACT_PORT_ANY,
						   .watch_group = VSW_ACT_GROUP_ANY};
	assert_int_equal(group_add(fx, VSW_PL_MOD_ADD, VSW_PL_GROUP_SELECT, 1, b, 4), VSW_ACT_OK);
	add_simple(fx, 0, 1, to_g, 1);
	/* Flows spread over the buckets of weight > 0; a flow keeps its bucket. */
	for (int src = 0; src < 300; src++) {
		f[34] = (uint8_t)(src >> 8);
		f[35] = (uint8_t)src;
		tf_fix(f, len);
		c = fx_run(fx, f, len, 1);
		assert_int_equal(c->n, 1);
		assert_int_equal(c->ev[0].kind, EV_OUTPUT);
		hits[c->ev[0].port]++;
		uint32_t first = c->ev[0].port;

		c = fx_run(fx, f, len, 1);
		assert_int_equal(c->ev[0].port, first);
	}
	assert_int_equal(hits[4], 0);
	for (int i = 1; i <= 3; i++)
		assert_in_range(hits[i], 50, 150);

	/* Fast failover: the first bucket whose watch port is live. */
	for (int i = 0; i < 4; i++)
		b[i].watch_port = (uint32_t)(i + 1);
	b[3].watch_port = VSW_ACT_PORT_ANY;
	assert_int_equal(group_add(fx, VSW_PL_MOD_MODIFY, VSW_PL_GROUP_FF, 1, b, 4),
			 VSW_ACT_E_BAD_WATCH);
	b[3].watch_port = 4;
	assert_int_equal(group_add(fx, VSW_PL_MOD_MODIFY, VSW_PL_GROUP_FF, 1, b, 4), VSW_ACT_OK);
	assert_int_equal(fx_run(fx, f, len, 1)->ev[0].port, 1);
	fx->cap.live[1] = false;
	assert_int_equal(fx_run(fx, f, len, 1)->ev[0].port, 2);
	fx->cap.live[2] = fx->cap.live[3] = false;
	assert_int_equal(fx_run(fx, f, len, 1)->ev[0].port, 4);
	fx->cap.live[4] = false;
	c = fx_run(fx, f, len, 1);
	assert_int_equal(c->ev[0].kind, EV_DROP);
	assert_int_equal(c->ev[0].port, VSW_PL_DROP_GROUP);
	fx->cap.live[2] = true;
	assert_int_equal(fx_run(fx, f, len, 1)->ev[0].port, 2);

	/* Chained groups, and loops refused. */
	struct vsw_act to1[] = {{.type = VSW_ACT_GROUP, .u32 = 1}};
	struct vsw_act to2[] = {{.type = VSW_ACT_GROUP, .u32 = 2}};
	struct vsw_pl_bucket_spec c2 = {.acts = to1,
					.n_acts = 1,
					.watch_port = VSW_ACT_PORT_ANY,
					.watch_group = VSW_ACT_GROUP_ANY};
	struct vsw_pl_bucket_spec c1 = {.acts = to2,
					.n_acts = 1,
					.watch_port = VSW_ACT_PORT_ANY,
					.watch_group = VSW_ACT_GROUP_ANY};

	assert_int_equal(group_add(fx, VSW_PL_MOD_ADD, VSW_PL_GROUP_INDIRECT, 2, &c2, 1),
			 VSW_ACT_OK);
	assert_int_equal(group_add(fx, VSW_PL_MOD_MODIFY, VSW_PL_GROUP_INDIRECT, 1, &c1, 1),
			 VSW_ACT_E_GROUP_LOOP);
	to_g[0].u32 = 2;
	struct vsw_pl_flow_mod fm;

	fm_init(&fm, VSW_PL_MODIFY, 0, 0);
	fm.insts.apply = to_g;
	fm.insts.n_apply = 1;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	assert_int_equal(fx_run(fx, f, len, 1)->ev[0].port, 2); /* 2 → 1 (ff) → port 2 */
	fx_free(fx);
}

/* ---- Meters ---- */

static enum vsw_act_err
meter_add(struct fx *fx, uint16_t flags, uint32_t id, uint32_t rate, uint32_t burst)
{
	struct vsw_pl_meter_mod mm = {.cmd = VSW_PL_MOD_ADD,
				      .flags = flags,
				      .meter_id = id,
				      .rate = rate,
				      .burst = burst};
	enum vsw_act_err e;

	assert_int_equal(vsw_pl_begin(fx->pl, fx->now), 0);
	e = vsw_pl_meter_mod(fx->pl, &mm, NULL, NULL);
	vsw_pl_commit(fx->pl);
	return e;
}

static unsigned
burst_passed(struct fx *fx, const uint8_t *f, size_t len, unsigned n)
{
	unsigned pass = 0;

	for (unsigned i = 0; i < n; i++) {
		struct cap *c = fx_run(fx, f, len, 1);

		pass += c->ev[0].kind == EV_OUTPUT;
		if (c->ev[0].kind == EV_DROP)
			assert_int_equal(c->ev[0].port, VSW_PL_DROP_METER);
	}
	return pass;
}

static void
test_meter_drop_rate(void **state)
{
	struct fx *fx = fx_new(true, false);
	uint8_t f[TF_MAXLEN];
	size_t len = tf_build(f, 0, TF_IPV4, TF_UDP, 0, 1000 - 42); /* 1000 bytes */
	struct vsw_act out[] = {OUT(2)};
	struct vsw_pl_flow_mod fm;

	(void)state;
	assert_int_equal(len, 1000);
	assert_int_equal(meter_add(fx, VSW_PL_METER_PKTPS | VSW_PL_METER_KBPS, 1, 1000, 0),
			 VSW_ACT_E_BAD_FLAGS);
	assert_int_equal(meter_add(fx, VSW_PL_METER_PKTPS, 1, 0, 0), VSW_ACT_E_BAD_RATE);
	assert_int_equal(meter_add(fx, VSW_PL_METER_PKTPS, 0, 10, 0), VSW_ACT_E_INVALID_METER);
	/* 1000 packets/s, bursts of 10. */
	assert_int_equal(meter_add(fx, VSW_PL_METER_PKTPS | VSW_PL_METER_BURST, 1, 1000, 10),
			 VSW_ACT_OK);
	assert_int_equal(meter_add(fx, VSW_PL_METER_PKTPS, 1, 1000, 10), VSW_ACT_E_METER_EXISTS);
	fm_init(&fm, VSW_PL_ADD, 0, 1);
	fm.key.in_port = 1;
	fm.mask.in_port = UINT32_MAX;
	fm.insts.apply = out;
	fm.insts.n_apply = 1;
	fm.insts.meter_id = 2;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_E_UNKNOWN_METER);
	fm.insts.meter_id = 1;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);

	fx->now = 5 * NS;
	assert_int_equal(burst_passed(fx, f, len, 25), 10); /* the burst */
	fx->now += 1000000;				    /* 1 ms: one packet's worth */
	assert_int_equal(burst_passed(fx, f, len, 5), 1);
	fx->now += 500000; /* half a packet */
	assert_int_equal(burst_passed(fx, f, len, 5), 0);
	fx->now += 500000;
	assert_int_equal(burst_passed(fx, f, len, 5), 1);
	/* Sustained: 1 s at 2000 packets/s offered, 1000 pass (+ the burst refill). */
	unsigned pass = 0;

	fx->now += 10 * NS;
	for (int i = 0; i < 2000; i++) {
		fx->now += 500000;
		pass += burst_passed(fx, f, len, 1);
	}
	assert_in_range(pass, 1000, 1010);
	uint64_t mp_, mb_, md_;

	assert_int_equal(vsw_pl_meter_stats(fx->pl, 1, &mp_, &mb_, &md_), 0);
	assert_int_equal(mp_, 25 + 5 + 5 + 5 + 2000);
	assert_int_equal(mb_, mp_ * len);
	assert_int_equal(mp_ - md_, 10 + 1 + 0 + 1 + pass);
	assert_int_equal(vsw_pl_meter_stats(fx->pl, 2, &mp_, &mb_, &md_), -ENOENT);

	/* kb/s: 8000 kb/s = 1000 packets of 1000 bytes a second; default burst
	 * 10 ms = 10 packets. */
	struct fx *fk = fx_new(true, false);

	assert_int_equal(meter_add(fk, VSW_PL_METER_KBPS, 5, 8000, 0), VSW_ACT_OK);
	fm.insts.meter_id = 5;
	assert_int_equal(fx_mod(fk, &fm), VSW_ACT_OK);
	fk->now = NS;
	assert_int_equal(burst_passed(fk, f, len, 30), 10);
	pass = 0;
	for (int i = 0; i < 200; i++) { /* 100 ms at 2000 packets/s */
		fk->now += 500000;
		pass += burst_passed(fk, f, len, 1);
	}
	assert_int_equal(pass, 100);
	/* Deleting the meter deletes its flows. */
	struct vsw_pl_meter_mod mm = {.cmd = VSW_PL_MOD_DELETE, .meter_id = 5};

	assert_int_equal(vsw_pl_begin(fk->pl, fk->now), 0);
	assert_int_equal(vsw_pl_meter_mod(fk->pl, &mm, NULL, NULL), VSW_ACT_OK);
	vsw_pl_commit(fk->pl);
	assert_int_equal(vsw_pl_n_flows(fk->pl), 0);
	fx_free(fk);
	fx_free(fx);
}

/* ---- Timeouts ---- */

struct rm_log {
	struct vsw_pl_removed rm[8];
	unsigned n;
};

static void
on_removed(void *arg, const struct vsw_pl_removed *rm)
{
	struct rm_log *l = arg;

	assert_true(l->n < 8);
	l->rm[l->n++] = *rm;
}

static void
test_timeouts(void **state)
{
	struct fx *fx = fx_new(true, false);
	uint8_t f[TF_MAXLEN];
	size_t len = tf_build(f, 0, TF_IPV4, TF_UDP, 0, 10);
	struct vsw_act out[] = {OUT(2)};
	struct vsw_pl_flow_mod fm;
	struct rm_log log = {0};

	(void)state;
	fx->now = 100 * NS;
	fm_init(&fm, VSW_PL_ADD, 0, 5);
	fm.key.in_port = 1;
	fm.mask.in_port = UINT32_MAX;
	fm.insts.apply = out;
	fm.insts.n_apply = 1;
	fm.idle_timeout = 10;
	fm.cookie = 1;
	fm.flags = VSW_PL_FF_SEND_FLOW_REM;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	fm.key.in_port = 2;
	fm.idle_timeout = 0;
	fm.hard_timeout = 30;
	fm.cookie = 2;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);

	fx->now = 108 * NS;
	fx_run(fx, f, len, 1);
	fx_run(fx, f, len, 2);
	assert_int_equal(vsw_pl_expire(fx->pl, 115 * NS, on_removed, &log), 0);
	assert_int_equal(vsw_pl_expire(fx->pl, 118 * NS - 1, on_removed, &log), 0);
	assert_int_equal(vsw_pl_expire(fx->pl, 118 * NS, on_removed, &log), 1);
	assert_int_equal(log.rm[0].cookie, 1);
	assert_int_equal(log.rm[0].reason, VSW_PL_RM_IDLE_TIMEOUT);
	assert_int_equal(log.rm[0].packets, 1);
	assert_int_equal(log.rm[0].bytes, len);
	assert_int_equal(log.rm[0].duration_ns, 18 * NS);
	assert_int_equal(log.rm[0].flags, VSW_PL_FF_SEND_FLOW_REM);
	/* Traffic does not keep a hard timeout alive. */
	fx->now = 129 * NS;
	fx_run(fx, f, len, 2);
	assert_int_equal(vsw_pl_expire(fx->pl, 129 * NS, on_removed, &log), 0);
	assert_int_equal(vsw_pl_expire(fx->pl, 130 * NS, on_removed, &log), 1);
	assert_int_equal(log.rm[1].cookie, 2);
	assert_int_equal(log.rm[1].reason, VSW_PL_RM_HARD_TIMEOUT);
	assert_int_equal(log.rm[1].packets, 2);
	assert_int_equal(vsw_pl_n_flows(fx->pl), 0);
	/* Expiry needs no open transaction. */
	assert_int_equal(vsw_pl_begin(fx->pl, 0), 0);
	assert_int_equal(vsw_pl_expire(fx->pl, 0, NULL, NULL), -EBUSY);
	vsw_pl_abort(fx->pl);
	fx_free(fx);
}

/* ---- Transactions ---- */

static void
test_transactions(void **state)
{
	struct fx *fx = fx_new(true, false);
	uint8_t f[TF_MAXLEN];
	size_t len = tf_build(f, 0, TF_IPV4, TF_UDP, 0, 10);
	struct vsw_act o2[] = {OUT(2)}, o3[] = {OUT(3)}, o4[] = {OUT(4)};
	struct vsw_pl_flow_mod fm;
	struct rm_log log = {0};
	struct stats_arg s = {0};

	(void)state;
	assert_int_equal(vsw_pl_flow_mod(fx->pl, &fm, NULL, NULL), VSW_ACT_E_NO_TXN);
	/* An aborted transaction leaves nothing. */
	fm_init(&fm, VSW_PL_ADD, 0, 5);
	fm.insts.apply = o2;
	fm.insts.n_apply = 1;
	fm.cookie = 0x100;
	assert_int_equal(vsw_pl_begin(fx->pl, 0), 0);
	assert_int_equal(vsw_pl_begin(fx->pl, 0), -EBUSY);
	assert_int_equal(vsw_pl_flow_mod(fx->pl, &fm, NULL, NULL), VSW_ACT_OK);
	vsw_pl_abort(fx->pl);
	assert_int_equal(vsw_pl_n_flows(fx->pl), 0);
	assert_int_equal(fx_run(fx, f, len, 1)->ev[0].kind, EV_DROP);

	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	fx_run(fx, f, len, 1);
	fx_run(fx, f, len, 1);
	/* CHECK_OVERLAP: same priority, overlapping match. */
	fm.key.in_port = 1;
	fm.mask.in_port = UINT32_MAX;
	fm.flags = VSW_PL_FF_CHECK_OVERLAP;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_E_OVERLAP);
	fm.priority = 6;
	fm.cookie = 0x200;
	fm.insts.apply = o3;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	assert_int_equal(fx_run(fx, f, len, 1)->ev[0].port, 3);
	/* An identical add replaces, keeping the counters (not RESET_COUNTS). */
	fm.flags = 0;
	fm.insts.apply = o4;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	assert_int_equal(vsw_pl_n_flows(fx->pl), 2);
	assert_int_equal(fx_run(fx, f, len, 1)->ev[0].port, 4);
	vsw_pl_flow_foreach(fx->pl, 0, sum_stats, &s);
	assert_int_equal(s.packets, 4);
	/* Modify by cookie: only the cookie-0x100 flow (in_port 2 reaches it). */
	fm_init(&fm, VSW_PL_MODIFY, 0, 0);
	fm.cookie = 0x100;
	fm.cookie_mask = 0xf00;
	fm.insts.apply = o3;
	fm.insts.n_apply = 1;
	fm.flags = VSW_PL_FF_RESET_COUNTS;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	assert_int_equal(fx_run(fx, f, len, 2)->ev[0].port, 3);
	assert_int_equal(fx_run(fx, f, len, 1)->ev[0].port, 4);
	s = (struct stats_arg){0};
	vsw_pl_flow_foreach(fx->pl, 0, sum_stats, &s);
	assert_int_equal(s.packets, 2 + 2); /* reset: 1 since, + 3 on the other */
	/* Delete with an out_port filter, then strict with the wrong priority. */
	fm_init(&fm, VSW_PL_DELETE, VSW_PL_TABLE_ALL, 0);
	fm.out_port = 9;
	assert_int_equal(vsw_pl_begin(fx->pl, 0), 0);
	assert_int_equal(vsw_pl_flow_mod(fx->pl, &fm, on_removed, &log), VSW_ACT_OK);
	assert_int_equal(log.n, 0);
	fm.out_port = 4;
	assert_int_equal(vsw_pl_flow_mod(fx->pl, &fm, on_removed, &log), VSW_ACT_OK);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.rm[0].cookie, 0x200);
	assert_int_equal(log.rm[0].reason, VSW_PL_RM_DELETE);
	vsw_pl_commit(fx->pl);
	fm_init(&fm, VSW_PL_DELETE_STRICT, 0, 4);
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	assert_int_equal(vsw_pl_n_flows(fx->pl), 1);
	fm.priority = 5;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	assert_int_equal(vsw_pl_n_flows(fx->pl), 0);
	fx_free(fx);
}

/* BARRIER: the token is synced only once every registered reader has
 * reported a quiescent state after the commit. */
static void
test_barrier_token(void **state)
{
	size_t sz = rte_rcu_qsbr_get_memsize(2);
	struct rte_rcu_qsbr *qs = rte_zmalloc(NULL, sz, RTE_CACHE_LINE_SIZE);
	struct vsw_pl_config conf = {.n_pmds = 2, .local_port = VSW_ACT_PORT_ANY};
	struct vsw_act o2[] = {OUT(2)};
	struct vsw_pl_flow_mod fm;
	struct vsw_pl *pl;
	uint64_t token;

	(void)state;
	assert_non_null(qs);
	assert_int_equal(rte_rcu_qsbr_init(qs, 2), 0);
	assert_int_equal(rte_rcu_qsbr_thread_register(qs, 0), 0);
	rte_rcu_qsbr_thread_online(qs, 0);
	conf.qs = qs;
	assert_int_equal(vsw_pl_create(&conf, &pl), 0);
	fm_init(&fm, VSW_PL_ADD, 0, 5);
	fm.insts.apply = o2;
	fm.insts.n_apply = 1;
	for (int round = 0; round < 3; round++) {
		fm.cmd = round == 2 ? VSW_PL_DELETE : VSW_PL_ADD;
		assert_int_equal(vsw_pl_begin(pl, 0), 0);
		assert_int_equal(vsw_pl_flow_mod(pl, &fm, NULL, NULL), VSW_ACT_OK);
		token = vsw_pl_commit(pl);
		assert_false(vsw_pl_synced(pl, token));
		assert_false(vsw_pl_synced(pl, token));
		rte_rcu_qsbr_quiescent(qs, 0);
		assert_true(vsw_pl_synced(pl, token));
	}
	/* Freed flows came back through the grace periods: two quiescent
	 * states drain the defer queue. */
	rte_rcu_qsbr_quiescent(qs, 0);
	vsw_pl_poll(pl);
	rte_rcu_qsbr_quiescent(qs, 0);
	vsw_pl_poll(pl);
	rte_rcu_qsbr_thread_offline(qs, 0);
	vsw_pl_destroy(pl);
	rte_free(qs);
}

/* ---- P7: a transaction is seen entirely or not at all ---- */

struct atom {
	struct vsw_pl *pl;
	struct rte_rcu_qsbr *qs;
	bool stop;
	uint64_t packets, mixed, backwards;
};

#define ATOM_TABLES 12 /* a transaction changes one flow in each */

struct atom_cap {
	uint32_t ports[ATOM_TABLES];
	unsigned n;
};

static void
atom_output(void *ctx, uint32_t port, uint32_t queue, struct rte_mbuf *m)
{
	struct atom_cap *c = ctx;

	(void)queue;
	if (c->n < ATOM_TABLES)
		c->ports[c->n++] = port;
	rte_pktmbuf_free(m);
}

static void
atom_drop(void *ctx, enum vsw_pl_drop reason)
{
	struct atom_cap *c = ctx;

	(void)reason;
	if (c->n < ATOM_TABLES)
		c->ports[c->n++] = 0;
}

static void *
atom_reader(void *arg)
{
	struct atom *a = arg;
	const struct vsw_pl_out_ops ops = {.output = atom_output, .drop = atom_drop};
	struct vsw_pl_ctx ctx;
	uint8_t f[TF_MAXLEN];
	size_t len = tf_build(f, 0, TF_IPV4, TF_UDP, 0, 10);
	uint32_t last = 0;

	rte_rcu_qsbr_thread_register(a->qs, 0);
	rte_rcu_qsbr_thread_online(a->qs, 0);
	if (vsw_pl_ctx_init(&ctx, a->pl, 0, tf_mp, true) != 0)
		abort();
	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(tf_mp);
		struct atom_cap c = {{0}, 0};
		bool mixed = false;

		if (m == NULL)
			abort();
		memcpy(rte_pktmbuf_append(m, (uint16_t)len), f, len);
		vsw_pl_run(&ctx, &m, NULL, 1, 1, &ops, &c);
		/* Table t outputs to gen and goes to table t + 1, which
		 * outputs to gen too: all from one version. */
		for (unsigned i = 1; i < ATOM_TABLES; i++)
			mixed |= c.ports[i] != c.ports[0];
		if (c.n != ATOM_TABLES || mixed)
			a->mixed++;
		if (c.ports[0] < last)
			a->backwards++;
		last = c.ports[0];
		__atomic_store_n(&a->packets, a->packets + 1, __ATOMIC_RELAXED);
		rte_rcu_qsbr_quiescent(a->qs, 0);
	}
	vsw_pl_ctx_fini(&ctx);
	rte_rcu_qsbr_thread_offline(a->qs, 0);
	rte_rcu_qsbr_thread_unregister(a->qs, 0);
	return NULL;
}

/* Every eighth transaction waits half-way until the reader has run a packet:
 * that packet must not see the half done. */
static void
atom_set(struct atom *a, uint32_t gen, enum vsw_pl_cmd cmd)
{
	struct vsw_act out[] = {OUT(gen)};
	struct vsw_pl_flow_mod fm;
	struct vsw_pl *pl = a->pl;

	for (uint8_t t = 0; t < ATOM_TABLES; t++) {
		if (t == ATOM_TABLES / 2 && gen % 8 == 0) {
			uint64_t seen = __atomic_load_n(&a->packets, __ATOMIC_RELAXED);

			while (__atomic_load_n(&a->packets, __ATOMIC_RELAXED) < seen + 2)
				sched_yield();
		}
		fm_init(&fm, cmd, t, 1);
		fm.insts.apply = out;
		fm.insts.n_apply = 1;
		fm.insts.goto_table = t + 1 < ATOM_TABLES ? t + 1 : VSW_ACT_NO_TABLE;
		assert_int_equal(vsw_pl_flow_mod(pl, &fm, NULL, NULL), VSW_ACT_OK);
	}
}

static void
test_p7_transaction_atomic_for_reader(void **state)
{
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct rte_rcu_qsbr *qs = rte_zmalloc(NULL, sz, RTE_CACHE_LINE_SIZE);
	struct vsw_pl_config conf = {.n_pmds = 1, .local_port = VSW_ACT_PORT_ANY};
	struct atom a = {0};
	pthread_t th;
	unsigned synced = 0;

	(void)state;
	assert_non_null(qs);
	assert_int_equal(rte_rcu_qsbr_init(qs, 1), 0);
	conf.qs = qs;
	assert_int_equal(vsw_pl_create(&conf, &a.pl), 0);
	a.qs = qs;
	assert_int_equal(vsw_pl_begin(a.pl, 0), 0);
	atom_set(&a, 1, VSW_PL_ADD);
	vsw_pl_commit(a.pl);
	assert_int_equal(pthread_create(&th, NULL, atom_reader, &a), 0);
	while (__atomic_load_n(&a.packets, __ATOMIC_RELAXED) == 0)
		sched_yield(); /* the reader runs */
	for (uint32_t gen = 2; gen < 800; gen++) {
		uint64_t token;

		assert_int_equal(vsw_pl_begin(a.pl, 0), 0);
		/* Half by modify (replace), half by delete + add. */
		if (gen & 1) {
			atom_set(&a, gen, VSW_PL_MODIFY_STRICT);
		} else {
			struct vsw_pl_flow_mod fm;

			fm_init(&fm, VSW_PL_DELETE, VSW_PL_TABLE_ALL, 0);
			assert_int_equal(vsw_pl_flow_mod(a.pl, &fm, NULL, NULL), VSW_ACT_OK);
			atom_set(&a, gen, VSW_PL_ADD);
		}
		token = vsw_pl_commit(a.pl);
		if (gen % 100 == 0) { /* a BARRIER now and then: the reader keeps up */
			while (!vsw_pl_synced(a.pl, token))
				sched_yield();
			synced++;
		}
		vsw_pl_poll(a.pl);
	}
	__atomic_store_n(&a.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	print_message("p7: %" PRIu64 " packets, %u barriers\n", a.packets, synced);
	assert_true(a.packets > 0);
	assert_int_equal(a.mixed, 0);
	assert_int_equal(a.backwards, 0);
	assert_int_equal(vsw_pl_n_flows(a.pl), ATOM_TABLES);
	vsw_pl_destroy(a.pl);
	rte_free(qs);
}

/* ---- Class 13 / P8: the pipeline with its cache against a reference ---- */

#define M_RULES	 600
#define M_TABLES 3

struct mrule {
	bool live;
	uint8_t table;
	uint32_t prio;
	struct vsw_flow_key key, mask;
	struct vsw_act apply[3];
	size_t n_apply;
	struct vsw_act write[2];
	size_t n_write;
	bool clear, md;
	uint64_t mdv, mdm;
	uint8_t goto_t;
};

static struct mrule mrules[M_RULES];

static uint64_t rng = 88172645463325252ull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static const uint8_t macs[3][6] = {{2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}, {2, 0, 0, 0, 0, 3}};
static const uint32_t ips[3] = {0x0a000001, 0x0a000002, 0x0a000101};
static const uint16_t tports[3] = {80, 443, 53};

static void
m_gen(struct mrule *r)
{
	bool ip = false, l4 = false;

	memset(r, 0, sizeof(*r));
	r->live = true;
	r->table = (uint8_t)rnd(M_TABLES);
	r->goto_t = VSW_ACT_NO_TABLE;
	if (rnd(3) == 0) {
		r->key.in_port = 1 + rnd(3);
		r->mask.in_port = UINT32_MAX;
	}
	if (r->table > 0 && rnd(2)) {
		r->key.metadata = rnd(4);
		r->mask.metadata = 3;
	}
	if (rnd(3) == 0) {
		memcpy(r->key.eth_dst, macs[rnd(3)], 6);
		memset(r->mask.eth_dst, 0xff, 6);
	}
	if (rnd(2)) {
		ip = true;
		r->key.eth_type = TF_IPV4;
		r->mask.eth_type = 0xffff;
		if (rnd(2)) {
			r->key.ipv4_dst = ips[rnd(3)] & (rnd(2) ? 0xffffffff : 0xffffff00);
			r->mask.ipv4_dst = r->key.ipv4_dst & 0xff ? 0xffffffff : 0xffffff00;
		}
		if (rnd(2)) {
			l4 = true;
			r->key.ip_proto = rnd(2) ? TF_TCP : TF_UDP;
			r->mask.ip_proto = 0xff;
			if (rnd(2)) {
				r->key.tp_dst = tports[rnd(3)];
				r->mask.tp_dst = 0xffff;
			}
		}
	}
	for (size_t n = rnd(3); r->n_apply < n;) {
		struct vsw_act *a = &r->apply[r->n_apply++];

		switch (rnd(5)) {
		case 0:
			*a = (struct vsw_act){.type = VSW_ACT_SET_FIELD,
					      .field = VSW_ACT_F_ETH_DST};
			memcpy(a->bytes, macs[rnd(3)], 6);
			break;
		case 1:
			if (ip)
				*a = (struct vsw_act){.type = VSW_ACT_SET_FIELD,
						      .field = VSW_ACT_F_IPV4_DST,
						      .u32 = ips[rnd(3)]};
			else
				*a = (struct vsw_act)OUT(VSW_ACT_PORT_CONTROLLER);
			break;
		case 2:
			if (l4)
				*a = (struct vsw_act){.type = VSW_ACT_SET_FIELD,
						      .field = VSW_ACT_F_TP_DST,
						      .u32 = tports[rnd(3)]};
			else
				*a = (struct vsw_act)OUT(1 + rnd(4));
			break;
		default:
			*a = (struct vsw_act)OUT(1 + rnd(4));
			break;
		}
	}
	if (rnd(2)) {
		r->write[r->n_write++] = (struct vsw_act)OUT(1 + rnd(4));
		if (rnd(2)) {
			r->write[r->n_write] = (struct vsw_act){.type = VSW_ACT_SET_FIELD,
								.field = VSW_ACT_F_ETH_DST};
			memcpy(r->write[r->n_write++].bytes, macs[rnd(3)], 6);
		}
	}
	r->clear = rnd(6) == 0;
	if (rnd(2)) {
		r->md = true;
		r->mdv = rnd(4);
		r->mdm = rnd(2) ? 3 : 1;
	}
	if (r->table + 1 < M_TABLES && rnd(3) != 0)
		r->goto_t = (uint8_t)(r->table + 1 + rnd(M_TABLES - r->table - 1));
}

/* A priority no other live rule of the table has. */
static uint32_t
m_free_prio(const struct mrule *r)
{
	for (;;) {
		uint32_t prio = 1 + rnd(100000);
		bool used = false;

		for (int i = 0; i < M_RULES && !used; i++)
			used = &mrules[i] != r && mrules[i].live && mrules[i].table == r->table &&
			       mrules[i].prio == prio;
		if (!used)
			return prio;
	}
}

static void
m_flow_mod(const struct mrule *r, struct vsw_pl_flow_mod *fm, enum vsw_pl_cmd cmd)
{
	fm_init(fm, cmd, r->table, r->prio);
	fm->key = r->key;
	fm->mask = r->mask;
	fm->insts.apply = r->apply;
	fm->insts.n_apply = r->n_apply;
	fm->insts.write = r->write;
	fm->insts.n_write = r->n_write;
	fm->insts.clear = r->clear;
	fm->insts.write_metadata = r->md;
	fm->insts.metadata = r->mdv;
	fm->insts.metadata_mask = r->mdm;
	fm->insts.goto_table = r->goto_t;
}

/* The reference: linear scan, key-only execution. */
struct ref_ev {
	enum ev_kind kind;
	uint32_t port;
	struct vsw_flow_key key; /* metadata 0 for outputs (a frame has none) */
};

static const struct mrule *
ref_lookup(uint8_t t, const struct vsw_flow_key *k)
{
	const struct mrule *best = NULL;

	for (int i = 0; i < M_RULES; i++) {
		const struct mrule *r = &mrules[i];

		if (r->live && r->table == t && vsw_flow_key_equal_masked(k, &r->key, &r->mask) &&
		    (best == NULL || r->prio > best->prio))
			best = r;
	}
	return best;
}

static void
ref_set(struct vsw_flow_key *k, const struct vsw_act *a)
{
	if (a->field == VSW_ACT_F_ETH_DST)
		memcpy(k->eth_dst, a->bytes, 6);
	else if (a->field == VSW_ACT_F_IPV4_DST && (k->parse & VSW_FLOW_P_IPV4))
		k->ipv4_dst = a->u32;
	else if (a->field == VSW_ACT_F_TP_DST && (k->parse & VSW_FLOW_P_L4) &&
		 (k->ip_proto == TF_TCP || k->ip_proto == TF_UDP))
		k->tp_dst = (uint16_t)a->u32;
}

static void
ref_out(struct ref_ev *ev, unsigned *n, const struct vsw_act *a, const struct vsw_flow_key *k)
{
	struct ref_ev *e = &ev[(*n)++];

	e->key = *k;
	if (a->u32 == VSW_ACT_PORT_CONTROLLER) {
		e->kind = EV_CTRL;
		return;
	}
	e->kind = EV_OUTPUT;
	e->port = a->u32;
	e->key.metadata = 0;
}

static unsigned
ref_run(struct vsw_flow_key k, struct ref_ev *ev)
{
	const struct vsw_act *set_out = NULL, *set_eth = NULL;
	unsigned n = 0;
	uint8_t t = 0;

	for (;;) {
		const struct mrule *r = ref_lookup(t, &k);

		if (r == NULL) {
			ev[n++] = (struct ref_ev){.kind = EV_DROP, .port = VSW_PL_DROP_TABLE_MISS};
			return n;
		}
		for (size_t i = 0; i < r->n_apply; i++) {
			if (r->apply[i].type == VSW_ACT_OUTPUT)
				ref_out(ev, &n, &r->apply[i], &k);
			else
				ref_set(&k, &r->apply[i]);
		}
		if (r->clear)
			set_out = set_eth = NULL;
		for (size_t i = 0; i < r->n_write; i++) {
			if (r->write[i].type == VSW_ACT_OUTPUT)
				set_out = &r->write[i];
			else
				set_eth = &r->write[i];
		}
		if (r->md)
			k.metadata = (k.metadata & ~r->mdm) | (r->mdv & r->mdm);
		if (r->goto_t != VSW_ACT_NO_TABLE) {
			t = r->goto_t;
			continue;
		}
		if (set_eth != NULL)
			ref_set(&k, set_eth);
		if (set_out != NULL)
			ref_out(ev, &n, set_out, &k);
		else if (n == 0)
			ev[n++] = (struct ref_ev){.kind = EV_DROP, .port = VSW_PL_DROP_NO_OUTPUT};
		return n;
	}
}

static size_t
m_packet(uint8_t *f, uint32_t *in_port)
{
	uint16_t type = rnd(5) == 0 ? TF_ARP : TF_IPV4;
	size_t len = tf_build(f, 0, type, rnd(2) ? TF_TCP : TF_UDP, 0, rnd(20));

	memcpy(f, macs[rnd(3)], 6);
	if (type == TF_IPV4) {
		uint32_t d = ips[rnd(3)];
		uint16_t p = tports[rnd(3)];

		f[30] = (uint8_t)(d >> 24), f[31] = (uint8_t)(d >> 16);
		f[32] = (uint8_t)(d >> 8), f[33] = (uint8_t)d;
		f[36] = (uint8_t)(p >> 8), f[37] = (uint8_t)p;
		tf_fix(f, len);
	}
	*in_port = 1 + rnd(3);
	return len;
}

static void
m_compare(struct fx *fx, const uint8_t *f, size_t len, uint32_t in_port)
{
	struct ref_ev ref[MAX_EV];
	struct vsw_flow_key k;
	unsigned n;
	struct cap *c;

	vsw_flow_key_extract(f, (uint32_t)len, in_port, &k);
	n = ref_run(k, ref);
	c = fx_run(fx, f, len, in_port);
	assert_int_equal(c->n, n);
	for (unsigned i = 0; i < n; i++) {
		const struct ev *e = &c->ev[i];
		struct vsw_flow_key got;

		assert_int_equal(e->kind, ref[i].kind);
		if (e->kind == EV_DROP) {
			assert_int_equal(e->port, ref[i].port);
			continue;
		}
		if (e->kind == EV_CTRL) {
			assert_memory_equal(&e->pin_key, &ref[i].key, sizeof(got));
			continue;
		}
		assert_int_equal(e->port, ref[i].port);
		frame_key(e, in_port, &got);
		assert_memory_equal(&got, &ref[i].key, sizeof(got));
		assert_true(tf_verify(e->frame, e->len));
	}
}

static void
test_class13_p8_pipeline_with_emc_equals_reference(void **state)
{
	struct fx *fx = fx_new(true, false);
	unsigned live = 0, hits_before;

	(void)state;
	for (int round = 0; round < 60; round++) {
		/* Change the tables: a transaction of 1-40 flow_mods. */
		unsigned n_mods = round == 0 ? 200 : 1 + rnd(40);

		assert_int_equal(vsw_pl_begin(fx->pl, 0), 0);
		for (unsigned i = 0; i < n_mods; i++) {
			struct mrule *r = &mrules[rnd(M_RULES)];
			struct vsw_pl_flow_mod fm;

			if (r->live) {
				m_flow_mod(r, &fm, VSW_PL_DELETE_STRICT);
				assert_int_equal(vsw_pl_flow_mod(fx->pl, &fm, NULL, NULL),
						 VSW_ACT_OK);
				r->live = false;
				live--;
				continue;
			}
			m_gen(r);
			/* Distinct priorities per table: no ties to break. */
			r->prio = m_free_prio(r);
			m_flow_mod(r, &fm, VSW_PL_ADD);
			assert_int_equal(vsw_pl_flow_mod(fx->pl, &fm, NULL, NULL), VSW_ACT_OK);
			live++;
		}
		vsw_pl_commit(fx->pl);
		assert_int_equal(vsw_pl_n_flows(fx->pl), live);
		/* Packets, each twice: the second one hits the cache. */
		hits_before = (unsigned)fx->ctx.emc_hits;
		for (int p = 0; p < 150; p++) {
			uint8_t f[TF_MAXLEN];
			uint32_t in_port;
			size_t len = m_packet(f, &in_port);

			/* This test is about the cache's answers, not its gate. */
			fx->ctx.emc_gate.on = true;
			m_compare(fx, f, len, in_port);
			fx->ctx.emc_gate.on = true;
			m_compare(fx, f, len, in_port);
		}
		assert_true(fx->ctx.emc_hits - hits_before >= 150);
	}
	print_message("class13/p8: %u live flows, %" PRIu64 " cache hits, %" PRIu64 " misses\n",
		      live, fx->ctx.emc_hits, fx->ctx.emc_misses);
	fx_free(fx);
}

/* The cache never answers for another version, nor for a key it did not see. */
static void
test_p8_emc_version_and_exact_key(void **state)
{
	struct vsw_emc *emc;
	struct vsw_flow_key k = {.in_port = 1}, k2;
	const struct vsw_pl_flow *flows[2] = {(const struct vsw_pl_flow *)&k, NULL};
	uint32_t h = vsw_pl_key_hash(&k);

	(void)state;
	assert_int_equal(vsw_emc_create(&emc), 0);
	assert_null(vsw_emc_lookup(emc, &k, h, 0)); /* empty entries never hit */
	vsw_emc_insert(emc, &k, h, 5, flows, 2);
	assert_non_null(vsw_emc_lookup(emc, &k, h, 5));
	assert_int_equal(vsw_emc_lookup(emc, &k, h, 5)->n, 2);
	assert_null(vsw_emc_lookup(emc, &k, h, 6));
	k2 = k;
	k2.tp_dst = 1;
	assert_null(vsw_emc_lookup(emc, &k2, h, 5)); /* same hash, other key */
	assert_int_equal(vsw_emc_count(emc, 5), 1);
	vsw_emc_destroy(emc);
}

/* Runs 'n' one-frame bursts; frame i has source MAC 'i % distinct'. */
static void
gate_traffic(struct fx *fx, unsigned n, unsigned distinct)
{
	uint8_t f[TF_MAXLEN];
	size_t len = tf_build(f, 0, TF_IPV4, TF_UDP, 0, 10);

	for (unsigned i = 0; i < n; i++) {
		unsigned k = i % distinct;

		f[9] = (uint8_t)(k >> 16);
		f[10] = (uint8_t)(k >> 8);
		f[11] = (uint8_t)k;
		assert_int_equal(fx_run(fx, f, len, 1)->n, 1);
	}
}

/* The cache is used while it pays: all-distinct traffic turns it off (then
 * only one burst in VSW_EMC_SAMPLE looks it up), repeating traffic turns it
 * back on; forwarding is the same throughout. */
static void
test_emc_gate(void **state)
{
	struct fx *fx = fx_new(true, false);
	struct vsw_act o2[] = {OUT(2)};
	uint64_t looked;

	(void)state;
	add_simple(fx, 0, 1, o2, 1);
	assert_true(fx->ctx.emc_gate.on);
	gate_traffic(fx, VSW_EMC_WINDOW, VSW_EMC_WINDOW); /* every key new: 0 % hits */
	assert_false(fx->ctx.emc_gate.on);
	looked = fx->ctx.emc_hits + fx->ctx.emc_misses;
	gate_traffic(fx, 64 * VSW_EMC_SAMPLE, 1u << 20);
	assert_int_equal(fx->ctx.emc_hits + fx->ctx.emc_misses - looked, 64);
	/* Four keys: the sampled bursts fill the cache and hit. */
	gate_traffic(fx, (VSW_EMC_WINDOW + 64) * VSW_EMC_SAMPLE, 4);
	assert_true(fx->ctx.emc_gate.on);
	looked = fx->ctx.emc_hits;
	gate_traffic(fx, 100, 4);
	assert_int_equal(fx->ctx.emc_hits - looked, 100);
	fx_free(fx);
}

/* A pop_vlan re-extracts the key: under a third tag the L3 fields were not in
 * the key, so two packets with one initial key can go different ways after
 * the pop. Such a path is never cached (P8). */
static void
test_p8_emc_not_used_after_reparse(void **state)
{
	struct fx *fx = fx_new(true, false);
	struct vsw_act pop[] = {{.type = VSW_ACT_POP_VLAN}};
	struct vsw_act o2[] = {OUT(2)}, o3[] = {OUT(3)};
	struct vsw_pl_flow_mod fm;
	uint8_t f[2][TF_MAXLEN];
	size_t len = 0;

	(void)state;
	fm_init(&fm, VSW_PL_ADD, 0, 1);
	fm.key.vlan_vid = fm.mask.vlan_vid = VSW_FLOW_VID_PRESENT;
	fm.insts.apply = pop;
	fm.insts.n_apply = 1;
	fm.insts.goto_table = 1;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	fm_init(&fm, VSW_PL_ADD, 1, 2);
	fm.key.eth_type = TF_IPV4;
	fm.mask.eth_type = 0xffff;
	fm.key.ipv4_dst = 0xc0a80102;
	fm.mask.ipv4_dst = UINT32_MAX;
	fm.insts.apply = o2;
	fm.insts.n_apply = 1;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	fm_init(&fm, VSW_PL_ADD, 1, 1);
	fm.insts.apply = o3;
	fm.insts.n_apply = 1;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	for (int i = 0; i < 2; i++) {
		struct vsw_flow_key k;

		len = tf_build(f[i], 3, TF_IPV4, TF_UDP, 0, 4);
		f[i][14 + 12 + 19] = (uint8_t)(2 + i); /* ipv4_dst 192.168.1.2 or .3 */
		tf_fix(f[i], len);
		vsw_flow_key_extract(f[i], (uint32_t)len, 1, &k);
		assert_true(k.parse & VSW_FLOW_P_VLAN_DEEP);
	}
	for (int round = 0; round < 3; round++) {
		struct cap *c = fx_run(fx, f[0], len, 1);

		assert_int_equal(c->ev[0].kind, EV_OUTPUT);
		assert_int_equal(c->ev[0].port, 2);
		c = fx_run(fx, f[1], len, 1);
		assert_int_equal(c->ev[0].kind, EV_OUTPUT);
		assert_int_equal(c->ev[0].port, 3);
	}
	assert_int_equal(fx->ctx.emc_hits, 0);
	fx_free(fx);
}

/* PACKET_OUT: actions on a packet from the controller; TABLE runs the
 * pipeline as if the packet came in on in_port. */
static void
test_packet_out(void **state)
{
	struct fx *fx = fx_new(true, false);
	uint8_t f[TF_MAXLEN];
	size_t len = tf_build(f, 0, TF_IPV4, TF_TCP, 0, 10);
	struct vsw_act o5[] = {OUT(5)};
	struct vsw_act po[] = {SETU(VSW_ACT_F_TP_DST, 22), OUT(1), OUT(VSW_ACT_PORT_TABLE)};
	struct vsw_act_insts in = {.apply = po, .n_apply = 3, .goto_table = VSW_ACT_NO_TABLE};
	struct vsw_act_env env = {
		.n_tables = VSW_PL_TABLES, .packet_out = true, .local_port = VSW_ACT_PORT_ANY};
	struct vsw_pl_flow_mod fm;
	struct vsw_act_prog *prog;
	struct vsw_flow_key k;
	struct rte_mbuf *m;

	(void)state;
	fm_init(&fm, VSW_PL_ADD, 0, 1);
	fm.key.in_port = 4;
	fm.mask.in_port = UINT32_MAX;
	fm.insts.apply = o5;
	fm.insts.n_apply = 1;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	assert_int_equal(vsw_act_compile(&in, &env, &prog), VSW_ACT_OK);
	m = tf_mbuf(f, len, 0);
	fx->cap.n = 0;
	vsw_pl_packet_out(&fx->ctx, m, 4, prog, &out_ops, &fx->cap);
	assert_int_equal(fx->cap.n, 2);
	assert_int_equal(fx->cap.ev[0].port, 1);
	assert_int_equal(fx->cap.ev[1].port, 5);
	frame_key(&fx->cap.ev[1], 4, &k);
	assert_int_equal(k.tp_dst, 22);
	assert_true(tf_verify(fx->cap.ev[1].frame, fx->cap.ev[1].len));
	free(prog);
	fx_free(fx);
}

/* ---- Trace (pipeline_trace.c) ---- */

#define MAX_TEV 64

struct tcap {
	unsigned n;
	struct vsw_pl_trace_ev ev[MAX_TEV];
	struct vsw_flow_key key[MAX_TEV];
	bool live[16];
};

static void
tcap_event(void *arg, const struct vsw_pl_trace_ev *ev)
{
	struct tcap *t = arg;

	assert_true(t->n < MAX_TEV);
	t->ev[t->n] = *ev;
	t->key[t->n] = *ev->key;
	t->ev[t->n].key = NULL;
	t->n++;
}

static bool
tcap_live(void *arg, uint32_t port)
{
	const struct tcap *t = arg;

	return port < 16 && t->live[port];
}

static const struct vsw_pl_trace_ops trace_ops = {.event = tcap_event, .port_live = tcap_live};

static void
trace_key(struct fx *fx, const struct vsw_flow_key *k, struct tcap *t,
	  struct vsw_pl_trace_result *res)
{
	t->n = 0;
	assert_int_equal(vsw_pl_trace(fx->pl, k, &trace_ops, t, res), 0);
}

static const struct vsw_pl_trace_ev *
tev(const struct tcap *t, unsigned i, enum vsw_pl_trace_kind kind)
{
	assert_true(i < t->n);
	assert_int_equal(t->ev[i].kind, kind);
	return &t->ev[i];
}

static void
test_trace_steps_change_nothing(void **state)
{
	struct fx *fx = fx_new(true, false);
	uint8_t f[TF_MAXLEN];
	size_t len = tf_build(f, 0, TF_IPV4, TF_TCP, 0, 10);
	struct vsw_act t0[] = {SETU(VSW_ACT_F_TP_DST, 8080)};
	struct vsw_act w0[] = {OUT(3)};
	struct vsw_act t2[] = {{.type = VSW_ACT_GROUP, .u32 = 7}, OUT(VSW_ACT_PORT_CONTROLLER)};
	struct vsw_act bo[2][1] = {{OUT(4)}, {OUT(5)}};
	struct vsw_pl_bucket_spec b[2];
	struct vsw_pl_flow_mod fm;
	struct vsw_pl_trace_result res;
	struct stats_arg s = {0};
	struct tcap *t = calloc(1, sizeof(*t));
	struct vsw_flow_key k;
	uint64_t mp, mb, md;
	uint16_t w[2] = {1, 1};
	int pick;

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < 16; i++)
		t->live[i] = true;
	for (int i = 0; i < 2; i++)
		b[i] = (struct vsw_pl_bucket_spec){.weight = 1,
						   .acts = bo[i],
						   .n_acts = 1,
						   .watch_port = VSW_ACT_PORT_ANY,
						   .watch_group = VSW_ACT_GROUP_ANY};
	assert_int_equal(group_add(fx, VSW_PL_MOD_ADD, VSW_PL_GROUP_SELECT, 7, b, 2), VSW_ACT_OK);
	assert_int_equal(meter_add(fx, VSW_PL_METER_PKTPS, 1, 1, 0), VSW_ACT_OK);
	/* table 0: tcp → tp_dst=8080, write output:3, metadata 0x5, goto 2 */
	fm_init(&fm, VSW_PL_ADD, 0, 10);
	fm.key.eth_type = TF_IPV4;
	fm.mask.eth_type = 0xffff;
	fm.key.ip_proto = TF_TCP;
	fm.mask.ip_proto = 0xff;
	fm.insts.apply = t0;
	fm.insts.n_apply = 1;
	fm.insts.write = w0;
	fm.insts.n_write = 1;
	fm.insts.write_metadata = true;
	fm.insts.metadata = 5;
	fm.insts.metadata_mask = 0xff;
	fm.insts.goto_table = 2;
	fm.cookie = 0xc0;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	/* table 2: metadata 5 and the new port → meter 1, group 7, controller */
	fm_init(&fm, VSW_PL_ADD, 2, 20);
	fm.key.metadata = 5;
	fm.mask.metadata = 0xff;
	fm.key.tp_dst = 8080;
	fm.mask.tp_dst = 0xffff;
	fm.insts.meter_id = 1;
	fm.insts.apply = t2;
	fm.insts.n_apply = 2;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);

	vsw_flow_key_extract(f, (uint32_t)len, 1, &k);
	trace_key(fx, &k, t, &res);
	assert_int_equal(tev(t, 0, VSW_PL_TRACE_LOOKUP)->table_id, 0);
	assert_non_null(t->ev[0].flow);
	assert_int_equal(t->ev[0].flow->cookie, 0xc0);
	assert_int_equal(tev(t, 1, VSW_PL_TRACE_ACTION)->act->field, VSW_ACT_F_TP_DST);
	assert_int_equal(t->key[1].tp_dst, 8080); /* the key as the action left it */
	assert_int_equal(tev(t, 2, VSW_PL_TRACE_WRITE)->n_acts, 1);
	tev(t, 3, VSW_PL_TRACE_METADATA);
	assert_int_equal(t->key[3].metadata, 5);
	assert_int_equal(tev(t, 4, VSW_PL_TRACE_GOTO)->table_id, 2);
	assert_int_equal(tev(t, 5, VSW_PL_TRACE_LOOKUP)->table_id, 2);
	assert_non_null(t->ev[5].flow);
	assert_true(tev(t, 6, VSW_PL_TRACE_METER)->found);
	assert_int_equal(t->ev[6].meter_rate, 1);
	assert_int_equal(tev(t, 7, VSW_PL_TRACE_GROUP)->id, 7);
	assert_int_equal(t->ev[7].group_type, VSW_PL_GROUP_SELECT);
	assert_int_equal(t->ev[7].n_buckets, 2);
	pick = vsw_pl_select_bucket(&t->key[7], w, 2);
	assert_int_equal(tev(t, 8, VSW_PL_TRACE_BUCKET)->bucket, (unsigned)pick);
	assert_int_equal(t->ev[8].depth, 1);
	assert_int_equal(tev(t, 9, VSW_PL_TRACE_OUTPUT)->port, 4 + (unsigned)pick);
	assert_int_equal(t->ev[9].depth, 1);
	assert_int_equal(tev(t, 10, VSW_PL_TRACE_OUTPUT)->act->type, VSW_ACT_OUT_CONTROLLER);
	assert_int_equal(t->ev[10].pin_reason, VSW_PL_PIN_ACTION);
	assert_int_equal(tev(t, 11, VSW_PL_TRACE_ACTION_SET)->n_acts, 1);
	assert_int_equal(tev(t, 12, VSW_PL_TRACE_OUTPUT)->port, 3);
	assert_true(t->ev[12].in_set);
	assert_int_equal(t->n, 13);
	assert_int_equal(res.n_tables, 2);
	assert_int_equal(res.n_outputs, 3);
	assert_false(res.dropped);

	/* The same packet through the pipeline goes to the same places. */
	struct cap *c = fx_run(fx, f, len, 1);

	assert_int_equal(c->n, 3);
	assert_int_equal(c->ev[0].port, 4 + (unsigned)pick);
	assert_int_equal(c->ev[1].kind, EV_CTRL);
	assert_int_equal(c->ev[2].port, 3);

	/* The trace touched nothing: counters, meter, cache are the run's alone. */
	vsw_pl_flow_foreach(fx->pl, VSW_PL_TABLE_ALL, sum_stats, &s);
	assert_int_equal(s.packets, 2);
	assert_int_equal(vsw_pl_meter_stats(fx->pl, 1, &mp, &mb, &md), 0);
	assert_int_equal(mp, 1);
	assert_int_equal(fx->ctx.lookups[0], 1);
	assert_int_equal(fx->ctx.emc_misses, 1);
	trace_key(fx, &k, t, &res);
	s = (struct stats_arg){0};
	vsw_pl_flow_foreach(fx->pl, VSW_PL_TABLE_ALL, sum_stats, &s);
	assert_int_equal(s.packets, 2);
	assert_int_equal(vsw_pl_meter_stats(fx->pl, 1, &mp, &mb, &md), 0);
	assert_int_equal(mp, 1);
	assert_int_equal(fx->ctx.lookups[0], 1);

	/* Fast failover with no live bucket: the group drops. */
	for (int i = 0; i < 2; i++)
		b[i].watch_port = (uint32_t)(4 + i);
	assert_int_equal(group_add(fx, VSW_PL_MOD_MODIFY, VSW_PL_GROUP_FF, 7, b, 2), VSW_ACT_OK);
	t->live[4] = false;
	trace_key(fx, &k, t, &res);
	assert_int_equal(tev(t, 8, VSW_PL_TRACE_BUCKET)->bucket, 1);
	t->live[5] = false;
	trace_key(fx, &k, t, &res);
	assert_int_equal(tev(t, 8, VSW_PL_TRACE_DROP)->drop, VSW_PL_DROP_GROUP);

	/* A UDP packet misses table 0: dropped, and why. */
	k.ip_proto = TF_UDP;
	trace_key(fx, &k, t, &res);
	assert_int_equal(t->n, 2);
	assert_null(tev(t, 0, VSW_PL_TRACE_LOOKUP)->flow);
	assert_int_equal(tev(t, 1, VSW_PL_TRACE_DROP)->drop, VSW_PL_DROP_TABLE_MISS);
	assert_true(res.dropped);
	assert_int_equal(res.drop, VSW_PL_DROP_TABLE_MISS);

	/* A table-miss flow sending to the controller: reason NO_MATCH; push/pop on the key. */
	struct vsw_act miss[] = {{.type = VSW_ACT_PUSH_VLAN, .u16 = 0x8100},
				 SETU(VSW_ACT_F_VLAN_VID, 10),
				 OUT(VSW_ACT_PORT_CONTROLLER),
				 {.type = VSW_ACT_POP_VLAN},
				 OUT(VSW_ACT_PORT_IN_PORT)};

	add_simple(fx, 0, 0, miss, 5);
	trace_key(fx, &k, t, &res);
	assert_int_equal(t->key[2].vlan_vid, VSW_FLOW_VID_PRESENT | 10);
	assert_int_equal(tev(t, 3, VSW_PL_TRACE_OUTPUT)->pin_reason, VSW_PL_PIN_NO_MATCH);
	assert_int_equal(t->key[4].vlan_vid, 0);
	assert_int_equal(tev(t, 5, VSW_PL_TRACE_OUTPUT)->port, 1); /* IN_PORT resolved */
	assert_int_equal(res.n_outputs, 2);

	/* No output at all: dropped as the pipeline would (no_output). */
	struct vsw_act none[] = {SETB(VSW_ACT_F_ETH_DST, 2, 0, 0, 0, 0, 9)};

	fm_init(&fm, VSW_PL_MODIFY_STRICT, 0, 0);
	fm.insts.apply = none;
	fm.insts.n_apply = 1;
	assert_int_equal(fx_mod(fx, &fm), VSW_ACT_OK);
	trace_key(fx, &k, t, &res);
	assert_true(res.dropped);
	assert_int_equal(res.drop, VSW_PL_DROP_NO_OUTPUT);
	assert_int_equal(tev(t, t->n - 1, VSW_PL_TRACE_DROP)->drop, VSW_PL_DROP_NO_OUTPUT);
	assert_int_equal(vsw_pl_trace(fx->pl, NULL, &trace_ops, t, &res), -EINVAL);
	free(t);
	fx_free(fx);
}

/* The model test's random tables (class 13): for every packet, the trace
 * names the outputs and drops vsw_pl_run() produces, in order, with the
 * frame each output carries. */
static void
test_trace_equals_run_on_random_tables(void **state)
{
	struct fx *fx = fx_new(false, false);
	struct tcap *t = calloc(1, sizeof(*t));
	unsigned checked = 0;

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < M_RULES; i++)
		mrules[i].live = false;
	for (int round = 0; round < 20; round++) {
		assert_int_equal(vsw_pl_begin(fx->pl, 0), 0);
		for (unsigned i = 0; i < (round == 0 ? 200u : 30u); i++) {
			struct mrule *r = &mrules[rnd(M_RULES)];
			struct vsw_pl_flow_mod fm;

			if (r->live) {
				m_flow_mod(r, &fm, VSW_PL_DELETE_STRICT);
				assert_int_equal(vsw_pl_flow_mod(fx->pl, &fm, NULL, NULL),
						 VSW_ACT_OK);
				r->live = false;
				continue;
			}
			m_gen(r);
			r->prio = m_free_prio(r);
			m_flow_mod(r, &fm, VSW_PL_ADD);
			assert_int_equal(vsw_pl_flow_mod(fx->pl, &fm, NULL, NULL), VSW_ACT_OK);
		}
		vsw_pl_commit(fx->pl);
		for (int p = 0; p < 100; p++) {
			uint8_t f[TF_MAXLEN];
			uint32_t in_port;
			size_t len = m_packet(f, &in_port);
			struct vsw_pl_trace_result res;
			struct vsw_flow_key k;
			struct cap *c;
			unsigned j = 0;

			vsw_flow_key_extract(f, (uint32_t)len, in_port, &k);
			trace_key(fx, &k, t, &res);
			c = fx_run(fx, f, len, in_port);
			for (unsigned i = 0; i < t->n; i++) {
				const struct vsw_pl_trace_ev *e = &t->ev[i];
				struct vsw_flow_key got, want = t->key[i];

				if (e->kind != VSW_PL_TRACE_OUTPUT && e->kind != VSW_PL_TRACE_DROP)
					continue;
				assert_true(j < c->n);
				if (e->kind == VSW_PL_TRACE_DROP) {
					assert_int_equal(c->ev[j].kind, EV_DROP);
					assert_int_equal(c->ev[j++].port, e->drop);
					continue;
				}
				if (e->act->type == VSW_ACT_OUT_CONTROLLER) {
					assert_int_equal(c->ev[j].kind, EV_CTRL);
					assert_memory_equal(&c->ev[j++].pin_key, &want,
							    sizeof(want));
					continue;
				}
				assert_int_equal(c->ev[j].kind, EV_OUTPUT);
				assert_int_equal(c->ev[j].port, e->port);
				frame_key(&c->ev[j++], in_port, &got);
				want.metadata = 0; /* a frame carries none */
				assert_memory_equal(&got, &want, sizeof(got));
			}
			assert_int_equal(j, c->n);
			assert_int_equal(res.dropped, c->n == 1 && c->ev[0].kind == EV_DROP);
			checked++;
		}
	}
	print_message("trace = run: %u packets\n", checked);
	free(t);
	fx_free(fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_miss_drops),
		cmocka_unit_test(test_output_counters_and_originals),
		cmocka_unit_test(test_goto_with_metadata),
		cmocka_unit_test(test_write_actions_set_order),
		cmocka_unit_test(test_reserved_outputs_and_packet_in),
		cmocka_unit_test(test_invalid_ttl),
		cmocka_unit_test(test_group_all_and_indirect),
		cmocka_unit_test(test_group_select_and_ff),
		cmocka_unit_test(test_meter_drop_rate),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_transactions),
		cmocka_unit_test(test_barrier_token),
		cmocka_unit_test(test_p7_transaction_atomic_for_reader),
		cmocka_unit_test(test_class13_p8_pipeline_with_emc_equals_reference),
		cmocka_unit_test(test_p8_emc_version_and_exact_key),
		cmocka_unit_test(test_emc_gate),
		cmocka_unit_test(test_p8_emc_not_used_after_reparse),
		cmocka_unit_test(test_packet_out),
		cmocka_unit_test(test_trace_steps_change_nothing),
		cmocka_unit_test(test_trace_equals_run_on_random_tables),
	};
	int rc = tf_eal_init("pipeline_test");

	if (rc != 0)
		return rc;
	if (getenv("PL_TEST_FILTER") != NULL) /* e.g. "test_p8*" */
		cmocka_set_test_filter(getenv("PL_TEST_FILTER"));
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_mempool_free(tf_mp);
	rte_eal_cleanup();
	return rc;
}
