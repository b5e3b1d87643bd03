/* The command line's flows (ofl_cli.c, ofl_trace.c) on an agent with a real
 * pipeline (no PMDs) and a controller over loopback TCP: flow add/mod/del
 * land in the pipeline as the same flows a controller's FLOW_MOD makes (the
 * controller's FLOW multipart shows them, and the CLI's dump shows a
 * controller's), deletes send FLOW_REMOVED, dumps are ordered and filtered,
 * every refusal says why and changes nothing, and a trace names each table,
 * flow, action, group bucket and output, and the drop reason. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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

#include "ofl_agent.h"
#include "ofl_syntax.h"
#include "pipeline.h"
#include "ofl_test_peer.h"
#include "ofl_wire.h"

/* ---- a switch with a real pipeline and two ports ---- */

struct tsw {
	struct vsw_pl *pl;
	bool down[3]; /* ports 1 and 2 */
};

static struct vsw_pl *
t_pipeline(void *sw)
{
	return ((struct tsw *)sw)->pl;
}

static int
t_port_list(void *sw, struct ofl_port *ports, unsigned max)
{
	struct tsw *s = sw;

	for (unsigned i = 0; i < 2 && i < max; i++) {
		memset(&ports[i], 0, sizeof(ports[i]));
		ports[i].port_no = i + 1;
		snprintf(ports[i].name, sizeof(ports[i].name), "p%u", i + 1);
		ports[i].state = s->down[i + 1] ? OFL_PS_LINK_DOWN : OFL_PS_LIVE;
	}
	return 2;
}

static const struct ofl_switch_ops t_ops = {.pipeline = t_pipeline, .port_list = t_port_list};

struct fx {
	struct ofl_agent *a;
	struct tsw sw;
	uint16_t port;
	struct ofl_msg *m;
	uint8_t buf[65536];
	/* what the callbacks saw */
	unsigned n;
	uint64_t packets;
	char lines[64][640];
	char kinds[64][16];
};

static int
fx_setup(void **state)
{
	struct ofl_agent_params p = {.cpu = -1};
	struct vsw_pl_config pc = {.n_pmds = 1, .local_port = VSW_ACT_PORT_ANY};
	struct fx *f = calloc(1, sizeof(*f));
	struct ofl_dp_conf dc = {.name = "br0", .fail_mode = OFL_FAIL_SECURE};

	f->m = malloc(sizeof(*f->m));
	assert_int_equal(vsw_pl_create(&pc, &f->sw.pl), 0);
	assert_int_equal(ofl_agent_create(&p, &f->a, NULL), 0);
	f->port = ofl_test_free_port();
	snprintf(dc.listen, sizeof(dc.listen), "ptcp:%u:127.0.0.1", f->port);
	assert_int_equal(ofl_agent_dp_set(f->a, &dc, &t_ops, &f->sw, NULL), 0);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	ofl_agent_destroy(f->a);
	vsw_pl_destroy(f->sw.pl);
	free(f->m);
	free(f);
	return 0;
}

static int
client(struct fx *f)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons(f->port)};
	uint8_t b[8] = {4, OFPT_HELLO, 0, 8, 0, 0, 0, 1};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(ofl_test_recv(f->a, fd, f->buf, sizeof(f->buf), 3000), 16);
	assert_int_equal(write(fd, b, 8), 8);
	return fd;
}

static void
send_msg(int fd, const struct ofl_msg *m)
{
	static uint8_t b[65536];
	int n = ofl_encode(m, b, sizeof(b));

	assert_true(n > 0);
	assert_int_equal(write(fd, b, (size_t)n), n);
}

static void
next_msg(struct fx *f, int fd)
{
	size_t n = ofl_test_recv(f->a, fd, f->buf, sizeof(f->buf), 3000);

	assert_true(n >= 8);
	assert_int_equal(ofl_decode(f->buf, n, f->m, NULL), 0);
}

static void
add(struct fx *f, const char *text)
{
	struct iovs_err err = {{0}};
	int rc = ofl_agent_flow_mod(f->a, "br0", OFL_CLI_ADD, false, text, &err);

	if (rc != 0)
		fail_msg("%s: %s", text, iovs_err_str(&err, rc));
}

