/* ofl_churn: flow_mod churn and flow-install latency against an OpenFlow 1.3
 * switch (iovsd or Open vSwitch's ovs-vswitchd), for bench/coupling.py.
 * It plays a controller over TCP: HELLO, FEATURES, then FLOW_MOD ADD and
 * DELETE_STRICT in turn, paced on CLOCK_MONOTONIC, every K-th followed by a
 * BARRIER_REQUEST; a flow_mod's latency is the time from its send to the
 * reply of the barrier after it. Messages are made with openflow/'s codec
 * (ofl_encode, ofl_decode); the result is one JSON object on stdout. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ofl_msg.h"
#include "ofl_wire.h"

#define NS_PER_S      1000000000ull
#define IN_CAP	      (2 * 65536)	  /* two whole messages of the largest size */
#define OUT_CAP	      (1u << 20)	  /* bytes queued for the switch before pacing stalls */
#define SENT_RING     (1u << 20)	  /* flow_mods awaiting their barrier reply */
#define BARRIER_RING  (1u << 16)	  /* barriers awaiting their reply */
#define N_BUCKETS     40		  /* log2 buckets of microseconds */
#define CHURN_COOKIE  0x6f666c6368726eull /* "oflchrn": marks our rules for the clean-up */
#define ETH_TYPE_IPV4 0x0800

struct opts {
	struct sockaddr_in target;
	const char *target_str;
	double rate;		/* flow_mods per second; 0: as fast as the window allows */
	double duration;	/* seconds of sending */
	unsigned barrier_every; /* 0: only one barrier at the end */
	unsigned window;	/* rate 0: barriers in flight at most */
	uint32_t max_inflight;	/* flow_mods sent and not yet answered, at most */
	uint8_t table;
	uint16_t priority;
	uint32_t in_port;
	uint32_t out_port;
	uint32_t net;  /* host order, the /16 the churn rules live in */
	uint32_t pool; /* distinct addresses used */
	uint32_t live; /* churn rules installed at once */
	double connect_timeout;
	double drain_timeout;
	bool cleanup;
};

struct conn {
	int fd;
	uint8_t in[IN_CAP];
	size_t in_len;
	uint8_t *out;
	size_t out_len, out_off;
	uint32_t next_xid;
	uint8_t peer_version;
	bool got_hello, got_features;
	uint64_t dpid;
	const char *error; /* set when the connection is unusable */
	char error_buf[256];
};

struct barrier {
	uint32_t xid;
	uint64_t end_op; /* the flow_mods before this op index are covered */
	bool cleanup;
};

struct stats {
	uint64_t n_sent, n_add, n_del, n_acked, n_barriers, n_barrier_replies;
	uint64_t n_errors, n_echo, n_other_rx, n_unmatched_replies;
	uint64_t n_unacked;  /* no BARRIER_REPLY before the end: latency is a lower bound */
	uint64_t max_lag_ns; /* how late a flow_mod went out against its schedule */
	uint64_t n_stalled;  /* times sending waited for the switch (queue or window full) */
	bool have_first_error;
	char first_error[384];
	uint64_t *lat_ns;
	size_t n_lat, cap_lat;
	uint64_t buckets[N_BUCKETS];
};

static struct ofl_msg g_msg;  /* decode target: ~41 KB, one for the whole run */
static struct ofl_msg g_tmpl; /* encode scratch */
static uint64_t g_sent_ns[SENT_RING];
static struct barrier g_bar[BARRIER_RING];
static uint64_t g_bar_head, g_bar_tail; /* FIFO of barriers in flight */
static uint64_t g_acked_op;		/* flow_mods before this index have their latency */
static uint64_t g_last_ack_ns;
static bool g_timed = true; /* flow_mods get a latency */
static volatile sig_atomic_t g_stop;
static struct stats g_st;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void
on_signal(int sig)
{
	(void)sig;
	g_stop = g_stop + 1; /* a second signal abandons the drain */
}

