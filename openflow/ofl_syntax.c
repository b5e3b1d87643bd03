/* The flow syntax's parser (ofl_syntax.h): the text cut into words, the flow
 * keywords and flags, the match fields (protocol-dependent names resolved
 * once every word is read, so the order of words does not matter), then the
 * codec's validation of the FLOW_MOD, each refusal naming its word. Actions
 * are ofl_syntax_act.c's, printing ofl_syntax_print.c's. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "iovs_hex.h"
#include "iovs_mac.h"
#include "ofl_syntax_priv.h"

/* ---- names ---- */

#define N(n, f, fmt, max)                                                                          \
	{                                                                                          \
		n, OFPXMT_OFB_##f, fmt, max                                                        \
	}
#define S(n, f, fmt, max)                                                                          \
	{                                                                                          \
		n, SYN_##f, fmt, max                                                               \
	}
/* The first row of each field gives its format. */
static const struct syn_name names[] = {
	N("in_port", IN_PORT, SF_PORT, 0),	  N("metadata", METADATA, SF_HEX, 0),
	N("dl_src", ETH_SRC, SF_MAC, 0),	  N("eth_src", ETH_SRC, SF_MAC, 0),
	N("dl_dst", ETH_DST, SF_MAC, 0),	  N("eth_dst", ETH_DST, SF_MAC, 0),
	N("dl_type", ETH_TYPE, SF_HEX, 0),	  N("eth_type", ETH_TYPE, SF_HEX, 0),
	N("vlan_vid", VLAN_VID, SF_HEX, 0x1fff),  N("dl_vlan", VLAN_VID, SF_DL_VLAN, 0),
	N("dl_vlan_pcp", VLAN_PCP, SF_DEC, 7),	  N("vlan_pcp", VLAN_PCP, SF_DEC, 7),
	N("ip_dscp", IP_DSCP, SF_DEC, 63),	  N("nw_tos", IP_DSCP, SF_TOS, 0),
	N("ip_ecn", IP_ECN, SF_DEC, 3),		  N("nw_ecn", IP_ECN, SF_DEC, 3),
	N("ip_proto", IP_PROTO, SF_DEC, 0),	  S("nw_proto", NW_PROTO, SF_DEC, 0),
	S("nw_src", NW_SRC, SF_IPV4, 0),	  S("nw_dst", NW_DST, SF_IPV4, 0),
	N("ip_src", IPV4_SRC, SF_IPV4, 0),	  N("ip_dst", IPV4_DST, SF_IPV4, 0),
	N("ipv4_src", IPV4_SRC, SF_IPV4, 0),	  N("ipv4_dst", IPV4_DST, SF_IPV4, 0),
	N("ipv6_src", IPV6_SRC, SF_IPV6, 0),	  N("ipv6_dst", IPV6_DST, SF_IPV6, 0),
	S("tp_src", TP_SRC, SF_DEC, 0),		  S("tp_dst", TP_DST, SF_DEC, 0),
	N("tcp_src", TCP_SRC, SF_DEC, 0),	  N("tcp_dst", TCP_DST, SF_DEC, 0),
	N("udp_src", UDP_SRC, SF_DEC, 0),	  N("udp_dst", UDP_DST, SF_DEC, 0),
	N("sctp_src", SCTP_SRC, SF_DEC, 0),	  N("sctp_dst", SCTP_DST, SF_DEC, 0),
	S("icmp_type", ICMP_TYPE, SF_DEC, 0),	  S("icmp_code", ICMP_CODE, SF_DEC, 0),
	N("icmpv4_type", ICMPV4_TYPE, SF_DEC, 0), N("icmpv4_code", ICMPV4_CODE, SF_DEC, 0),
	N("icmpv6_type", ICMPV6_TYPE, SF_DEC, 0), N("icmpv6_code", ICMPV6_CODE, SF_DEC, 0),
	N("arp_op", ARP_OP, SF_DEC, 0),		  N("arp_spa", ARP_SPA, SF_IPV4, 0),
	N("arp_tpa", ARP_TPA, SF_IPV4, 0),	  N("arp_sha", ARP_SHA, SF_MAC, 0),
	N("arp_tha", ARP_THA, SF_MAC, 0),	  N("nd_target", IPV6_ND_TARGET, SF_IPV6, 0),
	N("nd_sll", IPV6_ND_SLL, SF_MAC, 0),	  N("nd_tll", IPV6_ND_TLL, SF_MAC, 0),
};
#undef N
#undef S

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static bool
word_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

const struct syn_name *
syn_name_find(const char *name, size_t len)
{
	for (size_t i = 0; i < N_OF(names); i++)
		if (word_is(name, len, names[i].name))
			return &names[i];
	return NULL;
}

