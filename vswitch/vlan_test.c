/* Unit tests of the VLAN membership rules (vlan.c): ingress and egress verdicts
 * for access and trunk ports, table-driven, plus a check over every VID that a
 * port sends exactly the VLANs it accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vlan.h"

enum port_kind {
	ACCESS_0,
	ACCESS_100,
	TRUNK_ALL,
	TRUNK_ALL_NATIVE_5,
	TRUNK_LIST,	      /* 10, 20-30, 4094 */
	TRUNK_LIST_NATIVE_10, /* the same; the native VLAN is in the list */
	TRUNK_LIST_NATIVE_5,  /* the same; the native VLAN is not in the list */
	TRUNK_LIST_WITH_0,    /* 0, 10 */
	TRUNK_EMPTY,	      /* no VLAN at all */
	PORT_KIND__MAX
};

static const char *const kind_names[PORT_KIND__MAX] = {
	[ACCESS_0] = "access tag 0",
	[ACCESS_100] = "access tag 100",
	[TRUNK_ALL] = "trunk all",
	[TRUNK_ALL_NATIVE_5] = "trunk all native 5",
	[TRUNK_LIST] = "trunk 10,20-30,4094",
	[TRUNK_LIST_NATIVE_10] = "trunk 10,20-30,4094 native 10",
	[TRUNK_LIST_NATIVE_5] = "trunk 10,20-30,4094 native 5",
	[TRUNK_LIST_WITH_0] = "trunk 0,10",
	[TRUNK_EMPTY] = "trunk none",
};

static void
allow(struct vsw_vlan_conf *c, uint16_t vid)
{
	c->trunks[vid / 64] |= UINT64_C(1) << (vid % 64);
}

static struct vsw_vlan_conf
conf_of(enum port_kind kind)
{
	struct vsw_vlan_conf c;
	uint16_t v;

	memset(&c, 0, sizeof(c));
	c.mode = VSW_VLAN_TRUNK;
	switch (kind) {
	case ACCESS_0:
		c.mode = VSW_VLAN_ACCESS;
		break;
	case ACCESS_100:
		c.mode = VSW_VLAN_ACCESS;
		c.tag = 100;
		break;
	case TRUNK_ALL_NATIVE_5:
		c.native = 5;
		/* fall through */
	case TRUNK_ALL:
		c.trunks_all = true;
		break;
	case TRUNK_LIST_NATIVE_10:
	case TRUNK_LIST_NATIVE_5:
		c.native = kind == TRUNK_LIST_NATIVE_10 ? 10 : 5;
		/* fall through */
	case TRUNK_LIST:
		allow(&c, 10);
		for (v = 20; v <= 30; v++)
			allow(&c, v);
		allow(&c, 4094);
		break;
	case TRUNK_LIST_WITH_0:
		allow(&c, 0);
		allow(&c, 10);
		break;
	case TRUNK_EMPTY:
	case PORT_KIND__MAX:
		break;
	}
	return c;
}

#define UNTAGGED  false, 0
#define TAGGED(v) true, (v)
#define DROP	  -1

struct ingress_case {
	enum port_kind kind;
	bool tagged;
	uint16_t vid;
	int want;
};

