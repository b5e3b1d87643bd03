/* FLOW_MOD (1.3.5 A.3.4.1, 6.4) and FLOW_REMOVED (A.4.2): fixed part, OXM
 * match (ofl_match.c), instructions (ofl_action.c). Validation covers what a
 * flow_mod says about itself; whether its tables, groups and meters exist is
 * the agent's check.
 */
#include <inttypes.h>

#include "ofl_priv.h"

#define FM_FIXED offsetof(struct ofp_flow_mod, match)
#define FR_FIXED offsetof(struct ofp_flow_removed, match)

OFL_PARSE_FN(ofl_flow_mod_parse)
{
	struct ofl_flow_mod *fm = &m->flow_mod;
	struct ofp_flow_mod w;
	size_t used;
	int rc;

	memcpy(&w, p, FM_FIXED);
	fm->cookie = be64toh(w.cookie);
	fm->cookie_mask = be64toh(w.cookie_mask);
	fm->table_id = w.table_id;
	fm->command = w.command;
	fm->idle_timeout = be16toh(w.idle_timeout);
	fm->hard_timeout = be16toh(w.hard_timeout);
	fm->priority = be16toh(w.priority);
	fm->buffer_id = be32toh(w.buffer_id);
	fm->out_port = be32toh(w.out_port);
	fm->out_group = be32toh(w.out_group);
	fm->flags = be16toh(w.flags);
	rc = ofl_match_parse(p + FM_FIXED, len - FM_FIXED, &fm->match, &used, err);
	if (rc != 0)
		return rc;
	return ofl_instructions_parse(p + FM_FIXED + used, len - FM_FIXED - used, &fm->ins, err);
}

/* 6.4: commands, flags, table ids; DELETE* ignore instructions (but they
 * must still parse), ADD/MODIFY may not name OFPTT_ALL. */
OFL_VALIDATE_FN(ofl_flow_mod_validate)
{
	const struct ofl_flow_mod *fm = &m->flow_mod;
	bool del = fm->command == OFPFC_DELETE || fm->command == OFPFC_DELETE_STRICT;
	int rc;

	if (fm->command > OFPFC_DELETE_STRICT)
		return ofl_fail(err, OFL_E_FMF_BAD_COMMAND, "command %u", fm->command);
	if (fm->flags & ~OFPFF_ALL)
		return ofl_fail(err, OFL_E_FMF_BAD_FLAGS, "flags 0x%x", fm->flags);
	if (fm->table_id == OFPTT_ALL && !del)
		return ofl_fail(err, OFL_E_FMF_BAD_TABLE_ID, "table ALL for command %u",
				fm->command);
	rc = ofl_match_validate(&fm->match, err);
	if (rc != 0)
		return rc;
	if (del)
		return 0;
	/* 5.1: the pipeline only goes forward. */
	if (ofl_instructions_has(&fm->ins, OFPIT_GOTO_TABLE) && fm->ins.goto_table <= fm->table_id)
		return ofl_fail(err, OFL_E_BIC_BAD_TABLE_ID, "goto_table %u from table %u",
				fm->ins.goto_table, fm->table_id);
	rc = ofl_instructions_validate(&fm->ins, err);
	if (rc != 0)
		return rc;
	/* 7.2.5: a set-field needs its prerequisites; the action set runs
	 * after apply-actions, so a tag pushed there counts. */
	rc = ofl_actions_check_match(&fm->ins.apply, &fm->match, true, false, err);
	if (rc == 0)
		rc = ofl_actions_check_match(&fm->ins.write, &fm->match, false,
					     ofl_actions_push_vlan(&fm->ins.apply), err);
	return rc;
}

OFL_ENCODE_FN(ofl_flow_mod_encode)
{
	const struct ofl_flow_mod *fm = &m->flow_mod;
	struct ofp_flow_mod w;
	const size_t hdr = sizeof(struct ofp_header);

	memset(&w, 0, sizeof(w));
	w.cookie = htobe64(fm->cookie);
	w.cookie_mask = htobe64(fm->cookie_mask);
	w.table_id = fm->table_id;
	w.command = fm->command;
	w.idle_timeout = htobe16(fm->idle_timeout);
	w.hard_timeout = htobe16(fm->hard_timeout);
	w.priority = htobe16(fm->priority);
	w.buffer_id = htobe32(fm->buffer_id);
	w.out_port = htobe32(fm->out_port);
	w.out_group = htobe32(fm->out_group);
	w.flags = htobe16(fm->flags);
	ofl_buf_put(b, (const uint8_t *)&w + hdr, FM_FIXED - hdr);
	ofl_match_encode(b, &fm->match);
	ofl_instructions_encode(b, &fm->ins);
	return 0;
}

OFL_PARSE_FN(ofl_flow_removed_parse)
{
	struct ofl_flow_removed *fr = &m->flow_removed;
	struct ofp_flow_removed w;
	size_t used;
	int rc;

	memcpy(&w, p, FR_FIXED);
	fr->cookie = be64toh(w.cookie);
	fr->priority = be16toh(w.priority);
	fr->reason = w.reason;
	fr->table_id = w.table_id;
	fr->duration_sec = be32toh(w.duration_sec);
	fr->duration_nsec = be32toh(w.duration_nsec);
	fr->idle_timeout = be16toh(w.idle_timeout);
	fr->hard_timeout = be16toh(w.hard_timeout);
	fr->packet_count = be64toh(w.packet_count);
	fr->byte_count = be64toh(w.byte_count);
	rc = ofl_match_parse(p + FR_FIXED, len - FR_FIXED, &fr->match, &used, err);
	if (rc == 0 && FR_FIXED + used != len)
		return ofl_fail(err, OFL_E_BAD_LEN, "%zu bytes after the match",
				len - FR_FIXED - used);
	return rc;
}

OFL_VALIDATE_FN(ofl_flow_removed_validate)
{
	if (m->flow_removed.reason > OFPRR_GROUP_DELETE)
		return ofl_fail(err, OFL_E_BAD_PACKET, "reason %u", m->flow_removed.reason);
	return ofl_match_validate(&m->flow_removed.match, err);
}

OFL_ENCODE_FN(ofl_flow_removed_encode)
{
	const struct ofl_flow_removed *fr = &m->flow_removed;
	struct ofp_flow_removed w;
	const size_t hdr = sizeof(struct ofp_header);

	memset(&w, 0, sizeof(w));
	w.cookie = htobe64(fr->cookie);
	w.priority = htobe16(fr->priority);
	w.reason = fr->reason;
	w.table_id = fr->table_id;
	w.duration_sec = htobe32(fr->duration_sec);
	w.duration_nsec = htobe32(fr->duration_nsec);
	w.idle_timeout = htobe16(fr->idle_timeout);
	w.hard_timeout = htobe16(fr->hard_timeout);
	w.packet_count = htobe64(fr->packet_count);
	w.byte_count = htobe64(fr->byte_count);
	ofl_buf_put(b, (const uint8_t *)&w + hdr, FR_FIXED - hdr);
	ofl_match_encode(b, &fr->match);
	return 0;
}
