/* The virtio-net header (virtio 1.2 §5.1.6) to and from mbuf offload metadata,
 * for the vhost-user port's copy loops. The work left on an mbuf follows the
 * contract of vswitch/offload.h, whose vsw_offload_resolve() finishes it at
 * outputs that cannot. Fast path: no allocation, no logging, no globals. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "iovs_pkt.h"
#include "iovs_pkt_l3.h"
#include "vhu_net_hdr.h"

/* The TX offload bits this module reads and writes (vswitch/offload.h). */
#define TX_OWN_MASK                                                                                \
	(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_IP_CKSUM |                        \
	 RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG)
#define TX_WORK_MASK                                                                               \
	(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG |                  \
	 RTE_MBUF_F_TX_UDP_SEG)
#define TX_SEG_MASK (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG)

#define TCP_FLAGS_OFF offsetof(struct rte_tcp_hdr, tcp_flags)
#define IP4_CSUM_OFF  offsetof(struct rte_ipv4_hdr, hdr_checksum)

/* Widths of the mbuf's l2_len and l3_len bit-fields. */
#define MBUF_L2_MAX 127
#define MBUF_L3_MAX 511

#define F(bit) VHU_NET_FEATURE(VHU_NET_F_##bit)

/* ---- packet bytes and checksums: common/iovs_pkt.h, common/iovs_pkt_l3.h ---- */

/* The virtio way (§5.1.6.2): the ones'-complement sum from csum_start to the
 * end of the packet, the field's partial value included, stored at
 * csum_start + csum_offset. 0 goes out as 0xffff (the same value in ones'
 * complement, and what UDP needs). */
static int
csum_generic(struct rte_mbuf *m, uint32_t start, uint32_t offset)
{
	uint16_t sum, c;

	if (iovs_pkt_sum(m, start, rte_pktmbuf_pkt_len(m) - start, &sum) != 0)
		return -EINVAL;
	c = (uint16_t)~sum;
	if (c == 0)
		c = 0xffff;
	return iovs_pkt_write16(m, start + offset, c);
}

/* ---- guest TX ---- */

/* What rte_net_get_ptype() found: TCP or UDP over IPv4 or IPv6, or proto 0. */
struct parsed {
	bool v4;
	uint8_t proto;
	uint16_t l2, l3, l4;
};

