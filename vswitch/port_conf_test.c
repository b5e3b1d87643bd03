/* Unit tests of vswitch/port_conf.c: every rule of a port and bridge
 * configuration accepted and refused with the expected message, and the VLAN
 * list syntax checked against a bitmap model (parse/format round trips).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vsw.h"

static struct vsw_port_conf
make_port(enum vsw_port_type type, const char *iface, const char *devargs)
{
	struct vsw_port_conf c;

	vsw_port_conf_init(&c);
	snprintf(c.name, sizeof(c.name), "p0");
	snprintf(c.bridge, sizeof(c.bridge), "br0");
	c.type = type;
	snprintf(c.iface, sizeof(c.iface), "%s", iface);
	snprintf(c.devargs, sizeof(c.devargs), "%s", devargs);
	return c;
}

static void
assert_port_ok(const struct vsw_port_conf *c)
{
	struct iovs_err err = {{0}};
	int rc = vsw_port_conf_validate(c, &err);

	if (rc != 0)
		fail_msg("unexpected error %d: %s", rc, err.msg);
}

static void
assert_port_err(const struct vsw_port_conf *c, const char *substr)
{
	struct iovs_err err = {{0}};
	int rc = vsw_port_conf_validate(c, &err);

	if (rc >= 0)
		fail_msg("accepted, expected an error with '%s'", substr);
	if (strstr(err.msg, substr) == NULL)
		fail_msg("message '%s' lacks '%s'", err.msg, substr);
	/* NULL err is allowed and gives the same verdict. */
	assert_int_equal(vsw_port_conf_validate(c, NULL), rc);
}

static void
assert_vlan_err(const char *list, const char *substr)
{
	struct iovs_err err = {{0}};
	struct vsw_vlan_conf v;

	memset(&v, 0xff, sizeof(v));
	if (vsw_vlan_list_parse(list, &v, &err) >= 0)
		fail_msg("VLAN list '%s' accepted", list);
	if (strstr(err.msg, substr) == NULL)
		fail_msg("VLAN list '%s': message '%s' lacks '%s'", list, err.msg, substr);
	/* No partial result is left behind. */
	for (size_t i = 0; i < sizeof(v.trunks) / sizeof(v.trunks[0]); i++)
		assert_int_equal(v.trunks[i], 0);
	assert_false(v.trunks_all);
}

static bool
vid_set(const struct vsw_vlan_conf *v, unsigned vid)
{
	return (v->trunks[vid / 64] >> (vid % 64)) & 1;
}

static void
set_vid(struct vsw_vlan_conf *v, unsigned vid)
{
	v->trunks[vid / 64] |= 1ull << (vid % 64);
}

static void
test_type_names(void **state)
{
	enum vsw_port_type t;
	unsigned i;

	(void)state;
	for (i = 0; i < VSW_PORT_TYPE__MAX; i++) {
		assert_int_equal(vsw_port_type_parse(vsw_port_type_name(i), &t), 0);
		assert_int_equal(t, i);
	}
	assert_int_equal(vsw_port_type_parse("af_xdp", &t), 0);
	assert_int_equal(t, VSW_PORT_AF_XDP);
	assert_string_equal(vsw_port_type_name(VSW_PORT_DPDK), "dpdk");
	assert_int_equal(vsw_port_type_parse("TAP", &t), -EINVAL);
	assert_int_equal(vsw_port_type_parse("", &t), -EINVAL);
	assert_int_equal(vsw_port_type_parse("vhost", &t), -EINVAL);
	assert_string_equal(vsw_port_type_name(VSW_PORT_TYPE__MAX), "unknown");
	assert_string_equal(vsw_port_type_name((enum vsw_port_type) - 1), "unknown");
}

static void
test_port_init(void **state)
{
	struct vsw_port_conf c;
	unsigned q;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	vsw_port_conf_init(&c);
	assert_int_equal(c.type, VSW_PORT_TAP);
	assert_int_equal(c.n_queues, 1);
	for (q = 0; q < VSW_MAX_QUEUES; q++)
		assert_int_equal(c.rxq_pmd[q], -1);
	assert_int_equal(c.vlan.mode, VSW_VLAN_ACCESS);
	assert_int_equal(c.vlan.tag, 0);
	assert_int_equal(c.vlan.native, 0);
	assert_false(c.vlan.trunks_all);
	assert_string_equal(c.name, "");
	assert_string_equal(c.iface, "");
	assert_string_equal(c.devargs, "");
	/* A tap named like an interface is valid as it is. */
	snprintf(c.name, sizeof(c.name), "tap0");
	assert_port_ok(&c);
}