/* The refusal says 'why' and leaves 'n_flows' flows. */
static void
refused(struct fx *f, enum ofl_cli_cmd cmd, const char *text, int want, const char *why)
{
	struct iovs_err err = {{0}};
	unsigned before = vsw_pl_n_flows(f->sw.pl);
	int rc = ofl_agent_flow_mod(f->a, "br0", cmd, false, text, &err);

	assert_int_equal(rc, want);
	if (strstr(err.msg, why) == NULL)
		fail_msg("%s: \"%s\" does not say \"%s\"", text, err.msg, why);
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), before);
}

static void
dump_line(const struct ofl_flow_entry *e, void *arg)
{
	struct fx *f = arg;

	assert_true(f->n < 64);
	f->packets += e->fs->packet_count + e->fs->byte_count;
	snprintf(f->lines[f->n++], sizeof(f->lines[0]), "table=%u priority=%u cookie=0x%llx %s%s%s",
		 e->fs->table_id, e->fs->priority, (unsigned long long)e->fs->cookie, e->match,
		 e->match[0] ? " " : "", e->actions);
}

static int
dump(struct fx *f, const char *filter)
{
	struct iovs_err err = {{0}};
	int rc;

	f->n = 0;
	rc = ofl_agent_flow_dump(f->a, "br0", filter, dump_line, f, &err);
	if (rc < 0)
		fail_msg("dump %s: %s", filter ? filter : "", iovs_err_str(&err, rc));
	assert_int_equal(rc, (int)f->n);
	return rc;
}

static void
test_add_dump_modify_delete(void **state)
{
	struct fx *f = *state;
	struct iovs_err err = {{0}};

	add(f, "table=1,priority=5,udp,tp_dst=53,actions=set_field:5353->udp_dst,output:2");
	add(f, "priority=10,ip,nw_dst=10.0.0.0/8,actions=output:2");
	add(f, "priority=20,cookie=0x5,in_port=1,actions=push_vlan:0x8100,set_field:4196->vlan_vid,"
	       "output:2");
	add(f, "priority=0,actions=CONTROLLER:65535");
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), 4);
	/* Table, then priority descending. */
	assert_int_equal(dump(f, NULL), 4);
	assert_string_equal(f->lines[0], "table=0 priority=20 cookie=0x5 in_port=1 "
					 "push_vlan:0x8100,set_field:4196->vlan_vid,output:2");
	assert_string_equal(f->lines[1], "table=0 priority=10 cookie=0x0 ip,nw_dst=10.0.0.0/8 "
					 "output:2");
	assert_string_equal(f->lines[2], "table=0 priority=0 cookie=0x0 CONTROLLER:65535");
	assert_string_equal(f->lines[3], "table=1 priority=5 cookie=0x0 udp,tp_dst=53 "
					 "set_field:5353->udp_dst,output:2");
	/* Filters: table, match (at least as specific), cookie, out_port. */
	assert_int_equal(dump(f, "table=1"), 1);
	assert_int_equal(dump(f, "ip"), 2);
	assert_int_equal(dump(f, "cookie=0x5/0xff"), 1);
	assert_int_equal(dump(f, "out_port=2"), 3);
	assert_int_equal(dump(f, "table=0,out_port=2"), 2);
	assert_int_equal(ofl_agent_flow_dump(f->a, "br0", "table=16", dump_line, f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "tables 0..15"));
	assert_int_equal(ofl_agent_flow_dump(f->a, "br0", "nw_dst=1.2.3.4", dump_line, f, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "nw_dst=1.2.3.4: needs ip"));

	/* Modify (loose: every flow with in_port=1) keeps the cookie. */
	assert_int_equal(ofl_agent_flow_mod(f->a, "br0", OFL_CLI_MODIFY, false,
					    "in_port=1,actions=output:1", &err),
			 0);
	dump(f, "in_port=1");
	assert_string_equal(f->lines[0], "table=0 priority=20 cookie=0x5 in_port=1 output:1");
	/* Strict delete: only that priority. */
	assert_int_equal(
		ofl_agent_flow_mod(f->a, "br0", OFL_CLI_DELETE, true, "priority=11,ip", &err), 0);
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), 4);
	assert_int_equal(ofl_agent_flow_mod(f->a, "br0", OFL_CLI_DELETE, true,
					    "priority=10,ip,nw_dst=10.0.0.0/8", &err),
			 0);
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), 3);
	/* Loose delete by cookie, then everything. */
	assert_int_equal(
		ofl_agent_flow_mod(f->a, "br0", OFL_CLI_DELETE, false, "cookie=0x5/-1", &err), 0);
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), 2);
	assert_int_equal(ofl_agent_flow_mod(f->a, "br0", OFL_CLI_DELETE, false, "", &err), 0);
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), 0);
	assert_int_equal(dump(f, ""), 0);
}

