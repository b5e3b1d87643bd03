/* Protocol-level tests of the vhost-user device: this process plays the
 * front-end (as QEMU would) over a real unix socket against a real struct
 * vhu_dev (vhu_sock.c → vhu_handlers.c → vhu_dev.c), with memfd guest memory
 * whose front-end addresses are this process's own mappings. Test names map to
 * bad-input.md class 10 and promises P1, P4 and P5. No PMD runs: the 'sync'
 * callback only counts, and no DPDK function is called (no EAL needed). The
 * front-end's messages and sequences are vhu_fe_test.c's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "vhu.h"
#include "vhu_fe_test.h"
#include "vhu_msg.h"
#include "vhu_priv.h" /* feature bits; a few white-box checks of ring state */

#define QP	    2u /* max_queue_pairs of the device under test */
#define MEM_SIZE    (UINT64_C(1) << 20)
#define GPA	    UINT64_C(0x100000000)
#define RING_STRIDE VHU_FE_RING_STRIDE /* ring i lives at i * RING_STRIDE in guest memory */
#define AVAIL_OFF   VHU_FE_AVAIL_OFF
#define USED_OFF    VHU_FE_USED_OFF
#define NUM	    256u

#define V1 VHU_FE_V1
#define NR VHU_FE_NR

#define F_BASE (VHU_BIT(VHU_F_VERSION_1) | VHU_BIT(VHU_F_PROTOCOL_FEATURES))
#define PF_ALL                                                                                     \
	(VHU_BIT(VHU_PROTOCOL_F_REPLY_ACK) | VHU_BIT(VHU_PROTOCOL_F_MQ) |                          \
	 VHU_BIT(VHU_PROTOCOL_F_CONFIGURE_MEM_SLOTS) | VHU_BIT(VHU_PROTOCOL_F_LOG_SHMFD))

#define MAX_SEND_FDS VHU_FE_MAX_FDS

struct fx {
	char dir[64];
	char path[VHU_PATH_MAX];
	struct vhu_loop *loop;
	struct vhu_dev *dev;
	struct vhu_fe fe; /* the front-end: our end of the connection, guest memory */
	unsigned syncs, changes;
	int base_fds; /* open fds once connected, before any message */
};

static void
close_all(int *fds, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		close(fds[i]);
		fds[i] = -1;
	}
}

/* --- The device side: the loop and callbacks. --- */

static void
cb_sync(void *arg)
{
	((struct fx *)arg)->syncs++;
}

static void
cb_changed(void *arg)
{
	((struct fx *)arg)->changes++;
}

/* Runs the loop until it has nothing more to do (it never blocks). */
static void
pump(struct fx *f)
{
	struct pollfd p = {.fd = vhu_loop_fd(f->loop), .events = POLLIN};
	int i;

	for (i = 0; i < 1000000 && poll(&p, 1, 0) > 0; i++)
		vhu_loop_run(f->loop);
}

static void
pump_cb(void *arg)
{
	pump(arg);
}

/* A failed front-end step fails the test. */
static void
fe_fail(const char *msg)
{
	fail_msg("%s", msg);
}

static struct vhu_dev_info
info(struct fx *f)
{
	struct vhu_dev_info in;

	vhu_dev_get_info(f->dev, &in);
	return in;
}

static bool
ring_running(struct fx *f, unsigned idx)
{
	struct vhu_dev_info in = info(f);

	return idx % 2 == 0 ? in.q[idx / 2].rx_up : in.q[idx / 2].tx_up;
}

/* Drops our connection (the device sees the end of stream) and opens a new one. */
static void
fresh_conn(struct fx *f)
{
	if (f->fe.fd >= 0)
		close(f->fe.fd);
	pump(f);
	f->fe.fd = vhu_fe_connect(f->path);
	f->fe.ack = false;
	pump(f);
	assert_true(info(f).connected);
}

static int
create_dev(struct fx *f, bool client, struct iovs_err *err)
{
	struct vhu_dev_conf conf = {.client = client, .max_queue_pairs = QP};
	struct vhu_dev_cb cb = {.sync = cb_sync, .state_changed = cb_changed, .arg = f};

	snprintf(conf.path, sizeof(conf.path), "%s", f->path);
	return vhu_dev_create(f->loop, &conf, &cb, &f->dev, err);
}

/* A temp dir, a loop and guest memory; no device. */
static int
setup_bare(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct iovs_err err = {{0}};

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vhu_dev_test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/sock", f->dir);
	assert_int_equal(vhu_loop_create(&f->loop, &err), 0);
	f->fe.fd = -1;
	f->fe.memfd = vhu_fe_memfd(MEM_SIZE);
	f->fe.mem = vhu_fe_map(f->fe.memfd, MEM_SIZE);
	f->fe.mem_size = MEM_SIZE;
	f->fe.gpa = GPA;
	f->fe.queue_pairs = QP;
	f->fe.pump = pump_cb;
	f->fe.pump_arg = f;
	*state = f;
	return 0;
}

/* A server-mode device with one front-end connected, nothing negotiated. */
static int
setup(void **state)
{
	struct iovs_err err = {{0}};
	struct fx *f;
	int rc;

	setup_bare(state);
	f = *state;
	rc = create_dev(f, false, &err);
	if (rc != 0)
		fail_msg("vhu_dev_create: %s", iovs_err_str(&err, rc));
	fresh_conn(f);
	f->base_fds = vhu_fe_count_fds();
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char path[VHU_PATH_MAX + 16];

	if (f->fe.fd >= 0)
		close(f->fe.fd);
	vhu_dev_destroy(f->dev);
	vhu_loop_destroy(f->loop);
	munmap(f->fe.mem, MEM_SIZE);
	close(f->fe.memfd);
	snprintf(path, sizeof(path), "%s", f->path);
	unlink(path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Closes our connection, lets the device clean up, reconnects: every fd the
 * device held for the old connection must be closed by now. */
static void
assert_fds_at_baseline(struct fx *f)
{
	fresh_conn(f);
	assert_int_equal(vhu_fe_count_fds(), f->base_fds);
}

/* --- Front-end side: what vhu_fe_test.c checks, plus the device's view. --- */

/* Nothing was sent back and the connection is still up. */
static void
expect_no_reply(struct fx *f)
{
	vhu_fe_expect_no_reply(&f->fe);
	assert_true(info(f).connected);
}

/* The device closed the connection without a reply. */
static void
expect_closed(struct fx *f)
{
	vhu_fe_expect_closed(&f->fe);
	assert_false(info(f).connected);
}

/* --- Front-end side: the usual sequences. --- */

/* Everything up to a running queue pair 0. */
static void
handshake(struct fx *f, uint64_t extra_features, uint32_t num, uint32_t base)
{
	vhu_fe_negotiate(&f->fe, F_BASE | extra_features, PF_ALL);
	vhu_fe_set_mem(&f->fe);
	vhu_fe_setup_ring(&f->fe, 0, num, base, f->fe.mem);
	vhu_fe_setup_ring(&f->fe, 1, num, base, f->fe.mem);
	assert_false(info(f).link_up); /* P4: not before SET_VRING_ENABLE */
	vhu_fe_enable_ring(&f->fe, 0, true);
	vhu_fe_enable_ring(&f->fe, 1, true);
	assert_true(info(f).link_up);
}

/* --- Handshakes. --- */

static void
check_handshake(struct fx *f, bool packed)
{
	const uint64_t features = F_BASE | (packed ? VHU_BIT(VHU_F_RING_PACKED) : 0);
	const uint32_t base = packed ? 0x80058005u : 5u; /* packed: slot 5, wrap 1 */
	struct vhu_dev_info in;
	unsigned syncs;

	handshake(f, packed ? VHU_BIT(VHU_F_RING_PACKED) : 0, NUM, base);
	in = info(f);
	assert_true(in.connected);
	assert_true(in.link_up);
	assert_true(in.q[0].rx_up && in.q[0].tx_up);
	assert_false(in.q[1].rx_up || in.q[1].tx_up);
	assert_int_equal(in.n_queue_pairs, 1);
	assert_int_equal(in.mem_regions, 1);
	assert_int_equal(in.features, features);
	assert_int_equal(in.protocol_features, PF_ALL);
	assert_true(f->changes >= 1); /* link up */
	assert_string_equal(in.state, "running");
	vhu_fe_send_u64(&f->fe, VHU_REQ_NET_SET_MTU, vhu_fe_flags(&f->fe), 9000);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_NET_SET_MTU);
	assert_int_equal(info(f).mtu, 9000);
	vhu_fe_send_u64(&f->fe, VHU_REQ_SET_STATUS, vhu_fe_flags(&f->fe), 0xf);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_STATUS);
	vhu_fe_send_none(&f->fe, VHU_REQ_GET_STATUS, vhu_fe_flags(&f->fe));
	assert_int_equal(vhu_fe_expect_reply_u64(&f->fe, VHU_REQ_GET_STATUS), 0xf);

	/* The device mapped our memfd: it suppressed kicks in the ring (iovs polls). */
	if (packed) {
		const struct vhu_packed_event *dev_ev = (const void *)(f->fe.mem + USED_OFF);

		assert_int_equal(dev_ev->flags, VHU_EVENT_F_DISABLE);
	} else {
		const struct vhu_split_used *used = (const void *)(f->fe.mem + USED_OFF);

		assert_int_equal(used->flags, VHU_USED_F_NO_NOTIFY);
	}

	/* A new memory table while rings run: stop, one sync, swap, restart. */
	syncs = f->syncs;
	vhu_fe_set_mem(&f->fe);
	assert_int_equal(f->syncs, syncs + 1);
	assert_true(info(f).link_up);

	/* GET_VRING_BASE answers what was set (nothing was processed). */
	vhu_fe_send_state(&f->fe, VHU_REQ_GET_VRING_BASE, vhu_fe_flags(&f->fe), 0, 0);
	assert_int_equal(vhu_fe_expect_reply_state(&f->fe, VHU_REQ_GET_VRING_BASE, 0), base);
	expect_no_reply(f); /* NEED_REPLY adds no ack to a reply with data */
	assert_false(info(f).link_up);
	vhu_fe_send_state(&f->fe, VHU_REQ_GET_VRING_BASE, vhu_fe_flags(&f->fe), 1, 0);
	assert_int_equal(vhu_fe_expect_reply_state(&f->fe, VHU_REQ_GET_VRING_BASE, 1), base);

	/* A ring that never started answers what was set, too. */
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, vhu_fe_flags(&f->fe), 2, NUM);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_NUM);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_BASE, vhu_fe_flags(&f->fe), 2,
			  packed ? 0x80038003u : 3u);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_BASE);
	vhu_fe_send_state(&f->fe, VHU_REQ_GET_VRING_BASE, vhu_fe_flags(&f->fe), 2, 0);
	assert_int_equal(vhu_fe_expect_reply_state(&f->fe, VHU_REQ_GET_VRING_BASE, 2),
			 packed ? 0x80038003u : 3u);

	/* A new front-end starts from nothing. */
	assert_fds_at_baseline(f);
	in = info(f);
	assert_false(in.link_up);
	assert_int_equal(in.mem_regions, 0);
	assert_int_equal(in.features, 0);
	assert_int_equal(in.protocol_features, 0);
	assert_int_equal(in.mtu, 0);
	vhu_fe_send_none(&f->fe, VHU_REQ_GET_STATUS, V1);
	assert_int_equal(vhu_fe_expect_reply_u64(&f->fe, VHU_REQ_GET_STATUS), 0);
}

