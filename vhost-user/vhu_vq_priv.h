/* Inside the virtqueue code (vhu_vq.c, vhu_vq_split.c, vhu_vq_packed.c): the
 * per-layout entry points vhu_vq.c dispatches to, the single-copy descriptor
 * reads (bad-input class 6) and the chain builder that translates each
 * descriptor's buffer through the guest memory table (class 3, 4). The fast
 * paths of pop and push are inline here (end of file), for vhu_vq.c and for
 * the data path of this folder (vhu_net.c), which calls them per packet in
 * loops specialised by ring layout; they keep every rule of vhu_vq.h.
 *
 * Class 6. A descriptor is read from guest memory through volatile loads, one
 * per field group, into a local struct; every check and every use reads the
 * local. The volatile loads are what keeps the compiler from re-reading guest
 * memory in place of the copy (it may not duplicate or merge them), and they
 * are declared with alignment 1 because an indirect table may sit at any
 * address. vhu_vq_test.c counts the loads with hardware watchpoints.
 */
#ifndef VHU_VQ_PRIV_H
#define VHU_VQ_PRIV_H

#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "vhu_mem.h"
#include "vhu_vq.h"

#define VHU_VQ_INLINE	 inline __attribute__((always_inline))
#define VHU_VQ_MAX_SIZE	 32768u
#define VHU_DESC_SIZE	 16u
#define VHU_VQ_LIKELY(x) __builtin_expect(!!(x), 1)

/* Why a queue broke (vq->broken_reason). Tests match on words of these. */
#define VHU_VQ_ERR_AVAIL_JUMP	 "avail index moved by more than the ring size"
#define VHU_VQ_ERR_HEAD_RANGE	 "avail ring head index out of range"
#define VHU_VQ_ERR_LOOP		 "descriptor chain loops or is longer than the ring"
#define VHU_VQ_ERR_NEXT_RANGE	 "descriptor next index out of range"
#define VHU_VQ_ERR_IND_LOOP	 "indirect descriptor chain loops or is longer than its table"
#define VHU_VQ_ERR_IND_NEXT	 "indirect descriptor next index out of range"
#define VHU_VQ_ERR_IND_FEATURE	 "indirect descriptor but VIRTIO_F_INDIRECT_DESC not negotiated"
#define VHU_VQ_ERR_IND_WITH_NEXT "indirect descriptor with NEXT set"
#define VHU_VQ_ERR_IND_NESTED	 "indirect descriptor nested in an indirect table"
#define VHU_VQ_ERR_IND_EMPTY	 "indirect table is empty"
#define VHU_VQ_ERR_IND_LEN	 "indirect table length is not a multiple of 16"
#define VHU_VQ_ERR_IND_SIZE	 "indirect table has more entries than the ring"
#define VHU_VQ_ERR_IND_MEMORY	 "indirect table is not inside one guest memory region"
#define VHU_VQ_ERR_MEMORY	 "descriptor buffer is not inside guest memory"
#define VHU_VQ_ERR_ORDER	 "device-readable descriptor after a device-writable one"
#define VHU_VQ_ERR_TOO_LONG	 "descriptor chain holds more than 2^32 - 1 bytes"
#define VHU_VQ_ERR_PK_WRAP                                                                         \
	"packed chain runs into a descriptor that is not available (wrap counter inconsistent)"
#define VHU_VQ_ERR_PK_ID_RANGE "packed buffer id out of range"
/* Not a reason: a walk's answer that an IOVA missed in the IOTLB (the pop
 * returns -ENOENT, consuming nothing). Compared by address. */
extern const char vhu_vq_iotlb_miss[];

/* Per-layout workers (vhu_vq_split.c, vhu_vq_packed.c). vhu_vq.c checks
 * vq->broken and, for need_call, that something was published, and issues the
 * fence, before calling them. */
void vhu_vq_split_flush(struct vhu_vq *vq, const struct vhu_log *log);
bool vhu_vq_split_need_call(struct vhu_vq *vq, uint32_t published);
uint16_t vhu_vq_split_avail_count(struct vhu_vq *vq);

