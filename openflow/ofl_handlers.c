/* What the agent answers (ofl_agent.h): one handler per message type and one
 * per multipart type, in dispatch tables; each reads the datapath and the
 * switch through struct ofl_switch_ops and replies on its connection
 * (ofl_conn.c). Types without a row get BAD_REQUEST/BAD_TYPE or
 * BAD_MULTIPART, and the connection stays up. */
#define LOG_PREFIX "openflow/handlers: "
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ofl_agent_priv.h"
#include "ofl_wire.h"

struct ofl_msg *
ofl_reply_init(struct peer *pe, uint8_t type, uint32_t xid)
{
	struct ofl_msg *m = pe->dp->a->tx;

	memset(m, 0, sizeof(*m));
	m->h.version = OFP13_VERSION;
	m->h.type = type;
	m->h.xid = xid;
	return m;
}

uint64_t
ofl_dp_dpid(const struct dp *dp)
{
	return dp->conf.datapath_id ? dp->conf.datapath_id : ofl_dpid_from_name(dp->conf.name);
}

uint8_t
ofl_dp_n_tables(const struct dp *dp)
{
	return dp->conf.n_tables ? dp->conf.n_tables : OFL_N_TABLES;
}

static int
h_features(struct peer *pe, const struct ofl_msg *req, const uint8_t *raw, size_t len)
{
	struct ofl_msg *m = ofl_reply_init(pe, OFPT_FEATURES_REPLY, req->h.xid);

	(void)raw;
	(void)len;
	m->features.datapath_id = ofl_dp_dpid(pe->dp);
	m->features.n_buffers = 0;
	m->features.n_tables = ofl_dp_n_tables(pe->dp);
	m->features.capabilities =
		OFL_CAP_FLOW_STATS | OFL_CAP_TABLE_STATS | OFL_CAP_PORT_STATS | OFL_CAP_GROUP_STATS;
	return ofl_conn_send_msg(pe->c, m);
}

static int
h_get_config(struct peer *pe, const struct ofl_msg *req, const uint8_t *raw, size_t len)
{
	struct ofl_msg *m = ofl_reply_init(pe, OFPT_GET_CONFIG_REPLY, req->h.xid);

	(void)raw;
	(void)len;
	m->config = pe->dp->config;
	return ofl_conn_send_msg(pe->c, m);
}

static int
h_set_config(struct peer *pe, const struct ofl_msg *req, const uint8_t *raw, size_t len)
{
	(void)raw;
	(void)len;
	pe->dp->config = req->config;
	return 0;
}

int
ofl_agent_barrier_reply(struct peer *pe, uint32_t xid)
{
	return ofl_conn_send_msg(pe->c, ofl_reply_init(pe, OFPT_BARRIER_REPLY, xid));
}

/* BARRIER (§6.2): replied once every PMD sees the changes made before it;
 * until then the rest of this connection's input waits (returns 1: pause). */
static int
h_barrier(struct peer *pe, const struct ofl_msg *req, const uint8_t *raw, size_t len)
{
	uint64_t seq;

	(void)raw;
	(void)len;
	seq = ofl_tables_change_seq(pe->dp);
	if (ofl_tables_visible(pe->dp, seq))
		return ofl_agent_barrier_reply(pe, req->h.xid);
	pe->paused = true;
	pe->barrier_xid = req->h.xid;
	pe->barrier_seq = seq;
	return 1;
}

static int
h_role(struct peer *pe, const struct ofl_msg *req, const uint8_t *raw, size_t len)
{
	struct dp *dp = pe->dp;
	struct ofl_msg *m;
	unsigned i;

	if (req->role.role != OFPCR_ROLE_NOCHANGE) {
		if (ofl_role_check(&dp->gen, &req->role) != 0)
			return ofl_conn_send_error_raw(pe->c, OFL_ERRT_ROLE_REQUEST_FAILED,
						       OFL_ERRC_ROLE_STALE, raw, len);
		if (req->role.role == OFL_ROLE_MASTER)
			for (i = 0; i < dp->n_peers; i++)
				if (dp->peers[i] != pe && dp->peers[i]->c->role == OFL_ROLE_MASTER)
					dp->peers[i]->c->role = OFL_ROLE_SLAVE;
		pe->c->role = req->role.role;
	}
	m = ofl_reply_init(pe, OFPT_ROLE_REPLY, req->h.xid);
	m->role.role = pe->c->role;
	m->role.generation_id = dp->gen.defined ? dp->gen.id : req->role.generation_id;
	return ofl_conn_send_msg(pe->c, m);
}

