/* libFuzzer target: packet key extraction over arbitrary frames. */
#include <stddef.h>
#include <stdint.h>

#include "pkt_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsw_pkt_key key;

	if (vsw_pkt_key_extract(data, (uint32_t)size, &key) == 0 && key.l3_ofs > size)
		__builtin_trap(); /* the key must never point past the frame */
	return 0;
}
