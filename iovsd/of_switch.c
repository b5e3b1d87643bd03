/* iovsd's side of OpenFlow: starts the OpenFlow thread (openflow/ofl_agent.c)
 * on the control core — never on a PMD's — gives each bridge with an
 * "openflow" object a datapath, and serves the agent's switch ops.
 *
 * The agent thread must not call vsw_* (control thread only), so each bridge
 * has a snapshot of its ports and counters in OpenFlow terms, rebuilt by the
 * control thread once a second and after every port change, and read by the
 * agent under a mutex. Port numbers are the persisted "ofport" of each port
 * (config.c). Counters an OpenFlow controller sees are at most ~1 s old.
 *
 * Flow tables: each such bridge gets vswitch's OpenFlow pipeline
 * (vsw_bridge_openflow_enable, here on the control thread); the agent thread
 * is its one writer and reaches it, the packet-out and packet-in rings and the
 * table counters through the ops below (vsw_of.h: calls that never wait for a
 * PMD). The datapath leaves the agent before the pipeline is freed. */
#define LOG_PREFIX "iovsd/openflow: "
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iovs_log.h"
#include "iovsd.h"
#include "ofl_wire.h"
#include "vsw_of.h"

struct iovsd_ofsw {
	pthread_mutex_t mu; /* the snapshot: written by the control thread */
	char bridge[VSW_NAME_MAX];
	char error[IOVS_ERR_MAX]; /* the datapath could not be set up */
	bool in_agent;
	struct vsw_of *of; /* the bridge's pipeline; set before the datapath starts */
	unsigned n;
	struct ofl_port ports[VSW_MAX_PORTS];
	struct ofl_port_stats stats[VSW_MAX_PORTS];
};

/* ---- switch ops (agent thread) ---- */

static int
ofsw_port_list(void *arg, struct ofl_port *ports, unsigned max)
{
	struct iovsd_ofsw *s = arg;
	unsigned n;

	pthread_mutex_lock(&s->mu);
	n = s->n < max ? s->n : max;
	memcpy(ports, s->ports, n * sizeof(ports[0]));
	n = s->n;
	pthread_mutex_unlock(&s->mu);
	return (int)n;
}

static int
ofsw_port_stats(void *arg, uint32_t port_no, struct ofl_port_stats *stats, unsigned max)
{
	struct iovsd_ofsw *s = arg;
	unsigned i, n = 0;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->n && n < max; i++)
		if (port_no == OFPP_ANY || s->stats[i].port_no == port_no)
			stats[n++] = s->stats[i];
	pthread_mutex_unlock(&s->mu);
	return n == 0 && port_no != OFPP_ANY ? -ENOENT : (int)n;
}

static struct vsw_pl *
ofsw_pipeline(void *arg)
{
	struct iovsd_ofsw *s = arg;

	return s->of != NULL ? vsw_of_pipeline(s->of) : NULL;
}

static int
ofsw_packet_out(void *arg, uint32_t in_port, const uint8_t *frame, size_t len,
		struct vsw_act_prog *prog)
{
	struct iovsd_ofsw *s = arg;

	if (s->of == NULL) {
		free(prog);
		return -ENODEV;
	}
	return vsw_of_packet_out(s->of, in_port, frame, len, prog);
}

struct pin_fwd {
	void (*fn)(void *arg, const struct ofl_pin *pin);
	void *arg;
};

static void
pin_fwd(void *arg, const struct vsw_of_pin *p)
{
	struct pin_fwd *f = arg;
	struct ofl_pin pin = {.reason = p->reason,
			      .table_id = p->table_id,
			      .max_len = p->max_len,
			      .in_port = p->in_port,
			      .cookie = p->cookie,
			      .metadata = p->metadata,
			      .data = p->data,
			      .len = p->len};

	f->fn(f->arg, &pin);
}

static unsigned
ofsw_packet_in_poll(void *arg, void (*fn)(void *arg, const struct ofl_pin *pin), void *fn_arg,
		    unsigned max)
{
	struct iovsd_ofsw *s = arg;
	struct pin_fwd f = {.fn = fn, .arg = fn_arg};

	return s->of != NULL ? vsw_of_packet_in_poll(s->of, pin_fwd, &f, max) : 0;
}

