/* The AVL tree under an address space (iommu_as.c, iova_alloc.c): nodes keyed
 * by their first IOVA, heights kept in the nodes, rebalanced on the way back
 * up from each insert and remove. Recursion depth is the height, at most
 * 1.44 log2(n + 2): 64 for any n that fits in memory. */
#include "iommu_priv.h"

#include <stdlib.h>

static inline unsigned
height(const struct iommu_node *t)
{
	return t ? t->height : 0;
}

static inline void
fix_height(struct iommu_node *t)
{
	unsigned l = height(t->left), r = height(t->right);

	t->height = (uint8_t)((l > r ? l : r) + 1);
}

static struct iommu_node *
rotate_right(struct iommu_node *t)
{
	struct iommu_node *l = t->left;

	t->left = l->right;
	l->right = t;
	fix_height(t);
	fix_height(l);
	return l;
}

static struct iommu_node *
rotate_left(struct iommu_node *t)
{
	struct iommu_node *r = t->right;

	t->right = r->left;
	r->left = t;
	fix_height(t);
	fix_height(r);
	return r;
}

/* Restores |balance| <= 1 at t, whose subtrees are AVL trees whose heights
 * differ by at most 2; returns the subtree's new root. */
static struct iommu_node *
rebalance(struct iommu_node *t)
{
	int bf = (int)height(t->left) - (int)height(t->right);

	if (bf > 1) {
		if (height(t->left->left) < height(t->left->right))
			t->left = rotate_left(t->left);
		return rotate_right(t);
	}
	if (bf < -1) {
		if (height(t->right->right) < height(t->right->left))
			t->right = rotate_right(t->right);
		return rotate_left(t);
	}
	fix_height(t);
	return t;
}

struct iommu_node *
iommu_tree_lookup(struct iommu_node *t, uint64_t x)
{
	struct iommu_node *best = NULL;

	while (t != NULL) {
		if (t->last >= x) {
			best = t;
			t = t->left;
		} else {
			t = t->right;
		}
	}
	return best;
}

static struct iommu_node *
insert(struct iommu_node *t, struct iommu_node *n)
{
	if (t == NULL)
		return n;
	if (n->first < t->first)
		t->left = insert(t->left, n);
	else
		t->right = insert(t->right, n);
	return rebalance(t);
}

void
iommu_tree_insert(struct iommu_node **root, struct iommu_node *n)
{
	n->left = n->right = NULL;
	n->height = 1;
	*root = insert(*root, n);
}

static struct iommu_node *
remove_min(struct iommu_node *t, struct iommu_node **min)
{
	if (t->left == NULL) {
		*min = t;
		return t->right;
	}
	t->left = remove_min(t->left, min);
	return rebalance(t);
}

static struct iommu_node *
remove_key(struct iommu_node *t, uint64_t first, struct iommu_node **out)
{
	struct iommu_node *succ;

	if (t == NULL)
		return NULL;
	if (first < t->first) {
		t->left = remove_key(t->left, first, out);
	} else if (first > t->first) {
		t->right = remove_key(t->right, first, out);
	} else {
		*out = t;
		if (t->left == NULL)
			return t->right;
		if (t->right == NULL)
			return t->left;
		t->right = remove_min(t->right, &succ);
		succ->left = t->left;
		succ->right = t->right;
		t = succ;
	}
	return rebalance(t);
}

struct iommu_node *
iommu_tree_remove(struct iommu_node **root, uint64_t first)
{
	struct iommu_node *out = NULL;

	*root = remove_key(*root, first, &out);
	if (out != NULL)
		out->left = out->right = NULL;
	return out;
}

unsigned
iommu_tree_height(const struct iommu_node *root)
{
	return height(root);
}

int
iommu_tree_walk(const struct iommu_node *t, iommu_as_visit_fn fn, void *arg)
{
	struct iommu_mapping m;
	int rc;

	if (t == NULL)
		return 0;
	rc = iommu_tree_walk(t->left, fn, arg);
	if (rc != 0)
		return rc;
	m.iova = t->first;
	m.size = t->last - t->first + 1;
	m.target = t->target;
	m.perm = t->perm;
	rc = fn(&m, arg);
	if (rc != 0)
		return rc;
	return iommu_tree_walk(t->right, fn, arg);
}

void
iommu_tree_free(struct iommu_node *t)
{
	while (t != NULL) {
		struct iommu_node *r = t->right;

		iommu_tree_free(t->left);
		free(t);
		t = r;
	}
}
