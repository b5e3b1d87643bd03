/* Unit tests of the virtio-net header translation (vhu_net_hdr.c) over real
 * mbufs: Ethernet (+VLAN) / IPv4|IPv6 / TCP|UDP frames, single and multi-segment
 * (odd segment sizes, fields straddling segments); every checksum checked
 * against an independent byte-by-byte reference (RFC 1071); one test per
 * refusal of bad-input.md class 8. Needs the DPDK EAL without hugepages;
 * skips (exit 77) when it cannot start. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vhu_net_hdr.h"

#define FEAT(b)	 VHU_NET_FEATURE(VHU_NET_F_##b)
#define HOST_ALL (FEAT(CSUM) | FEAT(HOST_TSO4) | FEAT(HOST_TSO6) | FEAT(HOST_UFO) | FEAT(HOST_ECN))
#define GUEST_ALL                                                                                  \
	(FEAT(GUEST_CSUM) | FEAT(GUEST_TSO4) | FEAT(GUEST_TSO6) | FEAT(GUEST_UFO) | FEAT(GUEST_ECN))
#define TX_BITS                                                                                    \
	(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_IP_CKSUM |                        \
	 RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG)

#define MAX_FRAME 70000
#define PROTO_TCP 6
#define PROTO_UDP 17

static struct rte_mempool *mp;

/* ---- reference checksum: big-endian 16-bit words, byte by byte ---- */

static uint32_t
ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The pseudo-header sum for the IP header at f + l3. */
static uint32_t
ref_phdr(const uint8_t *f, size_t l3, bool v6, uint8_t proto, uint32_t l4_len)
{
	uint8_t ph[40] = {0};

	if (!v6) {
		memcpy(ph, f + l3 + 12, 8);
		ph[9] = proto;
		ph[10] = (uint8_t)(l4_len >> 8);
		ph[11] = (uint8_t)l4_len;
		return ref_sum(ph, 12, 0);
	}
	memcpy(ph, f + l3 + 8, 32);
	ph[32] = (uint8_t)(l4_len >> 24);
	ph[33] = (uint8_t)(l4_len >> 16);
	ph[34] = (uint8_t)(l4_len >> 8);
	ph[35] = (uint8_t)l4_len;
	ph[39] = proto;
	return ref_sum(ph, 40, 0);
}

static uint16_t
be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- frames ---- */

struct spec {
	bool v6;
	bool vlan;
	uint8_t proto;
	uint32_t payload;
	uint8_t tcp_flags;
	uint8_t tcp_doff; /* data offset in 32-bit words; 0: 5 */
};

struct frame {
	uint8_t b[MAX_FRAME];
	size_t len, l3, l4;
};

/* Builds a valid frame (IPv4 header checksum correct, L4 checksum 0). */
static void
build(struct frame *f, const struct spec *s)
{
	uint8_t *b = f->b;
	size_t o = 12, l4_len, i;
	uint8_t doff = s->tcp_doff ? s->tcp_doff : 5;

	memset(b, 0, 64);
	memcpy(b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (s->vlan) {
		memcpy(b + o, "\x81\x00\x00\x64", 4);
		o += 4;
	}
	memcpy(b + o, s->v6 ? "\x86\xdd" : "\x08\x00", 2);
	o += 2;
	f->l3 = o;
	f->l4 = o + (s->v6 ? 40 : 20);
	l4_len = (s->proto == PROTO_TCP ? 20u : 8u) + s->payload;
	memset(b + f->l3, 0, f->l4 - f->l3 + 20);
	if (!s->v6) {
		uint8_t *ip = b + f->l3;
		uint16_t c;

		ip[0] = 0x45;
		ip[2] = (uint8_t)((20 + l4_len) >> 8);
		ip[3] = (uint8_t)(20 + l4_len);
		ip[4] = 0x12;
		ip[5] = 0x34;
		ip[6] = 0x40; /* DF */
		ip[8] = 64;
		ip[9] = s->proto;
		memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
		c = (uint16_t)~ref_fold(ref_sum(ip, 20, 0));
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
	} else {
		uint8_t *ip = b + f->l3;

		ip[0] = 0x60;
		ip[4] = (uint8_t)(l4_len >> 8);
		ip[5] = (uint8_t)l4_len;
		ip[6] = s->proto;
		ip[7] = 64;
		ip[8] = 0x20;
		ip[9] = 0x01;
		ip[10] = 0x0d;
		ip[11] = 0xb8;
		ip[23] = 1;
		memcpy(ip + 24, ip + 8, 15);
		ip[39] = 2;
	}
	if (s->proto == PROTO_TCP) {
		uint8_t *t = b + f->l4;

		memcpy(t, "\x03\xe8\x07\xd0\x01\x02\x03\x04", 8);
		t[12] = (uint8_t)(doff << 4);
		t[13] = s->tcp_flags ? s->tcp_flags : 0x10;
		t[14] = 0xff;
		t[15] = 0xff;
	} else {
		uint8_t *u = b + f->l4;

		memcpy(u, "\x03\xe8\x07\xd0", 4);
		u[4] = (uint8_t)(l4_len >> 8);
		u[5] = (uint8_t)l4_len;
	}
	o = f->l4 + (s->proto == PROTO_TCP ? 20 : 8);
	for (i = 0; i < s->payload; i++)
		b[o + i] = (uint8_t)(i * 7 + 3);
	f->len = o + s->payload;
}

/* A chain holding 'len' bytes of 'b', at most 'seg' bytes per segment (0: as
 * few segments as the data room allows). */
static struct rte_mbuf *
load(const uint8_t *b, size_t len, size_t seg)
{
	struct rte_mbuf *head = NULL, *tail = NULL;
	size_t off = 0;

	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		size_t n = rte_pktmbuf_tailroom(m);

		assert_non_null(m);
		if (seg != 0 && seg < n)
			n = seg;
		if (n > len - off)
			n = len - off;
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), b + off, n);
		off += n;
		if (head == NULL) {
			head = m;
		} else {
			tail->next = m;
			head->nb_segs++;
			head->pkt_len += (uint32_t)n;
		}
		tail = m;
	} while (off < len);
	return head;
}

