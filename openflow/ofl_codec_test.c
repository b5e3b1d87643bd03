/* Unit tests of the OpenFlow 1.3 codec (openflow/ofl_*.c): captures of what
 * ovs-ofctl 3.1 sends (testdata/, see README) decode and re-encode to the same
 * bytes; each message family round-trips from host structs; encoders stay in
 * their buffer; long multipart replies split with REPLY_MORE.
 */

#include "ofl_test_util.h"

static void
test_captures_decode_and_reencode(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_caps; i++) {
		struct iovs_err err = {{0}};
		int rc = ofl_decode(caps[i].b, caps[i].n, &M, &err);
		int n;

		if (rc != 0)
			fail_msg("%s: %s (%s)", caps[i].name, iovs_err_str(&err, rc),
				 ofl_err_name(rc));
		n = ofl_encode(&M, OUT, sizeof(OUT));
		if (n != (int)caps[i].n || memcmp(OUT, caps[i].b, caps[i].n) != 0)
			fail_msg("%s: re-encoded %d bytes differ", caps[i].name, n);
		/* The bundle's inner message is a message of its own. */
		if (M.h.type == OFPT_BUNDLE_ADD_MESSAGE) {
			assert_true(M.bundle_add.onf);
			assert_int_equal(
				ofl_decode(M.bundle_add.msg, M.bundle_add.msg_len, &M2, &err), 0);
			assert_int_equal(M2.h.type, OFPT_FLOW_MOD);
		}
	}
}

static void
test_hello_echo_error_roundtrip(void **state)
{
	static const uint8_t data[] = "ping";
	static const uint8_t quote[80] = {4, 14, 0, 80};

	(void)state;
	msg_init(OFPT_HELLO);
	assert_int_equal(roundtrip_m(), 8);
	M.hello.has_bitmap = true;
	M.hello.n_words = 1;
	M.hello.bitmap[0] = 1u << 4;
	assert_int_equal(roundtrip_m(), 16);
	assert_true(M2.hello.has_bitmap);
	assert_int_equal(M2.hello.bitmap[0], 0x10);
	M.hello.n_words = 3;
	M.hello.bitmap[2] = 7;
	assert_int_equal(roundtrip_m(), 24);
	assert_int_equal(M2.hello.n_words, 3);

	for (uint8_t t = OFPT_ECHO_REQUEST; t <= OFPT_ECHO_REPLY; t++) {
		msg_init(t);
		M.echo.data = data;
		M.echo.data_len = 4;
		assert_int_equal(roundtrip_m(), 12);
		assert_memory_equal(M2.echo.data, "ping", 4);
	}
	msg_init(OFPT_ERROR);
	M.error.type = OFPET_BAD_MATCH;
	M.error.code = 10;
	M.error.data = quote;
	M.error.data_len = 64;
	assert_int_equal(roundtrip_m(), 12 + 64);
	assert_int_equal(M2.error.code, 10);
	M.error.type = OFPET_EXPERIMENTER;
	M.error.exp_type = 2302;
	M.error.experimenter = ONF_EXPERIMENTER_ID;
	assert_int_equal(roundtrip_m(), 16 + 64);
	assert_int_equal(M2.error.exp_type, 2302);
	assert_int_equal(M2.error.experimenter, ONF_EXPERIMENTER_ID);
}

static void
test_session_messages_roundtrip(void **state)
{
	static const uint8_t empty[] = {OFPT_FEATURES_REQUEST, OFPT_GET_CONFIG_REQUEST,
					OFPT_BARRIER_REQUEST, OFPT_BARRIER_REPLY,
					OFPT_GET_ASYNC_REQUEST};

	(void)state;
	for (size_t i = 0; i < sizeof(empty); i++) {
		msg_init(empty[i]);
		assert_int_equal(roundtrip_m(), 8);
	}
	msg_init(OFPT_FEATURES_REPLY);
	M.features = (struct ofl_features){0x0102030405060708ull, 256, 254, 0, 0x4f};
	assert_int_equal(roundtrip_m(), 32);
	assert_int_equal(M2.features.datapath_id, 0x0102030405060708ull);
	assert_int_equal(M2.features.n_tables, 254);
	for (uint8_t t = OFPT_GET_CONFIG_REPLY; t <= OFPT_SET_CONFIG; t++) {
		msg_init(t);
		M.config.flags = 2;
		M.config.miss_send_len = 128;
		assert_int_equal(roundtrip_m(), 12);
		assert_int_equal(M2.config.miss_send_len, 128);
	}
	for (uint8_t t = OFPT_ROLE_REQUEST; t <= OFPT_ROLE_REPLY; t++) {
		msg_init(t);
		M.role.role = OFPCR_ROLE_MASTER;
		M.role.generation_id = 99;
		assert_int_equal(roundtrip_m(), 24);
		assert_int_equal(M2.role.generation_id, 99);
	}
	for (uint8_t t = OFPT_GET_ASYNC_REPLY; t <= OFPT_SET_ASYNC; t++) {
		msg_init(t);
		M.async.packet_in_mask[0] = 3;
		M.async.port_status_mask[1] = 7;
		M.async.flow_removed_mask[0] = 15;
		assert_int_equal(roundtrip_m(), 32);
		assert_int_equal(M2.async.port_status_mask[1], 7);
	}
}

