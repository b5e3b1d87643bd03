/* OpenFlow 1.3.5 wire format: constants and packed structs in network byte order.
 *
 * Only ofl_*.c include this file; the rest of iovs sees host structs (ofl_msg.h).
 * Every struct is copied out of (or into) a byte buffer with memcpy and converted
 * with be16toh()/htobe16() and friends, because OpenFlow gives no alignment
 * promise beyond 8 bytes at message start. Sizes are asserted against the
 * OFP_ASSERTs of the 1.3.5 specification (section A), bundles against 1.4.1
 * (section A.7.9) and the ONF extension 230 (EXT-230) that Open vSwitch sends
 * as experimenter messages on OpenFlow 1.3.
 */
#ifndef OFL_WIRE_H
#define OFL_WIRE_H

#include <assert.h>
#include <stdint.h>

#define OFL_PACKED __attribute__((packed))

#define OFP13_VERSION 0x04
#define OFP14_VERSION 0x05

/* A.1 ofp_type */
enum ofp_type {
	OFPT_HELLO = 0,
	OFPT_ERROR = 1,
	OFPT_ECHO_REQUEST = 2,
	OFPT_ECHO_REPLY = 3,
	OFPT_EXPERIMENTER = 4,
	OFPT_FEATURES_REQUEST = 5,
	OFPT_FEATURES_REPLY = 6,
	OFPT_GET_CONFIG_REQUEST = 7,
	OFPT_GET_CONFIG_REPLY = 8,
	OFPT_SET_CONFIG = 9,
	OFPT_PACKET_IN = 10,
	OFPT_FLOW_REMOVED = 11,
	OFPT_PORT_STATUS = 12,
	OFPT_PACKET_OUT = 13,
	OFPT_FLOW_MOD = 14,
	OFPT_GROUP_MOD = 15,
	OFPT_PORT_MOD = 16,
	OFPT_TABLE_MOD = 17,
	OFPT_MULTIPART_REQUEST = 18,
	OFPT_MULTIPART_REPLY = 19,
	OFPT_BARRIER_REQUEST = 20,
	OFPT_BARRIER_REPLY = 21,
	OFPT_QUEUE_GET_CONFIG_REQUEST = 22,
	OFPT_QUEUE_GET_CONFIG_REPLY = 23,
	OFPT_ROLE_REQUEST = 24,
	OFPT_ROLE_REPLY = 25,
	OFPT_GET_ASYNC_REQUEST = 26,
	OFPT_GET_ASYNC_REPLY = 27,
	OFPT_SET_ASYNC = 28,
	OFPT_METER_MOD = 29,
	/* OpenFlow 1.4 (A.1): only the bundle messages are understood. */
	OFPT_ROLE_STATUS = 30,
	OFPT_TABLE_STATUS = 31,
	OFPT_REQUESTFORWARD = 32,
	OFPT_BUNDLE_CONTROL = 33,
	OFPT_BUNDLE_ADD_MESSAGE = 34,
};
#define OFPT__MAX 35

struct ofp_header {
	uint8_t version;
	uint8_t type;
	uint16_t length;
	uint32_t xid;
} OFL_PACKED;
static_assert(sizeof(struct ofp_header) == 8, "A.1");

/* A.2.1 ports */
#define OFPP_MAX	0xffffff00u
#define OFPP_IN_PORT	0xfffffff8u
#define OFPP_TABLE	0xfffffff9u
#define OFPP_NORMAL	0xfffffffau
#define OFPP_FLOOD	0xfffffffbu
#define OFPP_ALL	0xfffffffcu
#define OFPP_CONTROLLER 0xfffffffdu
#define OFPP_LOCAL	0xfffffffeu
#define OFPP_ANY	0xffffffffu

#define OFP_MAX_PORT_NAME_LEN 16
#define OFP_ETH_ALEN	      6

struct ofp_port {
	uint32_t port_no;
	uint8_t pad[4];
	uint8_t hw_addr[OFP_ETH_ALEN];
	uint8_t pad2[2];
	char name[OFP_MAX_PORT_NAME_LEN];
	uint32_t config;
	uint32_t state;
	uint32_t curr;
	uint32_t advertised;
	uint32_t supported;
	uint32_t peer;
	uint32_t curr_speed;
	uint32_t max_speed;
} OFL_PACKED;
static_assert(sizeof(struct ofp_port) == 64, "A.2.1");

