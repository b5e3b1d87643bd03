/* The VFIO container: /dev/vfio/vfio, the API and type1v2 checks, the IOMMU
 * set when the first group joins (group.c calls vfio_ctr_setup_iommu()), its
 * GET_INFO parsed by vfio_info.c into an iommu_as (iommu/) that dma.c keeps
 * in step with the kernel. */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio_priv.h"

static int
copy_path(char *dst, const char *src, const char *dflt)
{
	const char *s = src ? src : dflt;
	size_t n = strlen(s);

	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(dst, s, n + 1);
	return 0;
}

int
vfio_ctr_create(const struct vfio_env *env, struct vfio_ctr **out, struct iovs_err *err)
{
	char path[PATH_MAX + 16];
	struct vfio_ctr *c;
	int rc;

	c = calloc(1, sizeof(*c));
	if (!c)
		return iovs_errf(err, -ENOMEM, "no memory for a VFIO container");
	c->fd = -1;
	c->kops = env && env->kops ? env->kops : vfio_kops_linux();
	c->kctx = env ? env->kctx : NULL;
	if (copy_path(c->sysfs, env ? env->sysfs : NULL, "/sys") != 0 ||
	    copy_path(c->dev, env ? env->dev : NULL, "/dev") != 0) {
		rc = iovs_errf(err, -ENAMETOOLONG, "sysfs or dev root too long");
		goto err_free;
	}
	snprintf(path, sizeof(path), "%s/vfio/vfio", c->dev);
	rc = c->kops->open(c->kctx, path, O_RDWR);
	if (rc == -ENOENT) {
		rc = iovs_errf(err, -ENODEV,
			       "no VFIO: %s is missing (load vfio-pci; VFIO needs an IOMMU too: "
			       "boot with an IOMMU enabled, intel_iommu=on or amd_iommu=on)",
			       path);
		goto err_free;
	}
	if (rc < 0) {
		rc = iovs_errf(err, rc, "open %s: %s", path, strerror(-rc));
		goto err_free;
	}
	c->fd = rc;
	rc = vfio_kioctl(c, c->fd, VFIO_GET_API_VERSION, NULL);
	if (rc < 0) {
		rc = iovs_errf(err, rc, "VFIO_GET_API_VERSION: %s", strerror(-rc));
		goto err_close_fd;
	}
	if (rc != VFIO_API_VERSION) {
		rc = iovs_errf(err, -EPROTONOSUPPORT, "VFIO API version %d, not %d", rc,
			       VFIO_API_VERSION);
		goto err_close_fd;
	}
	rc = vfio_kioctl(c, c->fd, VFIO_CHECK_EXTENSION, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
	if (rc < 0) {
		rc = iovs_errf(err, rc, "VFIO_CHECK_EXTENSION: %s", strerror(-rc));
		goto err_close_fd;
	}
	if (rc == 0) {
		rc = iovs_errf(err, -EPROTONOSUPPORT,
			       "VFIO has no type1v2 IOMMU (module vfio_iommu_type1 not loaded?)");
		goto err_close_fd;
	}
	*out = c;
	return 0;

err_close_fd:
	vfio_kclose(c, &c->fd);
err_free:
	free(c);
	return rc;
}

void
vfio_ctr_destroy(struct vfio_ctr *c)
{
	if (!c)
		return;
	while (c->devs)
		vfio_dev_close(c->devs);
	vfio_dma_unmap_all(c);
	while (c->groups) {
		c->groups->refs = 1;
		vfio_grp_close(c->groups);
	}
	vfio_ctr_iommu_gone(c);
	vfio_kclose(c, &c->fd);
	free(c);
}

bool
vfio_ctr_is_ready(const struct vfio_ctr *c)
{
	return c->ready;
}

int
vfio_ctr_iommu_desc(const struct vfio_ctr *c, const struct vfio_iommu_desc **out)
{
	if (!c->ready || c->noiommu)
		return -ENODEV;
	*out = &c->desc;
	return 0;
}

const struct iommu_as *
vfio_ctr_as(const struct vfio_ctr *c)
{
	return c->as;
}

int
vfio_info_ioctl(struct vfio_ctr *c, int fd, unsigned long req, const void *head, size_t head_len,
		void **buf, size_t *len)
{
	size_t size = head_len; /* the kernel says what the capabilities need */

	for (int tries = 0; tries < 4; tries++) {
		uint8_t *b = calloc(1, size);
		if (!b)
			return -ENOMEM;
		memcpy(b, head, head_len);
		uint32_t argsz = (uint32_t)size;
		memcpy(b, &argsz, sizeof(argsz));
		int rc = vfio_kioctl(c, fd, req, b);
		if (rc < 0) {
			free(b);
			return rc;
		}
		memcpy(&argsz, b, sizeof(argsz));
		if (argsz <= size) {
			*buf = b;
			*len = size;
			return 0;
		}
		free(b);
		if (argsz > VFIO_INFO_MAX)
			return -E2BIG;
		size = argsz;
	}
	return -EAGAIN; /* the answer kept growing */
}

static int
read_iommu_info(struct vfio_ctr *c, struct iovs_err *err)
{
	struct vfio_iommu_type1_info head = {.argsz = sizeof(head)};
	size_t len;
	void *buf;
	int rc;

	rc = vfio_info_ioctl(c, c->fd, VFIO_IOMMU_GET_INFO, &head, sizeof(head), &buf, &len);
	if (rc < 0)
		return iovs_errf(err, rc, "VFIO_IOMMU_GET_INFO: %s", strerror(-rc));
	rc = vfio_parse_iommu_info(buf, len, &c->desc, NULL, err);
	free(buf);
	if (rc < 0)
		return rc;
	if (c->desc.has_ranges && c->desc.n_ranges == 0)
		return iovs_errf(err, -ENOSPC, "the IOMMU reports no usable IOVA range");
	return 0;
}

int
vfio_ctr_setup_iommu(struct vfio_ctr *c, bool noiommu, struct iovs_err *err)
{
	unsigned long type = noiommu ? VFIO_NOIOMMU_IOMMU : VFIO_TYPE1v2_IOMMU;
	int rc;

	rc = vfio_kioctl(c, c->fd, VFIO_SET_IOMMU, (void *)(uintptr_t)type);
	if (rc < 0)
		return iovs_errf(err, rc, "VFIO_SET_IOMMU %s: %s", noiommu ? "noiommu" : "type1v2",
				 strerror(-rc));
	if (noiommu) {
		c->ready = true;
		c->noiommu = true;
		return 0;
	}
	rc = read_iommu_info(c, err);
	if (rc < 0)
		return rc;
	struct iommu_as_config cfg = {
		.valid = c->desc.has_ranges ? c->desc.ranges : NULL,
		.n_valid = c->desc.has_ranges ? c->desc.n_ranges : 0,
		.pgsize_bitmap = c->desc.pgsizes,
		.max_mappings = c->desc.has_dma_avail ? c->desc.dma_avail : 0,
	};
	rc = iommu_as_create(&cfg, &c->as);
	if (rc < 0)
		return iovs_errf(err, rc, "IO address space: %s", strerror(-rc));
	c->ready = true;
	return 0;
}

void
vfio_ctr_iommu_gone(struct vfio_ctr *c)
{
	iommu_as_destroy(c->as);
	c->as = NULL;
	c->ready = false;
	c->noiommu = false;
	memset(&c->desc, 0, sizeof(c->desc));
}
