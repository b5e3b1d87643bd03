/* iovsd's configuration: the JSON file of bridges, ports and cores.
 *
 * One file is the single source of truth: iovsd reads it at start, and every
 * change made through the control socket is applied, then written back
 * atomically (temporary file, fsync, rename, fsync of the directory). A file that
 * does not parse or validate is refused with its path, the position (line:column
 * for syntax, a JSON path such as bridges[0].ports[1].queues for meaning) and the
 * problem — and is never overwritten.
 *
 * Parse (pure, fuzzable) → validate (cross-references) → apply (iovsd/main.c).
 * Format: docs/configuration.md.
 */
#ifndef IOVSD_CONFIG_H
#define IOVSD_CONFIG_H

#include <jansson.h>
#include <stdbool.h>

#include "iovs_err.h"
#include "ofl_agent.h"
#include "vsw.h"

#define IOVSD_CONF_VERSION 1
#define IOVSD_OFPORT_MAX   0xfeff /* OpenFlow port numbers iovs assigns: 1..65279 (as OVS) */

/* A bridge's OpenFlow settings: the "openflow" object of a bridge. Without it
 * the bridge is a plain learning bridge and no OpenFlow socket is opened. */
struct iovsd_of_conf {
	bool enabled;
	struct ofl_dp_conf dp; /* dp.name: the bridge's; dp.listen "" = no listener */
};

struct iovsd_conf {
	int control_core;     /* -1: the first CPU iovsd may use */
	unsigned n_pmd_cores; /* 0: every other CPU iovsd may use */
	unsigned pmd_cores[VSW_MAX_PMDS];
	unsigned n_bridges;
	struct vsw_bridge_conf bridges[VSW_MAX_BRIDGES];
	unsigned n_ports;
	struct vsw_port_conf ports[VSW_MAX_PORTS]; /* ports[i].bridge names its bridge */
	/* openflow[i] belongs to bridges[i]; ofport[i] is ports[i]'s OpenFlow port
	 * number (unique in its bridge, persisted, assigned at add when unset). */
	struct iovsd_of_conf openflow[VSW_MAX_BRIDGES];
	uint32_t ofport[VSW_MAX_PORTS];
};

/* The built-in default: bridge "br0" with one tap port "host0" (interface "iovs0"). */
void iovsd_conf_default(struct iovsd_conf *conf);

/* Parses and validates 'text'. Pure: no I/O. On error 'err' holds
 * "LINE:COL: problem" or "JSON.PATH: problem". */
int iovsd_conf_parse(const char *text, size_t len, struct iovsd_conf *conf, struct iovs_err *err);
/* Reads 'path'. Returns -ENOENT when the file does not exist (err says so),
 * otherwise errors are prefixed with the path. */
int iovsd_conf_load(const char *path, struct iovsd_conf *conf, struct iovs_err *err);
/* Writes 'conf' to 'path' atomically. */
int iovsd_conf_save(const char *path, const struct iovsd_conf *conf, struct iovs_err *err);

/* Cross-reference checks: unique bridge and port names, each port's bridge
 * exists, per-port and per-bridge checks, cores not repeated. */
int iovsd_conf_validate(const struct iovsd_conf *conf, struct iovs_err *err);

json_t *iovsd_conf_to_json(const struct iovsd_conf *conf);

/* One port or bridge object, shared with the control socket's "port.add".
 * 'where' prefixes error messages (a JSON path such as "bridges[0].ports[1]").
 * For a port, the bridge name is not part of the object: the caller sets it. */
int iovsd_port_conf_from_json(const json_t *obj, const char *where, struct vsw_port_conf *port,
			      struct iovs_err *err);
json_t *iovsd_port_conf_to_json(const struct vsw_port_conf *port);
int iovsd_bridge_conf_from_json(const json_t *obj, const char *where,
				struct vsw_bridge_conf *bridge, struct iovs_err *err);

/* Edits used by the control socket (after the switch accepted the change). */
const struct vsw_port_conf *iovsd_conf_find_port(const struct iovsd_conf *conf, const char *name);
const struct vsw_bridge_conf *iovsd_conf_find_bridge(const struct iovsd_conf *conf,
						     const char *name);
/* 'ofport' 0: the lowest number free in the port's bridge. -EEXIST also when
 * 'ofport' is taken in that bridge. */
int iovsd_conf_add_port(struct iovsd_conf *conf, const struct vsw_port_conf *port, uint32_t ofport);
int iovsd_conf_del_port(struct iovsd_conf *conf, const char *name);
/* Removes a bridge with its OpenFlow settings (not its ports: the caller
 * checks it has none). */
int iovsd_conf_del_bridge(struct iovsd_conf *conf, const char *name);
/* The OpenFlow port number of port 'name', 0 if there is no such port. */
uint32_t iovsd_conf_port_ofport(const struct iovsd_conf *conf, const char *name);
/* The "ofport" of a port object (0 when absent), 1..IOVSD_OFPORT_MAX. */
int iovsd_port_ofport_from_json(const json_t *obj, const char *where, uint32_t *ofport,
				struct iovs_err *err);
/* A bridge's "openflow" object; 'bridge' names the datapath. */
int iovsd_of_conf_from_json(const json_t *obj, const char *where, const char *bridge,
			    struct iovsd_of_conf *of, struct iovs_err *err);
json_t *iovsd_of_conf_to_json(const struct iovsd_of_conf *of);
/* The iovsd_of_conf of bridge 'name', or NULL. */
struct iovsd_of_conf *iovsd_conf_find_of(struct iovsd_conf *conf, const char *name);

#endif
