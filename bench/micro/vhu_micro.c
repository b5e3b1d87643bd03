/* A deterministic microbenchmark of the vhost-user data path (bench/README.md,
 * "Fast-path microbenchmark"): one process, no threads, no sockets. It builds
 * a vhu_dev by hand over memfd guest memory (vhost-user/vhu_priv.h), plays the
 * virtio driver of the guest in-process (split or packed rings, in order, the
 * way DPDK's virtio-user polls them), and times the device side:
 *   vhost:  vhu_dev_dequeue() + vhu_dev_enqueue() of the same burst (a guest's
 *           packets straight back to it);
 *   pvp:    the switch's PMD iteration (vswitch/pmd.c) over a hub bridge with a
 *           net_null-like "wire" port and the vhost-user port, as bench/pvp.sh
 *           runs it: wire → guest rx ring, guest tx ring → wire.
 * Only micro_host_step() is the device side; run it under
 *   valgrind --tool=callgrind --toggle-collect=micro_host_step
 * for instructions per packet (bench/micro/callgrind.sh does that), or natively
 * for TSC cycles per packet. A packet is one trip through the switch in each
 * direction (one dequeue and one enqueue), a PVP packet.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "vhu_priv.h"
#include "vsw_priv.h"

#define RING	  256u
#define MEM_SIZE  (16u << 20)
#define BUF_SIZE  2048u /* guest rx buffer (a DPDK guest posts ~mbuf size) */
#define HDR_LEN	  12u
#define TX_BASE	  (1u << 20) /* guest memory layout: rings first, then buffers */
#define RX_BASE	  (8u << 20)
#define RING_BASE 0u

struct opts {
	bool packed, mrg, pvp, vlan, iotlb;
	uint32_t size;
	uint64_t iters;
};

/* The guest's view of one ring (the driver side). */
struct guest_ring {
	bool packed;
	uint8_t *mem; /* guest memory as mapped here */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* split */
	struct vhu_split_desc *desc;
	struct vhu_split_avail *avail;
	struct vhu_split_used *used;
	uint16_t avail_idx, used_seen;
	/* packed */
	struct vhu_packed_desc *pdesc;
	uint16_t pk_avail, pk_used;
	bool pk_avail_wrap, pk_used_wrap;
};

static struct {
	struct opts o;
	int memfd;
	uint8_t *gmem;
	struct vhu_mem *mem;
	struct vhu_dev *dev;
	struct guest_ring rx, tx; /* guest rx ring = our enqueue, guest tx = our dequeue */
	struct rte_mempool *mp;
	/* pvp */
	struct vsw vsw;
	struct vsw_dp *dp;
	struct vsw_pmd *pmd;
	struct vsw_bridge bridge;
	struct vsw_port *wire, *vm;
	uint64_t wire_tx, guest_rx, guest_tx;
	uint64_t bad; /* buffers the guest received with the wrong length or bytes */
} g;

static void
die(const char *what)
{
	fprintf(stderr, "vhu_micro: %s\n", what);
	exit(1);
}

/* --- the guest's driver --- */

static void
guest_post(struct guest_ring *r, uint16_t id, uint64_t addr, uint32_t len, bool write)
{
	if (!r->packed) {
		struct vhu_split_desc *d = &r->desc[id];

		d->addr = addr;
		d->len = len;
		d->flags = write ? VHU_DESC_F_WRITE : 0;
		d->next = 0;
		r->avail->ring[r->avail_idx & (RING - 1)] = id;
		r->avail_idx++;
		return;
	}
	struct vhu_packed_desc *d = &r->pdesc[r->pk_avail];
	uint16_t flags = (write ? VHU_DESC_F_WRITE : 0) |
			 (r->pk_avail_wrap ? VHU_DESC_F_AVAIL : VHU_DESC_F_USED);

	d->addr = addr;
	d->len = len;
	d->id = id;
	__atomic_store_n(&d->flags, flags, __ATOMIC_RELEASE);
	if (++r->pk_avail == RING) {
		r->pk_avail = 0;
		r->pk_avail_wrap = !r->pk_avail_wrap;
	}
}

static void
guest_publish(struct guest_ring *r)
{
	if (!r->packed)
		__atomic_store_n(&r->avail->idx, r->avail_idx, __ATOMIC_RELEASE);
}

