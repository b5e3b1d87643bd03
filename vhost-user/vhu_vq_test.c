/* Unit tests of the virtqueues (vhu_vq.c, vhu_vq_split.c, vhu_vq_packed.c).
 * Guest memory is a memfd registered through vhu_mem_create(), each region
 * mapped between PROT_NONE guard pages, and the descriptor ring sits at the
 * very end of a region: an access past guest memory faults in any build.
 * A test-side driver posts buffers in both layouts and reads back what the
 * device used. One named test per bad-input.md item about rings (classes 1-4,
 * 6, 7); class 6 counts guest-memory loads with hardware watchpoints. */
#include <errno.h>
#include <fcntl.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "vhu_mem.h"
#include "vhu_vq.h"

#define PG	 4096u
#define MAX_SIZE 256u

/* Guest physical layout:
 *   region 0  gpa [0, 0x20000)             file [0, 0x20000)
 *   region 1  gpa [0x20000, 0x24000)       file [0x30000, 0x34000)   adjacent in gpa
 *   hole      gpa [0x24000, 0x100000)
 *   region 2  gpa [0x100000, 0x104000)     file [0x40000, 0x44000)
 * The descriptor ring ends where region 2 ends (a guard page follows it). */
#define R0_GPA	  UINT64_C(0x0)
#define R0_SIZE	  UINT64_C(0x20000)
#define R1_GPA	  UINT64_C(0x20000)
#define R1_SIZE	  UINT64_C(0x4000)
#define HOLE_GPA  UINT64_C(0x30000)
#define R2_GPA	  UINT64_C(0x100000)
#define R2_SIZE	  UINT64_C(0x4000)
#define FILE_SIZE 0x50000
#define AVAIL_GPA UINT64_C(0x2000)
#define USED_GPA  UINT64_C(0x3000)
#define IND_GPA	  UINT64_C(0x4000)
#define BUF_GPA	  UINT64_C(0x8000)

#define F_NEXT	VHU_DESC_F_NEXT
#define F_WRITE VHU_DESC_F_WRITE
#define F_IND	VHU_DESC_F_INDIRECT

/* --- Guard-paged mappings of the memfd (the vhu_mem_ops seam). --- */

static size_t
round_pg(size_t n)
{
	return (n + PG - 1) & ~(size_t)(PG - 1);
}

static void *
guard_map(int fd, size_t len, off_t off)
{
	uint8_t *r = mmap(NULL, round_pg(len) + 2 * PG, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	void *p;

	if (r == MAP_FAILED)
		return NULL;
	p = mmap(r + PG, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, off);
	if (p == MAP_FAILED) {
		munmap(r, round_pg(len) + 2 * PG);
		return NULL;
	}
	return p;
}

static void
guard_unmap(void *addr, size_t len)
{
	munmap((uint8_t *)addr - PG, round_pg(len) + 2 * PG);
}

static const struct vhu_mem_ops guard_ops = {.map = guard_map, .unmap = guard_unmap};

static int
memfd_of(uint64_t size)
{
	int fd = memfd_create("vhu_vq_test", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	return fd;
}

/* --- The test guest: memory, one queue, and a driver for it. --- */

struct tg_opts {
	bool packed;
	uint16_t size;
	bool event_idx;
	bool indirect;
	bool log_used;
	uint64_t used_gpa; /* 0: USED_GPA */
};

struct tg {
	struct vhu_mem *mem;
	struct vhu_vq vq;
	struct vhu_vq_layout l;
	uint16_t size;
	bool packed;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* split driver */
	uint16_t avail_idx; /* next avail->idx to publish */
	uint16_t next_desc; /* next descriptor index it fills */
	uint16_t used_seen; /* used entries it consumed */
	/* packed driver: both wrap counters start at 1 (§2.8.1) */
	uint16_t next_avail;
	bool avail_wrap;
	uint16_t next_used;
	bool used_wrap;
	uint16_t n_of_id[MAX_SIZE];
	/* dirty log */
	uint8_t bitmap[64];
	struct vhu_log log;
};

/* One buffer element as the driver describes it. */
struct tbuf {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
};

static void *
gp(const struct tg *g, uint64_t gpa, uint64_t len)
{
	void *p = vhu_mem_gpa_to_host(g->mem, gpa, len);

	assert_non_null(p);
	return p;
}

static struct vhu_mem *
three_regions(void)
{
	int fd = memfd_of(FILE_SIZE);
	struct vhu_mem_region_desc d[3] = {
		{.gpa = R0_GPA, .size = R0_SIZE, .uva = 0x7f0000000000, .mmap_offset = 0, .fd = fd},
		{.gpa = R1_GPA,
		 .size = R1_SIZE,
		 .uva = 0x7f1000000000,
		 .mmap_offset = 0x30000,
		 .fd = dup(fd)},
		{.gpa = R2_GPA,
		 .size = R2_SIZE,
		 .uva = 0x7f2000000000,
		 .mmap_offset = 0x40000,
		 .fd = dup(fd)},
	};
	struct vhu_mem *m = NULL;

	assert_int_equal(vhu_mem_create(d, 3, &guard_ops, &m, NULL), 0);
	return m;
}

static void
tg_init(struct tg *g, const struct tg_opts *o)
{
	struct iovs_err err = {{0}};

	memset(g, 0, sizeof(*g));
	assert_true(o->size <= MAX_SIZE);
	g->mem = three_regions();
	g->size = o->size;
	g->packed = o->packed;
	g->desc_gpa = R2_GPA + R2_SIZE - (uint64_t)o->size * 16;
	g->avail_gpa = AVAIL_GPA;
	g->used_gpa = o->used_gpa != 0 ? o->used_gpa : USED_GPA;
	g->l = (struct vhu_vq_layout){
		.size = o->size,
		.packed = o->packed,
		.event_idx = o->event_idx,
		.indirect = o->indirect,
		.desc = gp(g, g->desc_gpa, (uint64_t)o->size * 16),
		.avail = gp(g, g->avail_gpa, 4),
		.used = gp(g, g->used_gpa, 4),
		.log_used = o->log_used,
		.used_gpa = g->used_gpa,
		.desc_gpa = g->desc_gpa,
	};
	assert_int_equal(vhu_vq_setup(&g->vq, &g->l, &err), 0);
	g->avail_wrap = true;
	g->used_wrap = true;
	g->log.bitmap = g->bitmap;
	g->log.size = sizeof(g->bitmap);
}

static void
tg_fini(struct tg *g)
{
	vhu_mem_destroy(g->mem);
}

static struct vhu_split_desc *
split_desc(const struct tg *g, uint16_t i)
{
	return (struct vhu_split_desc *)g->l.desc + i;
}

static struct vhu_split_avail *
avail(const struct tg *g)
{
	return g->l.avail;
}

static struct vhu_split_used *
used(const struct tg *g)
{
	return g->l.used;
}

static struct vhu_packed_desc *
pk_desc(const struct tg *g, uint16_t slot)
{
	return (struct vhu_packed_desc *)g->l.desc + slot;
}

static struct vhu_packed_event *
pk_driver(const struct tg *g)
{
	return g->l.avail;
}

static void
split_set_desc(struct tg *g, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	*split_desc(g, i) = (struct vhu_split_desc){addr, len, flags, next};
}

/* Puts 'head' in the avail ring and publishes it. */
static void
split_publish(struct tg *g, uint16_t head)
{
	avail(g)->ring[g->avail_idx % g->size] = head;
	g->avail_idx++;
	__atomic_store_n(&avail(g)->idx, g->avail_idx, __ATOMIC_RELEASE);
}

/* Posts a chain in consecutive table entries from g->next_desc; returns its head. */
static uint16_t
split_post(struct tg *g, const struct tbuf *b, unsigned n)
{
	uint16_t head = g->next_desc;
	unsigned i;

	for (i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % g->size);

		split_set_desc(g, idx, b[i].addr, b[i].len,
			       (uint16_t)(b[i].flags | (i + 1 < n ? F_NEXT : 0)),
			       (uint16_t)((idx + 1) % g->size));
	}
	g->next_desc = (uint16_t)((head + n) % g->size);
	split_publish(g, head);
	return head;
}

/* The driver reads the next used entry; false when there is none. */
static bool
split_take_used(struct tg *g, uint32_t *id, uint32_t *len)
{
	uint16_t idx = __atomic_load_n(&used(g)->idx, __ATOMIC_ACQUIRE);

	if (idx == g->used_seen)
		return false;
	*id = used(g)->ring[g->used_seen % g->size].id;
	*len = used(g)->ring[g->used_seen % g->size].len;
	g->used_seen++;
	return true;
}

static uint16_t
pk_avail_flags(const struct tg *g)
{
	return g->avail_wrap ? VHU_DESC_F_AVAIL : VHU_DESC_F_USED;
}

/* Posts a packed chain with buffer id 'id' (in every descriptor), writing
 * the first descriptor's flags last. Returns its first slot. */
static uint16_t
packed_post(struct tg *g, const struct tbuf *b, unsigned n, uint16_t id)
{
	uint16_t first = g->next_avail, first_flags = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		struct vhu_packed_desc *d = pk_desc(g, g->next_avail);
		uint16_t f = (uint16_t)(b[i].flags | (i + 1 < n ? F_NEXT : 0) | pk_avail_flags(g));

		d->addr = b[i].addr;
		d->len = b[i].len;
		d->id = id;
		if (i == 0)
			first_flags = f;
		else
			__atomic_store_n(&d->flags, f, __ATOMIC_RELEASE);
		if (++g->next_avail == g->size) {
			g->next_avail = 0;
			g->avail_wrap = !g->avail_wrap;
		}
	}
	if (id < MAX_SIZE)
		g->n_of_id[id] = (uint16_t)n;
	__atomic_store_n(&pk_desc(g, first)->flags, first_flags, __ATOMIC_RELEASE);
	return first;
}

/* The driver reads the next used descriptor; false when there is none. */
static bool
packed_take_used(struct tg *g, uint32_t *id, uint32_t *len, uint16_t *flags)
{
	struct vhu_packed_desc *d = pk_desc(g, g->next_used);
	uint16_t f = __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE);

	if (!!(f & VHU_DESC_F_USED) != g->used_wrap || !!(f & VHU_DESC_F_AVAIL) != g->used_wrap)
		return false;
	*id = d->id;
	*len = d->len;
	*flags = f;
	assert_true(*id < g->size);
	g->next_used = (uint16_t)(g->next_used + g->n_of_id[*id]);
	if (g->next_used >= g->size) {
		g->next_used = (uint16_t)(g->next_used - g->size);
		g->used_wrap = !g->used_wrap;
	}
	return true;
}

/* Posts in whichever layout 'g' has; 'id' is the packed buffer id. Returns
 * the id the device will report. */
