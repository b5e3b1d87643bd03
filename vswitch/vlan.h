/* VLAN membership rules of the learning bridge: pure functions over a port's
 * struct vsw_vlan_conf (vsw.h). The packet edits (push/pop) live in bridge.c.
 *
 * access, tag T:   untagged or priority-tagged (VID 0) frames in → VLAN T;
 *                  frames tagged with another VID in → dropped;
 *                  VLAN T out → untagged; other VLANs are not sent.
 * trunk:           allowed(v) = trunks_all || v in trunks; untagged (or VID 0)
 *                  frames in → the native VLAN (0 when none), accepted when it is
 *                  the configured native VLAN or allowed; tagged VID v in → v if
 *                  allowed, else dropped; VID 4095 is always dropped;
 *                  out: the native VLAN (or VLAN 0 when there is no native VLAN)
 *                  goes untagged, other allowed VLANs tagged, the rest not at all.
 */
#ifndef VSW_VLAN_H
#define VSW_VLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "vsw.h"

enum vsw_vlan_out {
	VSW_VLAN_OUT_NONE, /* not a member: do not send */
	VSW_VLAN_OUT_UNTAGGED,
	VSW_VLAN_OUT_TAGGED,
};

bool vsw_vlan_trunk_allows(const struct vsw_vlan_conf *conf, uint16_t vid);
/* 'tagged' and 'vid' as on the wire. Returns the frame's VLAN 0..4094, or -1 to drop. */
int vsw_vlan_ingress(const struct vsw_vlan_conf *conf, bool tagged, uint16_t vid);
enum vsw_vlan_out vsw_vlan_egress(const struct vsw_vlan_conf *conf, uint16_t vlan);

#endif
