/* OXM matches (1.3.5 7.2.3 and A.2.3): the ofp_match TLV list, the table of
 * basic fields with their sizes, masks and prerequisites, and the stateless
 * validation of a match (duplicates, masks, values, prerequisites). Set-field
 * actions (ofl_action.c) reuse the single-TLV parser and the value checks.
 */
#include <inttypes.h>
#include <stdio.h>

#include "ofl_priv.h"

/* 1.3.5 table 12 (sizes, maskable). 'supported': what iovs matches on.
 * Transport ports also take masks, as in Open vSwitch: ovs-ofctl sends
 * tp_dst=0x1000/0xf000 as a masked OXM on OF 1.3 (testdata/add_flow_tcp.bin). */
#define F(f, l, mk, sup, set)                                                                      \
	[OFPXMT_OFB_##f] = {                                                                       \
		.name = #f, .len = (l), .maskable = (mk), .supported = (sup), .settable = (set)}
static const struct ofl_oxm_spec oxm_specs[OFPXMT_OFB__MAX] = {
	F(IN_PORT, 4, false, true, false),     F(IN_PHY_PORT, 4, false, true, false),
	F(METADATA, 8, true, true, false),     F(ETH_DST, 6, true, true, true),
	F(ETH_SRC, 6, true, true, true),       F(ETH_TYPE, 2, false, true, true),
	F(VLAN_VID, 2, true, true, true),      F(VLAN_PCP, 1, false, true, true),
	F(IP_DSCP, 1, false, true, true),      F(IP_ECN, 1, false, true, true),
	F(IP_PROTO, 1, false, true, true),     F(IPV4_SRC, 4, true, true, true),
	F(IPV4_DST, 4, true, true, true),      F(TCP_SRC, 2, true, true, true),
	F(TCP_DST, 2, true, true, true),       F(UDP_SRC, 2, true, true, true),
	F(UDP_DST, 2, true, true, true),       F(SCTP_SRC, 2, true, true, true),
	F(SCTP_DST, 2, true, true, true),      F(ICMPV4_TYPE, 1, false, true, true),
	F(ICMPV4_CODE, 1, false, true, true),  F(ARP_OP, 2, false, true, true),
	F(ARP_SPA, 4, true, true, true),       F(ARP_TPA, 4, true, true, true),
	F(ARP_SHA, 6, true, true, true),       F(ARP_THA, 6, true, true, true),
	F(IPV6_SRC, 16, true, true, true),     F(IPV6_DST, 16, true, true, true),
	F(IPV6_FLABEL, 4, true, false, false), F(ICMPV6_TYPE, 1, false, true, true),
	F(ICMPV6_CODE, 1, false, true, true),  F(IPV6_ND_TARGET, 16, false, true, true),
	F(IPV6_ND_SLL, 6, false, true, true),  F(IPV6_ND_TLL, 6, false, true, true),
	F(MPLS_LABEL, 4, false, false, false), F(MPLS_TC, 1, false, false, false),
	F(MPLS_BOS, 1, false, false, false),   F(PBB_ISID, 3, true, false, false),
	F(TUNNEL_ID, 8, true, false, false),   F(IPV6_EXTHDR, 2, true, false, false),
};
#undef F

/* 1.3.5 table 12 "Prerequisite": 'field' must be matched exactly with value
 * 'v1' or 'v2' (ANY_VALUE: present with any value; VID_PRESENT: a VLAN tag). */
#define ANY_VALUE   0x10000u
#define VID_PRESENT 0x20000u
struct prereq {
	uint8_t field;
	uint32_t v1, v2;
};
#define P(f, pf, ...) [OFPXMT_OFB_##f] = {OFPXMT_OFB_##pf, __VA_ARGS__}
#define IP_ANY	      0x0800, 0x86dd
static const struct prereq prereqs[OFPXMT_OFB__MAX] = {
	P(IN_PHY_PORT, IN_PORT, ANY_VALUE, ANY_VALUE),
	P(VLAN_PCP, VLAN_VID, VID_PRESENT, VID_PRESENT),
	P(IP_DSCP, ETH_TYPE, IP_ANY),
	P(IP_ECN, ETH_TYPE, IP_ANY),
	P(IP_PROTO, ETH_TYPE, IP_ANY),
	P(IPV4_SRC, ETH_TYPE, 0x0800, 0x0800),
	P(IPV4_DST, ETH_TYPE, 0x0800, 0x0800),
	P(TCP_SRC, IP_PROTO, 6, 6),
	P(TCP_DST, IP_PROTO, 6, 6),
	P(UDP_SRC, IP_PROTO, 17, 17),
	P(UDP_DST, IP_PROTO, 17, 17),
	P(SCTP_SRC, IP_PROTO, 132, 132),
	P(SCTP_DST, IP_PROTO, 132, 132),
	P(ICMPV4_TYPE, IP_PROTO, 1, 1),
	P(ICMPV4_CODE, IP_PROTO, 1, 1),
	P(ARP_OP, ETH_TYPE, 0x0806, 0x0806),
	P(ARP_SPA, ETH_TYPE, 0x0806, 0x0806),
	P(ARP_TPA, ETH_TYPE, 0x0806, 0x0806),
	P(ARP_SHA, ETH_TYPE, 0x0806, 0x0806),
	P(ARP_THA, ETH_TYPE, 0x0806, 0x0806),
	P(IPV6_SRC, ETH_TYPE, 0x86dd, 0x86dd),
	P(IPV6_DST, ETH_TYPE, 0x86dd, 0x86dd),
	P(IPV6_FLABEL, ETH_TYPE, 0x86dd, 0x86dd),
	P(ICMPV6_TYPE, IP_PROTO, 58, 58),
	P(ICMPV6_CODE, IP_PROTO, 58, 58),
	P(IPV6_ND_TARGET, ICMPV6_TYPE, 135, 136),
	P(IPV6_ND_SLL, ICMPV6_TYPE, 135, 135),
	P(IPV6_ND_TLL, ICMPV6_TYPE, 136, 136),
	P(MPLS_LABEL, ETH_TYPE, 0x8847, 0x8848),
	P(MPLS_TC, ETH_TYPE, 0x8847, 0x8848),
	P(MPLS_BOS, ETH_TYPE, 0x8847, 0x8848),
	P(PBB_ISID, ETH_TYPE, 0x88e7, 0x88e7),
	P(IPV6_EXTHDR, ETH_TYPE, 0x86dd, 0x86dd),
};
#undef P
#undef IP_ANY

const struct ofl_oxm_spec *
ofl_oxm_spec_of(uint8_t field)
{
	if (field >= OFPXMT_OFB__MAX)
		return NULL;
	return &oxm_specs[field];
}

static uint32_t
oxm_uint(const struct ofl_oxm *o)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < o->len && i < 4; i++)
		v = v << 8 | o->value[i];
	return v;
}

