/* The agent's flow tables against a real pipeline (vswitch/pipeline.h without
 * PMDs: no RCU readers) over loopback TCP, and the ofl <-> vsw translation:
 * matches and actions round-trip; FLOW_MOD add/modify/delete with the
 * pipeline's errors turned into OpenFlow's; FLOW_REMOVED on delete with
 * SEND_FLOW_REM; bundles (a bad message undoes the whole bundle, its own error
 * then MSG_FAILED; a good one commits atomically; discard, unknown ids);
 * PACKET_IN from the switch's queue; PACKET_OUT compiled and handed over;
 * fail_mode standalone's default NORMAL flow. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_rcu_qsbr.h>

#include "ofl_agent.h"
#include "ofl_test_peer.h"
#include "ofl_wire.h"
#include "ofl_xlate.h"

/* ---- a switch with a real pipeline ---- */

struct tsw {
	struct vsw_pl *pl;
	unsigned n_pins;
	struct ofl_pin pins[4];
	uint8_t frame[200];
	unsigned n_pouts;
	uint32_t pout_port;
	size_t pout_len;
	uint16_t pout_n_ops;
};

static struct vsw_pl *
t_pipeline(void *sw)
{
	return ((struct tsw *)sw)->pl;
}

static int
t_packet_out(void *sw, uint32_t in_port, const uint8_t *frame, size_t len,
	     struct vsw_act_prog *prog)
{
	struct tsw *s = sw;

	(void)frame;
	s->n_pouts++;
	s->pout_port = in_port;
	s->pout_len = len;
	s->pout_n_ops = prog->n_apply;
	free(prog);
	return 0;
}

static unsigned
t_packet_in_poll(void *sw, void (*fn)(void *arg, const struct ofl_pin *pin), void *arg,
		 unsigned max)
{
	struct tsw *s = sw;
	unsigned n = 0;

	while (n < s->n_pins && n < max) {
		fn(arg, &s->pins[n]);
		n++;
	}
	s->n_pins = 0;
	return n;
}

static const struct ofl_switch_ops t_ops = {
	.pipeline = t_pipeline,
	.packet_out = t_packet_out,
	.packet_in_poll = t_packet_in_poll,
};

struct fx {
	struct ofl_agent *a;
	struct rte_rcu_qsbr *qs; /* NULL: no readers */
	struct tsw sw;
	uint16_t port;
	struct ofl_msg *m, *out;
	uint8_t buf[65536];
};

static int
fx_setup_full(void **state, enum ofl_fail_mode mode, bool qsbr)
{
	struct ofl_agent_params p = {.cpu = -1};
	struct vsw_pl_config pc = {.n_pmds = 1, .local_port = VSW_ACT_PORT_ANY};
	struct fx *f = calloc(1, sizeof(*f));
	struct ofl_dp_conf dc = {.name = "br0", .datapath_id = 0x1234, .fail_mode = mode};

	if (qsbr) { /* one "PMD" (this thread), online: it reports when the test says */
		size_t sz = (rte_rcu_qsbr_get_memsize(1) + 63) / 64 * 64;

		f->qs = aligned_alloc(64, sz);
		assert_non_null(f->qs);
		memset(f->qs, 0, sz);
		assert_int_equal(rte_rcu_qsbr_init(f->qs, 1), 0);
		assert_int_equal(rte_rcu_qsbr_thread_register(f->qs, 0), 0);
		rte_rcu_qsbr_thread_online(f->qs, 0);
		pc.qs = f->qs;
	}
	f->m = malloc(sizeof(*f->m));
	f->out = malloc(sizeof(*f->out));
	assert_int_equal(vsw_pl_create(&pc, &f->sw.pl), 0);
	assert_int_equal(ofl_agent_create(&p, &f->a, NULL), 0);
	f->port = ofl_test_free_port();
	snprintf(dc.listen, sizeof(dc.listen), "ptcp:%u:127.0.0.1", f->port);
	assert_int_equal(ofl_agent_dp_set(f->a, &dc, &t_ops, &f->sw, NULL), 0);
	*state = f;
	return 0;
}

static int
fx_setup(void **state)
{
	return fx_setup_full(state, OFL_FAIL_SECURE, false);
}

static int
fx_setup_standalone(void **state)
{
	return fx_setup_full(state, OFL_FAIL_STANDALONE, false);
}

