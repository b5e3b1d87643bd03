/* vswitch internals shared by the files of this folder (never included outside).
 *
 * Ownership at a glance:
 *   struct vsw         control thread; 'dp' is the one field PMDs read (RCU).
 *   struct vsw_port    created/destroyed by the control thread; 'conf', 'ops'
 *                      and 'offload_caps' immutable once published; rxq[] stats
 *                      written by the one PMD polling that queue; pmd_stats[i]
 *                      written by PMD i only.
 *   struct vsw_bridge  control thread; 'fdb' shared with PMDs (see fdb.h).
 *   struct vsw_dp      immutable once published; freed after a grace period.
 *   struct vsw_pmd     its own PMD thread; counters read by the control thread.
 */
#ifndef VSW_PRIV_H
#define VSW_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_spinlock.h>

#include "fdb.h"
#include "offload.h"
#include "pkt_key.h"
#include "vsw.h"

#define VSW_BURST 32

struct vsw_port;
struct vhu_dev;

/* How a port type opens, polls and closes a device (CONVENTIONS.md 3). */
struct vsw_port_ops {
	/* Opens and starts the device with conf->n_queues rx queues and at least
	 * one tx queue (ideally one per PMD); sets port->n_txq. */
	int (*open)(struct vsw_port *port, struct rte_mempool *mp, unsigned n_pmds,
		    struct iovs_err *err);
	void (*close)(struct vsw_port *port);
	uint16_t (*rx_burst)(struct vsw_port *port, uint16_t qid, struct rte_mbuf **pkts,
			     uint16_t n);
	uint16_t (*tx_burst)(struct vsw_port *port, uint16_t qid, struct rte_mbuf **pkts,
			     uint16_t n);
	/* Optional (PMD, under the queue's lock if shared): readies packets that
	 * carry offload work for the device (rte_eth_tx_prepare). Returns how many
	 * of the leading packets are ready; pkts[return] is refused. */
	uint16_t (*tx_prepare)(struct vsw_port *port, uint16_t qid, struct rte_mbuf **pkts,
			       uint16_t n);
	/* Optional (PMD): the VSW_OFFLOAD_* work the port does itself now, for
	 * ports whose capabilities change (a guest renegotiates); without it,
	 * 'offload_caps' of struct vsw_port. */
	uint32_t (*offload_caps)(const struct vsw_port *port);
	/* Link, MAC and the device's own drop counters (control thread). */
	void (*get_info)(struct vsw_port *port, struct vsw_port_info *info);
};

extern const struct vsw_port_ops vsw_port_ethdev_ops;
extern const struct vsw_port_ops vsw_port_vhost_ops;

/* Written only by the PMD polling the queue; read (relaxed) by the control thread. */
struct vsw_rxq {
	struct vsw_port *port;
	uint16_t qid;
	int pmd; /* index into vsw->pmds */
	uint64_t rx_packets;
	uint64_t rx_bytes;
} __rte_cache_aligned;

/* One per (port, PMD): the PMD's transmissions to the port and the drops it
 * attributes to the port. */
struct vsw_port_pmd_stats {
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t drops[VSW_DROP__MAX];
} __rte_cache_aligned;

struct vsw_port {
	struct vsw_port_conf conf;
	const struct vsw_port_ops *ops;
	struct vsw *sw;
	struct vsw_bridge *bridge;
	uint16_t slot;	      /* index in vsw->ports and dp->ports */
	uint16_t eth_port_id; /* ethdev ports */
	struct vhu_dev *vhu;  /* vhost-user ports */
	struct rte_mempool *mp;
	uint32_t offload_caps; /* VSW_OFFLOAD_*: set by open (ethdev: what configure enabled) */
	uint16_t n_txq;
	bool txq_shared; /* fewer tx queues than PMDs: lock per queue */
	rte_spinlock_t txq_lock[VSW_MAX_PMDS];
	struct vsw_rxq rxq[VSW_MAX_QUEUES];
	struct vsw_port_pmd_stats *pmd_stats; /* [n_pmds] */
};

struct vsw_bridge {
	struct vsw_bridge_conf conf;
	unsigned idx; /* index in vsw->bridges and dp->members */
	unsigned n_ports;
	struct vsw_fdb *fdb;
	struct vsw_of *of; /* OpenFlow pipeline (of_bridge.c); NULL: the learning bridge */
};

/* The datapath snapshot PMDs read: immutable once published. */
struct vsw_dp {
	struct vsw_port *ports[VSW_MAX_PORTS];
	struct {
		uint16_t n;
		uint16_t slots[VSW_MAX_PORTS];
	} members[VSW_MAX_BRIDGES];	    /* ports of each bridge, for flooding */
	struct vsw_of *of[VSW_MAX_BRIDGES]; /* bridges run by an OpenFlow pipeline */
	unsigned n_of;
	struct {
		unsigned n;
		struct vsw_rxq **rxq;
	} poll[VSW_MAX_PMDS];	    /* rx queues each PMD polls */
	struct vsw_rxq *rxq_pool[]; /* storage behind poll[].rxq */
};

