/* Flow key extraction (flow_key.h): Ethernet, up to two VLAN tags, IPv4, IPv6
 * with extension headers, ARP, TCP/UDP/SCTP, ICMPv4, ICMPv6 and ND, every read
 * bounds-checked against the frame. Used by the OpenFlow pipeline (and its
 * classifier.c); the learning bridge keeps the smaller pkt_key.c.
 *
 * Where a header is cut short or impossible, extraction stops there: the
 * fields of that header and beyond stay 0 and 'parse' says why (TRUNC,
 * MALFORMED). As in Open vSwitch, an IP header whose total length exceeds the
 * frame yields no L3 fields at all, and L4 is parsed only within the IP
 * payload length (Ethernet padding is not payload). */
#include "flow_key.h"

#include <errno.h>
#include <string.h>

#define ETH_HLEN	14
#define VLAN_HLEN	4
#define ETHTYPE_IPV4	0x0800
#define ETHTYPE_ARP	0x0806
#define ETHTYPE_RARP	0x8035
#define ETHTYPE_VLAN	0x8100
#define ETHTYPE_QINQ	0x88a8
#define ETHTYPE_IPV6	0x86dd
#define ETHTYPE_MIN	0x0600 /* below: an 802.3 length */
#define IPV4_HLEN	20
#define IPV6_HLEN	40
#define ARP_LEN		28
#define TCP_HLEN	20
#define UDP_HLEN	8
#define SCTP_HLEN	12
#define ICMP_HLEN	4  /* type, code, checksum */
#define ND_HLEN		24 /* ICMPv6 header, reserved, target */
#define IPPROTO_HOPOPT_ 0
#define IPPROTO_ICMP_	1
#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17
#define IPPROTO_ROUTE_	43
#define IPPROTO_FRAG_	44
#define IPPROTO_AH_	51
#define IPPROTO_ICMPV6_ 58
#define IPPROTO_DSTOPT_ 60
#define IPPROTO_SCTP_	132
#define ND_SOLICIT	135
#define ND_ADVERT	136
#define ND_OPT_SLL	1
#define ND_OPT_TLL	2
/* Extension headers walked before giving up (RFC 8200 §4.1 lists at most 7
 * kinds, each at most once or twice). */
#define IPV6_MAX_EXT 8

static inline uint16_t
be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool
vsw_flow_key_equal_masked(const struct vsw_flow_key *a, const struct vsw_flow_key *b,
			  const struct vsw_flow_key *mask)
{
	const vsw_flow_word *wa = vsw_flow_key_words(a), *wb = vsw_flow_key_words(b);
	const vsw_flow_word *wm = vsw_flow_key_words(mask);
	uint64_t diff = 0;

	for (size_t i = 0; i < VSW_FLOW_KEY_WORDS; i++)
		diff |= (wa[i] ^ wb[i]) & wm[i];
	return diff == 0;
}

void
vsw_flow_key_apply_mask(struct vsw_flow_key *dst, const struct vsw_flow_key *src,
			const struct vsw_flow_key *mask)
{
	const vsw_flow_word *ws = vsw_flow_key_words(src), *wm = vsw_flow_key_words(mask);
	vsw_flow_word *wd = vsw_flow_key_words_rw(dst);

	for (size_t i = 0; i < VSW_FLOW_KEY_WORDS; i++)
		wd[i] = ws[i] & wm[i];
}

bool
vsw_flow_mask_is_subset(const struct vsw_flow_key *a, const struct vsw_flow_key *b)
{
	const vsw_flow_word *wa = vsw_flow_key_words(a), *wb = vsw_flow_key_words(b);

	for (size_t i = 0; i < VSW_FLOW_KEY_WORDS; i++)
		if (wa[i] & ~wb[i])
			return false;
	return true;
}

/* L4 of an IPv4 or IPv6 packet: 'p' is the payload, 'len' its length within
 * the IP payload length. */