static int
fx_setup_qsbr(void **state)
{
	return fx_setup_full(state, OFL_FAIL_SECURE, true);
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	ofl_agent_destroy(f->a);
	if (f->qs != NULL) { /* the deferred frees need a last quiescent state */
		rte_rcu_qsbr_quiescent(f->qs, 0);
		rte_rcu_qsbr_thread_offline(f->qs, 0);
		vsw_pl_poll(f->sw.pl);
	}
	vsw_pl_destroy(f->sw.pl);
	free(f->qs);
	free(f->m);
	free(f->out);
	free(f);
	return 0;
}

static size_t
recv_msg(struct fx *f, int fd, uint8_t *buf, size_t cap, int max_ms)
{
	return ofl_test_recv(f->a, fd, buf, cap, max_ms);
}

static int
client(struct fx *f)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons(f->port)};
	uint8_t b[64] = {4, OFPT_HELLO, 0, 8, 0, 0, 0, 1};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(recv_msg(f, fd, f->buf, sizeof(f->buf), 3000), 16);
	assert_int_equal(write(fd, b, 8), 8);
	return fd;
}

/* Encodes f->out and sends it. */
static void
send_out(struct fx *f, int fd)
{
	uint8_t b[4096];
	int n = ofl_encode(f->out, b, sizeof(b));

	assert_true(n > 0);
	assert_int_equal(write(fd, b, (size_t)n), n);
}

/* The next message into f->m (asserts one comes). */
static void
next_msg(struct fx *f, int fd)
{
	size_t n = recv_msg(f, fd, f->buf, sizeof(f->buf), 3000);

	assert_true(n >= 8);
	assert_int_equal(ofl_decode(f->buf, n, f->m, NULL), 0);
}

static void
barrier(struct fx *f, int fd, uint32_t xid)
{
	memset(f->out, 0, sizeof(*f->out));
	f->out->h = (struct ofl_header){.version = 4, .type = OFPT_BARRIER_REQUEST, .xid = xid};
	send_out(f, fd);
	next_msg(f, fd);
}

static void
oxm32(struct ofl_match *m, uint8_t field, uint32_t v)
{
	struct ofl_oxm *o = &m->f[m->n++];

	memset(o, 0, sizeof(*o));
	o->field = field;
	o->len = 4;
	o->value[0] = (uint8_t)(v >> 24);
	o->value[1] = (uint8_t)(v >> 16);
	o->value[2] = (uint8_t)(v >> 8);
	o->value[3] = (uint8_t)v;
}

static void
oxm16(struct ofl_match *m, uint8_t field, uint16_t v, uint16_t mask)
{
	struct ofl_oxm *o = &m->f[m->n++];

	memset(o, 0, sizeof(*o));
	o->field = field;
	o->len = 2;
	o->value[0] = (uint8_t)(v >> 8);
	o->value[1] = (uint8_t)v;
	if (mask != 0xffff) {
		o->has_mask = true;
		o->mask[0] = (uint8_t)(mask >> 8);
		o->mask[1] = (uint8_t)mask;
	}
}

/* FLOW_MOD in f->out: in_port=in → apply output:out (or group 'group'). */
static void
flow_mod(struct fx *f, uint32_t xid, uint8_t cmd, uint16_t prio, uint32_t in, uint32_t out,
	 uint32_t group, uint16_t flags)
{
	struct ofl_flow_mod *fm = &f->out->flow_mod;

	memset(f->out, 0, sizeof(*f->out));
	f->out->h = (struct ofl_header){.version = 4, .type = OFPT_FLOW_MOD, .xid = xid};
	fm->command = cmd;
	fm->priority = prio;
	fm->buffer_id = OFP_NO_BUFFER;
	fm->out_port = OFPP_ANY;
	fm->out_group = OFPG_ANY;
	fm->table_id = cmd >= OFPFC_DELETE ? OFPTT_ALL : 0;
	fm->flags = flags;
	if (in != 0)
		oxm32(&fm->match, OFPXMT_OFB_IN_PORT, in);
	if (cmd >= OFPFC_DELETE)
		return;
	fm->ins.n = 1;
	fm->ins.order[0] = OFPIT_APPLY_ACTIONS;
	fm->ins.apply.n = 1;
	if (group != 0) {
		fm->ins.apply.a[0].type = OFPAT_GROUP;
		fm->ins.apply.a[0].group_id = group;
	} else {
		fm->ins.apply.a[0].type = OFPAT_OUTPUT;
		fm->ins.apply.a[0].output.port = out;
	}
}

