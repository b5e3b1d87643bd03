/* Unit tests of iovsd/config.c: parsing (values, every error kind with its
 * position), validation, JSON round trips, truncated documents, and the
 * file rules (atomic save, no temp files left, corrupt files left untouched).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

/* The example of docs/configuration.md, without trailing white space so that
 * every proper prefix is an incomplete document. */
static const char example[] =
	"{ \"version\": 1,\n"
	"  \"control_core\": 0,\n"
	"  \"pmd_cores\": [1, 2],\n"
	"  \"bridges\": [ { \"name\": \"br0\", \"mac_table_size\": 8192, \"mac_aging_s\": 300,\n"
	"                 \"ports\": [ { \"name\": \"host0\", \"type\": \"tap\", \"iface\": "
	"\"iovs0\" },\n"
	"                            { \"name\": \"p1\", \"type\": \"af_packet\", \"iface\": "
	"\"veth1\", \"queues\": 2,\n"
	"                              \"rxq_pmd\": {\"0\": 1},\n"
	"                              \"vlan_mode\": \"access\", \"tag\": 100 },\n"
	"                            { \"name\": \"t1\", \"type\": \"af_packet\", \"iface\": "
	"\"veth3\",\n"
	"                              \"vlan_mode\": \"trunk\", \"trunks\": \"100,200-210\", "
	"\"native_vlan\": 0 },\n"
	"                            { \"name\": \"n0\", \"type\": \"dpdk\", \"devargs\": "
	"\"net_null0\" } ] },\n"
	"               { \"name\": \"br1\", \"mac_table_size\": 16, \"mac_aging_s\": 86400,\n"
	"                 \"ports\": [ { \"name\": \"x0\", \"type\": \"af_xdp\", \"iface\": "
	"\"eth9\", \"queues\": 4,\n"
	"                              \"rxq_pmd\": {\"3\": 2, \"1\": 1},\n"
	"                              \"vlan_mode\": \"trunk\", \"native_vlan\": 7 },\n"
	"                            { \"name\": \"v0\", \"type\": \"pci\", \"devargs\": "
	"\"0000:01:00.1,a=b\" },\n"
	"                            { \"name\": \"r0\", \"type\": \"ring\" },\n"
	"                            { \"name\": \"z0\", \"type\": \"null\", \"tag\": 4094 } ] } ] "
	"}";