static int
h_get_async(struct peer *pe, const struct ofl_msg *req, const uint8_t *raw, size_t len)
{
	struct ofl_msg *m = ofl_reply_init(pe, OFPT_GET_ASYNC_REPLY, req->h.xid);

	(void)raw;
	(void)len;
	m->async = pe->c->async;
	return ofl_conn_send_msg(pe->c, m);
}

static int
h_set_async(struct peer *pe, const struct ofl_msg *req, const uint8_t *raw, size_t len)
{
	(void)raw;
	(void)len;
	pe->c->async = req->async;
	return 0;
}

/* ---- multipart ---- */

static void
copy_str(char *dst, size_t cap, const char *src)
{
	memset(dst, 0, cap);
	if (src != NULL)
		strncpy(dst, src, cap - 1);
}

static int
mp_desc(struct peer *pe, const struct ofl_msg *req)
{
	const struct ofl_agent_params *p = &pe->dp->a->p;
	struct ofl_msg *m = ofl_reply_init(pe, OFPT_MULTIPART_REPLY, req->h.xid);
	struct ofl_desc *d = &m->mp_reply.desc;

	m->mp_reply.type = OFPMP_DESC;
	copy_str(d->mfr_desc, sizeof(d->mfr_desc), p->mfr_desc ? p->mfr_desc : "iovs");
	copy_str(d->hw_desc, sizeof(d->hw_desc), p->hw_desc ? p->hw_desc : "iovs userspace switch");
	copy_str(d->sw_desc, sizeof(d->sw_desc), p->sw_desc ? p->sw_desc : "iovs OpenFlow-lite");
	copy_str(d->serial_num, sizeof(d->serial_num), p->serial_num ? p->serial_num : "None");
	snprintf(d->dp_desc, sizeof(d->dp_desc), "iovs bridge %s", pe->dp->conf.name);
	return ofl_conn_send_msg(pe->c, m);
}

int
ofl_mp_send(struct peer *pe, struct ofl_mp_writer *w)
{
	int n = ofl_mp_writer_finish(w);

	return n < 0 ? n : ofl_conn_send(pe->c, w->buf, (size_t)n);
}

static int
mp_port_desc(struct peer *pe, const struct ofl_msg *req)
{
	struct dp *dp = pe->dp;
	struct ofl_mp_writer w;
	int n = 0, i;

	if (dp->ops != NULL && dp->ops->port_list != NULL)
		n = dp->ops->port_list(dp->sw, dp->a->ports, MAX_PORTS);
	if (n < 0)
		return n;
	ofl_mp_writer_init(&w, dp->a->mpbuf, MP_BUF_SIZE, 0, req->h.xid, OFPMP_PORT_DESC);
	for (i = 0; i < n && i < MAX_PORTS; i++)
		ofl_mp_add_port(&w, &dp->a->ports[i]);
	return ofl_mp_send(pe, &w);
}

static int
mp_port_stats(struct peer *pe, const struct ofl_msg *req)
{
	struct dp *dp = pe->dp;
	struct ofl_mp_writer w;
	int n = 0, i;

	if (dp->ops != NULL && dp->ops->port_stats != NULL)
		n = dp->ops->port_stats(dp->sw, req->mp_request.port_no, dp->a->pstats, MAX_PORTS);
	if (n == -ENOENT)
		return -OFL_E_BAD_PORT;
	if (n < 0)
		return n;
	ofl_mp_writer_init(&w, dp->a->mpbuf, MP_BUF_SIZE, 0, req->h.xid, OFPMP_PORT_STATS);
	for (i = 0; i < n && i < MAX_PORTS; i++)
		ofl_mp_add_port_stats(&w, &dp->a->pstats[i]);
	return ofl_mp_send(pe, &w);
}

