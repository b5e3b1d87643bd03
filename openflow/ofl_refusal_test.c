/* Refusals of the OpenFlow 1.3 codec: each malformed or unsupported message
 * gets the OpenFlow error type/code the spec names (1.3.5 A.4.4), and
 * ofl_encode_error() answers it quoting the first 64 bytes.
 */

#include "ofl_test_util.h"

static void
test_header_errors(void **state)
{
	struct iovs_err err = {{0}};

	(void)state;
	hdr(&T, OFPT_BARRIER_REQUEST, 1);
	T.b[0] = 0x01;
	assert_ofl_err(decode_t(), OFL_E_BAD_VERSION);
	hdr(&T, OFPT_BARRIER_REQUEST, 1);
	T.b[0] = 0x05;
	assert_ofl_err(decode_t(), OFL_E_BAD_VERSION);
	hdr(&T, OFPT_HELLO, 1);
	T.b[0] = 0x06; /* HELLO negotiates: any version decodes */
	assert_int_equal(decode_t(), 0);
	hdr(&T, OFPT_TABLE_MOD, 1);
	pz(&T, 8);
	assert_ofl_err(decode_t(), OFL_E_BAD_TYPE);
	hdr(&T, 200, 1);
	assert_ofl_err(decode_t(), OFL_E_BAD_TYPE);
	hdr(&T, OFPT_QUEUE_GET_CONFIG_REQUEST, 1);
	pz(&T, 8);
	assert_ofl_err(decode_t(), OFL_E_BAD_TYPE);
	hdr(&T, OFPT_BARRIER_REQUEST, 1);
	pz(&T, 8); /* a barrier with a body */
	assert_ofl_err(decode_t(), OFL_E_BAD_LEN);
	hdr(&T, OFPT_FLOW_MOD, 1);
	pz(&T, 52); /* not a multiple of 8 */
	assert_ofl_err(decode_t(), OFL_E_BAD_LEN);
	hdr(&T, OFPT_ECHO_REQUEST, 1);
	T.b[3] = 4; /* header says 4 */
	assert_ofl_err(ofl_decode(T.b, 8, &M, &err), OFL_E_BAD_LEN);
	assert_int_equal(ofl_msg_frame_len(T.b, 3), 0);
	assert_ofl_err(ofl_msg_frame_len(T.b, 8), OFL_E_BAD_LEN);
	T.b[3] = 40;
	assert_int_equal(ofl_msg_frame_len(T.b, 8), 40);
	/* multipart: QUEUE and EXPERIMENTER are not supported */
	hdr(&T, OFPT_MULTIPART_REQUEST, 1);
	p16(&T, OFPMP_QUEUE);
	pz(&T, 6 + 8);
	assert_ofl_err(decode_t(), OFL_E_BAD_MULTIPART);
	hdr(&T, OFPT_MULTIPART_REQUEST, 1);
	p16(&T, OFPMP_DESC);
	pz(&T, 6 + 8); /* DESC takes no body */
	assert_ofl_err(decode_t(), OFL_E_BAD_LEN);
	hdr(&T, OFPT_MULTIPART_REQUEST, 1);
	p16(&T, OFPMP_TABLE_FEATURES);
	pz(&T, 6);
	p16(&T, 64); /* a table-features "set" */
	pz(&T, 62);
	assert_ofl_err(decode_t(), OFL_E_TFF_EPERM);
	hdr(&T, OFPT_MULTIPART_REQUEST, 1);
	p16(&T, OFPMP_TABLE);
	p16(&T, OFPMPF_REQ_MORE);
	pz(&T, 4);
	assert_ofl_err(decode_t(), OFL_E_BAD_MULTIPART);
	/* session messages */
	hdr(&T, OFPT_SET_CONFIG, 1);
	p16(&T, 4);
	p16(&T, 128);
	assert_ofl_err(decode_t(), OFL_E_SCF_BAD_FLAGS);
	hdr(&T, OFPT_ROLE_REQUEST, 1);
	p32(&T, 4);
	pz(&T, 12);
	assert_ofl_err(decode_t(), OFL_E_RRF_BAD_ROLE);
	hdr(&T, OFPT_ERROR, 1);
	p16(&T, OFPET_EXPERIMENTER);
	p16(&T, 1); /* experimenter error without its experimenter id */
	assert_ofl_err(decode_t(), OFL_E_BAD_LEN);
	hdr(&T, OFPT_HELLO, 1);
	p16(&T, OFPHET_VERSIONBITMAP);
	p16(&T, 6); /* half a bitmap word */
	pz(&T, 4);
	assert_ofl_err(decode_t(), OFL_E_BAD_LEN);
	hdr(&T, OFPT_HELLO, 1);
	p16(&T, 99); /* unknown elements are skipped */
	p16(&T, 4);
	pz(&T, 4);
	assert_int_equal(decode_t(), 0);
	assert_false(M.hello.has_bitmap);
}

