/* Finishing pending offload work at an output (fast path): checksums in place,
 * TSO/UFO through rte_gso or our copying segmenter, then per-segment header
 * fixes. Producers of the work: vhost-user/vhu_net_hdr.c; callers: the PMD's
 * tx path (pmd.c) and the vhost-user port before vhu_net_hdr_from_mbuf(). The
 * byte-level checksum helpers are shared with vhu_net_hdr.c (common/iovs_pkt.h). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_gso.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "iovs_pkt.h"
#include "iovs_pkt_l3.h"
#include "offload.h"

#define TX_OWN_MASK                                                                                \
	(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_IP_CKSUM |                        \
	 RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG)
#define TX_WORK_MASK                                                                               \
	(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG |                  \
	 RTE_MBUF_F_TX_UDP_SEG)
#define TX_SEG_MASK (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG)

#define TCP_SEQ_OFF   offsetof(struct rte_tcp_hdr, sent_seq)
#define TCP_FLAGS_OFF offsetof(struct rte_tcp_hdr, tcp_flags)
#define IP4_LEN_OFF   offsetof(struct rte_ipv4_hdr, total_length)
#define IP4_ID_OFF    offsetof(struct rte_ipv4_hdr, packet_id)
#define IP4_CSUM_OFF  offsetof(struct rte_ipv4_hdr, hdr_checksum)
#define IP6_PLEN_OFF  offsetof(struct rte_ipv6_hdr, payload_len)
#define IP6_HLEN      sizeof(struct rte_ipv6_hdr)
#define UDP_HLEN      sizeof(struct rte_udp_hdr)

uint32_t
vsw_offload_caps_from_ethdev(uint64_t tx_offloads)
{
	const uint64_t tso4 = RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
			      RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	const uint64_t tso6 = RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	uint32_t caps = 0;

	if (tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)
		caps |= VSW_OFFLOAD_IPV4_CKSUM;
	if (tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM)
		caps |= VSW_OFFLOAD_TCP_CKSUM;
	if (tx_offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM)
		caps |= VSW_OFFLOAD_UDP_CKSUM;
	if ((tx_offloads & tso4) == tso4)
		caps |= VSW_OFFLOAD_TSO4;
	if ((tx_offloads & tso6) == tso6)
		caps |= VSW_OFFLOAD_TSO6;
	if (tx_offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		caps |= VSW_OFFLOAD_MULTI_SEG;
	return caps;
}

int
vsw_offload_ctx_init(struct vsw_offload_ctx *ctx, struct rte_mempool *direct,
		     struct rte_mempool *indirect)
{
	if (ctx == NULL || direct == NULL || indirect == NULL)
		return -EINVAL;
	memset(ctx, 0, sizeof(*ctx));
	ctx->gso.direct_pool = direct;
	ctx->gso.indirect_pool = indirect;
	ctx->gso.gso_types = RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_UDP_TSO;
	ctx->gso.flag = 0; /* incrementing IPv4 ids, as Linux's GSO */
	ctx->gso.gso_size = RTE_GSO_SEG_SIZE_MIN;
	return 0;
}

void
vsw_offload_ctx_fini(struct vsw_offload_ctx *ctx)
{
	if (ctx != NULL)
		memset(ctx, 0, sizeof(*ctx));
}

/* ---- packet bytes and checksums: common/iovs_pkt.h, common/iovs_pkt_l3.h ---- */

/* ---- checksums ---- */

/* Does the pending checksum work of a packet without TSO/UFO that 'caps' does
 * not cover, in place; leaves the rest as DPDK PMDs want it (IPv4 checksum
 * field zeroed). Clears the TX metadata when nothing is left. */
