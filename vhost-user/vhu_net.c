/* The data path of a vhost-user port (PMD threads): guest tx ring → mbufs
 * (dequeue) and mbufs → guest rx ring (enqueue), with the virtio-net header
 * (virtio 1.2 §5.1.6). Ring walking and its checks are vhu_vq_*.c; the header's
 * offload fields ↔ mbuf offload flags are vhu_net_hdr.c; this file copies
 * bytes, counts, and writes the call eventfd when the guest wants it.
 * Rules: no malloc but mbufs, no unrated logs, bounded loops; every byte of
 * guest memory read or written through a vhu_vq chain (checked translations).
 * 'dev->features' is read once per burst: it changes only while rings are
 * stopped (LOG_ALL aside, which this file does not read from it). */
#define LOG_PREFIX "vhost-user/net: "
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include "iovs_log.h"
#include "vhu_priv.h"
#include "vhu_vq_priv.h" /* the inline pop and push of the fast path */
/* After vhu_priv.h: its enum names the same feature bits as this header's macros. */
#include "vhu_net_hdr.h"

/* The longest frame a guest may send: a 64 KiB GSO packet plus headers. */
#define MAX_PKT_LEN (65535u + RTE_ETHER_HDR_LEN + 4u)
/* mbufs dequeue allocates at once. */
#define DEQ_BULK 32u
/* Buffers one received packet may take with MRG_RXBUF. */
#define MAX_MRG_BUFFERS 64u
/* The mbuf flags that make vhu_net_hdr_from_mbuf() write a non-zero header:
 * pending offload work (vswitch/offload.h), or a checksum known good. Others
 * get the all-zero header without a look at their data. */
#define TO_GUEST_HDR_FLAGS                                                                         \
	(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG |                  \
	 RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_RX_L4_CKSUM_GOOD)

/* Packet bytes: rte_memcpy inlines well for short frames; longer ones go to
 * the C library, whose copy picks the widest vectors this CPU has at run time
 * (DPDK's headers are built for a baseline without AVX). */
static __rte_always_inline void
copy_pkt(void *dst, const void *src, uint32_t len)
{
	if (len <= 128)
		rte_memcpy(dst, src, len);
	else
		memcpy(dst, src, len);
}

static inline void
stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static void
ring_broken(struct vhu_dev *dev, struct vhu_vring *vr)
{
	if (vr->broken_logged)
		return;
	vr->broken_logged = true;
	LOG_RL_ERR("%s: ring %u broken: %s", dev->conf.path, (unsigned)(vr - dev->vr),
		   vr->vq.broken_reason ? vr->vq.broken_reason : "?");
	if (vr->err_fd >= 0)
		(void)eventfd_write(vr->err_fd, 1);
}

static inline void
notify(struct vhu_vring *vr)
{
	if (vhu_vq_need_call(&vr->vq) && vr->call_fd >= 0) {
		(void)eventfd_write(vr->call_fd, 1);
		stat_add(&vr->calls, 1);
	}
}

/* VIRTIO_F_ACCESS_PLATFORM: tells the front-end about the translation the last
 * pop missed (MISS) or was refused (ACCESS_FAIL), vq->fault_iova/fault_perm,
 * on the back-end channel without blocking. Once per (ring, page, type,
 * permission) until an update arrived since ('gen') or VHU_IOTLB_RESEND_MS
 * passed: a ring polled a million times a second waiting for one answer sends
 * one message. */
static __rte_noinline void
iotlb_report(struct vhu_dev *dev, struct vhu_vring *vr, uint8_t type, uint32_t gen)
{
	uint64_t page = vr->vq.fault_iova >> 12, now = rte_get_tsc_cycles();
	uint64_t timeout = rte_get_tsc_hz() / 1000 * VHU_IOTLB_RESEND_MS;
	uint8_t perm = vhu_iotlb_perm(vr->vq.fault_perm);
	struct vhu_iotlb_pending *e = NULL;
	unsigned i;

	for (i = 0; i < VHU_IOTLB_PENDING; i++) {
		struct vhu_iotlb_pending *p = &vr->pend[i];

		if (p->used && p->page == page && p->type == type && p->perm == perm) {
			if (p->gen == gen && now - p->tsc < timeout)
				return;
			e = p;
			break;
		}
	}
	if (e == NULL) {
		e = &vr->pend[vr->pend_next];
		vr->pend_next = (uint8_t)((vr->pend_next + 1) % VHU_IOTLB_PENDING);
	}
	*e = (struct vhu_iotlb_pending){
		.page = page, .tsc = now, .gen = gen, .type = type, .perm = perm, .used = true};
	if (vhu_dev_iotlb_send(dev, type, vr->vq.fault_iova, vr->vq.fault_perm) != 0)
		stat_add(&vr->iotlb_unsent, 1);
	else if (type == VHU_IOTLB_MISS)
		stat_add(&vr->iotlb_misses, 1);
}

