/* Multipart requests and replies (1.3.5 A.3.5): a second dispatch table keyed
 * by multipart type with the body length rules of each request, the reply
 * bodies (fixed structs or arrays of entries), and struct ofl_mp_writer, which
 * splits a long reply into messages of at most 64 KB flagged REPLY_MORE
 * (7.3.5: "replies ... may span multiple messages").
 */
#include <inttypes.h>
#include <stdio.h>

#include "ofl_priv.h"

#define MP_HDR	  sizeof(struct ofp_multipart_hdr)
#define FSR_FIXED offsetof(struct ofp_flow_stats_request, match)
#define FS_FIXED  offsetof(struct ofp_flow_stats, match)

/* Request body: exact length, or VAR (flow/aggregate: fixed part + match).
 * Reply body: ENTRIES (array of entries), or an exact length. */
#define VAR	0xffffu
#define ENTRIES 0xfffeu
struct mp_spec {
	const char *name;
	uint16_t req_len;
	uint16_t reply_len;
};
static const struct mp_spec mp_specs[OFPMP__MAX] = {
	[OFPMP_DESC] = {"DESC", 0, sizeof(struct ofp_desc)},
	[OFPMP_FLOW] = {"FLOW", VAR, ENTRIES},
	[OFPMP_AGGREGATE] = {"AGGREGATE", VAR, sizeof(struct ofp_aggregate_stats_reply)},
	[OFPMP_TABLE] = {"TABLE", 0, ENTRIES},
	[OFPMP_PORT_STATS] = {"PORT_STATS", sizeof(struct ofp_port_stats_request), ENTRIES},
	[OFPMP_GROUP] = {"GROUP", sizeof(struct ofp_id_request), ENTRIES},
	[OFPMP_GROUP_DESC] = {"GROUP_DESC", 0, ENTRIES},
	[OFPMP_GROUP_FEATURES] = {"GROUP_FEATURES", 0, sizeof(struct ofp_group_features)},
	[OFPMP_METER] = {"METER", sizeof(struct ofp_id_request), ENTRIES},
	[OFPMP_METER_CONFIG] = {"METER_CONFIG", sizeof(struct ofp_id_request), ENTRIES},
	[OFPMP_METER_FEATURES] = {"METER_FEATURES", 0, sizeof(struct ofp_meter_features)},
	/* Read-only: a request with properties (a write) is refused in validate. */
	[OFPMP_TABLE_FEATURES] = {"TABLE_FEATURES", VAR, ENTRIES},
	[OFPMP_PORT_DESC] = {"PORT_DESC", 0, ENTRIES},
};

const char *
ofl_mp_type_name(uint16_t type)
{
	static __thread char unknown[sizeof("UNKNOWN(65535)")];

	if (type < OFPMP__MAX && mp_specs[type].name != NULL)
		return mp_specs[type].name;
	if (type == OFPMP_QUEUE)
		return "QUEUE";
	if (type == OFPMP_EXPERIMENTER)
		return "EXPERIMENTER";
	snprintf(unknown, sizeof(unknown), "UNKNOWN(%u)", type);
	return unknown;
}

static const struct mp_spec *
mp_spec_of(uint16_t type)
{
	return type < OFPMP__MAX && mp_specs[type].name != NULL ? &mp_specs[type] : NULL;
}

/* --- Requests --- */

static int
parse_flow_request(const uint8_t *p, size_t len, struct ofl_flow_stats_request *r,
		   struct iovs_err *err)
{
	struct ofp_flow_stats_request w;
	size_t used;
	int rc;

	if (len < sizeof(w))
		return ofl_fail(err, OFL_E_BAD_LEN, "body of %zu bytes, expected >= %zu", len,
				sizeof(w));
	memcpy(&w, p, FSR_FIXED);
	r->table_id = w.table_id;
	r->out_port = be32toh(w.out_port);
	r->out_group = be32toh(w.out_group);
	r->cookie = be64toh(w.cookie);
	r->cookie_mask = be64toh(w.cookie_mask);
	rc = ofl_match_parse(p + FSR_FIXED, len - FSR_FIXED, &r->match, &used, err);
	if (rc == 0 && FSR_FIXED + used != len)
		return ofl_fail(err, OFL_E_BAD_LEN, "%zu bytes after the match",
				len - FSR_FIXED - used);
	return rc;
}

OFL_PARSE_FN(ofl_mp_request_parse)
{
	struct ofl_mp_request *r = &m->mp_request;
	const struct mp_spec *s;
	const uint8_t *body = p + MP_HDR;
	size_t blen = len - MP_HDR;

	memset(r, 0, sizeof(*r));
	r->type = ofl_get16(p + 8);
	r->flags = ofl_get16(p + 10);
	s = mp_spec_of(r->type);
	if (s == NULL)
		return ofl_fail(err, OFL_E_BAD_MULTIPART, "multipart type %s not supported",
				ofl_mp_type_name(r->type));
	if (s->req_len != VAR && blen != s->req_len)
		return ofl_fail(err, OFL_E_BAD_LEN, "%s request body of %zu bytes, expected %u",
				s->name, blen, s->req_len);
	switch (r->type) {
	case OFPMP_FLOW:
	case OFPMP_AGGREGATE:
		return parse_flow_request(body, blen, &r->flow, err);
	case OFPMP_PORT_STATS:
		r->port_no = ofl_get32(body);
		break;
	case OFPMP_GROUP:
		r->group_id = ofl_get32(body);
		break;
	case OFPMP_METER:
	case OFPMP_METER_CONFIG:
		r->meter_id = ofl_get32(body);
		break;
	case OFPMP_TABLE_FEATURES:
		/* A body is a "set": iovs's tables are read-only (not kept). */
		if (blen != 0)
			return ofl_fail(err, OFL_E_TFF_EPERM, "table features are read-only");
		break;
	default:
		break;
	}
	return 0;
}