static uint16_t
post(struct tg *g, const struct tbuf *b, unsigned n, uint16_t id)
{
	if (g->packed) {
		packed_post(g, b, n, id);
		return id;
	}
	return split_post(g, b, n);
}

static bool
take_used(struct tg *g, uint32_t *id, uint32_t *len)
{
	uint16_t flags;

	if (!g->packed)
		return split_take_used(g, id, len);
	if (!packed_take_used(g, id, len, &flags))
		return false;
	/* §2.8.4: WRITE in a used descriptor says whether len means anything. */
	assert_int_equal(!!(flags & F_WRITE), *len > 0);
	return true;
}

static void
assert_iov(const struct tg *g, const struct vhu_chain *c, unsigned i, uint64_t gpa, uint32_t len)
{
	assert_true(i < (unsigned)c->n_out + c->n_in);
	assert_int_equal(c->iov[i].gpa, gpa);
	assert_int_equal(c->iov[i].len, len);
	assert_ptr_equal(c->iov[i].base, gp(g, gpa, len));
}

/* The queue broke for 'why' (a word of the reason) and stays inert. */
static void
assert_broken(struct tg *g, int rc, const char *why)
{
	struct vhu_chain c;
	uint16_t used_before = g->packed ? 0 : used(g)->idx;

	assert_int_equal(rc, -EIO);
	assert_true(g->vq.broken);
	assert_non_null(g->vq.broken_reason);
	if (strstr(g->vq.broken_reason, why) == NULL)
		fail_msg("reason \"%s\" does not say \"%s\"", g->vq.broken_reason, why);
	assert_int_equal(vhu_vq_pop(&g->vq, g->mem, &c), -EIO);
	assert_int_equal(vhu_vq_avail_count(&g->vq), 0);
	memset(&c, 0, sizeof(c));
	vhu_vq_push(&g->vq, &c, 1, NULL);
	vhu_vq_flush(&g->vq, NULL);
	assert_false(vhu_vq_need_call(&g->vq));
	if (!g->packed)
		assert_int_equal(used(g)->idx, used_before);
}

static void
pop_ok(struct tg *g, struct vhu_chain *c)
{
	int rc = vhu_vq_pop(&g->vq, g->mem, c);

	if (rc != 0)
		fail_msg("pop: %d (%s)", rc, g->vq.broken_reason ? g->vq.broken_reason : "");
}

/* --- Geometry and setup. --- */

static void
test_ring_sizes(void **state)
{
	struct vhu_vq_sizes s;

	(void)state;
	vhu_vq_ring_sizes(256, false, &s);
	assert_int_equal(s.bytes[0], 4096);
	assert_int_equal(s.bytes[1], 6 + 2 * 256);
	assert_int_equal(s.bytes[2], 6 + 8 * 256);
	assert_int_equal(s.align[0], 16);
	assert_int_equal(s.align[1], 2);
	assert_int_equal(s.align[2], 4);
	vhu_vq_ring_sizes(100, true, &s);
	assert_int_equal(s.bytes[0], 1600);
	assert_int_equal(s.bytes[1], 4);
	assert_int_equal(s.bytes[2], 4);
	assert_int_equal(s.align[0], 16);
	assert_int_equal(s.align[1], 4);
	assert_int_equal(s.align[2], 4);
	vhu_vq_ring_sizes(32768, false, &s);
	assert_int_equal(s.bytes[0], 32768 * 16);
}

static void
test_setup_refuses_bad_layouts_and_suppresses_kicks(void **state)
{
	struct tg g;
	struct vhu_vq vq;
	struct vhu_vq_layout l;
	struct iovs_err err;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8});
	assert_int_equal(used(&g)->flags, VHU_USED_F_NO_NOTIFY);
	assert_int_equal(vhu_vq_get_base(&g.vq), 0);

#define REFUSED(field, value)                                                                      \
	do {                                                                                       \
		l = g.l;                                                                           \
		l.field = value;                                                                   \
		err.msg[0] = 0;                                                                    \
		assert_int_equal(vhu_vq_setup(&vq, &l, &err), -EINVAL);                            \
		assert_true(err.msg[0] != 0);                                                      \
	} while (0)
	REFUSED(size, 0);
	REFUSED(size, 32769);
	REFUSED(size, 6);
	REFUSED(desc, NULL);
	REFUSED(avail, NULL);
	REFUSED(used, NULL);
	REFUSED(desc, (uint8_t *)g.l.desc + 8);
	REFUSED(avail, (uint8_t *)g.l.avail + 1);
	REFUSED(used, (uint8_t *)g.l.used + 2);
	l = g.l;
	l.packed = true;
	l.size = 6; /* packed sizes need not be powers of two */
	assert_int_equal(vhu_vq_setup(&vq, &l, NULL), 0);
	assert_int_equal(pk_driver(&g)->flags, 0);
	assert_int_equal(((struct vhu_packed_event *)l.used)->flags, VHU_EVENT_F_DISABLE);
	/* Both wrap counters start at 1. */
	assert_int_equal(vhu_vq_get_base(&vq), 0x80008000u);
	l.avail = (uint8_t *)g.l.avail + 2;
	assert_int_equal(vhu_vq_setup(&vq, &l, NULL), -EINVAL);
	l.avail = g.l.avail;
	l.used = (uint8_t *)g.l.used + 2;
	assert_int_equal(vhu_vq_setup(&vq, &l, NULL), -EINVAL);
#undef REFUSED
	tg_fini(&g);
}

/* --- Chains. --- */

static void
test_empty_ring_returns_eagain(void **state)
{
	struct vhu_chain c;
	struct tg g;
	int packed;

	(void)state;
	for (packed = 0; packed < 2; packed++) {
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8});
		assert_int_equal(vhu_vq_pop(&g.vq, g.mem, &c), -EAGAIN);
		assert_int_equal(vhu_vq_pop(&g.vq, g.mem, &c), -EAGAIN);
		assert_false(g.vq.broken);
		assert_int_equal(vhu_vq_avail_count(&g.vq), 0);
		tg_fini(&g);
	}
}

static void
test_split_simple_chain(void **state)
{
	struct tbuf b = {BUF_GPA, 100, 0};
	struct vhu_chain c;
	uint16_t head;
	struct tg g;
	int i;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8});
	head = split_post(&g, &b, 1);
	pop_ok(&g, &c);
	assert_int_equal(c.id, head);
	assert_int_equal(c.n_desc, 1);
	assert_int_equal(c.n_out, 1);
	assert_int_equal(c.n_in, 0);
	assert_int_equal(c.out_len, 100);
	assert_int_equal(c.in_len, 0);
	assert_iov(&g, &c, 0, BUF_GPA, 100);
	assert_int_equal(vhu_vq_pop(&g.vq, g.mem, &c), -EAGAIN);
	/* Two more, popped in order. */
	for (i = 0; i < 2; i++) {
		b.addr = BUF_GPA + 0x1000 * (i + 1);
		split_post(&g, &b, 1);
	}
	for (i = 0; i < 2; i++) {
		pop_ok(&g, &c);
		assert_int_equal(c.id, i + 1);
		assert_iov(&g, &c, 0, BUF_GPA + 0x1000 * (i + 1), 100);
	}
	assert_int_equal(vhu_vq_pop(&g.vq, g.mem, &c), -EAGAIN);
	tg_fini(&g);
}

static void
test_packed_simple_chain(void **state)
{
	struct tbuf b[3] = {{BUF_GPA, 10, 0}, {BUF_GPA + 0x100, 20, 0}, {BUF_GPA + 0x200, 30, 0}};
	struct vhu_chain c;
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.packed = true, .size = 8});
	packed_post(&g, b, 1, 5);
	pop_ok(&g, &c);
	assert_int_equal(c.id, 5);
	assert_int_equal(c.n_desc, 1);
	assert_int_equal(c.n_out, 1);
	assert_int_equal(c.out_len, 10);
	assert_iov(&g, &c, 0, BUF_GPA, 10);
	assert_int_equal(vhu_vq_pop(&g.vq, g.mem, &c), -EAGAIN);
	packed_post(&g, b, 3, 2);
	pop_ok(&g, &c);
	assert_int_equal(c.id, 2);
	assert_int_equal(c.n_desc, 3);
	assert_int_equal(c.n_out, 3);
	assert_int_equal(c.out_len, 60);
	assert_iov(&g, &c, 0, BUF_GPA, 10);
	assert_iov(&g, &c, 1, BUF_GPA + 0x100, 20);
	assert_iov(&g, &c, 2, BUF_GPA + 0x200, 30);
	assert_int_equal(g.vq.last_avail_idx, 4);
	assert_int_equal(vhu_vq_pop(&g.vq, g.mem, &c), -EAGAIN);
	tg_fini(&g);
}

static void
test_readable_and_writable_chain_both_layouts(void **state)
{
	struct tbuf b[4] = {{BUF_GPA, 12, 0},
			    {BUF_GPA + 0x100, 50, 0},
			    {BUF_GPA + 0x1000, 1500, F_WRITE},
			    {BUF_GPA + 0x2000, 64, F_WRITE}};
	struct vhu_chain c;
	struct tg g;
	int packed;

	(void)state;
	for (packed = 0; packed < 2; packed++) {
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 16});
		post(&g, b, 4, 9);
		pop_ok(&g, &c);
		assert_int_equal(c.n_out, 2);
		assert_int_equal(c.n_in, 2);
		assert_int_equal(c.out_len, 62);
		assert_int_equal(c.in_len, 1564);
		assert_int_equal(c.n_desc, packed ? 4 : 1);
		assert_iov(&g, &c, 0, BUF_GPA, 12);
		assert_iov(&g, &c, 1, BUF_GPA + 0x100, 50);
		assert_iov(&g, &c, 2, BUF_GPA + 0x1000, 1500);
		assert_iov(&g, &c, 3, BUF_GPA + 0x2000, 64);
		/* Writable only. */
		post(&g, &b[2], 2, 3);
		pop_ok(&g, &c);
		assert_int_equal(c.n_out, 0);
		assert_int_equal(c.n_in, 2);
		assert_iov(&g, &c, 0, BUF_GPA + 0x1000, 1500);
		tg_fini(&g);
	}
}

static void
test_readable_after_writable_breaks(void **state)
{
	struct tbuf b[2] = {{BUF_GPA, 64, F_WRITE}, {BUF_GPA + 0x100, 12, 0}};
	struct vhu_chain c;
	struct tg g;
	int packed;

	(void)state;
	for (packed = 0; packed < 2; packed++) {
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8});
		post(&g, b, 2, 0);
		assert_broken(&g, vhu_vq_pop(&g.vq, g.mem, &c), "device-readable");
		tg_fini(&g);
	}
}

/* --- Indirect descriptors. --- */

