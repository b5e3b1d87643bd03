/* Inside openflow/: byte helpers, the encode buffer, and the functions each
 * message-family file (ofl_<family>.c) offers the dispatcher (ofl_codec.c)
 * and its neighbours. Not for other folders: they include ofl_msg.h.
 */
#ifndef OFL_PRIV_H
#define OFL_PRIV_H

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ofl_msg.h"
#include "ofl_wire.h"

#define OFL_ALIGN8(n) (((n) + 7u) & ~(size_t)7u)

static inline uint16_t
ofl_get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return be16toh(v);
}

static inline uint32_t
ofl_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

/* Refusal with an OpenFlow error: fills 'err' and returns -e. */
#define ofl_fail(err, e, ...) iovs_errf((err), -(int)(e), __VA_ARGS__)

/* Encode buffer: appends never write past 'cap'; an overflow is sticky and
 * turns into -ENOSPC at the end, a host struct out of range ('invalid', set
 * by the encoder that notices) into -EINVAL. */
struct ofl_buf {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool overflow;
	bool invalid;
};

static inline void
ofl_buf_put(struct ofl_buf *b, const void *src, size_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

static inline void
ofl_buf_zeros(struct ofl_buf *b, size_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	memset(b->p + b->len, 0, n);
	b->len += n;
}

static inline void
ofl_buf_pad8(struct ofl_buf *b, size_t start)
{
	ofl_buf_zeros(b, OFL_ALIGN8(b->len - start) - (b->len - start));
}

static inline void
ofl_buf_put16(struct ofl_buf *b, uint16_t v)
{
	v = htobe16(v);
	ofl_buf_put(b, &v, sizeof(v));
}

static inline void
ofl_buf_put32(struct ofl_buf *b, uint32_t v)
{
	v = htobe32(v);
	ofl_buf_put(b, &v, sizeof(v));
}

/* Writes a length back at 'off' (a TLV header written earlier). */
static inline void
ofl_buf_set16(struct ofl_buf *b, size_t off, uint16_t v)
{
	if (b->overflow || off + 2 > b->len)
		return;
	v = htobe16(v);
	memcpy(b->p + off, &v, sizeof(v));
}

/* Where an action list sits: some rules differ (OFPP_TABLE only in packet-out). */
enum ofl_action_ctx { OFL_CTX_FLOW, OFL_CTX_PACKET_OUT, OFL_CTX_GROUP };

/* ofl_match.c */
struct ofl_oxm_spec {
	const char *name;
	uint8_t len;	/* value bytes; 0: unknown field */
	bool maskable;	/* OXM has_mask allowed (1.3.5 table 12) */
	bool supported; /* matched by iovs */
	bool settable;	/* allowed in set_field */
};
const struct ofl_oxm_spec *ofl_oxm_spec_of(uint8_t field);
/* Parses an ofp_match at 'p' (at most 'avail' bytes, padding included) and
 * sets '*used' to its padded length. */
int ofl_match_parse(const uint8_t *p, size_t avail, struct ofl_match *m, size_t *used,
		    struct iovs_err *err);
int ofl_match_validate(const struct ofl_match *m, struct iovs_err *err);
/* The checks of ofl_match_validate() for field m->f[i] alone (against the
 * whole match for its prerequisites): the CLI syntax names the word at fault. */
int ofl_match_validate_field(const struct ofl_match *m, unsigned i, struct iovs_err *err);
void ofl_match_encode(struct ofl_buf *b, const struct ofl_match *m);
/* One OXM TLV of exactly 'len' bytes (set_field's). */
int ofl_oxm_parse_one(const uint8_t *p, size_t avail, struct ofl_oxm *o, size_t *used,
		      struct iovs_err *err);
void ofl_oxm_encode(struct ofl_buf *b, const struct ofl_oxm *o);
/* What is wrong with the value of one field (range, VID bits), or NULL;
 * used by match (BAD_VALUE) and set_field (BAD_SET_ARGUMENT). */
const char *ofl_oxm_value_problem(const struct ofl_oxm *o);
const struct ofl_oxm *ofl_match_find(const struct ofl_match *m, uint8_t field);
/* Whether packets 'm' matches (with a VLAN tag pushed first if 'pushed')
 * have what a set-field of 'field' needs: its prerequisites, a tag for the
 * VLAN fields (1.3.5 7.2.5, OFPBAC_MATCH_INCONSISTENT). */
bool ofl_match_allows_set(const struct ofl_match *m, uint8_t field, bool pushed);

/* ofl_action.c */
int ofl_actions_parse(const uint8_t *p, size_t len, struct ofl_actions *a, struct iovs_err *err);
int ofl_actions_validate(const struct ofl_actions *a, enum ofl_action_ctx ctx,
			 struct iovs_err *err);
/* The checks of ofl_actions_validate() for one action. */
int ofl_action_validate(const struct ofl_action *a, enum ofl_action_ctx ctx, struct iovs_err *err);
void ofl_actions_encode(struct ofl_buf *b, const struct ofl_actions *a);
/* Set-fields of 'a' against the flow's match: 'ordered' for apply-actions
 * (a push counts from where it stands), else an action set (any push counts);
 * 'pushed' if an earlier list already pushed a tag. */
int ofl_actions_check_match(const struct ofl_actions *a, const struct ofl_match *m, bool ordered,
			    bool pushed, struct iovs_err *err);
bool ofl_actions_push_vlan(const struct ofl_actions *a);
int ofl_instructions_parse(const uint8_t *p, size_t len, struct ofl_instructions *ins,
			   struct iovs_err *err);
int ofl_instructions_validate(const struct ofl_instructions *ins, struct iovs_err *err);
void ofl_instructions_encode(struct ofl_buf *b, const struct ofl_instructions *ins);

/* ofl_group.c: buckets are shared with GROUP_DESC replies. */
int ofl_buckets_parse(const uint8_t *p, size_t len, struct ofl_bucket *bk, uint8_t *n,
		      struct iovs_err *err);
int ofl_buckets_validate(uint8_t type, const struct ofl_bucket *bk, uint8_t n,
			 struct iovs_err *err);
void ofl_buckets_encode(struct ofl_buf *b, const struct ofl_bucket *bk, uint8_t n);

/* ofl_meter.c: bands are shared with METER_CONFIG replies. */
int ofl_bands_parse(const uint8_t *p, size_t len, struct ofl_band *bands, uint8_t *n,
		    struct iovs_err *err);
void ofl_bands_encode(struct ofl_buf *b, const struct ofl_band *bands, uint8_t n);

/* ofl_port.c: ofp_port is shared with PORT_DESC replies. */
void ofl_port_decode(const uint8_t *p, struct ofl_port *port);
void ofl_port_encode(struct ofl_buf *b, const struct ofl_port *port);

/* One row per message type: total-length bounds checked before 'parse';
 * 'validate' (may be NULL) runs only in ofl_decode(); 'encode' writes the body
 * after the 8-byte header. */
struct ofl_msg_spec {
	const char *name;
	uint32_t min_len;
	uint32_t max_len;
	uint8_t mult; /* total length a multiple of this (1: any) */
	int (*parse)(const uint8_t *p, size_t len, struct ofl_msg *m, struct iovs_err *err);
	int (*validate)(const struct ofl_msg *m, struct iovs_err *err);
	int (*encode)(const struct ofl_msg *m, struct ofl_buf *b);
};

#define OFL_PARSE_FN(name)                                                                         \
	int name(const uint8_t *p, size_t len, struct ofl_msg *m, struct iovs_err *err)
#define OFL_VALIDATE_FN(name) int name(const struct ofl_msg *m, struct iovs_err *err)
#define OFL_ENCODE_FN(name)   int name(const struct ofl_msg *m, struct ofl_buf *b)

/* ofl_hello.c */
OFL_PARSE_FN(ofl_hello_parse);
OFL_ENCODE_FN(ofl_hello_encode);
OFL_PARSE_FN(ofl_error_parse);
OFL_ENCODE_FN(ofl_error_encode);
OFL_PARSE_FN(ofl_echo_parse);
OFL_ENCODE_FN(ofl_echo_encode);
OFL_PARSE_FN(ofl_empty_parse);
OFL_ENCODE_FN(ofl_empty_encode);
OFL_PARSE_FN(ofl_features_parse);
OFL_ENCODE_FN(ofl_features_encode);
OFL_PARSE_FN(ofl_config_parse);
OFL_VALIDATE_FN(ofl_config_validate);
OFL_ENCODE_FN(ofl_config_encode);
OFL_PARSE_FN(ofl_role_parse);
OFL_VALIDATE_FN(ofl_role_validate);
OFL_ENCODE_FN(ofl_role_encode);
OFL_PARSE_FN(ofl_async_parse);
OFL_ENCODE_FN(ofl_async_encode);
/* ofl_flow.c */
OFL_PARSE_FN(ofl_flow_mod_parse);
OFL_VALIDATE_FN(ofl_flow_mod_validate);
OFL_ENCODE_FN(ofl_flow_mod_encode);
OFL_PARSE_FN(ofl_flow_removed_parse);
OFL_VALIDATE_FN(ofl_flow_removed_validate);
OFL_ENCODE_FN(ofl_flow_removed_encode);
/* ofl_packet.c */
OFL_PARSE_FN(ofl_packet_in_parse);
OFL_VALIDATE_FN(ofl_packet_in_validate);
OFL_ENCODE_FN(ofl_packet_in_encode);
OFL_PARSE_FN(ofl_packet_out_parse);
OFL_VALIDATE_FN(ofl_packet_out_validate);
OFL_ENCODE_FN(ofl_packet_out_encode);
/* ofl_port.c */
OFL_PARSE_FN(ofl_port_status_parse);
OFL_VALIDATE_FN(ofl_port_status_validate);
OFL_ENCODE_FN(ofl_port_status_encode);
OFL_PARSE_FN(ofl_port_mod_parse);
OFL_VALIDATE_FN(ofl_port_mod_validate);
OFL_ENCODE_FN(ofl_port_mod_encode);
/* ofl_group.c */
OFL_PARSE_FN(ofl_group_mod_parse);
OFL_VALIDATE_FN(ofl_group_mod_validate);
OFL_ENCODE_FN(ofl_group_mod_encode);
/* ofl_meter.c */
OFL_PARSE_FN(ofl_meter_mod_parse);
OFL_VALIDATE_FN(ofl_meter_mod_validate);
OFL_ENCODE_FN(ofl_meter_mod_encode);
/* ofl_multipart.c */
OFL_PARSE_FN(ofl_mp_request_parse);
OFL_VALIDATE_FN(ofl_mp_request_validate);
OFL_ENCODE_FN(ofl_mp_request_encode);
OFL_PARSE_FN(ofl_mp_reply_parse);
OFL_ENCODE_FN(ofl_mp_reply_encode);
/* ofl_bundle.c */
OFL_PARSE_FN(ofl_bundle_ctrl_parse);
OFL_VALIDATE_FN(ofl_bundle_ctrl_validate);
OFL_ENCODE_FN(ofl_bundle_ctrl_encode);
OFL_PARSE_FN(ofl_bundle_add_parse);
OFL_VALIDATE_FN(ofl_bundle_add_validate);
OFL_ENCODE_FN(ofl_bundle_add_encode);
OFL_PARSE_FN(ofl_experimenter_parse);
OFL_VALIDATE_FN(ofl_experimenter_validate);
OFL_ENCODE_FN(ofl_experimenter_encode);

#endif
