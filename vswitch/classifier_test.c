/* Tests of the classifier (classifier.c, included below so that its calloc()
 * can be made to fail; the test then does not link the library's copy): unit
 * cases (priorities, ties, versions and grace periods, find and overlap,
 * staged wildcards, out of memory), a model test against a linear scan over
 * random rules, packets and versions with a soundness check of the returned
 * wildcards (bad-input.md class 13, P8), and version atomicity (P7),
 * single-threaded and with a concurrent reader.
 * CLS_SEED=n in the environment replays a run of the model test. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

/* classifier.c itself, with calloc() able to fail on request (test_insert_nomem).
 * <stdlib.h> comes first so that only classifier.c's calls are renamed. */
static long calloc_countdown = -1; /* fail the call this many calls from now */

static void *
failing_calloc(size_t n, size_t size)
{
	if (calloc_countdown >= 0 && calloc_countdown-- == 0)
		return NULL;
	return calloc(n, size);
}

#define calloc failing_calloc
#include "classifier.c"
#undef calloc

/* ---- random numbers ---- */

static uint64_t rng_state;

static uint64_t
rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * UINT64_C(0x2545f4914f6cdd1d);
}

static uint32_t
rnd_below(uint32_t n)
{
	return (uint32_t)((rnd() >> 32) % n);
}

static void
seed_rng(uint64_t dflt)
{
	const char *s = getenv("CLS_SEED");

	rng_state = s ? strtoull(s, NULL, 0) : dflt;
	if (rng_state == 0)
		rng_state = 1;
	print_message("seed %llu (CLS_SEED to replay)\n", (unsigned long long)rng_state);
}

/* ---- a fake RCU: deferred callbacks run when the test says so ---- */

struct deferred {
	void (*fn)(void *);
	void *arg;
	uint64_t tag;
};

struct rcu {
	struct deferred *q;
	size_t n, cap;
	uint64_t now;	       /* tag for new entries */
	const uint64_t *clock; /* if set, the tag is read from it instead */
	size_t freed;	       /* rules handed back */
};

