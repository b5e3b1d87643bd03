/* OpenFlow 1.3 actions and instructions, compiled into a flat program the
 * pipeline (pipeline.c) runs on DPDK mbufs.
 *
 * Design. The OpenFlow agent translates wire actions into host-side 'struct
 * vsw_act' values (ports as the pipeline numbers them, reserved ports with
 * their OpenFlow values, field values in host order as flow_key.h) and the
 * instructions into a 'struct vsw_act_insts'. vsw_act_compile() validates
 * them against the flow's match (pure; no packet, no DPDK) and copies them
 * into one 'struct vsw_act_prog' allocation: fixed-size ops, no pointer into
 * controller data, the instructions in their OpenFlow 1.3 §5.9 order (meter,
 * apply-actions, clear-actions, write-actions, write-metadata, goto-table).
 * A program is immutable once compiled; PMDs read it under RCU.
 *
 * Validation (→ the agent's OFPT_ERROR, the mapping is in enum vsw_act_err):
 * a set_field (or pop_vlan) whose prerequisites (OF 1.3 §7.2.3.8 table 12) the
 * match does not guarantee is MATCH_INCONSISTENT; the prerequisite state is
 * followed through the action list, so push_vlan then set_field vlan_vid is
 * consistent. Output to a port the bridge does not have, LOCAL without a local
 * port, TABLE outside a packet-out: BAD_OUT_PORT. goto_table backwards or past
 * the last table: BAD_TABLE_ID.
 *
 * Execution (vsw_act_modify): packet-modifying actions change the frame and
 * the key together, so the key is always what vsw_flow_key_extract() would
 * read from the frame (metadata and in_port kept): that is what later tables
 * match. set_field updates the key field directly; push_vlan, pop_vlan and
 * the ND link-layer options re-extract the key from the frame (their effect on
 * the key depends on bytes the key does not hold: a third tag, duplicate ND
 * options, and set_field of eth_type or ip_proto). Checksums are updated
 * incrementally (RFC 1624): IPv4 header, TCP/UDP with the IPv4 or IPv6
 * pseudo-header (a new ip_proto included), ICMPv4, ICMPv6 (pseudo-header,
 * ND target and options); a UDP checksum of 0 ("none") stays 0 (IPv4, and
 * IPv6 tunnels per RFC 6935); SCTP's CRC32c is recomputed over the packet.
 * A packet that still carries checksum offload work (offload.h) has a
 * pseudo-header sum in its L4 checksum field: only address changes update it,
 * in the non-complemented form. A set_field on a header the frame does not
 * carry (the key's 'parse' flags say so) does nothing: the frame is untrusted,
 * the match only made it likely. */
#ifndef VSW_ACTIONS_H
#define VSW_ACTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "flow_key.h"

/* Reserved ports, with their OpenFlow 1.3 values (ofp_port_no). */
#define VSW_ACT_PORT_MAX	0xffffff00u
#define VSW_ACT_PORT_IN_PORT	0xfffffff8u
#define VSW_ACT_PORT_TABLE	0xfffffff9u
#define VSW_ACT_PORT_NORMAL	0xfffffffau
#define VSW_ACT_PORT_FLOOD	0xfffffffbu
#define VSW_ACT_PORT_ALL	0xfffffffcu
#define VSW_ACT_PORT_CONTROLLER 0xfffffffdu
#define VSW_ACT_PORT_LOCAL	0xfffffffeu
#define VSW_ACT_PORT_ANY	0xffffffffu /* "none": no local port, no watch port */
#define VSW_ACT_GROUP_ANY	0xffffffffu
#define VSW_ACT_GROUP_MAX	0xffffff00u
#define VSW_ACT_NO_TABLE	0xff

enum vsw_act_type {
	VSW_ACT_OUTPUT = 1, /* port (a port number or a reserved port), max_len */
	VSW_ACT_SET_FIELD,  /* field, value */
	VSW_ACT_PUSH_VLAN,  /* u16: TPID 0x8100 or 0x88a8 */
	VSW_ACT_POP_VLAN,
	VSW_ACT_DEC_NW_TTL,
	VSW_ACT_SET_NW_TTL, /* u8 */
	VSW_ACT_SET_QUEUE,  /* u32 */
	VSW_ACT_GROUP,	    /* u32 */
	/* Only in compiled programs (vsw_act_compile turns OUTPUT to a reserved
	 * port into these; LOCAL becomes OUTPUT to the local port). */
	VSW_ACT_OUT_IN_PORT,
	VSW_ACT_OUT_NORMAL,
	VSW_ACT_OUT_FLOOD,
	VSW_ACT_OUT_ALL,
	VSW_ACT_OUT_CONTROLLER, /* max_len */
	VSW_ACT_OUT_TABLE,	/* packet-out only */
	VSW_ACT__MAX
};

