#!/usr/bin/env python3
"""V2V topology for OpenFlow benchmarks: one traffic VM, one switch PMD core, OpenFlow rules.

     traffic VM: dpdk-testpmd, flowgen, CPU 1          switch: one PMD on CPU 0 (iovs or OVS-DPDK)
     port 0  net_virtio_user0 ─── vhost-user ───► ofport 1 ─┐ in_port=1,nw_dst=D → output:2
                              ◄──────────────────           │
     port 1  net_virtio_user1 ─── vhost-user ───► ofport 2 ─┘ in_port=2,nw_dst=D → output:1

The generator sends 64 B UDP frames on both ports (its destination IP cycles through
10.253.0.0 + 0..N-1) and frees what comes back. The switch forwards them by OpenFlow rules
(a miss is a drop: fail mode secure, no other flow), programmed with `ovs-ofctl -O OpenFlow13`
over TCP (iovs) or the bridge's mgmt socket (OVS). Built on pvp.py's machinery (processes,
clean-up, the iovs and OVS set-up); the switch's main/control threads share CPU 1 with the
generator and stay idle during a measurement.

API (errors are pvp.Failure, or pvp.Unavailable when a switch cannot run here):

    skip = preflight("flows")            # None, or why this host cannot run it (exit 77)
    run = new_run(out_dir)               # temp dir, signal traps; finish_run(run) at the end
    files = rule_files(run, n)           # 2n rules (n per direction), chunks of <= 100,000
    with Topology(run, "iovs", logdir) as t:   # or "ovs"; stop() on every path
        t.start_switch()                 # two vhost-user ports (ofport 1, 2) + OpenFlow
        # (no traffic: t.attach_ports(); t.pin() -- OVS adds its ports only after the rules)
        inst = t.install(files)          # {"seconds", ...}; --bundle by default
        t.flow_count()                   # dump-aggregate flow_count
        t.start_traffic(n)               # the flowgen VM, ports attached, forwarding
        time.sleep(warmup)
        m = t.measure(window)            # forwarded Mpps, cycles/packet, drops, cpu_share
        c = t.check_misses()             # stops traffic; table-0 lookups vs matched
        t.ofctl("dump-flows")            # any ovs-ofctl -O OpenFlow13 command on the switch

Standard library only. See bench/README.md ("OpenFlow: flow scaling and set-up rate").
"""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import pvp
from pvp import Failure, Unavailable, q

SWITCH_CPU, GEN_CPU = pvp.SWITCH_CPU, pvp.GUEST_CPU
GEN_MEM_MB = 128
BUNDLE_MAX = 100000  # iovs refuses a bundle of more messages (openflow/ofl_tables.c)
IP_BASE = (10 << 24) | (253 << 16)  # flowgen's first destination, 10.253.0.0
BRIDGE = "v2v"
INSTALL_TIMEOUT = 3600  # s per ovs-ofctl call (2M rules into a slow switch)
MISS_LIMIT = 1e-4  # table-0 misses / lookups above this: the rule set is broken
SWITCHES = ["iovs", "ovs"]
OVS_BUSY_WAIT = 60  # s to wait for another OVS-DPDK on the host to finish


def ip_str(x):
    return f"{x >> 24 & 255}.{x >> 16 & 255}.{x >> 8 & 255}.{x & 255}"


def rule_lines(n):
    """The rule set: for each flow i, one rule per direction, nothing else."""
    for i in range(n):
        d = ip_str((IP_BASE + i) & 0xffffffff)
        yield f"table=0,priority=100,ip,in_port=1,nw_dst={d},actions=output:2\n"
        yield f"table=0,priority=100,ip,in_port=2,nw_dst={d},actions=output:1\n"


def write_rules(dirpath, n, chunk=BUNDLE_MAX, n_rules=None):
    """Writes rule_lines(n) (only the first n_rules lines, if given) into files of at most
    `chunk` lines; returns their paths."""
    os.makedirs(dirpath, exist_ok=True)
    files, f, k = [], None, 0
    for j, line in enumerate(rule_lines(n)):
        if n_rules is not None and j == n_rules:
            break
        if f is None or k == chunk:
            if f:
                f.close()
            files.append(os.path.join(dirpath, f"rules-{len(files):03d}.txt"))
            f, k = open(files[-1], "w"), 0
        f.write(line)
        k += 1
    if f:
        f.close()
    return files