static void
parse_l4(const uint8_t *p, uint32_t len, struct vsw_flow_key *key)
{
	switch (key->ip_proto) {
	case IPPROTO_TCP_:
		/* RFC 9293 §3.1: data offset in words, at least 5. */
		if (len < TCP_HLEN || (p[12] >> 4) < 5 || (uint32_t)(p[12] >> 4) * 4 > len)
			goto short_header;
		break;
	case IPPROTO_UDP_:
		if (len < UDP_HLEN)
			goto short_header;
		break;
	case IPPROTO_SCTP_:
		if (len < SCTP_HLEN)
			goto short_header;
		break;
	case IPPROTO_ICMP_:
		if (!(key->parse & VSW_FLOW_P_IPV4))
			return;
		if (len < ICMP_HLEN)
			goto short_header;
		key->icmpv4_type = p[0];
		key->icmpv4_code = p[1];
		key->parse |= VSW_FLOW_P_L4;
		return;
	case IPPROTO_ICMPV6_:
		if (!(key->parse & VSW_FLOW_P_IPV6))
			return;
		if (len < ICMP_HLEN)
			goto short_header;
		key->icmpv6_type = p[0];
		key->icmpv6_code = p[1];
		key->parse |= VSW_FLOW_P_L4;
		if ((p[0] == ND_SOLICIT || p[0] == ND_ADVERT) && p[1] == 0)
			goto nd;
		return;
	default:
		return;
	}
	key->tp_src = be16_at(p);
	key->tp_dst = be16_at(p + 2);
	key->parse |= VSW_FLOW_P_L4;
	return;

nd:
	/* RFC 4861 §4.3, §4.4, §4.6: the target, then options of 8-byte units.
	 * As Open vSwitch: a zero-length option, an option past the end, or a
	 * second SLL/TLL makes all ND fields 0. */
	if (len < ND_HLEN) {
		key->parse |= VSW_FLOW_P_TRUNC;
		return;
	}
	memcpy(key->nd_target, p + 8, 16);
	for (uint32_t ofs = ND_HLEN; ofs < len;) {
		uint32_t opt_len;

		if (len - ofs < 2)
			goto bad_nd;
		opt_len = (uint32_t)p[ofs + 1] * 8;
		if (opt_len == 0 || opt_len > len - ofs)
			goto bad_nd;
		if (p[ofs] == ND_OPT_SLL && opt_len == 8 && p[0] == ND_SOLICIT) {
			static const uint8_t zero[6];

			if (memcmp(key->nd_sll, zero, 6) != 0)
				goto bad_nd;
			memcpy(key->nd_sll, p + ofs + 2, 6);
		} else if (p[ofs] == ND_OPT_TLL && opt_len == 8 && p[0] == ND_ADVERT) {
			static const uint8_t zero[6];

			if (memcmp(key->nd_tll, zero, 6) != 0)
				goto bad_nd;
			memcpy(key->nd_tll, p + ofs + 2, 6);
		}
		ofs += opt_len;
	}
	key->parse |= VSW_FLOW_P_ND;
	return;

bad_nd:
	memset(key->nd_target, 0, sizeof(key->nd_target));
	memset(key->nd_sll, 0, sizeof(key->nd_sll));
	memset(key->nd_tll, 0, sizeof(key->nd_tll));
	key->parse |= VSW_FLOW_P_MALFORMED;
	return;

short_header:
	key->parse |= VSW_FLOW_P_TRUNC;
}

/* RFC 791 §3.1. */
static void
parse_ipv4(const uint8_t *p, uint32_t len, struct vsw_flow_key *key)
{
	uint32_t ihl, tot_len;
	uint16_t frag;

	if (len < IPV4_HLEN) {
		key->parse |= VSW_FLOW_P_TRUNC;
		return;
	}
	ihl = (uint32_t)(p[0] & 0x0f) * 4;
	tot_len = be16_at(p + 2);
	if ((p[0] >> 4) != 4 || ihl < IPV4_HLEN || tot_len < ihl) {
		key->parse |= VSW_FLOW_P_MALFORMED;
		return;
	}
	if (tot_len > len) {
		key->parse |= VSW_FLOW_P_TRUNC;
		return;
	}
	key->parse |= VSW_FLOW_P_IPV4;
	key->ip_dscp = p[1] >> 2;
	key->ip_ecn = p[1] & 3;
	key->ip_proto = p[9];
	key->ipv4_src = be32_at(p + 12);
	key->ipv4_dst = be32_at(p + 16);
	frag = be16_at(p + 6);
	if (frag & 0x3fff) { /* MF or an offset */
		key->nw_frag = VSW_FLOW_FRAG_ANY;
		if (frag & 0x1fff) {
			key->nw_frag |= VSW_FLOW_FRAG_LATER;
			return;
		}
	}
	parse_l4(p + ihl, tot_len - ihl, key);
}

/* RFC 8200 §4: skips extension headers up to the upper-layer header; on
 * return 'key->ip_proto' is the header at '*ofs' (or where the walk stopped). */