static void
m_dup_field(struct tb *t)
{
	OXM_EXACT(t, IN_PORT, 4, 1);
	OXM_EXACT(t, IN_PORT, 4, 2);
}
static void
m_tcp_no_proto(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x0800);
	OXM_EXACT(t, TCP_SRC, 2, 80);
}
static void
m_wildcards(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x0800);
	oxm(t, OFPXMT_OFB_IPV4_SRC, 4, 0x0a000001, 1, 0xff000000);
}
static void
m_mask_on_eth_type(struct tb *t)
{
	oxm(t, OFPXMT_OFB_ETH_TYPE, 2, 0x0800, 1, 0xffff);
}
static void
m_mpls(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x8847);
	OXM_EXACT(t, MPLS_LABEL, 4, 5);
}
static void
m_nxm_class(struct tb *t)
{
	p32(t, 0x00010004); /* NXM_1 field 0 */
	p32(t, 0);
}
static void
m_unknown_field(struct tb *t)
{
	p32(t, OXM_HEADER(60, 0, 4));
	p32(t, 0);
}
static void
m_bad_oxm_len(struct tb *t)
{
	p32(t, OXM_HEADER(OFPXMT_OFB_IN_PORT, 0, 2));
	p16(t, 1);
}
static void
m_oxm_overruns(struct tb *t)
{
	p32(t, OXM_HEADER(OFPXMT_OFB_IPV6_SRC, 0, 16));
	p32(t, 0);
}
static void
m_pcp_range(struct tb *t)
{
	OXM_EXACT(t, VLAN_VID, 2, 0x1000 | 10);
	OXM_EXACT(t, VLAN_PCP, 1, 8);
}
static void
m_dscp_range(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x0800);
	OXM_EXACT(t, IP_DSCP, 1, 64);
}
static void
m_prereq_masked(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x0800);
	oxm(t, OFPXMT_OFB_IP_PROTO, 1, 6, 0, 0);
	OXM_EXACT(t, TCP_DST, 2, 22);
	oxm(t, OFPXMT_OFB_METADATA, 8, 0x10, 1, 0xf0);
}
static void
m_in_port_zero(struct tb *t)
{
	OXM_EXACT(t, IN_PORT, 4, 0);
}
static void
m_phy_port_alone(struct tb *t)
{
	OXM_EXACT(t, IN_PHY_PORT, 4, 1);
}

static void
test_match_errors(void **state)
{
	(void)state;
	assert_ofl_err(flow_with_match(m_dup_field), OFL_E_BMC_DUP_FIELD);
	assert_ofl_err(flow_with_match(m_tcp_no_proto), OFL_E_BMC_BAD_PREREQ);
	assert_ofl_err(flow_with_match(m_wildcards), OFL_E_BMC_BAD_WILDCARDS);
	assert_ofl_err(flow_with_match(m_mask_on_eth_type), OFL_E_BMC_BAD_MASK);
	assert_ofl_err(flow_with_match(m_mpls), OFL_E_BMC_BAD_FIELD);
	assert_ofl_err(flow_with_match(m_nxm_class), OFL_E_BMC_BAD_FIELD);
	assert_ofl_err(flow_with_match(m_unknown_field), OFL_E_BMC_BAD_FIELD);
	assert_ofl_err(flow_with_match(m_bad_oxm_len), OFL_E_BMC_BAD_LEN);
	assert_ofl_err(flow_with_match(m_oxm_overruns), OFL_E_BMC_BAD_LEN);
	assert_ofl_err(flow_with_match(m_pcp_range), OFL_E_BMC_BAD_VALUE);
	assert_ofl_err(flow_with_match(m_dscp_range), OFL_E_BMC_BAD_VALUE);
	assert_int_equal(flow_with_match(m_prereq_masked), 0);
	assert_ofl_err(flow_with_match(m_in_port_zero), OFL_E_BMC_BAD_VALUE);
	assert_ofl_err(flow_with_match(m_phy_port_alone), OFL_E_BMC_BAD_PREREQ);
	/* match type STANDARD (1.1) */
	flow_mod_begin(&T, OFPFC_ADD, 0);
	p16(&T, OFPMT_STANDARD);
	p16(&T, 4);
	pz(&T, 4);
	assert_ofl_err(decode_t(), OFL_E_BMC_BAD_TYPE);
	/* match length shorter than its header, and longer than the message */
	flow_mod_begin(&T, OFPFC_ADD, 0);
	p16(&T, OFPMT_OXM);
	p16(&T, 2);
	pz(&T, 4);
	assert_ofl_err(decode_t(), OFL_E_BMC_BAD_LEN);
	flow_mod_begin(&T, OFPFC_ADD, 0);
	p16(&T, OFPMT_OXM);
	p16(&T, 200);
	pz(&T, 4);
	assert_ofl_err(decode_t(), OFL_E_BMC_BAD_LEN);
}