static void
test_port_names(void **state)
{
	static const char *const good[] = {
		"a", "Z9", "br-0.x_Y", "_x", "0", "a..b", "abcdefghijklmnopqrstuvwxyz01234"};
	static const char *const bad[] = {"",	  "-a",	  ".a",	      "a b", "a/b",
					  "a\tb", "a\"b", "\xc3\xa4", "a:b", "a,b"};
	struct vsw_port_conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		c = make_port(VSW_PORT_NULL, "", "");
		snprintf(c.name, sizeof(c.name), "%s", good[i]);
		assert_port_ok(&c);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = make_port(VSW_PORT_NULL, "", "");
		snprintf(c.name, sizeof(c.name), "%s", bad[i]);
		assert_port_err(&c, "name \"");
		assert_port_err(&c, "1..31 characters");
	}
	c = make_port(VSW_PORT_NULL, "", "");
	snprintf(c.name, sizeof(c.name), "a b");
	assert_port_err(&c, "name \"a b\" is not valid");
	/* 32 characters: no room for the NUL. */
	memset(c.name, 'x', sizeof(c.name));
	assert_port_err(&c, "name \"xxxx");
	/* The bridge name follows the same rule when set. */
	c = make_port(VSW_PORT_NULL, "", "");
	snprintf(c.bridge, sizeof(c.bridge), "br 0");
	assert_port_err(&c, "bridge \"br 0\" is not valid");
	c.bridge[0] = '\0';
	assert_port_ok(&c);
	c.type = (enum vsw_port_type)42;
	assert_port_err(&c, "type 42 is not a port type");
}

static void
test_port_tap_iface(void **state)
{
	struct vsw_port_conf c;

	(void)state;
	c = make_port(VSW_PORT_TAP, "", "");
	assert_port_ok(&c); /* iface defaults to the name "p0" */
	snprintf(c.name, sizeof(c.name), "a-very-long-port-name");
	assert_port_err(
		&c,
		"iface is empty and name \"a-very-long-port-name\" is not a valid interface name");
	assert_port_err(&c, "set iface");
	snprintf(c.iface, sizeof(c.iface), "tap7");
	assert_port_ok(&c);
	snprintf(c.iface, sizeof(c.iface), "abcdefghijklmno"); /* 15 */
	assert_port_ok(&c);
	memset(c.iface, 'i', sizeof(c.iface)); /* 16, no NUL */
	assert_port_err(&c, "iface \"iiiiiiiiiiiiiiii\" is not a valid interface name");
	assert_port_err(&c, "1..15");
}

static void
test_port_bad_ifaces(void **state)
{
	static const char *const bad[] = {"a b", ".",	 "..",	 "a/b",	     "a:b", "a,b",
					  "a=b", "a\tb", "\x7f", "\xc3\xa4", " a"};
	static const char *const good[] = {"veth1", "eth0.100", "...", ".x", "a-b_c@d", "a..b"};
	struct vsw_port_conf c;
	char want[64];
	size_t i;

	(void)state;
	c = make_port(VSW_PORT_AF_PACKET, "a b", "");
	assert_port_err(&c, "iface \"a b\" is not a valid interface name");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = make_port(i % 2 ? VSW_PORT_AF_XDP : VSW_PORT_TAP, bad[i], "");
		snprintf(want, sizeof(want), "iface \"");
		assert_port_err(&c, want);
		assert_port_err(&c, "is not a valid interface name");
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		c = make_port(VSW_PORT_AF_PACKET, good[i], "");
		assert_port_ok(&c);
	}
}