/* ofp_port_config / ofp_port_state */
#define OFPPC_PORT_DOWN	   (1u << 0)
#define OFPPC_NO_RECV	   (1u << 2)
#define OFPPC_NO_FWD	   (1u << 5)
#define OFPPC_NO_PACKET_IN (1u << 6)
#define OFPPC_ALL	   (OFPPC_PORT_DOWN | OFPPC_NO_RECV | OFPPC_NO_FWD | OFPPC_NO_PACKET_IN)

/* A.2.3.1 ofp_match */
enum ofp_match_type { OFPMT_STANDARD = 0, OFPMT_OXM = 1 };
struct ofp_match {
	uint16_t type;
	uint16_t length; /* without padding */
	uint8_t oxm_fields[4];
} OFL_PACKED;
static_assert(sizeof(struct ofp_match) == 8, "A.2.3.1");
#define OFP_MATCH_HDR_LEN 4

/* A.2.3.2 OXM header: class(16) field(7) hasmask(1) length(8). */
enum ofp_oxm_class {
	OFPXMC_NXM_0 = 0x0000,
	OFPXMC_NXM_1 = 0x0001,
	OFPXMC_OPENFLOW_BASIC = 0x8000,
	OFPXMC_EXPERIMENTER = 0xffff,
};
#define OXM_CLASS(h)   ((h) >> 16)
#define OXM_FIELD(h)   (((h) >> 9) & 0x7f)
#define OXM_HASMASK(h) (((h) >> 8) & 1)
#define OXM_LENGTH(h)  ((h)&0xff)
#define OXM_HEADER(field, hasmask, len)                                                            \
	(((uint32_t)OFPXMC_OPENFLOW_BASIC << 16) | ((uint32_t)(field) << 9) |                      \
	 ((uint32_t)(hasmask) << 8) | (uint32_t)(len))

/* A.2.3.7 OXM_OF_* basic fields */
enum oxm_ofb_match_fields {
	OFPXMT_OFB_IN_PORT = 0,
	OFPXMT_OFB_IN_PHY_PORT = 1,
	OFPXMT_OFB_METADATA = 2,
	OFPXMT_OFB_ETH_DST = 3,
	OFPXMT_OFB_ETH_SRC = 4,
	OFPXMT_OFB_ETH_TYPE = 5,
	OFPXMT_OFB_VLAN_VID = 6,
	OFPXMT_OFB_VLAN_PCP = 7,
	OFPXMT_OFB_IP_DSCP = 8,
	OFPXMT_OFB_IP_ECN = 9,
	OFPXMT_OFB_IP_PROTO = 10,
	OFPXMT_OFB_IPV4_SRC = 11,
	OFPXMT_OFB_IPV4_DST = 12,
	OFPXMT_OFB_TCP_SRC = 13,
	OFPXMT_OFB_TCP_DST = 14,
	OFPXMT_OFB_UDP_SRC = 15,
	OFPXMT_OFB_UDP_DST = 16,
	OFPXMT_OFB_SCTP_SRC = 17,
	OFPXMT_OFB_SCTP_DST = 18,
	OFPXMT_OFB_ICMPV4_TYPE = 19,
	OFPXMT_OFB_ICMPV4_CODE = 20,
	OFPXMT_OFB_ARP_OP = 21,
	OFPXMT_OFB_ARP_SPA = 22,
	OFPXMT_OFB_ARP_TPA = 23,
	OFPXMT_OFB_ARP_SHA = 24,
	OFPXMT_OFB_ARP_THA = 25,
	OFPXMT_OFB_IPV6_SRC = 26,
	OFPXMT_OFB_IPV6_DST = 27,
	OFPXMT_OFB_IPV6_FLABEL = 28,
	OFPXMT_OFB_ICMPV6_TYPE = 29,
	OFPXMT_OFB_ICMPV6_CODE = 30,
	OFPXMT_OFB_IPV6_ND_TARGET = 31,
	OFPXMT_OFB_IPV6_ND_SLL = 32,
	OFPXMT_OFB_IPV6_ND_TLL = 33,
	OFPXMT_OFB_MPLS_LABEL = 34,
	OFPXMT_OFB_MPLS_TC = 35,
	OFPXMT_OFB_MPLS_BOS = 36,
	OFPXMT_OFB_PBB_ISID = 37,
	OFPXMT_OFB_TUNNEL_ID = 38,
	OFPXMT_OFB_IPV6_EXTHDR = 39,
};
#define OFPXMT_OFB__MAX 40

