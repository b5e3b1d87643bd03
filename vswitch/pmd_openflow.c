/* The PMD side of an OpenFlow bridge (fast path): bursts received on its
 * ports run through the pipeline (vsw_pl_run) with out_ops that append to this
 * PMD's tx batches (pmd.c); NORMAL is the learning bridge for that one frame
 * (bridge.c), CONTROLLER a packet-in on the bridge's ring (vsw_of.h). PMD 0
 * also runs the queued packet-outs. Rules: no malloc, no sleeping locks, drops
 * are counters. */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ether.h>

#include "iovs_time.h"
#include "vlan.h"
#include "vsw_of_priv.h"

struct of_run {
	struct vsw_pmd *pmd;
	const struct vsw_dp *dp;
	struct vsw_of *of;
	struct vsw_port *in; /* NULL for a packet-out */
	uint64_t now_ms;
};

static inline void
of_drop(struct of_run *r, unsigned why)
{
	vsw_stat_add(&r->of->pmd[r->pmd->idx].drops[why], 1);
}

/* The bridge's port with OpenFlow number 'ofport', or NULL. A linear walk over
 * the bridge's members (bridges have few ports). */
static struct vsw_port *
of_port(const struct of_run *r, uint32_t ofport)
{
	const uint16_t *slots = r->dp->members[r->of->bridge_idx].slots;
	uint16_t n = r->dp->members[r->of->bridge_idx].n, i;

	for (i = 0; i < n; i++) {
		struct vsw_port *p = r->dp->ports[slots[i]];

		if (p->conf.ofport == ofport)
			return p;
	}
	return NULL;
}

static void
out_output(void *ctx, uint32_t port, uint32_t queue, struct rte_mbuf *m)
{
	struct of_run *r = ctx;
	struct vsw_port *out = of_port(r, port);

	(void)queue;
	if (unlikely(out == NULL)) {
		of_drop(r, VSW_OF_DROP_NO_PORT);
		rte_pktmbuf_free(m);
		return;
	}
	vsw_pmd_enqueue(r->pmd, out, m);
}

static void
out_normal(void *ctx, uint32_t in_port, struct rte_mbuf *m)
{
	struct of_run *r = ctx;
	struct vsw_port *in =
		r->in != NULL && r->in->conf.ofport == in_port ? r->in : of_port(r, in_port);

	if (unlikely(in == NULL)) {
		of_drop(r, VSW_OF_DROP_NO_PORT);
		rte_pktmbuf_free(m);
		return;
	}
	vsw_bridge_input(r->pmd, r->dp, in, &m, 1, r->now_ms);
}

/* FLOOD and ALL: every port of the bridge but in_port (no port has
 * OFPPC_NO_FLOOD here, so they are the same set). */
static void
out_flood(void *ctx, uint32_t in_port, bool all, struct rte_mbuf *m)
{
	struct of_run *r = ctx;
	const uint16_t *slots = r->dp->members[r->of->bridge_idx].slots;
	uint16_t n = r->dp->members[r->of->bridge_idx].n, i;
	struct vsw_port *last = NULL;

	(void)all;
	for (i = 0; i < n; i++) {
		struct vsw_port *p = r->dp->ports[slots[i]];
		struct rte_mbuf *c;

		if (p->conf.ofport == in_port)
			continue;
		if (last != NULL) {
			c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
			if (c == NULL)
				of_drop(r, VSW_PL_DROP_NO_MBUF);
			else
				vsw_pmd_enqueue(r->pmd, last, c);
		}
		last = p;
	}
	if (last == NULL) {
		of_drop(r, VSW_OF_DROP_NO_PORT);
		rte_pktmbuf_free(m);
		return;
	}
	vsw_pmd_enqueue(r->pmd, last, m);
}

/* The OpenFlow thread waits for packet-ins (armed, of_bridge.c): the first
 * PMD to queue one takes the arming and writes the eventfd. The fence orders
 * our enqueue before reading 'armed' (the thread stores 'armed' before it
 * looks at the ring). */
