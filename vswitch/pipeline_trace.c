/* The pipeline's trace (pipeline.h, "Trace"): one key through the tables as
 * pipeline_run.c would take a packet — the same lookups at the visible
 * version, instruction order, action set, group bucket choice — reported step
 * by step to a callback, with nothing executed: packet-modifying actions
 * change the key only, outputs are reported, no counter, meter or cache is
 * touched. Writer side (the OpenFlow thread, or whoever holds its lock); no
 * DPDK call but reading the published version and maps. */
#include <errno.h>
#include <string.h>

#include "pipeline_priv.h"

#define ETH_IPV4     0x0800
#define ETH_ARP	     0x0806
#define ETH_IPV6     0x86dd
#define PROTO_ICMP   1
#define PROTO_TCP    6
#define PROTO_UDP    17
#define PROTO_ICMPV6 58
#define PROTO_SCTP   132

struct tr {
	const struct vsw_pl_trace_ops *ops;
	void *arg;
	const struct idmap *groups;
	struct vsw_pl_trace_result *res;
	unsigned n_events;
	uint8_t table_id;
	bool miss_flow;
};

/* One packet (or a group's copy of it). */
struct tpkt {
	struct vsw_flow_key key;
	uint32_t queue;
	unsigned outputs;
};

static bool
emit(struct tr *t, struct vsw_pl_trace_ev *ev, const struct tpkt *p, unsigned depth)
{
	if (t->res->truncated)
		return false;
	if (++t->n_events > VSW_PL_TRACE_MAX_EVENTS) {
		t->res->truncated = true;
		return false;
	}
	ev->depth = depth;
	ev->table_id = t->table_id;
	ev->key = &p->key;
	t->ops->event(t->arg, ev);
	return true;
}

static void
emit_drop(struct tr *t, const struct tpkt *p, unsigned depth, enum vsw_pl_drop why)
{
	struct vsw_pl_trace_ev ev = {.kind = VSW_PL_TRACE_DROP, .drop = why};

	emit(t, &ev, p, depth);
}

void
vsw_pl_trace_key_parse(struct vsw_flow_key *k)
{
	bool l4;

	k->parse = 0;
	switch (k->eth_type) {
	case ETH_IPV4:
		k->parse |= VSW_FLOW_P_IPV4;
		l4 = k->ip_proto == PROTO_TCP || k->ip_proto == PROTO_UDP ||
		     k->ip_proto == PROTO_SCTP || k->ip_proto == PROTO_ICMP;
		break;
	case ETH_IPV6:
		k->parse |= VSW_FLOW_P_IPV6;
		l4 = k->ip_proto == PROTO_TCP || k->ip_proto == PROTO_UDP ||
		     k->ip_proto == PROTO_SCTP || k->ip_proto == PROTO_ICMPV6;
		if (k->ip_proto == PROTO_ICMPV6 && (k->icmpv6_type == 135 || k->icmpv6_type == 136))
			k->parse |= VSW_FLOW_P_ND;
		break;
	case ETH_ARP:
		k->parse |= VSW_FLOW_P_ARP;
		return;
	default:
		return;
	}
	if (l4)
		k->parse |= VSW_FLOW_P_L4;
}

/* ---- the key as vsw_act_modify leaves it (actions.c) ---- */

/* Clears the key from byte 'off' on, and what extraction found there. */
static void
key_forget_from(struct vsw_flow_key *k, size_t off)
{
	memset((uint8_t *)k + off, 0, sizeof(*k) - off);
	k->parse &= (uint16_t) ~(VSW_FLOW_P_L4 | VSW_FLOW_P_ND);
	if (off <= offsetof(struct vsw_flow_key, ipv4_src))
		k->parse &= (uint16_t) ~(VSW_FLOW_P_IPV4 | VSW_FLOW_P_IPV6 | VSW_FLOW_P_ARP);
}

