/* The context: the root, the two seams (sysfs, rtnetlink), the fault
 * injection hook, and the drivers sriov_vf_bind() found, for
 * sriov_vf_release(). */
#include "sriov_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
sriov_ctx_create(const struct sriov_conf *conf, struct sriov_ctx **out, struct iovs_err *err)
{
	const char *root = conf != NULL && conf->root != NULL ? conf->root : "/";
	struct sriov_ctx *ctx;

	*out = NULL;
	if (root[0] == '\0' || strlen(root) >= SRIOV_PATH_MAX - 128)
		return iovs_errf(err, -EINVAL, "sysfs root must be a path shorter than %d bytes",
				 SRIOV_PATH_MAX - 128);
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return iovs_errf(err, -ENOMEM, "out of memory for the SR-IOV context");
	strcpy(ctx->root, root);
	if (conf != NULL && conf->sysfs != NULL) {
		ctx->sysfs = conf->sysfs;
		ctx->sysfs_priv = conf->sysfs_priv;
	} else {
		ctx->sysfs = &sriov_sysfs_files;
		ctx->sysfs_priv = ctx->root;
	}
	if (conf != NULL && conf->nl != NULL) {
		ctx->nl = conf->nl;
		ctx->nl_priv = conf->nl_priv;
	} else {
		ctx->nl = &sriov_nl_mnl;
	}
	if (conf != NULL && conf->fail_step != NULL) {
		ctx->fail_step = strdup(conf->fail_step);
		if (ctx->fail_step == NULL) {
			free(ctx);
			return iovs_errf(err, -ENOMEM, "out of memory for the SR-IOV context");
		}
	}
	ctx->nl_seq = (uint32_t)time(NULL);
	*out = ctx;
	return 0;
}

void
sriov_ctx_destroy(struct sriov_ctx *ctx)
{
	if (ctx == NULL)
		return;
	free(ctx->fail_step);
	free(ctx);
}

uint32_t
sriov_nl_next_seq(struct sriov_ctx *ctx)
{
	return ++ctx->nl_seq;
}
