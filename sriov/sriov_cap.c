/* The SR-IOV extended capability (PCIe r6.0 §9.3.3), decoded from a buffer
 * of config space. A pure function over untrusted bytes (the config space of
 * a device, or a fuzzer's): every read is checked against the length, the
 * chain walk is bounded. sriov_pf.c gets the bytes through libpci. */
#include "sriov_priv.h"

#include <errno.h>

#define EXT_START     0x100
#define EXT_END	      0x1000
#define EXT_HDR	      4
#define SRIOV_CAP_ID  0x0010
#define SRIOV_CAP_LEN 0x40
/* One capability per dword at most: more hops than that must be a loop. */
#define EXT_MAX_HOPS ((EXT_END - EXT_START) / 4)

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
decode(const uint8_t *c, uint16_t pos, struct sriov_cap *out)
{
	out->offset = pos;
	out->caps = rd32(c + 0x04);
	out->ctrl = rd16(c + 0x08);
	out->status = rd16(c + 0x0a);
	out->initial_vfs = rd16(c + 0x0c);
	out->total_vfs = rd16(c + 0x0e);
	out->num_vfs = rd16(c + 0x10);
	out->fn_dep_link = c[0x12];
	out->vf_offset = rd16(c + 0x14);
	out->vf_stride = rd16(c + 0x16);
	out->vf_device = rd16(c + 0x1a);
	out->page_sizes = rd32(c + 0x1c);
	out->page_size = rd32(c + 0x20);
	for (int i = 0; i < 6; i++)
		out->bar[i] = rd32(c + 0x24 + 4 * i);
}

int
sriov_cap_parse(const uint8_t *cfg, size_t len, struct sriov_cap *out, struct iovs_err *err)
{
	size_t pos = EXT_START;

	if (len > EXT_END)
		len = EXT_END;
	if (cfg == NULL || len < EXT_START + EXT_HDR)
		return iovs_errf(err, -ENOENT, "no extended config space (%zu bytes)", len);
	for (unsigned hops = 0; hops < EXT_MAX_HOPS; hops++) {
		uint32_t hdr;

		if (pos + EXT_HDR > len)
			return iovs_errf(
				err, -ENOENT,
				"no SR-IOV capability (chain leaves the %zu bytes at 0x%zx)", len,
				pos);
		hdr = rd32(cfg + pos);
		/* No extended capabilities: 0, or all ones from a device that
		 * does not decode the space (PCIe r6.0 §7.6.3). */
		if (hdr == 0 || (hdr == 0xffffffff && pos == EXT_START))
			return iovs_errf(err, -ENOENT, "no SR-IOV capability");
		if ((hdr & 0xffff) == SRIOV_CAP_ID) {
			if (pos + SRIOV_CAP_LEN > len)
				return iovs_errf(
					err, -EINVAL,
					"SR-IOV capability at 0x%zx runs past the %zu bytes "
					"of config space",
					pos, len);
			decode(cfg + pos, (uint16_t)pos, out);
			return 0;
		}
		pos = (hdr >> 20) & 0xffc;
		/* A next pointer into the first 256 bytes ends the chain, as
		 * Linux's pci_find_next_ext_capability() does. */
		if (pos < EXT_START)
			return iovs_errf(err, -ENOENT, "no SR-IOV capability");
	}
	return iovs_errf(err, -EINVAL, "extended capability chain longer than %d hops (a loop)",
			 EXT_MAX_HOPS);
}
