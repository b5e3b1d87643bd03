/* Shared by the codec's unit tests (ofl_*_test.c): a byte builder for
 * hand-made messages, the captures of openflow/testdata/, host structs filled
 * with one of everything, and the round-trip and refusal checks. Each test
 * includes it once; what a test does not use is fine (hence the pragma).
 */
#ifndef OFL_TEST_UTIL_H
#define OFL_TEST_UTIL_H

#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ofl_msg.h"
#include "ofl_priv.h" /* the OXM table */
#include "ofl_wire.h"

#ifndef OFL_TESTDATA
#define OFL_TESTDATA "openflow/testdata"
#endif

/* Big objects live here, not on the stack. */
static struct ofl_msg M, M2;
static uint8_t OUT[70000], OUT2[70000];

/* --- A byte builder for hand-made messages --- */

struct tb {
	uint8_t b[70000];
	size_t n;
};
static struct tb T;

static void
p8(struct tb *t, uint8_t v)
{
	t->b[t->n++] = v;
}
static void
p16(struct tb *t, uint16_t v)
{
	p8(t, (uint8_t)(v >> 8));
	p8(t, (uint8_t)v);
}
static void
p32(struct tb *t, uint32_t v)
{
	p16(t, (uint16_t)(v >> 16));
	p16(t, (uint16_t)v);
}
static void
p64(struct tb *t, uint64_t v)
{
	p32(t, (uint32_t)(v >> 32));
	p32(t, (uint32_t)v);
}
static void
pz(struct tb *t, size_t n)
{
	memset(t->b + t->n, 0, n);
	t->n += n;
}
static void
set16(struct tb *t, size_t off, uint16_t v)
{
	t->b[off] = (uint8_t)(v >> 8);
	t->b[off + 1] = (uint8_t)v;
}
static void
pad8(struct tb *t, size_t start)
{
	while ((t->n - start) % 8)
		p8(t, 0);
}
static void
hdr(struct tb *t, uint8_t type, uint32_t xid)
{
	t->n = 0;
	p8(t, OFP13_VERSION);
	p8(t, type);
	p16(t, 0);
	p32(t, xid);
}
static void
fix_len(struct tb *t)
{
	set16(t, 2, (uint16_t)t->n);
}
static size_t
match_begin(struct tb *t)
{
	size_t s = t->n;

	p16(t, OFPMT_OXM);
	p16(t, 0);
	return s;
}
static void
match_end(struct tb *t, size_t s)
{
	set16(t, s + 2, (uint16_t)(t->n - s));
	pad8(t, s);
}
static void
oxm(struct tb *t, uint8_t field, uint8_t len, uint64_t v, int has_mask, uint64_t mask)
{
	p32(t, OXM_HEADER(field, has_mask, len * (has_mask ? 2 : 1)));
	for (int i = len - 1; i >= 0; i--)
		p8(t, i >= 8 ? 0 : (uint8_t)(v >> (8 * i)));
	if (has_mask)
		for (int i = len - 1; i >= 0; i--)
			p8(t, i >= 8 ? 0 : (uint8_t)(mask >> (8 * i)));
}
#define OXM_EXACT(t, f, len, v) oxm((t), OFPXMT_OFB_##f, (len), (v), 0, 0)

/* FLOW_MOD header and fixed part: add to table 0, priority 1, no buffer. */
static void
flow_mod_begin(struct tb *t, uint8_t command, uint8_t table)
{
	hdr(t, OFPT_FLOW_MOD, 7);
	p64(t, 0);
	p64(t, 0);
	p8(t, table);
	p8(t, command);
	p16(t, 0);
	p16(t, 0);
	p16(t, 1);
	p32(t, OFP_NO_BUFFER);
	p32(t, OFPP_ANY);
	p32(t, OFPG_ANY);
	p16(t, 0);
	p16(t, 0);
}
static size_t
inst_begin(struct tb *t, uint16_t type)
{
	size_t s = t->n;

	p16(t, type);
	p16(t, 0);
	pz(t, 4);
	return s;
}
static void
inst_end(struct tb *t, size_t s)
{
	set16(t, s + 2, (uint16_t)(t->n - s));
}
static void
act_output(struct tb *t, uint32_t port)
{
	p16(t, OFPAT_OUTPUT);
	p16(t, 16);
	p32(t, port);
	p16(t, 0xffff);
	pz(t, 6);
}
static void
act8(struct tb *t, uint16_t type, uint32_t arg)
{
	p16(t, type);
	p16(t, 8);
	p32(t, arg);
}