static void
test_flow_mod_roundtrip_all_commands(void **state)
{
	(void)state;
	for (uint8_t cmd = OFPFC_ADD; cmd <= OFPFC_DELETE_STRICT; cmd++) {
		msg_init(OFPT_FLOW_MOD);
		M.flow_mod.cookie = 0x1234;
		M.flow_mod.cookie_mask = cmd >= OFPFC_MODIFY ? ~0ull : 0;
		M.flow_mod.table_id = cmd >= OFPFC_DELETE ? OFPTT_ALL : 1;
		M.flow_mod.command = cmd;
		M.flow_mod.idle_timeout = 30;
		M.flow_mod.hard_timeout = 60;
		M.flow_mod.priority = 100;
		M.flow_mod.buffer_id = OFP_NO_BUFFER;
		M.flow_mod.out_port = cmd >= OFPFC_DELETE ? 3 : OFPP_ANY;
		M.flow_mod.out_group = OFPG_ANY;
		M.flow_mod.flags = OFPFF_SEND_FLOW_REM | OFPFF_CHECK_OVERLAP | OFPFF_RESET_COUNTS;
		fill_match(&M.flow_mod.match);
		fill_instructions(&M.flow_mod.ins);
		roundtrip_m();
		assert_int_equal(M2.flow_mod.command, cmd);
		assert_int_equal(M2.flow_mod.match.n, 7);
		assert_int_equal(M2.flow_mod.ins.n, 6);
		assert_int_equal(M2.flow_mod.ins.apply.n, M.flow_mod.ins.apply.n);
		assert_int_equal(M2.flow_mod.ins.apply.a[10].output.max_len, 128);
		assert_int_equal(M2.flow_mod.ins.meter_id, 4);
		assert_memory_equal(&M2.flow_mod.match, &M.flow_mod.match,
				    sizeof(M.flow_mod.match));
	}
}

static void
test_flow_removed_packet_in_roundtrip(void **state)
{
	static const uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0,
					  1,	2,    3,    4,	  5,	0x08, 0x06};

	(void)state;
	msg_init(OFPT_FLOW_REMOVED);
	M.flow_removed = (struct ofl_flow_removed){.cookie = 5,
						   .priority = 7,
						   .reason = OFPRR_IDLE_TIMEOUT,
						   .table_id = 2,
						   .duration_sec = 10,
						   .duration_nsec = 11,
						   .idle_timeout = 12,
						   .hard_timeout = 13,
						   .packet_count = 14,
						   .byte_count = 15};
	fill_match(&M.flow_removed.match);
	roundtrip_m();
	assert_int_equal(M2.flow_removed.byte_count, 15);
	assert_memory_equal(&M2.flow_removed.match, &M.flow_removed.match,
			    sizeof(M.flow_removed.match));

	msg_init(OFPT_PACKET_IN);
	M.packet_in.buffer_id = OFP_NO_BUFFER;
	M.packet_in.total_len = 60;
	M.packet_in.reason = OFPR_ACTION;
	M.packet_in.table_id = 3;
	M.packet_in.cookie = 0xabcdef;
	M.packet_in.match.n = 1;
	M.packet_in.match.f[0] =
		(struct ofl_oxm){.field = OFPXMT_OFB_IN_PORT, .len = 4, .value = {0, 0, 0, 9}};
	M.packet_in.data = frame;
	M.packet_in.data_len = sizeof(frame);
	assert_int_equal(roundtrip_m(), 24 + 16 + 2 + 60);
	assert_int_equal(M2.packet_in.data_len, 60);
	assert_memory_equal(M2.packet_in.data, frame, 60);
	assert_int_equal(M2.packet_in.cookie, 0xabcdef);

	msg_init(OFPT_PACKET_OUT);
	M.packet_out.buffer_id = OFP_NO_BUFFER;
	M.packet_out.in_port = OFPP_CONTROLLER;
	fill_actions(&M.packet_out.actions);
	M.packet_out.actions.a[M.packet_out.actions.n].type = OFPAT_OUTPUT;
	M.packet_out.actions.a[M.packet_out.actions.n++].output.port = OFPP_TABLE;
	M.packet_out.data = frame;
	M.packet_out.data_len = sizeof(frame);
	roundtrip_m();
	assert_int_equal(M2.packet_out.actions.n, M.packet_out.actions.n);
	assert_memory_equal(M2.packet_out.data, frame, 60);
}

