/* libFuzzer target: the guest memory table (vhost-user/vhu_mem.c). The input
 * is a list of region descriptors over one 1 MiB memfd, an optional
 * ADD_MEM_REG and REM_MEM_REG, and a list of gpa/uva queries. Mappings are
 * malloc'd buffers of the requested length (no mmap per iteration), so ASan
 * sees every byte outside them.
 *
 * Besides "never crashes", checks: tables are sorted and disjoint; each
 * translation equals a linear scan's and lies inside one live mapping (one
 * byte is written at its first and last address); every mapping is released
 * and every fd closed by the end of the input.
 *
 * Layout (little-endian, missing bytes end the input):
 *   u8 n (mod 17), n x region, u8 ops, [region if ops & 1], [u8 k if ops & 2],
 *   then queries: u8 flags, u8 k, u64 addr, u64 len
 *   region: u8 flags, u64 gpa, u64 size, u64 uva, u64 mmap_offset
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vhu_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_SIZE   (1u << 20)
#define MAX_REGIONS 16
#define MAX_FDS	    (MAX_REGIONS + 2)
#define MAX_MAPS    (MAX_REGIONS + 2)
#define UVA_BASE    UINT64_C(0x7f0000000000)

struct input {
	const uint8_t *p;
	size_t left;
};

static bool
take(struct input *in, void *dst, size_t n)
{
	if (in->left < n)
		return false;
	memcpy(dst, in->p, n);
	in->p += n;
	in->left -= n;
	return true;
}

static struct {
	void *base;
	size_t len;
} maps[MAX_MAPS];
static unsigned n_maps;

static void *
fake_map(int fd, size_t len, off_t off)
{
	void *p;

	(void)fd;
	(void)off;
	if (n_maps == MAX_MAPS || len > FILE_SIZE + 4096 || len == 0)
		__builtin_trap(); /* vhu_mem asked for more than the file holds */
	p = malloc(len);
	if (p == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	maps[n_maps].base = p;
	maps[n_maps].len = len;
	n_maps++;
	return p;
}

static void
fake_unmap(void *addr, size_t len)
{
	unsigned i;

	for (i = 0; i < n_maps; i++)
		if (maps[i].base == addr && maps[i].len == len)
			break;
	if (i == n_maps)
		__builtin_trap(); /* unmapped twice, or something never mapped */
	free(addr);
	maps[i] = maps[--n_maps];
}

static const struct vhu_mem_ops fake_ops = {.map = fake_map, .unmap = fake_unmap};

static int memfd = -1;
static int fds[MAX_FDS];
static unsigned n_fds;

static int
new_fd(void)
{
	int fd = dup(memfd);

	if (fd < 0)
		__builtin_trap();
	fds[n_fds++] = fd;
	return fd;
}

/* Flags make valid tables likely without hiding the overflow edges. */
static bool
take_region(struct input *in, struct vhu_mem_region_desc *d)
{
	uint8_t f;

	if (!take(in, &f, 1) || !take(in, &d->gpa, 8) || !take(in, &d->size, 8) ||
	    !take(in, &d->uva, 8) || !take(in, &d->mmap_offset, 8))
		return false;
	if (f & 1)
		d->size %= 0x20000;
	if (f & 2)
		d->mmap_offset %= FILE_SIZE;
	if (f & 4)
		d->gpa %= 1u << 24;
	if (f & 8)
		d->uva = UVA_BASE + d->gpa;
	d->fd = new_fd();
	return true;
}

static bool
in_one_map(const uint8_t *p, uint64_t len)
{
	unsigned i;

	for (i = 0; i < n_maps; i++) {
		const uint8_t *b = maps[i].base;

		if (p >= b && p < b + maps[i].len && len <= (uint64_t)(b + maps[i].len - p))
			return true;
	}
	return false;
}

static void
check_table(const struct vhu_mem *m)
{
	uint32_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++) {
		const struct vhu_mem_region *r = &m->r[i];

		if (r->size == 0 || !in_one_map(r->host, r->size))
			__builtin_trap();
		if (i > 0 && (r->gpa < m->r[i - 1].gpa + m->r[i - 1].size ||
			      m->by_uva[i]->uva < m->by_uva[i - 1]->uva + m->by_uva[i - 1]->size))
			__builtin_trap();
	}
}