static void
test_handshake_split(void **state)
{
	check_handshake(*state, false);
}

static void
test_handshake_packed(void **state)
{
	struct fx *f = *state;

	check_handshake(f, true);

	/* Dirty logging of a packed ring (VHOST_VRING_F_LOG): used descriptors
	 * are written into the descriptor ring, so the log needs its guest
	 * address. */
	vhu_fe_negotiate(&f->fe, F_BASE | VHU_BIT(VHU_F_RING_PACKED), PF_ALL);
	vhu_fe_set_mem(&f->fe);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, NR, 0, NUM);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_NUM);
	vhu_fe_send_addr(&f->fe, NR, 0, f->fe.mem, VHU_VRING_F_LOG);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_ADDR);
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_KICK, NR, 0, vhu_fe_eventfd());
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_KICK);
	vhu_fe_enable_ring(&f->fe, 0, true);
	assert_true(ring_running(f, 0));
	assert_true(f->dev->vr[0].vq.log_used);
	assert_int_equal(f->dev->vr[0].vq.desc_gpa, GPA);
	assert_fds_at_baseline(f);
}

/* --- Promises. --- */

static void
test_p4_rings_start_disabled_with_protocol_features(void **state)
{
	struct fx *f = *state;
	unsigned changes, syncs;

	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_set_mem(&f->fe);
	vhu_fe_setup_ring(&f->fe, 0, NUM, 0, f->fe.mem);
	vhu_fe_setup_ring(&f->fe, 1, NUM, 0, f->fe.mem);
	assert_false(ring_running(f, 0));
	assert_false(ring_running(f, 1));
	assert_false(info(f).link_up);

	changes = f->changes;
	vhu_fe_enable_ring(&f->fe, 0, true);
	assert_true(ring_running(f, 0));
	assert_false(ring_running(f, 1));
	assert_false(info(f).link_up);
	vhu_fe_enable_ring(&f->fe, 1, true);
	assert_true(info(f).link_up);
	assert_int_equal(f->changes, changes + 1);

	/* Disabling stops the ring, after a sync. */
	syncs = f->syncs;
	vhu_fe_enable_ring(&f->fe, 0, false);
	assert_false(ring_running(f, 0));
	assert_int_equal(f->syncs, syncs + 1);
	assert_false(info(f).link_up);
	assert_int_equal(f->changes, changes + 2);
	vhu_fe_enable_ring(&f->fe, 0, true);
	assert_true(info(f).link_up);

	/* Enabled before it is set up: the ring starts at its kick. */
	vhu_fe_enable_ring(&f->fe, 2, true);
	assert_false(ring_running(f, 2));
	vhu_fe_setup_ring(&f->fe, 2, NUM, 0, f->fe.mem);
	assert_true(ring_running(f, 2));

	/* Without VHOST_USER_F_PROTOCOL_FEATURES a ring runs from its kick. */
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, VHU_BIT(VHU_F_VERSION_1), 0);
	vhu_fe_set_mem(&f->fe);
	vhu_fe_setup_ring(&f->fe, 0, NUM, 0, f->fe.mem);
	assert_true(ring_running(f, 0));
	vhu_fe_setup_ring(&f->fe, 1, NUM, 0, f->fe.mem);
	assert_true(info(f).link_up);
	assert_fds_at_baseline(f);
}

static void
test_p5_get_vring_base_stops_ring(void **state)
{
	struct fx *f = *state;
	unsigned syncs, changes;

	handshake(f, 0, NUM, 7);
	syncs = f->syncs;
	changes = f->changes;
	vhu_fe_send_state(&f->fe, VHU_REQ_GET_VRING_BASE, V1, 0, 0);
	assert_int_equal(vhu_fe_expect_reply_state(&f->fe, VHU_REQ_GET_VRING_BASE, 0), 7);
	assert_false(ring_running(f, 0));
	assert_int_equal(f->syncs, syncs + 1); /* no PMD uses the ring any more */
	assert_false(info(f).link_up);
	assert_int_equal(f->changes, changes + 1);
	vhu_fe_send_state(&f->fe, VHU_REQ_GET_VRING_BASE, V1, 1, 0);
	assert_int_equal(vhu_fe_expect_reply_state(&f->fe, VHU_REQ_GET_VRING_BASE, 1), 7);
	assert_false(ring_running(f, 1));
	assert_int_equal(f->syncs, syncs + 2);

	/* Suspended, but still answering. */
	assert_int_equal(vhu_fe_get_features(&f->fe) & F_BASE, F_BASE);
	vhu_fe_send_none(&f->fe, VHU_REQ_GET_STATUS, V1);
	assert_int_equal(vhu_fe_expect_reply_u64(&f->fe, VHU_REQ_GET_STATUS), 0);

	/* Nothing but a new kick restarts a stopped ring. */
	syncs = f->syncs;
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_CALL, NR, 0, vhu_fe_eventfd());
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_CALL);
	vhu_fe_enable_ring(&f->fe, 0, true);
	vhu_fe_set_mem(&f->fe);
	vhu_fe_send_u64(&f->fe, VHU_REQ_SET_FEATURES, NR, F_BASE);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_FEATURES);
	vhu_fe_set_base(&f->fe, 0, 9, f->fe.mem);
	assert_false(ring_running(f, 0));
	assert_false(ring_running(f, 1));
	assert_int_equal(f->syncs, syncs); /* nothing ran, nothing to wait for */

	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_KICK, NR, 0, vhu_fe_eventfd());
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_KICK);
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_KICK, NR, 1, vhu_fe_eventfd());
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_KICK);
	vhu_fe_enable_ring(&f->fe, 0, true);
	vhu_fe_enable_ring(&f->fe, 1, true);
	assert_true(info(f).link_up);
	vhu_fe_send_state(&f->fe, VHU_REQ_GET_VRING_BASE, V1, 0, 0);
	assert_int_equal(vhu_fe_expect_reply_state(&f->fe, VHU_REQ_GET_VRING_BASE, 0), 9);
	assert_fds_at_baseline(f);
}

/* --- Class 10: messages out of order. --- */

