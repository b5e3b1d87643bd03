/* OpenFlow bridges (vsw_of.h): the pipeline a bridge gets when OpenFlow is
 * configured on it, published in the datapath snapshot (dp.c) for the PMDs
 * (pmd_openflow.c), and the packet-in / packet-out rings the OpenFlow thread
 * uses. */
#define LOG_PREFIX "vswitch/openflow: "
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_malloc.h>

#include "iovs_log.h"
#include "vsw_of_priv.h"

static const char *const drop_names[VSW_OF_DROP__MAX] = {
	[VSW_PL_DROP_TABLE_MISS] = "table_miss", [VSW_PL_DROP_NO_OUTPUT] = "no_output",
	[VSW_PL_DROP_METER] = "meter",		 [VSW_PL_DROP_TTL] = "ttl",
	[VSW_PL_DROP_NO_MBUF] = "no_mbuf",	 [VSW_PL_DROP_GROUP] = "group",
	[VSW_OF_DROP_NO_PORT] = "no_port",	 [VSW_OF_DROP_PIN_FULL] = "pin_full",
	[VSW_OF_DROP_VLAN_MBUF] = "vlan_mbuf",
};

const char *
vsw_of_drop_name(unsigned reason)
{
	return reason < VSW_OF_DROP__MAX ? drop_names[reason] : "?";
}

static void
ring_drain_free(struct rte_ring *r, bool pout)
{
	void *obj;

	if (r == NULL)
		return;
	while (rte_ring_dequeue(r, &obj) == 0) {
		if (pout) {
			struct vsw_of_pout *po = obj;

			rte_pktmbuf_free(po->m);
			free(po->prog);
			free(po);
		} else {
			rte_pktmbuf_free(obj);
		}
	}
	rte_ring_free(r);
}

void
vsw_of_destroy(struct vsw_of *of)
{
	unsigned i;

	if (of == NULL)
		return;
	ring_drain_free(of->pin, false);
	ring_drain_free(of->pout, true);
	ring_drain_free(of->pout_done, true);
	for (i = 0; of->pmd != NULL && i < of->n_pmds; i++)
		vsw_pl_ctx_fini(&of->pmd[i].ctx);
	rte_free(of->pmd);
	vsw_pl_destroy(of->pl);
	free(of);
}

