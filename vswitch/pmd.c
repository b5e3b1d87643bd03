/* PMD threads: the run-to-completion loop on each polling core (fast path).
 * Each iteration loads the published datapath snapshot (dp.c) once, polls the
 * rx queues placed on this PMD, hands each burst to the bridge (bridge.c), then
 * flushes the per-output-port tx batches and reports an RCU quiescent state.
 * Rules here: no malloc, no sleeping locks, no unrated logs. */
#define LOG_PREFIX "vswitch/pmd: "
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "iovs_log.h"
#include "iovs_time.h"
#include "vsw_priv.h"

static void
pmd_flush_one(struct vsw_pmd *pmd, struct vsw_port *out, struct vsw_txbatch *b)
{
	struct vsw_port_pmd_stats *st = &out->pmd_stats[pmd->idx];
	uint16_t qid = (uint16_t)(pmd->idx % out->n_txq);
	uint64_t bytes = 0;
	uint16_t sent, i;

	for (i = 0; i < b->n; i++)
		bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
	if (out->txq_shared)
		rte_spinlock_lock(&out->txq_lock[qid]);
	sent = out->ops->tx_burst(out, qid, b->pkts, b->n);
	if (out->txq_shared)
		rte_spinlock_unlock(&out->txq_lock[qid]);
	if (unlikely(sent < b->n)) {
		for (i = sent; i < b->n; i++) {
			bytes -= rte_pktmbuf_pkt_len(b->pkts[i]);
			rte_pktmbuf_free(b->pkts[i]);
		}
		vsw_stat_add(&st->drops[VSW_DROP_TX_FULL], b->n - sent);
	}
	vsw_stat_add(&st->tx_packets, sent);
	vsw_stat_add(&st->tx_bytes, bytes);
	b->n = 0;
}

void
vsw_pmd_enqueue(struct vsw_pmd *pmd, struct vsw_port *out, struct rte_mbuf *m)
{
	struct vsw_txbatch *b = &pmd->txb[out->slot];

	if (b->n == 0)
		pmd->pending[pmd->n_pending++] = out->slot;
	else if (b->n == VSW_BURST)
		pmd_flush_one(pmd, out, b);
	b->pkts[b->n++] = m;
}

static void
pmd_flush(struct vsw_pmd *pmd, const struct vsw_dp *dp)
{
	unsigned i;

	for (i = 0; i < pmd->n_pending; i++) {
		uint16_t slot = pmd->pending[i];

		/* Batches only ever hold packets for ports of this same snapshot. */
		if (pmd->txb[slot].n > 0)
			pmd_flush_one(pmd, dp->ports[slot], &pmd->txb[slot]);
	}
	pmd->n_pending = 0;
}

static unsigned
pmd_poll(struct vsw_pmd *pmd, const struct vsw_dp *dp)
{
	struct rte_mbuf *pkts[VSW_BURST];
	uint64_t now_ms = 0;
	unsigned i, total = 0;

	for (i = 0; i < dp->poll[pmd->idx].n; i++) {
		struct vsw_rxq *q = dp->poll[pmd->idx].rxq[i];
		uint64_t bytes = 0;
		uint16_t n, j;

		n = q->port->ops->rx_burst(q->port, q->qid, pkts, VSW_BURST);
		if (n == 0)
			continue;
		for (j = 0; j < n; j++)
			bytes += rte_pktmbuf_pkt_len(pkts[j]);
		vsw_stat_add(&q->rx_packets, n);
		vsw_stat_add(&q->rx_bytes, bytes);
		if (now_ms == 0)
			now_ms = iovs_now_ms();
		vsw_bridge_input(pmd, dp, q->port, pkts, n, now_ms);
		total += n;
	}
	return total;
}

static int
pmd_main(void *arg)
{
	struct vsw_pmd *pmd = arg;
	struct rte_rcu_qsbr *qs = pmd->sw->qs;
	uint64_t t0 = rte_rdtsc(), t1;

	rte_rcu_qsbr_thread_register(qs, pmd->idx);
	rte_rcu_qsbr_thread_online(qs, pmd->idx);
	LOG_INFO("PMD %u polling on lcore %u", pmd->idx, pmd->lcore);
	while (!__atomic_load_n(&pmd->stop, __ATOMIC_RELAXED)) {
		const struct vsw_dp *dp = __atomic_load_n(&pmd->sw->dp, __ATOMIC_ACQUIRE);
		unsigned got = pmd_poll(pmd, dp);

		pmd_flush(pmd, dp);
		rte_rcu_qsbr_quiescent(qs, pmd->idx);

		t1 = rte_rdtsc();
		if (got) {
			vsw_stat_add(&pmd->busy_cycles, t1 - t0);
			vsw_stat_add(&pmd->rx_packets, got);
		} else {
			vsw_stat_add(&pmd->idle_cycles, t1 - t0);
		}
		vsw_stat_add(&pmd->iterations, 1);
		t0 = t1;
	}
	rte_rcu_qsbr_thread_offline(qs, pmd->idx);
	rte_rcu_qsbr_thread_unregister(qs, pmd->idx);
	return 0;
}

int
vsw_pmd_launch(struct vsw *sw, unsigned idx, unsigned lcore)
{
	struct vsw_pmd *pmd;
	int rc;

	pmd = rte_zmalloc_socket("vsw_pmd", sizeof(*pmd), RTE_CACHE_LINE_SIZE,
				 (int)rte_lcore_to_socket_id(lcore));
	if (pmd == NULL)
		return -ENOMEM;
	pmd->sw = sw;
	pmd->idx = idx;
	pmd->lcore = lcore;
	sw->pmds[idx] = pmd;
	rc = rte_eal_remote_launch(pmd_main, pmd, lcore);
	if (rc != 0) {
		sw->pmds[idx] = NULL;
		rte_free(pmd);
		return rc;
	}
	return 0;
}

void
vsw_pmd_stop_all(struct vsw *sw)
{
	unsigned i;

	for (i = 0; i < sw->n_pmds; i++)
		if (sw->pmds[i] != NULL)
			__atomic_store_n(&sw->pmds[i]->stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < sw->n_pmds; i++) {
		if (sw->pmds[i] == NULL)
			continue;
		rte_eal_wait_lcore(sw->pmds[i]->lcore);
		rte_free(sw->pmds[i]);
		sw->pmds[i] = NULL;
	}
}
