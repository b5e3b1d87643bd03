/* The OpenFlow-lite codec's front door (ofl_msg.h): framing, the table of
 * message types with their length rules, decode = parse + validate through
 * that table, encode, and the one place where enum ofl_err becomes a wire
 * type/code (OFPT_ERROR). The per-family files do the bodies.
 */
#include <inttypes.h>
#include <stdio.h>

#include "ofl_priv.h"

/* --- Errors --- */

#define E(e, t, c, n) [(e)-OFL_ERR_BASE] = {(t), (c), (n)}
static const struct ofl_err_wire err_table[OFL_E__END - OFL_ERR_BASE] = {
	E(OFL_E_HELLO_INCOMPATIBLE, OFPET_HELLO_FAILED, 0, "HELLO_FAILED/INCOMPATIBLE"),
	E(OFL_E_BAD_VERSION, OFPET_BAD_REQUEST, 0, "BAD_REQUEST/BAD_VERSION"),
	E(OFL_E_BAD_TYPE, OFPET_BAD_REQUEST, 1, "BAD_REQUEST/BAD_TYPE"),
	E(OFL_E_BAD_MULTIPART, OFPET_BAD_REQUEST, 2, "BAD_REQUEST/BAD_MULTIPART"),
	E(OFL_E_BAD_EXPERIMENTER, OFPET_BAD_REQUEST, 3, "BAD_REQUEST/BAD_EXPERIMENTER"),
	E(OFL_E_BAD_EXP_TYPE, OFPET_BAD_REQUEST, 4, "BAD_REQUEST/BAD_EXP_TYPE"),
	E(OFL_E_BAD_LEN, OFPET_BAD_REQUEST, 6, "BAD_REQUEST/BAD_LEN"),
	E(OFL_E_BAD_TABLE_ID, OFPET_BAD_REQUEST, 9, "BAD_REQUEST/BAD_TABLE_ID"),
	E(OFL_E_BAD_PORT, OFPET_BAD_REQUEST, 11, "BAD_REQUEST/BAD_PORT"),
	E(OFL_E_BAD_PACKET, OFPET_BAD_REQUEST, 12, "BAD_REQUEST/BAD_PACKET"),
	E(OFL_E_MULTIPART_BUFFER_OVERFLOW, OFPET_BAD_REQUEST, 13,
	  "BAD_REQUEST/MULTIPART_BUFFER_OVERFLOW"),
	E(OFL_E_BAC_BAD_TYPE, OFPET_BAD_ACTION, 0, "BAD_ACTION/BAD_TYPE"),
	E(OFL_E_BAC_BAD_LEN, OFPET_BAD_ACTION, 1, "BAD_ACTION/BAD_LEN"),
	E(OFL_E_BAC_BAD_EXPERIMENTER, OFPET_BAD_ACTION, 2, "BAD_ACTION/BAD_EXPERIMENTER"),
	E(OFL_E_BAC_BAD_OUT_PORT, OFPET_BAD_ACTION, 4, "BAD_ACTION/BAD_OUT_PORT"),
	E(OFL_E_BAC_BAD_ARGUMENT, OFPET_BAD_ACTION, 5, "BAD_ACTION/BAD_ARGUMENT"),
	E(OFL_E_BAC_TOO_MANY, OFPET_BAD_ACTION, 7, "BAD_ACTION/TOO_MANY"),
	E(OFL_E_BAC_BAD_OUT_GROUP, OFPET_BAD_ACTION, 9, "BAD_ACTION/BAD_OUT_GROUP"),
	E(OFL_E_BAC_MATCH_INCONSISTENT, OFPET_BAD_ACTION, 10, "BAD_ACTION/MATCH_INCONSISTENT"),
	E(OFL_E_BAC_BAD_SET_TYPE, OFPET_BAD_ACTION, 13, "BAD_ACTION/BAD_SET_TYPE"),
	E(OFL_E_BAC_BAD_SET_LEN, OFPET_BAD_ACTION, 14, "BAD_ACTION/BAD_SET_LEN"),
	E(OFL_E_BAC_BAD_SET_ARGUMENT, OFPET_BAD_ACTION, 15, "BAD_ACTION/BAD_SET_ARGUMENT"),
	E(OFL_E_BIC_UNKNOWN_INST, OFPET_BAD_INSTRUCTION, 0, "BAD_INSTRUCTION/UNKNOWN_INST"),
	E(OFL_E_BIC_UNSUP_INST, OFPET_BAD_INSTRUCTION, 1, "BAD_INSTRUCTION/UNSUP_INST"),
	E(OFL_E_BIC_BAD_TABLE_ID, OFPET_BAD_INSTRUCTION, 2, "BAD_INSTRUCTION/BAD_TABLE_ID"),
	E(OFL_E_BIC_BAD_EXPERIMENTER, OFPET_BAD_INSTRUCTION, 5, "BAD_INSTRUCTION/BAD_EXPERIMENTER"),
	E(OFL_E_BIC_BAD_LEN, OFPET_BAD_INSTRUCTION, 7, "BAD_INSTRUCTION/BAD_LEN"),
	E(OFL_E_BIC_DUP_INST, OFPET_BAD_INSTRUCTION, 9, "BAD_INSTRUCTION/DUP_INST"),
	E(OFL_E_BMC_BAD_TYPE, OFPET_BAD_MATCH, 0, "BAD_MATCH/BAD_TYPE"),
	E(OFL_E_BMC_BAD_LEN, OFPET_BAD_MATCH, 1, "BAD_MATCH/BAD_LEN"),
	E(OFL_E_BMC_BAD_WILDCARDS, OFPET_BAD_MATCH, 5, "BAD_MATCH/BAD_WILDCARDS"),
	E(OFL_E_BMC_BAD_FIELD, OFPET_BAD_MATCH, 6, "BAD_MATCH/BAD_FIELD"),
	E(OFL_E_BMC_BAD_VALUE, OFPET_BAD_MATCH, 7, "BAD_MATCH/BAD_VALUE"),
	E(OFL_E_BMC_BAD_MASK, OFPET_BAD_MATCH, 8, "BAD_MATCH/BAD_MASK"),
	E(OFL_E_BMC_BAD_PREREQ, OFPET_BAD_MATCH, 9, "BAD_MATCH/BAD_PREREQ"),
	E(OFL_E_BMC_DUP_FIELD, OFPET_BAD_MATCH, 10, "BAD_MATCH/DUP_FIELD"),
	E(OFL_E_FMF_BAD_TABLE_ID, OFPET_FLOW_MOD_FAILED, 2, "FLOW_MOD_FAILED/BAD_TABLE_ID"),
	E(OFL_E_FMF_BAD_COMMAND, OFPET_FLOW_MOD_FAILED, 6, "FLOW_MOD_FAILED/BAD_COMMAND"),
	E(OFL_E_FMF_BAD_FLAGS, OFPET_FLOW_MOD_FAILED, 7, "FLOW_MOD_FAILED/BAD_FLAGS"),
	E(OFL_E_GMF_INVALID_GROUP, OFPET_GROUP_MOD_FAILED, 1, "GROUP_MOD_FAILED/INVALID_GROUP"),
	E(OFL_E_GMF_WEIGHT_UNSUPPORTED, OFPET_GROUP_MOD_FAILED, 2,
	  "GROUP_MOD_FAILED/WEIGHT_UNSUPPORTED"),
	E(OFL_E_GMF_OUT_OF_BUCKETS, OFPET_GROUP_MOD_FAILED, 4, "GROUP_MOD_FAILED/OUT_OF_BUCKETS"),
	E(OFL_E_GMF_WATCH_UNSUPPORTED, OFPET_GROUP_MOD_FAILED, 6,
	  "GROUP_MOD_FAILED/WATCH_UNSUPPORTED"),
	E(OFL_E_GMF_BAD_TYPE, OFPET_GROUP_MOD_FAILED, 10, "GROUP_MOD_FAILED/BAD_TYPE"),
	E(OFL_E_GMF_BAD_COMMAND, OFPET_GROUP_MOD_FAILED, 11, "GROUP_MOD_FAILED/BAD_COMMAND"),
	E(OFL_E_GMF_BAD_BUCKET, OFPET_GROUP_MOD_FAILED, 12, "GROUP_MOD_FAILED/BAD_BUCKET"),
	E(OFL_E_GMF_BAD_WATCH, OFPET_GROUP_MOD_FAILED, 13, "GROUP_MOD_FAILED/BAD_WATCH"),
	E(OFL_E_PMF_BAD_PORT, OFPET_PORT_MOD_FAILED, 0, "PORT_MOD_FAILED/BAD_PORT"),
	E(OFL_E_PMF_BAD_CONFIG, OFPET_PORT_MOD_FAILED, 2, "PORT_MOD_FAILED/BAD_CONFIG"),
	E(OFL_E_SCF_BAD_FLAGS, OFPET_SWITCH_CONFIG_FAILED, 0, "SWITCH_CONFIG_FAILED/BAD_FLAGS"),
	E(OFL_E_RRF_BAD_ROLE, OFPET_ROLE_REQUEST_FAILED, 2, "ROLE_REQUEST_FAILED/BAD_ROLE"),
	E(OFL_E_MMF_INVALID_METER, OFPET_METER_MOD_FAILED, 2, "METER_MOD_FAILED/INVALID_METER"),
	E(OFL_E_MMF_BAD_COMMAND, OFPET_METER_MOD_FAILED, 4, "METER_MOD_FAILED/BAD_COMMAND"),
	E(OFL_E_MMF_BAD_FLAGS, OFPET_METER_MOD_FAILED, 5, "METER_MOD_FAILED/BAD_FLAGS"),
	E(OFL_E_MMF_BAD_RATE, OFPET_METER_MOD_FAILED, 6, "METER_MOD_FAILED/BAD_RATE"),
	E(OFL_E_MMF_BAD_BURST, OFPET_METER_MOD_FAILED, 7, "METER_MOD_FAILED/BAD_BURST"),
	E(OFL_E_MMF_BAD_BAND, OFPET_METER_MOD_FAILED, 8, "METER_MOD_FAILED/BAD_BAND"),
	E(OFL_E_MMF_OUT_OF_BANDS, OFPET_METER_MOD_FAILED, 11, "METER_MOD_FAILED/OUT_OF_BANDS"),
	E(OFL_E_TFF_EPERM, OFPET_TABLE_FEATURES_FAILED, 5, "TABLE_FEATURES_FAILED/EPERM"),
	E(OFL_E_TFF_BAD_LEN, OFPET_TABLE_FEATURES_FAILED, 3, "TABLE_FEATURES_FAILED/BAD_LEN"),
	E(OFL_E_TFF_BAD_TYPE, OFPET_TABLE_FEATURES_FAILED, 2, "TABLE_FEATURES_FAILED/BAD_TYPE"),
	E(OFL_E_BFC_BAD_TYPE, OFPET_BUNDLE_FAILED, 6, "BUNDLE_FAILED/BAD_TYPE"),
	E(OFL_E_BFC_BAD_FLAGS, OFPET_BUNDLE_FAILED, 7, "BUNDLE_FAILED/BAD_FLAGS"),
	E(OFL_E_BFC_MSG_BAD_LEN, OFPET_BUNDLE_FAILED, 8, "BUNDLE_FAILED/MSG_BAD_LEN"),
	E(OFL_E_BFC_MSG_BAD_XID, OFPET_BUNDLE_FAILED, 9, "BUNDLE_FAILED/MSG_BAD_XID"),
	E(OFL_E_BFC_MSG_UNSUP, OFPET_BUNDLE_FAILED, 10, "BUNDLE_FAILED/MSG_UNSUP"),
	E(OFL_E_FMF_UNKNOWN, OFPET_FLOW_MOD_FAILED, 0, "FLOW_MOD_FAILED/UNKNOWN"),
	E(OFL_E_FMF_OVERLAP, OFPET_FLOW_MOD_FAILED, 3, "FLOW_MOD_FAILED/OVERLAP"),
	E(OFL_E_GMF_GROUP_EXISTS, OFPET_GROUP_MOD_FAILED, 0, "GROUP_MOD_FAILED/GROUP_EXISTS"),
	E(OFL_E_GMF_UNKNOWN_GROUP, OFPET_GROUP_MOD_FAILED, 8, "GROUP_MOD_FAILED/UNKNOWN_GROUP"),
	E(OFL_E_GMF_LOOP, OFPET_GROUP_MOD_FAILED, 7, "GROUP_MOD_FAILED/LOOP"),
	E(OFL_E_MMF_UNKNOWN, OFPET_METER_MOD_FAILED, 0, "METER_MOD_FAILED/UNKNOWN"),
	E(OFL_E_MMF_METER_EXISTS, OFPET_METER_MOD_FAILED, 1, "METER_MOD_FAILED/METER_EXISTS"),
	E(OFL_E_MMF_UNKNOWN_METER, OFPET_METER_MOD_FAILED, 3, "METER_MOD_FAILED/UNKNOWN_METER"),
	E(OFL_E_BUFFER_UNKNOWN, OFPET_BAD_REQUEST, 8, "BAD_REQUEST/BUFFER_UNKNOWN"),
	E(OFL_E_BFC_UNKNOWN, OFPET_BUNDLE_FAILED, 0, "BUNDLE_FAILED/UNKNOWN"),
	E(OFL_E_BFC_BAD_ID, OFPET_BUNDLE_FAILED, 2, "BUNDLE_FAILED/BAD_ID"),
	E(OFL_E_BFC_BUNDLE_EXIST, OFPET_BUNDLE_FAILED, 3, "BUNDLE_FAILED/BUNDLE_EXIST"),
	E(OFL_E_BFC_BUNDLE_CLOSED, OFPET_BUNDLE_FAILED, 4, "BUNDLE_FAILED/BUNDLE_CLOSED"),
	E(OFL_E_BFC_OUT_OF_BUNDLES, OFPET_BUNDLE_FAILED, 5, "BUNDLE_FAILED/OUT_OF_BUNDLES"),
	E(OFL_E_BFC_MSG_TOO_MANY, OFPET_BUNDLE_FAILED, 12, "BUNDLE_FAILED/MSG_TOO_MANY"),
	E(OFL_E_BFC_MSG_FAILED, OFPET_BUNDLE_FAILED, 13, "BUNDLE_FAILED/MSG_FAILED"),
};
#undef E

