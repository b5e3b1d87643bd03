/* vswitch: the forwarding plane. Public API, the only header other folders include.
 *
 * Design note. A 'struct vsw' owns bridges, ports and PMD threads. PMD threads run
 * a run-to-completion loop over the rx queues placed on them (pmd.c): rx burst →
 * key extraction (pkt_key.c) → forwarding decision → per-output-port tx batches.
 * Today the decision is the learning bridge (bridge.c, OpenFlow's NORMAL action);
 * the OpenFlow pipeline will sit in front of it and call it as one action.
 *
 * Concurrency. Every vsw_* function below is for the control thread only and may
 * block it (for an RCU grace period). PMDs never take a lock that can sleep and
 * never wait for the control thread: the control thread builds a new immutable
 * datapath snapshot (ports by slot, each PMD's rx queue list, each bridge's
 * members), publishes it with one atomic store, waits for every PMD to report a
 * quiescent state (rte_rcu_qsbr) and only then frees what the old snapshot used.
 */
#ifndef VSW_H
#define VSW_H

#include <stdbool.h>
#include <stdint.h>

#include "iovs_err.h"

#define VSW_NAME_MAX	32 /* bridge and port names, with the NUL */
#define VSW_IFNAME_MAX	16 /* kernel interface names (IFNAMSIZ) */
#define VSW_DEVARGS_MAX 256
#define VSW_MAX_PORTS	256 /* ports of all bridges together */
#define VSW_MAX_QUEUES	16  /* rx (and tx) queues per port */
#define VSW_MAX_PMDS	64
#define VSW_MAX_BRIDGES 16
#define VSW_VLAN_MAX	4095
#define VSW_PATH_MAX	108 /* vhost-user socket paths (sun_path) */

/* Port types: how a port is opened. All but VSW_PORT_DPDK build their devargs
 * from 'iface' and 'n_queues'; VSW_PORT_DPDK and VSW_PORT_PCI take 'devargs'. */
enum vsw_port_type {
	VSW_PORT_TAP,	     /* net_tap: a kernel tap interface for the host */
	VSW_PORT_AF_PACKET,  /* net_af_packet on an existing kernel interface */
	VSW_PORT_AF_XDP,     /* net_af_xdp on an existing kernel interface */
	VSW_PORT_NULL,	     /* net_null: endless zero frames, for benchmarks */
	VSW_PORT_RING,	     /* net_ring: an in-memory loopback */
	VSW_PORT_PCI,	     /* a NIC or VF by PCI address (bound to vfio-pci) */
	VSW_PORT_DPDK,	     /* any other ethdev, by raw devargs */
	VSW_PORT_VHOST_USER, /* a virtio-net guest on a vhost-user socket ('socket') */
	VSW_PORT_TYPE__MAX
};

const char *vsw_port_type_name(enum vsw_port_type type);
/* Returns 0 and sets '*type', or -EINVAL for an unknown name. */
int vsw_port_type_parse(const char *name, enum vsw_port_type *type);

enum vsw_vlan_mode {
	VSW_VLAN_ACCESS, /* one VLAN ('tag'), untagged on the wire */
	VSW_VLAN_TRUNK,	 /* tagged VLANs in 'trunks'; 'native' travels untagged */
};

/* VLAN membership of a port. VLAN 0 is the untagged LAN: an access port with
 * tag 0 (the default) and a trunk's untagged frames without a native VLAN
 * belong to it. See vswitch/README.md for the exact rules. */
struct vsw_vlan_conf {
	enum vsw_vlan_mode mode;
	uint16_t tag;		    /* access: the port's VLAN, 0..4094 */
	uint16_t native;	    /* trunk: untagged frames' VLAN, 0 = none */
	bool trunks_all;	    /* trunk: every VLAN allowed */
	uint64_t trunks[4096 / 64]; /* trunk: allowed VLANs when !trunks_all */
};

/* A port as configured: parsed from the config file or a control request,
 * validated by vsw_port_conf_validate(), applied by vsw_port_add(). */
