/* The IOVA allocator (iommu.h): first fit over the usable ranges that VFIO
 * reported, skipping the mappings of the address space (iommu_as.c) by
 * jumping from one to the next in its tree. Nothing of its own to keep: the
 * mappings are the allocation state, so a free is an unmap. */
#include "iommu_priv.h"

#include <errno.h>

/* x rounded up to a multiple of amask + 1, or false if that wraps. */
static inline bool
align_up(uint64_t x, uint64_t amask, uint64_t *out)
{
	if (x > UINT64_MAX - amask)
		return false;
	*out = (x + amask) & ~amask;
	return true;
}

/* The lowest aligned hole of 'size' bytes in the usable range r. */
static int
find_in_range(const struct iommu_as *as, const struct iommu_range *r, uint64_t size, uint64_t amask,
	      uint64_t *iova)
{
	const struct iommu_node *n;
	uint64_t c;

	if (!align_up(r->start, amask, &c))
		return -ENOSPC;
	for (;;) {
		if (c > r->end || size - 1 > r->end - c)
			return -ENOSPC;
		n = iommu_tree_lookup(as->root, c);
		if (n == NULL || n->first > c + (size - 1)) {
			*iova = c;
			return 0;
		}
		/* n is in the way: try just above it. */
		if (n->last == UINT64_MAX || !align_up(n->last + 1, amask, &c))
			return -ENOSPC;
	}
}

int
iommu_as_find_free(const struct iommu_as *as, uint64_t size, uint64_t align, uint64_t *iova)
{
	uint64_t amask;

	if (size == 0 || (size & as->pgmask) || (align & (align - 1)))
		return -EINVAL;
	amask = align > as->pgmask + 1 ? align - 1 : as->pgmask;
	for (size_t i = 0; i < as->n_valid; i++)
		if (find_in_range(as, &as->valid[i], size, amask, iova) == 0)
			return 0;
	return -ENOSPC;
}

int
iommu_as_alloc(struct iommu_as *as, uint64_t size, uint64_t align, uint64_t target, unsigned perm,
	       uint64_t *iova)
{
	uint64_t at;
	int rc = iommu_as_find_free(as, size, align, &at);

	if (rc != 0) {
		as->st.maps_refused++;
		return rc;
	}
	rc = iommu_as_map(as, at, size, target, perm);
	if (rc == 0)
		*iova = at;
	return rc;
}

int
iommu_as_free(struct iommu_as *as, uint64_t iova, uint64_t *size)
{
	struct iommu_node *n = iommu_tree_lookup(as->root, iova);

	if (n == NULL || n->first != iova)
		return -ENOENT;
	if (size != NULL)
		*size = n->last - n->first + 1;
	iommu_as_remove_node(as, n);
	return 0;
}