const struct ofl_err_wire *
ofl_err_wire(int e)
{
	if (e < 0)
		e = -e;
	if (e < OFL_ERR_BASE || e >= OFL_E__END)
		return NULL;
	return &err_table[e - OFL_ERR_BASE];
}

const char *
ofl_err_name(int e)
{
	const struct ofl_err_wire *w = ofl_err_wire(e);

	return w != NULL ? w->name : "not an OpenFlow error";
}

/* --- The message table --- */

#define HDR    sizeof(struct ofp_header)
#define MAXLEN OFL_MAX_MSG_LEN
#define ROW(t, mn, mx, ml, p, v, e)                                                                \
	[OFPT_##t] = {.name = #t,                                                                  \
		      .min_len = (mn),                                                             \
		      .max_len = (mx),                                                             \
		      .mult = (ml),                                                                \
		      .parse = (p),                                                                \
		      .validate = (v),                                                             \
		      .encode = (e)}
#define EMPTY(t)	     ROW(t, HDR, HDR, 1, ofl_empty_parse, NULL, ofl_empty_encode)
#define FIXED(t, w, p, v, e) ROW(t, sizeof(struct w), sizeof(struct w), 1, p, v, e)

/* Length rules from the OFP_ASSERTs of 1.3.5 section A; variable messages
 * end in 8-byte aligned lists (A.2.3.1, A.2.4, A.2.5) except where data
 * follows (echo, error, packet-in/out, hello elements of unknown type). */
