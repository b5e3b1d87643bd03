/* The OpenFlow agent: the OpenFlow thread and the datapaths it serves.
 *
 * Design. One agent = one thread with its own epoll loop (pinned by the
 * caller's choice of CPUs: iovsd gives it the control core, never a PMD's).
 * It serves datapaths (one per bridge); each datapath has at most one passive
 * listener ("ptcp:6653:127.0.0.1", loopback by default: a listener serves one
 * datapath, so several bridges need several ports) and any number of active
 * connections to controllers ("tcp:HOST:PORT"), reconnected with a backoff of
 * 1 s doubling to 8 s as Open vSwitch does. Connections (ofl_conn.c) frame,
 * negotiate and keep alive; whatever they decode is dispatched here by message
 * type through a table of handlers, and multipart requests by multipart type.
 *
 * The agent reaches the switch only through 'struct ofl_switch_ops' (ports,
 * port counters, the bridge's pipeline for flow-table transactions, packet-out
 * and packet-in), so tests run it against a fake switch or a bare pipeline.
 *
 * Thread-safety. The agent thread holds the agent's mutex while it handles
 * events; ofl_agent_dp_set/del/show (any thread, e.g. iovsd's control thread)
 * take it too. The switch ops are called on the agent thread with the mutex
 * held: they must not call back into the agent nor wait for a thread that
 * might (iovsd serves them from a snapshot of its own).
 */
#ifndef OFL_AGENT_H
#define OFL_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "iovs_err.h"
#include "iovs_hist.h"
#include "ofl_conn.h"
#include "ofl_msg.h"

#define OFL_MAX_CONTROLLERS 4
#define OFL_TARGET_MAX	    64
#define OFL_DP_NAME_MAX	    32
#define OFL_MAX_PASSIVE	    16 /* connections accepted per listener at once */
#define OFL_N_TABLES	    16 /* reported and usable (the pipeline has 64) */
#define OFL_DEFAULT_LISTEN  "127.0.0.1:6653"
#define OFL_BACKOFF_MIN_MS  1000u
#define OFL_BACKOFF_MAX_MS  8000u

struct vsw_pl;
struct vsw_act_prog;

/* A packet the data plane sends to the controllers (PACKET_IN). */
struct ofl_pin {
	uint8_t reason; /* OFPR_* */
	uint8_t table_id;
	uint16_t max_len; /* of the output action; 0xffff: the whole frame */
	uint32_t in_port;
	uint64_t cookie, metadata;
	const uint8_t *data; /* the whole frame, valid during the callback */
	uint32_t len;
};

/* How the agent sees one switch (a bridge). Called on the agent thread. */
struct ofl_switch_ops {
	/* Ports in OpenFlow numbering: fills at most 'max', returns how many
	 * there are (may be more than 'max') or -errno. */
	int (*port_list)(void *sw, struct ofl_port *ports, unsigned max);
	/* Counters of one port, or of all with 'port_no' == OFPP_ANY: as
	 * port_list. -ENOENT: no such port. */
	int (*port_stats)(void *sw, uint32_t port_no, struct ofl_port_stats *stats, unsigned max);
	/* Barrier (§6.2): the sequence number of the last flow-table change and
	 * the one every PMD has seen. A BARRIER_REPLY waits until visible >=
	 * the change sequence at request time. NULL: answered at once. */
	uint64_t (*change_seq)(void *sw);
	uint64_t (*visible_seq)(void *sw);

	/* Flow tables. The bridge's pipeline (vswitch/pipeline.h): the agent
	 * thread is its one writer and runs every flow-table transaction on it
	 * (one per FLOW/GROUP/METER_MOD, one per committed bundle); a BARRIER
	 * waits for the last commit's token (vsw_pl_synced) instead of the two
	 * ops above. NULL (or the op NULL): no tables, FLOW_MOD etc. are
	 * answered BAD_TYPE. */
	struct vsw_pl *(*pipeline)(void *sw);
	/* PACKET_OUT: sends 'frame' through 'prog' (compiled for a packet-out,
	 * owned by the callee on every path) as if received on 'in_port', in the
	 * data plane. Returns 0 or -errno; must not wait for a PMD. */
	int (*packet_out)(void *sw, uint32_t in_port, const uint8_t *frame, size_t len,
			  struct vsw_act_prog *prog);
	/* Packet-ins the data plane queued: calls fn for at most 'max' of them. */
	unsigned (*packet_in_poll)(void *sw, void (*fn)(void *arg, const struct ofl_pin *pin),
				   void *arg, unsigned max);
	/* OFPMP_TABLE lookup and matched counts of tables [0, n). */
	void (*table_counters)(void *sw, uint64_t *lookups, uint64_t *matched, unsigned n);
};

/* A "tcp:HOST:PORT" (active) or "ptcp:PORT[:HOST]" / "HOST:PORT" (passive)
 * target; IPv4 dotted quads only. */
