/* The flow syntax's actions (ofl_syntax.h): the list after "actions=", one
 * row per action or instruction name, into the FLOW_MOD's instructions in
 * their 1.3.5 §5.9 order. Each action is checked by the codec's own rules
 * (ofl_action_validate) as soon as it is built, and set-fields against the
 * match, so a refusal names its word. Called by ofl_syntax.c once the match
 * is complete. */
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>

#include "ofl_syntax_priv.h"

/* Instructions in the order they must come (§5.9), the apply actions second. */
enum stage { ST_METER, ST_APPLY, ST_CLEAR, ST_WRITE, ST_METADATA, ST_GOTO, ST__MAX };
static const char *const stage_names[ST__MAX] = {
	"meter", "actions", "clear_actions", "write_actions", "write_metadata", "goto_table",
};

struct act_list {
	struct ofl_actions *acts;
	struct syn_word words[OFL_MAX_ACTIONS]; /* the word of each action */
};

struct act_ctx {
	struct syn *s;
	int stage; /* the last instruction given; -1: none yet */
	bool have[ST__MAX];
	bool has_drop;
	struct syn_word drop; /* a copy: the word itself lives in parse_list() */
	unsigned n_words;
	struct act_list apply, write;
	struct act_list *cur; /* apply, or write inside write_actions(...) */
};

enum arg_kind { ARG_NONE, ARG_REQUIRED, ARG_OPTIONAL };

struct act_spec {
	const char *name;
	int (*fn)(struct act_ctx *c, const struct syn_word *w, char *arg,
		  const struct act_spec *sp);
	enum arg_kind arg;
	int stage;	  /* ST_APPLY for an action; else the instruction's */
	uint32_t val;	  /* the port of a reserved output, the OFPAT_* of simple actions */
	uint8_t field;	  /* mod_* set-fields */
	const char *form; /* the argument, for messages */
};

/* ---- building actions ---- */

