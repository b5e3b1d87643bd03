/* The flow syntax's printer (ofl_syntax.h): matches, actions, instructions
 * and whole flows back to text that ofl_syntax.c parses to the same structs.
 * Used by the flow dump and the trace (ofl_cli.c, ofl_trace.c). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "ofl_syntax_priv.h"

/* An snprintf that appends: 'len' counts what the whole text needs. */
struct pbuf {
	char *buf;
	size_t size, len;
};

static void __attribute__((format(printf, 2, 3))) pr(struct pbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->len < b->size ? b->buf + b->len : NULL,
		      b->len < b->size ? b->size - b->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
}

static void
pbuf_init(struct pbuf *b, char *buf, size_t size)
{
	b->buf = buf;
	b->size = size;
	b->len = 0;
	if (size > 0)
		buf[0] = '\0';
}

/* Names: in a match (tp_* and icmp_* follow the printed shorthand) and in a
 * set_field (unambiguous without a match). */
static const struct {
	const char *match, *set;
} field_names[OFPXMT_OFB__MAX] = {
	[OFPXMT_OFB_IN_PORT] = {"in_port", "in_port"},
	[OFPXMT_OFB_METADATA] = {"metadata", "metadata"},
	[OFPXMT_OFB_ETH_DST] = {"dl_dst", "eth_dst"},
	[OFPXMT_OFB_ETH_SRC] = {"dl_src", "eth_src"},
	[OFPXMT_OFB_ETH_TYPE] = {"dl_type", "eth_type"},
	[OFPXMT_OFB_VLAN_VID] = {"vlan_vid", "vlan_vid"},
	[OFPXMT_OFB_VLAN_PCP] = {"dl_vlan_pcp", "vlan_pcp"},
	[OFPXMT_OFB_IP_DSCP] = {"ip_dscp", "ip_dscp"},
	[OFPXMT_OFB_IP_ECN] = {"ip_ecn", "ip_ecn"},
	[OFPXMT_OFB_IP_PROTO] = {"nw_proto", "ip_proto"},
	[OFPXMT_OFB_IPV4_SRC] = {"nw_src", "ip_src"},
	[OFPXMT_OFB_IPV4_DST] = {"nw_dst", "ip_dst"},
	[OFPXMT_OFB_TCP_SRC] = {"tp_src", "tcp_src"},
	[OFPXMT_OFB_TCP_DST] = {"tp_dst", "tcp_dst"},
	[OFPXMT_OFB_UDP_SRC] = {"tp_src", "udp_src"},
	[OFPXMT_OFB_UDP_DST] = {"tp_dst", "udp_dst"},
	[OFPXMT_OFB_SCTP_SRC] = {"tp_src", "sctp_src"},
	[OFPXMT_OFB_SCTP_DST] = {"tp_dst", "sctp_dst"},
	[OFPXMT_OFB_ICMPV4_TYPE] = {"icmp_type", "icmpv4_type"},
	[OFPXMT_OFB_ICMPV4_CODE] = {"icmp_code", "icmpv4_code"},
	[OFPXMT_OFB_ARP_OP] = {"arp_op", "arp_op"},
	[OFPXMT_OFB_ARP_SPA] = {"arp_spa", "arp_spa"},
	[OFPXMT_OFB_ARP_TPA] = {"arp_tpa", "arp_tpa"},
	[OFPXMT_OFB_ARP_SHA] = {"arp_sha", "arp_sha"},
	[OFPXMT_OFB_ARP_THA] = {"arp_tha", "arp_tha"},
	[OFPXMT_OFB_IPV6_SRC] = {"ipv6_src", "ipv6_src"},
	[OFPXMT_OFB_IPV6_DST] = {"ipv6_dst", "ipv6_dst"},
	[OFPXMT_OFB_ICMPV6_TYPE] = {"icmp_type", "icmpv6_type"},
	[OFPXMT_OFB_ICMPV6_CODE] = {"icmp_code", "icmpv6_code"},
	[OFPXMT_OFB_IPV6_ND_TARGET] = {"nd_target", "nd_target"},
	[OFPXMT_OFB_IPV6_ND_SLL] = {"nd_sll", "nd_sll"},
	[OFPXMT_OFB_IPV6_ND_TLL] = {"nd_tll", "nd_tll"},
};

const char *
syn_print_name(uint8_t field, bool in_match)
{
	if (field >= OFPXMT_OFB__MAX || field_names[field].match == NULL)
		return ofl_oxm_spec_of(field) != NULL ? ofl_oxm_spec_of(field)->name : "?";
	return in_match ? field_names[field].match : field_names[field].set;
}

