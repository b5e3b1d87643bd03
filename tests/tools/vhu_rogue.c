/* vhu_rogue: a misbehaving vhost-user front-end for integration tests
 * (tests/integration/vhost_user_broken.sh). It connects to a back-end (iovsd)
 * as QEMU would, sets up queue pair 0 (split rings) in memfd guest memory with
 * vhost-user/vhu_fe_test.c, sends one good frame (from and to its own MAC:
 * the switch learns the MAC and drops the frame), does one bad thing, prints
 * "ready", keeps doing it
 * for --seconds (60) or until SIGTERM, then disconnects. Modes (bad-input.md):
 *   loop     class 1: a tx descriptor whose next is itself (tx ring breaks)
 *   index    class 1/7: a tx descriptor whose next is beyond the ring
 *   address  class 3: an rx buffer outside guest memory (breaks on the first
 *            packet toward this guest)
 *   short    class 5: tx chains shorter than the virtio-net header, as fast as
 *            they are given back (malformed, the ring keeps running)
 *   flood    class 11: 8 rx buffers posted and never taken back; the tx ring
 *            kept full of frames addressed to this guest's own MAC
 * Exit status 0 when the back-end answered every message and kept the
 * connection for the whole run, 1 otherwise. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhu_fe_test.h"

#define MEM_SIZE (UINT64_C(4) << 20)
#define GPA	 UINT64_C(0x40000000)
#define NUM	 256u
#define HDR	 12u /* VERSION_1: the virtio-net header has num_buffers */

#define F_VERSION_1	    (UINT64_C(1) << 32)
#define F_PROTOCOL_FEATURES (UINT64_C(1) << VHU_F_PROTOCOL_FEATURES)
#define PF_REPLY_ACK	    (UINT64_C(1) << VHU_PROTOCOL_F_REPLY_ACK)

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static const uint8_t own_mac[6] = {0x52, 0x54, 0x00, 0x78, 0x0f, 0x0f};

struct rogue {
	struct vhu_fe fe;
	struct vhu_fe_ring rx, tx;
	uint64_t next_buf;
	uint64_t posted, reaped;
};

static uint64_t
gbuf(struct rogue *r, uint32_t len)
{
	uint64_t off;

	if (r->next_buf + len > MEM_SIZE)
		r->next_buf = VHU_FE_RINGS_SIZE;
	off = r->next_buf;
	r->next_buf = (r->next_buf + len + 63) & ~UINT64_C(63);
	return GPA + off;
}

static uint8_t *
host(struct rogue *r, uint64_t gpa)
{
	return r->fe.mem + (gpa - GPA);
}

/* A 60-byte frame from and to our own MAC (the switch drops it: hairpin),
 * after an all-zero header, in one descriptor. */
static void
post_frame(struct rogue *r)
{
	struct vhu_fe_buf b = {gbuf(r, HDR + 60), HDR + 60, false};
	uint8_t *p = host(r, b.gpa);

	memset(p, 0, HDR + 60);
	memcpy(p + HDR, own_mac, 6);
	memcpy(p + HDR + 6, own_mac, 6);
	p[HDR + 12] = 0x88; /* local experimental ethertype */
	p[HDR + 13] = 0xb5;
	(void)vhu_fe_ring_post(&r->tx, &b, 1);
	r->posted++;
}

/* A chain shorter than the header: 11 bytes, or two 0-length descriptors. */
static void
post_short(struct rogue *r)
{
	struct vhu_fe_buf b[2] = {{gbuf(r, 16), 0, false}, {gbuf(r, 16), 0, false}};

	if (r->posted % 2 == 0) {
		b[0].len = HDR - 1;
		(void)vhu_fe_ring_post(&r->tx, b, 1);
	} else {
		(void)vhu_fe_ring_post(&r->tx, b, 2);
	}
	r->posted++;
}

static void
reap(struct vhu_fe_ring *ring, uint64_t *count)
{
	uint16_t id;
	uint32_t len;

	while (vhu_fe_ring_used(ring, &id, &len))
		(*count)++;
}

