/* The OpenFlow pipeline's writer side: flow entries in VSW_PL_TABLES
 * classifiers (classifier.c) under one version, transactions with undo,
 * groups and meters in copy-on-write id maps, timeouts, and the grace periods
 * behind all of it (rte_rcu_qsbr tokens polled, never waited for). The PMD
 * side is pipeline_run.c; the design note is in pipeline.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "pipeline_priv.h"

/* ---- Grace periods: rte_rcu_qsbr tokens, polled by the writer ---- */

struct defer_node {
	struct defer_node *next;
	uint64_t token;
	void (*fn)(void *arg);
	void *arg;
};

static uint64_t
qsbr_token(struct vsw_pl *pl)
{
	/* The unlink or publication before this must be visible before the
	 * readers' progress is sampled (classifier.h). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return rte_rcu_qsbr_start(pl->conf.qs);
}

static void
pl_defer(void *ctx, void (*fn)(void *arg), void *arg)
{
	struct vsw_pl *pl = ctx;
	struct defer_node *d;

	if (pl->conf.qs == NULL) {
		fn(arg);
		return;
	}
	d = malloc(sizeof(*d));
	if (d == NULL) { /* no memory for the queue: wait instead */
		rte_rcu_qsbr_synchronize(pl->conf.qs, RTE_QSBR_THRID_INVALID);
		fn(arg);
		return;
	}
	d->next = NULL;
	d->fn = fn;
	d->arg = arg;
	d->token = qsbr_token(pl);
	if (pl->defer_tail != NULL)
		pl->defer_tail->next = d;
	else
		pl->defer_head = d;
	pl->defer_tail = d;
}

static void
run_deferred(struct vsw_pl *pl, bool all)
{
	struct defer_node *d;

	while ((d = pl->defer_head) != NULL &&
	       (all || rte_rcu_qsbr_check(pl->conf.qs, d->token, false) == 1)) {
		pl->defer_head = d->next;
		if (pl->defer_head == NULL)
			pl->defer_tail = NULL;
		d->fn(d->arg); /* may defer again: appends */
		free(d);
	}
}

void
vsw_pl_poll(struct vsw_pl *pl)
{
	run_deferred(pl, false);
}

bool
vsw_pl_synced(struct vsw_pl *pl, uint64_t token)
{
	vsw_pl_poll(pl);
	return pl->conf.qs == NULL || rte_rcu_qsbr_check(pl->conf.qs, token, false) == 1;
}

/* ---- Flows ---- */

static void
rule_free(void *ctx, struct vsw_cls_rule *rule)
{
	struct vsw_pl_flow *f = container_of(rule, struct vsw_pl_flow, rule);

	(void)ctx;
	free(vsw_cls_rule_actions(rule));
	free(f);
}

static struct vsw_pl_flow *
flow_alloc(struct vsw_pl *pl)
{
	struct vsw_pl_flow *f =
		calloc(1, sizeof(*f) + pl->conf.n_pmds * sizeof(struct vsw_pl_counter));

	if (f != NULL)
		f->n_pmds = pl->conf.n_pmds;
	return f;
}

void
vsw_pl_flow_stats(const struct vsw_pl_flow *f, uint64_t *packets, uint64_t *bytes,
		  uint64_t *used_ns)
{
	uint64_t p = f->base_packets, b = f->base_bytes, u = f->base_used;

	for (unsigned i = 0; i < f->n_pmds; i++) {
		uint64_t cu = __atomic_load_n(&f->counters[i].used_ns, __ATOMIC_RELAXED);

		p += __atomic_load_n(&f->counters[i].packets, __ATOMIC_RELAXED);
		b += __atomic_load_n(&f->counters[i].bytes, __ATOMIC_RELAXED);
		u = RTE_MAX(u, cu);
	}
	if (packets != NULL)
		*packets = p;
	if (bytes != NULL)
		*bytes = b;
	if (used_ns != NULL)
		*used_ns = u;
}

static void
live_link(struct vsw_pl *pl, struct vsw_pl_flow *f)
{
	f->live_prev = NULL;
	f->live_next = pl->live;
	if (pl->live != NULL)
		pl->live->live_prev = f;
	pl->live = f;
	pl->n_flows++;
}

static void
live_unlink(struct vsw_pl *pl, struct vsw_pl_flow *f)
{
	if (f->live_prev != NULL)
		f->live_prev->live_next = f->live_next;
	else
		pl->live = f->live_next;
	if (f->live_next != NULL)
		f->live_next->live_prev = f->live_prev;
	f->live_prev = f->live_next = NULL;
	pl->n_flows--;
}

static int
undo_push(struct vsw_pl *pl, enum undo_kind kind, void *obj)
{
	if (pl->n_undo == pl->cap_undo) {
		size_t cap = pl->cap_undo ? pl->cap_undo * 2 : 64;
		struct undo *u = realloc(pl->undo, cap * sizeof(*u));

		if (u == NULL)
			return -ENOMEM;
		pl->undo = u;
		pl->cap_undo = cap;
	}
	pl->undo[pl->n_undo].kind = kind;
	pl->undo[pl->n_undo].obj = obj;
	pl->n_undo++;
	return 0;
}

/* Room for the undo entries of one change, so that logging cannot fail
 * after the change is made. */
static int
undo_reserve(struct vsw_pl *pl, size_t n)
{
	while (pl->cap_undo - pl->n_undo < n) {
		size_t cap = pl->cap_undo ? pl->cap_undo * 2 : 64;
		struct undo *u = realloc(pl->undo, cap * sizeof(*u));

		if (u == NULL)
			return -ENOMEM;
		pl->undo = u;
		pl->cap_undo = cap;
	}
	return 0;
}

