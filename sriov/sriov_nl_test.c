/* rtnetlink for VF attributes: the request builder against the bytes
 * 'ip link set dev X vf 0 mac 02:00:00:00:00:01 vlan 10 qos 3 proto 802.1ad
 * spoofchk on trust on state enable min_tx_rate 100 max_tx_rate 1000' sent
 * (iproute2 6.1, recorded once on this host; tests/integration/sriov_nl.sh
 * compares against ip live), its refusals, the parsers of the kernel's
 * answers (VF info, ACK and extended ACK) on good and truncated input, and
 * sriov_vf_set() through the fake rtnetlink: one request per field,
 * rollback when the kernel refuses the K-th, and the VF's original values
 * kept for a later restore. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "sriov_test_tree.h"

#define PF "0000:03:00.0"

/* ip's request, ifindex 0x57a, seq 0x6b0162ad. */
static const uint8_t ip_request[156] = {
	0x9c, 0x00, 0x00, 0x00, 0x10, 0x00, 0x05, 0x00, 0xad, 0x62, 0x01, 0x6b, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x7a, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x7c, 0x00, 0x16, 0x00, 0x78, 0x00, 0x01, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x18, 0x00, 0x0c, 0x00, 0x14, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x88, 0xa8, 0x00, 0x00, 0x0c,
	0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x09, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00,
	0x00, 0x00, 0xe8, 0x03, 0x00, 0x00,
};

static struct sriov_vf_attrs
all_attrs(void)
{
	struct sriov_vf_attrs a = {
		.set = SRIOV_VF_ALL,
		.mac = {0x02, 0, 0, 0, 0, 0x01},
		.vlan = 10,
		.qos = 3,
		.vlan_proto = 0x88a8,
		.min_tx_rate = 100,
		.max_tx_rate = 1000,
		.spoofchk = true,
		.trust = true,
		.link_state = SRIOV_LINK_ENABLE,
	};

	return a;
}