OFL_VALIDATE_FN(ofl_mp_request_validate)
{
	const struct ofl_mp_request *r = &m->mp_request;

	if (r->flags & OFPMPF_REQ_MORE)
		return ofl_fail(err, OFL_E_BAD_MULTIPART, "%s request with REQ_MORE",
				ofl_mp_type_name(r->type));
	if (r->type == OFPMP_FLOW || r->type == OFPMP_AGGREGATE)
		return ofl_match_validate(&r->flow.match, err);
	if (r->type == OFPMP_PORT_STATS &&
	    (r->port_no == 0 ||
	     (r->port_no > OFPP_MAX && r->port_no != OFPP_LOCAL && r->port_no != OFPP_ANY)))
		return ofl_fail(err, OFL_E_BAD_PORT, "port 0x%" PRIx32, r->port_no);
	return 0;
}

static void
put_mp_hdr_fields(struct ofl_buf *b, uint16_t type, uint16_t flags)
{
	ofl_buf_put16(b, type);
	ofl_buf_put16(b, flags);
	ofl_buf_zeros(b, 4);
}

OFL_ENCODE_FN(ofl_mp_request_encode)
{
	const struct ofl_mp_request *r = &m->mp_request;

	if (mp_spec_of(r->type) == NULL)
		return -EINVAL;
	put_mp_hdr_fields(b, r->type, r->flags & OFPMPF_REQ_MORE);
	switch (r->type) {
	case OFPMP_FLOW:
	case OFPMP_AGGREGATE: {
		struct ofp_flow_stats_request w;

		memset(&w, 0, sizeof(w));
		w.table_id = r->flow.table_id;
		w.out_port = htobe32(r->flow.out_port);
		w.out_group = htobe32(r->flow.out_group);
		w.cookie = htobe64(r->flow.cookie);
		w.cookie_mask = htobe64(r->flow.cookie_mask);
		ofl_buf_put(b, &w, FSR_FIXED);
		ofl_match_encode(b, &r->flow.match);
		break;
	}
	case OFPMP_PORT_STATS:
	case OFPMP_GROUP:
	case OFPMP_METER:
	case OFPMP_METER_CONFIG:
		ofl_buf_put32(b, r->type == OFPMP_PORT_STATS ? r->port_no
				 : r->type == OFPMP_GROUP    ? r->group_id
							     : r->meter_id);
		ofl_buf_zeros(b, 4);
		break;
	default:
		break;
	}
	return 0;
}

/* --- Reply entries: encoders --- */

static void
enc_flow_stats(struct ofl_buf *b, const void *e)
{
	const struct ofl_flow_stats *fs = e;
	struct ofp_flow_stats w;
	size_t start = b->len;

	memset(&w, 0, sizeof(w));
	w.table_id = fs->table_id;
	w.duration_sec = htobe32(fs->duration_sec);
	w.duration_nsec = htobe32(fs->duration_nsec);
	w.priority = htobe16(fs->priority);
	w.idle_timeout = htobe16(fs->idle_timeout);
	w.hard_timeout = htobe16(fs->hard_timeout);
	w.flags = htobe16(fs->flags);
	w.cookie = htobe64(fs->cookie);
	w.packet_count = htobe64(fs->packet_count);
	w.byte_count = htobe64(fs->byte_count);
	ofl_buf_put(b, &w, FS_FIXED);
	ofl_match_encode(b, &fs->match);
	ofl_instructions_encode(b, &fs->ins);
	ofl_buf_set16(b, start, (uint16_t)(b->len - start));
}

static void
enc_table_stats(struct ofl_buf *b, const void *e)
{
	const struct ofl_table_stats *ts = e;
	struct ofp_table_stats w;

	memset(&w, 0, sizeof(w));
	w.table_id = ts->table_id;
	w.active_count = htobe32(ts->active_count);
	w.lookup_count = htobe64(ts->lookup_count);
	w.matched_count = htobe64(ts->matched_count);
	ofl_buf_put(b, &w, sizeof(w));
}

static void
enc_port_stats(struct ofl_buf *b, const void *e)
{
	const struct ofl_port_stats *ps = e;
	const uint64_t c[12] = {ps->rx_packets,	  ps->tx_packets,  ps->rx_bytes,   ps->tx_bytes,
				ps->rx_dropped,	  ps->tx_dropped,  ps->rx_errors,  ps->tx_errors,
				ps->rx_frame_err, ps->rx_over_err, ps->rx_crc_err, ps->collisions};

	ofl_buf_put32(b, ps->port_no);
	ofl_buf_zeros(b, 4);
	for (int i = 0; i < 12; i++) {
		uint64_t v = htobe64(c[i]);

		ofl_buf_put(b, &v, sizeof(v));
	}
	ofl_buf_put32(b, ps->duration_sec);
	ofl_buf_put32(b, ps->duration_nsec);
}

