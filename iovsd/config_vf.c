/* The "sriov" part of iovsd's configuration: each PF's VF count and each VF's
 * desired attributes, driver and use, as JSON (parse → validate, serialise).
 * Pure: no I/O. ctl_vf.c applies it (commands and the reconcile at start);
 * the VF attribute object is shared with the vf.set request. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_json.h"
#include "iovs_mac.h"

static const char *const pf_keys[] = {"pf", "num_vfs", "autoprobe", "vfs", NULL};
/* A VF entry: its own keys and the attribute keys (iovsd_vf_attrs_from_json). */
static const char *const vf_keys[] = {"index",	    "driver",	   "original_driver",
				      "original",   "use",	   "port",
				      "mac",	    "vlan",	   "qos",
				      "vlan_proto", "spoofchk",	   "trust",
				      "link_state", "min_tx_rate", "max_tx_rate",
				      NULL};
/* "original": the attributes the VF had before iovs changed them. */
static const char *const attr_keys[] = {"mac",	       "vlan",	"qos",	      "vlan_proto",
					"spoofchk",    "trust", "link_state", "min_tx_rate",
					"max_tx_rate", NULL};

static const char *const use_names[] = {
	[IOVSD_VF_USE_NONE] = "none",
	[IOVSD_VF_USE_DATAPLANE] = "dataplane",
	[IOVSD_VF_USE_VM] = "vm",
};

static const char *const link_names[] = {
	[SRIOV_LINK_AUTO] = "auto",
	[SRIOV_LINK_ENABLE] = "enable",
	[SRIOV_LINK_DISABLE] = "disable",
};

const char *
iovsd_vf_use_name(enum iovsd_vf_use use)
{
	return use <= IOVSD_VF_USE_VM ? use_names[use] : "?";
}

