/* Bytes and checksums of packets in DPDK mbufs, across segments: what the
 * virtio-net header code (vhost-user/vhu_net_hdr.c) and the switch's software
 * offloads (vswitch/offload.c) both need. Header-only (static inline), for
 * files that already link DPDK; nothing here trusts the packet: every offset
 * is checked against the packet length. */
#ifndef IOVS_PKT_H
#define IOVS_PKT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

static inline uint16_t
iovs_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Copies bytes [off, off + len) of 'm' to 'dst' (never a pointer into the
 * packet: its alignment is the guest's). false beyond the packet. */
static inline bool
iovs_pkt_read(const struct rte_mbuf *m, uint32_t off, uint32_t len, void *dst)
{
	const void *p = rte_pktmbuf_read(m, off, len, dst);

	if (p == NULL)
		return false;
	if (p != dst)
		memcpy(dst, p, len);
	return true;
}

/* Copies 'len' bytes to offset 'off' of 'm', across segments. -ERANGE beyond
 * the packet; -EROFS when a segment written is shared (indirect, external or
 * referenced twice): its bytes are someone else's too. */
static inline int
iovs_pkt_write(struct rte_mbuf *m, uint32_t off, const void *src, uint32_t len)
{
	const uint8_t *s = src;
	struct rte_mbuf *seg = m;

	if (off > rte_pktmbuf_pkt_len(m) || len > rte_pktmbuf_pkt_len(m) - off)
		return -ERANGE;
	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	while (len > 0) {
		uint32_t n;

		if (seg == NULL)
			return -ERANGE;
		if (!RTE_MBUF_DIRECT(seg) || rte_mbuf_refcnt_read(seg) != 1)
			return -EROFS;
		n = RTE_MIN(len, (uint32_t)seg->data_len - off);
		memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t *, off), s, n);
		s += n;
		len -= n;
		off = 0;
		seg = seg->next;
	}
	return 0;
}

/* The ones'-complement sum of bytes [off, off + len) of 'm', folded, not
 * complemented. Not rte_raw_cksum_mbuf(): DPDK 22.11's truncates a segment's
 * 32-bit partial sum to 16 bits before swapping it when the segment starts at
 * an odd offset of the range, which gives wrong sums over odd-length segments. */
static inline int
iovs_pkt_sum(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint16_t *out)
{
	const struct rte_mbuf *seg = m;
	uint32_t done = 0;
	uint64_t sum = 0;

	if (off > rte_pktmbuf_pkt_len(m) || len > rte_pktmbuf_pkt_len(m) - off)
		return -EINVAL;
	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	while (len > 0) {
		uint32_t n;
		uint16_t part;

		if (seg == NULL)
			return -EINVAL;
		n = RTE_MIN(len, (uint32_t)seg->data_len - off);
		part = rte_raw_cksum(rte_pktmbuf_mtod_offset(seg, const uint8_t *, off), n);
		/* bytes after an odd count pair the other way round */
		sum += (done & 1) ? rte_bswap16(part) : part;
		done += n;
		len -= n;
		off = 0;
		seg = seg->next;
	}
	sum = (sum & 0xffff) + (sum >> 16);
	*out = iovs_csum_fold((uint32_t)sum);
	return 0;
}

static inline int
iovs_pkt_write16(struct rte_mbuf *m, uint32_t off, uint16_t v)
{
	return iovs_pkt_write(m, off, &v, sizeof(v));
}

#endif
