/* Actions and instructions (1.3.5 A.2.4, A.2.5, 5.9-5.12): TLV lists parsed
 * into bounded host arrays, then the stateless checks (reserved ports, VLAN
 * ethertypes, set-field types and values, duplicate instructions). MPLS and
 * PBB actions parse, but iovs does not implement them: validate refuses them
 * with BAD_ACTION/BAD_TYPE. Used by flows, packet-out and group buckets.
 */
#include <inttypes.h>

#include "ofl_priv.h"

static bool
pad_is_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* Exact wire length of each fixed-size action; 0: variable (set_field,
 * experimenter), absent: unknown type. */
static uint16_t
action_fixed_len(uint16_t type, bool *known)
{
	*known = true;
	switch (type) {
	case OFPAT_OUTPUT:
		return sizeof(struct ofp_action_output);
	case OFPAT_COPY_TTL_OUT:
	case OFPAT_COPY_TTL_IN:
	case OFPAT_SET_MPLS_TTL:
	case OFPAT_DEC_MPLS_TTL:
	case OFPAT_PUSH_VLAN:
	case OFPAT_POP_VLAN:
	case OFPAT_PUSH_MPLS:
	case OFPAT_POP_MPLS:
	case OFPAT_SET_QUEUE:
	case OFPAT_GROUP:
	case OFPAT_SET_NW_TTL:
	case OFPAT_DEC_NW_TTL:
	case OFPAT_PUSH_PBB:
	case OFPAT_POP_PBB:
		return sizeof(struct ofp_action_header);
	case OFPAT_SET_FIELD:
	case OFPAT_EXPERIMENTER:
		return 0;
	default:
		*known = false;
		return 0;
	}
}

static int
parse_set_field(const uint8_t *p, uint16_t alen, struct ofl_action *a, struct iovs_err *err)
{
	size_t used;
	int rc = ofl_oxm_parse_one(p + 4, alen - 4u, &a->set_field, &used, err);

	if (rc != 0)
		return rc;
	/* A.2.5: the TLV then zero padding to the next multiple of 8. */
	if (OFL_ALIGN8(4 + used) != alen || !pad_is_zero(p + 4 + used, alen - 4 - used))
		return ofl_fail(err, OFL_E_BAC_BAD_SET_LEN,
				"set_field of %u bytes for a %zu-byte OXM (or padding not zero)",
				alen, used);
	return 0;
}

static int
parse_action(const uint8_t *p, uint16_t type, uint16_t alen, struct ofl_action *a,
	     struct iovs_err *err)
{
	bool known;
	uint16_t fixed = action_fixed_len(type, &known);

	if (!known)
		return ofl_fail(err, OFL_E_BAC_BAD_TYPE, "action type %u unknown", type);
	if (fixed != 0 && alen != fixed)
		return ofl_fail(err, OFL_E_BAC_BAD_LEN, "action %u of %u bytes, expected %u", type,
				alen, fixed);
	memset(a, 0, sizeof(*a));
	a->type = type;
	switch (type) {
	case OFPAT_OUTPUT:
		a->output.port = ofl_get32(p + 4);
		a->output.max_len = ofl_get16(p + 8);
		break;
	case OFPAT_SET_MPLS_TTL:
	case OFPAT_SET_NW_TTL:
		a->ttl = p[4];
		break;
	case OFPAT_PUSH_VLAN:
	case OFPAT_PUSH_MPLS:
	case OFPAT_POP_MPLS:
	case OFPAT_PUSH_PBB:
		a->ethertype = ofl_get16(p + 4);
		break;
	case OFPAT_SET_QUEUE:
		a->queue_id = ofl_get32(p + 4);
		break;
	case OFPAT_GROUP:
		a->group_id = ofl_get32(p + 4);
		break;
	case OFPAT_SET_FIELD:
		return parse_set_field(p, alen, a, err);
	case OFPAT_EXPERIMENTER:
		/* No experimenter action is known: its body cannot be kept. */
		return ofl_fail(err, OFL_E_BAC_BAD_EXPERIMENTER, "experimenter 0x%08" PRIx32,
				ofl_get32(p + 4));
	default:
		break;
	}
	return 0;
}