static const struct {
	uint32_t port;
	const char *name;
} port_names[] = {
	{OFPP_IN_PORT, "IN_PORT"}, {OFPP_TABLE, "TABLE"}, {OFPP_NORMAL, "NORMAL"},
	{OFPP_FLOOD, "FLOOD"},	   {OFPP_ALL, "ALL"},	  {OFPP_CONTROLLER, "CONTROLLER"},
	{OFPP_LOCAL, "LOCAL"},	   {OFPP_ANY, "ANY"},
};

int
ofl_syntax_print_port(uint32_t port, char *buf, size_t size)
{
	for (size_t i = 0; i < sizeof(port_names) / sizeof(port_names[0]); i++)
		if (port_names[i].port == port)
			return snprintf(buf, size, "%s", port_names[i].name);
	return snprintf(buf, size, "%" PRIu32, port);
}

static uint64_t
get_be(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v = v << 8 | p[i];
	return v;
}

/* The prefix length of a contiguous mask, or -1. */
static int
prefix_len(const uint8_t *mask, unsigned len)
{
	unsigned n = 0;
	bool ended = false;

	for (unsigned i = 0; i < len * 8; i++) {
		bool bit = mask[i / 8] & (0x80u >> (i % 8));

		if (bit && ended)
			return -1;
		if (!bit)
			ended = true;
		else
			n++;
	}
	return (int)n;
}

