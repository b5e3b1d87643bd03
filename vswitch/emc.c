/* The per-PMD exact-match cache (design in emc.h): two candidate slots per
 * hash, full key compare, version check. Fast path: no allocation after
 * create. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emc.h"

struct vsw_emc {
	uint32_t evict_tick; /* counts inserts that found both ways in use */
	struct vsw_emc_entry e[VSW_EMC_ENTRIES];
};

int
vsw_emc_create(struct vsw_emc **out)
{
	*out = calloc(1, sizeof(**out));
	return *out == NULL ? -ENOMEM : 0;
}

void
vsw_emc_destroy(struct vsw_emc *emc)
{
	free(emc);
}

static inline uint32_t
slot(uint32_t hash, unsigned way)
{
	return (way == 0 ? hash : (hash >> 16 | hash << 16) * 0x9e3779b1u) & (VSW_EMC_ENTRIES - 1);
}

static inline bool
key_equal(const struct vsw_flow_key *a, const struct vsw_flow_key *b)
{
	const vsw_flow_word *wa = vsw_flow_key_words(a), *wb = vsw_flow_key_words(b);
	uint64_t d = 0;

	for (size_t i = 0; i < VSW_FLOW_KEY_WORDS; i++)
		d |= wa[i] ^ wb[i];
	return d == 0;
}

const struct vsw_emc_entry *
vsw_emc_lookup(const struct vsw_emc *emc, const struct vsw_flow_key *key, uint32_t hash,
	       uint64_t version)
{
	for (unsigned way = 0; way < 2; way++) {
		const struct vsw_emc_entry *e = &emc->e[slot(hash, way)];

		if (e->n != 0 && e->hash == hash && e->version == version &&
		    key_equal(&e->key, key))
			return e;
	}
	return NULL;
}

void
vsw_emc_prefetch(const struct vsw_emc *emc, uint32_t hash)
{
	__builtin_prefetch(&emc->e[slot(hash, 0)]);
	__builtin_prefetch(&emc->e[slot(hash, 1)]);
}

void
vsw_emc_insert(struct vsw_emc *emc, const struct vsw_flow_key *key, uint32_t hash, uint64_t version,
	       const struct vsw_pl_flow *const *flows, unsigned n)
{
	struct vsw_emc_entry *e0 = &emc->e[slot(hash, 0)], *e1 = &emc->e[slot(hash, 1)], *e;

	if (n == 0 || n > VSW_EMC_MAX_HOPS)
		return;
	if (e0->n == 0 || e0->version != version)
		e = e0;
	else if (e1->n == 0 || e1->version != version)
		e = e1;
	else if ((++emc->evict_tick & (VSW_EMC_EVICT_EVERY - 1)) != 0)
		return; /* both in use: evict only now and then */
	else
		e = (hash & 0x80000000u) ? e1 : e0;
	e->version = version;
	e->hash = hash;
	e->n = (uint8_t)n;
	memcpy(e->flows, flows, n * sizeof(flows[0]));
	e->key = *key;
}

unsigned
vsw_emc_count(const struct vsw_emc *emc, uint64_t version)
{
	unsigned n = 0;

	for (unsigned i = 0; i < VSW_EMC_ENTRIES; i++)
		n += emc->e[i].n != 0 && emc->e[i].version == version;
	return n;
}
