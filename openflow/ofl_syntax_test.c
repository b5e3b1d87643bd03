/* Unit tests of the flow syntax (ofl_syntax.c, ofl_syntax_act.c,
 * ofl_syntax_print.c): every field and action parses to the host structs the
 * wire codec produces for the same flow (the captures of ovs-ofctl in
 * testdata/ decode to what their command line parses to), prints back to text
 * that parses to the same struct, and survives an encode → ofl_decode round
 * trip; every class of bad input of bad-input.md that applies to text is
 * refused with a message naming the word at fault.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ofl_msg.h"
#include "ofl_syntax.h"
#include "ofl_wire.h"

#ifndef OFL_TESTDATA
#define OFL_TESTDATA "openflow/testdata"
#endif

static struct ofl_msg A, B, W; /* parsed, re-parsed, from the wire */
static uint8_t WIRE[70000];
static char TXT[OFL_SYNTAX_BUF], TXT2[OFL_SYNTAX_BUF];

/* ---- comparing flow_mods field by field ---- */

static bool
oxm_equal(const struct ofl_oxm *x, const struct ofl_oxm *y)
{
	return x->field == y->field && x->len == y->len && x->has_mask == y->has_mask &&
	       memcmp(x->value, y->value, x->len) == 0 &&
	       (!x->has_mask || memcmp(x->mask, y->mask, x->len) == 0);
}

static bool
action_equal(const struct ofl_action *x, const struct ofl_action *y)
{
	if (x->type != y->type)
		return false;
	switch (x->type) {
	case OFPAT_OUTPUT:
		return x->output.port == y->output.port && x->output.max_len == y->output.max_len;
	case OFPAT_SET_FIELD:
		return oxm_equal(&x->set_field, &y->set_field);
	case OFPAT_PUSH_VLAN:
		return x->ethertype == y->ethertype;
	case OFPAT_SET_NW_TTL:
		return x->ttl == y->ttl;
	case OFPAT_SET_QUEUE:
		return x->queue_id == y->queue_id;
	case OFPAT_GROUP:
		return x->group_id == y->group_id;
	default:
		return true;
	}
}

static bool
actions_equal(const struct ofl_actions *x, const struct ofl_actions *y)
{
	if (x->n != y->n)
		return false;
	for (unsigned i = 0; i < x->n; i++)
		if (!action_equal(&x->a[i], &y->a[i]))
			return false;
	return true;
}

/* The match as a set: the wire keeps ovs-ofctl's order, the parser sorts. */
static bool
match_equal(const struct ofl_match *x, const struct ofl_match *y)
{
	if (x->n != y->n)
		return false;
	for (unsigned i = 0; i < x->n; i++) {
		bool found = false;

		for (unsigned j = 0; j < y->n && !found; j++)
			found = oxm_equal(&x->f[i], &y->f[j]);
		if (!found)
			return false;
	}
	return true;
}

static const char *
flow_mod_diff(const struct ofl_flow_mod *x, const struct ofl_flow_mod *y)
{
	const struct ofl_instructions *a = &x->ins, *b = &y->ins;

	if (x->cookie != y->cookie || x->cookie_mask != y->cookie_mask)
		return "cookie";
	if (x->table_id != y->table_id || x->command != y->command)
		return "table or command";
	if (x->idle_timeout != y->idle_timeout || x->hard_timeout != y->hard_timeout)
		return "timeouts";
	if (x->priority != y->priority || x->buffer_id != y->buffer_id)
		return "priority or buffer";
	if (x->out_port != y->out_port || x->out_group != y->out_group || x->flags != y->flags)
		return "out_port, out_group or flags";
	if (!match_equal(&x->match, &y->match))
		return "match";
	if (a->n != b->n || memcmp(a->order, b->order, a->n) != 0)
		return "instruction list";
	if (ofl_instructions_has(a, OFPIT_GOTO_TABLE) && a->goto_table != b->goto_table)
		return "goto_table";
	if (ofl_instructions_has(a, OFPIT_METER) && a->meter_id != b->meter_id)
		return "meter";
	if (ofl_instructions_has(a, OFPIT_WRITE_METADATA) &&
	    (a->metadata != b->metadata || a->metadata_mask != b->metadata_mask))
		return "write_metadata";
	if (!actions_equal(&a->apply, &b->apply))
		return "apply actions";
	if (!actions_equal(&a->write, &b->write))
		return "write actions";
	return NULL;
}

/* ---- helpers ---- */

static void
parse_ok(const char *text, enum ofl_syntax_use use, bool strict, struct ofl_msg *m)
{
	struct iovs_err err = {{0}};
	int rc = ofl_syntax_parse(text, use, strict, m, &err);

	if (rc != 0)
		fail_msg("\"%.200s\": %s", text, iovs_err_str(&err, rc));
}

/* The refusal must name 'word' (and say 'why' when given). */
static void
refused(const char *text, enum ofl_syntax_use use, const char *word, const char *why)
{
	struct iovs_err err = {{0}};
	int rc = ofl_syntax_parse(text, use, false, &A, &err);

	if (rc == 0)
		fail_msg("\"%s\" accepted", text);
	if (rc != -EINVAL && rc != -E2BIG)
		fail_msg("\"%s\": rc %d", text, rc);
	if (word != NULL && strstr(err.msg, word) == NULL)
		fail_msg("\"%s\": \"%s\" does not name \"%s\"", text, err.msg, word);
	if (why != NULL && strstr(err.msg, why) == NULL)
		fail_msg("\"%s\": \"%s\" does not say \"%s\"", text, err.msg, why);
}

/* parse → print → parse gives the same flow; encode → ofl_decode too. */
static void
roundtrip(const char *text, enum ofl_syntax_use use, bool strict)
{
	struct iovs_err err = {{0}};
	const char *diff;
	int n, rc;

	parse_ok(text, use, strict, &A);
	n = ofl_syntax_print_flow(&A.flow_mod, TXT, sizeof(TXT));
	assert_true(n > 0 && (size_t)n < sizeof(TXT));
	parse_ok(TXT, use, strict, &B);
	diff = flow_mod_diff(&A.flow_mod, &B.flow_mod);
	if (diff != NULL)
		fail_msg("\"%s\" printed as \"%s\": %s differs", text, TXT, diff);
	/* The same flow from a controller: the wire codec's own struct. */
	n = ofl_encode(&A, WIRE, sizeof(WIRE));
	assert_true(n > 0);
	rc = ofl_decode(WIRE, (size_t)n, &W, &err);
	if (rc != 0)
		fail_msg("\"%s\": the codec refuses it: %s", text, err.msg);
	diff = flow_mod_diff(&A.flow_mod, &W.flow_mod);
	if (diff != NULL)
		fail_msg("\"%s\": %s differs after the wire", text, diff);
	/* Printing is a fixed point. */
	ofl_syntax_print_flow(&B.flow_mod, TXT2, sizeof(TXT2));
	assert_string_equal(TXT, TXT2);
}

