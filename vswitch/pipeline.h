/* The OpenFlow 1.3 pipeline: VSW_PL_TABLES classifiers sharing one version,
 * flow entries with their compiled instructions (actions.h), groups, meters,
 * a per-PMD exact-match cache (emc.h), and the writer's transactions.
 *
 * Threads. One writer (the OpenFlow thread) calls everything but
 * vsw_pl_run() / vsw_pl_packet_out(), which PMDs call with their own
 * 'struct vsw_pl_ctx'. PMDs take no lock: they load the published version once
 * per packet (classifier.h), and the group and meter maps with acquire loads;
 * every object they can reach is freed only after an rte_rcu_qsbr grace period
 * (PMDs report a quiescent state between bursts, never inside vsw_pl_run).
 *
 * Transactions (P7). vsw_pl_begin() opens version V = visible + 1; flow_mods,
 * group_mods and meter_mods change V only; vsw_pl_commit() publishes the group
 * and meter maps, then V: a packet sees all of a transaction (a flow_mod, a
 * bundle) or none of its flow changes. Groups and meters are not versioned: a
 * packet that started before the commit may already find the new group or
 * meter. vsw_pl_abort() undoes everything since begin. The commit returns a
 * token; vsw_pl_synced(token) (non-blocking) becomes true once every PMD has
 * passed a quiescent state after the commit: the change is visible to all of
 * them (BARRIER).
 *
 * Counters. Each flow has one counter block per PMD, written by that PMD with
 * relaxed stores (no atomic read-modify-write), summed by the writer. A modify
 * carries the totals over to the new entry (unless RESET_COUNTS); packets
 * counted on the old entry by PMDs still at the old version after that are not
 * carried (at most one burst per PMD).
 *
 * Meters: a GCRA (virtual-scheduling form of the token bucket) on one 64-bit
 * "theoretical arrival time" per meter, shared by all PMDs and updated with a
 * compare-and-swap; a packet that does not conform changes nothing. The state
 * is exact to 1 ns per packet (the cost of one packet or byte is rounded to
 * the ns): at 10 Mpps (100 ns a packet) the rate is within 1 %, at 1 Mpps
 * within 0.1 %. Burst: OFPMF_BURST's burst_size (packets, or kilobits), else
 * 10 ms of the rate, and at least two packets (or 2 x 1500 bytes): with a
 * one-packet bucket every arrival later than its theoretical time loses
 * credit, and a paced sender with some jitter gets 70-85 % of the rate (Ryu's
 * meter cases at 100 pktps and 1 Mbps). Only a DROP band. */
#ifndef VSW_PIPELINE_H
#define VSW_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "actions.h"
#include "classifier.h"
#include "emc.h"
#include "flow_key.h"

#define VSW_PL_TABLES	   64
#define VSW_PL_TABLE_ALL   0xff
#define VSW_PL_MAX_PMDS	   64
#define VSW_PL_MAX_HOPS	   VSW_EMC_MAX_HOPS
#define VSW_PL_MAX_BUCKETS 32
#define VSW_PL_GROUP_DEPTH 4 /* groups chained in groups */

struct vsw_pl;
struct vsw_emc;

/* Per-PMD counters of a flow: written by PMD i with relaxed stores. */
struct vsw_pl_counter {
	uint64_t packets;
	uint64_t bytes;
	uint64_t used_ns; /* 0: never */
};

/* flags */
#define VSW_PL_FF_SEND_FLOW_REM 0x0001 /* OFPFF_* values */
#define VSW_PL_FF_CHECK_OVERLAP 0x0002
#define VSW_PL_FF_RESET_COUNTS	0x0004

/* A flow entry. 'rule.actions' is its 'struct vsw_act_prog'. Writer fields
 * (all but rule and counters) are the writer's; PMDs read rule, prog, cookie
 * and table_id, and write their counters[pmd]. */
struct vsw_pl_flow {
	struct vsw_cls_rule rule;
	uint64_t cookie;
	uint16_t flags;
	uint16_t idle_timeout, hard_timeout; /* seconds, 0: none */
	uint8_t table_id;
	uint64_t created_ns;
	uint64_t base_packets, base_bytes, base_used; /* carried over by a modify */
	struct vsw_pl_flow *live_prev, *live_next;    /* writer: the live list */
	unsigned n_pmds;
	struct vsw_pl_counter counters[];
};