struct ofl_target {
	uint32_t addr; /* network order */
	uint16_t port; /* host order; 0: disabled (passive) */
};
/* Parses a passive listen string: "IP:PORT", "ptcp:PORT[:IP]" (IP defaults
 * to 127.0.0.1), or "", "0", "none" for no listener (port 0). */
int ofl_listen_parse(const char *s, struct ofl_target *t, struct iovs_err *err);
/* Parses "tcp:IP:PORT" (PORT defaults to 6653). */
int ofl_controller_parse(const char *s, struct ofl_target *t, struct iovs_err *err);

enum ofl_fail_mode {
	OFL_FAIL_SECURE,     /* controller gone: keep the flows */
	OFL_FAIL_STANDALONE, /* controller gone: the learning bridge */
};

struct ofl_dp_conf {
	char name[OFL_DP_NAME_MAX]; /* the bridge */
	char listen[OFL_TARGET_MAX];
	unsigned n_controllers;
	char controllers[OFL_MAX_CONTROLLERS][OFL_TARGET_MAX];
	enum ofl_fail_mode fail_mode;
	uint64_t datapath_id; /* 0: derived from the name (ofl_dpid_from_name) */
	uint8_t n_tables;     /* 0: OFL_N_TABLES */
};

/* A stable datapath id for a bridge without one configured: a locally
 * administered MAC (02:xx:..) from a hash of the name, in the low 48 bits. */
uint64_t ofl_dpid_from_name(const char *name);

struct ofl_agent_params {
	int cpu;		    /* pin the thread to this CPU; -1: inherit */
	uint32_t probe_interval_ms; /* 0: OFL_CONN_PROBE_MS_DEFAULT */
	size_t max_out_bytes;	    /* per connection; 0: default */
	const char *mfr_desc, *hw_desc, *sw_desc, *serial_num; /* NULL: defaults */
};

struct ofl_agent;

int ofl_agent_create(const struct ofl_agent_params *p, struct ofl_agent **out,
		     struct iovs_err *err);
/* Stops the thread if started, closes every socket. NULL is a no-op. */
void ofl_agent_destroy(struct ofl_agent *a);
/* Starts the OpenFlow thread. */
int ofl_agent_start(struct ofl_agent *a, struct iovs_err *err);
/* One round of the loop without a thread (tests): waits up to 'timeout_ms'
 * for events, handles them and the timers. */
void ofl_agent_run_once(struct ofl_agent *a, int timeout_ms);

/* The agent's wake-up eventfd: writing 1 to it makes the loop run at once
 * (the data plane writes it when it queues a packet-in: vsw_of.h). */
int ofl_agent_wake_fd(const struct ofl_agent *a);

/* Adds a datapath, or replaces the configuration of the one with that name
 * (its connections are kept when the listener and controllers stay the same).
 * Binds the listener before returning: -EADDRINUSE and friends come back here.
 * 'ops'/'sw' must outlive the datapath. */
int ofl_agent_dp_set(struct ofl_agent *a, const struct ofl_dp_conf *conf,
		     const struct ofl_switch_ops *ops, void *sw, struct iovs_err *err);
int ofl_agent_dp_del(struct ofl_agent *a, const char *name);

/* What "controller show" prints: one row per connection or controller. */
struct ofl_conn_info {
	char target[OFL_TARGET_MAX]; /* "tcp:1.2.3.4:6633" or "ptcp peer 127.0.0.1:5555" */
	bool active;		     /* we connect (to a controller) */
	bool connected;
	const char *state; /* "up", "hello", "connecting", "backoff" */
	const char *role;
	uint8_t version;
	uint32_t backoff_ms; /* the last wait before (re)connecting */
	uint64_t n_connects;
	struct ofl_conn_stats stats;
	char last_error[OFL_CONN_ERR_MAX];
};
struct ofl_dp_info {
	char name[OFL_DP_NAME_MAX];
	char listen[OFL_TARGET_MAX]; /* as bound, "" when none */
	char listen_error[OFL_CONN_ERR_MAX];
	uint64_t datapath_id;
	enum ofl_fail_mode fail_mode;
	unsigned n_conns;
	/* Flow-install latency: from the arrival of a FLOW_MOD, GROUP_MOD,
	 * METER_MOD or BUNDLE commit (the socket read that completed it) until
	 * the agent sees that every PMD has passed a quiescent state after its
	 * commit (pipeline.h: vsw_pl_synced), checked at least every
	 * WAIT_MAX_US while one waits: an upper bound by that much. Since start. */
	struct iovs_hist flow_install;
	uint64_t flow_install_unsampled; /* more than INSTALL_PEND waited at once */
};
/* Calls 'dp_cb' once and 'conn_cb' per connection, with the mutex held.
 * Returns -ENOENT when there is no such datapath. */
int ofl_agent_dp_show(struct ofl_agent *a, const char *name,
		      void (*dp_cb)(const struct ofl_dp_info *, void *),
		      void (*conn_cb)(const struct ofl_conn_info *, void *), void *arg);