static int
name_index(const char *s, const char *const *names, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

/* An optional integer key into '*out'; true when present. */
static int
opt_int(const json_t *o, const char *where, const char *key, json_int_t max, json_int_t *out,
	bool *present, struct iovs_err *err)
{
	*present = json_object_get(o, key) != NULL;
	return iovsd_json_int(o, where, key, 0, max, out, err);
}

/* An optional key naming one of 'names' into '*out'; true when present. */
static int
opt_name(const json_t *o, const char *where, const char *key, const char *const *names, unsigned n,
	 int *out, bool *present, struct iovs_err *err)
{
	char choices[64] = "";
	unsigned i;

	char buf[16] = "";
	int rc = iovsd_json_string(o, where, key, buf, sizeof(buf), err);

	*present = json_object_get(o, key) != NULL;
	if (rc != 0 || !*present)
		return rc;
	*out = name_index(buf, names, n);
	if (*out >= 0)
		return 0;
	for (i = 0; i < n; i++)
		snprintf(choices + strlen(choices), sizeof(choices) - strlen(choices), "%s%s",
			 i == 0	      ? ""
			 : i + 1 == n ? " or "
				      : ", ",
			 names[i]);
	return iovsd_json_errf(err, -EINVAL, where, key, "\"%s\" is not %s", buf, choices);
}

static const char *const proto_names[] = {"802.1Q", "802.1ad"};

/* The attribute keys of 'o' into 'a' (a->set says which were there). */
int
iovsd_vf_attrs_from_json(const json_t *o, const char *where, struct sriov_vf_attrs *a,
			 struct iovs_err *err)
{
	json_int_t vlan = 0, qos = 0, min = 0, max = 0;
	bool has_vlan, has_qos, has_min, has_max, has_proto, has_link;
	int proto = 0, link = 0, rc;
	char mac[IOVS_MAC_STR] = "";

	memset(a, 0, sizeof(*a));
	rc = iovsd_json_string(o, where, "mac", mac, sizeof(mac), err);
	if (rc == 0 && json_object_get(o, "mac") != NULL) {
		if (!iovs_mac_parse(mac, a->mac))
			return iovsd_json_errf(err, -EINVAL, where, "mac",
					       "\"%s\" is not a MAC address", mac);
		a->set |= SRIOV_VF_MAC;
	}
	if (rc == 0)
		rc = opt_int(o, where, "vlan", 4095, &vlan, &has_vlan, err);
	if (rc == 0)
		rc = opt_int(o, where, "qos", 7, &qos, &has_qos, err);
	if (rc == 0)
		rc = opt_name(o, where, "vlan_proto", proto_names, 2, &proto, &has_proto, err);
	if (rc == 0)
		rc = iovsd_json_bool(o, where, "spoofchk", &a->spoofchk, err);
	if (rc == 0)
		rc = iovsd_json_bool(o, where, "trust", &a->trust, err);
	if (rc == 0)
		rc = opt_name(o, where, "link_state", link_names, 3, &link, &has_link, err);
	if (rc == 0)
		rc = opt_int(o, where, "min_tx_rate", UINT32_MAX, &min, &has_min, err);
	if (rc == 0)
		rc = opt_int(o, where, "max_tx_rate", UINT32_MAX, &max, &has_max, err);
	if (rc != 0)
		return rc;
	if (max != 0 && min > max)
		return iovsd_json_errf(err, -EINVAL, where, NULL,
				       "min_tx_rate %lld above max_tx_rate %lld", (long long)min,
				       (long long)max);
	a->vlan = (uint16_t)vlan;
	a->qos = (uint8_t)qos;
	a->vlan_proto = proto == 1 ? 0x88a8 : 0x8100;
	a->link_state = (enum sriov_link_state)link;
	a->min_tx_rate = (uint32_t)min;
	a->max_tx_rate = (uint32_t)max;
	if (has_vlan || has_qos || has_proto)
		a->set |= SRIOV_VF_VLAN;
	if (json_object_get(o, "spoofchk") != NULL)
		a->set |= SRIOV_VF_SPOOFCHK;
	if (json_object_get(o, "trust") != NULL)
		a->set |= SRIOV_VF_TRUST;
	if (has_link)
		a->set |= SRIOV_VF_LINK_STATE;
	if (has_min || has_max)
		a->set |= SRIOV_VF_RATE;
	return 0;
}

/* Adds the attributes marked in a->set to 'o'. */
int
iovsd_vf_attrs_to_json(const struct sriov_vf_attrs *a, json_t *o)
{
	char mac[IOVS_MAC_STR];
	int rc = 0;

	if (a->set & SRIOV_VF_MAC)
		rc |= json_object_set_new(o, "mac", json_string(iovs_mac_str(a->mac, mac)));
	if (a->set & SRIOV_VF_VLAN) {
		rc |= json_object_set_new(o, "vlan", json_integer(a->vlan));
		rc |= json_object_set_new(o, "qos", json_integer(a->qos));
		rc |= json_object_set_new(
			o, "vlan_proto",
			json_string(a->vlan_proto == 0x88a8 ? "802.1ad" : "802.1Q"));
	}
	if (a->set & SRIOV_VF_SPOOFCHK)
		rc |= json_object_set_new(o, "spoofchk", json_boolean(a->spoofchk));
	if (a->set & SRIOV_VF_TRUST)
		rc |= json_object_set_new(o, "trust", json_boolean(a->trust));
	if (a->set & SRIOV_VF_LINK_STATE)
		rc |= json_object_set_new(o, "link_state",
					  json_string(link_names[a->link_state % 3]));
	if (a->set & SRIOV_VF_RATE) {
		rc |= json_object_set_new(o, "min_tx_rate", json_integer(a->min_tx_rate));
		rc |= json_object_set_new(o, "max_tx_rate", json_integer(a->max_tx_rate));
	}
	return rc == 0 ? 0 : -ENOMEM;
}

int
iovsd_vf_ref_parse(const char *s, struct sriov_addr *pf, unsigned *index, struct iovs_err *err)
{
	char addr[SRIOV_ADDR_STR], q[IOVS_QUOTED_SIZE], *end;
	const char *colon = strrchr(s, ':');
	unsigned long idx;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(addr) || colon[1] == '\0')
		return iovs_errf(err, -EINVAL, "%s is not PF:INDEX (such as 0000:03:00.0:1)",
				 iovs_quote(s, SIZE_MAX, q));
	memcpy(addr, s, (size_t)(colon - s));
	addr[colon - s] = '\0';
	errno = 0;
	idx = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || idx > 0xffff || colon[1] == '-')
		return iovs_errf(err, -EINVAL, "%s: the VF index %s is not a number 0..65535",
				 iovs_quote(s, SIZE_MAX, q), colon + 1);
	*index = (unsigned)idx;
	return sriov_addr_parse(addr, pf, err);
}

struct iovsd_pf_conf *
iovsd_conf_find_pf(struct iovsd_conf *conf, const struct sriov_addr *pf)
{
	unsigned i;

	for (i = 0; i < conf->n_pfs; i++)
		if (sriov_addr_equal(&conf->pfs[i].addr, pf))
			return &conf->pfs[i];
	return NULL;
}

struct iovsd_vf_conf *
iovsd_conf_find_vf(struct iovsd_conf *conf, const struct sriov_addr *pf, unsigned index)
{
	unsigned i;

	for (i = 0; i < conf->n_vfs; i++)
		if (sriov_addr_equal(&conf->vfs[i].pf, pf) && conf->vfs[i].index == index)
			return &conf->vfs[i];
	return NULL;
}

