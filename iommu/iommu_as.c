/* An IO address space (iommu.h): the usable ranges, map with its refusals,
 * VFIO type1v2 unmap, IOTLB invalidate and replace, translate, iteration and
 * the self-check. The mappings live in the AVL tree of iommu_tree.c; the
 * allocator that finds holes in them is iova_alloc.c. */
#include "iommu_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALID_RANGES (1u << 20)

static int
cmp_range(const void *a, const void *b)
{
	const struct iommu_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sorts 'v' and merges overlapping and adjacent ranges in place; returns the
 * count left. */
static size_t
merge_ranges(struct iommu_range *v, size_t n)
{
	size_t out = 0;

	qsort(v, n, sizeof(*v), cmp_range);
	for (size_t i = 1; i < n; i++) {
		if (v[out].end == UINT64_MAX || v[i].start <= v[out].end + 1) {
			if (v[i].end > v[out].end)
				v[out].end = v[i].end;
		} else {
			v[++out] = v[i];
		}
	}
	return out + 1;
}

int
iommu_as_create(const struct iommu_as_config *cfg, struct iommu_as **out)
{
	static const struct iommu_range all = {0, UINT64_MAX};
	const struct iommu_range *src;
	struct iommu_as *as;
	size_t n;

	if (cfg == NULL || (cfg->valid == NULL && cfg->n_valid > 0) ||
	    cfg->n_valid > MAX_VALID_RANGES)
		return -EINVAL;
	src = cfg->n_valid ? cfg->valid : &all;
	n = cfg->n_valid ? cfg->n_valid : 1;
	for (size_t i = 0; i < n; i++)
		if (src[i].start > src[i].end)
			return -EINVAL;
	as = calloc(1, sizeof(*as));
	if (as == NULL)
		return -ENOMEM;
	as->valid = malloc(n * sizeof(*as->valid));
	if (as->valid == NULL)
		goto err_free_as;
	memcpy(as->valid, src, n * sizeof(*as->valid));
	as->n_valid = merge_ranges(as->valid, n);
	/* The lowest set bit: the smallest page. */
	as->pgmask = cfg->pgsize_bitmap ? (cfg->pgsize_bitmap & -cfg->pgsize_bitmap) - 1 : 0;
	as->max_mappings = cfg->max_mappings;
	*out = as;
	return 0;

err_free_as:
	free(as);
	return -ENOMEM;
}

void
iommu_as_destroy(struct iommu_as *as)
{
	if (as == NULL)
		return;
	iommu_tree_free(as->root);
	free(as->valid);
	free(as);
}

uint64_t
iommu_as_page_size(const struct iommu_as *as)
{
	return as->pgmask + 1;
}

const struct iommu_range *
iommu_as_valid_ranges(const struct iommu_as *as, size_t *n)
{
	*n = as->n_valid;
	return as->valid;
}

static inline bool
perm_is_valid(unsigned perm)
{
	return perm != 0 && (perm & ~(unsigned)IOMMU_PERM_RW) == 0;
}

/* The usable range holding x, by binary search, or NULL. */
static const struct iommu_range *
valid_range_of(const struct iommu_as *as, uint64_t x)
{
	size_t lo = 0, hi = as->n_valid;

	while (lo < hi) { /* the first range starting above x is at 'lo' */
		size_t mid = lo + (hi - lo) / 2;

		if (as->valid[mid].start <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || as->valid[lo - 1].end < x)
		return NULL;
	return &as->valid[lo - 1];
}

/* Every check of iommu_as_map() that does not look at the mappings. */
static int
map_check_args(const struct iommu_as *as, uint64_t iova, uint64_t size, uint64_t target,
	       unsigned perm)
{
	const struct iommu_range *r;
	uint64_t last;

	if (size == 0 || !perm_is_valid(perm) || ((iova | size | target) & as->pgmask))
		return -EINVAL;
	if (size - 1 > UINT64_MAX - iova || size - 1 > UINT64_MAX - target)
		return -EOVERFLOW;
	last = iova + (size - 1);
	if (iova < as->valid[0].start || last > as->valid[as->n_valid - 1].end)
		return -ERANGE;
	r = valid_range_of(as, iova);
	if (r == NULL || r->end < last)
		return -EADDRNOTAVAIL;
	return 0;
}

/* The checks against the mappings, then the insertion. */
static int
map_insert(struct iommu_as *as, uint64_t iova, uint64_t last, uint64_t target, unsigned perm)
{
	struct iommu_node *n = iommu_tree_lookup(as->root, iova);

	if (n != NULL && n->first <= last)
		return -EEXIST;
	if (as->max_mappings && as->n >= as->max_mappings)
		return -ENOSPC;
	n = malloc(sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	n->first = iova;
	n->last = last;
	n->target = target;
	n->perm = (uint8_t)perm;
	iommu_tree_insert(&as->root, n);
	as->n++;
	as->span_sum += last - iova;
	return 0;
}

int
iommu_as_map(struct iommu_as *as, uint64_t iova, uint64_t size, uint64_t target, unsigned perm)
{
	int rc = map_check_args(as, iova, size, target, perm);

	if (rc == 0)
		rc = map_insert(as, iova, iova + (size - 1), target, perm);
	if (rc == 0)
		as->st.maps++;
	else
		as->st.maps_refused++;
	return rc;
}

void
iommu_as_remove_node(struct iommu_as *as, struct iommu_node *n)
{
	as->n--;
	as->span_sum -= n->last - n->first;
	as->st.unmapped++;
	free(iommu_tree_remove(&as->root, n->first));
}

int
iommu_as_unmap(struct iommu_as *as, uint64_t iova, uint64_t size, uint64_t *unmapped)
{
	struct iommu_node *n;
	uint64_t last, bytes = 0;

	if (size == 0 || ((iova | size) & as->pgmask))
		return -EINVAL;
	if (size - 1 > UINT64_MAX - iova)
		return -EOVERFLOW;
	last = iova + (size - 1);
	/* type1v2: neither end may fall strictly inside a mapping. */
	n = iommu_tree_lookup(as->root, iova);
	if (n != NULL && n->first < iova)
		return -EINVAL;
	n = iommu_tree_lookup(as->root, last);
	if (n != NULL && n->first <= last && n->last > last)
		return -EINVAL;
	while ((n = iommu_tree_lookup(as->root, iova)) != NULL && n->first <= last) {
		bytes += n->last - n->first + 1;
		iommu_as_remove_node(as, n);
	}
	if (unmapped != NULL)
		*unmapped = bytes;
	return 0;
}

/* n holds [a, b] strictly inside it: cut it into what is below and what is
 * above. Without a node to spare (limit, memory), the part above goes too.
 * Returns the bytes removed. */
static uint64_t
split_node(struct iommu_as *as, struct iommu_node *n, uint64_t a, uint64_t b)
{
	struct iommu_node *hi = NULL;
	uint64_t removed;

	if (!as->max_mappings || as->n < as->max_mappings)
		hi = malloc(sizeof(*hi));
	as->span_sum -= n->last - n->first;
	if (hi != NULL) {
		hi->first = b + 1;
		hi->last = n->last;
		hi->target = n->target + (b + 1 - n->first);
		hi->perm = n->perm;
		iommu_tree_insert(&as->root, hi);
		as->n++;
		as->span_sum += hi->last - hi->first;
		as->st.splits++;
		removed = b - a + 1;
	} else {
		as->st.overdrops++;
		as->st.trims++;
		removed = n->last - a + 1;
	}
	n->last = a - 1; /* the key stays: the tree's order holds */
	as->span_sum += n->last - n->first;
	return removed;
}

/* The overlapping mapping n starts below a: keep [n->first, a - 1]. */
static uint64_t
trim_top(struct iommu_as *as, struct iommu_node *n, uint64_t a)
{
	uint64_t removed = n->last - a + 1;

	as->span_sum -= removed;
	n->last = a - 1;
	as->st.trims++;
	return removed;
}

/* The overlapping mapping n ends above b: keep [b + 1, n->last]. Moving the
 * key up keeps the order: the next mapping starts above n->last. */
static uint64_t
trim_bottom(struct iommu_as *as, struct iommu_node *n, uint64_t b)
{
	uint64_t removed = b - n->first + 1;

	as->span_sum -= removed;
	n->target += removed;
	n->first = b + 1;
	as->st.trims++;
	return removed;
}

int
iommu_as_invalidate(struct iommu_as *as, uint64_t iova, uint64_t size, uint64_t *removed)
{
	struct iommu_node *n;
	uint64_t last, bytes = 0;

	if (size == 0)
		return -EINVAL;
	if (size - 1 > UINT64_MAX - iova)
		return -EOVERFLOW;
	last = iova + (size - 1);
	n = iommu_tree_lookup(as->root, iova);
	if (n != NULL && n->first < iova) {
		if (n->last > last) {
			bytes = split_node(as, n, iova, last);
			goto out;
		}
		bytes += trim_top(as, n, iova);
		n = iommu_tree_lookup(as->root, iova);
	}
	for (; n != NULL && n->first <= last; n = iommu_tree_lookup(as->root, iova)) {
		if (n->last > last) {
			bytes += trim_bottom(as, n, last);
			break;
		}
		bytes += n->last - n->first + 1;
		iommu_as_remove_node(as, n);
	}
out:
	if (removed != NULL)
		*removed = bytes;
	return 0;
}

int
iommu_as_replace(struct iommu_as *as, uint64_t iova, uint64_t size, uint64_t target, unsigned perm)
{
	int rc = map_check_args(as, iova, size, target, perm);

	if (rc == 0) {
		iommu_as_invalidate(as, iova, size, NULL);
		rc = map_insert(as, iova, iova + (size - 1), target, perm);
	}
	if (rc == 0)
		as->st.maps++;
	else
		as->st.maps_refused++;
	return rc;
}

int
iommu_as_translate(const struct iommu_as *as, uint64_t iova, uint64_t *len, unsigned perm,
		   uint64_t *target)
{
	const struct iommu_node *n;

	if (*len == 0 || !perm_is_valid(perm))
		return -EINVAL;
	n = iommu_tree_lookup(as->root, iova);
	if (n == NULL || n->first > iova)
		return -ENOENT;
	if ((n->perm & perm) != perm)
		return -EACCES;
	*target = n->target + (iova - n->first);
	if (*len - 1 > n->last - iova)
		*len = n->last - iova + 1;
	return 0;
}

int
iommu_as_find(const struct iommu_as *as, uint64_t iova, struct iommu_mapping *m)
{
	const struct iommu_node *n = iommu_tree_lookup(as->root, iova);

	if (n == NULL)
		return -ENOENT;
	m->iova = n->first;
	m->size = n->last - n->first + 1;
	m->target = n->target;
	m->perm = n->perm;
	return 0;
}

int
iommu_as_foreach(const struct iommu_as *as, iommu_as_visit_fn fn, void *arg)
{
	return iommu_tree_walk(as->root, fn, arg);
}

void
iommu_as_get_stats(const struct iommu_as *as, struct iommu_as_stats *st)
{
	*st = as->st;
	st->mappings = as->n;
	st->mapped_bytes = as->span_sum > UINT64_MAX - as->n ? UINT64_MAX : as->span_sum + as->n;
	st->tree_height = iommu_tree_height(as->root);
}

/* ---- the self-check ---- */

struct check {
	const struct iommu_as *as;
	uint64_t n, span_sum;
	char *why;
	size_t why_len;
};

__attribute__((format(printf, 2, 3))) static int
check_fail(struct check *c, const char *fmt, ...)
{
	va_list ap;

	if (c->why != NULL && c->why_len > 0) {
		va_start(ap, fmt);
		vsnprintf(c->why, c->why_len, fmt, ap);
		va_end(ap);
	}
	return -EUCLEAN;
}

/* Checks the subtree t whose mappings must lie in [lo, hi]. */
static int
check_node(struct check *c, const struct iommu_node *t, uint64_t lo, uint64_t hi)
{
	const struct iommu_range *r;
	unsigned hl, hr;
	int rc;

	if (t == NULL)
		return 0;
	if (t->first < lo || t->last > hi || t->first > t->last)
		return check_fail(c, "mapping %#llx-%#llx out of order or overlapping",
				  (unsigned long long)t->first, (unsigned long long)t->last);
	if (!perm_is_valid(t->perm) || t->last - t->first > UINT64_MAX - t->target ||
	    t->last - t->first == UINT64_MAX)
		return check_fail(c, "mapping %#llx: perm %u or target %#llx invalid",
				  (unsigned long long)t->first, t->perm,
				  (unsigned long long)t->target);
	r = valid_range_of(c->as, t->first);
	if (r == NULL || r->end < t->last)
		return check_fail(c, "mapping %#llx-%#llx outside the usable ranges",
				  (unsigned long long)t->first, (unsigned long long)t->last);
	if ((t->left != NULL && t->first == 0) || (t->right != NULL && t->last == UINT64_MAX))
		return check_fail(c, "mapping %#llx: child beyond the space",
				  (unsigned long long)t->first);
	hl = t->left ? t->left->height : 0;
	hr = t->right ? t->right->height : 0;
	if (t->height != (hl > hr ? hl : hr) + 1 || hl > hr + 1 || hr > hl + 1)
		return check_fail(c, "mapping %#llx: height %u, children %u and %u",
				  (unsigned long long)t->first, t->height, hl, hr);
	c->n++;
	c->span_sum += t->last - t->first;
	rc = t->left ? check_node(c, t->left, lo, t->first - 1) : 0;
	if (rc == 0 && t->right != NULL)
		rc = check_node(c, t->right, t->last + 1, hi);
	return rc;
}

int
iommu_as_check(const struct iommu_as *as, char *why, size_t why_len)
{
	struct check c = {.as = as, .why = why, .why_len = why_len};
	int rc;

	for (size_t i = 0; i < as->n_valid; i++)
		if (as->valid[i].start > as->valid[i].end ||
		    (i > 0 && (as->valid[i - 1].end == UINT64_MAX ||
			       as->valid[i].start <= as->valid[i - 1].end + 1)))
			return check_fail(&c, "usable range %zu not sorted and merged", i);
	rc = check_node(&c, as->root, 0, UINT64_MAX);
	if (rc != 0)
		return rc;
	if (c.n != as->n || c.span_sum != as->span_sum)
		return check_fail(&c, "%llu mappings, span %#llx; recorded %llu, %#llx",
				  (unsigned long long)c.n, (unsigned long long)c.span_sum,
				  (unsigned long long)as->n, (unsigned long long)as->span_sum);
	if (as->max_mappings && as->n > as->max_mappings)
		return check_fail(&c, "%llu mappings above the limit", (unsigned long long)as->n);
	return 0;
}