struct vsw_txbatch {
	uint16_t n;
	bool offload; /* a packet in pkts[] carries offload work (VSW_OFFLOAD_TX_WORK) */
	struct rte_mbuf *pkts[VSW_BURST];
};

/* Counters written by the PMD with relaxed stores, read by the control thread. */
struct vsw_pmd {
	struct vsw *sw;
	unsigned idx;
	unsigned lcore;
	bool stop;
	uint64_t iterations;
	uint64_t rx_packets;
	uint64_t busy_cycles;
	uint64_t idle_cycles;
	unsigned n_pending;
	uint16_t pending[VSW_MAX_PORTS]; /* slots with a non-empty batch */
	struct vsw_offload_ctx offload;	 /* software checksums and segmentation at outputs */
	struct vsw_txbatch txb[VSW_MAX_PORTS];
} __rte_cache_aligned;

struct vsw {
	struct vsw_dp *dp; /* published; PMDs load it with acquire */
	struct vhu_loop *vhu_loop;
	struct rte_mempool *mp;
	struct rte_mempool *indirect_mp; /* no data room: rte_gso's payload references */
	struct rte_rcu_qsbr *qs;
	unsigned n_pmds;
	struct vsw_pmd *pmds[VSW_MAX_PMDS];
	struct vsw_port *ports[VSW_MAX_PORTS]; /* control view, by slot */
	struct vsw_bridge *bridges[VSW_MAX_BRIDGES];
};

/* Counter update by the one thread that writes the counter. */
static inline void
vsw_stat_add(uint64_t *counter, uint64_t n)
{
	__atomic_store_n(counter, *counter + n, __ATOMIC_RELAXED);
}

static inline uint64_t
vsw_stat_read(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/* The offload work 'port' does itself now (PMD). */
static inline uint32_t
vsw_port_offload_caps(const struct vsw_port *port)
{
	return port->ops->offload_caps != NULL ? port->ops->offload_caps(port) : port->offload_caps;
}

/* dp.c: rebuild the snapshot from the control view, publish it, wait for every
 * PMD to pass a quiescent state, free the old one. */
int vsw_dp_publish(struct vsw *sw);

/* pmd.c */
int vsw_pmd_launch(struct vsw *sw, unsigned idx, unsigned lcore);
/* One iteration of PMD 'pmd' over snapshot 'dp': poll its rx queues, forward,
 * flush the tx batches. Returns the packets received. The loop of pmd_main()
 * and bench/micro call it. */
unsigned vsw_pmd_iterate(struct vsw_pmd *pmd, const struct vsw_dp *dp);
void vsw_pmd_stop_all(struct vsw *sw);

/* bridge.c: the NORMAL action for one received burst (fast path). */
void vsw_bridge_input(struct vsw_pmd *pmd, const struct vsw_dp *dp, struct vsw_port *in,
		      struct rte_mbuf **pkts, uint16_t n, uint64_t now_ms);
/* pmd.c: sends and empties the PMD's full tx batch for 'out' (fast path). */
void vsw_pmd_flush_batch(struct vsw_pmd *pmd, struct vsw_port *out);
/* pmd.c: vsw_pmd_enqueue() of pkts[0..n), in order (fast path). */
void vsw_pmd_enqueue_burst(struct vsw_pmd *pmd, struct vsw_port *out, struct rte_mbuf **pkts,
			   uint16_t n);

/* Queues 'm' for transmission on 'out' (fast path); the batches go out at
 * the end of the PMD's iteration, or here when one is full. */
static inline void
vsw_pmd_enqueue(struct vsw_pmd *pmd, struct vsw_port *out, struct rte_mbuf *m)
{
	struct vsw_txbatch *b = &pmd->txb[out->slot];

	if (b->n == 0)
		pmd->pending[pmd->n_pending++] = out->slot;
	else if (unlikely(b->n == VSW_BURST))
		vsw_pmd_flush_batch(pmd, out);
	b->offload |= (m->ol_flags & VSW_OFFLOAD_TX_WORK) != 0;
	b->pkts[b->n++] = m;
}

static inline void
vsw_pmd_drop(struct vsw_pmd *pmd, struct vsw_port *port, enum vsw_drop_reason why,
	     struct rte_mbuf *m)
{
	vsw_stat_add(&port->pmd_stats[pmd->idx].drops[why], 1);
	rte_pktmbuf_free(m);
}

/* pmd_openflow.c: a burst received on a port of an OpenFlow bridge (instead
 * of vsw_bridge_input), and once per iteration the packet-outs (PMD 0). */
struct vsw_of;
void vsw_of_input(struct vsw_pmd *pmd, const struct vsw_dp *dp, struct vsw_of *of,
		  struct vsw_port *in, struct rte_mbuf **pkts, uint16_t n, uint64_t now_ms);
void vsw_of_pmd_poll(struct vsw_pmd *pmd, const struct vsw_dp *dp);
/* of_bridge.c: control thread, after the bridge left the published snapshot. */
void vsw_of_destroy(struct vsw_of *of);

struct vsw_bridge *vsw_bridge_find(struct vsw *sw, const char *name);
struct vsw_port *vsw_port_find(struct vsw *sw, const char *name);

#endif
