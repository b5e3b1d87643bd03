/* iovsd: the daemon. Reads its configuration (config.c), starts DPDK on the
 * chosen cores (eal.c), creates the switch and applies the configuration
 * (vswitch/), then serves the control socket (ctl.c) from an epoll loop on the
 * control thread until SIGTERM or SIGINT, when it closes every port cleanly. */
#define LOG_PREFIX "iovsd: "
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>

#include "eal.h"
#include "iovs_log.h"
#include "iovsd.h"
#include "vhu.h"

struct options {
	const char *config;
	const char *run_dir;
	const char *socket;
	const char *cores;
	bool no_huge;
	unsigned mem_mb;
	const char *sysfs_root;
	const char *sriov_fail_step;
	int n_extra;
	char **extra;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: iovsd [OPTIONS] [-- EAL-ARGS...]\n"
		"Serves the iovs switch: bridges, ports and PMD threads from a JSON config.\n\n"
		"  --config FILE    configuration (default RUN_DIR/iovsd.json); created from the\n"
		"                   built-in default when missing, rewritten on every change\n"
		"  --run-dir DIR    control socket and lock (default %s)\n"
		"  --socket PATH    control socket path (default RUN_DIR/iovsd.sock)\n"
		"  --cores LIST     CPUs: the first runs the control thread, the others PMDs\n"
		"                   (default: from the config, else the first two CPUs)\n"
		"  --no-huge        run DPDK without hugepages (slower)\n"
		"  --mem MB         memory for DPDK without hugepages (default 512)\n"
		"  --sysfs-root DIR where sysfs is for SR-IOV (default /; tests use a fake tree)\n"
		"  --sriov-fail-step NAME  testing: the SR-IOV transaction step NAME fails\n"
		"                   (and what came before it is rolled back)\n"
		"  -v, --verbose    debug logs\n"
		"  -h, --help       this text\n"
		"EAL-ARGS are passed to DPDK after iovsd's own.\n",
		IOVSD_DEFAULT_RUN_DIR);
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	/* clang-format off */
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'}, {"run-dir", required_argument, NULL, 'r'},
		{"socket", required_argument, NULL, 's'}, {"cores", required_argument, NULL, 'l'},
		{"no-huge", no_argument, NULL, 'n'},      {"mem", required_argument, NULL, 'm'},
		{"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
		{"sysfs-root", required_argument, NULL, 'S'},
		{"sriov-fail-step", required_argument, NULL, 'F'},
		{NULL, 0, NULL, 0},
	};
	/* clang-format on */
	int c;

	*o = (struct options){.run_dir = IOVSD_DEFAULT_RUN_DIR, .mem_mb = 512};
	while ((c = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'r':
			o->run_dir = optarg;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 'l':
			o->cores = optarg;
			break;
		case 'n':
			o->no_huge = true;
			break;
		case 'm':
			o->mem_mb = (unsigned)strtoul(optarg, NULL, 10);
			if (o->mem_mb < 64 || o->mem_mb > 65536) {
				fprintf(stderr, "iovsd: --mem %s: expected 64..65536 (MiB)\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'S':
			o->sysfs_root = optarg;
			break;
		case 'F':
			o->sriov_fail_step = optarg;
			break;
		case 'v':
			iovs_log_set_level(IOVS_LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	o->n_extra = argc - optind;
	o->extra = argv + optind;
	return 0;
}

const char *
iovsd_port_error(const struct iovsd *d, const char *name)
{
	unsigned i;

	for (i = 0; i < d->n_port_errors; i++)
		if (strcmp(d->port_errors[i].name, name) == 0)
			return d->port_errors[i].msg;
	return NULL;
}

void
iovsd_port_error_set(struct iovsd *d, const char *name, const char *msg)
{
	unsigned i;

	for (i = 0; i < d->n_port_errors; i++)
		if (strcmp(d->port_errors[i].name, name) == 0)
			break;
	if (msg == NULL) {
		if (i < d->n_port_errors)
			d->port_errors[i] = d->port_errors[--d->n_port_errors];
		return;
	}
	if (i == d->n_port_errors) {
		if (i == VSW_MAX_PORTS)
			return;
		d->n_port_errors++;
	}
	snprintf(d->port_errors[i].name, sizeof(d->port_errors[i].name), "%s", name);
	snprintf(d->port_errors[i].msg, sizeof(d->port_errors[i].msg), "%s", msg);
}

/* Only one iovsd per run directory. Returns the lock fd (kept open) or -errno. */
static int
lock_run_dir(const struct iovsd *d, struct iovs_err *err)
{
	char path[PATH_MAX + 16], pid[32];
	int fd;

	if (mkdir(d->run_dir, 0750) != 0 && errno != EEXIST)
		return iovs_errf(err, -errno, "cannot create run directory %s: %s", d->run_dir,
				 strerror(errno));
	snprintf(path, sizeof(path), "%s/iovsd.pid", d->run_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return iovs_errf(err, -errno, "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		ssize_t n = read(fd, pid, sizeof(pid) - 1);

		pid[n > 0 ? n : 0] = '\0';
		close(fd);
		return iovs_errf(err, -EBUSY, "another iovsd (pid %s) uses run directory %s",
				 strtok(pid, "\n") ? pid : "?", d->run_dir);
	}
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, pid, strlen(pid)) < 0)
		LOG_WARN("cannot write %s", path);
	return fd;
}

/* Loads the configuration; a missing file means the built-in default, saved. */
static int
load_config(struct iovsd *d, struct iovs_err *err)
{
	int rc = iovsd_conf_load(d->config_path, d->conf, err);

	if (rc != -ENOENT)
		return rc;
	LOG_INFO("%s does not exist: starting from the default configuration", d->config_path);
	iovsd_conf_default(d->conf);
	return iovsd_conf_save(d->config_path, d->conf, err);
}

/* Brings the switch to the configuration. A port that cannot be opened stays
 * configured and is reported (iovsctl port list) rather than lost. */
static int
apply_config(struct iovsd *d, struct iovs_err *err)
{
	unsigned i;
	int rc;

	for (i = 0; i < d->conf->n_bridges; i++) {
		rc = vsw_bridge_add(d->sw, &d->conf->bridges[i], err);
		if (rc != 0)
			return iovs_err_prefix(err, rc, "bridge %s", d->conf->bridges[i].name);
	}
	for (i = 0; i < d->conf->n_ports; i++) {
		struct vsw_port_conf pc = d->conf->ports[i];
		const struct vsw_port_conf *p = &pc;
		struct iovs_err perr = {{0}};

		pc.ofport = d->conf->ofport[i]; /* the pipeline numbers ports as OpenFlow */
		rc = vsw_port_add(d->sw, p, &perr);
		if (rc != 0) {
			LOG_ERR("port %s not opened (kept in the configuration): %s", p->name,
				iovs_err_str(&perr, rc));
			iovsd_port_error_set(d, p->name, iovs_err_str(&perr, rc));
		}
	}
	return 0;
}

static int
setup_events(struct iovsd *d, struct iovs_err *err)
{
	struct epoll_event ev = {.events = EPOLLIN};
	sigset_t mask;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* Blocked before EAL starts threads, so only the signalfd sees them. */
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	d->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (d->signal_fd < 0 || d->epoll_fd < 0)
		return iovs_errf(err, -errno, "signalfd/epoll: %s", strerror(errno));
	ev.data.fd = d->signal_fd;
	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, d->signal_fd, &ev) != 0)
		return iovs_errf(err, -errno, "epoll: %s", strerror(errno));
	return 0;
}

/* vhost-user sockets and timers live in their own epoll set, nested in ours. */
static int
watch_vhu(struct iovsd *d, struct iovs_err *err)
{
	struct epoll_event ev = {.events = EPOLLIN};

	ev.data.fd = vhu_loop_fd(d->vhu);
	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, ev.data.fd, &ev) != 0)
		return iovs_errf(err, -errno, "epoll: %s", strerror(errno));
	return 0;
}

