/* The guest memory table: which guest-physical (gpa) and front-end userspace
 * (uva) ranges a vhost-user front-end has shared with us, and where each one is
 * mapped in our address space (QEMU docs/interop/vhost-user.rst, "Memory region
 * description", SET_MEM_TABLE, ADD_MEM_REG, REM_MEM_REG, GET_MAX_MEM_SLOTS).
 *
 * Design. A table is immutable once built: regions sorted by gpa, plus an index
 * sorted by uva, so both lookups are binary searches (bad-input class 14: a
 * guest that declares 509 regions must not make each packet scan 509 entries).
 * SET_MEM_TABLE builds a new table; ADD_MEM_REG and REM_MEM_REG build a new
 * table from the current one. The caller publishes the new table (RCU) and,
 * after a grace period, retires the old one. Tables in such a chain share the
 * mappings of the regions they have in common; vhu_mem_retire(old, new) unmaps
 * only what 'new' does not use. Derive tables only from the newest one: two
 * live children of the same parent would each believe they own the regions
 * the other removed.
 *
 * Promise P3: a translation returns a pointer only if the whole access lies
 * inside one region's mapping. Zero-length accesses still need an address
 * inside a region (see vhu_mem_gpa_to_host()).
 *
 * Concurrency. Built, derived and retired by the control thread; read by any
 * number of PMD threads at once without locks (nothing in a table is written
 * after it is built). The translation functions keep no state.
 */
#ifndef VHU_MEM_H
#define VHU_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "iovs_err.h"

/* What we answer to GET_MAX_MEM_SLOTS; QEMU's own limit for vhost-user. */
#define VHU_MEM_MAX_REGIONS 509

/* One region as the front-end described it (host byte order), with the fd it
 * sent alongside. */
struct vhu_mem_region_desc {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva; /* the front-end's userspace address */
	uint64_t mmap_offset;
	int fd;
};

/* One mapped region. [gpa, gpa + size) is at host .. host + size - 1. */
struct vhu_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva; /* the front-end's userspace address */
	uint64_t mmap_offset;
	void *host;	/* our mapping of the region's first byte */
	void *map_base; /* what we mmap'ed: page-aligned file offset below mmap_offset */
	size_t map_len;
	int fd;
};

/* The mapping seam, for fault injection in tests and a fake in the fuzz target.
 * map() returns NULL and sets errno on failure. */
struct vhu_mem_ops {
	void *(*map)(int fd, size_t len, off_t off);
	void (*unmap)(void *addr, size_t len);
};

/* mmap(PROT_READ | PROT_WRITE, MAP_SHARED) and munmap. */
extern const struct vhu_mem_ops vhu_mem_mmap_ops;

/* The layout is public only so that translations inline into the data path.
 * Nothing outside vhu_mem.c writes to it. */
struct vhu_mem {
	const struct vhu_mem_ops *ops;
	uint32_t n;
	const struct vhu_mem_region **by_uva; /* n entries into r[], sorted by uva */
	struct vhu_mem_region r[];	      /* n entries, sorted by gpa, disjoint */
};

/* Builds a table from SET_MEM_TABLE's 'n' descriptors ('ops' NULL: mmap).
 * Takes ownership of every descs[i].fd, on every path, failures included: they
 * end up in the table or closed, and descs[i].fd is set to -1.
 * Returns 0 and '*out', or:
 *   -EINVAL  n is 0; a region of size 0; gpa + size, uva + size or
 *            mmap_offset + size overflows; two regions overlap in gpa or in uva;
 *            an fd that is not a regular file or is shorter than
 *            mmap_offset + size; a mapping length that rounds to 0 or overflows;
 *   -E2BIG   n > VHU_MEM_MAX_REGIONS;
 *   -ENOMEM, or the map error. */
int vhu_mem_create(struct vhu_mem_region_desc *descs, uint32_t n, const struct vhu_mem_ops *ops,
		   struct vhu_mem **out, struct iovs_err *err);

/* ADD_MEM_REG: a new table with 'old''s regions plus 'd', which is checked
 * and mapped as by vhu_mem_create(). 'old' NULL (no table yet) starts from an
 * empty one that uses 'ops' (NULL: mmap); otherwise 'ops' must be NULL or
 * 'old''s ops. Takes ownership of d->fd on every path. 'old' is unchanged and
 * keeps working; the new table shares its mappings. Returns 0 and '*out', the
 * errors of vhu_mem_create(), or -E2BIG when 'old' is full. */
