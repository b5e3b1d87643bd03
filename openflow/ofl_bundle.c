/* Bundles: OpenFlow 1.4 BUNDLE_CONTROL / BUNDLE_ADD_MESSAGE (1.4.1 7.3.9,
 * A.7.9), and the ONF EXT-230 experimenter form (experimenter 0x4f4e4600,
 * exp_type 2300/2301, same body) that ovs-ofctl 3.1 sends for
 * `-O OpenFlow13 --bundle` (openflow/testdata/bundle_*.bin are captures).
 * Both decode to h.type = OFPT_BUNDLE_CONTROL/ADD_MESSAGE, with .onf telling
 * which form to answer in. The added message is returned as bytes: the agent
 * decodes it with a second ofl_decode() call, so nothing here recurses.
 * Other experimenter messages are refused.
 */
#include <inttypes.h>

#include "ofl_priv.h"

#define HDR	sizeof(struct ofp_header)
#define EXP_HDR sizeof(struct ofp_experimenter_header)

static void
parse_ctrl_body(const uint8_t *p, struct ofl_bundle_ctrl *bc)
{
	struct ofp_bundle_ctrl w;

	memcpy(&w, p, sizeof(w));
	bc->bundle_id = be32toh(w.bundle_id);
	bc->type = be16toh(w.type);
	bc->flags = be16toh(w.flags);
}

/* The body after the outer header(s): bundle_add, then exactly one message. */
static int
parse_add_body(const uint8_t *p, size_t len, struct ofl_bundle_add *ba, struct iovs_err *err)
{
	struct ofp_bundle_add w;

	if (len < sizeof(w) + HDR)
		return ofl_fail(err, OFL_E_BAD_LEN, "bundle add of %zu bytes, no message", len);
	memcpy(&w, p, sizeof(w));
	ba->bundle_id = be32toh(w.bundle_id);
	ba->flags = be16toh(w.flags);
	ba->msg = p + sizeof(w);
	ba->msg_len = len - sizeof(w);
	ba->inner.version = ba->msg[0];
	ba->inner.type = ba->msg[1];
	ba->inner.length = ofl_get16(ba->msg + 2);
	ba->inner.xid = ofl_get32(ba->msg + 4);
	/* Properties after the message (1.4) are not supported. */
	if (ba->inner.length != ba->msg_len)
		return ofl_fail(err, OFL_E_BFC_MSG_BAD_LEN,
				"inner message length %u, %zu bytes follow", ba->inner.length,
				ba->msg_len);
	return 0;
}

OFL_PARSE_FN(ofl_bundle_ctrl_parse)
{
	(void)len;
	(void)err;
	memset(&m->bundle_ctrl, 0, sizeof(m->bundle_ctrl));
	parse_ctrl_body(p + HDR, &m->bundle_ctrl);
	return 0;
}

OFL_PARSE_FN(ofl_bundle_add_parse)
{
	memset(&m->bundle_add, 0, sizeof(m->bundle_add));
	return parse_add_body(p + HDR, len - HDR, &m->bundle_add, err);
}

OFL_PARSE_FN(ofl_experimenter_parse)
{
	uint32_t exp = ofl_get32(p + HDR), exp_type = ofl_get32(p + HDR + 4);

	if (exp != ONF_EXPERIMENTER_ID)
		return ofl_fail(err, OFL_E_BAD_EXPERIMENTER, "experimenter 0x%08" PRIx32, exp);
	if (exp_type == ONFT_BUNDLE_CONTROL) {
		if (len != EXP_HDR + sizeof(struct ofp_bundle_ctrl))
			return ofl_fail(err, OFL_E_BAD_LEN, "ONF bundle control of %zu bytes", len);
		memset(&m->bundle_ctrl, 0, sizeof(m->bundle_ctrl));
		m->h.type = OFPT_BUNDLE_CONTROL;
		m->bundle_ctrl.onf = true;
		parse_ctrl_body(p + EXP_HDR, &m->bundle_ctrl);
		return 0;
	}
	if (exp_type == ONFT_BUNDLE_ADD_MESSAGE) {
		memset(&m->bundle_add, 0, sizeof(m->bundle_add));
		m->h.type = OFPT_BUNDLE_ADD_MESSAGE;
		m->bundle_add.onf = true;
		return parse_add_body(p + EXP_HDR, len - EXP_HDR, &m->bundle_add, err);
	}
	return ofl_fail(err, OFL_E_BAD_EXP_TYPE, "ONF exp_type %" PRIu32, exp_type);
}