/* The packet's bytes, flattened. */
static void
flat(const struct rte_mbuf *m, uint8_t *out)
{
	const void *p = rte_pktmbuf_read(m, 0, rte_pktmbuf_pkt_len(m), out);

	assert_non_null(p);
	if (p != out)
		memcpy(out, p, rte_pktmbuf_pkt_len(m));
}

static struct frame fr, got; /* big: static */

static struct vhu_net_hdr
hdr(uint8_t flags, uint8_t gso, uint16_t hdr_len, uint16_t gso_size, uint16_t start, uint16_t off)
{
	struct vhu_net_hdr h = {
		.flags = flags,
		.gso_type = gso,
		.hdr_len = rte_cpu_to_le_16(hdr_len),
		.gso_size = rte_cpu_to_le_16(gso_size),
		.csum_start = rte_cpu_to_le_16(start),
		.csum_offset = rte_cpu_to_le_16(off),
	};

	return h;
}

static uint16_t
l4_field_off(uint8_t proto)
{
	return proto == PROTO_TCP ? 16 : 6;
}

/* A guest's partial checksum request for the frame in 'fr': its pseudo-header
 * sum (with length) in the field, NEEDS_CSUM pointing at it. */
static struct vhu_net_hdr
guest_csum(const struct spec *s)
{
	uint32_t l4_len = (uint32_t)(fr.len - fr.l4);
	uint16_t ph = ref_fold(ref_phdr(fr.b, fr.l3, s->v6, s->proto, l4_len));
	uint8_t *field = fr.b + fr.l4 + l4_field_off(s->proto);

	field[0] = (uint8_t)(ph >> 8);
	field[1] = (uint8_t)ph;
	return hdr(VHU_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, (uint16_t)fr.l4, l4_field_off(s->proto));
}

/* Is the L4 checksum of the frame in 'got' right? */
static bool
l4_ok(const struct spec *s, size_t end)
{
	uint32_t ip_l4_len = (uint32_t)(end - got.l4);
	uint32_t sum = ref_phdr(got.b, got.l3, s->v6, s->proto, ip_l4_len);

	return ref_fold(ref_sum(got.b + got.l4, end - got.l4, sum)) == 0xffff;
}

static bool
ip4_ok(size_t l3)
{
	return ref_fold(ref_sum(got.b + l3, 20, 0)) == 0xffff;
}

static void
fetch(const struct rte_mbuf *m)
{
	flat(m, got.b);
	got.len = rte_pktmbuf_pkt_len(m);
	got.l3 = fr.l3;
	got.l4 = fr.l4;
}

/* ---- guest TX: accepted requests ---- */

static void
test_no_offload(void **state)
{
	struct spec s = {.proto = PROTO_TCP, .payload = 100};
	struct vhu_net_hdr h = hdr(0, 0, 0, 0, 0, 0);
	struct rte_mbuf *m;

	(void)state;
	build(&fr, &s);
	m = load(fr.b, fr.len, 0);
	assert_int_equal(vhu_net_hdr_to_mbuf(&h, m, HOST_ALL, NULL), 0);
	assert_int_equal(m->ol_flags & (TX_BITS | RTE_MBUF_F_RX_L4_CKSUM_MASK), 0);
	fetch(m);
	assert_memory_equal(got.b, fr.b, fr.len);
	rte_pktmbuf_free(m);
}

static void
test_data_valid(void **state)
{
	struct spec s = {.proto = PROTO_UDP, .payload = 10};
	struct vhu_net_hdr h = hdr(VHU_NET_HDR_F_DATA_VALID, 0, 0, 0, 0, 0);
	struct rte_mbuf *m;

	(void)state;
	build(&fr, &s);
	m = load(fr.b, fr.len, 0);
	assert_int_equal(vhu_net_hdr_to_mbuf(&h, m, 0, NULL), 0);
	assert_int_equal(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK, RTE_MBUF_F_RX_L4_CKSUM_GOOD);
	assert_int_equal(m->ol_flags & TX_BITS, 0);
	rte_pktmbuf_free(m);
}

/* NEEDS_CSUM on TCP over IPv4: left as TX metadata; the field rewritten with
 * our pseudo-header sum whatever the guest put there. */
static void
test_csum_tcp4_lazy(void **state)
{
	struct spec s = {.proto = PROTO_TCP, .payload = 333};
	struct vhu_net_hdr h;
	struct rte_mbuf *m;
	uint32_t ph;

	(void)state;
	build(&fr, &s);
	h = guest_csum(&s);
	fr.b[fr.l4 + 16] = 0xde; /* a guest's wrong partial sum */
	m = load(fr.b, fr.len, 0);
	assert_int_equal(vhu_net_hdr_to_mbuf(&h, m, HOST_ALL, NULL), 0);
	assert_int_equal(m->ol_flags & TX_BITS, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
	assert_int_equal(m->l2_len, 14);
	assert_int_equal(m->l3_len, 20);
	assert_int_equal(m->l4_len, 20);
	fetch(m);
	ph = ref_fold(ref_phdr(fr.b, fr.l3, false, PROTO_TCP, (uint32_t)(fr.len - fr.l4)));
	assert_int_equal(be16_at(got.b + fr.l4 + 16), ph);
	rte_pktmbuf_free(m);
}

static void
test_csum_udp6_lazy_multiseg(void **state)
{
	struct spec s = {.v6 = true, .vlan = true, .proto = PROTO_UDP, .payload = 300};
	struct vhu_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fr, &s);
	h = guest_csum(&s);
	m = load(fr.b, fr.len, 37);
	assert_true(m->nb_segs > 5);
	assert_int_equal(vhu_net_hdr_to_mbuf(&h, m, HOST_ALL, NULL), 0);
	assert_int_equal(m->ol_flags & TX_BITS, RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM);
	assert_int_equal(m->l2_len, 18);
	assert_int_equal(m->l3_len, 40);
	assert_int_equal(m->l4_len, 8);
	fetch(m);
	assert_int_equal(
		be16_at(got.b + fr.l4 + 6),
		ref_fold(ref_phdr(fr.b, fr.l3, true, PROTO_UDP, (uint32_t)(fr.len - fr.l4))));
	rte_pktmbuf_free(m);
}

