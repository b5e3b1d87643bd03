/* SR-IOV physical and virtual functions: find the PFs (libpci reads their
 * config space, sriov_cap.c decodes the SR-IOV extended capability), create
 * and destroy VFs through sriov_numvfs, set VF attributes through rtnetlink,
 * bind VFs to a driver through driver_override, and check that a device's
 * IOMMU group may be handed to a VM.
 *
 * Design: every file the module touches is named relative to a root ("/" in
 * production, a temporary tree in tests) and goes through a const ops table
 * (struct sriov_sysfs_ops); rtnetlink goes through struct sriov_nl_ops. Each
 * change that takes more than one kernel write is a transaction: a list of
 * steps with an undo each; when step K fails, the steps before it are undone
 * in reverse order and the error says which step failed, why, and how many
 * steps were rolled back (and which undo failed, if one did).
 *
 * A VF is always named by its PF's PCI address and its index (0-based), and
 * its own PCI address is computed from the PF's routing ID, First VF Offset
 * and VF Stride (PCIe r6.0 §9.3.3.10-11), then checked against the kernel's
 * virtfnN link. Netdev names and IOMMU group numbers are reported, never used
 * to identify a device.
 *
 * Threads: a context is used by one thread at a time (the daemon's control
 * thread). Nothing here runs on a data path.
 *
 * Errors: 0 or -errno, with one sentence in 'err' (common/iovs_err.h). */
#ifndef SRIOV_H
#define SRIOV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iovs_err.h"

/* A PCI address, domain:bus:device.function. */
struct sriov_addr {
	uint16_t domain; /* sysfs allows 32 bits; no SR-IOV host uses more than 16 */
	uint8_t bus;
	uint8_t dev; /* 0..31 */
	uint8_t fn;  /* 0..7 */
};

#define SRIOV_ADDR_STR 16 /* "dddd:bb:dd.f" and the NUL */
#define SRIOV_NAME_MAX 64 /* driver and interface names, with the NUL */

/* Parses "dddd:bb:dd.f" (hex, exactly that shape). 0 or -EINVAL. */
int sriov_addr_parse(const char *s, struct sriov_addr *out, struct iovs_err *err);
/* Writes "dddd:bb:dd.f" into 'buf' and returns it. */
const char *sriov_addr_str(const struct sriov_addr *a, char buf[SRIOV_ADDR_STR]);
bool sriov_addr_equal(const struct sriov_addr *a, const struct sriov_addr *b);

/* The SR-IOV extended capability (ID 0x0010), decoded. */
struct sriov_cap {
	uint16_t offset;      /* of the capability in config space */
	uint32_t caps;	      /* +0x04 SR-IOV Capabilities */
	uint16_t ctrl;	      /* +0x08 SR-IOV Control */
	uint16_t status;      /* +0x0a */
	uint16_t initial_vfs; /* +0x0c */
	uint16_t total_vfs;   /* +0x0e */
	uint16_t num_vfs;     /* +0x10 */
	uint8_t fn_dep_link;  /* +0x12 */
	uint16_t vf_offset;   /* +0x14 First VF Offset */
	uint16_t vf_stride;   /* +0x16 */
	uint16_t vf_device;   /* +0x1a VF Device ID */
	uint32_t page_sizes;  /* +0x1c Supported Page Sizes */
	uint32_t page_size;   /* +0x20 System Page Size */
	uint32_t bar[6];      /* +0x24 VF BAR0..5, raw */
};

#define SRIOV_CTRL_VF_ENABLE (1u << 0)
#define SRIOV_CTRL_VF_MSE    (1u << 3)
#define SRIOV_CTRL_ARI	     (1u << 4)

/* Decodes the SR-IOV capability from 'len' bytes of config space (a pure
 * function: no I/O). Walks the extended capability chain from 0x100, at most
 * (4096 - 256) / 4 hops, never reading at or past 'len'. Returns 0; -ENOENT
 * when there is no SR-IOV capability (including len <= 0x100: no extended
 * space, and an empty or all-ones chain head); -EINVAL for a chain that
 * loops, or a capability that runs past 'len'. */
