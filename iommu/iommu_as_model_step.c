/* Drives struct iommu_as and its linear model (iommu_as_model.c) with the
 * same operation, decoded from 16 bytes, and compares what they answer and
 * what they hold. Addresses are drawn from small windows (low memory, around
 * the x86 MSI hole, the top of the 64-bit space, 2 MiB steps) so that random
 * bytes collide, touch and overlap often. */
#include "iommu_as_model.h"
#include "iommu_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG  UINT64_C(0x1000)
#define MSI UINT64_C(0xfee00000)

enum op_kind {
	OP_MAP,
	OP_UNMAP,
	OP_INVAL,
	OP_REPLACE,
	OP_XLATE,
	OP_FIND,
	OP_FIND_FREE,
	OP_ALLOC,
	OP_FREE
};

static const struct iommu_range x86_48[] = {{0, MSI - 1}, {0xfef00000, (UINT64_C(1) << 48) - 1}};
static const struct iommu_range x86_top[] = {{0xfef00000, UINT64_MAX}, {0, MSI - 1}};
static const struct iommu_range scattered[] = {
	{0x100000, 0x1fffff},	  {0, 0xfffff},		{0xfe000000, 0xfedfffff},
	{0xfe800000, 0xfeffffff}, {0x300000, 0x3fffff}, {UINT64_MAX - 0xfffff, UINT64_MAX},
};

void
iommu_model_config(unsigned sel, struct iommu_as_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	switch (sel % IOMMU_MODEL_CONFIGS) {
	case 0: /* the vhost-user IOTLB: everything, byte granular */
		break;
	case 1:
		cfg->pgsize_bitmap = PG;
		cfg->max_mappings = 16;
		break;
	case 2: /* an Intel IOMMU with 48-bit IOVAs */
		cfg->valid = x86_48;
		cfg->n_valid = 2;
		cfg->pgsize_bitmap = PG | (PG << 9) | (PG << 18);
		break;
	case 3:
		cfg->valid = x86_top;
		cfg->n_valid = 2;
		cfg->max_mappings = 32;
		break;
	default:
		cfg->valid = scattered;
		cfg->n_valid = sizeof(scattered) / sizeof(scattered[0]);
		cfg->pgsize_bitmap = PG;
		cfg->max_mappings = 64;
		break;
	}
}

static uint64_t
decode_addr(uint8_t cls, uint16_t v)
{
	switch (cls % 8) {
	case 2:
		return MSI + (v & 0xff) * PG - 128 * PG;
	case 3:
		return 0 - ((uint64_t)(v & 0xff) + 1) * PG;
	case 4: /* unaligned */
		return (v & 0xff) * PG + (v >> 8);
	case 5:
		return (uint64_t)(v & 0x3f) << 21;
	case 6: /* the last byte of a page */
		return ((uint64_t)(v & 0x3ff) + 1) * PG - 1;
	default:
		return (v & 0x3ff) * PG;
	}
}

static uint64_t
decode_size(uint8_t cls, uint16_t v)
{
	switch (cls % 8) {
	case 2:
		return (v & 0x3ff) * PG; /* may be 0 */
	case 3:
		return v; /* bytes, may be 0 */
	case 4:
		return ((uint64_t)(v & 7) + 1) << 21;
	case 5: /* one byte into the next page */
		return ((uint64_t)(v & 0x3f) + 1) * PG + 1;
	case 7:
		return UINT64_MAX - v; /* wraps nearly always */
	default:
		return ((uint64_t)(v & 0x3f) + 1) * PG;
	}
}

static uint64_t
decode_target(const uint8_t *b)
{
	uint64_t t = 0;

	for (int i = 6; i >= 0; i--)
		t = t << 8 | b[i];
	switch (b[0] & 7) {
	case 6:
		return (t & ~(PG - 1)) + 1; /* unaligned */
	case 7:
		return 0 - (((t >> 8) & 0xff) + 1) * PG; /* near the top: may wrap */
	default:
		return t & ~(PG - 1);
	}
}