def rule_files(run, n):
    """write_rules() once per n per run (the files are reused across reps and switches)."""
    cache = run.__dict__.setdefault("rule_cache", {})
    if n not in cache:
        cache[n] = write_rules(os.path.join(run.dir, f"rules-{n}"), n)
    return cache[n]


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mem_available_mb():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        pass
    return None


def proc_mem_mb(pid):
    """{"rss_mb", "hwm_mb"} of a process (heap, not hugepages), or {}."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    out["rss_mb"] = round(int(line.split()[1]) / 1024, 1)
                elif line.startswith("VmHWM:"):
                    out["hwm_mb"] = round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError):
        pass
    return out


def pinned(cpu):
    def pre():
        os.sched_setaffinity(0, {cpu})
    return pre


def timed_cmd(argv, timeout, cpu=GEN_CPU):
    """Runs argv pinned to `cpu`; returns (rc, out, err, wall seconds)."""
    t0 = time.monotonic()
    try:
        r = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                           timeout=timeout, preexec_fn=pinned(cpu))
        rc, out, err = r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired:
        rc, out, err = 124, "", f"timed out after {timeout} s"
    except OSError as e:
        rc, out, err = 127, "", str(e)
    return rc, out, err, time.monotonic() - t0


def preflight(what):
    """None if this host can run a V2V benchmark, else the reason to skip (exit 77)."""
    if os.geteuid() != 0:
        return f"{what}: SKIP: needs root (hugepages, vhost-user sockets, thread affinity)"
    if not {SWITCH_CPU, GEN_CPU} <= os.sched_getaffinity(0):
        return f"{what}: SKIP: needs CPUs {SWITCH_CPU} and {GEN_CPU}"
    need = pvp.SWITCH_MEM_MB + GEN_MEM_MB
    if pvp.free_hugepage_mb() < need:
        return (f"{what}: SKIP: {pvp.free_hugepage_mb()} MB of hugepages free, needs {need} "
                "(scripts/setup.sh reserves them)")
    if not shutil.which("ovs-ofctl"):
        return f"{what}: SKIP: ovs-ofctl not found (Debian package openvswitch-common)"
    return None


def new_run(out):
    """The run's temp dir and output dir, stale leftovers removed, signals trapped."""
    import signal
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, pvp.on_signal)
    run = pvp.Run()
    run.out = os.path.abspath(out)
    os.makedirs(run.out, exist_ok=True)
    pvp.clean_stale()
    run.dir = tempfile.mkdtemp(prefix=f"pvp-{os.getpid()}-")  # pvp.clean_stale() knows it
    return run


def finish_run(run):
    pvp.cleanup_all()
    shutil.rmtree(run.dir, ignore_errors=True)


# ---------------------------------------------------------------- the traffic VM

class Generator(pvp.Testpmd):
    """dpdk-testpmd with two virtio-user ports in flowgen mode, forwarding on GEN_CPU."""

    def __init__(self, run, socks, server, n_flows, logdir, frame=64):
        eal = ["-l", f"{SWITCH_CPU},{GEN_CPU}", "--main-lcore", str(SWITCH_CPU), "--no-pci",
               "--in-memory", "--single-file-segments",
               "--file-prefix", pvp.dpdk_prefix(run, "gen"),
               "-m", str(GEN_MEM_MB), "--socket-limit", str(GEN_MEM_MB)]
        for i, sock in enumerate(socks):
            eal += ["--vdev", f"net_virtio_user{i},path={sock},queues=1" +
                    (",server=1" if server else "")]
        app = ["-i", "--nb-cores=1", "--forward-mode=flowgen", f"--flowgen-flows={n_flows}",
               f"--txpkts={frame}", f"--total-num-mbufs={pvp.N_MBUFS}"]
        super().__init__("generator", eal, app, os.path.join(logdir, "generator.log"))

    def fwd_stats(self):
        """{port: {rx, tx, tx_dropped}} since 'start' (testpmd's forward statistics)."""
        out = self.command("show fwd stats all",
                           lambda t: re.search(r"Accumulated forward statistics.*?\n.*?\n.*?"
                                               r"TX-total.*\n\s*\+{20,}", t, re.S), timeout=10)
        ports = {}
        for blk in out.split("Forward statistics for port ")[1:]:
            def g(key, blk=blk):
                return int(re.search(key + r":\s*(\d+)", blk).group(1))
            ports[int(re.match(r"\d+", blk).group(0))] = dict(
                rx=g("RX-packets"), tx=g("TX-packets"), tx_dropped=g("TX-dropped"))
        return ports


