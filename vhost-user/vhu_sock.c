/* The vhost-user sockets: the control thread's epoll set (vhu_loop), the
 * server (listen, one front-end at a time) and client (connect, reconnect with
 * backoff) ends, and message framing: header → vhu_msg_parse_hdr(), payload
 * and fds → vhu_msg_validate() → vhu_msg_decode() → vhu_handle() → reply.
 * Sockets are non-blocking: a front-end that sends half a message cannot stall
 * the control thread; the partial message waits in the connection's buffer. */
#define LOG_PREFIX "vhost-user/sock: "
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "iovs_log.h"
#include "vhu_priv.h"

#define BACKOFF_MIN_MS 100u
#define BACKOFF_MAX_MS 5000u
#define MSGS_PER_EVENT 64 /* then let other sockets run; epoll is level-triggered */

struct vhu_loop {
	int epfd;
};

/* What an epoll event points to. */
struct vhu_watch {
	void (*fn)(struct vhu_dev *dev, uint32_t events);
	struct vhu_dev *dev;
};

struct vhu_conn {
	int fd;
	struct vhu_watch w;
	size_t have; /* bytes of the current message in 'buf' */
	struct vhu_msg_hdr hdr;
	bool hdr_ok;
	unsigned n_fds;
	int fds[VHU_MSG_MAX_FDS];
	uint8_t buf[VHU_MSG_HDR_SIZE + VHU_MSG_MAX_PAYLOAD];
};

/* Per-device watches: listen socket and reconnect timer. */
struct vhu_sock_watches {
	struct vhu_watch listen, timer;
};

int
vhu_loop_create(struct vhu_loop **out, struct iovs_err *err)
{
	struct vhu_loop *loop = calloc(1, sizeof(*loop));

	if (loop == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory");
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		int rc = -errno;

		free(loop);
		return iovs_errf(err, rc, "epoll_create1: %s", strerror(-rc));
	}
	*out = loop;
	return 0;
}

void
vhu_loop_destroy(struct vhu_loop *loop)
{
	if (loop == NULL)
		return;
	close(loop->epfd);
	free(loop);
}

int
vhu_loop_fd(const struct vhu_loop *loop)
{
	return loop->epfd;
}

void
vhu_loop_run(struct vhu_loop *loop)
{
	struct epoll_event ev[16];
	int n, i;

	n = epoll_wait(loop->epfd, ev, 16, 0);
	for (i = 0; i < n; i++) {
		struct vhu_watch *w = ev[i].data.ptr;

		w->fn(w->dev, ev[i].events);
	}
}

static int
watch_add(struct vhu_loop *loop, int fd, struct vhu_watch *w)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};

	return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

