/* The data path of a vhost-user device (vhu_net.c) against descriptor chains
 * that a front-end builds in its guest memory: this process is the front-end
 * (vhu_fe_test.h, over a real socket to a real struct vhu_dev) and the PMD,
 * calling vhu_dev_dequeue() and vhu_dev_enqueue() directly on DPDK mbufs.
 * Test names map to bad-input.md:
 *  - class 5: the virtio-net header in one descriptor with the data, alone,
 *    split 1+11, 5+5+2, byte by byte, across 0-length descriptors, on both ring
 *    layouts and both header sizes; its offload fields (NEEDS_CSUM, gso) take
 *    effect; chains shorter than the header are counted malformed and given
 *    back; a guest rx header written across the buffer's descriptors;
 *  - class 11: a guest that posts rx buffers and never reads the used ring, or
 *    posts none, or floods its tx ring, or meets an empty mbuf pool: mbufs
 *    are never held across bursts (the pool's in-use count returns to 0),
 *    drops are counted by reason, RSS and fds stay put;
 *  - trust boundaries (DESIGN.md): a device whose guest breaks a ring next to a
 *    healthy device: only the first stops, with its reason in its state.
 * The mbuf pool has no per-lcore cache, so rte_mempool_in_use_count() is exact. */
#include <errno.h>
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

#include "vhu.h"
#include "vhu_fe_dev_test.h"
#include "vhu_priv.h"
/* After vhu_priv.h: its enum names the same feature bits as this header's macros. */
#include "vhu_net_hdr.h"

#define MEM_SIZE  (UINT64_C(4) << 20)
#define GPA	  UINT64_C(0x100000000)
#define BUF_OFF	  VHU_FE_RINGS_SIZE /* guest buffers live above the rings */
#define NUM	  256u
#define POOL_SIZE 511u
#define BURST	  32u
#define REST	  (-1) /* a piece that takes what is left (tx) or 2 KiB (rx) */

#define F_BASE	 (VHU_BIT(VHU_F_VERSION_1) | VHU_BIT(VHU_F_PROTOCOL_FEATURES))
#define F_PACKED VHU_BIT(VHU_F_RING_PACKED)
#define F_MRG	 VHU_BIT(VHU_NET_F_MRG_RXBUF)
#define F_HOST	 (VHU_BIT(VHU_NET_F_CSUM) | VHU_BIT(VHU_NET_F_HOST_TSO4))
#define F_GUEST	 (VHU_BIT(VHU_NET_F_GUEST_CSUM) | VHU_BIT(VHU_NET_F_GUEST_TSO4))
#define PF	 (VHU_BIT(VHU_PROTOCOL_F_REPLY_ACK) | VHU_BIT(VHU_PROTOCOL_F_MQ))

/* Frame layout (Ethernet, IPv4, TCP) and the bytes the offloads rewrite. */
#define L3	      14u
#define L4	      34u
#define TCP_CSUM      (L4 + 16u)
#define IP_CSUM	      (L3 + 10u)
#define FRAME_PAYLOAD 300u
#define FRAME_LEN     (L4 + 20u + FRAME_PAYLOAD)

#define TX_BITS                                                                                    \
	(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_IP_CKSUM |                        \
	 RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG)

static struct rte_mempool *mp;

struct fx {
	struct vhu_fe_dev h;	   /* the device and the front-end */
	struct vhu_fe_ring rx, tx; /* the guest's rx ring (0) and tx ring (1) */
	uint64_t next_buf;	   /* guest buffer space: next free offset */
	unsigned wraps;		   /* times the buffer space was reused from the start */
	unsigned hdr_len;
};

/* A layout: the lengths of a chain's descriptors. */
struct layout {
	const char *name;
	unsigned n;
	int len[24];
};

static void
fe_fail(const char *msg)
{
	fail_msg("%s", msg);
}

/* --- The device and its front-end. --- */

static struct vhu_dev_info
info(struct fx *f)
{
	return vhu_fe_dev_info(&f->h);
}

static struct fx *
fx_open(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	vhu_fe_dev_open(&f->h, "vhu_net_test", MEM_SIZE, GPA);
	assert_true(info(f).connected);
	f->next_buf = BUF_OFF;
	return f;
}

static void
fx_close(struct fx *f)
{
	vhu_fe_dev_close(&f->h);
	free(f);
}

static int
setup(void **state)
{
	*state = fx_open();
	return 0;
}

/* Every mbuf is back in the pool: nothing is held across bursts. */
static int
teardown(void **state)
{
	fx_close(*state);
	assert_int_equal(rte_mempool_in_use_count(mp), 0);
	return 0;
}

/* Negotiates 'features' (plus VERSION_1 and PROTOCOL_FEATURES unless
 * 'legacy') and starts queue pair 0. */
static void
start(struct fx *f, uint64_t features, bool legacy)
{
	uint64_t fs = features | VHU_BIT(VHU_F_PROTOCOL_FEATURES) |
		      (legacy ? 0 : VHU_BIT(VHU_F_VERSION_1));
	struct vhu_dev_info in;

	vhu_fe_handshake(&f->h.fe, fs, PF, NUM);
	vhu_fe_ring_init(&f->rx, &f->h.fe, 0, NUM);
	vhu_fe_ring_init(&f->tx, &f->h.fe, 1, NUM);
	in = info(f);
	assert_true(in.link_up);
	assert_string_equal(in.state, "running");
	f->hdr_len = (fs & (F_MRG | VHU_BIT(VHU_F_VERSION_1))) ? 12 : 10;
}

