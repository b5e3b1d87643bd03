/* OpenFlow host structs ↔ the pipeline's (ofl_xlate.h). Called by the agent's
 * table handlers (ofl_tables.c); pure. */
#include <stddef.h>
#include <string.h>

#include "ofl_priv.h"
#include "ofl_wire.h"
#include "ofl_xlate.h"

/* One row per OXM field the pipeline matches: where it sits in the key and,
 * when settable, its set_field action field. */
struct xfield {
	uint16_t ofs;
	uint8_t len; /* bytes in the key (1, 2, 4, 8: host order; 6, 16: wire order) */
	int8_t act;  /* enum vsw_act_field, -1: not settable */
};

#define K(f) offsetof(struct vsw_flow_key, f), sizeof(((struct vsw_flow_key *)0)->f)
/* clang-format off */
static const struct xfield xfields[OFPXMT_OFB__MAX] = {
	[OFPXMT_OFB_IN_PORT]        = {K(in_port), -1},
	[OFPXMT_OFB_IN_PHY_PORT]    = {K(in_port), -1},
	[OFPXMT_OFB_METADATA]       = {K(metadata), -1},
	[OFPXMT_OFB_ETH_DST]        = {K(eth_dst), VSW_ACT_F_ETH_DST},
	[OFPXMT_OFB_ETH_SRC]        = {K(eth_src), VSW_ACT_F_ETH_SRC},
	[OFPXMT_OFB_ETH_TYPE]       = {K(eth_type), VSW_ACT_F_ETH_TYPE},
	[OFPXMT_OFB_VLAN_VID]       = {K(vlan_vid), VSW_ACT_F_VLAN_VID},
	[OFPXMT_OFB_VLAN_PCP]       = {K(vlan_pcp), VSW_ACT_F_VLAN_PCP},
	[OFPXMT_OFB_IP_DSCP]        = {K(ip_dscp), VSW_ACT_F_IP_DSCP},
	[OFPXMT_OFB_IP_ECN]         = {K(ip_ecn), VSW_ACT_F_IP_ECN},
	[OFPXMT_OFB_IP_PROTO]       = {K(ip_proto), VSW_ACT_F_IP_PROTO},
	[OFPXMT_OFB_IPV4_SRC]       = {K(ipv4_src), VSW_ACT_F_IPV4_SRC},
	[OFPXMT_OFB_IPV4_DST]       = {K(ipv4_dst), VSW_ACT_F_IPV4_DST},
	[OFPXMT_OFB_TCP_SRC]        = {K(tp_src), VSW_ACT_F_TP_SRC},
	[OFPXMT_OFB_TCP_DST]        = {K(tp_dst), VSW_ACT_F_TP_DST},
	[OFPXMT_OFB_UDP_SRC]        = {K(tp_src), VSW_ACT_F_TP_SRC},
	[OFPXMT_OFB_UDP_DST]        = {K(tp_dst), VSW_ACT_F_TP_DST},
	[OFPXMT_OFB_SCTP_SRC]       = {K(tp_src), VSW_ACT_F_TP_SRC},
	[OFPXMT_OFB_SCTP_DST]       = {K(tp_dst), VSW_ACT_F_TP_DST},
	[OFPXMT_OFB_ICMPV4_TYPE]    = {K(icmpv4_type), VSW_ACT_F_ICMPV4_TYPE},
	[OFPXMT_OFB_ICMPV4_CODE]    = {K(icmpv4_code), VSW_ACT_F_ICMPV4_CODE},
	[OFPXMT_OFB_ARP_OP]         = {K(arp_op), VSW_ACT_F_ARP_OP},
	[OFPXMT_OFB_ARP_SPA]        = {K(arp_spa), VSW_ACT_F_ARP_SPA},
	[OFPXMT_OFB_ARP_TPA]        = {K(arp_tpa), VSW_ACT_F_ARP_TPA},
	[OFPXMT_OFB_ARP_SHA]        = {K(arp_sha), VSW_ACT_F_ARP_SHA},
	[OFPXMT_OFB_ARP_THA]        = {K(arp_tha), VSW_ACT_F_ARP_THA},
	[OFPXMT_OFB_IPV6_SRC]       = {K(ipv6_src), VSW_ACT_F_IPV6_SRC},
	[OFPXMT_OFB_IPV6_DST]       = {K(ipv6_dst), VSW_ACT_F_IPV6_DST},
	[OFPXMT_OFB_ICMPV6_TYPE]    = {K(icmpv6_type), VSW_ACT_F_ICMPV6_TYPE},
	[OFPXMT_OFB_ICMPV6_CODE]    = {K(icmpv6_code), VSW_ACT_F_ICMPV6_CODE},
	[OFPXMT_OFB_IPV6_ND_TARGET] = {K(nd_target), VSW_ACT_F_ND_TARGET},
	[OFPXMT_OFB_IPV6_ND_SLL]    = {K(nd_sll), VSW_ACT_F_ND_SLL},
	[OFPXMT_OFB_IPV6_ND_TLL]    = {K(nd_tll), VSW_ACT_F_ND_TLL},
};
/* clang-format on */
#undef K

