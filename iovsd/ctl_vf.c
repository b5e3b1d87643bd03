/* SR-IOV VFs from the control socket: vf.list, vf.create, vf.destroy, vf.set,
 * vf.bind, vf.release, vf.assign (rows of ctl_cmds.c's table), and the
 * reconcile of the persisted desired state at start. Each command runs one
 * sriov/ transaction (which rolls itself back), then persists; when persisting
 * fails the kernel change is undone as far as sriov/ can. Nothing here runs on
 * a PMD. Format of the state: docs/configuration.md ("sriov"). */
#define LOG_PREFIX "iovsd/vf: "
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"
#include "iovs_log.h"
#include "iovsd.h"

const char *const iovsd_vf_list_args[] = {"pf", NULL};
const char *const iovsd_vf_create_args[] = {"pf", "num_vfs", "autoprobe", NULL};
const char *const iovsd_vf_destroy_args[] = {"pf", NULL};
const char *const iovsd_vf_set_args[] = {"vf",		"mac",	       "vlan",	"qos",
					 "vlan_proto",	"spoofchk",    "trust", "link_state",
					 "min_tx_rate", "max_tx_rate", NULL};
const char *const iovsd_vf_bind_args[] = {"vf", "driver", NULL};
const char *const iovsd_vf_release_args[] = {"vf", NULL};
const char *const iovsd_vf_assign_args[] = {"vf", "to", "bridge", "port", NULL};

static int
ctx(struct iovsd *d, struct sriov_ctx **out, struct iovs_err *err)
{
	struct sriov_conf c = {.root = d->sysfs_root[0] ? d->sysfs_root : NULL,
			       .fail_step = d->sriov_fail_step[0] ? d->sriov_fail_step : NULL};
	int rc = 0;

	if (d->sriov == NULL)
		rc = sriov_ctx_create(&c, &d->sriov, err);
	*out = d->sriov;
	return rc;
}

/* A candidate configuration and, in it, the entry of VF 'idx' of 'pf'
 * (created when missing). On success the caller frees '*cand'. */
static int
candidate_vf(struct iovsd *d, const struct sriov_addr *pf, unsigned idx, struct iovsd_conf **cand,
	     struct iovsd_vf_conf **v, struct iovs_err *err)
{
	*cand = iovsd_conf_candidate(d, err);
	if (*cand == NULL)
		return -ENOMEM;
	*v = iovsd_conf_vf(*cand, pf, idx);
	if (*v != NULL)
		return 0;
	free(*cand);
	return iovs_errf(err, -ENOSPC, "at most %d VFs are configured", IOVSD_MAX_VFS);
}

static int
arg_vf(const json_t *args, struct sriov_addr *pf, unsigned *idx, struct iovs_err *err)
{
	const char *s;
	int rc = iovsd_ctl_arg_str(args, "vf", false, &s, err);

	return rc != 0 ? rc : iovsd_vf_ref_parse(s, pf, idx, err);
}

static int
arg_pf(const json_t *args, struct sriov_addr *pf, struct iovs_err *err)
{
	const char *s;
	int rc = iovsd_ctl_arg_str(args, "pf", false, &s, err);

	return rc != 0 ? rc : sriov_addr_parse(s, pf, err);
}

/* The VF's current state, from sysfs. */
static int
vf_now(struct iovsd *d, const struct sriov_addr *pf, unsigned idx, struct sriov_vf *out,
       struct iovs_err *err)
{
	struct sriov_ctx *c;
	struct sriov_pf p;
	char a[SRIOV_ADDR_STR];
	int rc = ctx(d, &c, err);

	if (rc == 0)
		rc = sriov_pf_get(c, pf, &p, err);
	if (rc != 0)
		return rc;
	if (idx >= p.n_vfs)
		rc = iovs_errf(err, -ENOENT, "PF %s has %u VFs: there is no VF %u",
			       sriov_addr_str(pf, a), p.n_vfs, idx);
	else
		*out = p.vfs[idx];
	sriov_pf_fini(&p);
	return rc;
}