OFL_VALIDATE_FN(ofl_bundle_ctrl_validate)
{
	const struct ofl_bundle_ctrl *bc = &m->bundle_ctrl;

	if (bc->type > OFPBCT_DISCARD_REPLY)
		return ofl_fail(err, OFL_E_BFC_BAD_TYPE, "control type %u", bc->type);
	if (bc->flags & ~(OFPBF_ATOMIC | OFPBF_ORDERED))
		return ofl_fail(err, OFL_E_BFC_BAD_FLAGS, "flags 0x%x", bc->flags);
	return 0;
}

/* 1.4.1 7.3.9.6: the added message has the bundle's version and xid, and is
 * one a bundle can hold (state changes, not session or reply messages). */
OFL_VALIDATE_FN(ofl_bundle_add_validate)
{
	const struct ofl_bundle_add *ba = &m->bundle_add;
	uint8_t type = ba->inner.type;

	if (ba->flags & ~(OFPBF_ATOMIC | OFPBF_ORDERED))
		return ofl_fail(err, OFL_E_BFC_BAD_FLAGS, "flags 0x%x", ba->flags);
	if (ba->inner.version != m->h.version)
		return ofl_fail(err, OFL_E_BAD_VERSION, "inner version 0x%02x", ba->inner.version);
	if (ba->inner.xid != m->h.xid)
		return ofl_fail(err, OFL_E_BFC_MSG_BAD_XID,
				"inner xid 0x%08" PRIx32 " != 0x%08" PRIx32, ba->inner.xid,
				m->h.xid);
	if (type != OFPT_FLOW_MOD && type != OFPT_GROUP_MOD && type != OFPT_METER_MOD &&
	    type != OFPT_PORT_MOD)
		return ofl_fail(err, OFL_E_BFC_MSG_UNSUP, "%s in a bundle", ofl_type_name(type));
	return 0;
}

OFL_VALIDATE_FN(ofl_experimenter_validate)
{
	return m->h.type == OFPT_BUNDLE_CONTROL ? ofl_bundle_ctrl_validate(m, err)
						: ofl_bundle_add_validate(m, err);
}

OFL_ENCODE_FN(ofl_experimenter_encode)
{
	(void)m;
	(void)b;
	return -EINVAL; /* only the ONF bundles, which encode as bundles */
}

/* ONF form: the header says EXPERIMENTER, then experimenter and exp_type. */
static void
put_onf_header(struct ofl_buf *b, uint32_t exp_type)
{
	if (!b->overflow && b->len >= HDR)
		b->p[1] = OFPT_EXPERIMENTER;
	ofl_buf_put32(b, ONF_EXPERIMENTER_ID);
	ofl_buf_put32(b, exp_type);
}

OFL_ENCODE_FN(ofl_bundle_ctrl_encode)
{
	const struct ofl_bundle_ctrl *bc = &m->bundle_ctrl;

	if (bc->onf)
		put_onf_header(b, ONFT_BUNDLE_CONTROL);
	ofl_buf_put32(b, bc->bundle_id);
	ofl_buf_put16(b, bc->type);
	ofl_buf_put16(b, bc->flags);
	return 0;
}

OFL_ENCODE_FN(ofl_bundle_add_encode)
{
	const struct ofl_bundle_add *ba = &m->bundle_add;

	if (ba->msg_len < HDR || ba->msg == NULL)
		return -EINVAL;
	if (ba->onf)
		put_onf_header(b, ONFT_BUNDLE_ADD_MESSAGE);
	ofl_buf_put32(b, ba->bundle_id);
	ofl_buf_zeros(b, 2);
	ofl_buf_put16(b, ba->flags);
	ofl_buf_put(b, ba->msg, ba->msg_len);
	return 0;
}