static void
test_class10_vring_addr_before_mem_table(void **state)
{
	struct fx *f = *state;

	/* Without REPLY_ACK the front-end cannot be told: closed. */
	vhu_fe_negotiate(&f->fe, F_BASE, 0);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, V1, 0, NUM);
	expect_no_reply(f);
	vhu_fe_send_addr(&f->fe, V1, 0, f->fe.mem, 0);
	expect_closed(f);

	/* A new connection works. */
	fresh_conn(f);
	handshake(f, 0, NUM, 0);

	/* With REPLY_ACK and NEED_REPLY: a nack, and the connection goes on. */
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, NR, 0, NUM);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_NUM);
	vhu_fe_send_addr(&f->fe, NR, 0, f->fe.mem, 0);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_ADDR);
	assert_int_equal(vhu_fe_get_features(&f->fe) & F_BASE, F_BASE);
	vhu_fe_set_mem(&f->fe);
	vhu_fe_setup_ring(&f->fe, 0, NUM, 0, f->fe.mem);
	vhu_fe_setup_ring(&f->fe, 1, NUM, 0, f->fe.mem);
	vhu_fe_enable_ring(&f->fe, 0, true);
	vhu_fe_enable_ring(&f->fe, 1, true);
	assert_true(info(f).link_up);

	/* REPLY_ACK negotiated but NEED_REPLY not set: closed. */
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_send_addr(&f->fe, V1, 0, f->fe.mem, 0);
	expect_closed(f);

	/* Addresses are data until the ring starts: outside guest memory, or
	 * misaligned, the ring does not start (bad-input class 3). */
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_set_mem(&f->fe);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, NR, 0, NUM);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_NUM);
	vhu_fe_send_addr(&f->fe, NR, 0, f->fe.mem + MEM_SIZE - 0x1000,
			 0); /* avail, used beyond the end */
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_ADDR);
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_KICK, NR, 0, vhu_fe_eventfd());
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_KICK); /* not enabled yet: nothing to check */
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_ENABLE, NR, 0, 1);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_ENABLE);
	assert_false(ring_running(f, 0));
	vhu_fe_send_addr(&f->fe, NR, 0, f->fe.mem + 2, 0); /* descriptors need 16-byte alignment */
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_ADDR);
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_KICK, NR, 0, vhu_fe_eventfd());
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_KICK);
	assert_false(ring_running(f, 0));
	vhu_fe_send_addr(&f->fe, NR, 0, f->fe.mem, 0);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_ADDR);
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_KICK, NR, 0, vhu_fe_eventfd());
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_KICK);
	assert_true(ring_running(f, 0));
	assert_fds_at_baseline(f);
}

static void
test_class10_vring_kick_before_mem_table(void **state)
{
	struct fx *f = *state;

	vhu_fe_negotiate(&f->fe, F_BASE, 0);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, V1, 0, NUM);
	expect_no_reply(f);
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_KICK, V1, 0, vhu_fe_eventfd());
	expect_closed(f);
	assert_fds_at_baseline(f); /* the kick fd was closed */
	handshake(f, 0, NUM, 0);

	/* With REPLY_ACK: nacks, with and without a kick fd. */
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_KICK, NR, 0, vhu_fe_eventfd());
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_KICK);
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_KICK, NR, 0 | VHU_VRING_NOFD_MASK, -1);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_KICK);
	assert_int_equal(vhu_fe_count_fds(), f->base_fds);

	/* A memory table, but the ring has no size or address yet. */
	vhu_fe_set_mem(&f->fe);
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_KICK, NR, 0, vhu_fe_eventfd());
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_KICK);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, NR, 0, NUM);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_NUM);
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_KICK, NR, 0, vhu_fe_eventfd());
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_KICK);
	assert_false(ring_running(f, 0));

	/* The same connection completes the handshake. */
	vhu_fe_setup_ring(&f->fe, 0, NUM, 0, f->fe.mem);
	vhu_fe_setup_ring(&f->fe, 1, NUM, 0, f->fe.mem);
	vhu_fe_enable_ring(&f->fe, 0, true);
	vhu_fe_enable_ring(&f->fe, 1, true);
	assert_true(info(f).link_up);
	assert_fds_at_baseline(f);
}

/* --- Class 10: ring indexes and sizes. --- */

static void
test_class10_vring_index_beyond_queue_pairs(void **state)
{
	static const uint32_t bad[] = {2 * QP,	2 * QP + 1, VHU_MAX_VRINGS - 1, VHU_MAX_VRINGS,
				       0x10000, 0x10001,    UINT32_MAX};
	static const uint64_t bad_file[] = {2 * QP, 0xff, 0x10000, 0x10000 | VHU_VRING_NOFD_MASK,
					    UINT64_C(1) << 32};
	struct fx *f = *state;
	unsigned i;

	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_set_mem(&f->fe);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, NR, 0, NUM);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_NUM);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_BASE, NR, 0, 3);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_BASE);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, NR, bad[i], 64);
		vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_NUM);
		vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_BASE, NR, bad[i], 7);
		vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_BASE);
		vhu_fe_send_addr(&f->fe, NR, bad[i], f->fe.mem, 0);
		vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_ADDR);
		vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_ENABLE, NR, bad[i], 1);
		vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_ENABLE);
	}
	for (i = 0; i < sizeof(bad_file) / sizeof(bad_file[0]); i++) {
		bool nofd = (bad_file[i] & VHU_VRING_NOFD_MASK) != 0;

		vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_CALL, NR, bad_file[i],
				 nofd ? -1 : vhu_fe_eventfd());
		vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_CALL);
		vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_KICK, NR, bad_file[i],
				 nofd ? -1 : vhu_fe_eventfd());
		vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_KICK);
		vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_ERR, NR, bad_file[i],
				 nofd ? -1 : vhu_fe_eventfd());
		vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_ERR);
	}
	/* 0x10000 did not reach ring 0 (no truncation to 16 bits). */
	vhu_fe_send_state(&f->fe, VHU_REQ_GET_VRING_BASE, V1, 0, 0);
	assert_int_equal(vhu_fe_expect_reply_state(&f->fe, VHU_REQ_GET_VRING_BASE, 0), 3);
	assert_int_equal(f->dev->vr[0].num, NUM);

	/* GET_VRING_BASE cannot be nacked (the front-end waits for a state). */
	vhu_fe_send_state(&f->fe, VHU_REQ_GET_VRING_BASE, NR, 0x10000, 0);
	expect_closed(f);
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_send_state(&f->fe, VHU_REQ_GET_VRING_BASE, NR, 2 * QP, 0);
	expect_closed(f);

	/* Without REPLY_ACK: closed. */
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, 0);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, V1, 0x10000, NUM);
	expect_closed(f);
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, 0);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, V1, 2 * QP, NUM);
	expect_closed(f);
	assert_fds_at_baseline(f);
}

static void
test_class10_vring_num_zero(void **state)
{
	struct fx *f = *state;

	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, NR, 0, 0);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_NUM);
	assert_false(f->dev->vr[0].have_num);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, NR, 0, 1);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_NUM);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, NR, 0, 0);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_NUM);
	assert_int_equal(f->dev->vr[0].num, 1);

	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, 0);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, V1, 0, 0);
	expect_closed(f);
	assert_fds_at_baseline(f);
}

static void
test_class10_vring_num_not_power_of_two_split(void **state)
{
	static const uint32_t bad[] = {3, 100, 255, 257, 32767};
	static const uint32_t good[] = {1, 2, 4, 256, 32768};
	struct fx *f = *state;
	unsigned i;

	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, NR, 0, bad[i]);
		vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_NUM);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, NR, 0, good[i]);
		vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_NUM);
	}

	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, 0);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, V1, 0, 100);
	expect_closed(f);

	/* Packed rings may have any size: 100 entries run. */
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE | VHU_BIT(VHU_F_RING_PACKED), PF_ALL);
	vhu_fe_set_mem(&f->fe);
	vhu_fe_setup_ring(&f->fe, 0, 100, 0, f->fe.mem);
	vhu_fe_setup_ring(&f->fe, 1, 100, 0, f->fe.mem);
	vhu_fe_enable_ring(&f->fe, 0, true);
	vhu_fe_enable_ring(&f->fe, 1, true);
	assert_true(info(f).link_up);
	assert_int_equal(f->dev->vr[0].vq.size, 100);
	assert_fds_at_baseline(f);
}

static void
test_class10_vring_num_too_big(void **state)
{
	static const uint32_t bad[] = {32769, 65535, 65536, 0x80000000u, UINT32_MAX};
	struct fx *f = *state;
	unsigned i;

	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, NR, 0, bad[i]);
		vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_NUM);
		vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, NR, 1, bad[i]);
		vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_NUM);
	}
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, NR, 0, VHU_MAX_RING_SIZE);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_NUM);

	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE | VHU_BIT(VHU_F_RING_PACKED), 0);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, V1, 0, 32769);
	expect_closed(f);
	assert_fds_at_baseline(f);
}

/* --- Class 10: memory tables. Every refusal closes every fd it came with. --- */