static const struct ofl_msg_spec msg_specs[OFPT__MAX] = {
	ROW(HELLO, HDR, MAXLEN, 1, ofl_hello_parse, NULL, ofl_hello_encode),
	ROW(ERROR, sizeof(struct ofp_error_msg), MAXLEN, 1, ofl_error_parse, NULL,
	    ofl_error_encode),
	ROW(ECHO_REQUEST, HDR, MAXLEN, 1, ofl_echo_parse, NULL, ofl_echo_encode),
	ROW(ECHO_REPLY, HDR, MAXLEN, 1, ofl_echo_parse, NULL, ofl_echo_encode),
	ROW(EXPERIMENTER, sizeof(struct ofp_experimenter_header), MAXLEN, 1, ofl_experimenter_parse,
	    ofl_experimenter_validate, ofl_experimenter_encode),
	EMPTY(FEATURES_REQUEST),
	FIXED(FEATURES_REPLY, ofp_switch_features, ofl_features_parse, NULL, ofl_features_encode),
	EMPTY(GET_CONFIG_REQUEST),
	FIXED(GET_CONFIG_REPLY, ofp_switch_config, ofl_config_parse, ofl_config_validate,
	      ofl_config_encode),
	FIXED(SET_CONFIG, ofp_switch_config, ofl_config_parse, ofl_config_validate,
	      ofl_config_encode),
	ROW(PACKET_IN, sizeof(struct ofp_packet_in) + 2, MAXLEN, 1, ofl_packet_in_parse,
	    ofl_packet_in_validate, ofl_packet_in_encode),
	ROW(FLOW_REMOVED, sizeof(struct ofp_flow_removed), MAXLEN, 8, ofl_flow_removed_parse,
	    ofl_flow_removed_validate, ofl_flow_removed_encode),
	FIXED(PORT_STATUS, ofp_port_status, ofl_port_status_parse, ofl_port_status_validate,
	      ofl_port_status_encode),
	ROW(PACKET_OUT, sizeof(struct ofp_packet_out), MAXLEN, 1, ofl_packet_out_parse,
	    ofl_packet_out_validate, ofl_packet_out_encode),
	ROW(FLOW_MOD, sizeof(struct ofp_flow_mod), MAXLEN, 8, ofl_flow_mod_parse,
	    ofl_flow_mod_validate, ofl_flow_mod_encode),
	ROW(GROUP_MOD, sizeof(struct ofp_group_mod), MAXLEN, 8, ofl_group_mod_parse,
	    ofl_group_mod_validate, ofl_group_mod_encode),
	FIXED(PORT_MOD, ofp_port_mod, ofl_port_mod_parse, ofl_port_mod_validate,
	      ofl_port_mod_encode),
	ROW(MULTIPART_REQUEST, sizeof(struct ofp_multipart_hdr), MAXLEN, 8, ofl_mp_request_parse,
	    ofl_mp_request_validate, ofl_mp_request_encode),
	ROW(MULTIPART_REPLY, sizeof(struct ofp_multipart_hdr), MAXLEN, 8, ofl_mp_reply_parse, NULL,
	    ofl_mp_reply_encode),
	EMPTY(BARRIER_REQUEST),
	EMPTY(BARRIER_REPLY),
	FIXED(ROLE_REQUEST, ofp_role_request, ofl_role_parse, ofl_role_validate, ofl_role_encode),
	FIXED(ROLE_REPLY, ofp_role_request, ofl_role_parse, ofl_role_validate, ofl_role_encode),
	EMPTY(GET_ASYNC_REQUEST),
	FIXED(GET_ASYNC_REPLY, ofp_async_config, ofl_async_parse, NULL, ofl_async_encode),
	FIXED(SET_ASYNC, ofp_async_config, ofl_async_parse, NULL, ofl_async_encode),
	ROW(METER_MOD, sizeof(struct ofp_meter_mod), MAXLEN, 8, ofl_meter_mod_parse,
	    ofl_meter_mod_validate, ofl_meter_mod_encode),
	/* Bundle properties (1.4 7.3.9) are not supported: exact length. */
	ROW(BUNDLE_CONTROL, HDR + sizeof(struct ofp_bundle_ctrl),
	    HDR + sizeof(struct ofp_bundle_ctrl), 8, ofl_bundle_ctrl_parse,
	    ofl_bundle_ctrl_validate, ofl_bundle_ctrl_encode),
	ROW(BUNDLE_ADD_MESSAGE, HDR + sizeof(struct ofp_bundle_add) + HDR, MAXLEN, 1,
	    ofl_bundle_add_parse, ofl_bundle_add_validate, ofl_bundle_add_encode),
};

