/* vswitch/port_conf.c: what a port or bridge configuration may say.
 *
 * Defaults (vsw_*_conf_init), the checks that need no switch state
 * (vsw_*_conf_validate) and the trunk VLAN list syntax "10,20-30". Pure C, no
 * DPDK: iovsd/config.c and the control socket call these before port.c opens
 * anything. Each message names the field (as the config file spells it), the
 * value and what is allowed.
 */
#include "vsw.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "iovs_hex.h"

#define VID_MAX	      4094 /* VID 4095 is reserved (IEEE 802.1Q 9.6) */
#define LCORE_MAX     1023
#define MAC_TABLE_MIN 16
#define MAC_TABLE_MAX 1048576
#define MAC_TABLE_DEF 8192
#define MAC_AGING_MAX 86400
#define MAC_AGING_DEF 300

#define NAME_RULE   "1..31 characters of A-Z a-z 0-9 _ . -, not starting with - or ."
#define IFNAME_RULE "1..15 printable ASCII characters, none of / : , = or space, not . or .."

static const char *const port_type_names[VSW_PORT_TYPE__MAX] = {
	[VSW_PORT_TAP] = "tap",	      [VSW_PORT_AF_PACKET] = "af_packet",
	[VSW_PORT_AF_XDP] = "af_xdp", [VSW_PORT_NULL] = "null",
	[VSW_PORT_RING] = "ring",     [VSW_PORT_PCI] = "pci",
	[VSW_PORT_DPDK] = "dpdk",     [VSW_PORT_VHOST_USER] = "vhost-user",
};

const char *
vsw_port_type_name(enum vsw_port_type type)
{
	if ((unsigned)type >= VSW_PORT_TYPE__MAX)
		return "unknown";
	return port_type_names[type];
}

int
vsw_port_type_parse(const char *name, enum vsw_port_type *type)
{
	unsigned t;

	for (t = 0; t < VSW_PORT_TYPE__MAX; t++) {
		if (strcmp(name, port_type_names[t]) == 0) {
			*type = (enum vsw_port_type)t;
			return 0;
		}
	}
	return -EINVAL;
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool
is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static int
check_name(const char *field, const char *name, struct iovs_err *err)
{
	size_t len = strnlen(name, VSW_NAME_MAX), i;
	bool ok = len >= 1 && len < VSW_NAME_MAX && name[0] != '-' && name[0] != '.';
	char q[IOVS_QUOTED_SIZE];

	for (i = 0; ok && i < len; i++)
		ok = is_alnum(name[i]) || name[i] == '_' || name[i] == '.' || name[i] == '-';
	if (!ok)
		return iovs_errf(err, -EINVAL, "%s %s is not valid: use " NAME_RULE, field,
				 iovs_quote(name, len, q));
	return 0;
}

/* The kernel's dev_valid_name(), narrowed to printable ASCII and without ','
 * and '=' because the name ends up inside DPDK devargs ("iface=NAME,..."). */
static bool
is_ifname(const char *s, size_t size)
{
	size_t len = strnlen(s, size), i;

	if (len == 0 || len >= VSW_IFNAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 0x7f || c == '/' || c == ':' || c == ',' || c == '=')
			return false;
	}
	return true;
}

static bool
uses_iface(enum vsw_port_type type)
{
	return type == VSW_PORT_TAP || type == VSW_PORT_AF_PACKET || type == VSW_PORT_AF_XDP;
}

static bool
uses_devargs(enum vsw_port_type type)
{
	return type == VSW_PORT_PCI || type == VSW_PORT_DPDK;
}

