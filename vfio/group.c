/* VFIO groups: a PCI device's group from its sysfs iommu_group link, the
 * group's character device (/dev/vfio/N, or noiommu-N), viability
 * (VFIO_GROUP_GET_STATUS) explained from /sys/kernel/iommu_groups/N/devices,
 * attaching to the container (which sets the IOMMU for the first group:
 * container.c). */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio_priv.h"

/* "DDDD:BB:DD.F" in hex, as sysfs names PCI devices. */
static bool
pci_addr_ok(const char *a)
{
	static const char pat[] = "xxxx:xx:xx.x";

	if (strlen(a) != sizeof(pat) - 1)
		return false;
	for (size_t i = 0; pat[i]; i++) {
		bool hex = (a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f');
		if (pat[i] == 'x' ? !hex : a[i] != pat[i])
			return false;
	}
	return a[11] <= '7'; /* function 0..7 */
}

/* The last component of the symlink 'path' into buf; -errno if none. */
static int
link_base(const struct vfio_ctr *c, const char *path, char *buf, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = c->kops->readlink(c->kctx, path, target, sizeof(target) - 1);

	if (n < 0)
		return (int)n;
	target[n] = '\0';
	const char *b = strrchr(target, '/');
	b = b ? b + 1 : target;
	if (*b == '\0' || strlen(b) >= len)
		return -EINVAL;
	strcpy(buf, b);
	return 0;
}

int
vfio_pci_group_id(const struct vfio_ctr *c, const char *pci_addr, int *group_id,
		  struct iovs_err *err)
{
	char path[PATH_MAX + 64], name[32], *end;
	char q[IOVS_QUOTED_SIZE];
	int rc;

	if (!pci_addr || !pci_addr_ok(pci_addr))
		return iovs_errf(err, -EINVAL, "%s is not a PCI address (dddd:bb:dd.f, lower case)",
				 iovs_quote(pci_addr ? pci_addr : "", 16, q));
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group", c->sysfs, pci_addr);
	rc = link_base(c, path, name, sizeof(name));
	if (rc == -ENOENT) {
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", c->sysfs, pci_addr);
		if (link_base(c, path, name, sizeof(name)) == -ENOENT)
			return iovs_errf(err, -ENOENT, "no PCI device %s", pci_addr);
		return iovs_errf(err, -ENODEV,
				 "no IOMMU: %s has no iommu_group; boot with an IOMMU enabled "
				 "(intel_iommu=on or amd_iommu=on; in QEMU, -device intel-iommu)",
				 pci_addr);
	}
	if (rc < 0)
		return iovs_errf(err, rc, "%s: %s", path, strerror(-rc));
	long id = strtol(name, &end, 10);
	if (*end != '\0' || end == name || id < 0 || id > INT_MAX)
		return iovs_errf(err, -EINVAL, "%s points to %s, not a group number", path, name);
	*group_id = (int)id;
	return 0;
}

/* ---- why a group is not viable ---- */

struct explain {
	const struct vfio_ctr *c;
	int id;
	char *buf;
	size_t len, used;
	unsigned bad;
};

/* Drivers that leave a group viable: vfio-pci and its variants, pci-stub,
 * pcieport (bridges): those that declare driver_managed_dma. */
static bool
driver_ok(const char *drv)
{
	return strstr(drv, "vfio") != NULL || strcmp(drv, "pci-stub") == 0 ||
	       strcmp(drv, "pcieport") == 0;
}

static int
explain_one(const char *dev, void *arg)
{
	struct explain *e = arg;
	char path[PATH_MAX + 128], drv[64];

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices/%s/driver", e->c->sysfs,
		 e->id, dev);
	if (link_base(e->c, path, drv, sizeof(drv)) != 0 || driver_ok(drv))
		return 0;
	if (e->used < e->len) {
		int n = snprintf(e->buf + e->used, e->len - e->used, "%s%s is bound to %s",
				 e->bad ? ", " : "", dev, drv);
		e->used += n > 0 ? (size_t)n : 0;
	}
	e->bad++;
	return 0;
}

void
vfio_grp_explain(const struct vfio_ctr *c, int id, char *buf, size_t len)
{
	char path[PATH_MAX + 64];
	struct explain e = {.c = c, .id = id, .buf = buf, .len = len};

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices", c->sysfs, id);
	int rc = c->kops->list_dir(c->kctx, path, explain_one, &e);
	if (rc < 0)
		snprintf(buf, len, "%s unreadable: %s", path, strerror(-rc));
	else if (e.bad == 0)
		snprintf(buf, len, "no device of it is bound to another driver now");
}

/* ---- open, attach, close ---- */

