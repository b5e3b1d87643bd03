/* Unit tests of flow key extraction (flow_key.c): hand-built frames for every
 * protocol, every truncation of each (read from a heap copy of exactly that
 * length, so ASan sees any over-read), malformed lengths and options
 * (bad-input.md class 12), and the mask helpers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flow_key.h"
#include "pkt_key.h"

/* ---- a frame builder ---- */

struct frame {
	uint8_t b[512];
	uint32_t len;
	uint32_t l3; /* offset of the IP header */
	uint32_t l4; /* offset of the L4 header */
	bool ipv6;
};

static const uint8_t MAC_A[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t MAC_B[6] = {0x02, 0, 0, 0, 0, 0x0b};
static const uint8_t IP6_A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x0a};
static const uint8_t IP6_B[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0x01, [15] = 0x0b};

static void
put8(struct frame *f, uint8_t v)
{
	assert_true(f->len < sizeof(f->b));
	f->b[f->len++] = v;
}

static void
put16(struct frame *f, uint16_t v)
{
	put8(f, (uint8_t)(v >> 8));
	put8(f, (uint8_t)v);
}

static void
put32(struct frame *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

static void
put_bytes(struct frame *f, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		put8(f, p[i]);
}

static void
set16(struct frame *f, uint32_t ofs, uint16_t v)
{
	f->b[ofs] = (uint8_t)(v >> 8);
	f->b[ofs + 1] = (uint8_t)v;
}

static void
eth(struct frame *f, uint16_t type)
{
	memset(f, 0, sizeof(*f));
	put_bytes(f, MAC_B, 6);
	put_bytes(f, MAC_A, 6);
	put16(f, type);
}

static void
vlan(struct frame *f, uint16_t tci, uint16_t type)
{
	put16(f, tci);
	put16(f, type);
}

/* An IPv4 header of 'ihl' words (options are NOPs); the total length is
 * fixed by ip_done(). */
static void
ipv4(struct frame *f, uint8_t proto, uint8_t tos, uint16_t frag, unsigned int ihl)
{
	f->l3 = f->len;
	put8(f, (uint8_t)(0x40 | ihl));
	put8(f, tos);
	put16(f, 0);
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put32(f, 0x0a000001);
	put32(f, 0xc0a80102);
	for (unsigned int i = 5; i < ihl; i++)
		put32(f, 0x01010101);
	f->l4 = f->len;
}

static void
ipv6(struct frame *f, uint8_t nh, uint8_t tc)
{
	f->l3 = f->len;
	f->ipv6 = true;
	put32(f, 0x60000000u | (uint32_t)tc << 20 | 0x12345);
	put16(f, 0);
	put8(f, nh);
	put8(f, 64);
	put_bytes(f, IP6_A, 16);
	put_bytes(f, IP6_B, 16);
	f->l4 = f->len;
}

/* An IPv6 extension header of (len8 + 1) * 8 bytes. */
static void
ext(struct frame *f, uint8_t nh, uint8_t len8)
{
	put8(f, nh);
	put8(f, len8);
	for (unsigned int i = 2; i < (len8 + 1u) * 8; i++)
		put8(f, i == 2 ? 1 : 0); /* PadN-ish: content is not parsed */
	f->l4 = f->len;
}

static void
frag6(struct frame *f, uint8_t nh, uint16_t ofs_flags)
{
	put8(f, nh);
	put8(f, 0);
	put16(f, ofs_flags);
	put32(f, 0xabcd);
	f->l4 = f->len;
}

static void
ip_done(struct frame *f)
{
	if (f->ipv6)
		set16(f, f->l3 + 4, (uint16_t)(f->len - f->l3 - 40));
	else
		set16(f, f->l3 + 2, (uint16_t)(f->len - f->l3));
}

static void
tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t doff)
{
	put16(f, sport);
	put16(f, dport);
	put32(f, 1);
	put32(f, 0);
	put8(f, (uint8_t)(doff << 4));
	put8(f, 0x02);
	put16(f, 8192);
	put16(f, 0);
	put16(f, 0);
	for (unsigned int i = 5; i < doff; i++)
		put32(f, 0x01010101);
}

