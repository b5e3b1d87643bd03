/* Unit tests of the guest memory table (vhu_mem.c) over real memfds: lookups at
 * region edges, the refusals of bad-input classes 3, 4, 10 and 14, fd ownership
 * on every failure path, ADD/REM_MEM_REG clones, fault injection through the
 * mapping seam, and random tables against a linear-scan model. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "vhu_mem.h"

#define PG  4096u
#define UVA UINT64_C(0x7f0000000000)

/* A memfd of 'size' bytes whose every 8-byte word holds its own file offset,
 * so a translated pointer can be checked against the file offset it should
 * reach. */
static int
memfd_of(uint64_t size, bool fill)
{
	int fd = memfd_create("vhu_mem_test", MFD_CLOEXEC);
	uint64_t *p;
	uint64_t i;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	if (!fill)
		return fd;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	for (i = 0; i < size / 8; i++)
		p[i] = i * 8;
	munmap(p, size);
	return fd;
}

static bool
fd_is_closed(int fd)
{
	return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

static struct vhu_mem_region_desc
desc(uint64_t gpa, uint64_t size, uint64_t uva, uint64_t off, int fd)
{
	struct vhu_mem_region_desc d = {
		.gpa = gpa, .size = size, .uva = uva, .mmap_offset = off, .fd = fd};

	return d;
}

/* The file offset that 'p' reaches, read from the memfd's self-describing
 * content; 'p' must be 8-byte aligned within the file. */
static uint64_t
file_offset_at(const void *p)
{
	return *(const uint64_t *)p;
}

/* Three regions over one memfd, laid out like a small guest:
 *   A: gpa [0, 0x4000)             file [0x0000, 0x4000)
 *   B: gpa [0x4000, 0x6000)        file [0x8000, 0xa000)   (adjacent to A)
 *   (hole: gpa [0x6000, 0x10000))
 *   C: gpa [0x10000, 0x13000)      file [0x4000, 0x7000)
 * uva = UVA + gpa * 2, so uva ranges are disjoint but not adjacent. */
static struct vhu_mem *
three_regions(int fds[3])
{
	int fd = memfd_of(0x10000, true);
	struct vhu_mem_region_desc d[3];
	struct vhu_mem *m = NULL;
	int i;

	for (i = 0; i < 3; i++)
		fds[i] = i == 0 ? fd : dup(fd);
	/* Out of gpa order on purpose: the table sorts. */
	d[0] = desc(0x10000, 0x3000, UVA + 0x20000, 0x4000, fds[0]);
	d[1] = desc(0, 0x4000, UVA, 0, fds[1]);
	d[2] = desc(0x4000, 0x2000, UVA + 0x8000, 0x8000, fds[2]);
	assert_int_equal(vhu_mem_create(d, 3, NULL, &m, NULL), 0);
	assert_non_null(m);
	for (i = 0; i < 3; i++)
		assert_int_equal(d[i].fd, -1);
	return m;
}

static void
test_translation_reaches_start_inside_and_last_byte_of_each_region(void **state)
{
	struct vhu_mem *m;
	uint8_t *p;
	int fds[3];

	(void)state;
	m = three_regions(fds);
	assert_int_equal(m->n, 3);
	assert_int_equal(file_offset_at(vhu_mem_gpa_to_host(m, 0, 8)), 0);
	assert_int_equal(file_offset_at(vhu_mem_gpa_to_host(m, 0x3ff8, 8)), 0x3ff8);
	assert_int_equal(file_offset_at(vhu_mem_gpa_to_host(m, 0x4000, 8)), 0x8000);
	assert_int_equal(file_offset_at(vhu_mem_gpa_to_host(m, 0x5ff8, 8)), 0x9ff8);
	assert_int_equal(file_offset_at(vhu_mem_gpa_to_host(m, 0x10000, 0x3000)), 0x4000);
	assert_int_equal(file_offset_at(vhu_mem_gpa_to_host(m, 0x11238, 16)), 0x5238);
	assert_int_equal(file_offset_at(vhu_mem_gpa_to_host(m, 0x12ff8, 8)), 0x6ff8);
	/* The very last byte of a region, alone. */
	p = vhu_mem_gpa_to_host(m, 0x12fff, 1);
	assert_non_null(p);
	assert_ptr_equal(p, (uint8_t *)vhu_mem_gpa_to_host(m, 0x12ff8, 8) + 7);
	/* Whole region in one access. */
	assert_non_null(vhu_mem_gpa_to_host(m, 0, 0x4000));
	vhu_mem_destroy(m);
	assert_true(fd_is_closed(fds[0]) && fd_is_closed(fds[1]) && fd_is_closed(fds[2]));
}

static void
test_address_outside_every_region_is_refused(void **state)
{
	struct vhu_mem *m;
	int fds[3];

	(void)state;
	m = three_regions(fds);
	assert_null(vhu_mem_gpa_to_host(m, 0x13000, 1));
	assert_null(vhu_mem_gpa_to_host(m, 0x100000, 1));
	assert_null(vhu_mem_gpa_to_host(m, UINT64_MAX, 1));
	assert_null(vhu_mem_gpa_to_host(m, UINT64_MAX, 0));
	assert_null(vhu_mem_gpa_to_host(m, 0x12fff, 2));
	assert_null(vhu_mem_gpa_to_host(NULL, 0, 1));
	vhu_mem_destroy(m);
}

static void
test_address_in_hole_between_regions_is_refused(void **state)
{
	struct vhu_mem *m;
	int fds[3];

	(void)state;
	m = three_regions(fds);
	assert_null(vhu_mem_gpa_to_host(m, 0x6000, 1));
	assert_null(vhu_mem_gpa_to_host(m, 0xffff, 1));
	/* Starts in B, runs through the hole into C. */
	assert_null(vhu_mem_gpa_to_host(m, 0x5000, 0xb001));
	vhu_mem_destroy(m);
}

static void
test_access_straddling_two_adjacent_regions_is_refused(void **state)
{
	struct vhu_mem *m;
	int fds[3];

	(void)state;
	m = three_regions(fds);
	/* A ends where B starts in gpa, but their bytes are not adjacent here. */
	assert_non_null(vhu_mem_gpa_to_host(m, 0x3fff, 1));
	assert_null(vhu_mem_gpa_to_host(m, 0x3fff, 2));
	assert_null(vhu_mem_gpa_to_host(m, 0, 0x4001));
	vhu_mem_destroy(m);
}

/* Decision: len 0 at an address inside a region returns the pointer; len 0 at
 * the end-of-region address (one past the last byte) is refused unless another
 * region starts there, so a non-NULL result always points into guest memory. */
static void
test_zero_length_access_needs_an_address_inside_a_region(void **state)
{
	struct vhu_mem *m;
	int fds[3];

	(void)state;
	m = three_regions(fds);
	assert_ptr_equal(vhu_mem_gpa_to_host(m, 0x10000, 0), vhu_mem_gpa_to_host(m, 0x10000, 1));
	assert_ptr_equal(vhu_mem_gpa_to_host(m, 0x12fff, 0), vhu_mem_gpa_to_host(m, 0x12fff, 1));
	assert_null(vhu_mem_gpa_to_host(m, 0x13000, 0));
	assert_null(vhu_mem_gpa_to_host(m, 0x6000, 0));
	/* End of A is the start of B: that is B's first byte. */
	assert_ptr_equal(vhu_mem_gpa_to_host(m, 0x4000, 0), vhu_mem_gpa_to_host(m, 0x4000, 1));
	vhu_mem_destroy(m);
}

static void
test_length_2_to_the_32_minus_1_fits_only_a_region_that_large(void **state)
{
	uint64_t size = UINT64_C(1) << 32;
	struct vhu_mem_region_desc d[2];
	struct vhu_mem *m = NULL;
	int big = memfd_of(size, false), small = memfd_of(PG, false);

	(void)state;
	/* A sparse 4 GiB memfd: mapping it costs address space, not memory. */
	d[0] = desc(0, size, UVA, 0, big);
	d[1] = desc(size + PG, PG, UVA + 2 * size, 0, small);
	assert_int_equal(vhu_mem_create(d, 2, NULL, &m, NULL), 0);
	assert_non_null(vhu_mem_gpa_to_host(m, 0, UINT32_MAX));
	assert_non_null(vhu_mem_gpa_to_host(m, 1, UINT32_MAX));
	assert_null(vhu_mem_gpa_to_host(m, 2, UINT32_MAX));
	assert_null(vhu_mem_gpa_to_host(m, size + PG, UINT32_MAX));
	assert_null(vhu_mem_gpa_to_host(m, size + PG - 1, UINT32_MAX));
	vhu_mem_destroy(m);
}

static void
test_gpa_plus_len_overflowing_64_bits_is_refused(void **state)
{
	uint64_t top = UINT64_MAX - 2 * PG + 1; /* region ends at 2^64 - PG */
	struct vhu_mem_region_desc d = desc(top, PG, UVA, 0, memfd_of(PG, false));
	struct vhu_mem *m = NULL;

	(void)state;
	assert_int_equal(vhu_mem_create(&d, 1, NULL, &m, NULL), 0);
	assert_non_null(vhu_mem_gpa_to_host(m, top, PG));
	assert_null(vhu_mem_gpa_to_host(m, top + 1, UINT64_MAX));
	assert_null(vhu_mem_gpa_to_host(m, top + 8, UINT64_MAX - (top + 8) + 2)); /* wraps to 1 */
	assert_null(vhu_mem_gpa_to_host(m, top, UINT64_MAX));
	assert_null(vhu_mem_uva_to_host(m, UVA + 1, UINT64_MAX));
	vhu_mem_destroy(m);
}

/* Builds 'n' descriptors from 'd' with fresh memfds, expects 'rc', and checks
 * that every fd was closed and every descriptor's fd set to -1. */
static void
expect_create_fails(struct vhu_mem_region_desc *d, uint32_t n, int rc)
{
	struct iovs_err err = {{0}};
	struct vhu_mem *m = (void *)1;
	int fds[8];
	uint32_t i;

	assert_true(n <= 8);
	for (i = 0; i < n; i++)
		d[i].fd = fds[i] = memfd_of(0x100000, false);
	assert_int_equal(vhu_mem_create(d, n, NULL, &m, &err), rc);
	assert_null(m);
	assert_true(err.msg[0] != '\0');
	for (i = 0; i < n; i++) {
		assert_int_equal(d[i].fd, -1);
		assert_true(fd_is_closed(fds[i]));
	}
}

static void
test_region_with_size_zero_is_refused(void **state)
{
	struct vhu_mem_region_desc d[2] = {desc(0, PG, UVA, 0, -1), desc(PG, 0, UVA + PG, 0, -1)};

	(void)state;
	expect_create_fails(d, 2, -EINVAL);
}

static void
test_overlapping_guest_ranges_are_refused(void **state)
{
	struct vhu_mem_region_desc d[3] = {desc(0, 2 * PG, UVA, 0, -1),
					   desc(8 * PG, PG, UVA + 8 * PG, 0, -1),
					   desc(PG, 2 * PG, UVA + 2 * PG, 0, -1)};
	struct vhu_mem_region_desc same[2] = {desc(0, PG, UVA, 0, -1),
					      desc(0, PG, UVA + PG, 0, -1)};

	(void)state;
	expect_create_fails(d, 3, -EINVAL);
	expect_create_fails(same, 2, -EINVAL);
}

static void
test_overlapping_user_ranges_are_refused(void **state)
{
	struct vhu_mem_region_desc d[2] = {desc(0, 2 * PG, UVA + PG, 0, -1),
					   desc(4 * PG, 2 * PG, UVA, 0, -1)};

	(void)state;
	expect_create_fails(d, 2, -EINVAL);
}

static void
test_address_and_offset_overflows_are_refused(void **state)
{
	struct vhu_mem_region_desc gpa[1] = {desc(UINT64_MAX - PG + 2, PG, UVA, 0, -1)};
	struct vhu_mem_region_desc uva[1] = {desc(0, PG, UINT64_MAX - 1, 0, -1)};
	struct vhu_mem_region_desc off[1] = {desc(0, PG, UVA, UINT64_MAX - PG + 1, -1)};
	struct vhu_mem_region_desc off_t_sign[1] = {desc(0, PG, UVA, INT64_MAX, -1)};
	struct vhu_mem_region_desc huge[1] = {desc(0, UINT64_MAX, UVA, 0, -1)};

	(void)state;
	expect_create_fails(gpa, 1, -EINVAL);
	expect_create_fails(uva, 1, -EINVAL);
	expect_create_fails(off, 1, -EINVAL);
	expect_create_fails(off_t_sign, 1, -EINVAL);
	expect_create_fails(huge, 1, -EINVAL);
}

/* A shared mapping past the end of its file would SIGBUS on first touch. */
static void
test_region_beyond_end_of_file_is_refused(void **state)
{
	struct vhu_mem_region_desc d[1] = {desc(0, 0x100000, UVA, PG, -1)};

	(void)state;
	expect_create_fails(d, 1, -EINVAL);
}

static void
test_fd_that_is_not_a_regular_file_is_refused(void **state)
{
	struct vhu_mem_region_desc d = desc(0, PG, UVA, 0, -1);
	struct vhu_mem *m = NULL;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	d.fd = p[0];
	assert_int_equal(vhu_mem_create(&d, 1, NULL, &m, NULL), -EINVAL);
	assert_true(fd_is_closed(p[0]));
	close(p[1]);
	d = desc(0, PG, UVA, 0, -1);
	assert_int_equal(vhu_mem_create(&d, 1, NULL, &m, NULL), -EBADF);
}

static void
test_zero_regions_are_refused(void **state)
{
	struct vhu_mem_region_desc d[1];
	struct vhu_mem *m = NULL;

	(void)state;
	assert_int_equal(vhu_mem_create(d, 0, NULL, &m, NULL), -EINVAL);
	assert_null(m);
}

static void
test_more_than_509_regions_are_refused_and_all_fds_closed(void **state)
{
	uint32_t n = VHU_MEM_MAX_REGIONS + 1, i;
	struct vhu_mem_region_desc *d = calloc(n, sizeof(*d));
	int *fds = calloc(n, sizeof(*fds));
	int fd = memfd_of(PG, false);
	struct vhu_mem *m = NULL;

	(void)state;
	assert_non_null(d);
	assert_non_null(fds);
	for (i = 0; i < n; i++) {
		fds[i] = i == 0 ? fd : dup(fd);
		assert_true(fds[i] >= 0);
		d[i] = desc(2 * i * PG, PG, UVA + 2 * i * PG, 0, fds[i]);
	}
	assert_int_equal(vhu_mem_create(d, n, NULL, &m, NULL), -E2BIG);
	for (i = 0; i < n; i++)
		assert_true(d[i].fd == -1 && fd_is_closed(fds[i]));
	free(fds);
	free(d);
}

/* 509 page-sized regions with holes between them, each at its own offset of
 * one memfd: every region's edges translate to the right file bytes. */
static void
test_509_regions_all_translate_to_their_own_bytes(void **state)
{
	uint32_t n = VHU_MEM_MAX_REGIONS, i;
	struct vhu_mem_region_desc *d = calloc(n, sizeof(*d));
	int fd = memfd_of((uint64_t)n * PG, true);
	struct vhu_mem *m = NULL;
	uint64_t gpa;

	(void)state;
	assert_non_null(d);
	/* Reverse file order, to make sure nothing assumes gpa and offset agree. */
	for (i = 0; i < n; i++)
		d[i] = desc((uint64_t)i * 3 * PG, PG, UVA + (uint64_t)(n - i) * 2 * PG,
			    (uint64_t)(n - 1 - i) * PG, i == 0 ? fd : dup(fd));
	assert_int_equal(vhu_mem_create(d, n, NULL, &m, NULL), 0);
	for (i = 0; i < n; i++) {
		uint64_t off = (uint64_t)(n - 1 - i) * PG, g;

		gpa = (uint64_t)i * 3 * PG;
		assert_int_equal(file_offset_at(vhu_mem_gpa_to_host(m, gpa, PG)), off);
		assert_int_equal(file_offset_at(vhu_mem_gpa_to_host(m, gpa + PG - 8, 8)),
				 off + PG - 8);
		assert_null(vhu_mem_gpa_to_host(m, gpa + PG, 1));
		assert_null(vhu_mem_gpa_to_host(m, gpa - 1, 2));
		assert_ptr_equal(vhu_mem_uva_to_host(m, d[i].uva + 16, 8),
				 vhu_mem_gpa_to_host(m, gpa + 16, 8));
		assert_int_equal(vhu_mem_uva_to_gpa(m, d[i].uva + 16, 8, &g), 0);
		assert_int_equal(g, gpa + 16);
	}
	vhu_mem_destroy(m);
	free(d);
}

/* An mmap_offset that is not page-aligned is mapped from the page below it. */
static void
test_unaligned_mmap_offset_reaches_the_right_file_bytes(void **state)
{
	struct vhu_mem_region_desc d = desc(0x100000, 0x2000, UVA, 0x1238, memfd_of(0x4000, true));
	struct vhu_mem *m = NULL;

	(void)state;
	assert_int_equal(vhu_mem_create(&d, 1, NULL, &m, NULL), 0);
	assert_int_equal(file_offset_at(vhu_mem_gpa_to_host(m, 0x100000, 8)), 0x1238);
	assert_int_equal(file_offset_at(vhu_mem_gpa_to_host(m, 0x101ff8, 8)), 0x3230);
	assert_int_equal(m->r[0].map_len, 0x3000);
	vhu_mem_destroy(m);
}

static void
test_uva_translation_is_bounded_to_one_region(void **state)
{
	struct vhu_mem *m;
	uint64_t gpa = 1;
	int fds[3];

	(void)state;
	m = three_regions(fds);
	assert_ptr_equal(vhu_mem_uva_to_host(m, UVA + 0x8000, 8),
			 vhu_mem_gpa_to_host(m, 0x4000, 8));
	assert_ptr_equal(vhu_mem_uva_to_host(m, UVA + 0x20000 + 0x2ff8, 8),
			 vhu_mem_gpa_to_host(m, 0x12ff8, 8));
	assert_null(vhu_mem_uva_to_host(m, UVA + 0x4000, 1)); /* hole in uva */
	assert_null(vhu_mem_uva_to_host(m, UVA + 0x3fff, 2));
	assert_null(vhu_mem_uva_to_host(m, UVA - 1, 1));
	assert_null(vhu_mem_uva_to_host(m, UVA + 0x23000, 0));
	assert_int_equal(vhu_mem_uva_to_gpa(m, UVA + 0x20010, 0x100, &gpa), 0);
	assert_int_equal(gpa, 0x10010);
	gpa = 1;
	assert_int_equal(vhu_mem_uva_to_gpa(m, UVA + 0x9fff, 2, &gpa), -EFAULT);
	assert_int_equal(gpa, 1);
	vhu_mem_destroy(m);
}

static void
test_added_region_appears_in_new_table_and_old_table_is_unchanged(void **state)
{
	struct vhu_mem *m, *m2 = NULL;
	struct vhu_mem_region_desc d;
	void *before;
	int fds[3], fd;

	(void)state;
	m = three_regions(fds);
	before = vhu_mem_gpa_to_host(m, 0x4000, 8);
	fd = memfd_of(PG, true);
	d = desc(0x8000, PG, UVA + 0x40000, 0, fd);
	assert_int_equal(vhu_mem_add(m, &d, NULL, &m2, NULL), 0);
	assert_int_equal(d.fd, -1);
	assert_int_equal(m2->n, 4);
	assert_int_equal(m->n, 3);
	assert_null(vhu_mem_gpa_to_host(m, 0x8000, 1));
	assert_int_equal(file_offset_at(vhu_mem_gpa_to_host(m2, 0x8ff8, 8)), 0xff8);
	assert_ptr_equal(vhu_mem_gpa_to_host(m2, 0x4000, 8), before);
	assert_ptr_equal(vhu_mem_gpa_to_host(m, 0x4000, 8), before);
	assert_ptr_equal(vhu_mem_uva_to_host(m2, UVA + 0x40000, 1),
			 vhu_mem_gpa_to_host(m2, 0x8000, 1));
	/* Publishing m2 then retiring m releases nothing m2 uses. */
	vhu_mem_retire(m, m2);
	assert_false(fd_is_closed(fds[0]) || fd_is_closed(fds[1]) || fd_is_closed(fds[2]));
	assert_int_equal(file_offset_at(vhu_mem_gpa_to_host(m2, 0x10000, 8)), 0x4000);
	vhu_mem_destroy(m2);
	assert_true(fd_is_closed(fd) && fd_is_closed(fds[0]) && fd_is_closed(fds[2]));
}

static void
test_first_region_can_be_added_without_a_table(void **state)
{
	struct vhu_mem_region_desc d = desc(0, PG, UVA, 0, memfd_of(PG, true));
	struct vhu_mem *m = NULL;

	(void)state;
	assert_int_equal(vhu_mem_add(NULL, &d, NULL, &m, NULL), 0);
	assert_int_equal(file_offset_at(vhu_mem_gpa_to_host(m, 8, 8)), 8);
	vhu_mem_destroy(m);
}

static void
test_added_region_that_overlaps_is_refused_and_its_fd_closed(void **state)
{
	struct vhu_mem *m, *m2 = (void *)1;
	struct vhu_mem_region_desc d;
	int fds[3], fd;

	(void)state;
	m = three_regions(fds);
	fd = memfd_of(PG, false);
	d = desc(0x5000, 0x2000, UVA + 0x40000, 0, fd); /* overlaps B in gpa */
	assert_int_equal(vhu_mem_add(m, &d, NULL, &m2, NULL), -EINVAL);
	assert_true(d.fd == -1 && fd_is_closed(fd));
	assert_null(m2);
	fd = memfd_of(PG, false);
	d = desc(0x8000, PG, UVA + 0x20fff, 0, fd); /* overlaps C in uva */
	assert_int_equal(vhu_mem_add(m, &d, NULL, &m2, NULL), -EINVAL);
	assert_true(fd_is_closed(fd));
	fd = memfd_of(PG, false);
	d = desc(0x8000, 0, UVA + 0x40000, 0, fd);
	assert_int_equal(vhu_mem_add(m, &d, NULL, &m2, NULL), -EINVAL);
	assert_true(fd_is_closed(fd));
	fd = memfd_of(PG, false);
	d = desc(0x8000, 2 * PG, UVA + 0x40000, 0, fd); /* file too short */
	assert_int_equal(vhu_mem_add(m, &d, NULL, &m2, NULL), -EINVAL);
	assert_true(fd_is_closed(fd));
	/* The old table is intact. */
	assert_int_equal(file_offset_at(vhu_mem_gpa_to_host(m, 0x5ff8, 8)), 0x9ff8);
	vhu_mem_destroy(m);
}

static void
test_removed_region_disappears_from_new_table_only(void **state)
{
	struct vhu_mem_region_desc d = desc(0x4000, 0x2000, UVA + 0x8000, 0x1234, 99);
	struct vhu_mem *m, *m2 = NULL, *m3 = NULL, *m4 = NULL;
	int fds[3];

	(void)state;
	m = three_regions(fds);
	assert_int_equal(vhu_mem_remove(m, &d, &m2, NULL), 0);
	assert_int_equal(m2->n, 2);
	assert_null(vhu_mem_gpa_to_host(m2, 0x4000, 1));
	assert_null(vhu_mem_uva_to_host(m2, UVA + 0x8000, 1));
	assert_non_null(vhu_mem_gpa_to_host(m2, 0, 0x4000));
	assert_non_null(vhu_mem_gpa_to_host(m2, 0x10000, 0x3000));
	/* Readers of the old table still reach the removed region. */
	assert_int_equal(file_offset_at(vhu_mem_gpa_to_host(m, 0x4000, 8)), 0x8000);
	vhu_mem_retire(m, m2);
	assert_true(fd_is_closed(fds[2]));
	assert_false(fd_is_closed(fds[0]) || fd_is_closed(fds[1]));

	/* Only an exact gpa/size/uva match removes. */
	d = desc(0, 0x3000, UVA, 0, -1);
	assert_int_equal(vhu_mem_remove(m2, &d, &m3, NULL), -ENOENT);
	d = desc(0, 0x4000, UVA + 1, 0, -1);
	assert_int_equal(vhu_mem_remove(m2, &d, &m3, NULL), -ENOENT);
	d = desc(0x10, 0x4000, UVA, 0, -1);
	assert_int_equal(vhu_mem_remove(m2, &d, &m3, NULL), -ENOENT);
	assert_null(m3);

	/* Down to an empty table, which translates nothing. */
	d = desc(0, 0x4000, UVA, 0, -1);
	assert_int_equal(vhu_mem_remove(m2, &d, &m3, NULL), 0);
	vhu_mem_retire(m2, m3);
	d = desc(0x10000, 0x3000, UVA + 0x20000, 0, -1);
	assert_int_equal(vhu_mem_remove(m3, &d, &m4, NULL), 0);
	vhu_mem_retire(m3, m4);
	assert_int_equal(m4->n, 0);
	assert_null(vhu_mem_gpa_to_host(m4, 0x10000, 0));
	assert_null(vhu_mem_uva_to_host(m4, UVA, 0));
	assert_true(fd_is_closed(fds[0]) && fd_is_closed(fds[1]));
	vhu_mem_destroy(m4);
}

/* Mapping seam: real mmap, but the Nth map fails, and unmaps are counted. */
static int maps_left, unmaps;

static void *
failing_map(int fd, size_t len, off_t off)
{
	if (maps_left-- == 0) {
		errno = ENOMEM;
		return NULL;
	}
	return vhu_mem_mmap_ops.map(fd, len, off);
}

static void
counting_unmap(void *addr, size_t len)
{
	unmaps++;
	vhu_mem_mmap_ops.unmap(addr, len);
}

static const struct vhu_mem_ops fault_ops = {.map = failing_map, .unmap = counting_unmap};

static void
test_failed_third_map_unmaps_the_first_two_and_closes_all_fds(void **state)
{
	struct vhu_mem_region_desc d[4];
	struct vhu_mem *m = (void *)1;
	int fds[4], i;

	(void)state;
	for (i = 0; i < 4; i++) {
		fds[i] = memfd_of(PG, false);
		d[i] = desc((uint64_t)i * PG, PG, UVA + (uint64_t)i * PG, 0, fds[i]);
	}
	maps_left = 2;
	unmaps = 0;
	assert_int_equal(vhu_mem_create(d, 4, &fault_ops, &m, NULL), -ENOMEM);
	assert_null(m);
	assert_int_equal(unmaps, 2);
	for (i = 0; i < 4; i++)
		assert_true(d[i].fd == -1 && fd_is_closed(fds[i]));
}

static void
test_failed_map_in_add_leaves_old_table_working(void **state)
{
	struct vhu_mem_region_desc d[2], nd;
	struct vhu_mem *m = NULL, *m2 = (void *)1, *m3 = NULL;
	int fds[2], fd;

	(void)state;
	fds[0] = memfd_of(PG, true);
	fds[1] = memfd_of(PG, true);
	d[0] = desc(0, PG, UVA, 0, fds[0]);
	d[1] = desc(PG, PG, UVA + PG, 0, fds[1]);
	maps_left = 100;
	unmaps = 0;
	assert_int_equal(vhu_mem_create(d, 2, &fault_ops, &m, NULL), 0);
	fd = memfd_of(PG, false);
	nd = desc(2 * PG, PG, UVA + 2 * PG, 0, fd);
	maps_left = 0;
	assert_int_equal(vhu_mem_add(m, &nd, NULL, &m2, NULL), -ENOMEM);
	assert_null(m2);
	assert_true(fd_is_closed(fd));
	assert_int_equal(unmaps, 0);
	assert_int_equal(file_offset_at(vhu_mem_gpa_to_host(m, PG + 8, 8)), 8);
	/* Mixing mapping ops within one chain of tables is refused. */
	fd = memfd_of(PG, false);
	nd = desc(2 * PG, PG, UVA + 2 * PG, 0, fd);
	assert_int_equal(vhu_mem_add(m, &nd, &vhu_mem_mmap_ops, &m2, NULL), -EINVAL);
	assert_true(fd_is_closed(fd));
	/* A derived table that is never published is retired against its parent. */
	maps_left = 100;
	fd = memfd_of(PG, false);
	nd = desc(2 * PG, PG, UVA + 2 * PG, 0, fd);
	assert_int_equal(vhu_mem_add(m, &nd, NULL, &m3, NULL), 0);
	vhu_mem_retire(m3, m);
	assert_int_equal(unmaps, 1);
	assert_true(fd_is_closed(fd));
	assert_false(fd_is_closed(fds[0]) || fd_is_closed(fds[1]));
	vhu_mem_destroy(m);
	assert_int_equal(unmaps, 3);
}

/* Model: random region sets (often overlapping) over one self-describing
 * memfd, and random queries near region edges, against a linear scan. */
#define MODEL_FILE   (512u * 1024)
#define MODEL_ROUNDS 300

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool
model_overlaps(const struct vhu_mem_region_desc *d, uint32_t n)
{
	uint32_t i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if ((d[i].gpa < d[j].gpa + d[j].size && d[j].gpa < d[i].gpa + d[i].size) ||
			    (d[i].uva < d[j].uva + d[j].size && d[j].uva < d[i].uva + d[i].size))
				return true;
	return false;
}

/* The file offset that [addr, addr + len) reaches by linear scan, or -1. */
static int64_t
model_lookup(const struct vhu_mem_region_desc *d, uint32_t n, bool by_uva, uint64_t addr,
	     uint64_t len)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		uint64_t start = by_uva ? d[i].uva : d[i].gpa;

		if (addr >= start && addr < start + d[i].size && len <= start + d[i].size - addr)
			return (int64_t)(d[i].mmap_offset + (addr - start));
	}
	return -1;
}