static void
expect_error(struct fx *f, uint16_t type, uint16_t code, uint32_t xid)
{
	assert_int_equal(f->m->h.type, OFPT_ERROR);
	assert_int_equal(f->m->error.type, type);
	assert_int_equal(f->m->error.code, code);
	assert_int_equal(f->m->h.xid, xid);
}

struct find {
	uint32_t in_port;
	unsigned n;
};

static void
find_visit(const struct vsw_pl_flow *fl, void *arg)
{
	struct find *fd = arg;

	if (fl->rule.mask.in_port != 0 && fl->rule.key.in_port == fd->in_port)
		fd->n++;
}

/* How many flows match exactly on in_port 'port'. */
static unsigned
flows_on(struct fx *f, uint32_t port)
{
	struct find fd = {.in_port = port};

	vsw_pl_flow_foreach(f->sw.pl, VSW_PL_TABLE_ALL, find_visit, &fd);
	return fd.n;
}

/* A bundle error on OF 1.3: the ONF experimenter form (EXT-230). */
static void
expect_bundle_error(struct fx *f, uint16_t code, uint32_t xid)
{
	assert_int_equal(f->m->h.type, OFPT_ERROR);
	assert_int_equal(f->m->error.type, OFPET_EXPERIMENTER);
	assert_int_equal(f->m->error.experimenter, ONF_EXPERIMENTER_ID);
	assert_int_equal(f->m->error.exp_type, ONF_BUNDLE_ERR_BASE + code);
	assert_int_equal(f->m->h.xid, xid);
}

/* ---- translation ---- */

static void
test_xlate_match_round_trip(void **state)
{
	struct ofl_match m = {0}, back;
	struct vsw_flow_key key, mask;

	(void)state;
	oxm32(&m, OFPXMT_OFB_IN_PORT, 7);
	oxm16(&m, OFPXMT_OFB_ETH_TYPE, 0x0800, 0xffff);
	oxm16(&m, OFPXMT_OFB_VLAN_VID, 0x1000 | 100, 0xffff);
	m.f[m.n] = (struct ofl_oxm){.field = OFPXMT_OFB_IP_PROTO, .len = 1, .value = {6}};
	m.n++;
	oxm32(&m, OFPXMT_OFB_IPV4_DST, 0x0a000001);
	m.f[m.n - 1].has_mask = true;
	memcpy(m.f[m.n - 1].mask, (uint8_t[]){0xff, 0xff, 0xff, 0}, 4);
	m.f[m.n - 1].value[3] = 0;
	oxm16(&m, OFPXMT_OFB_TCP_DST, 0x1000, 0xf000);
	assert_int_equal(ofl_xlate_match(&m, &key, &mask), 0);
	assert_int_equal(key.in_port, 7);
	assert_int_equal(mask.in_port, 0xffffffff);
	assert_int_equal(key.eth_type, 0x0800);
	assert_int_equal(key.vlan_vid, 0x1000 | 100);
	assert_int_equal(key.ip_proto, 6);
	assert_int_equal(key.ipv4_dst, 0x0a000000);
	assert_int_equal(mask.ipv4_dst, 0xffffff00);
	assert_int_equal(key.tp_dst, 0x1000);
	assert_int_equal(mask.tp_dst, 0xf000);
	ofl_xlate_match_back(&key, &mask, &back);
	assert_int_equal(back.n, m.n);
	for (unsigned i = 0; i < m.n; i++) { /* the same fields (ascending order here) */
		assert_int_equal(back.f[i].field, m.f[i].field);
		assert_int_equal(back.f[i].has_mask, m.f[i].has_mask);
		assert_memory_equal(back.f[i].value, m.f[i].value, m.f[i].len);
	}
	/* A field the pipeline does not match. */
	m.n = 0;
	oxm32(&m, OFPXMT_OFB_MPLS_LABEL, 5);
	assert_int_equal(ofl_xlate_match(&m, &key, &mask), -OFL_E_BMC_BAD_FIELD);
}