static const struct ofl_oxm *
field(const struct ofl_msg *m, uint8_t f)
{
	for (unsigned i = 0; i < m->flow_mod.match.n; i++)
		if (m->flow_mod.match.f[i].field == f)
			return &m->flow_mod.match.f[i];
	return NULL;
}

static uint64_t
be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* ---- round trips: every field, every action ---- */

static const char *const field_flows[] = {
	"in_port=1,actions=drop",
	"in_port=LOCAL,actions=drop",
	"metadata=0x1234,actions=drop",
	"metadata=0x10/0xf0,actions=drop",
	"dl_src=00:11:22:33:44:55,actions=drop",
	"eth_src=00:11:22:33:44:55/ff:ff:ff:00:00:00,actions=drop",
	"dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=drop",
	"eth_dst=aa:bb:cc:dd:ee:ff,actions=drop",
	"dl_type=0x88cc,actions=drop",
	"eth_type=0x0800,actions=drop",
	"dl_vlan=100,actions=drop",
	"dl_vlan=0xffff,actions=drop",
	"vlan_vid=0x1000/0x1000,actions=drop",
	"vlan_vid=4196,actions=drop",
	"dl_vlan=5,dl_vlan_pcp=3,actions=drop",
	"dl_vlan=5,vlan_pcp=7,actions=drop",
	"ip,ip_dscp=46,actions=drop",
	"ipv6,nw_tos=184,actions=drop",
	"ip,ip_ecn=1,actions=drop",
	"ip,nw_ecn=3,actions=drop",
	"ip,nw_proto=47,actions=drop",
	"ipv6,ip_proto=47,actions=drop",
	"ip,nw_src=10.0.0.1,actions=drop",
	"ip,nw_dst=10.0.0.0/8,actions=drop",
	"ip,nw_dst=10.0.0.0/255.0.255.0,actions=drop",
	"ip,ip_src=192.168.1.0/24,actions=drop",
	"ip,ipv4_dst=1.2.3.4,actions=drop",
	"ipv6,ipv6_src=2001:db8::/32,actions=drop",
	"ipv6,ipv6_dst=fe80::1,actions=drop",
	"ipv6,ipv6_dst=fe80::1/ffff::ffff,actions=drop",
	"tcp,tp_src=80,tp_dst=0x1000/0xf000,actions=drop",
	"tcp6,tcp_dst=443,actions=drop",
	"udp,tp_dst=53,actions=drop",
	"udp6,udp_src=5353,actions=drop",
	"sctp,tp_src=1,tp_dst=2,actions=drop",
	"sctp6,sctp_dst=9,actions=drop",
	"icmp,icmp_type=8,icmp_code=0,actions=drop",
	"ip,nw_proto=1,icmpv4_type=3,icmpv4_code=1,actions=drop",
	"icmp6,icmp_type=128,actions=drop",
	"icmp6,icmpv6_type=2,icmpv6_code=0,actions=drop",
	"arp,arp_op=1,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/24,actions=drop",
	"arp,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_proto=2,actions=drop",
	"arp,arp_sha=00:00:00:00:00:0a,arp_tha=00:00:00:00:00:00/ff:00:00:00:00:00,actions=drop",
	"icmp6,icmp_type=135,nd_target=fe80::2,nd_sll=00:11:22:33:44:55,actions=drop",
	"icmp6,icmp_type=136,nd_target=fe80::3,nd_tll=00:11:22:33:44:66,actions=drop",
	/* the flow keywords and flags */
	"table=3,priority=0,actions=drop",
	"priority=65535,cookie=0xfeedfacecafebeef,actions=drop",
	"idle_timeout=30,hard_timeout=65535,send_flow_rem,check_overlap,actions=drop",
	"reset_counts,no_packet_counts,no_byte_counts,actions=drop",
	/* blanks as separators, any case, any order */
	"  Priority=10  TCP  NW_DST=10.0.0.0/8 tp_dst=80 actions=drop",
	"tp_dst=53,udp,actions=drop",
};

static void
test_roundtrip_every_field(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(field_flows) / sizeof(field_flows[0]); i++)
		roundtrip(field_flows[i], OFL_SYNTAX_ADD, false);
}

static const char *const action_flows[] = {
	"actions=output:2",
	"actions=2,3",
	"actions=in_port,normal,flood,all,local",
	"actions=IN_PORT,NORMAL,FLOOD,ALL,LOCAL,CONTROLLER",
	"actions=output:in_port,output:normal,output:controller",
	"actions=controller",
	"actions=controller:128",
	"actions=controller(max_len=0)",
	"actions=CONTROLLER:65535",
	"actions=drop",
	"actions=push_vlan:0x8100,set_field:4196->vlan_vid,output:1",
	"actions=push_vlan:0x88a8,output:1",
	"dl_vlan=10,actions=pop_vlan,output:1",
	"dl_vlan=10,actions=strip_vlan,output:1",
	"actions=mod_vlan_vid:100,output:1",
	"dl_vlan=10,actions=mod_vlan_vid:100,mod_vlan_pcp:5,output:1",
	"actions=mod_vlan_pcp:2,output:1",
	"actions=set_field:00:11:22:33:44:55->eth_dst,set_field:02:00:00:00:00:01->dl_src",
	"dl_vlan=1,actions=set_field:3->vlan_pcp,set_field:4097->vlan_vid",
	"ip,actions=set_field:46->ip_dscp,set_field:2->ip_ecn",
	"ip,actions=set_field:10.1.1.1->ip_src,set_field:10.2.2.2->nw_dst",
	"ipv6,actions=set_field:2001:db8::1->ipv6_src,set_field:::1->ipv6_dst",
	"tcp,actions=set_field:8080->tp_dst,set_field:1->tcp_src",
	"udp,actions=set_field:5353->udp_dst,mod_tp_src:1000",
	"sctp,actions=set_field:7->sctp_src",
	"icmp,actions=set_field:0->icmp_type,set_field:1->icmpv4_code",
	"icmp6,actions=set_field:129->icmpv6_type,set_field:0->icmp_code",
	"arp,actions=set_field:2->arp_op,set_field:10.0.0.9->arp_spa,set_field:10.0.0.8->nw_dst",
	"arp,actions=set_field:00:00:00:00:00:01->arp_sha,set_field:00:00:00:00:00:02->arp_tha",
	"icmp6,icmp_type=135,actions=set_field:fe80::9->nd_target,set_field:00:00:00:00:00:03->"
	"nd_sll",
	"icmp6,icmp_type=136,actions=set_field:00:00:00:00:00:04->nd_tll",
	"actions=mod_dl_src:00:00:00:00:00:01,mod_dl_dst:00:00:00:00:00:02",
	"ip,actions=mod_nw_src:1.1.1.1,mod_nw_dst:2.2.2.2",
	"tcp,actions=mod_tp_dst:22",
	"ip,actions=dec_ttl,mod_nw_ttl:9,set_nw_ttl:8",
	"actions=set_queue:3,output:1",
	"actions=group:7",
	"actions=meter:1,output:2",
	"actions=goto_table:1",
	"table=2,actions=write_metadata:0x10/0xff,goto_table:5",
	"actions=write_metadata:0xff",
	"actions=clear_actions",
	"actions=write_actions(output:3)",
	"actions=write_actions()",
	"actions=write_actions(push_vlan:0x8100,set_field:4196->vlan_vid,set_queue:1,group:2)",
	"actions=mod_vlan_vid:5,write_actions(set_field:2->vlan_pcp,output:1)",
	"actions=meter:2,output:1,clear_actions,write_actions(output:3),write_metadata:0x1/0x1,"
	"goto_table:4",
};

