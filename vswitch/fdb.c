/* The learning bridge's MAC table (fdb.h): a fixed-size bucketized hash from
 * (MAC, VLAN) to a port slot. bridge.c learns and looks up from PMD threads;
 * port.c and views.c age, flush and list it from the control thread. Plain C
 * with GCC atomics, no DPDK, so it is unit-tested on its own (fdb_test.c).
 *
 * Layout. 2^k buckets (2^k >= max_entries / 4) of FDB_BUCKET_SLOTS entries, so
 * there are at least twice as many slots as entries and a bucket rarely fills.
 * A (MAC, VLAN) lives only in the bucket its hash names, at most once.
 *
 * Concurrency. There is one writer at a time: the holder of 'lock'. PMDs only
 * try-lock it (a busy lock skips one learning event, counted as 'contended');
 * the control thread spins on it, briefly, a chunk of buckets at a time.
 * Readers take no lock. Each entry is a seqlock: the writer makes 'seq' odd,
 * stores key, port and timestamp with release stores, and makes 'seq' even
 * again with a release store. A reader loads 'seq' (acquire), the fields
 * (acquire, so the second load of 'seq' cannot move above them) and 'seq'
 * again; if it was odd or has changed, it saw a torn entry and reports a miss,
 * which makes the bridge flood that one packet: correct, merely slower.
 * If a reader loads any value a writer stored, the release/acquire pair makes
 * that writer's earlier odd 'seq' visible to the second load, so tearing is
 * always detected; this needs no fences (which TSan cannot model).
 * 'last_seen_ms' is the one field written outside the lock: refreshing a known
 * station is a relaxed store, so learning a known MAC costs no lock and no
 * atomic read-modify-write. Such a store may land on a slot that was just
 * reused for another MAC; that only makes the new entry look a few
 * milliseconds younger, which aging tolerates.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "fdb.h"

#define FDB_BUCKET_SLOTS   8
#define FDB_MAX_ENTRIES	   (UINT32_C(1) << 20)
#define FDB_VLAN_MASK	   0xfffu
#define FDB_KEY_VLAN_SHIFT 48
#define FDB_KEY_VALID	   (UINT64_C(1) << 63) /* 0 is a free slot */
#define FDB_HASH_SEED	   UINT64_C(0x6a09e667f3bcc909)
#define FDB_CACHE_LINE	   64
/* Buckets the control thread handles per lock hold, so that aging a large
 * table makes PMDs skip learning for microseconds, not milliseconds. */
#define FDB_CTL_CHUNK 64
/* Buckets searched for a victim when the table is full and the key's own
 * bucket is empty (see fdb_find_victim). */
#define FDB_EVICT_PROBE 8
/* Attempts to read an entry that a writer keeps changing (control side). */
#define FDB_READ_RETRIES 64

struct fdb_entry {
	uint64_t key;	       /* MAC | VLAN << 48 | FDB_KEY_VALID; 0 = free */
	uint64_t last_seen_ms; /* also refreshed without the lock (relaxed) */
	uint32_t seq;	       /* odd while the lock holder rewrites the entry */
	uint16_t port;
};

struct fdb_bucket {
	struct fdb_entry e[FDB_BUCKET_SLOTS];
};

struct vsw_fdb {
	/* Immutable after vsw_fdb_create(); read by every PMD. */
	struct fdb_bucket *buckets;
	uint32_t bucket_mask;
	uint32_t max_entries;
	uint64_t aging_ms;

	/* The writer's lock and what only its holder writes; read by the control
	 * thread with relaxed loads. Its own cache line, away from the read-mostly
	 * fields above. */
	alignas(FDB_CACHE_LINE) bool lock;
	uint32_t entries;
	uint64_t learned, moved, evicted, aged;

	/* Incremented by any PMD whose try-lock failed. */
	alignas(FDB_CACHE_LINE) uint64_t contended;
};

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#endif
}

