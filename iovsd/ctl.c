/* The control socket: a unix stream socket (mode 0660) in the run directory,
 * served from the control thread's epoll loop (main.c). Requests are lines; each
 * complete line is handed to ctl_cmds.c and its reply written back. A client
 * that sends an over-long line gets an error and is disconnected; a client that
 * does not read its replies is dropped after a send timeout, never blocking
 * iovsd for long. */
#define LOG_PREFIX "iovsd/ctl: "
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "iovs_log.h"
#include "iovsd.h"

struct iovsd_client {
	int fd;
	size_t len;
	char buf[IOVSD_CTL_MAX_LINE + 1];
};

int
iovsd_ctl_open(struct iovsd *d, struct iovs_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN};
	mode_t old_mask;
	int fd, rc;

	if (strlen(d->sock_path) >= sizeof(sa.sun_path))
		return iovs_errf(err, -ENAMETOOLONG, "socket path %s is too long", d->sock_path);
	strcpy(sa.sun_path, d->sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return iovs_errf(err, -errno, "socket: %s", strerror(errno));
	/* The run directory is ours (locked in main.c): a leftover socket is stale. */
	unlink(d->sock_path);
	old_mask = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (rc != 0) {
		rc = iovs_errf(err, -errno, "bind %s: %s", d->sock_path, strerror(errno));
		goto err_close;
	}
	if (chmod(d->sock_path, 0660) != 0 || listen(fd, 16) != 0) {
		rc = iovs_errf(err, -errno, "listen on %s: %s", d->sock_path, strerror(errno));
		goto err_unlink;
	}
	ev.data.fd = fd;
	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		rc = iovs_errf(err, -errno, "epoll: %s", strerror(errno));
		goto err_unlink;
	}
	d->listen_fd = fd;
	return 0;

err_unlink:
	unlink(d->sock_path);
err_close:
	close(fd);
	return rc;
}

static void
client_drop(struct iovsd *d, unsigned i)
{
	struct iovsd_client *c = d->clients[i];

	epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
	d->clients[i] = NULL;
}

void
iovsd_ctl_close(struct iovsd *d)
{
	unsigned i;

	for (i = 0; i < IOVSD_MAX_CLIENTS; i++)
		if (d->clients[i] != NULL)
			client_drop(d, i);
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		d->listen_fd = -1;
		unlink(d->sock_path);
	}
}

static void
client_accept(struct iovsd *d)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP};
	struct timeval tmo = {.tv_sec = 2};
	struct iovsd_client *c;
	unsigned i;
	int fd;

	fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 0; i < IOVSD_MAX_CLIENTS && d->clients[i] != NULL; i++)
		;
	c = i < IOVSD_MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
	if (c == NULL) {
		static const char busy[] =
			"{\"ok\":false,\"error\":\"too many control clients\"}\n";

		LOG_WARN("refusing a control client: %u connected", IOVSD_MAX_CLIENTS);
		(void)!write(fd, busy, sizeof(busy) - 1);
		close(fd);
		return;
	}
	/* Replies are written blocking, but never for longer than this. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	c->fd = fd;
	ev.data.fd = fd;
	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		close(fd);
		free(c);
		return;
	}
	d->clients[i] = c;
}

static int
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Handles every complete line in the buffer. Returns false to drop the client. */
static bool
client_lines(struct iovsd *d, struct iovsd_client *c)
{
	char *start = c->buf, *nl;

	while ((nl = memchr(start, '\n', c->len - (size_t)(start - c->buf))) != NULL) {
		char *reply = iovsd_ctl_handle(d, start, (size_t)(nl - start));
		int rc = reply ? write_all(c->fd, reply, strlen(reply)) : -ENOMEM;

		free(reply);
		if (rc != 0)
			return false;
		start = nl + 1;
	}
	c->len -= (size_t)(start - c->buf);
	memmove(c->buf, start, c->len);
	if (c->len >= IOVSD_CTL_MAX_LINE) {
		char *reply = iovsd_ctl_reply_err("request line too long (64 KiB at most)");

		if (reply != NULL)
			write_all(c->fd, reply, strlen(reply));
		free(reply);
		return false;
	}
	return true;
}

static void
client_read(struct iovsd *d, unsigned i)
{
	struct iovsd_client *c = d->clients[i];
	ssize_t n;

	n = recv(c->fd, c->buf + c->len, IOVSD_CTL_MAX_LINE - c->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_drop(d, i);
		return;
	}
	c->len += (size_t)n;
	if (!client_lines(d, c))
		client_drop(d, i);
}

void
iovsd_ctl_event(struct iovsd *d, int fd, unsigned events)
{
	unsigned i;

	(void)events;
	if (fd == d->listen_fd) {
		client_accept(d);
		return;
	}
	for (i = 0; i < IOVSD_MAX_CLIENTS; i++) {
		if (d->clients[i] != NULL && d->clients[i]->fd == fd) {
			client_read(d, i);
			return;
		}
	}
}