static void
pin_wake(struct vsw_of *of)
{
	uint64_t one = 1;
	ssize_t rc;

	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&of->pin_armed, __ATOMIC_RELAXED) ||
	    !__atomic_exchange_n(&of->pin_armed, 0, __ATOMIC_ACQ_REL))
		return;
	rc = write(__atomic_load_n(&of->pin_wake_fd, __ATOMIC_ACQUIRE), &one, sizeof(one));
	(void)rc; /* only EAGAIN (counter full) can fail: the thread is awake then */
}

static void
out_controller(void *ctx, const struct vsw_pl_pin *pin, struct rte_mbuf *m)
{
	struct of_run *r = ctx;
	struct vsw_of_pin_hdr *h =
		(struct vsw_of_pin_hdr *)rte_pktmbuf_prepend(m, sizeof(struct vsw_of_pin_hdr));

	if (unlikely(h == NULL)) {
		of_drop(r, VSW_PL_DROP_NO_MBUF);
		rte_pktmbuf_free(m);
		return;
	}
	memset(h, 0, sizeof(*h));
	h->cookie = pin->cookie;
	h->metadata = pin->key != NULL ? pin->key->metadata : 0;
	h->in_port = pin->key != NULL ? pin->key->in_port : 0;
	h->max_len = pin->max_len;
	h->reason = pin->reason;
	h->table_id = pin->table_id;
	if (unlikely(rte_ring_mp_enqueue(r->of->pin, m) != 0)) {
		of_drop(r, VSW_OF_DROP_PIN_FULL);
		rte_pktmbuf_free(m);
		return;
	}
	vsw_stat_add(&r->of->pmd[r->pmd->idx].packet_in, 1);
	pin_wake(r->of);
}

static void
out_drop(void *ctx, enum vsw_pl_drop reason)
{
	of_drop(ctx, reason);
}

static const struct vsw_pl_out_ops of_out_ops = {
	.output = out_output,
	.normal = out_normal,
	.flood = out_flood,
	.controller = out_controller,
	.drop = out_drop,
};

static inline uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
vsw_of_input(struct vsw_pmd *pmd, const struct vsw_dp *dp, struct vsw_of *of, struct vsw_port *in,
	     struct rte_mbuf **pkts, uint16_t n, uint64_t now_ms)
{
	struct of_run r = {.pmd = pmd, .dp = dp, .of = of, .in = in, .now_ms = now_ms};
	struct vsw_pl_ctx *ctx = &of->pmd[pmd->idx].ctx;
	uint16_t i, k = 0;

	/* Some drivers (af_packet) deliver the tag beside the frame; the
	 * pipeline matches and edits frames as on the wire. */
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (unlikely(m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED)) {
			m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
			if (rte_vlan_insert(&m) != 0) {
				of_drop(&r, VSW_OF_DROP_VLAN_MBUF);
				rte_pktmbuf_free(m);
				continue;
			}
		}
		pkts[k++] = m;
	}
	ctx->now_ns = now_ns();
	vsw_pl_run(ctx, pkts, NULL, k, in->conf.ofport, &of_out_ops, &r);
}

void
vsw_of_pmd_poll(struct vsw_pmd *pmd, const struct vsw_dp *dp)
{
	unsigned b;

	for (b = 0; b < VSW_MAX_BRIDGES; b++) {
		struct vsw_of *of = dp->of[b];
		struct of_run r = {.pmd = pmd, .dp = dp, .of = of};
		struct vsw_pl_ctx *ctx;
		void *obj;
		unsigned k;

		if (of == NULL)
			continue;
		ctx = &of->pmd[pmd->idx].ctx;
		for (k = 0; k < VSW_BURST && rte_ring_sc_dequeue(of->pout, &obj) == 0; k++) {
			struct vsw_of_pout *po = obj;
			struct rte_mbuf *m = po->m;

			if (k == 0) {
				r.now_ms = iovs_now_ms();
				ctx->now_ns = now_ns();
			}
			po->m = NULL;
			r.in = of_port(&r, po->in_port);
			vsw_pl_packet_out(ctx, m, po->in_port, po->prog, &of_out_ops, &r);
			vsw_stat_add(&of->pmd[pmd->idx].packet_out, 1);
			/* The ring has room for every request in flight. */
			rte_ring_sp_enqueue(of->pout_done, po);
		}
	}
}