enum syn_fmt
syn_fmt_of(uint8_t field)
{
	for (size_t i = 0; i < N_OF(names); i++)
		if (names[i].field == field)
			return names[i].fmt;
	return SF_DEC;
}

struct syn_short {
	const char *name;
	uint16_t eth_type;
	int16_t ip_proto; /* -1: none */
};

static const struct syn_short shorts[] = {
	{"ip", 0x0800, -1},  {"ipv4", 0x0800, -1}, {"ipv6", 0x86dd, -1},   {"arp", 0x0806, -1},
	{"tcp", 0x0800, 6},  {"udp", 0x0800, 17},  {"sctp", 0x0800, 132},  {"icmp", 0x0800, 1},
	{"tcp6", 0x86dd, 6}, {"udp6", 0x86dd, 17}, {"sctp6", 0x86dd, 132}, {"icmp6", 0x86dd, 58},
};

/* Flow keywords and flags, and the uses that accept them. */
#define U(x) (1u << OFL_SYNTAX_##x)
enum kw_id {
	KW_TABLE,
	KW_PRIORITY,
	KW_COOKIE,
	KW_IDLE,
	KW_HARD,
	KW_OUT_PORT,
	KW_OUT_GROUP,
	KW_FLAG, /* the rows from here on are flags */
};
struct syn_kw {
	const char *name;
	enum kw_id id;
	uint16_t flag;
	unsigned uses;
	const char *form; /* for "needs a value" */
};
static const struct syn_kw keywords[] = {
	{"table", KW_TABLE, 0, U(ADD) | U(MODIFY) | U(DELETE) | U(FILTER), "table=N"},
	{"priority", KW_PRIORITY, 0, U(ADD) | U(MODIFY) | U(DELETE), "priority=0..65535"},
	{"cookie", KW_COOKIE, 0, U(ADD) | U(MODIFY) | U(DELETE) | U(FILTER), "cookie=V[/MASK]"},
	{"idle_timeout", KW_IDLE, 0, U(ADD) | U(MODIFY), "idle_timeout=SECONDS"},
	{"hard_timeout", KW_HARD, 0, U(ADD) | U(MODIFY), "hard_timeout=SECONDS"},
	{"out_port", KW_OUT_PORT, 0, U(DELETE) | U(FILTER), "out_port=PORT"},
	{"out_group", KW_OUT_GROUP, 0, U(DELETE) | U(FILTER), "out_group=GROUP"},
	{"send_flow_rem", KW_FLAG, OFPFF_SEND_FLOW_REM, U(ADD) | U(MODIFY), NULL},
	{"check_overlap", KW_FLAG, OFPFF_CHECK_OVERLAP, U(ADD) | U(MODIFY), NULL},
	{"reset_counts", KW_FLAG, OFPFF_RESET_COUNTS, U(ADD) | U(MODIFY), NULL},
	{"no_packet_counts", KW_FLAG, OFPFF_NO_PKT_COUNTS, U(ADD) | U(MODIFY), NULL},
	{"no_byte_counts", KW_FLAG, OFPFF_NO_BYT_COUNTS, U(ADD) | U(MODIFY), NULL},
};
#undef U

static const char *const use_names[] = {
	[OFL_SYNTAX_ADD] = "a flow to add",	  [OFL_SYNTAX_MODIFY] = "a flow to modify",
	[OFL_SYNTAX_DELETE] = "a flow to delete", [OFL_SYNTAX_FILTER] = "a dump filter",
	[OFL_SYNTAX_PACKET] = "a packet",
};

/* ---- values ---- */

