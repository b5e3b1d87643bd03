/* What each control request does: a dispatch table of commands (name, handler,
 * arguments), each handler parse → validate → apply. Changes are applied to the
 * running switch first and then persisted (config.c); when persisting fails the
 * switch change is undone, so the running state and the file never disagree.
 * Protocol and reply shapes: docs/control-protocol.md. */
#define LOG_PREFIX "iovsd/cmd: "
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_flow.h"
#include "ctl_proto.h"
#include "iovs_log.h"
#include "iovs_mac.h"
#include "iovsd.h"
#include "vhu.h"
#include "vsw_of.h"

typedef int (*cmd_fn)(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err);

struct ctl_cmd {
	const char *name;
	cmd_fn fn;
	const char *const *args; /* keys the command accepts */
	bool changes;		 /* logged at info level */
};

static const char *const no_args[] = {NULL};

int
iovsd_conf_commit(struct iovsd *d, struct iovsd_conf *cand, struct iovs_err *err)
{
	int rc = iovsd_conf_save(d->config_path, cand, err);

	if (rc != 0)
		return iovs_err_prefix(err, rc, "not saved, change undone");
	memcpy(d->conf, cand, sizeof(*cand));
	return 0;
}

struct iovsd_conf *
iovsd_conf_candidate(const struct iovsd *d, struct iovs_err *err)
{
	struct iovsd_conf *c = malloc(sizeof(*c));

	if (c == NULL)
		iovs_errf(err, -ENOMEM, "out of memory");
	else
		memcpy(c, d->conf, sizeof(*c));
	return c;
}

/* ---- ports ---- */

static const char *const port_add_args[] = {"bridge", "port", NULL};

static int
cmd_port_add(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	struct vsw_port_conf port;
	struct iovsd_conf *cand;
	const char *bridge;
	uint32_t ofport;
	int rc;

	(void)result;
	rc = iovsd_ctl_arg_str(args, "bridge", false, &bridge, err);
	if (rc != 0)
		return rc;
	if (!json_is_object(json_object_get(args, "port")))
		return iovs_errf(err, -EINVAL, "argument \"port\" must be an object");
	rc = iovsd_port_conf_from_json(json_object_get(args, "port"), "port", &port, err);
	if (rc == 0)
		rc = iovsd_port_ofport_from_json(json_object_get(args, "port"), "port", &ofport,
						 err);
	if (rc != 0)
		return rc;
	rc = vsw_port_conf_validate(&port, err);
	if (rc != 0)
		return iovs_err_prefix(err, rc, "port %s", port.name);
	if (snprintf(port.bridge, sizeof(port.bridge), "%s", bridge) >= (int)sizeof(port.bridge) ||
	    iovsd_conf_find_bridge(d->conf, bridge) == NULL)
		return iovs_errf(err, -ENOENT, "no bridge named %s", bridge);
	if (iovsd_conf_find_port(d->conf, port.name) != NULL)
		return iovs_errf(err, -EEXIST, "a port named %s already exists", port.name);

	cand = iovsd_conf_candidate(d, err);
	if (cand == NULL)
		return -ENOMEM;
	rc = iovsd_conf_add_port(cand, &port, ofport);
	if (rc == -EEXIST) {
		iovs_errf(err, rc, "ofport %u is already used in bridge %s", ofport, bridge);
		goto out;
	}
	if (rc != 0) {
		iovs_errf(err, rc, "cannot add port %s to the configuration: %s", port.name,
			  rc == -ENOSPC ? "too many ports" : strerror(-rc));
		goto out;
	}
	rc = iovsd_conf_validate(cand, err);
	if (rc != 0)
		goto out;
	port.ofport = iovsd_conf_port_ofport(cand, port.name);
	rc = vsw_port_add(d->sw, &port, err);
	if (rc != 0) {
		iovs_err_prefix(err, rc, "port %s", port.name);
		goto out;
	}
	rc = iovsd_conf_commit(d, cand, err);
	if (rc != 0)
		vsw_port_del(d->sw, port.name, NULL);
	else
		iovsd_of_refresh(d);
out:
	free(cand);
	return rc;
}

static const char *const name_args[] = {"name", NULL};

