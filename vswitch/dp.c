/* The datapath snapshot: rebuilt by the control thread from its own view of
 * ports and bridges (port.c), published with one release store, and the old one
 * freed only after every PMD has passed a quiescent state (rte_rcu_qsbr). This is
 * how ports come and go without pausing forwarding on the others. */
#define LOG_PREFIX "vswitch/dp: "
#include <stdlib.h>

#include "iovs_log.h"
#include "vsw_priv.h"

static struct vsw_dp *
dp_build(const struct vsw *sw)
{
	unsigned slot, q, total = 0, used = 0, i;
	struct vsw_dp *dp;

	for (slot = 0; slot < VSW_MAX_PORTS; slot++)
		if (sw->ports[slot] != NULL)
			total += sw->ports[slot]->conf.n_queues;
	dp = calloc(1, sizeof(*dp) + total * sizeof(dp->rxq_pool[0]));
	if (dp == NULL)
		return NULL;
	for (slot = 0; slot < VSW_MAX_PORTS; slot++) {
		struct vsw_port *p = sw->ports[slot];
		unsigned b;

		if (p == NULL)
			continue;
		dp->ports[slot] = p;
		b = p->bridge->idx;
		dp->members[b].slots[dp->members[b].n++] = (uint16_t)slot;
	}
	for (i = 0; i < VSW_MAX_BRIDGES; i++)
		if (sw->bridges[i] != NULL && sw->bridges[i]->of != NULL) {
			dp->of[i] = sw->bridges[i]->of;
			dp->n_of++;
		}
	/* Lay out each PMD's rx queue list contiguously in rxq_pool. */
	for (i = 0; i < sw->n_pmds; i++) {
		dp->poll[i].rxq = &dp->rxq_pool[used];
		for (slot = 0; slot < VSW_MAX_PORTS; slot++) {
			struct vsw_port *p = sw->ports[slot];

			if (p == NULL)
				continue;
			for (q = 0; q < p->conf.n_queues; q++)
				if (p->rxq[q].pmd == (int)i)
					dp->rxq_pool[used++] = &p->rxq[q];
		}
		dp->poll[i].n = (unsigned)(&dp->rxq_pool[used] - dp->poll[i].rxq);
	}
	return dp;
}

int
vsw_dp_publish(struct vsw *sw)
{
	struct vsw_dp *old = sw->dp, *dp = dp_build(sw);

	if (dp == NULL)
		return -ENOMEM;
	__atomic_store_n(&sw->dp, dp, __ATOMIC_RELEASE);
	/* Blocks the control thread only: PMDs report once per loop iteration. */
	rte_rcu_qsbr_synchronize(sw->qs, RTE_QSBR_THRID_INVALID);
	free(old);
	return 0;
}
