/* One virtqueue seen from the device side: split (virtio 1.2 §2.7) or packed
 * (§2.8) layout, over guest memory described by a vhu_mem table.
 *
 * Design. Pure C, no DPDK, no I/O: the fast path of the vhost-user port is
 * vhu_vq_pop() → copy between the chain's iovs and mbufs (vhu_net.c) →
 * vhu_vq_push() → vhu_vq_flush() → vhu_vq_need_call(). It is unit-tested and
 * fuzzed over fake guest memory (tests/fuzz/fuzz_vhu_vq.c).
 *
 * Guest-written data is untrusted (bad-input.md classes 1-7, promises P2, P3):
 *  - every descriptor, the avail index, a head index and a packed descriptor's
 *    flags are read from guest memory exactly once into a local copy; checks and
 *    use work on the copy (class 6, no double fetch);
 *  - a chain walk stops after 'size' hops (an indirect table: after its entry
 *    count); a loop, a chain longer than the ring, an index or id out of range,
 *    an avail index that moved by more than 'size', a packed chain that runs
 *    into a descriptor not marked available for the current wrap counter, an
 *    indirect descriptor without VIRTIO_F_INDIRECT_DESC, an indirect table that
 *    is empty, not a multiple of 16 bytes, larger than 'size' entries, not inside
 *    one memory region, nested (split; in a packed table every flag but WRITE is
 *    ignored, §2.8.7), or combined with NEXT, a device-readable descriptor after
 *    a device-writable one, more than 2^32 - 1 bytes in either direction, or an
 *    address range (addr + len, checked without wrapping) that is not entirely
 *    inside guest memory, marks the queue broken (vq->broken set, reason in
 *    vq->broken_reason, a static string). A broken queue does nothing more (pop
 *    returns -EIO, push and flush do nothing, need_call says false) until
 *    vhu_vq_setup() runs again;
 *  - a buffer that spans two adjacent regions becomes two iovs; a hole is an error;
 *  - a descriptor of length 0 adds no iov and its address is not translated;
 *  - direct descriptors followed by one indirect descriptor (without NEXT) form
 *    one chain (§2.7.5.3, "Indirect Descriptors": devices must accept this in
 *    split rings).
 *
 * VIRTIO_F_ACCESS_PLATFORM (a vIOMMU; vhost-user.rst, "IOMMU support"): with a
 * device IOTLB in the layout, descriptor and indirect-table addresses are IOVAs,
 * translated IOVA → front-end address (iommu_as_translate(), permission
 * checked: READ for what the device reads, WRITE for what it writes) → our
 * address (the memory table's uva index). A buffer may span several IOTLB
 * entries and regions (one iov per piece); an indirect table that is not
 * contiguous in our address space (IOVA pages that map to scattered guest
 * pages) is copied, piece by piece, into the queue's bounce buffer and read
 * from there. A translation that misses consumes
 * nothing: pop returns -ENOENT and records the IOVA and permission
 * (vq->fault_iova, vq->fault_perm) for the caller to ask the front-end; the
 * same chain is walked again at the next pop. A permission violation consumes
 * the chain without using it (-EACCES, like -ENOBUFS).
 *
 * Concurrency. The control thread calls vhu_vq_setup(), vhu_vq_set_base() and
 * vhu_vq_get_base() only while no PMD uses the queue (the device stops the
 * queue and waits for an RCU grace period first). Everything else runs on the
 * one PMD that serves the queue. The guest runs concurrently: loads of indexes
 * and flags it publishes are acquire loads, our stores of used indexes and
 * flags are release stores (virtio 1.2 §2.7.13, §2.8.21).
 */
#ifndef VHU_VQ_H
#define VHU_VQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommu.h"
#include "iovs_err.h"
#include "vhu_mem.h"

/* Descriptor flags (both layouts) and ring flags (virtio 1.2 §2.7.5, §2.8). */
#define VHU_DESC_F_NEXT		 1u
#define VHU_DESC_F_WRITE	 2u
#define VHU_DESC_F_INDIRECT	 4u
#define VHU_DESC_F_AVAIL	 (1u << 7)  /* packed */
#define VHU_DESC_F_USED		 (1u << 15) /* packed */
#define VHU_AVAIL_F_NO_INTERRUPT 1u	    /* split, driver → device */
#define VHU_USED_F_NO_NOTIFY	 1u	    /* split, device → driver */
#define VHU_EVENT_F_ENABLE	 0u	    /* packed event suppression */
#define VHU_EVENT_F_DISABLE	 1u
#define VHU_EVENT_F_DESC	 2u

