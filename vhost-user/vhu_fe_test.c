/* A vhost-user front-end for tests (vhu_fe_test.h): the socket side (messages,
 * replies, the usual sequences) and the driver side (split and packed rings in
 * memfd guest memory). Shared by vhu_dev_test.c, vhu_net_test.c and
 * tests/tools/vhu_rogue.c; no cmocka, no DPDK. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vhu_fe_test.h"

static void
default_fail(const char *msg)
{
	fprintf(stderr, "vhu_fe: %s\n", msg);
	exit(1);
}

void (*vhu_fe_fail_hook)(const char *msg) = default_fail;

void
vhu_fe_fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vhu_fe_fail_hook(msg);
	abort(); /* the hook must not return */
}

/* --- Process accounting and resources. --- */

static int
count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int
vhu_fe_count_fds(void)
{
	int n = count_dir("/proc/self/fd");

	VHU_FE_CHECK(n > 0);
	return n - 1; /* the directory's own fd */
}

int
vhu_fe_count_fds_of(int pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	return count_dir(path);
}

static uint64_t
rss_at(const char *path)
{
	unsigned long size = 0, resident = 0;
	FILE *fp = fopen(path, "r");
	int n;

	if (fp == NULL)
		return 0;
	n = fscanf(fp, "%lu %lu", &size, &resident);
	fclose(fp);
	return n == 2 ? (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

uint64_t
vhu_fe_rss_bytes(void)
{
	uint64_t r = rss_at("/proc/self/statm");

	VHU_FE_CHECK(r > 0);
	return r;
}

uint64_t
vhu_fe_rss_of(int pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	return rss_at(path);
}

double
vhu_fe_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
vhu_fe_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	VHU_FE_CHECK(fd >= 0);
	return fd;
}

int
vhu_fe_memfd(uint64_t size)
{
	int fd = memfd_create("vhu_fe_guest", MFD_CLOEXEC);

	VHU_FE_CHECK(fd >= 0);
	VHU_FE_CHECK(ftruncate(fd, (off_t)size) == 0);
	return fd;
}

uint8_t *
vhu_fe_map(int fd, uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	VHU_FE_CHECK(p != MAP_FAILED);
	return p;
}

uint64_t
vhu_fe_uva(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

int
vhu_fe_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	VHU_FE_CHECK(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		vhu_fe_fail("connect %s: %s", path, strerror(errno));
	return fd;
}

int
vhu_fe_listen(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	VHU_FE_CHECK(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	VHU_FE_CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	VHU_FE_CHECK(listen(fd, 4) == 0);
	return fd;
}

/* --- The socket side: sending. --- */

uint32_t
vhu_fe_flags(const struct vhu_fe *fe)
{
	return fe->ack ? VHU_FE_NR : VHU_FE_V1;
}

void
vhu_fe_send_raw(int fd, const void *buf, size_t len, const int *fds, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHU_FE_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {(void *)buf, len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	VHU_FE_CHECK(nfds <= VHU_FE_MAX_FDS);
	if (nfds > 0) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	if (n != (ssize_t)len)
		vhu_fe_fail("sendmsg: %zd of %zu bytes: %s", n, len, strerror(errno));
}

void
vhu_fe_send_msg(int fd, uint32_t req, uint32_t flags, const void *payload, uint32_t len,
		const int *fds, unsigned nfds)
{
	uint8_t buf[VHU_MSG_HDR_SIZE + 512];
	struct vhu_wire_hdr h = {.request = req, .flags = flags, .size = len};

	VHU_FE_CHECK(len <= sizeof(buf) - VHU_MSG_HDR_SIZE);
	memcpy(buf, &h, sizeof(h));
	if (len > 0)
		memcpy(buf + sizeof(h), payload, len);
	vhu_fe_send_raw(fd, buf, sizeof(h) + len, fds, nfds);
}

void
vhu_fe_send_none(struct vhu_fe *fe, uint32_t req, uint32_t flags)
{
	vhu_fe_send_msg(fe->fd, req, flags, NULL, 0, NULL, 0);
}

void
vhu_fe_send_u64(struct vhu_fe *fe, uint32_t req, uint32_t flags, uint64_t v)
{
	vhu_fe_send_msg(fe->fd, req, flags, &v, sizeof(v), NULL, 0);
}

void
vhu_fe_send_state(struct vhu_fe *fe, uint32_t req, uint32_t flags, uint32_t idx, uint32_t num)
{
	struct vhu_wire_vring_state s = {.index = idx, .num = num};

	vhu_fe_send_msg(fe->fd, req, flags, &s, sizeof(s), NULL, 0);
}

void
vhu_fe_send_file(struct vhu_fe *fe, uint32_t req, uint32_t flags, uint64_t v, int fd)
{
	vhu_fe_send_msg(fe->fd, req, flags, &v, sizeof(v), &fd, fd >= 0 ? 1 : 0);
	if (fd >= 0)
		close(fd);
}

void
vhu_fe_send_addr(struct vhu_fe *fe, uint32_t flags, uint32_t idx, const uint8_t *mem,
		 uint32_t aflags)
{
	const uint8_t *r = mem + (size_t)(idx % 8) * VHU_FE_RING_STRIDE;
	struct vhu_wire_vring_addr a = {
		.index = idx,
		.flags = aflags,
		.desc_user_addr = vhu_fe_uva(r),
		.used_user_addr = vhu_fe_uva(r + VHU_FE_USED_OFF),
		.avail_user_addr = vhu_fe_uva(r + VHU_FE_AVAIL_OFF),
		.log_guest_addr =
			fe->gpa + (uint64_t)(idx % 8) * VHU_FE_RING_STRIDE + VHU_FE_USED_OFF,
	};

	vhu_fe_send_msg(fe->fd, VHU_REQ_SET_VRING_ADDR, flags, &a, sizeof(a), NULL, 0);
}

void
vhu_fe_send_mem_table(struct vhu_fe *fe, uint32_t flags, uint32_t nregions,
		      const struct vhu_wire_mem_region *r, unsigned n, const int *fds,
		      unsigned nfds)
{
	uint8_t buf[VHU_MEM_TABLE_HDR_SIZE + 9 * sizeof(struct vhu_wire_mem_region)];
	uint32_t pad = 0;

	VHU_FE_CHECK(n <= 9);
	memcpy(buf, &nregions, 4);
	memcpy(buf + 4, &pad, 4);
	if (n > 0)
		memcpy(buf + VHU_MEM_TABLE_HDR_SIZE, r, n * sizeof(*r));
	vhu_fe_send_msg(fe->fd, VHU_REQ_SET_MEM_TABLE, flags, buf,
			(uint32_t)(VHU_MEM_TABLE_HDR_SIZE + n * sizeof(*r)), fds, nfds);
}

void
vhu_fe_send_mem_reg(struct vhu_fe *fe, uint32_t req, uint32_t flags, struct vhu_wire_mem_region r,
		    int fd)
{
	struct vhu_wire_mem_reg m = {.padding = 0, .region = r};

	vhu_fe_send_msg(fe->fd, req, flags, &m, sizeof(m), &fd, fd >= 0 ? 1 : 0);
}

void
vhu_fe_send_log_base(struct vhu_fe *fe, uint32_t flags, uint64_t size, uint64_t offset, int fd)
{
	struct vhu_wire_log l = {.mmap_size = size, .mmap_offset = offset};

	vhu_fe_send_msg(fe->fd, VHU_REQ_SET_LOG_BASE, flags, &l, sizeof(l), &fd, fd >= 0 ? 1 : 0);
}

/* --- The socket side: replies. --- */

/* Lets the device answer: runs it in-process, or waits up to 'ms' for data
 * (or the end of the stream) from a remote one. */
static void
settle(struct vhu_fe *fe, int ms)
{
	struct pollfd p = {.fd = fe->fd, .events = POLLIN};

	if (fe->pump != NULL) {
		fe->pump(fe->pump_arg);
		return;
	}
	(void)poll(&p, 1, ms);
}

int
vhu_fe_read_reply(struct vhu_fe *fe, uint32_t req, void *payload, size_t cap)
{
	struct vhu_wire_hdr h;
	ssize_t n;

	settle(fe, fe->timeout_ms);
	n = recv(fe->fd, &h, sizeof(h), MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return -1;
	if (n != (ssize_t)sizeof(h))
		vhu_fe_fail("reply to %s: read %zd: %s", vhu_msg_name(req), n,
			    n < 0 ? strerror(errno) : "connection closed");
	if (h.request != req)
		vhu_fe_fail("reply to %s: got a reply to %s", vhu_msg_name(req),
			    vhu_msg_name(h.request));
	VHU_FE_CHECK(h.flags == (VHU_FLAG_VERSION | VHU_FLAG_REPLY));
	VHU_FE_CHECK(h.size <= cap);
	if (h.size == 0)
		return 0;
	if (fe->pump == NULL) {
		struct pollfd p = {.fd = fe->fd, .events = POLLIN};

		(void)poll(&p, 1, fe->timeout_ms);
	}
	n = recv(fe->fd, payload, h.size, MSG_DONTWAIT);
	VHU_FE_CHECK(n == (ssize_t)h.size);
	return (int)h.size;
}

uint64_t
vhu_fe_expect_reply_u64(struct vhu_fe *fe, uint32_t req)
{
	uint64_t v = 0;
	int n = vhu_fe_read_reply(fe, req, &v, sizeof(v));

	if (n < 0)
		vhu_fe_fail("no reply to %s", vhu_msg_name(req));
	VHU_FE_CHECK(n == sizeof(v));
	return v;
}

uint32_t
vhu_fe_expect_reply_state(struct vhu_fe *fe, uint32_t req, uint32_t idx)
{
	struct vhu_wire_vring_state s;
	int n = vhu_fe_read_reply(fe, req, &s, sizeof(s));

	if (n < 0)
		vhu_fe_fail("no reply to %s", vhu_msg_name(req));
	VHU_FE_CHECK(n == sizeof(s));
	VHU_FE_CHECK(s.index == idx);
	return s.num;
}

void
vhu_fe_expect_no_reply(struct vhu_fe *fe)
{
	struct vhu_wire_hdr h;
	ssize_t n;

	settle(fe, 50);
	n = recv(fe->fd, &h, sizeof(h), MSG_DONTWAIT | MSG_PEEK);
	if (n == (ssize_t)sizeof(h))
		vhu_fe_fail("unexpected reply to %s", vhu_msg_name(h.request));
	if (n > 0)
		vhu_fe_fail("unexpected %zd bytes", n);
	if (!(n < 0 && errno == EAGAIN))
		vhu_fe_fail("connection closed (%s)", n < 0 ? strerror(errno) : "end of stream");
}

void
vhu_fe_expect_ok(struct vhu_fe *fe, uint32_t req)
{
	if (fe->ack) {
		uint64_t v = vhu_fe_expect_reply_u64(fe, req);

		if (v != 0)
			vhu_fe_fail("%s refused (ack %llu)", vhu_msg_name(req),
				    (unsigned long long)v);
	} else {
		vhu_fe_expect_no_reply(fe);
	}
}

void
vhu_fe_expect_nack(struct vhu_fe *fe, uint32_t req)
{
	if (vhu_fe_expect_reply_u64(fe, req) == 0)
		vhu_fe_fail("%s accepted, expected a refusal", vhu_msg_name(req));
	vhu_fe_expect_no_reply(fe);
}

void
vhu_fe_expect_closed(struct vhu_fe *fe)
{
	char c;
	ssize_t n;

	settle(fe, fe->timeout_ms);
	n = recv(fe->fd, &c, 1, MSG_DONTWAIT);
	if (!(n == 0 || (n < 0 && errno == ECONNRESET)))
		vhu_fe_fail("connection still open (recv %zd: %s)", n,
			    n < 0 ? strerror(errno) : "got data");
}

/* --- VIRTIO_F_ACCESS_PLATFORM. --- */

void
vhu_fe_send_iotlb(struct vhu_fe *fe, uint8_t type, uint64_t iova, uint64_t size, uint64_t uva,
		  uint8_t perm)
{
	struct vhu_wire_iotlb m = {
		.iova = iova, .size = size, .uva = uva, .perm = perm, .type = type};

	/* QEMU sets NEED_REPLY; the status comes back either way. */
	vhu_fe_send_msg(fe->fd, VHU_REQ_IOTLB_MSG, vhu_fe_flags(fe), &m, sizeof(m), NULL, 0);
}

void
vhu_fe_iotlb_update(struct vhu_fe *fe, uint64_t iova, uint64_t size, uint64_t uva, uint8_t perm)
{
	uint64_t v;

	vhu_fe_send_iotlb(fe, VHU_IOTLB_UPDATE, iova, size, uva, perm);
	v = vhu_fe_expect_reply_u64(fe, VHU_REQ_IOTLB_MSG);
	if (v != 0)
		vhu_fe_fail("IOTLB update of 0x%llx (+0x%llx) refused (%llu)",
			    (unsigned long long)iova, (unsigned long long)size,
			    (unsigned long long)v);
}

int
vhu_fe_backend_channel(struct vhu_fe *fe)
{
	int sv[2];

	VHU_FE_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	VHU_FE_CHECK(fcntl(sv[0], F_SETFL, O_NONBLOCK) == 0);
	vhu_fe_send_msg(fe->fd, VHU_REQ_SET_BACKEND_REQ_FD, vhu_fe_flags(fe), NULL, 0, &sv[1], 1);
	close(sv[1]);
	vhu_fe_expect_ok(fe, VHU_REQ_SET_BACKEND_REQ_FD);
	return sv[0];
}

bool
vhu_fe_backend_iotlb(int fd, struct vhu_wire_iotlb *m)
{
	uint8_t buf[sizeof(struct vhu_wire_hdr) + sizeof(*m)];
	struct vhu_wire_hdr h;
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0 && errno == EAGAIN)
		return false;
	VHU_FE_CHECK(n == (ssize_t)sizeof(buf));
	memcpy(&h, buf, sizeof(h));
	VHU_FE_CHECK(h.request == VHU_BACKEND_IOTLB_MSG);
	VHU_FE_CHECK(h.flags == VHU_FLAG_VERSION);
	VHU_FE_CHECK(h.size == sizeof(*m));
	memcpy(m, buf + sizeof(h), sizeof(*m));
	return true;
}

/* --- The usual sequences. --- */

uint64_t
vhu_fe_get_features(struct vhu_fe *fe)
{
	vhu_fe_send_none(fe, VHU_REQ_GET_FEATURES, VHU_FE_V1);
	return vhu_fe_expect_reply_u64(fe, VHU_REQ_GET_FEATURES);
}

void
vhu_fe_negotiate(struct vhu_fe *fe, uint64_t features, uint64_t pf)
{
	uint64_t offered = vhu_fe_get_features(fe);

	if ((offered & features) != features)
		vhu_fe_fail("features 0x%llx not offered (offered 0x%llx)",
			    (unsigned long long)(features & ~offered), (unsigned long long)offered);
	if (pf != 0) {
		uint64_t opf;

		vhu_fe_send_none(fe, VHU_REQ_GET_PROTOCOL_FEATURES, VHU_FE_V1);
		opf = vhu_fe_expect_reply_u64(fe, VHU_REQ_GET_PROTOCOL_FEATURES);
		VHU_FE_CHECK((opf & pf) == pf);
		vhu_fe_send_u64(fe, VHU_REQ_SET_PROTOCOL_FEATURES, VHU_FE_V1, pf);
		vhu_fe_expect_no_reply(fe);
		fe->ack = (pf & (UINT64_C(1) << VHU_PROTOCOL_F_REPLY_ACK)) != 0;
	}
	vhu_fe_send_none(fe, VHU_REQ_GET_QUEUE_NUM, VHU_FE_V1);
	if (fe->queue_pairs != 0)
		VHU_FE_CHECK(vhu_fe_expect_reply_u64(fe, VHU_REQ_GET_QUEUE_NUM) == fe->queue_pairs);
	else
		(void)vhu_fe_expect_reply_u64(fe, VHU_REQ_GET_QUEUE_NUM);
	vhu_fe_send_none(fe, VHU_REQ_SET_OWNER, vhu_fe_flags(fe));
	vhu_fe_expect_ok(fe, VHU_REQ_SET_OWNER);
	vhu_fe_send_u64(fe, VHU_REQ_SET_FEATURES, vhu_fe_flags(fe), features);
	vhu_fe_expect_ok(fe, VHU_REQ_SET_FEATURES);
	fe->packed = (features & (UINT64_C(1) << 34)) != 0; /* VIRTIO_F_RING_PACKED */
}

struct vhu_wire_mem_region
vhu_fe_region(uint64_t gpa, uint64_t size, uint64_t uva, uint64_t off)
{
	struct vhu_wire_mem_region r = {.guest_phys_addr = gpa,
					.memory_size = size,
					.userspace_addr = uva,
					.mmap_offset = off};

	return r;
}

void
vhu_fe_set_mem(struct vhu_fe *fe)
{
	struct vhu_wire_mem_region r = vhu_fe_region(fe->gpa, fe->mem_size, vhu_fe_uva(fe->mem), 0);

	vhu_fe_send_mem_table(fe, vhu_fe_flags(fe), 1, &r, 1, &fe->memfd, 1);
	vhu_fe_expect_ok(fe, VHU_REQ_SET_MEM_TABLE);
}

void
vhu_fe_set_base(struct vhu_fe *fe, uint32_t idx, uint32_t base, uint8_t *mem)
{
	struct vhu_split_used *used =
		(void *)(mem + (size_t)(idx % 8) * VHU_FE_RING_STRIDE + VHU_FE_USED_OFF);

	if (!fe->packed)
		used->idx = (uint16_t)base;
	vhu_fe_send_state(fe, VHU_REQ_SET_VRING_BASE, vhu_fe_flags(fe), idx, base);
	vhu_fe_expect_ok(fe, VHU_REQ_SET_VRING_BASE);
}

void
vhu_fe_setup_ring(struct vhu_fe *fe, uint32_t idx, uint32_t num, uint32_t base, uint8_t *mem)
{
	vhu_fe_send_state(fe, VHU_REQ_SET_VRING_NUM, vhu_fe_flags(fe), idx, num);
	vhu_fe_expect_ok(fe, VHU_REQ_SET_VRING_NUM);
	vhu_fe_set_base(fe, idx, base, mem);
	vhu_fe_send_addr(fe, vhu_fe_flags(fe), idx, mem, 0);
	vhu_fe_expect_ok(fe, VHU_REQ_SET_VRING_ADDR);
	vhu_fe_send_file(fe, VHU_REQ_SET_VRING_KICK, vhu_fe_flags(fe), idx, vhu_fe_eventfd());
	vhu_fe_expect_ok(fe, VHU_REQ_SET_VRING_KICK);
	vhu_fe_send_file(fe, VHU_REQ_SET_VRING_CALL, vhu_fe_flags(fe), idx, vhu_fe_eventfd());
	vhu_fe_expect_ok(fe, VHU_REQ_SET_VRING_CALL);
}

void
vhu_fe_enable_ring(struct vhu_fe *fe, uint32_t idx, bool on)
{
	vhu_fe_send_state(fe, VHU_REQ_SET_VRING_ENABLE, vhu_fe_flags(fe), idx, on);
	vhu_fe_expect_ok(fe, VHU_REQ_SET_VRING_ENABLE);
}

void
vhu_fe_handshake(struct vhu_fe *fe, uint64_t features, uint64_t pf, uint32_t num)
{
	/* Packed: slot 0, wrap counters 1 (§2.8.1). */
	uint32_t base = (features & (UINT64_C(1) << 34)) ? 0x8000u : 0u;

	vhu_fe_negotiate(fe, features, pf);
	vhu_fe_set_mem(fe);
	vhu_fe_setup_ring(fe, 0, num, base, fe->mem);
	vhu_fe_setup_ring(fe, 1, num, base, fe->mem);
	if (features & (UINT64_C(1) << VHU_F_PROTOCOL_FEATURES)) {
		vhu_fe_enable_ring(fe, 0, true);
		vhu_fe_enable_ring(fe, 1, true);
	}
}

/* --- The driver side. --- */

void
vhu_fe_ring_init(struct vhu_fe_ring *r, struct vhu_fe *fe, uint32_t idx, uint16_t num)
{
	VHU_FE_CHECK(num > 0 && num <= VHU_FE_RING_MAX);
	memset(r, 0, sizeof(*r));
	r->base = fe->mem + (size_t)(idx % 8) * VHU_FE_RING_STRIDE;
	r->num = num;
	r->packed = fe->packed;
	/* §2.8.1: both wrap counters start at 1. */
	r->avail_wrap = true;
	r->used_wrap = true;
}

static void
split_post(struct vhu_fe_ring *r, const struct vhu_fe_buf *b, unsigned n, uint16_t head)
{
	struct vhu_split_avail *avail = (void *)(r->base + VHU_FE_AVAIL_OFF);
	unsigned i;

	for (i = 0; i < n; i++) {
		uint16_t d = (uint16_t)((head + i) % r->num);
		struct vhu_split_desc *desc = vhu_fe_split_desc(r, d);

		desc->addr = b[i].gpa;
		desc->len = b[i].len;
		desc->flags = (uint16_t)((i + 1 < n ? VHU_DESC_F_NEXT : 0) |
					 (b[i].write ? VHU_DESC_F_WRITE : 0));
		desc->next = (uint16_t)((d + 1) % r->num);
	}
	r->next_desc = (uint16_t)((head + n) % r->num);
	avail->ring[r->avail_idx % r->num] = head;
	r->avail_idx++;
	__atomic_store_n(&avail->idx, r->avail_idx, __ATOMIC_RELEASE);
}

static uint16_t
packed_flags(bool wrap, bool write, bool next)
{
	return (uint16_t)((wrap ? VHU_DESC_F_AVAIL : VHU_DESC_F_USED) |
			  (write ? VHU_DESC_F_WRITE : 0) | (next ? VHU_DESC_F_NEXT : 0));
}

static uint16_t
packed_post(struct vhu_fe_ring *r, const struct vhu_fe_buf *b, unsigned n)
{
	struct vhu_packed_desc *ring = (void *)r->base;
	uint16_t first = r->avail_idx, id = first, first_flags = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		struct vhu_packed_desc *d = &ring[r->avail_idx];
		uint16_t fl = packed_flags(r->avail_wrap, b[i].write, i + 1 < n);

		d->addr = b[i].gpa;
		d->len = b[i].len;
		d->id = id;
		if (i == 0)
			first_flags = fl;
		else
			d->flags = fl;
		if (++r->avail_idx == r->num) {
			r->avail_idx = 0;
			r->avail_wrap = !r->avail_wrap;
		}
	}
	r->chain_len[id] = (uint16_t)n;
	/* The first descriptor's flags last: it makes the whole chain available. */
	__atomic_store_n(&ring[first].flags, first_flags, __ATOMIC_RELEASE);
	return id;
}

uint16_t
vhu_fe_ring_post(struct vhu_fe_ring *r, const struct vhu_fe_buf *b, unsigned n)
{
	uint16_t id;

	VHU_FE_CHECK(n > 0 && n <= r->num);
	if (r->packed) {
		id = packed_post(r, b, n);
	} else {
		id = r->next_desc;
		split_post(r, b, n, id);
	}
	r->in_flight++;
	return id;
}

bool
vhu_fe_ring_used(struct vhu_fe_ring *r, uint16_t *id, uint32_t *len)
{
	if (r->packed) {
		struct vhu_packed_desc *d = &((struct vhu_packed_desc *)r->base)[r->used_idx];
		uint16_t fl = __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE), n;
		bool avail = (fl & VHU_DESC_F_AVAIL) != 0, used = (fl & VHU_DESC_F_USED) != 0;

		if (avail != r->used_wrap || used != r->used_wrap)
			return false;
		*id = d->id;
		*len = d->len;
		VHU_FE_CHECK(*id < r->num && r->chain_len[*id] > 0);
		n = r->chain_len[*id];
		r->chain_len[*id] = 0;
		r->used_idx = (uint16_t)(r->used_idx + n);
		if (r->used_idx >= r->num) {
			r->used_idx = (uint16_t)(r->used_idx - r->num);
			r->used_wrap = !r->used_wrap;
		}
	} else {
		struct vhu_split_used *u = (void *)(r->base + VHU_FE_USED_OFF);

		if (__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) == r->used_idx)
			return false;
		*id = (uint16_t)u->ring[r->used_idx % r->num].id;
		*len = u->ring[r->used_idx % r->num].len;
		r->used_idx++;
	}
	VHU_FE_CHECK(r->in_flight > 0);
	r->in_flight--;
	return true;
}

struct vhu_split_desc *
vhu_fe_split_desc(struct vhu_fe_ring *r, uint16_t i)
{
	return &((struct vhu_split_desc *)r->base)[i];
}

void
vhu_fe_split_publish(struct vhu_fe_ring *r, uint16_t head, uint16_t step)
{
	struct vhu_split_avail *avail = (void *)(r->base + VHU_FE_AVAIL_OFF);

	avail->ring[r->avail_idx % r->num] = head;
	r->avail_idx = (uint16_t)(r->avail_idx + step);
	__atomic_store_n(&avail->idx, r->avail_idx, __ATOMIC_RELEASE);
}
