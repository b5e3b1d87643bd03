#!/usr/bin/env python3
"""PVP benchmark on one switch PMD core: iovs, DPDK's own vhost (testpmd) and OVS-DPDK.

    wire (net_null, endless frames) -> switch -> vhost-user -> guest (testpmd virtio-user,
    macswap) -> vhost-user -> switch -> wire (net_null frees them)

The switch polls on CPU 0, the guest on CPU 1; main/control threads stay idle. The variants
run interleaved (for each rep, for each size/ring: A B C), every measurement starts fresh
processes. See bench/README.md for what is counted and how. Standard library only.
"""

import argparse
import ctypes
import datetime
import json
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH_DIR)

SWITCH_CPU = 0  # the switch's one PMD / forwarding core
GUEST_CPU = 1  # the guest's forwarding core; also hosts the switch's idle main threads
SWITCH_MEM_MB = 256  # hugepage memory of the switch process (preallocated and capped)
GUEST_MEM_MB = 128  # same for the guest
N_MBUFS = 16384  # testpmd mbufs (switch and guest); iovs uses 16383 of its own
CONTENDED_BELOW = 0.95  # cpu_share under this: other processes ran on our cores
START_TIMEOUT = 30
PR_SET_PDEATHSIG = 1

TESTPMD = os.environ.get("TESTPMD", "dpdk-testpmd")
OVS_VSWITCHD = os.environ.get(
    "OVS_VSWITCHD", "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk")
OVS_SCHEMA = os.environ.get("OVS_SCHEMA", "/usr/share/openvswitch/vswitch.ovsschema")
RATIO_PAIRS = [("iovs", "dpdk"), ("iovs", "ovs"), ("ovs", "dpdk")]
ALL_SWITCHES = ["iovs", "dpdk", "ovs"]
COLORS = {"iovs": "#d95f02", "dpdk": "#1b9e77", "ovs": "#7570b3"}


class Unavailable(Exception):
    """The switch cannot run here (binary missing, feature not implemented yet)."""


class Failure(Exception):
    """This measurement failed; the switch may work next time."""


def log(msg):
    print(msg, flush=True)


def q(argv):
    return " ".join(shlex.quote(str(a)) for a in argv)


def tail(path, n=15):
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


# ---------------------------------------------------------------- processes and clean-up

RUNNING = []  # Proc objects still to stop
PREFIXES = set()  # DPDK --file-prefix values we used


class Proc:
    """A child process in its own session, output to a log file we can wait on."""

    def __init__(self, name, argv, log_path, stdin_pipe=False, env=None, cpus=None):
        self.name, self.argv, self.log_path = name, [str(a) for a in argv], log_path
        self.buf = ""
        self._rpos = 0
        self._log = open(log_path, "wb")
        def pre():
            # Dies with the benchmark even if that is killed with SIGKILL (no trap runs then).
            ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
            if cpus:
                os.sched_setaffinity(0, cpus)
        try:
            self.p = subprocess.Popen(self.argv, stdin=subprocess.PIPE if stdin_pipe else
                                      subprocess.DEVNULL, stdout=self._log,
                                      stderr=subprocess.STDOUT, env=env,
                                      start_new_session=True, preexec_fn=pre)
        except OSError as e:
            self._log.close()
            raise Failure(f"{name}: cannot start {self.argv[0]}: {e}")
        RUNNING.append(self)

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p.poll() is None

    def refresh(self):
        with open(self.log_path, "rb") as f:
            f.seek(self._rpos)
            data = f.read()
        self._rpos += len(data)
        self.buf += data.decode(errors="replace")
        return self.buf

    def wait_text(self, pred, timeout, start=0, what="output"):
        """Waits until pred(text since start) is true; returns that text."""
        end = time.monotonic() + timeout
        while True:
            text = self.refresh()[start:]
            if pred(text):
                return text
            if not self.alive():
                raise Failure(f"{self.name} exited (status {self.p.returncode}) while waiting "
                              f"for {what}:\n{tail(self.log_path)}")
            if time.monotonic() > end:
                raise Failure(f"{self.name}: no {what} after {timeout} s:\n"
                              f"{tail(self.log_path)}")
            time.sleep(0.05)

    def send(self, line):
        try:
            self.p.stdin.write((line + "\n").encode())
            self.p.stdin.flush()
        except (BrokenPipeError, ValueError, AttributeError):
            pass

    def stop(self, quit_line=None, grace=8):
        if self.alive() and quit_line is not None:
            self.send(quit_line)
            try:
                self.p.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            if not self.alive():
                break
            try:
                os.killpg(self.p.pid, sig)  # our child's own session: only what we started
            except ProcessLookupError:
                break
            try:
                self.p.wait(wait)
            except subprocess.TimeoutExpired:
                pass
        if self.p.stdin:
            try:
                self.p.stdin.close()
            except OSError:
                pass
        self._log.close()
        if self in RUNNING:
            RUNNING.remove(self)


def hugetlbfs_mounts():
    try:
        with open("/proc/mounts") as f:
            return [l.split()[1] for l in f if l.split()[2] == "hugetlbfs"]
    except OSError:
        return []


def clean_prefix(prefix):
    """DPDK leaves /var/run/dpdk/PREFIX (and, without --in-memory, hugepage files)."""
    shutil.rmtree(os.path.join("/var/run/dpdk", prefix), ignore_errors=True)
    for mnt in hugetlbfs_mounts():
        try:
            for f in os.listdir(mnt):
                if f.startswith(prefix + "map_") or f.startswith(prefix + "_"):
                    os.unlink(os.path.join(mnt, f))
        except OSError:
            pass