/* The linear-scan reference for one translation. */
static uint8_t *
reference(const struct vhu_mem *m, bool by_uva, uint64_t addr, uint64_t len)
{
	uint32_t i;

	for (i = 0; m != NULL && i < m->n; i++) {
		const struct vhu_mem_region *r = &m->r[i];
		uint64_t start = by_uva ? r->uva : r->gpa;

		if (addr >= start && addr - start < r->size && len <= r->size - (addr - start))
			return (uint8_t *)r->host + (addr - start);
	}
	return NULL;
}

static void
run_queries(const struct vhu_mem *m, struct input q)
{
	uint64_t addr, len, gpa;
	uint8_t f, k;

	while (take(&q, &f, 1) && take(&q, &k, 1) && take(&q, &addr, 8) && take(&q, &len, 8)) {
		bool by_uva = f & 1;
		uint8_t *p;

		if ((f & 2) && m != NULL && m->n > 0) {
			const struct vhu_mem_region *r = &m->r[k % m->n];

			addr = (by_uva ? r->uva : r->gpa) + addr % (r->size + 32) - 16;
		}
		if (f & 4)
			len %= 4096;
		p = by_uva ? vhu_mem_uva_to_host(m, addr, len) : vhu_mem_gpa_to_host(m, addr, len);
		if (p != reference(m, by_uva, addr, len))
			__builtin_trap();
		if (p == NULL)
			continue;
		if (!in_one_map(p, len > 0 ? len : 1))
			__builtin_trap();
		p[0] ^= 1;
		if (len > 0)
			p[len - 1] ^= 1;
		if (by_uva && (vhu_mem_uva_to_gpa(m, addr, len, &gpa) != 0 ||
			       vhu_mem_gpa_to_host(m, gpa, len) != p))
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vhu_mem_region_desc d[MAX_REGIONS], nd;
	struct vhu_mem *m = NULL, *next;
	struct input in = {data, size};
	uint8_t n = 0, ops = 0, k = 0;
	unsigned i;

	if (memfd < 0) {
		memfd = memfd_create("fuzz_vhu_mem", MFD_CLOEXEC);
		if (memfd < 0 || ftruncate(memfd, FILE_SIZE) != 0)
			__builtin_trap();
	}
	n_fds = 0;
	take(&in, &n, 1);
	n %= MAX_REGIONS + 1;
	for (i = 0; i < n; i++)
		if (!take_region(&in, &d[i]))
			break;
	n = (uint8_t)i;
	take(&in, &ops, 1);
	if (!((ops & 1) && take_region(&in, &nd)))
		ops &= ~1;
	if (!((ops & 2) && take(&in, &k, 1)))
		ops &= ~2;
	/* 'in' now holds only the queries. */

	if (n > 0 && vhu_mem_create(d, n, &fake_ops, &m, NULL) != 0 && m != NULL)
		__builtin_trap();
	for (i = 0; i < n; i++)
		if (d[i].fd != -1)
			__builtin_trap();
	check_table(m);
	if (ops & 1) {
		if (vhu_mem_add(m, &nd, &fake_ops, &next, NULL) == 0) {
			check_table(next);
			run_queries(m, in); /* the old table still works */
			vhu_mem_retire(m, next);
			m = next;
		}
		if (nd.fd != -1)
			__builtin_trap();
	}
	if ((ops & 2) && m != NULL && m->n > 0) {
		const struct vhu_mem_region *r = &m->r[k % m->n];

		nd = (struct vhu_mem_region_desc){.gpa = r->gpa, .size = r->size, .uva = r->uva};
		if (vhu_mem_remove(m, &nd, &next, NULL) != 0 || next->n != m->n - 1)
			__builtin_trap();
		check_table(next);
		run_queries(m, in);
		vhu_mem_retire(m, next);
		m = next;
	}
	check_table(m);
	run_queries(m, in);
	vhu_mem_destroy(m);
	if (n_maps != 0)
		__builtin_trap();
	for (i = 0; i < n_fds; i++)
		if (fcntl(fds[i], F_GETFD) != -1 || errno != EBADF)
			__builtin_trap();
	return 0;
}