static void
test_roundtrip_every_action(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(action_flows) / sizeof(action_flows[0]); i++)
		roundtrip(action_flows[i], OFL_SYNTAX_ADD, false);
}

static void
test_roundtrip_modify_delete(void **state)
{
	(void)state;
	roundtrip("in_port=1,actions=output:2", OFL_SYNTAX_MODIFY, false);
	roundtrip("priority=5,in_port=1,actions=output:2", OFL_SYNTAX_MODIFY, true);
	roundtrip("cookie=0x5/0xff,actions=drop", OFL_SYNTAX_MODIFY, false);
	roundtrip("", OFL_SYNTAX_DELETE, false);
	roundtrip("table=1,in_port=1", OFL_SYNTAX_DELETE, false);
	roundtrip("table=all,priority=100,in_port=2,tcp", OFL_SYNTAX_DELETE, true);
	roundtrip("cookie=0x1234/-1,out_port=3,out_group=5,udp", OFL_SYNTAX_DELETE, false);
	roundtrip("out_port=LOCAL", OFL_SYNTAX_DELETE, false);
}

/* ---- what the parser builds ---- */

static void
test_values(void **state)
{
	const struct ofl_flow_mod *fm = &A.flow_mod;
	const struct ofl_oxm *o;

	(void)state;
	parse_ok("ip,nw_dst=10.1.2.3/8,actions=output:2", OFL_SYNTAX_ADD, false, &A);
	assert_int_equal(A.h.type, OFPT_FLOW_MOD);
	assert_int_equal(A.h.version, OFP13_VERSION);
	assert_int_equal(fm->command, OFPFC_ADD);
	assert_int_equal(fm->table_id, 0);
	assert_int_equal(fm->priority, 0x8000);
	assert_int_equal(fm->buffer_id, OFP_NO_BUFFER);
	assert_int_equal(fm->out_port, OFPP_ANY);
	assert_int_equal(fm->out_group, OFPG_ANY);
	o = field(&A, OFPXMT_OFB_IPV4_DST);
	assert_non_null(o);
	assert_true(o->has_mask);
	assert_int_equal(be(o->value, 4), 0x0a000000); /* the mask wins, as ovs-ofctl */
	assert_int_equal(be(o->mask, 4), 0xff000000);
	assert_int_equal(be(field(&A, OFPXMT_OFB_ETH_TYPE)->value, 2), 0x0800);
	assert_int_equal(fm->ins.n, 1);
	assert_int_equal(fm->ins.order[0], OFPIT_APPLY_ACTIONS);
	assert_int_equal(fm->ins.apply.a[0].output.port, 2);
	ofl_syntax_print_flow(fm, TXT, sizeof(TXT));
	assert_string_equal(TXT, "table=0,priority=32768,ip,nw_dst=10.0.0.0/8,actions=output:2");

	/* Full masks are no mask; zero masks no field. */
	parse_ok("ip,nw_src=1.2.3.4/32,nw_dst=5.6.7.8/0,actions=drop", OFL_SYNTAX_ADD, false, &A);
	assert_false(field(&A, OFPXMT_OFB_IPV4_SRC)->has_mask);
	assert_null(field(&A, OFPXMT_OFB_IPV4_DST));
	assert_int_equal(fm->ins.n, 0); /* drop: no instruction, as ovs-ofctl sends it */

	parse_ok("dl_vlan=100,actions=drop", OFL_SYNTAX_ADD, false, &A);
	assert_int_equal(be(field(&A, OFPXMT_OFB_VLAN_VID)->value, 2), 0x1064);
	parse_ok("dl_vlan=0xffff,actions=drop", OFL_SYNTAX_ADD, false, &A);
	assert_int_equal(be(field(&A, OFPXMT_OFB_VLAN_VID)->value, 2), 0);
	parse_ok("ip,nw_tos=184,actions=drop", OFL_SYNTAX_ADD, false, &A);
	assert_int_equal(field(&A, OFPXMT_OFB_IP_DSCP)->value[0], 46);
	parse_ok("udp,tp_dst=53,actions=drop", OFL_SYNTAX_ADD, false, &A);
	assert_non_null(field(&A, OFPXMT_OFB_UDP_DST));
	assert_int_equal(field(&A, OFPXMT_OFB_IP_PROTO)->value[0], 17);
	parse_ok("arp,nw_src=10.0.0.1,nw_proto=2,actions=drop", OFL_SYNTAX_ADD, false, &A);
	assert_non_null(field(&A, OFPXMT_OFB_ARP_SPA));
	assert_int_equal(be(field(&A, OFPXMT_OFB_ARP_OP)->value, 2), 2);
	assert_null(field(&A, OFPXMT_OFB_IP_PROTO));

	/* mod_vlan_vid pushes a tag only when the flow may have none. */
	parse_ok("actions=mod_vlan_vid:7,output:1", OFL_SYNTAX_ADD, false, &A);
	assert_int_equal(fm->ins.apply.n, 3);
	assert_int_equal(fm->ins.apply.a[0].type, OFPAT_PUSH_VLAN);
	assert_int_equal(fm->ins.apply.a[0].ethertype, 0x8100);
	assert_int_equal(be(fm->ins.apply.a[1].set_field.value, 2), 0x1007);
	parse_ok("vlan_vid=0x1000/0x1000,actions=mod_vlan_vid:7,output:1", OFL_SYNTAX_ADD, false,
		 &A);
	assert_int_equal(fm->ins.apply.n, 2);
	assert_int_equal(fm->ins.apply.a[0].type, OFPAT_SET_FIELD);

	/* Instructions in the §5.9 order, whatever the flags. */
	parse_ok("table=1,actions=meter:3,output:1,clear_actions,write_actions(output:2),"
		 "write_metadata:0x1/0x3,goto_table:2",
		 OFL_SYNTAX_ADD, false, &A);
	assert_int_equal(fm->ins.n, 6);
	assert_memory_equal(
		fm->ins.order,
		((uint8_t[]){OFPIT_METER, OFPIT_APPLY_ACTIONS, OFPIT_CLEAR_ACTIONS,
			     OFPIT_WRITE_ACTIONS, OFPIT_WRITE_METADATA, OFPIT_GOTO_TABLE}),
		6);
	assert_int_equal(fm->ins.meter_id, 3);
	assert_int_equal(fm->ins.metadata, 1);
	assert_int_equal(fm->ins.metadata_mask, 3);
	assert_int_equal(fm->ins.goto_table, 2);

	/* Defaults of the other uses. */
	parse_ok("", OFL_SYNTAX_DELETE, false, &A);
	assert_int_equal(fm->command, OFPFC_DELETE);
	assert_int_equal(fm->table_id, OFPTT_ALL);
	assert_int_equal(fm->match.n, 0);
	parse_ok("priority=7,in_port=1", OFL_SYNTAX_DELETE, true, &A);
	assert_int_equal(fm->command, OFPFC_DELETE_STRICT);
	assert_int_equal(fm->priority, 7);
	parse_ok("cookie=0x5,in_port=1,actions=drop", OFL_SYNTAX_MODIFY, true, &A);
	assert_int_equal(fm->command, OFPFC_MODIFY_STRICT);
	assert_int_equal(fm->cookie, 5);
	assert_true(fm->cookie_mask == UINT64_MAX);
	parse_ok("cookie=0x5,actions=drop", OFL_SYNTAX_ADD, false, &A);
	assert_int_equal(fm->cookie_mask, 0);
	parse_ok("table=2,cookie=0x10/0xf0,out_port=3", OFL_SYNTAX_FILTER, false, &A);
	assert_int_equal(fm->table_id, 2);
	assert_int_equal(fm->cookie_mask, 0xf0);
	assert_int_equal(fm->out_port, 3);
	parse_ok("in_port=1,dl_src=00:00:00:00:00:01,dl_dst=00:00:00:00:00:02,udp,"
		 "nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=53",
		 OFL_SYNTAX_PACKET, false, &A);
	assert_int_equal(be(field(&A, OFPXMT_OFB_IN_PORT)->value, 4), 1);
	assert_non_null(field(&A, OFPXMT_OFB_UDP_DST));
}