int
ofl_actions_parse(const uint8_t *p, size_t len, struct ofl_actions *acts, struct iovs_err *err)
{
	size_t off = 0;

	acts->n = 0;
	while (off < len) {
		uint16_t type, alen;
		int rc;

		if (len - off < sizeof(struct ofp_action_header))
			return ofl_fail(err, OFL_E_BAC_BAD_LEN, "action cut at %zu bytes",
					len - off);
		type = ofl_get16(p + off);
		alen = ofl_get16(p + off + 2);
		if (alen < sizeof(struct ofp_action_header) || alen % 8 != 0 || alen > len - off)
			return ofl_fail(err, OFL_E_BAC_BAD_LEN,
					"action %u: length %u with %zu bytes left", type, alen,
					len - off);
		if (acts->n >= OFL_MAX_ACTIONS)
			return ofl_fail(err, OFL_E_BAC_TOO_MANY, "more than %u actions",
					OFL_MAX_ACTIONS);
		rc = parse_action(p + off, type, alen, &acts->a[acts->n], err);
		if (rc != 0)
			return iovs_err_prefix(err, rc, "action %u", acts->n);
		acts->n++;
		off += alen;
	}
	return 0;
}

/* 4.1, 7.2.5: reserved ports an output may name; TABLE only in packet-out. */
static int
check_output(const struct ofl_action *a, enum ofl_action_ctx ctx, struct iovs_err *err)
{
	uint32_t port = a->output.port;

	if (port == 0 || port == OFPP_ANY || (port > OFPP_MAX && port < OFPP_IN_PORT))
		return ofl_fail(err, OFL_E_BAC_BAD_OUT_PORT, "output to port 0x%" PRIx32, port);
	if (port == OFPP_TABLE && ctx != OFL_CTX_PACKET_OUT)
		return ofl_fail(err, OFL_E_BAC_BAD_OUT_PORT, "output to TABLE outside packet-out");
	if (port == OFPP_CONTROLLER && a->output.max_len > OFPCML_MAX &&
	    a->output.max_len != OFPCML_NO_BUFFER)
		return ofl_fail(err, OFL_E_BAC_BAD_ARGUMENT, "controller max_len %u",
				a->output.max_len);
	return 0;
}

static int
check_set_field(const struct ofl_action *a, struct iovs_err *err)
{
	const struct ofl_oxm *o = &a->set_field;
	const struct ofl_oxm_spec *s = ofl_oxm_spec_of(o->field);
	const char *why;

	if (s == NULL || !s->supported || !s->settable)
		return ofl_fail(err, OFL_E_BAC_BAD_SET_TYPE, "set_field %s not supported",
				s != NULL ? s->name : "?");
	if (o->has_mask)
		return ofl_fail(err, OFL_E_BAC_BAD_SET_ARGUMENT, "set_field %s with a mask",
				s->name);
	why = ofl_oxm_value_problem(o);
	if (why == NULL && o->field == OFPXMT_OFB_VLAN_VID &&
	    !((o->value[0] << 8 | o->value[1]) & OFPVID_PRESENT))
		why = "VID without OFPVID_PRESENT";
	if (why != NULL)
		return ofl_fail(err, OFL_E_BAC_BAD_SET_ARGUMENT, "set_field %s: %s", s->name, why);
	return 0;
}

static int
check_action(const struct ofl_action *a, enum ofl_action_ctx ctx, struct iovs_err *err)
{
	switch (a->type) {
	case OFPAT_OUTPUT:
		return check_output(a, ctx, err);
	case OFPAT_PUSH_VLAN:
		if (a->ethertype != 0x8100 && a->ethertype != 0x88a8)
			return ofl_fail(err, OFL_E_BAC_BAD_ARGUMENT, "push_vlan ethertype 0x%04x",
					a->ethertype);
		return 0;
	case OFPAT_GROUP:
		if (a->group_id > OFPG_MAX)
			return ofl_fail(err, OFL_E_BAC_BAD_OUT_GROUP, "group 0x%" PRIx32,
					a->group_id);
		return 0;
	case OFPAT_SET_FIELD:
		return check_set_field(a, err);
	case OFPAT_COPY_TTL_OUT:
	case OFPAT_COPY_TTL_IN:
	case OFPAT_POP_VLAN:
	case OFPAT_SET_QUEUE:
	case OFPAT_SET_NW_TTL:
	case OFPAT_DEC_NW_TTL:
		return 0;
	default: /* MPLS, PBB: outside OpenFlow-lite, decoded and refused */
		return ofl_fail(err, OFL_E_BAC_BAD_TYPE, "action type %u not supported", a->type);
	}
}

int
ofl_action_validate(const struct ofl_action *a, enum ofl_action_ctx ctx, struct iovs_err *err)
{
	return check_action(a, ctx, err);
}

int
ofl_actions_validate(const struct ofl_actions *acts, enum ofl_action_ctx ctx, struct iovs_err *err)
{
	if (acts->n > OFL_MAX_ACTIONS)
		return ofl_fail(err, OFL_E_BAC_TOO_MANY, "%u actions", acts->n);
	for (unsigned i = 0; i < acts->n; i++) {
		int rc = check_action(&acts->a[i], ctx, err);

		if (rc != 0)
			return iovs_err_prefix(err, rc, "action %u", i);
	}
	return 0;
}

