/* Unit tests of iovsctl's command line → request translation (args.c): the
 * request of every verb with its options, the view each verb picks, --help,
 * and the usage errors, which must leave a message and no request. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "args.h"

#define ARGV(...) ((char *const[]){"iovsctl", __VA_ARGS__, NULL})

struct ok_case {
	char *const *argv;
	const char *request;
	enum iovsctl_view view;
};

struct err_case {
	char *const *argv;
	const char *message; /* a part of the error text */
};

static int
count(char *const *argv)
{
	int n = 0;

	while (argv[n] != NULL)
		n++;
	return n;
}

static void
expect_request(char *const *argv, const char *want, enum iovsctl_view view)
{
	struct iovsctl_cmdline cl;
	struct iovs_err err = {{0}};
	json_t *exp = json_loads(want, JSON_REJECT_DUPLICATES, NULL);
	char *got;
	int rc;

	assert_non_null(exp);
	rc = iovsctl_args_parse(count(argv), argv, &cl, &err);
	if (rc != 0)
		fail_msg("%s %s: unexpected error: %s", argv[1], argv[2] ? argv[2] : "", err.msg);
	assert_false(cl.help);
	assert_non_null(cl.request);
	assert_int_equal(cl.view, view);
	got = json_dumps(cl.request, JSON_COMPACT | JSON_SORT_KEYS);
	if (!json_equal(cl.request, exp)) {
		print_error("got  %s\nwant %s\n", got, want);
		free(got);
		fail();
	}
	free(got);
	json_decref(exp);
	iovsctl_cmdline_fini(&cl);
	assert_null(cl.request);
}

static void
expect_error(char *const *argv, const char *message)
{
	struct iovsctl_cmdline cl;
	struct iovs_err err = {{0}};
	int rc;

	rc = iovsctl_args_parse(count(argv), argv, &cl, &err);
	assert_int_equal(rc, -EINVAL);
	assert_null(cl.request);
	assert_false(cl.help);
	if (strstr(err.msg, message) == NULL)
		fail_msg("error \"%s\" does not say \"%s\"", err.msg, message);
	iovsctl_cmdline_fini(&cl);
}

/* ---- requests ---- */

