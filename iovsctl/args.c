/* iovsctl's command line → a control request (args.h). One table row per verb
 * names its command, its positional arguments and options and the JSON key each
 * one fills; a scan collects the words, a check applies the table's rules and a
 * build makes the request. The daemon validates the values themselves. */
#include "args.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POS	 3
#define MAX_OPTS 12

enum val_kind {
	VAL_STR,
	VAL_INT,     /* a non-negative decimal integer */
	VAL_RXQ_MAP, /* "Q:CORE,..." → {"Q": CORE, ...} */
	VAL_TRUE,    /* a flag without a value: true */
	VAL_FALSE,   /* a flag without a value: false ("--no-learning") */
};

/* A positional argument (a string) and where it goes: args[key], or
 * args[obj][key] when 'obj' is set. */
struct pos_spec {
	const char *name; /* as the usage shows it */
	const char *obj;
	const char *key;
};

struct opt_spec {
	const char *name; /* "--queues" */
	const char *metavar;
	enum val_kind kind;
	const char *obj;
	const char *key;
	const char *mode_key; /* also sets args[obj][mode_key] = mode_val */
	const char *mode_val;
	const char *excludes; /* an option of the same verb not allowed with this one */
	const char *needs;    /* an option of the same verb this one requires */
	const char *help;
};

struct iovsctl_verb {
	const char *group;
	const char *name; /* NULL for a one-word verb ("show") */
	const char *cmd;
	const char *summary;
	unsigned n_pos;
	unsigned min_pos;
	struct pos_spec pos[MAX_POS];
	const struct opt_spec *opts; /* ends with a NULL name; NULL for none */
	enum iovsctl_view view;
	const char *notes;
};

static const struct opt_spec bridge_add_opts[] = {
	{"--mac-table-size", "N", VAL_INT, "bridge", "mac_table_size",
	 .help = "learned MAC addresses at most"},
	{"--mac-aging", "S", VAL_INT, "bridge", "mac_aging_s",
	 .help = "seconds before an idle MAC address is forgotten"},
	{"--no-learning", "", VAL_FALSE, "bridge", "learning",
	 .help = "a hub: flood every frame to every other port"},
	{NULL},
};

static const struct opt_spec port_add_opts[] = {
	{"--iface", "IF", VAL_STR, "port", "iface",
	 .help = "kernel interface (tap, af_packet, af_xdp)"},
	{"--devargs", "STR", VAL_STR, "port", "devargs",
	 .help = "DPDK device arguments (pci, dpdk)"},
	{"--socket", "PATH", VAL_STR, "port", "socket",
	 .help = "vhost-user: the unix socket (iovsd listens on it)"},
	{"--client", "", VAL_TRUE, "port", "client", .needs = "--socket",
	 .help = "vhost-user: connect to the socket (the front-end listens)"},
	{"--queues", "N", VAL_INT, "port", "queues", .help = "rx and tx queues"},
	{"--rxq-pmd", "Q:CORE[,Q:CORE...]", VAL_RXQ_MAP, "port", "rxq_pmd",
	 .help = "pin rx queue Q to the PMD thread on CORE"},
	{"--access", "VID", VAL_INT, "port", "tag", "vlan_mode", "access", "--trunk",
	 .help = "access port in VLAN VID (default: 0, untagged)"},
	{"--trunk", "LIST", VAL_STR, "port", "trunks", "vlan_mode", "trunk", "--access",
	 .help = "trunk port for the VLANs in LIST: 10,20-30 or all"},
	{"--native-vlan", "VID", VAL_INT, "port", "native_vlan", .needs = "--trunk",
	 .help = "trunk: untagged frames belong to VLAN VID"},
	{NULL},
};

static const struct opt_spec controller_set_opts[] = {
	{"--listen", "ADDR", VAL_STR, NULL, "listen",
	 .help = "passive listener: IP:PORT, ptcp:PORT[:IP] or none (default 127.0.0.1:6653)"},
	{"--fail-mode", "MODE", VAL_STR, NULL, "fail_mode",
	 .help = "secure (keep flows) or standalone (learning bridge) without a controller"},
	{"--datapath-id", "HEX", VAL_STR, NULL, "datapath_id",
	 .help = "16 hex digits (default: derived from the bridge name)"},
	{NULL},
};