def cleanup_all():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for p in list(reversed(RUNNING)):
        p.stop()
    for pfx in PREFIXES:
        clean_prefix(pfx)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def clean_stale():
    """What an earlier run killed with SIGKILL left: its DPDK run dirs and temp dir."""
    for parent, pat in (("/var/run/dpdk", r"pvp(\d+)-\w+$"),
                        (tempfile.gettempdir(), r"pvp-(\d+)-\w+$")):
        try:
            names = os.listdir(parent)
        except OSError:
            continue
        for n in names:
            m = re.match(pat, n)
            if m and int(m.group(1)) != os.getpid() and not pid_alive(int(m.group(1))):
                shutil.rmtree(os.path.join(parent, n), ignore_errors=True)


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def wait_path(path, timeout, proc=None, what=None):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if proc is not None and not proc.alive():
            raise Failure(f"{proc.name} exited (status {proc.p.returncode}) before creating "
                          f"{path}:\n{tail(proc.log_path)}")
        if time.monotonic() > end:
            raise Failure(f"{what or path}: not there after {timeout} s")
        time.sleep(0.05)


def free_hugepage_mb():
    total = 0
    for size_kb in (2048, 1048576):
        try:
            with open(f"/sys/kernel/mm/hugepages/hugepages-{size_kb}kB/free_hugepages") as f:
                total += int(f.read()) * size_kb // 1024
        except (OSError, ValueError):
            pass
    return total