static void
udp(struct frame *f, uint16_t sport, uint16_t dport)
{
	put16(f, sport);
	put16(f, dport);
	put16(f, 8);
	put16(f, 0);
}

static void
arp(struct frame *f, uint16_t op)
{
	put16(f, 1);
	put16(f, 0x0800);
	put8(f, 6);
	put8(f, 4);
	put16(f, op);
	put_bytes(f, MAC_A, 6);
	put32(f, 0x0a000001);
	put_bytes(f, MAC_B, 6);
	put32(f, 0x0a000002);
}

/* Extracts from a heap copy of exactly 'len' bytes of 'f'. */
static int
extract_n(const struct frame *f, uint32_t len, struct vsw_flow_key *key)
{
	uint8_t *p = malloc(len ? len : 1);
	int ret;

	assert_non_null(p);
	memcpy(p, f->b, len);
	ret = vsw_flow_key_extract(p, len, 7, key);
	free(p);
	return ret;
}

static struct vsw_flow_key
extract(const struct frame *f)
{
	struct vsw_flow_key key;

	assert_int_equal(extract_n(f, f->len, &key), 0);
	assert_int_equal(key.in_port, 7);
	assert_int_equal(key.metadata, 0);
	assert_int_equal(key.pad0 | key.pad1 | key.pad2 | key.pad3 | key.pad4, 0);
	return key;
}

/* Every strict prefix of a frame whose headers are all parsed: never an
 * over-read, -EINVAL below an Ethernet header, else TRUNC set and every
 * field either the full frame's value or 0. */
static void
check_truncations(const struct frame *f)
{
	struct vsw_flow_key full = extract(f), k;
	const uint8_t *fb = (const uint8_t *)&full, *kb = (const uint8_t *)&k;

	for (uint32_t len = 0; len < f->len; len++) {
		int ret = extract_n(f, len, &k);

		if (len < 14) {
			assert_int_equal(ret, -EINVAL);
			assert_int_equal(k.in_port, 7);
			assert_int_equal(k.eth_type, 0);
			continue;
		}
		assert_int_equal(ret, 0);
		assert_true(k.parse & VSW_FLOW_P_TRUNC);
		for (size_t i = 0; i < sizeof(k); i++) {
			if (i >= offsetof(struct vsw_flow_key, parse) &&
			    i < offsetof(struct vsw_flow_key, parse) + 2)
				continue;
			/* a tag cut short: eth_type is its TPID */
			if (i >= offsetof(struct vsw_flow_key, eth_type) &&
			    i < offsetof(struct vsw_flow_key, eth_type) + 2 &&
			    (k.eth_type == 0x8100 || k.eth_type == 0x88a8))
				continue;
			if (kb[i] != 0 && kb[i] != fb[i])
				fail_msg("len %u: key byte %zu is %#x, full %#x", len, i, kb[i],
					 fb[i]);
		}
	}
}

/* ---- Ethernet and VLANs ---- */

static void
test_short_frame(void **state)
{
	struct frame f;
	struct vsw_flow_key k;

	(void)state;
	eth(&f, 0x0800);
	assert_int_equal(extract_n(&f, 13, &k), -EINVAL);
	assert_int_equal(k.in_port, 7);
	assert_int_equal(extract_n(&f, 0, &k), -EINVAL);
}

static void
test_ethernet(void **state)
{
	struct frame f;
	struct vsw_flow_key k;

	(void)state;
	eth(&f, 0x88cc); /* LLDP: not parsed further */
	put32(&f, 0xdeadbeef);
	k = extract(&f);
	assert_memory_equal(k.eth_dst, MAC_B, 6);
	assert_memory_equal(k.eth_src, MAC_A, 6);
	assert_int_equal(k.eth_type, 0x88cc);
	assert_int_equal(k.vlan_vid, 0);
	assert_int_equal(k.parse, 0);

	eth(&f, 46); /* 802.3 length */
	k = extract(&f);
	assert_int_equal(k.eth_type, VSW_FLOW_ETH_NONE);
}