bool
ofl_actions_push_vlan(const struct ofl_actions *acts)
{
	for (unsigned i = 0; i < acts->n && i < OFL_MAX_ACTIONS; i++)
		if (acts->a[i].type == OFPAT_PUSH_VLAN)
			return true;
	return false;
}

int
ofl_actions_check_match(const struct ofl_actions *acts, const struct ofl_match *m, bool ordered,
			bool pushed, struct iovs_err *err)
{
	if (!ordered)
		pushed = pushed || ofl_actions_push_vlan(acts);
	for (unsigned i = 0; i < acts->n && i < OFL_MAX_ACTIONS; i++) {
		const struct ofl_action *a = &acts->a[i];

		if (a->type == OFPAT_PUSH_VLAN)
			pushed = true;
		if (a->type == OFPAT_SET_FIELD &&
		    !ofl_match_allows_set(m, a->set_field.field, pushed))
			return ofl_fail(err, OFL_E_BAC_MATCH_INCONSISTENT,
					"action %u: set_field %s without its prerequisites in the "
					"match",
					i, ofl_oxm_spec_of(a->set_field.field)->name);
	}
	return 0;
}

static void
encode_action(struct ofl_buf *b, const struct ofl_action *a)
{
	size_t start = b->len;

	ofl_buf_put16(b, a->type);
	ofl_buf_put16(b, 0);
	switch (a->type) {
	case OFPAT_OUTPUT:
		ofl_buf_put32(b, a->output.port);
		ofl_buf_put16(b, a->output.max_len);
		break;
	case OFPAT_SET_MPLS_TTL:
	case OFPAT_SET_NW_TTL:
		ofl_buf_put(b, &a->ttl, 1);
		break;
	case OFPAT_PUSH_VLAN:
	case OFPAT_PUSH_MPLS:
	case OFPAT_POP_MPLS:
	case OFPAT_PUSH_PBB:
		ofl_buf_put16(b, a->ethertype);
		break;
	case OFPAT_SET_QUEUE:
		ofl_buf_put32(b, a->queue_id);
		break;
	case OFPAT_GROUP:
		ofl_buf_put32(b, a->group_id);
		break;
	case OFPAT_SET_FIELD:
		ofl_oxm_encode(b, &a->set_field);
		break;
	case OFPAT_EXPERIMENTER:
		b->invalid = true; /* never decoded, not encoded */
		return;
	default:
		break;
	}
	/* Fixed-size actions are 8 or 16 bytes; set_field pads to 8. */
	ofl_buf_zeros(b, (a->type == OFPAT_OUTPUT ? 16 : OFL_ALIGN8(b->len - start)) -
				 (b->len - start));
	ofl_buf_set16(b, start + 2, (uint16_t)(b->len - start));
}

void
ofl_actions_encode(struct ofl_buf *b, const struct ofl_actions *acts)
{
	for (unsigned i = 0; i < acts->n && i < OFL_MAX_ACTIONS; i++)
		encode_action(b, &acts->a[i]);
}

/* --- Instructions --- */

bool
ofl_instructions_has(const struct ofl_instructions *ins, uint16_t type)
{
	for (unsigned i = 0; i < ins->n && i < 6; i++)
		if (ins->order[i] == type)
			return true;
	return false;
}

static int
parse_instruction(const uint8_t *p, uint16_t type, uint16_t ilen, struct ofl_instructions *ins,
		  struct iovs_err *err)
{
	uint16_t want = 0;
	int rc = 0;

	switch (type) {
	case OFPIT_GOTO_TABLE:
	case OFPIT_CLEAR_ACTIONS: /* 8 exactly: a clear carries no actions */
	case OFPIT_METER:
		want = 8;
		break;
	case OFPIT_WRITE_METADATA:
		want = sizeof(struct ofp_instruction_write_metadata);
		break;
	case OFPIT_WRITE_ACTIONS:
	case OFPIT_APPLY_ACTIONS:
		break;
	case OFPIT_EXPERIMENTER:
		return ofl_fail(err, OFL_E_BIC_BAD_EXPERIMENTER, "experimenter instruction");
	default:
		return ofl_fail(err, OFL_E_BIC_UNKNOWN_INST, "instruction type %u unknown", type);
	}
	if (want != 0 && ilen != want)
		return ofl_fail(err, OFL_E_BIC_BAD_LEN, "instruction %u of %u bytes, expected %u",
				type, ilen, want);
	switch (type) {
	case OFPIT_GOTO_TABLE:
		ins->goto_table = p[4];
		break;
	case OFPIT_METER:
		ins->meter_id = ofl_get32(p + 4);
		break;
	case OFPIT_WRITE_METADATA: {
		struct ofp_instruction_write_metadata w;

		memcpy(&w, p, sizeof(w));
		ins->metadata = be64toh(w.metadata);
		ins->metadata_mask = be64toh(w.metadata_mask);
		break;
	}
	case OFPIT_WRITE_ACTIONS:
		rc = ofl_actions_parse(p + 8, ilen - 8u, &ins->write, err);
		break;
	case OFPIT_APPLY_ACTIONS:
		rc = ofl_actions_parse(p + 8, ilen - 8u, &ins->apply, err);
		break;
	default:
		break;
	}
	return rc;
}