static void
test_xlate_actions_round_trip(void **state)
{
	struct ofl_actions in = {0}, back;
	struct vsw_act acts[OFL_MAX_ACTIONS];

	(void)state;
	in.a[in.n].type = OFPAT_PUSH_VLAN;
	in.a[in.n++].ethertype = 0x8100;
	in.a[in.n].type = OFPAT_SET_FIELD;
	in.a[in.n].set_field =
		(struct ofl_oxm){.field = OFPXMT_OFB_VLAN_VID, .len = 2, .value = {0x10, 0x64}};
	in.n++;
	in.a[in.n].type = OFPAT_SET_FIELD;
	in.a[in.n].set_field = (struct ofl_oxm){
		.field = OFPXMT_OFB_ETH_DST, .len = 6, .value = {2, 0, 0, 0, 0, 0x99}};
	in.n++;
	in.a[in.n].type = OFPAT_OUTPUT;
	in.a[in.n++].output.port = OFPP_NORMAL;
	in.a[in.n].type = OFPAT_GROUP;
	in.a[in.n++].group_id = 3;
	assert_int_equal(ofl_xlate_actions(&in, acts), 5);
	assert_int_equal(acts[1].type, VSW_ACT_SET_FIELD);
	assert_int_equal(acts[1].field, VSW_ACT_F_VLAN_VID);
	assert_int_equal(acts[1].u32, 100);
	assert_int_equal(acts[2].field, VSW_ACT_F_ETH_DST);
	assert_int_equal(acts[2].bytes[5], 0x99);
	assert_int_equal(acts[3].u32, VSW_ACT_PORT_NORMAL);
	ofl_xlate_actions_back(acts, 5, VSW_ACT_PORT_ANY, &back);
	assert_int_equal(back.n, 5);
	assert_memory_equal(back.a[1].set_field.value, in.a[1].set_field.value, 2);
	assert_memory_equal(back.a[2].set_field.value, in.a[2].set_field.value, 6);
	assert_int_equal(back.a[3].output.port, OFPP_NORMAL);
	assert_int_equal(back.a[4].group_id, 3);
	/* copy_ttl_out: the pipeline has no such action. */
	in.n = 1;
	in.a[0].type = OFPAT_COPY_TTL_OUT;
	assert_int_equal(ofl_xlate_actions(&in, acts), -OFL_E_BAC_BAD_TYPE);
	/* Every pipeline error maps to an OpenFlow error. */
	for (int e = VSW_ACT_E_NOMEM; e < VSW_ACT_E__MAX; e++)
		assert_non_null(ofl_err_wire(ofl_xlate_err((enum vsw_act_err)e)));
	assert_int_equal(ofl_xlate_err(VSW_ACT_E_BAD_OUT_GROUP), -OFL_E_BAC_BAD_OUT_GROUP);
}

/* ---- FLOW_MOD ---- */

static void
test_flow_mod_add_delete(void **state)
{
	struct fx *f = *state;
	int fd = client(f);

	flow_mod(f, 10, OFPFC_ADD, 100, 1, 2, 0, OFPFF_SEND_FLOW_REM);
	send_out(f, fd);
	flow_mod(f, 11, OFPFC_ADD, 100, 2, 1, 0, 0);
	send_out(f, fd);
	barrier(f, fd, 12);
	assert_int_equal(f->m->h.type, OFPT_BARRIER_REPLY);
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), 2);
	/* A group that does not exist; goto a table past the 16 reported. */
	flow_mod(f, 13, OFPFC_ADD, 100, 3, 0, 9, 0);
	send_out(f, fd);
	next_msg(f, fd);
	expect_error(f, OFPET_BAD_ACTION, 9 /* BAD_OUT_GROUP */, 13);
	flow_mod(f, 14, OFPFC_ADD, 100, 3, 2, 0, 0);
	f->out->flow_mod.ins.n = 2;
	f->out->flow_mod.ins.order[1] = OFPIT_GOTO_TABLE;
	f->out->flow_mod.ins.goto_table = 20;
	send_out(f, fd);
	next_msg(f, fd);
	expect_error(f, OFPET_BAD_INSTRUCTION, 2 /* BAD_TABLE_ID */, 14);
	flow_mod(f, 15, OFPFC_ADD, 100, 3, 2, 0, 0);
	f->out->flow_mod.table_id = 16;
	send_out(f, fd);
	next_msg(f, fd);
	expect_error(f, OFPET_FLOW_MOD_FAILED, 2 /* BAD_TABLE_ID */, 15);
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), 2);
	/* Modify (strict) changes the actions of in_port=2 only. */
	flow_mod(f, 16, OFPFC_MODIFY_STRICT, 100, 2, OFPP_FLOOD, 0, 0);
	send_out(f, fd);
	/* Delete in_port=1: FLOW_REMOVED (SEND_FLOW_REM) before the barrier reply. */
	flow_mod(f, 17, OFPFC_DELETE, 0, 1, 0, 0, 0);
	send_out(f, fd);
	memset(f->out, 0, sizeof(*f->out));
	f->out->h = (struct ofl_header){.version = 4, .type = OFPT_BARRIER_REQUEST, .xid = 18};
	send_out(f, fd);
	next_msg(f, fd);
	assert_int_equal(f->m->h.type, OFPT_FLOW_REMOVED);
	assert_int_equal(f->m->flow_removed.reason, OFPRR_DELETE);
	assert_int_equal(f->m->flow_removed.priority, 100);
	assert_int_equal(f->m->flow_removed.match.n, 1);
	assert_int_equal(f->m->flow_removed.match.f[0].value[3], 1);
	next_msg(f, fd);
	assert_int_equal(f->m->h.type, OFPT_BARRIER_REPLY);
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), 1);
	close(fd);
}