/* 'len' bytes of fresh guest buffer space; its guest address. */
static uint64_t
gbuf(struct fx *f, uint32_t len)
{
	uint64_t off;

	if (f->next_buf + len > MEM_SIZE) {
		f->next_buf = BUF_OFF;
		f->wraps++;
	}
	off = f->next_buf;
	f->next_buf = (f->next_buf + len + 63) & ~UINT64_C(63);
	return GPA + off;
}

static uint8_t *
host(struct fx *f, uint64_t gpa)
{
	return f->h.fe.mem + (gpa - GPA);
}

/* --- Packets. --- */

/* An Ethernet/IPv4/TCP frame with FRAME_PAYLOAD bytes of 'seed' pattern. */
static void
frame(uint8_t *b, uint8_t seed)
{
	static const uint8_t eth[14] = {0x52, 0x54, 0, 0, 0, 2, 0x52, 0x54, 0, 0, 0, 1, 8, 0};
	unsigned i;

	memcpy(b, eth, sizeof(eth));
	memset(b + L3, 0, 40);
	b[L3] = 0x45;
	b[L3 + 2] = (uint8_t)((FRAME_LEN - L3) >> 8);
	b[L3 + 3] = (uint8_t)(FRAME_LEN - L3);
	b[L3 + 8] = 64;
	b[L3 + 9] = 6; /* TCP */
	memcpy(b + L3 + 12, (const uint8_t[]){10, 0, 0, 1, 10, 0, 0, 2}, 8);
	b[L4] = 0x30, b[L4 + 1] = 0x39, b[L4 + 2] = 0x00, b[L4 + 3] = 0x50;
	b[L4 + 12] = 0x50; /* data offset 5 */
	b[L4 + 13] = 0x18; /* PSH ACK */
	b[L4 + 14] = 0xff;
	for (i = 0; i < FRAME_PAYLOAD; i++)
		b[L4 + 20 + i] = (uint8_t)(seed + i * 7);
}

/* The frame's bytes in 'got' equal 'want' but for the checksum fields the
 * offloads may rewrite. */
static void
assert_frame_equal(const uint8_t *got, const uint8_t *want, unsigned len)
{
	unsigned i;

	for (i = 0; i < len; i++) {
		if (i == IP_CSUM || i == IP_CSUM + 1 || i == TCP_CSUM || i == TCP_CSUM + 1)
			continue;
		if (got[i] != want[i])
			fail_msg("byte %u: 0x%02x, expected 0x%02x", i, got[i], want[i]);
	}
}

static void
mbuf_bytes(const struct rte_mbuf *m, uint8_t *out)
{
	const void *p = rte_pktmbuf_read(m, 0, m->pkt_len, out);

	assert_non_null(p);
	if (p != out)
		memcpy(out, p, m->pkt_len);
}

enum req { REQ_NONE, REQ_CSUM, REQ_TSO };

/* The header a guest's TCP stack sends with 'r'. */
static struct vhu_net_hdr
guest_hdr(enum req r)
{
	struct vhu_net_hdr h = {0};

	if (r == REQ_NONE)
		return h;
	h.flags = VHU_NET_HDR_F_NEEDS_CSUM;
	h.csum_start = rte_cpu_to_le_16(L4);
	h.csum_offset = rte_cpu_to_le_16(16);
	if (r == REQ_TSO) {
		h.gso_type = VHU_NET_HDR_GSO_TCPV4;
		h.gso_size = rte_cpu_to_le_16(100);
		h.hdr_len = rte_cpu_to_le_16(L4 + 20);
	}
	return h;
}

/* --- Chains. --- */

/* Posts 'total' bytes of 'src' on the guest's tx ring, cut as 'l' says (a
 * REST piece takes what is left; pieces beyond 'total' are short or empty). */
static uint16_t
post_tx(struct fx *f, const struct layout *l, const uint8_t *src, uint32_t total)
{
	struct vhu_fe_buf b[24];
	uint32_t off = 0;
	unsigned i;

	for (i = 0; i < l->n; i++) {
		uint32_t len = l->len[i] == REST ? total - off : (uint32_t)l->len[i];

		if (len > total - off)
			len = total - off;
		b[i] = (struct vhu_fe_buf){gbuf(f, len ? len : 1), len, false};
		memcpy(host(f, b[i].gpa), src + off, len);
		off += len;
	}
	return vhu_fe_ring_post(&f->tx, b, l->n);
}

/* Posts device-writable pieces on the guest's rx ring, filled with 0xa5;
 * their addresses in 'b'. */
static uint16_t
post_rx(struct fx *f, const struct layout *l, struct vhu_fe_buf *b)
{
	unsigned i;

	for (i = 0; i < l->n; i++) {
		uint32_t len = l->len[i] == REST ? 2048u : (uint32_t)l->len[i];

		b[i] = (struct vhu_fe_buf){gbuf(f, len ? len : 1), len, true};
		memset(host(f, b[i].gpa), 0xa5, len ? len : 1);
	}
	return vhu_fe_ring_post(&f->rx, b, l->n);
}

/* Gathers 'len' bytes from the pieces 'b[0..n)'. */
static void
gather(struct fx *f, const struct vhu_fe_buf *b, unsigned n, uint8_t *out, uint32_t len)
{
	unsigned i;

	for (i = 0; i < n && len > 0; i++) {
		uint32_t k = b[i].len < len ? b[i].len : len;

		memcpy(out, host(f, b[i].gpa), k);
		out += k;
		len -= k;
	}
	assert_int_equal(len, 0);
}

static void
expect_used(struct vhu_fe_ring *r, uint16_t id, uint32_t len)
{
	uint16_t got_id;
	uint32_t got_len;

	if (!vhu_fe_ring_used(r, &got_id, &got_len))
		fail_msg("buffer %u was not given back", id);
	assert_int_equal(got_id, id);
	assert_int_equal(got_len, len);
}

