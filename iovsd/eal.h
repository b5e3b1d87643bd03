/* How iovsd lays out its cores and starts DPDK's EAL. */
#ifndef IOVSD_EAL_H
#define IOVSD_EAL_H

#include <stdbool.h>

#include "config.h"

#define IOVSD_MAX_CPUS 1024

struct iovsd_cores {
	unsigned control;
	unsigned n_pmds;
	unsigned pmds[VSW_MAX_PMDS];
};

/* Parses a CPU list ("0,1" or "0-3,6"). Pure. */
int iovsd_cpu_list_parse(const char *s, unsigned *cpus, unsigned *n, unsigned max,
			 struct iovs_err *err);

/* Chooses the control core and PMD cores: from 'cli' ("--cores CTL,PMD..." — the
 * first CPU is the control thread's) when given, else from the configuration,
 * else the first CPU this process may use for control and the second for the
 * one PMD. Checks every CPU is in 'allowed' (sched_getaffinity). */
int iovsd_cores_choose(const char *cli, const struct iovsd_conf *conf, const unsigned *allowed,
		       unsigned n_allowed, struct iovsd_cores *out, struct iovs_err *err);

struct iovsd_eal_opts {
	bool no_huge; /* asked for, or forced by missing hugepages */
	unsigned mem_mb;
	int n_extra; /* user EAL arguments after "--" */
	char **extra;
};

/* True when the system has at least 'mb' MiB of free hugepages. */
bool iovsd_hugepages_available(unsigned mb);

/* Runs rte_eal_init() with the layout: -l, --main-lcore, --in-memory, memory,
 * no PCI scan unless the configuration names PCI ports (then only those). */
int iovsd_eal_init(const struct iovsd_cores *cores, const struct iovsd_eal_opts *opts,
		   const struct iovsd_conf *conf, struct iovs_err *err);

#endif
