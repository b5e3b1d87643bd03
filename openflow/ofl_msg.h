/* OpenFlow-lite wire codec: OpenFlow 1.3.5 messages as host structs.
 *
 * Design. ofl_decode() takes exactly one message (header + body, as framed by
 * ofl_msg_frame_len()) and fills a 'struct ofl_msg': host byte order, fixed-size
 * arrays bounded by the OFL_MAX_* caps below, and for opaque payloads (packet
 * data, echo data, error data, the message inside a bundle add) a pointer into
 * the caller's buffer, valid as long as that buffer. It never allocates and
 * never recurses on input: a bundle's inner message is handed back as bytes
 * and decoded by a second, separate call. Decoding is parse (syntax: every
 * length checked against the bytes that remain, TLV lists bounded) then
 * validate (the stateless rules of the spec: match prerequisites, masks,
 * duplicate fields and instructions, flags, commands, reserved ports). Checks
 * that need switch state (does table 7 exist, is group 3 defined) are the
 * agent's.
 *
 * Refusals. ofl_decode() returns 0 or a negative 'enum ofl_err', an OpenFlow
 * error (type, code) that the agent sends back with ofl_encode_error(), which
 * quotes the first 64 bytes of the offending message. Those values are all
 * <= -OFL_ERR_BASE, so they never read as an errno. Encoders return the
 * number of bytes written or a negative errno (-ENOSPC, -EINVAL, -EMSGSIZE).
 *
 * Thread-safety: every function is pure; a 'struct ofl_msg' is owned by its
 * caller. It is large (see ofl_msg_size): keep one per connection, not on a
 * PMD stack.
 */
#ifndef OFL_MSG_H
#define OFL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iovs_err.h"

/* Caps: inputs beyond them are refused with the error named here. */
#define OFL_MAX_MSG_LEN	    65535u /* the 16-bit length field */
#define OFL_MAX_OXM	    40u	   /* one per basic field; duplicates: BAD_MATCH/DUP_FIELD */
#define OFL_MAX_ACTIONS	    32u	   /* per action list: BAD_ACTION/TOO_MANY */
#define OFL_MAX_BUCKETS	    16u	   /* per group: GROUP_MOD_FAILED/OUT_OF_BUCKETS */
#define OFL_MAX_BANDS	    8u	   /* per meter: METER_MOD_FAILED/OUT_OF_BANDS */
#define OFL_MAX_HELLO_WORDS 4u	   /* version bitmap words kept (versions 0..127) */
/* Entries per decoded multipart reply (replies are decoded for tests and
 * tools; the agent encodes them with struct ofl_mp_writer, which has no cap).
 * More: BAD_REQUEST/MULTIPART_BUFFER_OVERFLOW. */
#define OFL_MAX_MP_FLOWS       4u
#define OFL_MAX_MP_PORTS       64u
#define OFL_MAX_MP_TABLES      64u
#define OFL_MAX_MP_GROUPS      16u
#define OFL_MAX_MP_GROUP_DESCS 2u /* each ~20 KB: 16 buckets of 32 actions */
#define OFL_MAX_MP_METERS      16u
#define OFL_MAX_MP_TABLE_FEAT  2u
#define OFL_MAX_TF_PROPS       16u /* per table; more: TABLE_FEATURES_FAILED/BAD_LEN */
#define OFL_MAX_TF_IDS	       64u /* ids per property; more: TABLE_FEATURES_FAILED/BAD_LEN */
#define OFL_OXM_MAX_VALUE      16u /* IPv6 addresses */
#define OFL_ERROR_QUOTE	       64u /* bytes of the offending message an error quotes */