/* The captures of ovs-ofctl (testdata/capture.sh): the codec's struct of
 * what ovs-ofctl sent equals the parser's struct of the same command line. */
static const struct {
	const char *file;
	enum ofl_syntax_use use;
	bool strict;
	const char *text;
} captures[] = {
	{"add_flow_vlan", OFL_SYNTAX_ADD, false,
	 "table=0,priority=100,in_port=1,dl_vlan=10,actions=pop_vlan,output:2"},
	{"add_flow_tcp", OFL_SYNTAX_ADD, false,
	 "table=1,priority=200,cookie=0x1234,idle_timeout=30,hard_timeout=60,send_flow_rem,tcp,"
	 "nw_src=10.0.0.0/8,nw_dst=192.168.1.1,tp_src=80,tp_dst=0x1000/0xf000,actions=set_field:"
	 "00:11:22:33:44:55->eth_dst,dec_ttl,output:3,goto_table:2"},
	{"add_flow_push", OFL_SYNTAX_ADD, false,
	 "priority=5,dl_src=00:00:00:00:00:01/ff:ff:ff:00:00:00,dl_dst=01:00:00:00:00:00/"
	 "01:00:00:00:00:00,actions=meter:1,push_vlan:0x8100,set_field:4196->vlan_vid,set_queue:3,"
	 "group:7,write_metadata:0x10/0xff"},
	{"add_flow_ipv6", OFL_SYNTAX_ADD, false,
	 "priority=9,icmp6,ipv6_src=2001:db8::/32,ipv6_dst=fe80::1,icmp_type=135,nd_target=fe80::2,"
	 "nd_sll=00:11:22:33:44:55,actions=clear_actions,write_actions(output:CONTROLLER)"},
	{"add_flow_arp", OFL_SYNTAX_ADD, false,
	 "priority=7,arp,arp_op=1,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/24,arp_sha=00:00:00:00:00:0a,"
	 "actions=output:NORMAL,output:FLOOD,output:ALL,output:LOCAL,output:IN_PORT,controller:"
	 "128"},
	{"add_flow_udp", OFL_SYNTAX_ADD, false,
	 "priority=8,udp,ip_dscp=46,nw_ecn=1,udp_dst=53,vlan_pcp=3,dl_vlan=100,actions=mod_nw_ttl:"
	 "9,set_field:10.1.1.1->ip_src,set_field:5353->udp_dst,pop_vlan"},
	{"add_flow_sctp", OFL_SYNTAX_ADD, false,
	 "priority=8,sctp,sctp_src=1,sctp_dst=2,metadata=0x5/0xf,actions=drop"},
	{"add_flow_icmp", OFL_SYNTAX_ADD, false,
	 "priority=8,icmp,icmp_type=8,icmp_code=0,in_port=1,actions=output:1"},
	{"add_flow_miss", OFL_SYNTAX_ADD, false, "table=3,priority=0,actions=CONTROLLER:65535"},
	{"add_flow_ipv6_tll", OFL_SYNTAX_ADD, false,
	 "priority=9,icmp6,icmp_type=136,icmp_code=0,nd_target=fe80::3,nd_tll=00:11:22:33:44:66,"
	 "actions=output:1"},
	{"mod_flows_strict", OFL_SYNTAX_MODIFY, true, "priority=100,in_port=2,actions=output:4"},
	{"del_flows", OFL_SYNTAX_DELETE, false, "in_port=1"},
	{"del_flows_all", OFL_SYNTAX_DELETE, false, ""},
	{"del_flows_strict", OFL_SYNTAX_DELETE, true, "priority=100,in_port=2,tcp"},
};

