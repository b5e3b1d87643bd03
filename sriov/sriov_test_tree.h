/* Tests only: a fake sysfs tree in a temporary directory, a fake sysfs seam
 * in front of the real one that records every write, fails the K-th on
 * demand and plays the kernel's part (sriov_numvfs creates and removes VFs;
 * bind, unbind, drivers_probe and driver_override move the driver link),
 * a fake rtnetlink seam with per-VF state, and the reader of lspci hex dumps
 * (/work/shared/data/pci-dumps). */
#ifndef SRIOV_TEST_TREE_H
#define SRIOV_TEST_TREE_H

#include "sriov_priv.h"

#define TT_MAX_WRITES 128
#define TT_MAX_DEVS   64
#define TT_MAX_VFS    8
#define TT_MAX_MSGS   32

struct tt_write {
	char path[SRIOV_PATH_MAX];
	char val[64];
	int rc;
};

struct tt_dev {
	char addr[SRIOV_ADDR_STR];
	char vf_driver[SRIOV_NAME_MAX];	     /* a PF's: what probes its VFs */
	char default_driver[SRIOV_NAME_MAX]; /* what drivers_probe binds */
	int group;			     /* VFs get group + 1 + index */
};

struct tt {
	char root[SRIOV_PATH_MAX];
	struct sriov_conf conf;
	size_t n_writes;
	struct tt_write writes[TT_MAX_WRITES];
	unsigned fail_write; /* 1-based write number that fails, 0: none */
	int fail_rc;	     /* -EIO unless set */
	uint16_t vf_skew;    /* the fake kernel puts VFs this many routing IDs off */
	size_t n_devs;
	struct tt_dev devs[TT_MAX_DEVS];
	/* rtnetlink */
	struct sriov_vf_attrs vf[TT_MAX_VFS];
	unsigned n_vfs_nl;
	unsigned n_talk;
	unsigned fail_talk; /* 1-based talk number that fails, 0: none */
	unsigned n_msgs;
	uint8_t msgs[TT_MAX_MSGS][SRIOV_NL_BUF];
	size_t msg_len[TT_MAX_MSGS];
};

/* A fresh tree with sys/bus/pci/{devices,drivers,drivers_probe} and
 * sys/kernel/iommu_groups; conf points at the fake seams. */
struct tt *tt_create(void);
void tt_destroy(struct tt *t);

/* The file under the root; creates parent directories. Abort on error. */
void tt_write_file(struct tt *t, const char *rel, const void *data, size_t len);
void tt_write_str(struct tt *t, const char *rel, const char *s);
void tt_symlink(struct tt *t, const char *target, const char *rel);
/* The contents of a file, newline stripped, "" if absent. */
const char *tt_read(struct tt *t, const char *rel, char *buf, size_t cap);
/* The last component of a link, "" if absent. */
const char *tt_link(struct tt *t, const char *rel, char *buf, size_t cap);

void tt_add_driver(struct tt *t, const char *drv);
/* A device with its config space; 'driver' may be NULL. */
struct tt_dev *tt_add_device(struct tt *t, const char *addr, const uint8_t *cfg, size_t len,
			     const char *driver);
/* A PF: a device plus sriov_{numvfs,totalvfs,drivers_autoprobe} and the
 * driver its VFs get when probed. */
struct tt_dev *tt_add_pf(struct tt *t, const char *addr, const uint8_t *cfg, size_t len,
			 const char *driver, unsigned totalvfs, const char *vf_driver);
void tt_add_netdev(struct tt *t, const char *addr, const char *ifname, int ifindex,
		   const char *operstate);
void tt_set_group(struct tt *t, const char *addr, int group);

/* A one-line summary of every device (driver, override, numvfs, autoprobe,
 * virtfn links): equal before and after a rolled back operation. */
void tt_state(struct tt *t, char *out, size_t cap);

/* A 4 KiB config space with an SR-IOV capability at 0x100. */
void tt_config(uint8_t cfg[SRIOV_CFG_SIZE], uint16_t vendor, uint16_t device, uint16_t total,
	       uint16_t offset, uint16_t stride, uint16_t vf_device);

/* lspci -xxxx hex lines to bytes; the length is 256 or 4096. 0 or -errno. */
int tt_load_lspci(const char *path, uint8_t cfg[SRIOV_CFG_SIZE], size_t *len);
/* The folder of the dumps (SRIOV_PCI_DUMPS), NULL if absent. */
const char *tt_dumps_dir(void);

/* The canned RTM_NEWLINK answer the fake rtnetlink gives to RTM_GETLINK. */
size_t tt_nl_reply(struct tt *t, uint8_t *buf, size_t cap, int ifindex);

#endif