/* Copies 'len' bytes at offset 'off' of the chain's readable part to 'dst'. */
static void
chain_read(const struct vhu_chain *c, uint32_t off, void *dst, uint32_t len)
{
	uint8_t *d = dst;
	unsigned i;

	for (i = 0; i < c->n_out && len > 0; i++) {
		const struct vhu_iov *v = &c->iov[i];
		uint32_t n;

		if (off >= v->len) {
			off -= v->len;
			continue;
		}
		n = RTE_MIN(v->len - off, len);
		rte_memcpy(d, (uint8_t *)v->base + off, n);
		d += n;
		len -= n;
		off = 0;
	}
}

/* The virtio-net header at the start of the chain's readable part, copied
 * out once. */
static inline void
hdr_read(const struct vhu_chain *c, uint32_t hdr_len, struct vhu_net_hdr *hdr)
{
	if (likely(c->iov[0].len >= sizeof(*hdr) && hdr_len == sizeof(*hdr)))
		memcpy(hdr, c->iov[0].base, sizeof(*hdr));
	else
		chain_read(c, 0, hdr, hdr_len);
}

/* chain_to_mbuf() for any chain: the bytes from 'off' on ('left' of them)
 * into 'head' (fresh) and as many more mbufs of 'mp' as they need. */
static __rte_noinline struct rte_mbuf *
chain_to_mbufs(const struct vhu_chain *c, uint32_t off, uint32_t left, struct rte_mempool *mp,
	       struct rte_mbuf *head, enum vhu_drop *why)
{
	struct rte_mbuf *seg = head;
	unsigned i = 0;

	while (left > 0) {
		const struct vhu_iov *v;
		uint32_t room, n;

		while (off >= c->iov[i].len) /* i < n_out: the lengths add up to out_len */
			off -= c->iov[i++].len;
		v = &c->iov[i];
		room = rte_pktmbuf_tailroom(seg);
		if (room == 0) {
			struct rte_mbuf *next = rte_pktmbuf_alloc(mp);

			if (unlikely(next == NULL)) {
				rte_pktmbuf_free(head);
				*why = VHU_DROP_NO_MBUF;
				return NULL;
			}
			seg->next = next;
			seg = next;
			head->nb_segs++;
			room = rte_pktmbuf_tailroom(seg);
		}
		n = RTE_MIN(v->len - off, left);
		n = RTE_MIN(n, room);
		rte_memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t *, seg->data_len),
			   (uint8_t *)v->base + off, n);
		seg->data_len = (uint16_t)(seg->data_len + n);
		head->pkt_len += n;
		off += n;
		left -= n;
	}
	return head;
}

/* The guest's packet (after the header) into a chain of mbufs, starting with
 * 'head' (a fresh mbuf of 'mp', or NULL: allocate one). */
static __rte_always_inline struct rte_mbuf *
chain_to_mbuf(const struct vhu_chain *c, uint32_t hdr_len, struct rte_mempool *mp,
	      struct rte_mbuf *head, enum vhu_drop *why)
{
	uint32_t left = c->out_len - hdr_len;

	if (unlikely(head == NULL)) {
		head = rte_pktmbuf_alloc(mp);
		if (head == NULL) {
			*why = VHU_DROP_NO_MBUF;
			return NULL;
		}
	}
	/* One buffer holding header and packet, one mbuf: the common case. */
	if (likely(c->n_out == 1 && left <= rte_pktmbuf_tailroom(head))) {
		copy_pkt(rte_pktmbuf_mtod(head, uint8_t *), (uint8_t *)c->iov[0].base + hdr_len,
			 left);
		head->data_len = (uint16_t)left;
		head->pkt_len = left;
		return head;
	}
	return chain_to_mbufs(c, hdr_len, left, mp, head, why);
}

