/* Unit tests of the MAC table (fdb.c): learning, moves, aging, the size limit,
 * flushes and iteration, a random run against a plain-array model, and a
 * concurrency smoke test (build it once with -fsanitize=thread). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fdb.h"

#define AGING_MS 300000

/* The test's table lives in '*state', so that the teardown frees it even when
 * an assertion ends the test early. */
static struct vsw_fdb *
new_fdb(void **state, uint32_t max_entries, uint64_t aging_ms)
{
	struct vsw_fdb *fdb = NULL;

	vsw_fdb_destroy(*state);
	*state = NULL;
	assert_int_equal(vsw_fdb_create(max_entries, aging_ms, &fdb), 0);
	assert_non_null(fdb);
	*state = fdb;
	return fdb;
}

static int
teardown_fdb(void **state)
{
	vsw_fdb_destroy(*state);
	*state = NULL;
	return 0;
}

/* Station number n as a locally administered unicast address 02:00:n. */
static void
mac_of(uint32_t n, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x00;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static struct vsw_fdb_stats
stats_of(struct vsw_fdb *fdb)
{
	struct vsw_fdb_stats s;

	vsw_fdb_get_stats(fdb, &s);
	return s;
}

static void
test_fdb_create_rejects_bad_parameters(void **state)
{
	struct vsw_fdb *fdb = NULL;

	(void)state;
	assert_int_equal(vsw_fdb_create(0, AGING_MS, &fdb), -EINVAL);
	assert_int_equal(vsw_fdb_create((1u << 20) + 1, AGING_MS, &fdb), -EINVAL);
	assert_int_equal(vsw_fdb_create(16, 0, &fdb), -EINVAL);
	assert_null(fdb);

	assert_int_equal(vsw_fdb_create(1, 1, &fdb), 0);
	vsw_fdb_destroy(fdb);
	assert_int_equal(vsw_fdb_create(1u << 20, AGING_MS, &fdb), 0);
	vsw_fdb_destroy(fdb);
	vsw_fdb_destroy(NULL);
}

static void
test_fdb_learned_mac_is_found(void **state)
{
	struct vsw_fdb *fdb = new_fdb(state, 16, AGING_MS);
	uint8_t mac[6];

	mac_of(1, mac);
	vsw_fdb_learn(fdb, mac, 0, 3, 1000);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 0, 1000), 3);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 0, 2000), 3);
	assert_int_equal(stats_of(fdb).entries, 1);
	assert_int_equal(stats_of(fdb).learned, 1);

	/* Learning it again on the same port is a refresh, not a new entry. */
	vsw_fdb_learn(fdb, mac, 0, 3, 1500);
	assert_int_equal(stats_of(fdb).learned, 1);
	assert_int_equal(stats_of(fdb).moved, 0);
}

static void
test_fdb_unknown_mac_is_not_found(void **state)
{
	struct vsw_fdb *fdb = new_fdb(state, 16, AGING_MS);
	uint8_t mac[6], other[6];

	mac_of(1, mac);
	mac_of(2, other);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 0, 1000), -1);
	vsw_fdb_learn(fdb, mac, 0, 3, 1000);
	assert_int_equal(vsw_fdb_lookup(fdb, other, 0, 1000), -1);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 1, 1000), -1);
}

static void
test_fdb_same_mac_on_two_vlans_has_two_ports(void **state)
{
	struct vsw_fdb *fdb = new_fdb(state, 16, AGING_MS);
	uint8_t mac[6];

	mac_of(7, mac);
	vsw_fdb_learn(fdb, mac, 10, 1, 1000);
	vsw_fdb_learn(fdb, mac, 20, 2, 1000);
	vsw_fdb_learn(fdb, mac, 4094, 4, 1000);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 10, 1000), 1);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 20, 1000), 2);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 4094, 1000), 4);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 0, 1000), -1);
	assert_int_equal(stats_of(fdb).entries, 3);
	assert_int_equal(stats_of(fdb).moved, 0);
}

static void
test_fdb_vlan_beyond_12_bits_is_ignored(void **state)
{
	struct vsw_fdb *fdb = new_fdb(state, 16, AGING_MS);
	uint8_t mac[6];

	mac_of(7, mac);
	vsw_fdb_learn(fdb, mac, 4096 + 10, 1, 1000);
	assert_int_equal(stats_of(fdb).entries, 0);
	vsw_fdb_learn(fdb, mac, 10, 1, 1000);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 4096 + 10, 1000), -1);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 10, 1000), 1);
}

