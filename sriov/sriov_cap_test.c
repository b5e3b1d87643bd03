/* The SR-IOV capability parser against real config-space dumps (the
 * pciutils test dumps in /work/shared/data/pci-dumps, read in place; their
 * README's decoded values are the oracle), through libpci on a fake sysfs
 * tree, and on hand-made chains: loops, truncation, all-ones, the end of
 * the space. Also PCI addresses and the VF routing-ID arithmetic. Exits 77
 * when the dumps are not there (SRIOV_PCI_DUMPS names the folder). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sriov_test_tree.h"

struct dump {
	const char *file;
	const char *addr;
	uint16_t vendor, device;
	bool has;
	uint16_t offset, initial, total, num, vf_offset, stride, vf_device;
	uint32_t sup_pages, sys_page;
	bool enable, mse, ari;
	size_t len;
};

/* README.md of the dumps folder, table by table. */
static const struct dump dumps[] = {
	{"intel-82576.lspci", "0000:01:00.0", 0x8086, 0x10c9, true, 0x160, 8, 8, 1, 384, 2, 0x10ca,
	 0x553, 1, true, true, false, 4096},
	{"cavium-thunderx-nic.lspci", "0002:01:00.0", 0x177d, 0xa01e, true, 0x180, 128, 128, 128, 1,
	 1, 0xa034, 0x553, 0x100, true, true, true, 4096},
	{"samsung-pm174x-nvme.lspci", "0000:2e:00.0", 0x144d, 0xa826, true, 0x1f8, 64, 64, 0, 32, 1,
	 0xa826, 0x553, 1, false, false, true, 4096},
	{"intel-0d93.lspci", "0000:6b:00.0", 0x8086, 0x0d93, true, 0xb80, 6, 6, 0, 16, 2, 0x0d52,
	 0x3f, 1, false, false, false, 4096},
	{"anon-aaaa-bbbb-ide.lspci", "0000:e1:00.0", 0xaaaa, 0xbbbb, true, 0x148, 4, 4, 0, 32, 1,
	 0x50a5, 0x553, 1, false, false, true, 4096},
	{"mellanox-connectx3pro.lspci", "0000:03:00.0", 0x15b3, 0x1007, false, 0, 0, 0, 0, 0, 0, 0,
	 0, 0, false, false, false, 4096},
	{"redhat-virtio-net.lspci", "0000:00:09.0", 0x1af4, 0x1000, false, 0, 0, 0, 0, 0, 0, 0, 0,
	 0, false, false, false, 256},
};
#define N_DUMPS (sizeof(dumps) / sizeof(dumps[0]))

static const char *dir;

static void
load(const struct dump *d, uint8_t cfg[SRIOV_CFG_SIZE], size_t *len)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, d->file);
	if (tt_load_lspci(path, cfg, len) != 0)
		fail_msg("cannot read %s", path);
	assert_int_equal(*len, d->len);
	assert_int_equal(cfg[0] | cfg[1] << 8, d->vendor);
	assert_int_equal(cfg[2] | cfg[3] << 8, d->device);
}

static void
check_cap(const struct dump *d, const struct sriov_cap *c)
{
	assert_int_equal(c->offset, d->offset);
	assert_int_equal(c->initial_vfs, d->initial);
	assert_int_equal(c->total_vfs, d->total);
	assert_int_equal(c->num_vfs, d->num);
	assert_int_equal(c->vf_offset, d->vf_offset);
	assert_int_equal(c->vf_stride, d->stride);
	assert_int_equal(c->vf_device, d->vf_device);
	assert_int_equal(c->page_sizes, d->sup_pages);
	assert_int_equal(c->page_size, d->sys_page);
	assert_int_equal(!!(c->ctrl & SRIOV_CTRL_VF_ENABLE), d->enable);
	assert_int_equal(!!(c->ctrl & SRIOV_CTRL_VF_MSE), d->mse);
	assert_int_equal(!!(c->ctrl & SRIOV_CTRL_ARI), d->ari);
	assert_int_equal(c->fn_dep_link, 0);
}

