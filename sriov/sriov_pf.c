/* Physical functions: libpci reads config space from ROOT/sys/bus/pci (the
 * real sysfs or a test's fake tree, libpci opens the files itself),
 * sriov_cap.c decodes the SR-IOV capability, sysfs attributes give the
 * kernel's view (sriov_numvfs, sriov_totalvfs, drivers_autoprobe), and
 * sriov_vf.c describes each VF. */
#include "sriov_priv.h"

#include <errno.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* libpci's error callback must not return; it jumps back to the call that
 * entered libpci (one at a time per thread). */
static __thread jmp_buf *pci_jump;
static __thread char pci_msg[160];

__attribute__((format(printf, 1, 2), noreturn)) static void
pci_fail(char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	vsnprintf(pci_msg, sizeof(pci_msg), msg, ap);
	va_end(ap);
	longjmp(*pci_jump, 1);
}

__attribute__((format(printf, 1, 2))) static void
pci_quiet(char *msg, ...)
{
	(void)msg;
}

/* Call with pci_jump set. */
static struct pci_access *
pci_open(struct sriov_ctx *ctx)
{
	char path[SRIOV_PATH_MAX];
	struct pci_access *pacc = pci_alloc();

	pacc->error = pci_fail;
	pacc->warning = pci_quiet;
	pacc->debug = pci_quiet;
	pacc->method = PCI_ACCESS_SYS_BUS_PCI;
	/* IDs come from config space: no resource/irq files needed. */
	pacc->buscentric = 1;
	/* The root is shorter than SRIOV_PATH_MAX - 128 (sriov_ctx_create). */
	if (snprintf(path, sizeof(path), "%s%ssys/bus/pci", ctx->root,
		     ctx->root[strlen(ctx->root) - 1] == '/' ? "" : "/") >= (int)sizeof(path))
		abort();
	pci_set_param(pacc, "sysfs.path", path);
	pci_init(pacc);
	return pacc;
}

/* Call with pci_jump set. */
static int
read_dev(struct pci_dev *d, uint8_t cfg[SRIOV_CFG_SIZE], size_t *len, struct iovs_err *err)
{
	memset(cfg, 0, SRIOV_CFG_SIZE);
	if (!pci_read_block(d, 0, cfg, 256)) {
		if (pci_read_block(d, 0, cfg, 64))
			return iovs_errf(err, -EACCES,
					 "%04x:%02x:%02x.%x: only 64 bytes of config space are "
					 "readable (not root?)",
					 d->domain, d->bus, d->dev, d->func);
		return iovs_errf(err, -ENODEV, "%04x:%02x:%02x.%x: cannot read config space",
				 d->domain, d->bus, d->dev, d->func);
	}
	*len = 256;
	if (pci_read_block(d, 256, cfg + 256, SRIOV_CFG_SIZE - 256))
		*len = SRIOV_CFG_SIZE;
	return 0;
}

int
sriov_config_read(struct sriov_ctx *ctx, const struct sriov_addr *a, uint8_t cfg[SRIOV_CFG_SIZE],
		  size_t *len, struct iovs_err *err)
{
	struct pci_access *volatile pacc = NULL;
	struct pci_dev *d;
	char s[SRIOV_ADDR_STR];
	jmp_buf jb;
	int rc;

	if (setjmp(jb) != 0) {
		pci_jump = NULL;
		return iovs_errf(err, -EIO, "libpci: %s", pci_msg); /* 'pacc' leaks */
	}
	pci_jump = &jb;
	pacc = pci_open(ctx);
	d = pci_get_dev(pacc, a->domain, a->bus, a->dev, a->fn);
	rc = read_dev(d, cfg, len, err);
	if (rc == -ENODEV)
		rc = iovs_errf(err, -ENODEV, "no PCI device %s", sriov_addr_str(a, s));
	pci_free_dev(d);
	pci_cleanup(pacc);
	pci_jump = NULL;
	return rc;
}

int
sriov_pf_cap(struct sriov_ctx *ctx, const struct sriov_addr *pf, struct sriov_cap *cap,
	     struct iovs_err *err)
{
	uint8_t *cfg = malloc(SRIOV_CFG_SIZE);
	char s[SRIOV_ADDR_STR];
	size_t len;
	int rc;