static const struct opt_spec vf_create_opts[] = {
	{"--no-autoprobe", "", VAL_FALSE, NULL, "autoprobe",
	 .help = "the new VFs get no driver (sriov_drivers_autoprobe 0 while they appear)"},
	{NULL},
};

static const struct opt_spec vf_set_opts[] = {
	{"--mac", "MAC", VAL_STR, NULL, "mac", .help = "the VF's MAC address"},
	{"--vlan", "VID", VAL_INT, NULL, "vlan", .help = "port VLAN (0: none)"},
	{"--qos", "PRIO", VAL_INT, NULL, "qos", .help = "VLAN priority 0..7"},
	{"--vlan-proto", "P", VAL_STR, NULL, "vlan_proto", .help = "802.1Q (default) or 802.1ad"},
	{"--spoofchk", "", VAL_TRUE, NULL, "spoofchk", .help = "source MAC spoof check on"},
	{"--no-spoofchk", "", VAL_FALSE, NULL, "spoofchk", .help = "spoof check off"},
	{"--trust", "", VAL_TRUE, NULL, "trust", .help = "trusted VF (promiscuous, MAC changes)"},
	{"--no-trust", "", VAL_FALSE, NULL, "trust", .help = "untrusted VF"},
	{"--link-state", "S", VAL_STR, NULL, "link_state", .help = "auto, enable or disable"},
	{"--min-tx-rate", "MBPS", VAL_INT, NULL, "min_tx_rate", .help = "Mbit/s (0: none)"},
	{"--max-tx-rate", "MBPS", VAL_INT, NULL, "max_tx_rate", .help = "Mbit/s (0: none)"},
	{NULL},
};

static const struct opt_spec vf_assign_opts[] = {
	{"--to", "dataplane|vm", VAL_STR, NULL, "to", .help = "who gets the VF"},
	{"--bridge", "BRIDGE", VAL_STR, NULL, "bridge", .help = "dataplane: the bridge (br0)"},
	{"--port", "NAME", VAL_STR, NULL, "port", .help = "dataplane: the port's name"},
	{NULL},
};

static const struct opt_spec flow_strict_opts[] = {
	{"--strict", "", VAL_TRUE, NULL, "strict",
	 .help = "only the flow with exactly this match and priority"},
	{NULL},
};

/* struct scan keeps one value per option of a verb. */
_Static_assert(sizeof(port_add_opts) / sizeof(port_add_opts[0]) <= MAX_OPTS + 1, "MAX_OPTS");
_Static_assert(sizeof(bridge_add_opts) / sizeof(bridge_add_opts[0]) <= MAX_OPTS + 1, "MAX_OPTS");
_Static_assert(sizeof(vf_set_opts) / sizeof(vf_set_opts[0]) <= MAX_OPTS + 1, "MAX_OPTS");

#define FLOW_NOTES                                                                                 \
	"FLOW and MATCH use ovs-ofctl's syntax (one argument: quote it), e.g.\n"                   \
	"  table=0,priority=10,ip,nw_dst=10.0.0.0/8,actions=output:2\n"                            \
	"The bridge needs OpenFlow (iovsctl controller set BRIDGE none|TARGETS)."

#define VF_NOTES                                                                                   \
	"PF is a PCI address (0000:03:00.0); PF:IDX names VF IDX (from 0) of it, e.g. "            \
	"0000:03:00.0:1."