static uint64_t
decode_align(uint8_t b)
{
	if (b == 0xff)
		return 3; /* not a power of two */
	return (b & 7) ? UINT64_C(1) << (12 + 3 * ((b & 7) - 1)) : 0;
}

struct op {
	enum op_kind kind;
	uint64_t iova, size, target, align;
	unsigned perm, xperm;
	bool near; /* free: the mapping holding or above iova, not iova */
};

static void
decode(const uint8_t *b, struct op *op)
{
	static const enum op_kind kinds[IOMMU_MODEL_OPS] = {
		OP_MAP,	  OP_UNMAP,	OP_INVAL, OP_REPLACE, OP_XLATE, OP_FIND,
		OP_XLATE, OP_FIND_FREE, OP_ALLOC, OP_FREE,    OP_MAP,	OP_MAP,
	};

	op->kind = kinds[b[0] % IOMMU_MODEL_OPS];
	op->iova = decode_addr(b[1], (uint16_t)(b[2] | b[3] << 8));
	op->size = decode_size(b[4], (uint16_t)(b[5] | b[6] << 8));
	/* mostly valid permissions; 0 or an unknown bit now and then */
	op->perm = (b[7] & 3) ? (b[7] & 3) : (b[7] & 0x10) ? 0 : IOMMU_PERM_RW;
	op->perm |= (b[7] & 0xe0) == 0xe0 ? 4 : 0;
	op->xperm = ((b[7] >> 2) & 3) ? ((b[7] >> 2) & 3) : (b[7] & 0x20) ? 0 : IOMMU_PERM_READ;
	op->xperm |= (b[7] & 0xd0) == 0xd0 ? 8 : 0;
	op->align = decode_align(b[8]);
	op->near = b[8] & 0x40;
	op->target = decode_target(&b[9]);
}

