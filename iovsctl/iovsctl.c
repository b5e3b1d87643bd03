/* iovsctl: the command-line client of iovsd. Turns the command line into one
 * request (args.c), sends it as a line of JSON on iovsd's control socket, reads
 * the one reply line and prints its result (views.c). Wire format:
 * docs/control-protocol.md. Exit status: 0 done, 1 failed, 2 usage error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "args.h"
#include "iovs_err.h"
#include "views.h"

#define DEFAULT_RUN_DIR "/run/iovs"
#define SOCKET_NAME	"iovsd.sock"
#define RECV_TIMEOUT_S	10
#define REPLY_MAX	(1024u * 1024 * 1024) /* an fdb of 100k entries is ~8 MB */

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* --socket, else --run-dir, else $IOVS_RUN_DIR, else /run/iovs; then /iovsd.sock. */
static int
socket_path(const struct iovsctl_cmdline *cl, char *buf, size_t size, struct iovs_err *err)
{
	const char *dir = cl->run_dir;
	int n;

	if (cl->socket != NULL)
		n = snprintf(buf, size, "%s", cl->socket);
	else {
		if (dir == NULL)
			dir = getenv("IOVS_RUN_DIR");
		if (dir == NULL || dir[0] == '\0')
			dir = DEFAULT_RUN_DIR;
		n = snprintf(buf, size, "%s/%s", dir, SOCKET_NAME);
	}
	if (n < 0 || (size_t)n >= size)
		return iovs_errf(
			err, -ENAMETOOLONG, "socket path %s%s is too long (at most %zu bytes)",
			cl->socket ? cl->socket : dir, cl->socket ? "" : "/" SOCKET_NAME, size - 1);
	return 0;
}

static const char *
connect_hint(int error)
{
	if (error == EACCES || error == EPERM)
		return "run as root or in the socket's group";
	return "is iovsd running? see --run-dir";
}

/* Returns 0 with a connected socket in '*out' (receive timeout set), or -errno. */
static int
connect_to(const char *path, int *out, struct iovs_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tmo = {.tv_sec = RECV_TIMEOUT_S};
	int fd = -1, rc;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return iovs_errf(err, -errno, "socket: %s", strerror(errno));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = iovs_errf(err, -errno, "cannot connect to %s: %s (%s)", path, strerror(errno),
			       connect_hint(errno));
		goto err_close_fd;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo)) != 0) {
		rc = iovs_errf(err, -errno, "%s: setsockopt: %s", path, strerror(errno));
		goto err_close_fd;
	}
	*out = fd;
	return 0;

err_close_fd:
	close(fd);
	return rc;
}