__attribute__((format(printf, 2, 3))) static void
conn_fail(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	if (c->error != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(c->error_buf, sizeof(c->error_buf), fmt, ap);
	va_end(ap);
	c->error = c->error_buf;
}

/* ---- output: everything goes through one queue, written without blocking ---- */

static void
conn_flush(struct conn *c)
{
	while (c->error == NULL && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				conn_fail(c, "the switch closed the connection (send: %s)",
					  strerror(errno));
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_fail(c, "send to the switch: %s", strerror(errno));
			break;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = 0;
		c->out_len = 0;
	} else if (c->out_off > OUT_CAP / 2) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
}

static size_t
conn_queued(const struct conn *c)
{
	return c->out_len - c->out_off;
}

/* Encodes 'm' (its xid set here) at the end of the output queue. Returns the
 * xid, or 0 with the connection failed if the codec refuses the message. */
static uint32_t
conn_queue(struct conn *c, struct ofl_msg *m)
{
	int n;

	m->h.version = OFP13_VERSION;
	m->h.xid = c->next_xid++;
	if (c->next_xid == 0)
		c->next_xid = 1;
	n = ofl_encode(m, c->out + c->out_len, 2 * OUT_CAP - c->out_len);
	if (n < 0) {
		conn_fail(c, "cannot encode %s: %s", ofl_type_name(m->h.type), strerror(-n));
		return 0;
	}
	c->out_len += (size_t)n;
	return m->h.xid;
}

static uint32_t
queue_empty_msg(struct conn *c, uint8_t type)
{
	memset(&g_tmpl.h, 0, sizeof(g_tmpl.h));
	g_tmpl.h.type = type;
	return conn_queue(c, &g_tmpl);
}

/* ---- flow_mods ---- */

static void
oxm_set(struct ofl_oxm *f, uint8_t field, uint8_t len, uint32_t value, uint32_t mask)
{
	memset(f, 0, sizeof(*f));
	f->field = field;
	f->len = len;
	for (unsigned i = 0; i < len; i++)
		f->value[i] = (uint8_t)(value >> (8 * (len - 1 - i)));
	if (mask != UINT32_MAX) {
		f->has_mask = true;
		for (unsigned i = 0; i < len; i++)
			f->mask[i] = (uint8_t)(mask >> (8 * (len - 1 - i)));
	}
}

/* The churn rules' shape: in_port, eth_type=IPv4, ipv4_dst (exact, or the
 * whole /16 for the clean-up), the same as the benchmark's installed rules. */
static void
fill_flow_mod(const struct opts *o, uint8_t command, uint32_t dst, uint32_t dst_mask)
{
	struct ofl_flow_mod *fm = &g_tmpl.flow_mod;

	memset(&g_tmpl, 0, offsetof(struct ofl_msg, flow_mod) + sizeof(*fm));
	g_tmpl.h.type = OFPT_FLOW_MOD;
	fm->cookie = CHURN_COOKIE;
	fm->cookie_mask = command == OFPFC_DELETE ? UINT64_MAX : 0;
	fm->table_id = o->table;
	fm->command = command;
	fm->priority = o->priority;
	fm->buffer_id = OFP_NO_BUFFER;
	fm->out_port = OFPP_ANY;
	fm->out_group = OFPG_ANY;
	fm->match.n = 3;
	oxm_set(&fm->match.f[0], OFPXMT_OFB_IN_PORT, 4, o->in_port, UINT32_MAX);
	oxm_set(&fm->match.f[1], OFPXMT_OFB_ETH_TYPE, 2, ETH_TYPE_IPV4, UINT32_MAX);
	oxm_set(&fm->match.f[2], OFPXMT_OFB_IPV4_DST, 4, dst, dst_mask);
	if (command == OFPFC_ADD) {
		fm->ins.n = 1;
		fm->ins.order[0] = OFPIT_APPLY_ACTIONS;
		fm->ins.apply.n = 1;
		fm->ins.apply.a[0].type = OFPAT_OUTPUT;
		fm->ins.apply.a[0].output.port = o->out_port;
		fm->ins.apply.a[0].output.max_len = OFPCML_NO_BUFFER;
	}
}

/* Flow_mod number 'op': even ones add address op/2 of the pool, odd ones
 * delete the address added live-1 pairs earlier (with live 1: the same). */
static uint32_t
op_addr(const struct opts *o, uint64_t op)
{
	uint64_t pair = op / 2;

	if (op % 2 == 1)
		pair += o->pool - (o->live - 1);
	return o->net + (uint32_t)(pair % o->pool);
}

static void
queue_barrier(struct conn *c, uint64_t end_op, bool cleanup)
{
	struct barrier *b = &g_bar[g_bar_tail % BARRIER_RING];

	b->xid = queue_empty_msg(c, OFPT_BARRIER_REQUEST);
	b->end_op = end_op;
	b->cleanup = cleanup;
	g_bar_tail++;
	g_st.n_barriers++;
}

static void
queue_churn_op(struct conn *c, const struct opts *o, uint64_t op, uint64_t t)
{
	bool add = op % 2 == 0;

	fill_flow_mod(o, add ? OFPFC_ADD : OFPFC_DELETE_STRICT, op_addr(o, op), UINT32_MAX);
	if (conn_queue(c, &g_tmpl) == 0)
		return;
	g_sent_ns[op % SENT_RING] = t;
	g_st.n_sent++;
	if (add)
		g_st.n_add++;
	else
		g_st.n_del++;
	if (o->barrier_every > 0 && (op + 1) % o->barrier_every == 0)
		queue_barrier(c, op + 1, false);
}

/* ---- latency bookkeeping ---- */

static void
record_latency(uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned b = 0;

	while (us >= 2 && b < N_BUCKETS - 1) {
		us >>= 1;
		b++;
	}
	g_st.buckets[b]++;
	if (g_st.n_lat == g_st.cap_lat) {
		size_t cap = g_st.cap_lat ? 2 * g_st.cap_lat : 65536;
		uint64_t *p = realloc(g_st.lat_ns, cap * sizeof(*p));

		if (p == NULL)
			return; /* the histogram still counts it */
		g_st.lat_ns = p;
		g_st.cap_lat = cap;
	}
	g_st.lat_ns[g_st.n_lat++] = ns;
}

/* A BARRIER_REPLY: the flow_mods before its barrier are visible. Replies come
 * in order; a barrier passed over (never answered) still covers its ops. */
static void
on_barrier_reply(uint32_t xid, uint64_t t)
{
	uint64_t i;

	for (i = g_bar_head; i < g_bar_tail; i++)
		if (g_bar[i % BARRIER_RING].xid == xid)
			break;
	if (i == g_bar_tail) {
		g_st.n_unmatched_replies++;
		return;
	}
	if (!g_bar[i % BARRIER_RING].cleanup) {
		g_st.n_barrier_replies++;
		g_last_ack_ns = t;
	}
	for (; g_bar_head <= i; g_bar_head++) {
		const struct barrier *b = &g_bar[g_bar_head % BARRIER_RING];

		for (; g_acked_op < b->end_op; g_acked_op++) {
			g_st.n_acked++;
			if (g_timed) /* not with --barrier-every 0: one barrier for all */
				record_latency(t - g_sent_ns[g_acked_op % SENT_RING]);
		}
	}
}

/* Flow_mods still without a reply when the run ends get the time they have
 * waited so far: a lower bound, so that a stuck switch cannot look fast. */
static void
censor_unacked(uint64_t n_ops)
{
	uint64_t t = now_ns();

	for (; g_timed && g_acked_op < n_ops; g_acked_op++) {
		g_st.n_unacked++;
		record_latency(t - g_sent_ns[g_acked_op % SENT_RING]);
	}
}

/* ---- input ---- */

static void
on_error_msg(const struct ofl_msg *m, const uint8_t *raw)
{
	const struct ofl_error *e = &m->error;
	const char *name = "?";
	char what[96] = "";

	g_st.n_errors++;
	if (g_st.have_first_error)
		return;
	for (int i = OFL_ERR_BASE; i < OFL_E__END; i++) {
		const struct ofl_err_wire *w = ofl_err_wire(i);

		if (w != NULL && w->type == e->type && w->code == e->code) {
			name = w->name;
			break;
		}
	}
	if (e->data_len >= 8) {
		snprintf(what, sizeof(what), " to %s", ofl_type_name(e->data[1]));
		if (e->data[1] == OFPT_FLOW_MOD &&
		    e->data_len > offsetof(struct ofp_flow_mod, command))
			snprintf(what, sizeof(what), " to FLOW_MOD command %u",
				 e->data[offsetof(struct ofp_flow_mod, command)]);
	}
	snprintf(g_st.first_error, sizeof(g_st.first_error),
		 "OFPT_ERROR type %u code %u (%s)%s, xid %" PRIu32, e->type, e->code, name, what,
		 (uint32_t)(raw[4] << 24 | raw[5] << 16 | raw[6] << 8 | raw[7]));
	g_st.have_first_error = true;
	fprintf(stderr, "ofl_churn: first error from the switch: %s\n", g_st.first_error);
}

static void
on_hello(struct conn *c, const struct ofl_msg *m)
{
	const struct ofl_hello *h = &m->hello;
	bool ok = m->h.version >= OFP13_VERSION;

	if (h->has_bitmap && h->n_words > 0)
		ok = (h->bitmap[0] >> OFP13_VERSION) & 1;
	if (!ok)
		conn_fail(c, "the switch does not speak OpenFlow 1.3 (its HELLO: version 0x%02x)",
			  m->h.version);
	c->peer_version = m->h.version;
	c->got_hello = true;
}

static void
on_message(struct conn *c, const uint8_t *p, size_t len, uint64_t t)
{
	uint8_t type = p[1];
	uint32_t xid = (uint32_t)(p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7]);
	struct iovs_err err = {{0}};
	int echo_len;

	if (type == OFPT_BARRIER_REPLY) {
		on_barrier_reply(xid, t);
		return;
	}
	if (type != OFPT_HELLO && type != OFPT_ERROR && type != OFPT_ECHO_REQUEST &&
	    type != OFPT_FEATURES_REPLY) {
		g_st.n_other_rx++; /* port status, packet-in, ...: read and dropped */
		return;
	}
	if (ofl_decode(p, len, &g_msg, &err) != 0) {
		if (type == OFPT_ERROR)
			g_st.n_errors++;
		else
			conn_fail(c, "undecodable %s from the switch: %s", ofl_type_name(type),
				  err.msg);
		return;
	}
	switch (type) {
	case OFPT_HELLO:
		on_hello(c, &g_msg);
		break;
	case OFPT_ERROR:
		on_error_msg(&g_msg, p);
		if (!c->got_features && g_msg.error.type == OFPET_HELLO_FAILED)
			conn_fail(c, "the switch refused our HELLO: %s", g_st.first_error);
		break;
	case OFPT_ECHO_REQUEST:
		g_st.n_echo++;
		g_msg.h.type = OFPT_ECHO_REPLY;
		g_msg.h.version = OFP13_VERSION; /* same xid and data */
		echo_len = ofl_encode(&g_msg, c->out + c->out_len, 2 * OUT_CAP - c->out_len);
		if (echo_len > 0)
			c->out_len += (size_t)echo_len;
		break;
	case OFPT_FEATURES_REPLY:
		c->dpid = g_msg.features.datapath_id;
		c->got_features = true;
		break;
	}
}