enum vsw_pl_cmd {
	VSW_PL_ADD,
	VSW_PL_MODIFY,
	VSW_PL_MODIFY_STRICT,
	VSW_PL_DELETE,
	VSW_PL_DELETE_STRICT,
};

struct vsw_pl_flow_mod {
	enum vsw_pl_cmd cmd;
	uint8_t table_id; /* VSW_PL_TABLE_ALL: delete only */
	struct vsw_flow_key key, mask;
	uint32_t priority;
	uint64_t cookie, cookie_mask; /* modify/delete: filter; add: the cookie */
	uint16_t flags;		      /* VSW_PL_FF_* */
	uint16_t idle_timeout, hard_timeout;
	uint32_t out_port, out_group; /* delete filter; VSW_ACT_PORT_ANY / _GROUP_ANY */
	struct vsw_act_insts insts;   /* add / modify */
};

enum vsw_pl_rm_reason {
	VSW_PL_RM_IDLE_TIMEOUT = 0, /* OFPRR_* values */
	VSW_PL_RM_HARD_TIMEOUT = 1,
	VSW_PL_RM_DELETE = 2,
	VSW_PL_RM_GROUP_DELETE = 3,
	VSW_PL_RM_METER_DELETE = 4,
};

/* A removed flow, for FLOW_REMOVED (copied: the flow itself is freed later). */
struct vsw_pl_removed {
	uint8_t table_id;
	uint8_t reason; /* enum vsw_pl_rm_reason */
	uint16_t flags, idle_timeout, hard_timeout;
	uint32_t priority;
	uint64_t cookie;
	uint64_t duration_ns;
	uint64_t packets, bytes;
	struct vsw_flow_key key, mask;
};

typedef void (*vsw_pl_removed_fn)(void *arg, const struct vsw_pl_removed *rm);

enum vsw_pl_group_type {
	VSW_PL_GROUP_ALL = 0, /* OFPGT_* values */
	VSW_PL_GROUP_SELECT = 1,
	VSW_PL_GROUP_INDIRECT = 2,
	VSW_PL_GROUP_FF = 3,
};

struct vsw_pl_bucket_spec {
	uint16_t weight;		  /* select */
	uint32_t watch_port, watch_group; /* fast failover; ANY: none */
	const struct vsw_act *acts;
	size_t n_acts;
};

enum vsw_pl_mod_cmd { VSW_PL_MOD_ADD, VSW_PL_MOD_MODIFY, VSW_PL_MOD_DELETE };

struct vsw_pl_group_mod {
	enum vsw_pl_mod_cmd cmd;
	uint8_t type;	   /* enum vsw_pl_group_type */
	uint32_t group_id; /* DELETE: VSW_ACT_GROUP_ANY deletes all */
	const struct vsw_pl_bucket_spec *buckets;
	size_t n_buckets;
};

#define VSW_PL_METER_KBPS  0x0001 /* OFPMF_* values */
#define VSW_PL_METER_PKTPS 0x0002
#define VSW_PL_METER_BURST 0x0004
#define VSW_PL_METER_STATS 0x0008

struct vsw_pl_meter_mod {
	enum vsw_pl_mod_cmd cmd;
	uint16_t flags;
	uint32_t meter_id; /* 1..0xffff0000; DELETE: 0xffffffff (OFPM_ALL) deletes all */
	uint32_t rate;	   /* one DROP band: kb/s or packets/s */
	uint32_t burst;	   /* kilobits or packets, with VSW_PL_METER_BURST */
};

struct vsw_pl_config {
	unsigned n_pmds;		/* contexts (counter slots), 1..VSW_PL_MAX_PMDS */
	struct rte_rcu_qsbr *qs;	/* the PMDs' QSBR variable; NULL: no concurrent readers */
	uint32_t local_port;		/* VSW_ACT_PORT_ANY: none */
	bool invalid_ttl_to_controller; /* OFPC_INVALID_TTL_TO_CONTROLLER: else drop */
	bool (*port_exists)(void *ctx, uint32_t port); /* NULL: any port */
	void *port_ctx;
};

int vsw_pl_create(const struct vsw_pl_config *conf, struct vsw_pl **out);
/* No PMD in vsw_pl_run, no transaction open. NULL is a no-op. */
void vsw_pl_destroy(struct vsw_pl *pl);

/* ---- Writer ---- */

