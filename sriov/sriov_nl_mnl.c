/* The real rtnetlink seam: one NETLINK_ROUTE socket per call through libmnl,
 * extended ACKs on, a 5 s receive timeout so that a silent kernel cannot
 * hang the control thread. Answers are parsed by sriov_nl.c. */
#include "sriov_priv.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#define RECV_TIMEOUT_S 5

static int
nl_open(struct mnl_socket **out, struct iovs_err *err)
{
	struct timeval tv = {RECV_TIMEOUT_S, 0};
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	int one = 1, rc;

	if (nl == NULL)
		return iovs_errf(err, -errno, "netlink socket: %s", strerror(errno));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		mnl_socket_close(nl);
		return iovs_errf(err, rc, "netlink bind: %s", strerror(-rc));
	}
	/* Best effort: older kernels lack them, the answer is still an errno. */
	(void)mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*out = nl;
	return 0;
}

/* Sends 'req' and returns the first answer to its sequence number (its
 * offset in 'buf' and length), skipping anything else. */
static int
exchange(struct mnl_socket *nl, const void *req, size_t len, uint8_t *buf, size_t cap,
	 const struct nlmsghdr **ans, struct iovs_err *err)
{
	const struct nlmsghdr *q = req;
	ssize_t n;

	if (mnl_socket_sendto(nl, req, len) < 0)
		return iovs_errf(err, -errno, "netlink send: %s", strerror(errno));
	for (;;) {
		const struct nlmsghdr *nlh;
		int left;

		n = mnl_socket_recvfrom(nl, buf, cap);
		if (n < 0)
			return iovs_errf(
				err, errno == EAGAIN ? -ETIMEDOUT : -errno, "netlink receive: %s",
				errno == EAGAIN ? "no answer within 5 s" : strerror(errno));
		left = (int)n;
		for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq == q->nlmsg_seq) {
				*ans = nlh;
				return 0;
			}
		}
	}
}

static int
mnl_talk(void *priv, const void *req, size_t len, struct iovs_err *err)
{
	uint8_t *buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	const struct nlmsghdr *ans;
	struct mnl_socket *nl;
	int rc;

	(void)priv;
	if (buf == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory for a netlink answer");
	rc = nl_open(&nl, err);
	if (rc == 0) {
		rc = exchange(nl, req, len, buf, MNL_SOCKET_BUFFER_SIZE, &ans, err);
		if (rc == 0)
			rc = sriov_nl_parse_ack(ans, ans->nlmsg_len, err);
		mnl_socket_close(nl);
	}
	free(buf);
	return rc;
}

static int
mnl_query(void *priv, const void *req, size_t len, void *reply, size_t cap, size_t *reply_len,
	  struct iovs_err *err)
{
	uint8_t *buf = malloc(SRIOV_NL_REPLY);
	const struct nlmsghdr *ans;
	struct mnl_socket *nl;
	int rc;

	(void)priv;
	if (buf == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory for a netlink answer");
	rc = nl_open(&nl, err);
	if (rc == 0) {
		rc = exchange(nl, req, len, buf, SRIOV_NL_REPLY, &ans, err);
		if (rc == 0 && ans->nlmsg_type == NLMSG_ERROR) {
			rc = sriov_nl_parse_ack(ans, ans->nlmsg_len, err);
			if (rc == 0)
				rc = iovs_errf(err, -EPROTO,
					       "netlink: an ACK instead of an answer");
		} else if (rc == 0 && ans->nlmsg_len > cap) {
			rc = iovs_errf(err, -EMSGSIZE, "netlink answer of %u bytes is too long",
				       ans->nlmsg_len);
		} else if (rc == 0) {
			memcpy(reply, ans, ans->nlmsg_len);
			*reply_len = ans->nlmsg_len;
		}
		mnl_socket_close(nl);
	}
	free(buf);
	return rc;
}

const struct sriov_nl_ops sriov_nl_mnl = {
	.talk = mnl_talk,
	.query = mnl_query,
};
