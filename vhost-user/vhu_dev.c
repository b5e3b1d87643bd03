/* A vhost-user device: its lifecycle, ring start/stop and the swaps of what
 * PMDs read (memory table, dirty log), all on the control thread. Messages reach
 * it through vhu_handlers.c; sockets are vhu_sock.c; the data path is vhu_net.c.
 * Rule: a PMD-visible change is stop → sync (RCU grace period) → change → start. */
#define LOG_PREFIX "vhost-user/dev: "
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_mbuf.h>
#include <rte_pause.h>

#include "iovs_log.h"
#include "vhu_priv.h"

_Static_assert(VHU_DEV_MAX_QUEUE_PAIRS == VHU_MAX_QUEUE_PAIRS, "vhu_dev_info.q");

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void
vhu_dev_set_state(struct vhu_dev *dev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dev->state, sizeof(dev->state), fmt, ap);
	va_end(ap);
}

void
vhu_dev_sync(struct vhu_dev *dev)
{
	if (dev->cb.sync != NULL)
		dev->cb.sync(dev->cb.arg);
}

bool
vhu_dev_packed(const struct vhu_dev *dev)
{
	return (dev->features & VHU_BIT(VHU_F_RING_PACKED)) != 0;
}

static bool
link_up(const struct vhu_dev *dev)
{
	return __atomic_load_n(&dev->vr[0].running, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&dev->vr[1].running, __ATOMIC_RELAXED);
}

static void
vring_init(struct vhu_vring *vr)
{
	memset(vr, 0, sizeof(*vr));
	vr->call_fd = -1;
	vr->kick_fd = -1;
	vr->err_fd = -1;
	rte_spinlock_init(&vr->hold_lock);
}

static bool
has_iotlb(const struct vhu_dev *dev)
{
	return (dev->features & VHU_BIT(VHU_F_ACCESS_PLATFORM)) != 0;
}

/* With VIRTIO_F_ACCESS_PLATFORM the ring addresses are IOVAs (vhost-user.rst,
 * "IOMMU support"): each area through the IOTLB, contiguous in our address
 * space, with the permission the device needs (split: it reads the
 * descriptors and the driver area, writes the used ring; packed: it also
 * writes used descriptors into the descriptor ring). They are translated once,
 * here: a driver must reset the device before it unmaps its rings (virtio 1.2
 * §2.1: a ring is the device's until then), so later invalidations of a
 * running ring's IOVAs do not stop it. On a miss returns -ENOENT with the
 * IOVA and permission to ask for. */
static int
vring_layout_iotlb(struct vhu_dev *dev, struct vhu_vring *vr, struct vhu_vq_layout *l,
		   const struct vhu_vq_sizes *sz, uint64_t *miss, unsigned *miss_perm,
		   struct iovs_err *err)
{
	const uint64_t iova[3] = {vr->addr.desc, vr->addr.avail, vr->addr.used};
	static const char *const part[3] = {"descriptor table", "driver area", "device area"};
	const unsigned perm[3] = {l->packed ? IOMMU_PERM_RW : IOMMU_PERM_READ, IOMMU_PERM_READ,
				  IOMMU_PERM_WRITE};
	void **host[3] = {&l->desc, &l->avail, &l->used};
	uint64_t gpa[3] = {0, 0, 0};
	unsigned i;