static void
test_fdb_moved_mac_counts_move(void **state)
{
	struct vsw_fdb *fdb = new_fdb(state, 16, AGING_MS);
	uint8_t mac[6];

	mac_of(1, mac);
	vsw_fdb_learn(fdb, mac, 5, 1, 1000);
	vsw_fdb_learn(fdb, mac, 5, 2, 1100);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 5, 1100), 2);
	assert_int_equal(stats_of(fdb).moved, 1);
	assert_int_equal(stats_of(fdb).learned, 1);
	assert_int_equal(stats_of(fdb).entries, 1);

	vsw_fdb_learn(fdb, mac, 5, 1, 1200);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 5, 1200), 1);
	assert_int_equal(stats_of(fdb).moved, 2);
	assert_int_equal(stats_of(fdb).entries, 1);
}

static void
test_fdb_group_source_mac_is_not_learned(void **state)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	static const uint8_t mcast6[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
	struct vsw_fdb *fdb = new_fdb(state, 16, AGING_MS);

	vsw_fdb_learn(fdb, bcast, 0, 1, 1000);
	vsw_fdb_learn(fdb, mcast, 0, 1, 1000);
	vsw_fdb_learn(fdb, mcast6, 0, 1, 1000);
	assert_int_equal(vsw_fdb_lookup(fdb, bcast, 0, 1000), -1);
	assert_int_equal(vsw_fdb_lookup(fdb, mcast, 0, 1000), -1);
	assert_int_equal(vsw_fdb_lookup(fdb, mcast6, 0, 1000), -1);
	assert_int_equal(stats_of(fdb).entries, 0);
	assert_int_equal(stats_of(fdb).learned, 0);
}

static void
test_fdb_old_entry_misses_before_aging_removes_it(void **state)
{
	struct vsw_fdb *fdb = new_fdb(state, 16, 300);
	uint8_t mac[6];

	mac_of(1, mac);
	vsw_fdb_learn(fdb, mac, 0, 2, 1000);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 0, 1300), 2);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 0, 1301), -1);
	/* Not removed yet: only vsw_fdb_age() removes. */
	assert_int_equal(stats_of(fdb).entries, 1);
	/* A clock read earlier than the entry's stamp (another PMD) is age 0. */
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 0, 900), 2);
}

static void
test_fdb_age_removes_only_old_entries(void **state)
{
	struct vsw_fdb *fdb = new_fdb(state, 64, 300);
	uint8_t mac[6];
	uint32_t i;

	for (i = 0; i < 10; i++) {
		mac_of(i, mac);
		/* Even stations at t=1000, odd ones at t=1200. */
		vsw_fdb_learn(fdb, mac, 0, (uint16_t)i, 1000 + 200 * (i & 1));
	}
	assert_int_equal(vsw_fdb_age(fdb, 1300), 0);
	assert_int_equal(vsw_fdb_age(fdb, 1301), 5);
	assert_int_equal(stats_of(fdb).aged, 5);
	assert_int_equal(stats_of(fdb).entries, 5);
	for (i = 0; i < 10; i++) {
		mac_of(i, mac);
		assert_int_equal(vsw_fdb_lookup(fdb, mac, 0, 1301), (i & 1) ? (int)i : -1);
	}
	assert_int_equal(vsw_fdb_age(fdb, 1501), 5);
	assert_int_equal(stats_of(fdb).aged, 10);
	assert_int_equal(stats_of(fdb).entries, 0);

	/* An aged station is learned again as a new entry. */
	mac_of(0, mac);
	vsw_fdb_learn(fdb, mac, 0, 9, 2000);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 0, 2000), 9);
	assert_int_equal(stats_of(fdb).learned, 11);
}

static void
test_fdb_relearning_keeps_entry_alive(void **state)
{
	struct vsw_fdb *fdb = new_fdb(state, 16, 300);
	uint8_t mac[6];
	uint64_t t;

	mac_of(1, mac);
	for (t = 1000; t <= 5000; t += 250) {
		vsw_fdb_learn(fdb, mac, 0, 4, t);
		assert_int_equal(vsw_fdb_age(fdb, t + 250), 0);
		assert_int_equal(vsw_fdb_lookup(fdb, mac, 0, t + 250), 4);
	}
	/* A late-reading PMD's older clock does not make the entry older. */
	vsw_fdb_learn(fdb, mac, 0, 4, 100);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 0, 5000 + 300), 4);
	assert_int_equal(vsw_fdb_age(fdb, 5000 + 301), 1);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 0, 5000 + 301), -1);
}

