#!/usr/bin/env python3
"""The table of bench/ws_peers.sh: medians over the rounds, targets beside.

    python3 bench/ws_summary.py results.jsonl [MEM_LO MEM_HI WSD_MAX CONN_N]

Each input line is one JSON object from ws_load ("result", "held") or the
memory probe ("mem"), labelled "r<round>/<server>/<test>".  Ratios are
taken within a round (same minutes) and then the median of those is shown.
"""
import json
import statistics
import sys
from collections import defaultdict

SERVERS = ["actord", "websocketd", "node"]


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, nd=0, unit=""):
    if x is None:
        return "-"
    if nd == 0:
        return f"{x:,.0f}{unit}"
    return f"{x:,.{nd}f}{unit}"


def main():
    path = sys.argv[1]
    lo = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    hi = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    wsd_max = int(sys.argv[4]) if len(sys.argv) > 4 else 4500
    conn_n = int(sys.argv[5]) if len(sys.argv) > 5 else 2000
    res = {}                        # (round, server, test) -> result
    mem = defaultdict(dict)         # (round, server) -> held -> probe
    loads = []
    runq = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                o = json.loads(line)
            except ValueError:
                continue
            parts = o.get("label", "").split("/")
            if len(parts) != 3:
                continue
            rnd, srv, test = int(parts[0][1:]), parts[1], parts[2]
            if "load" in o:
                loads.append(float(str(o["load"]).split()[0]))
            if "runq" in o:
                runq.append(float(o["runq"]))
            if o.get("event") == "result":
                res[(rnd, srv, test)] = o
            elif o.get("event") == "mem":
                mem[(rnd, srv)][o["held"]] = o
    rounds = sorted({k[0] for k in res} | {k[0] for k in mem})
    servers = [s for s in SERVERS
               if any(k[1] == s for k in res) or any(k[1] == s for k in mem)]

    def per_round(srv, test, key):
        return [res[(r, srv, test)].get(key) if (r, srv, test) in res
                else None for r in rounds]

    def m(srv, test, key):
        return med(per_round(srv, test, key))

    def ratio(a, b):
        xs = []
        for x, y in zip(a, b):
            if x is not None and y:
                xs.append(x / y)
        return med(xs)

    def fails(srv, test):
        n = 0
        for r in rounds:
            o = res.get((r, srv, test))
            if o is None:
                continue
            n += o.get("failed", 0) + o.get("closed", 0) + o.get("errors", 0)
            if o.get("timed_out"):
                n += 1
        return n

    print(f"rounds: {len(rounds)}; load average (1 min) during the runs: "
          f"min {min(loads):.2f}, median {statistics.median(loads):.2f}, "
          f"max {max(loads):.2f}" if loads else "no results")
    if runq:
        print(f"other runnable processes as each test started: min "
              f"{min(runq):.1f}, median {statistics.median(runq):.1f}, "
              f"max {max(runq):.1f} (2 CPUs)")
    print()
    hdr = "| median of rounds | " + " | ".join(servers) + " | target | ratio |"
    print(hdr)
    print("|---|" + "---:|" * len(servers) + "---|---:|")

    def row(name, vals, target="", rat=None, rnd=1):
        print(f"| {name} | " + " | ".join(vals) + f" | {target} | "
              f"{fmt(rat, 2, 'x') if rat is not None else ''} |")

    # echo 100 x 1
    t = "echo100"
    row("echo 64 B, 100 conns x 1: msg/s",
        [fmt(m(s, t, "msg_per_s")) for s in servers],
        "actord >= node", ratio(per_round("actord", t, "msg_per_s"),
                                per_round("node", t, "msg_per_s")))
    row("... p50 / p99 (us)",
        [f"{fmt(m(s, t, 'rtt_p50_us'))} / {fmt(m(s, t, 'rtt_p99_us'))}"
         for s in servers],
        "actord p99 <= websocketd", ratio(per_round("actord", t, "rtt_p99_us"),
                                          per_round("websocketd", t,
                                                    "rtt_p99_us")))
    t = "rtt1"
    row("1 conn x 1: RTT p50 / p99 (us)",
        [f"{fmt(m(s, t, 'rtt_p50_us'), 1)} / {fmt(m(s, t, 'rtt_p99_us'))}"
         for s in servers],
        "actord p50 <= 1.6x node", ratio(per_round("actord", t, "rtt_p50_us"),
                                         per_round("node", t, "rtt_p50_us")))
    t = "json100"
    if any((r, "actord", t) in res for r in rounds):
        row("Ping to coordinator:main via /ws, 100 x 1: msg/s",
            [fmt(m("actord", t, "msg_per_s"))] + ["-"] * (len(servers) - 1),
            ">= 0.7x actord /echo",
            ratio(per_round("actord", t, "msg_per_s"),
                  per_round("actord", "echo100", "msg_per_s")))
        row("... p50 / p99 (us)",
            [f"{fmt(m('actord', t, 'rtt_p50_us'))} / "
             f"{fmt(m('actord', t, 'rtt_p99_us'))}"]
            + ["-"] * (len(servers) - 1), "p99 < 3000 us")
    t = "connect"
    row(f"usable connections/s ({conn_n:,} held)",
        [fmt(m(s, t, "usable_per_s")) for s in servers],
        ">= 2x websocketd", ratio(per_round("actord", t, "usable_per_s"),
                                  per_round("websocketd", t, "usable_per_s")))
    row("... connect to first echo p50 / p99 (ms)",
        [f"{fmt(m(s, t, 'first_echo_p50_us') and m(s, t, 'first_echo_p50_us') / 1000, 1)}"
         f" / {fmt(m(s, t, 'first_echo_p99_us') and m(s, t, 'first_echo_p99_us') / 1000, 1)}"
         for s in servers])
    t = "first"
    row("unloaded connect to first echo p50 / p99 (us)",
        [f"{fmt(m(s, t, 'first_echo_p50_us'))} / "
         f"{fmt(m(s, t, 'first_echo_p99_us'))}" for s in servers],
        "actord p50 < 550 us")
    row("... of which handshake (101) p50 (us)",
        [fmt(m(s, t, "handshake_p50_us")) for s in servers])
    if any((r, "actord0", t) in res for r in rounds):
        row("... actord with session_pool = 0 (a zygote fork each) p50 / p99",
            [f"{fmt(m('actord0', t, 'first_echo_p50_us'))} / "
             f"{fmt(m('actord0', t, 'first_echo_p99_us'))}"]
            + ["-"] * (len(servers) - 1), "(0.75 ms: fork+exec)")

    # memory
    def slope(srv):
        xs = []
        top = wsd_max if srv == "websocketd" else hi
        for r in rounds:
            p = mem.get((r, srv), {})
            if lo in p and top in p:
                xs.append((p[top]["pss_kb"] - p[lo]["pss_kb"]) / (top - lo))
        return med(xs)

    def at_max(srv, key):
        xs = []
        for r in rounds:
            p = mem.get((r, srv), {})
            if p:
                top = max(p)
                if top > 0:
                    xs.append(p[top][key])
        return med(xs)

    def avail_delta(srv):
        xs = []
        for r in rounds:
            p = mem.get((r, srv), {})
            if 0 in p and len(p) > 1:
                xs.append((p[0]["memavail_kb"] - p[max(p)]["memavail_kb"])
                          / 1024)
        return med(xs)

    if mem:
        row(f"PSS per idle connection, slope {lo:,}->{hi:,} (KB)",
            [fmt(slope(s), 1) for s in servers], "actord < 100 KB")
        row("connections held at the top, verified by an echo",
            [f"{fmt(med([res.get((r, s, 'mem'), {}).get('verified') for r in rounds]))}"
             f" of {fmt(at_max(s, 'held'))}" for s in servers],
            "actord 10,000")
        row("... PSS of all the server's processes (MB)",
            [fmt(at_max(s, "pss_kb") and at_max(s, "pss_kb") / 1024)
             for s in servers], "actord < 4,096 MB")
        row("... MemAvailable drop, whole system (MB)",
            [fmt(avail_delta(s)) for s in servers], "actord < 4,096 MB")
        row("... descriptors of the front process",
            [fmt(at_max(s, "server_fds")) for s in servers],
            "gateway <= 1 per session")
    print()
    bad = {f"{s}/{t}": fails(s, t) for s in servers + ["actord0"]
           for t in ("echo100", "rtt1", "json100", "connect", "first", "mem")}
    bad = {k: v for k, v in bad.items() if v}
    print("failed connections, errors or time-outs: " +
          (", ".join(f"{k} {v}" for k, v in bad.items()) if bad else "none"))


if __name__ == "__main__":
    main()