static struct vhu_split_desc *
ind_table(const struct tg *g, uint64_t gpa, unsigned n)
{
	return gp(g, gpa, n * 16u);
}

static void
test_split_indirect(void **state)
{
	struct vhu_split_desc *t;
	struct vhu_chain c;
	struct tbuf b;
	uint16_t head;
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8, .indirect = true});
	/* Entries chained 0 -> 2 -> 1 inside the table. */
	t = ind_table(&g, IND_GPA, 3);
	t[0] = (struct vhu_split_desc){BUF_GPA, 12, F_NEXT, 2};
	t[2] = (struct vhu_split_desc){BUF_GPA + 0x100, 100, F_NEXT, 1};
	t[1] = (struct vhu_split_desc){BUF_GPA + 0x1000, 2000, F_WRITE, 0};
	/* WRITE on the descriptor that points to a table is ignored (§2.7.5.3). */
	b = (struct tbuf){IND_GPA, 48, F_IND | F_WRITE};
	head = split_post(&g, &b, 1);
	pop_ok(&g, &c);
	assert_int_equal(c.id, head);
	assert_int_equal(c.n_desc, 1);
	assert_int_equal(c.n_out, 2);
	assert_int_equal(c.n_in, 1);
	assert_iov(&g, &c, 0, BUF_GPA, 12);
	assert_iov(&g, &c, 1, BUF_GPA + 0x100, 100);
	assert_iov(&g, &c, 2, BUF_GPA + 0x1000, 2000);
	tg_fini(&g);
}

static void
test_split_direct_descriptors_then_indirect(void **state)
{
	struct tbuf b[2] = {{BUF_GPA, 12, 0}, {IND_GPA, 32, F_IND}};
	struct vhu_split_desc *t;
	struct vhu_chain c;
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8, .indirect = true});
	t = ind_table(&g, IND_GPA, 2);
	t[0] = (struct vhu_split_desc){BUF_GPA + 0x100, 20, F_NEXT, 1};
	t[1] = (struct vhu_split_desc){BUF_GPA + 0x1000, 30, F_WRITE, 0};
	split_post(&g, b, 2);
	pop_ok(&g, &c);
	assert_int_equal(c.n_out, 2);
	assert_int_equal(c.n_in, 1);
	assert_iov(&g, &c, 0, BUF_GPA, 12);
	assert_iov(&g, &c, 1, BUF_GPA + 0x100, 20);
	assert_iov(&g, &c, 2, BUF_GPA + 0x1000, 30);
	tg_fini(&g);
}

/* Writes packed descriptor 'd' at 'p', which need not be aligned. */
static void
put_pk(uint8_t *p, struct vhu_packed_desc d)
{
	memcpy(p, &d, sizeof(d));
}

static void
test_packed_indirect(void **state)
{
	struct vhu_chain c;
	struct tbuf b = {IND_GPA + 4, 48, F_IND}; /* tables need no alignment */
	struct tg g;
	uint8_t *t;

	(void)state;
	tg_init(&g, &(struct tg_opts){.packed = true, .size = 8, .indirect = true});
	t = gp(&g, IND_GPA + 4, 48);
	/* Entries are consecutive; flags other than WRITE and ids are ignored. */
	put_pk(t, (struct vhu_packed_desc){BUF_GPA, 12, 77, 0});
	put_pk(t + 16, (struct vhu_packed_desc){BUF_GPA + 0x100, 100, 0, F_NEXT | F_IND});
	put_pk(t + 32, (struct vhu_packed_desc){BUF_GPA + 0x1000, 2000, 0, F_WRITE});
	packed_post(&g, &b, 1, 6);
	pop_ok(&g, &c);
	assert_false(g.vq.broken);
	assert_int_equal(c.id, 6);
	assert_int_equal(c.n_desc, 1);
	assert_int_equal(c.n_out, 2);
	assert_int_equal(c.n_in, 1);
	assert_iov(&g, &c, 0, BUF_GPA, 12);
	assert_iov(&g, &c, 1, BUF_GPA + 0x100, 100);
	assert_iov(&g, &c, 2, BUF_GPA + 0x1000, 2000);
	tg_fini(&g);
}

/* --- Index wrap-around. --- */

static void
test_split_index_wraps_at_65536(void **state)
{
	struct tbuf b[2] = {{BUF_GPA, 10, 0}, {BUF_GPA + 0x1000, 500, F_WRITE}};
	struct vhu_chain c[4];
	uint32_t id, len;
	struct tg g;
	int round, i;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8});
	assert_int_equal(vhu_vq_set_base(&g.vq, 65530), 0);
	g.avail_idx = g.used_seen = 65530;
	avail(&g)->idx = 65530;
	used(&g)->idx = 65530;
	/* Four chains of two descriptors per round fill the table. */
	for (round = 0; round < 5; round++) {
		uint16_t heads[4];

		for (i = 0; i < 4; i++)
			heads[i] = split_post(&g, b, 2);
		assert_int_equal(vhu_vq_avail_count(&g.vq), 4);
		for (i = 0; i < 4; i++) {
			pop_ok(&g, &c[i]);
			assert_int_equal(c[i].id, heads[i]);
		}
		for (i = 0; i < 4; i++)
			vhu_vq_push(&g.vq, &c[i], (uint32_t)(round * 10 + i), NULL);
		vhu_vq_flush(&g.vq, NULL);
		for (i = 0; i < 4; i++) {
			assert_true(split_take_used(&g, &id, &len));
			assert_int_equal(id, heads[i]);
			assert_int_equal(len, round * 10 + i);
		}
		assert_false(split_take_used(&g, &id, &len));
		assert_int_equal(used(&g)->idx, (uint16_t)(65530 + 4 * (round + 1)));
	}
	assert_int_equal(vhu_vq_get_base(&g.vq), (uint16_t)(65530 + 20));
	assert_int_equal(g.vq.last_avail_idx, 14);
	tg_fini(&g);
}

/* Size 7 (packed sizes need not be powers of two), chains of 1 to 3
 * descriptors, up to three in flight, over more than six laps. */
static void
test_packed_wrap_counters_over_several_laps(void **state)
{
	struct tbuf b[3] = {
		{BUF_GPA, 10, 0}, {BUF_GPA + 0x100, 20, F_WRITE}, {BUF_GPA + 0x200, 30, F_WRITE}};
	struct vhu_chain c[3];
	unsigned step, lap_flips = 0, slots = 0;
	uint32_t id, len;
	bool wrap_before;
	struct tg g;
	int i;

	(void)state;
	tg_init(&g, &(struct tg_opts){.packed = true, .size = 7});
	for (step = 0; step < 20; step++) {
		unsigned k = 1 + step % 3, n[3];

		for (i = 0; i < (int)k; i++) {
			n[i] = 1 + (step + (unsigned)i) % 3;
			if (slots + n[i] > 7)
				break;
			packed_post(&g, b, n[i], (uint16_t)i);
			slots += n[i];
		}
		k = (unsigned)i;
		wrap_before = g.vq.avail_wrap;
		for (i = 0; i < (int)k; i++) {
			pop_ok(&g, &c[i]);
			assert_int_equal(c[i].id, i);
			assert_int_equal(c[i].n_desc, n[i]);
			assert_int_equal(c[i].n_out, 1);
			assert_int_equal(c[i].n_in, n[i] - 1);
		}
		assert_int_equal(vhu_vq_pop(&g.vq, g.mem, &c[0]), -EAGAIN);
		lap_flips += g.vq.avail_wrap != wrap_before;
		for (i = 0; i < (int)k; i++)
			vhu_vq_push(&g.vq, &c[i], (uint32_t)(step * 3 + (unsigned)i), NULL);
		vhu_vq_flush(&g.vq, NULL);
		for (i = 0; i < (int)k; i++) {
			assert_true(take_used(&g, &id, &len));
			assert_int_equal(id, i);
			assert_int_equal(len, step * 3 + (unsigned)i);
		}
		assert_false(take_used(&g, &id, &len));
		slots = 0;
		assert_int_equal(g.vq.last_used_idx, g.vq.last_avail_idx);
		assert_int_equal(g.vq.used_wrap, g.vq.avail_wrap);
	}
	assert_true(lap_flips >= 6);
	assert_int_equal(g.vq.avail_wrap, g.avail_wrap);
	assert_int_equal(g.vq.last_avail_idx, g.next_avail);
	tg_fini(&g);
}

/* --- unpop. --- */

static void
test_split_unpop(void **state)
{
	struct tbuf b = {BUF_GPA, 10, 0};
	struct vhu_chain c[3];
	struct tg g;
	int i;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8});
	for (i = 0; i < 3; i++)
		split_post(&g, &b, 1);
	for (i = 0; i < 3; i++)
		pop_ok(&g, &c[i]);
	vhu_vq_unpop(&g.vq, &c[2]);
	vhu_vq_unpop(&g.vq, &c[1]);
	assert_int_equal(vhu_vq_avail_count(&g.vq), 2);
	pop_ok(&g, &c[1]);
	assert_int_equal(c[1].id, 1);
	pop_ok(&g, &c[2]);
	assert_int_equal(c[2].id, 2);
	assert_int_equal(vhu_vq_pop(&g.vq, g.mem, &c[0]), -EAGAIN);
	tg_fini(&g);
}

static void
test_packed_unpop_across_wrap(void **state)
{
	struct tbuf b[2] = {{BUF_GPA, 10, 0}, {BUF_GPA + 0x100, 10, 0}};
	struct vhu_chain c[2], again;
	uint32_t id, len;
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.packed = true, .size = 4});
	/* Use slots 0-1 and give them back, so the next chains start at 2. */
	packed_post(&g, b, 2, 0);
	pop_ok(&g, &c[0]);
	vhu_vq_push(&g.vq, &c[0], 0, NULL);
	vhu_vq_flush(&g.vq, NULL);
	assert_true(take_used(&g, &id, &len));
	/* Slots 2-3, then 0-1 of the next lap. */
	packed_post(&g, b, 2, 1);
	packed_post(&g, b, 2, 2);
	pop_ok(&g, &c[0]);
	pop_ok(&g, &c[1]);
	assert_int_equal(g.vq.last_avail_idx, 2);
	assert_false(g.vq.avail_wrap);
	vhu_vq_unpop(&g.vq, &c[1]);
	assert_int_equal(g.vq.last_avail_idx, 0);
	assert_false(g.vq.avail_wrap);
	vhu_vq_unpop(&g.vq, &c[0]);
	assert_int_equal(g.vq.last_avail_idx, 2);
	assert_true(g.vq.avail_wrap);
	pop_ok(&g, &again);
	assert_int_equal(again.id, 1);
	pop_ok(&g, &again);
	assert_int_equal(again.id, 2);
	assert_int_equal(vhu_vq_pop(&g.vq, g.mem, &again), -EAGAIN);
	tg_fini(&g);
}