static void
expect_no_used(struct vhu_fe_ring *r)
{
	uint16_t id;
	uint32_t len;

	if (vhu_fe_ring_used(r, &id, &len))
		fail_msg("unexpected used buffer %u (len %u)", id, len);
}

/* The header cut in the ways bad-input.md class 5 names, for a header of
 * 'h' bytes: n pieces; REST holds the frame (or the rest of it). */
static unsigned
layouts(unsigned h, struct layout *out)
{
	unsigned n = 0, i;

	out[n++] = (struct layout){"header and data in one descriptor", 1, {REST}};
	out[n++] = (struct layout){"header alone", 2, {(int)h, REST}};
	out[n++] = (struct layout){"header 1 + rest", 3, {1, (int)h - 1, REST}};
	out[n++] = (struct layout){"header 5 + 5 + rest", 4, {5, 5, (int)h - 10, REST}};
	out[n++] = (struct layout){"header 5, its tail with the data", 2, {5, REST}};
	out[n++] = (struct layout){"header and some data, then data", 2, {(int)h + 20, REST}};
	out[n++] = (struct layout){"header 3 + 0 + 4 + 0 + rest, 0-length descriptors",
				   6,
				   {3, 0, 4, 0, (int)h - 7, REST}};
	out[n] = (struct layout){"header byte by byte", h + 1, {0}};
	for (i = 0; i < h; i++)
		out[n].len[i] = 1;
	out[n++].len[h] = REST;
	out[n] = (struct layout){"header and data byte by byte at first", 23, {0}};
	for (i = 0; i < 22; i++)
		out[n].len[i] = 1;
	out[n++].len[22] = REST;
	return n;
}

/* --- Class 5, guest tx (dequeue). --- */

/* Every layout, each with no request, a checksum request and a TSO request:
 * the frame arrives intact and the header's requests are on the mbuf. */
