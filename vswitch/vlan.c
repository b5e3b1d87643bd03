/* VLAN membership rules of the learning bridge (vlan.h): which VLAN a frame
 * received on a port belongs to, and how (or whether) a frame of a VLAN leaves
 * a port. Pure functions of the port's struct vsw_vlan_conf; bridge.c applies
 * the verdicts to packets.
 *
 * One principle settles the cases vlan.h leaves open: a port sends a VLAN
 * exactly when it would accept frames of that VLAN (vlan_test.c checks it for
 * every VID). So VLAN 0 leaves a trunk untagged only when untagged frames are
 * accepted into VLAN 0 (no native VLAN, and 0 allowed), and never leaves a
 * trunk that has a native VLAN: tagged with VID 0 it would read as a priority
 * tag, i.e. the native VLAN, on the way back.
 */
#include "vlan.h"

#define VLAN_VID_PRIO 0	   /* IEEE 802.1Q-2018 Table 9-2: priority tag, no VLAN */
#define VLAN_VID_RSVD 4095 /* ibid.: reserved, never on the wire */

bool
vsw_vlan_trunk_allows(const struct vsw_vlan_conf *conf, uint16_t vid)
{
	if (vid >= VLAN_VID_RSVD)
		return false;
	return conf->trunks_all || (conf->trunks[vid / 64] >> (vid % 64)) & 1;
}

int
vsw_vlan_ingress(const struct vsw_vlan_conf *conf, bool tagged, uint16_t vid)
{
	if (tagged && vid >= VLAN_VID_RSVD)
		return -1;
	/* A priority tag carries no VLAN: the frame is treated as untagged. */
	if (tagged && vid == VLAN_VID_PRIO)
		tagged = false;

	if (conf->mode == VSW_VLAN_ACCESS) {
		/* The tag comes from the control plane, but a reserved one must
		 * not become a frame's VLAN. */
		if (conf->tag >= VLAN_VID_RSVD || (tagged && vid != conf->tag))
			return -1;
		return conf->tag;
	}
	if (conf->mode != VSW_VLAN_TRUNK)
		return -1;

	if (tagged)
		return vsw_vlan_trunk_allows(conf, vid) ? vid : -1;
	if (conf->native >= VLAN_VID_RSVD)
		return -1;
	if (conf->native != 0 || vsw_vlan_trunk_allows(conf, 0))
		return conf->native;
	return -1;
}

enum vsw_vlan_out
vsw_vlan_egress(const struct vsw_vlan_conf *conf, uint16_t vlan)
{
	if (vlan >= VLAN_VID_RSVD)
		return VSW_VLAN_OUT_NONE;

	if (conf->mode == VSW_VLAN_ACCESS)
		return vlan == conf->tag ? VSW_VLAN_OUT_UNTAGGED : VSW_VLAN_OUT_NONE;
	if (conf->mode != VSW_VLAN_TRUNK)
		return VSW_VLAN_OUT_NONE;

	if (conf->native != 0 && vlan == conf->native)
		return VSW_VLAN_OUT_UNTAGGED;
	if (vlan == 0) {
		if (conf->native == 0 && vsw_vlan_trunk_allows(conf, 0))
			return VSW_VLAN_OUT_UNTAGGED;
		return VSW_VLAN_OUT_NONE;
	}
	return vsw_vlan_trunk_allows(conf, vlan) ? VSW_VLAN_OUT_TAGGED : VSW_VLAN_OUT_NONE;
}
