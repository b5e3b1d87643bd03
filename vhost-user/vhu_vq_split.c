/* Split virtqueues (virtio 1.2 §2.7), device side: pop walks a chain from the
 * avail ring through the descriptor table (and at most one indirect table),
 * push/flush fill the used ring, need_call applies §2.7.10. Called through
 * vhu_vq.c; the chain builder, the single-copy reads, push and the
 * one-descriptor pop (which hands longer chains to vhu_vq_split_pop_walk()
 * here) are inline in vhu_vq_priv.h.
 * Fast path: no allocation, no logging, every walk bounded.
 */
#include <stddef.h>

#include "vhu_vq_priv.h"

/* Walks the chain whose head descriptor was copied as 'd' (pop read it).
 * Each further hop copies one descriptor (class 6) and counts against the
 * table's entry count, so a loop or an over-long chain ends after 'size' hops,
 * and after the table's count once inside an indirect table (classes 1, 2).
 * Returns NULL or why the queue must break. */
static VHU_VQ_INLINE const char *
split_walk(const struct vhu_vq *vq, struct vhu_chain_build *b, struct vhu_desc_copy d)
{
	const uint8_t *table = (const uint8_t *)vq->split.desc;
	uint32_t n = vq->size, i = 0, hops = 0;
	bool indirect = false, have = true;

	for (;;) {
		const char *why;

		if (++hops > n)
			return indirect ? VHU_VQ_ERR_IND_LOOP : VHU_VQ_ERR_LOOP;
		if (!have)
			d = vhu_split_desc_read(table + (size_t)i * VHU_DESC_SIZE);
		have = false;
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
			if (n == 0) /* an IOTLB refusal: nothing to read, the chain ends here */
				return NULL;
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

int
vhu_vq_split_pop_walk(struct vhu_vq *vq, const struct vhu_mem *mem, struct vhu_chain *c,
		      uint16_t head, struct vhu_desc_copy d)
{
	struct vhu_chain_build b;
	const char *why;

	vhu_chain_build_init(&b, vq, c, mem);
	why = split_walk(vq, &b, d);
	if (why == vhu_vq_iotlb_miss) {
		vq->fault_iova = b.fault_iova;
		vq->fault_perm = b.fault_perm;
		return -ENOENT;
	}
	if (why != NULL)
		return vhu_vq_mark_broken(vq, why);
	vhu_chain_build_keep_hint(vq, &b);
	vq->last_avail_idx++;
	c->id = head;
	c->n_desc = 1;
	return vhu_chain_build_finish(vq, &b);
}

uint16_t
vhu_vq_split_avail_count(struct vhu_vq *vq)
{
	if (!vhu_vq_split_read_avail(vq))
		return 0;
	return (uint16_t)(vq->shadow_avail - vq->last_avail_idx);
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