static int
check_iface(const struct vsw_port_conf *c, struct iovs_err *err)
{
	size_t len = strnlen(c->iface, sizeof(c->iface));
	const char *type = vsw_port_type_name(c->type);
	char q[IOVS_QUOTED_SIZE];

	if (!uses_iface(c->type)) {
		if (len != 0)
			return iovs_errf(err, -EINVAL,
					 "iface %s is not allowed for %s ports (only tap, "
					 "af_packet, af_xdp)",
					 iovs_quote(c->iface, len, q), type);
		return 0;
	}
	if (len == 0 && c->type != VSW_PORT_TAP)
		return iovs_errf(err, -EINVAL, "iface is required for %s ports", type);
	if (len == 0 && !is_ifname(c->name, sizeof(c->name)))
		return iovs_errf(
			err, -EINVAL,
			"iface is empty and name %s is not a valid interface name (" IFNAME_RULE
			"): set iface",
			iovs_quote(c->name, sizeof(c->name), q));
	if (len != 0 && !is_ifname(c->iface, sizeof(c->iface)))
		return iovs_errf(err, -EINVAL,
				 "iface %s is not a valid interface name (" IFNAME_RULE ")",
				 iovs_quote(c->iface, len, q));
	return 0;
}

static size_t
hex_run(const char *s, size_t max, unsigned *val)
{
	size_t n;

	*val = 0;
	for (n = 0; n < max; n++) {
		int d = iovs_hex_digit(s[n]);

		if (d < 0)
			break;
		*val = *val * 16 + (unsigned)d;
	}
	return n;
}

/* "DDDD:BB:DD.F" or "BB:DD.F" at the start of 's', followed by ',' or the end.
 * Returns the address's length, or 0 if there is none. */
static size_t
pci_addr_len(const char *s, unsigned *dev, unsigned *fn)
{
	const char *p = s;
	unsigned v;
	size_t n = hex_run(p, 5, &v);

	if (n == 4 && p[4] == ':') {
		p += 5;
		n = hex_run(p, 3, &v);
	}
	if (n != 2 || p[2] != ':')
		return 0;
	p += 3;
	if (hex_run(p, 3, dev) != 2 || p[2] != '.')
		return 0;
	p += 3;
	if (hex_run(p, 2, fn) != 1)
		return 0;
	p++;
	if (*p != '\0' && *p != ',')
		return 0;
	return (size_t)(p - s);
}

/* "net_" and a name of A-Z a-z 0-9 _ at the start of 's', followed by ',' or
 * the end. Returns its length, or 0. */
static size_t
driver_len(const char *s)
{
	size_t n = 4;

	if (strncmp(s, "net_", 4) != 0)
		return 0;
	while (is_alnum(s[n]) || s[n] == '_')
		n++;
	if (n == 4 || (s[n] != '\0' && s[n] != ','))
		return 0;
	return n;
}

/* 'args' is "" or ",key[=value]..." as rte_kvargs reads it: a comma inside
 * [...] belongs to the value ("representor=[0,2-3]"). */
static int
check_devargs_args(const char *devargs, const char *args, struct iovs_err *err)
{
	const char *p = args, *item = args;
	char q[IOVS_QUOTED_SIZE], qi[IOVS_QUOTED_SIZE];
	int depth;

	while (*p == ',') {
		item = ++p;
		while (is_alnum(*p) || *p == '_' || *p == '-')
			p++;
		if (p == item)
			goto bad;
		if (*p == '=') {
			const char *value = ++p;

			for (depth = 0; *p != '\0' && (*p != ',' || depth > 0); p++) {
				if (*p == '[')
					depth++;
				else if (*p == ']' && depth-- == 0)
					goto bad;
			}
			if (p == value || depth != 0)
				goto bad;
		}
		if (*p != '\0' && *p != ',')
			goto bad;
	}
	return 0;
bad:
	return iovs_errf(err, -EINVAL, "devargs %s: argument %s is not key=value",
			 iovs_quote(devargs, VSW_DEVARGS_MAX, q),
			 iovs_quote(item, strcspn(item, ","), qi));
}