static void
removed_report(const struct vsw_pl *pl, const struct vsw_pl_flow *f, enum vsw_pl_rm_reason why,
	       vsw_pl_removed_fn fn, void *arg)
{
	struct vsw_pl_removed rm;

	if (fn == NULL)
		return;
	memset(&rm, 0, sizeof(rm));
	rm.table_id = f->table_id;
	rm.reason = (uint8_t)why;
	rm.flags = f->flags;
	rm.idle_timeout = f->idle_timeout;
	rm.hard_timeout = f->hard_timeout;
	rm.priority = f->rule.priority;
	rm.cookie = f->cookie;
	rm.duration_ns = pl->now_ns > f->created_ns ? pl->now_ns - f->created_ns : 0;
	vsw_pl_flow_stats(f, &rm.packets, &rm.bytes, NULL);
	rm.key = f->rule.key;
	rm.mask = f->rule.mask;
	fn(arg, &rm);
}

/* Removes 'f' in the open transaction. */
static int
flow_remove(struct vsw_pl *pl, struct vsw_pl_flow *f, enum vsw_pl_rm_reason why,
	    vsw_pl_removed_fn fn, void *arg)
{
	if (undo_push(pl, UNDO_REMOVE, f) != 0)
		return -ENOMEM;
	vsw_cls_remove(pl->cls[f->table_id], &f->rule, pl->txn_version);
	live_unlink(pl, f);
	removed_report(pl, f, why, fn, arg);
	return 0;
}

/* ---- Id maps (groups, meters): sorted, copy-on-write per transaction ---- */

static struct idmap *
map_writable(struct vsw_pl *pl, struct idmap **pub, struct idmap **next, uint32_t extra)
{
	struct idmap *src = *next != NULL ? *next : *pub, *m;
	uint32_t n = src != NULL ? src->n : 0;

	if (*next != NULL && (*next)->cap >= n + extra)
		return *next;
	m = malloc(sizeof(*m) + (n + extra + 8) * sizeof(m->e[0]));
	if (m == NULL)
		return NULL;
	m->n = n;
	m->cap = n + extra + 8;
	if (n != 0)
		memcpy(m->e, src->e, n * sizeof(m->e[0]));
	free(*next);
	*next = m;
	(void)pl;
	return m;
}

static void
map_insert(struct idmap *m, uint32_t id, void *obj)
{
	uint32_t i = m->n;

	while (i > 0 && m->e[i - 1].id > id) {
		m->e[i] = m->e[i - 1];
		i--;
	}
	m->e[i].id = id;
	m->e[i].obj = obj;
	m->n++;
}

static void
map_erase(struct idmap *m, uint32_t id)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (m->e[i].id == id) {
			memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof(m->e[0]));
			m->n--;
			return;
		}
}

static void *
map_replace(struct idmap *m, uint32_t id, void *obj)
{
	void *old = NULL;

	for (uint32_t i = 0; i < m->n; i++)
		if (m->e[i].id == id) {
			old = m->e[i].obj;
			m->e[i].obj = obj;
		}
	return old;
}

static void *
writer_find(const struct vsw_pl *pl, bool group, uint32_t id)
{
	const struct idmap *m = group ? (pl->groups_next ? pl->groups_next : pl->groups)
				      : (pl->meters_next ? pl->meters_next : pl->meters);

	return vsw_pl_map_find(m, id);
}

static bool
env_port_exists(void *ctx, uint32_t port)
{
	struct vsw_pl *pl = ctx;

	return pl->conf.port_exists == NULL || pl->conf.port_exists(pl->conf.port_ctx, port);
}

static bool
env_group_exists(void *ctx, uint32_t id)
{
	return writer_find(ctx, true, id) != NULL;
}

static bool
env_meter_exists(void *ctx, uint32_t id)
{
	return writer_find(ctx, false, id) != NULL;
}

static void
env_init(struct vsw_pl *pl, struct vsw_act_env *env, const struct vsw_flow_key *key,
	 const struct vsw_flow_key *mask, uint8_t table_id)
{
	memset(env, 0, sizeof(*env));
	env->key = key;
	env->mask = mask;
	env->table_id = table_id;
	env->n_tables = VSW_PL_TABLES;
	env->local_port = pl->conf.local_port;
	env->port_exists = env_port_exists;
	env->group_exists = env_group_exists;
	env->meter_exists = env_meter_exists;
	env->ctx = pl;
}

/* ---- Create / destroy ---- */

int
vsw_pl_create(const struct vsw_pl_config *conf, struct vsw_pl **out)
{
	struct vsw_cls_ops ops = {.defer = pl_defer, .rule_free = rule_free};
	struct vsw_pl *pl;

	*out = NULL;
	if (conf->n_pmds == 0 || conf->n_pmds > VSW_PL_MAX_PMDS)
		return -EINVAL;
	pl = calloc(1, sizeof(*pl));
	if (pl == NULL)
		return -ENOMEM;
	pl->conf = *conf;
	ops.ctx = pl;
	for (unsigned t = 0; t < VSW_PL_TABLES; t++)
		if (vsw_cls_create(&ops, &pl->cls[t]) != 0) {
			vsw_pl_destroy(pl);
			return -ENOMEM;
		}
	*out = pl;
	return 0;
}