struct iovsd_vf_conf *
iovsd_conf_vf(struct iovsd_conf *conf, const struct sriov_addr *pf, unsigned index)
{
	struct iovsd_vf_conf *vf = iovsd_conf_find_vf(conf, pf, index);

	if (vf != NULL)
		return vf;
	if (conf->n_vfs == IOVSD_MAX_VFS)
		return NULL;
	vf = &conf->vfs[conf->n_vfs++];
	memset(vf, 0, sizeof(*vf));
	vf->pf = *pf;
	vf->index = index;
	return vf;
}

void
iovsd_conf_forget_vfs(struct iovsd_conf *conf, const struct sriov_addr *pf, int index, bool pf_too)
{
	unsigned i = 0;

	while (i < conf->n_vfs) {
		if (sriov_addr_equal(&conf->vfs[i].pf, pf) &&
		    (index < 0 || conf->vfs[i].index == (unsigned)index))
			conf->vfs[i] = conf->vfs[--conf->n_vfs];
		else
			i++;
	}
	for (i = 0; pf_too && i < conf->n_pfs; i++) {
		if (sriov_addr_equal(&conf->pfs[i].addr, pf)) {
			conf->pfs[i] = conf->pfs[--conf->n_pfs];
			break;
		}
	}
}

static int
original_from_json(const json_t *o, const char *where, struct sriov_vf_attrs *a,
		   struct iovs_err *err)
{
	char at[160];
	int rc;

	snprintf(at, sizeof(at), "%s.original", where);
	if (!json_is_object(o))
		return iovsd_json_errf(err, -EINVAL, at, NULL, "expected an object");
	rc = iovsd_json_check_keys(o, at, attr_keys, err);
	return rc != 0 ? rc : iovsd_vf_attrs_from_json(o, at, a, err);
}

static int
vf_from_json(const json_t *o, const char *where, const struct sriov_addr *pf,
	     struct iovsd_conf *conf, struct iovs_err *err)
{
	struct iovsd_vf_conf vf = {.pf = *pf};
	json_int_t idx = 0;
	int rc, use = IOVSD_VF_USE_NONE;
	bool present;

	if (!json_is_object(o))
		return iovsd_json_errf(err, -EINVAL, where, NULL, "expected an object");
	rc = iovsd_json_check_keys(o, where, vf_keys, err);
	if (rc == 0)
		rc = iovsd_json_require(o, where, "index", err);
	if (rc == 0)
		rc = iovsd_json_int(o, where, "index", 0, 0xffff, &idx, err);
	if (rc == 0)
		rc = iovsd_json_string(o, where, "driver", vf.driver, sizeof(vf.driver), err);
	if (rc == 0)
		rc = iovsd_json_string(o, where, "original_driver", vf.original_driver,
				       sizeof(vf.original_driver), err);
	if (rc == 0)
		rc = opt_name(o, where, "use", use_names, 3, &use, &present, err);
	if (rc == 0)
		rc = iovsd_json_string(o, where, "port", vf.port, sizeof(vf.port), err);
	if (rc == 0)
		rc = iovsd_vf_attrs_from_json(o, where, &vf.attrs, err);
	if (rc == 0 && json_object_get(o, "original") != NULL)
		rc = original_from_json(json_object_get(o, "original"), where, &vf.original, err);
	if (rc != 0)
		return rc;
	vf.index = (unsigned)idx;
	vf.use = (enum iovsd_vf_use)use;
	if (vf.use != IOVSD_VF_USE_NONE && strcmp(vf.driver, "vfio-pci") != 0)
		return iovs_errf(err, -EINVAL, "%s: use %s needs driver \"vfio-pci\"", where,
				 use_names[use]);
	if ((vf.use == IOVSD_VF_USE_DATAPLANE) != (vf.port[0] != '\0'))
		return iovs_errf(err, -EINVAL, "%s: a port is named exactly for use dataplane",
				 where);
	if (iovsd_conf_find_vf(conf, pf, vf.index) != NULL)
		return iovs_errf(err, -EEXIST, "%s: VF %u appears twice", where, vf.index);
	if (conf->n_vfs == IOVSD_MAX_VFS)
		return iovs_errf(err, -E2BIG, "%s: more than %d VFs configured", where,
				 IOVSD_MAX_VFS);
	conf->vfs[conf->n_vfs++] = vf;
	return 0;
}

