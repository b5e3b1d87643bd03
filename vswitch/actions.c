/* OpenFlow 1.3 actions: validation and compilation (pure, control side), the
 * action set, and the packet-modifying actions on DPDK mbufs (fast path:
 * no malloc, no logs). The pipeline (pipeline.c) runs outputs and groups; the
 * design note and the checksum rules are in actions.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_mbuf.h>

#include "actions.h"
#include "iovs_pkt.h"
#include "offload.h"

#define ETH_HLEN      14
#define VLAN_HLEN     4
#define ETH_IPV4      0x0800
#define ETH_ARP	      0x0806
#define ETH_IPV6      0x86dd
#define ETH_VLAN      0x8100
#define ETH_QINQ      0x88a8
#define PROTO_ICMP    1
#define PROTO_TCP     6
#define PROTO_UDP     17
#define PROTO_ICMPV6  58
#define PROTO_SCTP    132
#define ND_NS	      135
#define ND_NA	      136
#define IPV6_MAX_EXT  8 /* as flow_key.c */
#define MAX_LIST      256
#define TX_L4_PENDING (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG)

static const char *const err_names[VSW_ACT_E__MAX] = {
	[VSW_ACT_OK] = "ok",
	[VSW_ACT_E_NOMEM] = "out of memory",
	[VSW_ACT_E_BAD_TYPE] = "bad action type",
	[VSW_ACT_E_BAD_OUT_PORT] = "bad output port",
	[VSW_ACT_E_BAD_OUT_GROUP] = "bad output group",
	[VSW_ACT_E_BAD_ARGUMENT] = "bad action argument",
	[VSW_ACT_E_BAD_SET_TYPE] = "bad set_field type",
	[VSW_ACT_E_BAD_SET_ARGUMENT] = "bad set_field value",
	[VSW_ACT_E_MATCH_INCONSISTENT] = "action inconsistent with the match",
	[VSW_ACT_E_TOO_MANY] = "too many actions",
	[VSW_ACT_E_BAD_TABLE_ID] = "bad goto table",
	[VSW_ACT_E_UNKNOWN_METER] = "unknown meter",
	[VSW_ACT_E_BAD_TABLE] = "bad table id",
	[VSW_ACT_E_OVERLAP] = "overlapping flow",
	[VSW_ACT_E_BAD_COMMAND] = "bad command",
	[VSW_ACT_E_GROUP_EXISTS] = "group exists",
	[VSW_ACT_E_UNKNOWN_GROUP] = "unknown group",
	[VSW_ACT_E_INVALID_GROUP] = "invalid group",
	[VSW_ACT_E_BAD_GROUP_TYPE] = "bad group type",
	[VSW_ACT_E_BAD_WATCH] = "bad watch port or group",
	[VSW_ACT_E_GROUP_LOOP] = "group loop",
	[VSW_ACT_E_METER_EXISTS] = "meter exists",
	[VSW_ACT_E_INVALID_METER] = "invalid meter",
	[VSW_ACT_E_BAD_RATE] = "bad meter rate",
	[VSW_ACT_E_BAD_BAND] = "bad meter band",
	[VSW_ACT_E_BAD_FLAGS] = "bad meter flags",
	[VSW_ACT_E_NO_TXN] = "no transaction open",
};

const char *
vsw_act_err_name(enum vsw_act_err err)
{
	return (unsigned)err < VSW_ACT_E__MAX ? err_names[err] : "?";
}

/* ---- Validation ---- */

/* What the match (and the actions so far) guarantee about a packet. */
struct prereq {
	int eth_type;	/* -1: unknown */
	int ip_proto;	/* -1: unknown */
	int icmp6_type; /* -1: unknown */
	bool vlan;	/* an outer tag */
	bool any;	/* no match to check against: checked at run time */
};

static void
prereq_from_match(const struct vsw_act_env *env, struct prereq *p)
{
	const struct vsw_flow_key *k = env->key, *m = env->mask;

	p->eth_type = p->ip_proto = p->icmp6_type = -1;
	p->vlan = false;
	p->any = k == NULL || m == NULL;
	if (p->any)
		return;
	if (m->eth_type == 0xffff)
		p->eth_type = k->eth_type;
	if (m->ip_proto == 0xff)
		p->ip_proto = k->ip_proto;
	if (m->icmpv6_type == 0xff)
		p->icmp6_type = k->icmpv6_type;
	p->vlan = (m->vlan_vid & VSW_FLOW_VID_PRESENT) && (k->vlan_vid & VSW_FLOW_VID_PRESENT);
}

static bool
is_ip(const struct prereq *p)
{
	return p->eth_type == ETH_IPV4 || p->eth_type == ETH_IPV6;
}