/* A CLI flow is what a controller sees in its FLOW multipart, and a
 * controller's flow is what the CLI dumps; a CLI delete sends FLOW_REMOVED. */
static void
test_same_flows_as_a_controller(void **state)
{
	struct fx *f = *state;
	static const char text[] = "priority=7,send_flow_rem,udp,nw_src=10.1.0.0/16,tp_dst=53,"
				   "actions=set_field:5353->udp_dst,output:2,goto_table:3";
	static struct ofl_msg want, req;
	struct iovs_err err = {{0}};
	char line[OFL_SYNTAX_BUF];
	int fd = client(f);

	add(f, text);
	assert_int_equal(ofl_syntax_parse(text, OFL_SYNTAX_ADD, false, &want, NULL), 0);
	memset(&req, 0, sizeof(req));
	req.h = (struct ofl_header){.version = 4, .type = OFPT_MULTIPART_REQUEST, .xid = 9};
	req.mp_request.type = OFPMP_FLOW;
	req.mp_request.flow = (struct ofl_flow_stats_request){
		.table_id = OFPTT_ALL, .out_port = OFPP_ANY, .out_group = OFPG_ANY};
	send_msg(fd, &req);
	next_msg(f, fd);
	assert_int_equal(f->m->h.type, OFPT_MULTIPART_REPLY);
	assert_int_equal(f->m->mp_reply.n, 1);
	ofl_syntax_print_match(&f->m->mp_reply.flows[0].match, line, sizeof(line));
	assert_string_equal(line, "udp,nw_src=10.1.0.0/16,tp_dst=53");
	/* udp_dst, not tcp_dst: the multipart names transport set-fields by the match. */
	ofl_syntax_print_instructions(&f->m->mp_reply.flows[0].ins, line, sizeof(line));
	assert_string_equal(line, "set_field:5353->udp_dst,output:2,goto_table:3");
	assert_int_equal(f->m->mp_reply.flows[0].flags, OFPFF_SEND_FLOW_REM);

	/* The controller adds one; the CLI dumps it. */
	assert_int_equal(ofl_syntax_parse("table=2,priority=3,arp,arp_op=1,actions=flood",
					  OFL_SYNTAX_ADD, false, &req, NULL),
			 0);
	req.h.xid = 10;
	send_msg(fd, &req);
	memset(&req, 0, sizeof(req));
	req.h = (struct ofl_header){.version = 4, .type = OFPT_BARRIER_REQUEST, .xid = 11};
	send_msg(fd, &req);
	next_msg(f, fd);
	assert_int_equal(f->m->h.type, OFPT_BARRIER_REPLY);
	assert_int_equal(dump(f, "table=2"), 1);
	assert_string_equal(f->lines[0], "table=2 priority=3 cookie=0x0 arp,arp_op=1 FLOOD");

	/* A CLI delete: FLOW_REMOVED to the controller (send_flow_rem). */
	assert_int_equal(ofl_agent_flow_mod(f->a, "br0", OFL_CLI_DELETE, false, "udp", &err), 0);
	next_msg(f, fd);
	assert_int_equal(f->m->h.type, OFPT_FLOW_REMOVED);
	assert_int_equal(f->m->flow_removed.reason, OFPRR_DELETE);
	assert_int_equal(f->m->flow_removed.priority, 7);
	close(fd);
}