/* A.2.3.7 VLAN id flags */
#define OFPVID_PRESENT 0x1000
#define OFPVID_NONE    0x0000

/* A.2.4 instructions */
enum ofp_instruction_type {
	OFPIT_GOTO_TABLE = 1,
	OFPIT_WRITE_METADATA = 2,
	OFPIT_WRITE_ACTIONS = 3,
	OFPIT_APPLY_ACTIONS = 4,
	OFPIT_CLEAR_ACTIONS = 5,
	OFPIT_METER = 6,
	OFPIT_EXPERIMENTER = 0xffff,
};
struct ofp_instruction {
	uint16_t type;
	uint16_t len;
} OFL_PACKED;
static_assert(sizeof(struct ofp_instruction) == 4, "A.2.4");
struct ofp_instruction_goto_table {
	uint16_t type;
	uint16_t len;
	uint8_t table_id;
	uint8_t pad[3];
} OFL_PACKED;
static_assert(sizeof(struct ofp_instruction_goto_table) == 8, "A.2.4");
struct ofp_instruction_write_metadata {
	uint16_t type;
	uint16_t len;
	uint8_t pad[4];
	uint64_t metadata;
	uint64_t metadata_mask;
} OFL_PACKED;
static_assert(sizeof(struct ofp_instruction_write_metadata) == 24, "A.2.4");
struct ofp_instruction_actions {
	uint16_t type;
	uint16_t len;
	uint8_t pad[4];
} OFL_PACKED;
static_assert(sizeof(struct ofp_instruction_actions) == 8, "A.2.4");
struct ofp_instruction_meter {
	uint16_t type;
	uint16_t len;
	uint32_t meter_id;
} OFL_PACKED;
static_assert(sizeof(struct ofp_instruction_meter) == 8, "A.2.4");

/* A.2.5 actions */
enum ofp_action_type {
	OFPAT_OUTPUT = 0,
	OFPAT_COPY_TTL_OUT = 11,
	OFPAT_COPY_TTL_IN = 12,
	OFPAT_SET_MPLS_TTL = 15,
	OFPAT_DEC_MPLS_TTL = 16,
	OFPAT_PUSH_VLAN = 17,
	OFPAT_POP_VLAN = 18,
	OFPAT_PUSH_MPLS = 19,
	OFPAT_POP_MPLS = 20,
	OFPAT_SET_QUEUE = 21,
	OFPAT_GROUP = 22,
	OFPAT_SET_NW_TTL = 23,
	OFPAT_DEC_NW_TTL = 24,
	OFPAT_SET_FIELD = 25,
	OFPAT_PUSH_PBB = 26,
	OFPAT_POP_PBB = 27,
	OFPAT_EXPERIMENTER = 0xffff,
};
struct ofp_action_header {
	uint16_t type;
	uint16_t len;
	uint8_t pad[4];
} OFL_PACKED;
static_assert(sizeof(struct ofp_action_header) == 8, "A.2.5");
#define OFPCML_MAX	 0xffe5
#define OFPCML_NO_BUFFER 0xffff
struct ofp_action_output {
	uint16_t type;
	uint16_t len;
	uint32_t port;
	uint16_t max_len;
	uint8_t pad[6];
} OFL_PACKED;
static_assert(sizeof(struct ofp_action_output) == 16, "A.2.5");
/* set_queue, group, set_mpls_ttl, set_nw_ttl, push_*, pop_mpls: one 32-bit
 * word after type/len, read by each handler at its own width. */