static void
test_port_iface_required_or_refused(void **state)
{
	struct vsw_port_conf c;

	(void)state;
	c = make_port(VSW_PORT_AF_PACKET, "", "");
	assert_port_err(&c, "iface is required for af_packet ports");
	c = make_port(VSW_PORT_AF_XDP, "", "");
	assert_port_err(&c, "iface is required for af_xdp ports");
	c = make_port(VSW_PORT_AF_XDP, "eth1", "");
	assert_port_ok(&c);

	c = make_port(VSW_PORT_NULL, "", "");
	assert_port_ok(&c);
	c = make_port(VSW_PORT_RING, "", "");
	assert_port_ok(&c);
	c = make_port(VSW_PORT_NULL, "eth0", "");
	assert_port_err(&c, "iface \"eth0\" is not allowed for null ports");
	c = make_port(VSW_PORT_RING, "", "net_ring0");
	assert_port_err(&c, "devargs \"net_ring0\" is not allowed for ring ports");
	c = make_port(VSW_PORT_TAP, "", "iface=x");
	assert_port_err(&c, "devargs \"iface=x\" is not allowed for tap ports");
	c = make_port(VSW_PORT_AF_PACKET, "eth0", "x");
	assert_port_err(&c, "not allowed for af_packet ports");
	c = make_port(VSW_PORT_PCI, "eth0", "0000:01:00.0");
	assert_port_err(&c, "iface \"eth0\" is not allowed for pci ports");
	c = make_port(VSW_PORT_DPDK, "eth0", "net_null0");
	assert_port_err(&c, "iface \"eth0\" is not allowed for dpdk ports");
}

static void
test_port_vhost_user(void **state)
{
	struct vsw_port_conf c;
	char long_path[VSW_PATH_MAX + 1];

	(void)state;
	c = make_port(VSW_PORT_VHOST_USER, "", "");
	assert_port_err(&c, "socket is required for vhost-user ports");
	snprintf(c.socket, sizeof(c.socket), "/run/vm1.sock");
	assert_port_ok(&c);
	c.client = true;
	assert_port_ok(&c);
	snprintf(c.socket, sizeof(c.socket), "vm1.sock");
	assert_port_err(&c, "socket \"vm1.sock\" is not an absolute path");
	snprintf(c.socket, sizeof(c.socket), "/run/");
	assert_port_err(&c, "names a directory");
	snprintf(c.socket, sizeof(c.socket), "/run/a\x01b");
	assert_port_err(&c, "only printable ASCII");
	memset(long_path, 'a', sizeof(long_path));
	long_path[0] = '/';
	memcpy(c.socket, long_path, sizeof(c.socket)); /* no NUL: too long */
	assert_port_err(&c, "is too long");
	c = make_port(VSW_PORT_VHOST_USER, "eth0", "");
	snprintf(c.socket, sizeof(c.socket), "/run/vm1.sock");
	assert_port_err(&c, "iface \"eth0\" is not allowed for vhost-user ports");

	c = make_port(VSW_PORT_TAP, "", "");
	snprintf(c.socket, sizeof(c.socket), "/run/vm1.sock");
	assert_port_err(&c, "socket is not allowed for tap ports");
	c = make_port(VSW_PORT_NULL, "", "");
	c.client = true;
	assert_port_err(&c, "client is not allowed for null ports");
}

static void
test_port_pci(void **state)
{
	static const char *const good[] = {
		"0000:01:00.0",	     "01:00.0",
		"0000:af:1f.7",	     "FFFF:FF:1F.7",
		"00:00.0,foo=bar",   "0000:01:00.0,representor=[0,2-3],dv_flow_en=0",
		"0000:01:00.0,flag",
	};
	static const char *const bad_addr[] = {
		"1:00.0",   "0000:01:00", "01:00",   "0000:1:00.0", "00000:01:00.0",
		"01:00.00", "01:00.0x",	  "g1:00.0", "net_null0",   "01-00.0",
	};
	static const char *const bad_args[] = {
		"01:00.0,",	"01:00.0,,a=1", "01:00.0,=x",	 "01:00.0,a=",
		"01:00.0,a=[1", "01:00.0,a=1]", "01:00.0,a.b=1",
	};
	struct vsw_port_conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		c = make_port(VSW_PORT_PCI, "", good[i]);
		assert_port_ok(&c);
	}
	for (i = 0; i < sizeof(bad_addr) / sizeof(bad_addr[0]); i++) {
		c = make_port(VSW_PORT_PCI, "", bad_addr[i]);
		assert_port_err(&c, "does not start with a PCI address DDDD:BB:DD.F or BB:DD.F");
	}
	for (i = 0; i < sizeof(bad_args) / sizeof(bad_args[0]); i++) {
		c = make_port(VSW_PORT_PCI, "", bad_args[i]);
		assert_port_err(&c, "is not key=value");
	}
	c = make_port(VSW_PORT_PCI, "", "01:00.0,,a=1");
	assert_port_err(&c, "devargs \"01:00.0,,a=1\": argument \"\" is not key=value");
	c = make_port(VSW_PORT_PCI, "", "");
	assert_port_err(&c, "devargs is required for pci ports");
	c = make_port(VSW_PORT_PCI, "", "0000:01:20.0");
	assert_port_err(&c, "PCI device 20 out of range 00..1f");
	c = make_port(VSW_PORT_PCI, "", "0000:01:00.8");
	assert_port_err(&c, "PCI function 8 out of range 0..7");
	c = make_port(VSW_PORT_PCI, "", "01:00.0,a=b c");
	assert_port_err(&c, "only printable ASCII without spaces");
}

