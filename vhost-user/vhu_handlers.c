/* The handler of each front-end request: state checks, then apply. Messages
 * arrive here from vhu_sock.c already framed, validated (vhu_msg_validate():
 * size, fd count, syntax) and decoded; vhu_dev.c does the ring and table swaps.
 * Sections cited are from QEMU's docs/interop/vhost-user.rst. */
#define LOG_PREFIX "vhost-user/handlers: "
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iovs_log.h"
#include "vhu_priv.h"

/* What iovs offers. Checksum and TCP segmentation offloads both ways: the
 * virtio-net header maps to mbuf offload flags (vhu_net_hdr.c), and the switch
 * finishes in software what an output cannot do (vswitch/offload.c). ECN comes
 * with TSO (CWR stays on the first segment only). UFO is not offered: IPv6 UFO
 * is not supported and modern guests do not use it. CTRL_VQ is left to the
 * front-end: QEMU and virtio-user handle the control queue themselves and only
 * send SET_VRING_ENABLE for multiqueue. ACCESS_PLATFORM (a vIOMMU in the guest)
 * comes with the device IOTLB: IOTLB_MSG updates and invalidations, misses
 * asked on the back-end channel (BACKEND_REQ; QEMU also wants REPLY_ACK). */
uint64_t
vhu_offered_features(void)
{
	return VHU_BIT(VHU_NET_F_CSUM) | VHU_BIT(VHU_NET_F_GUEST_CSUM) |
	       VHU_BIT(VHU_NET_F_HOST_TSO4) | VHU_BIT(VHU_NET_F_HOST_TSO6) |
	       VHU_BIT(VHU_NET_F_HOST_ECN) | VHU_BIT(VHU_NET_F_GUEST_TSO4) |
	       VHU_BIT(VHU_NET_F_GUEST_TSO6) | VHU_BIT(VHU_NET_F_GUEST_ECN) |
	       VHU_BIT(VHU_NET_F_MRG_RXBUF) | VHU_BIT(VHU_NET_F_MQ) | VHU_BIT(VHU_NET_F_MTU) |
	       VHU_BIT(VHU_NET_F_GUEST_ANNOUNCE) | VHU_BIT(VHU_F_LOG_ALL) |
	       VHU_BIT(VHU_F_ANY_LAYOUT) | VHU_BIT(VHU_RING_F_INDIRECT_DESC) |
	       VHU_BIT(VHU_RING_F_EVENT_IDX) | VHU_BIT(VHU_F_PROTOCOL_FEATURES) |
	       VHU_BIT(VHU_F_VERSION_1) | VHU_BIT(VHU_F_RING_PACKED) | VHU_BIT(VHU_F_IN_ORDER) |
	       VHU_BIT(VHU_F_ACCESS_PLATFORM);
}

uint64_t
vhu_offered_protocol_features(void)
{
	return VHU_BIT(VHU_PROTOCOL_F_MQ) | VHU_BIT(VHU_PROTOCOL_F_LOG_SHMFD) |
	       VHU_BIT(VHU_PROTOCOL_F_RARP) | VHU_BIT(VHU_PROTOCOL_F_REPLY_ACK) |
	       VHU_BIT(VHU_PROTOCOL_F_NET_MTU) | VHU_BIT(VHU_PROTOCOL_F_RESET_DEVICE) |
	       VHU_BIT(VHU_PROTOCOL_F_CONFIGURE_MEM_SLOTS) | VHU_BIT(VHU_PROTOCOL_F_STATUS) |
	       VHU_BIT(VHU_PROTOCOL_F_BACKEND_REQ);
}

struct vhu_ctx {
	struct vhu_dev *dev;
	const struct vhu_msg_hdr *h;
	const union vhu_msg_body *b;
	int *fds; /* a handler that keeps fds[i] sets it to -1 */
	unsigned n_fds;
	uint8_t *reply;
	size_t *reply_len;
	struct iovs_err *err;
};

static int
reply_u64(struct vhu_ctx *c, uint64_t v)
{
	*c->reply_len = vhu_msg_build_u64_reply(c->reply, VHU_MSG_MAX_REPLY, c->h->request, v);
	return 0;
}

