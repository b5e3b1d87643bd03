/* ofl_conn over a socketpair: framing (split messages, several per read, 64 KB
 * messages, bad lengths), HELLO negotiation both ways, echo and keep-alive,
 * refusals answered and the connection kept, role/generation rules, slaves
 * refused, async defaults, and the output-queue cap. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "ofl_conn.h"
#include "ofl_wire.h"

struct fx {
	struct ofl_conn *c;
	int peer;
	unsigned n_cb;
	uint8_t last_type;
};

static const struct ofl_conn_params params = {.probe_interval_ms = 5000};

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(ofl_conn_create(sv[0], &params, 1000, &f->c), 0);
	f->peer = sv[1];
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	ofl_conn_destroy(f->c);
	close(f->peer);
	free(f);
	return 0;
}

static int
cb(void *arg, struct ofl_conn *c, const struct ofl_msg *m, const uint8_t *raw, size_t len)
{
	struct fx *f = arg;

	(void)c;
	(void)raw;
	(void)len;
	f->n_cb++;
	f->last_type = m->h.type;
	return 0;
}

static void
put(int fd, const void *b, size_t n)
{
	assert_int_equal(write(fd, b, n), (ssize_t)n);
}

/* Reads one whole message from the peer side (waits up to 2 s). */
static size_t
get(int fd, uint8_t *buf, size_t cap)
{
	size_t have = 0, want = 8;
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (have < want) {
		ssize_t n;

		assert_true(poll(&p, 1, 2000) == 1);
		n = read(fd, buf + have, want - have);
		assert_true(n > 0);
		have += (size_t)n;
		if (have >= 4 && want == 8)
			want = (size_t)(buf[2] << 8 | buf[3]);
		assert_true(want >= 8 && want <= cap);
	}
	return have;
}

static bool
nothing(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 0;
}

static void
hdr(uint8_t *b, uint8_t version, uint8_t type, uint16_t len, uint32_t xid)
{
	b[0] = version;
	b[1] = type;
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	b[4] = (uint8_t)(xid >> 24);
	b[5] = (uint8_t)(xid >> 16);
	b[6] = (uint8_t)(xid >> 8);
	b[7] = (uint8_t)xid;
}

static void
expect_error(int fd, uint16_t type, uint16_t code, uint32_t xid)
{
	uint8_t b[256];
	size_t n = get(fd, b, sizeof(b));

	assert_true(n >= 12);
	assert_int_equal(b[1], OFPT_ERROR);
	assert_int_equal(b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7], xid);
	assert_int_equal(b[8] << 8 | b[9], type);
	assert_int_equal(b[10] << 8 | b[11], code);
}

/* Our HELLO: version 4 with a bitmap of exactly 1.3. */
static void
our_hello(struct fx *f)
{
	uint8_t b[64];

	assert_int_equal(get(f->peer, b, sizeof(b)), 16);
	assert_int_equal(b[0], 4);
	assert_int_equal(b[1], OFPT_HELLO);
	assert_int_equal(b[9], OFPHET_VERSIONBITMAP);
	assert_int_equal(b[15], 1u << 4);
}

static void
peer_hello_bitmap(struct fx *f, uint8_t version, uint32_t bitmap)
{
	uint8_t b[16];

	hdr(b, version, OFPT_HELLO, 16, 7);
	b[8] = 0;
	b[9] = OFPHET_VERSIONBITMAP;
	b[10] = 0;
	b[11] = 8;
	b[12] = (uint8_t)(bitmap >> 24);
	b[13] = (uint8_t)(bitmap >> 16);
	b[14] = (uint8_t)(bitmap >> 8);
	b[15] = (uint8_t)bitmap;
	put(f->peer, b, sizeof(b));
}

static void
up(struct fx *f)
{
	our_hello(f);
	peer_hello_bitmap(f, 4, (1u << 1) | (1u << 4));
	assert_int_equal(ofl_conn_recv(f->c, 1000, cb, f), 0);
	assert_int_equal(f->c->state, OFL_CONN_UP);
}

static void
test_hello_bitmap(void **state)
{
	struct fx *f = *state;

	assert_int_equal(f->c->state, OFL_CONN_HELLO);
	up(f);
	assert_int_equal(f->c->version, 4);
	assert_int_equal(f->n_cb, 0);
}

