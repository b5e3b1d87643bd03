/* Inside the virtqueue code (vhu_vq.c, vhu_vq_split.c, vhu_vq_packed.c): the
 * per-layout entry points vhu_vq.c dispatches to, the single-copy descriptor
 * reads (bad-input class 6) and the chain builder that translates each
 * descriptor's buffer through the guest memory table (class 3, 4).
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

/* Per-layout workers (vhu_vq_split.c, vhu_vq_packed.c). vhu_vq.c checks
 * vq->broken and, for need_call, that something was published, and issues the
 * fence, before calling them. */
int vhu_vq_split_pop(struct vhu_vq *vq, const struct vhu_mem *mem, struct vhu_chain *c);
void vhu_vq_split_push(struct vhu_vq *vq, const struct vhu_chain *c, uint32_t len,
		       const struct vhu_log *log);
void vhu_vq_split_flush(struct vhu_vq *vq, const struct vhu_log *log);
bool vhu_vq_split_need_call(struct vhu_vq *vq, uint32_t published);
uint16_t vhu_vq_split_avail_count(struct vhu_vq *vq);

int vhu_vq_packed_pop(struct vhu_vq *vq, const struct vhu_mem *mem, struct vhu_chain *c);
void vhu_vq_packed_push(struct vhu_vq *vq, const struct vhu_chain *c, uint32_t len,
			const struct vhu_log *log);
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
};

static VHU_VQ_INLINE void
vhu_chain_build_init(struct vhu_chain_build *b, struct vhu_chain *c, const struct vhu_mem *mem)
{
	b->c = c;
	b->mem = mem;
	b->hint = NULL;
	b->n_iov = 0;
	b->n_out = 0;
	b->out_len = 0;
	b->in_len = 0;
	b->seen_write = false;
}

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

/* Validates an indirect descriptor's table (split and packed): non-empty, a
 * whole number of descriptors, at most 'size' of them, inside one region.
 * Returns NULL and sets '*table' and '*n', or why the queue must break. */
static VHU_VQ_INLINE const char *
vhu_indirect_table(const struct vhu_chain_build *b, uint16_t size, uint64_t addr, uint32_t len,
		   const uint8_t **table, uint32_t *n)
{
	if (len == 0)
		return VHU_VQ_ERR_IND_EMPTY;
	if (len % VHU_DESC_SIZE != 0)
		return VHU_VQ_ERR_IND_LEN;
	if (len / VHU_DESC_SIZE > size)
		return VHU_VQ_ERR_IND_SIZE;
	*table = vhu_mem_gpa_to_host(b->mem, addr, len);
	if (*table == NULL)
		return VHU_VQ_ERR_IND_MEMORY;
	*n = len / VHU_DESC_SIZE;
	return NULL;
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
	if (b->n_iov > VHU_CHAIN_MAX_IOV) {
		c->n_out = 0;
		c->n_in = 0;
		return -ENOBUFS;
	}
	c->n_out = (uint16_t)b->n_out;
	c->n_in = (uint16_t)(b->n_iov - b->n_out);
	return 0;
}

#endif