/* A checksum request on a non-IP frame is done right away, over a chain whose
 * field straddles two segments, from an odd csum_start. */
static void
test_csum_generic_multiseg(void **state)
{
	struct vhu_net_hdr h = hdr(VHU_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 17, 56);
	struct rte_mbuf *m;
	size_t i;

	(void)state;
	memset(fr.b, 0, 14);
	fr.b[12] = 0x88;
	fr.b[13] = 0xb5;
	for (i = 14; i < 250; i++)
		fr.b[i] = (uint8_t)(i * 13 + 1);
	fr.len = 250;
	m = load(fr.b, fr.len, 37); /* field at 73..74: segments [37,74) and [74,111) */
	assert_int_equal(vhu_net_hdr_to_mbuf(&h, m, FEAT(CSUM), NULL), 0);
	assert_int_equal(m->ol_flags & TX_BITS, 0);
	flat(m, got.b);
	/* the field's old content is the partial sum the bytes do not carry */
	assert_int_equal(ref_fold(ref_sum(got.b + 17, fr.len - 17, be16_at(fr.b + 73))), 0xffff);
	assert_memory_equal(got.b, fr.b, 73);
	assert_memory_equal(got.b + 75, fr.b + 75, fr.len - 75);
	rte_pktmbuf_free(m);
}

/* TCP over IPv4 whose frame carries 6 bytes beyond the IP datagram: the lazy
 * form cannot express it, so the sum runs to the end of the packet now, as
 * virtio says. */
static void
test_csum_padded_frame_in_software(void **state)
{
	struct spec s = {.proto = PROTO_TCP, .payload = 10};
	struct vhu_net_hdr h;
	struct rte_mbuf *m;
	uint32_t ip_l4;

	(void)state;
	build(&fr, &s);
	h = guest_csum(&s);
	ip_l4 = (uint32_t)(fr.len - fr.l4);
	memset(fr.b + fr.len, 0xaa, 6);
	fr.len += 6;
	m = load(fr.b, fr.len, 0);
	assert_int_equal(vhu_net_hdr_to_mbuf(&h, m, HOST_ALL, NULL), 0);
	assert_int_equal(m->ol_flags & TX_BITS, 0);
	fetch(m);
	assert_int_equal(ref_fold(ref_sum(got.b + fr.l4, fr.len - fr.l4,
					  ref_phdr(fr.b, fr.l3, false, PROTO_TCP, ip_l4))),
			 0xffff);
	rte_pktmbuf_free(m);
}

/* The checksum field may be the packet's last two bytes. */
static void
test_csum_field_at_end_accepted(void **state)
{
	struct vhu_net_hdr h = hdr(VHU_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 20, 78);
	struct rte_mbuf *m;

	(void)state;
	memset(fr.b, 0x11, 100);
	fr.len = 100;
	m = load(fr.b, fr.len, 0);
	assert_int_equal(vhu_net_hdr_to_mbuf(&h, m, FEAT(CSUM), NULL), 0);
	flat(m, got.b);
	assert_int_equal(ref_fold(ref_sum(got.b + 20, 80, 0x1111)), 0xffff);
	rte_pktmbuf_free(m);
}

static void
test_gso_tcp4(void **state)
{
	struct spec s = {.proto = PROTO_TCP, .payload = 5000, .tcp_flags = 0x18};
	struct vhu_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fr, &s);
	h = guest_csum(&s);
	h.gso_type = VHU_NET_HDR_GSO_TCPV4;
	h.gso_size = rte_cpu_to_le_16(1448);
	h.hdr_len = rte_cpu_to_le_16(54);
	m = load(fr.b, fr.len, 0);
	assert_true(m->nb_segs > 1);
	assert_int_equal(vhu_net_hdr_to_mbuf(&h, m, HOST_ALL, NULL), 0);
	assert_int_equal(m->ol_flags & TX_BITS, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
							RTE_MBUF_F_TX_TCP_CKSUM |
							RTE_MBUF_F_TX_TCP_SEG);
	assert_int_equal(m->tso_segsz, 1448);
	assert_int_equal(m->l2_len, 14);
	assert_int_equal(m->l3_len, 20);
	assert_int_equal(m->l4_len, 20);
	fetch(m);
	assert_int_equal(be16_at(got.b + fr.l3 + 10), 0); /* DPDK's TSO rule */
	assert_int_equal(be16_at(got.b + fr.l4 + 16),
			 ref_fold(ref_phdr(fr.b, fr.l3, false, PROTO_TCP, 0)));
	rte_pktmbuf_free(m);
}

static void
test_gso_tcp6_vlan(void **state)
{
	struct spec s = {.v6 = true, .vlan = true, .proto = PROTO_TCP, .payload = 9000};
	struct vhu_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fr, &s);
	h = guest_csum(&s);
	h.gso_type = VHU_NET_HDR_GSO_TCPV6;
	h.gso_size = rte_cpu_to_le_16(1428);
	m = load(fr.b, fr.len, 0);
	assert_int_equal(vhu_net_hdr_to_mbuf(&h, m, HOST_ALL, NULL), 0);
	assert_int_equal(m->ol_flags & TX_BITS,
			 RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_TCP_SEG);
	assert_int_equal(m->l2_len, 18);
	assert_int_equal(m->l3_len, 40);
	fetch(m);
	assert_int_equal(be16_at(got.b + fr.l4 + 16),
			 ref_fold(ref_phdr(fr.b, fr.l3, true, PROTO_TCP, 0)));
	rte_pktmbuf_free(m);
}

