/* Ethernet addresses as text: "02:00:00:00:00:01", the one spelling every
 * iovs interface reads (OpenFlow flows, the configuration, the control
 * socket) and writes. */
#ifndef IOVS_MAC_H
#define IOVS_MAC_H

#include <stdbool.h>
#include <stdint.h>

#define IOVS_MAC_STR 18 /* "xx:xx:xx:xx:xx:xx" and the NUL */

/* Exactly six pairs of hex digits separated by ':' and nothing else. */
bool iovs_mac_parse(const char *s, uint8_t mac[6]);
/* Lower-case "xx:xx:xx:xx:xx:xx"; returns 'buf'. */
const char *iovs_mac_str(const uint8_t mac[6], char buf[IOVS_MAC_STR]);

#endif