/* A RARP announcing 'mac' (vhost-user.rst, SEND_RARP), as if the guest sent it. */
static struct rte_mbuf *
rarp_frame(const uint8_t mac[6], struct rte_mempool *mp)
{
	static const uint8_t tail[] = {0x80, 0x35, 0, 1, 8, 0, 6, 4, 0, 3};
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *p;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, 60);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(p, 0, 60);
	memset(p, 0xff, 6);		    /* broadcast */
	memcpy(p + 6, mac, 6);		    /* source */
	memcpy(p + 12, tail, sizeof(tail)); /* ethertype, htype, ptype, hlen, plen, op 3 */
	memcpy(p + 22, mac, 6);		    /* sender hardware address */
	memcpy(p + 32, mac, 6);		    /* target hardware address */
	return m;
}

static void rx_hold_drain(struct vhu_dev *dev, struct vhu_vring *rx, uint32_t gen);

/* vhu_dev_dequeue() for a running ring of a known layout ('packed' a constant)
 * and translation ('iotlb': VIRTIO_F_ACCESS_PLATFORM, descriptor addresses are
 * IOVAs). With 'iotlb' the burst runs inside the IOTLB's read side; a miss
 * leaves the chain in the ring and asks the front-end; the pair's guest rx
 * hold is retried first. */
static __rte_always_inline uint16_t
dequeue_burst(struct vhu_dev *dev, struct vhu_vring *vr, uint16_t qp, struct rte_mempool *mp,
	      struct rte_mbuf **pkts, uint16_t n, const bool packed, const bool iotlb)
{
	struct rte_mbuf *fresh[DEQ_BULK];
	unsigned have = 0, used = 0;
	const struct vhu_mem *mem;
	const struct vhu_log *log;
	struct vhu_chain c;
	uint32_t hdr_len = dev->hdr_len;
	uint64_t features = __atomic_load_n(&dev->features, __ATOMIC_RELAXED);
	uint64_t bytes = 0;
	uint32_t gen = 0;
	uint16_t got = 0, done = 0;

	if (unlikely(vr->vq.broken))
		return 0;
	mem = __atomic_load_n(&dev->mem, __ATOMIC_ACQUIRE);
	log = __atomic_load_n(&dev->log, __ATOMIC_ACQUIRE);
	if (unlikely(qp == 0 && __atomic_load_n(&dev->rarp_pending, __ATOMIC_ACQUIRE) && n > 0)) {
		__atomic_store_n(&dev->rarp_pending, false, __ATOMIC_RELAXED);
		pkts[got] = rarp_frame(dev->rarp_mac, mp);
		if (pkts[got] != NULL)
			got++;
	}
	if (iotlb) {
		if (unlikely(!vhu_iotlb_read_begin(dev, vr)))
			return got; /* an update is being written: next poll */
		gen = __atomic_load_n(&dev->iotlb_gen, __ATOMIC_RELAXED);
		if (unlikely(__atomic_load_n(&dev->vr[2 * qp].hold_n, __ATOMIC_RELAXED) != 0))
			rx_hold_drain(dev, &dev->vr[2 * qp], gen);
	}
	while (got < n) {
		enum vhu_drop why = VHU_DROP_MALFORMED;
		struct vhu_net_hdr hdr;
		struct rte_mbuf *m = NULL;
		int rc = vhu_vq_pop_layout(&vr->vq, mem, &c, packed, iotlb);

		if (rc == -EAGAIN)
			break;
		if (unlikely(rc == -EIO)) {
			ring_broken(dev, vr);
			break;
		}
		if (iotlb && unlikely(rc == -ENOENT)) {
			/* The chain stays in the ring until the update arrives. */
			iotlb_report(dev, vr, VHU_IOTLB_MISS, gen);
			stat_add(&vr->iotlb_waits, 1);
			break;
		}
		if (iotlb && unlikely(rc == -EACCES)) {
			iotlb_report(dev, vr, VHU_IOTLB_ACCESS_FAIL, gen);
			stat_add(&vr->iotlb_access, 1);
			why = VHU_DROP_IOTLB_ACCESS;
		}
		if (likely(rc == 0 && c.out_len >= hdr_len && c.out_len - hdr_len <= MAX_PKT_LEN)) {
			if (used == have) {
				/* mbufs in bulk for the packets known to wait (split:
				 * what avail->idx announced; packed: as many as asked). */
				unsigned k = RTE_MIN((unsigned)(n - got), DEQ_BULK);

				if (!packed)
					k = RTE_MIN(k, 1u + (uint16_t)(vr->vq.shadow_avail -
								       vr->vq.last_avail_idx));
				have = rte_pktmbuf_alloc_bulk(mp, fresh, k) == 0 ? k : 0;
				used = 0;
			}
			/* The header, copied out once; its requests checked against
			 * the packet (our copy of it, headers in the first segment)
			 * and turned into offload flags. */
			hdr_read(&c, hdr_len, &hdr);
			m = chain_to_mbuf(&c, hdr_len, mp, used < have ? fresh[used++] : NULL,
					  &why);
			if (unlikely(m != NULL && (hdr.flags | hdr.gso_type) != 0) &&
			    vhu_net_hdr_to_mbuf(&hdr, m, features, NULL) != 0) {
				rte_pktmbuf_free(m);
				m = NULL;
				why = VHU_DROP_MALFORMED;
			}
		}
		vhu_vq_push_layout(&vr->vq, &c, 0, log, packed);
		done++;
		if (unlikely(m == NULL)) {
			stat_add(&vr->drops[why], 1);
			continue;
		}
		bytes += m->pkt_len;
		pkts[got++] = m;
	}
	if (done > 0) {
		vhu_vq_flush(&vr->vq, log);
		notify(vr);
	}
	if (iotlb)
		vhu_iotlb_read_end(vr);
	if (unlikely(used < have))
		rte_pktmbuf_free_bulk(&fresh[used], have - used);
	if (got > 0) {
		stat_add(&vr->packets, got);
		stat_add(&vr->bytes, bytes);
	}
	return got;
}

