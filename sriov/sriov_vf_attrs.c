/* VF attributes (MAC, VLAN, rate, spoof check, trust, link state) set
 * through the PF's network interface with rtnetlink. The VF's current
 * values are read first (RTM_GETLINK); each field is one request and one
 * transaction step, undone by sending the old value. One request per field
 * rather than all in one: the kernel applies a request's VF attributes one
 * by one and stops at the first error, keeping the ones before it. */
#include "sriov_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct attrs_op {
	int ifindex;
	uint32_t vf;
	struct sriov_vf_attrs want;
	struct sriov_vf_attrs old;
};

static const struct {
	unsigned field;
	const char *name;
} fields[] = {
	{SRIOV_VF_MAC, "mac"},
	{SRIOV_VF_VLAN, "vlan"},
	{SRIOV_VF_SPOOFCHK, "spoofchk"},
	{SRIOV_VF_TRUST, "trust"},
	{SRIOV_VF_LINK_STATE, "link-state"},
	{SRIOV_VF_RATE, "rate"},
};

static int
send_field(struct sriov_ctx *ctx, const struct attrs_op *op, const struct sriov_vf_attrs *from,
	   unsigned field, struct iovs_err *err)
{
	struct sriov_vf_attrs one = *from;
	uint8_t buf[SRIOV_NL_BUF];
	size_t len;
	int rc;

	one.set = field;
	rc = sriov_nl_build_vf_set(buf, sizeof(buf), sriov_nl_next_seq(ctx), op->ifindex, op->vf,
				   &one, &len, err);
	return rc != 0 ? rc : ctx->nl->talk(ctx->nl_priv, buf, len, err);
}

static int
set_field(struct sriov_ctx *ctx, void *arg, unsigned field, struct iovs_err *err)
{
	struct attrs_op *op = arg;

	return send_field(ctx, op, &op->want, field, err);
}

static int
restore_field(struct sriov_ctx *ctx, void *arg, unsigned field, struct iovs_err *err)
{
	struct attrs_op *op = arg;

	if (!(op->old.set & field))
		return iovs_errf(err, -ENODATA, "the old value was not reported by the kernel");
	return send_field(ctx, op, &op->old, field, err);
}

/* The PF's interface index, from PF/net/IF/ifindex. */
static int
pf_ifindex(struct sriov_ctx *ctx, const struct sriov_addr *pf, int *ifindex, char *ifname,
	   struct iovs_err *err)
{
	char oper[16], p[SRIOV_NAME_MAX + 16];
	unsigned v;
	int rc;

	if ((rc = sriov_dev_netdev(ctx, pf, ifname, oper, err)) != 0)
		return rc;
	if (ifname[0] == '\0')
		return iovs_errf(err, -ENOTSUP,
				 "the PF has no network interface (VF attributes need rtnetlink)");
	snprintf(p, sizeof(p), "net/%s/ifindex", ifname);
	if ((rc = sriov_dev_read_uint(ctx, pf, p, &v, err)) != 0)
		return rc;
	if (v == 0 || v > 0x7fffffff)
		return iovs_errf(err, -EINVAL, "%s has interface index %u", ifname, v);
	*ifindex = (int)v;
	return 0;
}

static int
read_old(struct sriov_ctx *ctx, struct attrs_op *op, struct iovs_err *err)
{
	uint8_t req[SRIOV_NL_BUF];
	uint8_t *reply = malloc(SRIOV_NL_REPLY);
	size_t len, rlen;
	int rc;

	if (reply == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory for the link answer");
	rc = sriov_nl_build_getlink(req, sizeof(req), sriov_nl_next_seq(ctx), op->ifindex, &len);
	if (rc == 0)
		rc = ctx->nl->query(ctx->nl_priv, req, len, reply, SRIOV_NL_REPLY, &rlen, err);
	if (rc == 0)
		rc = sriov_nl_parse_vf(reply, rlen, op->vf, &op->old, err);
	free(reply);
	return rc == 0 ? 0 : iovs_err_prefix(err, rc, "read the current attributes");
}

void
sriov_vf_attrs_merge(struct sriov_vf_attrs *into, const struct sriov_vf_attrs *from, unsigned which)
{
	which &= from->set;
	if (which & SRIOV_VF_MAC)
		memcpy(into->mac, from->mac, sizeof(into->mac));
	if (which & SRIOV_VF_VLAN) {
		into->vlan = from->vlan;
		into->qos = from->qos;
		into->vlan_proto = from->vlan_proto;
	}
	if (which & SRIOV_VF_RATE) {
		into->min_tx_rate = from->min_tx_rate;
		into->max_tx_rate = from->max_tx_rate;
	}
	if (which & SRIOV_VF_SPOOFCHK)
		into->spoofchk = from->spoofchk;
	if (which & SRIOV_VF_TRUST)
		into->trust = from->trust;
	if (which & SRIOV_VF_LINK_STATE)
		into->link_state = from->link_state;
	into->set |= which;
}

int
sriov_vf_set(struct sriov_ctx *ctx, const struct sriov_addr *pf, unsigned idx,
	     const struct sriov_vf_attrs *a, struct sriov_vf_attrs *orig, struct iovs_err *err)
{
	struct attrs_op op = {.vf = idx, .want = *a};
	char s[SRIOV_ADDR_STR], ifname[SRIOV_NAME_MAX];
	uint8_t dry[SRIOV_NL_BUF];
	struct sriov_addr vf;
	struct sriov_cap cap;
	struct sriov_txn t;
	size_t len;
	int rc;

	sriov_addr_str(pf, s);
	/* Syntax first: nothing is read or changed for a bad value. */
	if ((rc = sriov_nl_build_vf_set(dry, sizeof(dry), 0, 1, idx, a, &len, err)) != 0 ||
	    (rc = sriov_pf_cap(ctx, pf, &cap, err)) != 0 ||
	    (rc = sriov_vf_locate(ctx, pf, &cap, idx, &vf, err)) != 0 ||
	    (rc = pf_ifindex(ctx, pf, &op.ifindex, ifname, err)) != 0 ||
	    (rc = read_old(ctx, &op, err)) != 0)
		return iovs_err_prefix(err, rc, "set VF %u of %s", idx, s);
	sriov_txn_init(&t, ctx);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (a->set & fields[i].field)
			sriov_txn_add(&t, fields[i].name, set_field, restore_field, &op,
				      fields[i].field);
	rc = sriov_txn_run(&t, err);
	if (rc != 0)
		return iovs_err_prefix(err, rc, "set VF %u of %s (%s)", idx, s, ifname);
	if (orig != NULL)
		sriov_vf_attrs_merge(orig, &op.old, a->set & ~orig->set);
	return 0;
}