/* A VF in use (dataplane or VM) must be released before its PF changes. */
static int
pf_in_use(const struct iovsd_conf *conf, const struct sriov_addr *pf, struct iovs_err *err)
{
	char a[SRIOV_ADDR_STR];
	unsigned i;

	for (i = 0; i < conf->n_vfs; i++) {
		const struct iovsd_vf_conf *v = &conf->vfs[i];

		if (sriov_addr_equal(&v->pf, pf) && v->use != IOVSD_VF_USE_NONE)
			return iovs_errf(err, -EBUSY,
					 "VF %s:%u is assigned to %s%s%s: release it first",
					 sriov_addr_str(pf, a), v->index, iovsd_vf_use_name(v->use),
					 v->port[0] ? " port " : "", v->port);
	}
	return 0;
}

/* ---- vf.list ---- */

static json_t *
vf_json(const struct iovsd *d, const struct sriov_addr *pf, const struct sriov_vf *vf)
{
	const struct iovsd_vf_conf *want =
		iovsd_conf_find_vf((struct iovsd_conf *)d->conf, pf, vf->index);
	char a[SRIOV_ADDR_STR];
	json_t *o, *desired = json_object();

	o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:i, s:i, s:s}", "index", vf->index, "addr",
		      sriov_addr_str(&vf->addr, a), "driver", vf->driver, "ifname", vf->ifname,
		      "operstate", vf->operstate, "numa_node", vf->numa_node, "iommu_group",
		      vf->iommu_group, "use",
		      iovsd_vf_use_name(want ? want->use : IOVSD_VF_USE_NONE));
	if (o == NULL || desired == NULL) {
		json_decref(o);
		json_decref(desired);
		return NULL;
	}
	if (want != NULL) {
		iovsd_vf_attrs_to_json(&want->attrs, desired);
		if (want->port[0] != '\0')
			json_object_set_new(o, "port", json_string(want->port));
		if (want->original_driver[0] != '\0')
			json_object_set_new(o, "original_driver",
					    json_string(want->original_driver));
	}
	json_object_set_new(o, "attrs", desired);
	return o;
}

static json_t *
pf_json(const struct iovsd *d, const struct sriov_pf *p)
{
	char a[SRIOV_ADDR_STR];
	json_t *o, *vfs = json_array();
	unsigned i;

	o = json_pack("{s:s, s:i, s:i, s:s, s:s, s:i, s:i, s:i, s:i, s:b, s:i, s:i, s:i, s:o}",
		      "pf", sriov_addr_str(&p->addr, a), "vendor", p->vendor, "device", p->device,
		      "driver", p->driver, "ifname", p->ifname, "numa_node", p->numa_node,
		      "iommu_group", p->iommu_group, "total_vfs", p->total_vfs, "num_vfs",
		      p->num_vfs, "autoprobe", p->autoprobe, "vf_offset", p->cap.vf_offset,
		      "vf_stride", p->cap.vf_stride, "vf_device", p->cap.vf_device, "vfs", vfs);
	for (i = 0; o != NULL && i < p->n_vfs; i++)
		json_array_append_new(vfs, vf_json(d, &p->addr, &p->vfs[i]));
	return o;
}

int
iovsd_cmd_vf_list(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	struct sriov_addr only;
	struct sriov_pf *pfs = NULL;
	struct sriov_ctx *c;
	json_t *arr, *errs;
	size_t n = 0, i;
	bool one = json_object_get(args, "pf") != NULL;
	int rc;

	if (one && (rc = arg_pf(args, &only, err)) != 0)
		return rc;
	rc = ctx(d, &c, err);
	if (rc == 0)
		rc = sriov_pf_list(c, &pfs, &n, err);
	if (rc != 0)
		return rc;
	arr = json_array();
	errs = json_array();
	for (i = 0; i < n; i++)
		if (!one || sriov_addr_equal(&pfs[i].addr, &only))
			json_array_append_new(arr, pf_json(d, &pfs[i]));
	for (i = 0; i < d->n_vf_errors; i++)
		json_array_append_new(errs, json_string(d->vf_errors[i]));
	sriov_pf_list_free(pfs, n);
	*result = json_pack("{s:o, s:o}", "pfs", arr, "errors", errs);
	return *result ? 0 : iovs_errf(err, -ENOMEM, "out of memory");
}

/* ---- vf.create / vf.destroy ---- */

