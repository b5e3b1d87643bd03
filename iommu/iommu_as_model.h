/* A reference for struct iommu_as (CONVENTIONS.md 15), for tests only: the
 * same operations over an unsorted array, each answered by a linear scan and
 * written from iommu.h's contract, not from iommu_as.c. The unit test
 * (iommu_as_test.c) and the fuzz target (tests/fuzz/fuzz_iommu_as.c) both
 * drive the model and the real thing through iommu_model_step(), which
 * decodes one operation from IOMMU_MODEL_OP_SIZE bytes. */
#ifndef IOMMU_AS_MODEL_H
#define IOMMU_AS_MODEL_H

#include "iommu.h"

struct iommu_model {
	struct iommu_mapping *m; /* unsorted */
	size_t n, cap;
	struct iommu_range *valid; /* as given: unsorted, may overlap */
	size_t n_valid;
	uint64_t pgmask, max_mappings;
	struct iommu_as_stats st; /* the counters */
};

int iommu_model_init(struct iommu_model *md, const struct iommu_as_config *cfg);
void iommu_model_fini(struct iommu_model *md);

int iommu_model_map(struct iommu_model *md, uint64_t iova, uint64_t size, uint64_t target,
		    unsigned perm);
int iommu_model_unmap(struct iommu_model *md, uint64_t iova, uint64_t size, uint64_t *unmapped);
int iommu_model_invalidate(struct iommu_model *md, uint64_t iova, uint64_t size, uint64_t *removed);
int iommu_model_replace(struct iommu_model *md, uint64_t iova, uint64_t size, uint64_t target,
			unsigned perm);
int iommu_model_translate(const struct iommu_model *md, uint64_t iova, uint64_t *len, unsigned perm,
			  uint64_t *target);
int iommu_model_find(const struct iommu_model *md, uint64_t iova, struct iommu_mapping *m);
int iommu_model_find_free(const struct iommu_model *md, uint64_t size, uint64_t align,
			  uint64_t *iova);
int iommu_model_alloc(struct iommu_model *md, uint64_t size, uint64_t align, uint64_t target,
		      unsigned perm, uint64_t *iova);
int iommu_model_free(struct iommu_model *md, uint64_t iova, uint64_t *size);

/* ---- driving both ---- */

#define IOMMU_MODEL_OP_SIZE 16
#define IOMMU_MODEL_CONFIGS 5
#define IOMMU_MODEL_OPS	    12 /* op[0] % this: the operation */

/* One of a fixed set of configurations (sel % IOMMU_MODEL_CONFIGS): the full
 * space byte granular, 4 KiB pages with a limit, x86 ranges around the MSI
 * window with 4K|2M|1G pages, ... */
void iommu_model_config(unsigned sel, struct iommu_as_config *cfg);

/* Decodes one operation from 'op' and applies it to both. Returns 0, or -1
 * with the disagreement in 'why'. */
int iommu_model_step(struct iommu_model *md, struct iommu_as *as,
		     const uint8_t op[IOMMU_MODEL_OP_SIZE], char *why, size_t why_len);

/* Compares every mapping and the stats, and runs iommu_as_check(); checks
 * the tree height against the AVL bound. Returns 0 or -1 with 'why'. */
int iommu_model_compare(const struct iommu_model *md, const struct iommu_as *as, char *why,
			size_t why_len);

#endif