static void
key_set_field(struct vsw_flow_key *k, const struct vsw_act *a)
{
	bool v4 = k->parse & VSW_FLOW_P_IPV4, v6 = k->parse & VSW_FLOW_P_IPV6;
	bool l4 = k->parse & VSW_FLOW_P_L4,
	     tp = l4 && (k->ip_proto == PROTO_TCP || k->ip_proto == PROTO_UDP ||
			 k->ip_proto == PROTO_SCTP);
	bool arp = k->parse & VSW_FLOW_P_ARP, nd = l4 && (k->parse & VSW_FLOW_P_ND);

	switch (a->field) {
	case VSW_ACT_F_ETH_DST:
		memcpy(k->eth_dst, a->bytes, 6);
		break;
	case VSW_ACT_F_ETH_SRC:
		memcpy(k->eth_src, a->bytes, 6);
		break;
	case VSW_ACT_F_VLAN_VID:
		if (k->vlan_vid)
			k->vlan_vid = (uint16_t)(VSW_FLOW_VID_PRESENT | (a->u32 & 0x0fff));
		break;
	case VSW_ACT_F_VLAN_PCP:
		if (k->vlan_vid)
			k->vlan_pcp = (uint8_t)a->u32;
		break;
	case VSW_ACT_F_IP_DSCP:
		if (v4 || v6)
			k->ip_dscp = (uint8_t)a->u32;
		break;
	case VSW_ACT_F_IP_ECN:
		if (v4 || v6)
			k->ip_ecn = (uint8_t)a->u32;
		break;
	case VSW_ACT_F_IPV4_SRC:
	case VSW_ACT_F_IPV4_DST:
		if (v4)
			*(a->field == VSW_ACT_F_IPV4_SRC ? &k->ipv4_src : &k->ipv4_dst) = a->u32;
		break;
	case VSW_ACT_F_IPV6_SRC:
	case VSW_ACT_F_IPV6_DST:
		if (v6)
			memcpy(a->field == VSW_ACT_F_IPV6_SRC ? k->ipv6_src : k->ipv6_dst, a->bytes,
			       16);
		break;
	case VSW_ACT_F_TP_SRC:
	case VSW_ACT_F_TP_DST:
		if (tp)
			*(a->field == VSW_ACT_F_TP_SRC ? &k->tp_src : &k->tp_dst) =
				(uint16_t)a->u32;
		break;
	case VSW_ACT_F_ICMPV4_TYPE:
	case VSW_ACT_F_ICMPV4_CODE:
		if (l4 && v4 && k->ip_proto == PROTO_ICMP)
			*(a->field == VSW_ACT_F_ICMPV4_TYPE ? &k->icmpv4_type : &k->icmpv4_code) =
				(uint8_t)a->u32;
		break;
	case VSW_ACT_F_ICMPV6_TYPE:
	case VSW_ACT_F_ICMPV6_CODE:
		if (!(l4 && v6 && k->ip_proto == PROTO_ICMPV6))
			break;
		*(a->field == VSW_ACT_F_ICMPV6_TYPE ? &k->icmpv6_type : &k->icmpv6_code) =
			(uint8_t)a->u32;
		/* Re-extraction: ND fields only for a solicitation or advertisement
		 * (their values come from frame bytes the key does not hold). */
		if (k->icmpv6_type != 135 && k->icmpv6_type != 136) {
			k->parse &= (uint16_t)~VSW_FLOW_P_ND;
			memset(k->nd_target, 0, sizeof(k->nd_target));
			memset(k->nd_sll, 0, sizeof(k->nd_sll));
			memset(k->nd_tll, 0, sizeof(k->nd_tll));
		}
		break;
	case VSW_ACT_F_ARP_OP:
		if (arp)
			k->arp_op = (uint16_t)a->u32;
		break;
	case VSW_ACT_F_ARP_SPA:
	case VSW_ACT_F_ARP_TPA:
		if (arp)
			*(a->field == VSW_ACT_F_ARP_SPA ? &k->arp_spa : &k->arp_tpa) = a->u32;
		break;
	case VSW_ACT_F_ARP_SHA:
	case VSW_ACT_F_ARP_THA:
		if (arp)
			memcpy(a->field == VSW_ACT_F_ARP_SHA ? k->arp_sha : k->arp_tha, a->bytes,
			       6);
		break;
	case VSW_ACT_F_ND_TARGET:
		if (nd)
			memcpy(k->nd_target, a->bytes, 16);
		break;
	case VSW_ACT_F_ND_SLL:
	case VSW_ACT_F_ND_TLL:
		if (nd)
			memcpy(a->field == VSW_ACT_F_ND_SLL ? k->nd_sll : k->nd_tll, a->bytes, 6);
		break;
	/* The frame is re-read after these: what its bytes then say is not in
	 * the key, so the trace keeps only what is certain (the new value) and
	 * forgets the layers above it. */
	case VSW_ACT_F_ETH_TYPE:
		if (k->parse & VSW_FLOW_P_VLAN_DEEP)
			break;
		key_forget_from(k, offsetof(struct vsw_flow_key, ipv4_src));
		k->eth_type = (uint16_t)a->u32;
		break;
	case VSW_ACT_F_IP_PROTO:
		if (!v4 && !v6)
			break;
		key_forget_from(k, offsetof(struct vsw_flow_key, tp_src));
		k->ip_proto = (uint8_t)a->u32;
		break;
	default:
		break;
	}
}