static void
test_gso_ufo4(void **state)
{
	struct spec s = {.proto = PROTO_UDP, .payload = 4000};
	struct vhu_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fr, &s);
	h = guest_csum(&s);
	h.gso_type = VHU_NET_HDR_GSO_UDP;
	h.gso_size = rte_cpu_to_le_16(1480);
	m = load(fr.b, fr.len, 0);
	assert_int_equal(vhu_net_hdr_to_mbuf(&h, m, HOST_ALL, NULL), 0);
	assert_int_equal(m->ol_flags & TX_BITS, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
							RTE_MBUF_F_TX_UDP_CKSUM |
							RTE_MBUF_F_TX_UDP_SEG);
	assert_int_equal(m->tso_segsz, 1480);
	fetch(m);
	assert_int_equal(be16_at(got.b + fr.l4 + 6),
			 ref_fold(ref_phdr(fr.b, fr.l3, false, PROTO_UDP, 4008)));
	rte_pktmbuf_free(m);
}

/* A gso packet whose payload fits in one segment becomes a checksum request. */
static void
test_gso_fits_one_segment(void **state)
{
	struct spec s = {.proto = PROTO_TCP, .payload = 1448};
	struct vhu_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fr, &s);
	h = guest_csum(&s);
	h.gso_type = VHU_NET_HDR_GSO_TCPV4;
	h.gso_size = rte_cpu_to_le_16(1448);
	m = load(fr.b, fr.len, 0);
	assert_int_equal(vhu_net_hdr_to_mbuf(&h, m, HOST_ALL, NULL), 0);
	assert_int_equal(m->ol_flags & TX_BITS, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
	fetch(m);
	assert_int_equal(be16_at(got.b + fr.l4 + 16),
			 ref_fold(ref_phdr(fr.b, fr.l3, false, PROTO_TCP, 1468)));
	assert_true(ip4_ok(fr.l3));
	rte_pktmbuf_free(m);
}

static void
test_gso_ecn_negotiated(void **state)
{
	struct spec s = {.proto = PROTO_TCP, .payload = 3000, .tcp_flags = 0x90};
	struct vhu_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fr, &s);
	h = guest_csum(&s);
	h.gso_type = VHU_NET_HDR_GSO_TCPV4 | VHU_NET_HDR_GSO_ECN;
	h.gso_size = rte_cpu_to_le_16(1000);
	m = load(fr.b, fr.len, 0);
	assert_int_equal(vhu_net_hdr_to_mbuf(&h, m, HOST_ALL, NULL), 0);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	rte_pktmbuf_free(m);
}

/* ---- guest TX: class 8 refusals ---- */

/* Expects 'h' on the frame in 'fr' to be refused with 'rc' and a reason. */
static void
refused(const struct vhu_net_hdr *h, uint64_t features, int rc)
{
	struct rte_mbuf *m = load(fr.b, fr.len, 0);
	struct iovs_err err = {{0}};

	assert_int_equal(vhu_net_hdr_to_mbuf(h, m, features, &err), rc);
	assert_true(err.msg[0] != '\0');
	rte_pktmbuf_free(m);
}

/* A valid TSOv4 request for a 3000-byte payload in 'fr'. */
static struct vhu_net_hdr
tso4_request(void)
{
	struct spec s = {.proto = PROTO_TCP, .payload = 3000};
	struct vhu_net_hdr h;

	build(&fr, &s);
	h = guest_csum(&s);
	h.gso_type = VHU_NET_HDR_GSO_TCPV4;
	h.gso_size = rte_cpu_to_le_16(1448);
	h.hdr_len = rte_cpu_to_le_16(54);
	return h;
}

static void
test_tso4_request_is_valid(void **state)
{
	struct vhu_net_hdr h = tso4_request();
	struct rte_mbuf *m = load(fr.b, fr.len, 0);

	(void)state;
	assert_int_equal(vhu_net_hdr_to_mbuf(&h, m, HOST_ALL, NULL), 0);
	rte_pktmbuf_free(m);
}

static void
test_class8_csum_start_beyond_packet(void **state)
{
	struct vhu_net_hdr h = tso4_request();

	(void)state;
	h.gso_type = 0;
	h.csum_start = rte_cpu_to_le_16((uint16_t)fr.len);
	h.csum_offset = 0;
	refused(&h, HOST_ALL, -EINVAL);
	h.csum_start = rte_cpu_to_le_16(0xffff);
	refused(&h, HOST_ALL, -EINVAL);
}

static void
test_class8_csum_offset_beyond_packet(void **state)
{
	struct vhu_net_hdr h = tso4_request();

	(void)state;
	h.gso_type = 0;
	h.csum_offset = rte_cpu_to_le_16(0xffff);
	refused(&h, HOST_ALL, -EINVAL);
	/* the field's second byte one past the end */
	h.csum_offset = rte_cpu_to_le_16((uint16_t)(fr.len - fr.l4 - 1));
	refused(&h, HOST_ALL, -EINVAL);
}

static void
test_class8_csum_start_plus_offset_wraps(void **state)
{
	struct vhu_net_hdr h = tso4_request();

	(void)state;
	h.gso_type = 0;
	h.csum_start = rte_cpu_to_le_16(0xfff0);
	h.csum_offset = rte_cpu_to_le_16(0x0020);
	refused(&h, HOST_ALL, -EINVAL);
}

static void
test_class8_hdr_len_beyond_packet(void **state)
{
	struct vhu_net_hdr h = tso4_request();

	(void)state;
	h.hdr_len = rte_cpu_to_le_16((uint16_t)(fr.len + 1));
	refused(&h, HOST_ALL, -EINVAL);
	h.gso_type = 0;
	refused(&h, HOST_ALL, -EINVAL);
}

static void
test_class8_gso_size_zero(void **state)
{
	struct vhu_net_hdr h = tso4_request();

	(void)state;
	h.gso_size = 0;
	refused(&h, HOST_ALL, -EINVAL);
}

static void
test_class8_gso_type_unknown(void **state)
{
	static const uint8_t types[] = {2, 5, 6, 0x7f, 0x40, 0x85};
	struct vhu_net_hdr h = tso4_request();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types); i++) {
		h.gso_type = types[i];
		refused(&h, HOST_ALL, -EINVAL);
	}
}