static int
check_devargs(const struct vsw_port_conf *c, struct iovs_err *err)
{
	size_t len = strnlen(c->devargs, sizeof(c->devargs)), i, n;
	const char *type = vsw_port_type_name(c->type);
	char q[IOVS_QUOTED_SIZE];
	unsigned dev, fn;

	if (!uses_devargs(c->type)) {
		if (len != 0)
			return iovs_errf(err, -EINVAL,
					 "devargs %s is not allowed for %s ports (only pci, dpdk)",
					 iovs_quote(c->devargs, len, q), type);
		return 0;
	}
	if (len == 0)
		return iovs_errf(err, -EINVAL, "devargs is required for %s ports", type);
	if (len >= sizeof(c->devargs))
		return iovs_errf(err, -EINVAL, "devargs %s is too long (at most %zu characters)",
				 iovs_quote(c->devargs, len, q), sizeof(c->devargs) - 1);
	for (i = 0; i < len; i++) {
		if (c->devargs[i] <= ' ' || c->devargs[i] >= 0x7f)
			return iovs_errf(
				err, -EINVAL,
				"devargs %s: only printable ASCII without spaces is allowed",
				iovs_quote(c->devargs, len, q));
	}
	if (c->type == VSW_PORT_PCI) {
		n = pci_addr_len(c->devargs, &dev, &fn);
		if (n == 0)
			return iovs_errf(err, -EINVAL,
					 "devargs %s does not start with a PCI address "
					 "DDDD:BB:DD.F or BB:DD.F (hex)",
					 iovs_quote(c->devargs, len, q));
		if (dev > 0x1f)
			return iovs_errf(err, -ERANGE,
					 "devargs %s: PCI device %02x out of range 00..1f",
					 iovs_quote(c->devargs, len, q), dev);
		if (fn > 7)
			return iovs_errf(err, -ERANGE,
					 "devargs %s: PCI function %x out of range 0..7",
					 iovs_quote(c->devargs, len, q), fn);
	} else {
		n = driver_len(c->devargs);
		if (n == 0)
			return iovs_errf(err, -EINVAL,
					 "devargs %s does not start with a driver name net_NAME "
					 "(A-Z a-z 0-9 _)",
					 iovs_quote(c->devargs, len, q));
	}
	return check_devargs_args(c->devargs, c->devargs + n, err);
}

/* vhost-user: an absolute path of printable ASCII that fits sun_path. */
static int
check_socket(const struct vsw_port_conf *c, struct iovs_err *err)
{
	size_t len = strnlen(c->socket, sizeof(c->socket)), i;
	const char *type = vsw_port_type_name(c->type);
	char q[IOVS_QUOTED_SIZE];

	if (c->type != VSW_PORT_VHOST_USER) {
		if (len != 0 || c->client)
			return iovs_errf(err, -EINVAL,
					 "%s is not allowed for %s ports (only vhost-user)",
					 len != 0 ? "socket" : "client", type);
		return 0;
	}
	if (len == 0)
		return iovs_errf(err, -EINVAL, "socket is required for vhost-user ports");
	if (len >= sizeof(c->socket))
		return iovs_errf(err, -EINVAL, "socket %s is too long (at most %zu characters)",
				 iovs_quote(c->socket, len, q), sizeof(c->socket) - 1);
	if (c->socket[0] != '/')
		return iovs_errf(err, -EINVAL, "socket %s is not an absolute path",
				 iovs_quote(c->socket, len, q));
	for (i = 0; i < len; i++)
		if (c->socket[i] < ' ' || c->socket[i] >= 0x7f)
			return iovs_errf(err, -EINVAL, "socket %s: only printable ASCII is allowed",
					 iovs_quote(c->socket, len, q));
	if (c->socket[len - 1] == '/')
		return iovs_errf(err, -EINVAL, "socket %s names a directory",
				 iovs_quote(c->socket, len, q));
	return 0;
}

