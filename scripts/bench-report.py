#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench's report: reads the "BENCH {json}" lines of each kernel's
guest run and writes

  - a readable table on stdout,
  - OUTDIR/<kernel>.json (machine-readable, one file per kernel),
  - OUTDIR/pageout.png (x stock per size, with ranges),
    OUTDIR/pageout_split.png (where the time goes) and
    OUTDIR/pte_reclaim.png (cost against its floor) and
    OUTDIR/auto_vmpte.png (VmPTE over time, background mode), with gnuplot,
  - BENCHMARKS.md (the same table, dated, with the kernel versions).

Usage: bench-report.py OUTDIR BENCHMARKS.md KVER RAW.jsonl [KVER RAW.jsonl ...]
       bench-report.py --compare OLD.json NEW.json
         prints the ratios that moved by more than their ranges
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile

TCG_NOTE = ("Times are measured in QEMU TCG guests under -icount (guest "
            "time counts instructions: one instruction is one ns, idle "
            "time skipped; one vCPU): they are not real-hardware times.  "
            "Compare the ratios, each the median of alternating rounds in "
            "one boot per kernel, with its range.")
TARGETS = [
    "module walker no slower than stock on 6.12 (which batches the same way)",
    "module walker clearly ahead of the unbatched baseline and of stock "
    "6.1 on large-folio memory",
    "every pageout ratio resolved to a range no wider than 4%",
    "probe overhead under 3%",
    "VmPTE after pte_reclaim at or under upstream's 240 kB on the "
    "reference workload",
    "PTE-reclaim cost linear in the number of tables",
    "longest fault stall during a 100k-table walk: one batch's time, not "
    "the walk's (lock_hold_tables 512 against 0)",
    "background mode keeps VmPTE near its floor on the PT_RECLAIM "
    "workload within its 1% CPU budget",
    "pte_reclaim at most 1 IPI per 32 freed tables with a thread of the "
    "target on another vCPU, and its time per table with that thread at "
    "most 1.5x that without (2 and 4 vCPUs, plain TCG)",
    "batched unmap no more IPIs per folio than stock reclaim on the same "
    "memory, and at most one flush per PMD table of folios",
    "background mode at 2 vCPUs keeps the PT_RECLAIM workload under 2 MiB "
    "of VmPTE within its 1% budget, 6.1 as 6.12",
]
WIDE_PCT = 4.0		# a ratio's range wider than this is flagged


def load(path):
    """A boot's BENCH lines (.jsonl), or a kernel's kept bench/KVER.json
    (a row of the matrix not rerun this time): (rows, date or None)."""
    if path.endswith(".json"):
        with open(path) as f:
            kept = json.load(f)
        return kept["results"], kept.get("date")
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(with_ratio(json.loads(line)))
    return rows, None


def with_ratio(r):
    """Every compared row carries ratio, ratio_min, ratio_max (and pairs,
    icount): pte_reclaim's is its time over its floor's, the probes' is
    the time with the probes on over off."""
    if r["kind"] == "pte_reclaim" and "x_floor" in r:
        for k in ("", "_min", "_max", "_all"):
            r["ratio" + k] = r["x_floor" + k]
    if r["kind"] == "probes" and "overhead_pct" in r:
        for k in ("", "_min", "_max"):
            r["ratio" + k] = round(1 + r["overhead_pct" + k] / 100, 4)
        r["ratio_all"] = [round(1 + v / 100, 4)
                          for v in r.get("overhead_pct_all", [])]
    return r


def fmt_table(header, rows):
    cells = [header] + [[str(c) for c in r] for r in rows]
    width = [max(len(r[i]) for r in cells) for i in range(len(header))]
    out = []
    for n, r in enumerate(cells):
        out.append("  ".join(c.ljust(width[i]) if i == 0 else
                             c.rjust(width[i]) for i, c in enumerate(r)))
        if n == 0:
            out.append("  ".join("-" * w for w in width))
    return "\n".join(out)


def median(v):
    v = sorted(v)
    n = len(v)
    if not n:
        return 0
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def width_pct(r, key="ratio"):
    """How wide a ratio's range is, in percent of its median."""
    m = r.get(key)
    if not m:
        return 0.0
    return (r[key + "_max"] - r[key + "_min"]) / m * 100


def fmt_ratio(r, key="ratio"):
    if key not in r:
        return "-"
    return "%.3f (%.3f..%.3f)" % (r[key], r[key + "_min"], r[key + "_max"])


def timing(r):
    return "icount" if r.get("icount") else "TCG"


def per_round(a, b):
    """a's time over b's, round by round: median, min, max."""
    v = [x / y for x, y in zip(a["secs_all"], b["secs_all"]) if y]
    return median(v), min(v), max(v)