static void
test_refusals_change_nothing(void **state)
{
	struct fx *f = *state;
	struct iovs_err err = {{0}};

	add(f, "priority=1,in_port=1,actions=output:2");
	refused(f, OFL_CLI_ADD, "in_port=1,nw_dst=10.0.0.1,actions=drop", -EINVAL,
		"nw_dst=10.0.0.1: needs ip");
	refused(f, OFL_CLI_ADD, "garbage", -EINVAL, "garbage: unknown word");
	refused(f, OFL_CLI_ADD, "actions=group:9", -EINVAL,
		"BAD_ACTION/BAD_OUT_GROUP: a group the actions use does not exist");
	refused(f, OFL_CLI_ADD, "actions=meter:9,output:1", -EINVAL,
		"METER_MOD_FAILED/UNKNOWN_METER: the meter does not exist");
	refused(f, OFL_CLI_ADD, "table=16,actions=drop", -EINVAL,
		"FLOW_MOD_FAILED/BAD_TABLE_ID: no such table: the bridge has tables 0..15");
	refused(f, OFL_CLI_ADD, "actions=goto_table:16", -EINVAL, "tables 0..15");
	refused(f, OFL_CLI_ADD, "priority=1,in_port=1,check_overlap,actions=drop", -EINVAL,
		"overlaps");
	refused(f, OFL_CLI_DELETE, "in_port=1,actions=drop", -EINVAL, "takes no actions");
	assert_int_equal(ofl_agent_flow_mod(f->a, "br9", OFL_CLI_ADD, false, "actions=drop", &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "br9 has no OpenFlow datapath"));
	assert_int_equal(ofl_agent_flow_dump(f->a, "br9", NULL, dump_line, f, &err), -ENOENT);
	assert_int_equal(vsw_pl_n_flows(f->sw.pl), 1);
}

static void
step_line(const struct ofl_trace_step *s, void *arg)
{
	struct fx *f = arg;

	assert_true(f->n < 64);
	snprintf(f->kinds[f->n], sizeof(f->kinds[0]), "%s", s->kind);
	snprintf(f->lines[f->n++], sizeof(f->lines[0]), "%*s%s", 2 * (int)s->depth, "", s->text);
}

static int
find_step(const struct fx *f, const char *kind, const char *text)
{
	for (unsigned i = 0; i < f->n; i++)
		if (strcmp(f->kinds[i], kind) == 0 && strstr(f->lines[i], text) != NULL)
			return (int)i;
	for (unsigned i = 0; i < f->n; i++)
		print_message("  %s: %s\n", f->kinds[i], f->lines[i]);
	fail_msg("no %s step saying \"%s\"", kind, text);
	return -1;
}

static void
trace(struct fx *f, const char *packet, struct ofl_trace_summary *sum)
{
	struct iovs_err err = {{0}};
	int rc;

	f->n = 0;
	rc = ofl_agent_trace(f->a, "br0", packet, step_line, f, sum, &err);
	if (rc != 0)
		fail_msg("trace %s: %s", packet, iovs_err_str(&err, rc));
}