	if (cfg == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory for config space");
	rc = sriov_config_read(ctx, pf, cfg, &len, err);
	if (rc == 0) {
		rc = sriov_cap_parse(cfg, len, cap, err);
		if (rc == -ENOENT)
			rc = iovs_errf(err, -ENOTSUP, "%s has no SR-IOV capability",
				       sriov_addr_str(pf, s));
		else if (rc != 0)
			rc = iovs_err_prefix(err, rc, "%s", sriov_addr_str(pf, s));
	}
	free(cfg);
	return rc;
}

/* The kernel's view of a PF; a PF whose driver keeps SR-IOV to itself has
 * no sriov_* files: 0 VFs then. */
static int
fill_pf(struct sriov_ctx *ctx, struct sriov_pf *pf, struct iovs_err *err)
{
	unsigned v;
	int rc;

	rc = sriov_dev_read_uint(ctx, &pf->addr, "sriov_numvfs", &pf->num_vfs, err);
	if (rc == -ENOENT) {
		pf->num_vfs = 0;
	} else if (rc != 0) {
		return rc;
	} else {
		if ((rc = sriov_dev_read_uint(ctx, &pf->addr, "sriov_totalvfs", &pf->total_vfs,
					      err)) != 0)
			return rc;
		if ((rc = sriov_dev_read_uint(ctx, &pf->addr, "sriov_drivers_autoprobe", &v,
					      err)) != 0)
			return rc;
		pf->autoprobe = v != 0;
	}
	if ((rc = sriov_dev_link_base(ctx, &pf->addr, "driver", pf->driver, sizeof(pf->driver),
				      err)) != 0 ||
	    (rc = sriov_dev_netdev(ctx, &pf->addr, pf->ifname, pf->operstate, err)) != 0 ||
	    (rc = sriov_dev_iommu_group(ctx, &pf->addr, &pf->iommu_group, err)) != 0)
		return rc;
	pf->numa_node = sriov_dev_numa_node(ctx, &pf->addr);
	if (pf->num_vfs == 0)
		return 0;
	pf->vfs = calloc(pf->num_vfs, sizeof(*pf->vfs));
	if (pf->vfs == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory for %u VFs", pf->num_vfs);
	for (unsigned i = 0; i < pf->num_vfs; i++) {
		if ((rc = sriov_vf_describe(ctx, &pf->addr, &pf->cap, i, &pf->vfs[i], err)) != 0)
			return rc;
		pf->n_vfs = i + 1;
	}
	return 0;
}

/* Fills 'pf' from config space already read; *is_pf false (and 0) without
 * an SR-IOV capability. */
static int
pf_from_config(struct sriov_ctx *ctx, const struct sriov_addr *a, const uint8_t *cfg, size_t len,
	       struct sriov_pf *pf, bool *is_pf, struct iovs_err *err)
{
	char s[SRIOV_ADDR_STR];
	int rc;

	memset(pf, 0, sizeof(*pf));
	pf->addr = *a;
	rc = sriov_cap_parse(cfg, len, &pf->cap, err);
	*is_pf = rc != -ENOENT;
	if (rc == -ENOENT)
		return 0;
	if (rc == 0) {
		pf->vendor = (uint16_t)(cfg[0] | cfg[1] << 8);
		pf->device = (uint16_t)(cfg[2] | cfg[3] << 8);
		rc = fill_pf(ctx, pf, err);
	}
	if (rc != 0) {
		sriov_pf_fini(pf);
		return iovs_err_prefix(err, rc, "PF %s", sriov_addr_str(a, s));
	}
	return 0;
}

void
sriov_pf_fini(struct sriov_pf *pf)
{
	if (pf == NULL)
		return;
	free(pf->vfs);
	pf->vfs = NULL;
	pf->n_vfs = 0;
}

int
sriov_pf_get(struct sriov_ctx *ctx, const struct sriov_addr *a, struct sriov_pf *out,
	     struct iovs_err *err)
{
	uint8_t *cfg = malloc(SRIOV_CFG_SIZE);
	char s[SRIOV_ADDR_STR];
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (cfg == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory for config space");
	rc = sriov_config_read(ctx, a, cfg, &len, err);
	if (rc == 0) {
		bool is_pf;

		rc = pf_from_config(ctx, a, cfg, len, out, &is_pf, err);
		if (rc == 0 && !is_pf)
			rc = iovs_errf(err, -ENOTSUP, "%s has no SR-IOV capability",
				       sriov_addr_str(a, s));
	}
	free(cfg);
	return rc;
}

void
sriov_pf_list_free(struct sriov_pf *pfs, size_t n)
{
	if (pfs == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		sriov_pf_fini(&pfs[i]);
	free(pfs);
}

static int
cmp_pf(const void *x, const void *y)
{
	const struct sriov_addr *a = &((const struct sriov_pf *)x)->addr;
	const struct sriov_addr *b = &((const struct sriov_pf *)y)->addr;
	uint64_t ka = (uint64_t)a->domain << 16 | a->bus << 8 | a->dev << 3 | a->fn;
	uint64_t kb = (uint64_t)b->domain << 16 | b->bus << 8 | b->dev << 3 | b->fn;

	return ka < kb ? -1 : ka > kb;
}

struct scan {
	struct sriov_ctx *ctx;
	struct sriov_pf *pfs;
	size_t n, cap;
	uint8_t *cfg;
};

/* One scanned device: kept when it has an SR-IOV capability. */
static int
scan_one(struct scan *sc, struct pci_dev *d, struct iovs_err *err)
{
	struct sriov_addr a = {(uint16_t)d->domain, (uint8_t)d->bus, (uint8_t)d->dev,
			       (uint8_t)d->func};
	bool is_pf;
	size_t len;
	int rc;

	if ((rc = read_dev(d, sc->cfg, &len, err)) != 0)
		return rc;
	if (sc->n == sc->cap) {
		size_t ncap = sc->cap == 0 ? 8 : 2 * sc->cap;
		struct sriov_pf *p = realloc(sc->pfs, ncap * sizeof(*p));

		if (p == NULL)
			return iovs_errf(err, -ENOMEM, "out of memory for the PF list");
		sc->pfs = p;
		sc->cap = ncap;
	}
	rc = pf_from_config(sc->ctx, &a, sc->cfg, len, &sc->pfs[sc->n], &is_pf, err);
	if (rc == 0 && is_pf)
		sc->n++;
	return rc;
}

/* With pci_jump set by the caller. */
static int
scan_bus(struct scan *sc, struct pci_access *pacc, struct iovs_err *err)
{
	int rc = 0;

	pci_scan_bus(pacc);
	for (struct pci_dev *d = pacc->devices; d != NULL && rc == 0; d = d->next)
		rc = scan_one(sc, d, err);
	return rc;
}

int
sriov_pf_list(struct sriov_ctx *ctx, struct sriov_pf **out, size_t *n, struct iovs_err *err)
{
	struct pci_access *volatile pacc = NULL;
	char dir[SRIOV_PATH_MAX];
	struct scan sc = {ctx, NULL, 0, 0, NULL};
	volatile struct scan *vsc = &sc;
	struct stat st;
	jmp_buf jb;
	int rc;

	*out = NULL;
	*n = 0;
	if (snprintf(dir, sizeof(dir), "%s/sys/bus/pci/devices", ctx->root) >= (int)sizeof(dir))
		abort(); /* as in pci_open() */
	if (stat(dir, &st) != 0)
		return iovs_errf(err, -errno, "cannot list PCI devices: %s: %s", dir,
				 strerror(errno));
	sc.cfg = malloc(SRIOV_CFG_SIZE);
	if (sc.cfg == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory for config space");
	if (setjmp(jb) != 0) {
		pci_jump = NULL;
		rc = iovs_errf(err, -EIO, "libpci: %s", pci_msg);
		goto out; /* 'pacc' leaks: libpci is in an unknown state */
	}
	pci_jump = &jb;
	pacc = pci_open(ctx);
	rc = scan_bus(&sc, pacc, err);
	pci_cleanup(pacc);
	pci_jump = NULL;
out:
	free(vsc->cfg);
	if (rc != 0) {
		sriov_pf_list_free(vsc->pfs, vsc->n);
		return rc;
	}
	if (sc.n > 1)
		qsort(sc.pfs, sc.n, sizeof(*sc.pfs), cmp_pf);
	*out = sc.pfs;
	*n = sc.n;
	return 0;
}