/* Guest layouts (little-endian; iovs runs on little-endian hosts only). */
struct vhu_split_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vhu_split_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* [size], then used_event */
};

struct vhu_split_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vhu_split_used {
	uint16_t flags;
	uint16_t idx;
	struct vhu_split_used_elem ring[]; /* [size], then avail_event */
};

struct vhu_packed_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

struct vhu_packed_event {
	uint16_t off_wrap; /* bits 0-14 descriptor offset, bit 15 wrap counter */
	uint16_t flags;	   /* VHU_EVENT_F_* */
};

/* Dirty-page log for live migration (vhost-user.rst, "Migration"): one bit per
 * 4 KiB guest page, bit (gpa / 4096) % 8 of byte gpa / 4096 / 8. Writes set
 * bits atomically (the front-end reads and clears them concurrently); pages
 * beyond 'size' bytes of bitmap are not logged. */
#define VHU_LOG_PAGE 4096u

struct vhu_log {
	uint8_t *bitmap;
	uint64_t size; /* bytes */
};

/* Marks guest pages [gpa, gpa + len) dirty. log NULL or len 0: nothing. */
void vhu_log_write(const struct vhu_log *log, uint64_t gpa, uint64_t len);

/* One guest buffer piece: 'len' bytes at our address 'base', guest address 'gpa'. */
struct vhu_iov {
	void *base;
	uint64_t gpa;
	uint32_t len;
};

/* Most iovs one chain may have. A longer chain that is otherwise valid is
 * consumed but not usable: vhu_vq_pop() returns -ENOBUFS. */
#define VHU_CHAIN_MAX_IOV 64

/* One available buffer, as popped. Device-readable pieces come first. */
struct vhu_chain {
	uint16_t id;	 /* split: head index; packed: buffer id (of the last descriptor) */
	uint16_t n_desc; /* ring slots it took: 1 for split; packed: descriptors in the ring */
	uint16_t n_out;	 /* device-readable iovs: iov[0, n_out) */
	uint16_t n_in;	 /* device-writable iovs: iov[n_out, n_out + n_in) */
	uint32_t out_len;
	uint32_t in_len;
	struct vhu_iov iov[VHU_CHAIN_MAX_IOV];
};

/* Where a queue lives, from SET_VRING_NUM and SET_VRING_ADDR, already
 * translated to our addresses by the caller (vhu_vq_ring_sizes() says how many
 * bytes each part needs). */
struct vhu_vq_layout {
	uint16_t size; /* entries, 1..32768; split: a power of two */
	bool packed;
	bool event_idx;	   /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;	   /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	void *desc;	   /* split: descriptor table; packed: descriptor ring */
	void *avail;	   /* split: available ring; packed: driver event suppression */
	void *used;	   /* split: used ring; packed: device event suppression */
	bool log_used;	   /* SET_VRING_ADDR's VHOST_VRING_F_LOG: log our ring writes */
	uint64_t used_gpa; /* split: guest address of 'used' (log_guest_addr), for the log */
	uint64_t desc_gpa; /* packed: guest address of 'desc', for the log: used
			    * descriptors are written into the descriptor ring */
	/* VIRTIO_F_ACCESS_PLATFORM: the device IOTLB descriptor addresses go
	 * through (NULL: they are guest-physical). Read by the PMD serving the
	 * queue under the device's IOTLB read side (vhu_priv.h). */
	const struct iommu_as *iotlb;
	/* With 'iotlb' and 'indirect': VHU_DESC_SIZE x 'size' bytes the queue
	 * copies a scattered indirect table into (owned by the caller, used only
	 * by the PMD serving the queue). Required then; ignored otherwise. */
	uint8_t *ind_bounce;
};

