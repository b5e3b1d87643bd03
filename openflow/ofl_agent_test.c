/* The agent without a thread (ofl_agent_run_once) against a fake switch, over
 * real TCP on loopback: FEATURES, DESC, PORT_DESC, PORT_STATS, TABLE, CONFIG,
 * unimplemented types and multiparts refused with the connection kept, roles
 * across two connections, a barrier that waits for the data plane and holds
 * back what follows, active connections with reconnection, target parsing. */
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ofl_agent.h"
#include "ofl_test_peer.h"
#include "ofl_wire.h"

/* ---- a fake switch: two ports, counters, a barrier sequence ---- */

struct fake_sw {
	uint64_t change_seq, visible_seq;
	unsigned n_ports;
	struct ofl_port ports[4]; /* 1 "p1" (live), 7 "vhost7" (down) */
};

static void
fake_port_set(struct ofl_port *p, uint32_t no, const char *name, uint32_t state)
{
	memset(p, 0, sizeof(*p));
	p->port_no = no;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->hw_addr[0] = 0x02;
	p->hw_addr[5] = (uint8_t)no;
	p->state = state;
	p->curr = OFL_PF_10GB_FD;
	p->curr_speed = 10000000;
}

static int
fake_port_list(void *arg, struct ofl_port *ports, unsigned max)
{
	struct fake_sw *sw = arg;

	memcpy(ports, sw->ports, (sw->n_ports < max ? sw->n_ports : max) * sizeof(ports[0]));
	return (int)sw->n_ports;
}

static int
fake_port_stats(void *sw, uint32_t port_no, struct ofl_port_stats *st, unsigned max)
{
	unsigned n = 0, i;

	(void)sw;
	for (i = 0; i < 2 && n < max; i++) {
		uint32_t no = i == 0 ? 1 : 7;

		if (port_no != OFPP_ANY && port_no != no)
			continue;
		memset(&st[n], 0, sizeof(st[n]));
		st[n].port_no = no;
		st[n].rx_packets = 100 + i;
		st[n].tx_packets = 200 + i;
		n++;
	}
	return n == 0 ? -ENOENT : (int)n;
}

static uint64_t
fake_change_seq(void *sw)
{
	return ((struct fake_sw *)sw)->change_seq;
}

static uint64_t
fake_visible_seq(void *sw)
{
	return ((struct fake_sw *)sw)->visible_seq;
}

static const struct ofl_switch_ops fake_ops = {
	.port_list = fake_port_list,
	.port_stats = fake_port_stats,
	.change_seq = fake_change_seq,
	.visible_seq = fake_visible_seq,
};

/* ---- fixture ---- */

struct fx {
	struct ofl_agent *a;
	struct fake_sw sw;
	uint16_t port;
	struct ofl_msg *m;
};

static int
fx_setup(void **state)
{
	struct ofl_agent_params p = {.cpu = -1};
	struct fx *f = calloc(1, sizeof(*f));
	struct ofl_dp_conf dc = {.name = "br0", .datapath_id = 0x1234};

	f->m = malloc(sizeof(*f->m));
	f->sw.n_ports = 2;
	fake_port_set(&f->sw.ports[0], 1, "p1", OFL_PS_LIVE);
	fake_port_set(&f->sw.ports[1], 7, "vhost7", OFL_PS_LINK_DOWN);
	assert_int_equal(ofl_agent_create(&p, &f->a, NULL), 0);
	f->port = ofl_test_free_port();
	snprintf(dc.listen, sizeof(dc.listen), "ptcp:%u:127.0.0.1", f->port);
	assert_int_equal(ofl_agent_dp_set(f->a, &dc, &fake_ops, &f->sw, NULL), 0);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	ofl_agent_destroy(f->a);
	free(f->m);
	free(f);
	return 0;
}