static void
test_port_dpdk(void **state)
{
	static const char *const good[] = {
		"net_null0",
		"net_ring_r0",
		"net_tap1,iface=x",
		"net_virtio_user0,path=/tmp/s,queues=2",
		"net_pcap0,rx_pcap=/a.pcap,tx_pcap=/b.pcap",
		"net_X",
	};
	static const char *const bad[] = {"null0",	 "net_",      "net-null0", "eth_null0",
					  "net_null0;x", "net_nu.ll", "Net_null0"};
	struct vsw_port_conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		c = make_port(VSW_PORT_DPDK, "", good[i]);
		assert_port_ok(&c);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = make_port(VSW_PORT_DPDK, "", bad[i]);
		assert_port_err(&c, "does not start with a driver name net_NAME");
	}
	c = make_port(VSW_PORT_DPDK, "", "");
	assert_port_err(&c, "devargs is required for dpdk ports");
	c = make_port(VSW_PORT_DPDK, "", "net_null0, size=64");
	assert_port_err(&c, "only printable ASCII without spaces");
	c = make_port(VSW_PORT_DPDK, "", "net_null0,size=\x01");
	assert_port_err(&c, "\\x01");
	c = make_port(VSW_PORT_DPDK, "", "net_null0,,size=64");
	assert_port_err(&c, "is not key=value");
	/* 255 characters fit, 256 (no NUL) do not. */
	c = make_port(VSW_PORT_DPDK, "", "net_null0,x=");
	memset(c.devargs + 12, 'a', sizeof(c.devargs) - 13);
	c.devargs[sizeof(c.devargs) - 1] = '\0';
	assert_port_ok(&c);
	c.devargs[sizeof(c.devargs) - 1] = 'a';
	assert_port_err(&c, "is too long (at most 255 characters)");
}

static void
test_port_queues(void **state)
{
	struct vsw_port_conf c;

	(void)state;
	c = make_port(VSW_PORT_NULL, "", "");
	c.n_queues = 40;
	assert_port_err(&c, "queues 40 out of range 1..16");
	c.n_queues = 0;
	assert_port_err(&c, "queues 0 out of range 1..16");
	c.n_queues = 17;
	assert_port_err(&c, "queues 17 out of range 1..16");
	c.n_queues = 16;
	assert_port_ok(&c);

	c.n_queues = 2;
	c.rxq_pmd[0] = 3;
	c.rxq_pmd[1] = 1023;
	assert_port_ok(&c);
	c.rxq_pmd[2] = 5;
	assert_port_err(&c, "rxq_pmd[2] is 5 but queues is 2: only queues 0..1 can be pinned");
	c.rxq_pmd[2] = -1;
	c.rxq_pmd[1] = 1024;
	assert_port_err(&c, "rxq_pmd[1] 1024 out of range 0..1023 (or -1: any)");
	c.rxq_pmd[1] = -2;
	assert_port_err(&c, "rxq_pmd[1] -2 out of range 0..1023");
	c.rxq_pmd[1] = 0;
	assert_port_ok(&c);
	c.n_queues = 1;
	assert_port_err(&c, "rxq_pmd[1] is 0 but queues is 1");
}