static void
test_hello_plain_versions(void **state)
{
	struct fx *f = *state;
	uint8_t b[8];

	/* No bitmap, version 5: the lower of both, 1.3. */
	our_hello(f);
	hdr(b, 5, OFPT_HELLO, 8, 1);
	put(f->peer, b, 8);
	assert_int_equal(ofl_conn_recv(f->c, 1000, cb, f), 0);
	assert_int_equal(f->c->state, OFL_CONN_UP);
}

static void
test_hello_incompatible_bitmap(void **state)
{
	struct fx *f = *state;

	our_hello(f);
	peer_hello_bitmap(f, 5, (1u << 1) | (1u << 5)); /* 1.0 and 1.4, no 1.3 */
	assert_int_equal(ofl_conn_recv(f->c, 1000, cb, f), -EPROTONOSUPPORT);
	assert_int_equal(f->c->state, OFL_CONN_CLOSED);
	expect_error(f->peer, OFPET_HELLO_FAILED, 0 /* INCOMPATIBLE */, 7);
	assert_non_null(strstr(f->c->last_error, "lacks OpenFlow 1.3"));
}

static void
test_hello_incompatible_plain(void **state)
{
	struct fx *f = *state;
	uint8_t b[8];

	our_hello(f);
	hdr(b, 1, OFPT_HELLO, 8, 9);
	put(f->peer, b, 8);
	assert_int_equal(ofl_conn_recv(f->c, 1000, cb, f), -EPROTONOSUPPORT);
	expect_error(f->peer, OFPET_HELLO_FAILED, 0, 9);
}

static void
test_message_before_hello(void **state)
{
	struct fx *f = *state;
	uint8_t b[8];

	our_hello(f);
	hdr(b, 4, OFPT_FEATURES_REQUEST, 8, 3);
	put(f->peer, b, 8);
	assert_int_equal(ofl_conn_recv(f->c, 1000, cb, f), -EPROTO);
	expect_error(f->peer, OFPET_HELLO_FAILED, 0, 3);
	assert_int_equal(f->n_cb, 0);
}

/* A HELLO and a FEATURES_REQUEST byte by byte, then three echoes in one write. */
static void
test_framing_split_and_batched(void **state)
{
	struct fx *f = *state;
	uint8_t b[24 + 24], r[64];
	unsigned i;

	our_hello(f);
	hdr(b, 4, OFPT_HELLO, 8, 1);
	hdr(b + 8, 4, OFPT_FEATURES_REQUEST, 8, 2);
	for (i = 0; i < 16; i++) {
		put(f->peer, b + i, 1);
		assert_int_equal(ofl_conn_recv(f->c, 1000, cb, f), 0);
		assert_int_equal(f->n_cb, i == 15 ? 1 : 0);
	}
	assert_int_equal(f->last_type, OFPT_FEATURES_REQUEST);
	for (i = 0; i < 3; i++)
		hdr(b + 8 * i, 4, OFPT_ECHO_REQUEST, 8, 100 + i);
	put(f->peer, b, 24);
	assert_int_equal(ofl_conn_recv(f->c, 1000, cb, f), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(get(f->peer, r, sizeof(r)), 8);
		assert_int_equal(r[1], OFPT_ECHO_REPLY);
		assert_int_equal(r[7], 100 + i);
	}
	assert_int_equal(f->c->stats.rx_msgs, 5); /* HELLO, FEATURES_REQUEST, 3 echoes */
}

/* The largest message (65535 bytes) in pieces, echoed back whole. */
static void
test_framing_64k(void **state)
{
	struct fx *f = *state;
	uint8_t *b = calloc(1, 65535), *r = malloc(65535);
	size_t off = 0;

	up(f);
	hdr(b, 4, OFPT_ECHO_REQUEST, 65535, 42);
	b[65534] = 0xab;
	while (off < 65535) {
		size_t n = 65535 - off < 7000 ? 65535 - off : 7000;

		put(f->peer, b + off, n);
		off += n;
		assert_int_equal(ofl_conn_recv(f->c, 1000, cb, f), 0);
		if (off < 65535)
			assert_true(nothing(f->peer));
		/* the reply may be partly queued: let the peer read it below */
	}
	{
		size_t have = 0;

		while (have < 65535) {
			ssize_t n = read(f->peer, r + have, 65535 - have);

			assert_true(n > 0);
			have += (size_t)n;
			assert_int_equal(ofl_conn_flush(f->c), 0);
		}
	}
	assert_int_equal(r[1], OFPT_ECHO_REPLY);
	assert_int_equal(r[65534], 0xab);
	free(b);
	free(r);
}

