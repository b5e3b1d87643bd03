/* The learning bridge: OpenFlow's NORMAL action (fast path). For each received
 * frame: VLAN admission on the ingress port (vlan.c), MAC learning and lookup
 * (fdb.c), then output to the learned port or a flood over the bridge's members,
 * with the 802.1Q push/pop/rewrite each output port needs, into the PMD's tx
 * batches (pmd.c). The pipeline of a later issue will call vsw_bridge_normal(). */
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "vlan.h"
#include "vsw_priv.h"

/* Makes the frame's tag match what 'out' expects for 'vlan'; false if the
 * frame cannot be edited (no headroom). A frame with pending offload work
 * keeps l2_len pointing at its IP header (vswitch/offload.h). */
static inline __attribute__((always_inline)) bool
vlan_edit(struct rte_mbuf *m, bool tagged, uint16_t tci, enum vsw_vlan_out how)
{
	bool work = (m->ol_flags & VSW_OFFLOAD_TX_WORK) != 0;
	uint8_t *p;

	if (how == VSW_VLAN_OUT_UNTAGGED) {
		if (!tagged)
			return true;
		p = rte_pktmbuf_mtod(m, uint8_t *);
		memmove(p + VSW_VLAN_HLEN, p, 12);
		if (rte_pktmbuf_adj(m, VSW_VLAN_HLEN) == NULL)
			return false;
		/* Shorter than a tagged header: the metadata was wrong already,
		 * and the output's offload check refuses it. */
		if (unlikely(work) && m->l2_len >= RTE_ETHER_HDR_LEN + VSW_VLAN_HLEN)
			m->l2_len -= VSW_VLAN_HLEN;
		return true;
	}
	if (tagged) {
		p = rte_pktmbuf_mtod(m, uint8_t *);
		*(rte_be16_t *)(p + 14) = rte_cpu_to_be_16(tci);
		return true;
	}
	p = (uint8_t *)rte_pktmbuf_prepend(m, VSW_VLAN_HLEN);
	if (p == NULL)
		return false;
	memmove(p, p + VSW_VLAN_HLEN, 12);
	*(rte_be16_t *)(p + 12) = rte_cpu_to_be_16(VSW_ETHTYPE_VLAN);
	*(rte_be16_t *)(p + 14) = rte_cpu_to_be_16(tci);
	if (unlikely(work))
		m->l2_len += VSW_VLAN_HLEN;
	return true;
}

/* Sends 'm' (owned) to 'out' on 'vlan', tagged as 'how' says (not NONE).
 * 'key' describes m's current tags. */
static inline __attribute__((always_inline)) void
output_how(struct vsw_pmd *pmd, struct vsw_port *out, struct rte_mbuf *m,
	   const struct vsw_pkt_key *key, uint16_t vlan, enum vsw_vlan_out how)
{
	/* Keep the priority bits the frame came with. */
	uint16_t tci = (uint16_t)((key->tci & 0xf000) | vlan);

	if (!vlan_edit(m, key->tagged, tci, how)) {
		vsw_pmd_drop(pmd, out, VSW_DROP_NO_MBUF, m);
		return;
	}
	vsw_pmd_enqueue(pmd, out, m);
}

/* Sends 'm' (owned) to 'out' on 'vlan'. 'key' describes m's current tags. */
static void
output(struct vsw_pmd *pmd, struct vsw_port *in, struct vsw_port *out, struct rte_mbuf *m,
       const struct vsw_pkt_key *key, uint16_t vlan)
{
	enum vsw_vlan_out how = vsw_vlan_egress(&out->conf.vlan, vlan);

	if (how == VSW_VLAN_OUT_NONE) {
		vsw_pmd_drop(pmd, in, VSW_DROP_NO_ROUTE, m);
		return;
	}
	output_how(pmd, out, m, key, vlan, how);
}

/* The outputs of a flood from one input port on one VLAN, with how each
 * tags: computed at the burst's first flood on that VLAN and kept for the
 * rest of the burst (the snapshot and the ports' configuration cannot change
 * within it). */
struct flood_set {
	int vlan; /* -1: nothing computed yet */
	unsigned n;
	struct vsw_port *out[VSW_MAX_PORTS];
	enum vsw_vlan_out how[VSW_MAX_PORTS];
};

static void
flood_set_fill(struct flood_set *fs, const struct vsw_dp *dp, const struct vsw_port *in,
	       uint16_t vlan)
{
	const uint16_t *slots = dp->members[in->bridge->idx].slots;
	uint16_t n = dp->members[in->bridge->idx].n;
	unsigned i;

	fs->vlan = vlan;
	fs->n = 0;
	for (i = 0; i < n; i++) {
		struct vsw_port *out = dp->ports[slots[i]];
		enum vsw_vlan_out how;

		if (out == in)
			continue;
		how = vsw_vlan_egress(&out->conf.vlan, vlan);
		if (how == VSW_VLAN_OUT_NONE)
			continue;
		fs->out[fs->n] = out;
		fs->how[fs->n] = how;
		fs->n++;
	}
}

static inline __attribute__((always_inline)) void
flood(struct vsw_pmd *pmd, const struct vsw_dp *dp, struct vsw_port *in, struct rte_mbuf *m,
      const struct vsw_pkt_key *key, uint16_t vlan, struct flood_set *fs)
{
	unsigned i;

	if (unlikely(fs->vlan != (int)vlan))
		flood_set_fill(fs, dp, in, vlan);
	if (unlikely(fs->n == 0)) {
		vsw_pmd_drop(pmd, in, VSW_DROP_NO_ROUTE, m);
		return;
	}
	/* Each output may edit its copy's tag, so all but the last get a deep copy
	 * (rte_pktmbuf_copy keeps ol_flags and the length fields: pending offload
	 * work goes with each copy, and each output may write its own). */
	for (i = 0; i + 1 < fs->n; i++) {
		struct rte_mbuf *c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);

		if (c == NULL) {
			vsw_stat_add(&fs->out[i]->pmd_stats[pmd->idx].drops[VSW_DROP_NO_MBUF], 1);
			continue;
		}
		output_how(pmd, fs->out[i], c, key, vlan, fs->how[i]);
	}
	output_how(pmd, fs->out[fs->n - 1], m, key, vlan, fs->how[fs->n - 1]);
}

