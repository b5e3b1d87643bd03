/* Tests only: the fake sysfs tree, its kernel, the fake rtnetlink and the
 * lspci dump reader (sriov_test_tree.h). */
#define _XOPEN_SOURCE 700
#include "sriov_test_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEVS "sys/bus/pci/devices/"

static void
die(const char *what, const char *path)
{
	fprintf(stderr, "sriov_test_tree: %s %s: %s\n", what, path, strerror(errno));
	abort();
}

static void
full(struct tt *t, const char *rel, char out[SRIOV_PATH_MAX])
{
	if (snprintf(out, SRIOV_PATH_MAX, "%s/%s", t->root, rel) >= SRIOV_PATH_MAX)
		die("path too long", rel);
}

static void
mkdirs(const char *path)
{
	char p[SRIOV_PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			die("mkdir", p);
		*s = '/';
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		die("mkdir", p);
}

static void
parent_dirs(const char *path)
{
	char p[SRIOV_PATH_MAX];
	char *slash;

	snprintf(p, sizeof(p), "%s", path);
	slash = strrchr(p, '/');
	if (slash != NULL && slash != p) {
		*slash = '\0';
		mkdirs(p);
	}
}

void
tt_write_file(struct tt *t, const char *rel, const void *data, size_t len)
{
	char p[SRIOV_PATH_MAX];
	int fd;

	full(t, rel, p);
	parent_dirs(p);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) != 0)
		die("write", p);
}

void
tt_write_str(struct tt *t, const char *rel, const char *s)
{
	char line[256];

	snprintf(line, sizeof(line), "%s\n", s);
	tt_write_file(t, rel, line, strlen(line));
}

void
tt_symlink(struct tt *t, const char *target, const char *rel)
{
	char p[SRIOV_PATH_MAX];

	full(t, rel, p);
	parent_dirs(p);
	unlink(p);
	if (symlink(target, p) != 0)
		die("symlink", p);
}

const char *
tt_read(struct tt *t, const char *rel, char *buf, size_t cap)
{
	if (sriov_sysfs_files.read(t->root, rel, buf, cap, NULL) != 0)
		buf[0] = '\0';
	return buf;
}