static int
send_request(int fd, const json_t *req, struct iovs_err *err)
{
	char *line = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t len, off = 0;
	int rc = 0;

	if (line == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory");
	len = strlen(line);
	line[len] = '\n'; /* replaces the NUL: 'line' is sent by length */
	while (off < len + 1 && rc == 0) {
		ssize_t n = send(fd, line + off, len + 1 - off, MSG_NOSIGNAL);

		if (n >= 0)
			off += (size_t)n;
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			rc = iovs_errf(err, -ETIMEDOUT,
				       "iovsd did not take the request within %d s",
				       RECV_TIMEOUT_S);
		else if (errno != EINTR)
			rc = iovs_errf(err, -errno, "sending the request: %s", strerror(errno));
	}
	free(line);
	return rc;
}

static int
recv_error(ssize_t n, const char *path, struct iovs_err *err)
{
	if (n == 0)
		return iovs_errf(err, -ECONNRESET, "iovsd closed %s without a reply", path);
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return iovs_errf(err, -ETIMEDOUT, "no reply from iovsd on %s within %d s", path,
				 RECV_TIMEOUT_S);
	return iovs_errf(err, -errno, "reading the reply on %s: %s", path, strerror(errno));
}

/* Reads up to the first '\n' (however long the line) into a malloc'd '*out'. */
static int
recv_line(int fd, const char *path, char **out, size_t *out_len, struct iovs_err *err)
{
	size_t len = 0, cap = 64 * 1024;
	char *buf = malloc(cap), *nl = NULL;
	int rc = 0;

	while (buf != NULL && nl == NULL && rc == 0) {
		ssize_t n;

		if (len == cap) {
			char *bigger = cap < REPLY_MAX ? realloc(buf, 2 * cap) : NULL;

			if (bigger == NULL) {
				rc = iovs_errf(err, -EMSGSIZE, "reply longer than %zu bytes", cap);
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n > 0) {
			nl = memchr(buf + len, '\n', (size_t)n);
			len += (size_t)n;
		} else if (n == 0 || errno != EINTR) {
			rc = recv_error(n, path, err);
		}
	}
	if (buf == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory");
	if (rc != 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*out_len = (size_t)(nl - buf);
	return 0;
}

/* {"ok": true, "result": R} → R (a new reference); {"ok": false, "error": E} → E in 'err'. */
static int
parse_reply(const char *line, size_t len, json_t **result, struct iovs_err *err)
{
	json_error_t jerr;
	json_t *reply = json_loadb(line, len, 0, &jerr), *ok, *res;
	int rc = 0;

	if (reply == NULL)
		return iovs_errf(err, -EPROTO, "iovsd's reply is not JSON: %s", jerr.text);
	ok = json_object_get(reply, "ok");
	res = json_object_get(reply, "result");
	if (!json_is_boolean(ok)) {
		rc = iovs_errf(err, -EPROTO, "iovsd's reply has no \"ok\"");
	} else if (!json_is_true(ok)) {
		const char *msg = json_string_value(json_object_get(reply, "error"));

		rc = iovs_errf(err, -EREMOTEIO, "%s",
			       msg ? msg : "iovsd failed without saying why");
	} else {
		*result = res != NULL ? json_incref(res) : json_object();
	}
	json_decref(reply);
	return rc;
}

/* One request, one reply. */
static int
transact(const char *path, const json_t *req, json_t **result, struct iovs_err *err)
{
	char *line = NULL;
	size_t len = 0;
	int fd = -1, rc;

	rc = connect_to(path, &fd, err);
	if (rc != 0)
		return rc;
	rc = send_request(fd, req, err);
	if (rc == 0)
		rc = recv_line(fd, path, &line, &len, err);
	if (rc == 0)
		rc = parse_reply(line, len, result, err);
	free(line);
	close(fd);
	return rc;
}

static int
run(const struct iovsctl_cmdline *cl, struct iovs_err *err)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	json_t *result = NULL;
	int rc;

	rc = socket_path(cl, path, sizeof(path), err);
	if (rc == 0)
		rc = transact(path, cl->request, &result, err);
	if (rc != 0)
		return rc;
	rc = iovsctl_view_print(cl->view, cl->json, result, stdout);
	json_decref(result);
	if (rc == 0 && fflush(stdout) != 0)
		rc = -errno;
	if (rc != 0)
		iovs_errf(err, rc, "printing the result: %s", strerror(-rc));
	return rc;
}

int
main(int argc, char **argv)
{
	struct iovsctl_cmdline cl;
	struct iovs_err err = {{0}};
	int status = EXIT_DONE;

	if (iovsctl_args_parse(argc, argv, &cl, &err) != 0) {
		fprintf(stderr, "iovsctl: %s\n\n", err.msg);
		iovsctl_usage(stderr, &cl);
		status = EXIT_USAGE;
	} else if (cl.help) {
		iovsctl_usage(stdout, &cl);
	} else if (run(&cl, &err) != 0) {
		fprintf(stderr, "iovsctl: %s\n", err.msg);
		status = EXIT_FAILED;
	}
	iovsctl_cmdline_fini(&cl);
	return status;
}
