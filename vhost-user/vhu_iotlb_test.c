/* VIRTIO_F_ACCESS_PLATFORM: the device IOTLB of a vhost-user device against a
 * front-end that plays QEMU with a vIOMMU (vhu_fe_test.h over a real socket,
 * plus the back-end channel of SET_BACKEND_REQ_FD), and the data path
 * (vhu_dev_dequeue()/vhu_dev_enqueue() on DPDK mbufs) over IOVAs:
 *  - IOTLB_MSG: updates (inside one memory region only), invalidations that
 *    split entries, types only the back-end sends refused, the entry count
 *    bounded (evictions past VHU_IOTLB_MAX_ENTRIES);
 *  - ring areas that miss when the ring starts: a MISS per area, the ring
 *    starts once the updates arrived;
 *  - a tx and an rx burst whose buffers miss: one MISS on the back-end
 *    channel (not one per poll), nothing consumed, nothing dropped; after the
 *    update the same descriptors go through (rx: from the hold, retried by
 *    the poll of the pair's tx ring);
 *  - a buffer across two IOTLB entries whose front-end addresses are not
 *    adjacent; an rx buffer the IOTLB maps read-only (and a tx buffer mapped
 *    write-only): given back unused, counted, ACCESS_FAIL sent;
 *  - indirect tables (VIRTIO_RING_F_INDIRECT_DESC, split and packed): the
 *    table's IOVA is read through the IOTLB like a buffer's; a miss on the
 *    table (or on the second page of it) or on a buffer it lists, a table
 *    mapped write-only, a table over two entries whose front-end addresses
 *    are not adjacent (the ring breaks); guest rx into write-only buffers.
 * IOVAs here: ring areas at their front-end address (identity), buffers at
 * their guest-physical address (mapped to the front-end address). */
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
#include "vhu_vq_priv.h"

#define MEM_SIZE  (UINT64_C(4) << 20)
#define GPA	  UINT64_C(0x100000000)
#define BUF_OFF	  VHU_FE_RINGS_SIZE /* guest buffers live above the rings */
#define NUM	  256u
#define POOL_SIZE 511u
#define PAGE	  4096u
#define PKT_LEN	  200u
#define HDR_LEN	  12u

#define F_BASE                                                                                     \
	(VHU_BIT(VHU_F_VERSION_1) | VHU_BIT(VHU_F_PROTOCOL_FEATURES) |                             \
	 VHU_BIT(VHU_F_ACCESS_PLATFORM))
#define F_PACKED VHU_BIT(VHU_F_RING_PACKED)
#define PF	 (VHU_BIT(VHU_PROTOCOL_F_REPLY_ACK) | VHU_BIT(VHU_PROTOCOL_F_BACKEND_REQ))

static struct rte_mempool *mp;

struct fx {
	struct vhu_fe_dev h; /* the device and the front-end */
	struct vhu_fe_ring rx, tx;
	int backend; /* our end of the back-end channel */
};

static void
fe_fail(const char *msg)
{
	fail_msg("%s", msg);
}

static struct vhu_dev_info
info(struct fx *f)
{
	return vhu_fe_dev_info(&f->h);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	vhu_fe_dev_open(&f->h, "vhu_iotlb_test", MEM_SIZE, GPA);
	f->backend = -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	if (f->backend >= 0)
		close(f->backend);
	vhu_fe_dev_close(&f->h);
	free(f);
	assert_int_equal(rte_mempool_in_use_count(mp), 0);
	return 0;
}

static uint64_t
uva_of_gpa(struct fx *f, uint64_t gpa)
{
	return vhu_fe_uva(f->h.fe.mem + (gpa - GPA));
}

/* The front-end's answer to a miss, as QEMU gives it: the 4 KiB page. Ring
 * areas are at their front-end address, buffers at their guest address. */
static void
answer(struct fx *f, uint64_t iova, uint8_t perm)
{
	uint64_t page = iova & ~(uint64_t)(PAGE - 1);
	uint64_t lo = vhu_fe_uva(f->h.fe.mem);

	if (page >= lo && page < lo + MEM_SIZE)
		vhu_fe_iotlb_update(&f->h.fe, page, PAGE, page, perm);
	else
		vhu_fe_iotlb_update(&f->h.fe, page, PAGE, uva_of_gpa(f, page), perm);
}

/* Answers every miss waiting on the back-end channel; returns how many. */
static unsigned
answer_misses(struct fx *f)
{
	struct vhu_wire_iotlb m;
	unsigned n = 0;

	while (vhu_fe_backend_iotlb(f->backend, &m)) {
		assert_int_equal(m.type, VHU_IOTLB_MISS);
		answer(f, m.iova, VHU_IOTLB_PERM_RW);
		n++;
	}
	return n;
}

/* Negotiation with ACCESS_PLATFORM, the memory table, the back-end channel. */
static void
negotiate(struct fx *f, uint64_t features)
{
	vhu_fe_negotiate(&f->h.fe, F_BASE | features, PF);
	vhu_fe_set_mem(&f->h.fe);
	f->backend = vhu_fe_backend_channel(&f->h.fe);
}

/* Rings 0 and 1 set up and enabled (their areas maybe not mapped yet). */
static void
rings(struct fx *f, uint64_t features)
{
	uint32_t base = (features & F_PACKED) ? 0x8000u : 0u;

	vhu_fe_setup_ring(&f->h.fe, 0, NUM, base, f->h.fe.mem);
	vhu_fe_setup_ring(&f->h.fe, 1, NUM, base, f->h.fe.mem);
	vhu_fe_enable_ring(&f->h.fe, 0, true);
	vhu_fe_enable_ring(&f->h.fe, 1, true);
	vhu_fe_ring_init(&f->rx, &f->h.fe, 0, NUM);
	vhu_fe_ring_init(&f->tx, &f->h.fe, 1, NUM);
}

/* Negotiated, ring areas mapped up front (identity), both rings running;
 * buffers unmapped. */
