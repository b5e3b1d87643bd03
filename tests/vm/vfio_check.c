/* vfio_check: runs vfio/ against a real device inside a test guest
 * (tests/vm/vfio_guest.sh). Subcommands:
 *
 *   open ADDR            open the device through vfio/ and describe it (IOMMU
 *                        page sizes and IOVA ranges, regions, IRQs); exit 1
 *                        with vfio/'s message when it refuses
 *   dma-e1000e ADDR      an Intel 82574 (e1000e): put a legacy TX descriptor
 *                        ring in a DMA-mapped buffer, program TDBAL/TDLEN/
 *                        TDH/TDT and TCTL.EN through the BAR0 mmap, and wait
 *                        for the device to write DD back (real DMA through
 *                        the IOMMU); also the TX-done interrupt through MSI
 *                        and an eventfd
 *   fault-e1000e ADDR    the same with TDBAL at an IOVA that is not mapped:
 *                        no DD may appear (the IOMMU blocks the read; the
 *                        guest kernel logs a DMAR fault)
 *
 * Exit status: 0 as expected, 1 not, 2 usage. Each line starts with
 * "vfio_check:". Registers: Intel 82574 datasheet, section 10.2. */
#include <errno.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vfio.h"

#define E1000_CTRL   0x0000
#define E1000_STATUS 0x0008
#define E1000_ICR    0x00c0
#define E1000_IMS    0x00d0
#define E1000_IMC    0x00d8
#define E1000_TCTL   0x0400
#define E1000_TDBAL  0x3800
#define E1000_TDBAH  0x3804
#define E1000_TDLEN  0x3808
#define E1000_TDH    0x3810
#define E1000_TDT    0x3818

#define TCTL_EN	      (1u << 1)
#define TCTL_PSP      (1u << 3)
#define ICR_TXDW      (1u << 0)
#define TXD_CMD_EOP   0x01
#define TXD_CMD_IFCS  0x02
#define TXD_CMD_RS    0x08
#define TXD_STAT_DD   0x01
#define RING_ENTRIES  8
#define BUF_SIZE      0x10000
#define UNMAPPED_IOVA 0x80000000ull

/* Legacy transmit descriptor (82574 datasheet 7.2.10.1). */
struct tx_desc {
	uint64_t addr;
	uint16_t length;
	uint8_t cso;
	uint8_t cmd;
	uint8_t status;
	uint8_t css;
	uint16_t special;
};

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
fail(const char *what, int rc, const struct iovs_err *err)
{
	printf("vfio_check: %s: %s\n", what, iovs_err_str(err, rc));
	return 1;
}

static void
describe(struct vfio_ctr *c, struct vfio_dev *d)
{
	const struct vfio_iommu_desc *id;
	struct vfio_dev_desc dd;
	bool hole = false;

	if (vfio_ctr_iommu_desc(c, &id) == 0) {
		printf("vfio_check: iommu pgsizes 0x%llx:", (unsigned long long)id->pgsizes);
		for (int b = 10; b < 64; b++) {
			if (!(id->pgsizes & (1ull << b)))
				continue;
			int sh = b >= 30 ? 30 : b >= 20 ? 20 : 10;
			printf(" %llu%c", 1ull << (b - sh), sh == 30 ? 'G' : sh == 20 ? 'M' : 'K');
		}
		printf("\n");
		for (uint32_t i = 0; i < id->n_ranges; i++) {
			printf("vfio_check: iova range %u: 0x%llx-0x%llx\n", i,
			       (unsigned long long)id->ranges[i].start,
			       (unsigned long long)id->ranges[i].end);
			if (i + 1 < id->n_ranges && id->ranges[i].end == 0xfedfffff &&
			    id->ranges[i + 1].start == 0xfef00000)
				hole = true;
		}
		printf("vfio_check: msi hole 0xfee00000-0xfeefffff reserved: %s\n",
		       hole ? "yes" : "no");
		if (id->has_dma_avail)
			printf("vfio_check: dma mappings available: %u\n", id->dma_avail);
	}
	vfio_dev_get_desc(d, &dd);
	printf("vfio_check: device %s group %d flags 0x%x regions %u irqs %u%s\n", vfio_dev_name(d),
	       vfio_grp_id(vfio_dev_group(d)), dd.flags, dd.num_regions, dd.num_irqs,
	       (dd.flags & VFIO_DEVICE_FLAGS_RESET) ? " reset" : "");
	for (uint32_t i = 0; i < dd.num_regions; i++) {
		struct vfio_region_desc rd;
		if (vfio_region_get_desc(d, i, &rd, NULL) != 0 || rd.size == 0)
			continue;
		printf("vfio_check: region %u size 0x%llx flags 0x%x mmap areas %u%s\n", i,
		       (unsigned long long)rd.size, rd.flags, rd.n_areas,
		       rd.sparse ? " (sparse)" : "");
	}
	for (uint32_t i = 0; i < dd.num_irqs; i++) {
		struct vfio_irq_desc irq;
		if (vfio_irq_get_desc(d, i, &irq, NULL) == 0 && irq.count > 0)
			printf("vfio_check: irq %u count %u flags 0x%x\n", i, irq.count, irq.flags);
	}
	uint16_t ids[2];
	if (vfio_cfg_read(d, 0, ids, 4) == 0)
		printf("vfio_check: config space vendor 0x%04x device 0x%04x\n", ids[0], ids[1]);
}