static void
test_action_errors(void **state)
{
	static struct tb a;

	(void)state;
	a.n = 0;
	act8(&a, 99, 0);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_TYPE);
	a.n = 0;
	p16(&a, OFPAT_OUTPUT);
	p16(&a, 8); /* output is 16 bytes */
	p32(&a, 1);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_LEN);
	a.n = 0;
	p16(&a, OFPAT_DEC_NW_TTL);
	p16(&a, 12); /* not a multiple of 8 */
	pz(&a, 12);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_LEN);
	a.n = 0;
	p16(&a, OFPAT_DEC_NW_TTL);
	p16(&a, 0); /* zero length: no endless loop */
	pz(&a, 4);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_LEN);
	a.n = 0;
	act_output(&a, 0);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_OUT_PORT);
	a.n = 0;
	act_output(&a, OFPP_ANY);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_OUT_PORT);
	a.n = 0;
	act_output(&a, 0xffffff01);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_OUT_PORT);
	a.n = 0;
	act_output(&a, OFPP_TABLE);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_OUT_PORT);
	a.n = 0;
	act8(&a, OFPAT_PUSH_VLAN, 0x08000000);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_ARGUMENT);
	a.n = 0;
	act8(&a, OFPAT_GROUP, OFPG_ALL);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_OUT_GROUP);
	for (uint16_t t = OFPAT_PUSH_MPLS; t <= OFPAT_POP_PBB;
	     t = t == OFPAT_POP_MPLS ? OFPAT_PUSH_PBB : (uint16_t)(t + 1)) {
		a.n = 0;
		act8(&a, t, 0x88470000);
		assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_TYPE);
		/* ...but they parse, for tools */
		assert_int_equal(ofl_parse(T.b, T.n, &M, NULL), 0);
		assert_int_equal(M.flow_mod.ins.apply.a[0].type, t);
	}
	a.n = 0;
	act8(&a, OFPAT_SET_MPLS_TTL, 0x40000000);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_TYPE);
	a.n = 0;
	act8(&a, OFPAT_EXPERIMENTER, 0x2320);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_EXPERIMENTER);
	/* set_field: not settable, masked, wrong length, VID without PRESENT */
	a.n = 0;
	p16(&a, OFPAT_SET_FIELD);
	p16(&a, 16);
	OXM_EXACT(&a, IN_PORT, 4, 1);
	pz(&a, 4);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_SET_TYPE);
	a.n = 0;
	p16(&a, OFPAT_SET_FIELD);
	p16(&a, 16);
	oxm(&a, OFPXMT_OFB_IPV4_DST, 4, 0x0a000000, 1, 0xff000000);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_SET_ARGUMENT);
	a.n = 0;
	p16(&a, OFPAT_SET_FIELD);
	p16(&a, 24); /* 8 bytes too long for eth_dst */
	OXM_EXACT(&a, ETH_DST, 6, 1);
	pz(&a, 10);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_SET_LEN);
	a.n = 0;
	p16(&a, OFPAT_SET_FIELD);
	p16(&a, 8);
	p32(&a, OXM_HEADER(OFPXMT_OFB_VLAN_VID, 0, 2));
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_SET_LEN);
	a.n = 0;
	p16(&a, OFPAT_SET_FIELD);
	p16(&a, 16);
	OXM_EXACT(&a, VLAN_VID, 2, 10);
	pz(&a, 6);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_SET_ARGUMENT);
	a.n = 0;
	p16(&a, OFPAT_SET_FIELD);
	p16(&a, 16);
	p32(&a, OXM_HEADER(70, 0, 4));
	pz(&a, 8);
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_SET_TYPE);
	/* controller max_len beyond OFPCML_MAX */
	a.n = 0;
	act_output(&a, OFPP_CONTROLLER);
	a.b[8] = 0xff;
	a.b[9] = 0xf0;
	assert_ofl_err(flow_with_actions(&a), OFL_E_BAC_BAD_ARGUMENT);
}