/* A third tag: extraction stops at it (flow_key.h "VLANs"). */
static void
key_too_deep(struct vsw_flow_key *k, uint16_t tpid)
{
	size_t l3 = offsetof(struct vsw_flow_key, ipv4_src);

	memset((uint8_t *)k + l3, 0, sizeof(*k) - l3);
	k->eth_type = tpid;
	k->parse = VSW_FLOW_P_VLAN_DEEP;
}

static void
key_modify(struct vsw_flow_key *k, const struct vsw_act *a)
{
	switch (a->type) {
	case VSW_ACT_SET_FIELD:
		key_set_field(k, a);
		break;
	case VSW_ACT_PUSH_VLAN:
		/* The new outer tag copies the old outer one (or is 0). */
		if (k->vlan2_vid)
			key_too_deep(k, 0x8100);
		k->vlan2_vid = k->vlan_vid;
		k->vlan2_pcp = k->vlan_pcp;
		k->vlan_vid = (uint16_t)(VSW_FLOW_VID_PRESENT | (k->vlan_vid & 0x0fff));
		break;
	case VSW_ACT_POP_VLAN:
		if (!k->vlan_vid)
			break;
		k->vlan_vid = k->vlan2_vid;
		k->vlan_pcp = k->vlan2_pcp;
		k->vlan2_vid = 0;
		k->vlan2_pcp = 0;
		break;
	default: /* TTLs: not in the key */
		break;
	}
}

/* ---- groups, as pipeline_run.c chooses buckets ---- */

static bool
bucket_live(const struct tr *t, const struct vsw_pl_bucket *b, unsigned depth)
{
	return vsw_pl_bucket_live(t->groups, b, depth, t->ops->port_live, t->arg);
}

/* The buckets a packet with 'key' takes; returns how many. */
static unsigned
choose(const struct tr *t, const struct vsw_pl_group *g, const struct vsw_flow_key *key,
       unsigned depth, unsigned *chosen)
{
	uint16_t w[VSW_PL_MAX_BUCKETS];
	unsigned n = 0;
	int i;

	switch (g->type) {
	case VSW_PL_GROUP_ALL:
		for (unsigned j = 0; j < g->n_buckets; j++)
			chosen[n++] = j;
		break;
	case VSW_PL_GROUP_INDIRECT:
		chosen[n++] = 0;
		break;
	case VSW_PL_GROUP_SELECT:
		for (unsigned j = 0; j < g->n_buckets; j++)
			w[j] = bucket_live(t, &g->b[j], depth + 1) ? g->b[j].weight : 0;
		i = vsw_pl_select_bucket(key, w, g->n_buckets);
		if (i >= 0)
			chosen[n++] = (unsigned)i;
		break;
	case VSW_PL_GROUP_FF:
		for (unsigned j = 0; j < g->n_buckets && n == 0; j++)
			if (bucket_live(t, &g->b[j], depth + 1))
				chosen[n++] = j;
		break;
	default:
		break;
	}
	return n;
}

static void trace_list(struct tr *t, struct tpkt *p, const struct vsw_act *ops, size_t n,
		       unsigned depth, bool in_set);

