/* Driver binding on the fake tree: the exact writes of bind and release,
 * the original driver restored (or none, or the kernel's choice without a
 * record), refusals, and rollback at every write and every step. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sriov_test_tree.h"

#define PF   "0000:03:00.0"
#define VF1  "0000:03:10.2"
#define DEVS "sys/bus/pci/devices/"
#define BUS  "sys/bus/pci/"

static struct tt *
new_tree(bool autoprobe, struct sriov_ctx **ctx, const char *fail_step)
{
	struct tt *t = tt_create();
	uint8_t cfg[SRIOV_CFG_SIZE];
	struct iovs_err err = {""};
	struct sriov_addr pf;

	tt_config(cfg, 0x8086, 0x10c9, 8, 0x80, 2, 0x10ca);
	tt_add_pf(t, PF, cfg, sizeof(cfg), "igb", 8, "igbvf");
	tt_add_driver(t, SRIOV_VFIO_DRIVER);
	t->conf.fail_step = fail_step;
	if (sriov_ctx_create(&t->conf, ctx, &err) != 0)
		fail_msg("%s", err.msg);
	sriov_addr_parse(PF, &pf, NULL);
	/* Created without the fault hook: only the bind below may fail. */
	{
		struct sriov_ctx *plain;

		t->conf.fail_step = NULL;
		assert_int_equal(sriov_ctx_create(&t->conf, &plain, &err), 0);
		if (sriov_vfs_create(plain, &pf, 2, autoprobe, &err) != 0)
			fail_msg("%s", err.msg);
		sriov_ctx_destroy(plain);
	}
	t->n_writes = 0;
	return t;
}

static void
expect_writes(struct tt *t, const char *const *want, size_t n)
{
	if (t->n_writes != n) {
		for (size_t i = 0; i < t->n_writes && i < TT_MAX_WRITES; i++)
			printf("write %zu: %s = %s\n", i + 1, t->writes[i].path, t->writes[i].val);
		fail_msg("%zu writes, expected %zu", t->n_writes, n);
	}
	for (size_t i = 0; i < n; i++) {
		char line[SRIOV_PATH_MAX + 64];

		snprintf(line, sizeof(line), "%s=%s", t->writes[i].path, t->writes[i].val);
		assert_string_equal(line, want[i]);
	}
	t->n_writes = 0;
}

static const char *
driver_of(struct tt *t, const char *addr)
{
	static char buf[SRIOV_NAME_MAX];
	char rel[SRIOV_PATH_MAX];

	snprintf(rel, sizeof(rel), DEVS "%s/driver", addr);
	return tt_link(t, rel, buf, sizeof(buf));
}

static void
test_bind_release(void **state)
{
	static const char *const bind[] = {
		BUS "drivers/igbvf/unbind=" VF1,
		DEVS VF1 "/driver_override=vfio-pci",
		BUS "drivers_probe=" VF1,
	};
	static const char *const release[] = {
		BUS "drivers/vfio-pci/unbind=" VF1,
		DEVS VF1 "/driver_override=\n",
		BUS "drivers/igbvf/bind=" VF1,
	};
	struct sriov_ctx *ctx;
	struct tt *t = new_tree(true, &ctx, NULL);
	struct iovs_err err = {""};
	struct sriov_addr pf;
	char orig[SRIOV_NAME_MAX], buf[64];

	(void)state;
	sriov_addr_parse(PF, &pf, NULL);
	assert_string_equal(driver_of(t, VF1), "igbvf");
	assert_false(sriov_vf_original_driver(ctx, &pf, 1, orig));
	if (sriov_vf_bind(ctx, &pf, 1, "vfio-pci", &err) != 0)
		fail_msg("%s", err.msg);
	expect_writes(t, bind, 3);
	assert_string_equal(driver_of(t, VF1), "vfio-pci");
	assert_string_equal(driver_of(t, "0000:03:10.0"), "igbvf");
	assert_true(sriov_vf_original_driver(ctx, &pf, 1, orig));
	assert_string_equal(orig, "igbvf");
	/* Bound already: nothing to do, the record stays. */
	assert_int_equal(sriov_vf_bind(ctx, &pf, 1, "vfio-pci", &err), 0);
	assert_int_equal(t->n_writes, 0);
	if (sriov_vf_release(ctx, &pf, 1, &err) != 0)
		fail_msg("%s", err.msg);
	expect_writes(t, release, 3);
	assert_string_equal(driver_of(t, VF1), "igbvf");
	assert_string_equal(tt_read(t, DEVS VF1 "/driver_override", buf, sizeof(buf)), "(null)");
	assert_false(sriov_vf_original_driver(ctx, &pf, 1, orig));
	/* Release without a record: the override is cleared and the kernel
	 * probes (igbvf again here). */
	tt_write_str(t, DEVS VF1 "/driver_override", "vfio-pci");
	t->n_writes = 0;
	assert_int_equal(sriov_vf_release(ctx, &pf, 1, &err), 0);
	assert_string_equal(driver_of(t, VF1), "igbvf");
	sriov_ctx_destroy(ctx);
	tt_destroy(t);
}

