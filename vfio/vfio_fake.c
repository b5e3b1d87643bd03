/* Tests only: the fake VFIO kernel of vfio_fake.h. It answers the ioctls the
 * way linux/vfio.h and drivers/vfio describe them (type1v2 unmap refuses
 * splits; GET_INFO sets argsz to what the capabilities need and leaves them
 * out when the buffer is too small; closing a group detaches it), from its
 * own simple state, independent of iommu/. */
#include <errno.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio_fake.h"

#define SYS "/fake/sys"
#define DEV "/fake/dev"

static struct fake_dev *
fake_dev_new(struct fake_group *g, const char *name, const char *driver)
{
	if (g->n_devs == FAKE_DEVS)
		abort();
	struct fake_dev *d = &g->devs[g->n_devs++];

	memset(d, 0, sizeof(*d));
	d->name = name;
	d->driver = driver;
	d->flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	d->num_regions = FAKE_REGIONS;
	d->num_irqs = FAKE_IRQS;
	struct fake_region *bar0 = &d->regions[VFIO_PCI_BAR0_REGION_INDEX];
	bar0->size = 0x4000;
	bar0->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		      VFIO_REGION_INFO_FLAG_MMAP;
	/* A hole at 0x2000-0x2fff (as vfio-pci leaves the MSI-X table out). */
	bar0->n_sparse = 2;
	bar0->sparse[0].offset = 0;
	bar0->sparse[0].size = 0x2000;
	bar0->sparse[1].offset = 0x3000;
	bar0->sparse[1].size = 0x1000;
	struct fake_region *bar1 = &d->regions[VFIO_PCI_BAR1_REGION_INDEX];
	bar1->size = 0x20;
	bar1->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	struct fake_region *cfg = &d->regions[VFIO_PCI_CONFIG_REGION_INDEX];
	cfg->size = 256;
	cfg->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	for (int i = 0; i < FAKE_REGIONS; i++)
		if (d->regions[i].size)
			d->regions[i].mem = calloc(1, d->regions[i].size);
	cfg->mem[0] = 0x86;
	cfg->mem[1] = 0x80;
	cfg->mem[2] = 0xd3;
	cfg->mem[3] = 0x10; /* 8086:10d3, the 82574L */
	d->irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 1;
	d->irq_count[VFIO_PCI_MSI_IRQ_INDEX] = 1;
	d->irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = 5;
	return d;
}

struct fake_dev *
vfio_fake_add_dev(struct vfio_fake *f, int id, const char *name, const char *driver)
{
	struct fake_group *g = NULL;

	for (int i = 0; i < f->n_groups; i++)
		if (f->groups[i].id == id)
			g = &f->groups[i];
	if (!g) {
		g = &f->groups[f->n_groups++];
		memset(g, 0, sizeof(*g));
		g->id = id;
	}
	return fake_dev_new(g, name, driver);
}

void
vfio_fake_init(struct vfio_fake *f)
{
	memset(f, 0, sizeof(*f));
	f->api_version = VFIO_API_VERSION;
	f->pgsizes = 0x40201000; /* 4K | 2M | 1G */
	f->n_ranges = 2;
	f->ranges[0] = (struct iommu_range){0, 0xfedfffff};
	f->ranges[1] = (struct iommu_range){0xfef00000, (1ull << 39) - 1};
	f->dma_avail = 65535;
	f->fail_errno = EIO;
	vfio_fake_add_dev(f, 5, "0000:00:03.0", "vfio-pci");
}

void
vfio_fake_fini(struct vfio_fake *f)
{
	for (int i = 0; i < f->n_groups; i++)
		for (int j = 0; j < f->groups[i].n_devs; j++)
			for (int r = 0; r < FAKE_REGIONS; r++)
				free(f->groups[i].devs[j].regions[r].mem);
}

struct vfio_env
vfio_fake_env(struct vfio_fake *f)
{
	return (struct vfio_env){.kops = &vfio_fake_kops, .kctx = f, .sysfs = SYS, .dev = DEV};
}

/* ---- helpers ---- */

static bool
inject(struct vfio_fake *f)
{
	if (++f->calls == f->fail_at) {
		f->injected = true;
		return true;
	}
	return false;
}

