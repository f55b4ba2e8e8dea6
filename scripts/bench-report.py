#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench's report: reads the "BENCH {json}" lines of each kernel's
guest run and writes

  - a readable table on stdout,
  - OUTDIR/<kernel>.json (machine-readable, one file per kernel),
  - OUTDIR/pageout.png and OUTDIR/pte_reclaim.png (gnuplot),
  - BENCHMARKS.md (the same table, dated, with the kernel versions).

Usage: bench-report.py OUTDIR BENCHMARKS.md KVER RAW.jsonl [KVER RAW.jsonl ...]
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile

TCG_NOTE = ("Times are measured in QEMU TCG guests (emulated CPUs, "
            "-accel tcg,thread=single, 2 vCPUs): they are not real-hardware "
            "times.  Compare the ratios, all measured side by side in one "
            "boot per kernel.")
TARGETS = [
    "module walker no slower than stock on 6.12 (which batches the same way)",
    "module walker clearly ahead of the unbatched baseline and of stock "
    "6.1 on large-folio memory",
    "probe overhead under 3%",
    "VmPTE after pte_reclaim at or under upstream's 240 kB on the "
    "reference workload",
    "PTE-reclaim cost linear in the number of tables",
]


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


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


def ratio(a, b):
    return "%.2f" % (a / b) if a and b else "-"


def kernel_report(kver, rows, targets):
    lines = []
    by = {}
    for r in rows:
        by.setdefault(r["kind"], []).append(r)
    release = by.get("kernel", [{"release": kver}])[0]["release"]
    lines.append("Kernel %s" % release)
    lines.append("")

    pageout = by.get("pageout", [])
    if pageout:
        mib = pageout[0]["mib"]
        stock = {r["size"]: r["secs"] for r in pageout
                 if r["method"] == "stock"}
        table = []
        for r in pageout:
            table.append([r["size"], r["method"], "%.3f" % r["secs"],
                          ratio(stock.get(r["size"]), r["secs"]),
                          r["pages"], r["folios_whole"], r["splits"],
                          r["bad_pages"], r["error"] or "ok"])
        lines.append("pageout of %d MiB per run (x stock = stock time / "
                     "this time: above 1 is faster than stock)" % mib)
        lines.append(fmt_table(["size", "method", "secs", "x stock",
                                "pages out", "folios whole", "splits",
                                "bad pages", "result"], table))
        lines.append("")
        large = [r for r in pageout if r["kb"] > 4]
        mod = [r for r in large if r["method"] == "module"]
        unb = {r["size"]: r["secs"] for r in large
               if r["method"] == "module_batch1_always"}
        if mod:
            vs_stock = [stock[r["size"]] / r["secs"] for r in mod]
            vs_unb = [unb[r["size"]] / r["secs"] for r in mod
                      if r["size"] in unb]
            targets.append("%s: module vs stock on large folios: %.2f-%.2fx "
                           "(stock time / module time); vs the unbatched "
                           "baseline: %.2f-%.2fx" %
                           (release, min(vs_stock), max(vs_stock),
                            min(vs_unb), max(vs_unb)))

    probes = by.get("probes", [])
    if probes:
        table = []
        for r in probes:
            over = r["overhead_pct"]
            table.append([r["size"], "%.3f" % r["off_secs"],
                          "%.3f" % r["on_secs"], "%+.1f%%" % over,
                          "%+.1f%% .. %+.1f%%" % (r["overhead_min_pct"],
                                                  r["overhead_max_pct"]),
                          r["bad_pages"]])
            targets.append("%s: probe overhead, %s: %+.1f%% median of %d "
                           "pairs (target < 3%%)"
                           % (release, r["size"], over, r["runs"]))
        lines.append("probe overhead: stock MADV_PAGEOUT of %d MiB, %d pairs "
                     "of runs with probes off and on (order alternating), "
                     "in a boot of its own under QEMU -icount (guest time "
                     "counts instructions); overhead is the median pair's" %
                     (probes[0]["mib"], probes[0]["runs"]))
        lines.append(fmt_table(["size", "off secs", "on secs", "overhead",
                                "pairs' range", "bad pages"], table))
        lines.append("")

    pte = by.get("pte_reclaim", [])
    if pte:
        table = []
        for r in pte:
            table.append([r["tables"], r["empty"], r["freed"],
                          r["bytes_freed"], "%.0f" % (r["ns"] / max(r["freed"], 1)),
                          "%.3f" % (r["ns"] / 1e6), r["vmpte_before_kb"],
                          r["vmpte_after_kb"], r["bad_pages"],
                          r["error"] or "ok"])
        lines.append("pte_reclaim: one page per table touched, 99 of each "
                     "100 tables emptied with MADV_DONTNEED")
        lines.append(fmt_table(["tables", "empty", "freed", "bytes freed",
                                "ns/table", "ms", "VmPTE kB before",
                                "after", "bad pages", "result"], table))
        lines.append("")
        per = [r["ns"] / max(r["freed"], 1) for r in pte]
        targets.append("%s: pte_reclaim ns per freed table from %d to %d "
                       "tables: %s (linear cost keeps this flat)" %
                       (release, pte[0]["tables"], pte[-1]["tables"],
                        " -> ".join("%.0f" % p for p in per)))

    for r in by.get("upstream", []):
        lines.append("side by side with upstream PT_RECLAIM: %d tables holding "
                     "one page each" % r["tables"])
        lines.append(fmt_table(["path", "tables freed", "secs", "x kernel"], [
            ["kernel: MADV_DONTNEED of each whole 2 MiB", r["kernel_freed"],
             "%.3f" % r["kernel_secs"], "1.00"],
            ["module: MADV_DONTNEED of the page + pte_reclaim",
             r["module_freed"], "%.3f" % r["module_secs"],
             ratio(r["kernel_secs"], r["module_secs"])],
        ]))
        lines.append("(the module path's MADV_DONTNEED freed %d tables itself; "
                     "pte_reclaim took %.1f ms; %d bad pages; %s)" %
                     (r["module_kernel_freed"], r["module_walk_ns"] / 1e6,
                      r["bad_pages"], r["error"] or "ok"))
        lines.append("")
        targets.append("%s: %d tables: the kernel's MADV_DONTNEED of whole 2 MiB "
                       "freed %d, the module freed %d; time kernel / module "
                       "path = %s" % (release, r["tables"], r["kernel_freed"],
                                      r["module_freed"],
                                      ratio(r["kernel_secs"],
                                            r["module_secs"])))
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

    ref = by.get("reference", [])
    for r in ref:
        lines.append("reference workload (upstream PT_RECLAIM's): mmap 50 "
                     "GiB, %d x (populate 2 MiB, MADV_DONTNEED 2 MiB); "
                     "%.1f s in the guest" % (r["steps"], r["workload_secs"]))
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


