// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, the server side of pte_reclaim (issue 16), after
 * bench_reclaim in the same boot; "BENCH {json}" lines for
 * scripts/bench-report.py.
 *
 *   stall  the longest stall a faulting thread of the target sees while
 *          a walk runs, with the mmap lock held all through
 *          (lock_hold_tables 0, the walk before #16) and given up every
 *          512 tables: pte_reclaim over 100k empty tables, the cold
 *          walker over 16k PMDs; alternating rounds;
 *   auto   upstream PT_RECLAIM's workload (populate 2 MiB, MADV_DONTNEED
 *          it, over fresh address space), scaled to 4096 steps, with
 *          VmPTE sampled every second: without the module's help (stock
 *          6.1/6.12; on 7.x the kernel's own PT_RECLAIM) and with the
 *          background mode on (auto_interval_ms 200, auto_budget_pct 1);
 *          the background thread's share of the time from its counters.
 * Usage: bench_servers [group]
 */
#include "walker_lib.h"
#include "bench_stats.h"

#define STALL_TABLES 102400UL
#define STALL_COLD_PMDS 16384UL
#define STALL_ROUNDS 3
#define AUTO_STEPS 4096UL
#define AUTO_INTERVAL_MS "200"
#define AUTO_SAMPLES 600
#define AUTO_IDLE_SECS 3.0

static int icount;

struct stall_result {
	struct series stall_ms, walk_ms, breaks;
	long long freed;
};

/* One walk of [p, p + len) under faults and mmaps; adds to @res. */
static void stall_walk(const char *walker, char *p, size_t len,
		       const char *hold_tables, struct stall_result *res)
{
	struct hold_load h;
	struct run r;

	knob_write("lock_hold_tables", hold_tables);
	hold_start(&h, 1000);
	walk(0, p, len, walker, PARTIAL, 512, &r);
	hold_stop(&h);
	knob_write("lock_hold_tables", "512");
	series_add(&res->stall_ms, h.longest * 1e3);
	series_add(&res->walk_ms, r.elapsed_ns / 1e6);
	if (!strcmp(walker, "pte_reclaim")) {
		series_add(&res->breaks, r.c.v[RL_C_pte_reclaim_lock_drops]);
		res->freed += r.c.v[RL_C_pte_reclaim_tables_freed];
	} else {
		series_add(&res->breaks, r.c.v[RL_C_walk_lock_drops]);
	}
}

/* Makes @tables PTE tables with one page each; empties them if @empty. */
static void stall_fill(char *p, size_t tables, int empty)
{
	size_t i;

	for (i = 0; i < tables; i++)
		p[i * PMD_SZ] = (char)(i | 1);
	if (empty)
		for (i = 0; i < tables; i++)
			madvise(p + i * PMD_SZ, PAGE_SZ, MADV_DONTNEED);
}

static void stall_report(const char *walker, size_t tables,
			 const char *hold_tables, const struct stall_result *s)
{
	printf("BENCH {\"kind\": \"stall\", \"walker\": \"%s\", \"tables\": %zu, \"hold_tables\": %s, \"rounds\": %d, \"icount\": %s",
	       walker, tables, hold_tables, s->stall_ms.n,
	       icount ? "true" : "false");
	json_series("stall_ms", "%.2f", &s->stall_ms);
	json_series("walk_ms", "%.2f", &s->walk_ms);
	json_series("breaks", "%.0f", &s->breaks);
	printf(", \"freed\": %lld}\n", s->freed);
}

static void bench_stall_walker(const char *walker, size_t tables)
{
	static const char *const holds[2] = { "0", "512" };
	int pte = !strcmp(walker, "pte_reclaim");
	char *p = map_sparse(tables * PMD_SZ);
	struct stall_result res[2] = { 0 };
	int round, k, i;

	if (!pte)
		stall_fill(p, tables, 0);
	for (round = 0; round < STALL_ROUNDS; round++) {
		for (k = 0; k < 2; k++) {
			i = (round + k) % 2;	/* alternate which goes first */
			if (pte)
				stall_fill(p, tables, 1);
			stall_walk(walker, p, tables * PMD_SZ, holds[i],
				   &res[i]);
		}
	}
	for (i = 0; i < 2; i++)
		stall_report(walker, tables, holds[i], &res[i]);
	tap(!pte || (res[0].freed == (long long)(tables * STALL_ROUNDS) &&
		     res[1].freed == (long long)(tables * STALL_ROUNDS)),
	    "bench stall %s: every table freed in every round (%lld, %lld)",
	    walker, res[0].freed, res[1].freed);
	diag("bench stall %s, %zu tables: longest fault stall %.1f ms with the lock held all through, %.1f ms with lock_hold_tables 512",
	     walker, tables, series_median(&res[0].stall_ms),
	     series_median(&res[1].stall_ms));
	munmap(p, tables * PMD_SZ);
}