static void
enc_port(struct ofl_buf *b, const void *e)
{
	ofl_port_encode(b, e);
}

static void
put_counters(struct ofl_buf *b, const struct ofl_counter_pair *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t v[2] = {htobe64(c[i].packet_count), htobe64(c[i].byte_count)};

		ofl_buf_put(b, v, sizeof(v));
	}
}

static void
enc_group_stats(struct ofl_buf *b, const void *e)
{
	const struct ofl_group_stats *gs = e;
	struct ofp_group_stats w;
	unsigned n = gs->n_buckets < OFL_MAX_BUCKETS ? gs->n_buckets : OFL_MAX_BUCKETS;

	memset(&w, 0, sizeof(w));
	w.length = htobe16((uint16_t)(sizeof(w) + 16 * n));
	w.group_id = htobe32(gs->group_id);
	w.ref_count = htobe32(gs->ref_count);
	w.packet_count = htobe64(gs->packet_count);
	w.byte_count = htobe64(gs->byte_count);
	w.duration_sec = htobe32(gs->duration_sec);
	w.duration_nsec = htobe32(gs->duration_nsec);
	ofl_buf_put(b, &w, sizeof(w));
	put_counters(b, gs->buckets, n);
}

static void
enc_group_desc(struct ofl_buf *b, const void *e)
{
	const struct ofl_group_desc *gd = e;
	size_t start = b->len;

	ofl_buf_put16(b, 0);
	ofl_buf_put(b, &gd->type, 1);
	ofl_buf_zeros(b, 1);
	ofl_buf_put32(b, gd->group_id);
	ofl_buckets_encode(b, gd->buckets, gd->n_buckets);
	ofl_buf_set16(b, start, (uint16_t)(b->len - start));
}

static void
enc_meter_stats(struct ofl_buf *b, const void *e)
{
	const struct ofl_meter_stats *ms = e;
	struct ofp_meter_stats w;
	unsigned n = ms->n_bands < OFL_MAX_BANDS ? ms->n_bands : OFL_MAX_BANDS;

	memset(&w, 0, sizeof(w));
	w.meter_id = htobe32(ms->meter_id);
	w.len = htobe16((uint16_t)(sizeof(w) + 16 * n));
	w.flow_count = htobe32(ms->flow_count);
	w.packet_in_count = htobe64(ms->packet_in_count);
	w.byte_in_count = htobe64(ms->byte_in_count);
	w.duration_sec = htobe32(ms->duration_sec);
	w.duration_nsec = htobe32(ms->duration_nsec);
	ofl_buf_put(b, &w, sizeof(w));
	put_counters(b, ms->bands, n);
}

static void
enc_meter_config(struct ofl_buf *b, const void *e)
{
	const struct ofl_meter_config *mc = e;
	size_t start = b->len;

	ofl_buf_put16(b, 0);
	ofl_buf_put16(b, mc->flags);
	ofl_buf_put32(b, mc->meter_id);
	ofl_bands_encode(b, mc->bands, mc->n_bands);
	ofl_buf_set16(b, start, (uint16_t)(b->len - start));
}

/* Size of one id in a table-features property, by property type. */
static unsigned
tf_id_size(uint16_t type)
{
	switch (type) {
	case OFPTFPT_INSTRUCTIONS:
	case OFPTFPT_INSTRUCTIONS_MISS:
	case OFPTFPT_WRITE_ACTIONS:
	case OFPTFPT_WRITE_ACTIONS_MISS:
	case OFPTFPT_APPLY_ACTIONS:
	case OFPTFPT_APPLY_ACTIONS_MISS:
		return 4; /* type + len (= 4) */
	case OFPTFPT_NEXT_TABLES:
	case OFPTFPT_NEXT_TABLES_MISS:
		return 1;
	case OFPTFPT_MATCH:
	case OFPTFPT_WILDCARDS:
	case OFPTFPT_WRITE_SETFIELD:
	case OFPTFPT_WRITE_SETFIELD_MISS:
	case OFPTFPT_APPLY_SETFIELD:
	case OFPTFPT_APPLY_SETFIELD_MISS:
		return 5; /* 4-byte OXM header; 5 marks "OXM" */
	default:
		return 0;
	}
}

static void
enc_table_features(struct ofl_buf *b, const void *e)
{
	const struct ofl_table_features *tf = e;
	struct ofp_table_features w;
	size_t start = b->len;

	memset(&w, 0, sizeof(w));
	w.table_id = tf->table_id;
	memcpy(w.name, tf->name, sizeof(w.name));
	w.metadata_match = htobe64(tf->metadata_match);
	w.metadata_write = htobe64(tf->metadata_write);
	w.config = htobe32(tf->config);
	w.max_entries = htobe32(tf->max_entries);
	ofl_buf_put(b, &w, sizeof(w));
	for (unsigned i = 0; i < tf->n_props && i < OFL_MAX_TF_PROPS; i++) {
		const struct ofl_tf_prop *pr = &tf->props[i];
		unsigned sz = tf_id_size(pr->type), n = pr->n_ids;
		size_t pstart = b->len;

		if (sz == 0 || n > OFL_MAX_TF_IDS) {
			b->invalid = true;
			return;
		}
		ofl_buf_put16(b, pr->type);
		ofl_buf_put16(b, (uint16_t)(4 + n * (sz == 5 ? 4 : sz)));
		for (unsigned k = 0; k < n; k++) {
			if (sz == 1) {
				uint8_t id = (uint8_t)pr->ids[k];

				ofl_buf_put(b, &id, 1);
			} else if (sz == 4) {
				ofl_buf_put16(b, (uint16_t)pr->ids[k]);
				ofl_buf_put16(b, 4);
			} else {
				ofl_buf_put32(b, pr->ids[k]);
			}
		}
		ofl_buf_pad8(b, pstart);
	}
	ofl_buf_set16(b, start, (uint16_t)(b->len - start));
}

