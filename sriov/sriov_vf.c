/* Virtual functions: the address computed from the PF's capability
 * (sriov_addr.c), checked against the kernel's virtfnN link, and what sysfs
 * says about a device: driver, driver_override, network interface and its
 * operstate, NUMA node, IOMMU group. */
#include "sriov_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
sriov_vf_locate(struct sriov_ctx *ctx, const struct sriov_addr *pf, const struct sriov_cap *cap,
		unsigned idx, struct sriov_addr *out, struct iovs_err *err)
{
	char link[16], name[SRIOV_NAME_MAX], ps[SRIOV_ADDR_STR], vs[SRIOV_ADDR_STR];
	struct sriov_addr found;
	int rc;

	if ((rc = sriov_vf_addr(pf, cap, idx, out, err)) != 0)
		return rc;
	snprintf(link, sizeof(link), "virtfn%u", idx);
	if ((rc = sriov_dev_link_base(ctx, pf, link, name, sizeof(name), err)) != 0)
		return rc;
	if (name[0] == '\0')
		return iovs_errf(err, -ENOENT, "VF %u of %s: no %s link (expected %s)", idx,
				 sriov_addr_str(pf, ps), link, sriov_addr_str(out, vs));
	if (sriov_addr_parse(name, &found, NULL) != 0 || !sriov_addr_equal(&found, out))
		return iovs_errf(err, -EIO,
				 "VF %u of %s: %s is %.16s but offset %u and stride %u give %s",
				 idx, sriov_addr_str(pf, ps), link, name, cap->vf_offset,
				 cap->vf_stride, sriov_addr_str(out, vs));
	return 0;
}

struct first_entry {
	char name[SRIOV_NAME_MAX];
};

static int
take_first(void *arg, const char *name)
{
	struct first_entry *f = arg;

	/* The smallest name, so that the answer does not depend on readdir order. */
	if (strlen(name) < sizeof(f->name) && (f->name[0] == '\0' || strcmp(name, f->name) < 0))
		strcpy(f->name, name);
	return 0;
}

int
sriov_dev_netdev(struct sriov_ctx *ctx, const struct sriov_addr *a, char ifname[SRIOV_NAME_MAX],
		 char operstate[16], struct iovs_err *err)
{
	char p[SRIOV_PATH_MAX], s[SRIOV_ADDR_STR];
	struct first_entry f = {""};
	int rc;

	ifname[0] = operstate[0] = '\0';
	snprintf(p, sizeof(p), "sys/bus/pci/devices/%s/net", sriov_addr_str(a, s));
	rc = ctx->sysfs->list(ctx->sysfs_priv, p, take_first, &f, err);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0 || f.name[0] == '\0')
		return rc;
	strcpy(ifname, f.name);
	snprintf(p, sizeof(p), "net/%s/operstate", f.name);
	if (sriov_dev_read(ctx, a, p, operstate, 16, NULL) != 0)
		operstate[0] = '\0';
	return 0;
}

int
sriov_dev_numa_node(struct sriov_ctx *ctx, const struct sriov_addr *a)
{
	char buf[16], *end;
	long v;

	if (sriov_dev_read(ctx, a, "numa_node", buf, sizeof(buf), NULL) != 0)
		return SRIOV_NO_NODE;
	v = strtol(buf, &end, 10);
	return end == buf || *end != '\0' || v < -1 || v > 65535 ? SRIOV_NO_NODE : (int)v;
}

int
sriov_dev_iommu_group(struct sriov_ctx *ctx, const struct sriov_addr *a, int *group,
		      struct iovs_err *err)
{
	char name[SRIOV_NAME_MAX], s[SRIOV_ADDR_STR], *end;
	long v;
	int rc;

	*group = SRIOV_NO_GROUP;
	if ((rc = sriov_dev_link_base(ctx, a, "iommu_group", name, sizeof(name), err)) != 0)
		return rc;
	if (name[0] == '\0')
		return 0;
	v = strtol(name, &end, 10);
	if (end == name || *end != '\0' || v < 0 || v > 0x7fffffff)
		return iovs_errf(err, -EINVAL, "%s: iommu_group link ends in \"%.20s\"",
				 sriov_addr_str(a, s), name);
	*group = (int)v;
	return 0;
}

int
sriov_dev_read_override(struct sriov_ctx *ctx, const struct sriov_addr *a, char out[SRIOV_NAME_MAX],
			struct iovs_err *err)
{
	int rc = sriov_dev_read(ctx, a, "driver_override", out, SRIOV_NAME_MAX, err);

	if (rc == -ENOENT || (rc == 0 && strcmp(out, "(null)") == 0)) {
		out[0] = '\0';
		return 0;
	}
	return rc;
}

int
sriov_vf_describe(struct sriov_ctx *ctx, const struct sriov_addr *pf, const struct sriov_cap *cap,
		  unsigned idx, struct sriov_vf *out, struct iovs_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->index = idx;
	if ((rc = sriov_vf_locate(ctx, pf, cap, idx, &out->addr, err)) != 0)
		return rc;
	if ((rc = sriov_dev_link_base(ctx, &out->addr, "driver", out->driver, sizeof(out->driver),
				      err)) != 0 ||
	    (rc = sriov_dev_read_override(ctx, &out->addr, out->driver_override, err)) != 0 ||
	    (rc = sriov_dev_netdev(ctx, &out->addr, out->ifname, out->operstate, err)) != 0 ||
	    (rc = sriov_dev_iommu_group(ctx, &out->addr, &out->iommu_group, err)) != 0)
		return rc;
	out->numa_node = sriov_dev_numa_node(ctx, &out->addr);
	return 0;
}