static void
parse(const struct rte_mbuf *m, struct parsed *p)
{
	struct rte_net_hdr_lens hl = {0};
	uint32_t pt;

	memset(p, 0, sizeof(*p));
	pt = rte_net_get_ptype(m, &hl, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK);
	if (!RTE_ETH_IS_IPV4_HDR(pt) && !RTE_ETH_IS_IPV6_HDR(pt))
		return;
	p->v4 = RTE_ETH_IS_IPV4_HDR(pt);
	p->l2 = hl.l2_len;
	p->l3 = hl.l3_len;
	p->l4 = hl.l4_len;
	if ((pt & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_TCP && hl.l4_len >= sizeof(struct rte_tcp_hdr))
		p->proto = IPPROTO_TCP;
	else if ((pt & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_UDP)
		p->proto = IPPROTO_UDP;
}

/* Records the parsed headers as TX metadata with L4 checksum (and 'seg') work
 * and reads the IP header back through it. -EINVAL when the headers do not fit
 * the packet or the mbuf's length fields. */
static int
set_meta(struct rte_mbuf *m, const struct parsed *p, uint64_t seg, struct iovs_l3_view *v)
{
	if (p->proto == 0 || p->l2 > MBUF_L2_MAX || p->l3 > MBUF_L3_MAX ||
	    (uint32_t)p->l2 + p->l3 + p->l4 > rte_pktmbuf_pkt_len(m))
		return -EINVAL;
	m->ol_flags &= ~TX_OWN_MASK;
	m->ol_flags |=
		(p->v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6) | seg |
		(p->proto == IPPROTO_TCP ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
	m->l2_len = p->l2;
	m->l3_len = p->l3;
	m->l4_len = p->l4;
	m->tso_segsz = 0;
	return iovs_l3_from_meta(m, v);
}

/* NEEDS_CSUM without gso: lazy when it is a TCP/UDP checksum over IP whose
 * datagram fills the frame, else now. */
static int
apply_csum(struct rte_mbuf *m, uint32_t start, uint32_t offset)
{
	struct iovs_l3_view v;
	struct parsed p;

	parse(m, &p);
	if (p.proto != 0 && start == (uint32_t)p.l2 + p.l3 &&
	    offset == iovs_l3_l4_csum_off(p.proto) && set_meta(m, &p, 0, &v) == 0 &&
	    v.ip_end == rte_pktmbuf_pkt_len(m))
		return iovs_l3_phdr_store(m, &v, v.ip_end - v.l4_off);
	m->ol_flags &= ~TX_OWN_MASK;
	return csum_generic(m, start, offset);
}

static const char *
gso_name(uint8_t gso)
{
	switch (gso) {
	case VHU_NET_HDR_GSO_TCPV4:
		return "TCPV4";
	case VHU_NET_HDR_GSO_TCPV6:
		return "TCPV6";
	case VHU_NET_HDR_GSO_UDP:
		return "UDP";
	default:
		return "?";
	}
}

static int
apply_gso(struct rte_mbuf *m, uint8_t gso, uint16_t gso_size, uint32_t start, uint32_t offset,
	  struct iovs_err *err)
{
	bool tcp = gso != VHU_NET_HDR_GSO_UDP;
	bool want_v4 = gso != VHU_NET_HDR_GSO_TCPV6;
	uint8_t proto = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	uint32_t len = rte_pktmbuf_pkt_len(m), payload;
	struct iovs_l3_view v;
	struct parsed p;
	int rc;

	parse(m, &p);
	if (!tcp && p.proto == IPPROTO_UDP && !p.v4)
		return iovs_errf(err, -EOPNOTSUPP,
				 "virtio-net header: UFO over IPv6 not supported");
	if (p.proto != proto || p.v4 != want_v4)
		return iovs_errf(
			err, -EINVAL,
			"virtio-net header: gso type %s on a packet that is not %s over %s",
			gso_name(gso), tcp ? "TCP" : "UDP", want_v4 ? "IPv4" : "IPv6");
	if (start != (uint32_t)p.l2 + p.l3 || offset != iovs_l3_l4_csum_off(proto))
		return iovs_errf(
			err, -EINVAL,
			"virtio-net header: gso with csum_start %u csum_offset %u, not the "
			"%s checksum at %u+%u",
			start, offset, tcp ? "TCP" : "UDP", (unsigned)(p.l2 + p.l3),
			iovs_l3_l4_csum_off(proto));
	if (set_meta(m, &p, 0, &v) != 0 || v.ip_end != len)
		return iovs_errf(err, -EINVAL,
				 "virtio-net header: gso packet of %u bytes whose headers or IP "
				 "length do not fit it",
				 len);
	/* TSO counts TCP payload per segment, UFO IP payload per fragment. */
	payload = tcp ? len - (v.l4_off + p.l4) : len - v.l4_off;
	if (payload <= gso_size)
		return iovs_l3_phdr_store(m, &v, v.ip_end - v.l4_off);
	m->ol_flags |= tcp ? RTE_MBUF_F_TX_TCP_SEG : RTE_MBUF_F_TX_UDP_SEG;
	m->tso_segsz = gso_size;
	if (v.v4) {
		m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
		rc = iovs_pkt_write16(m, v.l3_off + IP4_CSUM_OFF, 0);
		if (rc != 0)
			return rc;
	}
	return iovs_l3_phdr_store(m, &v, tcp ? 0 : v.ip_end - v.l4_off);
}

/* The header-only checks of the gso fields (§5.1.6.2, bad-input.md class 8). */
static int
check_gso(const struct vhu_net_hdr *h, uint64_t features, struct iovs_err *err)
{
	uint8_t gso = h->gso_type & (uint8_t)~VHU_NET_HDR_GSO_ECN;
	bool ecn = (h->gso_type & VHU_NET_HDR_GSO_ECN) != 0;
	uint16_t gso_size = rte_le_to_cpu_16(h->gso_size);
	uint64_t need;

	switch (gso) {
	case VHU_NET_HDR_GSO_NONE:
		if (ecn)
			return iovs_errf(err, -EINVAL, "virtio-net header: ECN bit without gso");
		return 0;
	case VHU_NET_HDR_GSO_TCPV4:
		need = F(HOST_TSO4);
		break;
	case VHU_NET_HDR_GSO_TCPV6:
		need = F(HOST_TSO6);
		break;
	case VHU_NET_HDR_GSO_UDP:
		need = F(HOST_UFO);
		break;
	default:
		return iovs_errf(err, -EINVAL, "virtio-net header: unknown gso type 0x%02x",
				 h->gso_type);
	}
	if (!(features & need))
		return iovs_errf(err, -EINVAL, "virtio-net header: gso type %s not negotiated",
				 gso_name(gso));
	if (ecn && gso == VHU_NET_HDR_GSO_UDP)
		return iovs_errf(err, -EINVAL, "virtio-net header: ECN bit on UFO");
	if (ecn && !(features & F(HOST_ECN)))
		return iovs_errf(err, -EINVAL, "virtio-net header: ECN bit not negotiated");
	if (gso_size == 0)
		return iovs_errf(err, -EINVAL, "virtio-net header: gso_size 0 with gso type %s",
				 gso_name(gso));
	if (gso == VHU_NET_HDR_GSO_UDP && gso_size < 8)
		return iovs_errf(
			err, -EINVAL,
			"virtio-net header: UFO gso_size %u below one 8-byte fragment unit",
			gso_size);
	if (!(h->flags & VHU_NET_HDR_F_NEEDS_CSUM))
		return iovs_errf(err, -EINVAL, "virtio-net header: gso without NEEDS_CSUM");
	return 0;
}

int
vhu_net_hdr_to_mbuf(const struct vhu_net_hdr *h, struct rte_mbuf *m, uint64_t features,
		    struct iovs_err *err)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint32_t start = rte_le_to_cpu_16(h->csum_start);
	uint32_t offset = rte_le_to_cpu_16(h->csum_offset);
	uint32_t hdr_len = rte_le_to_cpu_16(h->hdr_len);
	uint8_t gso = h->gso_type & (uint8_t)~VHU_NET_HDR_GSO_ECN;
	int rc;

	m->ol_flags &= ~(TX_OWN_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
	if (h->flags & ~(VHU_NET_HDR_F_NEEDS_CSUM | VHU_NET_HDR_F_DATA_VALID))
		return iovs_errf(err, -EINVAL, "virtio-net header: unknown flags 0x%02x", h->flags);
	if (hdr_len > len)
		return iovs_errf(err, -EINVAL,
				 "virtio-net header: hdr_len %u beyond the %u-byte packet", hdr_len,
				 len);
	rc = check_gso(h, features, err);
	if (rc != 0)
		return rc;
	if (!(h->flags & VHU_NET_HDR_F_NEEDS_CSUM)) {
		if (h->flags & VHU_NET_HDR_F_DATA_VALID)
			m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		return 0;
	}
	if (!(features & F(CSUM)))
		return iovs_errf(err, -EINVAL, "virtio-net header: NEEDS_CSUM not negotiated");
	if (start >= len)
		return iovs_errf(err, -EINVAL,
				 "virtio-net header: csum_start %u beyond the %u-byte packet",
				 start, len);
	if (start + offset + 2 > len)
		return iovs_errf(
			err, -EINVAL,
			"virtio-net header: checksum field at %u+%u beyond the %u-byte packet",
			start, offset, len);
	if (gso != VHU_NET_HDR_GSO_NONE)
		rc = apply_gso(m, gso, rte_le_to_cpu_16(h->gso_size), start, offset, err);
	else
		rc = apply_csum(m, start, offset);
	if (rc == -EROFS)
		return iovs_errf(err, rc, "virtio-net header: packet data is shared");
	return rc;
}

/* ---- guest RX ---- */

/* A TSO/UFO packet: the gso fields, or VHU_NET_HDR_NEEDS_GSO. */
static int
gso_to_hdr(struct rte_mbuf *m, uint64_t gf, const struct iovs_l3_view *v, struct vhu_net_hdr *h)
{
	uint64_t ol = m->ol_flags;
	bool tcp = (ol & RTE_MBUF_F_TX_TCP_SEG) != 0;
	uint64_t need = F(GUEST_CSUM);
	uint32_t hdrs = v->l4_off + (tcp ? m->l4_len : sizeof(struct rte_udp_hdr));
	uint8_t type, tcp_flags = 0;
	int rc;

	if ((ol & TX_SEG_MASK) == TX_SEG_MASK || m->tso_segsz == 0 || hdrs > v->ip_end ||
	    (tcp && m->l4_len < sizeof(struct rte_tcp_hdr)) || (!tcp && !v->v4))
		return -EINVAL;
	if (tcp) {
		if (!iovs_pkt_read(m, v->l4_off + TCP_FLAGS_OFF, 1, &tcp_flags))
			return -EINVAL;
		type = v->v4 ? VHU_NET_HDR_GSO_TCPV4 : VHU_NET_HDR_GSO_TCPV6;
		need |= v->v4 ? F(GUEST_TSO4) : F(GUEST_TSO6);
		if (tcp_flags & RTE_TCP_CWR_FLAG) {
			need |= F(GUEST_ECN);
			type |= VHU_NET_HDR_GSO_ECN;
		}
	} else {
		type = VHU_NET_HDR_GSO_UDP;
		need |= F(GUEST_UFO);
	}
	if ((gf & need) != need)
		return VHU_NET_HDR_NEEDS_GSO;
	if (v->v4) {
		rc = iovs_l3_ipv4_csum_sw(m, v);
		if (rc != 0)
			return rc;
	}
	/* A gso packet's partial checksum covers its whole L4 length (Linux's rule,
	 * which guests apply when they segment it again). */
	rc = iovs_l3_phdr_store(m, v, v->ip_end - v->l4_off);
	if (rc != 0)
		return rc;
	h->flags = VHU_NET_HDR_F_NEEDS_CSUM;
	h->gso_type = type;
	h->hdr_len = rte_cpu_to_le_16((uint16_t)hdrs);
	h->gso_size = rte_cpu_to_le_16(m->tso_segsz);
	h->csum_start = rte_cpu_to_le_16((uint16_t)v->l4_off);
	h->csum_offset = rte_cpu_to_le_16((uint16_t)iovs_l3_l4_csum_off(v->proto));
	return 0;
}

/* Pending checksums without gso. */
static int
csum_to_hdr(struct rte_mbuf *m, uint64_t gf, const struct iovs_l3_view *v, struct vhu_net_hdr *h)
{
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;
	int rc;

	if (m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) {
		rc = iovs_l3_ipv4_csum_sw(m, v);
		if (rc != 0)
			return rc;
	}
	if (l4 == 0)
		return 0;
	if (l4 != RTE_MBUF_F_TX_TCP_CKSUM && l4 != RTE_MBUF_F_TX_UDP_CKSUM)
		return -EINVAL; /* SCTP is not part of the contract */
	if (!(gf & F(GUEST_CSUM)) || v->ip_end != rte_pktmbuf_pkt_len(m))
		return iovs_l3_l4_csum_sw(m, v);
	rc = iovs_l3_phdr_store(m, v, v->ip_end - v->l4_off);
	if (rc != 0)
		return rc;
	h->flags = VHU_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = rte_cpu_to_le_16((uint16_t)v->l4_off);
	h->csum_offset = rte_cpu_to_le_16((uint16_t)iovs_l3_l4_csum_off(v->proto));
	return 0;
}

int
vhu_net_hdr_from_mbuf(struct rte_mbuf *m, uint64_t guest_features, struct vhu_net_hdr *h,
		      struct iovs_err *err)
{
	uint64_t ol = m->ol_flags;
	struct iovs_l3_view v;
	int rc;

	memset(h, 0, sizeof(*h));
	if (ol & TX_WORK_MASK) {
		rc = iovs_l3_from_meta(m, &v);
		if (rc != 0)
			return iovs_errf(err, rc, "offload metadata does not match the packet");
		if (ol & TX_SEG_MASK)
			rc = gso_to_hdr(m, guest_features, &v, h);
		else
			rc = csum_to_hdr(m, guest_features, &v, h);
		if (rc == VHU_NET_HDR_NEEDS_GSO)
			return rc;
		if (rc != 0) {
			memset(h, 0, sizeof(*h));
			return iovs_errf(err, rc,
					 "cannot finish the packet's offloads for the guest");
		}
		m->ol_flags &= ~TX_OWN_MASK;
	}
	if (h->flags == 0 && (guest_features & F(GUEST_CSUM)) &&
	    (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		h->flags = VHU_NET_HDR_F_DATA_VALID;
	return 0;
}
