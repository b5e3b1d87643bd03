/* Devices against the fake kernel (vfio_fake.c): open and its error paths,
 * regions (sparse mmap, pread/pwrite fallback, config space, bounds), IRQs
 * through eventfds, reset, teardown; then a whole session with each kernel
 * call failing in turn, checking that nothing leaks and that the DMA
 * bookkeeping always equals the kernel's mappings. */
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

#define ADDR "0000:00:03.0"

static struct vfio_fake F;
static struct iovs_err E;
static uint8_t mem[8 * 4096] __attribute__((aligned(4096)));

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

static struct vfio_dev *
dev(struct vfio_ctr *c)
{
	struct vfio_dev *d = NULL;
	assert_int_equal(vfio_dev_open_pci(c, ADDR, 0, &d, &E), 0);
	return d;
}

static void
assert_no_leaks(void)
{
	assert_int_equal(F.open_fds, 0);
	assert_int_equal(F.n_mmaps, 0);
	assert_int_equal(F.n_dma, 0);
	assert_int_equal(F.ctr_groups, 0);
	for (int i = 0; i < FAKE_IRQS; i++)
		assert_int_equal(F.groups[0].devs[0].irq_on[i], 0);
}

static void
open_close(void **state)
{
	struct vfio_dev_desc dd;
	(void)state;

	struct vfio_ctr *c = ctr();
	struct vfio_dev *d = dev(c);
	vfio_dev_get_desc(d, &dd);
	assert_int_equal(dd.num_regions, FAKE_REGIONS);
	assert_int_equal(dd.num_irqs, FAKE_IRQS);
	assert_true(dd.flags & VFIO_DEVICE_FLAGS_RESET);
	assert_string_equal(vfio_dev_name(d), ADDR);
	assert_int_equal(vfio_grp_id(vfio_dev_group(d)), 5);
	assert_int_equal(F.open_fds, 3);
	vfio_dev_close(d);
	assert_int_equal(F.open_fds, 1); /* the group went with its last device */
	vfio_dev_close(NULL);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

static void
open_not_viable_names_device(void **state)
{
	struct vfio_dev *d;
	(void)state;

	vfio_fake_add_dev(&F, 5, "0000:00:04.0", "e1000");
	struct vfio_ctr *c = ctr();
	assert_int_equal(vfio_dev_open_pci(c, ADDR, 0, &d, &E), -EBUSY);
	assert_string_equal(E.msg, ADDR ": group 5 is not viable: 0000:00:04.0 is bound to "
					"e1000 (bind every device of the group to vfio-pci or "
					"unbind it)");
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

static void
open_no_iommu(void **state)
{
	struct vfio_dev *d;
	(void)state;

	F.no_iommu = true;
	struct vfio_ctr *c = ctr();
	assert_int_equal(vfio_dev_open_pci(c, ADDR, 0, &d, &E), -ENODEV);
	assert_non_null(strstr(E.msg, "no IOMMU: " ADDR " has no iommu_group"));
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

/* The device's own calls failing: GET_DEVICE_FD, then GET_INFO. */
static void
open_device_calls_fail(void **state)
{
	struct vfio_dev *d;
	struct vfio_grp *g;
	(void)state;

	struct vfio_ctr *c = ctr();
	assert_int_equal(vfio_grp_open(c, 5, 0, &g, &E), 0); /* keeps the group attached */
	for (int k = 1; k <= 3; k++) {
		/* readlink iommu_group, GET_DEVICE_FD, DEVICE_GET_INFO */
		F.fail_at = F.calls + k;
		F.injected = false;
		assert_int_equal(vfio_dev_open_pci(c, ADDR, 0, &d, &E), -EIO);
		assert_true(F.injected);
		assert_int_equal(F.open_fds, 2); /* container + group, no device */
		assert_int_equal(g->refs, 1);
	}
	vfio_grp_close(g);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

static void
regions_sparse_mmap(void **state)
{
	struct vfio_region_desc rd;
	uint32_t v;
	(void)state;

	struct vfio_ctr *c = ctr();
	struct vfio_dev *d = dev(c);
	assert_int_equal(vfio_region_get_desc(d, VFIO_PCI_BAR0_REGION_INDEX, &rd, &E), 0);
	assert_int_equal(rd.size, 0x4000);
	assert_true(rd.sparse);
	assert_int_equal(rd.n_areas, 2);
	assert_int_equal(vfio_region_map(d, VFIO_PCI_BAR0_REGION_INDEX, &E), 0);
	assert_int_equal(F.n_mmaps, 2);
	assert_int_equal(vfio_region_map(d, VFIO_PCI_BAR0_REGION_INDEX, &E), 0); /* idempotent */
	assert_int_equal(F.n_mmaps, 2);
	uint8_t *bar0 = F.groups[0].devs[0].regions[0].mem;
	/* Inside an area: the pointer is the device memory itself. */
	assert_ptr_equal(vfio_region_ptr(d, 0, 0x3800, 4), bar0 + 0x3800);
	assert_null(vfio_region_ptr(d, 0, 0x2000, 4)); /* the hole */
	assert_null(vfio_region_ptr(d, 0, 0x1ffe, 4)); /* across the hole's edge */
	assert_null(vfio_region_ptr(d, 0, 0x3ffe, 4)); /* past the end */
	assert_null(vfio_region_ptr(d, 99, 0, 4));
	v = 0x12345678;
	assert_int_equal(vfio_region_write(d, 0, 0x3818, &v, 4), 0); /* through the mapping */
	assert_int_equal(memcmp(bar0 + 0x3818, &v, 4), 0);
	long calls = F.calls;
	v = 0xabcd;
	assert_int_equal(vfio_region_write(d, 0, 0x2004, &v, 4), 0); /* hole: pwrite */
	assert_int_equal(F.calls, calls + 1);
	assert_int_equal(memcmp(bar0 + 0x2004, &v, 4), 0);
	v = 0;
	assert_int_equal(vfio_region_read(d, 0, 0x2004, &v, 4), 0);
	assert_int_equal(v, 0xabcd);
	assert_int_equal(vfio_region_read(d, 0, 0x3ffe, &v, 4), -ERANGE);
	assert_int_equal(vfio_region_read(d, 0, UINT64_MAX, &v, 4), -ERANGE);
	vfio_dev_close(d);
	assert_int_equal(F.n_mmaps, 0);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

static void
regions_no_mmap(void **state)
{
	uint32_t v = 7;
	uint16_t vendor = 0;
	(void)state;

	struct vfio_ctr *c = ctr();
	struct vfio_dev *d = dev(c);
	assert_int_equal(vfio_region_map(d, VFIO_PCI_BAR1_REGION_INDEX, &E), -ENOTSUP);
	assert_non_null(strstr(E.msg, "may not be mmap'ed"));
	assert_int_equal(vfio_region_write(d, VFIO_PCI_BAR1_REGION_INDEX, 0x10, &v, 4), 0);
	v = 0;
	assert_int_equal(vfio_region_read(d, VFIO_PCI_BAR1_REGION_INDEX, 0x10, &v, 4), 0);
	assert_int_equal(v, 7);
	assert_int_equal(vfio_cfg_read(d, 0, &vendor, 2), 0);
	assert_int_equal(vendor, 0x8086);
	uint16_t cmd = 0x6;
	assert_int_equal(vfio_cfg_write(d, 4, &cmd, 2), 0);
	assert_int_equal(F.groups[0].devs[0].regions[VFIO_PCI_CONFIG_REGION_INDEX].mem[4], 6);
	assert_int_equal(vfio_cfg_read(d, 255, &vendor, 2), -ERANGE);
	/* BAR2 has size 0 and no flags. */
	assert_int_equal(vfio_region_read(d, VFIO_PCI_BAR2_REGION_INDEX, 0, &v, 4), -ERANGE);
	assert_int_equal(vfio_region_map(d, VFIO_PCI_BAR2_REGION_INDEX, &E), -ENOTSUP);
	assert_int_equal(vfio_region_map(d, 64, &E), -ERANGE);
	/* Read-only region refuses writes. */
	F.groups[0].devs[0].regions[VFIO_PCI_ROM_REGION_INDEX].size = 0x100;
	F.groups[0].devs[0].regions[VFIO_PCI_ROM_REGION_INDEX].flags = VFIO_REGION_INFO_FLAG_READ;
	assert_int_equal(vfio_region_write(d, VFIO_PCI_ROM_REGION_INDEX, 0, &v, 4), -EACCES);
	vfio_dev_close(d);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

static void
regions_mmap_fails_midway(void **state)
{
	(void)state;

	struct vfio_ctr *c = ctr();
	struct vfio_dev *d = dev(c);
	/* GET_REGION_INFO twice (argsz), mmap area 0, mmap area 1 fails. */
	F.fail_at = F.calls + 4;
	F.fail_errno = ENOMEM;
	assert_int_equal(vfio_region_map(d, 0, &E), -ENOMEM);
	assert_non_null(strstr(E.msg, "area 1"));
	assert_int_equal(F.n_mmaps, 0); /* area 0 unmapped again */
	assert_null(vfio_region_ptr(d, 0, 0, 4));
	assert_int_equal(vfio_region_map(d, 0, &E), 0); /* and it can be retried */
	vfio_ctr_destroy(c);				/* closes the device too */
	assert_no_leaks();
}

static void
irqs(void **state)
{
	struct vfio_irq_desc id;
	const int fds[3] = {41, 42, 43}; /* the fake only records them */
	(void)state;

	struct vfio_ctr *c = ctr();
	struct vfio_dev *d = dev(c);
	struct fake_dev *fd = &F.groups[0].devs[0];
	assert_int_equal(vfio_irq_get_desc(d, VFIO_PCI_MSIX_IRQ_INDEX, &id, &E), 0);
	assert_int_equal(id.count, 5);
	assert_true(id.flags & VFIO_IRQ_INFO_EVENTFD);
	assert_int_equal(vfio_irq_enable(d, VFIO_PCI_MSIX_IRQ_INDEX, 0, 3, fds, &E), 0);
	assert_int_equal(fd->irq_on[VFIO_PCI_MSIX_IRQ_INDEX], 3);
	assert_int_equal(fd->irq_fd0[VFIO_PCI_MSIX_IRQ_INDEX], 41);
	assert_int_equal(vfio_irq_enable(d, VFIO_PCI_MSIX_IRQ_INDEX, 3, 3, fds, &E), -EINVAL);
	assert_int_equal(vfio_irq_enable(d, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, fds, &E), -EINVAL);
	assert_int_equal(vfio_irq_enable(d, 9, 0, 1, fds, &E), -ERANGE);
	assert_int_equal(vfio_irq_disable(d, VFIO_PCI_MSIX_IRQ_INDEX, &E), 0);
	assert_int_equal(fd->irq_on[VFIO_PCI_MSIX_IRQ_INDEX], 0);
	assert_int_equal(vfio_irq_enable(d, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, fds, &E), 0);
	F.fail_at = F.calls + 2; /* GET_IRQ_INFO fine, SET_IRQS fails */
	assert_int_equal(vfio_irq_enable(d, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, fds, &E), -EIO);
	assert_int_equal(fd->irq_on[VFIO_PCI_MSI_IRQ_INDEX], 0);
	/* Closing turns INTx off. */
	vfio_dev_close(d);
	assert_int_equal(fd->irq_on[VFIO_PCI_INTX_IRQ_INDEX], 0);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

static void
reset(void **state)
{
	(void)state;

	struct vfio_ctr *c = ctr();
	struct vfio_dev *d = dev(c);
	assert_int_equal(vfio_dev_reset(d, &E), 0);
	assert_int_equal(F.groups[0].devs[0].resets, 1);
	F.fail_at = F.calls + 1;
	assert_int_equal(vfio_dev_reset(d, &E), -EIO);
	vfio_dev_close(d);
	F.groups[0].devs[0].flags &= ~VFIO_DEVICE_FLAGS_RESET;
	d = dev(c);
	long calls = F.calls;
	assert_int_equal(vfio_dev_reset(d, &E), -ENOTSUP);
	assert_int_equal(F.calls, calls);
	vfio_ctr_destroy(c);
	assert_no_leaks();
}

/* ---- a whole session, each kernel call failing in turn ---- */

static int
count_in_fake(const struct iommu_mapping *m, void *arg)
{
	int *n = arg;
	for (int i = 0; i < F.n_dma; i++)
		if (F.dma[i].iova == m->iova && F.dma[i].size == m->size)
			(*n)++;
	return 0;
}

static void
assert_consistent(const struct vfio_ctr *c)
{
	struct iommu_as_stats st;
	int found = 0;

	if (!vfio_ctr_as(c)) {
		assert_int_equal(F.n_dma, 0);
		return;
	}
	iommu_as_get_stats(vfio_ctr_as(c), &st);
	iommu_as_foreach(vfio_ctr_as(c), count_in_fake, &found);
	assert_int_equal(st.mappings, F.n_dma);
	assert_int_equal(found, F.n_dma);
}

/* Returns 0, or the first error. */
static int
session(struct vfio_ctr **cp)
{
	struct vfio_env env = vfio_fake_env(&F);
	struct vfio_dev *d;
	const int fds[2] = {50, 51};
	uint64_t iova;
	uint32_t v = 1;
	int rc;

	*cp = NULL;
	if ((rc = vfio_ctr_create(&env, cp, NULL)) != 0)
		return rc;
	if ((rc = vfio_dev_open_pci(*cp, ADDR, 0, &d, NULL)) != 0)
		return rc;
	if ((rc = vfio_region_map(d, 0, NULL)) != 0)
		return rc;
	if ((rc = vfio_cfg_read(d, 0, &v, 4)) != 0)
		return rc;
	if ((rc = vfio_region_write(d, VFIO_PCI_BAR1_REGION_INDEX, 0, &v, 4)) != 0)
		return rc;
	if ((rc = vfio_irq_enable(d, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, fds, NULL)) != 0)
		return rc;
	if ((rc = vfio_dma_map_alloc(*cp, mem, 0x2000, 0, IOMMU_PERM_RW, &iova, NULL)) != 0)
		return rc;
	if ((rc = vfio_dma_map(*cp, mem + 0x2000, 0x100000, 0x1000, IOMMU_PERM_READ, NULL)) != 0)
		return rc;
	if ((rc = vfio_dev_reset(d, NULL)) != 0)
		return rc;
	if ((rc = vfio_dma_unmap(*cp, iova, 0x2000, NULL, NULL)) != 0)
		return rc;
	if ((rc = vfio_irq_disable(d, VFIO_PCI_MSIX_IRQ_INDEX, NULL)) != 0)
		return rc;
	/* Left open on purpose: BAR0 mapped, one DMA mapping, the device. */
	return 0;
}

static void
each_call_fails(void **state)
{
	int failed = 0;
	(void)state;

	for (long k = 1;; k++) {
		struct vfio_ctr *c;
		vfio_fake_fini(&F);
		vfio_fake_init(&F);
		F.fail_at = k;
		int rc = session(&c);
		if (!F.injected) {
			F.fail_at = 0;
			assert_int_equal(rc, 0);
			assert_consistent(c);
			assert_int_equal(F.n_dma, 1);
			assert_int_equal(F.n_mmaps, 2);
			vfio_ctr_destroy(c);
			assert_no_leaks();
			break;
		}
		failed++;
		/* The failing call is the one that was asked to fail. */
		assert_int_equal(rc, -EIO);
		if (c)
			assert_consistent(c);
		vfio_ctr_destroy(c);
		assert_no_leaks();
	}
	print_message("session: %d kernel calls, each failed once; no leak, bookkeeping == "
		      "kernel every time\n",
		      failed);
	assert_true(failed >= 20);
}

/* Teardown with each of its kernel calls failing (SET_IRQS off, UNMAP_DMA,
 * UNSET_CONTAINER): close and munmap release anyway, so nothing leaks. */
static void
teardown_calls_fail(void **state)
{
	struct vfio_ctr *c;
	int failed = 0;
	(void)state;

	/* How many calls a clean teardown makes. */
	assert_int_equal(session(&c), 0);
	long before = F.calls;
	vfio_ctr_destroy(c);
	long n = F.calls - before;
	for (long k = 1; k <= n; k++) {
		vfio_fake_fini(&F);
		vfio_fake_init(&F);
		assert_int_equal(session(&c), 0);
		F.fail_at = F.calls + k;
		vfio_ctr_destroy(c);
		assert_no_leaks();
		failed += F.injected;
	}
	assert_true(failed >= 2); /* UNMAP_DMA, UNSET_CONTAINER (close, munmap never fail) */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(open_close, setup, teardown),
		cmocka_unit_test_setup_teardown(open_not_viable_names_device, setup, teardown),
		cmocka_unit_test_setup_teardown(open_no_iommu, setup, teardown),
		cmocka_unit_test_setup_teardown(open_device_calls_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(regions_sparse_mmap, setup, teardown),
		cmocka_unit_test_setup_teardown(regions_no_mmap, setup, teardown),
		cmocka_unit_test_setup_teardown(regions_mmap_fails_midway, setup, teardown),
		cmocka_unit_test_setup_teardown(irqs, setup, teardown),
		cmocka_unit_test_setup_teardown(reset, setup, teardown),
		cmocka_unit_test_setup_teardown(each_call_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(teardown_calls_fail, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