	for (i = 0; i < 3; i++) {
		uint64_t fault = 0;
		int rc = vhu_iotlb_to_host(dev->iotlb, dev->mem, iova[i], sz->bytes[i], perm[i],
					   host[i], &gpa[i], &fault);

		if (rc == -ENOENT) {
			*miss = fault;
			*miss_perm = perm[i];
			return iovs_errf(err, -ENOENT, "%s at IOVA 0x%llx: IOTLB miss at 0x%llx",
					 part[i], (unsigned long long)iova[i],
					 (unsigned long long)fault);
		}
		if (rc == -EACCES)
			return iovs_errf(
				err, -EACCES,
				"%s at IOVA 0x%llx: the IOTLB refuses the %s access at 0x%llx",
				part[i], (unsigned long long)iova[i],
				perm[i] == IOMMU_PERM_READ ? "read" : "write",
				(unsigned long long)fault);
		if (rc != 0)
			return iovs_errf(
				err, -EFAULT,
				"%s at IOVA 0x%llx (+%zu bytes) is not contiguous in guest memory",
				part[i], (unsigned long long)iova[i], sz->bytes[i]);
	}
	if (l->indirect && vr->ind_bounce_size < (size_t)l->size * sizeof(struct vhu_split_desc)) {
		size_t size = (size_t)l->size * sizeof(struct vhu_split_desc); /* = packed's */
		uint8_t *b = malloc(size);

		if (b == NULL)
			return iovs_errf(err, -ENOMEM, "out of memory (indirect table buffer)");
		free(vr->ind_bounce);
		vr->ind_bounce = b;
		vr->ind_bounce_size = size;
	}
	l->ind_bounce = vr->ind_bounce;
	l->iotlb = dev->iotlb;
	l->used_gpa = gpa[2]; /* the dirty log is by guest-physical address */
	l->desc_gpa = gpa[0];
	return 0;
}

/* The ring's parts in our address space. Without VIRTIO_F_ACCESS_PLATFORM the
 * addresses of SET_VRING_ADDR are the front-end's own (vhost-user.rst, "Vring
 * address description"): translate them through the uva index. */
static int
vring_layout(struct vhu_dev *dev, struct vhu_vring *vr, struct vhu_vq_layout *l, uint64_t *miss,
	     unsigned *miss_perm, struct iovs_err *err)
{
	const uint64_t uva[3] = {vr->addr.desc, vr->addr.avail, vr->addr.used};
	static const char *const part[3] = {"descriptor table", "driver area", "device area"};
	void **host[3] = {&l->desc, &l->avail, &l->used};
	struct vhu_vq_sizes sz;
	unsigned i;

	memset(l, 0, sizeof(*l));
	l->size = (uint16_t)vr->num; /* 32768 fits; 0 and larger are refused earlier */
	l->packed = vhu_dev_packed(dev);
	l->event_idx = (dev->features & VHU_BIT(VHU_RING_F_EVENT_IDX)) != 0;
	l->indirect = (dev->features & VHU_BIT(VHU_RING_F_INDIRECT_DESC)) != 0;
	l->log_used = (vr->addr.flags & VHU_VRING_F_LOG) != 0;
	l->used_gpa = vr->addr.log;
	vhu_vq_ring_sizes(l->size, l->packed, &sz);
	if (has_iotlb(dev))
		return vring_layout_iotlb(dev, vr, l, &sz, miss, miss_perm, err);
	for (i = 0; i < 3; i++) {
		*host[i] = vhu_mem_uva_to_host(dev->mem, uva[i], sz.bytes[i]);
		if (*host[i] == NULL)
			return iovs_errf(err, -EFAULT,
					 "%s at 0x%llx (+%zu bytes) is outside guest memory",
					 part[i], (unsigned long long)uva[i], sz.bytes[i]);
	}
	/* Packed: used descriptors are written into the descriptor ring, which
	 * the dirty log needs by guest address (translated above, cannot fail). */
	if (l->packed)
		(void)vhu_mem_uva_to_gpa(dev->mem, vr->addr.desc, sz.bytes[0], &l->desc_gpa);
	return 0;
}

static bool
vring_ready(const struct vhu_dev *dev, const struct vhu_vring *vr)
{
	return vr->have_num && vr->have_addr && vr->have_kick && vr->enabled && dev->mem != NULL;
}

/* A split ring whose used index differs from the base the front-end sent was
 * served by an earlier back-end (ours before a restart): DPDK's virtio-user
 * always sends base 0 on reconnect. The used index is what was completed;
 * resume from there, as QEMU itself does when it loses its back-end. */
static void
resync_split(struct vhu_dev *dev, struct vhu_vring *vr, unsigned idx)
{
	uint16_t used = __atomic_load_n(&vr->vq.split.used->idx, __ATOMIC_ACQUIRE);

	if (used == (uint16_t)vr->base)
		return;
	LOG_INFO("%s: ring %u resumes at used index %u, not at base %u", dev->conf.path, idx, used,
		 vr->base);
	vr->base = used;
	vhu_vq_set_base(&vr->vq, used);
}

