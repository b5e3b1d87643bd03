/* VFIO containers, groups and devices (Linux VFIO type1v2), on top of iommu/.
 *
 * Design: a container (struct vfio_ctr) is one IOMMU domain: /dev/vfio/vfio,
 * the groups attached to it, and an iommu_as that records every DMA mapping
 * made through it, limited to the usable IOVA ranges and page sizes that
 * VFIO_IOMMU_GET_INFO reports. The iommu_as is the bookkeeping: a map goes into
 * it first, then to the kernel (and is taken out again when the kernel
 * refuses), so the two never disagree. A group (struct vfio_grp) is attached
 * only when it is viable; a device (struct vfio_dev) keeps its group open and
 * owns its BAR mappings and IRQ triggers, all undone by vfio_dev_close().
 *
 * Every call into the kernel goes through a 'struct vfio_kops' seam (open,
 * ioctl, mmap, ... and the sysfs reads), so the unit tests run the whole
 * library against a fake kernel. vfio_kops_linux() is the real one.
 *
 * Threads: no locks inside. The caller serializes all calls on one container
 * and everything opened from it. vfio_region_ptr() pointers may be used from
 * any thread until vfio_dev_close().
 *
 * Errors: 0 or -errno; where a person must learn what was wrong (a group not
 * viable, no IOMMU) the 'struct iovs_err' (may be NULL) gets one sentence. */
#ifndef IOVS_VFIO_H
#define IOVS_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "iommu.h"
#include "iovs_err.h"

/* ---- the kernel seam ----
 * Each returns what the system call does, but failures as -errno (never -1
 * with errno). 'ctx' is vfio_env.kctx. */
struct vfio_kops {
	int (*open)(void *ctx, const char *path, int flags);
	int (*close)(void *ctx, int fd);
	/* The ioctl's non-negative result, or -errno. */
	int (*ioctl)(void *ctx, int fd, unsigned long req, void *arg);
	ssize_t (*pread)(void *ctx, int fd, void *buf, size_t len, off_t off);
	ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t len, off_t off);
	/* A shared mapping of fd at 'off'; 0 and *addr, or -errno. */
	int (*mmap)(void *ctx, int fd, size_t len, int prot, off_t off, void **addr);
	int (*munmap)(void *ctx, void *addr, size_t len);
	/* readlink(2): the length written (not terminated), or -errno. */
	ssize_t (*readlink)(void *ctx, const char *path, char *buf, size_t len);
	/* Calls fn(name, arg) for each entry of a directory but "." and "..";
	 * stops at fn's first nonzero return and returns it; else 0, or -errno. */
	int (*list_dir)(void *ctx, const char *path, int (*fn)(const char *name, void *arg),
			void *arg);
};

/* The real kernel: the system calls themselves. */
const struct vfio_kops *vfio_kops_linux(void);

/* Where the library finds the kernel. Copied by vfio_ctr_create(). */
struct vfio_env {
	const struct vfio_kops *kops; /* NULL: vfio_kops_linux() */
	void *kctx;
	const char *sysfs; /* NULL: "/sys" */
	const char *dev;   /* NULL: "/dev" */
};

/* ---- what VFIO_IOMMU_GET_INFO says (vfio_info.c parses it) ---- */
#define VFIO_IOVA_RANGES_MAX 256
struct vfio_iommu_desc {
	uint64_t pgsizes; /* iova_pgsizes; 0 when the kernel gave none */
	uint32_t n_ranges;
	bool has_ranges; /* VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE present */
	bool has_dma_avail;
	uint32_t dma_avail; /* VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL: mappings left */
	struct iommu_range ranges[VFIO_IOVA_RANGES_MAX];
};

/* ---- containers (container.c, dma.c) ---- */
struct vfio_ctr;
struct vfio_grp;
struct vfio_dev;

/* Opens /dev/vfio/vfio, checks VFIO_API_VERSION and the VFIO_TYPE1v2_IOMMU
 * extension. 'env' may be NULL (the real kernel). Returns 0, -ENODEV with
 * "no IOMMU" when /dev/vfio/vfio is missing, -EPROTONOSUPPORT when the API
 * or type1v2 is missing, or what open failed with. */
int vfio_ctr_create(const struct vfio_env *env, struct vfio_ctr **out, struct iovs_err *err);
/* Removes every DMA mapping, closes every device and group (they must not be
 * used afterwards), closes the container. NULL is a no-op. */
void vfio_ctr_destroy(struct vfio_ctr *c);

