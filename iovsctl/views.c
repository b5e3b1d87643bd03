/* The human views of iovsctl (views.h): show, bridge list, port list, port
 * stats, pmd stats and fdb show. Each reads a result object of
 * docs/control-protocol.md (as iovsd/ctl_cmds.c builds it) and turns every
 * element of one of its arrays into a table row (table.c). */
#include "views.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

#define N_OF(a)	  (sizeof(a) / sizeof((a)[0]))
#define MAX_COLS  10
#define CELL_SIZE 32

typedef int (*view_fn)(const json_t *result, FILE *f);
/* Adds the row (and notes) for one array element; 'arg' is the view's choice. */
typedef int (*row_fn)(struct iovsctl_table *t, const json_t *item, bool arg);

/* ---- reading the result ---- */

/* A non-empty string member, or NULL (which the table prints as "-"). */
static const char *
str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && s[0] != '\0' ? s : NULL;
}

static long long
int_of(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static const json_t *
array_of(const json_t *o, const char *key)
{
	const json_t *a = json_object_get(o, key);

	return json_is_array(a) ? a : NULL;
}

/* One row's cells: strings borrowed from the result, or formatted into 'buf'. */
struct cells {
	unsigned n;
	const char *v[MAX_COLS];
	char buf[MAX_COLS][CELL_SIZE];
};

static void
cell_str(struct cells *c, const char *s)
{
	if (c->n < MAX_COLS)
		c->v[c->n++] = s;
}

static void __attribute__((format(printf, 2, 3))) cell_fmt(struct cells *c, const char *fmt, ...)
{
	va_list ap;

	if (c->n >= MAX_COLS)
		return;
	va_start(ap, fmt);
	vsnprintf(c->buf[c->n], CELL_SIZE, fmt, ap);
	va_end(ap);
	c->v[c->n] = c->buf[c->n];
	c->n++;
}

/* A number member: integers as they are, reals with 'decimals'; "-" when missing. */
static void
cell_num(struct cells *c, const json_t *o, const char *key, int decimals)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		cell_fmt(c, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		cell_fmt(c, "%.*f", decimals, json_real_value(v));
	else
		cell_str(c, NULL);
}

/* A table of one row per element of 'items', printed with 'indent'. */
static int
print_rows(const char *const *hdr, unsigned n_cols, const json_t *items, row_fn fn, bool arg,
	   FILE *f, const char *indent)
{
	struct iovsctl_table *t;
	size_t i;
	int rc = iovsctl_table_create(n_cols, hdr, &t);

	for (i = 0; rc == 0 && i < json_array_size(items); i++)
		rc = fn(t, json_array_get(items, i), arg);
	if (rc == 0)
		rc = iovsctl_table_print(t, f, indent);
	iovsctl_table_destroy(t);
	return rc;
}

/* ---- ports ---- */

/* "100" for an access port, "trunk 10,20-30 native 5" for a trunk. */
static const char *
port_vlan(const json_t *p, char *buf, size_t size)
{
	const char *mode = str_of(p, "vlan_mode");

	if (mode == NULL || strcmp(mode, "trunk") != 0) {
		if (!json_is_integer(json_object_get(p, "tag")))
			return NULL;
		snprintf(buf, size, "%lld", int_of(p, "tag"));
	} else if (int_of(p, "native_vlan") > 0) {
		snprintf(buf, size, "trunk %s native %lld", str_of(p, "trunks") ?: "-",
			 int_of(p, "native_vlan"));
	} else {
		snprintf(buf, size, "trunk %s", str_of(p, "trunks") ?: "-");
	}
	return buf;
}

/* A row of "show" (list: false) or of "port list" (list: true), and the
 * error of a port that could not be opened. */
static int
port_row(struct iovsctl_table *t, const json_t *p, bool list)
{
	struct cells c = {0};
	char vlan[640];
	int rc;

	cell_str(&c, str_of(p, "name"));
	if (list)
		cell_str(&c, str_of(p, "bridge"));
	cell_str(&c, str_of(p, "type"));
	cell_str(&c, str_of(p, "state"));
	cell_num(&c, p, "queues", 0);
	cell_str(&c, port_vlan(p, vlan, sizeof(vlan)));
	if (list)
		cell_str(&c, str_of(p, "mac"));
	cell_str(&c, str_of(p, "iface") ?: str_of(p, "devargs") ?: str_of(p, "socket"));
	rc = iovsctl_table_row(t, c.v);
	if (rc == 0 && str_of(p, "state") && strcmp(str_of(p, "state"), "error") == 0)
		rc = iovsctl_table_note(t, "  error: %s", str_of(p, "error") ?: "-");
	if (rc == 0 && list && json_is_object(json_object_get(p, "vhost"))) {
		const json_t *v = json_object_get(p, "vhost");

		rc = iovsctl_table_note(t, "  vhost-user %s: %s, %lld queue pair(s) in use",
					json_is_true(json_object_get(p, "client")) ? "client"
										   : "server",
					str_of(v, "state") ?: "-", int_of(v, "queues_in_use"));
		if (rc == 0)
			rc = iovsctl_table_note(t, "  features: %s", str_of(v, "features") ?: "-");
	}
	return rc;
}

static int
view_ports(const json_t *result, FILE *f)
{
	static const char *const hdr[] = {
		"NAME", "BRIDGE", "TYPE", "STATE", "QUEUES", "VLAN", "MAC", "IFACE/DEVARGS/SOCKET",
	};

	return print_rows(hdr, N_OF(hdr), array_of(result, "ports"), port_row, true, f, "");
}

/* The sum of the drop counters and, in 'line', " reason=n" for the non-zero ones. */
static long long
drops_sum(const json_t *drops, char *line, size_t size)
{
	size_t len = 0;
	long long sum = 0;
	void *it;

	line[0] = '\0';
	for (it = json_object_iter((json_t *)drops); it != NULL;
	     it = json_object_iter_next((json_t *)drops, it)) {
		long long n = (long long)json_integer_value(json_object_iter_value(it));

		if (n == 0)
			continue;
		sum += n;
		if (len < size)
			len += (size_t)snprintf(line + len, size - len, " %s=%lld",
						json_object_iter_key(it), n);
	}
	return sum;
}

static int
port_stats_row(struct iovsctl_table *t, const json_t *p, bool unused)
{
	const json_t *rxqs = json_object_get(p, "rxqs");
	struct cells c = {0};
	char drops[512];
	long long sum = drops_sum(json_object_get(p, "drops"), drops, sizeof(drops));
	size_t i;
	int rc;

	(void)unused;
	cell_str(&c, str_of(p, "name"));
	cell_num(&c, p, "rx_packets", 0);
	cell_num(&c, p, "rx_bytes", 0);
	cell_num(&c, p, "tx_packets", 0);
	cell_num(&c, p, "tx_bytes", 0);
	cell_fmt(&c, "%lld", sum);
	rc = iovsctl_table_row(t, c.v);
	if (rc == 0 && sum != 0)
		rc = iovsctl_table_note(t, "  drops:%s", drops);
	for (i = 0; rc == 0 && i < json_array_size(rxqs); i++) {
		const json_t *q = json_array_get(rxqs, i);

		rc = iovsctl_table_note(t, "  rxq %lld on core %lld: %lld pkts", int_of(q, "queue"),
					int_of(q, "pmd_core"), int_of(q, "rx_packets"));
	}
	rxqs = json_object_get(p, "queues"); /* vhost-user queue pairs */
	for (i = 0; rc == 0 && i < json_array_size(rxqs); i++) {
		const json_t *q = json_array_get(rxqs, i);

		sum = drops_sum(json_object_get(q, "drops"), drops, sizeof(drops));
		rc = iovsctl_table_note(
			t,
			"  queue pair %lld: guest tx %s rx %s, from guest %lld pkts, "
			"to guest %lld pkts, %lld interrupts%s%s",
			int_of(q, "queue"),
			json_is_true(json_object_get(q, "rx_up")) ? "up" : "down",
			json_is_true(json_object_get(q, "tx_up")) ? "up" : "down",
			int_of(q, "rx_packets"), int_of(q, "tx_packets"), int_of(q, "interrupts"),
			sum ? ", drops:" : "", drops);
	}
	rxqs = json_object_get(p, "iotlb"); /* vhost-user with a vIOMMU */
	if (rc == 0 && json_is_true(json_object_get(rxqs, "enabled")))
		rc = iovsctl_table_note(t,
					"  iotlb: %lld entries, %lld updates (%lld refused), "
					"%lld invalidations, %lld misses sent, %lld waits, "
					"%lld packets held, %lld access failures",
					int_of(rxqs, "entries"), int_of(rxqs, "updates"),
					int_of(rxqs, "updates_refused"),
					int_of(rxqs, "invalidations"), int_of(rxqs, "misses_sent"),
					int_of(rxqs, "miss_waits"), int_of(rxqs, "held_packets"),
					int_of(rxqs, "access_failures"));
	return rc;
}

static int
view_port_stats(const json_t *result, FILE *f)
{
	static const char *const hdr[] = {
		"NAME", "RX-PKTS", "RX-BYTES", "TX-PKTS", "TX-BYTES", "DROPS",
	};

	return print_rows(hdr, N_OF(hdr), array_of(result, "ports"), port_stats_row, false, f, "");
}

/* ---- PMDs, bridges, MAC tables ---- */

/* A PMD thread; 'full' adds the iteration and packet counts. Cycles per
 * packet mean nothing before the first packet: "-". */
static int
pmd_row(struct iovsctl_table *t, const json_t *p, bool full)
{
	struct cells c = {0};

	cell_num(&c, p, "core", 0);
	cell_num(&c, p, "rx_queues", 0);
	if (full) {
		cell_num(&c, p, "iterations", 0);
		cell_num(&c, p, "rx_packets", 0);
	}
	cell_num(&c, p, "busy_pct", 1);
	if (int_of(p, "rx_packets") > 0)
		cell_num(&c, p, "busy_cycles_per_packet", 0);
	else
		cell_str(&c, NULL);
	return iovsctl_table_row(t, c.v);
}

static int
view_pmds(const json_t *result, FILE *f)
{
	static const char *const hdr[] = {
		"CORE", "RXQS", "ITERATIONS", "RX-PKTS", "BUSY%", "CYC/PKT",
	};

	return print_rows(hdr, N_OF(hdr), array_of(result, "pmds"), pmd_row, true, f, "");
}

static void
bridge_header(const json_t *br, FILE *f)
{
	size_t n_ports = json_array_size(json_object_get(br, "ports"));
	long long n_macs = int_of(br, "fdb_entries");

	fprintf(f, "\nbridge %s: %zu port%s, %lld MAC%s learned", str_of(br, "name") ?: "-",
		n_ports, n_ports == 1 ? "" : "s", n_macs, n_macs == 1 ? "" : "s");
	fprintf(f, " (table size %lld, aging %lld s)\n", int_of(br, "mac_table_size"),
		int_of(br, "mac_aging_s"));
}

static int
view_show(const json_t *result, FILE *f)
{
	static const char *const ports_hdr[] = {
		"NAME", "TYPE", "STATE", "QUEUES", "VLAN", "IFACE/DEVARGS",
	};
	static const char *const pmds_hdr[] = {"CORE", "RXQS", "BUSY%", "CYC/PKT"};
	const json_t *bridges = array_of(result, "bridges");
	size_t i;
	int rc = 0;

	fprintf(f, "config %s, run dir %s\n", str_of(result, "config") ?: "-",
		str_of(result, "run_dir") ?: "-");
	for (i = 0; rc == 0 && i < json_array_size(bridges); i++) {
		const json_t *br = json_array_get(bridges, i);

		bridge_header(br, f);
		rc = print_rows(ports_hdr, N_OF(ports_hdr), array_of(br, "ports"), port_row, false,
				f, "  ");
	}
	if (rc != 0)
		return rc;
	fprintf(f, "\nPMD threads\n");
	return print_rows(pmds_hdr, N_OF(pmds_hdr), array_of(result, "pmds"), pmd_row, false, f,
			  "  ");
}

static int
bridge_row(struct iovsctl_table *t, const json_t *br, bool unused)
{
	struct cells c = {0};

	(void)unused;
	cell_str(&c, str_of(br, "name"));
	cell_fmt(&c, "%zu", json_array_size(json_object_get(br, "ports")));
	cell_num(&c, br, "fdb_entries", 0);
	cell_num(&c, br, "mac_table_size", 0);
	cell_num(&c, br, "mac_aging_s", 0);
	return iovsctl_table_row(t, c.v);
}

static int
view_bridges(const json_t *result, FILE *f)
{
	static const char *const hdr[] = {"NAME", "PORTS", "MACS", "MAC-TABLE-SIZE", "MAC-AGING"};

	return print_rows(hdr, N_OF(hdr), array_of(result, "bridges"), bridge_row, false, f, "");
}

static int
fdb_row(struct iovsctl_table *t, const json_t *e, bool unused)
{
	struct cells c = {0};

	(void)unused;
	cell_str(&c, str_of(e, "mac"));
	cell_num(&c, e, "vlan", 0);
	cell_str(&c, str_of(e, "port"));
	cell_num(&c, e, "age_s", 0);
	return iovsctl_table_row(t, c.v);
}

static int
view_fdb(const json_t *result, FILE *f)
{
	static const char *const hdr[] = {"MAC", "VLAN", "PORT", "AGE"};

	return print_rows(hdr, N_OF(hdr), array_of(result, "entries"), fdb_row, false, f, "");
}

/* ---- OpenFlow ---- */

static int
conn_row(struct iovsctl_table *t, const json_t *e, bool unused)
{
	struct cells c = {0};
	char backoff[24] = "-";

	(void)unused;
	if (int_of(e, "backoff_ms") > 0 && !json_is_true(json_object_get(e, "connected")))
		snprintf(backoff, sizeof(backoff), "%lld ms", int_of(e, "backoff_ms"));
	cell_str(&c, str_of(e, "target"));
	cell_str(&c, str_of(e, "kind"));
	cell_str(&c, str_of(e, "state"));
	cell_str(&c, str_of(e, "role"));
	cell_str(&c, str_of(e, "version"));
	cell_num(&c, e, "rx_msgs", 0);
	cell_num(&c, e, "tx_msgs", 0);
	cell_num(&c, e, "errors_sent", 0);
	cell_str(&c, backoff);
	if (iovsctl_table_row(t, c.v) != 0)
		return -ENOMEM;
	if (str_of(e, "last_error") != NULL && *str_of(e, "last_error") != '\0')
		return iovsctl_table_note(t, "  last error: %s", str_of(e, "last_error"));
	return 0;
}

/* "pipeline: 12 packet-ins, 0 packet-outs, 3 drops: table_miss=3" (the
 * reasons with a count). */
static void
pipeline_line(const json_t *pl, FILE *f)
{
	char drops[512];
	long long sum;

	if (pl == NULL)
		return;
	sum = drops_sum(json_object_get(pl, "drops"), drops, sizeof(drops));
	fprintf(f, "pipeline: %lld packet-ins, %lld packet-outs, %lld drops%s%s\n",
		(long long)json_integer_value(json_object_get(pl, "packet_in")),
		(long long)json_integer_value(json_object_get(pl, "packet_out")), sum,
		sum ? ":" : "", drops);
}

static int
view_controller(const json_t *result, FILE *f)
{
	static const char *const hdr[] = {"CONNECTION", "KIND", "STATE",  "ROLE",   "VERSION",
					  "RX",		"TX",	"ERRORS", "BACKOFF"};
	const json_t *fi;

	if (!json_is_true(json_object_get(result, "openflow"))) {
		fprintf(f, "bridge %s: no OpenFlow (iovsctl controller set %s TARGETS)\n",
			str_of(result, "bridge"), str_of(result, "bridge"));
		return 0;
	}
	fprintf(f, "bridge %s: datapath_id %s, listen %s, fail_mode %s\n", str_of(result, "bridge"),
		str_of(result, "datapath_id") ?: "-", str_of(result, "listen") ?: "-",
		str_of(result, "fail_mode") ?: "-");
	if (str_of(result, "listen_error") && *str_of(result, "listen_error"))
		fprintf(f, "listener error: %s\n", str_of(result, "listen_error"));
	if (str_of(result, "error"))
		fprintf(f, "error: %s\n", str_of(result, "error"));
	fi = json_object_get(result, "flow_install");
	if (json_integer_value(json_object_get(fi, "count")) > 0)
		fprintf(f,
			"flow install (received -> on every PMD): %lld changes, p50 %.0f us, "
			"p99 %.0f us, max %.0f us\n",
			(long long)json_integer_value(json_object_get(fi, "count")),
			json_number_value(json_object_get(fi, "p50_us")),
			json_number_value(json_object_get(fi, "p99_us")),
			json_number_value(json_object_get(fi, "max_us")));
	pipeline_line(json_object_get(result, "pipeline"), f);
	return print_rows(hdr, N_OF(hdr), array_of(result, "connections"), conn_row, false, f, "");
}

/* ---- the others ---- */

static int
print_json(const json_t *result, FILE *f)
{
	char *s = json_dumps(result, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY |
					     JSON_REAL_PRECISION(10));

	if (s == NULL)
		return -ENOMEM;
	fprintf(f, "%s\n", s);
	free(s);
	return 0;
}

static int
view_none(const json_t *result, FILE *f)
{
	(void)result;
	(void)f;
	return 0;
}

static const view_fn views[IOVSCTL_VIEW__MAX] = {
	[IOVSCTL_VIEW_NONE] = view_none,
	[IOVSCTL_VIEW_SHOW] = view_show,
	[IOVSCTL_VIEW_BRIDGES] = view_bridges,
	[IOVSCTL_VIEW_PORTS] = view_ports,
	[IOVSCTL_VIEW_PORT_STATS] = view_port_stats,
	[IOVSCTL_VIEW_PMDS] = view_pmds,
	[IOVSCTL_VIEW_FDB] = view_fdb,
	[IOVSCTL_VIEW_CONTROLLER] = view_controller,
	[IOVSCTL_VIEW_FLOWS] = iovsctl_view_flows,
	[IOVSCTL_VIEW_TRACE] = iovsctl_view_trace,
	[IOVSCTL_VIEW_VFS] = iovsctl_view_vfs,
	[IOVSCTL_VIEW_VF_ASSIGN] = iovsctl_view_vf_assign,
	[IOVSCTL_VIEW_JSON] = print_json,
};

int
iovsctl_view_print(enum iovsctl_view view, bool json, const json_t *result, FILE *f)
{
	if (json || view >= IOVSCTL_VIEW__MAX)
		return print_json(result, f);
	return views[view](result, f);
}
