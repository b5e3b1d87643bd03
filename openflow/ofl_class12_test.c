/* bad-input.md class 12 for the OpenFlow 1.3 codec: every message type over
 * the full range of lengths and truncations, lists that try to grow the host
 * arrays, padding, IP protocol 0, malformed IPv6 / ICMPv6 ND matches, VLAN
 * and MPLS stacks.
 */

#include "ofl_test_util.h"

/* Every prefix as received (header unchanged): BAD_REQUEST/BAD_LEN; every
 * prefix relabelled, and every zero-extension by up to 24 bytes: a length
 * error or a valid message. */
static void
test_class12_truncations(void **state)
{
	static uint8_t ext[8192];

	(void)state;
	for (size_t i = 0; i < n_caps; i++) {
		const struct capture *c = &caps[i];

		for (size_t k = 0; k < c->n; k++) {
			struct iovs_err err = {{0}};
			int rc = ofl_decode(c->b, k, &M, &err);

			assert_ofl_err(rc, OFL_E_BAD_LEN);
			assert_true(err.msg[0] != '\0');
			if (k >= 8)
				check_relabelled(c->name, c->b, k);
		}
		memcpy(ext, c->b, c->n);
		memset(ext + c->n, 0, 24);
		for (size_t k = 1; k <= 24; k++)
			check_relabelled(c->name, ext, c->n + k);
	}
}

/* --- bad-input.md class 12 --- */

/* Every type, every length up to 300 and a few large ones, three fillers:
 * decode returns 0 or an OpenFlow error with a message, and what decodes
 * re-encodes to the same bytes. */
static void
test_class12_every_type_every_length(void **state)
{
	static uint8_t buf[70000];
	static const size_t lens[] = {1000, 4096, 65535};
	static const uint8_t fill[] = {0x00, 0xff, 0x08};

	(void)state;
	for (unsigned type = 0; type < 256; type++)
		for (size_t f = 0; f < sizeof(fill); f++)
			for (size_t k = 0; k < 300 + 3; k++) {
				size_t len = k < 300 ? k : lens[k - 300];
				struct iovs_err err = {{0}};
				int rc;

				memset(buf, fill[f], len);
				if (len >= 8) {
					buf[0] = OFP13_VERSION;
					buf[1] = (uint8_t)type;
					buf[2] = (uint8_t)(len >> 8);
					buf[3] = (uint8_t)len;
				}
				rc = ofl_decode(buf, len, &M, &err);
				if (rc != 0) {
					assert_non_null(ofl_err_wire(rc));
					assert_true(err.msg[0] != '\0');
					continue;
				}
				/* Padding and reserved bytes are not kept: exact
				 * bytes back for zero fill, a fixed point otherwise. */
				rc = ofl_encode(&M, OUT, sizeof(OUT));
				if (rc != (int)len || (fill[f] == 0 && memcmp(OUT, buf, len) != 0))
					fail_msg("type %u len %zu fill %u: re-encodes to %d", type,
						 len, fill[f], rc);
				assert_int_equal(ofl_decode(OUT, len, &M2, &err), 0);
				assert_int_equal(ofl_encode(&M2, OUT2, sizeof(OUT2)), rc);
				assert_memory_equal(OUT, OUT2, len);
			}
}