static void
ofsw_table_counters(void *arg, uint64_t *lookups, uint64_t *matched, unsigned n)
{
	struct iovsd_ofsw *s = arg;
	static struct vsw_of_stats st; /* the agent thread's */

	if (s->of == NULL)
		return;
	vsw_of_get_stats(s->of, &st);
	for (unsigned i = 0; i < n && i < VSW_PL_TABLES; i++) {
		lookups[i] = st.lookups[i];
		matched[i] = st.matched[i];
	}
}

static const struct ofl_switch_ops ofsw_ops = {
	.port_list = ofsw_port_list,
	.port_stats = ofsw_port_stats,
	.pipeline = ofsw_pipeline,
	.packet_out = ofsw_packet_out,
	.packet_in_poll = ofsw_packet_in_poll,
	.table_counters = ofsw_table_counters,
};

/* ---- snapshot (control thread) ---- */

struct snap_walk {
	const struct iovsd *d;
	struct iovsd_ofsw *tmp;
};

static void
port_to_of(const struct vsw_port_info *pi, uint32_t ofport, struct ofl_port *p,
	   struct ofl_port_stats *st)
{
	const uint64_t *dr = pi->stats.drops;

	memset(p, 0, sizeof(*p));
	p->port_no = ofport;
	memcpy(p->hw_addr, pi->mac, 6);
	/* ofp_port names are 16 bytes: longer iovs names are cut (documented). */
	memcpy(p->name, pi->conf.name, strnlen(pi->conf.name, sizeof(p->name) - 1));
	p->state = pi->link_up ? OFL_PS_LIVE : OFL_PS_LINK_DOWN;
	p->curr =
		pi->link_speed_mbps ? ofl_port_speed_bits(pi->link_speed_mbps) | OFL_PF_COPPER : 0;
	p->curr_speed = p->max_speed = pi->link_speed_mbps * 1000u; /* kb/s */
	memset(st, 0, sizeof(*st));
	st->port_no = ofport;
	st->rx_packets = pi->stats.rx_packets;
	st->rx_bytes = pi->stats.rx_bytes;
	st->tx_packets = pi->stats.tx_packets;
	st->tx_bytes = pi->stats.tx_bytes;
	st->rx_dropped = dr[VSW_DROP_VLAN] + dr[VSW_DROP_MALFORMED] + dr[VSW_DROP_NO_ROUTE] +
			 dr[VSW_DROP_NO_MBUF] + dr[VSW_DROP_RX_MISSED];
	st->tx_dropped = dr[VSW_DROP_TX_FULL] + dr[VSW_DROP_TOO_BIG] + dr[VSW_DROP_OFFLOAD];
	st->rx_over_err = dr[VSW_DROP_RX_MISSED];
	st->rx_frame_err = dr[VSW_DROP_MALFORMED];
}

static int
snap_visit(const struct vsw_port_info *pi, void *arg)
{
	struct snap_walk *w = arg;
	uint32_t ofport = iovsd_conf_port_ofport(w->d->conf, pi->conf.name);

	if (ofport == 0 || w->tmp->n >= VSW_MAX_PORTS)
		return 0;
	port_to_of(pi, ofport, &w->tmp->ports[w->tmp->n], &w->tmp->stats[w->tmp->n]);
	w->tmp->n++;
	return 0;
}

static void
ofsw_refresh(struct iovsd *d, struct iovsd_ofsw *s)
{
	static struct iovsd_ofsw tmp; /* control thread only */
	struct snap_walk w = {.d = d, .tmp = &tmp};

	tmp.n = 0;
	vsw_port_foreach(d->sw, s->bridge, snap_visit, &w);
	pthread_mutex_lock(&s->mu);
	s->n = tmp.n;
	memcpy(s->ports, tmp.ports, tmp.n * sizeof(tmp.ports[0]));
	memcpy(s->stats, tmp.stats, tmp.n * sizeof(tmp.stats[0]));
	pthread_mutex_unlock(&s->mu);
}

void
iovsd_of_refresh(struct iovsd *d)
{
	unsigned i;

	for (i = 0; i < VSW_MAX_BRIDGES; i++)
		if (d->ofsw[i] != NULL)
			ofsw_refresh(d, d->ofsw[i]);
}

/* ---- datapaths ---- */

static struct iovsd_ofsw **
ofsw_slot(struct iovsd *d, const char *bridge, bool create)
{
	unsigned i;

	for (i = 0; i < VSW_MAX_BRIDGES; i++)
		if (d->ofsw[i] != NULL && strcmp(d->ofsw[i]->bridge, bridge) == 0)
			return &d->ofsw[i];
	if (!create)
		return NULL;
	for (i = 0; i < VSW_MAX_BRIDGES; i++)
		if (d->ofsw[i] == NULL)
			return &d->ofsw[i];
	return NULL;
}