static enum vsw_act_err
check_set_field(const struct vsw_act *a, const struct prereq *p)
{
	bool ok;
	uint32_t max = UINT32_MAX;

	switch (a->field) {
	case VSW_ACT_F_ETH_DST:
	case VSW_ACT_F_ETH_SRC:
		ok = true;
		break;
	case VSW_ACT_F_VLAN_VID:
		ok = p->vlan;
		max = 0x1fff;
		break;
	case VSW_ACT_F_VLAN_PCP:
		ok = p->vlan;
		max = 7;
		break;
	case VSW_ACT_F_IP_DSCP:
		ok = is_ip(p);
		max = 63;
		break;
	case VSW_ACT_F_IP_ECN:
		ok = is_ip(p);
		max = 3;
		break;
	case VSW_ACT_F_IPV4_SRC:
	case VSW_ACT_F_IPV4_DST:
		ok = p->eth_type == ETH_IPV4;
		break;
	case VSW_ACT_F_IPV6_SRC:
	case VSW_ACT_F_IPV6_DST:
		ok = p->eth_type == ETH_IPV6;
		break;
	case VSW_ACT_F_TP_SRC:
	case VSW_ACT_F_TP_DST:
		ok = is_ip(p) && (p->ip_proto == PROTO_TCP || p->ip_proto == PROTO_UDP ||
				  p->ip_proto == PROTO_SCTP);
		max = 0xffff;
		break;
	case VSW_ACT_F_ICMPV4_TYPE:
	case VSW_ACT_F_ICMPV4_CODE:
		ok = p->eth_type == ETH_IPV4 && p->ip_proto == PROTO_ICMP;
		max = 0xff;
		break;
	case VSW_ACT_F_ICMPV6_TYPE:
	case VSW_ACT_F_ICMPV6_CODE:
		ok = p->eth_type == ETH_IPV6 && p->ip_proto == PROTO_ICMPV6;
		max = 0xff;
		break;
	case VSW_ACT_F_ARP_OP:
		ok = p->eth_type == ETH_ARP;
		max = 0xffff;
		break;
	case VSW_ACT_F_ARP_SPA:
	case VSW_ACT_F_ARP_TPA:
	case VSW_ACT_F_ARP_SHA:
	case VSW_ACT_F_ARP_THA:
		ok = p->eth_type == ETH_ARP;
		break;
	case VSW_ACT_F_ND_TARGET:
		ok = p->eth_type == ETH_IPV6 && p->ip_proto == PROTO_ICMPV6 &&
		     (p->icmp6_type == ND_NS || p->icmp6_type == ND_NA);
		break;
	case VSW_ACT_F_ND_SLL:
		ok = p->eth_type == ETH_IPV6 && p->ip_proto == PROTO_ICMPV6 &&
		     p->icmp6_type == ND_NS;
		break;
	case VSW_ACT_F_ND_TLL:
		ok = p->eth_type == ETH_IPV6 && p->ip_proto == PROTO_ICMPV6 &&
		     p->icmp6_type == ND_NA;
		break;
	case VSW_ACT_F_ETH_TYPE: /* no prerequisite (OF 1.3.5 table 12) */
		ok = true;
		max = 0xffff;
		break;
	case VSW_ACT_F_IP_PROTO:
		ok = is_ip(p);
		max = 0xff;
		break;
	default:
		return VSW_ACT_E_BAD_SET_TYPE;
	}
	if (!ok && !p->any)
		return VSW_ACT_E_MATCH_INCONSISTENT;
	if (a->u32 > max)
		return VSW_ACT_E_BAD_SET_ARGUMENT;
	return VSW_ACT_OK;
}

static enum vsw_act_err
check_output(uint32_t port, const struct vsw_act_env *env)
{
	switch (port) {
	case VSW_ACT_PORT_IN_PORT:
	case VSW_ACT_PORT_NORMAL:
	case VSW_ACT_PORT_FLOOD:
	case VSW_ACT_PORT_ALL:
	case VSW_ACT_PORT_CONTROLLER:
		return VSW_ACT_OK;
	case VSW_ACT_PORT_TABLE:
		return env->packet_out ? VSW_ACT_OK : VSW_ACT_E_BAD_OUT_PORT;
	case VSW_ACT_PORT_LOCAL:
		return env->local_port != VSW_ACT_PORT_ANY ? VSW_ACT_OK : VSW_ACT_E_BAD_OUT_PORT;
	default:
		if (port >= VSW_ACT_PORT_MAX)
			return VSW_ACT_E_BAD_OUT_PORT;
		if (env->port_exists != NULL && !env->port_exists(env->ctx, port))
			return VSW_ACT_E_BAD_OUT_PORT;
		return VSW_ACT_OK;
	}
}

/* One action in state 'p' (updated: push/pop). */
static enum vsw_act_err
check_one(const struct vsw_act *a, const struct vsw_act_env *env, struct prereq *p)
{
	switch (a->type) {
	case VSW_ACT_OUTPUT:
		return check_output(a->u32, env);
	case VSW_ACT_SET_FIELD:
		return check_set_field(a, p);
	case VSW_ACT_PUSH_VLAN:
		if (a->u16 != ETH_VLAN && a->u16 != ETH_QINQ)
			return VSW_ACT_E_BAD_ARGUMENT;
		p->vlan = true;
		return VSW_ACT_OK;
	case VSW_ACT_POP_VLAN:
		if (!p->vlan && !p->any)
			return VSW_ACT_E_MATCH_INCONSISTENT;
		p->vlan = false; /* a second tag is not known to be there */
		return VSW_ACT_OK;
	case VSW_ACT_DEC_NW_TTL:
	case VSW_ACT_SET_QUEUE:
		return VSW_ACT_OK;
	case VSW_ACT_SET_NW_TTL:
		return a->u32 <= 255 ? VSW_ACT_OK : VSW_ACT_E_BAD_ARGUMENT;
	case VSW_ACT_GROUP:
		if (a->u32 > VSW_ACT_GROUP_MAX ||
		    (env->group_exists != NULL && !env->group_exists(env->ctx, a->u32)))
			return VSW_ACT_E_BAD_OUT_GROUP;
		return VSW_ACT_OK;
	default:
		return VSW_ACT_E_BAD_TYPE;
	}
}