static struct fake_fd *
fd_get(struct vfio_fake *f, int fd, int kind)
{
	int i = fd - FAKE_FD_BASE;
	if (i < 0 || i >= FAKE_FDS || f->fds[i].kind == 0 || (kind && f->fds[i].kind != kind))
		return NULL;
	return &f->fds[i];
}

static int
fd_new(struct vfio_fake *f, int kind, struct fake_group *g, struct fake_dev *d)
{
	for (int i = 0; i < FAKE_FDS; i++) {
		if (f->fds[i].kind == 0) {
			f->fds[i] = (struct fake_fd){kind, g, d};
			f->open_fds++;
			return FAKE_FD_BASE + i;
		}
	}
	return -EMFILE;
}

static struct fake_dev *
dev_find(struct vfio_fake *f, const char *name, struct fake_group **gp)
{
	for (int i = 0; i < f->n_groups; i++)
		for (int j = 0; j < f->groups[i].n_devs; j++)
			if (strcmp(f->groups[i].devs[j].name, name) == 0) {
				if (gp)
					*gp = &f->groups[i];
				return &f->groups[i].devs[j];
			}
	return NULL;
}

static struct fake_group *
group_find(struct vfio_fake *f, int id)
{
	for (int i = 0; i < f->n_groups; i++)
		if (f->groups[i].id == id)
			return &f->groups[i];
	return NULL;
}

/* As the kernel: no device's driver owns DMA (vfio-pci, pci-stub and
 * pcieport declare driver_managed_dma). */
static bool
group_viable(const struct fake_group *g)
{
	for (int i = 0; i < g->n_devs; i++) {
		const char *drv = g->devs[i].driver;
		if (drv && strcmp(drv, "vfio-pci") != 0 && strcmp(drv, "pci-stub") != 0 &&
		    strcmp(drv, "pcieport") != 0)
			return false;
	}
	return true;
}

static bool
group_has_vfio(const struct fake_group *g)
{
	for (int i = 0; i < g->n_devs; i++)
		if (g->devs[i].driver && strcmp(g->devs[i].driver, "vfio-pci") == 0)
			return true;
	return false;
}

static void
container_drop_iommu(struct vfio_fake *f)
{
	f->iommu_type = 0;
	f->n_dma = 0;
}

static void
group_detach(struct vfio_fake *f, struct fake_group *g)
{
	if (!g->container)
		return;
	g->container = 0;
	if (--f->ctr_groups == 0)
		container_drop_iommu(f);
}

/* ---- open, close, sysfs ---- */

static int
f_open(void *ctx, const char *path, int flags)
{
	struct vfio_fake *f = ctx;
	int id;
	char tail;
	(void)flags;

	if (inject(f))
		return -f->fail_errno;
	if (strcmp(path, DEV "/vfio/vfio") == 0)
		return f->no_vfio_node ? -ENOENT : fd_new(f, 1, NULL, NULL);
	bool noiommu = sscanf(path, DEV "/vfio/noiommu-%d%c", &id, &tail) == 1;
	if (noiommu || sscanf(path, DEV "/vfio/%d%c", &id, &tail) == 1) {
		struct fake_group *g = group_find(f, id);
		if (!g || g->noiommu != noiommu || !group_has_vfio(g))
			return -ENOENT;
		for (int i = 0; i < FAKE_FDS; i++)
			if (f->fds[i].kind == 2 && f->fds[i].grp == g)
				return -EBUSY; /* one open per group */
		return fd_new(f, 2, g, NULL);
	}
	return -ENOENT;
}

static int
f_close(void *ctx, int fd)
{
	struct vfio_fake *f = ctx;
	struct fake_fd *e = fd_get(f, fd, 0);

	f->calls++;
	if (!e)
		return -EBADF;
	if (e->kind == 2)
		group_detach(f, e->grp);
	if (e->kind == 1) {
		for (int i = 0; i < f->n_groups; i++)
			if (f->groups[i].container == fd)
				group_detach(f, &f->groups[i]);
		container_drop_iommu(f);
	}
	e->kind = 0;
	f->open_fds--;
	return 0;
}

static ssize_t
put_link(char *buf, size_t len, const char *target)
{
	size_t n = strlen(target);
	if (n > len)
		n = len;
	memcpy(buf, target, n);
	return (ssize_t)n;
}