static int
of_create(struct vsw *sw, struct vsw_bridge *br, struct vsw_of **out, struct iovs_err *err)
{
	struct vsw_pl_config pc = {
		.n_pmds = sw->n_pmds ? sw->n_pmds : 1,
		.qs = sw->qs,
		.local_port = VSW_ACT_PORT_ANY,
	};
	struct vsw_of *of = calloc(1, sizeof(*of));
	char name[RTE_RING_NAMESIZE];
	unsigned i;
	int rc;

	if (of == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory");
	of->sw = sw;
	of->bridge_idx = br->idx;
	of->n_pmds = pc.n_pmds;
	of->pin_wake_fd = -1;
	rc = vsw_pl_create(&pc, &of->pl);
	if (rc != 0)
		goto err;
	of->pmd = rte_zmalloc("vsw_of_pmd", of->n_pmds * sizeof(of->pmd[0]), RTE_CACHE_LINE_SIZE);
	rc = -ENOMEM;
	if (of->pmd == NULL)
		goto err;
	for (i = 0; i < of->n_pmds; i++) {
		rc = vsw_pl_ctx_init(&of->pmd[i].ctx, of->pl, i, sw->mp, true);
		if (rc != 0)
			goto err;
	}
	/* Ring names are global to the process: the bridge's index and a counter. */
	static unsigned gen;
	gen++;
	snprintf(name, sizeof(name), "ofpin%u_%u", br->idx, gen);
	of->pin = rte_ring_create(name, VSW_OF_PIN_RING, SOCKET_ID_ANY, RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "ofpo%u_%u", br->idx, gen);
	of->pout = rte_ring_create(name, VSW_OF_POUT_RING, SOCKET_ID_ANY,
				   RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "ofpd%u_%u", br->idx, gen);
	of->pout_done = rte_ring_create(name, VSW_OF_POUT_RING, SOCKET_ID_ANY,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
	rc = -ENOMEM;
	if (of->pin == NULL || of->pout == NULL || of->pout_done == NULL)
		goto err;
	*out = of;
	return 0;
err:
	vsw_of_destroy(of);
	return iovs_errf(err, rc, "bridge %s: cannot create its OpenFlow pipeline: %s",
			 br->conf.name, strerror(-rc));
}

int
vsw_bridge_openflow_enable(struct vsw *sw, const char *bridge, struct vsw_of **out,
			   struct iovs_err *err)
{
	struct vsw_bridge *br = vsw_bridge_find(sw, bridge);
	struct vsw_of *of = NULL;
	int rc;

	if (br == NULL)
		return iovs_errf(err, -ENOENT, "no bridge named %s", bridge);
	if (br->of != NULL) {
		*out = br->of;
		return 0;
	}
	rc = of_create(sw, br, &of, err);
	if (rc != 0)
		return rc;
	br->of = of;
	rc = vsw_dp_publish(sw);
	if (rc != 0) {
		br->of = NULL;
		vsw_of_destroy(of);
		return iovs_errf(err, rc, "bridge %s: cannot publish", bridge);
	}
	LOG_INFO("bridge %s: OpenFlow pipeline on", bridge);
	*out = of;
	return 0;
}

int
vsw_bridge_openflow_disable(struct vsw *sw, const char *bridge)
{
	struct vsw_bridge *br = vsw_bridge_find(sw, bridge);
	struct vsw_of *of;
	int rc;

	if (br == NULL || br->of == NULL)
		return -ENOENT;
	of = br->of;
	br->of = NULL;
	rc = vsw_dp_publish(sw); /* waits for every PMD: none can use 'of' after */
	if (rc != 0) {
		br->of = of;
		return rc;
	}
	vsw_of_destroy(of);
	LOG_INFO("bridge %s: OpenFlow pipeline off (learning bridge)", bridge);
	return 0;
}

struct vsw_pl *
vsw_of_pipeline(const struct vsw_of *of)
{
	return of->pl;
}

void
vsw_of_reap(struct vsw_of *of)
{
	void *obj;

	while (rte_ring_dequeue(of->pout_done, &obj) == 0) {
		struct vsw_of_pout *po = obj;

		rte_pktmbuf_free(po->m); /* NULL once sent */
		free(po->prog);
		free(po);
	}
}

int
vsw_of_packet_out(struct vsw_of *of, uint32_t in_port, const uint8_t *frame, size_t len,
		  struct vsw_act_prog *prog)
{
	struct vsw_of_pout *po;
	struct rte_mbuf *m;
	char *p;

	vsw_of_reap(of);
	if (len > (size_t)rte_pktmbuf_data_room_size(of->sw->mp) - RTE_PKTMBUF_HEADROOM) {
		free(prog);
		return -EMSGSIZE;
	}
	po = malloc(sizeof(*po));
	m = rte_pktmbuf_alloc(of->sw->mp);
	p = m != NULL ? rte_pktmbuf_append(m, (uint16_t)len) : NULL;
	if (po == NULL || p == NULL) {
		rte_pktmbuf_free(m);
		free(po);
		free(prog);
		return -ENOMEM;
	}
	memcpy(p, frame, len);
	po->m = m;
	po->in_port = in_port;
	po->prog = prog;
	if (rte_ring_enqueue(of->pout, po) != 0) {
		rte_pktmbuf_free(m);
		free(prog);
		free(po);
		return -ENOBUFS;
	}
	return 0;
}

void
vsw_of_packet_in_wake(struct vsw_of *of, int fd)
{
	__atomic_store_n(&of->pin_wake_fd, fd, __ATOMIC_RELEASE);
}

/* The ring is empty: arm the wake-up (vsw_of_packet_in_wake). A PMD that
 * queued between our last dequeue and the arming saw it disarmed: we look
 * at the ring after arming (a full fence on both sides, pmd_openflow.c) and,
 * if something is there and no PMD took the arming, wake ourselves. */
static void
pin_arm(struct vsw_of *of)
{
	int fd = __atomic_load_n(&of->pin_wake_fd, __ATOMIC_ACQUIRE);
	uint64_t one = 1;

	if (fd < 0)
		return;
	__atomic_store_n(&of->pin_armed, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!rte_ring_empty(of->pin) && __atomic_exchange_n(&of->pin_armed, 0, __ATOMIC_ACQ_REL))
		if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			LOG_RL_WARN("packet-in wake-up: %s", strerror(errno));
}

unsigned
vsw_of_packet_in_poll(struct vsw_of *of, void (*fn)(void *arg, const struct vsw_of_pin *),
		      void *arg, unsigned max)
{
	static uint8_t buf[65536]; /* the OpenFlow thread's (the one caller) */
	unsigned n = 0;
	void *obj;

	vsw_of_reap(of);
	while (n < max && rte_ring_dequeue(of->pin, &obj) == 0) {
		struct rte_mbuf *m = obj;
		struct vsw_of_pin_hdr h;
		struct vsw_of_pin pin;
		uint32_t len = rte_pktmbuf_pkt_len(m);
		const void *d;

		n++;
		if (len < sizeof(h) || len - sizeof(h) > sizeof(buf)) {
			rte_pktmbuf_free(m);
			continue;
		}
		memcpy(&h, rte_pktmbuf_read(m, 0, sizeof(h), buf), sizeof(h));
		d = rte_pktmbuf_read(m, sizeof(h), len - (uint32_t)sizeof(h), buf);
		pin = (struct vsw_of_pin){
			.reason = h.reason,
			.table_id = h.table_id,
			.max_len = h.max_len,
			.in_port = h.in_port,
			.cookie = h.cookie,
			.metadata = h.metadata,
			.data = d,
			.len = len - (uint32_t)sizeof(h),
		};
		fn(arg, &pin);
		rte_pktmbuf_free(m);
	}
	if (n < max)
		pin_arm(of);
	return n;
}

void
vsw_of_get_stats(const struct vsw_of *of, struct vsw_of_stats *st)
{
	unsigned i, j;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < of->n_pmds; i++) {
		const struct vsw_of_pmd *p = &of->pmd[i];

		for (j = 0; j < VSW_OF_DROP__MAX; j++)
			st->drops[j] += vsw_stat_read(&p->drops[j]);
		for (j = 0; j < VSW_PL_TABLES; j++) {
			st->lookups[j] += vsw_stat_read(&p->ctx.lookups[j]);
			st->matched[j] += vsw_stat_read(&p->ctx.matched[j]);
		}
		st->packet_in += vsw_stat_read(&p->packet_in);
		st->packet_out += vsw_stat_read(&p->packet_out);
	}
}