struct fixture {
	struct iovsd_conf a, b;
	struct iovs_err err;
	char dir[64];
	char path[128];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/iovs-config-test.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/iovsd.json", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char path[512];
	struct dirent *de;
	DIR *d = opendir(f->dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", f->dir, de->d_name);
		if (unlink(path) != 0)
			rmdir(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Names in 'dir', sorted, joined with ' '. */
static void
list_dir(const char *dir, char *out, size_t size)
{
	struct dirent **names;
	int n, i;

	out[0] = '\0';
	n = scandir(dir, &names, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.')
			snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? " " : "",
				 names[i]->d_name);
		free(names[i]);
	}
	free(names);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static char *
read_whole(const char *path, size_t *len)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static void
assert_conf_equal(const struct iovsd_conf *x, const struct iovsd_conf *y)
{
	unsigned i;

	assert_int_equal(x->control_core, y->control_core);
	assert_int_equal(x->n_pmd_cores, y->n_pmd_cores);
	for (i = 0; i < x->n_pmd_cores; i++)
		assert_int_equal(x->pmd_cores[i], y->pmd_cores[i]);
	assert_int_equal(x->n_bridges, y->n_bridges);
	for (i = 0; i < x->n_bridges; i++) {
		assert_string_equal(x->bridges[i].name, y->bridges[i].name);
		assert_int_equal(x->bridges[i].mac_table_size, y->bridges[i].mac_table_size);
		assert_int_equal(x->bridges[i].mac_aging_s, y->bridges[i].mac_aging_s);
		assert_int_equal(x->bridges[i].no_learning, y->bridges[i].no_learning);
	}
	assert_int_equal(x->n_ports, y->n_ports);
	for (i = 0; i < x->n_ports; i++) {
		const struct vsw_port_conf *p = &x->ports[i], *q = &y->ports[i];

		assert_string_equal(p->name, q->name);
		assert_string_equal(p->bridge, q->bridge);
		assert_int_equal(p->type, q->type);
		assert_string_equal(p->iface, q->iface);
		assert_string_equal(p->devargs, q->devargs);
		assert_string_equal(p->socket, q->socket);
		assert_int_equal(p->client, q->client);
		assert_int_equal(p->n_queues, q->n_queues);
		assert_memory_equal(p->rxq_pmd, q->rxq_pmd, sizeof(p->rxq_pmd));
		assert_int_equal(p->vlan.mode, q->vlan.mode);
		assert_int_equal(p->vlan.tag, q->vlan.tag);
		assert_int_equal(p->vlan.native, q->vlan.native);
		assert_int_equal(p->vlan.trunks_all, q->vlan.trunks_all);
		assert_memory_equal(p->vlan.trunks, q->vlan.trunks, sizeof(p->vlan.trunks));
		assert_int_equal(x->ofport[i], y->ofport[i]);
	}
	for (i = 0; i < x->n_bridges; i++) {
		const struct iovsd_of_conf *a = &x->openflow[i], *b = &y->openflow[i];
		unsigned c;

		assert_int_equal(a->enabled, b->enabled);
		if (!a->enabled)
			continue;
		assert_string_equal(a->dp.name, b->dp.name);
		assert_int_equal(a->dp.fail_mode, b->dp.fail_mode);
		assert_int_equal(a->dp.datapath_id, b->dp.datapath_id);
		assert_int_equal(a->dp.n_controllers, b->dp.n_controllers);
		for (c = 0; c < a->dp.n_controllers; c++)
			assert_string_equal(a->dp.controllers[c], b->dp.controllers[c]);
	}
}

static void
parse_ok(struct fixture *f, const char *text, struct iovsd_conf *conf)
{
	memset(&f->err, 0, sizeof(f->err));
	if (iovsd_conf_parse(text, strlen(text), conf, &f->err) != 0)
		fail_msg("parse failed: %s\n%s", f->err.msg, text);
}

/* Parses 'text' expecting an error whose message starts with 'prefix'. */
static int
parse_err(struct fixture *f, const char *text, const char *prefix)
{
	int rc;

	memset(&f->err, 0, sizeof(f->err));
	rc = iovsd_conf_parse(text, strlen(text), &f->a, &f->err);
	if (rc >= 0)
		fail_msg("accepted, expected '%s':\n%s", prefix, text);
	if (strncmp(f->err.msg, prefix, strlen(prefix)) != 0)
		fail_msg("message '%s' does not start with '%s'", f->err.msg, prefix);
	return rc;
}

/* A one-bridge document with 'ports' spliced in. */
static const char *
doc_with_ports(const char *ports)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "{\"bridges\": [{\"name\": \"br0\", \"ports\": [%s]}]}", ports);
	return buf;
}

static void
assert_canonical_round_trip(const struct iovsd_conf *conf, struct iovsd_conf *back)
{
	struct iovs_err err = {{0}};
	json_t *j = iovsd_conf_to_json(conf);
	char *text;

	assert_non_null(j);
	text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	assert_non_null(text);
	if (iovsd_conf_parse(text, strlen(text), back, &err) != 0)
		fail_msg("canonical form does not parse: %s\n%s", err.msg, text);
	free(text);
	assert_conf_equal(conf, back);
}

static void
test_default(void **state)
{
	struct fixture *f = *state;
	struct iovsd_conf *c = &f->a;

	iovsd_conf_default(c);
	assert_int_equal(iovsd_conf_validate(c, &f->err), 0);
	assert_int_equal(c->control_core, -1);
	assert_int_equal(c->n_pmd_cores, 0);
	assert_int_equal(c->n_bridges, 1);
	assert_string_equal(c->bridges[0].name, "br0");
	assert_int_equal(c->bridges[0].mac_table_size, 8192);
	assert_int_equal(c->bridges[0].mac_aging_s, 300);
	assert_int_equal(c->n_ports, 1);
	assert_string_equal(c->ports[0].name, "host0");
	assert_string_equal(c->ports[0].bridge, "br0");
	assert_int_equal(c->ports[0].type, VSW_PORT_TAP);
	assert_string_equal(c->ports[0].iface, "iovs0");
	assert_int_equal(c->ports[0].n_queues, 1);
	assert_int_equal(c->ports[0].vlan.mode, VSW_VLAN_ACCESS);
	assert_canonical_round_trip(c, &f->b);
}

static void
test_example_values(void **state)
{
	struct fixture *f = *state;
	const struct vsw_port_conf *p;
	struct iovsd_conf *c = &f->a;
	unsigned v;

	parse_ok(f, example, c);
	assert_int_equal(c->control_core, 0);
	assert_int_equal(c->n_pmd_cores, 2);
	assert_int_equal(c->pmd_cores[0], 1);
	assert_int_equal(c->pmd_cores[1], 2);
	assert_int_equal(c->n_bridges, 2);
	assert_string_equal(c->bridges[1].name, "br1");
	assert_int_equal(c->bridges[1].mac_table_size, 16);
	assert_int_equal(c->bridges[1].mac_aging_s, 86400);
	assert_int_equal(c->n_ports, 8);

	p = iovsd_conf_find_port(c, "host0");
	assert_ptr_equal(p, &c->ports[0]);
	assert_string_equal(p->bridge, "br0");
	assert_int_equal(p->type, VSW_PORT_TAP);
	assert_string_equal(p->iface, "iovs0");
	assert_int_equal(p->n_queues, 1);
	assert_int_equal(p->rxq_pmd[0], -1);

	p = iovsd_conf_find_port(c, "p1");
	assert_int_equal(p->type, VSW_PORT_AF_PACKET);
	assert_string_equal(p->iface, "veth1");
	assert_int_equal(p->n_queues, 2);
	assert_int_equal(p->rxq_pmd[0], 1);
	assert_int_equal(p->rxq_pmd[1], -1);
	assert_int_equal(p->vlan.mode, VSW_VLAN_ACCESS);
	assert_int_equal(p->vlan.tag, 100);

	p = iovsd_conf_find_port(c, "t1");
	assert_int_equal(p->vlan.mode, VSW_VLAN_TRUNK);
	assert_false(p->vlan.trunks_all);
	assert_int_equal(p->vlan.native, 0);
	for (v = 0; v < 4096; v++)
		assert_int_equal((p->vlan.trunks[v / 64] >> (v % 64)) & 1,
				 v == 100 || (v >= 200 && v <= 210));

	p = iovsd_conf_find_port(c, "n0");
	assert_int_equal(p->type, VSW_PORT_DPDK);
	assert_string_equal(p->devargs, "net_null0");
	assert_string_equal(p->iface, "");

	p = iovsd_conf_find_port(c, "x0");
	assert_string_equal(p->bridge, "br1");
	assert_int_equal(p->type, VSW_PORT_AF_XDP);
	assert_int_equal(p->n_queues, 4);
	assert_int_equal(p->rxq_pmd[0], -1);
	assert_int_equal(p->rxq_pmd[1], 1);
	assert_int_equal(p->rxq_pmd[3], 2);
	assert_true(p->vlan.trunks_all); /* "trunks" defaults to all */
	assert_int_equal(p->vlan.native, 7);

	p = iovsd_conf_find_port(c, "v0");
	assert_int_equal(p->type, VSW_PORT_PCI);
	assert_string_equal(p->devargs, "0000:01:00.1,a=b");
	assert_int_equal(iovsd_conf_find_port(c, "r0")->type, VSW_PORT_RING);
	assert_int_equal(iovsd_conf_find_port(c, "z0")->vlan.tag, 4094);
	assert_null(iovsd_conf_find_port(c, "nope"));
	assert_ptr_equal(iovsd_conf_find_bridge(c, "br1"), &c->bridges[1]);
	assert_null(iovsd_conf_find_bridge(c, "br2"));

	assert_canonical_round_trip(c, &f->b);
}

static void
test_minimal_documents(void **state)
{
	struct fixture *f = *state;

	parse_ok(f, "{\"bridges\": []}", &f->a);
	assert_int_equal(f->a.n_bridges, 0);
	assert_int_equal(f->a.control_core, -1);
	parse_ok(f,
		 "{\"version\": 1, \"control_core\": -1, \"pmd_cores\": [], \"bridges\": "
		 "[{\"name\": \"b\"}]}",
		 &f->a);
	assert_int_equal(f->a.n_bridges, 1);
	assert_int_equal(f->a.bridges[0].mac_table_size, 8192);
	assert_int_equal(f->a.n_ports, 0);
	parse_ok(f, doc_with_ports("{\"name\": \"tap0\", \"type\": \"tap\"}"), &f->a);
	assert_string_equal(f->a.ports[0].iface, "");
}

static void
test_syntax_errors(void **state)
{
	struct fixture *f = *state;

	parse_err(f, "{\n  \"version\": 1,\n  \"bridges\": x\n}", "3:14: invalid token near 'x'");
	parse_err(f, "{\"bridges\": [],}", "1:16: ");
	parse_err(f, "", "1:0: '[' or '{' expected");
	parse_err(f, "{\"bridges\": []} x", "1:17: end of file expected");
	/* Duplicate keys are refused by the parser, with their position. */
	parse_err(f, "{\"bridges\": [],\n \"bridges\": []}", "2:10: duplicate object key");
	parse_err(f, doc_with_ports("{\"name\": \"a\", \"type\": \"tap\", \"name\": \"b\"}"),
		  "1:74: duplicate object key near '\"name\"'");
	parse_err(f, "{\"bridges\": [{\"name\": \"a\\u0000b\"}]}", "1:32: \\u0000 is not allowed");
	assert_int_equal(iovsd_conf_parse(NULL, 0, &f->a, &f->err), -EINVAL);
	assert_int_equal(iovsd_conf_parse(NULL, 5, &f->a, &f->err), -EINVAL);
	/* Bytes after a NUL are not ignored. */
	assert_int_equal(iovsd_conf_parse("{\"bridges\": []}\0x", 17, &f->a, &f->err), -EINVAL);
}

static void
test_structure_errors(void **state)
{
	struct fixture *f = *state;

	parse_err(f, "[]", "expected an object at the top level, not an array");
	parse_err(f, "{}", "missing key \"bridges\"");
	parse_err(f, "{\"bridges\": {}}", "bridges: expected an array, not an object");
	parse_err(f, "{\"bridge\": []}", "unknown key \"bridge\" (known: version, control_core");
	parse_err(f, "{\"version\": 2, \"bridges\": []}",
		  "version: 2 is not supported (this iovsd reads version 1)");
	parse_err(f, "{\"version\": \"1\", \"bridges\": []}",
		  "version: expected an integer, not a string");
	parse_err(f, "{\"bridges\": [7]}", "bridges[0]: expected an object, not an integer");
	parse_err(f, "{\"bridges\": [{}]}", "bridges[0]: missing key \"name\"");
	parse_err(f, "{\"bridges\": [{\"name\": \"b\", \"mac_aging\": 1}]}",
		  "bridges[0]: unknown key \"mac_aging\"");
	parse_err(f, "{\"bridges\": [{\"name\": \"b\", \"ports\": {}}]}",
		  "bridges[0].ports: expected an array, not an object");
	parse_err(f, "{\"bridges\": [{\"name\": \"b\", \"ports\": [null]}]}",
		  "bridges[0].ports[0]: expected an object, not null");
	parse_err(f, "{\"bridges\": [{\"name\": 5}]}",
		  "bridges[0].name: expected a string, not an integer");
	parse_err(f, "{\"bridges\": [{\"name\": \"0123456789012345678901234567890123\"}]}",
		  "bridges[0].name: \"0123456789012345678901234567890123\" is too long (34 bytes, "
		  "at most 31)");
	parse_err(f, doc_with_ports("{\"type\": \"tap\"}"),
		  "bridges[0].ports[0]: missing key \"name\"");
	parse_err(f, doc_with_ports("{\"name\": \"a\"}"),
		  "bridges[0].ports[0]: missing key \"type\"");
}

static void
test_port_errors(void **state)
{
	struct fixture *f = *state;

	parse_err(f,
		  doc_with_ports("{\"name\": \"a\", \"type\": \"tap\"}, "
				 "{\"name\": \"b\", \"type\": \"null\", \"quues\": 2}"),
		  "bridges[0].ports[1]: unknown key \"quues\"");
	parse_err(f,
		  doc_with_ports("{\"name\": \"a\", \"type\": \"tap\"}, "
				 "{\"name\": \"b\", \"type\": \"null\", \"queues\": \"2\"}"),
		  "bridges[0].ports[1].queues: expected an integer, not a string");
	parse_err(f, doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"queues\": 2.0}"),
		  "bridges[0].ports[0].queues: expected an integer, not a real number");
	parse_err(f,
		  doc_with_ports("{\"name\": \"a\", \"type\": \"tap\"},"
				 "{\"name\": \"b\", \"type\": \"tap\"},"
				 "{\"name\": \"c\", \"type\": \"null\", \"queues\": 40}"),
		  "bridges[0].ports[2].queues: 40 out of range 1..16");
	parse_err(f, doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"queues\": 65537}"),
		  "bridges[0].ports[0].queues: 65537 out of range 1..16");
	parse_err(f, doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"queues\": -1}"),
		  "bridges[0].ports[0].queues: -1 out of range 1..16");
	parse_err(f, doc_with_ports("{\"name\": \"a\", \"type\": \"vhost\"}"),
		  "bridges[0].ports[0].type: \"vhost\" is not a port type (tap, af_packet");
	parse_err(f, doc_with_ports("{\"name\": \"a\", \"type\": true}"),
		  "bridges[0].ports[0].type: expected a string, not a boolean");
	parse_err(f,
		  doc_with_ports("{\"name\": \"a\", \"type\": \"tap\", \"iface\": "
				 "\"0123456789abcdef\"}"),
		  "bridges[0].ports[0].iface: \"0123456789abcdef\" is too long (16 bytes, at most "
		  "15)");
	/* Checks of vsw_port_conf_validate(), prefixed with the port's path. */
	parse_err(f, doc_with_ports("{\"name\": \"a\", \"type\": \"tap\", \"iface\": \"a b\"}"),
		  "bridges[0].ports[0]: iface \"a b\" is not a valid interface name");
	parse_err(f, doc_with_ports("{\"name\": \"a b\", \"type\": \"null\"}"),
		  "bridges[0].ports[0]: name \"a b\" is not valid");
	parse_err(f, doc_with_ports("{\"name\": \"a\", \"type\": \"pci\"}"),
		  "bridges[0].ports[0]: devargs is required for pci ports");
	parse_err(f, doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"iface\": \"x\"}"),
		  "bridges[0].ports[0]: iface \"x\" is not allowed for null ports");
	parse_err(f, "{\"bridges\": [{\"name\": \"b\", \"mac_table_size\": 8}]}",
		  "bridges[0].mac_table_size: 8 out of range 16..1048576");
	parse_err(f, "{\"bridges\": [{\"name\": \"b\", \"mac_aging_s\": 0}]}",
		  "bridges[0].mac_aging_s: 0 out of range 1..86400");
	parse_err(f, "{\"bridges\": [{\"name\": \"-b\"}]}", "bridges[0]: name \"-b\" is not valid");
}