/* --- Reply entries: parsers. Each gets the bytes left and returns the
 * entry length it consumed in '*used'. --- */

static int
entry_len(const uint8_t *p, size_t avail, size_t min, size_t *elen, struct iovs_err *err)
{
	uint16_t l;

	if (avail < min)
		return ofl_fail(err, OFL_E_BAD_LEN, "entry cut at %zu bytes, expected >= %zu",
				avail, min);
	l = ofl_get16(p);
	if (l < min || l % 8 != 0 || l > avail)
		return ofl_fail(err, OFL_E_BAD_LEN, "entry length %u with %zu bytes left", l,
				avail);
	*elen = l;
	return 0;
}

static int
parse_flow_stats(const uint8_t *p, size_t avail, struct ofl_flow_stats *fs, size_t *used,
		 struct iovs_err *err)
{
	struct ofp_flow_stats w;
	size_t elen, mlen;
	int rc = entry_len(p, avail, sizeof(w), &elen, err);

	if (rc != 0)
		return rc;
	memcpy(&w, p, FS_FIXED);
	fs->table_id = w.table_id;
	fs->duration_sec = be32toh(w.duration_sec);
	fs->duration_nsec = be32toh(w.duration_nsec);
	fs->priority = be16toh(w.priority);
	fs->idle_timeout = be16toh(w.idle_timeout);
	fs->hard_timeout = be16toh(w.hard_timeout);
	fs->flags = be16toh(w.flags);
	fs->cookie = be64toh(w.cookie);
	fs->packet_count = be64toh(w.packet_count);
	fs->byte_count = be64toh(w.byte_count);
	rc = ofl_match_parse(p + FS_FIXED, elen - FS_FIXED, &fs->match, &mlen, err);
	if (rc == 0)
		rc = ofl_instructions_parse(p + FS_FIXED + mlen, elen - FS_FIXED - mlen, &fs->ins,
					    err);
	*used = elen;
	return rc;
}

static void
dec_table_stats(const uint8_t *p, struct ofl_table_stats *ts)
{
	struct ofp_table_stats w;

	memcpy(&w, p, sizeof(w));
	ts->table_id = w.table_id;
	ts->active_count = be32toh(w.active_count);
	ts->lookup_count = be64toh(w.lookup_count);
	ts->matched_count = be64toh(w.matched_count);
}

static void
dec_port_stats(const uint8_t *p, struct ofl_port_stats *ps)
{
	uint64_t c[12];

	ps->port_no = ofl_get32(p);
	for (int i = 0; i < 12; i++) {
		memcpy(&c[i], p + 8 + 8 * i, 8);
		c[i] = be64toh(c[i]);
	}
	ps->rx_packets = c[0];
	ps->tx_packets = c[1];
	ps->rx_bytes = c[2];
	ps->tx_bytes = c[3];
	ps->rx_dropped = c[4];
	ps->tx_dropped = c[5];
	ps->rx_errors = c[6];
	ps->tx_errors = c[7];
	ps->rx_frame_err = c[8];
	ps->rx_over_err = c[9];
	ps->rx_crc_err = c[10];
	ps->collisions = c[11];
	ps->duration_sec = ofl_get32(p + 104);
	ps->duration_nsec = ofl_get32(p + 108);
}

static void
get_counters(const uint8_t *p, struct ofl_counter_pair *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t v[2];

		memcpy(v, p + 16 * i, sizeof(v));
		c[i].packet_count = be64toh(v[0]);
		c[i].byte_count = be64toh(v[1]);
	}
}

static int
parse_group_stats(const uint8_t *p, size_t avail, struct ofl_group_stats *gs, size_t *used,
		  struct iovs_err *err)
{
	struct ofp_group_stats w;
	size_t elen, n;
	int rc = entry_len(p, avail, sizeof(w), &elen, err);

	if (rc != 0)
		return rc;
	n = (elen - sizeof(w)) / 16;
	if ((elen - sizeof(w)) % 16 != 0 || n > OFL_MAX_BUCKETS)
		return ofl_fail(err, OFL_E_BAD_LEN, "group stats of %zu bytes", elen);
	memcpy(&w, p, sizeof(w));
	gs->group_id = be32toh(w.group_id);
	gs->ref_count = be32toh(w.ref_count);
	gs->packet_count = be64toh(w.packet_count);
	gs->byte_count = be64toh(w.byte_count);
	gs->duration_sec = be32toh(w.duration_sec);
	gs->duration_nsec = be32toh(w.duration_nsec);
	gs->n_buckets = (uint8_t)n;
	get_counters(p + sizeof(w), gs->buckets, (unsigned)n);
	*used = elen;
	return 0;
}