static long long stat_of(const char *name)
{
	return field_in(RL_DIR "stats", name);
}

/*
 * The PT_RECLAIM workload with VmPTE sampled every second, then
 * AUTO_IDLE_SECS idle; with the background mode on if @on.
 */
static void auto_curve(int on)
{
	char *p = map_sparse(AUTO_STEPS * PMD_SZ);
	long long ns0, freed0, rounds0, exh0, kb, max_kb = 0;
	double t0, next, t, secs = 0;
	static double st[AUTO_SAMPLES];
	static long long skb[AUTO_SAMPLES];
	int n = 0, j;
	size_t i = 0;

	knob_write("auto_budget_pct", "1");
	knob_write("auto_interval_ms", on ? AUTO_INTERVAL_MS : "0");
	ns0 = stat_of("auto_ns");
	freed0 = stat_of("auto_tables_freed");
	rounds0 = stat_of("auto_rounds");
	exh0 = stat_of("auto_budget_exhausted");
	t0 = now();
	next = t0;
	for (;;) {
		t = now();
		if (t >= next && n < AUTO_SAMPLES) {
			kb = self_pte_kb();
			st[n] = t - t0;
			skb[n++] = kb;
			if (kb > max_kb)
				max_kb = kb;
			next += 1.0;
		}
		if (i < AUTO_STEPS) {
			char *q = p + i++ * PMD_SZ;

			if (madvise(q, PMD_SZ, MADV_POPULATE_WRITE))
				memset(q, 1, PMD_SZ);
			madvise(q, PMD_SZ, MADV_DONTNEED);
			if (i == AUTO_STEPS)
				secs = t - t0;
		} else if (t - t0 >= secs + AUTO_IDLE_SECS) {
			break;
		} else {
			usleep(10000);
		}
	}
	kb = self_pte_kb();
	t = now() - t0;
	printf("BENCH {\"kind\": \"auto\", \"mode\": \"%s\", \"interval_ms\": %s, \"budget_pct\": 1, \"steps\": %lu, \"icount\": %s, \"workload_secs\": %.3f, \"secs\": %.3f, \"vmpte_max_kb\": %lld, \"vmpte_end_kb\": %lld, \"tables_freed\": %lld, \"rounds\": %lld, \"budget_exhausted\": %lld, \"auto_ns\": %lld, \"cpu_share\": %.5f, \"samples\": [",
	       on ? "auto" : "off", on ? AUTO_INTERVAL_MS : "0", AUTO_STEPS,
	       icount ? "true" : "false", secs, t, max_kb, kb,
	       stat_of("auto_tables_freed") - freed0,
	       stat_of("auto_rounds") - rounds0,
	       stat_of("auto_budget_exhausted") - exh0,
	       stat_of("auto_ns") - ns0,
	       (stat_of("auto_ns") - ns0) / (t * 1e9));
	for (j = 0; j < n; j++)
		printf("%s[%.1f, %lld]", j ? ", " : "", st[j], skb[j]);
	printf("]}\n");
	knob_write("auto_interval_ms", "0");
	diag("bench auto %s: VmPTE up to %lld kB, %lld kB at the end",
	     on ? "on" : "off", max_kb, kb);
	munmap(p, AUTO_STEPS * PMD_SZ);
}

int main(int argc, char **argv)
{
	struct walker_env e;

	walker_start(argc, argv, &e);
	icount = want("icount");
	if (want("stall")) {
		bench_stall_walker("pte_reclaim", STALL_TABLES);
		bench_stall_walker("cold", STALL_COLD_PMDS);
	}
	if (want("auto")) {
		auto_curve(0);
		auto_curve(1);
	}
	return walker_end("bench_servers", &e, 0);
}
