/* Device interrupts through eventfds: VFIO_DEVICE_GET_IRQ_INFO and
 * VFIO_DEVICE_SET_IRQS (DATA_EVENTFD | ACTION_TRIGGER to set, DATA_NONE with
 * count 0 to disable). The device remembers which indexes it turned on so
 * that vfio_dev_close() turns them off. */
#include <errno.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio_priv.h"

int
vfio_irq_get_desc(struct vfio_dev *d, uint32_t index, struct vfio_irq_desc *out,
		  struct iovs_err *err)
{
	struct vfio_irq_info info = {.argsz = sizeof(info), .index = index};

	if (index >= d->desc.num_irqs)
		return iovs_errf(err, -ERANGE, "%s: no IRQ index %u (%u)", d->name, index,
				 d->desc.num_irqs);
	int rc = vfio_kioctl(d->ctr, d->fd, VFIO_DEVICE_GET_IRQ_INFO, &info);
	if (rc < 0)
		return iovs_errf(err, rc, "%s: VFIO_DEVICE_GET_IRQ_INFO %u: %s", d->name, index,
				 strerror(-rc));
	out->index = index;
	out->flags = info.flags;
	out->count = info.count;
	return 0;
}

int
vfio_irq_enable(struct vfio_dev *d, uint32_t index, uint32_t start, uint32_t n, const int *fds,
		struct iovs_err *err)
{
	struct vfio_irq_desc desc;
	struct vfio_irq_set *set;
	int rc;

	if (index >= VFIO_IRQS_MAX)
		return iovs_errf(err, -ERANGE, "%s: IRQ index %u", d->name, index);
	rc = vfio_irq_get_desc(d, index, &desc, err);
	if (rc < 0)
		return rc;
	if (n == 0 || start > desc.count || n > desc.count - start)
		return iovs_errf(err, -EINVAL, "%s: IRQ %u vectors %u+%u, it has %u", d->name,
				 index, start, n, desc.count);
	if (!(desc.flags & VFIO_IRQ_INFO_EVENTFD))
		return iovs_errf(err, -ENOTSUP, "%s: IRQ %u cannot signal an eventfd", d->name,
				 index);
	size_t sz = sizeof(*set) + (size_t)n * sizeof(int32_t);
	set = calloc(1, sz);
	if (!set)
		return iovs_errf(err, -ENOMEM, "no memory for %u IRQ vectors", n);
	set->argsz = (uint32_t)sz;
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = index;
	set->start = start;
	set->count = n;
	for (uint32_t i = 0; i < n; i++) {
		int32_t fd = fds[i];
		memcpy(set->data + i * sizeof(int32_t), &fd, sizeof(fd));
	}
	rc = vfio_kioctl(d->ctr, d->fd, VFIO_DEVICE_SET_IRQS, set);
	free(set);
	if (rc < 0)
		return iovs_errf(err, rc, "%s: VFIO_DEVICE_SET_IRQS %u: %s", d->name, index,
				 strerror(-rc));
	d->irqs_on |= 1u << index;
	return 0;
}

int
vfio_irq_disable(struct vfio_dev *d, uint32_t index, struct iovs_err *err)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = index,
	};

	if (index >= d->desc.num_irqs || index >= VFIO_IRQS_MAX)
		return iovs_errf(err, -ERANGE, "%s: no IRQ index %u", d->name, index);
	int rc = vfio_kioctl(d->ctr, d->fd, VFIO_DEVICE_SET_IRQS, &set);
	if (rc < 0)
		return iovs_errf(err, rc, "%s: disabling IRQ %u: %s", d->name, index,
				 strerror(-rc));
	d->irqs_on &= ~(1u << index);
	return 0;
}

void
vfio_dev_irqs_off(struct vfio_dev *d)
{
	for (uint32_t i = 0; i < VFIO_IRQS_MAX; i++)
		if (d->irqs_on & (1u << i))
			vfio_irq_disable(d, i, NULL);
	d->irqs_on = 0;
}