static void
check_limit(void **state, uint32_t max_entries, uint32_t extra)
{
	struct vsw_fdb *fdb = new_fdb(state, max_entries, AGING_MS);
	struct vsw_fdb_stats s;
	uint8_t mac[6];
	uint32_t i;

	for (i = 0; i < max_entries + extra; i++) {
		mac_of(i, mac);
		vsw_fdb_learn(fdb, mac, (uint16_t)(i % 3), (uint16_t)(i % 256), 1000 + i);
		assert_int_equal(vsw_fdb_lookup(fdb, mac, (uint16_t)(i % 3), 1000 + i),
				 (int)(i % 256));
		s = stats_of(fdb);
		assert_true(s.entries <= max_entries);
		assert_int_equal(s.entries, s.learned - s.evicted);
	}
	s = stats_of(fdb);
	assert_int_equal(s.learned, max_entries + extra);
	assert_true(s.evicted >= extra);
	assert_int_equal(s.contended, 0);
}

static void
test_fdb_table_never_exceeds_its_limit(void **state)
{
	check_limit(state, 1, 20);
	check_limit(state, 7, 50);
	check_limit(state, 16, 1000);
	check_limit(state, 100, 1000);
	check_limit(state, 4096, 4096);
}

static void
test_fdb_full_bucket_evicts_least_recently_seen(void **state)
{
	/* max 4 → one bucket: the table's LRU is the bucket's LRU. */
	struct vsw_fdb *fdb = new_fdb(state, 4, AGING_MS);
	uint8_t mac[6];
	uint32_t i;

	for (i = 0; i < 4; i++) {
		mac_of(i, mac);
		vsw_fdb_learn(fdb, mac, 0, (uint16_t)i, 1000 + i);
	}
	mac_of(0, mac);
	vsw_fdb_learn(fdb, mac, 0, 0, 2000); /* 1 is now the least recently seen */
	mac_of(4, mac);
	vsw_fdb_learn(fdb, mac, 0, 4, 2001);

	assert_int_equal(stats_of(fdb).evicted, 1);
	assert_int_equal(stats_of(fdb).entries, 4);
	for (i = 0; i < 5; i++) {
		mac_of(i, mac);
		assert_int_equal(vsw_fdb_lookup(fdb, mac, 0, 2001), i == 1 ? -1 : (int)i);
	}
}

static void
test_fdb_flush_removes_everything(void **state)
{
	struct vsw_fdb *fdb = new_fdb(state, 4096, AGING_MS);
	uint8_t mac[6];
	uint32_t i;

	for (i = 0; i < 500; i++) {
		mac_of(i, mac);
		vsw_fdb_learn(fdb, mac, 1, (uint16_t)(i % 8), 1000);
	}
	assert_int_equal(stats_of(fdb).entries, 500);
	vsw_fdb_flush(fdb);
	assert_int_equal(stats_of(fdb).entries, 0);
	for (i = 0; i < 500; i++) {
		mac_of(i, mac);
		assert_int_equal(vsw_fdb_lookup(fdb, mac, 1, 1000), -1);
	}
	/* The table is usable afterwards. */
	mac_of(3, mac);
	vsw_fdb_learn(fdb, mac, 1, 6, 1000);
	assert_int_equal(vsw_fdb_lookup(fdb, mac, 1, 1000), 6);
}

static void
test_fdb_flush_port_removes_only_that_port(void **state)
{
	struct vsw_fdb *fdb = new_fdb(state, 4096, AGING_MS);
	uint8_t mac[6];
	uint32_t i;

	for (i = 0; i < 500; i++) {
		mac_of(i, mac);
		vsw_fdb_learn(fdb, mac, 1, (uint16_t)(i % 8), 1000);
	}
	assert_int_equal(vsw_fdb_flush_port(fdb, 3), 63 /* 3, 11, ... 499 */);
	assert_int_equal(vsw_fdb_flush_port(fdb, 3), 0);
	assert_int_equal(vsw_fdb_flush_port(fdb, 200), 0);
	assert_int_equal(stats_of(fdb).entries, 500 - 63);
	for (i = 0; i < 500; i++) {
		mac_of(i, mac);
		assert_int_equal(vsw_fdb_lookup(fdb, mac, 1, 1000), i % 8 == 3 ? -1 : (int)(i % 8));
	}
}

