/* Containers and groups against the fake kernel (vfio_fake.c): creation and
 * its refusals, group lookup and viability with the offending device named,
 * no-IOMMU, GET_INFO into the iommu_as, DMA map/unmap with the bookkeeping
 * and the kernel kept equal on every error path. A fresh fake per test. */
#include <errno.h>
#include <linux/vfio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vfio_fake.h"
#include "vfio_priv.h"

static struct vfio_fake F;
static struct iovs_err E;

static int
setup(void **state)
{
	(void)state;
	vfio_fake_init(&F);
	memset(&E, 0, sizeof(E));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	vfio_fake_fini(&F);
	return 0;
}

static struct vfio_ctr *
ctr(void)
{
	struct vfio_env env = vfio_fake_env(&F);
	struct vfio_ctr *c = NULL;
	assert_int_equal(vfio_ctr_create(&env, &c, &E), 0);
	return c;
}

static struct vfio_ctr *
ctr_with_group(struct vfio_grp **g)
{
	struct vfio_ctr *c = ctr();
	assert_int_equal(vfio_grp_open(c, 5, 0, g, &E), 0);
	return c;
}

/* Nothing of ours is left in the kernel. */
static void
assert_no_leaks(void)
{
	assert_int_equal(F.open_fds, 0);
	assert_int_equal(F.n_mmaps, 0);
	assert_int_equal(F.n_dma, 0);
	assert_int_equal(F.ctr_groups, 0);
}

/* The bookkeeping holds exactly the kernel's mappings. */
static int
count_in_fake(const struct iommu_mapping *m, void *arg)
{
	int *n = arg;
	for (int i = 0; i < F.n_dma; i++)
		if (F.dma[i].iova == m->iova && F.dma[i].size == m->size &&
		    F.dma[i].vaddr == m->target)
			(*n)++;
	return 0;
}

static void
assert_as_equals_kernel(const struct vfio_ctr *c)
{
	struct iommu_as_stats st;
	int found = 0;

	iommu_as_get_stats(vfio_ctr_as(c), &st);
	iommu_as_foreach(vfio_ctr_as(c), count_in_fake, &found);
	assert_int_equal(st.mappings, F.n_dma);
	assert_int_equal(found, F.n_dma);
}

/* ---- creation ---- */

static void
create_ok(void **state)
{
	(void)state;
	struct vfio_ctr *c = ctr();
	assert_false(vfio_ctr_is_ready(c));
	assert_null(vfio_ctr_as(c));
	assert_int_equal(F.open_fds, 1);
	vfio_ctr_destroy(c);
	vfio_ctr_destroy(NULL);
	assert_no_leaks();
}

static void
create_no_vfio_node(void **state)
{
	struct vfio_env env = vfio_fake_env(&F);
	struct vfio_ctr *c;
	(void)state;

	F.no_vfio_node = true;
	assert_int_equal(vfio_ctr_create(&env, &c, &E), -ENODEV);
	assert_non_null(strstr(E.msg, "/fake/dev/vfio/vfio is missing"));
	assert_non_null(strstr(E.msg, "intel_iommu=on"));
	assert_no_leaks();
}

static void
create_bad_api(void **state)
{
	struct vfio_env env = vfio_fake_env(&F);
	struct vfio_ctr *c;
	(void)state;

	F.api_version = 1;
	assert_int_equal(vfio_ctr_create(&env, &c, &E), -EPROTONOSUPPORT);
	assert_non_null(strstr(E.msg, "API version 1"));
	assert_no_leaks();
}

static void
create_no_type1v2(void **state)
{
	struct vfio_env env = vfio_fake_env(&F);
	struct vfio_ctr *c;
	(void)state;

	F.no_type1v2 = true;
	assert_int_equal(vfio_ctr_create(&env, &c, &E), -EPROTONOSUPPORT);
	assert_non_null(strstr(E.msg, "type1v2"));
	assert_no_leaks();
}