def cpu_jiffies(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                s = f.read()
            rest = s[s.rindex(")") + 2:].split()
            total += int(rest[11]) + int(rest[12])  # utime + stime, all threads
        except (OSError, ValueError, IndexError):
            pass
    return total


def run_cmd(argv, env=None, timeout=20, cwd=None):
    """Runs a control command; returns (rc, stdout, stderr)."""
    try:
        r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, env=env,
                           timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        return 124, "", f"timed out after {timeout} s"
    except OSError as e:
        return 127, "", str(e)
    return r.returncode, r.stdout, r.stderr


# ---------------------------------------------------------------- testpmd

class Testpmd(Proc):
    """dpdk-testpmd in interactive mode, commands on stdin, line-buffered output."""

    def __init__(self, name, eal, app, log_path):
        super().__init__(name, ["stdbuf", "-oL", TESTPMD] + eal + ["--"] + app, log_path,
                         stdin_pipe=True)

    def wait_ready(self, timeout=START_TIMEOUT):
        self.wait_text(lambda t: "testpmd> " in t, timeout, what="the testpmd prompt")

    def command(self, line, pred, timeout=10):
        start = len(self.refresh())
        self.send(line)
        return self.wait_text(pred, timeout, start, what=f"the answer to '{line}'")

    def start_fwd(self, cpu):
        out = self.command("start", lambda t: re.search(r"Logical Core \d+ .*forwards", t),
                           timeout=10)
        cores = [int(c) for c in re.findall(r"Logical Core (\d+) \(socket", out)]
        if cores != [cpu]:
            raise Failure(f"{self.name}: forwarding on lcores {cores}, expected [{cpu}]")

    def port_stats(self, n_ports):
        out = self.command("show port stats all",
                           lambda t: t.count("Tx-bps") >= n_ports and
                           re.search(r"Tx-bps.*\n\s*#{20,}", t.rsplit("Tx-pps", 1)[-1]),
                           timeout=10)
        ports = {}
        for blk in out.split("NIC statistics for port ")[1:]:
            def g(key, blk=blk):
                return int(re.search(key + r":\s*(\d+)", blk).group(1))
            ports[int(re.match(r"\d+", blk).group(0))] = dict(
                rx=g("RX-packets"), tx=g("TX-packets"), rx_pps=g("Rx-pps"), tx_pps=g("Tx-pps"))
        return ports

    def fwd_stats(self):
        out = self.command("show fwd stats all", lambda t: "MHz Clock" in t, timeout=10)
        ports = {}
        for blk in out.split("Forward statistics for port ")[1:]:
            def g(key, blk=blk):
                return int(re.search(key + r":\s*(\d+)", blk).group(1))
            ports[int(re.match(r"\d+", blk).group(0))] = dict(rx=g("RX-packets"),
                                                              tx=g("TX-packets"))
        m = re.search(r"CPU cycles/packet=[\d.]+ \(total cycles=(\d+) / total \w+ "
                      r"packets=(\d+)\) at (\d+) MHz", out)
        if not m:
            raise Failure(f"{self.name}: no cycle counts in 'show fwd stats all'")
        return ports, int(m.group(1)), int(m.group(2)), int(m.group(3)) * 1000000


def dpdk_prefix(run, name):
    pfx = f"pvp{os.getpid()}-{name}"
    PREFIXES.add(pfx)
    return pfx


def start_guest(run, ring, sock, server, logdir):
    """The guest: testpmd with a virtio-user port, macswap, forwarding on GUEST_CPU."""
    devargs = f"net_virtio_user0,path={sock},queues=1"
    if server:
        devargs += ",server=1"
    if ring == "packed":
        devargs += ",packed_vq=1"
    eal = ["-l", f"{SWITCH_CPU},{GUEST_CPU}", "--main-lcore", str(SWITCH_CPU), "--no-pci",
           "--in-memory", "--single-file-segments", "--file-prefix", dpdk_prefix(run, "vm"),
           "-m", str(GUEST_MEM_MB), "--socket-limit", str(GUEST_MEM_MB), "--vdev", devargs]
    app = ["-i", "--nb-cores=1", "--forward-mode=macswap", f"--total-num-mbufs={N_MBUFS}"]
    return Testpmd("guest", eal, app, os.path.join(logdir, "guest.log"))


# ---------------------------------------------------------------- the switches

class Switch:
    name = "?"
    guest_is_server = False  # True when the switch is the vhost-user client

    def __init__(self, run):
        self.run = run
        self.cmds = []  # every command line, for the record
        self.procs = []

    def spawn(self, proc_cls, *a, **kw):
        p = proc_cls(*a, **kw)
        self.procs.append(p)
        self.cmds.append(q(p.argv))
        return p

    def check_available(self):
        pass

    def start(self, size, sock, logdir):
        raise NotImplementedError

    def attach_guest(self, sock):
        pass

    def pin(self):
        pass

    def snapshot(self):
        """{busy, rx, wire_tx, t, tsc_hz?, idle?}: cumulative switch-side counters."""
        raise NotImplementedError

    def pids(self):
        return [p.pid for p in self.procs if p.alive()]

    def stop(self):
        for p in reversed(self.procs):
            p.stop()
        self.procs = []


class DpdkVhost(Switch):
    """testpmd with net_null + net_vhost (server), io forwarding on SWITCH_CPU."""
    name = "dpdk"

    def check_available(self):
        if not shutil.which(TESTPMD):
            raise Unavailable(f"{TESTPMD} not found (Debian package dpdk)")

    def start(self, size, sock, logdir):
        eal = ["-l", f"{SWITCH_CPU},{GUEST_CPU}", "--main-lcore", str(GUEST_CPU), "--no-pci",
               "--in-memory", "--file-prefix", dpdk_prefix(self.run, "sw"),
               "-m", str(SWITCH_MEM_MB), "--socket-limit", str(SWITCH_MEM_MB),
               "--vdev", f"net_null0,size={size}", "--vdev", f"net_vhost0,iface={sock},queues=1"]
        app = ["-i", "--nb-cores=1", "--forward-mode=io", "--record-core-cycles",
               f"--total-num-mbufs={N_MBUFS}"]
        self.tp = self.spawn(Testpmd, "dpdk-vhost", eal, app, os.path.join(logdir, "switch.log"))
        self.tp.wait_ready()
        self.tp.start_fwd(SWITCH_CPU)

    def snapshot(self):
        t = time.monotonic()
        ports, cycles, pkts, hz = self.tp.fwd_stats()
        return dict(t=t, busy=cycles, rx=pkts, wire_tx=ports[0]["tx"], tsc_hz=hz)

    def stop(self):
        if self.procs:
            self.tp.stop("quit")  # graceful: testpmd closes the vhost port
        super().stop()


class Ovs(Switch):
    """OVS-DPDK 3.1 in a private directory: a dpdk port on net_null (ofport 1), a
    dpdkvhostuserclient port (ofport 2), explicit in_port flows installed before the ports."""
    name = "ovs"
    guest_is_server = True
    d = vs = None

    def check_available(self):
        for b in (OVS_VSWITCHD, "ovsdb-tool", "ovsdb-server", "ovs-vsctl", "ovs-ofctl",
                  "ovs-appctl"):
            if not shutil.which(b):
                raise Unavailable(f"{b} not found (Debian package openvswitch-switch-dpdk)")
        if not os.path.exists(OVS_SCHEMA):
            raise Unavailable(f"{OVS_SCHEMA} not found")

    def _run(self, argv, timeout=20):
        self.cmds.append(q(argv))
        rc, out, err = run_cmd(argv, env=self.env, timeout=timeout)
        if rc != 0:
            raise Failure(f"{q(argv)}: exit {rc}: {(err or out).strip()}")
        return out

    def vsctl(self, *a):
        return self._run(["ovs-vsctl", f"--db=unix:{self.d}/db.sock", "--timeout=30"] + list(a),
                         timeout=40)

    def ofctl(self, *a):
        return self._run(["ovs-ofctl", a[0], f"unix:{self.d}/{self.br}.mgmt"] + list(a[1:]))

    def appctl(self, *a):
        return self._run(["ovs-appctl", "-t", f"{self.d}/vswitchd.ctl"] + list(a))

    def start(self, size, sock, logdir):
        self.start_daemons(logdir)
        self.ofctl("del-flows")
        self.ofctl("add-flow", "in_port=1,actions=output:2")
        self.ofctl("add-flow", "in_port=2,actions=output:1")
        self.vsctl("add-port", self.br, "null0", "--", "set", "Interface", "null0", "type=dpdk",
                   f"options:dpdk-devargs=net_null0,size={size}", "ofport_request=1")

    def start_daemons(self, logdir):
        """ovsdb-server and ovs-vswitchd in a fresh private directory, and the netdev bridge
        self.br (no ports). Shared with v2v.py."""
        self.logdir = logdir
        self.vs = None
        self.d = d = os.path.join(self.run.dir, "ovs")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        self.env = dict(os.environ, OVS_RUNDIR=d, OVS_DBDIR=d, OVS_LOGDIR=d, OVS_SYSCONFDIR=d)
        self.br = f"pvp{os.getpid() % 1000000}"  # also a kernel tap name: <= 15 chars
        self._run(["ovsdb-tool", "create", f"{d}/conf.db", OVS_SCHEMA])
        self.db = self.spawn(Proc, "ovsdb-server",
                             ["ovsdb-server", f"{d}/conf.db", f"--remote=punix:{d}/db.sock",
                              f"--unixctl={d}/ovsdb.ctl", f"--pidfile={d}/ovsdb.pid",
                              f"--log-file={d}/ovsdb.log"],
                             os.path.join(logdir, "ovsdb-server.out"), env=self.env,
                             cpus={GUEST_CPU})
        wait_path(f"{d}/db.sock", 15, self.db)
        pfx = dpdk_prefix(self.run, "ovs")
        self.vsctl("--no-wait", "init")
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                   f"other_config:pmd-cpu-mask={1 << SWITCH_CPU:#x}",
                   f"other_config:dpdk-socket-mem={SWITCH_MEM_MB}",
                   f"other_config:dpdk-socket-limit={SWITCH_MEM_MB}",
                   f"other_config:dpdk-extra=--file-prefix={pfx} --no-pci")
        # Not pinned at start: OVS only puts PMDs on CPUs in its own affinity. Its other
        # threads are moved to GUEST_CPU in pin().
        self.vs = self.spawn(Proc, "ovs-vswitchd",
                             [OVS_VSWITCHD, f"unix:{d}/db.sock", f"--unixctl={d}/vswitchd.ctl",
                              f"--pidfile={d}/vswitchd.pid", f"--log-file={d}/vswitchd.log"],
                             os.path.join(logdir, "ovs-vswitchd.out"), env=self.env)
        wait_path(f"{d}/vswitchd.ctl", START_TIMEOUT, self.vs)
        self.vsctl("add-br", self.br, "--", "set", "bridge", self.br, "datapath_type=netdev")

    def attach_guest(self, sock):
        self.vsctl("add-port", self.br, "vhu0", "--", "set", "Interface", "vhu0",
                   "type=dpdkvhostuserclient", f"options:vhost-server-path={sock}",
                   "ofport_request=2")

    def pin(self):
        """Every thread but the PMD to GUEST_CPU (the PMD pins itself to SWITCH_CPU)."""
        pmd = []
        for tid in os.listdir(f"/proc/{self.vs.pid}/task"):
            try:
                with open(f"/proc/{self.vs.pid}/task/{tid}/comm") as f:
                    comm = f.read().strip()
                if comm.startswith("pmd"):
                    pmd.append(os.sched_getaffinity(int(tid)))
                else:
                    os.sched_setaffinity(int(tid), {GUEST_CPU})
            except OSError:
                pass
        if pmd != [{SWITCH_CPU}]:
            raise Failure(f"ovs: PMD threads with affinity {pmd}, expected one on {SWITCH_CPU}")

    def snapshot(self):
        t = time.monotonic()
        s = self.appctl("dpif-netdev/pmd-stats-show", "-pmd", str(SWITCH_CPU))

        def g(key):
            m = re.search(key + r":\s*(\d+)", s)
            if not m:
                raise Failure(f"ovs: no '{key}' in pmd-stats-show:\n{s}")
            return int(m.group(1))
        ds = self.appctl("dpctl/show", "-s")
        m = re.search(r"null0 \(.*?\n\s*RX packets:\d+.*?\n\s*TX packets:(\d+)", ds, re.S)
        if not m:
            raise Failure(f"ovs: no null0 counters in dpctl/show -s:\n{ds}")
        return dict(t=t, busy=g("processing cycles"), idle=g("idle cycles"),
                    rx=g("packets received"), wire_tx=int(m.group(1)))

    def stop(self):
        vs = getattr(self, "vs", None)
        if vs is not None and vs.alive():
            # Removes the ports and the kernel taps of the netdev datapath, then exits.
            try:
                self._run(["ovs-appctl", "-t", f"{self.d}/vswitchd.ctl", "exit", "--cleanup"])
                vs.p.wait(10)
            except (Failure, subprocess.TimeoutExpired):
                pass
        self.vs = None
        super().stop()
        for f in ("vswitchd.log", "ovsdb.log"):
            if self.d and os.path.exists(os.path.join(self.d, f)):
                shutil.copy(os.path.join(self.d, f), self.logdir)