enum vsw_act_err
vsw_act_validate_list(const struct vsw_act *acts, size_t n, const struct vsw_act_env *env)
{
	struct prereq p;

	if (n > MAX_LIST)
		return VSW_ACT_E_TOO_MANY;
	prereq_from_match(env, &p);
	for (size_t i = 0; i < n; i++) {
		enum vsw_act_err e = check_one(&acts[i], env, &p);

		if (e != VSW_ACT_OK)
			return e;
	}
	return VSW_ACT_OK;
}

/* The action set runs pop before push (§5.10): a set_field on the VLAN is
 * consistent when the set pushes a tag. */
static enum vsw_act_err
validate_write(const struct vsw_act *acts, size_t n, const struct vsw_act_env *env)
{
	struct prereq p;
	bool push = false;

	if (n > MAX_LIST)
		return VSW_ACT_E_TOO_MANY;
	for (size_t i = 0; i < n; i++)
		push |= acts[i].type == VSW_ACT_PUSH_VLAN;
	for (size_t i = 0; i < n; i++) {
		enum vsw_act_err e;

		prereq_from_match(env, &p);
		if (acts[i].type == VSW_ACT_SET_FIELD && push)
			p.vlan = true;
		e = check_one(&acts[i], env, &p);
		if (e != VSW_ACT_OK)
			return e;
	}
	return VSW_ACT_OK;
}

void
vsw_act_compile_list(const struct vsw_act *acts, size_t n, const struct vsw_act_env *env,
		     struct vsw_act *out)
{
	for (size_t i = 0; i < n; i++) {
		struct vsw_act a = acts[i];

		if (a.type == VSW_ACT_OUTPUT) {
			switch (a.u32) {
			case VSW_ACT_PORT_IN_PORT:
				a.type = VSW_ACT_OUT_IN_PORT;
				break;
			case VSW_ACT_PORT_NORMAL:
				a.type = VSW_ACT_OUT_NORMAL;
				break;
			case VSW_ACT_PORT_FLOOD:
				a.type = VSW_ACT_OUT_FLOOD;
				break;
			case VSW_ACT_PORT_ALL:
				a.type = VSW_ACT_OUT_ALL;
				break;
			case VSW_ACT_PORT_CONTROLLER:
				a.type = VSW_ACT_OUT_CONTROLLER;
				break;
			case VSW_ACT_PORT_TABLE:
				a.type = VSW_ACT_OUT_TABLE;
				break;
			case VSW_ACT_PORT_LOCAL:
				a.u32 = env->local_port;
				break;
			default:
				break;
			}
		}
		out[i] = a;
	}
}

enum vsw_act_err
vsw_act_compile(const struct vsw_act_insts *in, const struct vsw_act_env *env,
		struct vsw_act_prog **out)
{
	struct vsw_act_prog *prog;
	enum vsw_act_err e;
	size_t n;

	*out = NULL;
	if (env->packet_out && (in->meter_id != 0 || in->n_write != 0 || in->clear ||
				in->write_metadata || in->goto_table != VSW_ACT_NO_TABLE))
		return VSW_ACT_E_BAD_TYPE;
	if (in->goto_table != VSW_ACT_NO_TABLE &&
	    (in->goto_table <= env->table_id || in->goto_table >= env->n_tables))
		return VSW_ACT_E_BAD_TABLE_ID;
	if (in->meter_id != 0 && env->meter_exists != NULL &&
	    !env->meter_exists(env->ctx, in->meter_id))
		return VSW_ACT_E_UNKNOWN_METER;
	e = vsw_act_validate_list(in->apply, in->n_apply, env);
	if (e == VSW_ACT_OK)
		e = validate_write(in->write, in->n_write, env);
	if (e != VSW_ACT_OK)
		return e;
	n = in->n_apply + in->n_write;
	prog = calloc(1, sizeof(*prog) + n * sizeof(prog->ops[0]));
	if (prog == NULL)
		return VSW_ACT_E_NOMEM;
	prog->meter_id = in->meter_id;
	prog->n_apply = (uint16_t)in->n_apply;
	prog->n_write = (uint16_t)in->n_write;
	prog->goto_table = in->goto_table;
	if (in->clear)
		prog->flags |= VSW_ACT_P_CLEAR;
	if (in->write_metadata) {
		prog->flags |= VSW_ACT_P_METADATA;
		prog->metadata = in->metadata & in->metadata_mask;
		prog->metadata_mask = in->metadata_mask;
	}
	if (in->goto_table != VSW_ACT_NO_TABLE)
		prog->flags |= VSW_ACT_P_GOTO;
	vsw_act_compile_list(in->apply, in->n_apply, env, prog->ops);
	vsw_act_compile_list(in->write, in->n_write, env, prog->ops + in->n_apply);
	for (size_t i = 0; i < n; i++)
		if (prog->ops[i].type == VSW_ACT_GROUP ||
		    prog->ops[i].type >= VSW_ACT_OUT_IN_PORT || prog->ops[i].type == VSW_ACT_OUTPUT)
			prog->flags |= VSW_ACT_P_OUTPUTS;
	*out = prog;
	return VSW_ACT_OK;
}