/* Debug: where the ring's parts are in guest-physical terms (what a RAM dump
 * of the guest is indexed by: tests/vm/iovs_migrate.sh classifies pages with
 * it) and whether its used-ring writes go to the dirty log. */
static void
vring_started_log(const struct vhu_dev *dev, const struct vhu_vring *vr, unsigned idx,
		  const struct vhu_vq_layout *l)
{
	const uint64_t uva[3] = {vr->addr.desc, vr->addr.avail, vr->addr.used};
	unsigned long long gpa[3];
	struct vhu_vq_sizes sz;
	unsigned i;

	if (iovs_log_get_level() < IOVS_LOG_DEBUG)
		return;
	if (l->iotlb != NULL) {
		LOG_DBG("%s: ring %u started (%u entries, %s, base %u; IOVA desc 0x%llx avail "
			"0x%llx "
			"used 0x%llx)",
			dev->conf.path, idx, vr->num, l->packed ? "packed" : "split", vr->base,
			(unsigned long long)vr->addr.desc, (unsigned long long)vr->addr.avail,
			(unsigned long long)vr->addr.used);
		return;
	}
	vhu_vq_ring_sizes(l->size, l->packed, &sz);
	for (i = 0; i < 3; i++) {
		uint64_t g = UINT64_MAX;

		/* Translated when the ring was laid out: cannot fail here. */
		(void)vhu_mem_uva_to_gpa(dev->mem, uva[i], sz.bytes[i], &g);
		gpa[i] = g;
	}
	LOG_DBG("%s: ring %u started (%u entries, %s, base %u; guest-physical desc 0x%llx avail "
		"0x%llx used 0x%llx; log %s, log_guest_addr 0x%llx)",
		dev->conf.path, idx, vr->num, l->packed ? "packed" : "split", vr->base, gpa[0],
		gpa[1], gpa[2], l->log_used ? "on" : "off", (unsigned long long)vr->addr.log);
}

int
vhu_vring_start(struct vhu_dev *dev, unsigned idx, struct iovs_err *err)
{
	struct vhu_vring *vr = &dev->vr[idx];
	struct vhu_vq_layout l;
	bool was_up = link_up(dev);
	uint64_t miss = 0;
	unsigned miss_perm = 0;
	int rc;

	if (__atomic_load_n(&vr->running, __ATOMIC_RELAXED))
		return 0;
	if (!vring_ready(dev, vr)) {
		vr->iotlb_wait = false;
		return 0;
	}
	rc = vring_layout(dev, vr, &l, &miss, &miss_perm, err);
	if (rc == -ENOENT) {
		/* Not an error: the ring starts when the update arrives. */
		if (!vr->iotlb_wait)
			dev->iotlb_ring_waits++;
		vr->iotlb_wait = true;
		LOG_DBG("%s: ring %u waits for the IOTLB: %s", dev->conf.path, idx,
			iovs_err_str(err, rc));
		if (vhu_dev_iotlb_send(dev, VHU_IOTLB_MISS, miss, miss_perm) == 0)
			dev->iotlb_ring_misses++;
		else
			dev->iotlb_misses_unsent++;
		return 0;
	}
	vr->iotlb_wait = false;
	if (rc == 0)
		rc = vhu_vq_setup(&vr->vq, &l, err);
	if (rc == 0)
		rc = vhu_vq_set_base(&vr->vq, vr->base);
	if (rc != 0)
		return iovs_err_prefix(err, rc, "ring %u", idx);
	if (!l.packed)
		resync_split(dev, vr, idx);
	vr->broken_logged = false;
	__atomic_store_n(&vr->running, true, __ATOMIC_RELEASE);
	vring_started_log(dev, vr, idx, &l);
	if (!was_up && link_up(dev)) {
		vhu_dev_set_state(dev, "running");
		LOG_INFO("%s: link up", dev->conf.path);
		if (dev->cb.state_changed != NULL)
			dev->cb.state_changed(dev->cb.arg);
	}
	return 0;
}