struct ofp_action_u32 {
	uint16_t type;
	uint16_t len;
	uint32_t arg;
} OFL_PACKED;
static_assert(sizeof(struct ofp_action_u32) == 8, "A.2.5");
struct ofp_action_push {
	uint16_t type;
	uint16_t len;
	uint16_t ethertype;
	uint8_t pad[2];
} OFL_PACKED;
static_assert(sizeof(struct ofp_action_push) == 8, "A.2.5");
struct ofp_action_nw_ttl {
	uint16_t type;
	uint16_t len;
	uint8_t ttl;
	uint8_t pad[3];
} OFL_PACKED;
static_assert(sizeof(struct ofp_action_nw_ttl) == 8, "A.2.5");
struct ofp_action_set_field {
	uint16_t type;
	uint16_t len;
	uint8_t field[4]; /* OXM TLV, then padding to 8 */
} OFL_PACKED;
static_assert(sizeof(struct ofp_action_set_field) == 8, "A.2.5");
struct ofp_action_experimenter_header {
	uint16_t type;
	uint16_t len;
	uint32_t experimenter;
} OFL_PACKED;
static_assert(sizeof(struct ofp_action_experimenter_header) == 8, "A.2.5");

/* A.3.1 handshake */
struct ofp_switch_features {
	struct ofp_header header;
	uint64_t datapath_id;
	uint32_t n_buffers;
	uint8_t n_tables;
	uint8_t auxiliary_id;
	uint8_t pad[2];
	uint32_t capabilities;
	uint32_t reserved;
} OFL_PACKED;
static_assert(sizeof(struct ofp_switch_features) == 32, "A.3.1");

/* A.3.2 switch configuration */
#define OFPC_FRAG_MASK 3u
struct ofp_switch_config {
	struct ofp_header header;
	uint16_t flags;
	uint16_t miss_send_len;
} OFL_PACKED;
static_assert(sizeof(struct ofp_switch_config) == 12, "A.3.2");

/* A.3.4.1 flow mod */
enum ofp_flow_mod_command {
	OFPFC_ADD = 0,
	OFPFC_MODIFY = 1,
	OFPFC_MODIFY_STRICT = 2,
	OFPFC_DELETE = 3,
	OFPFC_DELETE_STRICT = 4,
};
#define OFPFF_SEND_FLOW_REM (1u << 0)
#define OFPFF_CHECK_OVERLAP (1u << 1)
#define OFPFF_RESET_COUNTS  (1u << 2)
#define OFPFF_NO_PKT_COUNTS (1u << 3)
#define OFPFF_NO_BYT_COUNTS (1u << 4)
#define OFPFF_ALL	    0x1fu
#define OFPTT_MAX	    0xfe
#define OFPTT_ALL	    0xff
#define OFP_NO_BUFFER	    0xffffffffu
struct ofp_flow_mod {
	struct ofp_header header;
	uint64_t cookie;
	uint64_t cookie_mask;
	uint8_t table_id;
	uint8_t command;
	uint16_t idle_timeout;
	uint16_t hard_timeout;
	uint16_t priority;
	uint32_t buffer_id;
	uint32_t out_port;
	uint32_t out_group;
	uint16_t flags;
	uint8_t pad[2];
	struct ofp_match match;
} OFL_PACKED;
static_assert(sizeof(struct ofp_flow_mod) == 56, "A.3.4.1");

/* A.3.4.2 group mod */
enum ofp_group_mod_command { OFPGC_ADD = 0, OFPGC_MODIFY = 1, OFPGC_DELETE = 2 };
enum ofp_group_type {
	OFPGT_ALL = 0,
	OFPGT_SELECT = 1,
	OFPGT_INDIRECT = 2,
	OFPGT_FF = 3,
};
#define OFPG_MAX 0xffffff00u
#define OFPG_ALL 0xfffffffcu
#define OFPG_ANY 0xffffffffu
struct ofp_group_mod {
	struct ofp_header header;
	uint16_t command;
	uint8_t type;
	uint8_t pad;
	uint32_t group_id;
} OFL_PACKED;
static_assert(sizeof(struct ofp_group_mod) == 16, "A.3.4.2");
struct ofp_bucket {
	uint16_t len;
	uint16_t weight;
	uint32_t watch_port;
	uint32_t watch_group;
	uint8_t pad[4];
} OFL_PACKED;
static_assert(sizeof(struct ofp_bucket) == 16, "A.3.4.2");