int sriov_cap_parse(const uint8_t *cfg, size_t len, struct sriov_cap *out, struct iovs_err *err);

/* The address of VF 'n' (0-based): routing ID = PF routing ID + First VF
 * Offset + n * VF Stride; the bus may differ from the PF's, the domain not.
 * -EINVAL if the offset is 0, or the stride is 0 while n > 0; -ERANGE if
 * the routing ID passes 0xffff. */
int sriov_vf_addr(const struct sriov_addr *pf, const struct sriov_cap *cap, unsigned n,
		  struct sriov_addr *out, struct iovs_err *err);

/* The sysfs seam. 'path' is relative to the root without a leading '/', e.g.
 * "sys/bus/pci/devices/0000:01:00.0/sriov_numvfs". Each returns 0 or -errno
 * and says in 'err' which file and why. */
struct sriov_sysfs_ops {
	/* The file's contents, NUL-terminated, one trailing newline removed. A
	 * file that does not fit in 'cap' - 1 bytes is -EFBIG. */
	int (*read)(void *priv, const char *path, char *buf, size_t cap, struct iovs_err *err);
	/* Writes 'val' with one write(2), as "echo -n val > path" would. */
	int (*write)(void *priv, const char *path, const char *val, struct iovs_err *err);
	/* The link's target, NUL-terminated. */
	int (*readlink)(void *priv, const char *path, char *buf, size_t cap, struct iovs_err *err);
	/* Calls 'fn' for each entry of the directory but "." and ".."; stops
	 * early and returns what 'fn' returned if that is not 0. */
	int (*list)(void *priv, const char *path, int (*fn)(void *arg, const char *name), void *arg,
		    struct iovs_err *err);
};

/* The real seam: plain files under the root; 'priv' is the root path
 * (const char *, "/" or a directory). Tests wrap it to watch writes. */
extern const struct sriov_sysfs_ops sriov_sysfs_files;

/* The rtnetlink seam. 'talk' sends one request that asks for an ACK and
 * returns 0, or the kernel's -errno with its extended-ACK message if it gave
 * one. 'query' sends one request and copies the single reply message into
 * 'reply' (an NLMSG_ERROR reply is turned into its -errno). */
struct sriov_nl_ops {
	int (*talk)(void *priv, const void *req, size_t len, struct iovs_err *err);
	int (*query)(void *priv, const void *req, size_t len, void *reply, size_t cap,
		     size_t *reply_len, struct iovs_err *err);
};

/* The real seam: a NETLINK_ROUTE socket through libmnl, opened per call;
 * 'priv' is unused. */
extern const struct sriov_nl_ops sriov_nl_mnl;

/* VF attributes set through rtnetlink (IFLA_VF_*). 'set' says which fields
 * are meant; the others are ignored. */
enum sriov_vf_field {
	SRIOV_VF_MAC = 1u << 0,
	SRIOV_VF_VLAN = 1u << 1, /* vlan, qos and vlan_proto together */
	SRIOV_VF_RATE = 1u << 2, /* min_tx_rate and max_tx_rate together */
	SRIOV_VF_SPOOFCHK = 1u << 3,
	SRIOV_VF_TRUST = 1u << 4,
	SRIOV_VF_LINK_STATE = 1u << 5,
	SRIOV_VF_ALL = (1u << 6) - 1,
};

enum sriov_link_state { /* IFLA_VF_LINK_STATE_* */
			SRIOV_LINK_AUTO = 0,
			SRIOV_LINK_ENABLE = 1,
			SRIOV_LINK_DISABLE = 2,
};

struct sriov_vf_attrs {
	unsigned set; /* enum sriov_vf_field bits */
	uint8_t mac[6];
	uint16_t vlan;	      /* 0..4095, 0 = no VLAN */
	uint8_t qos;	      /* 0..7 */
	uint16_t vlan_proto;  /* ETH_P_8021Q (0x8100) or ETH_P_8021AD (0x88a8), host order */
	uint32_t min_tx_rate; /* Mbit/s, 0 = none */
	uint32_t max_tx_rate; /* Mbit/s, 0 = none */
	bool spoofchk;
	bool trust;
	enum sriov_link_state link_state;
};