#undef ROW
#undef EMPTY
#undef FIXED

/* Known by name, not handled: TABLE_MOD (deprecated in 1.3), queue config,
 * and the 1.4 messages other than bundles. They get BAD_REQUEST/BAD_TYPE. */
static const char *const refused_names[OFPT__MAX] = {
	[OFPT_TABLE_MOD] = "TABLE_MOD",
	[OFPT_QUEUE_GET_CONFIG_REQUEST] = "QUEUE_GET_CONFIG_REQUEST",
	[OFPT_QUEUE_GET_CONFIG_REPLY] = "QUEUE_GET_CONFIG_REPLY",
	[OFPT_ROLE_STATUS] = "ROLE_STATUS",
	[OFPT_TABLE_STATUS] = "TABLE_STATUS",
	[OFPT_REQUESTFORWARD] = "REQUESTFORWARD",
};

const char *
ofl_type_name(uint8_t type)
{
	static __thread char unknown[sizeof("UNKNOWN(255)")];

	if (type < OFPT__MAX && msg_specs[type].name != NULL)
		return msg_specs[type].name;
	if (type < OFPT__MAX && refused_names[type] != NULL)
		return refused_names[type];
	snprintf(unknown, sizeof(unknown), "UNKNOWN(%u)", type);
	return unknown;
}