static void
m_tcp_no_proto_fixed(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x0800);
	OXM_EXACT(t, IP_PROTO, 1, 6);
}
static void
m_pcp_range_ok(struct tb *t)
{
	OXM_EXACT(t, VLAN_VID, 2, 0x1000 | 10);
	OXM_EXACT(t, VLAN_PCP, 1, 3);
}

static void
m_ipv4_only(struct tb *t)
{
	OXM_EXACT(t, ETH_TYPE, 2, 0x0800);
}

static void
act_set_vid(struct tb *t)
{
	p16(t, OFPAT_SET_FIELD);
	p16(t, 16);
	OXM_EXACT(t, VLAN_VID, 2, 0x1000 | 7);
	pz(t, 6);
}

/* A flow_mod matching 'fn' with one instruction of raw actions. */
static int
flow_with(void (*fn)(struct tb *), uint16_t inst, const struct tb *acts)
{
	size_t s, i;

	flow_mod_begin(&T, OFPFC_ADD, 0);
	s = match_begin(&T);
	if (fn != NULL)
		fn(&T);
	match_end(&T, s);
	i = inst_begin(&T, inst);
	memcpy(T.b + T.n, acts->b, acts->n);
	T.n += acts->n;
	inst_end(&T, i);
	return decode_t();
}

/* 7.2.5: a set-field whose prerequisites the match (and the pushes before
 * it) do not establish: BAD_ACTION/MATCH_INCONSISTENT. */
static void
test_set_field_match_inconsistent(void **state)
{
	static struct tb a;

	(void)state;
	a.n = 0;
	p16(&a, OFPAT_SET_FIELD);
	p16(&a, 16);
	OXM_EXACT(&a, TCP_DST, 2, 80);
	pz(&a, 6);
	assert_ofl_err(flow_with(m_ipv4_only, OFPIT_APPLY_ACTIONS, &a),
		       OFL_E_BAC_MATCH_INCONSISTENT);
	assert_ofl_err(flow_with(m_ipv4_only, OFPIT_WRITE_ACTIONS, &a),
		       OFL_E_BAC_MATCH_INCONSISTENT);
	assert_int_equal(flow_with(m_tcp_no_proto_fixed, OFPIT_APPLY_ACTIONS, &a), 0);
	/* VLAN fields need a tag: in the match, or pushed before (apply) or
	 * anywhere (write, the action set pushes first). */
	a.n = 0;
	act_set_vid(&a);
	assert_ofl_err(flow_with(NULL, OFPIT_APPLY_ACTIONS, &a), OFL_E_BAC_MATCH_INCONSISTENT);
	act8(&a, OFPAT_PUSH_VLAN, 0x81000000u);
	assert_ofl_err(flow_with(NULL, OFPIT_APPLY_ACTIONS, &a), OFL_E_BAC_MATCH_INCONSISTENT);
	assert_int_equal(flow_with(NULL, OFPIT_WRITE_ACTIONS, &a), 0);
	a.n = 0;
	act8(&a, OFPAT_PUSH_VLAN, 0x81000000u);
	act_set_vid(&a);
	assert_int_equal(flow_with(NULL, OFPIT_APPLY_ACTIONS, &a), 0);
	assert_int_equal(flow_with(m_pcp_range_ok, OFPIT_APPLY_ACTIONS, &a), 0);
	/* packet-out has no match to be inconsistent with */
	hdr(&T, OFPT_PACKET_OUT, 5);
	p32(&T, OFP_NO_BUFFER);
	p32(&T, OFPP_CONTROLLER);
	p16(&T, 16);
	pz(&T, 6);
	act_set_vid(&T);
	pz(&T, 60);
	assert_int_equal(decode_t(), 0);
}