/* True once a group is attached and the IOMMU is set (DMA calls work). */
bool vfio_ctr_is_ready(const struct vfio_ctr *c);
/* The parsed GET_INFO of the container's IOMMU. -ENODEV before it is ready. */
int vfio_ctr_iommu_desc(const struct vfio_ctr *c, const struct vfio_iommu_desc **out);
/* The DMA bookkeeping (borrowed, read only; NULL before ready). */
const struct iommu_as *vfio_ctr_as(const struct vfio_ctr *c);

/* Maps [vaddr, vaddr + size) of this process at [iova, iova + size) for the
 * devices of the container, with IOMMU_PERM_* 'perm'. Returns 0, -ENODEV if
 * not ready, iommu_as_map()'s refusals (-EINVAL, -ERANGE, -EADDRNOTAVAIL,
 * -EEXIST, -ENOSPC...) before the kernel sees anything, or the kernel's error
 * (the mapping is then not recorded). */
int vfio_dma_map(struct vfio_ctr *c, void *vaddr, uint64_t iova, uint64_t size, unsigned perm,
		 struct iovs_err *err);
/* Like vfio_dma_map() at the lowest free IOVA aligned to 'align' (0: page)
 * inside the usable ranges (iommu_as_find_free()); *iova gets it. */
int vfio_dma_map_alloc(struct vfio_ctr *c, void *vaddr, uint64_t size, uint64_t align,
		       unsigned perm, uint64_t *iova, struct iovs_err *err);
/* Type1v2 unmap of every mapping inside [iova, iova + size). Refused with
 * -EINVAL before the kernel is asked if it would split a mapping. *unmapped
 * (may be NULL) gets the bytes removed. A kernel failure leaves both sides
 * as they were; a kernel that removed a different amount than the
 * bookkeeping expected is -EIO (the bookkeeping follows the request). */
int vfio_dma_unmap(struct vfio_ctr *c, uint64_t iova, uint64_t size, uint64_t *unmapped,
		   struct iovs_err *err);

/* ---- groups (group.c) ---- */
enum vfio_grp_flags {
	/* Accept a no-IOMMU group (noiommu-N: no isolation, no translation;
	 * DMA then uses physical addresses). Refused without it. */
	VFIO_GRP_ALLOW_NOIOMMU = 1u << 0,
};

/* The IOMMU group number of the PCI device 'pci_addr' ("0000:00:03.0"), from
 * its sysfs iommu_group link. -ENODEV with "no IOMMU ..." when the device
 * has none, -ENOENT when there is no such device, -EINVAL for a malformed
 * address. */
int vfio_pci_group_id(const struct vfio_ctr *c, const char *pci_addr, int *group_id,
		      struct iovs_err *err);

/* Opens group 'group_id' (or returns the one the container already has,
 * with one more reference), checks that it is viable (naming each device of
 * the group bound to a driver other than vfio-pci when not), attaches it to
 * the container and, for the first group, sets the type1v2 IOMMU and reads
 * its info (page sizes, usable IOVA ranges) into the container's iommu_as.
 * Returns 0, -EBUSY not viable, -EPERM no-IOMMU group without the flag,
 * -ENODEV no such group / no IOMMU, or the kernel's error. */
int vfio_grp_open(struct vfio_ctr *c, int group_id, unsigned flags, struct vfio_grp **out,
		  struct iovs_err *err);
/* Drops a reference; the last one detaches the group (VFIO_GROUP_UNSET_CONTAINER)
 * and closes it. Detaching the container's last group ends its IOMMU: the
 * kernel drops every DMA mapping, so does the bookkeeping. NULL is a no-op. */
void vfio_grp_close(struct vfio_grp *g);
int vfio_grp_id(const struct vfio_grp *g);

/* ---- devices (device.c) ---- */

/* vfio_pci_group_id() + vfio_grp_open() + VFIO_GROUP_GET_DEVICE_FD +
 * VFIO_DEVICE_GET_INFO. The device holds a reference on its group. */
int vfio_dev_open_pci(struct vfio_ctr *c, const char *pci_addr, unsigned grp_flags,
		      struct vfio_dev **out, struct iovs_err *err);
/* Disables its IRQs, unmaps its regions, closes it, drops its group. NULL: no-op. */
void vfio_dev_close(struct vfio_dev *d);

struct vfio_dev_desc {
	uint32_t flags; /* VFIO_DEVICE_FLAGS_* */
	uint32_t num_regions;
	uint32_t num_irqs;
};
void vfio_dev_get_desc(const struct vfio_dev *d, struct vfio_dev_desc *out);
const char *vfio_dev_name(const struct vfio_dev *d);
struct vfio_grp *vfio_dev_group(const struct vfio_dev *d);

