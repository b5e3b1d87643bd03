/* IOMMU group isolation as sysfs shows it, for the VM-assign path: every
 * other device in the group must have no driver or vfio-pci, or a VM could
 * reach memory of a device the host still drives. vfio/ checks viability
 * again when it opens the group; this answer comes earlier and names the
 * device in the way. */
#include "sriov_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct group_scan {
	struct sriov_ctx *ctx;
	const char *self;
	char dir[SRIOV_PATH_MAX];
	char bad[SRIOV_NAME_MAX];
	char bad_driver[SRIOV_NAME_MAX];
	int rc;
};

static int
check_member(void *arg, const char *name)
{
	struct group_scan *g = arg;
	char p[SRIOV_PATH_MAX], target[SRIOV_PATH_MAX];
	const char *drv;
	int rc;

	if (strcmp(name, g->self) == 0)
		return 0;
	if (snprintf(p, sizeof(p), "%s/%s/driver", g->dir, name) >= (int)sizeof(p))
		return 0; /* no device name is that long */
	rc = g->ctx->sysfs->readlink(g->ctx->sysfs_priv, p, target, sizeof(target), NULL);
	if (rc == -ENOENT)
		return 0;
	drv = strrchr(target, '/');
	drv = drv == NULL ? target : drv + 1;
	if (rc == 0 && strcmp(drv, SRIOV_VFIO_DRIVER) == 0)
		return 0;
	snprintf(g->bad, sizeof(g->bad), "%.*s", (int)sizeof(g->bad) - 1, name);
	snprintf(g->bad_driver, sizeof(g->bad_driver), "%.*s", (int)sizeof(g->bad_driver) - 1,
		 rc == 0 ? drv : "an unreadable driver");
	return 1;
}

bool
sriov_group_is_assignable(struct sriov_ctx *ctx, const struct sriov_addr *dev, struct iovs_err *err)
{
	struct group_scan g = {.ctx = ctx};
	char s[SRIOV_ADDR_STR];
	int group, rc;

	sriov_addr_str(dev, s);
	g.self = s;
	if ((rc = sriov_dev_iommu_group(ctx, dev, &group, err)) != 0) {
		iovs_err_prefix(err, rc, "%s", s);
		return false;
	}
	if (group == SRIOV_NO_GROUP) {
		iovs_errf(err, -ENODEV, "%s has no IOMMU group (no IOMMU, or it is off)", s);
		return false;
	}
	snprintf(g.dir, sizeof(g.dir), "sys/kernel/iommu_groups/%d/devices", group);
	rc = ctx->sysfs->list(ctx->sysfs_priv, g.dir, check_member, &g, err);
	if (rc == 1) {
		iovs_errf(err, -EBUSY,
			  "IOMMU group %d of %s also holds %s, bound to %s (needs vfio-pci or no "
			  "driver)",
			  group, s, g.bad, g.bad_driver);
		return false;
	}
	if (rc != 0) {
		iovs_err_prefix(err, rc, "IOMMU group %d of %s", group, s);
		return false;
	}
	return true;
}
