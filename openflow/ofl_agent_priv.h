/* Inside the agent (ofl_agent.c, ofl_handlers.c): the loop's objects.
 * Everything here belongs to the OpenFlow thread and is reached from other
 * threads only under the agent's mutex. */
#ifndef OFL_AGENT_PRIV_H
#define OFL_AGENT_PRIV_H

#include <pthread.h>
#include <stdatomic.h>

#include "iovs_hist.h"
#include "ofl_agent.h"

#define MAX_DPS		   16
#define MAX_PORTS	   256
#define MP_BUF_SIZE	   (256u * 1024)
#define TICK_MS		   100
#define CONNECT_TIMEOUT_MS 5000u
/* While a barrier or a flow-install sample waits for the PMDs, the loop looks
 * again after WAIT_MIN_US, doubling to WAIT_MAX_US (ofl_agent.c). */
#define WAIT_MIN_US  20u
#define WAIT_MAX_US  1000u
#define INSTALL_PEND 1024  /* commits awaiting their flow-install sample */
#define AGENT_NICE   (-10) /* the agent thread's nice value (ofl_agent.c) */

enum ev_kind { EV_WAKE, EV_LISTEN, EV_PEER, EV_REMOTE };

/* What an epoll event points to. 'dead' objects wait in the graveyard until
 * the loop has handled every event it already holds. */
struct ev {
	enum ev_kind kind;
	bool dead;
	struct ev *next_dead;
};

struct dp;
struct remote;

struct peer { /* a connection, accepted or ours */
	struct ev ev;
	struct dp *dp;
	struct ofl_conn *c;
	struct remote *remote; /* NULL when accepted */
	char name[OFL_TARGET_MAX];
	bool paused; /* a BARRIER waits for the data plane */
	uint32_t barrier_xid;
	uint64_t barrier_seq;
	uint32_t events;	      /* registered with epoll */
	struct ofl_bundle_st *bundle; /* open bundle (ofl_tables.c), or NULL */
};

enum remote_state { R_BACKOFF, R_CONNECTING, R_CONNECTED };

struct remote { /* a controller we connect to */
	struct ev ev;
	struct dp *dp;
	char target[OFL_TARGET_MAX];
	struct ofl_target t;
	int fd; /* while connecting */
	enum remote_state state;
	uint32_t backoff_ms; /* the next wait */
	uint32_t wait_ms;    /* the wait in progress */
	uint64_t next_try_ms, started_ms;
	uint64_t n_connects;
	struct peer *peer; /* while connected */
	char last_error[OFL_CONN_ERR_MAX];
};

struct dp {
	struct ev ev; /* the listener's */
	struct ofl_agent *a;
	struct ofl_dp_conf conf;
	const struct ofl_switch_ops *ops;
	void *sw;
	int listen_fd;
	struct ofl_target listen_t;
	char listen_error[OFL_CONN_ERR_MAX];
	unsigned n_peers;
	struct peer *peers[OFL_MAX_PASSIVE + OFL_MAX_CONTROLLERS];
	unsigned n_remotes;
	struct remote *remotes[OFL_MAX_CONTROLLERS];
	struct ofl_role_gen gen;
	struct ofl_config config; /* SET_CONFIG: per datapath (§7.3.2) */
	/* Flow tables (ofl_tables.c). */
	bool tables_ready; /* the default flow of fail_mode standalone is in */
	bool has_token;
	uint64_t token; /* of the last commit (BARRIER) */
	uint64_t next_expire_ms;
	/* Flow-install latency (ofl_tables.c): commits in token order, each with
	 * the arrival of the message that made it, until every PMD has seen it. */
	struct {
		uint64_t token, rx_ns;
	} pend[INSTALL_PEND];
	unsigned pend_head, pend_n;
	uint64_t install_unsampled; /* commits not sampled: the queue was full */
	struct iovs_hist install;
	/* PORT_STATUS (ofl_ports.c): the ports last seen, by port number. */
	struct ofl_port *known; /* [MAX_PORTS], allocated on first use */
	unsigned n_known;
	bool ports_seen;
	uint64_t next_port_poll_ms;
};