/* A.3.4.3 port mod */
struct ofp_port_mod {
	struct ofp_header header;
	uint32_t port_no;
	uint8_t pad[4];
	uint8_t hw_addr[OFP_ETH_ALEN];
	uint8_t pad2[2];
	uint32_t config;
	uint32_t mask;
	uint32_t advertise;
	uint8_t pad3[4];
} OFL_PACKED;
static_assert(sizeof(struct ofp_port_mod) == 40, "A.3.4.3");

/* A.3.4.4 meter mod */
enum ofp_meter_mod_command { OFPMC_ADD = 0, OFPMC_MODIFY = 1, OFPMC_DELETE = 2 };
#define OFPMF_KBPS	(1u << 0)
#define OFPMF_PKTPS	(1u << 1)
#define OFPMF_BURST	(1u << 2)
#define OFPMF_STATS	(1u << 3)
#define OFPMF_ALL	0xfu
#define OFPM_MAX	0xffff0000u
#define OFPM_SLOWPATH	0xfffffffdu
#define OFPM_CONTROLLER 0xfffffffeu
#define OFPM_ALL	0xffffffffu
enum ofp_meter_band_type {
	OFPMBT_DROP = 1,
	OFPMBT_DSCP_REMARK = 2,
	OFPMBT_EXPERIMENTER = 0xffff,
};
struct ofp_meter_mod {
	struct ofp_header header;
	uint16_t command;
	uint16_t flags;
	uint32_t meter_id;
} OFL_PACKED;
static_assert(sizeof(struct ofp_meter_mod) == 16, "A.3.4.4");
/* drop, dscp_remark (prec_level in the first pad byte) and experimenter bands */
struct ofp_meter_band {
	uint16_t type;
	uint16_t len;
	uint32_t rate;
	uint32_t burst_size;
	uint8_t prec_level;
	uint8_t pad[3];
} OFL_PACKED;
static_assert(sizeof(struct ofp_meter_band) == 16, "A.3.4.4");

/* A.3.5 multipart */
enum ofp_multipart_type {
	OFPMP_DESC = 0,
	OFPMP_FLOW = 1,
	OFPMP_AGGREGATE = 2,
	OFPMP_TABLE = 3,
	OFPMP_PORT_STATS = 4,
	OFPMP_QUEUE = 5,
	OFPMP_GROUP = 6,
	OFPMP_GROUP_DESC = 7,
	OFPMP_GROUP_FEATURES = 8,
	OFPMP_METER = 9,
	OFPMP_METER_CONFIG = 10,
	OFPMP_METER_FEATURES = 11,
	OFPMP_TABLE_FEATURES = 12,
	OFPMP_PORT_DESC = 13,
	OFPMP_EXPERIMENTER = 0xffff,
};
#define OFPMP__MAX	  14
#define OFPMPF_REQ_MORE	  (1u << 0)
#define OFPMPF_REPLY_MORE (1u << 0)
struct ofp_multipart_hdr { /* request and reply */
	struct ofp_header header;
	uint16_t type;
	uint16_t flags;
	uint8_t pad[4];
} OFL_PACKED;
static_assert(sizeof(struct ofp_multipart_hdr) == 16, "A.3.5");

#define DESC_STR_LEN   256
#define SERIAL_NUM_LEN 32
struct ofp_desc {
	char mfr_desc[DESC_STR_LEN];
	char hw_desc[DESC_STR_LEN];
	char sw_desc[DESC_STR_LEN];
	char serial_num[SERIAL_NUM_LEN];
	char dp_desc[DESC_STR_LEN];
} OFL_PACKED;
static_assert(sizeof(struct ofp_desc) == 1056, "A.3.5.1");

