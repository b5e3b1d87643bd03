/* Layouts and helpers shared inside sriov/: the context, sysfs paths of a
 * device, config-space reads through libpci, and transactions. */
#ifndef SRIOV_PRIV_H
#define SRIOV_PRIV_H

#include "sriov.h"

#define SRIOV_PATH_MAX	  512
#define SRIOV_ATTR_MAX	  256 /* a sysfs attribute we read */
#define SRIOV_CFG_SIZE	  4096
#define SRIOV_MAX_BOUND	  64 /* VFs remembered by sriov_vf_bind() */
#define SRIOV_TXN_STEPS	  16
#define SRIOV_NL_BUF	  1024
#define SRIOV_NL_REPLY	  (128 * 1024)
#define SRIOV_VFIO_DRIVER "vfio-pci"

/* What sriov_vf_bind() found, for sriov_vf_release(). */
struct sriov_bound {
	struct sriov_addr vf;
	struct sriov_addr pf;
	unsigned idx;
	char orig_driver[SRIOV_NAME_MAX];   /* "" = none */
	char orig_override[SRIOV_NAME_MAX]; /* "" = none */
};

/* Owned by the one thread using the context. */
struct sriov_ctx {
	char root[SRIOV_PATH_MAX];
	const struct sriov_sysfs_ops *sysfs;
	void *sysfs_priv;
	const struct sriov_nl_ops *nl;
	void *nl_priv;
	char *fail_step;
	uint32_t nl_seq;
	size_t n_bound;
	struct sriov_bound bound[SRIOV_MAX_BOUND];
};

/* sriov_sysfs.c: device attributes, "sys/bus/pci/devices/ADDR/NAME". */
int sriov_dev_read(struct sriov_ctx *ctx, const struct sriov_addr *a, const char *name, char *buf,
		   size_t cap, struct iovs_err *err);
int sriov_dev_read_uint(struct sriov_ctx *ctx, const struct sriov_addr *a, const char *name,
			unsigned *out, struct iovs_err *err);
int sriov_dev_write(struct sriov_ctx *ctx, const struct sriov_addr *a, const char *name,
		    const char *val, struct iovs_err *err);
/* The last path component of the link 'name', "" (and 0) if there is no link. */
int sriov_dev_link_base(struct sriov_ctx *ctx, const struct sriov_addr *a, const char *name,
			char *buf, size_t cap, struct iovs_err *err);
/* Writes 'val' to "sys/bus/pci/REL" (drivers_probe, drivers/X/bind, ...). */
int sriov_bus_write(struct sriov_ctx *ctx, const char *rel, const char *val, struct iovs_err *err);

/* sriov_pf.c: the config space of 'a' (256 or 4096 bytes) read by libpci
 * from ROOT/sys/bus/pci. -ENODEV when the device cannot be read. */
int sriov_config_read(struct sriov_ctx *ctx, const struct sriov_addr *a,
		      uint8_t cfg[SRIOV_CFG_SIZE], size_t *len, struct iovs_err *err);
/* The decoded capability of 'pf': -ENODEV, or -ENOTSUP without SR-IOV. */
int sriov_pf_cap(struct sriov_ctx *ctx, const struct sriov_addr *pf, struct sriov_cap *cap,
		 struct iovs_err *err);

/* sriov_vf.c: VF 'idx' of 'pf': the computed address, checked against the
 * virtfnN link (-ENOENT without the link, -EIO naming both on a mismatch). */
int sriov_vf_locate(struct sriov_ctx *ctx, const struct sriov_addr *pf, const struct sriov_cap *cap,
		    unsigned idx, struct sriov_addr *out, struct iovs_err *err);
/* The details of one device (driver, net/, numa_node, iommu_group). */
int sriov_vf_describe(struct sriov_ctx *ctx, const struct sriov_addr *pf,
		      const struct sriov_cap *cap, unsigned idx, struct sriov_vf *out,
		      struct iovs_err *err);
/* The first entry of ADDR/net/ ("" if none) and its operstate. */
int sriov_dev_netdev(struct sriov_ctx *ctx, const struct sriov_addr *a, char ifname[SRIOV_NAME_MAX],
		     char operstate[16], struct iovs_err *err);
/* driver_override, "" when unset (the kernel shows "(null)"). */
int sriov_dev_read_override(struct sriov_ctx *ctx, const struct sriov_addr *a,
			    char out[SRIOV_NAME_MAX], struct iovs_err *err);
int sriov_dev_numa_node(struct sriov_ctx *ctx, const struct sriov_addr *a);
int sriov_dev_iommu_group(struct sriov_ctx *ctx, const struct sriov_addr *a, int *group,
			  struct iovs_err *err);

/* sriov_txn.c: a transaction. Steps run in order; on a failure the ones
 * that completed are undone in reverse order. */
struct sriov_step {
	const char *name;
	int (*run)(struct sriov_ctx *ctx, void *arg, unsigned tag, struct iovs_err *err);
	int (*undo)(struct sriov_ctx *ctx, void *arg, unsigned tag, struct iovs_err *err);
	void *arg;
	unsigned tag;
};

struct sriov_txn {
	struct sriov_ctx *ctx;
	size_t n;
	struct sriov_step steps[SRIOV_TXN_STEPS];
};

void sriov_txn_init(struct sriov_txn *t, struct sriov_ctx *ctx);
/* Aborts (a programming error) past SRIOV_TXN_STEPS. 'undo' may be NULL. */
void sriov_txn_add(struct sriov_txn *t, const char *name,
		   int (*run)(struct sriov_ctx *, void *, unsigned, struct iovs_err *),
		   int (*undo)(struct sriov_ctx *, void *, unsigned, struct iovs_err *), void *arg,
		   unsigned tag);
/* 0, or the failed step's -errno with "step K (NAME) failed: WHY; rolled
 * back N steps[; undo of step J (NAME) failed: WHY]" in 'err'. */
int sriov_txn_run(struct sriov_txn *t, struct iovs_err *err);

/* sriov_nl.c: next sequence number. */
uint32_t sriov_nl_next_seq(struct sriov_ctx *ctx);
/* Parses an NLMSG_ERROR message answering 'seq': 0 for an ACK, else the
 * -errno with the extended-ACK text (if any) in 'err'. -EBADMSG when 'msg'
 * is no such message. A pure function over untrusted bytes. */
int sriov_nl_parse_ack(const void *msg, size_t len, struct iovs_err *err);

#endif
