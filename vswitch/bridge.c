/* The learning bridge: OpenFlow's NORMAL action (fast path). For each received
 * frame: VLAN admission on the ingress port (vlan.c), MAC learning and lookup
 * (fdb.c), then output to the learned port or a flood over the bridge's members,
 * with the 802.1Q push/pop/rewrite each output port needs, into the PMD's tx
 * batches (pmd.c). The pipeline of a later issue will call vsw_bridge_normal(). */
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "vlan.h"
#include "vsw_priv.h"

/* Makes the frame's tag match what 'out' expects for 'vlan'; false if the
 * frame cannot be edited (no headroom). A frame with pending offload work
 * keeps l2_len pointing at its IP header (vswitch/offload.h). */
static bool
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

/* Sends 'm' (owned) to 'out' on 'vlan'. 'key' describes m's current tags. */
static void
output(struct vsw_pmd *pmd, struct vsw_port *in, struct vsw_port *out, struct rte_mbuf *m,
       const struct vsw_pkt_key *key, uint16_t vlan)
{
	enum vsw_vlan_out how = vsw_vlan_egress(&out->conf.vlan, vlan);
	/* Keep the priority bits the frame came with. */
	uint16_t tci = (uint16_t)((key->tci & 0xf000) | vlan);

	if (how == VSW_VLAN_OUT_NONE) {
		vsw_pmd_drop(pmd, in, VSW_DROP_NO_ROUTE, m);
		return;
	}
	if (!vlan_edit(m, key->tagged, tci, how)) {
		vsw_pmd_drop(pmd, out, VSW_DROP_NO_MBUF, m);
		return;
	}
	vsw_pmd_enqueue(pmd, out, m);
}

static void
flood(struct vsw_pmd *pmd, const struct vsw_dp *dp, struct vsw_port *in, struct rte_mbuf *m,
      const struct vsw_pkt_key *key, uint16_t vlan)
{
	const uint16_t *slots = dp->members[in->bridge->idx].slots;
	uint16_t n = dp->members[in->bridge->idx].n;
	struct vsw_port *outs[VSW_MAX_PORTS];
	unsigned n_out = 0, i;

	for (i = 0; i < n; i++) {
		struct vsw_port *out = dp->ports[slots[i]];

		if (out != in && vsw_vlan_egress(&out->conf.vlan, vlan) != VSW_VLAN_OUT_NONE)
			outs[n_out++] = out;
	}
	if (n_out == 0) {
		vsw_pmd_drop(pmd, in, VSW_DROP_NO_ROUTE, m);
		return;
	}
	/* Each output may edit its copy's tag, so all but the last get a deep copy
	 * (rte_pktmbuf_copy keeps ol_flags and the length fields: pending offload
	 * work goes with each copy, and each output may write its own). */
	for (i = 0; i + 1 < n_out; i++) {
		struct rte_mbuf *c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);

		if (c == NULL) {
			vsw_stat_add(&outs[i]->pmd_stats[pmd->idx].drops[VSW_DROP_NO_MBUF], 1);
			continue;
		}
		output(pmd, in, outs[i], c, key, vlan);
	}
	output(pmd, in, outs[n_out - 1], m, key, vlan);
}

/* NORMAL for one frame whose key is known. */
static void
bridge_normal(struct vsw_pmd *pmd, const struct vsw_dp *dp, struct vsw_port *in, struct rte_mbuf *m,
	      const struct vsw_pkt_key *key, uint64_t now_ms)
{
	struct vsw_bridge *br = in->bridge;
	int vlan, slot;

	vlan = vsw_vlan_ingress(&in->conf.vlan, key->tagged, vsw_pkt_key_vid(key));
	if (vlan < 0) {
		vsw_pmd_drop(pmd, in, VSW_DROP_VLAN, m);
		return;
	}
	if (br->conf.no_learning) { /* a hub */
		flood(pmd, dp, in, m, key, (uint16_t)vlan);
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
	flood(pmd, dp, in, m, key, (uint16_t)vlan);
}

void
vsw_bridge_input(struct vsw_pmd *pmd, const struct vsw_dp *dp, struct vsw_port *in,
		 struct rte_mbuf **pkts, uint16_t n, uint64_t now_ms)
{
	struct vsw_pkt_key key;
	uint16_t i;

	for (i = 0; i < n; i++) {
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
		if (vsw_pkt_key_extract(rte_pktmbuf_mtod(m, const uint8_t *),
					rte_pktmbuf_data_len(m), &key) != 0) {
			vsw_pmd_drop(pmd, in, VSW_DROP_MALFORMED, m);
			continue;
		}
		bridge_normal(pmd, dp, in, m, &key, now_ms);
	}
}
