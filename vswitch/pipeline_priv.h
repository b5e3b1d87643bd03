/* Layouts shared by pipeline.c (writer) and pipeline_run.c (PMDs); never
 * included outside the pipeline and its tests. */
#ifndef VSW_PIPELINE_PRIV_H
#define VSW_PIPELINE_PRIV_H

#include "pipeline.h"

/* Groups or meters by id, sorted: immutable once published (release store
 * into vsw_pl; PMDs load it with acquire), replaced by a copy per transaction
 * that changes it, the old one freed after a grace period. */
struct idmap {
	uint32_t n, cap;
	struct {
		uint32_t id;
		void *obj;
	} e[];
};

static inline void *
vsw_pl_map_find(const struct idmap *m, uint32_t id)
{
	uint32_t lo = 0, hi = m != NULL ? m->n : 0;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (m->e[mid].id == id)
			return m->e[mid].obj;
		if (m->e[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct vsw_pl_bucket {
	uint16_t weight;
	uint16_t first, n_acts; /* in the group's acts[] */
	uint32_t watch_port, watch_group;
};

/* Immutable once published; a modify publishes a new one. */
/* A group's and its buckets' counters, one row per PMD (written by that PMD
 * with relaxed stores, read relaxed by the writer): [0] the group,
 * [1 + i] bucket i. Rows are whole cache lines. */
struct vsw_pl_gcount {
	uint64_t packets, bytes;
};

/* Configuration immutable (a modify builds a new group, which takes over the
 * old one's totals in 'base' and its creation time); stats by the PMDs. */
struct vsw_pl_group {
	uint32_t id;
	uint8_t type;
	uint16_t n_buckets;
	uint64_t created_ns;
	struct vsw_pl_gcount base; /* the group's totals before a modify */
	unsigned n_pmds;
	unsigned row;		     /* counters per PMD row (1 + n_buckets, rounded up to 4) */
	struct vsw_pl_gcount *stats; /* [n_pmds][row], in the same allocation */
	struct vsw_pl_bucket b[VSW_PL_MAX_BUCKETS];
	struct vsw_act acts[];
};

/* Configuration immutable; 'tat' shared by PMDs (CAS); stats[i] by PMD i. */
struct vsw_pl_meter {
	uint32_t id;
	uint16_t flags;
	uint32_t rate, burst;
	uint64_t pkt_ns; /* pktps: the cost of one packet */
	uint64_t tol_ns; /* how far ahead of now the arrival time may run */
	unsigned n_pmds;
	uint64_t tat; /* theoretical arrival time, ns */
	struct {
		uint64_t packets, bytes, dropped;
	} stats[];
};

enum undo_kind {
	UNDO_INSERT,  /* flow inserted: remove it */
	UNDO_REMOVE,  /* flow removed: unremove it */
	UNDO_NEW_OBJ, /* group/meter created: free it on abort */
	UNDO_DEL_OBJ, /* group/meter replaced or deleted: free it after commit */
};

struct undo {
	enum undo_kind kind;
	void *obj;
};

struct defer_node;

struct vsw_pl {
	struct vsw_pl_config conf;
	struct vsw_cls_version version;
	struct vsw_cls *cls[VSW_PL_TABLES];
	struct idmap *groups, *meters; /* published */

	/* Writer only. */
	bool txn;
	uint64_t txn_version;
	uint64_t now_ns;
	struct idmap *groups_next, *meters_next; /* this transaction's copies */
	struct undo *undo;
	size_t n_undo, cap_undo;
	struct vsw_pl_flow *live; /* flows visible after the open/last transaction */
	unsigned n_flows;
	struct defer_node *defer_head, *defer_tail;
};

/* Meter conformance of a packet of 'bytes' at 'now' (pipeline_run.c). */
bool vsw_pl_meter_pass(struct vsw_pl_meter *mt, unsigned pmd, uint32_t bytes, uint64_t now);

/* pipeline_run.c, shared with the trace (pipeline_trace.c) so both judge
 * alike. A bucket is live (OF 1.3 §6.5) if its watch port is (port_live NULL:
 * every port is) and its watch group has a live bucket, chained at most
 * VSW_PL_GROUP_DEPTH deep; 'groups' as the packet sees them. */
bool vsw_pl_bucket_live(const struct idmap *groups, const struct vsw_pl_bucket *b, unsigned depth,
			bool (*port_live)(void *arg, uint32_t port), void *arg);
/* A flow of priority 0 that matches everything (the table-miss flow): its
 * packet-ins say NO_MATCH. */
bool vsw_pl_flow_is_miss(const struct vsw_pl_flow *f);

#endif
