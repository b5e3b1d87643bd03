/* Split virtqueues (virtio 1.2 §2.7), device side: pop walks a chain from the
 * avail ring through the descriptor table (and at most one indirect table),
 * push/flush fill the used ring, need_call applies §2.7.10. Called through
 * vhu_vq.c; the chain builder and single-copy reads are in vhu_vq_priv.h.
 * Fast path: no allocation, no logging, every walk bounded.
 */
#include <stddef.h>

#include "vhu_vq_priv.h"

/* Walks the chain at 'head'. Each hop copies one descriptor (class 6) and
 * counts against the table's entry count, so a loop or an over-long chain ends
 * after 'size' hops, and after the table's count once inside an indirect table
 * (classes 1, 2). Returns NULL or why the queue must break. */
static VHU_VQ_INLINE const char *
split_walk(const struct vhu_vq *vq, struct vhu_chain_build *b, uint16_t head)
{
	const uint8_t *table = (const uint8_t *)vq->split.desc;
	uint32_t n = vq->size, i = head, hops = 0;
	bool indirect = false;

	for (;;) {
		struct vhu_desc_copy d;
		const char *why;

		if (++hops > n)
			return indirect ? VHU_VQ_ERR_IND_LOOP : VHU_VQ_ERR_LOOP;
		d = vhu_split_desc_read(table + (size_t)i * VHU_DESC_SIZE);
		if (d.flags & VHU_DESC_F_INDIRECT) {
			/* §2.7.5.3: one table per chain, as its last element. */
			if (indirect)
				return VHU_VQ_ERR_IND_NESTED;
			if (!vq->indirect)
				return VHU_VQ_ERR_IND_FEATURE;
			if (d.flags & VHU_DESC_F_NEXT)
				return VHU_VQ_ERR_IND_WITH_NEXT;
			why = vhu_indirect_table(b, vq->size, d.addr, d.len, &table, &n);
			if (why != NULL)
				return why;
			indirect = true;
			i = 0;
			hops = 0;
			continue;
		}
		why = vhu_chain_add(b, d.addr, d.len, d.flags & VHU_DESC_F_WRITE);
		if (why != NULL)
			return why;
		if (!(d.flags & VHU_DESC_F_NEXT))
			return NULL;
		i = d.next;
		if (i >= n)
			return indirect ? VHU_VQ_ERR_IND_NEXT : VHU_VQ_ERR_NEXT_RANGE;
	}
}

/* Reads avail->idx (acquire: the ring entries and descriptors it covers are
 * visible after it) into the shadow. Returns false when it moved by more than
 * the ring size (class 7), which breaks the queue. */
static VHU_VQ_INLINE bool
split_read_avail(struct vhu_vq *vq)
{
	uint16_t idx = __atomic_load_n(&vq->split.avail->idx, __ATOMIC_ACQUIRE);

	if ((uint16_t)(idx - vq->last_avail_idx) > vq->size) {
		vhu_vq_mark_broken(vq, VHU_VQ_ERR_AVAIL_JUMP);
		return false;
	}
	vq->shadow_avail = idx;
	return true;
}

int
vhu_vq_split_pop(struct vhu_vq *vq, const struct vhu_mem *mem, struct vhu_chain *c)
{
	struct vhu_chain_build b;
	const char *why;
	uint16_t head;

	/* avail->idx is read again only once what it announced is consumed. */
	if (vq->last_avail_idx == vq->shadow_avail) {
		if (!split_read_avail(vq))
			return -EIO;
		if (vq->shadow_avail == vq->last_avail_idx)
			return -EAGAIN;
	}
	head = __atomic_load_n(&vq->split.avail->ring[vq->last_avail_idx & (vq->size - 1)],
			       __ATOMIC_RELAXED);
	if (head >= vq->size)
		return vhu_vq_mark_broken(vq, VHU_VQ_ERR_HEAD_RANGE);
	vhu_chain_build_init(&b, c, mem);
	why = split_walk(vq, &b, head);
	if (why != NULL)
		return vhu_vq_mark_broken(vq, why);
	vq->last_avail_idx++;
	c->id = head;
	c->n_desc = 1;
	return vhu_chain_build_finish(vq, &b);
}

uint16_t
vhu_vq_split_avail_count(struct vhu_vq *vq)
{
	if (!split_read_avail(vq))
		return 0;
	return (uint16_t)(vq->shadow_avail - vq->last_avail_idx);
}

void
vhu_vq_split_push(struct vhu_vq *vq, const struct vhu_chain *c, uint32_t len,
		  const struct vhu_log *log)
{
	uint16_t slot = vq->last_used_idx & (vq->size - 1);
	struct vhu_split_used_elem *e = &vq->split.used->ring[slot];

	/* Plain stores: the driver reads them only after flush's release store. */
	e->id = c->id;
	e->len = len;
	if (vq->log_used && log != NULL)
		vhu_log_write(log,
			      vq->used_gpa + offsetof(struct vhu_split_used, ring) +
				      (uint64_t)slot * sizeof(*e),
			      sizeof(*e));
	vq->last_used_idx++;
	vq->pending_used++;
}

void
vhu_vq_split_flush(struct vhu_vq *vq, const struct vhu_log *log)
{
	uint32_t n = vq->used_since_call + vq->pending_used;

	__atomic_store_n(&vq->split.used->idx, vq->last_used_idx, __ATOMIC_RELEASE);
	if (vq->log_used && log != NULL)
		vhu_log_write(log, vq->used_gpa + offsetof(struct vhu_split_used, idx),
			      sizeof(uint16_t));
	vq->used_since_call = n < vq->used_since_call ? UINT32_MAX : n;
	vq->pending_used = 0;
}

/* §2.7.10: with EVENT_IDX, call if the driver's used_event lies among the
 * entries published since the last check, [old, new); vring_need_event's
 * formula in modulo-2^16 arithmetic. */
bool
vhu_vq_split_need_call(struct vhu_vq *vq, uint32_t published)
{
	uint16_t old = vq->signalled_used, new = vq->last_used_idx, event;
	bool valid = vq->signalled_valid && published <= UINT16_MAX;

	vq->signalled_used = new;
	vq->signalled_valid = true;
	if (!vq->event_idx)
		return !(__atomic_load_n(&vq->split.avail->flags, __ATOMIC_RELAXED) &
			 VHU_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	event = __atomic_load_n(&vq->split.avail->ring[vq->size], __ATOMIC_RELAXED);
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}