def gnuplot(script):
    subprocess.run(["gnuplot"], input=script.encode(), check=True)


def charts(outdir, kernels):
    # gnuplot's data files are scratch, not results
    with tempfile.TemporaryDirectory() as tmp:
        draw(outdir, tmp, kernels)


def draw(outdir, tmp, kernels):
    # pageout: one bar group per (kernel, size), one bar per method
    methods = ["stock", "module", "module_batch1_always", "damos"]
    dat = os.path.join(tmp, "pageout.dat")
    with open(dat, "w") as f:
        f.write("case " + " ".join(methods) + "\n")
        for kver, rows in kernels:
            secs = {}
            for r in rows:
                if r["kind"] == "pageout":
                    secs.setdefault(r["size"], {})[r["method"]] = r["secs"]
            for size, m in secs.items():
                label = '"%s %s"' % (kver.split("-")[0].split("+")[0], size)
                f.write(label + " " + " ".join(
                    "%.4f" % m[x] if x in m else "NaN" for x in methods)
                    + "\n")
    gnuplot("""set terminal pngcairo size 1400,650 noenhanced
set bmargin 9
set yrange [0:*]
set output '%s'
set title 'pageout time per run (TCG-emulated seconds: compare bars, not values)'
set style data histogram
set style histogram clustered gap 1
set style fill solid border -1
set key top left autotitle columnhead
set ylabel 'seconds'
set xtics rotate by -45
plot '%s' using 2:xtic(1), '' using 3, '' using 4, '' using 5
""" % (os.path.join(outdir, "pageout.png"), dat))

    dat = os.path.join(tmp, "pte_reclaim.dat")
    plots = []
    with open(dat, "w") as f:
        for i, (kver, rows) in enumerate(kernels):
            f.write("# %s\n" % kver)
            for r in rows:
                if r["kind"] == "pte_reclaim":
                    f.write("%d %.3f\n" % (r["freed"], r["ns"] / 1e6))
            f.write("\n\n")
            plots.append("'%s' index %d using 1:2 with linespoints title '%s'"
                         % (dat, i, kver))
    gnuplot("""set terminal pngcairo size 900,600 noenhanced
set output '%s'
set title 'pte_reclaim cost against tables freed (TCG-emulated ms)'
set logscale xy
set xlabel 'tables freed'
set ylabel 'ms'
set key top left
plot %s
""" % (os.path.join(outdir, "pte_reclaim.png"), ", ".join(plots)))


def main():
    if len(sys.argv) < 5 or len(sys.argv) % 2 == 0:
        sys.exit(__doc__)
    outdir, md = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    kernels = [(args[i], load(args[i + 1])) for i in range(0, len(args), 2)]
    date = datetime.date.today().isoformat()
    targets = []
    parts = [kernel_report(k, rows, targets) for k, rows in kernels]
    for kver, rows in kernels:
        with open(os.path.join(outdir, kver + ".json"), "w") as f:
            json.dump({"kernel": kver, "date": date, "note": TCG_NOTE,
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
        charts(outdir, kernels)
        chart_note = ("Charts: [pageout times](bench/pageout.png), "
                      "[pte_reclaim cost](bench/pte_reclaim.png).")
    except (OSError, subprocess.CalledProcessError) as e:
        chart_note = "Charts: not drawn (%s)." % e
        print(chart_note)
    with open(md, "w") as f:
        f.write("# Benchmarks\n\n")
        f.write("Generated by `make bench` on %s (do not edit by hand) for "
                "%s.\n\n" % (date, ", ".join(k for k, _ in kernels)))
        f.write(TCG_NOTE + "\n\n")
        f.write("Targets to report against (not pass/fail):\n\n")
        f.write("\n".join("- " + t for t in TARGETS) + "\n\n")
        f.write("Measured:\n\n" + summary + "\n\n")
        f.write(chart_note + " Machine-readable: bench/<kernel>.json.\n\n")
        f.write("```\n" + report + "\n```\n")


if __name__ == "__main__":
    main()