static bool
walk_ipv6_ext(const uint8_t *p, uint32_t len, uint32_t *ofs, struct vsw_flow_key *key)
{
	uint8_t nh = p[6];

	for (unsigned int n = 0;; n++) {
		uint32_t hlen;

		key->ip_proto = nh;
		if (nh != IPPROTO_HOPOPT_ && nh != IPPROTO_ROUTE_ && nh != IPPROTO_DSTOPT_ &&
		    nh != IPPROTO_FRAG_ && nh != IPPROTO_AH_)
			return true;
		if (n == IPV6_MAX_EXT) {
			key->parse |= VSW_FLOW_P_MALFORMED;
			return false;
		}
		if (len - *ofs < 8) {
			key->parse |= VSW_FLOW_P_TRUNC;
			return false;
		}
		if (nh == IPPROTO_FRAG_) {
			uint16_t frag = be16_at(p + *ofs + 2);

			hlen = 8;
			if (frag & 0xfff9) { /* an offset or M (RFC 8200 §4.5) */
				key->nw_frag = VSW_FLOW_FRAG_ANY;
				if (frag & 0xfff8) {
					key->nw_frag |= VSW_FLOW_FRAG_LATER;
					key->ip_proto = p[*ofs];
					return false;
				}
			}
		} else if (nh == IPPROTO_AH_) {
			hlen = ((uint32_t)p[*ofs + 1] + 2) * 4; /* RFC 4302 §2.2 */
		} else {
			hlen = ((uint32_t)p[*ofs + 1] + 1) * 8;
		}
		if (hlen > len - *ofs) {
			key->parse |= VSW_FLOW_P_TRUNC;
			return false;
		}
		nh = p[*ofs];
		*ofs += hlen;
	}
}

static void
parse_ipv6(const uint8_t *p, uint32_t len, struct vsw_flow_key *key)
{
	uint32_t plen, ofs = IPV6_HLEN;

	if (len < IPV6_HLEN) {
		key->parse |= VSW_FLOW_P_TRUNC;
		return;
	}
	if ((p[0] >> 4) != 6) {
		key->parse |= VSW_FLOW_P_MALFORMED;
		return;
	}
	plen = be16_at(p + 4);
	if (plen > len - IPV6_HLEN) {
		key->parse |= VSW_FLOW_P_TRUNC;
		return;
	}
	len = IPV6_HLEN + plen;
	key->parse |= VSW_FLOW_P_IPV6;
	key->ip_dscp = (uint8_t)((be16_at(p) >> 6) & 0x3f);
	key->ip_ecn = (uint8_t)((be16_at(p) >> 4) & 3);
	memcpy(key->ipv6_src, p + 8, 16);
	memcpy(key->ipv6_dst, p + 24, 16);
	if (walk_ipv6_ext(p, len, &ofs, key))
		parse_l4(p + ofs, len - ofs, key);
}

/* RFC 826, for Ethernet and IPv4 only (as OpenFlow's arp_* fields). */
static void
parse_arp(const uint8_t *p, uint32_t len, struct vsw_flow_key *key)
{
	if (len < ARP_LEN) {
		key->parse |= VSW_FLOW_P_TRUNC;
		return;
	}
	if (be16_at(p) != 1 || be16_at(p + 2) != ETHTYPE_IPV4 || p[4] != 6 || p[5] != 4) {
		key->parse |= VSW_FLOW_P_MALFORMED;
		return;
	}
	key->parse |= VSW_FLOW_P_ARP;
	key->arp_op = be16_at(p + 6);
	memcpy(key->arp_sha, p + 8, 6);
	key->arp_spa = be32_at(p + 14);
	memcpy(key->arp_tha, p + 18, 6);
	key->arp_tpa = be32_at(p + 24);
}

static inline bool
is_vlan_tpid(uint16_t type)
{
	return type == ETHTYPE_VLAN || type == ETHTYPE_QINQ;
}

int
vsw_flow_key_extract(const uint8_t *frame, uint32_t len, uint32_t in_port, struct vsw_flow_key *key)
{
	uint32_t ofs = ETH_HLEN;
	uint16_t type;

	memset(key, 0, sizeof(*key));
	key->in_port = in_port;
	if (len < ETH_HLEN)
		return -EINVAL;
	memcpy(key->eth_dst, frame, 6);
	memcpy(key->eth_src, frame + 6, 6);
	type = be16_at(frame + 12);
	for (unsigned int tags = 0; is_vlan_tpid(type); tags++) {
		uint16_t tci;

		if (tags == 2) {
			key->parse |= VSW_FLOW_P_VLAN_DEEP;
			break;
		}
		if (len - ofs < VLAN_HLEN) {
			key->parse |= VSW_FLOW_P_TRUNC;
			break;
		}
		tci = be16_at(frame + ofs);
		if (tags == 0) {
			key->vlan_vid = VSW_FLOW_VID_PRESENT | (tci & 0x0fff);
			key->vlan_pcp = (uint8_t)(tci >> 13);
		} else {
			key->vlan2_vid = VSW_FLOW_VID_PRESENT | (tci & 0x0fff);
			key->vlan2_pcp = (uint8_t)(tci >> 13);
		}
		type = be16_at(frame + ofs + 2);
		ofs += VLAN_HLEN;
	}
	key->eth_type = type < ETHTYPE_MIN ? VSW_FLOW_ETH_NONE : type;
	if (is_vlan_tpid(type))
		return 0; /* a third tag, or a tag cut short: no L3 */
	switch (type) {
	case ETHTYPE_IPV4:
		parse_ipv4(frame + ofs, len - ofs, key);
		break;
	case ETHTYPE_IPV6:
		parse_ipv6(frame + ofs, len - ofs, key);
		break;
	case ETHTYPE_ARP:
	case ETHTYPE_RARP:
		parse_arp(frame + ofs, len - ofs, key);
		break;
	default:
		break;
	}
	return 0;
}