static int
check_queues(const struct vsw_port_conf *c, struct iovs_err *err)
{
	unsigned q;

	if (c->n_queues < 1 || c->n_queues > VSW_MAX_QUEUES)
		return iovs_errf(err, -ERANGE, "queues %u out of range 1..%d", c->n_queues,
				 VSW_MAX_QUEUES);
	for (q = 0; q < VSW_MAX_QUEUES; q++) {
		int pmd = c->rxq_pmd[q];

		if (pmd == -1)
			continue;
		if (q >= c->n_queues)
			return iovs_errf(err, -EINVAL,
					 "rxq_pmd[%u] is %d but queues is %u: only queues 0..%u "
					 "can be pinned",
					 q, pmd, c->n_queues, c->n_queues - 1u);
		if (pmd < 0 || pmd > LCORE_MAX)
			return iovs_errf(err, -ERANGE,
					 "rxq_pmd[%u] %d out of range 0..%d (or -1: any)", q, pmd,
					 LCORE_MAX);
	}
	return 0;
}

static bool
vid_is_set(const struct vsw_vlan_conf *v, unsigned vid)
{
	return (v->trunks[vid / 64] >> (vid % 64)) & 1;
}

static int
check_vlan(const struct vsw_vlan_conf *v, struct iovs_err *err)
{
	bool any = false;
	size_t i;

	for (i = 0; i < sizeof(v->trunks) / sizeof(v->trunks[0]); i++)
		any = any || v->trunks[i] != 0;
	switch (v->mode) {
	case VSW_VLAN_ACCESS:
		if (v->tag > VID_MAX)
			return iovs_errf(err, -ERANGE, "tag %u out of range 0..%d", v->tag,
					 VID_MAX);
		if (v->native != 0)
			return iovs_errf(
				err, -EINVAL,
				"native_vlan %u is set but vlan_mode is access (trunk only)",
				v->native);
		if (v->trunks_all || any)
			return iovs_errf(err, -EINVAL,
					 "trunks are set but vlan_mode is access (trunk only)");
		return 0;
	case VSW_VLAN_TRUNK:
		if (v->tag != 0)
			return iovs_errf(err, -EINVAL,
					 "tag %u is set but vlan_mode is trunk (access only)",
					 v->tag);
		if (v->native > VID_MAX)
			return iovs_errf(err, -ERANGE, "native_vlan %u out of range 0..%d",
					 v->native, VID_MAX);
		if (v->trunks_all && any)
			return iovs_errf(err, -EINVAL, "trunks are both \"all\" and a VLAN list");
		if (!v->trunks_all && !any)
			return iovs_errf(err, -EINVAL,
					 "trunks are empty: allow at least one VLAN 0..%d, or all",
					 VID_MAX);
		if (vid_is_set(v, VSW_VLAN_MAX))
			return iovs_errf(err, -ERANGE, "trunks include VLAN %d, allowed 0..%d",
					 VSW_VLAN_MAX, VID_MAX);
		return 0;
	}
	return iovs_errf(err, -EINVAL, "vlan_mode %d is neither access (%d) nor trunk (%d)",
			 (int)v->mode, VSW_VLAN_ACCESS, VSW_VLAN_TRUNK);
}

static const char *const queue_drop_names[VSW_QUEUE_DROP__MAX] = {
	[VSW_QDROP_NO_BUFFERS] = "no_buffers",
	[VSW_QDROP_TOO_BIG] = "too_big",
	[VSW_QDROP_MALFORMED] = "malformed",
	[VSW_QDROP_NO_MBUF] = "no_mbuf",
	[VSW_QDROP_BROKEN] = "broken",
	[VSW_QDROP_DOWN] = "down",
	[VSW_QDROP_IOTLB_ACCESS] = "iotlb_access",
	[VSW_QDROP_IOTLB_HOLD_FULL] = "iotlb_hold_full",
};

const char *
vsw_queue_drop_name(enum vsw_queue_drop d)
{
	return (unsigned)d < VSW_QUEUE_DROP__MAX ? queue_drop_names[d] : "unknown";
}