static void
test_flow_stats(void **state)
{
	struct fx *f = *state;
	struct ofl_flow_stats_request *r;
	int fd = client(f);

	for (uint32_t i = 1; i <= 3; i++) {
		flow_mod(f, i, OFPFC_ADD, (uint16_t)(10 * i), i, 9, 0, 0);
		f->out->flow_mod.cookie = 0x100 + i;
		send_out(f, fd);
	}
	memset(f->out, 0, sizeof(*f->out));
	f->out->h = (struct ofl_header){.version = 4, .type = OFPT_MULTIPART_REQUEST, .xid = 20};
	f->out->mp_request.type = OFPMP_FLOW;
	r = &f->out->mp_request.flow;
	r->table_id = OFPTT_ALL;
	r->out_port = OFPP_ANY;
	r->out_group = OFPG_ANY;
	r->cookie = 0x102;
	r->cookie_mask = 0xffff;
	send_out(f, fd);
	next_msg(f, fd);
	assert_int_equal(f->m->h.type, OFPT_MULTIPART_REPLY);
	assert_int_equal(f->m->mp_reply.n, 1);
	assert_int_equal(f->m->mp_reply.flows[0].priority, 20);
	assert_int_equal(f->m->mp_reply.flows[0].ins.apply.a[0].output.port, 9);
	f->out->mp_request.type = OFPMP_AGGREGATE;
	r->cookie_mask = 0;
	f->out->h.xid = 21;
	send_out(f, fd);
	next_msg(f, fd);
	assert_int_equal(f->m->mp_reply.aggregate.flow_count, 3);
	close(fd);
}

/* GROUP_MOD in f->out: an ALL group 'id' with one bucket output:2 (or a DELETE). */
static void
group_mod(struct fx *f, uint32_t xid, uint16_t cmd, uint32_t id)
{
	struct ofl_group_mod *gm = &f->out->group_mod;

	memset(f->out, 0, sizeof(*f->out));
	f->out->h = (struct ofl_header){.version = 4, .type = OFPT_GROUP_MOD, .xid = xid};
	gm->command = cmd;
	gm->type = OFPGT_ALL;
	gm->group_id = id;
	if (cmd == OFPGC_DELETE)
		return;
	gm->n_buckets = 1;
	gm->buckets[0].watch_port = OFPP_ANY;
	gm->buckets[0].watch_group = OFPG_ANY;
	gm->buckets[0].actions.n = 1;
	gm->buckets[0].actions.a[0].type = OFPAT_OUTPUT;
	gm->buckets[0].actions.a[0].output.port = 2;
}

struct count {
	unsigned n;
};

static void
count_group(const struct vsw_pl_group_mod *gm, unsigned ref_count, void *arg)
{
	(void)gm;
	(void)ref_count;
	((struct count *)arg)->n++;
}

/* DELETE with OFPG_ALL deletes every group, group 0 included, and their flows
 * (as ovs-ofctl del-groups and Ryu's tester send it). */
static void
test_group_delete_all(void **state)
{
	struct fx *f = *state;
	struct count c = {0};
	int fd = client(f);

	group_mod(f, 1, OFPGC_ADD, 0);
	send_out(f, fd);
	group_mod(f, 2, OFPGC_ADD, 7);
	send_out(f, fd);
	flow_mod(f, 3, OFPFC_ADD, 100, 1, 0, 7, 0);
	send_out(f, fd);
	barrier(f, fd, 4);
	assert_int_equal(f->m->h.type, OFPT_BARRIER_REPLY);
	vsw_pl_group_foreach(f->sw.pl, count_group, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), 1);
	group_mod(f, 5, OFPGC_DELETE, OFPG_ALL);
	send_out(f, fd);
	barrier(f, fd, 6);
	assert_int_equal(f->m->h.type, OFPT_BARRIER_REPLY);
	c.n = 0;
	vsw_pl_group_foreach(f->sw.pl, count_group, &c);
	assert_int_equal(c.n, 0);
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), 0);
	close(fd);
}

