/* Inventory: a PF of the fake tree with VFs made by the fake kernel, every
 * detail of PF and VFs, a virtfnN link that disagrees with offset/stride
 * (the error names both), the IOMMU group predicate, and the real sysfs of
 * this host through libpci (root "/": no error, whatever it finds). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sriov_test_tree.h"

#define PF "0000:03:00.0"

static struct tt *
new_tree(void)
{
	struct tt *t = tt_create();
	uint8_t cfg[SRIOV_CFG_SIZE];

	tt_config(cfg, 0x8086, 0x10c9, 8, 0x80, 2, 0x10ca);
	tt_add_pf(t, PF, cfg, sizeof(cfg), "igb", 8, "igbvf");
	tt_add_netdev(t, PF, "enp3s0", 7, "up");
	tt_set_group(t, PF, 12);
	tt_add_driver(t, SRIOV_VFIO_DRIVER);
	return t;
}

static struct sriov_ctx *
new_ctx(struct tt *t)
{
	struct iovs_err err = {""};
	struct sriov_ctx *ctx;

	if (sriov_ctx_create(&t->conf, &ctx, &err) != 0)
		fail_msg("%s", err.msg);
	return ctx;
}

static void
create(struct sriov_ctx *ctx, unsigned n)
{
	struct iovs_err err = {""};
	struct sriov_addr pf;

	sriov_addr_parse(PF, &pf, NULL);
	if (sriov_vfs_create(ctx, &pf, n, true, &err) != 0)
		fail_msg("%s", err.msg);
}

static void
test_inventory(void **state)
{
	static const char *vf_addr[] = {"0000:03:10.0", "0000:03:10.2", "0000:03:10.4"};
	struct tt *t = new_tree();
	struct sriov_ctx *ctx = new_ctx(t);
	struct iovs_err err = {""};
	struct sriov_pf *pfs;
	char s[SRIOV_ADDR_STR];
	size_t n;

	(void)state;
	create(ctx, 3);
	tt_add_netdev(t, vf_addr[0], "enp3s0v0", 9, "down");
	tt_write_str(t, "sys/bus/pci/devices/0000:03:10.2/numa_node", "-1");
	tt_write_str(t, "sys/bus/pci/devices/0000:03:10.4/driver_override", "vfio-pci");
	if (sriov_pf_list(ctx, &pfs, &n, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(n, 1);
	assert_string_equal(sriov_addr_str(&pfs[0].addr, s), PF);
	assert_int_equal(pfs[0].vendor, 0x8086);
	assert_int_equal(pfs[0].device, 0x10c9);
	assert_int_equal(pfs[0].cap.offset, 0x100);
	assert_int_equal(pfs[0].cap.vf_device, 0x10ca);
	assert_int_equal(pfs[0].num_vfs, 3);
	assert_int_equal(pfs[0].total_vfs, 8);
	assert_true(pfs[0].autoprobe);
	assert_string_equal(pfs[0].driver, "igb");
	assert_string_equal(pfs[0].ifname, "enp3s0");
	assert_string_equal(pfs[0].operstate, "up");
	assert_int_equal(pfs[0].numa_node, 0);
	assert_int_equal(pfs[0].iommu_group, 12);
	assert_int_equal(pfs[0].n_vfs, 3);
	for (unsigned i = 0; i < 3; i++) {
		const struct sriov_vf *vf = &pfs[0].vfs[i];

		assert_int_equal(vf->index, i);
		assert_string_equal(sriov_addr_str(&vf->addr, s), vf_addr[i]);
		assert_string_equal(vf->driver, "igbvf");
		assert_int_equal(vf->iommu_group, 13 + (int)i);
	}
	assert_string_equal(pfs[0].vfs[0].ifname, "enp3s0v0");
	assert_string_equal(pfs[0].vfs[0].operstate, "down");
	assert_string_equal(pfs[0].vfs[1].ifname, "");
	assert_int_equal(pfs[0].vfs[0].numa_node, 0);
	assert_int_equal(pfs[0].vfs[1].numa_node, SRIOV_NO_NODE);
	assert_string_equal(pfs[0].vfs[0].driver_override, "");
	assert_string_equal(pfs[0].vfs[2].driver_override, "vfio-pci");
	sriov_pf_list_free(pfs, n);
	sriov_ctx_destroy(ctx);
	tt_destroy(t);
}

static void
test_virtfn_mismatch(void **state)
{
	struct tt *t = new_tree();
	struct sriov_ctx *ctx = new_ctx(t);
	struct iovs_err err = {""};
	struct sriov_pf *pfs, pf;
	struct sriov_addr a;
	size_t n;

	(void)state;
	create(ctx, 3);
	tt_symlink(t, "../0000:03:10.5", "sys/bus/pci/devices/" PF "/virtfn1");
	assert_int_equal(sriov_pf_list(ctx, &pfs, &n, &err), -EIO);
	assert_null(pfs);
	assert_string_equal(err.msg, "PF 0000:03:00.0: VF 1 of 0000:03:00.0: virtfn1 is "
				     "0000:03:10.5 but offset 128 and stride 2 give 0000:03:10.2");
	sriov_addr_parse(PF, &a, NULL);
	assert_int_equal(sriov_pf_get(ctx, &a, &pf, &err), -EIO);
	unlink(strcat(strcpy((char[SRIOV_PATH_MAX]){0}, t->root),
		      "/sys/bus/pci/devices/" PF "/virtfn1"));
	assert_int_equal(sriov_pf_get(ctx, &a, &pf, &err), -ENOENT);
	assert_string_equal(err.msg, "PF 0000:03:00.0: VF 1 of 0000:03:00.0: no virtfn1 link "
				     "(expected 0000:03:10.2)");
	sriov_ctx_destroy(ctx);
	tt_destroy(t);
}

static void
test_group(void **state)
{
	struct tt *t = new_tree();
	struct sriov_ctx *ctx = new_ctx(t);
	struct iovs_err err = {""};
	uint8_t cfg[256] = {0x86, 0x80, 0x3a, 0x15};
	struct sriov_addr vf0, other;

	(void)state;
	create(ctx, 2);
	sriov_addr_parse("0000:03:10.0", &vf0, NULL);
	/* Alone in group 13 and bound to igbvf itself: fine (bind is separate). */
	assert_true(sriov_group_is_assignable(ctx, &vf0, &err));
	/* Another device in the group, driven by the host. */
	tt_add_device(t, "0000:00:19.0", cfg, sizeof(cfg), "e1000e");
	tt_set_group(t, "0000:00:19.0", 13);
	assert_false(sriov_group_is_assignable(ctx, &vf0, &err));
	assert_string_equal(err.msg, "IOMMU group 13 of 0000:03:10.0 also holds 0000:00:19.0, "
				     "bound to e1000e (needs vfio-pci or no driver)");
	/* The same device on vfio-pci, then on no driver: fine. */
	sriov_addr_parse("0000:00:19.0", &other, NULL);
	tt_symlink(t, "../../drivers/vfio-pci", "sys/bus/pci/devices/0000:00:19.0/driver");
	assert_true(sriov_group_is_assignable(ctx, &vf0, &err));
	unlink(strcat(strcpy((char[SRIOV_PATH_MAX]){0}, t->root),
		      "/sys/bus/pci/devices/0000:00:19.0/driver"));
	assert_true(sriov_group_is_assignable(ctx, &vf0, &err));
	/* No group at all. */
	unlink(strcat(strcpy((char[SRIOV_PATH_MAX]){0}, t->root),
		      "/sys/bus/pci/devices/0000:03:10.0/iommu_group"));
	assert_false(sriov_group_is_assignable(ctx, &vf0, &err));
	assert_string_equal(err.msg, "0000:03:10.0 has no IOMMU group (no IOMMU, or it is off)");
	sriov_ctx_destroy(ctx);
	tt_destroy(t);
}

