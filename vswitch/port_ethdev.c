/* Ports backed by a DPDK ethdev: tap, af_packet, af_xdp, null, ring, PCI NICs
 * and VFs, or any devargs. Opened by hot-plugging the device (rte_dev_probe), so
 * ports come and go while iovsd runs; rx/tx bursts go straight to the ethdev.
 * At configure, the TX offloads the device has among checksums, TSO and
 * multi-segment mbufs are enabled; they become the port's offload caps, and
 * the PMD does the rest in software before tx (pmd.c, offload.c). */
#define LOG_PREFIX "vswitch/ethdev: "
/* rte_devargs_reset() is still marked experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include "iovs_log.h"
#include "vsw_priv.h"

#define RX_DESC 1024
#define TX_DESC 1024

/* The TX offloads the switch can hand to a device (vswitch/offload.h). */
#define TX_OFFLOADS_USED                                                                           \
	(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |                            \
	 RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_TSO |                               \
	 RTE_ETH_TX_OFFLOAD_MULTI_SEGS)

/* The devargs iovs hot-plugs for a port. vdev names must be unique in the
 * process: they carry the port's name. */
static int
build_devargs(const struct vsw_port_conf *c, char *buf, size_t len, struct iovs_err *err)
{
	const char *iface = c->iface[0] ? c->iface : c->name;
	int n;

	switch (c->type) {
	case VSW_PORT_TAP:
		n = snprintf(buf, len, "net_tap_%s,iface=%s", c->name, iface);
		break;
	case VSW_PORT_AF_PACKET:
		n = snprintf(buf, len, "net_af_packet_%s,iface=%s,qpairs=%u", c->name, iface,
			     c->n_queues);
		break;
	case VSW_PORT_AF_XDP:
		n = snprintf(buf, len, "net_af_xdp_%s,iface=%s,start_queue=0,queue_count=%u",
			     c->name, iface, c->n_queues);
		break;
	case VSW_PORT_NULL:
		n = snprintf(buf, len, "net_null_%s", c->name);
		break;
	case VSW_PORT_RING:
		n = snprintf(buf, len, "net_ring_%s", c->name);
		break;
	default:
		n = snprintf(buf, len, "%s", c->devargs);
		break;
	}
	if (n < 0 || (size_t)n >= len)
		return iovs_errf(err, -ENAMETOOLONG, "devargs for port %s too long", c->name);
	return 0;
}

/* The ethdev a probed devargs string created (the first, for multi-port devices). */
static int
find_port_id(const char *devargs, uint16_t *port_id)
{
	struct rte_dev_iterator it;
	uint16_t id;

	RTE_ETH_FOREACH_MATCHING_DEV(id, devargs, &it) {
		*port_id = id;
		rte_eth_iterator_cleanup(&it);
		return 0;
	}
	return -ENODEV;
}

static void
unplug(uint16_t port_id)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;

	if (rte_eth_dev_info_get(port_id, &info) == 0)
		dev = info.device;
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
	if (dev != NULL && rte_dev_remove(dev) != 0)
		LOG_WARN("ethdev %u: device removal failed", port_id);
}

/* Drivers whose TX offloads are software that gets them wrong, with what of
 * them the switch still uses (it does the rest itself, as fast: it is
 * software either way). Measured on DPDK 22.11.11: net_tap sums L4 checksums
 * segment by segment as if every segment had an even length (wrong sums for
 * chained mbufs with an odd-length segment, which its own TSO produces too),
 * refuses TSO whose segments with their Ethernet header exceed the MTU (MSS
 * 1448 at MTU 1500), and sends TCP/IPv6 TSO packets unsegmented. */
static const struct {
	const char *driver;
	uint64_t keep;
} tx_offload_quirks[] = {
	{"net_tap", RTE_ETH_TX_OFFLOAD_MULTI_SEGS},
};