static void
rcu_defer(void *ctx, void (*fn)(void *), void *arg)
{
	struct rcu *r = ctx;
	uint64_t tag = r->now;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->q = realloc(r->q, r->cap * sizeof(r->q[0]));
		assert_non_null(r->q);
	}

	if (r->clock) {
		/* Order the unlink before reading the readers' progress (as
		 * rte_rcu_qsbr does): a reader that passed its quiescent point
		 * after this load will not find the object. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		tag = __atomic_load_n(r->clock, __ATOMIC_ACQUIRE);
	}
	r->q[r->n++] = (struct deferred){fn, arg, tag};
}

/* Runs the callbacks deferred with a tag below 'floor' (not those they defer
 * in turn, which get the current tag). */
static void
rcu_run(struct rcu *r, uint64_t floor)
{
	size_t n = r->n, k = 0;
	struct deferred *due = malloc((n ? n : 1) * sizeof(*due));
	size_t nt = 0;

	assert_non_null(due);
	for (size_t i = 0; i < n; i++) {
		if (r->q[i].tag < floor)
			due[nt++] = r->q[i];
		else
			r->q[k++] = r->q[i];
	}
	/* Entries added by callbacks go after the kept ones. */
	r->n = k;
	for (size_t i = 0; i < nt; i++)
		due[i].fn(due[i].arg);
	free(due);
}

static void
rcu_drain(struct rcu *r)
{
	while (r->n)
		rcu_run(r, UINT64_MAX);
}

struct trule {
	struct vsw_cls_rule r;
	int id;
};

static void
trule_free(void *ctx, struct vsw_cls_rule *rule)
{
	struct rcu *r = ctx;

	r->freed++;
	free((struct trule *)((char *)rule - offsetof(struct trule, r)));
}

/* Another classifier on the same fake RCU. */
static struct vsw_cls *
add_cls(struct rcu *r)
{
	struct vsw_cls_ops ops = {.defer = rcu_defer, .rule_free = trule_free, .ctx = r};
	struct vsw_cls *cls = NULL;

	assert_int_equal(vsw_cls_create(&ops, &cls), 0);
	return cls;
}

static struct vsw_cls *
new_cls(struct rcu *r)
{
	memset(r, 0, sizeof(*r));
	return add_cls(r);
}

static void
free_cls(struct vsw_cls *cls, struct rcu *r)
{
	rcu_drain(r);
	vsw_cls_destroy(cls);
	free(r->q);
}

static struct trule *
new_rule(const struct vsw_flow_key *key, const struct vsw_flow_key *mask, uint32_t prio, int id)
{
	struct trule *t = malloc(sizeof(*t));

	assert_non_null(t);
	vsw_cls_rule_init(&t->r, key, mask, prio, (void *)(uintptr_t)(id + 1));
	t->id = id;
	return t;
}

static int
id_of(const struct vsw_cls_rule *r)
{
	return r ? ((const struct trule *)(const void *)((const char *)r -
							 offsetof(struct trule, r)))
			       ->id
		 : -1;
}

static struct vsw_flow_key
zero_key(void)
{
	struct vsw_flow_key k;

	memset(&k, 0, sizeof(k));
	return k;
}

static int
lookup_id(struct vsw_cls *cls, uint64_t v, const struct vsw_flow_key *k)
{
	return id_of(vsw_cls_lookup(cls, v, k, NULL));
}

/* ---- unit cases ---- */

static void
test_empty(void **state)
{
	struct rcu r;
	struct vsw_cls *cls = new_cls(&r);
	struct vsw_flow_key k = zero_key(), wc = zero_key(), z = zero_key();
	struct vsw_cls_stats st;

	(void)state;
	assert_null(vsw_cls_lookup(cls, 0, &k, &wc));
	assert_memory_equal(&wc, &z, sizeof(wc));
	vsw_cls_get_stats(cls, &st);
	assert_int_equal(st.rules, 0);
	assert_int_equal(st.subtables, 0);
	free_cls(cls, &r);
	vsw_cls_destroy(NULL);
}

static void
test_priorities(void **state)
{
	struct rcu r;
	struct vsw_cls *cls = new_cls(&r);
	struct vsw_flow_key k = zero_key(), m = zero_key(), key = zero_key(), wc;
	struct vsw_cls_stats st;

	(void)state;
	/* 0: catch-all; 1: IPv4; 2: 10/8; 3: 10/8 TCP port 80; 4: port 80, prio 5 */
	assert_int_equal(vsw_cls_insert(cls, &new_rule(&k, &m, 0, 0)->r, 1), 0);
	k.eth_type = 0x0800;
	m.eth_type = 0xffff;
	assert_int_equal(vsw_cls_insert(cls, &new_rule(&k, &m, 10, 1)->r, 1), 0);
	k.ipv4_dst = 0x0a000000;
	m.ipv4_dst = 0xff000000;
	assert_int_equal(vsw_cls_insert(cls, &new_rule(&k, &m, 20, 2)->r, 1), 0);
	k.ip_proto = 6;
	m.ip_proto = 0xff;
	k.tp_dst = 80;
	m.tp_dst = 0xffff;
	assert_int_equal(vsw_cls_insert(cls, &new_rule(&k, &m, 30, 3)->r, 1), 0);
	k = zero_key();
	m = zero_key();
	k.tp_dst = 80;
	m.tp_dst = 0xffff;
	assert_int_equal(vsw_cls_insert(cls, &new_rule(&k, &m, 5, 4)->r, 1), 0);
	vsw_cls_get_stats(cls, &st);
	assert_int_equal(st.rules, 5);
	assert_int_equal(st.subtables, 5);

	assert_int_equal(lookup_id(cls, 0, &key), -1); /* version 0: nothing yet */
	assert_int_equal(lookup_id(cls, 1, &key), 0);
	key.tp_dst = 80;
	assert_int_equal(lookup_id(cls, 1, &key), 4);
	key.eth_type = 0x0800;
	assert_int_equal(lookup_id(cls, 1, &key), 1);
	key.ipv4_dst = 0x0a010203;
	assert_int_equal(lookup_id(cls, 1, &key), 2);
	key.ip_proto = 6;
	wc = zero_key();
	assert_int_equal(id_of(vsw_cls_lookup(cls, 1, &key, &wc)), 3);
	/* The best is in the first subtable: nothing else was examined. */
	assert_int_equal(wc.tp_dst, 0xffff);
	assert_int_equal(wc.ipv4_dst, 0xff000000);
	assert_int_equal(wc.ipv4_src, 0);
	free_cls(cls, &r);
}

/* Equal priorities: the rule inserted first wins, whichever subtable it is in,
 * and a replaced rule keeps its place. */
static void
test_equal_priority_ties(void **state)
{
	struct rcu r;
	struct vsw_cls *cls = new_cls(&r);
	struct vsw_flow_key k = zero_key(), m1 = zero_key(), m2 = zero_key(), key = zero_key();
	struct trule *a, *b, *a2;

	(void)state;
	m1.in_port = ~0u;
	m2.eth_type = 0xffff;
	k.in_port = 1;
	k.eth_type = 0x0800;
	a = new_rule(&k, &m1, 7, 1);
	b = new_rule(&k, &m2, 7, 2);
	assert_int_equal(vsw_cls_insert(cls, &a->r, 1), 0);
	assert_int_equal(vsw_cls_insert(cls, &b->r, 1), 0);
	key.in_port = 1;
	key.eth_type = 0x0800;
	assert_int_equal(lookup_id(cls, 1, &key), 1);
	a2 = new_rule(&k, &m1, 7, 3);
	assert_int_equal(vsw_cls_replace(cls, &a->r, &a2->r, 2), 0);
	assert_int_equal(lookup_id(cls, 1, &key), 1);
	assert_int_equal(lookup_id(cls, 2, &key), 3);
	/* Same match, same priority, same subtable: the first one too. */
	assert_int_equal(vsw_cls_insert(cls, &new_rule(&k, &m2, 7, 4)->r, 3), 0);
	key.in_port = 2;
	assert_int_equal(lookup_id(cls, 3, &key), 2);
	free_cls(cls, &r);
}

/* A removed rule stays visible to older versions until retired, is unlinked
 * only after one grace period and freed after a second. */
static void
test_versions_and_grace_periods(void **state)
{
	struct rcu r;
	struct vsw_cls *cls = new_cls(&r);
	struct vsw_flow_key k = zero_key(), m = zero_key();
	struct vsw_cls_version ver = {0};
	struct vsw_cls_stats st;
	struct trule *a;
	size_t n;

	(void)state;
	m.in_port = ~0u;
	k.in_port = 3;
	a = new_rule(&k, &m, 1, 1);
	assert_int_equal(vsw_cls_insert(cls, &a->r, 1), 0);
	assert_int_equal(lookup_id(cls, vsw_cls_version_read(&ver), &k), -1);
	vsw_cls_version_publish(&ver, 1);
	assert_int_equal(lookup_id(cls, vsw_cls_version_read(&ver), &k), 1);

	vsw_cls_remove(cls, &a->r, 2);
	n = r.n;
	vsw_cls_retire(cls, 1); /* not yet published: nothing happens */
	assert_int_equal(r.n, n);
	vsw_cls_version_publish(&ver, 2);
	r.now = 2;
	vsw_cls_retire(cls, 2);
	assert_int_equal(lookup_id(cls, 1, &k), 1); /* a reader still at 1 */
	assert_int_equal(lookup_id(cls, 2, &k), -1);
	vsw_cls_get_stats(cls, &st);
	assert_int_equal(st.pending, 1);
	rcu_run(&r, 2); /* tag 2 is not below 2: the grace period is not over */
	assert_int_equal(lookup_id(cls, 1, &k), 1);
	r.now = 3;
	rcu_run(&r, 3); /* unlinked now, freed after the next period */
	vsw_cls_get_stats(cls, &st);
	assert_int_equal(st.rules, 0);
	assert_int_equal(st.subtables, 0);
	assert_int_equal(r.freed, 0);
	rcu_run(&r, 4);
	assert_int_equal(r.freed, 1);
	vsw_cls_get_stats(cls, &st);
	assert_int_equal(st.pending, 0);

	/* Inserted and removed in the same version (a bundle that failed). */
	a = new_rule(&k, &m, 1, 2);
	assert_int_equal(vsw_cls_insert(cls, &a->r, 3), 0);
	vsw_cls_remove(cls, &a->r, 3);
	vsw_cls_version_publish(&ver, 3);
	for (uint64_t v = 0; v < 5; v++)
		assert_int_equal(lookup_id(cls, v, &k), -1);
	vsw_cls_retire(cls, 3);
	rcu_drain(&r);
	assert_int_equal(r.freed, 2);
	free_cls(cls, &r);
}

static void
test_unremove(void **state)
{
	struct rcu r;
	struct vsw_cls *cls = new_cls(&r);
	struct vsw_flow_key k = zero_key(), m = zero_key();
	struct trule *a, *b;
	struct vsw_cls_stats st;

	(void)state;
	m.eth_type = 0xffff;
	k.eth_type = 0x86dd;
	a = new_rule(&k, &m, 1, 1);
	b = new_rule(&k, &m, 0, 2);
	assert_int_equal(vsw_cls_insert(cls, &a->r, 1), 0);
	assert_int_equal(vsw_cls_insert(cls, &b->r, 1), 0);
	vsw_cls_remove(cls, &b->r, 2);
	vsw_cls_remove(cls, &a->r, 2);
	vsw_cls_unremove(cls, &a->r);
	vsw_cls_unremove(cls, &a->r); /* twice: no-op */
	vsw_cls_retire(cls, 2);
	rcu_drain(&r);
	assert_int_equal(lookup_id(cls, 2, &k), 1);
	assert_int_equal(r.freed, 1);
	vsw_cls_get_stats(cls, &st);
	assert_int_equal(st.rules, 1);
	assert_int_equal(st.pending, 0);
	free_cls(cls, &r);
}

static void
test_set_actions(void **state)
{
	struct rcu r;
	struct vsw_cls *cls = new_cls(&r);
	struct vsw_flow_key k = zero_key(), m = zero_key();
	struct trule *a;

	(void)state;
	a = new_rule(&k, &m, 1, 1);
	assert_int_equal(vsw_cls_insert(cls, &a->r, 1), 0);
	assert_ptr_equal(vsw_cls_rule_actions(vsw_cls_lookup(cls, 1, &k, NULL)), (void *)2);
	assert_ptr_equal(vsw_cls_rule_set_actions(&a->r, (void *)99), (void *)2);
	assert_ptr_equal(vsw_cls_rule_actions(vsw_cls_lookup(cls, 1, &k, NULL)), (void *)99);
	free_cls(cls, &r);
}

struct collect {
	int ids[64];
	size_t n;
	size_t stop_after;
};

static bool
collect_cb(struct vsw_cls_rule *rule, void *arg)
{
	struct collect *c = arg;

	c->ids[c->n++] = id_of(rule);
	return c->n != c->stop_after;
}

static bool
has_id(const struct collect *c, int id)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->ids[i] == id)
			return true;
	return false;
}

