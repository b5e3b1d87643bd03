/* Packed virtqueues (virtio 1.2 §2.8), device side: pop takes a chain of
 * consecutive ring slots (or one indirect table), push writes one used
 * descriptor per chain at the used slot, flush publishes a batch by writing
 * its first descriptor's flags last, need_call applies the driver event
 * suppression structure. Called through vhu_vq.c; the chain builder, the
 * single-copy reads, push and the one-descriptor pop (which hands longer
 * chains to vhu_vq_packed_pop_walk() here) are inline in vhu_vq_priv.h.
 */
#include <stddef.h>

#include "vhu_vq_priv.h"

/* An indirect table's entries, in order; every flag but WRITE is reserved and
 * ignored, and so is the id (§2.8.7). Each entry is copied once (class 6). */
static VHU_VQ_INLINE const char *
packed_indirect(const struct vhu_vq *vq, struct vhu_chain_build *b, uint64_t addr, uint32_t len)
{
	const uint8_t *table;
	const char *why;
	uint32_t n, i;

	why = vhu_indirect_table(b, vq->size, addr, len, &table, &n);
	for (i = 0; why == NULL && i < n; i++) {
		const uint8_t *p = table + (size_t)i * VHU_DESC_SIZE;
		uint64_t a = vhu_guest_read64(p);
		uint32_t l = vhu_guest_read32(p + offsetof(struct vhu_packed_desc, len));
		uint16_t f = vhu_guest_read16(p + offsetof(struct vhu_packed_desc, flags));

		why = vhu_chain_add(b, a, l, f & VHU_DESC_F_WRITE);
	}
	return why;
}

/* Walks the chain that starts at the (available) slot vq->last_avail_idx,
 * copied as 'first'. Each later slot must be available for the wrap counter in
 * force there: the driver writes the whole list before the first flags
 * (§2.8.6). At most 'size' slots (class 1): a descriptor that would continue
 * past them breaks the queue before any slot is read twice. On success sets
 * the id, the slot count and the next slot and wrap. */
static VHU_VQ_INLINE const char *
packed_walk(const struct vhu_vq *vq, struct vhu_chain_build *b,
	    const struct vhu_packed_first *first, uint16_t *id, uint16_t *n_desc, uint16_t *next,
	    bool *next_wrap)
{
	uint32_t slot = vq->last_avail_idx, n = 0;
	bool wrap = vq->avail_wrap;
	uint16_t flags = first->flags;

	for (;;) {
		const uint8_t *p = vhu_packed_slot_ptr(vq, slot);
		uint64_t addr;
		uint32_t len;
		const char *why;

		if (n++ == 0) {
			addr = first->addr;
			len = first->len;
		} else {
			addr = vhu_guest_read64(p);
			len = vhu_guest_read32(p + offsetof(struct vhu_packed_desc, len));
		}
		if (flags & VHU_DESC_F_INDIRECT) {
			if (!vq->indirect)
				return VHU_VQ_ERR_IND_FEATURE;
			if (flags & VHU_DESC_F_NEXT)
				return VHU_VQ_ERR_IND_WITH_NEXT;
			why = packed_indirect(vq, b, addr, len);
		} else {
			why = vhu_chain_add(b, addr, len, flags & VHU_DESC_F_WRITE);
		}
		if (why != NULL)
			return why;
		/* A list covering the whole ring must end there (§2.8 "Scatter-Gather
		 * Support": no list is longer than the Queue Size). */
		if ((flags & VHU_DESC_F_NEXT) && n == vq->size)
			return VHU_VQ_ERR_LOOP;
		if (++slot == vq->size) {
			slot = 0;
			wrap = !wrap;
		}
		if (!(flags & VHU_DESC_F_NEXT)) {
			*id = n == 1 ? first->id
				     : vhu_guest_read16(p + offsetof(struct vhu_packed_desc, id));
			break;
		}
		flags = __atomic_load_n(&vq->pk.desc[slot].flags, __ATOMIC_ACQUIRE);
		if (!vhu_packed_desc_is_avail(flags, wrap))
			return VHU_VQ_ERR_PK_WRAP;
	}
	if (*id >= vq->size)
		return VHU_VQ_ERR_PK_ID_RANGE;
	*n_desc = (uint16_t)n;
	*next = (uint16_t)slot;
	*next_wrap = wrap;
	return NULL;
}

