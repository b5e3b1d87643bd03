/* One OpenFlow connection (ofl_conn.h): stream framing over a non-blocking
 * socket, HELLO negotiation, echo and keep-alive, refusals answered with
 * OFPT_ERROR, a bounded output queue, and the per-connection role and async
 * rules. Decoding is the codec's (ofl_codec.c); the agent (ofl_agent.c)
 * handles what is left. */
#define LOG_PREFIX "openflow/conn: "
#include "ofl_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iovs_log.h"
#include "iovs_time.h"
#include "ofl_wire.h"

#define RBUF_SIZE     (2u * 65536u) /* one whole message and the next one's start */
#define READ_BUDGET   (256u * 1024) /* bytes read per ofl_conn_recv() call at most */
#define OBUF_INITIAL  4096u
#define OFP13_BIT     (1u << OFP13_VERSION)
#define SMALL_MSG_MAX 256u

static const char *const role_names[] = {"nochange", "equal", "master", "slave"};

const char *
ofl_role_name(uint32_t role)
{
	return role < 4 ? role_names[role] : "?";
}

const char *
ofl_conn_state_name(enum ofl_conn_state s)
{
	switch (s) {
	case OFL_CONN_HELLO:
		return "hello";
	case OFL_CONN_UP:
		return "up";
	case OFL_CONN_CLOSED:
		break;
	}
	return "closed";
}

int
ofl_conn_fail(struct ofl_conn *c, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->last_error, sizeof(c->last_error), fmt, ap);
	va_end(ap);
	c->state = OFL_CONN_CLOSED;
	return rc;
}

void
ofl_async_default(struct ofl_async *a)
{
	/* [0]: master and equal, [1]: slave (§7.3.10, as Open vSwitch). */
	a->packet_in_mask[0] = (1u << OFPR_NO_MATCH) | (1u << OFPR_ACTION);
	a->packet_in_mask[1] = 0;
	a->port_status_mask[0] = (1u << OFPPR_ADD) | (1u << OFPPR_DELETE) | (1u << OFPPR_MODIFY);
	a->port_status_mask[1] = a->port_status_mask[0];
	a->flow_removed_mask[0] = (1u << OFPRR_IDLE_TIMEOUT) | (1u << OFPRR_HARD_TIMEOUT) |
				  (1u << OFPRR_DELETE) | (1u << OFPRR_GROUP_DELETE);
	a->flow_removed_mask[1] = 0;
}

bool
ofl_conn_async_wants(const struct ofl_conn *c, enum ofl_async_kind kind, unsigned reason)
{
	unsigned i = c->role == OFL_ROLE_SLAVE ? 1 : 0;
	uint32_t mask;

	if (c->state != OFL_CONN_UP || reason >= 32)
		return false;
	switch (kind) {
	case OFL_ASYNC_PACKET_IN:
		mask = c->async.packet_in_mask[i];
		break;
	case OFL_ASYNC_PORT_STATUS:
		mask = c->async.port_status_mask[i];
		break;
	case OFL_ASYNC_FLOW_REMOVED:
		mask = c->async.flow_removed_mask[i];
		break;
	default:
		return false;
	}
	return (mask >> reason) & 1u;
}

int
ofl_role_check(struct ofl_role_gen *g, const struct ofl_role *req)
{
	if (req->role != OFL_ROLE_MASTER && req->role != OFL_ROLE_SLAVE)
		return 0;
	if (g->defined && (int64_t)(req->generation_id - g->id) < 0)
		return -ESTALE;
	g->defined = true;
	g->id = req->generation_id;
	return 0;
}

bool
ofl_msg_changes_state(const struct ofl_msg *m)
{
	switch (m->h.type) {
	case OFPT_PACKET_OUT:
	case OFPT_FLOW_MOD:
	case OFPT_GROUP_MOD:
	case OFPT_PORT_MOD:
	case OFPT_TABLE_MOD:
	case OFPT_METER_MOD:
	case OFPT_BUNDLE_CONTROL:
	case OFPT_BUNDLE_ADD_MESSAGE:
		return true;
	case OFPT_MULTIPART_REQUEST:
		/* A TABLE_FEATURES request with a body would be a write. */
		return m->mp_request.type == OFPMP_TABLE_FEATURES && m->h.length > 16;
	default:
		return false;
	}
}

/* ---- output ---- */

size_t
ofl_conn_queued(const struct ofl_conn *c)
{
	return c->olen - c->ohead;
}