/* --- push and flush. --- */

static void
test_split_push_flush_visible_to_driver(void **state)
{
	struct tbuf b = {BUF_GPA, 100, F_WRITE};
	struct vhu_chain c[3];
	uint32_t id, len;
	struct tg g;
	int i;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8});
	for (i = 0; i < 3; i++)
		split_post(&g, &b, 1);
	for (i = 0; i < 3; i++)
		pop_ok(&g, &c[i]);
	/* Completed out of order: 2, 0, 1. */
	vhu_vq_push(&g.vq, &c[2], 70, NULL);
	vhu_vq_push(&g.vq, &c[0], 50, NULL);
	assert_int_equal(used(&g)->idx, 0);
	assert_false(split_take_used(&g, &id, &len));
	vhu_vq_flush(&g.vq, NULL);
	assert_int_equal(used(&g)->idx, 2);
	assert_true(split_take_used(&g, &id, &len));
	assert_int_equal(id, 2);
	assert_int_equal(len, 70);
	assert_true(split_take_used(&g, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, 50);
	vhu_vq_push(&g.vq, &c[1], 0, NULL);
	vhu_vq_flush(&g.vq, NULL);
	vhu_vq_flush(&g.vq, NULL); /* nothing pending: no-op */
	assert_int_equal(used(&g)->idx, 3);
	assert_true(split_take_used(&g, &id, &len));
	assert_int_equal(id, 1);
	assert_int_equal(len, 0);
	tg_fini(&g);
}

static void
test_packed_push_flush_writes_batch_head_last(void **state)
{
	struct tbuf b[2] = {{BUF_GPA, 10, 0}, {BUF_GPA + 0x100, 100, F_WRITE}};
	struct vhu_chain c[3];
	uint32_t id, len;
	uint16_t flags;
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.packed = true, .size = 8});
	packed_post(&g, b, 1, 4);     /* slot 0 */
	packed_post(&g, b, 2, 5);     /* slots 1-2 */
	packed_post(&g, &b[1], 1, 6); /* slot 3 */
	pop_ok(&g, &c[0]);
	pop_ok(&g, &c[1]);
	pop_ok(&g, &c[2]);
	vhu_vq_push(&g.vq, &c[0], 0, NULL);
	vhu_vq_push(&g.vq, &c[1], 80, NULL);
	vhu_vq_push(&g.vq, &c[2], 90, NULL);
	/* Before the flush: the batch's first descriptor is still the driver's;
	 * the others (slots 1 and 3) are written, but the driver looks at slot 0. */
	assert_false(packed_take_used(&g, &id, &len, &flags));
	assert_int_equal(pk_desc(&g, 1)->id, 5);
	assert_int_equal(pk_desc(&g, 1)->flags,
			 VHU_DESC_F_AVAIL | VHU_DESC_F_USED | VHU_DESC_F_WRITE);
	assert_int_equal(pk_desc(&g, 3)->id, 6);
	vhu_vq_flush(&g.vq, NULL);
	assert_true(packed_take_used(&g, &id, &len, &flags));
	assert_int_equal(id, 4);
	assert_int_equal(len, 0);
	assert_int_equal(flags, VHU_DESC_F_AVAIL | VHU_DESC_F_USED); /* no WRITE: len 0 */
	assert_true(take_used(&g, &id, &len));
	assert_int_equal(id, 5);
	assert_int_equal(len, 80);
	assert_true(take_used(&g, &id, &len));
	assert_int_equal(id, 6);
	assert_int_equal(len, 90);
	assert_false(take_used(&g, &id, &len));
	assert_int_equal(g.vq.last_used_idx, 4);
	tg_fini(&g);
}

/* --- Notifications. --- */

static void
push_flush_one(struct tg *g)
{
	struct tbuf b = {BUF_GPA, 64, F_WRITE};
	struct vhu_chain c;
	uint32_t id, len;

	post(g, &b, 1, 0);
	pop_ok(g, &c);
	vhu_vq_push(&g->vq, &c, 64, NULL);
	vhu_vq_flush(&g->vq, NULL);
	assert_true(take_used(g, &id, &len));
}

static void
test_split_need_call_without_event_idx(void **state)
{
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8});
	assert_false(vhu_vq_need_call(&g.vq)); /* nothing published yet */
	push_flush_one(&g);
	assert_true(vhu_vq_need_call(&g.vq));
	assert_false(vhu_vq_need_call(&g.vq)); /* once per flush */
	avail(&g)->flags = VHU_AVAIL_F_NO_INTERRUPT;
	push_flush_one(&g);
	assert_false(vhu_vq_need_call(&g.vq));
	avail(&g)->flags = 0;
	push_flush_one(&g);
	assert_true(vhu_vq_need_call(&g.vq));
	/* used_event is ignored without EVENT_IDX. */
	avail(&g)->ring[8] = 100;
	push_flush_one(&g);
	assert_true(vhu_vq_need_call(&g.vq));
	tg_fini(&g);
}

static void
test_split_need_call_with_event_idx(void **state)
{
	struct vhu_chain fake = {.id = 0};
	struct tg g;
	uint32_t i;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8, .event_idx = true});
	/* First call after setup: no signalled state yet, so call. */
	avail(&g)->ring[8] = 40; /* used_event */
	push_flush_one(&g);
	assert_true(vhu_vq_need_call(&g.vq));
	/* used idx 1 -> 2: the entry at index 1 was written; used_event 40: no. */
	push_flush_one(&g);
	assert_false(vhu_vq_need_call(&g.vq));
	/* NO_INTERRUPT is ignored with EVENT_IDX; used_event = 2 is written now. */
	avail(&g)->flags = VHU_AVAIL_F_NO_INTERRUPT;
	avail(&g)->ring[8] = 2;
	push_flush_one(&g);
	assert_true(vhu_vq_need_call(&g.vq));
	/* A used_event behind: no call. */
	push_flush_one(&g);
	assert_false(vhu_vq_need_call(&g.vq));

	/* Across the 16-bit wrap: from 65534, used_event 0 is crossed by the
	 * third entry (indexes 65534, 65535, 0). */
	assert_int_equal(vhu_vq_set_base(&g.vq, 65534), 0);
	g.avail_idx = g.used_seen = 65534;
	avail(&g)->idx = 65534;
	avail(&g)->ring[8] = 0;
	push_flush_one(&g);
	assert_true(vhu_vq_need_call(&g.vq)); /* set_base forgets: call */
	push_flush_one(&g);
	assert_false(vhu_vq_need_call(&g.vq));
	push_flush_one(&g);
	assert_true(vhu_vq_need_call(&g.vq));
	assert_int_equal(used(&g)->idx, 1);

	/* 65536 entries since the last check look like none in 16 bits: call. */
	avail(&g)->ring[8] = 0x8000;
	for (i = 0; i < 65536; i++) {
		vhu_vq_push(&g.vq, &fake, 0, NULL);
		if (i % 8 == 7)
			vhu_vq_flush(&g.vq, NULL);
	}
	assert_int_equal(used(&g)->idx, 1);
	assert_true(vhu_vq_need_call(&g.vq));
	tg_fini(&g);
}

static void
test_packed_need_call_without_event_idx(void **state)
{
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.packed = true, .size = 8});
	assert_false(vhu_vq_need_call(&g.vq));
	pk_driver(&g)->flags = VHU_EVENT_F_ENABLE;
	push_flush_one(&g);
	assert_true(vhu_vq_need_call(&g.vq));
	assert_false(vhu_vq_need_call(&g.vq));
	pk_driver(&g)->flags = VHU_EVENT_F_DISABLE;
	push_flush_one(&g);
	assert_false(vhu_vq_need_call(&g.vq));
	/* DESC is only valid with EVENT_IDX: treated as ENABLE. */
	pk_driver(&g)->flags = VHU_EVENT_F_DESC;
	pk_driver(&g)->off_wrap = 0x8000 | 7;
	push_flush_one(&g);
	assert_true(vhu_vq_need_call(&g.vq));
	tg_fini(&g);
}

static void
test_packed_need_call_with_event_idx(void **state)
{
	struct tg g;
	int i;

	(void)state;
	tg_init(&g, &(struct tg_opts){.packed = true, .size = 8, .event_idx = true});
	pk_driver(&g)->flags = VHU_EVENT_F_DESC;
	pk_driver(&g)->off_wrap = 0x8000 | 3; /* slot 3, wrap 1 */
	push_flush_one(&g);		      /* slot 0 */
	assert_true(vhu_vq_need_call(&g.vq)); /* first call */
	push_flush_one(&g);		      /* slot 1 */
	assert_false(vhu_vq_need_call(&g.vq));
	push_flush_one(&g); /* slot 2 */
	assert_false(vhu_vq_need_call(&g.vq));
	push_flush_one(&g); /* slot 3: the one asked for */
	assert_true(vhu_vq_need_call(&g.vq));
	/* Next lap: slot 1 with wrap 0. Slots 4-7 of this lap do not match. */
	pk_driver(&g)->off_wrap = 1;
	for (i = 4; i < 8; i++) {
		push_flush_one(&g);
		assert_false(vhu_vq_need_call(&g.vq));
	}
	assert_false(g.vq.used_wrap);
	push_flush_one(&g); /* slot 0, wrap 0 */
	assert_false(vhu_vq_need_call(&g.vq));
	push_flush_one(&g); /* slot 1, wrap 0 */
	assert_true(vhu_vq_need_call(&g.vq));
	/* A batch that jumps over the event slot still calls. */
	pk_driver(&g)->off_wrap = 3;
	{
		struct tbuf b[2] = {{BUF_GPA, 1, 0}, {BUF_GPA, 1, 0}};
		struct vhu_chain c;
		uint32_t id, len;

		packed_post(&g, b, 2, 0); /* slots 2-3 */
		pop_ok(&g, &c);
		vhu_vq_push(&g.vq, &c, 0, NULL);
		vhu_vq_flush(&g.vq, NULL);
		assert_true(take_used(&g, &id, &len));
	}
	assert_true(vhu_vq_need_call(&g.vq));
	pk_driver(&g)->flags = VHU_EVENT_F_DISABLE;
	push_flush_one(&g);
	assert_false(vhu_vq_need_call(&g.vq));
	tg_fini(&g);
}

/* --- avail_count and bases. --- */