static void
test_instruction_and_flow_mod_errors(void **state)
{
	size_t s, i;

	(void)state;
	/* unknown, experimenter, duplicate, clear with actions, bad lengths */
	const struct {
		uint16_t type, len;
		int twice;
		enum ofl_err e;
	} cases[] = {
		{77, 8, 0, OFL_E_BIC_UNKNOWN_INST},
		{OFPIT_EXPERIMENTER, 8, 0, OFL_E_BIC_BAD_EXPERIMENTER},
		{OFPIT_GOTO_TABLE, 8, 1, OFL_E_BIC_DUP_INST},
		{OFPIT_CLEAR_ACTIONS, 24, 0, OFL_E_BIC_BAD_LEN},
		{OFPIT_WRITE_METADATA, 16, 0, OFL_E_BIC_BAD_LEN},
		{OFPIT_METER, 4, 0, OFL_E_BIC_BAD_LEN},
		{OFPIT_APPLY_ACTIONS, 64, 0, OFL_E_BIC_BAD_LEN},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		flow_mod_begin(&T, OFPFC_ADD, 0);
		s = match_begin(&T);
		match_end(&T, s);
		for (int n = 0; n <= cases[k].twice; n++) {
			p16(&T, cases[k].type);
			p16(&T, cases[k].len);
			p8(&T, 5); /* goto table 5 */
			pz(&T, cases[k].len >= 8 && cases[k].len <= 24 ? cases[k].len - 5u : 3);
		}
		assert_ofl_err(decode_t(), cases[k].e);
	}
	/* goto backwards, goto ALL, meter 0 */
	for (int k = 0; k < 3; k++) {
		flow_mod_begin(&T, OFPFC_ADD, 3);
		s = match_begin(&T);
		match_end(&T, s);
		p16(&T, k == 2 ? OFPIT_METER : OFPIT_GOTO_TABLE);
		p16(&T, 8);
		p32(&T, k == 0 ? 0x02000000u : k == 1 ? 0xff000000u : 0);
		assert_ofl_err(decode_t(),
			       k == 2 ? OFL_E_MMF_INVALID_METER : OFL_E_BIC_BAD_TABLE_ID);
	}
	/* command, flags, table ALL for add */
	flow_mod_begin(&T, 5, 0);
	s = match_begin(&T);
	match_end(&T, s);
	assert_ofl_err(decode_t(), OFL_E_FMF_BAD_COMMAND);
	flow_mod_begin(&T, OFPFC_ADD, 0);
	set16(&T, 44, 0x20);
	s = match_begin(&T);
	match_end(&T, s);
	assert_ofl_err(decode_t(), OFL_E_FMF_BAD_FLAGS);
	flow_mod_begin(&T, OFPFC_MODIFY, OFPTT_ALL);
	s = match_begin(&T);
	match_end(&T, s);
	assert_ofl_err(decode_t(), OFL_E_FMF_BAD_TABLE_ID);
	/* delete ignores instructions' semantics, not their syntax */
	flow_mod_begin(&T, OFPFC_DELETE, OFPTT_ALL);
	s = match_begin(&T);
	match_end(&T, s);
	i = inst_begin(&T, OFPIT_APPLY_ACTIONS);
	act_output(&T, 0);
	inst_end(&T, i);
	assert_int_equal(decode_t(), 0);
	T.b[T.n - 15] = 99; /* the output's type: now an unknown action */
	assert_ofl_err(decode_t(), OFL_E_BAC_BAD_TYPE);
}