static void
test_find_and_overlap(void **state)
{
	struct rcu r;
	struct vsw_cls *cls = new_cls(&r);
	struct vsw_flow_key k = zero_key(), m8 = zero_key(), m24 = zero_key(), mp = zero_key();
	struct vsw_flow_key q = zero_key(), qm = zero_key();
	struct collect c = {0};

	(void)state;
	m8.eth_type = m24.eth_type = mp.eth_type = 0xffff;
	m8.ipv4_dst = 0xff000000;
	m24.ipv4_dst = 0xffffff00;
	mp.tp_dst = 0xffff;
	k.eth_type = 0x0800;
	k.ipv4_dst = 0x0a010200;
	k.tp_dst = 80;
	assert_int_equal(vsw_cls_insert(cls, &new_rule(&k, &m8, 10, 1)->r, 1), 0);
	assert_int_equal(vsw_cls_insert(cls, &new_rule(&k, &m24, 10, 2)->r, 1), 0);
	assert_int_equal(vsw_cls_insert(cls, &new_rule(&k, &m24, 20, 3)->r, 1), 0);
	assert_int_equal(vsw_cls_insert(cls, &new_rule(&k, &mp, 10, 4)->r, 1), 0);
	k.ipv4_dst = 0x0b000000;
	assert_int_equal(vsw_cls_insert(cls, &new_rule(&k, &m24, 10, 5)->r, 1), 0);

	assert_int_equal(vsw_cls_find(cls, 1, VSW_CLS_FIND_ALL, &q, &qm, 0, collect_cb, &c), 5);
	/* Loose, 10/8: the /8 and the /24s inside it, not 11/24, not the port rule. */
	c.n = 0;
	q.eth_type = 0x0800;
	q.ipv4_dst = 0x0a000000;
	qm = m8;
	assert_int_equal(vsw_cls_find(cls, 1, VSW_CLS_FIND_LOOSE, &q, &qm, 0, collect_cb, &c), 3);
	assert_true(has_id(&c, 1) && has_id(&c, 2) && has_id(&c, 3));
	/* Strict: mask, value and priority. */
	c.n = 0;
	q.ipv4_dst = 0x0a0102ff; /* masked by the query's mask */
	qm = m24;
	assert_int_equal(vsw_cls_find(cls, 1, VSW_CLS_FIND_STRICT, &q, &qm, 20, collect_cb, &c), 1);
	assert_int_equal(c.ids[0], 3);
	c.n = 0;
	assert_int_equal(vsw_cls_find(cls, 1, VSW_CLS_FIND_STRICT, &q, &qm, 11, collect_cb, &c), 0);
	/* fn stops the walk. */
	c.n = 0;
	c.stop_after = 2;
	assert_int_equal(vsw_cls_find(cls, 1, VSW_CLS_FIND_ALL, &q, &qm, 0, collect_cb, &c), 2);
	/* At version 0 nothing is visible. */
	c.n = 0;
	assert_int_equal(vsw_cls_find(cls, 0, VSW_CLS_FIND_ALL, &q, &qm, 0, collect_cb, &c), 0);

	/* Overlap: a /16 at priority 10 overlaps the /8, /24 and port rules. */
	q.ipv4_dst = 0x0a010000;
	qm.ipv4_dst = 0xffff0000;
	assert_true(vsw_cls_overlaps(cls, 1, &q, &qm, 10, NULL));
	assert_false(vsw_cls_overlaps(cls, 1, &q, &qm, 11, NULL));
	/* 12/8 at priority 20 is disjoint from 10.1.2/24 (priority 20). */
	q.ipv4_dst = 0x0c000000;
	qm.ipv4_dst = 0xff000000;
	assert_false(vsw_cls_overlaps(cls, 1, &q, &qm, 20, NULL));
	/* ... but any IPv4 at priority 10 meets the port rule. */
	assert_true(vsw_cls_overlaps(cls, 1, &q, &qm, 10, NULL));
	free_cls(cls, &r);
}

/* Staged lookup: a rule on in_port and tp_dst misses on in_port without
 * examining the L4 fields. */
static void
test_stage_wildcards(void **state)
{
	struct rcu r;
	struct vsw_cls *cls = new_cls(&r);
	struct vsw_flow_key k = zero_key(), m = zero_key(), key = zero_key(), wc = zero_key();

	(void)state;
	m.in_port = ~0u;
	m.eth_type = 0xffff;
	m.ip_proto = 0xff;
	m.tp_dst = 0xffff;
	k.in_port = 1;
	k.eth_type = 0x0800;
	k.ip_proto = 6;
	k.tp_dst = 22;
	assert_int_equal(vsw_cls_insert(cls, &new_rule(&k, &m, 1, 1)->r, 1), 0);
	key = k;
	key.in_port = 2;
	assert_null(vsw_cls_lookup(cls, 1, &key, &wc));
	assert_int_equal(wc.in_port, ~0u);
	assert_int_equal(wc.eth_type, 0);
	assert_int_equal(wc.tp_dst, 0);
	key.in_port = 1;
	key.ip_proto = 17;
	wc = zero_key();
	assert_null(vsw_cls_lookup(cls, 1, &key, &wc));
	assert_int_equal(wc.ip_proto, 0xff);
	assert_int_equal(wc.tp_dst, 0);
	key.ip_proto = 6;
	wc = zero_key();
	assert_int_equal(id_of(vsw_cls_lookup(cls, 1, &key, &wc)), 1);
	assert_int_equal(wc.tp_dst, 0xffff);
	free_cls(cls, &r);
}

