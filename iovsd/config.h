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
#include "sriov.h"
#include "vsw.h"

#define IOVSD_CONF_VERSION 1
#define IOVSD_OFPORT_MAX   0xfeff /* OpenFlow port numbers iovs assigns: 1..65279 (as OVS) */

/* A bridge's OpenFlow settings: the "openflow" object of a bridge. Without it
 * the bridge is a plain learning bridge and no OpenFlow socket is opened. */
struct iovsd_of_conf {
	bool enabled;
	struct ofl_dp_conf dp; /* dp.name: the bridge's; dp.listen "" = no listener */
};

/* SR-IOV: the desired state of a PF (its VF count) and of each VF iovs was
 * told to change (attributes, driver, use). The "sriov" array of the file,
 * reconciled at start (ctl_vf.c). Format: docs/configuration.md. */
#define IOVSD_MAX_PFS 16
#define IOVSD_MAX_VFS 256

enum iovsd_vf_use {
	IOVSD_VF_USE_NONE,
	IOVSD_VF_USE_DATAPLANE, /* bound to vfio-pci and an iovs "pci" port */
	IOVSD_VF_USE_VM,	/* bound to vfio-pci for a VM */
};

struct iovsd_pf_conf {
	struct sriov_addr addr;
	unsigned num_vfs;
	bool autoprobe; /* sriov_drivers_autoprobe while the VFs appear */
};

struct iovsd_vf_conf {
	struct sriov_addr pf;
	unsigned index;
	struct sriov_vf_attrs attrs; /* attrs.set: the attributes iovs sets */
	/* What the VF had before iovs first changed each attribute (original.set:
	 * the ones recorded); vf.release puts them back. */
	struct sriov_vf_attrs original;
	char driver[SRIOV_NAME_MAX]; /* "" : iovs does not bind it */
	char original_driver[SRIOV_NAME_MAX];
	enum iovsd_vf_use use;
	char port[VSW_NAME_MAX]; /* IOVSD_VF_USE_DATAPLANE: the port's name */
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
	unsigned n_pfs;
	struct iovsd_pf_conf pfs[IOVSD_MAX_PFS];
	unsigned n_vfs;
	struct iovsd_vf_conf vfs[IOVSD_MAX_VFS];
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
/* config_vf.c: the "sriov" array (parse and serialise), and its edits. */
int iovsd_sriov_conf_from_json(const json_t *arr, struct iovsd_conf *conf, struct iovs_err *err);
json_t *iovsd_sriov_conf_to_json(const struct iovsd_conf *conf);
struct iovsd_pf_conf *iovsd_conf_find_pf(struct iovsd_conf *conf, const struct sriov_addr *pf);
struct iovsd_vf_conf *iovsd_conf_find_vf(struct iovsd_conf *conf, const struct sriov_addr *pf,
					 unsigned index);
/* The VF's entry, created (empty) when missing. NULL when the table is full. */
struct iovsd_vf_conf *iovsd_conf_vf(struct iovsd_conf *conf, const struct sriov_addr *pf,
				    unsigned index);
/* Removes entries of 'pf' (index < 0: every VF of it) and, with 'pf_too', the PF. */
void iovsd_conf_forget_vfs(struct iovsd_conf *conf, const struct sriov_addr *pf, int index,
			   bool pf_too);
const char *iovsd_vf_use_name(enum iovsd_vf_use use);
/* The VF attribute keys of 'o' (mac, vlan, qos, vlan_proto, spoofchk, trust,
 * link_state, min_tx_rate, max_tx_rate); a->set tells which were present. */
int iovsd_vf_attrs_from_json(const json_t *o, const char *where, struct sriov_vf_attrs *a,
			     struct iovs_err *err);
int iovsd_vf_attrs_to_json(const struct sriov_vf_attrs *a, json_t *o);
/* A PF entry with num_vfs 0: iovs does not manage its VF count (the VFs were
 * made by someone else) but configures some of them. */
/* "PF:IDX" such as "0000:03:00.0:2". */
int iovsd_vf_ref_parse(const char *s, struct sriov_addr *pf, unsigned *index, struct iovs_err *err);

/* The iovsd_of_conf of bridge 'name', or NULL. */
struct iovsd_of_conf *iovsd_conf_find_of(struct iovsd_conf *conf, const char *name);

#endif