static int
cmd_port_del(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	const struct vsw_port_conf *cur;
	struct vsw_port_conf saved;
	struct iovsd_conf *cand;
	const char *name;
	bool running;
	int rc;

	(void)result;
	rc = iovsd_ctl_arg_str(args, "name", false, &name, err);
	if (rc != 0)
		return rc;
	cur = iovsd_conf_find_port(d->conf, name);
	if (cur == NULL)
		return iovs_errf(err, -ENOENT, "no port named %s", name);
	saved = *cur;
	saved.ofport = iovsd_conf_port_ofport(d->conf, name);
	cand = iovsd_conf_candidate(d, err);
	if (cand == NULL)
		return -ENOMEM;
	iovsd_conf_del_port(cand, name);
	running = iovsd_port_error(d, name) == NULL;
	if (running) {
		rc = vsw_port_del(d->sw, name, err);
		if (rc != 0)
			goto out;
	}
	rc = iovsd_conf_commit(d, cand, err);
	if (rc != 0) {
		struct iovs_err again = {{0}};

		if (running && vsw_port_add(d->sw, &saved, &again) != 0)
			LOG_ERR("port %s: could not reopen after a failed save: %s", name,
				again.msg);
		goto out;
	}
	iovsd_port_error_set(d, name, NULL);
	iovsd_of_refresh(d);
out:
	free(cand);
	return rc;
}

struct port_walk {
	const struct iovsd *d;
	json_t *list;
	const char *name; /* only this port, or all when NULL */
};

/* vhost-user ports: each queue pair's state, counters and drops by reason. */
static json_t *
queues_json(const struct vsw_port_info *pi)
{
	json_t *list = json_array();
	unsigned q, r;

	for (q = 0; q < pi->n_queue_info; q++) {
		const struct vsw_queue_info *qi = &pi->queue[q];
		json_t *drops = json_object();

		for (r = 0; r < VSW_QUEUE_DROP__MAX; r++)
			json_object_set_new(drops, vsw_queue_drop_name(r),
					    json_integer((json_int_t)qi->drops[r]));
		json_array_append_new(list,
				      json_pack("{s:i, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:o}",
						"queue", q, "rx_up", qi->rx_up, "tx_up", qi->tx_up,
						"rx_packets", (json_int_t)qi->rx_packets,
						"rx_bytes", (json_int_t)qi->rx_bytes, "tx_packets",
						(json_int_t)qi->tx_packets, "tx_bytes",
						(json_int_t)qi->tx_bytes, "interrupts",
						(json_int_t)qi->interrupts, "drops", drops));
	}
	return list;
}

/* vhost-user ports with a vIOMMU (ACCESS_PLATFORM): the device IOTLB. */
static json_t *
iotlb_json(const struct vsw_iotlb_info *t)
{
	return json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "enabled", t->enabled, "entries", (json_int_t)t->entries, "updates",
			 (json_int_t)t->updates, "updates_refused", (json_int_t)t->refused,
			 "invalidations", (json_int_t)t->invalidations, "evictions",
			 (json_int_t)t->evictions, "misses_sent", (json_int_t)t->misses,
			 "misses_unsent", (json_int_t)t->misses_unsent, "miss_waits",
			 (json_int_t)t->waits, "ring_waits", (json_int_t)t->ring_waits,
			 "held_packets", (json_int_t)t->held, "held_now", (json_int_t)t->held_now,
			 "access_failures", (json_int_t)t->access_failures);
}

/* vhost-user ports: the connection and what the guest negotiated. */
static json_t *
vhost_json(const struct vsw_port_info *pi)
{
	char features[512], pf[32];

	vhu_features_format(pi->features, features, sizeof(features));
	snprintf(pf, sizeof(pf), "0x%llx", (unsigned long long)pi->protocol_features);
	return json_pack("{s:s, s:s, s:s, s:i, s:i, s:o}", "state", pi->state, "features", features,
			 "protocol_features", pf, "guest_mtu", pi->guest_mtu, "queues_in_use",
			 pi->n_guest_queues, "iotlb", iotlb_json(&pi->iotlb));
}

