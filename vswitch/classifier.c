/* The classifier (classifier.h): tuple-space search over versioned rules with
 * lock-free readers. Keys and masks come from flow_key.h; the OpenFlow agent
 * owns the rules, the pipeline looks them up from PMD threads.
 *
 * Objects readers reach, and how each is changed by the one writer:
 *   cls->vec        subtables by descending max priority: copied, republished
 *   subtable        immutable mask; its hash maps change as below
 *   cls_hmap.arr    open addressing, linear probing, slots written once from
 *                   empty to live and from live to a tombstone (a stage index
 *                   also updates a live slot's count in place: readers only
 *                   test that it is live); grown or cleaned by copying into a
 *                   new array (republished)
 *   head->rules     a sorted singly-linked list: a rule is linked with one
 *                   release store, unlinked with one store to its predecessor
 * Everything replaced or unlinked is freed through ops->defer. */
#include "classifier.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HMAP_MIN_SIZE 8
#define HASH_BASIS    UINT64_C(0x6a09e667f3bcc909)

/* An index of the stage hashes of a subtable, up to 3 (before L2, L3, L4). */
#define CLS_MAX_INDEX (VSW_FLOW_KEY_STAGES - 1)

static const uint64_t tombstone_obj;
#define TOMBSTONE ((void *)&tombstone_obj)

struct cls_slot {
	uint64_t hash;
	void *ptr; /* NULL: empty; TOMBSTONE: deleted; else live */
};

struct cls_hmap_arr {
	uint32_t mask; /* slots - 1 */
	struct cls_slot slots[];
};

/* A hash map of 64-bit hashes to pointers (several slots may share a hash).
 * In a stage index, 'ptr' encodes a count (odd: 2 * count + 1). */
struct cls_hmap {
	struct cls_hmap_arr *arr; /* readers: acquire */
	uint32_t n, n_tomb;	  /* writer */
};

struct vsw_cls_head {
	struct vsw_cls_rule *rules; /* readers: acquire; first: a lookup's line */
	uint64_t hash;
	uint64_t index_hash[CLS_MAX_INDEX];
	struct cls_subtable *st;
	struct vsw_flow_key key; /* masked */
};

struct cls_subtable {
	struct vsw_flow_key mask;
	uint8_t n_words;		   /* words of 'mask' that are not 0 */
	uint8_t words[VSW_FLOW_KEY_WORDS]; /* their indexes, ascending */
	uint8_t n_index;
	uint8_t index_end[CLS_MAX_INDEX]; /* index i covers words[0 .. index_end[i]) */
	struct cls_hmap index[CLS_MAX_INDEX];
	struct cls_hmap heads;
	/* Writer only. */
	uint32_t n_rules;
	uint32_t max_priority; /* of the linked rules */
	uint32_t max_count;    /* linked rules with that priority */
};

struct cls_pvec_entry {
	uint32_t max_priority; /* >= any rule of 'st' a reader of this vector can see */
	struct cls_subtable *st;
};

struct cls_pvec {
	uint32_t n;
	struct cls_pvec_entry e[];
};

struct vsw_cls {
	struct cls_pvec *vec; /* readers: acquire */
	/* Writer only. */
	struct vsw_cls_ops ops;
	uint64_t next_seq;
	uint32_t n_rules;
	uint32_t n_pending;
	struct vsw_cls_rule *retire_list;
};

/* ---- hashing ---- */

/* One multiply per word (the finish mixes the rest): hashing runs once per
 * subtable per lookup. */
static inline uint64_t
hash_add(uint64_t h, uint64_t w)
{
	h = (h ^ w) * UINT64_C(0x9e3779b97f4a7c15);
	return h ^ (h >> 29);
}

static inline uint64_t
hash_finish(uint64_t h, uint32_t n)
{
	h ^= n;
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	return h ^ (h >> 33);
}

/* ---- hash maps ---- */

static void
defer_call(struct vsw_cls *cls, void (*fn)(void *), void *arg)
{
	if (cls->ops.defer)
		cls->ops.defer(cls->ops.ctx, fn, arg);
	else
		fn(arg);
}

static struct cls_hmap_arr *
hmap_arr_alloc(uint32_t size)
{
	struct cls_hmap_arr *a = calloc(1, sizeof(*a) + size * sizeof(a->slots[0]));

	if (a)
		a->mask = size - 1;
	return a;
}