/* Decodes T; on refusal checks there is a message and an OpenFlow error. */
static int
decode_t(void)
{
	struct iovs_err err = {{0}};
	int rc;

	fix_len(&T);
	memset(&M, 0, sizeof(M));
	rc = ofl_decode(T.b, T.n, &M, &err);
	if (rc != 0) {
		assert_non_null(ofl_err_wire(rc));
		assert_true(err.msg[0] != '\0');
	}
	return rc;
}

/* A flow_mod with one match (built by 'fn') and apply_actions(output:1). */
static int
flow_with_match(void (*fn)(struct tb *))
{
	size_t s, i;

	flow_mod_begin(&T, OFPFC_ADD, 0);
	s = match_begin(&T);
	fn(&T);
	match_end(&T, s);
	i = inst_begin(&T, OFPIT_APPLY_ACTIONS);
	act_output(&T, 1);
	inst_end(&T, i);
	return decode_t();
}

/* A flow_mod with match-all and apply_actions of raw action bytes. */
static int
flow_with_actions(const struct tb *acts)
{
	size_t s, i;

	flow_mod_begin(&T, OFPFC_ADD, 0);
	s = match_begin(&T);
	match_end(&T, s);
	i = inst_begin(&T, OFPIT_APPLY_ACTIONS);
	memcpy(T.b + T.n, acts->b, acts->n);
	T.n += acts->n;
	inst_end(&T, i);
	return decode_t();
}

#define assert_ofl_err(rc, e) assert_int_equal((rc), -(int)(e))

/* OFL_SEED_DIR=dir writes each round-tripped message there: the fuzz seeds
 * of tests/fuzz/corpus/ofl_decode/ beyond the captures come from here. */
static void
save_seed(const uint8_t *b, size_t n)
{
	static unsigned count;
	const char *dir = getenv("OFL_SEED_DIR");
	char path[512];
	FILE *f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/rt_%03u.bin", dir, count++);
	f = fopen(path, "wb");
	if (f != NULL) {
		fwrite(b, 1, n, f);
		fclose(f);
	}
}

/* Encodes M, decodes the bytes into M2, re-encodes M2: same bytes. Returns the length. */
static int
roundtrip_m(void)
{
	struct iovs_err err = {{0}};
	int n, n2, rc;

	n = ofl_encode(&M, OUT, sizeof(OUT));
	assert_true(n >= 8);
	memset(&M2, 0, sizeof(M2));
	rc = ofl_decode(OUT, (size_t)n, &M2, &err);
	if (rc != 0)
		fail_msg("%s: %s (%s)", ofl_type_name(M.h.type), iovs_err_str(&err, rc),
			 ofl_err_name(rc));
	n2 = ofl_encode(&M2, OUT2, sizeof(OUT2));
	assert_int_equal(n, n2);
	save_seed(OUT, (size_t)n);
	assert_memory_equal(OUT, OUT2, (size_t)n);
	assert_int_equal(M2.h.type, M.h.type);
	assert_int_equal(M2.h.xid, M.h.xid);
	assert_int_equal(M2.h.length, n);
	return n;
}

static void
msg_init(uint8_t type)
{
	memset(&M, 0, sizeof(M));
	M.h.version = OFP13_VERSION;
	M.h.type = type;
	M.h.xid = 0x01020304;
}

/* --- Captures --- */

struct capture {
	char name[256];
	uint8_t b[4096];
	size_t n;
};
#define MAX_CAPTURES 96
static struct capture caps[MAX_CAPTURES];
static size_t n_caps;