static size_t
load(const char *name, uint8_t *buf, size_t cap)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s.bin", OFL_TESTDATA, name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("%s: cannot open", path);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void
test_same_struct_as_ovs_ofctl_on_the_wire(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(captures) / sizeof(captures[0]); i++) {
		struct iovs_err err = {{0}};
		size_t n = load(captures[i].file, WIRE, sizeof(WIRE));
		const char *diff;
		int rc = ofl_decode(WIRE, n, &W, &err);

		if (rc != 0)
			fail_msg("%s: %s", captures[i].file, err.msg);
		parse_ok(captures[i].text, captures[i].use, captures[i].strict, &A);
		diff = flow_mod_diff(&A.flow_mod, &W.flow_mod);
		if (diff != NULL) {
			ofl_syntax_print_flow(&W.flow_mod, TXT, sizeof(TXT));
			fail_msg("%s: %s differs (the wire says %s)", captures[i].file, diff, TXT);
		}
		/* And what the wire says prints to a text that parses to it. */
		ofl_syntax_print_flow(&W.flow_mod, TXT, sizeof(TXT));
		parse_ok(TXT, captures[i].use, captures[i].strict, &B);
		assert_null(flow_mod_diff(&B.flow_mod, &W.flow_mod));
	}
}

/* ---- bad input (bad-input.md), one test per class that applies to text ---- */

static void
test_bad_truncated(void **state)
{
	static const char full[] =
		"table=1,priority=200,cookie=0x1234,idle_timeout=30,tcp,nw_src=10.0.0.0/8,"
		"nw_dst=192.168.1.1,tp_dst=0x1000/0xf000,actions=set_field:00:11:22:33:44:55->"
		"eth_dst,dec_ttl,write_actions(output:3),goto_table:2";
	char cut[sizeof(full)];

	(void)state;
	/* Every prefix: parsed or refused with a message, never a crash. */
	for (size_t n = 0; n < sizeof(full); n++) {
		struct iovs_err err = {{0}};
		int rc;

		memcpy(cut, full, n);
		cut[n] = '\0';
		rc = ofl_syntax_parse(cut, OFL_SYNTAX_ADD, false, &A, &err);
		assert_true(rc == 0 || (rc == -EINVAL && err.msg[0] != '\0'));
		if (rc == 0)
			roundtrip(cut, OFL_SYNTAX_ADD, false);
	}
	refused("ip,nw_dst=10.0.0.,actions=drop", OFL_SYNTAX_ADD, "nw_dst=10.0.0.",
		"not an IPv4 address");
	refused("dl_src=00:11:22:33:44,actions=drop", OFL_SYNTAX_ADD, "dl_src", "Ethernet");
	refused("actions=output:", OFL_SYNTAX_ADD, "output:", "empty argument");
	refused("actions=write_actions(output:2", OFL_SYNTAX_ADD, "write_actions(output:2",
		"parenthes");
	refused("actions=set_field:1", OFL_SYNTAX_ADD, "set_field:1", "VALUE->FIELD");
	refused("priority=", OFL_SYNTAX_ADD, "priority=", "needs a value");
	refused("ip,nw_dst,actions=drop", OFL_SYNTAX_ADD, "nw_dst", "needs a value");
	refused("actions=", OFL_SYNTAX_ADD, "actions=", "no action");
	refused("in_port=1", OFL_SYNTAX_ADD, NULL, "needs actions=");
	refused("actions", OFL_SYNTAX_ADD, "actions", "=LIST");
}

static void
test_bad_overlong(void **state)
{
	static char big[OFL_SYNTAX_MAX_TEXT + 64];
	size_t n = 0;

	(void)state;
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "actions=drop", 12);
	refused(big, OFL_SYNTAX_ADD, NULL, "longer than");
	/* One word too long. */
	memset(big, 'a', OFL_SYNTAX_MAX_WORD + 10);
	memcpy(big, "dl_src=", 7);
	big[OFL_SYNTAX_MAX_WORD + 10] = '\0';
	refused(big, OFL_SYNTAX_ADD, "dl_src=aaa", "longer than");
	/* Too many words, too many actions. */
	for (int i = 0; i < 70; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "ip,");
	refused(big, OFL_SYNTAX_ADD, NULL, "more than 64 words");
	n = (size_t)snprintf(big, sizeof(big), "actions=");
	for (int i = 0; i < 33; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "output:%d,", i + 1);
	refused(big, OFL_SYNTAX_ADD, "output:33", "more than 32 actions");
	/* mod_vlan_vid takes two slots. */
	n = (size_t)snprintf(big, sizeof(big), "actions=");
	for (int i = 0; i < 31; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "output:%d,", i + 1);
	snprintf(big + n, sizeof(big) - n, "mod_vlan_vid:3");
	refused(big, OFL_SYNTAX_ADD, "mod_vlan_vid:3", "more than 32 actions");
	/* The longest flow there is prints within OFL_SYNTAX_BUF. */
	n = (size_t)snprintf(big, sizeof(big),
			     "table=1,priority=1,cookie=0xffffffffffffffff,idle_timeout=65535,"
			     "hard_timeout=65535,send_flow_rem,check_overlap,reset_counts,"
			     "no_packet_counts,no_byte_counts,in_port=4294967040,metadata="
			     "0xffffffffffffffff/0xfffffffffffffffe,dl_src=ff:ff:ff:ff:ff:fe/"
			     "ff:ff:ff:ff:ff:fe,dl_dst=ff:ff:ff:ff:ff:fe/ff:ff:ff:ff:ff:fe,"
			     "vlan_vid=0x1ffe/0x1ffe,vlan_pcp=7,icmp6,ip_dscp=63,ip_ecn=3,"
			     "ipv6_src=ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/"
			     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe,"
			     "ipv6_dst=ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/"
			     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe,icmp_type=135,icmp_code=255,"
			     "nd_target=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,"
			     "nd_sll=ff:ff:ff:ff:ff:ff,actions=meter:4294901760,");
	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
				      "set_field:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff->"
				      "ipv6_src,");
	n += (size_t)snprintf(big + n, sizeof(big) - n, "clear_actions,write_actions(");
	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%snd_target",
				      i ? ",set_field:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff->"
					: "set_field:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff->");
	snprintf(big + n, sizeof(big) - n,
		 "),write_metadata:0xffffffffffffffff/0xfffffffffffffffe,goto_table:254");
	roundtrip(big, OFL_SYNTAX_ADD, false);
	n = (size_t)ofl_syntax_print_flow(&A.flow_mod, NULL, 0);
	assert_true(n > 4000 && n < OFL_SYNTAX_BUF);
	/* A small buffer: cut, terminated, the length all of it needs. */
	assert_int_equal(ofl_syntax_print_flow(&A.flow_mod, TXT, 10), (int)n);
	assert_int_equal(strlen(TXT), 9);
}