/* OpenFlow errors as one enum; ofl_err_wire() turns them into type/code. */
#define OFL_ERR_BASE 4096
enum ofl_err {
	OFL_E_NONE = 0,
	OFL_E_HELLO_INCOMPATIBLE = OFL_ERR_BASE,
	OFL_E_BAD_VERSION,
	OFL_E_BAD_TYPE,
	OFL_E_BAD_MULTIPART,
	OFL_E_BAD_EXPERIMENTER,
	OFL_E_BAD_EXP_TYPE,
	OFL_E_BAD_LEN,
	OFL_E_BAD_TABLE_ID,
	OFL_E_BAD_PORT,
	OFL_E_BAD_PACKET,
	OFL_E_MULTIPART_BUFFER_OVERFLOW,
	OFL_E_BAC_BAD_TYPE,
	OFL_E_BAC_BAD_LEN,
	OFL_E_BAC_BAD_EXPERIMENTER,
	OFL_E_BAC_BAD_OUT_PORT,
	OFL_E_BAC_BAD_ARGUMENT,
	OFL_E_BAC_TOO_MANY,
	OFL_E_BAC_BAD_OUT_GROUP,
	OFL_E_BAC_MATCH_INCONSISTENT,
	OFL_E_BAC_BAD_SET_TYPE,
	OFL_E_BAC_BAD_SET_LEN,
	OFL_E_BAC_BAD_SET_ARGUMENT,
	OFL_E_BIC_UNKNOWN_INST,
	OFL_E_BIC_UNSUP_INST,
	OFL_E_BIC_BAD_TABLE_ID,
	OFL_E_BIC_BAD_EXPERIMENTER,
	OFL_E_BIC_BAD_LEN,
	OFL_E_BIC_DUP_INST,
	OFL_E_BMC_BAD_TYPE,
	OFL_E_BMC_BAD_LEN,
	OFL_E_BMC_BAD_WILDCARDS,
	OFL_E_BMC_BAD_FIELD,
	OFL_E_BMC_BAD_VALUE,
	OFL_E_BMC_BAD_MASK,
	OFL_E_BMC_BAD_PREREQ,
	OFL_E_BMC_DUP_FIELD,
	OFL_E_FMF_BAD_TABLE_ID,
	OFL_E_FMF_BAD_COMMAND,
	OFL_E_FMF_BAD_FLAGS,
	OFL_E_GMF_INVALID_GROUP,
	OFL_E_GMF_WEIGHT_UNSUPPORTED,
	OFL_E_GMF_OUT_OF_BUCKETS,
	OFL_E_GMF_WATCH_UNSUPPORTED,
	OFL_E_GMF_BAD_TYPE,
	OFL_E_GMF_BAD_COMMAND,
	OFL_E_GMF_BAD_BUCKET,
	OFL_E_GMF_BAD_WATCH,
	OFL_E_PMF_BAD_PORT,
	OFL_E_PMF_BAD_CONFIG,
	OFL_E_SCF_BAD_FLAGS,
	OFL_E_RRF_BAD_ROLE,
	OFL_E_MMF_INVALID_METER,
	OFL_E_MMF_BAD_COMMAND,
	OFL_E_MMF_BAD_FLAGS,
	OFL_E_MMF_BAD_RATE,
	OFL_E_MMF_BAD_BURST,
	OFL_E_MMF_BAD_BAND,
	OFL_E_MMF_OUT_OF_BANDS,
	OFL_E_TFF_EPERM,
	OFL_E_TFF_BAD_LEN,
	OFL_E_TFF_BAD_TYPE,
	OFL_E_BFC_BAD_TYPE,
	OFL_E_BFC_BAD_FLAGS,
	OFL_E_BFC_MSG_BAD_LEN,
	OFL_E_BFC_MSG_BAD_XID,
	OFL_E_BFC_MSG_UNSUP,
	/* State errors of the agent's tables (not raised by the codec). */
	OFL_E_FMF_UNKNOWN,
	OFL_E_FMF_OVERLAP,
	OFL_E_GMF_GROUP_EXISTS,
	OFL_E_GMF_UNKNOWN_GROUP,
	OFL_E_GMF_LOOP,
	OFL_E_MMF_UNKNOWN,
	OFL_E_MMF_METER_EXISTS,
	OFL_E_MMF_UNKNOWN_METER,
	OFL_E_BUFFER_UNKNOWN,
	OFL_E_BFC_UNKNOWN,
	OFL_E_BFC_BAD_ID,
	OFL_E_BFC_BUNDLE_EXIST,
	OFL_E_BFC_BUNDLE_CLOSED,
	OFL_E_BFC_OUT_OF_BUNDLES,
	OFL_E_BFC_MSG_TOO_MANY,
	OFL_E_BFC_MSG_FAILED,
	OFL_E__END,
};