static void
start(struct fx *f, uint64_t features)
{
	uint64_t lo = vhu_fe_uva(f->h.fe.mem);

	negotiate(f, features);
	vhu_fe_iotlb_update(&f->h.fe, lo, VHU_FE_RINGS_SIZE, lo, VHU_IOTLB_PERM_RW);
	rings(f, features);
	assert_true(info(f).link_up);
	assert_true(info(f).iotlb.enabled);
}

static void
fill(uint8_t *p, unsigned len, uint8_t seed)
{
	unsigned i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

static uint64_t
total_drops(struct fx *f)
{
	struct vhu_dev_info in = info(f);
	uint64_t n = 0;
	unsigned d;

	for (d = 0; d < VHU_DROP__MAX; d++)
		n += in.q[0].drops[d];
	return n;
}

/* --- IOTLB_MSG. --- */

static void
test_iotlb_update_invalidate_refusals(void **state)
{
	struct fx *f = *state;
	uint64_t uva = vhu_fe_uva(f->h.fe.mem);
	struct vhu_dev_info in;

	negotiate(f, 0);
	/* An update inside the region; one replacing part of it. */
	vhu_fe_iotlb_update(&f->h.fe, 0x10000, 4 * PAGE, uva, VHU_IOTLB_PERM_RW);
	vhu_fe_iotlb_update(&f->h.fe, 0x11000, PAGE, uva + 8 * PAGE, VHU_IOTLB_PERM_RO);
	in = info(f);
	assert_int_equal(in.iotlb.entries, 3);
	assert_int_equal(in.iotlb.updates, 2);
	/* Outside every region, and straddling the region's end: refused. */
	vhu_fe_send_iotlb(&f->h.fe, VHU_IOTLB_UPDATE, 0x20000, PAGE, uva + MEM_SIZE,
			  VHU_IOTLB_PERM_RW);
	vhu_fe_expect_nack(&f->h.fe, VHU_REQ_IOTLB_MSG);
	vhu_fe_send_iotlb(&f->h.fe, VHU_IOTLB_UPDATE, 0x20000, 2 * PAGE, uva + MEM_SIZE - PAGE,
			  VHU_IOTLB_PERM_RW);
	vhu_fe_expect_nack(&f->h.fe, VHU_REQ_IOTLB_MSG);
	assert_int_equal(info(f).iotlb.refused, 2);
	/* MISS and ACCESS_FAIL travel the other way only. */
	vhu_fe_send_iotlb(&f->h.fe, VHU_IOTLB_MISS, 0x20000, PAGE, uva, VHU_IOTLB_PERM_RW);
	vhu_fe_expect_nack(&f->h.fe, VHU_REQ_IOTLB_MSG);
	vhu_fe_send_iotlb(&f->h.fe, VHU_IOTLB_ACCESS_FAIL, 0x20000, PAGE, uva, VHU_IOTLB_PERM_RW);
	vhu_fe_expect_nack(&f->h.fe, VHU_REQ_IOTLB_MSG);
	/* An invalidation inside an entry splits it: 0x10000 and 0x12000-0x13fff
	 * lose 0x12800-0x12fff. */
	vhu_fe_send_iotlb(&f->h.fe, VHU_IOTLB_INVALIDATE, 0x12800, 0x800, 0, 0);
	assert_int_equal(vhu_fe_expect_reply_u64(&f->h.fe, VHU_REQ_IOTLB_MSG), 0);
	in = info(f);
	assert_int_equal(in.iotlb.entries, 4);
	assert_int_equal(in.iotlb.invalidations, 1);
	assert_int_equal(in.iotlb.entries, 4);
	{
		uint64_t len = 0x1000, t;

		assert_int_equal(
			iommu_as_translate(f->h.dev->iotlb, 0x12800, &len, IOMMU_PERM_READ, &t),
			-ENOENT);
		len = 0x10;
		assert_int_equal(
			iommu_as_translate(f->h.dev->iotlb, 0x13000, &len, IOMMU_PERM_WRITE, &t),
			0);
		assert_int_equal(t, uva + 3 * PAGE);
		assert_int_equal(
			iommu_as_translate(f->h.dev->iotlb, 0x11000, &len, IOMMU_PERM_WRITE, &t),
			-EACCES);
	}
	/* Everything goes. */
	vhu_fe_send_iotlb(&f->h.fe, VHU_IOTLB_INVALIDATE, 0, UINT64_MAX, 0, 0);
	assert_int_equal(vhu_fe_expect_reply_u64(&f->h.fe, VHU_REQ_IOTLB_MSG), 0);
	assert_int_equal(info(f).iotlb.entries, 0);
}

/* A front-end cannot grow the IOTLB without bound: past the limit an entry
 * goes per update (it is a cache: a miss brings it back). */
static void
test_iotlb_entries_bounded(void **state)
{
	struct fx *f = *state;
	uint64_t uva = vhu_fe_uva(f->h.fe.mem), i, n = VHU_IOTLB_MAX_ENTRIES + 100;
	struct vhu_dev_info in;

	negotiate(f, 0);
	for (i = 0; i < n; i++) /* 1-byte entries, two pages apart: never adjacent */
		vhu_fe_iotlb_update(&f->h.fe, i * 2 * PAGE, 1, uva, VHU_IOTLB_PERM_RO);
	in = info(f);
	assert_int_equal(in.iotlb.entries, VHU_IOTLB_MAX_ENTRIES);
	assert_int_equal(in.iotlb.evictions, 100);
	assert_int_equal(in.iotlb.updates, n);
	assert_int_equal(in.iotlb.refused, 0);
}

/* --- Ring areas. --- */

static void
ring_areas_miss_at_start(struct fx *f, uint64_t features)
{
	struct vhu_dev_info in;
	unsigned rounds = 0, asked = 0, n;

	negotiate(f, features);
	rings(f, features);
	in = info(f);
	assert_false(in.link_up);
	assert_int_equal(in.iotlb.ring_waits, 2);
	/* Each update starts the ring or brings the next miss (3 areas each). */
	while ((n = answer_misses(f)) > 0 && rounds++ < 10)
		asked += n;
	in = info(f);
	assert_true(in.link_up);
	assert_int_equal(in.iotlb.misses, asked);
	assert_true(asked >= 2);
	assert_string_equal(in.state, "running");
}

static void
test_iotlb_ring_areas_miss_at_start_split(void **state)
{
	ring_areas_miss_at_start(*state, 0);
}

static void
test_iotlb_ring_areas_miss_at_start_packed(void **state)
{
	ring_areas_miss_at_start(*state, F_PACKED);
}

/* --- Guest tx. --- */

static void
tx_miss_then_update(struct fx *f, uint64_t features)
{
	uint64_t gpa = GPA + BUF_OFF + 3 * PAGE;
	struct rte_mbuf *m[4];
	struct vhu_wire_iotlb msg;
	uint16_t id, got_id;
	uint32_t len;
	int i;

	start(f, features);
	memset(f->h.fe.mem + (gpa - GPA), 0, HDR_LEN);
	fill(f->h.fe.mem + (gpa - GPA) + HDR_LEN, PKT_LEN, 1);
	id = vhu_fe_ring_post(&f->tx, &(struct vhu_fe_buf){gpa, HDR_LEN + PKT_LEN, false}, 1);
	/* Polled many times: one MISS, nothing consumed, nothing dropped. */
	for (i = 0; i < 100; i++)
		assert_int_equal(vhu_dev_dequeue(f->h.dev, 0, mp, m, 4), 0);
	assert_true(vhu_fe_backend_iotlb(f->backend, &msg));
	assert_int_equal(msg.type, VHU_IOTLB_MISS);
	assert_int_equal(msg.iova, gpa);
	assert_int_equal(msg.perm, VHU_IOTLB_PERM_RO);
	assert_false(vhu_fe_backend_iotlb(f->backend, &msg));
	assert_false(vhu_fe_ring_used(&f->tx, &got_id, &len));
	assert_int_equal(total_drops(f), 0);
	assert_int_equal(info(f).iotlb.misses, 1);
	assert_true(info(f).iotlb.waits >= 100);
	/* The update: the same descriptor goes through. */
	answer(f, gpa, VHU_IOTLB_PERM_RO);
	assert_int_equal(vhu_dev_dequeue(f->h.dev, 0, mp, m, 4), 1);
	assert_int_equal(m[0]->pkt_len, PKT_LEN);
	assert_memory_equal(rte_pktmbuf_mtod(m[0], uint8_t *), f->h.fe.mem + (gpa - GPA) + HDR_LEN,
			    PKT_LEN);
	rte_pktmbuf_free(m[0]);
	assert_true(vhu_fe_ring_used(&f->tx, &got_id, &len));
	assert_int_equal(got_id, id);
	assert_int_equal(total_drops(f), 0);
	assert_int_equal(info(f).q[0].rx_packets, 1);
}

static void
test_iotlb_tx_miss_then_update_split(void **state)
{
	tx_miss_then_update(*state, 0);
}

static void
test_iotlb_tx_miss_then_update_packed(void **state)
{
	tx_miss_then_update(*state, F_PACKED);
}

/* A buffer over two IOTLB entries whose front-end addresses are 5 pages
 * apart: the packet is read in two pieces. */
static void
test_iotlb_tx_buffer_spans_two_entries(void **state)
{
	struct fx *f = *state;
	uint64_t iova = GPA + BUF_OFF + 16 * PAGE, first = PAGE - 100;
	uint64_t off_a = BUF_OFF + 32 * PAGE, off_b = BUF_OFF + 37 * PAGE;
	uint8_t want[PKT_LEN + 1000];
	struct rte_mbuf *m[1];
	uint16_t id;
	uint32_t len;

	start(f, 0);
	/* IOVA page 16 → memory page 32, IOVA page 17 → memory page 37. */
	vhu_fe_iotlb_update(&f->h.fe, iova, PAGE, vhu_fe_uva(f->h.fe.mem + off_a),
			    VHU_IOTLB_PERM_RO);
	vhu_fe_iotlb_update(&f->h.fe, iova + PAGE, PAGE, vhu_fe_uva(f->h.fe.mem + off_b),
			    VHU_IOTLB_PERM_RO);
	fill(want, sizeof(want), 7);
	memset(want, 0, HDR_LEN);
	memcpy(f->h.fe.mem + off_a + first, want, PAGE - first);
	memcpy(f->h.fe.mem + off_b, want + (PAGE - first), sizeof(want) - (PAGE - first));
	vhu_fe_ring_post(&f->tx, &(struct vhu_fe_buf){iova + first, sizeof(want), false}, 1);
	assert_int_equal(vhu_dev_dequeue(f->h.dev, 0, mp, m, 1), 1);
	assert_int_equal(m[0]->pkt_len, sizeof(want) - HDR_LEN);
	{
		uint8_t got[sizeof(want)];
		const void *p = rte_pktmbuf_read(m[0], 0, m[0]->pkt_len, got);

		assert_memory_equal(p, want + HDR_LEN, sizeof(want) - HDR_LEN);
	}
	rte_pktmbuf_free(m[0]);
	assert_true(vhu_fe_ring_used(&f->tx, &id, &len));
	assert_int_equal(total_drops(f), 0);
	assert_int_equal(info(f).iotlb.misses, 0);
}

/* A tx buffer the IOTLB maps write-only: given back unused, counted,
 * ACCESS_FAIL sent; the ring goes on. */
static void
test_iotlb_tx_permission_refused(void **state)
{
	struct fx *f = *state;
	uint64_t gpa = GPA + BUF_OFF;
	struct vhu_wire_iotlb msg;
	struct rte_mbuf *m[1];
	uint16_t id;
	uint32_t len;

	start(f, 0);
	answer(f, gpa, VHU_IOTLB_PERM_WO);
	vhu_fe_ring_post(&f->tx, &(struct vhu_fe_buf){gpa, HDR_LEN + PKT_LEN, false}, 1);
	assert_int_equal(vhu_dev_dequeue(f->h.dev, 0, mp, m, 1), 0);
	assert_true(vhu_fe_ring_used(&f->tx, &id, &len));
	assert_int_equal(len, 0);
	assert_int_equal(info(f).q[0].drops[VHU_DROP_IOTLB_ACCESS], 1);
	assert_int_equal(info(f).iotlb.access_failures, 1);
	assert_true(vhu_fe_backend_iotlb(f->backend, &msg));
	assert_int_equal(msg.type, VHU_IOTLB_ACCESS_FAIL);
	assert_int_equal(msg.iova, gpa);
}

/* --- Guest rx. --- */

static struct rte_mbuf *
pkt(uint8_t seed)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	assert_non_null(m);
	fill((uint8_t *)rte_pktmbuf_append(m, PKT_LEN), PKT_LEN, seed);
	return m;
}