static int
parse_group_desc(const uint8_t *p, size_t avail, struct ofl_group_desc *gd, size_t *used,
		 struct iovs_err *err)
{
	struct ofp_group_desc w;
	size_t elen;
	int rc = entry_len(p, avail, sizeof(w), &elen, err);

	if (rc != 0)
		return rc;
	memcpy(&w, p, sizeof(w));
	gd->type = w.type;
	gd->group_id = be32toh(w.group_id);
	*used = elen;
	return ofl_buckets_parse(p + sizeof(w), elen - sizeof(w), gd->buckets, &gd->n_buckets, err);
}

static int
parse_meter_stats(const uint8_t *p, size_t avail, struct ofl_meter_stats *ms, size_t *used,
		  struct iovs_err *err)
{
	struct ofp_meter_stats w;
	size_t elen, n;

	if (avail < sizeof(w))
		return ofl_fail(err, OFL_E_BAD_LEN, "meter stats cut at %zu bytes", avail);
	memcpy(&w, p, sizeof(w));
	elen = be16toh(w.len);
	n = (elen - sizeof(w)) / 16;
	if (elen < sizeof(w) || elen > avail || (elen - sizeof(w)) % 16 != 0 || n > OFL_MAX_BANDS)
		return ofl_fail(err, OFL_E_BAD_LEN, "meter stats of %zu bytes, %zu left", elen,
				avail);
	ms->meter_id = be32toh(w.meter_id);
	ms->flow_count = be32toh(w.flow_count);
	ms->packet_in_count = be64toh(w.packet_in_count);
	ms->byte_in_count = be64toh(w.byte_in_count);
	ms->duration_sec = be32toh(w.duration_sec);
	ms->duration_nsec = be32toh(w.duration_nsec);
	ms->n_bands = (uint8_t)n;
	get_counters(p + sizeof(w), ms->bands, (unsigned)n);
	*used = elen;
	return 0;
}

static int
parse_meter_config(const uint8_t *p, size_t avail, struct ofl_meter_config *mc, size_t *used,
		   struct iovs_err *err)
{
	struct ofp_meter_config w;
	size_t elen;
	int rc = entry_len(p, avail, sizeof(w), &elen, err);

	if (rc != 0)
		return rc;
	memcpy(&w, p, sizeof(w));
	mc->flags = be16toh(w.flags);
	mc->meter_id = be32toh(w.meter_id);
	*used = elen;
	return ofl_bands_parse(p + sizeof(w), elen - sizeof(w), mc->bands, &mc->n_bands, err);
}

static int
parse_tf_prop(const uint8_t *p, size_t plen, struct ofl_tf_prop *pr, struct iovs_err *err)
{
	unsigned sz = tf_id_size(pr->type), step = sz == 5 ? 4 : sz;
	size_t n;

	if (sz == 0)
		return ofl_fail(err, OFL_E_TFF_BAD_TYPE, "property type 0x%x", pr->type);
	if ((plen - 4) % step != 0 || (n = (plen - 4) / step) > OFL_MAX_TF_IDS)
		return ofl_fail(err, OFL_E_TFF_BAD_LEN, "property 0x%x of %zu bytes", pr->type,
				plen);
	pr->n_ids = (uint8_t)n;
	for (size_t k = 0; k < n; k++) {
		const uint8_t *q = p + 4 + k * step;

		if (sz == 1) {
			pr->ids[k] = q[0];
		} else if (sz == 4) {
			if (ofl_get16(q + 2) != 4) /* experimenter ids: not supported */
				return ofl_fail(err, OFL_E_TFF_BAD_LEN, "id of length %u",
						ofl_get16(q + 2));
			pr->ids[k] = ofl_get16(q);
		} else {
			pr->ids[k] = ofl_get32(q);
		}
	}
	return 0;
}

static int
parse_table_features(const uint8_t *p, size_t avail, struct ofl_table_features *tf, size_t *used,
		     struct iovs_err *err)
{
	struct ofp_table_features w;
	size_t elen, off;
	int rc = entry_len(p, avail, sizeof(w), &elen, err);

	if (rc != 0)
		return rc;
	memcpy(&w, p, sizeof(w));
	tf->table_id = w.table_id;
	memcpy(tf->name, w.name, sizeof(tf->name));
	tf->metadata_match = be64toh(w.metadata_match);
	tf->metadata_write = be64toh(w.metadata_write);
	tf->config = be32toh(w.config);
	tf->max_entries = be32toh(w.max_entries);
	tf->n_props = 0;
	for (off = sizeof(w); off < elen;) {
		uint16_t plen;
		size_t padded;

		if (elen - off < 4)
			return ofl_fail(err, OFL_E_TFF_BAD_LEN, "property cut");
		plen = ofl_get16(p + off + 2);
		padded = OFL_ALIGN8(plen);
		if (plen < 4 || padded > elen - off)
			return ofl_fail(err, OFL_E_TFF_BAD_LEN, "property length %u, %zu left",
					plen, elen - off);
		if (tf->n_props >= OFL_MAX_TF_PROPS)
			return ofl_fail(err, OFL_E_TFF_BAD_LEN, "more than %u properties",
					OFL_MAX_TF_PROPS);
		for (size_t i = plen; i < padded; i++)
			if (p[off + i] != 0)
				return ofl_fail(err, OFL_E_TFF_BAD_LEN, "padding not zero");
		tf->props[tf->n_props].type = ofl_get16(p + off);
		rc = parse_tf_prop(p + off, plen, &tf->props[tf->n_props], err);
		if (rc != 0)
			return rc;
		tf->n_props++;
		off += padded;
	}
	*used = elen;
	return 0;
}