/* Reads what the switch sent (all of it, without blocking) and handles each
 * whole message. */
static void
conn_read(struct conn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, MSG_DONTWAIT);
		uint64_t t = now_ns();
		size_t off = 0;

		if (n == 0) {
			conn_fail(c, "the switch closed the connection");
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_fail(c, "receive from the switch: %s", strerror(errno));
			return;
		}
		c->in_len += (size_t)n;
		while (c->error == NULL) {
			int len = ofl_msg_frame_len(c->in + off, c->in_len - off);

			if (len < 0) {
				conn_fail(c, "bad OpenFlow framing from the switch");
				return;
			}
			if (len == 0 || (size_t)len > c->in_len - off)
				break;
			on_message(c, c->in + off, (size_t)len, t);
			off += (size_t)len;
		}
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
}

/* ---- waiting ---- */

/* Sleeps until the socket is readable (or writable while output is queued)
 * or 'ns' have passed. */
static void
wait_io(const struct conn *c, uint64_t ns)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	struct timespec ts = {.tv_sec = (time_t)(ns / NS_PER_S), .tv_nsec = (long)(ns % NS_PER_S)};

	if (conn_queued(c) > 0)
		p.events |= POLLOUT;
	(void)ppoll(&p, 1, &ts, NULL);
}

