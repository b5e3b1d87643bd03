/* The OpenFlow pipeline on a PMD (fast path): per packet, the exact-match
 * cache (emc.c) or a lookup in each table visited (classifier.c), the
 * instructions of each flow (meter, apply, clear, write, metadata, goto), the
 * action set at the end, groups and meters. Packets leave through the
 * caller's vsw_pl_out_ops. Rules: no malloc, no locks, no logs; a packet is
 * copied only when it is output and still needed afterwards. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "emc.h"
#include "pipeline_priv.h"

/* A counter of this PMD's, read by the control thread (relaxed). */
static inline void
stat_inc(uint64_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

/* One packet's state through the pipeline. */
struct pkt {
	struct rte_mbuf *m; /* NULL once consumed */
	struct vsw_flow_key *key;
	uint32_t queue;
	uint8_t table_id;
	bool reparsed;			/* the key was re-extracted from the frame */
	const struct vsw_pl_flow *flow; /* the last one matched; NULL: a packet-out */
	unsigned outputs;
};

/* What the burst's first pass found for one packet (vsw_pl_run). */
struct hint {
	uint32_t hash;	 /* of the initial key, for the cache */
	bool cacheable;	 /* a cache miss: insert the path */
	uint8_t n_known; /* first hops already looked up (cache hit, or table 0) */
	const struct vsw_pl_flow *known[VSW_PL_MAX_HOPS];
};

static inline uint64_t
rotl64(uint64_t x, unsigned r)
{
	return x << r | x >> (64 - r);
}

struct run {
	struct vsw_pl_ctx *ctx;
	const struct vsw_pl_out_ops *ops;
	void *octx;
	uint64_t version; /* the pipeline version of this burst */
};

static void run_packet(const struct run *r, struct rte_mbuf *m, struct vsw_flow_key *key,
		       struct hint *h);

/* Four independent multiply-rotate lanes, then a final mix: the lanes' chains
 * run in parallel, about a quarter of the latency of one chain over the 19
 * words (this hash runs once per packet, for the exact-match cache). */
uint32_t
vsw_pl_key_hash(const struct vsw_flow_key *key)
{
	const vsw_flow_word *w = vsw_flow_key_words(key);
	const uint64_t m = 0x9e3779b97f4a7c15ull;
	uint64_t l0 = 0x243f6a8885a308d3ull, l1 = 0x13198a2e03707344ull;
	uint64_t l2 = 0xa4093822299f31d0ull, l3 = 0x082efa98ec4e6c89ull, h;
	size_t i;

	for (i = 0; i + 4 <= VSW_FLOW_KEY_WORDS; i += 4) {
		l0 = rotl64((l0 ^ w[i]) * m, 29);
		l1 = rotl64((l1 ^ w[i + 1]) * m, 29);
		l2 = rotl64((l2 ^ w[i + 2]) * m, 29);
		l3 = rotl64((l3 ^ w[i + 3]) * m, 29);
	}
	for (; i < VSW_FLOW_KEY_WORDS; i++)
		l0 = rotl64((l0 ^ w[i]) * m, 29);
	h = l0 ^ rotl64(l1, 16) ^ rotl64(l2, 32) ^ rotl64(l3, 48);
	h ^= h >> 33; /* MurmurHash3's fmix64: every input bit reaches every output bit */
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (uint32_t)(h ^ (h >> 32));
}

int
vsw_pl_select_bucket(const struct vsw_flow_key *key, const uint16_t *weights, unsigned n)
{
	uint32_t total = 0, pick;

	for (unsigned i = 0; i < n; i++)
		total += weights[i];
	if (total == 0)
		return -1;
	pick = (uint32_t)(((uint64_t)vsw_pl_key_hash(key) * total) >> 32);
	for (unsigned i = 0; i < n; i++) {
		if (pick < weights[i])
			return (int)i;
		pick -= weights[i];
	}
	return -1;
}

bool
vsw_pl_meter_pass(struct vsw_pl_meter *mt, unsigned pmd, uint32_t bytes, uint64_t now)
{
	uint64_t cost = (mt->flags & VSW_PL_METER_PKTPS)
				? mt->pkt_ns
				: RTE_MAX(UINT64_C(1), (uint64_t)bytes * 8000000 / mt->rate);
	uint64_t tat = __atomic_load_n(&mt->tat, __ATOMIC_RELAXED);
	bool pass;

	for (;;) {
		uint64_t next = RTE_MAX(tat, now) + cost;

		if (next - now > mt->tol_ns) {
			pass = false;
			break;
		}
		if (__atomic_compare_exchange_n(&mt->tat, &tat, next, true, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED)) {
			pass = true;
			break;
		}
	}
	if (pmd < mt->n_pmds) {
		__atomic_store_n(&mt->stats[pmd].packets, mt->stats[pmd].packets + 1,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&mt->stats[pmd].bytes, mt->stats[pmd].bytes + bytes,
				 __ATOMIC_RELAXED);
		if (!pass)
			__atomic_store_n(&mt->stats[pmd].dropped, mt->stats[pmd].dropped + 1,
					 __ATOMIC_RELAXED);
	}
	return pass;
}

static void
drop(const struct run *r, struct rte_mbuf *m, enum vsw_pl_drop why)
{
	if (r->ops->drop != NULL)
		r->ops->drop(r->octx, why);
	rte_pktmbuf_free(m);
}

static struct rte_mbuf *
pkt_clone(const struct run *r, struct rte_mbuf *m)
{
	struct rte_mempool *mp = r->ctx->mp != NULL ? r->ctx->mp : m->pool;

	return rte_pktmbuf_copy(m, mp, 0, UINT32_MAX);
}

bool
vsw_pl_bucket_live(const struct idmap *groups, const struct vsw_pl_bucket *b, unsigned depth,
		   bool (*port_live)(void *arg, uint32_t port), void *arg)
{
	const struct vsw_pl_group *g;

	if (b->watch_port != VSW_ACT_PORT_ANY && port_live != NULL &&
	    !port_live(arg, b->watch_port))
		return false;
	if (b->watch_group == VSW_ACT_GROUP_ANY)
		return true;
	/* The watched group is live if some bucket is (OF 1.3 §6.5). */
	g = vsw_pl_map_find(groups, b->watch_group);
	if (g == NULL || depth > VSW_PL_GROUP_DEPTH)
		return false;
	for (unsigned i = 0; i < g->n_buckets; i++)
		if (vsw_pl_bucket_live(groups, &g->b[i], depth + 1, port_live, arg))
			return true;
	return false;
}

static bool
bucket_live(const struct run *r, const struct idmap *groups, const struct vsw_pl_bucket *b,
	    unsigned depth)
{
	return vsw_pl_bucket_live(groups, b, depth, r->ops->port_live, r->octx);
}

static bool exec_list(const struct run *r, struct pkt *p, const struct vsw_act *ops, size_t n,
		      bool more, unsigned depth);

/* Runs one bucket on 'm' (owned) with a copy of the key. */
static void
run_bucket(const struct run *r, const struct pkt *p, struct rte_mbuf *m,
	   const struct vsw_pl_group *g, const struct vsw_pl_bucket *b, unsigned depth)
{
	struct vsw_flow_key key = *p->key;
	struct pkt bp = *p;

	bp.m = m;
	bp.key = &key;
	bp.outputs = 0;
	exec_list(r, &bp, &g->acts[b->first], b->n_acts, false, depth);
	if (bp.m != NULL)
		rte_pktmbuf_free(bp.m); /* a bucket without output: nothing to count */
}

static inline void
count_group(struct vsw_pl_gcount *c, uint32_t bytes)
{
	__atomic_store_n(&c->packets, c->packets + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&c->bytes, c->bytes + bytes, __ATOMIC_RELAXED);
}

/* The group action: 'last' means the packet is not needed afterwards. */
static void
run_group(const struct run *r, struct pkt *p, uint32_t id, bool last, unsigned depth)
{
	const struct idmap *groups = __atomic_load_n(&r->ctx->pl->groups, __ATOMIC_ACQUIRE);
	const struct vsw_pl_group *g = vsw_pl_map_find(groups, id);
	const struct vsw_pl_bucket *chosen[VSW_PL_MAX_BUCKETS];
	uint32_t bytes = rte_pktmbuf_pkt_len(p->m);
	struct vsw_pl_gcount *gc;
	unsigned n = 0;

	if (g == NULL || depth >= VSW_PL_GROUP_DEPTH)
		goto fail;
	gc = &g->stats[(size_t)r->ctx->pmd * g->row];
	count_group(&gc[0], bytes);
	switch (g->type) {
	case VSW_PL_GROUP_ALL:
		for (unsigned i = 0; i < g->n_buckets; i++)
			chosen[n++] = &g->b[i];
		break;
	case VSW_PL_GROUP_INDIRECT:
		chosen[n++] = &g->b[0];
		break;
	case VSW_PL_GROUP_SELECT: {
		uint16_t w[VSW_PL_MAX_BUCKETS];
		int i;

		for (unsigned j = 0; j < g->n_buckets; j++)
			w[j] = bucket_live(r, groups, &g->b[j], depth + 1) ? g->b[j].weight : 0;
		i = vsw_pl_select_bucket(p->key, w, g->n_buckets);
		if (i >= 0)
			chosen[n++] = &g->b[i];
		break;
	}
	case VSW_PL_GROUP_FF:
		for (unsigned j = 0; j < g->n_buckets && n == 0; j++)
			if (bucket_live(r, groups, &g->b[j], depth + 1))
				chosen[n++] = &g->b[j];
		break;
	default:
		break;
	}
	if (n == 0)
		goto fail;
	for (unsigned i = 0; i < n; i++) {
		bool take = last && i == n - 1;
		struct rte_mbuf *m = take ? p->m : pkt_clone(r, p->m);

		if (take)
			p->m = NULL;
		count_group(&gc[1 + (chosen[i] - g->b)], bytes);
		if (m == NULL) {
			if (r->ops->drop != NULL)
				r->ops->drop(r->octx, VSW_PL_DROP_NO_MBUF);
			continue;
		}
		run_bucket(r, p, m, g, chosen[i], depth + 1);
	}
	p->outputs++;
	return;

fail:
	if (last) {
		drop(r, p->m, VSW_PL_DROP_GROUP);
		p->m = NULL;
	} else if (r->ops->drop != NULL) {
		r->ops->drop(r->octx, VSW_PL_DROP_GROUP);
	}
}

/* An output of any kind; 'last': give the packet itself. */
static void
exec_output(const struct run *r, struct pkt *p, const struct vsw_act *a, bool last, unsigned depth)
{
	struct rte_mbuf *m;
	struct vsw_pl_pin pin;

	if (a->type == VSW_ACT_GROUP) {
		run_group(r, p, a->u32, last, depth);
		return;
	}
	m = last ? p->m : pkt_clone(r, p->m);
	if (last)
		p->m = NULL;
	if (m == NULL) {
		if (r->ops->drop != NULL)
			r->ops->drop(r->octx, VSW_PL_DROP_NO_MBUF);
		return;
	}
	p->outputs++;
	switch (a->type) {
	case VSW_ACT_OUTPUT:
		r->ops->output(r->octx, a->u32, p->queue, m);
		break;
	case VSW_ACT_OUT_IN_PORT:
		r->ops->output(r->octx, p->key->in_port, p->queue, m);
		break;
	case VSW_ACT_OUT_NORMAL:
		r->ops->normal(r->octx, p->key->in_port, m);
		break;
	case VSW_ACT_OUT_FLOOD:
	case VSW_ACT_OUT_ALL:
		r->ops->flood(r->octx, p->key->in_port, a->type == VSW_ACT_OUT_ALL, m);
		break;
	case VSW_ACT_OUT_CONTROLLER:
		pin.reason = p->flow != NULL && vsw_pl_flow_is_miss(p->flow) ? VSW_PL_PIN_NO_MATCH
									     : VSW_PL_PIN_ACTION;
		pin.table_id = p->table_id;
		pin.max_len = a->u16;
		pin.cookie = p->flow != NULL ? p->flow->cookie : 0;
		pin.key = p->key;
		r->ops->controller(r->octx, &pin, m);
		break;
	case VSW_ACT_OUT_TABLE: {
		struct vsw_flow_key key = *p->key;

		run_packet(r, m, &key, NULL);
		break;
	}
	default:
		rte_pktmbuf_free(m);
		break;
	}
}

static bool
is_output(uint8_t type)
{
	return type == VSW_ACT_OUTPUT || type == VSW_ACT_GROUP || type >= VSW_ACT_OUT_IN_PORT;
}

/* One action. Returns false when the packet goes no further. */
static bool
exec_one(const struct run *r, struct pkt *p, const struct vsw_act *a, bool last, unsigned depth)
{
	int rc;

	if (is_output(a->type)) {
		exec_output(r, p, a, last, depth);
		return p->m != NULL;
	}
	if (a->type == VSW_ACT_SET_QUEUE) {
		p->queue = a->u32;
		return true;
	}
	rc = vsw_act_modify(&p->m, p->key, a, r->ctx->mp, r->ctx->scratch);
	if (rc == VSW_ACT_R_REPARSED)
		p->reparsed = true;
	if (rc >= 0 && rc != VSW_ACT_R_INVALID_TTL)
		return true;
	if (rc == VSW_ACT_R_INVALID_TTL && r->ctx->pl->conf.invalid_ttl_to_controller) {
		struct vsw_pl_pin pin = {.reason = VSW_PL_PIN_INVALID_TTL,
					 .table_id = p->table_id,
					 .max_len = 0xffff,
					 .cookie = p->flow != NULL ? p->flow->cookie : 0,
					 .key = p->key};

		r->ops->controller(r->octx, &pin, p->m);
		p->outputs++;
	} else {
		drop(r, p->m, rc < 0 ? VSW_PL_DROP_NO_MBUF : VSW_PL_DROP_TTL);
	}
	p->m = NULL;
	return false;
}

/* Runs ops[0, n); 'more': the packet is needed after the list. */
static bool
exec_list(const struct run *r, struct pkt *p, const struct vsw_act *ops, size_t n, bool more,
	  unsigned depth)
{
	for (size_t i = 0; i < n; i++)
		if (!exec_one(r, p, &ops[i], !more && i == n - 1, depth))
			return false;
	return p->m != NULL;
}

static void
count_flow(const struct run *r, const struct vsw_pl_flow *f, uint32_t bytes)
{
	struct vsw_pl_counter *c = (struct vsw_pl_counter *)&f->counters[r->ctx->pmd];

	__atomic_store_n(&c->packets, c->packets + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&c->bytes, c->bytes + bytes, __ATOMIC_RELAXED);
	__atomic_store_n(&c->used_ns, r->ctx->now_ns, __ATOMIC_RELAXED);
}

bool
vsw_pl_flow_is_miss(const struct vsw_pl_flow *f)
{
	const vsw_flow_word *w = vsw_flow_key_words(&f->rule.mask);

	if (f->rule.priority != 0)
		return false;
	for (size_t i = 0; i < VSW_FLOW_KEY_WORDS; i++)
		if (w[i] != 0)
			return false;
	return true;
}
/* The action set at the end of the pipeline (§5.10). */
static void
exec_set(const struct run *r, struct pkt *p, const struct vsw_act_set *set)
{
	const struct vsw_act *list[VSW_ACT_SET_MAX];
	size_t n = vsw_act_set_list(set, list);

	for (size_t i = 0; i < n; i++)
		if (!exec_one(r, p, list[i], i == n - 1, 0))
			return;
}

/* 'h': what the burst's first pass found (NULL: no cache, nothing known). */
static void
run_packet(const struct run *r, struct rte_mbuf *m, struct vsw_flow_key *key, struct hint *h)
{
	struct vsw_pl_ctx *ctx = r->ctx;
	struct vsw_pl *pl = ctx->pl;
	uint64_t v = r->version;
	const struct vsw_pl_flow *path[VSW_PL_MAX_HOPS];
	struct vsw_flow_key orig;
	struct vsw_act_set set;
	struct pkt p = {.m = m, .key = key};
	unsigned hops = 0, n_known = h != NULL ? h->n_known : 0;
	bool cacheable = h != NULL && h->cacheable;
	uint8_t t = 0;

	if (cacheable)
		orig = *key;
	vsw_act_set_clear(&set);
	for (;;) {
		const struct vsw_pl_flow *f;
		const struct vsw_act_prog *prog;
		bool more;

		if (hops < n_known && !p.reparsed) {
			f = h->known[hops];
		} else {
			const struct vsw_cls_rule *rule = vsw_cls_lookup(pl->cls[t], v, key, NULL);

			f = rule != NULL ? container_of(rule, const struct vsw_pl_flow, rule)
					 : NULL;
			if (p.reparsed || hops >= VSW_PL_MAX_HOPS)
				cacheable = false;
		}
		if (hops < VSW_PL_MAX_HOPS)
			path[hops] = f;
		hops++;
		stat_inc(&ctx->lookups[t]);
		if (f == NULL) {
			drop(r, p.m, VSW_PL_DROP_TABLE_MISS);
			break;
		}
		stat_inc(&ctx->matched[t]);
		count_flow(r, f, rte_pktmbuf_pkt_len(p.m));
		prog = vsw_cls_rule_actions(&f->rule);
		p.table_id = t;
		p.flow = f;
		if (prog->meter_id != 0) {
			struct vsw_pl_meter *mt = vsw_pl_map_find(
				__atomic_load_n(&pl->meters, __ATOMIC_ACQUIRE), prog->meter_id);

			if (mt == NULL || !vsw_pl_meter_pass(mt, ctx->pmd, rte_pktmbuf_pkt_len(p.m),
							     ctx->now_ns)) {
				drop(r, p.m, VSW_PL_DROP_METER);
				break;
			}
		}
		more = (prog->flags & VSW_ACT_P_GOTO) || prog->n_write != 0 ||
		       (!(prog->flags & VSW_ACT_P_CLEAR) &&
			(set.set_fields != 0 || set.output != NULL || set.group != NULL ||
			 set.pop_vlan != NULL || set.push_vlan != NULL || set.dec_ttl != NULL ||
			 set.set_ttl != NULL || set.queue != NULL));
		if (!exec_list(r, &p, prog->ops, prog->n_apply, more, 0))
			break;
		if (prog->flags & VSW_ACT_P_CLEAR)
			vsw_act_set_clear(&set);
		vsw_act_set_write(&set, prog->ops + prog->n_apply, prog->n_write);
		if (prog->flags & VSW_ACT_P_METADATA)
			key->metadata = (key->metadata & ~prog->metadata_mask) | prog->metadata;
		if (prog->flags & VSW_ACT_P_GOTO) {
			t = prog->goto_table;
			continue;
		}
		exec_set(r, &p, &set);
		if (p.m != NULL) {
			if (p.outputs == 0)
				drop(r, p.m, VSW_PL_DROP_NO_OUTPUT);
			else
				rte_pktmbuf_free(p.m);
		}
		break;
	}
	if (cacheable && hops <= VSW_PL_MAX_HOPS)
		vsw_emc_insert(ctx->emc, &orig, h->hash, v, path, hops);
}

/* The first hop's actions and this PMD's counters, wanted soon. */
static inline void
prefetch_flow(const struct run *r, const struct vsw_pl_flow *f)
{
	if (f == NULL)
		return;
	__builtin_prefetch(vsw_cls_rule_actions(&f->rule));
	__builtin_prefetch(&f->counters[r->ctx->pmd], 1);
}

/* Up to VSW_CLS_BATCH packets, in passes whose cache misses overlap: keys and
 * their hashes (prefetching the cache's slots); the cache; one batched lookup
 * in table 0 for the cache's misses (prefetching the flows found); then each
 * packet through the pipeline, its first hop known. A cache entry's hops are
 * copied at once: running an earlier packet may overwrite the entry. */
static void
run_burst(struct run *r, struct rte_mbuf **pkts, struct vsw_flow_key *keys, unsigned n,
	  uint32_t in_port)
{
	struct vsw_pl_ctx *ctx = r->ctx;
	struct vsw_flow_key local[VSW_CLS_BATCH], *key[VSW_CLS_BATCH];
	const struct vsw_flow_key *miss_key[VSW_CLS_BATCH];
	const struct vsw_cls_rule *found[VSW_CLS_BATCH];
	struct hint h[VSW_CLS_BATCH];
	uint8_t miss_idx[VSW_CLS_BATCH];
	unsigned n_miss = 0;
	bool emc = ctx->emc != NULL && vsw_emc_gate_use(&ctx->emc_gate);

	r->version = vsw_cls_version_read(&ctx->pl->version);
	for (unsigned i = 0; i < n; i++) {
		key[i] = keys != NULL ? &keys[i] : &local[i];
		if (keys == NULL) {
			local[i].metadata = 0;
			local[i].in_port = in_port;
			vsw_act_key_refresh(pkts[i], key[i], ctx->scratch);
		}
		if (emc) {
			h[i].hash = vsw_pl_key_hash(key[i]);
			vsw_emc_prefetch(ctx->emc, h[i].hash);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		const struct vsw_emc_entry *e =
			emc ? vsw_emc_lookup(ctx->emc, key[i], h[i].hash, r->version) : NULL;

		h[i].cacheable = emc && e == NULL;
		if (e != NULL) {
			h[i].n_known = e->n;
			memcpy(h[i].known, e->flows, e->n * sizeof(e->flows[0]));
			prefetch_flow(r, h[i].known[0]);
			stat_inc(&ctx->emc_hits);
		} else {
			miss_key[n_miss] = key[i];
			miss_idx[n_miss++] = (uint8_t)i;
			if (emc)
				stat_inc(&ctx->emc_misses);
		}
	}
	if (emc)
		vsw_emc_gate_count(&ctx->emc_gate, n, n - n_miss);
	if (n_miss > 0)
		vsw_cls_lookup_batch(ctx->pl->cls[0], r->version, miss_key, n_miss, found);
	for (unsigned j = 0; j < n_miss; j++) {
		struct hint *hj = &h[miss_idx[j]];

		hj->n_known = 1;
		hj->known[0] = found[j] != NULL
				       ? container_of(found[j], const struct vsw_pl_flow, rule)
				       : NULL;
		prefetch_flow(r, hj->known[0]);
	}
	for (unsigned i = 0; i < n; i++)
		run_packet(r, pkts[i], key[i], &h[i]);
}

void
vsw_pl_run(struct vsw_pl_ctx *ctx, struct rte_mbuf **pkts, struct vsw_flow_key *keys, uint16_t n,
	   uint32_t in_port, const struct vsw_pl_out_ops *ops, void *octx)
{
	struct run r = {.ctx = ctx, .ops = ops, .octx = octx};

	for (uint16_t i = 0; i < n; i += VSW_CLS_BATCH)
		run_burst(&r, pkts + i, keys != NULL ? keys + i : NULL,
			  RTE_MIN((unsigned)(n - i), (unsigned)VSW_CLS_BATCH), in_port);
}

void
vsw_pl_packet_out(struct vsw_pl_ctx *ctx, struct rte_mbuf *m, uint32_t in_port,
		  const struct vsw_act_prog *prog, const struct vsw_pl_out_ops *ops, void *octx)
{
	const struct run r = {.ctx = ctx,
			      .ops = ops,
			      .octx = octx,
			      .version = vsw_cls_version_read(&ctx->pl->version)};
	struct vsw_flow_key key = {.in_port = in_port};
	struct pkt p = {.m = m, .key = &key, .table_id = 0xff};

	vsw_act_key_refresh(m, &key, ctx->scratch);
	exec_list(&r, &p, prog->ops, prog->n_apply, false, 0);
	if (p.m != NULL) {
		if (p.outputs == 0)
			drop(&r, p.m, VSW_PL_DROP_NO_OUTPUT);
		else
			rte_pktmbuf_free(p.m);
	}
}

int
vsw_pl_ctx_init(struct vsw_pl_ctx *ctx, struct vsw_pl *pl, unsigned pmd, struct rte_mempool *mp,
		bool emc)
{
	memset(ctx, 0, sizeof(*ctx));
	if (pmd >= pl->conf.n_pmds)
		return -EINVAL;
	ctx->pl = pl;
	ctx->pmd = pmd;
	ctx->mp = mp;
	ctx->scratch = malloc(sizeof(*ctx->scratch));
	if (ctx->scratch == NULL)
		return -ENOMEM;
	ctx->emc_gate.on = true;
	if (emc && vsw_emc_create(&ctx->emc) != 0) {
		free(ctx->scratch);
		ctx->scratch = NULL;
		return -ENOMEM;
	}
	return 0;
}

void
vsw_pl_ctx_fini(struct vsw_pl_ctx *ctx)
{
	vsw_emc_destroy(ctx->emc);
	free(ctx->scratch);
	ctx->emc = NULL;
	ctx->scratch = NULL;
}