struct ofl_agent {
	struct ofl_agent_params p;
	struct ofl_conn_params cp;
	pthread_mutex_t mu;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	int epfd;
	int wake_fd;
	struct ev wake_ev;
	struct dp *dps[MAX_DPS];
	struct ev *graveyard;
	uint32_t wait_us; /* the next short wait; 0: nothing waits for the PMDs */
	uint64_t waits_done, waits_done_seen; /* barriers replied, samples taken */
	struct ofl_msg *tx;		      /* reply scratch */
	uint8_t *mpbuf;
	struct ofl_port *ports;
	struct ofl_port_stats *pstats;
	struct ofl_tables_scratch *ts; /* ofl_tables.c */
};

/* ofl_handlers.c */
int ofl_agent_dispatch(void *arg, struct ofl_conn *c, const struct ofl_msg *m, const uint8_t *raw,
		       size_t len);
int ofl_agent_barrier_reply(struct peer *pe, uint32_t xid);
uint64_t ofl_dp_dpid(const struct dp *dp);
uint8_t ofl_dp_n_tables(const struct dp *dp);
struct ofl_msg *ofl_reply_init(struct peer *pe, uint8_t type, uint32_t xid);
int ofl_mp_send(struct peer *pe, struct ofl_mp_writer *w);

/* ofl_tables.c: flow tables on the switch's pipeline. */
struct vsw_pl *ofl_dp_pipeline(const struct dp *dp);
int ofl_h_flow_mod(struct peer *pe, const struct ofl_msg *m, const uint8_t *raw, size_t len);
int ofl_h_group_mod(struct peer *pe, const struct ofl_msg *m, const uint8_t *raw, size_t len);
int ofl_h_meter_mod(struct peer *pe, const struct ofl_msg *m, const uint8_t *raw, size_t len);
int ofl_h_packet_out(struct peer *pe, const struct ofl_msg *m, const uint8_t *raw, size_t len);
int ofl_h_bundle_ctrl(struct peer *pe, const struct ofl_msg *m, const uint8_t *raw, size_t len);
int ofl_h_bundle_add(struct peer *pe, const struct ofl_msg *m, const uint8_t *raw, size_t len);
int ofl_mp_flow(struct peer *pe, const struct ofl_msg *req);
int ofl_mp_aggregate(struct peer *pe, const struct ofl_msg *req);
int ofl_mp_table(struct peer *pe, const struct ofl_msg *req);
int ofl_mp_group(struct peer *pe, const struct ofl_msg *req);
int ofl_mp_group_desc(struct peer *pe, const struct ofl_msg *req);
int ofl_mp_group_features(struct peer *pe, const struct ofl_msg *req);
int ofl_mp_meter(struct peer *pe, const struct ofl_msg *req);
int ofl_mp_meter_config(struct peer *pe, const struct ofl_msg *req);
int ofl_mp_meter_features(struct peer *pe, const struct ofl_msg *req);
int ofl_mp_table_features(struct peer *pe, const struct ofl_msg *req);
/* BARRIER: the sequence to wait for, and whether the data plane has it. */
uint64_t ofl_tables_change_seq(struct dp *dp);
bool ofl_tables_visible(struct dp *dp, uint64_t seq);
/* Once per loop iteration: the default flow, deferred frees, expiry
 * (FLOW_REMOVED), packet-ins. */
void ofl_tables_run(struct dp *dp, uint64_t now_ms);
/* ofl_ports.c: PORT_STATUS for ports added, deleted or changed since the
 * last look (at most every 100 ms). */
void ofl_ports_run(struct dp *dp, uint64_t now_ms);
/* Takes the flow-install samples of the commits every PMD now sees. True
 * while some remain (the loop then looks again soon). */
bool ofl_tables_install_poll(struct dp *dp);
void ofl_bundle_free(struct peer *pe);
void ofl_tables_scratch_free(struct ofl_agent *a);

/* ofl_tables.c, for ofl_cli.c: one FLOW/GROUP/METER_MOD as its own
 * transaction, outside any connection (the caller holds the mutex). Returns 0
 * or a negative enum ofl_err. */
int ofl_tables_txn(struct dp *dp, const struct ofl_msg *m);

#endif