static void
test_port_vlan_access(void **state)
{
	struct vsw_port_conf c;

	(void)state;
	c = make_port(VSW_PORT_NULL, "", "");
	c.vlan.tag = 4094;
	assert_port_ok(&c);
	c.vlan.tag = 4095;
	assert_port_err(&c, "tag 4095 out of range 0..4094");
	c.vlan.tag = 100;
	c.vlan.native = 5;
	assert_port_err(&c, "native_vlan 5 is set but vlan_mode is access");
	c.vlan.native = 0;
	c.vlan.trunks_all = true;
	assert_port_err(&c, "trunks are set but vlan_mode is access");
	c.vlan.trunks_all = false;
	set_vid(&c.vlan, 7);
	assert_port_err(&c, "trunks are set but vlan_mode is access");
	c.vlan.mode = (enum vsw_vlan_mode)7;
	assert_port_err(&c, "vlan_mode 7 is neither access");
}

static void
test_port_vlan_trunk(void **state)
{
	struct vsw_port_conf c;

	(void)state;
	c = make_port(VSW_PORT_NULL, "", "");
	c.vlan.mode = VSW_VLAN_TRUNK;
	assert_port_err(&c, "trunks are empty");
	c.vlan.trunks_all = true;
	assert_port_ok(&c);
	c.vlan.native = 4094;
	assert_port_ok(&c);
	c.vlan.native = 4095;
	assert_port_err(&c, "native_vlan 4095 out of range 0..4094");
	c.vlan.native = 0;
	c.vlan.tag = 3;
	assert_port_err(&c, "tag 3 is set but vlan_mode is trunk");
	c.vlan.tag = 0;
	set_vid(&c.vlan, 0);
	assert_port_err(&c, "both \"all\" and a VLAN list");
	c.vlan.trunks_all = false;
	assert_port_ok(&c); /* VLAN 0 alone: the untagged LAN */
	set_vid(&c.vlan, 4094);
	assert_port_ok(&c);
	set_vid(&c.vlan, 4095);
	assert_port_err(&c, "trunks include VLAN 4095, allowed 0..4094");
}

static void
test_bridge_conf(void **state)
{
	struct iovs_err err = {{0}};
	struct vsw_bridge_conf b;

	(void)state;
	memset(&b, 0xa5, sizeof(b));
	vsw_bridge_conf_init(&b);
	assert_int_equal(b.mac_table_size, 8192);
	assert_int_equal(b.mac_aging_s, 300);
	assert_string_equal(b.name, "");
	assert_int_equal(vsw_bridge_conf_validate(&b, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "name \"\" is not valid"));
	snprintf(b.name, sizeof(b.name), "br0");
	assert_int_equal(vsw_bridge_conf_validate(&b, &err), 0);

	b.mac_table_size = 15;
	assert_int_equal(vsw_bridge_conf_validate(&b, &err), -ERANGE);
	assert_string_equal(err.msg, "mac_table_size 15 out of range 16..1048576");
	b.mac_table_size = 1048577;
	assert_int_equal(vsw_bridge_conf_validate(&b, &err), -ERANGE);
	b.mac_table_size = 16;
	assert_int_equal(vsw_bridge_conf_validate(&b, NULL), 0);
	b.mac_table_size = 1048576;
	assert_int_equal(vsw_bridge_conf_validate(&b, NULL), 0);

	b.mac_aging_s = 0;
	assert_int_equal(vsw_bridge_conf_validate(&b, &err), -ERANGE);
	assert_string_equal(err.msg, "mac_aging_s 0 out of range 1..86400");
	b.mac_aging_s = 86401;
	assert_int_equal(vsw_bridge_conf_validate(&b, &err), -ERANGE);
	b.mac_aging_s = 86400;
	assert_int_equal(vsw_bridge_conf_validate(&b, NULL), 0);
	b.mac_aging_s = 1;
	assert_int_equal(vsw_bridge_conf_validate(&b, NULL), 0);

	snprintf(b.name, sizeof(b.name), ".br");
	assert_int_equal(vsw_bridge_conf_validate(&b, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "name \".br\" is not valid"));
}