/* ---- bundles ---- */

static void
bundle_ctrl(struct fx *f, int fd, uint32_t xid, uint32_t id, uint16_t type)
{
	memset(f->out, 0, sizeof(*f->out));
	f->out->h = (struct ofl_header){.version = 4, .type = OFPT_BUNDLE_CONTROL, .xid = xid};
	f->out->bundle_ctrl = (struct ofl_bundle_ctrl){
		.onf = true, .bundle_id = id, .type = type, .flags = OFPBF_ATOMIC};
	send_out(f, fd);
}

/* Adds the FLOW_MOD now in f->out to bundle 'id'. */
static void
bundle_add(struct fx *f, int fd, uint32_t id)
{
	static uint8_t inner[2048];
	int n;

	n = ofl_encode(f->out, inner, sizeof(inner));
	assert_true(n > 0);
	memset(f->out, 0, sizeof(*f->out));
	f->out->h = (struct ofl_header){
		.version = 4,
		.type = OFPT_BUNDLE_ADD_MESSAGE,
		.xid = (uint32_t)(inner[4] << 24 | inner[5] << 16 | inner[6] << 8 | inner[7])};
	f->out->bundle_add = (struct ofl_bundle_add){.onf = true,
						     .bundle_id = id,
						     .flags = OFPBF_ATOMIC,
						     .msg = inner,
						     .msg_len = (size_t)n};
	send_out(f, fd);
}

static void
test_bundle_atomic(void **state)
{
	struct fx *f = *state;
	int fd = client(f);

	flow_mod(f, 1, OFPFC_ADD, 5, 9, 1, 0, 0); /* already there: must survive */
	send_out(f, fd);
	bundle_ctrl(f, fd, 2, 77, OFPBCT_OPEN_REQUEST);
	next_msg(f, fd);
	assert_int_equal(f->m->h.type, OFPT_BUNDLE_CONTROL);
	assert_int_equal(f->m->bundle_ctrl.type, OFPBCT_OPEN_REPLY);
	flow_mod(f, 3, OFPFC_ADD, 100, 1, 2, 0, 0);
	bundle_add(f, fd, 77);
	flow_mod(f, 4, OFPFC_DELETE, 0, 9, 0, 0, 0);
	bundle_add(f, fd, 77);
	flow_mod(f, 5, OFPFC_ADD, 100, 2, 0, 42, 0); /* group 42 does not exist */
	bundle_add(f, fd, 77);
	bundle_ctrl(f, fd, 6, 77, OFPBCT_COMMIT_REQUEST);
	next_msg(f, fd);
	expect_error(f, OFPET_BAD_ACTION, 9 /* BAD_OUT_GROUP */, 5);
	next_msg(f, fd);
	expect_bundle_error(f, 13 /* MSG_FAILED */, 6);
	/* Nothing of the bundle: the flow it deleted is still there, none added. */
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), 1);
	assert_int_equal(flows_on(f, 9), 1);
	assert_int_equal(flows_on(f, 1), 0);
	/* The bundle is gone. */
	bundle_ctrl(f, fd, 7, 77, OFPBCT_COMMIT_REQUEST);
	next_msg(f, fd);
	expect_bundle_error(f, 2 /* BAD_ID */, 7);
	/* A good one: all of it at once. */
	bundle_ctrl(f, fd, 8, 78, OFPBCT_OPEN_REQUEST);
	next_msg(f, fd);
	flow_mod(f, 9, OFPFC_ADD, 100, 1, 2, 0, 0);
	bundle_add(f, fd, 78);
	flow_mod(f, 10, OFPFC_ADD, 100, 2, 1, 0, 0);
	bundle_add(f, fd, 78);
	flow_mod(f, 11, OFPFC_DELETE, 0, 9, 0, 0, 0);
	bundle_add(f, fd, 78);
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), 1); /* not yet */
	bundle_ctrl(f, fd, 12, 78, OFPBCT_CLOSE_REQUEST);
	next_msg(f, fd);
	assert_int_equal(f->m->bundle_ctrl.type, OFPBCT_CLOSE_REPLY);
	bundle_ctrl(f, fd, 13, 78, OFPBCT_COMMIT_REQUEST);
	next_msg(f, fd);
	assert_int_equal(f->m->h.type, OFPT_BUNDLE_CONTROL);
	assert_int_equal(f->m->bundle_ctrl.type, OFPBCT_COMMIT_REPLY);
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), 2);
	assert_int_equal(flows_on(f, 9), 0);
	assert_int_equal(flows_on(f, 1) + flows_on(f, 2), 2);
	/* Discard. */
	bundle_ctrl(f, fd, 14, 79, OFPBCT_OPEN_REQUEST);
	next_msg(f, fd);
	bundle_ctrl(f, fd, 15, 80, OFPBCT_OPEN_REQUEST);
	next_msg(f, fd);
	expect_bundle_error(f, 5 /* OUT_OF_BUNDLES */, 15);
	flow_mod(f, 16, OFPFC_DELETE, 0, 0, 0, 0, 0);
	bundle_add(f, fd, 79);
	bundle_ctrl(f, fd, 17, 79, OFPBCT_DISCARD_REQUEST);
	next_msg(f, fd);
	assert_int_equal(f->m->bundle_ctrl.type, OFPBCT_DISCARD_REPLY);
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), 2);
	close(fd);
}