/* clang-format off */
static const struct iovsctl_verb verbs[] = {
	{.group = "show", .cmd = "show", .view = IOVSCTL_VIEW_SHOW,
	 .summary = "bridges with their ports, and PMD threads"},
	{.group = "bridge", .name = "add", .cmd = "bridge.add",
	 .summary = "create a bridge",
	 .n_pos = 1, .min_pos = 1, .pos = {{"NAME", "bridge", "name"}},
	 .opts = bridge_add_opts},
	{.group = "bridge", .name = "del", .cmd = "bridge.del",
	 .summary = "delete a bridge that has no ports",
	 .n_pos = 1, .min_pos = 1, .pos = {{"NAME", NULL, "name"}}},
	{.group = "bridge", .name = "list", .cmd = "show", .view = IOVSCTL_VIEW_BRIDGES,
	 .summary = "list the bridges"},
	{.group = "port", .name = "add", .cmd = "port.add",
	 .summary = "add a port to a bridge",
	 .n_pos = 3, .min_pos = 3,
	 .pos = {{"BRIDGE", NULL, "bridge"}, {"NAME", "port", "name"}, {"TYPE", "port", "type"}},
	 .opts = port_add_opts,
	 .notes = "TYPE is one of tap, af_packet, af_xdp, null, ring, pci, dpdk, vhost-user."},
	{.group = "port", .name = "del", .cmd = "port.del",
	 .summary = "delete a port",
	 .n_pos = 1, .min_pos = 1, .pos = {{"NAME", NULL, "name"}}},
	{.group = "port", .name = "list", .cmd = "port.list", .view = IOVSCTL_VIEW_PORTS,
	 .summary = "list the ports (of one bridge)",
	 .n_pos = 1, .min_pos = 0, .pos = {{"BRIDGE", NULL, "bridge"}}},
	{.group = "port", .name = "stats", .cmd = "port.stats", .view = IOVSCTL_VIEW_PORT_STATS,
	 .summary = "port counters and drops by reason",
	 .n_pos = 1, .min_pos = 0, .pos = {{"NAME", NULL, "name"}}},
	{.group = "pmd", .name = "stats", .cmd = "pmd.stats", .view = IOVSCTL_VIEW_PMDS,
	 .summary = "PMD thread load"},
	{.group = "fdb", .name = "show", .cmd = "fdb.show", .view = IOVSCTL_VIEW_FDB,
	 .summary = "a bridge's learned MAC addresses",
	 .n_pos = 1, .min_pos = 1, .pos = {{"BRIDGE", NULL, "bridge"}}},
	{.group = "fdb", .name = "flush", .cmd = "fdb.flush",
	 .summary = "forget a bridge's learned MAC addresses",
	 .n_pos = 1, .min_pos = 1, .pos = {{"BRIDGE", NULL, "bridge"}}},
	{.group = "config", .name = "dump", .cmd = "config.dump", .view = IOVSCTL_VIEW_JSON,
	 .summary = "the configuration, as JSON"},
	{.group = "controller", .name = "set", .cmd = "controller.set",
	 .summary = "set a bridge's OpenFlow controllers (enables OpenFlow on it)",
	 .n_pos = 2, .min_pos = 2, .pos = {{"BRIDGE", NULL, "bridge"}, {"TARGETS", NULL, "controllers"}},
	 .opts = controller_set_opts,
	 .notes = "TARGETS: tcp:IP[:PORT] (port 6653 by default), comma-separated, or none."},
	{.group = "controller", .name = "show", .cmd = "controller.show",
	 .view = IOVSCTL_VIEW_CONTROLLER,
	 .summary = "a bridge's OpenFlow listener and connections",
	 .n_pos = 1, .min_pos = 1, .pos = {{"BRIDGE", NULL, "bridge"}}},
	{.group = "flow", .name = "add", .cmd = "flow.add",
	 .summary = "add an OpenFlow flow (as ovs-ofctl add-flow; not persisted)",
	 .n_pos = 2, .min_pos = 2, .pos = {{"BRIDGE", NULL, "bridge"}, {"FLOW", NULL, "flow"}},
	 .notes = FLOW_NOTES},
	{.group = "flow", .name = "mod", .cmd = "flow.mod",
	 .summary = "change the actions of the flows a match selects",
	 .n_pos = 2, .min_pos = 2, .pos = {{"BRIDGE", NULL, "bridge"}, {"FLOW", NULL, "flow"}},
	 .opts = flow_strict_opts, .notes = FLOW_NOTES},
	{.group = "flow", .name = "del", .cmd = "flow.del",
	 .summary = "delete the flows a match selects (all without one)",
	 .n_pos = 2, .min_pos = 1, .pos = {{"BRIDGE", NULL, "bridge"}, {"MATCH", NULL, "match"}},
	 .opts = flow_strict_opts, .notes = FLOW_NOTES},
	{.group = "flow", .name = "dump", .cmd = "flow.dump", .view = IOVSCTL_VIEW_FLOWS,
	 .summary = "a bridge's flows with their counters (of those a match selects)",
	 .n_pos = 2, .min_pos = 1, .pos = {{"BRIDGE", NULL, "bridge"}, {"MATCH", NULL, "match"}},
	 .notes = FLOW_NOTES},
	{.group = "vf", .name = "list", .cmd = "vf.list", .view = IOVSCTL_VIEW_VFS,
	 .summary = "SR-IOV PFs with their VFs (driver, netdev, IOMMU group, use)",
	 .n_pos = 1, .min_pos = 0, .pos = {{"PF", NULL, "pf"}}},
	{.group = "vf", .name = "create", .cmd = "vf.create",
	 .summary = "create N VFs on a PF (persisted)",
	 .n_pos = 2, .min_pos = 2, .pos = {{"PF", NULL, "pf"}, {"N", NULL, "num_vfs"}},
	 .opts = vf_create_opts, .notes = VF_NOTES},
	{.group = "vf", .name = "destroy", .cmd = "vf.destroy",
	 .summary = "remove a PF's VFs (none may be assigned)",
	 .n_pos = 1, .min_pos = 1, .pos = {{"PF", NULL, "pf"}}, .notes = VF_NOTES},
	{.group = "vf", .name = "set", .cmd = "vf.set",
	 .summary = "set VF attributes through the PF's driver (rtnetlink; persisted)",
	 .n_pos = 1, .min_pos = 1, .pos = {{"PF:IDX", NULL, "vf"}},
	 .opts = vf_set_opts, .notes = VF_NOTES},
	{.group = "vf", .name = "bind", .cmd = "vf.bind",
	 .summary = "bind a VF to a driver (driver_override; persisted)",
	 .n_pos = 2, .min_pos = 2, .pos = {{"PF:IDX", NULL, "vf"}, {"DRIVER", NULL, "driver"}},
	 .notes = VF_NOTES},
	{.group = "vf", .name = "release", .cmd = "vf.release",
	 .summary = "undo bind or assign: the VF's port goes, its original driver comes back",
	 .n_pos = 1, .min_pos = 1, .pos = {{"PF:IDX", NULL, "vf"}}, .notes = VF_NOTES},
	{.group = "vf", .name = "assign", .cmd = "vf.assign", .view = IOVSCTL_VIEW_VF_ASSIGN,
	 .summary = "hand a VF to the data plane (a port) or to a VM (vfio-pci, group checked)",
	 .n_pos = 1, .min_pos = 1, .pos = {{"PF:IDX", NULL, "vf"}},
	 .opts = vf_assign_opts, .notes = VF_NOTES},
	{.group = "ofl", .name = "trace", .cmd = "ofl.trace", .view = IOVSCTL_VIEW_TRACE,
	 .summary = "where a packet would go through a bridge's flows (nothing is sent)",
	 .n_pos = 2, .min_pos = 2, .pos = {{"BRIDGE", NULL, "bridge"}, {"PACKET", NULL, "packet"}},
	 .notes = "PACKET: in_port=N and the packet's fields, e.g.\n"
		  "  in_port=1,dl_dst=02:00:00:00:00:02,udp,nw_dst=10.0.0.2,tp_dst=53"},
};
/* clang-format on */