static void
test_ctx(void **state)
{
	struct sriov_conf conf = {0};
	struct iovs_err err = {""};
	struct sriov_ctx *ctx;
	char longroot[SRIOV_PATH_MAX];

	(void)state;
	assert_int_equal(sriov_ctx_create(NULL, &ctx, &err), 0);
	sriov_ctx_destroy(ctx);
	memset(longroot, 'a', sizeof(longroot) - 1);
	longroot[sizeof(longroot) - 1] = '\0';
	conf.root = longroot;
	assert_int_equal(sriov_ctx_create(&conf, &ctx, &err), -EINVAL);
	assert_null(ctx);
	conf.root = "";
	assert_int_equal(sriov_ctx_create(&conf, &ctx, &err), -EINVAL);
	sriov_ctx_destroy(NULL);
}

/* This host through libpci and the real sysfs: no error. This machine has
 * no SR-IOV device, so zero PFs here; elsewhere whatever is there. */
static void
test_host(void **state)
{
	struct sriov_conf conf = {.root = "/"};
	struct iovs_err err = {""};
	struct sriov_ctx *ctx;
	struct sriov_pf *pfs;
	struct stat st;
	size_t n;

	(void)state;
	if (stat("/sys/bus/pci/devices", &st) != 0 || geteuid() != 0) {
		printf("SKIP: no /sys/bus/pci/devices, or not root (config space past 64 bytes "
		       "needs root)\n");
		skip();
	}
	assert_int_equal(sriov_ctx_create(&conf, &ctx, &err), 0);
	if (sriov_pf_list(ctx, &pfs, &n, &err) != 0)
		fail_msg("%s", err.msg);
	printf("host: %zu SR-IOV PFs\n", n);
	for (size_t i = 0; i < n; i++) {
		char s[SRIOV_ADDR_STR];

		printf("  %s: %u of %u VFs, driver %s\n", sriov_addr_str(&pfs[i].addr, s),
		       pfs[i].num_vfs, pfs[i].total_vfs, pfs[i].driver);
		assert_int_equal(pfs[i].n_vfs, pfs[i].num_vfs);
	}
	if (getenv("SRIOV_HOST_PFS") != NULL)
		assert_int_equal(n, strtoul(getenv("SRIOV_HOST_PFS"), NULL, 10));
	sriov_pf_list_free(pfs, n);
	sriov_ctx_destroy(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inventory), cmocka_unit_test(test_virtfn_mismatch),
		cmocka_unit_test(test_group),	  cmocka_unit_test(test_ctx),
		cmocka_unit_test(test_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
