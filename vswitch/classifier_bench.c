/* Microbenchmark of the classifier (classifier.c): lookup cost against the
 * number of rules and of distinct masks (subtables), and insert rate. Built by
 * meson, not run as a test: BUILD/vswitch/classifier_bench [max_rules], default
 * 100000 (a rule is ~350 bytes).
 * One thread, no concurrent writer; keys are drawn from the rules (hits) or
 * random (mostly misses). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classifier.h"

static uint64_t rng = 88172645463325252ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Mask shape s of n_shapes: 5-tuple-like fields with IPv4 prefixes varied by s,
 * so that n_shapes distinct masks exist. */
static struct vsw_flow_key
shape(unsigned int s)
{
	struct vsw_flow_key m;

	memset(&m, 0, sizeof(m));
	m.eth_type = 0xffff;
	m.ipv4_dst = ~0u << (s % 8);
	if (s & 8)
		m.ipv4_src = ~0u << ((s / 16) % 8);
	if (s & 16)
		m.ip_proto = 0xff;
	if (s & 32)
		m.tp_dst = 0xffff;
	if (s & 64)
		m.in_port = ~0u;
	return m;
}

static struct vsw_flow_key
random_key(void)
{
	struct vsw_flow_key k;

	memset(&k, 0, sizeof(k));
	k.in_port = (uint32_t)rnd() % 8;
	k.eth_type = 0x0800;
	k.ipv4_src = (uint32_t)rnd();
	k.ipv4_dst = (uint32_t)rnd();
	k.ip_proto = 6;
	k.tp_dst = (uint16_t)rnd();
	return k;
}

/* 'layered': priorities fall with the shape (as in tables where specific
 * matches sit above broader ones), so lookups that hit stop early. */
static void
run(uint32_t n_rules, unsigned int n_shapes, bool layered)
{
	struct vsw_cls *cls;
	struct vsw_cls_rule *rules = calloc(n_rules, sizeof(*rules));
	struct vsw_flow_key *keys = calloc(4096, sizeof(*keys));
	struct vsw_cls_stats st;
	const uint32_t n_lookups = 2000000;
	double t0, t_ins, t_hit, t_miss;
	uint64_t found = 0;

	if (rules == NULL || keys == NULL || vsw_cls_create(NULL, &cls) != 0) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	t0 = now_ns();
	for (uint32_t i = 0; i < n_rules; i++) {
		struct vsw_flow_key k = random_key(), m = shape(i % n_shapes);

		uint32_t prio =
			layered ? 1000 * (n_shapes - i % n_shapes) + (uint32_t)(rnd() % 1000)
				: (uint32_t)(rnd() % 1000);

		vsw_cls_rule_init(&rules[i], &k, &m, prio, NULL);
		if (vsw_cls_insert(cls, &rules[i], 1) != 0) {
			fprintf(stderr, "insert failed\n");
			exit(1);
		}
	}
	t_ins = now_ns() - t0;
	vsw_cls_get_stats(cls, &st);
	for (uint32_t i = 0; i < 4096; i++)
		keys[i] = rules[rnd() % n_rules].key;
	t0 = now_ns();
	for (uint32_t i = 0; i < n_lookups; i++)
		found += vsw_cls_lookup(cls, 1, &keys[i & 4095], NULL) != NULL;
	t_hit = (now_ns() - t0) / n_lookups;
	for (uint32_t i = 0; i < 4096; i++)
		keys[i] = random_key();
	t0 = now_ns();
	for (uint32_t i = 0; i < n_lookups; i++)
		found += vsw_cls_lookup(cls, 1, &keys[i & 4095], NULL) != NULL;
	t_miss = (now_ns() - t0) / n_lookups;
	printf("%9u %9u %8s %12.1f %12.1f %14.0f\n", n_rules, st.subtables,
	       layered ? "layered" : "mixed", t_hit, t_miss, n_rules / (t_ins / 1e9));
	if (found == 0)
		printf("(no hits?)\n");
	vsw_cls_destroy(cls);
	free(rules);
	free(keys);
}

int
main(int argc, char **argv)
{
	uint32_t max = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 100000;
	static const unsigned int shapes[] = {1, 8, 32};

	printf("%9s %9s %8s %12s %12s %14s\n", "rules", "subtables", "prios", "ns/hit", "ns/miss",
	       "inserts/s");
	for (unsigned int s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
		for (uint32_t n = 10; n <= max; n *= 10)
			if (n >= shapes[s])
				run(n, shapes[s], false);
	for (uint32_t n = 100; n <= max; n *= 10)
		run(n, 32, true);
	return 0;
}