static json_t *
port_stats_json(const struct vsw_port_info *pi)
{
	json_t *drops = json_object(), *rxqs = json_array(), *o;
	unsigned r, q;

	for (r = 0; r < VSW_DROP__MAX; r++)
		json_object_set_new(drops, vsw_drop_reason_name(r),
				    json_integer((json_int_t)pi->stats.drops[r]));
	for (q = 0; q < pi->n_rxq; q++)
		json_array_append_new(rxqs,
				      json_pack("{s:i, s:i, s:I, s:I}", "queue", pi->rxq[q].qid,
						"pmd_core", pi->rxq[q].pmd_lcore, "rx_packets",
						(json_int_t)pi->rxq[q].rx_packets, "rx_bytes",
						(json_int_t)pi->rxq[q].rx_bytes));
	o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:o}", "name", pi->conf.name, "rx_packets",
		      (json_int_t)pi->stats.rx_packets, "rx_bytes", (json_int_t)pi->stats.rx_bytes,
		      "tx_packets", (json_int_t)pi->stats.tx_packets, "tx_bytes",
		      (json_int_t)pi->stats.tx_bytes, "drops", drops, "rxqs", rxqs);
	if (o != NULL && pi->vhost) {
		json_object_set_new(o, "queues", queues_json(pi));
		json_object_set_new(o, "iotlb", iotlb_json(&pi->iotlb));
	}
	return o;
}

static int
port_visit(const struct vsw_port_info *pi, void *arg)
{
	struct port_walk *w = arg;
	char mac[IOVS_MAC_STR];
	json_t *o;

	iovs_mac_str(pi->mac, mac);
	o = iovsd_port_conf_to_json(&pi->conf);
	json_object_set_new(o, "bridge", json_string(pi->conf.bridge));
	json_object_set_new(o, "ofport",
			    json_integer(iovsd_conf_port_ofport(w->d->conf, pi->conf.name)));
	json_object_set_new(o, "state", json_string(pi->link_up ? "up" : "down"));
	json_object_set_new(o, "link_speed_mbps", json_integer(pi->link_speed_mbps));
	json_object_set_new(o, "mac", json_string(mac));
	if (pi->vhost)
		json_object_set_new(o, "vhost", vhost_json(pi));
	else
		json_object_set_new(o, "ethdev", json_integer(pi->eth_port_id));
	json_array_append_new(w->list, o);
	return 0;
}

/* Configured ports that failed to open are listed too, with their error. */
static void
list_failed_ports(struct iovsd *d, const char *bridge, json_t *list)
{
	unsigned i;

	for (i = 0; i < d->n_port_errors; i++) {
		const struct vsw_port_conf *pc =
			iovsd_conf_find_port(d->conf, d->port_errors[i].name);
		json_t *o;

		if (pc == NULL || (bridge != NULL && strcmp(pc->bridge, bridge) != 0))
			continue;
		o = iovsd_port_conf_to_json(pc);
		json_object_set_new(o, "bridge", json_string(pc->bridge));
		json_object_set_new(o, "state", json_string("error"));
		json_object_set_new(o, "error", json_string(d->port_errors[i].msg));
		json_array_append_new(list, o);
	}
}

static const char *const bridge_args[] = {"bridge", NULL};

static int
cmd_port_list(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	struct port_walk w = {.d = d, .list = json_array()};
	const char *bridge;
	int rc;

	rc = iovsd_ctl_arg_str(args, "bridge", true, &bridge, err);
	if (rc == 0 && bridge != NULL && iovsd_conf_find_bridge(d->conf, bridge) == NULL)
		rc = iovs_errf(err, -ENOENT, "no bridge named %s", bridge);
	if (rc != 0) {
		json_decref(w.list);
		return rc;
	}
	vsw_port_foreach(d->sw, bridge, port_visit, &w);
	list_failed_ports(d, bridge, w.list);
	*result = json_pack("{s:o}", "ports", w.list);
	return 0;
}

static int
port_stats_visit(const struct vsw_port_info *pi, void *arg)
{
	struct port_walk *w = arg;

	if (w->name == NULL || strcmp(pi->conf.name, w->name) == 0)
		json_array_append_new(w->list, port_stats_json(pi));
	return 0;
}