static void
map_free_all(struct idmap *m)
{
	if (m == NULL)
		return;
	for (uint32_t i = 0; i < m->n; i++)
		free(m->e[i].obj);
	free(m);
}

void
vsw_pl_destroy(struct vsw_pl *pl)
{
	if (pl == NULL)
		return;
	if (pl->txn)
		vsw_pl_abort(pl);
	run_deferred(pl, true);
	for (unsigned t = 0; t < VSW_PL_TABLES; t++)
		vsw_cls_destroy(pl->cls[t]);
	run_deferred(pl, true);
	map_free_all(pl->groups);
	map_free_all(pl->meters);
	free(pl->undo);
	free(pl);
}

/* ---- Transactions ---- */

int
vsw_pl_begin(struct vsw_pl *pl, uint64_t now_ns)
{
	if (pl->txn)
		return -EBUSY;
	pl->txn = true;
	pl->txn_version = vsw_cls_version_read(&pl->version) + 1;
	pl->now_ns = now_ns;
	pl->n_undo = 0;
	return 0;
}

static void
free_cb(void *p)
{
	free(p);
}

uint64_t
vsw_pl_commit(struct vsw_pl *pl)
{
	struct idmap *old_g = NULL, *old_m = NULL;

	if (!pl->txn)
		return 0;
	if (pl->groups_next != NULL) {
		old_g = pl->groups;
		__atomic_store_n(&pl->groups, pl->groups_next, __ATOMIC_RELEASE);
		pl->groups_next = NULL;
	}
	if (pl->meters_next != NULL) {
		old_m = pl->meters;
		__atomic_store_n(&pl->meters, pl->meters_next, __ATOMIC_RELEASE);
		pl->meters_next = NULL;
	}
	vsw_cls_version_publish(&pl->version, pl->txn_version);
	for (unsigned t = 0; t < VSW_PL_TABLES; t++)
		vsw_cls_retire(pl->cls[t], pl->txn_version);
	if (old_g != NULL)
		pl_defer(pl, free_cb, old_g);
	if (old_m != NULL)
		pl_defer(pl, free_cb, old_m);
	for (size_t i = 0; i < pl->n_undo; i++)
		if (pl->undo[i].kind == UNDO_DEL_OBJ)
			pl_defer(pl, free_cb, pl->undo[i].obj);
	pl->n_undo = 0;
	pl->txn = false;
	return pl->conf.qs != NULL ? qsbr_token(pl) : 0;
}

/* Undoes the flow changes logged after 'mark', newest first. */
static void
undo_to(struct vsw_pl *pl, size_t mark)
{
	for (size_t i = pl->n_undo; i-- > mark;) {
		struct undo *u = &pl->undo[i];
		struct vsw_pl_flow *f = u->obj;

		switch (u->kind) {
		case UNDO_INSERT:
			vsw_cls_remove(pl->cls[f->table_id], &f->rule, pl->txn_version);
			live_unlink(pl, f);
			break;
		case UNDO_REMOVE:
			vsw_cls_unremove(pl->cls[f->table_id], &f->rule);
			live_link(pl, f);
			break;
		case UNDO_NEW_OBJ:
			free(u->obj);
			break;
		case UNDO_DEL_OBJ:
			break;
		}
	}
	pl->n_undo = mark;
}

void
vsw_pl_abort(struct vsw_pl *pl)
{
	if (!pl->txn)
		return;
	undo_to(pl, 0);
	free(pl->groups_next);
	free(pl->meters_next);
	pl->groups_next = pl->meters_next = NULL;
	pl->txn = false;
	/* Flows inserted and removed in the unpublished version are never
	 * visible; they are freed once a later commit publishes it (or by
	 * vsw_pl_destroy). */
}

/* ---- Flow mods ---- */

struct collect {
	struct vsw_pl_flow **v;
	size_t n, cap;
	const struct vsw_pl_flow_mod *fm;
	bool failed;
};