/* Runs the connection until 'done' or 'deadline'. A second signal gives up. */
static bool
pump_until(struct conn *c, bool (*done)(const struct conn *), uint64_t deadline)
{
	while (c->error == NULL && !done(c)) {
		uint64_t t = now_ns();

		if (t >= deadline || g_stop >= 2)
			return false;
		conn_flush(c);
		wait_io(c, deadline - t);
		conn_read(c);
	}
	return c->error == NULL;
}

static bool
handshake_done(const struct conn *c)
{
	return c->got_hello && c->got_features;
}

static bool
barriers_done(const struct conn *c)
{
	(void)c;
	return g_bar_head == g_bar_tail;
}

/* ---- connection set-up ---- */

static int
connect_once(const struct opts *o, uint64_t deadline)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&o->target, sizeof(o->target)) != 0) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		uint64_t t = now_ns();
		int ms = t < deadline ? (int)((deadline - t) / 1000000) + 1 : 1;

		if (errno != EINPROGRESS) {
			soerr = errno;
		} else if (poll(&p, 1, ms) != 1) {
			soerr = ETIMEDOUT;
		} else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) {
			soerr = errno;
		}
		if (soerr != 0) {
			close(fd);
			return -soerr;
		}
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Connects (retrying while refused: the switch may still be starting), then
 * HELLO and FEATURES. */
