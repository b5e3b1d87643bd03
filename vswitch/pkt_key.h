/* Packet key extraction: the fields the forwarding decision looks at, read once
 * from the frame. Pure (no DPDK) so it can be fuzzed. Today: Ethernet and one
 * 802.1Q tag; the OpenFlow pipeline extends the key with L3/L4 fields. */
#ifndef VSW_PKT_KEY_H
#define VSW_PKT_KEY_H

#include <stdbool.h>
#include <stdint.h>

#define VSW_ETH_HLEN	 14
#define VSW_VLAN_HLEN	 4
#define VSW_ETHTYPE_VLAN 0x8100

struct vsw_pkt_key {
	uint8_t dst[6];
	uint8_t src[6];
	bool tagged;	    /* an 802.1Q tag follows the source address */
	uint16_t tci;	    /* the tag's TCI (PCP, DEI, VID) when tagged, else 0 */
	uint16_t ethertype; /* after the tag, host order */
	uint16_t l3_ofs;    /* offset of what follows the Ethernet header(s) */
};

/* Returns 0, or -EINVAL when 'len' cannot hold the headers it announces. */
int vsw_pkt_key_extract(const uint8_t *data, uint32_t len, struct vsw_pkt_key *key);

static inline uint16_t
vsw_pkt_key_vid(const struct vsw_pkt_key *key)
{
	return key->tci & 0x0fff;
}

static inline bool
vsw_mac_is_group(const uint8_t mac[6])
{
	return mac[0] & 1;
}

#endif
