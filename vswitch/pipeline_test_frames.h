/* Test helpers for actions_test.c and pipeline_test.c: the EAL without
 * hugepages, hand-built frames with correct checksums, an independent
 * checksum verifier (byte-wise sums, a bit-wise CRC32c), and a check that a
 * key equals a fresh extraction of its frame. */
#ifndef VSW_PIPELINE_TEST_FRAMES_H
#define VSW_PIPELINE_TEST_FRAMES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "flow_key.h"

#define TF_TCP	  6
#define TF_UDP	  17
#define TF_ICMP	  1
#define TF_ICMP6  58
#define TF_SCTP	  132
#define TF_ARP	  0x0806
#define TF_IPV4	  0x0800
#define TF_IPV6	  0x86dd
#define TF_MAXLEN 1600

static struct rte_mempool *tf_mp;

/* Starts the EAL; returns 77 (skip) from main on failure. --no-shconf, not
 * --in-memory: DPDK 22.11 refuses --in-memory with --no-huge (it implies
 * legacy memory); both keep the run from touching /var/run/dpdk. */
static inline int
tf_eal_init(const char *name)
{
	char prefix[64];
	char *argv[] = {(char *)name,
			"-l",
			"0",
			"--no-huge",
			"--no-pci",
			"-m",
			"128",
			"--no-shconf",
			"--file-prefix",
			prefix,
			"--log-level=lib.*:error",
			"--no-telemetry",
			NULL};

	snprintf(prefix, sizeof(prefix), "vsw-pl-test-%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "SKIP: the DPDK EAL cannot start here (%s)\n",
			rte_strerror(rte_errno));
		return 77;
	}
	tf_mp = rte_pktmbuf_pool_create("tf_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					SOCKET_ID_ANY);
	if (tf_mp == NULL) {
		fprintf(stderr, "SKIP: no mbuf pool (%s)\n", rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 77;
	}
	return 0;
}

/* ---- Reference checksums ---- */

static inline uint32_t
tf_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static inline uint16_t
tf_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static inline uint32_t
tf_crc32c(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffff;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
	}
	return ~crc;
}

/* Where the headers of a frame built here are. */
struct tf_layout {
	size_t l3, l4, end; /* end of the IP payload */
	uint16_t type;
	uint8_t proto;
};

static inline void
tf_layout(const uint8_t *f, size_t len, struct tf_layout *lo)
{
	size_t o = 12;

	memset(lo, 0, sizeof(*lo));
	lo->type = (uint16_t)(f[o] << 8 | f[o + 1]);
	while (lo->type == 0x8100 || lo->type == 0x88a8) {
		o += 4;
		lo->type = (uint16_t)(f[o] << 8 | f[o + 1]);
	}
	lo->l3 = o + 2;
	lo->end = len;
	if (lo->type == TF_IPV4) {
		lo->proto = f[lo->l3 + 9];
		lo->l4 = lo->l3 + (size_t)(f[lo->l3] & 15) * 4;
		lo->end = lo->l3 + (size_t)(f[lo->l3 + 2] << 8 | f[lo->l3 + 3]);
	} else if (lo->type == TF_IPV6) {
		lo->proto = f[lo->l3 + 6];
		lo->l4 = lo->l3 + 40;
		lo->end = lo->l4 + (size_t)(f[lo->l3 + 4] << 8 | f[lo->l3 + 5]);
	}
}

static inline uint32_t
tf_phdr(const uint8_t *f, const struct tf_layout *lo)
{
	uint32_t l4len = (uint32_t)(lo->end - lo->l4), s;

	if (lo->type == TF_IPV4)
		s = tf_sum(f + lo->l3 + 12, 8, 0);
	else
		s = tf_sum(f + lo->l3 + 8, 32, 0);
	return s + lo->proto + (l4len >> 16) + (l4len & 0xffff);
}

/* Offset of the L4 checksum field, or 0. */
static inline size_t
tf_l4_csum_off(const struct tf_layout *lo)
{
	switch (lo->proto) {
	case TF_TCP:
		return lo->l4 + 16;
	case TF_UDP:
		return lo->l4 + 6;
	case TF_ICMP:
	case TF_ICMP6:
		return lo->l4 + 2;
	default:
		return 0;
	}
}