def pageout_report(release, pageout, lines, targets):
    mib = pageout[0]["mib"]
    table = []
    wide = []
    for r in pageout:
        w = width_pct(r)
        flag = " !" if w > WIDE_PCT else ""
        if r["method"] not in ("stock",) and w > WIDE_PCT:
            wide.append("%s %s (%.1f%%)" % (r["size"], r["method"], w))
        table.append([r["size"], r["method"], "%.4f" % r["secs"],
                      fmt_ratio(r) + flag,
                      "%.2f" % r["x_floor"] if "x_floor" in r else "-",
                      "%.1f" % r["over_floor_ms"] if "over_floor_ms" in r
                      else "-",
                      "%.1f" % r["walk_ms"], "%.1f" % r["unmap_ms"],
                      "%.1f" % r["rest_ms"],
                      "%.2f" % r["unmap_us_per_folio"]
                      if "unmap_us_per_folio" in r else "-",
                      r["pages"], r["folios_whole"], r["splits"],
                      r.get("unmap_batched", "-"), r["bad_pages"],
                      r["error"] or "ok", timing(r)])
    lines.append(
        "pageout of %d MiB per run, %d alternating rounds per size (x stock "
        "= stock time / this time in the same round: above 1 is faster; "
        "median (min..max); ! = range wider than %.0f%%).  floor = the same "
        "bytes written once to a zram device with the same compressor "
        "(O_DIRECT); x floor = this time / floor time; over floor = this "
        "time - floor time.  walk / unmap / rest: ms inside the walk "
        "(madvise or the walker, less reclaim_pages and the batched "
        "unmap), try_to_unmap_one or the walker's batched unmap, and the "
        "rest of reclaim_pages (swap allocation, swap-out, compression, "
        "LRU), medians; unmap us/folio: the unmap time per folio of the "
        "size; batched: folios the walker unmapped itself (unmap batched)"
        % (mib, pageout[0]["pairs"], WIDE_PCT))
    lines.append(fmt_table(["size", "method", "secs", "x stock",
                            "x floor", "over floor ms", "walk ms",
                            "unmap ms", "rest ms", "unmap us/folio",
                            "pages out", "folios whole", "splits",
                            "batched", "bad pages", "result",
                            "timing"], table))
    lines.append("")
    by = {}
    for r in pageout:
        by.setdefault(r["size"], {})[r["method"]] = r
    for size, m in by.items():
        if "module" not in m:
            continue
        mod = m["module"]
        s = "%s, %s: module : stock %s" % (release, size, fmt_ratio(mod))
        if "module_batch1_always" in m:
            s += "; module : unbatched %.3f (%.3f..%.3f)" % per_round(
                m["module_batch1_always"], mod)
        ub = m.get("module_unmap_batched")
        if ub:
            s += "; unmap batched : stock %s" % fmt_ratio(ub)
            st = m["stock"]
            if st.get("unmap_us_per_folio"):
                s += (", its unmap per folio %.2f us vs stock's %.2f us "
                      "(%.2fx), %d folios whole, %d splits" % (
                          ub["unmap_us_per_folio"],
                          st["unmap_us_per_folio"],
                          ub["unmap_us_per_folio"] /
                          st["unmap_us_per_folio"],
                          ub["folios_whole"], ub["splits"]))
        if "over_floor_ms" in mod:
            s += "; over the floor: module %.1f ms, stock %.1f ms" % (
                mod["over_floor_ms"], m["stock"]["over_floor_ms"])
        targets.append(s)
    if wide:
        targets.append("%s: ratios with a range over %.0f%%: %s" %
                       (release, WIDE_PCT, ", ".join(wide)))
    else:
        targets.append("%s: every pageout ratio's range within %.0f%%" %
                       (release, WIDE_PCT))


def probes_report(release, probes, lines, targets):
    table = []
    for r in probes:
        over = r["overhead_pct"]
        table.append([r["size"], "%.3f" % r["off_secs"],
                      "%.3f" % r["on_secs"], "%+.2f%%" % over,
                      "%+.2f%% .. %+.2f%%" % (r["overhead_pct_min"],
                                              r["overhead_pct_max"]),
                      r["bad_pages"], timing(r)])
        targets.append("%s: probe overhead, %s: %+.2f%% median of %d "
                       "pairs (target < 3%%)"
                       % (release, r["size"], over, r["pairs"]))
    lines.append("probe overhead: stock MADV_PAGEOUT of %d MiB, %d pairs "
                 "of runs with probes off and on (order alternating); "
                 "overhead is the median pair's" %
                 (probes[0]["mib"], probes[0]["pairs"]))
    lines.append(fmt_table(["size", "off secs", "on secs", "overhead",
                            "pairs' range", "bad pages", "timing"], table))
    lines.append("")