uint16_t
vhu_dev_dequeue(struct vhu_dev *dev, uint16_t qp, struct rte_mempool *mp, struct rte_mbuf **pkts,
		uint16_t n)
{
	struct vhu_vring *vr = &dev->vr[2 * qp + 1];

	if (!__atomic_load_n(&vr->running, __ATOMIC_ACQUIRE))
		return 0;
	if (unlikely(vr->vq.iotlb != NULL))
		return vr->vq.packed ? dequeue_burst(dev, vr, qp, mp, pkts, n, true, true)
				     : dequeue_burst(dev, vr, qp, mp, pkts, n, false, true);
	return vr->vq.packed ? dequeue_burst(dev, vr, qp, mp, pkts, n, true, false)
			     : dequeue_burst(dev, vr, qp, mp, pkts, n, false, false);
}

/* Writes 'len' bytes from 'src' into the chain's writable part at 'off',
 * logging the pages written. */
static void
chain_write(const struct vhu_chain *c, uint32_t off, const void *src, uint32_t len,
	    const struct vhu_log *log)
{
	const uint8_t *s = src;
	unsigned i;

	for (i = c->n_out; i < c->n_out + c->n_in && len > 0; i++) {
		const struct vhu_iov *v = &c->iov[i];
		uint32_t n;

		if (off >= v->len) {
			off -= v->len;
			continue;
		}
		n = RTE_MIN(v->len - off, len);
		rte_memcpy((uint8_t *)v->base + off, s, n);
		if (unlikely(log != NULL))
			vhu_log_write(log, v->gpa + off, n);
		s += n;
		len -= n;
		off = 0;
	}
}

/* Copies mbuf bytes from (*seg, *seg_off) into the chain at 'off', at most
 * 'len'; advances the mbuf cursor. */
static void
mbuf_to_chain(struct rte_mbuf **seg, uint32_t *seg_off, const struct vhu_chain *c, uint32_t off,
	      uint32_t len, const struct vhu_log *log)
{
	while (len > 0 && *seg != NULL) {
		uint32_t n = RTE_MIN((uint32_t)(*seg)->data_len - *seg_off, len);

		chain_write(c, off, rte_pktmbuf_mtod_offset(*seg, uint8_t *, *seg_off), n, log);
		off += n;
		len -= n;
		*seg_off += n;
		if (*seg_off == (*seg)->data_len) {
			*seg = (*seg)->next;
			*seg_off = 0;
		}
	}
}

struct used_rec {
	uint16_t id, n_desc;
	uint32_t len;
};

/* One packet into as many buffers as it needs (one without MRG_RXBUF), after
 * header 'hdr' (num_buffers is set here). The caller popped the first buffer
 * into 'c' already, with result 'rc' (vhu_vq_pop()). Returns 0, -EAGAIN (too
 * few buffers now: nothing consumed), -EMSGSIZE (never fits: nothing
 * consumed), -EBADMSG (a buffer we cannot use: returned empty with the others,
 * packet dropped), -EIO (ring broken), and with an IOTLB -ENOENT (a buffer
 * missed: nothing consumed) or -EACCES (as -EBADMSG: a buffer the IOTLB
 * refuses to let us write). */