static inline struct cls_hmap_arr *
hmap_arr(const struct cls_hmap *m)
{
	return __atomic_load_n(&m->arr, __ATOMIC_ACQUIRE);
}

/* Readers: the first live slot at or after 'pos' with 'hash'; '*pos' is
 * where to continue. NULL when there is none. */
static inline void *
hmap_next(const struct cls_hmap_arr *a, uint64_t hash, uint32_t *pos)
{
	for (uint32_t i = *pos;; i = (i + 1) & a->mask) {
		void *p = __atomic_load_n(&a->slots[i].ptr, __ATOMIC_ACQUIRE);

		if (p == NULL)
			return NULL;
		if (p != TOMBSTONE && a->slots[i].hash == hash) {
			*pos = (i + 1) & a->mask;
			return p;
		}
	}
}

/* Writer: makes room for one more entry (a rebuild when live entries and
 * tombstones would fill more than half the slots). 0 or -ENOMEM. */
static int
hmap_reserve(struct vsw_cls *cls, struct cls_hmap *m)
{
	struct cls_hmap_arr *old = m->arr, *a;
	uint32_t size = HMAP_MIN_SIZE;

	if (old && (m->n + m->n_tomb + 1) * 2 <= old->mask + 1)
		return 0;
	while (size < (m->n + 1) * 4)
		size *= 2;
	a = hmap_arr_alloc(size);
	if (a == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; old && i <= old->mask; i++) {
		void *p = old->slots[i].ptr;
		uint32_t j;

		if (p == NULL || p == TOMBSTONE)
			continue;
		for (j = (uint32_t)old->slots[i].hash & a->mask; a->slots[j].ptr;)
			j = (j + 1) & a->mask;
		a->slots[j] = old->slots[i];
	}
	__atomic_store_n(&m->arr, a, __ATOMIC_RELEASE);
	m->n_tomb = 0;
	if (old)
		defer_call(cls, free, old);
	return 0;
}

/* Writer, after hmap_reserve(). */
static void
hmap_insert(struct cls_hmap *m, uint64_t hash, void *ptr)
{
	struct cls_hmap_arr *a = m->arr;
	uint32_t i = (uint32_t)hash & a->mask;

	while (a->slots[i].ptr)
		i = (i + 1) & a->mask;
	a->slots[i].hash = hash;
	__atomic_store_n(&a->slots[i].ptr, ptr, __ATOMIC_RELEASE);
	m->n++;
}

static struct cls_slot *
hmap_find_slot(struct cls_hmap *m, uint64_t hash, const void *ptr)
{
	struct cls_hmap_arr *a = m->arr;

	for (uint32_t i = (uint32_t)hash & a->mask; a->slots[i].ptr; i = (i + 1) & a->mask)
		if (a->slots[i].hash == hash && a->slots[i].ptr != TOMBSTONE &&
		    (ptr == NULL || a->slots[i].ptr == ptr))
			return &a->slots[i];
	return NULL;
}

static void
hmap_remove_slot(struct cls_hmap *m, struct cls_slot *s)
{
	__atomic_store_n(&s->ptr, TOMBSTONE, __ATOMIC_RELEASE);
	m->n--;
	m->n_tomb++;
}

/* Stage index counts: one per head whose masked key has that stage hash. */
static void
index_add(struct cls_hmap *m, uint64_t hash)
{
	struct cls_slot *s = hmap_find_slot(m, hash, NULL);

	if (s)
		__atomic_store_n(&s->ptr, (char *)s->ptr + 2, __ATOMIC_RELAXED);
	else
		hmap_insert(m, hash, (void *)(uintptr_t)3);
}

static void
index_del(struct cls_hmap *m, uint64_t hash)
{
	struct cls_slot *s = hmap_find_slot(m, hash, NULL);

	if ((uintptr_t)s->ptr == 3)
		hmap_remove_slot(m, s);
	else
		__atomic_store_n(&s->ptr, (char *)s->ptr - 2, __ATOMIC_RELAXED);
}

/* ---- subtables ---- */

