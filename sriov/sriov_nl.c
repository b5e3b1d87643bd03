/* rtnetlink messages for VF attributes, as pure functions: the RTM_NEWLINK
 * request that 'ip link set dev PF vf N ...' sends (iproute2 6.1, checked
 * byte for byte by tests/integration/sriov_nl.sh), the RTM_GETLINK that asks
 * for the VF list, and the parsers of the kernel's answers (VF info, ACK
 * with extended-ACK message). The socket is in sriov_nl_mnl.c. */
#include "sriov_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define ETH_P_8021Q  0x8100
#define ETH_P_8021AD 0x88a8

static int
validate(const struct sriov_vf_attrs *a, struct iovs_err *err)
{
	if (a->set == 0 || (a->set & ~(unsigned)SRIOV_VF_ALL) != 0)
		return iovs_errf(err, -EINVAL, "no VF attribute (or an unknown one) to set: 0x%x",
				 a->set);
	if (a->set & SRIOV_VF_VLAN) {
		if (a->vlan > 4095)
			return iovs_errf(err, -EINVAL, "VLAN %u is out of range 0..4095", a->vlan);
		if (a->qos > 7)
			return iovs_errf(err, -EINVAL, "VLAN QoS %u is out of range 0..7", a->qos);
		if (a->vlan_proto != 0 && a->vlan_proto != ETH_P_8021Q &&
		    a->vlan_proto != ETH_P_8021AD)
			return iovs_errf(err, -EINVAL,
					 "VLAN protocol 0x%04x is not 802.1Q or 802.1ad",
					 a->vlan_proto);
		if (a->vlan == 0 && a->qos != 0)
			return iovs_errf(err, -EINVAL, "VLAN QoS %u without a VLAN", a->qos);
	}
	if ((a->set & SRIOV_VF_RATE) && a->max_tx_rate != 0 && a->min_tx_rate > a->max_tx_rate)
		return iovs_errf(err, -EINVAL, "min_tx_rate %u is above max_tx_rate %u",
				 a->min_tx_rate, a->max_tx_rate);
	if ((a->set & SRIOV_VF_LINK_STATE) && a->link_state > SRIOV_LINK_DISABLE)
		return iovs_errf(err, -EINVAL, "link state %d is not auto, enable or disable",
				 (int)a->link_state);
	return 0;
}

/* A nest without NLA_F_NESTED: libmnl sets the flag, ip (and so the bytes
 * this module promises) does not; the kernel takes either here. */
static struct nlattr *
nest_start(struct nlmsghdr *nlh, size_t cap, uint16_t type)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, cap, type);

	if (nest != NULL)
		nest->nla_type = type;
	return nest;
}

/* The attributes inside IFLA_VF_INFO; false when 'cap' is too small. */
static bool
put_vf_attrs(struct nlmsghdr *nlh, size_t cap, uint32_t vf, const struct sriov_vf_attrs *a)
{
	bool ok = true;

	if (a->set & SRIOV_VF_MAC) {
		struct ifla_vf_mac m = {.vf = vf};

		memcpy(m.mac, a->mac, 6);
		ok = ok && mnl_attr_put_check(nlh, cap, IFLA_VF_MAC, sizeof(m), &m);
	}
	if (a->set & SRIOV_VF_VLAN) {
		uint16_t proto = a->vlan_proto == 0 ? ETH_P_8021Q : a->vlan_proto;

		/* As ip does: the old attribute for 802.1Q, the list otherwise. */
		if (proto == ETH_P_8021Q) {
			struct ifla_vf_vlan v = {.vf = vf, .vlan = a->vlan, .qos = a->qos};

			ok = ok && mnl_attr_put_check(nlh, cap, IFLA_VF_VLAN, sizeof(v), &v);
		} else {
			struct ifla_vf_vlan_info v;
			struct nlattr *list;

			memset(&v, 0, sizeof(v)); /* the padding goes on the wire */
			v.vf = vf;
			v.vlan = a->vlan;
			v.qos = a->qos;
			v.vlan_proto = htons(proto);
			list = ok ? nest_start(nlh, cap, IFLA_VF_VLAN_LIST) : NULL;
			ok = list != NULL &&
			     mnl_attr_put_check(nlh, cap, IFLA_VF_VLAN_INFO, sizeof(v), &v);
			if (ok)
				mnl_attr_nest_end(nlh, list);
		}
	}
	if (a->set & SRIOV_VF_SPOOFCHK) {
		struct ifla_vf_spoofchk v = {.vf = vf, .setting = a->spoofchk};

		ok = ok && mnl_attr_put_check(nlh, cap, IFLA_VF_SPOOFCHK, sizeof(v), &v);
	}
	if (a->set & SRIOV_VF_TRUST) {
		struct ifla_vf_trust v = {.vf = vf, .setting = a->trust};

		ok = ok && mnl_attr_put_check(nlh, cap, IFLA_VF_TRUST, sizeof(v), &v);
	}
	if (a->set & SRIOV_VF_LINK_STATE) {
		struct ifla_vf_link_state v = {.vf = vf, .link_state = a->link_state};

		ok = ok && mnl_attr_put_check(nlh, cap, IFLA_VF_LINK_STATE, sizeof(v), &v);
	}
	if (a->set & SRIOV_VF_RATE) {
		struct ifla_vf_rate v = {
			.vf = vf, .min_tx_rate = a->min_tx_rate, .max_tx_rate = a->max_tx_rate};

		ok = ok && mnl_attr_put_check(nlh, cap, IFLA_VF_RATE, sizeof(v), &v);
	}
	return ok;
}

