/* The linear reference for iommu_as (iommu_as_model.h): an unsorted array of
 * mappings, the usable ranges exactly as given, every answer by scanning.
 * Used by iommu_as_test.c and tests/fuzz/fuzz_iommu_as.c. */
#include "iommu_as_model.h"
#include "iommu_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
iommu_model_init(struct iommu_model *md, const struct iommu_as_config *cfg)
{
	static const struct iommu_range all = {0, UINT64_MAX};

	memset(md, 0, sizeof(*md));
	md->n_valid = cfg->n_valid ? cfg->n_valid : 1;
	md->valid = malloc(md->n_valid * sizeof(*md->valid));
	if (md->valid == NULL)
		return -ENOMEM;
	memcpy(md->valid, cfg->n_valid ? cfg->valid : &all, md->n_valid * sizeof(*md->valid));
	for (uint64_t p = 1; p != 0; p <<= 1) /* the smallest page */
		if (cfg->pgsize_bitmap & p) {
			md->pgmask = p - 1;
			break;
		}
	md->max_mappings = cfg->max_mappings;
	return 0;
}

void
iommu_model_fini(struct iommu_model *md)
{
	free(md->m);
	free(md->valid);
	memset(md, 0, sizeof(*md));
}

static uint64_t
m_last(const struct iommu_mapping *m)
{
	return m->iova + (m->size - 1);
}

static bool
overlaps(const struct iommu_mapping *m, uint64_t a, uint64_t b)
{
	return m->iova <= b && m_last(m) >= a;
}

/* Is every byte of [a, b] in the union of the usable ranges? */
static bool
covered(const struct iommu_model *md, uint64_t a, uint64_t b)
{
	for (uint64_t pos = a;;) {
		uint64_t reach = 0;
		bool in = false;

		for (size_t i = 0; i < md->n_valid; i++)
			if (md->valid[i].start <= pos && md->valid[i].end >= pos &&
			    (!in || md->valid[i].end > reach)) {
				reach = md->valid[i].end;
				in = true;
			}
		if (!in)
			return false;
		if (reach >= b)
			return true;
		pos = reach + 1;
	}
}

static int
m_check_args(const struct iommu_model *md, uint64_t iova, uint64_t size, uint64_t target,
	     unsigned perm)
{
	uint64_t lo = UINT64_MAX, hi = 0;

	if (size == 0 || perm == 0 || perm > 3 || iova % (md->pgmask + 1) ||
	    size % (md->pgmask + 1) || target % (md->pgmask + 1))
		return -EINVAL;
	if (iova + (size - 1) < iova || target + (size - 1) < target)
		return -EOVERFLOW;
	for (size_t i = 0; i < md->n_valid; i++) {
		lo = md->valid[i].start < lo ? md->valid[i].start : lo;
		hi = md->valid[i].end > hi ? md->valid[i].end : hi;
	}
	if (iova < lo || iova + (size - 1) > hi)
		return -ERANGE;
	if (!covered(md, iova, iova + (size - 1)))
		return -EADDRNOTAVAIL;
	return 0;
}

static int
m_insert(struct iommu_model *md, uint64_t iova, uint64_t size, uint64_t target, unsigned perm)
{
	for (size_t i = 0; i < md->n; i++)
		if (overlaps(&md->m[i], iova, iova + (size - 1)))
			return -EEXIST;
	if (md->max_mappings && md->n >= md->max_mappings)
		return -ENOSPC;
	if (md->n == md->cap) {
		size_t cap = md->cap ? 2 * md->cap : 16;
		struct iommu_mapping *m = realloc(md->m, cap * sizeof(*m));

		if (m == NULL)
			return -ENOMEM;
		md->m = m;
		md->cap = cap;
	}
	md->m[md->n++] = (struct iommu_mapping){iova, size, target, perm};
	return 0;
}

int
iommu_model_map(struct iommu_model *md, uint64_t iova, uint64_t size, uint64_t target,
		unsigned perm)
{
	int rc = m_check_args(md, iova, size, target, perm);

	if (rc == 0)
		rc = m_insert(md, iova, size, target, perm);
	if (rc == 0)
		md->st.maps++;
	else
		md->st.maps_refused++;
	return rc;
}

static void
m_remove(struct iommu_model *md, size_t i)
{
	md->m[i] = md->m[--md->n];
	md->st.unmapped++;
}

int
iommu_model_unmap(struct iommu_model *md, uint64_t iova, uint64_t size, uint64_t *unmapped)
{
	uint64_t last = iova + (size - 1), bytes = 0;

	if (size == 0 || iova % (md->pgmask + 1) || size % (md->pgmask + 1))
		return -EINVAL;
	if (last < iova)
		return -EOVERFLOW;
	for (size_t i = 0; i < md->n; i++) /* would split one */
		if (overlaps(&md->m[i], iova, last) &&
		    (md->m[i].iova < iova || m_last(&md->m[i]) > last))
			return -EINVAL;
	for (size_t i = 0; i < md->n;) {
		if (overlaps(&md->m[i], iova, last)) {
			bytes += md->m[i].size;
			m_remove(md, i);
		} else {
			i++;
		}
	}
	*unmapped = bytes;
	return 0;
}

