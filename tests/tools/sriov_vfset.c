/* sriov_vfset: sets VF attributes the way iovs does (sriov/sriov_nl.c's
 * builder, the real libmnl seam), with ip's syntax, for
 * tests/integration/sriov_nl.sh:
 *   sriov_vfset DEV VF [mac M] [vlan V [qos Q] [proto 802.1Q|802.1ad]]
 *               [spoofchk on|off] [trust on|off] [state auto|enable|disable]
 *               [min_tx_rate N] [max_tx_rate N]
 * One request with every attribute given. Exit 0 when the kernel accepts
 * it; otherwise the error on stderr and exit 1 (2 for bad arguments). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iovs_mac.h"
#include "sriov.h"

static int
usage(const char *why)
{
	fprintf(stderr, "sriov_vfset: %s\n", why);
	return 2;
}

static bool
on_off(const char *s, bool *out)
{
	*out = strcmp(s, "on") == 0;
	return *out || strcmp(s, "off") == 0;
}

int
main(int argc, char **argv)
{
	struct sriov_vf_attrs a = {0};
	struct iovs_err err = {""};
	uint8_t buf[1024];
	unsigned ifindex;
	size_t len;
	int rc;

	if (argc < 3)
		return usage("usage: sriov_vfset DEV VF [mac M] [vlan V [qos Q] [proto P]] ...");
	ifindex = if_nametoindex(argv[1]);
	if (ifindex == 0)
		return usage("no such device");
	for (int i = 3; i + 1 < argc + 1; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool b;

		if (v == NULL)
			return usage("an option without a value");
		if (strcmp(k, "mac") == 0 && iovs_mac_parse(v, a.mac)) {
			a.set |= SRIOV_VF_MAC;
		} else if (strcmp(k, "vlan") == 0) {
			a.vlan = (uint16_t)strtoul(v, NULL, 10);
			a.set |= SRIOV_VF_VLAN;
		} else if (strcmp(k, "qos") == 0) {
			a.qos = (uint8_t)strtoul(v, NULL, 10);
		} else if (strcmp(k, "proto") == 0) {
			a.vlan_proto = strcmp(v, "802.1ad") == 0 ? 0x88a8 : 0x8100;
		} else if (strcmp(k, "spoofchk") == 0 && on_off(v, &b)) {
			a.spoofchk = b;
			a.set |= SRIOV_VF_SPOOFCHK;
		} else if (strcmp(k, "trust") == 0 && on_off(v, &b)) {
			a.trust = b;
			a.set |= SRIOV_VF_TRUST;
		} else if (strcmp(k, "state") == 0) {
			a.link_state = strcmp(v, "enable") == 0	   ? SRIOV_LINK_ENABLE
				       : strcmp(v, "disable") == 0 ? SRIOV_LINK_DISABLE
								   : SRIOV_LINK_AUTO;
			a.set |= SRIOV_VF_LINK_STATE;
		} else if (strcmp(k, "min_tx_rate") == 0) {
			a.min_tx_rate = (uint32_t)strtoul(v, NULL, 10);
			a.set |= SRIOV_VF_RATE;
		} else if (strcmp(k, "max_tx_rate") == 0) {
			a.max_tx_rate = (uint32_t)strtoul(v, NULL, 10);
			a.set |= SRIOV_VF_RATE;
		} else {
			return usage("unknown option");
		}
	}
	rc = sriov_nl_build_vf_set(buf, sizeof(buf), 1, (int)ifindex,
				   (uint32_t)strtoul(argv[2], NULL, 10), &a, &len, &err);
	if (rc == 0)
		rc = sriov_nl_mnl.talk(NULL, buf, len, &err);
	if (rc != 0) {
		fprintf(stderr, "sriov_vfset: %s: %s\n", argv[1], iovs_err_str(&err, rc));
		return 1;
	}
	return 0;
}