static void
test_port_messages_roundtrip(void **state)
{
	const struct ofl_port port = {.port_no = 7,
				      .hw_addr = {2, 0, 0, 0, 0, 7},
				      .name = "vhu0",
				      .config = OFPPC_NO_PACKET_IN,
				      .state = 4,
				      .curr = 0x2820,
				      .curr_speed = 10000000,
				      .max_speed = 10000000};

	(void)state;
	msg_init(OFPT_PORT_STATUS);
	M.port_status.reason = OFPPR_MODIFY;
	M.port_status.desc = port;
	assert_int_equal(roundtrip_m(), 80);
	assert_memory_equal(&M2.port_status.desc, &port, sizeof(port));
	msg_init(OFPT_PORT_MOD);
	M.port_mod = (struct ofl_port_mod){.port_no = 7,
					   .hw_addr = {2, 0, 0, 0, 0, 7},
					   .config = OFPPC_PORT_DOWN,
					   .mask = OFPPC_PORT_DOWN,
					   .advertise = 0};
	assert_int_equal(roundtrip_m(), 40);
	assert_int_equal(M2.port_mod.mask, OFPPC_PORT_DOWN);
}

static void
test_group_mod_roundtrip_all_types(void **state)
{
	(void)state;
	for (uint8_t type = OFPGT_ALL; type <= OFPGT_FF; type++) {
		msg_init(OFPT_GROUP_MOD);
		M.group_mod.command = OFPGC_ADD;
		M.group_mod.type = type;
		M.group_mod.group_id = 10 + type;
		M.group_mod.n_buckets = type == OFPGT_INDIRECT ? 1 : 3;
		for (unsigned i = 0; i < M.group_mod.n_buckets; i++) {
			struct ofl_bucket *b = &M.group_mod.buckets[i];

			b->weight = type == OFPGT_SELECT ? (uint16_t)(10 * (i + 1)) : 0;
			b->watch_port = type == OFPGT_FF ? i + 1 : OFPP_ANY;
			b->watch_group = OFPG_ANY;
			fill_actions(&b->actions);
			b->actions.a[b->actions.n - 1].output.port = i + 1;
		}
		roundtrip_m();
		assert_int_equal(M2.group_mod.type, type);
		assert_int_equal(M2.group_mod.n_buckets, M.group_mod.n_buckets);
		assert_int_equal(M2.group_mod.buckets[0].watch_port,
				 M.group_mod.buckets[0].watch_port);
	}
	msg_init(OFPT_GROUP_MOD);
	M.group_mod.command = OFPGC_DELETE;
	M.group_mod.group_id = OFPG_ALL;
	assert_int_equal(roundtrip_m(), 16);
}

static void
test_meter_mod_roundtrip(void **state)
{
	(void)state;
	msg_init(OFPT_METER_MOD);
	M.meter_mod.command = OFPMC_ADD;
	M.meter_mod.flags = OFPMF_KBPS | OFPMF_BURST | OFPMF_STATS;
	M.meter_mod.meter_id = 1;
	M.meter_mod.n_bands = 2;
	M.meter_mod.bands[0] = (struct ofl_band){OFPMBT_DROP, 1000, 100, 0};
	M.meter_mod.bands[1] = (struct ofl_band){OFPMBT_DROP, 5000, 200, 0};
	assert_int_equal(roundtrip_m(), 48);
	assert_int_equal(M2.meter_mod.bands[1].rate, 5000);
	M.meter_mod.command = OFPMC_DELETE;
	M.meter_mod.meter_id = OFPM_ALL;
	M.meter_mod.n_bands = 0;
	assert_int_equal(roundtrip_m(), 16);
}