static bool
is_bytes(const struct xfield *x)
{
	return x->len == 6 || x->len == 16;
}

/* Big-endian OXM bytes → the key's host-order integer of x->len bytes. */
static void
put_field(uint8_t *base, const struct xfield *x, const uint8_t *v, uint8_t vlen)
{
	uint64_t n = 0;

	if (is_bytes(x)) {
		memcpy(base + x->ofs, v, x->len);
		return;
	}
	for (unsigned i = 0; i < vlen; i++)
		n = n << 8 | v[i];
	switch (x->len) {
	case 1:
		base[x->ofs] = (uint8_t)n;
		break;
	case 2: {
		uint16_t t = (uint16_t)n;
		memcpy(base + x->ofs, &t, 2);
		break;
	}
	case 4: {
		uint32_t t = (uint32_t)n;
		memcpy(base + x->ofs, &t, 4);
		break;
	}
	default:
		memcpy(base + x->ofs, &n, 8);
		break;
	}
}

static uint64_t
get_int(const uint8_t *base, const struct xfield *x)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (x->len) {
	case 1:
		memcpy(&u8, base + x->ofs, 1);
		return u8;
	case 2:
		memcpy(&u16, base + x->ofs, 2);
		return u16;
	case 4:
		memcpy(&u32, base + x->ofs, 4);
		return u32;
	default:
		memcpy(&u64, base + x->ofs, 8);
		return u64;
	}
}

/* The key's field → big-endian OXM bytes ('olen' of them). */
static void
get_field(const uint8_t *base, const struct xfield *x, uint8_t *v, uint8_t olen)
{
	uint64_t n;

	if (is_bytes(x)) {
		memcpy(v, base + x->ofs, x->len);
		return;
	}
	n = get_int(base, x);
	for (int i = olen - 1; i >= 0; i--, n >>= 8)
		v[i] = (uint8_t)n;
}

int
ofl_xlate_match(const struct ofl_match *m, struct vsw_flow_key *key, struct vsw_flow_key *mask)
{
	static const uint8_t ones[OFL_OXM_MAX_VALUE] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
							0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
							0xff, 0xff, 0xff, 0xff};

	memset(key, 0, sizeof(*key));
	memset(mask, 0, sizeof(*mask));
	for (unsigned i = 0; i < m->n; i++) {
		const struct ofl_oxm *o = &m->f[i];
		const struct xfield *x = o->field < OFPXMT_OFB__MAX ? &xfields[o->field] : NULL;

		if (x == NULL || x->len == 0)
			return -OFL_E_BMC_BAD_FIELD;
		put_field((uint8_t *)key, x, o->value, o->len);
		put_field((uint8_t *)mask, x, o->has_mask ? o->mask : ones, o->len);
	}
	vsw_flow_key_apply_mask(key, key, mask);
	return 0;
}

static bool
field_masked(const uint8_t *mask, const struct xfield *x)
{
	for (unsigned i = 0; i < x->len; i++)
		if (mask[x->ofs + i] != 0)
			return true;
	return false;
}

void
ofl_xlate_match_back(const struct vsw_flow_key *key, const struct vsw_flow_key *mask,
		     struct ofl_match *m)
{
	const uint8_t *k = (const uint8_t *)key, *mk = (const uint8_t *)mask;

