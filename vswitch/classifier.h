/* The classifier: one OpenFlow table's rules, looked up by PMDs without locks
 * while one writer thread changes them. Pure C (GCC atomics, no DPDK);
 * unit- and model-tested in classifier_test.c.
 *
 * Design (tuple-space search, as Open vSwitch's classifier.c). Rules with the
 * same mask share a subtable: a hash table from the masked key to a 'head'
 * listing the rules with that exact match, highest priority first. A lookup
 * hashes the packet's key under each subtable's mask, so its cost grows with
 * the number of distinct masks, not of rules. Subtables are visited in
 * descending order of the highest priority they hold, and the walk stops at the
 * first subtable that cannot beat the best match found so far.
 *
 * Each subtable is searched in stages (metadata, L2, L3, L4: flow_key.h). A
 * per-stage index of the hashes of the rules' masked keys up to that stage lets
 * a lookup give up on the subtable as soon as no rule can match the fields seen
 * so far, without examining the later fields.
 *
 * Wildcards. vsw_cls_lookup() also ORs into '*wc' every key bit it examined.
 * Any key that agrees with the looked-up key on those bits gets the same
 * result at the same version: that is what an exact-match or megaflow cache
 * entry may cover (bad-input.md class 13, P8), once the pipeline has ORed in
 * the wildcards of every table the packet visited and the fields its actions
 * read. They hold for that version only: a cache revalidates its entries when
 * the version changes.
 *
 * Ties. OpenFlow leaves overlapping rules of equal priority undefined; here
 * the rule inserted first wins (the lowest insertion sequence number;
 * vsw_cls_replace() keeps the sequence number of the rule it replaces).
 *
 * Versions (P7). A rule is visible to lookups at versions [add_version,
 * remove_version). The writer inserts and removes rules in version V (one
 * more than the version readers currently use), then publishes V to readers
 * (vsw_cls_version_publish) — every change made in V, in every table sharing
 * the version, appears at once. A reader loads the version once per packet
 * and looks up every table at it, so it sees a flow_mod or a bundle entirely
 * or not at all.
 *
 * Memory ordering (what makes the above true without reader locks):
 *  - The writer initialises every object (subtable, head, hash array, rule
 *    fields, subtable vector) before publishing a pointer to it with a release
 *    store; readers load every shared pointer with an acquire load. A reader
 *    therefore never sees a half-built object.
 *  - A rule's add_version is set before the rule is linked (release), and its
 *    remove_version is stored (relaxed) before the writer publishes the
 *    version that hides it; vsw_cls_version_publish() is a release store and
 *    vsw_cls_version_read() an acquire load, so a reader at version >= V sees
 *    every change made in V. A reader at an older version may see a new
 *    remove_version or not: both mean "visible" for it.
 *  - Unlinking never breaks a reader's walk: an unlinked rule keeps its
 *    'next', a head leaves its hash slot as a tombstone (slots never go back
 *    to empty), a replaced hash array or subtable vector stays intact; each is
 *    freed only after a grace period.
 *  - A removed rule stays linked until every reader that could still use a
 *    version where it was visible has finished (first grace period, after
 *    vsw_cls_retire), is then unlinked, and is handed to 'rule_free' after a
 *    second grace period.
 *  - The actions pointer is swapped with a release store and loaded with an
 *    acquire load (vsw_cls_rule_actions); the old actions are the caller's to
 *    free after a grace period. A swap is atomic per rule only; for changes
 *    that must be atomic across rules (a bundle, a non-strict modify), use
 *    vsw_cls_replace() in a version.
 *  - Grace periods come from the 'defer' hook (ops): the pipeline maps it to
 *    rte_rcu_qsbr (PMDs report a quiescent state once per loop iteration,
 *    outside any lookup). The hook must order the unlink before it samples the
 *    readers' progress (a full fence, as rte_rcu_qsbr_start does): a reader
 *    that reports a quiescent state after the sample cannot find the object.
 *
 * Threads. Lookups (vsw_cls_lookup, vsw_cls_rule_actions) from any thread at a
 * version read with vsw_cls_version_read(); everything else, including the
 * deferred callbacks, on the one writer thread. */
