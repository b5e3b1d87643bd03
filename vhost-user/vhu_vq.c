/* Virtqueue code common to both layouts (vhu_vq.h): ring geometry, setup and
 * SET/GET_VRING_BASE for the control thread, the dirty-page log, and the fast
 * path entry points, which check the broken state and hand over to
 * vhu_vq_split.c or vhu_vq_packed.c.
 */
#include <errno.h>
#include <string.h>

#include "vhu_vq_priv.h"

const char vhu_vq_iotlb_miss[] = "IOTLB miss";

void
vhu_log_write(const struct vhu_log *log, uint64_t gpa, uint64_t len)
{
	uint64_t page, last, max_pages;

	if (log == NULL || log->bitmap == NULL || len == 0)
		return;
	max_pages = log->size > UINT64_MAX / 8 ? UINT64_MAX : log->size * 8;
	page = gpa / VHU_LOG_PAGE;
	/* The last byte, clamped at the top of the address space. */
	last = (len - 1 > UINT64_MAX - gpa ? UINT64_MAX : gpa + (len - 1)) / VHU_LOG_PAGE;
	if (page >= max_pages)
		return;
	if (last >= max_pages)
		last = max_pages - 1;
	/* One atomic OR per bitmap byte: the front-end clears bits concurrently.
	 * Release: whoever sees the bit also sees the write it stands for. */
	while (page <= last) {
		uint64_t byte = page / 8;
		unsigned lo = (unsigned)(page % 8);
		unsigned hi = last / 8 == byte ? (unsigned)(last % 8) : 7u;
		uint8_t mask = (uint8_t)((0xffu << lo) & (0xffu >> (7u - hi)));

		__atomic_fetch_or(&log->bitmap[byte], mask, __ATOMIC_RELEASE);
		page = (byte + 1) * 8;
	}
}

void
vhu_vq_ring_sizes(uint16_t size, bool packed, struct vhu_vq_sizes *out)
{
	size_t n = size;

	out->bytes[0] = n * VHU_DESC_SIZE;
	out->align[0] = 16;
	if (packed) {
		out->bytes[1] = sizeof(struct vhu_packed_event);
		out->bytes[2] = sizeof(struct vhu_packed_event);
		out->align[1] = 4;
		out->align[2] = 4;
		return;
	}
	/* flags, idx, ring[size], used_event; flags, idx, ring[size], avail_event */
	out->bytes[1] = 4 + 2 * n + 2;
	out->bytes[2] = 4 + sizeof(struct vhu_split_used_elem) * n + 2;
	out->align[1] = 2;
	out->align[2] = 4;
}

static bool
misaligned(const void *p, size_t align)
{
	return ((uintptr_t)p & (align - 1)) != 0;
}

