/* libFuzzer target: flow key extraction (vswitch/flow_key.c) over arbitrary
 * frames. Checks what must hold for any input: no over-read (ASan), pad fields
 * 0, 'parse' consistent with the fields, a deterministic result, and agreement
 * with the learning bridge's vsw_pkt_key_extract() where the two overlap. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow_key.h"
#include "pkt_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void
check_key(const struct vsw_flow_key *k)
{
	if (k->pad0 || k->pad1 || k->pad2 || k->pad3 || k->pad4 || k->metadata)
		__builtin_trap();
	if (!(k->parse & VSW_FLOW_P_IPV4) && (k->ipv4_src || k->ipv4_dst || k->icmpv4_type))
		__builtin_trap();
	if (!(k->parse & VSW_FLOW_P_IPV6) &&
	    (!is_zero(k->ipv6_src, 16) || !is_zero(k->ipv6_dst, 16) || k->icmpv6_type))
		__builtin_trap();
	if (!(k->parse & (VSW_FLOW_P_IPV4 | VSW_FLOW_P_IPV6)) &&
	    (k->ip_proto || k->ip_dscp || k->ip_ecn || k->nw_frag))
		__builtin_trap();
	if (!(k->parse & VSW_FLOW_P_L4) && (k->tp_src || k->tp_dst))
		__builtin_trap();
	if ((k->nw_frag & VSW_FLOW_FRAG_LATER) && (k->parse & VSW_FLOW_P_L4))
		__builtin_trap(); /* no L4 in a later fragment */
	if (!(k->parse & VSW_FLOW_P_ND) &&
	    (!is_zero(k->nd_target, 16) || !is_zero(k->nd_sll, 6) || !is_zero(k->nd_tll, 6)))
		__builtin_trap();
	if (!(k->parse & VSW_FLOW_P_ARP) && (k->arp_op || k->arp_spa || k->arp_tpa))
		__builtin_trap();
	if ((k->vlan_vid & ~VSW_FLOW_VID_MASK) || (k->vlan2_vid && !k->vlan_vid) ||
	    k->vlan_pcp > 7 || k->ip_dscp > 63 || k->ip_ecn > 3)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsw_flow_key k, k2;
	struct vsw_pkt_key pk;
	uint8_t *copy;
	int ret, pret;

	if (size > 65535)
		return 0;
	/* An exact-size heap copy: ASan sees a read one byte past the frame. */
	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	ret = vsw_flow_key_extract(copy, (uint32_t)size, 3, &k);
	if ((ret != 0) != (size < 14) || k.in_port != 3)
		__builtin_trap();
	if (ret == 0) {
		check_key(&k);
		if (vsw_flow_key_extract(copy, (uint32_t)size, 3, &k2) != 0 ||
		    memcmp(&k, &k2, sizeof(k)) != 0)
			__builtin_trap();
	}
	pret = vsw_pkt_key_extract(copy, (uint32_t)size, &pk);
	if (pret == 0) {
		uint16_t type = pk.ethertype < 0x0600 ? VSW_FLOW_ETH_NONE : pk.ethertype;

		if (ret != 0 || memcmp(k.eth_dst, pk.dst, 6) || memcmp(k.eth_src, pk.src, 6))
			__builtin_trap();
		if (pk.tagged && (k.vlan_vid != (VSW_FLOW_VID_PRESENT | vsw_pkt_key_vid(&pk)) ||
				  k.vlan_pcp != pk.tci >> 13))
			__builtin_trap();
		if (!pk.tagged && pk.ethertype != 0x88a8 && (k.vlan_vid || k.eth_type != type))
			__builtin_trap();
		if (pk.tagged && pk.ethertype != 0x8100 && pk.ethertype != 0x88a8 &&
		    k.eth_type != type)
			__builtin_trap();
	} else if (ret == 0 && !(k.parse & VSW_FLOW_P_TRUNC)) {
		__builtin_trap(); /* pkt_key refuses only short frames and tags */
	}
	free(copy);
	return 0;
}
