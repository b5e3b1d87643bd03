/* PMD threads: the run-to-completion loop on each polling core (fast path).
 * Each iteration loads the published datapath snapshot (dp.c) once, polls the
 * rx queues placed on this PMD, hands each burst to the bridge (bridge.c), then
 * flushes the per-output-port tx batches and reports an RCU quiescent state.
 * A batch holding packets with pending offload work first has that work done
 * in software as far as the output cannot do it (offload.c).
 * Rules here: no malloc, no sleeping locks, no unrated logs. */
#define LOG_PREFIX "vswitch/pmd: "
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "iovs_log.h"
#include "iovs_time.h"
#include "vsw_priv.h"

/* Segments one packet may become at an output: a 64 KB TSO packet cut at the
 * smallest MSS Linux sends by default (net.ipv4.tcp_min_snd_mss = 48) gives
 * 1366. More is refused (drop reason offload). On the stack: 16 KB. */
#define PMD_MAX_SEGS 2048

/* The device's own preparation of packets that carry offload work; refused
 * packets are dropped (and their bytes taken off '*bytes'). Returns how many
 * packets are left in pkts[], in order. */
static uint16_t
pmd_tx_prepare(struct vsw_pmd *pmd, struct vsw_port *out, uint16_t qid, struct rte_mbuf **pkts,
	       uint16_t n, uint64_t *bytes)
{
	uint16_t ok = 0;

	while (ok < n) {
		ok = (uint16_t)(ok + out->ops->tx_prepare(out, qid, pkts + ok, n - ok));
		if (ok < n) {
			*bytes -= rte_pktmbuf_pkt_len(pkts[ok]);
			vsw_pmd_drop(pmd, out, VSW_DROP_OFFLOAD, pkts[ok]);
			memmove(&pkts[ok], &pkts[ok + 1], (size_t)(n - ok - 1) * sizeof(*pkts));
			n--;
		}
	}
	return n;
}

/* Hands pkts[0..n) to tx queue 'qid' of 'out'; frees and counts what it does
 * not take. 'work': some packet still carries offload work for the device. */
