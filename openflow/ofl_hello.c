/* The small session messages (1.3.5 A.3.1-A.3.10, A.4.4, A.5.1-A.5.3):
 * HELLO with its version-bitmap element, ECHO, ERROR (standard and
 * experimenter form), FEATURES, GET/SET_CONFIG, BARRIER, ROLE and ASYNC.
 * Called through the message table of ofl_codec.c, lengths already checked.
 */
#include "ofl_priv.h"

#define HDR sizeof(struct ofp_header)

OFL_PARSE_FN(ofl_empty_parse)
{
	(void)p;
	(void)len;
	(void)m;
	(void)err;
	return 0;
}

OFL_ENCODE_FN(ofl_empty_encode)
{
	(void)m;
	(void)b;
	return 0;
}

/* A.5.1: elements are TLVs padded to 8; unknown types are ignored. */
OFL_PARSE_FN(ofl_hello_parse)
{
	struct ofl_hello *h = &m->hello;
	size_t off = HDR;

	memset(h, 0, sizeof(*h));
	while (off < len) {
		uint16_t type, elen;
		size_t padded;

		if (len - off < sizeof(struct ofp_hello_elem_header))
			return ofl_fail(err, OFL_E_BAD_LEN, "%zu stray bytes after the elements",
					len - off);
		type = ofl_get16(p + off);
		elen = ofl_get16(p + off + 2);
		padded = OFL_ALIGN8(elen);
		if (elen < sizeof(struct ofp_hello_elem_header) || padded > len - off)
			return ofl_fail(err, OFL_E_BAD_LEN,
					"element at %zu: length %u, %zu bytes left", off, elen,
					len - off);
		if (type == OFPHET_VERSIONBITMAP && !h->has_bitmap) {
			size_t words = (elen - 4u) / 4u;

			if ((elen - 4u) % 4u != 0 || words == 0)
				return ofl_fail(err, OFL_E_BAD_LEN,
						"version bitmap of %u bytes, not whole words",
						elen - 4u);
			h->has_bitmap = true;
			/* Versions >= 128 do not matter to a 1.3 switch. */
			h->n_words = (uint8_t)(words < OFL_MAX_HELLO_WORDS ? words
									   : OFL_MAX_HELLO_WORDS);
			for (size_t i = 0; i < h->n_words; i++)
				h->bitmap[i] = ofl_get32(p + off + 4 + 4 * i);
		}
		off += padded;
	}
	return 0;
}

OFL_ENCODE_FN(ofl_hello_encode)
{
	const struct ofl_hello *h = &m->hello;
	size_t start = b->len;

	if (!h->has_bitmap)
		return 0;
	if (h->n_words == 0 || h->n_words > OFL_MAX_HELLO_WORDS)
		return -EINVAL;
	ofl_buf_put16(b, OFPHET_VERSIONBITMAP);
	ofl_buf_put16(b, (uint16_t)(4 + 4 * h->n_words));
	for (size_t i = 0; i < h->n_words; i++)
		ofl_buf_put32(b, h->bitmap[i]);
	ofl_buf_pad8(b, start);
	return 0;
}

OFL_PARSE_FN(ofl_error_parse)
{
	struct ofl_error *e = &m->error;
	size_t off = sizeof(struct ofp_error_msg);

	memset(e, 0, sizeof(*e));
	e->type = ofl_get16(p + HDR);
	e->code = ofl_get16(p + HDR + 2);
	if (e->type == OFPET_EXPERIMENTER) {
		if (len < sizeof(struct ofp_error_experimenter_msg))
			return ofl_fail(err, OFL_E_BAD_LEN,
					"experimenter error of %zu bytes, expected >= %zu", len,
					sizeof(struct ofp_error_experimenter_msg));
		e->exp_type = e->code;
		e->code = 0;
		e->experimenter = ofl_get32(p + HDR + 4);
		off = sizeof(struct ofp_error_experimenter_msg);
	}
	e->data = p + off;
	e->data_len = len - off;
	return 0;
}

OFL_ENCODE_FN(ofl_error_encode)
{
	const struct ofl_error *e = &m->error;

	ofl_buf_put16(b, e->type);
	if (e->type == OFPET_EXPERIMENTER) {
		ofl_buf_put16(b, e->exp_type);
		ofl_buf_put32(b, e->experimenter);
	} else {
		ofl_buf_put16(b, e->code);
	}
	if (e->data_len > 0)
		ofl_buf_put(b, e->data, e->data_len);
	return 0;
}