def trace_report(release, rows, lines, targets):
    """The trace events' cost: off against on, probes on."""
    table = []
    for r in rows:
        table.append([r["path"], r["size"], "%.3f" % r["off_secs"],
                      "%.3f" % r["on_secs"], "%+.2f%%" % r["overhead_pct"],
                      "%+.2f%% .. %+.2f%%" % (r["overhead_pct_min"],
                                              r["overhead_pct_max"]),
                      r["bad_pages"], timing(r)])
        targets.append("%s: trace events on, %s %s: %+.2f%% median of %d "
                       "pairs" % (release, r["path"], r["size"],
                                  r["overhead_pct"], r["pairs"]))
    lines.append("trace events: %d MiB paged out, %d pairs of runs with "
                 "the reclaimlab events off and on (probes on, order "
                 "alternating); with them off the cost is the probes "
                 "row's above" % (rows[0]["mib"], rows[0]["pairs"]))
    lines.append(fmt_table(["path", "size", "off secs", "on secs",
                            "overhead", "range", "bad pages", "timing"],
                           table))
    lines.append("")


def young_report(release, young, lines, targets):
    """Young clearing: each method against the walker's batch, per round."""
    by = {r["method"]: r for r in young}
    base = by.get("module_cold_young_batched")
    if not base:
        return
    table = []
    for r in young:
        rel = per_round(r, base)
        table.append([r["method"], "%.4f" % r["secs"],
                      "%.3f (%.3f..%.3f)" % rel,
                      r["contpte_blocks"] if r["method"] != "stock_madv_cold"
                      else "-",
                      r["young_cleared"] if r["method"] != "stock_madv_cold"
                      else "-", r["bad_pages"], timing(r)])
    per_pte = by.get("module_cold_young_per_pte")
    if per_pte:
        m, lo, hi = per_round(per_pte, base)
        targets.append("%s: young clearing on %s, per PTE : batched = "
                       "%.2f : 1 (%.2f..%.2f), %d contiguous blocks per walk"
                       % (release, base["size"], m, lo, hi,
                          base["contpte_blocks"]))
    lines.append("young clearing: %d MiB of %s, every page made young, then "
                 "young cleared on all of it; %d alternating rounds; time "
                 "relative to the cold walker's batch (young batched: one "
                 "call per contiguous block), round by round"
                 % (base["mib"], base["size"], base["pairs"]))
    lines.append(fmt_table(["method", "median secs", "vs batched",
                            "contpte blocks", "young cleared", "bad pages",
                            "timing"], table))
    lines.append("")


def pte_report(release, pte, lines, targets):
    table = []
    for r in pte:
        table.append([r["tables"], r["empty"], r["freed"],
                      "%.3f" % (r["ns"] / 1e6),
                      "%.3f" % (r["floor_ns"] / 1e6),
                      fmt_ratio(r, "x_floor"),
                      "%.0f" % r["over_floor_ns_per_table"],
                      "%.0f" % (r["ns"] / max(r["freed"], 1)),
                      r["vmpte_before_kb"], r["vmpte_after_kb"],
                      r["bad_pages"], r["error"] or "ok", timing(r)])
    lines.append("pte_reclaim: one page per table touched, 99 of each "
                 "100 tables emptied with MADV_DONTNEED; %d alternating "
                 "rounds against the floor: the same tables each keeping "
                 "one page in its last entry, so the walk only reads them "
                 "(VMA check, lockless scan of 512 entries) and frees "
                 "nothing; over floor = (time - floor) per freed table"
                 % pte[0]["pairs"])
    lines.append(fmt_table(["tables", "empty", "freed", "ms", "floor ms",
                            "x floor", "over floor ns/table", "ns/table",
                            "VmPTE kB before", "after", "bad pages",
                            "result", "timing"], table))
    lines.append("")
    targets.append("%s: pte_reclaim ns per freed table from %d to %d "
                   "tables: %s (linear cost keeps this flat); above the "
                   "floor: %s" %
                   (release, pte[0]["tables"], pte[-1]["tables"],
                    " -> ".join("%.0f" % (r["ns"] / max(r["freed"], 1))
                                for r in pte),
                    " -> ".join("%.0f" % r["over_floor_ns_per_table"]
                                for r in pte)))