static int
conn_open(struct conn *c, const struct opts *o)
{
	uint64_t deadline = now_ns() + (uint64_t)(o->connect_timeout * NS_PER_S);
	int fd;

	for (;;) {
		struct timespec pause = {0, 100000000};

		fd = connect_once(o, deadline);
		if (fd >= 0)
			break;
		if (fd != -ECONNREFUSED || now_ns() >= deadline || g_stop) {
			conn_fail(c, "connect to %s: %s", o->target_str, strerror(-fd));
			return -1;
		}
		nanosleep(&pause, NULL);
	}
	c->fd = fd;
	memset(&g_tmpl.h, 0, sizeof(g_tmpl.h));
	g_tmpl.h.type = OFPT_HELLO;
	g_tmpl.hello = (struct ofl_hello){.has_bitmap = true, .n_words = 1};
	g_tmpl.hello.bitmap[0] = 1u << OFP13_VERSION;
	conn_queue(c, &g_tmpl);
	queue_empty_msg(c, OFPT_FEATURES_REQUEST);
	if (!pump_until(c, handshake_done, deadline)) {
		conn_fail(c, "no HELLO and FEATURES_REPLY from %s within %.1f s", o->target_str,
			  o->connect_timeout);
		return -1;
	}
	return 0;
}

/* ---- the churn ---- */

static bool
can_send(const struct conn *c, const struct opts *o, uint64_t op)
{
	uint64_t in_flight = g_bar_tail - g_bar_head;

	if (conn_queued(c) >= OUT_CAP ||
	    (o->barrier_every > 0 && op - g_acked_op >= o->max_inflight) ||
	    in_flight >= BARRIER_RING - 1)
		return false;
	return o->rate > 0 || o->barrier_every == 0 || in_flight < o->window;
}

/* Sends flow_mods for 'duration' seconds, each at its slot t0 + op / rate
 * (late ones go out as soon as the switch takes them). Returns the count. */
static uint64_t
churn(struct conn *c, const struct opts *o, uint64_t t0)
{
	uint64_t t_end = t0 + (uint64_t)(o->duration * NS_PER_S), op = 0;
	double period = o->rate > 0 ? NS_PER_S / o->rate : 0;

	while (!g_stop && c->error == NULL) {
		uint64_t t = now_ns(), wake = t_end;

		if (t >= t_end)
			break;
		conn_read(c);
		t = now_ns();
		while (c->error == NULL && t < t_end) {
			uint64_t due = o->rate > 0 ? t0 + (uint64_t)((double)op * period) : t;

			if (due > t) {
				wake = due < t_end ? due : t_end;
				break;
			}
			if (!can_send(c, o, op)) {
				g_st.n_stalled++;
				break;
			}
			if (t - due > g_st.max_lag_ns)
				g_st.max_lag_ns = t - due;
			queue_churn_op(c, o, op++, t);
			if (o->rate > 0) {
				conn_flush(c);
				t = now_ns();
			}
		}
		conn_flush(c);
		t = now_ns();
		if (wake > t)
			wait_io(c, wake - t);
	}
	return op;
}

/* ---- the report ---- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank on the sorted samples, in microseconds. */
static double
pct_us(double p)
{
	size_t k;

	if (g_st.n_lat == 0)
		return 0;
	k = (size_t)(p * (double)g_st.n_lat + 0.999999);
	k = k == 0 ? 0 : k - 1;
	if (k >= g_st.n_lat)
		k = g_st.n_lat - 1;
	return (double)g_st.lat_ns[k] / 1000.0;
}

static void
json_str(const char *s)
{
	putchar('"');
	for (; s != NULL && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void
print_cpus(void)
{
	cpu_set_t set;
	bool first = true;

	printf("[");
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set)) {
				printf("%s%d", first ? "" : ", ", i);
				first = false;
			}
	printf("]");
}