	m->n = 0;
	for (unsigned f = 0; f < OFPXMT_OFB__MAX; f++) {
		const struct xfield *x = &xfields[f];
		const struct ofl_oxm_spec *s = ofl_oxm_spec_of((uint8_t)f);
		struct ofl_oxm *o;
		uint8_t proto = mask->ip_proto ? key->ip_proto : 0;

		if (x->len == 0 || f == OFPXMT_OFB_IN_PHY_PORT || !field_masked(mk, x))
			continue;
		if (x->ofs == offsetof(struct vsw_flow_key, tp_src) ||
		    x->ofs == offsetof(struct vsw_flow_key, tp_dst)) {
			unsigned want = proto == 6    ? OFPXMT_OFB_TCP_SRC
					: proto == 17 ? OFPXMT_OFB_UDP_SRC
						      : OFPXMT_OFB_SCTP_SRC;
			if (f != want && f != want + 1)
				continue;
		}
		o = &m->f[m->n++];
		memset(o, 0, sizeof(*o));
		o->field = (uint8_t)f;
		o->len = s->len;
		get_field(k, x, o->value, s->len);
		get_field(mk, x, o->mask, s->len);
		o->has_mask = false;
		for (unsigned i = 0; i < s->len; i++)
			if (o->mask[i] != 0xff &&
			    !(f == OFPXMT_OFB_VLAN_VID && i == 0 && o->mask[i] == 0x1f))
				o->has_mask = true;
		if (!o->has_mask)
			memset(o->mask, 0, sizeof(o->mask));
	}
}

static int
act_field(const struct ofl_oxm *o, struct vsw_act *a)
{
	const struct xfield *x = o->field < OFPXMT_OFB__MAX ? &xfields[o->field] : NULL;
	uint8_t tmp[16] = {0};

	if (x == NULL || x->act < 0)
		return -OFL_E_BAC_BAD_SET_TYPE;
	a->type = VSW_ACT_SET_FIELD;
	a->field = (uint8_t)x->act;
	if (is_bytes(x)) {
		memcpy(a->bytes, o->value, x->len);
		return 0;
	}
	put_field(tmp, &(struct xfield){0, x->len, 0}, o->value, o->len);
	a->u32 = (uint32_t)get_int(tmp, &(struct xfield){0, x->len, 0});
	if (a->field == VSW_ACT_F_VLAN_VID)
		a->u32 &= 0x0fff;
	return 0;
}

int
ofl_xlate_actions(const struct ofl_actions *in, struct vsw_act *out)
{
	for (unsigned i = 0; i < in->n; i++) {
		const struct ofl_action *s = &in->a[i];
		struct vsw_act *a = &out[i];
		int rc;

		memset(a, 0, sizeof(*a));
		switch (s->type) {
		case OFPAT_OUTPUT:
			a->type = VSW_ACT_OUTPUT;
			a->u32 = s->output.port;
			a->u16 = s->output.max_len;
			break;
		case OFPAT_SET_FIELD:
			rc = act_field(&s->set_field, a);
			if (rc != 0)
				return rc;
			break;
		case OFPAT_PUSH_VLAN:
			a->type = VSW_ACT_PUSH_VLAN;
			a->u16 = s->ethertype;
			break;
		case OFPAT_POP_VLAN:
			a->type = VSW_ACT_POP_VLAN;
			break;
		case OFPAT_DEC_NW_TTL:
			a->type = VSW_ACT_DEC_NW_TTL;
			break;
		case OFPAT_SET_NW_TTL:
			a->type = VSW_ACT_SET_NW_TTL;
			a->u32 = s->ttl;
			break;
		case OFPAT_SET_QUEUE:
			a->type = VSW_ACT_SET_QUEUE;
			a->u32 = s->queue_id;
			break;
		case OFPAT_GROUP:
			a->type = VSW_ACT_GROUP;
			a->u32 = s->group_id;
			break;
		default: /* copy_ttl_in/out and what the codec already refuses */
			return -OFL_E_BAC_BAD_TYPE;
		}
	}
	return in->n;
}

