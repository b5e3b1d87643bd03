/* How iovsctl shows a reply's result to a human: one printer per view
 * (args.h), each turning the JSON shapes of docs/control-protocol.md into
 * tables (table.h). Missing keys print as "-", never fail. */
#ifndef IOVSCTL_VIEWS_H
#define IOVSCTL_VIEWS_H

#include <jansson.h>
#include <stdio.h>

#include "args.h"

/* Prints 'result' as 'view' asks, or as pretty JSON when 'json'. Returns 0 or -ENOMEM. */
int iovsctl_view_print(enum iovsctl_view view, bool json, const json_t *result, FILE *f);

/* views_flow.c: flow.dump and ofl.trace. */
int iovsctl_view_flows(const json_t *result, FILE *f);
int iovsctl_view_trace(const json_t *result, FILE *f);
/* views_vf.c */
int iovsctl_view_vfs(const json_t *result, FILE *f);
int iovsctl_view_vf_assign(const json_t *result, FILE *f);

#endif