static int
enqueue_one(struct vhu_dev *dev, struct vhu_vring *vr, struct rte_mbuf *m, struct vhu_net_hdr *hdr,
	    const struct vhu_mem *mem, const struct vhu_log *log, struct vhu_chain *c, int rc)
{
	struct used_rec rec[MAX_MRG_BUFFERS];
	struct vhu_iov hdr_iov[12];
	struct vhu_chain hdr_chain;
	uint32_t hdr_len = dev->hdr_len, need = hdr_len + m->pkt_len, left = m->pkt_len;
	uint32_t seg_off = 0;
	struct rte_mbuf *seg = m;
	unsigned nb = 0, i, max = dev->mrg_rxbuf ? MAX_MRG_BUFFERS : 1;

	while (nb < max) {
		uint32_t off = 0, room;

		if (nb > 0)
			rc = vhu_vq_pop(&vr->vq, mem, c);
		if (unlikely(rc == -ENOBUFS || rc == -EACCES)) {
			/* A valid chain with more pieces than we describe: return it
			 * and the buffers this packet already took, empty, in pop order
			 * (a pushed chain cannot be unpopped), and drop the packet. */
			uint16_t id = c->id, n_desc = c->n_desc;

			for (i = 0; i < nb; i++) {
				c->id = rec[i].id;
				c->n_desc = rec[i].n_desc;
				vhu_vq_push(&vr->vq, c, 0, log);
			}
			c->id = id;
			c->n_desc = n_desc;
			vhu_vq_push(&vr->vq, c, 0, log);
			return rc == -EACCES ? -EACCES : -EBADMSG;
		}
		if (rc != 0)
			goto rewind;
		room = c->in_len;
		if (nb == 0) {
			if (unlikely(room < hdr_len)) {
				/* Too short for any packet: left at the head of the
				 * ring it would block every buffer behind it (P13).
				 * Given back empty; the packet is dropped. */
				vhu_vq_push(&vr->vq, c, 0, log);
				return -EBADMSG;
			}
			if (!dev->mrg_rxbuf && room < need) {
				rc = -EMSGSIZE;
				rec[nb++] = (struct used_rec){c->id, c->n_desc, 0};
				goto rewind;
			}
			/* Keep where the header goes; num_buffers is known at the end. */
			hdr_chain.n_out = 0;
			hdr_chain.n_in = (uint16_t)RTE_MIN(c->n_in, 12);
			memcpy(hdr_iov, &c->iov[c->n_out], sizeof(hdr_iov[0]) * hdr_chain.n_in);
			off = hdr_len;
			room -= hdr_len;
		}
		room = RTE_MIN(room, left);
		mbuf_to_chain(&seg, &seg_off, c, off, room, log);
		left -= room;
		rec[nb++] = (struct used_rec){c->id, c->n_desc, off + room};
		if (left == 0)
			break;
	}
	if (left > 0) {
		rc = -EMSGSIZE;
		goto rewind;
	}
	hdr->num_buffers = rte_cpu_to_le_16((uint16_t)nb); /* nb <= 64 */
	memcpy(hdr_chain.iov, hdr_iov, sizeof(hdr_iov[0]) * hdr_chain.n_in);
	chain_write(&hdr_chain, 0, hdr, hdr_len, log);
	for (i = 0; i < nb; i++) {
		c->id = rec[i].id;
		c->n_desc = rec[i].n_desc;
		vhu_vq_push(&vr->vq, c, rec[i].len, log);
	}
	return 0;

rewind:
	while (nb > 0) {
		nb--;
		c->id = rec[nb].id;
		c->n_desc = rec[nb].n_desc;
		vhu_vq_unpop(&vr->vq, c);
	}
	return rc;
}

/* The common case of enqueue_one(): a one-segment packet that fits, with its
 * header, into the first writable piece of the buffer just popped into 'c'.
 * Returns false, having done nothing, when enqueue_one() must handle it. */