int
ofl_instructions_parse(const uint8_t *p, size_t len, struct ofl_instructions *ins,
		       struct iovs_err *err)
{
	size_t off = 0;

	memset(ins, 0, sizeof(*ins));
	while (off < len) {
		uint16_t type, ilen;
		int rc;

		if (len - off < sizeof(struct ofp_instruction))
			return ofl_fail(err, OFL_E_BIC_BAD_LEN, "instruction cut at %zu bytes",
					len - off);
		type = ofl_get16(p + off);
		ilen = ofl_get16(p + off + 2);
		if (ilen < 8 || ilen % 8 != 0 || ilen > len - off)
			return ofl_fail(err, OFL_E_BIC_BAD_LEN,
					"instruction %u: length %u with %zu bytes left", type, ilen,
					len - off);
		/* 5.9: each type at most once; this also bounds the list at 6. */
		if (ofl_instructions_has(ins, type))
			return ofl_fail(err, OFL_E_BIC_DUP_INST, "instruction %u twice", type);
		rc = parse_instruction(p + off, type, ilen, ins, err);
		if (rc != 0)
			return rc;
		ins->order[ins->n++] = (uint8_t)type;
		off += ilen;
	}
	return 0;
}

int
ofl_instructions_validate(const struct ofl_instructions *ins, struct iovs_err *err)
{
	int rc;

	if (ins->n > 6)
		return ofl_fail(err, OFL_E_BIC_BAD_LEN, "%u instructions", ins->n);
	if (ofl_instructions_has(ins, OFPIT_GOTO_TABLE) && ins->goto_table > OFPTT_MAX)
		return ofl_fail(err, OFL_E_BIC_BAD_TABLE_ID, "goto_table %u", ins->goto_table);
	if (ofl_instructions_has(ins, OFPIT_METER) &&
	    (ins->meter_id == 0 || (ins->meter_id > OFPM_MAX && ins->meter_id != OFPM_SLOWPATH &&
				    ins->meter_id != OFPM_CONTROLLER)))
		return ofl_fail(err, OFL_E_MMF_INVALID_METER, "meter 0x%" PRIx32, ins->meter_id);
	rc = ofl_actions_validate(&ins->apply, OFL_CTX_FLOW, err);
	if (rc == 0)
		rc = ofl_actions_validate(&ins->write, OFL_CTX_FLOW, err);
	return rc;
}

void
ofl_instructions_encode(struct ofl_buf *b, const struct ofl_instructions *ins)
{
	for (unsigned i = 0; i < ins->n && i < 6; i++) {
		uint8_t type = ins->order[i];
		size_t start = b->len;

		ofl_buf_put16(b, type);
		ofl_buf_put16(b, 0);
		switch (type) {
		case OFPIT_GOTO_TABLE:
			ofl_buf_put(b, &ins->goto_table, 1);
			ofl_buf_zeros(b, 3);
			break;
		case OFPIT_METER:
			ofl_buf_put32(b, ins->meter_id);
			break;
		case OFPIT_WRITE_METADATA: {
			uint64_t v[2] = {htobe64(ins->metadata), htobe64(ins->metadata_mask)};

			ofl_buf_zeros(b, 4);
			ofl_buf_put(b, v, sizeof(v));
			break;
		}
		case OFPIT_WRITE_ACTIONS:
		case OFPIT_APPLY_ACTIONS:
			ofl_buf_zeros(b, 4);
			ofl_actions_encode(b,
					   type == OFPIT_WRITE_ACTIONS ? &ins->write : &ins->apply);
			break;
		case OFPIT_CLEAR_ACTIONS:
			ofl_buf_zeros(b, 4);
			break;
		default:
			b->invalid = true; /* not a type we produce */
			return;
		}
		ofl_buf_set16(b, start + 2, (uint16_t)(b->len - start));
	}
}