static bool
has_protocol(const struct vhu_dev *dev, unsigned bit)
{
	return (dev->features & VHU_BIT(VHU_F_PROTOCOL_FEATURES)) &&
	       (dev->protocol_features & VHU_BIT(bit));
}

/* A ring index the front-end may use: below 2 × the pairs we announced. */
static int
ring_index(struct vhu_ctx *c, uint32_t idx, struct vhu_vring **out)
{
	if (idx >= 2u * c->dev->conf.max_queue_pairs)
		return iovs_errf(c->err, -ERANGE,
				 "ring %u is beyond the %u queue pairs this port offers", idx,
				 c->dev->conf.max_queue_pairs);
	*out = &c->dev->vr[idx];
	return 0;
}

static int
take_fd(struct vhu_ctx *c, unsigned i)
{
	int fd = c->fds[i];

	c->fds[i] = -1;
	return fd;
}

static void
replace_fd(int *slot, int fd)
{
	if (*slot >= 0)
		close(*slot);
	*slot = fd;
}

static int
get_features(struct vhu_ctx *c)
{
	return reply_u64(c, vhu_offered_features());
}

static int
set_features(struct vhu_ctx *c)
{
	struct vhu_dev *dev = c->dev;
	uint64_t f = c->b->u64, extra = f & ~vhu_offered_features(), mask = 0;

	if (extra != 0)
		return iovs_errf(c->err, -EINVAL, "features 0x%llx were not offered",
				 (unsigned long long)extra);
	/* Logging toggles while rings run (live migration); anything else
	 * changes how PMDs read the rings: stop them first. */
	if (((f ^ dev->features) & ~VHU_BIT(VHU_F_LOG_ALL)) != 0)
		mask = vhu_dev_stop_all(dev);
	if (((f ^ dev->features) & VHU_BIT(VHU_F_LOG_ALL)) != 0)
		LOG_INFO("%s: dirty-page logging %s", dev->conf.path,
			 (f & VHU_BIT(VHU_F_LOG_ALL)) ? "on" : "off");
	/* Read relaxed by PMDs outside the rings (vhu_dev_features()). */
	__atomic_store_n(&dev->features, f, __ATOMIC_RELAXED);
	dev->features_set = true;
	dev->mrg_rxbuf = (f & VHU_BIT(VHU_NET_F_MRG_RXBUF)) != 0;
	dev->hdr_len = (f & (VHU_BIT(VHU_NET_F_MRG_RXBUF) | VHU_BIT(VHU_F_VERSION_1))) ? 12 : 10;
	__atomic_store_n(&dev->log, (f & VHU_BIT(VHU_F_LOG_ALL)) ? dev->log_map : NULL,
			 __ATOMIC_RELEASE);
	vhu_dev_restart(dev, mask);
	return 0;
}

static int
set_owner(struct vhu_ctx *c)
{
	c->dev->owner = true;
	return 0;
}

/* Deprecated; "back-ends either ignore this message, or use it to disable all
 * rings". We disable them: a ring restarts only after a new kick. */
static int
reset_owner(struct vhu_ctx *c)
{
	unsigned i;

	vhu_dev_stop_all(c->dev);
	for (i = 0; i < VHU_MAX_VRINGS; i++)
		c->dev->vr[i].have_kick = false;
	return 0;
}

static int
get_protocol_features(struct vhu_ctx *c)
{
	return reply_u64(c, vhu_offered_protocol_features());
}

static int
set_protocol_features(struct vhu_ctx *c)
{
	uint64_t extra = c->b->u64 & ~vhu_offered_protocol_features();

	if (extra != 0)
		return iovs_errf(c->err, -EINVAL, "protocol features 0x%llx were not offered",
				 (unsigned long long)extra);
	c->dev->protocol_features = c->b->u64;
	return 0;
}