static void
pmd_tx(struct vsw_pmd *pmd, struct vsw_port *out, uint16_t qid, struct rte_mbuf **pkts, uint16_t n,
       bool work)
{
	struct vsw_port_pmd_stats *st = &out->pmd_stats[pmd->idx];
	uint64_t bytes = 0;
	uint16_t sent, i;

	for (i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	if (out->txq_shared)
		rte_spinlock_lock(&out->txq_lock[qid]);
	if (unlikely(work) && out->ops->tx_prepare != NULL)
		n = pmd_tx_prepare(pmd, out, qid, pkts, n, &bytes);
	sent = out->ops->tx_burst(out, qid, pkts, n);
	if (out->txq_shared)
		rte_spinlock_unlock(&out->txq_lock[qid]);
	if (unlikely(sent < n)) {
		for (i = sent; i < n; i++) {
			bytes -= rte_pktmbuf_pkt_len(pkts[i]);
			rte_pktmbuf_free(pkts[i]);
		}
		vsw_stat_add(&st->drops[VSW_DROP_TX_FULL], n - sent);
	}
	vsw_stat_add(&st->tx_packets, sent);
	vsw_stat_add(&st->tx_bytes, bytes);
}

/* A batch in which some packets carry offload work: each of them is finished
 * as far as 'out' cannot do it itself (vsw_offload_resolve), which may turn
 * it into many segments. Everything leaves in order, VSW_BURST at a time.
 * Packets whose work cannot be done are dropped (offload, or no_mbuf). */
static void
pmd_flush_offload(struct vsw_pmd *pmd, struct vsw_port *out, uint16_t qid, struct vsw_txbatch *b)
{
	struct rte_mbuf *tx[VSW_BURST], *segs[PMD_MAX_SEGS];
	uint32_t caps = vsw_port_offload_caps(out);
	uint16_t n_tx = 0, i;
	bool work = false;

	for (i = 0; i < b->n; i++) {
		struct rte_mbuf **src = &b->pkts[i];
		int n_src = 1, j;

		if (b->pkts[i]->ol_flags & VSW_OFFLOAD_TX_WORK) {
			n_src = vsw_offload_resolve(b->pkts[i], caps, &pmd->offload, segs,
						    RTE_DIM(segs));
			if (unlikely(n_src < 0)) {
				vsw_pmd_drop(pmd, out,
					     n_src == -ENOMEM ? VSW_DROP_NO_MBUF : VSW_DROP_OFFLOAD,
					     b->pkts[i]);
				continue;
			}
			src = segs;
		}
		for (j = 0; j < n_src; j++) {
			if (n_tx == VSW_BURST) {
				pmd_tx(pmd, out, qid, tx, n_tx, work);
				n_tx = 0;
				work = false;
			}
			work |= (src[j]->ol_flags & VSW_OFFLOAD_TX_WORK) != 0;
			tx[n_tx++] = src[j];
		}
	}
	if (n_tx > 0)
		pmd_tx(pmd, out, qid, tx, n_tx, work);
}

static void
pmd_flush_one(struct vsw_pmd *pmd, struct vsw_port *out, struct vsw_txbatch *b)
{
	uint16_t qid = (uint16_t)(pmd->idx % out->n_txq);

	if (likely(!b->offload))
		pmd_tx(pmd, out, qid, b->pkts, b->n, false);
	else
		pmd_flush_offload(pmd, out, qid, b);
	b->n = 0;
	b->offload = false;
}

void
vsw_pmd_flush_batch(struct vsw_pmd *pmd, struct vsw_port *out)
{
	pmd_flush_one(pmd, out, &pmd->txb[out->slot]);
}

void
vsw_pmd_enqueue_burst(struct vsw_pmd *pmd, struct vsw_port *out, struct rte_mbuf **pkts, uint16_t n)
{
	struct vsw_txbatch *b = &pmd->txb[out->slot];
	uint16_t i = 0;

	if (n > 0 && b->n == 0)
		pmd->pending[pmd->n_pending++] = out->slot;
	while (i < n) {
		uint16_t k = RTE_MIN((uint16_t)(n - i), (uint16_t)(VSW_BURST - b->n)), j;
		uint64_t work = 0;

		if (k == 0) {
			pmd_flush_one(pmd, out, b);
			continue;
		}
		for (j = 0; j < k; j++) {
			work |= pkts[i + j]->ol_flags;
			b->pkts[b->n + j] = pkts[i + j];
		}
		b->offload |= (work & VSW_OFFLOAD_TX_WORK) != 0;
		b->n = (uint16_t)(b->n + k);
		i = (uint16_t)(i + k);
	}
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
		if (unlikely(dp->of[q->port->bridge->idx] != NULL))
			vsw_of_input(pmd, dp, dp->of[q->port->bridge->idx], q->port, pkts, n,
				     now_ms);
		else
			vsw_bridge_input(pmd, dp, q->port, pkts, n, now_ms);
		total += n;
	}
	return total;
}

unsigned
vsw_pmd_iterate(struct vsw_pmd *pmd, const struct vsw_dp *dp)
{
	unsigned got = pmd_poll(pmd, dp);

	if (unlikely(dp->n_of > 0) && pmd->idx == 0)
		vsw_of_pmd_poll(pmd, dp);
	pmd_flush(pmd, dp);
	return got;
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
		unsigned got = vsw_pmd_iterate(pmd, dp);

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
	rc = vsw_offload_ctx_init(&pmd->offload, sw->mp, sw->indirect_mp);
	if (rc != 0) {
		rte_free(pmd);
		return rc;
	}
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
		vsw_offload_ctx_fini(&sw->pmds[i]->offload);
		rte_free(sw->pmds[i]);
		sw->pmds[i] = NULL;
	}
}
