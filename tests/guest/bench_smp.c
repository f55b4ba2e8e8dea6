// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, the SMP rows (issue 25): what the walkers cost other CPUs.
 * Run on plain multi-threaded TCG (never -icount: there the vCPUs take
 * turns, and a CPU that waits for an IPI's answer waits a whole slice),
 * in boots with 1, 2 and 4 vCPUs.  The primary figure is a count no
 * timing noise moves: the IPIs all CPUs took around each walk, from
 * /proc/interrupts (x86: the CAL row, where a TLB shootdown is one
 * function call; arm64: IPI1, function calls; arm64 TLB flushes are
 * broadcast TLBIs, which the module's flush counters count instead).
 *
 *   smp_tables  pte_reclaim over 10k empty tables, pt_batch 1 (a flush
 *            and a free per table) against 64 and 512 (one flush per
 *            run, frees that wait for no CPU), each without and with a
 *            thread of the target spinning on another vCPU (so its mm is
 *            live there);
 *            9 alternating rounds; IPIs, flushes and syncs per freed
 *            table, ns per table;
 *   smp_unmap  pageout of 64 MiB of 64 kB mTHP (6.1: PTE-mapped THP), the
 *            walker with unmap batched against stock MADV_PAGEOUT, with
 *            and without the spinner; 5 alternating rounds; IPIs per
 *            folio, the batched unmap's flushes per folio, seconds;
 *   smp_background  the background mode (interval 200 ms, budget 1%) on
 *            upstream PT_RECLAIM's workload (3072 steps of populate 2 MiB
 *            and MADV_DONTNEED it) with the spinner, pt_batch 1 and 64:
 *            VmPTE at the end, tables freed, the thread's CPU share.
 * "BENCH {json}" lines for scripts/bench-report.py.
 * Usage: bench_smp [group]
 */
#include "walker_lib.h"
#include "bench_stats.h"
#include <sched.h>

#define SMP_TABLES 10240UL
#define SMP_ROUNDS 9
#define NR_BATCHES 3

static int ncpus;

/* The function-call IPIs every CPU has taken so far; -1 if unreadable. */
static long long ipis(void)
{
#if defined(__aarch64__)
	static const char row[] = "IPI1:";
#else
	static const char row[] = "CAL:";
#endif
	char line[4096];
	long long sum = -1;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *end;
		long long v;

		while (*s == ' ')
			s++;
		if (strncmp(s, row, strlen(row)))
			continue;
		s += strlen(row);
		sum = 0;
		/* one number per CPU, then the row's name */
		for (;;) {
			v = strtoll(s, &end, 10);
			if (end == s)
				break;
			sum += v;
			s = end;
		}
		break;
	}
	fclose(f);
	return sum;
}

struct spinner {
	pthread_t t;
	volatile int stop;
};

/* A thread of this process busy on the last CPU: its mm is live there. */
static void *spin(void *arg)
{
	struct spinner *s = arg;

	pin_to(ncpus - 1);
	while (!s->stop)
		;
	return NULL;
}

static void spinner_start(struct spinner *s)
{
	s->stop = 0;
	if (pthread_create(&s->t, NULL, spin, s))
		die("pthread_create");
	usleep(20000);	/* on its CPU before the walk */
}

static void spinner_stop(struct spinner *s)
{
	s->stop = 1;
	pthread_join(s->t, NULL);
}

struct pte_result {
	struct series ipis, flushes, syncs, ns;
	long long freed;
};

static void smp_pte_round(char *p, const char *batch, int spinning,
			  struct pte_result *res)
{
	long long i0, i1, freed;
	struct spinner s;
	struct run r;
	size_t i;

	for (i = 0; i < SMP_TABLES; i++)
		p[i * PMD_SZ] = 1;
	for (i = 0; i < SMP_TABLES; i++)
		madvise(p + i * PMD_SZ, PAGE_SZ, MADV_DONTNEED);
	knob_write("pt_batch", batch);
	if (spinning)
		spinner_start(&s);
	i0 = ipis();
	walk(0, p, SMP_TABLES * PMD_SZ, "pte_reclaim", PARTIAL, 512, &r);
	i1 = ipis();
	if (spinning)
		spinner_stop(&s);
	knob_write("pt_batch", PT_BATCH_DEFAULT);
	freed = r.c.v[RL_C_pte_reclaim_tables_freed];
	res->freed += freed;
	if (freed <= 0)
		return;
	series_add(&res->ipis, (double)(i1 - i0) / freed);
	series_add(&res->flushes,
		   (double)r.c.v[RL_C_pte_reclaim_flushes] / freed);
	series_add(&res->syncs, (double)r.c.v[RL_C_pte_reclaim_syncs] / freed);
	series_add(&res->ns, (double)r.elapsed_ns / freed);
}