# ---------------------------------------------------------------- the switches

class IovsV2V(pvp.Iovs):
    """iovsd: bridge v2v, vhost-user ports vm1 (ofport 1) and vm2 (ofport 2), iovs the
    vhost-user server; OpenFlow listener on 127.0.0.1:<free port>, fail mode secure."""
    ports = ("vm1", "vm2")

    def start_v2v(self, logdir, socks):
        self.start_daemon(logdir)
        self.ctl("bridge", "add", BRIDGE)
        for name, sock in zip(self.ports, socks):
            rc, err = self.ctl("port", "add", BRIDGE, name, "vhost-user", "--socket", sock,
                               check=False)
            if rc != 0:
                raise Unavailable(f"iovsctl port add {BRIDGE} {name} vhost-user: {err}")
        conf = json.loads(self.ctl("--json", "config", "dump"))
        got = {p["name"]: p.get("ofport") for b in conf["bridges"] if b["name"] == BRIDGE
               for p in b["ports"]}
        if got != {"vm1": 1, "vm2": 2}:
            raise Failure(f"iovs: ofports {got}, expected vm1=1 vm2=2")
        port = free_tcp_port()
        rc, err = self.ctl("controller", "set", BRIDGE, "none", "--listen", f"ptcp:{port}",
                           "--fail-mode", "secure", check=False)
        if rc != 0:
            raise Unavailable(f"iovsctl controller set: {err}")
        self.target = f"tcp:127.0.0.1:{port}"

    def attach(self, socks, gen=None):
        pass  # the generator connects (client)

    def wait_up(self, timeout=15):
        end = time.monotonic() + timeout
        while True:
            ports = json.loads(self.ctl("--json", "port", "list", BRIDGE))["ports"]
            st = {p["name"]: p.get("vhost", {}).get("state") for p in ports}
            if all(st.get(n) == "running" for n in self.ports):
                return
            if time.monotonic() > end:
                raise Failure(f"iovs: vhost-user ports not running after {timeout} s: {st}")
            time.sleep(0.1)

    def pin(self):
        pmds = json.loads(self.ctl("--json", "pmd", "stats"))["pmds"]
        if [p["core"] for p in pmds] != [SWITCH_CPU]:
            raise Failure(f"iovs: PMDs on cores {[p['core'] for p in pmds]}, "
                          f"expected [{SWITCH_CPU}]")

    def snapshot(self):
        t = time.monotonic()
        pmds = json.loads(self.ctl("--json", "pmd", "stats"))["pmds"]
        pmd = [p for p in pmds if p["core"] == SWITCH_CPU]
        if len(pmd) != 1:
            raise Failure(f"iovs: no PMD on core {SWITCH_CPU}: {pmds}")
        stats = {p["name"]: p for p in json.loads(self.ctl("--json", "port", "stats"))["ports"]}
        s = dict(t=t, busy=pmd[0]["busy_cycles"], idle=pmd[0]["idle_cycles"],
                 tsc_hz=pmd[0]["tsc_hz"], rx=0, tx=0, tx_drops=0, drops={})
        for n in self.ports:
            if n not in stats:
                raise Failure(f"iovs: no counters for port {n}")
            p = stats[n]
            s["rx"] += p["rx_packets"]
            s["tx"] += p["tx_packets"]
            for k, v in p.get("drops", {}).items():
                s["drops"][k] = s["drops"].get(k, 0) + v
            for qd in p.get("queues", []):
                for k, v in qd.get("drops", {}).items():
                    s["drops"]["vq_" + k] = s["drops"].get("vq_" + k, 0) + v
        s["tx_drops"] = s["drops"].get("tx_full", 0) + s["drops"].get("too_big", 0)
        return s

    def main_pid(self):
        return self.daemon.pid