const char *
tt_link(struct tt *t, const char *rel, char *buf, size_t cap)
{
	char target[SRIOV_PATH_MAX];
	const char *base;

	buf[0] = '\0';
	if (sriov_sysfs_files.readlink(t->root, rel, target, sizeof(target), NULL) == 0) {
		base = strrchr(target, '/');
		snprintf(buf, cap, "%s", base == NULL ? target : base + 1);
	}
	return buf;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static struct tt_dev *
find_dev(struct tt *t, const char *addr)
{
	for (size_t i = 0; i < t->n_devs; i++)
		if (strcmp(t->devs[i].addr, addr) == 0)
			return &t->devs[i];
	return NULL;
}

static struct tt_dev *
new_dev(struct tt *t, const char *addr)
{
	struct tt_dev *d = find_dev(t, addr);

	if (d == NULL) {
		if (t->n_devs == TT_MAX_DEVS)
			abort();
		d = &t->devs[t->n_devs++];
	}
	memset(d, 0, sizeof(*d));
	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	d->group = -1;
	return d;
}

static void
devpath(char out[SRIOV_PATH_MAX], const char *addr, const char *name)
{
	snprintf(out, SRIOV_PATH_MAX, DEVS "%s/%s", addr, name);
}

static void
set_driver_link(struct tt *t, const char *addr, const char *drv)
{
	char rel[SRIOV_PATH_MAX], target[SRIOV_PATH_MAX];

	devpath(rel, addr, "driver");
	snprintf(target, sizeof(target), "../../drivers/%s", drv);
	tt_symlink(t, target, rel);
}

static void
drop_driver_link(struct tt *t, const char *addr)
{
	char rel[SRIOV_PATH_MAX], p[SRIOV_PATH_MAX];

	devpath(rel, addr, "driver");
	full(t, rel, p);
	unlink(p);
}

static bool
driver_exists(struct tt *t, const char *drv)
{
	char rel[SRIOV_PATH_MAX], p[SRIOV_PATH_MAX];
	struct stat st;

	snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s", drv);
	full(t, rel, p);
	return drv[0] != '\0' && stat(p, &st) == 0;
}

void
tt_add_driver(struct tt *t, const char *drv)
{
	char rel[SRIOV_PATH_MAX];

	snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s/bind", drv);
	tt_write_file(t, rel, "", 0);
	snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s/unbind", drv);
	tt_write_file(t, rel, "", 0);
}

struct tt_dev *
tt_add_device(struct tt *t, const char *addr, const uint8_t *cfg, size_t len, const char *driver)
{
	struct tt_dev *d = new_dev(t, addr);
	char rel[SRIOV_PATH_MAX], v[16];

	devpath(rel, addr, "config");
	tt_write_file(t, rel, cfg, len);
	devpath(rel, addr, "vendor");
	snprintf(v, sizeof(v), "0x%04x", cfg[0] | cfg[1] << 8);
	tt_write_str(t, rel, v);
	devpath(rel, addr, "device");
	snprintf(v, sizeof(v), "0x%04x", cfg[2] | cfg[3] << 8);
	tt_write_str(t, rel, v);
	devpath(rel, addr, "numa_node");
	tt_write_str(t, rel, "0");
	devpath(rel, addr, "driver_override");
	tt_write_str(t, rel, "(null)");
	if (driver != NULL) {
		tt_add_driver(t, driver);
		set_driver_link(t, addr, driver);
		snprintf(d->default_driver, sizeof(d->default_driver), "%s", driver);
	}
	return d;
}

struct tt_dev *
tt_add_pf(struct tt *t, const char *addr, const uint8_t *cfg, size_t len, const char *driver,
	  unsigned totalvfs, const char *vf_driver)
{
	struct tt_dev *d = tt_add_device(t, addr, cfg, len, driver);
	char rel[SRIOV_PATH_MAX], v[16];

	devpath(rel, addr, "sriov_numvfs");
	tt_write_str(t, rel, "0");
	devpath(rel, addr, "sriov_totalvfs");
	snprintf(v, sizeof(v), "%u", totalvfs);
	tt_write_str(t, rel, v);
	devpath(rel, addr, "sriov_drivers_autoprobe");
	tt_write_str(t, rel, "1");
	if (vf_driver != NULL) {
		tt_add_driver(t, vf_driver);
		snprintf(d->vf_driver, sizeof(d->vf_driver), "%s", vf_driver);
	}
	return d;
}

void
tt_add_netdev(struct tt *t, const char *addr, const char *ifname, int ifindex,
	      const char *operstate)
{
	char rel[SRIOV_PATH_MAX], v[16];

	snprintf(rel, sizeof(rel), DEVS "%s/net/%s/ifindex", addr, ifname);
	snprintf(v, sizeof(v), "%d", ifindex);
	tt_write_str(t, rel, v);
	snprintf(rel, sizeof(rel), DEVS "%s/net/%s/operstate", addr, ifname);
	tt_write_str(t, rel, operstate);
}

void
tt_set_group(struct tt *t, const char *addr, int group)
{
	char rel[SRIOV_PATH_MAX], target[SRIOV_PATH_MAX];
	struct tt_dev *d = find_dev(t, addr);

	if (d != NULL)
		d->group = group;
	devpath(rel, addr, "iommu_group");
	snprintf(target, sizeof(target), "../../../../kernel/iommu_groups/%d", group);
	tt_symlink(t, target, rel);
	snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices/%s", group, addr);
	snprintf(target, sizeof(target), "../../../../bus/pci/devices/%s", addr);
	tt_symlink(t, target, rel);
}

void
tt_config(uint8_t cfg[SRIOV_CFG_SIZE], uint16_t vendor, uint16_t device, uint16_t total,
	  uint16_t offset, uint16_t stride, uint16_t vf_device)
{
	uint8_t *c = cfg + 0x100;

	memset(cfg, 0, SRIOV_CFG_SIZE);
	cfg[0] = (uint8_t)vendor;
	cfg[1] = (uint8_t)(vendor >> 8);
	cfg[2] = (uint8_t)device;
	cfg[3] = (uint8_t)(device >> 8);
	c[0] = 0x10; /* ID 0x0010, version 1, next 0 */
	c[2] = 0x01;
	c[0x0c] = (uint8_t)total;
	c[0x0d] = (uint8_t)(total >> 8);
	c[0x0e] = (uint8_t)total;
	c[0x0f] = (uint8_t)(total >> 8);
	c[0x14] = (uint8_t)offset;
	c[0x15] = (uint8_t)(offset >> 8);
	c[0x16] = (uint8_t)stride;
	c[0x17] = (uint8_t)(stride >> 8);
	c[0x1a] = (uint8_t)vf_device;
	c[0x1b] = (uint8_t)(vf_device >> 8);
	c[0x1c] = 0x53;
	c[0x1d] = 0x05;
	c[0x20] = 1;
}

/* --- the fake kernel --- */

static unsigned
read_uint(struct tt *t, const char *rel)
{
	char buf[32];

	return (unsigned)strtoul(tt_read(t, rel, buf, sizeof(buf)), NULL, 0);
}

static void
remove_vfs(struct tt *t, const char *pf, unsigned n)
{
	char rel[SRIOV_PATH_MAX], p[SRIOV_PATH_MAX], vf[SRIOV_NAME_MAX], name[32];

	for (unsigned i = 0; i < n; i++) {
		struct tt_dev *d;

		snprintf(name, sizeof(name), "virtfn%u", i);
		devpath(rel, pf, name);
		tt_link(t, rel, vf, sizeof(vf));
		full(t, rel, p);
		unlink(p);
		if (vf[0] == '\0')
			continue;
		d = find_dev(t, vf);
		if (d != NULL && d->group >= 0) {
			snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d", d->group);
			full(t, rel, p);
			rm_rf(p);
		}
		snprintf(rel, sizeof(rel), DEVS "%s", vf);
		full(t, rel, p);
		rm_rf(p);
		if (d != NULL)
			*d = t->devs[--t->n_devs];
	}
}

static int
create_vfs(struct tt *t, const char *pf_s, unsigned n)
{
	char rel[SRIOV_PATH_MAX], name[32], vs[SRIOV_ADDR_STR], target[64];
	uint8_t cfg[SRIOV_CFG_SIZE], vcfg[256] = {0};
	struct tt_dev *pf = find_dev(t, pf_s);
	struct sriov_addr pa, va;
	struct sriov_cap cap;
	size_t len = 0;
	char buf[8];
	bool probe;
	int fd;

	devpath(rel, pf_s, "config");
	{
		char p[SRIOV_PATH_MAX];
		ssize_t r;

		full(t, rel, p);
		fd = open(p, O_RDONLY);
		if (fd < 0)
			return -EIO;
		r = read(fd, cfg, sizeof(cfg));
		close(fd);
		len = r < 0 ? 0 : (size_t)r;
	}
	if (pf == NULL || sriov_addr_parse(pf_s, &pa, NULL) != 0 ||
	    sriov_cap_parse(cfg, len, &cap, NULL) != 0)
		return -EIO;
	cap.vf_offset = (uint16_t)(cap.vf_offset + t->vf_skew);
	devpath(rel, pf_s, "sriov_drivers_autoprobe");
	probe = strcmp(tt_read(t, rel, buf, sizeof(buf)), "1") == 0;
	vcfg[0] = cfg[0];
	vcfg[1] = cfg[1];
	vcfg[2] = (uint8_t)cap.vf_device;
	vcfg[3] = (uint8_t)(cap.vf_device >> 8);
	for (unsigned i = 0; i < n; i++) {
		struct tt_dev *vf;
		int group = pf->group;
		char vfdrv[SRIOV_NAME_MAX];

		snprintf(vfdrv, sizeof(vfdrv), "%s", pf->vf_driver);
		if (sriov_vf_addr(&pa, &cap, i, &va, NULL) != 0)
			return -EIO;
		sriov_addr_str(&va, vs);
		vf = tt_add_device(t, vs, vcfg, sizeof(vcfg), NULL);
		snprintf(vf->default_driver, sizeof(vf->default_driver), "%s", vfdrv);
		snprintf(name, sizeof(name), "virtfn%u", i);
		snprintf(target, sizeof(target), "../%s", vs);
		devpath(rel, pf_s, name);
		tt_symlink(t, target, rel);
		snprintf(target, sizeof(target), "../%s", pf_s);
		devpath(rel, vs, "physfn");
		tt_symlink(t, target, rel);
		if (group >= 0)
			tt_set_group(t, vs, group + 1 + (int)i);
		if (probe && driver_exists(t, vfdrv))
			set_driver_link(t, vs, vfdrv);
	}
	return 0;
}

/* The kernel's side of a write; > 0: done here, 0: write the file too. */
static int
kernel_write(struct tt *t, const char *path, const char *val, struct iovs_err *err)
{
	char addr[SRIOV_ADDR_STR], attr[64], drv[SRIOV_NAME_MAX], rel[SRIOV_PATH_MAX];
	char cur[SRIOV_NAME_MAX], ov[SRIOV_NAME_MAX];
	int rc;

	if (sscanf(path, DEVS "%12[^/]/%63s", addr, attr) == 2) {
		if (strcmp(attr, "sriov_numvfs") == 0) {
			unsigned n = (unsigned)strtoul(val, NULL, 10), m, total;

			devpath(rel, addr, "sriov_numvfs");
			m = read_uint(t, rel);
			devpath(rel, addr, "sriov_totalvfs");
			total = read_uint(t, rel);
			if (n != 0 && m != 0 && n != m)
				return iovs_errf(err, -EBUSY, "write sriov_numvfs: %s",
						 strerror(EBUSY));
			if (n > total)
				return iovs_errf(err, -ERANGE, "write sriov_numvfs: %s",
						 strerror(ERANGE));
			if (n == 0)
				remove_vfs(t, addr, m);
			else if (m == 0 && (rc = create_vfs(t, addr, n)) != 0)
				return iovs_errf(err, rc, "fake kernel could not create VFs");
			return 0;
		}
		if (strcmp(attr, "driver_override") == 0) {
			devpath(rel, addr, "driver_override");
			tt_write_str(t, rel, strcmp(val, "\n") == 0 ? "(null)" : val);
			return 1;
		}
		return 0;
	}
	if (sscanf(path, "sys/bus/pci/drivers/%63[^/]/%63s", drv, attr) == 2) {
		struct tt_dev *d = find_dev(t, val);

		devpath(rel, val, "driver");
		tt_link(t, rel, cur, sizeof(cur));
		if (d == NULL)
			return iovs_errf(err, -ENODEV, "no device %s", val);
		if (strcmp(attr, "unbind") == 0) {
			if (strcmp(cur, drv) != 0)
				return iovs_errf(err, -ENODEV, "unbind: %s", strerror(ENODEV));
			drop_driver_link(t, val);
			return 1;
		}
		if (strcmp(attr, "bind") == 0) {
			devpath(rel, val, "driver_override");
			tt_read(t, rel, ov, sizeof(ov));
			if (cur[0] != '\0')
				return iovs_errf(err, -EBUSY, "bind: %s", strerror(EBUSY));
			if (strcmp(ov, "(null)") != 0 && ov[0] != '\0' && strcmp(ov, drv) != 0)
				return iovs_errf(err, -ENODEV, "bind: %s", strerror(ENODEV));
			set_driver_link(t, val, drv);
			return 1;
		}
		return 0;
	}
	if (strcmp(path, "sys/bus/pci/drivers_probe") == 0) {
		struct tt_dev *d = find_dev(t, val);

		if (d == NULL)
			return iovs_errf(err, -ENODEV, "drivers_probe: no device %s", val);
		devpath(rel, val, "driver");
		if (tt_link(t, rel, cur, sizeof(cur))[0] != '\0')
			return 1;
		devpath(rel, val, "driver_override");
		tt_read(t, rel, ov, sizeof(ov));
		if (strcmp(ov, "(null)") != 0 && ov[0] != '\0') {
			if (driver_exists(t, ov))
				set_driver_link(t, val, ov);
		} else if (driver_exists(t, d->default_driver)) {
			set_driver_link(t, val, d->default_driver);
		}
		return 1;
	}
	return 0;
}

static int
fake_write(void *priv, const char *path, const char *val, struct iovs_err *err)
{
	struct tt *t = priv;
	struct tt_write *w = NULL;
	int rc;

	if (t->n_writes < TT_MAX_WRITES) {
		w = &t->writes[t->n_writes];
		snprintf(w->path, sizeof(w->path), "%s", path);
		snprintf(w->val, sizeof(w->val), "%s", val);
	}
	t->n_writes++;
	if (t->fail_write != 0 && t->n_writes == t->fail_write)
		rc = iovs_errf(err, t->fail_rc != 0 ? t->fail_rc : -EIO,
			       "injected failure of write %u", t->fail_write);
	else if ((rc = kernel_write(t, path, val, err)) == 0)
		rc = sriov_sysfs_files.write(t->root, path, val, err);
	else if (rc > 0)
		rc = 0;
	if (w != NULL)
		w->rc = rc;
	return rc;
}

static int
fake_read(void *priv, const char *path, char *buf, size_t cap, struct iovs_err *err)
{
	return sriov_sysfs_files.read(((struct tt *)priv)->root, path, buf, cap, err);
}

static int
fake_readlink(void *priv, const char *path, char *buf, size_t cap, struct iovs_err *err)
{
	return sriov_sysfs_files.readlink(((struct tt *)priv)->root, path, buf, cap, err);
}

static int
fake_list(void *priv, const char *path, int (*fn)(void *, const char *), void *arg,
	  struct iovs_err *err)
{
	return sriov_sysfs_files.list(((struct tt *)priv)->root, path, fn, arg, err);
}

static const struct sriov_sysfs_ops fake_sysfs = {fake_read, fake_write, fake_readlink, fake_list};

/* --- the fake rtnetlink --- */

static void
record_msg(struct tt *t, const void *req, size_t len)
{
	if (t->n_msgs < TT_MAX_MSGS && len <= SRIOV_NL_BUF) {
		memcpy(t->msgs[t->n_msgs], req, len);
		t->msg_len[t->n_msgs++] = len;
	}
}

static int
fake_talk(void *priv, const void *req, size_t len, struct iovs_err *err)
{
	struct tt *t = priv;

	record_msg(t, req, len);
	t->n_talk++;
	if (t->fail_talk != 0 && t->n_talk == t->fail_talk)
		return iovs_errf(err, -EOPNOTSUPP, "kernel: %s (injected)", strerror(EOPNOTSUPP));
	/* A request has the layout of the answer: apply what it sets. */
	for (unsigned vf = 0; vf < t->n_vfs_nl; vf++) {
		struct sriov_vf_attrs a;

		if (sriov_nl_parse_vf(req, len, vf, &a, NULL) != 0)
			continue;
		if (a.set & SRIOV_VF_MAC)
			memcpy(t->vf[vf].mac, a.mac, 6);
		if (a.set & SRIOV_VF_VLAN) {
			t->vf[vf].vlan = a.vlan;
			t->vf[vf].qos = a.qos;
			t->vf[vf].vlan_proto = a.vlan_proto;
		}
		if (a.set & SRIOV_VF_RATE) {
			t->vf[vf].min_tx_rate = a.min_tx_rate;
			t->vf[vf].max_tx_rate = a.max_tx_rate;
		}
		if (a.set & SRIOV_VF_SPOOFCHK)
			t->vf[vf].spoofchk = a.spoofchk;
		if (a.set & SRIOV_VF_TRUST)
			t->vf[vf].trust = a.trust;
		if (a.set & SRIOV_VF_LINK_STATE)
			t->vf[vf].link_state = a.link_state;
	}
	return 0;
}

size_t
tt_nl_reply(struct tt *t, uint8_t *buf, size_t cap, int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *list;

	(void)cap;
	nlh->nlmsg_type = RTM_NEWLINK;
	ifi->ifi_index = ifindex;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	mnl_attr_put_u32(nlh, IFLA_NUM_VF, t->n_vfs_nl);
	list = mnl_attr_nest_start(nlh, IFLA_VFINFO_LIST);
	for (unsigned i = 0; i < t->n_vfs_nl; i++) {
		const struct sriov_vf_attrs *a = &t->vf[i];
		struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_VF_INFO), *vl;
		struct ifla_vf_mac mac = {.vf = i};
		struct ifla_vf_vlan vlan = {.vf = i, .vlan = a->vlan, .qos = a->qos};
		struct ifla_vf_vlan_info vi;
		struct ifla_vf_rate rate = {i, a->min_tx_rate, a->max_tx_rate};
		struct ifla_vf_tx_rate txr = {i, a->max_tx_rate};
		struct ifla_vf_spoofchk sp = {i, a->spoofchk};
		struct ifla_vf_link_state ls = {i, a->link_state};
		struct ifla_vf_trust tr = {i, a->trust};

		memset(&vi, 0, sizeof(vi));
		vi.vf = i;
		vi.vlan = a->vlan;
		vi.qos = a->qos;
		vi.vlan_proto = htons(a->vlan_proto != 0 ? a->vlan_proto : 0x8100);
		memcpy(mac.mac, a->mac, 6);
		/* The order rtnl_fill_vfinfo() uses. */
		mnl_attr_put(nlh, IFLA_VF_MAC, sizeof(mac), &mac);
		mnl_attr_put(nlh, IFLA_VF_VLAN, sizeof(vlan), &vlan);
		mnl_attr_put(nlh, IFLA_VF_RATE, sizeof(rate), &rate);
		mnl_attr_put(nlh, IFLA_VF_TX_RATE, sizeof(txr), &txr);
		mnl_attr_put(nlh, IFLA_VF_SPOOFCHK, sizeof(sp), &sp);
		mnl_attr_put(nlh, IFLA_VF_LINK_STATE, sizeof(ls), &ls);
		mnl_attr_put(nlh, IFLA_VF_TRUST, sizeof(tr), &tr);
		vl = mnl_attr_nest_start(nlh, IFLA_VF_VLAN_LIST);
		mnl_attr_put(nlh, IFLA_VF_VLAN_INFO, sizeof(vi), &vi);
		mnl_attr_nest_end(nlh, vl);
		mnl_attr_nest_end(nlh, info);
	}
	mnl_attr_nest_end(nlh, list);
	return nlh->nlmsg_len;
}