/* A VF with no driver goes back to no driver. */
static void
test_bind_unbound(void **state)
{
	static const char *const bind[] = {
		DEVS VF1 "/driver_override=vfio-pci",
		BUS "drivers_probe=" VF1,
	};
	static const char *const release[] = {
		BUS "drivers/vfio-pci/unbind=" VF1,
		DEVS VF1 "/driver_override=\n",
	};
	struct sriov_ctx *ctx;
	struct tt *t = new_tree(false, &ctx, NULL);
	struct iovs_err err = {""};
	struct sriov_addr pf;
	char orig[SRIOV_NAME_MAX];

	(void)state;
	sriov_addr_parse(PF, &pf, NULL);
	assert_string_equal(driver_of(t, VF1), "");
	assert_int_equal(sriov_vf_bind(ctx, &pf, 1, "vfio-pci", &err), 0);
	expect_writes(t, bind, 2);
	assert_true(sriov_vf_original_driver(ctx, &pf, 1, orig));
	assert_string_equal(orig, "");
	assert_int_equal(sriov_vf_release(ctx, &pf, 1, &err), 0);
	expect_writes(t, release, 2);
	assert_string_equal(driver_of(t, VF1), "");
	sriov_ctx_destroy(ctx);
	tt_destroy(t);
}

static void
test_bind_refused(void **state)
{
	struct sriov_ctx *ctx;
	struct tt *t = new_tree(true, &ctx, NULL);
	struct iovs_err err = {""};
	struct sriov_addr pf;

	(void)state;
	sriov_addr_parse(PF, &pf, NULL);
	assert_int_equal(sriov_vf_bind(ctx, &pf, 1, "nosuch", &err), -ENOENT);
	assert_string_equal(err.msg, "bind VF 1 of 0000:03:00.0: driver nosuch is not loaded (no "
				     "/sys/bus/pci/drivers/nosuch)");
	assert_int_equal(sriov_vf_bind(ctx, &pf, 1, "../igb", &err), -EINVAL);
	assert_int_equal(sriov_vf_bind(ctx, &pf, 1, "", &err), -EINVAL);
	assert_int_equal(sriov_vf_bind(ctx, &pf, 1, NULL, &err), -EINVAL);
	/* VF 2 does not exist (2 VFs). */
	assert_int_equal(sriov_vf_bind(ctx, &pf, 2, "vfio-pci", &err), -ENOENT);
	assert_string_equal(err.msg, "bind VF 2 of 0000:03:00.0: VF 2 of 0000:03:00.0: no virtfn2 "
				     "link (expected 0000:03:10.4)");
	assert_int_equal(t->n_writes, 0);
	sriov_ctx_destroy(ctx);
	tt_destroy(t);
}

/* Fails write K of bind, then of release, for every K. */
static void
test_rollback_every_write(void **state)
{
	(void)state;
	for (int release = 0; release < 2; release++) {
		for (unsigned k = 1;; k++) {
			struct sriov_ctx *ctx;
			struct tt *t = new_tree(true, &ctx, NULL);
			struct iovs_err err = {""};
			struct sriov_addr pf;
			char before[4096], after[4096], orig[SRIOV_NAME_MAX];
			int rc;

			sriov_addr_parse(PF, &pf, NULL);
			if (release)
				assert_int_equal(sriov_vf_bind(ctx, &pf, 1, "vfio-pci", &err), 0);
			tt_state(t, before, sizeof(before));
			t->n_writes = 0;
			t->fail_write = k;
			rc = release ? sriov_vf_release(ctx, &pf, 1, &err)
				     : sriov_vf_bind(ctx, &pf, 1, "vfio-pci", &err);
			tt_state(t, after, sizeof(after));
			sriov_ctx_destroy(ctx);
			tt_destroy(t);
			if (k > 3) {
				assert_int_equal(rc, 0);
				break;
			}
			assert_int_equal(rc, -EIO);
			if (strcmp(after, before) != 0)
				fail_msg("%s, write %u: %s\nbefore %s\nafter  %s",
					 release ? "release" : "bind", k, err.msg, before, after);
			assert_non_null(strstr(err.msg, "injected failure of write"));
			/* A failed release keeps the record, a failed bind makes none. */
			(void)orig;
		}
	}
}

static void
test_rollback_every_step(void **state)
{
	static const char *const steps[] = {"unbind", "driver-override", "probe", "check-driver"};

	(void)state;
	for (unsigned k = 0; k < 4; k++) {
		struct sriov_ctx *ctx;
		struct tt *t = new_tree(true, &ctx, steps[k]);
		struct iovs_err err = {""};
		struct sriov_addr pf;
		char before[4096], after[4096], want[200], orig[SRIOV_NAME_MAX];

		sriov_addr_parse(PF, &pf, NULL);
		tt_state(t, before, sizeof(before));
		assert_int_equal(sriov_vf_bind(ctx, &pf, 1, "vfio-pci", &err), -EIO);
		tt_state(t, after, sizeof(after));
		assert_string_equal(after, before);
		snprintf(want, sizeof(want),
			 "bind VF 1 (0000:03:10.2) of 0000:03:00.0 to vfio-pci: step %u (%s) "
			 "failed: injected failure; rolled back %u step%s",
			 k + 1, steps[k], k, k == 1 ? "" : "s");
		assert_string_equal(err.msg, want);
		assert_false(sriov_vf_original_driver(ctx, &pf, 1, orig));
		sriov_ctx_destroy(ctx);
		tt_destroy(t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind_release),
		cmocka_unit_test(test_bind_unbound),
		cmocka_unit_test(test_bind_refused),
		cmocka_unit_test(test_rollback_every_write),
		cmocka_unit_test(test_rollback_every_step),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