/* OXM VLAN_VID with OFPVID_PRESENT (OpenFlow 1.3 §7.2.3.8) on keys extracted
 * from frames: "no tag", "any tag" and one VID. */
static void
test_vlan_vid_present(void **state)
{
	static const uint8_t untagged[] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x06};
	static const uint8_t tag10[] = {2, 0, 0, 0,    0,    1,	   2,  0,    0,
					0, 0, 2, 0x81, 0x00, 0x00, 10, 0x08, 0x06};
	static const uint8_t tag20[] = {2, 0, 0, 0,    0,    1,	   2,  0,    0,
					0, 0, 2, 0x81, 0x00, 0xe0, 20, 0x08, 0x06};
	struct rcu r;
	struct vsw_cls *cls = new_cls(&r);
	struct vsw_flow_key k = zero_key(), m = zero_key(), key;

	(void)state;
	m.vlan_vid = VSW_FLOW_VID_MASK; /* none: value 0, mask 0x1fff */
	assert_int_equal(vsw_cls_insert(cls, &new_rule(&k, &m, 30, 1)->r, 1), 0);
	k.vlan_vid = VSW_FLOW_VID_PRESENT | 10; /* exact */
	assert_int_equal(vsw_cls_insert(cls, &new_rule(&k, &m, 20, 2)->r, 1), 0);
	k.vlan_vid = m.vlan_vid = VSW_FLOW_VID_PRESENT; /* any tag */
	assert_int_equal(vsw_cls_insert(cls, &new_rule(&k, &m, 10, 3)->r, 1), 0);

	assert_int_equal(vsw_flow_key_extract(untagged, sizeof(untagged), 1, &key), 0);
	assert_int_equal(lookup_id(cls, 1, &key), 1);
	assert_int_equal(vsw_flow_key_extract(tag10, sizeof(tag10), 1, &key), 0);
	assert_int_equal(lookup_id(cls, 1, &key), 2);
	assert_int_equal(vsw_flow_key_extract(tag20, sizeof(tag20), 1, &key), 0);
	assert_int_equal(lookup_id(cls, 1, &key), 3);
	free_cls(cls, &r);
}

/* 20k rules under one mask: one subtable, every lookup one hash probe. */
static void
test_many_rules_one_subtable(void **state)
{
	struct rcu r;
	struct vsw_cls *cls = new_cls(&r);
	struct vsw_flow_key k = zero_key(), m = zero_key();
	struct vsw_cls_stats st;
	const uint32_t n = 20000;

	(void)state;
	m.eth_type = 0xffff;
	m.ipv4_dst = ~0u;
	k.eth_type = 0x0800;
	for (uint32_t i = 0; i < n; i++) {
		k.ipv4_dst = 0x0a000000 + i;
		assert_int_equal(vsw_cls_insert(cls, &new_rule(&k, &m, 1, (int)i)->r, 1), 0);
	}
	vsw_cls_get_stats(cls, &st);
	assert_int_equal(st.subtables, 1);
	assert_int_equal(st.rules, n);
	for (uint32_t i = 0; i < n; i++) {
		k.ipv4_dst = 0x0a000000 + i;
		assert_int_equal(lookup_id(cls, 1, &k), (int)i);
	}
	/* Remove every other one: the rest stay reachable through tombstones. */
	for (uint32_t i = 0; i < n; i += 2) {
		k.ipv4_dst = 0x0a000000 + i;
		vsw_cls_remove(cls, (struct vsw_cls_rule *)vsw_cls_lookup(cls, 1, &k, NULL), 2);
	}
	vsw_cls_retire(cls, 2);
	rcu_drain(&r);
	for (uint32_t i = 0; i < n; i++) {
		k.ipv4_dst = 0x0a000000 + i;
		assert_int_equal(lookup_id(cls, 2, &k), i % 2 ? (int)i : -1);
	}
	free_cls(cls, &r);
}

/* Every allocation an insert makes can fail: the insert then returns -ENOMEM
 * and the classifier is as it was (same lookups, same stats). */
static void
test_insert_nomem(void **state)
{
	struct rcu r;
	struct vsw_cls *cls = new_cls(&r);
	unsigned int failures = 0;

	(void)state;
	seed_rng(0xe40e);
	for (int i = 0; i < 400; i++) {
		struct vsw_flow_key k = zero_key(), m = zero_key();
		struct vsw_cls_stats before, after;
		const struct vsw_cls_rule *got;
		struct trule *t;
		int ret;

		m.in_port = ~0u << rnd_below(4);
		m.ipv4_dst = ~0u << rnd_below(24);
		m.tp_dst = rnd_below(2) ? 0xffff : 0;
		k.in_port = rnd_below(64);
		k.ipv4_dst = (uint32_t)rnd();
		k.tp_dst = (uint16_t)rnd_below(4);
		t = new_rule(&k, &m, rnd_below(100), i);
		vsw_cls_get_stats(cls, &before);
		for (long n = 0;; n++) {
			calloc_countdown = n;
			ret = vsw_cls_insert(cls, &t->r, 1);
			calloc_countdown = -1;
			if (ret == 0)
				break;
			assert_int_equal(ret, -ENOMEM);
			failures++;
			vsw_cls_get_stats(cls, &after);
			assert_memory_equal(&before, &after, sizeof(before));
			/* The rule that failed is nowhere. */
			assert_ptr_not_equal(vsw_cls_lookup(cls, 1, &t->r.key, NULL), &t->r);
		}
		got = vsw_cls_lookup(cls, 1, &t->r.key, NULL);
		assert_true(got == &t->r || (got && got->priority >= t->r.priority));
	}
	print_message("%u failed allocations, each undone\n", failures);
	assert_true(failures > 400);
	free_cls(cls, &r);
}

/* ---- the model test (class 13) ---- */

#define POOL 4

struct mrule {
	struct trule *t;
	struct vsw_flow_key key, mask;
	uint32_t priority;
	uint64_t seq;
	uint64_t add_v, remove_v;
	void *actions;
};

struct model {
	struct mrule *r;
	size_t n, cap;
	uint64_t seq;
};