static uint64_t
model_len(uint64_t *s, uint64_t addr)
{
	switch (rnd(s) % 6) {
	case 0:
		return 0;
	case 1:
		return 8;
	case 2:
		return rnd(s) % 0x2000;
	case 3:
		return UINT32_MAX;
	case 4:
		return UINT64_MAX;
	default:
		return -addr + (rnd(s) % 16); /* addr + len wraps around */
	}
}

static void
model_query(const struct vhu_mem *m, const struct vhu_mem_region_desc *d, uint32_t n, bool by_uva,
	    uint64_t addr, uint64_t len)
{
	int64_t want = model_lookup(d, n, by_uva, addr, len);
	uint8_t *p = by_uva ? vhu_mem_uva_to_host(m, addr, len) : vhu_mem_gpa_to_host(m, addr, len);

	if (want < 0) {
		assert_null(p);
		return;
	}
	assert_non_null(p);
	/* Words hold their own offset; compare the word containing 'want'. */
	assert_int_equal(file_offset_at(p - (want & 7)), (uint64_t)want & ~UINT64_C(7));
}

static void
test_random_tables_match_a_linear_scan_model(void **state)
{
	struct vhu_mem_region_desc d[8], copy[8];
	uint32_t round, built = 0, refused = 0;
	int fd = memfd_of(MODEL_FILE, true);
	uint64_t s = 0x9e3779b97f4a7c15;

	(void)state;
	for (round = 0; round < MODEL_ROUNDS; round++) {
		uint32_t n = 1 + rnd(&s) % 8, i, q;
		struct vhu_mem *m = NULL;
		bool bad;
		int rc;

		for (i = 0; i < n; i++) {
			uint64_t size = 8 * (1 + rnd(&s) % 0x2000);

			d[i] = desc(8 * (rnd(&s) % 0x80000), size, UVA + 8 * (rnd(&s) % 0x80000),
				    8 * (rnd(&s) % ((MODEL_FILE - size) / 8 + 1)), dup(fd));
			assert_true(d[i].fd >= 0);
		}
		memcpy(copy, d, sizeof(d));
		bad = model_overlaps(d, n);
		rc = vhu_mem_create(d, n, NULL, &m, NULL);
		for (i = 0; i < n; i++)
			assert_true(d[i].fd == -1 && (!bad || fd_is_closed(copy[i].fd)));
		if (bad) {
			assert_int_equal(rc, -EINVAL);
			refused++;
			continue;
		}
		assert_int_equal(rc, 0);
		built++;
		for (q = 0; q < 400; q++) {
			const struct vhu_mem_region_desc *r = &copy[rnd(&s) % n];
			bool by_uva = rnd(&s) & 1;
			uint64_t base = by_uva ? r->uva : r->gpa, addr;

			switch (rnd(&s) % 4) {
			case 0:
				addr = base + r->size - 8 + rnd(&s) % 16;
				break;
			case 1:
				addr = base - 8 + rnd(&s) % 16;
				break;
			case 2:
				addr = base + rnd(&s) % r->size;
				break;
			default:
				addr = (by_uva ? UVA : 0) + rnd(&s) % 0x500000;
				break;
			}
			model_query(m, copy, n, by_uva, addr, model_len(&s, addr));
		}
		vhu_mem_destroy(m);
		for (i = 0; i < n; i++)
			assert_true(fd_is_closed(copy[i].fd));
	}
	close(fd);
	/* Both outcomes must be exercised for the model to mean anything. */
	assert_true(built > MODEL_ROUNDS / 10 && refused > MODEL_ROUNDS / 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_translation_reaches_start_inside_and_last_byte_of_each_region),
		cmocka_unit_test(test_address_outside_every_region_is_refused),
		cmocka_unit_test(test_address_in_hole_between_regions_is_refused),
		cmocka_unit_test(test_access_straddling_two_adjacent_regions_is_refused),
		cmocka_unit_test(test_zero_length_access_needs_an_address_inside_a_region),
		cmocka_unit_test(test_length_2_to_the_32_minus_1_fits_only_a_region_that_large),
		cmocka_unit_test(test_gpa_plus_len_overflowing_64_bits_is_refused),
		cmocka_unit_test(test_region_with_size_zero_is_refused),
		cmocka_unit_test(test_overlapping_guest_ranges_are_refused),
		cmocka_unit_test(test_overlapping_user_ranges_are_refused),
		cmocka_unit_test(test_address_and_offset_overflows_are_refused),
		cmocka_unit_test(test_region_beyond_end_of_file_is_refused),
		cmocka_unit_test(test_fd_that_is_not_a_regular_file_is_refused),
		cmocka_unit_test(test_zero_regions_are_refused),
		cmocka_unit_test(test_more_than_509_regions_are_refused_and_all_fds_closed),
		cmocka_unit_test(test_509_regions_all_translate_to_their_own_bytes),
		cmocka_unit_test(test_unaligned_mmap_offset_reaches_the_right_file_bytes),
		cmocka_unit_test(test_uva_translation_is_bounded_to_one_region),
		cmocka_unit_test(test_added_region_appears_in_new_table_and_old_table_is_unchanged),
		cmocka_unit_test(test_first_region_can_be_added_without_a_table),
		cmocka_unit_test(test_added_region_that_overlaps_is_refused_and_its_fd_closed),
		cmocka_unit_test(test_removed_region_disappears_from_new_table_only),
		cmocka_unit_test(test_failed_third_map_unmaps_the_first_two_and_closes_all_fds),
		cmocka_unit_test(test_failed_map_in_add_leaves_old_table_working),
		cmocka_unit_test(test_random_tables_match_a_linear_scan_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
