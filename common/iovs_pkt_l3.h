/* The IP header an mbuf's TX offload metadata (TX_IPV4/IPV6, l2_len, l3_len,
 * the L4 flags) points at, checked against the packet's bytes, and the
 * checksums computed from it: shared by the virtio-net header translation
 * (vhost-user/vhu_net_hdr.c) and the switch's software offloads
 * (vswitch/offload.c). DPDK mbufs; no state. */
#ifndef IOVS_PKT_L3_H
#define IOVS_PKT_L3_H

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "iovs_pkt.h"

#define IOVS_L3_TCP_CSUM_OFF offsetof(struct rte_tcp_hdr, cksum)
#define IOVS_L3_UDP_CSUM_OFF offsetof(struct rte_udp_hdr, dgram_cksum)
#define IOVS_L3_IP4_CSUM_OFF offsetof(struct rte_ipv4_hdr, hdr_checksum)
#define IOVS_L3_IP4_HLEN_MIN sizeof(struct rte_ipv4_hdr)
#define IOVS_L3_IP4_HLEN_MAX 60
#define IOVS_L3_IP6_HLEN     sizeof(struct rte_ipv6_hdr)

/* The IP header an mbuf's metadata points at (a copy of its fixed part). */
struct iovs_l3_view {
	bool v4;
	uint8_t proto;	 /* IPPROTO_TCP / IPPROTO_UDP per the L4 flags, else 0 */
	uint32_t l3_off; /* = l2_len */
	uint32_t l4_off; /* = l2_len + l3_len */
	uint32_t ip_end; /* end of the IP datagram per its length field */
	union {
		struct rte_ipv4_hdr v4;
		struct rte_ipv6_hdr v6;
	} ip;
};

/* Reads the IP header that m's TX metadata locates and checks it against the
 * data: the ethertype just before it, the version, the header length, the
 * protocol, and the datagram inside the frame. -EINVAL when they disagree. */
static inline int
iovs_l3_from_meta(const struct rte_mbuf *m, struct iovs_l3_view *v)
{
	uint64_t ol = m->ol_flags;
	uint32_t l2 = m->l2_len, l3 = m->l3_len;
	uint8_t et[2];
	size_t fixed;

	v->v4 = (ol & RTE_MBUF_F_TX_IPV4) != 0;
	if (v->v4 == ((ol & RTE_MBUF_F_TX_IPV6) != 0))
		return -EINVAL;
	fixed = v->v4 ? IOVS_L3_IP4_HLEN_MIN : IOVS_L3_IP6_HLEN;
	if (l2 < RTE_ETHER_HDR_LEN || l3 < fixed || l2 + l3 > rte_pktmbuf_pkt_len(m))
		return -EINVAL;
	if (!iovs_pkt_read(m, l2 - 2, sizeof(et), et) ||
	    (et[0] << 8 | et[1]) != (v->v4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6))
		return -EINVAL;
	if (!iovs_pkt_read(m, l2, (uint32_t)fixed, &v->ip))
		return -EINVAL;
	v->l3_off = l2;
	v->l4_off = l2 + l3;
	switch (ol & RTE_MBUF_F_TX_L4_MASK) {
	case RTE_MBUF_F_TX_TCP_CKSUM:
		v->proto = IPPROTO_TCP;
		break;
	case RTE_MBUF_F_TX_UDP_CKSUM:
		v->proto = IPPROTO_UDP;
		break;
	default:
		v->proto = (ol & RTE_MBUF_F_TX_TCP_SEG)	  ? IPPROTO_TCP
			   : (ol & RTE_MBUF_F_TX_UDP_SEG) ? IPPROTO_UDP
							  : 0;
	}
	if (v->v4) {
		if ((v->ip.v4.version_ihl >> 4) != 4 || rte_ipv4_hdr_len(&v->ip.v4) != l3)
			return -EINVAL;
		if (v->proto != 0 && v->ip.v4.next_proto_id != v->proto)
			return -EINVAL;
		v->ip_end = l2 + rte_be_to_cpu_16(v->ip.v4.total_length);
	} else {
		if ((rte_be_to_cpu_32(v->ip.v6.vtc_flow) >> 28) != 6)
			return -EINVAL;
		if (v->proto != 0 && l3 == IOVS_L3_IP6_HLEN && v->ip.v6.proto != v->proto)
			return -EINVAL;
		v->ip_end =
			l2 + (uint32_t)IOVS_L3_IP6_HLEN + rte_be_to_cpu_16(v->ip.v6.payload_len);
	}
	if (v->ip_end < v->l4_off || v->ip_end > rte_pktmbuf_pkt_len(m))
		return -EINVAL;
	return 0;
}

