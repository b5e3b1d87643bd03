#!/usr/bin/env python3
"""OpenFlow benchmarks on the V2V topology (v2v.py): iovs against OVS-DPDK, interleaved.

    flows.py scaling   throughput of one switch PMD core with 1 .. 1,000,000 installed flows
                       and traffic over all of them (Mpps, cycles/packet, loss factors)
    flows.py setup     flow set-up rate: ovs-ofctl add-flows of 100,000 flows into a fresh
                       switch, plain and --bundle (flows/s)

See bench/README.md ("Flows: scaling and set-up rate"). Standard library only.
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time

sys.dont_write_bytecode = True  # no bench/__pycache__ from importing pvp and v2v
import pvp  # noqa: E402
import v2v  # noqa: E402
from pvp import Failure, Unavailable, fmt, log

DEFAULT_COUNTS = [1, 10, 1000, 10000, 100000, 1000000]
LOSS_BASE = 10  # loss factors are relative to this flow count
LOSS_TARGETS = [100000, 1000000]


def median_range(xs):
    return dict(median=statistics.median(xs), min=min(xs), max=max(xs), n=len(xs))


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def write_json(results, out):
    tmp = os.path.join(out, "results.json.tmp")
    with open(tmp, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(out, "results.json"))


def nonzero(d):
    return {k: v for k, v in d.items() if v}


# ---------------------------------------------------------------- scaling

def measure_scaling(run, name, n, rep, args):
    tag = f"{name}-{n}flows-r{rep}"
    logdir = os.path.join(run.out, "logs", tag)
    rec = dict(switch=name, flows=n, rules=2 * n, rep=rep, ok=False, error=None, mpps=None,
               cycles_per_pkt=None)
    t = v2v.Topology(run, name, logdir)
    try:
        rec["mem_available_mb_before"] = v2v.mem_available_mb()
        t.start_switch()
        files = v2v.rule_files(run, n)
        inst = t.install(files, bundle=True)
        rec["install"] = inst
        got = t.flow_count()
        rec["flow_count"] = got
        if got != 2 * n:
            raise Failure(f"{name}: {got} flows installed, expected {2 * n}")
        t.start_traffic(n)
        time.sleep(args.warmup)
        m = t.measure(args.window)
        m["switch_drops"] = nonzero(m["switch_drops"])
        rec.update(m)
        rec["mem"] = v2v.proc_mem_mb(t.sw.main_pid())
        rec["check"] = t.check_misses()
        rec["ok"] = True
    except Failure as e:
        rec["error"] = str(e)
    except (OSError, ValueError, KeyError, IndexError, TypeError, ZeroDivisionError) as e:
        rec["error"] = f"{type(e).__name__}: {e}"
    finally:
        t0 = time.monotonic()
        try:
            t.stop()
        except Exception as e:  # noqa: BLE001 -- never lose the record; cleanup_all follows
            rec["stop_error"] = f"{type(e).__name__}: {e}"
        rec["stop_s"] = round(time.monotonic() - t0, 1)
    rec["commands"] = list(t.cmds)
    return rec


def summarize_scaling(meas, switches, counts):
    per, ratios, loss = [], [], []
    use = [m for m in meas if m["ok"]]
    for n in counts:
        for sw in switches:
            ms = [m for m in use if (m["switch"], m["flows"]) == (sw, n)]
            if not ms:
                continue
            mp = median_range([m["mpps"] for m in ms])
            per.append(dict(
                switch=sw, flows=n, n=len(ms), mpps_median=mp["median"], mpps_min=mp["min"],
                mpps_max=mp["max"], cycles_per_pkt_median=med(m["cycles_per_pkt"] for m in ms),
                busy_pct_median=med(m.get("busy_pct") for m in ms),
                gen_tx_drop_share_median=med(m.get("gen_tx_drop_share") for m in ms),
                install_s_median=med(m["install"]["seconds"] for m in ms),
                install_rules_per_s_median=med(m["install"]["rules_per_s"] for m in ms),
                rss_mb_median=med(m.get("mem", {}).get("rss_mb") for m in ms),
                table_miss_max=max(m["check"]["table_miss"] for m in ms),
                cpu_share_median=med(m["cpu_share"] for m in ms)))
        if "iovs" in switches and "ovs" in switches:
            by_rep = {}
            for m in use:
                if m["flows"] == n:
                    by_rep.setdefault(m["rep"], {})[m["switch"]] = m["mpps"]
            rs = [v["iovs"] / v["ovs"] for v in by_rep.values()
                  if "iovs" in v and "ovs" in v and v["ovs"] > 0]
            if rs:
                ratios.append(dict(ratio="iovs/ovs", flows=n, **median_range(rs)))
    get = {(e["switch"], e["flows"]): e for e in per}
    for sw in switches:
        base = get.get((sw, LOSS_BASE))
        for n in LOSS_TARGETS:
            e = get.get((sw, n))
            if base and e and e["mpps_median"] > 0:
                loss.append(dict(switch=sw, base=LOSS_BASE, flows=n,
                                 factor=base["mpps_median"] / e["mpps_median"]))
    return dict(per_switch=per, ratios=ratios, loss=loss)


def table_scaling(results):
    s = results["summary"]
    p = results["params"]
    lines = ["", f"Flow scaling, V2V (flowgen VM on CPU {v2v.GEN_CPU}, switch PMD on CPU "
             f"{v2v.SWITCH_CPU}), 64 B: medians of {p['reps']} interleaved reps",
             "%8s %-5s %2s %7s %-15s %7s %5s %6s %8s %9s %7s %5s" % (
                 "flows", "sw", "n", "Mpps", "[min-max]", "cyc/pkt", "busy%", "gdrop%",
                 "inst s", "rules/s", "RSS MB", "miss")]
    for e in s["per_switch"]:
        lines.append("%8d %-5s %2d %7s %-15s %7s %5s %6s %8s %9s %7s %5d" % (
            e["flows"], e["switch"], e["n"], fmt(e["mpps_median"]),
            f"[{fmt(e['mpps_min'])}-{fmt(e['mpps_max'])}]", fmt(e["cycles_per_pkt_median"], 0),
            fmt(e["busy_pct_median"], 0),
            fmt(None if e["gen_tx_drop_share_median"] is None
                else 100 * e["gen_tx_drop_share_median"], 0),
            fmt(e["install_s_median"], 2), fmt(e["install_rules_per_s_median"], 0),
            fmt(e["rss_mb_median"], 0), e["table_miss_max"]))
    if s["ratios"]:
        lines += ["", "paired ratio iovs/ovs of Mpps (same rep), median [min-max]:"]
        for r in s["ratios"]:
            lines.append("%8d  %5.2f  [%.2f-%.2f]  n=%d" % (r["flows"], r["median"], r["min"],
                                                           r["max"], r["n"]))
    if s["loss"]:
        lines += ["", f"loss factor: median Mpps at {LOSS_BASE} flows / median Mpps at N flows "
                  "(the target for iovs: <= 2 at 100000, no cliff at 1000000):"]
        for lo in s["loss"]:
            lines.append(f"  {lo['switch']:5} {lo['base']} -> {lo['flows']}: "
                         f"{lo['factor']:.2f}x")
    for sw, why in results["unavailable"].items():
        lines.append(f"\n{sw}: unavailable: {why}")
    for m in results["measurements"]:
        if not m["ok"]:
            lines.append(f"\nFAILED {m['switch']} {m['flows']} flows rep {m['rep']}: "
                         f"{m['error']}")
    cont = [m for m in results["measurements"] if m.get("contended")]
    if cont:
        lines.append(f"\n{len(cont)} measurement(s) with cpu_share < {pvp.CONTENDED_BELOW} "
                     "(other processes ran on the benchmark's CPUs)")
    lines.append("\nMpps: packets the switch forwarded per second (tx of both ports, its own "
                 "counters); cyc/pkt: switch PMD busy TSC cycles per forwarded packet; "
                 "gdrop%: generator packets refused by a full ring (offered beyond what the "
                 "switch takes); inst s: ovs-ofctl --bundle add-flows of all 2N rules; "
                 "miss: table-0 lookups that matched no rule (max over reps)")
    return "\n".join(lines) + "\n"


def run_scaling(args, run, results, switches):
    total = args.reps * len(args.counts) * len(args.switches)
    k = 0
    for rep in range(1, args.reps + 1):
        for n in args.counts:
            for name in args.switches:
                k += 1
                if name not in switches:
                    continue
                try:
                    rec = measure_scaling(run, name, n, rep, args)
                except Unavailable as e:
                    results["unavailable"][name] = str(e)
                    del switches[name]
                    log(f"[{k}/{total}] {name}: unavailable: {e}")
                    continue
                results["commands"].setdefault(name, rec.pop("commands"))
                rec.pop("commands", None)
                results["measurements"].append(rec)
                write_json(results, run.out)
                if rec["ok"]:
                    inst = rec["install"]
                    log(f"[{k}/{total}] rep {rep} {n:>7} flows {name:4}: {rec['mpps']:6.2f} Mpps"
                        f"  {fmt(rec['cycles_per_pkt'], 0)} cyc/pkt  busy {rec['busy_pct']}%"
                        f"  install {inst['seconds']:.2f} s ({inst['rules_per_s']} rules/s)"
                        f"  miss {rec['check']['table_miss']}  cpu_share {rec['cpu_share']}"
                        f"{'  CONTENDED' if rec['contended'] else ''}")
                else:
                    log(f"[{k}/{total}] rep {rep} {n:>7} flows {name:4}: FAILED: {rec['error']}")


# ---------------------------------------------------------------- set-up rate

def measure_setup(run, name, n_rules, mode, rep):
    tag = f"{name}-{mode}-r{rep}"
    logdir = os.path.join(run.out, "logs", tag)
    rec = dict(switch=name, mode=mode, rules=n_rules, rep=rep, ok=False, error=None,
               seconds=None, flows_per_s=None)
    t = v2v.Topology(run, name, logdir)
    try:
        t.start_switch()
        t.attach_ports()  # OVS: its two ports (no generator); iovs has them already
        t.pin()  # OVS: every thread but the PMD to CPU 1, where iovs's OpenFlow thread runs
        cache = run.__dict__.setdefault("setup_rules", {})
        if n_rules not in cache:
            cache[n_rules] = v2v.write_rules(os.path.join(run.dir, f"setup-{n_rules}"),
                                             (n_rules + 1) // 2, n_rules=n_rules)
        inst = t.install(cache[n_rules], bundle=(mode == "bundle"))
        got = t.flow_count()
        rec.update(seconds=inst["seconds"], flow_count=got, install=inst)
        if got != n_rules:
            raise Failure(f"{name}: {got} flows installed after add-flows returned, "
                          f"expected {n_rules}")
        rec["flows_per_s"] = n_rules / inst["seconds"]
        rec["ok"] = True
    except Failure as e:
        rec["error"] = str(e)
    except (OSError, ValueError, KeyError, IndexError, TypeError, ZeroDivisionError) as e:
        rec["error"] = f"{type(e).__name__}: {e}"
    finally:
        try:
            t.stop()
        except Exception as e:  # noqa: BLE001
            rec["stop_error"] = f"{type(e).__name__}: {e}"
    rec["commands"] = list(t.cmds)
    return rec


def summarize_setup(meas, switches, modes):
    per, ratios = [], []
    use = [m for m in meas if m["ok"]]
    for mode in modes:
        for sw in switches:
            ms = [m for m in use if (m["switch"], m["mode"]) == (sw, mode)]
            if ms:
                r = median_range([m["flows_per_s"] for m in ms])
                per.append(dict(switch=sw, mode=mode, n=len(ms), flows_per_s_median=r["median"],
                                flows_per_s_min=r["min"], flows_per_s_max=r["max"],
                                seconds_median=med(m["seconds"] for m in ms)))
        by_rep = {}
        for m in use:
            if m["mode"] == mode:
                by_rep.setdefault(m["rep"], {})[m["switch"]] = m["flows_per_s"]
        rs = [v["iovs"] / v["ovs"] for v in by_rep.values() if "iovs" in v and "ovs" in v]
        if rs:
            ratios.append(dict(ratio="iovs/ovs", mode=mode, **median_range(rs)))
    return dict(per_switch=per, ratios=ratios)


def table_setup(results):
    s = results["summary"]
    p = results["params"]
    lines = ["", f"Flow set-up rate: ovs-ofctl -O OpenFlow13 add-flows of {p['rules']} flows "
             f"into a fresh switch, medians of {p['reps']} interleaved reps",
             "%-7s %-5s %2s %10s %-23s %9s" % ("mode", "sw", "n", "flows/s", "[min-max]",
                                              "seconds")]
    for e in s["per_switch"]:
        lines.append("%-7s %-5s %2d %10.0f %-23s %9.3f" % (
            e["mode"], e["switch"], e["n"], e["flows_per_s_median"],
            f"[{e['flows_per_s_min']:.0f}-{e['flows_per_s_max']:.0f}]", e["seconds_median"]))
    if s["ratios"]:
        lines += ["", "paired ratio iovs/ovs of flows/s (same rep), median [min-max]:"]
        for r in s["ratios"]:
            lines.append("%-7s %5.2f  [%.2f-%.2f]  n=%d" % (r["mode"], r["median"], r["min"],
                                                           r["max"], r["n"]))
    for sw, why in results["unavailable"].items():
        lines.append(f"\n{sw}: unavailable: {why}")
    for m in results["measurements"]:
        if not m["ok"]:
            lines.append(f"\nFAILED {m['switch']} {m['mode']} rep {m['rep']}: {m['error']}")
    lines.append("\nseconds: wall time of the ovs-ofctl command(s) (they end with the switch's "
                 "BARRIER or bundle COMMIT reply); every run then checked with dump-aggregate "
                 "that all flows are there")
    return "\n".join(lines) + "\n"


def run_setup(args, run, results, switches):
    total = args.reps * len(args.modes) * len(args.switches)
    k = 0
    for rep in range(1, args.reps + 1):
        for mode in args.modes:
            for name in args.switches:
                k += 1
                if name not in switches:
                    continue
                try:
                    rec = measure_setup(run, name, args.flows, mode, rep)
                except Unavailable as e:
                    results["unavailable"][name] = str(e)
                    del switches[name]
                    log(f"[{k}/{total}] {name}: unavailable: {e}")
                    continue
                results["commands"].setdefault(name, rec.pop("commands"))
                rec.pop("commands", None)
                results["measurements"].append(rec)
                write_json(results, run.out)
                if rec["ok"]:
                    log(f"[{k}/{total}] rep {rep} {mode:6} {name:4}: {rec['seconds']:7.3f} s  "
                        f"{rec['flows_per_s']:9.0f} flows/s")
                else:
                    log(f"[{k}/{total}] rep {rep} {mode:6} {name:4}: FAILED: {rec['error']}")


# ---------------------------------------------------------------- main

def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="bench/flows.sh", description="OpenFlow benchmarks, iovs vs OVS-DPDK on one "
        "switch PMD core, V2V topology, interleaved. See bench/README.md.")
    sub = ap.add_subparsers(dest="mode", required=True)
    sc = sub.add_parser("scaling", help="throughput with 1..1M installed flows")
    sc.add_argument("--reps", type=int, default=8, help="repetitions (default 8)")
    sc.add_argument("--duration", type=float, default=10,
                    help="seconds of traffic per measurement incl. warm-up (default 10)")
    sc.add_argument("--warmup", type=float, default=None,
                    help="seconds of warm-up discarded (default 30%% of --duration)")
    sc.add_argument("--counts", default=",".join(map(str, DEFAULT_COUNTS)),
                    help="flow counts, each installed per direction (default "
                    f"{','.join(map(str, DEFAULT_COUNTS))})")
    st = sub.add_parser("setup", help="flow set-up rate of add-flows, plain and --bundle")
    st.add_argument("--reps", type=int, default=8, help="repetitions (default 8)")
    st.add_argument("--flows", type=int, default=100000,
                    help="flows in the file (default 100000)")
    st.add_argument("--modes", default="plain,bundle", help="plain,bundle (default both)")
    for p in (sc, st):
        p.add_argument("--switches", default="iovs,ovs", help="default iovs,ovs")
        p.add_argument("--out", default=None,
                       help="output directory (default bench/results/DATE-flows or "
                       "DATE-flowsetup)")
        p.add_argument("--smoke", action="store_true",
                       help="CI: scaling 1 rep, counts 1,1000, 3 s; setup 1 rep, 1000 flows")
    a = ap.parse_args(argv)
    a.switches = [x for x in a.switches.split(",") if x]
    for s in a.switches:
        if s not in v2v.SWITCHES:
            ap.error(f"--switches: {s}: not one of {','.join(v2v.SWITCHES)}")
    if a.mode == "scaling":
        if a.smoke:
            a.reps, a.counts, a.duration, a.warmup = 1, "1,1000", 3, 1
        a.counts = [int(x) for x in a.counts.split(",") if x]
        if any(n < 1 or n > 16777216 for n in a.counts):
            ap.error("--counts: 1..16777216 flows")
        if a.warmup is None:
            a.warmup = round(a.duration * 0.3, 1)
        a.window = a.duration - a.warmup
        if a.window < 1:
            ap.error("--duration minus --warmup must leave at least 1 s to measure")
    else:
        if a.smoke:
            a.reps, a.flows = 1, 1000
        a.modes = [x for x in a.modes.split(",") if x]
        for m in a.modes:
            if m not in ("plain", "bundle"):
                ap.error(f"--modes: {m}: not plain or bundle")
        if a.flows < 1:
            ap.error("--flows: at least 1")
    if a.reps < 1:
        ap.error("--reps: at least 1")
    return a


def main(argv):
    args = parse_args(argv)
    skip = v2v.preflight(f"flows {args.mode}")
    if skip:
        print(skip, file=sys.stderr)
        return 77
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    suffix = "flows" if args.mode == "scaling" else "flowsetup"
    run = v2v.new_run(args.out or os.path.join(pvp.BENCH_DIR, "results", f"{stamp}-{suffix}"))
    t_start = time.monotonic()
    params = dict(reps=args.reps, switches=args.switches, smoke=args.smoke,
                  switch_cpu=v2v.SWITCH_CPU, generator_cpu=v2v.GEN_CPU,
                  switch_mem_mb=pvp.SWITCH_MEM_MB, generator_mem_mb=v2v.GEN_MEM_MB,
                  bundle_max=v2v.BUNDLE_MAX)
    if args.mode == "scaling":
        params.update(counts=args.counts, duration_s=args.duration, warmup_s=args.warmup,
                      window_s=args.window, frame=64, miss_limit=v2v.MISS_LIMIT)
        definitions = dict(
            flows="N: flowgen's destinations 10.253.0.0 + 0..N-1, one rule per direction each "
                  "(2N rules: priority=100,ip,in_port=1,nw_dst=D,actions=output:2 and "
                  "in_port=2 -> output:1), nothing else (a miss drops)",
            mpps="packets the switch forwarded per second in the window: the tx counters of "
                 "both its ports (iovs port stats, OVS dpctl/show -s)",
            cycles_per_pkt="switch PMD busy TSC cycles in the window / packets forwarded "
                           "(iovs pmd stats busy_cycles, OVS pmd-stats-show processing cycles)",
            busy_pct="busy / (busy + idle) cycles of the switch PMD; under ~95 % the generator "
                     "did not keep it saturated",
            gen_tx_drop_share="generator packets refused by a full vhost ring / offered",
            install="ovs-ofctl -O OpenFlow13 --bundle add-flows, one call per chunk of <= "
                    f"{v2v.BUNDLE_MAX} rules, wall time summed",
            check="after the window: traffic stopped, table 0 lookup/matched counts "
                  "(ovs-ofctl dump-tables) since the switch started; a measurement fails "
                  f"when misses exceed {v2v.MISS_LIMIT:g} of lookups",
            mem="VmRSS/VmHWM of the switch process after the window (heap: hugepages "
                "not included)",
            cpu_share=f"CPU time of switch + generator / (2 x wall time) in the window; below "
                      f"{pvp.CONTENDED_BELOW}: contended",
            ratios="per rep, iovs/ovs of mpps at the same flow count; median and range",
            loss=f"median Mpps at {LOSS_BASE} flows / median Mpps at N flows")
    else:
        params.update(rules=args.flows, modes=args.modes)
        definitions = dict(
            seconds="wall time of ovs-ofctl -O OpenFlow13 [--bundle] add-flows TARGET FILE "
                    "(pinned to CPU 1); ovs-ofctl waits for the BARRIER reply after plain "
                    "flow_mods and for the COMMIT reply of a bundle",
            flows_per_s="rules / seconds; each run is checked afterwards with dump-aggregate "
                        "(flow_count must equal the rules in the file)",
            ratios="per rep, iovs/ovs of flows_per_s in the same mode")
    results = dict(
        benchmark=f"flows-{args.mode}",
        started=datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        host=v2v.host_info(), params=params, definitions=definitions, unavailable={},
        commands={}, measurements=[])

    switches = {}
    for name in args.switches:
        try:
            v2v.V2V_CLASSES[name](run).check_available()
            switches[name] = True
        except Unavailable as e:
            results["unavailable"][name] = str(e)
            log(f"{name}: unavailable: {e}")
    try:
        if args.mode == "scaling":
            run_scaling(args, run, results, switches)
        else:
            run_setup(args, run, results, switches)
    finally:
        v2v.finish_run(run)

    results["finished"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    results["elapsed_s"] = round(time.monotonic() - t_start, 1)
    if args.mode == "scaling":
        results["summary"] = summarize_scaling(results["measurements"], args.switches,
                                               args.counts)
        txt = table_scaling(results)
    else:
        results["summary"] = summarize_setup(results["measurements"], args.switches,
                                             args.modes)
        txt = table_setup(results)
    write_json(results, run.out)
    with open(os.path.join(run.out, "table.txt"), "w") as f:
        f.write(txt)
    print(txt)
    print(f"results: {run.out}/results.json  [{results['elapsed_s']} s]")
    failed = [m for m in results["measurements"] if not m["ok"]]
    if failed or not any(m["ok"] for m in results["measurements"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