/* Opens a transaction at time 'now_ns' (the flows' creation time). -EBUSY:
 * one is open. */
int vsw_pl_begin(struct vsw_pl *pl, uint64_t now_ns);
/* One flow_mod. 'removed' (may be NULL) is called for each flow a delete
 * removes (the caller checks VSW_PL_FF_SEND_FLOW_REM), at once: the caller
 * sends them after the commit and drops them on an error or an abort. On
 * error nothing of this flow_mod is left (earlier ones of the transaction
 * stay). */
enum vsw_act_err vsw_pl_flow_mod(struct vsw_pl *pl, const struct vsw_pl_flow_mod *fm,
				 vsw_pl_removed_fn removed, void *arg);
/* Deleting a group (meter) also deletes the flows that use it (reported to
 * 'removed' with VSW_PL_RM_GROUP_DELETE / _METER_DELETE). */
enum vsw_act_err vsw_pl_group_mod(struct vsw_pl *pl, const struct vsw_pl_group_mod *gm,
				  vsw_pl_removed_fn removed, void *arg);
enum vsw_act_err vsw_pl_meter_mod(struct vsw_pl *pl, const struct vsw_pl_meter_mod *mm,
				  vsw_pl_removed_fn removed, void *arg);
/* Publishes the transaction. Returns a token for vsw_pl_synced(). */
uint64_t vsw_pl_commit(struct vsw_pl *pl);
void vsw_pl_abort(struct vsw_pl *pl);
/* True once every PMD has seen the commit that returned 'token'. Also runs
 * the deferred frees that are due (as vsw_pl_poll). Never blocks. */
bool vsw_pl_synced(struct vsw_pl *pl, uint64_t token);
/* Runs the deferred frees whose grace period has passed (call regularly). */
void vsw_pl_poll(struct vsw_pl *pl);

/* Removes (in a transaction of its own, committed) the flows whose idle or
 * hard timeout has passed at 'now_ns', reporting each to 'removed'. Returns
 * how many, or -EBUSY if a transaction is open. Cost: every live flow. */
int vsw_pl_expire(struct vsw_pl *pl, uint64_t now_ns, vsw_pl_removed_fn removed, void *arg);

/* A meter's counters summed over the PMDs (writer); -ENOENT if there is no
 * such meter (published). */
int vsw_pl_meter_stats(struct vsw_pl *pl, uint32_t meter_id, uint64_t *packets, uint64_t *bytes,
		       uint64_t *dropped);

/* A group's counters summed over the PMDs (writer, as it sees the groups:
 * this transaction's changes included). A modify keeps the group's totals
 * and its duration; its buckets' start again. The group counts every packet
 * that reaches it, its buckets the packets (or copies) each one ran. */
struct vsw_pl_group_stats {
	uint64_t packets, bytes;
	uint64_t duration_ns; /* at 'now_ns' since the group was added (vsw_pl_begin's clock) */
	unsigned n_buckets;
	uint64_t bucket_packets[VSW_PL_MAX_BUCKETS], bucket_bytes[VSW_PL_MAX_BUCKETS];
};
int vsw_pl_group_stats(struct vsw_pl *pl, uint32_t group_id, uint64_t now_ns,
		       struct vsw_pl_group_stats *st);

/* Totals of a flow (writer). */
void vsw_pl_flow_stats(const struct vsw_pl_flow *f, uint64_t *packets, uint64_t *bytes,
		       uint64_t *used_ns);
/* Calls fn for each live flow of 'table_id' (VSW_PL_TABLE_ALL: all). */
size_t vsw_pl_flow_foreach(struct vsw_pl *pl, uint8_t table_id,
			   void (*fn)(const struct vsw_pl_flow *f, void *arg), void *arg);
unsigned vsw_pl_n_flows(const struct vsw_pl *pl);
/* Calls fn for each group / meter as the writer sees it (this transaction's
 * changes included), in id order, with how many live flows use it. */
void vsw_pl_group_foreach(struct vsw_pl *pl,
			  void (*fn)(const struct vsw_pl_group_mod *gm, unsigned ref_count,
				     void *arg),
			  void *arg);
void vsw_pl_meter_foreach(struct vsw_pl *pl,
			  void (*fn)(const struct vsw_pl_meter_mod *mm, unsigned flow_count,
				     void *arg),
			  void *arg);

/* ---- PMD side ---- */