static void
watch_del(struct vhu_loop *loop, int fd)
{
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* --- Connection. --- */

static void conn_event(struct vhu_dev *dev, uint32_t events);
static void arm_reconnect(struct vhu_dev *dev);

static void
conn_close_fds(struct vhu_conn *c)
{
	unsigned i;

	for (i = 0; i < c->n_fds; i++)
		if (c->fds[i] >= 0)
			close(c->fds[i]);
	c->n_fds = 0;
}

static void
disconnect(struct vhu_dev *dev, const char *why)
{
	struct vhu_conn *c = dev->conn;

	if (c == NULL)
		return;
	LOG_INFO("%s: front-end disconnected (%s)", dev->conf.path, why);
	watch_del(dev->loop, c->fd);
	close(c->fd);
	conn_close_fds(c);
	free(c);
	dev->conn = NULL;
	dev->disconnects++;
	vhu_dev_reset(dev);
	if (dev->conf.client) {
		arm_reconnect(dev);
	} else {
		vhu_dev_set_state(dev, "listening");
	}
	if (dev->cb.state_changed != NULL)
		dev->cb.state_changed(dev->cb.arg);
}

static int
connected(struct vhu_dev *dev, int fd)
{
	struct vhu_conn *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL) {
		close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	c->w.fn = conn_event;
	c->w.dev = dev;
	rc = watch_add(dev->loop, fd, &c->w);
	if (rc != 0) {
		close(fd);
		free(c);
		return rc;
	}
	dev->conn = c;
	dev->connects++;
	dev->backoff_ms = BACKOFF_MIN_MS;
	vhu_dev_reset(dev);
	vhu_dev_set_state(dev, "connected");
	LOG_INFO("%s: front-end connected", dev->conf.path);
	return 0;
}

static int
send_reply(struct vhu_dev *dev, const uint8_t *buf, size_t len)
{
	ssize_t n = send(dev->conn->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	return n == (ssize_t)len ? 0 : -EIO;
}

/* After a refusal 'rc' of a framed message (h may be NULL): what the spec
 * wants, through vhu_msg_on_error(). Returns false when the connection closed. */
static bool
refuse(struct vhu_dev *dev, const struct vhu_msg_hdr *h, int rc, const struct iovs_err *err)
{
	bool ack = (dev->protocol_features & VHU_BIT(VHU_PROTOCOL_F_REPLY_ACK)) != 0;
	uint8_t reply[VHU_MSG_MAX_REPLY];
	size_t len;

	switch (vhu_msg_on_error(h, rc, ack)) {
	case VHU_MSG_IGNORE:
		LOG_RL_WARN("%s: ignored: %s", dev->conf.path, iovs_err_str(err, rc));
		return true;
	case VHU_MSG_NACK:
		LOG_RL_WARN("%s: refused: %s", dev->conf.path, iovs_err_str(err, rc));
		len = vhu_msg_build_ack(reply, sizeof(reply), h->request, rc);
		if (send_reply(dev, reply, len) == 0)
			return true;
		disconnect(dev, "reply not sent");
		return false;
	case VHU_MSG_CLOSE:
	default:
		LOG_WARN("%s: closing the connection: %s", dev->conf.path, iovs_err_str(err, rc));
		disconnect(dev, "protocol error");
		return false;
	}
}

/* One complete message in c->buf. Returns false when the connection closed. */
static bool
dispatch(struct vhu_dev *dev, struct vhu_conn *c)
{
	const struct vhu_msg_hdr h = c->hdr;
	const uint8_t *payload = c->buf + VHU_MSG_HDR_SIZE;
	uint8_t reply[VHU_MSG_MAX_REPLY];
	const struct vhu_msg_spec *s;
	struct iovs_err err = {{0}};
	union vhu_msg_body body;
	size_t reply_len = 0;
	int fds[VHU_MSG_MAX_FDS];
	unsigned n_fds = c->n_fds, i;
	int rc;

	/* The message owns its fds from here; the connection forgets them. */
	memcpy(fds, c->fds, sizeof(int) * n_fds);
	c->n_fds = 0;
	c->have = 0;
	c->hdr_ok = false;

	rc = vhu_msg_validate(&h, payload, h.size, n_fds, &err);
	if (rc == 0)
		rc = vhu_msg_decode(h.request, payload, h.size, &body);
	if (rc == 0) {
		LOG_DBG("%s: %s", dev->conf.path, vhu_msg_name(h.request));
		rc = vhu_handle(dev, &h, &body, fds, n_fds, reply, &reply_len, &err);
		n_fds = 0; /* vhu_handle() took them */
	}
	for (i = 0; i < n_fds; i++)
		close(fds[i]);
	if (rc != 0) {
		iovs_err_prefix(&err, rc, "%s", vhu_msg_name(h.request));
		return refuse(dev, &h, rc, &err);
	}
	s = vhu_msg_spec_of(h.request);
	if (reply_len == 0 && s->reply == VHU_REPLY_STATUS)
		reply_len = vhu_msg_build_u64_reply(reply, sizeof(reply), h.request, 0);
	else if (reply_len == 0 && h.need_reply &&
		 (dev->protocol_features & VHU_BIT(VHU_PROTOCOL_F_REPLY_ACK)))
		reply_len = vhu_msg_build_ack(reply, sizeof(reply), h.request, 0);
	if (reply_len > 0 && send_reply(dev, reply, reply_len) != 0) {
		disconnect(dev, "reply not sent");
		return false;
	}
	return true;
}

/* Reads what is there of the current message. Returns 1 when it is complete,
 * 0 when more must arrive, -1 when the connection closed. */
static int
conn_read(struct vhu_dev *dev, struct vhu_conn *c)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHU_MSG_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	size_t want = VHU_MSG_HDR_SIZE + (c->hdr_ok ? c->hdr.size : 0);
	struct iovec iov = {c->buf + c->have, want - c->have};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	struct iovs_err err = {{0}};
	struct cmsghdr *cm;
	ssize_t n;
	int rc;

	n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		disconnect(dev, n == 0 ? "end of stream" : strerror(errno));
		return -1;
	}
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		unsigned k, nf;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nf = (unsigned)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (k = 0; k < nf; k++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
			if (c->n_fds < VHU_MSG_MAX_FDS)
				c->fds[c->n_fds++] = fd;
			else
				close(fd);
		}
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		disconnect(dev, "more file descriptors than any message takes");
		return -1;
	}
	c->have += (size_t)n;
	if (!c->hdr_ok && c->have == VHU_MSG_HDR_SIZE) {
		rc = vhu_msg_parse_hdr(c->buf, c->have, &c->hdr, &err);
		if (rc != 0) {
			LOG_WARN("%s: %s", dev->conf.path, iovs_err_str(&err, rc));
			disconnect(dev, "bad message header");
			return -1;
		}
		c->hdr_ok = true;
		/* The payload may be there already: read it now, not at the
		 * next event (once: the header is parsed). */
		if (c->hdr.size > 0)
			return conn_read(dev, c);
	}
	return c->hdr_ok && c->have == VHU_MSG_HDR_SIZE + c->hdr.size;
}