class OvsV2V(pvp.Ovs):
    """OVS-DPDK in a private directory: bridge fail mode secure with no flow, ports vhu1/vhu2
    (dpdkvhostuserclient, ofport 1 and 2; the generator is the vhost-user server), added
    after the rules; default datapath settings (EMC, SMC as shipped)."""
    guest_is_server = True

    def start_v2v(self, logdir, socks):
        # The netdev datapath is one kernel tap, ovs-netdev, per host: a second OVS-DPDK
        # (another benchmark's) cannot create its bridge while the first runs.
        end = time.monotonic() + OVS_BUSY_WAIT
        while os.path.exists("/sys/class/net/ovs-netdev"):
            if time.monotonic() > end:
                raise Failure("ovs: another OVS-DPDK runs on this host (the ovs-netdev tap "
                              f"exists for more than {OVS_BUSY_WAIT} s); two cannot run at once (if none "
                              "runs, a killed one left it: ip link del ovs-netdev)")
            time.sleep(0.5)
        self.start_daemons(logdir)
        self.vsctl("set-fail-mode", self.br, "secure")
        self.target = f"unix:{self.d}/{self.br}.mgmt"
        # add-br returns before ovs-vswitchd has always created the bridge's mgmt socket.
        try:
            pvp.wait_path(f"{self.d}/{self.br}.mgmt", 15, self.vs)
        except Failure as e:
            errs = [line for line in pvp.tail(f"{self.d}/vswitchd.log", 200).splitlines()
                    if "|ERR|" in line]
            raise Failure(f"{e}\n" + "\n".join(errs[-3:])) from None
        self._run(["ovs-ofctl", "-O", "OpenFlow13", "del-flows", self.target])
        # Its threads to GEN_CPU now, so that the rules are installed as into iovs (whose
        # OpenFlow thread runs there), not with CPU 0 to itself before its PMD exists. The
        # PMD, created with the ports, pins itself to SWITCH_CPU (checked by pin()).
        for tid in os.listdir(f"/proc/{self.vs.pid}/task"):
            try:
                os.sched_setaffinity(int(tid), {GEN_CPU})
            except OSError:
                pass

    def attach(self, socks, gen=None):
        # A virtio-user server creates its second socket only once the first is connected.
        # Without a generator (flow set-up only) the ports just wait for a server.
        for i, sock in enumerate(socks, 1):
            if gen is not None:
                pvp.wait_path(sock, 15, gen, what=f"the generator's vhost-user socket {sock}")
            self.vsctl("add-port", self.br, f"vhu{i}", "--", "set", "Interface", f"vhu{i}",
                       "type=dpdkvhostuserclient", f"options:vhost-server-path={sock}",
                       f"ofport_request={i}")

    def wait_up(self, timeout=15):
        end = time.monotonic() + timeout
        while True:
            st = {}
            for i in (1, 2):
                out = self.vsctl("get", "Interface", f"vhu{i}", "link_state", "ofport")
                st[f"vhu{i}"] = out.split()
            if all(v == ["up", str(i)] for i, v in enumerate(st.values(), 1)):
                return
            if time.monotonic() > end:
                raise Failure(f"ovs: ports not up with ofport 1/2 after {timeout} s: {st}")
            time.sleep(0.2)

    def snapshot(self):
        t = time.monotonic()
        s = self.appctl("dpif-netdev/pmd-stats-show", "-pmd", str(SWITCH_CPU))

        def g(key):
            m = re.search(re.escape(key) + r":\s*(\d+)", s)
            if not m:
                raise Failure(f"ovs: no '{key}' in pmd-stats-show:\n{s}")
            return int(m.group(1))
        out = dict(t=t, busy=g("processing cycles"), idle=g("idle cycles"), rx=0, tx=0,
                   tx_drops=0, drops=dict(upcall_failed=g("miss with failed upcall")),
                   cache=dict(emc_hits=g("emc hits"), smc_hits=g("smc hits"),
                              megaflow_hits=g("megaflow hits"),
                              upcalls=g("miss with success upcall")))
        ds = self.appctl("dpctl/show", "-s")
        for i in (1, 2):
            m = re.search(rf"vhu{i} \(.*?\n\s*RX packets:(\d+).*?\n\s*TX packets:(\d+)"
                          rf"[^\n]*?dropped:(\d+)", ds, re.S)
            if not m:
                raise Failure(f"ovs: no vhu{i} counters in dpctl/show -s:\n{ds}")
            out["rx"] += int(m.group(1))
            out["tx"] += int(m.group(2))
            out["tx_drops"] += int(m.group(3))
        out["drops"]["tx_dropped"] = out["tx_drops"]
        return out

    def main_pid(self):
        return self.vs.pid