static int
cmd_port_stats(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	struct port_walk w = {.d = d, .list = json_array()};
	const char *name;
	int rc;

	rc = iovsd_ctl_arg_str(args, "name", true, &name, err);
	if (rc == 0 && name != NULL && iovsd_conf_find_port(d->conf, name) == NULL)
		rc = iovs_errf(err, -ENOENT, "no port named %s", name);
	if (rc == 0 && name != NULL && iovsd_port_error(d, name) != NULL)
		rc = iovs_errf(err, -ENODEV, "port %s is not open: %s", name,
			       iovsd_port_error(d, name));
	if (rc != 0) {
		json_decref(w.list);
		return rc;
	}
	w.name = name;
	vsw_port_foreach(d->sw, NULL, port_stats_visit, &w);
	*result = json_pack("{s:o}", "ports", w.list);
	return 0;
}

/* ---- PMDs, bridges, MAC tables ---- */

static int
pmd_visit(const struct vsw_pmd_info *pi, void *arg)
{
	uint64_t total = pi->busy_cycles + pi->idle_cycles;

	json_array_append_new(
		arg,
		json_pack("{s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:f, s:f}", "core", pi->lcore,
			  "rx_queues", pi->n_rxq, "iterations", (json_int_t)pi->iterations,
			  "rx_packets", (json_int_t)pi->rx_packets, "busy_cycles",
			  (json_int_t)pi->busy_cycles, "idle_cycles", (json_int_t)pi->idle_cycles,
			  "tsc_hz", (json_int_t)pi->tsc_hz, "busy_pct",
			  total ? 100.0 * (double)pi->busy_cycles / (double)total : 0.0,
			  "busy_cycles_per_packet",
			  pi->rx_packets ? (double)pi->busy_cycles / (double)pi->rx_packets : 0.0));
	return 0;
}

static int
cmd_pmd_stats(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	json_t *list = json_array();

	(void)args;
	(void)err;
	vsw_pmd_foreach(d->sw, pmd_visit, list);
	*result = json_pack("{s:o}", "pmds", list);
	return 0;
}

struct bridge_walk {
	struct iovsd *d;
	json_t *list;
};

static int
bridge_visit(const struct vsw_bridge_info *bi, void *arg)
{
	struct bridge_walk *bw = arg;
	json_t *ports = json_array();
	struct port_walk w = {.d = bw->d, .list = ports};

	vsw_port_foreach(bw->d->sw, bi->conf.name, port_visit, &w);
	list_failed_ports(bw->d, bi->conf.name, ports);
	json_array_append_new(bw->list,
			      json_pack("{s:s, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:o}", "name",
					bi->conf.name, "mac_table_size", bi->conf.mac_table_size,
					"mac_aging_s", bi->conf.mac_aging_s, "fdb_entries",
					bi->fdb_entries, "fdb_learned", (json_int_t)bi->fdb_learned,
					"fdb_moved", (json_int_t)bi->fdb_moved, "fdb_evicted",
					(json_int_t)bi->fdb_evicted, "fdb_aged",
					(json_int_t)bi->fdb_aged, "ports", ports));
	return 0;
}

static int
cmd_show(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	json_t *bridges = json_array(), *pmds = json_array();
	struct bridge_walk walk = {.d = d, .list = bridges};

	(void)args;
	(void)err;
	vsw_bridge_foreach(d->sw, bridge_visit, &walk);
	vsw_pmd_foreach(d->sw, pmd_visit, pmds);
	*result = json_pack("{s:s, s:s, s:o, s:o}", "config", d->config_path, "run_dir", d->run_dir,
			    "bridges", bridges, "pmds", pmds);
	return 0;
}

static const char *const bridge_add_args[] = {"bridge", NULL};