def upstream_report(release, r, lines, targets):
    lines.append("side by side with upstream PT_RECLAIM: %d tables holding "
                 "one page each, %d alternating rounds" %
                 (r["tables"], r["pairs"]))
    lines.append(fmt_table(["path", "tables freed", "secs", "kernel : this"],
                           [["kernel: MADV_DONTNEED of each whole 2 MiB",
                             r["kernel_freed"], "%.4f" % r["kernel_secs"],
                             "1"],
                            ["module: MADV_DONTNEED of the page + "
                             "pte_reclaim", r["module_freed"],
                             "%.4f" % r["module_secs"], fmt_ratio(r)]]))
    lines.append("(the module path's MADV_DONTNEED freed %d tables itself; "
                 "pte_reclaim took %.1f ms; %d bad pages; %s; %s)" %
                 (r["module_kernel_freed"], r["module_walk_ns"] / 1e6,
                  r["bad_pages"], r["error"] or "ok", timing(r)))
    lines.append("")
    targets.append("%s: %d tables: the kernel's MADV_DONTNEED of whole 2 MiB "
                   "freed %d, the module freed %d; time kernel / module "
                   "path = %s" % (release, r["tables"], r["kernel_freed"],
                                  r["module_freed"], fmt_ratio(r)))


def stall_report(release, stall, lines, targets):
    """The longest fault stall during a walk, lock given up or not."""
    table = []
    by = {}
    for r in stall:
        by[(r["walker"], r["hold_tables"])] = r
        table.append([r["walker"], r["tables"], r["hold_tables"],
                      "%.1f (%.1f..%.1f)" % (r["stall_ms"], r["stall_ms_min"],
                                             r["stall_ms_max"]),
                      "%.1f" % r["walk_ms"], "%.0f" % r["breaks"],
                      timing(r)])
    lines.append("longest stall of a faulting thread of the target while a "
                 "walk runs (another thread maps and unmaps every ms); "
                 "lock_hold_tables 0 keeps the mmap lock for the whole "
                 "walk (as before #16), 512 gives it up every 512 tables "
                 "and when someone waits; %d alternating rounds, medians"
                 % stall[0]["rounds"])
    lines.append(fmt_table(["walker", "tables", "lock_hold_tables",
                            "stall ms", "walk ms", "lock breaks", "timing"],
                           table))
    lines.append("")
    for walker in ("pte_reclaim", "cold"):
        before, after = by.get((walker, 0)), by.get((walker, 512))
        if before and after:
            targets.append("%s: %s over %d tables: longest fault stall "
                           "%.1f ms with the lock held all through, %.1f ms "
                           "with lock_hold_tables 512 (walk %.0f -> %.0f ms)"
                           % (release, walker, before["tables"],
                              before["stall_ms"], after["stall_ms"],
                              before["walk_ms"], after["walk_ms"]))


def auto_report(release, auto, lines, targets):
    """The PT_RECLAIM workload's VmPTE without and with the background
    mode."""
    table = []
    for r in auto:
        table.append([r["mode"], r["interval_ms"], r["steps"],
                      "%.1f" % r["workload_secs"], r["vmpte_max_kb"],
                      r["vmpte_end_kb"], r["tables_freed"], r["rounds"],
                      r["budget_exhausted"],
                      "%.3f%%" % (100 * r["cpu_share"]), timing(r)])
    lines.append("background mode on upstream PT_RECLAIM's workload "
                 "(populate 2 MiB, MADV_DONTNEED it; %d steps over fresh "
                 "address space, then %s s idle), VmPTE sampled every "
                 "second (bench/auto_vmpte.png); 'off' is the kernel alone "
                 "(7.x: its own PT_RECLAIM); CPU share = the thread's busy "
                 "ns / elapsed, budget 1%%" % (auto[0]["steps"], "3"))
    lines.append(fmt_table(["mode", "interval ms", "steps", "workload s",
                            "VmPTE max kB", "VmPTE end kB", "tables freed",
                            "rounds", "budget exhausted", "CPU share",
                            "timing"], table))
    lines.append("")
    by = {r["mode"]: r for r in auto}
    if "off" in by and "auto" in by:
        targets.append("%s: PT_RECLAIM workload VmPTE at the end: %d kB "
                       "alone, %d kB with the background mode (max %d), "
                       "its CPU share %.3f%%"
                       % (release, by["off"]["vmpte_end_kb"],
                          by["auto"]["vmpte_end_kb"],
                          by["auto"]["vmpte_max_kb"],
                          100 * by["auto"]["cpu_share"]))


