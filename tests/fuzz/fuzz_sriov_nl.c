/* libFuzzer target: the parsers of the kernel's rtnetlink answers in
 * sriov/sriov_nl.c, over the fuzzer's bytes: the VF info of an RTM_NEWLINK
 * reply (for VFs 0..3) and an NLMSG_ERROR ACK with extended-ACK TLVs. Every
 * length inside is untrusted; ASan traps on a read past the buffer. A
 * parsed VF must hold values the builder would accept again. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sriov.h"
#include "sriov_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iovs_err err;
	uint8_t *copy, buf[SRIOV_NL_BUF];
	size_t len;

	if (size > 65536)
		return 0;
	copy = malloc(size == 0 ? 1 : size);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	for (uint32_t vf = 0; vf < 4; vf++) {
		struct sriov_vf_attrs a;

		if (sriov_nl_parse_vf(copy, size, vf, &a, &err) != 0)
			continue;
		/* What the kernel reported can be sent back (the undo path),
		 * except a VLAN QoS without a VLAN, which the builder refuses. */
		if (a.set != 0 && !(a.vlan == 0 && a.qos != 0) &&
		    !(a.max_tx_rate != 0 && a.min_tx_rate > a.max_tx_rate) &&
		    sriov_nl_build_vf_set(buf, sizeof(buf), 1, 1, vf, &a, &len, &err) != 0)
			__builtin_trap();
	}
	(void)sriov_nl_parse_ack(copy, size, &err);
	free(copy);
	return 0;
}