static struct ofl_action *
new_action(struct act_ctx *c, const struct syn_word *w, uint16_t type)
{
	struct act_list *l = c->cur;
	struct ofl_action *a;

	if (l->acts->n >= OFL_MAX_ACTIONS) {
		syn_fail(c->s, w, "more than %u actions in a list", OFL_MAX_ACTIONS);
		return NULL;
	}
	l->words[l->acts->n] = *w;
	a = &l->acts->a[l->acts->n++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	return a;
}

/* The codec's rules for the action just built. */
static int
check_last(struct act_ctx *c, const struct syn_word *w)
{
	const struct ofl_actions *acts = c->cur->acts;
	const struct ofl_action *a = &acts->a[acts->n - 1];
	struct iovs_err e = {{0}};
	int rc = ofl_action_validate(a, OFL_CTX_FLOW, &e);

	if (rc == -(int)OFL_E_BAC_BAD_SET_ARGUMENT && a->type == OFPAT_SET_FIELD &&
	    a->set_field.field == OFPXMT_OFB_VLAN_VID)
		return syn_fail(
			c->s, w,
			"the vlan_vid value is the OXM one, 0x1000|VID (4196 for VID 100); or "
			"mod_vlan_vid:VID");
	return rc != 0 ? syn_fail(c->s, w, "%s", e.msg) : 0;
}

static int
num_arg(struct act_ctx *c, const struct syn_word *w, const char *arg, uint64_t max, uint64_t *v,
	const char *form)
{
	int rc = syn_uint(arg, max, v);

	if (rc == -ERANGE)
		return syn_fail(c->s, w, "out of range (%s, at most %" PRIu64 ")", form, max);
	return rc != 0 ? syn_fail(c->s, w, "not a number (%s)", form) : 0;
}

static int
output_to(struct act_ctx *c, const struct syn_word *w, uint32_t port, uint16_t max_len)
{
	struct ofl_action *a = new_action(c, w, OFPAT_OUTPUT);

	if (a == NULL)
		return -EINVAL;
	if (port == 0)
		return syn_fail(c->s, w, "port 0 does not exist (ports start at 1)");
	a->output.port = port;
	a->output.max_len = port == OFPP_CONTROLLER ? max_len : 0;
	return check_last(c, w);
}

static int
act_output(struct act_ctx *c, const struct syn_word *w, char *arg, const struct act_spec *sp)
{
	uint32_t port;

	(void)sp;
	if (syn_port(arg, &port) != 0 || port == OFPP_ANY)
		return syn_fail(c->s, w,
				"not a port (a number, or in_port, normal, flood, all, "
				"controller, local)");
	return output_to(c, w, port, OFPCML_NO_BUFFER);
}

static int
act_reserved(struct act_ctx *c, const struct syn_word *w, char *arg, const struct act_spec *sp)
{
	(void)arg;
	return output_to(c, w, sp->val, OFPCML_NO_BUFFER);
}

/* controller, controller:MAX_LEN, controller(max_len=MAX_LEN) */
static int
act_controller(struct act_ctx *c, const struct syn_word *w, char *arg, const struct act_spec *sp)
{
	uint64_t v = OFPCML_NO_BUFFER;
	int rc;

	(void)sp;
	if (arg != NULL) {
		if (strncasecmp(arg, "max_len=", 8) == 0)
			arg += 8;
		else if (strchr(arg, '=') != NULL)
			return syn_fail(c->s, w, "only max_len= is supported");
		rc = num_arg(c, w, arg, UINT16_MAX, &v, "controller:MAX_LEN");
		if (rc != 0)
			return rc;
	}
	return output_to(c, w, OFPP_CONTROLLER, (uint16_t)v);
}

static int
act_drop(struct act_ctx *c, const struct syn_word *w, char *arg, const struct act_spec *sp)
{
	(void)arg;
	(void)sp;
	if (c->cur == &c->write)
		return syn_fail(c->s, w, "not inside write_actions(): write_actions() is empty");
	c->drop = *w;
	c->has_drop = true;
	return 0;
}

static int
act_push_vlan(struct act_ctx *c, const struct syn_word *w, char *arg, const struct act_spec *sp)
{
	struct ofl_action *a;
	uint64_t v;
	int rc = num_arg(c, w, arg, UINT16_MAX, &v, "push_vlan:0x8100 or 0x88a8");

	(void)sp;
	if (rc != 0)
		return rc;
	a = new_action(c, w, OFPAT_PUSH_VLAN);
	if (a == NULL)
		return -EINVAL;
	a->ethertype = (uint16_t)v;
	return check_last(c, w);
}

static int
act_simple(struct act_ctx *c, const struct syn_word *w, char *arg, const struct act_spec *sp)
{
	(void)arg;
	return new_action(c, w, (uint16_t)sp->val) != NULL ? check_last(c, w) : -EINVAL;
}

static int
act_u32(struct act_ctx *c, const struct syn_word *w, char *arg, const struct act_spec *sp)
{
	struct ofl_action *a;
	uint64_t v;
	uint64_t max = sp->val == OFPAT_SET_NW_TTL ? 255 : UINT32_MAX;
	int rc = num_arg(c, w, arg, max, &v, sp->form);

	if (rc != 0)
		return rc;
	a = new_action(c, w, (uint16_t)sp->val);
	if (a == NULL)
		return -EINVAL;
	if (sp->val == OFPAT_SET_NW_TTL)
		a->ttl = (uint8_t)v;
	else if (sp->val == OFPAT_GROUP)
		a->group_id = (uint32_t)v;
	else
		a->queue_id = (uint32_t)v;
	return check_last(c, w);
}

/* A set-field of 'field' (OXM or SYN_*) with the value text 'val'. */
static int
set_field(struct act_ctx *c, const struct syn_word *w, uint8_t field, enum syn_fmt fmt,
	  uint32_t max, char *val)
{
	const char *need = NULL, *bad;
	struct ofl_action *a;
	struct ofl_oxm o;
	char why[96];
	bool all;
	int f = syn_resolve(c->s, field, &need);

	if (f < 0)
		return syn_fail(c->s, w, "needs %s in the match", need);
	if (!ofl_oxm_spec_of((uint8_t)f)->settable)
		return syn_fail(c->s, w, "%s cannot be set", syn_print_name((uint8_t)f, true));
	bad = syn_value((uint8_t)f, fmt, max, val, false, &o, &all, why);
	if (bad != NULL)
		return syn_fail(c->s, w, "%s", bad);
	a = new_action(c, w, OFPAT_SET_FIELD);
	if (a == NULL)
		return -EINVAL;
	a->set_field = o;
	return check_last(c, w);
}

/* set_field:VALUE->FIELD */
static int
act_set_field(struct act_ctx *c, const struct syn_word *w, char *arg, const struct act_spec *sp)
{
	char *arrow = strstr(arg, "->");
	const struct syn_name *nm;

	(void)sp;
	if (arrow == NULL)
		return syn_fail(c->s, w, "expected set_field:VALUE->FIELD");
	*arrow = '\0';
	nm = syn_name_find(arrow + 2, strlen(arrow + 2));
	if (nm == NULL)
		return syn_fail(c->s, w, "unknown field %s", arrow + 2);
	return set_field(c, w, nm->field, nm->fmt, nm->max, arg);
}

/* mod_dl_src:MAC, mod_nw_dst:IP, mod_tp_src:PORT ... */
static int
act_mod_field(struct act_ctx *c, const struct syn_word *w, char *arg, const struct act_spec *sp)
{
	return set_field(c, w, sp->field, syn_fmt_of(sp->field), 0, arg);
}

/* Is there a VLAN tag when the action being added runs? */
static bool
tagged(const struct act_ctx *c)
{
	bool pushed = ofl_actions_push_vlan(c->cur->acts) ||
		      (c->cur == &c->write && ofl_actions_push_vlan(c->apply.acts));

	return ofl_match_allows_set(&c->s->fm->match, OFPXMT_OFB_VLAN_VID, pushed);
}

/* mod_vlan_vid:VID, mod_vlan_pcp:PCP: push a tag first if there may be none,
 * as ovs-ofctl does. */
static int
act_mod_vlan(struct act_ctx *c, const struct syn_word *w, char *arg, const struct act_spec *sp)
{
	bool vid = sp->field == OFPXMT_OFB_VLAN_VID;
	struct ofl_action *a;
	uint64_t v;
	int rc = num_arg(c, w, arg, vid ? 4095 : 7, &v, sp->form);

	if (rc != 0)
		return rc;
	if (!tagged(c)) {
		a = new_action(c, w, OFPAT_PUSH_VLAN);
		if (a == NULL)
			return -EINVAL;
		a->ethertype = 0x8100;
	}
	a = new_action(c, w, OFPAT_SET_FIELD);
	if (a == NULL)
		return -EINVAL;
	a->set_field.field = sp->field;
	a->set_field.len = vid ? 2 : 1;
	if (vid) {
		a->set_field.value[0] = (uint8_t)((v | OFPVID_PRESENT) >> 8);
		a->set_field.value[1] = (uint8_t)v;
	} else {
		a->set_field.value[0] = (uint8_t)v;
	}
	return check_last(c, w);
}

/* ---- instructions ---- */

static int
ins_meter(struct act_ctx *c, const struct syn_word *w, char *arg, const struct act_spec *sp)
{
	uint64_t v;
	int rc = num_arg(c, w, arg, UINT32_MAX, &v, sp->form);

	if (rc != 0)
		return rc;
	if (v == 0 || (v > OFPM_MAX && v != OFPM_SLOWPATH && v != OFPM_CONTROLLER))
		return syn_fail(c->s, w, "not a meter id (1..%u)", OFPM_MAX);
	c->s->fm->ins.meter_id = (uint32_t)v;
	return 0;
}

static int
ins_goto(struct act_ctx *c, const struct syn_word *w, char *arg, const struct act_spec *sp)
{
	uint8_t from = c->s->fm->table_id;
	uint64_t v;
	int rc = num_arg(c, w, arg, OFPTT_MAX, &v, sp->form);

	if (rc != 0)
		return rc;
	if (v <= from)
		return syn_fail(c->s, w,
				"goes back from table %u: tables only go forward (1.3.5 §5.1)",
				from);
	c->s->fm->ins.goto_table = (uint8_t)v;
	return 0;
}

static int
ins_metadata(struct act_ctx *c, const struct syn_word *w, char *arg, const struct act_spec *sp)
{
	struct ofl_instructions *ins = &c->s->fm->ins;
	char *slash = strchr(arg, '/');
	uint64_t v, m = UINT64_MAX;
	int rc;

	if (slash != NULL)
		*slash = '\0';
	rc = num_arg(c, w, arg, UINT64_MAX, &v, sp->form);
	if (rc == 0 && slash != NULL)
		rc = num_arg(c, w, slash + 1, UINT64_MAX, &m, sp->form);
	if (rc != 0)
		return rc;
	ins->metadata = v & m;
	ins->metadata_mask = m;
	return 0;
}

static int
ins_clear(struct act_ctx *c, const struct syn_word *w, char *arg, const struct act_spec *sp)
{
	(void)c;
	(void)w;
	(void)arg;
	(void)sp;
	return 0;
}

static int parse_list(struct act_ctx *c, char *text, const char *orig);

static int
ins_write(struct act_ctx *c, const struct syn_word *w, char *arg, const struct act_spec *sp)
{
	int rc;

	(void)sp;
	if (c->cur == &c->write)
		return syn_fail(c->s, w, "write_actions() inside write_actions()");
	c->cur = &c->write;
	/* 'arg' sits inside the word's copy: its original is as far into the word. */
	rc = parse_list(c, arg, w->text + (arg - w->name));
	c->cur = &c->apply;
	return rc;
}

#define ACT(n, fn, arg, form)                                                                      \
	{                                                                                          \
		n, fn, arg, ST_APPLY, 0, 0, form                                                   \
	}
#define RES(n, port)                                                                               \
	{                                                                                          \
		n, act_reserved, ARG_NONE, ST_APPLY, port, 0, NULL                                 \
	}
#define TYPE(n, fn, arg, type, form)                                                               \
	{                                                                                          \
		n, fn, arg, ST_APPLY, type, 0, form                                                \
	}
#define MOD(n, fn, field, form)                                                                    \
	{                                                                                          \
		n, fn, ARG_REQUIRED, ST_APPLY, 0, OFPXMT_OFB_##field, form                         \
	}
#define INS(n, fn, arg, stage, form)                                                               \
	{                                                                                          \
		n, fn, arg, stage, 0, 0, form                                                      \
	}
static const struct act_spec specs[] = {
	ACT("output", act_output, ARG_REQUIRED, "output:PORT"),
	ACT("controller", act_controller, ARG_OPTIONAL, "controller[:MAX_LEN]"),
	RES("in_port", OFPP_IN_PORT),
	RES("normal", OFPP_NORMAL),
	RES("flood", OFPP_FLOOD),
	RES("all", OFPP_ALL),
	RES("local", OFPP_LOCAL),
	RES("table", OFPP_TABLE),
	ACT("drop", act_drop, ARG_NONE, NULL),
	ACT("push_vlan", act_push_vlan, ARG_REQUIRED, "push_vlan:0x8100"),
	TYPE("pop_vlan", act_simple, ARG_NONE, OFPAT_POP_VLAN, NULL),
	TYPE("strip_vlan", act_simple, ARG_NONE, OFPAT_POP_VLAN, NULL),
	TYPE("dec_ttl", act_simple, ARG_NONE, OFPAT_DEC_NW_TTL, NULL),
	TYPE("mod_nw_ttl", act_u32, ARG_REQUIRED, OFPAT_SET_NW_TTL, "mod_nw_ttl:TTL"),
	TYPE("set_nw_ttl", act_u32, ARG_REQUIRED, OFPAT_SET_NW_TTL, "set_nw_ttl:TTL"),
	TYPE("set_queue", act_u32, ARG_REQUIRED, OFPAT_SET_QUEUE, "set_queue:QUEUE"),
	TYPE("group", act_u32, ARG_REQUIRED, OFPAT_GROUP, "group:GROUP"),
	ACT("set_field", act_set_field, ARG_REQUIRED, "set_field:VALUE->FIELD"),
	MOD("mod_vlan_vid", act_mod_vlan, VLAN_VID, "mod_vlan_vid:0..4095"),
	MOD("mod_vlan_pcp", act_mod_vlan, VLAN_PCP, "mod_vlan_pcp:0..7"),
	MOD("mod_dl_src", act_mod_field, ETH_SRC, "mod_dl_src:MAC"),
	MOD("mod_dl_dst", act_mod_field, ETH_DST, "mod_dl_dst:MAC"),
	{"mod_nw_src", act_mod_field, ARG_REQUIRED, ST_APPLY, 0, SYN_NW_SRC, "mod_nw_src:IP"},
	{"mod_nw_dst", act_mod_field, ARG_REQUIRED, ST_APPLY, 0, SYN_NW_DST, "mod_nw_dst:IP"},
	{"mod_tp_src", act_mod_field, ARG_REQUIRED, ST_APPLY, 0, SYN_TP_SRC, "mod_tp_src:PORT"},
	{"mod_tp_dst", act_mod_field, ARG_REQUIRED, ST_APPLY, 0, SYN_TP_DST, "mod_tp_dst:PORT"},
	INS("meter", ins_meter, ARG_REQUIRED, ST_METER, "meter:METER"),
	INS("clear_actions", ins_clear, ARG_NONE, ST_CLEAR, NULL),
	INS("write_actions", ins_write, ARG_REQUIRED, ST_WRITE, "write_actions(ACTIONS)"),
	INS("write_metadata", ins_metadata, ARG_REQUIRED, ST_METADATA, "write_metadata:V[/MASK]"),
	INS("goto_table", ins_goto, ARG_REQUIRED, ST_GOTO, "goto_table:TABLE"),
};
#undef ACT
#undef RES
#undef TYPE
#undef MOD
#undef INS

/* ---- the list ---- */

/* Where 'sp' may come, given what came before. */
static int
check_stage(struct act_ctx *c, const struct syn_word *w, const struct act_spec *sp)
{
	if (c->cur == &c->write && sp->stage != ST_APPLY)
		return syn_fail(c->s, w,
				"an instruction, not an action: not inside write_actions()");
	if (c->cur == &c->write)
		return 0;
	if (sp->stage != ST_APPLY && c->have[sp->stage])
		return syn_fail(c->s, w, "%s given twice", stage_names[sp->stage]);
	if (c->stage > sp->stage || (c->stage == sp->stage && sp->stage != ST_APPLY))
		return syn_fail(c->s, w,
				"after %s: instructions go meter, actions, clear_actions, "
				"write_actions, write_metadata, goto_table",
				stage_names[c->stage]);
	c->stage = sp->stage;
	c->have[sp->stage] = true;
	return 0;
}

/* One word: NAME, NAME:ARG, NAME=ARG, NAME(ARG), or a port number. */
static int
one_action(struct act_ctx *c, struct syn_word *w)
{
	char *name = w->name, *arg = NULL;
	size_t nlen = strcspn(name, ":=(");
	const struct act_spec *sp = NULL;
	bool number;
	int rc;

	if (name[nlen] == '(') {
		size_t end = strlen(name) - 1;

		if (name[end] != ')')
			return syn_fail(c->s, w, "no closing parenthesis");
		name[end] = '\0';
		arg = name + nlen + 1;
	} else if (name[nlen] != '\0') {
		arg = name + nlen + 1;
	}
	number = arg == NULL && name[0] >= '0' && name[0] <= '9';
	if (number) {
		sp = &specs[0]; /* "2" is output:2 */
		arg = name;
	}
	for (size_t i = 0; sp == NULL && i < sizeof(specs) / sizeof(specs[0]); i++)
		if (strlen(specs[i].name) == nlen && strncasecmp(name, specs[i].name, nlen) == 0)
			sp = &specs[i];
	if (sp == NULL)
		return syn_fail(c->s, w, "unknown action");
	if (arg == NULL && sp->arg == ARG_REQUIRED)
		return syn_fail(c->s, w, "needs an argument: %s", sp->form);
	if (arg != NULL && sp->arg == ARG_NONE)
		return syn_fail(c->s, w, "%s takes no argument", sp->name);
	if (arg != NULL && *arg == '\0' && sp->fn != ins_write)
		return syn_fail(c->s, w, "empty argument: %s", sp->form);
	rc = check_stage(c, w, sp);
	if (rc == 0)
		rc = sp->fn(c, w, arg, sp);
	c->n_words++;
	return rc;
}

/* Cuts 'text' (writable; its original is 'orig') at commas and blanks
 * outside parentheses and handles each action word. */
static int
parse_list(struct act_ctx *c, char *text, const char *orig)
{
	char *p = text;

	for (;;) {
		struct syn_word w = {0};
		char *start;
		int depth = 0, rc;

		while (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			return 0;
		start = p;
		while (*p != '\0' && (depth > 0 || (*p != ',' && *p != ' ' && *p != '\t' &&
						    *p != '\n' && *p != '\r'))) {
			depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
			p++;
		}
		w.text = orig + (start - text);
		w.len = (size_t)(p - start);
		w.name = start;
		if (w.len > OFL_SYNTAX_MAX_WORD)
			return syn_fail(c->s, NULL, "%.40s...: a word longer than %u bytes", start,
					OFL_SYNTAX_MAX_WORD);
		if (depth != 0)
			return syn_fail(c->s, &w, "unbalanced parentheses");
		if (*p != '\0')
			*p++ = '\0';
		rc = one_action(c, &w);
		if (rc != 0)
			return rc;
	}
}

/* 7.2.5: set-fields against the match, prefix by prefix, so the refusal names
 * the action that first lacks its prerequisite. */
static int
check_consistent(struct act_ctx *c, struct act_list *l, bool ordered, bool pushed)
{
	struct ofl_actions *acts = l->acts;
	uint8_t n = acts->n;
	int rc = 0;

	for (uint8_t k = 1; k <= n && rc == 0; k++) {
		acts->n = k;
		if (ofl_actions_check_match(acts, &c->s->fm->match, ordered, pushed, NULL) != 0)
			rc = syn_fail(
				c->s, &l->words[k - 1],
				"the match does not guarantee the header this sets "
				"(add its prerequisite, e.g. ip or tcp; a tag for VLAN fields)");
	}
	acts->n = n;
	return rc;
}

int
syn_actions(struct syn *s)
{
	struct ofl_instructions *ins = &s->fm->ins;
	struct act_ctx *c = &(struct act_ctx){.s = s, .stage = -1};
	const char *orig = s->actions.text + (s->actions.val - s->actions.name);
	int rc;

	c->apply.acts = &ins->apply;
	c->write.acts = &ins->write;
	c->cur = &c->apply;
	rc = parse_list(c, s->actions.val, orig);
	if (rc != 0)
		return rc;
	if (c->n_words == 0)
		return syn_fail(s, &s->actions, "no action (actions=drop to drop)");
	if (c->has_drop && c->n_words > 1)
		return syn_fail(s, &c->drop, "drop must be the only action");
	rc = check_consistent(c, &c->apply, true, false);
	if (rc == 0)
		rc = check_consistent(c, &c->write, false,
				      ofl_actions_push_vlan(&ins->apply) ||
					      ofl_actions_push_vlan(&ins->write));
	if (rc != 0)
		return rc;
	/* The §5.9 order (the order they were accepted in). */
	ins->n = 0;
	if (c->have[ST_METER])
		ins->order[ins->n++] = OFPIT_METER;
	if (ins->apply.n > 0)
		ins->order[ins->n++] = OFPIT_APPLY_ACTIONS;
	if (c->have[ST_CLEAR])
		ins->order[ins->n++] = OFPIT_CLEAR_ACTIONS;
	if (c->have[ST_WRITE])
		ins->order[ins->n++] = OFPIT_WRITE_ACTIONS;
	if (c->have[ST_METADATA])
		ins->order[ins->n++] = OFPIT_WRITE_METADATA;
	if (c->have[ST_GOTO])
		ins->order[ins->n++] = OFPIT_GOTO_TABLE;
	return 0;
}