def smp_tables_report(release, rows, lines, targets):
    """What pte_reclaim costs other CPUs: IPIs, flushes and syncs per
    freed table, by vCPU count, pt_batch and spinner."""
    table = []
    by = {}
    for r in sorted(rows, key=lambda r: (r["cpus"], r["pt_batch"],
                                         r["spinner"])):
        by[(r["cpus"], r["pt_batch"], r["spinner"])] = r
        table.append([r["cpus"], r["pt_batch"],
                      "yes" if r["spinner"] else "no",
                      "%.3f (%.3f..%.3f)" % (r["ipis_per_table"],
                                             r["ipis_per_table_min"],
                                             r["ipis_per_table_max"]),
                      "%.4f" % r["flushes_per_table"],
                      "%.4f" % r["syncs_per_table"],
                      "%.0f (%.0f..%.0f)" % (r["ns_per_table"],
                                             r["ns_per_table_min"],
                                             r["ns_per_table_max"]),
                      timing(r)])
    lines.append("pte_reclaim's cost to other CPUs: %d empty tables, %d "
                 "alternating rounds, medians (ranges); IPIs = function-call "
                 "IPIs all CPUs took around the walk, per freed table (x86 "
                 "CAL, arm64 IPI1; arm64 flushes are broadcast TLBIs, "
                 "counted as flushes); spinner = a thread of the target "
                 "busy on the last vCPU; plain TCG (never -icount): take "
                 "counts and ratios, not the ns"
                 % (rows[0]["tables"], rows[0]["rounds"]))
    lines.append(fmt_table(["vCPUs", "pt_batch", "spinner", "IPIs/table",
                            "flushes/table", "syncs/table", "ns/table",
                            "timing"], table))
    lines.append("")
    for cpus in sorted({r["cpus"] for r in rows}):
        one = by.get((cpus, 1, True))
        if not one:
            continue
        parts = []
        for batch in (64, 512):
            spun, alone = by.get((cpus, batch, True)), \
                by.get((cpus, batch, False))
            if not (spun and alone and alone["ns_per_table"]):
                continue
            parts.append("%.4f with %d (time with the spinner %.2fx that "
                         "without)" % (spun["ipis_per_table"], batch,
                                       spun["ns_per_table"] /
                                       alone["ns_per_table"]))
        targets.append("%s, %d vCPUs, spinner: pte_reclaim IPIs per freed "
                       "table %.3f with pt_batch 1, %s (targets: <= 1/32 = "
                       "0.031 IPIs, <= 1.5x)"
                       % (release, cpus, one["ipis_per_table"],
                          ", ".join(parts)))


def smp_unmap_report(release, rows, lines, targets):
    """IPIs per folio: the batched unmap against stock MADV_PAGEOUT."""
    table = []
    by = {}
    for r in sorted(rows, key=lambda r: (r["cpus"], r["spinner"],
                                         r["method"])):
        by[(r["cpus"], r["method"], r["spinner"])] = r
        table.append([r["cpus"], r["method"],
                      "yes" if r["spinner"] else "no",
                      "%.3f (%.3f..%.3f)" % (r["ipis_per_folio"],
                                             r["ipis_per_folio_min"],
                                             r["ipis_per_folio_max"]),
                      "%.4f" % r["flushes_per_folio"]
                      if "flushes_per_folio" in r else "-",
                      "%.3f (%.3f..%.3f)" % (r["secs"], r["secs_min"],
                                             r["secs_max"]),
                      timing(r)])
    lines.append("pageout of %d MiB of %s with the batched unmap against "
                 "stock MADV_PAGEOUT, %d alternating rounds, medians "
                 "(ranges); IPIs per folio as above; flushes = the batched "
                 "unmap's own (unmap_flushes)"
                 % (rows[0]["mib"], rows[0]["size"], rows[0]["rounds"]))
    lines.append(fmt_table(["vCPUs", "method", "spinner", "IPIs/folio",
                            "flushes/folio", "s", "timing"], table))
    lines.append("")
    for cpus in sorted({r["cpus"] for r in rows}):
        stock = by.get((cpus, "stock", True))
        ours = by.get((cpus, "unmap_batched", True))
        if stock and ours and stock["secs"]:
            targets.append("%s, %d vCPUs, spinner: batched unmap %.4f IPIs "
                           "and %.4f flushes per folio against stock's %.4f "
                           "IPIs (target: no more than stock); time %.2fx "
                           "stock's" % (release, cpus,
                                        ours["ipis_per_folio"],
                                        ours.get("flushes_per_folio", 0),
                                        stock["ipis_per_folio"],
                                        ours["secs"] / stock["secs"]))


