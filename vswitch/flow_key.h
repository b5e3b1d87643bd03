/* Flow keys: every field the OpenFlow-lite pipeline matches, read once from a
 * frame (vsw_flow_key_extract) into a fixed layout. Pure C, no DPDK; unit-tested
 * (flow_key_test.c) and fuzzed (tests/fuzz/fuzz_flow_key.c).
 *
 * Design. A key is VSW_FLOW_KEY_WORDS 64-bit words; a mask is a key whose set
 * bits are the ones a rule (or a cache entry) examines. Matching is a masked
 * word compare, hashing a masked word hash (classifier.c). Fields are grouped
 * by layer into stages (metadata, L2, L3, L4) so that a lookup can stop after
 * the first stage that cannot match and examine nothing beyond it.
 *
 * Values are in host byte order (addresses as byte arrays in wire order), so
 * rules built from OXM fields and keys built from frames compare directly.
 * A field the frame does not carry, or that could not be parsed safely, is 0;
 * 'parse' says what was parsed. Every field has the bit width of its OXM field
 * (ip_dscp is the 6-bit DSCP, not the TOS byte).
 *
 * VLANs. The outer tag is vlan_vid/vlan_pcp, a second tag vlan2_vid/vlan2_pcp.
 * vlan_vid carries VSW_FLOW_VID_PRESENT like OXM VLAN_VID (OpenFlow 1.3
 * §7.2.3.8): mask 0x1fff value 0 = no tag, mask 0x1000 value 0x1000 = any tag,
 * mask 0x1fff value 0x1000|vid = that VID. A third tag is not parsed: eth_type
 * is that tag's TPID and VSW_FLOW_P_VLAN_DEEP is set, so a rule on an L3 field
 * (which, by the OXM prerequisites, also matches eth_type) cannot match. */
#ifndef VSW_FLOW_KEY_H
#define VSW_FLOW_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VSW_FLOW_VID_PRESENT 0x1000 /* OFPVID_PRESENT */
#define VSW_FLOW_VID_MASK    0x1fff
#define VSW_FLOW_ETH_NONE    0x05ff /* eth_type of 802.3 (length) frames, as OVS */

/* 'nw_frag' */
#define VSW_FLOW_FRAG_ANY   0x01 /* a fragment (IPv4 MF or offset, IPv6 fragment header) */
#define VSW_FLOW_FRAG_LATER 0x02 /* not the first fragment: no L4 fields */

/* 'parse': what extraction found. Matchable like any field (a rule may ask
 * for VSW_FLOW_P_L4 so that a truncated header cannot match zero ports). */
#define VSW_FLOW_P_VLAN_DEEP 0x0001 /* a third VLAN tag: L3 not parsed */
#define VSW_FLOW_P_IPV4	     0x0002 /* a valid IPv4 header: ipv4_*, ip_* */
#define VSW_FLOW_P_IPV6	     0x0004 /* a valid IPv6 header (+ extension headers) */
#define VSW_FLOW_P_ARP	     0x0008 /* an Ethernet/IPv4 ARP (or RARP) packet */
#define VSW_FLOW_P_L4	     0x0010 /* a complete TCP/UDP/SCTP/ICMP header */
#define VSW_FLOW_P_ND	     0x0020 /* a neighbor solicitation/advertisement */
#define VSW_FLOW_P_TRUNC     0x0040 /* a header announced but cut short */
#define VSW_FLOW_P_MALFORMED 0x0080 /* a header with an impossible length or option */

struct vsw_flow_key {
	/* Stage 0: metadata (words 0-1). */
	uint64_t metadata;
	uint32_t in_port;
	uint16_t parse; /* VSW_FLOW_P_* */
	uint16_t pad0;

	/* Stage 1: L2 (words 2-4). */
	uint8_t eth_dst[6];
	uint8_t eth_src[6];
	uint16_t eth_type;  /* after the VLAN tags; VSW_FLOW_ETH_NONE for 802.3 */
	uint16_t vlan_vid;  /* outer tag: VSW_FLOW_VID_PRESENT | VID, or 0 */
	uint16_t vlan2_vid; /* second tag, same encoding */
	uint8_t vlan_pcp;
	uint8_t vlan2_pcp;
	uint32_t pad1;