static int
load_captures(void **state)
{
	DIR *d = opendir(OFL_TESTDATA);
	struct dirent *e;

	(void)state;
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL && n_caps < MAX_CAPTURES) {
		char path[512];
		FILE *f;

		if (strstr(e->d_name, ".bin") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", OFL_TESTDATA, e->d_name);
		f = fopen(path, "rb");
		if (f == NULL)
			continue;
		snprintf(caps[n_caps].name, sizeof(caps[n_caps].name), "%s", e->d_name);
		caps[n_caps].n = fread(caps[n_caps].b, 1, sizeof(caps[n_caps].b), f);
		fclose(f);
		n_caps++;
	}
	closedir(d);
	return n_caps >= 40 ? 0 : -1;
}

static const struct capture *
capture(const char *name)
{
	for (size_t i = 0; i < n_caps; i++)
		if (strcmp(caps[i].name, name) == 0)
			return &caps[i];
	fail_msg("no capture %s", name);
	return NULL;
}

static bool
is_len_error(int rc)
{
	switch (-rc) {
	case OFL_E_BAD_LEN:
	case OFL_E_BMC_BAD_LEN:
	case OFL_E_BAC_BAD_LEN:
	case OFL_E_BAC_BAD_SET_LEN:
	case OFL_E_BIC_BAD_LEN:
	case OFL_E_GMF_BAD_BUCKET:
	case OFL_E_MMF_BAD_BAND:
	case OFL_E_BFC_MSG_BAD_LEN:
	case OFL_E_TFF_BAD_LEN:
		return true;
	default:
		return false;
	}
}

/* A message of 'n' bytes whose header says 'n': refused with a length error,
 * or a valid shorter/longer message that re-encodes to itself. */
static void
check_relabelled(const char *name, const uint8_t *b, size_t n)
{
	static uint8_t buf[8192];
	struct iovs_err err = {{0}};
	int rc;

	memcpy(buf, b, n);
	if (n >= 4) {
		buf[2] = (uint8_t)(n >> 8);
		buf[3] = (uint8_t)n;
	}
	rc = ofl_parse(buf, n, &M, &err);
	if (rc == 0) {
		int e = ofl_encode(&M, OUT, sizeof(OUT));

		if (e != (int)n || memcmp(OUT, buf, n) != 0)
			fail_msg("%s at %zu bytes: parses, re-encodes to %d bytes", name, n, e);
	} else if (!is_len_error(rc) && rc != -OFL_E_TFF_EPERM) {
		/* (a longer TABLE_FEATURES request is a write: EPERM) */
		fail_msg("%s at %zu bytes: %s, not a length error (%s)", name, n, ofl_err_name(rc),
			 err.msg);
	}
}

static void
fill_match(struct ofl_match *m)
{
	m->n = 0;
	m->f[m->n++] =
		(struct ofl_oxm){.field = OFPXMT_OFB_IN_PORT, .len = 4, .value = {0, 0, 0, 3}};
	m->f[m->n++] =
		(struct ofl_oxm){.field = OFPXMT_OFB_ETH_TYPE, .len = 2, .value = {0x86, 0xdd}};
	m->f[m->n++] = (struct ofl_oxm){.field = OFPXMT_OFB_IPV6_SRC,
					.len = 16,
					.has_mask = true,
					.value = {0x20, 0x01, 0x0d, 0xb8},
					.mask = {0xff, 0xff, 0xff, 0xff}};
	m->f[m->n++] = (struct ofl_oxm){.field = OFPXMT_OFB_IP_PROTO, .len = 1, .value = {58}};
	m->f[m->n++] = (struct ofl_oxm){.field = OFPXMT_OFB_ICMPV6_TYPE, .len = 1, .value = {135}};
	m->f[m->n++] = (struct ofl_oxm){
		.field = OFPXMT_OFB_IPV6_ND_TARGET, .len = 16, .value = {0xfe, 0x80, [15] = 1}};
	m->f[m->n++] = (struct ofl_oxm){.field = OFPXMT_OFB_IPV6_ND_SLL,
					.len = 6,
					.value = {0, 0x11, 0x22, 0x33, 0x44, 0x55}};
}