static void
rx_miss_held_then_update(struct fx *f, uint64_t features)
{
	uint64_t gpa[2] = {GPA + BUF_OFF + 8 * PAGE, GPA + BUF_OFF + 9 * PAGE};
	struct rte_mbuf *m[3];
	struct vhu_wire_iotlb msg;
	struct vhu_dev_info in;
	uint16_t id[2], got;
	uint32_t len;
	unsigned i;

	start(f, features);
	for (i = 0; i < 2; i++)
		id[i] = vhu_fe_ring_post(&f->rx, &(struct vhu_fe_buf){gpa[i], 2048, true}, 1);
	/* The second buffer is mapped, the first is not: both packets wait, in
	 * order, and so does a third that comes later. */
	answer(f, gpa[1], VHU_IOTLB_PERM_WO);
	m[0] = pkt(1);
	m[1] = pkt(2);
	assert_int_equal(vhu_dev_enqueue(f->h.dev, 0, m, 2), 2);
	m[2] = pkt(3);
	assert_int_equal(vhu_dev_enqueue(f->h.dev, 0, &m[2], 1), 1);
	assert_true(vhu_fe_backend_iotlb(f->backend, &msg));
	assert_int_equal(msg.type, VHU_IOTLB_MISS);
	assert_int_equal(msg.iova, gpa[0]);
	assert_int_equal(msg.perm, VHU_IOTLB_PERM_WO);
	assert_false(vhu_fe_backend_iotlb(f->backend, &msg)); /* asked once */
	assert_false(vhu_fe_ring_used(&f->rx, &got, &len));
	in = info(f);
	assert_int_equal(in.iotlb.held_now, 3);
	assert_int_equal(in.iotlb.held, 3);
	assert_int_equal(total_drops(f), 0);
	assert_int_equal(in.q[0].tx_packets, 0);
	/* The update; the poll of the guest's tx ring sends the held packets
	 * into the two buffers (the third waits for one: no buffers). */
	answer(f, gpa[0], VHU_IOTLB_PERM_WO);
	assert_int_equal(vhu_dev_dequeue(f->h.dev, 0, mp, m, 1), 0);
	for (i = 0; i < 2; i++) {
		uint8_t want[PKT_LEN];

		assert_true(vhu_fe_ring_used(&f->rx, &got, &len));
		assert_int_equal(got, id[i]);
		assert_int_equal(len, HDR_LEN + PKT_LEN);
		fill(want, PKT_LEN, (uint8_t)(i + 1));
		assert_memory_equal(f->h.fe.mem + (gpa[i] - GPA) + HDR_LEN, want, PKT_LEN);
	}
	in = info(f);
	assert_int_equal(in.q[0].tx_packets, 2);
	assert_int_equal(in.iotlb.held_now, 0);
	/* The third found no buffer: dropped as any packet then is. */
	assert_int_equal(in.q[0].drops[VHU_DROP_NO_BUFFERS], 1);
	assert_int_equal(total_drops(f), 1);
}