int
iovsd_cmd_vf_create(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	const json_t *n = json_object_get(args, "num_vfs"),
		     *ap = json_object_get(args, "autoprobe");
	struct iovsd_conf *cand;
	struct iovsd_pf_conf *p;
	struct sriov_addr pf;
	struct sriov_ctx *c;
	bool autoprobe = ap == NULL || json_is_true(ap);
	int rc;

	(void)result;
	rc = arg_pf(args, &pf, err);
	if (rc != 0)
		return rc;
	long long want = -1;
	char *end = NULL;

	if (json_is_integer(n))
		want = json_integer_value(n);
	else if (json_is_string(n))
		want = strtoll(json_string_value(n), &end, 10);
	if (want < 1 || want > 0xffff ||
	    (end != NULL && (*end != '\0' || end == json_string_value(n))))
		return iovs_errf(err, -EINVAL, "num_vfs: expected an integer 1..65535");
	if (ap != NULL && !json_is_boolean(ap))
		return iovs_errf(err, -EINVAL, "autoprobe: expected true or false");
	rc = pf_in_use(d->conf, &pf, err);
	if (rc == 0)
		rc = ctx(d, &c, err);
	if (rc != 0)
		return rc;
	cand = iovsd_conf_candidate(d, err);
	if (cand == NULL)
		return -ENOMEM;
	p = iovsd_conf_find_pf(cand, &pf);
	if (p == NULL && cand->n_pfs == IOVSD_MAX_PFS) {
		rc = iovs_errf(err, -ENOSPC, "at most %d PFs are configured", IOVSD_MAX_PFS);
		goto out;
	}
	if (p == NULL) {
		p = &cand->pfs[cand->n_pfs++];
		p->addr = pf;
	}
	p->num_vfs = (unsigned)want;
	p->autoprobe = autoprobe;
	rc = sriov_vfs_create(c, &pf, p->num_vfs, autoprobe, err);
	if (rc != 0)
		goto out;
	rc = iovsd_conf_commit(d, cand, err);
	if (rc != 0)
		sriov_vfs_destroy(c, &pf, NULL);
out:
	free(cand);
	return rc;
}

int
iovsd_cmd_vf_destroy(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	struct iovsd_conf *cand;
	struct sriov_addr pf;
	struct sriov_ctx *c;
	int rc;

	(void)result;
	rc = arg_pf(args, &pf, err);
	if (rc == 0)
		rc = pf_in_use(d->conf, &pf, err);
	if (rc == 0)
		rc = ctx(d, &c, err);
	if (rc != 0)
		return rc;
	cand = iovsd_conf_candidate(d, err);
	if (cand == NULL)
		return -ENOMEM;
	iovsd_conf_forget_vfs(cand, &pf, -1, true);
	rc = sriov_vfs_destroy(c, &pf, err);
	if (rc == 0)
		rc = iovsd_conf_commit(d, cand, err);
	free(cand);
	return rc;
}

/* ---- vf.set / vf.bind / vf.release ---- */

int
iovsd_cmd_vf_set(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	struct sriov_vf_attrs a;
	struct iovsd_vf_conf *v;
	struct iovsd_conf *cand;
	struct sriov_addr pf;
	struct sriov_ctx *c;
	unsigned idx;
	int rc;

	(void)result;
	rc = arg_vf(args, &pf, &idx, err);
	if (rc == 0)
		rc = iovsd_vf_attrs_from_json(args, "vf.set", &a, err);
	if (rc == 0 && a.set == 0)
		rc = iovs_errf(err, -EINVAL,
			       "nothing to set (mac, vlan, qos, vlan_proto, "
			       "spoofchk, trust, link_state, min/max_tx_rate)");
	if (rc == 0)
		rc = ctx(d, &c, err);
	if (rc != 0)
		return rc;
	rc = candidate_vf(d, &pf, idx, &cand, &v, err);
	if (rc != 0)
		return rc;
	sriov_vf_attrs_merge(&v->attrs, &a, a.set);
	/* v->original gains what the VF had before iovs first changed a field. */
	rc = sriov_vf_set(c, &pf, idx, &a, &v->original, err);
	if (rc == 0)
		rc = iovsd_conf_commit(d, cand, err);
	free(cand);
	return rc;
}

/* Binds and records the driver the VF had (once: a second bind keeps the first
 * original). */