struct ofl_err_wire {
	uint16_t type;
	uint16_t code;
	const char *name; /* "BAD_REQUEST/BAD_LEN" */
};
/* The wire type/code of 'e' (a positive enum value or its negation, as
 * returned by ofl_decode). Returns NULL if 'e' is not an OpenFlow error. */
const struct ofl_err_wire *ofl_err_wire(int e);
const char *ofl_err_name(int e);

/* --- Host structs --- */

struct ofl_header {
	uint8_t version;
	uint8_t type;
	uint16_t length;
	uint32_t xid;
};

/* One OXM TLV of class OPENFLOW_BASIC. 'len' is the value length in bytes. */
struct ofl_oxm {
	uint8_t field; /* OFPXMT_OFB_* */
	uint8_t len;
	bool has_mask;
	uint8_t value[OFL_OXM_MAX_VALUE];
	uint8_t mask[OFL_OXM_MAX_VALUE];
};

/* Fields in wire order; at most one per field. */
struct ofl_match {
	uint8_t n;
	struct ofl_oxm f[OFL_MAX_OXM];
};

struct ofl_action {
	uint16_t type; /* OFPAT_* */
	union {
		struct {
			uint32_t port;
			uint16_t max_len;
		} output;
		struct ofl_oxm set_field; /* has_mask is always false */
		uint16_t ethertype;	  /* push_vlan, push_mpls, push_pbb, pop_mpls */
		uint8_t ttl;		  /* set_nw_ttl, set_mpls_ttl */
		uint32_t queue_id;
		uint32_t group_id;
	};
};

struct ofl_actions {
	uint8_t n;
	struct ofl_action a[OFL_MAX_ACTIONS];
};

/* Each instruction at most once (BAD_INSTRUCTION/DUP_INST); 'order' keeps the
 * wire order so that encoding reproduces the bytes. */
struct ofl_instructions {
	uint8_t n;
	uint8_t order[6]; /* OFPIT_* */
	uint8_t goto_table;
	uint32_t meter_id;
	uint64_t metadata;
	uint64_t metadata_mask;
	struct ofl_actions write;
	struct ofl_actions apply;
};
bool ofl_instructions_has(const struct ofl_instructions *ins, uint16_t type);

struct ofl_hello {
	bool has_bitmap;
	uint8_t n_words;
	uint32_t bitmap[OFL_MAX_HELLO_WORDS];
};

struct ofl_error {
	uint16_t type;
	uint16_t code;
	uint16_t exp_type;     /* type == OFPET_EXPERIMENTER */
	uint32_t experimenter; /* type == OFPET_EXPERIMENTER */
	const uint8_t *data;
	size_t data_len;
};

struct ofl_echo {
	const uint8_t *data;
	size_t data_len;
};

struct ofl_features {
	uint64_t datapath_id;
	uint32_t n_buffers;
	uint8_t n_tables;
	uint8_t auxiliary_id;
	uint32_t capabilities;
};

struct ofl_config {
	uint16_t flags;
	uint16_t miss_send_len;
};

struct ofl_role {
	uint32_t role;
	uint64_t generation_id;
};

struct ofl_async {
	uint32_t packet_in_mask[2];
	uint32_t port_status_mask[2];
	uint32_t flow_removed_mask[2];
};

struct ofl_flow_mod {
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
	struct ofl_match match;
	struct ofl_instructions ins;
};

struct ofl_flow_removed {
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
	struct ofl_match match;
};

struct ofl_packet_in {
	uint32_t buffer_id;
	uint16_t total_len;
	uint8_t reason;
	uint8_t table_id;
	uint64_t cookie;
	struct ofl_match match;
	const uint8_t *data;
	size_t data_len;
};