int
ofl_msg_frame_len(const uint8_t *buf, size_t len)
{
	uint16_t l;

	if (len < HDR)
		return 0;
	l = ofl_get16(buf + 2);
	if (l < HDR)
		return -OFL_E_BAD_LEN;
	return l;
}

static bool
version_ok(uint8_t type, uint8_t version)
{
	if (type == OFPT_HELLO)
		return true; /* 6.3.1: negotiated from the elements */
	if (type == OFPT_BUNDLE_CONTROL || type == OFPT_BUNDLE_ADD_MESSAGE)
		return version == OFP13_VERSION || version == OFP14_VERSION;
	return version == OFP13_VERSION;
}

static int
decode(const uint8_t *buf, size_t len, struct ofl_msg *out, bool validate, struct iovs_err *err)
{
	const struct ofl_msg_spec *s;
	struct ofp_header w;
	int rc;

	if (len < HDR)
		return ofl_fail(err, OFL_E_BAD_LEN, "message of %zu bytes, shorter than a header",
				len);
	memcpy(&w, buf, sizeof(w));
	memset(&out->h, 0, sizeof(out->h));
	out->h.version = w.version;
	out->h.type = w.type;
	out->h.length = be16toh(w.length);
	out->h.xid = be32toh(w.xid);
	if (out->h.length != len)
		return ofl_fail(err, OFL_E_BAD_LEN, "%s: header length %u, %zu bytes received",
				ofl_type_name(w.type), out->h.length, len);
	if (w.type >= OFPT__MAX || msg_specs[w.type].name == NULL)
		return ofl_fail(err, OFL_E_BAD_TYPE, "%s: message type not supported",
				ofl_type_name(w.type));
	if (!version_ok(w.type, w.version))
		return ofl_fail(err, OFL_E_BAD_VERSION, "%s: version 0x%02x, expected 0x%02x",
				ofl_type_name(w.type), w.version, OFP13_VERSION);
	s = &msg_specs[w.type];
	if (len < s->min_len || len > s->max_len || len % s->mult != 0)
		return ofl_fail(err, OFL_E_BAD_LEN, "%s: length %zu, expected %u..%u%s", s->name,
				len, s->min_len, s->max_len,
				s->mult > 1 ? " in multiples of 8" : "");
	rc = s->parse(buf, len, out, err);
	if (rc == 0 && validate && s->validate != NULL)
		rc = s->validate(out, err);
	if (rc != 0)
		return iovs_err_prefix(err, rc, "%s", s->name);
	return 0;
}