bool
vsw_act_prog_outputs_to(const struct vsw_act_prog *prog, uint32_t port, uint32_t group)
{
	bool port_ok = port == VSW_ACT_PORT_ANY, group_ok = group == VSW_ACT_GROUP_ANY;

	for (size_t i = 0; i < (size_t)prog->n_apply + prog->n_write; i++) {
		const struct vsw_act *a = &prog->ops[i];

		if (a->type == VSW_ACT_OUTPUT && a->u32 == port)
			port_ok = true;
		if (a->type == VSW_ACT_GROUP && a->u32 == group)
			group_ok = true;
	}
	return port_ok && group_ok;
}

bool
vsw_act_prog_uses_group(const struct vsw_act_prog *prog, uint32_t group)
{
	for (size_t i = 0; i < (size_t)prog->n_apply + prog->n_write; i++)
		if (prog->ops[i].type == VSW_ACT_GROUP && prog->ops[i].u32 == group)
			return true;
	return false;
}

/* ---- The action set ---- */

void
vsw_act_set_write(struct vsw_act_set *s, const struct vsw_act *ops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct vsw_act *a = &ops[i];

		switch (a->type) {
		case VSW_ACT_SET_FIELD:
			s->set_fields |= 1u << a->field;
			s->field[a->field] = a;
			break;
		case VSW_ACT_PUSH_VLAN:
			s->push_vlan = a;
			break;
		case VSW_ACT_POP_VLAN:
			s->pop_vlan = a;
			break;
		case VSW_ACT_DEC_NW_TTL:
			s->dec_ttl = a;
			break;
		case VSW_ACT_SET_NW_TTL:
			s->set_ttl = a;
			break;
		case VSW_ACT_SET_QUEUE:
			s->queue = a;
			break;
		case VSW_ACT_GROUP:
			s->group = a;
			break;
		default: /* every output type */
			s->output = a;
			break;
		}
	}
}

size_t
vsw_act_set_list(const struct vsw_act_set *s, const struct vsw_act **out)
{
	size_t n = 0;

	if (s->pop_vlan != NULL)
		out[n++] = s->pop_vlan;
	if (s->push_vlan != NULL)
		out[n++] = s->push_vlan;
	if (s->dec_ttl != NULL)
		out[n++] = s->dec_ttl;
	if (s->set_ttl != NULL)
		out[n++] = s->set_ttl;
	for (uint32_t f = s->set_fields; f != 0; f &= f - 1)
		out[n++] = s->field[__builtin_ctz(f)];
	if (s->queue != NULL)
		out[n++] = s->queue;
	if (s->group != NULL)
		out[n++] = s->group;
	else if (s->output != NULL)
		out[n++] = s->output;
	return n;
}

/* ---- Execution ---- */

/* Makes every segment of '*m' private (direct, referenced once) with at least
 * 'head' bytes (or the whole packet) in the first segment. */
static int
make_writable(struct rte_mbuf **m, uint32_t head, struct rte_mempool *mp)
{
	struct rte_mbuf *c, *seg;
	bool ok = (*m)->data_len >= RTE_MIN(head, rte_pktmbuf_pkt_len(*m));

	for (seg = *m; ok && seg != NULL; seg = seg->next)
		ok = RTE_MBUF_DIRECT(seg) && rte_mbuf_refcnt_read(seg) == 1;
	if (ok)
		return 0;
	if (mp == NULL)
		return -ENOMEM;
	c = rte_pktmbuf_copy(*m, mp, 0, UINT32_MAX);
	if (c == NULL || c->data_len < RTE_MIN(head, rte_pktmbuf_pkt_len(c))) {
		rte_pktmbuf_free(c);
		return -ENOMEM;
	}
	rte_pktmbuf_free(*m);
	*m = c;
	return 0;
}

void
vsw_act_key_refresh(const struct rte_mbuf *m, struct vsw_flow_key *key,
		    struct vsw_act_scratch *scratch)
{
	uint64_t metadata = key->metadata;
	uint32_t in_port = key->in_port;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *p;

	if (rte_pktmbuf_is_contiguous(m)) {
		p = rte_pktmbuf_mtod(m, const uint8_t *);
	} else {
		len = RTE_MIN(len, (uint32_t)sizeof(scratch->buf));
		p = rte_pktmbuf_read(m, 0, len, scratch->buf);
		if (p == NULL)
			len = 0;
	}
	vsw_flow_key_extract(p, len, in_port, key);
	key->metadata = metadata;
}

static uint32_t
l3_offset(const struct vsw_flow_key *key)
{
	return ETH_HLEN + (key->vlan_vid ? VLAN_HLEN : 0) + (key->vlan2_vid ? VLAN_HLEN : 0);
}

/* The L4 header's offset, found as vsw_flow_key_extract found it (the key has
 * VSW_FLOW_P_L4). */