/* The OXM field a set_field action writes, for 'proto' (tp_* ports). */
static uint8_t
oxm_of_act_field(unsigned af, uint8_t proto)
{
	for (unsigned f = 0; f < OFPXMT_OFB__MAX; f++) {
		if (xfields[f].len == 0 || xfields[f].act != (int8_t)af)
			continue;
		if (af == VSW_ACT_F_TP_SRC || af == VSW_ACT_F_TP_DST) {
			unsigned base = proto == 17    ? OFPXMT_OFB_UDP_SRC
					: proto == 132 ? OFPXMT_OFB_SCTP_SRC
						       : OFPXMT_OFB_TCP_SRC;
			return (uint8_t)(base + (af == VSW_ACT_F_TP_DST));
		}
		return (uint8_t)f;
	}
	return 0;
}

void
ofl_xlate_actions_back(const struct vsw_act *acts, size_t n, uint32_t local_port,
		       struct ofl_actions *out)
{
	out->n = 0;
	for (size_t i = 0; i < n && out->n < OFL_MAX_ACTIONS; i++) {
		const struct vsw_act *a = &acts[i];
		struct ofl_action *d = &out->a[out->n++];

		memset(d, 0, sizeof(*d));
		d->type = OFPAT_OUTPUT;
		d->output.max_len = a->u16;
		switch (a->type) {
		case VSW_ACT_OUTPUT:
			d->output.port = a->u32 == local_port && local_port != VSW_ACT_PORT_ANY
						 ? OFPP_LOCAL
						 : a->u32;
			d->output.max_len = 0;
			break;
		case VSW_ACT_OUT_IN_PORT:
			d->output.port = OFPP_IN_PORT;
			break;
		case VSW_ACT_OUT_NORMAL:
			d->output.port = OFPP_NORMAL;
			break;
		case VSW_ACT_OUT_FLOOD:
			d->output.port = OFPP_FLOOD;
			break;
		case VSW_ACT_OUT_ALL:
			d->output.port = OFPP_ALL;
			break;
		case VSW_ACT_OUT_CONTROLLER:
			d->output.port = OFPP_CONTROLLER;
			break;
		case VSW_ACT_OUT_TABLE:
			d->output.port = OFPP_TABLE;
			break;
		case VSW_ACT_SET_FIELD: {
			uint8_t f = oxm_of_act_field(a->field, 0);
			const struct ofl_oxm_spec *s = ofl_oxm_spec_of(f);
			const struct xfield *x = &xfields[f];
			uint8_t tmp[16] = {0};
			uint32_t v = a->u32;

			d->type = OFPAT_SET_FIELD;
			d->set_field.field = f;
			d->set_field.len = s->len;
			if (is_bytes(x)) {
				memcpy(d->set_field.value, a->bytes, x->len);
				break;
			}
			if (a->field == VSW_ACT_F_VLAN_VID)
				v |= VSW_FLOW_VID_PRESENT;
			memcpy(tmp, &v, sizeof(v));
			if (x->len == 1)
				tmp[0] = (uint8_t)v;
			else if (x->len == 2) {
				uint16_t t = (uint16_t)v;

				memcpy(tmp, &t, 2);
			}
			get_field(tmp, &(struct xfield){0, x->len, 0}, d->set_field.value, s->len);
			break;
		}
		case VSW_ACT_PUSH_VLAN:
			d->type = OFPAT_PUSH_VLAN;
			d->ethertype = a->u16;
			break;
		case VSW_ACT_POP_VLAN:
			d->type = OFPAT_POP_VLAN;
			break;
		case VSW_ACT_DEC_NW_TTL:
			d->type = OFPAT_DEC_NW_TTL;
			break;
		case VSW_ACT_SET_NW_TTL:
			d->type = OFPAT_SET_NW_TTL;
			d->ttl = (uint8_t)a->u32;
			break;
		case VSW_ACT_SET_QUEUE:
			d->type = OFPAT_SET_QUEUE;
			d->queue_id = a->u32;
			break;
		case VSW_ACT_GROUP:
			d->type = OFPAT_GROUP;
			d->group_id = a->u32;
			break;
		default:
			out->n--;
			break;
		}
	}
}

