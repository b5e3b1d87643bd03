/* iovsd internals: the daemon's state, shared by main.c (start, apply, stop),
 * ctl.c (the control socket) and ctl_cmds.c (what each request does).
 * Everything here belongs to the control thread (the EAL main lcore). */
#ifndef IOVSD_H
#define IOVSD_H

#include <limits.h>
#include <stdbool.h>

#include "config.h"
struct vhu_loop;
#include "vsw.h"

#define IOVSD_MAX_CLIENTS     64
#define IOVSD_DEFAULT_RUN_DIR "/run/iovs"

#define IOVSD_MAX_VF_ERRORS 32

struct iovsd_client;
struct sriov_ctx;
struct iovsd_ofsw;
struct ofl_agent;

struct iovsd_port_error {
	char name[VSW_NAME_MAX];
	char msg[IOVS_ERR_MAX];
};

struct iovsd {
	char run_dir[PATH_MAX];
	char config_path[PATH_MAX];
	char sock_path[PATH_MAX];
	struct iovsd_conf *conf; /* what is configured and persisted */
	struct vsw *sw;		 /* what runs */
	struct vhu_loop *vhu;	 /* vhost-user sockets, polled from epoll_fd */
	int epoll_fd;
	int listen_fd;
	int signal_fd;
	bool stop;
	struct iovsd_client *clients[IOVSD_MAX_CLIENTS];
	/* Configured ports that could not be opened (kept in the config). */
	unsigned n_port_errors;
	struct iovsd_port_error port_errors[VSW_MAX_PORTS];
	/* OpenFlow (of_switch.c): the agent's thread and one snapshot per bridge. */
	struct ofl_agent *ofl;
	struct iovsd_ofsw *ofsw[VSW_MAX_BRIDGES];
	/* SR-IOV (ctl_vf.c): made at the first use; what the start's reconcile
	 * could not do (kept in the config). sriov_fail_step: --sriov-fail-step,
	 * a test knob that makes a named transaction step fail. */
	struct sriov_ctx *sriov;
	char sysfs_root[PATH_MAX];
	char sriov_fail_step[64];
	unsigned n_vf_errors;
	char vf_errors[IOVSD_MAX_VF_ERRORS][IOVS_ERR_MAX + 64];
};

/* ctl.c */
int iovsd_ctl_open(struct iovsd *d, struct iovs_err *err);
void iovsd_ctl_close(struct iovsd *d);
void iovsd_ctl_event(struct iovsd *d, int fd, unsigned events);

/* ctl_cmds.c: handles one request line and returns the reply line (malloc'd). */
char *iovsd_ctl_handle(struct iovsd *d, const char *line, size_t len);

/* of_switch.c: the OpenFlow thread (on CPU 'cpu', the control core) and a
 * datapath per bridge with "openflow"; apply with 'of' NULL or disabled
 * removes a bridge's datapath; refresh rebuilds the port snapshots the agent
 * reads (call after port changes and once a second). */
int iovsd_of_start(struct iovsd *d, int cpu, struct iovs_err *err);
void iovsd_of_stop(struct iovsd *d);
int iovsd_of_apply(struct iovsd *d, const char *bridge, const struct iovsd_of_conf *of,
		   struct iovs_err *err);
void iovsd_of_refresh(struct iovsd *d);
/* Why bridge's datapath could not be set up, or NULL. */
const char *iovsd_of_error(struct iovsd *d, const char *bridge);
struct vsw_of_stats;
/* The bridge's pipeline counters summed over the PMDs (drops by reason,
 * table lookups and matches, packet-ins and -outs). -ENOENT: no datapath. */
int iovsd_of_stats(struct iovsd *d, const char *bridge, struct vsw_of_stats *st);

/* ctl_cmds.c: a copy of the configuration to change (NULL and 'err' set when out
 * of memory), and its commit: saved, then current (on failure the caller undoes
 * what it applied). */
struct iovsd_conf *iovsd_conf_candidate(const struct iovsd *d, struct iovs_err *err);
int iovsd_conf_commit(struct iovsd *d, struct iovsd_conf *cand, struct iovs_err *err);

/* ctl_vf.c: the vf.* commands (rows of ctl_cmds.c's table) and the reconcile
 * of the persisted VF state, run at start before DPDK probes PCI devices. */
extern const char *const iovsd_vf_list_args[],
	*const iovsd_vf_create_args[],
		*const iovsd_vf_destroy_args[],
			*const iovsd_vf_set_args[], *const iovsd_vf_bind_args[],
							    *const iovsd_vf_release_args[],
								    *const iovsd_vf_assign_args[];
int iovsd_cmd_vf_list(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err);
int iovsd_cmd_vf_create(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err);
int iovsd_cmd_vf_destroy(struct iovsd *d, const json_t *args, json_t **result,
			 struct iovs_err *err);
int iovsd_cmd_vf_set(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err);
int iovsd_cmd_vf_bind(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err);
int iovsd_cmd_vf_release(struct iovsd *d, const json_t *args, json_t **result,
			 struct iovs_err *err);
int iovsd_cmd_vf_assign(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err);
void iovsd_vf_reconcile(struct iovsd *d);

/* main.c: a configured port that failed to open, or NULL. */
const char *iovsd_port_error(const struct iovsd *d, const char *name);
void iovsd_port_error_set(struct iovsd *d, const char *name, const char *msg);

#endif
