/* Layouts shared inside vfio/: the container, group and device objects and
 * thin wrappers over the kernel seam. Nothing outside the folder includes it
 * (tests do). */
#ifndef IOVS_VFIO_PRIV_H
#define IOVS_VFIO_PRIV_H

#include <limits.h>

#include "vfio.h"

#define LOG_PREFIX "vfio: "

/* Regions a device may have that we track (vfio-pci has 9 plus device
 * specific ones); higher indexes are refused with -ERANGE. */
#define VFIO_REGIONS_MAX 64
/* IRQ indexes whose triggers we track for teardown (vfio-pci has 5). */
#define VFIO_IRQS_MAX 32
/* Bytes a GET_INFO answer with its capabilities may need before we give up. */
#define VFIO_INFO_MAX (64u * 1024)

struct vfio_ctr {
	const struct vfio_kops *kops;
	void *kctx;
	char sysfs[PATH_MAX];
	char dev[PATH_MAX];
	int fd;			     /* /dev/vfio/vfio; -1 when closed */
	bool ready;		     /* the IOMMU is set (a group is attached) */
	bool noiommu;		     /* ... and it is VFIO_NOIOMMU_IOMMU: no DMA API */
	struct vfio_iommu_desc desc; /* GET_INFO, when ready and !noiommu */
	struct iommu_as *as;	     /* the DMA bookkeeping, when ready and !noiommu */
	struct vfio_grp *groups;     /* attached groups */
	struct vfio_dev *devs;	     /* open devices */
};

struct vfio_grp {
	struct vfio_ctr *ctr;
	struct vfio_grp *next;
	int id;
	int fd;
	unsigned refs;
	bool noiommu;
};

/* One mapped region: its description and the address of each area. */
struct vfio_reg {
	bool known; /* desc read from the kernel */
	bool mapped;
	struct vfio_region_desc desc;
	void *addr[VFIO_SPARSE_AREAS_MAX];
};

struct vfio_dev {
	struct vfio_ctr *ctr;
	struct vfio_grp *grp;
	struct vfio_dev *next;
	char name[64];
	int fd;
	struct vfio_dev_desc desc;
	uint32_t n_regs; /* min(desc.num_regions, VFIO_REGIONS_MAX) */
	struct vfio_reg *regs;
	uint32_t irqs_on; /* bit i: IRQ index i has triggers set */
};

/* container.c: sets the IOMMU after the first group joined and reads its
 * info into c->desc and c->as. */
int vfio_ctr_setup_iommu(struct vfio_ctr *c, bool noiommu, struct iovs_err *err);
/* container.c: the container lost its last group: the kernel dropped the
 * IOMMU and every mapping. */
void vfio_ctr_iommu_gone(struct vfio_ctr *c);
/* container.c: an ioctl whose answer may grow (argsz): 'head' (head_len
 * bytes, argsz first) is copied into a buffer of 'size' bytes, argsz set,
 * and the call repeated with what the kernel asks for, up to VFIO_INFO_MAX.
 * *buf (free() it) gets the answer, *len its size. */
int vfio_info_ioctl(struct vfio_ctr *c, int fd, unsigned long req, const void *head,
		    size_t head_len, void **buf, size_t *len);
/* dma.c: removes every DMA mapping (kernel and bookkeeping). */
void vfio_dma_unmap_all(struct vfio_ctr *c);
/* device.c */
void vfio_dev_unmap_regions(struct vfio_dev *d);
void vfio_dev_irqs_off(struct vfio_dev *d);

/* Group viability: the message naming each device of group 'id' bound to a
 * driver that makes it not viable (group.c). */
void vfio_grp_explain(const struct vfio_ctr *c, int id, char *buf, size_t len);

static inline int
vfio_kioctl(const struct vfio_ctr *c, int fd, unsigned long req, void *arg)
{
	return c->kops->ioctl(c->kctx, fd, req, arg);
}

static inline void
vfio_kclose(const struct vfio_ctr *c, int *fd)
{
	if (*fd >= 0)
		c->kops->close(c->kctx, *fd);
	*fd = -1;
}

#endif