static bool
l4_offset(const struct rte_mbuf *m, const struct vsw_flow_key *key, uint32_t l3, uint32_t *l4)
{
	uint8_t b[2], nh;

	if (key->parse & VSW_FLOW_P_IPV4) {
		if (!iovs_pkt_read(m, l3, 1, b))
			return false;
		*l4 = l3 + (uint32_t)(b[0] & 0x0f) * 4;
		return true;
	}
	if (!iovs_pkt_read(m, l3 + 6, 1, &nh))
		return false;
	*l4 = l3 + 40;
	for (unsigned n = 0; n <= IPV6_MAX_EXT; n++) {
		if (nh != 0 && nh != 43 && nh != 44 && nh != 51 && nh != 60)
			return nh == key->ip_proto;
		if (!iovs_pkt_read(m, *l4, 2, b))
			return false;
		if (nh == 44)
			*l4 += 8;
		else if (nh == 51)
			*l4 += ((uint32_t)b[1] + 2) * 4;
		else
			*l4 += ((uint32_t)b[1] + 1) * 8;
		nh = b[0];
	}
	return false;
}

/* RFC 1624 eqn. 3: the checksum 'csum' after 16-bit words 'o' became 'n'
 * (both 'len' bytes, even, at an even offset of the summed data). */
static uint16_t
csum_adjust(uint16_t csum, const uint8_t *o, const uint8_t *n, uint32_t len)
{
	uint32_t s = (uint16_t)~csum;

	for (uint32_t i = 0; i < len; i += 2) {
		s += (uint16_t) ~(uint16_t)(o[i] << 8 | o[i + 1]);
		s += (uint16_t)(n[i] << 8 | n[i + 1]);
	}
	return (uint16_t)~iovs_csum_fold(s);
}

enum csum_kind {
	CK_PLAIN,  /* IPv4 header, ICMP */
	CK_TCP,	   /* TCP; pseudo-header field */
	CK_UDP,	   /* UDP: 0 stays 0, a result of 0 is 0xffff */
	CK_PSEUDO, /* only the pseudo-header changed (addresses, protocol) */
};

/* Updates the checksum at 'off' for words 'o' → 'n'. With offload work
 * pending, the TCP/UDP field holds the non-complemented pseudo-header sum:
 * only pseudo-header changes touch it. */
static void
csum_fix(struct rte_mbuf *m, uint32_t off, enum csum_kind kind, bool udp, const uint8_t *o,
	 const uint8_t *n, uint32_t len)
{
	bool pending = (m->ol_flags & TX_L4_PENDING) != 0 && kind != CK_PLAIN;
	uint16_t c, v;

	if (pending && kind != CK_PSEUDO)
		return;
	if (!iovs_pkt_read(m, off, 2, &c))
		return;
	c = rte_be_to_cpu_16(c);
	if (pending) {
		v = (uint16_t)~csum_adjust((uint16_t)~c, o, n, len);
	} else {
		if (udp && c == 0)
			return;
		v = csum_adjust(c, o, n, len);
		if (udp && v == 0)
			v = 0xffff;
	}
	iovs_pkt_write16(m, off, rte_cpu_to_be_16(v));
}

/* SCTP (RFC 9260 appendix A): CRC32c over the packet with the field zeroed,
 * stored as Linux stores it (little-endian of the complement). */
static void
sctp_crc(struct rte_mbuf *m, uint32_t l4, uint32_t end)
{
	uint32_t crc = 0xffffffff, zero = 0, off = l4, left;
	const struct rte_mbuf *seg = m;

	if ((m->ol_flags & TX_L4_PENDING) || end > rte_pktmbuf_pkt_len(m) || end < l4 + 12 ||
	    iovs_pkt_write(m, l4 + 8, &zero, 4) != 0)
		return;
	left = end - l4;
	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	for (; seg != NULL && left > 0; seg = seg->next) {
		uint32_t n = RTE_MIN(left, (uint32_t)seg->data_len - off);
		const uint8_t *d = rte_pktmbuf_mtod_offset(seg, const uint8_t *, off);

		/* rte_hash_crc() loads 4 and 8 bytes at a time: aligned copies. */
		for (uint32_t done = 0; done < n;) {
			uint64_t buf[8];
			uint32_t k = RTE_MIN(n - done, (uint32_t)sizeof(buf));

			memcpy(buf, d + done, k);
			crc = rte_hash_crc(buf, k, crc);
			done += k;
		}
		left -= n;
		off = 0;
	}
	crc = rte_cpu_to_le_32(~crc);
	iovs_pkt_write(m, l4 + 8, &crc, 4);
}

/* Where the packet's IP payload ends. */
static uint32_t
ip_end(const struct rte_mbuf *m, const struct vsw_flow_key *key, uint32_t l3)
{
	uint16_t len = 0;

	if (key->parse & VSW_FLOW_P_IPV4) {
		iovs_pkt_read(m, l3 + 2, 2, &len);
		return l3 + rte_be_to_cpu_16(len);
	}
	iovs_pkt_read(m, l3 + 4, 2, &len);
	return l3 + 40 + rte_be_to_cpu_16(len);
}

/* Writes 'n' ('len' bytes, even) at 'off' and adjusts the checksums the
 * bytes are under; 'pseudo': the bytes are in the L4 pseudo-header. */
