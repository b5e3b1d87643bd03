/* libFuzzer target: the IO address space (iommu/iommu_as.c, iova_alloc.c)
 * against its linear model (iommu/iommu_as_model.c). The first byte picks a
 * configuration (usable ranges, page sizes, mapping limit); every following
 * 16 bytes are one operation: map, unmap, invalidate, replace, translate,
 * find, find_free, alloc or free (iommu_model_step() decodes them). After
 * each, the answers must agree, the mappings and stats must be the model's
 * and iommu_as_check() must hold (AVL balance, order, disjoint, inside the
 * usable ranges, the limit); any disagreement traps. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "iommu_as_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS 1024

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iommu_as_config cfg;
	struct iommu_model md;
	struct iommu_as *as;
	char why[512];

	if (size < 1 || size > 1 + MAX_OPS * IOMMU_MODEL_OP_SIZE)
		return 0;
	iommu_model_config(data[0], &cfg);
	if (iommu_as_create(&cfg, &as) != 0)
		__builtin_trap();
	if (iommu_model_init(&md, &cfg) != 0) {
		iommu_as_destroy(as);
		return 0;
	}
	for (size_t off = 1; off + IOMMU_MODEL_OP_SIZE <= size; off += IOMMU_MODEL_OP_SIZE) {
		if (iommu_model_step(&md, as, data + off, why, sizeof(why)) != 0 ||
		    iommu_model_compare(&md, as, why, sizeof(why)) != 0) {
			fprintf(stderr, "config %u, op %zu: %s\n", data[0] % IOMMU_MODEL_CONFIGS,
				(off - 1) / IOMMU_MODEL_OP_SIZE, why);
			__builtin_trap();
		}
	}
	iommu_model_fini(&md);
	iommu_as_destroy(as);
	return 0;
}