/* Builds the request that 'ip link set dev PF vf N ...' sends (iproute2 6.1,
 * checked byte for byte by tests/integration/sriov_nl.sh): RTM_NEWLINK with
 * NLM_F_REQUEST | NLM_F_ACK on 'ifindex', IFLA_VFINFO_LIST > IFLA_VF_INFO >
 * one attribute per field set, in ip's order: MAC, VLAN (IFLA_VF_VLAN for
 * 802.1Q, IFLA_VF_VLAN_LIST for 802.1ad), SPOOFCHK, TRUST, LINK_STATE, and
 * RATE last (ip adds it after the other options).
 * A pure function. Returns 0 and the length in 'len'; -EINVAL for a value out
 * of range (named in 'err'), -ENOSPC if 'cap' is too small. */
int sriov_nl_build_vf_set(void *buf, size_t cap, uint32_t seq, int ifindex, uint32_t vf,
			  const struct sriov_vf_attrs *a, size_t *len, struct iovs_err *err);

/* Builds RTM_GETLINK for 'ifindex' with IFLA_EXT_MASK = RTEXT_FILTER_VF |
 * RTEXT_FILTER_SKIP_STATS. */
int sriov_nl_build_getlink(void *buf, size_t cap, uint32_t seq, int ifindex, size_t *len);

/* Reads VF 'vf''s attributes from an RTM_NEWLINK reply (a pure function over
 * untrusted bytes: every length is checked). Sets 'out->set' to the fields
 * the reply held. -ENOENT if the reply has no IFLA_VFINFO_LIST or no entry
 * for 'vf'; -EINVAL if it is malformed. */
int sriov_nl_parse_vf(const void *msg, size_t len, uint32_t vf, struct sriov_vf_attrs *out,
		      struct iovs_err *err);

/* A context. */
struct sriov_conf {
	const char *root;		     /* NULL: "/" */
	const struct sriov_sysfs_ops *sysfs; /* NULL: sriov_sysfs_files on 'root' */
	void *sysfs_priv;
	const struct sriov_nl_ops *nl; /* NULL: sriov_nl_mnl */
	void *nl_priv;
	/* Fault injection for tests and the guest test: a transaction step with
	 * this name fails with -EIO before it runs, and the steps before it are
	 * rolled back. NULL: none. Copied. */
	const char *fail_step;
};

struct sriov_ctx;

int sriov_ctx_create(const struct sriov_conf *conf, struct sriov_ctx **out, struct iovs_err *err);
void sriov_ctx_destroy(struct sriov_ctx *ctx);

/* Inventory: plain structs, the caller (the daemon) serialises them. */
#define SRIOV_NO_GROUP (-1) /* no iommu_group link */
#define SRIOV_NO_NODE  (-1) /* numa_node unknown (-1 in sysfs too) */

struct sriov_vf {
	unsigned index;
	struct sriov_addr addr;
	char driver[SRIOV_NAME_MAX];	      /* "" when no driver is bound */
	char driver_override[SRIOV_NAME_MAX]; /* "" when none */
	char ifname[SRIOV_NAME_MAX];	      /* first entry of net/, "" when none */
	char operstate[16];		      /* net/IF/operstate ("up", "down", ...), "" */
	int numa_node;
	int iommu_group;
};

struct sriov_pf {
	struct sriov_addr addr;
	uint16_t vendor, device;
	struct sriov_cap cap; /* as read from config space */
	unsigned num_vfs;     /* sriov_numvfs */
	unsigned total_vfs;   /* sriov_totalvfs (the driver may lower the cap's) */
	bool autoprobe;	      /* sriov_drivers_autoprobe */
	char driver[SRIOV_NAME_MAX];
	char ifname[SRIOV_NAME_MAX];
	char operstate[16];
	int numa_node;
	int iommu_group;
	unsigned n_vfs; /* == num_vfs */
	struct sriov_vf *vfs;
};

/* Every device with an SR-IOV capability, sorted by address, with its VFs.
 * Zero PFs is success (*n = 0, *out = NULL). A VF whose virtfnN link is
 * missing or names another address than the computed one fails the call,
 * naming both. Free with sriov_pf_list_free(). */