static void
test_vlan_one_two_deep(void **state)
{
	struct frame f;
	struct vsw_flow_key k;

	(void)state;
	eth(&f, 0x8100);
	vlan(&f, 0xa000 | 100, 0x0806); /* PCP 5 */
	arp(&f, 1);
	k = extract(&f);
	assert_int_equal(k.vlan_vid, VSW_FLOW_VID_PRESENT | 100);
	assert_int_equal(k.vlan_pcp, 5);
	assert_int_equal(k.vlan2_vid, 0);
	assert_int_equal(k.eth_type, 0x0806);
	assert_true(k.parse & VSW_FLOW_P_ARP);
	check_truncations(&f);

	/* Priority tag: VID 0 is still a tag (OFPVID_PRESENT | 0). */
	eth(&f, 0x8100);
	vlan(&f, 0x2000, 0x0800);
	ipv4(&f, 17, 0, 0, 5);
	udp(&f, 1, 2);
	ip_done(&f);
	k = extract(&f);
	assert_int_equal(k.vlan_vid, VSW_FLOW_VID_PRESENT);
	assert_int_equal(k.vlan_pcp, 1);
	assert_int_equal(k.tp_dst, 2);

	/* 802.1ad outer, 802.1Q inner. */
	eth(&f, 0x88a8);
	vlan(&f, 0x0000 | 200, 0x8100);
	vlan(&f, 0xe000 | 300, 0x0800);
	ipv4(&f, 6, 0, 0, 5);
	tcp(&f, 1000, 80, 5);
	ip_done(&f);
	k = extract(&f);
	assert_int_equal(k.vlan_vid, VSW_FLOW_VID_PRESENT | 200);
	assert_int_equal(k.vlan2_vid, VSW_FLOW_VID_PRESENT | 300);
	assert_int_equal(k.vlan2_pcp, 7);
	assert_int_equal(k.eth_type, 0x0800);
	assert_int_equal(k.tp_dst, 80);
	check_truncations(&f);

	/* A third tag: not parsed, eth_type is its TPID, no L3 (class 12). */
	eth(&f, 0x88a8);
	vlan(&f, 1, 0x8100);
	vlan(&f, 2, 0x8100);
	vlan(&f, 3, 0x0800);
	ipv4(&f, 6, 0, 0, 5);
	tcp(&f, 1000, 80, 5);
	ip_done(&f);
	k = extract(&f);
	assert_true(k.parse & VSW_FLOW_P_VLAN_DEEP);
	assert_int_equal(k.eth_type, 0x8100);
	assert_int_equal(k.vlan_vid, VSW_FLOW_VID_PRESENT | 1);
	assert_int_equal(k.vlan2_vid, VSW_FLOW_VID_PRESENT | 2);
	assert_int_equal(k.ipv4_src | k.ipv4_dst | k.ip_proto | k.tp_dst, 0);
}

/* ---- IPv4 ---- */

static void
test_ipv4_tcp(void **state)
{
	struct frame f;
	struct vsw_flow_key k;

	(void)state;
	eth(&f, 0x0800);
	ipv4(&f, 6, 0xb9, 0, 5); /* DSCP 46, ECN 1 */
	tcp(&f, 49152, 443, 5);
	ip_done(&f);
	k = extract(&f);
	assert_int_equal(k.parse, VSW_FLOW_P_IPV4 | VSW_FLOW_P_L4);
	assert_int_equal(k.ipv4_src, 0x0a000001);
	assert_int_equal(k.ipv4_dst, 0xc0a80102);
	assert_int_equal(k.ip_proto, 6);
	assert_int_equal(k.ip_dscp, 46);
	assert_int_equal(k.ip_ecn, 1);
	assert_int_equal(k.nw_frag, 0);
	assert_int_equal(k.tp_src, 49152);
	assert_int_equal(k.tp_dst, 443);
	check_truncations(&f);

	/* Options (IHL 15) and TCP options (data offset 15). */
	eth(&f, 0x0800);
	ipv4(&f, 6, 0, 0, 15);
	tcp(&f, 1, 22, 15);
	ip_done(&f);
	k = extract(&f);
	assert_int_equal(k.tp_dst, 22);
	assert_true(k.parse & VSW_FLOW_P_L4);
	check_truncations(&f);
}