static const struct ingress_case ingress_cases[] = {
	{ACCESS_0, UNTAGGED, 0},
	{ACCESS_0, TAGGED(0), 0}, /* priority tag */
	{ACCESS_0, TAGGED(100), DROP},
	{ACCESS_0, TAGGED(4095), DROP},
	{ACCESS_100, UNTAGGED, 100},
	{ACCESS_100, TAGGED(0), 100},
	{ACCESS_100, TAGGED(100), 100}, /* vlan.h drops only *another* VID */
	{ACCESS_100, TAGGED(200), DROP},
	{ACCESS_100, TAGGED(4095), DROP},

	{TRUNK_ALL, UNTAGGED, 0},
	{TRUNK_ALL, TAGGED(0), 0},
	{TRUNK_ALL, TAGGED(1), 1},
	{TRUNK_ALL, TAGGED(100), 100},
	{TRUNK_ALL, TAGGED(4094), 4094},
	{TRUNK_ALL, TAGGED(4095), DROP},
	{TRUNK_ALL, TAGGED(4096 + 10), DROP}, /* not a VID: out of 12 bits */
	{TRUNK_ALL_NATIVE_5, UNTAGGED, 5},
	{TRUNK_ALL_NATIVE_5, TAGGED(0), 5},
	{TRUNK_ALL_NATIVE_5, TAGGED(5), 5},
	{TRUNK_ALL_NATIVE_5, TAGGED(7), 7},
	{TRUNK_ALL_NATIVE_5, TAGGED(4095), DROP},

	{TRUNK_LIST, UNTAGGED, DROP}, /* no native VLAN and 0 not allowed */
	{TRUNK_LIST, TAGGED(0), DROP},
	{TRUNK_LIST, TAGGED(10), 10},
	{TRUNK_LIST, TAGGED(20), 20},
	{TRUNK_LIST, TAGGED(25), 25},
	{TRUNK_LIST, TAGGED(30), 30},
	{TRUNK_LIST, TAGGED(4094), 4094},
	{TRUNK_LIST, TAGGED(11), DROP},
	{TRUNK_LIST, TAGGED(19), DROP},
	{TRUNK_LIST, TAGGED(31), DROP},
	{TRUNK_LIST, TAGGED(4095), DROP},
	{TRUNK_LIST_NATIVE_10, UNTAGGED, 10},
	{TRUNK_LIST_NATIVE_10, TAGGED(0), 10},
	{TRUNK_LIST_NATIVE_10, TAGGED(10), 10},
	{TRUNK_LIST_NATIVE_10, TAGGED(25), 25},
	{TRUNK_LIST_NATIVE_10, TAGGED(11), DROP},
	{TRUNK_LIST_NATIVE_5, UNTAGGED, 5},
	{TRUNK_LIST_NATIVE_5, TAGGED(0), 5},
	{TRUNK_LIST_NATIVE_5, TAGGED(5), DROP}, /* tagged needs the list */
	{TRUNK_LIST_NATIVE_5, TAGGED(10), 10},
	{TRUNK_LIST_WITH_0, UNTAGGED, 0},
	{TRUNK_LIST_WITH_0, TAGGED(0), 0},
	{TRUNK_LIST_WITH_0, TAGGED(10), 10},
	{TRUNK_LIST_WITH_0, TAGGED(1), DROP},
	{TRUNK_EMPTY, UNTAGGED, DROP},
	{TRUNK_EMPTY, TAGGED(10), DROP},
};

struct egress_case {
	enum port_kind kind;
	uint16_t vlan;
	enum vsw_vlan_out want;
};

#define NONE  VSW_VLAN_OUT_NONE
#define UNTAG VSW_VLAN_OUT_UNTAGGED
#define TAG   VSW_VLAN_OUT_TAGGED

static const struct egress_case egress_cases[] = {
	{ACCESS_0, 0, UNTAG},
	{ACCESS_0, 100, NONE},
	{ACCESS_0, 4095, NONE},
	{ACCESS_100, 100, UNTAG},
	{ACCESS_100, 0, NONE},
	{ACCESS_100, 101, NONE},

	{TRUNK_ALL, 0, UNTAG},
	{TRUNK_ALL, 1, TAG},
	{TRUNK_ALL, 4094, TAG},
	{TRUNK_ALL, 4095, NONE},
	{TRUNK_ALL_NATIVE_5, 5, UNTAG},
	{TRUNK_ALL_NATIVE_5, 7, TAG},
	{TRUNK_ALL_NATIVE_5, 0, NONE}, /* VID 0 would come back as VLAN 5 */

	{TRUNK_LIST, 0, NONE},
	{TRUNK_LIST, 10, TAG},
	{TRUNK_LIST, 25, TAG},
	{TRUNK_LIST, 4094, TAG},
	{TRUNK_LIST, 11, NONE},
	{TRUNK_LIST, 4095, NONE},
	{TRUNK_LIST_NATIVE_10, 10, UNTAG},
	{TRUNK_LIST_NATIVE_10, 20, TAG},
	{TRUNK_LIST_NATIVE_10, 0, NONE},
	{TRUNK_LIST_NATIVE_5, 5, UNTAG},
	{TRUNK_LIST_NATIVE_5, 10, TAG},
	{TRUNK_LIST_NATIVE_5, 0, NONE},
	{TRUNK_LIST_NATIVE_5, 6, NONE},
	{TRUNK_LIST_WITH_0, 0, UNTAG},
	{TRUNK_LIST_WITH_0, 10, TAG},
	{TRUNK_LIST_WITH_0, 11, NONE},
	{TRUNK_EMPTY, 0, NONE},
	{TRUNK_EMPTY, 10, NONE},
};