#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

/* What the scan collected, before the table's rules are checked. */
struct scan {
	struct iovsctl_cmdline *cl;
	unsigned n_pos;
	const char *pos[MAX_POS];
	const char *opt_val[MAX_OPTS]; /* by index in cl->verb->opts */
};

/* ---- scan ---- */

/* "port add", or "show" for a one-word verb. */
static const char *
title(const struct iovsctl_verb *v, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", v->group, v->name ? " " : "", v->name ? v->name : "");
	return buf;
}

static int
find_opt(const struct iovsctl_verb *v, const char *name, size_t len)
{
	int i;

	for (i = 0; v != NULL && v->opts != NULL && v->opts[i].name != NULL; i++)
		if (strlen(v->opts[i].name) == len && memcmp(v->opts[i].name, name, len) == 0)
			return i;
	return -1;
}

enum global_opt { G_RUN_DIR, G_SOCKET, G_JSON, G_HELP, G_HELP_SHORT, G__MAX };

static const struct {
	const char *name;
	bool valued;
} globals[G__MAX] = {
	[G_RUN_DIR] = {"--run-dir", true}, [G_SOCKET] = {"--socket", true},
	[G_JSON] = {"--json", false},	   [G_HELP] = {"--help", false},
	[G_HELP_SHORT] = {"-h", false},
};