static void
test_ipv4_malformed(void **state)
{
	struct frame f;
	struct vsw_flow_key k;

	(void)state;
	for (unsigned int ihl = 0; ihl < 5; ihl++) { /* IHL < 5 */
		eth(&f, 0x0800);
		ipv4(&f, 6, 0, 0, 5);
		tcp(&f, 1, 2, 5);
		ip_done(&f);
		f.b[f.l3] = (uint8_t)(0x40 | ihl);
		k = extract(&f);
		assert_int_equal(k.parse, VSW_FLOW_P_MALFORMED);
		assert_int_equal(k.ipv4_src | k.ip_proto | k.tp_dst, 0);
		assert_int_equal(k.eth_type, 0x0800);
	}
	/* Version 6 in an IPv4 ethertype. */
	f.b[f.l3] = 0x65;
	k = extract(&f);
	assert_int_equal(k.parse, VSW_FLOW_P_MALFORMED);
	/* Total length below the header length. */
	f.b[f.l3] = 0x46;
	set16(&f, f.l3 + 2, 20);
	k = extract(&f);
	assert_int_equal(k.parse, VSW_FLOW_P_MALFORMED);
	/* Total length beyond the frame: no L3 at all. */
	f.b[f.l3] = 0x45;
	set16(&f, f.l3 + 2, (uint16_t)(f.len - f.l3 + 1));
	k = extract(&f);
	assert_int_equal(k.parse, VSW_FLOW_P_TRUNC);
	assert_int_equal(k.ipv4_src, 0);
	/* IHL beyond the frame. */
	f.b[f.l3] = 0x4f;
	set16(&f, f.l3 + 2, (uint16_t)(f.len - f.l3));
	assert_int_equal(extract_n(&f, f.l3 + 40, &k), 0);
	assert_true(k.parse & (VSW_FLOW_P_TRUNC | VSW_FLOW_P_MALFORMED));
	assert_int_equal(k.ipv4_src, 0);
}

/* L4 is bounded by the IP total length, not the frame (Ethernet padding). */
static void
test_ipv4_padding_and_short_l4(void **state)
{
	struct frame f;
	struct vsw_flow_key k;

	(void)state;
	eth(&f, 0x0800);
	ipv4(&f, 17, 0, 0, 5);
	udp(&f, 53, 5353);
	ip_done(&f);
	for (int i = 0; i < 18; i++) /* padding to 60 bytes */
		put8(&f, 0);
	k = extract(&f);
	assert_int_equal(k.tp_src, 53);
	assert_true(k.parse & VSW_FLOW_P_L4);

	/* The total length cuts the UDP header: ports 0, TRUNC. */
	set16(&f, f.l3 + 2, 20 + 7);
	k = extract(&f);
	assert_true(k.parse & VSW_FLOW_P_IPV4);
	assert_true(k.parse & VSW_FLOW_P_TRUNC);
	assert_false(k.parse & VSW_FLOW_P_L4);
	assert_int_equal(k.ip_proto, 17);
	assert_int_equal(k.tp_src | k.tp_dst, 0);

	/* TCP with a data offset below 5, or beyond the payload. */
	eth(&f, 0x0800);
	ipv4(&f, 6, 0, 0, 5);
	tcp(&f, 1, 2, 5);
	ip_done(&f);
	f.b[f.l4 + 12] = 0x40;
	k = extract(&f);
	assert_int_equal(k.tp_dst, 0);
	assert_true(k.parse & VSW_FLOW_P_TRUNC);
	f.b[f.l4 + 12] = 0x60;
	k = extract(&f);
	assert_int_equal(k.tp_dst, 0);
}

static void
test_ipv4_fragments(void **state)
{
	struct frame f;
	struct vsw_flow_key k;

	(void)state;
	/* First fragment (MF): L4 parsed. */
	eth(&f, 0x0800);
	ipv4(&f, 17, 0, 0x2000, 5);
	udp(&f, 1, 2);
	ip_done(&f);
	k = extract(&f);
	assert_int_equal(k.nw_frag, VSW_FLOW_FRAG_ANY);
	assert_int_equal(k.tp_dst, 2);

	/* A later fragment: its bytes are not an L4 header. */
	set16(&f, f.l3 + 6, 0x0001); /* offset 8, last */
	k = extract(&f);
	assert_int_equal(k.nw_frag, VSW_FLOW_FRAG_ANY | VSW_FLOW_FRAG_LATER);
	assert_int_equal(k.ip_proto, 17);
	assert_int_equal(k.tp_src | k.tp_dst, 0);
	assert_false(k.parse & VSW_FLOW_P_L4);

	/* DF alone is not a fragment. */
	set16(&f, f.l3 + 6, 0x4000);
	k = extract(&f);
	assert_int_equal(k.nw_frag, 0);
}