int
ofl_decode(const uint8_t *buf, size_t len, struct ofl_msg *out, struct iovs_err *err)
{
	return decode(buf, len, out, true, err);
}

int
ofl_parse(const uint8_t *buf, size_t len, struct ofl_msg *out, struct iovs_err *err)
{
	return decode(buf, len, out, false, err);
}

int
ofl_encode(const struct ofl_msg *m, uint8_t *buf, size_t cap)
{
	struct ofl_buf b = {.p = buf, .cap = cap};
	struct ofp_header w;
	int rc;

	if (m->h.type >= OFPT__MAX || msg_specs[m->h.type].encode == NULL)
		return -EINVAL;
	w.version = m->h.version;
	w.type = m->h.type;
	w.length = 0;
	w.xid = htobe32(m->h.xid);
	ofl_buf_put(&b, &w, sizeof(w));
	rc = msg_specs[m->h.type].encode(m, &b);
	if (rc < 0)
		return rc;
	if (b.invalid)
		return -EINVAL;
	if (b.overflow)
		return -ENOSPC;
	if (b.len > OFL_MAX_MSG_LEN)
		return -EMSGSIZE;
	ofl_buf_set16(&b, 2, (uint16_t)b.len);
	return (int)b.len;
}

int
ofl_encode_error(int e, const uint8_t *offending, size_t off_len, uint8_t *buf, size_t cap)
{
	const struct ofl_err_wire *ew = ofl_err_wire(e);
	struct ofl_msg m;
	uint8_t version = OFP13_VERSION;

	if (ew == NULL)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	if (off_len >= HDR) {
		m.h.xid = ofl_get32(offending + 4);
		/* Answer in the peer's version if we speak it (7.4.4 HELLO_FAILED
		 * included: then the bitmap tells what we do speak). */
		if (version_ok(offending[1], offending[0]) && offending[0] != 0)
			version = offending[0] == OFP14_VERSION ? OFP14_VERSION : OFP13_VERSION;
	}
	m.h.version = version;
	m.h.type = OFPT_ERROR;
	m.error.type = ew->type;
	m.error.code = ew->code;
	/* ONF EXT-230 on OF 1.3: bundle errors are experimenter errors. */
	if (ew->type == OFPET_BUNDLE_FAILED && version == OFP13_VERSION) {
		m.error.type = OFPET_EXPERIMENTER;
		m.error.exp_type = (uint16_t)(ONF_BUNDLE_ERR_BASE + ew->code);
		m.error.experimenter = ONF_EXPERIMENTER_ID;
	}
	m.error.data = offending;
	m.error.data_len = off_len < OFL_ERROR_QUOTE ? off_len : OFL_ERROR_QUOTE;
	return ofl_encode(&m, buf, cap);
}