static void
test_vlan_list_parse(void **state)
{
	struct iovs_err err = {{0}};
	struct vsw_vlan_conf v;
	unsigned vid;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.trunks_all = true;
	set_vid(&v, 5);
	assert_int_equal(vsw_vlan_list_parse("10,20-30", &v, &err), 0);
	assert_false(v.trunks_all);
	for (vid = 0; vid <= 4095; vid++)
		assert_int_equal(vid_set(&v, vid), vid == 10 || (vid >= 20 && vid <= 30));

	assert_int_equal(vsw_vlan_list_parse(" 10 ,\t20 - 30 , 4094 ", &v, &err), 0);
	assert_true(vid_set(&v, 10) && vid_set(&v, 25) && vid_set(&v, 4094));
	assert_false(vid_set(&v, 31));

	assert_int_equal(vsw_vlan_list_parse("all", &v, &err), 0);
	assert_true(v.trunks_all);
	for (vid = 0; vid <= 4095; vid++)
		assert_false(vid_set(&v, vid));
	assert_int_equal(vsw_vlan_list_parse(" all ", &v, &err), 0);
	assert_true(v.trunks_all);

	assert_int_equal(vsw_vlan_list_parse("0", &v, &err), 0);
	assert_false(v.trunks_all);
	assert_true(vid_set(&v, 0));
	assert_int_equal(vsw_vlan_list_parse("0-4094", &v, &err), 0);
	assert_true(vid_set(&v, 4094));
	assert_false(vid_set(&v, 4095));
	assert_int_equal(vsw_vlan_list_parse("7,7,5-8,007", &v, &err), 0);
	assert_true(vid_set(&v, 5) && vid_set(&v, 8));
	assert_int_equal(vsw_vlan_list_parse("5-5", &v, NULL), 0);
	assert_true(vid_set(&v, 5));
}

static void
test_vlan_list_errors(void **state)
{
	(void)state;
	assert_vlan_err("", "VLAN list is empty");
	assert_vlan_err("  \t", "VLAN list is empty");
	assert_vlan_err("10,,20", "VLAN list \"10,,20\" has an empty item");
	assert_vlan_err(",", "has an empty item");
	assert_vlan_err("10,", "has an empty item");
	assert_vlan_err("abc",
			"VLAN list item \"abc\": not a VLAN 0..4094, a range LOW-HIGH or all");
	assert_vlan_err("10,x20", "item \"x20\"");
	assert_vlan_err("4095", "VLAN list item \"4095\": 4095 out of range 0..4094");
	assert_vlan_err("4000-5000", "item \"4000-5000\": 5000 out of range 0..4094");
	assert_vlan_err("99999999999999999999999", "out of range 0..4094");
	assert_vlan_err("30-20", "VLAN list item \"30-20\": range is backwards (30 > 20)");
	assert_vlan_err("10-", "item \"10-\"");
	assert_vlan_err("-5", "item \"-5\"");
	assert_vlan_err("1-2-3", "item \"1-2-3\"");
	assert_vlan_err("+5", "item \"+5\"");
	assert_vlan_err("1 2", "item \"1 2\"");
	assert_vlan_err("0x10", "item \"0x10\"");
	assert_vlan_err("ALL", "item \"ALL\"");
	assert_vlan_err("all,10", "all cannot be combined with other items");
	assert_vlan_err("10,all", "all cannot be combined");
	assert_vlan_err("10,\x01", "item \"\\x01\"");
}