static int
set_mem_table(struct vhu_ctx *c)
{
	struct vhu_mem_region_desc d[VHU_MAX_MEM_REGIONS];
	const struct vhu_msg_mem_table *t = &c->b->mem;
	struct vhu_mem *m;
	uint32_t i;
	int rc;

	for (i = 0; i < t->nregions; i++) {
		d[i].gpa = t->regions[i].gpa;
		d[i].size = t->regions[i].size;
		d[i].uva = t->regions[i].uva;
		d[i].mmap_offset = t->regions[i].mmap_offset;
		d[i].fd = take_fd(c, i);
	}
	rc = vhu_mem_create(d, t->nregions, NULL, &m, c->err);
	if (rc != 0)
		return rc;
	vhu_dev_set_mem(c->dev, m);
	LOG_INFO("%s: memory table with %u regions", c->dev->conf.path, t->nregions);
	return 0;
}

static int
mem_reg_desc(struct vhu_ctx *c, struct vhu_mem_region_desc *d)
{
	const struct vhu_msg_region *r = &c->b->region;

	if (!has_protocol(c->dev, VHU_PROTOCOL_F_CONFIGURE_MEM_SLOTS))
		return iovs_errf(c->err, -EPROTO, "%s without CONFIGURE_MEM_SLOTS negotiated",
				 vhu_msg_name(c->h->request));
	d->gpa = r->gpa;
	d->size = r->size;
	d->uva = r->uva;
	d->mmap_offset = r->mmap_offset;
	d->fd = -1;
	return 0;
}

static int
add_mem_reg(struct vhu_ctx *c)
{
	struct vhu_mem_region_desc d;
	struct vhu_mem *m;
	int rc = mem_reg_desc(c, &d);

	if (rc != 0)
		return rc;
	d.fd = take_fd(c, 0);
	rc = vhu_mem_add(c->dev->mem_own, &d, NULL, &m, c->err);
	if (rc != 0)
		return rc;
	vhu_dev_set_mem(c->dev, m);
	return 0;
}

static int
rem_mem_reg(struct vhu_ctx *c)
{
	struct vhu_mem_region_desc d;
	struct vhu_mem *m;
	int rc = mem_reg_desc(c, &d);

	if (rc != 0)
		return rc;
	if (c->dev->mem_own == NULL)
		return iovs_errf(c->err, -ENOENT, "no memory region to remove");
	rc = vhu_mem_remove(c->dev->mem_own, &d, &m, c->err);
	if (rc != 0)
		return rc;
	vhu_dev_set_mem(c->dev, m);
	return 0;
}

static int
get_max_mem_slots(struct vhu_ctx *c)
{
	return reply_u64(c, VHU_MEM_MAX_REGIONS);
}

/* "Log description": the bitmap is 'size' bytes at 'offset' in the fd. */
static int
set_log_base(struct vhu_ctx *c)
{
	const struct vhu_msg_log *lg = &c->b->log;
	struct vhu_log *log;
	struct stat st;
	size_t len;
	void *base;
	int fd = take_fd(c, 0), rc;

	if (!has_protocol(c->dev, VHU_PROTOCOL_F_LOG_SHMFD)) {
		rc = iovs_errf(c->err, -EPROTO, "SET_LOG_BASE without LOG_SHMFD negotiated");
		goto out;
	}
	len = (size_t)(lg->offset + lg->size); /* no wrap: vhu_msg_validate() */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < len) {
		rc = iovs_errf(c->err, -EINVAL, "log fd is not a file of %zu bytes", len);
		goto out;
	}
	log = calloc(1, sizeof(*log));
	base = log != NULL ? mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
			   : MAP_FAILED;
	if (base == MAP_FAILED) {
		free(log);
		rc = iovs_errf(c->err, -ENOMEM, "cannot map the %zu-byte log", len);
		goto out;
	}
	log->bitmap = (uint8_t *)base + lg->offset;
	log->size = lg->size;
	vhu_dev_set_log(c->dev, log, base, len);
	/* One bit per 4 KiB page: a byte covers 32 KiB, 32 bytes 1 MiB. */
	LOG_INFO("%s: dirty log of %llu bytes (guest addresses below %llu MiB)", c->dev->conf.path,
		 (unsigned long long)lg->size, (unsigned long long)(lg->size / 32));
	rc = 0;
out:
	close(fd);
	return rc;
}

