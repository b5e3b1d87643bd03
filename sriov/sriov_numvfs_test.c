/* VF create and destroy on the fake tree: the exact writes (m -> n through
 * 0, autoprobe set and restored), refusals, then rollback: a failure at
 * every write K and at every step by name leaves the tree as it was, and
 * the message says which step failed and how much was rolled back; a
 * failing undo is reported too. */
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
#define DEVS "sys/bus/pci/devices/"

static struct tt *
new_tree(void)
{
	struct tt *t = tt_create();
	uint8_t cfg[SRIOV_CFG_SIZE];

	tt_config(cfg, 0x8086, 0x10c9, 8, 0x80, 2, 0x10ca);
	tt_add_pf(t, PF, cfg, sizeof(cfg), "igb", 8, "igbvf");
	return t;
}

static struct sriov_ctx *
new_ctx(struct tt *t, const char *fail_step)
{
	struct iovs_err err = {""};
	struct sriov_ctx *ctx;

	t->conf.fail_step = fail_step;
	if (sriov_ctx_create(&t->conf, &ctx, &err) != 0)
		fail_msg("%s", err.msg);
	return ctx;
}

static struct sriov_addr
pf_addr(void)
{
	struct sriov_addr a;

	sriov_addr_parse(PF, &a, NULL);
	return a;
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
}

static void
test_create(void **state)
{
	static const char *const want[] = {
		DEVS PF "/sriov_drivers_autoprobe=0",
		DEVS PF "/sriov_numvfs=4",
		DEVS PF "/sriov_drivers_autoprobe=1",
	};
	struct tt *t = new_tree();
	struct sriov_ctx *ctx = new_ctx(t, NULL);
	struct iovs_err err = {""};
	struct sriov_addr pf = pf_addr();
	char buf[64];

	(void)state;
	if (sriov_vfs_create(ctx, &pf, 4, false, &err) != 0)
		fail_msg("%s", err.msg);
	expect_writes(t, want, 3);
	assert_string_equal(tt_read(t, DEVS PF "/sriov_numvfs", buf, sizeof(buf)), "4");
	assert_string_equal(tt_read(t, DEVS PF "/sriov_drivers_autoprobe", buf, sizeof(buf)), "1");
	assert_string_equal(tt_link(t, DEVS PF "/virtfn3", buf, sizeof(buf)), "0000:03:10.6");
	/* autoprobe was off while they appeared: no driver. */
	assert_string_equal(tt_link(t, DEVS "0000:03:10.0/driver", buf, sizeof(buf)), "");
	/* The same count again changes nothing. */
	t->n_writes = 0;
	assert_int_equal(sriov_vfs_create(ctx, &pf, 4, true, &err), 0);
	assert_int_equal(t->n_writes, 0);
	sriov_ctx_destroy(ctx);
	tt_destroy(t);
}

static void
test_create_m_to_n(void **state)
{
	static const char *const want[] = {
		DEVS PF "/sriov_numvfs=0",
		DEVS PF "/sriov_drivers_autoprobe=1",
		DEVS PF "/sriov_numvfs=3",
		DEVS PF "/sriov_drivers_autoprobe=1",
	};
	struct tt *t = new_tree();
	struct sriov_ctx *ctx = new_ctx(t, NULL);
	struct iovs_err err = {""};
	struct sriov_addr pf = pf_addr();
	char buf[64];

	(void)state;
	assert_int_equal(sriov_vfs_create(ctx, &pf, 2, true, &err), 0);
	t->n_writes = 0;
	if (sriov_vfs_create(ctx, &pf, 3, true, &err) != 0)
		fail_msg("%s", err.msg);
	expect_writes(t, want, 4);
	assert_string_equal(tt_link(t, DEVS "0000:03:10.4/driver", buf, sizeof(buf)), "igbvf");
	sriov_ctx_destroy(ctx);
	tt_destroy(t);
}