static struct cls_subtable *
subtable_create(const struct vsw_flow_key *mask)
{
	static const uint8_t stage_start[VSW_FLOW_KEY_STAGES] = {
		0, VSW_FLOW_STAGE_L2, VSW_FLOW_STAGE_L3, VSW_FLOW_STAGE_L4};
	const vsw_flow_word *w = vsw_flow_key_words(mask);
	struct cls_subtable *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->mask = *mask;
	for (unsigned int s = 0; s < VSW_FLOW_KEY_STAGES; s++) {
		unsigned int end = s + 1 < VSW_FLOW_KEY_STAGES ? stage_start[s + 1]
							       : (unsigned int)VSW_FLOW_KEY_WORDS;

		/* An index after this stage, if words precede and follow it. */
		if (s > 0 && st->n_words > 0 &&
		    (st->n_index == 0 || st->index_end[st->n_index - 1] < st->n_words))
			st->index_end[st->n_index++] = st->n_words;
		for (unsigned int i = stage_start[s]; i < end; i++)
			if (w[i])
				st->words[st->n_words++] = (uint8_t)i;
	}
	/* Drop a last index that covers every word: the full lookup does it. */
	while (st->n_index > 0 && st->index_end[st->n_index - 1] == st->n_words)
		st->n_index--;
	return st;
}

static void
subtable_free(void *arg)
{
	struct cls_subtable *st = arg;

	for (unsigned int i = 0; i < CLS_MAX_INDEX; i++)
		free(st->index[i].arr);
	free(st->heads.arr);
	free(st);
}

/* Hashes of a masked key: the stage index hashes and the full one. */
static uint64_t
subtable_hashes(const struct cls_subtable *st, const struct vsw_flow_key *key,
		uint64_t index_hash[CLS_MAX_INDEX])
{
	const vsw_flow_word *k = vsw_flow_key_words(key), *m = vsw_flow_key_words(&st->mask);
	uint64_t h = HASH_BASIS;
	unsigned int j = 0;

	for (unsigned int i = 0; i < st->n_words; i++) {
		if (j < st->n_index && st->index_end[j] == i)
			index_hash[j++] = hash_finish(h, i);
		h = hash_add(h, k[st->words[i]] & m[st->words[i]]);
	}
	return hash_finish(h, st->n_words);
}

static void
wc_add(struct vsw_flow_key *wc, const struct cls_subtable *st, unsigned int n_words)
{
	vsw_flow_word *w = vsw_flow_key_words_rw(wc);
	const vsw_flow_word *m = vsw_flow_key_words(&st->mask);

	for (unsigned int i = 0; i < n_words; i++)
		w[st->words[i]] |= m[st->words[i]];
}

static inline bool
rule_better(const struct vsw_cls_rule *a, const struct vsw_cls_rule *b)
{
	return b == NULL || a->priority > b->priority ||
	       (a->priority == b->priority && a->seq < b->seq);
}

/* Readers: hashes 'key' under 'st's mask into '*hash' and returns true, or
 * returns false as soon as a stage index says no rule of 'st' can match. */
static inline bool
subtable_hash(const struct cls_subtable *st, const struct vsw_flow_key *key, uint64_t *hash,
	      struct vsw_flow_key *wc)
{
	const vsw_flow_word *k = vsw_flow_key_words(key), *m = vsw_flow_key_words(&st->mask);
	uint64_t h = HASH_BASIS;
	unsigned int i = 0;

	for (unsigned int j = 0; j < st->n_index; j++) {
		const struct cls_hmap_arr *a = hmap_arr(&st->index[j]);
		uint64_t ih;
		uint32_t pos;

		for (; i < st->index_end[j]; i++)
			h = hash_add(h, k[st->words[i]] & m[st->words[i]]);
		ih = hash_finish(h, i);
		pos = (uint32_t)ih & a->mask;
		if (hmap_next(a, ih, &pos) == NULL) {
			if (wc)
				wc_add(wc, st, i);
			return false;
		}
	}
	for (; i < st->n_words; i++)
		h = hash_add(h, k[st->words[i]] & m[st->words[i]]);
	if (wc)
		wc_add(wc, st, st->n_words);
	*hash = hash_finish(h, st->n_words);
	return true;
}

static inline bool
head_matches(const struct cls_subtable *st, const struct vsw_cls_head *head,
	     const struct vsw_flow_key *key)
{
	const vsw_flow_word *k = vsw_flow_key_words(key), *m = vsw_flow_key_words(&st->mask);
	const vsw_flow_word *hk = vsw_flow_key_words(&head->key);
	uint64_t diff = 0;

	for (unsigned int i = 0; i < st->n_words; i++)
		diff |= (k[st->words[i]] & m[st->words[i]]) ^ hk[st->words[i]];
	return diff == 0;
}