void vhu_vq_packed_flush(struct vhu_vq *vq, const struct vhu_log *log);
bool vhu_vq_packed_need_call(struct vhu_vq *vq, uint32_t published);
uint16_t vhu_vq_packed_avail_count(struct vhu_vq *vq);

/* Marks 'vq' broken (the first reason stays) and returns -EIO. */
static inline int
vhu_vq_mark_broken(struct vhu_vq *vq, const char *reason)
{
	if (!vq->broken) {
		vq->broken = true;
		vq->broken_reason = reason;
	}
	return -EIO;
}

/* Guest words read at any alignment, each exactly once. */
typedef uint64_t vhu_guest_u64 __attribute__((aligned(1), may_alias));
typedef uint32_t vhu_guest_u32 __attribute__((aligned(1), may_alias));
typedef uint16_t vhu_guest_u16 __attribute__((aligned(1), may_alias));

static VHU_VQ_INLINE uint64_t
vhu_guest_read64(const void *p)
{
	return *(const volatile vhu_guest_u64 *)p;
}

static VHU_VQ_INLINE uint32_t
vhu_guest_read32(const void *p)
{
	return *(const volatile vhu_guest_u32 *)p;
}

static VHU_VQ_INLINE uint16_t
vhu_guest_read16(const void *p)
{
	return *(const volatile vhu_guest_u16 *)p;
}

/* The local copy of one descriptor (class 6). */
struct vhu_desc_copy {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next; /* split only */
};

/* A split descriptor (ring or indirect table entry at 'p'): two 8-byte loads,
 * addr, then len | flags | next. */
static VHU_VQ_INLINE struct vhu_desc_copy
vhu_split_desc_read(const uint8_t *p)
{
	uint64_t w1;
	struct vhu_desc_copy d;

	d.addr = vhu_guest_read64(p);
	w1 = vhu_guest_read64(p + 8);
	d.len = (uint32_t)w1;
	d.flags = (uint16_t)(w1 >> 32);
	d.next = (uint16_t)(w1 >> 48);
	return d;
}

/* Builds one chain: appends each descriptor's buffer as iovs. */
struct vhu_chain_build {
	struct vhu_chain *c;
	const struct vhu_mem *mem;
	const struct vhu_mem_region *hint; /* the region of the last piece */
	uint32_t n_iov;			   /* pieces seen; beyond the array they are only counted */
	uint32_t n_out;			   /* device-readable pieces */
	uint64_t out_len;
	uint64_t in_len;
	bool seen_write;
	/* VIRTIO_F_ACCESS_PLATFORM: addresses are IOVAs (NULL: guest-physical).
	 * After a refused permission the rest of the chain is only counted. */
	const struct iommu_as *iotlb;
	uint8_t *bounce; /* vq->ind_bounce */
	bool access_fail;
	uint64_t fault_iova;
	unsigned fault_perm;
};

static VHU_VQ_INLINE void
vhu_chain_build_init(struct vhu_chain_build *b, const struct vhu_vq *vq, struct vhu_chain *c,
		     const struct vhu_mem *mem)
{
	b->c = c;
	b->mem = mem;
	b->hint = vq->hint_mem == mem ? vq->hint : NULL;
	b->n_iov = 0;
	b->n_out = 0;
	b->out_len = 0;
	b->in_len = 0;
	b->seen_write = false;
	b->iotlb = vq->iotlb;
	b->bounce = vq->ind_bounce;
	b->access_fail = false;
}

/* vhu_chain_add() for IOVAs (vhu_vq.c): translated through the IOTLB, then
 * the memory table by front-end address, one iov per piece. Returns NULL,
 * vhu_vq_iotlb_miss, or why the queue must break; a permission the IOTLB
 * refuses sets b->access_fail. */
const char *vhu_chain_add_iova(struct vhu_chain_build *b, uint64_t iova, uint32_t len, bool write);

/* Appends guest bytes [addr, addr + len) as one iov per region they cross.
 * Returns NULL or why the queue must break. Adjacent regions are crossed; a
 * gap, or addr + len beyond the top region (including past 2^64, which no
 * region reaches), is refused. Once the iov array is full the rest of the
 * chain is only counted (vhu_vq_pop() then returns -ENOBUFS). */