static void
test_create_refused(void **state)
{
	struct tt *t = new_tree();
	struct sriov_ctx *ctx = new_ctx(t, NULL);
	struct iovs_err err = {""};
	struct sriov_addr pf = pf_addr(), nopf;
	uint8_t cfg[256] = {0x86, 0x80, 0x3a, 0x15};

	(void)state;
	assert_int_equal(sriov_vfs_create(ctx, &pf, 9, true, &err), -ERANGE);
	assert_string_equal(err.msg, "create 9 VFs on 0000:03:00.0: the PF allows 1..8");
	assert_int_equal(sriov_vfs_create(ctx, &pf, 0, true, &err), -ERANGE);
	tt_add_device(t, "0000:00:19.0", cfg, sizeof(cfg), "e1000e");
	sriov_addr_parse("0000:00:19.0", &nopf, NULL);
	assert_int_equal(sriov_vfs_create(ctx, &nopf, 1, true, &err), -ENOTSUP);
	assert_string_equal(err.msg,
			    "create 1 VFs on 0000:00:19.0: 0000:00:19.0 has no SR-IOV capability");
	assert_int_equal(t->n_writes, 0);
	sriov_ctx_destroy(ctx);
	tt_destroy(t);
}

static void
test_destroy(void **state)
{
	static const char *const want[] = {DEVS PF "/sriov_numvfs=0"};
	struct tt *t = new_tree();
	struct sriov_ctx *ctx = new_ctx(t, NULL);
	struct iovs_err err = {""};
	struct sriov_addr pf = pf_addr();
	char buf[64];

	(void)state;
	assert_int_equal(sriov_vfs_create(ctx, &pf, 2, true, &err), 0);
	t->n_writes = 0;
	if (sriov_vfs_destroy(ctx, &pf, &err) != 0)
		fail_msg("%s", err.msg);
	expect_writes(t, want, 1);
	assert_string_equal(tt_link(t, DEVS PF "/virtfn0", buf, sizeof(buf)), "");
	t->n_writes = 0;
	assert_int_equal(sriov_vfs_destroy(ctx, &pf, &err), 0);
	assert_int_equal(t->n_writes, 0);
	sriov_ctx_destroy(ctx);
	tt_destroy(t);
}

/* Fails write K for every K of a 2 -> 4 create (autoprobe off) and of a
 * destroy; each failure must leave the tree as it was. */
static void
test_rollback_every_write(void **state)
{
	static const char *const step_of_write[] = {"numvfs-zero", "autoprobe", "numvfs",
						    "autoprobe-restore"};
	(void)state;
	for (unsigned k = 1;; k++) {
		struct tt *t = new_tree();
		struct sriov_ctx *ctx = new_ctx(t, NULL);
		struct iovs_err err = {""};
		struct sriov_addr pf = pf_addr();
		char before[4096], after[4096], want[128];
		int rc;

		assert_int_equal(sriov_vfs_create(ctx, &pf, 2, true, &err), 0);
		tt_state(t, before, sizeof(before));
		t->n_writes = 0;
		t->fail_write = k;
		rc = sriov_vfs_create(ctx, &pf, 4, false, &err);
		tt_state(t, after, sizeof(after));
		if (k > 4) {
			assert_int_equal(rc, 0);
			sriov_ctx_destroy(ctx);
			tt_destroy(t);
			break;
		}
		assert_int_equal(rc, -EIO);
		assert_string_equal(after, before);
		/* Writes and steps line up here except check-vfs (no write). */
		snprintf(want, sizeof(want), "step %u (%s) failed: injected failure of write %u",
			 k < 4 ? k : 5, step_of_write[k - 1], k);
		if (strstr(err.msg, want) == NULL)
			fail_msg("write %u: %s", k, err.msg);
		snprintf(want, sizeof(want), "rolled back %u step%s", k < 4 ? k - 1 : 4,
			 k == 2 ? "" : "s");
		if (strstr(err.msg, want) == NULL)
			fail_msg("write %u: %s", k, err.msg);
		sriov_ctx_destroy(ctx);
		tt_destroy(t);
	}
	/* Destroy: one write. */
	{
		struct tt *t = new_tree();
		struct sriov_ctx *ctx = new_ctx(t, NULL);
		struct iovs_err err = {""};
		struct sriov_addr pf = pf_addr();
		char before[4096], after[4096];

		assert_int_equal(sriov_vfs_create(ctx, &pf, 2, true, &err), 0);
		tt_state(t, before, sizeof(before));
		t->n_writes = 0;
		t->fail_write = 1;
		t->fail_rc = -EBUSY;
		assert_int_equal(sriov_vfs_destroy(ctx, &pf, &err), -EBUSY);
		tt_state(t, after, sizeof(after));
		assert_string_equal(after, before);
		assert_string_equal(err.msg,
				    "destroy the VFs of 0000:03:00.0: step 1 (numvfs-zero) "
				    "failed: injected failure of write 1; rolled back 0 "
				    "steps");
		sriov_ctx_destroy(ctx);
		tt_destroy(t);
	}
}