static __rte_always_inline bool
enqueue_fast(struct vhu_dev *dev, struct vhu_vring *vr, struct rte_mbuf *m, struct vhu_net_hdr *hdr,
	     const struct vhu_log *log, const struct vhu_chain *c, const bool packed)
{
	uint32_t hdr_len = dev->hdr_len, len = m->data_len;
	const struct vhu_iov *v = &c->iov[c->n_out];
	uint8_t *dst;

	if (unlikely(m->nb_segs != 1 || c->n_in == 0 || v->len < hdr_len + len ||
		     hdr_len != sizeof(*hdr)))
		return false;
	dst = v->base;
	hdr->num_buffers = rte_cpu_to_le_16(1);
	memcpy(dst, hdr, sizeof(*hdr));
	copy_pkt(dst + sizeof(*hdr), rte_pktmbuf_mtod(m, const uint8_t *), len);
	if (unlikely(log != NULL))
		vhu_log_write(log, v->gpa, hdr_len + len);
	vhu_vq_push_layout(&vr->vq, c, hdr_len + len, log, packed);
	return true;
}

/* What a run of enqueue_run() did, for the counters and the flush. */
struct enq_tally {
	uint64_t bytes;
	uint16_t sent;
	bool pushed; /* something was returned to the guest, sent or not */
};

/* Copies pkts[0..n) into the guest's rx ring, in order, up to the first that
 * cannot go now. Returns how many it took (sent, or dropped and counted); the
 * caller frees them. '*stop' says why it stopped early: 0 (it did not),
 * -EAGAIN (no buffers), -EIO (ring broken), -ENOENT (an IOVA missed: the
 * packet is not taken; vq->fault_* say what to ask for). */
static __rte_always_inline uint16_t
enqueue_run(struct vhu_dev *dev, struct vhu_vring *vr, struct rte_mbuf **pkts, uint16_t n,
	    const struct vhu_mem *mem, const struct vhu_log *log, uint64_t features, uint32_t gen,
	    struct enq_tally *t, int *stop, const bool packed, const bool iotlb)
{
	struct vhu_chain c;
	uint16_t i;

	*stop = 0;
	for (i = 0; i < n; i++) {
		struct vhu_net_hdr hdr = {0};
		int rc;

		if (unlikely(pkts[i]->ol_flags & TO_GUEST_HDR_FLAGS)) {
			/* Pending work: into the header, or done now. The switch
			 * segments first what the guest cannot take as TSO. */
			rc = vhu_net_hdr_from_mbuf(pkts[i], features, &hdr, NULL);
			if (unlikely(rc != 0)) {
				stat_add(&vr->drops[rc == VHU_NET_HDR_NEEDS_GSO
							    ? VHU_DROP_TOO_BIG
							    : VHU_DROP_MALFORMED],
					 1);
				continue;
			}
		}
		rc = vhu_vq_pop_layout(&vr->vq, mem, &c, packed, iotlb);
		if (likely(rc == 0) && enqueue_fast(dev, vr, pkts[i], &hdr, log, &c, packed)) {
			t->bytes += pkts[i]->pkt_len;
			t->sent++;
			continue;
		}
		rc = enqueue_one(dev, vr, pkts[i], &hdr, mem, log, &c, rc);
		if (likely(rc == 0)) {
			t->bytes += pkts[i]->pkt_len;
			t->sent++;
			continue;
		}
		if (rc == -EMSGSIZE || rc == -EBADMSG) { /* taken and dropped */
			stat_add(
				&vr->drops[rc == -EMSGSIZE ? VHU_DROP_TOO_BIG : VHU_DROP_MALFORMED],
				1);
			t->pushed = true;
			continue;
		}
		if (iotlb && rc == -EACCES) { /* taken and dropped */
			iotlb_report(dev, vr, VHU_IOTLB_ACCESS_FAIL, gen);
			stat_add(&vr->drops[VHU_DROP_IOTLB_ACCESS], 1);
			stat_add(&vr->iotlb_access, 1);
			t->pushed = true;
			continue;
		}
		if (rc == -EIO)
			ring_broken(dev, vr);
		*stop = (iotlb && rc == -ENOENT) || rc == -EIO ? rc : -EAGAIN;
		break;
	}
	return i;
}

/* Publishes what a burst pushed, interrupts the guest if it wants, counts. */
static __rte_always_inline void
enqueue_done(struct vhu_vring *vr, const struct vhu_log *log, const struct enq_tally *t)
{
	if (t->sent > 0 || t->pushed) {
		vhu_vq_flush(&vr->vq, log);
		notify(vr);
		stat_add(&vr->packets, t->sent);
		stat_add(&vr->bytes, t->bytes);
	}
}