/* OFPPS_* / OFPPF_* / OFPC_* values iovs reports. */
#define OFL_PS_LINK_DOWN    (1u << 0)
#define OFL_PS_LIVE	    (1u << 2)
#define OFL_PF_10MB_FD	    (1u << 1)
#define OFL_PF_100MB_FD	    (1u << 3)
#define OFL_PF_1GB_FD	    (1u << 5)
#define OFL_PF_10GB_FD	    (1u << 6)
#define OFL_PF_40GB_FD	    (1u << 7)
#define OFL_PF_100GB_FD	    (1u << 8)
#define OFL_PF_OTHER	    (1u << 10)
#define OFL_PF_COPPER	    (1u << 11)
#define OFL_CAP_FLOW_STATS  (1u << 0)
#define OFL_CAP_TABLE_STATS (1u << 1)
#define OFL_CAP_PORT_STATS  (1u << 2)
#define OFL_CAP_GROUP_STATS (1u << 3)
/* The OFPPF_* speed bit for a link speed in Mb/s (OTHER when none fits). */
uint32_t ofl_port_speed_bits(uint32_t mbps);

/* ---- Flows from the command line (ofl_cli.c, ofl_trace.c) ----
 *
 * iovsctl's flow add/mod/del/dump and ofl trace, called on iovsd's control
 * thread. Each takes the agent's mutex, as ofl_agent_dp_show does, and works
 * on the datapath's pipeline exactly as the OpenFlow thread does for a
 * controller: the text is parsed into a FLOW_MOD by ofl_syntax.h (the codec's
 * structs and validation), applied as one transaction (begin → mod →
 * commit), and flows it removes are reported to the controllers with
 * FLOW_REMOVED. Such flows are not persisted, like a controller's. Errors:
 * -ENOENT (no datapath of that name), -ENODEV (the datapath has no
 * pipeline), -EINVAL (the text, or the pipeline refused it; 'err' says which
 * word, or which OpenFlow error and why). */

enum ofl_cli_cmd { OFL_CLI_ADD, OFL_CLI_MODIFY, OFL_CLI_DELETE };

/* Adds, modifies ('strict': MODIFY_STRICT) or deletes ('strict':
 * DELETE_STRICT) flows; returns once every PMD sees the change (or after 1 s,
 * when PMDs are slow to report: the change is made either way). */
int ofl_agent_flow_mod(struct ofl_agent *a, const char *bridge, enum ofl_cli_cmd cmd, bool strict,
		       const char *text, struct iovs_err *err);

/* One flow of a dump; pointers valid during the callback. */
struct ofl_flow_entry {
	const struct ofl_flow_stats *fs; /* table, priority, cookie, counters, duration, ... */
	const char *match;		 /* "ip,nw_dst=10.0.0.0/8" ("" for a match of all) */
	const char *actions;		 /* "output:2" ("drop" when none) */
	const char *flags;		 /* "send_flow_rem,check_overlap" or "" */
};

/* Calls 'fn' for every flow 'filter' selects (an OFL_SYNTAX_FILTER text:
 * table, cookie/mask, out_port, out_group and a match the flow is at least as
 * specific as; NULL or "" for all), ordered by table, then priority
 * descending, then age. The mutex is held during the walk. Returns the number
 * of flows or -errno. */
int ofl_agent_flow_dump(struct ofl_agent *a, const char *bridge, const char *filter,
			void (*fn)(const struct ofl_flow_entry *e, void *arg), void *arg,
			struct iovs_err *err);

/* One step of a trace; pointers valid during the callback. */
struct ofl_trace_step {
	const char *kind; /* "table", "instructions", "miss", "meter", "apply", "clear", "write",
			   * "metadata", "goto", "action_set", "group", "bucket", "output",
			   * "drop", "note" */
	unsigned depth;	  /* groups entered */
	int table_id;	  /* -1: not at a table */
	const char *text; /* one line for a human */
	/* kind "table": the flow that matched */
	bool has_flow;
	uint16_t priority;
	uint64_t cookie;
	const char *match, *actions;
};

struct ofl_trace_summary {
	char packet[1024];  /* the packet as understood, in the flow syntax */
	unsigned n_tables;  /* lookups */
	unsigned n_outputs; /* outputs of any kind */
	bool dropped;
	bool truncated;	   /* too many steps (groups of groups): the rest is not shown */
	char verdict[512]; /* "output:2 (p2)" / "drop: table miss in table 1" */
};

/* Walks 'packet' (an OFL_SYNTAX_PACKET text: in_port and fields) through the
 * bridge's tables at the version PMDs use, as a PMD would, without sending
 * or counting anything (vsw_pl_trace), and calls 'fn' for each step. */
int ofl_agent_trace(struct ofl_agent *a, const char *bridge, const char *packet,
		    void (*fn)(const struct ofl_trace_step *s, void *arg), void *arg,
		    struct ofl_trace_summary *sum, struct iovs_err *err);

#endif