/* The back-end still holds the connection (no end of stream, no error). */
static void
check_connected(struct rogue *r)
{
	char c;
	ssize_t n = recv(r->fe.fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);

	if (!(n < 0 && errno == EAGAIN))
		vhu_fe_fail("the back-end closed the connection (%s)", n < 0 ? strerror(errno)
								       : n == 0
									       ? "end of stream"
									       : "unexpected data");
}

static int
usage(void)
{
	fprintf(stderr, "usage: vhu_rogue --socket PATH --mode loop|index|address|short|flood "
			"[--seconds N]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"socket", required_argument, NULL, 's'},
					     {"mode", required_argument, NULL, 'm'},
					     {"seconds", required_argument, NULL, 't'},
					     {NULL, 0, NULL, 0}};
	const char *path = NULL, *mode = NULL;
	struct rogue r = {0};
	double seconds = 60, t0;
	uint64_t rx_used = 0;
	struct vhu_split_desc *d;
	unsigned i;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			path = optarg;
		else if (c == 'm')
			mode = optarg;
		else if (c == 't')
			seconds = atof(optarg);
		else
			return usage();
	}
	if (path == NULL || mode == NULL)
		return usage();

	r.fe.memfd = vhu_fe_memfd(MEM_SIZE);
	r.fe.mem = vhu_fe_map(r.fe.memfd, MEM_SIZE);
	r.fe.mem_size = MEM_SIZE;
	r.fe.gpa = GPA;
	r.fe.timeout_ms = 10000; /* a busy machine: the back-end syncs with its PMDs */
	r.fe.fd = vhu_fe_connect(path);
	r.next_buf = VHU_FE_RINGS_SIZE;
	vhu_fe_handshake(&r.fe, F_VERSION_1 | F_PROTOCOL_FEATURES, PF_REPLY_ACK, NUM);
	vhu_fe_ring_init(&r.rx, &r.fe, 0, NUM);
	vhu_fe_ring_init(&r.tx, &r.fe, 1, NUM);
	/* One good frame first: the switch learns our MAC from it. */
	post_frame(&r);

	if (strcmp(mode, "loop") == 0 || strcmp(mode, "index") == 0) {
		d = vhu_fe_split_desc(&r.tx, 7);
		d->addr = gbuf(&r, 64);
		d->len = 64;
		d->flags = VHU_DESC_F_NEXT;
		d->next = strcmp(mode, "loop") == 0 ? 7 : NUM + 5;
		vhu_fe_split_publish(&r.tx, 7, 1);
	} else if (strcmp(mode, "address") == 0) {
		struct vhu_fe_buf b = {GPA + MEM_SIZE + 0x1000, 2048, true};

		(void)vhu_fe_ring_post(&r.rx, &b, 1);
	} else if (strcmp(mode, "flood") == 0) {
		for (i = 0; i < 8; i++) {
			struct vhu_fe_buf b = {gbuf(&r, 2048), 2048, true};

			(void)vhu_fe_ring_post(&r.rx, &b, 1);
		}
	} else if (strcmp(mode, "short") != 0) {
		return usage();
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	printf("ready\n");
	fflush(stdout);

	t0 = vhu_fe_now_s();
	while (!stop && vhu_fe_now_s() - t0 < seconds) {
		if (strcmp(mode, "flood") == 0 || strcmp(mode, "short") == 0) {
			reap(&r.tx, &r.reaped);
			while (r.tx.in_flight < NUM)
				strcmp(mode, "flood") == 0 ? post_frame(&r) : post_short(&r);
			usleep(100);
		} else {
			usleep(100000);
		}
		check_connected(&r);
	}
	reap(&r.tx, &r.reaped);
	reap(&r.rx, &rx_used);
	printf("mode %s: posted %llu tx chains, %llu given back; %llu rx buffers filled\n", mode,
	       (unsigned long long)r.posted, (unsigned long long)r.reaped,
	       (unsigned long long)rx_used);
	close(r.fe.fd);
	return 0;
}