static void
test_avail_count_both_layouts(void **state)
{
	struct tbuf b = {BUF_GPA, 10, 0};
	struct vhu_chain c;
	struct tg g;
	int i;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8});
	for (i = 0; i < 3; i++)
		split_post(&g, &b, 1);
	assert_int_equal(vhu_vq_avail_count(&g.vq), 3);
	assert_int_equal(vhu_vq_avail_count(&g.vq), 3); /* does not consume */
	pop_ok(&g, &c);
	assert_int_equal(vhu_vq_avail_count(&g.vq), 2);
	tg_fini(&g);

	tg_init(&g, &(struct tg_opts){.packed = true, .size = 8});
	assert_int_equal(vhu_vq_avail_count(&g.vq), 0);
	packed_post(&g, &b, 1, 0);
	packed_post(&g, &b, 1, 1);
	assert_int_equal(vhu_vq_avail_count(&g.vq), 1);
	pop_ok(&g, &c);
	pop_ok(&g, &c);
	assert_int_equal(vhu_vq_avail_count(&g.vq), 0);
	tg_fini(&g);
}

static void
test_split_set_get_base_round_trip(void **state)
{
	struct tbuf b = {BUF_GPA, 10, 0};
	struct vhu_chain c;
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8});
	assert_int_equal(vhu_vq_set_base(&g.vq, 0x1234), 0);
	assert_int_equal(vhu_vq_get_base(&g.vq), 0x1234);
	assert_int_equal(g.vq.last_used_idx, 0x1234);
	/* Bits 16-31 are ignored. */
	assert_int_equal(vhu_vq_set_base(&g.vq, 0x50007), 0);
	assert_int_equal(vhu_vq_get_base(&g.vq), 7);
	g.avail_idx = g.used_seen = 7;
	avail(&g)->idx = 7;
	split_post(&g, &b, 1);
	pop_ok(&g, &c);
	assert_int_equal(vhu_vq_get_base(&g.vq), 8);
	tg_fini(&g);
}

static void
test_packed_set_get_base_round_trip(void **state)
{
	struct tbuf b = {BUF_GPA, 10, 0};
	struct vhu_chain c;
	uint32_t id, len;
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.packed = true, .size = 8});
	assert_int_equal(vhu_vq_set_base(&g.vq, 0x8005), 0);
	assert_int_equal(vhu_vq_get_base(&g.vq), 0x80058005u);
	assert_int_equal(vhu_vq_set_base(&g.vq, 0x0003), 0);
	assert_int_equal(vhu_vq_get_base(&g.vq), 0x00030003u);
	/* The used half that QEMU sends is ignored; a slot beyond the ring is refused. */
	assert_int_equal(vhu_vq_set_base(&g.vq, 0x12348006), 0);
	assert_int_equal(vhu_vq_get_base(&g.vq), 0x80068006u);
	assert_int_equal(vhu_vq_set_base(&g.vq, 8), -EINVAL);
	assert_int_equal(vhu_vq_set_base(&g.vq, 0x8000 | 0x7fff), -EINVAL);
	assert_int_equal(vhu_vq_get_base(&g.vq), 0x80068006u);
	/* The ring continues from slot 6, wrap 1: a chain over slots 6, 7, 0. */
	g.next_avail = g.next_used = 6;
	{
		struct tbuf three[3] = {b, b, b};

		packed_post(&g, three, 3, 2);
	}
	pop_ok(&g, &c);
	assert_int_equal(c.n_desc, 3);
	vhu_vq_push(&g.vq, &c, 1, NULL);
	vhu_vq_flush(&g.vq, NULL);
	assert_true(take_used(&g, &id, &len));
	assert_int_equal(vhu_vq_get_base(&g.vq), 0x00010001u);
	tg_fini(&g);
}

/* --- Dirty log. --- */

static void
test_log_write_sets_the_bits_of_each_page(void **state)
{
	uint8_t bm[8];
	struct vhu_log log = {bm, 4}; /* 32 pages; bm[4..7] must stay untouched */

	(void)state;
#define LOGGED(gpa, len, b0, b1, b2, b3)                                                           \
	do {                                                                                       \
		memset(bm, 0, sizeof(bm));                                                         \
		vhu_log_write(&log, gpa, len);                                                     \
		assert_int_equal(bm[0], b0);                                                       \
		assert_int_equal(bm[1], b1);                                                       \
		assert_int_equal(bm[2], b2);                                                       \
		assert_int_equal(bm[3], b3);                                                       \
		assert_int_equal(bm[4] | bm[5] | bm[6] | bm[7], 0);                                \
	} while (0)
	LOGGED(0, 1, 0x01, 0, 0, 0);
	LOGGED(4095, 1, 0x01, 0, 0, 0);
	LOGGED(4095, 2, 0x03, 0, 0, 0); /* crosses into page 1 */
	LOGGED(4096, 4096, 0x02, 0, 0, 0);
	LOGGED(4096, 4097, 0x06, 0, 0, 0);
	LOGGED(7 * 4096, 3 * 4096, 0x80, 0x03, 0, 0); /* byte boundary */
	LOGGED(5 * 4096 + 100, 14 * 4096, 0xe0, 0xff, 0x0f, 0);
	LOGGED(0, 32 * 4096, 0xff, 0xff, 0xff, 0xff);
	LOGGED(30 * 4096, 10 * 4096, 0, 0, 0, 0xc0); /* clipped at the bitmap's end */
	LOGGED(32 * 4096, 4096, 0, 0, 0, 0);	     /* beyond: nothing */
	LOGGED(UINT64_MAX - 10, 100, 0, 0, 0, 0);    /* end of the address space */
	LOGGED(0, UINT64_MAX, 0xff, 0xff, 0xff, 0xff);
	LOGGED(8 * 4096, 0, 0, 0, 0, 0); /* len 0 */
#undef LOGGED
	vhu_log_write(NULL, 0, 4096);
	log.bitmap = NULL;
	vhu_log_write(&log, 0, 4096);
}

static bool
page_logged(const struct tg *g, uint64_t gpa)
{
	uint64_t p = gpa / VHU_LOG_PAGE;

	return (g->bitmap[p / 8] >> (p % 8)) & 1;
}

static unsigned
pages_logged(const struct tg *g)
{
	unsigned i, n = 0;

	for (i = 0; i < sizeof(g->bitmap) * 8; i++)
		n += (g->bitmap[i / 8] >> (i % 8)) & 1;
	return n;
}

static void
test_split_used_ring_writes_are_logged(void **state)
{
	struct tbuf b = {BUF_GPA, 10, F_WRITE};
	struct vhu_chain c[2];
	struct tg g;

	(void)state;
	/* The used ring starts 16 bytes before a page boundary: elem 0 at
	 * 0x2ff4 (page 2), elem 1 at 0x2ffc-0x3003 (pages 2 and 3). */
	tg_init(&g, &(struct tg_opts){.size = 8, .log_used = true, .used_gpa = 0x2ff0});
	split_post(&g, &b, 1);
	split_post(&g, &b, 1);
	pop_ok(&g, &c[0]);
	pop_ok(&g, &c[1]);
	vhu_vq_push(&g.vq, &c[0], 1, &g.log);
	assert_true(page_logged(&g, 0x2000));
	assert_int_equal(pages_logged(&g), 1);
	memset(g.bitmap, 0, sizeof(g.bitmap));
	vhu_vq_push(&g.vq, &c[1], 1, &g.log);
	assert_true(page_logged(&g, 0x2000));
	assert_true(page_logged(&g, 0x3000));
	assert_int_equal(pages_logged(&g), 2);
	memset(g.bitmap, 0, sizeof(g.bitmap));
	vhu_vq_flush(&g.vq, &g.log); /* used->idx at 0x2ff2 */
	assert_true(page_logged(&g, 0x2000));
	assert_int_equal(pages_logged(&g), 1);
	tg_fini(&g);

	/* Without VHOST_VRING_F_LOG, or without a log: nothing. */
	tg_init(&g, &(struct tg_opts){.size = 8, .used_gpa = 0x2ff0});
	split_post(&g, &b, 1);
	pop_ok(&g, &c[0]);
	vhu_vq_push(&g.vq, &c[0], 1, &g.log);
	vhu_vq_flush(&g.vq, &g.log);
	assert_int_equal(pages_logged(&g), 0);
	tg_fini(&g);
	tg_init(&g, &(struct tg_opts){.size = 8, .log_used = true});
	split_post(&g, &b, 1);
	pop_ok(&g, &c[0]);
	vhu_vq_push(&g.vq, &c[0], 1, NULL);
	vhu_vq_flush(&g.vq, NULL);
	assert_int_equal(pages_logged(&g), 0);
	tg_fini(&g);
}

static void
test_packed_used_descriptor_writes_are_logged(void **state)
{
	struct tbuf b = {BUF_GPA, 10, F_WRITE};
	struct vhu_chain c[2];
	struct tg g;
	uint64_t ring_page;

	(void)state;
	tg_init(&g, &(struct tg_opts){.packed = true, .size = 8, .log_used = true});
	ring_page = g.desc_gpa & ~(uint64_t)(VHU_LOG_PAGE - 1);
	assert_true(ring_page / VHU_LOG_PAGE < sizeof(g.bitmap) * 8);
	packed_post(&g, &b, 1, 0);
	packed_post(&g, &b, 1, 1);
	pop_ok(&g, &c[0]);
	pop_ok(&g, &c[1]);
	vhu_vq_push(&g.vq, &c[0], 1, &g.log); /* batch head: id and len now */
	assert_true(page_logged(&g, ring_page));
	assert_int_equal(pages_logged(&g), 1);
	memset(g.bitmap, 0, sizeof(g.bitmap));
	vhu_vq_push(&g.vq, &c[1], 1, &g.log);
	assert_true(page_logged(&g, ring_page));
	memset(g.bitmap, 0, sizeof(g.bitmap));
	vhu_vq_flush(&g.vq, &g.log); /* the head's flags, written last, logged again */
	assert_true(page_logged(&g, ring_page));
	assert_int_equal(pages_logged(&g), 1);
	tg_fini(&g);
}

/* --- Chains with more pieces than a vhu_chain holds. --- */

static void
test_chain_with_too_many_iovs_is_consumed_with_enobufs(void **state)
{
	struct tbuf b[VHU_CHAIN_MAX_IOV + 1];
	struct vhu_chain c;
	uint32_t id, len;
	struct tg g;
	int packed;
	unsigned i;

	(void)state;
	for (i = 0; i < VHU_CHAIN_MAX_IOV + 1; i++)
		b[i] = (struct tbuf){BUF_GPA + i * 16, 16, 0};
	for (packed = 0; packed < 2; packed++) {
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 256});
		post(&g, b, VHU_CHAIN_MAX_IOV + 1, 3);
		post(&g, b, VHU_CHAIN_MAX_IOV, 4);
		assert_int_equal(vhu_vq_pop(&g.vq, g.mem, &c), -ENOBUFS);
		assert_false(g.vq.broken);
		assert_int_equal(c.id, packed ? 3 : 0);
		assert_int_equal(c.n_desc, packed ? VHU_CHAIN_MAX_IOV + 1 : 1);
		vhu_vq_push(&g.vq, &c, 0, NULL);
		pop_ok(&g, &c);
		assert_int_equal(c.n_out, VHU_CHAIN_MAX_IOV);
		assert_int_equal(c.out_len, VHU_CHAIN_MAX_IOV * 16);
		assert_iov(&g, &c, VHU_CHAIN_MAX_IOV - 1, BUF_GPA + (VHU_CHAIN_MAX_IOV - 1) * 16,
			   16);
		vhu_vq_push(&g.vq, &c, 0, NULL);
		vhu_vq_flush(&g.vq, NULL);
		assert_true(take_used(&g, &id, &len));
		assert_int_equal(id, packed ? 3 : 0);
		assert_true(take_used(&g, &id, &len));
		assert_int_equal(id, packed ? 4 : VHU_CHAIN_MAX_IOV + 1);
		tg_fini(&g);
	}
}