int sriov_pf_list(struct sriov_ctx *ctx, struct sriov_pf **out, size_t *n, struct iovs_err *err);
void sriov_pf_list_free(struct sriov_pf *pfs, size_t n);

/* One PF. -ENODEV if there is no such device, -ENOTSUP if it has no SR-IOV
 * capability. Free with sriov_pf_fini(). */
int sriov_pf_get(struct sriov_ctx *ctx, const struct sriov_addr *pf, struct sriov_pf *out,
		 struct iovs_err *err);
void sriov_pf_fini(struct sriov_pf *pf);

/* Creates 'n' VFs (1..sriov_totalvfs) on 'pf', with sriov_drivers_autoprobe
 * set to 'autoprobe' while they appear and restored afterwards. When the PF
 * already has m != n VFs, they are removed first (the kernel takes a new
 * count only from 0); m == n changes nothing. Steps: ["numvfs-zero"],
 * "autoprobe", "numvfs", "check-vfs", "autoprobe-restore". */
int sriov_vfs_create(struct sriov_ctx *ctx, const struct sriov_addr *pf, unsigned n, bool autoprobe,
		     struct iovs_err *err);

/* Removes every VF of 'pf' (0 VFs: nothing to do). Steps: "numvfs-zero",
 * "check-vfs". The undo writes the old count back. */
int sriov_vfs_destroy(struct sriov_ctx *ctx, const struct sriov_addr *pf, struct iovs_err *err);

/* Sets the fields of 'a' marked in a->set on VF 'idx' of 'pf', through the
 * PF's network interface. Reads the VF's current attributes first; one step
 * per field ("mac", "vlan", "rate", "spoofchk", "trust", "link-state"), each
 * undone by setting the old value again. -ENOTSUP when the PF has no network
 * interface. 'orig' (may be NULL) keeps what the VF had before it was first
 * changed: on success, each field of 'a' not yet in orig->set is copied from
 * the values read before this change (when the kernel reported it) and
 * marked; fields already there are kept. Setting 'orig' again later puts the
 * VF back as it was (vf release). */
int sriov_vf_set(struct sriov_ctx *ctx, const struct sriov_addr *pf, unsigned idx,
		 const struct sriov_vf_attrs *a, struct sriov_vf_attrs *orig, struct iovs_err *err);

/* Copies the fields in 'which' (SRIOV_VF_*) that 'from' has (from->set) into
 * 'into' and marks them there. */
void sriov_vf_attrs_merge(struct sriov_vf_attrs *into, const struct sriov_vf_attrs *from,
			  unsigned which);

/* Binds VF 'idx' of 'pf' to 'driver' (e.g. "vfio-pci") and records the
 * driver it had, for sriov_vf_release(). Bound to 'driver' already: nothing
 * to do. Steps: ["unbind"], "driver-override", "probe", "check-driver". */
int sriov_vf_bind(struct sriov_ctx *ctx, const struct sriov_addr *pf, unsigned idx,
		  const char *driver, struct iovs_err *err);

/* Gives VF 'idx' back to the driver recorded by sriov_vf_bind() (or, with no
 * record, clears driver_override and lets the kernel probe). Steps:
 * ["unbind"], "driver-override", "probe" or "bind", "check-driver". */
int sriov_vf_release(struct sriov_ctx *ctx, const struct sriov_addr *pf, unsigned idx,
		     struct iovs_err *err);

/* The driver VF 'idx' had before sriov_vf_bind(), "" for none; false when
 * there is no record. */
bool sriov_vf_original_driver(const struct sriov_ctx *ctx, const struct sriov_addr *pf,
			      unsigned idx, char out[SRIOV_NAME_MAX]);

/* Is the IOMMU group of 'dev' fit to hand to a VM: does every device in it
 * other than 'dev' have no driver or vfio-pci? When not (or when the group
 * cannot be read, or 'dev' has none), 'err' names the offending device and
 * its driver. */
bool sriov_group_is_assignable(struct sriov_ctx *ctx, const struct sriov_addr *dev,
			       struct iovs_err *err);

#endif