const struct ofl_oxm *
ofl_match_find(const struct ofl_match *m, uint8_t field)
{
	for (unsigned i = 0; i < m->n && i < OFL_MAX_OXM; i++)
		if (m->f[i].field == field)
			return &m->f[i];
	return NULL;
}

/* Error codes differ between a match and a set-field action (A.4.4). */
struct tlv_errs {
	enum ofl_err len, field;
};
static const struct tlv_errs match_errs = {OFL_E_BMC_BAD_LEN, OFL_E_BMC_BAD_FIELD};
static const struct tlv_errs set_field_errs = {OFL_E_BAC_BAD_SET_LEN, OFL_E_BAC_BAD_SET_TYPE};

static int
parse_tlv(const uint8_t *p, size_t avail, struct ofl_oxm *o, size_t *used, const struct tlv_errs *e,
	  struct iovs_err *err)
{
	const struct ofl_oxm_spec *s;
	uint32_t h;
	unsigned vlen;

	if (avail < 4)
		return ofl_fail(err, e->len, "OXM header cut at %zu bytes", avail);
	h = ofl_get32(p);
	if (OXM_CLASS(h) != OFPXMC_OPENFLOW_BASIC)
		return ofl_fail(err, e->field, "OXM class 0x%04" PRIx32 " not supported",
				OXM_CLASS(h));
	s = ofl_oxm_spec_of((uint8_t)OXM_FIELD(h));
	if (s == NULL)
		return ofl_fail(err, e->field, "OXM field %" PRIu32 " unknown", OXM_FIELD(h));
	vlen = s->len * (OXM_HASMASK(h) ? 2u : 1u);
	if (OXM_LENGTH(h) != vlen)
		return ofl_fail(err, e->len, "%s: OXM length %" PRIu32 ", expected %u", s->name,
				OXM_LENGTH(h), vlen);
	if (avail - 4 < vlen)
		return ofl_fail(err, e->len, "%s: %u value bytes, %zu left", s->name, vlen,
				avail - 4);
	memset(o, 0, sizeof(*o));
	o->field = (uint8_t)OXM_FIELD(h);
	o->len = s->len;
	o->has_mask = OXM_HASMASK(h);
	memcpy(o->value, p + 4, s->len);
	if (o->has_mask)
		memcpy(o->mask, p + 4 + s->len, s->len);
	*used = 4 + vlen;
	return 0;
}