static void
test_rxq_pmd_errors(void **state)
{
	struct fixture *f = *state;

	parse_err(
		f, doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"rxq_pmd\": [1]}"),
		"bridges[0].ports[0].rxq_pmd: expected an object such as {\"0\": 1}, not an array");
	parse_err(
		f,
		doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"queues\": 2, "
			       "\"rxq_pmd\": {\"2\": 1}}"),
		"bridges[0].ports[0].rxq_pmd: key \"2\" is not a queue number 0..1 (queues is 2)");
	parse_err(f,
		  doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"queues\": 2, "
				 "\"rxq_pmd\": {\"01\": 1}}"),
		  "bridges[0].ports[0].rxq_pmd: key \"01\" is not a queue number");
	parse_err(f,
		  doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"rxq_pmd\": {\"x\": 1}}"),
		  "bridges[0].ports[0].rxq_pmd: key \"x\" is not a queue number");
	parse_err(f,
		  doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"rxq_pmd\": {\"-0\": 1}}"),
		  "bridges[0].ports[0].rxq_pmd: key \"-0\"");
	parse_err(f,
		  doc_with_ports(
			  "{\"name\": \"a\", \"type\": \"null\", \"rxq_pmd\": {\"0\": \"1\"}}"),
		  "bridges[0].ports[0].rxq_pmd[\"0\"]: expected an integer, not a string");
	parse_err(
		f,
		doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"rxq_pmd\": {\"0\": 1024}}"),
		"bridges[0].ports[0].rxq_pmd[\"0\"]: 1024 out of range -1..1023");
	/* "queues" is read first, whatever the key order. */
	parse_ok(f,
		 doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"rxq_pmd\": {\"3\": 5}, "
				"\"queues\": 4}"),
		 &f->a);
	assert_int_equal(f->a.ports[0].rxq_pmd[3], 5);
	/* Pins must name a core that polls. */
	parse_err(f,
		  "{\"control_core\": 0, \"bridges\": [{\"name\": \"b\", \"ports\": [{\"name\": "
		  "\"a\", \"type\": \"null\", \"rxq_pmd\": {\"0\": 0}}]}]}",
		  "bridges[0].ports[0].rxq_pmd[\"0\"]: core 0 is the control_core");
	parse_err(f,
		  "{\"pmd_cores\": [1, 2], \"bridges\": [{\"name\": \"b\", \"ports\": [{\"name\": "
		  "\"a\", \"type\": \"null\", \"rxq_pmd\": {\"0\": 3}}]}]}",
		  "bridges[0].ports[0].rxq_pmd[\"0\"]: core 3 is not in pmd_cores");
}

static void
test_vlan_errors(void **state)
{
	struct fixture *f = *state;

	parse_err(f,
		  doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"vlan_mode\": \"trunk\", "
				 "\"tag\": 5}"),
		  "bridges[0].ports[0].tag: only valid with \"vlan_mode\": \"access\"");
	parse_err(f, doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"trunks\": \"5\"}"),
		  "bridges[0].ports[0].trunks: only valid with \"vlan_mode\": \"trunk\"");
	parse_err(f,
		  doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"vlan_mode\": \"access\", "
				 "\"native_vlan\": 5}"),
		  "bridges[0].ports[0].native_vlan: only valid with \"vlan_mode\": \"trunk\"");
	parse_err(f,
		  doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"vlan_mode\": \"tronk\"}"),
		  "bridges[0].ports[0].vlan_mode: \"tronk\" is not a VLAN mode (access, trunk)");
	parse_err(f, doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"vlan_mode\": 1}"),
		  "bridges[0].ports[0].vlan_mode: expected a string, not an integer");
	parse_err(f, doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"tag\": 4095}"),
		  "bridges[0].ports[0].tag: 4095 out of range 0..4094");
	parse_err(f,
		  doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"vlan_mode\": \"trunk\", "
				 "\"native_vlan\": 4095}"),
		  "bridges[0].ports[0].native_vlan: 4095 out of range 0..4094");
	parse_err(f,
		  doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"vlan_mode\": \"trunk\", "
				 "\"trunks\": \"10,5000\"}"),
		  "bridges[0].ports[0].trunks: VLAN list item \"5000\": 5000 out of range 0..4094");
	parse_err(f,
		  doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"vlan_mode\": \"trunk\", "
				 "\"trunks\": \"\"}"),
		  "bridges[0].ports[0].trunks: VLAN list is empty");
	parse_err(f,
		  doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"vlan_mode\": \"trunk\", "
				 "\"trunks\": [10]}"),
		  "bridges[0].ports[0].trunks: expected a string such as \"10,20-30\" or \"all\", "
		  "not an "
		  "array");
	parse_ok(f,
		 doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"vlan_mode\": \"trunk\", "
				"\"trunks\": \"all\", \"native_vlan\": 3}"),
		 &f->a);
	assert_true(f->a.ports[0].vlan.trunks_all);
	assert_int_equal(f->a.ports[0].vlan.native, 3);
}