static struct nlmsghdr *
put_link_header(void *buf, size_t cap, uint16_t type, uint16_t flags, uint32_t seq, int ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (cap < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*ifi)))
		return NULL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlh;
}

int
sriov_nl_build_vf_set(void *buf, size_t cap, uint32_t seq, int ifindex, uint32_t vf,
		      const struct sriov_vf_attrs *a, size_t *len, struct iovs_err *err)
{
	struct nlattr *list, *info;
	struct nlmsghdr *nlh;
	int rc;

	if ((rc = validate(a, err)) != 0)
		return rc;
	if (ifindex <= 0)
		return iovs_errf(err, -EINVAL, "interface index %d is not valid", ifindex);
	/* RTM_NEWLINK without NLM_F_CREATE changes an existing link, as
	 * RTM_SETLINK would: ip sends this one. */
	nlh = put_link_header(buf, cap, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq, ifindex);
	if (nlh == NULL)
		goto nospace;
	list = nest_start(nlh, cap, IFLA_VFINFO_LIST);
	info = list == NULL ? NULL : nest_start(nlh, cap, IFLA_VF_INFO);
	if (info == NULL || !put_vf_attrs(nlh, cap, vf, a))
		goto nospace;
	mnl_attr_nest_end(nlh, info);
	mnl_attr_nest_end(nlh, list);
	*len = nlh->nlmsg_len;
	return 0;
nospace:
	return iovs_errf(err, -ENOSPC, "VF request does not fit in %zu bytes", cap);
}

int
sriov_nl_build_getlink(void *buf, size_t cap, uint32_t seq, int ifindex, size_t *len)
{
	struct nlmsghdr *nlh = put_link_header(buf, cap, RTM_GETLINK, NLM_F_REQUEST, seq, ifindex);

	if (nlh == NULL || !mnl_attr_put_u32_check(nlh, cap, IFLA_EXT_MASK,
						   RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS))
		return -ENOSPC;
	*len = nlh->nlmsg_len;
	return 0;
}

/* The attributes in [start, start + len), bounds checked. */
struct attr_walk {
	const uint8_t *p;
	size_t left;
};

static const struct nlattr *
next_attr(struct attr_walk *w)
{
	const struct nlattr *at;
	size_t step;

	if (w->left < sizeof(struct nlattr))
		return NULL;
	at = (const struct nlattr *)w->p;
	if (at->nla_len < sizeof(struct nlattr) || at->nla_len > w->left)
		return NULL;
	step = MNL_ALIGN(at->nla_len);
	w->p += step > w->left ? w->left : step;
	w->left -= step > w->left ? w->left : step;
	return at;
}