static void
test_ip_proto_zero_and_others(void **state)
{
	struct frame f;
	struct vsw_flow_key k;

	(void)state;
	/* IPv4 protocol 0 (HOPOPT means nothing in IPv4): no L4. */
	eth(&f, 0x0800);
	ipv4(&f, 0, 0, 0, 5);
	put32(&f, 0x11223344);
	ip_done(&f);
	k = extract(&f);
	assert_int_equal(k.parse, VSW_FLOW_P_IPV4);
	assert_int_equal(k.ip_proto, 0);

	/* ICMPv6's number inside IPv4: not ICMPv6. */
	eth(&f, 0x0800);
	ipv4(&f, 58, 0, 0, 5);
	put32(&f, 0x87000000);
	ip_done(&f);
	k = extract(&f);
	assert_int_equal(k.icmpv6_type, 0);
	assert_int_equal(k.ip_proto, 58);

	/* SCTP. */
	eth(&f, 0x0800);
	ipv4(&f, 132, 0, 0, 5);
	put16(&f, 2905);
	put16(&f, 2906);
	put32(&f, 1);
	put32(&f, 0);
	ip_done(&f);
	k = extract(&f);
	assert_int_equal(k.tp_src, 2905);
	assert_int_equal(k.tp_dst, 2906);
	check_truncations(&f);

	/* ICMPv4 echo. */
	eth(&f, 0x0800);
	ipv4(&f, 1, 0, 0, 5);
	put8(&f, 8);
	put8(&f, 0);
	put16(&f, 0);
	put32(&f, 0x00010001);
	ip_done(&f);
	k = extract(&f);
	assert_int_equal(k.icmpv4_type, 8);
	assert_int_equal(k.icmpv4_code, 0);
	assert_int_equal(k.tp_src | k.tp_dst, 0);
	check_truncations(&f);
	/* ICMP header cut by the total length. */
	set16(&f, f.l3 + 2, 20 + 3);
	k = extract(&f);
	assert_int_equal(k.icmpv4_type, 0);
	assert_true(k.parse & VSW_FLOW_P_TRUNC);
}

/* ---- IPv6 ---- */

static void
test_ipv6_tcp_udp(void **state)
{
	struct frame f;
	struct vsw_flow_key k;

	(void)state;
	eth(&f, 0x86dd);
	ipv6(&f, 6, 0x2e << 2 | 2);
	tcp(&f, 5000, 80, 5);
	ip_done(&f);
	k = extract(&f);
	assert_int_equal(k.parse, VSW_FLOW_P_IPV6 | VSW_FLOW_P_L4);
	assert_memory_equal(k.ipv6_src, IP6_A, 16);
	assert_memory_equal(k.ipv6_dst, IP6_B, 16);
	assert_int_equal(k.ip_dscp, 0x2e);
	assert_int_equal(k.ip_ecn, 2);
	assert_int_equal(k.ip_proto, 6);
	assert_int_equal(k.tp_dst, 80);
	check_truncations(&f);

	/* Payload length beyond the frame: no L3. */
	set16(&f, f.l3 + 4, 100);
	k = extract(&f);
	assert_int_equal(k.parse, VSW_FLOW_P_TRUNC);
	assert_int_equal(k.ipv6_src[0], 0);
	/* Version 4 in an IPv6 ethertype. */
	f.b[f.l3] = 0x40;
	k = extract(&f);
	assert_int_equal(k.parse, VSW_FLOW_P_MALFORMED);
}

