/* Finishing a packet's pending offload work at an output (fast path).
 *
 * Design. Inside the switch, the checksum and segmentation work a packet still
 * needs travels as DPDK TX offload metadata on its mbuf, so that work nobody
 * needs is never done: a guest's 64 KB TSO frame reaches a guest that accepts
 * TSO untouched. At each output, vsw_offload_resolve() does in software what
 * the output's capabilities (VSW_OFFLOAD_*) do not cover, and an output that
 * has them gets the metadata as DPDK PMDs want it.
 *
 * The contract every producer follows (vhost-user/vhu_net_hdr.c today):
 *
 *   TX_IPV4 | TX_IPV6     exactly one whenever a bit below is set; l2_len (VLAN
 *                         tags included: whoever pushes or pops a tag adjusts
 *                         it) and l3_len locate the IP header.
 *   TX_IP_CKSUM           the IPv4 header checksum is to be computed (the field's
 *                         content does not matter).
 *   TX_TCP_CKSUM,         the L4 checksum is to be completed; its field holds
 *   TX_UDP_CKSUM          the pseudo-header sum over the L4 length
 *                         (= rte_ipv4_phdr_cksum(ip, 0)).
 *   TX_TCP_SEG            TSO: segments of tso_segsz TCP payload bytes; l4_len
 *                         set; with TX_TCP_CKSUM, and TX_IP_CKSUM for IPv4; the
 *                         TCP field holds the pseudo-header sum without length
 *                         (DPDK's TSO rule). The TCP header's CWR flag, if set,
 *                         belongs to the first segment only (RFC 3168).
 *   TX_UDP_SEG            UFO: IPv4 fragmentation of one UDP datagram into
 *                         fragments of tso_segsz IP payload bytes (rounded down
 *                         to 8); l4_len 8; with TX_UDP_CKSUM (field: the
 *                         pseudo-header sum over the datagram) and TX_IP_CKSUM.
 *   RX_L4_CKSUM_GOOD      the L4 checksum is known to be good.
 *
 * For TSO/UFO packets the IP length field covers the whole frame after L2.
 * Packets are only written to when their segments are not shared (the bridge
 * deep-copies floods); a write into a shared segment fails with -EROFS.
 *
 * What is done where, by vsw_offload_resolve():
 *   TSO over IPv4, output with multi-segment support, headers in the first
 *     segment: rte_gso_segment(). It copies the headers into a new mbuf per
 *     segment and attaches the payload through indirect mbufs (zero copy), sets
 *     each segment's IP total length, IP id (incrementing), TCP sequence number,
 *     and clears PSH/FIN on all segments but the last. It computes no checksum
 *     and leaves CWR on every segment; we finish: CWR cleared after the first
 *     segment, IPv4 header checksum, TCP checksum (in software, or the
 *     pseudo-header with the segment's length for an output that offloads it).
 *   TSO over IPv6 (rte_gso in DPDK 22.11 has no TCP/IPv6), or an output without
 *     multi-segment support, or headers split across segments: our copying
 *     segmenter, which writes each segment into fresh mbufs from the direct
 *     pool (one mbuf when it fits) and does the same header updates.
 *   UFO: the UDP checksum over the whole datagram in software first (fragments
 *     cannot carry one), then rte_gso_segment() (fragment offsets, MF, lengths;
 *     all fragments keep the datagram's IP id), then IPv4 header checksums.
 *     IPv6 UFO is not supported (-ENOTSUP).
 *   Checksums alone: in place, in software or left to the output.
 *
 * Threading: one struct vsw_offload_ctx per PMD thread; no allocation other
 * than mbufs, no logging.
 */
#ifndef VSW_OFFLOAD_H
#define VSW_OFFLOAD_H

#include <stdint.h>

#include <rte_gso.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

