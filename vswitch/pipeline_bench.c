/* Microbenchmark of the OpenFlow pipeline (pipeline_run.c) on one thread:
 * CPU time per packet through two tables (table 0: N exact flows on
 * ipv4_dst, set eth_dst, goto 1; table 1: output by a /30 of ipv4_dst), with
 * and without the exact-match cache, for N = 1, 1,000, 100,000 flows and as
 * many distinct packets. Built by meson, not run as a test:
 * BUILD/vswitch/pipeline_bench. Key extraction is included; mbuf allocation
 * is not (the output callback hands the mbufs back). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "pipeline.h"

#define BURST 32

static struct rte_mbuf *back[BURST];
static unsigned n_back;

static void
out(void *ctx, uint32_t port, uint32_t queue, struct rte_mbuf *m)
{
	(void)ctx;
	(void)port;
	(void)queue;
	back[n_back++ % BURST] = m;
}

static void
drop(void *ctx, enum vsw_pl_drop reason)
{
	(void)ctx;
	(void)reason;
	abort();
}

static double
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void
frame(uint8_t *f, uint32_t dst)
{
	memset(f, 0, 64);
	f[0] = 2;
	f[6] = 2;
	f[12] = 0x08;
	f[14] = 0x45;
	f[17] = 50; /* total length */
	f[22] = 64;
	f[23] = 17;
	f[30] = (uint8_t)(dst >> 24);
	f[31] = (uint8_t)(dst >> 16);
	f[32] = (uint8_t)(dst >> 8);
	f[33] = (uint8_t)dst;
	f[35] = 1;
	f[37] = 2;
	f[39] = 30;
}

static void
bench(struct rte_mempool *mp, unsigned n_flows, bool emc)
{
	const struct vsw_pl_out_ops ops = {.output = out, .drop = drop};
	struct vsw_pl_config conf = {.n_pmds = 1, .local_port = VSW_ACT_PORT_ANY};
	struct vsw_act a0[] = {{.type = VSW_ACT_SET_FIELD,
				.field = VSW_ACT_F_ETH_DST,
				.bytes = {2, 0, 0, 0, 0, 9}}};
	struct vsw_act a1[4][1];
	struct rte_mbuf *pkts[BURST];
	struct vsw_pl_flow_mod fm;
	struct vsw_pl_ctx ctx;
	struct vsw_pl *pl;
	double t0, t;
	unsigned iters = 20000;

	if (vsw_pl_create(&conf, &pl) != 0 || vsw_pl_ctx_init(&ctx, pl, 0, mp, emc) != 0)
		abort();
	vsw_pl_begin(pl, 0);
	for (unsigned i = 0; i < n_flows; i++) {
		memset(&fm, 0, sizeof(fm));
		fm.cmd = VSW_PL_ADD;
		fm.priority = 10;
		fm.key.eth_type = 0x0800;
		fm.mask.eth_type = 0xffff;
		fm.key.ipv4_dst = 0x0a000000 + i;
		fm.mask.ipv4_dst = UINT32_MAX;
		fm.insts.apply = a0;
		fm.insts.n_apply = 1;
		fm.insts.goto_table = 1;
		if (vsw_pl_flow_mod(pl, &fm, NULL, NULL) != VSW_ACT_OK)
			abort();
	}
	for (unsigned p = 0; p < 4; p++) {
		a1[p][0] = (struct vsw_act){.type = VSW_ACT_OUTPUT, .u32 = p};
		memset(&fm, 0, sizeof(fm));
		fm.cmd = VSW_PL_ADD;
		fm.table_id = 1;
		fm.priority = 10;
		fm.key.eth_type = 0x0800;
		fm.mask.eth_type = 0xffff;
		fm.key.ipv4_dst = p;
		fm.mask.ipv4_dst = 3;
		fm.insts.apply = a1[p];
		fm.insts.n_apply = 1;
		fm.insts.goto_table = VSW_ACT_NO_TABLE;
		if (vsw_pl_flow_mod(pl, &fm, NULL, NULL) != VSW_ACT_OK)
			abort();
	}
	vsw_pl_commit(pl);
	if (rte_pktmbuf_alloc_bulk(mp, pkts, BURST) != 0)
		abort();
	for (unsigned i = 0; i < BURST; i++)
		rte_pktmbuf_append(pkts[i], 64);
	t0 = cpu_ns();
	for (unsigned it = 0, k = 0; it < iters; it++) {
		for (unsigned i = 0; i < BURST; i++, k++)
			frame(rte_pktmbuf_mtod(pkts[i], uint8_t *), 0x0a000000 + k % n_flows);
		n_back = 0;
		vsw_pl_run(&ctx, pkts, NULL, BURST, 1, &ops, NULL);
		memcpy(pkts, back, sizeof(pkts));
	}
	t = (cpu_ns() - t0) / ((double)iters * BURST);
	printf("%7u flows  emc %-3s  %6.1f ns/packet  (hits %" PRIu64 ", misses %" PRIu64 ")\n",
	       n_flows, emc ? "on" : "off", t, ctx.emc_hits, ctx.emc_misses);
	rte_pktmbuf_free_bulk(pkts, BURST);
	vsw_pl_ctx_fini(&ctx);
	vsw_pl_destroy(pl);
}

int
main(void)
{
	char prefix[64];
	char *argv[] = {"pipeline_bench",
			"-l",
			"0",
			"--no-huge",
			"--no-pci",
			"-m",
			"256",
			"--no-shconf",
			"--file-prefix",
			prefix,
			"--log-level=lib.*:error",
			"--no-telemetry",
			NULL};
	struct rte_mempool *mp;
	const unsigned sizes[] = {1, 1000, 100000};

	snprintf(prefix, sizeof(prefix), "vsw-pl-bench-%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0)
		return 77;
	mp = rte_pktmbuf_pool_create("bench", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL)
		return 77;
	for (unsigned s = 0; s < 3; s++) {
		bench(mp, sizes[s], true);
		bench(mp, sizes[s], false);
	}
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return 0;
}