static int
bind(struct iovsd *d, struct iovsd_vf_conf *v, const char *driver, struct iovs_err *err)
{
	char orig[SRIOV_NAME_MAX] = "";
	struct sriov_ctx *c;
	struct sriov_vf now;
	int rc = vf_now(d, &v->pf, v->index, &now, err);

	if (rc == 0)
		rc = ctx(d, &c, err);
	if (rc != 0)
		return rc;
	snprintf(orig, sizeof(orig), "%s", now.driver);
	rc = sriov_vf_bind(c, &v->pf, v->index, driver, err);
	if (rc != 0)
		return rc;
	if (v->driver[0] == '\0')
		snprintf(v->original_driver, sizeof(v->original_driver), "%s", orig);
	snprintf(v->driver, sizeof(v->driver), "%s", driver);
	return 0;
}

int
iovsd_cmd_vf_bind(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	struct iovsd_vf_conf *v;
	struct iovsd_conf *cand;
	struct sriov_addr pf;
	const char *driver;
	unsigned idx;
	int rc;

	(void)result;
	rc = arg_vf(args, &pf, &idx, err);
	if (rc == 0)
		rc = iovsd_ctl_arg_str(args, "driver", false, &driver, err);
	/* The name itself is checked by sriov_vf_bind (length, '/', "..", loaded). */
	if (rc != 0)
		return rc;
	rc = candidate_vf(d, &pf, idx, &cand, &v, err);
	if (rc != 0)
		return rc;
	if (v->use != IOVSD_VF_USE_NONE)
		rc = iovs_errf(err, -EBUSY, "the VF is assigned to %s: release it first",
			       iovsd_vf_use_name(v->use));
	if (rc == 0)
		rc = bind(d, v, driver, err);
	if (rc == 0)
		rc = iovsd_conf_commit(d, cand, err);
	free(cand);
	return rc;
}

int
iovsd_cmd_vf_release(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	struct iovsd_vf_conf *v;
	struct iovsd_conf *cand;
	struct sriov_addr pf;
	struct sriov_ctx *c;
	unsigned idx;
	int rc;

	(void)result;
	rc = arg_vf(args, &pf, &idx, err);
	if (rc == 0)
		rc = ctx(d, &c, err);
	if (rc != 0)
		return rc;
	cand = iovsd_conf_candidate(d, err);
	if (cand == NULL)
		return -ENOMEM;
	v = iovsd_conf_find_vf(cand, &pf, idx);
	if (v == NULL || (v->driver[0] == '\0' && v->original.set == 0)) {
		rc = iovs_errf(err, -ENOENT,
			       "iovs neither bound this VF nor changed its attributes: nothing to "
			       "release");
		goto out;
	}
	/* The attributes first: sriov_vf_set() leaves the VF as it was if it fails. */
	if (v->original.set != 0) {
		rc = sriov_vf_set(c, &pf, idx, &v->original, NULL, err);
		if (rc != 0) {
			iovs_err_prefix(err, rc, "restore the attributes the VF had");
			goto out;
		}
	}
	if (v->driver[0] != '\0') {
		if (v->use == IOVSD_VF_USE_DATAPLANE) {
			rc = vsw_port_del(d->sw, v->port, err);
			if (rc != 0 && rc != -ENOENT)
				goto undo;
			iovsd_conf_del_port(cand, v->port);
			iovsd_port_error_set(d, v->port, NULL);
		}
		rc = sriov_vf_release(c, &pf, idx, err);
		if (rc != 0)
			goto undo;
	}
	/* Nothing of the VF is iovs's now. */
	iovsd_conf_forget_vfs(cand, &pf, (int)idx, false);
	rc = iovsd_conf_commit(d, cand, err);
	if (rc == 0)
		iovsd_of_refresh(d);
	goto out;
undo:
	if (v->original.set != 0 && v->attrs.set != 0) {
		struct iovs_err e = {""};

		if (sriov_vf_set(c, &pf, idx, &v->attrs, NULL, &e) != 0)
			LOG_WARN("vf.release: the attributes of VF %u stay restored: %s", idx,
				 e.msg);
	}
out:
	free(cand);
	return rc;
}

/* ---- vf.assign ---- */