/* One field per line. */
/* clang-format off */
#define FIELD(n, f, b) {n, offsetof(struct vsw_flow_key, f), sizeof(((struct vsw_flow_key *)0)->f), b}

const struct vsw_flow_field vsw_flow_fields[] = {
	FIELD("in_port", in_port, 32),
	FIELD("metadata", metadata, 64),
	FIELD("eth_dst", eth_dst, 48),
	FIELD("eth_src", eth_src, 48),
	FIELD("eth_type", eth_type, 16),
	FIELD("vlan_vid", vlan_vid, 13),
	FIELD("vlan_pcp", vlan_pcp, 3),
	FIELD("ip_dscp", ip_dscp, 6),
	FIELD("ip_ecn", ip_ecn, 2),
	FIELD("ip_proto", ip_proto, 8),
	FIELD("ipv4_src", ipv4_src, 32),
	FIELD("ipv4_dst", ipv4_dst, 32),
	FIELD("ipv6_src", ipv6_src, 128),
	FIELD("ipv6_dst", ipv6_dst, 128),
	FIELD("tp_src", tp_src, 16),
	FIELD("tp_dst", tp_dst, 16),
	FIELD("icmpv4_type", icmpv4_type, 8),
	FIELD("icmpv4_code", icmpv4_code, 8),
	FIELD("icmpv6_type", icmpv6_type, 8),
	FIELD("icmpv6_code", icmpv6_code, 8),
	FIELD("arp_op", arp_op, 16),
	FIELD("arp_spa", arp_spa, 32),
	FIELD("arp_tpa", arp_tpa, 32),
	FIELD("arp_sha", arp_sha, 48),
	FIELD("arp_tha", arp_tha, 48),
	FIELD("ipv6_nd_target", nd_target, 128),
	FIELD("ipv6_nd_sll", nd_sll, 48),
	FIELD("ipv6_nd_tll", nd_tll, 48),
	FIELD("nw_frag", nw_frag, 2),
	FIELD("vlan2_vid", vlan2_vid, 13),
	FIELD("vlan2_pcp", vlan2_pcp, 3),
};
/* clang-format on */

const size_t vsw_flow_n_fields = sizeof(vsw_flow_fields) / sizeof(vsw_flow_fields[0]);

void
vsw_flow_mask_set_field(struct vsw_flow_key *mask, const struct vsw_flow_field *f,
			unsigned int plen)
{
	uint8_t *p = (uint8_t *)mask + f->ofs;
	uint64_t v;

	if (plen > f->bits)
		plen = f->bits;
	if (f->len == 6 || f->len == 16) { /* byte strings, prefix in wire order */
		for (unsigned int i = 0; i < f->len; i++) {
			unsigned int b = plen > i * 8 ? plen - i * 8 : 0;

			p[i] |= b >= 8 ? 0xff : (uint8_t)(0xff00 >> b);
		}
		return;
	}
	/* host-order integers: the top 'plen' of the low 'bits' bits */
	v = plen == 0 ? 0 : (~UINT64_C(0) >> (64 - plen)) << (f->bits - plen);
	switch (f->len) {
	case 1:
		*p |= (uint8_t)v;
		break;
	case 2: {
		uint16_t x;

		memcpy(&x, p, 2);
		x |= (uint16_t)v;
		memcpy(p, &x, 2);
		break;
	}
	case 4: {
		uint32_t x;

		memcpy(&x, p, 4);
		x |= (uint32_t)v;
		memcpy(p, &x, 4);
		break;
	}
	default: {
		uint64_t x;

		memcpy(&x, p, 8);
		x |= v;
		memcpy(p, &x, 8);
		break;
	}
	}
}
