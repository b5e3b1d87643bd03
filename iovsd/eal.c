/* Core layout and EAL start-up for iovsd: which CPU runs the control thread and
 * which run PMDs, hugepages or not, and which PCI devices DPDK may touch (only
 * the configured ones: iovsd never grabs a device an operator bound to vfio-pci
 * for a VM). */
#define LOG_PREFIX "iovsd/eal: "
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "eal.h"
#include "iovs_log.h"

int
iovsd_cpu_list_parse(const char *s, unsigned *cpus, unsigned *n, unsigned max, struct iovs_err *err)
{
	const char *p = s;

	*n = 0;
	while (*p != '\0') {
		char *end;
		unsigned long lo, hi, c;

		if (*p < '0' || *p > '9')
			return iovs_errf(err, -EINVAL,
					 "CPU list \"%s\": expected a number at \"%s\"", s, p);
		lo = strtoul(p, &end, 10);
		hi = lo;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				return iovs_errf(err, -EINVAL, "CPU list \"%s\": bad range", s);
			hi = strtoul(p, &end, 10);
		}
		if (lo > hi || hi >= IOVSD_MAX_CPUS)
			return iovs_errf(err, -EINVAL,
					 "CPU list \"%s\": %lu-%lu is not a range of CPUs 0..%d", s,
					 lo, hi, IOVSD_MAX_CPUS - 1);
		for (c = lo; c <= hi; c++) {
			unsigned i;

			for (i = 0; i < *n; i++)
				if (cpus[i] == c)
					return iovs_errf(err, -EINVAL,
							 "CPU list \"%s\": CPU %lu twice", s, c);
			if (*n == max)
				return iovs_errf(err, -E2BIG, "CPU list \"%s\": more than %u CPUs",
						 s, max);
			cpus[(*n)++] = (unsigned)c;
		}
		p = end;
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return iovs_errf(err, -EINVAL, "CPU list \"%s\": unexpected \"%c\"", s, *p);
	}
	if (*n == 0)
		return iovs_errf(err, -EINVAL, "CPU list is empty");
	return 0;
}

static bool
cpu_allowed(unsigned cpu, const unsigned *allowed, unsigned n_allowed)
{
	unsigned i;

	for (i = 0; i < n_allowed; i++)
		if (allowed[i] == cpu)
			return true;
	return false;
}

int
iovsd_cores_choose(const char *cli, const struct iovsd_conf *conf, const unsigned *allowed,
		   unsigned n_allowed, struct iovsd_cores *out, struct iovs_err *err)
{
	unsigned cpus[VSW_MAX_PMDS + 1], n = 0, i;
	int rc;

	if (cli != NULL) {
		rc = iovsd_cpu_list_parse(cli, cpus, &n, VSW_MAX_PMDS + 1, err);
		if (rc != 0)
			return iovs_err_prefix(err, rc, "--cores");
		if (n < 2)
			return iovs_errf(
				err, -EINVAL,
				"--cores %s: need the control CPU and at least one PMD CPU", cli);
	} else {
		cpus[n++] = conf->control_core >= 0 ? (unsigned)conf->control_core : allowed[0];
		for (i = 0; i < conf->n_pmd_cores; i++)
			cpus[n++] = conf->pmd_cores[i];
		/* Default: the first allowed CPU that is not the control CPU. */
		for (i = 0; n == 1 && i < n_allowed; i++)
			if (allowed[i] != cpus[0])
				cpus[n++] = allowed[i];
		if (n < 2)
			return iovs_errf(err, -EINVAL,
					 "iovsd needs two CPUs (one control, one PMD); it may use "
					 "only CPU %u",
					 cpus[0]);
	}
	for (i = 0; i < n; i++)
		if (!cpu_allowed(cpus[i], allowed, n_allowed))
			return iovs_errf(err, -EINVAL, "CPU %u is not available to iovsd", cpus[i]);
	out->control = cpus[0];
	out->n_pmds = n - 1;
	memcpy(out->pmds, &cpus[1], (n - 1) * sizeof(cpus[0]));
	return 0;
}

static unsigned
read_uint(const char *path)
{
	unsigned v = 0;
	FILE *f = fopen(path, "r");

	if (f != NULL) {
		if (fscanf(f, "%u", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

bool
iovsd_hugepages_available(unsigned mb)
{
	unsigned long free_mb =
		read_uint("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages") * 2UL +
		read_uint("/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages") * 1024UL;

	return free_mb >= mb;
}

#define MAX_EAL_ARGS (32 + VSW_MAX_PORTS * 2)

int
iovsd_eal_init(const struct iovsd_cores *cores, const struct iovsd_eal_opts *opts,
	       const struct iovsd_conf *conf, struct iovs_err *err)
{
	static char lcores[4096], main_lcore[16], mem[16];
	static char *argv[MAX_EAL_ARGS];
	int argc = 0, n_pci = 0, rc, i;
	size_t off;
	unsigned p;

	off = (size_t)snprintf(lcores, sizeof(lcores), "%u", cores->control);
	for (p = 0; p < cores->n_pmds && off < sizeof(lcores); p++)
		off += (size_t)snprintf(lcores + off, sizeof(lcores) - off, ",%u", cores->pmds[p]);
	snprintf(main_lcore, sizeof(main_lcore), "%u", cores->control);
	snprintf(mem, sizeof(mem), "%u", opts->mem_mb);

	argv[argc++] = "iovsd";
	argv[argc++] = "-l";
	argv[argc++] = lcores;
	argv[argc++] = "--main-lcore";
	argv[argc++] = main_lcore;
	/* No files in /dev/hugepages or /var/run/dpdk: instances never collide.
	 * (--in-memory implies hugepages; without them --no-shconf does the same.) */
	argv[argc++] = "--log-level=*:notice";
	if (opts->no_huge) {
		argv[argc++] = "--no-huge";
		argv[argc++] = "--no-shconf";
		argv[argc++] = "-m";
		argv[argc++] = mem;
	} else {
		argv[argc++] = "--in-memory";
	}
	for (p = 0; p < conf->n_ports; p++) {
		if (conf->ports[p].type == VSW_PORT_PCI && argc + 2 < MAX_EAL_ARGS) {
			argv[argc++] = "-a";
			argv[argc++] = (char *)conf->ports[p].devargs;
			n_pci++;
		}
	}
	/* No PCI port configured: an allow list that matches no device, rather than
	 * --no-pci, so that the PCI bus stays up for ports added later (port add
	 * pci, vf assign --to dataplane) and still nothing is grabbed at start. */
	if (n_pci == 0) {
		argv[argc++] = "-a";
		argv[argc++] = "ffff:ff:1f.7";
	}
	for (i = 0; i < opts->n_extra && argc < MAX_EAL_ARGS - 1; i++)
		argv[argc++] = opts->extra[i];
	argv[argc] = NULL;

	LOG_INFO("EAL: control on CPU %u, %u PMD(s) from CPU %u%s", cores->control, cores->n_pmds,
		 cores->pmds[0], opts->no_huge ? ", without hugepages" : "");
	rc = rte_eal_init(argc, argv);
	if (rc < 0)
		return iovs_errf(err, -rte_errno, "DPDK EAL initialisation failed: %s",
				 rte_strerror(rte_errno));
	return 0;
}