struct vsw_port_conf {
	char name[VSW_NAME_MAX];
	char bridge[VSW_NAME_MAX];
	enum vsw_port_type type;
	char iface[VSW_IFNAME_MAX];	 /* tap/af_packet/af_xdp; tap defaults to name */
	char devargs[VSW_DEVARGS_MAX];	 /* pci/dpdk */
	char socket[VSW_PATH_MAX];	 /* vhost-user: absolute path of the unix socket */
	bool client;			 /* vhost-user: connect to 'socket' (front-end listens) */
	uint16_t n_queues;		 /* rx queues = tx queues, 1..VSW_MAX_QUEUES */
	int16_t rxq_pmd[VSW_MAX_QUEUES]; /* lcore each rx queue is pinned to, -1 = any */
	struct vsw_vlan_conf vlan;
	uint32_t ofport; /* OpenFlow port number (iovsd's "ofport"); 0: none */
};

struct vsw_bridge_conf {
	char name[VSW_NAME_MAX];
	bool no_learning;	 /* a hub: every frame floods (benchmarks, taps) */
	uint32_t mac_table_size; /* learned entries at most, 16..1048576 */
	uint32_t mac_aging_s;	 /* 1..86400 */
};

/* Defaults for a new conf, then syntax checks that need no switch state. */
void vsw_port_conf_init(struct vsw_port_conf *conf);
int vsw_port_conf_validate(const struct vsw_port_conf *conf, struct iovs_err *err);
void vsw_bridge_conf_init(struct vsw_bridge_conf *conf);
int vsw_bridge_conf_validate(const struct vsw_bridge_conf *conf, struct iovs_err *err);

/* VLAN list syntax "10,20-30" ↔ trunks bitmap. Parse returns 0 or -EINVAL. */
int vsw_vlan_list_parse(const char *s, struct vsw_vlan_conf *vlan, struct iovs_err *err);
void vsw_vlan_list_format(const struct vsw_vlan_conf *vlan, char *buf, size_t len);

/* ---- the switch ---- */

struct vsw;

struct vhu_loop;

struct vsw_params {
	struct vhu_loop *vhu_loop; /* where vhost-user ports keep their sockets */
	unsigned n_pmds;
	unsigned pmd_lcores[VSW_MAX_PMDS]; /* EAL lcore ids, already initialised */
	unsigned n_mbufs;		   /* 0 = a default sized for the ports */
};

/* Needs rte_eal_init() done. Creates the mbuf pool and RCU state and launches
 * the PMD threads, polling nothing yet. */
int vsw_create(const struct vsw_params *params, struct vsw **out, struct iovs_err *err);
/* Stops PMDs, removes every port and bridge. NULL is a no-op. */
void vsw_destroy(struct vsw *sw);

int vsw_bridge_add(struct vsw *sw, const struct vsw_bridge_conf *conf, struct iovs_err *err);
/* Fails with -EBUSY while the bridge has ports. */
int vsw_bridge_del(struct vsw *sw, const char *name, struct iovs_err *err);

/* Opens the device, configures and starts its queues, places its rx queues on
 * PMDs and publishes it. On any failure nothing changes. */
int vsw_port_add(struct vsw *sw, const struct vsw_port_conf *conf, struct iovs_err *err);
/* Unpublishes the port, waits for the PMDs, forgets its MAC entries, closes it. */
int vsw_port_del(struct vsw *sw, const char *name, struct iovs_err *err);

/* Periodic control-thread work (MAC aging). Call about once per second. */
void vsw_run_periodic(struct vsw *sw);

/* ---- read-only views for the control socket ---- */

enum vsw_drop_reason {
	VSW_DROP_NO_ROUTE,  /* no output port (unknown VLAN member set empty, hairpin) */
	VSW_DROP_TX_FULL,   /* the output queue did not take the packet */
	VSW_DROP_NO_MBUF,   /* no mbuf for a flood copy or rx (device counter) */
	VSW_DROP_VLAN,	    /* VLAN not allowed on the ingress port */
	VSW_DROP_MALFORMED, /* shorter than an Ethernet header */
	VSW_DROP_RX_MISSED, /* device counter: rx ring full (PMD too slow) */
	VSW_DROP_TOO_BIG,   /* larger than the output can take (a guest's rx buffers) */
	VSW_DROP_OFFLOAD,   /* pending checksum/TSO work the output needed was refused */
	VSW_DROP__MAX
};
const char *vsw_drop_reason_name(enum vsw_drop_reason reason);

struct vsw_port_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t drops[VSW_DROP__MAX];
};