static void
write_fix(struct rte_mbuf *m, const struct vsw_flow_key *key, uint32_t off, const void *nv,
	  uint32_t len, bool ipv4_hdr, bool pseudo, int l4_kind)
{
	uint8_t o[16];
	uint32_t l3 = l3_offset(key), l4;

	if (!iovs_pkt_read(m, off, len, o) || iovs_pkt_write(m, off, nv, len) != 0)
		return;
	if (ipv4_hdr)
		csum_fix(m, l3 + 10, CK_PLAIN, false, o, nv, len);
	if ((!pseudo && l4_kind < 0) || !(key->parse & VSW_FLOW_P_L4) ||
	    !l4_offset(m, key, l3, &l4))
		return;
	switch (key->ip_proto) {
	case PROTO_TCP:
		csum_fix(m, l4 + 16, pseudo ? CK_PSEUDO : CK_TCP, false, o, nv, len);
		break;
	case PROTO_UDP:
		csum_fix(m, l4 + 6, pseudo ? CK_PSEUDO : CK_UDP, true, o, nv, len);
		break;
	case PROTO_ICMPV6:
		csum_fix(m, l4 + 2, CK_PLAIN, false, o, nv, len);
		break;
	case PROTO_ICMP:
		if (!pseudo)
			csum_fix(m, l4 + 2, CK_PLAIN, false, o, nv, len);
		break;
	case PROTO_SCTP:
		if (!pseudo)
			sctp_crc(m, l4, ip_end(m, key, l3));
		break;
	default:
		break;
	}
}

static void
put_be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

/* A 2-byte word of the frame at 'off', with 'mask' bits replaced by 'val'. */
static void
write_word(struct rte_mbuf *m, const struct vsw_flow_key *key, uint32_t off, uint16_t mask,
	   uint16_t val, bool ipv4_hdr, int l4_kind)
{
	uint8_t b[2];

	if (!iovs_pkt_read(m, off, 2, b))
		return;
	put_be16(b, (uint32_t)((((b[0] << 8) | b[1]) & ~mask) | (val & mask)));
	write_fix(m, key, off, b, 2, ipv4_hdr, false, l4_kind);
}

/* ND option 'type' (1: SLL in an NS, 2: TLL in an NA): its address offset. */
static bool
nd_option(const struct rte_mbuf *m, const struct vsw_flow_key *key, uint32_t l4, uint8_t type,
	  uint32_t *off)
{
	uint32_t end = ip_end(m, key, l3_offset(key));

	for (uint32_t o = l4 + 24; o + 8 <= end;) {
		uint8_t h[2];

		if (!iovs_pkt_read(m, o, 2, h) || h[1] == 0)
			return false;
		if (h[0] == type && h[1] == 1) {
			*off = o + 2;
			return true;
		}
		o += (uint32_t)h[1] * 8;
	}
	return false;
}

/* ip_proto (IPv4 protocol, or the next header of an IPv6 header without
 * extension headers) → 'proto': the IPv4 header checksum, and the L4 checksum
 * of the protocol the packet had, whose pseudo-header holds the protocol
 * (RFC 793, 768, 8200 §8.1). Returns false if nothing was changed. */
static bool
set_ip_proto(struct rte_mbuf *m, const struct vsw_flow_key *key, uint8_t proto)
{
	uint32_t l3 = l3_offset(key), l4;
	uint8_t b[2], o[2] = {0, key->ip_proto}, n[2] = {0, proto};
	bool l4_ok = (key->parse & VSW_FLOW_P_L4) && l4_offset(m, key, l3, &l4);

	if (key->parse & VSW_FLOW_P_IPV4) {
		if (!iovs_pkt_read(m, l3 + 8, 2, b))
			return false;
		b[1] = proto;
		write_fix(m, key, l3 + 8, b, 2, true, false, -1);
	} else if (key->parse & VSW_FLOW_P_IPV6) {
		if (!iovs_pkt_read(m, l3 + 6, 1, b) || b[0] != key->ip_proto)
			return false; /* extension headers: the last one names L4 */
		iovs_pkt_write(m, l3 + 6, &proto, 1);
	} else {
		return false;
	}
	if (!l4_ok)
		return true;
	if (key->ip_proto == PROTO_TCP)
		csum_fix(m, l4 + 16, CK_PSEUDO, false, o, n, 2);
	else if (key->ip_proto == PROTO_UDP)
		csum_fix(m, l4 + 6, CK_PSEUDO, true, o, n, 2);
	else if (key->ip_proto == PROTO_ICMPV6)
		csum_fix(m, l4 + 2, CK_PLAIN, false, o, n, 2);
	return true;
}