static int
open_group_fd(struct vfio_ctr *c, int id, unsigned flags, bool *noiommu, struct iovs_err *err)
{
	char path[PATH_MAX + 32], why[IOVS_ERR_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/vfio/%d", c->dev, id);
	fd = c->kops->open(c->kctx, path, O_RDWR);
	*noiommu = false;
	if (fd != -ENOENT)
		goto done;
	snprintf(path, sizeof(path), "%s/vfio/noiommu-%d", c->dev, id);
	fd = c->kops->open(c->kctx, path, O_RDWR);
	if (fd >= 0 && !(flags & VFIO_GRP_ALLOW_NOIOMMU)) {
		c->kops->close(c->kctx, fd);
		return iovs_errf(err, -EPERM,
				 "group %d is a no-IOMMU group (%s): no DMA isolation; refused "
				 "unless VFIO_GRP_ALLOW_NOIOMMU is given",
				 id, path);
	}
	if (fd >= 0) {
		*noiommu = true;
		return fd;
	}
	if (fd == -ENOENT) {
		vfio_grp_explain(c, id, why, sizeof(why));
		return iovs_errf(err, -ENODEV,
				 "group %d: %s/vfio/%d is missing (no device of the group is bound "
				 "to vfio-pci; %s)",
				 id, c->dev, id, why);
	}
done:
	if (fd < 0)
		return iovs_errf(err, fd, "open %s: %s", path, strerror(-fd));
	return fd;
}

int
vfio_grp_open(struct vfio_ctr *c, int group_id, unsigned flags, struct vfio_grp **out,
	      struct iovs_err *err)
{
	struct vfio_group_status st = {.argsz = sizeof(st)};
	char why[IOVS_ERR_MAX];
	struct vfio_grp *g;
	bool noiommu;
	int rc;

	for (g = c->groups; g; g = g->next) {
		if (g->id == group_id) {
			g->refs++;
			*out = g;
			return 0;
		}
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return iovs_errf(err, -ENOMEM, "no memory for group %d", group_id);
	g->ctr = c;
	g->id = group_id;
	g->refs = 1;
	rc = open_group_fd(c, group_id, flags, &noiommu, err);
	if (rc < 0)
		goto err_free;
	g->fd = rc;
	g->noiommu = noiommu;
	if (c->groups && c->noiommu != noiommu) {
		rc = iovs_errf(err, -EINVAL, "group %d: cannot mix no-IOMMU and IOMMU groups",
			       group_id);
		goto err_close_fd;
	}
	rc = vfio_kioctl(c, g->fd, VFIO_GROUP_GET_STATUS, &st);
	if (rc < 0) {
		rc = iovs_errf(err, rc, "group %d: VFIO_GROUP_GET_STATUS: %s", group_id,
			       strerror(-rc));
		goto err_close_fd;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		vfio_grp_explain(c, group_id, why, sizeof(why));
		rc = iovs_errf(err, -EBUSY,
			       "group %d is not viable: %s (bind every device of the group to "
			       "vfio-pci or unbind it)",
			       group_id, why);
		goto err_close_fd;
	}
	if (st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET) {
		rc = iovs_errf(err, -EBUSY, "group %d is already in a container (another user?)",
			       group_id);
		goto err_close_fd;
	}
	rc = vfio_kioctl(c, g->fd, VFIO_GROUP_SET_CONTAINER, &c->fd);
	if (rc < 0) {
		rc = iovs_errf(err, rc, "group %d: VFIO_GROUP_SET_CONTAINER: %s", group_id,
			       strerror(-rc));
		goto err_close_fd;
	}
	if (!c->groups) {
		rc = vfio_ctr_setup_iommu(c, noiommu, err);
		if (rc < 0) {
			iovs_err_prefix(err, rc, "group %d", group_id);
			goto err_unset;
		}
	}
	g->next = c->groups;
	c->groups = g;
	*out = g;
	return 0;

err_unset:
	vfio_kioctl(c, g->fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
	vfio_ctr_iommu_gone(c);
err_close_fd:
	vfio_kclose(c, &g->fd);
err_free:
	free(g);
	return rc;
}

void
vfio_grp_close(struct vfio_grp *g)
{
	if (!g || --g->refs > 0)
		return;
	struct vfio_ctr *c = g->ctr;
	struct vfio_grp **pp = &c->groups;
	while (*pp != g)
		pp = &(*pp)->next;
	*pp = g->next;
	if (!c->groups)
		vfio_dma_unmap_all(c); /* the kernel would drop them now anyway */
	vfio_kioctl(c, g->fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
	vfio_kclose(c, &g->fd);
	if (!c->groups)
		vfio_ctr_iommu_gone(c);
	free(g);
}

int
vfio_grp_id(const struct vfio_grp *g)
{
	return g->id;
}