static int
cmd_bridge_add(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	struct vsw_bridge_conf br;
	struct iovsd_conf *cand;
	int rc;

	(void)result;
	if (!json_is_object(json_object_get(args, "bridge")))
		return iovs_errf(err, -EINVAL, "argument \"bridge\" must be an object");
	rc = iovsd_bridge_conf_from_json(json_object_get(args, "bridge"), "bridge", &br, err);
	if (rc != 0)
		return rc;
	if (d->conf->n_bridges >= VSW_MAX_BRIDGES)
		return iovs_errf(err, -ENOSPC, "too many bridges (at most %d)", VSW_MAX_BRIDGES);
	cand = iovsd_conf_candidate(d, err);
	if (cand == NULL)
		return -ENOMEM;
	cand->bridges[cand->n_bridges++] = br;
	rc = iovsd_conf_validate(cand, err);
	if (rc == 0)
		rc = vsw_bridge_add(d->sw, &br, err);
	if (rc == 0) {
		rc = iovsd_conf_commit(d, cand, err);
		if (rc != 0)
			vsw_bridge_del(d->sw, br.name, NULL);
	}
	free(cand);
	return rc;
}

static int
cmd_bridge_del(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	const struct vsw_bridge_conf *cur;
	struct vsw_bridge_conf saved;
	struct iovsd_conf *cand;
	const char *name;
	unsigned i;
	int rc;

	(void)result;
	rc = iovsd_ctl_arg_str(args, "name", false, &name, err);
	if (rc != 0)
		return rc;
	cur = iovsd_conf_find_bridge(d->conf, name);
	if (cur == NULL)
		return iovs_errf(err, -ENOENT, "no bridge named %s", name);
	for (i = 0; i < d->conf->n_ports; i++)
		if (strcmp(d->conf->ports[i].bridge, name) == 0)
			return iovs_errf(err, -EBUSY, "bridge %s still has ports (%s, ...)", name,
					 d->conf->ports[i].name);
	saved = *cur;
	cand = iovsd_conf_candidate(d, err);
	if (cand == NULL)
		return -ENOMEM;
	iovsd_conf_del_bridge(cand, name);
	/* The OpenFlow datapath goes first: the agent must stop using the
	 * bridge's pipeline before vsw_bridge_del frees it. */
	iovsd_of_apply(d, name, NULL, NULL);
	rc = vsw_bridge_del(d->sw, name, err);
	if (rc == 0) {
		rc = iovsd_conf_commit(d, cand, err);
		if (rc != 0)
			vsw_bridge_add(d->sw, &saved, NULL);
	}
	if (rc != 0)
		iovsd_of_apply(d, name, &d->conf->openflow[cur - d->conf->bridges], NULL);
	free(cand);
	return rc;
}

static int
fdb_visit(const struct vsw_fdb_entry_info *e, void *arg)
{
	char mac[IOVS_MAC_STR];

	iovs_mac_str(e->mac, mac);
	json_array_append_new(arg, json_pack("{s:s, s:i, s:s, s:i}", "mac", mac, "vlan", e->vlan,
					     "port", e->port, "age_s", e->age_s));
	return 0;
}

static int
cmd_fdb_show(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	const char *bridge;
	json_t *list;
	int rc;

	rc = iovsd_ctl_arg_str(args, "bridge", false, &bridge, err);
	if (rc != 0)
		return rc;
	list = json_array();
	rc = vsw_bridge_fdb_foreach(d->sw, bridge, fdb_visit, list, err);
	if (rc != 0) {
		json_decref(list);
		return rc;
	}
	*result = json_pack("{s:s, s:o}", "bridge", bridge, "entries", list);
	return 0;
}

static int
cmd_fdb_flush(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	const char *bridge;
	int rc;

	(void)result;
	rc = iovsd_ctl_arg_str(args, "bridge", false, &bridge, err);
	return rc != 0 ? rc : vsw_bridge_fdb_flush(d->sw, bridge, err);
}

/* ---- OpenFlow controllers ---- */

static const char *const controller_set_args[] = {"bridge",    "controllers", "listen",
						  "fail_mode", "datapath_id", NULL};

