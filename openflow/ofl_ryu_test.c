/* The OpenFlow 1.3 codec against Ryu's switch test definitions (JSON, read
 * in place from /work/shared/data/ryu-of13; skipped when absent).
 */
#include <arpa/inet.h>
#include <jansson.h>

#include "ofl_test_util.h"

/* --- Ryu's OpenFlow 1.3 switch tests (/work/shared/data/ryu-of13, read in
 * place, never copied): every OFPFlowMod they install is turned into our
 * host struct, encoded and decoded. Supported matches and actions must
 * decode; fields iovs does not match (flow label, MPLS, PBB, tunnel id, IPv6
 * extension headers) must be refused with BAD_MATCH/BAD_FIELD, MPLS and PBB
 * actions with BAD_ACTION/BAD_TYPE, set-fields of those with BAD_SET_TYPE. --- */

#ifndef RYU_OF13_DIR
#define RYU_OF13_DIR "/work/shared/data/ryu-of13"
#endif

static int
ryu_field(const char *name)
{
	static const char *const names[OFPXMT_OFB__MAX] = {
		"in_port",     "in_phy_port",	 "metadata",	"eth_dst",     "eth_src",
		"eth_type",    "vlan_vid",	 "vlan_pcp",	"ip_dscp",     "ip_ecn",
		"ip_proto",    "ipv4_src",	 "ipv4_dst",	"tcp_src",     "tcp_dst",
		"udp_src",     "udp_dst",	 "sctp_src",	"sctp_dst",    "icmpv4_type",
		"icmpv4_code", "arp_op",	 "arp_spa",	"arp_tpa",     "arp_sha",
		"arp_tha",     "ipv6_src",	 "ipv6_dst",	"ipv6_flabel", "icmpv6_type",
		"icmpv6_code", "ipv6_nd_target", "ipv6_nd_sll", "ipv6_nd_tll", "mpls_label",
		"mpls_tc",     "mpls_bos",	 "pbb_isid",	"tunnel_id",   "ipv6_exthdr"};

	for (int i = 0; i < OFPXMT_OFB__MAX; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* A Ryu value: an integer, "aa:bb:..", "a.b.c.d" or an IPv6 address. */
static bool
ryu_value(json_t *v, uint8_t len, uint8_t *out)
{
	memset(out, 0, len);
	if (json_is_integer(v)) {
		uint64_t x = (uint64_t)json_integer_value(v);

		for (int i = len - 1; i >= 0; i--, x >>= 8)
			out[i] = (uint8_t)x;
		return true;
	}
	if (!json_is_string(v))
		return false;
	if (len == 16)
		return inet_pton(AF_INET6, json_string_value(v), out) == 1;
	if (len == 4)
		return inet_pton(AF_INET, json_string_value(v), out) == 1;
	if (len == 6) {
		unsigned m[6];

		if (sscanf(json_string_value(v), "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3],
			   &m[4], &m[5]) != 6)
			return false;
		for (int i = 0; i < 6; i++)
			out[i] = (uint8_t)m[i];
		return true;
	}
	return false;
}

static bool
ryu_oxm(json_t *tlv, struct ofl_oxm *o)
{
	json_t *t = json_object_get(tlv, "OXMTlv"), *mask;
	int f = ryu_field(json_string_value(json_object_get(t, "field")));

	if (f < 0)
		return false;
	memset(o, 0, sizeof(*o));
	o->field = (uint8_t)f;
	o->len = ofl_oxm_spec_of(o->field)->len;
	mask = json_object_get(t, "mask");
	if (mask != NULL && !json_is_null(mask)) {
		o->has_mask = true;
		if (!ryu_value(mask, o->len, o->mask))
			return false;
	}
	return ryu_value(json_object_get(t, "value"), o->len, o->value);
}

static uint32_t
ryu_u32(json_t *obj, const char *key, uint32_t dflt)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (uint32_t)json_integer_value(v) : dflt;
}

static bool
ryu_action(json_t *j, struct ofl_action *a, bool *unsupported)
{
	static const struct {
		const char *name;
		uint16_t type;
	} acts[] = {{"OFPActionOutput", OFPAT_OUTPUT},
		    {"OFPActionCopyTtlOut", OFPAT_COPY_TTL_OUT},
		    {"OFPActionCopyTtlIn", OFPAT_COPY_TTL_IN},
		    {"OFPActionSetMplsTtl", OFPAT_SET_MPLS_TTL},
		    {"OFPActionDecMplsTtl", OFPAT_DEC_MPLS_TTL},
		    {"OFPActionPushVlan", OFPAT_PUSH_VLAN},
		    {"OFPActionPopVlan", OFPAT_POP_VLAN},
		    {"OFPActionPushMpls", OFPAT_PUSH_MPLS},
		    {"OFPActionPopMpls", OFPAT_POP_MPLS},
		    {"OFPActionSetQueue", OFPAT_SET_QUEUE},
		    {"OFPActionGroup", OFPAT_GROUP},
		    {"OFPActionSetNwTtl", OFPAT_SET_NW_TTL},
		    {"OFPActionDecNwTtl", OFPAT_DEC_NW_TTL},
		    {"OFPActionSetField", OFPAT_SET_FIELD},
		    {"OFPActionPushPbb", OFPAT_PUSH_PBB},
		    {"OFPActionPopPbb", OFPAT_POP_PBB}};

	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		json_t *body = json_object_get(j, acts[i].name);

		if (body == NULL)
			continue;
		memset(a, 0, sizeof(*a));
		a->type = acts[i].type;
		switch (a->type) {
		case OFPAT_OUTPUT:
			a->output.port = ryu_u32(body, "port", 1); /* symbolic ports: 1 */
			a->output.max_len = (uint16_t)ryu_u32(body, "max_len", 0xffe5);
			break;
		case OFPAT_SET_MPLS_TTL:
			a->ttl = (uint8_t)ryu_u32(body, "mpls_ttl", 64);
			break;
		case OFPAT_SET_NW_TTL:
			a->ttl = (uint8_t)ryu_u32(body, "nw_ttl", 64);
			break;
		case OFPAT_PUSH_VLAN:
		case OFPAT_PUSH_MPLS:
		case OFPAT_POP_MPLS:
		case OFPAT_PUSH_PBB:
			a->ethertype = (uint16_t)ryu_u32(body, "ethertype", 0);
			break;
		case OFPAT_SET_QUEUE:
			a->queue_id = ryu_u32(body, "queue_id", 0);
			break;
		case OFPAT_GROUP:
			a->group_id = ryu_u32(body, "group_id", 1);
			break;
		case OFPAT_SET_FIELD:
			if (!ryu_oxm(json_object_get(body, "field"), &a->set_field))
				return false;
			if (!ofl_oxm_spec_of(a->set_field.field)->settable)
				*unsupported = true;
			break;
		default:
			break;
		}
		if (a->type >= OFPAT_PUSH_MPLS && a->type <= OFPAT_POP_PBB &&
		    a->type != OFPAT_SET_QUEUE && a->type != OFPAT_GROUP &&
		    a->type != OFPAT_SET_NW_TTL && a->type != OFPAT_DEC_NW_TTL &&
		    a->type != OFPAT_SET_FIELD)
			*unsupported = true;
		if (a->type == OFPAT_SET_MPLS_TTL || a->type == OFPAT_DEC_MPLS_TTL)
			*unsupported = true;
		return true;
	}
	return false;
}

