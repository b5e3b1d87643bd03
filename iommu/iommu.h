/* IO address spaces: what an IO virtual address (IOVA) means, for the VFIO
 * container's DMA bookkeeping (vfio/) and for a vhost-user device's IOTLB
 * (vhost-user/).
 *
 * Design: an address space is a set of disjoint mappings [iova, iova + size)
 * -> target (a host virtual address, or any 64-bit value the caller gives it
 * meaning), each with READ and/or WRITE permission. They sit in an AVL tree
 * keyed by first IOVA, so translate, map and the checks of unmap and
 * invalidate cost O(log n). The space may be limited to the usable ranges
 * that VFIO_IOMMU_GET_INFO reports (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE):
 * outside them everything is reserved (the x86 MSI window
 * 0xfee00000-0xfeefffff, for one). Two ways to remove translations:
 *   - iommu_as_unmap(): VFIO type1v2 semantics. Whole mappings only; a range
 *     that would split one is refused; nothing mapped is not an error.
 *   - iommu_as_invalidate(): IOTLB semantics. Anything overlapping the range
 *     is removed, splitting or trimming mappings as needed; never refused for
 *     a well-formed range (removing more than asked is always safe there).
 *
 * Threads: no locks inside. The caller serializes every call that changes
 * the space (map, unmap, invalidate, replace, alloc, free) against every
 * other call. Functions taking a const pointer never write anything, so any
 * number of them may run together (under a reader lock, say).
 *
 * Errors: 0 or -errno, as everywhere in iovs. Argument checks come first, in
 * the order each function lists them. */
#ifndef IOMMU_H
#define IOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Permissions of a mapping, and those a translation asks for. */
enum iommu_perm {
	IOMMU_PERM_READ = 1u << 0,  /* the device may read memory (DMA to the device) */
	IOMMU_PERM_WRITE = 1u << 1, /* the device may write memory */
	IOMMU_PERM_RW = IOMMU_PERM_READ | IOMMU_PERM_WRITE,
};

/* An inclusive range [start, end], as VFIO reports IOVA ranges. */
struct iommu_range {
	uint64_t start;
	uint64_t end;
};

/* One mapping: [iova, iova + size) translates to [target, target + size). */
struct iommu_mapping {
	uint64_t iova;
	uint64_t size;
	uint64_t target;
	unsigned perm; /* enum iommu_perm bits, never 0 */
};

struct iommu_as_config {
	/* The usable IOVA ranges, in any order; overlapping or adjacent ones are
	 * merged. Everything outside them is reserved. NULL with n_valid 0: all
	 * of [0, 2^64 - 1] is usable (the vhost-user IOTLB). Copied. */
	const struct iommu_range *valid;
	size_t n_valid;
	/* The IOMMU's page sizes (VFIO's iova_pgsizes): map, unmap, alloc and
	 * free need IOVAs and sizes aligned to the smallest. 0: byte granular. */
	uint64_t pgsize_bitmap;
	/* At most this many mappings (VFIO's dma_entry_limit; a bound on what an
	 * untrusted vhost-user frontend may make us allocate). 0: no limit. */
	uint64_t max_mappings;
};

struct iommu_as_stats {
	uint64_t mappings;     /* live now */
	uint64_t mapped_bytes; /* live now; saturates at UINT64_MAX (all 2^64 mapped) */
	uint32_t tree_height;  /* of the AVL tree: at most 1.44 log2(mappings + 2) */
	uint64_t maps;	       /* successful map, replace and alloc calls */
	uint64_t maps_refused; /* map, replace and alloc calls that returned an error */
	uint64_t unmapped;     /* mappings removed whole by unmap, invalidate, replace, free */
	uint64_t splits;       /* mappings split in two by an invalidation */
	uint64_t trims;	       /* mappings shortened at one end by an invalidation */
	uint64_t overdrops;    /* invalidations that removed more than asked (limit, memory) */
};

struct iommu_as;

/* Creates an empty address space. Returns 0, -EINVAL if 'cfg' is NULL, a
 * range has start > end, 'valid' is NULL with n_valid > 0 or n_valid is
 * larger than 2^20; -ENOMEM. */
int iommu_as_create(const struct iommu_as_config *cfg, struct iommu_as **out);
/* Frees the space and every mapping in it. NULL is a no-op. */
void iommu_as_destroy(struct iommu_as *as);

/* Maps [iova, iova + size) to [target, target + size) with 'perm'. Returns 0,
 * or: -EINVAL if size is 0, perm is 0 or has unknown bits, or iova, size or
 * target is not a multiple of the smallest page size (as VFIO checks vaddr);
 * -EOVERFLOW if the IOVA or the target range wraps past 2^64; -ERANGE if
 * the range leaves the aperture (from the first usable address to the
 * last); -EADDRNOTAVAIL if it is in the aperture but touches a reserved hole; -EEXIST if it overlaps a mapping
 * by even one byte (adjacent is fine); -ENOSPC at max_mappings; -ENOMEM.
 * Nothing changes on error. */