static void
test_class8_gso_type_not_negotiated(void **state)
{
	struct vhu_net_hdr h = tso4_request();

	(void)state;
	refused(&h, HOST_ALL & ~FEAT(HOST_TSO4), -EINVAL);
	h.gso_type = VHU_NET_HDR_GSO_UDP;
	refused(&h, HOST_ALL & ~FEAT(HOST_UFO), -EINVAL);
	h.gso_type = VHU_NET_HDR_GSO_TCPV6;
	refused(&h, HOST_ALL & ~FEAT(HOST_TSO6), -EINVAL);
}

static void
test_class8_gso_type_mismatch(void **state)
{
	struct spec tcp6 = {.v6 = true, .proto = PROTO_TCP, .payload = 3000};
	struct spec udp4 = {.proto = PROTO_UDP, .payload = 3000};
	struct vhu_net_hdr h = tso4_request();

	(void)state;
	h.gso_type = VHU_NET_HDR_GSO_TCPV6; /* on IPv4 */
	refused(&h, HOST_ALL, -EINVAL);
	h.gso_type = VHU_NET_HDR_GSO_UDP; /* on TCP */
	refused(&h, HOST_ALL, -EINVAL);

	build(&fr, &tcp6);
	h = guest_csum(&tcp6);
	h.gso_type = VHU_NET_HDR_GSO_TCPV4; /* on IPv6 */
	h.gso_size = rte_cpu_to_le_16(1400);
	refused(&h, HOST_ALL, -EINVAL);

	build(&fr, &udp4);
	h = guest_csum(&udp4);
	h.gso_type = VHU_NET_HDR_GSO_TCPV4; /* on UDP */
	h.gso_size = rte_cpu_to_le_16(1400);
	refused(&h, HOST_ALL, -EINVAL);

	fr.b[12] = 0x88; /* not IP at all */
	fr.b[13] = 0xb5;
	refused(&h, HOST_ALL, -EINVAL);
}

static void
test_class8_gso_without_needs_csum(void **state)
{
	struct vhu_net_hdr h = tso4_request();

	(void)state;
	h.flags = 0;
	refused(&h, HOST_ALL, -EINVAL);
	h.flags = VHU_NET_HDR_F_DATA_VALID;
	refused(&h, HOST_ALL, -EINVAL);
}

static void
test_class8_gso_csum_not_at_l4(void **state)
{
	struct vhu_net_hdr h = tso4_request();

	(void)state;
	h.csum_start = rte_cpu_to_le_16(30);
	refused(&h, HOST_ALL, -EINVAL);
	h = tso4_request();
	h.csum_offset = rte_cpu_to_le_16(6);
	refused(&h, HOST_ALL, -EINVAL);
}

/* The TCP header claims 60 bytes; the packet holds 20 and 10 of payload. */
static void
test_class8_gso_headers_beyond_packet(void **state)
{
	struct spec s = {.proto = PROTO_TCP, .payload = 10, .tcp_doff = 15};
	struct vhu_net_hdr h;

	(void)state;
	build(&fr, &s);
	h = guest_csum(&s);
	h.gso_type = VHU_NET_HDR_GSO_TCPV4;
	h.gso_size = rte_cpu_to_le_16(4);
	refused(&h, HOST_ALL, -EINVAL);
}

static void
test_class8_gso_ip_length_mismatch(void **state)
{
	struct vhu_net_hdr h = tso4_request();

	(void)state;
	fr.b[fr.l3 + 2] = (uint8_t)(fr.b[fr.l3 + 2] + 1); /* 256 bytes more than the frame */
	refused(&h, HOST_ALL, -EINVAL);
	h = tso4_request();
	fr.len -= 1; /* or the frame one byte short of the IP length */
	refused(&h, HOST_ALL, -EINVAL);
}

static void
test_class8_unknown_flags(void **state)
{
	static const uint8_t flags[] = {0x04, 0x08, 0x80, 0x05};
	struct vhu_net_hdr h = tso4_request();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(flags); i++) {
		h.flags = flags[i];
		refused(&h, HOST_ALL, -EINVAL);
	}
}

static void
test_class8_needs_csum_not_negotiated(void **state)
{
	struct vhu_net_hdr h = tso4_request();

	(void)state;
	h.gso_type = 0;
	refused(&h, HOST_ALL & ~FEAT(CSUM), -EINVAL);
}

static void
test_class8_ecn(void **state)
{
	struct vhu_net_hdr h = tso4_request();

	(void)state;
	h.gso_type |= VHU_NET_HDR_GSO_ECN; /* not negotiated */
	refused(&h, HOST_ALL & ~FEAT(HOST_ECN), -EINVAL);
	h.gso_type = VHU_NET_HDR_GSO_ECN; /* without a gso type */
	refused(&h, HOST_ALL, -EINVAL);
	h.gso_type = VHU_NET_HDR_GSO_UDP | VHU_NET_HDR_GSO_ECN; /* on UFO */
	refused(&h, HOST_ALL, -EINVAL);
}

static void
test_class8_ufo_gso_size_below_8(void **state)
{
	struct spec s = {.proto = PROTO_UDP, .payload = 100};
	struct vhu_net_hdr h;

	(void)state;
	build(&fr, &s);
	h = guest_csum(&s);
	h.gso_type = VHU_NET_HDR_GSO_UDP;
	h.gso_size = rte_cpu_to_le_16(7);
	refused(&h, HOST_ALL, -EINVAL);
}

static void
test_ufo_ipv6_not_supported(void **state)
{
	struct spec s = {.v6 = true, .proto = PROTO_UDP, .payload = 3000};
	struct vhu_net_hdr h;

	(void)state;
	build(&fr, &s);
	h = guest_csum(&s);
	h.gso_type = VHU_NET_HDR_GSO_UDP;
	h.gso_size = rte_cpu_to_le_16(1448);
	refused(&h, HOST_ALL, -EOPNOTSUPP);
}

/* Truncated headers never read beyond the packet: every prefix of a TSO frame
 * is refused or handled, under ASan too. */
