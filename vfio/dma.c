/* DMA mappings of a container: VFIO_IOMMU_MAP_DMA / UNMAP_DMA, kept in step
 * with the container's iommu_as (iommu/). The iommu_as is asked first (it
 * refuses what the kernel would: outside the usable ranges, overlaps,
 * misalignment, splits), the kernel second, and a kernel refusal undoes the
 * bookkeeping, so both always hold the same mappings. */
#include <errno.h>
#include <linux/vfio.h>
#include <string.h>

#include "vfio_priv.h"

static int
not_ready(const struct vfio_ctr *c, struct iovs_err *err)
{
	if (c->noiommu)
		return iovs_errf(err, -ENOTSUP, "a no-IOMMU container has no DMA mappings");
	return iovs_errf(err, -ENODEV, "the container has no IOMMU yet (attach a group first)");
}

static int
kernel_map(struct vfio_ctr *c, void *vaddr, uint64_t iova, uint64_t size, unsigned perm)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = ((perm & IOMMU_PERM_READ) ? VFIO_DMA_MAP_FLAG_READ : 0) |
			 ((perm & IOMMU_PERM_WRITE) ? VFIO_DMA_MAP_FLAG_WRITE : 0),
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};
	int rc = vfio_kioctl(c, c->fd, VFIO_IOMMU_MAP_DMA, &m);
	return rc < 0 ? rc : 0;
}

static int
kernel_unmap(struct vfio_ctr *c, uint64_t iova, uint64_t size, uint64_t *done)
{
	struct vfio_iommu_type1_dma_unmap u = {.argsz = sizeof(u), .iova = iova, .size = size};
	int rc = vfio_kioctl(c, c->fd, VFIO_IOMMU_UNMAP_DMA, &u);
	if (rc < 0)
		return rc;
	*done = u.size;
	return 0;
}

int
vfio_dma_map(struct vfio_ctr *c, void *vaddr, uint64_t iova, uint64_t size, unsigned perm,
	     struct iovs_err *err)
{
	int rc;

	if (!c->ready || !c->as)
		return not_ready(c, err);
	rc = iommu_as_map(c->as, iova, size, (uintptr_t)vaddr, perm);
	if (rc < 0)
		return iovs_errf(err, rc, "DMA map iova 0x%llx size 0x%llx refused: %s",
				 (unsigned long long)iova, (unsigned long long)size, strerror(-rc));
	rc = kernel_map(c, vaddr, iova, size, perm);
	if (rc < 0) {
		iommu_as_unmap(c->as, iova, size, NULL); /* exactly the one just added */
		return iovs_errf(err, rc, "VFIO_IOMMU_MAP_DMA iova 0x%llx size 0x%llx: %s",
				 (unsigned long long)iova, (unsigned long long)size, strerror(-rc));
	}
	return 0;
}

int
vfio_dma_map_alloc(struct vfio_ctr *c, void *vaddr, uint64_t size, uint64_t align, unsigned perm,
		   uint64_t *iova, struct iovs_err *err)
{
	uint64_t at;
	int rc;

	if (!c->ready || !c->as)
		return not_ready(c, err);
	rc = iommu_as_alloc(c->as, size, align, (uintptr_t)vaddr, perm, &at);
	if (rc < 0)
		return iovs_errf(err, rc, "no IOVA for 0x%llx bytes: %s", (unsigned long long)size,
				 strerror(-rc));
	rc = kernel_map(c, vaddr, at, size, perm);
	if (rc < 0) {
		iommu_as_free(c->as, at, NULL);
		return iovs_errf(err, rc, "VFIO_IOMMU_MAP_DMA iova 0x%llx size 0x%llx: %s",
				 (unsigned long long)at, (unsigned long long)size, strerror(-rc));
	}
	*iova = at;
	return 0;
}

/* Would type1v2 refuse to unmap [iova, last] because it cuts a mapping? */
static bool
splits_mapping(const struct iommu_as *as, uint64_t iova, uint64_t last)
{
	struct iommu_mapping m;

	if (iommu_as_find(as, iova, &m) == 0 && m.iova < iova)
		return true;
	if (iommu_as_find(as, last, &m) == 0 && m.iova <= last && m.iova + (m.size - 1) > last)
		return true;
	return false;
}

int
vfio_dma_unmap(struct vfio_ctr *c, uint64_t iova, uint64_t size, uint64_t *unmapped,
	       struct iovs_err *err)
{
	uint64_t page, expect = 0, done = 0;
	int rc;

	if (!c->ready || !c->as)
		return not_ready(c, err);
	page = iommu_as_page_size(c->as);
	if (size == 0 || iova % page != 0 || size % page != 0)
		return iovs_errf(err, -EINVAL,
				 "DMA unmap iova 0x%llx size 0x%llx: not page aligned",
				 (unsigned long long)iova, (unsigned long long)size);
	if (iova + (size - 1) < iova)
		return iovs_errf(err, -EOVERFLOW, "DMA unmap iova 0x%llx size 0x%llx wraps",
				 (unsigned long long)iova, (unsigned long long)size);
	if (splits_mapping(c->as, iova, iova + (size - 1)))
		return iovs_errf(err, -EINVAL,
				 "DMA unmap iova 0x%llx size 0x%llx would split a mapping",
				 (unsigned long long)iova, (unsigned long long)size);
	rc = kernel_unmap(c, iova, size, &done);
	if (rc < 0)
		return iovs_errf(err, rc, "VFIO_IOMMU_UNMAP_DMA iova 0x%llx size 0x%llx: %s",
				 (unsigned long long)iova, (unsigned long long)size, strerror(-rc));
	rc = iommu_as_unmap(c->as, iova, size, &expect);
	if (unmapped)
		*unmapped = expect;
	if (rc < 0 || done != expect)
		return iovs_errf(err, -EIO,
				 "DMA unmap iova 0x%llx size 0x%llx: the kernel removed 0x%llx "
				 "bytes, the bookkeeping 0x%llx",
				 (unsigned long long)iova, (unsigned long long)size,
				 (unsigned long long)done, (unsigned long long)expect);
	return 0;
}

void
vfio_dma_unmap_all(struct vfio_ctr *c)
{
	struct iommu_mapping m;

	if (!c->as)
		return;
	/* Lowest first, one at a time (no allocation on a teardown path). The
	 * bookkeeping drops each even if the kernel refuses: closing the
	 * container ends the kernel's mappings anyway. */
	while (iommu_as_find(c->as, 0, &m) == 0) {
		uint64_t done;
		kernel_unmap(c, m.iova, m.size, &done);
		iommu_as_unmap(c->as, m.iova, m.size, NULL);
	}
}