static struct attr_walk
nested(const struct nlattr *at)
{
	return (struct attr_walk){(const uint8_t *)at + MNL_ATTR_HDRLEN,
				  at->nla_len - MNL_ATTR_HDRLEN};
}

static uint16_t
attr_type(const struct nlattr *at)
{
	return at->nla_type & NLA_TYPE_MASK;
}

static size_t
attr_len(const struct nlattr *at)
{
	return at->nla_len - MNL_ATTR_HDRLEN;
}

/* Copies the payload into 'out' when it is at least 'size' bytes. */
static bool
attr_get(const struct nlattr *at, void *out, size_t size)
{
	if (attr_len(at) < size)
		return false;
	memcpy(out, (const uint8_t *)at + MNL_ATTR_HDRLEN, size);
	return true;
}

/* One IFLA_VF_INFO: true (and 'out' filled) if it is VF 'vf' (each VF
 * attribute starts with the VF number; the kernel's answers always hold
 * IFLA_VF_MAC, a request holds what it sets). The kernel reports -1 (as
 * u32) for a setting the driver does not know: left unset. */
static bool
parse_vf_info(const struct nlattr *info, uint32_t vf, struct sriov_vf_attrs *out)
{
	struct attr_walk w = nested(info);
	struct sriov_vf_attrs a = {0};
	const struct nlattr *at;
	bool found = false;

	while ((at = next_attr(&w)) != NULL) {
		union {
			struct ifla_vf_mac mac;
			struct ifla_vf_vlan vlan;
			struct ifla_vf_vlan_info vinfo;
			struct ifla_vf_rate rate;
			struct ifla_vf_spoofchk spoof;
			struct ifla_vf_trust trust;
			struct ifla_vf_link_state ls;
		} u;

		uint32_t which;

		if (attr_type(at) != IFLA_VF_VLAN_LIST) {
			if (!attr_get(at, &which, sizeof(which)))
				continue;
			if (which != vf)
				return false;
			found = true;
		}
		switch (attr_type(at)) {
		case IFLA_VF_MAC:
			if (!attr_get(at, &u.mac, sizeof(u.mac)))
				return false;
			memcpy(a.mac, u.mac.mac, 6);
			a.set |= SRIOV_VF_MAC;
			break;
		case IFLA_VF_VLAN:
			if (attr_get(at, &u.vlan, sizeof(u.vlan)) && u.vlan.vlan <= 4095 &&
			    u.vlan.qos <= 7) {
				a.vlan = (uint16_t)u.vlan.vlan;
				a.qos = (uint8_t)u.vlan.qos;
				if (!(a.set & SRIOV_VF_VLAN))
					a.vlan_proto = ETH_P_8021Q;
				a.set |= SRIOV_VF_VLAN;
			}
			break;
		case IFLA_VF_VLAN_LIST: {
			struct attr_walk lw = nested(at);
			const struct nlattr *vi = next_attr(&lw);

			if (vi != NULL && attr_type(vi) == IFLA_VF_VLAN_INFO &&
			    attr_get(vi, &u.vinfo, sizeof(u.vinfo)) && u.vinfo.vf != vf)
				return false;
			if (vi != NULL && attr_type(vi) == IFLA_VF_VLAN_INFO &&
			    attr_get(vi, &u.vinfo, sizeof(u.vinfo)) && u.vinfo.vlan <= 4095 &&
			    u.vinfo.qos <= 7 &&
			    (ntohs(u.vinfo.vlan_proto) == ETH_P_8021Q ||
			     ntohs(u.vinfo.vlan_proto) == ETH_P_8021AD)) {
				found = true;
				a.vlan = (uint16_t)u.vinfo.vlan;
				a.qos = (uint8_t)u.vinfo.qos;
				a.vlan_proto = ntohs(u.vinfo.vlan_proto);
				a.set |= SRIOV_VF_VLAN;
			}
			break;
		}
		case IFLA_VF_RATE:
			if (attr_get(at, &u.rate, sizeof(u.rate))) {
				a.min_tx_rate = u.rate.min_tx_rate;
				a.max_tx_rate = u.rate.max_tx_rate;
				a.set |= SRIOV_VF_RATE;
			}
			break;
		case IFLA_VF_SPOOFCHK:
			if (attr_get(at, &u.spoof, sizeof(u.spoof)) && u.spoof.setting <= 1) {
				a.spoofchk = u.spoof.setting;
				a.set |= SRIOV_VF_SPOOFCHK;
			}
			break;
		case IFLA_VF_TRUST:
			if (attr_get(at, &u.trust, sizeof(u.trust)) && u.trust.setting <= 1) {
				a.trust = u.trust.setting;
				a.set |= SRIOV_VF_TRUST;
			}
			break;
		case IFLA_VF_LINK_STATE:
			if (attr_get(at, &u.ls, sizeof(u.ls)) && u.ls.link_state <= 2) {
				a.link_state = (enum sriov_link_state)u.ls.link_state;
				a.set |= SRIOV_VF_LINK_STATE;
			}
			break;
		default:
			break;
		}
	}
	if (found)
		*out = a;
	return found;
}

