/* The "sriov" part of iovsd's configuration: each PF's VF count and each VF's
 * desired attributes, driver and use, as JSON (parse → validate, serialise).
 * Pure: no I/O. ctl_vf.c applies it (commands and the reconcile at start);
 * the VF attribute object is shared with the vf.set request. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "iovs_mac.h"

static const char *const pf_keys[] = {"pf", "num_vfs", "autoprobe", "vfs", NULL};
static const char *const attr_keys[] = {"mac",	       "vlan",	"qos",	      "vlan_proto",
					"spoofchk",    "trust", "link_state", "min_tx_rate",
					"max_tx_rate", NULL};
static const char *const vf_keys[] = {"index", "driver", "original_driver", "use", "port", NULL};

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

static bool
key_known(const char *key, const char *const *a, const char *const *b)
{
	for (; a != NULL && *a != NULL; a++)
		if (strcmp(key, *a) == 0)
			return true;
	for (; b != NULL && *b != NULL; b++)
		if (strcmp(key, *b) == 0)
			return true;
	return false;
}

static int
check_keys(const json_t *o, const char *where, const char *const *a, const char *const *b,
	   struct iovs_err *err)
{
	char q[IOVS_QUOTED_SIZE];
	const char *key;
	json_t *v;

	if (!json_is_object(o))
		return iovs_errf(err, -EINVAL, "%s: expected an object", where);
	json_object_foreach((json_t *)o, key, v) {
		if (!key_known(key, a, b))
			return iovs_errf(err, -EINVAL, "%s: unknown key %s", where,
					 iovs_quote(key, SIZE_MAX, q));
	}
	return 0;
}

static int
get_uint(const json_t *o, const char *where, const char *key, unsigned long long max,
	 unsigned long long *out, bool *present, struct iovs_err *err)
{
	const json_t *v = json_object_get(o, key);

	*present = v != NULL;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (unsigned long long)json_integer_value(v) > max)
		return iovs_errf(err, -ERANGE, "%s.%s: expected an integer 0..%llu", where, key,
				 max);
	*out = (unsigned long long)json_integer_value(v);
	return 0;
}

static int
get_bool(const json_t *o, const char *where, const char *key, bool *out, bool *present,
	 struct iovs_err *err)
{
	const json_t *v = json_object_get(o, key);

	*present = v != NULL;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return iovs_errf(err, -EINVAL, "%s.%s: expected true or false", where, key);
	*out = json_is_true(v);
	return 0;
}

static int
get_str(const json_t *o, const char *where, const char *key, char *dst, size_t size,
	struct iovs_err *err)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= size)
		return iovs_errf(err, -EINVAL, "%s.%s: expected a string of at most %zu bytes",
				 where, key, size - 1);
	snprintf(dst, size, "%s", json_string_value(v));
	return 0;
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

/* The attribute keys of 'o' into 'a' (a->set says which were there). */
int
iovsd_vf_attrs_from_json(const json_t *o, const char *where, struct sriov_vf_attrs *a,
			 struct iovs_err *err)
{
	unsigned long long u = 0;
	char buf[32] = "";
	bool present, b = false;
	int rc, i;