static void
test_multipart_requests_roundtrip(void **state)
{
	static const uint16_t types[] = {
		OFPMP_DESC,	  OFPMP_FLOW,	      OFPMP_AGGREGATE,	    OFPMP_TABLE,
		OFPMP_PORT_STATS, OFPMP_GROUP,	      OFPMP_GROUP_DESC,	    OFPMP_GROUP_FEATURES,
		OFPMP_METER,	  OFPMP_METER_CONFIG, OFPMP_METER_FEATURES, OFPMP_TABLE_FEATURES,
		OFPMP_PORT_DESC};

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		msg_init(OFPT_MULTIPART_REQUEST);
		M.mp_request.type = types[i];
		if (types[i] == OFPMP_FLOW || types[i] == OFPMP_AGGREGATE) {
			M.mp_request.flow.table_id = OFPTT_ALL;
			M.mp_request.flow.out_port = OFPP_ANY;
			M.mp_request.flow.out_group = OFPG_ANY;
			M.mp_request.flow.cookie = 1;
			M.mp_request.flow.cookie_mask = 1;
			fill_match(&M.mp_request.flow.match);
		} else if (types[i] == OFPMP_PORT_STATS) {
			M.mp_request.port_no = OFPP_ANY;
		} else if (types[i] == OFPMP_GROUP) {
			M.mp_request.group_id = OFPG_ALL;
		} else if (types[i] == OFPMP_METER || types[i] == OFPMP_METER_CONFIG) {
			M.mp_request.meter_id = OFPM_ALL;
		}
		roundtrip_m();
		assert_int_equal(M2.mp_request.type, types[i]);
	}
}

