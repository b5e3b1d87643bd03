/* iovsd/config.c: the configuration file, JSON <-> struct iovsd_conf.
 *
 * Parse (jansson, strict: unknown keys, duplicate keys and out-of-range numbers
 * are errors naming their JSON path) -> validate (cross-references here, each
 * bridge and port by vswitch/port_conf.c) -> iovsd/main.c applies. Load and
 * save are the only I/O; save replaces the file atomically. Format and error
 * forms: docs/configuration.md.
 */
#include "config.h"
#include "config_json.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The ranges vsw_*_conf_validate() enforce, checked here too so that a number
 * is refused with its JSON path before it is narrowed into the conf. */
#define LCORE_MAX     1023
#define VID_MAX	      4094
#define MAC_TABLE_MIN 16
#define MAC_TABLE_MAX 1048576
#define MAC_AGING_MAX 86400

#define FILE_MAX       (16u << 20)
#define WHERE_SIZE     64	      /* "bridges[15].ports[255]" and a key */
#define VLAN_LIST_SIZE (4096 * 5 + 1) /* each VID at most once, 4 digits and a separator */

static const char *const top_keys[] = {"version", "control_core", "pmd_cores",
				       "bridges", "sriov",	  NULL};
static const char *const bridge_keys[] = {"name", "mac_table_size", "mac_aging_s", "learning",
					  NULL};
static const char *const bridge_file_keys[] = {"name",	"mac_table_size", "mac_aging_s", "learning",
					       "ports", "openflow",	  NULL};
static const char *const openflow_keys[] = {"listen", "controllers", "fail_mode", "datapath_id",
					    NULL};
static const char *const port_keys[] = {"name",	  "type",	 "iface",   "devargs",	 "socket",
					"client", "queues",	 "rxq_pmd", "vlan_mode", "tag",
					"trunks", "native_vlan", "ofport",  NULL};

/* Fills 'err' with "WHERE.KEY: message"; either part may be NULL or empty. */
int
iovsd_json_errf(struct iovs_err *err, int rc, const char *where, const char *key, const char *fmt,
		...)
{
	char msg[IOVS_ERR_MAX];
	va_list ap;

	if (err == NULL)
		return rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	where = where != NULL ? where : "";
	key = key != NULL ? key : "";
	if (*where != '\0' && *key != '\0')
		return iovs_errf(err, rc, "%s.%s: %s", where, key, msg);
	if (*where != '\0' || *key != '\0')
		return iovs_errf(err, rc, "%s: %s", *where != '\0' ? where : key, msg);
	return iovs_errf(err, rc, "%s", msg);
}

/* Prefixes the message already in 'err' with "WHERE.KEY: ". */
static int
path_prefix(struct iovs_err *err, int rc, const char *where, const char *key)
{
	char msg[IOVS_ERR_MAX];

	if (err == NULL)
		return rc;
	memcpy(msg, err->msg, sizeof(msg));
	return iovsd_json_errf(err, rc, where, key, "%s", msg);
}

static const char *
json_kind(const json_t *v)
{
	switch (v != NULL ? json_typeof(v) : JSON_NULL) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		break;
	}
	return "null";
}

int
iovsd_json_check_keys(const json_t *obj, const char *where, const char *const keys[],
		      struct iovs_err *err)
{
	char known[160] = "", q[IOVS_QUOTED_SIZE];
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; keys[i] != NULL && strcmp(key, keys[i]) != 0; i++)
			;
		if (keys[i] != NULL)
			continue;
		for (i = 0; keys[i] != NULL; i++)
			snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
				 i != 0 ? ", " : "", keys[i]);
		return iovsd_json_errf(err, -EINVAL, where, NULL, "unknown key %s (known: %s)",
				       iovs_quote(key, SIZE_MAX, q), known);
	}
	return 0;
}

int
iovsd_json_require(const json_t *obj, const char *where, const char *key, struct iovs_err *err)
{
	if (json_object_get(obj, key) == NULL)
		return iovsd_json_errf(err, -EINVAL, where, NULL, "missing key \"%s\"", key);
	return 0;
}

static int
int_from_json(const json_t *v, const char *where, const char *key, json_int_t min, json_int_t max,
	      json_int_t *out, struct iovs_err *err)
{
	json_int_t i;

	if (!json_is_integer(v))
		return iovsd_json_errf(err, -EINVAL, where, key, "expected an integer, not %s",
				       json_kind(v));
	i = json_integer_value(v);
	if (i < min || i > max)
		return iovsd_json_errf(err, -ERANGE, where, key, "%lld out of range %lld..%lld",
				       (long long)i, (long long)min, (long long)max);
	*out = i;
	return 0;
}

/* Optional integer: '*out' keeps its default when 'key' is absent. */
int
iovsd_json_int(const json_t *obj, const char *where, const char *key, json_int_t min,
	       json_int_t max, json_int_t *out, struct iovs_err *err)
{
	const json_t *v = json_object_get(obj, key);

	return v == NULL ? 0 : int_from_json(v, where, key, min, max, out, err);
}

/* Optional string into dst[size]: 'dst' keeps its default when 'key' is absent. */
int
iovsd_json_string(const json_t *obj, const char *where, const char *key, char *dst, size_t size,
		  struct iovs_err *err)
{
	const json_t *v = json_object_get(obj, key);
	char q[IOVS_QUOTED_SIZE];
	size_t len;

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return iovsd_json_errf(err, -EINVAL, where, key, "expected a string, not %s",
				       json_kind(v));
	len = json_string_length(v);
	if (len >= size)
		return iovsd_json_errf(
			err, -EINVAL, where, key, "%s is too long (%zu bytes, at most %zu)",
			iovs_quote(json_string_value(v), SIZE_MAX, q), len, size - 1);
	memset(dst, 0, size);
	memcpy(dst, json_string_value(v), len);
	return 0;
}

int
iovsd_json_bool(const json_t *obj, const char *where, const char *key, bool *dst,
		struct iovs_err *err)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return iovsd_json_errf(err, -EINVAL, where, key, "expected true or false, not %s",
				       json_kind(v));
	*dst = json_is_true(v);
	return 0;
}

static int
port_ident_from_json(const json_t *obj, const char *where, struct vsw_port_conf *port,
		     struct iovs_err *err)
{
	const json_t *type = json_object_get(obj, "type");
	char q[IOVS_QUOTED_SIZE];
	int rc;