static void
test_class8_every_truncation(void **state)
{
	struct vhu_net_hdr h = tso4_request();
	size_t full = fr.len, len;

	(void)state;
	for (len = 1; len < 80; len++) {
		struct rte_mbuf *m = load(fr.b, len, 7);

		assert_int_equal(vhu_net_hdr_to_mbuf(&h, m, HOST_ALL, NULL), -EINVAL);
		rte_pktmbuf_free(m);
	}
	fr.len = full;
}

/* ---- guest RX ---- */

/* to_mbuf() of a guest request for the frame in 'fr', as the switch would carry it. */
static struct rte_mbuf *
pending(const struct vhu_net_hdr *h, size_t seg)
{
	struct rte_mbuf *m = load(fr.b, fr.len, seg);

	assert_int_equal(vhu_net_hdr_to_mbuf(h, m, HOST_ALL, NULL), 0);
	return m;
}

static void
test_rx_plain(void **state)
{
	struct spec s = {.proto = PROTO_TCP, .payload = 100};
	struct vhu_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fr, &s);
	m = load(fr.b, fr.len, 0);
	memset(&h, 0xff, sizeof(h));
	assert_int_equal(vhu_net_hdr_from_mbuf(m, GUEST_ALL, &h, NULL), 0);
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.gso_type, 0);
	assert_int_equal(h.num_buffers, 0);
	m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	assert_int_equal(vhu_net_hdr_from_mbuf(m, GUEST_ALL, &h, NULL), 0);
	assert_int_equal(h.flags, VHU_NET_HDR_F_DATA_VALID);
	assert_int_equal(vhu_net_hdr_from_mbuf(m, 0, &h, NULL), 0);
	assert_int_equal(h.flags, 0);
	rte_pktmbuf_free(m);
}

static void
test_rx_csum_to_guest(void **state)
{
	struct spec s = {.proto = PROTO_TCP, .payload = 500};
	struct vhu_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fr, &s);
	h = guest_csum(&s);
	m = pending(&h, 0);
	assert_int_equal(vhu_net_hdr_from_mbuf(m, FEAT(GUEST_CSUM), &h, NULL), 0);
	assert_int_equal(h.flags, VHU_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.gso_type, 0);
	assert_int_equal(rte_le_to_cpu_16(h.csum_start), 34);
	assert_int_equal(rte_le_to_cpu_16(h.csum_offset), 16);
	assert_int_equal(m->ol_flags & TX_BITS, 0);
	rte_pktmbuf_free(m);
}

/* A guest without GUEST_CSUM gets the checksum computed, over any chain. */
static void
test_rx_csum_in_software(void **state)
{
	static const size_t segs[] = {0, 1, 2, 3, 37, 64, 101};
	struct spec specs[] = {
		{.proto = PROTO_TCP, .payload = 777},
		{.v6 = true, .proto = PROTO_UDP, .payload = 301},
		{.vlan = true, .proto = PROTO_UDP, .payload = 0},
		{.v6 = true, .vlan = true, .proto = PROTO_TCP, .payload = 1},
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		for (j = 0; j < sizeof(segs) / sizeof(segs[0]); j++) {
			struct vhu_net_hdr h;
			struct rte_mbuf *m;

			build(&fr, &specs[i]);
			h = guest_csum(&specs[i]);
			m = pending(&h, segs[j]);
			assert_true(m->ol_flags & RTE_MBUF_F_TX_L4_MASK);
			assert_int_equal(vhu_net_hdr_from_mbuf(m, 0, &h, NULL), 0);
			assert_int_equal(h.flags, 0);
			assert_int_equal(m->ol_flags & TX_BITS, 0);
			fetch(m);
			assert_true(l4_ok(&specs[i], fr.len));
			/* only the checksum field changed */
			assert_memory_equal(got.b, fr.b, fr.l4 + l4_field_off(specs[i].proto));
			rte_pktmbuf_free(m);
		}
	}
}

static void
test_rx_ip_cksum_only(void **state)
{
	struct spec s = {.proto = PROTO_UDP, .payload = 20};
	struct vhu_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fr, &s);
	fr.b[fr.l3 + 10] = 0x55; /* wrong */
	m = load(fr.b, fr.len, 0);
	m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	m->l2_len = 14;
	m->l3_len = 20;
	assert_int_equal(vhu_net_hdr_from_mbuf(m, GUEST_ALL, &h, NULL), 0);
	assert_int_equal(h.flags, 0);
	fetch(m);
	assert_true(ip4_ok(fr.l3));
	rte_pktmbuf_free(m);
}

static void
test_rx_tso4_to_guest(void **state)
{
	struct vhu_net_hdr h = tso4_request();
	struct rte_mbuf *m = pending(&h, 0);

	(void)state;
	assert_int_equal(vhu_net_hdr_from_mbuf(m, FEAT(GUEST_CSUM) | FEAT(GUEST_TSO4), &h, NULL),
			 0);
	assert_int_equal(h.flags, VHU_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.gso_type, VHU_NET_HDR_GSO_TCPV4);
	assert_int_equal(rte_le_to_cpu_16(h.gso_size), 1448);
	assert_int_equal(rte_le_to_cpu_16(h.hdr_len), 54);
	assert_int_equal(rte_le_to_cpu_16(h.csum_start), 34);
	assert_int_equal(rte_le_to_cpu_16(h.csum_offset), 16);
	fetch(m);
	assert_true(ip4_ok(fr.l3));
	/* Linux's rule for a gso packet: the pseudo-header over the whole L4 length */
	assert_int_equal(be16_at(got.b + fr.l4 + 16),
			 ref_fold(ref_phdr(fr.b, fr.l3, false, PROTO_TCP, 3020)));
	rte_pktmbuf_free(m);
}

