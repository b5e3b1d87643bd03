/* Read-only views of the switch for the control socket: bridges, ports with
 * their counters summed over PMDs, PMD load, learned MACs. Control thread only;
 * counters are read with relaxed loads while PMDs update them. */
#include <string.h>

#include <rte_cycles.h>

#include "iovs_time.h"
#include "vsw_priv.h"

static const char *const drop_names[VSW_DROP__MAX] = {
	[VSW_DROP_NO_ROUTE] = "no_route",   [VSW_DROP_TX_FULL] = "tx_full",
	[VSW_DROP_NO_MBUF] = "no_mbuf",	    [VSW_DROP_VLAN] = "vlan",
	[VSW_DROP_MALFORMED] = "malformed", [VSW_DROP_RX_MISSED] = "rx_missed",
	[VSW_DROP_TOO_BIG] = "too_big",	    [VSW_DROP_OFFLOAD] = "offload",
};

const char *
vsw_drop_reason_name(enum vsw_drop_reason reason)
{
	return reason < VSW_DROP__MAX ? drop_names[reason] : "unknown";
}

int
vsw_bridge_foreach(struct vsw *sw, int (*cb)(const struct vsw_bridge_info *, void *), void *arg)
{
	unsigned i;
	int rc;

	for (i = 0; i < VSW_MAX_BRIDGES; i++) {
		struct vsw_bridge *br = sw->bridges[i];
		struct vsw_bridge_info info = {0};
		struct vsw_fdb_stats fs;

		if (br == NULL)
			continue;
		vsw_fdb_get_stats(br->fdb, &fs);
		info.conf = br->conf;
		info.n_ports = br->n_ports;
		info.fdb_entries = fs.entries;
		info.fdb_learned = fs.learned;
		info.fdb_moved = fs.moved;
		info.fdb_evicted = fs.evicted;
		info.fdb_aged = fs.aged;
		rc = cb(&info, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void
port_info(struct vsw *sw, struct vsw_port *p, struct vsw_port_info *info)
{
	unsigned i, q, r;

	memset(info, 0, sizeof(*info));
	info->conf = p->conf;
	info->n_rxq = p->conf.n_queues;
	for (q = 0; q < p->conf.n_queues; q++) {
		struct vsw_rxq_info *ri = &info->rxq[q];

		ri->qid = (uint16_t)q;
		ri->pmd_lcore = (int)sw->pmds[p->rxq[q].pmd]->lcore;
		ri->rx_packets = vsw_stat_read(&p->rxq[q].rx_packets);
		ri->rx_bytes = vsw_stat_read(&p->rxq[q].rx_bytes);
		info->stats.rx_packets += ri->rx_packets;
		info->stats.rx_bytes += ri->rx_bytes;
	}
	for (i = 0; i < sw->n_pmds; i++) {
		const struct vsw_port_pmd_stats *s = &p->pmd_stats[i];

		info->stats.tx_packets += vsw_stat_read(&s->tx_packets);
		info->stats.tx_bytes += vsw_stat_read(&s->tx_bytes);
		for (r = 0; r < VSW_DROP__MAX; r++)
			info->stats.drops[r] += vsw_stat_read(&s->drops[r]);
	}
	p->ops->get_info(p, info);
}

int
vsw_port_foreach(struct vsw *sw, const char *bridge,
		 int (*cb)(const struct vsw_port_info *, void *), void *arg)
{
	struct vsw_port_info info;
	unsigned i;
	int rc;

	for (i = 0; i < VSW_MAX_PORTS; i++) {
		struct vsw_port *p = sw->ports[i];

		if (p == NULL || (bridge != NULL && strcmp(p->conf.bridge, bridge) != 0))
			continue;
		port_info(sw, p, &info);
		rc = cb(&info, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
vsw_pmd_foreach(struct vsw *sw, int (*cb)(const struct vsw_pmd_info *, void *), void *arg)
{
	unsigned i;
	int rc;

	for (i = 0; i < sw->n_pmds; i++) {
		const struct vsw_pmd *pmd = sw->pmds[i];
		struct vsw_pmd_info info = {
			.lcore = pmd->lcore,
			.n_rxq = sw->dp->poll[i].n,
			.iterations = vsw_stat_read(&pmd->iterations),
			.rx_packets = vsw_stat_read(&pmd->rx_packets),
			.busy_cycles = vsw_stat_read(&pmd->busy_cycles),
			.idle_cycles = vsw_stat_read(&pmd->idle_cycles),
			.tsc_hz = rte_get_tsc_hz(),
		};

		rc = cb(&info, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

struct fdb_walk {
	struct vsw *sw;
	int (*cb)(const struct vsw_fdb_entry_info *, void *);
	void *arg;
};

static int
fdb_visit(const uint8_t mac[6], uint16_t vlan, uint16_t port, uint64_t age_ms, void *arg)
{
	struct fdb_walk *w = arg;
	struct vsw_fdb_entry_info e = {.vlan = vlan, .age_s = (uint32_t)(age_ms / 1000)};
	const struct vsw_port *p = port < VSW_MAX_PORTS ? w->sw->ports[port] : NULL;

	memcpy(e.mac, mac, 6);
	snprintf(e.port, sizeof(e.port), "%s", p != NULL ? p->conf.name : "?");
	return w->cb(&e, w->arg);
}

int
vsw_bridge_fdb_foreach(struct vsw *sw, const char *bridge,
		       int (*cb)(const struct vsw_fdb_entry_info *, void *), void *arg,
		       struct iovs_err *err)
{
	struct vsw_bridge *br = vsw_bridge_find(sw, bridge);
	struct fdb_walk w = {.sw = sw, .cb = cb, .arg = arg};

	if (br == NULL)
		return iovs_errf(err, -ENOENT, "no bridge named %s", bridge);
	vsw_fdb_foreach(br->fdb, iovs_now_ms(), fdb_visit, &w);
	return 0;
}

int
vsw_bridge_fdb_flush(struct vsw *sw, const char *bridge, struct iovs_err *err)
{
	struct vsw_bridge *br = vsw_bridge_find(sw, bridge);

	if (br == NULL)
		return iovs_errf(err, -ENOENT, "no bridge named %s", bridge);
	vsw_fdb_flush(br->fdb);
	return 0;
}