int
sriov_nl_parse_vf(const void *msg, size_t len, uint32_t vf, struct sriov_vf_attrs *out,
		  struct iovs_err *err)
{
	const struct nlmsghdr *nlh = msg;
	const size_t hdr = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct ifinfomsg));
	struct attr_walk w;
	const struct nlattr *at;

	if (len < hdr || nlh->nlmsg_len < hdr || nlh->nlmsg_len > len ||
	    nlh->nlmsg_type != RTM_NEWLINK)
		return iovs_errf(err, -EINVAL, "link reply is not an RTM_NEWLINK message");
	w = (struct attr_walk){(const uint8_t *)msg + hdr, nlh->nlmsg_len - hdr};
	while ((at = next_attr(&w)) != NULL) {
		struct attr_walk lw;
		const struct nlattr *info;

		if (attr_type(at) != IFLA_VFINFO_LIST)
			continue;
		lw = nested(at);
		while ((info = next_attr(&lw)) != NULL)
			if (attr_type(info) == IFLA_VF_INFO && parse_vf_info(info, vf, out))
				return 0;
		return iovs_errf(err, -ENOENT, "the kernel reports no VF %u on this link", vf);
	}
	return iovs_errf(err, -ENOENT, "the kernel reports no VF list on this link");
}

int
sriov_nl_parse_ack(const void *msg, size_t len, struct iovs_err *err)
{
	const struct nlmsghdr *nlh = msg;
	const size_t hdr = MNL_NLMSG_HDRLEN + sizeof(struct nlmsgerr);
	const struct nlmsgerr *e;
	char text[160] = "";
	struct attr_walk w;
	const struct nlattr *at;
	size_t off;

	if (len < hdr || nlh->nlmsg_len < hdr || nlh->nlmsg_len > len ||
	    nlh->nlmsg_type != NLMSG_ERROR)
		return iovs_errf(err, -EBADMSG, "netlink answer is not an ACK");
	e = (const struct nlmsgerr *)((const uint8_t *)msg + MNL_NLMSG_HDRLEN);
	if (e->error == 0)
		return 0;
	if (e->error > 0 || e->error < -4095)
		return iovs_errf(err, -EPROTO, "netlink error %d is not an errno", e->error);
	/* Extended ACK (linux/netlink.h): the TLVs follow the request, whole or
	 * only its header (NLM_F_CAPPED). */
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = hdr;
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len > MNL_NLMSG_HDRLEN)
			off += MNL_ALIGN(e->msg.nlmsg_len - MNL_NLMSG_HDRLEN);
		if (off < nlh->nlmsg_len) {
			w = (struct attr_walk){(const uint8_t *)msg + off, nlh->nlmsg_len - off};
			while ((at = next_attr(&w)) != NULL) {
				size_t n = attr_len(at);

				if (attr_type(at) != NLMSGERR_ATTR_MSG || n == 0)
					continue;
				n = strnlen((const char *)at + MNL_ATTR_HDRLEN, n);
				snprintf(text, sizeof(text), " (%.*s)", (int)n,
					 (const char *)at + MNL_ATTR_HDRLEN);
			}
		}
	}
	return iovs_errf(err, e->error, "kernel: %s%s", strerror(-e->error), text);
}