static void
create_open_fails(void **state)
{
	struct vfio_env env = vfio_fake_env(&F);
	struct vfio_ctr *c;
	(void)state;

	F.fail_at = 1;
	F.fail_errno = EACCES;
	assert_int_equal(vfio_ctr_create(&env, &c, &E), -EACCES);
	assert_no_leaks();
}

/* ---- group lookup ---- */

static void
group_id_lookup(void **state)
{
	struct vfio_ctr *c = ctr();
	int id = -1;
	(void)state;

	assert_int_equal(vfio_pci_group_id(c, "0000:00:03.0", &id, &E), 0);
	assert_int_equal(id, 5);
	assert_int_equal(vfio_pci_group_id(c, "0000:00:03.8", &id, &E), -EINVAL);
	assert_int_equal(vfio_pci_group_id(c, "00:03.0", &id, &E), -EINVAL);
	assert_non_null(strstr(E.msg, "not a PCI address"));
	assert_int_equal(vfio_pci_group_id(c, "0000:00:09.0", &id, &E), -ENOENT);
	assert_non_null(strstr(E.msg, "no PCI device 0000:00:09.0"));
	F.no_iommu = true;
	assert_int_equal(vfio_pci_group_id(c, "0000:00:03.0", &id, &E), -ENODEV);
	assert_string_equal(E.msg, "no IOMMU: 0000:00:03.0 has no iommu_group; boot with an "
				   "IOMMU enabled (intel_iommu=on or amd_iommu=on; in QEMU, "
				   "-device intel-iommu)");
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

/* ---- groups: viability, no-IOMMU, attach ---- */

static void
group_open_sets_iommu(void **state)
{
	struct vfio_grp *g, *g2;
	const struct vfio_iommu_desc *d;
	size_t n;
	(void)state;

	struct vfio_ctr *c = ctr_with_group(&g);
	assert_true(vfio_ctr_is_ready(c));
	assert_int_equal(F.iommu_type, VFIO_TYPE1v2_IOMMU);
	assert_int_equal(vfio_grp_id(g), 5);
	assert_int_equal(vfio_ctr_iommu_desc(c, &d), 0);
	assert_int_equal(d->pgsizes, 0x40201000);
	assert_int_equal(d->n_ranges, 2);
	assert_true(d->has_dma_avail);
	const struct iommu_range *r = iommu_as_valid_ranges(vfio_ctr_as(c), &n);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].end, 0xfedfffff);
	assert_int_equal(r[1].start, 0xfef00000);
	assert_int_equal(iommu_as_page_size(vfio_ctr_as(c)), 0x1000);
	/* Same group again: one more reference, nothing new in the kernel. */
	assert_int_equal(vfio_grp_open(c, 5, 0, &g2, &E), 0);
	assert_ptr_equal(g, g2);
	assert_int_equal(F.open_fds, 2);
	vfio_grp_close(g2);
	assert_true(vfio_ctr_is_ready(c));
	vfio_grp_close(g);
	assert_false(vfio_ctr_is_ready(c));
	assert_null(vfio_ctr_as(c));
	assert_int_equal(F.iommu_type, 0);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