/* Can the VF go to VFIO: an IOMMU group, and nobody else's driver in it. */
static int
check_isolation(struct iovsd *d, const struct sriov_vf *now, struct iovs_err *err)
{
	char a[SRIOV_ADDR_STR];
	struct sriov_ctx *c;
	int rc = ctx(d, &c, err);

	if (rc != 0)
		return rc;
	if (now->iommu_group == SRIOV_NO_GROUP)
		return iovs_errf(err, -ENODEV,
				 "no IOMMU: %s has no IOMMU group, so VFIO cannot isolate it "
				 "(enable the IOMMU: intel_iommu=on or amd_iommu=on); refused",
				 sriov_addr_str(&now->addr, a));
	if (!sriov_group_is_assignable(c, &now->addr, err))
		return iovs_err_prefix(err, -EBUSY, "IOMMU group %d of %s is not viable",
				       now->iommu_group, sriov_addr_str(&now->addr, a));
	return 0;
}

static json_t *
vm_result(const struct sriov_vf *now)
{
	char a[SRIOV_ADDR_STR], qemu[64], xml[512];

	sriov_addr_str(&now->addr, a);
	snprintf(qemu, sizeof(qemu), "-device vfio-pci,host=%s", a);
	snprintf(xml, sizeof(xml),
		 "<hostdev mode='subsystem' type='pci' managed='no'>\n"
		 "  <source>\n"
		 "    <address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n"
		 "  </source>\n"
		 "</hostdev>",
		 now->addr.domain, now->addr.bus, now->addr.dev, now->addr.fn);
	return json_pack("{s:s, s:i, s:s, s:s}", "addr", a, "iommu_group", now->iommu_group, "qemu",
			 qemu, "libvirt", xml);
}

static int
assign_dataplane(struct iovsd *d, struct iovsd_conf *cand, struct iovsd_vf_conf *v,
		 const json_t *args, const struct sriov_vf *now, struct iovs_err *err)
{
	const char *bridge = "br0", *name = NULL;
	struct vsw_port_conf port;
	char a[SRIOV_ADDR_STR];
	int rc = 0;

	vsw_port_conf_init(&port);
	port.type = VSW_PORT_PCI;
	if (json_object_get(args, "bridge") != NULL)
		rc = iovsd_ctl_arg_str(args, "bridge", false, &bridge, err);
	if (rc == 0)
		rc = iovsd_ctl_arg_str(args, "port", false, &name, err);
	if (rc != 0)
		return rc;
	if (snprintf(port.name, sizeof(port.name), "%s", name) >= (int)sizeof(port.name) ||
	    snprintf(port.bridge, sizeof(port.bridge), "%s", bridge) >= (int)sizeof(port.bridge))
		return iovs_errf(err, -EINVAL, "port or bridge name too long");
	snprintf(port.devargs, sizeof(port.devargs), "%s", sriov_addr_str(&now->addr, a));
	if (iovsd_conf_find_bridge(cand, bridge) == NULL)
		return iovs_errf(err, -ENOENT, "no bridge named %s", bridge);
	if (iovsd_conf_find_port(cand, name) != NULL)
		return iovs_errf(err, -EEXIST, "a port named %s already exists", name);
	rc = vsw_port_conf_validate(&port, err);
	if (rc == 0)
		rc = iovsd_conf_add_port(cand, &port, 0);
	if (rc != 0)
		return iovs_err_prefix(err, rc, "port %s", name);
	port.ofport = iovsd_conf_port_ofport(cand, name);
	rc = vsw_port_add(d->sw, &port, err);
	if (rc != 0)
		return iovs_err_prefix(err, rc, "port %s", name);
	snprintf(v->port, sizeof(v->port), "%s", name);
	return 0;
}

