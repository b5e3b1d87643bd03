/* Pure parsers of what VFIO_IOMMU_GET_INFO and VFIO_DEVICE_GET_REGION_INFO
 * return: the fixed struct, then a chain of capabilities (linux/vfio.h,
 * "struct vfio_info_cap_header"). No I/O, no globals: container.c and
 * regions.c call them on the kernel's answer, tests/fuzz/fuzz_vfio_info.c on
 * arbitrary bytes. Everything is read with memcpy (no alignment assumed). */
#include <errno.h>
#include <linux/vfio.h>
#include <string.h>

#include "vfio_priv.h"

static uint32_t
rd32(const uint8_t *p, size_t off)
{
	uint32_t v;
	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint64_t
rd64(const uint8_t *p, size_t off)
{
	uint64_t v;
	memcpy(&v, p + off, sizeof(v));
	return v;
}

/* One capability: its id and version, and the bytes from its header to the
 * next capability (or to argsz). */
typedef int (*cap_fn)(const uint8_t *cap, size_t avail, uint16_t id, uint16_t version, void *arg,
		      struct iovs_err *err);

/* Walks the chain from 'first' inside [min_off, end): every header inside,
 * offsets strictly increasing (so no loop, and at most end / 8 hops), at most
 * VFIO_CAP_HOPS_MAX of them. */
static int
cap_walk(const uint8_t *buf, size_t end, uint32_t first, size_t min_off, const char *what,
	 cap_fn fn, void *arg, struct iovs_err *err)
{
	const size_t hdr = sizeof(struct vfio_info_cap_header);
	size_t off = first;
	unsigned hops = 0;

	while (off != 0) {
		if (++hops > VFIO_CAP_HOPS_MAX)
			return iovs_errf(err, -EBADMSG, "%s: more than %d capabilities", what,
					 VFIO_CAP_HOPS_MAX);
		if (off < min_off || off > end || end - off < hdr)
			return iovs_errf(err, -EBADMSG,
					 "%s: capability at %zu outside [%zu, %zu - %zu]", what,
					 off, min_off, end, hdr);
		uint16_t id, version;
		memcpy(&id, buf + off, sizeof(id));
		memcpy(&version, buf + off + 2, sizeof(version));
		uint32_t next = rd32(buf, off + 4);
		if (next != 0 && (next < off + hdr || next > end))
			return iovs_errf(err, -EBADMSG,
					 "%s: capability %u at %zu points back or out to %u", what,
					 id, off, next);
		size_t stop = next ? next : end;
		int rc = fn(buf + off, stop - off, id, version, arg, err);
		if (rc != 0)
			return rc;
		off = next;
	}
	return 0;
}

/* ---- VFIO_IOMMU_GET_INFO ---- */

static int
iommu_cap(const uint8_t *cap, size_t avail, uint16_t id, uint16_t version, void *arg,
	  struct iovs_err *err)
{
	struct vfio_iommu_desc *d = arg;
	(void)version;

	switch (id) {
	case VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE: {
		const size_t fixed = sizeof(struct vfio_iommu_type1_info_cap_iova_range);
		if (d->has_ranges)
			return iovs_errf(err, -EBADMSG, "IOMMU info: two IOVA range capabilities");
		if (avail < fixed)
			return iovs_errf(err, -EBADMSG, "IOMMU info: IOVA range capability cut");
		uint32_t n = rd32(cap, 8);
		if (n > VFIO_IOVA_RANGES_MAX)
			return iovs_errf(err, -E2BIG, "IOMMU info: %u IOVA ranges (at most %d)", n,
					 VFIO_IOVA_RANGES_MAX);
		if ((avail - fixed) / sizeof(struct vfio_iova_range) < n)
			return iovs_errf(err, -EBADMSG,
					 "IOMMU info: %u IOVA ranges do not fit in %zu bytes", n,
					 avail);
		for (uint32_t i = 0; i < n; i++) {
			size_t o = fixed + i * sizeof(struct vfio_iova_range);
			d->ranges[i].start = rd64(cap, o);
			d->ranges[i].end = rd64(cap, o + 8);
			if (d->ranges[i].start > d->ranges[i].end)
				return iovs_errf(err, -EBADMSG,
						 "IOMMU info: IOVA range %u has start 0x%llx > end "
						 "0x%llx",
						 i, (unsigned long long)d->ranges[i].start,
						 (unsigned long long)d->ranges[i].end);
		}
		d->n_ranges = n;
		d->has_ranges = true;
		return 0;
	}
	case VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL:
		if (avail < sizeof(struct vfio_iommu_type1_info_dma_avail))
			return iovs_errf(err, -EBADMSG, "IOMMU info: DMA_AVAIL capability cut");
		d->dma_avail = rd32(cap, 8);
		d->has_dma_avail = true;
		return 0;
	default: /* migration and later ones: not ours */
		return 0;
	}
}

int
vfio_parse_iommu_info(const void *buf, size_t len, struct vfio_iommu_desc *out, uint32_t *need,
		      struct iovs_err *err)
{
	const uint8_t *p = buf;
	const size_t base = offsetof(struct vfio_iommu_type1_info, cap_offset);
	const size_t full = sizeof(struct vfio_iommu_type1_info);

	memset(out, 0, sizeof(*out));
	if (len < base)
		return iovs_errf(err, -EBADMSG, "IOMMU info: %zu bytes, less than %zu", len, base);
	uint32_t argsz = rd32(p, 0);
	if (argsz > len) {
		if (need)
			*need = argsz;
		return iovs_errf(err, -EMSGSIZE, "IOMMU info: needs %u bytes, has %zu", argsz, len);
	}
	if (argsz < base)
		return iovs_errf(err, -EBADMSG, "IOMMU info: argsz %u less than %zu", argsz, base);
	uint32_t flags = rd32(p, 4);
	if (flags & VFIO_IOMMU_INFO_PGSIZES)
		out->pgsizes = rd64(p, 8);
	if (!(flags & VFIO_IOMMU_INFO_CAPS) || argsz < full)
		return 0;
	return cap_walk(p, argsz, rd32(p, base), full, "IOMMU info", iommu_cap, out, err);
}

/* ---- VFIO_DEVICE_GET_REGION_INFO ---- */

static int
region_cap(const uint8_t *cap, size_t avail, uint16_t id, uint16_t version, void *arg,
	   struct iovs_err *err)
{
	struct vfio_region_desc *d = arg;
	(void)version;

	if (id != VFIO_REGION_INFO_CAP_SPARSE_MMAP)
		return 0; /* region type and others: not ours */
	const size_t fixed = sizeof(struct vfio_region_info_cap_sparse_mmap);
	if (d->sparse)
		return iovs_errf(err, -EBADMSG, "region %u: two sparse mmap capabilities",
				 d->index);
	if (avail < fixed)
		return iovs_errf(err, -EBADMSG, "region %u: sparse mmap capability cut", d->index);
	uint32_t n = rd32(cap, 8);
	if (n > VFIO_SPARSE_AREAS_MAX)
		return iovs_errf(err, -E2BIG, "region %u: %u sparse areas (at most %d)", d->index,
				 n, VFIO_SPARSE_AREAS_MAX);
	if ((avail - fixed) / sizeof(struct vfio_region_sparse_mmap_area) < n)
		return iovs_errf(err, -EBADMSG, "region %u: %u sparse areas do not fit", d->index,
				 n);
	d->sparse = true;
	d->n_areas = 0;
	for (uint32_t i = 0; i < n; i++) {
		size_t o = fixed + i * sizeof(struct vfio_region_sparse_mmap_area);
		uint64_t aoff = rd64(cap, o), asz = rd64(cap, o + 8);
		if (aoff > d->size || asz > d->size - aoff)
			return iovs_errf(err, -EBADMSG,
					 "region %u: sparse area %u [0x%llx +0x%llx] outside its "
					 "0x%llx bytes",
					 d->index, i, (unsigned long long)aoff,
					 (unsigned long long)asz, (unsigned long long)d->size);
		if (asz == 0)
			continue;
		d->areas[d->n_areas].offset = aoff;
		d->areas[d->n_areas].size = asz;
		d->n_areas++;
	}
	return 0;
}

int
vfio_parse_region_info(const void *buf, size_t len, struct vfio_region_desc *out, uint32_t *need,
		       struct iovs_err *err)
{
	const uint8_t *p = buf;
	const size_t full = sizeof(struct vfio_region_info);

	memset(out, 0, sizeof(*out));
	if (len < full)
		return iovs_errf(err, -EBADMSG, "region info: %zu bytes, less than %zu", len, full);
	uint32_t argsz = rd32(p, 0);
	if (argsz > len) {
		if (need)
			*need = argsz;
		return iovs_errf(err, -EMSGSIZE, "region info: needs %u bytes, has %zu", argsz,
				 len);
	}
	if (argsz < full)
		return iovs_errf(err, -EBADMSG, "region info: argsz %u less than %zu", argsz, full);
	out->flags = rd32(p, 4);
	out->index = rd32(p, 8);
	out->size = rd64(p, 16);
	out->offset = rd64(p, 24);
	if (out->flags & VFIO_REGION_INFO_FLAG_CAPS) {
		int rc = cap_walk(p, argsz, rd32(p, 12), full, "region info", region_cap, out, err);
		if (rc != 0)
			return rc;
	}
	if (!(out->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		out->n_areas = 0; /* listed areas mean nothing without the flag */
	} else if (!out->sparse && out->size > 0) {
		out->n_areas = 1;
		out->areas[0].offset = 0;
		out->areas[0].size = out->size;
	}
	return 0;
}