static void
check_tx_layouts(struct fx *f, uint64_t features, bool legacy)
{
	struct layout ls[16];
	uint8_t src[12 + FRAME_LEN], got[FRAME_LEN];
	unsigned nl, i, sent = 0;
	enum req r;

	start(f, features | F_HOST, legacy);
	nl = layouts(f->hdr_len, ls);
	for (i = 0; i < nl; i++) {
		for (r = REQ_NONE; r <= REQ_TSO; r++) {
			struct vhu_net_hdr h = guest_hdr(r);
			struct rte_mbuf *m[4];
			uint16_t id;

			memcpy(src, &h, f->hdr_len);
			frame(src + f->hdr_len, (uint8_t)(i * 3 + r));
			id = post_tx(f, &ls[i], src, f->hdr_len + FRAME_LEN);
			if (vhu_dev_dequeue(f->h.dev, 0, mp, m, 4) != 1)
				fail_msg(
					"%s, request %d: no packet (drops: malformed %llu)",
					ls[i].name, r,
					(unsigned long long)info(f).q[0].drops[VHU_DROP_MALFORMED]);
			sent++;
			assert_int_equal(m[0]->pkt_len, FRAME_LEN);
			mbuf_bytes(m[0], got);
			assert_frame_equal(got, src + f->hdr_len, FRAME_LEN);
			switch (r) {
			case REQ_NONE:
				assert_int_equal(m[0]->ol_flags & TX_BITS, 0);
				break;
			case REQ_CSUM:
				assert_int_equal(m[0]->ol_flags & TX_BITS,
						 RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
				break;
			case REQ_TSO:
				assert_int_equal(m[0]->ol_flags & TX_BITS,
						 RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
							 RTE_MBUF_F_TX_TCP_CKSUM |
							 RTE_MBUF_F_TX_TCP_SEG);
				assert_int_equal(m[0]->tso_segsz, 100);
				break;
			}
			if (r != REQ_NONE) {
				assert_int_equal(m[0]->l2_len, L3);
				assert_int_equal(m[0]->l3_len, L4 - L3);
				assert_int_equal(m[0]->l4_len, 20);
			}
			rte_pktmbuf_free(m[0]);
			expect_used(&f->tx, id, 0);
		}
	}
	expect_no_used(&f->tx);
	assert_int_equal(info(f).q[0].rx_packets, sent);
	assert_int_equal(info(f).q[0].rx_bytes, (uint64_t)sent * FRAME_LEN);
	for (i = 0; i < VHU_DROP__MAX; i++)
		assert_int_equal(info(f).q[0].drops[i], 0);
	assert_int_equal(rte_mempool_in_use_count(mp), 0);
}

static void
test_class5_tx_header_layouts_split(void **state)
{
	check_tx_layouts(*state, 0, false);
}

static void
test_class5_tx_header_layouts_split_mrg(void **state)
{
	check_tx_layouts(*state, F_MRG, false);
}

static void
test_class5_tx_header_layouts_split_legacy_10_bytes(void **state)
{
	check_tx_layouts(*state, 0, true);
}

static void
test_class5_tx_header_layouts_packed(void **state)
{
	check_tx_layouts(*state, F_PACKED, false);
}

/* Chains whose readable part is shorter than the header, and a header cut in
 * pieces whose checksum request lies beyond the packet: each is given back
 * (used, length 0) in order between good packets, counted as malformed, and
 * the ring keeps running. */
static void
check_tx_short_chains(struct fx *f, uint64_t features)
{
	struct layout bad[12];
	struct layout good = {"header alone", 2, {12, REST}};
	uint8_t src[12 + FRAME_LEN];
	struct vhu_net_hdr h = guest_hdr(REQ_CSUM);
	uint16_t ids[2 * 12];
	unsigned nb = 0, i, k = 0;
	struct rte_mbuf *m[BURST];
	struct vhu_dev_info in;
	uint16_t n;

	start(f, features | F_HOST, false);
	assert_int_equal(f->hdr_len, 12);
	bad[nb++] = (struct layout){"11 bytes", 1, {11}};
	bad[nb++] = (struct layout){"5 + 6 bytes", 2, {5, 6}};
	bad[nb++] = (struct layout){"one 0-length descriptor", 1, {0}};
	bad[nb++] = (struct layout){"three 0-length descriptors", 3, {0, 0, 0}};
	bad[nb++] = (struct layout){"10 + 0 + 1 bytes", 3, {10, 0, 1}};
	bad[nb] = (struct layout){"11 descriptors of 1 byte", 11, {0}};
	for (i = 0; i < 11; i++)
		bad[nb].len[i] = 1;
	nb++;
	for (i = 0; i < nb; i++) {
		memcpy(src, &h, 12);
		frame(src + 12, (uint8_t)i);
		ids[k++] = post_tx(f, &bad[i], src, 12 + FRAME_LEN);
		ids[k++] = post_tx(f, &good, src, 12 + FRAME_LEN);
	}
	/* A device-writable chain on the tx ring: no readable byte at all. */
	{
		struct vhu_fe_buf w = {gbuf(f, 64), 64, true};

		ids[k++] = vhu_fe_ring_post(&f->tx, &w, 1);
		nb++;
	}
	/* A well-formed header cut 5 + 5 + 2 whose checksum lies beyond the packet. */
	{
		struct layout cut = {"5 + 5 + 2 + data", 4, {5, 5, 2, REST}};
		struct vhu_net_hdr hb = guest_hdr(REQ_CSUM);

		hb.csum_start = rte_cpu_to_le_16(FRAME_LEN - 1);
		memcpy(src, &hb, 12);
		ids[k++] = post_tx(f, &cut, src, 12 + FRAME_LEN);
		nb++;
	}
	n = vhu_dev_dequeue(f->h.dev, 0, mp, m, BURST);
	assert_int_equal(n, nb - 2); /* the good ones */
	for (i = 0; i < n; i++) {
		assert_int_equal(m[i]->pkt_len, FRAME_LEN);
		assert_int_equal(m[i]->ol_flags & TX_BITS,
				 RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
	}
	rte_pktmbuf_free_bulk(m, n);
	for (i = 0; i < k; i++)
		expect_used(&f->tx, ids[i], 0);
	expect_no_used(&f->tx);
	in = info(f);
	assert_int_equal(in.q[0].drops[VHU_DROP_MALFORMED], nb);
	assert_int_equal(in.q[0].rx_packets, nb - 2);
	assert_true(in.q[0].tx_up);
	assert_string_equal(in.state, "running");
	assert_int_equal(rte_mempool_in_use_count(mp), 0);

	/* And the ring goes on. */
	memcpy(src, &h, 12);
	frame(src + 12, 99);
	ids[0] = post_tx(f, &good, src, 12 + FRAME_LEN);
	assert_int_equal(vhu_dev_dequeue(f->h.dev, 0, mp, m, BURST), 1);
	rte_pktmbuf_free(m[0]);
	expect_used(&f->tx, ids[0], 0);
}

static void
test_class5_tx_chain_shorter_than_header_split(void **state)
{
	check_tx_short_chains(*state, 0);
}

static void
test_class5_tx_chain_shorter_than_header_packed(void **state)
{
	check_tx_short_chains(*state, F_PACKED);
}

/* --- Class 5, guest rx (enqueue). --- */

/* A packet with pending checksum work for a guest that takes it (GUEST_CSUM):
 * the header says NEEDS_CSUM. */
static struct rte_mbuf *
csum_mbuf(uint8_t seed, uint8_t *copy)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *p;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, FRAME_LEN);
	assert_non_null(p);
	frame(p, seed);
	memcpy(copy, p, FRAME_LEN);
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
	m->l2_len = L3;
	m->l3_len = L4 - L3;
	m->l4_len = 20;
	return m;
}

static void
assert_rx_hdr(const uint8_t *p, unsigned hdr_len, uint16_t num_buffers)
{
	struct vhu_net_hdr h = {0};

	memcpy(&h, p, hdr_len);
	assert_int_equal(h.flags, VHU_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.gso_type, VHU_NET_HDR_GSO_NONE);
	assert_int_equal(rte_le_to_cpu_16(h.csum_start), L4);
	assert_int_equal(rte_le_to_cpu_16(h.csum_offset), 16);
	if (hdr_len == 12)
		assert_int_equal(rte_le_to_cpu_16(h.num_buffers), num_buffers);
}

/* Every layout of a guest rx buffer: the header lands across its pieces, the
 * frame after it, the used length says both, and nothing past it is written. */
static void
check_rx_layouts(struct fx *f, uint64_t features, bool legacy)
{
	struct layout ls[16];
	struct vhu_fe_buf b[24];
	uint8_t want[FRAME_LEN], got[12 + FRAME_LEN + 64];
	unsigned nl, i, j;

	start(f, features | F_GUEST, legacy);
	nl = layouts(f->hdr_len, ls);
	for (i = 0; i < nl; i++) {
		struct rte_mbuf *m = csum_mbuf((uint8_t)i, want);
		uint32_t used = f->hdr_len + FRAME_LEN, room = 0;
		uint16_t id = post_rx(f, &ls[i], b);

		assert_int_equal(vhu_dev_enqueue(f->h.dev, 0, &m, 1), 1);
		expect_used(&f->rx, id, used);
		for (j = 0; j < ls[i].n; j++)
			room += b[j].len;
		gather(f, b, ls[i].n, got, room < sizeof(got) ? room : sizeof(got));
		assert_rx_hdr(got, f->hdr_len, 1);
		assert_frame_equal(got + f->hdr_len, want, FRAME_LEN);
		for (j = used; j < sizeof(got) && j < room; j++)
			if (got[j] != 0xa5)
				fail_msg("%s: byte %u past the packet was written", ls[i].name, j);
	}
	expect_no_used(&f->rx);
	assert_int_equal(info(f).q[0].tx_packets, nl);
	for (i = 0; i < VHU_DROP__MAX; i++)
		assert_int_equal(info(f).q[0].drops[i], 0);
}

