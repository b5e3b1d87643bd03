/* The switch's control side: creation and teardown (mbuf pools, RCU, PMDs),
 * bridges, and ports — open through the port's ops, rx-queue placement over the
 * PMDs, publication through dp.c. Control thread only. */
#define LOG_PREFIX "vswitch/port: "
#include <stdlib.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "iovs_log.h"
#include "iovs_time.h"
#include "vsw_priv.h"

#define VSW_DEFAULT_MBUFS 16383 /* 2^n - 1 is the mempool's sweet spot */

static const struct vsw_port_ops *const port_ops[VSW_PORT_TYPE__MAX] = {
	[VSW_PORT_TAP] = &vsw_port_ethdev_ops,	  [VSW_PORT_AF_PACKET] = &vsw_port_ethdev_ops,
	[VSW_PORT_AF_XDP] = &vsw_port_ethdev_ops, [VSW_PORT_NULL] = &vsw_port_ethdev_ops,
	[VSW_PORT_RING] = &vsw_port_ethdev_ops,	  [VSW_PORT_PCI] = &vsw_port_ethdev_ops,
	[VSW_PORT_DPDK] = &vsw_port_ethdev_ops,	  [VSW_PORT_VHOST_USER] = &vsw_port_vhost_ops,
};

struct vsw_bridge *
vsw_bridge_find(struct vsw *sw, const char *name)
{
	unsigned i;

	for (i = 0; i < VSW_MAX_BRIDGES; i++)
		if (sw->bridges[i] != NULL && strcmp(sw->bridges[i]->conf.name, name) == 0)
			return sw->bridges[i];
	return NULL;
}

struct vsw_port *
vsw_port_find(struct vsw *sw, const char *name)
{
	unsigned i;

	for (i = 0; i < VSW_MAX_PORTS; i++)
		if (sw->ports[i] != NULL && strcmp(sw->ports[i]->conf.name, name) == 0)
			return sw->ports[i];
	return NULL;
}