/* The wire size of one entry of a fixed-size reply array, 0 for variable ones. */
static size_t
fixed_entry_size(uint16_t type)
{
	switch (type) {
	case OFPMP_TABLE:
		return sizeof(struct ofp_table_stats);
	case OFPMP_PORT_STATS:
		return sizeof(struct ofp_port_stats);
	case OFPMP_PORT_DESC:
		return sizeof(struct ofp_port);
	default:
		return 0;
	}
}

static size_t entry_cap(uint16_t type);

/* Entry number r->n of a reply, at 'p' with 'avail' bytes left. */
static int
parse_one_entry(struct ofl_mp_reply *r, const uint8_t *p, size_t avail, size_t *used,
		struct iovs_err *err)
{
	switch (r->type) {
	case OFPMP_TABLE:
		dec_table_stats(p, &r->tables[r->n]);
		return 0;
	case OFPMP_PORT_STATS:
		dec_port_stats(p, &r->port_stats[r->n]);
		return 0;
	case OFPMP_PORT_DESC:
		ofl_port_decode(p, &r->ports[r->n]);
		return 0;
	case OFPMP_FLOW:
		return parse_flow_stats(p, avail, &r->flows[r->n], used, err);
	case OFPMP_GROUP:
		return parse_group_stats(p, avail, &r->groups[r->n], used, err);
	case OFPMP_GROUP_DESC:
		return parse_group_desc(p, avail, &r->group_descs[r->n], used, err);
	case OFPMP_METER:
		return parse_meter_stats(p, avail, &r->meters[r->n], used, err);
	case OFPMP_METER_CONFIG:
		return parse_meter_config(p, avail, &r->meter_configs[r->n], used, err);
	default:
		return parse_table_features(p, avail, &r->table_features[r->n], used, err);
	}
}

/* Arrays of entries: fixed-size ones divide the body, variable ones walk it. */
static int
parse_entries(struct ofl_mp_reply *r, const uint8_t *body, size_t blen, struct iovs_err *err)
{
	size_t fixed = fixed_entry_size(r->type), cap = entry_cap(r->type), off = 0;

	if (fixed != 0 && blen % fixed != 0)
		return ofl_fail(err, OFL_E_BAD_LEN, "body of %zu bytes, not whole %zu-byte entries",
				blen, fixed);
	for (r->n = 0; off < blen; r->n++) {
		size_t used = fixed;
		int rc;

		if (r->n >= cap)
			return ofl_fail(err, OFL_E_MULTIPART_BUFFER_OVERFLOW,
					"more than %zu entries", cap);
		rc = parse_one_entry(r, body + off, blen - off, &used, err);
		if (rc != 0)
			return iovs_err_prefix(err, rc, "entry %u", r->n);
		off += used;
	}
	return 0;
}

/* DESC, AGGREGATE, GROUP_FEATURES, METER_FEATURES: one struct, size checked. */
static void
parse_fixed_reply(struct ofl_mp_reply *r, const uint8_t *body)
{
	switch (r->type) {
	case OFPMP_DESC:
		/* Five char arrays, copied as they are (NUL-padded, maybe unterminated). */
		memcpy(r->desc.mfr_desc, body + offsetof(struct ofp_desc, mfr_desc), DESC_STR_LEN);
		memcpy(r->desc.hw_desc, body + offsetof(struct ofp_desc, hw_desc), DESC_STR_LEN);
		memcpy(r->desc.sw_desc, body + offsetof(struct ofp_desc, sw_desc), DESC_STR_LEN);
		memcpy(r->desc.serial_num, body + offsetof(struct ofp_desc, serial_num),
		       SERIAL_NUM_LEN);
		memcpy(r->desc.dp_desc, body + offsetof(struct ofp_desc, dp_desc), DESC_STR_LEN);
		break;
	case OFPMP_AGGREGATE: {
		struct ofp_aggregate_stats_reply w;

		memcpy(&w, body, sizeof(w));
		r->aggregate.packet_count = be64toh(w.packet_count);
		r->aggregate.byte_count = be64toh(w.byte_count);
		r->aggregate.flow_count = be32toh(w.flow_count);
		break;
	}
	case OFPMP_GROUP_FEATURES:
		r->group_features.types = ofl_get32(body);
		r->group_features.capabilities = ofl_get32(body + 4);
		for (int i = 0; i < 4; i++) {
			r->group_features.max_groups[i] = ofl_get32(body + 8 + 4 * i);
			r->group_features.actions[i] = ofl_get32(body + 24 + 4 * i);
		}
		break;
	default: { /* METER_FEATURES */
		struct ofp_meter_features w;

		memcpy(&w, body, sizeof(w));
		r->meter_features.max_meter = be32toh(w.max_meter);
		r->meter_features.band_types = be32toh(w.band_types);
		r->meter_features.capabilities = be32toh(w.capabilities);
		r->meter_features.max_bands = w.max_bands;
		r->meter_features.max_color = w.max_color;
		break;
	}
	}
}

