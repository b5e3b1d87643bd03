/* Tests only: a small fake VFIO "kernel" behind struct vfio_kops. It has
 * /dev/vfio nodes, a sysfs with PCI devices, IOMMU groups and drivers, a
 * container with a type1v2 IOMMU (GET_INFO answered with a capability chain
 * built from 'ranges', 'pgsizes', 'dma_avail'), DMA mappings with type1v2
 * semantics, devices with regions (memory behind pread/pwrite and mmap,
 * sparse areas), IRQs and reset. It counts what is open (fds, mmaps, DMA
 * mappings) so a test can see leaks, and fails call number 'fail_at' with
 * -fail_errno (close and munmap never fail: Linux releases the fd and the
 * mapping anyway). Paths: sysfs "/fake/sys", dev "/fake/dev". */
#ifndef IOVS_VFIO_FAKE_H
#define IOVS_VFIO_FAKE_H

#include "vfio.h"

#define FAKE_GROUPS  4
#define FAKE_DEVS    6
#define FAKE_REGIONS 9
#define FAKE_IRQS    5
#define FAKE_FDS     32
#define FAKE_MMAPS   32
#define FAKE_DMA     64
#define FAKE_FD_BASE 1000

struct fake_region {
	uint64_t size;
	uint32_t flags; /* VFIO_REGION_INFO_FLAG_* (CAPS is added for sparse) */
	uint32_t n_sparse;
	struct {
		uint64_t offset, size;
	} sparse[4];
	uint8_t *mem; /* size bytes, allocated by vfio_fake_init() */
};

struct fake_dev {
	const char *name;   /* "0000:00:03.0" */
	const char *driver; /* "vfio-pci", "e1000", NULL: none */
	uint32_t flags;	    /* VFIO_DEVICE_FLAGS_* */
	uint32_t num_regions, num_irqs;
	struct fake_region regions[FAKE_REGIONS];
	uint32_t irq_count[FAKE_IRQS];
	uint32_t irq_on[FAKE_IRQS]; /* vectors with a trigger now */
	int irq_fd0[FAKE_IRQS];	    /* the first eventfd given */
	unsigned resets;
};

struct fake_group {
	int id;
	bool noiommu;	 /* /dev/vfio/noiommu-N instead of /dev/vfio/N */
	bool other_user; /* CONTAINER_SET by someone else */
	int n_devs;
	struct fake_dev devs[FAKE_DEVS];
	int container; /* fd it is attached to, 0: none */
};

struct fake_fd {
	int kind; /* 0 free, 1 container, 2 group, 3 device */
	struct fake_group *grp;
	struct fake_dev *dev;
};

struct vfio_fake {
	/* configuration (set before use) */
	bool no_vfio_node; /* /dev/vfio/vfio missing */
	bool no_iommu;	   /* devices have no iommu_group link */
	bool no_type1v2;
	int api_version;
	uint64_t pgsizes;
	uint32_t n_ranges;
	struct iommu_range ranges[8];
	int64_t dma_avail;	 /* < 0: no DMA_AVAIL capability */
	const uint8_t *info_raw; /* if set: GET_INFO answers these bytes */
	size_t info_raw_len;
	/* the injected failure */
	long calls;
	long fail_at; /* 0: never */
	int fail_errno;
	bool injected;
	/* state */
	int n_groups;
	struct fake_group groups[FAKE_GROUPS];
	struct fake_fd fds[FAKE_FDS];
	int open_fds;
	int iommu_type; /* of the container: 0 none */
	int ctr_groups; /* groups attached to the container */
	struct {
		void *addr;
		size_t len;
	} mmaps[FAKE_MMAPS];
	int n_mmaps;
	struct {
		uint64_t iova, size, vaddr;
		uint32_t flags;
	} dma[FAKE_DMA];
	int n_dma;
	long unmap_dma_calls;
};

extern const struct vfio_kops vfio_fake_kops;

/* A machine with one viable group 5 holding the vfio-pci device 0000:00:03.0
 * (an e1000e-like device: BAR0 16 KiB mmap-able with a sparse area hole,
 * BAR1 not mmap-able, config space 256 bytes, INTx/MSI/MSI-X, reset), the
 * IOVA ranges of an x86 IOMMU (hole at 0xfee00000) and 4K|2M|1G pages. */
void vfio_fake_init(struct vfio_fake *f);
/* Adds a device to group 'id' (creating it) with 'driver'. */
struct fake_dev *vfio_fake_add_dev(struct vfio_fake *f, int id, const char *name,
				   const char *driver);
void vfio_fake_fini(struct vfio_fake *f);
/* The env for vfio_ctr_create(). */
struct vfio_env vfio_fake_env(struct vfio_fake *f);

#endif