static void
test_class10_mem_table_zero_regions(void **state)
{
	struct fx *f = *state;
	struct vhu_wire_mem_region r = vhu_fe_region(GPA, MEM_SIZE, vhu_fe_uva(f->fe.mem), 0);
	int fd;

	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	fd = vhu_fe_memfd(4096);
	vhu_fe_send_mem_table(&f->fe, NR, 0, NULL, 0, &fd, 1);
	close(fd);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_MEM_TABLE);
	vhu_fe_send_mem_table(&f->fe, NR, 0, NULL, 0, NULL, 0);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_MEM_TABLE);
	/* nregions 0 followed by a region's bytes anyway */
	vhu_fe_send_mem_table(&f->fe, NR, 0, &r, 1, &f->fe.memfd, 1);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_MEM_TABLE);
	assert_int_equal(info(f).mem_regions, 0);
	assert_int_equal(vhu_fe_count_fds(), f->base_fds);

	vhu_fe_send_mem_table(&f->fe, V1, 0, NULL, 0, &f->fe.memfd, 1);
	expect_closed(f);
	assert_fds_at_baseline(f);
}

static void
test_class10_mem_table_too_many_regions(void **state)
{
	struct vhu_wire_mem_region r[9];
	struct fx *f = *state;
	int fds[9];
	unsigned i;

	for (i = 0; i < 9; i++) {
		fds[i] = vhu_fe_memfd(4096);
		r[i] = vhu_fe_region(GPA + i * 0x10000, 4096, 0x7f0000000000 + i * 0x10000, 0);
	}
	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);

	/* nregions 9 in a payload that holds 8 (the largest accepted). */
	vhu_fe_send_mem_table(&f->fe, NR, 9, r, 8, fds, 8);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_MEM_TABLE);
	assert_int_equal(info(f).mem_regions, 0);

	/* nregions 9 with 9 regions: beyond the largest payload, framing lost. */
	vhu_fe_send_mem_table(&f->fe, NR, 9, r, 9, fds, 8);
	expect_closed(f);

	/* Eight regions with nine fds: more fds than any message takes. */
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_send_mem_table(&f->fe, NR, 8, r, 8, fds, 9);
	expect_closed(f);

	/* Eight is the limit, and is accepted. */
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_send_mem_table(&f->fe, NR, 8, r, 8, fds, 8);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_MEM_TABLE);
	assert_int_equal(info(f).mem_regions, 8);

	close_all(fds, 9);
	assert_fds_at_baseline(f);
}

static void
test_class10_mem_table_overlap(void **state)
{
	struct vhu_wire_mem_region r[2];
	struct fx *f = *state;
	int fds[2] = {vhu_fe_memfd(0x10000), vhu_fe_memfd(0x10000)};

	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	/* Guest-physical overlap: by half, by containment, identical. */
	r[0] = vhu_fe_region(GPA, 0x10000, 0x7f0000000000, 0);
	r[1] = vhu_fe_region(GPA + 0x8000, 0x10000, 0x7f0000100000, 0);
	vhu_fe_send_mem_table(&f->fe, NR, 2, r, 2, fds, 2);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_MEM_TABLE);
	r[1] = vhu_fe_region(GPA + 0x1000, 0x1000, 0x7f0000100000, 0);
	vhu_fe_send_mem_table(&f->fe, NR, 2, r, 2, fds, 2);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_MEM_TABLE);
	r[1] = vhu_fe_region(GPA, 0x10000, 0x7f0000100000, 0);
	vhu_fe_send_mem_table(&f->fe, NR, 2, r, 2, fds, 2);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_MEM_TABLE);
	/* Front-end address overlap (distinct guest addresses). */
	r[1] = vhu_fe_region(GPA + 0x100000, 0x10000, 0x7f0000008000, 0);
	vhu_fe_send_mem_table(&f->fe, NR, 2, r, 2, fds, 2);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_MEM_TABLE);
	assert_int_equal(info(f).mem_regions, 0);
	/* Adjacent is fine. */
	r[1] = vhu_fe_region(GPA + 0x10000, 0x10000, 0x7f0000010000, 0);
	vhu_fe_send_mem_table(&f->fe, NR, 2, r, 2, fds, 2);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_MEM_TABLE);
	assert_int_equal(info(f).mem_regions, 2);

	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, 0);
	r[1] = vhu_fe_region(GPA + 0x8000, 0x10000, 0x7f0000100000, 0);
	vhu_fe_send_mem_table(&f->fe, V1, 2, r, 2, fds, 2);
	expect_closed(f);

	close_all(fds, 2);
	assert_fds_at_baseline(f);
}

static void
test_class10_mem_table_size_offset_overflow(void **state)
{
	struct fx *f = *state;
	const uint64_t uva = vhu_fe_uva(f->fe.mem), big = (uint64_t)INT64_MAX & ~UINT64_C(0xfff);
	const struct vhu_wire_mem_region bad[] = {
		vhu_fe_region(GPA, 4096, uva, (uint64_t)INT64_MAX), /* offset + size > off_t */
		vhu_fe_region(GPA, 4096, uva, UINT64_MAX - 4095),   /* offset + size wraps */
		vhu_fe_region(GPA, UINT64_MAX, uva, 0),		    /* gpa + size wraps */
		vhu_fe_region(UINT64_MAX - 100, 4096, uva, 0),	    /* gpa + size wraps */
		vhu_fe_region(GPA, 4096, UINT64_MAX - 100, 0),	    /* uva + size wraps */
		vhu_fe_region(GPA, (uint64_t)INT64_MAX + 1, 0, 0),  /* size > off_t */
		vhu_fe_region(GPA, 0, uva, 0),			    /* size 0 */
		vhu_fe_region(GPA, 4096, uva, MEM_SIZE),	    /* beyond the file */
		vhu_fe_region(GPA, MEM_SIZE, uva, 4096),	    /* beyond the file */
		vhu_fe_region(0, (uint64_t)INT64_MAX - 0x800, 0,
			      0x801),			  /* page rounding would wrap */
		vhu_fe_region(0, big, 0, 0x800),	  /* rounded up: beyond the file */
		vhu_fe_region(GPA, 2 * MEM_SIZE, uva, 0), /* beyond the file */
		vhu_fe_region(0, (uint64_t)INT64_MAX, 0, (uint64_t)INT64_MAX), /* both halves */
	};
	struct vhu_wire_mem_region r;
	unsigned i;

	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vhu_fe_send_mem_table(&f->fe, NR, 1, &bad[i], 1, &f->fe.memfd, 1);
		if (vhu_fe_expect_reply_u64(&f->fe, VHU_REQ_SET_MEM_TABLE) == 0)
			fail_msg("region %u accepted", i);
		assert_int_equal(info(f).mem_regions, 0);
	}
	assert_int_equal(vhu_fe_count_fds(), f->base_fds);

	/* An offset that is not page-aligned is fine inside the file. */
	r = vhu_fe_region(GPA, 4096, uva + 0x800, 0x800);
	vhu_fe_send_mem_table(&f->fe, NR, 1, &r, 1, &f->fe.memfd, 1);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_MEM_TABLE);
	assert_int_equal(info(f).mem_regions, 1);

	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, 0);
	vhu_fe_send_mem_table(&f->fe, V1, 1, &bad[0], 1, &f->fe.memfd, 1);
	expect_closed(f);
	assert_fds_at_baseline(f);
}

static void
test_class10_mem_table_fd_count_mismatch(void **state)
{
	struct fx *f = *state;
	struct vhu_wire_mem_region r[2] = {
		vhu_fe_region(GPA, 0x10000, vhu_fe_uva(f->fe.mem), 0),
		vhu_fe_region(GPA + 0x10000, 0x10000, vhu_fe_uva(f->fe.mem) + 0x10000, 0x10000)};
	int fds[3] = {f->fe.memfd, vhu_fe_memfd(4096), vhu_fe_eventfd()};

	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_send_mem_table(&f->fe, NR, 2, r, 2, fds, 1);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_MEM_TABLE);
	vhu_fe_send_mem_table(&f->fe, NR, 1, r, 1, fds, 2);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_MEM_TABLE);
	vhu_fe_send_mem_table(&f->fe, NR, 1, r, 1, fds, 3);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_MEM_TABLE);
	vhu_fe_send_mem_table(&f->fe, NR, 1, r, 1, NULL, 0);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_MEM_TABLE);
	vhu_fe_send_mem_table(&f->fe, NR, 2, r, 2, NULL, 0);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_MEM_TABLE);
	assert_int_equal(info(f).mem_regions, 0);
	close(fds[1]);
	close(fds[2]);
	assert_int_equal(vhu_fe_count_fds(), f->base_fds);

	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, 0);
	vhu_fe_send_mem_table(&f->fe, V1, 2, r, 2, fds, 1);
	expect_closed(f);
	assert_fds_at_baseline(f);
}