OFL_PARSE_FN(ofl_echo_parse)
{
	(void)err;
	m->echo.data = p + HDR;
	m->echo.data_len = len - HDR;
	return 0;
}

OFL_ENCODE_FN(ofl_echo_encode)
{
	if (m->echo.data_len > 0)
		ofl_buf_put(b, m->echo.data, m->echo.data_len);
	return 0;
}

OFL_PARSE_FN(ofl_features_parse)
{
	struct ofp_switch_features w;

	(void)len;
	(void)err;
	memcpy(&w, p, sizeof(w));
	m->features = (struct ofl_features){
		.datapath_id = be64toh(w.datapath_id),
		.n_buffers = be32toh(w.n_buffers),
		.n_tables = w.n_tables,
		.auxiliary_id = w.auxiliary_id,
		.capabilities = be32toh(w.capabilities),
	};
	return 0;
}

OFL_ENCODE_FN(ofl_features_encode)
{
	const struct ofl_features *f = &m->features;
	struct ofp_switch_features w;

	memset(&w, 0, sizeof(w));
	w.datapath_id = htobe64(f->datapath_id);
	w.n_buffers = htobe32(f->n_buffers);
	w.n_tables = f->n_tables;
	w.auxiliary_id = f->auxiliary_id;
	w.capabilities = htobe32(f->capabilities);
	ofl_buf_put(b, (const uint8_t *)&w + HDR, sizeof(w) - HDR);
	return 0;
}

OFL_PARSE_FN(ofl_config_parse)
{
	(void)len;
	(void)err;
	m->config.flags = ofl_get16(p + HDR);
	m->config.miss_send_len = ofl_get16(p + HDR + 2);
	return 0;
}

/* A.3.2: only the fragment-handling bits are defined. */
OFL_VALIDATE_FN(ofl_config_validate)
{
	if (m->config.flags & ~OFPC_FRAG_MASK)
		return ofl_fail(err, OFL_E_SCF_BAD_FLAGS, "flags 0x%x outside 0x%x",
				m->config.flags, OFPC_FRAG_MASK);
	return 0;
}

OFL_ENCODE_FN(ofl_config_encode)
{
	ofl_buf_put16(b, m->config.flags);
	ofl_buf_put16(b, m->config.miss_send_len);
	return 0;
}

OFL_PARSE_FN(ofl_role_parse)
{
	struct ofp_role_request w;

	(void)len;
	(void)err;
	memcpy(&w, p, sizeof(w));
	m->role.role = be32toh(w.role);
	m->role.generation_id = be64toh(w.generation_id);
	return 0;
}

OFL_VALIDATE_FN(ofl_role_validate)
{
	if (m->role.role > OFPCR_ROLE_SLAVE)
		return ofl_fail(err, OFL_E_RRF_BAD_ROLE, "role %u", m->role.role);
	return 0;
}

OFL_ENCODE_FN(ofl_role_encode)
{
	struct ofp_role_request w;

	memset(&w, 0, sizeof(w));
	w.role = htobe32(m->role.role);
	w.generation_id = htobe64(m->role.generation_id);
	ofl_buf_put(b, (const uint8_t *)&w + HDR, sizeof(w) - HDR);
	return 0;
}

OFL_PARSE_FN(ofl_async_parse)
{
	(void)len;
	(void)err;
	for (int i = 0; i < 2; i++) {
		m->async.packet_in_mask[i] = ofl_get32(p + HDR + 4 * i);
		m->async.port_status_mask[i] = ofl_get32(p + HDR + 8 + 4 * i);
		m->async.flow_removed_mask[i] = ofl_get32(p + HDR + 16 + 4 * i);
	}
	return 0;
}

OFL_ENCODE_FN(ofl_async_encode)
{
	for (int i = 0; i < 2; i++)
		ofl_buf_put32(b, m->async.packet_in_mask[i]);
	for (int i = 0; i < 2; i++)
		ofl_buf_put32(b, m->async.port_status_mask[i]);
	for (int i = 0; i < 2; i++)
		ofl_buf_put32(b, m->async.flow_removed_mask[i]);
	return 0;
}