static void
pr_mac(struct pbuf *b, const uint8_t *m)
{
	pr(b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void
pr_ip(struct pbuf *b, int af, const uint8_t *a)
{
	char s[INET6_ADDRSTRLEN];

	pr(b, "%s", inet_ntop(af, a, s, sizeof(s)) != NULL ? s : "?");
}

int
syn_print_value(const struct ofl_oxm *o, enum syn_fmt fmt, bool with_mask, char *buf, size_t size)
{
	struct pbuf b;
	bool mask = with_mask && o->has_mask;
	uint64_t v = get_be(o->value, o->len < 8 ? o->len : 8);
	int af = fmt == SF_IPV4 ? AF_INET : AF_INET6;
	int plen;

	pbuf_init(&b, buf, size);
	switch (fmt) {
	case SF_MAC:
		pr_mac(&b, o->value);
		if (mask) {
			pr(&b, "/");
			pr_mac(&b, o->mask);
		}
		break;
	case SF_IPV4:
	case SF_IPV6:
		pr_ip(&b, af, o->value);
		if (!mask)
			break;
		plen = prefix_len(o->mask, o->len);
		if (plen >= 0) {
			pr(&b, "/%d", plen);
		} else {
			pr(&b, "/");
			pr_ip(&b, af, o->mask);
		}
		break;
	case SF_PORT:
		b.len = (size_t)ofl_syntax_print_port((uint32_t)v, buf, size);
		break;
	case SF_HEX:
		pr(&b, "0x%0*" PRIx64, o->field == OFPXMT_OFB_METADATA ? 1 : 2 * o->len, v);
		if (mask)
			pr(&b, "/0x%0*" PRIx64, o->field == OFPXMT_OFB_METADATA ? 1 : 2 * o->len,
			   get_be(o->mask, o->len < 8 ? o->len : 8));
		break;
	default: /* SF_DEC; the others do not print (dl_vlan, nw_tos are aliases) */
		if (mask)
			pr(&b, "0x%" PRIx64 "/0x%" PRIx64, v, get_be(o->mask, o->len));
		else
			pr(&b, "%" PRIu64, v);
		break;
	}
	return (int)b.len;
}

/* ---- matches ---- */

static const struct ofl_oxm *
exact(const struct ofl_match *m, uint8_t field)
{
	const struct ofl_oxm *o = ofl_match_find(m, field);

	return o != NULL && !o->has_mask ? o : NULL;
}

/* "tcp", "icmp6", "arp" ...: consumes dl_type (and nw_proto). */
static const char *
shorthand(const struct ofl_match *m, bool *proto_used)
{
	const struct ofl_oxm *et = exact(m, OFPXMT_OFB_ETH_TYPE);
	const struct ofl_oxm *ip = exact(m, OFPXMT_OFB_IP_PROTO);
	uint16_t type = et != NULL ? (uint16_t)get_be(et->value, 2) : 0;
	bool v6 = type == 0x86dd;

	*proto_used = false;
	if (type == 0x0806)
		return "arp";
	if (type != 0x0800 && type != 0x86dd)
		return NULL;
	*proto_used = ip != NULL;
	switch (ip != NULL ? ip->value[0] : 0) {
	case 6:
		return v6 ? "tcp6" : "tcp";
	case 17:
		return v6 ? "udp6" : "udp";
	case 132:
		return v6 ? "sctp6" : "sctp";
	case 1:
		if (!v6)
			return "icmp";
		break;
	case 58:
		if (v6)
			return "icmp6";
		break;
	default:
		break;
	}
	*proto_used = false;
	return v6 ? "ipv6" : "ip";
}

static void
pr_field(struct pbuf *b, const struct ofl_oxm *o)
{
	char v[128];

	if (o->field == OFPXMT_OFB_VLAN_VID && !o->has_mask &&
	    (get_be(o->value, 2) & OFPVID_PRESENT)) {
		pr(b, "dl_vlan=%u", (unsigned)(get_be(o->value, 2) & 0x0fff));
		return;
	}
	syn_print_value(o, syn_fmt_of(o->field), true, v, sizeof(v));
	pr(b, "%s=%s", syn_print_name(o->field, true), v);
}

static void
pr_match(struct pbuf *b, const struct ofl_match *m)
{
	bool proto_used, first = true;
	const char *sh = shorthand(m, &proto_used);

	if (sh != NULL) {
		pr(b, "%s", sh);
		first = false;
	}
	for (unsigned f = 0; f < OFPXMT_OFB__MAX; f++) {
		const struct ofl_oxm *o = ofl_match_find(m, (uint8_t)f);

		if (o == NULL || (sh != NULL && f == OFPXMT_OFB_ETH_TYPE) ||
		    (proto_used && f == OFPXMT_OFB_IP_PROTO))
			continue;
		pr(b, "%s", first ? "" : ",");
		pr_field(b, o);
		first = false;
	}
}

int
ofl_syntax_print_match(const struct ofl_match *m, char *buf, size_t size)
{
	struct pbuf b;

	pbuf_init(&b, buf, size);
	pr_match(&b, m);
	return (int)b.len;
}

/* ---- actions ---- */

static void
pr_action(struct pbuf *b, const struct ofl_action *a)
{
	char v[128];

	switch (a->type) {
	case OFPAT_OUTPUT:
		if (a->output.port == OFPP_CONTROLLER) {
			pr(b, "CONTROLLER:%u", a->output.max_len);
		} else if (a->output.port > OFPP_MAX) {
			ofl_syntax_print_port(a->output.port, v, sizeof(v));
			pr(b, "%s", v);
		} else {
			pr(b, "output:%" PRIu32, a->output.port);
		}
		break;
	case OFPAT_SET_FIELD: {
		struct ofl_oxm o = a->set_field;
		enum syn_fmt fmt = syn_fmt_of(o.field);

		syn_print_value(&o, fmt == SF_HEX ? SF_DEC : fmt, false, v, sizeof(v));
		pr(b, "set_field:%s->%s", v, syn_print_name(o.field, false));
		break;
	}
	case OFPAT_PUSH_VLAN:
		pr(b, "push_vlan:0x%04x", a->ethertype);
		break;
	case OFPAT_POP_VLAN:
		pr(b, "pop_vlan");
		break;
	case OFPAT_DEC_NW_TTL:
		pr(b, "dec_ttl");
		break;
	case OFPAT_SET_NW_TTL:
		pr(b, "mod_nw_ttl:%u", a->ttl);
		break;
	case OFPAT_SET_QUEUE:
		pr(b, "set_queue:%" PRIu32, a->queue_id);
		break;
	case OFPAT_GROUP:
		pr(b, "group:%" PRIu32, a->group_id);
		break;
	case OFPAT_COPY_TTL_OUT:
		pr(b, "copy_ttl_out");
		break;
	case OFPAT_COPY_TTL_IN:
		pr(b, "copy_ttl_in");
		break;
	default: /* MPLS, PBB: decoded, never accepted */
		pr(b, "action_type_%u", a->type);
		break;
	}
}

int
ofl_syntax_print_action(const struct ofl_action *a, char *buf, size_t size)
{
	struct pbuf b;

	pbuf_init(&b, buf, size);
	pr_action(&b, a);
	return (int)b.len;
}

static void
pr_actions(struct pbuf *b, const struct ofl_actions *acts)
{
	for (unsigned i = 0; i < acts->n && i < OFL_MAX_ACTIONS; i++) {
		pr(b, "%s", i > 0 ? "," : "");
		pr_action(b, &acts->a[i]);
	}
}

int
ofl_syntax_print_actions(const struct ofl_actions *acts, char *buf, size_t size)
{
	struct pbuf b;

	pbuf_init(&b, buf, size);
	if (acts->n == 0)
		pr(&b, "drop");
	pr_actions(&b, acts);
	return (int)b.len;
}

/* In the §5.9 order, whatever the order they came in. */
static void
pr_instructions(struct pbuf *b, const struct ofl_instructions *ins)
{
	size_t start = b->len;
	const char *sep = "";

	if (ofl_instructions_has(ins, OFPIT_METER)) {
		pr(b, "meter:%" PRIu32, ins->meter_id);
		sep = ",";
	}
	if (ofl_instructions_has(ins, OFPIT_APPLY_ACTIONS) && ins->apply.n > 0) {
		pr(b, "%s", sep);
		pr_actions(b, &ins->apply);
		sep = ",";
	}
	if (ofl_instructions_has(ins, OFPIT_CLEAR_ACTIONS)) {
		pr(b, "%sclear_actions", sep);
		sep = ",";
	}
	if (ofl_instructions_has(ins, OFPIT_WRITE_ACTIONS)) {
		pr(b, "%swrite_actions(", sep);
		pr_actions(b, &ins->write);
		pr(b, ")");
		sep = ",";
	}
	if (ofl_instructions_has(ins, OFPIT_WRITE_METADATA)) {
		pr(b, "%swrite_metadata:0x%" PRIx64, sep, ins->metadata);
		if (ins->metadata_mask != UINT64_MAX)
			pr(b, "/0x%" PRIx64, ins->metadata_mask);
		sep = ",";
	}
	if (ofl_instructions_has(ins, OFPIT_GOTO_TABLE))
		pr(b, "%sgoto_table:%u", sep, ins->goto_table);
	if (b->len == start)
		pr(b, "drop");
}

int
ofl_syntax_print_instructions(const struct ofl_instructions *ins, char *buf, size_t size)
{
	struct pbuf b;

	pbuf_init(&b, buf, size);
	pr_instructions(&b, ins);
	return (int)b.len;
}

/* ---- flows ---- */

static const struct {
	uint16_t flag;
	const char *name;
} flag_names[] = {
	{OFPFF_SEND_FLOW_REM, "send_flow_rem"},	 {OFPFF_CHECK_OVERLAP, "check_overlap"},
	{OFPFF_RESET_COUNTS, "reset_counts"},	 {OFPFF_NO_PKT_COUNTS, "no_packet_counts"},
	{OFPFF_NO_BYT_COUNTS, "no_byte_counts"},
};

int
ofl_syntax_print_flow(const struct ofl_flow_mod *fm, char *buf, size_t size)
{
	bool del = fm->command == OFPFC_DELETE || fm->command == OFPFC_DELETE_STRICT;
	char port[32];
	struct pbuf b;

	pbuf_init(&b, buf, size);
	if (fm->table_id == OFPTT_ALL)
		pr(&b, "table=all");
	else
		pr(&b, "table=%u", fm->table_id);
	pr(&b, ",priority=%u", fm->priority);
	if (fm->cookie_mask != 0 && fm->cookie_mask != UINT64_MAX)
		pr(&b, ",cookie=0x%" PRIx64 "/0x%" PRIx64, fm->cookie, fm->cookie_mask);
	else if (fm->cookie != 0 || fm->cookie_mask != 0)
		pr(&b, ",cookie=0x%" PRIx64, fm->cookie);
	if (fm->idle_timeout != 0)
		pr(&b, ",idle_timeout=%u", fm->idle_timeout);
	if (fm->hard_timeout != 0)
		pr(&b, ",hard_timeout=%u", fm->hard_timeout);
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (fm->flags & flag_names[i].flag)
			pr(&b, ",%s", flag_names[i].name);
	if (del && fm->out_port != OFPP_ANY) {
		ofl_syntax_print_port(fm->out_port, port, sizeof(port));
		pr(&b, ",out_port=%s", port);
	}
	if (del && fm->out_group != OFPG_ANY)
		pr(&b, ",out_group=%" PRIu32, fm->out_group);
	if (fm->match.n > 0) {
		pr(&b, ",");
		pr_match(&b, &fm->match);
	}
	if (!del) {
		pr(&b, ",actions=");
		pr_instructions(&b, &fm->ins);
	}
	return (int)b.len;
}