static void
test_ipv6_ext_headers(void **state)
{
	struct frame f;
	struct vsw_flow_key k;

	(void)state;
	/* Hop-by-hop (IPv6 next header 0), destination options, routing, AH. */
	eth(&f, 0x86dd);
	ipv6(&f, 0, 0);
	ext(&f, 60, 0); /* hop-by-hop */
	ext(&f, 43, 0); /* destination options */
	ext(&f, 51, 1); /* routing */
	put8(&f, 17);	/* AH: next header, length 4 (= 24 bytes) */
	put8(&f, 4);
	for (int i = 0; i < 22; i++)
		put8(&f, 0);
	udp(&f, 4789, 4790);
	ip_done(&f);
	k = extract(&f);
	assert_int_equal(k.ip_proto, 17);
	assert_int_equal(k.tp_src, 4789);
	check_truncations(&f);

	/* An extension header longer than the payload. */
	eth(&f, 0x86dd);
	ipv6(&f, 0, 0);
	ext(&f, 6, 0);
	ip_done(&f);
	f.b[f.l3 + 41] = 3; /* 32 bytes announced, 8 there */
	k = extract(&f);
	assert_true(k.parse & VSW_FLOW_P_TRUNC);
	assert_true(k.parse & VSW_FLOW_P_IPV6);
	assert_int_equal(k.ip_proto, 0); /* where the walk stopped */
	assert_int_equal(k.tp_dst, 0);

	/* A chain longer than the walk's bound. */
	eth(&f, 0x86dd);
	ipv6(&f, 60, 0);
	for (int i = 0; i < 12; i++)
		ext(&f, 60, 0);
	ip_done(&f);
	k = extract(&f);
	assert_true(k.parse & VSW_FLOW_P_MALFORMED);
	assert_int_equal(k.ip_proto, 60);
	assert_false(k.parse & VSW_FLOW_P_L4);

	/* ESP ends the walk (an upper layer it cannot see through). */
	eth(&f, 0x86dd);
	ipv6(&f, 50, 0);
	put32(&f, 0x100);
	put32(&f, 1);
	ip_done(&f);
	k = extract(&f);
	assert_int_equal(k.ip_proto, 50);
	assert_int_equal(k.parse, VSW_FLOW_P_IPV6);
}

static void
test_ipv6_fragments(void **state)
{
	struct frame f;
	struct vsw_flow_key k;

	(void)state;
	eth(&f, 0x86dd);
	ipv6(&f, 44, 0);
	frag6(&f, 17, 0x0001); /* offset 0, M */
	udp(&f, 7, 9);
	ip_done(&f);
	k = extract(&f);
	assert_int_equal(k.nw_frag, VSW_FLOW_FRAG_ANY);
	assert_int_equal(k.ip_proto, 17);
	assert_int_equal(k.tp_dst, 9);
	check_truncations(&f);

	set16(&f, f.l3 + 42, 0x0010); /* offset 2, last */
	k = extract(&f);
	assert_int_equal(k.nw_frag, VSW_FLOW_FRAG_ANY | VSW_FLOW_FRAG_LATER);
	assert_int_equal(k.ip_proto, 17);
	assert_int_equal(k.tp_dst, 0);

	set16(&f, f.l3 + 42, 0x0000); /* atomic fragment */
	k = extract(&f);
	assert_int_equal(k.nw_frag, 0);
	assert_int_equal(k.tp_dst, 9);
}

static void
nd_frame(struct frame *f, uint8_t type)
{
	eth(f, 0x86dd);
	ipv6(f, 58, 0);
	put8(f, type);
	put8(f, 0);
	put16(f, 0);
	put32(f, type == 136 ? 0x60000000 : 0);
	put_bytes(f, IP6_B, 16);
}

static void
nd_opt(struct frame *f, uint8_t type, uint8_t len8, const uint8_t *mac)
{
	put8(f, type);
	put8(f, len8);
	for (unsigned int i = 0; i + 2 < len8 * 8u; i++)
		put8(f, mac && i < 6 ? mac[i] : 0);
}

