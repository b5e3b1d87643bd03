/* One OpenFlow connection: a non-blocking TCP stream to a controller.
 *
 * Design. A connection frames the byte stream with ofl_msg_frame_len() (partial
 * reads, several messages per read, messages up to 64 KB), negotiates the
 * version with HELLO (we speak 1.3 only: a peer without 1.3 gets
 * HELLO_FAILED/INCOMPATIBLE and is closed), answers ECHO_REQUEST itself, keeps
 * the link alive with echo probes (one after 'probe_interval_ms' of silence,
 * closed after 'dead_after_ms' without any message, as OVS does with its
 * 5 s default), and answers every message ofl_decode() refuses with the
 * OFPT_ERROR it names, keeping the connection up. Every other decoded message
 * goes to the owner's callback (the agent's dispatch table). Replies go to a
 * bounded output queue: when a controller stops reading and the queue already
 * holds 'max_out_bytes', the connection is closed rather than the thread
 * blocked or memory spent. One message or multipart reply is queued whole
 * even if it takes the queue past the cap: a dump of 100k flows is about
 * 10 MB, and the peer asked for it.
 *
 * Role and async configuration live here per connection (OF 1.3.5 §6.3.6,
 * §7.3.10); the generation id they are checked against belongs to the
 * datapath (struct ofl_role_gen), and demoting the other masters is the
 * agent's, which sees all connections of a datapath.
 *
 * Thread-safety: a connection belongs to one thread (the OpenFlow thread).
 */
#ifndef OFL_CONN_H
#define OFL_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ofl_msg.h"

#define OFL_CONN_PROBE_MS_DEFAULT 5000u	     /* OVS: inactivity probe 5 s */
#define OFL_CONN_MAX_OUT_DEFAULT  (1u << 20) /* bytes queued for a peer at most */
#define OFL_CONN_ERR_MAX	  160

/* OF 1.3 roles (ofp_controller_role without NOCHANGE). */
enum ofl_role_kind {
	OFL_ROLE_EQUAL = 1,
	OFL_ROLE_MASTER = 2,
	OFL_ROLE_SLAVE = 3,
};
const char *ofl_role_name(uint32_t role);

enum ofl_conn_state {
	OFL_CONN_HELLO,	 /* our HELLO sent, waiting for the peer's */
	OFL_CONN_UP,	 /* version 1.3 agreed */
	OFL_CONN_CLOSED, /* to be destroyed; 'last_error' says why */
};
const char *ofl_conn_state_name(enum ofl_conn_state s);

/* Asynchronous messages the async configuration filters (§7.3.10). */
enum ofl_async_kind {
	OFL_ASYNC_PACKET_IN,	/* reason: OFPR_* */
	OFL_ASYNC_PORT_STATUS,	/* reason: OFPPR_* */
	OFL_ASYNC_FLOW_REMOVED, /* reason: OFPRR_* */
};

struct ofl_conn_params {
	uint32_t probe_interval_ms; /* 0: no probes, never dead */
	uint32_t dead_after_ms;	    /* 0: twice the probe interval */
	size_t max_out_bytes;	    /* 0: OFL_CONN_MAX_OUT_DEFAULT */
};

struct ofl_conn;

/* A decoded message for the owner: 'raw'/'len' is the message as received
 * (for error quotes). Return 0 when handled (replies already queued), or a
 * negative enum ofl_err to have it answered with that OFPT_ERROR, or > 0 to
 * pause the input (see ofl_conn_resume()). */
typedef int (*ofl_conn_msg_fn)(void *arg, struct ofl_conn *c, const struct ofl_msg *m,
			       const uint8_t *raw, size_t len);

/* Counters, read by the agent for "controller show". */
struct ofl_conn_stats {
	uint64_t rx_msgs, tx_msgs;
	uint64_t rx_errors; /* messages refused with an OFPT_ERROR */
	uint64_t echo_probes;
};

/* Layout readable by the agent (same folder); written only by ofl_conn.c but
 * 'role' and 'async', which the agent's ROLE/SET_ASYNC handlers set. */
struct ofl_conn {
	int fd;
	enum ofl_conn_state state;
	uint8_t version; /* 0x04 once UP */
	uint32_t role;	 /* enum ofl_role_kind */
	struct ofl_async async;
	struct ofl_conn_params p;
	struct ofl_conn_stats stats;
	char last_error[OFL_CONN_ERR_MAX]; /* last problem seen, "" if none */
	uint64_t last_rx_ms;
	uint64_t last_rx_ns; /* CLOCK_MONOTONIC of the last read: a message's arrival */
	bool probe_sent;
	uint32_t next_xid;
	/* Input: at most one message and a partial one. */
	uint8_t *rbuf;
	size_t rlen;
	/* Output queue: obuf[ohead..olen) is still to be written. */
	uint8_t *obuf;
	size_t ohead, olen, ocap;
	struct ofl_msg *msg; /* decode target, ~41 KB */
	void *owner;	     /* the agent's, untouched here */
};