/* After a stop and a sync: remember where the ring was, for a restart. The
 * packets a guest rx ring held for a translation are dropped (down): no PMD
 * touches the hold now. */
static void
vring_stopped(struct vhu_dev *dev, unsigned idx)
{
	struct vhu_vring *vr = &dev->vr[idx];
	unsigned i;

	vr->base = vhu_vq_get_base(&vr->vq);
	for (i = 0; i < vr->hold_n; i++)
		rte_pktmbuf_free(vr->hold[i]);
	__atomic_store_n(&vr->drops[VHU_DROP_DOWN], vr->drops[VHU_DROP_DOWN] + vr->hold_n,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&vr->hold_n, 0, __ATOMIC_RELAXED);
}

static void
link_check(struct vhu_dev *dev, bool was_up)
{
	if (was_up && !link_up(dev)) {
		LOG_INFO("%s: link down", dev->conf.path);
		if (dev->cb.state_changed != NULL)
			dev->cb.state_changed(dev->cb.arg);
	}
}

bool
vhu_vring_stop(struct vhu_dev *dev, unsigned idx)
{
	struct vhu_vring *vr = &dev->vr[idx];
	bool was_up = link_up(dev);

	if (!__atomic_load_n(&vr->running, __ATOMIC_RELAXED))
		return false;
	__atomic_store_n(&vr->running, false, __ATOMIC_RELEASE);
	vhu_dev_sync(dev);
	vring_stopped(dev, idx);
	link_check(dev, was_up);
	return true;
}

uint64_t
vhu_dev_stop_all(struct vhu_dev *dev)
{
	bool was_up = link_up(dev);
	uint64_t mask = 0;
	unsigned i;

	for (i = 0; i < VHU_MAX_VRINGS; i++) {
		if (__atomic_load_n(&dev->vr[i].running, __ATOMIC_RELAXED)) {
			__atomic_store_n(&dev->vr[i].running, false, __ATOMIC_RELEASE);
			mask |= UINT64_C(1) << i;
		}
	}
	if (mask == 0)
		return 0;
	vhu_dev_sync(dev);
	for (i = 0; i < VHU_MAX_VRINGS; i++)
		if (mask & (UINT64_C(1) << i))
			vring_stopped(dev, i);
	link_check(dev, was_up);
	return mask;
}

void
vhu_dev_restart(struct vhu_dev *dev, uint64_t mask)
{
	struct iovs_err err = {{0}};
	unsigned i;
	int rc;

	for (i = 0; i < VHU_MAX_VRINGS; i++) {
		if (!(mask & (UINT64_C(1) << i)))
			continue;
		rc = vhu_vring_start(dev, i, &err);
		if (rc != 0)
			LOG_WARN("%s: ring %u stays stopped: %s", dev->conf.path, i,
				 iovs_err_str(&err, rc));
	}
}

void
vhu_dev_set_mem(struct vhu_dev *dev, struct vhu_mem *m)
{
	uint64_t mask = vhu_dev_stop_all(dev);
	struct vhu_mem *old = dev->mem_own;

	/* No PMD reads 'mem' now: every ring is stopped and synced. IOTLB
	 * entries name front-end addresses checked against the old table: they
	 * go (the front-end answers the misses with the new layout). */
	__atomic_store_n(&dev->mem, m, __ATOMIC_RELEASE);
	dev->mem_own = m;
	vhu_mem_retire(old, m);
	vhu_dev_iotlb_flush(dev);
	vhu_dev_restart(dev, mask);
}

static void
log_unmap(void *base, size_t len)
{
	if (base != NULL)
		munmap(base, len);
}

void
vhu_dev_set_log(struct vhu_dev *dev, struct vhu_log *log, void *base, size_t len)
{
	struct vhu_log *old = dev->log_map;
	void *old_base = dev->log_base;
	size_t old_len = dev->log_len;

	dev->log_map = log;
	dev->log_base = base;
	dev->log_len = len;
	__atomic_store_n(&dev->log,
			 (dev->features & VHU_BIT(VHU_F_LOG_ALL)) ? (const struct vhu_log *)log
								  : NULL,
			 __ATOMIC_RELEASE);
	if (old != NULL) {
		vhu_dev_sync(dev); /* no PMD still logs into the old bitmap */
		log_unmap(old_base, old_len);
		free(old);
	}
}