static int
fake_query(void *priv, const void *req, size_t len, void *reply, size_t cap, size_t *reply_len,
	   struct iovs_err *err)
{
	struct tt *t = priv;
	const struct nlmsghdr *q = req;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(q);

	(void)err;
	record_msg(t, req, len);
	*reply_len = tt_nl_reply(t, reply, cap, ifi->ifi_index);
	return 0;
}

static const struct sriov_nl_ops fake_nl = {fake_talk, fake_query};

/* --- the tree --- */

struct tt *
tt_create(void)
{
	struct tt *t = calloc(1, sizeof(*t));

	if (t == NULL)
		abort();
	snprintf(t->root, sizeof(t->root), "/tmp/sriov-test.XXXXXX");
	if (mkdtemp(t->root) == NULL)
		die("mkdtemp", t->root);
	tt_write_file(t, "sys/bus/pci/drivers_probe", "", 0);
	{
		char p[SRIOV_PATH_MAX];

		full(t, "sys/bus/pci/devices", p);
		mkdirs(p);
		full(t, "sys/kernel/iommu_groups", p);
		mkdirs(p);
	}
	t->conf.root = t->root;
	t->conf.sysfs = &fake_sysfs;
	t->conf.sysfs_priv = t;
	t->conf.nl = &fake_nl;
	t->conf.nl_priv = t;
	return t;
}