static void
test_iotlb_rx_miss_held_then_update_split(void **state)
{
	rx_miss_held_then_update(*state, 0);
}

static void
test_iotlb_rx_miss_held_then_update_packed(void **state)
{
	rx_miss_held_then_update(*state, F_PACKED);
}

/* An rx buffer the IOTLB maps read-only: the device may not write it. Given
 * back empty, the packet dropped and counted, ACCESS_FAIL sent. */
static void
test_iotlb_rx_permission_refused(void **state)
{
	struct fx *f = *state;
	uint64_t gpa = GPA + BUF_OFF;
	struct vhu_wire_iotlb msg;
	struct rte_mbuf *m[1];
	uint16_t id;
	uint32_t len;

	start(f, 0);
	answer(f, gpa, VHU_IOTLB_PERM_RO);
	vhu_fe_ring_post(&f->rx, &(struct vhu_fe_buf){gpa, 2048, true}, 1);
	m[0] = pkt(9);
	assert_int_equal(vhu_dev_enqueue(f->h.dev, 0, m, 1), 1);
	assert_true(vhu_fe_ring_used(&f->rx, &id, &len));
	assert_int_equal(len, 0);
	assert_int_equal(info(f).q[0].drops[VHU_DROP_IOTLB_ACCESS], 1);
	assert_int_equal(info(f).iotlb.access_failures, 1);
	assert_true(vhu_fe_backend_iotlb(f->backend, &msg));
	assert_int_equal(msg.type, VHU_IOTLB_ACCESS_FAIL);
	assert_int_equal(msg.perm, VHU_IOTLB_PERM_WO);
}

/* The hold is bounded: past VHU_IOTLB_HOLD packets the rest are dropped
 * (counted) and handed back to the caller. */
static void
test_iotlb_rx_hold_bounded(void **state)
{
	struct fx *f = *state;
	struct rte_mbuf *m[VHU_IOTLB_HOLD + 8];
	unsigned i, n = VHU_IOTLB_HOLD + 8;
	uint16_t taken;

	start(f, 0);
	vhu_fe_ring_post(&f->rx, &(struct vhu_fe_buf){GPA + BUF_OFF, 2048, true}, 1);
	for (i = 0; i < n; i++)
		m[i] = pkt((uint8_t)i);
	taken = vhu_dev_enqueue(f->h.dev, 0, m, (uint16_t)n);
	assert_int_equal(taken, VHU_IOTLB_HOLD);
	for (i = taken; i < n; i++)
		rte_pktmbuf_free(m[i]);
	assert_int_equal(info(f).q[0].drops[VHU_DROP_IOTLB_HOLD_FULL], n - VHU_IOTLB_HOLD);
	assert_int_equal(info(f).iotlb.held_now, VHU_IOTLB_HOLD);
	/* Held mbufs are freed when the ring stops (teardown checks the pool). */
}