int
iovsd_sriov_conf_from_json(const json_t *arr, struct iovsd_conf *conf, struct iovs_err *err)
{
	char where[64], sub[96], addr[SRIOV_ADDR_STR] = "";
	const json_t *pf, *vf;
	size_t i, j;
	int rc;

	conf->n_pfs = conf->n_vfs = 0;
	if (!json_is_array(arr))
		return iovs_errf(err, -EINVAL, "sriov: expected an array");
	if (json_array_size(arr) > IOVSD_MAX_PFS)
		return iovs_errf(err, -E2BIG, "sriov: %zu PFs, at most %d", json_array_size(arr),
				 IOVSD_MAX_PFS);
	json_array_foreach(arr, i, pf) {
		struct iovsd_pf_conf *p = &conf->pfs[conf->n_pfs];
		json_int_t n = 0;

		snprintf(where, sizeof(where), "sriov[%zu]", i);
		memset(p, 0, sizeof(*p));
		if (!json_is_object(pf))
			return iovsd_json_errf(err, -EINVAL, where, NULL, "expected an object");
		rc = iovsd_json_check_keys(pf, where, pf_keys, err);
		if (rc == 0)
			rc = iovsd_json_require(pf, where, "pf", err);
		if (rc == 0)
			rc = iovsd_json_string(pf, where, "pf", addr, sizeof(addr), err);
		if (rc == 0) {
			rc = sriov_addr_parse(addr, &p->addr, err);
			if (rc != 0)
				iovs_err_prefix(err, rc, "%s.pf", where);
		}
		if (rc == 0 && iovsd_conf_find_pf(conf, &p->addr) != NULL)
			rc = iovs_errf(err, -EEXIST, "%s: PF %s appears twice", where, addr);
		if (rc == 0)
			rc = iovsd_json_int(pf, where, "num_vfs", 0, 0xffff, &n, err);
		if (rc == 0)
			rc = iovsd_json_bool(pf, where, "autoprobe", &p->autoprobe, err);
		if (rc != 0)
			return rc;
		p->num_vfs = (unsigned)n;
		conf->n_pfs++;
		vf = json_object_get(pf, "vfs");
		if (vf != NULL && !json_is_array(vf))
			return iovs_errf(err, -EINVAL, "%s.vfs: expected an array", where);
		for (j = 0; vf != NULL && j < json_array_size(vf); j++) {
			snprintf(sub, sizeof(sub), "%s.vfs[%zu]", where, j);
			rc = vf_from_json(json_array_get(vf, j), sub, &p->addr, conf, err);
			if (rc != 0)
				return rc;
			if (p->num_vfs != 0 && conf->vfs[conf->n_vfs - 1].index >= p->num_vfs)
				return iovs_errf(err, -ERANGE,
						 "%s.index: VF %u of a PF with %u VFs", sub,
						 conf->vfs[conf->n_vfs - 1].index, p->num_vfs);
		}
	}
	return 0;
}

static json_t *
vf_to_json(const struct iovsd_vf_conf *vf)
{
	json_t *o = json_pack("{s:i}", "index", vf->index);
	int rc;

	if (o == NULL)
		return NULL;
	rc = iovsd_vf_attrs_to_json(&vf->attrs, o);
	if (vf->original.set != 0) {
		json_t *orig = json_object();

		rc |= orig == NULL || iovsd_vf_attrs_to_json(&vf->original, orig) != 0;
		rc |= json_object_set_new(o, "original", orig);
	}
	if (vf->driver[0] != '\0')
		rc |= json_object_set_new(o, "driver", json_string(vf->driver));
	if (vf->original_driver[0] != '\0')
		rc |= json_object_set_new(o, "original_driver", json_string(vf->original_driver));
	if (vf->use != IOVSD_VF_USE_NONE)
		rc |= json_object_set_new(o, "use", json_string(iovsd_vf_use_name(vf->use)));
	if (vf->port[0] != '\0')
		rc |= json_object_set_new(o, "port", json_string(vf->port));
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
iovsd_sriov_conf_to_json(const struct iovsd_conf *conf)
{
	json_t *arr = json_array();
	char addr[SRIOV_ADDR_STR];
	unsigned i, j;

	for (i = 0; arr != NULL && i < conf->n_pfs; i++) {
		const struct iovsd_pf_conf *p = &conf->pfs[i];
		json_t *vfs = json_array(), *o;

		o = json_pack("{s:s, s:i, s:b, s:o}", "pf", sriov_addr_str(&p->addr, addr),
			      "num_vfs", p->num_vfs, "autoprobe", p->autoprobe, "vfs", vfs);
		if (o == NULL || json_array_append_new(arr, o) != 0)
			goto err;
		for (j = 0; j < conf->n_vfs; j++) {
			if (!sriov_addr_equal(&conf->vfs[j].pf, &p->addr))
				continue;
			if (json_array_append_new(vfs, vf_to_json(&conf->vfs[j])) != 0)
				goto err;
		}
	}
	return arr;
err:
	json_decref(arr);
	return NULL;
}