static void
hdr(uint8_t *b, uint8_t type, uint16_t len, uint32_t xid)
{
	b[0] = 4;
	b[1] = type;
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	b[4] = (uint8_t)(xid >> 24);
	b[5] = (uint8_t)(xid >> 16);
	b[6] = (uint8_t)(xid >> 8);
	b[7] = (uint8_t)xid;
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
	uint8_t b[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(recv_msg(f, fd, b, sizeof(b), 3000), 16);
	assert_int_equal(b[1], OFPT_HELLO);
	hdr(b, OFPT_HELLO, 8, 1);
	assert_int_equal(write(fd, b, 8), 8);
	return fd;
}

/* Sends 'req' and decodes the answer into f->m. */
static void
ask(struct fx *f, int fd, const uint8_t *req, size_t len)
{
	static uint8_t buf[65536];
	size_t n;

	assert_int_equal(write(fd, req, len), (ssize_t)len);
	n = recv_msg(f, fd, buf, sizeof(buf), 3000);
	assert_true(n >= 8);
	assert_int_equal(ofl_decode(buf, n, f->m, NULL), 0);
}

static void
ask_simple(struct fx *f, int fd, uint8_t type, uint32_t xid)
{
	uint8_t b[8];

	hdr(b, type, 8, xid);
	ask(f, fd, b, 8);
	assert_int_equal(f->m->h.xid, xid);
}

static void
ask_mp(struct fx *f, int fd, uint16_t mp_type, uint32_t port_no)
{
	uint8_t b[24] = {0};
	size_t len = mp_type == OFPMP_PORT_STATS ? 24 : 16;

	hdr(b, OFPT_MULTIPART_REQUEST, (uint16_t)len, 50 + mp_type);
	b[8] = (uint8_t)(mp_type >> 8);
	b[9] = (uint8_t)mp_type;
	b[16] = (uint8_t)(port_no >> 24);
	b[17] = (uint8_t)(port_no >> 16);
	b[18] = (uint8_t)(port_no >> 8);
	b[19] = (uint8_t)port_no;
	ask(f, fd, b, len);
}

static void
expect_error(struct fx *f, uint16_t type, uint16_t code)
{
	assert_int_equal(f->m->h.type, OFPT_ERROR);
	assert_int_equal(f->m->error.type, type);
	assert_int_equal(f->m->error.code, code);
}

static void
test_features_desc_config(void **state)
{
	struct fx *f = *state;
	uint8_t b[12];
	int fd = client(f);

	ask_simple(f, fd, OFPT_FEATURES_REQUEST, 5);
	assert_int_equal(f->m->h.type, OFPT_FEATURES_REPLY);
	assert_int_equal(f->m->features.datapath_id, 0x1234);
	assert_int_equal(f->m->features.n_buffers, 0);
	assert_int_equal(f->m->features.n_tables, OFL_N_TABLES);
	assert_int_equal(f->m->features.capabilities, 0xf);
	ask_mp(f, fd, OFPMP_DESC, 0);
	assert_string_equal(f->m->mp_reply.desc.mfr_desc, "iovs");
	assert_string_equal(f->m->mp_reply.desc.dp_desc, "iovs bridge br0");
	ask_simple(f, fd, OFPT_GET_CONFIG_REQUEST, 6);
	assert_int_equal(f->m->config.miss_send_len, 128);
	hdr(b, OFPT_SET_CONFIG, 12, 7);
	b[8] = 0;
	b[9] = 1; /* FRAG_DROP */
	b[10] = 0x01;
	b[11] = 0x00;
	assert_int_equal(write(fd, b, 12), 12);
	ask_simple(f, fd, OFPT_GET_CONFIG_REQUEST, 8);
	assert_int_equal(f->m->config.flags, 1);
	assert_int_equal(f->m->config.miss_send_len, 256);
	ask_simple(f, fd, OFPT_BARRIER_REQUEST, 9);
	assert_int_equal(f->m->h.type, OFPT_BARRIER_REPLY);
	close(fd);
}

static void
test_ports_tables(void **state)
{
	struct fx *f = *state;
	int fd = client(f);

	ask_mp(f, fd, OFPMP_PORT_DESC, 0);
	assert_int_equal(f->m->mp_reply.type, OFPMP_PORT_DESC);
	assert_int_equal(f->m->mp_reply.n, 2);
	assert_int_equal(f->m->mp_reply.ports[1].port_no, 7);
	assert_string_equal(f->m->mp_reply.ports[1].name, "vhost7");
	assert_int_equal(f->m->mp_reply.ports[0].state, OFL_PS_LIVE);
	assert_int_equal(f->m->mp_reply.ports[1].state, OFL_PS_LINK_DOWN);
	ask_mp(f, fd, OFPMP_PORT_STATS, OFPP_ANY);
	assert_int_equal(f->m->mp_reply.n, 2);
	assert_int_equal(f->m->mp_reply.port_stats[0].rx_packets, 100);
	ask_mp(f, fd, OFPMP_PORT_STATS, 7);
	assert_int_equal(f->m->mp_reply.n, 1);
	assert_int_equal(f->m->mp_reply.port_stats[0].tx_packets, 201);
	ask_mp(f, fd, OFPMP_PORT_STATS, 99);
	expect_error(f, OFPET_BAD_REQUEST, 11 /* BAD_PORT */);
	ask_mp(f, fd, OFPMP_TABLE, 0);
	assert_int_equal(f->m->mp_reply.n, OFL_N_TABLES);
	assert_int_equal(f->m->mp_reply.tables[3].table_id, 3);
	assert_int_equal(f->m->mp_reply.tables[3].lookup_count, 0);
	close(fd);
}

static void
expect_port_status(struct fx *f, int fd, uint8_t reason, uint32_t port_no, uint32_t state)
{
	static uint8_t buf[65536];
	size_t n = recv_msg(f, fd, buf, sizeof(buf), 3000);

	assert_true(n >= 8);
	assert_int_equal(ofl_decode(buf, n, f->m, NULL), 0);
	assert_int_equal(f->m->h.type, OFPT_PORT_STATUS);
	assert_int_equal(f->m->port_status.reason, reason);
	assert_int_equal(f->m->port_status.desc.port_no, port_no);
	assert_int_equal(f->m->port_status.desc.state, state);
}

/* PORT_STATUS (§7.4.3): ports added, deleted and modified (link up) reach
 * the controller in port order; SET_ASYNC's port-status mask filters them. */
static void
test_port_status(void **state)
{
	struct fx *f = *state;
	uint8_t b[32] = {0};
	int fd = client(f);

	ask_simple(f, fd, OFPT_ECHO_REQUEST, 5);	      /* up; the agent has seen the ports */
	fake_port_set(&f->sw.ports[0], 9, "p9", OFL_PS_LIVE); /* 1 gone, 9 new */
	f->sw.ports[1].state = OFL_PS_LIVE;		      /* 7: link up */
	expect_port_status(f, fd, OFPPR_DELETE, 1, OFL_PS_LIVE);
	expect_port_status(f, fd, OFPPR_MODIFY, 7, OFL_PS_LIVE);
	expect_port_status(f, fd, OFPPR_ADD, 9, OFL_PS_LIVE);
	/* SET_ASYNC: port status for the master/equal role: DELETE only. */
	hdr(b, OFPT_SET_ASYNC, 32, 6);
	b[8 + 0 * 4 + 3] = 0x7;		       /* packet_in_mask[0] */
	b[8 + 2 * 4 + 3] = 1u << OFPPR_DELETE; /* port_status_mask[0] */
	b[8 + 4 * 4 + 3] = 0xf;		       /* flow_removed_mask[0] */
	assert_int_equal(write(fd, b, 32), 32);
	f->sw.ports[2] = f->sw.ports[1];
	fake_port_set(&f->sw.ports[1], 8, "p8", OFL_PS_LIVE); /* 8 new: not sent */
	f->sw.n_ports = 2;				      /* 7 gone: sent */
	expect_port_status(f, fd, OFPPR_DELETE, 7, OFL_PS_LIVE);
	ask_simple(f, fd, OFPT_ECHO_REQUEST, 7); /* nothing else came before it */
	assert_int_equal(f->m->h.type, OFPT_ECHO_REPLY);
	close(fd);
}

/* A switch without flow tables (the fake one has no pipeline op): requests that
 * need them get the right error, and the connection is still usable. */
static void
test_unimplemented(void **state)
{
	struct fx *f = *state;
	uint8_t b[56] = {0};
	int fd = client(f);

	ask_mp(f, fd, OFPMP_FLOW, 0); /* body too short for FLOW: BAD_LEN from the codec */
	assert_int_equal(f->m->h.type, OFPT_ERROR);
	ask_mp(f, fd, OFPMP_GROUP_FEATURES, 0);
	expect_error(f, OFPET_BAD_REQUEST, 2 /* BAD_MULTIPART */);
	hdr(b, OFPT_FLOW_MOD, 56, 77);
	b[24] = 0xff;
	b[25] = 3;
	memset(b + 36, 0xff, 8);
	b[49] = 1;
	b[51] = 4;
	ask(f, fd, b, 56);
	expect_error(f, OFPET_BAD_REQUEST, 1 /* BAD_TYPE */);
	assert_int_equal(f->m->h.xid, 77);
	ask_simple(f, fd, OFPT_ECHO_REQUEST, 78);
	assert_int_equal(f->m->h.type, OFPT_ECHO_REPLY);
	close(fd);
}

static void
role(struct fx *f, int fd, uint32_t r, uint64_t gen)
{
	uint8_t b[24] = {0};
	unsigned i;

	hdr(b, OFPT_ROLE_REQUEST, 24, 30 + r);
	b[11] = (uint8_t)r;
	for (i = 0; i < 8; i++)
		b[16 + i] = (uint8_t)(gen >> (56 - 8 * i));
	ask(f, fd, b, 24);
}

static void
test_roles(void **state)
{
	struct fx *f = *state;
	int x = client(f), y = client(f);

	role(f, x, OFPCR_ROLE_MASTER, 1);
	assert_int_equal(f->m->h.type, OFPT_ROLE_REPLY);
	assert_int_equal(f->m->role.role, OFPCR_ROLE_MASTER);
	role(f, y, OFPCR_ROLE_MASTER, 2);
	assert_int_equal(f->m->role.role, OFPCR_ROLE_MASTER);
	assert_int_equal(f->m->role.generation_id, 2);
	role(f, x, OFPCR_ROLE_NOCHANGE, 0); /* x was demoted */
	assert_int_equal(f->m->role.role, OFPCR_ROLE_SLAVE);
	role(f, x, OFPCR_ROLE_MASTER, 1); /* stale */
	expect_error(f, OFPET_ROLE_REQUEST_FAILED, 0 /* STALE */);
	role(f, x, OFPCR_ROLE_EQUAL, 0);
	assert_int_equal(f->m->role.role, OFPCR_ROLE_EQUAL);
	/* GET/SET_ASYNC per connection. */
	ask_simple(f, y, OFPT_GET_ASYNC_REQUEST, 40);
	assert_int_equal(f->m->async.packet_in_mask[0], 3);
	assert_int_equal(f->m->async.packet_in_mask[1], 0);
	close(x);
	close(y);
}

/* A barrier waits until every PMD has seen the change, and what follows it on
 * the same connection waits too. */
static void
test_barrier_waits(void **state)
{
	struct fx *f = *state;
	uint8_t b[16], r[64];
	int fd = client(f);

	f->sw.change_seq = 5;
	f->sw.visible_seq = 3;
	hdr(b, OFPT_BARRIER_REQUEST, 8, 60);
	hdr(b + 8, OFPT_ECHO_REQUEST, 8, 61);
	assert_int_equal(write(fd, b, 16), 16);
	assert_int_equal(recv_msg(f, fd, r, sizeof(r), 300), 0);
	f->sw.visible_seq = 5;
	assert_int_equal(recv_msg(f, fd, r, sizeof(r), 3000), 8);
	assert_int_equal(r[1], OFPT_BARRIER_REPLY);
	assert_int_equal(recv_msg(f, fd, r, sizeof(r), 3000), 8);
	assert_int_equal(r[1], OFPT_ECHO_REPLY);
	close(fd);
}

struct show {
	struct ofl_dp_info dp;
	unsigned n;
	struct ofl_conn_info c[8];
};

static void
show_dp(const struct ofl_dp_info *d, void *arg)
{
	((struct show *)arg)->dp = *d;
}

static void
show_conn(const struct ofl_conn_info *c, void *arg)
{
	struct show *s = arg;

	if (s->n < 8)
		s->c[s->n++] = *c;
}

static struct show
show(struct fx *f)
{
	struct show s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(ofl_agent_dp_show(f->a, "br0", show_dp, show_conn, &s), 0);
	return s;
}

static int
accept_within(struct fx *f, int lfd, int max_ms)
{
	int waited;

	for (waited = 0; waited < max_ms; waited += 20) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};

		ofl_agent_run_once(f->a, 0);
		if (poll(&p, 1, 20) == 1)
			return accept(lfd, NULL, NULL);
	}
	return -1;
}