static void
test_group_and_meter_errors(void **state)
{
	(void)state;
	group_begin(3, OFPGT_ALL, 1);
	assert_ofl_err(decode_t(), OFL_E_GMF_BAD_COMMAND);
	group_begin(OFPGC_ADD, 4, 1);
	assert_ofl_err(decode_t(), OFL_E_GMF_BAD_TYPE);
	group_begin(OFPGC_ADD, OFPGT_ALL, OFPG_ALL);
	assert_ofl_err(decode_t(), OFL_E_GMF_INVALID_GROUP);
	group_begin(OFPGC_ADD, OFPGT_ALL, 1);
	bucket(5, OFPP_ANY, OFPG_ANY, 1);
	assert_ofl_err(decode_t(), OFL_E_GMF_WEIGHT_UNSUPPORTED);
	group_begin(OFPGC_ADD, OFPGT_FF, 1);
	bucket(0, OFPP_ANY, OFPG_ANY, 1);
	assert_ofl_err(decode_t(), OFL_E_GMF_BAD_WATCH);
	group_begin(OFPGC_ADD, OFPGT_SELECT, 1);
	bucket(1, 3, OFPG_ANY, 1);
	assert_ofl_err(decode_t(), OFL_E_GMF_WATCH_UNSUPPORTED);
	group_begin(OFPGC_ADD, OFPGT_INDIRECT, 1);
	bucket(0, OFPP_ANY, OFPG_ANY, 1);
	bucket(0, OFPP_ANY, OFPG_ANY, 2);
	assert_ofl_err(decode_t(), OFL_E_GMF_BAD_BUCKET);
	group_begin(OFPGC_ADD, OFPGT_ALL, 1);
	bucket(0, OFPP_ANY, OFPG_ANY, 0);
	assert_ofl_err(decode_t(), OFL_E_BAC_BAD_OUT_PORT);
	group_begin(OFPGC_ADD, OFPGT_ALL, 1);
	bucket(0, OFPP_ANY, OFPG_ANY, 1);
	set16(&T, 16, 8); /* bucket shorter than its header */
	assert_ofl_err(decode_t(), OFL_E_GMF_BAD_BUCKET);

	hdr(&T, OFPT_METER_MOD, 4);
	p16(&T, OFPMC_ADD);
	p16(&T, OFPMF_KBPS | OFPMF_PKTPS);
	p32(&T, 1);
	p16(&T, OFPMBT_DROP);
	p16(&T, 16);
	p32(&T, 100);
	pz(&T, 8);
	assert_ofl_err(decode_t(), OFL_E_MMF_BAD_FLAGS);
	set16(&T, 10, OFPMF_PKTPS);
	assert_int_equal(decode_t(), 0);
	set16(&T, 8, 3);
	assert_ofl_err(decode_t(), OFL_E_MMF_BAD_COMMAND);
	set16(&T, 8, OFPMC_ADD);
	memset(T.b + 12, 0xff, 3); /* meter id 0xffffff01: beyond OFPM_MAX */
	assert_ofl_err(decode_t(), OFL_E_MMF_INVALID_METER);
	memset(T.b + 12, 0, 3);
	set16(&T, 20, 0); /* rate 0 */
	set16(&T, 22, 0);
	assert_ofl_err(decode_t(), OFL_E_MMF_BAD_RATE);
	set16(&T, 22, 100);
	set16(&T, 16, OFPMBT_DSCP_REMARK);
	assert_ofl_err(decode_t(), OFL_E_MMF_BAD_BAND);
	set16(&T, 16, 7);
	assert_ofl_err(decode_t(), OFL_E_MMF_BAD_BAND);
	set16(&T, 16, OFPMBT_DROP);
	set16(&T, 18, 24); /* band longer than the message */
	assert_ofl_err(decode_t(), OFL_E_MMF_BAD_BAND);
	set16(&T, 18, 16);
	T.n = 16; /* no band at all */
	assert_ofl_err(decode_t(), OFL_E_MMF_BAD_BAND);
	for (unsigned k = 0; k <= OFL_MAX_BANDS; k++) {
		p16(&T, OFPMBT_DROP);
		p16(&T, 16);
		p32(&T, 100 + k);
		pz(&T, 8);
	}
	assert_ofl_err(decode_t(), OFL_E_MMF_OUT_OF_BANDS);
}