static void
test_cores_errors(void **state)
{
	struct fixture *f = *state;
	char doc[1024];
	int i;

	parse_err(f, "{\"control_core\": 1024, \"bridges\": []}",
		  "control_core: 1024 out of range -1..1023");
	parse_err(f, "{\"control_core\": -2, \"bridges\": []}", "control_core: -2 out of range");
	parse_err(f, "{\"pmd_cores\": 1, \"bridges\": []}",
		  "pmd_cores: expected an array, not an integer");
	parse_err(f, "{\"pmd_cores\": [1, \"2\"], \"bridges\": []}",
		  "pmd_cores[1]: expected an integer, not a string");
	parse_err(f, "{\"pmd_cores\": [1, 1024], \"bridges\": []}",
		  "pmd_cores[1]: 1024 out of range 0..1023");
	parse_err(f, "{\"pmd_cores\": [1, 2, 1], \"bridges\": []}",
		  "pmd_cores[2]: core 1 is already pmd_cores[0]");
	parse_err(f, "{\"control_core\": 2, \"pmd_cores\": [1, 2], \"bridges\": []}",
		  "pmd_cores[1]: core 2 is the control_core");
	snprintf(doc, sizeof(doc), "{\"pmd_cores\": [0");
	for (i = 1; i <= VSW_MAX_PMDS; i++)
		snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc), ", %d", i);
	snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc), "], \"bridges\": []}");
	parse_err(f, doc, "pmd_cores: 65 cores, at most 64");
}

static void
test_duplicates(void **state)
{
	struct fixture *f = *state;

	parse_err(f,
		  "{\"bridges\": [{\"name\": \"br0\", \"ports\": [{\"name\": \"p1\", \"type\": "
		  "\"null\"}]}, {\"name\": \"br1\", \"ports\": [{\"name\": \"x\", \"type\": "
		  "\"null\"}, {\"name\": \"p1\", \"type\": \"ring\"}]}]}",
		  "bridges[1].ports[1].name: \"p1\" is already bridges[0].ports[0]");
	parse_err(f, "{\"bridges\": [{\"name\": \"br0\"}, {\"name\": \"br0\"}]}",
		  "bridges[1].name: \"br0\" is already bridges[0]");
	/* Two ports on one kernel interface: a tap's default iface is its name. */
	parse_err(f,
		  doc_with_ports("{\"name\": \"iovs0\", \"type\": \"tap\"}, "
				 "{\"name\": \"h\", \"type\": \"tap\", \"iface\": \"iovs0\"}"),
		  "bridges[0].ports[1].iface: interface \"iovs0\" is already used by "
		  "bridges[0].ports[0]");
	parse_err(f,
		  doc_with_ports("{\"name\": \"a\", \"type\": \"af_packet\", \"iface\": \"v1\"}, "
				 "{\"name\": \"b\", \"type\": \"af_xdp\", \"iface\": \"v1\"}"),
		  "bridges[0].ports[1].iface: interface \"v1\" is already used by");
}

static void
test_limits(void **state)
{
	struct fixture *f = *state;
	size_t size = 64 * 1024, n;
	char *doc = malloc(size);
	int i;

	assert_non_null(doc);
	n = (size_t)snprintf(doc, size, "{\"bridges\": [");
	for (i = 0; i <= VSW_MAX_BRIDGES; i++)
		n += (size_t)snprintf(doc + n, size - n, "%s{\"name\": \"b%d\"}", i ? "," : "", i);
	snprintf(doc + n, size - n, "]}");
	parse_err(f, doc, "bridges: 17 bridges, at most 16");

	/* 256 ports are fine, the 257th is not, wherever it is. */
	n = (size_t)snprintf(doc, size, "{\"bridges\": [{\"name\": \"a\", \"ports\": [");
	for (i = 0; i < 200; i++)
		n += (size_t)snprintf(doc + n, size - n,
				      "%s{\"name\": \"p%d\", \"type\": \"null\"}", i ? "," : "", i);
	n += (size_t)snprintf(doc + n, size - n, "]}, {\"name\": \"b\", \"ports\": [");
	for (i = 200; i < VSW_MAX_PORTS; i++)
		n += (size_t)snprintf(doc + n, size - n,
				      "%s{\"name\": \"p%d\", \"type\": \"null\"}",
				      i > 200 ? "," : "", i);
	snprintf(doc + n, size - n, "]}]}");
	parse_ok(f, doc, &f->a);
	assert_int_equal(f->a.n_ports, VSW_MAX_PORTS);
	assert_string_equal(f->a.ports[255].bridge, "b");
	snprintf(doc + n, size - n, ", {\"name\": \"extra\", \"type\": \"ring\"}]}]}");
	parse_err(f, doc, "bridges[1].ports[56]: too many ports: at most 256");
	free(doc);
}

static void
test_failed_parse_leaves_conf(void **state)
{
	struct fixture *f = *state;

	iovsd_conf_default(&f->a);
	memcpy(&f->b, &f->a, sizeof(f->b));
	/* A meaning error late in the document: the earlier ports were read. */
	assert_int_not_equal(iovsd_conf_parse(example, strlen(example) - 3, &f->a, NULL), 0);
	parse_err(
		f,
		doc_with_ports(
			"{\"name\": \"a\", \"type\": \"null\"}, {\"name\": 1, \"type\": \"null\"}"),
		"bridges[0].ports[1].name: expected a string");
	assert_memory_equal(&f->a, &f->b, sizeof(f->a));
}

/* Every proper prefix of a valid document is refused, never crashes. */
static void
test_truncated(void **state)
{
	struct fixture *f = *state;
	size_t len, full = strlen(example);
	char *copy;

	for (len = 0; len < full; len++) {
		/* An exact-size heap copy, so ASan sees any read past 'len'. */
		copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, example, len);
		memset(&f->err, 0, sizeof(f->err));
		if (iovsd_conf_parse(copy, len, &f->a, &f->err) >= 0)
			fail_msg("prefix of %zu bytes accepted", len);
		assert_true(f->err.msg[0] != '\0');
		free(copy);
	}
	assert_int_equal(iovsd_conf_parse(example, full, &f->a, &f->err), 0);
}

