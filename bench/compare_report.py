#!/usr/bin/env python3
"""The Markdown report of a bench/compare.sh results file: medians over its runs,
tacit / Probot ratios, issue 12's targets and whether each is met, per-kind latencies,
and API calls per delivery by kind (CALLS lines). Asserts nothing.

    compare_report.py RESULTS_FILE
"""
import json
import statistics
import sys

lines = open(sys.argv[1]).read().splitlines()


def fields(line):
    return dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)


rows = [fields(l) for l in lines if l.startswith("RESULT ")]


def med(server, key):
    vals = [float(r[key]) for r in rows if r["server"] == server and key in r]
    return statistics.median(vals) if vals else None


def kinds(server):
    """kind -> (n, [p50 per run], [p99 per run])"""
    out = {}
    for r in rows:
        if r["server"] != server or "kinds" not in r:
            continue
        for part in r["kinds"].split(","):
            name, n, p50, p99 = part.split(":")
            k = out.setdefault(name, [0, [], []])
            k[0] += int(n)
            k[1].append(int(p50))
            k[2].append(int(p99))
    return out


def ms(v):
    return f"{v / 1000:.2f}"


def verdict(ok):
    return "**yes**" if ok else "no"


if rows:
    n = len([r for r in rows if r["server"] == "tacit"])
    loads = ", ".join(r["loadavg"] for r in rows)
    print(f"\nmedians of {n} runs (load average after each measurement: {loads})\n")
    print("| figure | tacit | Probot | tacit / Probot | target | met? |")
    print("|---|--:|--:|--:|--|--|")
    t, p = med("tacit", "rps"), med("probot", "rps")
    print(f"| deliveries/s recorded, 32 connections | {t:.0f} | {p:.0f} | {t / p:.2f} | ≥ 2× Probot | {verdict(t / p >= 2)} |")
    t, p = med("tacit", "cpu_us_max"), med("probot", "cpu_us_max")
    print(f"| CPU µs per delivery at max rate | {t:.0f} | {p:.0f} | {t / p:.2f} | ≤ 1/2 Probot's | {verdict(t / p <= 0.5)} |")
    t, p = med("tacit", "cpu_us_paced"), med("probot", "cpu_us_paced")
    print(f"| CPU µs per delivery at 1,000/s | {t:.0f} | {p:.0f} | {t / p:.2f} | ≤ Probot's | {verdict(t / p <= 1)} |")
    t, p = med("tacit", "p50_us"), med("probot", "p50_us")
    print(f"| latency p50 at 1,000/s, all kinds (ms) | {ms(t)} | {ms(p)} | {t / p:.2f} | — | — |")
    t, p = med("tacit", "p99_us"), med("probot", "p99_us")
    print(f"| latency p99 at 1,000/s, all kinds (ms) | {ms(t)} | {ms(p)} | {t / p:.2f} | ≤ 2× Probot's (per kind, below) | {verdict(t / p <= 2)} |")
    proc = med("tacit", "processed_per_s")
    if proc is not None:
        backlog, backlog_s = med("tacit", "backlog"), med("tacit", "backlog_s")
        secs = next((l.split("paced_seconds=")[1].split()[0] for l in lines if "paced_seconds=" in l), "?")
        print(f"| deliveries/s processed during {secs} s at 1,000/s | {proc:.0f} | — | — | — | — |")
        print(f"| backlog at the end of those {secs} s | {backlog:.0f} ({backlog_s:.2f} s of deliveries) | — | — | < 1 s | {verdict(backlog_s < 1)} |")
    t, p = med("tacit", "rss_kib"), med("probot", "rss_kib")
    print(f"| peak RSS (MiB) | {t / 1024:.1f} | {p / 1024:.1f} | {t / p:.2f} | ≤ 24 MiB | {verdict(t / 1024 <= 24)} |")

    tk, pk = kinds("tacit"), kinds("probot")
    if tk:
        total = sum(v[0] for v in tk.values())
        print("\nlatency at 1,000/s per kind of delivery (medians of the runs' p50 and p99)\n")
        print("| kind | share | tacit p50 (ms) | tacit p99 (ms) | Probot p50 (ms) | Probot p99 (ms) | p99 tacit / Probot | ≤ 2? |")
        print("|---|--:|--:|--:|--:|--:|--:|--|")
        met_all = True
        for name in sorted(tk, key=lambda k: -tk[k][0]):
            t50, t99 = statistics.median(tk[name][1]), statistics.median(tk[name][2])
            if name in pk:
                p50, p99 = statistics.median(pk[name][1]), statistics.median(pk[name][2])
                ok = t99 / p99 <= 2
                met_all &= ok
                print(f"| {name} | {100 * tk[name][0] / total:.1f} % | {ms(t50)} | {ms(t99)} | {ms(p50)} | {ms(p99)} | {t99 / p99:.2f} | {verdict(ok)} |")
        print(f"\np99 ≤ 2× Probot's for every kind: {verdict(met_all)}")

calls = [l for l in lines if l.startswith("CALLS ")]
if calls:
    print("\nGitHub API calls per delivery, by kind (one pass per kind; token mints included in calls)\n")
    print("| kind | deliveries | calls | calls per delivery | token mints | by route (calls) |")
    print("|---|--:|--:|--:|--:|--|")
    for l in calls:
        head, counts = l.split(" counts=", 1)
        f = fields(head)
        c = json.loads(counts)
        n = int(f["deliveries"])
        total = sum(c["calls"].values())
        routes = "; ".join(f"`{k}` {v}" for k, v in sorted(c["calls"].items(), key=lambda kv: -kv[1]))
        if c.get("unknown"):
            routes += "; unknown: " + "; ".join(f"`{k}` {v}" for k, v in c["unknown"].items())
        print(f"| {f['kind']} | {n} | {total} | {total / n:.2f} | {c['mints']} | {routes or '—'} |")
