/* Driver binding of a VF through driver_override (sysfs-bus-pci ABI):
 * unbind from the current driver, set driver_override, write the address to
 * drivers_probe, check the driver link. Unbinding comes before the override
 * so that the undo of the override (run first when rolling back) lets the
 * old driver take the device again in the undo of the unbind. The VF is
 * found by PF address and index and checked by PCI address (sriov_vf.c). */
#include "sriov_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct bind_op {
	struct sriov_addr vf;
	char vf_s[SRIOV_ADDR_STR];
	char cur[SRIOV_NAME_MAX];	   /* driver now, "" = none */
	char cur_override[SRIOV_NAME_MAX]; /* driver_override now */
	char want[SRIOV_NAME_MAX];	   /* driver wanted, "" = none */
	char want_override[SRIOV_NAME_MAX];
	bool any; /* release without a record: whatever the kernel probes */
};

static int
bus_driver_write(struct sriov_ctx *ctx, const char *driver, const char *file,
		 const struct bind_op *op, struct iovs_err *err)
{
	char rel[SRIOV_NAME_MAX + 32];

	snprintf(rel, sizeof(rel), "drivers/%s/%s", driver, file);
	return sriov_bus_write(ctx, rel, op->vf_s, err);
}

static int
unbind_cur(struct sriov_ctx *ctx, void *arg, unsigned tag, struct iovs_err *err)
{
	struct bind_op *op = arg;

	(void)tag;
	return bus_driver_write(ctx, op->cur, "unbind", op, err);
}

static int
rebind_cur(struct sriov_ctx *ctx, void *arg, unsigned tag, struct iovs_err *err)
{
	struct bind_op *op = arg;

	(void)tag;
	return bus_driver_write(ctx, op->cur, "bind", op, err);
}

/* An empty value clears the override; the kernel wants a newline for that. */
static int
write_override(struct sriov_ctx *ctx, const struct bind_op *op, const char *val,
	       struct iovs_err *err)
{
	return sriov_dev_write(ctx, &op->vf, "driver_override", val[0] == '\0' ? "\n" : val, err);
}

static int
set_override(struct sriov_ctx *ctx, void *arg, unsigned tag, struct iovs_err *err)
{
	struct bind_op *op = arg;

	(void)tag;
	return write_override(ctx, op, op->want_override, err);
}

static int
restore_override(struct sriov_ctx *ctx, void *arg, unsigned tag, struct iovs_err *err)
{
	struct bind_op *op = arg;

	(void)tag;
	return write_override(ctx, op, op->cur_override, err);
}

static int
probe(struct sriov_ctx *ctx, void *arg, unsigned tag, struct iovs_err *err)
{
	struct bind_op *op = arg;

	(void)tag;
	return sriov_bus_write(ctx, "drivers_probe", op->vf_s, err);
}

static int
bind_want(struct sriov_ctx *ctx, void *arg, unsigned tag, struct iovs_err *err)
{
	struct bind_op *op = arg;

	(void)tag;
	return bus_driver_write(ctx, op->want, "bind", op, err);
}

/* Undo of a probe or bind: unbind whatever took the device, if anything. */
static int
unbind_new(struct sriov_ctx *ctx, void *arg, unsigned tag, struct iovs_err *err)
{
	struct bind_op *op = arg;
	char now[SRIOV_NAME_MAX];
	int rc;

	(void)tag;
	if ((rc = sriov_dev_link_base(ctx, &op->vf, "driver", now, sizeof(now), err)) != 0)
		return rc;
	return now[0] == '\0' ? 0 : bus_driver_write(ctx, now, "unbind", op, err);
}

static int
check_driver(struct sriov_ctx *ctx, void *arg, unsigned tag, struct iovs_err *err)
{
	struct bind_op *op = arg;
	char now[SRIOV_NAME_MAX];
	int rc;

	(void)tag;
	if (op->any)
		return 0;
	if ((rc = sriov_dev_link_base(ctx, &op->vf, "driver", now, sizeof(now), err)) != 0)
		return rc;
	if (strcmp(now, op->want) != 0)
		return iovs_errf(err, -EIO, "%s is bound to %s, not %s", op->vf_s,
				 now[0] != '\0' ? now : "no driver",
				 op->want[0] != '\0' ? op->want : "no driver");
	return 0;
}

static int
no_entry(void *arg, const char *name)
{
	(void)arg;
	(void)name;
	return 0;
}

static int
check_driver_name(struct sriov_ctx *ctx, const char *driver, struct iovs_err *err)
{
	char p[SRIOV_PATH_MAX], q[IOVS_QUOTED_SIZE];
	size_t n = driver == NULL ? 0 : strlen(driver);
	int rc;

	if (n == 0 || n >= SRIOV_NAME_MAX || strpbrk(driver, "/ \t\n") != NULL ||
	    strcmp(driver, ".") == 0 || strcmp(driver, "..") == 0)
		return iovs_errf(err, -EINVAL, "driver name %s is not valid",
				 driver == NULL ? "(null)" : iovs_quote(driver, 40, q));
	snprintf(p, sizeof(p), "sys/bus/pci/drivers/%s", driver);
	rc = ctx->sysfs->list(ctx->sysfs_priv, p, no_entry, NULL, err);
	if (rc == -ENOENT)
		return iovs_errf(err, -ENOENT, "driver %s is not loaded (no /%s)", driver, p);
	return rc;
}

