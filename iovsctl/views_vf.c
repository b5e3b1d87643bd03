/* iovsctl's views of the SR-IOV requests: vf.list (each PF, then a table of
 * its VFs) and vf.assign --to vm (the QEMU argument and the libvirt XML). */
#include <stdio.h>

#include "table.h"
#include "views.h"

static const char *
str_or_dash(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && s[0] != '\0' ? s : "-";
}

static int
vf_rows(const json_t *vfs, FILE *f)
{
	static const char *const hdr[] = {"VF",	   "ADDR",  "DRIVER", "NETDEV",
					  "STATE", "GROUP", "USE"};
	struct iovsctl_table *t;
	size_t i;
	int rc = iovsctl_table_create(7, hdr, &t);

	for (i = 0; rc == 0 && i < json_array_size(vfs); i++) {
		const json_t *v = json_array_get(vfs, i);
		char idx[16], grp[16], use[96];
		const char *cells[7];

		snprintf(idx, sizeof(idx), "%lld",
			 (long long)json_integer_value(json_object_get(v, "index")));
		snprintf(grp, sizeof(grp), "%lld",
			 (long long)json_integer_value(json_object_get(v, "iommu_group")));
		snprintf(use, sizeof(use), "%s%s%s", str_or_dash(v, "use"),
			 json_object_get(v, "port") ? " port " : "",
			 json_object_get(v, "port") ? str_or_dash(v, "port") : "");
		cells[0] = idx;
		cells[1] = str_or_dash(v, "addr");
		cells[2] = str_or_dash(v, "driver");
		cells[3] = str_or_dash(v, "ifname");
		cells[4] = str_or_dash(v, "operstate");
		cells[5] = json_integer_value(json_object_get(v, "iommu_group")) < 0 ? "-" : grp;
		cells[6] = use;
		rc = iovsctl_table_row(t, cells);
	}
	if (rc == 0)
		rc = iovsctl_table_print(t, f, "  ");
	iovsctl_table_destroy(t);
	return rc;
}

int
iovsctl_view_vfs(const json_t *result, FILE *f)
{
	const json_t *pfs = json_object_get(result, "pfs"),
		     *errs = json_object_get(result, "errors");
	size_t i;
	int rc = 0;

	if (json_array_size(pfs) == 0)
		fprintf(f, "no SR-IOV PF\n");
	for (i = 0; rc == 0 && i < json_array_size(pfs); i++) {
		const json_t *p = json_array_get(pfs, i);

		fprintf(f,
			"PF %s %04llx:%04llx driver %s netdev %s: %lld of %lld VFs (offset %lld, "
			"stride %lld, VF device %04llx), autoprobe %s\n",
			str_or_dash(p, "pf"),
			(unsigned long long)json_integer_value(json_object_get(p, "vendor")),
			(unsigned long long)json_integer_value(json_object_get(p, "device")),
			str_or_dash(p, "driver"), str_or_dash(p, "ifname"),
			(long long)json_integer_value(json_object_get(p, "num_vfs")),
			(long long)json_integer_value(json_object_get(p, "total_vfs")),
			(long long)json_integer_value(json_object_get(p, "vf_offset")),
			(long long)json_integer_value(json_object_get(p, "vf_stride")),
			(unsigned long long)json_integer_value(json_object_get(p, "vf_device")),
			json_is_true(json_object_get(p, "autoprobe")) ? "on" : "off");
		if (json_array_size(json_object_get(p, "vfs")) != 0)
			rc = vf_rows(json_object_get(p, "vfs"), f);
	}
	for (i = 0; i < json_array_size(errs); i++)
		fprintf(f, "error: %s\n", json_string_value(json_array_get(errs, i)));
	return rc;
}

int
iovsctl_view_vf_assign(const json_t *result, FILE *f)
{
	if (json_object_get(result, "qemu") == NULL)
		return 0; /* --to dataplane: nothing to print */
	fprintf(f,
		"VF %s (IOMMU group %lld) is on vfio-pci, ready for a VM.\nQEMU:\n  %s\n"
		"libvirt:\n%s\n",
		str_or_dash(result, "addr"),
		(long long)json_integer_value(json_object_get(result, "iommu_group")),
		str_or_dash(result, "qemu"), str_or_dash(result, "libvirt"));
	return 0;
}