/* Lists that try to grow the host arrays past their caps. */
static void
test_class12_lists_that_grow(void **state)
{
	static struct tb a;
	size_t s;

	(void)state;
	a.n = 0;
	for (unsigned i = 0; i < OFL_MAX_ACTIONS; i++)
		act_output(&a, i + 1);
	assert_int_equal(flow_with_actions(&a), 0);
	assert_int_equal(M.flow_mod.ins.apply.n, OFL_MAX_ACTIONS);
	act_output(&a, 99);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_TOO_MANY);
	/* as many pop_vlan as a 64 KB message holds */
	a.n = 0;
	while (a.n < 65000)
		act8(&a, OFPAT_POP_VLAN, 0);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_TOO_MANY);
	/* every field once is fine; one more is a duplicate */
	flow_mod_begin(&T, OFPFC_ADD, 0);
	s = match_begin(&T);
	for (unsigned f = 0; f < OFPXMT_OFB__MAX; f++)
		oxm(&T, (uint8_t)f, ofl_oxm_spec_of((uint8_t)f)->len, 0, 0, 0);
	oxm(&T, OFPXMT_OFB_IN_PORT, 4, 1, 0, 0);
	match_end(&T, s);
	assert_ofl_err(decode_t(), OFL_E_BMC_DUP_FIELD);
	/* 17 buckets */
	group_begin(OFPGC_ADD, OFPGT_ALL, 1);
	for (unsigned i = 0; i <= OFL_MAX_BUCKETS; i++)
		bucket(0, OFPP_ANY, OFPG_ANY, i + 1);
	assert_ofl_err(decode_t(), OFL_E_GMF_OUT_OF_BUCKETS);
	/* hello with 1000 bitmap words keeps 4 */
	hdr(&T, OFPT_HELLO, 1);
	p16(&T, OFPHET_VERSIONBITMAP);
	p16(&T, 4 + 4000);
	for (unsigned i = 0; i < 1000; i++)
		p32(&T, 0x10);
	pad8(&T, 8);
	assert_int_equal(decode_t(), 0);
	assert_int_equal(M.hello.n_words, OFL_MAX_HELLO_WORDS);
	/* 1.3 bundle add inside a bundle add is refused, not recursed into */
	{
		const struct capture *c = capture("bundle_add_1.bin");

		hdr(&T, OFPT_EXPERIMENTER, 6);
		p32(&T, ONF_EXPERIMENTER_ID);
		p32(&T, ONFT_BUNDLE_ADD_MESSAGE);
		p32(&T, 0);
		p16(&T, 0);
		p16(&T, 3);
		memcpy(T.b + T.n, c->b, c->n);
		T.n += c->n;
		assert_ofl_err(decode_t(), OFL_E_BFC_MSG_UNSUP);
	}
}

static void
m_pad_garbage(struct tb *t)
{
	OXM_EXACT(t, IN_PORT, 4, 1);
}

static void
test_class12_padding(void **state)
{
	static struct tb a;

	(void)state;
	assert_int_equal(flow_with_match(m_pad_garbage), 0);
	T.b[56 + 4 + 8 - 1] = 0; /* match is 12 bytes + 4 padding, at offset 48 */
	T.b[48 + 12] = 1;
	assert_ofl_err(decode_t(), OFL_E_BMC_BAD_LEN);
	/* set_field padding must be zero */
	a.n = 0;
	p16(&a, OFPAT_SET_FIELD);
	p16(&a, 16);
	OXM_EXACT(&a, ETH_SRC, 6, 1);
	pz(&a, 2);
	assert_int_equal(flow_with_actions(&a), 0);
	a.b[15] = 1;
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_SET_LEN);
	/* a hello element whose padding runs past the message */
	hdr(&T, OFPT_HELLO, 1);
	p16(&T, OFPHET_VERSIONBITMAP);
	p16(&T, 8);
	p32(&T, 0x10);
	p16(&T, OFPHET_VERSIONBITMAP);
	p16(&T, 8);
	p32(&T, 0x10);
	T.b[T.n - 5] = 12;
	assert_ofl_err(decode_t(), OFL_E_BAD_LEN);
	/* table features property padding */
	hdr(&T, OFPT_MULTIPART_REPLY, 1);
	p16(&T, OFPMP_TABLE_FEATURES);
	pz(&T, 6);
	p16(&T, 64 + 8);
	pz(&T, 62);
	p16(&T, OFPTFPT_NEXT_TABLES);
	p16(&T, 5);
	p8(&T, 1);
	p8(&T, 0);
	p16(&T, 0);
	assert_int_equal(decode_t(), 0);
	T.b[T.n - 1] = 1;
	assert_ofl_err(decode_t(), OFL_E_TFF_BAD_LEN);
}