/* A random mix of chain lengths, readable/writable splits, batch sizes and
 * unpops, in both layouts, against the driver's own record of what it posted
 * (CONVENTIONS 15): every buffer comes back once, with its id and length. */
static void
test_random_traffic_against_driver_model(void **state)
{
	unsigned seed = 12345, step;
	int packed;

	(void)state;
	for (packed = 0; packed < 2; packed++) {
		struct tg g;
		uint32_t want_len[MAX_SIZE] = {0};
		bool in_flight[MAX_SIZE] = {false};
		uint16_t size = packed ? 13 : 16, free_slots = size;

		tg_init(&g, &(struct tg_opts){.packed = packed, .size = size});
		for (step = 0; step < 3000; step++) {
			struct vhu_chain c[8];
			struct tbuf b[4];
			unsigned n = 1 + rand_r(&seed) % 4, k, popped = 0, i;
			uint32_t id, len;

			/* The driver posts a few chains while it has room (split: it
			 * refills the whole table when nothing is in flight). */
			for (k = rand_r(&seed) % 4; k > 0 && free_slots >= n; k--) {
				uint16_t want;

				if (!packed && g.next_desc + n > size)
					break;
				for (i = 0; i < n; i++)
					b[i] = (struct tbuf){BUF_GPA + 0x100 * i, 10 + (uint32_t)i,
							     i > 0 && i + 1 == n ? F_WRITE : 0};
				want = packed ? (uint16_t)(step % size) : g.next_desc;
				if (in_flight[want])
					break;
				want = post(&g, b, n, want);
				in_flight[want] = true;
				g.n_of_id[want] = (uint16_t)n;
				free_slots = (uint16_t)(free_slots - n);
			}
			while (popped < 8 && vhu_vq_pop(&g.vq, g.mem, &c[popped]) == 0)
				popped++;
			assert_false(g.vq.broken);
			/* Give some back, newest first. */
			k = popped > 0 ? rand_r(&seed) % (popped + 1) : 0;
			for (i = 0; i < k; i++)
				vhu_vq_unpop(&g.vq, &c[--popped]);
			for (i = 0; i < popped; i++) {
				want_len[c[i].id] = (uint32_t)(step + i);
				vhu_vq_push(&g.vq, &c[i], (uint32_t)(step + i), NULL);
			}
			vhu_vq_flush(&g.vq, NULL);
			while (take_used(&g, &id, &len)) {
				assert_true(in_flight[id]);
				assert_int_equal(len, want_len[id]);
				in_flight[id] = false;
				free_slots = (uint16_t)(free_slots + g.n_of_id[id]);
			}
			if (!packed && free_slots == size)
				g.next_desc = 0;
		}
		tg_fini(&g);
	}
}

/* --- Class 1: loops and over-long chains. --- */

static void
test_class1_chain_loop(void **state)
{
	struct vhu_chain c;
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8});
	split_set_desc(&g, 0, BUF_GPA, 10, F_NEXT, 1);
	split_set_desc(&g, 1, BUF_GPA, 10, F_NEXT, 2);
	split_set_desc(&g, 2, BUF_GPA, 10, F_NEXT, 0);
	split_publish(&g, 0);
	assert_broken(&g, vhu_vq_pop(&g.vq, g.mem, &c), "loops");
	tg_fini(&g);
}

static void
test_class1_self_loop(void **state)
{
	struct vhu_chain c;
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8});
	split_set_desc(&g, 3, BUF_GPA, 10, F_NEXT, 3);
	split_publish(&g, 3);
	assert_broken(&g, vhu_vq_pop(&g.vq, g.mem, &c), "loops");
	tg_fini(&g);
}

/* Packed: every slot says NEXT, so the chain would run past the whole ring. */
static void
test_class1_chain_longer_than_ring(void **state)
{
	struct tbuf b[8];
	struct vhu_chain c;
	struct tg g;
	int i;

	(void)state;
	tg_init(&g, &(struct tg_opts){.packed = true, .size = 8});
	for (i = 0; i < 8; i++)
		b[i] = (struct tbuf){BUF_GPA, 10, F_NEXT};
	packed_post(&g, b, 8, 0);
	assert_broken(&g, vhu_vq_pop(&g.vq, g.mem, &c), "longer than the ring");
	tg_fini(&g);
}

/* The bound is not off by one: a chain of exactly 'size' descriptors is fine. */
static void
test_class1_chain_of_exactly_ring_size_is_fine(void **state)
{
	struct tbuf b[8];
	struct vhu_chain c;
	struct tg g;
	int packed, i;

	(void)state;
	for (i = 0; i < 8; i++)
		b[i] = (struct tbuf){BUF_GPA + 0x100 * (unsigned)i, 10, 0};
	for (packed = 0; packed < 2; packed++) {
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8});
		post(&g, b, 8, 0);
		pop_ok(&g, &c);
		assert_int_equal(c.n_out, 8);
		assert_int_equal(c.n_desc, packed ? 8 : 1);
		tg_fini(&g);
	}
}

static void
test_class1_indirect_loop(void **state)
{
	struct vhu_split_desc *t;
	struct tbuf b = {IND_GPA, 32, F_IND};
	struct vhu_chain c;
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8, .indirect = true});
	t = ind_table(&g, IND_GPA, 2);
	t[0] = (struct vhu_split_desc){BUF_GPA, 10, F_NEXT, 1};
	t[1] = (struct vhu_split_desc){BUF_GPA, 10, F_NEXT, 0};
	split_post(&g, &b, 1);
	assert_broken(&g, vhu_vq_pop(&g.vq, g.mem, &c), "loops");
	tg_fini(&g);
}

/* --- Class 2: indirect tables. --- */

/* Posts one indirect descriptor (addr, len, extra flags) with id 0 and pops. */
static int
pop_indirect(struct tg *g, uint64_t addr, uint32_t len, uint16_t flags)
{
	struct tbuf b = {addr, len, (uint16_t)(F_IND | flags)};
	struct vhu_chain c;

	if (flags & F_NEXT) {
		struct tbuf two[2] = {b, {BUF_GPA, 10, 0}};

		two[0].flags &= (uint16_t)~F_NEXT; /* post() adds NEXT itself */
		post(g, two, 2, 0);
	} else {
		post(g, &b, 1, 0);
	}
	return vhu_vq_pop(&g->vq, g->mem, &c);
}

/* An indirect table of 'n' readable 10-byte entries in g's layout. */
static void
fill_table(struct tg *g, uint64_t gpa, unsigned n)
{
	uint8_t *t = gp(g, gpa, n * 16u);
	unsigned i;

	for (i = 0; i < n; i++) {
		if (g->packed) {
			put_pk(t + 16 * i, (struct vhu_packed_desc){BUF_GPA, 10, 0, 0});
			continue;
		}
		((struct vhu_split_desc *)t)[i] = (struct vhu_split_desc){
			BUF_GPA, 10, (uint16_t)(i + 1 < n ? F_NEXT : 0), (uint16_t)(i + 1)};
	}
}

static void
test_class2_indirect_len_not_multiple_of_16(void **state)
{
	struct tg g;
	int packed;

	(void)state;
	for (packed = 0; packed < 2; packed++) {
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8, .indirect = true});
		fill_table(&g, IND_GPA, 3);
		assert_broken(&g, pop_indirect(&g, IND_GPA, 40, 0), "multiple of 16");
		tg_fini(&g);
	}
}

static void
test_class2_indirect_too_large(void **state)
{
	struct tg g;
	int packed;

	(void)state;
	for (packed = 0; packed < 2; packed++) {
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8, .indirect = true});
		/* 8 entries (the ring size) are fine, 9 are not. */
		fill_table(&g, IND_GPA, 8);
		assert_int_equal(pop_indirect(&g, IND_GPA, 8 * 16, 0), 0);
		fill_table(&g, IND_GPA, 9);
		assert_broken(&g, pop_indirect(&g, IND_GPA, 9 * 16, 0), "more entries");
		tg_fini(&g);
	}
}

static void
test_class2_indirect_empty(void **state)
{
	struct tg g;
	int packed;

	(void)state;
	for (packed = 0; packed < 2; packed++) {
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8, .indirect = true});
		assert_broken(&g, pop_indirect(&g, IND_GPA, 0, 0), "empty");
		tg_fini(&g);
	}
}

static void
test_class2_indirect_nested(void **state)
{
	struct vhu_split_desc *t;
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8, .indirect = true});
	t = ind_table(&g, IND_GPA, 2);
	t[0] = (struct vhu_split_desc){BUF_GPA, 10, F_NEXT, 1};
	t[1] = (struct vhu_split_desc){IND_GPA, 32, F_IND, 0};
	assert_broken(&g, pop_indirect(&g, IND_GPA, 32, 0), "nested");
	tg_fini(&g);
	/* Packed: every flag but WRITE in a table is ignored (§2.8.7), so the
	 * same entry is a plain 32-byte buffer (see test_packed_indirect). */
}

static void
test_class2_indirect_with_next(void **state)
{
	struct tg g;
	int packed;

	(void)state;
	for (packed = 0; packed < 2; packed++) {
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8, .indirect = true});
		fill_table(&g, IND_GPA, 2);
		assert_broken(&g, pop_indirect(&g, IND_GPA, 32, F_NEXT), "NEXT");
		tg_fini(&g);
	}
}

static void
test_class2_indirect_not_negotiated(void **state)
{
	struct tg g;
	int packed;

	(void)state;
	for (packed = 0; packed < 2; packed++) {
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8});
		fill_table(&g, IND_GPA, 2);
		assert_broken(&g, pop_indirect(&g, IND_GPA, 32, 0), "not negotiated");
		tg_fini(&g);
	}
}