static void
trace_group(struct tr *t, struct tpkt *p, const struct vsw_act *a, unsigned depth)
{
	const struct vsw_pl_group *g = vsw_pl_map_find(t->groups, a->u32);
	unsigned chosen[VSW_PL_MAX_BUCKETS], n = 0;
	struct vsw_pl_trace_ev ev = {
		.kind = VSW_PL_TRACE_GROUP, .act = a, .id = a->u32, .found = g != NULL};

	if (g != NULL) {
		ev.group_type = g->type;
		ev.n_buckets = g->n_buckets;
	}
	if (!emit(t, &ev, p, depth))
		return;
	if (g != NULL && depth < VSW_PL_GROUP_DEPTH)
		n = choose(t, g, &p->key, depth, chosen);
	if (n == 0) {
		emit_drop(t, p, depth, VSW_PL_DROP_GROUP);
		return;
	}
	for (unsigned i = 0; i < n && !t->res->truncated; i++) {
		const struct vsw_pl_bucket *b = &g->b[chosen[i]];
		struct tpkt copy = *p;
		struct vsw_pl_trace_ev bev = {.kind = VSW_PL_TRACE_BUCKET,
					      .bucket = chosen[i],
					      .weight = b->weight,
					      .acts = &g->acts[b->first],
					      .n_acts = b->n_acts,
					      .id = g->id};

		copy.outputs = 0;
		if (emit(t, &bev, &copy, depth + 1))
			trace_list(t, &copy, &g->acts[b->first], b->n_acts, depth + 1, false);
	}
	p->outputs++;
}

static bool
is_output(uint8_t type)
{
	return type == VSW_ACT_OUTPUT || type >= VSW_ACT_OUT_IN_PORT;
}

static void
trace_one(struct tr *t, struct tpkt *p, const struct vsw_act *a, unsigned depth, bool in_set)
{
	struct vsw_pl_trace_ev ev = {.act = a, .in_set = in_set};

	if (a->type == VSW_ACT_GROUP) {
		trace_group(t, p, a, depth);
		return;
	}
	if (a->type == VSW_ACT_SET_QUEUE)
		p->queue = a->u32;
	if (!is_output(a->type)) {
		key_modify(&p->key, a);
		ev.kind = VSW_PL_TRACE_ACTION;
		emit(t, &ev, p, depth);
		return;
	}
	ev.kind = VSW_PL_TRACE_OUTPUT;
	ev.queue = p->queue;
	ev.port = a->type == VSW_ACT_OUTPUT ? a->u32 : p->key.in_port;
	if (a->type == VSW_ACT_OUT_CONTROLLER) {
		ev.pin_reason = t->miss_flow ? VSW_PL_PIN_NO_MATCH : VSW_PL_PIN_ACTION;
		ev.max_len = a->u16;
	}
	p->outputs++;
	emit(t, &ev, p, depth);
}

static void
trace_list(struct tr *t, struct tpkt *p, const struct vsw_act *ops, size_t n, unsigned depth,
	   bool in_set)
{
	for (size_t i = 0; i < n && !t->res->truncated; i++)
		trace_one(t, p, &ops[i], depth, in_set);
}

/* One flow's instructions (§5.9 order); returns true when a goto follows. */
static bool
trace_flow(struct tr *t, struct tpkt *p, const struct vsw_act_prog *prog, struct vsw_act_set *set)
{
	struct vsw_pl_trace_ev ev = {0};

	trace_list(t, p, prog->ops, prog->n_apply, 0, false);
	if (prog->flags & VSW_ACT_P_CLEAR) {
		vsw_act_set_clear(set);
		ev = (struct vsw_pl_trace_ev){.kind = VSW_PL_TRACE_CLEAR};
		emit(t, &ev, p, 0);
	}
	if (prog->n_write > 0) {
		vsw_act_set_write(set, prog->ops + prog->n_apply, prog->n_write);
		ev = (struct vsw_pl_trace_ev){.kind = VSW_PL_TRACE_WRITE,
					      .acts = prog->ops + prog->n_apply,
					      .n_acts = prog->n_write};
		emit(t, &ev, p, 0);
	}
	if (prog->flags & VSW_ACT_P_METADATA) {
		p->key.metadata = (p->key.metadata & ~prog->metadata_mask) | prog->metadata;
		ev = (struct vsw_pl_trace_ev){.kind = VSW_PL_TRACE_METADATA};
		emit(t, &ev, p, 0);
	}
	if (!(prog->flags & VSW_ACT_P_GOTO))
		return false;
	t->table_id = prog->goto_table;
	ev = (struct vsw_pl_trace_ev){.kind = VSW_PL_TRACE_GOTO};
	emit(t, &ev, p, 0);
	return true;
}