def smp_background_report(release, rows, lines, targets):
    """The background mode on the PT_RECLAIM workload, several vCPUs."""
    table = [[r["cpus"], r["pt_batch"], r["steps"],
              "%.1f" % r["workload_secs"], r["vmpte_end_kb"],
              r["tables_freed"], "%.3f%%" % (100 * r["cpu_share"]),
              timing(r)] for r in rows]
    lines.append("background mode (interval 200 ms, budget 1%%) on "
                 "upstream PT_RECLAIM's workload with a thread of the "
                 "target spinning on another vCPU, %d steps, then 2 s "
                 "idle" % rows[0]["steps"])
    lines.append(fmt_table(["vCPUs", "pt_batch", "steps", "workload s",
                            "VmPTE end kB", "tables freed", "CPU share",
                            "timing"], table))
    lines.append("")
    for r in rows:
        targets.append("%s, %d vCPUs, spinner, pt_batch %d: background "
                       "mode left VmPTE at %d kB (target < 2048) at a "
                       "%.3f%% CPU share"
                       % (release, r["cpus"], r["pt_batch"],
                          r["vmpte_end_kb"], 100 * r["cpu_share"]))


def kernel_report(kver, rows, targets):
    lines = []
    by = {}
    for r in rows:
        by.setdefault(r["kind"], []).append(r)
    release = by.get("kernel", [{"release": kver}])[0]["release"]
    lines.append("Kernel %s" % release)
    lines.append("")
    if by.get("pageout"):
        pageout_report(release, by["pageout"], lines, targets)
    if by.get("probes"):
        probes_report(release, by["probes"], lines, targets)
    if by.get("trace_events"):
        trace_report(release, by["trace_events"], lines, targets)
    if by.get("young"):
        young_report(release, by["young"], lines, targets)
    if by.get("pte_reclaim"):
        pte_report(release, by["pte_reclaim"], lines, targets)
    for r in by.get("upstream", []):
        upstream_report(release, r, lines, targets)
    if by.get("stall"):
        stall_report(release, by["stall"], lines, targets)
    if by.get("auto"):
        auto_report(release, by["auto"], lines, targets)
    if by.get("smp_tables"):
        smp_tables_report(release, by["smp_tables"], lines, targets)
    if by.get("smp_unmap"):
        smp_unmap_report(release, by["smp_unmap"], lines, targets)
    if by.get("smp_background"):
        smp_background_report(release, by["smp_background"], lines,
                              targets)
    cov = by.get("coverage", [])
    if cov:
        lines.append("who frees the emptied tables (%d per case)" %
                     cov[0]["tables"])
        lines.append(fmt_table(["how the tables were emptied", "kernel",
                                "module after", "kept (vma)", "bad pages",
                                "result"],
                               [[r["case"], r["kernel_freed"],
                                 r["module_freed"], r["module_kept_vma"],
                                 r["bad_pages"], r["error"] or "ok"]
                                for r in cov]))
        lines.append("")
    for r in by.get("reference", []):
        lines.append("reference workload (upstream PT_RECLAIM's): mmap 50 "
                     "GiB, %d x (populate 2 MiB, MADV_DONTNEED 2 MiB); "
                     "%.1f s in the guest (%s: its figure is VmPTE, not a "
                     "time)" % (r["steps"], r["workload_secs"], timing(r)))
        lines.append(fmt_table(["VmPTE", "kB"], [
            ["at the start", r["vmpte_start_kb"]],
            ["after the workload (this kernel)", r["vmpte_kernel_kb"]],
            ["after reclaimlab pte_reclaim", r["vmpte_module_kb"]],
            ["upstream 6.14, PT_RECLAIM (published)", r["upstream_with_kb"]],
            ["upstream 6.14, without (published)", r["upstream_without_kb"]],
        ]))
        lines.append("pte_reclaim freed %d tables in %.1f ms; %d bad pages; %s"
                     % (r["freed"], r["ns"] / 1e6, r["bad_pages"],
                        r["error"] or "ok"))
        lines.append("")
        targets.append("%s: reference VmPTE after pte_reclaim %d kB "
                       "(upstream with PT_RECLAIM: 240 kB)" %
                       (release, r["vmpte_module_kb"]))
    return "\n".join(lines)


def short(kver):
    return kver.split("-")[0].split("+")[0]


def gnuplot(script):
    subprocess.run(["gnuplot"], input=script.encode(), check=True)


def charts(outdir, kernels):
    # gnuplot's data files are scratch, not results
    with tempfile.TemporaryDirectory() as tmp:
        draw_pageout(outdir, tmp, kernels)
        draw_split(outdir, tmp, kernels)
        draw_pte(outdir, tmp, kernels)
        draw_auto(outdir, tmp, kernels)