/* Readers: the head of 'key' in 'a', starting from the slot candidate 'head'
 * found at '*pos' (hmap_next), or NULL. */
static inline const struct vsw_cls_head *
head_find(const struct cls_subtable *st, const struct cls_hmap_arr *a,
	  const struct vsw_cls_head *head, const struct vsw_flow_key *key, uint64_t hash,
	  uint32_t *pos)
{
	for (; head != NULL; head = hmap_next(a, hash, pos))
		if (head_matches(st, head, key))
			return head;
	return NULL;
}

static inline const struct vsw_cls_rule *
head_first_visible(const struct vsw_cls_head *head, uint64_t version)
{
	for (const struct vsw_cls_rule *r = __atomic_load_n(&head->rules, __ATOMIC_ACQUIRE); r;
	     r = __atomic_load_n(&r->next, __ATOMIC_ACQUIRE))
		if (vsw_cls_rule_visible(r, version))
			return r;
	return NULL;
}

/* Readers: the best rule of 'st' visible at 'version' matching 'key'. */
static const struct vsw_cls_rule *
subtable_lookup(const struct cls_subtable *st, uint64_t version, const struct vsw_flow_key *key,
		struct vsw_flow_key *wc)
{
	const struct cls_hmap_arr *a;
	const struct vsw_cls_head *head;
	uint64_t h;
	uint32_t pos;

	if (!subtable_hash(st, key, &h, wc))
		return NULL;
	a = hmap_arr(&st->heads);
	pos = (uint32_t)h & a->mask;
	head = head_find(st, a, hmap_next(a, h, &pos), key, h, &pos);
	return head != NULL ? head_first_visible(head, version) : NULL;
}

const struct vsw_cls_rule *
vsw_cls_lookup(const struct vsw_cls *cls, uint64_t version, const struct vsw_flow_key *key,
	       struct vsw_flow_key *wc)
{
	const struct cls_pvec *vec = __atomic_load_n(&cls->vec, __ATOMIC_ACQUIRE);
	const struct vsw_cls_rule *best = NULL;

	for (uint32_t i = 0; i < vec->n; i++) {
		const struct vsw_cls_rule *r;

		/* Equal priority is searched on: a lower sequence number wins. */
		if (best && vec->e[i].max_priority < best->priority)
			break;
		r = subtable_lookup(vec->e[i].st, version, key, wc);
		if (r && rule_better(r, best))
			best = r;
	}
	return best;
}

#define FOR_EACH_BIT(i, bits)                                                                      \
	for (uint32_t _b = (bits), i; _b != 0 && ((i = (uint32_t)__builtin_ctz(_b)), 1);           \
	     _b &= _b - 1)

/* One subtable for the keys in 'searching', in three passes so that the cache
 * misses of different keys overlap: hash and prefetch the slot; take the
 * slot's head and prefetch it; compare and prefetch its first rule. */
static void
subtable_lookup_batch(const struct cls_subtable *st, uint64_t version,
		      const struct vsw_flow_key *const *keys, uint32_t searching,
		      const struct vsw_cls_rule **best)
{
	const struct cls_hmap_arr *a = hmap_arr(&st->heads);
	const struct vsw_cls_head *head[VSW_CLS_BATCH];
	uint64_t hash[VSW_CLS_BATCH];
	uint32_t pos[VSW_CLS_BATCH], live = 0;
	unsigned int last = st->n_words > 0 ? st->words[st->n_words - 1] : 0;

	FOR_EACH_BIT(i, searching)
	{
		if (!subtable_hash(st, keys[i], &hash[i], NULL))
			continue;
		pos[i] = (uint32_t)hash[i] & a->mask;
		__builtin_prefetch(&a->slots[pos[i]]);
		live |= 1u << i;
	}
	FOR_EACH_BIT(i, live)
	{
		head[i] = hmap_next(a, hash[i], &pos[i]);
		if (head[i] == NULL) {
			live &= ~(1u << i);
			continue;
		}
		__builtin_prefetch(head[i]);
		__builtin_prefetch(&vsw_flow_key_words(&head[i]->key)[last]);
	}
	FOR_EACH_BIT(i, live)
	{
		head[i] = head_find(st, a, head[i], keys[i], hash[i], &pos[i]);
		if (head[i] == NULL) {
			live &= ~(1u << i);
			continue;
		}
		__builtin_prefetch(__atomic_load_n(&head[i]->rules, __ATOMIC_RELAXED));
	}
	FOR_EACH_BIT(i, live)
	{
		const struct vsw_cls_rule *r = head_first_visible(head[i], version);

		if (r != NULL && rule_better(r, best[i]))
			best[i] = r;
	}
}