int
syn_fail(struct syn *s, const struct syn_word *w, const char *fmt, ...)
{
	char why[IOVS_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (w == NULL)
		return iovs_errf(s->err, -EINVAL, "%s", why);
	return iovs_errf(s->err, -EINVAL, "%.*s: %s", SYN_Q(w), why);
}

int
syn_uint(const char *str, uint64_t max, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (str[0] == '0' && (str[1] == 'x' || str[1] == 'X')) {
		base = 16;
		str += 2;
	}
	if (*str == '\0')
		return -EINVAL;
	for (; *str != '\0'; str++) {
		int d = iovs_hex_digit(*str);

		if (d < 0 || (unsigned)d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return -ERANGE;
		v = v * base + (unsigned)d;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static const struct {
	const char *name;
	uint32_t port;
} reserved_ports[] = {
	{"in_port", OFPP_IN_PORT}, {"table", OFPP_TABLE}, {"normal", OFPP_NORMAL},
	{"flood", OFPP_FLOOD},	   {"all", OFPP_ALL},	  {"controller", OFPP_CONTROLLER},
	{"local", OFPP_LOCAL},	   {"any", OFPP_ANY},	  {"none", OFPP_ANY},
};

int
syn_port(const char *str, uint32_t *port)
{
	uint64_t v;

	for (size_t i = 0; i < N_OF(reserved_ports); i++)
		if (strcasecmp(str, reserved_ports[i].name) == 0) {
			*port = reserved_ports[i].port;
			return 0;
		}
	if (syn_uint(str, UINT32_MAX, &v) != 0)
		return -EINVAL;
	*port = (uint32_t)v;
	return 0;
}

/* "N" (a prefix length up to 'bits') or an address of 'af' → mask bytes. */
static bool
parse_ip_mask(int af, const char *str, unsigned bits, uint8_t *mask)
{
	uint64_t plen;

	if (strchr(str, af == AF_INET ? '.' : ':') != NULL)
		return inet_pton(af, str, mask) == 1;
	for (const char *p = str; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return false;
	if (syn_uint(str, bits, &plen) != 0)
		return false;
	memset(mask, 0, bits / 8);
	for (unsigned i = 0; i < plen; i++)
		mask[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	return true;
}

static void
put_be(uint8_t *dst, unsigned len, uint64_t v)
{
	for (int i = (int)len - 1; i >= 0; i--, v >>= 8)
		dst[i] = (uint8_t)v;
}

/* An integer value of 'len' bytes (at most 'max') into 'dst'. */
static const char *
int_value(const char *str, unsigned len, uint64_t max, uint8_t *dst, char why[96])
{
	uint64_t v;
	int rc = syn_uint(str, max, &v);

	if (rc == -ERANGE) {
		snprintf(why, 96, "out of range 0..%" PRIu64, max);
		return why;
	}
	if (rc != 0)
		return "not a number";
	put_be(dst, len, v);
	return NULL;
}

static uint64_t
width_max(unsigned len)
{
	return len >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * len)) - 1;
}

static const char *
one_value(enum syn_fmt fmt, uint32_t max, const char *str, struct ofl_oxm *o, char why[96])
{
	uint64_t v;
	uint32_t port;

	switch (fmt) {
	case SF_MAC:
		return iovs_mac_parse(str, o->value)
			       ? NULL
			       : "not an Ethernet address (xx:xx:xx:xx:xx:xx)";
	case SF_IPV4:
		return inet_pton(AF_INET, str, o->value) == 1 ? NULL : "not an IPv4 address";
	case SF_IPV6:
		return inet_pton(AF_INET6, str, o->value) == 1 ? NULL : "not an IPv6 address";
	case SF_PORT:
		if (syn_port(str, &port) != 0)
			return "not a port (a number, or in_port, local, controller ...)";
		put_be(o->value, 4, port);
		return NULL;
	case SF_DL_VLAN:
		if (syn_uint(str, 0xffff, &v) != 0 || (v > 4095 && v != 0xffff))
			return "not a VLAN id (0..4095, or 0xffff for no tag)";
		put_be(o->value, 2, v == 0xffff ? OFPVID_NONE : (v | OFPVID_PRESENT));
		return NULL;
	case SF_TOS:
		if (syn_uint(str, 255, &v) != 0)
			return "not a TOS byte (0..255)";
		if (v & 3)
			return "the TOS byte's ECN bits (0x3) must be 0: match them with ip_ecn";
		o->value[0] = (uint8_t)(v >> 2);
		return NULL;
	case SF_DEC:
	case SF_HEX:
		break;
	}
	return int_value(str, o->len, max ? max : width_max(o->len), o->value, why);
}

static const char *
mask_value(enum syn_fmt fmt, uint32_t max, const char *str, struct ofl_oxm *o, char why[96])
{
	const char *bad;

	switch (fmt) {
	case SF_MAC:
		return iovs_mac_parse(str, o->mask) ? NULL : "mask: not an Ethernet address";
	case SF_IPV4:
		return parse_ip_mask(AF_INET, str, 32, o->mask) ? NULL
								: "mask: not a prefix length "
								  "(0..32) or an IPv4 mask";
	case SF_IPV6:
		return parse_ip_mask(AF_INET6, str, 128, o->mask)
			       ? NULL
			       : "mask: not a prefix length (0..128) or an IPv6 mask";
	case SF_DEC:
	case SF_HEX:
		bad = int_value(str, o->len, max ? max : width_max(o->len), o->mask, why);
		if (bad == NULL)
			return NULL;
		snprintf(why, 96, "mask: %s", bad == why ? "out of range" : bad);
		return why;
	default:
		return "takes no mask";
	}
}

const char *
syn_value(uint8_t field, enum syn_fmt fmt, uint32_t max, char *str, bool mask_ok, struct ofl_oxm *o,
	  bool *all, char why[96])
{
	const struct ofl_oxm_spec *sp = ofl_oxm_spec_of(field);
	char *slash = strchr(str, '/');
	const char *bad;
	bool full = true, zero = true;

	memset(o, 0, sizeof(*o));
	*all = false;
	o->field = field;
	o->len = sp->len;
	if (slash != NULL &&
	    (!mask_ok || !sp->maskable || fmt == SF_DL_VLAN || fmt == SF_TOS || fmt == SF_PORT))
		return mask_ok ? "takes no mask" : "an exact value is needed here (no mask)";
	if (slash != NULL)
		*slash = '\0';
	bad = one_value(fmt, max, str, o, why);
	if (slash != NULL)
		*slash = '/';
	if (bad != NULL || slash == NULL)
		return bad;
	bad = mask_value(fmt, max, slash + 1, o, why);
	if (bad != NULL)
		return bad;
	for (unsigned i = 0; i < o->len; i++) {
		o->value[i] &= o->mask[i]; /* as ovs-ofctl: the mask wins */
		full = full && o->mask[i] == 0xff;
		zero = zero && o->mask[i] == 0;
	}
	/* VLAN_VID is 13 bits: 0x1fff is a full mask. */
	if (field == OFPXMT_OFB_VLAN_VID && o->mask[0] == 0x1f && o->mask[1] == 0xff)
		full = true;
	o->has_mask = !full;
	if (full)
		memset(o->mask, 0, sizeof(o->mask));
	*all = zero;
	return NULL;
}

int
syn_resolve(const struct syn *s, uint8_t field, const char **need)
{
	unsigned base;

	switch (field) {
	case SYN_NW_SRC:
		return s->eth_type == 0x0806 ? OFPXMT_OFB_ARP_SPA : OFPXMT_OFB_IPV4_SRC;
	case SYN_NW_DST:
		return s->eth_type == 0x0806 ? OFPXMT_OFB_ARP_TPA : OFPXMT_OFB_IPV4_DST;
	case SYN_NW_PROTO:
		return s->eth_type == 0x0806 ? OFPXMT_OFB_ARP_OP : OFPXMT_OFB_IP_PROTO;
	case SYN_TP_SRC:
	case SYN_TP_DST:
		base = s->ip_proto == 6	    ? OFPXMT_OFB_TCP_SRC
		       : s->ip_proto == 17  ? OFPXMT_OFB_UDP_SRC
		       : s->ip_proto == 132 ? OFPXMT_OFB_SCTP_SRC
					    : 0;
		*need = "tcp, udp or sctp (or nw_proto=6, 17 or 132)";
		return base == 0 ? -1 : (int)(base + (field == SYN_TP_DST));
	case SYN_ICMP_TYPE:
	case SYN_ICMP_CODE:
		base = s->ip_proto == 1	   ? OFPXMT_OFB_ICMPV4_TYPE
		       : s->ip_proto == 58 ? OFPXMT_OFB_ICMPV6_TYPE
					   : 0;
		*need = "icmp or icmp6 (or nw_proto=1 or 58)";
		return base == 0 ? -1 : (int)(base + (field == SYN_ICMP_CODE));
	default:
		return field;
	}
}

/* ---- words ---- */

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
check_text(struct syn *s, const char *text)
{
	size_t len = strnlen(text, OFL_SYNTAX_MAX_TEXT + 1);

	if (len > OFL_SYNTAX_MAX_TEXT)
		return iovs_errf(s->err, -E2BIG, "text longer than %u bytes", OFL_SYNTAX_MAX_TEXT);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if ((c < 0x20 || c > 0x7e) && !is_blank((char)c))
			return iovs_errf(s->err, -EINVAL, "byte 0x%02x at offset %zu: not text", c,
					 i);
	}
	return 0;
}

/* Cuts 'buf' (a copy of 'text') into words at commas and blanks outside
 * parentheses; "actions=" takes the rest. */
static int
split_words(struct syn *s, char *buf, const char *text)
{
	char *p = buf;

	for (;;) {
		struct syn_word *w;
		char *start, *eq;
		int depth = 0;

		while (*p == ',' || is_blank(*p))
			p++;
		if (*p == '\0')
			return 0;
		start = p;
		if (strncasecmp(p, "actions=", 8) == 0) {
			s->actions.text = text + (start - buf);
			s->actions.len = strlen(start);
			p[7] = '\0';
			s->actions.name = start;
			s->actions.val = p + 8;
			return 0;
		}
		while (*p != '\0' && (depth > 0 || (*p != ',' && !is_blank(*p)))) {
			depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
			p++;
		}
		if ((size_t)(p - start) > OFL_SYNTAX_MAX_WORD)
			return iovs_errf(s->err, -EINVAL, "%.40s...: a word longer than %u bytes",
					 start, OFL_SYNTAX_MAX_WORD);
		if (s->n_words == SYN_MAX_WORDS)
			return iovs_errf(s->err, -EINVAL,
					 "more than %u words before actions=", SYN_MAX_WORDS);
		w = &s->words[s->n_words++];
		w->text = text + (start - buf);
		w->len = (size_t)(p - start);
		if (*p != '\0')
			*p++ = '\0';
		w->name = start;
		eq = strchr(start, '=');
		w->val = eq != NULL ? eq + 1 : NULL;
		if (eq != NULL)
			*eq = '\0';
	}
}

/* ---- keywords, shorthands, eth_type and ip_proto ---- */

static const struct syn_short *
find_short(const char *name)
{
	for (size_t i = 0; i < N_OF(shorts); i++)
		if (strcasecmp(name, shorts[i].name) == 0)
			return &shorts[i];
	return NULL;
}

static const struct syn_kw *
find_kw(const char *name)
{
	for (size_t i = 0; i < N_OF(keywords); i++)
		if (strcasecmp(name, keywords[i].name) == 0)
			return &keywords[i];
	return NULL;
}

/* dl_type / ip_proto from a shorthand or a field word: equal values agree,
 * different ones conflict, the same field word twice is a duplicate. */
static int
set_proto(struct syn *s, const struct syn_word *w, bool is_eth, int v, bool explicit_word)
{
	int *cur = is_eth ? &s->eth_type : &s->ip_proto;
	const struct syn_word **from = is_eth ? &s->eth_type_word : &s->ip_proto_word;

	if (*cur >= 0 && *cur != v)
		return syn_fail(s, w, "conflicts with %.*s", SYN_Q(*from));
	if (*cur >= 0 && explicit_word && (*from)->val != NULL)
		return syn_fail(s, w, "%s given twice", is_eth ? "dl_type" : "nw_proto");
	if (*cur < 0 || explicit_word)
		*from = w;
	*cur = v;
	return 0;
}

/* cookie=V (a flow's), cookie=V/MASK (what mod, del, dump select; "/-1":
 * every bit, as ovs-ofctl writes it; V alone selects exactly V). */
static int
kw_cookie(struct syn *s, const struct syn_word *w)
{
	struct ofl_flow_mod *fm = s->fm;
	char *slash = strchr(w->val, '/');
	uint64_t v = 0, m = UINT64_MAX;
	int rc;

	if (slash != NULL && s->use == OFL_SYNTAX_ADD)
		return syn_fail(s, w, "a cookie mask selects flows: not for a flow to add");
	if (slash != NULL)
		*slash = '\0';
	rc = syn_uint(w->val, UINT64_MAX, &v);
	if (rc == 0 && slash != NULL && strcmp(slash + 1, "-1") != 0)
		rc = syn_uint(slash + 1, UINT64_MAX, &m);
	if (slash != NULL)
		*slash = '/';
	if (rc != 0)
		return syn_fail(s, w, "%s (cookie=V[/MASK], 64 bits)",
				rc == -ERANGE ? "out of range" : "not a number");
	fm->cookie = v & m;
	fm->cookie_mask = s->use == OFL_SYNTAX_ADD ? 0 : m;
	return 0;
}

static int
keyword(struct syn *s, const struct syn_word *w, const struct syn_kw *kw)
{
	struct ofl_flow_mod *fm = s->fm;
	uint32_t bit = 1u << (kw - keywords);
	uint64_t v = 0;
	int rc;

	if (!(kw->uses & (1u << s->use)))
		return syn_fail(s, w, "not for %s", use_names[s->use]);
	if (s->seen & bit)
		return syn_fail(s, w, "%s given twice", kw->name);
	s->seen |= bit;
	if (kw->id == KW_FLAG) {
		if (w->val != NULL)
			return syn_fail(s, w, "%s takes no value", kw->name);
		fm->flags |= kw->flag;
		return 0;
	}
	if (w->val == NULL || w->val[0] == '\0')
		return syn_fail(s, w, "needs a value: %s", kw->form);
	switch (kw->id) {
	case KW_TABLE:
		if ((s->use == OFL_SYNTAX_DELETE || s->use == OFL_SYNTAX_FILTER) &&
		    (strcasecmp(w->val, "all") == 0 || strcmp(w->val, "255") == 0)) {
			fm->table_id = OFPTT_ALL;
			return 0;
		}
		rc = syn_uint(w->val, OFPTT_MAX, &v);
		fm->table_id = (uint8_t)v;
		break;
	case KW_PRIORITY:
		rc = syn_uint(w->val, UINT16_MAX, &v);
		fm->priority = (uint16_t)v;
		break;
	case KW_IDLE:
	case KW_HARD:
		rc = syn_uint(w->val, UINT16_MAX, &v);
		*(kw->id == KW_IDLE ? &fm->idle_timeout : &fm->hard_timeout) = (uint16_t)v;
		break;
	case KW_COOKIE:
		return kw_cookie(s, w);
	case KW_OUT_PORT:
		rc = syn_port(w->val, &fm->out_port) == 0 ? 0 : -EINVAL;
		break;
	case KW_OUT_GROUP:
		if (strcasecmp(w->val, "any") == 0 || strcasecmp(w->val, "all") == 0) {
			fm->out_group = OFPG_ANY;
			return 0;
		}
		rc = syn_uint(w->val, OFPG_MAX, &v);
		fm->out_group = (uint32_t)v;
		break;
	default:
		rc = -EINVAL;
		break;
	}
	if (rc == -ERANGE)
		return syn_fail(s, w, "out of range (%s)", kw->form);
	return rc != 0 ? syn_fail(s, w, "not a number (%s)", kw->form) : 0;
}

/* dl_type=, eth_type=, ip_proto=: known before any field that depends on them. */
static int
proto_word(struct syn *s, const struct syn_word *w, const struct syn_name *nm)
{
	bool eth = nm->field == OFPXMT_OFB_ETH_TYPE;
	struct ofl_oxm o;
	const char *bad;
	char why[96];
	bool all;

	bad = syn_value(nm->field, nm->fmt, nm->max, w->val, false, &o, &all, why);
	if (bad != NULL)
		return syn_fail(s, w, "%s", bad);
	return set_proto(s, w, eth, eth ? o.value[0] << 8 | o.value[1] : o.value[0], true);
}

/* One word of pass 1: a shorthand, a keyword or flag, dl_type/ip_proto, or a
 * match field left for pass 2 in '*field'. */
static int
classify_word(struct syn *s, const struct syn_word *w, const struct syn_name **field)
{
	const struct syn_short *sh = find_short(w->name);
	const struct syn_kw *kw = sh == NULL ? find_kw(w->name) : NULL;
	const struct syn_name *nm;
	int rc;

	*field = NULL;
	if (sh != NULL) {
		if (w->val != NULL)
			return syn_fail(s, w, "%s takes no value", sh->name);
		rc = set_proto(s, w, true, sh->eth_type, false);
		if (rc == 0 && sh->ip_proto >= 0)
			rc = set_proto(s, w, false, sh->ip_proto, false);
		return rc;
	}
	if (kw != NULL) {
		if (s->use == OFL_SYNTAX_PACKET)
			return syn_fail(
				s, w,
				"a packet has fields only (in_port=, dl_src=, ip, nw_dst= ...)");
		return keyword(s, w, kw);
	}
	nm = syn_name_find(w->name, strlen(w->name));
	if (nm == NULL && strcasecmp(w->name, "actions") == 0)
		return syn_fail(s, w, "actions needs =LIST (actions=drop to drop)");
	if (nm == NULL)
		return syn_fail(s, w, "unknown %s", w->val ? "field or keyword" : "word");
	if (w->val == NULL || w->val[0] == '\0')
		return syn_fail(s, w, "%s needs a value", nm->name);
	if (nm->field == OFPXMT_OFB_ETH_TYPE || nm->field == OFPXMT_OFB_IP_PROTO)
		return proto_word(s, w, nm);
	*field = nm; /* pass 2 */
	return 0;
}

/* Pass 1: every word but the match fields that depend on the protocol; then
 * nw_proto, which is arp_op for ARP, now that dl_type is known. */
static int
classify(struct syn *s, const struct syn_name **fields)
{
	for (unsigned i = 0; i < s->n_words; i++) {
		int rc = classify_word(s, &s->words[i], &fields[i]);

		if (rc != 0)
			return rc;
	}
	for (unsigned i = 0; i < s->n_words; i++) {
		const struct syn_word *w = &s->words[i];
		uint64_t v;
		int rc;

		if (fields[i] == NULL || fields[i]->field != SYN_NW_PROTO || s->eth_type == 0x0806)
			continue;
		rc = syn_uint(w->val, 255, &v);
		if (rc != 0)
			return syn_fail(s, w, "%s",
					rc == -ERANGE ? "out of range 0..255" : "not a number");
		rc = set_proto(s, w, false, (int)v, true);
		if (rc != 0)
			return rc;
		fields[i] = NULL;
	}
	return 0;
}

static int
add_oxm(struct syn *s, const struct syn_word *w, const struct ofl_oxm *o, bool all)
{
	struct ofl_match *m = &s->fm->match;
	const struct syn_word *prev = s->field_word[o->field];

	if (prev != NULL && strcasecmp(prev->name, w->name) == 0)
		return syn_fail(s, w, "%s given twice", w->name);
	if (prev != NULL)
		return syn_fail(s, w, "the same field as %.*s", SYN_Q(prev));
	s->field_word[o->field] = w;
	if (!all) /* a zero mask matches anything: no field */
		m->f[m->n++] = *o;
	return 0;
}

/* Pass 2: the match fields, then dl_type and ip_proto, in OXM order. */
static int
build_match(struct syn *s, const struct syn_name *const *fields)
{
	struct ofl_match *m = &s->fm->match;
	bool mask_ok = s->use != OFL_SYNTAX_PACKET;
	struct ofl_oxm o;
	bool all;
	int rc;

	for (unsigned i = 0; i < s->n_words; i++) {
		const struct syn_word *w = &s->words[i];
		const char *need = NULL, *bad;
		char why[96];
		int f;

		if (fields[i] == NULL)
			continue;
		f = syn_resolve(s, fields[i]->field, &need);
		if (f < 0)
			return syn_fail(s, w, "needs %s", need);
		bad = syn_value((uint8_t)f, fields[i]->fmt, fields[i]->max, w->val, mask_ok, &o,
				&all, why);
		if (bad != NULL)
			return syn_fail(s, w, "%s", bad);
		rc = add_oxm(s, w, &o, all);
		if (rc != 0)
			return rc;
	}
	if (s->eth_type >= 0) {
		memset(&o, 0, sizeof(o));
		o.field = OFPXMT_OFB_ETH_TYPE;
		o.len = 2;
		put_be(o.value, 2, (uint64_t)s->eth_type);
		m->f[m->n++] = o;
		s->field_word[OFPXMT_OFB_ETH_TYPE] = s->eth_type_word;
	}
	if (s->ip_proto >= 0) {
		memset(&o, 0, sizeof(o));
		o.field = OFPXMT_OFB_IP_PROTO;
		o.len = 1;
		o.value[0] = (uint8_t)s->ip_proto;
		m->f[m->n++] = o;
		s->field_word[OFPXMT_OFB_IP_PROTO] = s->ip_proto_word;
	}
	/* One order whatever the order of the words: printing and comparing rely on it. */
	for (unsigned i = 1; i < m->n; i++)
		for (unsigned j = i; j > 0 && m->f[j - 1].field > m->f[j].field; j--) {
			o = m->f[j];
			m->f[j] = m->f[j - 1];
			m->f[j - 1] = o;
		}
	return 0;
}

static const char *
prereq_hint(uint8_t field)
{
	switch (field) {
	case OFPXMT_OFB_IP_DSCP:
	case OFPXMT_OFB_IP_ECN:
	case OFPXMT_OFB_IP_PROTO:
		return "ip or ipv6 (dl_type=0x0800 or 0x86dd)";
	case OFPXMT_OFB_IPV4_SRC:
	case OFPXMT_OFB_IPV4_DST:
		return "ip (dl_type=0x0800)";
	case OFPXMT_OFB_IPV6_SRC:
	case OFPXMT_OFB_IPV6_DST:
		return "ipv6 (dl_type=0x86dd)";
	case OFPXMT_OFB_TCP_SRC:
	case OFPXMT_OFB_TCP_DST:
		return "tcp or tcp6 (nw_proto=6)";
	case OFPXMT_OFB_UDP_SRC:
	case OFPXMT_OFB_UDP_DST:
		return "udp or udp6 (nw_proto=17)";
	case OFPXMT_OFB_SCTP_SRC:
	case OFPXMT_OFB_SCTP_DST:
		return "sctp or sctp6 (nw_proto=132)";
	case OFPXMT_OFB_ICMPV4_TYPE:
	case OFPXMT_OFB_ICMPV4_CODE:
		return "icmp (nw_proto=1 with ip)";
	case OFPXMT_OFB_ICMPV6_TYPE:
	case OFPXMT_OFB_ICMPV6_CODE:
		return "icmp6 (nw_proto=58 with ipv6)";
	case OFPXMT_OFB_ARP_OP:
	case OFPXMT_OFB_ARP_SPA:
	case OFPXMT_OFB_ARP_TPA:
	case OFPXMT_OFB_ARP_SHA:
	case OFPXMT_OFB_ARP_THA:
		return "arp (dl_type=0x0806)";
	case OFPXMT_OFB_IPV6_ND_TARGET:
		return "icmp6 with icmp_type=135 or 136";
	case OFPXMT_OFB_IPV6_ND_SLL:
		return "icmp6 with icmp_type=135";
	case OFPXMT_OFB_IPV6_ND_TLL:
		return "icmp6 with icmp_type=136";
	case OFPXMT_OFB_VLAN_PCP:
		return "a VLAN tag (dl_vlan=VID, or vlan_vid=0x1000/0x1000)";
	default:
		return "its prerequisite";
	}
}

/* The codec's checks, field by field, each refusal on its word. */
static int
check_match(struct syn *s)
{
	const struct ofl_match *m = &s->fm->match;

	for (unsigned i = 0; i < m->n; i++) {
		const struct syn_word *w = s->field_word[m->f[i].field];
		struct iovs_err e = {{0}};
		int rc = ofl_match_validate_field(m, i, &e);

		if (rc == -(int)OFL_E_BMC_BAD_PREREQ)
			return syn_fail(s, w, "needs %s", prereq_hint(m->f[i].field));
		if (rc == -(int)OFL_E_BMC_BAD_VALUE && m->f[i].field == OFPXMT_OFB_VLAN_VID)
			return syn_fail(s, w,
					"%s (vlan_vid is the OXM value: 0x1000|VID; or write "
					"dl_vlan=VID)",
					e.msg);
		if (rc != 0)
			return syn_fail(s, w, "%s", e.msg);
	}
	if (s->use == OFL_SYNTAX_PACKET && s->field_word[OFPXMT_OFB_IN_PORT] == NULL)
		return syn_fail(s, NULL, "a packet needs in_port=PORT");
	return 0;
}

static void
defaults(struct syn *s, bool strict, struct ofl_msg *out)
{
	struct ofl_flow_mod *fm = &out->flow_mod;
	bool del = s->use != OFL_SYNTAX_ADD && s->use != OFL_SYNTAX_MODIFY;

	memset(out, 0, offsetof(struct ofl_msg, flow_mod) + sizeof(*fm));
	out->h.version = OFP13_VERSION;
	out->h.type = OFPT_FLOW_MOD;
	fm->command = s->use == OFL_SYNTAX_ADD	    ? OFPFC_ADD
		      : s->use == OFL_SYNTAX_MODIFY ? (strict ? OFPFC_MODIFY_STRICT : OFPFC_MODIFY)
		      : s->use == OFL_SYNTAX_DELETE ? (strict ? OFPFC_DELETE_STRICT : OFPFC_DELETE)
						    : OFPFC_DELETE;
	fm->table_id = del ? OFPTT_ALL : 0;
	fm->priority = 0x8000; /* OFP_DEFAULT_PRIORITY, as ovs-ofctl */
	fm->buffer_id = OFP_NO_BUFFER;
	fm->out_port = OFPP_ANY;
	fm->out_group = OFPG_ANY;
	s->fm = fm;
	s->eth_type = s->ip_proto = -1;
}

int
ofl_syntax_parse(const char *text, enum ofl_syntax_use use, bool strict, struct ofl_msg *out,
		 struct iovs_err *err)
{
	struct syn s = {.use = use, .err = err};
	const struct syn_name *fields[SYN_MAX_WORDS];
	char buf[OFL_SYNTAX_MAX_TEXT + 1];
	struct iovs_err e = {{0}};
	int rc;

	if ((unsigned)use > OFL_SYNTAX_PACKET)
		return iovs_errf(err, -EINVAL, "unknown use %d", (int)use);
	defaults(&s, strict, out);
	rc = check_text(&s, text);
	if (rc != 0)
		return rc;
	snprintf(buf, sizeof(buf), "%s", text);
	rc = split_words(&s, buf, text);
	if (rc == 0)
		rc = classify(&s, fields);
	if (rc == 0)
		rc = build_match(&s, fields);
	if (rc == 0)
		rc = check_match(&s);
	if (rc != 0)
		return rc;
	if (s.actions.name != NULL && (use != OFL_SYNTAX_ADD && use != OFL_SYNTAX_MODIFY))
		return syn_fail(&s, &s.actions, "%s takes no actions", use_names[use]);
	if (s.actions.name == NULL && (use == OFL_SYNTAX_ADD || use == OFL_SYNTAX_MODIFY))
		return syn_fail(&s, NULL, "%s needs actions= (actions=drop to drop)",
				use_names[use]);
	if (s.actions.name != NULL) {
		rc = syn_actions(&s);
		if (rc != 0)
			return rc;
	}
	/* The codec's validation, as for a FLOW_MOD from a controller. */
	rc = use == OFL_SYNTAX_PACKET ? ofl_match_validate(&out->flow_mod.match, &e)
				      : ofl_flow_mod_validate(out, &e);
	if (rc != 0)
		return iovs_errf(err, -EINVAL, "%s (%s)", e.msg, ofl_err_name(rc));
	return 0;
}