/* The next used buffer's id, or -1. */
static int
guest_used(struct guest_ring *r, uint32_t *len)
{
	if (!r->packed) {
		uint16_t idx = __atomic_load_n(&r->used->idx, __ATOMIC_ACQUIRE);
		struct vhu_split_used_elem *e;

		if (idx == r->used_seen)
			return -1;
		e = &r->used->ring[r->used_seen & (RING - 1)];
		r->used_seen++;
		*len = e->len;
		return (int)e->id;
	}
	struct vhu_packed_desc *d = &r->pdesc[r->pk_used];
	uint16_t f = __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE);

	if (!!(f & VHU_DESC_F_AVAIL) != r->pk_used_wrap ||
	    !!(f & VHU_DESC_F_USED) != r->pk_used_wrap)
		return -1;
	*len = d->len;
	if (++r->pk_used == RING) {
		r->pk_used = 0;
		r->pk_used_wrap = !r->pk_used_wrap;
	}
	return d->id;
}

static uint64_t
tx_buf(uint16_t id)
{
	return TX_BASE + (uint64_t)id * BUF_SIZE;
}

static uint64_t
rx_buf(uint16_t id)
{
	return RX_BASE + (uint64_t)id * BUF_SIZE;
}

/* Recycles what the device used: rx buffers are posted again, sent tx
 * packets are sent again (the guest "forwards" endlessly). */
static void
guest_step(void)
{
	uint32_t len;
	int id;

	while ((id = guest_used(&g.rx, &len)) >= 0) {
		g.guest_rx++;
		/* Header and frame; vhost mode: the frame the guest sent, after
		 * an all-zero header (num_buffers aside). */
		if (len != HDR_LEN + g.o.size ||
		    (!g.o.pvp && memcmp(g.gmem + rx_buf((uint16_t)id) + HDR_LEN,
					g.gmem + tx_buf(0) + HDR_LEN, g.o.size) != 0))
			g.bad++;
		guest_post(&g.rx, (uint16_t)id, rx_buf((uint16_t)id), BUF_SIZE, true);
	}
	guest_publish(&g.rx);
	while ((id = guest_used(&g.tx, &len)) >= 0) {
		g.guest_tx++;
		guest_post(&g.tx, (uint16_t)id, tx_buf((uint16_t)id), HDR_LEN + g.o.size, false);
	}
	guest_publish(&g.tx);
}

static void
ring_layout(struct guest_ring *r, uint64_t base, struct vhu_vq_layout *l)
{
	memset(l, 0, sizeof(*l));
	r->packed = g.o.packed;
	r->mem = g.gmem;
	r->desc_gpa = base;
	r->avail_gpa = base + 0x10000;
	r->used_gpa = base + 0x20000;
	l->size = RING;
	l->packed = g.o.packed;
	l->desc = g.gmem + r->desc_gpa;
	l->avail = g.gmem + r->avail_gpa;
	l->used = g.gmem + r->used_gpa;
	l->used_gpa = r->used_gpa;
	l->desc_gpa = r->desc_gpa;
	l->iotlb = g.o.iotlb ? g.dev->iotlb : NULL;
	r->desc = l->desc;
	r->pdesc = l->desc;
	r->avail = l->avail;
	r->used = l->used;
	r->pk_avail_wrap = true;
	r->pk_used_wrap = true;
}