static void
test_validate(void **state)
{
	struct fixture *f = *state;
	struct iovsd_conf *c = &f->a;

	parse_ok(f, example, c);
	assert_int_equal(iovsd_conf_validate(c, &f->err), 0);

	/* The file cannot name a bridge that does not exist; a conf can. */
	snprintf(c->ports[2].bridge, sizeof(c->ports[2].bridge), "brX");
	assert_int_equal(iovsd_conf_validate(c, &f->err), -ENOENT);
	assert_string_equal(f->err.msg, "ports[2]: bridge \"brX\" does not exist");
	parse_ok(f, example, c);
	c->ports[4].bridge[0] = '\0';
	assert_int_equal(iovsd_conf_validate(c, &f->err), -ENOENT);

	/* Paths name the place in the file iovsd_conf_to_json() writes. */
	parse_ok(f, example, c);
	c->ports[5].n_queues = 0;
	assert_int_not_equal(iovsd_conf_validate(c, &f->err), 0);
	assert_string_equal(f->err.msg, "bridges[1].ports[1]: queues 0 out of range 1..16");

	parse_ok(f, example, c);
	c->n_ports = VSW_MAX_PORTS + 1;
	assert_int_equal(iovsd_conf_validate(c, &f->err), -E2BIG);
	parse_ok(f, example, c);
	c->n_bridges = VSW_MAX_BRIDGES + 1;
	assert_int_equal(iovsd_conf_validate(c, &f->err), -E2BIG);
	parse_ok(f, example, c);
	c->n_pmd_cores = VSW_MAX_PMDS + 1;
	assert_int_equal(iovsd_conf_validate(c, &f->err), -E2BIG);
	parse_ok(f, example, c);
	c->bridges[1].mac_aging_s = 0;
	assert_int_not_equal(iovsd_conf_validate(c, &f->err), 0);
	assert_string_equal(f->err.msg, "bridges[1]: mac_aging_s 0 out of range 1..86400");
	parse_ok(f, example, c);
	memset(c->ports[1].name, 'x', sizeof(c->ports[1].name)); /* no NUL */
	assert_int_not_equal(iovsd_conf_validate(c, &f->err), 0);
	assert_non_null(strstr(f->err.msg, "bridges[0].ports[1]: name \"xxxx"));
}

static void
test_port_json(void **state)
{
	struct fixture *f = *state;
	struct vsw_port_conf p, back;
	json_t *j, *obj;
	char *text;

	(void)f;
	vsw_port_conf_init(&p);
	snprintf(p.name, sizeof(p.name), "t1");
	p.type = VSW_PORT_AF_PACKET;
	snprintf(p.iface, sizeof(p.iface), "veth3");
	p.n_queues = 4;
	p.rxq_pmd[2] = 7;
	p.vlan.mode = VSW_VLAN_TRUNK;
	p.vlan.native = 9;
	assert_int_equal(vsw_vlan_list_parse("300,100-102", &p.vlan, NULL), 0);
	j = iovsd_port_conf_to_json(&p);
	assert_non_null(j);
	text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(text, "{\"name\":\"t1\",\"type\":\"af_packet\",\"iface\":\"veth3\","
				  "\"queues\":4,\"rxq_pmd\":{\"2\":7},\"vlan_mode\":\"trunk\","
				  "\"trunks\":\"100-102,300\",\"native_vlan\":9}");
	free(text);
	assert_int_equal(iovsd_port_conf_from_json(j, "params", &back, &f->err), 0);
	json_decref(j);
	assert_string_equal(back.bridge, ""); /* the caller sets it */
	assert_string_equal(back.name, "t1");
	assert_int_equal(back.rxq_pmd[2], 7);
	assert_memory_equal(back.vlan.trunks, p.vlan.trunks, sizeof(p.vlan.trunks));

	/* 'where' may be empty or NULL: the key alone prefixes the message. */
	obj = json_pack("{s:s, s:s, s:i}", "name", "a", "type", "null", "queues", 40);
	assert_int_equal(iovsd_port_conf_from_json(obj, "", &back, &f->err), -ERANGE);
	assert_string_equal(f->err.msg, "queues: 40 out of range 1..16");
	assert_int_equal(iovsd_port_conf_from_json(obj, NULL, &back, NULL), -ERANGE);
	assert_int_equal(iovsd_port_conf_from_json(obj, "params", &back, &f->err), -ERANGE);
	assert_string_equal(f->err.msg, "params.queues: 40 out of range 1..16");
	json_decref(obj);
	assert_int_equal(iovsd_port_conf_from_json(NULL, "params", &back, &f->err), -EINVAL);
	assert_string_equal(f->err.msg, "params: expected an object, not null");
}

static void
test_bridge_json(void **state)
{
	struct fixture *f = *state;
	struct vsw_bridge_conf b;
	json_t *obj;

	obj = json_pack("{s:s, s:i}", "name", "br7", "mac_aging_s", 60);
	assert_int_equal(iovsd_bridge_conf_from_json(obj, "params", &b, &f->err), 0);
	assert_string_equal(b.name, "br7");
	assert_int_equal(b.mac_aging_s, 60);
	assert_int_equal(b.mac_table_size, 8192);
	json_decref(obj);
	/* A bridge request carries no ports: those are added one by one. */
	obj = json_pack("{s:s, s:[]}", "name", "br7", "ports");
	assert_int_equal(iovsd_bridge_conf_from_json(obj, "params", &b, &f->err), -EINVAL);
	assert_non_null(strstr(f->err.msg, "params: unknown key \"ports\""));
	json_decref(obj);
}

static void
test_edits(void **state)
{
	struct fixture *f = *state;
	struct iovsd_conf *c = &f->a;
	struct vsw_port_conf p;
	unsigned i;

	parse_ok(f, example, c);
	vsw_port_conf_init(&p);
	snprintf(p.name, sizeof(p.name), "p1");
	snprintf(p.bridge, sizeof(p.bridge), "br1");
	p.type = VSW_PORT_NULL;
	assert_int_equal(iovsd_conf_add_port(c, &p, 0), -EEXIST);
	snprintf(p.name, sizeof(p.name), "new0");
	snprintf(p.bridge, sizeof(p.bridge), "nope");
	assert_int_equal(iovsd_conf_add_port(c, &p, 0), -ENOENT);
	snprintf(p.bridge, sizeof(p.bridge), "br0");
	assert_int_equal(iovsd_conf_add_port(c, &p, 0), 0);
	assert_int_equal(c->n_ports, 9);
	assert_int_equal(iovsd_conf_validate(c, &f->err), 0);
	assert_string_equal(iovsd_conf_find_port(c, "new0")->bridge, "br0");
	/* It is written at the end of br0's ports. */
	assert_canonical_round_trip(c, &f->b);
	assert_string_equal(f->b.ports[4].name, "new0");

	assert_int_equal(iovsd_conf_del_port(c, "nope"), -ENOENT);
	assert_int_equal(iovsd_conf_del_port(c, "p1"), 0);
	assert_null(iovsd_conf_find_port(c, "p1"));
	assert_int_equal(c->n_ports, 8);
	assert_string_equal(c->ports[1].name, "t1"); /* order kept */
	assert_int_equal(iovsd_conf_validate(c, &f->err), 0);

	for (i = c->n_ports; i < VSW_MAX_PORTS; i++) {
		snprintf(p.name, sizeof(p.name), "q%u", i);
		assert_int_equal(iovsd_conf_add_port(c, &p, 0), 0);
	}
	snprintf(p.name, sizeof(p.name), "one-too-many");
	assert_int_equal(iovsd_conf_add_port(c, &p, 0), -ENOSPC);
	assert_int_equal(iovsd_conf_validate(c, &f->err), 0);
	assert_canonical_round_trip(c, &f->b);
}

