/* iovsctl's command line → one control request (docs/control-protocol.md).
 *
 * The translation is a pure function over argv: no I/O, no environment, no
 * getopt state, so args_test.c checks every verb's request and every usage
 * error. Verbs, their positional arguments and options are rows of one table
 * (args.c); the JSON key each of them fills is part of the row.
 */
#ifndef IOVSCTL_ARGS_H
#define IOVSCTL_ARGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "iovs_err.h"

/* How a verb's result is shown (views.c). */
enum iovsctl_view {
	IOVSCTL_VIEW_NONE,	 /* nothing on success */
	IOVSCTL_VIEW_SHOW,	 /* bridges with their ports, then PMDs */
	IOVSCTL_VIEW_BRIDGES,	 /* one line per bridge (from "show") */
	IOVSCTL_VIEW_PORTS,	 /* port.list */
	IOVSCTL_VIEW_PORT_STATS, /* port.stats */
	IOVSCTL_VIEW_PMDS,	 /* pmd.stats */
	IOVSCTL_VIEW_FDB,	 /* fdb.show */
	IOVSCTL_VIEW_CONTROLLER, /* controller.show */
	IOVSCTL_VIEW_FLOWS,	 /* flow.dump: one flow per line */
	IOVSCTL_VIEW_TRACE,	 /* ofl.trace: one step per line, then the verdict */
	IOVSCTL_VIEW_VFS,	 /* vf.list: PFs, each with its VFs */
	IOVSCTL_VIEW_VF_ASSIGN,	 /* vf.assign: the QEMU and libvirt lines for a VM */
	IOVSCTL_VIEW_JSON,	 /* the result as pretty JSON, even without --json */
	IOVSCTL_VIEW__MAX
};

struct iovsctl_verb;

struct iovsctl_cmdline {
	const char *run_dir; /* --run-dir DIR, or NULL */
	const char *socket;  /* --socket PATH, or NULL */
	bool json;	     /* --json: print the result object as JSON */
	bool help;	     /* -h/--help: print the usage to stdout, send nothing */
	/* The verb's group ("port") and the verb, as far as the command line got:
	 * they choose the usage text printed for --help or after an error. */
	const char *group;
	const struct iovsctl_verb *verb;
	enum iovsctl_view view;
	json_t *request; /* {"cmd", "args"?}, owned; NULL for --help or an error */
};

/* Translates argv[1..argc-1]. Returns 0 with cl->request set (or cl->help),
 * or -EINVAL with the reason in 'err' and no request. 'cl' borrows strings
 * from argv; free it with iovsctl_cmdline_fini() either way. */
int iovsctl_args_parse(int argc, char *const argv[], struct iovsctl_cmdline *cl,
		       struct iovs_err *err);
void iovsctl_cmdline_fini(struct iovsctl_cmdline *cl);

/* The usage for what 'cl' names: one verb, one group of verbs, or everything. */
void iovsctl_usage(FILE *f, const struct iovsctl_cmdline *cl);

#endif