/* ---- packet-in / packet-out ---- */

static void
test_packet_in_out(void **state)
{
	struct fx *f = *state;
	int fd = client(f);

	barrier(f, fd, 1); /* the session is up */
	for (unsigned i = 0; i < sizeof(f->sw.frame); i++)
		f->sw.frame[i] = (uint8_t)i;
	f->sw.pins[0] = (struct ofl_pin){.reason = OFPR_ACTION,
					 .table_id = 3,
					 .max_len = 64,
					 .in_port = 7,
					 .cookie = 0xabc,
					 .data = f->sw.frame,
					 .len = sizeof(f->sw.frame)};
	f->sw.n_pins = 1;
	next_msg(f, fd);
	assert_int_equal(f->m->h.type, OFPT_PACKET_IN);
	assert_int_equal(f->m->packet_in.buffer_id, OFP_NO_BUFFER);
	assert_int_equal(f->m->packet_in.total_len, 200);
	assert_int_equal(f->m->packet_in.data_len, 64);
	assert_int_equal(f->m->packet_in.reason, OFPR_ACTION);
	assert_int_equal(f->m->packet_in.table_id, 3);
	assert_int_equal(f->m->packet_in.cookie, 0xabc);
	assert_int_equal(f->m->packet_in.match.f[0].field, OFPXMT_OFB_IN_PORT);
	assert_int_equal(f->m->packet_in.match.f[0].value[3], 7);
	assert_int_equal(f->m->packet_in.data[63], 63);

	memset(f->out, 0, sizeof(*f->out));
	f->out->h = (struct ofl_header){.version = 4, .type = OFPT_PACKET_OUT, .xid = 30};
	f->out->packet_out.buffer_id = OFP_NO_BUFFER;
	f->out->packet_out.in_port = OFPP_CONTROLLER;
	f->out->packet_out.actions.n = 1;
	f->out->packet_out.actions.a[0].type = OFPAT_OUTPUT;
	f->out->packet_out.actions.a[0].output.port = OFPP_TABLE;
	f->out->packet_out.data = f->sw.frame;
	f->out->packet_out.data_len = 60;
	send_out(f, fd);
	barrier(f, fd, 31);
	assert_int_equal(f->m->h.type, OFPT_BARRIER_REPLY);
	assert_int_equal(f->sw.n_pouts, 1);
	assert_int_equal(f->sw.pout_port, OFPP_CONTROLLER);
	assert_int_equal(f->sw.pout_len, 60);
	assert_int_equal(f->sw.pout_n_ops, 1);
	/* A buffer id: there are no buffers. */
	memset(f->out, 0, sizeof(*f->out));
	f->out->h = (struct ofl_header){.version = 4, .type = OFPT_PACKET_OUT, .xid = 32};
	f->out->packet_out.buffer_id = 5;
	f->out->packet_out.in_port = OFPP_CONTROLLER;
	send_out(f, fd);
	next_msg(f, fd);
	expect_error(f, OFPET_BAD_REQUEST, 8 /* BUFFER_UNKNOWN */, 32);
	close(fd);
}