static void
test_class5_rx_header_layouts_split(void **state)
{
	check_rx_layouts(*state, 0, false);
}

static void
test_class5_rx_header_layouts_split_mrg(void **state)
{
	check_rx_layouts(*state, F_MRG, false);
}

static void
test_class5_rx_header_layouts_split_legacy_10_bytes(void **state)
{
	check_rx_layouts(*state, 0, true);
}

static void
test_class5_rx_header_layouts_packed(void **state)
{
	check_rx_layouts(*state, F_PACKED, false);
}

static void
test_class5_rx_header_layouts_packed_mrg(void **state)
{
	check_rx_layouts(*state, F_PACKED | F_MRG, false);
}

/* MRG_RXBUF: the packet (12 + 354 bytes) takes five buffers of 76 bytes,
 * each cut 5 + 7 + 64: the header lands in the first one's first two pieces,
 * num_buffers (its last two bytes, in the second piece) says 5. */
static void
check_rx_mrg_split_header(struct fx *f, uint64_t features)
{
	const struct layout l = {"5 + 7 + 64", 3, {5, 7, 64}};
	struct vhu_fe_buf b[5][3];
	uint8_t want[FRAME_LEN], got[12 + FRAME_LEN], *p = got;
	struct rte_mbuf *m;
	uint16_t id[5];
	uint32_t left = 12 + FRAME_LEN;
	unsigned i;

	start(f, features | F_MRG | F_GUEST, false);
	for (i = 0; i < 5; i++)
		id[i] = post_rx(f, &l, b[i]);
	m = csum_mbuf(7, want);
	assert_int_equal(vhu_dev_enqueue(f->h.dev, 0, &m, 1), 1);
	assert_int_equal(info(f).q[0].tx_packets, 1);
	for (i = 0; i < 5; i++) {
		uint32_t k = left < 76 ? left : 76;

		expect_used(&f->rx, id[i], k);
		gather(f, b[i], 3, p, k);
		p += k;
		left -= k;
	}
	assert_int_equal(left, 0);
	expect_no_used(&f->rx);
	assert_rx_hdr(got, 12, 5);
	assert_frame_equal(got + 12, want, FRAME_LEN);
}

static void
test_class5_rx_mrg_header_split_split(void **state)
{
	check_rx_mrg_split_header(*state, 0);
}

static void
test_class5_rx_mrg_header_split_packed(void **state)
{
	check_rx_mrg_split_header(*state, F_PACKED);
}

/* A guest rx buffer too short for the header (10 of 12 bytes in two pieces,
 * 11 bytes, a 0-length one): it can never hold a packet, so it is given back
 * empty (used, length 0: P13, or it would block the ring for ever) and the
 * packet is dropped as malformed, without a byte of guest memory written; the
 * ring is not broken, and no mbuf is kept. */
static void
check_rx_short_buffer(struct fx *f, uint64_t features)
{
	const struct layout shorts[] = {
		{"5 + 5", 2, {5, 5}},
		{"11", 1, {11}},
		{"0", 1, {0}},
	};
	unsigned i;

	for (i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++) {
		struct fx *g = i == 0 ? f : fx_open();
		struct vhu_fe_buf b[4];
		uint8_t want[FRAME_LEN];
		struct rte_mbuf *m;
		uint16_t id;
		unsigned j;

		start(g, features | F_GUEST, false);
		id = post_rx(g, &shorts[i], b);
		m = csum_mbuf(1, want);
		assert_int_equal(vhu_dev_enqueue(g->h.dev, 0, &m, 1), 1);
		expect_used(&g->rx, id, 0);
		assert_int_equal(info(g).q[0].drops[VHU_DROP_MALFORMED], 1);
		assert_int_equal(info(g).q[0].drops[VHU_DROP_TOO_BIG], 0);
		assert_int_equal(info(g).q[0].tx_packets, 0);
		assert_string_equal(info(g).state, "running");
		for (j = 0; j < shorts[i].n; j++)
			if (b[j].len > 0 && host(g, b[j].gpa)[0] != 0xa5)
				fail_msg("%s: the short buffer was written", shorts[i].name);
		assert_int_equal(rte_mempool_in_use_count(mp), 0);
		if (g != f)
			fx_close(g);
	}
}

static void
test_class5_rx_buffer_shorter_than_header_split(void **state)
{
	check_rx_short_buffer(*state, 0);
}

static void
test_class5_rx_buffer_shorter_than_header_packed_mrg(void **state)
{
	check_rx_short_buffer(*state, F_PACKED | F_MRG);
}

/* P13 (bad-input.md): "every posted buffer is eventually used, or the device is
 * marked broken". A guest rx buffer shorter than the header, at the head of
 * the ring, is given back empty and the good buffer behind it takes the next
 * packet (before the fix it stayed there for ever and every packet to the
 * guest was dropped while the port said "running"). */