def iovs_build_dir():
    b = os.environ.get("IOVS_BUILD", "build")
    return b if os.path.isabs(b) else os.path.join(REPO, b)


def iovs_bridge_add(ctl):
    """A hub: a learning bridge would learn net_null's all-zero source MAC on the wire and
    then drop every frame to it (its destination is the port it came from). Returns whether
    hub mode was available."""
    rc, err = ctl("bridge", "add", "bench", "--no-learning", check=False)
    if rc == 0:
        return True
    if rc != 2:  # 2: a usage error, the option does not exist yet
        raise Failure(f"iovsctl bridge add bench --no-learning: {err}")
    ctl("bridge", "add", "bench")
    return False


def iovs_wire_add(ctl, size):
    """The wire. A 'null' port takes no frame size (no devargs allowed), so it is opened as
    a generic 'dpdk' port on net_null, which takes size=."""
    ctl("port", "add", "bench", "wire", "dpdk", "--devargs", f"net_null_wire,size={size}")


def iovs_vhost_add(ctl, sock):
    """The guest's port: iovs is the vhost-user server, the guest's virtio-user the client.
    After the verb, --socket is the port's socket (before it, iovsctl's control socket; an
    iovsctl without vhost-user ports takes it as the latter and fails to connect). Override
    with IOVS_VHOST_ADD, an iovsctl command template with {sock}."""
    tmpl = os.environ.get("IOVS_VHOST_ADD", "port add bench vm vhost-user --socket {sock}")
    rc, err = ctl(*shlex.split(tmpl.format(sock=sock)), check=False)
    if rc != 0:
        raise Unavailable(f"iovsctl {tmpl.format(sock=sock)}: {err}")


