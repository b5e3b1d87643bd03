/* VFIO devices: the device fd from its group (VFIO_GROUP_GET_DEVICE_FD),
 * VFIO_DEVICE_GET_INFO, reset, and the teardown that undoes what regions.c
 * (BAR mappings) and irqs.c (triggers) set up. */
#include <errno.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio_priv.h"

int
vfio_dev_open_pci(struct vfio_ctr *c, const char *pci_addr, unsigned grp_flags,
		  struct vfio_dev **out, struct iovs_err *err)
{
	struct vfio_device_info info = {.argsz = sizeof(info)};
	struct vfio_grp *g;
	struct vfio_dev *d;
	int id, rc;

	rc = vfio_pci_group_id(c, pci_addr, &id, err);
	if (rc < 0)
		return rc;
	rc = vfio_grp_open(c, id, grp_flags, &g, err);
	if (rc < 0)
		return iovs_err_prefix(err, rc, "%s", pci_addr);
	d = calloc(1, sizeof(*d));
	if (!d) {
		rc = iovs_errf(err, -ENOMEM, "no memory for device %s", pci_addr);
		goto err_grp_close;
	}
	d->ctr = c;
	d->grp = g;
	snprintf(d->name, sizeof(d->name), "%s", pci_addr);
	rc = vfio_kioctl(c, g->fd, VFIO_GROUP_GET_DEVICE_FD, d->name);
	if (rc < 0) {
		rc = iovs_errf(err, rc, "%s: VFIO_GROUP_GET_DEVICE_FD: %s", pci_addr,
			       strerror(-rc));
		goto err_free;
	}
	d->fd = rc;
	rc = vfio_kioctl(c, d->fd, VFIO_DEVICE_GET_INFO, &info);
	if (rc < 0) {
		rc = iovs_errf(err, rc, "%s: VFIO_DEVICE_GET_INFO: %s", pci_addr, strerror(-rc));
		goto err_close_fd;
	}
	d->desc.flags = info.flags;
	d->desc.num_regions = info.num_regions;
	d->desc.num_irqs = info.num_irqs;
	d->n_regs = info.num_regions < VFIO_REGIONS_MAX ? info.num_regions : VFIO_REGIONS_MAX;
	if (d->n_regs > 0) {
		d->regs = calloc(d->n_regs, sizeof(*d->regs));
		if (!d->regs) {
			rc = iovs_errf(err, -ENOMEM, "no memory for %s's regions", pci_addr);
			goto err_close_fd;
		}
	}
	d->next = c->devs;
	c->devs = d;
	*out = d;
	return 0;

err_close_fd:
	vfio_kclose(c, &d->fd);
err_free:
	free(d);
err_grp_close:
	vfio_grp_close(g);
	return rc;
}

void
vfio_dev_close(struct vfio_dev *d)
{
	if (!d)
		return;
	struct vfio_ctr *c = d->ctr;
	struct vfio_dev **pp = &c->devs;
	while (*pp != d)
		pp = &(*pp)->next;
	*pp = d->next;
	vfio_dev_irqs_off(d);
	vfio_dev_unmap_regions(d);
	vfio_kclose(c, &d->fd);
	vfio_grp_close(d->grp);
	free(d->regs);
	free(d);
}

void
vfio_dev_get_desc(const struct vfio_dev *d, struct vfio_dev_desc *out)
{
	*out = d->desc;
}

const char *
vfio_dev_name(const struct vfio_dev *d)
{
	return d->name;
}

struct vfio_grp *
vfio_dev_group(const struct vfio_dev *d)
{
	return d->grp;
}

int
vfio_dev_reset(struct vfio_dev *d, struct iovs_err *err)
{
	if (!(d->desc.flags & VFIO_DEVICE_FLAGS_RESET))
		return iovs_errf(err, -ENOTSUP, "%s: the device cannot be reset by VFIO", d->name);
	int rc = vfio_kioctl(d->ctr, d->fd, VFIO_DEVICE_RESET, NULL);
	if (rc < 0)
		return iovs_errf(err, rc, "%s: VFIO_DEVICE_RESET: %s", d->name, strerror(-rc));
	return 0;
}