static void
test_vlan_ingress_follows_the_port_mode(void **state)
{
	size_t i;
	int fails = 0;

	(void)state;
	for (i = 0; i < sizeof(ingress_cases) / sizeof(ingress_cases[0]); i++) {
		const struct ingress_case *t = &ingress_cases[i];
		struct vsw_vlan_conf c = conf_of(t->kind);
		int got = vsw_vlan_ingress(&c, t->tagged, t->vid);

		if (got != t->want) {
			print_error("%s: %s %u in: got %d, want %d\n", kind_names[t->kind],
				    t->tagged ? "tagged" : "untagged", t->vid, got, t->want);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
}

static void
test_vlan_egress_follows_the_port_mode(void **state)
{
	static const char *const out_names[] = {"none", "untagged", "tagged"};
	size_t i;
	int fails = 0;

	(void)state;
	for (i = 0; i < sizeof(egress_cases) / sizeof(egress_cases[0]); i++) {
		const struct egress_case *t = &egress_cases[i];
		struct vsw_vlan_conf c = conf_of(t->kind);
		enum vsw_vlan_out got = vsw_vlan_egress(&c, t->vlan);

		if (got != t->want) {
			print_error("%s: VLAN %u out: got %s, want %s\n", kind_names[t->kind],
				    t->vlan, out_names[got], out_names[t->want]);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
}

static void
test_vlan_trunk_allows_reads_the_bitmap(void **state)
{
	struct vsw_vlan_conf c;
	uint16_t v;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.mode = VSW_VLAN_TRUNK;
	allow(&c, 0);
	allow(&c, 63);
	allow(&c, 64);
	allow(&c, 4094);
	for (v = 0; v < 4096; v++)
		assert_int_equal(vsw_vlan_trunk_allows(&c, v),
				 v == 0 || v == 63 || v == 64 || v == 4094);
	/* Bit 4095 exists in the bitmap but names the reserved VID. */
	allow(&c, 4095);
	assert_false(vsw_vlan_trunk_allows(&c, 4095));

	memset(&c, 0, sizeof(c));
	c.trunks_all = true;
	for (v = 0; v < 4095; v++)
		assert_true(vsw_vlan_trunk_allows(&c, v));
	assert_false(vsw_vlan_trunk_allows(&c, 4095));
	assert_false(vsw_vlan_trunk_allows(&c, 5000));
}

/* Bridging is symmetric: a port is sent a VLAN's frames exactly when frames it
 * sends can be in that VLAN, and the encoding it sends is one it accepts. */
static void
test_vlan_port_sends_exactly_the_vlans_it_accepts(void **state)
{
	enum port_kind k;
	uint16_t v;

	(void)state;
	for (k = 0; k < PORT_KIND__MAX; k++) {
		struct vsw_vlan_conf c = conf_of(k);

		for (v = 0; v < 4095; v++) {
			bool in_untagged = vsw_vlan_ingress(&c, false, 0) == v;
			bool in_tagged = v != 0 && vsw_vlan_ingress(&c, true, v) == v;
			enum vsw_vlan_out out = vsw_vlan_egress(&c, v);

			if ((out != VSW_VLAN_OUT_NONE) != (in_untagged || in_tagged))
				fail_msg("%s: VLAN %u accepted %d/%d but sent %d", kind_names[k], v,
					 in_untagged, in_tagged, out);
			if (out == VSW_VLAN_OUT_UNTAGGED)
				assert_true(in_untagged);
			if (out == VSW_VLAN_OUT_TAGGED)
				assert_true(in_tagged);
		}
		assert_int_equal(vsw_vlan_egress(&c, 4095), VSW_VLAN_OUT_NONE);
	}
}

static void
test_vlan_reserved_port_vlans_carry_no_traffic(void **state)
{
	struct vsw_vlan_conf c;

	(void)state;
	/* vsw_port_conf_validate() should refuse these; stay safe if it does not. */
	memset(&c, 0, sizeof(c));
	c.mode = VSW_VLAN_ACCESS;
	c.tag = 4095;
	assert_int_equal(vsw_vlan_ingress(&c, false, 0), -1);
	assert_int_equal(vsw_vlan_ingress(&c, true, 4095), -1);
	assert_int_equal(vsw_vlan_egress(&c, 4095), VSW_VLAN_OUT_NONE);

	memset(&c, 0, sizeof(c));
	c.mode = VSW_VLAN_TRUNK;
	c.trunks_all = true;
	c.native = 4095;
	assert_int_equal(vsw_vlan_ingress(&c, false, 0), -1);
	assert_int_equal(vsw_vlan_ingress(&c, true, 10), 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vlan_ingress_follows_the_port_mode),
		cmocka_unit_test(test_vlan_egress_follows_the_port_mode),
		cmocka_unit_test(test_vlan_trunk_allows_reads_the_bitmap),
		cmocka_unit_test(test_vlan_port_sends_exactly_the_vlans_it_accepts),
		cmocka_unit_test(test_vlan_reserved_port_vlans_carry_no_traffic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