int
vsw_create(const struct vsw_params *params, struct vsw **out, struct iovs_err *err)
{
	unsigned n_mbufs = params->n_mbufs ? params->n_mbufs : VSW_DEFAULT_MBUFS;
	struct vsw *sw;
	size_t qs_size;
	unsigned i;
	int rc;

	if (params->n_pmds == 0 || params->n_pmds > VSW_MAX_PMDS)
		return iovs_errf(err, -EINVAL, "%u PMD threads: need 1..%u", params->n_pmds,
				 VSW_MAX_PMDS);
	sw = calloc(1, sizeof(*sw));
	if (sw == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory");
	sw->n_pmds = params->n_pmds;
	sw->vhu_loop = params->vhu_loop;
	sw->mp = rte_pktmbuf_pool_create("vsw_mbufs", n_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 (int)rte_socket_id());
	if (sw->mp == NULL) {
		rc = iovs_errf(err, -rte_errno, "cannot create a pool of %u mbufs: %s", n_mbufs,
			       rte_strerror(rte_errno));
		goto err_free_sw;
	}
	/* Software TSO (rte_gso) references payload through indirect mbufs, one per
	 * segment and input segment it spans; they live until the output frees
	 * the segments, as long as direct mbufs do: as many. */
	sw->indirect_mp =
		rte_pktmbuf_pool_create("vsw_indirect", n_mbufs, 256, 0, 0, (int)rte_socket_id());
	if (sw->indirect_mp == NULL) {
		rc = iovs_errf(err, -rte_errno, "cannot create a pool of %u indirect mbufs: %s",
			       n_mbufs, rte_strerror(rte_errno));
		goto err_free_pool;
	}
	qs_size = rte_rcu_qsbr_get_memsize(sw->n_pmds);
	sw->qs = rte_zmalloc("vsw_qsbr", qs_size, RTE_CACHE_LINE_SIZE);
	if (sw->qs == NULL) {
		rc = iovs_errf(err, -ENOMEM, "out of memory for RCU state");
		goto err_free_indirect;
	}
	rte_rcu_qsbr_init(sw->qs, sw->n_pmds);
	sw->dp = calloc(1, sizeof(*sw->dp));
	if (sw->dp == NULL) {
		rc = iovs_errf(err, -ENOMEM, "out of memory");
		goto err_free_qs;
	}
	for (i = 0; i < sw->n_pmds; i++) {
		rc = vsw_pmd_launch(sw, i, params->pmd_lcores[i]);
		if (rc != 0) {
			iovs_errf(err, rc,
				  "cannot launch a PMD on lcore %u (is it in the EAL core list and "
				  "free?)",
				  params->pmd_lcores[i]);
			goto err_stop_pmds;
		}
	}
	*out = sw;
	return 0;

err_stop_pmds:
	vsw_pmd_stop_all(sw);
	free(sw->dp);
err_free_qs:
	rte_free(sw->qs);
err_free_indirect:
	rte_mempool_free(sw->indirect_mp);
err_free_pool:
	rte_mempool_free(sw->mp);
err_free_sw:
	free(sw);
	return rc;
}

static void
port_free(struct vsw_port *port)
{
	if (port != NULL)
		rte_free(port->pmd_stats);
	free(port);
}

/* After the port left the snapshot: nothing on a PMD refers to it any more. */
static void
port_destroy(struct vsw_port *port)
{
	vsw_fdb_flush_port(port->bridge->fdb, port->slot);
	port->ops->close(port);
	port->bridge->n_ports--;
	port_free(port);
}

void
vsw_destroy(struct vsw *sw)
{
	unsigned i;

	if (sw == NULL)
		return;
	vsw_pmd_stop_all(sw);
	for (i = 0; i < VSW_MAX_PORTS; i++) {
		if (sw->ports[i] != NULL) {
			port_destroy(sw->ports[i]);
			sw->ports[i] = NULL;
		}
	}
	for (i = 0; i < VSW_MAX_BRIDGES; i++) {
		if (sw->bridges[i] != NULL) {
			vsw_of_destroy(sw->bridges[i]->of);
			vsw_fdb_destroy(sw->bridges[i]->fdb);
			free(sw->bridges[i]);
		}
	}
	free(sw->dp);
	rte_free(sw->qs);
	rte_mempool_free(sw->indirect_mp);
	rte_mempool_free(sw->mp);
	free(sw);
}

int
vsw_bridge_add(struct vsw *sw, const struct vsw_bridge_conf *conf, struct iovs_err *err)
{
	struct vsw_bridge *br;
	unsigned idx;
	int rc;

	rc = vsw_bridge_conf_validate(conf, err);
	if (rc != 0)
		return rc;
	if (vsw_bridge_find(sw, conf->name) != NULL)
		return iovs_errf(err, -EEXIST, "bridge %s already exists", conf->name);
	for (idx = 0; idx < VSW_MAX_BRIDGES && sw->bridges[idx] != NULL; idx++)
		;
	if (idx == VSW_MAX_BRIDGES)
		return iovs_errf(err, -ENOSPC, "too many bridges (at most %d)", VSW_MAX_BRIDGES);
	br = calloc(1, sizeof(*br));
	if (br == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory");
	br->conf = *conf;
	br->idx = idx;
	rc = vsw_fdb_create(conf->mac_table_size, (uint64_t)conf->mac_aging_s * 1000, &br->fdb);
	if (rc != 0) {
		free(br);
		return iovs_errf(err, rc, "bridge %s: cannot create its MAC table", conf->name);
	}
	/* Not in the snapshot until it has ports: nothing to publish. */
	sw->bridges[idx] = br;
	return 0;
}

int
vsw_bridge_del(struct vsw *sw, const char *name, struct iovs_err *err)
{
	struct vsw_bridge *br = vsw_bridge_find(sw, name);

	if (br == NULL)
		return iovs_errf(err, -ENOENT, "no bridge named %s", name);
	if (br->n_ports > 0)
		return iovs_errf(err, -EBUSY, "bridge %s still has %u ports", name, br->n_ports);
	sw->bridges[br->idx] = NULL;
	if (br->of != NULL) {
		int rc = vsw_dp_publish(sw);

		if (rc != 0) {
			sw->bridges[br->idx] = br;
			return iovs_errf(err, rc, "bridge %s: cannot republish", name);
		}
		vsw_of_destroy(br->of);
	}
	vsw_fdb_destroy(br->fdb);
	free(br);
	return 0;
}

static int
pmd_by_lcore(const struct vsw *sw, int lcore)
{
	unsigned i;

	for (i = 0; i < sw->n_pmds; i++)
		if ((int)sw->pmds[i]->lcore == lcore)
			return (int)i;
	return -1;
}

/* Pinned queues go where they are told; the others to the PMD with the fewest
 * rx queues so far (ties: the lowest index). */
static int
place_rxqs(struct vsw *sw, struct vsw_port *port, struct iovs_err *err)
{
	unsigned load[VSW_MAX_PMDS] = {0}, slot, q, i;

	for (slot = 0; slot < VSW_MAX_PORTS; slot++) {
		struct vsw_port *p = sw->ports[slot];

		if (p != NULL)
			for (q = 0; q < p->conf.n_queues; q++)
				load[p->rxq[q].pmd]++;
	}
	for (q = 0; q < port->conf.n_queues; q++) {
		int pin = port->conf.rxq_pmd[q], best = 0;

		if (pin >= 0) {
			best = pmd_by_lcore(sw, pin);
			if (best < 0)
				return iovs_errf(
					err, -EINVAL,
					"rx queue %u is pinned to core %d, which runs no PMD", q,
					pin);
		} else {
			for (i = 1; i < sw->n_pmds; i++)
				if (load[i] < load[best])
					best = (int)i;
		}
		port->rxq[q].port = port;
		port->rxq[q].qid = (uint16_t)q;
		port->rxq[q].pmd = best;
		load[best]++;
	}
	return 0;
}

int
vsw_port_add(struct vsw *sw, const struct vsw_port_conf *conf, struct iovs_err *err)
{
	struct vsw_bridge *br;
	struct vsw_port *port;
	unsigned slot, i;
	int rc;

	rc = vsw_port_conf_validate(conf, err);
	if (rc != 0)
		return rc;
	br = vsw_bridge_find(sw, conf->bridge);
	if (br == NULL)
		return iovs_errf(err, -ENOENT, "no bridge named %s", conf->bridge);
	if (vsw_port_find(sw, conf->name) != NULL)
		return iovs_errf(err, -EEXIST, "a port named %s already exists", conf->name);
	for (slot = 0; slot < VSW_MAX_PORTS && sw->ports[slot] != NULL; slot++)
		;
	if (slot == VSW_MAX_PORTS)
		return iovs_errf(err, -ENOSPC, "too many ports (at most %d)", VSW_MAX_PORTS);

	port = calloc(1, sizeof(*port));
	if (port == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory");
	port->conf = *conf;
	port->ops = port_ops[conf->type];
	port->sw = sw;
	port->bridge = br;
	port->slot = (uint16_t)slot;
	port->pmd_stats = rte_zmalloc("vsw_port_stats", sw->n_pmds * sizeof(*port->pmd_stats),
				      RTE_CACHE_LINE_SIZE);
	if (port->pmd_stats == NULL) {
		rc = iovs_errf(err, -ENOMEM, "out of memory");
		goto err_free_port;
	}
	rc = place_rxqs(sw, port, err);
	if (rc != 0)
		goto err_free_port;
	rc = port->ops->open(port, sw->mp, sw->n_pmds, err);
	if (rc != 0)
		goto err_free_port;
	port->txq_shared = port->n_txq < sw->n_pmds;
	for (i = 0; i < port->n_txq && i < VSW_MAX_PMDS; i++)
		rte_spinlock_init(&port->txq_lock[i]);

	sw->ports[slot] = port;
	br->n_ports++;
	rc = vsw_dp_publish(sw);
	if (rc != 0) {
		iovs_errf(err, rc, "out of memory publishing the port");
		goto err_unlist;
	}
	LOG_INFO("port %s (%s) added to bridge %s: %u rx queue(s), %u tx queue(s)%s", conf->name,
		 vsw_port_type_name(conf->type), br->conf.name, conf->n_queues, port->n_txq,
		 port->txq_shared ? " shared by PMDs" : "");
	return 0;

err_unlist:
	sw->ports[slot] = NULL;
	br->n_ports--;
	port->ops->close(port);
err_free_port:
	port_free(port);
	return rc;
}

int
vsw_port_del(struct vsw *sw, const char *name, struct iovs_err *err)
{
	struct vsw_port *port = vsw_port_find(sw, name);
	int rc;

	if (port == NULL)
		return iovs_errf(err, -ENOENT, "no port named %s", name);
	sw->ports[port->slot] = NULL;
	rc = vsw_dp_publish(sw);
	if (rc != 0) {
		sw->ports[port->slot] = port;
		return iovs_errf(err, rc, "out of memory unpublishing port %s", name);
	}
	port_destroy(port);
	LOG_INFO("port %s removed", name);
	return 0;
}

void
vsw_run_periodic(struct vsw *sw)
{
	uint64_t now = iovs_now_ms();
	unsigned i;

	for (i = 0; i < VSW_MAX_BRIDGES; i++)
		if (sw->bridges[i] != NULL)
			vsw_fdb_age(sw->bridges[i]->fdb, now);
}