static void
test_build_like_ip(void **state)
{
	struct sriov_vf_attrs a = all_attrs();
	struct iovs_err err = {""};
	uint8_t buf[SRIOV_NL_BUF];
	size_t len;

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	if (sriov_nl_build_vf_set(buf, sizeof(buf), 0x6b0162ad, 0x57a, 0, &a, &len, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(len, sizeof(ip_request));
	assert_memory_equal(buf, ip_request, sizeof(ip_request));
}

/* 802.1Q goes as the old IFLA_VF_VLAN, as ip sends it. */
static void
test_build_8021q(void **state)
{
	struct sriov_vf_attrs a = {.set = SRIOV_VF_VLAN, .vlan = 10, .qos = 3};
	struct iovs_err err = {""};
	uint8_t buf[SRIOV_NL_BUF];
	const struct nlattr *list, *info, *at;
	struct ifla_vf_vlan v;
	size_t len;

	(void)state;
	assert_int_equal(sriov_nl_build_vf_set(buf, sizeof(buf), 1, 5, 3, &a, &len, &err), 0);
	list = (const struct nlattr *)(buf + MNL_NLMSG_HDRLEN + sizeof(struct ifinfomsg));
	assert_int_equal(list->nla_type, IFLA_VFINFO_LIST);
	info = mnl_attr_get_payload(list);
	assert_int_equal(info->nla_type, IFLA_VF_INFO);
	at = mnl_attr_get_payload(info);
	assert_int_equal(at->nla_type, IFLA_VF_VLAN);
	assert_int_equal(mnl_attr_get_payload_len(at), sizeof(v));
	memcpy(&v, mnl_attr_get_payload(at), sizeof(v));
	assert_int_equal(v.vf, 3);
	assert_int_equal(v.vlan, 10);
	assert_int_equal(v.qos, 3);
	assert_int_equal(len, MNL_NLMSG_HDRLEN + sizeof(struct ifinfomsg) + 3 * 4 + sizeof(v));
}

static void
test_build_refused(void **state)
{
	struct sriov_vf_attrs a = all_attrs();
	struct iovs_err err = {""};
	uint8_t buf[SRIOV_NL_BUF];
	size_t len;

	(void)state;
#define REFUSE(field, value, text)                                                                 \
	do {                                                                                       \
		a = all_attrs();                                                                   \
		a.field = value;                                                                   \
		assert_int_equal(sriov_nl_build_vf_set(buf, sizeof(buf), 1, 5, 0, &a, &len, &err), \
				 -EINVAL);                                                         \
		assert_string_equal(err.msg, text);                                                \
	} while (0)
	REFUSE(vlan, 4096, "VLAN 4096 is out of range 0..4095");
	REFUSE(qos, 8, "VLAN QoS 8 is out of range 0..7");
	REFUSE(vlan_proto, 0x0800, "VLAN protocol 0x0800 is not 802.1Q or 802.1ad");
	REFUSE(min_tx_rate, 1001, "min_tx_rate 1001 is above max_tx_rate 1000");
	REFUSE(link_state, 3, "link state 3 is not auto, enable or disable");
	REFUSE(set, 0, "no VF attribute (or an unknown one) to set: 0x0");
	REFUSE(set, 1u << 6, "no VF attribute (or an unknown one) to set: 0x40");
	a = all_attrs();
	a.vlan = 0;
	a.qos = 1;
	assert_int_equal(sriov_nl_build_vf_set(buf, sizeof(buf), 1, 5, 0, &a, &len, &err), -EINVAL);
	a = all_attrs();
	assert_int_equal(sriov_nl_build_vf_set(buf, sizeof(buf), 1, 0, 0, &a, &len, &err), -EINVAL);
	/* Too small a buffer, at every size below the need. */
	for (size_t cap = 0; cap < sizeof(ip_request); cap++)
		assert_int_equal(sriov_nl_build_vf_set(buf, cap, 1, 5, 0, &a, &len, &err), -ENOSPC);
	/* No rate limit (max 0) with a minimum is for the driver to judge. */
	a.max_tx_rate = 0;
	assert_int_equal(sriov_nl_build_vf_set(buf, sizeof(buf), 1, 5, 0, &a, &len, &err), 0);
}

static void
test_parse_vf(void **state)
{
	struct tt *t = tt_create();
	uint8_t *reply = malloc(SRIOV_NL_REPLY), req[64];
	struct sriov_vf_attrs a, want = all_attrs();
	struct iovs_err err = {""};
	size_t len, rlen;

	(void)state;
	assert_non_null(reply);
	t->n_vfs_nl = 3;
	t->vf[2] = want;
	len = tt_nl_reply(t, reply, SRIOV_NL_REPLY, 7);
	assert_int_equal(sriov_nl_parse_vf(reply, len, 2, &a, &err), 0);
	assert_int_equal(a.set, SRIOV_VF_ALL);
	assert_memory_equal(a.mac, want.mac, 6);
	assert_int_equal(a.vlan, 10);
	assert_int_equal(a.qos, 3);
	assert_int_equal(a.vlan_proto, 0x88a8);
	assert_int_equal(a.min_tx_rate, 100);
	assert_int_equal(a.max_tx_rate, 1000);
	assert_true(a.spoofchk);
	assert_true(a.trust);
	assert_int_equal(a.link_state, SRIOV_LINK_ENABLE);
	assert_int_equal(sriov_nl_parse_vf(reply, len, 0, &a, &err), 0);
	assert_int_equal(a.vlan_proto, 0x8100);
	assert_int_equal(sriov_nl_parse_vf(reply, len, 3, &a, &err), -ENOENT);
	assert_string_equal(err.msg, "the kernel reports no VF 3 on this link");
	/* Every truncation: an error or a VF, never a read past the end (ASan). */
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut + 1);

		memcpy(copy, reply, cut);
		if (cut >= sizeof(struct nlmsghdr))
			((struct nlmsghdr *)copy)->nlmsg_len = (uint32_t)cut;
		(void)sriov_nl_parse_vf(copy, cut, 2, &a, NULL);
		free(copy);
	}
	/* The getlink request. */
	assert_int_equal(sriov_nl_build_getlink(req, sizeof(req), 9, 7, &rlen), 0);
	assert_int_equal(((struct nlmsghdr *)req)->nlmsg_type, RTM_GETLINK);
	assert_int_equal(rlen, MNL_NLMSG_HDRLEN + sizeof(struct ifinfomsg) + 8);
	assert_int_equal(sriov_nl_build_getlink(req, 39, 9, 7, &rlen), -ENOSPC);
	free(reply);
	tt_destroy(t);
}