static VHU_VQ_INLINE const char *
vhu_chain_add(struct vhu_chain_build *b, uint64_t addr, uint32_t len, bool write)
{
	if (write) {
		b->seen_write = true;
		b->in_len += len;
	} else {
		if (b->seen_write)
			return VHU_VQ_ERR_ORDER;
		b->out_len += len;
	}
	if (b->iotlb != NULL)
		return vhu_chain_add_iova(b, addr, len, write);
	while (len > 0) {
		const struct vhu_mem_region *r = b->hint;
		uint64_t off, chunk;

		if (b->n_iov >= VHU_CHAIN_MAX_IOV) {
			b->n_iov++;
			break;
		}
		if (r == NULL || addr - r->gpa >= r->size) {
			r = vhu_mem_find_gpa(b->mem, addr);
			if (r == NULL)
				return VHU_VQ_ERR_MEMORY;
			b->hint = r;
		}
		off = addr - r->gpa;
		chunk = r->size - off < len ? r->size - off : len;
		b->c->iov[b->n_iov].base = (uint8_t *)r->host + off;
		b->c->iov[b->n_iov].gpa = addr;
		b->c->iov[b->n_iov].len = (uint32_t)chunk;
		b->n_iov++;
		if (!write)
			b->n_out = b->n_iov;
		/* r->gpa + r->size does not wrap (vhu_mem), so neither does this. */
		addr += chunk;
		len -= (uint32_t)chunk;
	}
	return NULL;
}

/* vhu_indirect_table() for an IOVA (vhu_vq.c): read in place when it is
 * contiguous in our address space, else from a copy in vq->ind_bounce (which the next copy overwrites: only
 * this walk reads it). A refused permission sets b->access_fail and gives an
 * empty table (the chain is consumed unused); a miss returns vhu_vq_iotlb_miss. */
const char *vhu_indirect_table_iova(struct vhu_chain_build *b, uint64_t addr, uint32_t len,
				    const uint8_t **table, uint32_t *n);

/* Validates an indirect descriptor's table (split and packed): non-empty, a
 * whole number of descriptors, at most 'size' of them, inside one region.
 * Returns NULL and sets '*table' and '*n', or why the queue must break. */
static VHU_VQ_INLINE const char *
vhu_indirect_table(struct vhu_chain_build *b, uint16_t size, uint64_t addr, uint32_t len,
		   const uint8_t **table, uint32_t *n)
{
	if (len == 0)
		return VHU_VQ_ERR_IND_EMPTY;
	if (len % VHU_DESC_SIZE != 0)
		return VHU_VQ_ERR_IND_LEN;
	if (len / VHU_DESC_SIZE > size)
		return VHU_VQ_ERR_IND_SIZE;
	if (b->iotlb != NULL)
		return vhu_indirect_table_iova(b, addr, len, table, n);
	*table = vhu_mem_gpa_to_host(b->mem, addr, len);
	if (*table == NULL)
		return VHU_VQ_ERR_IND_MEMORY;
	*n = len / VHU_DESC_SIZE;
	return NULL;
}

/* Keeps the walk's last region as the queue's hint for the next pop. */
static VHU_VQ_INLINE void
vhu_chain_build_keep_hint(struct vhu_vq *vq, const struct vhu_chain_build *b)
{
	if (b->hint != NULL) {
		vq->hint = b->hint;
		vq->hint_mem = b->mem;
	}
}

/* The fast path of a chain of one descriptor whose buffer lies inside one
 * region (the common case: one packet, one buffer): fills 'c' with its one
 * iov, using and updating the queue's region hint. Returns false, having
 * changed nothing but the hint, when the general walk must decide (len 0, a
 * buffer outside guest memory or across regions). */
