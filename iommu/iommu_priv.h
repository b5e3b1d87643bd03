/* Layouts shared inside iommu/: the address space, its AVL tree of mappings
 * (iommu_tree.c) and the self-check the tests and the fuzz target run. */
#ifndef IOMMU_PRIV_H
#define IOMMU_PRIV_H

#include "iommu.h"

/* One mapping, [first, last] inclusive, so that a mapping may end at 2^64 - 1.
 * The tree is ordered by 'first'; mappings are disjoint, so 'last' is
 * ordered the same way and a search may descend on either. */
struct iommu_node {
	struct iommu_node *left, *right;
	uint64_t first, last;
	uint64_t target; /* of 'first' */
	uint8_t perm;
	uint8_t height; /* of the subtree: 1 for a leaf */
};

/* Written by the one writer the caller guarantees; readers only descend. */
struct iommu_as {
	struct iommu_node *root;
	uint64_t n;	   /* mappings */
	uint64_t span_sum; /* sum of (last - first): mapped bytes = span_sum + n */
	uint64_t pgmask;   /* smallest page size - 1 */
	uint64_t max_mappings;
	size_t n_valid;
	struct iommu_range *valid; /* sorted, disjoint, never adjacent, n_valid >= 1 */
	struct iommu_as_stats st;  /* the counters; the rest is computed */
};

/* ---- iommu_tree.c: the AVL tree ---- */

/* The mapping holding x or, if none does, the first one above x; NULL if
 * none. The only search anything needs: x is mapped iff the result exists
 * and starts at or below x. */
struct iommu_node *iommu_tree_lookup(struct iommu_node *root, uint64_t x);
/* Links n (its 'first' not in the tree, no overlap: the caller checked). */
void iommu_tree_insert(struct iommu_node **root, struct iommu_node *n);
/* Unlinks and returns the node starting at 'first', or NULL. */
struct iommu_node *iommu_tree_remove(struct iommu_node **root, uint64_t first);
unsigned iommu_tree_height(const struct iommu_node *root);
/* Calls fn in ascending order; stops at and returns fn's first nonzero. */
int iommu_tree_walk(const struct iommu_node *root, iommu_as_visit_fn fn, void *arg);
void iommu_tree_free(struct iommu_node *root);

/* Unlinks n, frees it and counts it out (iommu_as.c). */
void iommu_as_remove_node(struct iommu_as *as, struct iommu_node *n);

/* The invariants: AVL heights and balance, order, disjoint, perm in 1..3,
 * target ranges not wrapping, count and byte sum as recorded, every mapping
 * inside one usable range, at most max_mappings. Returns 0 or -EUCLEAN, with
 * what failed in 'why' (may be NULL). O(n). */
int iommu_as_check(const struct iommu_as *as, char *why, size_t why_len);

#endif