/* An NLMSG_ERROR answer to a request of 'reqlen' bytes, with an extended
 * ACK message when 'msg' is not NULL, capped or carrying the request. */
static size_t
ack(uint8_t *buf, int error, const char *msg, bool capped, size_t reqlen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = (uint32_t)reqlen;
	e->msg.nlmsg_type = RTM_NEWLINK;
	if (!capped && reqlen > MNL_NLMSG_HDRLEN) {
		memset(mnl_nlmsg_put_extra_header(nlh, reqlen - MNL_NLMSG_HDRLEN), 0x55,
		       reqlen - MNL_NLMSG_HDRLEN);
	}
	if (capped)
		nlh->nlmsg_flags |= NLM_F_CAPPED;
	if (msg != NULL) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	}
	return nlh->nlmsg_len;
}

static void
test_parse_ack(void **state)
{
	uint8_t buf[512];
	struct iovs_err err = {""};
	size_t len;

	(void)state;
	len = ack(buf, 0, NULL, true, 32);
	assert_int_equal(sriov_nl_parse_ack(buf, len, &err), 0);
	len = ack(buf, -EOPNOTSUPP, NULL, true, 32);
	assert_int_equal(sriov_nl_parse_ack(buf, len, &err), -EOPNOTSUPP);
	assert_string_equal(err.msg, "kernel: Operation not supported");
	len = ack(buf, -EINVAL, "VF 9 out of range", true, 156);
	assert_int_equal(sriov_nl_parse_ack(buf, len, &err), -EINVAL);
	assert_string_equal(err.msg, "kernel: Invalid argument (VF 9 out of range)");
	len = ack(buf, -EINVAL, "not capped", false, 156);
	assert_int_equal(sriov_nl_parse_ack(buf, len, &err), -EINVAL);
	assert_string_equal(err.msg, "kernel: Invalid argument (not capped)");
	len = ack(buf, 5, NULL, true, 32);
	assert_int_equal(sriov_nl_parse_ack(buf, len, &err), -EPROTO);
	((struct nlmsghdr *)buf)->nlmsg_type = RTM_NEWLINK;
	assert_int_equal(sriov_nl_parse_ack(buf, len, &err), -EBADMSG);
	/* Every truncation of an extended ACK. */
	len = ack(buf, -EINVAL, "a message", false, 156);
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut + 1);

		memcpy(copy, buf, cut);
		if (cut >= sizeof(struct nlmsghdr))
			((struct nlmsghdr *)copy)->nlmsg_len = (uint32_t)cut;
		(void)sriov_nl_parse_ack(copy, cut, NULL);
		free(copy);
	}
}

static struct tt *
new_tree(struct sriov_ctx **ctx, bool netdev)
{
	struct tt *t = tt_create();
	uint8_t cfg[SRIOV_CFG_SIZE];
	struct iovs_err err = {""};
	struct sriov_addr pf;

	tt_config(cfg, 0x8086, 0x10c9, 8, 0x80, 2, 0x10ca);
	tt_add_pf(t, PF, cfg, sizeof(cfg), "igb", 8, "igbvf");
	if (netdev)
		tt_add_netdev(t, PF, "enp3s0", 7, "up");
	if (sriov_ctx_create(&t->conf, ctx, &err) != 0)
		fail_msg("%s", err.msg);
	sriov_addr_parse(PF, &pf, NULL);
	assert_int_equal(sriov_vfs_create(*ctx, &pf, 2, true, &err), 0);
	t->n_vfs_nl = 2;
	t->vf[1].vlan_proto = 0x8100;
	t->vf[1].spoofchk = true;
	return t;
}