static int
find_global(const char *name, size_t len)
{
	int g;

	for (g = 0; g < G__MAX; g++)
		if (strlen(globals[g].name) == len && memcmp(globals[g].name, name, len) == 0)
			return g;
	return -1;
}

static void
set_global(struct iovsctl_cmdline *cl, int g, const char *val)
{
	switch (g) {
	case G_RUN_DIR:
		cl->run_dir = val;
		break;
	case G_SOCKET:
		cl->socket = val;
		break;
	case G_JSON:
		cl->json = true;
		break;
	default:
		cl->help = true;
		break;
	}
}

/* One option at argv[*i], with its value "--opt=V" or "--opt V" (then *i moves on).
 * Global options are accepted before and after the verb; after it, the verb's
 * own option of the same name wins ("port add ... --socket PATH" is the
 * vhost-user socket; the control socket's --socket goes before the verb). */
static int
scan_option(struct scan *s, int argc, char *const argv[], int *i, struct iovs_err *err)
{
	const char *arg = argv[*i], *eq = strchr(arg, '='), *val = NULL;
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	const struct iovsctl_verb *v = s->cl->verb;
	int k = find_opt(v, arg, len), g = k < 0 ? find_global(arg, len) : -1;

	if (g < 0 && k < 0)
		return iovs_errf(err, -EINVAL, "unknown option %.*s", (int)len, arg);
	if (k >= 0 && (v->opts[k].kind == VAL_TRUE || v->opts[k].kind == VAL_FALSE)) {
		if (eq != NULL)
			return iovs_errf(err, -EINVAL, "%.*s takes no value", (int)len, arg);
		val = "";
	} else if (k >= 0 || globals[g].valued) {
		if (eq == NULL && *i + 1 >= argc)
			return iovs_errf(err, -EINVAL, "%.*s needs a value", (int)len, arg);
		val = eq ? eq + 1 : argv[++*i];
	} else if (eq != NULL) {
		return iovs_errf(err, -EINVAL, "%.*s takes no value", (int)len, arg);
	}
	if (g >= 0) {
		set_global(s->cl, g, val);
		return 0;
	}
	if (s->opt_val[k] != NULL)
		return iovs_errf(err, -EINVAL, "%s given twice", v->opts[k].name);
	s->opt_val[k] = val;
	return 0;
}

static const struct iovsctl_verb *
find_verb(const char *group, const char *name)
{
	unsigned i;

	for (i = 0; i < N_VERBS; i++)
		if (strcmp(verbs[i].group, group) == 0 &&
		    (name == NULL || (verbs[i].name && strcmp(verbs[i].name, name) == 0)))
			return &verbs[i];
	return NULL;
}

