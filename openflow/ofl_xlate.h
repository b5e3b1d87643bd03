/* Translation between the codec's host structs (ofl_msg.h) and the
 * pipeline's (vswitch/flow_key.h, actions.h, pipeline.h): OXM matches ↔ flow
 * key + mask, OpenFlow actions and instructions ↔ struct vsw_act lists, the
 * pipeline's errors → enum ofl_err. Pure functions (no I/O, no globals), so the
 * agent's table handlers and the unit tests share them.
 *
 * Port numbers pass through unchanged: the pipeline numbers ports as OpenFlow
 * does (iovsd's persisted "ofport"), reserved ports keep their OFPP_* values. */
#ifndef OFL_XLATE_H
#define OFL_XLATE_H

#include <stdint.h>

#include "actions.h"
#include "flow_key.h"
#include "ofl_msg.h"
#include "pipeline.h"

/* An OXM match → key + mask (both zeroed first). Returns 0 or
 * -OFL_E_BMC_BAD_FIELD for a field the pipeline does not match. */
int ofl_xlate_match(const struct ofl_match *m, struct vsw_flow_key *key, struct vsw_flow_key *mask);

/* key + mask → an OXM match, fields in ascending OXM order (prerequisites
 * first); tp_* becomes tcp_/udp_/sctp_ by the key's ip_proto. */
void ofl_xlate_match_back(const struct vsw_flow_key *key, const struct vsw_flow_key *mask,
			  struct ofl_match *m);

/* An action list → vsw_act[] (room for OFL_MAX_ACTIONS). Returns the count or
 * a negative enum ofl_err (copy_ttl_in/out: BAD_ACTION/BAD_TYPE). */
int ofl_xlate_actions(const struct ofl_actions *in, struct vsw_act *out);

/* vsw_act[] (plain or compiled) → an action list. */
void ofl_xlate_actions_back(const struct vsw_act *acts, size_t n, uint32_t local_port,
			    struct ofl_actions *out);

/* vsw_act's transport-port set-fields are protocol-neutral and come back as
 * tcp_src/tcp_dst: renames them for the flow's (or packet's) 'ip_proto'
 * (17: udp_, 132: sctp_). */
void ofl_xlate_actions_proto(struct ofl_actions *acts, uint8_t ip_proto);

/* Instructions with their storage. */
struct ofl_xlate_insts {
	struct vsw_act_insts insts;
	struct vsw_act apply[OFL_MAX_ACTIONS], write[OFL_MAX_ACTIONS];
};
int ofl_xlate_insts(const struct ofl_instructions *in, struct ofl_xlate_insts *out);

/* A compiled program → instructions (canonical order: meter, apply, clear,
 * write, write_metadata, goto_table). */
void ofl_xlate_prog_back(const struct vsw_act_prog *prog, uint32_t local_port,
			 struct ofl_instructions *out);

/* A FLOW_MOD → a pipeline flow_mod whose insts point into 'store'. */
int ofl_xlate_flow_mod(const struct ofl_flow_mod *in, struct vsw_pl_flow_mod *out,
		       struct ofl_xlate_insts *store);

/* The pipeline's error as an OpenFlow error (negative enum ofl_err). */
int ofl_xlate_err(enum vsw_act_err e);

#endif