def draw_pageout(outdir, tmp, kernels):
    # one bar group per (kernel, size), one bar per method, error bars
    methods = ["module", "module_unmap_batched", "module_batch1_always",
               "damos", "floor"]
    dat = os.path.join(tmp, "pageout.dat")
    with open(dat, "w") as f:
        for kver, rows in kernels:
            by = {}
            for r in rows:
                if r["kind"] == "pageout":
                    by.setdefault(r["size"], {})[r["method"]] = r
            for size, m in by.items():
                cols = []
                for x in methods:
                    r = m.get(x)
                    cols += (["%.4f %.4f %.4f" % (r["ratio"], r["ratio_min"],
                                                   r["ratio_max"])]
                             if r else ["NaN NaN NaN"])
                f.write('"%s %s" %s\n' % (short(kver), size, " ".join(cols)))
    plots = ["'%s' using %d:%d:%d%s title '%s'" %
             (dat, 2 + 3 * i, 3 + 3 * i, 4 + 3 * i,
              ":xtic(1)" if i == 0 else "", x.replace("_", " "))
             for i, x in enumerate(methods)]
    gnuplot("""set terminal pngcairo size 1500,700 noenhanced
set output '%s'
set title 'pageout: x stock (stock time / method time, same round; above 1 is faster), median with range'
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid border -1
set key outside right top
set yrange [0.5:*]
set ylabel 'x stock (axis from 0.5)'
set bmargin 10
set xtics rotate by -45
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 front
plot %s
""" % (os.path.join(outdir, "pageout.png"), ", ".join(plots)))


def draw_split(outdir, tmp, kernels):
    # stacked bars: walk, unmap, rest of reclaim, for stock and module
    dat = os.path.join(tmp, "split.dat")
    with open(dat, "w") as f:
        f.write("case walk unmap rest\n")
        for kver, rows in kernels:
            for r in rows:
                if r["kind"] == "pageout" and r["method"] in (
                        "stock", "module", "module_unmap_batched"):
                    f.write('"%s %s %s" %.2f %.2f %.2f\n' %
                            (short(kver), r["size"], r["method"],
                             r["walk_ms"], r["unmap_ms"], r["rest_ms"]))
    gnuplot("""set terminal pngcairo size 1600,700 noenhanced
set output '%s'
set title 'where pageout time goes (ms, medians): walk, unmap (try_to_unmap_one, or the walker batched), rest of reclaim_pages'
set style data histogram
set style histogram rowstacked
set style fill solid border -1
set boxwidth 0.8
set key outside right top autotitle columnhead
set ylabel 'ms'
set bmargin 12
set xtics rotate by -60 font ',8'
plot '%s' using 2:xtic(1), '' using 3, '' using 4
""" % (os.path.join(outdir, "pageout_split.png"), dat))


def draw_pte(outdir, tmp, kernels):
    dat = os.path.join(tmp, "pte_reclaim.dat")
    plots = []
    idx = 0
    with open(dat, "w") as f:
        for kver, rows in kernels:
            pte = [r for r in rows if r["kind"] == "pte_reclaim"]
            if not pte:
                continue
            f.write("# %s\n" % kver)
            for r in pte:
                f.write("%d %.3f %.3f %.3f %.3f\n" %
                        (r["tables"], r["ns"] / 1e6,
                         r["ns_min"] / 1e6, r["ns_max"] / 1e6,
                         r["floor_ns"] / 1e6))
            f.write("\n\n")
            plots.append("'%s' index %d using 1:2:3:4 with yerrorlines "
                         "lw 2 title '%s pte_reclaim'" % (dat, idx,
                                                          short(kver)))
            plots.append("'%s' index %d using 1:5 with linespoints dt 2 "
                         "title '%s floor (reading the tables)'" %
                         (dat, idx, short(kver)))
            idx += 1
    gnuplot("""set terminal pngcairo size 1100,650 noenhanced
set output '%s'
set title 'pte_reclaim cost against tables, and its floor (instruction-counted ms)'
set logscale xy
set xrange [500:200000]
set xlabel 'tables'
set ylabel 'ms'
set key below
plot %s
""" % (os.path.join(outdir, "pte_reclaim.png"), ", ".join(plots)))


def draw_auto(outdir, tmp, kernels):
    """VmPTE over time on the PT_RECLAIM workload, per kernel and mode."""
    dat = os.path.join(tmp, "auto.dat")
    plots = []
    idx = 0
    with open(dat, "w") as f:
        for kver, rows in kernels:
            for r in rows:
                if r["kind"] != "auto" or not r.get("samples"):
                    continue
                f.write("# %s %s\n" % (kver, r["mode"]))
                for t, kb in r["samples"]:
                    f.write("%.1f %d\n" % (t, kb))
                f.write("\n\n")
                name = short(kver) + (" arm64" if "arm64" in kver else "")
                if r["mode"] == "auto":
                    title = "%s, background mode (%d ms, 1%%)" % (
                        name, r["interval_ms"])
                elif name.startswith("7."):
                    title = "%s alone (upstream PT_RECLAIM)" % name
                else:
                    title = "%s stock" % name
                plots.append("'%s' index %d using 1:2 with lines lw 2 "
                             "%s title '%s'" % (
                                 dat, idx,
                                 "dt 2" if r["mode"] == "off" else "",
                                 title))
                idx += 1
    if not plots:
        return
    gnuplot("""set terminal pngcairo size 1100,650 noenhanced
set output '%s'
set title 'VmPTE over time on the PT_RECLAIM workload (instruction-counted s)'
set xlabel 's'
set ylabel 'VmPTE kB'
set key below
plot %s
""" % (os.path.join(outdir, "auto_vmpte.png"), ", ".join(plots)))