/* The TX offloads to enable on the device 'info' describes. */
static uint64_t
tx_offloads_wanted(const struct rte_eth_dev_info *info)
{
	uint64_t o = info->tx_offload_capa & TX_OFFLOADS_USED;
	unsigned i;

	for (i = 0; i < RTE_DIM(tx_offload_quirks); i++)
		if (info->driver_name != NULL &&
		    strcmp(info->driver_name, tx_offload_quirks[i].driver) == 0)
			o &= tx_offload_quirks[i].keep;
	/* TSO is only handed over together with the TCP checksum. */
	if (!(o & RTE_ETH_TX_OFFLOAD_TCP_CKSUM))
		o &= ~RTE_ETH_TX_OFFLOAD_TCP_TSO;
	return o;
}

static void
caps_format(uint32_t caps, char *buf, size_t len)
{
	static const char *const names[] = {"ipv4_csum", "tcp_csum", "udp_csum", "tso4",
					    "tso6",	 "tso_ecn",  "ufo",	 "multi_seg"};
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < RTE_DIM(names) && off < len; i++) {
		int n;

		if (!(caps & (1u << i)))
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? " " : "", names[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (off == 0)
		snprintf(buf, len, "none");
}

static void
log_offloads(const struct vsw_port *port, const struct rte_eth_dev_info *info, uint64_t enabled)
{
	char caps[96];

	caps_format(port->offload_caps, caps, sizeof(caps));
	LOG_INFO("port %s (%s): tx offloads 0x%" PRIx64 " of 0x%" PRIx64
		 " enabled; the device does: %s; the switch the rest",
		 port->conf.name, info->driver_name, enabled, info->tx_offload_capa, caps);
}

static int
configure(struct vsw_port *port, uint16_t pid, struct rte_mempool *mp, unsigned n_pmds,
	  struct iovs_err *err)
{
	uint16_t nrxq = port->conf.n_queues, ntxq, nb_rxd = RX_DESC, nb_txd = TX_DESC, q;
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	int socket = rte_eth_dev_socket_id(pid), rc;

	rc = rte_eth_dev_info_get(pid, &info);
	if (rc != 0)
		return iovs_errf(err, rc, "cannot read device info: %s", rte_strerror(-rc));
	if (nrxq > info.max_rx_queues)
		return iovs_errf(err, -EINVAL, "%u rx queues asked, the device has at most %u",
				 nrxq, info.max_rx_queues);
	/* One tx queue per PMD when the device has enough, else shared with a lock. */
	ntxq = (uint16_t)RTE_MAX(nrxq, (uint16_t)n_pmds);
	ntxq = RTE_MIN(ntxq, info.max_tx_queues);
	if (ntxq == 0)
		return iovs_errf(err, -EINVAL, "the device has no tx queue");
	if (socket < 0)
		socket = (int)rte_socket_id();
	conf.txmode.offloads = tx_offloads_wanted(&info);

	rc = rte_eth_dev_configure(pid, nrxq, ntxq, &conf);
	if (rc != 0)
		return iovs_errf(err, rc, "configure %u rx/%u tx queues: %s", nrxq, ntxq,
				 rte_strerror(-rc));
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rxd, &nb_txd);
	if (rc != 0)
		return iovs_errf(err, rc, "descriptor counts: %s", rte_strerror(-rc));
	for (q = 0; q < nrxq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, nb_rxd, (unsigned)socket, NULL, mp);
		if (rc != 0)
			return iovs_errf(err, rc, "rx queue %u: %s", q, rte_strerror(-rc));
	}
	for (q = 0; q < ntxq; q++) {
		rc = rte_eth_tx_queue_setup(pid, q, nb_txd, (unsigned)socket, NULL);
		if (rc != 0)
			return iovs_errf(err, rc, "tx queue %u: %s", q, rte_strerror(-rc));
	}
	/* A bridge port must see frames for every MAC; not all devices can say no. */
	rc = rte_eth_promiscuous_enable(pid);
	if (rc != 0 && rc != -ENOTSUP)
		LOG_WARN("port %s: promiscuous mode: %s", port->conf.name, rte_strerror(-rc));
	rc = rte_eth_dev_start(pid);
	if (rc != 0)
		return iovs_errf(err, rc, "start: %s", rte_strerror(-rc));
	port->n_txq = ntxq;
	port->offload_caps = vsw_offload_caps_from_ethdev(conf.txmode.offloads);
	log_offloads(port, &info, conf.txmode.offloads);
	return 0;
}

