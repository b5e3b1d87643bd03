/* iovsd's OpenFlow flow commands (ctl_flow.c): flow.add, flow.mod, flow.del,
 * flow.dump and ofl.trace, rows of ctl_cmds.c's command table. They hand the
 * text to the OpenFlow agent (openflow/ofl_agent.h "Flows from the command
 * line"), which parses and applies it as a controller's FLOW_MOD. */
#ifndef IOVSD_CTL_FLOW_H
#define IOVSD_CTL_FLOW_H

#include <jansson.h>

#include "iovs_err.h"

struct iovsd;

/* The keys each command takes. */
extern const char *const iovsd_flow_add_args[];
extern const char *const iovsd_flow_mod_args[];
extern const char *const iovsd_flow_del_args[];
extern const char *const iovsd_flow_dump_args[];
extern const char *const iovsd_ofl_trace_args[];

int iovsd_cmd_flow_add(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err);
int iovsd_cmd_flow_mod(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err);
int iovsd_cmd_flow_del(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err);
int iovsd_cmd_flow_dump(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err);
int iovsd_cmd_ofl_trace(struct iovsd *d, const json_t *args, json_t **result, struct iovs_err *err);

#endif