static void
setup_dev(void)
{
	struct vhu_mem_region_desc d = {.gpa = 0, .size = MEM_SIZE, .uva = 0x7f0000000000ull};
	struct vhu_vq_layout l;
	struct iovs_err err;
	unsigned q, i;

	g.memfd = memfd_create("vhu_micro", 0);
	if (g.memfd < 0 || ftruncate(g.memfd, MEM_SIZE) != 0)
		die("memfd");
	g.gmem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, g.memfd, 0);
	if (g.gmem == MAP_FAILED)
		die("mmap");
	d.fd = dup(g.memfd);
	if (vhu_mem_create(&d, 1, NULL, &g.mem, &err) != 0)
		die("vhu_mem_create");
	g.dev = calloc(1, sizeof(*g.dev));
	if (g.dev == NULL)
		die("calloc");
	snprintf(g.dev->conf.path, sizeof(g.dev->conf.path), "micro");
	g.dev->features = VHU_BIT(VHU_F_VERSION_1) | VHU_BIT(VHU_F_RING_PACKED) * g.o.packed |
			  VHU_BIT(VHU_NET_F_MRG_RXBUF) * g.o.mrg;
	g.dev->hdr_len = HDR_LEN;
	g.dev->mrg_rxbuf = g.o.mrg;
	g.dev->mem = g.mem;
	if (g.o.iotlb) {
		/* VIRTIO_F_ACCESS_PLATFORM: IOVA = guest address, one IOTLB entry per
		 * 4 KiB page as a guest's IOMMU driver maps them (4096 entries). */
		const struct iommu_as_config cfg = {.max_mappings = VHU_IOTLB_MAX_ENTRIES};
		uint64_t p;

		g.dev->features |= VHU_BIT(VHU_F_ACCESS_PLATFORM);
		if (iommu_as_create(&cfg, &g.dev->iotlb) != 0)
			die("iommu_as_create");
		for (p = 0; p < MEM_SIZE; p += 4096)
			if (iommu_as_map(g.dev->iotlb, p, 4096, d.uva + p, IOMMU_PERM_RW) != 0)
				die("iommu_as_map");
	}
	for (q = 0; q < VHU_MAX_VRINGS; q++) {
		g.dev->vr[q].call_fd = -1;
		g.dev->vr[q].kick_fd = -1;
		g.dev->vr[q].err_fd = -1;
	}
	ring_layout(&g.rx, RING_BASE, &l);
	if (vhu_vq_setup(&g.dev->vr[0].vq, &l, &err) != 0)
		die("vhu_vq_setup rx");
	ring_layout(&g.tx, RING_BASE + 0x40000, &l);
	if (vhu_vq_setup(&g.dev->vr[1].vq, &l, &err) != 0)
		die("vhu_vq_setup tx");
	g.dev->vr[0].running = true;
	g.dev->vr[1].running = true;
	/* The guest polls: no interrupts (DPDK's virtio PMD). */
	if (g.o.packed) {
		((struct vhu_packed_event *)(g.gmem + g.rx.avail_gpa))->flags = VHU_EVENT_F_DISABLE;
		((struct vhu_packed_event *)(g.gmem + g.tx.avail_gpa))->flags = VHU_EVENT_F_DISABLE;
	} else {
		g.rx.avail->flags = VHU_AVAIL_F_NO_INTERRUPT;
		g.tx.avail->flags = VHU_AVAIL_F_NO_INTERRUPT;
	}
	/* Frames: a unicast Ethernet/IPv4 frame after an all-zero header. */
	for (i = 0; i < RING; i++) {
		uint8_t *p = g.gmem + tx_buf((uint16_t)i);

		memset(p, 0, HDR_LEN + g.o.size);
		p += HDR_LEN;
		if (g.o.vlan) /* priority-tagged: the bridge takes the tag off (pvp) */
			memcpy(p, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x81\x00\x00\x00\x08\x00\x45",
			       19);
		else
			memcpy(p, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00\x45", 15);
		guest_post(&g.tx, (uint16_t)i, tx_buf((uint16_t)i), HDR_LEN + g.o.size, false);
		guest_post(&g.rx, (uint16_t)i, rx_buf((uint16_t)i), BUF_SIZE, true);
	}
	guest_publish(&g.tx);
	guest_publish(&g.rx);
}

/* --- the "wire": net_null's behaviour (endless frames of 'size', freed on tx) --- */