static void
group_not_viable(void **state)
{
	struct vfio_grp *g;
	(void)state;

	vfio_fake_add_dev(&F, 5, "0000:00:04.0", "e1000");
	vfio_fake_add_dev(&F, 5, "0000:00:05.0", NULL);	      /* no driver: fine */
	vfio_fake_add_dev(&F, 5, "0000:00:06.0", "pcieport"); /* a bridge: fine */
	vfio_fake_add_dev(&F, 5, "0000:00:07.0", "nvme");
	struct vfio_ctr *c = ctr();
	assert_int_equal(vfio_grp_open(c, 5, 0, &g, &E), -EBUSY);
	assert_string_equal(E.msg, "group 5 is not viable: 0000:00:04.0 is bound to e1000, "
				   "0000:00:07.0 is bound to nvme (bind every device of the "
				   "group to vfio-pci or unbind it)");
	assert_int_equal(F.open_fds, 1);
	assert_int_equal(F.ctr_groups, 0);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

static void
group_no_vfio_device(void **state)
{
	struct vfio_grp *g;
	(void)state;

	vfio_fake_add_dev(&F, 6, "0000:00:08.0", "e1000e");
	struct vfio_ctr *c = ctr();
	assert_int_equal(vfio_grp_open(c, 6, 0, &g, &E), -ENODEV);
	assert_non_null(strstr(E.msg, "/fake/dev/vfio/6 is missing"));
	assert_non_null(strstr(E.msg, "0000:00:08.0 is bound to e1000e"));
	assert_int_equal(vfio_grp_open(c, 42, 0, &g, &E), -ENODEV);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

static void
group_noiommu_refused(void **state)
{
	struct vfio_grp *g;
	(void)state;

	F.groups[0].noiommu = true;
	struct vfio_ctr *c = ctr();
	assert_int_equal(vfio_grp_open(c, 5, 0, &g, &E), -EPERM);
	assert_non_null(strstr(E.msg, "no-IOMMU group (/fake/dev/vfio/noiommu-5)"));
	assert_int_equal(F.open_fds, 1);
	/* Forced: accepted, but it has no DMA API. */
	assert_int_equal(vfio_grp_open(c, 5, VFIO_GRP_ALLOW_NOIOMMU, &g, &E), 0);
	assert_int_equal(F.iommu_type, VFIO_NOIOMMU_IOMMU);
	static char buf[4096];
	assert_int_equal(vfio_dma_map(c, buf, 0x1000, 0x1000, IOMMU_PERM_RW, &E), -ENOTSUP);
	const struct vfio_iommu_desc *d;
	assert_int_equal(vfio_ctr_iommu_desc(c, &d), -ENODEV);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

static void
group_in_other_container(void **state)
{
	struct vfio_grp *g;
	(void)state;

	F.groups[0].other_user = true;
	struct vfio_ctr *c = ctr();
	assert_int_equal(vfio_grp_open(c, 5, 0, &g, &E), -EBUSY);
	assert_non_null(strstr(E.msg, "already in a container"));
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

/* Each kernel call of vfio_grp_open() failing in turn: the group is never
 * left attached, its fd never open, the container never half set up. */
static void
group_open_each_call_fails(void **state)
{
	struct vfio_grp *g;
	int failures = 0;
	(void)state;

	for (long k = 1;; k++) {
		struct vfio_ctr *c = ctr();
		long base = F.calls;
		F.fail_at = base + k;
		F.injected = false;
		int rc = vfio_grp_open(c, 5, 0, &g, &E);
		F.fail_at = 0;
		if (!F.injected) {
			assert_int_equal(rc, 0);
			vfio_ctr_destroy(c);
			break;
		}
		failures++;
		assert_true(rc < 0);
		assert_false(vfio_ctr_is_ready(c));
		assert_int_equal(F.open_fds, 1); /* the container only */
		assert_int_equal(F.ctr_groups, 0);
		assert_int_equal(F.iommu_type, 0);
		vfio_ctr_destroy(c);
		assert_no_leaks();
	}
	/* open, GET_STATUS, SET_CONTAINER, SET_IOMMU, GET_INFO x2 at least */
	assert_true(failures >= 6);
}

static void
group_bad_iommu_info(void **state)
{
	struct vfio_grp *g;
	uint8_t raw[40] = {0};
	uint32_t v;
	(void)state;

	/* CAPS with a capability that points to itself. */
	v = sizeof(raw);
	memcpy(raw, &v, 4);
	v = VFIO_IOMMU_INFO_CAPS;
	memcpy(raw + 4, &v, 4);
	v = 24;
	memcpy(raw + 16, &v, 4);
	v = 24;
	memcpy(raw + 28, &v, 4);
	F.info_raw = raw;
	F.info_raw_len = sizeof(raw);
	struct vfio_ctr *c = ctr();
	assert_int_equal(vfio_grp_open(c, 5, 0, &g, &E), -EBADMSG);
	assert_non_null(strstr(E.msg, "points back"));
	assert_int_equal(F.ctr_groups, 0);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

static void
group_no_usable_range(void **state)
{
	struct vfio_grp *g;
	(void)state;

	F.n_ranges = 0;
	struct vfio_ctr *c = ctr();
	assert_int_equal(vfio_grp_open(c, 5, 0, &g, &E), -ENOSPC);
	assert_non_null(strstr(E.msg, "no usable IOVA range"));
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

/* ---- DMA ---- */

static uint8_t mem[16 * 4096] __attribute__((aligned(4096)));

static void
dma_map_unmap(void **state)
{
	struct vfio_grp *g;
	uint64_t n;
	(void)state;

	struct vfio_ctr *c = ctr_with_group(&g);
	assert_int_equal(vfio_dma_map(c, mem, 0x100000, 0x4000, IOMMU_PERM_RW, &E), 0);
	assert_int_equal(F.n_dma, 1);
	assert_int_equal(F.dma[0].flags, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	assert_int_equal(vfio_dma_map(c, mem + 0x4000, 0x104000, 0x1000, IOMMU_PERM_READ, &E), 0);
	assert_int_equal(F.dma[1].flags, VFIO_DMA_MAP_FLAG_READ);
	assert_as_equals_kernel(c);
	uint64_t tgt, len = 8;
	assert_int_equal(iommu_as_translate(vfio_ctr_as(c), 0x104000, &len, IOMMU_PERM_READ, &tgt),
			 0);
	assert_int_equal(tgt, (uintptr_t)(mem + 0x4000));
	assert_int_equal(vfio_dma_unmap(c, 0x100000, 0x5000, &n, &E), 0);
	assert_int_equal(n, 0x5000);
	assert_int_equal(F.n_dma, 0);
	assert_as_equals_kernel(c);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

static void
dma_refused_before_kernel(void **state)
{
	struct vfio_grp *g;
	(void)state;

	struct vfio_ctr *c = ctr();
	assert_int_equal(vfio_dma_map(c, mem, 0x1000, 0x1000, IOMMU_PERM_RW, &E), -ENODEV);
	assert_non_null(strstr(E.msg, "attach a group first"));
	assert_int_equal(vfio_grp_open(c, 5, 0, &g, &E), 0);
	assert_int_equal(vfio_dma_map(c, mem, 0x100000, 0x2000, IOMMU_PERM_RW, &E), 0);
	long calls = F.calls;
	/* The MSI window, outside the aperture, overlap, misaligned, no perm. */
	assert_int_equal(vfio_dma_map(c, mem, 0xfee00000, 0x1000, IOMMU_PERM_RW, &E),
			 -EADDRNOTAVAIL);
	assert_non_null(strstr(E.msg, "0xfee00000"));
	assert_int_equal(vfio_dma_map(c, mem, 1ull << 39, 0x1000, IOMMU_PERM_RW, &E), -ERANGE);
	assert_int_equal(vfio_dma_map(c, mem, 0x101000, 0x1000, IOMMU_PERM_RW, &E), -EEXIST);
	assert_int_equal(vfio_dma_map(c, mem, 0x200800, 0x1000, IOMMU_PERM_RW, &E), -EINVAL);
	assert_int_equal(vfio_dma_map(c, mem + 1, 0x200000, 0x1000, IOMMU_PERM_RW, &E), -EINVAL);
	assert_int_equal(vfio_dma_map(c, mem, 0x200000, 0x1000, 0, &E), -EINVAL);
	/* Unmaps that would split, misaligned, wrapping. */
	assert_int_equal(vfio_dma_unmap(c, 0x101000, 0x1000, NULL, &E), -EINVAL);
	assert_non_null(strstr(E.msg, "would split"));
	assert_int_equal(vfio_dma_unmap(c, 0xff000, 0x2000, NULL, &E), -EINVAL);
	assert_int_equal(vfio_dma_unmap(c, 0x100000, 0x800, NULL, &E), -EINVAL);
	assert_int_equal(vfio_dma_unmap(c, 0xfffffffffffff000ull, 0x2000, NULL, &E), -EOVERFLOW);
	assert_int_equal(F.calls, calls); /* the kernel never asked */
	assert_as_equals_kernel(c);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

static void
dma_kernel_refuses_map(void **state)
{
	struct vfio_grp *g;
	(void)state;

	struct vfio_ctr *c = ctr_with_group(&g);
	F.fail_at = F.calls + 1;
	F.fail_errno = ENOMEM;
	assert_int_equal(vfio_dma_map(c, mem, 0x100000, 0x1000, IOMMU_PERM_RW, &E), -ENOMEM);
	assert_non_null(strstr(E.msg, "VFIO_IOMMU_MAP_DMA"));
	assert_as_equals_kernel(c); /* the bookkeeping took it out again */
	uint64_t iova = 0;
	F.fail_at = F.calls + 1;
	assert_int_equal(vfio_dma_map_alloc(c, mem, 0x1000, 0, IOMMU_PERM_RW, &iova, &E), -ENOMEM);
	assert_as_equals_kernel(c);
	/* Now it works where it failed. */
	assert_int_equal(vfio_dma_map(c, mem, 0x100000, 0x1000, IOMMU_PERM_RW, &E), 0);
	assert_as_equals_kernel(c);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

static void
dma_kernel_refuses_unmap(void **state)
{
	struct vfio_grp *g;
	(void)state;

	struct vfio_ctr *c = ctr_with_group(&g);
	assert_int_equal(vfio_dma_map(c, mem, 0x100000, 0x1000, IOMMU_PERM_RW, &E), 0);
	F.fail_at = F.calls + 1;
	assert_int_equal(vfio_dma_unmap(c, 0x100000, 0x1000, NULL, &E), -EIO);
	assert_non_null(strstr(E.msg, "VFIO_IOMMU_UNMAP_DMA"));
	assert_int_equal(F.n_dma, 1);
	assert_as_equals_kernel(c);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

static void
dma_kernel_disagrees(void **state)
{
	struct vfio_grp *g;
	uint64_t n;
	(void)state;

	struct vfio_ctr *c = ctr_with_group(&g);
	assert_int_equal(vfio_dma_map(c, mem, 0x100000, 0x1000, IOMMU_PERM_RW, &E), 0);
	F.n_dma = 0; /* the kernel lost it behind our back */
	assert_int_equal(vfio_dma_unmap(c, 0x100000, 0x1000, &n, &E), -EIO);
	assert_non_null(strstr(E.msg, "the kernel removed 0x0 bytes, the bookkeeping 0x1000"));
	assert_as_equals_kernel(c);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

static void
dma_alloc(void **state)
{
	struct vfio_grp *g;
	uint64_t a, b, c2;
	(void)state;

	F.ranges[0] = (struct iommu_range){0x10000, 0xfedfffff};
	struct vfio_ctr *c = ctr_with_group(&g);
	assert_int_equal(vfio_dma_map_alloc(c, mem, 0x2000, 0, IOMMU_PERM_RW, &a, &E), 0);
	assert_int_equal(a, 0x10000);
	assert_int_equal(vfio_dma_map_alloc(c, mem, 0x1000, 0x10000, IOMMU_PERM_RW, &b, &E), 0);
	assert_int_equal(b, 0x20000);
	assert_int_equal(vfio_dma_map_alloc(c, mem, 0x1000, 0, IOMMU_PERM_RW, &c2, &E), 0);
	assert_int_equal(c2, 0x12000);
	assert_int_equal(F.n_dma, 3);
	assert_as_equals_kernel(c);
	assert_int_equal(vfio_dma_map_alloc(c, mem, 0x1000, 3, IOMMU_PERM_RW, &a, &E), -EINVAL);
	assert_int_equal(vfio_dma_map_alloc(c, mem, 1ull << 40, 0, IOMMU_PERM_RW, &a, &E), -ENOSPC);
	assert_as_equals_kernel(c);
	/* Destroy unmaps them in the kernel one by one. */
	long unmaps = F.unmap_dma_calls;
	vfio_ctr_destroy(c);
	assert_int_equal(F.unmap_dma_calls - unmaps, 3);
	assert_no_leaks();
}

static void
dma_limit_from_dma_avail(void **state)
{
	struct vfio_grp *g;
	uint64_t a;
	(void)state;

	F.dma_avail = 2;
	struct vfio_ctr *c = ctr_with_group(&g);
	assert_int_equal(vfio_dma_map_alloc(c, mem, 0x1000, 0, IOMMU_PERM_RW, &a, &E), 0);
	assert_int_equal(vfio_dma_map_alloc(c, mem, 0x1000, 0, IOMMU_PERM_RW, &a, &E), 0);
	long calls = F.calls;
	assert_int_equal(vfio_dma_map_alloc(c, mem, 0x1000, 0, IOMMU_PERM_RW, &a, &E), -ENOSPC);
	assert_int_equal(F.calls, calls);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

static void
last_group_close_drops_dma(void **state)
{
	struct vfio_grp *g;
	(void)state;

	struct vfio_ctr *c = ctr_with_group(&g);
	assert_int_equal(vfio_dma_map(c, mem, 0x100000, 0x1000, IOMMU_PERM_RW, &E), 0);
	vfio_grp_close(g);
	assert_int_equal(F.n_dma, 0);
	assert_false(vfio_ctr_is_ready(c));
	assert_int_equal(vfio_dma_map(c, mem, 0x100000, 0x1000, IOMMU_PERM_RW, &E), -ENODEV);
	/* A new group sets the IOMMU up again, empty. */
	assert_int_equal(vfio_grp_open(c, 5, 0, &g, &E), 0);
	assert_int_equal(vfio_dma_map(c, mem, 0x100000, 0x1000, IOMMU_PERM_RW, &E), 0);
	assert_as_equals_kernel(c);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(create_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(create_no_vfio_node, setup, teardown),
		cmocka_unit_test_setup_teardown(create_bad_api, setup, teardown),
		cmocka_unit_test_setup_teardown(create_no_type1v2, setup, teardown),
		cmocka_unit_test_setup_teardown(create_open_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(group_id_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(group_open_sets_iommu, setup, teardown),
		cmocka_unit_test_setup_teardown(group_not_viable, setup, teardown),
		cmocka_unit_test_setup_teardown(group_no_vfio_device, setup, teardown),
		cmocka_unit_test_setup_teardown(group_noiommu_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(group_in_other_container, setup, teardown),
		cmocka_unit_test_setup_teardown(group_open_each_call_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(group_bad_iommu_info, setup, teardown),
		cmocka_unit_test_setup_teardown(group_no_usable_range, setup, teardown),
		cmocka_unit_test_setup_teardown(dma_map_unmap, setup, teardown),
		cmocka_unit_test_setup_teardown(dma_refused_before_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(dma_kernel_refuses_map, setup, teardown),
		cmocka_unit_test_setup_teardown(dma_kernel_refuses_unmap, setup, teardown),
		cmocka_unit_test_setup_teardown(dma_kernel_disagrees, setup, teardown),
		cmocka_unit_test_setup_teardown(dma_alloc, setup, teardown),
		cmocka_unit_test_setup_teardown(dma_limit_from_dma_avail, setup, teardown),
		cmocka_unit_test_setup_teardown(last_group_close_drops_dma, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