struct ofp_flow_stats_request { /* also aggregate */
	uint8_t table_id;
	uint8_t pad[3];
	uint32_t out_port;
	uint32_t out_group;
	uint8_t pad2[4];
	uint64_t cookie;
	uint64_t cookie_mask;
	struct ofp_match match;
} OFL_PACKED;
static_assert(sizeof(struct ofp_flow_stats_request) == 40, "A.3.5.2");
struct ofp_flow_stats {
	uint16_t length;
	uint8_t table_id;
	uint8_t pad;
	uint32_t duration_sec;
	uint32_t duration_nsec;
	uint16_t priority;
	uint16_t idle_timeout;
	uint16_t hard_timeout;
	uint16_t flags;
	uint8_t pad2[4];
	uint64_t cookie;
	uint64_t packet_count;
	uint64_t byte_count;
	struct ofp_match match;
} OFL_PACKED;
static_assert(sizeof(struct ofp_flow_stats) == 56, "A.3.5.2");
struct ofp_aggregate_stats_reply {
	uint64_t packet_count;
	uint64_t byte_count;
	uint32_t flow_count;
	uint8_t pad[4];
} OFL_PACKED;
static_assert(sizeof(struct ofp_aggregate_stats_reply) == 24, "A.3.5.3");
struct ofp_table_stats {
	uint8_t table_id;
	uint8_t pad[3];
	uint32_t active_count;
	uint64_t lookup_count;
	uint64_t matched_count;
} OFL_PACKED;
static_assert(sizeof(struct ofp_table_stats) == 24, "A.3.5.4");
struct ofp_table_features {
	uint16_t length;
	uint8_t table_id;
	uint8_t pad[5];
	char name[32];
	uint64_t metadata_match;
	uint64_t metadata_write;
	uint32_t config;
	uint32_t max_entries;
} OFL_PACKED;
static_assert(sizeof(struct ofp_table_features) == 64, "A.3.5.5");
enum ofp_table_feature_prop_type {
	OFPTFPT_INSTRUCTIONS = 0,
	OFPTFPT_INSTRUCTIONS_MISS = 1,
	OFPTFPT_NEXT_TABLES = 2,
	OFPTFPT_NEXT_TABLES_MISS = 3,
	OFPTFPT_WRITE_ACTIONS = 4,
	OFPTFPT_WRITE_ACTIONS_MISS = 5,
	OFPTFPT_APPLY_ACTIONS = 6,
	OFPTFPT_APPLY_ACTIONS_MISS = 7,
	OFPTFPT_MATCH = 8,
	OFPTFPT_WILDCARDS = 10,
	OFPTFPT_WRITE_SETFIELD = 12,
	OFPTFPT_WRITE_SETFIELD_MISS = 13,
	OFPTFPT_APPLY_SETFIELD = 14,
	OFPTFPT_APPLY_SETFIELD_MISS = 15,
	OFPTFPT_EXPERIMENTER = 0xfffe,
	OFPTFPT_EXPERIMENTER_MISS = 0xffff,
};
struct ofp_table_feature_prop_header {
	uint16_t type;
	uint16_t length; /* without padding */
} OFL_PACKED;
static_assert(sizeof(struct ofp_table_feature_prop_header) == 4, "A.3.5.5");
struct ofp_port_stats_request {
	uint32_t port_no;
	uint8_t pad[4];
} OFL_PACKED;
static_assert(sizeof(struct ofp_port_stats_request) == 8, "A.3.5.6");
struct ofp_port_stats {
	uint32_t port_no;
	uint8_t pad[4];
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint64_t rx_dropped;
	uint64_t tx_dropped;
	uint64_t rx_errors;
	uint64_t tx_errors;
	uint64_t rx_frame_err;
	uint64_t rx_over_err;
	uint64_t rx_crc_err;
	uint64_t collisions;
	uint32_t duration_sec;
	uint32_t duration_nsec;
} OFL_PACKED;
static_assert(sizeof(struct ofp_port_stats) == 112, "A.3.5.6");
struct ofp_id_request { /* group (A.3.5.9) and meter (A.3.5.12) stats/config requests */
	uint32_t id;
	uint8_t pad[4];
} OFL_PACKED;
static_assert(sizeof(struct ofp_id_request) == 8, "A.3.5.9");
struct ofp_group_stats {
	uint16_t length;
	uint8_t pad[2];
	uint32_t group_id;
	uint32_t ref_count;
	uint8_t pad2[4];
	uint64_t packet_count;
	uint64_t byte_count;
	uint32_t duration_sec;
	uint32_t duration_nsec;
} OFL_PACKED;
static_assert(sizeof(struct ofp_group_stats) == 40, "A.3.5.9");
struct ofp_counter_pair { /* ofp_bucket_counter, ofp_meter_band_stats */
	uint64_t packet_count;
	uint64_t byte_count;
} OFL_PACKED;
static_assert(sizeof(struct ofp_counter_pair) == 16, "A.3.5.9");
struct ofp_group_desc {
	uint16_t length;
	uint8_t type;
	uint8_t pad;
	uint32_t group_id;
} OFL_PACKED;
static_assert(sizeof(struct ofp_group_desc) == 8, "A.3.5.10");
struct ofp_group_features {
	uint32_t types;
	uint32_t capabilities;
	uint32_t max_groups[4];
	uint32_t actions[4];
} OFL_PACKED;
static_assert(sizeof(struct ofp_group_features) == 40, "A.3.5.11");
struct ofp_meter_stats {
	uint32_t meter_id;
	uint16_t len;
	uint8_t pad[6];
	uint32_t flow_count;
	uint64_t packet_in_count;
	uint64_t byte_in_count;
	uint32_t duration_sec;
	uint32_t duration_nsec;
} OFL_PACKED;
static_assert(sizeof(struct ofp_meter_stats) == 40, "A.3.5.12");
struct ofp_meter_config {
	uint16_t length;
	uint16_t flags;
	uint32_t meter_id;
} OFL_PACKED;
static_assert(sizeof(struct ofp_meter_config) == 8, "A.3.5.13");
struct ofp_meter_features {
	uint32_t max_meter;
	uint32_t band_types;
	uint32_t capabilities;
	uint8_t max_bands;
	uint8_t max_color;
	uint8_t pad[2];
} OFL_PACKED;
static_assert(sizeof(struct ofp_meter_features) == 16, "A.3.5.14");