static const struct vsw_flow_field *
field(const char *name)
{
	for (size_t i = 0; i < vsw_flow_n_fields; i++)
		if (strcmp(vsw_flow_fields[i].name, name) == 0)
			return &vsw_flow_fields[i];
	fail_msg("no field %s", name);
	return NULL;
}

static void
set_bytes(struct vsw_flow_key *k, const char *name, uint64_t v)
{
	const struct vsw_flow_field *f = field(name);
	uint8_t *p = (uint8_t *)k + f->ofs;

	if (f->len == 6 || f->len == 16) {
		memset(p, 0, f->len);
		p[0] = 0x20;
		p[f->len - 1] = (uint8_t)v;
		p[f->len / 2] = (uint8_t)(v >> 8);
		return;
	}
	memcpy(p, &v, f->len); /* little-endian host */
}

/* A key drawn from small pools, so that rules and packets meet often. */
static struct vsw_flow_key
pool_key(void)
{
	static const uint16_t types[] = {0x0800, 0x86dd, 0x0806, 0x8847};
	static const uint16_t ports[] = {22, 53, 80, 443};
	static const uint8_t protos[] = {6, 17, 1, 58};
	struct vsw_flow_key k = zero_key();

	k.in_port = 1 + rnd_below(POOL);
	k.metadata = rnd_below(3);
	set_bytes(&k, "eth_dst", rnd_below(POOL));
	set_bytes(&k, "eth_src", rnd_below(POOL));
	k.eth_type = types[rnd_below(4)];
	k.vlan_vid = rnd_below(3) == 0 ? 0 : (uint16_t)(VSW_FLOW_VID_PRESENT | (10 * rnd_below(3)));
	k.vlan_pcp = (uint8_t)rnd_below(2);
	k.ipv4_src = 0x0a000000 | rnd_below(POOL) << 8 | rnd_below(POOL);
	k.ipv4_dst = 0x0a000000 | rnd_below(POOL) << 16 | rnd_below(POOL) << 8 | rnd_below(POOL);
	set_bytes(&k, "ipv6_src", rnd_below(POOL));
	set_bytes(&k, "ipv6_dst", rnd_below(POOL) << 8 | rnd_below(POOL));
	k.ip_proto = protos[rnd_below(4)];
	k.ip_dscp = (uint8_t)rnd_below(2);
	k.tp_src = ports[rnd_below(4)];
	k.tp_dst = ports[rnd_below(4)];
	k.icmpv4_type = (uint8_t)rnd_below(2);
	k.arp_op = (uint16_t)(1 + rnd_below(2));
	k.arp_spa = 0x0a000000 | rnd_below(POOL);
	set_bytes(&k, "ipv6_nd_target", rnd_below(POOL));
	k.nw_frag = (uint8_t)rnd_below(2);
	return k;
}

static void
mask_field(struct vsw_flow_key *m, const char *name, unsigned int plen)
{
	vsw_flow_mask_set_field(m, field(name), plen);
}

/* Masks of realistic shapes (what controllers install), and random ones. */
static struct vsw_flow_key
random_mask(bool specific)
{
	static const unsigned int v4_plen[] = {8, 16, 24, 32};
	static const uint32_t narrow[] = {3, 4, 5, 7, 8, 9};
	struct vsw_flow_key m = zero_key();

	if (specific) { /* narrow rules: most packets miss */
		mask_field(&m, "in_port", 32);
		mask_field(&m, "eth_dst", 48);
	}
	switch (specific ? narrow[rnd_below(6)] : rnd_below(12)) {
	case 0: /* rarely a table-miss rule (the priority makes it one) */
		if (rnd_below(20) == 0)
			break;
		mask_field(&m, "ip_dscp", 6);
		break;
	case 1:
		mask_field(&m, "in_port", 32);
		break;
	case 2:
		mask_field(&m, "eth_dst", 48);
		if (rnd_below(2))
			mask_field(&m, "vlan_vid", 13);
		break;
	case 3:
		mask_field(&m, "eth_type", 16);
		mask_field(&m, "ipv4_dst", v4_plen[rnd_below(4)]);
		break;
	case 4:
		mask_field(&m, "eth_type", 16);
		mask_field(&m, "ipv4_src", v4_plen[rnd_below(4)]);
		mask_field(&m, "ipv4_dst", v4_plen[rnd_below(4)]);
		break;
	case 5:
		mask_field(&m, "eth_type", 16);
		mask_field(&m, "ip_proto", 8);
		mask_field(&m, rnd_below(2) ? "tp_dst" : "tp_src", 16);
		break;
	case 6:
		mask_field(&m, "in_port", 32);
		mask_field(&m, "vlan_vid", rnd_below(3) ? 13 : 1); /* exact, or "any tag" */
		break;
	case 7:
		mask_field(&m, "metadata", 64);
		mask_field(&m, "eth_type", 16);
		mask_field(&m, "ipv6_dst", rnd_below(2) ? 64 : 128);
		break;
	case 8:
		mask_field(&m, "in_port", 32);
		mask_field(&m, "eth_src", 48);
		mask_field(&m, "eth_type", 16);
		mask_field(&m, "ip_proto", 8);
		mask_field(&m, "tp_src", 16);
		mask_field(&m, "tp_dst", 16);
		break;
	case 9:
		mask_field(&m, "eth_type", 16);
		mask_field(&m, "arp_op", 16);
		mask_field(&m, "arp_spa", 32);
		break;
	default: { /* random: random bits of 1-3 random fields, or whole words */
		vsw_flow_word *w = vsw_flow_key_words_rw(&m);

		for (uint32_t i = 0, n = 1 + rnd_below(3); i < n; i++) {
			const struct vsw_flow_field *f =
				&vsw_flow_fields[rnd_below((uint32_t)vsw_flow_n_fields)];
			struct vsw_flow_key fm = zero_key();
			const vsw_flow_word *fw = vsw_flow_key_words(&fm);

			vsw_flow_mask_set_field(&fm, f, f->bits);
			for (size_t j = 0; j < VSW_FLOW_KEY_WORDS; j++)
				w[j] |= fw[j] & (rnd() | rnd());
		}
		if (rnd_below(8) == 0)
			w[rnd_below((uint32_t)VSW_FLOW_KEY_WORDS)] |= rnd() & rnd();
		/* keep pad words out of it: extraction never sets them */
		m.pad0 = 0;
		m.pad1 = m.pad2 = m.pad3 = m.pad4 = 0;
		break;
	}
	}
	return m;
}

static bool
m_visible(const struct mrule *e, uint64_t v)
{
	return e->add_v <= v && v < e->remove_v;
}

static bool
m_better(const struct mrule *a, const struct mrule *b)
{
	return b == NULL || a->priority > b->priority ||
	       (a->priority == b->priority && a->seq < b->seq);
}