static void
test_bad_wrong_types(void **state)
{
	(void)state;
	refused("priority=high,actions=drop", OFL_SYNTAX_ADD, "priority=high", "not a number");
	refused("ip,nw_dst=foo,actions=drop", OFL_SYNTAX_ADD, "nw_dst=foo", "IPv4");
	refused("ipv6,ipv6_src=10.0.0.1,actions=drop", OFL_SYNTAX_ADD, "ipv6_src", "IPv6");
	refused("dl_src=1.2.3.4,actions=drop", OFL_SYNTAX_ADD, "dl_src=1.2.3.4", "Ethernet");
	refused("in_port=eth0,actions=drop", OFL_SYNTAX_ADD, "in_port=eth0", "not a port");
	refused("tcp,tp_dst=0x,actions=drop", OFL_SYNTAX_ADD, "tp_dst=0x", "not a number");
	refused("tcp,tp_dst=-1,actions=drop", OFL_SYNTAX_ADD, "tp_dst=-1", "not a number");
	refused("ip,nw_dst=10.0.0.0/abc,actions=drop", OFL_SYNTAX_ADD, "nw_dst", "mask");
	refused("actions=output:eth0", OFL_SYNTAX_ADD, "output:eth0", "not a port");
	refused("actions=group:x", OFL_SYNTAX_ADD, "group:x", "not a number");
	refused("ip,actions=set_field:x->nw_dst", OFL_SYNTAX_ADD, "set_field:x->nw_dst", "IPv4");
	refused("actions=controller(reason=no_match)", OFL_SYNTAX_ADD, "controller", "max_len");
	refused("send_flow_rem=1,actions=drop", OFL_SYNTAX_ADD, "send_flow_rem=1", "no value");
	refused("ip=1,actions=drop", OFL_SYNTAX_ADD, "ip=1", "no value");
	refused("actions=pop_vlan:1", OFL_SYNTAX_ADD, "pop_vlan:1", "no argument");
	refused("in_port=1\x01,actions=drop", OFL_SYNTAX_ADD, NULL, "byte 0x01");
	refused("in_port=1,actions=drop\xff", OFL_SYNTAX_ADD, NULL, "byte 0xff");
}

static void
test_bad_out_of_range(void **state)
{
	(void)state;
	refused("priority=65536,actions=drop", OFL_SYNTAX_ADD, "priority=65536", "out of range");
	refused("table=255,actions=drop", OFL_SYNTAX_ADD, "table=255", "out of range");
	refused("idle_timeout=70000,actions=drop", OFL_SYNTAX_ADD, "idle_timeout", "range");
	refused("cookie=0x10000000000000000,actions=drop", OFL_SYNTAX_ADD, "cookie", "range");
	refused("tcp,tp_dst=65536,actions=drop", OFL_SYNTAX_ADD, "tp_dst=65536", "0..65535");
	refused("dl_vlan=4096,actions=drop", OFL_SYNTAX_ADD, "dl_vlan=4096", "VLAN id");
	refused("dl_vlan=1,dl_vlan_pcp=8,actions=drop", OFL_SYNTAX_ADD, "dl_vlan_pcp=8", "0..7");
	refused("ip,ip_dscp=64,actions=drop", OFL_SYNTAX_ADD, "ip_dscp=64", "0..63");
	refused("ip,ip_ecn=4,actions=drop", OFL_SYNTAX_ADD, "ip_ecn=4", "0..3");
	refused("ip,nw_tos=3,actions=drop", OFL_SYNTAX_ADD, "nw_tos=3", "ECN");
	refused("ip,nw_proto=256,actions=drop", OFL_SYNTAX_ADD, "nw_proto=256", "0..255");
	refused("ip,nw_dst=10.0.0.0/33,actions=drop", OFL_SYNTAX_ADD, "nw_dst", "prefix");
	refused("vlan_vid=0x2000,actions=drop", OFL_SYNTAX_ADD, "vlan_vid=0x2000", "range");
	refused("vlan_vid=100,actions=drop", OFL_SYNTAX_ADD, "vlan_vid=100", "dl_vlan=VID");
	refused("in_port=0,actions=drop", OFL_SYNTAX_ADD, "in_port=0", "port");
	refused("actions=output:0", OFL_SYNTAX_ADD, "output:0", "port 0");
	refused("actions=output:4294967040000", OFL_SYNTAX_ADD, "output:", "not a port");
	refused("actions=controller:65536", OFL_SYNTAX_ADD, "controller:65536", "range");
	refused("actions=controller:65510", OFL_SYNTAX_ADD, "controller:65510", "max_len");
	refused("actions=push_vlan:0x800", OFL_SYNTAX_ADD, "push_vlan:0x800", "ethertype");
	refused("actions=mod_vlan_vid:4096", OFL_SYNTAX_ADD, "mod_vlan_vid:4096", "4095");
	refused("actions=mod_vlan_pcp:8", OFL_SYNTAX_ADD, "mod_vlan_pcp:8", "7");
	refused("ip,actions=mod_nw_ttl:256", OFL_SYNTAX_ADD, "mod_nw_ttl:256", "range");
	refused("actions=group:4294967295", OFL_SYNTAX_ADD, "group:4294967295", "group");
	refused("actions=meter:0", OFL_SYNTAX_ADD, "meter:0", "meter id");
	refused("table=3,actions=goto_table:3", OFL_SYNTAX_ADD, "goto_table:3", "forward");
	refused("actions=goto_table:255", OFL_SYNTAX_ADD, "goto_table:255", "range");
	refused("actions=set_field:100->vlan_vid", OFL_SYNTAX_ADD, "set_field:100->vlan_vid",
		"0x1000|VID");
	refused("ip,actions=set_field:64->ip_dscp", OFL_SYNTAX_ADD, "set_field:64->ip_dscp",
		"0..63");
}