/* The VF's address and its current driver and override. */
static int
load_vf(struct sriov_ctx *ctx, const struct sriov_addr *pf, unsigned idx, struct bind_op *op,
	struct iovs_err *err)
{
	struct sriov_cap cap;
	int rc;

	if ((rc = sriov_pf_cap(ctx, pf, &cap, err)) != 0 ||
	    (rc = sriov_vf_locate(ctx, pf, &cap, idx, &op->vf, err)) != 0 ||
	    (rc = sriov_dev_link_base(ctx, &op->vf, "driver", op->cur, sizeof(op->cur), err)) !=
		    0 ||
	    (rc = sriov_dev_read_override(ctx, &op->vf, op->cur_override, err)) != 0)
		return rc;
	sriov_addr_str(&op->vf, op->vf_s);
	return 0;
}

static struct sriov_bound *
find_bound(const struct sriov_ctx *ctx, const struct sriov_addr *vf)
{
	for (size_t i = 0; i < ctx->n_bound; i++)
		if (sriov_addr_equal(&ctx->bound[i].vf, vf))
			return (struct sriov_bound *)&ctx->bound[i];
	return NULL;
}

int
sriov_vf_bind(struct sriov_ctx *ctx, const struct sriov_addr *pf, unsigned idx, const char *driver,
	      struct iovs_err *err)
{
	struct bind_op op = {0};
	struct sriov_bound *b;
	struct sriov_txn t;
	char s[SRIOV_ADDR_STR];
	int rc;

	sriov_addr_str(pf, s);
	if ((rc = check_driver_name(ctx, driver, err)) != 0 ||
	    (rc = load_vf(ctx, pf, idx, &op, err)) != 0)
		return iovs_err_prefix(err, rc, "bind VF %u of %s", idx, s);
	if (strcmp(op.cur, driver) == 0)
		return 0;
	b = find_bound(ctx, &op.vf);
	if (b == NULL && ctx->n_bound == SRIOV_MAX_BOUND)
		return iovs_errf(err, -ENOSPC, "bind VF %u of %s: %d VFs bound already", idx, s,
				 SRIOV_MAX_BOUND);
	strcpy(op.want, driver);
	strcpy(op.want_override, driver);
	sriov_txn_init(&t, ctx);
	if (op.cur[0] != '\0')
		sriov_txn_add(&t, "unbind", unbind_cur, rebind_cur, &op, 0);
	sriov_txn_add(&t, "driver-override", set_override, restore_override, &op, 0);
	sriov_txn_add(&t, "probe", probe, unbind_new, &op, 0);
	sriov_txn_add(&t, "check-driver", check_driver, NULL, &op, 0);
	if ((rc = sriov_txn_run(&t, err)) != 0)
		return iovs_err_prefix(err, rc, "bind VF %u (%s) of %s to %s", idx, op.vf_s, s,
				       driver);
	/* A second bind keeps the first record: release goes back to the start. */
	if (b == NULL) {
		b = &ctx->bound[ctx->n_bound++];
		b->vf = op.vf;
		b->pf = *pf;
		b->idx = idx;
		strcpy(b->orig_driver, op.cur);
		strcpy(b->orig_override, op.cur_override);
	}
	return 0;
}

int
sriov_vf_release(struct sriov_ctx *ctx, const struct sriov_addr *pf, unsigned idx,
		 struct iovs_err *err)
{
	struct bind_op op = {0};
	struct sriov_bound *b;
	struct sriov_txn t;
	char s[SRIOV_ADDR_STR];
	int rc;

	sriov_addr_str(pf, s);
	if ((rc = load_vf(ctx, pf, idx, &op, err)) != 0)
		return iovs_err_prefix(err, rc, "release VF %u of %s", idx, s);
	b = find_bound(ctx, &op.vf);
	if (b != NULL) {
		strcpy(op.want, b->orig_driver);
		strcpy(op.want_override, b->orig_override);
	} else {
		op.any = true;
	}
	if (b != NULL && strcmp(op.cur, op.want) == 0 &&
	    strcmp(op.cur_override, op.want_override) == 0)
		goto forget;
	sriov_txn_init(&t, ctx);
	if (op.cur[0] != '\0')
		sriov_txn_add(&t, "unbind", unbind_cur, rebind_cur, &op, 0);
	sriov_txn_add(&t, "driver-override", set_override, restore_override, &op, 0);
	if (op.any)
		sriov_txn_add(&t, "probe", probe, unbind_new, &op, 0);
	else if (op.want[0] != '\0')
		sriov_txn_add(&t, "bind", bind_want, unbind_new, &op, 0);
	sriov_txn_add(&t, "check-driver", check_driver, NULL, &op, 0);
	if ((rc = sriov_txn_run(&t, err)) != 0)
		return iovs_err_prefix(err, rc, "release VF %u (%s) of %s", idx, op.vf_s, s);
forget:
	if (b != NULL)
		*b = ctx->bound[--ctx->n_bound];
	return 0;
}

bool
sriov_vf_original_driver(const struct sriov_ctx *ctx, const struct sriov_addr *pf, unsigned idx,
			 char out[SRIOV_NAME_MAX])
{
	for (size_t i = 0; i < ctx->n_bound; i++) {
		if (sriov_addr_equal(&ctx->bound[i].pf, pf) && ctx->bound[i].idx == idx) {
			strcpy(out, ctx->bound[i].orig_driver);
			return true;
		}
	}
	out[0] = '\0';
	return false;
}