static void
test_p13_rx_buffer_shorter_than_header_used_or_broken(void **state)
{
	struct fx *f = *state;
	const struct layout shorter = {"5 + 5", 2, {5, 5}}, good = {"one", 1, {REST}};
	struct vhu_fe_buf b[2];
	uint8_t want[FRAME_LEN];
	uint16_t short_id, good_id;
	struct vhu_dev_info in;
	unsigned i;

	start(f, F_MRG | F_GUEST, false);
	short_id = post_rx(f, &shorter, b);
	good_id = post_rx(f, &good, b);
	/* The first packet meets the short buffer (given back, packet dropped),
	 * the second the good one; then the ring is empty: not taken. */
	for (i = 0; i < 4; i++) {
		struct rte_mbuf *m = csum_mbuf((uint8_t)i, want);

		if (vhu_dev_enqueue(f->h.dev, 0, &m, 1) != 1) {
			assert_true(i >= 2);
			rte_pktmbuf_free(m);
		} else {
			assert_true(i < 2);
		}
	}
	in = info(f);
	print_message("state \"%s\", delivered %llu, too_big %llu, malformed %llu\n", in.state,
		      (unsigned long long)in.q[0].tx_packets,
		      (unsigned long long)in.q[0].drops[VHU_DROP_TOO_BIG],
		      (unsigned long long)in.q[0].drops[VHU_DROP_MALFORMED]);
	if (strncmp(in.state, "broken: ring 0: ", 16) == 0)
		return;
	expect_used(&f->rx, short_id, 0);
	expect_used(&f->rx, good_id, 12 + FRAME_LEN);
	assert_int_equal(in.q[0].tx_packets, 1);
	assert_int_equal(in.q[0].drops[VHU_DROP_MALFORMED], 1);
	assert_int_equal(in.q[0].drops[VHU_DROP_NO_BUFFERS], 2);
}

/* --- Class 11: memory stays bounded. --- */

struct bounds {
	uint64_t rss0;
	int fds0;
};

static struct bounds
bounds_now(void)
{
	return (struct bounds){vhu_fe_rss_bytes(), vhu_fe_count_fds()};
}

/* RSS grew by less than 1 MiB, and no fd was opened. */
static void
assert_bounded(const struct bounds *b, const char *what)
{
	uint64_t rss = vhu_fe_rss_bytes();

	print_message("%s: RSS %llu KiB -> %llu KiB, fds %d -> %d\n", what,
		      (unsigned long long)b->rss0 / 1024, (unsigned long long)rss / 1024, b->fds0,
		      vhu_fe_count_fds());
	assert_true(rss < b->rss0 + (1u << 20));
	assert_int_equal(vhu_fe_count_fds(), b->fds0);
}

/* A burst of BURST packets toward the guest; frees what it did not take, as
 * the switch does. Returns how many it took. */
static uint16_t
burst_to_guest(struct fx *f)
{
	struct rte_mbuf *m[BURST];
	uint16_t n;

	assert_int_equal(rte_pktmbuf_alloc_bulk(mp, m, BURST), 0);
	for (n = 0; n < BURST; n++)
		assert_non_null(rte_pktmbuf_append(m[n], 60));
	n = vhu_dev_enqueue(f->h.dev, 0, m, BURST);
	rte_pktmbuf_free_bulk(m + n, BURST - n);
	return n;
}

#define ROUNDS 3000u

/* The guest posts 8 rx buffers, then never reads the used ring nor posts
 * again: 8 packets go in, every other is counted no_buffers, no mbuf is
 * kept between bursts, the used index stays at 8. Once the guest reads and
 * posts again, packets flow again. */
static void
check_rx_never_completed(struct fx *f, uint64_t features)
{
	const struct layout l = {"one", 1, {REST}};
	struct vhu_fe_buf b[1];
	struct bounds bd;
	uint64_t taken = 0;
	unsigned i;

	start(f, features, false);
	for (i = 0; i < 8; i++)
		(void)post_rx(f, &l, b);
	for (i = 0; i < ROUNDS; i++) {
		taken += burst_to_guest(f);
		assert_int_equal(rte_mempool_in_use_count(mp), 0);
		if (i == 100)
			bd = bounds_now();
	}
	assert_bounded(&bd, "rx buffers posted, never completed");
	assert_int_equal(taken, 8);
	assert_int_equal(info(f).q[0].tx_packets, 8);
	assert_int_equal(info(f).q[0].drops[VHU_DROP_NO_BUFFERS], (uint64_t)ROUNDS * BURST - 8);
	if (!(features & F_PACKED)) {
		const struct vhu_split_used *u = (const void *)(f->rx.base + VHU_FE_USED_OFF);

		assert_int_equal(u->idx, 8);
	}
	for (i = 0; i < 8; i++) {
		uint16_t id;
		uint32_t len;

		assert_true(vhu_fe_ring_used(&f->rx, &id, &len));
		assert_int_equal(len, f->hdr_len + 60);
	}
	expect_no_used(&f->rx);
	for (i = 0; i < 8; i++)
		(void)post_rx(f, &l, b);
	assert_int_equal(burst_to_guest(f), 8);
	assert_int_equal(info(f).q[0].tx_packets, 16);
}

static void
test_class11_rx_posted_never_completed_split(void **state)
{
	check_rx_never_completed(*state, F_MRG);
}

static void
test_class11_rx_posted_never_completed_packed(void **state)
{
	check_rx_never_completed(*state, F_PACKED);
}

/* A guest that never posts an rx buffer: every packet is counted, none kept. */
static void
test_class11_rx_never_posted(void **state)
{
	struct fx *f = *state;
	struct bounds bd;
	unsigned i;

	start(f, 0, false);
	for (i = 0; i < ROUNDS; i++) {
		assert_int_equal(burst_to_guest(f), 0);
		assert_int_equal(rte_mempool_in_use_count(mp), 0);
		if (i == 100)
			bd = bounds_now();
	}
	assert_bounded(&bd, "no rx buffers");
	assert_int_equal(info(f).q[0].drops[VHU_DROP_NO_BUFFERS], (uint64_t)ROUNDS * BURST);
	assert_int_equal(info(f).q[0].tx_packets, 0);
}