/* m holds [a, b] strictly inside: cut it, or drop the top at the limit. */
static uint64_t
m_split(struct iommu_model *md, size_t i, uint64_t a, uint64_t b)
{
	struct iommu_mapping old = md->m[i];
	uint64_t off = b + 1 - old.iova;

	md->m[i].size = a - old.iova;
	if ((md->max_mappings && md->n >= md->max_mappings) ||
	    m_insert(md, b + 1, old.size - off, old.target + off, old.perm) != 0) {
		md->st.overdrops++;
		md->st.trims++;
		return m_last(&old) - a + 1;
	}
	md->st.splits++;
	return b - a + 1;
}

int
iommu_model_invalidate(struct iommu_model *md, uint64_t iova, uint64_t size, uint64_t *removed)
{
	uint64_t last = iova + (size - 1), bytes = 0;

	if (size == 0)
		return -EINVAL;
	if (last < iova)
		return -EOVERFLOW;
	for (size_t i = 0; i < md->n;) {
		struct iommu_mapping *m = &md->m[i];

		if (!overlaps(m, iova, last)) {
			i++;
		} else if (m->iova < iova && m_last(m) > last) {
			bytes += m_split(md, i, iova, last);
			break; /* the only one */
		} else if (m->iova < iova) {
			bytes += m_last(m) - iova + 1;
			m->size = iova - m->iova;
			md->st.trims++;
			i++;
		} else if (m_last(m) > last) {
			uint64_t cut = last + 1 - m->iova;

			bytes += cut;
			m->iova += cut;
			m->target += cut;
			m->size -= cut;
			md->st.trims++;
			i++;
		} else {
			bytes += m->size;
			m_remove(md, i);
		}
	}
	*removed = bytes;
	return 0;
}

int
iommu_model_replace(struct iommu_model *md, uint64_t iova, uint64_t size, uint64_t target,
		    unsigned perm)
{
	uint64_t removed;
	int rc = m_check_args(md, iova, size, target, perm);

	if (rc == 0) {
		iommu_model_invalidate(md, iova, size, &removed);
		rc = m_insert(md, iova, size, target, perm);
	}
	if (rc == 0)
		md->st.maps++;
	else
		md->st.maps_refused++;
	return rc;
}

int
iommu_model_translate(const struct iommu_model *md, uint64_t iova, uint64_t *len, unsigned perm,
		      uint64_t *target)
{
	if (*len == 0 || perm == 0 || perm > 3)
		return -EINVAL;
	for (size_t i = 0; i < md->n; i++) {
		const struct iommu_mapping *m = &md->m[i];

		if (!overlaps(m, iova, iova))
			continue;
		if ((m->perm & perm) != perm)
			return -EACCES;
		*target = m->target + (iova - m->iova);
		if (*len > m_last(m) - iova + 1)
			*len = m_last(m) - iova + 1;
		return 0;
	}
	return -ENOENT;
}

int
iommu_model_find(const struct iommu_model *md, uint64_t iova, struct iommu_mapping *out)
{
	const struct iommu_mapping *best = NULL;

	for (size_t i = 0; i < md->n; i++)
		if (m_last(&md->m[i]) >= iova && (best == NULL || md->m[i].iova < best->iova))
			best = &md->m[i];
	if (best == NULL)
		return -ENOENT;
	*out = *best;
	return 0;
}

static bool
m_fits(const struct iommu_model *md, uint64_t c, uint64_t size)
{
	if (c + (size - 1) < c || !covered(md, c, c + (size - 1)))
		return false;
	for (size_t i = 0; i < md->n; i++)
		if (overlaps(&md->m[i], c, c + (size - 1)))
			return false;
	return true;
}

/* The lowest fit is the rounded-up start of a usable range or the rounded-up
 * end of a mapping (a lower one would still fit one alignment step down). */
int
iommu_model_find_free(const struct iommu_model *md, uint64_t size, uint64_t align, uint64_t *iova)
{
	uint64_t a = md->pgmask + 1, best = 0;
	bool found = false;

	if (size == 0 || size % (md->pgmask + 1) || (align & (align - 1)))
		return -EINVAL;
	a = align > a ? align : a;
	for (size_t i = 0; i < md->n_valid + md->n; i++) {
		uint64_t c =
			i < md->n_valid ? md->valid[i].start : m_last(&md->m[i - md->n_valid]) + 1;

		if (i >= md->n_valid && c == 0)
			continue; /* a mapping ending at 2^64 - 1 */
		if (c % a) {
			if (c > UINT64_MAX - (a - c % a))
				continue;
			c += a - c % a;
		}
		if ((!found || c < best) && m_fits(md, c, size)) {
			best = c;
			found = true;
		}
	}
	if (!found)
		return -ENOSPC;
	*iova = best;
	return 0;
}

int
iommu_model_alloc(struct iommu_model *md, uint64_t size, uint64_t align, uint64_t target,
		  unsigned perm, uint64_t *iova)
{
	uint64_t at;
	int rc = iommu_model_find_free(md, size, align, &at);

	if (rc != 0) {
		md->st.maps_refused++;
		return rc;
	}
	rc = iommu_model_map(md, at, size, target, perm);
	if (rc == 0)
		*iova = at;
	return rc;
}

int
iommu_model_free(struct iommu_model *md, uint64_t iova, uint64_t *size)
{
	for (size_t i = 0; i < md->n; i++)
		if (md->m[i].iova == iova) {
			*size = md->m[i].size;
			m_remove(md, i);
			return 0;
		}
	return -ENOENT;
}
