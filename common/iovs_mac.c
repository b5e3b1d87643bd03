/* Ethernet addresses as text (iovs_mac.h). */
#include <stdio.h>

#include "iovs_hex.h"
#include "iovs_mac.h"

bool
iovs_mac_parse(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int hi = iovs_hex_digit(s[0]), lo = hi < 0 ? -1 : iovs_hex_digit(s[1]);

		if (lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 3;
	}
	return true;
}

const char *
iovs_mac_str(const uint8_t mac[6], char buf[IOVS_MAC_STR])
{
	snprintf(buf, IOVS_MAC_STR, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	return buf;
}
