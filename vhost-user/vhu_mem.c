/* The guest memory table (vhu_mem.h): checks the regions a front-end sends in
 * SET_MEM_TABLE / ADD_MEM_REG / REM_MEM_REG, maps their fds, and builds the
 * sorted, immutable tables that the vring code translates addresses with.
 * Control thread only; the message handlers call it, PMDs only read tables.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhu_mem.h"

static void *
mmap_map(int fd, size_t len, off_t off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

static void
mmap_unmap(void *addr, size_t len)
{
	munmap(addr, len);
}

const struct vhu_mem_ops vhu_mem_mmap_ops = {
	.map = mmap_map,
	.unmap = mmap_unmap,
};

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void
region_release(const struct vhu_mem_ops *ops, struct vhu_mem_region *r)
{
	if (r->map_base != NULL)
		ops->unmap(r->map_base, r->map_len);
	r->map_base = NULL;
	r->host = NULL;
	close_fd(&r->fd);
}

/* The region's own geometry, before anything is mapped. mmap_offset must also
 * fit off_t, which is signed. */
static int
desc_check(const struct vhu_mem_region_desc *d, uint32_t i, struct iovs_err *err)
{
	if (d->size == 0)
		return iovs_errf(err, -EINVAL, "region %" PRIu32 ": size 0", i);
	if (d->gpa > UINT64_MAX - d->size)
		return iovs_errf(err, -EINVAL,
				 "region %" PRIu32 ": guest address 0x%" PRIx64 " + size 0x%" PRIx64
				 " overflows",
				 i, d->gpa, d->size);
	if (d->uva > UINT64_MAX - d->size)
		return iovs_errf(err, -EINVAL,
				 "region %" PRIu32 ": user address 0x%" PRIx64 " + size 0x%" PRIx64
				 " overflows",
				 i, d->uva, d->size);
	if (d->size > (uint64_t)INT64_MAX || d->mmap_offset > (uint64_t)INT64_MAX - d->size)
		return iovs_errf(err, -EINVAL,
				 "region %" PRIu32 ": mmap offset 0x%" PRIx64 " + size 0x%" PRIx64
				 " overflows",
				 i, d->mmap_offset, d->size);
	return 0;
}

static void
region_from_desc(struct vhu_mem_region *r, struct vhu_mem_region_desc *d)
{
	memset(r, 0, sizeof(*r));
	r->gpa = d->gpa;
	r->size = d->size;
	r->uva = d->uva;
	r->mmap_offset = d->mmap_offset;
	r->fd = d->fd;
	d->fd = -1;
}

/* hugetlbfs reports its huge page size in st_blksize, tmpfs and memfd the
 * base page size; anything odd falls back to the base page size, and mmap
 * will refuse an offset the file system cannot map. */
static uint64_t
fd_page_size(const struct stat *st)
{
	uint64_t base = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t blk = st->st_blksize > 0 ? (uint64_t)st->st_blksize : 0;

	if (blk >= base && (blk & (blk - 1)) == 0)
		return blk;
	return base;
}

/* Maps r->fd from the page boundary at or below mmap_offset, so that a region
 * deep inside a large file does not map everything in front of it. */
static int
region_map(const struct vhu_mem_ops *ops, struct vhu_mem_region *r, struct iovs_err *err)
{
	uint64_t pg, skew, len;
	struct stat st;
	void *base;

	if (fstat(r->fd, &st) != 0)
		return iovs_errf(err, -errno, "region at 0x%" PRIx64 ": fstat: %s", r->gpa,
				 strerror(errno));
	/* Touching a shared mapping past the end of its file raises SIGBUS. */
	if (!S_ISREG(st.st_mode))
		return iovs_errf(err, -EINVAL, "region at 0x%" PRIx64 ": fd is not a regular file",
				 r->gpa);
	if ((uint64_t)st.st_size < r->mmap_offset + r->size)
		return iovs_errf(err, -EINVAL,
				 "region at 0x%" PRIx64 ": file of 0x%" PRIx64
				 " bytes is shorter than mmap offset + size 0x%" PRIx64,
				 r->gpa, (uint64_t)st.st_size, r->mmap_offset + r->size);
	pg = fd_page_size(&st);
	skew = r->mmap_offset & (pg - 1);
	if (r->size > UINT64_MAX - skew || skew + r->size > UINT64_MAX - (pg - 1))
		return iovs_errf(err, -EINVAL, "region at 0x%" PRIx64 ": mapping length overflows",
				 r->gpa);
	len = (skew + r->size + pg - 1) & ~(pg - 1);
	if (len == 0 || len > SIZE_MAX)
		return iovs_errf(err, -EINVAL,
				 "region at 0x%" PRIx64 ": mapping length 0x%" PRIx64 " unusable",
				 r->gpa, len);
	errno = 0;
	base = ops->map(r->fd, (size_t)len, (off_t)(r->mmap_offset - skew));
	if (base == NULL) {
		int rc = errno != 0 ? -errno : -ENOMEM;

		return iovs_errf(err, rc,
				 "region at 0x%" PRIx64 ": mmap of 0x%" PRIx64 " bytes: %s", r->gpa,
				 len, strerror(-rc));
	}
	r->map_base = base;
	r->map_len = (size_t)len;
	r->host = (char *)base + skew;
	return 0;
}