static void
test_rx_tso_needs_gso_without_features(void **state)
{
	static const uint64_t lacking[] = {
		0,
		FEAT(GUEST_CSUM),
		FEAT(GUEST_TSO4), /* TSO without GUEST_CSUM */
		FEAT(GUEST_CSUM) | FEAT(GUEST_TSO6) | FEAT(GUEST_UFO),
	};
	struct vhu_net_hdr h = tso4_request();
	struct rte_mbuf *m = pending(&h, 0);
	uint64_t flags = m->ol_flags;
	size_t i;

	(void)state;
	fetch(m);
	memcpy(fr.b, got.b, got.len);
	for (i = 0; i < sizeof(lacking) / sizeof(lacking[0]); i++) {
		assert_int_equal(vhu_net_hdr_from_mbuf(m, lacking[i], &h, NULL),
				 VHU_NET_HDR_NEEDS_GSO);
		assert_int_equal(m->ol_flags, flags);
		fetch(m);
		assert_memory_equal(got.b, fr.b, fr.len);
	}
	rte_pktmbuf_free(m);
}

static void
test_rx_tso_cwr_needs_guest_ecn(void **state)
{
	struct spec s = {.v6 = true, .proto = PROTO_TCP, .payload = 5000, .tcp_flags = 0x90};
	uint64_t gf = FEAT(GUEST_CSUM) | FEAT(GUEST_TSO6);
	struct vhu_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fr, &s);
	h = guest_csum(&s);
	h.gso_type = VHU_NET_HDR_GSO_TCPV6 | VHU_NET_HDR_GSO_ECN;
	h.gso_size = rte_cpu_to_le_16(1400);
	m = pending(&h, 0);
	assert_int_equal(vhu_net_hdr_from_mbuf(m, gf, &h, NULL), VHU_NET_HDR_NEEDS_GSO);
	assert_int_equal(vhu_net_hdr_from_mbuf(m, gf | FEAT(GUEST_ECN), &h, NULL), 0);
	assert_int_equal(h.gso_type, VHU_NET_HDR_GSO_TCPV6 | VHU_NET_HDR_GSO_ECN);
	assert_int_equal(rte_le_to_cpu_16(h.csum_start), 54);
	rte_pktmbuf_free(m);
}

static void
test_rx_ufo_to_guest(void **state)
{
	struct spec s = {.proto = PROTO_UDP, .payload = 4000};
	struct vhu_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fr, &s);
	h = guest_csum(&s);
	h.gso_type = VHU_NET_HDR_GSO_UDP;
	h.gso_size = rte_cpu_to_le_16(1480);
	m = pending(&h, 100);
	assert_int_equal(vhu_net_hdr_from_mbuf(m, FEAT(GUEST_CSUM) | FEAT(GUEST_TSO4), &h, NULL),
			 VHU_NET_HDR_NEEDS_GSO);
	assert_int_equal(vhu_net_hdr_from_mbuf(m, FEAT(GUEST_CSUM) | FEAT(GUEST_UFO), &h, NULL), 0);
	assert_int_equal(h.gso_type, VHU_NET_HDR_GSO_UDP);
	assert_int_equal(rte_le_to_cpu_16(h.gso_size), 1480);
	assert_int_equal(rte_le_to_cpu_16(h.hdr_len), 42);
	fetch(m);
	assert_true(ip4_ok(fr.l3));
	rte_pktmbuf_free(m);
}

/* Metadata that does not match the data is refused, not trusted. */
static void
test_rx_inconsistent_metadata(void **state)
{
	struct spec tagged = {.vlan = true, .proto = PROTO_TCP, .payload = 50};
	struct spec s = {.proto = PROTO_TCP, .payload = 50};
	struct vhu_net_hdr h;
	struct iovs_err err = {{0}};
	struct rte_mbuf *m;

	(void)state;
	/* a VLAN tag pushed without adjusting l2_len */
	build(&fr, &tagged);
	m = load(fr.b, fr.len, 0);
	m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
	m->l2_len = 14;
	m->l3_len = 20;
	assert_int_equal(vhu_net_hdr_from_mbuf(m, 0, &h, &err), -EINVAL);
	assert_true(err.msg[0] != '\0');
	/* IPv6 flag on IPv4 */
	m->ol_flags ^= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6;
	m->l2_len = 18;
	assert_int_equal(vhu_net_hdr_from_mbuf(m, 0, &h, NULL), -EINVAL);
	/* UDP flag on TCP */
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
	assert_int_equal(vhu_net_hdr_from_mbuf(m, 0, &h, NULL), -EINVAL);
	/* both IP flags, or headers beyond the packet */
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_CKSUM;
	assert_int_equal(vhu_net_hdr_from_mbuf(m, 0, &h, NULL), -EINVAL);
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
	m->l3_len = 511;
	assert_int_equal(vhu_net_hdr_from_mbuf(m, 0, &h, NULL), -EINVAL);
	rte_pktmbuf_free(m);

	/* TSO without a segment size */
	build(&fr, &s);
	m = load(fr.b, fr.len, 0);
	m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_TCP_SEG;
	m->l2_len = 14;
	m->l3_len = 20;
	m->l4_len = 20;
	m->tso_segsz = 0;
	assert_int_equal(vhu_net_hdr_from_mbuf(m, GUEST_ALL, &h, NULL), -EINVAL);
	assert_int_equal(h.flags, 0);
	rte_pktmbuf_free(m);
}

/* Writing a checksum into data someone else also references is refused. */
static void
test_rx_shared_segment_refused(void **state)
{
	struct spec s = {.proto = PROTO_TCP, .payload = 50};
	struct vhu_net_hdr h;
	struct rte_mbuf *m;

	(void)state;
	build(&fr, &s);
	h = guest_csum(&s);
	m = pending(&h, 0);
	rte_mbuf_refcnt_update(m, 1);
	assert_int_equal(vhu_net_hdr_from_mbuf(m, 0, &h, NULL), -EROFS);
	rte_mbuf_refcnt_update(m, -1);
	rte_pktmbuf_free(m);
}

/* Model test: random frames, segmentations and requests; the guest always
 * receives a correct checksum (GUEST_CSUM off) whatever the TX path chose. */