void
ofl_xlate_actions_proto(struct ofl_actions *acts, uint8_t ip_proto)
{
	unsigned base = ip_proto == 17	  ? OFPXMT_OFB_UDP_SRC
			: ip_proto == 132 ? OFPXMT_OFB_SCTP_SRC
					  : 0;

	for (unsigned i = 0; base != 0 && i < acts->n && i < OFL_MAX_ACTIONS; i++) {
		struct ofl_oxm *o = &acts->a[i].set_field;

		if (acts->a[i].type == OFPAT_SET_FIELD &&
		    (o->field == OFPXMT_OFB_TCP_SRC || o->field == OFPXMT_OFB_TCP_DST))
			o->field = (uint8_t)(base + (o->field - OFPXMT_OFB_TCP_SRC));
	}
}

int
ofl_xlate_insts(const struct ofl_instructions *in, struct ofl_xlate_insts *out)
{
	struct vsw_act_insts *vi = &out->insts;
	int n;

	memset(vi, 0, sizeof(*vi));
	vi->goto_table = VSW_ACT_NO_TABLE;
	vi->apply = out->apply;
	vi->write = out->write;
	if (ofl_instructions_has(in, OFPIT_APPLY_ACTIONS)) {
		n = ofl_xlate_actions(&in->apply, out->apply);
		if (n < 0)
			return n;
		vi->n_apply = (size_t)n;
	}
	if (ofl_instructions_has(in, OFPIT_WRITE_ACTIONS)) {
		n = ofl_xlate_actions(&in->write, out->write);
		if (n < 0)
			return n;
		vi->n_write = (size_t)n;
	}
	vi->clear = ofl_instructions_has(in, OFPIT_CLEAR_ACTIONS);
	if (ofl_instructions_has(in, OFPIT_WRITE_METADATA)) {
		vi->write_metadata = true;
		vi->metadata = in->metadata;
		vi->metadata_mask = in->metadata_mask;
	}
	if (ofl_instructions_has(in, OFPIT_GOTO_TABLE))
		vi->goto_table = in->goto_table;
	if (ofl_instructions_has(in, OFPIT_METER))
		vi->meter_id = in->meter_id;
	return 0;
}

void
ofl_xlate_prog_back(const struct vsw_act_prog *prog, uint32_t local_port,
		    struct ofl_instructions *out)
{
	memset(out, 0, sizeof(*out));
	if (prog == NULL)
		return;
	if (prog->meter_id != 0) {
		out->order[out->n++] = OFPIT_METER;
		out->meter_id = prog->meter_id;
	}
	if (prog->n_apply > 0) {
		out->order[out->n++] = OFPIT_APPLY_ACTIONS;
		ofl_xlate_actions_back(prog->ops, prog->n_apply, local_port, &out->apply);
	}
	if (prog->flags & VSW_ACT_P_CLEAR)
		out->order[out->n++] = OFPIT_CLEAR_ACTIONS;
	if (prog->n_write > 0) {
		out->order[out->n++] = OFPIT_WRITE_ACTIONS;
		ofl_xlate_actions_back(prog->ops + prog->n_apply, prog->n_write, local_port,
				       &out->write);
	}
	if (prog->flags & VSW_ACT_P_METADATA) {
		out->order[out->n++] = OFPIT_WRITE_METADATA;
		out->metadata = prog->metadata;
		out->metadata_mask = prog->metadata_mask;
	}
	if (prog->flags & VSW_ACT_P_GOTO) {
		out->order[out->n++] = OFPIT_GOTO_TABLE;
		out->goto_table = prog->goto_table;
	}
}