/* VFIO_DEVICE_RESET. -ENOTSUP when the device does not say it can. */
int vfio_dev_reset(struct vfio_dev *d, struct iovs_err *err);

/* ---- regions (regions.c): BARs, config space ---- */
#define VFIO_SPARSE_AREAS_MAX 32
struct vfio_region_desc {
	uint32_t index;
	uint32_t flags; /* VFIO_REGION_INFO_FLAG_* */
	uint64_t size;
	uint64_t offset; /* in the device fd */
	/* What may be mmap'ed: the sparse areas when the kernel lists them,
	 * else the whole region when FLAG_MMAP, else nothing. */
	uint32_t n_areas;
	bool sparse;
	struct {
		uint64_t offset; /* from the start of the region */
		uint64_t size;
	} areas[VFIO_SPARSE_AREAS_MAX];
};

int vfio_region_get_desc(struct vfio_dev *d, uint32_t index, struct vfio_region_desc *out,
			 struct iovs_err *err);
/* mmaps every mmap-able area of the region (kept until vfio_dev_close()).
 * Returns 0 (also when already mapped), -ENOTSUP when nothing of it may be
 * mapped (use vfio_region_read/write), or the kernel's error (nothing kept). */
int vfio_region_map(struct vfio_dev *d, uint32_t index, struct iovs_err *err);
/* A pointer to [off, off + len) of a mapped region, or NULL when that range
 * is not inside one mapped area. */
void *vfio_region_ptr(struct vfio_dev *d, uint32_t index, uint64_t off, uint64_t len);
/* Reads/writes 'len' bytes at 'off' of the region: through the mapping when
 * the range lies in a mapped area, else pread/pwrite on the device fd.
 * Returns 0, -ERANGE outside the region, -EACCES without READ/WRITE flag,
 * -EIO on a short transfer, or the kernel's error. */
int vfio_region_read(struct vfio_dev *d, uint32_t index, uint64_t off, void *buf, size_t len);
int vfio_region_write(struct vfio_dev *d, uint32_t index, uint64_t off, const void *buf,
		      size_t len);
/* PCI config space (VFIO_PCI_CONFIG_REGION_INDEX). */
int vfio_cfg_read(struct vfio_dev *d, uint32_t off, void *buf, size_t len);
int vfio_cfg_write(struct vfio_dev *d, uint32_t off, const void *buf, size_t len);

/* ---- interrupts (irqs.c) ---- */
struct vfio_irq_desc {
	uint32_t index; /* VFIO_PCI_INTX_IRQ_INDEX, _MSI_, _MSIX_ ... */
	uint32_t flags; /* VFIO_IRQ_INFO_* */
	uint32_t count;
};
int vfio_irq_get_desc(struct vfio_dev *d, uint32_t index, struct vfio_irq_desc *out,
		      struct iovs_err *err);
/* Vectors [start, start + n) of IRQ 'index' signal the eventfds fds[0..n-1]
 * (DATA_EVENTFD | ACTION_TRIGGER; an fd of -1 leaves that vector off). The
 * caller keeps owning the fds. -EINVAL if n is 0 or the range exceeds count. */
int vfio_irq_enable(struct vfio_dev *d, uint32_t index, uint32_t start, uint32_t n, const int *fds,
		    struct iovs_err *err);
/* Every vector of IRQ 'index' off (DATA_NONE | ACTION_TRIGGER, count 0). */
int vfio_irq_disable(struct vfio_dev *d, uint32_t index, struct iovs_err *err);

/* ---- pure parsers (vfio_info.c): fuzzed by tests/fuzz/fuzz_vfio_info.c ----
 * 'buf' holds 'len' bytes the kernel filled for VFIO_IOMMU_GET_INFO /
 * VFIO_DEVICE_GET_REGION_INFO. Capability chains are walked at most
 * VFIO_CAP_HOPS_MAX hops, each offset strictly above the previous one (no
 * loops), every header and body inside argsz and len. Returns 0, -EMSGSIZE
 * when argsz > len (ask again with argsz bytes; *need gets it), -EBADMSG for
 * a malformed answer (err says where), -E2BIG beyond the ..._MAX limits. */
#define VFIO_CAP_HOPS_MAX 64
int vfio_parse_iommu_info(const void *buf, size_t len, struct vfio_iommu_desc *out, uint32_t *need,
			  struct iovs_err *err);
int vfio_parse_region_info(const void *buf, size_t len, struct vfio_region_desc *out,
			   uint32_t *need, struct iovs_err *err);

#endif