/* A.3.7 packet out */
struct ofp_packet_out {
	struct ofp_header header;
	uint32_t buffer_id;
	uint32_t in_port;
	uint16_t actions_len;
	uint8_t pad[6];
} OFL_PACKED;
static_assert(sizeof(struct ofp_packet_out) == 24, "A.3.7");

/* A.3.9 role, A.3.10 async */
enum ofp_controller_role {
	OFPCR_ROLE_NOCHANGE = 0,
	OFPCR_ROLE_EQUAL = 1,
	OFPCR_ROLE_MASTER = 2,
	OFPCR_ROLE_SLAVE = 3,
};
struct ofp_role_request {
	struct ofp_header header;
	uint32_t role;
	uint8_t pad[4];
	uint64_t generation_id;
} OFL_PACKED;
static_assert(sizeof(struct ofp_role_request) == 24, "A.3.9");
struct ofp_async_config {
	struct ofp_header header;
	uint32_t packet_in_mask[2];
	uint32_t port_status_mask[2];
	uint32_t flow_removed_mask[2];
} OFL_PACKED;
static_assert(sizeof(struct ofp_async_config) == 32, "A.3.10");

/* A.4.1 packet in: the match is variable, then 2 bytes of padding, then data. */
enum ofp_packet_in_reason { OFPR_NO_MATCH = 0, OFPR_ACTION = 1, OFPR_INVALID_TTL = 2 };
struct ofp_packet_in {
	struct ofp_header header;
	uint32_t buffer_id;
	uint16_t total_len;
	uint8_t reason;
	uint8_t table_id;
	uint64_t cookie;
	struct ofp_match match;
} OFL_PACKED;
static_assert(sizeof(struct ofp_packet_in) == 32, "A.4.1");

/* A.4.2 flow removed */
enum ofp_flow_removed_reason {
	OFPRR_IDLE_TIMEOUT = 0,
	OFPRR_HARD_TIMEOUT = 1,
	OFPRR_DELETE = 2,
	OFPRR_GROUP_DELETE = 3,
	OFPRR_METER_DELETE = 4, /* 1.4 */
};
struct ofp_flow_removed {
	struct ofp_header header;
	uint64_t cookie;
	uint16_t priority;
	uint8_t reason;
	uint8_t table_id;
	uint32_t duration_sec;
	uint32_t duration_nsec;
	uint16_t idle_timeout;
	uint16_t hard_timeout;
	uint64_t packet_count;
	uint64_t byte_count;
	struct ofp_match match;
} OFL_PACKED;
static_assert(sizeof(struct ofp_flow_removed) == 56, "A.4.2");

/* A.4.3 port status */
enum ofp_port_reason { OFPPR_ADD = 0, OFPPR_DELETE = 1, OFPPR_MODIFY = 2 };
struct ofp_port_status {
	struct ofp_header header;
	uint8_t reason;
	uint8_t pad[7];
	struct ofp_port desc;
} OFL_PACKED;
static_assert(sizeof(struct ofp_port_status) == 80, "A.4.3");