static void
test_trace(void **state)
{
	struct fx *f = *state;
	struct ofl_trace_summary sum;
	struct iovs_err err = {{0}};
	struct vsw_act b0[] = {{.type = VSW_ACT_OUTPUT, .u32 = 1}},
		       b1[] = {{.type = VSW_ACT_OUTPUT, .u32 = 2}};
	struct vsw_pl_bucket_spec bk[] = {
		{.weight = 1,
		 .acts = b0,
		 .n_acts = 1,
		 .watch_port = 1,
		 .watch_group = VSW_ACT_GROUP_ANY},
		{.weight = 1,
		 .acts = b1,
		 .n_acts = 1,
		 .watch_port = 2,
		 .watch_group = VSW_ACT_GROUP_ANY},
	};
	struct vsw_pl_group_mod gm = {.cmd = VSW_PL_MOD_ADD,
				      .type = VSW_PL_GROUP_FF,
				      .group_id = 4,
				      .buckets = bk,
				      .n_buckets = 2};
	int a, b;

	assert_int_equal(vsw_pl_begin(f->sw.pl, 1), 0);
	assert_int_equal(vsw_pl_group_mod(f->sw.pl, &gm, NULL, NULL), VSW_ACT_OK);
	vsw_pl_commit(f->sw.pl);
	add(f, "priority=10,ip,actions=write_actions(output:2),write_metadata:0x7,goto_table:1");
	add(f, "table=1,priority=30,udp,tp_dst=53,metadata=0x7,actions=set_field:5353->udp_dst,"
	       "group:4");
	add(f, "table=1,priority=0,actions=drop");

	trace(f,
	      "in_port=1,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,udp,nw_src=10.0.0.1,"
	      "nw_dst=10.0.0.2,tp_dst=53",
	      &sum);
	assert_string_equal(sum.packet, "udp,in_port=1,dl_dst=02:00:00:00:00:02,"
					"dl_src=02:00:00:00:00:01,nw_src=10.0.0.1,nw_dst=10.0.0.2,"
					"tp_dst=53");
	a = find_step(f, "table", "table 0: priority=10 cookie=0x0 ip");
	find_step(f, "instructions", "write_actions(output:2),write_metadata:0x7,goto_table:1");
	find_step(f, "write", "write_actions(output:2)");
	find_step(f, "metadata", "metadata=0x7");
	find_step(f, "goto", "goto_table:1");
	b = find_step(f, "table", "table 1: priority=30 cookie=0x0 udp,metadata=0x7,tp_dst=53");
	assert_true(b > a);
	find_step(f, "apply", "set_field:5353->udp_dst: the packet now has tp_dst=5353");
	find_step(f, "group", "group:4: fast_failover, 2 buckets");
	find_step(f, "bucket", "  bucket 0, the first live one (weight 1): output:1");
	find_step(f, "output", "  output:1 (p1); it leaves with tp_dst=5353");
	find_step(f, "action_set", "the action set runs: output:2");
	find_step(f, "output", "output:2 (p2)");
	assert_string_equal(sum.verdict, "output:1 (p1), output:2 (p2)");
	assert_int_equal(sum.n_tables, 2);
	assert_int_equal(sum.n_outputs, 2);
	assert_false(sum.dropped);

	/* Port 1 goes down: fast failover takes bucket 1. */
	f->sw.down[1] = true;
	trace(f, "in_port=2,udp,tp_dst=53", &sum);
	find_step(f, "bucket", "bucket 1, the first live one (weight 1): output:2");
	assert_string_equal(sum.verdict, "output:2 (p2), output:2 (p2)");
	f->sw.down[2] = true;
	trace(f, "in_port=2,udp,tp_dst=53", &sum);
	find_step(f, "drop", "drop: the group does not exist, has no live bucket");
	assert_string_equal(sum.verdict, "output:2 (p2)");
	f->sw.down[1] = f->sw.down[2] = false;

	/* A miss in table 1 (no ip): dropped, and why. */
	add(f, "priority=5,actions=goto_table:2");
	trace(f, "in_port=7,arp", &sum);
	find_step(f, "note", "in_port 7 is not a port of br0");
	find_step(f, "miss", "table 2: no flow matches");
	find_step(f, "drop", "table miss");
	assert_string_equal(sum.verdict, "drop: table miss");
	assert_true(sum.dropped);
	/* A drop flow: no output. */
	add(f, "table=2,priority=1,arp,actions=drop");
	trace(f, "in_port=1,arp", &sum);
	find_step(f, "table", "table 2: priority=1 cookie=0x0 arp");
	find_step(f, "action_set", "the action set is empty");
	find_step(f, "drop", "no output");
	assert_string_equal(sum.verdict, "drop: no output");

	/* Nothing counted. */
	f->packets = 0;
	assert_int_equal(dump(f, NULL), 5);
	assert_int_equal(f->packets, 0);

	/* Bad packets. */
	assert_int_equal(
		ofl_agent_trace(f->a, "br0", "ip,nw_dst=10.0.0.1", step_line, f, &sum, &err),
		-EINVAL);
	assert_non_null(strstr(err.msg, "in_port"));
	assert_int_equal(ofl_agent_trace(f->a, "br0", "in_port=1,nw_dst=10.0.0.0/8,ip", step_line,
					 f, &sum, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "nw_dst=10.0.0.0/8"));
	assert_int_equal(ofl_agent_trace(f->a, "nope", "in_port=1", step_line, f, &sum, &err),
			 -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_dump_modify_delete, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_same_flows_as_a_controller, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_refusals_change_nothing, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_trace, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