int
iovsd_cmd_vf_assign(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	struct iovsd_vf_conf *v;
	struct iovsd_conf *cand;
	struct sriov_addr pf;
	struct sriov_vf now;
	struct sriov_ctx *c;
	const char *to;
	bool bound = false;
	unsigned idx;
	int rc;

	rc = arg_vf(args, &pf, &idx, err);
	if (rc == 0)
		rc = iovsd_ctl_arg_str(args, "to", false, &to, err);
	if (rc == 0 && strcmp(to, "dataplane") != 0 && strcmp(to, "vm") != 0)
		rc = iovs_errf(err, -EINVAL, "--to %s: expected dataplane or vm", to);
	if (rc == 0 && strcmp(to, "vm") == 0 &&
	    (json_object_get(args, "port") || json_object_get(args, "bridge")))
		rc = iovs_errf(err, -EINVAL, "--port and --bridge are for --to dataplane");
	if (rc == 0 && strcmp(to, "dataplane") == 0 && json_object_get(args, "port") == NULL)
		rc = iovs_errf(err, -EINVAL, "--to dataplane needs --port NAME");
	if (rc == 0)
		rc = ctx(d, &c, err);
	if (rc == 0)
		rc = vf_now(d, &pf, idx, &now, err);
	if (rc == 0)
		rc = check_isolation(d, &now, err);
	if (rc != 0)
		return rc;
	rc = candidate_vf(d, &pf, idx, &cand, &v, err);
	if (rc != 0)
		return rc;
	if (v->use != IOVSD_VF_USE_NONE) {
		rc = iovs_errf(err, -EBUSY, "the VF is already assigned to %s",
			       iovsd_vf_use_name(v->use));
		goto out;
	}
	if (strcmp(now.driver, "vfio-pci") != 0) {
		rc = bind(d, v, "vfio-pci", err);
		if (rc != 0)
			goto out;
		bound = true;
	} else if (v->driver[0] == '\0') {
		snprintf(v->driver, sizeof(v->driver), "vfio-pci");
	}
	if (strcmp(to, "dataplane") == 0) {
		v->use = IOVSD_VF_USE_DATAPLANE;
		rc = assign_dataplane(d, cand, v, args, &now, err);
	} else {
		v->use = IOVSD_VF_USE_VM;
		*result = vm_result(&now);
	}
	if (rc == 0) {
		rc = iovsd_conf_commit(d, cand, err);
		if (rc != 0 && v->use == IOVSD_VF_USE_DATAPLANE)
			vsw_port_del(d->sw, v->port, NULL);
	}
	if (rc != 0 && bound)
		sriov_vf_release(c, &pf, idx, NULL); /* back to the driver it had */
	if (rc == 0 && v->use == IOVSD_VF_USE_DATAPLANE)
		iovsd_of_refresh(d);
out:
	free(cand);
	return rc;
}

/* ---- start ---- */

static void __attribute__((format(printf, 2, 3))) vf_error(struct iovsd *d, const char *fmt, ...)
{
	char msg[sizeof(d->vf_errors[0])];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	LOG_ERR("%s", msg);
	if (d->n_vf_errors < IOVSD_MAX_VF_ERRORS) /* the first ones: the log has all */
		memcpy(d->vf_errors[d->n_vf_errors++], msg, sizeof(msg));
}

void
iovsd_vf_reconcile(struct iovsd *d)
{
	char a[SRIOV_ADDR_STR + 8];
	struct sriov_ctx *c;
	struct iovs_err err = {{0}};
	unsigned i;
	int rc;

	if (d->conf->n_pfs == 0 && d->conf->n_vfs == 0)
		return;
	rc = ctx(d, &c, &err);
	if (rc != 0) {
		vf_error(d, "sriov: %s", iovs_err_str(&err, rc));
		return;
	}
	for (i = 0; i < d->conf->n_pfs; i++) {
		const struct iovsd_pf_conf *p = &d->conf->pfs[i];
		struct sriov_pf now;

		if (p->num_vfs == 0)
			continue;
		sriov_addr_str(&p->addr, a);
		rc = sriov_pf_get(c, &p->addr, &now, &err);
		if (rc == 0) {
			if (now.num_vfs != p->num_vfs)
				rc = sriov_vfs_create(c, &p->addr, p->num_vfs, p->autoprobe, &err);
			sriov_pf_fini(&now);
		}
		if (rc != 0)
			vf_error(d, "PF %s: VFs not created (kept in the configuration): %s", a,
				 iovs_err_str(&err, rc));
	}
	for (i = 0; i < d->conf->n_vfs; i++) {
		struct iovsd_vf_conf *v = &d->conf->vfs[i];

		snprintf(a, sizeof(a), "%s:%u", sriov_addr_str(&v->pf, (char[SRIOV_ADDR_STR]){0}),
			 v->index);
		rc = 0;
		if (v->attrs.set != 0)
			rc = sriov_vf_set(c, &v->pf, v->index, &v->attrs, &v->original, &err);
		if (rc == 0 && v->driver[0] != '\0')
			rc = sriov_vf_bind(c, &v->pf, v->index, v->driver, &err);
		if (rc != 0)
			vf_error(d, "VF %s not reconciled (kept in the configuration): %s", a,
				 iovs_err_str(&err, rc));
		else
			LOG_INFO("VF %s reconciled", a);
	}
}