/* Writes every checksum of frame 'f'. */
static inline void
tf_fix(uint8_t *f, size_t len)
{
	struct tf_layout lo;
	size_t c;
	uint16_t v;

	tf_layout(f, len, &lo);
	if (lo.type == TF_IPV4) {
		f[lo.l3 + 10] = f[lo.l3 + 11] = 0;
		v = (uint16_t)~tf_fold(tf_sum(f + lo.l3, lo.l4 - lo.l3, 0));
		f[lo.l3 + 10] = (uint8_t)(v >> 8);
		f[lo.l3 + 11] = (uint8_t)v;
	}
	if (lo.type != TF_IPV4 && lo.type != TF_IPV6)
		return;
	if (lo.proto == TF_SCTP) {
		uint32_t crc;

		memset(f + lo.l4 + 8, 0, 4);
		crc = tf_crc32c(f + lo.l4, lo.end - lo.l4);
		memcpy(f + lo.l4 + 8, &crc, 4); /* little-endian host */
		return;
	}
	c = tf_l4_csum_off(&lo);
	if (c == 0)
		return;
	f[c] = f[c + 1] = 0;
	v = (uint16_t)~tf_fold(
		tf_sum(f + lo.l4, lo.end - lo.l4, lo.proto == TF_ICMP ? 0 : tf_phdr(f, &lo)));
	if (v == 0 && lo.proto == TF_UDP)
		v = 0xffff;
	f[c] = (uint8_t)(v >> 8);
	f[c + 1] = (uint8_t)v;
}

/* True if every checksum of 'f' verifies (a UDP checksum of 0 counts). */
static inline bool
tf_verify(const uint8_t *f, size_t len)
{
	struct tf_layout lo;
	size_t c;

	tf_layout(f, len, &lo);
	if (lo.type == TF_IPV4 && tf_fold(tf_sum(f + lo.l3, lo.l4 - lo.l3, 0)) != 0xffff)
		return false;
	if (lo.type != TF_IPV4 && lo.type != TF_IPV6)
		return true;
	if (lo.proto == TF_SCTP) {
		uint8_t tmp[TF_MAXLEN];
		uint32_t crc, got;

		memcpy(tmp, f, len);
		memcpy(&got, tmp + lo.l4 + 8, 4);
		memset(tmp + lo.l4 + 8, 0, 4);
		crc = tf_crc32c(tmp + lo.l4, lo.end - lo.l4);
		return crc == got;
	}
	c = tf_l4_csum_off(&lo);
	if (c == 0)
		return true;
	if (lo.proto == TF_UDP && f[c] == 0 && f[c + 1] == 0)
		return true;
	return tf_fold(tf_sum(f + lo.l4, lo.end - lo.l4,
			      lo.proto == TF_ICMP ? 0 : tf_phdr(f, &lo))) == 0xffff;
}

/* Builds a frame: 'tags' VLAN tags (0x8100), then 'type': IPv4/IPv6 with
 * 'proto' (TCP, UDP, ICMP, SCTP, ICMPv6 echo or ND: icmp6 = 135/136 with an
 * SLL/TLL option), or ARP. 'payload' bytes after the L4 header. */