__attribute__((format(printf, 4, 5))) static int
differ(const struct op *op, char *why, size_t why_len, const char *fmt, ...)
{
	static const char *names[] = {"map",  "unmap",	   "invalidate", "replace", "translate",
				      "find", "find_free", "alloc",	 "free"};
	va_list ap;
	int k;

	k = snprintf(why, why_len,
		     "%s(iova %#llx, size %#llx, target %#llx, perm %u/%u, "
		     "align %#llx): ",
		     names[op->kind], (unsigned long long)op->iova, (unsigned long long)op->size,
		     (unsigned long long)op->target, op->perm, op->xperm,
		     (unsigned long long)op->align);
	if (k >= 0 && (size_t)k < why_len) {
		va_start(ap, fmt);
		vsnprintf(why + k, why_len - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static bool
same_mapping(const struct iommu_mapping *a, const struct iommu_mapping *b)
{
	return a->iova == b->iova && a->size == b->size && a->target == b->target &&
	       a->perm == b->perm;
}

#define DIFFER(...) differ(op, why, why_len, __VA_ARGS__)

/* The operations with a 64-bit result besides the return code. */
static int
step_u64(struct iommu_model *md, struct iommu_as *as, const struct op *op, char *why,
	 size_t why_len)
{
	uint64_t r1 = 0, r2 = 0;
	int rc1, rc2;

	switch (op->kind) {
	case OP_UNMAP:
		rc1 = iommu_as_unmap(as, op->iova, op->size, &r1);
		rc2 = iommu_model_unmap(md, op->iova, op->size, &r2);
		break;
	case OP_INVAL:
		rc1 = iommu_as_invalidate(as, op->iova, op->size, &r1);
		rc2 = iommu_model_invalidate(md, op->iova, op->size, &r2);
		break;
	case OP_FIND_FREE:
		rc1 = iommu_as_find_free(as, op->size, op->align, &r1);
		rc2 = iommu_model_find_free(md, op->size, op->align, &r2);
		break;
	case OP_ALLOC:
		rc1 = iommu_as_alloc(as, op->size, op->align, op->target, op->perm, &r1);
		rc2 = iommu_model_alloc(md, op->size, op->align, op->target, op->perm, &r2);
		break;
	default: { /* OP_FREE: at iova, or at the mapping holding or above it */
		struct iommu_mapping m;
		uint64_t at = op->iova;

		if (op->near && iommu_model_find(md, op->iova, &m) == 0)
			at = m.iova;
		rc1 = iommu_as_free(as, at, &r1);
		rc2 = iommu_model_free(md, at, &r2);
		break;
	}
	}
	if (rc1 != rc2)
		return DIFFER("returned %d, the model %d", rc1, rc2);
	if (rc1 == 0 && r1 != r2)
		return DIFFER("answered %#llx, the model %#llx", (unsigned long long)r1,
			      (unsigned long long)r2);
	return 0;
}

static int
step_lookup(struct iommu_model *md, struct iommu_as *as, const struct op *op, char *why,
	    size_t why_len)
{
	struct iommu_mapping m1 = {0}, m2 = {0};
	uint64_t len1 = op->size, len2 = op->size, t1 = 0, t2 = 0;
	int rc1, rc2;

	if (op->kind == OP_XLATE) {
		rc1 = iommu_as_translate(as, op->iova, &len1, op->xperm, &t1);
		rc2 = iommu_model_translate(md, op->iova, &len2, op->xperm, &t2);
		if (rc1 == 0 && rc1 == rc2 && (t1 != t2 || len1 != len2))
			return DIFFER("gave %#llx+%#llx, the model %#llx+%#llx",
				      (unsigned long long)t1, (unsigned long long)len1,
				      (unsigned long long)t2, (unsigned long long)len2);
	} else {
		rc1 = iommu_as_find(as, op->iova, &m1);
		rc2 = iommu_model_find(md, op->iova, &m2);
		if (rc1 == 0 && rc1 == rc2 && !same_mapping(&m1, &m2))
			return DIFFER("found %#llx+%#llx, the model %#llx+%#llx",
				      (unsigned long long)m1.iova, (unsigned long long)m1.size,
				      (unsigned long long)m2.iova, (unsigned long long)m2.size);
	}
	if (rc1 != rc2)
		return DIFFER("returned %d, the model %d", rc1, rc2);
	return 0;
}

int
iommu_model_step(struct iommu_model *md, struct iommu_as *as, const uint8_t b[IOMMU_MODEL_OP_SIZE],
		 char *why, size_t why_len)
{
	struct op decoded, *op = &decoded;
	int rc1, rc2;

	decode(b, op);
	switch (op->kind) {
	case OP_MAP:
		rc1 = iommu_as_map(as, op->iova, op->size, op->target, op->perm);
		rc2 = iommu_model_map(md, op->iova, op->size, op->target, op->perm);
		break;
	case OP_REPLACE:
		rc1 = iommu_as_replace(as, op->iova, op->size, op->target, op->perm);
		rc2 = iommu_model_replace(md, op->iova, op->size, op->target, op->perm);
		break;
	case OP_XLATE:
	case OP_FIND:
		return step_lookup(md, as, op, why, why_len);
	default:
		return step_u64(md, as, op, why, why_len);
	}
	if (rc1 != rc2)
		return DIFFER("returned %d, the model %d", rc1, rc2);
	return 0;
}

static int
cmp_mapping(const void *a, const void *b)
{
	const struct iommu_mapping *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

struct collect {
	struct iommu_mapping *m;
	size_t n, cap;
};

static int
collect_one(const struct iommu_mapping *m, void *arg)
{
	struct collect *c = arg;

	if (c->n == c->cap)
		return -E2BIG;
	c->m[c->n++] = *m;
	return 0;
}

/* The fewest nodes an AVL tree of height h holds: N(h) = N(h-1) + N(h-2) + 1. */
static uint64_t
avl_min_nodes(unsigned h)
{
	uint64_t a = 0, b = 1; /* N(0), N(1) */

	if (h == 0)
		return 0;
	for (unsigned i = 1; i < h && b < UINT64_MAX / 2; i++) {
		uint64_t c = a + b + 1;

		a = b;
		b = c;
	}
	return b;
}

static int
compare_stats(const struct iommu_model *md, const struct iommu_as *as, char *why, size_t why_len)
{
	struct iommu_as_stats s, want = md->st;
	uint64_t bytes = 0;
	bool sat = false;

	for (size_t i = 0; i < md->n; i++) {
		sat |= bytes > UINT64_MAX - md->m[i].size;
		bytes += md->m[i].size;
	}
	iommu_as_get_stats(as, &s);
	want.mappings = md->n;
	want.mapped_bytes = sat ? UINT64_MAX : bytes;
	if (s.mappings != want.mappings || s.mapped_bytes != want.mapped_bytes ||
	    s.maps != want.maps || s.maps_refused != want.maps_refused ||
	    s.unmapped != want.unmapped || s.splits != want.splits || s.trims != want.trims ||
	    s.overdrops != want.overdrops) {
		snprintf(why, why_len,
			 "stats differ: %llu mappings %#llx bytes, maps %llu/%llu unmapped %llu "
			 "splits %llu trims %llu overdrops %llu; the model %llu %#llx, %llu/%llu "
			 "%llu %llu %llu %llu",
			 (unsigned long long)s.mappings, (unsigned long long)s.mapped_bytes,
			 (unsigned long long)s.maps, (unsigned long long)s.maps_refused,
			 (unsigned long long)s.unmapped, (unsigned long long)s.splits,
			 (unsigned long long)s.trims, (unsigned long long)s.overdrops,
			 (unsigned long long)want.mappings, (unsigned long long)want.mapped_bytes,
			 (unsigned long long)want.maps, (unsigned long long)want.maps_refused,
			 (unsigned long long)want.unmapped, (unsigned long long)want.splits,
			 (unsigned long long)want.trims, (unsigned long long)want.overdrops);
		return -1;
	}
	if (avl_min_nodes(s.tree_height) > md->n) {
		snprintf(why, why_len, "tree height %u for %zu mappings", s.tree_height, md->n);
		return -1;
	}
	return 0;
}

int
iommu_model_compare(const struct iommu_model *md, const struct iommu_as *as, char *why,
		    size_t why_len)
{
	struct collect c = {.cap = md->n};
	struct iommu_mapping *want;
	int rc = -1;

	if (iommu_as_check(as, why, why_len) != 0)
		return -1;
	c.m = calloc(md->n + 1, sizeof(*c.m));
	want = calloc(md->n + 1, sizeof(*want));
	if (c.m == NULL || want == NULL) {
		snprintf(why, why_len, "out of memory");
		goto out;
	}
	if (md->n > 0)
		memcpy(want, md->m, md->n * sizeof(*want));
	qsort(want, md->n, sizeof(*want), cmp_mapping);
	if (iommu_as_foreach(as, collect_one, &c) != 0 || c.n != md->n) {
		snprintf(why, why_len, "%s mappings, the model %zu",
			 c.n == md->n ? "more" : "fewer", md->n);
		goto out;
	}
	for (size_t i = 0; i < md->n; i++)
		if (!same_mapping(&c.m[i], &want[i])) {
			snprintf(why, why_len,
				 "mapping %zu: %#llx+%#llx->%#llx/%u, the model "
				 "%#llx+%#llx->%#llx/%u",
				 i, (unsigned long long)c.m[i].iova,
				 (unsigned long long)c.m[i].size, (unsigned long long)c.m[i].target,
				 c.m[i].perm, (unsigned long long)want[i].iova,
				 (unsigned long long)want[i].size,
				 (unsigned long long)want[i].target, want[i].perm);
			goto out;
		}
	rc = compare_stats(md, as, why, why_len);
out:
	free(c.m);
	free(want);
	return rc;
}