/* Each dump, decoded by the parser, against the README. */
static void
test_dumps_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_DUMPS; i++) {
		uint8_t cfg[SRIOV_CFG_SIZE];
		struct sriov_cap c;
		struct iovs_err err = {""};
		size_t len;
		int rc;

		load(&dumps[i], cfg, &len);
		rc = sriov_cap_parse(cfg, len, &c, &err);
		if (!dumps[i].has) {
			assert_int_equal(rc, -ENOENT);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: %s", dumps[i].file, err.msg);
		check_cap(&dumps[i], &c);
	}
}

/* The 256-byte dump in a 256-byte heap buffer: ASan sees any read past 0xff. */
static void
test_dump_256_bytes(void **state)
{
	uint8_t cfg[SRIOV_CFG_SIZE], *exact;
	struct iovs_err err = {""};
	struct sriov_cap c;
	size_t len;

	(void)state;
	load(&dumps[N_DUMPS - 1], cfg, &len);
	exact = malloc(256);
	assert_non_null(exact);
	memcpy(exact, cfg, 256);
	assert_int_equal(sriov_cap_parse(exact, 256, &c, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no extended config space"));
	free(exact);
}

/* All seven as devices of one fake tree, read by libpci itself. */
static void
test_dumps_libpci(void **state)
{
	struct tt *t = tt_create();
	struct iovs_err err = {""};
	struct sriov_ctx *ctx;
	struct sriov_pf *pfs;
	size_t n, k = 0;

	(void)state;
	for (size_t i = 0; i < N_DUMPS; i++) {
		uint8_t cfg[SRIOV_CFG_SIZE];
		size_t len;

		load(&dumps[i], cfg, &len);
		if (dumps[i].has)
			tt_add_pf(t, dumps[i].addr, cfg, len, NULL, dumps[i].total, NULL);
		else
			tt_add_device(t, dumps[i].addr, cfg, len, NULL);
	}
	assert_int_equal(sriov_ctx_create(&t->conf, &ctx, &err), 0);
	if (sriov_pf_list(ctx, &pfs, &n, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(n, 5);
	/* Sorted by address: 0000:01, 0000:2e, 0000:6b, 0000:e1, 0002:01. */
	{
		static const int order[] = {0, 2, 3, 4, 1};
		char s[SRIOV_ADDR_STR];

		for (k = 0; k < 5; k++) {
			const struct dump *d = &dumps[order[k]];

			assert_string_equal(sriov_addr_str(&pfs[k].addr, s), d->addr);
			assert_int_equal(pfs[k].vendor, d->vendor);
			assert_int_equal(pfs[k].device, d->device);
			check_cap(d, &pfs[k].cap);
			assert_int_equal(pfs[k].total_vfs, d->total);
			assert_int_equal(pfs[k].num_vfs, 0);
			assert_true(pfs[k].autoprobe);
		}
	}
	sriov_pf_list_free(pfs, n);
	/* The negative ones, asked for by address. */
	{
		struct sriov_addr a;
		struct sriov_pf pf;

		assert_int_equal(sriov_addr_parse("0000:03:00.0", &a, NULL), 0);
		assert_int_equal(sriov_pf_get(ctx, &a, &pf, &err), -ENOTSUP);
		assert_string_equal(err.msg, "0000:03:00.0 has no SR-IOV capability");
		assert_int_equal(sriov_addr_parse("0000:00:09.0", &a, NULL), 0);
		assert_int_equal(sriov_pf_get(ctx, &a, &pf, &err), -ENOTSUP);
		assert_int_equal(sriov_addr_parse("0000:00:1f.0", &a, NULL), 0);
		assert_int_equal(sriov_pf_get(ctx, &a, &pf, &err), -ENODEV);
		assert_string_equal(err.msg, "no PCI device 0000:00:1f.0");
	}
	sriov_ctx_destroy(ctx);
	tt_destroy(t);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Header: ID, version 1, next. */
static uint32_t
hdr(uint16_t id, uint16_t next)
{
	return id | 1u << 16 | (uint32_t)next << 20;
}

static void
test_chains(void **state)
{
	uint8_t *cfg = calloc(1, SRIOV_CFG_SIZE);
	struct iovs_err err = {""};
	struct sriov_cap c;

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(sriov_cap_parse(NULL, 0, &c, &err), -ENOENT);
	assert_int_equal(sriov_cap_parse(cfg, 0x103, &c, &err), -ENOENT);
	/* Empty head, all-ones head. */
	assert_int_equal(sriov_cap_parse(cfg, SRIOV_CFG_SIZE, &c, &err), -ENOENT);
	put32(cfg + 0x100, 0xffffffff);
	assert_int_equal(sriov_cap_parse(cfg, SRIOV_CFG_SIZE, &c, &err), -ENOENT);
	/* A loop: 0x100 -> 0x200 -> 0x100. */
	put32(cfg + 0x100, hdr(0x0001, 0x200));
	put32(cfg + 0x200, hdr(0x0003, 0x100));
	assert_int_equal(sriov_cap_parse(cfg, SRIOV_CFG_SIZE, &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "a loop"));
	/* A self loop, and all-ones after the head (next 0xffc forever). */
	put32(cfg + 0x100, hdr(0x0001, 0x100));
	assert_int_equal(sriov_cap_parse(cfg, SRIOV_CFG_SIZE, &c, &err), -EINVAL);
	put32(cfg + 0x100, hdr(0x0001, 0xffc));
	put32(cfg + 0xffc, 0xffffffff);
	assert_int_equal(sriov_cap_parse(cfg, SRIOV_CFG_SIZE, &c, &err), -EINVAL);
	/* A next pointer into the first 256 bytes ends the chain. */
	put32(cfg + 0x100, hdr(0x0001, 0x0fc));
	assert_int_equal(sriov_cap_parse(cfg, SRIOV_CFG_SIZE, &c, &err), -ENOENT);
	/* The chain leaves a short buffer. */
	put32(cfg + 0x100, hdr(0x0001, 0x200));
	assert_int_equal(sriov_cap_parse(cfg, 0x200, &c, &err), -ENOENT);
	/* SR-IOV at the very end: its 64 bytes do not fit. */
	put32(cfg + 0x100, hdr(0x0001, 0xfc0));
	put32(cfg + 0xfc0, hdr(0x0010, 0));
	put32(cfg + 0xfc0 + 0x0c, 0x00070007);
	assert_int_equal(sriov_cap_parse(cfg, SRIOV_CFG_SIZE, &c, &err), 0);
	assert_int_equal(c.offset, 0xfc0);
	assert_int_equal(c.total_vfs, 7);
	put32(cfg + 0x100, hdr(0x0001, 0xfc4));
	put32(cfg + 0xfc4, hdr(0x0010, 0));
	assert_int_equal(sriov_cap_parse(cfg, SRIOV_CFG_SIZE, &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "runs past"));
	/* Low two bits of the next pointer are reserved: 0x203 means 0x200. */
	memset(cfg, 0, SRIOV_CFG_SIZE);
	put32(cfg + 0x100, hdr(0x000e, 0x203));
	put32(cfg + 0x200, hdr(0x0010, 0));
	put32(cfg + 0x214, 0x00020080);
	assert_int_equal(sriov_cap_parse(cfg, SRIOV_CFG_SIZE, &c, &err), 0);
	assert_int_equal(c.offset, 0x200);
	assert_int_equal(c.vf_offset, 0x80);
	assert_int_equal(c.vf_stride, 2);
	/* A longer buffer than 4 KiB is read as 4 KiB. */
	{
		uint8_t *big = calloc(1, 8192);

		assert_non_null(big);
		memcpy(big, cfg, SRIOV_CFG_SIZE);
		assert_int_equal(sriov_cap_parse(big, 8192, &c, &err), 0);
		free(big);
	}
	free(cfg);
}

static void
test_addr(void **state)
{
	struct iovs_err err = {""};
	struct sriov_addr a;
	char s[SRIOV_ADDR_STR];

	(void)state;
	assert_int_equal(sriov_addr_parse("0002:af:1f.7", &a, &err), 0);
	assert_int_equal(a.domain, 2);
	assert_int_equal(a.bus, 0xaf);
	assert_int_equal(a.dev, 31);
	assert_int_equal(a.fn, 7);
	assert_string_equal(sriov_addr_str(&a, s), "0002:af:1f.7");
	assert_int_equal(sriov_addr_parse("0000:00:20.0", &a, &err), -EINVAL); /* dev 32 */
	assert_int_equal(sriov_addr_parse("0000:00:00.8", &a, &err), -EINVAL);
	assert_int_equal(sriov_addr_parse("00:00.0", &a, &err), -EINVAL);
	assert_int_equal(sriov_addr_parse("0000:00:00.0\n", &a, &err), -EINVAL);
	assert_string_equal(err.msg, "PCI address \"0000:00:00.0\\x0a\" is not dddd:bb:dd.f");
	assert_int_equal(sriov_addr_parse("000g:00:00.0", &a, &err), -EINVAL);
	assert_int_equal(sriov_addr_parse(NULL, &a, &err), -EINVAL);
}

static void
test_vf_addr(void **state)
{
	struct sriov_cap c = {.vf_offset = 384, .vf_stride = 2};
	struct sriov_addr pf, vf;
	struct iovs_err err = {""};
	char s[SRIOV_ADDR_STR];

	(void)state;
	/* intel-82576 at 01:00.0: the VFs are on the next bus. */
	sriov_addr_parse("0000:01:00.0", &pf, NULL);
	assert_int_equal(sriov_vf_addr(&pf, &c, 0, &vf, &err), 0);
	assert_string_equal(sriov_addr_str(&vf, s), "0000:02:10.0");
	assert_int_equal(sriov_vf_addr(&pf, &c, 7, &vf, &err), 0);
	assert_string_equal(sriov_addr_str(&vf, s), "0000:02:11.6");
	/* cavium at 0002:01:00.0, offset 1 stride 1: VF 127 is 01:10.0. */
	c = (struct sriov_cap){.vf_offset = 1, .vf_stride = 1};
	sriov_addr_parse("0002:01:00.0", &pf, NULL);
	assert_int_equal(sriov_vf_addr(&pf, &c, 127, &vf, &err), 0);
	assert_string_equal(sriov_addr_str(&vf, s), "0002:01:10.0");
	/* The end of the routing-ID space. */
	sriov_addr_parse("0000:ff:1f.0", &pf, NULL);
	c = (struct sriov_cap){.vf_offset = 7, .vf_stride = 1};
	assert_int_equal(sriov_vf_addr(&pf, &c, 0, &vf, &err), 0);
	assert_string_equal(sriov_addr_str(&vf, s), "0000:ff:1f.7");
	assert_int_equal(sriov_vf_addr(&pf, &c, 1, &vf, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "routing ID 0x10000"));
	c = (struct sriov_cap){.vf_offset = 0xffff, .vf_stride = 0xffff};
	assert_int_equal(sriov_vf_addr(&pf, &c, 0xffff, &vf, &err), -ERANGE);
	c = (struct sriov_cap){.vf_offset = 0, .vf_stride = 1};
	assert_int_equal(sriov_vf_addr(&pf, &c, 0, &vf, &err), -EINVAL);
	c = (struct sriov_cap){.vf_offset = 1, .vf_stride = 0};
	assert_int_equal(sriov_vf_addr(&pf, &c, 0, &vf, &err), 0);
	assert_int_equal(sriov_vf_addr(&pf, &c, 1, &vf, &err), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest dump_tests[] = {
		cmocka_unit_test(test_dumps_parse),
		cmocka_unit_test(test_dump_256_bytes),
		cmocka_unit_test(test_dumps_libpci),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chains),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_vf_addr),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	dir = tt_dumps_dir();
	if (dir == NULL) {
		printf("SKIP: the PCI config dumps are not there (SRIOV_PCI_DUMPS=%s; expected "
		       "<repo>/../shared/data/pci-dumps or /work/shared/data/pci-dumps)\n",
		       getenv("SRIOV_PCI_DUMPS") ? getenv("SRIOV_PCI_DUMPS") : "unset");
		return rc != 0 ? rc : 77;
	}
	return rc + cmocka_run_group_tests(dump_tests, NULL, NULL);
}