static inline size_t
tf_build(uint8_t *f, int tags, uint16_t type, uint8_t proto, uint8_t icmp6, size_t payload)
{
	size_t o = 12, l3, l4, hl = 0;

	memset(f, 0, TF_MAXLEN);
	for (int i = 0; i < 6; i++) {
		f[i] = (uint8_t)(0x02 + i);
		f[6 + i] = (uint8_t)(0x12 + i);
	}
	for (int t = 0; t < tags; t++) {
		f[o] = 0x81;
		f[o + 1] = 0x00;
		f[o + 2] = (uint8_t)(0x20 | t); /* pcp 1, vid 0x.. */
		f[o + 3] = (uint8_t)(10 + t);
		o += 4;
	}
	f[o] = (uint8_t)(type >> 8);
	f[o + 1] = (uint8_t)type;
	l3 = o + 2;
	if (type == TF_ARP) {
		static const uint8_t arp[28] = {0,  1, 8, 0, 6, 4, 0, 1, 2, 2, 2,  2, 2, 2,
						10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2};

		memcpy(f + l3, arp, 28);
		return l3 + 28;
	}
	switch (proto) {
	case TF_TCP:
		hl = 20;
		break;
	case TF_UDP:
		hl = 8;
		break;
	case TF_SCTP:
		hl = 12;
		break;
	case TF_ICMP:
		hl = 8;
		break;
	case TF_ICMP6:
		hl = icmp6 == 135 || icmp6 == 136 ? 32 : 8;
		break;
	}
	if (type == TF_IPV4) {
		size_t tot = 20 + hl + payload;

		f[l3] = 0x45;
		f[l3 + 1] = 0x2e << 2 | 1; /* dscp 46, ecn 1 */
		f[l3 + 2] = (uint8_t)(tot >> 8);
		f[l3 + 3] = (uint8_t)tot;
		f[l3 + 8] = 64;
		f[l3 + 9] = proto;
		f[l3 + 12] = 192, f[l3 + 13] = 168, f[l3 + 14] = 1, f[l3 + 15] = 1;
		f[l3 + 16] = 192, f[l3 + 17] = 168, f[l3 + 18] = 1, f[l3 + 19] = 2;
		l4 = l3 + 20;
	} else {
		size_t plen = hl + payload;

		f[l3] = 0x60 | 0x0b; /* traffic class 0xb? */
		f[l3 + 1] = 0x80;
		f[l3 + 4] = (uint8_t)(plen >> 8);
		f[l3 + 5] = (uint8_t)plen;
		f[l3 + 6] = proto;
		f[l3 + 7] = 64;
		for (int i = 0; i < 16; i++) {
			f[l3 + 8 + i] = (uint8_t)(0x20 + i);
			f[l3 + 24 + i] = (uint8_t)(0x40 + i);
		}
		l4 = l3 + 40;
	}
	switch (proto) {
	case TF_TCP:
		f[l4] = 0x30, f[l4 + 1] = 0x39; /* 12345 */
		f[l4 + 2] = 0, f[l4 + 3] = 80;
		f[l4 + 12] = 5 << 4;
		break;
	case TF_UDP:
		f[l4] = 0x10, f[l4 + 1] = 0x00;
		f[l4 + 2] = 0, f[l4 + 3] = 53;
		f[l4 + 4] = (uint8_t)((8 + payload) >> 8);
		f[l4 + 5] = (uint8_t)(8 + payload);
		break;
	case TF_SCTP:
		f[l4] = 0x0b, f[l4 + 1] = 0x59;
		f[l4 + 2] = 0x0b, f[l4 + 3] = 0x5a;
		break;
	case TF_ICMP:
		f[l4] = 8;
		break;
	case TF_ICMP6:
		f[l4] = icmp6 ? icmp6 : 128;
		if (icmp6 == 135 || icmp6 == 136) {
			for (int i = 0; i < 16; i++)
				f[l4 + 8 + i] = (uint8_t)(0x60 + i);
			f[l4 + 24] = icmp6 == 135 ? 1 : 2;
			f[l4 + 25] = 1;
			for (int i = 0; i < 6; i++)
				f[l4 + 26 + i] = (uint8_t)(0xa0 + i);
		}
		break;
	}
	for (size_t i = 0; i < payload; i++)
		f[l4 + hl + i] = (uint8_t)(i * 7 + 3);
	tf_fix(f, l4 + hl + payload);
	return l4 + hl + payload;
}

/* An mbuf holding 'f', in two segments split at 'split' when 0 < split < len. */
static inline struct rte_mbuf *
tf_mbuf(const uint8_t *f, size_t len, size_t split)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(tf_mp), *m2;

	assert_non_null(m);
	if (split == 0 || split >= len) {
		memcpy(rte_pktmbuf_append(m, (uint16_t)len), f, len);
		return m;
	}
	m2 = rte_pktmbuf_alloc(tf_mp);
	assert_non_null(m2);
	memcpy(rte_pktmbuf_append(m, (uint16_t)split), f, split);
	memcpy(rte_pktmbuf_append(m2, (uint16_t)(len - split)), f + split, len - split);
	assert_int_equal(rte_pktmbuf_chain(m, m2), 0);
	return m;
}

/* The frame's bytes (linear copy). */
static inline size_t
tf_bytes(const struct rte_mbuf *m, uint8_t *out)
{
	size_t len = rte_pktmbuf_pkt_len(m);
	const void *p;

	assert_true(len <= TF_MAXLEN);
	p = rte_pktmbuf_read(m, 0, (uint32_t)len, out);
	if (p != out)
		memcpy(out, p, len);
	return len;
}

/* The key of 'm' as a fresh extraction sees it, with 'in_port', 'metadata'. */
static inline void
tf_key(const struct rte_mbuf *m, uint32_t in_port, uint64_t metadata, struct vsw_flow_key *key)
{
	uint8_t f[TF_MAXLEN];
	size_t len = tf_bytes(m, f);

	vsw_flow_key_extract(f, (uint32_t)len, in_port, key);
	key->metadata = metadata;
}

#endif
