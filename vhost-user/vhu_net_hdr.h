/* The virtio-net header (virtio 1.2 §5.1.6) and its translation to and from the
 * switch's per-packet offload metadata.
 *
 * Design. Every buffer a guest transmits starts with a struct vhu_net_hdr, and
 * every buffer we fill on its receive queue gets one. The vhost-user port copies
 * the header out of guest memory once (bad-input.md class 6) and hands OUR copy
 * to vhu_net_hdr_to_mbuf(), which checks it against the packet (class 8) and
 * turns the guest's requests into the switch's representation of pending work:
 * DPDK TX offload flags and lengths on the mbuf (the contract is written down
 * in vswitch/offload.h). A checksum request that does not fit that
 * representation is completed in software right away. On the way to a guest,
 * vhu_net_hdr_from_mbuf() turns pending work back into a header, or does the
 * work the guest did not negotiate in software, or (segmentation) asks the
 * caller to run vsw_offload_resolve() first.
 *
 *   guest TX: desc chain ─► hdr copy + mbuf ─► vhu_net_hdr_to_mbuf ─► switch
 *   switch ─► [vsw_offload_resolve if NEEDS_GSO] ─► vhu_net_hdr_from_mbuf ─► guest RX
 *
 * Wire format. The header is little-endian when VIRTIO_F_VERSION_1 is
 * negotiated and guest-endian for legacy devices; iovs only runs on
 * little-endian hosts with little-endian guests, so both read as little-endian
 * here. It is 12 bytes with VERSION_1 or MRG_RXBUF, else 10 (no num_buffers).
 *
 * ECN. A TSO packet whose TCP header has CWR set needs CWR cleared on every
 * segment after the first (RFC 3168 §6.1.2). The GSO_ECN bit only tells that
 * the guest set CWR; the switch keeps the information where it is, in the TCP
 * header. vhu_net_hdr_to_mbuf() accepts the bit only with HOST_ECN (and only
 * on a TCP gso type); vhu_net_hdr_from_mbuf() sets it when CWR is set and asks
 * for software segmentation when the guest lacks GUEST_ECN.
 *
 * UFO (gso_type UDP) means IP fragmentation of one UDP datagram, as virtio and
 * DPDK's RTE_MBUF_F_TX_UDP_SEG define it. Only IPv4 is supported: a UFO request
 * on an IPv6 packet is refused with -EOPNOTSUPP. Do not offer HOST_UFO unless a
 * guest needs it; modern guests do not use it.
 *
 * Threading: pure functions of their arguments; called by the PMD that serves
 * the queue (fast path: no allocation, no logging).
 */
#ifndef VHU_NET_HDR_H
#define VHU_NET_HDR_H

#include <stddef.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "iovs_err.h"

/* virtio-net feature bits (virtio 1.2 §5.1.3), as bit numbers. */
#define VHU_NET_F_CSUM	     0 /* device takes partial checksums (guest TX) */
#define VHU_NET_F_GUEST_CSUM 1 /* driver takes partial checksums (guest RX) */
#define VHU_NET_F_GUEST_TSO4 7
#define VHU_NET_F_GUEST_TSO6 8
#define VHU_NET_F_GUEST_ECN  9
#define VHU_NET_F_GUEST_UFO  10
#define VHU_NET_F_HOST_TSO4  11
#define VHU_NET_F_HOST_TSO6  12
#define VHU_NET_F_HOST_ECN   13
#define VHU_NET_F_HOST_UFO   14
#define VHU_NET_F_MRG_RXBUF  15
#define VHU_NET_F_VERSION_1  32 /* VIRTIO_F_VERSION_1 (§6), needed for the header size */

#define VHU_NET_FEATURE(bit) (UINT64_C(1) << (bit))

/* flags */
#define VHU_NET_HDR_F_NEEDS_CSUM 1
#define VHU_NET_HDR_F_DATA_VALID 2

/* gso_type */
#define VHU_NET_HDR_GSO_NONE  0
#define VHU_NET_HDR_GSO_TCPV4 1
#define VHU_NET_HDR_GSO_UDP   3 /* UFO */
#define VHU_NET_HDR_GSO_TCPV6 4
#define VHU_NET_HDR_GSO_ECN   0x80

/* The wire header (§5.1.6). num_buffers exists only in the 12-byte form and is
 * written by the caller (MRG_RXBUF); vhu_net_hdr_from_mbuf() leaves it 0. */
struct vhu_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	rte_le16_t hdr_len; /* headers through L4: a hint, never trusted */
	rte_le16_t
		gso_size; /* TSO: payload bytes per segment (MSS); UFO: IP payload per fragment */
	rte_le16_t csum_start;	/* NEEDS_CSUM: the sum runs from here to the end of the packet */
	rte_le16_t csum_offset; /* ... and is stored at csum_start + csum_offset */
	rte_le16_t num_buffers;
} __attribute__((packed));

#define VHU_NET_HDR_LEGACY_SIZE 10

/* The header size the negotiated 'features' imply: 12 with VERSION_1 or
 * MRG_RXBUF, else 10. */