int
vhu_vq_packed_pop_walk(struct vhu_vq *vq, const struct vhu_mem *mem, struct vhu_chain *c,
		       const struct vhu_packed_first *first)
{
	struct vhu_chain_build b;
	uint16_t id = 0, n_desc = 0, next = 0;
	bool next_wrap = false;
	const char *why;

	vhu_chain_build_init(&b, vq, c, mem);
	why = packed_walk(vq, &b, first, &id, &n_desc, &next, &next_wrap);
	if (why == vhu_vq_iotlb_miss) {
		vq->fault_iova = b.fault_iova;
		vq->fault_perm = b.fault_perm;
		return -ENOENT;
	}
	if (why != NULL)
		return vhu_vq_mark_broken(vq, why);
	vhu_chain_build_keep_hint(vq, &b);
	vq->last_avail_idx = next;
	vq->avail_wrap = next_wrap;
	c->id = id;
	c->n_desc = n_desc;
	return vhu_chain_build_finish(vq, &b);
}

uint16_t
vhu_vq_packed_avail_count(struct vhu_vq *vq)
{
	uint16_t flags = __atomic_load_n(&vq->pk.desc[vq->last_avail_idx].flags, __ATOMIC_ACQUIRE);

	return vhu_packed_desc_is_avail(flags, vq->avail_wrap) ? 1 : 0;
}

/* Position of a slot | wrap << 15 value on the 2 x size cycle of used slots. */
static VHU_VQ_INLINE uint32_t
cycle_pos(const struct vhu_vq *vq, uint16_t slot_wrap)
{
	return (slot_wrap & 0x7fffu) + (slot_wrap & 0x8000u ? vq->size : 0u);
}

/* Slots from 'from' forward to 'to' on that cycle, in [0, 2 x size). */
static VHU_VQ_INLINE uint32_t
cycle_dist(const struct vhu_vq *vq, uint16_t from, uint16_t to)
{
	uint32_t cycle = 2u * vq->size;

	return (cycle_pos(vq, to) + cycle - cycle_pos(vq, from)) % cycle;
}

static VHU_VQ_INLINE uint16_t
used_pos(const struct vhu_vq *vq)
{
	return (uint16_t)(vq->last_used_idx | (vq->used_wrap ? 0x8000u : 0u));
}

void
vhu_vq_packed_flush(struct vhu_vq *vq, const struct vhu_log *log)
{
	uint16_t head = (uint16_t)(vq->batch_head |
				   (vq->batch_head_flags & VHU_DESC_F_USED ? 0x8000u : 0u));
	uint32_t slots = cycle_dist(vq, head, used_pos(vq));
	uint32_t n = vq->used_since_call + (slots != 0 ? slots : 2u * vq->size);

	__atomic_store_n(&vq->pk.desc[vq->batch_head].flags, vq->batch_head_flags,
			 __ATOMIC_RELEASE);
	vhu_packed_log_desc(vq, log, vq->batch_head, offsetof(struct vhu_packed_desc, flags), 2);
	vq->used_since_call = n < vq->used_since_call ? UINT32_MAX : n;
	vq->pending_used = 0;
}

/* §2.8.10: DESC asks for a call when the device writes a used descriptor at
 * off_wrap; that happened if it lies among the slots published since the last
 * check, [old, new) on the 2 x size cycle. */
bool
vhu_vq_packed_need_call(struct vhu_vq *vq, uint32_t published)
{
	uint16_t old = vq->signalled_used, new = used_pos(vq), flags, event;
	bool valid = vq->signalled_valid && published < 2u * vq->size;

	vq->signalled_used = new;
	vq->signalled_valid = true;
	flags = __atomic_load_n(&vq->pk.driver->flags, __ATOMIC_RELAXED) & 3u;
	if (flags == VHU_EVENT_F_DISABLE)
		return false;
	/* ENABLE, the reserved value 3, or DESC without EVENT_IDX: call. */
	if (flags != VHU_EVENT_F_DESC || !vq->event_idx || !valid)
		return true;
	event = __atomic_load_n(&vq->pk.driver->off_wrap, __ATOMIC_RELAXED);
	if ((event & 0x7fffu) >= vq->size)
		return true; /* a nonsense offset: a spurious call is harmless */
	return cycle_dist(vq, old, event) < cycle_dist(vq, old, new);
}