static void
m_ip_proto_0(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x0800);
	OXM_EXACT(t, IP_PROTO, 1, 0);
}
static void
m_ip_proto_0_tcp(struct tb *t)
{
	m_ip_proto_0(t);
	OXM_EXACT(t, TCP_DST, 2, 80);
}
static void
m_ip_proto_masked(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x0800);
	oxm(t, OFPXMT_OFB_IP_PROTO, 1, 0, 1, 0);
}
static void
m_ip_proto_arp(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x0806);
	OXM_EXACT(t, IP_PROTO, 1, 6);
}

static void
test_class12_ip_proto_zero(void **state)
{
	(void)state;
	assert_int_equal(flow_with_match(m_ip_proto_0), 0);
	assert_int_equal(M.flow_mod.match.f[1].value[0], 0);
	assert_ofl_err(flow_with_match(m_ip_proto_0_tcp), OFL_E_BMC_BAD_PREREQ);
	assert_ofl_err(flow_with_match(m_ip_proto_masked), OFL_E_BMC_BAD_MASK);
	assert_ofl_err(flow_with_match(m_ip_proto_arp), OFL_E_BMC_BAD_PREREQ);
}

static void
m_nd_ok(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x86dd);
	OXM_EXACT(t, IP_PROTO, 1, 58);
	OXM_EXACT(t, ICMPV6_TYPE, 1, 136);
	oxm(t, OFPXMT_OFB_IPV6_ND_TARGET, 16, 1, 0, 0);
	OXM_EXACT(t, IPV6_ND_TLL, 6, 0x0011223344);
}
static void
m_nd_no_type(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x86dd);
	OXM_EXACT(t, IP_PROTO, 1, 58);
	oxm(t, OFPXMT_OFB_IPV6_ND_TARGET, 16, 1, 0, 0);
}
static void
m_nd_sll_on_na(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x86dd);
	OXM_EXACT(t, IP_PROTO, 1, 58);
	OXM_EXACT(t, ICMPV6_TYPE, 1, 136);
	OXM_EXACT(t, IPV6_ND_SLL, 6, 1);
}
static void
m_nd_tll_on_ns(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x86dd);
	OXM_EXACT(t, IP_PROTO, 1, 58);
	OXM_EXACT(t, ICMPV6_TYPE, 1, 135);
	OXM_EXACT(t, IPV6_ND_TLL, 6, 1);
}
static void
m_icmpv6_on_ipv4(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x0800);
	OXM_EXACT(t, IP_PROTO, 1, 1);
	OXM_EXACT(t, ICMPV6_TYPE, 1, 135);
}
static void
m_nd_target_short(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x86dd);
	OXM_EXACT(t, IP_PROTO, 1, 58);
	OXM_EXACT(t, ICMPV6_TYPE, 1, 135);
	p32(t, OXM_HEADER(OFPXMT_OFB_IPV6_ND_TARGET, 0, 15));
	pz(t, 15);
}
static void
m_nd_target_masked(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x86dd);
	OXM_EXACT(t, IP_PROTO, 1, 58);
	OXM_EXACT(t, ICMPV6_TYPE, 1, 135);
	oxm(t, OFPXMT_OFB_IPV6_ND_TARGET, 16, 1, 1, 1);
}
static void
m_ipv6_on_ipv4(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x0800);
	oxm(t, OFPXMT_OFB_IPV6_SRC, 16, 1, 0, 0);
}
static void
m_ipv6_flabel(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x86dd);
	OXM_EXACT(t, IPV6_FLABEL, 4, 1);
}