static void
ofsw_free(struct iovsd *d, struct iovsd_ofsw **slot)
{
	struct iovsd_ofsw *s = *slot;

	if (s->in_agent)
		ofl_agent_dp_del(d->ofl, s->bridge); /* the agent stops using s->of */
	if (s->of != NULL)
		vsw_bridge_openflow_disable(d->sw, s->bridge);
	pthread_mutex_destroy(&s->mu);
	free(s);
	*slot = NULL;
}

int
iovsd_of_apply(struct iovsd *d, const char *bridge, const struct iovsd_of_conf *of,
	       struct iovs_err *err)
{
	struct iovsd_ofsw **slot = ofsw_slot(d, bridge, of != NULL && of->enabled);
	struct iovsd_ofsw *s;
	int rc;

	if (of == NULL || !of->enabled) {
		if (slot != NULL && *slot != NULL)
			ofsw_free(d, slot);
		return 0;
	}
	if (slot == NULL)
		return iovs_errf(err, -ENOSPC, "too many OpenFlow bridges");
	if (*slot == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return iovs_errf(err, -ENOMEM, "out of memory");
		pthread_mutex_init(&s->mu, NULL);
		snprintf(s->bridge, sizeof(s->bridge), "%s", bridge);
		*slot = s;
	}
	s = *slot;
	ofsw_refresh(d, s);
	if (s->of == NULL) {
		/* Before the datapath starts: the agent reads s->of without a lock. */
		rc = vsw_bridge_openflow_enable(d->sw, bridge, &s->of, err);
		if (rc != 0) {
			if (!s->in_agent)
				snprintf(s->error, sizeof(s->error), "%s", iovs_err_str(err, rc));
			return rc;
		}
		vsw_of_packet_in_wake(s->of, ofl_agent_wake_fd(d->ofl));
	}
	rc = ofl_agent_dp_set(d->ofl, &of->dp, &ofsw_ops, s, err);
	if (rc != 0) {
		/* A datapath that never started keeps its error for "controller
		 * show"; a refused change leaves the running one as it was. */
		if (!s->in_agent)
			snprintf(s->error, sizeof(s->error), "%s", iovs_err_str(err, rc));
		return rc;
	}
	s->in_agent = true;
	s->error[0] = '\0';
	return 0;
}

int
iovsd_of_start(struct iovsd *d, int cpu, struct iovs_err *err)
{
	struct ofl_agent_params p = {.cpu = cpu, .sw_desc = "iovsd"};
	unsigned i;
	int rc;

	rc = ofl_agent_create(&p, &d->ofl, err);
	if (rc == 0)
		rc = ofl_agent_start(d->ofl, err);
	if (rc != 0) {
		ofl_agent_destroy(d->ofl);
		d->ofl = NULL;
		return rc;
	}
	/* A listener that cannot bind is logged and shown; iovsd keeps running. */
	for (i = 0; i < d->conf->n_bridges; i++) {
		struct iovs_err e = {{0}};

		rc = iovsd_of_apply(d, d->conf->bridges[i].name, &d->conf->openflow[i], &e);
		if (rc != 0) {
			LOG_ERR("bridge %s: OpenFlow not started: %s", d->conf->bridges[i].name,
				iovs_err_str(&e, rc));
		}
	}
	return 0;
}

void
iovsd_of_stop(struct iovsd *d)
{
	unsigned i;

	if (d->ofl == NULL)
		return;
	ofl_agent_destroy(d->ofl); /* joins the thread first */
	d->ofl = NULL;
	for (i = 0; i < VSW_MAX_BRIDGES; i++)
		if (d->ofsw[i] != NULL) {
			d->ofsw[i]->in_agent = false;
			ofsw_free(d, &d->ofsw[i]);
		}
}

int
iovsd_of_stats(struct iovsd *d, const char *bridge, struct vsw_of_stats *st)
{
	struct iovsd_ofsw **slot = ofsw_slot(d, bridge, false);

	if (slot == NULL || (*slot)->of == NULL)
		return -ENOENT;
	vsw_of_get_stats((*slot)->of, st);
	return 0;
}

const char *
iovsd_of_error(struct iovsd *d, const char *bridge)
{
	struct iovsd_ofsw **slot = ofsw_slot(d, bridge, false);

	return slot != NULL && (*slot)->error[0] ? (*slot)->error : NULL;
}
