/* Flows as text, for humans (iovsctl flow add/mod/del/dump, ofl trace): the
 * syntax of ovs-ofctl's flows, parsed into the codec's own host structs and
 * printed back from them.
 *
 * Design. A flow is "key=value" words separated by commas or blanks, in any
 * order but "actions=", which comes last and takes the rest:
 *
 *     table=0,priority=10,cookie=0x5,idle_timeout=30,ip,nw_dst=10.0.0.0/8,actions=output:2
 *
 * The parser fills a 'struct ofl_msg' of type FLOW_MOD exactly as ofl_decode()
 * would for the same flow sent by a controller, then runs the codec's own
 * validation (ofl_flow_mod_validate: masks, values, prerequisites, actions
 * against the match, instruction rules), so the CLI and OpenFlow share one
 * path and one set of rules. Every refusal names the word at fault and why
 * ("nw_dst=10.0.0.300: not an IPv4 address"; "tp_dst=53: needs tcp, udp or
 * sctp (or nw_proto=)"). The printer writes a flow back in the same syntax:
 * parse(print(fm)) == fm for every flow the parser accepts.
 *
 * Names (the ovs-fields(7) spellings, and the OXM ones): in_port, metadata,
 * dl_src/eth_src, dl_dst/eth_dst, dl_type/eth_type, dl_vlan (12-bit VID;
 * 0xffff: no tag), vlan_vid (the OXM value with OFPVID_PRESENT 0x1000),
 * dl_vlan_pcp/vlan_pcp, ip_dscp, nw_tos (the TOS byte: DSCP << 2),
 * ip_ecn/nw_ecn, nw_proto/ip_proto, nw_src/nw_dst (ipv4_src/dst; arp_spa/tpa
 * after arp), ipv6_src/ipv6_dst, tp_src/tp_dst (tcp_, udp_ or sctp_ by the
 * protocol; the OXM names too), icmp_type/icmp_code (v4 or v6 by the
 * protocol; icmpv4_type... too), arp_op, arp_spa, arp_tpa, arp_sha, arp_tha,
 * nd_target, nd_sll, nd_tll; shorthands ip, ipv6, arp, tcp, udp, sctp, icmp,
 * icmp6, tcp6, udp6, sctp6. Masks: V/M on maskable fields, /N prefixes on IP
 * addresses. Flow keywords: table, priority, cookie (V or V/M), idle_timeout,
 * hard_timeout, out_port, out_group, send_flow_rem, check_overlap,
 * reset_counts, no_packet_counts, no_byte_counts.
 *
 * Actions: output:PORT (or a bare port number), in_port, normal, flood, all,
 * controller[:MAX_LEN], local, table, drop (alone), push_vlan:TPID, pop_vlan
 * (strip_vlan), mod_vlan_vid:VID (push_vlan:0x8100 first unless the flow has a
 * tag), mod_vlan_pcp:PCP, set_field:V->FIELD, mod_dl_src/dst, mod_nw_src/dst,
 * mod_tp_src/dst, dec_ttl, mod_nw_ttl:N, set_queue:N, group:N; instructions
 * meter:N, clear_actions, write_actions(ACTIONS), write_metadata:V[/M],
 * goto_table:N, in that order after the apply actions (1.3.5 §5.9).
 *
 * Everything here is pure (no I/O, no globals, no allocation): fuzzed by
 * tests/fuzz/fuzz_ofl_syntax.c. Thread-safe.
 */
#ifndef OFL_SYNTAX_H
#define OFL_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iovs_err.h"
#include "ofl_msg.h"

/* Longest text accepted, and a buffer that always holds a printed flow. */
#define OFL_SYNTAX_MAX_TEXT 8192u
#define OFL_SYNTAX_MAX_WORD 4096u
#define OFL_SYNTAX_BUF	    16384u

/* What a text is for: which keywords it may use and what it must have. */
enum ofl_syntax_use {
	OFL_SYNTAX_ADD,	   /* a flow: match and actions= (required); table 0, priority 32768 */
	OFL_SYNTAX_MODIFY, /* as ADD; cookie=V[/M] selects flows (table 0 unless given) */
	OFL_SYNTAX_DELETE, /* a match, table (default: all), cookie=V[/M], out_port, out_group,
			    * priority (for strict); no actions */
	OFL_SYNTAX_FILTER, /* what a dump selects: as DELETE without priority */
	OFL_SYNTAX_PACKET, /* a packet for a trace: match fields only, no masks, in_port required */
};

/* Parses 'text' (a NUL-terminated string) for 'use' into 'out': a FLOW_MOD,
 * version 1.3, command ADD, MODIFY[_STRICT] or DELETE[_STRICT] ('strict'),
 * buffer_id NO_BUFFER, out_port/out_group ANY unless given; PACKET and
 * FILTER texts come back as DELETE. Validated as ofl_decode() validates a
 * FLOW_MOD (PACKET: its match). Returns 0, or -EINVAL with 'err' naming the
 * word at fault (-E2BIG for a text over OFL_SYNTAX_MAX_TEXT). */
int ofl_syntax_parse(const char *text, enum ofl_syntax_use use, bool strict, struct ofl_msg *out,
		     struct iovs_err *err);

/* Printers: snprintf-like (write at most 'size' bytes, always terminated
 * when size > 0; return the length the whole text needs). Nothing they print
 * is longer than OFL_SYNTAX_BUF. */

/* The match: "ip,nw_dst=10.0.0.0/8" (shorthands where the fields allow),
 * "" for a match of everything. */
int ofl_syntax_print_match(const struct ofl_match *m, char *buf, size_t size);
/* The instructions as an action list: "meter:1,output:2,goto_table:3";
 * "drop" when there is none. */
int ofl_syntax_print_instructions(const struct ofl_instructions *ins, char *buf, size_t size);
/* One action list (apply actions, a bucket, an action set): "push_vlan:0x8100,output:2";
 * "drop" when empty. */
int ofl_syntax_print_actions(const struct ofl_actions *acts, char *buf, size_t size);
/* One action, as in a list. */
int ofl_syntax_print_action(const struct ofl_action *a, char *buf, size_t size);
/* A whole FLOW_MOD that parses back to itself for 'use' ADD (or DELETE for
 * delete commands): "table=0,priority=10,cookie=0x5,...,ip,...,actions=...". */
int ofl_syntax_print_flow(const struct ofl_flow_mod *fm, char *buf, size_t size);
/* A port as the syntax writes it: "2", "LOCAL", "CONTROLLER". */
int ofl_syntax_print_port(uint32_t port, char *buf, size_t size);

#endif