void
vhu_dev_reset(struct vhu_dev *dev)
{
	unsigned i;

	vhu_dev_stop_all(dev);
	__atomic_store_n(&dev->mem, NULL, __ATOMIC_RELEASE);
	vhu_mem_destroy(dev->mem_own);
	dev->mem_own = NULL;
	vhu_dev_iotlb_flush(dev);
	__atomic_store_n(&dev->features, 0, __ATOMIC_RELAXED);
	vhu_dev_set_log(dev, NULL, NULL, 0);
	for (i = 0; i < VHU_MAX_VRINGS; i++) {
		struct vhu_vring *vr = &dev->vr[i];

		uint64_t packets = vr->packets, bytes = vr->bytes, calls = vr->calls;
		uint64_t misses = vr->iotlb_misses, unsent = vr->iotlb_unsent;
		uint64_t waits = vr->iotlb_waits, held = vr->iotlb_held, access = vr->iotlb_access;
		uint64_t drops[VHU_DROP__MAX];

		close_fd(&vr->call_fd);
		close_fd(&vr->kick_fd);
		close_fd(&vr->err_fd);
		/* Counters live as long as the port, across front-end reconnects. */
		memcpy(drops, vr->drops, sizeof(drops));
		free(vr->ind_bounce);
		vring_init(vr);
		vr->packets = packets;
		vr->bytes = bytes;
		vr->calls = calls;
		vr->iotlb_misses = misses;
		vr->iotlb_unsent = unsent;
		vr->iotlb_waits = waits;
		vr->iotlb_held = held;
		vr->iotlb_access = access;
		memcpy(vr->drops, drops, sizeof(drops));
	}
	close_fd(&dev->backend_req_fd);
	dev->protocol_features = 0;
	dev->features_set = false;
	dev->owner = false;
	dev->status = 0;
	dev->hdr_len = 12;
	dev->mrg_rxbuf = false;
	dev->mtu = 0; /* NET_SET_MTU of a front-end that is gone */
	__atomic_store_n(&dev->rarp_pending, false, __ATOMIC_RELAXED); /* rings stopped */
}

int
vhu_dev_create(struct vhu_loop *loop, const struct vhu_dev_conf *conf, const struct vhu_dev_cb *cb,
	       struct vhu_dev **out, struct iovs_err *err)
{
	const struct iommu_as_config iotlb_cfg = {.max_mappings = VHU_IOTLB_MAX_ENTRIES};
	struct vhu_dev *dev;
	unsigned i;
	int rc;

	if (conf->path[0] == '\0' || strnlen(conf->path, VHU_PATH_MAX) >= VHU_PATH_MAX)
		return iovs_errf(err, -EINVAL, "socket path is empty or longer than %d bytes",
				 VHU_PATH_MAX - 1);
	if (conf->max_queue_pairs < 1 || conf->max_queue_pairs > VHU_MAX_QUEUE_PAIRS)
		return iovs_errf(err, -EINVAL, "queue pairs %u out of range 1..%d",
				 conf->max_queue_pairs, VHU_MAX_QUEUE_PAIRS);
	if (posix_memalign((void **)&dev, 64, sizeof(*dev)) != 0)
		return iovs_errf(err, -ENOMEM, "out of memory");
	memset(dev, 0, sizeof(*dev));
	dev->loop = loop;
	dev->conf = *conf;
	if (cb != NULL)
		dev->cb = *cb;
	dev->listen_fd = -1;
	dev->timer_fd = -1;
	dev->backend_req_fd = -1;
	dev->hdr_len = 12;
	for (i = 0; i < VHU_MAX_VRINGS; i++)
		vring_init(&dev->vr[i]);
	dev->iotlb_rand = 0x9e3779b97f4a7c15u;
	rc = iommu_as_create(&iotlb_cfg, &dev->iotlb);
	if (rc != 0) {
		free(dev);
		return iovs_errf(err, rc, "out of memory");
	}
	rc = vhu_sock_start(dev, err);
	if (rc != 0) {
		iommu_as_destroy(dev->iotlb);
		free(dev);
		return rc;
	}
	*out = dev;
	return 0;
}