struct ofl_packet_out {
	uint32_t buffer_id;
	uint32_t in_port;
	struct ofl_actions actions;
	const uint8_t *data;
	size_t data_len;
};

struct ofl_port {
	uint32_t port_no;
	uint8_t hw_addr[6];
	char name[16]; /* as on the wire: NUL-padded, may be unterminated */
	uint32_t config;
	uint32_t state;
	uint32_t curr;
	uint32_t advertised;
	uint32_t supported;
	uint32_t peer;
	uint32_t curr_speed;
	uint32_t max_speed;
};

struct ofl_port_status {
	uint8_t reason;
	struct ofl_port desc;
};

struct ofl_port_mod {
	uint32_t port_no;
	uint8_t hw_addr[6];
	uint32_t config;
	uint32_t mask;
	uint32_t advertise;
};

struct ofl_bucket {
	uint16_t weight;
	uint32_t watch_port;
	uint32_t watch_group;
	struct ofl_actions actions;
};

struct ofl_group_mod {
	uint16_t command;
	uint8_t type;
	uint32_t group_id;
	uint8_t n_buckets;
	struct ofl_bucket buckets[OFL_MAX_BUCKETS];
};

struct ofl_band {
	uint16_t type; /* OFPMBT_DROP; DSCP_REMARK decodes but is refused */
	uint32_t rate;
	uint32_t burst_size;
	uint8_t prec_level;
};

struct ofl_meter_mod {
	uint16_t command;
	uint16_t flags;
	uint32_t meter_id;
	uint8_t n_bands;
	struct ofl_band bands[OFL_MAX_BANDS];
};

/* Multipart bodies. */
struct ofl_flow_stats_request { /* FLOW and AGGREGATE */
	uint8_t table_id;
	uint32_t out_port;
	uint32_t out_group;
	uint64_t cookie;
	uint64_t cookie_mask;
	struct ofl_match match;
};

struct ofl_desc {
	char mfr_desc[256];
	char hw_desc[256];
	char sw_desc[256];
	char serial_num[32];
	char dp_desc[256];
};

struct ofl_flow_stats {
	uint8_t table_id;
	uint32_t duration_sec;
	uint32_t duration_nsec;
	uint16_t priority;
	uint16_t idle_timeout;
	uint16_t hard_timeout;
	uint16_t flags;
	uint64_t cookie;
	uint64_t packet_count;
	uint64_t byte_count;
	struct ofl_match match;
	struct ofl_instructions ins;
};

struct ofl_aggregate_stats {
	uint64_t packet_count;
	uint64_t byte_count;
	uint32_t flow_count;
};

struct ofl_table_stats {
	uint8_t table_id;
	uint32_t active_count;
	uint64_t lookup_count;
	uint64_t matched_count;
};

struct ofl_port_stats {
	uint32_t port_no;
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t rx_dropped, tx_dropped, rx_errors, tx_errors;
	uint64_t rx_frame_err, rx_over_err, rx_crc_err, collisions;
	uint32_t duration_sec;
	uint32_t duration_nsec;
};

struct ofl_counter_pair {
	uint64_t packet_count;
	uint64_t byte_count;
};

struct ofl_group_stats {
	uint32_t group_id;
	uint32_t ref_count;
	uint64_t packet_count;
	uint64_t byte_count;
	uint32_t duration_sec;
	uint32_t duration_nsec;
	uint8_t n_buckets;
	struct ofl_counter_pair buckets[OFL_MAX_BUCKETS];
};

struct ofl_group_desc {
	uint8_t type;
	uint32_t group_id;
	uint8_t n_buckets;
	struct ofl_bucket buckets[OFL_MAX_BUCKETS];
};

struct ofl_group_features {
	uint32_t types;
	uint32_t capabilities;
	uint32_t max_groups[4];
	uint32_t actions[4];
};

struct ofl_meter_stats {
	uint32_t meter_id;
	uint32_t flow_count;
	uint64_t packet_in_count;
	uint64_t byte_in_count;
	uint32_t duration_sec;
	uint32_t duration_nsec;
	uint8_t n_bands;
	struct ofl_counter_pair bands[OFL_MAX_BANDS];
};