static VHU_VQ_INLINE bool
vhu_chain_one(struct vhu_vq *vq, const struct vhu_mem *mem, struct vhu_chain *c, uint64_t addr,
	      uint32_t len, bool write)
{
	const struct vhu_mem_region *r = vq->hint_mem == mem ? vq->hint : NULL;
	uint64_t off;

	if (r == NULL || addr - r->gpa >= r->size) {
		r = vhu_mem_find_gpa(mem, addr);
		if (r == NULL)
			return false;
		vq->hint = r;
		vq->hint_mem = mem;
	}
	off = addr - r->gpa;
	/* Written as a subtraction: off < size, so nothing wraps. */
	if (len == 0 || len > r->size - off)
		return false;
	c->iov[0].base = (uint8_t *)r->host + off;
	c->iov[0].gpa = addr;
	c->iov[0].len = len;
	if (write) {
		c->n_out = 0;
		c->n_in = 1;
		c->out_len = 0;
		c->in_len = len;
	} else {
		c->n_out = 1;
		c->n_in = 0;
		c->out_len = len;
		c->in_len = 0;
	}
	return true;
}

/* vhu_chain_one() for an IOVA: one IOTLB entry and one region hold the whole
 * buffer with the permission it needs. Anything else (a miss, a refused
 * permission, several pieces) returns false for the general walk to decide. */
static VHU_VQ_INLINE bool
vhu_chain_one_iova(struct vhu_vq *vq, const struct vhu_mem *mem, struct vhu_chain *c, uint64_t iova,
		   uint32_t len, bool write)
{
	const struct vhu_mem_region *r = vq->hint_mem == mem ? vq->hint : NULL;
	uint64_t chunk = len, uva, off;

	if (len == 0 ||
	    iommu_as_translate(vq->iotlb, iova, &chunk, write ? IOMMU_PERM_WRITE : IOMMU_PERM_READ,
			       &uva) != 0 ||
	    chunk != len)
		return false;
	if (r == NULL || uva - r->uva >= r->size) {
		r = vhu_mem_find_uva(mem, uva);
		if (r == NULL)
			return false;
		vq->hint = r;
		vq->hint_mem = mem;
	}
	off = uva - r->uva;
	if (len > r->size - off)
		return false;
	c->iov[0].base = (uint8_t *)r->host + off;
	c->iov[0].gpa = r->gpa + off;
	c->iov[0].len = len;
	c->n_out = write ? 0 : 1;
	c->n_in = write ? 1 : 0;
	c->out_len = write ? 0 : len;
	c->in_len = write ? len : 0;
	return true;
}

/* One descriptor's buffer by guest-physical address or by IOVA ('iotlb' a
 * constant of the specialised caller). */
static VHU_VQ_INLINE bool
vhu_chain_one_any(struct vhu_vq *vq, const struct vhu_mem *mem, struct vhu_chain *c, uint64_t addr,
		  uint32_t len, bool write, const bool iotlb)
{
	return iotlb ? vhu_chain_one_iova(vq, mem, c, addr, len, write)
		     : vhu_chain_one(vq, mem, c, addr, len, write);
}

/* Fills the counts of 'c' once the walk succeeded. Returns 0, -ENOBUFS (too
 * many pieces) or -EIO (the queue broke: too many bytes). */
static VHU_VQ_INLINE int
vhu_chain_build_finish(struct vhu_vq *vq, struct vhu_chain_build *b)
{
	struct vhu_chain *c = b->c;

	/* §2.7.5: "Drivers MUST NOT add a descriptor chain longer than 2^32 bytes". */
	if (b->out_len > UINT32_MAX || b->in_len > UINT32_MAX)
		return vhu_vq_mark_broken(vq, VHU_VQ_ERR_TOO_LONG);
	c->out_len = (uint32_t)b->out_len;
	c->in_len = (uint32_t)b->in_len;
	if (b->access_fail) {
		vq->fault_iova = b->fault_iova;
		vq->fault_perm = b->fault_perm;
		c->n_out = 0;
		c->n_in = 0;
		return -EACCES;
	}
	if (b->n_iov > VHU_CHAIN_MAX_IOV) {
		c->n_out = 0;
		c->n_in = 0;
		return -ENOBUFS;
	}
	c->n_out = (uint16_t)b->n_out;
	c->n_in = (uint16_t)(b->n_iov - b->n_out);
	return 0;
}

/* --- The fast paths of pop and push, inlined into vhu_vq.c's entry points;
 * what they do not handle goes to the walks in vhu_vq_split.c and
 * vhu_vq_packed.c, which start from the copies made here. --- */