static void
test_icmpv6_nd(void **state)
{
	struct frame f;
	struct vsw_flow_key k;

	(void)state;
	/* Echo request. */
	eth(&f, 0x86dd);
	ipv6(&f, 58, 0);
	put8(&f, 128);
	put8(&f, 0);
	put16(&f, 0);
	put32(&f, 0x00010002);
	ip_done(&f);
	k = extract(&f);
	assert_int_equal(k.icmpv6_type, 128);
	assert_int_equal(k.parse, VSW_FLOW_P_IPV6 | VSW_FLOW_P_L4);
	check_truncations(&f);

	/* NS with a source link-layer address (and an unknown option). */
	nd_frame(&f, 135);
	nd_opt(&f, 14, 1, NULL); /* nonce: skipped */
	nd_opt(&f, 1, 1, MAC_A);
	ip_done(&f);
	k = extract(&f);
	assert_int_equal(k.icmpv6_type, 135);
	assert_true(k.parse & VSW_FLOW_P_ND);
	assert_memory_equal(k.nd_target, IP6_B, 16);
	assert_memory_equal(k.nd_sll, MAC_A, 6);
	check_truncations(&f);

	/* NA with a target link-layer address. */
	nd_frame(&f, 136);
	nd_opt(&f, 2, 1, MAC_B);
	ip_done(&f);
	k = extract(&f);
	assert_memory_equal(k.nd_tll, MAC_B, 6);
	assert_memory_equal(k.nd_target, IP6_B, 16);
	check_truncations(&f);

	/* Malformed options: all ND fields 0 (class 12). */
	nd_frame(&f, 135);
	nd_opt(&f, 1, 0, NULL); /* length 0 */
	put32(&f, 0);
	put16(&f, 0);
	ip_done(&f);
	k = extract(&f);
	assert_true(k.parse & VSW_FLOW_P_MALFORMED);
	assert_int_equal(k.nd_target[0] | k.nd_sll[0], 0);
	assert_int_equal(k.icmpv6_type, 135);

	nd_frame(&f, 135);
	nd_opt(&f, 1, 1, MAC_A);
	put8(&f, 1); /* an option that runs past the end */
	put8(&f, 2);
	put32(&f, 0);
	ip_done(&f);
	k = extract(&f);
	assert_true(k.parse & VSW_FLOW_P_MALFORMED);
	assert_int_equal(k.nd_sll[0] | k.nd_target[0], 0);

	nd_frame(&f, 135);
	nd_opt(&f, 1, 1, MAC_A);
	nd_opt(&f, 1, 1, MAC_B); /* two SLLs */
	ip_done(&f);
	k = extract(&f);
	assert_true(k.parse & VSW_FLOW_P_MALFORMED);
	assert_int_equal(k.nd_sll[0], 0);

	nd_frame(&f, 135);
	put8(&f, 1); /* one byte of option */
	ip_done(&f);
	k = extract(&f);
	assert_true(k.parse & VSW_FLOW_P_MALFORMED);

	/* ND with a code other than 0, or cut before the target. */
	nd_frame(&f, 135);
	ip_done(&f);
	f.b[f.l4 + 1] = 1;
	k = extract(&f);
	assert_false(k.parse & VSW_FLOW_P_ND);
	assert_int_equal(k.nd_target[0], 0);
	f.b[f.l4 + 1] = 0;
	set16(&f, f.l3 + 4, 20);
	k = extract(&f);
	assert_true(k.parse & VSW_FLOW_P_TRUNC);
	assert_int_equal(k.nd_target[0], 0);
}

/* ---- ARP ---- */

static void
test_arp(void **state)
{
	struct frame f;
	struct vsw_flow_key k;

	(void)state;
	eth(&f, 0x0806);
	arp(&f, 2);
	k = extract(&f);
	assert_int_equal(k.parse, VSW_FLOW_P_ARP);
	assert_int_equal(k.arp_op, 2);
	assert_int_equal(k.arp_spa, 0x0a000001);
	assert_int_equal(k.arp_tpa, 0x0a000002);
	assert_memory_equal(k.arp_sha, MAC_A, 6);
	assert_memory_equal(k.arp_tha, MAC_B, 6);
	assert_int_equal(k.ipv4_src, 0); /* ARP fields are their own */
	check_truncations(&f);

	eth(&f, 0x8035); /* RARP */
	arp(&f, 3);
	k = extract(&f);
	assert_int_equal(k.arp_op, 3);

	eth(&f, 0x0806);
	arp(&f, 1);
	f.b[14 + 4] = 8; /* hardware length 8 */
	k = extract(&f);
	assert_int_equal(k.parse, VSW_FLOW_P_MALFORMED);
	assert_int_equal(k.arp_op | k.arp_spa, 0);
}