/* A word that is not an option: the group, the verb, or a positional argument. */
static int
scan_word(struct scan *s, const char *word, struct iovs_err *err)
{
	struct iovsctl_cmdline *cl = s->cl;
	const struct iovsctl_verb *v;

	if (cl->group == NULL) {
		v = find_verb(word, NULL);
		if (v == NULL)
			return iovs_errf(err, -EINVAL, "unknown verb \"%s\"", word);
		cl->group = v->group;
		if (v->name == NULL)
			cl->verb = v;
	} else if (cl->verb == NULL) {
		v = find_verb(cl->group, word);
		if (v == NULL)
			return iovs_errf(err, -EINVAL, "unknown verb \"%s %s\"", cl->group, word);
		cl->verb = v;
	} else if (s->n_pos < cl->verb->n_pos) {
		s->pos[s->n_pos++] = word;
	} else {
		char t[32];

		return iovs_errf(err, -EINVAL, "%s: unexpected argument \"%s\"",
				 title(cl->verb, t, sizeof(t)), word);
	}
	if (cl->verb != NULL)
		cl->view = cl->verb->view;
	return 0;
}

/* ---- check ---- */

static int
check_missing(const struct scan *s, struct iovs_err *err)
{
	const struct iovsctl_verb *v = s->cl->verb;
	char names[64] = "", t[32];
	unsigned i;

	if (s->n_pos >= v->min_pos)
		return 0;
	for (i = s->n_pos; i < v->min_pos; i++) {
		strncat(names, " ", sizeof(names) - strlen(names) - 1);
		strncat(names, v->pos[i].name, sizeof(names) - strlen(names) - 1);
	}
	return iovs_errf(err, -EINVAL, "%s: missing%s", title(v, t, sizeof(t)), names);
}

static int
check_scan(const struct scan *s, struct iovs_err *err)
{
	const struct iovsctl_verb *v = s->cl->verb;
	int i, x;

	if (v == NULL && s->cl->group == NULL)
		return iovs_errf(err, -EINVAL, "no verb given");
	if (v == NULL)
		return iovs_errf(err, -EINVAL, "%s: missing a verb", s->cl->group);
	for (i = 0; v->opts != NULL && v->opts[i].name != NULL; i++) {
		const struct opt_spec *o = &v->opts[i];

		if (s->opt_val[i] == NULL)
			continue;
		x = o->excludes ? find_opt(v, o->excludes, strlen(o->excludes)) : -1;
		if (x >= 0 && s->opt_val[x] != NULL)
			return iovs_errf(err, -EINVAL, "%s and %s cannot be used together", o->name,
					 o->excludes);
		x = o->needs ? find_opt(v, o->needs, strlen(o->needs)) : -1;
		if (x >= 0 && s->opt_val[x] == NULL)
			return iovs_errf(err, -EINVAL, "%s needs %s", o->name, o->needs);
	}
	return check_missing(s, err);
}

/* ---- build ---- */

/* 'len' decimal digits at 's' → '*out' (at most UINT32_MAX). */
static int
parse_uint(const char *s, size_t len, json_int_t *out)
{
	uint64_t n = 0;
	size_t i;

	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		n = n * 10 + (uint64_t)(s[i] - '0');
		if (n > UINT32_MAX)
			return -ERANGE;
	}
	*out = (json_int_t)n;
	return 0;
}

static int
int_json(const char *opt, const char *val, json_t **out, struct iovs_err *err)
{
	json_int_t n;
	int rc = parse_uint(val, strlen(val), &n);

	if (rc == -ERANGE)
		return iovs_errf(err, -EINVAL, "%s %s: out of range (at most %u)", opt, val,
				 UINT32_MAX);
	if (rc != 0)
		return iovs_errf(err, -EINVAL, "%s %s: not a number", opt, val);
	*out = json_integer(n);
	return 0;
}

