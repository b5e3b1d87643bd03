/* The exact-match cache: one per PMD, in front of the pipeline's classifiers
 * (pipeline.c). An entry maps a packet's full initial flow key to the flows
 * the pipeline chose for it, table after table (a NULL last hop: a table
 * miss), at one pipeline version. It is valid only at that version: a lookup
 * at another version misses, so any flow_mod invalidates the whole cache (P8:
 * a hit gives the flows a full lookup would give, since at one version the
 * lookups are a function of the key; the pipeline does not insert a packet
 * whose later lookups depended on frame bytes outside the key, i.e. after a
 * push/pop_vlan or an ND option rewrite re-extracted the key).
 *
 * Two-way set associative over VSW_EMC_ENTRIES entries; an empty or stale
 * entry (older version) is taken at once, a live one is evicted by only one
 * insert in VSW_EMC_EVICT_EVERY: when more flows are active than the cache
 * holds, a miss then costs a lookup, not a 200-byte write that evicts a flow
 * still in use (Open vSwitch inserts 1 in 100 for the same reason). Owned by
 * one PMD: no synchronisation. The flows
 * it points to are dereferenced only at the version they were found at, when
 * the RCU rules of pipeline.h keep them alive. */
#ifndef VSW_EMC_H
#define VSW_EMC_H

#include <stdbool.h>
#include <stdint.h>

#include "flow_key.h"

#define VSW_EMC_MAX_HOPS 8 /* tables an entry can cover (VSW_PL_MAX_HOPS) */

struct vsw_pl_flow; /* pipeline.h */

#define VSW_EMC_ENTRIES	    8192 /* a power of two */
#define VSW_EMC_EVICT_EVERY 32	 /* a power of two */

struct vsw_emc_entry {
	uint64_t version;
	uint32_t hash;
	uint8_t n; /* hops; 0: empty */
	const struct vsw_pl_flow *flows[VSW_EMC_MAX_HOPS];
	struct vsw_flow_key key;
};

struct vsw_emc;

/* The cache pays only when it hits: a miss costs a hash, a lookup and often
 * an insert, a hit saves one batched classifier lookup. Each PMD counts its
 * hit rate over windows of VSW_EMC_WINDOW lookups and uses the cache for
 * every burst while the rate is at least VSW_EMC_MIN_HIT_PCT, else for one
 * burst in VSW_EMC_SAMPLE (which keeps measuring, and filling, the cache: a
 * traffic mix that starts to repeat turns it back on). Many more active flows
 * than entries, or flow_mods faster than the cache refills (each commit
 * empties it), turn it off. PMD-private. */
#define VSW_EMC_WINDOW	    4096
#define VSW_EMC_MIN_HIT_PCT 50
#define VSW_EMC_SAMPLE	    16 /* a power of two */

struct vsw_emc_gate {
	bool on;
	uint32_t tick;
	uint32_t lookups, hits; /* in the current window */
};

/* Whether this burst uses the cache. */
static inline bool
vsw_emc_gate_use(struct vsw_emc_gate *g)
{
	return g->on || (++g->tick & (VSW_EMC_SAMPLE - 1)) == 0;
}

/* Counts a burst's 'lookups' of which 'hits' hit; decides at a window's end. */
static inline void
vsw_emc_gate_count(struct vsw_emc_gate *g, unsigned lookups, unsigned hits)
{
	g->lookups += lookups;
	g->hits += hits;
	if (g->lookups >= VSW_EMC_WINDOW) {
		g->on = (uint64_t)g->hits * 100 >= (uint64_t)g->lookups * VSW_EMC_MIN_HIT_PCT;
		g->lookups = g->hits = 0;
	}
}

int vsw_emc_create(struct vsw_emc **out);
void vsw_emc_destroy(struct vsw_emc *emc);

/* The entry for 'key' at 'version', or NULL. */
const struct vsw_emc_entry *vsw_emc_lookup(const struct vsw_emc *emc,
					   const struct vsw_flow_key *key, uint32_t hash,
					   uint64_t version);

/* Brings the entries 'hash' may be in towards the cache (a burst hashes its
 * keys, prefetches, then looks up). */
void vsw_emc_prefetch(const struct vsw_emc *emc, uint32_t hash);

/* Caches 'n' (1..VSW_EMC_MAX_HOPS) hops for 'key' at 'version'. */
void vsw_emc_insert(struct vsw_emc *emc, const struct vsw_flow_key *key, uint32_t hash,
		    uint64_t version, const struct vsw_pl_flow *const *flows, unsigned n);

/* Entries valid at 'version' (tests, stats). */
unsigned vsw_emc_count(const struct vsw_emc *emc, uint64_t version);

#endif
