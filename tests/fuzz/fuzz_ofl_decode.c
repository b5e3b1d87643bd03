/* libFuzzer target: one OpenFlow message through ofl_decode()
 * (openflow/ofl_codec.c), as the agent's connection will call it.
 *
 * Besides "never crashes": a refusal is an OpenFlow error with a message and
 * an OFPT_ERROR can be built for it; what decodes encodes (to the same length
 * but for HELLO), and the encoding
 * decodes again to a message that encodes to the same bytes (padding and
 * reserved fields are not kept, so the first encoding is the fixed point).
 * A bundle's inner message goes through the same steps once more.
 */
#include <stdint.h>
#include <string.h>

#include "ofl_msg.h"
#include "ofl_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ofl_msg m1, m2;
static uint8_t out1[OFL_MAX_MSG_LEN + 1], out2[OFL_MAX_MSG_LEN + 1], errbuf[128];

static void
check_one(const uint8_t *data, size_t size, int depth)
{
	struct iovs_err err = {{0}};
	int rc, n1, n2;

	/* Syntax alone (ofl_parse) accepts a superset, and its result also
	 * encodes to a fixed point. */
	rc = ofl_parse(data, size, &m1, &err);
	if (rc == 0) {
		n1 = ofl_encode(&m1, out1, sizeof(out1));
		if (n1 < 8 || (size_t)n1 > size || ofl_parse(out1, (size_t)n1, &m2, &err) != 0)
			__builtin_trap();
		n2 = ofl_encode(&m2, out2, sizeof(out2));
		if (n2 != n1 || memcmp(out1, out2, (size_t)n1) != 0)
			__builtin_trap();
	}
	rc = ofl_decode(data, size, &m1, &err);
	if (rc != 0) {
		if (ofl_err_wire(rc) == NULL || err.msg[0] == '\0')
			__builtin_trap();
		if (ofl_encode_error(rc, data, size, errbuf, sizeof(errbuf)) <= 0)
			__builtin_trap();
		return;
	}
	/* HELLO drops unknown elements and bitmap words past the cap: the
	 * encoding may be shorter than the input, never longer. */
	n1 = ofl_encode(&m1, out1, sizeof(out1));
	if (n1 < 8 || (size_t)n1 > size || (m1.h.type != OFPT_HELLO && (size_t)n1 != size) ||
	    (rc = ofl_parse(data, size, &m2, &err)) != 0)
		__builtin_trap();
	if (ofl_decode(out1, (size_t)n1, &m2, &err) != 0)
		__builtin_trap();
	n2 = ofl_encode(&m2, out2, sizeof(out2));
	if (n2 != n1 || memcmp(out1, out2, (size_t)n1) != 0)
		__builtin_trap();
	if (depth == 0 && m1.h.type == OFPT_BUNDLE_ADD_MESSAGE) {
		/* m1 is reused: copy the inner message out first. */
		static uint8_t inner[OFL_MAX_MSG_LEN];
		size_t len = m1.bundle_add.msg_len;

		memcpy(inner, m1.bundle_add.msg, len);
		check_one(inner, len, 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_one(data, size, 0);
	(void)ofl_msg_frame_len(data, size);
	return 0;
}
