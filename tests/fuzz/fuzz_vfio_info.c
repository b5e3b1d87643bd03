/* libFuzzer target: the VFIO capability-chain parsers (vfio/vfio_info.c).
 * The first byte picks the parser (even: VFIO_IOMMU_GET_INFO, odd:
 * VFIO_DEVICE_GET_REGION_INFO), the rest is the kernel's answer. Whatever
 * the bytes, a parse must end (bounded hops, no loops), read nothing outside
 * the buffer (ASan), and an accepted answer must hold what vfio/ relies on:
 * ranges with start <= end that iommu_as_create() takes, sparse areas
 * inside the region. Any violation traps. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vfio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_iommu(const struct vfio_iommu_desc *d)
{
	if (d->n_ranges > VFIO_IOVA_RANGES_MAX || (!d->has_ranges && d->n_ranges != 0))
		__builtin_trap();
	for (uint32_t i = 0; i < d->n_ranges; i++)
		if (d->ranges[i].start > d->ranges[i].end)
			__builtin_trap();
	struct iommu_as_config cfg = {
		.valid = d->n_ranges ? d->ranges : NULL,
		.n_valid = d->n_ranges,
		.pgsize_bitmap = d->pgsizes,
	};
	struct iommu_as *as;
	if (iommu_as_create(&cfg, &as) != 0)
		__builtin_trap();
	iommu_as_destroy(as);
}

static void
check_region(const struct vfio_region_desc *d)
{
	if (d->n_areas > VFIO_SPARSE_AREAS_MAX)
		__builtin_trap();
	for (uint32_t i = 0; i < d->n_areas; i++)
		if (d->areas[i].size == 0 || d->areas[i].offset > d->size ||
		    d->areas[i].size > d->size - d->areas[i].offset)
			__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vfio_iommu_desc id;
	static struct vfio_region_desc rd;
	struct iovs_err err;
	uint32_t need = 0;

	if (size < 1 || size > 65536)
		return 0;
	/* A copy of exactly the answer's size: ASan sees any read past it. */
	size_t len = size - 1;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, len);
	if (data[0] % 2 == 0) {
		int rc = vfio_parse_iommu_info(buf, len, &id, &need, &err);
		if (rc == 0)
			check_iommu(&id);
		else if (rc == -EMSGSIZE && need <= len)
			__builtin_trap();
	} else {
		int rc = vfio_parse_region_info(buf, len, &rd, &need, &err);
		if (rc == 0)
			check_region(&rd);
		else if (rc == -EMSGSIZE && need <= len)
			__builtin_trap();
	}
	free(buf);
	return 0;
}