void
vsw_cls_lookup_batch(const struct vsw_cls *cls, uint64_t version,
		     const struct vsw_flow_key *const *keys, unsigned int n,
		     const struct vsw_cls_rule **out)
{
	const struct cls_pvec *vec = __atomic_load_n(&cls->vec, __ATOMIC_ACQUIRE);
	uint32_t searching = n >= 32 ? UINT32_MAX : (UINT32_C(1) << n) - 1;

	for (unsigned int i = 0; i < n; i++)
		out[i] = NULL;
	for (uint32_t s = 0; s < vec->n && searching != 0; s++) {
		/* A key whose best rule beats this subtable's is done (the
		 * vector is in descending max_priority, as in vsw_cls_lookup). */
		FOR_EACH_BIT(i, searching)
		if (out[i] != NULL && vec->e[s].max_priority < out[i]->priority)
			searching &= ~(1u << i);
		subtable_lookup_batch(vec->e[s].st, version, keys, searching, out);
	}
}

/* ---- the subtable vector ---- */

static struct cls_pvec *
pvec_alloc(uint32_t n)
{
	struct cls_pvec *v = calloc(1, sizeof(*v) + n * sizeof(v->e[0]));

	if (v)
		v->n = n;
	return v;
}

/* Writer: publishes 'v' (taking it) sorted by max priority, highest first
 * (stable, so equal subtables keep their order). */
static void
pvec_publish(struct vsw_cls *cls, struct cls_pvec *v)
{
	struct cls_pvec *old = cls->vec;

	for (uint32_t i = 1; i < v->n; i++) {
		struct cls_pvec_entry e = v->e[i];
		uint32_t j = i;

		for (; j > 0 && v->e[j - 1].max_priority < e.max_priority; j--)
			v->e[j] = v->e[j - 1];
		v->e[j] = e;
	}
	__atomic_store_n(&cls->vec, v, __ATOMIC_RELEASE);
	defer_call(cls, free, old);
}

/* Writer: fills 'v' (room for one more than the current vector) with the
 * current subtables and priorities, plus 'add' or minus 'del' (may be NULL). */
static void
pvec_fill(const struct vsw_cls *cls, struct cls_pvec *v, struct cls_subtable *add,
	  const struct cls_subtable *del)
{
	const struct cls_pvec *old = cls->vec;
	uint32_t n = 0;

	for (uint32_t i = 0; i < old->n; i++) {
		if (old->e[i].st == del)
			continue;
		v->e[n].st = old->e[i].st;
		v->e[n++].max_priority = old->e[i].st->max_priority;
	}
	if (add) {
		v->e[n].st = add;
		v->e[n++].max_priority = add->max_priority;
	}
	v->n = n;
}

static struct cls_pvec *
pvec_copy(const struct vsw_cls *cls, const struct cls_subtable *del)
{
	struct cls_pvec *v = pvec_alloc(cls->vec->n + 1);

	if (v)
		pvec_fill(cls, v, NULL, del);
	return v;
}

static struct cls_subtable *
find_subtable(const struct vsw_cls *cls, const struct vsw_flow_key *mask)
{
	const struct cls_pvec *v = cls->vec;

	for (uint32_t i = 0; i < v->n; i++)
		if (memcmp(&v->e[i].st->mask, mask, sizeof(*mask)) == 0)
			return v->e[i].st;
	return NULL;
}

static struct vsw_cls_head *
find_head(const struct cls_subtable *st, const struct vsw_flow_key *masked_key, uint64_t hash)
{
	const struct cls_hmap_arr *a = st->heads.arr;
	struct vsw_cls_head *head;
	uint32_t pos;

	if (a == NULL)
		return NULL;
	pos = (uint32_t)hash & a->mask;
	while ((head = hmap_next(a, hash, &pos)) != NULL)
		if (memcmp(&head->key, masked_key, sizeof(*masked_key)) == 0)
			return head;
	return NULL;
}