/* Feature bits we never offered are refused, whatever else is set. */
static void
test_class10_features_not_offered(void **state)
{
	static const uint64_t bad[] = {VHU_BIT(VHU_F_NOTIFY_ON_EMPTY), VHU_BIT(63),
				       VHU_BIT(VHU_NET_F_CTRL_VQ), UINT64_MAX};
	struct fx *f = *state;
	unsigned i;

	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vhu_fe_send_u64(&f->fe, VHU_REQ_SET_FEATURES, NR, F_BASE | bad[i]);
		vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_FEATURES);
		assert_int_equal(info(f).features, F_BASE);
		vhu_fe_send_u64(&f->fe, VHU_REQ_SET_PROTOCOL_FEATURES, NR,
				PF_ALL | (bad[i] & ~UINT64_C(0xffff)));
		vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_PROTOCOL_FEATURES);
		assert_int_equal(info(f).protocol_features, PF_ALL);
	}
	/* INBAND_NOTIFICATIONS needs BACKEND_REQ and REPLY_ACK. */
	vhu_fe_send_u64(&f->fe, VHU_REQ_SET_PROTOCOL_FEATURES, NR,
			VHU_BIT(VHU_PROTOCOL_F_INBAND_NOTIFICATIONS));
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_PROTOCOL_FEATURES);

	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, 0);
	vhu_fe_send_u64(&f->fe, VHU_REQ_SET_FEATURES, V1, VHU_BIT(63));
	expect_closed(f);
	assert_fds_at_baseline(f);
}

/* --- Class 9: the control virtqueue. --- */

/* iovs offers no control virtqueue (the front-end, QEMU or virtio-user, serves
 * it itself), so a guest cannot reach iovs through one: CTRL_VQ and the
 * features that need it are not offered, negotiating them is refused, and the
 * ring a control queue would use (index 2 x max queue pairs) does not exist.
 * MAC/VLAN filter floods therefore end in the front-end, not here. */
static void
test_class9_no_control_queue(void **state)
{
	/* CTRL_VQ, CTRL_RX, CTRL_VLAN, CTRL_RX_EXTRA, CTRL_MAC_ADDR */
	static const unsigned ctrl[] = {17, 18, 19, 20, 23};
	struct fx *f = *state;
	uint64_t offered;
	unsigned i;

	offered = vhu_fe_get_features(&f->fe);
	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	for (i = 0; i < sizeof(ctrl) / sizeof(ctrl[0]); i++) {
		assert_false(offered & VHU_BIT(ctrl[i]));
		vhu_fe_send_u64(&f->fe, VHU_REQ_SET_FEATURES, NR, F_BASE | VHU_BIT(ctrl[i]));
		vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_FEATURES);
		assert_int_equal(info(f).features, F_BASE);
	}
	vhu_fe_set_mem(&f->fe);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, NR, 2 * QP, NUM);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_NUM);
	vhu_fe_send_addr(&f->fe, NR, 2 * QP, f->fe.mem, 0);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_ADDR);
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_KICK, NR, 2 * QP, vhu_fe_eventfd());
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_KICK);
	assert_fds_at_baseline(f);
}

/* --- Class 10: file descriptors where none belong, none where one does. --- */

static void
test_class10_fds_on_message_without_fds(void **state)
{
	struct fx *f = *state;
	int fds[MAX_SEND_FDS];
	unsigned i;

	for (i = 0; i < MAX_SEND_FDS; i++)
		fds[i] = vhu_fe_eventfd();

	/* A request with a reply that carries data: closed. */
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_GET_FEATURES, V1, NULL, 0, fds, 1);
	expect_closed(f);
	fresh_conn(f);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_GET_QUEUE_NUM, NR, NULL, 0, fds, 8);
	expect_closed(f);

	/* With REPLY_ACK: nacks, the connection goes on. */
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_OWNER, NR, NULL, 0, fds, 3);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_OWNER);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_FEATURES, NR, &(uint64_t){F_BASE}, 8, fds, 2);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_FEATURES);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_VRING_NUM, NR,
			&(struct vhu_wire_vring_state){.index = 0, .num = NUM}, 8, fds, 1);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_NUM);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_RESET_DEVICE, NR, NULL, 0, fds, 8);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_RESET_DEVICE);
	/* REM_MEM_REG takes one stray fd, not two. */
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_REM_MEM_REG, NR,
			&(struct vhu_wire_mem_reg){
				.region = vhu_fe_region(GPA, 4096, vhu_fe_uva(f->fe.mem), 0)},
			sizeof(struct vhu_wire_mem_reg), fds, 2);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_REM_MEM_REG);
	/* An unknown request is skipped with its fds. */
	vhu_fe_send_msg(f->fe.fd, 77, V1, NULL, 0, fds, 2);
	expect_no_reply(f);
	assert_int_equal(vhu_fe_get_features(&f->fe) & F_BASE, F_BASE);

	/* Without NEED_REPLY: closed. */
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_OWNER, V1, NULL, 0, fds, 1);
	expect_closed(f);

	/* More fds than any message takes (the kernel truncates them). */
	fresh_conn(f);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_GET_FEATURES, V1, NULL, 0, fds, MAX_SEND_FDS);
	expect_closed(f);
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_OWNER, NR, NULL, 0, fds, VHU_MSG_MAX_FDS + 1);
	expect_closed(f);

	close_all(fds, MAX_SEND_FDS);
	assert_fds_at_baseline(f);
}

static void
test_class10_fd_message_without_fd(void **state)
{
	struct fx *f = *state;
	int fd;

	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_set_mem(&f->fe);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_NUM, NR, 0, NUM);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_NUM);
	vhu_fe_send_addr(&f->fe, NR, 0, f->fe.mem, 0);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_ADDR);

	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_CALL, NR, 0, -1);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_CALL);
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_KICK, NR, 0, -1);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_KICK);
	assert_false(f->dev->vr[0].have_kick);
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_ERR, NR, 1, -1);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_ERR);
	vhu_fe_send_none(&f->fe, VHU_REQ_SET_LOG_FD, NR);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_LOG_FD);
	vhu_fe_send_none(&f->fe, VHU_REQ_SET_BACKEND_REQ_FD, NR);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_BACKEND_REQ_FD);
	vhu_fe_send_mem_reg(
		&f->fe, VHU_REQ_ADD_MEM_REG, NR,
		vhu_fe_region(GPA + MEM_SIZE, 4096, vhu_fe_uva(f->fe.mem) + MEM_SIZE, 0), -1);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_ADD_MEM_REG);
	vhu_fe_send_log_base(&f->fe, NR, 4096, 0, -1);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_LOG_BASE); /* a status reply, never an ack */

	/* "No fd" set, and an fd anyway. */
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_CALL, NR, VHU_VRING_NOFD_MASK, vhu_fe_eventfd());
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_CALL);
	assert_int_equal(vhu_fe_count_fds(), f->base_fds + 1); /* + the memory region */
	/* "No fd" set, and none: the front-end polls. */
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_CALL, NR, VHU_VRING_NOFD_MASK, -1);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_CALL);
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_KICK, NR, VHU_VRING_NOFD_MASK, -1);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_KICK);
	vhu_fe_enable_ring(&f->fe, 0, true);
	assert_true(ring_running(f, 0));

	/* The fds the device keeps are closed when the front-end leaves. */
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_ERR, NR, 0, vhu_fe_eventfd());
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_ERR);
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_CALL, NR, 1, vhu_fe_eventfd());
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_VRING_CALL);
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_BACKEND_REQ_FD, NR, 0, -1);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_BACKEND_REQ_FD); /* 8 bytes: it has no payload */
	fd = vhu_fe_eventfd();
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_BACKEND_REQ_FD, NR, NULL, 0, &fd, 1);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_BACKEND_REQ_FD);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_LOG_FD, NR, NULL, 0, &fd, 1);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_SET_LOG_FD);
	close(fd);
	assert_int_equal(vhu_fe_count_fds(), f->base_fds + 4); /* memory, err, call, backend */
	assert_fds_at_baseline(f);

	vhu_fe_negotiate(&f->fe, F_BASE, 0);
	vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_CALL, V1, 0, -1);
	expect_closed(f);
	fresh_conn(f);
	vhu_fe_send_none(&f->fe, VHU_REQ_SET_LOG_FD, V1);
	expect_closed(f);
	assert_fds_at_baseline(f);
}

/* --- Class 10: framing. --- */