/* We have no use for the log fd (QEMU's "log changed" eventfd): close it. */
static int
set_log_fd(struct vhu_ctx *c)
{
	(void)c;
	return 0;
}

/* NUM, ADDR, BASE, CALL and ERR change what a PMD reads: apply them to a
 * stopped ring and restart it if it ran (front-ends stop rings first for the
 * layout; this keeps PMDs safe if not). */
static int
vring_change(struct vhu_ctx *c, uint32_t idx, int (*apply)(struct vhu_ctx *, struct vhu_vring *))
{
	struct vhu_vring *vr = NULL;
	bool ran;
	int rc = ring_index(c, idx, &vr);

	if (rc != 0)
		return rc;
	ran = vhu_vring_stop(c->dev, idx);
	rc = apply(c, vr);
	if (ran)
		vhu_dev_restart(c->dev, UINT64_C(1) << idx);
	return rc;
}

static int
apply_num(struct vhu_ctx *c, struct vhu_vring *vr)
{
	uint32_t num = c->b->state.num;

	if (!vhu_dev_packed(c->dev) && (num & (num - 1)) != 0)
		return iovs_errf(c->err, -EINVAL,
				 "split ring size %u is not a power of two (virtio 1.2 2.7)", num);
	vr->num = num;
	vr->have_num = true;
	return 0;
}

static int
set_vring_num(struct vhu_ctx *c)
{
	return vring_change(c, c->b->state.index, apply_num);
}

static int
apply_addr(struct vhu_ctx *c, struct vhu_vring *vr)
{
	if (c->dev->mem == NULL)
		return iovs_errf(c->err, -EPROTO, "SET_VRING_ADDR before SET_MEM_TABLE");
	vr->addr = c->b->addr;
	vr->have_addr = true;
	return 0;
}

static int
set_vring_addr(struct vhu_ctx *c)
{
	return vring_change(c, c->b->addr.index, apply_addr);
}

static int
apply_base(struct vhu_ctx *c, struct vhu_vring *vr)
{
	uint32_t base = c->b->state.num;

	/* Packed: bits 16-31 (used index and wrap) may follow; nothing is in
	 * flight when a ring stops, so used equals avail and they are ignored.
	 * vhu_vq_set_base() checks the slot against the ring size. */
	if (!vhu_dev_packed(c->dev) && base > 0xffff)
		return iovs_errf(c->err, -EINVAL, "split ring base %u is not a 16-bit index", base);
	vr->base = base & 0xffff;
	/* GET_VRING_BASE of a packed ring that never ran answers this value:
	 * report used = avail in bits 16-31, as vhu_vq_get_base() does. */
	if (vhu_dev_packed(c->dev))
		vr->base |= vr->base << 16;
	return 0;
}

static int
set_vring_base(struct vhu_ctx *c)
{
	return vring_change(c, c->b->state.index, apply_base);
}

/* "Stops the ring" and answers where it stopped (promise P5: after this no
 * guest-memory write and no interrupt for this ring until it is kicked again). */
static int
get_vring_base(struct vhu_ctx *c)
{
	uint32_t idx = c->b->state.index;
	struct vhu_vring *vr = NULL;
	int rc = ring_index(c, idx, &vr);

	if (rc != 0)
		return rc;
	vhu_vring_stop(c->dev, idx);
	vr->have_kick = false;
	replace_fd(&vr->kick_fd, -1);
	*c->reply_len = vhu_msg_build_state_reply(c->reply, VHU_MSG_MAX_REPLY, c->h->request, idx,
						  vr->base);
	return 0;
}

static int
set_vring_kick(struct vhu_ctx *c)
{
	uint32_t idx = c->b->file.index;
	struct vhu_vring *vr = NULL;
	int rc = ring_index(c, idx, &vr);

	if (rc != 0)
		return rc;
	if (c->dev->mem == NULL)
		return iovs_errf(c->err, -EPROTO, "SET_VRING_KICK before SET_MEM_TABLE");
	if (!vr->have_num || !vr->have_addr)
		return iovs_errf(c->err, -EPROTO, "SET_VRING_KICK on ring %u before its %s", idx,
				 vr->have_num ? "address" : "size");
	vhu_vring_stop(c->dev, idx);
	/* We poll: the kick fd is kept (the spec's start signal) but never read. */
	replace_fd(&vr->kick_fd, c->b->file.nofd ? -1 : take_fd(c, 0));
	vr->have_kick = true;
	/* "If VHOST_USER_F_PROTOCOL_FEATURES has not been negotiated, the ring
	 * starts directly in the enabled state." */
	if (!(c->dev->features & VHU_BIT(VHU_F_PROTOCOL_FEATURES)))
		vr->enabled = true;
	return vhu_vring_start(c->dev, idx, c->err);
}