/* The pseudo-header sum (RFC 793 §3.1, RFC 768, RFC 8200 §8.1), folded, not
 * complemented, for an L4 length of 'l4_len'. */
static inline uint16_t
iovs_l3_phdr_sum(const struct iovs_l3_view *v, uint32_t l4_len)
{
	uint8_t b[40] = {0};

	if (v->v4) {
		memcpy(b, &v->ip.v4.src_addr, 8);
		b[9] = v->proto;
		b[10] = (uint8_t)(l4_len >> 8);
		b[11] = (uint8_t)l4_len;
		return rte_raw_cksum(b, 12);
	}
	memcpy(b, v->ip.v6.src_addr, 32);
	b[32] = (uint8_t)(l4_len >> 24);
	b[33] = (uint8_t)(l4_len >> 16);
	b[34] = (uint8_t)(l4_len >> 8);
	b[35] = (uint8_t)l4_len;
	b[39] = v->proto;
	return rte_raw_cksum(b, sizeof(b));
}

static inline uint32_t
iovs_l3_l4_csum_off(uint8_t proto)
{
	return proto == IPPROTO_TCP ? IOVS_L3_TCP_CSUM_OFF : IOVS_L3_UDP_CSUM_OFF;
}

/* Computes the complete TCP/UDP checksum of the datagram [l4_off, ip_end) and
 * stores it (whatever the field held before). */
static inline int
iovs_l3_l4_csum_sw(struct rte_mbuf *m, const struct iovs_l3_view *v)
{
	uint32_t len = v->ip_end - v->l4_off;
	uint32_t field = v->l4_off + iovs_l3_l4_csum_off(v->proto);
	uint16_t sum, c;
	int rc;

	if (v->proto == 0 || field + 2 > v->ip_end)
		return -EINVAL;
	rc = iovs_pkt_write16(m, field, 0);
	if (rc != 0)
		return rc;
	if (iovs_pkt_sum(m, v->l4_off, len, &sum) != 0)
		return -EINVAL;
	c = (uint16_t)~iovs_csum_fold((uint32_t)sum + iovs_l3_phdr_sum(v, len));
	if (c == 0 && v->proto == IPPROTO_UDP)
		c = 0xffff; /* RFC 768: 0 would mean "no checksum" */
	return iovs_pkt_write16(m, field, c);
}

/* Writes the pseudo-header sum over 'l4_len' into the L4 checksum field. */
static inline int
iovs_l3_phdr_store(struct rte_mbuf *m, const struct iovs_l3_view *v, uint32_t l4_len)
{
	uint32_t field = v->l4_off + iovs_l3_l4_csum_off(v->proto);

	if (v->proto == 0 || field + 2 > v->ip_end)
		return -EINVAL;
	return iovs_pkt_write16(m, field, iovs_l3_phdr_sum(v, l4_len));
}

static inline int
iovs_l3_ipv4_csum_sw(struct rte_mbuf *m, const struct iovs_l3_view *v)
{
	uint32_t hlen = v->l4_off - v->l3_off;
	uint8_t buf[IOVS_L3_IP4_HLEN_MAX];

	if (!v->v4 || hlen < IOVS_L3_IP4_HLEN_MIN || hlen > IOVS_L3_IP4_HLEN_MAX ||
	    !iovs_pkt_read(m, v->l3_off, hlen, buf))
		return -EINVAL;
	buf[IOVS_L3_IP4_CSUM_OFF] = 0;
	buf[IOVS_L3_IP4_CSUM_OFF + 1] = 0;
	return iovs_pkt_write16(m, v->l3_off + IOVS_L3_IP4_CSUM_OFF,
				(uint16_t)~rte_raw_cksum(buf, hlen));
}

#endif