class Iovs(Switch):
    """iovsd with control on GUEST_CPU and one PMD on SWITCH_CPU, configured with iovsctl."""
    name = "iovs"

    def check_available(self):
        b = iovs_build_dir()
        self.iovsd = os.path.join(b, "iovsd", "iovsd")
        self.iovsctl = os.path.join(b, "iovsctl", "iovsctl")
        for f in (self.iovsd, self.iovsctl):
            if not os.access(f, os.X_OK):
                raise Unavailable(f"{f} not built (set IOVS_BUILD to a build directory)")

    def ctl(self, *a, check=True):
        argv = [self.iovsctl, "--run-dir", self.d] + list(a)
        self.cmds.append(q(argv))
        rc, out, err = run_cmd(argv)
        err = (err or out).strip().splitlines()
        err = err[0] if err else ""
        if check and rc != 0:
            raise Failure(f"{q(argv[1:])}: {err}")
        return (rc, err) if not check else out

    def start(self, size, sock, logdir):
        self.start_daemon(logdir)
        self.hub = iovs_bridge_add(self.ctl)
        iovs_wire_add(self.ctl, size)
        iovs_vhost_add(self.ctl, sock)

    def start_daemon(self, logdir):
        """iovsd in a fresh run directory with an empty configuration. Shared with v2v.py."""
        self.check_available()
        self.d = d = os.path.join(self.run.dir, "iovs")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        with open(f"{d}/iovsd.json", "w") as f:
            json.dump({"version": 1, "bridges": []}, f)
        pfx = dpdk_prefix(self.run, "iovs")
        self.daemon = self.spawn(
            Proc, "iovsd",
            [self.iovsd, "--run-dir", d, "--cores", f"{GUEST_CPU},{SWITCH_CPU}", "--config",
             f"{d}/iovsd.json", "--", "--file-prefix", pfx, "-m", str(SWITCH_MEM_MB),
             "--socket-limit", str(SWITCH_MEM_MB)],
            os.path.join(logdir, "iovsd.log"))
        wait_path(f"{d}/iovsd.sock", START_TIMEOUT, self.daemon)

    def snapshot(self):
        t = time.monotonic()
        pmds = json.loads(self.ctl("--json", "pmd", "stats"))["pmds"]
        pmd = [p for p in pmds if p["core"] == SWITCH_CPU]
        if len(pmd) != 1:
            raise Failure(f"iovs: no PMD on core {SWITCH_CPU}: {pmds}")
        port = json.loads(self.ctl("--json", "port", "stats", "wire"))["ports"][0]
        p = pmd[0]
        return dict(t=t, busy=p["busy_cycles"], idle=p["idle_cycles"], rx=p["rx_packets"],
                    wire_tx=port["tx_packets"], tsc_hz=p["tsc_hz"])

    def stop(self):
        super().stop()  # SIGTERM: iovsd closes its ports and exits


SWITCH_CLASSES = {"iovs": Iovs, "dpdk": DpdkVhost, "ovs": Ovs}


# ---------------------------------------------------------------- one measurement

