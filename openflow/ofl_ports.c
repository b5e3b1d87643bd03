/* PORT_STATUS (OF 1.3.5 §7.4.3): the agent compares the switch's port list
 * with the one it last saw, every PORT_POLL_MS, and tells each controller
 * that wants it (async configuration) which ports were added, deleted or
 * modified (name, address, config, state — link up/down —, speed). The first
 * look after the datapath starts only takes the snapshot: a controller learns
 * the ports from PORT_DESC. */
#define LOG_PREFIX "openflow/ports: "
#include <stdlib.h>
#include <string.h>

#include "iovs_log.h"
#include "ofl_agent_priv.h"
#include "ofl_wire.h"

#define PORT_POLL_MS 100u

static int
cmp_port_no(const void *a, const void *b)
{
	uint32_t x = ((const struct ofl_port *)a)->port_no,
		 y = ((const struct ofl_port *)b)->port_no;

	return x < y ? -1 : x > y;
}

static void
send_status(struct dp *dp, uint8_t reason, const struct ofl_port *p)
{
	for (unsigned i = 0; i < dp->n_peers; i++) {
		struct peer *pe = dp->peers[i];
		struct ofl_msg *m;

		if (!ofl_conn_async_wants(pe->c, OFL_ASYNC_PORT_STATUS, reason))
			continue;
		m = ofl_reply_init(pe, OFPT_PORT_STATUS, 0);
		m->port_status.reason = reason;
		m->port_status.desc = *p;
		ofl_conn_send_msg(pe->c, m);
	}
}

void
ofl_ports_run(struct dp *dp, uint64_t now_ms)
{
	struct ofl_port *cur = dp->a->ports;
	unsigned i = 0, j = 0;
	int n;

	if (dp->ops == NULL || dp->ops->port_list == NULL || now_ms < dp->next_port_poll_ms)
		return;
	dp->next_port_poll_ms = now_ms + PORT_POLL_MS;
	if (dp->known == NULL && (dp->known = calloc(MAX_PORTS, sizeof(*dp->known))) == NULL)
		return;
	n = dp->ops->port_list(dp->sw, cur, MAX_PORTS);
	if (n < 0)
		return;
	if (n > MAX_PORTS)
		n = MAX_PORTS;
	qsort(cur, (size_t)n, sizeof(*cur), cmp_port_no);
	if (dp->ports_seen) /* a merge of two sorted lists */
		while (i < dp->n_known || j < (unsigned)n) {
			const struct ofl_port *k = i < dp->n_known ? &dp->known[i] : NULL;
			const struct ofl_port *c = j < (unsigned)n ? &cur[j] : NULL;

			if (c == NULL || (k != NULL && k->port_no < c->port_no)) {
				send_status(dp, OFPPR_DELETE, k);
				i++;
			} else if (k == NULL || c->port_no < k->port_no) {
				send_status(dp, OFPPR_ADD, c);
				j++;
			} else {
				if (memcmp(k, c, sizeof(*k)) != 0)
					send_status(dp, OFPPR_MODIFY, c);
				i++;
				j++;
			}
		}
	memcpy(dp->known, cur, (size_t)n * sizeof(*cur));
	dp->n_known = (unsigned)n;
	dp->ports_seen = true;
}