void
vsw_port_conf_init(struct vsw_port_conf *conf)
{
	unsigned q;

	memset(conf, 0, sizeof(*conf));
	conf->type = VSW_PORT_TAP;
	conf->n_queues = 1;
	for (q = 0; q < VSW_MAX_QUEUES; q++)
		conf->rxq_pmd[q] = -1;
	conf->vlan.mode = VSW_VLAN_ACCESS;
}

int
vsw_port_conf_validate(const struct vsw_port_conf *conf, struct iovs_err *err)
{
	int rc;

	rc = check_name("name", conf->name, err);
	if (rc == 0 && conf->bridge[0] != '\0')
		rc = check_name("bridge", conf->bridge, err);
	if (rc == 0 && (unsigned)conf->type >= VSW_PORT_TYPE__MAX)
		rc = iovs_errf(err, -EINVAL,
			       "type %d is not a port type (tap, af_packet, af_xdp, null, ring, "
			       "pci, dpdk, vhost-user)",
			       (int)conf->type);
	if (rc == 0)
		rc = check_iface(conf, err);
	if (rc == 0)
		rc = check_devargs(conf, err);
	if (rc == 0)
		rc = check_socket(conf, err);
	if (rc == 0)
		rc = check_queues(conf, err);
	if (rc == 0)
		rc = check_vlan(&conf->vlan, err);
	return rc;
}

void
vsw_bridge_conf_init(struct vsw_bridge_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->mac_table_size = MAC_TABLE_DEF;
	conf->mac_aging_s = MAC_AGING_DEF;
}

int
vsw_bridge_conf_validate(const struct vsw_bridge_conf *conf, struct iovs_err *err)
{
	int rc = check_name("name", conf->name, err);

	if (rc != 0)
		return rc;
	if (conf->mac_table_size < MAC_TABLE_MIN || conf->mac_table_size > MAC_TABLE_MAX)
		return iovs_errf(err, -ERANGE, "mac_table_size %u out of range %d..%d",
				 conf->mac_table_size, MAC_TABLE_MIN, MAC_TABLE_MAX);
	if (conf->mac_aging_s < 1 || conf->mac_aging_s > MAC_AGING_MAX)
		return iovs_errf(err, -ERANGE, "mac_aging_s %u out of range 1..%d",
				 conf->mac_aging_s, MAC_AGING_MAX);
	return 0;
}

/* Reads decimal digits at '*p' (before 'end'), then skips blanks. Returns the
 * value (saturated above VID_MAX), or -1 if there is no digit. */
static long
read_vid(const char **p, const char *end)
{
	const char *s = *p;
	long v = 0;

	while (s < end && *s >= '0' && *s <= '9') {
		if (v <= VID_MAX)
			v = v * 10 + (*s - '0');
		s++;
	}
	if (s == *p)
		return -1;
	while (s < end && is_space(*s))
		s++;
	*p = s;
	return v;
}

/* One item of a VLAN list, blanks around it already cut: "all", "V" or "LO-HI". */
static int
parse_vlan_item(const char *b, const char *e, struct vsw_vlan_conf *vlan, bool *all,
		struct iovs_err *err)
{
	const char *p = b;
	char q[IOVS_QUOTED_SIZE];
	long lo, hi, v;

	if (e - b == 3 && memcmp(b, "all", 3) == 0) {
		*all = true;
		return 0;
	}
	lo = hi = read_vid(&p, e);
	if (lo >= 0 && p < e && *p == '-') {
		p++;
		while (p < e && is_space(*p))
			p++;
		hi = read_vid(&p, e);
	}
	if (lo < 0 || hi < 0 || p != e)
		return iovs_errf(err, -EINVAL,
				 "VLAN list item %s: not a VLAN 0..%d, a range LOW-HIGH or all",
				 iovs_quote(b, (size_t)(e - b), q), VID_MAX);
	if (lo > VID_MAX || hi > VID_MAX)
		return iovs_errf(err, -ERANGE, "VLAN list item %s: %ld out of range 0..%d",
				 iovs_quote(b, (size_t)(e - b), q), lo > VID_MAX ? lo : hi,
				 VID_MAX);
	if (lo > hi)
		return iovs_errf(err, -EINVAL, "VLAN list item %s: range is backwards (%ld > %ld)",
				 iovs_quote(b, (size_t)(e - b), q), lo, hi);
	for (v = lo; v <= hi; v++)
		vlan->trunks[v / 64] |= 1ull << (v % 64);
	return 0;
}