/* An active connection: made at once, and made again about 1 s after the
 * controller closes it; a refused connect is shown with its error. */
static void
test_active_reconnect(void **state)
{
	struct fx *f = *state;
	struct ofl_dp_conf dc = {.name = "br0"};
	uint16_t cport = ofl_test_free_port();
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons(cport)};
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1, fd;
	struct timespec t0, t1;
	struct show s;
	uint8_t b[64];
	long ms;

	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	snprintf(dc.listen, sizeof(dc.listen), "ptcp:%u", f->port);
	snprintf(dc.controllers[0], sizeof(dc.controllers[0]), "tcp:127.0.0.1:%u", cport);
	dc.n_controllers = 1;
	assert_int_equal(ofl_agent_dp_set(f->a, &dc, &fake_ops, &f->sw, NULL), 0);
	fd = accept_within(f, lfd, 2000);
	assert_true(fd >= 0);
	assert_int_equal(recv_msg(f, fd, b, sizeof(b), 3000), 16);
	hdr(b, OFPT_HELLO, 8, 1);
	assert_int_equal(write(fd, b, 8), 8);
	ask_simple(f, fd, OFPT_FEATURES_REQUEST, 2);
	assert_int_equal(f->m->features.datapath_id, ofl_dpid_from_name("br0"));
	s = show(f);
	assert_int_equal(s.n, 1);
	assert_true(s.c[0].active);
	assert_string_equal(s.c[0].state, "up");
	assert_string_equal(s.c[0].role, "equal");
	assert_int_equal(s.c[0].version, 4);
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = accept_within(f, lfd, 4000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(fd >= 0);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 900 && ms < 6000); /* the 1 s backoff, with slack for loaded CPUs */
	assert_int_equal(recv_msg(f, fd, b, sizeof(b), 3000), 16); /* its HELLO */
	s = show(f);
	assert_int_equal(s.c[0].n_connects, 2);
	close(fd);
	close(lfd); /* now refused: backoff grows */
	{
		int waited;

		for (waited = 0; waited < 3000; waited += 20) {
			ofl_agent_run_once(f->a, 20);
			s = show(f);
			if (strstr(s.c[0].last_error, "refused") != NULL)
				break;
		}
	}
	assert_non_null(strstr(s.c[0].last_error, "connect: Connection refused"));
	assert_string_equal(s.c[0].state, "backoff");
	assert_int_equal(s.c[0].backoff_ms, 2000);
}