/* The reference: a linear scan. */
static const struct mrule *
m_lookup(const struct model *md, uint64_t v, const struct vsw_flow_key *k)
{
	const struct mrule *best = NULL;

	for (size_t i = 0; i < md->n; i++) {
		const struct mrule *e = &md->r[i];

		if (m_visible(e, v) && vsw_flow_key_equal_masked(&e->key, k, &e->mask) &&
		    m_better(e, best))
			best = e;
	}
	return best;
}

static struct mrule *
m_add(struct model *md)
{
	if (md->n == md->cap) {
		md->cap = md->cap ? md->cap * 2 : 256;
		md->r = realloc(md->r, md->cap * sizeof(md->r[0]));
		assert_non_null(md->r);
	}
	return &md->r[md->n++];
}

/* A live rule (visible from 'v' on), or NULL. */
static struct mrule *
m_pick_live(struct model *md, uint64_t v)
{
	if (md->n == 0)
		return NULL;
	for (int tries = 0; tries < 16; tries++) {
		struct mrule *e = &md->r[rnd_below((uint32_t)md->n)];

		if (e->remove_v == VSW_CLS_VERSION_NEVER && e->add_v <= v)
			return e;
	}
	return NULL;
}

/* A packet: often one of a live rule's matches with the rest random, else a
 * key from the pools, or one with noise (an unknown in_port, random bits). */
static struct vsw_flow_key
m_packet(struct model *md, uint64_t v)
{
	struct vsw_flow_key k = pool_key();
	uint32_t kind = rnd_below(10);
	const struct mrule *e = kind < 6 ? m_pick_live(md, v) : NULL;
	vsw_flow_word *w = vsw_flow_key_words_rw(&k);

	if (e) {
		const vsw_flow_word *rk = vsw_flow_key_words(&e->key),
				    *rm = vsw_flow_key_words(&e->mask);

		for (size_t i = 0; i < VSW_FLOW_KEY_WORDS; i++)
			w[i] = (w[i] & ~rm[i]) | rk[i];
	} else if (kind >= 8) {
		k.in_port = (uint32_t)rnd();
		w[rnd_below((uint32_t)VSW_FLOW_KEY_WORDS)] ^= rnd() & rnd();
	}
	return k;
}

struct mstats {
	uint64_t lookups, hits, mutations, finds, wc_bits, batched;
};

/* Looks 'k' up at 'v' in both, and checks that every key agreeing with 'k' on
 * the returned wildcards gets the same verdict. */
static void
m_check(struct vsw_cls *cls, struct model *md, uint64_t v, const struct vsw_flow_key *k,
	struct mstats *ms)
{
	struct vsw_flow_key wc = zero_key();
	const struct vsw_cls_rule *got = vsw_cls_lookup(cls, v, k, &wc);
	const struct mrule *want = m_lookup(md, v, k);
	const vsw_flow_word *ww = vsw_flow_key_words(&wc);

	ms->lookups++;
	if (got != (want ? &want->t->r : NULL))
		fail_msg("version %llu: classifier %d, reference %d", (unsigned long long)v,
			 id_of(got), want ? want->t->id : -1);
	if (want) {
		ms->hits++;
		assert_ptr_equal(vsw_cls_rule_actions(got), want->actions);
		assert_true(vsw_flow_mask_is_subset(&want->mask, &wc));
	}
	for (size_t i = 0; i < VSW_FLOW_KEY_WORDS; i++)
		ms->wc_bits += (uint64_t)__builtin_popcountll(ww[i]);
	for (int j = 0; j < 3; j++) {
		struct vsw_flow_key k2 = j == 0 ? pool_key() : *k;
		vsw_flow_word *w2 = vsw_flow_key_words_rw(&k2);
		const vsw_flow_word *w = vsw_flow_key_words(k);

		/* j 0: a pool key, j 1-2: random bits, outside the wildcards */
		for (size_t i = 0; i < VSW_FLOW_KEY_WORDS; i++)
			w2[i] = j == 0 ? (w[i] & ww[i]) | (w2[i] & ~ww[i])
				       : w[i] ^ (rnd() & ~ww[i]);
		if (vsw_cls_lookup(cls, v, &k2, NULL) != got)
			fail_msg("class 13: a key agreeing on the wildcards gets rule %d, not %d",
				 id_of(vsw_cls_lookup(cls, v, &k2, NULL)), id_of(got));
		ms->mutations++;
	}
}

/* vsw_cls_lookup_batch() of 1..VSW_CLS_BATCH keys at 'v' against the model. */
static void
m_check_batch(struct vsw_cls *cls, struct model *md, uint64_t v, struct mstats *ms)
{
	struct vsw_flow_key keys[VSW_CLS_BATCH];
	const struct vsw_flow_key *kp[VSW_CLS_BATCH];
	const struct vsw_cls_rule *got[VSW_CLS_BATCH];
	unsigned int n = 1 + rnd_below(VSW_CLS_BATCH);

	for (unsigned int i = 0; i < n; i++) {
		keys[i] = m_packet(md, v);
		kp[i] = &keys[i];
	}
	vsw_cls_lookup_batch(cls, v, kp, n, got);
	for (unsigned int i = 0; i < n; i++) {
		const struct mrule *want = m_lookup(md, v, &keys[i]);

		if (got[i] != (want ? &want->t->r : NULL))
			fail_msg("batch of %u, key %u, version %llu: classifier %d, reference %d",
				 n, i, (unsigned long long)v, id_of(got[i]),
				 want ? want->t->id : -1);
		ms->batched++;
	}
}

struct idset {
	int ids[4096];
	size_t n;
};

static bool
idset_cb(struct vsw_cls_rule *rule, void *arg)
{
	struct idset *s = arg;

	assert_true(s->n < 4096);
	s->ids[s->n++] = id_of(rule);
	return true;
}