struct seen {
	unsigned n;
	unsigned stop_after; /* 0 = never stop */
	unsigned hits[64];
	uint64_t age[64];
	int bad;
};

static int
record(const uint8_t mac[6], uint16_t vlan, uint16_t port, uint64_t age_ms, void *arg)
{
	struct seen *s = arg;
	unsigned i = mac[5];

	if (mac[0] != 0x02 || i >= 64 || vlan != 7 || port != i % 4)
		s->bad++;
	else {
		s->hits[i]++;
		s->age[i] = age_ms;
	}
	s->n++;
	return s->stop_after != 0 && s->n >= s->stop_after;
}

static void
test_fdb_foreach_visits_exactly_live_entries(void **state)
{
	struct vsw_fdb *fdb = new_fdb(state, 256, 300);
	struct seen s = {0};
	uint8_t mac[6];
	unsigned i;

	/* 0..31 seen at t=1000 (old at 1400), 32..63 at t=1200. */
	for (i = 0; i < 64; i++) {
		mac_of(i, mac);
		vsw_fdb_learn(fdb, mac, 7, (uint16_t)(i % 4), i < 32 ? 1000 : 1200);
	}
	vsw_fdb_foreach(fdb, 1400, record, &s);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.n, 32);
	for (i = 0; i < 64; i++) {
		assert_int_equal(s.hits[i], i < 32 ? 0 : 1);
		if (i >= 32)
			assert_int_equal(s.age[i], 200);
	}

	memset(&s, 0, sizeof(s));
	vsw_fdb_foreach(fdb, 1000, record, &s);
	assert_int_equal(s.n, 64);
	assert_int_equal(s.bad, 0);
}

static void
test_fdb_foreach_stops_when_callback_asks(void **state)
{
	struct vsw_fdb *fdb = new_fdb(state, 256, 300);
	struct seen s = {.stop_after = 5};
	uint8_t mac[6];
	unsigned i;

	for (i = 0; i < 64; i++) {
		mac_of(i, mac);
		vsw_fdb_learn(fdb, mac, 7, (uint16_t)(i % 4), 1000);
	}
	vsw_fdb_foreach(fdb, 1000, record, &s);
	assert_int_equal(s.n, 5);
}

/* ---- the table against a plain array ---- */

#define MODEL_MACS  48
#define MODEL_VLANS 4
#define MODEL_PORTS 8
#define MODEL_AGING 1000

static const uint16_t model_vlans[MODEL_VLANS] = {0, 1, 10, 4094};

struct model_entry {
	bool valid;
	uint16_t port;
	uint64_t last_seen;
};

struct model {
	struct model_entry e[MODEL_MACS][MODEL_VLANS];
};

static uint64_t rng_state = 0x9e3779b97f4a7c15;