static ssize_t
f_readlink(void *ctx, const char *path, char *buf, size_t len)
{
	struct vfio_fake *f = ctx;
	char name[64], what[64], target[128];
	struct fake_group *g;
	struct fake_dev *d;
	int id;

	if (inject(f))
		return -f->fail_errno;
	if (sscanf(path, SYS "/bus/pci/devices/%63[^/]/%63s", name, what) == 2) {
		d = dev_find(f, name, &g);
		if (!d || strcmp(what, "iommu_group") != 0 || f->no_iommu)
			return -ENOENT;
		snprintf(target, sizeof(target), "../../../kernel/iommu_groups/%d", g->id);
		return put_link(buf, len, target);
	}
	if (sscanf(path, SYS "/bus/pci/devices/%63s", name) == 1) {
		if (!dev_find(f, name, NULL))
			return -ENOENT;
		snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", name);
		return put_link(buf, len, target);
	}
	if (sscanf(path, SYS "/kernel/iommu_groups/%d/devices/%63[^/]/%63s", &id, name, what) ==
	    3) {
		d = dev_find(f, name, &g);
		if (!d || g->id != id || strcmp(what, "driver") != 0 || !d->driver)
			return -ENOENT;
		snprintf(target, sizeof(target), "../../../../bus/pci/drivers/%s", d->driver);
		return put_link(buf, len, target);
	}
	return -ENOENT;
}

