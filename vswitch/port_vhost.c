/* Ports backed by a vhost-user device (vhost-user/vhu.h): a virtio-net guest
 * behind a unix socket. Rx queue q is the guest's tx ring of queue pair q, tx
 * queue q its rx ring. The device syncs with the PMDs through this switch's
 * RCU state whenever the front-end changes what PMDs read. What offload work
 * the port takes follows the guest's negotiated features, read per tx burst. */
#define LOG_PREFIX "vswitch/vhost: "
#include <string.h>

#include <linux/virtio_net.h>

#include <rte_rcu_qsbr.h>

#include "iovs_log.h"
#include "vhu.h"
#include "vsw_priv.h"

static void
vhost_sync(void *arg)
{
	struct vsw_port *port = arg;

	rte_rcu_qsbr_synchronize(port->sw->qs, RTE_QSBR_THRID_INVALID);
}

static void
vhost_state_changed(void *arg)
{
	struct vsw_port *port = arg;
	struct vhu_dev_info info;

	vhu_dev_get_info(port->vhu, &info);
	LOG_INFO("port %s: %s, link %s", port->conf.name, info.state, info.link_up ? "up" : "down");
}

static int
vhost_open(struct vsw_port *port, struct rte_mempool *mp, unsigned n_pmds, struct iovs_err *err)
{
	struct vhu_dev_conf conf = {.client = port->conf.client,
				    .max_queue_pairs = port->conf.n_queues};
	struct vhu_dev_cb cb = {
		.sync = vhost_sync, .state_changed = vhost_state_changed, .arg = port};
	int rc;

	(void)n_pmds;
	if (port->sw->vhu_loop == NULL)
		return iovs_errf(err, -ENOTSUP, "vhost-user ports need iovsd's socket loop");
	snprintf(conf.path, sizeof(conf.path), "%s", port->conf.socket);
	port->mp = mp;
	rc = vhu_dev_create(port->sw->vhu_loop, &conf, &cb, &port->vhu, err);
	if (rc != 0)
		return iovs_err_prefix(err, rc, "vhost-user socket %s", port->conf.socket);
	/* One tx queue per queue pair; PMDs beyond share them (port.c locks). */
	port->n_txq = port->conf.n_queues;
	return 0;
}

static void
vhost_close(struct vsw_port *port)
{
	vhu_dev_destroy(port->vhu);
	port->vhu = NULL;
}

static uint16_t
vhost_rx_burst(struct vsw_port *port, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	return vhu_dev_dequeue(port->vhu, qid, port->mp, pkts, n);
}

static uint16_t
vhost_tx_burst(struct vsw_port *port, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	return vhu_dev_enqueue(port->vhu, qid, pkts, n);
}

#define VIRTIO_BIT(b) (UINT64_C(1) << (b))

/* What the guest takes (virtio 1.2 §5.1.6.3): partial TCP/UDP checksums with
 * GUEST_CSUM, TSO packets with GUEST_TSO4/6 (which need GUEST_CSUM), CWR on
 * them with GUEST_ECN. vhu_dev_enqueue() computes the IPv4 header checksum
 * itself (a guest has no way to take it), and takes chained mbufs. */
static uint32_t
vhost_offload_caps(const struct vsw_port *port)
{
	uint64_t f = vhu_dev_features(port->vhu);
	uint32_t caps = VSW_OFFLOAD_IPV4_CKSUM | VSW_OFFLOAD_MULTI_SEG;

	if (!(f & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM)))
		return caps;
	caps |= VSW_OFFLOAD_TCP_CKSUM | VSW_OFFLOAD_UDP_CKSUM;
	if (f & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4))
		caps |= VSW_OFFLOAD_TSO4;
	if (f & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6))
		caps |= VSW_OFFLOAD_TSO6;
	if ((f & VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN)) &&
	    (caps & (VSW_OFFLOAD_TSO4 | VSW_OFFLOAD_TSO6)))
		caps |= VSW_OFFLOAD_TSO_ECN;
	if (f & VIRTIO_BIT(VIRTIO_NET_F_GUEST_UFO))
		caps |= VSW_OFFLOAD_UFO;
	return caps;
}

static void
vhost_get_info(struct vsw_port *port, struct vsw_port_info *info)
{
	struct vhu_dev_info vi;
	unsigned q;

	vhu_dev_get_info(port->vhu, &vi);
	info->link_up = vi.link_up;
	info->vhost = true;
	info->features = vi.features;
	info->protocol_features = vi.protocol_features;
	info->guest_mtu = vi.mtu;
	info->n_guest_queues = vi.n_queue_pairs;
	snprintf(info->state, sizeof(info->state), "%s", vi.state);
	info->n_queue_info = port->conf.n_queues;
	info->iotlb = (struct vsw_iotlb_info){
		.enabled = vi.iotlb.enabled,
		.entries = vi.iotlb.entries,
		.updates = vi.iotlb.updates,
		.refused = vi.iotlb.refused,
		.invalidations = vi.iotlb.invalidations,
		.evictions = vi.iotlb.evictions,
		.misses = vi.iotlb.misses,
		.misses_unsent = vi.iotlb.misses_unsent,
		.waits = vi.iotlb.waits,
		.ring_waits = vi.iotlb.ring_waits,
		.held = vi.iotlb.held,
		.held_now = vi.iotlb.held_now,
		.access_failures = vi.iotlb.access_failures,
	};
	for (q = 0; q < port->conf.n_queues && q < VSW_MAX_QUEUES; q++) {
		struct vsw_queue_info *qi = &info->queue[q];
		unsigned d;

		qi->rx_up = vi.q[q].tx_up; /* the guest's tx ring is our rx */
		qi->tx_up = vi.q[q].rx_up;
		qi->rx_packets = vi.q[q].rx_packets;
		qi->rx_bytes = vi.q[q].rx_bytes;
		qi->tx_packets = vi.q[q].tx_packets;
		qi->tx_bytes = vi.q[q].tx_bytes;
		qi->interrupts = vi.q[q].calls;
		for (d = 0; d < VHU_DROP__MAX && d < VSW_QUEUE_DROP__MAX; d++)
			qi->drops[d] = vi.q[q].drops[d];
		/* At port level, rx-side losses the switch cannot see itself. */
		info->stats.drops[VSW_DROP_MALFORMED] += vi.q[q].drops[VHU_DROP_MALFORMED];
		info->stats.drops[VSW_DROP_NO_MBUF] += vi.q[q].drops[VHU_DROP_NO_MBUF];
		info->stats.drops[VSW_DROP_TOO_BIG] += vi.q[q].drops[VHU_DROP_TOO_BIG];
	}
}

const struct vsw_port_ops vsw_port_vhost_ops = {
	.open = vhost_open,
	.close = vhost_close,
	.rx_burst = vhost_rx_burst,
	.tx_burst = vhost_tx_burst,
	.offload_caps = vhost_offload_caps,
	.get_info = vhost_get_info,
};