int
vhu_vq_setup(struct vhu_vq *vq, const struct vhu_vq_layout *l, struct iovs_err *err)
{
	static const char *const part[3] = {"descriptor", "driver", "device"};
	const void *ptr[3] = {l->desc, l->avail, l->used};
	struct vhu_vq_sizes sz;
	int i;

	if (l->size == 0 || l->size > VHU_VQ_MAX_SIZE)
		return iovs_errf(err, -EINVAL, "ring size %u out of range 1..%u", l->size,
				 VHU_VQ_MAX_SIZE);
	if (!l->packed && (l->size & (l->size - 1)) != 0)
		return iovs_errf(err, -EINVAL, "split ring size %u is not a power of two", l->size);
	vhu_vq_ring_sizes(l->size, l->packed, &sz);
	for (i = 0; i < 3; i++) {
		if (ptr[i] == NULL)
			return iovs_errf(err, -EINVAL, "%s area missing", part[i]);
		if (misaligned(ptr[i], sz.align[i]))
			return iovs_errf(err, -EINVAL, "%s area %p not aligned to %zu bytes",
					 part[i], ptr[i], sz.align[i]);
	}

	if (l->iotlb != NULL && l->indirect && l->ind_bounce == NULL)
		return iovs_errf(err, -EINVAL,
				 "indirect tables through an IOTLB need a bounce buffer");

	memset(vq, 0, sizeof(*vq));
	vq->size = l->size;
	vq->packed = l->packed;
	vq->event_idx = l->event_idx;
	vq->indirect = l->indirect;
	vq->log_used = l->log_used;
	vq->used_gpa = l->used_gpa;
	vq->desc_gpa = l->desc_gpa;
	vq->iotlb = l->iotlb;
	vq->ind_bounce = l->ind_bounce;
	if (l->packed) {
		vq->pk.desc = l->desc;
		vq->pk.driver = l->avail;
		vq->pk.device = l->used;
		/* §2.8.1: both wrap counters start at 1. */
		vq->avail_wrap = true;
		vq->used_wrap = true;
		vq->signalled_used = 0x8000;
		__atomic_store_n(&vq->pk.device->flags, VHU_EVENT_F_DISABLE, __ATOMIC_RELAXED);
	} else {
		vq->split.desc = l->desc;
		vq->split.avail = l->avail;
		vq->split.used = l->used;
		__atomic_store_n(&vq->split.used->flags, VHU_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
	}
	return 0;
}

int
vhu_vq_set_base(struct vhu_vq *vq, uint32_t base)
{
	uint16_t v = (uint16_t)base;

	if (vq->packed) {
		uint16_t slot = v & 0x7fffu;

		if (slot >= vq->size)
			return -EINVAL;
		vq->last_avail_idx = slot;
		vq->last_used_idx = slot;
		vq->avail_wrap = v >> 15;
		vq->used_wrap = v >> 15;
	} else {
		vq->last_avail_idx = v;
		vq->last_used_idx = v;
	}
	vq->shadow_avail = vq->last_avail_idx;
	vq->pending_used = 0;
	vq->signalled_used = v;
	vq->signalled_valid = false;
	vq->used_since_call = 0;
	return 0;
}

uint32_t
vhu_vq_get_base(const struct vhu_vq *vq)
{
	uint32_t avail, used;

	if (!vq->packed)
		return vq->last_avail_idx;
	avail = vq->last_avail_idx | (vq->avail_wrap ? 0x8000u : 0u);
	used = vq->last_used_idx | (vq->used_wrap ? 0x8000u : 0u);
	return avail | used << 16;
}

int
vhu_vq_pop(struct vhu_vq *vq, const struct vhu_mem *mem, struct vhu_chain *c)
{
	if (vq->iotlb != NULL)
		return vq->packed ? vhu_vq_pop_layout(vq, mem, c, true, true)
				  : vhu_vq_pop_layout(vq, mem, c, false, true);
	return vq->packed ? vhu_vq_pop_layout(vq, mem, c, true, false)
			  : vhu_vq_pop_layout(vq, mem, c, false, false);
}

/* --- VIRTIO_F_ACCESS_PLATFORM: IOVA → front-end address → ours. --- */

const char *
vhu_chain_add_iova(struct vhu_chain_build *b, uint64_t iova, uint32_t len, bool write)
{
	unsigned perm = write ? IOMMU_PERM_WRITE : IOMMU_PERM_READ;

	if (b->access_fail)
		return NULL; /* the chain is only counted now */
	while (len > 0) {
		const struct vhu_mem_region *r;
		uint64_t chunk = len, uva, off;
		int rc;

		if (b->n_iov >= VHU_CHAIN_MAX_IOV) {
			b->n_iov++;
			break;
		}
		rc = iommu_as_translate(b->iotlb, iova, &chunk, perm, &uva);
		if (rc != 0) {
			b->fault_iova = iova;
			b->fault_perm = perm;
			if (rc == -ENOENT)
				return vhu_vq_iotlb_miss;
			b->access_fail = true; /* -EACCES */
			return NULL;
		}
		r = b->hint;
		if (r == NULL || uva - r->uva >= r->size) {
			r = vhu_mem_find_uva(b->mem, uva);
			if (r == NULL)
				return VHU_VQ_ERR_MEMORY;
			b->hint = r;
		}
		off = uva - r->uva;
		if (chunk > r->size - off)
			chunk = r->size - off;
		b->c->iov[b->n_iov].base = (uint8_t *)r->host + off;
		b->c->iov[b->n_iov].gpa = r->gpa + off;
		b->c->iov[b->n_iov].len = (uint32_t)chunk;
		b->n_iov++;
		if (!write)
			b->n_out = b->n_iov;
		len -= (uint32_t)chunk;
		/* A buffer past the top of the IOVA space is outside memory. */
		if (len > 0 && iova + chunk < iova)
			return VHU_VQ_ERR_MEMORY;
		iova += chunk;
	}
	return NULL;
}

const char *
vhu_indirect_table_iova(struct vhu_chain_build *b, uint64_t addr, uint32_t len,
			const uint8_t **table, uint32_t *n)
{
	uint64_t fault = 0;
	void *p = NULL;
	int rc = vhu_iotlb_to_host(b->iotlb, b->mem, addr, len, IOMMU_PERM_READ, &p, NULL, &fault);

	*table = NULL;
	*n = 0;
	if (rc == -EFAULT) {
		/* Scattered in our address space (or outside guest memory): the
		 * pieces into the bounce buffer, which holds a table of 'size'
		 * entries, the most vhu_indirect_table() lets through. */
		rc = vhu_iotlb_copy(b->iotlb, b->mem, addr, len, IOMMU_PERM_READ, b->bounce,
				    &fault);
		p = b->bounce;
	}
	if (rc == -ENOENT || rc == -EACCES) {
		b->fault_iova = fault;
		b->fault_perm = IOMMU_PERM_READ;
		if (rc == -ENOENT)
			return vhu_vq_iotlb_miss;
		b->access_fail = true;
		return NULL;
	}
	if (rc != 0)
		return VHU_VQ_ERR_IND_MEMORY;
	*table = p;
	*n = len / VHU_DESC_SIZE;
	return NULL;
}

int
vhu_iotlb_copy(const struct iommu_as *iotlb, const struct vhu_mem *mem, uint64_t iova, uint64_t len,
	       unsigned perm, void *dst, uint64_t *fault)
{
	uint64_t done = 0;

	if (len > 0 && len - 1 > UINT64_MAX - iova)
		return -EFAULT;
	while (done < len) {
		uint64_t chunk = len - done, uva;
		int rc = iommu_as_translate(iotlb, iova + done, &chunk, perm, &uva);

		if (rc != 0) {
			*fault = iova + done;
			return rc == -EACCES ? -EACCES : -ENOENT;
		}
		/* One IOTLB entry may cover several (adjacent) regions. */
		while (chunk > 0) {
			const struct vhu_mem_region *r = vhu_mem_find_uva(mem, uva);
			uint64_t off, n;

			if (r == NULL)
				return -EFAULT;
			off = uva - r->uva;
			n = chunk < r->size - off ? chunk : r->size - off;
			memcpy((uint8_t *)dst + done, (const uint8_t *)r->host + off, n);
			done += n;
			uva += n;
			chunk -= n;
		}
	}
	return 0;
}

int
vhu_iotlb_to_host(const struct iommu_as *iotlb, const struct vhu_mem *mem, uint64_t iova,
		  uint64_t len, unsigned perm, void **host, uint64_t *gpa, uint64_t *fault)
{
	const struct vhu_mem_region *r = NULL;
	uint8_t *first = NULL;
	uint64_t done = 0;

	if (len == 0)
		len = 1;
	if (len - 1 > UINT64_MAX - iova)
		return -EFAULT;
	while (done < len) {
		uint64_t chunk = len - done, uva, off;
		int rc = iommu_as_translate(iotlb, iova + done, &chunk, perm, &uva);

		if (rc != 0) {
			*fault = iova + done;
			return rc == -EACCES ? -EACCES : -ENOENT;
		}
		if (r == NULL) {
			r = vhu_mem_find_uva(mem, uva);
			if (r == NULL)
				return -EFAULT;
			first = (uint8_t *)r->host + (uva - r->uva);
			if (gpa != NULL)
				*gpa = r->gpa + (uva - r->uva);
		}
		/* Every piece must continue the first in the same region. */
		off = uva - r->uva;
		if (uva < r->uva || off >= r->size || chunk > r->size - off ||
		    (uint8_t *)r->host + off != first + done)
			return -EFAULT;
		done += chunk;
	}
	*host = first;
	return 0;
}

void
vhu_vq_unpop(struct vhu_vq *vq, const struct vhu_chain *c)
{
	if (vq->broken)
		return;
	if (!vq->packed) {
		vq->last_avail_idx--;
		return;
	}
	if (vq->last_avail_idx >= c->n_desc) {
		vq->last_avail_idx -= c->n_desc;
	} else {
		vq->last_avail_idx = (uint16_t)(vq->last_avail_idx + vq->size - c->n_desc);
		vq->avail_wrap = !vq->avail_wrap;
	}
}

void
vhu_vq_push(struct vhu_vq *vq, const struct vhu_chain *c, uint32_t len, const struct vhu_log *log)
{
	if (vq->packed)
		vhu_vq_push_layout(vq, c, len, log, true);
	else
		vhu_vq_push_layout(vq, c, len, log, false);
}

void
vhu_vq_flush(struct vhu_vq *vq, const struct vhu_log *log)
{
	if (vq->broken || vq->pending_used == 0)
		return;
	if (vq->packed)
		vhu_vq_packed_flush(vq, log);
	else
		vhu_vq_split_flush(vq, log);
}

bool
vhu_vq_need_call(struct vhu_vq *vq)
{
	uint32_t published = vq->used_since_call;

	if (vq->broken || published == 0)
		return false;
	vq->used_since_call = 0;
	/* Our used index / flags store before the driver's suppression fields
	 * ("Used Buffer Notification Suppression", §2.7; packed "Driver and Device
	 * Event Suppression", §2.8.10): a store-load order needs a full fence. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vq->packed ? vhu_vq_packed_need_call(vq, published)
			  : vhu_vq_split_need_call(vq, published);
}

uint16_t
vhu_vq_avail_count(struct vhu_vq *vq)
{
	if (vq->broken)
		return 0;
	return vq->packed ? vhu_vq_packed_avail_count(vq) : vhu_vq_split_avail_count(vq);
}