static int
finish_csum(struct rte_mbuf *m, uint32_t caps)
{
	uint64_t ol = m->ol_flags;
	uint64_t l4 = ol & RTE_MBUF_F_TX_L4_MASK;
	struct iovs_l3_view v;
	int rc;

	if (!(ol & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK))) {
		m->ol_flags &= ~TX_OWN_MASK;
		return 0;
	}
	rc = iovs_l3_from_meta(m, &v);
	if (rc != 0)
		return rc;
	if (ol & RTE_MBUF_F_TX_IP_CKSUM) {
		if (caps & VSW_OFFLOAD_IPV4_CKSUM) {
			rc = v.v4 ? iovs_pkt_write16(m, v.l3_off + IP4_CSUM_OFF, 0) : -EINVAL;
		} else {
			rc = iovs_l3_ipv4_csum_sw(m, &v);
			ol &= ~RTE_MBUF_F_TX_IP_CKSUM;
		}
		if (rc != 0)
			return rc;
	}
	if (l4 != 0) {
		uint32_t cap;

		if (l4 == RTE_MBUF_F_TX_TCP_CKSUM)
			cap = VSW_OFFLOAD_TCP_CKSUM;
		else if (l4 == RTE_MBUF_F_TX_UDP_CKSUM)
			cap = VSW_OFFLOAD_UDP_CKSUM;
		else
			return -EINVAL; /* SCTP is not part of the contract */
		if (!(caps & cap)) {
			rc = iovs_l3_l4_csum_sw(m, &v);
			if (rc != 0)
				return rc;
			ol &= ~RTE_MBUF_F_TX_L4_MASK;
		} else if (v.l4_off + iovs_l3_l4_csum_off(v.proto) + 2 > v.ip_end) {
			return -EINVAL;
		}
	}
	if (!(ol & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK)))
		ol &= ~TX_OWN_MASK;
	m->ol_flags = ol;
	return 0;
}

/* ---- segmentation ---- */

/* Appends bytes [off, off + len) of 'src' to the chain 'head' whose last
 * segment is *tail, taking segments from 'mp' as the tail fills. */