struct vhu_vq {
	/* Set by vhu_vq_setup(). */
	uint16_t size;
	bool packed;
	bool event_idx;
	bool indirect;
	bool log_used;
	uint64_t used_gpa;
	uint64_t desc_gpa;
	union {
		struct {
			struct vhu_split_desc *desc;
			struct vhu_split_avail *avail;
			struct vhu_split_used *used;
		} split;
		struct {
			struct vhu_packed_desc *desc;
			struct vhu_packed_event *driver; /* written by the driver */
			struct vhu_packed_event *device; /* written by us */
		} pk;
	};

	/* PMD state. */
	uint16_t last_avail_idx; /* split: free-running; packed: slot 0..size-1 */
	bool avail_wrap;	 /* packed */
	uint16_t shadow_avail;	 /* split: last avail->idx read */
	uint16_t last_used_idx;	 /* split: free-running; packed: slot */
	bool used_wrap;		 /* packed */
	uint16_t pending_used;	 /* pushed, not yet flushed */
	uint16_t batch_head;	 /* packed: slot of the first pushed, unflushed descriptor */
	uint16_t batch_head_flags;
	uint16_t signalled_used;  /* used index at the last vhu_vq_need_call() (packed:
				  * slot | wrap << 15) */
	bool signalled_valid;	  /* false after setup and set_base: call once */
	uint32_t used_since_call; /* entries (split) or slots (packed) published
				   * since the last vhu_vq_need_call(), saturating */
	bool broken;
	const char *broken_reason;
	/* PMD: the region the last translated buffer was in, a hint for the next
	 * one (guests reuse a few buffers, mostly in one region). Valid only for
	 * the table 'hint_mem' points to: a pop with another table misses, and
	 * vhu_vq_setup() clears both, which every ring start after a memory-table
	 * swap runs (so a new table at a freed one's address never meets a stale
	 * hint). A hit still checks that the whole buffer lies in the region. */
	const struct vhu_mem *hint_mem;
	const struct vhu_mem_region *hint;
	/* IOTLB (set by vhu_vq_setup()); with it the hint is checked by uva. */
	const struct iommu_as *iotlb;
	uint8_t *ind_bounce; /* vhu_vq_layout.ind_bounce */
	/* The IOVA and IOMMU_PERM_* of the last translation that missed (-ENOENT)
	 * or was refused (-EACCES). */
	uint64_t fault_iova;
	unsigned fault_perm;
};

/* Bytes needed by each part of a ring of 'size' entries (split: desc, avail
 * with used_event, used with avail_event; packed: desc, event, event) and the
 * alignment each needs (virtio 1.2 §2.7, §2.8.10). */
struct vhu_vq_sizes {
	size_t bytes[3];
	size_t align[3];
};
void vhu_vq_ring_sizes(uint16_t size, bool packed, struct vhu_vq_sizes *out);

/* Resets 'vq' and points it at 'l'. Returns 0, or -EINVAL (size 0 or above
 * 32768, split size not a power of two, a NULL or misaligned part) with the
 * reason in 'err'. On success the queue is not broken, indexes are 0 and packed
 * wrap counters 1 (§2.8.1; see vhu_vq_set_base()), and kick suppression is
 * written (split: used->flags = NO_NOTIFY; packed: device event flags =
 * DISABLE): iovs polls. */
int vhu_vq_setup(struct vhu_vq *vq, const struct vhu_vq_layout *l, struct iovs_err *err);

/* SET_VRING_BASE / GET_VRING_BASE. Split: the 16-bit next avail index; the used
 * index is set to the same value (nothing is in flight when a queue stops).
 * Packed: bits 0-14 the avail slot, bit 15 the avail wrap counter; used
 * slot and wrap are set equal to them. set_base ignores bits 16-31 and returns
 * -EINVAL for a packed slot >= size. get_base of a packed queue also reports
 * the used slot and wrap in bits 16-30 and 31, where QEMU reads them back
 * (virtio_queue_set_last_avail_idx()). Both forget the notification state:
 * the next vhu_vq_need_call() that has something to report says true. */
int vhu_vq_set_base(struct vhu_vq *vq, uint32_t base);
uint32_t vhu_vq_get_base(const struct vhu_vq *vq);