	/* Stage 2: L3 (words 5-13). */
	uint32_t ipv4_src;
	uint32_t ipv4_dst;
	uint8_t ipv6_src[16];
	uint8_t ipv6_dst[16];
	uint8_t ip_proto;
	uint8_t ip_dscp; /* 6 bits */
	uint8_t ip_ecn;	 /* 2 bits */
	uint8_t nw_frag; /* VSW_FLOW_FRAG_* */
	uint16_t arp_op;
	uint16_t pad2;
	uint32_t arp_spa;
	uint32_t arp_tpa;
	uint8_t arp_sha[6];
	uint8_t arp_tha[6];
	uint32_t pad3;

	/* Stage 3: L4 (words 14-18). */
	uint16_t tp_src; /* TCP, UDP or SCTP */
	uint16_t tp_dst;
	uint8_t icmpv4_type;
	uint8_t icmpv4_code;
	uint8_t icmpv6_type;
	uint8_t icmpv6_code;
	uint8_t nd_target[16];
	uint8_t nd_sll[6];
	uint8_t nd_tll[6];
	uint32_t pad4;
};

#define VSW_FLOW_KEY_WORDS  (sizeof(struct vsw_flow_key) / sizeof(uint64_t))
#define VSW_FLOW_KEY_STAGES 4

/* First word of each stage, and the end of the last one. */
#define VSW_FLOW_STAGE_L2  (offsetof(struct vsw_flow_key, eth_dst) / 8)
#define VSW_FLOW_STAGE_L3  (offsetof(struct vsw_flow_key, ipv4_src) / 8)
#define VSW_FLOW_STAGE_L4  (offsetof(struct vsw_flow_key, tp_src) / 8)
#define VSW_FLOW_STAGE_END VSW_FLOW_KEY_WORDS

_Static_assert(sizeof(struct vsw_flow_key) % 8 == 0, "a key is whole words");
_Static_assert(offsetof(struct vsw_flow_key, eth_dst) % 8 == 0, "L2 starts a word");
_Static_assert(offsetof(struct vsw_flow_key, ipv4_src) % 8 == 0, "L3 starts a word");
_Static_assert(offsetof(struct vsw_flow_key, tp_src) % 8 == 0, "L4 starts a word");

/* The words of a key or mask (the struct has no padding: every gap is a named
 * pad field that extraction and masks keep at 0). A word may alias the
 * fields, so word and field accesses to one key are never reordered. */
typedef uint64_t __attribute__((may_alias)) vsw_flow_word;

static inline const vsw_flow_word *
vsw_flow_key_words(const struct vsw_flow_key *k)
{
	return (const vsw_flow_word *)(const void *)k;
}

static inline vsw_flow_word *
vsw_flow_key_words_rw(struct vsw_flow_key *k)
{
	return (vsw_flow_word *)(void *)k;
}

/* True if 'a' and 'b' agree on every bit set in 'mask'. */
bool vsw_flow_key_equal_masked(const struct vsw_flow_key *a, const struct vsw_flow_key *b,
			       const struct vsw_flow_key *mask);

/* dst = src & mask. */
void vsw_flow_key_apply_mask(struct vsw_flow_key *dst, const struct vsw_flow_key *src,
			     const struct vsw_flow_key *mask);

/* True if every bit of 'a' is also set in 'b' (mask 'b' examines at least
 * what 'a' examines). */
bool vsw_flow_mask_is_subset(const struct vsw_flow_key *a, const struct vsw_flow_key *b);

/* Fills 'key' from the Ethernet frame 'frame' of 'len' bytes received on
 * 'in_port' (metadata 0). Never reads outside [frame, frame + len).
 * Returns 0 (the key is filled; 'parse' says how far), or -EINVAL when 'len'
 * is shorter than an Ethernet header (the key then holds only in_port). */
int vsw_flow_key_extract(const uint8_t *frame, uint32_t len, uint32_t in_port,
			 struct vsw_flow_key *key);

/* The matchable fields by name (OXM names, as ovs-ofctl spells them), for the
 * OpenFlow codec, the CLI and tests. 'bits' is the OXM width (vlan_vid: 13). */
struct vsw_flow_field {
	const char *name;
	uint16_t ofs; /* byte offset in struct vsw_flow_key */
	uint8_t len;  /* bytes */
	uint8_t bits;
};

extern const struct vsw_flow_field vsw_flow_fields[];
extern const size_t vsw_flow_n_fields;

/* Sets the bits of field 'f' in 'mask' (all of them, or the host-order prefix
 * 'plen' bits of the field when plen < f->bits). */
void vsw_flow_mask_set_field(struct vsw_flow_key *mask, const struct vsw_flow_field *f,
			     unsigned int plen);

#endif