/* Takes ownership of 'fd' (a connected stream socket; closed on every path,
 * failures included), makes it non-blocking and queues our HELLO.
 * Returns 0 or -errno. */
int ofl_conn_create(int fd, const struct ofl_conn_params *p, uint64_t now_ms,
		    struct ofl_conn **out);
/* Closes the socket and frees. NULL is a no-op. */
void ofl_conn_destroy(struct ofl_conn *c);

/* Reads what the socket has (bounded per call so one peer cannot starve the
 * others; level-triggered polling brings the rest), handles whole messages and
 * hands decoded ones to 'fn'. Returns 0, or -errno when the connection must be
 * closed (peer closed: -ECONNRESET; version refused: -EPROTONOSUPPORT; framing
 * lost: -EPROTO; output queue over its cap: -ENOBUFS); 'last_error' says why.
 * Queued output (an error, HELLO_FAILED) is worth a last ofl_conn_flush(). */
int ofl_conn_recv(struct ofl_conn *c, uint64_t now_ms, ofl_conn_msg_fn fn, void *arg);

/* A callback may return a positive value to pause: ofl_conn_recv() then
 * returns it with the rest of the input kept, handled by ofl_conn_resume()
 * (a BARRIER waiting for the data plane holds back what follows it). */
int ofl_conn_resume(struct ofl_conn *c, ofl_conn_msg_fn fn, void *arg);

/* Keep-alive: sends an ECHO_REQUEST after the probe interval of silence;
 * returns -ETIMEDOUT once nothing was received for 'dead_after_ms'. */
int ofl_conn_run(struct ofl_conn *c, uint64_t now_ms);

/* Queues 'len' bytes (whole messages) and writes what the socket takes.
 * Returns 0, or -ENOBUFS when the queue already holds its cap (the connection
 * is then CLOSED), or -errno from the socket. */
int ofl_conn_send(struct ofl_conn *c, const uint8_t *buf, size_t len);
/* Encodes and sends 'm' (version 0x04; xid as given). */
int ofl_conn_send_msg(struct ofl_conn *c, const struct ofl_msg *m);
/* Sends an OFPT_ERROR of an enum ofl_err (negative or positive) quoting
 * 'raw' (the offending message as received). */
int ofl_conn_send_error(struct ofl_conn *c, int e, const uint8_t *raw, size_t len);
/* The same for a wire type/code the codec's enum does not carry
 * (ROLE_REQUEST_FAILED/STALE, BAD_REQUEST/IS_SLAVE). */
int ofl_conn_send_error_raw(struct ofl_conn *c, uint16_t type, uint16_t code, const uint8_t *raw,
			    size_t len);
/* Writes queued bytes until the socket would block. Returns 0 or -errno. */
int ofl_conn_flush(struct ofl_conn *c);
bool ofl_conn_wants_write(const struct ofl_conn *c);
size_t ofl_conn_queued(const struct ofl_conn *c);

/* Marks the connection CLOSED with a reason (printf-like). */
__attribute__((format(printf, 3, 4))) int ofl_conn_fail(struct ofl_conn *c, int rc, const char *fmt,
							...);

/* ---- roles (OF 1.3.5 §6.3.6) ---- */

/* The datapath's generation id: undefined until a MASTER or SLAVE request. */
struct ofl_role_gen {
	bool defined;
	uint64_t id;
};

/* Checks a ROLE_REQUEST against the cached generation id and caches it.
 * Returns 0, or -ESTALE when the request is older (as a signed 64-bit
 * distance, §6.3.6) than the cached id: answer ROLE_REQUEST_FAILED/STALE.
 * NOCHANGE and EQUAL do not look at, nor change, the generation id. */
int ofl_role_check(struct ofl_role_gen *g, const struct ofl_role *req);

/* True for the messages a SLAVE may not send (§6.3.6: they change the
 * switch): answered BAD_REQUEST/IS_SLAVE. */
bool ofl_msg_changes_state(const struct ofl_msg *m);

/* ---- async configuration (§7.3.10) ---- */

/* Defaults of the spec (and OVS): master/equal get PACKET_IN for NO_MATCH
 * and ACTION, every PORT_STATUS and FLOW_REMOVED; a slave only PORT_STATUS. */
void ofl_async_default(struct ofl_async *a);
/* Whether 'c' (in its current role) wants an async message of 'kind' and
 * 'reason'. Only UP connections want anything. */
bool ofl_conn_async_wants(const struct ofl_conn *c, enum ofl_async_kind kind, unsigned reason);

/* OF 1.3 wire codes not in enum ofl_err. */
#define OFL_ERRT_HELLO_FAILED	     0
#define OFL_ERRC_HELLO_INCOMPATIBLE  0
#define OFL_ERRT_BAD_REQUEST	     1
#define OFL_ERRC_IS_SLAVE	     10
#define OFL_ERRT_ROLE_REQUEST_FAILED 11
#define OFL_ERRC_ROLE_STALE	     0

#endif
