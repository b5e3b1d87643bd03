/* Packet key extraction (pkt_key.h): bounds-checked reads of the Ethernet and
 * 802.1Q headers. Called by the PMD for every received frame; fuzzed by
 * tests/fuzz/fuzz_pkt_key.c. */
#include "pkt_key.h"

#include <errno.h>
#include <string.h>

static inline uint16_t
be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int
vsw_pkt_key_extract(const uint8_t *data, uint32_t len, struct vsw_pkt_key *key)
{
	uint16_t type;

	if (len < VSW_ETH_HLEN)
		return -EINVAL;
	memcpy(key->dst, data, 6);
	memcpy(key->src, data + 6, 6);
	type = be16_at(data + 12);
	key->l3_ofs = VSW_ETH_HLEN;
	key->tagged = false;
	key->tci = 0;
	if (type == VSW_ETHTYPE_VLAN) {
		if (len < VSW_ETH_HLEN + VSW_VLAN_HLEN)
			return -EINVAL;
		key->tagged = true;
		key->tci = be16_at(data + 14);
		type = be16_at(data + 16);
		key->l3_ofs += VSW_VLAN_HLEN;
	}
	key->ethertype = type;
	return 0;
}
