/* An OpenFlow bridge: a bridge whose frames go through an OpenFlow pipeline
 * (pipeline.h) instead of the learning bridge, which becomes the NORMAL
 * action. Included by iovsd (control thread) and reached through it by the
 * OpenFlow thread (openflow/).
 *
 * Threads. vsw_bridge_openflow_enable/disable: control thread (they publish a
 * new datapath snapshot and wait for the PMDs). The pipeline returned by
 * vsw_of_pipeline() has one writer, the OpenFlow thread (pipeline.h). The
 * packet-out, packet-in and stats calls below are for that one thread too;
 * they never wait for a PMD:
 *  - packet-out: the frame is copied into an mbuf and queued with its compiled
 *    actions on a ring PMD 0 drains once per iteration (vsw_pl_packet_out with
 *    PMD 0's tx batches); PMD 0 hands the request back on a second ring and
 *    the OpenFlow thread frees the program there (vsw_of_reap).
 *  - packet-in: PMDs put the packet (an mbuf with a 32-byte header in front:
 *    reason, table, cookie, in_port, metadata, max_len) on a multi-producer
 *    ring; the OpenFlow thread drains it (vsw_of_packet_in_poll). A full ring
 *    drops the packet (counted: pin_full).
 * The object lives from enable to disable (or the bridge's deletion); the
 * caller stops using it (OpenFlow datapath removed) before either. */
#ifndef VSW_OF_H
#define VSW_OF_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"
#include "vsw.h"

#define VSW_OF_PIN_RING	 1024
#define VSW_OF_POUT_RING 256

struct vsw_of;

/* Gives bridge 'bridge' an OpenFlow pipeline (or returns the one it has) and
 * publishes it: from then on its ports' frames go through the pipeline. */
int vsw_bridge_openflow_enable(struct vsw *sw, const char *bridge, struct vsw_of **out,
			       struct iovs_err *err);
/* Back to the learning bridge; frees the pipeline. -ENOENT: none. */
int vsw_bridge_openflow_disable(struct vsw *sw, const char *bridge);

struct vsw_pl *vsw_of_pipeline(const struct vsw_of *of);

/* Queues 'frame' for the actions 'prog' (compiled for a packet-out; owned by
 * the request from here on, on every path) as if received on 'in_port'.
 * Returns 0, -EMSGSIZE (larger than an mbuf), -ENOMEM, -ENOBUFS (ring full). */
int vsw_of_packet_out(struct vsw_of *of, uint32_t in_port, const uint8_t *frame, size_t len,
		      struct vsw_act_prog *prog);
/* Frees the programs of executed packet-outs. */
void vsw_of_reap(struct vsw_of *of);

struct vsw_of_pin {
	uint8_t reason; /* enum vsw_pl_pin_reason */
	uint8_t table_id;
	uint16_t max_len;
	uint32_t in_port;
	uint64_t cookie, metadata;
	const uint8_t *data; /* the whole frame, valid during the callback */
	uint32_t len;
};
/* Has the PMDs write 1 to eventfd 'fd' (-1: none) when they queue a
 * packet-in while the OpenFlow thread waits for one: vsw_of_packet_in_poll
 * arms it when it empties the ring, and the first PMD that queues one
 * afterwards disarms it and writes: one write per drain, none while the
 * thread is busy draining. Call before the thread polls. */
void vsw_of_packet_in_wake(struct vsw_of *of, int fd);
/* Calls fn for at most 'max' queued packet-ins; returns how many. */
unsigned vsw_of_packet_in_poll(struct vsw_of *of, void (*fn)(void *arg, const struct vsw_of_pin *),
			       void *arg, unsigned max);

enum vsw_of_drop {
	/* enum vsw_pl_drop first */
	VSW_OF_DROP_NO_PORT = VSW_PL_DROP__MAX, /* output to a port the bridge does not have */
	VSW_OF_DROP_PIN_FULL,			/* packet-in ring full */
	VSW_OF_DROP_VLAN_MBUF,			/* no room to re-insert a stripped tag */
	VSW_OF_DROP__MAX
};
const char *vsw_of_drop_name(unsigned reason);

struct vsw_of_stats {
	uint64_t drops[VSW_OF_DROP__MAX];
	uint64_t lookups[VSW_PL_TABLES], matched[VSW_PL_TABLES];
	uint64_t packet_in, packet_out;
};
/* Sums over the PMDs (relaxed reads). Any thread. */
void vsw_of_get_stats(const struct vsw_of *of, struct vsw_of_stats *st);

#endif