#ifndef VSW_CLASSIFIER_H
#define VSW_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow_key.h"

#define VSW_CLS_VERSION_NEVER UINT64_MAX

struct vsw_cls;
struct vsw_cls_head; /* classifier.c */

/* A rule, embedded in the caller's flow entry. The caller fills it with
 * vsw_cls_rule_init() and owns its memory: it gets it back through
 * ops->rule_free once no reader can reach it. */
struct vsw_cls_rule {
	/* What a lookup reads, first: one cache line per rule visited. */
	uint32_t priority;
	void *actions; /* opaque; vsw_cls_rule_actions() / _set_actions() */
	/* Owned by the classifier. */
	uint64_t add_version;
	uint64_t remove_version;
	uint64_t seq;
	struct vsw_cls_rule *next; /* in the head, highest priority first */

	struct vsw_flow_key key; /* stored masked */
	struct vsw_flow_key mask;
	struct vsw_cls *cls;
	struct vsw_cls_head *head;
	struct vsw_cls_rule *retire_next;
	bool pending; /* on the retire list */
};

struct vsw_cls_ops {
	/* Calls fn(arg) on the writer thread after a grace period: once every
	 * reader that may have started a lookup before this call has finished.
	 * NULL: call it at once (no concurrent readers: tests, single thread). */
	void (*defer)(void *ctx, void (*fn)(void *arg), void *arg);
	/* 'rule' left the classifier and no reader can reach it. NULL: nothing. */
	void (*rule_free)(void *ctx, struct vsw_cls_rule *rule);
	void *ctx;
};

/* The version lookups run at, shared by the tables of a pipeline. */
struct vsw_cls_version {
	uint64_t visible;
};

static inline uint64_t
vsw_cls_version_read(const struct vsw_cls_version *v)
{
	return __atomic_load_n(&v->visible, __ATOMIC_ACQUIRE);
}

/* Writer: makes every change made in versions <= 'version' visible. */
static inline void
vsw_cls_version_publish(struct vsw_cls_version *v, uint64_t version)
{
	__atomic_store_n(&v->visible, version, __ATOMIC_RELEASE);
}

/* Returns 0 or -ENOMEM. 'ops' is copied; NULL means all defaults. */
int vsw_cls_create(const struct vsw_cls_ops *ops, struct vsw_cls **out);
/* No readers, and every deferred callback has run. Rules still in the table
 * go to ops->rule_free. NULL is a no-op. */
void vsw_cls_destroy(struct vsw_cls *cls);

/* Fills 'rule' (masking 'key'); the classifier's fields are reset. */
void vsw_cls_rule_init(struct vsw_cls_rule *rule, const struct vsw_flow_key *key,
		       const struct vsw_flow_key *mask, uint32_t priority, void *actions);

/* Adds 'rule' (initialised, not in any classifier) visible from 'version' on.
 * Returns 0 or -ENOMEM (the classifier is unchanged). */
int vsw_cls_insert(struct vsw_cls *cls, struct vsw_cls_rule *rule, uint64_t version);

/* Hides 'rule' from 'version' on. Its memory comes back through rule_free
 * after vsw_cls_retire() with a visible version >= 'version' and two grace
 * periods. A rule inserted and removed in the same version is never seen. */
void vsw_cls_remove(struct vsw_cls *cls, struct vsw_cls_rule *rule, uint64_t version);

/* Undoes vsw_cls_remove() before its version was published (a bundle that
 * failed): 'rule' stays visible. */
void vsw_cls_unremove(struct vsw_cls *cls, struct vsw_cls_rule *rule);

/* In 'version', replaces 'old' by 'new_rule' (same match and priority, other
 * actions): insert + remove, keeping 'old's place among equal-priority rules.
 * Returns 0 or -ENOMEM (nothing changed). */