/* --- Indirect descriptor tables (VIRTIO_RING_F_INDIRECT_DESC). --- */

/* The table's IOVA goes through the IOTLB like any buffer's and needs READ
 * (the device reads it, whichever way its buffers go); so do the IOVAs it
 * lists. A miss on either leaves the chain in the ring, a refusal gives it
 * back unused; the table must be contiguous in our address space. */

#define F_IND VHU_BIT(VHU_RING_F_INDIRECT_DESC)

static uint8_t *
host(struct fx *f, uint64_t gpa)
{
	return f->h.fe.mem + (gpa - GPA);
}

/* Writes the table listing 'b[0..n)' at 't', in the layout of the ring:
 * split entries chained by NEXT, packed entries in order (§2.8.7). */
static void
table_write(uint8_t *t, bool packed, const struct vhu_fe_buf *b, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		uint16_t wr = b[i].write ? VHU_DESC_F_WRITE : 0;

		if (packed) {
			struct vhu_packed_desc d = {
				.addr = b[i].gpa, .len = b[i].len, .id = 0, .flags = wr};

			memcpy(t + (size_t)i * sizeof(d), &d, sizeof(d));
		} else {
			struct vhu_split_desc d = {
				.addr = b[i].gpa,
				.len = b[i].len,
				.flags = (uint16_t)(wr | (i + 1 < n ? VHU_DESC_F_NEXT : 0)),
				.next = (uint16_t)(i + 1)};

			memcpy(t + (size_t)i * sizeof(d), &d, sizeof(d));
		}
	}
}

/* Makes available one descriptor pointing at the table of 'n' entries at
 * 'table' (an IOVA), with INDIRECT, and WRITE if 'write': "The device MUST
 * ignore the write-only flag (flags&VIRTQ_DESC_F_WRITE) in the descriptor
 * that refers to an indirect table" (virtio 1.2 §2.7.5.3.2; Linux's balloon
 * driver sets it). INDIRECT is added after vhu_fe_ring_post() published the
 * descriptor: the device looks only when the test calls it. Returns the id. */
static uint16_t
post_indirect(struct vhu_fe_ring *r, uint64_t table, unsigned n, bool write)
{
	uint16_t id = vhu_fe_ring_post(
		r, &(struct vhu_fe_buf){table, (uint32_t)(n * VHU_DESC_SIZE), write}, 1);

	if (r->packed) /* one descriptor: its slot is its id */
		((struct vhu_packed_desc *)r->base)[id].flags |= VHU_DESC_F_INDIRECT;
	else
		vhu_fe_split_desc(r, id)->flags |= VHU_DESC_F_INDIRECT;
	return id;
}

/* A guest tx packet behind an indirect table: the header alone in one
 * buffer, the frame in two more; table and buffers on four pages from 'at'
 * (page-aligned), none of them mapped yet. */
struct ind_tx {
	uint64_t table; /* IOVA = guest address */
	struct vhu_fe_buf b[3];
	uint8_t want[PKT_LEN];
};

static void
ind_tx_prepare(struct fx *f, struct ind_tx *p, uint64_t at, uint8_t seed)
{
	p->table = at + 0x100;
	p->b[0] = (struct vhu_fe_buf){at + PAGE, HDR_LEN, false};
	p->b[1] = (struct vhu_fe_buf){at + 2 * PAGE + 0x80, 100, false};
	p->b[2] = (struct vhu_fe_buf){at + 3 * PAGE, PKT_LEN - 100, false};
	fill(p->want, PKT_LEN, seed);
	memset(host(f, p->b[0].gpa), 0, HDR_LEN);
	memcpy(host(f, p->b[1].gpa), p->want, 100);
	memcpy(host(f, p->b[2].gpa), p->want + 100, PKT_LEN - 100);
	table_write(host(f, p->table), f->h.fe.packed, p->b, 3);
}

/* Maps the table with 'table_perm', and the buffers read-only except the
 * one at index 'skip' (3: none skipped). */
static void
ind_tx_map(struct fx *f, const struct ind_tx *p, uint8_t table_perm, unsigned skip)
{
	unsigned i;

	if (table_perm != 0)
		answer(f, p->table, table_perm);
	for (i = 0; i < 3; i++)
		if (i != skip)
			answer(f, p->b[i].gpa, VHU_IOTLB_PERM_RO);
}

/* The next dequeue gives exactly the packet of 'p', and the chain 'id' comes
 * back used. */
static void
expect_ind_tx(struct fx *f, const struct ind_tx *p, uint16_t id)
{
	uint8_t got[PKT_LEN];
	struct rte_mbuf *m[4];
	uint16_t got_id;
	uint32_t len;

	assert_int_equal(vhu_dev_dequeue(f->h.dev, 0, mp, m, 4), 1);
	assert_int_equal(m[0]->pkt_len, PKT_LEN);
	assert_memory_equal(rte_pktmbuf_read(m[0], 0, PKT_LEN, got), p->want, PKT_LEN);
	rte_pktmbuf_free(m[0]);
	assert_true(vhu_fe_ring_used(&f->tx, &got_id, &len));
	assert_int_equal(got_id, id);
	assert_int_equal(len, 0);
	assert_false(vhu_fe_ring_used(&f->tx, &got_id, &len));
}

/* The next dequeue's count; what it gave is freed (a failing test leaves
 * no mbuf behind for teardown's pool check to blame on the next one). */