/* A length field under 8: error, then closed (framing cannot resume). */
static void
test_length_undersized(void **state)
{
	struct fx *f = *state;
	uint8_t b[8];

	up(f);
	hdr(b, 4, OFPT_ECHO_REQUEST, 4, 5);
	put(f->peer, b, 8);
	assert_int_equal(ofl_conn_recv(f->c, 1000, cb, f), -EPROTO);
	expect_error(f->peer, OFPET_BAD_REQUEST, 6 /* BAD_LEN */, 5);
}

/* A length the type does not allow, an unknown type, a bad version: errors,
 * and the connection stays up (the next echo is answered). */
static void
test_refusals_keep_connection(void **state)
{
	struct fx *f = *state;
	uint8_t b[16] = {0}, r[64];

	up(f);
	hdr(b, 4, OFPT_FEATURES_REQUEST, 16, 11); /* FEATURES_REQUEST is header only */
	put(f->peer, b, 16);
	assert_int_equal(ofl_conn_recv(f->c, 1000, cb, f), 0);
	expect_error(f->peer, OFPET_BAD_REQUEST, 6 /* BAD_LEN */, 11);
	hdr(b, 4, 200, 8, 12);
	put(f->peer, b, 8);
	assert_int_equal(ofl_conn_recv(f->c, 1000, cb, f), 0);
	expect_error(f->peer, OFPET_BAD_REQUEST, 1 /* BAD_TYPE */, 12);
	hdr(b, 1, OFPT_FEATURES_REQUEST, 8, 13);
	put(f->peer, b, 8);
	assert_int_equal(ofl_conn_recv(f->c, 1000, cb, f), 0);
	expect_error(f->peer, OFPET_BAD_REQUEST, 0 /* BAD_VERSION */, 13);
	assert_int_equal(f->n_cb, 0);
	assert_int_equal(f->c->stats.rx_errors, 3);
	hdr(b, 4, OFPT_ECHO_REQUEST, 8, 14);
	put(f->peer, b, 8);
	assert_int_equal(ofl_conn_recv(f->c, 1000, cb, f), 0);
	assert_int_equal(get(f->peer, r, sizeof(r)), 8);
	assert_int_equal(r[1], OFPT_ECHO_REPLY);
	assert_int_equal(f->c->state, OFL_CONN_UP);
}

static void
test_keepalive(void **state)
{
	struct fx *f = *state;
	uint8_t b[64];

	up(f); /* last input at t=1000 */
	assert_int_equal(ofl_conn_run(f->c, 5999), 0);
	assert_true(nothing(f->peer));
	assert_int_equal(ofl_conn_run(f->c, 6000), 0);
	assert_int_equal(get(f->peer, b, sizeof(b)), 8);
	assert_int_equal(b[1], OFPT_ECHO_REQUEST);
	assert_int_equal(ofl_conn_run(f->c, 7000), 0); /* one probe only */
	assert_true(nothing(f->peer));
	/* An answer resets the clock. */
	b[1] = OFPT_ECHO_REPLY;
	put(f->peer, b, 8);
	assert_int_equal(ofl_conn_recv(f->c, 8000, cb, f), 0);
	assert_int_equal(ofl_conn_run(f->c, 12999), 0);
	assert_true(nothing(f->peer));
	assert_int_equal(ofl_conn_run(f->c, 13000), 0);
	assert_int_equal(get(f->peer, b, sizeof(b)), 8);
	/* No answer: dead after twice the interval. */
	assert_int_equal(ofl_conn_run(f->c, 18000), -ETIMEDOUT);
	assert_int_equal(f->c->state, OFL_CONN_CLOSED);
	assert_int_equal(f->c->stats.echo_probes, 2);
}

