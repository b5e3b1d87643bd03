/* GROUP_MOD (1.3.5 A.3.4.2, 5.6): the group and its buckets, each with an
 * action list (ofl_action.c). Buckets are shared with GROUP_DESC replies.
 */
#include <inttypes.h>

#include "ofl_priv.h"

#define HDR sizeof(struct ofp_header)

int
ofl_buckets_parse(const uint8_t *p, size_t len, struct ofl_bucket *bk, uint8_t *n,
		  struct iovs_err *err)
{
	size_t off = 0;

	*n = 0;
	while (off < len) {
		struct ofp_bucket w;
		uint16_t blen;
		int rc;

		if (len - off < sizeof(w))
			return ofl_fail(err, OFL_E_GMF_BAD_BUCKET, "bucket cut at %zu bytes",
					len - off);
		memcpy(&w, p + off, sizeof(w));
		blen = be16toh(w.len);
		if (blen < sizeof(w) || blen % 8 != 0 || blen > len - off)
			return ofl_fail(err, OFL_E_GMF_BAD_BUCKET,
					"bucket length %u with %zu bytes left", blen, len - off);
		if (*n >= OFL_MAX_BUCKETS)
			return ofl_fail(err, OFL_E_GMF_OUT_OF_BUCKETS, "more than %u buckets",
					OFL_MAX_BUCKETS);
		bk[*n].weight = be16toh(w.weight);
		bk[*n].watch_port = be32toh(w.watch_port);
		bk[*n].watch_group = be32toh(w.watch_group);
		rc = ofl_actions_parse(p + off + sizeof(w), blen - sizeof(w), &bk[*n].actions, err);
		if (rc != 0)
			return iovs_err_prefix(err, rc, "bucket %u", *n);
		(*n)++;
		off += blen;
	}
	return 0;
}

/* 5.6.1: weights only for select, watches only for fast failover (where one
 * is required), indirect has exactly one bucket. */
int
ofl_buckets_validate(uint8_t type, const struct ofl_bucket *bk, uint8_t n, struct iovs_err *err)
{
	if (n > OFL_MAX_BUCKETS)
		return ofl_fail(err, OFL_E_GMF_OUT_OF_BUCKETS, "%u buckets", n);
	if (type == OFPGT_INDIRECT && n != 1)
		return ofl_fail(err, OFL_E_GMF_BAD_BUCKET, "indirect group with %u buckets", n);
	for (unsigned i = 0; i < n; i++) {
		const struct ofl_bucket *k = &bk[i];
		int rc;

		if (type != OFPGT_SELECT && k->weight != 0)
			return ofl_fail(err, OFL_E_GMF_WEIGHT_UNSUPPORTED,
					"bucket %u: weight %u outside a select group", i,
					k->weight);
		if (type == OFPGT_FF && k->watch_port == OFPP_ANY && k->watch_group == OFPG_ANY)
			return ofl_fail(err, OFL_E_GMF_BAD_WATCH,
					"bucket %u: fast failover without a watch", i);
		if (type != OFPGT_FF && (k->watch_port != OFPP_ANY || k->watch_group != OFPG_ANY))
			return ofl_fail(err, OFL_E_GMF_WATCH_UNSUPPORTED,
					"bucket %u: watch outside fast failover", i);
		if (k->watch_group != OFPG_ANY && k->watch_group > OFPG_MAX)
			return ofl_fail(err, OFL_E_GMF_BAD_WATCH, "bucket %u: watch_group 0x%x", i,
					k->watch_group);
		rc = ofl_actions_validate(&k->actions, OFL_CTX_GROUP, err);
		if (rc != 0)
			return iovs_err_prefix(err, rc, "bucket %u", i);
	}
	return 0;
}

void
ofl_buckets_encode(struct ofl_buf *b, const struct ofl_bucket *bk, uint8_t n)
{
	for (unsigned i = 0; i < n && i < OFL_MAX_BUCKETS; i++) {
		size_t start = b->len;

		ofl_buf_put16(b, 0);
		ofl_buf_put16(b, bk[i].weight);
		ofl_buf_put32(b, bk[i].watch_port);
		ofl_buf_put32(b, bk[i].watch_group);
		ofl_buf_zeros(b, 4);
		ofl_actions_encode(b, &bk[i].actions);
		ofl_buf_set16(b, start, (uint16_t)(b->len - start));
	}
}

OFL_PARSE_FN(ofl_group_mod_parse)
{
	struct ofl_group_mod *gm = &m->group_mod;
	struct ofp_group_mod w;

	memcpy(&w, p, sizeof(w));
	gm->command = be16toh(w.command);
	gm->type = w.type;
	gm->group_id = be32toh(w.group_id);
	return ofl_buckets_parse(p + sizeof(w), len - sizeof(w), gm->buckets, &gm->n_buckets, err);
}

OFL_VALIDATE_FN(ofl_group_mod_validate)
{
	const struct ofl_group_mod *gm = &m->group_mod;

	if (gm->command > OFPGC_DELETE)
		return ofl_fail(err, OFL_E_GMF_BAD_COMMAND, "command %u", gm->command);
	/* DELETE takes OFPG_ALL; ADD and MODIFY need a real group id. */
	if (gm->group_id > OFPG_MAX && !(gm->command == OFPGC_DELETE && gm->group_id == OFPG_ALL))
		return ofl_fail(err, OFL_E_GMF_INVALID_GROUP, "group 0x%" PRIx32, gm->group_id);
	if (gm->command == OFPGC_DELETE)
		return 0;
	if (gm->type > OFPGT_FF)
		return ofl_fail(err, OFL_E_GMF_BAD_TYPE, "type %u", gm->type);
	return ofl_buckets_validate(gm->type, gm->buckets, gm->n_buckets, err);
}

OFL_ENCODE_FN(ofl_group_mod_encode)
{
	const struct ofl_group_mod *gm = &m->group_mod;

	ofl_buf_put16(b, gm->command);
	ofl_buf_put(b, &gm->type, 1);
	ofl_buf_zeros(b, 1);
	ofl_buf_put32(b, gm->group_id);
	ofl_buckets_encode(b, gm->buckets, gm->n_buckets);
	return 0;
}