static uint32_t
rng(uint32_t bound)
{
	/* xorshift64*: fixed seed, so a failure replays. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)(((rng_state * UINT64_C(0x2545f4914f6cdd1d)) >> 32) % bound);
}

/* Every 16th station of the model sends from a group address. */
static void
model_mac(unsigned m, uint8_t mac[6])
{
	mac_of(m, mac);
	if (m % 16 == 15)
		mac[0] |= 1;
}

static bool
model_live(const struct model_entry *e, uint64_t now)
{
	return e->valid && (now <= e->last_seen || now - e->last_seen <= MODEL_AGING);
}

static void
model_learn(struct model *md, unsigned m, unsigned v, uint16_t port, uint64_t now)
{
	struct model_entry *e = &md->e[m][v];

	if (m % 16 == 15)
		return;
	if (e->valid && e->port == port) {
		if (now > e->last_seen)
			e->last_seen = now;
		return;
	}
	e->valid = true;
	e->port = port;
	e->last_seen = now;
}

static unsigned
model_count(const struct model *md)
{
	unsigned m, v, n = 0;

	for (m = 0; m < MODEL_MACS; m++)
		for (v = 0; v < MODEL_VLANS; v++)
			n += md->e[m][v].valid;
	return n;
}

static unsigned
model_remove(struct model *md, bool old, uint64_t now, int port)
{
	unsigned m, v, n = 0;

	for (m = 0; m < MODEL_MACS; m++) {
		for (v = 0; v < MODEL_VLANS; v++) {
			struct model_entry *e = &md->e[m][v];

			if (!e->valid || (old && model_live(e, now)) ||
			    (!old && port >= 0 && e->port != port))
				continue;
			e->valid = false;
			n++;
		}
	}
	return n;
}

struct model_walk {
	const struct model *md;
	uint64_t now;
	unsigned n;
	int mismatches;
};

static int
model_check_entry(const uint8_t mac[6], uint16_t vlan, uint16_t port, uint64_t age_ms, void *arg)
{
	struct model_walk *w = arg;
	unsigned m = (unsigned)mac[4] << 8 | mac[5], v;

	for (v = 0; v < MODEL_VLANS && model_vlans[v] != vlan; v++)
		;
	if (m >= MODEL_MACS || v == MODEL_VLANS || !model_live(&w->md->e[m][v], w->now) ||
	    w->md->e[m][v].port != port || age_ms > MODEL_AGING)
		w->mismatches++;
	w->n++;
	return 0;
}

static unsigned
model_count_live(const struct model *md, uint64_t now)
{
	unsigned m, v, n = 0;

	for (m = 0; m < MODEL_MACS; m++)
		for (v = 0; v < MODEL_VLANS; v++)
			n += model_live(&md->e[m][v], now);
	return n;
}

static void
test_fdb_matches_reference_model(void **state)
{
	/* 4096 entries → 1024 buckets for at most 180 keys: no eviction. */
	struct vsw_fdb *fdb = new_fdb(state, 4096, MODEL_AGING);
	static struct model md;
	struct model_walk w;
	uint64_t now = 1000;
	uint8_t mac[6];
	unsigned op, m, v, lookups = 0, hits = 0;
	uint16_t port;
	int want;

	memset(&md, 0, sizeof(md));
	for (op = 0; op < 20000; op++) {
		unsigned dice = rng(100);

		now += rng(8);
		m = rng(MODEL_MACS);
		v = rng(MODEL_VLANS);
		port = (uint16_t)rng(MODEL_PORTS);
		model_mac(m, mac);
		if (dice < 50) {
			vsw_fdb_learn(fdb, mac, model_vlans[v], port, now);
			model_learn(&md, m, v, port, now);
		} else if (dice < 90) {
			want = model_live(&md.e[m][v], now) ? md.e[m][v].port : -1;
			assert_int_equal(vsw_fdb_lookup(fdb, mac, model_vlans[v], now), want);
			lookups++;
			hits += want >= 0;
		} else if (dice < 97) {
			assert_int_equal(vsw_fdb_age(fdb, now), model_remove(&md, true, now, 0));
		} else {
			assert_int_equal(vsw_fdb_flush_port(fdb, port),
					 model_remove(&md, false, now, port));
		}
		assert_int_equal(stats_of(fdb).entries, model_count(&md));
	}
	/* The run must exercise both verdicts. */
	assert_true(hits > lookups / 10);
	assert_true(hits < lookups - lookups / 10);

	w = (struct model_walk){.md = &md, .now = now};
	vsw_fdb_foreach(fdb, now, model_check_entry, &w);
	assert_int_equal(w.mismatches, 0);
	assert_int_equal(w.n, model_count_live(&md, now));
	assert_int_equal(stats_of(fdb).evicted, 0);
}

/* ---- concurrency smoke test ---- */

#define CONC_STATIONS 300 /* per learner, more than the table holds */
#define CONC_ROUNDS   150

struct conc {
	struct vsw_fdb *fdb;
	uint64_t clock_ms;
	int stop;
	uint64_t wrong;
	uint64_t hits;
};

struct learner {
	struct conc *c;
	unsigned id;
};

static uint16_t
conc_port(unsigned id, unsigned i)
{
	return (uint16_t)(id * 100 + i % 50);
}

static void *
learner_main(void *arg)
{
	struct learner *l = arg;
	struct conc *c = l->c;
	unsigned r, i;
	uint8_t mac[6];
	int got;

	for (r = 0; r < CONC_ROUNDS; r++) {
		for (i = 0; i < CONC_STATIONS; i++) {
			uint64_t now = __atomic_add_fetch(&c->clock_ms, 1, __ATOMIC_RELAXED) / 16;

			mac_of(l->id << 16 | i, mac);
			vsw_fdb_learn(c->fdb, mac, (uint16_t)(i % 2), conc_port(l->id, i), now);
			got = vsw_fdb_lookup(c->fdb, mac, (uint16_t)(i % 2), now);
			if (got >= 0)
				__atomic_add_fetch(&c->hits, 1, __ATOMIC_RELAXED);
			if (got != -1 && got != conc_port(l->id, i))
				__atomic_add_fetch(&c->wrong, 1, __ATOMIC_RELAXED);
			/* Read what the other learner is writing. */
			mac_of((3 - l->id) << 16 | i, mac);
			got = vsw_fdb_lookup(c->fdb, mac, (uint16_t)(i % 2), now);
			if (got != -1 && got != conc_port(3 - l->id, i))
				__atomic_add_fetch(&c->wrong, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void *
ager_main(void *arg)
{
	static const struct timespec pause = {.tv_nsec = 20000};
	struct conc *c = arg;
	unsigned n = 0;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		vsw_fdb_age(c->fdb, __atomic_load_n(&c->clock_ms, __ATOMIC_RELAXED) / 16);
		if (++n % 64 == 0)
			vsw_fdb_flush_port(c->fdb, conc_port(1, 0));
		/* Leave the lock free most of the time, as a 1 Hz ager does. */
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static void
test_fdb_concurrent_learning_and_aging_is_safe(void **state)
{
	struct conc c = {0};
	struct learner l[2] = {{&c, 1}, {&c, 2}};
	struct vsw_fdb_stats s;
	pthread_t t[3];
	int i;

	c.fdb = new_fdb(state, 256, 20);
	assert_int_equal(pthread_create(&t[2], NULL, ager_main, &c), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, learner_main, &l[i]), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(t[2], NULL), 0);

	s = stats_of(c.fdb);
	print_message("fdb concurrency: %llu hits, learned %llu, evicted %llu, aged %llu, "
		      "contended %llu\n",
		      (unsigned long long)c.hits, (unsigned long long)s.learned,
		      (unsigned long long)s.evicted, (unsigned long long)s.aged,
		      (unsigned long long)s.contended);
	assert_int_equal(c.wrong, 0);
	assert_true(c.hits > 0);
	assert_true(s.entries <= 256);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fdb_create_rejects_bad_parameters),
		cmocka_unit_test_teardown(test_fdb_learned_mac_is_found, teardown_fdb),
		cmocka_unit_test_teardown(test_fdb_unknown_mac_is_not_found, teardown_fdb),
		cmocka_unit_test_teardown(test_fdb_same_mac_on_two_vlans_has_two_ports,
					  teardown_fdb),
		cmocka_unit_test_teardown(test_fdb_vlan_beyond_12_bits_is_ignored, teardown_fdb),
		cmocka_unit_test_teardown(test_fdb_moved_mac_counts_move, teardown_fdb),
		cmocka_unit_test_teardown(test_fdb_group_source_mac_is_not_learned, teardown_fdb),
		cmocka_unit_test_teardown(test_fdb_old_entry_misses_before_aging_removes_it,
					  teardown_fdb),
		cmocka_unit_test_teardown(test_fdb_age_removes_only_old_entries, teardown_fdb),
		cmocka_unit_test_teardown(test_fdb_relearning_keeps_entry_alive, teardown_fdb),
		cmocka_unit_test_teardown(test_fdb_table_never_exceeds_its_limit, teardown_fdb),
		cmocka_unit_test_teardown(test_fdb_full_bucket_evicts_least_recently_seen,
					  teardown_fdb),
		cmocka_unit_test_teardown(test_fdb_flush_removes_everything, teardown_fdb),
		cmocka_unit_test_teardown(test_fdb_flush_port_removes_only_that_port, teardown_fdb),
		cmocka_unit_test_teardown(test_fdb_foreach_visits_exactly_live_entries,
					  teardown_fdb),
		cmocka_unit_test_teardown(test_fdb_foreach_stops_when_callback_asks, teardown_fdb),
		cmocka_unit_test_teardown(test_fdb_matches_reference_model, teardown_fdb),
		cmocka_unit_test_teardown(test_fdb_concurrent_learning_and_aging_is_safe,
					  teardown_fdb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