/* Our pointer to IOVAs [iova, iova + len) through the device IOTLB 'iotlb' and
 * the memory table 'mem', every byte with permission 'perm' (IOMMU_PERM_*),
 * when the bytes are contiguous in our address space (they may span several
 * IOTLB entries, but one memory region): ring areas, indirect tables. Sets
 * '*host' and, when 'gpa' is not NULL, '*gpa' to the guest address of the
 * first byte. len 0 is taken as 1 (the address must still translate).
 * Returns 0, or: -ENOENT when a byte is not mapped (*fault: the first such
 * IOVA), -EACCES when an entry lacks 'perm' (*fault), -EFAULT when the bytes
 * leave guest memory, are not contiguous, or wrap past 2^64. */
int vhu_iotlb_to_host(const struct iommu_as *iotlb, const struct vhu_mem *mem, uint64_t iova,
		      uint64_t len, unsigned perm, void **host, uint64_t *gpa, uint64_t *fault);

/* vhu_iotlb_to_host() for bytes that need not be contiguous in our address
 * space: copies them, piece by piece, to 'dst'. Returns 0, -ENOENT or -EACCES
 * (*fault), or -EFAULT when a byte is outside guest memory or the range wraps
 * past 2^64. len 0 copies nothing. */
int vhu_iotlb_copy(const struct iommu_as *iotlb, const struct vhu_mem *mem, uint64_t iova,
		   uint64_t len, unsigned perm, void *dst, uint64_t *fault);

/* --- Fast path: the PMD serving the queue. --- */

/* Takes the next available buffer. Returns 0 and fills 'c'; -EAGAIN when the
 * driver has made nothing available; -ENOBUFS when the chain is valid but has
 * more than VHU_CHAIN_MAX_IOV pieces (it is consumed: c->id and c->n_desc are
 * set, push it back with len 0; pieces past the limit are counted but their
 * addresses are not translated, which bounds the work a guest can cause);
 * -EIO when the queue is (now) broken. With an IOTLB: -ENOENT when an address
 * of the chain is not in it (nothing consumed; vq->fault_iova/fault_perm say
 * what to ask for), -EACCES when an entry lacks the permission the access
 * needs (consumed as for -ENOBUFS: push it back with len 0). Split re-reads
 * avail->idx only once the entries seen at the last read are consumed. */
int vhu_vq_pop(struct vhu_vq *vq, const struct vhu_mem *mem, struct vhu_chain *c);

/* Gives back the chains popped last, newest first, when they cannot be used
 * now (an rx packet that needs more buffers than are available). */
void vhu_vq_unpop(struct vhu_vq *vq, const struct vhu_chain *c);

/* Returns 'c' to the driver as used, with 'len' bytes written into its
 * device-writable part. Visible to the driver only after vhu_vq_flush().
 * Chains are pushed in the order they were popped. */
void vhu_vq_push(struct vhu_vq *vq, const struct vhu_chain *c, uint32_t len,
		 const struct vhu_log *log);

/* Publishes pushed chains (split: used->idx with release; packed: the flags of
 * the batch's first descriptor, written last with release), logging the used
 * ring writes when vq->log_used. No-op when nothing is pending. A packed used
 * descriptor has AVAIL = USED = the used wrap counter, and WRITE when len > 0
 * (§2.8.4: its len is meaningful only then). */
void vhu_vq_flush(struct vhu_vq *vq, const struct vhu_log *log);

/* After a flush that published something: whether the driver asked for an
 * interrupt (split: VHU_AVAIL_F_NO_INTERRUPT clear, or with event_idx the
 * used_event rule of §2.7.10; packed: driver event flags ENABLE, or DESC with
 * event_idx and the off_wrap rule of §2.8.10). Updates the signalled state,
 * so call it once per flush and write the call eventfd when it returns true.
 * False when nothing was published since the last call. With event_idx, the
 * first call after setup or set_base, and a call after more entries than the
 * index space holds (65535 split, 2 x size packed slots), say true whatever
 * the event index: a spurious interrupt is harmless, a missed one can hang the
 * driver (P13). */
bool vhu_vq_need_call(struct vhu_vq *vq);

/* Descriptors the driver has made available and we have not popped, read
 * without consuming (split only: the count from avail->idx; packed: 1 if the
 * next slot is available, else 0). A moved-too-far index breaks the queue and
 * returns 0. */
uint16_t vhu_vq_avail_count(struct vhu_vq *vq);

#endif