static int
open_dev(const char *addr, unsigned flags, struct vfio_ctr **c, struct vfio_dev **d)
{
	struct iovs_err err = {{0}};
	double t0 = now_ms();
	int rc = vfio_ctr_create(NULL, c, &err);

	if (rc != 0)
		return fail("container", rc, &err);
	rc = vfio_dev_open_pci(*c, addr, flags, d, &err);
	if (rc != 0) {
		vfio_ctr_destroy(*c);
		*c = NULL;
		return fail("open", rc, &err);
	}
	printf("vfio_check: opened %s in %.1f ms\n", addr, now_ms() - t0);
	return 0;
}

static uint32_t
rd(struct vfio_dev *d, uint32_t reg)
{
	uint32_t v = 0xffffffff;
	vfio_region_read(d, VFIO_PCI_BAR0_REGION_INDEX, reg, &v, 4);
	return v;
}

static void
wr(struct vfio_dev *d, uint32_t reg, uint32_t v)
{
	vfio_region_write(d, VFIO_PCI_BAR0_REGION_INDEX, reg, &v, 4);
}

/* Transmits one frame from a ring at 'ring_iova'; returns the DD status seen
 * in the ring (our mapping) after up to 'wait_ms'. */
static int
e1000e_tx(struct vfio_ctr *c, struct vfio_dev *d, bool fault)
{
	struct iovs_err err = {{0}};
	int rc, efd = -1;
	uint64_t iova;
	bool msi = false;

	uint8_t *buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED)
		return fail("mmap buffer", -errno, NULL);
	memset(buf, 0, BUF_SIZE);
	rc = vfio_dma_map_alloc(c, buf, BUF_SIZE, 0, IOMMU_PERM_RW, &iova, &err);
	if (rc != 0)
		return fail("dma map", rc, &err);
	printf("vfio_check: dma buffer 0x%x bytes mapped at iova 0x%llx\n", BUF_SIZE,
	       (unsigned long long)iova);
	rc = vfio_region_map(d, VFIO_PCI_BAR0_REGION_INDEX, &err);
	if (rc != 0)
		return fail("mmap BAR0", rc, &err);
	rc = vfio_dev_reset(d, &err);
	printf("vfio_check: device reset: %s\n", rc == 0 ? "ok" : iovs_err_str(&err, rc));
	/* Memory space and bus mastering on: without BME the device's DMA goes nowhere. */
	uint16_t cmd = 0;
	vfio_cfg_read(d, 4, &cmd, 2);
	cmd |= 0x6;
	vfio_cfg_write(d, 4, &cmd, 2);
	printf("vfio_check: BAR0 mmap'ed; STATUS 0x%08x\n", rd(d, E1000_STATUS));

	/* TX done through MSI into an eventfd. */
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd >= 0 && vfio_irq_enable(d, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd, &err) == 0) {
		msi = true;
		wr(d, E1000_IMC, 0xffffffff);
		rd(d, E1000_ICR);
		wr(d, E1000_IMS, ICR_TXDW);
	} else {
		printf("vfio_check: MSI eventfd not set: %s\n", iovs_err_str(&err, -EINVAL));
	}

	struct tx_desc *ring = (struct tx_desc *)buf;
	uint64_t ring_iova = fault ? UNMAPPED_IOVA : iova;
	ring[0].addr = iova + 0x1000;
	ring[0].length = 60;
	ring[0].cmd = TXD_CMD_EOP | TXD_CMD_IFCS | TXD_CMD_RS;
	memset(buf + 0x1000, 0xff, 6); /* broadcast */
	memcpy(buf + 0x1006, "\x52\x54\x00\x12\x34\x56\x88\xb5", 8);
	__sync_synchronize();

	wr(d, E1000_TCTL, 0);
	wr(d, E1000_TDBAL, (uint32_t)ring_iova);
	wr(d, E1000_TDBAH, (uint32_t)(ring_iova >> 32));
	wr(d, E1000_TDLEN, RING_ENTRIES * sizeof(struct tx_desc));
	wr(d, E1000_TDH, 0);
	wr(d, E1000_TDT, 0);
	wr(d, E1000_TCTL, TCTL_EN | TCTL_PSP);
	printf("vfio_check: TX ring at iova 0x%llx (%s), TDLEN %u, TCTL 0x%08x\n",
	       (unsigned long long)ring_iova, fault ? "NOT mapped" : "mapped", rd(d, E1000_TDLEN),
	       rd(d, E1000_TCTL));
	double t0 = now_ms();
	wr(d, E1000_TDT, 1);
	uint8_t st = 0;
	while (now_ms() - t0 < (fault ? 1500 : 3000)) {
		st = __atomic_load_n(&ring[0].status, __ATOMIC_ACQUIRE);
		if (st & TXD_STAT_DD)
			break;
		usleep(1000);
	}
	double dt = now_ms() - t0;
	printf("vfio_check: after TDT=1: TDH %u, descriptor status 0x%02x: %s (%.1f ms)\n",
	       rd(d, E1000_TDH), st, (st & TXD_STAT_DD) ? "DD written back" : "no DD", dt);
	if (msi) {
		struct pollfd p = {.fd = efd, .events = POLLIN};
		uint64_t n = 0;
		int ready = poll(&p, 1, fault ? 200 : 1000);
		if (ready == 1 && read(efd, &n, sizeof(n)) == sizeof(n))
			printf("vfio_check: MSI eventfd: %llu interrupt(s)\n",
			       (unsigned long long)n);
		else
			printf("vfio_check: MSI eventfd: no interrupt\n");
	}
	wr(d, E1000_TCTL, 0);
	if (efd >= 0)
		close(efd);
	/* vfio_ctr_destroy() disables the IRQ, unmaps BAR0 and the DMA buffer. */
	return (st & TXD_STAT_DD) ? 0 : 2;
}