/* vhu_dev_enqueue() for a running ring of a known layout ('packed' a constant),
 * without an IOTLB. */
static __rte_always_inline uint16_t
enqueue_burst(struct vhu_dev *dev, struct vhu_vring *vr, struct rte_mbuf **pkts, uint16_t n,
	      const bool packed)
{
	const struct vhu_mem *mem;
	const struct vhu_log *log;
	struct enq_tally t = {0};
	uint64_t features;
	uint16_t i;
	int stop;

	if (unlikely(vr->vq.broken)) {
		stat_add(&vr->drops[VHU_DROP_BROKEN], n);
		return 0;
	}
	mem = __atomic_load_n(&dev->mem, __ATOMIC_ACQUIRE);
	log = __atomic_load_n(&dev->log, __ATOMIC_ACQUIRE);
	features = __atomic_load_n(&dev->features, __ATOMIC_RELAXED);
	i = enqueue_run(dev, vr, pkts, n, mem, log, features, 0, &t, &stop, packed, false);
	if (stop != 0)
		stat_add(&vr->drops[stop == -EIO ? VHU_DROP_BROKEN : VHU_DROP_NO_BUFFERS], n - i);
	enqueue_done(vr, log, &t);
	/* Taken: sent and dropped packets (too big, malformed, offload work the
	 * guest cannot take), the leading 'i', freed here at once. The caller
	 * frees the rest and counts them as tx drops. */
	rte_pktmbuf_free_bulk(pkts, i);
	return i;
}

/* --- VIRTIO_F_ACCESS_PLATFORM: the guest rx ring's hold. A packet whose rx
 * buffer missed in the IOTLB is kept, in order, and retried before any newer
 * one: by the next enqueue, and by the PMD polling the same pair's guest tx
 * ring (so that it leaves as soon as the update arrived, without waiting for
 * more traffic). 'hold_lock' serialises the two; both run inside the IOTLB
 * read side. --- */

/* Appends pkts[0..n) to the hold as far as it has room; returns how many. */
static uint16_t
hold_put(struct vhu_vring *vr, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t room = (uint16_t)(VHU_IOTLB_HOLD - vr->hold_n), k = RTE_MIN(room, n);

	memcpy(&vr->hold[vr->hold_n], pkts, sizeof(*pkts) * k);
	__atomic_store_n(&vr->hold_n, (uint16_t)(vr->hold_n + k), __ATOMIC_RELAXED);
	stat_add(&vr->iotlb_held, k);
	return k;
}

/* Retries the held packets (hold_lock taken, IOTLB read side entered). What
 * cannot go for want of buffers (or a broken ring) is dropped as any packet
 * for this guest would be; a miss keeps the rest. Returns true when the hold
 * is empty. */
static __rte_always_inline bool
hold_drain(struct vhu_dev *dev, struct vhu_vring *vr, const struct vhu_mem *mem,
	   const struct vhu_log *log, uint64_t features, uint32_t gen, struct enq_tally *t,
	   const bool packed)
{
	uint16_t n = vr->hold_n, k;
	int stop;

	k = enqueue_run(dev, vr, vr->hold, n, mem, log, features, gen, t, &stop, packed, true);
	rte_pktmbuf_free_bulk(vr->hold, k);
	if (stop == -ENOENT) {
		iotlb_report(dev, vr, VHU_IOTLB_MISS, gen);
		stat_add(&vr->iotlb_waits, 1);
	} else if (stop != 0) {
		stat_add(&vr->drops[stop == -EIO ? VHU_DROP_BROKEN : VHU_DROP_NO_BUFFERS], n - k);
		rte_pktmbuf_free_bulk(&vr->hold[k], n - k);
		k = n;
	}
	memmove(vr->hold, &vr->hold[k], sizeof(vr->hold[0]) * (size_t)(n - k));
	__atomic_store_n(&vr->hold_n, (uint16_t)(n - k), __ATOMIC_RELAXED);
	return n == k;
}