static void bench_smp_pte(void)
{
	static const char *const batches[NR_BATCHES] = { "1", "64", "512" };
	char *p = map_sparse(SMP_TABLES * PMD_SZ);
	struct pte_result res[NR_BATCHES][2] = { 0 };	/* [batch][spinning] */
	int round, k, b, sp;

	for (round = 0; round < SMP_ROUNDS; round++) {
		/* alternate the order of the cases */
		for (k = 0; k < 2 * NR_BATCHES; k++) {
			int c = (k + round) % (2 * NR_BATCHES);

			b = c / 2;
			sp = c % 2;
			smp_pte_round(p, batches[b], sp, &res[b][sp]);
		}
	}
	for (b = 0; b < NR_BATCHES; b++) {
		for (sp = 0; sp < 2; sp++) {
			const struct pte_result *x = &res[b][sp];

			printf("BENCH {\"kind\": \"smp_tables\", \"cpus\": %d, \"pt_batch\": %s, \"spinner\": %s, \"tables\": %lu, \"rounds\": %d, \"icount\": false",
			       ncpus, batches[b], sp ? "true" : "false",
			       SMP_TABLES, x->ns.n);
			json_series("ipis_per_table", "%.4f", &x->ipis);
			json_series("flushes_per_table", "%.4f", &x->flushes);
			json_series("syncs_per_table", "%.4f", &x->syncs);
			json_series("ns_per_table", "%.0f", &x->ns);
			printf(", \"freed\": %lld}\n", x->freed);
			diag("bench smp_tables, %d vCPUs, pt_batch %s, %s: %.3f IPIs, %.4f flushes a table, %.0f ns a table",
			     ncpus, batches[b], sp ? "spinner" : "alone",
			     series_median(&x->ipis),
			     series_median(&x->flushes),
			     series_median(&x->ns));
		}
	}
	tap(res[0][0].freed == (long long)(SMP_TABLES * SMP_ROUNDS) &&
	    res[1][1].freed == (long long)(SMP_TABLES * SMP_ROUNDS),
	    "bench smp_tables: every table freed in every round (%lld, %lld)",
	    res[0][0].freed, res[1][1].freed);
	munmap(p, SMP_TABLES * PMD_SZ);
}

#define SMP_UNMAP_LEN (64UL << 20)
#define SMP_UNMAP_ROUNDS 5

struct unmap_result {
	struct series ipis, flushes, secs;
	long long folios, batched;
};

static void smp_unmap_round(int kb, int pte_mapped, int batched,
			    int spinning, int round, struct unmap_result *res)
{
	const long folios = (long)(SMP_UNMAP_LEN / 1024 / kb);
	char *p = populate(SMP_UNMAP_LEN, kb, pte_mapped, 0x5e9a0000 + round);
	long long i0, i1;
	struct spinner s;
	struct run r;
	double t0, secs;
	int err;

	if (spinning)
		spinner_start(&s);
	i0 = ipis();
	t0 = now();
	if (batched) {
		walk_unmap = "batched";
		walk(0, p, SMP_UNMAP_LEN, "pageout", PARTIAL, 512, &r);
		walk_unmap = "kernel";
		err = r.rc;
		secs = r.secs;
	} else {
		err = stock_pageout(p, SMP_UNMAP_LEN);
		secs = now() - t0;
	}
	i1 = ipis();
	if (spinning)
		spinner_stop(&s);
	munmap(p, SMP_UNMAP_LEN);
	if (err)
		return;
	res->folios += folios;
	series_add(&res->ipis, (double)(i1 - i0) / folios);
	series_add(&res->secs, secs);
	if (batched) {
		res->batched += r.c.v[RL_C_unmap_batched];
		series_add(&res->flushes,
			   (double)r.c.v[RL_C_unmap_flushes] / folios);
	}
}

