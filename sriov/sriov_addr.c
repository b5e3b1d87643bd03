/* PCI addresses: parse and print "dddd:bb:dd.f", and the routing-ID
 * arithmetic that gives a VF's address from its PF's (PCIe r6.0 §9.3.3.10,
 * §9.3.3.11). Pure functions; sriov_vf.c checks the result against sysfs. */
#include "sriov_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "iovs_hex.h"

/* 'n' hex digits at 's'; -1 if any is not one. */
static long
hexfield(const char *s, size_t n)
{
	long v = 0;

	for (size_t i = 0; i < n; i++) {
		int d = iovs_hex_digit(s[i]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

int
sriov_addr_parse(const char *s, struct sriov_addr *out, struct iovs_err *err)
{
	char q[IOVS_QUOTED_SIZE];
	long dom, bus, dev, fn;

	if (s == NULL || strlen(s) != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.')
		goto bad;
	dom = hexfield(s, 4);
	bus = hexfield(s + 5, 2);
	dev = hexfield(s + 8, 2);
	fn = hexfield(s + 11, 1);
	if (dom < 0 || bus < 0 || dev < 0 || dev > 31 || fn < 0 || fn > 7)
		goto bad;
	out->domain = (uint16_t)dom;
	out->bus = (uint8_t)bus;
	out->dev = (uint8_t)dev;
	out->fn = (uint8_t)fn;
	return 0;
bad:
	return iovs_errf(err, -EINVAL, "PCI address %s is not dddd:bb:dd.f",
			 s == NULL ? "(null)" : iovs_quote(s, 32, q));
}

const char *
sriov_addr_str(const struct sriov_addr *a, char buf[SRIOV_ADDR_STR])
{
	snprintf(buf, SRIOV_ADDR_STR, "%04x:%02x:%02x.%x", a->domain, a->bus, a->dev & 0x1f,
		 a->fn & 7);
	return buf;
}

bool
sriov_addr_equal(const struct sriov_addr *a, const struct sriov_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev && a->fn == b->fn;
}

int
sriov_vf_addr(const struct sriov_addr *pf, const struct sriov_cap *cap, unsigned n,
	      struct sriov_addr *out, struct iovs_err *err)
{
	char s[SRIOV_ADDR_STR];
	uint64_t rid;

	/* The kernel refuses the same (drivers/pci/iov.c, sriov_init). */
	if (cap->vf_offset == 0)
		return iovs_errf(err, -EINVAL, "%s: First VF Offset is 0", sriov_addr_str(pf, s));
	if (cap->vf_stride == 0 && n > 0)
		return iovs_errf(err, -EINVAL, "%s: VF Stride is 0 but VF %u asked for",
				 sriov_addr_str(pf, s), n);
	rid = ((uint64_t)pf->bus << 8 | (uint64_t)pf->dev << 3 | pf->fn) + cap->vf_offset +
	      (uint64_t)n * cap->vf_stride;
	if (rid > 0xffff)
		return iovs_errf(err, -ERANGE,
				 "%s: VF %u would have routing ID 0x%llx (offset %u, stride %u), "
				 "past bus 255",
				 sriov_addr_str(pf, s), n, (unsigned long long)rid, cap->vf_offset,
				 cap->vf_stride);
	out->domain = pf->domain;
	out->bus = (uint8_t)(rid >> 8);
	out->dev = (uint8_t)((rid >> 3) & 0x1f);
	out->fn = (uint8_t)(rid & 7);
	return 0;
}