/* The guest floods its tx ring (keeps it full, reaping used entries as fast
 * as they come) while its rx ring has no buffer: what it sends comes back
 * to it (a hairpin, the worst case) and is dropped as no_buffers. Every tx
 * chain is completed, nothing is held, counters add up. */
static void
check_tx_flood_rx_full(struct fx *f, uint64_t features)
{
	const struct layout l = {"header alone", 2, {12, REST}};
	uint8_t src[12 + FRAME_LEN];
	struct vhu_net_hdr h = {0};
	uint64_t posted = 0, reaped = 0, got = 0;
	struct bounds bd = {0};
	bool have_bd = false;
	unsigned i;

	start(f, features, false);
	memcpy(src, &h, 12);
	frame(src + 12, 3);
	for (i = 0; i < ROUNDS / 3; i++) {
		struct rte_mbuf *m[BURST];
		uint16_t n, k, id;
		uint32_t len;

		while (vhu_fe_ring_used(&f->tx, &id, &len))
			reaped++;
		while (f->tx.in_flight < NUM / 2) { /* 2 descriptors each */
			(void)post_tx(f, &l, src, sizeof(src));
			posted++;
		}
		n = vhu_dev_dequeue(f->h.dev, 0, mp, m, BURST);
		assert_int_equal(n, BURST);
		got += n;
		k = vhu_dev_enqueue(f->h.dev, 0, m, n);
		assert_int_equal(k, 0);
		rte_pktmbuf_free_bulk(m + k, n - k);
		assert_int_equal(rte_mempool_in_use_count(mp), 0);
		/* Once every page of guest buffer space was touched (RSS counts
		 * guest memory: the front-end's and the device's mappings). */
		if (!have_bd && f->wraps >= 1) {
			bd = bounds_now();
			have_bd = true;
		}
	}
	assert_true(f->wraps >= 2);
	assert_bounded(&bd, "tx flood, rx full");
	assert_int_equal(info(f).q[0].rx_packets, got);
	assert_int_equal(info(f).q[0].drops[VHU_DROP_NO_BUFFERS], got);
	assert_int_equal(info(f).q[0].tx_packets, 0);
	assert_int_equal(posted - reaped, f->tx.in_flight);
	{
		uint16_t id;
		uint32_t len;

		while (vhu_fe_ring_used(&f->tx, &id, &len))
			reaped++;
	}
	assert_int_equal(reaped, got); /* every dequeued chain was given back */
}

static void
test_class11_tx_flood_rx_full_split(void **state)
{
	check_tx_flood_rx_full(*state, 0);
}

static void
test_class11_tx_flood_rx_full_packed(void **state)
{
	check_tx_flood_rx_full(*state, F_PACKED);
}

/* The mbuf pool is empty (other ports hold every mbuf) while the guest sends:
 * its chains are completed and counted no_mbuf, not held until mbufs come
 * back (nor the mbufs of a packet half copied); once they do, packets flow. */
static void
check_tx_pool_empty(struct fx *f, uint64_t features)
{
	const struct layout l = {"header alone", 2, {12, REST}};
	struct rte_mbuf *hoard[POOL_SIZE], *m[BURST];
	uint8_t src[12 + FRAME_LEN];
	struct vhu_net_hdr h = {0};
	unsigned n = 0, i;
	uint16_t id;
	uint32_t len;

	start(f, features, false);
	while (n < POOL_SIZE && (hoard[n] = rte_pktmbuf_alloc(mp)) != NULL)
		n++;
	assert_int_equal(n, POOL_SIZE);
	memcpy(src, &h, 12);
	frame(src + 12, 4);
	for (i = 0; i < 64; i++)
		(void)post_tx(f, &l, src, sizeof(src));
	assert_int_equal(vhu_dev_dequeue(f->h.dev, 0, mp, m, BURST), 0);
	assert_int_equal(info(f).q[0].drops[VHU_DROP_NO_MBUF], 64);
	for (i = 0; i < 64; i++)
		assert_true(vhu_fe_ring_used(&f->tx, &id, &len));
	expect_no_used(&f->tx);
	/* One mbuf left, a packet that needs two: the first goes back too. */
	{
		static uint8_t big[12 + 3000];

		rte_pktmbuf_free(hoard[--n]);
		(void)post_tx(f, &l, big, sizeof(big));
		assert_int_equal(vhu_dev_dequeue(f->h.dev, 0, mp, m, BURST), 0);
		assert_int_equal(info(f).q[0].drops[VHU_DROP_NO_MBUF], 65);
		assert_int_equal(rte_mempool_in_use_count(mp), n);
		assert_true(vhu_fe_ring_used(&f->tx, &id, &len));
	}
	rte_pktmbuf_free_bulk(hoard, n);
	(void)post_tx(f, &l, src, sizeof(src));
	assert_int_equal(vhu_dev_dequeue(f->h.dev, 0, mp, m, BURST), 1);
	rte_pktmbuf_free(m[0]);
	assert_int_equal(info(f).q[0].rx_packets, 1);
}

static void
test_class11_tx_mbuf_pool_empty_split(void **state)
{
	check_tx_pool_empty(*state, 0);
}

static void
test_class11_tx_mbuf_pool_empty_packed(void **state)
{
	check_tx_pool_empty(*state, F_PACKED);
}

/* --- A misbehaving guest next to a healthy one. --- */

/* Guest A's tx ring gets a descriptor that loops on itself: A's device is
 * broken with the reason in its state, counts what it cannot deliver, and
 * moves nothing more; guest B, served by the same loop and the same "PMD",
 * exchanges every packet as before. */