static void
test_show_and_bridges(void **state)
{
	const struct ok_case cases[] = {
		{ARGV("show"), "{\"cmd\": \"show\"}", IOVSCTL_VIEW_SHOW},
		{ARGV("bridge", "list"), "{\"cmd\": \"show\"}", IOVSCTL_VIEW_BRIDGES},
		{ARGV("bridge", "add", "br1"),
		 "{\"cmd\": \"bridge.add\", \"args\": {\"bridge\": {\"name\": \"br1\"}}}",
		 IOVSCTL_VIEW_NONE},
		{ARGV("bridge", "add", "br1", "--mac-table-size", "4096", "--mac-aging=60"),
		 "{\"cmd\": \"bridge.add\", \"args\": {\"bridge\": {\"name\": \"br1\", "
		 "\"mac_table_size\": 4096, \"mac_aging_s\": 60}}}",
		 IOVSCTL_VIEW_NONE},
		{ARGV("bridge", "add", "--mac-aging", "0", "br1"),
		 "{\"cmd\": \"bridge.add\", \"args\": {\"bridge\": {\"name\": \"br1\", "
		 "\"mac_aging_s\": 0}}}",
		 IOVSCTL_VIEW_NONE},
		{ARGV("bridge", "add", "hub", "--no-learning"),
		 "{\"cmd\": \"bridge.add\", \"args\": {\"bridge\": {\"name\": \"hub\", "
		 "\"learning\": false}}}",
		 IOVSCTL_VIEW_NONE},
		{ARGV("bridge", "del", "br1"),
		 "{\"cmd\": \"bridge.del\", \"args\": {\"name\": \"br1\"}}", IOVSCTL_VIEW_NONE},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_request(cases[i].argv, cases[i].request, cases[i].view);
}

static void
test_port_add(void **state)
{
	const struct ok_case cases[] = {
		/* After the verb, --socket is the port's; before it, the control socket. */
		{ARGV("port", "add", "br0", "vm1", "vhost-user", "--socket", "/run/vm1.sock",
		      "--client", "--queues", "4"),
		 "{\"cmd\": \"port.add\", \"args\": {\"bridge\": \"br0\", \"port\": {\"name\": "
		 "\"vm1\", \"type\": \"vhost-user\", \"socket\": \"/run/vm1.sock\", "
		 "\"client\": true, \"queues\": 4}}}",
		 IOVSCTL_VIEW_NONE},
		{ARGV("port", "add", "br0", "p1", "tap"),
		 "{\"cmd\": \"port.add\", \"args\": {\"bridge\": \"br0\", "
		 "\"port\": {\"name\": \"p1\", \"type\": \"tap\"}}}",
		 IOVSCTL_VIEW_NONE},
		{ARGV("port", "add", "br0", "p1", "af_packet", "--iface", "eth1", "--queues", "2",
		      "--rxq-pmd", "0:1,1:02", "--access", "10"),
		 "{\"cmd\": \"port.add\", \"args\": {\"bridge\": \"br0\", \"port\": {\"name\": "
		 "\"p1\", \"type\": \"af_packet\", \"iface\": \"eth1\", \"queues\": 2, "
		 "\"rxq_pmd\": {\"0\": 1, \"1\": 2}, \"vlan_mode\": \"access\", \"tag\": 10}}}",
		 IOVSCTL_VIEW_NONE},
		{ARGV("port", "add", "br0", "up", "pci", "--devargs=0000:01:00.0", "--trunk",
		      "10,20-30", "--native-vlan", "5"),
		 "{\"cmd\": \"port.add\", \"args\": {\"bridge\": \"br0\", \"port\": {\"name\": "
		 "\"up\", \"type\": \"pci\", \"devargs\": \"0000:01:00.0\", \"vlan_mode\": "
		 "\"trunk\", \"trunks\": \"10,20-30\", \"native_vlan\": 5}}}",
		 IOVSCTL_VIEW_NONE},
		/* The CLI does not judge types or names: iovsd does. */
		{ARGV("port", "add", "br0", "p2", "bogus", "--trunk", "all"),
		 "{\"cmd\": \"port.add\", \"args\": {\"bridge\": \"br0\", \"port\": {\"name\": "
		 "\"p2\", \"type\": \"bogus\", \"vlan_mode\": \"trunk\", \"trunks\": \"all\"}}}",
		 IOVSCTL_VIEW_NONE},
		/* Options first, and "--" before a name that starts with a dash. */
		{ARGV("port", "add", "--queues=4", "br0", "--", "-odd", "null"),
		 "{\"cmd\": \"port.add\", \"args\": {\"bridge\": \"br0\", \"port\": {\"name\": "
		 "\"-odd\", \"type\": \"null\", \"queues\": 4}}}",
		 IOVSCTL_VIEW_NONE},
		{ARGV("port", "add", "br0", "p3", "ring", "--queues", "4294967295"),
		 "{\"cmd\": \"port.add\", \"args\": {\"bridge\": \"br0\", \"port\": {\"name\": "
		 "\"p3\", \"type\": \"ring\", \"queues\": 4294967295}}}",
		 IOVSCTL_VIEW_NONE},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_request(cases[i].argv, cases[i].request, cases[i].view);
}

static void
test_other_verbs(void **state)
{
	const struct ok_case cases[] = {
		{ARGV("port", "del", "p1"), "{\"cmd\": \"port.del\", \"args\": {\"name\": \"p1\"}}",
		 IOVSCTL_VIEW_NONE},
		{ARGV("port", "list"), "{\"cmd\": \"port.list\"}", IOVSCTL_VIEW_PORTS},
		{ARGV("port", "list", "br0"),
		 "{\"cmd\": \"port.list\", \"args\": {\"bridge\": \"br0\"}}", IOVSCTL_VIEW_PORTS},
		{ARGV("port", "stats"), "{\"cmd\": \"port.stats\"}", IOVSCTL_VIEW_PORT_STATS},
		{ARGV("port", "stats", "p1"),
		 "{\"cmd\": \"port.stats\", \"args\": {\"name\": \"p1\"}}",
		 IOVSCTL_VIEW_PORT_STATS},
		{ARGV("pmd", "stats"), "{\"cmd\": \"pmd.stats\"}", IOVSCTL_VIEW_PMDS},
		{ARGV("fdb", "show", "br0"),
		 "{\"cmd\": \"fdb.show\", \"args\": {\"bridge\": \"br0\"}}", IOVSCTL_VIEW_FDB},
		{ARGV("fdb", "flush", "br0"),
		 "{\"cmd\": \"fdb.flush\", \"args\": {\"bridge\": \"br0\"}}", IOVSCTL_VIEW_NONE},
		{ARGV("controller", "set", "br0", "tcp:127.0.0.1:6633,tcp:10.0.0.1"),
		 "{\"cmd\": \"controller.set\", \"args\": {\"bridge\": \"br0\", \"controllers\": "
		 "\"tcp:127.0.0.1:6633,tcp:10.0.0.1\"}}",
		 IOVSCTL_VIEW_NONE},
		{ARGV("controller", "set", "br0", "none", "--listen", "ptcp:16653", "--fail-mode",
		      "standalone", "--datapath-id", "00000000000000ab"),
		 "{\"cmd\": \"controller.set\", \"args\": {\"bridge\": \"br0\", \"controllers\": "
		 "\"none\", \"listen\": \"ptcp:16653\", \"fail_mode\": \"standalone\", "
		 "\"datapath_id\": \"00000000000000ab\"}}",
		 IOVSCTL_VIEW_NONE},
		{ARGV("controller", "show", "br0"),
		 "{\"cmd\": \"controller.show\", \"args\": {\"bridge\": \"br0\"}}",
		 IOVSCTL_VIEW_CONTROLLER},
		{ARGV("config", "dump"), "{\"cmd\": \"config.dump\"}", IOVSCTL_VIEW_JSON},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_request(cases[i].argv, cases[i].request, cases[i].view);
}

static void
test_global_options(void **state)
{
	char *const *argv = ARGV("--run-dir", "/tmp/r", "port", "list", "--json", "br0",
				 "--socket=/tmp/s.sock");
	struct iovsctl_cmdline cl;
	struct iovs_err err = {{0}};

	(void)state;
	assert_int_equal(iovsctl_args_parse(count(argv), argv, &cl, &err), 0);
	assert_string_equal(cl.run_dir, "/tmp/r");
	assert_string_equal(cl.socket, "/tmp/s.sock");
	assert_true(cl.json);
	assert_int_equal(cl.view, IOVSCTL_VIEW_PORTS);
	iovsctl_cmdline_fini(&cl);

	argv = ARGV("show");
	assert_int_equal(iovsctl_args_parse(count(argv), argv, &cl, &err), 0);
	assert_null(cl.run_dir);
	assert_null(cl.socket);
	assert_false(cl.json);
	iovsctl_cmdline_fini(&cl);
}

/* ---- --help ---- */

static void
expect_help(char *const *argv, const char *group, bool verb)
{
	struct iovsctl_cmdline cl;
	struct iovs_err err = {{0}};

	assert_int_equal(iovsctl_args_parse(count(argv), argv, &cl, &err), 0);
	assert_true(cl.help);
	assert_null(cl.request);
	if (group == NULL)
		assert_null(cl.group);
	else
		assert_string_equal(cl.group, group);
	assert_int_equal(cl.verb != NULL, verb);
	iovsctl_cmdline_fini(&cl);
}

static void
test_help(void **state)
{
	(void)state;
	expect_help(ARGV("--help"), NULL, false);
	expect_help(ARGV("-h"), NULL, false);
	expect_help(ARGV("port", "--help"), "port", false);
	expect_help(ARGV("port", "add", "--help"), "port", true);
	expect_help(ARGV("port", "add", "br0", "-h", "--bogus"), "port", true);
	expect_help(ARGV("show", "--help"), "show", true);
	expect_help(ARGV("config", "dump", "-h"), "config", true);
}

/* ---- errors ---- */

static void
test_verb_errors(void **state)
{
	const struct err_case cases[] = {
		{ARGV("--json"), "no verb given"},
		{ARGV("frobnicate"), "unknown verb \"frobnicate\""},
		{ARGV("port", "frob"), "unknown verb \"port frob\""},
		{ARGV("port"), "port: missing a verb"},
		{ARGV("fdb"), "fdb: missing a verb"},
		{ARGV("port", "add"), "port add: missing BRIDGE NAME TYPE"},
		{ARGV("port", "add", "br0", "p1"), "port add: missing TYPE"},
		{ARGV("port", "add", "br0", "p1", "tap", "extra"), "unexpected argument \"extra\""},
		{ARGV("bridge", "add"), "bridge add: missing NAME"},
		{ARGV("bridge", "del"), "bridge del: missing NAME"},
		{ARGV("port", "del"), "port del: missing NAME"},
		{ARGV("fdb", "show"), "fdb show: missing BRIDGE"},
		{ARGV("fdb", "flush"), "fdb flush: missing BRIDGE"},
		{ARGV("controller", "set", "br0"), "controller set: missing TARGETS"},
		{ARGV("controller", "show"), "controller show: missing BRIDGE"},
		{ARGV("show", "br0"), "show: unexpected argument \"br0\""},
		{ARGV("bridge", "list", "br0"), "unexpected argument"},
		{ARGV("pmd", "stats", "1"), "pmd stats: unexpected argument \"1\""},
		{ARGV("config", "dump", "x"), "unexpected argument"},
		{ARGV("port", "list", "br0", "br1"), "unexpected argument \"br1\""},
		{ARGV("port", "stats", "p1", "p2"), "unexpected argument \"p2\""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].argv, cases[i].message);
}

static void
test_option_errors(void **state)
{
	const struct err_case cases[] = {
		{ARGV("port", "list", "--bogus"), "unknown option --bogus"},
		{ARGV("--bogus", "show"), "unknown option --bogus"},
		{ARGV("show", "-x"), "unknown option -x"},
		{ARGV("bridge", "del", "br0", "--queues", "2"), "unknown option --queues"},
		{ARGV("port", "add", "br0", "p1", "tap", "--mac-aging", "5"), "unknown option"},
		{ARGV("port", "add", "br0", "p1", "tap", "--queues"), "--queues needs a value"},
		{ARGV("show", "--run-dir"), "--run-dir needs a value"},
		{ARGV("show", "--json=yes"), "--json takes no value"},
		{ARGV("port", "add", "br0", "v", "vhost-user", "--socket", "/s", "--client=1"),
		 "--client takes no value"},
		{ARGV("port", "add", "br0", "v", "vhost-user", "--client"),
		 "--client needs --socket"},
		{ARGV("port", "add", "br0", "p1", "tap", "--queues", "1", "--queues=2"),
		 "--queues given twice"},
		{ARGV("port", "add", "br0", "p1", "tap", "--access", "10", "--trunk", "20"),
		 "--access and --trunk cannot be used together"},
		{ARGV("port", "add", "br0", "p1", "tap", "--trunk", "20", "--access", "10"),
		 "cannot be used together"},
		{ARGV("port", "add", "br0", "p1", "tap", "--native-vlan", "5"),
		 "--native-vlan needs --trunk"},
		{ARGV("port", "add", "br0", "p1", "tap", "--access", "1", "--native-vlan", "5"),
		 "--native-vlan needs --trunk"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].argv, cases[i].message);
}

static void
test_number_errors(void **state)
{
	const struct err_case cases[] = {
		{ARGV("port", "add", "br0", "p1", "tap", "--queues", "x"),
		 "--queues x: not a number"},
		{ARGV("port", "add", "br0", "p1", "tap", "--queues", "-1"),
		 "--queues -1: not a number"},
		{ARGV("port", "add", "br0", "p1", "tap", "--queues", "2x"),
		 "--queues 2x: not a number"},
		{ARGV("port", "add", "br0", "p1", "tap", "--queues="), "--queues : not a number"},
		{ARGV("port", "add", "br0", "p1", "tap", "--queues", "4294967296"),
		 "--queues 4294967296: out of range"},
		{ARGV("port", "add", "br0", "p1", "tap", "--access", "ten"),
		 "--access ten: not a number"},
		{ARGV("port", "add", "br0", "p1", "tap", "--trunk", "1", "--native-vlan", " 5"),
		 "--native-vlan  5: not a number"},
		{ARGV("bridge", "add", "br1", "--mac-table-size", "1e6"),
		 "--mac-table-size 1e6: not a number"},
		{ARGV("bridge", "add", "br1", "--mac-aging", "0x10"),
		 "--mac-aging 0x10: not a number"},
		{ARGV("port", "add", "br0", "p1", "tap", "--rxq-pmd", "0"),
		 "--rxq-pmd 0: expected"},
		{ARGV("port", "add", "br0", "p1", "tap", "--rxq-pmd", "0:"),
		 "--rxq-pmd 0:: expected"},
		{ARGV("port", "add", "br0", "p1", "tap", "--rxq-pmd", ":1"), "expected QUEUE:CORE"},
		{ARGV("port", "add", "br0", "p1", "tap", "--rxq-pmd", "a:1"),
		 "expected QUEUE:CORE"},
		{ARGV("port", "add", "br0", "p1", "tap", "--rxq-pmd", "0:1,"),
		 "expected QUEUE:CORE"},
		{ARGV("port", "add", "br0", "p1", "tap", "--rxq-pmd", "0:1:2"),
		 "expected QUEUE:CORE"},
		{ARGV("port", "add", "br0", "p1", "tap", "--rxq-pmd", "0:-1"),
		 "expected QUEUE:CORE"},
		{ARGV("port", "add", "br0", "p1", "tap", "--rxq-pmd", "0:1,00:2"),
		 "--rxq-pmd 0:1,00:2: queue 0 given twice"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].argv, cases[i].message);
}

/* The usage text names every verb, and a verb's usage its options. */
static void
test_usage(void **state)
{
	struct iovsctl_cmdline cl;
	struct iovs_err err = {{0}};
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(iovsctl_args_parse(2, ARGV("--help"), &cl, &err), 0);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	iovsctl_usage(f, &cl);
	fclose(f);
	assert_non_null(strstr(text, "port add BRIDGE NAME TYPE"));
	assert_non_null(strstr(text, "fdb flush BRIDGE"));
	assert_non_null(strstr(text, "--run-dir DIR"));
	free(text);

	assert_int_equal(iovsctl_args_parse(4, ARGV("port", "add", "-h"), &cl, &err), 0);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	iovsctl_usage(f, &cl);
	fclose(f);
	assert_non_null(strstr(text, "--rxq-pmd Q:CORE"));
	assert_non_null(strstr(text, "(not with --trunk)"));
	assert_null(strstr(text, "fdb flush"));
	free(text);
}

/* flow add/mod/del/dump and ofl trace: the text goes as one string, the
 * daemon parses it (openflow/ofl_syntax.c). */
static void
test_flow_verbs(void **state)
{
	const struct ok_case cases[] = {
		{ARGV("flow", "add", "br0", "priority=10,ip,nw_dst=10.0.0.0/8,actions=output:2"),
		 "{\"cmd\": \"flow.add\", \"args\": {\"bridge\": \"br0\", \"flow\": "
		 "\"priority=10,ip,nw_dst=10.0.0.0/8,actions=output:2\"}}",
		 IOVSCTL_VIEW_NONE},
		{ARGV("flow", "mod", "br0", "in_port=1 actions=drop", "--strict"),
		 "{\"cmd\": \"flow.mod\", \"args\": {\"bridge\": \"br0\", \"flow\": "
		 "\"in_port=1 actions=drop\", \"strict\": true}}",
		 IOVSCTL_VIEW_NONE},
		{ARGV("flow", "del", "br0"),
		 "{\"cmd\": \"flow.del\", \"args\": {\"bridge\": \"br0\"}}", IOVSCTL_VIEW_NONE},
		{ARGV("flow", "del", "--strict", "br0", "priority=5,udp"),
		 "{\"cmd\": \"flow.del\", \"args\": {\"bridge\": \"br0\", \"match\": "
		 "\"priority=5,udp\", \"strict\": true}}",
		 IOVSCTL_VIEW_NONE},
		{ARGV("flow", "dump", "br0"),
		 "{\"cmd\": \"flow.dump\", \"args\": {\"bridge\": \"br0\"}}", IOVSCTL_VIEW_FLOWS},
		{ARGV("flow", "dump", "br0", "table=1,tcp"),
		 "{\"cmd\": \"flow.dump\", \"args\": {\"bridge\": \"br0\", \"match\": "
		 "\"table=1,tcp\"}}",
		 IOVSCTL_VIEW_FLOWS},
		{ARGV("ofl", "trace", "br0", "in_port=1,udp,tp_dst=53"),
		 "{\"cmd\": \"ofl.trace\", \"args\": {\"bridge\": \"br0\", \"packet\": "
		 "\"in_port=1,udp,tp_dst=53\"}}",
		 IOVSCTL_VIEW_TRACE},
	};
	const struct err_case errors[] = {
		{ARGV("flow", "add", "br0"), "flow add: missing FLOW"},
		{ARGV("flow", "add", "br0", "ip", "actions=drop"), "unexpected argument"},
		{ARGV("flow", "add", "br0", "actions=drop", "--strict"), "unknown option --strict"},
		{ARGV("flow", "dump", "br0", "ip", "--strict"), "unknown option --strict"},
		{ARGV("flow", "del", "br0", "--strict=1"), "--strict takes no value"},
		{ARGV("flow", "frob", "br0"), "unknown verb \"flow frob\""},
		{ARGV("ofl", "trace", "br0"), "ofl trace: missing PACKET"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_request(cases[i].argv, cases[i].request, cases[i].view);
	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		expect_error(errors[i].argv, errors[i].message);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_show_and_bridges),
		cmocka_unit_test(test_port_add),
		cmocka_unit_test(test_other_verbs),
		cmocka_unit_test(test_global_options),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_verb_errors),
		cmocka_unit_test(test_option_errors),
		cmocka_unit_test(test_number_errors),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_flow_verbs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