	rc = iovsd_json_require(obj, where, "name", err);
	if (rc == 0)
		rc = iovsd_json_require(obj, where, "type", err);
	if (rc == 0)
		rc = iovsd_json_string(obj, where, "name", port->name, sizeof(port->name), err);
	if (rc != 0)
		return rc;
	if (!json_is_string(type))
		return iovsd_json_errf(err, -EINVAL, where, "type", "expected a string, not %s",
				       json_kind(type));
	if (vsw_port_type_parse(json_string_value(type), &port->type) != 0)
		return iovsd_json_errf(
			err, -EINVAL, where, "type",
			"%s is not a port type (tap, af_packet, af_xdp, null, ring, pci, dpdk, "
			"vhost-user)",
			iovs_quote(json_string_value(type), SIZE_MAX, q));
	rc = iovsd_json_string(obj, where, "iface", port->iface, sizeof(port->iface), err);
	if (rc == 0)
		rc = iovsd_json_string(obj, where, "iface", port->iface, sizeof(port->iface), err);
	if (rc == 0)
		rc = iovsd_json_string(obj, where, "devargs", port->devargs, sizeof(port->devargs),
				       err);
	if (rc == 0)
		rc = iovsd_json_string(obj, where, "socket", port->socket, sizeof(port->socket),
				       err);
	if (rc == 0)
		rc = iovsd_json_bool(obj, where, "client", &port->client, err);
	return rc;
}

/* A queue number as an object key: decimal without leading zeros, so that
 * "0" and "00" cannot both pin queue 0. Returns -1 if 'key' is not one. */