/* Settable fields (OXM names). tp_* is tcp_, udp_ or sctp_ by the match's
 * ip_proto; vlan_vid is the 12-bit VID (OFPVID_PRESENT ignored). */
enum vsw_act_field {
	VSW_ACT_F_ETH_DST,
	VSW_ACT_F_ETH_SRC,
	VSW_ACT_F_VLAN_VID,
	VSW_ACT_F_VLAN_PCP,
	VSW_ACT_F_IP_DSCP,
	VSW_ACT_F_IP_ECN,
	VSW_ACT_F_IPV4_SRC,
	VSW_ACT_F_IPV4_DST,
	VSW_ACT_F_IPV6_SRC,
	VSW_ACT_F_IPV6_DST,
	VSW_ACT_F_TP_SRC,
	VSW_ACT_F_TP_DST,
	VSW_ACT_F_ICMPV4_TYPE,
	VSW_ACT_F_ICMPV4_CODE,
	VSW_ACT_F_ICMPV6_TYPE,
	VSW_ACT_F_ICMPV6_CODE,
	VSW_ACT_F_ARP_OP,
	VSW_ACT_F_ARP_SPA,
	VSW_ACT_F_ARP_TPA,
	VSW_ACT_F_ARP_SHA,
	VSW_ACT_F_ARP_THA,
	VSW_ACT_F_ND_TARGET,
	VSW_ACT_F_ND_SLL,
	VSW_ACT_F_ND_TLL,
	VSW_ACT_F_ETH_TYPE, /* the ethertype after the VLAN tags; the key is re-extracted */
	VSW_ACT_F_IP_PROTO, /* IPv4 protocol or IPv6 next header (none between) */
	VSW_ACT_F__MAX
};

/* One action: 24 bytes, no pointers. Integer values (u8/u16/u32 fields of
 * the key) go in 'u32', byte strings (MACs, IPv6 addresses) in 'bytes'. */
struct vsw_act {
	uint8_t type;  /* enum vsw_act_type */
	uint8_t field; /* enum vsw_act_field (SET_FIELD) */
	uint16_t u16;  /* PUSH_VLAN TPID, OUTPUT max_len (CONTROLLER) */
	uint32_t u32;  /* port, group, queue, TTL, integer field value */
	uint8_t bytes[16];
};
_Static_assert(sizeof(struct vsw_act) == 24, "an action is 24 bytes");

/* Instructions of a flow entry, as the agent decoded them. */
struct vsw_act_insts {
	uint32_t meter_id; /* 0: none */
	const struct vsw_act *apply;
	size_t n_apply;
	bool clear;
	const struct vsw_act *write; /* merged into the action set */
	size_t n_write;
	bool write_metadata;
	uint64_t metadata, metadata_mask;
	uint8_t goto_table; /* VSW_ACT_NO_TABLE: none */
};

#define VSW_ACT_P_CLEAR	   0x01
#define VSW_ACT_P_METADATA 0x02
#define VSW_ACT_P_GOTO	   0x04
#define VSW_ACT_P_OUTPUTS  0x08 /* apply or write has an output or group */

/* A compiled program: ops[0, n_apply) are the apply-actions,
 * ops[n_apply, n_apply + n_write) the write-actions (set order, §5.10). */
struct vsw_act_prog {
	uint32_t meter_id;
	uint16_t n_apply, n_write;
	uint8_t flags; /* VSW_ACT_P_* */
	uint8_t goto_table;
	uint64_t metadata, metadata_mask;
	struct vsw_act ops[];
};