/* "0:1,1:2" → {"0": 1, "1": 2} */
static int
rxq_map_json(const char *opt, const char *val, json_t **out, struct iovs_err *err)
{
	json_t *map = json_object();
	const char *item = val;

	while (map != NULL) {
		const char *end = item + strcspn(item, ","), *colon = memchr(item, ':', end - item);
		json_int_t q, core;
		char key[16];

		if (colon == NULL || parse_uint(item, (size_t)(colon - item), &q) != 0 ||
		    parse_uint(colon + 1, (size_t)(end - colon - 1), &core) != 0) {
			json_decref(map);
			return iovs_errf(err, -EINVAL, "%s %s: expected QUEUE:CORE[,QUEUE:CORE...]",
					 opt, val);
		}
		snprintf(key, sizeof(key), "%lld", (long long)q);
		if (json_object_get(map, key) != NULL) {
			json_decref(map);
			return iovs_errf(err, -EINVAL, "%s %s: queue %s given twice", opt, val,
					 key);
		}
		json_object_set_new(map, key, json_integer(core));
		if (*end == '\0')
			break;
		item = end + 1;
	}
	*out = map;
	return 0;
}

static int
value_json(const struct opt_spec *o, const char *val, json_t **out, struct iovs_err *err)
{
	switch (o->kind) {
	case VAL_INT:
		return int_json(o->name, val, out, err);
	case VAL_RXQ_MAP:
		return rxq_map_json(o->name, val, out, err);
	case VAL_TRUE:
	case VAL_FALSE:
		*out = json_boolean(o->kind == VAL_TRUE);
		return 0;
	case VAL_STR:
		break;
	}
	*out = json_string(val);
	return 0;
}

/* args[key], or args[obj][key] (creating args[obj]) when 'obj' is set. Steals 'val'
 * (NULL: allocation failed). */
static int
put(json_t *args, const char *obj, const char *key, json_t *val)
{
	json_t *dst = args;

	if (val == NULL)
		return -ENOMEM;
	if (obj != NULL) {
		dst = json_object_get(args, obj);
		if (dst == NULL && json_object_set_new(args, obj, json_object()) == 0)
			dst = json_object_get(args, obj);
	}
	if (dst == NULL) {
		json_decref(val);
		return -ENOMEM;
	}
	return json_object_set_new(dst, key, val) == 0 ? 0 : -ENOMEM;
}

static int
build_args(const struct scan *s, json_t *args, struct iovs_err *err)
{
	const struct iovsctl_verb *v = s->cl->verb;
	unsigned i;
	int rc = 0;

	for (i = 0; i < s->n_pos && rc == 0; i++)
		rc = put(args, v->pos[i].obj, v->pos[i].key, json_string(s->pos[i]));
	for (i = 0; v->opts != NULL && v->opts[i].name != NULL && rc == 0; i++) {
		const struct opt_spec *o = &v->opts[i];
		json_t *val = NULL;

		if (s->opt_val[i] == NULL)
			continue;
		rc = value_json(o, s->opt_val[i], &val, err);
		if (rc != 0)
			return rc;
		if (o->mode_key != NULL)
			rc = put(args, o->obj, o->mode_key, json_string(o->mode_val));
		if (rc == 0)
			rc = put(args, o->obj, o->key, val);
		else
			json_decref(val);
	}
	return rc != 0 ? iovs_errf(err, rc, "out of memory") : 0;
}

