/* All file access of sriov/: the real sysfs seam (plain files under a root
 * directory) and the helpers that name a device's attributes through
 * whichever seam the context holds. Tests put a fake seam in front of the
 * real one (sriov_test_tree.c) to watch and fail writes. */
#include "sriov_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
full_path(const char *root, const char *path, char out[SRIOV_PATH_MAX], struct iovs_err *err)
{
	size_t r = strlen(root);
	int n;

	while (r > 0 && root[r - 1] == '/')
		r--;
	n = snprintf(out, SRIOV_PATH_MAX, "%.*s/%s", (int)r, root, path);
	if (n < 0 || n >= SRIOV_PATH_MAX)
		return iovs_errf(err, -ENAMETOOLONG, "path %s/%s is too long", root, path);
	return 0;
}

static int
files_read(void *priv, const char *path, char *buf, size_t cap, struct iovs_err *err)
{
	char p[SRIOV_PATH_MAX];
	ssize_t n;
	size_t got = 0;
	int fd, rc;

	if ((rc = full_path(priv, path, p, err)) != 0)
		return rc;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return iovs_errf(err, -errno, "open %s: %s", p, strerror(errno));
	/* sysfs answers in one read; a regular file (the fake tree) may not. */
	while (got + 1 < cap && (n = read(fd, buf + got, cap - 1 - got)) != 0) {
		if (n < 0) {
			rc = -errno;
			close(fd);
			return iovs_errf(err, rc, "read %s: %s", p, strerror(-rc));
		}
		got += (size_t)n;
	}
	if (got + 1 >= cap) {
		char extra;

		n = read(fd, &extra, 1);
		if (n != 0) {
			close(fd);
			return iovs_errf(err, -EFBIG, "%s holds more than %zu bytes", p, cap - 1);
		}
	}
	close(fd);
	if (got > 0 && buf[got - 1] == '\n')
		got--;
	buf[got] = '\0';
	return 0;
}

static int
files_write(void *priv, const char *path, const char *val, struct iovs_err *err)
{
	char p[SRIOV_PATH_MAX];
	size_t len = strlen(val);
	ssize_t n;
	int fd, rc;

	if ((rc = full_path(priv, path, p, err)) != 0)
		return rc;
	fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return iovs_errf(err, -errno, "open %s: %s", p, strerror(errno));
	n = write(fd, val, len);
	rc = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc != 0)
		return iovs_errf(err, rc, "write \"%.32s\" to %s: %s", val, p, strerror(-rc));
	return 0;
}

static int
files_readlink(void *priv, const char *path, char *buf, size_t cap, struct iovs_err *err)
{
	char p[SRIOV_PATH_MAX];
	ssize_t n;
	int rc;

	if ((rc = full_path(priv, path, p, err)) != 0)
		return rc;
	n = readlink(p, buf, cap);
	if (n < 0)
		return iovs_errf(err, -errno, "readlink %s: %s", p, strerror(errno));
	if ((size_t)n >= cap)
		return iovs_errf(err, -ENAMETOOLONG, "link %s is too long", p);
	buf[n] = '\0';
	return 0;
}

static int
files_list(void *priv, const char *path, int (*fn)(void *arg, const char *name), void *arg,
	   struct iovs_err *err)
{
	char p[SRIOV_PATH_MAX];
	struct dirent *e;
	DIR *d;
	int rc;

	if ((rc = full_path(priv, path, p, err)) != 0)
		return rc;
	d = opendir(p);
	if (d == NULL)
		return iovs_errf(err, -errno, "open directory %s: %s", p, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if ((rc = fn(arg, e->d_name)) != 0)
			break;
	}
	closedir(d);
	return rc;
}

const struct sriov_sysfs_ops sriov_sysfs_files = {
	.read = files_read,
	.write = files_write,
	.readlink = files_readlink,
	.list = files_list,
};

static int
dev_path(const struct sriov_addr *a, const char *name, char out[SRIOV_PATH_MAX],
	 struct iovs_err *err)
{
	char s[SRIOV_ADDR_STR];
	int n = snprintf(out, SRIOV_PATH_MAX, "sys/bus/pci/devices/%s/%s", sriov_addr_str(a, s),
			 name);

	if (n < 0 || n >= SRIOV_PATH_MAX)
		return iovs_errf(err, -ENAMETOOLONG, "attribute name %.32s is too long", name);
	return 0;
}

int
sriov_dev_read(struct sriov_ctx *ctx, const struct sriov_addr *a, const char *name, char *buf,
	       size_t cap, struct iovs_err *err)
{
	char p[SRIOV_PATH_MAX];
	int rc = dev_path(a, name, p, err);

	return rc != 0 ? rc : ctx->sysfs->read(ctx->sysfs_priv, p, buf, cap, err);
}

int
sriov_dev_read_uint(struct sriov_ctx *ctx, const struct sriov_addr *a, const char *name,
		    unsigned *out, struct iovs_err *err)
{
	char buf[32], s[SRIOV_ADDR_STR];
	unsigned long v;
	char *end;
	int rc;

	if ((rc = sriov_dev_read(ctx, a, name, buf, sizeof(buf), err)) != 0)
		return rc;
	errno = 0;
	v = strtoul(buf, &end, 0);
	if (end == buf || *end != '\0' || errno != 0 || v > 0xffffffffUL)
		return iovs_errf(err, -EINVAL, "%s/%s holds \"%.20s\", not a number",
				 sriov_addr_str(a, s), name, buf);
	*out = (unsigned)v;
	return 0;
}

int
sriov_dev_write(struct sriov_ctx *ctx, const struct sriov_addr *a, const char *name,
		const char *val, struct iovs_err *err)
{
	char p[SRIOV_PATH_MAX];
	int rc = dev_path(a, name, p, err);

	return rc != 0 ? rc : ctx->sysfs->write(ctx->sysfs_priv, p, val, err);
}

int
sriov_dev_link_base(struct sriov_ctx *ctx, const struct sriov_addr *a, const char *name, char *buf,
		    size_t cap, struct iovs_err *err)
{
	char p[SRIOV_PATH_MAX], target[SRIOV_PATH_MAX];
	const char *base;
	int rc;

	if ((rc = dev_path(a, name, p, err)) != 0)
		return rc;
	rc = ctx->sysfs->readlink(ctx->sysfs_priv, p, target, sizeof(target), err);
	if (rc == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	if (rc != 0)
		return rc;
	base = strrchr(target, '/');
	base = base == NULL ? target : base + 1;
	if (strlen(base) >= cap)
		return iovs_errf(err, -ENAMETOOLONG, "link %s ends in a name too long", p);
	strcpy(buf, base);
	return 0;
}

int
sriov_bus_write(struct sriov_ctx *ctx, const char *rel, const char *val, struct iovs_err *err)
{
	char p[SRIOV_PATH_MAX];
	int n = snprintf(p, sizeof(p), "sys/bus/pci/%s", rel);

	if (n < 0 || n >= (int)sizeof(p))
		return iovs_errf(err, -ENAMETOOLONG, "path sys/bus/pci/%.32s is too long", rel);
	return ctx->sysfs->write(ctx->sysfs_priv, p, val, err);
}