void
tt_destroy(struct tt *t)
{
	if (t == NULL)
		return;
	rm_rf(t->root);
	free(t);
}

struct names {
	char list[TT_MAX_DEVS][SRIOV_NAME_MAX];
	size_t n;
};

static int
add_name(void *arg, const char *name)
{
	struct names *ns = arg;

	if (ns->n < TT_MAX_DEVS)
		snprintf(ns->list[ns->n++], SRIOV_NAME_MAX, "%s", name);
	return 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

void
tt_state(struct tt *t, char *out, size_t cap)
{
	struct names ns = {.n = 0};
	size_t o = 0;

	out[0] = '\0';
	sriov_sysfs_files.list(t->root, "sys/bus/pci/devices", add_name, &ns, NULL);
	qsort(ns.list, ns.n, sizeof(ns.list[0]), cmp_name);
	for (size_t i = 0; i < ns.n && o < cap; i++) {
		char rel[SRIOV_PATH_MAX], drv[SRIOV_NAME_MAX], ov[SRIOV_NAME_MAX], nv[16], ap[8];
		char links[256] = "";
		size_t lo = 0;

		devpath(rel, ns.list[i], "driver");
		tt_link(t, rel, drv, sizeof(drv));
		devpath(rel, ns.list[i], "driver_override");
		tt_read(t, rel, ov, sizeof(ov));
		devpath(rel, ns.list[i], "sriov_numvfs");
		tt_read(t, rel, nv, sizeof(nv));
		devpath(rel, ns.list[i], "sriov_drivers_autoprobe");
		tt_read(t, rel, ap, sizeof(ap));
		for (unsigned k = 0; k < 16; k++) {
			char name[16], vf[SRIOV_NAME_MAX];

			snprintf(name, sizeof(name), "virtfn%u", k);
			devpath(rel, ns.list[i], name);
			if (tt_link(t, rel, vf, sizeof(vf))[0] != '\0' && lo < sizeof(links))
				lo += (size_t)snprintf(links + lo, sizeof(links) - lo, "%s,", vf);
		}
		o += (size_t)snprintf(out + o, cap - o, "%s[drv=%s ov=%s nv=%s ap=%s vfs=%s] ",
				      ns.list[i], drv, ov, nv, ap, links);
	}
}

/* --- lspci dumps --- */

int
tt_load_lspci(const char *path, uint8_t cfg[SRIOV_CFG_SIZE], size_t *len)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t top = 0;

	if (f == NULL)
		return -errno;
	memset(cfg, 0, SRIOV_CFG_SIZE);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *end;
		unsigned long off;

		/* Hex lines start at column 0 with "OFF:" and 16 bytes. */
		if (!((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f')))
			continue;
		off = strtoul(p, &end, 16);
		if (*end != ':' || end[1] != ' ' || end - p > 3 || off % 16 != 0 ||
		    off >= SRIOV_CFG_SIZE)
			continue;
		p = end + 1;
		for (unsigned i = 0; i < 16; i++) {
			unsigned long b = strtoul(p, &end, 16);

			if (end == p || b > 0xff) {
				fclose(f);
				return -EINVAL;
			}
			cfg[off + i] = (uint8_t)b;
			p = end;
		}
		if (off + 16 > top)
			top = off + 16;
	}
	fclose(f);
	if (top != 256 && top != SRIOV_CFG_SIZE)
		return -EINVAL;
	*len = top;
	return 0;
}

const char *
tt_dumps_dir(void)
{
	const char *d = getenv("SRIOV_PCI_DUMPS");
	struct stat st;

	if (d != NULL && stat(d, &st) == 0 && S_ISDIR(st.st_mode))
		return d;
	return NULL;
}