int
ofl_oxm_parse_one(const uint8_t *p, size_t avail, struct ofl_oxm *o, size_t *used,
		  struct iovs_err *err)
{
	return parse_tlv(p, avail, o, used, &set_field_errs, err);
}

int
ofl_match_parse(const uint8_t *p, size_t avail, struct ofl_match *m, size_t *used,
		struct iovs_err *err)
{
	uint64_t seen = 0;
	uint16_t type, mlen;
	size_t off, padded;

	m->n = 0;
	if (avail < sizeof(struct ofp_match))
		return ofl_fail(err, OFL_E_BMC_BAD_LEN, "match cut at %zu bytes", avail);
	type = ofl_get16(p);
	mlen = ofl_get16(p + 2);
	if (type != OFPMT_OXM)
		return ofl_fail(err, OFL_E_BMC_BAD_TYPE, "match type %u, only OXM (1)", type);
	padded = OFL_ALIGN8(mlen);
	if (mlen < OFP_MATCH_HDR_LEN || padded > avail)
		return ofl_fail(err, OFL_E_BMC_BAD_LEN, "match length %u with %zu bytes left", mlen,
				avail);
	for (size_t i = mlen; i < padded; i++)
		if (p[i] != 0)
			return ofl_fail(err, OFL_E_BMC_BAD_LEN, "match padding not zero");
	for (off = OFP_MATCH_HDR_LEN; off < mlen;) {
		struct ofl_oxm o;
		size_t n;
		int rc = parse_tlv(p + off, mlen - off, &o, &n, &match_errs, err);

		if (rc != 0)
			return rc;
		/* Bounds the list too: at most one TLV per field. */
		if (seen & (UINT64_C(1) << o.field))
			return ofl_fail(err, OFL_E_BMC_DUP_FIELD, "%s twice",
					oxm_specs[o.field].name);
		seen |= UINT64_C(1) << o.field;
		m->f[m->n++] = o;
		off += n;
	}
	*used = padded;
	return 0;
}

const char *
ofl_oxm_value_problem(const struct ofl_oxm *o)
{
	uint32_t v = oxm_uint(o);

	switch (o->field) {
	case OFPXMT_OFB_IN_PORT:
	case OFPXMT_OFB_IN_PHY_PORT:
		/* 7.2.3.7: port 0 does not exist; ANY is a wildcard, not a port. */
		if (v == 0 || v == OFPP_ANY || (v > OFPP_MAX && v < OFPP_IN_PORT))
			return "not a port number";
		break;
	case OFPXMT_OFB_VLAN_VID:
		if (v & ~0x1fffu)
			return "bits above OFPVID_PRESENT";
		/* Without a mask, a VID with no PRESENT bit is neither NONE nor a tag. */
		if (!o->has_mask && v != OFPVID_NONE && !(v & OFPVID_PRESENT))
			return "VID without OFPVID_PRESENT";
		break;
	case OFPXMT_OFB_VLAN_PCP:
		if (v > 7)
			return "PCP > 7";
		break;
	case OFPXMT_OFB_IP_DSCP:
		if (v > 63)
			return "DSCP > 63";
		break;
	case OFPXMT_OFB_IP_ECN:
		if (v > 3)
			return "ECN > 3";
		break;
	case OFPXMT_OFB_IPV6_FLABEL:
		if (v > 0xfffff)
			return "flow label > 20 bits";
		break;
	default:
		break;
	}
	return NULL;
}

/* A VLAN tag is there if the match requires OFPVID_PRESENT (exactly or
 * under a mask that keeps that bit). */
