/* libFuzzer target: arbitrary text into vsw_vlan_list_parse() (vswitch/port_conf.c).
 *
 * Checks that a parsed list formats to a canonical form that parses to the
 * same bitmap, and that formatting into any buffer size stays in bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vsw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char canonical[4096 * 5 + 1];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iovs_err err = {{0}};
	struct vsw_vlan_conf v, back;
	char *s = malloc(size + 1), *small;
	size_t len;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&v, 0, sizeof(v));
	if (vsw_vlan_list_parse(s, &v, &err) != 0) {
		if (err.msg[0] == '\0')
			__builtin_trap();
		free(s);
		return 0;
	}
	vsw_vlan_list_format(&v, canonical, sizeof(canonical));
	if (vsw_vlan_list_parse(canonical, &back, &err) != 0 || back.trunks_all != v.trunks_all ||
	    memcmp(back.trunks, v.trunks, sizeof(v.trunks)) != 0)
		__builtin_trap();
	/* An exact-size heap buffer: ASan catches any write past it. */
	len = size % 64;
	small = malloc(len ? len : 1);
	if (small != NULL) {
		vsw_vlan_list_format(&v, small, len);
		if (len != 0 && (strnlen(small, len) == len ||
				 strncmp(small, canonical, strcspn(small, ".")) != 0))
			__builtin_trap();
		free(small);
	}
	free(s);
	return 0;
}