static void
test_bad_duplicates(void **state)
{
	(void)state;
	refused("priority=1,priority=2,actions=drop", OFL_SYNTAX_ADD, "priority=2", "twice");
	refused("ip,nw_dst=1.1.1.1,nw_dst=2.2.2.2,actions=drop", OFL_SYNTAX_ADD, "nw_dst=2.2.2.2",
		"twice");
	refused("dl_dst=00:00:00:00:00:01,eth_dst=00:00:00:00:00:02,actions=drop", OFL_SYNTAX_ADD,
		"eth_dst", "same field as dl_dst");
	refused("ip,ipv6,actions=drop", OFL_SYNTAX_ADD, "ipv6", "conflicts with ip");
	refused("tcp,udp,actions=drop", OFL_SYNTAX_ADD, "udp", "conflicts with tcp");
	refused("tcp,nw_proto=17,actions=drop", OFL_SYNTAX_ADD, "nw_proto=17", "conflicts");
	refused("dl_type=0x800,dl_type=0x800,actions=drop", OFL_SYNTAX_ADD, "dl_type", "twice");
	refused("send_flow_rem,send_flow_rem,actions=drop", OFL_SYNTAX_ADD, "send_flow_rem",
		"twice");
	refused("actions=meter:1,meter:2", OFL_SYNTAX_ADD, "meter:2", "twice");
	refused("actions=goto_table:1,goto_table:2", OFL_SYNTAX_ADD, "goto_table:2", "twice");
	refused("actions=clear_actions,clear_actions", OFL_SYNTAX_ADD, "clear_actions", "twice");
	refused("actions=write_actions(output:1),write_actions(output:2)", OFL_SYNTAX_ADD,
		"write_actions(output:2)", "twice");
	refused("actions=drop,output:1", OFL_SYNTAX_ADD, "drop", "only action");
	/* Agreeing shorthands are one field. */
	parse_ok("tcp,ip,dl_type=0x0800,nw_proto=6,actions=drop", OFL_SYNTAX_ADD, false, &A);
	assert_int_equal(A.flow_mod.match.n, 2);
}

static void
test_bad_unknown_names(void **state)
{
	(void)state;
	refused("foo=1,actions=drop", OFL_SYNTAX_ADD, "foo=1", "unknown field");
	refused("bar,actions=drop", OFL_SYNTAX_ADD, "bar", "unknown word");
	refused("actions=frobnicate", OFL_SYNTAX_ADD, "frobnicate", "unknown action");
	refused("actions=set_field:1->nosuch", OFL_SYNTAX_ADD, "set_field:1->nosuch",
		"unknown field nosuch");
	refused("actions=set_field:1->in_port", OFL_SYNTAX_ADD, "set_field:1->in_port",
		"cannot be set");
	/* settable since OpenFlow 1.3 allows it (Ryu's SET_FIELD tests use it) */
	parse_ok("ip,actions=set_field:17->nw_proto", OFL_SYNTAX_ADD, false, &A);
	refused("actions=output(port=2)", OFL_SYNTAX_ADD, "output(port=2)", "not a port");
}

static void
test_bad_prerequisites(void **state)
{
	(void)state;
	refused("tp_dst=53,actions=drop", OFL_SYNTAX_ADD, "tp_dst=53", "tcp, udp or sctp");
	refused("icmp_type=8,actions=drop", OFL_SYNTAX_ADD, "icmp_type=8", "icmp or icmp6");
	refused("nw_dst=10.0.0.1,actions=drop", OFL_SYNTAX_ADD, "nw_dst=10.0.0.1", "needs ip");
	refused("ipv6,nw_dst=10.0.0.1,actions=drop", OFL_SYNTAX_ADD, "nw_dst=10.0.0.1", "needs ip");
	refused("ip,ipv6_dst=::1,actions=drop", OFL_SYNTAX_ADD, "ipv6_dst", "ipv6");
	refused("nw_proto=6,actions=drop", OFL_SYNTAX_ADD, "nw_proto=6", "ip or ipv6");
	refused("ip,udp_dst=1,actions=drop", OFL_SYNTAX_ADD, "udp_dst=1", "udp");
	refused("arp_op=1,actions=drop", OFL_SYNTAX_ADD, "arp_op=1", "arp");
	refused("icmp6,nd_target=::1,actions=drop", OFL_SYNTAX_ADD, "nd_target", "135 or 136");
	refused("dl_vlan_pcp=1,actions=drop", OFL_SYNTAX_ADD, "dl_vlan_pcp=1", "VLAN tag");
	refused("actions=set_field:1.2.3.4->nw_dst,output:1", OFL_SYNTAX_ADD,
		"set_field:1.2.3.4->nw_dst", "does not guarantee");
	refused("ip,actions=set_field:80->tp_dst", OFL_SYNTAX_ADD, "set_field:80->tp_dst",
		"needs tcp, udp or sctp");
	refused("actions=set_field:4097->vlan_vid,output:1", OFL_SYNTAX_ADD,
		"set_field:4097->vlan_vid", "does not guarantee");
	refused("actions=output:1,write_actions(set_field:2->vlan_pcp)", OFL_SYNTAX_ADD,
		"set_field:2->vlan_pcp", "does not guarantee");
	refused("actions=mod_tp_dst:1", OFL_SYNTAX_ADD, "mod_tp_dst:1", "tcp, udp or sctp");
	/* A tag pushed in the apply actions, or anywhere in the set, counts. */
	parse_ok("actions=push_vlan:0x8100,output:1,write_actions(set_field:2->vlan_pcp)",
		 OFL_SYNTAX_ADD, false, &A);
	parse_ok("actions=write_actions(set_field:4097->vlan_vid,push_vlan:0x8100)", OFL_SYNTAX_ADD,
		 false, &A);
}