/* The call and err fds are written by the PMD (an interrupt; the ring broke):
 * swapped only while the ring is stopped, like its layout. */
static int
apply_call(struct vhu_ctx *c, struct vhu_vring *vr)
{
	replace_fd(&vr->call_fd, c->b->file.nofd ? -1 : take_fd(c, 0));
	return 0;
}

static int
set_vring_call(struct vhu_ctx *c)
{
	return vring_change(c, c->b->file.index, apply_call);
}

static int
apply_err(struct vhu_ctx *c, struct vhu_vring *vr)
{
	replace_fd(&vr->err_fd, c->b->file.nofd ? -1 : take_fd(c, 0));
	return 0;
}

static int
set_vring_err(struct vhu_ctx *c)
{
	return vring_change(c, c->b->file.index, apply_err);
}

static int
get_queue_num(struct vhu_ctx *c)
{
	return reply_u64(c, c->dev->conf.max_queue_pairs);
}

static int
set_vring_enable(struct vhu_ctx *c)
{
	uint32_t idx = c->b->state.index;
	struct vhu_vring *vr = NULL;
	int rc = ring_index(c, idx, &vr);

	if (rc != 0)
		return rc;
	vr->enabled = c->b->state.num != 0;
	if (!vr->enabled) {
		vhu_vring_stop(c->dev, idx);
		return 0;
	}
	return vhu_vring_start(c->dev, idx, c->err);
}

/* Announce the guest's MAC after a migration: the PMD of queue pair 0 injects
 * one RARP frame into the switch as if the guest had sent it. */
static int
send_rarp(struct vhu_ctx *c)
{
	memcpy(c->dev->rarp_mac, &c->b->u64, 6);
	__atomic_store_n(&c->dev->rarp_pending, true, __ATOMIC_RELEASE);
	LOG_INFO("%s: announcing %02x:%02x:%02x:%02x:%02x:%02x", c->dev->conf.path,
		 c->dev->rarp_mac[0], c->dev->rarp_mac[1], c->dev->rarp_mac[2], c->dev->rarp_mac[3],
		 c->dev->rarp_mac[4], c->dev->rarp_mac[5]);
	return 0;
}

static int
net_set_mtu(struct vhu_ctx *c)
{
	c->dev->mtu = (uint16_t)c->b->u64;
	LOG_INFO("%s: guest MTU %u", c->dev->conf.path, c->dev->mtu);
	return 0;
}

/* The back-end channel: IOTLB misses and access failures go there. PMDs send
 * on it, so it is replaced only while every ring is stopped. */
static int
set_backend_req_fd(struct vhu_ctx *c)
{
	uint64_t mask = vhu_dev_stop_all(c->dev);

	replace_fd(&c->dev->backend_req_fd, take_fd(c, 0));
	vhu_dev_restart(c->dev, mask);
	return 0;
}

/* "IOMMU support": updates map an IOVA range to front-end addresses inside
 * the memory table; invalidations remove what they cover (splitting
 * entries). vhu_msg_validate() refused the other types (MISS and ACCESS_FAIL
 * only travel from back-end to front-end), sizes of 0 and wrapping ranges. */
static int
iotlb_msg(struct vhu_ctx *c)
{
	const struct vhu_msg_iotlb *m = &c->b->iotlb;

	if (!(c->dev->features & VHU_BIT(VHU_F_ACCESS_PLATFORM)))
		return iovs_errf(c->err, -EPROTO,
				 "IOTLB_MSG without VIRTIO_F_ACCESS_PLATFORM negotiated");
	if (m->type == VHU_IOTLB_INVALIDATE) {
		vhu_dev_iotlb_invalidate(c->dev, m->iova, m->size);
		return 0;
	}
	if (c->dev->mem == NULL)
		return iovs_errf(c->err, -EPROTO, "IOTLB update before SET_MEM_TABLE");
	return vhu_dev_iotlb_update(c->dev, m->iova, m->size, m->uva, m->perm, c->err);
}