static uint16_t
wire_rx(struct vsw_port *port, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	(void)qid;
	if (rte_pktmbuf_alloc_bulk(port->mp, pkts, n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		pkts[i]->data_len = (uint16_t)g.o.size;
		pkts[i]->pkt_len = g.o.size;
		pkts[i]->port = 0;
	}
	return n;
}

static uint16_t
wire_tx(struct vsw_port *port, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	(void)port;
	(void)qid;
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
	g.wire_tx += n;
	return n;
}

static const struct vsw_port_ops wire_ops = {.rx_burst = wire_rx, .tx_burst = wire_tx};

static struct vsw_port *
make_port(const struct vsw_port_ops *ops, uint16_t slot)
{
	struct vsw_port *p = calloc(1, sizeof(*p));

	if (p == NULL)
		die("calloc");
	p->ops = ops;
	p->sw = &g.vsw;
	p->bridge = &g.bridge;
	p->slot = slot;
	p->mp = g.mp;
	p->n_txq = 1;
	p->conf.vlan.mode = VSW_VLAN_ACCESS;
	p->pmd_stats = aligned_alloc(64, sizeof(*p->pmd_stats));
	if (p->pmd_stats == NULL)
		die("alloc");
	memset(p->pmd_stats, 0, sizeof(*p->pmd_stats));
	p->rxq[0].port = p;
	p->offload_caps = 0;
	g.dp->ports[slot] = p;
	g.dp->members[0].slots[g.dp->members[0].n++] = slot;
	return p;
}

static void
setup_pvp(void)
{
	g.vsw.mp = g.mp;
	g.bridge.conf.no_learning = true;
	g.dp = calloc(1, sizeof(*g.dp) + 2 * sizeof(g.dp->rxq_pool[0]));
	g.pmd = aligned_alloc(64, sizeof(*g.pmd));
	if (g.dp == NULL || g.pmd == NULL)
		die("calloc");
	memset(g.pmd, 0, sizeof(*g.pmd));
	g.pmd->sw = &g.vsw;
	g.vsw.dp = g.dp;
	g.wire = make_port(&wire_ops, 0);
	g.vm = make_port(&vsw_port_vhost_ops, 1);
	g.vm->vhu = g.dev;
	g.dp->rxq_pool[0] = &g.wire->rxq[0];
	g.dp->rxq_pool[1] = &g.vm->rxq[0];
	g.dp->poll[0].n = 2;
	g.dp->poll[0].rxq = g.dp->rxq_pool;
}

/* --- the device side, measured --- */

static uint64_t moved;

__attribute__((noinline)) void micro_host_step(void);

__attribute__((noinline)) void
micro_host_step(void)
{
	struct rte_mbuf *pkts[VSW_BURST];
	uint16_t n, sent, i;

	if (g.o.pvp) {
		vsw_pmd_iterate(g.pmd, g.dp);
		return;
	}
	n = vhu_dev_dequeue(g.dev, 0, g.mp, pkts, VSW_BURST);
	sent = vhu_dev_enqueue(g.dev, 0, pkts, n);
	for (i = sent; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
	moved += sent;
}

static void
usage(void)
{
	fprintf(stderr, "usage: vhu_micro [EAL args --] [--packed] [--mrg] [--pvp] [--vlan] "
			"[--iotlb] [--size N] [--iters N]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"packed", no_argument, NULL, 'p'},	 {"mrg", no_argument, NULL, 'm'},
		{"pvp", no_argument, NULL, 'v'},	 {"vlan", no_argument, NULL, 't'},
		{"iotlb", no_argument, NULL, 'o'},	 {"size", required_argument, NULL, 's'},
		{"iters", required_argument, NULL, 'i'}, {NULL, 0, NULL, 0}};
	uint64_t t0, cycles = 0, it, before, pkts;
	int rc, c;

	rc = rte_eal_init(argc, argv);
	if (rc < 0)
		die("rte_eal_init");
	argc -= rc;
	argv += rc;
	g.o.size = 64;
	g.o.iters = 20000;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			g.o.packed = true;
			break;
		case 'm':
			g.o.mrg = true;
			break;
		case 'v':
			g.o.pvp = true;
			break;
		case 't':
			g.o.vlan = true;
			break;
		case 'o':
			g.o.iotlb = true;
			break;
		case 's':
			g.o.size = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'i':
			g.o.iters = strtoull(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (g.o.size < 60 || g.o.size > BUF_SIZE - HDR_LEN)
		die("--size must be 60..2036");
	g.mp = rte_pktmbuf_pool_create("micro", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (g.mp == NULL)
		die("mempool");
	setup_dev();
	if (g.o.pvp)
		setup_pvp();
	/* Warm-up: a few rounds untimed (mempool caches, first touch). */
	for (it = 0; it < 64; it++) {
		micro_host_step();
		guest_step();
	}
	before = g.o.pvp ? g.wire_tx : moved;
	for (it = 0; it < g.o.iters; it++) {
		t0 = rte_rdtsc();
		micro_host_step();
		cycles += rte_rdtsc() - t0;
		guest_step();
	}
	pkts = (g.o.pvp ? g.wire_tx : moved) - before;
	if (g.dev->vr[0].vq.broken || g.dev->vr[1].vq.broken)
		die("a ring broke");
	if (g.bad != 0)
		die("the guest received wrong frames");
	printf("ring=%s size=%u mrg=%d iotlb=%d mode=%s iters=%" PRIu64 " packets=%" PRIu64
	       " cycles/pkt=%.1f\n",
	       g.o.packed ? "packed" : "split", g.o.size, g.o.mrg, g.o.iotlb,
	       g.o.pvp ? "pvp" : "vhost", g.o.iters, pkts,
	       pkts ? (double)cycles / (double)pkts : 0.0);
	if (pkts == 0)
		die("nothing moved");
	rte_eal_cleanup();
	return 0;
}