static void
test_bad_use_and_order(void **state)
{
	(void)state;
	refused("in_port=1,actions=drop", OFL_SYNTAX_DELETE, "actions=drop", "takes no actions");
	refused("out_port=1,actions=drop", OFL_SYNTAX_ADD, "out_port=1", "not for a flow to add");
	refused("idle_timeout=1", OFL_SYNTAX_DELETE, "idle_timeout=1", "not for a flow to delete");
	refused("priority=1", OFL_SYNTAX_FILTER, "priority=1", "not for a dump filter");
	refused("cookie=1/1,actions=drop", OFL_SYNTAX_ADD, "cookie=1/1", "mask");
	refused("table=all,actions=drop", OFL_SYNTAX_ADD, "table=all", "not a number");
	refused("in_port=1,table=1", OFL_SYNTAX_PACKET, "table=1", "fields only");
	refused("in_port=1,ip,nw_dst=10.0.0.0/8", OFL_SYNTAX_PACKET, "nw_dst", "exact");
	refused("ip,nw_dst=10.0.0.1", OFL_SYNTAX_PACKET, NULL, "in_port");
	refused("in_port=1,actions=drop", OFL_SYNTAX_PACKET, "actions=drop", "no actions");
	refused("in_port=1/1,actions=drop", OFL_SYNTAX_ADD, "in_port=1/1", "no mask");
	refused("ip,ip_dscp=1/1,actions=drop", OFL_SYNTAX_ADD, "ip_dscp=1/1", "no mask");
	refused("actions=goto_table:1,output:2", OFL_SYNTAX_ADD, "output:2", "after goto_table");
	refused("actions=output:2,meter:1", OFL_SYNTAX_ADD, "meter:1", "after actions");
	refused("actions=write_actions(output:1),clear_actions", OFL_SYNTAX_ADD, "clear_actions",
		"after write_actions");
	refused("actions=write_actions(goto_table:1)", OFL_SYNTAX_ADD, "goto_table:1",
		"not inside write_actions");
	refused("actions=write_actions(write_actions(output:1))", OFL_SYNTAX_ADD,
		"write_actions(output:1)", "inside");
	refused("actions=table", OFL_SYNTAX_ADD, "table", "TABLE outside packet-out");
}

static void
test_printer(void **state)
{
	struct ofl_actions acts = {0};
	char buf[64];

	(void)state;
	parse_ok("tcp,in_port=3,tp_dst=80,actions=output:2", OFL_SYNTAX_ADD, false, &A);
	ofl_syntax_print_match(&A.flow_mod.match, TXT, sizeof(TXT));
	assert_string_equal(TXT, "tcp,in_port=3,tp_dst=80");
	ofl_syntax_print_instructions(&A.flow_mod.ins, TXT, sizeof(TXT));
	assert_string_equal(TXT, "output:2");
	parse_ok("dl_vlan=0xffff,icmp6,icmp_type=135,nd_target=::1,actions=drop", OFL_SYNTAX_ADD,
		 false, &A);
	ofl_syntax_print_match(&A.flow_mod.match, TXT, sizeof(TXT));
	assert_string_equal(TXT, "icmp6,vlan_vid=0x0000,icmp_type=135,nd_target=::1");
	ofl_syntax_print_instructions(&A.flow_mod.ins, TXT, sizeof(TXT));
	assert_string_equal(TXT, "drop");
	parse_ok("", OFL_SYNTAX_DELETE, false, &A);
	assert_int_equal(ofl_syntax_print_match(&A.flow_mod.match, TXT, sizeof(TXT)), 0);
	assert_string_equal(TXT, "");
	assert_int_equal(ofl_syntax_print_actions(&acts, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "drop");
	ofl_syntax_print_port(OFPP_CONTROLLER, buf, sizeof(buf));
	assert_string_equal(buf, "CONTROLLER");
	ofl_syntax_print_port(7, buf, sizeof(buf));
	assert_string_equal(buf, "7");
	parse_ok("actions=mod_vlan_vid:100,group:3", OFL_SYNTAX_ADD, false, &A);
	ofl_syntax_print_instructions(&A.flow_mod.ins, TXT, sizeof(TXT));
	assert_string_equal(TXT, "push_vlan:0x8100,set_field:4196->vlan_vid,group:3");
	ofl_syntax_print_action(&A.flow_mod.ins.apply.a[1], buf, sizeof(buf));
	assert_string_equal(buf, "set_field:4196->vlan_vid");
}

/* Random flows built from the tables above: a flow that parses prints to a
 * text that parses to the same flow (a model-free round trip at scale). */
static void
test_random_compositions(void **state)
{
	static const char *const matches[] = {
		"in_port=7",	    "tcp,tp_dst=22",	   "udp6,tp_src=1/0xff",
		"arp,arp_op=2",	    "dl_vlan=9",	   "ip,nw_src=10.0.0.0/255.255.0.255",
		"metadata=0x5/0x7", "icmp6,icmp_type=136", "priority=9",
		"table=4",	    "cookie=0x77",	   "idle_timeout=1",
		"ipv6,ip_ecn=2",
	};
	static const char *const actions[] = {
		"output:1",	    "mod_vlan_vid:3",	     "pop_vlan",
		"dec_ttl",	    "set_queue:2",	     "group:4",
		"normal",	    "controller:64",	     "mod_dl_src:00:00:00:00:00:09",
		"push_vlan:0x88a8", "set_field:1->vlan_pcp",
	};
	char text[1024];
	unsigned seed = 12345, ok = 0;

	(void)state;
	for (int iter = 0; iter < 3000; iter++) {
		size_t n = 0;
		int nm = (int)(rand_r(&seed) % 4), na = (int)(rand_r(&seed) % 5);
		struct iovs_err err = {{0}};

		for (int i = 0; i < nm; i++)
			n += (size_t)snprintf(
				text + n, sizeof(text) - n, "%s,",
				matches[rand_r(&seed) % (sizeof(matches) / sizeof(matches[0]))]);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "actions=");
		for (int i = 0; i < na; i++)
			n += (size_t)snprintf(
				text + n, sizeof(text) - n, "%s%s", i ? "," : "",
				actions[rand_r(&seed) % (sizeof(actions) / sizeof(actions[0]))]);
		if (na == 0)
			snprintf(text + n, sizeof(text) - n, "drop");
		if (ofl_syntax_parse(text, OFL_SYNTAX_ADD, false, &A, &err) != 0) {
			assert_true(err.msg[0] != '\0');
			continue;
		}
		roundtrip(text, OFL_SYNTAX_ADD, false);
		ok++;
	}
	assert_true(ok > 500);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_every_field),
		cmocka_unit_test(test_roundtrip_every_action),
		cmocka_unit_test(test_roundtrip_modify_delete),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_same_struct_as_ovs_ofctl_on_the_wire),
		cmocka_unit_test(test_bad_truncated),
		cmocka_unit_test(test_bad_overlong),
		cmocka_unit_test(test_bad_wrong_types),
		cmocka_unit_test(test_bad_out_of_range),
		cmocka_unit_test(test_bad_duplicates),
		cmocka_unit_test(test_bad_unknown_names),
		cmocka_unit_test(test_bad_prerequisites),
		cmocka_unit_test(test_bad_use_and_order),
		cmocka_unit_test(test_printer),
		cmocka_unit_test(test_random_compositions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