/* ---- writer: create, insert, remove ---- */

int
vsw_cls_create(const struct vsw_cls_ops *ops, struct vsw_cls **out)
{
	struct vsw_cls *cls = calloc(1, sizeof(*cls));

	if (cls == NULL)
		return -ENOMEM;
	cls->vec = pvec_alloc(0);
	if (cls->vec == NULL) {
		free(cls);
		return -ENOMEM;
	}
	if (ops)
		cls->ops = *ops;
	cls->next_seq = 1;
	*out = cls;
	return 0;
}

void
vsw_cls_destroy(struct vsw_cls *cls)
{
	if (cls == NULL)
		return;
	for (uint32_t i = 0; i < cls->vec->n; i++) {
		struct cls_subtable *st = cls->vec->e[i].st;
		struct cls_hmap_arr *a = st->heads.arr;

		for (uint32_t j = 0; a && j <= a->mask; j++) {
			struct vsw_cls_head *head = a->slots[j].ptr;

			if (head == NULL || head == TOMBSTONE)
				continue;
			for (struct vsw_cls_rule *r = head->rules, *next; r; r = next) {
				next = r->next;
				if (cls->ops.rule_free)
					cls->ops.rule_free(cls->ops.ctx, r);
			}
			free(head);
		}
		subtable_free(st);
	}
	free(cls->vec);
	free(cls);
}

void
vsw_cls_rule_init(struct vsw_cls_rule *rule, const struct vsw_flow_key *key,
		  const struct vsw_flow_key *mask, uint32_t priority, void *actions)
{
	memset(rule, 0, sizeof(*rule));
	vsw_flow_key_apply_mask(&rule->key, key, mask);
	rule->mask = *mask;
	rule->priority = priority;
	rule->actions = actions;
	rule->remove_version = VSW_CLS_VERSION_NEVER;
}

/* Allocates what inserting into 'st' may need, so that nothing can fail once
 * readers can see a change. */
static int
reserve_head(struct vsw_cls *cls, struct cls_subtable *st)
{
	int ret = hmap_reserve(cls, &st->heads);

	for (unsigned int i = 0; ret == 0 && i < st->n_index; i++)
		ret = hmap_reserve(cls, &st->index[i]);
	return ret;
}

static int
insert_rule(struct vsw_cls *cls, struct vsw_cls_rule *rule, uint64_t version, uint64_t seq)
{
	struct cls_subtable *st = find_subtable(cls, &rule->mask), *new_st = NULL;
	struct cls_pvec *vec = NULL;
	struct vsw_cls_head *head, *new_head = NULL;
	struct vsw_cls_rule **pp;
	uint64_t hash, index_hash[CLS_MAX_INDEX];

	/* Everything that can fail comes first: once linked, 'rule' stays. */
	if (st == NULL) {
		st = new_st = subtable_create(&rule->mask);
		if (st == NULL)
			return -ENOMEM;
	}
	if (new_st || rule->priority > st->max_priority) {
		vec = pvec_alloc(cls->vec->n + 1);
		if (vec == NULL)
			goto err_free;
	}
	hash = subtable_hashes(st, &rule->key, index_hash);
	head = find_head(st, &rule->key, hash);
	if (head == NULL) {
		head = new_head = calloc(1, sizeof(*head));
		if (head == NULL || reserve_head(cls, st) != 0)
			goto err_free;
		head->key = rule->key;
		head->hash = hash;
		memcpy(head->index_hash, index_hash, sizeof(index_hash));
		head->st = st;
	}

	rule->cls = cls;
	rule->head = head;
	rule->seq = seq;
	rule->pending = false;
	rule->retire_next = NULL;
	rule->add_version = version;
	rule->remove_version = VSW_CLS_VERSION_NEVER;
	/* Highest priority first; among equals, lowest sequence number first. */
	for (pp = &head->rules; *pp && !rule_better(rule, *pp); pp = &(*pp)->next)
		;
	rule->next = *pp;
	__atomic_store_n(pp, rule, __ATOMIC_RELEASE);
	if (new_head) {
		for (unsigned int i = 0; i < st->n_index; i++)
			index_add(&st->index[i], index_hash[i]);
		hmap_insert(&st->heads, hash, head);
	}
	st->n_rules++;
	cls->n_rules++;
	if (vec) {
		st->max_priority = rule->priority;
		st->max_count = 1;
		pvec_fill(cls, vec, new_st, NULL);
		pvec_publish(cls, vec);
	} else if (rule->priority == st->max_priority) {
		st->max_count++;
	}
	return 0;

err_free:
	free(new_head);
	free(vec);
	if (new_st)
		subtable_free(new_st);
	return -ENOMEM;
}