static void bench_smp_unmap(void)
{
	const int kb = have_mthp() ? 64 : 2048, pte_mapped = !have_mthp();
	static const char *const method[2] = { "stock", "unmap_batched" };
	struct unmap_result res[2][2] = { 0 };	/* [batched][spinning] */
	int round, k, b, sp;

	for (round = 0; round < SMP_UNMAP_ROUNDS; round++) {
		for (k = 0; k < 4; k++) {
			int c = (k + round) % 4;

			b = c / 2;
			sp = c % 2;
			smp_unmap_round(kb, pte_mapped, b, sp, round,
					&res[b][sp]);
		}
	}
	for (b = 0; b < 2; b++) {
		for (sp = 0; sp < 2; sp++) {
			const struct unmap_result *x = &res[b][sp];

			printf("BENCH {\"kind\": \"smp_unmap\", \"cpus\": %d, \"method\": \"%s\", \"spinner\": %s, \"size\": \"%s%s\", \"kb\": %d, \"mib\": %lu, \"rounds\": %d, \"icount\": false",
			       ncpus, method[b], sp ? "true" : "false",
			       size_name(kb), pte_mapped ? " PTE-mapped" : "",
			       kb, SMP_UNMAP_LEN >> 20, x->secs.n);
			json_series("ipis_per_folio", "%.4f", &x->ipis);
			if (b)
				json_series("flushes_per_folio", "%.4f",
					    &x->flushes);
			json_series("secs", "%.4f", &x->secs);
			printf(", \"folios\": %lld, \"batched\": %lld}\n",
			       x->folios, x->batched);
			diag("bench smp_unmap, %d vCPUs, %s, %s: %.3f IPIs a folio, %.3f s",
			     ncpus, method[b], sp ? "spinner" : "alone",
			     series_median(&x->ipis), series_median(&x->secs));
		}
	}
	tap(res[1][1].batched == res[1][1].folios && res[1][1].folios > 0,
	    "bench smp_unmap: with the spinner every folio was unmapped in a batch (%lld of %lld)",
	    res[1][1].batched, res[1][1].folios);
}

#define BG_STEPS 3072UL
#define BG_STEPS_PER_SEC 512
#define BG_IDLE_SECS 2.0

/* The PT_RECLAIM workload under the background mode, with the spinner. */
static void smp_background(const char *batch)
{
	char *p = map_sparse(BG_STEPS * PMD_SZ);
	long long ns0, freed0, kb;
	double t0, t, secs = 0;
	struct spinner s;
	size_t i = 0;

	knob_write("pt_batch", batch);
	knob_write("auto_budget_pct", "1");
	spinner_start(&s);
	ns0 = field_in(RL_DIR "stats", "auto_ns");
	freed0 = field_in(RL_DIR "stats", "auto_tables_freed");
	knob_write("auto_interval_ms", "200");
	t0 = now();
	for (;;) {
		t = now() - t0;
		if (i < BG_STEPS && t * BG_STEPS_PER_SEC >= i) {
			char *q = p + i++ * PMD_SZ;

			if (madvise(q, PMD_SZ, MADV_POPULATE_WRITE))
				memset(q, 1, PMD_SZ);
			madvise(q, PMD_SZ, MADV_DONTNEED);
			if (i == BG_STEPS)
				secs = t;
			continue;
		}
		if (i == BG_STEPS && t >= secs + BG_IDLE_SECS)
			break;
		usleep(1000);
	}
	kb = self_pte_kb();
	t = now() - t0;
	knob_write("auto_interval_ms", "0");
	spinner_stop(&s);
	knob_write("pt_batch", PT_BATCH_DEFAULT);
	printf("BENCH {\"kind\": \"smp_background\", \"cpus\": %d, \"pt_batch\": %s, \"spinner\": true, \"steps\": %lu, \"interval_ms\": 200, \"budget_pct\": 1, \"icount\": false, \"workload_secs\": %.3f, \"secs\": %.3f, \"vmpte_end_kb\": %lld, \"tables_freed\": %lld, \"cpu_share\": %.5f}\n",
	       ncpus, batch, BG_STEPS, secs, t, kb,
	       field_in(RL_DIR "stats", "auto_tables_freed") - freed0,
	       (field_in(RL_DIR "stats", "auto_ns") - ns0) / (t * 1e9));
	diag("bench smp_background, %d vCPUs, pt_batch %s: VmPTE %lld kB at the end",
	     ncpus, batch, kb);
	munmap(p, BG_STEPS * PMD_SZ);
}

int main(int argc, char **argv)
{
	struct walker_env e;

	walker_start(argc, argv, &e);
	ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpus < 1)
		ncpus = 1;
	pin_to(0);
	diag("bench_smp: %d vCPUs, function-call IPIs read %lld so far",
	     ncpus, ipis());
	if (want("smp_tables"))
		bench_smp_pte();
	if (want("smp_unmap"))
		bench_smp_unmap();
	if (want("smp_background")) {
		smp_background("1");
		smp_background("64");
	}
	return walker_end("bench_smp", &e, 0);
}