static uint16_t
dequeue_freed(struct fx *f)
{
	struct rte_mbuf *m[4];
	uint16_t n = vhu_dev_dequeue(f->h.dev, 0, mp, m, 4), i;

	for (i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
	return n;
}

/* The only message waiting on the back-end channel. */
static void
expect_backend_msg(struct fx *f, uint8_t type, uint64_t iova, uint8_t perm)
{
	struct vhu_wire_iotlb msg;

	assert_true(vhu_fe_backend_iotlb(f->backend, &msg));
	assert_int_equal(msg.type, type);
	assert_int_equal(msg.iova, iova);
	assert_int_equal(msg.perm, perm);
	assert_false(vhu_fe_backend_iotlb(f->backend, &msg));
}

static void
tx_indirect_mapped(struct fx *f, uint64_t features)
{
	struct ind_tx p;
	uint16_t id;

	start(f, features | F_IND);
	ind_tx_prepare(f, &p, GPA + BUF_OFF + 64 * PAGE, 1);
	ind_tx_map(f, &p, VHU_IOTLB_PERM_RO, 3);
	id = post_indirect(&f->tx, p.table, 3, false);
	expect_ind_tx(f, &p, id);
	assert_int_equal(info(f).q[0].rx_packets, 1);
	assert_int_equal(total_drops(f), 0);
	assert_int_equal(info(f).iotlb.misses, 0);
	assert_int_equal(info(f).iotlb.access_failures, 0);
	assert_false(vhu_fe_backend_iotlb(f->backend, &(struct vhu_wire_iotlb){0}));
}

static void
test_iotlb_tx_indirect_mapped_split(void **state)
{
	tx_indirect_mapped(*state, 0);
}

static void
test_iotlb_tx_indirect_mapped_packed(void **state)
{
	tx_indirect_mapped(*state, F_PACKED);
}

/* One of the translations of an indirect chain misses: the table's ('skip'
 * 3) or buffer 'skip''s. Polled many times: one MISS for that IOVA (read),
 * nothing consumed, nothing dropped; after the update the same chain goes
 * through. */
static void
tx_indirect_miss(struct fx *f, uint64_t features, unsigned skip)
{
	struct vhu_vring *vr = &f->h.dev->vr[1];
	uint16_t id, avail, got_id;
	struct ind_tx p;
	uint64_t iova;
	uint32_t len;
	int i;

	start(f, features | F_IND);
	ind_tx_prepare(f, &p, GPA + BUF_OFF + 64 * PAGE, 2);
	ind_tx_map(f, &p, skip == 3 ? 0 : VHU_IOTLB_PERM_RO, skip);
	iova = skip == 3 ? p.table : p.b[skip].gpa;
	id = post_indirect(&f->tx, p.table, 3, false);
	avail = vr->vq.last_avail_idx;
	for (i = 0; i < 100; i++)
		assert_int_equal(dequeue_freed(f), 0);
	expect_backend_msg(f, VHU_IOTLB_MISS, iova, VHU_IOTLB_PERM_RO);
	assert_false(vhu_fe_ring_used(&f->tx, &got_id, &len));
	assert_int_equal(vr->vq.last_avail_idx, avail);
	assert_false(vr->vq.broken);
	assert_int_equal(total_drops(f), 0);
	assert_int_equal(info(f).iotlb.misses, 1);
	assert_true(info(f).iotlb.waits >= 100);
	assert_int_equal(info(f).q[0].rx_packets, 0);
	/* QEMU's answer: the page of the IOVA asked for. */
	answer(f, iova, VHU_IOTLB_PERM_RO);
	expect_ind_tx(f, &p, id);
	assert_int_equal(info(f).q[0].rx_packets, 1);
	assert_int_equal(total_drops(f), 0);
	assert_int_equal(info(f).iotlb.misses, 1);
	assert_false(vhu_fe_backend_iotlb(f->backend, &(struct vhu_wire_iotlb){0}));
}

static void
test_iotlb_tx_indirect_table_miss_split(void **state)
{
	tx_indirect_miss(*state, 0, 3);
}

static void
test_iotlb_tx_indirect_table_miss_packed(void **state)
{
	tx_indirect_miss(*state, F_PACKED, 3);
}

/* The middle buffer (IOVA not page-aligned: the MISS carries the address). */
static void
test_iotlb_tx_indirect_buffer_miss_split(void **state)
{
	tx_indirect_miss(*state, 0, 1);
}

static void
test_iotlb_tx_indirect_buffer_miss_packed(void **state)
{
	tx_indirect_miss(*state, F_PACKED, 1);
}

/* A table that straddles a page boundary with only its first page mapped:
 * the MISS is for the second page (the first IOVA that missed). */
static void
test_iotlb_tx_indirect_table_second_page_miss(void **state)
{
	struct fx *f = *state;
	uint64_t at = GPA + BUF_OFF + 64 * PAGE, page = at + 4 * PAGE;
	uint64_t table = page + PAGE - 2 * VHU_DESC_SIZE;
	struct ind_tx p;
	uint16_t id, got_id;
	uint32_t len;

	start(f, F_IND);
	ind_tx_prepare(f, &p, at, 3);
	/* The same table, moved to the last two entries of a page of its own
	 * and the first of the next. */
	p.table = table;
	table_write(host(f, table), false, p.b, 3);
	ind_tx_map(f, &p, VHU_IOTLB_PERM_RO, 3);
	id = post_indirect(&f->tx, table, 3, false);
	assert_int_equal(dequeue_freed(f), 0);
	expect_backend_msg(f, VHU_IOTLB_MISS, page + PAGE, VHU_IOTLB_PERM_RO);
	assert_false(vhu_fe_ring_used(&f->tx, &got_id, &len));
	assert_int_equal(total_drops(f), 0);
	/* Mapped at the front-end address that follows: contiguous. */
	answer(f, page + PAGE, VHU_IOTLB_PERM_RO);
	expect_ind_tx(f, &p, id);
	assert_int_equal(total_drops(f), 0);
}

/* The table mapped write-only: the device may not read it. The chain is
 * given back unused, counted, ACCESS_FAIL (read) sent; the ring goes on. */
static void
tx_indirect_table_refused(struct fx *f, uint64_t features)
{
	struct vhu_vring *vr = &f->h.dev->vr[1];
	struct ind_tx p, q;
	uint16_t id, got_id;
	uint32_t len;
	struct vhu_dev_info in;

	start(f, features | F_IND);
	ind_tx_prepare(f, &p, GPA + BUF_OFF + 64 * PAGE, 4);
	ind_tx_map(f, &p, VHU_IOTLB_PERM_WO, 3);
	id = post_indirect(&f->tx, p.table, 3, false);
	assert_int_equal(dequeue_freed(f), 0);
	assert_true(vhu_fe_ring_used(&f->tx, &got_id, &len));
	assert_int_equal(got_id, id);
	assert_int_equal(len, 0);
	expect_backend_msg(f, VHU_IOTLB_ACCESS_FAIL, p.table, VHU_IOTLB_PERM_RO);
	in = info(f);
	assert_int_equal(in.q[0].drops[VHU_DROP_IOTLB_ACCESS], 1);
	assert_int_equal(total_drops(f), 1);
	assert_int_equal(in.iotlb.access_failures, 1);
	assert_int_equal(in.iotlb.misses, 0);
	assert_int_equal(in.q[0].rx_packets, 0);
	assert_false(vr->vq.broken);
	assert_string_equal(in.state, "running");
	/* A good packet behind it goes through. */
	ind_tx_prepare(f, &q, GPA + BUF_OFF + 72 * PAGE, 5);
	ind_tx_map(f, &q, VHU_IOTLB_PERM_RO, 3);
	id = post_indirect(&f->tx, q.table, 3, false);
	expect_ind_tx(f, &q, id);
	in = info(f);
	assert_int_equal(in.q[0].rx_packets, 1);
	assert_int_equal(total_drops(f), 1);
	assert_false(vhu_fe_backend_iotlb(f->backend, &(struct vhu_wire_iotlb){0}));
}

static void
test_iotlb_tx_indirect_table_refused_split(void **state)
{
	tx_indirect_table_refused(*state, 0);
}

static void
test_iotlb_tx_indirect_table_refused_packed(void **state)
{
	tx_indirect_table_refused(*state, F_PACKED);
}

/* A table over two IOTLB entries. Their front-end addresses adjacent: read in
 * place. Not adjacent (5 pages apart, as a guest's IOMMU may map any pages to
 * consecutive IOVAs): copied into the ring's bounce buffer and read from
 * there, the same packet (what follows the first piece in place is garbage). */
static void
tx_indirect_table_split_entries(struct fx *f, uint64_t features)
{
	struct vhu_vring *vr = &f->h.dev->vr[1];
	const uint64_t head = 2 * VHU_DESC_SIZE; /* table bytes in the first page */
	uint64_t iova = GPA + BUF_OFF + 128 * PAGE, off_a = BUF_OFF + 160 * PAGE;
	uint64_t off_b = BUF_OFF + 165 * PAGE;
	uint8_t t[3 * VHU_DESC_SIZE];
	struct ind_tx p;
	uint16_t id;
	uint32_t len;

	start(f, features | F_IND);
	ind_tx_prepare(f, &p, GPA + BUF_OFF + 64 * PAGE, 6);
	ind_tx_map(f, &p, 0, 3);
	table_write(t, f->h.fe.packed, p.b, 3);
	/* IOVA pages 0, 1 → memory pages 160, 161. */
	vhu_fe_iotlb_update(&f->h.fe, iova, PAGE, vhu_fe_uva(f->h.fe.mem + off_a),
			    VHU_IOTLB_PERM_RO);
	vhu_fe_iotlb_update(&f->h.fe, iova + PAGE, PAGE, vhu_fe_uva(f->h.fe.mem + off_a + PAGE),
			    VHU_IOTLB_PERM_RO);
	memcpy(f->h.fe.mem + off_a + PAGE - head, t, sizeof(t));
	id = post_indirect(&f->tx, iova + PAGE - head, 3, false);
	expect_ind_tx(f, &p, id);
	/* IOVA pages 2, 3 → memory pages 160, 165. */
	vhu_fe_iotlb_update(&f->h.fe, iova + 2 * PAGE, PAGE, vhu_fe_uva(f->h.fe.mem + off_a),
			    VHU_IOTLB_PERM_RO);
	vhu_fe_iotlb_update(&f->h.fe, iova + 3 * PAGE, PAGE, vhu_fe_uva(f->h.fe.mem + off_b),
			    VHU_IOTLB_PERM_RO);
	memset(f->h.fe.mem + off_a + PAGE, 0xff, head); /* what follows in place: garbage */
	memcpy(f->h.fe.mem + off_a + PAGE - head, t, head);
	memcpy(f->h.fe.mem + off_b, t + head, sizeof(t) - head);
	id = post_indirect(&f->tx, iova + 3 * PAGE - head, 3, false);
	expect_ind_tx(f, &p, id);
	assert_false(vr->vq.broken);
	assert_string_equal(info(f).state, "running");
	assert_false(vhu_fe_ring_used(&f->tx, &id, &len));
	assert_false(vhu_fe_backend_iotlb(f->backend, &(struct vhu_wire_iotlb){0}));
	assert_int_equal(info(f).iotlb.misses, 0);
	assert_int_equal(info(f).iotlb.access_failures, 0);
	assert_int_equal(total_drops(f), 0);
	assert_int_equal(info(f).q[0].rx_packets, 2);
}

static void
test_iotlb_tx_indirect_table_split_entries_split(void **state)
{
	tx_indirect_table_split_entries(*state, 0);
}

static void
test_iotlb_tx_indirect_table_split_entries_packed(void **state)
{
	tx_indirect_table_split_entries(*state, F_PACKED);
}

/* Guest rx, the packet's count taken; one not taken is freed. */
static uint16_t
enqueue_one_pkt(struct fx *f, struct rte_mbuf *m)
{
	uint16_t n = vhu_dev_enqueue(f->h.dev, 0, &m, 1);

	if (n == 0)
		rte_pktmbuf_free(m);
	return n;
}

/* Guest rx through an indirect table: the table mapped read-only (the device
 * reads it, whatever WRITE says on the descriptor that points at it), the
 * header and frame buffers write-only (it writes them). */
static void
rx_indirect_write_only_buffers(struct fx *f, uint64_t features)
{
	uint64_t at = GPA + BUF_OFF + 96 * PAGE, table = at + 0x40;
	struct vhu_fe_buf b[2] = {{at + PAGE, HDR_LEN, true}, {at + 2 * PAGE + 0x10, 2048, true}};
	uint8_t want_hdr[HDR_LEN] = {[10] = 1}, want[PKT_LEN];
	uint16_t id, got;
	uint32_t len;

	start(f, features | F_IND);
	memset(host(f, b[0].gpa), 0xee, HDR_LEN);
	memset(host(f, b[1].gpa), 0xee, b[1].len);
	table_write(host(f, table), f->h.fe.packed, b, 2);
	answer(f, table, VHU_IOTLB_PERM_RO);
	answer(f, b[0].gpa, VHU_IOTLB_PERM_WO);
	answer(f, b[1].gpa, VHU_IOTLB_PERM_WO);
	id = post_indirect(&f->rx, table, 2, true);
	assert_int_equal(enqueue_one_pkt(f, pkt(7)), 1);
	assert_true(vhu_fe_ring_used(&f->rx, &got, &len));
	assert_int_equal(got, id);
	assert_int_equal(len, HDR_LEN + PKT_LEN);
	/* No offload requested; num_buffers 1 (VERSION_1 header). */
	assert_memory_equal(host(f, b[0].gpa), want_hdr, HDR_LEN);
	fill(want, PKT_LEN, 7);
	assert_memory_equal(host(f, b[1].gpa), want, PKT_LEN);
	assert_int_equal(host(f, b[1].gpa)[PKT_LEN], 0xee);
	assert_int_equal(info(f).q[0].tx_packets, 1);
	assert_int_equal(total_drops(f), 0);
	assert_int_equal(info(f).iotlb.misses, 0);
	assert_int_equal(info(f).iotlb.held_now, 0);
	assert_false(vhu_fe_backend_iotlb(f->backend, &(struct vhu_wire_iotlb){0}));
}

static void
test_iotlb_rx_indirect_write_only_buffers_split(void **state)
{
	rx_indirect_write_only_buffers(*state, 0);
}

static void
test_iotlb_rx_indirect_write_only_buffers_packed(void **state)
{
	rx_indirect_write_only_buffers(*state, F_PACKED);
}

/* Guest rx, the table mapped write-only like the buffers it lists (and its
 * descriptor marked WRITE): the device still needs to read it. Given back
 * unused, the packet dropped, ACCESS_FAIL (read) for the table. */
static void
test_iotlb_rx_indirect_table_write_only(void **state)
{
	struct fx *f = *state;
	uint64_t at = GPA + BUF_OFF + 96 * PAGE, table = at + 0x40;
	struct vhu_fe_buf b[1] = {{at + PAGE, 2048, true}};
	uint16_t id, got;
	uint32_t len;

	start(f, F_IND);
	memset(host(f, b[0].gpa), 0xee, b[0].len);
	table_write(host(f, table), false, b, 1);
	answer(f, table, VHU_IOTLB_PERM_WO);
	answer(f, b[0].gpa, VHU_IOTLB_PERM_WO);
	id = post_indirect(&f->rx, table, 1, true);
	assert_int_equal(enqueue_one_pkt(f, pkt(8)), 1);
	assert_true(vhu_fe_ring_used(&f->rx, &got, &len));
	assert_int_equal(got, id);
	assert_int_equal(len, 0);
	assert_int_equal(host(f, b[0].gpa)[0], 0xee);
	expect_backend_msg(f, VHU_IOTLB_ACCESS_FAIL, table, VHU_IOTLB_PERM_RO);
	assert_int_equal(info(f).q[0].drops[VHU_DROP_IOTLB_ACCESS], 1);
	assert_int_equal(total_drops(f), 1);
	assert_int_equal(info(f).iotlb.access_failures, 1);
	assert_int_equal(info(f).q[0].tx_packets, 0);
	assert_false(f->h.dev->vr[0].vq.broken);
}

int
main(void)
{
	char prefix[64], *argv[] = {"vhu_iotlb_test", "-l",   "0",	     "--no-huge",
				    "--no-pci",	      "-m",   "128",	     "--no-shconf",
				    "--file-prefix",  prefix, "--log-level", "lib.*:error",
				    "--no-telemetry", NULL};
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_iotlb_update_invalidate_refusals),
		T(test_iotlb_entries_bounded),
		T(test_iotlb_ring_areas_miss_at_start_split),
		T(test_iotlb_ring_areas_miss_at_start_packed),
		T(test_iotlb_tx_miss_then_update_split),
		T(test_iotlb_tx_miss_then_update_packed),
		T(test_iotlb_tx_buffer_spans_two_entries),
		T(test_iotlb_tx_permission_refused),
		T(test_iotlb_rx_miss_held_then_update_split),
		T(test_iotlb_rx_miss_held_then_update_packed),
		T(test_iotlb_rx_permission_refused),
		T(test_iotlb_rx_hold_bounded),
		T(test_iotlb_tx_indirect_mapped_split),
		T(test_iotlb_tx_indirect_mapped_packed),
		T(test_iotlb_tx_indirect_table_miss_split),
		T(test_iotlb_tx_indirect_table_miss_packed),
		T(test_iotlb_tx_indirect_buffer_miss_split),
		T(test_iotlb_tx_indirect_buffer_miss_packed),
		T(test_iotlb_tx_indirect_table_second_page_miss),
		T(test_iotlb_tx_indirect_table_refused_split),
		T(test_iotlb_tx_indirect_table_refused_packed),
		T(test_iotlb_tx_indirect_table_split_entries_split),
		T(test_iotlb_tx_indirect_table_split_entries_packed),
		T(test_iotlb_rx_indirect_write_only_buffers_split),
		T(test_iotlb_rx_indirect_write_only_buffers_packed),
		T(test_iotlb_rx_indirect_table_write_only),
#undef T
	};
	char runtime_dir[256];
	int rc;

	snprintf(prefix, sizeof(prefix), "vhu-iotlb-test-%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "SKIP: the DPDK EAL cannot start here (%s)\n",
			rte_strerror(rte_errno));
		return 77;
	}
	mp = rte_pktmbuf_pool_create("vhu_iotlb_test", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	if (mp == NULL) {
		fprintf(stderr, "SKIP: no mbuf pool (%s)\n", rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 77;
	}
	vhu_fe_fail_hook = fe_fail;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_mempool_free(mp);
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(runtime_dir);
	return rc;
}
