/* Device regions: BARs, config space, ROM, VGA... (VFIO_DEVICE_GET_REGION_INFO
 * parsed by vfio_info.c). A region is mmap'ed area by area as the kernel
 * allows (FLAG_MMAP, the sparse mmap capability), and read or written
 * through the mapping where one covers the access, else with pread/pwrite on
 * the device fd. */
#include <errno.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vfio_priv.h"

static int
reg_get(struct vfio_dev *d, uint32_t index, struct vfio_reg **out, struct iovs_err *err)
{
	struct vfio_region_info head = {.argsz = sizeof(head), .index = index};
	struct vfio_reg *r;
	size_t len;
	void *buf;
	int rc;

	if (index >= d->n_regs)
		return iovs_errf(err, -ERANGE, "%s: no region %u (%u regions)", d->name, index,
				 d->n_regs);
	r = &d->regs[index];
	if (r->known) {
		*out = r;
		return 0;
	}
	rc = vfio_info_ioctl(d->ctr, d->fd, VFIO_DEVICE_GET_REGION_INFO, &head, sizeof(head), &buf,
			     &len);
	if (rc < 0)
		return iovs_errf(err, rc, "%s: VFIO_DEVICE_GET_REGION_INFO %u: %s", d->name, index,
				 strerror(-rc));
	rc = vfio_parse_region_info(buf, len, &r->desc, NULL, err);
	free(buf);
	if (rc < 0)
		return iovs_err_prefix(err, rc, "%s", d->name);
	if (r->desc.index != index) {
		memset(&r->desc, 0, sizeof(r->desc));
		return iovs_errf(err, -EBADMSG, "%s: asked for region %u, got %u", d->name, index,
				 r->desc.index);
	}
	r->known = true;
	*out = r;
	return 0;
}

int
vfio_region_get_desc(struct vfio_dev *d, uint32_t index, struct vfio_region_desc *out,
		     struct iovs_err *err)
{
	struct vfio_reg *r;
	int rc = reg_get(d, index, &r, err);

	if (rc == 0)
		*out = r->desc;
	return rc;
}

static void
unmap_areas(struct vfio_dev *d, struct vfio_reg *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (r->addr[i])
			d->ctr->kops->munmap(d->ctr->kctx, r->addr[i], r->desc.areas[i].size);
		r->addr[i] = NULL;
	}
	r->mapped = false;
}

int
vfio_region_map(struct vfio_dev *d, uint32_t index, struct iovs_err *err)
{
	struct vfio_reg *r;
	int rc, prot = 0;

	rc = reg_get(d, index, &r, err);
	if (rc < 0)
		return rc;
	if (r->mapped)
		return 0;
	if (r->desc.n_areas == 0)
		return iovs_errf(err, -ENOTSUP, "%s: region %u may not be mmap'ed", d->name, index);
	if (r->desc.flags & VFIO_REGION_INFO_FLAG_READ)
		prot |= PROT_READ;
	if (r->desc.flags & VFIO_REGION_INFO_FLAG_WRITE)
		prot |= PROT_WRITE;
	for (uint32_t i = 0; i < r->desc.n_areas; i++) {
		uint64_t off = r->desc.offset + r->desc.areas[i].offset;
		rc = d->ctr->kops->mmap(d->ctr->kctx, d->fd, r->desc.areas[i].size, prot,
					(off_t)off, &r->addr[i]);
		if (rc < 0) {
			r->addr[i] = NULL;
			unmap_areas(d, r, i);
			return iovs_errf(err, rc, "%s: mmap region %u area %u: %s", d->name, index,
					 i, strerror(-rc));
		}
	}
	r->mapped = true;
	return 0;
}

void
vfio_dev_unmap_regions(struct vfio_dev *d)
{
	for (uint32_t i = 0; i < d->n_regs; i++)
		if (d->regs[i].mapped)
			unmap_areas(d, &d->regs[i], d->regs[i].desc.n_areas);
}

static void *
reg_ptr(struct vfio_reg *r, uint64_t off, uint64_t len)
{
	if (!r->mapped)
		return NULL;
	for (uint32_t i = 0; i < r->desc.n_areas; i++) {
		uint64_t a = r->desc.areas[i].offset, s = r->desc.areas[i].size;
		if (off >= a && off - a <= s && len <= s - (off - a))
			return (uint8_t *)r->addr[i] + (off - a);
	}
	return NULL;
}

void *
vfio_region_ptr(struct vfio_dev *d, uint32_t index, uint64_t off, uint64_t len)
{
	if (index >= d->n_regs || len == 0)
		return NULL;
	return reg_ptr(&d->regs[index], off, len);
}

/* MMIO wants accesses of the register's width: 1, 2, 4 and 8 aligned bytes
 * go as one volatile access, anything else byte by byte. */
static void
mmio_copy(volatile uint8_t *dst, const volatile uint8_t *src, size_t len, bool to_dev)
{
	const volatile uint8_t *io = to_dev ? dst : src;
	bool aligned = ((uintptr_t)io & (len - 1)) == 0;

	if (aligned && len == 4) {
		*(volatile uint32_t *)dst = *(const volatile uint32_t *)src;
	} else if (aligned && len == 2) {
		*(volatile uint16_t *)dst = *(const volatile uint16_t *)src;
	} else if (aligned && len == 8) {
		*(volatile uint64_t *)dst = *(const volatile uint64_t *)src;
	} else {
		for (size_t i = 0; i < len; i++)
			dst[i] = src[i];
	}
}

static int
reg_access(struct vfio_dev *d, uint32_t index, uint64_t off, void *buf, size_t len, bool write)
{
	struct vfio_reg *r;
	int rc = reg_get(d, index, &r, NULL);

	if (rc < 0)
		return rc;
	if (len == 0 || off > r->desc.size || len > r->desc.size - off)
		return -ERANGE;
	if (!(r->desc.flags & (write ? VFIO_REGION_INFO_FLAG_WRITE : VFIO_REGION_INFO_FLAG_READ)))
		return -EACCES;
	uint8_t *p = reg_ptr(r, off, len);
	if (p) {
		if (write)
			mmio_copy(p, buf, len, true);
		else
			mmio_copy(buf, p, len, false);
		return 0;
	}
	ssize_t n = write ? d->ctr->kops->pwrite(d->ctr->kctx, d->fd, buf, len,
						 (off_t)(r->desc.offset + off))
			  : d->ctr->kops->pread(d->ctr->kctx, d->fd, buf, len,
						(off_t)(r->desc.offset + off));
	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EIO;
}

int
vfio_region_read(struct vfio_dev *d, uint32_t index, uint64_t off, void *buf, size_t len)
{
	return reg_access(d, index, off, buf, len, false);
}

int
vfio_region_write(struct vfio_dev *d, uint32_t index, uint64_t off, const void *buf, size_t len)
{
	return reg_access(d, index, off, (void *)buf, len, true);
}

int
vfio_cfg_read(struct vfio_dev *d, uint32_t off, void *buf, size_t len)
{
	return reg_access(d, VFIO_PCI_CONFIG_REGION_INDEX, off, buf, len, false);
}

int
vfio_cfg_write(struct vfio_dev *d, uint32_t off, const void *buf, size_t len)
{
	return reg_access(d, VFIO_PCI_CONFIG_REGION_INDEX, off, (void *)buf, len, true);
}