static int
f_list_dir(void *ctx, const char *path, int (*fn)(const char *name, void *arg), void *arg)
{
	struct vfio_fake *f = ctx;
	char tail[16];
	int id;

	if (inject(f))
		return -f->fail_errno;
	if (sscanf(path, SYS "/kernel/iommu_groups/%d%15s", &id, tail) != 2 ||
	    strcmp(tail, "/devices") != 0)
		return -ENOENT;
	struct fake_group *g = group_find(f, id);
	if (!g)
		return -ENOENT;
	for (int i = 0; i < g->n_devs; i++) {
		int rc = fn(g->devs[i].name, arg);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- the ioctls ---- */

/* Appends a capability at *used (8-aligned) inside buf of cap_len bytes;
 * links it from the previous one. */
static void
cap_add(uint8_t *buf, size_t *used, uint32_t *prev_next_off, uint16_t id, const void *body,
	size_t body_len)
{
	size_t off = (*used + 7) & ~(size_t)7;
	struct vfio_info_cap_header h = {.id = id, .version = 1, .next = 0};

	memcpy(buf + off, &h, sizeof(h));
	memcpy(buf + off + sizeof(h), body, body_len);
	if (*prev_next_off)
		memcpy(buf + *prev_next_off, &off, sizeof(uint32_t));
	*prev_next_off = (uint32_t)off + 4;
	*used = off + sizeof(h) + body_len;
}

/* The kernel's way: caps built aside; copied only if argsz has room. */
static int
answer_with_caps(void *arg, const uint8_t *fixed, size_t fixed_len, size_t cap_off_field,
		 uint32_t caps_flag, size_t flags_field, const uint8_t *caps, size_t caps_len)
{
	uint32_t argsz, flags, cap_offset = 0;

	memcpy(&argsz, arg, 4);
	if (argsz < fixed_len)
		return -EINVAL;
	memcpy(arg, fixed, fixed_len);
	if (caps_len > 0) {
		memcpy(&flags, (uint8_t *)arg + flags_field, 4);
		flags |= caps_flag;
		memcpy((uint8_t *)arg + flags_field, &flags, 4);
		if (argsz >= fixed_len + caps_len) {
			memcpy((uint8_t *)arg + fixed_len, caps, caps_len);
			cap_offset = (uint32_t)fixed_len;
		}
		argsz = (uint32_t)(fixed_len + caps_len);
	} else {
		argsz = (uint32_t)fixed_len;
	}
	memcpy((uint8_t *)arg + cap_off_field, &cap_offset, 4);
	memcpy(arg, &argsz, 4);
	return 0;
}

static int
iommu_get_info(struct vfio_fake *f, void *arg)
{
	struct vfio_iommu_type1_info info = {.flags = VFIO_IOMMU_INFO_PGSIZES,
					     .iova_pgsizes = f->pgsizes};
	uint8_t caps[1024] = {0};
	size_t used = sizeof(info); /* offsets are from the start of info */
	uint32_t prev = 0;
	uint32_t argsz;

	if (!f->iommu_type)
		return -EINVAL;
	if (f->info_raw) {
		memcpy(&argsz, arg, 4);
		memcpy(arg, f->info_raw, argsz < f->info_raw_len ? argsz : f->info_raw_len);
		return 0;
	}
	uint8_t *all = calloc(1, sizeof(info) + sizeof(caps));
	if (!all)
		return -ENOMEM;
	uint8_t body[8 + 8 * 16] = {0};
	memcpy(body, &f->n_ranges, 4);
	for (uint32_t i = 0; i < f->n_ranges; i++) {
		memcpy(body + 8 + i * 16, &f->ranges[i].start, 8);
		memcpy(body + 16 + i * 16, &f->ranges[i].end, 8);
	}
	cap_add(all, &used, &prev, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, body,
		8 + f->n_ranges * 16);
	if (f->dma_avail >= 0) {
		uint32_t avail = (uint32_t)(f->dma_avail - f->n_dma);
		cap_add(all, &used, &prev, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, &avail, 4);
	}
	int rc = answer_with_caps(arg, (uint8_t *)&info, sizeof(info),
				  offsetof(struct vfio_iommu_type1_info, cap_offset),
				  VFIO_IOMMU_INFO_CAPS, 4, all + sizeof(info),
				  ((used + 7) & ~(size_t)7) - sizeof(info));
	free(all);
	return rc;
}

static uint64_t
min_page(const struct vfio_fake *f)
{
	return f->pgsizes & -f->pgsizes;
}

static bool
in_ranges(const struct vfio_fake *f, uint64_t iova, uint64_t last)
{
	for (uint32_t i = 0; i < f->n_ranges; i++)
		if (iova >= f->ranges[i].start && last <= f->ranges[i].end)
			return true;
	return false;
}

static int
map_dma(struct vfio_fake *f, struct vfio_iommu_type1_dma_map *m)
{
	uint64_t pg = min_page(f);

	if (f->iommu_type != VFIO_TYPE1v2_IOMMU)
		return -EINVAL;
	if (m->size == 0 || m->iova % pg || m->size % pg || m->vaddr % pg ||
	    m->iova + (m->size - 1) < m->iova)
		return -EINVAL;
	if (!in_ranges(f, m->iova, m->iova + (m->size - 1)))
		return -EINVAL;
	for (int i = 0; i < f->n_dma; i++)
		if (m->iova <= f->dma[i].iova + (f->dma[i].size - 1) &&
		    f->dma[i].iova <= m->iova + (m->size - 1))
			return -EEXIST;
	if (f->n_dma == FAKE_DMA || (f->dma_avail >= 0 && f->n_dma >= f->dma_avail))
		return -ENOSPC;
	f->dma[f->n_dma].iova = m->iova;
	f->dma[f->n_dma].size = m->size;
	f->dma[f->n_dma].vaddr = m->vaddr;
	f->dma[f->n_dma].flags = m->flags;
	f->n_dma++;
	return 0;
}

static int
unmap_dma(struct vfio_fake *f, struct vfio_iommu_type1_dma_unmap *u)
{
	uint64_t last = u->iova + (u->size - 1), done = 0;

	f->unmap_dma_calls++;
	if (f->iommu_type != VFIO_TYPE1v2_IOMMU)
		return -EINVAL;
	if (u->size == 0 || u->iova % min_page(f) || u->size % min_page(f) || last < u->iova)
		return -EINVAL;
	for (int i = 0; i < f->n_dma; i++) {
		uint64_t a = f->dma[i].iova, b = a + (f->dma[i].size - 1);
		bool overlaps = a <= last && u->iova <= b;
		if (overlaps && (a < u->iova || b > last))
			return -EINVAL; /* type1v2: no splitting */
	}
	for (int i = 0; i < f->n_dma;) {
		uint64_t a = f->dma[i].iova;
		if (a >= u->iova && a <= last) {
			done += f->dma[i].size;
			f->dma[i] = f->dma[--f->n_dma];
		} else {
			i++;
		}
	}
	u->size = done;
	return 0;
}

static int
container_ioctl(struct vfio_fake *f, unsigned long req, void *arg)
{
	switch (req) {
	case VFIO_GET_API_VERSION:
		return f->api_version;
	case VFIO_CHECK_EXTENSION:
		if ((uintptr_t)arg == VFIO_TYPE1v2_IOMMU)
			return f->no_type1v2 ? 0 : 1;
		return (uintptr_t)arg == VFIO_NOIOMMU_IOMMU ? 1 : 0;
	case VFIO_SET_IOMMU:
		if (f->ctr_groups == 0 || f->iommu_type)
			return -EINVAL;
		f->iommu_type = (int)(uintptr_t)arg;
		return 0;
	case VFIO_IOMMU_GET_INFO:
		return iommu_get_info(f, arg);
	case VFIO_IOMMU_MAP_DMA:
		return map_dma(f, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return unmap_dma(f, arg);
	}
	return -ENOTTY;
}

static int
group_ioctl(struct vfio_fake *f, struct fake_group *g, unsigned long req, void *arg)
{
	switch (req) {
	case VFIO_GROUP_GET_STATUS: {
		struct vfio_group_status *st = arg;
		st->flags = 0;
		if (group_viable(g))
			st->flags |= VFIO_GROUP_FLAGS_VIABLE;
		if (g->container || g->other_user)
			st->flags |= VFIO_GROUP_FLAGS_CONTAINER_SET;
		return 0;
	}
	case VFIO_GROUP_SET_CONTAINER: {
		int cfd = *(int *)arg;
		if (!fd_get(f, cfd, 1) || g->container || !group_viable(g))
			return -EINVAL;
		g->container = cfd;
		f->ctr_groups++;
		return 0;
	}
	case VFIO_GROUP_UNSET_CONTAINER:
		if (!g->container)
			return -EINVAL;
		group_detach(f, g);
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD: {
		if (!g->container || !f->iommu_type)
			return -EINVAL;
		for (int i = 0; i < g->n_devs; i++)
			if (strcmp(g->devs[i].name, arg) == 0)
				return fd_new(f, 3, g, &g->devs[i]);
		return -ENODEV;
	}
	}
	return -ENOTTY;
}

static int
region_info(struct fake_dev *d, struct vfio_region_info *ri)
{
	if (ri->index >= d->num_regions)
		return -EINVAL;
	const struct fake_region *r = &d->regions[ri->index];
	struct vfio_region_info fixed = {
		.flags = r->flags,
		.index = ri->index,
		.size = r->size,
		.offset = (uint64_t)ri->index << 40,
	};
	uint8_t all[256] = {0};
	size_t used = sizeof(fixed);
	uint32_t prev = 0;
	if (r->n_sparse) {
		uint8_t body[8 + 4 * 16] = {0};
		memcpy(body, &r->n_sparse, 4);
		for (uint32_t i = 0; i < r->n_sparse; i++) {
			memcpy(body + 8 + i * 16, &r->sparse[i].offset, 8);
			memcpy(body + 16 + i * 16, &r->sparse[i].size, 8);
		}
		cap_add(all, &used, &prev, VFIO_REGION_INFO_CAP_SPARSE_MMAP, body,
			8 + r->n_sparse * 16);
	}
	return answer_with_caps(
		ri, (uint8_t *)&fixed, sizeof(fixed), offsetof(struct vfio_region_info, cap_offset),
		VFIO_REGION_INFO_FLAG_CAPS, 4, all + sizeof(fixed), used - sizeof(fixed));
}

static int
set_irqs(struct fake_dev *d, struct vfio_irq_set *s)
{
	uint32_t type = s->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;

	if (s->index >= d->num_irqs || !(s->flags & VFIO_IRQ_SET_ACTION_TRIGGER))
		return -EINVAL;
	if (type == VFIO_IRQ_SET_DATA_NONE && s->count == 0) {
		d->irq_on[s->index] = 0;
		return 0;
	}
	if (type != VFIO_IRQ_SET_DATA_EVENTFD || s->count == 0 ||
	    s->start + s->count > d->irq_count[s->index] ||
	    s->argsz < sizeof(*s) + s->count * sizeof(int32_t))
		return -EINVAL;
	d->irq_on[s->index] = s->count;
	memcpy(&d->irq_fd0[s->index], s->data, sizeof(int32_t));
	return 0;
}

static int
device_ioctl(struct fake_dev *d, unsigned long req, void *arg)
{
	switch (req) {
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info *i = arg;
		i->flags = d->flags;
		i->num_regions = d->num_regions;
		i->num_irqs = d->num_irqs;
		return 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO:
		return region_info(d, arg);
	case VFIO_DEVICE_GET_IRQ_INFO: {
		struct vfio_irq_info *i = arg;
		if (i->index >= d->num_irqs)
			return -EINVAL;
		i->flags = VFIO_IRQ_INFO_EVENTFD;
		i->count = d->irq_count[i->index];
		return 0;
	}
	case VFIO_DEVICE_SET_IRQS:
		return set_irqs(d, arg);
	case VFIO_DEVICE_RESET:
		if (!(d->flags & VFIO_DEVICE_FLAGS_RESET))
			return -ENOTTY;
		d->resets++;
		return 0;
	}
	return -ENOTTY;
}

static int
f_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct vfio_fake *f = ctx;
	struct fake_fd *e;

	if (inject(f))
		return -f->fail_errno;
	e = fd_get(f, fd, 0);
	if (!e)
		return -EBADF;
	switch (e->kind) {
	case 1:
		return container_ioctl(f, req, arg);
	case 2:
		return group_ioctl(f, e->grp, req, arg);
	default:
		return device_ioctl(e->dev, req, arg);
	}
}

/* ---- device fd I/O and mmap: region = offset >> 40, as vfio-pci ---- */

static struct fake_region *
region_at(struct vfio_fake *f, int fd, off_t off, size_t len, uint64_t *roff)
{
	struct fake_fd *e = fd_get(f, fd, 3);
	uint64_t idx = (uint64_t)off >> 40;

	if (!e || idx >= e->dev->num_regions)
		return NULL;
	struct fake_region *r = &e->dev->regions[idx];
	*roff = (uint64_t)off & ((1ull << 40) - 1);
	if (!r->mem || *roff > r->size || len > r->size - *roff)
		return NULL;
	return r;
}

static ssize_t
f_pread(void *ctx, int fd, void *buf, size_t len, off_t off)
{
	struct vfio_fake *f = ctx;
	uint64_t ro;

	if (inject(f))
		return -f->fail_errno;
	struct fake_region *r = region_at(f, fd, off, len, &ro);
	if (!r || !(r->flags & VFIO_REGION_INFO_FLAG_READ))
		return -EINVAL;
	memcpy(buf, r->mem + ro, len);
	return (ssize_t)len;
}

static ssize_t
f_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	struct vfio_fake *f = ctx;
	uint64_t ro;

	if (inject(f))
		return -f->fail_errno;
	struct fake_region *r = region_at(f, fd, off, len, &ro);
	if (!r || !(r->flags & VFIO_REGION_INFO_FLAG_WRITE))
		return -EINVAL;
	memcpy(r->mem + ro, buf, len);
	return (ssize_t)len;
}

static int
f_mmap(void *ctx, int fd, size_t len, int prot, off_t off, void **addr)
{
	struct vfio_fake *f = ctx;
	uint64_t ro;
	(void)prot;

	if (inject(f))
		return -f->fail_errno;
	struct fake_region *r = region_at(f, fd, off, len, &ro);
	if (!r || !(r->flags & VFIO_REGION_INFO_FLAG_MMAP) || len == 0)
		return -EINVAL;
	if (r->n_sparse) {
		bool inside = false;
		for (uint32_t i = 0; i < r->n_sparse; i++)
			if (ro >= r->sparse[i].offset &&
			    ro + len <= r->sparse[i].offset + r->sparse[i].size)
				inside = true;
		if (!inside)
			return -EINVAL;
	}
	if (f->n_mmaps == FAKE_MMAPS)
		return -ENOMEM;
	f->mmaps[f->n_mmaps].addr = r->mem + ro;
	f->mmaps[f->n_mmaps].len = len;
	f->n_mmaps++;
	*addr = r->mem + ro;
	return 0;
}

static int
f_munmap(void *ctx, void *addr, size_t len)
{
	struct vfio_fake *f = ctx;

	f->calls++;
	for (int i = 0; i < f->n_mmaps; i++) {
		if (f->mmaps[i].addr == addr && f->mmaps[i].len == len) {
			f->mmaps[i] = f->mmaps[--f->n_mmaps];
			return 0;
		}
	}
	return -EINVAL;
}

const struct vfio_kops vfio_fake_kops = {
	.open = f_open,
	.close = f_close,
	.ioctl = f_ioctl,
	.pread = f_pread,
	.pwrite = f_pwrite,
	.mmap = f_mmap,
	.munmap = f_munmap,
	.readlink = f_readlink,
	.list_dir = f_list_dir,
};