static int
build_request(const struct scan *s, json_t **out, struct iovs_err *err)
{
	json_t *req = json_pack("{s:s}", "cmd", s->cl->verb->cmd), *args = json_object();
	int rc;

	if (req == NULL || args == NULL) {
		rc = iovs_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	rc = build_args(s, args, err);
	if (rc == 0 && json_object_size(args) > 0 && json_object_set(req, "args", args) != 0)
		rc = iovs_errf(err, -ENOMEM, "out of memory");
	if (rc == 0) {
		*out = req;
		req = NULL;
	}
out:
	json_decref(args);
	json_decref(req);
	return rc;
}

int
iovsctl_args_parse(int argc, char *const argv[], struct iovsctl_cmdline *cl, struct iovs_err *err)
{
	struct scan s = {.cl = cl};
	bool opts_done = false;
	int i, rc = 0;

	memset(cl, 0, sizeof(*cl));
	for (i = 1; i < argc && rc == 0 && !cl->help; i++) {
		const char *a = argv[i];

		if (!opts_done && strcmp(a, "--") == 0)
			opts_done = true;
		else if (!opts_done && a[0] == '-' && a[1] != '\0')
			rc = scan_option(&s, argc, argv, &i, err);
		else
			rc = scan_word(&s, a, err);
	}
	if (rc != 0 || cl->help)
		return rc;
	rc = check_scan(&s, err);
	if (rc == 0)
		rc = build_request(&s, &cl->request, err);
	return rc;
}

void
iovsctl_cmdline_fini(struct iovsctl_cmdline *cl)
{
	json_decref(cl->request);
	cl->request = NULL;
}

/* ---- usage ---- */

/* "port add BRIDGE NAME TYPE", with the options too when 'full'. */
static void
synopsis(const struct iovsctl_verb *v, bool full, char *buf, size_t size)
{
	size_t n = strlen(title(v, buf, size));
	unsigned i;

	for (i = 0; i < v->n_pos && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, i < v->min_pos ? " %s" : " [%s]",
				      v->pos[i].name);
	for (i = 0; full && v->opts != NULL && v->opts[i].name != NULL && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, " [%s%s%s]", v->opts[i].name,
				      v->opts[i].metavar[0] ? " " : "", v->opts[i].metavar);
	if (!full && v->opts != NULL && n < size)
		snprintf(buf + n, size - n, " [OPTIONS]");
}

static void
usage_verb(FILE *f, const struct iovsctl_verb *v)
{
	const struct opt_spec *o;
	char line[128];
	int w = 0;

	synopsis(v, false, line, sizeof(line));
	fprintf(f, "Usage: iovsctl [GLOBAL-OPTIONS] %s\n%c%s.\n", line, v->summary[0] - 'a' + 'A',
		v->summary + 1);
	if (v->notes != NULL)
		fprintf(f, "%s\n", v->notes);
	for (o = v->opts; o != NULL && o->name != NULL; o++)
		if ((int)(strlen(o->name) + 1 + strlen(o->metavar)) > w)
			w = (int)(strlen(o->name) + 1 + strlen(o->metavar));
	for (o = v->opts; o != NULL && o->name != NULL; o++) {
		snprintf(line, sizeof(line), "%s %s", o->name, o->metavar);
		fprintf(f, "%s  %-*s  %s", o == v->opts ? "\nOptions:\n" : "", w, line, o->help);
		if (o->excludes != NULL)
			fprintf(f, " (not with %s)", o->excludes);
		if (o->needs != NULL)
			fprintf(f, " (needs %s)", o->needs);
		fputc('\n', f);
	}
	fprintf(f, "\nGlobal options (--run-dir, --socket, --json): see iovsctl --help.\n");
}

void
iovsctl_usage(FILE *f, const struct iovsctl_cmdline *cl)
{
	char line[128];
	unsigned i;

	if (cl->verb != NULL) {
		usage_verb(f, cl->verb);
		return;
	}
	fprintf(f, "Usage: iovsctl [OPTIONS] %s%sVERB [ARGS...]\n", cl->group ? cl->group : "",
		cl->group ? " " : "");
	fprintf(f, "Controls iovsd, the iovs switch, through its control socket.\n\n");
	for (i = 0; i < N_VERBS; i++) {
		if (cl->group != NULL && strcmp(cl->group, verbs[i].group) != 0)
			continue;
		synopsis(&verbs[i], false, line, sizeof(line));
		fprintf(f, "  %-36s %s\n", line, verbs[i].summary);
	}
	fprintf(f,
		"\nOptions:\n"
		"  --run-dir DIR   iovsd's run directory (default: $IOVS_RUN_DIR, else /run/iovs)\n"
		"  --socket PATH   the control socket (default: RUN_DIR/iovsd.sock)\n"
		"  --json          print the daemon's result as JSON instead of tables\n"
		"  -h, --help      this text; 'iovsctl VERB --help' for a verb's options\n");
}