static void
test_port_packet_bundle_errors(void **state)
{
	const struct capture *c = capture("bundle_add_1.bin");

	(void)state;
	hdr(&T, OFPT_PORT_MOD, 5);
	p32(&T, OFPP_ANY);
	pz(&T, 28);
	assert_ofl_err(decode_t(), OFL_E_PMF_BAD_PORT);
	set16(&T, 8, 0);
	set16(&T, 10, 1);
	T.b[24] = 0x80; /* config bit 31 */
	assert_ofl_err(decode_t(), OFL_E_PMF_BAD_CONFIG);

	hdr(&T, OFPT_PACKET_OUT, 5);
	p32(&T, OFP_NO_BUFFER);
	p32(&T, 0); /* in_port 0 */
	p16(&T, 0);
	pz(&T, 6);
	pz(&T, 60);
	assert_ofl_err(decode_t(), OFL_E_BAD_PORT);
	set16(&T, 14, 1);
	set16(&T, 16, 200); /* actions_len beyond the message */
	assert_ofl_err(decode_t(), OFL_E_BAD_LEN);
	set16(&T, 16, 0);
	T.n = 24 + 10; /* no buffer and a 10-byte frame */
	assert_ofl_err(decode_t(), OFL_E_BAD_PACKET);

	/* bundle add: xid mismatch, inner length, unsupported inner type */
	memcpy(T.b, c->b, c->n);
	T.n = c->n;
	T.b[7] ^= 1;
	assert_ofl_err(decode_t(), OFL_E_BFC_MSG_BAD_XID);
	T.b[7] ^= 1;
	T.b[24 + 3] -= 8;
	assert_ofl_err(decode_t(), OFL_E_BFC_MSG_BAD_LEN);
	T.b[24 + 3] += 8;
	T.b[24 + 1] = OFPT_ECHO_REQUEST;
	assert_ofl_err(decode_t(), OFL_E_BFC_MSG_UNSUP);
	T.b[24 + 1] = OFPT_FLOW_MOD;
	T.b[23] = 4; /* flags */
	assert_ofl_err(decode_t(), OFL_E_BFC_BAD_FLAGS);
	/* bundle control: type, unknown ONF exp_type, other experimenter */
	memcpy(T.b, capture("bundle_open.bin")->b, 24);
	T.n = 24;
	T.b[21] = 9;
	assert_ofl_err(decode_t(), OFL_E_BFC_BAD_TYPE);
	T.b[15] = 0xfe;
	assert_ofl_err(decode_t(), OFL_E_BAD_EXP_TYPE);
	T.b[8] = 0;
	assert_ofl_err(decode_t(), OFL_E_BAD_EXPERIMENTER);
}

static void
test_error_encoder_quotes_64_bytes(void **state)
{
	const struct capture *c = capture("add_flow_tcp.bin");
	struct ofl_msg *e = &M2;
	int n;

	(void)state;
	n = ofl_encode_error(-OFL_E_BMC_BAD_PREREQ, c->b, c->n, OUT, sizeof(OUT));
	assert_int_equal(n, 12 + 64);
	assert_int_equal(ofl_decode(OUT, (size_t)n, e, NULL), 0);
	assert_int_equal(e->h.type, OFPT_ERROR);
	assert_int_equal(e->h.xid, 6);
	assert_int_equal(e->error.type, OFPET_BAD_MATCH);
	assert_int_equal(e->error.code, 9);
	assert_memory_equal(e->error.data, c->b, 64);
	/* shorter messages are quoted whole */
	n = ofl_encode_error(OFL_E_BAD_TYPE, c->b, 8, OUT, sizeof(OUT));
	assert_int_equal(n, 20);
	assert_int_equal(ofl_decode(OUT, (size_t)n, e, NULL), 0);
	assert_int_equal(e->error.type, OFPET_BAD_REQUEST);
	assert_int_equal(e->error.code, 1);
	/* ONF bundles on OF 1.3: experimenter error, exp_type 2300 + code */
	c = capture("bundle_add_1.bin");
	n = ofl_encode_error(OFL_E_BFC_MSG_BAD_XID, c->b, c->n, OUT, sizeof(OUT));
	assert_int_equal(n, 16 + 64);
	assert_int_equal(ofl_decode(OUT, (size_t)n, e, NULL), 0);
	assert_int_equal(e->error.type, OFPET_EXPERIMENTER);
	assert_int_equal(e->error.exp_type, 2309);
	assert_int_equal(e->error.experimenter, ONF_EXPERIMENTER_ID);
	assert_int_equal(ofl_encode_error(-EINVAL, c->b, c->n, OUT, sizeof(OUT)), -EINVAL);
	assert_int_equal(ofl_encode_error(OFL_E_BAD_LEN, c->b, c->n, OUT, 20), -ENOSPC);
	/* every error has a wire type/code and a name */
	for (int k = OFL_ERR_BASE; k < OFL_E__END; k++) {
		assert_non_null(ofl_err_wire(k));
		assert_non_null(ofl_err_wire(k)->name);
	}
	assert_null(ofl_err_wire(-EINVAL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_match_errors),
		cmocka_unit_test(test_action_errors),
		cmocka_unit_test(test_set_field_match_inconsistent),
		cmocka_unit_test(test_instruction_and_flow_mod_errors),
		cmocka_unit_test(test_group_and_meter_errors),
		cmocka_unit_test(test_port_packet_bundle_errors),
		cmocka_unit_test(test_error_encoder_quotes_64_bytes),
	};

	return cmocka_run_group_tests(tests, load_captures, NULL);
}