static void
test_listener_only_loopback_and_change(void **state)
{
	struct fx *f = *state;
	struct ofl_dp_conf dc = {.name = "br0"};
	struct iovs_err err = {{0}};
	uint16_t p2 = ofl_test_free_port();
	struct show s = show(f);
	char want[64];
	int busy;

	snprintf(want, sizeof(want), "ptcp:127.0.0.1:%u", f->port);
	assert_string_equal(s.dp.listen, want);
	/* A busy port: refused, and the old listener stays. */
	busy = socket(AF_INET, SOCK_STREAM, 0);
	{
		struct sockaddr_in sin = {.sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
					  .sin_port = htons(p2)};

		assert_int_equal(bind(busy, (struct sockaddr *)&sin, sizeof(sin)), 0);
		assert_int_equal(listen(busy, 1), 0);
	}
	snprintf(dc.listen, sizeof(dc.listen), "127.0.0.1:%u", p2);
	assert_int_equal(ofl_agent_dp_set(f->a, &dc, &fake_ops, &f->sw, &err), -EADDRINUSE);
	assert_non_null(strstr(err.msg, "Address already in use"));
	s = show(f);
	assert_string_equal(s.dp.listen, want);
	close(client(f));
	close(busy);
	/* "none": no listener. */
	snprintf(dc.listen, sizeof(dc.listen), "none");
	assert_int_equal(ofl_agent_dp_set(f->a, &dc, &fake_ops, &f->sw, NULL), 0);
	s = show(f);
	assert_string_equal(s.dp.listen, "");
	assert_int_equal(ofl_agent_dp_del(f->a, "br0"), 0);
	assert_int_equal(ofl_agent_dp_del(f->a, "br0"), -ENOENT);
}