/* vhost-user ports and hub bridges: parsed, refused when wrong, round-tripped. */
static void
test_vhost_user_and_hub(void **state)
{
	struct fixture *f = *state;
	static const char doc[] =
		"{\"bridges\": [{\"name\": \"hub\", \"learning\": false, \"ports\": ["
		"{\"name\": \"vm1\", \"type\": \"vhost-user\", \"socket\": \"/run/vm1.sock\"},"
		"{\"name\": \"vm2\", \"type\": \"vhost-user\", \"socket\": \"/run/vm2.sock\", "
		"\"client\": true, \"queues\": 4}]}]}";

	parse_ok(f, doc, &f->a);
	assert_true(f->a.bridges[0].no_learning);
	assert_int_equal(f->a.ports[0].type, VSW_PORT_VHOST_USER);
	assert_string_equal(f->a.ports[0].socket, "/run/vm1.sock");
	assert_false(f->a.ports[0].client);
	assert_true(f->a.ports[1].client);
	assert_int_equal(f->a.ports[1].n_queues, 4);
	assert_canonical_round_trip(&f->a, &f->b);

	parse_err(f, doc_with_ports("{\"name\": \"v\", \"type\": \"vhost-user\"}"),
		  "bridges[0].ports[0]: socket is required for vhost-user ports");
	parse_err(f,
		  doc_with_ports("{\"name\": \"v\", \"type\": \"vhost-user\", "
				 "\"socket\": \"/s\", \"client\": \"yes\"}"),
		  "bridges[0].ports[0].client: expected true or false, not a string");
	parse_err(f, "{\"bridges\": [{\"name\": \"b\", \"learning\": 1}]}",
		  "bridges[0].learning: expected true or false");
	parse_err(
		f,
		doc_with_ports("{\"name\": \"v1\", \"type\": \"vhost-user\", \"socket\": \"/s\"},"
			       "{\"name\": \"v2\", \"type\": \"vhost-user\", \"socket\": \"/s\"}"),
		"bridges[0].ports[1].socket: \"/s\" is already used by bridges[0].ports[0]");
}

/* The "openflow" object of a bridge and the ports' "ofport". */
static void
test_openflow(void **state)
{
	struct fixture *f = *state;
	const struct iovsd_of_conf *of;

	parse_ok(f,
		 "{\"bridges\": [{\"name\": \"br0\", \"ports\": ["
		 "{\"name\": \"a\", \"type\": \"null\"},"
		 "{\"name\": \"b\", \"type\": \"null\", \"ofport\": 1},"
		 "{\"name\": \"c\", \"type\": \"null\", \"ofport\": 9}],"
		 " \"openflow\": {\"controllers\": [\"tcp:10.0.0.1:6633\", \"tcp:10.0.0.2\"],"
		 " \"fail_mode\": \"standalone\", \"datapath_id\": \"0x00000000000000ab\"}},"
		 " {\"name\": \"br1\", \"ports\": [{\"name\": \"d\", \"type\": \"null\"}]}]}",
		 &f->a);
	/* Explicit numbers kept; the others take the lowest free in their bridge. */
	assert_int_equal(f->a.ofport[0], 2);
	assert_int_equal(f->a.ofport[1], 1);
	assert_int_equal(f->a.ofport[2], 9);
	assert_int_equal(f->a.ofport[3], 1); /* br1 counts on its own */
	of = &f->a.openflow[0];
	assert_true(of->enabled);
	assert_string_equal(of->dp.name, "br0");
	assert_string_equal(of->dp.listen, "127.0.0.1:6653"); /* the default: loopback */
	assert_int_equal(of->dp.n_controllers, 2);
	assert_int_equal(of->dp.fail_mode, OFL_FAIL_STANDALONE);
	assert_int_equal(of->dp.datapath_id, 0xab);
	assert_false(f->a.openflow[1].enabled);
	assert_canonical_round_trip(&f->a, &f->b);

	/* Edits keep ofport with its port. */
	{
		struct vsw_port_conf p;

		vsw_port_conf_init(&p);
		snprintf(p.name, sizeof(p.name), "e");
		snprintf(p.bridge, sizeof(p.bridge), "br0");
		assert_int_equal(iovsd_conf_add_port(&f->a, &p, 9), -EEXIST);
		assert_int_equal(iovsd_conf_add_port(&f->a, &p, 0), 0);
		assert_int_equal(iovsd_conf_port_ofport(&f->a, "e"), 3);
		assert_int_equal(iovsd_conf_del_port(&f->a, "a"), 0);
		assert_int_equal(iovsd_conf_port_ofport(&f->a, "c"), 9);
		assert_int_equal(iovsd_conf_port_ofport(&f->a, "d"), 1);
		assert_int_equal(iovsd_conf_del_port(&f->a, "d"), 0);
		assert_int_equal(iovsd_conf_del_bridge(&f->a, "br1"), 0);
		assert_true(iovsd_conf_find_of(&f->a, "br0")->enabled);
	}

	/* Errors name their path. */
	parse_err(f, "{\"bridges\": [{\"name\": \"br0\", \"openflow\": {\"listen\": \"x\"}}]}",
		  "bridges[0].openflow.listen: listen \"x\": expected");
	parse_err(f,
		  "{\"bridges\": [{\"name\": \"br0\", \"openflow\": {\"controllers\": "
		  "[\"ssl:1.2.3.4\"]}}]}",
		  "bridges[0].openflow.controllers[0]: controller \"ssl:1.2.3.4\"");
	parse_err(f,
		  "{\"bridges\": [{\"name\": \"br0\", \"openflow\": {\"fail_mode\": \"open\"}}]}",
		  "bridges[0].openflow.fail_mode: \"open\"");
	parse_err(f,
		  "{\"bridges\": [{\"name\": \"br0\", \"openflow\": {\"datapath_id\": \"xyz\"}}]}",
		  "bridges[0].openflow.datapath_id");
	parse_err(f, "{\"bridges\": [{\"name\": \"br0\", \"openflow\": {\"listn\": \"0\"}}]}",
		  "bridges[0].openflow: unknown key \"listn\"");
	parse_err(f,
		  "{\"bridges\": [{\"name\": \"br0\", \"openflow\": {}},"
		  " {\"name\": \"br1\", \"openflow\": {\"listen\": \"ptcp:6653:0.0.0.0\"}}]}",
		  "bridges[1].openflow.listen: port 6653 is already bridges[0]'s");
	parse_err(f,
		  doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"ofport\": 3},"
				 "{\"name\": \"b\", \"type\": \"null\", \"ofport\": 3}"),
		  "bridges[0].ports[1].ofport: 3 is already bridges[0].ports[0]'s");
	parse_err(f, doc_with_ports("{\"name\": \"a\", \"type\": \"null\", \"ofport\": 65280}"),
		  "bridges[0].ports[0].ofport");
	/* Two bridges on different ports are fine; "none" disables. */
	parse_ok(f,
		 "{\"bridges\": [{\"name\": \"br0\", \"openflow\": {}},"
		 " {\"name\": \"br1\", \"openflow\": {\"listen\": \"127.0.0.1:6654\"}},"
		 " {\"name\": \"br2\", \"openflow\": {\"listen\": \"none\"}}]}",
		 &f->a);
	assert_canonical_round_trip(&f->a, &f->b);
}

static void
test_save_load(void **state)
{
	struct fixture *f = *state;
	char names[256], *text;
	size_t len;
	struct stat st;

	parse_ok(f, example, &f->a);
	assert_int_equal(iovsd_conf_save(f->path, &f->a, &f->err), 0);
	list_dir(f->dir, names, sizeof(names));
	assert_string_equal(names, "iovsd.json");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0077 & ~0040, 0); /* 0640 at most */
	text = read_whole(f->path, &len);
	assert_true(len > 0 && text[len - 1] == '\n');
	assert_non_null(strstr(text, "\n  \"version\": 1,\n"));

	memset(&f->b, 0, sizeof(f->b));
	assert_int_equal(iovsd_conf_load(f->path, &f->b, &f->err), 0);
	assert_conf_equal(&f->a, &f->b);

	/* Saving again replaces the file, and a stale temp file of ours. */
	snprintf(names, sizeof(names), "%s.tmp.%ld", f->path, (long)getpid());
	write_file(names, "junk", 4);
	iovsd_conf_default(&f->a);
	assert_int_equal(iovsd_conf_save(f->path, &f->a, &f->err), 0);
	list_dir(f->dir, names, sizeof(names));
	assert_string_equal(names, "iovsd.json");
	assert_int_equal(iovsd_conf_load(f->path, &f->b, &f->err), 0);
	assert_conf_equal(&f->a, &f->b);
}