static void
conn_event(struct vhu_dev *dev, uint32_t events)
{
	unsigned msgs = 0;

	(void)events;
	while (dev->conn != NULL && msgs < MSGS_PER_EVENT) {
		struct vhu_conn *c = dev->conn;
		int rc = conn_read(dev, c);

		if (rc <= 0)
			return;
		msgs++;
		if (!dispatch(dev, c))
			return;
	}
}

/* --- Server. --- */

static void
listen_event(struct vhu_dev *dev, uint32_t events)
{
	int fd;

	(void)events;
	fd = accept4(dev->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (dev->conn != NULL) {
		LOG_RL_WARN("%s: refused a second front-end (one is connected)", dev->conf.path);
		close(fd);
		return;
	}
	if (connected(dev, fd) != 0)
		LOG_WARN("%s: cannot serve the new connection", dev->conf.path);
}

static void
fill_addr(const struct vhu_dev *dev, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, dev->conf.path, strlen(dev->conf.path) + 1);
}

/* A socket file left by a process that died (kill -9) may be replaced; one
 * that somebody listens on, or a file that is not a socket, may not. */
static int
reclaim_path(const struct vhu_dev *dev, struct iovs_err *err)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, rc;

	if (lstat(dev->conf.path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return iovs_errf(err, -EADDRINUSE, "%s exists and is not a socket", dev->conf.path);
	/* Non-blocking: a blocking connect to a listener whose backlog is full
	 * waits until it accepts, which may be never. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return iovs_errf(err, -errno, "socket: %s", strerror(errno));
	fill_addr(dev, &sa);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
	close(fd);
	/* Only a refused connection proves that nobody listens. */
	if (rc == 0 || rc == -EAGAIN)
		return iovs_errf(err, -EADDRINUSE, "another process listens on %s", dev->conf.path);
	if (rc == -ENOENT)
		return 0;
	if (rc != -ECONNREFUSED)
		return iovs_errf(err, rc, "cannot probe socket %s: %s", dev->conf.path,
				 strerror(-rc));
	if (unlink(dev->conf.path) != 0)
		return iovs_errf(err, -errno, "cannot remove stale socket %s: %s", dev->conf.path,
				 strerror(errno));
	return 0;
}

static int
server_start(struct vhu_dev *dev, struct vhu_sock_watches *w, struct iovs_err *err)
{
	struct sockaddr_un sa;
	int fd, rc;

	rc = reclaim_path(dev, err);
	if (rc != 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return iovs_errf(err, -errno, "socket: %s", strerror(errno));
	fill_addr(dev, &sa);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = iovs_errf(err, -errno, "bind %s: %s", dev->conf.path, strerror(errno));
		goto err_close;
	}
	/* Not world-writable: the front-end (QEMU's user or group) and root only. */
	if (chmod(dev->conf.path, 0660) != 0 || listen(fd, 1) != 0) {
		rc = iovs_errf(err, -errno, "listen %s: %s", dev->conf.path, strerror(errno));
		goto err_unlink;
	}
	w->listen.fn = listen_event;
	w->listen.dev = dev;
	rc = watch_add(dev->loop, fd, &w->listen);
	if (rc != 0) {
		iovs_errf(err, rc, "epoll: %s", strerror(-rc));
		goto err_unlink;
	}
	dev->listen_fd = fd;
	vhu_dev_set_state(dev, "listening");
	return 0;

err_unlink:
	unlink(dev->conf.path);
err_close:
	close(fd);
	return rc;
}

/* --- Client. --- */

static void
try_connect(struct vhu_dev *dev)
{
	struct sockaddr_un sa;
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		arm_reconnect(dev);
		return;
	}
	fill_addr(dev, &sa);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		LOG_DBG("%s: connect: %s", dev->conf.path, strerror(errno));
		close(fd);
		arm_reconnect(dev);
		return;
	}
	if (connected(dev, fd) != 0)
		arm_reconnect(dev);
}