/* Fills M with the flow_mod; 'bad_field'/'bad_action': what iovs refuses. */
static bool
ryu_flow_mod(json_t *fm, bool *bad_field, bool *bad_action)
{
	json_t *fields = json_object_get(json_object_get(json_object_get(fm, "match"), "OFPMatch"),
					 "oxm_fields");
	json_t *ins = json_object_get(fm, "instructions"), *x;
	size_t i;

	msg_init(OFPT_FLOW_MOD);
	M.flow_mod.table_id = (uint8_t)ryu_u32(fm, "table_id", 0);
	M.flow_mod.priority = (uint16_t)ryu_u32(fm, "priority", 0x8000);
	M.flow_mod.buffer_id = OFP_NO_BUFFER;
	M.flow_mod.out_port = OFPP_ANY;
	M.flow_mod.out_group = OFPG_ANY;
	json_array_foreach(fields, i, x) {
		struct ofl_oxm *o = &M.flow_mod.match.f[M.flow_mod.match.n];

		if (M.flow_mod.match.n >= OFL_MAX_OXM || !ryu_oxm(x, o))
			return false;
		if (!ofl_oxm_spec_of(o->field)->supported)
			*bad_field = true;
		M.flow_mod.match.n++;
	}
	json_array_foreach(ins, i, x) {
		struct ofl_instructions *in = &M.flow_mod.ins;
		json_t *body, *acts, *y;
		size_t k;

		if ((body = json_object_get(x, "OFPInstructionGotoTable")) != NULL) {
			in->goto_table = (uint8_t)ryu_u32(body, "table_id", 1);
			in->order[in->n++] = OFPIT_GOTO_TABLE;
		} else if ((body = json_object_get(x, "OFPInstructionWriteMetadata")) != NULL) {
			json_t *md = json_object_get(body, "metadata");
			json_t *mm = json_object_get(body, "metadata_mask");

			in->metadata = json_is_integer(md) ? (uint64_t)json_integer_value(md) : 0;
			in->metadata_mask =
				json_is_integer(mm) ? (uint64_t)json_integer_value(mm) : ~0ull;
			in->order[in->n++] = OFPIT_WRITE_METADATA;
		} else if ((body = json_object_get(x, "OFPInstructionActions")) != NULL) {
			uint8_t type = (uint8_t)ryu_u32(body, "type", OFPIT_APPLY_ACTIONS);
			struct ofl_actions *list =
				type == OFPIT_WRITE_ACTIONS ? &in->write : &in->apply;

			in->order[in->n++] = type;
			acts = json_object_get(body, "actions");
			json_array_foreach(acts, k, y) {
				if (list->n >= OFL_MAX_ACTIONS ||
				    !ryu_action(y, &list->a[list->n], bad_action))
					return false;
				list->n++;
			}
		} else {
			return false;
		}
		if (in->n > 6)
			return false;
	}
	return true;
}