struct ofl_meter_config {
	uint16_t flags;
	uint32_t meter_id;
	uint8_t n_bands;
	struct ofl_band bands[OFL_MAX_BANDS];
};

struct ofl_meter_features {
	uint32_t max_meter;
	uint32_t band_types;
	uint32_t capabilities;
	uint8_t max_bands;
	uint8_t max_color;
};

/* A table-features property: the list of ids it carries. For instruction
 * and action properties an id is the type (the 4-byte wire element has
 * len 4); NEXT_TABLES ids are table ids; OXM properties hold OXM headers. */
struct ofl_tf_prop {
	uint16_t type;
	uint8_t n_ids;
	uint32_t ids[OFL_MAX_TF_IDS];
};

struct ofl_table_features {
	uint8_t table_id;
	char name[32];
	uint64_t metadata_match;
	uint64_t metadata_write;
	uint32_t config;
	uint32_t max_entries;
	uint8_t n_props;
	struct ofl_tf_prop props[OFL_MAX_TF_PROPS];
};

struct ofl_mp_request {
	uint16_t type; /* OFPMP_* */
	uint16_t flags;
	union {
		struct ofl_flow_stats_request flow; /* FLOW, AGGREGATE */
		uint32_t port_no;		    /* PORT_STATS */
		uint32_t group_id;		    /* GROUP */
		uint32_t meter_id;		    /* METER, METER_CONFIG */
	};
};

struct ofl_mp_reply {
	uint16_t type;
	uint16_t flags;
	uint16_t n; /* entries in the array of 'type' */
	union {
		struct ofl_desc desc;
		struct ofl_aggregate_stats aggregate;
		struct ofl_group_features group_features;
		struct ofl_meter_features meter_features;
		struct ofl_flow_stats flows[OFL_MAX_MP_FLOWS];
		struct ofl_table_stats tables[OFL_MAX_MP_TABLES];
		struct ofl_port_stats port_stats[OFL_MAX_MP_PORTS];
		struct ofl_port ports[OFL_MAX_MP_PORTS];
		struct ofl_group_stats groups[OFL_MAX_MP_GROUPS];
		struct ofl_group_desc group_descs[OFL_MAX_MP_GROUP_DESCS];
		struct ofl_meter_stats meters[OFL_MAX_MP_METERS];
		struct ofl_meter_config meter_configs[OFL_MAX_MP_METERS];
		struct ofl_table_features table_features[OFL_MAX_MP_TABLE_FEAT];
	};
};

/* Bundles, in either form: OF 1.4 BUNDLE_CONTROL/ADD_MESSAGE, or (onf == true)
 * the ONF EXT-230 experimenter messages that ovs-ofctl sends on OF 1.3. */
struct ofl_bundle_ctrl {
	bool onf;
	uint32_t bundle_id;
	uint16_t type; /* OFPBCT_* */
	uint16_t flags;
};

struct ofl_bundle_add {
	bool onf;
	uint32_t bundle_id;
	uint16_t flags;
	const uint8_t *msg; /* the inner message: decode it with ofl_decode() */
	size_t msg_len;
	struct ofl_header inner; /* its header, as read once at decode */
};

struct ofl_msg {
	struct ofl_header h;
	union {
		struct ofl_hello hello;
		struct ofl_error error;
		struct ofl_echo echo; /* ECHO_REQUEST, ECHO_REPLY */
		struct ofl_features features;
		struct ofl_config config; /* GET_CONFIG_REPLY, SET_CONFIG */
		struct ofl_role role;	  /* ROLE_REQUEST, ROLE_REPLY */
		struct ofl_async async;	  /* GET_ASYNC_REPLY, SET_ASYNC */
		struct ofl_flow_mod flow_mod;
		struct ofl_flow_removed flow_removed;
		struct ofl_packet_in packet_in;
		struct ofl_packet_out packet_out;
		struct ofl_port_status port_status;
		struct ofl_port_mod port_mod;
		struct ofl_group_mod group_mod;
		struct ofl_meter_mod meter_mod;
		struct ofl_mp_request mp_request;
		struct ofl_mp_reply mp_reply;
		struct ofl_bundle_ctrl bundle_ctrl;
		struct ofl_bundle_add bundle_add;
	};
};