static void
print_latency(void)
{
	double sum = 0;
	bool first = true;

	qsort(g_st.lat_ns, g_st.n_lat, sizeof(*g_st.lat_ns), cmp_u64);
	for (size_t i = 0; i < g_st.n_lat; i++)
		sum += (double)g_st.lat_ns[i];
	printf("  \"latency_us\": {\"count\": %zu, \"mean\": %.1f, \"p50\": %.1f, \"p90\": %.1f, "
	       "\"p99\": %.1f, \"p999\": %.1f, \"max\": %.1f},\n",
	       g_st.n_lat, g_st.n_lat ? sum / (double)g_st.n_lat / 1000.0 : 0.0, pct_us(0.50),
	       pct_us(0.90), pct_us(0.99), pct_us(0.999), pct_us(1.0));
	printf("  \"histogram_log2_us\": [");
	for (unsigned b = 0; b < N_BUCKETS; b++) {
		if (g_st.buckets[b] == 0)
			continue;
		printf("%s{\"lo\": %llu, \"hi\": %llu, \"count\": %" PRIu64 "}", first ? "" : ", ",
		       b == 0 ? 0ull : 1ull << b, 1ull << (b + 1), g_st.buckets[b]);
		first = false;
	}
	printf("],\n");
}

struct outcome {
	const char *error;
	uint64_t dpid;
	double send_s, ack_s;
	bool drained;
	const char *cleanup;
};

static void
report(const struct opts *o, const struct outcome *r)
{
	char net[INET_ADDRSTRLEN];
	struct in_addr a = {.s_addr = htonl(o->net)};

	inet_ntop(AF_INET, &a, net, sizeof(net));
	printf("{\n  \"tool\": \"ofl_churn\",\n  \"ok\": %s,\n  \"error\": ",
	       r->error ? "false" : "true");
	if (r->error)
		json_str(r->error);
	else
		printf("null");
	printf(",\n  \"target\": ");
	json_str(o->target_str);
	printf(",\n  \"datapath_id\": \"%016" PRIx64 "\",\n  \"cpus\": ", r->dpid);
	print_cpus();
	printf(",\n  \"params\": {\"rate\": %g, \"duration_s\": %g, \"barrier_every\": %u, "
	       "\"window\": %u, \"max_inflight\": %" PRIu32
	       ", \"table\": %u, \"priority\": %u, \"in_port\": %" PRIu32 ", \"out_port\": %" PRIu32
	       ", \"net\": \"%s/16\", \"pool\": %" PRIu32 ", \"live\": %" PRIu32 "},\n",
	       o->rate, o->duration, o->barrier_every, o->window, o->max_inflight, o->table,
	       o->priority, o->in_port, o->out_port, net, o->pool, o->live);
	printf("  \"send_s\": %.3f,\n  \"n_sent\": %" PRIu64 ",\n  \"n_add\": %" PRIu64
	       ",\n  \"n_delete\": %" PRIu64 ",\n  \"achieved_rate\": %.1f,\n",
	       r->send_s, g_st.n_sent, g_st.n_add, g_st.n_del,
	       r->send_s > 0 ? (double)g_st.n_sent / r->send_s : 0.0);
	printf("  \"n_acked\": %" PRIu64 ",\n  \"acked_rate\": %.1f,\n  \"n_errors\": %" PRIu64
	       ",\n  \"first_error\": ",
	       g_st.n_acked, r->ack_s > 0 ? (double)g_st.n_acked / r->ack_s : 0.0, g_st.n_errors);
	if (g_st.have_first_error)
		json_str(g_st.first_error);
	else
		printf("null");
	printf(",\n  \"n_barriers\": %" PRIu64 ",\n  \"n_barrier_replies\": %" PRIu64
	       ",\n  \"n_unmatched_replies\": %" PRIu64 ",\n  \"n_echo\": %" PRIu64
	       ",\n  \"n_other_rx\": %" PRIu64
	       ",\n  \"max_lag_us\": %.1f,\n  \"n_stalled\": %" PRIu64
	       ",\n  \"drained\": %s,\n  \"n_unacked\": %" PRIu64 ",\n  \"cleanup\": \"%s\",\n",
	       g_st.n_barriers, g_st.n_barrier_replies, g_st.n_unmatched_replies, g_st.n_echo,
	       g_st.n_other_rx, (double)g_st.max_lag_ns / 1000.0, g_st.n_stalled,
	       r->drained ? "true" : "false", g_st.n_unacked, r->cleanup);
	print_latency();
	printf("  \"latency_definition\": \"per flow_mod: its send -> the BARRIER_REPLY of the "
	       "first barrier after it; a flow_mod unanswered at the end (n_unacked) counts with "
	       "the time it waited, a lower bound\"\n}\n");
	fflush(stdout);
}