/* "tcp:A:1,tcp:B:2" or "none" → of->dp.controllers. */
static int
controllers_parse(const char *list, struct iovsd_of_conf *of, struct iovs_err *err)
{
	char buf[OFL_MAX_CONTROLLERS * OFL_TARGET_MAX + 8], *save = NULL, *tok;
	struct ofl_target t;
	int rc;

	of->dp.n_controllers = 0;
	if (strcmp(list, "none") == 0 || list[0] == '\0')
		return 0;
	if (strlen(list) >= sizeof(buf))
		return iovs_errf(err, -EINVAL, "controllers: too long");
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		if (of->dp.n_controllers == OFL_MAX_CONTROLLERS)
			return iovs_errf(err, -E2BIG, "at most %d controllers",
					 OFL_MAX_CONTROLLERS);
		rc = ofl_controller_parse(tok, &t, err);
		if (rc != 0)
			return rc;
		snprintf(of->dp.controllers[of->dp.n_controllers++], OFL_TARGET_MAX, "%s", tok);
	}
	return 0;
}

/* Builds the bridge's new "openflow" object from the request and the current one. */
static int
controller_conf(const json_t *args, const char *bridge, const struct iovsd_of_conf *cur,
		struct iovsd_of_conf *of, struct iovs_err *err)
{
	json_t *obj = json_object();
	const char *list;
	int rc;

	/* The optional keys go through the file's parser, with its checks. */
	if (cur->enabled) {
		json_decref(obj);
		obj = iovsd_of_conf_to_json(cur);
	}
	if (json_object_get(args, "listen") != NULL)
		json_object_set(obj, "listen", json_object_get(args, "listen"));
	if (json_object_get(args, "fail_mode") != NULL)
		json_object_set(obj, "fail_mode", json_object_get(args, "fail_mode"));
	if (json_object_get(args, "datapath_id") != NULL)
		json_object_set(obj, "datapath_id", json_object_get(args, "datapath_id"));
	json_object_del(obj, "controllers");
	rc = iovsd_of_conf_from_json(obj, "openflow", bridge, of, err);
	json_decref(obj);
	if (rc == 0)
		rc = iovsd_ctl_arg_str(args, "controllers", false, &list, err);
	if (rc == 0)
		rc = controllers_parse(list, of, err);
	return rc;
}

static int
cmd_controller_set(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	struct iovsd_of_conf *cur, of, saved;
	struct iovsd_conf *cand;
	const char *bridge;
	int rc;

	(void)result;
	rc = iovsd_ctl_arg_str(args, "bridge", false, &bridge, err);
	if (rc != 0)
		return rc;
	cur = iovsd_conf_find_of(d->conf, bridge);
	if (cur == NULL)
		return iovs_errf(err, -ENOENT, "no bridge named %s", bridge);
	rc = controller_conf(args, bridge, cur, &of, err);
	if (rc != 0)
		return rc;
	saved = *cur;
	cand = iovsd_conf_candidate(d, err);
	if (cand == NULL)
		return -ENOMEM;
	*iovsd_conf_find_of(cand, bridge) = of;
	rc = iovsd_conf_validate(cand, err);
	if (rc == 0)
		rc = iovsd_of_apply(d, bridge, &of, err);
	if (rc == 0) {
		rc = iovsd_conf_commit(d, cand, err);
		if (rc != 0)
			iovsd_of_apply(d, bridge, &saved, NULL);
	}
	free(cand);
	return rc;
}

struct conn_walk {
	json_t *dp;
	json_t *conns;
};

/* A latency histogram in microseconds: count, mean and quantiles (each the
 * upper bound of its bucket, iovs_hist.h), and the non-empty buckets as
 * [upper bound in us, count] (cumulative since start: take differences). */
static json_t *
hist_json(const struct iovs_hist *h, uint64_t unsampled)
{
	json_t *buckets = json_array();

	for (unsigned i = 0; i < IOVS_HIST_BUCKETS; i++)
		if (h->bucket[i] != 0)
			json_array_append_new(buckets, json_pack("[f, I]", iovs_hist_upper(i) / 1e3,
								 (json_int_t)h->bucket[i]));
	return json_pack("{s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:o}", "count", (json_int_t)h->count,
			 "unsampled", (json_int_t)unsampled, "mean_us",
			 h->count ? (double)h->sum_ns / (double)h->count / 1e3 : 0.0, "p50_us",
			 iovs_hist_quantile(h, 0.5) / 1e3, "p99_us",
			 iovs_hist_quantile(h, 0.99) / 1e3, "p999_us",
			 iovs_hist_quantile(h, 0.999) / 1e3, "max_us", h->max_ns / 1e3, "buckets",
			 buckets);
}