static void
test_vf_set(void **state)
{
	struct sriov_ctx *ctx;
	struct tt *t = new_tree(&ctx, true);
	struct sriov_vf_attrs a = all_attrs(), got;
	struct iovs_err err = {""};
	struct sriov_addr pf;

	(void)state;
	sriov_addr_parse(PF, &pf, NULL);
	a.set = SRIOV_VF_MAC | SRIOV_VF_VLAN | SRIOV_VF_TRUST;
	if (sriov_vf_set(ctx, &pf, 1, &a, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	/* One query, then one request per field, on the PF's ifindex. */
	assert_int_equal(t->n_msgs, 4);
	assert_int_equal(((struct nlmsghdr *)t->msgs[0])->nlmsg_type, RTM_GETLINK);
	for (unsigned i = 1; i < 4; i++) {
		const struct ifinfomsg *ifi = mnl_nlmsg_get_payload((void *)t->msgs[i]);

		assert_int_equal(ifi->ifi_index, 7);
		assert_int_equal(sriov_nl_parse_vf(t->msgs[i], t->msg_len[i], 1, &got, NULL), 0);
		assert_int_equal(got.set, i == 1   ? SRIOV_VF_MAC
					  : i == 2 ? SRIOV_VF_VLAN
						   : SRIOV_VF_TRUST);
	}
	assert_memory_equal(t->vf[1].mac, a.mac, 6);
	assert_int_equal(t->vf[1].vlan, 10);
	assert_int_equal(t->vf[1].vlan_proto, 0x88a8);
	assert_true(t->vf[1].trust);
	assert_true(t->vf[1].spoofchk); /* not asked for: unchanged */
	assert_int_equal(t->vf[0].vlan, 0);
	sriov_ctx_destroy(ctx);
	tt_destroy(t);
}

/* 'orig' keeps what the VF had before iovs first changed each field: a
 * second change of a field keeps the first original, a new field is added, a
 * failed change records nothing; setting 'orig' puts the VF back as it was. */
static void
test_vf_set_keeps_original(void **state)
{
	struct sriov_ctx *ctx;
	struct tt *t = new_tree(&ctx, true);
	struct sriov_vf_attrs a = all_attrs(), orig = {0}, was = t->vf[1];
	struct iovs_err err = {""};
	struct sriov_addr pf;

	(void)state;
	sriov_addr_parse(PF, &pf, NULL);
	a.set = SRIOV_VF_MAC | SRIOV_VF_VLAN;
	assert_int_equal(sriov_vf_set(ctx, &pf, 1, &a, &orig, &err), 0);
	assert_int_equal(orig.set, SRIOV_VF_MAC | SRIOV_VF_VLAN);
	assert_memory_equal(orig.mac, was.mac, 6);
	assert_int_equal(orig.vlan, was.vlan);
	assert_int_equal(orig.qos, was.qos);
	assert_int_equal(orig.vlan_proto, 0x8100);
	/* The MAC again, another value, and trust: the MAC's original stays. */
	a.mac[5] ^= 0xff;
	a.set = SRIOV_VF_MAC | SRIOV_VF_TRUST;
	assert_int_equal(sriov_vf_set(ctx, &pf, 1, &a, &orig, &err), 0);
	assert_memory_equal(t->vf[1].mac, a.mac, 6);
	assert_int_equal(orig.set, SRIOV_VF_MAC | SRIOV_VF_VLAN | SRIOV_VF_TRUST);
	assert_memory_equal(orig.mac, was.mac, 6);
	assert_int_equal(orig.trust, was.trust);
	/* Refused by the kernel: nothing recorded. */
	t->fail_talk = t->n_talk + 1;
	a.set = SRIOV_VF_SPOOFCHK;
	assert_int_not_equal(sriov_vf_set(ctx, &pf, 1, &a, &orig, &err), 0);
	assert_int_equal(orig.set, SRIOV_VF_MAC | SRIOV_VF_VLAN | SRIOV_VF_TRUST);
	t->fail_talk = 0;
	/* Back as it was. */
	assert_int_equal(sriov_vf_set(ctx, &pf, 1, &orig, NULL, &err), 0);
	assert_memory_equal(t->vf[1].mac, was.mac, 6);
	assert_int_equal(t->vf[1].vlan, was.vlan);
	assert_int_equal(t->vf[1].qos, was.qos);
	assert_int_equal(t->vf[1].vlan_proto, was.vlan_proto);
	assert_int_equal(t->vf[1].trust, was.trust);
	assert_int_equal(t->vf[1].spoofchk, was.spoofchk);
	sriov_ctx_destroy(ctx);
	tt_destroy(t);
}

/* The kernel refuses request K of six: the K - 1 fields set before are set
 * back; the fake's VF state is as it was. */
static void
test_vf_set_rollback(void **state)
{
	static const char *const names[] = {"mac",   "vlan",	   "spoofchk",
					    "trust", "link-state", "rate"};

	(void)state;
	for (unsigned k = 1; k <= 6; k++) {
		struct sriov_ctx *ctx;
		struct tt *t = new_tree(&ctx, true);
		struct sriov_vf_attrs a = all_attrs(), before[TT_MAX_VFS];
		struct iovs_err err = {""};
		struct sriov_addr pf;
		char want[200];

		sriov_addr_parse(PF, &pf, NULL);
		memcpy(before, t->vf, sizeof(before));
		t->fail_talk = k;
		assert_int_equal(sriov_vf_set(ctx, &pf, 1, &a, NULL, &err), -EOPNOTSUPP);
		assert_memory_equal(t->vf, before, sizeof(before));
		snprintf(want, sizeof(want),
			 "set VF 1 of 0000:03:00.0 (enp3s0): step %u (%s) failed: kernel: "
			 "Operation not supported (injected); rolled back %u step%s",
			 k, names[k - 1], k - 1, k == 2 ? "" : "s");
		assert_string_equal(err.msg, want);
		/* 1 query + k requests + (k - 1) undos. */
		assert_int_equal(t->n_msgs, 1 + k + (k - 1));
		sriov_ctx_destroy(ctx);
		tt_destroy(t);
	}
}

static void
test_vf_set_refused(void **state)
{
	struct sriov_ctx *ctx;
	struct tt *t = new_tree(&ctx, false);
	struct sriov_vf_attrs a = all_attrs();
	struct iovs_err err = {""};
	struct sriov_addr pf;

	(void)state;
	sriov_addr_parse(PF, &pf, NULL);
	assert_int_equal(sriov_vf_set(ctx, &pf, 1, &a, NULL, &err), -ENOTSUP);
	assert_string_equal(err.msg, "set VF 1 of 0000:03:00.0: the PF has no network interface "
				     "(VF attributes need rtnetlink)");
	a.vlan = 5000;
	assert_int_equal(sriov_vf_set(ctx, &pf, 1, &a, NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "set VF 1 of 0000:03:00.0: VLAN 5000 is out of range 0..4095");
	assert_int_equal(t->n_msgs, 0);
	sriov_ctx_destroy(ctx);
	tt_destroy(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_like_ip),
		cmocka_unit_test(test_build_8021q),
		cmocka_unit_test(test_build_refused),
		cmocka_unit_test(test_parse_vf),
		cmocka_unit_test(test_parse_ack),
		cmocka_unit_test(test_vf_set),
		cmocka_unit_test(test_vf_set_rollback),
		cmocka_unit_test(test_vf_set_refused),
		cmocka_unit_test(test_vf_set_keeps_original),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
