/* libFuzzer target: flow text through ofl_syntax_parse() (openflow/ofl_syntax.c),
 * as iovsctl's flow add/mod/del/dump and ofl trace hand it to iovsd.
 *
 * The first byte picks the use (add, modify, delete, dump filter, packet) and
 * --strict; the rest is the text. Besides "never crashes": a refusal says
 * why; what parses encodes and passes the wire codec's ofl_decode() (the CLI
 * and OpenFlow share one set of rules), prints within OFL_SYNTAX_BUF, and
 * prints to a text that parses to the same message (compared on the wire),
 * whose printing is a fixed point.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ofl_msg.h"
#include "ofl_syntax.h"
#include "ofl_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ofl_msg m1, m2, m3;
static uint8_t w1[OFL_MAX_MSG_LEN + 1], w2[OFL_MAX_MSG_LEN + 1];
static char text[OFL_SYNTAX_MAX_TEXT + 64], p1[OFL_SYNTAX_BUF], p2[OFL_SYNTAX_BUF];

/* What prints the parsed message back, and the use that parses that text. */
static int
print(const struct ofl_msg *m, enum ofl_syntax_use use, char *buf, size_t size)
{
	if (use == OFL_SYNTAX_PACKET)
		return ofl_syntax_print_match(&m->flow_mod.match, buf, size);
	return ofl_syntax_print_flow(&m->flow_mod, buf, size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iovs_err err = {{0}};
	enum ofl_syntax_use use, reuse;
	bool strict;
	size_t len;
	int rc, n1, n2;

	if (size < 1)
		return 0;
	use = (enum ofl_syntax_use)(data[0] % 5);
	strict = data[0] & 0x10;
	len = size - 1 < sizeof(text) - 1 ? size - 1 : sizeof(text) - 1;
	memcpy(text, data + 1, len);
	text[len] = '\0';
	rc = ofl_syntax_parse(text, use, strict, &m1, &err);
	if (rc != 0) {
		if ((rc != -EINVAL && rc != -E2BIG) || err.msg[0] == '\0')
			__builtin_trap();
		return 0;
	}
	/* The wire codec accepts it, as it would from a controller. */
	n1 = ofl_encode(&m1, w1, sizeof(w1));
	if (n1 < 8 || ofl_decode(w1, (size_t)n1, &m3, &err) != 0)
		__builtin_trap();
	/* Printed, it parses back to the same message. A dump filter prints as
	 * the delete it is. */
	reuse = use == OFL_SYNTAX_FILTER ? OFL_SYNTAX_DELETE : use;
	n1 = print(&m1, use, p1, sizeof(p1));
	if (n1 < 0 || (size_t)n1 >= sizeof(p1))
		__builtin_trap();
	if (ofl_syntax_parse(p1, reuse, strict && use != OFL_SYNTAX_FILTER, &m2, &err) != 0)
		__builtin_trap();
	n1 = ofl_encode(&m1, w1, sizeof(w1));
	n2 = ofl_encode(&m2, w2, sizeof(w2));
	if (n1 != n2 || memcmp(w1, w2, (size_t)n1) != 0)
		__builtin_trap();
	print(&m2, use, p2, sizeof(p2));
	if (strcmp(p1, p2) != 0)
		__builtin_trap();
	return 0;
}