static void
test_class10_truncated_payload(void **state)
{
	struct fx *f = *state;
	uint8_t buf[VHU_MSG_HDR_SIZE + 64] = {0};
	struct vhu_wire_hdr h;
	uint64_t v = F_BASE;

	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_FEATURES, NR, &v, 4, NULL, 0);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_FEATURES);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_VRING_NUM, NR, buf, 4, NULL, 0);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_NUM);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_VRING_ADDR, NR, buf,
			sizeof(struct vhu_wire_vring_addr) - 1, NULL, 0);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_ADDR);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_VRING_CALL, NR, buf, 7, NULL, 0);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_CALL);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_MEM_TABLE, NR,
			&(struct vhu_wire_mem_table){.nregions = 1,
						     .regions = {vhu_fe_region(GPA, 4096, 0, 0)}},
			VHU_MEM_TABLE_HDR_SIZE + sizeof(struct vhu_wire_mem_region) - 1,
			&f->fe.memfd, 1);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_MEM_TABLE);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_MEM_TABLE, NR, buf, 4, &f->fe.memfd, 1);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_MEM_TABLE);
	assert_int_equal(vhu_fe_count_fds(), f->base_fds);
	/* A request whose reply carries data cannot be nacked. */
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_GET_VRING_BASE, NR, buf, 4, NULL, 0);
	expect_closed(f);

	/* A message split across writes is waited for, not refused. */
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	h = (struct vhu_wire_hdr){.request = VHU_REQ_SET_FEATURES, .flags = NR, .size = 8};
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &v, sizeof(v));
	vhu_fe_send_raw(f->fe.fd, buf, 5, NULL, 0);
	expect_no_reply(f);
	vhu_fe_send_raw(f->fe.fd, buf + 5, 10, NULL, 0);
	expect_no_reply(f);
	vhu_fe_send_raw(f->fe.fd, buf + 15, 5, NULL, 0);
	assert_int_equal(vhu_fe_expect_reply_u64(&f->fe, VHU_REQ_SET_FEATURES), 0);

	/* The header alone, then the payload with the fd. */
	h = (struct vhu_wire_hdr){.request = VHU_REQ_SET_MEM_TABLE,
				  .flags = NR,
				  .size = VHU_MEM_TABLE_HDR_SIZE +
					  sizeof(struct vhu_wire_mem_region)};
	vhu_fe_send_raw(f->fe.fd, &h, sizeof(h), NULL, 0);
	expect_no_reply(f);
	vhu_fe_send_raw(
		f->fe.fd,
		&(struct vhu_wire_mem_table){
			.nregions = 1,
			.regions = {vhu_fe_region(GPA, MEM_SIZE, vhu_fe_uva(f->fe.mem), 0)}},
		h.size, &f->fe.memfd, 1);
	assert_int_equal(vhu_fe_expect_reply_u64(&f->fe, VHU_REQ_SET_MEM_TABLE), 0);
	assert_int_equal(info(f).mem_regions, 1);
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);

	/* The front-end leaves in the middle of a message: its fds are closed. */
	h = (struct vhu_wire_hdr){.request = VHU_REQ_SET_MEM_TABLE,
				  .flags = NR,
				  .size = VHU_MEM_TABLE_HDR_SIZE +
					  sizeof(struct vhu_wire_mem_region)};
	memcpy(buf, &h, sizeof(h));
	vhu_fe_send_raw(f->fe.fd, buf, sizeof(h) + 8, &f->fe.memfd, 1);
	expect_no_reply(f);
	assert_int_equal(vhu_fe_count_fds(), f->base_fds + 1);
	close(f->fe.fd);
	f->fe.fd = -1;
	pump(f);
	assert_false(info(f).connected);
	assert_int_equal(vhu_fe_count_fds(), f->base_fds - 2); /* both ends of the connection */
	assert_fds_at_baseline(f);
}

static void
test_class10_oversized_payload(void **state)
{
	struct fx *f = *state;
	uint8_t buf[VHU_MSG_MAX_PAYLOAD + 1] = {0};
	struct vhu_wire_hdr h;
	uint64_t v[2] = {F_BASE, 0};

	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_FEATURES, NR, v, 16, NULL, 0);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_FEATURES);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_OWNER, NR, v, 8, NULL, 0);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_OWNER);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_VRING_NUM, NR, buf, 12, NULL, 0);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_VRING_NUM);
	/* One region announced, two sent. */
	vhu_fe_send_mem_table(
		&f->fe, NR, 1,
		(struct vhu_wire_mem_region[]){vhu_fe_region(GPA, 4096, 0x7f0000000000, 0),
					       vhu_fe_region(GPA + 4096, 4096, 0x7f0000001000, 0)},
		2, &f->fe.memfd, 1);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_MEM_TABLE);
	assert_int_equal(info(f).mem_regions, 0);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_GET_FEATURES, NR, v, 8, NULL, 0);
	expect_closed(f);

	/* Beyond the largest payload: framing is lost, no nack possible. */
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_FEATURES, NR, buf, sizeof(buf), NULL, 0);
	expect_closed(f);
	fresh_conn(f);
	h = (struct vhu_wire_hdr){.request = VHU_REQ_SET_FEATURES, .flags = V1, .size = UINT32_MAX};
	vhu_fe_send_raw(f->fe.fd, &h, sizeof(h), NULL, 0);
	expect_closed(f);
	fresh_conn(f);
	h = (struct vhu_wire_hdr){.request = 99, .flags = V1, .size = 0x10000};
	vhu_fe_send_raw(f->fe.fd, &h, sizeof(h), &f->fe.memfd, 1);
	expect_closed(f);
	assert_fds_at_baseline(f);
}

static void
test_class10_bad_version(void **state)
{
	static const uint32_t bad[] = {0,
				       2,
				       3,
				       VHU_FLAG_VERSION | VHU_FLAG_REPLY,
				       VHU_FLAG_VERSION | 0x10,
				       VHU_FLAG_VERSION | 0x80000000u,
				       UINT32_MAX};
	struct fx *f = *state;
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fresh_conn(f);
		vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
		vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_OWNER, bad[i], NULL, 0, &f->fe.memfd, 1);
		expect_closed(f);
		fresh_conn(f);
		vhu_fe_send_msg(f->fe.fd, VHU_REQ_GET_FEATURES, bad[i], NULL, 0, NULL, 0);
		expect_closed(f);
	}
	fresh_conn(f);
	handshake(f, 0, NUM, 0);
	assert_fds_at_baseline(f);
}

static void
test_class10_unknown_request(void **state)
{
	static const uint32_t unknown[] = {0, VHU_REQ__MAX, 99, 0x10000 | VHU_REQ_SET_OWNER,
					   UINT32_MAX};
	struct fx *f = *state;
	uint8_t buf[VHU_MSG_MAX_PAYLOAD] = {0};
	int fd;
	unsigned i;

	/* Skipped, with its payload and fds; the connection goes on. */
	vhu_fe_negotiate(&f->fe, F_BASE, 0);
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		vhu_fe_send_msg(f->fe.fd, unknown[i], V1, NULL, 0, NULL, 0);
		expect_no_reply(f);
		vhu_fe_send_msg(f->fe.fd, unknown[i], V1, buf, 8, NULL, 0);
		expect_no_reply(f);
		fd = vhu_fe_eventfd();
		vhu_fe_send_msg(f->fe.fd, unknown[i], NR, buf, sizeof(buf), &fd, 1);
		close(fd);
		expect_no_reply(f);
	}
	assert_int_equal(vhu_fe_get_features(&f->fe) & F_BASE, F_BASE);
	assert_int_equal(vhu_fe_count_fds(), f->base_fds);

	/* With REPLY_ACK and NEED_REPLY: a nack. */
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		vhu_fe_send_msg(f->fe.fd, unknown[i], NR, buf, 8, NULL, 0);
		vhu_fe_expect_nack(&f->fe, unknown[i]);
		vhu_fe_send_msg(f->fe.fd, unknown[i], V1, buf, 8, NULL, 0);
		expect_no_reply(f);
	}
	/* Known but not supported (feature never offered): a nack if it can be
	 * nacked, else the connection closes. */
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_CONFIG, NR, buf, 16, NULL, 0);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_CONFIG);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_POSTCOPY_END, V1, NULL, 0, NULL, 0);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_POSTCOPY_END);
	/* IOTLB_MSG without ACCESS_PLATFORM negotiated: a failed status. */
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_IOTLB_MSG, V1,
			&(struct vhu_wire_iotlb){.iova = 0x1000,
						 .size = 0x1000,
						 .uva = vhu_fe_uva(f->fe.mem),
						 .perm = VHU_IOTLB_PERM_RW,
						 .type = VHU_IOTLB_UPDATE},
			sizeof(struct vhu_wire_iotlb), NULL, 0);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_IOTLB_MSG);
	/* SET_INFLIGHT_FD (before any ring exists): refused, its fd closed. */
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_SET_INFLIGHT_FD, NR, buf, 24, &f->fe.memfd, 1);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_SET_INFLIGHT_FD);
	assert_int_equal(vhu_fe_count_fds(), f->base_fds);
	vhu_fe_send_msg(f->fe.fd, VHU_REQ_GET_CONFIG, NR, buf, 16, NULL, 0);
	expect_closed(f);
	assert_string_equal(info(f).state, "listening");
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, 0);
	vhu_fe_send_state(&f->fe, VHU_REQ_SET_VRING_ENDIAN, V1, 0, 0);
	expect_closed(f);
	assert_fds_at_baseline(f);
}