int iommu_as_map(struct iommu_as *as, uint64_t iova, uint64_t size, uint64_t target, unsigned perm);

/* VFIO type1v2 unmap: removes every mapping inside [iova, iova + size) and
 * sets *unmapped (may be NULL) to the bytes they covered, 0 if none. Returns
 * 0, or: -EINVAL if size is 0, iova or size is not a multiple of the smallest
 * page size, or the range starts or ends inside a mapping (it would split it;
 * nothing is removed then); -EOVERFLOW if the range wraps past 2^64. */
int iommu_as_unmap(struct iommu_as *as, uint64_t iova, uint64_t size, uint64_t *unmapped);

/* IOTLB invalidation: removes every byte of [iova, iova + size) that is
 * mapped, shortening or splitting mappings that stick out; *removed (may be
 * NULL) gets the bytes. Byte granular whatever the page sizes. A split that
 * would exceed max_mappings, or cannot get memory, drops the upper part of
 * the split mapping as well (counted in stats.overdrops and in *removed):
 * for a cache, a miss is always safe, a stale entry never. Returns 0, or
 * -EINVAL if size is 0, -EOVERFLOW if the range wraps past 2^64. */
int iommu_as_invalidate(struct iommu_as *as, uint64_t iova, uint64_t size, uint64_t *removed);

/* IOTLB update: iommu_as_invalidate() of the range, then iommu_as_map().
 * Returns what iommu_as_map() does; argument, aperture and reserved-hole
 * errors are found before anything changes. On -ENOSPC or -ENOMEM the
 * overlapped translations are gone but the new one is not in. */
int iommu_as_replace(struct iommu_as *as, uint64_t iova, uint64_t size, uint64_t target,
		     unsigned perm);

/* Translates 'iova' for an access of *len bytes needing 'perm'. Sets *target
 * and cuts *len down to what the same mapping covers from 'iova' on (the
 * caller translates the rest separately: the next mapping need not follow in
 * target space). Returns 0, or: -EINVAL if *len is 0 or perm has unknown
 * bits or is 0; -ENOENT if 'iova' is not mapped; -EACCES if the mapping lacks
 * a permission of 'perm'. O(log n); writes nothing but the outputs. */
int iommu_as_translate(const struct iommu_as *as, uint64_t iova, uint64_t *len, unsigned perm,
		       uint64_t *target);

/* The mapping holding 'iova' or, if none does, the first one above it.
 * Returns 0, or -ENOENT if there is none. */
int iommu_as_find(const struct iommu_as *as, uint64_t iova, struct iommu_mapping *m);

/* Calls fn on every mapping, by ascending IOVA; fn must not change the space.
 * Stops at the first nonzero return of fn and returns it; else 0. */
typedef int (*iommu_as_visit_fn)(const struct iommu_mapping *m, void *arg);
int iommu_as_foreach(const struct iommu_as *as, iommu_as_visit_fn fn, void *arg);

void iommu_as_get_stats(const struct iommu_as *as, struct iommu_as_stats *st);

/* The smallest page size (1 when byte granular) and the usable ranges after
 * merging (borrowed until iommu_as_destroy()). */
uint64_t iommu_as_page_size(const struct iommu_as *as);
const struct iommu_range *iommu_as_valid_ranges(const struct iommu_as *as, size_t *n);

/* ---- the IOVA allocator (iova_alloc.c) ----
 * First fit by ascending address over the usable ranges: the lowest IOVA
 * aligned to max(align, smallest page size) where 'size' bytes fit inside
 * one usable range without touching a mapping. O(n log n) in the mappings:
 * a control-path operation (DMA maps are set up once per buffer pool). */

/* Finds such an IOVA, changing nothing: for a caller that must program the
 * hardware (VFIO_IOMMU_MAP_DMA) before recording the mapping with
 * iommu_as_map(). Returns 0, or: -EINVAL if size is 0 or not a multiple of
 * the smallest page size, or align is not 0 or a power of two; -ENOSPC if no
 * hole fits. */
int iommu_as_find_free(const struct iommu_as *as, uint64_t size, uint64_t align, uint64_t *iova);
/* iommu_as_find_free(), then iommu_as_map() there; *iova gets the address.
 * Returns 0 or an error of either (-EINVAL for perm as iommu_as_map()). */
int iommu_as_alloc(struct iommu_as *as, uint64_t size, uint64_t align, uint64_t target,
		   unsigned perm, uint64_t *iova);
/* Removes the mapping that starts at 'iova' (one iommu_as_alloc() made, or
 * any other); *size (may be NULL) gets its size. Returns 0, or -ENOENT if no
 * mapping starts exactly there. */
int iommu_as_free(struct iommu_as *as, uint64_t iova, uint64_t *size);

#endif
