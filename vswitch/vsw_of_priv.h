/* Layouts shared by of_bridge.c (control and OpenFlow threads) and
 * pmd_openflow.c (PMDs). */
#ifndef VSW_OF_PRIV_H
#define VSW_OF_PRIV_H

#include <rte_ring.h>

#include "vsw_of.h"
#include "vsw_priv.h"

/* In front of a packet-in's frame (prepended by the PMD). */
struct vsw_of_pin_hdr {
	uint64_t cookie;
	uint64_t metadata;
	uint32_t in_port;
	uint16_t max_len;
	uint8_t reason;
	uint8_t table_id;
	uint64_t pad;
};
_Static_assert(sizeof(struct vsw_of_pin_hdr) == 32, "a packet-in header is 32 bytes");

struct vsw_of_pout {
	struct rte_mbuf *m; /* NULL once sent */
	uint32_t in_port;
	struct vsw_act_prog *prog;
};

/* Per PMD: its pipeline context and counters (written by that PMD only). */
struct vsw_of_pmd {
	struct vsw_pl_ctx ctx;
	uint64_t drops[VSW_OF_DROP__MAX];
	uint64_t packet_in, packet_out;
} __rte_cache_aligned;

struct vsw_of {
	struct vsw *sw;
	unsigned bridge_idx;
	struct vsw_pl *pl;
	struct rte_ring *pin;	    /* PMDs → OpenFlow thread (MP/SC) */
	struct rte_ring *pout;	    /* OpenFlow thread → PMD 0 (SP/SC) */
	struct rte_ring *pout_done; /* PMD 0 → OpenFlow thread (SP/SC) */
	unsigned n_pmds;
	struct vsw_of_pmd *pmd; /* [n_pmds] */
	/* Packet-in wake-up (vsw_of_packet_in_wake): an eventfd, -1 for none,
	 * and 'armed', set by the OpenFlow thread when it found the ring empty,
	 * taken (exchanged to 0) by the one PMD that writes the eventfd. */
	int pin_wake_fd;
	uint32_t pin_armed;
};

#endif
