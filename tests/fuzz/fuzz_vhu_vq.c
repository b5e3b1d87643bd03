/* libFuzzer target: the virtqueues (vhost-user/vhu_vq*.c) over fake guest
 * memory. The input lays out one split or packed queue in guest memory of one
 * or two regions (adjacent, or with a hole between), then drives the device
 * side with a script of pops, pushes, flushes, unpops, notification checks,
 * guest writes, dirty-log writes and SET_VRING_BASE. Mappings are malloc'd
 * buffers of exactly the mapped length and the descriptor ring ends where
 * region A ends, so ASan sees any access outside guest memory.
 *
 * Besides "never crashes", checks:
 *  - P3: every iov lies inside one region and is the table's translation of
 *    its gpa; its first and last bytes can be read, and written when the
 *    device may write them; the counts and lengths of a chain add up;
 *  - P2: without the guest writing anything, the device consumes at most
 *    'size' ring slots (packed) or 2 x 'size' avail entries (split: those its
 *    shadow index still announced, then one more read of avail->idx), net of
 *    unpops: polling an idle ring finds nothing after a bounded number of pops;
 *  - a broken queue stays broken (pop -EIO) with a reason, until set up again;
 *  - with an IOTLB (VIRTIO_F_ACCESS_PLATFORM, cfg bit 7; descriptor addresses
 *    are IOVAs): every iov lies inside one IOTLB entry's target that grants
 *    the access (read for out, write for in); an indirect table scattered
 *    over IOVA pages is read through the bounce buffer; a miss (-ENOENT) names an IOVA
 *    the IOTLB does not map, consumes nothing and is answered the same way
 *    by the next pop; a refusal (-EACCES) names an IOVA mapped without the
 *    permission and consumes the chain.
 *
 * Layout (little-endian; missing bytes end the input):
 *   u8  cfg     bit 0 packed, 1 event_idx, 2 indirect, 3 region B exists,
 *               4 B adjacent to A (else after a hole), 5 log_used, 6 set_base,
 *               7 IOTLB: then u8 n, and n entries as op 11's operands
 *   u8  size    split 1 << (size % 9), packed 1 + size: 1..256 entries
 *   u16 base    given to vhu_vq_set_base() when cfg bit 6
 *   u16 n_img   then n_img bytes of guest image, copied in this order into
 *               the descriptor ring, the avail ring / driver event area, the
 *               used ring / device event area, and the data area at gpa 0x1000
 *   script      u8 op, then the op's operands (see run_script())
 *
 * Region A: gpa [0, 0x4000): avail/driver area at 0, used/device area at
 * 0x400, data from 0x1000, descriptor ring at the end. Region B: 8 KiB at
 * 0x4000 or 0x8000. IOTLB entries map IOVA pages 0..255 (4 KiB) to pages of
 * either region's front-end addresses, some past its end. The ring areas are
 * given to vhu_vq_setup() as pointers (the device translates them before).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommu.h"
#include "vhu_mem.h"
#include "vhu_vq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define A_SIZE	   0x4000u
#define B_SIZE	   0x2000u
#define USED_OFF   0x400u
#define DATA_OFF   0x1000u
#define FILE_SIZE  0x10000u
#define LOG_BYTES  2u /* 16 pages: covers A and B; the rest is clipped */
#define MAX_MAPS   2
#define MAX_FLIGHT 1024
#define A_UVA	   UINT64_C(0x7f0000000000)
#define B_UVA	   UINT64_C(0x7f1000000000)
#define PAGE	   0x1000u

struct input {
	const uint8_t *p;
	size_t left;
};

static bool
take(struct input *in, void *dst, size_t n)
{
	if (in->left < n)
		return false;
	memcpy(dst, in->p, n);
	in->p += n;
	in->left -= n;
	return true;
}

static struct {
	uint8_t *base;
	size_t len;
} maps[MAX_MAPS];
static unsigned n_maps;