static bool
trace_meter(struct tr *t, struct tpkt *p, const struct idmap *meters, uint32_t id)
{
	const struct vsw_pl_meter *mt = vsw_pl_map_find(meters, id);
	struct vsw_pl_trace_ev ev = {.kind = VSW_PL_TRACE_METER, .id = id, .found = mt != NULL};

	if (mt != NULL) {
		ev.meter_flags = mt->flags;
		ev.meter_rate = mt->rate;
		ev.meter_burst = mt->burst;
	}
	emit(t, &ev, p, 0);
	return mt != NULL;
}

/* The end of the packet: a table miss or a meter drops what is left of it
 * (outputs before stay done); without any output, that is the verdict. */
static void
finish(struct tr *t, struct tpkt *p, enum vsw_pl_drop why)
{
	if (why == VSW_PL_DROP_NO_OUTPUT && p->outputs > 0)
		return;
	emit_drop(t, p, 0, why);
	if (p->outputs == 0) {
		t->res->dropped = true;
		t->res->drop = why;
	}
}

int
vsw_pl_trace(struct vsw_pl *pl, const struct vsw_flow_key *key, const struct vsw_pl_trace_ops *ops,
	     void *arg, struct vsw_pl_trace_result *res)
{
	uint64_t v;
	const struct idmap *meters;
	struct vsw_act_set set;
	struct tpkt p = {0};
	struct tr t;

	if (pl == NULL || key == NULL || ops == NULL || ops->event == NULL || res == NULL)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	t = (struct tr){.ops = ops, .arg = arg, .res = res};
	v = vsw_cls_version_read(&pl->version);
	t.groups = __atomic_load_n(&pl->groups, __ATOMIC_ACQUIRE);
	meters = __atomic_load_n(&pl->meters, __ATOMIC_ACQUIRE);
	p.key = *key;
	vsw_act_set_clear(&set);
	/* goto only goes forward: at most VSW_PL_TABLES lookups. */
	for (;;) {
		const struct vsw_cls_rule *rule =
			vsw_cls_lookup(pl->cls[t.table_id], v, &p.key, NULL);
		const struct vsw_pl_flow *f =
			rule != NULL ? container_of(rule, const struct vsw_pl_flow, rule) : NULL;
		const struct vsw_act_prog *prog;
		const struct vsw_act *list[VSW_ACT_SET_MAX];
		struct vsw_pl_trace_ev ev = {.kind = VSW_PL_TRACE_LOOKUP, .flow = f};

		res->n_tables++;
		emit(&t, &ev, &p, 0);
		if (f == NULL) {
			finish(&t, &p, VSW_PL_DROP_TABLE_MISS);
			break;
		}
		prog = vsw_cls_rule_actions(&f->rule);
		t.miss_flow = vsw_pl_flow_is_miss(f);
		if (prog->meter_id != 0 && !trace_meter(&t, &p, meters, prog->meter_id)) {
			finish(&t, &p, VSW_PL_DROP_METER);
			break;
		}
		if (trace_flow(&t, &p, prog, &set))
			continue;
		ev = (struct vsw_pl_trace_ev){.kind = VSW_PL_TRACE_ACTION_SET, .set = list};
		ev.n_acts = vsw_act_set_list(&set, list);
		emit(&t, &ev, &p, 0);
		for (size_t i = 0; i < ev.n_acts && !res->truncated; i++)
			trace_one(&t, &p, list[i], 0, true);
		finish(&t, &p, VSW_PL_DROP_NO_OUTPUT);
		break;
	}
	res->n_outputs = p.outputs;
	return 0;
}