enum vsw_pl_drop {
	VSW_PL_DROP_TABLE_MISS,
	VSW_PL_DROP_NO_OUTPUT, /* instructions ended without an output */
	VSW_PL_DROP_METER,
	VSW_PL_DROP_TTL,     /* invalid TTL, not to the controller */
	VSW_PL_DROP_NO_MBUF, /* a copy or headroom was not available */
	VSW_PL_DROP_GROUP,   /* unknown group, no live bucket, chained too deep */
	VSW_PL_DROP__MAX
};

enum vsw_pl_pin_reason {
	VSW_PL_PIN_NO_MATCH = 0, /* OFPR_* values */
	VSW_PL_PIN_ACTION = 1,
	VSW_PL_PIN_INVALID_TTL = 2,
};

/* What a packet-in carries besides the packet. */
struct vsw_pl_pin {
	uint8_t reason; /* enum vsw_pl_pin_reason */
	uint8_t table_id;
	uint16_t max_len;
	uint64_t cookie;
	const struct vsw_flow_key *key; /* the match fields (in_port, metadata, ...) */
};

/* Where packets go. Every callback but drop and port_live takes ownership of
 * the mbuf. 'queue' is the set_queue value (0 when none). */
struct vsw_pl_out_ops {
	void (*output)(void *ctx, uint32_t port, uint32_t queue, struct rte_mbuf *m);
	void (*normal)(void *ctx, uint32_t in_port, struct rte_mbuf *m);
	/* FLOOD (all = false) or ALL: every port but in_port. */
	void (*flood)(void *ctx, uint32_t in_port, bool all, struct rte_mbuf *m);
	void (*controller)(void *ctx, const struct vsw_pl_pin *pin, struct rte_mbuf *m);
	/* A drop, counted by reason; the pipeline frees the packet. */
	void (*drop)(void *ctx, enum vsw_pl_drop reason);
	/* Fast-failover liveness; NULL: every port is live. */
	bool (*port_live)(void *ctx, uint32_t port);
};

/* One per PMD (or test thread), never shared. */
struct vsw_pl_ctx {
	struct vsw_pl *pl;
	unsigned pmd;
	uint64_t now_ns;	/* set by the caller before each vsw_pl_run */
	struct rte_mempool *mp; /* copies (clones, shared segments) */
	struct vsw_emc *emc;	/* NULL: no cache */
	struct vsw_emc_gate emc_gate;
	struct vsw_act_scratch *scratch;
	/* Written by the PMD with relaxed stores, readable (relaxed) by the
	 * control thread: OFPMP_TABLE's lookup and matched counts. */
	uint64_t emc_hits, emc_misses;
	uint64_t lookups[VSW_PL_TABLES], matched[VSW_PL_TABLES];
};

int vsw_pl_ctx_init(struct vsw_pl_ctx *ctx, struct vsw_pl *pl, unsigned pmd, struct rte_mempool *mp,
		    bool emc);
void vsw_pl_ctx_fini(struct vsw_pl_ctx *ctx);

/* Runs pkts[0, n) received on 'in_port' through the pipeline. 'keys': their
 * keys already extracted (and changed here), or NULL to extract them. Every
 * packet ends in exactly one of the ops' callbacks or the drop path (or
 * several for copies). */
void vsw_pl_run(struct vsw_pl_ctx *ctx, struct rte_mbuf **pkts, struct vsw_flow_key *keys,
		uint16_t n, uint32_t in_port, const struct vsw_pl_out_ops *ops, void *octx);

/* PACKET_OUT: runs compiled actions (vsw_act_compile with env.packet_out) on
 * 'm' as if received on 'in_port'; output TABLE runs the pipeline. */
void vsw_pl_packet_out(struct vsw_pl_ctx *ctx, struct rte_mbuf *m, uint32_t in_port,
		       const struct vsw_act_prog *prog, const struct vsw_pl_out_ops *ops,
		       void *octx);

/* The bucket a select group picks for 'key' among 'n' weights (0: never),
 * or -1. Exposed for tests. */
int vsw_pl_select_bucket(const struct vsw_flow_key *key, const uint16_t *weights, unsigned n);

/* The hash of a key (EMC, select groups). */
uint32_t vsw_pl_key_hash(const struct vsw_flow_key *key);