OFL_PARSE_FN(ofl_mp_reply_parse)
{
	struct ofl_mp_reply *r = &m->mp_reply;
	const struct mp_spec *s;
	const uint8_t *body = p + MP_HDR;
	size_t blen = len - MP_HDR;

	r->type = ofl_get16(p + 8);
	r->flags = ofl_get16(p + 10);
	r->n = 0;
	s = mp_spec_of(r->type);
	if (s == NULL)
		return ofl_fail(err, OFL_E_BAD_MULTIPART, "multipart type %s not supported",
				ofl_mp_type_name(r->type));
	if (s->reply_len == ENTRIES)
		return parse_entries(r, body, blen, err);
	if (blen != s->reply_len)
		return ofl_fail(err, OFL_E_BAD_LEN, "%s reply body of %zu bytes, expected %u",
				s->name, blen, s->reply_len);
	parse_fixed_reply(r, body);
	return 0;
}

typedef void (*enc_entry_fn)(struct ofl_buf *b, const void *e);

/* The encoder and host-array stride of each ENTRIES reply. */
static enc_entry_fn
entry_encoder(uint16_t type, const struct ofl_mp_reply *r, const void **first, size_t *stride)
{
#define ARR(a, fn)                                                                                 \
	do {                                                                                       \
		*first = r->a;                                                                     \
		*stride = sizeof(r->a[0]);                                                         \
		return fn;                                                                         \
	} while (0)
	switch (type) {
	case OFPMP_FLOW:
		ARR(flows, enc_flow_stats);
	case OFPMP_TABLE:
		ARR(tables, enc_table_stats);
	case OFPMP_PORT_STATS:
		ARR(port_stats, enc_port_stats);
	case OFPMP_PORT_DESC:
		ARR(ports, enc_port);
	case OFPMP_GROUP:
		ARR(groups, enc_group_stats);
	case OFPMP_GROUP_DESC:
		ARR(group_descs, enc_group_desc);
	case OFPMP_METER:
		ARR(meters, enc_meter_stats);
	case OFPMP_METER_CONFIG:
		ARR(meter_configs, enc_meter_config);
	case OFPMP_TABLE_FEATURES:
		ARR(table_features, enc_table_features);
	default:
		return NULL;
	}
#undef ARR
}

static size_t
entry_cap(uint16_t type)
{
	switch (type) {
	case OFPMP_FLOW:
		return OFL_MAX_MP_FLOWS;
	case OFPMP_TABLE:
		return OFL_MAX_MP_TABLES;
	case OFPMP_PORT_STATS:
	case OFPMP_PORT_DESC:
		return OFL_MAX_MP_PORTS;
	case OFPMP_GROUP:
		return OFL_MAX_MP_GROUPS;
	case OFPMP_GROUP_DESC:
		return OFL_MAX_MP_GROUP_DESCS;
	case OFPMP_METER:
	case OFPMP_METER_CONFIG:
		return OFL_MAX_MP_METERS;
	default:
		return OFL_MAX_MP_TABLE_FEAT;
	}
}

static void
encode_fixed_reply(struct ofl_buf *b, const struct ofl_mp_reply *r)
{
	switch (r->type) {
	case OFPMP_DESC:
		ofl_buf_put(b, r->desc.mfr_desc, DESC_STR_LEN);
		ofl_buf_put(b, r->desc.hw_desc, DESC_STR_LEN);
		ofl_buf_put(b, r->desc.sw_desc, DESC_STR_LEN);
		ofl_buf_put(b, r->desc.serial_num, SERIAL_NUM_LEN);
		ofl_buf_put(b, r->desc.dp_desc, DESC_STR_LEN);
		break;
	case OFPMP_AGGREGATE: {
		struct ofp_aggregate_stats_reply w;

		memset(&w, 0, sizeof(w));
		w.packet_count = htobe64(r->aggregate.packet_count);
		w.byte_count = htobe64(r->aggregate.byte_count);
		w.flow_count = htobe32(r->aggregate.flow_count);
		ofl_buf_put(b, &w, sizeof(w));
		break;
	}
	case OFPMP_GROUP_FEATURES:
		ofl_buf_put32(b, r->group_features.types);
		ofl_buf_put32(b, r->group_features.capabilities);
		for (int i = 0; i < 4; i++)
			ofl_buf_put32(b, r->group_features.max_groups[i]);
		for (int i = 0; i < 4; i++)
			ofl_buf_put32(b, r->group_features.actions[i]);
		break;
	default: { /* METER_FEATURES */
		struct ofp_meter_features w;

		memset(&w, 0, sizeof(w));
		w.max_meter = htobe32(r->meter_features.max_meter);
		w.band_types = htobe32(r->meter_features.band_types);
		w.capabilities = htobe32(r->meter_features.capabilities);
		w.max_bands = r->meter_features.max_bands;
		w.max_color = r->meter_features.max_color;
		ofl_buf_put(b, &w, sizeof(w));
		break;
	}
	}
}

OFL_ENCODE_FN(ofl_mp_reply_encode)
{
	const struct ofl_mp_reply *r = &m->mp_reply;
	const struct mp_spec *s = mp_spec_of(r->type);
	const void *first;
	size_t stride;
	enc_entry_fn fn;

	if (s == NULL)
		return -EINVAL;
	put_mp_hdr_fields(b, r->type, r->flags & OFPMPF_REPLY_MORE);
	if (s->reply_len != ENTRIES) {
		encode_fixed_reply(b, r);
		return 0;
	}
	fn = entry_encoder(r->type, r, &first, &stride);
	if (fn == NULL || r->n > entry_cap(r->type))
		return -EINVAL;
	for (unsigned i = 0; i < r->n; i++)
		fn(b, (const uint8_t *)first + i * stride);
	return 0;
}