static inline uint64_t
fdb_key(const uint8_t mac[6], uint16_t vlan)
{
	uint64_t k = (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 | (uint64_t)mac[2] << 24 |
		     (uint64_t)mac[3] << 16 | (uint64_t)mac[4] << 8 | (uint64_t)mac[5];

	return k | (uint64_t)vlan << FDB_KEY_VLAN_SHIFT | FDB_KEY_VALID;
}

static void
fdb_key_unpack(uint64_t key, uint8_t mac[6], uint16_t *vlan)
{
	int i;

	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)(key >> (40 - 8 * i));
	*vlan = (uint16_t)((key >> FDB_KEY_VLAN_SHIFT) & FDB_VLAN_MASK);
}

/* MurmurHash3's 64-bit finalizer: every key bit reaches the low bits that pick
 * the bucket, whether stations differ in the OUI or in the last byte. */
static inline struct fdb_bucket *
fdb_bucket_of(const struct vsw_fdb *fdb, uint64_t key)
{
	uint64_t h = key ^ FDB_HASH_SEED;

	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return &fdb->buckets[h & fdb->bucket_mask];
}

/* An entry is live while it is at most aging_ms old. Another PMD may have
 * stamped it with a clock read later than our 'now_ms': that is age 0. */
static inline uint64_t
fdb_age(uint64_t last_seen_ms, uint64_t now_ms)
{
	return now_ms > last_seen_ms ? now_ms - last_seen_ms : 0;
}

static inline bool
fdb_is_live(const struct vsw_fdb *fdb, uint64_t last_seen_ms, uint64_t now_ms)
{
	return fdb_age(last_seen_ms, now_ms) <= fdb->aging_ms;
}

/* Lock-free read of one entry; false when a writer was changing it. */
static inline bool
fdb_entry_read(const struct fdb_entry *e, uint64_t *key, uint16_t *port, uint64_t *last_seen_ms)
{
	uint32_t seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);

	if (seq & 1)
		return false;
	*key = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
	*port = __atomic_load_n(&e->port, __ATOMIC_ACQUIRE);
	*last_seen_ms = __atomic_load_n(&e->last_seen_ms, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&e->seq, __ATOMIC_RELAXED) == seq;
}

/* Lock held. Rewrites a whole entry; key 0 frees it. */
static void
fdb_entry_write(struct fdb_entry *e, uint64_t key, uint16_t port, uint64_t now_ms)
{
	uint32_t seq = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);

	__atomic_store_n(&e->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&e->key, key, __ATOMIC_RELEASE);
	__atomic_store_n(&e->port, port, __ATOMIC_RELEASE);
	__atomic_store_n(&e->last_seen_ms, now_ms, __ATOMIC_RELEASE);
	__atomic_store_n(&e->seq, seq + 2, __ATOMIC_RELEASE);
}

/* Test-and-test-and-set, so that PMDs finding the lock busy only read its
 * cache line instead of stealing it from the holder. */
static inline bool
fdb_trylock(struct vsw_fdb *fdb)
{
	return !__atomic_load_n(&fdb->lock, __ATOMIC_RELAXED) &&
	       !__atomic_test_and_set(&fdb->lock, __ATOMIC_ACQUIRE);
}

/* Control thread only. Spinning is fine here: PMDs never wait for the lock
 * and hold it for one bucket's worth of work, so it is soon free. */
static void
fdb_lock(struct vsw_fdb *fdb)
{
	while (!fdb_trylock(fdb))
		cpu_relax();
}

static inline void
fdb_unlock(struct vsw_fdb *fdb)
{
	__atomic_clear(&fdb->lock, __ATOMIC_RELEASE);
}