/* ---- agreement with pkt_key and helpers ---- */

static void
test_agrees_with_pkt_key(void **state)
{
	struct frame f;
	struct vsw_flow_key k;
	struct vsw_pkt_key pk;

	(void)state;
	eth(&f, 0x8100);
	vlan(&f, 0x6000 | 42, 0x0800);
	ipv4(&f, 6, 0, 0, 5);
	tcp(&f, 1, 2, 5);
	ip_done(&f);
	k = extract(&f);
	assert_int_equal(vsw_pkt_key_extract(f.b, f.len, &pk), 0);
	assert_memory_equal(k.eth_dst, pk.dst, 6);
	assert_memory_equal(k.eth_src, pk.src, 6);
	assert_int_equal(k.vlan_vid, VSW_FLOW_VID_PRESENT | vsw_pkt_key_vid(&pk));
	assert_int_equal(k.vlan_pcp, pk.tci >> 13);
	assert_int_equal(k.eth_type, pk.ethertype);
}

static void
test_mask_helpers(void **state)
{
	struct vsw_flow_key m, a, b;
	const struct vsw_flow_field *dst = NULL, *vid = NULL, *e6 = NULL;

	(void)state;
	for (size_t i = 0; i < vsw_flow_n_fields; i++) {
		const struct vsw_flow_field *fl = &vsw_flow_fields[i];

		assert_true(fl->ofs + fl->len <= sizeof(struct vsw_flow_key));
		assert_true(fl->bits <= fl->len * 8);
		if (strcmp(fl->name, "ipv4_dst") == 0)
			dst = fl;
		if (strcmp(fl->name, "vlan_vid") == 0)
			vid = fl;
		if (strcmp(fl->name, "ipv6_src") == 0)
			e6 = fl;
	}
	assert_non_null(dst);
	assert_non_null(vid);
	assert_non_null(e6);
	memset(&m, 0, sizeof(m));
	vsw_flow_mask_set_field(&m, dst, 24);
	assert_int_equal(m.ipv4_dst, 0xffffff00);
	vsw_flow_mask_set_field(&m, vid, 99);
	assert_int_equal(m.vlan_vid, VSW_FLOW_VID_MASK);
	vsw_flow_mask_set_field(&m, e6, 12);
	assert_int_equal(m.ipv6_src[0], 0xff);
	assert_int_equal(m.ipv6_src[1], 0xf0);
	assert_int_equal(m.ipv6_src[2], 0);

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.ipv4_dst = 0x0a000001;
	b.ipv4_dst = 0x0a0000fe;
	assert_true(vsw_flow_key_equal_masked(&a, &b, &m));
	b.ipv4_dst = 0x0a0001fe;
	assert_false(vsw_flow_key_equal_masked(&a, &b, &m));
	memset(&a, 0, sizeof(a));
	a.ipv4_dst = 0xff000000;
	assert_true(vsw_flow_mask_is_subset(&a, &m));
	assert_false(vsw_flow_mask_is_subset(&m, &a));
	vsw_flow_key_apply_mask(&b, &b, &a);
	assert_int_equal(b.ipv4_dst, 0x0a000000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_frame),
		cmocka_unit_test(test_ethernet),
		cmocka_unit_test(test_vlan_one_two_deep),
		cmocka_unit_test(test_ipv4_tcp),
		cmocka_unit_test(test_ipv4_malformed),
		cmocka_unit_test(test_ipv4_padding_and_short_l4),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ip_proto_zero_and_others),
		cmocka_unit_test(test_ipv6_tcp_udp),
		cmocka_unit_test(test_ipv6_ext_headers),
		cmocka_unit_test(test_ipv6_fragments),
		cmocka_unit_test(test_icmpv6_nd),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_agrees_with_pkt_key),
		cmocka_unit_test(test_mask_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