/* --- The splitting writer --- */

void
ofl_mp_writer_init(struct ofl_mp_writer *w, uint8_t *buf, size_t cap, size_t max_msg, uint32_t xid,
		   uint16_t mp_type)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	w->max_msg = max_msg == 0 || max_msg > OFL_MAX_MSG_LEN ? OFL_MAX_MSG_LEN : max_msg;
	w->xid = xid;
	w->type = mp_type;
	if (w->max_msg < MP_HDR || mp_spec_of(mp_type) == NULL ||
	    mp_specs[mp_type].reply_len != ENTRIES)
		w->rc = -EINVAL;
}

static void
mp_start(struct ofl_mp_writer *w)
{
	struct ofl_buf b = {.p = w->buf, .cap = w->cap, .len = w->len};
	struct ofp_header h = {
		.version = OFP13_VERSION, .type = OFPT_MULTIPART_REPLY, .xid = htobe32(w->xid)};

	ofl_buf_put(&b, &h, sizeof(h));
	put_mp_hdr_fields(&b, w->type, 0);
	if (b.overflow) {
		w->rc = -ENOSPC;
		return;
	}
	w->msg_start = w->len;
	w->len = b.len;
	w->n_msgs++;
}

static void
mp_close(struct ofl_mp_writer *w, bool more)
{
	struct ofl_buf b = {.p = w->buf, .cap = w->cap, .len = w->len};

	ofl_buf_set16(&b, w->msg_start + 2, (uint16_t)(w->len - w->msg_start));
	ofl_buf_set16(&b, w->msg_start + 10, more ? OFPMPF_REPLY_MORE : 0);
}

static int
mp_add(struct ofl_mp_writer *w, enc_entry_fn fn, const void *e, uint16_t type)
{
	struct ofl_buf b;
	size_t elen;

	if (w->rc == 0 && type != w->type)
		w->rc = -EINVAL;
	if (w->rc == 0 && w->n_msgs == 0)
		mp_start(w);
	if (w->rc != 0)
		return w->rc;
	b = (struct ofl_buf){.p = w->buf, .cap = w->cap, .len = w->len};
	fn(&b, e);
	if (b.invalid)
		return w->rc = -EINVAL;
	if (b.overflow)
		return w->rc = -ENOSPC;
	elen = b.len - w->len;
	if (elen > w->max_msg - MP_HDR)
		return w->rc = -EMSGSIZE;
	if (b.len - w->msg_start > w->max_msg) {
		/* Move the entry behind a fresh header; the full message gets MORE. */
		if (w->cap - b.len < MP_HDR)
			return w->rc = -ENOSPC;
		memmove(w->buf + w->len + MP_HDR, w->buf + w->len, elen);
		mp_close(w, true);
		mp_start(w);
		if (w->rc != 0)
			return w->rc;
	}
	w->len += elen;
	return 0;
}

int
ofl_mp_add_flow(struct ofl_mp_writer *w, const struct ofl_flow_stats *fs)
{
	return mp_add(w, enc_flow_stats, fs, OFPMP_FLOW);
}

int
ofl_mp_add_table(struct ofl_mp_writer *w, const struct ofl_table_stats *ts)
{
	return mp_add(w, enc_table_stats, ts, OFPMP_TABLE);
}

int
ofl_mp_add_port_stats(struct ofl_mp_writer *w, const struct ofl_port_stats *ps)
{
	return mp_add(w, enc_port_stats, ps, OFPMP_PORT_STATS);
}

int
ofl_mp_add_port(struct ofl_mp_writer *w, const struct ofl_port *p)
{
	return mp_add(w, enc_port, p, OFPMP_PORT_DESC);
}

int
ofl_mp_add_group(struct ofl_mp_writer *w, const struct ofl_group_stats *gs)
{
	return mp_add(w, enc_group_stats, gs, OFPMP_GROUP);
}

int
ofl_mp_add_group_desc(struct ofl_mp_writer *w, const struct ofl_group_desc *gd)
{
	return mp_add(w, enc_group_desc, gd, OFPMP_GROUP_DESC);
}

int
ofl_mp_add_meter(struct ofl_mp_writer *w, const struct ofl_meter_stats *ms)
{
	return mp_add(w, enc_meter_stats, ms, OFPMP_METER);
}

int
ofl_mp_add_meter_config(struct ofl_mp_writer *w, const struct ofl_meter_config *mc)
{
	return mp_add(w, enc_meter_config, mc, OFPMP_METER_CONFIG);
}

int
ofl_mp_add_table_features(struct ofl_mp_writer *w, const struct ofl_table_features *tf)
{
	return mp_add(w, enc_table_features, tf, OFPMP_TABLE_FEATURES);
}

int
ofl_mp_writer_finish(struct ofl_mp_writer *w)
{
	if (w->rc == 0 && w->n_msgs == 0)
		mp_start(w);
	if (w->rc != 0)
		return w->rc;
	mp_close(w, false);
	return (int)w->len;
}