static struct vhu_mem *
table_alloc(const struct vhu_mem_ops *ops, uint32_t n)
{
	struct vhu_mem *m;

	m = calloc(1, sizeof(*m) + n * sizeof(m->r[0]) + n * sizeof(m->by_uva[0]));
	if (m == NULL)
		return NULL;
	m->ops = ops;
	m->n = n;
	m->by_uva = (const struct vhu_mem_region **)(void *)&m->r[n];
	return m;
}

static int
cmp_gpa(const void *a, const void *b)
{
	const struct vhu_mem_region *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

static int
cmp_uva(const void *a, const void *b)
{
	const struct vhu_mem_region *x = *(const struct vhu_mem_region *const *)a;
	const struct vhu_mem_region *y = *(const struct vhu_mem_region *const *)b;

	return x->uva < y->uva ? -1 : x->uva > y->uva;
}

/* Sorts r[] by gpa, builds by_uva, and refuses overlaps in either space. Once
 * sorted, two ranges overlap iff some range starts before its predecessor
 * ends; desc_check() made every end representable. */
static int
table_index(struct vhu_mem *m, struct iovs_err *err)
{
	uint32_t i;

	qsort(m->r, m->n, sizeof(m->r[0]), cmp_gpa);
	for (i = 0; i < m->n; i++)
		m->by_uva[i] = &m->r[i];
	qsort(m->by_uva, m->n, sizeof(m->by_uva[0]), cmp_uva);
	for (i = 1; i < m->n; i++) {
		const struct vhu_mem_region *p = &m->r[i - 1], *q = &m->r[i];

		if (q->gpa < p->gpa + p->size)
			return iovs_errf(err, -EINVAL,
					 "regions at guest addresses 0x%" PRIx64 " and 0x%" PRIx64
					 " overlap",
					 p->gpa, q->gpa);
		p = m->by_uva[i - 1];
		q = m->by_uva[i];
		if (q->uva < p->uva + p->size)
			return iovs_errf(err, -EINVAL,
					 "regions at user addresses 0x%" PRIx64 " and 0x%" PRIx64
					 " overlap",
					 p->uva, q->uva);
	}
	return 0;
}

int
vhu_mem_create(struct vhu_mem_region_desc *descs, uint32_t n, const struct vhu_mem_ops *ops,
	       struct vhu_mem **out, struct iovs_err *err)
{
	struct vhu_mem *m;
	uint32_t i;
	int rc;

	*out = NULL;
	if (ops == NULL)
		ops = &vhu_mem_mmap_ops;
	/* An empty SET_MEM_TABLE is bad input (bad-input class 10); an empty
	 * table only arises from REM_MEM_REG. */
	if (n == 0) {
		rc = iovs_errf(err, -EINVAL, "no memory regions");
		goto err_close_descs;
	}
	if (n > VHU_MEM_MAX_REGIONS) {
		rc = iovs_errf(err, -E2BIG, "%" PRIu32 " memory regions, at most %d", n,
			       VHU_MEM_MAX_REGIONS);
		goto err_close_descs;
	}
	for (i = 0; i < n; i++) {
		rc = desc_check(&descs[i], i, err);
		if (rc != 0)
			goto err_close_descs;
	}
	m = table_alloc(ops, n);
	if (m == NULL) {
		rc = iovs_errf(err, -ENOMEM, "out of memory for %" PRIu32 " regions", n);
		goto err_close_descs;
	}
	for (i = 0; i < n; i++)
		region_from_desc(&m->r[i], &descs[i]);
	/* Every check that needs no mapping comes first, so bad input maps nothing. */
	rc = table_index(m, err);
	if (rc != 0)
		goto err_destroy;
	for (i = 0; i < n; i++) {
		rc = region_map(ops, &m->r[i], err);
		if (rc != 0)
			goto err_destroy;
	}
	*out = m;
	return 0;

err_destroy:
	vhu_mem_destroy(m);
	return rc;
err_close_descs:
	for (i = 0; i < n; i++)
		close_fd(&descs[i].fd);
	return rc;
}

static bool
ranges_overlap(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
	return a < b + b_size && b < a + a_size;
}

/* Control path, at most 509 regions: a scan is simpler than a search here. */
static int
check_fits(const struct vhu_mem *old, const struct vhu_mem_region_desc *d, struct iovs_err *err)
{
	uint32_t i;

	for (i = 0; old != NULL && i < old->n; i++) {
		const struct vhu_mem_region *r = &old->r[i];

		if (ranges_overlap(r->gpa, r->size, d->gpa, d->size))
			return iovs_errf(err, -EINVAL,
					 "new region at guest address 0x%" PRIx64
					 " overlaps the region at 0x%" PRIx64,
					 d->gpa, r->gpa);
		if (ranges_overlap(r->uva, r->size, d->uva, d->size))
			return iovs_errf(err, -EINVAL,
					 "new region at user address 0x%" PRIx64
					 " overlaps the region at 0x%" PRIx64,
					 d->uva, r->uva);
	}
	return 0;
}

int
vhu_mem_add(const struct vhu_mem *old, struct vhu_mem_region_desc *d, const struct vhu_mem_ops *ops,
	    struct vhu_mem **out, struct iovs_err *err)
{
	uint32_t n = old != NULL ? old->n : 0;
	struct vhu_mem_region nr;
	struct vhu_mem *m;
	int rc;

	*out = NULL;
	if (old != NULL && ops != NULL && ops != old->ops) {
		rc = iovs_errf(err, -EINVAL, "new region must use the table's mapping ops");
		goto err_close_fd;
	}
	if (old != NULL)
		ops = old->ops;
	else if (ops == NULL)
		ops = &vhu_mem_mmap_ops;
	if (n >= VHU_MEM_MAX_REGIONS) {
		rc = iovs_errf(err, -E2BIG, "memory table already holds %d regions",
			       VHU_MEM_MAX_REGIONS);
		goto err_close_fd;
	}
	rc = desc_check(d, n, err);
	if (rc == 0)
		rc = check_fits(old, d, err);
	if (rc != 0)
		goto err_close_fd;
	region_from_desc(&nr, d);
	rc = region_map(ops, &nr, err);
	if (rc != 0)
		goto err_release;
	m = table_alloc(ops, n + 1);
	if (m == NULL) {
		rc = iovs_errf(err, -ENOMEM, "out of memory for %" PRIu32 " regions", n + 1);
		goto err_release;
	}
	if (n > 0)
		memcpy(m->r, old->r, n * sizeof(m->r[0]));
	m->r[n] = nr;
	/* Cannot fail: check_fits() and desc_check() passed. */
	table_index(m, NULL);
	*out = m;
	return 0;

err_release:
	region_release(ops, &nr);
	return rc;
err_close_fd:
	close_fd(&d->fd);
	return rc;
}

int
vhu_mem_remove(const struct vhu_mem *old, const struct vhu_mem_region_desc *d, struct vhu_mem **out,
	       struct iovs_err *err)
{
	const struct vhu_mem_region *r = vhu_mem_find_gpa(old, d->gpa);
	struct vhu_mem *m;
	uint32_t k;

	*out = NULL;
	if (r == NULL || r->gpa != d->gpa || r->size != d->size || r->uva != d->uva)
		return iovs_errf(err, -ENOENT,
				 "no region at guest address 0x%" PRIx64 " size 0x%" PRIx64
				 " user address 0x%" PRIx64,
				 d->gpa, d->size, d->uva);
	m = table_alloc(old->ops, old->n - 1);
	if (m == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory for %" PRIu32 " regions", old->n - 1);
	k = (uint32_t)(r - old->r);
	memcpy(m->r, old->r, k * sizeof(m->r[0]));
	memcpy(m->r + k, old->r + k + 1, (old->n - k - 1) * sizeof(m->r[0]));
	table_index(m, NULL);
	*out = m;
	return 0;
}

/* Whether 'keep' uses the same mapping as 'r': tables derived from one
 * another copy region entries, mapping pointers included, and no two live
 * mappings share an address. */
static bool
shares_region(const struct vhu_mem *keep, const struct vhu_mem_region *r)
{
	const struct vhu_mem_region *k = vhu_mem_find_gpa(keep, r->gpa);

	return k != NULL && k->map_base == r->map_base;
}

void
vhu_mem_retire(struct vhu_mem *m, const struct vhu_mem *keep)
{
	uint32_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		if (!shares_region(keep, &m->r[i]))
			region_release(m->ops, &m->r[i]);
	free(m);
}

void
vhu_mem_destroy(struct vhu_mem *m)
{
	vhu_mem_retire(m, NULL);
}

int
vhu_mem_uva_to_gpa(const struct vhu_mem *m, uint64_t uva, uint64_t len, uint64_t *gpa)
{
	const struct vhu_mem_region *r = vhu_mem_find_uva(m, uva);

	if (r == NULL || vhu_mem_region_at(r, uva - r->uva, len) == NULL)
		return -EFAULT;
	*gpa = r->gpa + (uva - r->uva);
	return 0;
}
