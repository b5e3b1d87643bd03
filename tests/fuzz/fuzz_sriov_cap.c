/* libFuzzer target: the SR-IOV capability parser (sriov/sriov_cap.c) over
 * config space from the fuzzer's bytes (any length; 256 and 4096 are the
 * real ones), then the VF routing-ID arithmetic (sriov/sriov_addr.c) on what
 * it decoded. Traps if a found capability is not inside the buffer or past
 * the extended space, if the chain walk reads past the length (ASan), or if
 * a computed VF address leaves the routing-ID space. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sriov.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sriov_addr pf = {0, 0, 0, 0}, vf;
	struct sriov_cap cap;
	uint8_t *copy;
	int rc;

	if (size > 8192)
		return 0;
	/* An exact-size heap copy, so that ASan sees a read past the end. */
	copy = malloc(size == 0 ? 1 : size);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	rc = sriov_cap_parse(copy, size, &cap, NULL);
	if (rc == 0) {
		if (cap.offset < 0x100 || cap.offset + 0x40u > size || cap.offset + 0x40u > 4096 ||
		    cap.offset % 4 != 0)
			__builtin_trap();
		if (size >= 4)
			pf.bus = copy[size - 1];
		for (unsigned n = 0; n < 4 && n < cap.total_vfs; n++) {
			unsigned n_vf = n == 3 ? cap.total_vfs - 1u : n;

			if (sriov_vf_addr(&pf, &cap, n_vf, &vf, NULL) == 0 &&
			    ((unsigned)vf.bus << 8 | vf.dev << 3 | vf.fn) !=
				    (unsigned)(pf.bus << 8) + cap.vf_offset + n_vf * cap.vf_stride)
				__builtin_trap();
		}
	} else if (rc != -2 /* ENOENT */ && rc != -22 /* EINVAL */) {
		__builtin_trap();
	}
	free(copy);
	return 0;
}