	memset(a, 0, sizeof(*a));
	a->vlan_proto = 0x8100;
	if (json_object_get(o, "mac") != NULL) {
		rc = get_str(o, where, "mac", buf, sizeof(buf), err);
		if (rc != 0)
			return rc;
		if (!iovs_mac_parse(buf, a->mac))
			return iovs_errf(err, -EINVAL, "%s.mac: \"%s\" is not a MAC address", where,
					 buf);
		a->set |= SRIOV_VF_MAC;
	}
	rc = get_uint(o, where, "vlan", 4095, &u, &present, err);
	if (rc != 0)
		return rc;
	if (present) {
		a->vlan = (uint16_t)u;
		a->set |= SRIOV_VF_VLAN;
	}
	rc = get_uint(o, where, "qos", 7, &u, &present, err);
	if (rc != 0)
		return rc;
	if (present) {
		a->qos = (uint8_t)u;
		a->set |= SRIOV_VF_VLAN;
	}
	if (json_object_get(o, "vlan_proto") != NULL) {
		rc = get_str(o, where, "vlan_proto", buf, sizeof(buf), err);
		if (rc != 0)
			return rc;
		if (strcmp(buf, "802.1Q") == 0)
			a->vlan_proto = 0x8100;
		else if (strcmp(buf, "802.1ad") == 0)
			a->vlan_proto = 0x88a8;
		else
			return iovs_errf(err, -EINVAL,
					 "%s.vlan_proto: \"%s\" is neither 802.1Q nor 802.1ad",
					 where, buf);
		a->set |= SRIOV_VF_VLAN;
	}
	rc = get_bool(o, where, "spoofchk", &b, &present, err);
	if (rc != 0)
		return rc;
	if (present) {
		a->spoofchk = b;
		a->set |= SRIOV_VF_SPOOFCHK;
	}
	rc = get_bool(o, where, "trust", &b, &present, err);
	if (rc != 0)
		return rc;
	if (present) {
		a->trust = b;
		a->set |= SRIOV_VF_TRUST;
	}
	if (json_object_get(o, "link_state") != NULL) {
		rc = get_str(o, where, "link_state", buf, sizeof(buf), err);
		if (rc != 0)
			return rc;
		i = name_index(buf, link_names, 3);
		if (i < 0)
			return iovs_errf(err, -EINVAL,
					 "%s.link_state: \"%s\" is not auto, enable or disable",
					 where, buf);
		a->link_state = (enum sriov_link_state)i;
		a->set |= SRIOV_VF_LINK_STATE;
	}
	rc = get_uint(o, where, "min_tx_rate", UINT32_MAX, &u, &present, err);
	if (rc != 0)
		return rc;
	if (present) {
		a->min_tx_rate = (uint32_t)u;
		a->set |= SRIOV_VF_RATE;
	}
	rc = get_uint(o, where, "max_tx_rate", UINT32_MAX, &u, &present, err);
	if (rc != 0)
		return rc;
	if (present) {
		a->max_tx_rate = (uint32_t)u;
		a->set |= SRIOV_VF_RATE;
	}
	if (a->max_tx_rate != 0 && a->min_tx_rate > a->max_tx_rate)
		return iovs_errf(err, -EINVAL, "%s: min_tx_rate %u above max_tx_rate %u", where,
				 a->min_tx_rate, a->max_tx_rate);
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
vf_from_json(const json_t *o, const char *where, const struct sriov_addr *pf,
	     struct iovsd_conf *conf, struct iovs_err *err)
{
	struct iovsd_vf_conf vf = {.pf = *pf};
	unsigned long long idx = 0;
	char use[16] = "none";
	bool present;
	int rc, u;

	rc = check_keys(o, where, vf_keys, attr_keys, err);
	if (rc == 0)
		rc = get_uint(o, where, "index", 0xffff, &idx, &present, err);
	if (rc == 0 && !present)
		rc = iovs_errf(err, -EINVAL, "%s: missing key \"index\"", where);
	if (rc == 0)
		rc = get_str(o, where, "driver", vf.driver, sizeof(vf.driver), err);
	if (rc == 0)
		rc = get_str(o, where, "original_driver", vf.original_driver,
			     sizeof(vf.original_driver), err);
	if (rc == 0)
		rc = get_str(o, where, "use", use, sizeof(use), err);
	if (rc == 0)
		rc = get_str(o, where, "port", vf.port, sizeof(vf.port), err);
	if (rc == 0)
		rc = iovsd_vf_attrs_from_json(o, where, &vf.attrs, err);
	if (rc != 0)
		return rc;
	vf.index = (unsigned)idx;
	u = name_index(use, use_names, 3);
	if (u < 0)
		return iovs_errf(err, -EINVAL, "%s.use: \"%s\" is not none, dataplane or vm", where,
				 use);
	vf.use = (enum iovsd_vf_use)u;
	if (vf.use != IOVSD_VF_USE_NONE && strcmp(vf.driver, "vfio-pci") != 0)
		return iovs_errf(err, -EINVAL, "%s: use %s needs driver \"vfio-pci\"", where, use);
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
		unsigned long long n = 0;
		bool present;

		snprintf(where, sizeof(where), "sriov[%zu]", i);
		memset(p, 0, sizeof(*p));
		rc = check_keys(pf, where, pf_keys, NULL, err);
		if (rc == 0)
			rc = get_str(pf, where, "pf", addr, sizeof(addr), err);
		if (rc == 0 && addr[0] == '\0')
			rc = iovs_errf(err, -EINVAL, "%s: missing key \"pf\"", where);
		if (rc == 0) {
			rc = sriov_addr_parse(addr, &p->addr, err);
			if (rc != 0)
				iovs_err_prefix(err, rc, "%s.pf", where);
		}
		if (rc == 0 && iovsd_conf_find_pf(conf, &p->addr) != NULL)
			rc = iovs_errf(err, -EEXIST, "%s: PF %s appears twice", where, addr);
		if (rc == 0)
			rc = get_uint(pf, where, "num_vfs", 0xffff, &n, &present, err);
		if (rc == 0)
			rc = get_bool(pf, where, "autoprobe", &p->autoprobe, &present, err);
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