static void
of_dp_visit(const struct ofl_dp_info *di, void *arg)
{
	struct conn_walk *w = arg;
	char dpid[24];

	snprintf(dpid, sizeof(dpid), "%016llx", (unsigned long long)di->datapath_id);
	w->dp = json_pack("{s:s, s:s, s:s, s:s}", "datapath_id", dpid, "listen",
			  di->listen[0] ? di->listen : "none", "fail_mode",
			  di->fail_mode == OFL_FAIL_STANDALONE ? "standalone" : "secure",
			  "listen_error", di->listen_error);
	json_object_set_new(w->dp, "flow_install",
			    hist_json(&di->flow_install, di->flow_install_unsampled));
}

static void
of_conn_visit(const struct ofl_conn_info *ci, void *arg)
{
	struct conn_walk *w = arg;
	char version[8] = "";

	if (ci->version != 0)
		snprintf(version, sizeof(version), "1.%u", ci->version - 1);
	json_array_append_new(
		w->conns,
		json_pack("{s:s, s:s, s:b, s:b, s:s, s:s, s:s, s:I, s:i, s:I, s:I, s:I, s:I, s:s}",
			  "target", ci->target, "kind", ci->active ? "active" : "passive", "active",
			  ci->active, "connected", ci->connected, "state", ci->state, "role",
			  ci->role, "version", version, "n_connects", (json_int_t)ci->n_connects,
			  "backoff_ms", (int)ci->backoff_ms, "rx_msgs",
			  (json_int_t)ci->stats.rx_msgs, "tx_msgs", (json_int_t)ci->stats.tx_msgs,
			  "errors_sent", (json_int_t)ci->stats.rx_errors, "echo_probes",
			  (json_int_t)ci->stats.echo_probes, "last_error", ci->last_error));
}

/* The pipeline's counters: packet-ins/-outs, drops by reason (every reason,
 * 0 included) and the tables that saw lookups. */
static json_t *
pipeline_json(const struct vsw_of_stats *st)
{
	json_t *drops = json_object(), *tables = json_array();

	for (unsigned r = 0; r < VSW_OF_DROP__MAX; r++)
		json_object_set_new(drops, vsw_of_drop_name(r),
				    json_integer((json_int_t)st->drops[r]));
	for (unsigned t = 0; t < VSW_PL_TABLES; t++)
		if (st->lookups[t] != 0)
			json_array_append_new(tables,
					      json_pack("{s:i, s:I, s:I}", "table", (int)t,
							"lookups", (json_int_t)st->lookups[t],
							"matched", (json_int_t)st->matched[t]));
	return json_pack("{s:I, s:I, s:o, s:o}", "packet_in", (json_int_t)st->packet_in,
			 "packet_out", (json_int_t)st->packet_out, "drops", drops, "tables",
			 tables);
}

static int
cmd_controller_show(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	static struct vsw_of_stats st; /* control thread */
	struct conn_walk w = {0};
	const struct iovsd_of_conf *of;
	const char *bridge, *e;
	json_t *conf_ctl;
	unsigned i;
	int rc;

	rc = iovsd_ctl_arg_str(args, "bridge", false, &bridge, err);
	if (rc != 0)
		return rc;
	of = iovsd_conf_find_of(d->conf, bridge);
	if (of == NULL)
		return iovs_errf(err, -ENOENT, "no bridge named %s", bridge);
	if (!of->enabled) {
		*result = json_pack("{s:s, s:b}", "bridge", bridge, "openflow", 0);
		return 0;
	}
	conf_ctl = json_array();
	for (i = 0; i < of->dp.n_controllers; i++)
		json_array_append_new(conf_ctl, json_string(of->dp.controllers[i]));
	w.conns = json_array();
	if (d->ofl == NULL ||
	    ofl_agent_dp_show(d->ofl, bridge, of_dp_visit, of_conn_visit, &w) != 0)
		w.dp = json_object();
	json_object_set_new(w.dp, "bridge", json_string(bridge));
	json_object_set_new(w.dp, "openflow", json_true());
	json_object_set_new(w.dp, "controllers", conf_ctl);
	json_object_set_new(w.dp, "connections", w.conns);
	e = iovsd_of_error(d, bridge);
	if (e != NULL)
		json_object_set_new(w.dp, "error", json_string(e));
	if (iovsd_of_stats(d, bridge, &st) == 0)
		json_object_set_new(w.dp, "pipeline", pipeline_json(&st));
	*result = w.dp;
	return 0;
}