static int
cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* vsw_cls_find() and vsw_cls_overlaps() against the model at 'v'. */
static void
m_check_find(struct vsw_cls *cls, struct model *md, uint64_t v, struct mstats *ms)
{
	const struct mrule *q = m_pick_live(md, v);
	struct idset got = {.n = 0}, want = {.n = 0};
	struct vsw_flow_key qm;
	bool overlap = false;

	if (q == NULL)
		return;
	for (int mode = 0; mode < 3; mode++) {
		/* loose: the rule's own mask, or a prefix of it */
		qm = q->mask;
		if (mode == VSW_CLS_FIND_LOOSE && rnd_below(2)) {
			vsw_flow_word *w = vsw_flow_key_words_rw(&qm);

			for (size_t i = 0; i < VSW_FLOW_KEY_WORDS; i++)
				w[i] &= rnd();
		}
		got.n = want.n = 0;
		vsw_cls_find(cls, v, (enum vsw_cls_find_mode)mode, &q->key, &qm, q->priority,
			     idset_cb, &got);
		for (size_t i = 0; i < md->n; i++) {
			const struct mrule *e = &md->r[i];
			bool sel;

			if (!m_visible(e, v))
				continue;
			if (mode == VSW_CLS_FIND_ALL)
				sel = true;
			else if (mode == VSW_CLS_FIND_LOOSE)
				sel = vsw_flow_mask_is_subset(&qm, &e->mask) &&
				      vsw_flow_key_equal_masked(&e->key, &q->key, &qm);
			else
				sel = memcmp(&e->mask, &qm, sizeof(qm)) == 0 &&
				      memcmp(&e->key, &q->key, sizeof(qm)) == 0 &&
				      e->priority == q->priority;
			if (sel) {
				assert_true(want.n < 4096);
				want.ids[want.n++] = e->t->id;
			}
		}
		qsort(got.ids, got.n, sizeof(int), cmp_int);
		qsort(want.ids, want.n, sizeof(int), cmp_int);
		assert_int_equal(got.n, want.n);
		assert_memory_equal(got.ids, want.ids, got.n * sizeof(int));
		ms->finds++;
	}
	for (size_t i = 0; i < md->n; i++) {
		const struct mrule *e = &md->r[i];
		struct vsw_flow_key both;

		if (e == q || !m_visible(e, v) || e->priority != q->priority)
			continue;
		vsw_flow_key_apply_mask(&both, &e->mask, &q->mask);
		if (vsw_flow_key_equal_masked(&e->key, &q->key, &both))
			overlap = true;
	}
	assert_int_equal(vsw_cls_overlaps(cls, v, &q->key, &q->mask, q->priority, &q->t->r),
			 overlap);
}

/* Forgets model rules no reader can see any more (the classifier frees them). */
static void
m_prune(struct model *md, uint64_t floor)
{
	size_t k = 0;

	for (size_t i = 0; i < md->n; i++)
		if (md->r[i].remove_v > floor && md->r[i].remove_v > md->r[i].add_v)
			md->r[k++] = md->r[i];
	md->n = k;
}

static void
model_run(uint64_t seed, uint32_t target_rules, uint32_t txns, uint32_t prio_range, bool specific)
{
	struct rcu r;
	struct vsw_cls *cls = new_cls(&r);
	struct vsw_cls_version ver = {0};
	struct model md = {0};
	struct mstats ms = {0};
	uint64_t cur = 0, floor = 0;
	int next_id = 0;
	size_t live = 0, max_subtables = 0;

	seed_rng(seed);
	for (uint32_t t = 0; t < txns; t++) {
		uint64_t v = cur + 1;
		uint32_t n_ops = 1 + rnd_below(t < target_rules / 8 ? 16 : 6);

		for (uint32_t o = 0; o < n_ops; o++) {
			uint32_t what = rnd_below(100);
			struct mrule *e;

			if (live < target_rules ? what < 60 : what < 30) {
				struct vsw_flow_key mask = random_mask(specific);
				struct vsw_flow_key key = pool_key();
				uint32_t prio = rnd_below(prio_range);

				e = m_add(&md);
				e->t = new_rule(&key, &mask, prio, next_id++);
				assert_int_equal(vsw_cls_insert(cls, &e->t->r, v), 0);
				e->key = e->t->r.key;
				e->mask = mask;
				e->priority = prio;
				e->seq = ++md.seq;
				e->add_v = v;
				e->remove_v = VSW_CLS_VERSION_NEVER;
				e->actions = e->t->r.actions;
				live++;
			} else if (what < 75) { /* remove (maybe one added in this version) */
				e = m_pick_live(&md, v);
				if (e == NULL)
					continue;
				vsw_cls_remove(cls, &e->t->r, v);
				e->remove_v = v;
				live--;
			} else if (what < 90) { /* replace: a versioned modify */
				struct mrule *n;
				struct trule *old;

				e = m_pick_live(&md, v);
				if (e == NULL)
					continue;
				old = e->t;
				n = m_add(&md); /* may move the array: find 'old' again */
				for (e = md.r; e->t != old; e++)
					;
				*n = *e;
				n->t = new_rule(&e->key, &e->mask, e->priority, next_id++);
				assert_int_equal(vsw_cls_replace(cls, &old->r, &n->t->r, v), 0);
				n->add_v = v;
				n->actions = n->t->r.actions;
				e->remove_v = v;
			} else { /* set_actions: atomic per rule, not versioned */
				e = m_pick_live(&md, v);
				if (e == NULL || e->add_v > cur)
					continue;
				e->actions = (void *)(uintptr_t)(rnd() | 1);
				vsw_cls_rule_set_actions(&e->t->r, e->actions);
			}
		}
		/* Publish; then reclaim what no reader at versions >= floor can see. */
		cur = v;
		vsw_cls_version_publish(&ver, cur);
		r.now = cur;
		vsw_cls_retire(cls, cur);
		if (rnd_below(3) == 0) {
			uint64_t lag = rnd_below(6);

			floor = cur > lag && cur - lag > floor ? cur - lag : floor;
			rcu_run(&r, floor);
			m_prune(&md, floor);
		}
		/* Readers at every version still in use. */
		for (int i = 0; i < 6; i++) {
			uint64_t rv = floor + rnd_below((uint32_t)(cur - floor + 1));
			struct vsw_flow_key k = m_packet(&md, rv);

			m_check(cls, &md, rv, &k, &ms);
		}
		m_check_batch(cls, &md, floor + rnd_below((uint32_t)(cur - floor + 1)), &ms);
		if (t % 64 == 0)
			m_check_find(cls, &md, floor + rnd_below((uint32_t)(cur - floor + 1)), &ms);
		{
			struct vsw_cls_stats st;

			vsw_cls_get_stats(cls, &st);
			if (st.subtables > max_subtables)
				max_subtables = st.subtables;
		}
	}
	print_message("%zu live rules (%d inserted), up to %zu subtables, %llu versions; "
		      "%llu lookups (%llu hits) checked against the scan, %llu wildcard "
		      "mutations, %llu finds, %llu batched lookups; %.1f wildcard bits per "
		      "lookup\n",
		      live, next_id, max_subtables, (unsigned long long)cur,
		      (unsigned long long)ms.lookups, (unsigned long long)ms.hits,
		      (unsigned long long)ms.mutations, (unsigned long long)ms.finds,
		      (unsigned long long)ms.batched, (double)ms.wc_bits / (double)ms.lookups);
	/* the packets do meet the rules, and miss them too */
	assert_true(ms.hits * 4 > ms.lookups);
	if (specific)
		assert_true(ms.hits * 10 < ms.lookups * 9);
	free_cls(cls, &r);
	assert_int_equal(r.freed, (size_t)next_id);
	free(md.r);
}