static void
test_ryu_of13_flow_mods(void **state)
{
	static const char *const dirs[] = {"match", "action", "action/25_SET_FIELD"};
	unsigned n_ok = 0, n_field = 0, n_action = 0;

	(void)state;
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		char path[512];
		DIR *dir;
		struct dirent *e;

		snprintf(path, sizeof(path), "%s/%s", RYU_OF13_DIR, dirs[d]);
		dir = opendir(path);
		if (dir == NULL) {
			if (d == 0)
				skip(); /* the data set is not on this machine */
			continue;
		}
		while ((e = readdir(dir)) != NULL) {
			char file[1024];
			json_t *root, *c;
			size_t i;

			if (strstr(e->d_name, ".json") == NULL)
				continue;
			snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
			root = json_load_file(file, 0, NULL);
			assert_non_null(root);
			json_array_foreach(root, i, c) {
				json_t *pre = json_object_get(c, "prerequisite"), *p;
				size_t k;

				json_array_foreach(pre, k, p) {
					json_t *fm = json_object_get(p, "OFPFlowMod");
					bool bad_field = false, bad_action = false;
					struct iovs_err err = {{0}};
					int n, rc;

					if (fm == NULL ||
					    !ryu_flow_mod(fm, &bad_field, &bad_action))
						continue;
					n = ofl_encode(&M, OUT, sizeof(OUT));
					assert_true(n > 0);
					rc = ofl_decode(OUT, (size_t)n, &M2, &err);
					if (bad_field && rc == -OFL_E_BMC_BAD_FIELD) {
						n_field++;
					} else if (!bad_field && bad_action &&
						   (rc == -OFL_E_BAC_BAD_TYPE ||
						    rc == -OFL_E_BAC_BAD_SET_TYPE)) {
						n_action++;
					} else if (!bad_field && !bad_action && rc == 0) {
						n_ok++;
					} else {
						fail_msg("%s: %s (%s)", file, ofl_err_name(rc),
							 err.msg);
					}
				}
			}
			json_decref(root);
		}
		closedir(dir);
	}
	print_message("ryu-of13: %u flow_mods decode, %u refused BAD_FIELD, %u BAD_TYPE\n", n_ok,
		      n_field, n_action);
	assert_true(n_ok > 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ryu_of13_flow_mods),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