/* Reads avail->idx (acquire: the ring entries and descriptors it covers are
 * visible after it) into the shadow. Returns false when it moved by more than
 * the ring size (class 7), which breaks the queue. */
static VHU_VQ_INLINE bool
vhu_vq_split_read_avail(struct vhu_vq *vq)
{
	uint16_t idx = __atomic_load_n(&vq->split.avail->idx, __ATOMIC_ACQUIRE);

	if ((uint16_t)(idx - vq->last_avail_idx) > vq->size) {
		vhu_vq_mark_broken(vq, VHU_VQ_ERR_AVAIL_JUMP);
		return false;
	}
	vq->shadow_avail = idx;
	return true;
}

/* Walks the chain at 'head' whose head descriptor was copied as 'd', fills
 * 'c' (vhu_vq_split.c). Same returns as vhu_vq_pop(). */
int vhu_vq_split_pop_walk(struct vhu_vq *vq, const struct vhu_mem *mem, struct vhu_chain *c,
			  uint16_t head, struct vhu_desc_copy d);

static VHU_VQ_INLINE int
vhu_vq_split_pop(struct vhu_vq *vq, const struct vhu_mem *mem, struct vhu_chain *c,
		 const bool iotlb)
{
	struct vhu_desc_copy d;
	uint16_t head;

	/* avail->idx is read again only once what it announced is consumed. */
	if (vq->last_avail_idx == vq->shadow_avail) {
		if (!vhu_vq_split_read_avail(vq))
			return -EIO;
		if (vq->shadow_avail == vq->last_avail_idx)
			return -EAGAIN;
	}
	head = __atomic_load_n(&vq->split.avail->ring[vq->last_avail_idx & (vq->size - 1)],
			       __ATOMIC_RELAXED);
	if (head >= vq->size)
		return vhu_vq_mark_broken(vq, VHU_VQ_ERR_HEAD_RANGE);
	/* The head descriptor, copied once: the fast path and the walk use the copy. */
	d = vhu_split_desc_read((const uint8_t *)vq->split.desc + (size_t)head * VHU_DESC_SIZE);
	if (VHU_VQ_LIKELY(!(d.flags & (VHU_DESC_F_NEXT | VHU_DESC_F_INDIRECT))) &&
	    VHU_VQ_LIKELY(vhu_chain_one_any(vq, mem, c, d.addr, d.len, d.flags & VHU_DESC_F_WRITE,
					    iotlb))) {
		vq->last_avail_idx++;
		c->id = head;
		c->n_desc = 1;
		return 0;
	}
	return vhu_vq_split_pop_walk(vq, mem, c, head, d);
}

static VHU_VQ_INLINE void
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

/* §2.8.1: available means AVAIL matches the wrap counter and USED does not. */
static VHU_VQ_INLINE bool
vhu_packed_desc_is_avail(uint16_t flags, bool wrap)
{
	return !!(flags & VHU_DESC_F_AVAIL) == wrap && !!(flags & VHU_DESC_F_USED) != wrap;
}

static VHU_VQ_INLINE const uint8_t *
vhu_packed_slot_ptr(const struct vhu_vq *vq, uint32_t slot)
{
	return (const uint8_t *)&vq->pk.desc[slot];
}

/* The first slot of a chain as pop copied it (class 6: the walk uses the copy). */
struct vhu_packed_first {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t id; /* read only when the slot ends the chain (no NEXT) */
};

/* Walks the chain that starts at the available slot vq->last_avail_idx,
 * copied as 'first', fills 'c' (vhu_vq_packed.c). Same returns as vhu_vq_pop(). */
int vhu_vq_packed_pop_walk(struct vhu_vq *vq, const struct vhu_mem *mem, struct vhu_chain *c,
			   const struct vhu_packed_first *first);