/* Every step by name (the fault-injection hook of the context). */
static void
test_rollback_every_step(void **state)
{
	static const char *const steps[] = {"numvfs-zero", "autoprobe", "numvfs", "check-vfs",
					    "autoprobe-restore"};

	(void)state;
	for (unsigned k = 0; k < 5; k++) {
		struct tt *t = new_tree();
		struct sriov_ctx *ctx = new_ctx(t, NULL), *fctx = new_ctx(t, steps[k]);
		struct iovs_err err = {""};
		struct sriov_addr pf = pf_addr();
		char before[4096], after[4096], want[160];

		assert_int_equal(sriov_vfs_create(ctx, &pf, 2, true, &err), 0);
		tt_state(t, before, sizeof(before));
		assert_int_equal(sriov_vfs_create(fctx, &pf, 4, false, &err), -EIO);
		tt_state(t, after, sizeof(after));
		assert_string_equal(after, before);
		snprintf(want, sizeof(want),
			 "create 4 VFs on 0000:03:00.0: step %u (%s) failed: injected failure; "
			 "rolled back %u step%s",
			 k + 1, steps[k], k, k == 1 ? "" : "s");
		assert_string_equal(err.msg, want);
		sriov_ctx_destroy(ctx);
		sriov_ctx_destroy(fctx);
		tt_destroy(t);
	}
}

/* check-vfs fails, and so does the undo of numvfs (write 3). */
static void
test_undo_fails(void **state)
{
	struct tt *t = new_tree();
	struct sriov_ctx *ctx = new_ctx(t, "check-vfs");
	struct iovs_err err = {""};
	struct sriov_addr pf = pf_addr();

	(void)state;
	t->fail_write = 3;
	assert_int_equal(sriov_vfs_create(ctx, &pf, 4, false, &err), -EIO);
	assert_string_equal(err.msg, "create 4 VFs on 0000:03:00.0: step 3 (check-vfs) failed: "
				     "injected failure; rolled back 1 of 2 steps; undo of step 2 "
				     "(numvfs) failed: injected failure of write 3");
	sriov_ctx_destroy(ctx);
	tt_destroy(t);
}

/* A kernel that puts the VFs elsewhere than offset/stride say: check-vfs
 * names both addresses and the VFs are removed again. */
static void
test_check_vfs_mismatch(void **state)
{
	struct tt *t = new_tree();
	struct sriov_ctx *ctx = new_ctx(t, NULL);
	struct iovs_err err = {""};
	struct sriov_addr pf = pf_addr();
	char before[4096], after[4096];

	(void)state;
	tt_state(t, before, sizeof(before));
	t->vf_skew = 1;
	assert_int_equal(sriov_vfs_create(ctx, &pf, 2, true, &err), -EIO);
	assert_string_equal(err.msg, "create 2 VFs on 0000:03:00.0: step 3 (check-vfs) failed: "
				     "VF 0 of 0000:03:00.0: virtfn0 is 0000:03:10.1 but offset 128 "
				     "and stride 2 give 0000:03:10.0; rolled back 2 steps");
	tt_state(t, after, sizeof(after));
	assert_string_equal(after, before);
	sriov_ctx_destroy(ctx);
	tt_destroy(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_create_m_to_n),
		cmocka_unit_test(test_create_refused),
		cmocka_unit_test(test_destroy),
		cmocka_unit_test(test_rollback_every_write),
		cmocka_unit_test(test_rollback_every_step),
		cmocka_unit_test(test_undo_fails),
		cmocka_unit_test(test_check_vfs_mismatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