static void
test_class13_model_realistic(void **state)
{
	(void)state;
	model_run(0x1d5eed, 1200, 5000, 64, false);
}

static void
test_class13_model_narrow(void **state)
{
	(void)state;
	model_run(0xacce55, 1500, 4000, 64, true); /* many misses */
}

static void
test_class13_model_many_ties(void **state)
{
	(void)state;
	model_run(0x7e57, 1000, 3000, 3, false); /* few priorities: ties everywhere */
}

/* ---- version atomicity (P7) ---- */

#define AT_KEYS 48

static struct vsw_flow_key
at_key(int i)
{
	struct vsw_flow_key k = zero_key();

	k.in_port = 1 + (uint32_t)(i % 4);
	k.eth_type = 0x0800;
	k.ipv4_dst = 0x0a000000 + (uint32_t)i;
	k.tp_dst = (uint16_t)(1000 + i);
	return k;
}

/* Generation g's mask alternates between two shapes, so that a batch moves
 * every rule to another subtable (subtables appear and disappear). */
static struct vsw_flow_key
at_mask(uint64_t g)
{
	struct vsw_flow_key m = zero_key();

	m.eth_type = 0xffff;
	m.ipv4_dst = ~0u;
	if (g % 2)
		m.tp_dst = 0xffff;
	else
		m.in_port = ~0u;
	return m;
}

/* Installs generation g (rule ids g * AT_KEYS + i) in version g, removing
 * generation g - 1 in the same version. */
static void
at_install(struct vsw_cls *cls, struct trule **rules, uint64_t g)
{
	struct vsw_flow_key m = at_mask(g);

	for (int i = 0; i < AT_KEYS; i++) {
		struct vsw_flow_key k = at_key(i);
		struct trule *t = new_rule(&k, &m, 100, (int)g * AT_KEYS + i);

		if (rules[i])
			vsw_cls_remove(cls, &rules[i]->r, g);
		assert_int_equal(vsw_cls_insert(cls, &t->r, g), 0);
		rules[i] = t;
	}
}

/* Every key looked up at one version comes from one generation: that version's. */
static bool
at_read_all(struct vsw_cls *cls, uint64_t v)
{
	for (int i = 0; i < AT_KEYS; i++) {
		struct vsw_flow_key k = at_key(i);
		const struct vsw_cls_rule *r = vsw_cls_lookup(cls, v, &k, NULL);
		int id = id_of(r);

		if (v == 0 ? r != NULL : id != (int)v * AT_KEYS + i)
			return false;
		if (r && vsw_cls_rule_actions(r) != (void *)(uintptr_t)(id + 1))
			return false;
	}
	return true;
}

static void
test_version_atomicity_batches(void **state)
{
	struct rcu r;
	struct vsw_cls *cls = new_cls(&r);
	struct trule *rules[AT_KEYS] = {0};

	(void)state;
	for (uint64_t g = 1; g <= 40; g++) {
		at_install(cls, rules, g);
		/* Before the publication, readers at g - 1 see all of g - 1. */
		assert_true(at_read_all(cls, g - 1));
		r.now = g;
		vsw_cls_retire(cls, g);
		assert_true(at_read_all(cls, g));
		if (g > 1)
			assert_true(at_read_all(cls, g - 1));
		rcu_run(&r, g > 2 ? g - 2 : 0);
	}
	free_cls(cls, &r);
}

/* A reader thread races the writer: every pass at one version must see one
 * whole generation in both tables of a two-table pipeline sharing the version,
 * and no rule is freed under it (ASan). The fake RCU is a quiescent-state
 * counter the reader bumps between passes. */
struct at_shared {
	struct vsw_cls *cls[2];
	struct vsw_cls_version ver;
	uint64_t qs; /* reader passes completed */
	bool stop;
	bool bad;
	uint64_t passes;
};

static void *
at_reader(void *arg)
{
	struct at_shared *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		uint64_t v = vsw_cls_version_read(&s->ver);

		if (!at_read_all(s->cls[0], v) || !at_read_all(s->cls[1], v))
			__atomic_store_n(&s->bad, true, __ATOMIC_RELAXED);
		s->passes++;
		/* seq_cst: the next pass's loads stay after this store */
		__atomic_store_n(&s->qs, s->passes, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void
test_version_atomicity_threads(void **state)
{
	struct rcu r;
	struct at_shared s = {0};
	struct trule *rules[2][AT_KEYS] = {{0}};
	pthread_t th;
	struct timespec t0, t1;
	uint64_t g;

	(void)state;
	s.cls[0] = new_cls(&r);
	s.cls[1] = add_cls(&r);
	r.clock = &s.qs;
	assert_int_equal(pthread_create(&th, NULL, at_reader, &s), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (g = 1;; g++) {
		uint64_t qs;

		at_install(s.cls[0], rules[0], g);
		at_install(s.cls[1], rules[1], g);
		vsw_cls_version_publish(&s.ver, g);
		/* Deferrals are tagged with the reader's pass count at the time;
		 * they run once it has finished a pass since. */
		vsw_cls_retire(s.cls[0], g);
		vsw_cls_retire(s.cls[1], g);
		qs = __atomic_load_n(&s.qs, __ATOMIC_ACQUIRE);
		rcu_run(&r, qs);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (g >= 2000 ||
		    (t1.tv_sec - t0.tv_sec) * 1000000000L + t1.tv_nsec - t0.tv_nsec > 700000000L)
			break;
	}
	__atomic_store_n(&s.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	print_message("%llu generations of 2 x %d rules, %llu reader passes\n",
		      (unsigned long long)g, AT_KEYS, (unsigned long long)s.passes);
	assert_false(s.bad);
	rcu_drain(&r);
	vsw_cls_destroy(s.cls[1]);
	free_cls(s.cls[0], &r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_priorities),
		cmocka_unit_test(test_equal_priority_ties),
		cmocka_unit_test(test_versions_and_grace_periods),
		cmocka_unit_test(test_unremove),
		cmocka_unit_test(test_set_actions),
		cmocka_unit_test(test_find_and_overlap),
		cmocka_unit_test(test_stage_wildcards),
		cmocka_unit_test(test_vlan_vid_present),
		cmocka_unit_test(test_many_rules_one_subtable),
		cmocka_unit_test(test_insert_nomem),
		cmocka_unit_test(test_class13_model_realistic),
		cmocka_unit_test(test_class13_model_narrow),
		cmocka_unit_test(test_class13_model_many_ties),
		cmocka_unit_test(test_version_atomicity_batches),
		cmocka_unit_test(test_version_atomicity_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