/* NORMAL for one frame whose key is known. */
static inline __attribute__((always_inline)) void
bridge_normal(struct vsw_pmd *pmd, const struct vsw_dp *dp, struct vsw_port *in, struct rte_mbuf *m,
	      const struct vsw_pkt_key *key, int vlan, uint64_t now_ms, struct flood_set *fs)
{
	struct vsw_bridge *br = in->bridge;
	int slot;

	if (vlan < 0) {
		vsw_pmd_drop(pmd, in, VSW_DROP_VLAN, m);
		return;
	}
	if (br->conf.no_learning) { /* a hub */
		flood(pmd, dp, in, m, key, (uint16_t)vlan, fs);
		return;
	}
	if (!vsw_mac_is_group(key->src))
		vsw_fdb_learn(br->fdb, key->src, (uint16_t)vlan, in->slot, now_ms);
	if (!vsw_mac_is_group(key->dst)) {
		slot = vsw_fdb_lookup(br->fdb, key->dst, (uint16_t)vlan, now_ms);
		if (slot >= 0) {
			struct vsw_port *out = dp->ports[slot];

			/* A stale entry may name a port that left or another bridge. */
			if (out != NULL && out->bridge == br) {
				if (out == in)
					vsw_pmd_drop(pmd, in, VSW_DROP_NO_ROUTE, m);
				else
					output(pmd, in, out, m, key, (uint16_t)vlan);
				return;
			}
		}
	}
	flood(pmd, dp, in, m, key, (uint16_t)vlan, fs);
}

/* Whether a hub may forward 'm' as an untagged frame without looking further:
 * no tag beside it (RX_VLAN_STRIPPED), none in it, a whole Ethernet header. */
static inline bool
hub_plain_frame(const struct rte_mbuf *m)
{
	rte_be16_t type;

	if (unlikely(m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) ||
	    unlikely(rte_pktmbuf_data_len(m) < VSW_ETH_HLEN))
		return false;
	memcpy(&type, rte_pktmbuf_mtod_offset(m, const uint8_t *, 12), sizeof(type));
	return type != rte_cpu_to_be_16(VSW_ETHTYPE_VLAN);
}

/* A hub whose untagged frames go to exactly one port, untagged (two ports on
 * one VLAN: the benchmark's bridge): the leading plain frames of the burst go
 * to its tx batch as they are. Returns how many it took; the caller does the
 * rest frame by frame. Fills 'fs' for 'vlan'. */
static uint16_t
hub_burst(struct vsw_pmd *pmd, const struct vsw_dp *dp, struct vsw_port *in, struct rte_mbuf **pkts,
	  uint16_t n, uint16_t vlan, struct flood_set *fs)
{
	uint16_t i;

	flood_set_fill(fs, dp, in, vlan);
	if (fs->n != 1 || fs->how[0] != VSW_VLAN_OUT_UNTAGGED)
		return 0;
	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (!hub_plain_frame(pkts[i]))
			break;
	}
	vsw_pmd_enqueue_burst(pmd, fs->out[0], pkts, i);
	return i;
}

void
vsw_bridge_input(struct vsw_pmd *pmd, const struct vsw_dp *dp, struct vsw_port *in,
		 struct rte_mbuf **pkts, uint16_t n, uint64_t now_ms)
{
	/* What a hub needs of an untagged frame: that it is one, no addresses. */
	static const struct vsw_pkt_key untagged = {.tagged = false, .tci = 0};
	struct vsw_pkt_key key;
	struct flood_set fs;
	/* The VLAN of untagged frames on 'in' (-1: dropped), once per burst. */
	int untagged_vlan = vsw_vlan_ingress(&in->conf.vlan, false, 0);
	bool hub = in->bridge->conf.no_learning && untagged_vlan >= 0;
	uint16_t i;

	fs.vlan = -1;
	i = hub ? hub_burst(pmd, dp, in, pkts, n, (uint16_t)untagged_vlan, &fs) : 0;
	for (; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		/* Some drivers (af_packet: the kernel moves tags to metadata) deliver
		 * the tag beside the frame; the bridge works on frames as on the wire. */
		if (unlikely(m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED)) {
			m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
			if (rte_vlan_insert(&m) != 0) {
				vsw_pmd_drop(pmd, in, VSW_DROP_NO_MBUF, m);
				continue;
			}
		}
		/* A hub floods an untagged frame on the port's VLAN whatever its
		 * addresses: one look at the ethertype instead of the whole key. */
		if (hub && hub_plain_frame(m)) {
			flood(pmd, dp, in, m, &untagged, (uint16_t)untagged_vlan, &fs);
			continue;
		}
		if (vsw_pkt_key_extract(rte_pktmbuf_mtod(m, const uint8_t *),
					rte_pktmbuf_data_len(m), &key) != 0) {
			vsw_pmd_drop(pmd, in, VSW_DROP_MALFORMED, m);
			continue;
		}
		bridge_normal(pmd, dp, in, m, &key,
			      likely(!key.tagged) ? untagged_vlan
						  : vsw_vlan_ingress(&in->conf.vlan, true,
								     vsw_pkt_key_vid(&key)),
			      now_ms, &fs);
	}
}