static bool
collect_cb(struct vsw_cls_rule *rule, void *arg)
{
	struct collect *c = arg;
	struct vsw_pl_flow *f = container_of(rule, struct vsw_pl_flow, rule);
	const struct vsw_pl_flow_mod *fm = c->fm;

	if ((f->cookie & fm->cookie_mask) != (fm->cookie & fm->cookie_mask))
		return true;
	if ((fm->cmd == VSW_PL_DELETE || fm->cmd == VSW_PL_DELETE_STRICT) &&
	    !vsw_act_prog_outputs_to(vsw_cls_rule_actions(rule), fm->out_port, fm->out_group))
		return true;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct vsw_pl_flow **v = realloc(c->v, cap * sizeof(*v));

		if (v == NULL) {
			c->failed = true;
			return false;
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = f;
	return true;
}

static int
collect(struct vsw_pl *pl, const struct vsw_pl_flow_mod *fm, uint8_t table, bool strict,
	struct collect *c)
{
	c->fm = fm;
	vsw_cls_find(pl->cls[table], pl->txn_version,
		     strict ? VSW_CLS_FIND_STRICT : VSW_CLS_FIND_LOOSE, &fm->key, &fm->mask,
		     fm->priority, collect_cb, c);
	return c->failed ? -ENOMEM : 0;
}

/* In the open transaction, 'nf' (initialised) takes the place of 'old'. */
static enum vsw_act_err
flow_replace(struct vsw_pl *pl, struct vsw_pl_flow *old, struct vsw_pl_flow *nf)
{
	if (undo_reserve(pl, 2) != 0 ||
	    vsw_cls_replace(pl->cls[old->table_id], &old->rule, &nf->rule, pl->txn_version) != 0)
		return VSW_ACT_E_NOMEM;
	undo_push(pl, UNDO_INSERT, nf);
	undo_push(pl, UNDO_REMOVE, old);
	live_unlink(pl, old);
	live_link(pl, nf);
	return VSW_ACT_OK;
}

static void
carry_counts(struct vsw_pl_flow *nf, const struct vsw_pl_flow *old)
{
	vsw_pl_flow_stats(old, &nf->base_packets, &nf->base_bytes, &nf->base_used);
}

static enum vsw_act_err
flow_add(struct vsw_pl *pl, const struct vsw_pl_flow_mod *fm)
{
	struct collect c = {0};
	struct vsw_act_env env;
	struct vsw_act_prog *prog;
	struct vsw_pl_flow *f;
	enum vsw_act_err e;

	if (fm->table_id >= VSW_PL_TABLES)
		return VSW_ACT_E_BAD_TABLE;
	env_init(pl, &env, &fm->key, &fm->mask, fm->table_id);
	e = vsw_act_compile(&fm->insts, &env, &prog);
	if (e != VSW_ACT_OK)
		return e;
	if ((fm->flags & VSW_PL_FF_CHECK_OVERLAP) &&
	    vsw_cls_overlaps(pl->cls[fm->table_id], pl->txn_version, &fm->key, &fm->mask,
			     fm->priority, NULL)) {
		free(prog);
		return VSW_ACT_E_OVERLAP;
	}
	f = flow_alloc(pl);
	if (f == NULL)
		goto err_prog;
	vsw_cls_rule_init(&f->rule, &fm->key, &fm->mask, fm->priority, prog);
	f->cookie = fm->cookie;
	f->flags = fm->flags;
	f->idle_timeout = fm->idle_timeout;
	f->hard_timeout = fm->hard_timeout;
	f->table_id = fm->table_id;
	f->created_ns = pl->now_ns;

	/* An identical flow is replaced; OVS keeps its counters unless
	 * RESET_COUNTS. */
	struct vsw_pl_flow_mod strict = *fm;

	strict.cookie_mask = 0;
	strict.cmd = VSW_PL_MODIFY_STRICT;
	if (collect(pl, &strict, fm->table_id, true, &c) != 0)
		goto err_flow;
	if (c.n > 0) {
		if (!(fm->flags & VSW_PL_FF_RESET_COUNTS))
			carry_counts(f, c.v[0]);
		e = flow_replace(pl, c.v[0], f);
		free(c.v);
		if (e != VSW_ACT_OK)
			goto err_flow;
		return VSW_ACT_OK;
	}
	free(c.v);
	if (undo_reserve(pl, 1) != 0 ||
	    vsw_cls_insert(pl->cls[fm->table_id], &f->rule, pl->txn_version) != 0)
		goto err_flow;
	undo_push(pl, UNDO_INSERT, f);
	live_link(pl, f);
	return VSW_ACT_OK;

err_flow:
	free(f);
err_prog:
	free(prog);
	return VSW_ACT_E_NOMEM;
}

static enum vsw_act_err
flow_modify(struct vsw_pl *pl, const struct vsw_pl_flow_mod *fm)
{
	struct collect c = {0};
	struct vsw_act_env env;
	struct vsw_act_prog *prog;
	enum vsw_act_err e;
	size_t size;

	if (fm->table_id >= VSW_PL_TABLES)
		return VSW_ACT_E_BAD_TABLE;
	env_init(pl, &env, &fm->key, &fm->mask, fm->table_id);
	e = vsw_act_compile(&fm->insts, &env, &prog);
	if (e != VSW_ACT_OK)
		return e;
	size = sizeof(*prog) + ((size_t)prog->n_apply + prog->n_write) * sizeof(prog->ops[0]);
	if (collect(pl, fm, fm->table_id, fm->cmd == VSW_PL_MODIFY_STRICT, &c) != 0) {
		e = VSW_ACT_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < c.n; i++) {
		struct vsw_pl_flow *old = c.v[i], *nf = flow_alloc(pl);
		struct vsw_act_prog *p = malloc(size);

		if (nf == NULL || p == NULL) {
			free(nf);
			free(p);
			e = VSW_ACT_E_NOMEM;
			goto out;
		}
		memcpy(p, prog, size);
		vsw_cls_rule_init(&nf->rule, &old->rule.key, &old->rule.mask, old->rule.priority,
				  p);
		nf->cookie = old->cookie;
		nf->flags = old->flags;
		nf->idle_timeout = old->idle_timeout;
		nf->hard_timeout = old->hard_timeout;
		nf->table_id = old->table_id;
		nf->created_ns = old->created_ns;
		if (!(fm->flags & VSW_PL_FF_RESET_COUNTS))
			carry_counts(nf, old);
		e = flow_replace(pl, old, nf);
		if (e != VSW_ACT_OK) {
			free(nf);
			free(p);
			goto out;
		}
	}
out:
	free(c.v);
	free(prog);
	return e;
}

static enum vsw_act_err
flow_delete(struct vsw_pl *pl, const struct vsw_pl_flow_mod *fm, vsw_pl_removed_fn fn, void *arg)
{
	unsigned t0 = fm->table_id, t1 = fm->table_id + 1u;
	enum vsw_act_err e = VSW_ACT_OK;

	if (fm->table_id == VSW_PL_TABLE_ALL) {
		t0 = 0;
		t1 = VSW_PL_TABLES;
	} else if (fm->table_id >= VSW_PL_TABLES) {
		return VSW_ACT_E_BAD_TABLE;
	}
	for (unsigned t = t0; t < t1 && e == VSW_ACT_OK; t++) {
		struct collect c = {0};

		if (collect(pl, fm, (uint8_t)t, fm->cmd == VSW_PL_DELETE_STRICT, &c) != 0)
			e = VSW_ACT_E_NOMEM;
		for (size_t i = 0; i < c.n && e == VSW_ACT_OK; i++)
			if (flow_remove(pl, c.v[i], VSW_PL_RM_DELETE, fn, arg) != 0)
				e = VSW_ACT_E_NOMEM;
		free(c.v);
	}
	return e;
}

enum vsw_act_err
vsw_pl_flow_mod(struct vsw_pl *pl, const struct vsw_pl_flow_mod *fm, vsw_pl_removed_fn removed,
		void *arg)
{
	size_t mark = pl->n_undo;
	enum vsw_act_err e;

	if (!pl->txn)
		return VSW_ACT_E_NO_TXN;
	switch (fm->cmd) {
	case VSW_PL_ADD:
		e = flow_add(pl, fm);
		break;
	case VSW_PL_MODIFY:
	case VSW_PL_MODIFY_STRICT:
		e = flow_modify(pl, fm);
		break;
	case VSW_PL_DELETE:
	case VSW_PL_DELETE_STRICT:
		e = flow_delete(pl, fm, removed, arg);
		break;
	default:
		e = VSW_ACT_E_BAD_COMMAND;
		break;
	}
	if (e != VSW_ACT_OK)
		undo_to(pl, mark); /* a delete may have reported flows it now keeps */
	return e;
}

/* Removes the live flows 'pred' selects. */
static enum vsw_act_err
remove_where(struct vsw_pl *pl, bool (*pred)(const struct vsw_pl_flow *f, uint32_t id), uint32_t id,
	     enum vsw_pl_rm_reason why, vsw_pl_removed_fn fn, void *arg)
{
	struct vsw_pl_flow *f, *next;

	for (f = pl->live; f != NULL; f = next) {
		next = f->live_next;
		if (pred(f, id) && flow_remove(pl, f, why, fn, arg) != 0)
			return VSW_ACT_E_NOMEM;
	}
	return VSW_ACT_OK;
}

/* ---- Groups ---- */

static bool
uses_group(const struct vsw_pl_flow *f, uint32_t id)
{
	return vsw_act_prog_uses_group(vsw_cls_rule_actions(&f->rule), id);
}

static bool
uses_meter(const struct vsw_pl_flow *f, uint32_t id)
{
	const struct vsw_act_prog *p = vsw_cls_rule_actions(&f->rule);

	return p->meter_id == id;
}

/* True if 'from' reaches group 'target' through group actions (depth-bounded). */
static bool
group_reaches(const struct vsw_pl *pl, uint32_t from, uint32_t target, unsigned depth)
{
	const struct vsw_pl_group *g;

	if (from == target)
		return true;
	g = writer_find(pl, true, from);
	if (g == NULL || depth > VSW_PL_GROUP_DEPTH)
		return depth > VSW_PL_GROUP_DEPTH;
	for (unsigned b = 0; b < g->n_buckets; b++)
		for (unsigned i = 0; i < g->b[b].n_acts; i++) {
			const struct vsw_act *a = &g->acts[g->b[b].first + i];

			if (a->type == VSW_ACT_GROUP &&
			    group_reaches(pl, a->u32, target, depth + 1))
				return true;
		}
	return false;
}

/* The group's totals (its base included) and, if 'buckets', each bucket's. */
static void
group_totals(const struct vsw_pl_group *g, struct vsw_pl_gcount *total,
	     struct vsw_pl_gcount *buckets)
{
	*total = g->base;
	if (buckets != NULL)
		memset(buckets, 0, g->n_buckets * sizeof(buckets[0]));
	for (unsigned p = 0; p < g->n_pmds; p++) {
		const struct vsw_pl_gcount *r = &g->stats[(size_t)p * g->row];

		total->packets += __atomic_load_n(&r[0].packets, __ATOMIC_RELAXED);
		total->bytes += __atomic_load_n(&r[0].bytes, __ATOMIC_RELAXED);
		for (unsigned i = 0; buckets != NULL && i < g->n_buckets; i++) {
			buckets[i].packets += __atomic_load_n(&r[1 + i].packets, __ATOMIC_RELAXED);
			buckets[i].bytes += __atomic_load_n(&r[1 + i].bytes, __ATOMIC_RELAXED);
		}
	}
}

/* A group with 'n_acts' actions and its counters, a multiple of 64 bytes. */
static size_t
group_size(size_t n_acts, unsigned n_pmds, unsigned row)
{
	size_t head =
		(sizeof(struct vsw_pl_group) + n_acts * sizeof(struct vsw_act) + 63) & ~(size_t)63;

	return head + (size_t)n_pmds * row * sizeof(struct vsw_pl_gcount);
}

static enum vsw_act_err
group_build(struct vsw_pl *pl, const struct vsw_pl_group_mod *gm, struct vsw_pl_group **out)
{
	struct vsw_act_env env;
	struct vsw_pl_group *g;
	size_t n_acts = 0;
	unsigned row;

	if (gm->type > VSW_PL_GROUP_FF)
		return VSW_ACT_E_BAD_GROUP_TYPE;
	if (gm->n_buckets > VSW_PL_MAX_BUCKETS ||
	    (gm->type == VSW_PL_GROUP_INDIRECT && gm->n_buckets != 1))
		return VSW_ACT_E_INVALID_GROUP;
	env_init(pl, &env, NULL, NULL, 0);
	for (size_t b = 0; b < gm->n_buckets; b++) {
		const struct vsw_pl_bucket_spec *s = &gm->buckets[b];
		enum vsw_act_err e = vsw_act_validate_list(s->acts, s->n_acts, &env);

		if (e != VSW_ACT_OK)
			return e;
		if (gm->type == VSW_PL_GROUP_FF && s->watch_port == VSW_ACT_PORT_ANY &&
		    s->watch_group == VSW_ACT_GROUP_ANY)
			return VSW_ACT_E_BAD_WATCH;
		for (size_t i = 0; i < s->n_acts; i++)
			if (s->acts[i].type == VSW_ACT_GROUP &&
			    group_reaches(pl, s->acts[i].u32, gm->group_id, 0))
				return VSW_ACT_E_GROUP_LOOP;
		n_acts += s->n_acts;
	}
	row = (1 + gm->n_buckets + 3) & ~3u; /* 64-byte rows */
	g = aligned_alloc(64, group_size(n_acts, pl->conf.n_pmds, row));
	if (g == NULL)
		return VSW_ACT_E_NOMEM;
	memset(g, 0, group_size(n_acts, pl->conf.n_pmds, row));
	g->n_pmds = pl->conf.n_pmds;
	g->row = row;
	g->stats = (struct vsw_pl_gcount *)(void *)((char *)g + group_size(n_acts, 0, 0));
	g->created_ns = pl->now_ns;
	g->id = gm->group_id;
	g->type = gm->type;
	g->n_buckets = (uint16_t)gm->n_buckets;
	n_acts = 0;
	for (size_t b = 0; b < gm->n_buckets; b++) {
		const struct vsw_pl_bucket_spec *s = &gm->buckets[b];

		g->b[b].weight = gm->type == VSW_PL_GROUP_SELECT ? s->weight : 1;
		g->b[b].watch_port = s->watch_port;
		g->b[b].watch_group = s->watch_group;
		g->b[b].first = (uint16_t)n_acts;
		g->b[b].n_acts = (uint16_t)s->n_acts;
		vsw_act_compile_list(s->acts, s->n_acts, &env, &g->acts[n_acts]);
		n_acts += s->n_acts;
	}
	*out = g;
	return VSW_ACT_OK;
}

/* Deletes group (or meter) 'id' and the flows that use it, in the open
 * transaction. A missing id is not an error (OF 1.3 §6.5). */
static enum vsw_act_err
obj_delete(struct vsw_pl *pl, bool group, uint32_t id, vsw_pl_removed_fn fn, void *arg)
{
	struct idmap *m;
	void *obj = writer_find(pl, group, id);

	if (obj == NULL)
		return VSW_ACT_OK;
	m = group ? map_writable(pl, &pl->groups, &pl->groups_next, 0)
		  : map_writable(pl, &pl->meters, &pl->meters_next, 0);
	if (m == NULL || undo_reserve(pl, 1) != 0)
		return VSW_ACT_E_NOMEM;
	if (remove_where(pl, group ? uses_group : uses_meter, id,
			 group ? VSW_PL_RM_GROUP_DELETE : VSW_PL_RM_METER_DELETE, fn,
			 arg) != VSW_ACT_OK)
		return VSW_ACT_E_NOMEM;
	map_erase(m, id);
	undo_push(pl, UNDO_DEL_OBJ, obj);
	return VSW_ACT_OK;
}

/* Puts a new group (or meter) 'obj' with id 'id' into the open transaction,
 * replacing the one that 'exists'; undone by an abort. Frees 'obj' on error. */
static enum vsw_act_err
obj_put(struct vsw_pl *pl, bool group, uint32_t id, void *obj, bool exists)
{
	struct idmap *m = group ? map_writable(pl, &pl->groups, &pl->groups_next, 1)
				: map_writable(pl, &pl->meters, &pl->meters_next, 1);

	if (m == NULL || undo_reserve(pl, 2) != 0) {
		free(obj);
		return VSW_ACT_E_NOMEM;
	}
	undo_push(pl, UNDO_NEW_OBJ, obj);
	if (exists)
		undo_push(pl, UNDO_DEL_OBJ, map_replace(m, id, obj));
	else
		map_insert(m, id, obj);
	return VSW_ACT_OK;
}

static enum vsw_act_err
group_delete(struct vsw_pl *pl, uint32_t id, vsw_pl_removed_fn fn, void *arg)
{
	return obj_delete(pl, true, id, fn, arg);
}

enum vsw_act_err
vsw_pl_group_mod(struct vsw_pl *pl, const struct vsw_pl_group_mod *gm, vsw_pl_removed_fn removed,
		 void *arg)
{
	struct vsw_pl_group *g = NULL;
	enum vsw_act_err e;
	bool exists;

	if (!pl->txn)
		return VSW_ACT_E_NO_TXN;
	if (gm->cmd == VSW_PL_MOD_DELETE) {
		if (gm->group_id == VSW_ACT_GROUP_ANY) {
			const struct idmap *cur = pl->groups_next ? pl->groups_next : pl->groups;

			while (cur != NULL && cur->n > 0) {
				e = group_delete(pl, cur->e[0].id, removed, arg);
				if (e != VSW_ACT_OK)
					return e;
				cur = pl->groups_next;
			}
			return VSW_ACT_OK;
		}
		return group_delete(pl, gm->group_id, removed, arg);
	}
	if (gm->group_id > VSW_ACT_GROUP_MAX)
		return VSW_ACT_E_INVALID_GROUP;
	exists = writer_find(pl, true, gm->group_id) != NULL;
	if (gm->cmd == VSW_PL_MOD_ADD && exists)
		return VSW_ACT_E_GROUP_EXISTS;
	if (gm->cmd == VSW_PL_MOD_MODIFY && !exists)
		return VSW_ACT_E_UNKNOWN_GROUP;
	if (gm->cmd != VSW_PL_MOD_ADD && gm->cmd != VSW_PL_MOD_MODIFY)
		return VSW_ACT_E_BAD_COMMAND;
	e = group_build(pl, gm, &g);
	if (e != VSW_ACT_OK)
		return e;
	if (exists) { /* the group's counters go on; its buckets' start again */
		const struct vsw_pl_group *old = writer_find(pl, true, gm->group_id);

		g->created_ns = old->created_ns;
		group_totals(old, &g->base, NULL);
	}
	return obj_put(pl, true, g->id, g, exists);
}

/* ---- Meters ---- */

static enum vsw_act_err
meter_build(struct vsw_pl *pl, const struct vsw_pl_meter_mod *mm, struct vsw_pl_meter **out)
{
	bool kbps = mm->flags & VSW_PL_METER_KBPS, pktps = mm->flags & VSW_PL_METER_PKTPS;
	struct vsw_pl_meter *mt;
	uint64_t tol;

	if (kbps == pktps || (mm->flags & ~(VSW_PL_METER_KBPS | VSW_PL_METER_PKTPS |
					    VSW_PL_METER_BURST | VSW_PL_METER_STATS)))
		return VSW_ACT_E_BAD_FLAGS;
	if (mm->rate == 0)
		return VSW_ACT_E_BAD_RATE;
	mt = calloc(1, sizeof(*mt) + pl->conf.n_pmds * sizeof(mt->stats[0]));
	if (mt == NULL)
		return VSW_ACT_E_NOMEM;
	mt->id = mm->meter_id;
	mt->flags = mm->flags;
	mt->rate = mm->rate;
	mt->burst = mm->burst;
	mt->n_pmds = pl->conf.n_pmds;
	if (pktps) {
		mt->pkt_ns = RTE_MAX(UINT64_C(1), UINT64_C(1000000000) / mm->rate);
		tol = (mm->flags & VSW_PL_METER_BURST) && mm->burst != 0
			      ? (uint64_t)mm->burst * 1000000000 / mm->rate
			      : 10000000; /* 10 ms */
		mt->tol_ns = RTE_MAX(tol, 2 * mt->pkt_ns);
	} else {
		uint64_t mtu = (uint64_t)2 * 1500 * 8 * 1000000 / mm->rate;

		tol = (mm->flags & VSW_PL_METER_BURST) && mm->burst != 0
			      ? (uint64_t)mm->burst * 1000000000 / mm->rate
			      : 10000000;
		mt->tol_ns = RTE_MAX(tol, mtu);
	}
	*out = mt;
	return VSW_ACT_OK;
}

static enum vsw_act_err
meter_delete(struct vsw_pl *pl, uint32_t id, vsw_pl_removed_fn fn, void *arg)
{
	return obj_delete(pl, false, id, fn, arg);
}

enum vsw_act_err
vsw_pl_meter_mod(struct vsw_pl *pl, const struct vsw_pl_meter_mod *mm, vsw_pl_removed_fn removed,
		 void *arg)
{
	struct vsw_pl_meter *mt = NULL;
	enum vsw_act_err e;
	bool exists;

	if (!pl->txn)
		return VSW_ACT_E_NO_TXN;
	if (mm->cmd == VSW_PL_MOD_DELETE) {
		if (mm->meter_id == 0xffffffffu) {
			const struct idmap *cur = pl->meters_next ? pl->meters_next : pl->meters;

			while (cur != NULL && cur->n > 0) {
				e = meter_delete(pl, cur->e[0].id, removed, arg);
				if (e != VSW_ACT_OK)
					return e;
				cur = pl->meters_next;
			}
			return VSW_ACT_OK;
		}
		return meter_delete(pl, mm->meter_id, removed, arg);
	}
	if (mm->meter_id == 0 || mm->meter_id > 0xffff0000u)
		return VSW_ACT_E_INVALID_METER;
	exists = writer_find(pl, false, mm->meter_id) != NULL;
	if (mm->cmd == VSW_PL_MOD_ADD && exists)
		return VSW_ACT_E_METER_EXISTS;
	if (mm->cmd == VSW_PL_MOD_MODIFY && !exists)
		return VSW_ACT_E_UNKNOWN_METER;
	if (mm->cmd != VSW_PL_MOD_ADD && mm->cmd != VSW_PL_MOD_MODIFY)
		return VSW_ACT_E_BAD_COMMAND;
	e = meter_build(pl, mm, &mt);
	if (e != VSW_ACT_OK)
		return e;
	return obj_put(pl, false, mt->id, mt, exists);
}

int
vsw_pl_group_stats(struct vsw_pl *pl, uint32_t group_id, uint64_t now_ns,
		   struct vsw_pl_group_stats *st)
{
	const struct vsw_pl_group *g = writer_find(pl, true, group_id);
	struct vsw_pl_gcount total, b[VSW_PL_MAX_BUCKETS];

	if (g == NULL)
		return -ENOENT;
	group_totals(g, &total, b);
	st->packets = total.packets;
	st->bytes = total.bytes;
	st->duration_ns = now_ns > g->created_ns ? now_ns - g->created_ns : 0;
	st->n_buckets = g->n_buckets;
	for (unsigned i = 0; i < g->n_buckets; i++) {
		st->bucket_packets[i] = b[i].packets;
		st->bucket_bytes[i] = b[i].bytes;
	}
	return 0;
}

int
vsw_pl_meter_stats(struct vsw_pl *pl, uint32_t meter_id, uint64_t *packets, uint64_t *bytes,
		   uint64_t *dropped)
{
	const struct vsw_pl_meter *mt = vsw_pl_map_find(pl->meters, meter_id);
	uint64_t p = 0, b = 0, d = 0;

	if (mt == NULL)
		return -ENOENT;
	for (unsigned i = 0; i < mt->n_pmds; i++) {
		p += __atomic_load_n(&mt->stats[i].packets, __ATOMIC_RELAXED);
		b += __atomic_load_n(&mt->stats[i].bytes, __ATOMIC_RELAXED);
		d += __atomic_load_n(&mt->stats[i].dropped, __ATOMIC_RELAXED);
	}
	*packets = p;
	*bytes = b;
	*dropped = d;
	return 0;
}

/* ---- Timeouts, dumps ---- */

int
vsw_pl_expire(struct vsw_pl *pl, uint64_t now_ns, vsw_pl_removed_fn removed, void *arg)
{
	struct vsw_pl_flow *f, *next;
	int n = 0;

	if (vsw_pl_begin(pl, now_ns) != 0)
		return -EBUSY;
	for (f = pl->live; f != NULL; f = next) {
		uint64_t used, idle_from;
		int why = -1;

		next = f->live_next;
		vsw_pl_flow_stats(f, NULL, NULL, &used);
		idle_from = RTE_MAX(used, f->created_ns);
		if (f->hard_timeout != 0 &&
		    now_ns - f->created_ns >= (uint64_t)f->hard_timeout * 1000000000)
			why = VSW_PL_RM_HARD_TIMEOUT;
		else if (f->idle_timeout != 0 && now_ns >= idle_from &&
			 now_ns - idle_from >= (uint64_t)f->idle_timeout * 1000000000)
			why = VSW_PL_RM_IDLE_TIMEOUT;
		if (why < 0)
			continue;
		if (flow_remove(pl, f, (enum vsw_pl_rm_reason)why, removed, arg) != 0)
			break;
		n++;
	}
	vsw_pl_commit(pl);
	return n;
}

size_t
vsw_pl_flow_foreach(struct vsw_pl *pl, uint8_t table_id,
		    void (*fn)(const struct vsw_pl_flow *f, void *arg), void *arg)
{
	size_t n = 0;

	for (const struct vsw_pl_flow *f = pl->live; f != NULL; f = f->live_next)
		if (table_id == VSW_PL_TABLE_ALL || f->table_id == table_id) {
			fn(f, arg);
			n++;
		}
	return n;
}

unsigned
vsw_pl_n_flows(const struct vsw_pl *pl)
{
	return pl->n_flows;
}

void
vsw_pl_group_foreach(struct vsw_pl *pl,
		     void (*fn)(const struct vsw_pl_group_mod *gm, unsigned ref_count, void *arg),
		     void *arg)
{
	const struct idmap *m = pl->groups_next ? pl->groups_next : pl->groups;
	struct vsw_pl_bucket_spec b[VSW_PL_MAX_BUCKETS];

	for (uint32_t i = 0; m != NULL && i < m->n; i++) {
		const struct vsw_pl_group *g = m->e[i].obj;
		struct vsw_pl_group_mod gm = {.cmd = VSW_PL_MOD_ADD,
					      .type = g->type,
					      .group_id = g->id,
					      .buckets = b,
					      .n_buckets = g->n_buckets};
		unsigned refs = 0;

		for (unsigned j = 0; j < g->n_buckets; j++)
			b[j] = (struct vsw_pl_bucket_spec){.weight = g->b[j].weight,
							   .watch_port = g->b[j].watch_port,
							   .watch_group = g->b[j].watch_group,
							   .acts = &g->acts[g->b[j].first],
							   .n_acts = g->b[j].n_acts};
		for (const struct vsw_pl_flow *f = pl->live; f != NULL; f = f->live_next)
			refs += uses_group(f, g->id);
		fn(&gm, refs, arg);
	}
}

void
vsw_pl_meter_foreach(struct vsw_pl *pl,
		     void (*fn)(const struct vsw_pl_meter_mod *mm, unsigned flow_count, void *arg),
		     void *arg)
{
	const struct idmap *m = pl->meters_next ? pl->meters_next : pl->meters;

	for (uint32_t i = 0; m != NULL && i < m->n; i++) {
		const struct vsw_pl_meter *mt = m->e[i].obj;
		struct vsw_pl_meter_mod mm = {.cmd = VSW_PL_MOD_ADD,
					      .flags = mt->flags,
					      .meter_id = mt->id,
					      .rate = mt->rate,
					      .burst = mt->burst};
		unsigned refs = 0;

		for (const struct vsw_pl_flow *f = pl->live; f != NULL; f = f->live_next)
			refs += uses_meter(f, mt->id);
		fn(&mm, refs, arg);
	}
}