static int
set_field(struct rte_mbuf *m, struct vsw_flow_key *key, const struct vsw_act *a)
{
	uint32_t l3 = l3_offset(key), l4 = 0, off;
	bool v4 = key->parse & VSW_FLOW_P_IPV4, v6 = key->parse & VSW_FLOW_P_IPV6;
	uint8_t b[4];
#define L4_OK() ((key->parse & VSW_FLOW_P_L4) && l4_offset(m, key, l3, &l4))
	switch (a->field) {
	case VSW_ACT_F_ETH_DST:
		write_fix(m, key, 0, a->bytes, 6, false, false, -1);
		memcpy(key->eth_dst, a->bytes, 6);
		break;
	case VSW_ACT_F_ETH_SRC:
		write_fix(m, key, 6, a->bytes, 6, false, false, -1);
		memcpy(key->eth_src, a->bytes, 6);
		break;
	case VSW_ACT_F_VLAN_VID:
		if (!key->vlan_vid)
			break;
		write_word(m, key, ETH_HLEN, 0x0fff, (uint16_t)a->u32, false, -1);
		key->vlan_vid = (uint16_t)(VSW_FLOW_VID_PRESENT | (a->u32 & 0x0fff));
		break;
	case VSW_ACT_F_VLAN_PCP:
		if (!key->vlan_vid)
			break;
		write_word(m, key, ETH_HLEN, 0xe000, (uint16_t)(a->u32 << 13), false, -1);
		key->vlan_pcp = (uint8_t)a->u32;
		break;
	case VSW_ACT_F_IP_DSCP:
	case VSW_ACT_F_IP_ECN: {
		uint8_t dscp = a->field == VSW_ACT_F_IP_DSCP ? (uint8_t)a->u32 : key->ip_dscp;
		uint8_t ecn = a->field == VSW_ACT_F_IP_ECN ? (uint8_t)a->u32 : key->ip_ecn;
		uint16_t tos = (uint16_t)(dscp << 2 | ecn);

		if (v4)
			write_word(m, key, l3, 0x00ff, tos, true, -1);
		else if (v6)
			write_word(m, key, l3, 0x0ff0, (uint16_t)(tos << 4), false, -1);
		else
			break;
		key->ip_dscp = dscp;
		key->ip_ecn = ecn;
		break;
	}
	case VSW_ACT_F_IPV4_SRC:
	case VSW_ACT_F_IPV4_DST:
		if (!v4)
			break;
		put_be32(b, a->u32);
		off = a->field == VSW_ACT_F_IPV4_SRC ? 12 : 16;
		write_fix(m, key, l3 + off, b, 4, true, true, -1);
		if (a->field == VSW_ACT_F_IPV4_SRC)
			key->ipv4_src = a->u32;
		else
			key->ipv4_dst = a->u32;
		break;
	case VSW_ACT_F_IPV6_SRC:
	case VSW_ACT_F_IPV6_DST:
		if (!v6)
			break;
		off = a->field == VSW_ACT_F_IPV6_SRC ? 8 : 24;
		write_fix(m, key, l3 + off, a->bytes, 16, false, true, -1);
		memcpy(a->field == VSW_ACT_F_IPV6_SRC ? key->ipv6_src : key->ipv6_dst, a->bytes,
		       16);
		break;
	case VSW_ACT_F_TP_SRC:
	case VSW_ACT_F_TP_DST:
		if (!L4_OK() || (key->ip_proto != PROTO_TCP && key->ip_proto != PROTO_UDP &&
				 key->ip_proto != PROTO_SCTP))
			break;
		off = a->field == VSW_ACT_F_TP_SRC ? 0 : 2;
		write_word(m, key, l4 + off, 0xffff, (uint16_t)a->u32, false, 1);
		if (a->field == VSW_ACT_F_TP_SRC)
			key->tp_src = (uint16_t)a->u32;
		else
			key->tp_dst = (uint16_t)a->u32;
		break;
	case VSW_ACT_F_ICMPV4_TYPE:
	case VSW_ACT_F_ICMPV4_CODE:
		if (!L4_OK() || !v4 || key->ip_proto != PROTO_ICMP)
			break;
		if (a->field == VSW_ACT_F_ICMPV4_TYPE) {
			write_word(m, key, l4, 0xff00, (uint16_t)(a->u32 << 8), false, 1);
			key->icmpv4_type = (uint8_t)a->u32;
		} else {
			write_word(m, key, l4, 0x00ff, (uint16_t)a->u32, false, 1);
			key->icmpv4_code = (uint8_t)a->u32;
		}
		break;
	case VSW_ACT_F_ICMPV6_TYPE:
	case VSW_ACT_F_ICMPV6_CODE:
		if (!L4_OK() || !v6 || key->ip_proto != PROTO_ICMPV6)
			break;
		if (a->field == VSW_ACT_F_ICMPV6_TYPE)
			write_word(m, key, l4, 0xff00, (uint16_t)(a->u32 << 8), false, 1);
		else
			write_word(m, key, l4, 0x00ff, (uint16_t)a->u32, false, 1);
		return VSW_ACT_R_REPARSED; /* ND fields come and go with the type */
	case VSW_ACT_F_ARP_OP:
		if (!(key->parse & VSW_FLOW_P_ARP))
			break;
		write_word(m, key, l3 + 6, 0xffff, (uint16_t)a->u32, false, -1);
		key->arp_op = (uint16_t)a->u32;
		break;
	case VSW_ACT_F_ARP_SPA:
	case VSW_ACT_F_ARP_TPA:
		if (!(key->parse & VSW_FLOW_P_ARP))
			break;
		put_be32(b, a->u32);
		write_fix(m, key, l3 + (a->field == VSW_ACT_F_ARP_SPA ? 14 : 24), b, 4, false,
			  false, -1);
		*(a->field == VSW_ACT_F_ARP_SPA ? &key->arp_spa : &key->arp_tpa) = a->u32;
		break;
	case VSW_ACT_F_ARP_SHA:
	case VSW_ACT_F_ARP_THA:
		if (!(key->parse & VSW_FLOW_P_ARP))
			break;
		write_fix(m, key, l3 + (a->field == VSW_ACT_F_ARP_SHA ? 8 : 18), a->bytes, 6, false,
			  false, -1);
		memcpy(a->field == VSW_ACT_F_ARP_SHA ? key->arp_sha : key->arp_tha, a->bytes, 6);
		break;
	case VSW_ACT_F_ND_TARGET:
		if (!L4_OK() || !(key->parse & VSW_FLOW_P_ND))
			break;
		write_fix(m, key, l4 + 8, a->bytes, 16, false, false, 1);
		memcpy(key->nd_target, a->bytes, 16);
		break;
	case VSW_ACT_F_ND_SLL:
	case VSW_ACT_F_ND_TLL:
		if (!L4_OK() || !(key->parse & VSW_FLOW_P_ND) ||
		    !nd_option(m, key, l4, a->field == VSW_ACT_F_ND_SLL ? 1 : 2, &off))
			break;
		write_fix(m, key, off, a->bytes, 6, false, false, 1);
		return VSW_ACT_R_REPARSED; /* duplicate options: extraction decides */
	case VSW_ACT_F_ETH_TYPE:
		if (key->parse & VSW_FLOW_P_VLAN_DEEP)
			break; /* a third tag: l3_offset() does not know where it ends */
		put_be16(b, a->u32);
		iovs_pkt_write(m, l3 - 2, b, 2);
		return VSW_ACT_R_REPARSED; /* another protocol: extraction decides */
	case VSW_ACT_F_IP_PROTO:
		if (!set_ip_proto(m, key, (uint8_t)a->u32))
			break;
		return VSW_ACT_R_REPARSED; /* other L4 fields */
	default:
		break;
	}
	return VSW_ACT_R_OK;
#undef L4_OK
}