static long
queue_key(const char *key)
{
	size_t len = strlen(key), i;
	long q = 0;

	if (len == 0 || len > 5 || (key[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (key[i] < '0' || key[i] > '9')
			return -1;
		q = q * 10 + (key[i] - '0');
	}
	return q;
}

static int
port_queues_from_json(const json_t *obj, const char *where, struct vsw_port_conf *port,
		      struct iovs_err *err)
{
	const json_t *pins = json_object_get(obj, "rxq_pmd");
	json_int_t n = port->n_queues, pmd;
	char sub[WHERE_SIZE], q[IOVS_QUOTED_SIZE];
	const char *key;
	json_t *v;
	long qid;
	int rc;

	rc = iovsd_json_int(obj, where, "queues", 1, VSW_MAX_QUEUES, &n, err);
	if (rc != 0)
		return rc;
	port->n_queues = (uint16_t)n;
	if (pins == NULL)
		return 0;
	if (!json_is_object(pins))
		return iovsd_json_errf(err, -EINVAL, where, "rxq_pmd",
				       "expected an object such as {\"0\": 1}, not %s",
				       json_kind(pins));
	json_object_foreach((json_t *)pins, key, v) {
		qid = queue_key(key);
		if (qid < 0 || qid >= port->n_queues)
			return iovsd_json_errf(err, -ERANGE, where, "rxq_pmd",
					       "key %s is not a queue number 0..%u (queues is %u)",
					       iovs_quote(key, SIZE_MAX, q), port->n_queues - 1u,
					       port->n_queues);
		snprintf(sub, sizeof(sub), "rxq_pmd[\"%ld\"]", qid);
		rc = int_from_json(v, where, sub, -1, LCORE_MAX, &pmd, err);
		if (rc != 0)
			return rc;
		port->rxq_pmd[qid] = (int16_t)pmd;
	}
	return 0;
}

static int
port_vlan_from_json(const json_t *obj, const char *where, struct vsw_port_conf *port,
		    struct iovs_err *err)
{
	const json_t *mode = json_object_get(obj, "vlan_mode"), *trunks;
	json_int_t tag = 0, native = 0;
	char q[IOVS_QUOTED_SIZE];
	int rc;

	if (mode != NULL && !json_is_string(mode))
		return iovsd_json_errf(err, -EINVAL, where, "vlan_mode",
				       "expected a string, not %s", json_kind(mode));
	if (mode != NULL && strcmp(json_string_value(mode), "trunk") == 0)
		port->vlan.mode = VSW_VLAN_TRUNK;
	else if (mode != NULL && strcmp(json_string_value(mode), "access") != 0)
		return iovsd_json_errf(err, -EINVAL, where, "vlan_mode",
				       "%s is not a VLAN mode (access, trunk)",
				       iovs_quote(json_string_value(mode), SIZE_MAX, q));

	if (port->vlan.mode == VSW_VLAN_ACCESS) {
		if (json_object_get(obj, "trunks") != NULL)
			return iovsd_json_errf(err, -EINVAL, where, "trunks",
					       "only valid with \"vlan_mode\": \"trunk\"");
		if (json_object_get(obj, "native_vlan") != NULL)
			return iovsd_json_errf(err, -EINVAL, where, "native_vlan",
					       "only valid with \"vlan_mode\": \"trunk\"");
		rc = iovsd_json_int(obj, where, "tag", 0, VID_MAX, &tag, err);
		port->vlan.tag = (uint16_t)tag;
		return rc;
	}
	if (json_object_get(obj, "tag") != NULL)
		return iovsd_json_errf(err, -EINVAL, where, "tag",
				       "only valid with \"vlan_mode\": \"access\"");
	rc = iovsd_json_int(obj, where, "native_vlan", 0, VID_MAX, &native, err);
	if (rc != 0)
		return rc;
	port->vlan.native = (uint16_t)native;
	trunks = json_object_get(obj, "trunks");
	if (trunks == NULL) {
		port->vlan.trunks_all = true;
		return 0;
	}
	if (!json_is_string(trunks))
		return iovsd_json_errf(err, -EINVAL, where, "trunks",
				       "expected a string such as \"10,20-30\" or \"all\", not %s",
				       json_kind(trunks));
	rc = vsw_vlan_list_parse(json_string_value(trunks), &port->vlan, err);
	return rc != 0 ? path_prefix(err, rc, where, "trunks") : 0;
}

int
iovsd_port_conf_from_json(const json_t *obj, const char *where, struct vsw_port_conf *port,
			  struct iovs_err *err)
{
	int rc;

	vsw_port_conf_init(port);
	if (!json_is_object(obj))
		return iovsd_json_errf(err, -EINVAL, where, NULL, "expected an object, not %s",
				       json_kind(obj));
	rc = iovsd_json_check_keys(obj, where, port_keys, err);
	if (rc == 0)
		rc = port_ident_from_json(obj, where, port, err);
	if (rc == 0)
		rc = port_queues_from_json(obj, where, port, err);
	if (rc == 0)
		rc = port_vlan_from_json(obj, where, port, err);
	return rc;
}

/* 'in_file': the object may hold "ports" (read by the caller). */
static int
bridge_from_json(const json_t *obj, const char *where, bool in_file, struct vsw_bridge_conf *bridge,
		 struct iovs_err *err)
{
	json_int_t size = 0, aging = 0;
	bool learning = true;
	int rc;

	vsw_bridge_conf_init(bridge);
	size = bridge->mac_table_size;
	aging = bridge->mac_aging_s;
	if (!json_is_object(obj))
		return iovsd_json_errf(err, -EINVAL, where, NULL, "expected an object, not %s",
				       json_kind(obj));
	rc = iovsd_json_check_keys(obj, where, in_file ? bridge_file_keys : bridge_keys, err);
	if (rc == 0)
		rc = iovsd_json_require(obj, where, "name", err);
	if (rc == 0)
		rc = iovsd_json_string(obj, where, "name", bridge->name, sizeof(bridge->name), err);
	if (rc == 0)
		rc = iovsd_json_int(obj, where, "mac_table_size", MAC_TABLE_MIN, MAC_TABLE_MAX,
				    &size, err);
	if (rc == 0)
		rc = iovsd_json_int(obj, where, "mac_aging_s", 1, MAC_AGING_MAX, &aging, err);
	if (rc == 0)
		rc = iovsd_json_bool(obj, where, "learning", &learning, err);
	bridge->no_learning = !learning;
	bridge->mac_table_size = (uint32_t)size;
	bridge->mac_aging_s = (uint32_t)aging;
	return rc;
}

int
iovsd_bridge_conf_from_json(const json_t *obj, const char *where, struct vsw_bridge_conf *bridge,
			    struct iovs_err *err)
{
	return bridge_from_json(obj, where, false, bridge, err);
}

int
iovsd_port_ofport_from_json(const json_t *obj, const char *where, uint32_t *ofport,
			    struct iovs_err *err)
{
	json_int_t v = 0;
	int rc = iovsd_json_int(obj, where, "ofport", 1, IOVSD_OFPORT_MAX, &v, err);

	*ofport = (uint32_t)v;
	return rc;
}

/* "datapath_id": 16 hex digits (an optional "0x"), as ovs-ofctl shows it. */
static int
dpid_from_json(const json_t *obj, const char *where, uint64_t *dpid, struct iovs_err *err)
{
	const json_t *v = json_object_get(obj, "datapath_id");
	const char *s;
	char *end;

	*dpid = 0;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return iovsd_json_errf(err, -EINVAL, where, "datapath_id",
				       "expected a string of hex digits, not %s", json_kind(v));
	s = json_string_value(v);
	if (strncmp(s, "0x", 2) == 0)
		s += 2;
	errno = 0;
	*dpid = strtoull(s, &end, 16);
	if (*s == '\0' || *end != '\0' || strlen(s) > 16 || errno != 0 || *dpid == 0 ||
	    strspn(s, "0123456789abcdefABCDEF") != strlen(s))
		return iovsd_json_errf(err, -EINVAL, where, "datapath_id",
				       "\"%s\": expected 1 to 16 hex digits, not all zero",
				       json_string_value(v));
	return 0;
}

static int
controllers_from_json(const json_t *obj, const char *where, struct ofl_dp_conf *dp,
		      struct iovs_err *err)
{
	const json_t *list = json_object_get(obj, "controllers");
	char sub[WHERE_SIZE + 32];
	json_t *v;
	size_t i;
	int rc;

	if (list == NULL)
		return 0;
	if (!json_is_array(list))
		return iovsd_json_errf(err, -EINVAL, where, "controllers",
				       "expected an array, not %s", json_kind(list));
	if (json_array_size(list) > OFL_MAX_CONTROLLERS)
		return iovsd_json_errf(err, -E2BIG, where, "controllers",
				       "%zu controllers, at most %d", json_array_size(list),
				       OFL_MAX_CONTROLLERS);
	json_array_foreach(list, i, v) {
		struct ofl_target t;

		snprintf(sub, sizeof(sub), "%s.controllers[%zu]", where, i);
		if (!json_is_string(v) || json_string_length(v) >= OFL_TARGET_MAX)
			return iovsd_json_errf(err, -EINVAL, sub, NULL,
					       "expected a string such as \"tcp:127.0.0.1:6633\"");
		rc = ofl_controller_parse(json_string_value(v), &t, err);
		if (rc != 0)
			return path_prefix(err, rc, sub, NULL);
		snprintf(dp->controllers[i], sizeof(dp->controllers[i]), "%s",
			 json_string_value(v));
		dp->n_controllers++;
	}
	return 0;
}

int
iovsd_of_conf_from_json(const json_t *obj, const char *where, const char *bridge,
			struct iovsd_of_conf *of, struct iovs_err *err)
{
	char fail_mode[16] = "standalone";
	struct ofl_target t;
	int rc;

	memset(of, 0, sizeof(*of));
	if (!json_is_object(obj))
		return iovsd_json_errf(err, -EINVAL, where, NULL, "expected an object, not %s",
				       json_kind(obj));
	of->enabled = true;
	snprintf(of->dp.name, sizeof(of->dp.name), "%s", bridge);
	snprintf(of->dp.listen, sizeof(of->dp.listen), "%s", OFL_DEFAULT_LISTEN);
	rc = iovsd_json_check_keys(obj, where, openflow_keys, err);
	if (rc == 0)
		rc = iovsd_json_string(obj, where, "listen", of->dp.listen, sizeof(of->dp.listen),
				       err);
	if (rc == 0) {
		rc = ofl_listen_parse(of->dp.listen, &t, err);
		if (rc != 0)
			return path_prefix(err, rc, where, "listen");
	}
	if (rc == 0)
		rc = controllers_from_json(obj, where, &of->dp, err);
	if (rc == 0)
		rc = iovsd_json_string(obj, where, "fail_mode", fail_mode, sizeof(fail_mode), err);
	if (rc == 0 && strcmp(fail_mode, "secure") != 0 && strcmp(fail_mode, "standalone") != 0)
		rc = iovsd_json_errf(err, -EINVAL, where, "fail_mode",
				     "\"%s\": expected \"secure\" or \"standalone\"", fail_mode);
	of->dp.fail_mode =
		strcmp(fail_mode, "standalone") == 0 ? OFL_FAIL_STANDALONE : OFL_FAIL_SECURE;
	if (rc == 0)
		rc = dpid_from_json(obj, where, &of->dp.datapath_id, err);
	return rc;
}

json_t *
iovsd_of_conf_to_json(const struct iovsd_of_conf *of)
{
	json_t *o = json_object(), *list = json_array();
	char dpid[24];
	unsigned i;
	int rc = 0;

	if (o == NULL || list == NULL)
		goto err_free;
	rc |= json_object_set_new(o, "listen",
				  json_string(of->dp.listen[0] ? of->dp.listen : "none"));
	for (i = 0; i < of->dp.n_controllers && i < OFL_MAX_CONTROLLERS; i++)
		rc |= json_array_append_new(list, json_string(of->dp.controllers[i]));
	rc |= json_object_set(o, "controllers", list);
	rc |= json_object_set_new(
		o, "fail_mode",
		json_string(of->dp.fail_mode == OFL_FAIL_STANDALONE ? "standalone" : "secure"));
	if (of->dp.datapath_id != 0) {
		snprintf(dpid, sizeof(dpid), "%016llx", (unsigned long long)of->dp.datapath_id);
		rc |= json_object_set_new(o, "datapath_id", json_string(dpid));
	}
	if (rc != 0)
		goto err_free;
	json_decref(list);
	return o;
err_free:
	json_decref(list);
	json_decref(o);
	return NULL;
}

/* The lowest OpenFlow port number free in 'bridge' (0 if none). */
static uint32_t
ofport_free(const struct iovsd_conf *conf, const char *bridge)
{
	uint32_t n;
	unsigned i;

	for (n = 1; n <= IOVSD_OFPORT_MAX; n++) {
		for (i = 0; i < conf->n_ports; i++)
			if (conf->ofport[i] == n && strcmp(conf->ports[i].bridge, bridge) == 0)
				break;
		if (i == conf->n_ports)
			return n;
	}
	return 0;
}

/* Ports without "ofport" get the lowest free number of their bridge, in file
 * order; saved back, the numbers then stay across restarts. */
static void
ofports_assign(struct iovsd_conf *conf)
{
	unsigned i;

	for (i = 0; i < conf->n_ports; i++)
		if (conf->ofport[i] == 0)
			conf->ofport[i] = ofport_free(conf, conf->ports[i].bridge);
}

/* The "ports" of the bridge object 'obj', appended to conf->ports. */
static int
ports_from_json(const json_t *obj, const char *where, const char *bridge, struct iovsd_conf *conf,
		struct iovs_err *err)
{
	const json_t *ports = json_object_get(obj, "ports");
	char sub[WHERE_SIZE + 32];
	struct vsw_port_conf *port;
	json_t *v;
	size_t i;
	int rc;

	if (ports == NULL)
		return 0;
	if (!json_is_array(ports))
		return iovsd_json_errf(err, -EINVAL, where, "ports", "expected an array, not %s",
				       json_kind(ports));
	json_array_foreach(ports, i, v) {
		snprintf(sub, sizeof(sub), "%s.ports[%zu]", where, i);
		if (conf->n_ports == VSW_MAX_PORTS)
			return iovsd_json_errf(err, -E2BIG, sub, NULL,
					       "too many ports: at most %d in all bridges together",
					       VSW_MAX_PORTS);
		port = &conf->ports[conf->n_ports];
		rc = iovsd_port_conf_from_json(v, sub, port, err);
		if (rc == 0)
			rc = iovsd_port_ofport_from_json(v, sub, &conf->ofport[conf->n_ports], err);
		if (rc != 0)
			return rc;
		memcpy(port->bridge, bridge, sizeof(port->bridge));
		conf->n_ports++;
	}
	return 0;
}

static int
cores_from_json(const json_t *root, struct iovsd_conf *conf, struct iovs_err *err)
{
	const json_t *cores = json_object_get(root, "pmd_cores");
	json_int_t core = conf->control_core;
	char sub[WHERE_SIZE];
	json_t *v;
	size_t i;
	int rc;

	rc = iovsd_json_int(root, NULL, "control_core", -1, LCORE_MAX, &core, err);
	if (rc != 0)
		return rc;
	conf->control_core = (int)core;
	if (cores == NULL)
		return 0;
	if (!json_is_array(cores))
		return iovsd_json_errf(err, -EINVAL, NULL, "pmd_cores", "expected an array, not %s",
				       json_kind(cores));
	if (json_array_size(cores) > VSW_MAX_PMDS)
		return iovsd_json_errf(err, -E2BIG, NULL, "pmd_cores", "%zu cores, at most %d",
				       json_array_size(cores), VSW_MAX_PMDS);
	json_array_foreach(cores, i, v) {
		snprintf(sub, sizeof(sub), "pmd_cores[%zu]", i);
		rc = int_from_json(v, NULL, sub, 0, LCORE_MAX, &core, err);
		if (rc != 0)
			return rc;
		conf->pmd_cores[conf->n_pmd_cores++] = (unsigned)core;
	}
	return 0;
}

static int
conf_from_json(const json_t *root, struct iovsd_conf *conf, struct iovs_err *err)
{
	const json_t *bridges = json_object_get(root, "bridges");
	json_int_t version = IOVSD_CONF_VERSION;
	char where[WHERE_SIZE];
	json_t *v;
	size_t i;
	int rc;

	memset(conf, 0, sizeof(*conf));
	conf->control_core = -1;
	if (!json_is_object(root))
		return iovs_errf(err, -EINVAL, "expected an object at the top level, not %s",
				 json_kind(root));
	rc = iovsd_json_check_keys(root, NULL, top_keys, err);
	if (rc == 0)
		rc = iovsd_json_int(root, NULL, "version", LLONG_MIN, LLONG_MAX, &version, err);
	if (rc == 0 && version != IOVSD_CONF_VERSION)
		rc = iovsd_json_errf(err, -EINVAL, NULL, "version",
				     "%lld is not supported (this iovsd reads version %d)",
				     (long long)version, IOVSD_CONF_VERSION);
	if (rc == 0)
		rc = cores_from_json(root, conf, err);
	if (rc == 0)
		rc = iovsd_json_require(root, NULL, "bridges", err);
	if (rc != 0)
		return rc;
	if (!json_is_array(bridges))
		return iovsd_json_errf(err, -EINVAL, NULL, "bridges", "expected an array, not %s",
				       json_kind(bridges));
	if (json_array_size(bridges) > VSW_MAX_BRIDGES)
		return iovsd_json_errf(err, -E2BIG, NULL, "bridges", "%zu bridges, at most %d",
				       json_array_size(bridges), VSW_MAX_BRIDGES);
	json_array_foreach(bridges, i, v) {
		snprintf(where, sizeof(where), "bridges[%zu]", i);
		rc = bridge_from_json(v, where, true, &conf->bridges[i], err);
		if (rc == 0)
			rc = ports_from_json(v, where, conf->bridges[i].name, conf, err);
		if (rc == 0 && json_object_get(v, "openflow") != NULL) {
			char sub[WHERE_SIZE + 16];

			snprintf(sub, sizeof(sub), "%s.openflow", where);
			rc = iovsd_of_conf_from_json(json_object_get(v, "openflow"), sub,
						     conf->bridges[i].name, &conf->openflow[i],
						     err);
		}
		if (rc != 0)
			return rc;
		conf->n_bridges++;
	}
	ofports_assign(conf);
	if (json_object_get(root, "sriov") != NULL)
		return iovsd_sriov_conf_from_json(json_object_get(root, "sriov"), conf, err);
	return 0;
}

/* 'syntax' tells a "LINE:COL: " message from a "JSON.PATH: " one. */
static int
conf_parse(const char *text, size_t len, struct iovsd_conf *conf, bool *syntax,
	   struct iovs_err *err)
{
	struct iovsd_conf *tmp;
	json_error_t jerr;
	json_t *root;
	int rc;

	*syntax = false;
	if (text == NULL && len != 0)
		return iovs_errf(err, -EINVAL, "no text");
	root = json_loadb(text != NULL ? text : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		*syntax = true;
		return iovs_errf(err, -EINVAL, "%d:%d: %s", jerr.line, jerr.column, jerr.text);
	}
	tmp = malloc(sizeof(*tmp));
	if (tmp == NULL) {
		json_decref(root);
		return iovs_errf(err, -ENOMEM, "out of memory");
	}
	rc = conf_from_json(root, tmp, err);
	json_decref(root);
	if (rc == 0)
		rc = iovsd_conf_validate(tmp, err);
	if (rc == 0)
		memcpy(conf, tmp, sizeof(*conf));
	free(tmp);
	return rc;
}

int
iovsd_conf_parse(const char *text, size_t len, struct iovsd_conf *conf, struct iovs_err *err)
{
	bool syntax;

	return conf_parse(text, len, conf, &syntax, err);
}

/* ---- validate ---- */

static int
find_bridge_index(const struct iovsd_conf *conf, const char *name)
{
	unsigned b;

	for (b = 0; b < conf->n_bridges && b < VSW_MAX_BRIDGES; b++)
		if (strncmp(conf->bridges[b].name, name, VSW_NAME_MAX) == 0)
			return (int)b;
	return -1;
}

/* Where port 'i' sits in the file iovsd_conf_to_json() writes:
 * "bridges[B].ports[K]", or "ports[I]" when its bridge does not exist. */
static void
port_where(const struct iovsd_conf *conf, unsigned i, char *buf, size_t size)
{
	const char *bridge = conf->ports[i].bridge;
	int b = find_bridge_index(conf, bridge);
	unsigned j, k = 0;

	if (b < 0) {
		snprintf(buf, size, "ports[%u]", i);
		return;
	}
	for (j = 0; j < i; j++)
		k += strncmp(conf->ports[j].bridge, bridge, VSW_NAME_MAX) == 0;
	snprintf(buf, size, "bridges[%d].ports[%u]", b, k);
}

/* The kernel interface a port opens or creates, or NULL. */
static const char *
port_ifname(const struct vsw_port_conf *p)
{
	if (p->type == VSW_PORT_TAP)
		return p->iface[0] != '\0' ? p->iface : p->name;
	if (p->type == VSW_PORT_AF_PACKET || p->type == VSW_PORT_AF_XDP)
		return p->iface;
	return NULL;
}

static int
validate_cores(const struct iovsd_conf *conf, struct iovs_err *err)
{
	unsigned i, j;

	if (conf->n_bridges > VSW_MAX_BRIDGES)
		return iovs_errf(err, -E2BIG, "bridges: %u bridges, at most %d", conf->n_bridges,
				 VSW_MAX_BRIDGES);
	if (conf->n_ports > VSW_MAX_PORTS)
		return iovs_errf(err, -E2BIG, "ports: %u ports, at most %d", conf->n_ports,
				 VSW_MAX_PORTS);
	if (conf->n_pmd_cores > VSW_MAX_PMDS)
		return iovs_errf(err, -E2BIG, "pmd_cores: %u cores, at most %d", conf->n_pmd_cores,
				 VSW_MAX_PMDS);
	if (conf->control_core < -1 || conf->control_core > LCORE_MAX)
		return iovs_errf(err, -ERANGE, "control_core: %d out of range -1..%d",
				 conf->control_core, LCORE_MAX);
	for (i = 0; i < conf->n_pmd_cores; i++) {
		unsigned core = conf->pmd_cores[i];

		if (core > LCORE_MAX)
			return iovs_errf(err, -ERANGE, "pmd_cores[%u]: %u out of range 0..%d", i,
					 core, LCORE_MAX);
		if ((int)core == conf->control_core)
			return iovs_errf(err, -EINVAL, "pmd_cores[%u]: core %u is the control_core",
					 i, core);
		for (j = 0; j < i; j++)
			if (conf->pmd_cores[j] == core)
				return iovs_errf(err, -EINVAL,
						 "pmd_cores[%u]: core %u is already pmd_cores[%u]",
						 i, core, j);
	}
	return 0;
}

static int
validate_bridges(const struct iovsd_conf *conf, struct iovs_err *err)
{
	unsigned b, j;
	int rc;

	for (b = 0; b < conf->n_bridges; b++) {
		rc = vsw_bridge_conf_validate(&conf->bridges[b], err);
		if (rc != 0)
			return iovs_err_prefix(err, rc, "bridges[%u]", b);
		for (j = 0; j < b; j++)
			if (strcmp(conf->bridges[j].name, conf->bridges[b].name) == 0)
				return iovs_errf(err, -EEXIST,
						 "bridges[%u].name: \"%s\" is already bridges[%u]",
						 b, conf->bridges[b].name, j);
	}
	return 0;
}

/* Rx queues pinned to cores that will not poll them. */
static int
validate_pins(const struct iovsd_conf *conf, const struct vsw_port_conf *p, const char *where,
	      struct iovs_err *err)
{
	unsigned q, i;

	for (q = 0; q < p->n_queues; q++) {
		int pmd = p->rxq_pmd[q];

		if (pmd < 0)
			continue;
		if (pmd == conf->control_core)
			return iovs_errf(err, -EINVAL,
					 "%s.rxq_pmd[\"%u\"]: core %d is the control_core", where,
					 q, pmd);
		for (i = 0; i < conf->n_pmd_cores && conf->pmd_cores[i] != (unsigned)pmd; i++)
			;
		if (conf->n_pmd_cores != 0 && i == conf->n_pmd_cores)
			return iovs_errf(err, -EINVAL,
					 "%s.rxq_pmd[\"%u\"]: core %d is not in pmd_cores", where,
					 q, pmd);
	}
	return 0;
}

static int
validate_port(const struct iovsd_conf *conf, unsigned i, struct iovs_err *err)
{
	const struct vsw_port_conf *p = &conf->ports[i];
	char where[WHERE_SIZE], other[WHERE_SIZE];
	const char *ifname;
	unsigned j;
	int rc;

	port_where(conf, i, where, sizeof(where));
	rc = vsw_port_conf_validate(p, err);
	if (rc != 0)
		return iovs_err_prefix(err, rc, "%s", where);
	if (find_bridge_index(conf, p->bridge) < 0)
		return iovs_errf(err, -ENOENT, "%s: bridge \"%s\" does not exist", where,
				 p->bridge);
	ifname = port_ifname(p);
	/* 0: not assigned yet (a conf built by hand); parse and add assign. */
	if (conf->ofport[i] > IOVSD_OFPORT_MAX)
		return iovs_errf(err, -ERANGE, "%s.ofport: %u is out of range (1..%u)", where,
				 conf->ofport[i], IOVSD_OFPORT_MAX);
	for (j = 0; conf->ofport[i] != 0 && j < i; j++) {
		if (conf->ofport[j] != conf->ofport[i] || strcmp(conf->ports[j].bridge, p->bridge))
			continue;
		port_where(conf, j, other, sizeof(other));
		return iovs_errf(err, -EEXIST, "%s.ofport: %u is already %s's", where,
				 conf->ofport[i], other);
	}
	for (j = 0; j < i; j++) {
		const struct vsw_port_conf *o = &conf->ports[j];
		const char *o_ifname = port_ifname(o);
		bool same_name = strcmp(o->name, p->name) == 0;
		bool same_socket = p->socket[0] != '\0' && strcmp(p->socket, o->socket) == 0;

		if (!same_name && !same_socket &&
		    (ifname == NULL || o_ifname == NULL || strcmp(ifname, o_ifname) != 0))
			continue;
		port_where(conf, j, other, sizeof(other));
		if (same_name)
			return iovs_errf(err, -EEXIST, "%s.name: \"%s\" is already %s", where,
					 p->name, other);
		if (same_socket)
			return iovs_errf(err, -EEXIST, "%s.socket: \"%s\" is already used by %s",
					 where, p->socket, other);
		return iovs_errf(err, -EEXIST, "%s.iface: interface \"%s\" is already used by %s",
				 where, ifname, other);
	}
	return validate_pins(conf, p, where, err);
}

/* A listener serves one datapath: two bridges cannot share a TCP port on
 * addresses that overlap (the same one, or 0.0.0.0). */
static int
validate_listeners(const struct iovsd_conf *conf, struct iovs_err *err)
{
	struct ofl_target t[VSW_MAX_BRIDGES];
	unsigned b, j;
	int rc;

	for (b = 0; b < conf->n_bridges; b++) {
		const struct iovsd_of_conf *of = &conf->openflow[b];

		t[b] = (struct ofl_target){0};
		if (!of->enabled)
			continue;
		rc = ofl_listen_parse(of->dp.listen, &t[b], err);
		if (rc != 0)
			return iovs_err_prefix(err, rc, "bridges[%u].openflow.listen", b);
		for (j = 0; j < b; j++)
			if (t[b].port != 0 && t[j].port == t[b].port &&
			    (t[j].addr == t[b].addr || t[j].addr == 0 || t[b].addr == 0))
				return iovs_errf(
					err, -EEXIST,
					"bridges[%u].openflow.listen: port %u is already "
					"bridges[%u]'s (a listener serves one bridge: give "
					"each bridge its own port)",
					b, t[b].port, j);
	}
	return 0;
}

int
iovsd_conf_validate(const struct iovsd_conf *conf, struct iovs_err *err)
{
	unsigned i;
	int rc;

	rc = validate_cores(conf, err);
	if (rc == 0)
		rc = validate_bridges(conf, err);
	for (i = 0; rc == 0 && i < conf->n_ports; i++)
		rc = validate_port(conf, i, err);
	if (rc == 0)
		rc = validate_listeners(conf, err);
	return rc;
}

/* ---- to JSON ---- */

json_t *
iovsd_port_conf_to_json(const struct vsw_port_conf *p)
{
	json_t *o = json_object(), *pins = json_object();
	char trunks[VLAN_LIST_SIZE];
	int rc = 0;
	unsigned q;

	if (o == NULL || pins == NULL)
		goto err_free;
	rc |= json_object_set_new(o, "name", json_stringn(p->name, strnlen(p->name, VSW_NAME_MAX)));
	rc |= json_object_set_new(o, "type", json_string(vsw_port_type_name(p->type)));
	if (p->iface[0] != '\0')
		rc |= json_object_set_new(
			o, "iface", json_stringn(p->iface, strnlen(p->iface, VSW_IFNAME_MAX)));
	if (p->devargs[0] != '\0')
		rc |= json_object_set_new(
			o, "devargs",
			json_stringn(p->devargs, strnlen(p->devargs, VSW_DEVARGS_MAX)));
	if (p->socket[0] != '\0')
		rc |= json_object_set_new(
			o, "socket", json_stringn(p->socket, strnlen(p->socket, VSW_PATH_MAX)));
	if (p->type == VSW_PORT_VHOST_USER)
		rc |= json_object_set_new(o, "client", json_boolean(p->client));
	rc |= json_object_set_new(o, "queues", json_integer(p->n_queues));
	for (q = 0; q < VSW_MAX_QUEUES; q++) {
		char key[8];

		if (p->rxq_pmd[q] == -1)
			continue;
		snprintf(key, sizeof(key), "%u", q);
		rc |= json_object_set_new(pins, key, json_integer(p->rxq_pmd[q]));
	}
	if (json_object_size(pins) != 0)
		rc |= json_object_set(o, "rxq_pmd", pins);
	if (p->vlan.mode == VSW_VLAN_TRUNK) {
		vsw_vlan_list_format(&p->vlan, trunks, sizeof(trunks));
		rc |= json_object_set_new(o, "vlan_mode", json_string("trunk"));
		rc |= json_object_set_new(o, "trunks", json_string(trunks));
		rc |= json_object_set_new(o, "native_vlan", json_integer(p->vlan.native));
	} else {
		rc |= json_object_set_new(o, "vlan_mode", json_string("access"));
		rc |= json_object_set_new(o, "tag", json_integer(p->vlan.tag));
	}
	if (rc != 0)
		goto err_free;
	json_decref(pins);
	return o;
err_free:
	json_decref(pins);
	json_decref(o);
	return NULL;
}

static json_t *
bridge_to_json(const struct iovsd_conf *conf, const struct vsw_bridge_conf *b)
{
	const struct iovsd_of_conf *of = &conf->openflow[b - conf->bridges];
	json_t *o = json_object(), *ports = json_array();
	int rc = 0;
	unsigned i;

	if (o == NULL || ports == NULL)
		goto err_free;
	rc |= json_object_set_new(o, "name", json_stringn(b->name, strnlen(b->name, VSW_NAME_MAX)));
	rc |= json_object_set_new(o, "mac_table_size", json_integer(b->mac_table_size));
	rc |= json_object_set_new(o, "mac_aging_s", json_integer(b->mac_aging_s));
	if (b->no_learning)
		rc |= json_object_set_new(o, "learning", json_false());
	for (i = 0; i < conf->n_ports && i < VSW_MAX_PORTS; i++) {
		json_t *po;

		if (strncmp(conf->ports[i].bridge, b->name, VSW_NAME_MAX) != 0)
			continue;
		po = iovsd_port_conf_to_json(&conf->ports[i]);
		if (po != NULL && conf->ofport[i] != 0)
			rc |= json_object_set_new(po, "ofport", json_integer(conf->ofport[i]));
		rc |= json_array_append_new(ports, po);
	}
	rc |= json_object_set(o, "ports", ports);
	if (of->enabled)
		rc |= json_object_set_new(o, "openflow", iovsd_of_conf_to_json(of));
	if (rc != 0)
		goto err_free;
	json_decref(ports);
	return o;
err_free:
	json_decref(ports);
	json_decref(o);
	return NULL;
}

json_t *
iovsd_conf_to_json(const struct iovsd_conf *conf)
{
	json_t *o = json_object(), *cores = json_array(), *bridges = json_array();
	int rc = 0;
	unsigned i;

	if (o == NULL || cores == NULL || bridges == NULL)
		goto err_free;
	rc |= json_object_set_new(o, "version", json_integer(IOVSD_CONF_VERSION));
	rc |= json_object_set_new(o, "control_core", json_integer(conf->control_core));
	for (i = 0; i < conf->n_pmd_cores && i < VSW_MAX_PMDS; i++)
		rc |= json_array_append_new(cores, json_integer(conf->pmd_cores[i]));
	rc |= json_object_set(o, "pmd_cores", cores);
	for (i = 0; i < conf->n_bridges && i < VSW_MAX_BRIDGES; i++)
		rc |= json_array_append_new(bridges, bridge_to_json(conf, &conf->bridges[i]));
	rc |= json_object_set(o, "bridges", bridges);
	if (conf->n_pfs != 0)
		rc |= json_object_set_new(o, "sriov", iovsd_sriov_conf_to_json(conf));
	if (rc != 0)
		goto err_free;
	json_decref(cores);
	json_decref(bridges);
	return o;
err_free:
	json_decref(cores);
	json_decref(bridges);
	json_decref(o);
	return NULL;
}

/* ---- files ---- */

static int
read_file(const char *path, char **out, size_t *out_len, struct iovs_err *err)
{
	size_t len = 0, cap;
	char *buf, *nbuf;
	struct stat st;
	ssize_t n;
	int fd, rc;

	/* O_NONBLOCK: a FIFO must not hang us; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return iovs_errf(err, -ENOENT, "%s: no such file", path);
	if (fd < 0)
		return iovs_errf(err, -errno, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = iovs_errf(err, -errno, "%s: cannot stat: %s", path, strerror(errno));
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = iovs_errf(err, -EINVAL, "%s: not a regular file", path);
		goto err_close;
	}
	if (st.st_size > (off_t)FILE_MAX) {
		rc = iovs_errf(err, -EFBIG, "%s: %lld bytes, more than the limit of %u MiB", path,
			       (long long)st.st_size, FILE_MAX >> 20);
		goto err_close;
	}
	/* The file may grow while we read: read to the end, up to the limit. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (buf == NULL) {
		rc = iovs_errf(err, -ENOMEM, "%s: out of memory", path);
		goto err_close;
	}
	for (;;) {
		if (len == cap) {
			if (cap > FILE_MAX) {
				rc = iovs_errf(err, -EFBIG, "%s: more than the limit of %u MiB",
					       path, FILE_MAX >> 20);
				goto err_free;
			}
			cap = cap * 2 > FILE_MAX + 1 ? FILE_MAX + 1 : cap * 2;
			nbuf = realloc(buf, cap);
			if (nbuf == NULL) {
				rc = iovs_errf(err, -ENOMEM, "%s: out of memory", path);
				goto err_free;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = iovs_errf(err, -errno, "%s: read failed: %s", path, strerror(errno));
			goto err_free;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*out = buf;
	*out_len = len;
	return 0;
err_free:
	free(buf);
err_close:
	close(fd);
	return rc;
}

int
iovsd_conf_load(const char *path, struct iovsd_conf *conf, struct iovs_err *err)
{
	char *text = NULL, msg[IOVS_ERR_MAX];
	size_t len = 0;
	bool syntax;
	int rc;

	rc = read_file(path, &text, &len, err);
	if (rc != 0)
		return rc;
	rc = conf_parse(text, len, conf, &syntax, err);
	free(text);
	if (rc == 0 || err == NULL)
		return rc;
	memcpy(msg, err->msg, sizeof(msg));
	/* "PATH:LINE:COL: ..." like a compiler; "PATH: JSON.PATH: ..." otherwise. */
	return iovs_errf(err, rc, syntax ? "%s:%s" : "%s: %s", path, msg);
}

static int
write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len != 0) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync()s the directory holding 'path', so that the rename is durable. */
static int
sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Temporary file in the same directory, fsync, rename over 'path', fsync the
 * directory: a reader (or a crash) sees the old file or the new one, whole. */
static int
write_atomically(const char *path, const char *data, size_t len, struct iovs_err *err)
{
	char tmp[PATH_MAX];
	const char *step;
	int fd, rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
		return iovs_errf(err, -ENAMETOOLONG, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0 && errno == EEXIST) {
		/* Left by a crashed iovsd that had our pid (pid 1 in a container). */
		unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	}
	if (fd < 0)
		return iovs_errf(err, -errno, "%s: cannot create temporary file %s: %s", path, tmp,
				 strerror(errno));
	step = "write";
	rc = write_all(fd, data, len);
	if (rc == 0) {
		step = "fsync";
		rc = fsync(fd) != 0 ? -errno : 0;
	}
	if (close(fd) != 0 && rc == 0) {
		step = "close";
		rc = -errno;
	}
	if (rc == 0) {
		step = "rename";
		rc = rename(tmp, path) != 0 ? -errno : 0;
	}
	if (rc != 0) {
		unlink(tmp);
		return iovs_errf(err, rc, "%s: %s of temporary file %s failed: %s", path, step, tmp,
				 strerror(-rc));
	}
	rc = sync_dir(path);
	if (rc != 0)
		return iovs_errf(err, rc, "%s: written, but fsync of its directory failed: %s",
				 path, strerror(-rc));
	return 0;
}

/* A file that is there but does not load is the operator's to fix: it is
 * never replaced (a half-edited file, one from a newer iovsd). */
static int
check_replaceable(const char *path, struct iovs_err *err)
{
	struct iovsd_conf *old = malloc(sizeof(*old));
	struct iovs_err why = {{0}};
	int rc;

	if (old == NULL)
		return iovs_errf(err, -ENOMEM, "%s: not saved: out of memory", path);
	rc = iovsd_conf_load(path, old, &why);
	free(old);
	if (rc == 0 || rc == -ENOENT)
		return 0;
	return iovs_errf(err, rc, "not saved: the file there does not load, fix or remove it: %s",
			 why.msg);
}

int
iovsd_conf_save(const char *path, const struct iovsd_conf *conf, struct iovs_err *err)
{
	char *text, *line;
	json_t *root;
	size_t len;
	int rc;

	rc = iovsd_conf_validate(conf, err);
	if (rc != 0)
		return iovs_err_prefix(err, rc, "%s: not saved", path);
	rc = check_replaceable(path, err);
	if (rc != 0)
		return rc;
	root = iovsd_conf_to_json(conf);
	text = root != NULL ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(root);
	/* json_dumps() ends without a newline; text files have one. */
	len = text != NULL ? strlen(text) : 0;
	line = text != NULL ? realloc(text, len + 2) : NULL;
	if (line == NULL) {
		free(text);
		return iovs_errf(err, -ENOMEM, "%s: not saved: out of memory", path);
	}
	memcpy(line + len, "\n", 2);
	rc = write_atomically(path, line, len + 1, err);
	free(line);
	return rc;
}

/* ---- defaults and edits ---- */

void
iovsd_conf_default(struct iovsd_conf *conf)
{
	struct vsw_bridge_conf *br = &conf->bridges[0];
	struct vsw_port_conf *host = &conf->ports[0];

	memset(conf, 0, sizeof(*conf));
	conf->control_core = -1;
	vsw_bridge_conf_init(br);
	snprintf(br->name, sizeof(br->name), "br0");
	conf->n_bridges = 1;
	vsw_port_conf_init(host);
	snprintf(host->name, sizeof(host->name), "host0");
	snprintf(host->bridge, sizeof(host->bridge), "br0");
	snprintf(host->iface, sizeof(host->iface), "iovs0");
	host->type = VSW_PORT_TAP;
	conf->n_ports = 1;
	conf->ofport[0] = 1;
}

const struct vsw_port_conf *
iovsd_conf_find_port(const struct iovsd_conf *conf, const char *name)
{
	unsigned i;

	for (i = 0; i < conf->n_ports && i < VSW_MAX_PORTS; i++)
		if (strncmp(conf->ports[i].name, name, VSW_NAME_MAX) == 0)
			return &conf->ports[i];
	return NULL;
}

const struct vsw_bridge_conf *
iovsd_conf_find_bridge(const struct iovsd_conf *conf, const char *name)
{
	int b = find_bridge_index(conf, name);

	return b < 0 ? NULL : &conf->bridges[b];
}

/* Inserts after the last port of its bridge: ports stay grouped by bridge in
 * bridge order, as parsed, so that the saved file reads back identical. */
int
iovsd_conf_add_port(struct iovsd_conf *conf, const struct vsw_port_conf *port, uint32_t ofport)
{
	int b = find_bridge_index(conf, port->bridge);
	unsigned i, pos = 0;

	if (iovsd_conf_find_port(conf, port->name) != NULL)
		return -EEXIST;
	if (b < 0)
		return -ENOENT;
	if (conf->n_ports >= VSW_MAX_PORTS)
		return -ENOSPC;
	if (ofport > IOVSD_OFPORT_MAX)
		return -ERANGE;
	for (i = 0; ofport != 0 && i < conf->n_ports; i++)
		if (conf->ofport[i] == ofport && strcmp(conf->ports[i].bridge, port->bridge) == 0)
			return -EEXIST;
	if (ofport == 0)
		ofport = ofport_free(conf, port->bridge);
	for (i = 0; i < conf->n_ports; i++)
		if (find_bridge_index(conf, conf->ports[i].bridge) <= b)
			pos = i + 1;
	memmove(&conf->ports[pos + 1], &conf->ports[pos],
		(conf->n_ports - pos) * sizeof(conf->ports[0]));
	memmove(&conf->ofport[pos + 1], &conf->ofport[pos],
		(conf->n_ports - pos) * sizeof(conf->ofport[0]));
	conf->ports[pos] = *port;
	conf->ofport[pos] = ofport;
	conf->n_ports++;
	return 0;
}

int
iovsd_conf_del_port(struct iovsd_conf *conf, const char *name)
{
	const struct vsw_port_conf *p = iovsd_conf_find_port(conf, name);
	unsigned i;

	if (p == NULL)
		return -ENOENT;
	i = (unsigned)(p - conf->ports);
	memmove(&conf->ports[i], &conf->ports[i + 1],
		(conf->n_ports - i - 1) * sizeof(conf->ports[0]));
	memmove(&conf->ofport[i], &conf->ofport[i + 1],
		(conf->n_ports - i - 1) * sizeof(conf->ofport[0]));
	conf->n_ports--;
	memset(&conf->ports[conf->n_ports], 0, sizeof(conf->ports[0]));
	conf->ofport[conf->n_ports] = 0;
	return 0;
}

int
iovsd_conf_del_bridge(struct iovsd_conf *conf, const char *name)
{
	int b = find_bridge_index(conf, name);
	unsigned i;

	if (b < 0)
		return -ENOENT;
	i = (unsigned)b;
	memmove(&conf->bridges[i], &conf->bridges[i + 1],
		(conf->n_bridges - i - 1) * sizeof(conf->bridges[0]));
	memmove(&conf->openflow[i], &conf->openflow[i + 1],
		(conf->n_bridges - i - 1) * sizeof(conf->openflow[0]));
	conf->n_bridges--;
	memset(&conf->bridges[conf->n_bridges], 0, sizeof(conf->bridges[0]));
	memset(&conf->openflow[conf->n_bridges], 0, sizeof(conf->openflow[0]));
	return 0;
}

uint32_t
iovsd_conf_port_ofport(const struct iovsd_conf *conf, const char *name)
{
	const struct vsw_port_conf *p = iovsd_conf_find_port(conf, name);

	return p != NULL ? conf->ofport[p - conf->ports] : 0;
}

struct iovsd_of_conf *
iovsd_conf_find_of(struct iovsd_conf *conf, const char *name)
{
	int b = find_bridge_index(conf, name);

	return b >= 0 ? &conf->openflow[b] : NULL;
}
