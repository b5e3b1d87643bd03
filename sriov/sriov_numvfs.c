/* VF create and destroy through sriov_numvfs (Documentation/PCI/pci-iov-howto):
 * the kernel takes a new count only from 0, so m -> n goes through 0.
 * sriov_drivers_autoprobe decides whether drivers bind to the new VFs; it is
 * set for the creation and restored after. Each is one transaction. */
#include "sriov_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct numvfs_op {
	struct sriov_addr pf;
	unsigned n;	/* wanted */
	unsigned m;	/* found */
	bool autoprobe; /* wanted while creating */
	bool old_autoprobe;
};

static int
write_uint(struct sriov_ctx *ctx, const struct sriov_addr *pf, const char *name, unsigned v,
	   struct iovs_err *err)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	return sriov_dev_write(ctx, pf, name, buf, err);
}

/* tag 1: the wanted value, 0: the old one. */
static int
set_autoprobe(struct sriov_ctx *ctx, void *arg, unsigned tag, struct iovs_err *err)
{
	struct numvfs_op *op = arg;

	return write_uint(ctx, &op->pf, "sriov_drivers_autoprobe",
			  tag ? op->autoprobe : op->old_autoprobe, err);
}

static int
unset_autoprobe(struct sriov_ctx *ctx, void *arg, unsigned tag, struct iovs_err *err)
{
	return set_autoprobe(ctx, arg, !tag, err);
}

/* tag: 0 writes 0, 1 writes n, 2 writes m. */
static int
set_numvfs(struct sriov_ctx *ctx, void *arg, unsigned tag, struct iovs_err *err)
{
	struct numvfs_op *op = arg;
	unsigned v = tag == 0 ? 0 : tag == 1 ? op->n : op->m;

	return write_uint(ctx, &op->pf, "sriov_numvfs", v, err);
}

static int
undo_zero(struct sriov_ctx *ctx, void *arg, unsigned tag, struct iovs_err *err)
{
	(void)tag;
	return set_numvfs(ctx, arg, 2, err);
}

static int
undo_numvfs(struct sriov_ctx *ctx, void *arg, unsigned tag, struct iovs_err *err)
{
	(void)tag;
	return set_numvfs(ctx, arg, 0, err);
}

/* tag: the count there should be now. Reads the capability again: First VF
 * Offset and VF Stride may change with NumVFs (PCIe r6.0 §9.3.3.10). */
static int
check_vfs(struct sriov_ctx *ctx, void *arg, unsigned tag, struct iovs_err *err)
{
	struct numvfs_op *op = arg;
	struct sriov_addr vf;
	struct sriov_cap cap;
	unsigned now;
	int rc;

	if ((rc = sriov_dev_read_uint(ctx, &op->pf, "sriov_numvfs", &now, err)) != 0)
		return rc;
	if (now != tag)
		return iovs_errf(err, -EIO, "sriov_numvfs reads %u, not %u", now, tag);
	if (tag == 0) {
		char name[SRIOV_NAME_MAX];

		if ((rc = sriov_dev_link_base(ctx, &op->pf, "virtfn0", name, sizeof(name), err)) !=
		    0)
			return rc;
		if (name[0] != '\0')
			return iovs_errf(err, -EIO, "virtfn0 (%.16s) is still there", name);
		return 0;
	}
	if ((rc = sriov_pf_cap(ctx, &op->pf, &cap, err)) != 0)
		return rc;
	for (unsigned i = 0; i < tag; i++)
		if ((rc = sriov_vf_locate(ctx, &op->pf, &cap, i, &vf, err)) != 0)
			return rc;
	return 0;
}

static int
read_state(struct sriov_ctx *ctx, struct numvfs_op *op, unsigned *total, struct iovs_err *err)
{
	unsigned v;
	int rc;

	if ((rc = sriov_dev_read_uint(ctx, &op->pf, "sriov_numvfs", &op->m, err)) != 0 ||
	    (rc = sriov_dev_read_uint(ctx, &op->pf, "sriov_totalvfs", total, err)) != 0 ||
	    (rc = sriov_dev_read_uint(ctx, &op->pf, "sriov_drivers_autoprobe", &v, err)) != 0)
		return rc;
	op->old_autoprobe = v != 0;
	return 0;
}

int
sriov_vfs_create(struct sriov_ctx *ctx, const struct sriov_addr *pf, unsigned n, bool autoprobe,
		 struct iovs_err *err)
{
	struct numvfs_op op = {*pf, n, 0, autoprobe, false};
	struct sriov_txn t;
	struct sriov_cap cap;
	char s[SRIOV_ADDR_STR];
	unsigned total;
	int rc;

	sriov_addr_str(pf, s);
	if ((rc = sriov_pf_cap(ctx, pf, &cap, err)) != 0 ||
	    (rc = read_state(ctx, &op, &total, err)) != 0)
		return iovs_err_prefix(err, rc, "create %u VFs on %s", n, s);
	if (n == 0 || n > total)
		return iovs_errf(err, -ERANGE, "create %u VFs on %s: the PF allows 1..%u", n, s,
				 total);
	if (op.m == n)
		return 0;
	sriov_txn_init(&t, ctx);
	/* Zero first: its undo then brings the old VFs back under the old
	 * autoprobe setting. */
	if (op.m != 0)
		sriov_txn_add(&t, "numvfs-zero", set_numvfs, undo_zero, &op, 0);
	sriov_txn_add(&t, "autoprobe", set_autoprobe, unset_autoprobe, &op, 1);
	sriov_txn_add(&t, "numvfs", set_numvfs, undo_numvfs, &op, 1);
	sriov_txn_add(&t, "check-vfs", check_vfs, NULL, &op, n);
	sriov_txn_add(&t, "autoprobe-restore", set_autoprobe, unset_autoprobe, &op, 0);
	rc = sriov_txn_run(&t, err);
	return rc == 0 ? 0 : iovs_err_prefix(err, rc, "create %u VFs on %s", n, s);
}

int
sriov_vfs_destroy(struct sriov_ctx *ctx, const struct sriov_addr *pf, struct iovs_err *err)
{
	struct numvfs_op op = {*pf, 0, 0, false, false};
	struct sriov_txn t;
	char s[SRIOV_ADDR_STR];
	int rc;

	sriov_addr_str(pf, s);
	if ((rc = sriov_dev_read_uint(ctx, pf, "sriov_numvfs", &op.m, err)) != 0)
		return iovs_err_prefix(err, rc, "destroy the VFs of %s", s);
	if (op.m == 0)
		return 0;
	sriov_txn_init(&t, ctx);
	sriov_txn_add(&t, "numvfs-zero", set_numvfs, undo_zero, &op, 0);
	sriov_txn_add(&t, "check-vfs", check_vfs, NULL, &op, 0);
	rc = sriov_txn_run(&t, err);
	return rc == 0 ? 0 : iovs_err_prefix(err, rc, "destroy the VFs of %s", s);
}