static void
test_broken_guest_next_to_healthy_one(void **state)
{
	struct fx *a = *state, *b = fx_open();
	const struct layout l = {"one", 1, {REST}};
	uint8_t src[12 + FRAME_LEN];
	struct vhu_net_hdr h = {0};
	struct vhu_fe_buf rb[1];
	struct rte_mbuf *m[BURST];
	struct vhu_split_desc *d;
	struct vhu_dev_info in;
	unsigned i;

	start(a, 0, false);
	start(b, F_PACKED, false);
	memcpy(src, &h, 12);
	frame(src + 12, 5);
	/* A: descriptor 7 loops to itself. */
	d = vhu_fe_split_desc(&a->tx, 7);
	d->addr = gbuf(a, 64);
	d->len = 64;
	d->flags = VHU_DESC_F_NEXT;
	d->next = 7;
	vhu_fe_split_publish(&a->tx, 7, 1);
	for (i = 0; i < 16; i++) {
		(void)post_tx(b, &l, src, sizeof(src));
		(void)post_rx(b, &l, rb);
	}
	for (i = 0; i < 4; i++) {
		uint16_t n;

		assert_int_equal(vhu_dev_dequeue(a->h.dev, 0, mp, m, BURST), 0);
		n = vhu_dev_dequeue(b->h.dev, 0, mp, m, BURST);
		assert_int_equal(n, i == 0 ? 16 : 0);
		/* B's packets to A and back to B: A takes none. */
		if (n > 0) {
			assert_int_equal(vhu_dev_enqueue(a->h.dev, 0, m, n), 0);
			assert_int_equal(vhu_dev_enqueue(b->h.dev, 0, m, n), n);
		}
	}
	in = info(a);
	assert_string_equal(in.state, "broken: ring 1: descriptor chain loops or is longer than "
				      "the ring");
	assert_int_equal(in.q[0].drops[VHU_DROP_BROKEN], 0); /* its rx ring still runs */
	assert_int_equal(in.q[0].drops[VHU_DROP_NO_BUFFERS], 16);
	assert_int_equal(in.q[0].rx_packets, 0);
	in = info(b);
	assert_string_equal(in.state, "running");
	assert_int_equal(in.q[0].rx_packets, 16);
	assert_int_equal(in.q[0].tx_packets, 16);
	for (i = 0; i < VHU_DROP__MAX; i++)
		assert_int_equal(in.q[0].drops[i], 0);
	/* A's guest rx ring, broken too (an avail index jump): its packets are
	 * counted as broken, not taken; B is still unaffected. */
	vhu_fe_split_publish(&a->rx, 0, NUM + 1);
	assert_int_equal(burst_to_guest(a), 0);
	assert_int_equal(burst_to_guest(a), 0);
	in = info(a);
	assert_int_equal(in.q[0].drops[VHU_DROP_BROKEN], 2 * BURST);
	assert_int_equal(in.q[0].drops[VHU_DROP_NO_BUFFERS], 16);
	(void)post_rx(b, &l, rb);
	assert_int_equal(burst_to_guest(b), 1);
	assert_int_equal(rte_mempool_in_use_count(mp), 0);
	fx_close(b);
}

int
main(void)
{
	char prefix[64], *argv[] = {"vhu_net_test",   "-l",   "0",	     "--no-huge",
				    "--no-pci",	      "-m",   "128",	     "--no-shconf",
				    "--file-prefix",  prefix, "--log-level", "lib.*:error",
				    "--no-telemetry", NULL};
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_class5_tx_header_layouts_split),
		T(test_class5_tx_header_layouts_split_mrg),
		T(test_class5_tx_header_layouts_split_legacy_10_bytes),
		T(test_class5_tx_header_layouts_packed),
		T(test_class5_tx_chain_shorter_than_header_split),
		T(test_class5_tx_chain_shorter_than_header_packed),
		T(test_class5_rx_header_layouts_split),
		T(test_class5_rx_header_layouts_split_mrg),
		T(test_class5_rx_header_layouts_split_legacy_10_bytes),
		T(test_class5_rx_header_layouts_packed),
		T(test_class5_rx_header_layouts_packed_mrg),
		T(test_class5_rx_mrg_header_split_split),
		T(test_class5_rx_mrg_header_split_packed),
		T(test_class5_rx_buffer_shorter_than_header_split),
		T(test_class5_rx_buffer_shorter_than_header_packed_mrg),
		T(test_class11_rx_posted_never_completed_split),
		T(test_class11_rx_posted_never_completed_packed),
		T(test_class11_rx_never_posted),
		T(test_class11_tx_flood_rx_full_split),
		T(test_class11_tx_flood_rx_full_packed),
		T(test_class11_tx_mbuf_pool_empty_split),
		T(test_class11_tx_mbuf_pool_empty_packed),
		T(test_broken_guest_next_to_healthy_one),
		T(test_p13_rx_buffer_shorter_than_header_used_or_broken),
#undef T
	};
	char runtime_dir[256];
	int rc;

	snprintf(prefix, sizeof(prefix), "vhu-net-test-%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "SKIP: the DPDK EAL cannot start here (%s)\n",
			rte_strerror(rte_errno));
		return 77;
	}
	mp = rte_pktmbuf_pool_create("vhu_net_test", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	if (mp == NULL) {
		fprintf(stderr, "SKIP: no mbuf pool (%s)\n", rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 77;
	}
	vhu_fe_fail_hook = fe_fail;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_mempool_free(mp);
	/* The EAL leaves its (empty, --no-shconf) runtime directory behind. */
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(runtime_dir);
	return rc;
}