static void
test_class2_indirect_table_outside_one_region(void **state)
{
	struct tg g;
	int packed;

	(void)state;
	for (packed = 0; packed < 2; packed++) {
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8, .indirect = true});
		assert_broken(&g, pop_indirect(&g, HOLE_GPA, 32, 0), "one guest memory region");
		tg_fini(&g);
		/* Across the boundary of two adjacent regions. */
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8, .indirect = true});
		assert_broken(&g, pop_indirect(&g, R1_GPA - 16, 32, 0), "one guest memory region");
		tg_fini(&g);
		/* Past the end of the last region. */
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8, .indirect = true});
		assert_broken(&g, pop_indirect(&g, R2_GPA + R2_SIZE - 16, 32, 0),
			      "one guest memory region");
		tg_fini(&g);
	}
}

static void
test_class2_indirect_next_out_of_range(void **state)
{
	struct vhu_split_desc *t;
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8, .indirect = true});
	t = ind_table(&g, IND_GPA, 2);
	t[0] = (struct vhu_split_desc){BUF_GPA, 10, F_NEXT, 2}; /* the table has 2 */
	assert_broken(&g, pop_indirect(&g, IND_GPA, 32, 0), "out of range");
	tg_fini(&g);
}

/* --- Class 3: addresses. --- */

static int
pop_one(struct tg *g, uint64_t addr, uint32_t len, struct vhu_chain *c)
{
	struct tbuf b = {addr, len, 0};

	post(g, &b, 1, 0);
	return vhu_vq_pop(&g->vq, g->mem, c);
}

static void
test_class3_addr_outside_memory(void **state)
{
	uint64_t bad[3] = {HOLE_GPA, R2_GPA + R2_SIZE, UINT64_C(0x7f0000000000)};
	struct vhu_chain c;
	struct tg g;
	int packed, i;

	(void)state;
	for (packed = 0; packed < 2; packed++)
		for (i = 0; i < 3; i++) {
			tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8});
			assert_broken(&g, pop_one(&g, bad[i], 1, &c), "not inside guest memory");
			tg_fini(&g);
		}
}

static void
test_class3_addr_straddles_hole(void **state)
{
	struct vhu_chain c;
	struct tg g;
	int packed;

	(void)state;
	for (packed = 0; packed < 2; packed++) {
		/* From region 1 into the hole after it. */
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8});
		assert_broken(&g, pop_one(&g, R1_GPA + R1_SIZE - 16, 32, &c),
			      "not inside guest memory");
		tg_fini(&g);
		/* From the hole into region 2. */
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8});
		assert_broken(&g, pop_one(&g, R2_GPA - 16, 32, &c), "not inside guest memory");
		tg_fini(&g);
		/* Past the end of the last region. */
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8});
		assert_broken(&g, pop_one(&g, R2_GPA + R2_SIZE - 1, 2, &c),
			      "not inside guest memory");
		tg_fini(&g);
	}
}

static void
test_class3_spans_two_adjacent_regions_ok(void **state)
{
	struct vhu_chain c;
	struct tg g;
	int packed;

	(void)state;
	for (packed = 0; packed < 2; packed++) {
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8});
		assert_int_equal(pop_one(&g, R1_GPA - 0x10, 0x30, &c), 0);
		assert_int_equal(c.n_out, 2);
		assert_int_equal(c.out_len, 0x30);
		assert_iov(&g, &c, 0, R1_GPA - 0x10, 0x10);
		assert_iov(&g, &c, 1, R1_GPA, 0x20);
		/* Not contiguous in our address space: two mappings. */
		assert_ptr_not_equal((uint8_t *)c.iov[0].base + 0x10, c.iov[1].base);
		/* The whole of region 0 and region 1 in one descriptor. */
		assert_int_equal(pop_one(&g, R0_GPA, (uint32_t)(R0_SIZE + R1_SIZE), &c), 0);
		assert_int_equal(c.n_out, 2);
		assert_iov(&g, &c, 0, R0_GPA, (uint32_t)R0_SIZE);
		assert_iov(&g, &c, 1, R1_GPA, (uint32_t)R1_SIZE);
		tg_fini(&g);
	}
}

/* --- Class 4: lengths. --- */

static void
test_class4_len_zero(void **state)
{
	/* A zero-length descriptor adds no iov and its address, here in the
	 * hole, is never translated. */
	struct tbuf b[3] = {{BUF_GPA, 10, 0}, {HOLE_GPA, 0, 0}, {BUF_GPA + 0x100, 20, F_WRITE}};
	struct vhu_chain c;
	struct tg g;
	int packed;

	(void)state;
	for (packed = 0; packed < 2; packed++) {
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8});
		post(&g, b, 3, 1);
		pop_ok(&g, &c);
		assert_false(g.vq.broken);
		assert_int_equal(c.n_out, 1);
		assert_int_equal(c.n_in, 1);
		assert_iov(&g, &c, 0, BUF_GPA, 10);
		assert_iov(&g, &c, 1, BUF_GPA + 0x100, 20);
		/* A chain of one empty descriptor is an empty buffer. */
		post(&g, &b[1], 1, 2);
		pop_ok(&g, &c);
		assert_int_equal(c.n_out + c.n_in, 0);
		assert_int_equal(c.out_len + c.in_len, 0);
		tg_fini(&g);
	}
}

/* One region of 4 GiB + 4 KiB (a sparse memfd) at 4 GiB, and one at the very
 * top of the guest address space. */
static struct vhu_mem *
big_and_top_regions(void)
{
	int fd = memfd_of(UINT64_C(0x100001000));
	struct vhu_mem_region_desc d[2] = {
		{.gpa = UINT64_C(0x100000000),
		 .size = UINT64_C(0x100001000),
		 .uva = 0x7f0000000000,
		 .mmap_offset = 0,
		 .fd = fd},
		{.gpa = UINT64_MAX - 2 * PG + 1,
		 .size = PG,
		 .uva = 0x7f8000000000,
		 .mmap_offset = 0,
		 .fd = dup(fd)},
	};
	struct vhu_mem *m = NULL;

	assert_int_equal(vhu_mem_create(d, 2, &guard_ops, &m, NULL), 0);
	return m;
}

static void
test_class4_len_max(void **state)
{
	struct vhu_mem *big = big_and_top_regions();
	struct vhu_chain c;
	struct tbuf b;
	struct tg g;
	int packed;

	(void)state;
	for (packed = 0; packed < 2; packed++) {
		/* 2^32 - 1 bytes fit the big region: one iov. */
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8});
		b = (struct tbuf){UINT64_C(0x100000000), UINT32_MAX, F_WRITE};
		post(&g, &b, 1, 0);
		assert_int_equal(vhu_vq_pop(&g.vq, big, &c), 0);
		assert_int_equal(c.n_in, 1);
		assert_int_equal(c.in_len, UINT32_MAX);
		assert_int_equal(c.iov[0].len, UINT32_MAX);
		assert_ptr_equal(c.iov[0].base, vhu_mem_gpa_to_host(big, 0x100000000, 1));
		/* Two of them: more than 2^32 - 1 bytes one way (§2.7.5). */
		{
			struct tbuf two[2] = {b, b};

			post(&g, two, 2, 1);
		}
		assert_broken(&g, vhu_vq_pop(&g.vq, big, &c), "2^32");
		tg_fini(&g);
		/* They do not fit the small guest. */
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8});
		assert_broken(&g, pop_one(&g, BUF_GPA, UINT32_MAX, &c), "not inside guest memory");
		tg_fini(&g);
	}
	vhu_mem_destroy(big);
}

static void
test_class4_addr_len_overflow(void **state)
{
	struct vhu_mem *big = big_and_top_regions();
	const uint64_t top = UINT64_MAX - 2 * PG + 1;
	struct vhu_chain c;
	struct tbuf b;
	struct tg g;
	int packed;

	(void)state;
	for (packed = 0; packed < 2; packed++) {
		/* addr + len wraps past 2^64. */
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8});
		assert_broken(&g, pop_one(&g, UINT64_MAX - 0xfff, 0x2000, &c),
			      "not inside guest memory");
		tg_fini(&g);
		/* Starts in the top region, runs past its end toward 2^64. */
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8});
		b = (struct tbuf){top + PG - 16, UINT32_MAX, 0};
		post(&g, &b, 1, 0);
		assert_broken(&g, vhu_vq_pop(&g.vq, big, &c), "not inside guest memory");
		tg_fini(&g);
		/* The last bytes of the top region are fine. */
		tg_init(&g, &(struct tg_opts){.packed = packed, .size = 8});
		b = (struct tbuf){top + PG - 16, 16, 0};
		post(&g, &b, 1, 0);
		assert_int_equal(vhu_vq_pop(&g.vq, big, &c), 0);
		assert_int_equal(c.iov[0].gpa, top + PG - 16);
		tg_fini(&g);
	}
	vhu_mem_destroy(big);
}

/* --- Class 6: each guest field read once. ---
 *
 * The implementation copies every descriptor into a local (vhu_vq_priv.h)
 * with one volatile load per field group, and checks and uses only the copy.
 * A hardware watchpoint (perf_event_open, PERF_TYPE_BREAKPOINT) counts every
 * instruction that touches the watched bytes during one pop: exactly one
 * load per field proves no check-then-reread window exists. Machines without
 * debug registers available to us skip, loudly. */

static int
watch_open(const void *addr, unsigned len)
{
	struct perf_event_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_BREAKPOINT;
	a.size = sizeof(a);
	a.bp_type = HW_BREAKPOINT_RW;
	a.bp_addr = (uintptr_t)addr;
	a.bp_len = len;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	return fd < 0 ? -errno : fd;
}

static long long
watch_count(int fd)
{
	long long n = -1;

	assert_int_equal(read(fd, &n, sizeof(n)), sizeof(n));
	close(fd);
	return n;
}

/* Skips the test, before it allocates anything, when this machine gives us
 * no hardware watchpoints (no debug registers, perf_event_paranoid, seccomp). */
static void
watch_probe(void)
{
	static volatile uint64_t probe;
	int fd = watch_open((const void *)&probe, 8);

	if (fd < 0) {
		print_message("SKIP: hardware watchpoints unavailable (perf_event_open: %s)\n",
			      strerror(-fd));
		skip();
	}
	close(fd);
}

/* Opens and enables up to 4 watchpoints (the x86 debug registers). */
static void
watch_all(int *fds, const void *const *addr, const unsigned *len, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		fds[i] = watch_open(addr[i], len[i]);
		if (fds[i] < 0)
			fail_msg("perf_event_open: %s", strerror(-fds[i]));
	}
	for (i = 0; i < n; i++)
		ioctl(fds[i], PERF_EVENT_IOC_ENABLE, 0);
}

static void
watch_stop(int *fds, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		ioctl(fds[i], PERF_EVENT_IOC_DISABLE, 0);
}