static bool
vlan_tagged(const struct ofl_match *m)
{
	const struct ofl_oxm *vid = ofl_match_find(m, OFPXMT_OFB_VLAN_VID);

	return vid != NULL && (oxm_uint(vid) & OFPVID_PRESENT) &&
	       (!vid->has_mask || ((vid->mask[0] << 8) & OFPVID_PRESENT));
}

static bool
prereq_met(const struct ofl_match *m, uint8_t field, bool tagged)
{
	const struct prereq *pr = &prereqs[field];
	const struct ofl_oxm *have;
	uint32_t v;

	if (pr->v1 == 0 && pr->v2 == 0)
		return true; /* no prerequisite */
	if (pr->v1 == VID_PRESENT)
		return tagged;
	have = ofl_match_find(m, pr->field);
	if (have == NULL)
		return false;
	if (pr->v1 == ANY_VALUE)
		return true;
	v = oxm_uint(have);
	return !have->has_mask && (v == pr->v1 || v == pr->v2);
}

static int
check_prereq(const struct ofl_match *m, const struct ofl_oxm *o, struct iovs_err *err)
{
	const struct prereq *pr = &prereqs[o->field];

	if (prereq_met(m, o->field, vlan_tagged(m)))
		return 0;
	return ofl_fail(err, OFL_E_BMC_BAD_PREREQ, "%s needs %s (exact)%s",
			oxm_specs[o->field].name, oxm_specs[pr->field].name,
			pr->v1 == VID_PRESENT ? " with OFPVID_PRESENT" : "");
}

bool
ofl_match_allows_set(const struct ofl_match *m, uint8_t field, bool pushed)
{
	bool tagged = pushed || vlan_tagged(m);

	if (field >= OFPXMT_OFB__MAX)
		return false;
	if (field == OFPXMT_OFB_VLAN_VID)
		return tagged;
	return prereq_met(m, field, tagged);
}

int
ofl_match_validate_field(const struct ofl_match *m, unsigned i, struct iovs_err *err)
{
	const struct ofl_oxm *o = &m->f[i];
	const struct ofl_oxm_spec *s = ofl_oxm_spec_of(o->field);
	const char *why;

	if (s == NULL || !s->supported)
		return ofl_fail(err, OFL_E_BMC_BAD_FIELD, "field %s not supported",
				s != NULL ? s->name : "?");
	if (o->has_mask && !s->maskable)
		return ofl_fail(err, OFL_E_BMC_BAD_MASK, "%s takes no mask", s->name);
	if (o->has_mask)
		for (unsigned k = 0; k < s->len; k++)
			if (o->value[k] & ~o->mask[k])
				return ofl_fail(err, OFL_E_BMC_BAD_WILDCARDS,
						"%s: value has bits outside the mask", s->name);
	why = ofl_oxm_value_problem(o);
	if (why != NULL)
		return ofl_fail(err, OFL_E_BMC_BAD_VALUE, "%s: %s", s->name, why);
	return check_prereq(m, o, err);
}

int
ofl_match_validate(const struct ofl_match *m, struct iovs_err *err)
{
	if (m->n > OFL_MAX_OXM)
		return ofl_fail(err, OFL_E_BMC_BAD_LEN, "%u fields", m->n);
	for (unsigned i = 0; i < m->n; i++) {
		int rc = ofl_match_validate_field(m, i, err);

		if (rc != 0)
			return rc;
	}
	return 0;
}

void
ofl_oxm_encode(struct ofl_buf *b, const struct ofl_oxm *o)
{
	if (o->len == 0 || o->len > OFL_OXM_MAX_VALUE || o->field >= OFPXMT_OFB__MAX) {
		b->invalid = true;
		return;
	}
	ofl_buf_put32(b, OXM_HEADER(o->field, o->has_mask, o->len * (o->has_mask ? 2 : 1)));
	ofl_buf_put(b, o->value, o->len);
	if (o->has_mask)
		ofl_buf_put(b, o->mask, o->len);
}

void
ofl_match_encode(struct ofl_buf *b, const struct ofl_match *m)
{
	size_t start = b->len;

	ofl_buf_put16(b, OFPMT_OXM);
	ofl_buf_put16(b, 0);
	for (unsigned i = 0; i < m->n && i < OFL_MAX_OXM; i++)
		ofl_oxm_encode(b, &m->f[i]);
	ofl_buf_set16(b, start + 2, (uint16_t)(b->len - start));
	ofl_buf_pad8(b, start);
}
