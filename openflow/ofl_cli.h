/* Inside openflow/: what the command-line entry points of ofl_agent.h
 * ("Flows from the command line") share between ofl_cli.c (flow mod, dump)
 * and ofl_trace.c (trace). */
#ifndef OFL_CLI_H
#define OFL_CLI_H

#include "ofl_agent_priv.h"

struct vsw_pl_flow;

/* Locks the agent's mutex and finds datapath 'name' with a pipeline. On
 * success the mutex stays held (the caller unlocks it) and '*pl' is set; on
 * an error it is released and 'err' says why (-ENOENT, -ENODEV). */
int ofl_cli_lock_dp(struct ofl_agent *a, const char *name, struct dp **dp, struct vsw_pl **pl,
		    struct iovs_err *err);

/* A flow entry as OpenFlow structs: its match and instructions (transport
 * set-fields named by the match's protocol). */
void ofl_cli_flow_back(const struct vsw_pl_flow *f, struct ofl_match *m,
		       struct ofl_instructions *ins);

#endif