/* A.4.4 error */
struct ofp_error_msg {
	struct ofp_header header;
	uint16_t type;
	uint16_t code;
} OFL_PACKED;
static_assert(sizeof(struct ofp_error_msg) == 12, "A.4.4");
struct ofp_error_experimenter_msg {
	struct ofp_header header;
	uint16_t type; /* OFPET_EXPERIMENTER */
	uint16_t exp_type;
	uint32_t experimenter;
} OFL_PACKED;
static_assert(sizeof(struct ofp_error_experimenter_msg) == 16, "A.4.4");
#define OFPET_EXPERIMENTER 0xffff
#define OFP_ERROR_DATA_MAX 64 /* bytes of the offending message we quote */

/* A.5.1 hello */
enum ofp_hello_elem_type { OFPHET_VERSIONBITMAP = 1 };
struct ofp_hello_elem_header {
	uint16_t type;
	uint16_t length; /* without padding */
} OFL_PACKED;
static_assert(sizeof(struct ofp_hello_elem_header) == 4, "A.5.1");

/* A.5.4 experimenter */
struct ofp_experimenter_header {
	struct ofp_header header;
	uint32_t experimenter;
	uint32_t exp_type;
} OFL_PACKED;
static_assert(sizeof(struct ofp_experimenter_header) == 16, "A.5.4");

/* Bundles: OpenFlow 1.4.1 A.7.9 and ONF EXT-230 (same body after the
 * experimenter header, exp_type 2300 control / 2301 add). */
#define ONF_EXPERIMENTER_ID	0x4f4e4600u
#define ONFT_BUNDLE_CONTROL	2300u
#define ONFT_BUNDLE_ADD_MESSAGE 2301u
#define ONF_BUNDLE_ERR_BASE	2300u /* ONF1.3 bundle errors: exp_type 2300 + code */
enum ofp_bundle_ctrl_type {
	OFPBCT_OPEN_REQUEST = 0,
	OFPBCT_OPEN_REPLY = 1,
	OFPBCT_CLOSE_REQUEST = 2,
	OFPBCT_CLOSE_REPLY = 3,
	OFPBCT_COMMIT_REQUEST = 4,
	OFPBCT_COMMIT_REPLY = 5,
	OFPBCT_DISCARD_REQUEST = 6,
	OFPBCT_DISCARD_REPLY = 7,
};
#define OFPBF_ATOMIC  (1u << 0)
#define OFPBF_ORDERED (1u << 1)
struct ofp_bundle_ctrl { /* after ofp_header (1.4) or the experimenter header */
	uint32_t bundle_id;
	uint16_t type;
	uint16_t flags;
} OFL_PACKED;
static_assert(sizeof(struct ofp_bundle_ctrl) == 8, "A.7.9");
struct ofp_bundle_add { /* then the embedded message, then properties (1.4) */
	uint32_t bundle_id;
	uint8_t pad[2];
	uint16_t flags;
} OFL_PACKED;
static_assert(sizeof(struct ofp_bundle_add) == 8, "A.7.9");

/* A.4.4 error types and codes (1.3.5; BUNDLE_FAILED from 1.4.1). */
enum ofp_error_type {
	OFPET_HELLO_FAILED = 0,
	OFPET_BAD_REQUEST = 1,
	OFPET_BAD_ACTION = 2,
	OFPET_BAD_INSTRUCTION = 3,
	OFPET_BAD_MATCH = 4,
	OFPET_FLOW_MOD_FAILED = 5,
	OFPET_GROUP_MOD_FAILED = 6,
	OFPET_PORT_MOD_FAILED = 7,
	OFPET_TABLE_MOD_FAILED = 8,
	OFPET_QUEUE_OP_FAILED = 9,
	OFPET_SWITCH_CONFIG_FAILED = 10,
	OFPET_ROLE_REQUEST_FAILED = 11,
	OFPET_METER_MOD_FAILED = 12,
	OFPET_TABLE_FEATURES_FAILED = 13,
	OFPET_BUNDLE_FAILED = 17,
};

#endif