static void
test_role_generation(void **state)
{
	struct ofl_role_gen g = {0};
	struct ofl_role r;

	(void)state;
	r = (struct ofl_role){OFL_ROLE_EQUAL, 99};
	assert_int_equal(ofl_role_check(&g, &r), 0);
	assert_false(g.defined); /* EQUAL does not define it */
	r = (struct ofl_role){OFL_ROLE_MASTER, 10};
	assert_int_equal(ofl_role_check(&g, &r), 0);
	assert_int_equal(g.id, 10);
	r = (struct ofl_role){OFL_ROLE_SLAVE, 9};
	assert_int_equal(ofl_role_check(&g, &r), -ESTALE);
	assert_int_equal(g.id, 10);
	r = (struct ofl_role){OFL_ROLE_SLAVE, 10}; /* equal: not stale */
	assert_int_equal(ofl_role_check(&g, &r), 0);
	r = (struct ofl_role){OFL_ROLE_MASTER, UINT64_MAX};
	g.id = UINT64_MAX - 5;
	assert_int_equal(ofl_role_check(&g, &r), 0);
	r = (struct ofl_role){OFL_ROLE_MASTER, 2}; /* wraps: 3 after UINT64_MAX */
	assert_int_equal(ofl_role_check(&g, &r), 0);
	r = (struct ofl_role){OFL_ROLE_MASTER, UINT64_MAX}; /* now behind */
	assert_int_equal(ofl_role_check(&g, &r), -ESTALE);
}

/* FLOW_MOD DELETE of everything: 56 bytes. */
static size_t
flow_mod_delete(uint8_t *b, uint32_t xid)
{
	memset(b, 0, 56);
	hdr(b, 4, OFPT_FLOW_MOD, 56, xid);
	b[24] = 0xff;		 /* table ALL */
	b[25] = 3;		 /* OFPFC_DELETE */
	memset(b + 36, 0xff, 8); /* out_port, out_group ANY */
	b[49] = 1;		 /* match type OXM */
	b[51] = 4;		 /* match length */
	return 56;
}

static void
test_slave_refused(void **state)
{
	struct fx *f = *state;
	uint8_t b[56];

	up(f);
	f->c->role = OFL_ROLE_SLAVE;
	put(f->peer, b, flow_mod_delete(b, 21));
	assert_int_equal(ofl_conn_recv(f->c, 1000, cb, f), 0);
	expect_error(f->peer, OFPET_BAD_REQUEST, 10 /* IS_SLAVE */, 21);
	assert_int_equal(f->n_cb, 0);
	f->c->role = OFL_ROLE_EQUAL;
	put(f->peer, b, flow_mod_delete(b, 22));
	assert_int_equal(ofl_conn_recv(f->c, 1000, cb, f), 0);
	assert_int_equal(f->n_cb, 1);
	assert_int_equal(f->last_type, OFPT_FLOW_MOD);
}

static void
test_async_defaults(void **state)
{
	struct fx *f = *state;

	assert_false(ofl_conn_async_wants(f->c, OFL_ASYNC_PORT_STATUS, OFPPR_ADD)); /* not UP */
	up(f);
	assert_true(ofl_conn_async_wants(f->c, OFL_ASYNC_PACKET_IN, OFPR_NO_MATCH));
	assert_true(ofl_conn_async_wants(f->c, OFL_ASYNC_PACKET_IN, OFPR_ACTION));
	assert_false(ofl_conn_async_wants(f->c, OFL_ASYNC_PACKET_IN, OFPR_INVALID_TTL));
	assert_true(ofl_conn_async_wants(f->c, OFL_ASYNC_FLOW_REMOVED, OFPRR_DELETE));
	f->c->role = OFL_ROLE_MASTER;
	assert_true(ofl_conn_async_wants(f->c, OFL_ASYNC_PACKET_IN, OFPR_NO_MATCH));
	f->c->role = OFL_ROLE_SLAVE;
	assert_false(ofl_conn_async_wants(f->c, OFL_ASYNC_PACKET_IN, OFPR_NO_MATCH));
	assert_false(ofl_conn_async_wants(f->c, OFL_ASYNC_FLOW_REMOVED, OFPRR_IDLE_TIMEOUT));
	assert_true(ofl_conn_async_wants(f->c, OFL_ASYNC_PORT_STATUS, OFPPR_MODIFY));
	/* SET_ASYNC replaces the masks. */
	f->c->async.port_status_mask[1] = 1u << OFPPR_DELETE;
	assert_false(ofl_conn_async_wants(f->c, OFL_ASYNC_PORT_STATUS, OFPPR_MODIFY));
	assert_true(ofl_conn_async_wants(f->c, OFL_ASYNC_PORT_STATUS, OFPPR_DELETE));
	assert_false(ofl_conn_async_wants(f->c, OFL_ASYNC_PORT_STATUS, 40));
}

