/* The real kernel behind struct vfio_kops: the system calls, failures as
 * -errno. Everything else in vfio/ reaches the kernel only through these. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio.h"

static int
k_open(void *ctx, const char *path, int flags)
{
	(void)ctx;
	int fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int
k_close(void *ctx, int fd)
{
	(void)ctx;
	return close(fd) < 0 ? -errno : 0;
}

static int
k_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	(void)ctx;
	int rc = ioctl(fd, req, arg);
	return rc < 0 ? -errno : rc;
}

static ssize_t
k_pread(void *ctx, int fd, void *buf, size_t len, off_t off)
{
	(void)ctx;
	ssize_t n = pread(fd, buf, len, off);
	return n < 0 ? -errno : n;
}

static ssize_t
k_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	(void)ctx;
	ssize_t n = pwrite(fd, buf, len, off);
	return n < 0 ? -errno : n;
}

static int
k_mmap(void *ctx, int fd, size_t len, int prot, off_t off, void **addr)
{
	(void)ctx;
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, off);
	if (p == MAP_FAILED)
		return -errno;
	*addr = p;
	return 0;
}

static int
k_munmap(void *ctx, void *addr, size_t len)
{
	(void)ctx;
	return munmap(addr, len) < 0 ? -errno : 0;
}

static ssize_t
k_readlink(void *ctx, const char *path, char *buf, size_t len)
{
	(void)ctx;
	ssize_t n = readlink(path, buf, len);
	return n < 0 ? -errno : n;
}

static int
k_list_dir(void *ctx, const char *path, int (*fn)(const char *name, void *arg), void *arg)
{
	(void)ctx;
	DIR *dir = opendir(path);
	struct dirent *e;
	int rc = 0;

	if (!dir)
		return -errno;
	while ((e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		rc = fn(e->d_name, arg);
		if (rc != 0)
			break;
	}
	closedir(dir);
	return rc;
}

static const struct vfio_kops linux_kops = {
	.open = k_open,
	.close = k_close,
	.ioctl = k_ioctl,
	.pread = k_pread,
	.pwrite = k_pwrite,
	.mmap = k_mmap,
	.munmap = k_munmap,
	.readlink = k_readlink,
	.list_dir = k_list_dir,
};

const struct vfio_kops *
vfio_kops_linux(void)
{
	return &linux_kops;
}