static void
test_class10_log_base_overflow(void **state)
{
	static const struct {
		uint64_t size, offset;
	} bad[] = {
		{UINT64_MAX, 1},
		{UINT64_MAX, 0},
		{4096, (uint64_t)INT64_MAX},
		{4096, UINT64_MAX - 100},
		{(uint64_t)INT64_MAX + 1, 0},
		{0, 0},
		{8192, 0}, /* longer than the file */
		{4096, 1}, /* ends beyond the file */
	};
	struct fx *f = *state;
	int logfd = vhu_fe_memfd(4096);
	unsigned i;

	vhu_fe_negotiate(&f->fe, F_BASE | VHU_BIT(VHU_F_LOG_ALL), PF_ALL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vhu_fe_send_log_base(&f->fe, NR, bad[i].size, bad[i].offset, logfd);
		if (vhu_fe_expect_reply_u64(&f->fe, VHU_REQ_SET_LOG_BASE) == 0)
			fail_msg("log %u accepted", i);
		expect_no_reply(f); /* one status reply, not a second ack */
		vhu_fe_send_log_base(&f->fe, V1, bad[i].size, bad[i].offset, logfd);
		assert_int_not_equal(vhu_fe_expect_reply_u64(&f->fe, VHU_REQ_SET_LOG_BASE), 0);
	}
	assert_null(f->dev->log_map);
	vhu_fe_send_log_base(&f->fe, V1, 4096, 0, logfd);
	assert_int_equal(vhu_fe_expect_reply_u64(&f->fe, VHU_REQ_SET_LOG_BASE), 0);
	assert_non_null(f->dev->log);
	vhu_fe_send_log_base(&f->fe, NR, 2048, 2048, logfd);
	assert_int_equal(vhu_fe_expect_reply_u64(&f->fe, VHU_REQ_SET_LOG_BASE), 0);
	expect_no_reply(f);
	assert_int_equal(vhu_fe_get_features(&f->fe) & F_BASE, F_BASE);

	/* Without LOG_SHMFD negotiated. */
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE | VHU_BIT(VHU_F_LOG_ALL),
			 VHU_BIT(VHU_PROTOCOL_F_REPLY_ACK));
	vhu_fe_send_log_base(&f->fe, V1, 4096, 0, logfd);
	assert_int_not_equal(vhu_fe_expect_reply_u64(&f->fe, VHU_REQ_SET_LOG_BASE), 0);
	close(logfd);
	assert_fds_at_baseline(f);
}

/* Class 10: one message 10^6 times, a few of them with an fd: no fd or memory
 * growth. */
#define REPEAT_TOTAL 1000000u
#define REPEAT_BATCH 1000u

static void
test_class10_repeated_1e6_times(void **state)
{
	uint8_t batch[REPEAT_BATCH * (VHU_MSG_HDR_SIZE + 8)];
	const struct vhu_wire_hdr h = {.request = VHU_REQ_SET_FEATURES, .flags = V1, .size = 8};
	const uint64_t v = F_BASE;
	struct fx *f = *state;
	uint64_t rss0, rss1;
	unsigned sent = 0, calls = 0, syncs, i;
	int fds0;
	double t0, t1;

	for (i = 0; i < REPEAT_BATCH - 1; i++) {
		memcpy(batch + i * (sizeof(h) + 8), &h, sizeof(h));
		memcpy(batch + i * (sizeof(h) + 8) + sizeof(h), &v, 8);
	}
	handshake(f, 0, NUM, 0);
	syncs = f->syncs;
	fds0 = vhu_fe_count_fds();
	rss0 = vhu_fe_rss_bytes();

	t0 = vhu_fe_now_s();
	while (sent < REPEAT_TOTAL) {
		/* 999 SET_FEATURES in one write, then a SET_VRING_CALL with a
		 * fresh eventfd (it replaces ring 0's: stop, sync, restart). */
		vhu_fe_send_raw(f->fe.fd, batch, (REPEAT_BATCH - 1) * (sizeof(h) + 8), NULL, 0);
		vhu_fe_send_file(&f->fe, VHU_REQ_SET_VRING_CALL, V1, 0, vhu_fe_eventfd());
		sent += REPEAT_BATCH;
		calls++;
		pump(f);
	}
	t1 = vhu_fe_now_s();
	print_message("%u messages (%u with an fd) in %.2f s\n", sent, calls, t1 - t0);

	expect_no_reply(f);
	assert_true(info(f).link_up);
	assert_int_equal(f->syncs, syncs + calls);
	assert_int_equal(vhu_fe_count_fds(), fds0);
	rss1 = vhu_fe_rss_bytes();
	print_message("RSS %llu KiB -> %llu KiB\n", (unsigned long long)rss0 / 1024,
		      (unsigned long long)rss1 / 1024);
	assert_true(rss1 < rss0 + 4 * 1024 * 1024);
	assert_int_equal(vhu_fe_get_features(&f->fe) & F_BASE, F_BASE);
	assert_fds_at_baseline(f);
}

/* --- Memory hot-plug (CONFIGURE_MEM_SLOTS). --- */

static void
test_mem_hotplug_add_remove(void **state)
{
	struct fx *f = *state;
	struct vhu_wire_mem_region r[3];
	int fds[3];
	uint8_t *maps[3];
	unsigned i, syncs;
	int stray;

	for (i = 0; i < 3; i++) {
		fds[i] = vhu_fe_memfd(MEM_SIZE);
		maps[i] = vhu_fe_map(fds[i], MEM_SIZE);
		r[i] = vhu_fe_region(i * MEM_SIZE, MEM_SIZE, vhu_fe_uva(maps[i]), 0);
	}
	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_send_none(&f->fe, VHU_REQ_GET_MAX_MEM_SLOTS, NR);
	assert_int_equal(vhu_fe_expect_reply_u64(&f->fe, VHU_REQ_GET_MAX_MEM_SLOTS), 509);
	for (i = 0; i < 3; i++) {
		vhu_fe_send_mem_reg(&f->fe, VHU_REQ_ADD_MEM_REG, NR, r[i], fds[i]);
		vhu_fe_expect_ok(&f->fe, VHU_REQ_ADD_MEM_REG);
		assert_int_equal(info(f).mem_regions, i + 1);
	}
	/* Overlapping an existing region: refused, its fd closed. */
	vhu_fe_send_mem_reg(&f->fe, VHU_REQ_ADD_MEM_REG, NR,
			    vhu_fe_region(MEM_SIZE / 2, MEM_SIZE, 0x10000, 0), fds[0]);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_ADD_MEM_REG);
	assert_int_equal(info(f).mem_regions, 3);
	assert_int_equal(vhu_fe_count_fds(), f->base_fds + 6); /* ours and the device's */

	/* Rings in region 1. */
	vhu_fe_setup_ring(&f->fe, 0, NUM, 0, maps[1]);
	vhu_fe_setup_ring(&f->fe, 1, NUM, 0, maps[1]);
	vhu_fe_enable_ring(&f->fe, 0, true);
	vhu_fe_enable_ring(&f->fe, 1, true);
	assert_true(info(f).link_up);

	/* Removing region 2, with a stray fd: rings stop for the swap and go on. */
	syncs = f->syncs;
	stray = vhu_fe_eventfd();
	vhu_fe_send_mem_reg(&f->fe, VHU_REQ_REM_MEM_REG, NR, r[2], stray);
	close(stray);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_REM_MEM_REG);
	assert_int_equal(info(f).mem_regions, 2);
	assert_int_equal(f->syncs, syncs + 1);
	assert_true(info(f).link_up);
	assert_int_equal(vhu_fe_count_fds(), f->base_fds + 5 + 4); /* + kick and call fds */
	vhu_fe_send_mem_reg(&f->fe, VHU_REQ_REM_MEM_REG, NR, r[2], -1);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_REM_MEM_REG);

	/* Removing the region the rings live in stops them (P3). */
	vhu_fe_send_mem_reg(&f->fe, VHU_REQ_REM_MEM_REG, NR, r[1], -1);
	vhu_fe_expect_ok(&f->fe, VHU_REQ_REM_MEM_REG);
	assert_int_equal(info(f).mem_regions, 1);
	assert_false(ring_running(f, 0));
	assert_false(ring_running(f, 1));
	assert_false(info(f).link_up);

	/* Without CONFIGURE_MEM_SLOTS: refused. */
	fresh_conn(f);
	vhu_fe_negotiate(&f->fe, F_BASE, VHU_BIT(VHU_PROTOCOL_F_REPLY_ACK));
	vhu_fe_send_mem_reg(&f->fe, VHU_REQ_ADD_MEM_REG, NR, r[0], fds[0]);
	vhu_fe_expect_nack(&f->fe, VHU_REQ_ADD_MEM_REG);
	assert_int_equal(info(f).mem_regions, 0);

	for (i = 0; i < 3; i++)
		munmap(maps[i], MEM_SIZE);
	close_all(fds, 3);
	assert_fds_at_baseline(f);
}