/* The guest tx side's retry of guest rx ring 'rx''s hold. */
static __rte_noinline void
rx_hold_drain(struct vhu_dev *dev, struct vhu_vring *rx, uint32_t gen)
{
	const struct vhu_mem *mem;
	const struct vhu_log *log;
	struct enq_tally t = {0};
	uint64_t features;

	if (!__atomic_load_n(&rx->running, __ATOMIC_ACQUIRE) || rx->vq.iotlb == NULL ||
	    !rte_spinlock_trylock(&rx->hold_lock))
		return;
	mem = __atomic_load_n(&dev->mem, __ATOMIC_ACQUIRE);
	log = __atomic_load_n(&dev->log, __ATOMIC_ACQUIRE);
	features = __atomic_load_n(&dev->features, __ATOMIC_RELAXED);
	if (rx->hold_n > 0 && !rx->vq.broken) {
		if (rx->vq.packed)
			hold_drain(dev, rx, mem, log, features, gen, &t, true);
		else
			hold_drain(dev, rx, mem, log, features, gen, &t, false);
		enqueue_done(rx, log, &t);
	}
	rte_spinlock_unlock(&rx->hold_lock);
}

/* enqueue_burst() with an IOTLB: the hold first, then the new packets, which
 * go behind any packet still held; a miss holds the packet that missed and
 * those after it (the hold is bounded: beyond, 'iotlb_hold_full' drops). */
static __rte_always_inline uint16_t
enqueue_burst_iotlb(struct vhu_dev *dev, struct vhu_vring *vr, struct rte_mbuf **pkts, uint16_t n,
		    const bool packed)
{
	const struct vhu_mem *mem;
	const struct vhu_log *log;
	struct enq_tally t = {0};
	uint64_t features;
	uint32_t gen;
	uint16_t i = 0, k;
	int stop = 0;

	if (unlikely(vr->vq.broken)) {
		stat_add(&vr->drops[VHU_DROP_BROKEN], n);
		return 0;
	}
	mem = __atomic_load_n(&dev->mem, __ATOMIC_ACQUIRE);
	log = __atomic_load_n(&dev->log, __ATOMIC_ACQUIRE);
	features = __atomic_load_n(&dev->features, __ATOMIC_RELAXED);
	rte_spinlock_lock(&vr->hold_lock);
	if (unlikely(!vhu_iotlb_read_begin(dev, vr))) {
		/* An update is being written: nothing touches the ring now. */
		k = hold_put(vr, pkts, n);
		rte_spinlock_unlock(&vr->hold_lock);
		if (k < n)
			stat_add(&vr->drops[VHU_DROP_IOTLB_HOLD_FULL], n - k);
		return k;
	}
	gen = __atomic_load_n(&dev->iotlb_gen, __ATOMIC_RELAXED);
	if (vr->hold_n == 0 || hold_drain(dev, vr, mem, log, features, gen, &t, packed)) {
		i = enqueue_run(dev, vr, pkts, n, mem, log, features, gen, &t, &stop, packed, true);
		if (stop == -ENOENT) {
			iotlb_report(dev, vr, VHU_IOTLB_MISS, gen);
			stat_add(&vr->iotlb_waits, 1);
		} else if (stop != 0) {
			stat_add(&vr->drops[stop == -EIO ? VHU_DROP_BROKEN : VHU_DROP_NO_BUFFERS],
				 n - i);
		}
	} else {
		stop = -ENOENT; /* older packets are still held: these wait behind */
	}
	enqueue_done(vr, log, &t);
	vhu_iotlb_read_end(vr);
	rte_pktmbuf_free_bulk(pkts, i);
	k = i;
	if (stop == -ENOENT) {
		k = (uint16_t)(i + hold_put(vr, &pkts[i], (uint16_t)(n - i)));
		if (k < n)
			stat_add(&vr->drops[VHU_DROP_IOTLB_HOLD_FULL], n - k);
	}
	rte_spinlock_unlock(&vr->hold_lock);
	return k;
}

uint16_t
vhu_dev_enqueue(struct vhu_dev *dev, uint16_t qp, struct rte_mbuf **pkts, uint16_t n)
{
	struct vhu_vring *vr = &dev->vr[2 * qp];

	if (!__atomic_load_n(&vr->running, __ATOMIC_ACQUIRE)) {
		stat_add(&vr->drops[VHU_DROP_DOWN], n);
		return 0;
	}
	if (unlikely(vr->vq.iotlb != NULL))
		return vr->vq.packed ? enqueue_burst_iotlb(dev, vr, pkts, n, true)
				     : enqueue_burst_iotlb(dev, vr, pkts, n, false);
	return vr->vq.packed ? enqueue_burst(dev, vr, pkts, n, true)
			     : enqueue_burst(dev, vr, pkts, n, false);
}