/* ---- options ---- */

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: ofl_churn --target tcp:IP[:PORT] [OPTIONS]\n"
		"Plays an OpenFlow 1.3 controller: FLOW_MOD ADD / DELETE_STRICT in turn at a\n"
		"steady rate, with BARRIER_REQUESTs to time each flow_mod until the switch says\n"
		"it is in force. Prints one JSON object (bench/README.md, coupling).\n\n"
		"  --target tcp:IP[:PORT]  the switch's OpenFlow listener (port 6653 by default)\n"
		"  --rate R                flow_mods per second, paced evenly (default 100);\n"
		"                          0: as fast as --window allows\n"
		"  --duration S            seconds of sending (default 10)\n"
		"  --barrier-every K       a BARRIER_REQUEST after every K flow_mods (default 1);\n"
		"                          0: one at the end only (no latency per flow_mod)\n"
		"  --window W              rate 0: barriers in flight at most (default 16)\n"
		"  --max-inflight N        flow_mods sent and not answered by a barrier, at most:\n"
		"                          beyond it sending waits, the rate falls (default 1000)\n"
		"  --table T               table of the churn rules (default 0)\n"
		"  --priority P            their priority (default 100)\n"
		"  --in-port N             their match: in_port=N (default 1), ip,\n"
		"  --net A.B.0.0           ... nw_dst in this /16 (default 10.252.0.0)\n"
		"  --out-port N            their action: output:N (default 2)\n"
		"  --pool N                distinct addresses cycled through (default 65536)\n"
		"  --live L                churn rules installed at once (default 1)\n"
		"  --connect-timeout S     connection and handshake (default 10)\n"
		"  --drain-timeout S       waiting for the last barrier replies (default 10)\n"
		"  --no-cleanup            leave the churn rules (default: one DELETE at the end)\n"
		"Exit status: 0 done, 1 connection or protocol failure, 2 usage.\n");
}

static bool
parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool
parse_target(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon;
	double port = 6653;

	if (strncmp(s, "tcp:", 4) != 0)
		return false;
	s += 4;
	colon = strchr(s, ':');
	if ((colon ? (size_t)(colon - s) : strlen(s)) >= sizeof(host))
		return false;
	snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - s) : (int)strlen(s), s);
	if (colon && !parse_num(colon + 1, 1, 65535, &port))
		return false;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"target", required_argument, NULL, 't'},
		{"rate", required_argument, NULL, 'r'},
		{"duration", required_argument, NULL, 'd'},
		{"barrier-every", required_argument, NULL, 'b'},
		{"window", required_argument, NULL, 'w'},
		{"max-inflight", required_argument, NULL, 'm'},
		{"table", required_argument, NULL, 'T'},
		{"priority", required_argument, NULL, 'p'},
		{"in-port", required_argument, NULL, 'i'},
		{"out-port", required_argument, NULL, 'o'},
		{"net", required_argument, NULL, 'n'},
		{"pool", required_argument, NULL, 'P'},
		{"live", required_argument, NULL, 'l'},
		{"connect-timeout", required_argument, NULL, 'c'},
		{"drain-timeout", required_argument, NULL, 'D'},
		{"no-cleanup", no_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct in_addr net;
	double v;
	int ch;

	*o = (struct opts){.rate = 100,
			   .duration = 10,
			   .barrier_every = 1,
			   .window = 16,
			   .max_inflight = 1000,
			   .priority = 100,
			   .in_port = 1,
			   .out_port = 2,
			   .net = 0x0afc0000,
			   .pool = 65536,
			   .live = 1,
			   .connect_timeout = 10,
			   .drain_timeout = 10,
			   .cleanup = true};
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		bool ok = true;

		switch (ch) {
		case 't':
			o->target_str = optarg;
			ok = parse_target(optarg, &o->target);
			break;
		case 'r':
			ok = parse_num(optarg, 0, 1e7, &o->rate);
			break;
		case 'd':
			ok = parse_num(optarg, 0.001, 86400, &o->duration);
			break;
		case 'b':
			ok = parse_num(optarg, 0, 1 << 16, &v) && v == (unsigned)v;
			o->barrier_every = (unsigned)v;
			break;
		case 'w':
			ok = parse_num(optarg, 1, BARRIER_RING / 2, &v) && v == (unsigned)v;
			o->window = (unsigned)v;
			break;
		case 'm':
			ok = parse_num(optarg, 1, SENT_RING - 1, &v) && v == (uint32_t)v;
			o->max_inflight = (uint32_t)v;
			break;
		case 'T':
			ok = parse_num(optarg, 0, 254, &v) && v == (uint8_t)v;
			o->table = (uint8_t)v;
			break;
		case 'p':
			ok = parse_num(optarg, 0, 65535, &v) && v == (uint16_t)v;
			o->priority = (uint16_t)v;
			break;
		case 'i':
		case 'o':
			ok = parse_num(optarg, 1, 0xffffff00, &v) && v == (uint32_t)v;
			*(ch == 'i' ? &o->in_port : &o->out_port) = (uint32_t)v;
			break;
		case 'n':
			ok = inet_pton(AF_INET, optarg, &net) == 1 &&
			     (ntohl(net.s_addr) & 0xffff) == 0;
			o->net = ntohl(net.s_addr);
			break;
		case 'P':
		case 'l':
			ok = parse_num(optarg, 1, 65536, &v) && v == (uint32_t)v;
			*(ch == 'P' ? &o->pool : &o->live) = (uint32_t)v;
			break;
		case 'c':
		case 'D':
			ok = parse_num(optarg, 0.1, 3600,
				       ch == 'c' ? &o->connect_timeout : &o->drain_timeout);
			break;
		case 'N':
			o->cleanup = false;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
		if (!ok) {
			const struct option *opt = lo;

			while (opt->name != NULL && opt->val != ch)
				opt++;
			fprintf(stderr, "ofl_churn: --%s %s: invalid value\n", opt->name, optarg);
			return -1;
		}
	}
	if (optind != argc || o->target_str == NULL) {
		fprintf(stderr, "ofl_churn: %s\n",
			o->target_str ? "unexpected arguments" : "--target is required");
		return -1;
	}
	if (o->barrier_every > o->max_inflight) {
		fprintf(stderr, "ofl_churn: --max-inflight must be at least --barrier-every\n");
		return -1;
	}
	if (o->live >= o->pool) {
		fprintf(stderr, "ofl_churn: --live must be smaller than --pool\n");
		return -1;
	}
	return 0;
}

