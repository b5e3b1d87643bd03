#!/bin/bash
# Captures what ovs-ofctl -O OpenFlow13 (Debian openvswitch-common 3.1) sends,
# one listener per command; SW is replaced by the listener's address. The raw
# messages land in $raw; the .bin files of this folder were picked from them
# (duplicates and repeated HELLO / table-features requests dropped).
set -u
here=$(cd "$(dirname "$0")" && pwd)
raw=${1:-/tmp/ofl-capture}
mkdir -p "$raw"
printf 'priority=1,in_port=1,actions=output:2\npriority=2,ip,nw_dst=10.0.0.1,actions=output:3\n' >"$raw/flows.txt"
port=16620
cap() { local name=$1; shift; port=$((port+1)); local args=()
  for a in "$@"; do [ "$a" = SW ] && a=tcp:127.0.0.1:$port; args+=("$a"); done
  rm -f "$raw/.ready-$name"
  python3 "$here/capture_listener.py" $port "$raw" $name > "$raw"/$name.log 2>&1 &
  for _ in $(seq 100); do [ -e "$raw/.ready-$name" ] && break; sleep 0.1; done
  timeout 15 ovs-ofctl -O OpenFlow13 "${args[@]}" >"$raw"/$name.out 2>&1; echo "$name rc=$?"; wait; }
cap add_flow_vlan add-flow SW "table=0,priority=100,in_port=1,dl_vlan=10,actions=pop_vlan,output:2"
cap add_flow_tcp add-flow SW "table=1,priority=200,cookie=0x1234,idle_timeout=30,hard_timeout=60,send_flow_rem,tcp,nw_src=10.0.0.0/8,nw_dst=192.168.1.1,tp_src=80,tp_dst=0x1000/0xf000,actions=set_field:00:11:22:33:44:55->eth_dst,dec_ttl,output:3,goto_table:2"
cap add_flow_push add-flow SW "priority=5,dl_src=00:00:00:00:00:01/ff:ff:ff:00:00:00,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=meter:1,push_vlan:0x8100,set_field:4196->vlan_vid,set_queue:3,group:7,write_metadata:0x10/0xff"
cap add_flow_ipv6 add-flow SW "priority=9,icmp6,ipv6_src=2001:db8::/32,ipv6_dst=fe80::1,icmp_type=135,nd_target=fe80::2,nd_sll=00:11:22:33:44:55,actions=clear_actions,write_actions(output:CONTROLLER)"
cap add_flow_arp add-flow SW "priority=7,arp,arp_op=1,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/24,arp_sha=00:00:00:00:00:0a,actions=output:NORMAL,output:FLOOD,output:ALL,output:LOCAL,output:IN_PORT,controller:128"
cap add_flow_udp add-flow SW "priority=8,udp,ip_dscp=46,nw_ecn=1,udp_dst=53,vlan_pcp=3,dl_vlan=100,actions=mod_nw_ttl:9,set_field:10.1.1.1->ip_src,set_field:5353->udp_dst,pop_vlan"
cap add_flow_sctp add-flow SW "priority=8,sctp,sctp_src=1,sctp_dst=2,metadata=0x5/0xf,actions=drop"
cap add_flow_icmp add-flow SW "priority=8,icmp,icmp_type=8,icmp_code=0,in_port=1,actions=output:1"
cap add_flow_miss add-flow SW "table=3,priority=0,actions=CONTROLLER:65535"
cap add_flow_ipv6_tll add-flow SW "priority=9,icmp6,icmp_type=136,icmp_code=0,nd_target=fe80::3,nd_tll=00:11:22:33:44:66,actions=output:1"
cap mod_flows mod-flows SW "cookie=0x1234/-1,in_port=2,actions=output:4"
cap mod_flows_strict mod-flows --strict SW "priority=100,in_port=2,actions=output:4"
cap del_flows del-flows SW "in_port=1"
cap del_flows_all del-flows SW
cap del_flows_strict del-flows --strict SW "priority=100,in_port=2,tcp"
cap add_group_all add-group SW "group_id=1,type=all,bucket=output:1,bucket=output:2"
cap add_group_select add-group SW "group_id=2,type=select,bucket=weight:10,output:1,bucket=weight:20,actions=set_field:10.0.0.9->ip_dst,output:2"
cap add_group_ff add-group SW "group_id=3,type=ff,bucket=watch_port:1,output:1,bucket=watch_port:2,watch_group:5,output:2"
cap add_group_indirect add-group SW "group_id=4,type=indirect,bucket=output:3"
cap del_groups del-groups SW
cap add_meter add-meter SW "meter=1,kbps,burst,stats,bands=type=drop,rate=1000,burst_size=100"
cap add_meter_pktps add-meter SW "meter=2,pktps,bands=type=drop,rate=500"
cap packet_out packet-out SW 1 "output:2,push_vlan:0x8100,set_field:4097->vlan_vid,output:3" 0001020304050006070809100800450000140000000040000000c0a80001c0a80002
cap dump_flows dump-flows SW
cap dump_flows_filtered dump-flows SW "table=1,tcp,cookie=0x1234/-1,out_port=3"
cap dump_aggregate dump-aggregate SW
cap dump_ports dump-ports SW
cap dump_ports_one dump-ports SW 1
cap dump_ports_desc dump-ports-desc SW
cap dump_tables dump-tables SW
cap dump_table_features dump-table-features SW
cap dump_groups dump-groups SW
cap dump_group_stats dump-group-stats SW
cap dump_group_features dump-group-features SW
cap meter_stats meter-stats SW
cap dump_meters dump-meters SW
cap meter_features meter-features SW
cap show show SW
cap get_frags get-frags SW
cap set_frags set-frags SW drop
cap mod_port mod-port SW 1 down
cap bundle_flows --bundle add-flow SW "priority=10,in_port=1,actions=output:2"
cap bundle_flows2 --bundle add-flows SW "$raw/flows.txt"
cap echo_request probe SW
cap dump_desc dump-desc SW