static void
timer_event(struct vhu_dev *dev, uint32_t events)
{
	uint64_t expirations;

	(void)events;
	if (read(dev->timer_fd, &expirations, sizeof(expirations)) < 0 && errno == EAGAIN)
		return;
	if (dev->conn == NULL)
		try_connect(dev);
}

static void
arm_reconnect(struct vhu_dev *dev)
{
	struct itimerspec its = {0};
	uint32_t ms = dev->backoff_ms;

	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	timerfd_settime(dev->timer_fd, 0, &its, NULL);
	vhu_dev_set_state(dev, "connecting (next attempt in %u ms)", ms);
	dev->backoff_ms = ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms * 2;
}

static int
client_start(struct vhu_dev *dev, struct vhu_sock_watches *w, struct iovs_err *err)
{
	int rc;

	dev->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (dev->timer_fd < 0)
		return iovs_errf(err, -errno, "timerfd: %s", strerror(errno));
	w->timer.fn = timer_event;
	w->timer.dev = dev;
	rc = watch_add(dev->loop, dev->timer_fd, &w->timer);
	if (rc != 0) {
		close(dev->timer_fd);
		dev->timer_fd = -1;
		return iovs_errf(err, rc, "epoll: %s", strerror(-rc));
	}
	dev->backoff_ms = BACKOFF_MIN_MS;
	try_connect(dev);
	return 0;
}

int
vhu_sock_start(struct vhu_dev *dev, struct iovs_err *err)
{
	struct vhu_sock_watches *w = calloc(1, sizeof(*w));
	int rc;

	if (w == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory");
	dev->watches = w;
	rc = dev->conf.client ? client_start(dev, w, err) : server_start(dev, w, err);
	if (rc != 0) {
		free(w);
		dev->watches = NULL;
	}
	return rc;
}

void
vhu_sock_stop(struct vhu_dev *dev)
{
	if (dev->conn != NULL)
		disconnect(dev, "port removed");
	if (dev->listen_fd >= 0) {
		watch_del(dev->loop, dev->listen_fd);
		close(dev->listen_fd);
		dev->listen_fd = -1;
		unlink(dev->conf.path);
	}
	if (dev->timer_fd >= 0) {
		watch_del(dev->loop, dev->timer_fd);
		close(dev->timer_fd);
		dev->timer_fd = -1;
	}
	free(dev->watches);
	dev->watches = NULL;
}