def measure(run, sw, size, ring, rep, args):
    tag = f"{sw.name}-{size}B-{ring}-r{rep}"
    logdir = os.path.join(run.out, "logs", tag)
    os.makedirs(logdir, exist_ok=True)
    rec = dict(switch=sw.name, size=size, ring=ring, rep=rep, ok=False, error=None, mpps=None,
               cycles_per_pkt=None)
    sock = os.path.join(run.dir, "vhu.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    sw.cmds = []
    guest = None
    try:
        need = SWITCH_MEM_MB + GUEST_MEM_MB
        if free_hugepage_mb() < need:
            raise Failure(f"only {free_hugepage_mb()} MB of hugepages free, need {need}")
        sw.start(size, sock, logdir)
        if not sw.guest_is_server:
            wait_path(sock, 15, what=f"{sw.name}'s vhost-user socket {sock}")
        guest = start_guest(run, ring, sock, sw.guest_is_server, logdir)
        sw.cmds.append("guest: " + q(guest.argv))
        if sw.guest_is_server:
            wait_path(sock, 15, guest, what=f"the guest's vhost-user socket {sock}")
            sw.attach_guest(sock)
        guest.wait_ready()
        sw.pin()
        guest.start_fwd(GUEST_CPU)
        time.sleep(args.warmup)

        pids = sw.pids() + [guest.pid]
        c0, w0 = cpu_jiffies(pids), time.monotonic()
        guest.port_stats(1)
        s0 = sw.snapshot()
        time.sleep(args.window)
        g1 = guest.port_stats(1)[0]
        s1 = sw.snapshot()
        c1, w1 = cpu_jiffies(pids), time.monotonic()

        dt = s1["t"] - s0["t"]
        loop = s1["wire_tx"] - s0["wire_tx"]
        busy = s1["busy"] - s0["busy"]
        rx = s1["rx"] - s0["rx"]
        rec.update(
            mpps=g1["tx_pps"] / 1e6,
            guest_rx_mpps=g1["rx_pps"] / 1e6,
            switch_wire_tx_mpps=loop / dt / 1e6,
            cycles_per_pkt=busy / loop if loop else None,
            cycles_per_rx_pkt=busy / rx if rx else None,
            busy_cycles=busy, loop_pkts=loop, switch_rx_pkts=rx, window_s=round(dt, 3),
            cpu_share=round((c1 - c0) / os.sysconf("SC_CLK_TCK") / (2 * (w1 - w0)), 3))
        if "idle" in s1:
            idle = s1["idle"] - s0["idle"]
            rec["busy_pct"] = round(100 * busy / (busy + idle), 2) if busy + idle else None
        elif s1.get("tsc_hz"):
            rec["busy_pct"] = round(100 * busy / (s1["tsc_hz"] * dt), 2)
        if s1.get("tsc_hz"):
            rec["tsc_hz"] = s1["tsc_hz"]
        rec["contended"] = rec["cpu_share"] < CONTENDED_BELOW
        if loop == 0 or g1["tx_pps"] == 0:
            hint = ("" if getattr(sw, "hub", True) else
                    " (iovs bridge is learning: no --no-learning yet, net_null's all-zero "
                    "MACs are dropped)")
            raise Failure(f"nothing forwarded in the window (guest tx {g1['tx_pps']} pps, "
                          f"switch wire tx {loop} packets){hint}")
        rec["ok"] = True
    except Failure as e:
        rec["error"] = str(e)
    except (OSError, ValueError, KeyError, IndexError, TypeError, ZeroDivisionError) as e:
        rec["error"] = f"{type(e).__name__}: {e}"
    finally:
        if guest is not None:
            guest.stop("quit")
        try:
            sw.stop()
        except Exception as e:  # noqa: BLE001 -- never lose the record; cleanup_all follows
            rec["stop_error"] = f"{type(e).__name__}: {e}"
        for pfx in list(PREFIXES):
            clean_prefix(pfx)
        with open(os.path.join(logdir, "commands.txt"), "w") as f:
            f.write("\n".join(sw.cmds) + "\n")
        if os.path.exists(sock):
            os.unlink(sock)
    return rec


# ---------------------------------------------------------------- summary, table, plot

def median_range(xs):
    return dict(median=statistics.median(xs), min=min(xs), max=max(xs), n=len(xs))


def summarize(meas, switches, sizes, rings):
    per, ratios = [], []
    use = [m for m in meas if m["ok"] and not m.get("excluded")]
    for size in sizes:
        for ring in rings:
            for sw in switches:
                ms = [m for m in use if (m["switch"], m["size"], m["ring"]) == (sw, size, ring)]
                if not ms:
                    continue
                e = dict(switch=sw, size=size, ring=ring, n=len(ms))
                mp = median_range([m["mpps"] for m in ms])
                e.update(mpps_median=mp["median"], mpps_min=mp["min"], mpps_max=mp["max"])
                cyc = [m["cycles_per_pkt"] for m in ms if m["cycles_per_pkt"] is not None]
                e["cycles_per_pkt_median"] = statistics.median(cyc) if cyc else None
                rxc = [m["cycles_per_rx_pkt"] for m in ms if m.get("cycles_per_rx_pkt")]
                e["cycles_per_rx_pkt_median"] = statistics.median(rxc) if rxc else None
                per.append(e)
            for a, b in RATIO_PAIRS:
                if a not in switches or b not in switches:
                    continue
                by_rep = {}
                for m in use:
                    if (m["size"], m["ring"]) == (size, ring) and m["switch"] in (a, b):
                        by_rep.setdefault(m["rep"], {})[m["switch"]] = m["mpps"]
                rs = [v[a] / v[b] for v in by_rep.values() if a in v and b in v and v[b] > 0]
                if rs:
                    r = median_range(rs)
                    ratios.append(dict(ratio=f"{a}/{b}", size=size, ring=ring, **r))
    return dict(per_switch=per, ratios=ratios)


def fmt(x, nd=2):
    return "-" if x is None else f"{x:.{nd}f}"


def table(results):
    s = results["summary"]
    lines = ["", "PVP, switch on CPU %d, guest on CPU %d: medians of %d interleaved reps" %
             (SWITCH_CPU, GUEST_CPU, results["params"]["reps"]),
             "%-6s %-7s %-6s %3s  %8s  %-15s  %8s  %9s" % ("size", "ring", "switch", "n",
                                                           "Mpps", "[min-max]", "cyc/pkt",
                                                           "cyc/rxpkt")]
    for e in s["per_switch"]:
        lines.append("%-6s %-7s %-6s %3d  %8s  %-15s  %8s  %9s" % (
            f"{e['size']}B", e["ring"], e["switch"], e["n"], fmt(e["mpps_median"]),
            f"[{fmt(e['mpps_min'])}-{fmt(e['mpps_max'])}]", fmt(e["cycles_per_pkt_median"], 0),
            fmt(e["cycles_per_rx_pkt_median"], 0)))
    if s["ratios"]:
        lines += ["", "paired ratios of Mpps (same rep), median [min-max]:"]
        for r in s["ratios"]:
            lines.append("%-6s %-7s %-10s %5.2f  [%.2f-%.2f]  n=%d" % (
                f"{r['size']}B", r["ring"], r["ratio"], r["median"], r["min"], r["max"], r["n"]))
    for sw, why in results["unavailable"].items():
        lines.append(f"\n{sw}: unavailable: {why}")
    fails = [m for m in results["measurements"] if not m["ok"]]
    for m in fails:
        lines.append(f"\nFAILED {m['switch']} {m['size']}B {m['ring']} rep {m['rep']}: "
                     f"{m['error']}")
    cont = [m for m in results["measurements"] if m.get("contended")]
    if cont:
        lines.append(f"\n{len(cont)} measurement(s) with cpu_share < {CONTENDED_BELOW} "
                     "(other processes ran on the benchmark's CPUs)" +
                     (", their groups excluded" if results["params"]["discard_contended"]
                      else "; --discard-contended leaves them out"))
    return "\n".join(lines) + "\n"


def plot(results, out):
    if not shutil.which("gnuplot"):
        return "gnuplot not found: no plot (apt-get install gnuplot-nox)"
    s = results["summary"]
    params = results["params"]
    sws = [sw for sw in params["switches"] if any(e["switch"] == sw for e in s["per_switch"])]
    groups = [(size, ring) for size in params["sizes"] for ring in params["rings"]]
    if not sws:
        return "nothing to plot"
    get = {(e["switch"], e["size"], e["ring"]): e for e in s["per_switch"]}
    with open(os.path.join(out, "plot.dat"), "w") as f:
        f.write("# group " + " ".join(f"{sw}_med {sw}_min {sw}_max" for sw in sws) + "\n")
        for size, ring in groups:
            cols = []
            for sw in sws:
                e = get.get((sw, size, ring))
                cols += ([f"{e['mpps_median']:.4f}", f"{e['mpps_min']:.4f}",
                          f"{e['mpps_max']:.4f}"] if e else ["NaN"] * 3)
            f.write(f'"{size}B_{ring}" ' + " ".join(cols) + "\n")
    xt, labels = [], []
    n, gap = len(sws), 1
    for j, (size, ring) in enumerate(groups):
        txt = f"{size} B {ring}"
        for r in s["ratios"]:
            if (r["size"], r["ring"]) == (size, ring):
                txt += f"\\n{r['ratio']} {r['median']:.2f} [{r['min']:.2f}-{r['max']:.2f}]"
        xt.append(f'"{txt}" {j}')
        for i, sw in enumerate(sws):
            e = get.get((sw, size, ring))
            if e:
                x = j + (i - (n - 1) / 2) / (n + gap)
                lab = f"{e['mpps_median']:.2f}"
                if e["cycles_per_pkt_median"] is not None:
                    lab += f"\\n{e['cycles_per_pkt_median']:.0f} cyc"
                labels.append(f'set label "{lab}" at {x:.3f},{e["mpps_max"]:.4f} center '
                              'offset 0,1.6 font ",8"')
    una = "; ".join(f"{k}: unavailable" for k in results["unavailable"])
    term = "pngcairo size 1280,760 noenhanced font 'sans,10'"
    gp = [f"set terminal {term}", 'set output "pvp.png"',
          f'set title "PVP on one switch PMD core (net_null wire, testpmd macswap guest): '
          f'median Mpps of {params["reps"]} interleaved reps, bars min-max, '
          f'labels Mpps and switch cycles/packet{"; " + una if una else ""}"',
          "set style data histograms", f"set style histogram errorbars gap {gap} lw 1",
          "set style fill solid 0.75 border -1", "set boxwidth 0.9", "set grid ytics",
          'set ylabel "Mpps through the PVP loop"', "set yrange [0:*]", "set offsets 0,0,1,0",
          "set key top right", "set bmargin 7", f"set xrange [-0.6:{len(groups) - 0.4}]", "set xtics (" + ", ".join(xt) + ")"] + labels
    gp.append("plot " + ", ".join(
        f'"plot.dat" using {2 + 3 * i}:{3 + 3 * i}:{4 + 3 * i} title "{sw}" '
        f'lc rgb "{COLORS.get(sw, "gray")}"' for i, sw in enumerate(sws)))
    with open(os.path.join(out, "plot.gp"), "w") as f:
        f.write("\n".join(gp) + "\n")
    rc, o, e = run_cmd(["gnuplot", "plot.gp"], cwd=out)
    if rc != 0:
        return f"gnuplot failed: {(e or o).strip()}"
    return None


# ---------------------------------------------------------------- main

class Run:
    pass


def pkg_version(pkg):
    rc, out, _ = run_cmd(["dpkg-query", "-W", "-f=${Version}", pkg])
    return out if rc == 0 else None


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="bench/pvp.sh", description="PVP benchmark: iovs vs DPDK vhost vs OVS-DPDK, "
        "one switch PMD core, interleaved repetitions. See bench/README.md.")
    ap.add_argument("--reps", type=int, default=8, help="repetitions (default 8)")
    ap.add_argument("--duration", type=float, default=10,
                    help="seconds per measurement incl. warm-up (default 10)")
    ap.add_argument("--warmup", type=float, default=None,
                    help="seconds of warm-up discarded (default 30%% of --duration)")
    ap.add_argument("--sizes", default="64,1518", help="frame sizes (default 64,1518)")
    ap.add_argument("--rings", default="split,packed", help="split,packed (default both)")
    ap.add_argument("--switches", default="iovs,dpdk,ovs", help="default iovs,dpdk,ovs")
    ap.add_argument("--smoke", action="store_true",
                    help="CI: 1 rep, 64 B, split, 3 s; exit 0 if every available switch "
                    "produced a number")
    ap.add_argument("--discard-contended", action="store_true",
                    help=f"leave out a rep/size/ring group when any of its measurements had "
                    f"cpu_share < {CONTENDED_BELOW}")
    ap.add_argument("--out", default=None, help="output directory (default bench/results/DATE)")
    ap.add_argument("--replot", metavar="DIR", default=None,
                    help="measure nothing: recompute summary, table and plot of DIR/results.json "
                    "(e.g. with --discard-contended)")
    a = ap.parse_args(argv)
    if a.smoke:
        a.reps, a.sizes, a.rings, a.duration = 1, "64", "split", 3
        a.warmup = None
    a.sizes = [int(x) for x in a.sizes.split(",") if x]
    a.rings = [x for x in a.rings.split(",") if x]
    a.switches = [x for x in a.switches.split(",") if x]
    for r in a.rings:
        if r not in ("split", "packed"):
            ap.error(f"--rings: {r}: not split or packed")
    for s in a.switches:
        if s not in ALL_SWITCHES:
            ap.error(f"--switches: {s}: not one of {','.join(ALL_SWITCHES)}")
    for s in a.sizes:
        if not 60 <= s <= 1518:
            ap.error(f"--sizes: {s}: frames of 60..1518 bytes")
    if a.reps < 1:
        ap.error("--reps: at least 1")
    if a.warmup is None:
        a.warmup = round(a.duration * 0.3, 1)
    a.window = a.duration - a.warmup
    if a.window < 1:
        ap.error("--duration minus --warmup must leave at least 1 s to measure")
    return a