def ratio_fields(row):
    """The (name, median, min, max) of every compared ratio in a row."""
    out = []
    for k in row:
        if (k + "_min") in row and (k + "_max") in row and \
                not isinstance(row[k], list):
            out.append((k, row[k], row[k + "_min"], row[k + "_max"]))
    return out


def row_key(r):
    return (r.get("kind"), r.get("size"), r.get("method"), r.get("tables"),
            r.get("path"),
            r.get("walker"), r.get("hold_tables"), r.get("mode"),
            r.get("cpus"), r.get("pt_batch"), r.get("spinner"))


def compare(old_path, new_path):
    with open(old_path) as f:
        old = {row_key(r): r for r in json.load(f)["results"]}
    with open(new_path) as f:
        new = json.load(f)["results"]
    moved = 0
    for r in new:
        o = old.get(row_key(r))
        if not o:
            continue
        ofields = {k: (m, lo, hi) for k, m, lo, hi in ratio_fields(o)}
        for k, m, lo, hi in ratio_fields(r):
            if k not in ofields:
                continue
            om, olo, ohi = ofields[k]
            # moved: each median outside the other's range
            if (m < olo or m > ohi) and (om < lo or om > hi):
                moved += 1
                print("%-40s %-16s %.4f (%.4f..%.4f) -> %.4f (%.4f..%.4f)" %
                      (" ".join(str(x) for x in row_key(r) if x is not None),
                       k, om, olo, ohi, m, lo, hi))
    print("%d ratios moved by more than their ranges" % moved)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--compare":
        compare(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) < 5 or len(sys.argv) % 2 == 0:
        sys.exit(__doc__)
    outdir, md = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    date = datetime.date.today().isoformat()
    kernels = []
    kept_kvers = set()
    for i in range(0, len(args), 2):
        rows, kept = load(args[i + 1])
        kernels.append((args[i], rows, kept or date))
        if kept:
            kept_kvers.add(args[i])
    targets = []
    parts = []
    for k, rows, day in kernels:
        part = kernel_report(k, rows, targets)
        if k in kept_kvers:
            part = part.replace("\n", "\n(measured on %s, kept: this run did "
                                "not boot it)\n" % day, 1)
        parts.append(part)
    for kver, rows, day in kernels:
        with open(os.path.join(outdir, kver + ".json"), "w") as f:
            json.dump({"kernel": kver, "date": day, "note": TCG_NOTE,
                       "results": rows}, f, indent=1)
    report = "\n".join(parts)
    summary = "\n".join("- " + t for t in targets)
    print("reclaimlab benchmark, %s" % date)
    print(TCG_NOTE)
    print()
    print(report)
    print("Against the targets (reported, not judged):")
    print(summary)
    try:
        charts(outdir, [(k, rows) for k, rows, _ in kernels])
        chart_note = ("Charts: [pageout x stock](bench/pageout.png), "
                      "[where the time goes](bench/pageout_split.png), "
                      "[pte_reclaim cost and floor](bench/pte_reclaim.png), "
                      "[VmPTE over time, background mode]"
                      "(bench/auto_vmpte.png).")
    except (OSError, subprocess.CalledProcessError) as e:
        chart_note = "Charts: not drawn (%s)." % e
        print(chart_note)
    with open(md, "w") as f:
        f.write("# Benchmarks\n\n")
        f.write("Generated by `make bench` on %s (do not edit by hand) for "
                "%s.\n\n" % (date, ", ".join(k for k, _, _ in kernels)))
        f.write(TCG_NOTE + "\n\n")
        f.write("Targets to report against (not pass/fail):\n\n")
        f.write("\n".join("- " + t for t in TARGETS) + "\n\n")
        f.write("Measured:\n\n" + summary + "\n\n")
        f.write(chart_note + " Machine-readable: bench/<kernel>.json; "
                "compare two runs with `scripts/bench-report.py --compare "
                "OLD.json NEW.json`.\n\n")
        f.write("```\n" + report + "\n```\n")


if __name__ == "__main__":
    main()