/* What an output does itself. */
#define VSW_OFFLOAD_IPV4_CKSUM (1u << 0)
#define VSW_OFFLOAD_TCP_CKSUM  (1u << 1) /* over IPv4 and IPv6 */
#define VSW_OFFLOAD_UDP_CKSUM  (1u << 2) /* over IPv4 and IPv6 */
#define VSW_OFFLOAD_TSO4       (1u << 3) /* takes TX_TCP_SEG over IPv4 as the contract says */
#define VSW_OFFLOAD_TSO6       (1u << 4)
#define VSW_OFFLOAD_TSO_ECN    (1u << 5) /* its TSO keeps CWR on the first segment only */
#define VSW_OFFLOAD_UFO	       (1u << 6) /* IPv4 UDP fragmentation (virtio GUEST_UFO) */
/* Takes chained mbufs. Without it, software TSO produces one mbuf per segment
 * when the segment fits the direct pool's data room; other packets are passed
 * as they are (resolve does not linearize). */
#define VSW_OFFLOAD_MULTI_SEG (1u << 7)

/* The mbuf flags that ask for work (the contract above). A packet with none of
 * them needs nothing from vsw_offload_resolve(): outputs test this first. */
#define VSW_OFFLOAD_TX_WORK                                                                        \
	(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG |                  \
	 RTE_MBUF_F_TX_UDP_SEG)

/* The capabilities behind the TX offloads an ethdev port ENABLED at configure
 * time (a subset of dev_info.tx_offload_capa that went into txmode.offloads):
 * TSO4 needs TCP_TSO with TCP_CKSUM and IPV4_CKSUM, TSO6 TCP_TSO with
 * TCP_CKSUM. RTE_ETH_TX_OFFLOAD_UDP_TSO is never mapped to UFO: NICs implement
 * it as UDP segmentation (one UDP header per packet), not IP fragmentation. No
 * NIC is assumed to handle CWR (TSO_ECN): such rare packets go through
 * software. */
uint32_t vsw_offload_caps_from_ethdev(uint64_t tx_offloads);

/* Per-PMD state for software segmentation. */
struct vsw_offload_ctx {
	struct rte_gso_ctx gso; /* gso_size set per packet */
};

/* Borrows 'direct' (headers, copied segments: the switch's packet pool) and
 * 'indirect' (payload references for rte_gso: a pool with no data room, sized
 * for the segments in flight, about one mbuf per segment per input mbuf
 * segment it spans); both must outlive the context. -EINVAL if one is NULL. */
int vsw_offload_ctx_init(struct vsw_offload_ctx *ctx, struct rte_mempool *direct,
			 struct rte_mempool *indirect);
void vsw_offload_ctx_fini(struct vsw_offload_ctx *ctx);

/* An out[] size for resolve that fits a 64 KB TSO frame cut at MSS 536. */
#define VSW_OFFLOAD_MAX_OUT 128

/* Finishes in software the work 'm' requests (contract above) that an output
 * with capabilities 'caps' does not do itself. Returns the number of mbufs
 * placed in out[] (each ready for the output's tx_burst, with TX metadata only
 * for work left to the output) or -errno. Who frees what:
 *  - 1, out[0] == m: nothing to do, or done in place (checksums; a TSO/UFO
 *    packet that fits in one segment; a TSO packet the output segments itself).
 *    The caller owns out[0].
 *  - n >= 1 new mbufs: 'm' was segmented and is consumed (freed here; rte_gso's
 *    segments keep its data alive by reference until they are freed). The
 *    caller owns out[0..n-1].
 *  - -errno: out[] holds nothing (segments already made are freed); 'm' is
 *    still the caller's (its metadata or checksum fields may have changed) and
 *    is normally dropped. -EINVAL: metadata inconsistent with the data;
 *    -ENOSPC: more than 'max_out' segments needed; -ENOMEM: a pool ran dry;
 *    -ENOTSUP: UFO over IPv6 or with headers beyond the first segment;
 *    -EROFS: a write would land in a shared segment; -ERANGE: a segment would
 *    exceed 65535 bytes. */
int vsw_offload_resolve(struct rte_mbuf *m, uint32_t caps, struct vsw_offload_ctx *ctx,
			struct rte_mbuf **out, uint16_t max_out);

#endif