static void
test_multipart_replies_roundtrip(void **state)
{
	struct ofl_mp_reply *r = &M.mp_reply;

	(void)state;
	msg_init(OFPT_MULTIPART_REPLY);
	r->type = OFPMP_DESC;
	snprintf(r->desc.mfr_desc, sizeof(r->desc.mfr_desc), "iovs");
	snprintf(r->desc.dp_desc, sizeof(r->desc.dp_desc), "bridge br0");
	assert_int_equal(roundtrip_m(), 16 + 1056);
	assert_string_equal(M2.mp_reply.desc.dp_desc, "bridge br0");

	msg_init(OFPT_MULTIPART_REPLY);
	r->type = OFPMP_AGGREGATE;
	r->aggregate = (struct ofl_aggregate_stats){1, 2, 3};
	assert_int_equal(roundtrip_m(), 16 + 24);

	msg_init(OFPT_MULTIPART_REPLY);
	r->type = OFPMP_FLOW;
	r->flags = OFPMPF_REPLY_MORE;
	r->n = OFL_MAX_MP_FLOWS;
	for (unsigned i = 0; i < r->n; i++) {
		r->flows[i].table_id = (uint8_t)i;
		r->flows[i].priority = 100;
		r->flows[i].packet_count = i * 10;
		fill_match(&r->flows[i].match);
		fill_instructions(&r->flows[i].ins);
	}
	roundtrip_m();
	assert_int_equal(M2.mp_reply.n, OFL_MAX_MP_FLOWS);
	assert_int_equal(M2.mp_reply.flags, OFPMPF_REPLY_MORE);
	assert_int_equal(M2.mp_reply.flows[3].packet_count, 30);

	msg_init(OFPT_MULTIPART_REPLY);
	r->type = OFPMP_TABLE;
	r->n = 16;
	for (unsigned i = 0; i < r->n; i++)
		r->tables[i] = (struct ofl_table_stats){(uint8_t)i, i, i * 2ull, i * 3ull};
	assert_int_equal(roundtrip_m(), 16 + 16 * 24);
	assert_int_equal(M2.mp_reply.tables[15].matched_count, 45);

	msg_init(OFPT_MULTIPART_REPLY);
	r->type = OFPMP_PORT_STATS;
	r->n = 3;
	for (unsigned i = 0; i < r->n; i++)
		r->port_stats[i] = (struct ofl_port_stats){
			.port_no = i + 1, .rx_packets = 5, .collisions = 6, .duration_nsec = 7};
	assert_int_equal(roundtrip_m(), 16 + 3 * 112);
	assert_int_equal(M2.mp_reply.port_stats[2].collisions, 6);

	msg_init(OFPT_MULTIPART_REPLY);
	r->type = OFPMP_PORT_DESC;
	r->n = 2;
	r->ports[0].port_no = 1;
	r->ports[1].port_no = OFPP_LOCAL;
	assert_int_equal(roundtrip_m(), 16 + 2 * 64);

	msg_init(OFPT_MULTIPART_REPLY);
	r->type = OFPMP_GROUP;
	r->n = 2;
	r->groups[0] = (struct ofl_group_stats){.group_id = 1, .n_buckets = 2};
	r->groups[0].buckets[1].byte_count = 77;
	r->groups[1] = (struct ofl_group_stats){.group_id = 2, .ref_count = 3};
	assert_int_equal(roundtrip_m(), 16 + 40 + 32 + 40);
	assert_int_equal(M2.mp_reply.groups[0].buckets[1].byte_count, 77);

	msg_init(OFPT_MULTIPART_REPLY);
	r->type = OFPMP_GROUP_DESC;
	r->n = 1;
	r->group_descs[0].type = OFPGT_SELECT;
	r->group_descs[0].group_id = 4;
	r->group_descs[0].n_buckets = 2;
	for (unsigned i = 0; i < 2; i++) {
		r->group_descs[0].buckets[i].weight = 1;
		r->group_descs[0].buckets[i].watch_port = OFPP_ANY;
		r->group_descs[0].buckets[i].watch_group = OFPG_ANY;
		fill_actions(&r->group_descs[0].buckets[i].actions);
	}
	roundtrip_m();
	assert_int_equal(M2.mp_reply.group_descs[0].n_buckets, 2);

	msg_init(OFPT_MULTIPART_REPLY);
	r->type = OFPMP_GROUP_FEATURES;
	r->group_features.types = 0xf;
	r->group_features.max_groups[3] = 64;
	assert_int_equal(roundtrip_m(), 16 + 40);
	assert_int_equal(M2.mp_reply.group_features.max_groups[3], 64);

	msg_init(OFPT_MULTIPART_REPLY);
	r->type = OFPMP_METER;
	r->n = 2;
	r->meters[0] = (struct ofl_meter_stats){.meter_id = 1, .flow_count = 2, .n_bands = 1};
	r->meters[0].bands[0].packet_count = 9;
	r->meters[1] = (struct ofl_meter_stats){.meter_id = 2};
	assert_int_equal(roundtrip_m(), 16 + 56 + 40);
	assert_int_equal(M2.mp_reply.meters[0].bands[0].packet_count, 9);

	msg_init(OFPT_MULTIPART_REPLY);
	r->type = OFPMP_METER_CONFIG;
	r->n = 1;
	r->meter_configs[0].flags = OFPMF_PKTPS;
	r->meter_configs[0].meter_id = 3;
	r->meter_configs[0].n_bands = 1;
	r->meter_configs[0].bands[0] = (struct ofl_band){OFPMBT_DROP, 100, 0, 0};
	assert_int_equal(roundtrip_m(), 16 + 8 + 16);

	msg_init(OFPT_MULTIPART_REPLY);
	r->type = OFPMP_METER_FEATURES;
	r->meter_features = (struct ofl_meter_features){1024, 1u << OFPMBT_DROP, 0xf, 8, 0};
	assert_int_equal(roundtrip_m(), 16 + 16);

	msg_init(OFPT_MULTIPART_REPLY);
	r->type = OFPMP_TABLE_FEATURES;
	r->n = 2;
	fill_table_features(&r->table_features[0], 0);
	fill_table_features(&r->table_features[1], 1);
	roundtrip_m();
	assert_int_equal(M2.mp_reply.table_features[1].props[1].ids[2], 4);
	assert_int_equal(M2.mp_reply.table_features[0].props[3].ids[1],
			 OXM_HEADER(OFPXMT_OFB_ETH_DST, 1, 12));
}