int
ofl_xlate_flow_mod(const struct ofl_flow_mod *in, struct vsw_pl_flow_mod *out,
		   struct ofl_xlate_insts *store)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (in->command > OFPFC_DELETE_STRICT)
		return -OFL_E_FMF_BAD_COMMAND;
	out->cmd = (enum vsw_pl_cmd)in->command;
	out->table_id = in->table_id;
	rc = ofl_xlate_match(&in->match, &out->key, &out->mask);
	if (rc != 0)
		return rc;
	out->priority = in->priority;
	out->cookie = in->cookie;
	out->cookie_mask = in->cookie_mask;
	out->flags = in->flags;
	out->idle_timeout = in->idle_timeout;
	out->hard_timeout = in->hard_timeout;
	out->out_port = in->command >= OFPFC_DELETE ? in->out_port : VSW_ACT_PORT_ANY;
	out->out_group = in->command >= OFPFC_DELETE ? in->out_group : VSW_ACT_GROUP_ANY;
	if (in->command >= OFPFC_DELETE) {
		memset(&out->insts, 0, sizeof(out->insts));
		out->insts.goto_table = VSW_ACT_NO_TABLE;
		return 0;
	}
	rc = ofl_xlate_insts(&in->ins, store);
	if (rc != 0)
		return rc;
	out->insts = store->insts;
	return 0;
}

int
ofl_xlate_err(enum vsw_act_err e)
{
	/* clang-format off */
	static const int map[VSW_ACT_E__MAX] = {
		[VSW_ACT_OK]                   = 0,
		[VSW_ACT_E_NOMEM]              = OFL_E_FMF_UNKNOWN,
		[VSW_ACT_E_BAD_TYPE]           = OFL_E_BAC_BAD_TYPE,
		[VSW_ACT_E_BAD_OUT_PORT]       = OFL_E_BAC_BAD_OUT_PORT,
		[VSW_ACT_E_BAD_OUT_GROUP]      = OFL_E_BAC_BAD_OUT_GROUP,
		[VSW_ACT_E_BAD_ARGUMENT]       = OFL_E_BAC_BAD_ARGUMENT,
		[VSW_ACT_E_BAD_SET_TYPE]       = OFL_E_BAC_BAD_SET_TYPE,
		[VSW_ACT_E_BAD_SET_ARGUMENT]   = OFL_E_BAC_BAD_SET_ARGUMENT,
		[VSW_ACT_E_MATCH_INCONSISTENT] = OFL_E_BAC_MATCH_INCONSISTENT,
		[VSW_ACT_E_TOO_MANY]           = OFL_E_BAC_TOO_MANY,
		[VSW_ACT_E_BAD_TABLE_ID]       = OFL_E_BIC_BAD_TABLE_ID,
		[VSW_ACT_E_UNKNOWN_METER]      = OFL_E_MMF_UNKNOWN_METER,
		[VSW_ACT_E_BAD_TABLE]          = OFL_E_FMF_BAD_TABLE_ID,
		[VSW_ACT_E_OVERLAP]            = OFL_E_FMF_OVERLAP,
		[VSW_ACT_E_BAD_COMMAND]        = OFL_E_FMF_BAD_COMMAND,
		[VSW_ACT_E_GROUP_EXISTS]       = OFL_E_GMF_GROUP_EXISTS,
		[VSW_ACT_E_UNKNOWN_GROUP]      = OFL_E_GMF_UNKNOWN_GROUP,
		[VSW_ACT_E_INVALID_GROUP]      = OFL_E_GMF_INVALID_GROUP,
		[VSW_ACT_E_BAD_GROUP_TYPE]     = OFL_E_GMF_BAD_TYPE,
		[VSW_ACT_E_BAD_WATCH]          = OFL_E_GMF_BAD_WATCH,
		[VSW_ACT_E_GROUP_LOOP]         = OFL_E_GMF_LOOP,
		[VSW_ACT_E_METER_EXISTS]       = OFL_E_MMF_METER_EXISTS,
		[VSW_ACT_E_INVALID_METER]      = OFL_E_MMF_INVALID_METER,
		[VSW_ACT_E_BAD_RATE]           = OFL_E_MMF_BAD_RATE,
		[VSW_ACT_E_BAD_BAND]           = OFL_E_MMF_BAD_BAND,
		[VSW_ACT_E_BAD_FLAGS]          = OFL_E_MMF_BAD_FLAGS,
		[VSW_ACT_E_NO_TXN]             = OFL_E_FMF_UNKNOWN,
	};
	/* clang-format on */

	if ((unsigned)e >= VSW_ACT_E__MAX)
		return -OFL_E_FMF_UNKNOWN;
	return -map[e];
}