/* Errors for the agent. Each maps to one OFPT_ERROR type/code (OF 1.3 §A.4.4). */
enum vsw_act_err {
	VSW_ACT_OK = 0,
	VSW_ACT_E_NOMEM,	      /* OFPET_FLOW_MOD_FAILED / OFPFMFC_UNKNOWN (or table full) */
	VSW_ACT_E_BAD_TYPE,	      /* OFPET_BAD_ACTION / OFPBAC_BAD_TYPE */
	VSW_ACT_E_BAD_OUT_PORT,	      /* OFPET_BAD_ACTION / OFPBAC_BAD_OUT_PORT */
	VSW_ACT_E_BAD_OUT_GROUP,      /* OFPET_BAD_ACTION / OFPBAC_BAD_OUT_GROUP */
	VSW_ACT_E_BAD_ARGUMENT,	      /* OFPET_BAD_ACTION / OFPBAC_BAD_ARGUMENT (TPID, TTL) */
	VSW_ACT_E_BAD_SET_TYPE,	      /* OFPET_BAD_ACTION / OFPBAC_BAD_SET_TYPE */
	VSW_ACT_E_BAD_SET_ARGUMENT,   /* OFPET_BAD_ACTION / OFPBAC_BAD_SET_ARGUMENT */
	VSW_ACT_E_MATCH_INCONSISTENT, /* OFPET_BAD_ACTION / OFPBAC_MATCH_INCONSISTENT */
	VSW_ACT_E_TOO_MANY,	      /* OFPET_BAD_ACTION / OFPBAC_TOO_MANY */
	VSW_ACT_E_BAD_TABLE_ID,	      /* OFPET_BAD_INSTRUCTION / OFPBIC_BAD_TABLE_ID */
	VSW_ACT_E_UNKNOWN_METER,      /* OFPET_METER_MOD_FAILED / OFPMMFC_UNKNOWN_METER */
	VSW_ACT_E_BAD_TABLE,	      /* OFPET_FLOW_MOD_FAILED / OFPFMFC_BAD_TABLE_ID */
	VSW_ACT_E_OVERLAP,	      /* OFPET_FLOW_MOD_FAILED / OFPFMFC_OVERLAP */
	VSW_ACT_E_BAD_COMMAND,	      /* OFPET_FLOW_MOD_FAILED / OFPFMFC_BAD_COMMAND */
	VSW_ACT_E_GROUP_EXISTS,	      /* OFPET_GROUP_MOD_FAILED / OFPGMFC_GROUP_EXISTS */
	VSW_ACT_E_UNKNOWN_GROUP,      /* OFPET_GROUP_MOD_FAILED / OFPGMFC_UNKNOWN_GROUP */
	VSW_ACT_E_INVALID_GROUP,      /* OFPET_GROUP_MOD_FAILED / OFPGMFC_INVALID_GROUP */
	VSW_ACT_E_BAD_GROUP_TYPE,     /* OFPET_GROUP_MOD_FAILED / OFPGMFC_BAD_TYPE */
	VSW_ACT_E_BAD_WATCH,	      /* OFPET_GROUP_MOD_FAILED / OFPGMFC_BAD_WATCH */
	VSW_ACT_E_GROUP_LOOP,	      /* OFPET_GROUP_MOD_FAILED / OFPGMFC_LOOP */
	VSW_ACT_E_METER_EXISTS,	      /* OFPET_METER_MOD_FAILED / OFPMMFC_METER_EXISTS */
	VSW_ACT_E_INVALID_METER,      /* OFPET_METER_MOD_FAILED / OFPMMFC_INVALID_METER */
	VSW_ACT_E_BAD_RATE,	      /* OFPET_METER_MOD_FAILED / OFPMMFC_BAD_RATE */
	VSW_ACT_E_BAD_BAND,	      /* OFPET_METER_MOD_FAILED / OFPMMFC_BAD_BAND */
	VSW_ACT_E_BAD_FLAGS,	      /* OFPET_METER_MOD_FAILED / OFPMMFC_BAD_FLAGS */
	VSW_ACT_E_NO_TXN,	      /* a writer call outside a transaction (caller bug) */
	VSW_ACT_E__MAX
};

const char *vsw_act_err_name(enum vsw_act_err err);