static void
assert_format(const struct vsw_vlan_conf *v, const char *want)
{
	char buf[64];

	vsw_vlan_list_format(v, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void
test_vlan_list_format(void **state)
{
	struct vsw_vlan_conf v;

	(void)state;
	memset(&v, 0, sizeof(v));
	assert_format(&v, "");
	v.trunks_all = true;
	assert_format(&v, "all");
	assert_int_equal(vsw_vlan_list_parse("30-20", &v, NULL), -EINVAL);
	assert_int_equal(vsw_vlan_list_parse("20-30,10", &v, NULL), 0);
	assert_format(&v, "10,20-30");
	assert_int_equal(vsw_vlan_list_parse("1,2,3,5,7-8,4094", &v, NULL), 0);
	assert_format(&v, "1-3,5,7-8,4094");
	assert_int_equal(vsw_vlan_list_parse("0-4094", &v, NULL), 0);
	assert_format(&v, "0-4094");
	assert_int_equal(vsw_vlan_list_parse("0,63-64,127,128", &v, NULL), 0);
	assert_format(&v, "0,63-64,127-128");
}

/* Guard bytes around the buffer catch any write out of bounds. */
static void
format_guarded(const struct vsw_vlan_conf *v, size_t len, char *out)
{
	char mem[96];

	assert_true(len + 16 <= sizeof(mem));
	memset(mem, '#', sizeof(mem));
	vsw_vlan_list_format(v, mem + 8, len);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(mem[i], '#');
	for (size_t i = 8 + len; i < sizeof(mem); i++)
		assert_int_equal(mem[i], '#');
	if (len != 0) {
		assert_true(strnlen(mem + 8, len) < len);
		strcpy(out, mem + 8);
	}
}

static void
test_vlan_list_format_truncates(void **state)
{
	struct vsw_vlan_conf v;
	char out[96];
	size_t len;

	(void)state;
	assert_int_equal(vsw_vlan_list_parse("10,20-30,400,4000-4094", &v, NULL), 0);
	format_guarded(&v, 0, out);
	format_guarded(&v, 64, out);
	assert_string_equal(out, "10,20-30,400,4000-4094");
	format_guarded(&v, 23, out);
	assert_string_equal(out, "10,20-30,400,4000-4094");
	format_guarded(&v, 22, out);
	assert_string_equal(out, "10,20-30,400,...");
	format_guarded(&v, 13, out);
	assert_string_equal(out, "10,20-30,...");
	format_guarded(&v, 12, out);
	assert_string_equal(out, "10,...");
	format_guarded(&v, 8, out);
	assert_string_equal(out, "10,...");
	format_guarded(&v, 4, out);
	assert_string_equal(out, "...");
	format_guarded(&v, 3, out);
	assert_string_equal(out, "");
	/* Every size: bounded, NUL-terminated, whole items then "...". */
	for (len = 1; len <= 64; len++) {
		format_guarded(&v, len, out);
		assert_int_equal(strncmp(out, "10,20-30,400,4000-4094", strcspn(out, ".")), 0);
	}
	v.trunks_all = true;
	format_guarded(&v, 4, out);
	assert_string_equal(out, "all");
	format_guarded(&v, 3, out);
	assert_string_equal(out, "");
}

/* Model: random bitmaps survive format -> parse unchanged. */
static void
test_vlan_list_round_trip(void **state)
{
	static char buf[4096 * 5 + 1];
	struct iovs_err err = {{0}};
	struct vsw_vlan_conf v, back;
	unsigned round, vid, density;

	(void)state;
	srand(7);
	for (round = 0; round < 300; round++) {
		memset(&v, 0, sizeof(v));
		density = (unsigned)rand() % 100 + 1;
		for (vid = 0; vid <= 4094; vid++)
			if ((unsigned)rand() % 100 < density)
				set_vid(&v, vid);
		if (round == 0) /* the longest form: every other VID */
			for (memset(&v, 0, sizeof(v)), vid = 0; vid <= 4094; vid += 2)
				set_vid(&v, vid);
		if (round == 1) /* pairs: "0-1,3-4,..." */
			for (memset(&v, 0, sizeof(v)), vid = 0; vid <= 4094; vid++)
				if (vid % 3 != 2)
					set_vid(&v, vid);
		vsw_vlan_list_format(&v, buf, sizeof(buf));
		assert_true(strlen(buf) < sizeof(buf) - 1);
		assert_null(strstr(buf, "..."));
		if (vsw_vlan_list_parse(buf, &back, &err) != 0)
			fail_msg("'%.40s...' does not parse: %s", buf, err.msg);
		assert_memory_equal(v.trunks, back.trunks, sizeof(v.trunks));
		assert_false(back.trunks_all);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_port_init),
		cmocka_unit_test(test_port_names),
		cmocka_unit_test(test_port_tap_iface),
		cmocka_unit_test(test_port_bad_ifaces),
		cmocka_unit_test(test_port_iface_required_or_refused),
		cmocka_unit_test(test_port_vhost_user),
		cmocka_unit_test(test_port_pci),
		cmocka_unit_test(test_port_dpdk),
		cmocka_unit_test(test_port_queues),
		cmocka_unit_test(test_port_vlan_access),
		cmocka_unit_test(test_port_vlan_trunk),
		cmocka_unit_test(test_bridge_conf),
		cmocka_unit_test(test_vlan_list_parse),
		cmocka_unit_test(test_vlan_list_errors),
		cmocka_unit_test(test_vlan_list_format),
		cmocka_unit_test(test_vlan_list_format_truncates),
		cmocka_unit_test(test_vlan_list_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