static void
test_load_errors(void **state)
{
	struct fixture *f = *state;
	static const char corrupt[] = "{\n  \"bridges\": [\n    { \"name\": \"br0\", }\n  ]\n}\n";
	char want[256], *text;
	size_t len;
	int fd;

	snprintf(want, sizeof(want), "%s/missing.json", f->dir);
	assert_int_equal(iovsd_conf_load(want, &f->a, &f->err), -ENOENT);
	snprintf(want, sizeof(want), "%s/missing.json: no such file", f->dir);
	assert_string_equal(f->err.msg, want);

	write_file(f->path, corrupt, strlen(corrupt));
	assert_int_equal(iovsd_conf_load(f->path, &f->a, &f->err), -EINVAL);
	snprintf(want, sizeof(want), "%s:3:22: string or '}' expected", f->path);
	if (strncmp(f->err.msg, want, strlen(want)) != 0)
		fail_msg("'%s' does not start with '%s'", f->err.msg, want);
	text = read_whole(f->path, &len);
	assert_int_equal(len, strlen(corrupt));
	assert_memory_equal(text, corrupt, len);

	/* Nor does a save replace it. */
	iovsd_conf_default(&f->a);
	assert_int_equal(iovsd_conf_save(f->path, &f->a, &f->err), -EINVAL);
	snprintf(want, sizeof(want),
		 "not saved: the file there does not load, fix or remove it: %s:3:22: ", f->path);
	if (strncmp(f->err.msg, want, strlen(want)) != 0)
		fail_msg("'%s' does not start with '%s'", f->err.msg, want);
	text = read_whole(f->path, &len);
	assert_int_equal(len, strlen(corrupt));
	assert_memory_equal(text, corrupt, len);
	list_dir(f->dir, want, sizeof(want));
	assert_string_equal(want, "iovsd.json");

	write_file(f->path, "{\"bridges\": [{\"name\": \"b\", \"mac_aging_s\": 0}]}", 46);
	assert_int_equal(iovsd_conf_load(f->path, &f->a, &f->err), -ERANGE);
	snprintf(want, sizeof(want), "%s: bridges[0].mac_aging_s: 0 out of range 1..86400",
		 f->path);
	assert_string_equal(f->err.msg, want);

	write_file(f->path, "", 0);
	assert_int_equal(iovsd_conf_load(f->path, &f->a, &f->err), -EINVAL);
	snprintf(want, sizeof(want), "%s:1:0: ", f->path);
	assert_int_equal(strncmp(f->err.msg, want, strlen(want)), 0);

	/* Over 16 MiB: refused before reading (a sparse file). */
	fd = open(f->path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (16 << 20) + 1), 0);
	close(fd);
	assert_int_equal(iovsd_conf_load(f->path, &f->a, &f->err), -EFBIG);
	assert_non_null(strstr(f->err.msg, "more than the limit of 16 MiB"));

	assert_int_equal(iovsd_conf_load(f->dir, &f->a, &f->err), -EINVAL);
	snprintf(want, sizeof(want), "%s: not a regular file", f->dir);
	assert_string_equal(f->err.msg, want);
}

/* Saves with writes limited to 'limit' bytes per file (EFBIG beyond). */
static int
save_with_file_size_limit(struct fixture *f, rlim_t limit)
{
	void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
	struct rlimit old, small;
	int rc;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = limit;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	rc = iovsd_conf_save(f->path, &f->a, &f->err);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_handler);
	return rc;
}

static void
test_save_errors(void **state)
{
	struct fixture *f = *state;
	char path[256], names[256];

	iovsd_conf_default(&f->a);
	snprintf(path, sizeof(path), "%s/no/such/dir/iovsd.json", f->dir);
	assert_int_equal(iovsd_conf_save(path, &f->a, &f->err), -ENOENT);
	assert_non_null(strstr(f->err.msg, path));
	assert_non_null(strstr(f->err.msg, "cannot create temporary file"));
	list_dir(f->dir, names, sizeof(names));
	assert_string_equal(names, "");

	/* A directory where the file should be is not replaced. */
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_not_equal(iovsd_conf_save(f->path, &f->a, &f->err), 0);
	assert_non_null(strstr(f->err.msg, "not a regular file"));
	list_dir(f->dir, names, sizeof(names));
	assert_string_equal(names, "iovsd.json");
	assert_int_equal(rmdir(f->path), 0);

	/* A write that fails half-way: the temp file is removed, the old file kept. */
	assert_int_equal(iovsd_conf_save(f->path, &f->a, &f->err), 0);
	assert_int_equal(save_with_file_size_limit(f, 64), -EFBIG);
	assert_non_null(strstr(f->err.msg, ": write of temporary file"));
	list_dir(f->dir, names, sizeof(names));
	assert_string_equal(names, "iovsd.json");
	assert_int_equal(iovsd_conf_load(f->path, &f->b, &f->err), 0);
	assert_conf_equal(&f->a, &f->b);
	assert_int_equal(unlink(f->path), 0);

	/* An invalid conf is never written. */
	f->a.ports[0].n_queues = 99;
	assert_int_equal(iovsd_conf_save(f->path, &f->a, &f->err), -ERANGE);
	snprintf(path, sizeof(path), "%s: not saved: bridges[0].ports[0]: queues 99 out of range",
		 f->path);
	assert_int_equal(strncmp(f->err.msg, path, strlen(path)), 0);
	list_dir(f->dir, names, sizeof(names));
	assert_string_equal(names, "");
}

/* The "sriov" array: every key read back as written, and each problem named
 * with its JSON path. */
#define SRIOV_DOC(pfs)                                                                             \
	"{\"bridges\": [{\"name\": \"br0\", \"ports\": [{\"name\": \"vf0\", "                      \
	"\"type\": \"pci\", \"devargs\": \"0000:03:10.0\"}]}], \"sriov\": " pfs "}"
