/* The learning bridge's MAC table (forwarding database), one per bridge.
 *
 * Keys are (MAC, VLAN); values are a port slot (0..VSW_MAX_PORTS-1). The table
 * has a fixed capacity set at creation (the bridge's mac_table_size) and never
 * allocates afterwards.
 *
 * Concurrency: lookups and learning run on PMD threads, many at once, and never
 * block: lookups are lock-free (per-entry sequence counters; a reader that races
 * a writer treats the entry as a miss and the bridge floods), refreshing an
 * existing entry's timestamp is a relaxed store, and inserting or moving an
 * entry takes a try-lock — when another thread holds it, that one learning
 * event is skipped and counted ('contended'); the next packet learns. Aging,
 * flushes and iteration are for the control thread.
 *
 * Limit: when the table holds max_entries (or the key's bucket is full), the
 * least recently seen entry of the key's bucket is evicted ('evicted').
 */
#ifndef VSW_FDB_H
#define VSW_FDB_H

#include <stdbool.h>
#include <stdint.h>

struct vsw_fdb;

struct vsw_fdb_stats {
	uint32_t entries;
	uint64_t learned;   /* new entries */
	uint64_t moved;	    /* an existing MAC seen on another port */
	uint64_t evicted;   /* removed to make room */
	uint64_t aged;	    /* removed by vsw_fdb_age() */
	uint64_t contended; /* learning skipped: lock busy */
};

/* max_entries 1..(1 << 20); aging_ms > 0. Returns 0, -EINVAL or -ENOMEM. */
int vsw_fdb_create(uint32_t max_entries, uint64_t aging_ms, struct vsw_fdb **out);
void vsw_fdb_destroy(struct vsw_fdb *fdb);

/* PMD side. Returns the port slot, or -1 when unknown or older than aging. */
int vsw_fdb_lookup(struct vsw_fdb *fdb, const uint8_t mac[6], uint16_t vlan, uint64_t now_ms);
/* Records that 'mac' on 'vlan' was seen on 'port'. Callers never learn group
 * (multicast/broadcast) source addresses; this function ignores them too. */
void vsw_fdb_learn(struct vsw_fdb *fdb, const uint8_t mac[6], uint16_t vlan, uint16_t port,
		   uint64_t now_ms);

/* Control side. */
unsigned vsw_fdb_age(struct vsw_fdb *fdb, uint64_t now_ms); /* returns entries removed */
void vsw_fdb_flush(struct vsw_fdb *fdb);
unsigned vsw_fdb_flush_port(struct vsw_fdb *fdb, uint16_t port);
void vsw_fdb_get_stats(struct vsw_fdb *fdb, struct vsw_fdb_stats *stats);
/* Visits live entries; cb returns non-zero to stop. */
void vsw_fdb_foreach(struct vsw_fdb *fdb, uint64_t now_ms,
		     int (*cb)(const uint8_t mac[6], uint16_t vlan, uint16_t port, uint64_t age_ms,
			       void *arg),
		     void *arg);

#endif