int vhu_mem_add(const struct vhu_mem *old, struct vhu_mem_region_desc *d,
		const struct vhu_mem_ops *ops, struct vhu_mem **out, struct iovs_err *err);

/* REM_MEM_REG: a new table without the region whose gpa, size and uva equal
 * 'd''s (the spec identifies a region by those; d->mmap_offset and d->fd are
 * ignored, d->fd is not closed). The removed region stays mapped, for readers
 * of 'old', until vhu_mem_retire(old, new). The result may be empty.
 * Returns 0 and '*out', -ENOENT when no region matches, or -ENOMEM. */
int vhu_mem_remove(const struct vhu_mem *old, const struct vhu_mem_region_desc *d,
		   struct vhu_mem **out, struct iovs_err *err);

/* Frees 'm', unmapping and closing every region of 'm' that 'keep' does not
 * share. Use it for an old table once no reader can see it (keep = its
 * successor), and for a derived table that was never published (keep = its
 * parent). 'm' NULL is a no-op. */
void vhu_mem_retire(struct vhu_mem *m, const struct vhu_mem *keep);

/* Unmaps and closes everything in 'm' and frees it: for a table that shares
 * nothing with a live one. NULL is a no-op. */
void vhu_mem_destroy(struct vhu_mem *m);

/* Fast path. */

/* The region containing 'gpa', or NULL. */
static inline const struct vhu_mem_region *
vhu_mem_find_gpa(const struct vhu_mem *m, uint64_t gpa)
{
	const struct vhu_mem_region *r;
	uint32_t lo = 0, hi;

	if (m == NULL)
		return NULL;
	/* lo ends at the first region that starts above 'gpa'. */
	hi = m->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (m->r[mid].gpa <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	r = &m->r[lo - 1];
	return gpa - r->gpa < r->size ? r : NULL;
}

/* The region containing front-end address 'uva', or NULL. */
static inline const struct vhu_mem_region *
vhu_mem_find_uva(const struct vhu_mem *m, uint64_t uva)
{
	const struct vhu_mem_region *r;
	uint32_t lo = 0, hi;

	if (m == NULL)
		return NULL;
	hi = m->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (m->by_uva[mid]->uva <= uva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	r = m->by_uva[lo - 1];
	return uva - r->uva < r->size ? r : NULL;
}

/* 'off' bytes into 'r' (off < r->size) and 'len' more fit inside 'r'. Written
 * as a subtraction so that no sum can wrap. */
static inline void *
vhu_mem_region_at(const struct vhu_mem_region *r, uint64_t off, uint64_t len)
{
	if (len > r->size - off)
		return NULL;
	return (char *)r->host + off;
}

/* Our pointer to guest bytes [gpa, gpa + len), or NULL unless all of them lie
 * inside one region: an access that straddles two regions is refused even
 * when they are adjacent in gpa, since they need not be adjacent in our
 * address space. len 0 is allowed and returns the pointer, but 'gpa' must
 * still be inside a region: the end-of-region address of a zero-length buffer
 * is refused, so a non-NULL result always points into guest memory. Valid
 * until the table is retired. */
static inline void *
vhu_mem_gpa_to_host(const struct vhu_mem *m, uint64_t gpa, uint64_t len)
{
	const struct vhu_mem_region *r = vhu_mem_find_gpa(m, gpa);

	return r != NULL ? vhu_mem_region_at(r, gpa - r->gpa, len) : NULL;
}

/* The same for a front-end userspace address (vring addresses without
 * VIRTIO_F_IOMMU_PLATFORM, SET_VRING_ADDR). */
static inline void *
vhu_mem_uva_to_host(const struct vhu_mem *m, uint64_t uva, uint64_t len)
{
	const struct vhu_mem_region *r = vhu_mem_find_uva(m, uva);

	return r != NULL ? vhu_mem_region_at(r, uva - r->uva, len) : NULL;
}

/* Sets '*gpa' to the guest address of [uva, uva + len), under the rules of
 * vhu_mem_gpa_to_host(). Returns 0 or -EFAULT. */
int vhu_mem_uva_to_gpa(const struct vhu_mem *m, uint64_t uva, uint64_t len, uint64_t *gpa);

#endif