/* --- Entry points --- */

/* Framing for a byte stream: given the first 'len' bytes received, returns
 * the length of the whole message (>= 8) once the header is there, 0 if more
 * header bytes are needed, or -OFL_E_BAD_LEN if the header's length is < 8. */
int ofl_msg_frame_len(const uint8_t *buf, size_t len);

/* Decodes one whole message: 'len' must equal the header's length. Returns 0,
 * or a negative enum ofl_err with 'err' (may be NULL) saying what and where;
 * after a refusal only out->h is meaningful. 'out' may hold pointers into
 * 'buf'. */
int ofl_decode(const uint8_t *buf, size_t len, struct ofl_msg *out, struct iovs_err *err);

/* Like ofl_decode() without the validate step (syntax only). For tests and
 * tools that must see messages the switch refuses (e.g. MPLS actions). */
int ofl_parse(const uint8_t *buf, size_t len, struct ofl_msg *out, struct iovs_err *err);

/* Encodes 'm' (m->h.length is ignored and computed). Returns the length, or
 * -ENOSPC if 'cap' is too small, -EMSGSIZE beyond 65535 bytes, -EINVAL for a
 * type this codec does not encode or a host struct out of range. */
int ofl_encode(const struct ofl_msg *m, uint8_t *buf, size_t cap);

/* OFPT_ERROR answering 'offending' (the request as received, any length;
 * its xid is reused, at most its first 64 bytes quoted). ONF-bundle errors on
 * OF 1.3 use the experimenter form. Returns the length or -ENOSPC/-EINVAL. */
int ofl_encode_error(int e, const uint8_t *offending, size_t off_len, uint8_t *buf, size_t cap);

/* Multipart replies of any size: entries are appended one by one, and a new
 * message (the previous one flagged OFPMPF_REPLY_MORE) is started whenever the
 * next entry would push a message past 'max_msg' bytes (0: 65535). The
 * messages are laid out back to back in 'buf'. */
struct ofl_mp_writer {
	uint8_t *buf;
	size_t cap;
	size_t max_msg;
	size_t msg_start; /* offset of the message being filled */
	size_t len;	  /* bytes used in buf */
	uint32_t xid;
	uint16_t type;
	unsigned n_msgs;
	int rc; /* first error, sticky */
};
void ofl_mp_writer_init(struct ofl_mp_writer *w, uint8_t *buf, size_t cap, size_t max_msg,
			uint32_t xid, uint16_t mp_type);
int ofl_mp_add_flow(struct ofl_mp_writer *w, const struct ofl_flow_stats *fs);
int ofl_mp_add_table(struct ofl_mp_writer *w, const struct ofl_table_stats *ts);
int ofl_mp_add_port_stats(struct ofl_mp_writer *w, const struct ofl_port_stats *ps);
int ofl_mp_add_port(struct ofl_mp_writer *w, const struct ofl_port *p);
int ofl_mp_add_group(struct ofl_mp_writer *w, const struct ofl_group_stats *gs);
int ofl_mp_add_group_desc(struct ofl_mp_writer *w, const struct ofl_group_desc *gd);
int ofl_mp_add_meter(struct ofl_mp_writer *w, const struct ofl_meter_stats *ms);
int ofl_mp_add_meter_config(struct ofl_mp_writer *w, const struct ofl_meter_config *mc);
int ofl_mp_add_table_features(struct ofl_mp_writer *w, const struct ofl_table_features *tf);
/* Closes the last message (a writer with no entry yields one empty reply).
 * Returns the total length of all messages, or the first error. */
int ofl_mp_writer_finish(struct ofl_mp_writer *w);

const char *ofl_type_name(uint8_t type);
const char *ofl_mp_type_name(uint16_t type);

#endif