static int
append(struct rte_mbuf *head, struct rte_mbuf **tail, struct rte_mempool *mp,
       const struct rte_mbuf *src, uint32_t off, uint32_t len)
{
	while (len > 0) {
		struct rte_mbuf *t = *tail;
		uint32_t n = rte_pktmbuf_tailroom(t);
		const void *p;
		uint8_t *dst;

		if (n == 0) {
			struct rte_mbuf *nm;

			if (head->nb_segs == RTE_MBUF_MAX_NB_SEGS)
				return -ERANGE;
			nm = rte_pktmbuf_alloc(mp);
			if (nm == NULL)
				return -ENOMEM;
			if (rte_pktmbuf_tailroom(nm) == 0) { /* a pool without data room */
				rte_pktmbuf_free(nm);
				return -EINVAL;
			}
			t->next = nm;
			head->nb_segs++;
			*tail = nm;
			continue;
		}
		n = RTE_MIN(n, len);
		dst = rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len);
		p = rte_pktmbuf_read(src, off, n, dst);
		if (p == NULL)
			return -EINVAL;
		if (p != dst)
			memcpy(dst, p, n);
		t->data_len = (uint16_t)(t->data_len + n);
		head->pkt_len += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* The header fields of segment 'idx' of 'n' that segmentation changes: IP
 * length and id, TCP sequence number, and PSH/FIN (last segment only). */
static int
patch_tcp_seg(struct rte_mbuf *s, const struct iovs_l3_view *v, uint32_t hdrs, uint32_t len,
	      uint32_t seq, uint8_t flags, uint16_t id, bool last)
{
	rte_be32_t seq_be = rte_cpu_to_be_32(seq);
	uint32_t l4_off = v->l4_off;
	int rc;

	if (v->v4) {
		rc = iovs_pkt_write16(s, v->l3_off + IP4_LEN_OFF,
				      rte_cpu_to_be_16((uint16_t)(hdrs - v->l3_off + len)));
		if (rc == 0)
			rc = iovs_pkt_write16(s, v->l3_off + IP4_ID_OFF, rte_cpu_to_be_16(id));
	} else {
		rc = iovs_pkt_write16(
			s, v->l3_off + IP6_PLEN_OFF,
			rte_cpu_to_be_16((uint16_t)(hdrs - v->l3_off - IP6_HLEN + len)));
	}
	if (rc == 0)
		rc = iovs_pkt_write(s, l4_off + TCP_SEQ_OFF, &seq_be, sizeof(seq_be));
	if (!last)
		flags &= (uint8_t) ~(RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG);
	if (rc == 0)
		rc = iovs_pkt_write(s, l4_off + TCP_FLAGS_OFF, &flags, 1);
	return rc;
}

/* Our TSO: each segment copied into fresh mbufs from 'mp' (one when headers +
 * MSS fit its data room), for IPv6 (which rte_gso lacks), outputs without
 * multi-segment support, and headers split across segments. */
static int
seg_copy(struct rte_mbuf *m, struct rte_mempool *mp, const struct iovs_l3_view *v, uint32_t hdrs,
	 uint32_t mss, uint32_t n, struct rte_mbuf **out)
{
	uint32_t payload = rte_pktmbuf_pkt_len(m) - hdrs, seq, i;
	uint16_t id = v->v4 ? rte_be_to_cpu_16(v->ip.v4.packet_id) : 0;
	rte_be32_t seq_be;
	uint8_t flags;
	int rc = 0;

	if (hdrs - v->l3_off + mss > UINT16_MAX)
		return -ERANGE;
	if (!iovs_pkt_read(m, v->l4_off + TCP_SEQ_OFF, sizeof(seq_be), &seq_be) ||
	    !iovs_pkt_read(m, v->l4_off + TCP_FLAGS_OFF, 1, &flags))
		return -EINVAL;
	seq = rte_be_to_cpu_32(seq_be);
	for (i = 0; i < n; i++) {
		uint32_t off = i * mss, len = RTE_MIN(mss, payload - off);
		struct rte_mbuf *s = rte_pktmbuf_alloc(mp), *tail = s;

		if (s == NULL) {
			rc = -ENOMEM;
			break;
		}
		out[i] = s;
		rc = append(s, &tail, mp, m, 0, hdrs);
		if (rc == 0)
			rc = append(s, &tail, mp, m, hdrs + off, len);
		if (rc != 0) {
			i++;
			break;
		}
		s->ol_flags |= m->ol_flags & (TX_OWN_MASK & ~TX_SEG_MASK);
		s->tx_offload = m->tx_offload;
		s->tso_segsz = 0;
		s->packet_type = m->packet_type;
		s->port = m->port;
		rc = patch_tcp_seg(s, v, hdrs, len, seq + off, flags, (uint16_t)(id + i),
				   i + 1 == n);
		if (rc != 0) {
			i++;
			break;
		}
	}
	if (rc == 0)
		return (int)n;
	while (i > 0)
		rte_pktmbuf_free(out[--i]);
	return rc;
}

/* rte_gso_segment() into segments of at most 'seg_size' bytes. */
static int
seg_gso(struct rte_mbuf *m, struct vsw_offload_ctx *ctx, uint32_t seg_size, struct rte_mbuf **out,
	uint16_t max_out)
{
	uint64_t ol = m->ol_flags;
	int n;

	if (seg_size > UINT16_MAX)
		return -ERANGE;
	ctx->gso.gso_size = (uint16_t)seg_size;
	n = rte_gso_segment(m, &ctx->gso, out, max_out);
	if (n <= 0) {
		m->ol_flags = ol; /* rte_gso drops the SEG flag before some refusals */
		return n == 0 ? -EINVAL : n;
	}
	return n;
}

/* What segmentation leaves undone on segment 'idx': CWR after the first
 * segment, then the checksums (the IPv4 header's always, since lengths and ids
 * changed; TCP's with the segment's own pseudo-header). */
static int
finish_segment(struct rte_mbuf *s, uint32_t caps, bool tcp, uint32_t idx)
{
	struct iovs_l3_view v;
	int rc;

	s->tso_segsz = 0;
	if (s->ol_flags & RTE_MBUF_F_TX_IPV4)
		s->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
	rc = iovs_l3_from_meta(s, &v);
	if (rc != 0)
		return rc;
	if (tcp) {
		if (idx > 0) {
			uint32_t off = v.l4_off + TCP_FLAGS_OFF;
			uint8_t f;

			if (!iovs_pkt_read(s, off, 1, &f))
				return -EINVAL;
			f &= (uint8_t)~RTE_TCP_CWR_FLAG;
			rc = iovs_pkt_write(s, off, &f, 1);
			if (rc != 0)
				return rc;
		}
		rc = iovs_l3_phdr_store(s, &v, v.ip_end - v.l4_off);
		if (rc != 0)
			return rc;
	}
	return finish_csum(s, caps);
}

/* A TSO/UFO packet that fits in one segment: a plain checksum request. */
static int
unsegment(struct rte_mbuf *m, const struct iovs_l3_view *v, uint32_t caps)
{
	int rc;

	m->ol_flags &= ~TX_SEG_MASK;
	m->tso_segsz = 0;
	if (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) {
		rc = iovs_l3_phdr_store(m, v, v->ip_end - v->l4_off);
		if (rc != 0)
			return rc;
	}
	return finish_csum(m, caps);
}

/* Cuts 'm' into 'n' segments of 'unit' bytes after 'hdrs' bytes of headers:
 * rte_gso where it can (TCP/IPv4 with multi-segment output and headers in the
 * first segment; UFO), our copying segmenter for the rest of TSO. */
static int
segment(struct rte_mbuf *m, uint32_t caps, struct vsw_offload_ctx *ctx,
	const struct iovs_l3_view *v, uint32_t hdrs, uint32_t unit, uint32_t n,
	struct rte_mbuf **out, uint16_t max_out)
{
	int rc;

	if (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) {
		if (v->v4 && (caps & VSW_OFFLOAD_MULTI_SEG) && hdrs <= m->data_len &&
		    hdrs + unit >= RTE_GSO_SEG_SIZE_MIN)
			return seg_gso(m, ctx, hdrs + unit, out, max_out);
		return seg_copy(m, ctx->gso.direct_pool, v, hdrs, unit, n, out);
	}
	if (!v->v4 || v->l4_off + UDP_HLEN > m->data_len)
		return -ENOTSUP;
	if (hdrs + unit < RTE_GSO_UDP_SEG_SIZE_MIN)
		return -EINVAL;
	/* Fragments cannot carry the datagram's checksum: compute it first. */
	if (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) {
		rc = iovs_l3_l4_csum_sw(m, v);
		if (rc != 0)
			return rc;
		m->ol_flags &= ~RTE_MBUF_F_TX_L4_MASK;
	}
	return seg_gso(m, ctx, hdrs + unit, out, max_out);
}

static int
resolve_seg(struct rte_mbuf *m, uint32_t caps, struct vsw_offload_ctx *ctx, struct rte_mbuf **out,
	    uint16_t max_out)
{
	uint64_t ol = m->ol_flags;
	bool tcp = (ol & RTE_MBUF_F_TX_TCP_SEG) != 0;
	uint32_t len = rte_pktmbuf_pkt_len(m), hdrs, unit, n, i;
	uint8_t tcp_flags = 0;
	struct iovs_l3_view v;
	int rc;

	if ((ol & TX_SEG_MASK) == TX_SEG_MASK || m->tso_segsz == 0)
		return -EINVAL;
	if (tcp && (ol & RTE_MBUF_F_TX_L4_MASK) != RTE_MBUF_F_TX_TCP_CKSUM)
		return -EINVAL;
	rc = iovs_l3_from_meta(m, &v);
	if (rc != 0)
		return rc;
	hdrs = v.l4_off + (tcp ? m->l4_len : 0);
	if (v.ip_end != len || (tcp && m->l4_len < sizeof(struct rte_tcp_hdr)) ||
	    hdrs + (tcp ? 0 : UDP_HLEN) > len)
		return -EINVAL;
	if (tcp) {
		if (!iovs_pkt_read(m, v.l4_off + TCP_FLAGS_OFF, 1, &tcp_flags))
			return -EINVAL;
	}
	if ((caps & (tcp ? (v.v4 ? VSW_OFFLOAD_TSO4 : VSW_OFFLOAD_TSO6) : VSW_OFFLOAD_UFO)) &&
	    !(tcp && (tcp_flags & RTE_TCP_CWR_FLAG) && !(caps & VSW_OFFLOAD_TSO_ECN))) {
		if (v.v4 && (ol & RTE_MBUF_F_TX_IP_CKSUM)) {
			rc = iovs_pkt_write16(m, v.l3_off + IP4_CSUM_OFF, 0);
			if (rc != 0)
				return rc;
		}
		out[0] = m;
		return 1;
	}
	unit = tcp ? m->tso_segsz : (m->tso_segsz & ~7u);
	if (unit == 0)
		return -EINVAL;
	n = (len - hdrs + unit - 1) / unit;
	if (n <= 1) {
		rc = unsegment(m, &v, caps);
		if (rc != 0)
			return rc;
		out[0] = m;
		return 1;
	}
	if (n > max_out)
		return -ENOSPC;
	rc = segment(m, caps, ctx, &v, hdrs, unit, n, out, max_out);
	if (rc < 0)
		return rc;
	n = (uint32_t)rc;
	for (i = 0; i < n; i++) {
		rc = finish_segment(out[i], caps, tcp, i);
		if (rc != 0) {
			for (i = 0; i < n; i++)
				rte_pktmbuf_free(out[i]);
			return rc;
		}
	}
	rte_pktmbuf_free(m);
	return (int)n;
}

int
vsw_offload_resolve(struct rte_mbuf *m, uint32_t caps, struct vsw_offload_ctx *ctx,
		    struct rte_mbuf **out, uint16_t max_out)
{
	int rc;

	if (unlikely(max_out == 0))
		return -EINVAL;
	if (likely(!(m->ol_flags & TX_WORK_MASK))) {
		out[0] = m;
		return 1;
	}
	if (m->ol_flags & TX_SEG_MASK)
		return resolve_seg(m, caps, ctx, out, max_out);
	rc = finish_csum(m, caps);
	if (rc != 0)
		return rc;
	out[0] = m;
	return 1;
}