static void
test_sriov(void **state)
{
	struct fixture *f = *state;
	const struct iovsd_vf_conf *v;
	json_t *j;
	char *text;

	parse_ok(
		f,
		SRIOV_DOC("[{\"pf\": \"0000:03:00.0\", \"num_vfs\": 4, \"autoprobe\": true, "
			  "\"vfs\": [{\"index\": 0, \"driver\": \"vfio-pci\", \"original_driver\": "
			  "\"iavf\", \"use\": \"dataplane\", \"port\": \"vf0\", \"mac\": "
			  "\"02:00:00:00:00:0A\", \"vlan\": 10, \"qos\": 3, \"vlan_proto\": "
			  "\"802.1ad\", \"spoofchk\": false, \"trust\": true, \"link_state\": "
			  "\"disable\", \"min_tx_rate\": 10, \"max_tx_rate\": 100, \"original\": "
			  "{\"mac\": \"52:54:00:12:34:56\", \"vlan\": 0, \"qos\": 0, "
			  "\"vlan_proto\": \"802.1Q\", \"trust\": false}}, {\"index\": 3, "
			  "\"driver\": \"vfio-pci\", \"use\": \"vm\"}]}]"),
		&f->a);
	assert_int_equal(f->a.n_pfs, 1);
	assert_int_equal(f->a.pfs[0].num_vfs, 4);
	assert_true(f->a.pfs[0].autoprobe);
	assert_int_equal(f->a.n_vfs, 2);
	v = &f->a.vfs[0];
	assert_int_equal(v->index, 0);
	assert_int_equal(v->use, IOVSD_VF_USE_DATAPLANE);
	assert_string_equal(v->port, "vf0");
	assert_string_equal(v->original_driver, "iavf");
	assert_int_equal(v->attrs.set, SRIOV_VF_ALL);
	assert_memory_equal(v->attrs.mac, ((uint8_t[]){2, 0, 0, 0, 0, 10}), 6);
	assert_int_equal(v->attrs.vlan, 10);
	assert_int_equal(v->attrs.qos, 3);
	assert_int_equal(v->attrs.vlan_proto, 0x88a8);
	assert_false(v->attrs.spoofchk);
	assert_true(v->attrs.trust);
	assert_int_equal(v->attrs.link_state, SRIOV_LINK_DISABLE);
	assert_int_equal(v->attrs.min_tx_rate, 10);
	assert_int_equal(v->attrs.max_tx_rate, 100);
	assert_int_equal(v->original.set, SRIOV_VF_MAC | SRIOV_VF_VLAN | SRIOV_VF_TRUST);
	assert_memory_equal(v->original.mac, ((uint8_t[]){0x52, 0x54, 0, 0x12, 0x34, 0x56}), 6);
	assert_int_equal(v->original.vlan_proto, 0x8100);
	assert_false(v->original.trust);
	assert_int_equal(f->a.vfs[1].use, IOVSD_VF_USE_VM);
	assert_int_equal(f->a.vfs[1].original.set, 0);
	assert_int_equal(f->a.vfs[1].attrs.set, 0);

	/* Serialised and parsed again: the same state. */
	j = iovsd_conf_to_json(&f->a);
	text = json_dumps(j, 0);
	parse_ok(f, text, &f->b);
	assert_int_equal(f->b.n_vfs, 2);
	assert_memory_equal(&f->b.pfs[0], &f->a.pfs[0], sizeof(f->a.pfs[0]));
	assert_memory_equal(&f->b.vfs[0].attrs, &f->a.vfs[0].attrs, sizeof(f->a.vfs[0].attrs));
	assert_memory_equal(&f->b.vfs[0].original, &f->a.vfs[0].original,
			    sizeof(f->a.vfs[0].original));
	assert_int_equal(f->b.vfs[1].original.set, 0);
	assert_string_equal(f->b.vfs[1].driver, "vfio-pci");
	free(text);
	json_decref(j);

	parse_err(f, SRIOV_DOC("{}"), "sriov: expected an array");
	parse_err(f, SRIOV_DOC("[7]"), "sriov[0]: expected an object");
	parse_err(f, SRIOV_DOC("[{}]"), "sriov[0]: missing key \"pf\"");
	parse_err(f, SRIOV_DOC("[{\"pf\": \"0000:03:00.0\", \"numvfs\": 1}]"),
		  "sriov[0]: unknown key \"numvfs\"");
	parse_err(f, SRIOV_DOC("[{\"pf\": \"03:00.0\"}]"), "sriov[0].pf: ");
	parse_err(f, SRIOV_DOC("[{\"pf\": \"0000:03:00.0\"}, {\"pf\": \"0000:03:00.0\"}]"),
		  "sriov[1]: PF 0000:03:00.0 appears twice");
	parse_err(f, SRIOV_DOC("[{\"pf\": \"0000:03:00.0\", \"num_vfs\": 70000}]"),
		  "sriov[0].num_vfs: 70000 out of range 0..65535");
	parse_err(f, SRIOV_DOC("[{\"pf\": \"0000:03:00.0\", \"vfs\": [{}]}]"),
		  "sriov[0].vfs[0]: missing key \"index\"");
	parse_err(
		f,
		SRIOV_DOC(
			"[{\"pf\": \"0000:03:00.0\", \"num_vfs\": 2, \"vfs\": [{\"index\": 2}]}]"),
		"sriov[0].vfs[0].index: VF 2 of a PF with 2 VFs");
	parse_err(
		f,
		SRIOV_DOC(
			"[{\"pf\": \"0000:03:00.0\", \"vfs\": [{\"index\": 0}, {\"index\": 0}]}]"),
		"sriov[0].vfs[1]: VF 0 appears twice");
	parse_err(f,
		  SRIOV_DOC("[{\"pf\": \"0000:03:00.0\", \"vfs\": [{\"index\": 0, \"mac\": "
			    "\"02:00:00:00:00\"}]}]"),
		  "sriov[0].vfs[0].mac: \"02:00:00:00:00\" is not a MAC address");
	parse_err(f,
		  SRIOV_DOC("[{\"pf\": \"0000:03:00.0\", \"vfs\": [{\"index\": 0, \"original\": "
			    "[]}]}]"),
		  "sriov[0].vfs[0].original: expected an object");
	parse_err(f,
		  SRIOV_DOC("[{\"pf\": \"0000:03:00.0\", \"vfs\": [{\"index\": 0, \"original\": "
			    "{\"driver\": \"iavf\"}}]}]"),
		  "sriov[0].vfs[0].original: unknown key \"driver\"");
	parse_err(f,
		  SRIOV_DOC("[{\"pf\": \"0000:03:00.0\", \"vfs\": [{\"index\": 0, \"original\": "
			    "{\"vlan\": 5000}}]}]"),
		  "sriov[0].vfs[0].original.vlan: 5000 out of range");
	parse_err(
		f,
		SRIOV_DOC(
			"[{\"pf\": \"0000:03:00.0\", \"vfs\": [{\"index\": 0, \"vlan\": 4096}]}]"),
		"sriov[0].vfs[0].vlan: 4096 out of range 0..4095");
	parse_err(f,
		  SRIOV_DOC("[{\"pf\": \"0000:03:00.0\", \"vfs\": [{\"index\": 0, \"vlan_proto\": "
			    "\"qinq\"}]}]"),
		  "sriov[0].vfs[0].vlan_proto: \"qinq\" is not 802.1Q or 802.1ad");
	parse_err(f,
		  SRIOV_DOC("[{\"pf\": \"0000:03:00.0\", \"vfs\": [{\"index\": 0, \"link_state\": "
			    "\"up\"}]}]"),
		  "sriov[0].vfs[0].link_state: \"up\" is not auto, enable or disable");
	parse_err(f,
		  SRIOV_DOC("[{\"pf\": \"0000:03:00.0\", \"vfs\": [{\"index\": 0, \"min_tx_rate\": "
			    "5, \"max_tx_rate\": 4}]}]"),
		  "sriov[0].vfs[0]: min_tx_rate 5 above max_tx_rate 4");
	parse_err(
		f,
		SRIOV_DOC(
			"[{\"pf\": \"0000:03:00.0\", \"vfs\": [{\"index\": 0, \"use\": \"vm\"}]}]"),
		"sriov[0].vfs[0]: use vm needs driver \"vfio-pci\"");
	parse_err(f,
		  SRIOV_DOC("[{\"pf\": \"0000:03:00.0\", \"vfs\": [{\"index\": 0, \"driver\": "
			    "\"vfio-pci\", \"use\": \"dataplane\"}]}]"),
		  "sriov[0].vfs[0]: a port is named exactly for use dataplane");
	parse_err(f,
		  SRIOV_DOC("[{\"pf\": \"0000:03:00.0\", \"vfs\": [{\"index\": 0, \"use\": "
			    "\"lab\"}]}]"),
		  "sriov[0].vfs[0].use: \"lab\" is not none, dataplane or vm");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_default),
		T(test_example_values),
		T(test_minimal_documents),
		T(test_syntax_errors),
		T(test_structure_errors),
		T(test_port_errors),
		T(test_rxq_pmd_errors),
		T(test_vlan_errors),
		T(test_cores_errors),
		T(test_duplicates),
		T(test_limits),
		T(test_failed_parse_leaves_conf),
		T(test_truncated),
		T(test_validate),
		T(test_port_json),
		T(test_bridge_json),
		T(test_edits),
		T(test_vhost_user_and_hub),
		T(test_openflow),
		T(test_sriov),
		T(test_save_load),
		T(test_load_errors),
		T(test_save_errors),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