/* A peer that never reads: the queue stops at its cap (plus the message
 * that passed it) and the connection closes, without ever blocking. */
static void
test_output_cap(void **state)
{
	struct ofl_conn_params p = {.max_out_bytes = 64 * 1024};
	struct ofl_conn *c;
	uint8_t msg[1024] = {4, OFPT_ECHO_REPLY, 4, 0};
	int sv[2], small = 4096, rc = 0;
	unsigned i;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	assert_int_equal(ofl_conn_create(sv[0], &p, 0, &c), 0);
	for (i = 0; i < 10000 && rc == 0; i++) {
		rc = ofl_conn_send(c, msg, sizeof(msg));
		assert_true(ofl_conn_queued(c) <= p.max_out_bytes + sizeof(msg));
	}
	assert_int_equal(rc, -ENOBUFS);
	assert_true(i > 64 && i < 1000); /* the socket took a little, the queue 64 KB */
	assert_int_equal(c->state, OFL_CONN_CLOSED);
	assert_non_null(strstr(c->last_error, "does not read"));
	assert_int_equal(ofl_conn_send(c, msg, sizeof(msg)), -EPIPE);
	ofl_conn_destroy(c);
	close(sv[1]);
}

/* A reply bigger than the cap (a large flow dump) is queued whole and
 * delivered in order; the next message is refused only while the queue is
 * at its cap. */
static void
test_output_big_reply(void **state)
{
	struct ofl_conn_params p = {.max_out_bytes = 64 * 1024};
	size_t len = 1 << 20, got = 0, cap = len + 4096;
	uint8_t *big = calloc(1, len), *rx = malloc(cap);
	uint8_t echo[8] = {4, OFPT_ECHO_REPLY, 0, 8};
	struct ofl_conn *c;
	int sv[2];

	(void)state;
	assert_non_null(big);
	assert_non_null(rx);
	for (size_t o = 0; o < len; o += 16384) { /* 64 multipart replies of 16 KB */
		big[o] = 4;
		big[o + 1] = OFPT_MULTIPART_REPLY;
		big[o + 2] = 0x40;
		big[o + 5] = (uint8_t)(o >> 14);
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(ofl_conn_create(sv[0], &p, 0, &c), 0);
	assert_int_equal(ofl_conn_send(c, big, len), 0);
	assert_true(ofl_conn_queued(c) > p.max_out_bytes);
	/* Read it all (after our HELLO), flushing as the peer reads. */
	while (got < cap) {
		ssize_t n = read(sv[1], rx + got, cap - got);

		if (n > 0)
			got += (size_t)n;
		else if (ofl_conn_queued(c) == 0)
			break;
		assert_int_equal(ofl_conn_flush(c), 0);
	}
	assert_true(got > len);
	assert_memory_equal(rx + (got - len), big, len);
	assert_int_equal(ofl_conn_send(c, echo, sizeof(echo)), 0);
	/* A peer that stops reading: one more big reply passes the cap, the
	 * message after it closes the connection. */
	assert_int_equal(ofl_conn_send(c, big, len), 0);
	assert_int_equal(ofl_conn_send(c, echo, sizeof(echo)), -ENOBUFS);
	assert_int_equal(c->state, OFL_CONN_CLOSED);
	ofl_conn_destroy(c);
	close(sv[1]);
	free(big);
	free(rx);
}

static void
test_peer_closes(void **state)
{
	struct fx *f = *state;

	up(f);
	shutdown(f->peer, SHUT_WR);
	assert_int_equal(ofl_conn_recv(f->c, 1000, cb, f), -ECONNRESET);
	assert_string_equal(f->c->last_error, "closed by the peer");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(test_hello_bitmap),
		T(test_hello_plain_versions),
		T(test_hello_incompatible_bitmap),
		T(test_hello_incompatible_plain),
		T(test_message_before_hello),
		T(test_framing_split_and_batched),
		T(test_framing_64k),
		T(test_length_undersized),
		T(test_refusals_keep_connection),
		T(test_keepalive),
		cmocka_unit_test(test_role_generation),
		T(test_slave_refused),
		T(test_async_defaults),
		cmocka_unit_test(test_output_cap),
		cmocka_unit_test(test_output_big_reply),
		T(test_peer_closes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