bool
ofl_conn_wants_write(const struct ofl_conn *c)
{
	return c->fd >= 0 && ofl_conn_queued(c) > 0;
}

int
ofl_conn_flush(struct ofl_conn *c)
{
	while (c->fd >= 0 && c->ohead < c->olen) {
		ssize_t n = send(c->fd, c->obuf + c->ohead, c->olen - c->ohead, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return ofl_conn_fail(c, -errno, "send: %s", strerror(errno));
		c->ohead += (size_t)n;
	}
	if (c->ohead == c->olen)
		c->ohead = c->olen = 0;
	return 0;
}

/* Makes room for 'len' more bytes within the cap. */
static int
out_reserve(struct ofl_conn *c, size_t len)
{
	size_t need, cap;
	uint8_t *nb;

	if (c->ohead > 0 && c->ohead == c->olen)
		c->ohead = c->olen = 0;
	if (ofl_conn_queued(c) >= c->p.max_out_bytes)
		return ofl_conn_fail(c, -ENOBUFS,
				     "output queue over %zu bytes: the peer does not read",
				     c->p.max_out_bytes);
	if (c->olen + len <= c->ocap)
		return 0;
	if (c->ohead > 0) { /* compact before growing */
		memmove(c->obuf, c->obuf + c->ohead, c->olen - c->ohead);
		c->olen -= c->ohead;
		c->ohead = 0;
		if (c->olen + len <= c->ocap)
			return 0;
	}
	need = c->olen + len;
	for (cap = c->ocap ? c->ocap : OBUF_INITIAL; cap < need; cap *= 2)
		;
	nb = realloc(c->obuf, cap);
	if (nb == NULL)
		return ofl_conn_fail(c, -ENOMEM, "out of memory for the output queue");
	c->obuf = nb;
	c->ocap = cap;
	return 0;
}

int
ofl_conn_send(struct ofl_conn *c, const uint8_t *buf, size_t len)
{
	int rc;

	if (c->state == OFL_CONN_CLOSED)
		return -EPIPE;
	rc = out_reserve(c, len);
	if (rc != 0)
		return rc;
	memcpy(c->obuf + c->olen, buf, len);
	c->olen += len;
	c->stats.tx_msgs++;
	return ofl_conn_flush(c);
}

int
ofl_conn_send_msg(struct ofl_conn *c, const struct ofl_msg *m)
{
	uint8_t small[SMALL_MSG_MAX], *big = NULL;
	int n, rc;

	n = ofl_encode(m, small, sizeof(small));
	if (n == -ENOSPC) {
		big = malloc(OFL_MAX_MSG_LEN);
		if (big == NULL)
			return -ENOMEM;
		n = ofl_encode(m, big, OFL_MAX_MSG_LEN);
	}
	rc = n < 0 ? n : ofl_conn_send(c, big ? big : small, (size_t)n);
	free(big);
	return rc;
}

int
ofl_conn_send_error(struct ofl_conn *c, int e, const uint8_t *raw, size_t len)
{
	uint8_t buf[SMALL_MSG_MAX];
	int n = ofl_encode_error(e, raw, len, buf, sizeof(buf));

	c->stats.rx_errors++;
	return n < 0 ? n : ofl_conn_send(c, buf, (size_t)n);
}

int
ofl_conn_send_error_raw(struct ofl_conn *c, uint16_t type, uint16_t code, const uint8_t *raw,
			size_t len)
{
	uint8_t buf[12 + OFL_ERROR_QUOTE];
	size_t q = len < OFL_ERROR_QUOTE ? len : OFL_ERROR_QUOTE, n = 12 + q;

	buf[0] = OFP13_VERSION;
	buf[1] = OFPT_ERROR;
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	if (len >= 8)
		memcpy(buf + 4, raw + 4, 4); /* the request's xid */
	else
		memset(buf + 4, 0, 4);
	buf[8] = (uint8_t)(type >> 8);
	buf[9] = (uint8_t)type;
	buf[10] = (uint8_t)(code >> 8);
	buf[11] = (uint8_t)code;
	if (q > 0)
		memcpy(buf + 12, raw, q);
	c->stats.rx_errors++;
	return ofl_conn_send(c, buf, n);
}

static int
send_hello(struct ofl_conn *c)
{
	uint8_t b[16] = {OFP13_VERSION,	       OFPT_HELLO, 0, 16, 0, 0, 0,	  0, 0,
			 OFPHET_VERSIONBITMAP, 0,	   8, 0,  0, 0, OFP13_BIT};

	return ofl_conn_send(c, b, sizeof(b));
}

static int
send_echo_request(struct ofl_conn *c)
{
	uint8_t b[8] = {OFP13_VERSION, OFPT_ECHO_REQUEST, 0, 8};
	uint32_t xid = c->next_xid++;

	b[4] = (uint8_t)(xid >> 24);
	b[5] = (uint8_t)(xid >> 16);
	b[6] = (uint8_t)(xid >> 8);
	b[7] = (uint8_t)xid;
	c->stats.echo_probes++;
	return ofl_conn_send(c, b, sizeof(b));
}

/* ---- lifetime ---- */

int
ofl_conn_create(int fd, const struct ofl_conn_params *p, uint64_t now_ms, struct ofl_conn **out)
{
	struct ofl_conn *c;
	int flags, rc;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
		rc = -errno;
		goto err_close_fd;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		rc = -ENOMEM;
		goto err_close_fd;
	}
	c->fd = fd;
	c->rbuf = malloc(RBUF_SIZE);
	c->msg = malloc(sizeof(*c->msg));
	if (c->rbuf == NULL || c->msg == NULL) {
		rc = -ENOMEM;
		goto err_free;
	}
	c->p = *p;
	if (c->p.dead_after_ms == 0)
		c->p.dead_after_ms = 2 * c->p.probe_interval_ms;
	if (c->p.max_out_bytes == 0)
		c->p.max_out_bytes = OFL_CONN_MAX_OUT_DEFAULT;
	c->state = OFL_CONN_HELLO;
	c->role = OFL_ROLE_EQUAL;
	c->next_xid = 1;
	c->last_rx_ms = now_ms;
	ofl_async_default(&c->async);
	rc = send_hello(c);
	if (rc != 0)
		goto err_free;
	*out = c;
	return 0;

err_free:
	free(c->msg);
	free(c->rbuf);
	free(c->obuf);
	free(c);
err_close_fd:
	close(fd);
	return rc;
}

