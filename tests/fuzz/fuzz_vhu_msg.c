/* libFuzzer target: vhost-user messages through vhu_msg_parse_hdr() and
 * vhu_msg_validate() (vhost-user/vhu_msg.c), as the socket layer will call them.
 *
 * Input: byte 0 is the number of fds that came with the message (mod 10), the
 * rest is header + payload. Besides "never crashes", checks properties: every
 * refusal says why; what validates also decodes; a decoded memory table has
 * at most 8 regions and as many fds; the refusal policy answers for every rc.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "vhu_msg.h"

#define GIB_MASK ((UINT64_C(1) << 30) - 1)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iovs_err err = {{0}};
	union vhu_msg_body body;
	struct vhu_msg_hdr h;
	const uint8_t *payload;
	size_t payload_len;
	unsigned n_fds;
	int rc;

	if (size < 1)
		return 0;
	n_fds = data[0] % 10;
	data++;
	size--;

	rc = vhu_msg_parse_hdr(data, size, &h, &err);
	if (rc != 0) {
		if (err.msg[0] == '\0' || vhu_msg_on_error(NULL, rc, true) != VHU_MSG_CLOSE)
			__builtin_trap();
		return 0;
	}
	(void)vhu_msg_name(h.request);
	payload = data + VHU_MSG_HDR_SIZE;
	/* A short read still reaches validate, which must refuse it. */
	payload_len = size - VHU_MSG_HDR_SIZE;
	if (payload_len > h.size)
		payload_len = h.size;

	rc = vhu_msg_validate(&h, payload, payload_len, n_fds, &err);
	if (rc != 0) {
		if (err.msg[0] == '\0')
			__builtin_trap();
		(void)vhu_msg_on_error(&h, rc, true);
		(void)vhu_msg_on_error(&h, rc, false);
		return 0;
	}
	if (payload_len != h.size || vhu_msg_decode(h.request, payload, payload_len, &body) != 0)
		__builtin_trap();
	if (h.request == VHU_REQ_SET_MEM_TABLE &&
	    (body.mem.nregions == 0 || body.mem.nregions > VHU_MAX_MEM_REGIONS ||
	     body.mem.nregions != n_fds))
		__builtin_trap();
	if (h.request == VHU_REQ_SET_MEM_TABLE || h.request == VHU_REQ_ADD_MEM_REG) {
		const struct vhu_msg_region *r =
			h.request == VHU_REQ_ADD_MEM_REG ? &body.region : &body.mem.regions[0];
		uint64_t end = r->mmap_offset + r->size;

		/* Accepted regions never round up (1 GiB pages) to a wrapped,
		 * zero-size mapping, nor wrap in guest or user addresses. */
		if (r->size == 0 || end < r->size || end + GIB_MASK < end ||
		    r->gpa + r->size < r->gpa || r->uva + r->size < r->uva)
			__builtin_trap();
	}
	return 0;
}