int
vsw_cls_insert(struct vsw_cls *cls, struct vsw_cls_rule *rule, uint64_t version)
{
	int ret = insert_rule(cls, rule, version, cls->next_seq);

	if (ret == 0)
		cls->next_seq++;
	return ret;
}

int
vsw_cls_replace(struct vsw_cls *cls, struct vsw_cls_rule *old, struct vsw_cls_rule *new_rule,
		uint64_t version)
{
	int ret = insert_rule(cls, new_rule, version, old->seq);

	if (ret == 0)
		vsw_cls_remove(cls, old, version);
	return ret;
}

void
vsw_cls_remove(struct vsw_cls *cls, struct vsw_cls_rule *rule, uint64_t version)
{
	__atomic_store_n(&rule->remove_version, version, __ATOMIC_RELAXED);
	if (!rule->pending) {
		rule->pending = true;
		rule->retire_next = cls->retire_list;
		cls->retire_list = rule;
		cls->n_pending++;
	}
}

void
vsw_cls_unremove(struct vsw_cls *cls, struct vsw_cls_rule *rule)
{
	if (!rule->pending)
		return;
	for (struct vsw_cls_rule **pp = &cls->retire_list; *pp; pp = &(*pp)->retire_next)
		if (*pp == rule) {
			*pp = rule->retire_next;
			break;
		}
	rule->pending = false;
	cls->n_pending--;
	__atomic_store_n(&rule->remove_version, VSW_CLS_VERSION_NEVER, __ATOMIC_RELAXED);
}

static void
rule_free_cb(void *arg)
{
	struct vsw_cls_rule *rule = arg;
	struct vsw_cls *cls = rule->cls;

	cls->n_pending--;
	if (cls->ops.rule_free)
		cls->ops.rule_free(cls->ops.ctx, rule);
}

/* Writer, a grace period after the rule's removal became visible: no reader
 * can use a version where 'rule' is visible any more. */
static void
unlink_cb(void *arg)
{
	struct vsw_cls_rule *rule = arg, **pp;
	struct vsw_cls_head *head = rule->head;
	struct cls_subtable *st = head->st;
	struct vsw_cls *cls = rule->cls;

	for (pp = &head->rules; *pp != rule; pp = &(*pp)->next)
		;
	__atomic_store_n(pp, rule->next, __ATOMIC_RELEASE);
	st->n_rules--;
	cls->n_rules--;
	if (head->rules == NULL) {
		for (unsigned int i = 0; i < st->n_index; i++)
			index_del(&st->index[i], head->index_hash[i]);
		hmap_remove_slot(&st->heads, hmap_find_slot(&st->heads, head->hash, head));
		defer_call(cls, free, head);
	}
	if (st->n_rules == 0) {
		struct cls_pvec *v = pvec_copy(cls, st);

		/* Without memory for a new vector the empty subtable stays. */
		if (v) {
			pvec_publish(cls, v);
			defer_call(cls, subtable_free, st);
		} else {
			st->max_priority = 0;
		}
	} else if (rule->priority == st->max_priority && --st->max_count == 0) {
		/* The last rule at the top left: rescan, as OVS does. */
		const struct cls_hmap_arr *a = st->heads.arr;
		struct cls_pvec *v;

		st->max_priority = 0;
		for (uint32_t i = 0; i <= a->mask; i++) {
			const struct vsw_cls_head *h = a->slots[i].ptr;

			if (h == NULL || h == TOMBSTONE)
				continue;
			for (const struct vsw_cls_rule *r = h->rules; r; r = r->next) {
				if (r->priority < st->max_priority) {
					break;
				} else if (r->priority > st->max_priority || st->max_count == 0) {
					st->max_priority = r->priority;
					st->max_count = 1;
				} else {
					st->max_count++;
				}
			}
		}
		v = pvec_copy(cls, NULL);
		if (v) /* else readers keep a higher bound: slower, not wrong */
			pvec_publish(cls, v);
	}
	defer_call(cls, rule_free_cb, rule);
}