static int
cmd_config_dump(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err)
{
	(void)args;
	*result = iovsd_conf_to_json(d->conf);
	return *result != NULL ? 0 : iovs_errf(err, -ENOMEM, "out of memory");
}

/* clang-format off */
static const struct ctl_cmd commands[] = {
	{"show",        cmd_show,        no_args,         false},
	{"bridge.add",  cmd_bridge_add,  bridge_add_args, true},
	{"bridge.del",  cmd_bridge_del,  name_args,       true},
	{"port.add",    cmd_port_add,    port_add_args,   true},
	{"port.del",    cmd_port_del,    name_args,       true},
	{"port.list",   cmd_port_list,   bridge_args,     false},
	{"port.stats",  cmd_port_stats,  name_args,       false},
	{"pmd.stats",   cmd_pmd_stats,   no_args,         false},
	{"fdb.show",    cmd_fdb_show,    bridge_args,     false},
	{"fdb.flush",   cmd_fdb_flush,   bridge_args,     true},
	{"config.dump", cmd_config_dump, no_args,         false},
	{"controller.set",  cmd_controller_set,  controller_set_args, true},
	{"controller.show", cmd_controller_show, bridge_args,         false},
	{"flow.add",  iovsd_cmd_flow_add,  iovsd_flow_add_args,  true},
	{"flow.mod",  iovsd_cmd_flow_mod,  iovsd_flow_mod_args,  true},
	{"flow.del",  iovsd_cmd_flow_del,  iovsd_flow_del_args,  true},
	{"flow.dump", iovsd_cmd_flow_dump, iovsd_flow_dump_args, false},
	{"ofl.trace", iovsd_cmd_ofl_trace, iovsd_ofl_trace_args, false},
	{"vf.list",    iovsd_cmd_vf_list,    iovsd_vf_list_args,    false},
	{"vf.create",  iovsd_cmd_vf_create,  iovsd_vf_create_args,  true},
	{"vf.destroy", iovsd_cmd_vf_destroy, iovsd_vf_destroy_args, true},
	{"vf.set",     iovsd_cmd_vf_set,     iovsd_vf_set_args,     true},
	{"vf.bind",    iovsd_cmd_vf_bind,    iovsd_vf_bind_args,    true},
	{"vf.release", iovsd_cmd_vf_release, iovsd_vf_release_args, true},
	{"vf.assign",  iovsd_cmd_vf_assign,  iovsd_vf_assign_args,  true},
};
/* clang-format on */

char *
iovsd_ctl_handle(struct iovsd *d, const char *line, size_t len)
{
	struct iovs_err err = {{0}};
	struct iovsd_ctl_req req;
	const struct ctl_cmd *cmd = NULL;
	json_t *result = NULL;
	unsigned i;
	int rc;

	rc = iovsd_ctl_req_parse(line, len, &req, &err);
	if (rc != 0)
		return iovsd_ctl_reply_err(iovs_err_str(&err, rc));
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, req.cmd) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		iovs_errf(&err, -EINVAL, "unknown command \"%s\"", req.cmd);
		rc = -EINVAL;
	} else {
		rc = iovsd_ctl_args_check(req.args, cmd->args, &err);
		if (rc == 0)
			rc = cmd->fn(d, req.args, &result, &err);
		if (rc != 0)
			iovs_err_prefix(&err, rc, "%s", cmd->name);
		if (cmd->changes && rc == 0)
			LOG_INFO("%s: done", cmd->name);
		else if (cmd->changes)
			LOG_INFO("%s", iovs_err_str(&err, rc));
	}
	iovsd_ctl_req_fini(&req);
	if (rc != 0) {
		json_decref(result);
		return iovsd_ctl_reply_err(iovs_err_str(&err, rc));
	}
	return iovsd_ctl_reply_ok(result);
}