void
vhu_dev_destroy(struct vhu_dev *dev)
{
	if (dev == NULL)
		return;
	vhu_sock_stop(dev); /* disconnects: vhu_dev_reset() */
	vhu_dev_reset(dev);
	iommu_as_destroy(dev->iotlb);
	free(dev);
}

static const char *const drop_names[VHU_DROP__MAX] = {
	[VHU_DROP_NO_BUFFERS] = "no_buffers",
	[VHU_DROP_TOO_BIG] = "too_big",
	[VHU_DROP_MALFORMED] = "malformed",
	[VHU_DROP_NO_MBUF] = "no_mbuf",
	[VHU_DROP_BROKEN] = "broken",
	[VHU_DROP_DOWN] = "down",
	[VHU_DROP_IOTLB_ACCESS] = "iotlb_access",
	[VHU_DROP_IOTLB_HOLD_FULL] = "iotlb_hold_full",
};

const char *
vhu_drop_name(enum vhu_drop d)
{
	return (unsigned)d < VHU_DROP__MAX ? drop_names[d] : "unknown";
}

static uint64_t
rd(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

static void
iotlb_info(const struct vhu_dev *dev, struct vhu_iotlb_info *t)
{
	struct iommu_as_stats st;
	unsigned i;

	iommu_as_get_stats(dev->iotlb, &st);
	t->enabled = has_iotlb(dev);
	t->entries = st.mappings;
	t->updates = dev->iotlb_updates;
	t->refused = dev->iotlb_refused;
	t->invalidations = dev->iotlb_invalidations;
	t->evictions = dev->iotlb_evictions;
	t->misses = dev->iotlb_ring_misses;
	t->misses_unsent = dev->iotlb_misses_unsent;
	t->ring_waits = dev->iotlb_ring_waits;
	for (i = 0; i < VHU_MAX_VRINGS; i++) {
		const struct vhu_vring *vr = &dev->vr[i];

		t->misses += rd(&vr->iotlb_misses);
		t->misses_unsent += rd(&vr->iotlb_unsent);
		t->waits += rd(&vr->iotlb_waits);
		t->held += rd(&vr->iotlb_held);
		t->held_now += __atomic_load_n(&vr->hold_n, __ATOMIC_RELAXED);
		t->access_failures += rd(&vr->iotlb_access);
	}
}

void
vhu_dev_get_info(struct vhu_dev *dev, struct vhu_dev_info *info)
{
	unsigned qp, d;

	memset(info, 0, sizeof(*info));
	info->connected = dev->conn != NULL;
	info->link_up = link_up(dev);
	info->features = dev->features;
	info->protocol_features = dev->protocol_features;
	info->mtu = dev->mtu;
	info->mem_regions = dev->mem != NULL ? dev->mem->n : 0;
	info->connects = dev->connects;
	info->disconnects = dev->disconnects;
	snprintf(info->state, sizeof(info->state), "%s", dev->state);
	iotlb_info(dev, &info->iotlb);
	for (qp = 0; qp < dev->conf.max_queue_pairs; qp++) {
		struct vhu_vring *rx = &dev->vr[2 * qp], *tx = &dev->vr[2 * qp + 1];
		struct vhu_queue_info *q = &info->q[qp];

		q->rx_up = __atomic_load_n(&rx->running, __ATOMIC_RELAXED);
		q->tx_up = __atomic_load_n(&tx->running, __ATOMIC_RELAXED);
		if (rx->have_kick || tx->have_kick)
			info->n_queue_pairs = (uint16_t)(qp + 1);
		q->tx_packets = rd(&rx->packets);
		q->tx_bytes = rd(&rx->bytes);
		q->rx_packets = rd(&tx->packets);
		q->rx_bytes = rd(&tx->bytes);
		q->calls = rd(&rx->calls) + rd(&tx->calls);
		for (d = 0; d < VHU_DROP__MAX; d++)
			q->drops[d] = rd(&rx->drops[d]) + rd(&tx->drops[d]);
		if ((rx->vq.broken || tx->vq.broken) && info->connected)
			snprintf(info->state, sizeof(info->state), "broken: ring %u: %s",
				 rx->vq.broken ? 2 * qp : 2 * qp + 1,
				 rx->vq.broken ? rx->vq.broken_reason : tx->vq.broken_reason);
	}
}

uint64_t
vhu_dev_features(const struct vhu_dev *dev)
{
	return __atomic_load_n(&dev->features, __ATOMIC_RELAXED);
}

static const char *const feature_names[64] = {
	[VHU_NET_F_CSUM] = "CSUM",
	[VHU_NET_F_GUEST_CSUM] = "GUEST_CSUM",
	[VHU_NET_F_MTU] = "MTU",
	[VHU_NET_F_MAC] = "MAC",
	[VHU_NET_F_GUEST_TSO4] = "GUEST_TSO4",
	[VHU_NET_F_GUEST_TSO6] = "GUEST_TSO6",
	[VHU_NET_F_GUEST_ECN] = "GUEST_ECN",
	[VHU_NET_F_GUEST_UFO] = "GUEST_UFO",
	[VHU_NET_F_HOST_TSO4] = "HOST_TSO4",
	[VHU_NET_F_HOST_TSO6] = "HOST_TSO6",
	[VHU_NET_F_HOST_ECN] = "HOST_ECN",
	[VHU_NET_F_HOST_UFO] = "HOST_UFO",
	[VHU_NET_F_MRG_RXBUF] = "MRG_RXBUF",
	[VHU_NET_F_STATUS] = "STATUS",
	[VHU_NET_F_CTRL_VQ] = "CTRL_VQ",
	[VHU_NET_F_GUEST_ANNOUNCE] = "GUEST_ANNOUNCE",
	[VHU_NET_F_MQ] = "MQ",
	[VHU_F_NOTIFY_ON_EMPTY] = "NOTIFY_ON_EMPTY",
	[VHU_F_LOG_ALL] = "LOG_ALL",
	[VHU_F_ANY_LAYOUT] = "ANY_LAYOUT",
	[VHU_RING_F_INDIRECT_DESC] = "INDIRECT_DESC",
	[VHU_RING_F_EVENT_IDX] = "EVENT_IDX",
	[VHU_F_PROTOCOL_FEATURES] = "PROTOCOL_FEATURES",
	[VHU_F_VERSION_1] = "VERSION_1",
	[VHU_F_ACCESS_PLATFORM] = "ACCESS_PLATFORM",
	[VHU_F_RING_PACKED] = "RING_PACKED",
	[VHU_F_IN_ORDER] = "IN_ORDER",
};

void
vhu_features_format(uint64_t features, char *buf, size_t len)
{
	size_t off = 0;
	unsigned b;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (b = 0; b < 64 && off < len; b++) {
		int n;

		if (!(features & VHU_BIT(b)))
			continue;
		if (feature_names[b] != NULL)
			n = snprintf(buf + off, len - off, "%s%s", off ? " " : "",
				     feature_names[b]);
		else
			n = snprintf(buf + off, len - off, "%sBIT%u", off ? " " : "", b);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* --- The device IOTLB (VIRTIO_F_ACCESS_PLATFORM), control thread. --- */

/* The write side of vhu_iotlb_read_begin() (vhu_priv.h). */
static void
iotlb_write_begin(struct vhu_dev *dev)
{
	unsigned i;

	__atomic_store_n(&dev->iotlb_writer, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (i = 0; i < VHU_MAX_VRINGS; i++)
		while (__atomic_load_n(&dev->vr[i].iotlb_reading, __ATOMIC_ACQUIRE) != 0)
			rte_pause(); /* a burst */
}

static void
iotlb_write_end(struct vhu_dev *dev)
{
	__atomic_store_n(&dev->iotlb_writer, 0, __ATOMIC_RELEASE);
}

void
vhu_dev_iotlb_flush(struct vhu_dev *dev)
{
	iotlb_write_begin(dev);
	(void)iommu_as_invalidate(dev->iotlb, 0, UINT64_MAX, NULL);
	(void)iommu_as_invalidate(dev->iotlb, UINT64_MAX, 1, NULL);
	iotlb_write_end(dev);
}

/* At the limit: one entry picked at a pseudo-random IOVA goes (a cache; the
 * front-end answers its next miss). O(log n). */
static void
iotlb_evict(struct vhu_dev *dev)
{
	uint64_t x = dev->iotlb_rand; /* xorshift64 */
	struct iommu_mapping m;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	dev->iotlb_rand = x;
	if (iommu_as_find(dev->iotlb, x, &m) != 0 && iommu_as_find(dev->iotlb, 0, &m) != 0)
		return;
	(void)iommu_as_invalidate(dev->iotlb, m.iova, m.size, NULL);
	dev->iotlb_evictions++;
}

int
vhu_dev_iotlb_update(struct vhu_dev *dev, uint64_t iova, uint64_t size, uint64_t uva, uint8_t perm,
		     struct iovs_err *err)
{
	const struct vhu_mem_region *r = vhu_mem_find_uva(dev->mem, uva);
	unsigned i;
	int rc;

	/* "Addresses and size must be within vhost memory regions". One region:
	 * the data path turns one entry into one pointer range. */
	if (r == NULL || size > r->size - (uva - r->uva)) {
		dev->iotlb_refused++;
		return iovs_errf(
			err, -EFAULT,
			"IOTLB update of IOVA 0x%llx (+0x%llx): user address 0x%llx is not "
			"inside one memory region",
			(unsigned long long)iova, (unsigned long long)size,
			(unsigned long long)uva);
	}
	iotlb_write_begin(dev);
	rc = iommu_as_replace(dev->iotlb, iova, size, uva, perm & IOMMU_PERM_RW);
	if (rc == -ENOSPC) {
		iotlb_evict(dev);
		rc = iommu_as_replace(dev->iotlb, iova, size, uva, perm & IOMMU_PERM_RW);
	}
	__atomic_store_n(&dev->iotlb_gen, dev->iotlb_gen + 1, __ATOMIC_RELAXED);
	iotlb_write_end(dev);
	if (rc != 0) {
		dev->iotlb_refused++;
		return iovs_errf(err, rc, "IOTLB update of IOVA 0x%llx (+0x%llx): %s",
				 (unsigned long long)iova, (unsigned long long)size, strerror(-rc));
	}
	dev->iotlb_updates++;
	/* Rings whose areas missed start now, or ask for their next page. */
	for (i = 0; i < VHU_MAX_VRINGS; i++) {
		if (!dev->vr[i].iotlb_wait)
			continue;
		rc = vhu_vring_start(dev, i, err);
		if (rc != 0) {
			dev->vr[i].iotlb_wait = false;
			LOG_WARN("%s: ring %u stays stopped: %s", dev->conf.path, i,
				 iovs_err_str(err, rc));
		}
	}
	return 0;
}

void
vhu_dev_iotlb_invalidate(struct vhu_dev *dev, uint64_t iova, uint64_t size)
{
	iotlb_write_begin(dev);
	(void)iommu_as_invalidate(dev->iotlb, iova, size, NULL);
	iotlb_write_end(dev);
	dev->iotlb_invalidations++;
}

int
vhu_dev_iotlb_send(struct vhu_dev *dev, uint8_t type, uint64_t iova, unsigned iommu_perm)
{
	uint8_t buf[VHU_MSG_BACKEND_IOTLB_LEN];
	int fd = dev->backend_req_fd; /* replaced only while every ring is stopped */
	size_t len;
	ssize_t n;

	if (fd < 0)
		return -ENOTCONN;
	len = vhu_msg_build_backend_iotlb(buf, sizeof(buf), type, iova, vhu_iotlb_perm(iommu_perm));
	n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? -errno : -EIO;
}