/* ---- Trace (writer; pipeline_trace.c) ----
 *
 * Where a packet would go, without sending it: vsw_pl_trace() follows a key
 * through the tables at the visible version as vsw_pl_run() would (the same
 * lookups, instructions, action set, group bucket choice), reporting each
 * step, but executes nothing: no packet, no PMD, no counter or meter touched,
 * no cache filled. Packet-modifying actions are applied to the key only (as
 * vsw_act_modify leaves it); what the key does not hold is assumed (a TTL
 * above 1, a meter that lets the packet pass). */

enum vsw_pl_trace_kind {
	VSW_PL_TRACE_LOOKUP,	 /* table_id; flow, or NULL for a table miss; key as looked up */
	VSW_PL_TRACE_METER,	 /* id; found, and the meter's flags, rate, burst */
	VSW_PL_TRACE_ACTION,	 /* act (not an output) applied to key; in_set: from the set */
	VSW_PL_TRACE_CLEAR,	 /* clear-actions: the action set is empty */
	VSW_PL_TRACE_WRITE,	 /* write-actions: acts[0, n_acts) merged into the set */
	VSW_PL_TRACE_METADATA,	 /* write-metadata: key->metadata is the new value */
	VSW_PL_TRACE_GOTO,	 /* goto-table: table_id is the next table */
	VSW_PL_TRACE_ACTION_SET, /* the end of the tables: set[0, n_acts) runs, in this order */
	VSW_PL_TRACE_GROUP,	 /* act (the group action); id, group_type, n_buckets; found */
	VSW_PL_TRACE_BUCKET,	 /* bucket (an index), weight, acts[0, n_acts): it runs */
	VSW_PL_TRACE_OUTPUT,	 /* act (an output); port (IN_PORT resolved; in_port for NORMAL,
				  * FLOOD, ALL), queue; CONTROLLER: pin_reason, max_len */
	VSW_PL_TRACE_DROP,	 /* drop: why the packet, or a group's copy, goes no further */
};

struct vsw_pl_trace_ev {
	enum vsw_pl_trace_kind kind;
	unsigned depth; /* groups entered: 0 in the tables */
	uint8_t table_id;
	bool in_set;
	bool found;
	const struct vsw_pl_flow *flow;
	const struct vsw_flow_key *key; /* the packet as it is at this step */
	const struct vsw_act *act;
	const struct vsw_act *acts;	  /* WRITE, BUCKET */
	const struct vsw_act *const *set; /* ACTION_SET */
	size_t n_acts;
	uint32_t id; /* group or meter */
	uint8_t group_type;
	unsigned n_buckets, bucket;
	uint16_t weight;
	uint16_t meter_flags;
	uint32_t meter_rate, meter_burst;
	uint32_t port, queue;
	uint8_t pin_reason; /* enum vsw_pl_pin_reason */
	uint16_t max_len;
	enum vsw_pl_drop drop;
};

struct vsw_pl_trace_ops {
	void (*event)(void *arg, const struct vsw_pl_trace_ev *ev);
	/* Fast-failover and select liveness; NULL: every port is live. */
	bool (*port_live)(void *arg, uint32_t port);
};

#define VSW_PL_TRACE_MAX_EVENTS 4096 /* groups of groups: the trace stops there */

struct vsw_pl_trace_result {
	unsigned n_tables;  /* lookups */
	unsigned n_outputs; /* outputs of any kind; a group counts once */
	bool dropped;	    /* ended without any output: 'drop' says why */
	enum vsw_pl_drop drop;
	bool truncated; /* VSW_PL_TRACE_MAX_EVENTS reached: the rest is not traced */
};

/* Traces a packet whose key is 'key' (every field as extraction would fill
 * it: vsw_pl_trace_key_parse sets 'parse' from the fields) through 'pl'.
 * Writer side (the caller holds what serialises the pipeline's writer);
 * reads only. Returns 0, or -EINVAL for a NULL argument. */
int vsw_pl_trace(struct vsw_pl *pl, const struct vsw_flow_key *key,
		 const struct vsw_pl_trace_ops *ops, void *arg, struct vsw_pl_trace_result *res);

/* Sets key->parse as vsw_flow_key_extract() would for a frame carrying
 * these fields: IPv4, IPv6, ARP by eth_type; L4 for TCP, UDP, SCTP, ICMP;
 * ND for an ICMPv6 neighbor solicitation or advertisement. */
void vsw_pl_trace_key_parse(struct vsw_flow_key *key);

#endif