static void
dp_info_copy(const struct ofl_dp_info *di, void *arg)
{
	*(struct ofl_dp_info *)arg = *di;
}

static void
conn_info_skip(const struct ofl_conn_info *ci, void *arg)
{
	(void)ci;
	(void)arg;
}

/* The flow-install histogram's sample count (and largest sample). */
static uint64_t
install_samples(struct fx *f, uint64_t *max_ns)
{
	static struct ofl_dp_info di;

	assert_int_equal(ofl_agent_dp_show(f->a, "br0", dp_info_copy, conn_info_skip, &di), 0);
	if (max_ns != NULL)
		*max_ns = di.flow_install.max_ns;
	return di.flow_install.count;
}

/* BARRIER (§6.2, P7): not answered while a PMD has not passed a quiescent
 * state since the FLOW_MOD's commit, and what follows it waits too; answered
 * once it has. The agent never blocks meanwhile (run_once keeps returning). */
static void
test_barrier_waits_for_pmds(void **state)
{
	struct fx *f = *state;
	struct pollfd pf;
	uint64_t max_ns;
	int fd = client(f);

	barrier(f, fd, 1); /* no commit yet: at once */
	assert_int_equal(f->m->h.type, OFPT_BARRIER_REPLY);
	flow_mod(f, 2, OFPFC_ADD, 100, 1, 2, 0, 0);
	send_out(f, fd);
	memset(f->out, 0, sizeof(*f->out));
	f->out->h = (struct ofl_header){.version = 4, .type = OFPT_BARRIER_REQUEST, .xid = 3};
	send_out(f, fd);
	f->out->h = (struct ofl_header){.version = 4, .type = OFPT_ECHO_REQUEST, .xid = 4};
	send_out(f, fd);
	for (int i = 0; i < 30; i++) { /* 300 ms: nothing may come */
		ofl_agent_run_once(f->a, 0);
		pf = (struct pollfd){.fd = fd, .events = POLLIN};
		assert_int_equal(poll(&pf, 1, 10), 0);
	}
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), 1); /* applied, not yet seen by all */
	assert_int_equal(install_samples(f, NULL), 0); /* still waiting for the PMD */
	rte_rcu_qsbr_quiescent(f->qs, 0);
	next_msg(f, fd);
	assert_int_equal(f->m->h.type, OFPT_BARRIER_REPLY);
	assert_int_equal(f->m->h.xid, 3);
	next_msg(f, fd);
	assert_int_equal(f->m->h.type, OFPT_ECHO_REPLY); /* held behind the barrier */
	assert_int_equal(f->m->h.xid, 4);
	/* One flow-install sample, measured until the PMD saw the change: at
	 * least the 300 ms the test held it back. */
	assert_int_equal(install_samples(f, &max_ns), 1);
	assert_true(max_ns >= 300u * 1000 * 1000);
	close(fd);
}

static void
test_standalone_default_flow(void **state)
{
	struct fx *f = *state;
	int fd = client(f);

	barrier(f, fd, 1);
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), 1);
	memset(f->out, 0, sizeof(*f->out));
	f->out->h = (struct ofl_header){.version = 4, .type = OFPT_MULTIPART_REQUEST, .xid = 2};
	f->out->mp_request.type = OFPMP_FLOW;
	f->out->mp_request.flow = (struct ofl_flow_stats_request){
		.table_id = OFPTT_ALL, .out_port = OFPP_ANY, .out_group = OFPG_ANY};
	send_out(f, fd);
	next_msg(f, fd);
	assert_int_equal(f->m->mp_reply.n, 1);
	assert_int_equal(f->m->mp_reply.flows[0].priority, 0);
	assert_int_equal(f->m->mp_reply.flows[0].match.n, 0);
	assert_int_equal(f->m->mp_reply.flows[0].ins.apply.a[0].output.port, OFPP_NORMAL);
	close(fd);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xlate_match_round_trip),
		cmocka_unit_test(test_xlate_actions_round_trip),
		T(test_flow_mod_add_delete),
		T(test_flow_stats),
		T(test_group_delete_all),
		T(test_bundle_atomic),
		T(test_packet_in_out),
		cmocka_unit_test_setup_teardown(test_standalone_default_flow, fx_setup_standalone,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_barrier_waits_for_pmds, fx_setup_qsbr,
						fx_teardown),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