static void
test_bundles_roundtrip_both_forms(void **state)
{
	const struct capture *c = capture("add_flow_vlan.bin");

	(void)state;
	for (int onf = 0; onf <= 1; onf++) {
		msg_init(OFPT_BUNDLE_CONTROL);
		M.bundle_ctrl = (struct ofl_bundle_ctrl){.onf = onf,
							 .bundle_id = 9,
							 .type = OFPBCT_COMMIT_REQUEST,
							 .flags = OFPBF_ATOMIC | OFPBF_ORDERED};
		assert_int_equal(roundtrip_m(), onf ? 24 : 16);
		assert_int_equal(OUT[1], onf ? OFPT_EXPERIMENTER : OFPT_BUNDLE_CONTROL);
		assert_int_equal(M2.bundle_ctrl.onf, onf);
		assert_int_equal(M2.bundle_ctrl.type, OFPBCT_COMMIT_REQUEST);

		msg_init(OFPT_BUNDLE_ADD_MESSAGE);
		M.h.xid = 6; /* the capture's xid: inner and outer must agree */
		M.bundle_add = (struct ofl_bundle_add){.onf = onf,
						       .bundle_id = 9,
						       .flags = OFPBF_ATOMIC,
						       .msg = c->b,
						       .msg_len = c->n};
		assert_int_equal(roundtrip_m(), (onf ? 24 : 16) + (int)c->n);
		assert_memory_equal(M2.bundle_add.msg, c->b, c->n);
	}
	/* OF 1.4 form at version 5, as ovs-ofctl -O OpenFlow14 sends it. */
	msg_init(OFPT_BUNDLE_CONTROL);
	M.h.version = OFP14_VERSION;
	M.bundle_ctrl.type = OFPBCT_OPEN_REQUEST;
	roundtrip_m();
	assert_int_equal(OUT[0], OFP14_VERSION);
}

/* Encoders refuse what does not fit, never write past 'cap'. */
static void
test_encode_bounds(void **state)
{
	const struct capture *c = capture("add_flow_tcp.bin");
	int n;

	(void)state;
	assert_int_equal(ofl_decode(c->b, c->n, &M, NULL), 0);
	for (size_t cap = 0; cap < c->n; cap++) {
		memset(OUT, 0xaa, sizeof(OUT));
		assert_int_equal(ofl_encode(&M, OUT, cap), -ENOSPC);
		assert_int_equal(OUT[cap], 0xaa);
	}
	n = ofl_encode(&M, OUT, c->n);
	assert_int_equal(n, (int)c->n);
	msg_init(OFPT_TABLE_MOD);
	assert_int_equal(ofl_encode(&M, OUT, sizeof(OUT)), -EINVAL);
	msg_init(OFPT_MULTIPART_REPLY);
	M.mp_reply.type = OFPMP_TABLE;
	M.mp_reply.n = OFL_MAX_MP_TABLES + 1;
	assert_int_equal(ofl_encode(&M, OUT, sizeof(OUT)), -EINVAL);
	/* host structs out of range: -EINVAL, not an over-read */
	msg_init(OFPT_FLOW_MOD);
	M.flow_mod.match.n = 1;
	M.flow_mod.match.f[0].field = OFPXMT_OFB_IPV6_SRC;
	M.flow_mod.match.f[0].len = 200;
	assert_int_equal(ofl_encode(&M, OUT, sizeof(OUT)), -EINVAL);
	msg_init(OFPT_HELLO);
	M.hello.has_bitmap = true;
	M.hello.n_words = OFL_MAX_HELLO_WORDS + 1;
	assert_int_equal(ofl_encode(&M, OUT, sizeof(OUT)), -EINVAL);
	/* an echo of 65528 bytes is too long for the 16-bit length */
	msg_init(OFPT_ECHO_REQUEST);
	M.echo.data = OUT2;
	M.echo.data_len = 65528;
	assert_int_equal(ofl_encode(&M, OUT, sizeof(OUT)), -EMSGSIZE);
}