void
ofl_conn_destroy(struct ofl_conn *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->msg);
	free(c->rbuf);
	free(c->obuf);
	free(c);
}

/* ---- input ---- */

/* HELLO negotiation (§7.5.1, §6.3.1): with a bitmap, the highest version both
 * set; without one, the lower of both header versions. Ours is 1.3 only. */
static int
negotiate(struct ofl_conn *c, const uint8_t *raw, size_t len)
{
	struct iovs_err err = {{0}};
	int rc = ofl_decode(raw, len, c->msg, &err);
	bool ok;

	if (rc != 0) {
		ofl_conn_send_error(c, rc, raw, len);
		return ofl_conn_fail(c, -EPROTO, "bad HELLO: %s", err.msg);
	}
	if (c->msg->hello.has_bitmap)
		ok = (c->msg->hello.bitmap[0] & OFP13_BIT) != 0;
	else
		ok = raw[0] >= OFP13_VERSION;
	if (!ok) {
		ofl_conn_send_error_raw(c, OFL_ERRT_HELLO_FAILED, OFL_ERRC_HELLO_INCOMPATIBLE, raw,
					len);
		if (c->msg->hello.has_bitmap)
			return ofl_conn_fail(c, -EPROTONOSUPPORT,
					     "version negotiation failed: the peer's bitmap 0x%x "
					     "lacks OpenFlow 1.3",
					     c->msg->hello.bitmap[0]);
		return ofl_conn_fail(c, -EPROTONOSUPPORT,
				     "version negotiation failed: the peer speaks 0x%02x, we "
				     "only 0x04 (OpenFlow 1.3)",
				     raw[0]);
	}
	c->version = OFP13_VERSION;
	c->state = OFL_CONN_UP;
	return 0;
}

