/* The in-process device with a connected front-end (vhu_fe_dev_test.h). */
#include "vhu_fe_dev_test.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void
cb_sync(void *arg)
{
	(void)arg;
}

void
vhu_fe_dev_pump(void *arg)
{
	struct vhu_fe_dev *h = arg;
	struct pollfd p = {.fd = vhu_loop_fd(h->loop), .events = POLLIN};
	int i;

	for (i = 0; i < 100000 && poll(&p, 1, 0) > 0; i++)
		vhu_loop_run(h->loop);
}

struct vhu_dev_info
vhu_fe_dev_info(struct vhu_fe_dev *h)
{
	struct vhu_dev_info in;

	vhu_dev_get_info(h->dev, &in);
	return in;
}

void
vhu_fe_dev_open(struct vhu_fe_dev *h, const char *name, uint64_t mem_size, uint64_t gpa)
{
	struct vhu_dev_conf conf = {.client = false, .max_queue_pairs = 1};
	struct vhu_dev_cb cb = {.sync = cb_sync};
	struct iovs_err err = {{0}};
	int rc;

	memset(h, 0, sizeof(*h));
	snprintf(h->dir, sizeof(h->dir), "/tmp/%s.XXXXXX", name);
	VHU_FE_CHECK(mkdtemp(h->dir) != NULL);
	snprintf(h->path, sizeof(h->path), "%s/sock", h->dir);
	rc = vhu_loop_create(&h->loop, &err);
	if (rc != 0)
		vhu_fe_fail("vhu_loop_create: %s", iovs_err_str(&err, rc));
	snprintf(conf.path, sizeof(conf.path), "%s", h->path);
	rc = vhu_dev_create(h->loop, &conf, &cb, &h->dev, &err);
	if (rc != 0)
		vhu_fe_fail("vhu_dev_create: %s", iovs_err_str(&err, rc));
	h->fe.memfd = vhu_fe_memfd(mem_size);
	h->fe.mem = vhu_fe_map(h->fe.memfd, mem_size);
	h->fe.mem_size = mem_size;
	h->fe.gpa = gpa;
	h->fe.queue_pairs = 1;
	h->fe.pump = vhu_fe_dev_pump;
	h->fe.pump_arg = h;
	h->fe.fd = vhu_fe_connect(h->path);
	vhu_fe_dev_pump(h);
}

void
vhu_fe_dev_close(struct vhu_fe_dev *h)
{
	if (h->fe.fd >= 0)
		close(h->fe.fd);
	h->fe.fd = -1;
	vhu_dev_destroy(h->dev);
	vhu_loop_destroy(h->loop);
	munmap(h->fe.mem, h->fe.mem_size);
	close(h->fe.memfd);
	rmdir(h->dir);
}
