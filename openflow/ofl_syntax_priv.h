/* Inside the flow syntax (ofl_syntax.h): the parse state shared by the
 * match and keyword parser (ofl_syntax.c) and the action parser
 * (ofl_syntax_act.c), the value parsers both use, and the field names the
 * printer (ofl_syntax_print.c) shares with them. */
#ifndef OFL_SYNTAX_PRIV_H
#define OFL_SYNTAX_PRIV_H

#include "ofl_priv.h"
#include "ofl_syntax.h"

#define SYN_MAX_WORDS 64 /* words before actions= */

/* How a field's value is written. */
enum syn_fmt {
	SF_DEC,	    /* an integer, decimal or 0x hex */
	SF_HEX,	    /* the same, printed in hex */
	SF_MAC,	    /* xx:xx:xx:xx:xx:xx */
	SF_IPV4,    /* a.b.c.d, masks /N or /a.b.c.d */
	SF_IPV6,    /* RFC 4291 text, masks /N or /ADDR */
	SF_PORT,    /* a port number or a reserved name */
	SF_DL_VLAN, /* a 12-bit VID (the tag is there), 0xffff: no tag */
	SF_TOS,	    /* the TOS byte: DSCP << 2 */
};

/* Names whose field depends on the protocol (resolved once every word is read). */
enum {
	SYN_NW_SRC = OFPXMT_OFB__MAX, /* ipv4_src, or arp_spa after arp */
	SYN_NW_DST,		      /* ipv4_dst, or arp_tpa */
	SYN_NW_PROTO,		      /* ip_proto, or arp_op */
	SYN_TP_SRC,		      /* tcp_src, udp_src or sctp_src */
	SYN_TP_DST,
	SYN_ICMP_TYPE, /* icmpv4_type or icmpv6_type */
	SYN_ICMP_CODE,
};

struct syn_name {
	const char *name;
	uint8_t field; /* OFPXMT_OFB_* or SYN_* */
	enum syn_fmt fmt;
	uint32_t max; /* largest value (integers); 0: the field's width */
};

/* The match-field row named 'name' (len bytes, any case), or NULL. */
const struct syn_name *syn_name_find(const char *name, size_t len);
/* The format of OXM 'field' (its first row). */
enum syn_fmt syn_fmt_of(uint8_t field);

/* A word of the text: "name=value" or "name", pointers into the caller's
 * writable copy; 'text' and 'len' quote the word as it was written. */
struct syn_word {
	char *name;
	char *val; /* NULL: no '=' */
	const char *text;
	size_t len;
};

/* Quote a word in a message: "%.*s" with these two. */
#define SYN_Q(w) (int)((w)->len > 60 ? 60 : (w)->len), (w)->text

struct syn {
	enum ofl_syntax_use use;
	struct ofl_flow_mod *fm;
	struct iovs_err *err;
	unsigned n_words;
	struct syn_word words[SYN_MAX_WORDS];
	struct syn_word actions; /* name "actions", val the list; name NULL: none */
	int eth_type, ip_proto;	 /* -1: not given */
	const struct syn_word *eth_type_word, *ip_proto_word;
	/* The word each match field came from (by OXM field). */
	const struct syn_word *field_word[OFPXMT_OFB__MAX];
	uint32_t seen; /* keywords and flags given (bits of ofl_syntax.c) */
};

/* Refusal naming word 'w': "WORD: why". Returns -EINVAL. */
int syn_fail(struct syn *s, const struct syn_word *w, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An unsigned integer, decimal or 0x hex, at most 'max'. Returns 0,
 * -EINVAL (not a number) or -ERANGE. */
int syn_uint(const char *str, uint64_t max, uint64_t *out);

/* The value (and mask, "V/M", when 'mask_ok') of OXM 'field' written as
 * 'fmt' in 'str' into 'o' (value & mask, as ovs-ofctl does; a full mask is no
 * mask; '*all' set when the mask is all zeros: the field matches anything).
 * Returns NULL or why the text is not such a value ('why' holds it). */
const char *syn_value(uint8_t field, enum syn_fmt fmt, uint32_t max, char *str, bool mask_ok,
		      struct ofl_oxm *o, bool *all, char why[96]);

/* A port: a number 1..0xffffff00 or a reserved name (in_port, table,
 * normal, flood, all, controller, local, any), any case. */
int syn_port(const char *str, uint32_t *port);

/* The OXM field of a protocol-dependent name (SYN_*) for the flow's
 * eth_type / ip_proto, or -1 with '*need' saying what is missing. */
int syn_resolve(const struct syn *s, uint8_t field, const char **need);

/* ofl_syntax_act.c: the text after actions= into fm->ins (the match is
 * complete). */
int syn_actions(struct syn *s);

/* ofl_syntax_print.c: how a field is printed in a match ('in_match') or a
 * set_field, and the names of reserved ports. */
const char *syn_print_name(uint8_t field, bool in_match);
int syn_print_value(const struct ofl_oxm *o, enum syn_fmt fmt, bool with_mask, char *buf,
		    size_t size);

#endif