void
vsw_cls_retire(struct vsw_cls *cls, uint64_t visible)
{
	struct vsw_cls_rule **pp = &cls->retire_list;

	while (*pp) {
		struct vsw_cls_rule *rule = *pp;

		if (rule->remove_version > visible) {
			pp = &rule->retire_next;
			continue;
		}
		*pp = rule->retire_next;
		rule->retire_next = NULL;
		rule->pending = false;
		defer_call(cls, unlink_cb, rule);
	}
}

/* ---- writer: iteration ---- */

/* Calls fn for the rules of 'head' visible at 'version' (with 'priority'
 * when 'strict'). false when fn asked to stop. */
static bool
head_foreach(struct vsw_cls_head *head, uint64_t version, bool strict, uint32_t priority,
	     bool (*fn)(struct vsw_cls_rule *, void *), void *arg, size_t *n)
{
	for (struct vsw_cls_rule *r = head->rules, *next; r; r = next) {
		next = r->next;
		if (!vsw_cls_rule_visible(r, version) || (strict && r->priority != priority))
			continue;
		++*n;
		if (!fn(r, arg))
			return false;
	}
	return true;
}

size_t
vsw_cls_find(struct vsw_cls *cls, uint64_t version, enum vsw_cls_find_mode mode,
	     const struct vsw_flow_key *key, const struct vsw_flow_key *mask, uint32_t priority,
	     bool (*fn)(struct vsw_cls_rule *rule, void *arg), void *arg)
{
	const struct cls_pvec *vec = cls->vec;
	size_t n = 0;

	if (mode == VSW_CLS_FIND_STRICT) {
		struct cls_subtable *st = find_subtable(cls, mask);
		struct vsw_flow_key masked;
		uint64_t ih[CLS_MAX_INDEX];
		struct vsw_cls_head *head;

		if (st == NULL)
			return 0;
		vsw_flow_key_apply_mask(&masked, key, mask);
		head = find_head(st, &masked, subtable_hashes(st, &masked, ih));
		if (head)
			head_foreach(head, version, true, priority, fn, arg, &n);
		return n;
	}
	for (uint32_t i = 0; i < vec->n; i++) {
		struct cls_subtable *st = vec->e[i].st;
		struct cls_hmap_arr *a = st->heads.arr;

		if (mode == VSW_CLS_FIND_LOOSE && !vsw_flow_mask_is_subset(mask, &st->mask))
			continue;
		for (uint32_t j = 0; a && j <= a->mask; j++) {
			struct vsw_cls_head *head = a->slots[j].ptr;

			if (head == NULL || head == TOMBSTONE)
				continue;
			if (mode == VSW_CLS_FIND_LOOSE &&
			    !vsw_flow_key_equal_masked(&head->key, key, mask))
				continue;
			if (!head_foreach(head, version, false, 0, fn, arg, &n))
				return n;
		}
	}
	return n;
}

bool
vsw_cls_overlaps(struct vsw_cls *cls, uint64_t version, const struct vsw_flow_key *key,
		 const struct vsw_flow_key *mask, uint32_t priority,
		 const struct vsw_cls_rule *except)
{
	const struct cls_pvec *vec = cls->vec;

	for (uint32_t i = 0; i < vec->n; i++) {
		struct cls_subtable *st = vec->e[i].st;
		struct cls_hmap_arr *a = st->heads.arr;
		struct vsw_flow_key common;

		if (st->max_priority < priority)
			continue;
		vsw_flow_key_apply_mask(&common, mask, &st->mask);
		for (uint32_t j = 0; a && j <= a->mask; j++) {
			struct vsw_cls_head *head = a->slots[j].ptr;

			if (head == NULL || head == TOMBSTONE ||
			    !vsw_flow_key_equal_masked(&head->key, key, &common))
				continue;
			for (const struct vsw_cls_rule *r = head->rules; r; r = r->next)
				if (r != except && r->priority == priority &&
				    vsw_cls_rule_visible(r, version))
					return true;
		}
	}
	return false;
}

void
vsw_cls_get_stats(const struct vsw_cls *cls, struct vsw_cls_stats *stats)
{
	stats->rules = cls->n_rules;
	stats->subtables = cls->vec->n;
	stats->pending = cls->n_pending;
}