static int
handle_msg(struct ofl_conn *c, const uint8_t *raw, size_t len, ofl_conn_msg_fn fn, void *arg)
{
	struct iovs_err err = {{0}};
	struct ofl_msg *m = c->msg;
	int rc;

	c->stats.rx_msgs++;
	if (c->state == OFL_CONN_HELLO) {
		if (raw[1] == OFPT_HELLO)
			return negotiate(c, raw, len);
		/* Anything before the peer's HELLO (§6.3.1). */
		ofl_conn_send_error_raw(c, OFL_ERRT_HELLO_FAILED, OFL_ERRC_HELLO_INCOMPATIBLE, raw,
					len);
		return ofl_conn_fail(c, -EPROTO, "%s before HELLO", ofl_type_name(raw[1]));
	}
	rc = ofl_decode(raw, len, m, &err);
	if (rc != 0) {
		LOG_DBG("refused %s: %s", ofl_type_name(raw[1]), err.msg);
		snprintf(c->last_error, sizeof(c->last_error), "refused %s: %s (%s)",
			 ofl_type_name(raw[1]), ofl_err_name(rc), err.msg);
		return ofl_conn_send_error(c, rc, raw, len);
	}
	switch (m->h.type) {
	case OFPT_HELLO: /* a second HELLO changes nothing */
	case OFPT_ECHO_REPLY:
		return 0;
	case OFPT_ECHO_REQUEST:
		m->h.type = OFPT_ECHO_REPLY;
		return ofl_conn_send_msg(c, m);
	case OFPT_ERROR:
		snprintf(c->last_error, sizeof(c->last_error), "peer sent error type %u code %u",
			 m->error.type, m->error.code);
		return 0;
	default:
		break;
	}
	if (c->role == OFL_ROLE_SLAVE && ofl_msg_changes_state(m))
		return ofl_conn_send_error_raw(c, OFL_ERRT_BAD_REQUEST, OFL_ERRC_IS_SLAVE, raw,
					       len);
	rc = fn != NULL ? fn(arg, c, m, raw, len) : -OFL_E_BAD_TYPE;
	if (rc <= -OFL_ERR_BASE)
		return ofl_conn_send_error(c, rc, raw, len);
	return rc;
}

/* Handles every whole message in rbuf; keeps a partial one. */
static int
drain(struct ofl_conn *c, ofl_conn_msg_fn fn, void *arg)
{
	size_t off = 0;
	int rc = 0;

	while (c->state != OFL_CONN_CLOSED) {
		int flen = ofl_msg_frame_len(c->rbuf + off, c->rlen - off);

		if (flen < 0) {
			/* A length below the header: the stream cannot be resynced. */
			ofl_conn_send_error(c, flen, c->rbuf + off, 8);
			rc = ofl_conn_fail(c, -EPROTO, "message length %u below 8: framing lost",
					   (unsigned)(c->rbuf[off + 2] << 8 | c->rbuf[off + 3]));
			break;
		}
		if (flen == 0 || (size_t)flen > c->rlen - off)
			break;
		rc = handle_msg(c, c->rbuf + off, (size_t)flen, fn, arg);
		off += (size_t)flen;
		if (rc != 0)
			break;
	}
	if (off > 0) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	return c->state == OFL_CONN_CLOSED && rc == 0 ? -EPIPE : rc;
}

int
ofl_conn_resume(struct ofl_conn *c, ofl_conn_msg_fn fn, void *arg)
{
	return c->state == OFL_CONN_CLOSED ? -EPIPE : drain(c, fn, arg);
}

int
ofl_conn_recv(struct ofl_conn *c, uint64_t now_ms, ofl_conn_msg_fn fn, void *arg)
{
	size_t budget = READ_BUDGET;
	int rc;

	while (budget > 0 && c->state != OFL_CONN_CLOSED && c->rlen < RBUF_SIZE) {
		ssize_t n = recv(c->fd, c->rbuf + c->rlen, RBUF_SIZE - c->rlen, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return ofl_conn_fail(c, -errno, "recv: %s", strerror(errno));
		if (n == 0)
			return ofl_conn_fail(c, -ECONNRESET, "closed by the peer");
		c->rlen += (size_t)n;
		c->last_rx_ms = now_ms;
		c->last_rx_ns = iovs_now_ns();
		c->probe_sent = false;
		budget = budget > (size_t)n ? budget - (size_t)n : 0;
		rc = drain(c, fn, arg);
		if (rc != 0)
			return rc;
	}
	return c->state == OFL_CONN_CLOSED ? -EPIPE : 0;
}

int
ofl_conn_run(struct ofl_conn *c, uint64_t now_ms)
{
	uint64_t idle = now_ms > c->last_rx_ms ? now_ms - c->last_rx_ms : 0;

	if (c->state == OFL_CONN_CLOSED)
		return -EPIPE;
	if (c->p.probe_interval_ms == 0)
		return 0;
	if (idle >= c->p.dead_after_ms)
		return ofl_conn_fail(c, -ETIMEDOUT, "nothing received for %llu ms (%s)",
				     (unsigned long long)idle,
				     c->state == OFL_CONN_HELLO ? "no HELLO" : "echo unanswered");
	if (idle >= c->p.probe_interval_ms && !c->probe_sent && c->state == OFL_CONN_UP) {
		c->probe_sent = true;
		return send_echo_request(c);
	}
	return 0;
}