static int
push_vlan(struct rte_mbuf *m, const struct vsw_flow_key *key, uint16_t tpid)
{
	uint8_t *p;
	uint16_t tci = 0;

	if (key->vlan_vid && !iovs_pkt_read(m, ETH_HLEN, 2, &tci))
		tci = 0;
	p = (uint8_t *)rte_pktmbuf_prepend(m, VLAN_HLEN);
	if (p == NULL)
		return -ENOMEM;
	memmove(p, p + VLAN_HLEN, 12);
	*(unaligned_uint16_t *)(p + 12) = rte_cpu_to_be_16(tpid);
	*(unaligned_uint16_t *)(p + 14) = tci; /* the outer tag's, as it was (wire order) */
	if (m->ol_flags & VSW_OFFLOAD_TX_WORK)
		m->l2_len += VLAN_HLEN;
	return 0;
}

static void
pop_vlan(struct rte_mbuf *m)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

	memmove(p + VLAN_HLEN, p, 12);
	rte_pktmbuf_adj(m, VLAN_HLEN);
	if ((m->ol_flags & VSW_OFFLOAD_TX_WORK) && m->l2_len >= ETH_HLEN + VLAN_HLEN)
		m->l2_len -= VLAN_HLEN;
}

static int
ttl(struct rte_mbuf *m, const struct vsw_flow_key *key, bool dec, uint8_t val)
{
	uint32_t l3 = l3_offset(key);
	uint8_t b[2];

	if (key->parse & VSW_FLOW_P_IPV4) {
		if (!iovs_pkt_read(m, l3 + 8, 2, b))
			return VSW_ACT_R_OK;
		if (dec && b[0] <= 1)
			return VSW_ACT_R_INVALID_TTL;
		b[0] = dec ? (uint8_t)(b[0] - 1) : val;
		write_fix(m, key, l3 + 8, b, 2, true, false, -1);
	} else if (key->parse & VSW_FLOW_P_IPV6) {
		if (!iovs_pkt_read(m, l3 + 7, 1, b))
			return VSW_ACT_R_OK;
		if (dec && b[0] <= 1)
			return VSW_ACT_R_INVALID_TTL;
		b[0] = dec ? (uint8_t)(b[0] - 1) : val;
		iovs_pkt_write(m, l3 + 7, b, 1);
	}
	return VSW_ACT_R_OK;
}

int
vsw_act_modify(struct rte_mbuf **m, struct vsw_flow_key *key, const struct vsw_act *a,
	       struct rte_mempool *mp, struct vsw_act_scratch *scratch)
{
	int rc;

	if (make_writable(m, ETH_HLEN + 2 * VLAN_HLEN, mp) != 0)
		return -ENOMEM;
	switch (a->type) {
	case VSW_ACT_SET_FIELD:
		rc = set_field(*m, key, a);
		break;
	case VSW_ACT_PUSH_VLAN:
		if (rte_pktmbuf_pkt_len(*m) < ETH_HLEN)
			return VSW_ACT_R_OK;
		if (push_vlan(*m, key, a->u16) != 0)
			return -ENOMEM;
		rc = VSW_ACT_R_REPARSED;
		break;
	case VSW_ACT_POP_VLAN:
		if (!key->vlan_vid)
			return VSW_ACT_R_OK;
		pop_vlan(*m);
		rc = VSW_ACT_R_REPARSED;
		break;
	case VSW_ACT_DEC_NW_TTL:
	case VSW_ACT_SET_NW_TTL:
		return ttl(*m, key, a->type == VSW_ACT_DEC_NW_TTL, (uint8_t)a->u32);
	default:
		return VSW_ACT_R_OK;
	}
	if (rc == VSW_ACT_R_REPARSED)
		vsw_act_key_refresh(*m, key, scratch);
	return rc;
}