static void
run(struct iovsd *d)
{
	struct epoll_event evs[16];
	uint64_t last = 0;

	while (!d->stop) {
		int n = epoll_wait(d->epoll_fd, evs, 16, 1000), i;
		struct timespec ts;

		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == d->signal_fd) {
				struct signalfd_siginfo si;

				if (read(d->signal_fd, &si, sizeof(si)) == sizeof(si)) {
					LOG_INFO("signal %u: stopping", si.ssi_signo);
					d->stop = true;
				}
			} else if (evs[i].data.fd == vhu_loop_fd(d->vhu)) {
				vhu_loop_run(d->vhu);
			} else {
				iovsd_ctl_event(d, evs[i].data.fd, evs[i].events);
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((uint64_t)ts.tv_sec != last) {
			last = (uint64_t)ts.tv_sec;
			vsw_run_periodic(d->sw);
			iovsd_of_refresh(d);
		}
	}
}

static int
available_cpus(unsigned *cpus, unsigned max)
{
	cpu_set_t set;
	unsigned c, n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	for (c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	return (int)n;
}

int
main(int argc, char **argv)
{
	static struct iovsd daemon = {.listen_fd = -1, .signal_fd = -1, .epoll_fd = -1};
	struct iovsd *d = &daemon;
	struct iovs_err err = {{0}};
	struct iovsd_eal_opts eo = {0};
	struct vsw_params vp = {0};
	struct iovsd_cores cores;
	unsigned cpus[IOVSD_MAX_CPUS];
	struct options o;
	int rc, lock_fd, n_cpus;

	if (parse_options(argc, argv, &o) != 0)
		return 2;
	snprintf(d->run_dir, sizeof(d->run_dir), "%s", o.run_dir);
	snprintf(d->config_path, sizeof(d->config_path), "%s%s", o.config ? o.config : o.run_dir,
		 o.config ? "" : "/iovsd.json");
	snprintf(d->sock_path, sizeof(d->sock_path), "%s%s", o.socket ? o.socket : o.run_dir,
		 o.socket ? "" : "/iovsd.sock");
	d->conf = calloc(1, sizeof(*d->conf));
	if (d->conf == NULL)
		return 1;

	lock_fd = lock_run_dir(d, &err);
	if (lock_fd < 0)
		goto fail;
	rc = load_config(d, &err);
	if (rc != 0)
		goto fail;
	n_cpus = available_cpus(cpus, IOVSD_MAX_CPUS);
	rc = iovsd_cores_choose(o.cores, d->conf, cpus, (unsigned)n_cpus, &cores, &err);
	if (rc != 0)
		goto fail;
	rc = setup_events(d, &err);
	if (rc != 0)
		goto fail;

	/* VFs first: a VF port's device must be on vfio-pci before DPDK probes. */
	snprintf(d->sysfs_root, sizeof(d->sysfs_root), "%s", o.sysfs_root ? o.sysfs_root : "");
	snprintf(d->sriov_fail_step, sizeof(d->sriov_fail_step), "%s",
		 o.sriov_fail_step ? o.sriov_fail_step : "");
	iovsd_vf_reconcile(d);

	eo.no_huge = o.no_huge;
	if (!eo.no_huge && !iovsd_hugepages_available(256)) {
		LOG_WARN("fewer than 256 MiB of free hugepages: running without hugepages "
			 "(slower; reserve them with scripts/setup.sh or vm.nr_hugepages)");
		eo.no_huge = true;
	}
	eo.mem_mb = o.mem_mb;
	eo.n_extra = o.n_extra;
	eo.extra = o.extra;
	rc = iovsd_eal_init(&cores, &eo, d->conf, &err);
	if (rc != 0)
		goto fail;

	rc = vhu_loop_create(&d->vhu, &err);
	if (rc == 0)
		rc = watch_vhu(d, &err);
	if (rc != 0) {
		rte_eal_cleanup();
		goto fail;
	}
	vp.vhu_loop = d->vhu;
	vp.n_pmds = cores.n_pmds;
	memcpy(vp.pmd_lcores, cores.pmds, sizeof(cores.pmds));
	rc = vsw_create(&vp, &d->sw, &err);
	if (rc == 0)
		rc = apply_config(d, &err);
	if (rc == 0)
		rc = iovsd_ctl_open(d, &err);
	/* The OpenFlow thread shares the control core, never a PMD's. */
	if (rc == 0)
		rc = iovsd_of_start(d, (int)cores.control, &err);
	if (rc != 0) {
		iovsd_ctl_close(d);
		vsw_destroy(d->sw);
		vhu_loop_destroy(d->vhu);
		rte_eal_cleanup();
		goto fail;
	}
	LOG_INFO("ready: %u bridge(s), %u port(s), control socket %s", d->conf->n_bridges,
		 d->conf->n_ports, d->sock_path);
	run(d);

	iovsd_ctl_close(d);
	iovsd_of_stop(d);
	vsw_destroy(d->sw);
	vhu_loop_destroy(d->vhu);
	sriov_ctx_destroy(d->sriov);
	if (iovsd_conf_save(d->config_path, d->conf, &err) != 0)
		LOG_ERR("%s", err.msg);
	rte_eal_cleanup();
	LOG_INFO("stopped");
	close(lock_fd);
	return 0;

fail:
	fprintf(stderr, "iovsd: %s\n", iovs_err_str(&err, -EINVAL));
	return 1;
}