int vsw_cls_replace(struct vsw_cls *cls, struct vsw_cls_rule *old, struct vsw_cls_rule *new_rule,
		    uint64_t version);

/* Writer, after publishing 'visible': starts reclaiming rules removed in
 * versions <= 'visible'. */
void vsw_cls_retire(struct vsw_cls *cls, uint64_t visible);

/* The highest-priority rule visible at 'version' that matches 'key', or NULL.
 * ORs the key bits examined into '*wc' when 'wc' is not NULL. Any thread. */
const struct vsw_cls_rule *vsw_cls_lookup(const struct vsw_cls *cls, uint64_t version,
					  const struct vsw_flow_key *key, struct vsw_flow_key *wc);

static inline void *
vsw_cls_rule_actions(const struct vsw_cls_rule *rule)
{
	return __atomic_load_n(&rule->actions, __ATOMIC_ACQUIRE);
}

/* Writer: the actions pointer, atomically for this rule only. Returns the old
 * one, for the caller to free after a grace period. */
static inline void *
vsw_cls_rule_set_actions(struct vsw_cls_rule *rule, void *actions)
{
	return __atomic_exchange_n(&rule->actions, actions, __ATOMIC_ACQ_REL);
}

static inline bool
vsw_cls_rule_visible(const struct vsw_cls_rule *rule, uint64_t version)
{
	return __atomic_load_n(&rule->add_version, __ATOMIC_RELAXED) <= version &&
	       version < __atomic_load_n(&rule->remove_version, __ATOMIC_RELAXED);
}

#define VSW_CLS_BATCH 32

/* vsw_cls_lookup() of keys[0, n) (n <= VSW_CLS_BATCH) at one version, without
 * wildcards: out[i] is the rule for keys[i] or NULL. The same results, but the
 * cache misses of the n lookups overlap (the fast path, for a burst). */
void vsw_cls_lookup_batch(const struct vsw_cls *cls, uint64_t version,
			  const struct vsw_flow_key *const *keys, unsigned int n,
			  const struct vsw_cls_rule **out);

/* Which rules vsw_cls_find() reports (OpenFlow 1.3 §6.4). */
enum vsw_cls_find_mode {
	VSW_CLS_FIND_ALL,    /* every rule */
	VSW_CLS_FIND_LOOSE,  /* at least as specific as (key, mask): non-strict modify/delete */
	VSW_CLS_FIND_STRICT, /* exactly (key, mask) and 'priority': *_STRICT */
};

/* Writer: calls fn(rule, arg) for each rule visible at 'version' that 'mode'
 * selects, until fn returns false. fn may vsw_cls_remove() rules (not insert).
 * Returns the number of calls. Cost: all rules (LOOSE skips the subtables
 * whose mask does not cover 'mask'); STRICT: one hash lookup. */
size_t vsw_cls_find(struct vsw_cls *cls, uint64_t version, enum vsw_cls_find_mode mode,
		    const struct vsw_flow_key *key, const struct vsw_flow_key *mask,
		    uint32_t priority, bool (*fn)(struct vsw_cls_rule *rule, void *arg), void *arg);

/* Writer (CHECK_OVERLAP): true if a rule visible at 'version' other than
 * 'except' has 'priority' and could match a packet that (key, mask) matches. */
bool vsw_cls_overlaps(struct vsw_cls *cls, uint64_t version, const struct vsw_flow_key *key,
		      const struct vsw_flow_key *mask, uint32_t priority,
		      const struct vsw_cls_rule *except);

struct vsw_cls_stats {
	uint32_t rules; /* linked, including removed ones not yet unlinked */
	uint32_t subtables;
	uint32_t pending; /* removed, waiting for retire / a grace period */
};

void vsw_cls_get_stats(const struct vsw_cls *cls, struct vsw_cls_stats *stats);

#endif