static void
test_class6_descriptor_read_once(void **state)
{
	struct tbuf b[2] = {{BUF_GPA, 10, 0}, {IND_GPA, 32, F_IND}};
	struct vhu_split_desc *t;
	struct vhu_chain c;
	int fds[4], i;
	struct tg g;
	uint16_t head;

	(void)state;
	watch_probe();
	/* Split: a direct descriptor, then an indirect table of two. */
	tg_init(&g, &(struct tg_opts){.size = 8, .indirect = true});
	t = ind_table(&g, IND_GPA, 2);
	t[0] = (struct vhu_split_desc){BUF_GPA + 0x100, 20, F_NEXT, 1};
	t[1] = (struct vhu_split_desc){BUF_GPA + 0x200, 30, F_WRITE, 0};
	head = split_post(&g, b, 2);
	{
		const void *addr[4] = {&split_desc(&g, head)->addr, &split_desc(&g, head)->len,
				       &t[0].len, &avail(&g)->ring[0]};
		const unsigned len[4] = {8, 8, 8, 2};

		watch_all(fds, addr, len, 4);
		pop_ok(&g, &c);
		watch_stop(fds, 4);
	}
	assert_int_equal(c.n_out + c.n_in, 3);
	for (i = 0; i < 4; i++)
		assert_int_equal(watch_count(fds[i]), 1);

	/* avail->idx: once for three chains, once more when they are used up. */
	for (i = 0; i < 3; i++)
		split_post(&g, b, 1);
	{
		const void *addr[1] = {&avail(&g)->idx};
		const unsigned len[1] = {2};

		watch_all(fds, addr, len, 1);
		for (i = 0; i < 3; i++)
			pop_ok(&g, &c);
		assert_int_equal(vhu_vq_pop(&g.vq, g.mem, &c), -EAGAIN);
		watch_stop(fds, 1);
	}
	assert_int_equal(watch_count(fds[0]), 2);
	tg_fini(&g);

	/* Packed: the head's flags, len and addr, and the next slot's flags. */
	tg_init(&g, &(struct tg_opts){.packed = true, .size = 8});
	b[1] = (struct tbuf){BUF_GPA + 0x100, 20, F_WRITE};
	packed_post(&g, b, 2, 3);
	{
		const void *addr[4] = {&pk_desc(&g, 0)->flags, &pk_desc(&g, 0)->len,
				       &pk_desc(&g, 0)->addr, &pk_desc(&g, 1)->flags};
		const unsigned len[4] = {2, 4, 8, 2};

		watch_all(fds, addr, len, 4);
		pop_ok(&g, &c);
		watch_stop(fds, 4);
	}
	assert_int_equal(c.n_desc, 2);
	for (i = 0; i < 4; i++)
		assert_int_equal(watch_count(fds[i]), 1);
	tg_fini(&g);
}

/* --- Class 7: indexes and ids. --- */

static void
test_class7_avail_idx_jump(void **state)
{
	struct tbuf b = {BUF_GPA, 10, 0};
	struct vhu_chain c;
	struct tg g;
	int i;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8});
	/* Exactly 'size' ahead is a full ring: fine. */
	for (i = 0; i < 8; i++)
		split_post(&g, &b, 1);
	assert_int_equal(vhu_vq_avail_count(&g.vq), 8);
	for (i = 0; i < 8; i++)
		pop_ok(&g, &c);
	/* 9 ahead is not. */
	__atomic_store_n(&avail(&g)->idx, (uint16_t)(8 + 9), __ATOMIC_RELEASE);
	assert_broken(&g, vhu_vq_pop(&g.vq, g.mem, &c), "avail index");
	tg_fini(&g);

	/* Found by avail_count too; backwards by one looks like 65535 ahead. */
	tg_init(&g, &(struct tg_opts){.size = 8});
	__atomic_store_n(&avail(&g)->idx, (uint16_t)0xffff, __ATOMIC_RELEASE);
	assert_int_equal(vhu_vq_avail_count(&g.vq), 0);
	assert_broken(&g, -EIO, "avail index");
	tg_fini(&g);
}

static void
test_class7_head_out_of_range(void **state)
{
	struct vhu_chain c;
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8});
	split_set_desc(&g, 0, BUF_GPA, 10, 0, 0);
	split_publish(&g, 8); /* desc[8] would be past the table: a guard page */
	assert_broken(&g, vhu_vq_pop(&g.vq, g.mem, &c), "head index");
	tg_fini(&g);
}

static void
test_class7_next_out_of_range(void **state)
{
	struct vhu_chain c;
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.size = 8});
	split_set_desc(&g, 7, BUF_GPA, 10, F_NEXT, 0xffff);
	split_publish(&g, 7);
	assert_broken(&g, vhu_vq_pop(&g.vq, g.mem, &c), "next index");
	tg_fini(&g);
}

static void
test_class7_packed_id_out_of_range(void **state)
{
	struct tbuf b[2] = {{BUF_GPA, 10, 0}, {BUF_GPA, 10, 0}};
	struct vhu_chain c;
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.packed = true, .size = 8});
	packed_post(&g, b, 1, 7); /* the largest id is fine */
	pop_ok(&g, &c);
	assert_int_equal(c.id, 7);
	packed_post(&g, b, 2, 8);
	assert_broken(&g, vhu_vq_pop(&g.vq, g.mem, &c), "id out of range");
	tg_fini(&g);
}

static void
test_class7_packed_wrap_inconsistent(void **state)
{
	struct tbuf b[2] = {{BUF_GPA, 10, 0}, {BUF_GPA, 10, 0}};
	struct vhu_chain c;
	struct tg g;

	(void)state;
	tg_init(&g, &(struct tg_opts){.packed = true, .size = 8});
	packed_post(&g, b, 2, 0);
	/* The second descriptor carries the flags of the previous lap. */
	pk_desc(&g, 1)->flags = VHU_DESC_F_USED;
	assert_broken(&g, vhu_vq_pop(&g.vq, g.mem, &c), "wrap counter");
	tg_fini(&g);

	/* A chain that wraps: slot 0 after slot 7 must carry the new counter. */
	tg_init(&g, &(struct tg_opts){.packed = true, .size = 8});
	assert_int_equal(vhu_vq_set_base(&g.vq, 0x8000 | 7), 0);
	g.next_avail = 7;
	packed_post(&g, b, 2, 0);
	assert_int_equal(pk_desc(&g, 0)->flags, VHU_DESC_F_USED); /* wrap 0: fine */
	pop_ok(&g, &c);
	assert_int_equal(c.n_desc, 2);
	tg_fini(&g);
	tg_init(&g, &(struct tg_opts){.packed = true, .size = 8});
	assert_int_equal(vhu_vq_set_base(&g.vq, 0x8000 | 7), 0);
	g.next_avail = 7;
	packed_post(&g, b, 2, 0);
	pk_desc(&g, 0)->flags = VHU_DESC_F_AVAIL; /* the old counter */
	assert_broken(&g, vhu_vq_pop(&g.vq, g.mem, &c), "wrap counter");
	tg_fini(&g);

	/* A first descriptor whose flags say "used" is simply not available. */
	tg_init(&g, &(struct tg_opts){.packed = true, .size = 8});
	pk_desc(&g, 0)->flags = VHU_DESC_F_AVAIL | VHU_DESC_F_USED;
	assert_int_equal(vhu_vq_pop(&g.vq, g.mem, &c), -EAGAIN);
	assert_false(g.vq.broken);
	tg_fini(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_sizes),
		cmocka_unit_test(test_setup_refuses_bad_layouts_and_suppresses_kicks),
		cmocka_unit_test(test_empty_ring_returns_eagain),
		cmocka_unit_test(test_split_simple_chain),
		cmocka_unit_test(test_packed_simple_chain),
		cmocka_unit_test(test_readable_and_writable_chain_both_layouts),
		cmocka_unit_test(test_readable_after_writable_breaks),
		cmocka_unit_test(test_split_indirect),
		cmocka_unit_test(test_split_direct_descriptors_then_indirect),
		cmocka_unit_test(test_packed_indirect),
		cmocka_unit_test(test_split_index_wraps_at_65536),
		cmocka_unit_test(test_packed_wrap_counters_over_several_laps),
		cmocka_unit_test(test_split_unpop),
		cmocka_unit_test(test_packed_unpop_across_wrap),
		cmocka_unit_test(test_split_push_flush_visible_to_driver),
		cmocka_unit_test(test_packed_push_flush_writes_batch_head_last),
		cmocka_unit_test(test_split_need_call_without_event_idx),
		cmocka_unit_test(test_split_need_call_with_event_idx),
		cmocka_unit_test(test_packed_need_call_without_event_idx),
		cmocka_unit_test(test_packed_need_call_with_event_idx),
		cmocka_unit_test(test_avail_count_both_layouts),
		cmocka_unit_test(test_split_set_get_base_round_trip),
		cmocka_unit_test(test_packed_set_get_base_round_trip),
		cmocka_unit_test(test_log_write_sets_the_bits_of_each_page),
		cmocka_unit_test(test_split_used_ring_writes_are_logged),
		cmocka_unit_test(test_packed_used_descriptor_writes_are_logged),
		cmocka_unit_test(test_chain_with_too_many_iovs_is_consumed_with_enobufs),
		cmocka_unit_test(test_random_traffic_against_driver_model),
		cmocka_unit_test(test_class1_chain_loop),
		cmocka_unit_test(test_class1_self_loop),
		cmocka_unit_test(test_class1_chain_longer_than_ring),
		cmocka_unit_test(test_class1_chain_of_exactly_ring_size_is_fine),
		cmocka_unit_test(test_class1_indirect_loop),
		cmocka_unit_test(test_class2_indirect_len_not_multiple_of_16),
		cmocka_unit_test(test_class2_indirect_too_large),
		cmocka_unit_test(test_class2_indirect_empty),
		cmocka_unit_test(test_class2_indirect_nested),
		cmocka_unit_test(test_class2_indirect_with_next),
		cmocka_unit_test(test_class2_indirect_not_negotiated),
		cmocka_unit_test(test_class2_indirect_table_outside_one_region),
		cmocka_unit_test(test_class2_indirect_next_out_of_range),
		cmocka_unit_test(test_class3_addr_outside_memory),
		cmocka_unit_test(test_class3_addr_straddles_hole),
		cmocka_unit_test(test_class3_spans_two_adjacent_regions_ok),
		cmocka_unit_test(test_class4_len_zero),
		cmocka_unit_test(test_class4_len_max),
		cmocka_unit_test(test_class4_addr_len_overflow),
		cmocka_unit_test(test_class6_descriptor_read_once),
		cmocka_unit_test(test_class7_avail_idx_jump),
		cmocka_unit_test(test_class7_head_out_of_range),
		cmocka_unit_test(test_class7_next_out_of_range),
		cmocka_unit_test(test_class7_packed_id_out_of_range),
		cmocka_unit_test(test_class7_packed_wrap_inconsistent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