/* --- Sockets: client mode, stale paths, a second front-end. --- */

static void
test_client_mode_reconnect(void **state)
{
	struct fx *f = *state;
	struct iovs_err err = {{0}};
	double t0, deadline, first, second;
	int lfd, rc, fds0;
	char c;

	fds0 = vhu_fe_count_fds();
	rc = create_dev(f, true, &err);
	if (rc != 0)
		fail_msg("vhu_dev_create: %s", iovs_err_str(&err, rc));
	assert_false(info(f).connected);
	assert_non_null(strstr(info(f).state, "100 ms"));

	/* Nobody listened at first; now somebody does. */
	lfd = vhu_fe_listen(f->path);
	t0 = vhu_fe_now_s();
	deadline = t0 + 5;
	while ((f->fe.fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0 &&
	       vhu_fe_now_s() < deadline) {
		pump(f);
		usleep(5000);
	}
	first = vhu_fe_now_s() - t0;
	assert_true(f->fe.fd >= 0);
	pump(f);
	assert_true(info(f).connected);
	assert_int_equal(info(f).connects, 1);
	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_set_mem(&f->fe);

	/* The front-end goes away: the device resets and comes back. */
	close(f->fe.fd);
	f->fe.fd = -1;
	pump(f);
	assert_false(info(f).connected);
	assert_int_equal(info(f).disconnects, 1);
	assert_int_equal(info(f).features, 0);
	assert_int_equal(info(f).mem_regions, 0);
	t0 = vhu_fe_now_s();
	deadline = t0 + 5;
	while ((f->fe.fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0 &&
	       vhu_fe_now_s() < deadline) {
		pump(f);
		usleep(5000);
	}
	second = vhu_fe_now_s() - t0;
	assert_true(f->fe.fd >= 0);
	pump(f);
	assert_true(info(f).connected);
	assert_int_equal(info(f).connects, 2);
	print_message("connected after %.0f ms, reconnected after %.0f ms\n", first * 1e3,
		      second * 1e3);
	assert_true(second >= 0.09 && second < 2.0); /* backoff starts at 100 ms */
	handshake(f, 0, NUM, 0);

	/* Destroying the device closes the connection and every fd it held. */
	vhu_dev_destroy(f->dev);
	f->dev = NULL;
	assert_int_equal(recv(f->fe.fd, &c, 1, MSG_DONTWAIT), 0);
	close(f->fe.fd);

	/* Somebody listens already: connected at once. */
	rc = create_dev(f, true, &err);
	assert_int_equal(rc, 0);
	assert_true(info(f).connected);
	f->fe.fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(f->fe.fd >= 0);
	assert_int_equal(vhu_fe_get_features(&f->fe) & F_BASE, F_BASE);
	vhu_dev_destroy(f->dev);
	f->dev = NULL;
	close(f->fe.fd);
	f->fe.fd = -1;
	close(lfd);
	assert_int_equal(vhu_fe_count_fds(), fds0);
}

static void
test_server_stale_socket_reclaimed(void **state)
{
	struct fx *f = *state;
	struct iovs_err err = {{0}};
	struct stat st;
	int fd, rc;

	/* A socket file whose owner died (bound, never unlinked). */
	fd = vhu_fe_listen(f->path);
	close(fd);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));

	rc = create_dev(f, false, &err);
	if (rc != 0)
		fail_msg("vhu_dev_create: %s", iovs_err_str(&err, rc));
	assert_string_equal(info(f).state, "listening");
	assert_int_equal(lstat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	fresh_conn(f);
	assert_int_equal(vhu_fe_get_features(&f->fe) & F_BASE, F_BASE);

	/* Destroying a server removes its socket file. */
	vhu_dev_destroy(f->dev);
	f->dev = NULL;
	assert_int_equal(lstat(f->path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_server_path_in_use(void **state)
{
	struct fx *f = *state;
	struct iovs_err err = {{0}};
	struct vhu_dev_conf conf = {.max_queue_pairs = QP};
	struct stat st;
	int lfd, fd, fds0 = vhu_fe_count_fds();

	/* Somebody listens there. */
	lfd = vhu_fe_listen(f->path);
	assert_int_equal(create_dev(f, false, &err), -EADDRINUSE);
	assert_non_null(strstr(err.msg, "listens"));
	assert_null(f->dev);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC); /* the probe */
	assert_true(fd >= 0);
	close(fd);
	close(lfd);
	unlink(f->path);

	/* Somebody listens and does not accept: the probe must not wait for it. */
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int q[4], n;

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
		assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(listen(lfd, 0), 0);
		for (n = 0; n < 4; n++) {
			q[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (connect(q[n], (struct sockaddr *)&sa, sizeof(sa)) != 0)
				break;
		}
		assert_true(n < 4 && errno == EAGAIN); /* the backlog is full */
		alarm(10);			       /* a hang here ends the test */
		assert_int_equal(create_dev(f, false, &err), -EADDRINUSE);
		alarm(0);
		close_all(q, (unsigned)n + 1);
	}
	close(lfd);
	unlink(f->path);

	/* A regular file: left alone. */
	fd = open(f->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "data", 4), 4);
	close(fd);
	memset(&err, 0, sizeof(err));
	assert_int_equal(create_dev(f, false, &err), -EADDRINUSE);
	assert_non_null(strstr(err.msg, "not a socket"));
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 4);
	unlink(f->path);

	/* A directory. */
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(create_dev(f, false, &err), -EADDRINUSE);
	rmdir(f->path);

	/* Bad configurations. */
	memset(conf.path, 'x', sizeof(conf.path));
	assert_int_equal(vhu_dev_create(f->loop, &conf, NULL, &f->dev, &err), -EINVAL);
	conf.path[0] = '\0';
	assert_int_equal(vhu_dev_create(f->loop, &conf, NULL, &f->dev, &err), -EINVAL);
	snprintf(conf.path, sizeof(conf.path), "%s", f->path);
	conf.max_queue_pairs = 0;
	assert_int_equal(vhu_dev_create(f->loop, &conf, NULL, &f->dev, &err), -EINVAL);
	conf.max_queue_pairs = VHU_MAX_QUEUE_PAIRS + 1;
	assert_int_equal(vhu_dev_create(f->loop, &conf, NULL, &f->dev, &err), -EINVAL);
	assert_null(f->dev);
	assert_int_equal(lstat(f->path, &st), -1);
	assert_int_equal(vhu_fe_count_fds(), fds0);
}

static void
test_second_front_end_refused(void **state)
{
	struct fx *f = *state;
	char c;
	int fd2;

	vhu_fe_negotiate(&f->fe, F_BASE, PF_ALL);
	vhu_fe_set_mem(&f->fe);
	fd2 = vhu_fe_connect(f->path);
	pump(f);
	assert_int_equal(recv(fd2, &c, 1, MSG_DONTWAIT), 0);
	close(fd2);

	/* The first front-end did not notice. */
	assert_int_equal(info(f).connects, 1);
	assert_int_equal(info(f).disconnects, 0);
	assert_int_equal(info(f).protocol_features, PF_ALL);
	assert_int_equal(info(f).mem_regions, 1);
	vhu_fe_setup_ring(&f->fe, 0, NUM, 0, f->fe.mem);
	vhu_fe_setup_ring(&f->fe, 1, NUM, 0, f->fe.mem);
	vhu_fe_enable_ring(&f->fe, 0, true);
	vhu_fe_enable_ring(&f->fe, 1, true);
	assert_true(info(f).link_up);

	/* Once it leaves, the next one is served. */
	assert_fds_at_baseline(f);
	assert_int_equal(info(f).connects, 2);
	assert_int_equal(vhu_fe_get_features(&f->fe) & F_BASE, F_BASE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_packed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_p4_rings_start_disabled_with_protocol_features,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_p5_get_vring_base_stops_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_class10_vring_addr_before_mem_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_class10_vring_kick_before_mem_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_class10_vring_index_beyond_queue_pairs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_class10_vring_num_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_class10_vring_num_not_power_of_two_split,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_class10_vring_num_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_class10_mem_table_zero_regions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_class10_mem_table_too_many_regions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_class10_mem_table_overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_class10_mem_table_size_offset_overflow, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_class10_mem_table_fd_count_mismatch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_class10_features_not_offered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_class9_no_control_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_class10_fds_on_message_without_fds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_class10_fd_message_without_fd, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_class10_truncated_payload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_class10_oversized_payload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_class10_bad_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_class10_unknown_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_class10_log_base_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_class10_repeated_1e6_times, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mem_hotplug_add_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_mode_reconnect, setup_bare, teardown),
		cmocka_unit_test_setup_teardown(test_server_stale_socket_reclaimed, setup_bare,
						teardown),
		cmocka_unit_test_setup_teardown(test_server_path_in_use, setup_bare, teardown),
		cmocka_unit_test_setup_teardown(test_second_front_end_refused, setup, teardown),
	};

	vhu_fe_fail_hook = fe_fail;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
