/* A vhost-user device in this process with vhu_fe_test.h's front-end
 * connected to it over a real socket: the fixture of the data-path unit tests
 * (vhu_net_test.c, vhu_iotlb_test.c). The device is a server with one queue
 * pair in a fresh /tmp directory; the front-end's guest memory is a memfd of
 * 'mem_size' bytes at guest address 'gpa', and its 'pump' runs the device's
 * loop. A failed step calls vhu_fe_fail() (cmocka's fail_msg in the tests). */
#ifndef VHU_FE_DEV_TEST_H
#define VHU_FE_DEV_TEST_H

#include <stdint.h>

#include "vhu.h"
#include "vhu_fe_test.h"

struct vhu_fe_dev {
	char dir[64];
	char path[VHU_PATH_MAX];
	struct vhu_loop *loop;
	struct vhu_dev *dev;
	struct vhu_fe fe;
};

/* Creates the device, maps the guest memory, connects (fe.fd) and runs the
 * loop until the device saw the connection. 'name' names the directory. */
void vhu_fe_dev_open(struct vhu_fe_dev *h, const char *name, uint64_t mem_size, uint64_t gpa);
/* Closes the front-end's socket if open, destroys the device and the loop,
 * unmaps the memory, removes the directory. */
void vhu_fe_dev_close(struct vhu_fe_dev *h);
/* Runs the device's loop while it has work (at most 100000 rounds); 'h' is a
 * struct vhu_fe_dev (the front-end's pump). */
void vhu_fe_dev_pump(void *h);
struct vhu_dev_info vhu_fe_dev_info(struct vhu_fe_dev *h);

#endif