/* "Reset all internal device state to the initial state, ready to be
 * reinitialized"; the connection and its protocol features stay. */
static int
reset_device(struct vhu_ctx *c)
{
	uint64_t pf = c->dev->protocol_features;

	vhu_dev_reset(c->dev);
	c->dev->protocol_features = pf;
	return 0;
}

static int
set_status(struct vhu_ctx *c)
{
	c->dev->status = (uint8_t)c->b->u64;
	return 0;
}

static int
get_status(struct vhu_ctx *c)
{
	return reply_u64(c, c->dev->status);
}

typedef int (*vhu_handler_fn)(struct vhu_ctx *c);

/* clang-format off */
static const vhu_handler_fn handlers[VHU_REQ__MAX] = {
	[VHU_REQ_GET_FEATURES]          = get_features,
	[VHU_REQ_SET_FEATURES]          = set_features,
	[VHU_REQ_SET_OWNER]             = set_owner,
	[VHU_REQ_RESET_OWNER]           = reset_owner,
	[VHU_REQ_SET_MEM_TABLE]         = set_mem_table,
	[VHU_REQ_SET_LOG_BASE]          = set_log_base,
	[VHU_REQ_SET_LOG_FD]            = set_log_fd,
	[VHU_REQ_SET_VRING_NUM]         = set_vring_num,
	[VHU_REQ_SET_VRING_ADDR]        = set_vring_addr,
	[VHU_REQ_SET_VRING_BASE]        = set_vring_base,
	[VHU_REQ_GET_VRING_BASE]        = get_vring_base,
	[VHU_REQ_SET_VRING_KICK]        = set_vring_kick,
	[VHU_REQ_SET_VRING_CALL]        = set_vring_call,
	[VHU_REQ_SET_VRING_ERR]         = set_vring_err,
	[VHU_REQ_GET_PROTOCOL_FEATURES] = get_protocol_features,
	[VHU_REQ_SET_PROTOCOL_FEATURES] = set_protocol_features,
	[VHU_REQ_GET_QUEUE_NUM]         = get_queue_num,
	[VHU_REQ_SET_VRING_ENABLE]      = set_vring_enable,
	[VHU_REQ_SEND_RARP]             = send_rarp,
	[VHU_REQ_NET_SET_MTU]           = net_set_mtu,
	[VHU_REQ_SET_BACKEND_REQ_FD]    = set_backend_req_fd,
	[VHU_REQ_IOTLB_MSG]             = iotlb_msg,
	[VHU_REQ_RESET_DEVICE]          = reset_device,
	[VHU_REQ_GET_MAX_MEM_SLOTS]     = get_max_mem_slots,
	[VHU_REQ_ADD_MEM_REG]           = add_mem_reg,
	[VHU_REQ_REM_MEM_REG]           = rem_mem_reg,
	[VHU_REQ_SET_STATUS]            = set_status,
	[VHU_REQ_GET_STATUS]            = get_status,
};
/* clang-format on */

int
vhu_handle(struct vhu_dev *dev, const struct vhu_msg_hdr *h, const union vhu_msg_body *b, int *fds,
	   unsigned n_fds, uint8_t *reply, size_t *reply_len, struct iovs_err *err)
{
	struct vhu_ctx c = {dev, h, b, fds, n_fds, reply, reply_len, err};
	vhu_handler_fn fn = h->request < VHU_REQ__MAX ? handlers[h->request] : NULL;
	unsigned i;
	int rc;

	*reply_len = 0;
	if (fn == NULL)
		rc = iovs_errf(err, -EOPNOTSUPP, "%s is not handled", vhu_msg_name(h->request));
	else
		rc = fn(&c);
	for (i = 0; i < n_fds; i++) /* whatever the handler did not keep */
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
	return rc;
}