static void
test_roundtrip_against_reference(void **state)
{
	uint32_t x = 12345;
	int i;

	(void)state;
	for (i = 0; i < 60; i++) {
		struct spec s;
		struct vhu_net_hdr h;
		struct rte_mbuf *m;

		x = x * 1103515245u + 12345u;
		s.v6 = (x >> 8) & 1;
		s.vlan = (x >> 9) & 1;
		s.proto = ((x >> 10) & 1) ? PROTO_TCP : PROTO_UDP;
		s.payload = (x >> 11) % 3000;
		s.tcp_flags = 0;
		s.tcp_doff = 0;
		build(&fr, &s);
		h = guest_csum(&s);
		m = pending(&h, (x >> 24) % 200);
		assert_int_equal(vhu_net_hdr_from_mbuf(m, 0, &h, NULL), 0);
		fetch(m);
		assert_true(l4_ok(&s, fr.len));
		rte_pktmbuf_free(m);
	}
}

static void
test_hdr_size(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct vhu_net_hdr), 12);
	assert_int_equal(vhu_net_hdr_size(0), 10);
	assert_int_equal(vhu_net_hdr_size(HOST_ALL), 10);
	assert_int_equal(vhu_net_hdr_size(FEAT(MRG_RXBUF)), 12);
	assert_int_equal(vhu_net_hdr_size(FEAT(VERSION_1)), 12);
}

static int
check_no_leak(void **state)
{
	(void)state;
	assert_int_equal(rte_mempool_in_use_count(mp), 0); /* no cache: exact */
	return 0;
}

int
main(void)
{
	char *argv[] = {"vhu_net_hdr_test",
			"-l",
			"0",
			"--no-huge",
			"--no-pci",
			"--no-shconf",
			"-m",
			"128",
			"--file-prefix",
			"vhu_net_hdr_test",
			"--log-level",
			"error",
			"--no-telemetry",
			NULL};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_no_offload, check_no_leak),
		cmocka_unit_test_teardown(test_data_valid, check_no_leak),
		cmocka_unit_test_teardown(test_csum_tcp4_lazy, check_no_leak),
		cmocka_unit_test_teardown(test_csum_udp6_lazy_multiseg, check_no_leak),
		cmocka_unit_test_teardown(test_csum_generic_multiseg, check_no_leak),
		cmocka_unit_test_teardown(test_csum_padded_frame_in_software, check_no_leak),
		cmocka_unit_test_teardown(test_csum_field_at_end_accepted, check_no_leak),
		cmocka_unit_test_teardown(test_gso_tcp4, check_no_leak),
		cmocka_unit_test_teardown(test_gso_tcp6_vlan, check_no_leak),
		cmocka_unit_test_teardown(test_gso_ufo4, check_no_leak),
		cmocka_unit_test_teardown(test_gso_fits_one_segment, check_no_leak),
		cmocka_unit_test_teardown(test_gso_ecn_negotiated, check_no_leak),
		cmocka_unit_test_teardown(test_tso4_request_is_valid, check_no_leak),
		cmocka_unit_test_teardown(test_class8_csum_start_beyond_packet, check_no_leak),
		cmocka_unit_test_teardown(test_class8_csum_offset_beyond_packet, check_no_leak),
		cmocka_unit_test_teardown(test_class8_csum_start_plus_offset_wraps, check_no_leak),
		cmocka_unit_test_teardown(test_class8_hdr_len_beyond_packet, check_no_leak),
		cmocka_unit_test_teardown(test_class8_gso_size_zero, check_no_leak),
		cmocka_unit_test_teardown(test_class8_gso_type_unknown, check_no_leak),
		cmocka_unit_test_teardown(test_class8_gso_type_not_negotiated, check_no_leak),
		cmocka_unit_test_teardown(test_class8_gso_type_mismatch, check_no_leak),
		cmocka_unit_test_teardown(test_class8_gso_without_needs_csum, check_no_leak),
		cmocka_unit_test_teardown(test_class8_gso_csum_not_at_l4, check_no_leak),
		cmocka_unit_test_teardown(test_class8_gso_headers_beyond_packet, check_no_leak),
		cmocka_unit_test_teardown(test_class8_gso_ip_length_mismatch, check_no_leak),
		cmocka_unit_test_teardown(test_class8_unknown_flags, check_no_leak),
		cmocka_unit_test_teardown(test_class8_needs_csum_not_negotiated, check_no_leak),
		cmocka_unit_test_teardown(test_class8_ecn, check_no_leak),
		cmocka_unit_test_teardown(test_class8_ufo_gso_size_below_8, check_no_leak),
		cmocka_unit_test_teardown(test_ufo_ipv6_not_supported, check_no_leak),
		cmocka_unit_test_teardown(test_class8_every_truncation, check_no_leak),
		cmocka_unit_test_teardown(test_rx_plain, check_no_leak),
		cmocka_unit_test_teardown(test_rx_csum_to_guest, check_no_leak),
		cmocka_unit_test_teardown(test_rx_csum_in_software, check_no_leak),
		cmocka_unit_test_teardown(test_rx_ip_cksum_only, check_no_leak),
		cmocka_unit_test_teardown(test_rx_tso4_to_guest, check_no_leak),
		cmocka_unit_test_teardown(test_rx_tso_needs_gso_without_features, check_no_leak),
		cmocka_unit_test_teardown(test_rx_tso_cwr_needs_guest_ecn, check_no_leak),
		cmocka_unit_test_teardown(test_rx_ufo_to_guest, check_no_leak),
		cmocka_unit_test_teardown(test_rx_inconsistent_metadata, check_no_leak),
		cmocka_unit_test_teardown(test_rx_shared_segment_refused, check_no_leak),
		cmocka_unit_test_teardown(test_roundtrip_against_reference, check_no_leak),
		cmocka_unit_test(test_hdr_size),
	};
	int rc;

	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "SKIP: the DPDK EAL cannot start here (%s)\n",
			rte_strerror(rte_errno));
		return 77;
	}
	mp = rte_pktmbuf_pool_create("vhu_net_hdr_test", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	if (mp == NULL) {
		fprintf(stderr, "SKIP: no mbuf pool (%s)\n", rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 77;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return rc;
}