V2V_CLASSES = {"iovs": IovsV2V, "ovs": OvsV2V}


def counter_delta(a, b):
    return {k: b[k] - a.get(k, 0) for k in b}


# ---------------------------------------------------------------- the topology

class Topology:
    """One switch (fresh processes) with its two vhost-user ports, optionally the traffic VM.
    Use as a context manager, or call stop() in a finally: it stops everything it started
    and removes its sockets and DPDK run dirs."""

    def __init__(self, run, switch, logdir):
        if switch not in V2V_CLASSES:
            raise ValueError(f"switch {switch}: not one of {', '.join(V2V_CLASSES)}")
        self.run, self.name, self.logdir = run, switch, logdir
        os.makedirs(logdir, exist_ok=True)
        self.sw = V2V_CLASSES[switch](run)
        self.sw.cmds = []
        self.gen = None
        self.socks = [os.path.join(run.dir, f"v2v{i}.sock") for i in (1, 2)]
        self.attached = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def cmds(self):
        return self.sw.cmds

    def check_available(self):
        self.sw.check_available()

    def start_switch(self):
        """The switch with both ports and its OpenFlow endpoint; no flow installed. OVS gets
        its ports only in start_traffic() (or attach_ports()), after the rules."""
        for s in self.socks:
            if os.path.exists(s):
                os.unlink(s)
        need = pvp.SWITCH_MEM_MB + GEN_MEM_MB
        if pvp.free_hugepage_mb() < need:
            raise Failure(f"only {pvp.free_hugepage_mb()} MB of hugepages free, need {need}")
        self.sw.check_available()
        self.sw.start_v2v(self.logdir, self.socks)
        self.target = self.sw.target
        self._wait_of()

    def _wait_of(self, timeout=15):
        end = time.monotonic() + timeout
        while True:
            rc, out, err = pvp.run_cmd(["ovs-ofctl", "-O", "OpenFlow13", "show", self.target],
                                       timeout=10)
            if rc == 0:
                return
            if time.monotonic() > end:
                raise Failure(f"{self.name}: OpenFlow endpoint {self.target} does not answer: "
                              f"{(err or out).strip()}")
            time.sleep(0.2)

    def ofctl(self, *args, timeout=120):
        """ovs-ofctl -O OpenFlow13 CMD TARGET ARGS...: stdout, or Failure."""
        argv = ["ovs-ofctl", "-O", "OpenFlow13", args[0], self.target] + list(args[1:])
        self.sw.cmds.append(q(argv))
        rc, out, err = pvp.run_cmd(argv, timeout=timeout)
        if rc != 0:
            raise Failure(f"{q(argv)}: exit {rc}: {(err or out).strip()[:2000]}")
        return out

    def install(self, files, bundle=True, timeout=INSTALL_TIMEOUT):
        """add-flows of each file in turn (one ovs-ofctl per file, pinned to the generator's
        CPU). Returns {"seconds": wall time of all the ovs-ofctl runs, "chunk_seconds",
        "rules", "bundle", "rss_mb"...}; Failure names the chunk the switch refused."""
        secs, chunks, n = 0.0, [], 0
        mem0 = proc_mem_mb(self.sw.main_pid())
        for i, f in enumerate(files):
            argv = ["ovs-ofctl", "-O", "OpenFlow13"] + (["--bundle"] if bundle else []) + \
                   ["add-flows", self.target, f]
            if i == 0:
                self.sw.cmds.append(q(argv) + (f"   (and {len(files) - 1} more chunk files)"
                                               if len(files) > 1 else ""))
            rc, out, err, dt = timed_cmd(argv, timeout)
            secs += dt
            chunks.append(round(dt, 3))
            if rc != 0:
                raise Failure(f"{self.name}: installing rules failed at chunk {i + 1}/"
                              f"{len(files)} ({n} rules in before it, {secs:.1f} s): exit {rc}: "
                              f"{(err or out).strip()[:1500]}"
                              + self._died())
            with open(f) as fh:
                n += sum(1 for _ in fh)
        mem1 = proc_mem_mb(self.sw.main_pid())
        return dict(seconds=round(secs, 3), chunk_seconds=chunks, rules=n, bundle=bundle,
                    rules_per_s=round(n / secs) if secs > 0 else None,
                    rss_mb_before=mem0.get("rss_mb"), rss_mb_after=mem1.get("rss_mb"),
                    hwm_mb_after=mem1.get("hwm_mb"))

    def _died(self):
        dead = [p.name for p in self.sw.procs if not p.alive()]
        if dead:
            return "\n(" + ", ".join(dead) + " exited:\n" + \
                pvp.tail(self.sw.procs[-1].log_path) + ")"
        return ""

    def flow_count(self):
        out = self.ofctl("dump-aggregate", timeout=300)
        m = re.search(r"flow_count=(\d+)", out)
        if not m:
            raise Failure(f"{self.name}: no flow_count in dump-aggregate: {out.strip()}")
        return int(m.group(1))

    def table_stats(self, table=0):
        """(active, lookups, matched) of one table, from OpenFlow table statistics."""
        out = self.ofctl("dump-tables")
        m = re.search(rf"table {table}:.*?active=(\d+), lookup=(\d+), matched=(\d+)", out, re.S)
        if not m:
            raise Failure(f"{self.name}: no table {table} in dump-tables:\n{out[:1000]}")
        return tuple(int(x) for x in m.groups())

    def attach_ports(self):
        """OVS: add its two (client) ports now; iovs: nothing (its ports exist from start)."""
        if not self.attached:
            self.sw.attach(self.socks, self.gen)
            self.attached = True

    def pin(self, timeout=10):
        """Checks the switch's PMD is alone on SWITCH_CPU; OVS: moves its other threads to
        GEN_CPU (iovs's control and OpenFlow threads are there from the start)."""
        end = time.monotonic() + timeout
        while True:
            try:
                return self.sw.pin()
            except Failure:
                if time.monotonic() > end:
                    raise
                time.sleep(0.2)

    def start_traffic(self, n_flows, frame=64):
        """The generator (flowgen over n_flows destinations), connected and forwarding."""
        if not self.sw.guest_is_server:
            for s in self.socks:
                pvp.wait_path(s, 15, what=f"{self.name}'s vhost-user socket {s}")
        self.gen = Generator(self.run, self.socks, self.sw.guest_is_server, n_flows,
                             self.logdir, frame)
        self.sw.cmds.append("generator: " + q(self.gen.argv))
        self.attach_ports()
        self.gen.wait_ready()
        self.sw.wait_up()
        self.pin()
        self.gen.start_fwd(GEN_CPU)

    def measure(self, window):
        """Two snapshots `window` s apart. Returns the switch's forwarded Mpps (tx of both
        ports), cycles per forwarded packet, busy share, the generator's tx rate and tx drops,
        cpu_share and the raw deltas."""
        pids = self.sw.pids() + [self.gen.pid]
        c0, w0 = pvp.cpu_jiffies(pids), time.monotonic()
        self.gen.port_stats(2)  # starts testpmd's rate interval
        f0 = self.gen.fwd_stats()
        s0 = self.sw.snapshot()
        time.sleep(window)
        s1 = self.sw.snapshot()
        f1 = self.gen.fwd_stats()
        g1 = self.gen.port_stats(2)
        c1, w1 = pvp.cpu_jiffies(pids), time.monotonic()
        dt = s1["t"] - s0["t"]
        fwd, rx, busy, idle = (s1[k] - s0[k] for k in ("tx", "rx", "busy", "idle"))
        gen_tx = sum(f1[p]["tx"] - f0[p]["tx"] for p in f1)
        gen_drop = sum(f1[p]["tx_dropped"] - f0[p]["tx_dropped"] for p in f1)
        rec = dict(
            mpps=fwd / dt / 1e6,
            switch_rx_mpps=rx / dt / 1e6,
            cycles_per_pkt=busy / fwd if fwd else None,
            busy_pct=round(100 * busy / (busy + idle), 2) if busy + idle else None,
            gen_tx_mpps=sum(p["tx_pps"] for p in g1.values()) / 1e6,
            gen_tx_drop_mpps=gen_drop / dt / 1e6,
            gen_tx_drop_share=round(gen_drop / (gen_tx + gen_drop), 4)
            if gen_tx + gen_drop else None,
            fwd_pkts=fwd, rx_pkts=rx, busy_cycles=busy, window_s=round(dt, 3),
            not_forwarded=rx - fwd,
            switch_drops=counter_delta(s0["drops"], s1["drops"]),
            cpu_share=round((c1 - c0) / os.sysconf("SC_CLK_TCK") / (2 * (w1 - w0)), 3))
        if "cache" in s1:
            rec["cache"] = counter_delta(s0["cache"], s1["cache"])
        if s1.get("tsc_hz"):
            rec["tsc_hz"] = s1["tsc_hz"]
        rec["contended"] = rec["cpu_share"] < pvp.CONTENDED_BELOW
        if fwd == 0:
            raise Failure(f"{self.name}: nothing forwarded in the window (switch rx {rx}, "
                          f"generator tx {gen_tx}, drops {rec['switch_drops']})")
        return rec

    def check_misses(self, settle=None):
        """Stops the traffic, waits for the switch's flow statistics to settle (OVS pushes
        datapath counters to its tables every ~0.5 s), and reads table 0's lookups and
        matches since the switch started. Returns {"lookups", "matched", "table_miss",
        "miss_ratio", "active"}; Failure when misses exceed MISS_LIMIT of lookups."""
        if self.gen is not None and self.gen.alive():
            self.gen.command("stop", lambda t: "Done." in t, timeout=15)
        time.sleep(settle if settle is not None else (2.0 if self.name == "ovs" else 0.3))
        prev = None
        for _ in range(10):  # until two reads agree (OVS's revalidators)
            cur = self.table_stats(0)
            if cur == prev:
                break
            prev = cur
            time.sleep(0.5)
        active, lookups, matched = cur
        miss = lookups - matched
        out = dict(active=active, lookups=lookups, matched=matched, table_miss=miss,
                   miss_ratio=round(miss / lookups, 6) if lookups else None)
        if lookups == 0:
            raise Failure(f"{self.name}: table 0 counted no lookups (flow statistics missing)")
        if miss / lookups > MISS_LIMIT:
            raise Failure(f"{self.name}: {miss} of {lookups} table-0 lookups missed "
                          f"(> {MISS_LIMIT:g}): the rule set does not match the traffic")
        return out

    def stop(self):
        """Stops the generator and the switch, removes sockets and DPDK run dirs. Safe to
        call twice. Writes logdir/commands.txt."""
        if self.gen is not None:
            self.gen.stop("quit")
            self.gen = None
        try:
            self.sw.stop()
        finally:
            for pfx in list(pvp.PREFIXES):
                pvp.clean_prefix(pfx)
            for s in self.socks:
                if os.path.exists(s):
                    os.unlink(s)
            with open(os.path.join(self.logdir, "commands.txt"), "w") as f:
                f.write("\n".join(self.sw.cmds) + "\n")


def host_info():
    return dict(cpus=os.cpu_count(), kernel=os.uname().release, dpdk=pvp.pkg_version("dpdk"),
                ovs=pvp.pkg_version("openvswitch-switch-dpdk"),
                iovs_build=pvp.iovs_build_dir(), mem_available_mb=mem_available_mb())


if __name__ == "__main__":
    print(__doc__)