static void
test_target_parse(void **state)
{
	struct ofl_target t;

	(void)state;
	assert_int_equal(ofl_listen_parse("127.0.0.1:6653", &t, NULL), 0);
	assert_int_equal(t.port, 6653);
	assert_int_equal(ofl_listen_parse("ptcp:6654", &t, NULL), 0);
	assert_int_equal(t.port, 6654);
	assert_int_equal(t.addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(ofl_listen_parse("ptcp:6655:0.0.0.0", &t, NULL), 0);
	assert_int_equal(t.addr, 0);
	assert_int_equal(ofl_listen_parse("0", &t, NULL), 0);
	assert_int_equal(t.port, 0);
	assert_int_equal(ofl_listen_parse("ptcp:0", &t, NULL), 0);
	assert_int_equal(t.port, 0);
	assert_int_equal(ofl_listen_parse("localhost:1", &t, NULL), -EINVAL);
	assert_int_equal(ofl_listen_parse("ptcp:70000", &t, NULL), -EINVAL);
	assert_int_equal(ofl_listen_parse("1.2.3.4", &t, NULL), -EINVAL);
	assert_int_equal(ofl_controller_parse("tcp:10.0.0.1:6633", &t, NULL), 0);
	assert_int_equal(t.port, 6633);
	assert_int_equal(ofl_controller_parse("tcp:10.0.0.1", &t, NULL), 0);
	assert_int_equal(t.port, 6653);
	assert_int_equal(ofl_controller_parse("ssl:10.0.0.1:6653", &t, NULL), -EINVAL);
	assert_int_equal(ofl_controller_parse("tcp:10.0.0.1:0", &t, NULL), -EINVAL);
	assert_int_equal(ofl_dpid_from_name("br0") >> 40, 0x02);
	assert_true(ofl_dpid_from_name("br0") != ofl_dpid_from_name("br1"));
	assert_int_equal(ofl_port_speed_bits(10000), OFL_PF_10GB_FD);
	assert_int_equal(ofl_port_speed_bits(2500), OFL_PF_OTHER);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(test_features_desc_config),
		T(test_ports_tables),
		T(test_port_status),
		T(test_unimplemented),
		T(test_roles),
		T(test_barrier_waits),
		T(test_active_reconnect),
		T(test_listener_only_loopback_and_change),
		cmocka_unit_test(test_target_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