static int
ethdev_open(struct vsw_port *port, struct rte_mempool *mp, unsigned n_pmds, struct iovs_err *err)
{
	char devargs[VSW_DEVARGS_MAX + 64];
	uint16_t pid;
	int rc;

	rc = build_devargs(&port->conf, devargs, sizeof(devargs), err);
	if (rc != 0)
		return rc;
	if (find_port_id(devargs, &pid) == 0)
		return iovs_errf(err, -EEXIST, "device \"%s\" is already in use (ethdev %u)",
				 devargs, pid);
	rc = rte_dev_probe(devargs);
	if (rc != 0)
		return iovs_errf(err, rc,
				 "cannot open device \"%s\": no DPDK driver accepted it (%s; "
				 "iovsd's log has the driver's words)",
				 devargs, rte_strerror(-rc));
	rc = find_port_id(devargs, &pid);
	if (rc != 0) {
		struct rte_devargs da;

		/* Probed, but not an ethdev (wrong driver class): undo the probe. */
		if (rte_devargs_parse(&da, devargs) == 0) {
			rte_eal_hotplug_remove(rte_bus_name(da.bus), da.name);
			rte_devargs_reset(&da);
		}
		return iovs_errf(err, rc, "device \"%s\" is not a network port", devargs);
	}
	rc = configure(port, pid, mp, n_pmds, err);
	if (rc != 0) {
		unplug(pid);
		return iovs_err_prefix(err, rc, "device \"%s\"", devargs);
	}
	port->eth_port_id = pid;
	return 0;
}

static void
ethdev_close(struct vsw_port *port)
{
	unplug(port->eth_port_id);
}

static uint16_t
ethdev_rx_burst(struct vsw_port *port, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(port->eth_port_id, qid, pkts, n);
}

static uint16_t
ethdev_tx_burst(struct vsw_port *port, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_tx_burst(port->eth_port_id, qid, pkts, n);
}

/* Drivers that need it (most PCI NICs for TSO and checksums) fix up headers
 * and check their limits here; for the others it returns 'n' at once. */
static uint16_t
ethdev_tx_prepare(struct vsw_port *port, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_tx_prepare(port->eth_port_id, qid, pkts, n);
}

static void
ethdev_get_info(struct vsw_port *port, struct vsw_port_info *info)
{
	struct rte_eth_stats st;
	struct rte_eth_link link;
	struct rte_ether_addr mac;

	info->eth_port_id = port->eth_port_id;
	if (rte_eth_link_get_nowait(port->eth_port_id, &link) == 0) {
		info->link_up = link.link_status == RTE_ETH_LINK_UP;
		info->link_speed_mbps = link.link_speed;
	}
	if (rte_eth_macaddr_get(port->eth_port_id, &mac) == 0)
		memcpy(info->mac, mac.addr_bytes, 6);
	if (rte_eth_stats_get(port->eth_port_id, &st) == 0) {
		info->stats.drops[VSW_DROP_NO_MBUF] += st.rx_nombuf;
		info->stats.drops[VSW_DROP_RX_MISSED] += st.imissed;
	}
}

const struct vsw_port_ops vsw_port_ethdev_ops = {
	.open = ethdev_open,
	.close = ethdev_close,
	.rx_burst = ethdev_rx_burst,
	.tx_burst = ethdev_tx_burst,
	.tx_prepare = ethdev_tx_prepare,
	.get_info = ethdev_get_info,
};