/* ---- main ---- */

static void
send_cleanup(struct conn *c, const struct opts *o, uint64_t n_ops, struct outcome *r)
{
	fill_flow_mod(o, OFPFC_DELETE, o->net, 0xffff0000u);
	if (conn_queue(c, &g_tmpl) == 0)
		return;
	queue_barrier(c, n_ops, true);
	g_st.n_barriers--; /* not one of the churn's */
	r->cleanup =
		pump_until(c, barriers_done, now_ns() + (uint64_t)(o->drain_timeout * NS_PER_S))
			? "ok"
			: "timeout";
}

int
main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct outcome r = {.cleanup = "skipped"};
	static struct conn c;
	struct opts o;
	uint64_t t0, n_ops;

	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	g_timed = o.barrier_every > 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0); /* pace to ~1 us, not 50 us */
	c.fd = -1;
	c.next_xid = 1;
	c.out = malloc(2 * OUT_CAP);
	if (c.out == NULL) {
		fprintf(stderr, "ofl_churn: out of memory\n");
		return 1;
	}
	if (conn_open(&c, &o) == 0) {
		r.dpid = c.dpid;
		fprintf(stderr, "ofl_churn: connected to %s (datapath %016" PRIx64 "), sending\n",
			o.target_str, c.dpid);
		t0 = now_ns();
		n_ops = churn(&c, &o, t0);
		r.send_s = (double)(now_ns() - t0) / NS_PER_S;
		if (c.error == NULL && n_ops > g_acked_op &&
		    (g_bar_head == g_bar_tail ||
		     g_bar[(g_bar_tail - 1) % BARRIER_RING].end_op < n_ops))
			queue_barrier(&c, n_ops, false);
		r.drained = pump_until(&c, barriers_done,
				       now_ns() + (uint64_t)(o.drain_timeout * NS_PER_S)) &&
			    g_acked_op == n_ops;
		censor_unacked(n_ops);
		r.ack_s = g_st.n_acked ? (double)(g_last_ack_ns - t0) / NS_PER_S : 0;
		if (o.cleanup && c.error == NULL)
			send_cleanup(&c, &o, n_ops, &r);
	}
	if (c.fd >= 0)
		close(c.fd);
	r.error = c.error;
	if (r.error != NULL)
		fprintf(stderr, "ofl_churn: %s\n", r.error);
	report(&o, &r);
	free(c.out);
	free(g_st.lat_ns);
	return r.error != NULL ? 1 : 0;
}