int
main(int argc, char **argv)
{
	struct vfio_ctr *c;
	struct vfio_dev *d;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: vfio_check open|dma-e1000e|fault-e1000e PCI-ADDR "
				"[--allow-noiommu]\n");
		return 2;
	}
	unsigned flags =
		argc > 3 && strcmp(argv[3], "--allow-noiommu") == 0 ? VFIO_GRP_ALLOW_NOIOMMU : 0;
	if (open_dev(argv[2], flags, &c, &d) != 0)
		return 1;
	describe(c, d);
	if (strcmp(argv[1], "open") == 0) {
		rc = 0;
	} else if (strcmp(argv[1], "dma-e1000e") == 0) {
		rc = e1000e_tx(c, d, false) == 0 ? 0 : 1;
	} else if (strcmp(argv[1], "fault-e1000e") == 0) {
		rc = e1000e_tx(c, d, true) == 2 ? 0 : 1;
	} else {
		fprintf(stderr, "vfio_check: unknown subcommand %s\n", argv[1]);
		rc = 2;
	}
	double t0 = now_ms();
	vfio_ctr_destroy(c);
	printf("vfio_check: closed (DMA unmapped, BAR unmapped, IRQs off) in %.1f ms\n",
	       now_ms() - t0);
	return rc;
}