/* clang-format off */
static int (*const mp_handlers[OFPMP__MAX])(struct peer *, const struct ofl_msg *) = {
	[OFPMP_DESC]           = mp_desc,
	[OFPMP_FLOW]           = ofl_mp_flow,
	[OFPMP_AGGREGATE]      = ofl_mp_aggregate,
	[OFPMP_TABLE]          = ofl_mp_table,
	[OFPMP_PORT_STATS]     = mp_port_stats,
	[OFPMP_GROUP]          = ofl_mp_group,
	[OFPMP_GROUP_DESC]     = ofl_mp_group_desc,
	[OFPMP_GROUP_FEATURES] = ofl_mp_group_features,
	[OFPMP_METER]          = ofl_mp_meter,
	[OFPMP_METER_CONFIG]   = ofl_mp_meter_config,
	[OFPMP_METER_FEATURES] = ofl_mp_meter_features,
	[OFPMP_TABLE_FEATURES] = ofl_mp_table_features,
	[OFPMP_PORT_DESC]      = mp_port_desc,
};
/* clang-format on */

static int
h_multipart(struct peer *pe, const struct ofl_msg *req, const uint8_t *raw, size_t len)
{
	uint16_t t = req->mp_request.type;
	int rc;

	(void)raw;
	(void)len;
	if (t >= OFPMP__MAX || mp_handlers[t] == NULL)
		return -OFL_E_BAD_MULTIPART;
	rc = mp_handlers[t](pe, req);
	/* A switch-side failure is not the peer's fault; say so in its terms. */
	return rc < 0 && rc > -OFL_ERR_BASE && rc != -ENOBUFS && rc != -EPIPE
		       ? -OFL_E_MULTIPART_BUFFER_OVERFLOW
		       : rc;
}

/* ---- dispatch ---- */

struct handler {
	const char *name;
	int (*fn)(struct peer *pe, const struct ofl_msg *m, const uint8_t *raw, size_t len);
};

/* Every type without a row gets BAD_REQUEST/BAD_TYPE; the connection stays. */
/* clang-format off */
static const struct handler handlers[OFPT__MAX] = {
	[OFPT_FEATURES_REQUEST]   = {"FEATURES_REQUEST",   h_features},
	[OFPT_GET_CONFIG_REQUEST] = {"GET_CONFIG_REQUEST", h_get_config},
	[OFPT_SET_CONFIG]         = {"SET_CONFIG",         h_set_config},
	[OFPT_BARRIER_REQUEST]    = {"BARRIER_REQUEST",    h_barrier},
	[OFPT_ROLE_REQUEST]       = {"ROLE_REQUEST",       h_role},
	[OFPT_GET_ASYNC_REQUEST]  = {"GET_ASYNC_REQUEST",  h_get_async},
	[OFPT_SET_ASYNC]          = {"SET_ASYNC",          h_set_async},
	[OFPT_MULTIPART_REQUEST]  = {"MULTIPART_REQUEST",  h_multipart},
	[OFPT_FLOW_MOD]           = {"FLOW_MOD",           ofl_h_flow_mod},
	[OFPT_GROUP_MOD]          = {"GROUP_MOD",          ofl_h_group_mod},
	[OFPT_METER_MOD]          = {"METER_MOD",          ofl_h_meter_mod},
	[OFPT_PACKET_OUT]         = {"PACKET_OUT",         ofl_h_packet_out},
	[OFPT_BUNDLE_CONTROL]     = {"BUNDLE_CONTROL",     ofl_h_bundle_ctrl},
	[OFPT_BUNDLE_ADD_MESSAGE] = {"BUNDLE_ADD_MESSAGE", ofl_h_bundle_add},
};
/* clang-format on */

int
ofl_agent_dispatch(void *arg, struct ofl_conn *c, const struct ofl_msg *m, const uint8_t *raw,
		   size_t len)
{
	struct peer *pe = arg;

	(void)c;
	if (m->h.type >= OFPT__MAX || handlers[m->h.type].fn == NULL)
		return -OFL_E_BAD_TYPE;
	return handlers[m->h.type].fn(pe, m, raw, len);
}