static inline void
fdb_count(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static inline void
fdb_refresh(struct fdb_entry *e, uint64_t now_ms)
{
	/* Only forward in time: several PMDs read the clock at slightly
	 * different moments, and a store that changes nothing would still
	 * take the cache line away from the other PMDs reading it. */
	if (now_ms > __atomic_load_n(&e->last_seen_ms, __ATOMIC_RELAXED))
		__atomic_store_n(&e->last_seen_ms, now_ms, __ATOMIC_RELAXED);
}

int
vsw_fdb_create(uint32_t max_entries, uint64_t aging_ms, struct vsw_fdb **out)
{
	uint32_t want = (max_entries + 3) / 4, n_buckets = 1;
	struct vsw_fdb *fdb;
	size_t size;

	if (max_entries == 0 || max_entries > FDB_MAX_ENTRIES || aging_ms == 0)
		return -EINVAL;
	while (n_buckets < want)
		n_buckets <<= 1;

	/* sizeof(*fdb) is a multiple of its 64-byte alignment, as is 'size'
	 * below, which aligned_alloc() wants. */
	fdb = aligned_alloc(FDB_CACHE_LINE, sizeof(*fdb));
	if (fdb == NULL)
		return -ENOMEM;
	memset(fdb, 0, sizeof(*fdb));

	size = (size_t)n_buckets * sizeof(struct fdb_bucket);
	size = (size + FDB_CACHE_LINE - 1) & ~(size_t)(FDB_CACHE_LINE - 1);
	fdb->buckets = aligned_alloc(FDB_CACHE_LINE, size);
	if (fdb->buckets == NULL)
		goto err_free_fdb;
	memset(fdb->buckets, 0, size);

	fdb->bucket_mask = n_buckets - 1;
	fdb->max_entries = max_entries;
	fdb->aging_ms = aging_ms;
	*out = fdb;
	return 0;

err_free_fdb:
	free(fdb);
	return -ENOMEM;
}

void
vsw_fdb_destroy(struct vsw_fdb *fdb)
{
	if (fdb == NULL)
		return;
	free(fdb->buckets);
	free(fdb);
}

int
vsw_fdb_lookup(struct vsw_fdb *fdb, const uint8_t mac[6], uint16_t vlan, uint64_t now_ms)
{
	struct fdb_bucket *b;
	uint64_t key, k, last;
	uint16_t port;
	int i;

	/* A VLAN the key cannot hold must not alias VLAN (vlan & 0xfff). */
	if (vlan > FDB_VLAN_MASK)
		return -1;
	key = fdb_key(mac, vlan);
	b = fdb_bucket_of(fdb, key);
	for (i = 0; i < FDB_BUCKET_SLOTS; i++) {
		const struct fdb_entry *e = &b->e[i];

		if (__atomic_load_n(&e->key, __ATOMIC_RELAXED) != key)
			continue;
		/* A key is stored at most once, so a torn read is a miss. */
		if (!fdb_entry_read(e, &k, &port, &last) || k != key)
			return -1;
		return fdb_is_live(fdb, last, now_ms) ? port : -1;
	}
	return -1;
}

/* Lock held, the table full and the key's bucket empty: the entries are
 * elsewhere, so take the least recently seen entry of the nearest non-empty
 * bucket. The probe is bounded to keep the PMD's time under the lock small;
 * a full table has at least a quarter of its buckets in use, so a run of
 * FDB_EVICT_PROBE empty ones is rare, and then this one event is not learned
 * (the next packet from the station tries again). */
static struct fdb_entry *
fdb_find_victim(struct vsw_fdb *fdb, const struct fdb_bucket *home)
{
	uint32_t idx = (uint32_t)(home - fdb->buckets), n;
	struct fdb_entry *victim = NULL;
	uint64_t victim_seen = 0;
	int i;

	for (n = 1; n <= FDB_EVICT_PROBE && n <= fdb->bucket_mask; n++) {
		struct fdb_bucket *b = &fdb->buckets[(idx + n) & fdb->bucket_mask];

		for (i = 0; i < FDB_BUCKET_SLOTS; i++) {
			struct fdb_entry *e = &b->e[i];
			uint64_t seen = __atomic_load_n(&e->last_seen_ms, __ATOMIC_RELAXED);

			if (__atomic_load_n(&e->key, __ATOMIC_RELAXED) == 0)
				continue;
			if (victim == NULL || seen < victim_seen) {
				victim = e;
				victim_seen = seen;
			}
		}
		if (victim != NULL)
			return victim;
	}
	return NULL;
}

/* Lock held. The slow path of learning: a new station, or one that moved. */
static void
fdb_learn_locked(struct vsw_fdb *fdb, struct fdb_bucket *b, uint64_t key, uint16_t port,
		 uint64_t now_ms)
{
	struct fdb_entry *free_slot = NULL, *victim = NULL;
	uint64_t victim_seen = 0;
	int i;

	for (i = 0; i < FDB_BUCKET_SLOTS; i++) {
		struct fdb_entry *e = &b->e[i];
		uint64_t k = __atomic_load_n(&e->key, __ATOMIC_RELAXED);
		uint64_t seen;

		if (k == key) {
			/* Another PMD may have learned it since our look. */
			if (__atomic_load_n(&e->port, __ATOMIC_RELAXED) == port) {
				fdb_refresh(e, now_ms);
				return;
			}
			fdb_entry_write(e, key, port, now_ms);
			fdb_count(&fdb->moved, 1);
			return;
		}
		if (k == 0) {
			if (free_slot == NULL)
				free_slot = e;
			continue;
		}
		seen = __atomic_load_n(&e->last_seen_ms, __ATOMIC_RELAXED);
		if (victim == NULL || seen < victim_seen) {
			victim = e;
			victim_seen = seen;
		}
	}

	if (free_slot != NULL && fdb->entries < fdb->max_entries) {
		fdb_entry_write(free_slot, key, port, now_ms);
		__atomic_store_n(&fdb->entries, fdb->entries + 1, __ATOMIC_RELAXED);
		fdb_count(&fdb->learned, 1);
		return;
	}

	/* The table or the bucket is full: replace the bucket's least recently
	 * seen entry in place, so 'entries' does not change. A full table may
	 * leave this bucket empty; then a neighbour gives up an entry. */
	if (victim == NULL) {
		victim = fdb_find_victim(fdb, b);
		if (victim == NULL)
			return;
		fdb_entry_write(victim, 0, 0, 0);
		victim = free_slot;
	}
	fdb_entry_write(victim, key, port, now_ms);
	fdb_count(&fdb->evicted, 1);
	fdb_count(&fdb->learned, 1);
}

void
vsw_fdb_learn(struct vsw_fdb *fdb, const uint8_t mac[6], uint16_t vlan, uint16_t port,
	      uint64_t now_ms)
{
	struct fdb_bucket *b;
	uint64_t key, k, last;
	uint16_t p;
	int i;

	if ((mac[0] & 1) || vlan > FDB_VLAN_MASK)
		return;
	key = fdb_key(mac, vlan);
	b = fdb_bucket_of(fdb, key);

	/* Nearly every frame comes from a station already known on this port:
	 * refresh its timestamp without the lock. */
	for (i = 0; i < FDB_BUCKET_SLOTS; i++) {
		struct fdb_entry *e = &b->e[i];

		if (__atomic_load_n(&e->key, __ATOMIC_RELAXED) != key)
			continue;
		if (fdb_entry_read(e, &k, &p, &last) && k == key && p == port) {
			if (now_ms > last)
				__atomic_store_n(&e->last_seen_ms, now_ms, __ATOMIC_RELAXED);
			return;
		}
		break;
	}

	if (!fdb_trylock(fdb)) {
		fdb_count(&fdb->contended, 1);
		return;
	}
	fdb_learn_locked(fdb, b, key, port, now_ms);
	fdb_unlock(fdb);
}

/* Control thread. Removes the entries 'match' selects, a chunk of buckets per
 * lock hold, and returns how many it removed. */
static unsigned
fdb_remove_if(struct vsw_fdb *fdb,
	      bool (*match)(const struct vsw_fdb *, const struct fdb_entry *, uint64_t),
	      uint64_t arg)
{
	uint32_t n_buckets = fdb->bucket_mask + 1, first, idx;
	unsigned removed = 0, chunk;
	int i;

	for (first = 0; first < n_buckets; first += FDB_CTL_CHUNK) {
		chunk = 0;
		fdb_lock(fdb);
		for (idx = first; idx < n_buckets && idx < first + FDB_CTL_CHUNK; idx++) {
			for (i = 0; i < FDB_BUCKET_SLOTS; i++) {
				struct fdb_entry *e = &fdb->buckets[idx].e[i];

				if (__atomic_load_n(&e->key, __ATOMIC_RELAXED) == 0 ||
				    !match(fdb, e, arg))
					continue;
				fdb_entry_write(e, 0, 0, 0);
				chunk++;
			}
		}
		__atomic_store_n(&fdb->entries, fdb->entries - chunk, __ATOMIC_RELAXED);
		fdb_unlock(fdb);
		removed += chunk;
	}
	return removed;
}

static bool
fdb_match_old(const struct vsw_fdb *fdb, const struct fdb_entry *e, uint64_t now_ms)
{
	return !fdb_is_live(fdb, __atomic_load_n(&e->last_seen_ms, __ATOMIC_RELAXED), now_ms);
}

static bool
fdb_match_port(const struct vsw_fdb *fdb, const struct fdb_entry *e, uint64_t port)
{
	(void)fdb;
	return __atomic_load_n(&e->port, __ATOMIC_RELAXED) == port;
}

static bool
fdb_match_all(const struct vsw_fdb *fdb, const struct fdb_entry *e, uint64_t unused)
{
	(void)fdb;
	(void)e;
	(void)unused;
	return true;
}

unsigned
vsw_fdb_age(struct vsw_fdb *fdb, uint64_t now_ms)
{
	unsigned removed = fdb_remove_if(fdb, fdb_match_old, now_ms);

	fdb_count(&fdb->aged, removed);
	return removed;
}

void
vsw_fdb_flush(struct vsw_fdb *fdb)
{
	fdb_remove_if(fdb, fdb_match_all, 0);
}

unsigned
vsw_fdb_flush_port(struct vsw_fdb *fdb, uint16_t port)
{
	return fdb_remove_if(fdb, fdb_match_port, port);
}

void
vsw_fdb_get_stats(struct vsw_fdb *fdb, struct vsw_fdb_stats *stats)
{
	stats->entries = __atomic_load_n(&fdb->entries, __ATOMIC_RELAXED);
	stats->learned = __atomic_load_n(&fdb->learned, __ATOMIC_RELAXED);
	stats->moved = __atomic_load_n(&fdb->moved, __ATOMIC_RELAXED);
	stats->evicted = __atomic_load_n(&fdb->evicted, __ATOMIC_RELAXED);
	stats->aged = __atomic_load_n(&fdb->aged, __ATOMIC_RELAXED);
	stats->contended = __atomic_load_n(&fdb->contended, __ATOMIC_RELAXED);
}

/* Without the lock, so that listing a large table never makes PMDs skip
 * learning, and so that 'cb' may call back into this module. An entry a PMD
 * keeps rewriting for FDB_READ_RETRIES reads is left out of this listing. */
void
vsw_fdb_foreach(struct vsw_fdb *fdb, uint64_t now_ms,
		int (*cb)(const uint8_t mac[6], uint16_t vlan, uint16_t port, uint64_t age_ms,
			  void *arg),
		void *arg)
{
	uint32_t n_buckets = fdb->bucket_mask + 1, idx;
	uint64_t key, last;
	uint8_t mac[6];
	uint16_t port, vlan;
	int i, tries;

	for (idx = 0; idx < n_buckets; idx++) {
		for (i = 0; i < FDB_BUCKET_SLOTS; i++) {
			const struct fdb_entry *e = &fdb->buckets[idx].e[i];

			if (__atomic_load_n(&e->key, __ATOMIC_RELAXED) == 0)
				continue;
			for (tries = 0; tries < FDB_READ_RETRIES; tries++) {
				if (fdb_entry_read(e, &key, &port, &last))
					break;
				cpu_relax();
			}
			if (tries == FDB_READ_RETRIES || key == 0 ||
			    !fdb_is_live(fdb, last, now_ms))
				continue;
			fdb_key_unpack(key, mac, &vlan);
			if (cb(mac, vlan, port, fdb_age(last, now_ms), arg) != 0)
				return;
		}
	}
}