static void
test_class12_ipv6_and_icmpv6_nd(void **state)
{
	(void)state;
	assert_int_equal(flow_with_match(m_nd_ok), 0);
	assert_ofl_err(flow_with_match(m_nd_no_type), OFL_E_BMC_BAD_PREREQ);
	assert_ofl_err(flow_with_match(m_nd_sll_on_na), OFL_E_BMC_BAD_PREREQ);
	assert_ofl_err(flow_with_match(m_nd_tll_on_ns), OFL_E_BMC_BAD_PREREQ);
	assert_ofl_err(flow_with_match(m_icmpv6_on_ipv4), OFL_E_BMC_BAD_PREREQ);
	assert_ofl_err(flow_with_match(m_nd_target_short), OFL_E_BMC_BAD_LEN);
	assert_ofl_err(flow_with_match(m_nd_target_masked), OFL_E_BMC_BAD_MASK);
	assert_ofl_err(flow_with_match(m_ipv6_on_ipv4), OFL_E_BMC_BAD_PREREQ);
	assert_ofl_err(flow_with_match(m_ipv6_flabel), OFL_E_BMC_BAD_FIELD);
}

static void
m_vid_no_present(struct tb *t)
{
	OXM_EXACT(t, VLAN_VID, 2, 10);
}
static void
m_vid_high_bits(struct tb *t)
{
	OXM_EXACT(t, VLAN_VID, 2, 0x3000 | 10);
}
static void
m_pcp_no_vid(struct tb *t)
{
	OXM_EXACT(t, VLAN_PCP, 1, 3);
}
static void
m_pcp_vid_none(struct tb *t)
{
	OXM_EXACT(t, VLAN_VID, 2, OFPVID_NONE);
	OXM_EXACT(t, VLAN_PCP, 1, 3);
}
static void
m_pcp_any_vlan(struct tb *t)
{
	oxm(t, OFPXMT_OFB_VLAN_VID, 2, OFPVID_PRESENT, 1, OFPVID_PRESENT);
	OXM_EXACT(t, VLAN_PCP, 1, 3);
}
static void
m_two_vids(struct tb *t)
{
	OXM_EXACT(t, VLAN_VID, 2, 0x1000 | 10);
	OXM_EXACT(t, VLAN_VID, 2, 0x1000 | 20);
}
static void
m_mpls_stack(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x8847);
	OXM_EXACT(t, MPLS_BOS, 1, 0);
}

static void
test_class12_vlan_and_mpls_stacks(void **state)
{
	static struct tb a;

	(void)state;
	assert_ofl_err(flow_with_match(m_vid_no_present), OFL_E_BMC_BAD_VALUE);
	assert_ofl_err(flow_with_match(m_vid_high_bits), OFL_E_BMC_BAD_VALUE);
	assert_ofl_err(flow_with_match(m_pcp_no_vid), OFL_E_BMC_BAD_PREREQ);
	assert_ofl_err(flow_with_match(m_pcp_vid_none), OFL_E_BMC_BAD_PREREQ);
	assert_int_equal(flow_with_match(m_pcp_any_vlan), 0);
	assert_ofl_err(flow_with_match(m_two_vids), OFL_E_BMC_DUP_FIELD);
	assert_ofl_err(flow_with_match(m_mpls_stack), OFL_E_BMC_BAD_FIELD);
	/* a stack of pushes is syntax the switch accepts up to the action cap */
	a.n = 0;
	for (unsigned i = 0; i < OFL_MAX_ACTIONS; i++)
		act8(&a, OFPAT_PUSH_VLAN, i % 2 ? 0x81000000u : 0x88a80000u);
	assert_int_equal(flow_with_actions(&a), 0);
	act8(&a, OFPAT_PUSH_VLAN, 0x81000000u);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_TOO_MANY);
	/* MPLS pushes decode but are refused */
	a.n = 0;
	act8(&a, OFPAT_PUSH_MPLS, 0x88470000u);
	act8(&a, OFPAT_PUSH_MPLS, 0x88470000u);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_TYPE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class12_truncations),
		cmocka_unit_test(test_class12_every_type_every_length),
		cmocka_unit_test(test_class12_lists_that_grow),
		cmocka_unit_test(test_class12_padding),
		cmocka_unit_test(test_class12_ip_proto_zero),
		cmocka_unit_test(test_class12_ipv6_and_icmpv6_nd),
		cmocka_unit_test(test_class12_vlan_and_mpls_stacks),
	};

	return cmocka_run_group_tests(tests, load_captures, NULL);
}