static void
fill_actions(struct ofl_actions *a)
{
	a->n = 0;
	a->a[a->n].type = OFPAT_PUSH_VLAN;
	a->a[a->n++].ethertype = 0x8100;
	a->a[a->n].type = OFPAT_SET_FIELD;
	a->a[a->n++].set_field =
		(struct ofl_oxm){.field = OFPXMT_OFB_VLAN_VID, .len = 2, .value = {0x10, 0x64}};
	a->a[a->n].type = OFPAT_SET_FIELD;
	a->a[a->n++].set_field = (struct ofl_oxm){
		.field = OFPXMT_OFB_ETH_DST, .len = 6, .value = {2, 0, 0, 0, 0, 1}};
	a->a[a->n].type = OFPAT_SET_NW_TTL;
	a->a[a->n++].ttl = 9;
	a->a[a->n++].type = OFPAT_DEC_NW_TTL;
	a->a[a->n++].type = OFPAT_COPY_TTL_IN;
	a->a[a->n++].type = OFPAT_COPY_TTL_OUT;
	a->a[a->n].type = OFPAT_SET_QUEUE;
	a->a[a->n++].queue_id = 5;
	a->a[a->n].type = OFPAT_GROUP;
	a->a[a->n++].group_id = 8;
	a->a[a->n++].type = OFPAT_POP_VLAN;
	a->a[a->n].type = OFPAT_OUTPUT;
	a->a[a->n].output.port = OFPP_CONTROLLER;
	a->a[a->n++].output.max_len = 128;
}

static void
fill_instructions(struct ofl_instructions *ins)
{
	static const uint8_t order[] = {OFPIT_METER,	      OFPIT_APPLY_ACTIONS,
					OFPIT_CLEAR_ACTIONS,  OFPIT_WRITE_ACTIONS,
					OFPIT_WRITE_METADATA, OFPIT_GOTO_TABLE};

	memset(ins, 0, sizeof(*ins));
	ins->n = 6;
	memcpy(ins->order, order, 6);
	ins->meter_id = 4;
	ins->goto_table = 9;
	ins->metadata = 0x10;
	ins->metadata_mask = 0xff;
	fill_actions(&ins->apply);
	ins->write.n = 1;
	ins->write.a[0].type = OFPAT_OUTPUT;
	ins->write.a[0].output.port = 2;
}

static void
fill_table_features(struct ofl_table_features *tf, uint8_t id)
{
	memset(tf, 0, sizeof(*tf));
	tf->table_id = id;
	snprintf(tf->name, sizeof(tf->name), "table%u", id);
	tf->metadata_match = ~0ull;
	tf->metadata_write = ~0ull;
	tf->max_entries = 1000000;
	tf->n_props = 4;
	tf->props[0].type = OFPTFPT_INSTRUCTIONS;
	tf->props[0].n_ids = 6;
	for (unsigned i = 0; i < 6; i++)
		tf->props[0].ids[i] = i + 1;
	tf->props[1].type = OFPTFPT_NEXT_TABLES;
	tf->props[1].n_ids = 3;
	for (unsigned i = 0; i < 3; i++)
		tf->props[1].ids[i] = id + 1 + i;
	tf->props[2].type = OFPTFPT_APPLY_ACTIONS;
	tf->props[2].n_ids = 2;
	tf->props[2].ids[1] = OFPAT_SET_FIELD;
	tf->props[3].type = OFPTFPT_MATCH;
	tf->props[3].n_ids = 2;
	tf->props[3].ids[0] = OXM_HEADER(OFPXMT_OFB_IN_PORT, 0, 4);
	tf->props[3].ids[1] = OXM_HEADER(OFPXMT_OFB_ETH_DST, 1, 12);
}

static void
group_begin(uint16_t cmd, uint8_t type, uint32_t id)
{
	hdr(&T, OFPT_GROUP_MOD, 3);
	p16(&T, cmd);
	p8(&T, type);
	p8(&T, 0);
	p32(&T, id);
}
static void
bucket(uint16_t weight, uint32_t watch_port, uint32_t watch_group, uint32_t out)
{
	p16(&T, 32);
	p16(&T, weight);
	p32(&T, watch_port);
	p32(&T, watch_group);
	pz(&T, 4);
	act_output(&T, out);
}

#endif
