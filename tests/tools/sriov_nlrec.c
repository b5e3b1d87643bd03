/* sriov_nlrec: an LD_PRELOAD recorder of netlink requests, for
 * tests/integration/sriov_nl.sh on kernels without nlmon. It wraps sendmsg()
 * and sendto() and appends every message sent on an AF_NETLINK socket to the
 * file named by SRIOV_NLREC_OUT as a record: a 4-byte length (host order) and the
 * bytes. It changes nothing else: the call goes on to libc. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen);

static int
is_netlink(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	return getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 && ss.ss_family == AF_NETLINK;
}

static void
record(const struct iovec *iov, size_t n)
{
	const char *path = getenv("SRIOV_NLREC_OUT");
	unsigned len = 0;
	int out;

	if (path == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		len += (unsigned)iov[i].iov_len;
	out = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (out < 0)
		return;
	if (write(out, &len, sizeof(len)) == (ssize_t)sizeof(len))
		for (size_t i = 0; i < n; i++)
			if (write(out, iov[i].iov_base, iov[i].iov_len) != (ssize_t)iov[i].iov_len)
				break;
	close(out);
}

ssize_t
sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ssize_t (*real)(int, const struct msghdr *, int) =
		(ssize_t(*)(int, const struct msghdr *, int))dlsym(RTLD_NEXT, "sendmsg");

	if (is_netlink(fd))
		record(msg->msg_iov, msg->msg_iovlen);
	return real(fd, msg, flags);
}

ssize_t
sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen)
{
	ssize_t (*real)(int, const void *, size_t, int, const struct sockaddr *, socklen_t) =
		(ssize_t(*)(int, const void *, size_t, int, const struct sockaddr *,
			    socklen_t))dlsym(RTLD_NEXT, "sendto");
	struct iovec iov = {(void *)buf, len};

	if (is_netlink(fd))
		record(&iov, 1);
	return real(fd, buf, len, flags, to, tolen);
}