/* What validation checks against. */
struct vsw_act_env {
	/* The flow's match. NULL: prerequisites are not checked (group buckets,
	 * packet-out): the packet's headers decide at run time. */
	const struct vsw_flow_key *key, *mask;
	uint8_t table_id; /* the flow's table */
	uint8_t n_tables;
	bool packet_out;     /* TABLE allowed, goto/write/meter not */
	uint32_t local_port; /* VSW_ACT_PORT_ANY: no LOCAL port */
	/* NULL: every port / group / meter exists. */
	bool (*port_exists)(void *ctx, uint32_t port);
	bool (*group_exists)(void *ctx, uint32_t group);
	bool (*meter_exists)(void *ctx, uint32_t meter);
	void *ctx;
};

/* Validates 'insts' in 'env' and compiles them into '*out' (malloc'd; free()).
 * Pure. Returns VSW_ACT_OK or the first error found. */
enum vsw_act_err vsw_act_compile(const struct vsw_act_insts *insts, const struct vsw_act_env *env,
				 struct vsw_act_prog **out);

/* Validates one action list (apply-actions, a group bucket) in 'env'. */
enum vsw_act_err vsw_act_validate_list(const struct vsw_act *acts, size_t n,
				       const struct vsw_act_env *env);

/* Compiles a list (validated) into 'out' (room for 'n'): reserved outputs
 * become their own op types. */
void vsw_act_compile_list(const struct vsw_act *acts, size_t n, const struct vsw_act_env *env,
			  struct vsw_act *out);

/* True if 'prog' outputs to 'port' (OUTPUT only) or 'group' (either ANY: no
 * filter), for delete's out_port/out_group. */
bool vsw_act_prog_outputs_to(const struct vsw_act_prog *prog, uint32_t port, uint32_t group);
bool vsw_act_prog_uses_group(const struct vsw_act_prog *prog, uint32_t group);

/* ---- The action set (OF 1.3 §5.10): one action per type, one set_field per field. ---- */

struct vsw_act_set {
	uint32_t set_fields; /* bitmap of enum vsw_act_field */
	const struct vsw_act *pop_vlan, *push_vlan, *dec_ttl, *set_ttl, *queue, *group, *output;
	const struct vsw_act *field[VSW_ACT_F__MAX];
};

static inline void
vsw_act_set_clear(struct vsw_act_set *s)
{
	s->set_fields = 0;
	s->pop_vlan = s->push_vlan = s->dec_ttl = s->set_ttl = NULL;
	s->queue = s->group = s->output = NULL;
}

/* Merges write-actions into 's' (each replaces the action of its type). The
 * ops must outlive the set (they are the program's, under RCU). */
void vsw_act_set_write(struct vsw_act_set *s, const struct vsw_act *ops, size_t n);

/* The set in execution order (§5.10: pop, push, dec TTL, set (set_nw_ttl and
 * set_field), queue, then group or else output) into 'out' (room for
 * VSW_ACT_SET_MAX). Returns the count. */
#define VSW_ACT_SET_MAX (VSW_ACT_F__MAX + 7)
size_t vsw_act_set_list(const struct vsw_act_set *s, const struct vsw_act **out);

/* ---- Execution (fast path) ---- */

/* vsw_act_modify results. */
#define VSW_ACT_R_OK	      0
#define VSW_ACT_R_INVALID_TTL 1 /* dec_nw_ttl on TTL <= 1: the packet goes no further */
#define VSW_ACT_R_REPARSED    2 /* done; the key was re-extracted from the frame */

/* Scratch for re-extraction of a non-contiguous frame (one per PMD). */
struct vsw_act_scratch {
	uint8_t buf[65536];
};

/* Applies the packet-modifying action 'a' (SET_FIELD, PUSH_VLAN, POP_VLAN,
 * DEC_NW_TTL, SET_NW_TTL) to '*m' and 'key' (which describes *m). '*m' may be
 * replaced by a private copy from 'mp' when a segment is shared (the original
 * is freed). Returns VSW_ACT_R_*, or -ENOMEM (no copy, no headroom: '*m' is
 * unchanged and still the caller's). */
int vsw_act_modify(struct rte_mbuf **m, struct vsw_flow_key *key, const struct vsw_act *a,
		   struct rte_mempool *mp, struct vsw_act_scratch *scratch);

/* Re-extracts 'key' from 'm', keeping metadata and in_port. */
void vsw_act_key_refresh(const struct rte_mbuf *m, struct vsw_flow_key *key,
			 struct vsw_act_scratch *scratch);

#endif