int
vsw_vlan_list_parse(const char *s, struct vsw_vlan_conf *vlan, struct iovs_err *err)
{
	const char *item = s, *end, *b, *e;
	unsigned n_items = 0;
	bool all = false;
	char q[IOVS_QUOTED_SIZE];
	int rc = 0;

	memset(vlan->trunks, 0, sizeof(vlan->trunks));
	vlan->trunks_all = false;
	for (;;) {
		end = item + strcspn(item, ",");
		for (b = item; b < end && is_space(*b); b++)
			;
		for (e = end; e > b && is_space(e[-1]); e--)
			;
		if (b == e && *end == '\0' && n_items == 0) {
			rc = iovs_errf(
				err, -EINVAL,
				"VLAN list is empty (expected a list such as 10,20-30, or all)");
			break;
		}
		if (b == e) {
			rc = iovs_errf(err, -EINVAL, "VLAN list %s has an empty item",
				       iovs_quote(s, strlen(s), q));
			break;
		}
		rc = parse_vlan_item(b, e, vlan, &all, err);
		if (rc != 0)
			break;
		n_items++;
		if (*end == '\0')
			break;
		item = end + 1;
	}
	if (rc == 0 && all && n_items > 1)
		rc = iovs_errf(err, -EINVAL,
			       "VLAN list %s: all cannot be combined with other items",
			       iovs_quote(s, strlen(s), q));
	if (rc != 0) {
		memset(vlan->trunks, 0, sizeof(vlan->trunks));
		return rc;
	}
	vlan->trunks_all = all;
	return 0;
}

/* Cuts 'buf' (holding 'pos' characters) back to whole items and marks the cut
 * with "..." where that fits. */
static void
vlan_list_cut(char *buf, size_t pos, size_t len)
{
	const char *mark = pos != 0 ? ",..." : "...";

	while (pos != 0 && pos + strlen(mark) >= len) {
		char *comma = memrchr(buf, ',', pos);

		pos = comma != NULL ? (size_t)(comma - buf) : 0;
		mark = pos != 0 ? ",..." : "...";
	}
	if (pos + strlen(mark) < len)
		memcpy(buf + pos, mark, strlen(mark) + 1);
	else
		buf[pos] = '\0';
}

void
vsw_vlan_list_format(const struct vsw_vlan_conf *vlan, char *buf, size_t len)
{
	unsigned v = 0, lo, hi;
	size_t pos = 0;
	char item[24];
	int n;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (vlan->trunks_all) {
		if (len > 3)
			memcpy(buf, "all", 4);
		return;
	}
	while (v <= VSW_VLAN_MAX) {
		if (!vid_is_set(vlan, v)) {
			v++;
			continue;
		}
		for (lo = hi = v; hi < VSW_VLAN_MAX && vid_is_set(vlan, hi + 1); hi++)
			;
		v = hi + 1;
		if (lo == hi)
			n = snprintf(item, sizeof(item), "%s%u", pos != 0 ? "," : "", lo);
		else
			n = snprintf(item, sizeof(item), "%s%u-%u", pos != 0 ? "," : "", lo, hi);
		if (pos + (size_t)n >= len) {
			vlan_list_cut(buf, pos, len);
			return;
		}
		memcpy(buf + pos, item, (size_t)n + 1);
		pos += (size_t)n;
	}
}