static inline size_t
vhu_net_hdr_size(uint64_t features)
{
	if (features &
	    (VHU_NET_FEATURE(VHU_NET_F_VERSION_1) | VHU_NET_FEATURE(VHU_NET_F_MRG_RXBUF)))
		return sizeof(struct vhu_net_hdr);
	return VHU_NET_HDR_LEGACY_SIZE;
}

/* Guest TX: applies header 'h' (our copy) to packet 'm' (possibly multi-segment;
 * its data is ours, not guest memory) under the negotiated 'features'.
 *
 * Refuses with -EINVAL and a reason in 'err' (the caller drops 'm' and counts
 * it as malformed; bad-input.md class 8): flag bits other than NEEDS_CSUM and
 * DATA_VALID; NEEDS_CSUM without VIRTIO_NET_F_CSUM; csum_start, or the 2-byte
 * field at csum_start + csum_offset, beyond the packet; hdr_len beyond the
 * packet; an unknown gso type; a gso type or the ECN bit the guest did not
 * negotiate (HOST_TSO4/TSO6/UFO/ECN); ECN on UFO; gso_size 0; gso without
 * NEEDS_CSUM; a gso type that does not match the packet (TCPV4 on an IPv6 or
 * non-TCP packet, ...) or whose csum_start/csum_offset do not name its TCP/UDP
 * checksum; for gso, headers beyond the packet or IP length fields that
 * disagree with the frame. -EOPNOTSUPP: UFO on IPv6.
 *
 * On success (0), 'm' carries the work still to do:
 *  - NEEDS_CSUM on TCP/UDP over IPv4/IPv6 with csum_start at the L4 header and
 *    csum_offset naming its checksum field (and IP lengths that match the
 *    frame): RTE_MBUF_F_TX_IPV4/IPV6 + TX_TCP_CKSUM/TX_UDP_CKSUM, l2_len,
 *    l3_len, l4_len; the checksum field is rewritten with the pseudo-header sum;
 *  - any other NEEDS_CSUM: the checksum is computed now, from csum_start to the
 *    end of the packet, and stored at csum_start + csum_offset (0 sent as 0xffff);
 *  - gso: additionally TX_TCP_SEG (TCPV4/6) or TX_UDP_SEG (UFO), tso_segsz =
 *    gso_size, and for IPv4 TX_IP_CKSUM with the IP checksum field zeroed; the
 *    TCP checksum field holds the pseudo-header sum without length (DPDK's TSO
 *    rule), UFO's UDP field the one with the datagram's length. A gso packet
 *    whose payload fits in one segment is turned into a plain checksum request;
 *  - DATA_VALID (without NEEDS_CSUM): RTE_MBUF_F_RX_L4_CKSUM_GOOD.
 * Other TX offload bits of 'm' are cleared; on failure 'm' may have been
 * partly updated (it is dropped anyway). -EROFS if 'm' has a shared segment
 * where a write is needed. */
int vhu_net_hdr_to_mbuf(const struct vhu_net_hdr *h, struct rte_mbuf *m, uint64_t features,
			struct iovs_err *err);

/* vhu_net_hdr_from_mbuf()'s answer when the guest cannot take 'm' as one TSO or
 * UFO packet: the caller segments it with vsw_offload_resolve() (capabilities
 * without TSO/UFO) and calls vhu_net_hdr_from_mbuf() again for each segment. */
#define VHU_NET_HDR_NEEDS_GSO 1

/* Guest RX: fills 'h' (num_buffers 0, for the caller) for packet 'm', whose
 * pending offload work follows the contract of vswitch/offload.h, for a guest
 * that negotiated 'guest_features'. May write to 'm' (checksums, pseudo-header):
 *  - TX_TCP_SEG/TX_UDP_SEG and the guest has GUEST_CSUM and the matching
 *    GUEST_TSO4/TSO6/UFO (and GUEST_ECN when CWR is set): NEEDS_CSUM and the
 *    gso fields; the IPv4 header checksum is computed, the L4 checksum field
 *    rewritten with the pseudo-header sum over the whole L4 length (what Linux
 *    guests expect of a gso packet);
 *  - otherwise for a TSO/UFO packet: returns VHU_NET_HDR_NEEDS_GSO, 'm' and 'h'
 *    untouched beyond zeroing 'h';
 *  - a pending TCP/UDP checksum: NEEDS_CSUM if the guest has GUEST_CSUM, else
 *    computed here; a pending IPv4 header checksum is always computed here;
 *  - RTE_MBUF_F_RX_L4_CKSUM_GOOD and GUEST_CSUM (and nothing pending): DATA_VALID.
 * The TX offload bits handled are cleared from 'm'. Returns 0,
 * VHU_NET_HDR_NEEDS_GSO, -EINVAL if m's metadata is inconsistent with its data
 * (lengths beyond the packet, flags naming another IP version), or -EROFS if a
 * write lands in a shared segment. */
int vhu_net_hdr_from_mbuf(struct rte_mbuf *m, uint64_t guest_features, struct vhu_net_hdr *h,
			  struct iovs_err *err);

#endif