static void *
fake_map(int fd, size_t len, off_t off)
{
	uint8_t *p;

	(void)fd;
	(void)off;
	if (n_maps == MAX_MAPS || len == 0 || len > FILE_SIZE)
		__builtin_trap();
	p = calloc(1, len);
	if (p == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	maps[n_maps].base = p;
	maps[n_maps].len = len;
	n_maps++;
	return p;
}

static void
fake_unmap(void *addr, size_t len)
{
	unsigned i;

	for (i = 0; i < n_maps; i++)
		if (maps[i].base == addr && maps[i].len == len)
			break;
	if (i == n_maps)
		__builtin_trap();
	free(addr);
	maps[i] = maps[--n_maps];
}

static const struct vhu_mem_ops fake_ops = {.map = fake_map, .unmap = fake_unmap};

static bool
in_one_map(const uint8_t *p, uint64_t len)
{
	unsigned i;

	for (i = 0; i < n_maps; i++) {
		const uint8_t *b = maps[i].base;

		if (p >= b && p < b + maps[i].len && len <= (uint64_t)(b + maps[i].len - p))
			return true;
	}
	return false;
}

/* One popped chain the script has not pushed or unpopped yet. */
struct flight {
	struct vhu_chain c;
	uint32_t in_len;
};

struct run {
	struct vhu_mem *mem;
	struct vhu_vq vq;
	struct vhu_vq_layout l;
	struct vhu_log log;
	struct iommu_as *iotlb; /* cfg bit 7, else NULL */
	uint8_t *a;		/* our address of region A */
	struct flight *fl;
	unsigned head, n_fl; /* FIFO of chains in flight */
	int32_t consumed;    /* entries or slots, net of unpops, since the guest last wrote */
};

/* An IOTLB entry covering front-end bytes [uva, uva + len) with 'perm'. */
struct covered {
	uint64_t uva, len;
	unsigned perm;
};

static int
covers(const struct iommu_mapping *m, void *arg)
{
	const struct covered *c = arg;

	return (m->perm & c->perm) == c->perm && c->uva >= m->target &&
	       c->uva - m->target < m->size && c->len <= m->size - (c->uva - m->target);
}

/* P3 and the bookkeeping of one popped chain. */
static void
check_chain(const struct run *r, const struct vhu_chain *c, int rc)
{
	uint64_t out = 0, in = 0;
	unsigned i;

	if (c->id >= r->vq.size || c->n_desc == 0 || c->n_desc > r->vq.size ||
	    (!r->vq.packed && c->n_desc != 1))
		__builtin_trap();
	if (rc == -ENOBUFS || rc == -EACCES)
		return;
	if ((unsigned)c->n_out + c->n_in > VHU_CHAIN_MAX_IOV)
		__builtin_trap();
	for (i = 0; i < (unsigned)c->n_out + c->n_in; i++) {
		const struct vhu_iov *v = &c->iov[i];
		const struct vhu_mem_region *reg = vhu_mem_find_gpa(r->mem, v->gpa);
		volatile uint8_t *p = v->base;

		if (v->len == 0 || reg == NULL || v->len > reg->size - (v->gpa - reg->gpa) ||
		    v->base != (uint8_t *)reg->host + (v->gpa - reg->gpa) ||
		    !in_one_map(v->base, v->len))
			__builtin_trap();
		if (r->iotlb != NULL) {
			struct covered cv = {reg->uva + (v->gpa - reg->gpa), v->len,
					     i >= c->n_out ? IOMMU_PERM_WRITE : IOMMU_PERM_READ};

			if (iommu_as_foreach(r->iotlb, covers, &cv) == 0)
				__builtin_trap();
		}
		(void)p[0];
		(void)p[v->len - 1];
		if (i >= c->n_out) {
			p[0] = p[0];
			p[v->len - 1] = p[v->len - 1];
			in += v->len;
		} else {
			out += v->len;
		}
	}
	if (out != c->out_len || in != c->in_len)
		__builtin_trap();
}

/* A miss or a refusal names the IOVA and permission at fault; a miss consumes
 * nothing (the next pop misses the same way). */
static void
check_fault(struct run *r, int rc)
{
	uint64_t len = 1, uva, iova = r->vq.fault_iova;
	unsigned perm = r->vq.fault_perm;
	uint32_t base = vhu_vq_get_base(&r->vq);
	struct vhu_chain c;

	if ((perm != IOMMU_PERM_READ && perm != IOMMU_PERM_WRITE) ||
	    iommu_as_translate(r->iotlb, iova, &len, perm, &uva) != rc)
		__builtin_trap();
	if (rc == -ENOENT &&
	    (vhu_vq_pop(&r->vq, r->mem, &c) != -ENOENT || r->vq.fault_iova != iova ||
	     r->vq.fault_perm != perm || vhu_vq_get_base(&r->vq) != base))
		__builtin_trap();
}

static void
do_pop(struct run *r)
{
	struct flight *f;
	bool was_broken = r->vq.broken;
	int rc;

	if (r->n_fl == MAX_FLIGHT)
		return;
	f = &r->fl[(r->head + r->n_fl) % MAX_FLIGHT];
	rc = vhu_vq_pop(&r->vq, r->mem, &f->c);
	if (was_broken && rc != -EIO)
		__builtin_trap();
	if (rc == -EIO && (!r->vq.broken || r->vq.broken_reason == NULL))
		__builtin_trap();
	if (rc != 0 && rc != -ENOBUFS && rc != -EAGAIN && rc != -EIO &&
	    (r->iotlb == NULL || (rc != -ENOENT && rc != -EACCES)))
		__builtin_trap();
	if (rc == -ENOENT || rc == -EACCES)
		check_fault(r, rc);
	if (rc != 0 && rc != -ENOBUFS && rc != -EACCES)
		return;
	check_chain(r, &f->c, rc);
	f->in_len = rc == 0 ? f->c.in_len : 0;
	r->n_fl++;
	r->consumed += r->vq.packed ? f->c.n_desc : 1;
	/* Packed: the slots marked available for the wrap counters ahead. Split:
	 * what the shadow index still announced, plus one more avail->idx read
	 * (each at most 'size' ahead of where the device was). */
	if (r->consumed > (r->vq.packed ? 1 : 2) * (int32_t)r->vq.size)
		__builtin_trap();
}

static void
do_push(struct run *r, uint16_t len)
{
	struct flight *f;

	if (r->n_fl == 0)
		return;
	f = &r->fl[r->head];
	r->head = (r->head + 1) % MAX_FLIGHT;
	r->n_fl--;
	vhu_vq_push(&r->vq, &f->c, (uint32_t)(len % ((uint64_t)f->in_len + 1)), &r->log);
}

static void
do_unpop(struct run *r)
{
	struct flight *f;

	if (r->n_fl == 0)
		return;
	r->n_fl--;
	f = &r->fl[(r->head + r->n_fl) % MAX_FLIGHT];
	vhu_vq_unpop(&r->vq, &f->c);
	if (!r->vq.broken)
		r->consumed -= r->vq.packed ? f->c.n_desc : 1;
}

/* Ops: 0 pop, 1 push u16 len, 2 flush, 3 need_call, 4 unpop, 5 avail_count,
 * 6 guest write u16 off, u8 n, n bytes (region A), 7 log write u32 gpa,
 * u32 len, 8 set_base u32 (only with nothing in flight), 9 setup again, 10
 * pop until empty (at most 2 x size + 1 pops), with an IOTLB 11 update
 * (iotlb_update()'s operands) and 12 invalidate u8 page, u8 pages. */
/* u8 IOVA page, u8 target (bit 7: region B, else A; then the page from the
 * region's start, up to 7: some lie past its end), u8 pages - 1 (0..3), u8
 * perm (1..3). */
static void
iotlb_update(struct run *r, struct input *in)
{
	uint8_t op[4] = {0, 0, 0, 0};

	take(in, op, sizeof(op));
	(void)iommu_as_replace(r->iotlb, (uint64_t)op[0] * PAGE, (uint64_t)(1 + op[2] % 4) * PAGE,
			       ((op[1] & 0x80) ? B_UVA : A_UVA) + (uint64_t)(op[1] % 8) * PAGE,
			       1 + op[3] % 3);
}

static void
run_script(struct run *r, struct input *in)
{
	uint8_t op;

	while (take(in, &op, 1)) {
		switch (op % 13) {
		case 0:
			do_pop(r);
			break;
		case 1: {
			uint16_t len = 0;

			take(in, &len, 2);
			do_push(r, len);
			break;
		}
		case 2:
			vhu_vq_flush(&r->vq, &r->log);
			break;
		case 3:
			(void)vhu_vq_need_call(&r->vq);
			break;
		case 4:
			do_unpop(r);
			break;
		case 5:
			if (vhu_vq_avail_count(&r->vq) > r->vq.size)
				__builtin_trap();
			break;
		case 6: {
			uint16_t off = 0;
			uint8_t n = 0, b[255];

			take(in, &off, 2);
			take(in, &n, 1);
			if (!take(in, b, n))
				return;
			off %= A_SIZE;
			if (n > A_SIZE - off)
				n = (uint8_t)(A_SIZE - off);
			memcpy(r->a + off, b, n);
			r->consumed = 0;
			break;
		}
		case 7: {
			uint32_t gpa = 0, len = 0;

			take(in, &gpa, 4);
			take(in, &len, 4);
			vhu_log_write(&r->log, gpa, len);
			break;
		}
		case 8: {
			uint32_t base = 0;

			take(in, &base, 4);
			if (r->n_fl == 0 && r->vq.pending_used == 0 &&
			    vhu_vq_set_base(&r->vq, base) == 0) {
				if ((vhu_vq_get_base(&r->vq) & 0xffff) != (uint16_t)base)
					__builtin_trap();
				r->consumed = 0;
			}
			break;
		}
		case 9:
			if (vhu_vq_setup(&r->vq, &r->l, NULL) != 0 || r->vq.broken)
				__builtin_trap();
			r->n_fl = 0;
			r->consumed = 0;
			break;
		case 11:
			if (r->iotlb != NULL)
				iotlb_update(r, in);
			break;
		case 12: {
			uint8_t page = 0, n = 0;

			take(in, &page, 1);
			take(in, &n, 1);
			if (r->iotlb != NULL)
				(void)iommu_as_invalidate(r->iotlb, (uint64_t)page * PAGE,
							  (uint64_t)(1 + n) * PAGE, NULL);
			break;
		}
		default: {
			unsigned i;

			for (i = 0; i <= 2u * r->vq.size; i++) {
				unsigned before = r->n_fl;

				do_pop(r);
				if (r->n_fl == before)
					break;
			}
			break;
		}
		}
	}
}

static int memfd = -1;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct flight fl[MAX_FLIGHT];
	struct input in = {data, size};
	struct vhu_mem_region_desc d[2];
	uint8_t cfg = 0, sz = 0, img[A_SIZE];
	uint16_t base = 0, n_img = 0;
	struct vhu_vq_sizes s;
	uint32_t n_regions = 1, desc_off, used_off = USED_OFF;
	size_t part[4], at[4], i, left;
	struct run r;

	if (memfd < 0) {
		memfd = memfd_create("fuzz_vhu_vq", MFD_CLOEXEC);
		if (memfd < 0 || ftruncate(memfd, FILE_SIZE) != 0)
			__builtin_trap();
	}
	memset(&r, 0, sizeof(r));
	r.fl = fl;
	if (!take(&in, &cfg, 1) || !take(&in, &sz, 1))
		return 0;
	take(&in, &base, 2);
	take(&in, &n_img, 2);
	if (n_img > in.left)
		n_img = (uint16_t)in.left;
	if (n_img > sizeof(img))
		n_img = sizeof(img);
	take(&in, img, n_img);
	if (cfg & 128) {
		const struct iommu_as_config ic = {.max_mappings = 64};
		uint8_t n = 0;

		if (iommu_as_create(&ic, &r.iotlb) != 0)
			__builtin_trap();
		take(&in, &n, 1);
		while (n-- > 0)
			iotlb_update(&r, &in);
	}

	d[0] = (struct vhu_mem_region_desc){
		.gpa = 0, .size = A_SIZE, .uva = A_UVA, .mmap_offset = 0, .fd = dup(memfd)};
	if (cfg & 8) {
		d[1] = (struct vhu_mem_region_desc){.gpa = (cfg & 16) ? A_SIZE : 2 * A_SIZE,
						    .size = B_SIZE,
						    .uva = B_UVA,
						    .mmap_offset = A_SIZE,
						    .fd = dup(memfd)};
		n_regions = 2;
	}
	if (vhu_mem_create(d, n_regions, &fake_ops, &r.mem, NULL) != 0)
		__builtin_trap();
	r.a = vhu_mem_gpa_to_host(r.mem, 0, A_SIZE);

	r.l.packed = cfg & 1;
	r.l.size = r.l.packed ? (uint16_t)(1 + sz) : (uint16_t)(1u << (sz % 9));
	r.l.event_idx = cfg & 2;
	r.l.indirect = cfg & 4;
	r.l.log_used = cfg & 32;
	vhu_vq_ring_sizes(r.l.size, r.l.packed, &s);
	desc_off = A_SIZE - (uint32_t)s.bytes[0];
	r.l.desc = r.a + desc_off;
	r.l.avail = r.a;
	r.l.used = r.a + used_off;
	r.l.desc_gpa = desc_off;
	r.l.used_gpa = used_off;
	r.l.iotlb = r.iotlb;
	if (r.iotlb != NULL && r.l.indirect) {
		/* Exactly a table of 'size' entries: ASan sees a copy past it. */
		r.l.ind_bounce = malloc((size_t)r.l.size * sizeof(struct vhu_split_desc));
		if (r.l.ind_bounce == NULL)
			__builtin_trap();
	}
	/* The image: descriptor ring, avail/driver area, used/device area, data. */
	part[0] = s.bytes[0], at[0] = desc_off;
	part[1] = s.bytes[1], at[1] = 0;
	part[2] = s.bytes[2], at[2] = used_off;
	part[3] = desc_off - DATA_OFF, at[3] = DATA_OFF;
	for (i = 0, left = n_img; i < 4 && left > 0; i++) {
		size_t n = part[i] < left ? part[i] : left;

		memcpy(r.a + at[i], img + (n_img - left), n);
		left -= n;
	}
	if (vhu_vq_setup(&r.vq, &r.l, NULL) != 0)
		__builtin_trap();
	if ((cfg & 64) && vhu_vq_set_base(&r.vq, base) != 0 && !r.l.packed)
		__builtin_trap();
	r.log.bitmap = malloc(LOG_BYTES);
	r.log.size = LOG_BYTES;
	if (r.log.bitmap == NULL)
		__builtin_trap();
	memset(r.log.bitmap, 0, LOG_BYTES);

	run_script(&r, &in);

	free(r.log.bitmap);
	iommu_as_destroy(r.iotlb);
	free(r.l.ind_bounce);
	vhu_mem_destroy(r.mem);
	if (n_maps != 0)
		__builtin_trap();
	return 0;
}
