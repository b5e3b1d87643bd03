/* METER_MOD (1.3.5 A.3.4.4, 5.7): a meter and its bands. iovs implements drop
 * bands; DSCP_REMARK parses and is refused (METER_MOD_FAILED/BAD_BAND). Bands
 * are shared with METER_CONFIG replies.
 */
#include <inttypes.h>

#include "ofl_priv.h"

int
ofl_bands_parse(const uint8_t *p, size_t len, struct ofl_band *bands, uint8_t *n,
		struct iovs_err *err)
{
	size_t off = 0;

	*n = 0;
	while (off < len) {
		struct ofp_meter_band w;
		uint16_t blen;

		if (len - off < sizeof(w))
			return ofl_fail(err, OFL_E_MMF_BAD_BAND, "band cut at %zu bytes",
					len - off);
		memcpy(&w, p + off, sizeof(w));
		blen = be16toh(w.len);
		/* drop and dscp_remark bands are 16 bytes */
		if (blen != sizeof(w) || blen > len - off)
			return ofl_fail(err, OFL_E_MMF_BAD_BAND,
					"band length %u with %zu bytes left", blen, len - off);
		if (be16toh(w.type) != OFPMBT_DROP && be16toh(w.type) != OFPMBT_DSCP_REMARK)
			return ofl_fail(err, OFL_E_MMF_BAD_BAND, "band type %u unknown",
					be16toh(w.type));
		if (*n >= OFL_MAX_BANDS)
			return ofl_fail(err, OFL_E_MMF_OUT_OF_BANDS, "more than %u bands",
					OFL_MAX_BANDS);
		bands[*n] = (struct ofl_band){
			.type = be16toh(w.type),
			.rate = be32toh(w.rate),
			.burst_size = be32toh(w.burst_size),
			.prec_level = be16toh(w.type) == OFPMBT_DSCP_REMARK ? w.prec_level : 0,
		};
		(*n)++;
		off += blen;
	}
	return 0;
}

void
ofl_bands_encode(struct ofl_buf *b, const struct ofl_band *bands, uint8_t n)
{
	for (unsigned i = 0; i < n && i < OFL_MAX_BANDS; i++) {
		struct ofp_meter_band w;

		memset(&w, 0, sizeof(w));
		w.type = htobe16(bands[i].type);
		w.len = htobe16(sizeof(w));
		w.rate = htobe32(bands[i].rate);
		w.burst_size = htobe32(bands[i].burst_size);
		w.prec_level = bands[i].prec_level;
		ofl_buf_put(b, &w, sizeof(w));
	}
}

OFL_PARSE_FN(ofl_meter_mod_parse)
{
	struct ofl_meter_mod *mm = &m->meter_mod;
	struct ofp_meter_mod w;

	memcpy(&w, p, sizeof(w));
	mm->command = be16toh(w.command);
	mm->flags = be16toh(w.flags);
	mm->meter_id = be32toh(w.meter_id);
	return ofl_bands_parse(p + sizeof(w), len - sizeof(w), mm->bands, &mm->n_bands, err);
}

/* 5.7.1: one of KBPS/PKTPS; rates > 0; meter ids 1..OFPM_MAX or a virtual
 * meter (and ALL for delete). burst_size is ignored without OFPMF_BURST, as the spec says. */
OFL_VALIDATE_FN(ofl_meter_mod_validate)
{
	const struct ofl_meter_mod *mm = &m->meter_mod;

	if (mm->command > OFPMC_DELETE)
		return ofl_fail(err, OFL_E_MMF_BAD_COMMAND, "command %u", mm->command);
	/* 7.3.4.4: SLOWPATH and CONTROLLER are virtual meters a controller may
	 * configure; ALL only names every meter in a delete. */
	if (mm->meter_id == 0 || (mm->meter_id > OFPM_MAX && mm->meter_id != OFPM_SLOWPATH &&
				  mm->meter_id != OFPM_CONTROLLER &&
				  !(mm->command == OFPMC_DELETE && mm->meter_id == OFPM_ALL)))
		return ofl_fail(err, OFL_E_MMF_INVALID_METER, "meter 0x%" PRIx32, mm->meter_id);
	if (mm->command == OFPMC_DELETE)
		return 0;
	if ((mm->flags & ~OFPMF_ALL) ||
	    ((mm->flags & OFPMF_KBPS) != 0) == ((mm->flags & OFPMF_PKTPS) != 0))
		return ofl_fail(err, OFL_E_MMF_BAD_FLAGS, "flags 0x%x", mm->flags);
	if (mm->n_bands == 0)
		return ofl_fail(err, OFL_E_MMF_BAD_BAND, "no band");
	for (unsigned i = 0; i < mm->n_bands && i < OFL_MAX_BANDS; i++) {
		const struct ofl_band *bd = &mm->bands[i];

		if (bd->type != OFPMBT_DROP)
			return ofl_fail(err, OFL_E_MMF_BAD_BAND, "band %u: type %u not supported",
					i, bd->type);
		if (bd->rate == 0)
			return ofl_fail(err, OFL_E_MMF_BAD_RATE, "band %u: rate 0", i);
	}
	return 0;
}

OFL_ENCODE_FN(ofl_meter_mod_encode)
{
	const struct ofl_meter_mod *mm = &m->meter_mod;

	ofl_buf_put16(b, mm->command);
	ofl_buf_put16(b, mm->flags);
	ofl_buf_put32(b, mm->meter_id);
	ofl_bands_encode(b, mm->bands, mm->n_bands);
	return 0;
}