static VHU_VQ_INLINE int
vhu_vq_packed_pop(struct vhu_vq *vq, const struct vhu_mem *mem, struct vhu_chain *c,
		  const bool iotlb)
{
	const uint8_t *p = vhu_packed_slot_ptr(vq, vq->last_avail_idx);
	struct vhu_packed_first first;

	/* Acquire: the descriptor and the rest of its list are visible after it. */
	first.flags = __atomic_load_n(&vq->pk.desc[vq->last_avail_idx].flags, __ATOMIC_ACQUIRE);
	if (!vhu_packed_desc_is_avail(first.flags, vq->avail_wrap))
		return -EAGAIN;
	first.addr = vhu_guest_read64(p);
	first.len = vhu_guest_read32(p + offsetof(struct vhu_packed_desc, len));
	/* §2.8.6: the buffer id is in the last descriptor. */
	first.id = first.flags & VHU_DESC_F_NEXT
			   ? 0
			   : vhu_guest_read16(p + offsetof(struct vhu_packed_desc, id));
	/* One descriptor, one buffer: the common case. */
	if (VHU_VQ_LIKELY(!(first.flags & (VHU_DESC_F_NEXT | VHU_DESC_F_INDIRECT))) &&
	    VHU_VQ_LIKELY(first.id < vq->size) &&
	    VHU_VQ_LIKELY(vhu_chain_one_any(vq, mem, c, first.addr, first.len,
					    first.flags & VHU_DESC_F_WRITE, iotlb))) {
		if (++vq->last_avail_idx == vq->size) {
			vq->last_avail_idx = 0;
			vq->avail_wrap = !vq->avail_wrap;
		}
		c->id = first.id;
		c->n_desc = 1;
		return 0;
	}
	return vhu_vq_packed_pop_walk(vq, mem, c, &first);
}

static VHU_VQ_INLINE void
vhu_packed_log_desc(const struct vhu_vq *vq, const struct vhu_log *log, uint32_t slot, size_t off,
		    size_t len)
{
	if (vq->log_used && log != NULL)
		vhu_log_write(log, vq->desc_gpa + (uint64_t)slot * VHU_DESC_SIZE + off, len);
}

static VHU_VQ_INLINE void
vhu_vq_packed_push(struct vhu_vq *vq, const struct vhu_chain *c, uint32_t len,
		   const struct vhu_log *log)
{
	uint32_t slot = vq->last_used_idx, next = slot + c->n_desc;
	struct vhu_packed_desc *d = &vq->pk.desc[slot];
	uint16_t flags = vq->used_wrap ? VHU_DESC_F_AVAIL | VHU_DESC_F_USED : 0;

	if (len > 0)
		flags |= VHU_DESC_F_WRITE;
	d->id = c->id;
	d->len = len;
	if (vq->pending_used == 0) {
		/* The batch's first flags go out last, in flush. */
		vq->batch_head = (uint16_t)slot;
		vq->batch_head_flags = flags;
		vhu_packed_log_desc(vq, log, slot, offsetof(struct vhu_packed_desc, len), 6);
	} else {
		/* The driver looks here only after seeing the head used. */
		__atomic_store_n(&d->flags, flags, __ATOMIC_RELAXED);
		vhu_packed_log_desc(vq, log, slot, offsetof(struct vhu_packed_desc, len), 8);
	}
	if (next >= vq->size) {
		next -= vq->size;
		vq->used_wrap = !vq->used_wrap;
	}
	vq->last_used_idx = (uint16_t)next;
	vq->pending_used++;
}

/* vhu_vq_pop() and vhu_vq_push() for a queue whose layout the caller knows
 * ('packed' a constant, and 'iotlb': whether vq->iotlb is set): inline for the
 * data path of this folder (vhu_net.c), which calls them once per packet in a
 * loop specialised by layout and translation. */
static VHU_VQ_INLINE int
vhu_vq_pop_layout(struct vhu_vq *vq, const struct vhu_mem *mem, struct vhu_chain *c,
		  const bool packed, const bool iotlb)
{
	if (vq->broken)
		return -EIO;
	return packed ? vhu_vq_packed_pop(vq, mem, c, iotlb) : vhu_vq_split_pop(vq, mem, c, iotlb);
}

static VHU_VQ_INLINE void
vhu_vq_push_layout(struct vhu_vq *vq, const struct vhu_chain *c, uint32_t len,
		   const struct vhu_log *log, const bool packed)
{
	if (vq->broken)
		return;
	if (packed)
		vhu_vq_packed_push(vq, c, len, log);
	else
		vhu_vq_split_push(vq, c, len, log);
}

#endif
