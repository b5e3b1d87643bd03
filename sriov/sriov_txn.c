/* Transactions: steps with an undo each. When step K fails, steps K-1..1 are
 * undone in that order; an undo that fails is reported too and does not stop
 * the others. The context's fail_step makes the step of that name fail
 * before it runs (tests, and the guest test through the daemon). */
#include "sriov_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
sriov_txn_init(struct sriov_txn *t, struct sriov_ctx *ctx)
{
	t->ctx = ctx;
	t->n = 0;
}

void
sriov_txn_add(struct sriov_txn *t, const char *name,
	      int (*run)(struct sriov_ctx *, void *, unsigned, struct iovs_err *),
	      int (*undo)(struct sriov_ctx *, void *, unsigned, struct iovs_err *), void *arg,
	      unsigned tag)
{
	if (t->n >= SRIOV_TXN_STEPS)
		abort(); /* a programming error: the steps are fixed per operation */
	t->steps[t->n++] = (struct sriov_step){name, run, undo, arg, tag};
}

static int
run_step(struct sriov_txn *t, const struct sriov_step *s, struct iovs_err *err)
{
	if (t->ctx->fail_step != NULL && strcmp(t->ctx->fail_step, s->name) == 0)
		return iovs_errf(err, -EIO, "injected failure");
	return s->run(t->ctx, s->arg, s->tag, err);
}

int
sriov_txn_run(struct sriov_txn *t, struct iovs_err *err)
{
	struct iovs_err why = {""}, undo_why = {""};
	size_t k, undone = 0, bad_undo = 0;
	int rc = 0;

	for (k = 0; k < t->n; k++) {
		rc = run_step(t, &t->steps[k], &why);
		if (rc != 0)
			break;
	}
	if (rc == 0)
		return 0;
	for (size_t j = k; j-- > 0;) {
		const struct sriov_step *s = &t->steps[j];
		struct iovs_err e = {""};
		int urc;

		if (s->undo == NULL) {
			undone++;
			continue;
		}
		urc = s->undo(t->ctx, s->arg, s->tag, &e);
		if (urc == 0) {
			undone++;
		} else if (bad_undo == 0) {
			bad_undo = j + 1;
			snprintf(undo_why.msg, sizeof(undo_why.msg), "%s", iovs_err_str(&e, urc));
		}
	}
	if (bad_undo != 0)
		return iovs_errf(err, rc,
				 "step %zu (%s) failed: %s; rolled back %zu of %zu steps; undo of "
				 "step %zu (%s) failed: %s",
				 k + 1, t->steps[k].name, iovs_err_str(&why, rc), undone, k,
				 bad_undo, t->steps[bad_undo - 1].name, undo_why.msg);
	return iovs_errf(err, rc, "step %zu (%s) failed: %s; rolled back %zu step%s", k + 1,
			 t->steps[k].name, iovs_err_str(&why, rc), undone, undone == 1 ? "" : "s");
}