struct vsw_rxq_info {
	uint16_t qid;
	int pmd_lcore;
	uint64_t rx_packets, rx_bytes;
};

/* Per-queue drop reasons of vhost-user ports (the order of vhost-user's). */
enum vsw_queue_drop {
	VSW_QDROP_NO_BUFFERS,	   /* to the guest: it posted no (or too few) rx buffers */
	VSW_QDROP_TOO_BIG,	   /* to the guest: larger than its buffers */
	VSW_QDROP_MALFORMED,	   /* from the guest: bad virtio-net header or chain */
	VSW_QDROP_NO_MBUF,	   /* from the guest: mbuf pool empty */
	VSW_QDROP_BROKEN,	   /* the guest broke the ring: nothing moves */
	VSW_QDROP_DOWN,		   /* the ring is not running */
	VSW_QDROP_IOTLB_ACCESS,	   /* the guest's vIOMMU refused the access a buffer needs */
	VSW_QDROP_IOTLB_HOLD_FULL, /* to the guest: its buffers missed and the hold was full */
	VSW_QUEUE_DROP__MAX
};
const char *vsw_queue_drop_name(enum vsw_queue_drop d);

struct vsw_queue_info {
	bool rx_up, tx_up; /* the guest runs its tx (our rx) / rx (our tx) ring */
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t interrupts; /* call eventfd writes */
	uint64_t drops[VSW_QUEUE_DROP__MAX];
};

/* vhost-user ports with VIRTIO_F_ACCESS_PLATFORM: the device IOTLB (the
 * fields of vhost-user's struct vhu_iotlb_info). */
struct vsw_iotlb_info {
	bool enabled;
	uint64_t entries, updates, refused, invalidations, evictions;
	uint64_t misses, misses_unsent, waits, ring_waits, held, held_now, access_failures;
};

struct vsw_port_info {
	struct vsw_port_conf conf;
	uint16_t eth_port_id;
	bool link_up;
	uint32_t link_speed_mbps;
	uint8_t mac[6];
	struct vsw_port_stats stats; /* summed over PMDs and the device */
	uint16_t n_rxq;
	struct vsw_rxq_info rxq[VSW_MAX_QUEUES];
	/* vhost-user ports. */
	bool vhost;
	char state[96]; /* "listening", "connected", "running", "broken: ..." */
	uint64_t features, protocol_features; /* negotiated */
	uint16_t guest_mtu;
	uint16_t n_guest_queues; /* queue pairs the guest set up */
	uint16_t n_queue_info;
	struct vsw_queue_info queue[VSW_MAX_QUEUES];
	struct vsw_iotlb_info iotlb;
};

struct vsw_pmd_info {
	unsigned lcore;
	unsigned n_rxq;
	uint64_t iterations;
	uint64_t rx_packets;
	uint64_t busy_cycles, idle_cycles;
	uint64_t tsc_hz;
};

struct vsw_fdb_entry_info {
	uint8_t mac[6];
	uint16_t vlan;
	char port[VSW_NAME_MAX];
	uint32_t age_s;
};

struct vsw_bridge_info {
	struct vsw_bridge_conf conf;
	unsigned n_ports;
	uint32_t fdb_entries;
	uint64_t fdb_learned, fdb_moved, fdb_evicted, fdb_aged;
};

/* Visit bridges, ports (of one bridge, or all with bridge == NULL), PMDs, or a
 * bridge's learned MACs. The callback returns 0 to go on, non-zero to stop. */
int vsw_bridge_foreach(struct vsw *sw, int (*cb)(const struct vsw_bridge_info *, void *),
		       void *arg);
int vsw_port_foreach(struct vsw *sw, const char *bridge,
		     int (*cb)(const struct vsw_port_info *, void *), void *arg);
int vsw_pmd_foreach(struct vsw *sw, int (*cb)(const struct vsw_pmd_info *, void *), void *arg);
/* Returns -ENOENT if there is no such bridge. */
int vsw_bridge_fdb_foreach(struct vsw *sw, const char *bridge,
			   int (*cb)(const struct vsw_fdb_entry_info *, void *), void *arg,
			   struct iovs_err *err);
int vsw_bridge_fdb_flush(struct vsw *sw, const char *bridge, struct iovs_err *err);

#endif