/* A reply longer than 64 KB is split; each message decodes on its own. */
static void
test_multipart_writer_splits_with_reply_more(void **state)
{
	static uint8_t big[1 << 20];
	static struct ofl_flow_stats fs;
	struct ofl_mp_writer w;
	size_t off = 0, n_entries = 0;
	unsigned msgs = 0;
	int len;

	(void)state;
	memset(&fs, 0, sizeof(fs));
	fill_match(&fs.match);
	fill_instructions(&fs.ins);
	ofl_mp_writer_init(&w, big, sizeof(big), 0, 77, OFPMP_FLOW);
	for (unsigned i = 0; i < 1000; i++) {
		fs.cookie = i;
		assert_int_equal(ofl_mp_add_flow(&w, &fs), 0);
	}
	len = ofl_mp_writer_finish(&w);
	assert_true(len > 3 * 65535);
	while (off < (size_t)len) {
		uint16_t mlen = (uint16_t)(big[off + 2] << 8 | big[off + 3]);
		uint16_t flags = (uint16_t)(big[off + 10] << 8 | big[off + 11]);

		assert_true(mlen > 16);
		assert_int_equal(big[off + 1], OFPT_MULTIPART_REPLY);
		assert_int_equal(big[off + 7], 77);
		off += mlen;
		msgs++;
		assert_int_equal(flags, off < (size_t)len ? OFPMPF_REPLY_MORE : 0);
	}
	assert_int_equal(off, (size_t)len);
	assert_int_equal(msgs, w.n_msgs);

	/* Small messages (2 tables each), decoded one by one. */
	ofl_mp_writer_init(&w, big, sizeof(big), 16 + 2 * 24, 5, OFPMP_TABLE);
	for (unsigned i = 0; i < 7; i++) {
		struct ofl_table_stats ts = {.table_id = (uint8_t)i, .active_count = i};

		assert_int_equal(ofl_mp_add_table(&w, &ts), 0);
	}
	assert_int_equal(ofl_mp_add_port(&w, &(struct ofl_port){.port_no = 1}), -EINVAL);
	assert_int_equal(ofl_mp_writer_finish(&w), -EINVAL); /* sticky */
	ofl_mp_writer_init(&w, big, sizeof(big), 16 + 2 * 24, 5, OFPMP_TABLE);
	for (unsigned i = 0; i < 7; i++) {
		struct ofl_table_stats ts = {.table_id = (uint8_t)i, .active_count = i};

		assert_int_equal(ofl_mp_add_table(&w, &ts), 0);
	}
	len = ofl_mp_writer_finish(&w);
	assert_int_equal(len, 4 * 16 + 7 * 24);
	for (off = 0, msgs = 0; off < (size_t)len; msgs++) {
		uint16_t mlen = (uint16_t)(big[off + 2] << 8 | big[off + 3]);

		assert_int_equal(ofl_decode(big + off, mlen, &M, NULL), 0);
		assert_int_equal(M.mp_reply.type, OFPMP_TABLE);
		for (unsigned i = 0; i < M.mp_reply.n; i++)
			assert_int_equal(M.mp_reply.tables[i].table_id, n_entries++);
		assert_int_equal(M.mp_reply.flags, msgs < 3 ? OFPMPF_REPLY_MORE : 0);
		off += mlen;
	}
	assert_int_equal(n_entries, 7);
	/* No entry: one empty reply. Too small a buffer: -ENOSPC. */
	ofl_mp_writer_init(&w, big, sizeof(big), 0, 5, OFPMP_PORT_DESC);
	assert_int_equal(ofl_mp_writer_finish(&w), 16);
	ofl_mp_writer_init(&w, big, 40, 0, 5, OFPMP_PORT_DESC);
	assert_int_equal(ofl_mp_add_port(&w, &(struct ofl_port){.port_no = 1}), -ENOSPC);
	/* A reply with more entries than the decode cap. */
	ofl_mp_writer_init(&w, big, sizeof(big), 0, 5, OFPMP_TABLE);
	for (unsigned i = 0; i <= OFL_MAX_MP_TABLES; i++)
		ofl_mp_add_table(&w, &(struct ofl_table_stats){.table_id = (uint8_t)i});
	len = ofl_mp_writer_finish(&w);
	assert_ofl_err(ofl_decode(big, (size_t)len, &M, NULL), OFL_E_MULTIPART_BUFFER_OVERFLOW);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_captures_decode_and_reencode),
		cmocka_unit_test(test_hello_echo_error_roundtrip),
		cmocka_unit_test(test_session_messages_roundtrip),
		cmocka_unit_test(test_flow_mod_roundtrip_all_commands),
		cmocka_unit_test(test_flow_removed_packet_in_roundtrip),
		cmocka_unit_test(test_port_messages_roundtrip),
		cmocka_unit_test(test_group_mod_roundtrip_all_types),
		cmocka_unit_test(test_meter_mod_roundtrip),
		cmocka_unit_test(test_multipart_requests_roundtrip),
		cmocka_unit_test(test_multipart_replies_roundtrip),
		cmocka_unit_test(test_bundles_roundtrip_both_forms),
		cmocka_unit_test(test_encode_bounds),
		cmocka_unit_test(test_multipart_writer_splits_with_reply_more),
	};

	return cmocka_run_group_tests(tests, load_captures, NULL);
}