def write_json(results, out):
    tmp = os.path.join(out, "results.json.tmp")
    with open(tmp, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(out, "results.json"))


def report(results, out, discard_contended):
    """Summary, results.json, table.txt (also printed) and the plot, from the measurements."""
    results["params"]["discard_contended"] = discard_contended
    bad = {(m["rep"], m["size"], m["ring"]) for m in results["measurements"]
           if m.get("contended")}
    for m in results["measurements"]:
        m["excluded"] = discard_contended and (m["rep"], m["size"], m["ring"]) in bad
    p = results["params"]
    results["summary"] = summarize(results["measurements"], p["switches"], p["sizes"],
                                   p["rings"])
    note = plot(results, out)
    results.pop("plot", None)
    if note:
        results["plot"] = note
    write_json(results, out)
    txt = table(results)
    with open(os.path.join(out, "table.txt"), "w") as f:
        f.write(txt)
    print(txt)
    print(f"results: {out}/results.json" +
          (f", plot: {out}/pvp.png" if not note else f" ({note})") +
          (f"  [{results['elapsed_s']} s]" if "elapsed_s" in results else ""))


def main(argv):
    args = parse_args(argv)
    if args.replot:
        out = os.path.abspath(args.replot)
        with open(os.path.join(out, "results.json")) as f:
            results = json.load(f)
        report(results, out, args.discard_contended)
        return 0
    # What this machine lacks is a loud skip (77, meson's SKIP), not a failure.
    if os.geteuid() != 0:
        print("pvp: SKIP: needs root (hugepages, vhost-user sockets, thread affinity)",
              file=sys.stderr)
        return 77
    if not {SWITCH_CPU, GUEST_CPU} <= os.sched_getaffinity(0):
        print(f"pvp: SKIP: needs CPUs {SWITCH_CPU} and {GUEST_CPU}", file=sys.stderr)
        return 77
    if free_hugepage_mb() < SWITCH_MEM_MB + GUEST_MEM_MB:
        print(f"pvp: SKIP: {free_hugepage_mb()} MB of hugepages free, needs "
              f"{SWITCH_MEM_MB + GUEST_MEM_MB} (scripts/setup.sh reserves them)", file=sys.stderr)
        return 77
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    run = Run()
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    run.out = os.path.abspath(args.out or os.path.join(BENCH_DIR, "results", stamp))
    os.makedirs(run.out, exist_ok=True)
    clean_stale()
    run.dir = tempfile.mkdtemp(prefix=f"pvp-{os.getpid()}-")
    t_start = time.monotonic()
    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    results = dict(
        benchmark="pvp", started=started,
        host=dict(cpus=os.cpu_count(), kernel=os.uname().release,
                  dpdk=pkg_version("dpdk"), ovs=pkg_version("openvswitch-switch-dpdk"),
                  iovs_build=iovs_build_dir()),
        params=dict(reps=args.reps, duration_s=args.duration, warmup_s=args.warmup,
                    window_s=args.window, sizes=args.sizes, rings=args.rings,
                    switches=args.switches, smoke=args.smoke,
                    discard_contended=args.discard_contended, switch_cpu=SWITCH_CPU,
                    guest_cpu=GUEST_CPU, switch_mem_mb=SWITCH_MEM_MB, guest_mem_mb=GUEST_MEM_MB,
                    testpmd_mbufs=N_MBUFS),
        definitions=dict(
            mpps="packets per second through the whole loop wire->switch->guest->switch->wire: "
                 "the guest testpmd's Tx-pps over the measurement window (its own TSC "
                 "interval between two 'show port stats'); every packet the guest transmits "
                 "is forwarded by the switch to net_null, which never drops",
            switch_wire_tx_mpps="cross-check: the switch's own tx counter of the net_null "
                                "port over the window",
            cycles_per_pkt="switch busy TSC cycles in the window / packets the switch sent "
                           "to the wire in the window (one per loop)",
            cycles_per_rx_pkt="switch busy TSC cycles / packets the switch received on both "
                              "ports (incl. wire packets dropped because the guest's ring "
                              "was full)",
            busy_cycles="dpdk: testpmd --record-core-cycles (rx bursts that got packets); "
                        "ovs: pmd-stats-show 'processing cycles'; iovs: pmd stats busy_cycles "
                        "(poll iterations that got packets)",
            cpu_share=f"CPU time of switch + guest processes / (2 x wall time) in the window; "
                      f"below {CONTENDED_BELOW}: contended",
            ratios="per rep, a/b of mpps for the same rep/size/ring; median and range"),
        unavailable={}, commands={}, measurements=[])

    switches = {}
    for name in args.switches:
        sw = SWITCH_CLASSES[name](run)
        try:
            sw.check_available()
            switches[name] = sw
        except Unavailable as e:
            results["unavailable"][name] = str(e)
            log(f"{name}: unavailable: {e}")

    total = args.reps * len(args.sizes) * len(args.rings) * len(args.switches)
    k = 0
    try:
        for rep in range(1, args.reps + 1):
            for size in args.sizes:
                for ring in args.rings:
                    for name in args.switches:
                        k += 1
                        sw = switches.get(name)
                        if sw is None:
                            continue
                        try:
                            rec = measure(run, sw, size, ring, rep, args)
                        except Unavailable as e:
                            results["unavailable"][name] = str(e)
                            results["commands"].setdefault(name, list(sw.cmds))
                            del switches[name]
                            log(f"[{k}/{total}] {name}: unavailable: {e}")
                            continue
                        results["measurements"].append(rec)
                        results["commands"].setdefault(name, list(sw.cmds))
                        write_json(results, run.out)  # raw so far: survives an interruption
                        if rec["ok"]:
                            log(f"[{k}/{total}] rep {rep} {size:>4}B {ring:6} {name:4}: "
                                f"{rec['mpps']:6.2f} Mpps (switch {rec['switch_wire_tx_mpps']:.2f})"
                                f"  {fmt(rec['cycles_per_pkt'], 0)} cyc/pkt  "
                                f"cpu_share {rec['cpu_share']}"
                                f"{'  CONTENDED' if rec['contended'] else ''}")
                        else:
                            log(f"[{k}/{total}] rep {rep} {size:>4}B {ring:6} {name:4}: "
                                f"FAILED: {rec['error']}")
    finally:
        cleanup_all()
        shutil.rmtree(run.dir, ignore_errors=True)

    results["finished"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    results["elapsed_s"] = round(time.monotonic() - t_start, 1)
    report(results, run.out, args.discard_contended)

    failed = [m for m in results["measurements"] if not m["ok"]]
    ok_switches = {m["switch"] for m in results["measurements"] if m["ok"]}
    if failed or not ok_switches:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
