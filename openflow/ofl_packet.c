/* PACKET_IN (1.3.5 A.4.1) and PACKET_OUT (A.3.7): a match or an action list,
 * then the frame. The frame is not copied: 'data' points into the message.
 */
#include <inttypes.h>

#include "ofl_priv.h"

#define PI_FIXED offsetof(struct ofp_packet_in, match)
#define ETH_MIN	 14u

OFL_PARSE_FN(ofl_packet_in_parse)
{
	struct ofl_packet_in *pi = &m->packet_in;
	struct ofp_packet_in w;
	size_t used, off;
	int rc;

	memcpy(&w, p, PI_FIXED);
	pi->buffer_id = be32toh(w.buffer_id);
	pi->total_len = be16toh(w.total_len);
	pi->reason = w.reason;
	pi->table_id = w.table_id;
	pi->cookie = be64toh(w.cookie);
	rc = ofl_match_parse(p + PI_FIXED, len - PI_FIXED, &pi->match, &used, err);
	if (rc != 0)
		return rc;
	off = PI_FIXED + used;
	if (len - off < 2)
		return ofl_fail(err, OFL_E_BAD_LEN, "no room for the 2 pad bytes after the match");
	pi->data = p + off + 2;
	pi->data_len = len - off - 2;
	return 0;
}

OFL_VALIDATE_FN(ofl_packet_in_validate)
{
	const struct ofl_packet_in *pi = &m->packet_in;

	if (pi->reason > OFPR_INVALID_TTL)
		return ofl_fail(err, OFL_E_BAD_PACKET, "reason %u", pi->reason);
	if (pi->data_len > pi->total_len)
		return ofl_fail(err, OFL_E_BAD_LEN, "%zu bytes of data, total_len %u", pi->data_len,
				pi->total_len);
	return ofl_match_validate(&pi->match, err);
}

OFL_ENCODE_FN(ofl_packet_in_encode)
{
	const struct ofl_packet_in *pi = &m->packet_in;
	struct ofp_packet_in w;
	const size_t hdr = sizeof(struct ofp_header);

	memset(&w, 0, sizeof(w));
	w.buffer_id = htobe32(pi->buffer_id);
	w.total_len = htobe16(pi->total_len);
	w.reason = pi->reason;
	w.table_id = pi->table_id;
	w.cookie = htobe64(pi->cookie);
	ofl_buf_put(b, (const uint8_t *)&w + hdr, PI_FIXED - hdr);
	ofl_match_encode(b, &pi->match);
	ofl_buf_zeros(b, 2);
	if (pi->data_len > 0)
		ofl_buf_put(b, pi->data, pi->data_len);
	return 0;
}

OFL_PARSE_FN(ofl_packet_out_parse)
{
	struct ofl_packet_out *po = &m->packet_out;
	struct ofp_packet_out w;
	size_t alen;
	int rc;

	memcpy(&w, p, sizeof(w));
	po->buffer_id = be32toh(w.buffer_id);
	po->in_port = be32toh(w.in_port);
	alen = be16toh(w.actions_len);
	if (alen > len - sizeof(w))
		return ofl_fail(err, OFL_E_BAD_LEN, "actions_len %zu with %zu bytes left", alen,
				len - sizeof(w));
	rc = ofl_actions_parse(p + sizeof(w), alen, &po->actions, err);
	if (rc != 0)
		return rc;
	po->data = p + sizeof(w) + alen;
	po->data_len = len - sizeof(w) - alen;
	return 0;
}

/* A.3.7: in_port is a real port, CONTROLLER or LOCAL (ANY for none in
 * older controllers); a frame comes with the message iff there is no buffer. */
OFL_VALIDATE_FN(ofl_packet_out_validate)
{
	const struct ofl_packet_out *po = &m->packet_out;
	uint32_t in = po->in_port;

	if (in == 0 ||
	    (in > OFPP_MAX && in != OFPP_CONTROLLER && in != OFPP_LOCAL && in != OFPP_ANY))
		return ofl_fail(err, OFL_E_BAD_PORT, "in_port 0x%" PRIx32, in);
	if (po->buffer_id == OFP_NO_BUFFER && po->data_len < ETH_MIN)
		return ofl_fail(err, OFL_E_BAD_PACKET, "no buffer and a %zu-byte frame",
				po->data_len);
	return ofl_actions_validate(&po->actions, OFL_CTX_PACKET_OUT, err);
}

OFL_ENCODE_FN(ofl_packet_out_encode)
{
	const struct ofl_packet_out *po = &m->packet_out;
	size_t alen_off;

	ofl_buf_put32(b, po->buffer_id);
	ofl_buf_put32(b, po->in_port);
	alen_off = b->len;
	ofl_buf_put16(b, 0);
	ofl_buf_zeros(b, 6);
	ofl_actions_encode(b, &po->actions);
	ofl_buf_set16(b, alen_off, (uint16_t)(b->len - alen_off - 8));
	if (po->data_len > 0)
		ofl_buf_put(b, po->data, po->data_len);
	return 0;
}
