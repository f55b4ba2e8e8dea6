// SPDX-License-Identifier: GPL-2.0
/*
 * make bench's guest side: everything measured side by side in one boot,
 * each result one line "BENCH {json}" that scripts/bench-report.py turns
 * into the table, the JSON file, the charts and BENCHMARKS.md.  Times are
 * TCG-emulated: only their ratios mean something.  Every run checks the
 * data it paged out or kept, and says how many pages were bad.
 *
 *   pageout     per large-folio size the kernel offers and small pages:
 *               stock process_madvise(MADV_PAGEOUT), the module's walker
 *               (defaults), the walker with unmap batched, the walker
 *               with batch 1 + split always (the unbatched baseline) and,
 *               where DAMON is, DAMOS pageout; where mTHP is, 256 MiB of
 *               64 KiB folios by stock, the walker and unmap batched;
 *   probes      stock MADV_PAGEOUT with the kretprobes off and on;
 *   trace       the trace events off and on: stock MADV_PAGEOUT (small
 *               pages, a large size) and the walker (the large size);
 *   pte_reclaim 1k, 10k and 100k empty tables;
 *   upstream    side by side with upstream PT_RECLAIM (7.x): the kernel
 *               freeing tables on MADV_DONTNEED of whole 2 MiB against
 *               the module after MADV_DONTNEED of single pages; and the
 *               cases upstream leaves alone (coverage);
 *   reference   upstream PT_RECLAIM's workload: mmap 50 GiB, 25,600 times
 *               populate 2 MiB and MADV_DONTNEED it; VmPTE before and
 *               after pte_reclaim.
 *   young       clearing young bits on large folios (contpte-mapped 64 kB
 *               on arm64 6.12): stock MADV_COLD, the cold walker with
 *               `young batched` (one call per contiguous block) and with
 *               `young per_pte` (one call per PTE), side by side.
 * Usage: bench_reclaim [group]
 */
#include "walker_lib.h"
#include "bench_stats.h"
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#define PAGEOUT_LEN (32UL << 20)	/* per run; instruction-counted */
#define BIG_PAGEOUT_LEN (256UL << 20)	/* upstream's batched-unmap case */
#define BIG_ROUNDS 3
#define BENCH_ROUNDS 5			/* alternating rounds per method */
#define DAMON "/sys/kernel/mm/damon/admin/kdamonds/"
#define REF_LEN (50UL << 30)
#define REF_STEPS 25600UL

/* ------------------------------------------------------------------ */
/* DAMOS pageout of [p, p + len) of this process                       */

static int damon_write(const char *rel, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), DAMON "%s", rel);
	return write_bytes(path, value, strlen(value), -1);
}

/*
 * One kdamond, one vaddr context on this process with the region as its
 * only initial region, one scheme that matches every region (any size,
 * access count and age) with action pageout.  The ops update (which would widen the regions to the whole
 * address space) is pushed beyond the run.  0 or an errno.
 */
static int damos_pageout(void *p, size_t len, double timeout)
{
	char buf[64];
	long long want = len / 1024 * 99 / 100, swap0 = self_swap_kb();
	double t_end = now() + timeout;
	int err;

	/* DAMON_STAT (6.17+, on by default) runs an exclusive kdamond */
	if (access("/sys/module/damon_stat/parameters/enabled", W_OK) == 0)
		write_bytes("/sys/module/damon_stat/parameters/enabled", "N", 1,
			    -1);
	err = damon_write("nr_kdamonds", "1");
	err = err ?: damon_write("0/contexts/nr_contexts", "1");
	err = err ?: damon_write("0/contexts/0/operations", "vaddr");
	err = err ?: damon_write("0/contexts/0/monitoring_attrs/intervals/sample_us", "1000");
	err = err ?: damon_write("0/contexts/0/monitoring_attrs/intervals/aggr_us", "10000");
	err = err ?: damon_write("0/contexts/0/monitoring_attrs/intervals/update_us", "100000000");
	err = err ?: damon_write("0/contexts/0/targets/nr_targets", "1");
	snprintf(buf, sizeof(buf), "%d", getpid());
	err = err ?: damon_write("0/contexts/0/targets/0/pid_target", buf);
	err = err ?: damon_write("0/contexts/0/targets/0/regions/nr_regions", "1");
	snprintf(buf, sizeof(buf), "%lu", (unsigned long)p + len);
	err = err ?: damon_write("0/contexts/0/targets/0/regions/0/end", buf);
	snprintf(buf, sizeof(buf), "%lu", (unsigned long)p);
	err = err ?: damon_write("0/contexts/0/targets/0/regions/0/start", buf);
	err = err ?: damon_write("0/contexts/0/schemes/nr_schemes", "1");
	err = err ?: damon_write("0/contexts/0/schemes/0/action", "pageout");
	/* every range of a new scheme's access pattern starts as 0..0 */
	err = err ?: damon_write("0/contexts/0/schemes/0/access_pattern/sz/max",
				 "18446744073709551615");
	err = err ?: damon_write("0/contexts/0/schemes/0/access_pattern/nr_accesses/max",
				 "4294967295");
	err = err ?: damon_write("0/contexts/0/schemes/0/access_pattern/age/max",
				 "4294967295");
	err = err ?: damon_write("0/state", "on");
	if (err)
		return err;
	while (self_swap_kb() - swap0 < want && now() < t_end) {
		usleep(5000);
		/* no progress at all within 5 s: DAMOS is not working here */
		if (self_swap_kb() == swap0 && now() > t_end - timeout + 5)
			break;
	}
	if (self_swap_kb() - swap0 < want) {
		static const char *const stat[] = {
			"nr_tried", "sz_tried", "nr_applied", "sz_applied",
			"qt_exceeds",
		};
		char path[160];
		int i;

		damon_write("0/state", "update_schemes_stats");
		for (i = 0; i < 5; i++) {
			snprintf(path, sizeof(path),
				 DAMON "0/contexts/0/schemes/0/stats/%s", stat[i]);
			diag("DAMOS %s: %lld", stat[i], file_num(path));
		}
		diag("DAMOS kdamond pid %lld; VmSwap +%lld kB",
		     file_num(DAMON "0/pid"), self_swap_kb() - swap0);
	}
	damon_write("0/state", "off");
	return self_swap_kb() - swap0 >= want ? 0 : ETIMEDOUT;
}

static int have_damon(void)
{
	return access(DAMON "nr_kdamonds", W_OK) == 0;
}

/* ------------------------------------------------------------------ */
/* pageout                                                            */

/*
 * Per size: BENCH_ROUNDS rounds, each running every method once on fresh
 * memory of the same contents, in an order that rotates from round to
 * round (so each method runs before and after stock), and the ratio to
 * stock is taken within a round.  The floor: the same bytes written once
 * to a second zram device with the same compressor, O_DIRECT: what
 * compressing them costs with no walk, unmap or LRU work at all.
 */
enum method { STOCK, MODULE, UNMAP_BATCHED, UNBATCHED, DAMOS, FLOOR,
	      NR_METHODS };
static const char *const method_name[] = {
	"stock", "module", "module_unmap_batched", "module_batch1_always",
	"damos", "floor",
};

static int is_walker(enum method m)
{
	return m == MODULE || m == UNMAP_BATCHED || m == UNBATCHED;
}

/* One run's results. */
struct sample {
	double secs;
	long long pages, swpout, splits;
	size_t bad;
	int err;
	/* from the probes and the walker: ns in walk, unmap, rest */
	double walk_ns, unmap_ns, rest_ns;
	double batched;		/* folios the walker unmapped in batches */
};

/* The floor's zram device: its number, or -1. */
static int floor_dev = -1;

static int floor_setup(void)
{
	char path[96], alg[64], *a, *b;
	int id;

	if (floor_dev >= 0)
		return 0;
	if (read_text("/sys/block/zram0/comp_algorithm", alg, sizeof(alg)) < 0)
		return errno;
	a = strchr(alg, '[');
	b = a ? strchr(a, ']') : NULL;
	if (!a || !b)
		return EINVAL;
	*b = '\0';
	id = (int)file_num("/sys/class/zram-control/hot_add");
	if (id <= 0)
		return ENODEV;
	snprintf(path, sizeof(path), "/sys/block/zram%d/comp_algorithm", id);
	if (write_bytes(path, a + 1, strlen(a + 1), -1))
		return EINVAL;
	snprintf(path, sizeof(path), "/sys/block/zram%d/disksize", id);
	if (write_bytes(path, "512M", 4, -1))
		return EINVAL;
	diag("floor: /dev/zram%d, compressor %s (zram0's)", id, a + 1);
	floor_dev = id;
	return 0;
}

/* Writes [p, p + len) to the floor device; 0 or an errno. */
static int floor_write(const char *p, size_t len)
{
	char path[64];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/dev/zram%d", floor_dev);
	fd = open(path, O_WRONLY | O_DIRECT);
	if (fd < 0)
		return errno;
	n = write(fd, p, len);
	if (n != (ssize_t)len)
		err = n < 0 ? errno : EIO;
	close(fd);
	return err;
}

#define D(c1, c0, name) ((double)((c1).v[RL_C_##name] - (c0).v[RL_C_##name]))

/* The bytes each pageout run pages out. */
static size_t pageout_len = PAGEOUT_LEN;

static void pageout_sample(int kb, int pte_mapped, enum method m, int round,
			   struct sample *out)
{
	uint64_t seed = 0xbe7c0000 + kb * 64 + pte_mapped * 32 + round;
	struct rl_counters c0, c1;
	long long walk_split = 0;
	struct ksnap k;
	struct run r;
	double t0;
	char *p;

	memset(out, 0, sizeof(*out));
	/* the same contents for every method of one round */
	p = populate(pageout_len, kb, pte_mapped, seed);
	counters_read("stats", &c0);
	ksnap(&k);
	t0 = now();
	switch (m) {
	case STOCK:
		out->err = stock_pageout(p, pageout_len);
		break;
	case DAMOS:
		out->err = damos_pageout(p, pageout_len, 60);
		break;
	case FLOOR:
		out->err = floor_write(p, pageout_len);
		break;
	default:
		walk_unmap = m == UNMAP_BATCHED ? "batched" : "kernel";
		walk(0, p, pageout_len, "pageout",
		     m == UNBATCHED ? ALWAYS : PARTIAL, m == UNBATCHED ? 1 : 512,
		     &r);
		walk_unmap = "kernel";
		out->err = r.rc;
		walk_split = W(&r, split);
	}
	/*
	 * The walker's time is its trigger write alone, as stock's is its
	 * process_madvise() call: not the knob writes that select it nor
	 * the parsing of `last` after it (5 ms of 32 MiB's 230 under TCG).
	 */
	out->secs = is_walker(m) ? r.secs : now() - t0;
	ksnap_delta(&k);
	counters_read("stats", &c1);
	out->pages = m == FLOOR ? (long long)(pageout_len / PAGE_SZ) :
				  k.swap_kb / 4;
	out->swpout = k.swpout;
	out->splits = k.splits + walk_split;
	/*
	 * walk: the walker's or madvise's own time, less reclaim_pages();
	 * unmap: try_to_unmap_one()'s, or the batched unmap's; rest: the
	 * rest of reclaim, with the swap allocation the batched unmap moved
	 * out of it counted back in.
	 */
	out->walk_ns = (is_walker(m) ? D(c1, c0, walk_ns) : D(c1, c0, madv_ns)) -
		       D(c1, c0, reclaim_ns) - D(c1, c0, unmap_ns) -
		       D(c1, c0, unmap_swap_ns);
	out->unmap_ns = D(c1, c0, ttu_ns) + D(c1, c0, unmap_ns);
	out->rest_ns = D(c1, c0, reclaim_ns) - D(c1, c0, ttu_ns) +
		       D(c1, c0, unmap_swap_ns);
	out->batched = D(c1, c0, unmap_batched);
	out->bad = verify(p, pageout_len, seed);
	munmap(p, pageout_len);
}

static int icount;	/* the boot counts instructions (rl.args has icount) */

static void pageout_report(const char *size, int kb, enum method m,
			   const struct sample s[][NR_METHODS], int rounds)
{
	struct series secs = { 0 }, x_stock = { 0 }, x_floor = { 0 },
		      over = { 0 }, walk_ms = { 0 }, unmap_ms = { 0 },
		      rest_ms = { 0 }, unmap_us = { 0 };
	/* the folios the size has (small pages: each page one) */
	double folios = pageout_len / 1024.0 / (kb > 4 ? kb : 4);
	long long batched = 0;
	long long pages = 0, swpout = 0, splits = 0;
	size_t bad = 0;
	int i, err = 0;

	for (i = 0; i < rounds; i++) {
		const struct sample *x = &s[i][m];

		series_add(&secs, x->secs);
		series_add(&x_stock, s[i][STOCK].secs / x->secs);
		/* a round with a floor run (not the 256 MiB rounds) */
		if (s[i][FLOOR].secs > 0) {
			series_add(&x_floor, x->secs / s[i][FLOOR].secs);
			series_add(&over, (x->secs - s[i][FLOOR].secs) * 1e3);
		}
		series_add(&walk_ms, x->walk_ns / 1e6);
		series_add(&unmap_ms, x->unmap_ns / 1e6);
		series_add(&rest_ms, x->rest_ns / 1e6);
		series_add(&unmap_us, x->unmap_ns / 1e3 / folios);
		batched = (long long)x->batched;
		pages = x->pages;
		swpout = x->swpout;
		splits = x->splits;
		bad += x->bad;
		err = err ?: x->err;
	}
	printf("BENCH {\"kind\": \"pageout\", \"size\": \"%s\", \"kb\": %d, \"method\": \"%s\", \"mib\": %lu, \"pairs\": %d, \"icount\": %s",
	       size, kb, method_name[m], pageout_len >> 20, rounds,
	       icount ? "true" : "false");
	json_series("secs", "%.6f", &secs);
	json_series("ratio", "%.4f", &x_stock);
	if (x_floor.n) {
		json_series("x_floor", "%.4f", &x_floor);
		json_series("over_floor_ms", "%.2f", &over);
	}
	json_series("walk_ms", "%.2f", &walk_ms);
	json_series("unmap_ms", "%.2f", &unmap_ms);
	json_series("rest_ms", "%.2f", &rest_ms);
	json_series("unmap_us_per_folio", "%.3f", &unmap_us);
	printf(", \"pages\": %lld, \"folios_whole\": %lld, \"splits\": %lld, \"unmap_batched\": %lld, \"bad_pages\": %zu, \"error\": \"%s\"}\n",
	       pages, swpout, splits, batched, bad, err ? errname(err) : "");
	tap(!err && !bad,
	    "bench pageout %s %s: median %.3f s, x stock %.3f (%.3f..%.3f) over %d rounds, memory identical",
	    size, method_name[m], series_median(&secs),
	    series_median(&x_stock), series_min(&x_stock),
	    series_max(&x_stock), rounds);
}

/*
 * The size upstream measured batching the anon unmap on (MADV_PAGEOUT of
 * 256 MiB of 64 KiB mTHP): stock, the walker, and the walker with unmap
 * batched, BIG_ROUNDS alternating rounds.
 */
static void bench_pageout_big(void)
{
	static const enum method big[] = { STOCK, MODULE, UNMAP_BATCHED };
	static struct sample s[BIG_ROUNDS][NR_METHODS];
	const int nr = sizeof(big) / sizeof(big[0]);
	int round, j;

	pageout_len = BIG_PAGEOUT_LEN;
	for (round = 0; round < BIG_ROUNDS; round++)
		for (j = 0; j < nr; j++)
			pageout_sample(64, 0, big[(j + round) % nr], round,
				       &s[round][big[(j + round) % nr]]);
	for (j = 0; j < nr; j++)
		pageout_report("64 kB, 256 MiB", 64, big[j], s, BIG_ROUNDS);
	pageout_len = PAGEOUT_LEN;
}

static void bench_pageout(const struct walker_env *e)
{
	static struct sample s[BENCH_ROUNDS][NR_METHODS];
	int have[NR_METHODS], order[NR_METHODS], nr, i, j, round, m;

	have[STOCK] = have[MODULE] = have[UNMAP_BATCHED] = have[UNBATCHED] = 1;
	have[DAMOS] = have_damon();
	if (!have[DAMOS])
		diag("DAMON sysfs absent: no DAMOS pageout on this kernel");
	have[FLOOR] = floor_setup() == 0;
	if (!have[FLOOR])
		diag("floor: no second zram device (%s): no floor rows",
		     strerror(errno));
	for (nr = 0, m = 0; m < NR_METHODS; m++)
		if (have[m])
			order[nr++] = m;
	/*
	 * A round not reported: the boot's first runs also pay for the zram
	 * pools' first allocations (the first stock run was 23% slower).
	 */
	for (j = 0; j < nr; j++)
		pageout_sample(4, 0, order[j], BENCH_ROUNDS, &s[0][order[j]]);
	for (i = 0; i <= e->nr; i++) {
		int kb = i < e->nr ? e->sizes[i][0] : 4;
		int pte = i < e->nr ? e->sizes[i][1] : 0;
		char size[48];

		snprintf(size, sizeof(size), "%s%s", size_name(kb),
			 pte ? " PTE-mapped" : "");
		for (round = 0; round < BENCH_ROUNDS; round++)
			for (j = 0; j < nr; j++) {
				m = order[(j + round) % nr];
				pageout_sample(kb, pte, m, round, &s[round][m]);
			}
		for (j = 0; j < nr; j++)
			pageout_report(size, kb, order[j], s, BENCH_ROUNDS);
	}
	if (have_mthp())
		bench_pageout_big();
}

/* ------------------------------------------------------------------ */
/* Young clearing: per contiguous block against per PTE                */

#define YOUNG_LEN (32UL << 20)
#define YOUNG_OPS 3

static const char *const young_op_name[YOUNG_OPS] = {
	"stock_madv_cold", "module_cold_young_batched",
	"module_cold_young_per_pte",
};

/*
 * Makes every page young, then clears young on all of [p, p + len) with
 * @op; its seconds (the madvise or the trigger write), and in @r the
 * walker's counters.
 */
static double young_sample(char *p, size_t len, int op, struct run *r)
{
	double t0;

	touch_pages(p, len);
	memset(r, 0, sizeof(*r));
	if (op == 0) {
		t0 = now();
		if (madvise(p, len, MADV_COLD))
			die("MADV_COLD");
		return now() - t0;
	}
	if (request(0, p, len, "cold", PARTIAL, 512) ||
	    knob_write("young", op == 1 ? "batched" : "per_pte"))
		die("young request");
	trigger(r);
	knob_write("young", "batched");
	if (r->rc || r->result)
		die("cold walk failed");
	return r->secs;
}

static void bench_young(int kb, int pte_mapped)
{
	struct series secs[YOUNG_OPS] = { 0 };
	long long blocks[YOUNG_OPS] = { 0 }, young[YOUNG_OPS] = { 0 };
	uint64_t seed = 0x70c0;
	struct run r;
	char *p = populate(YOUNG_LEN, kb, pte_mapped, seed);
	int round, j, op;
	size_t bad;

	for (round = 0; round < BENCH_ROUNDS; round++) {
		for (j = 0; j < YOUNG_OPS; j++) {
			op = (j + round) % YOUNG_OPS;
			series_add(&secs[op], young_sample(p, YOUNG_LEN, op, &r));
			blocks[op] = r.c.v[RL_C_walk_contpte_blocks];
			young[op] = r.c.v[RL_C_walk_young_cleared];
		}
	}
	bad = verify(p, YOUNG_LEN, seed);
	munmap(p, YOUNG_LEN);
	for (op = 0; op < YOUNG_OPS; op++) {
		printf("BENCH {\"kind\": \"young\", \"size\": \"%s%s\", \"kb\": %d, \"method\": \"%s\", \"mib\": %lu, \"pairs\": %d, \"icount\": %s, \"contpte_blocks\": %lld, \"young_cleared\": %lld",
		       size_name(kb), pte_mapped ? " PTE-mapped" : "", kb,
		       young_op_name[op], YOUNG_LEN >> 20, BENCH_ROUNDS,
		       icount ? "true" : "false", blocks[op], young[op]);
		json_series("secs", "%.6f", &secs[op]);
		printf(", \"bad_pages\": %zu}\n", bad);
	}
	tap(!bad, "bench young %s: per_pte/batched %.2fx, stock/batched %.2fx, %lld contiguous blocks per walk, memory identical",
	    size_name(kb), series_median(&secs[2]) / series_median(&secs[1]),
	    series_median(&secs[0]) / series_median(&secs[1]), blocks[1]);
}

/* ------------------------------------------------------------------ */
/* Probe overhead: stock pageout with the kretprobes off, then on      */

static double stock_secs(int kb, uint64_t seed, size_t *bad)
{
	char *p = populate(PAGEOUT_LEN, kb, 0, seed);
	double t0 = now(), secs;

	stock_pageout(p, PAGEOUT_LEN);
	secs = now() - t0;
	*bad += verify(p, PAGEOUT_LEN, seed);
	munmap(p, PAGEOUT_LEN);
	return secs;
}

#define PROBE_PAIRS 9

/*
 * PROBE_PAIRS pairs of runs, probes off and on, each pair in the other
 * order from the last so that drift within a pair cancels out.  The
 * median of the pairs' overheads is the figure, with the range beside it.
 */
static void bench_probes(int large_kb)
{
	int sizes[] = { 4, large_kb }, i, rep;

	for (i = 0; i < 2; i++) {
		struct series pct = { 0 };
		double off = 0, on = 0;
		size_t bad = 0;

		for (rep = 0; rep < PROBE_PAIRS; rep++) {
			double t[2];	/* [0] probes off, [1] on */
			int k, probes_on;

			for (k = 0; k < 2; k++) {
				probes_on = (rep + k) % 2;
				knob_write("probes", probes_on ? "on" : "off");
				t[probes_on] = stock_secs(sizes[i],
					(probes_on ? 0x00e0 : 0x0ff0) + rep, &bad);
			}
			off += t[0];
			on += t[1];
			series_add(&pct, (t[1] / t[0] - 1) * 100);
		}
		knob_write("probes", "on");
		printf("BENCH {\"kind\": \"probes\", \"size\": \"%s\", \"mib\": %lu, \"runs\": %d, \"pairs\": %d, \"icount\": %s, \"off_secs\": %.6f, \"on_secs\": %.6f",
		       size_name(sizes[i]), PAGEOUT_LEN >> 20, PROBE_PAIRS,
		       PROBE_PAIRS, icount ? "true" : "false", off, on);
		json_series("overhead_pct", "%.2f", &pct);
		printf(", \"bad_pages\": %zu}\n", bad);
		tap(!bad, "bench probes %s: median overhead %+.1f%% (%+.1f%% to %+.1f%%) over %d pairs, memory identical",
		    size_name(sizes[i]), series_median(&pct), series_min(&pct),
		    series_max(&pct), PROBE_PAIRS);
	}
}

/*
 * The trace events' cost (issue 17): the same pairs with the probes on,
 * the reclaimlab events off and on, for stock MADV_PAGEOUT (madvise_pmd
 * per PMD) and the walker (walk_folio per folio, walk_run); the trace
 * buffer is cleared before each run.
 */
#define TRACEFS "/sys/kernel/tracing/"

static double walker_secs(int kb, uint64_t seed, size_t *bad)
{
	char *p = populate(PAGEOUT_LEN, kb, 0, seed);
	struct run r;

	walk(0, p, PAGEOUT_LEN, "pageout", PARTIAL, 512, &r);
	*bad += verify(p, PAGEOUT_LEN, seed) + (r.rc || r.result);
	munmap(p, PAGEOUT_LEN);
	return r.secs;
}

static int events_set(int on)
{
	int fd = open(TRACEFS "trace", O_WRONLY | O_TRUNC);

	if (fd >= 0)
		close(fd);
	return write_bytes(TRACEFS "events/reclaimlab/enable", on ? "1" : "0",
			   1, -1);
}

static void bench_trace_events(int large_kb)
{
	static const char *const path[] = { "stock", "walker" };
	int sizes[] = { 4, large_kb }, i, rep, k, on;
	long long buffer_kb;

	if (events_set(0)) {
		tap(0, "bench trace events: no %sevents/reclaimlab/ (%s)",
		    TRACEFS, strerror(errno));
		return;
	}
	for (i = 0; i < 3; i++) {
		int kb = sizes[i ? 1 : 0], walker = i == 2;
		struct series pct = { 0 };
		double t[2], off = 0, ons = 0;
		size_t bad = 0;

		for (rep = 0; rep < PROBE_PAIRS; rep++) {
			for (k = 0; k < 2; k++) {
				on = (rep + k) % 2;
				events_set(on);
				t[on] = (walker ? walker_secs : stock_secs)(kb,
					(on ? 0x0e00 : 0x0f00) + rep, &bad);
			}
			off += t[0];
			ons += t[1];
			series_add(&pct, (t[1] / t[0] - 1) * 100);
		}
		buffer_kb = file_num(TRACEFS "buffer_size_kb");
		events_set(0);
		printf("BENCH {\"kind\": \"trace_events\", \"path\": \"%s\", \"size\": \"%s\", \"mib\": %lu, \"pairs\": %d, \"icount\": %s, \"off_secs\": %.6f, \"on_secs\": %.6f, \"buffer_kb\": %lld",
		       path[walker], size_name(kb), PAGEOUT_LEN >> 20,
		       PROBE_PAIRS, icount ? "true" : "false", off, ons,
		       buffer_kb);
		json_series("overhead_pct", "%.2f", &pct);
		printf(", \"bad_pages\": %zu}\n", bad);
		tap(!bad, "bench trace events, %s %s: median overhead of the events on %+.1f%% (%+.1f%% to %+.1f%%) over %d pairs, memory identical",
		    path[walker], size_name(kb), series_median(&pct),
		    series_min(&pct), series_max(&pct), PROBE_PAIRS);
	}
}

/* ------------------------------------------------------------------ */
/* PTE-table reclaim                                                   */

/*
 * One pte_reclaim run over @n tables.  The case: one page touched in
 * each, zapped with MADV_DONTNEED, except every 100th which keeps a page
 * of data (checked after the walk).  The floor (@floor): each table
 * keeps one page in its last entry, so the walk does only what reading
 * the tables costs (the VMA check and a lockless scan of all 512
 * entries) and frees nothing: the case's time above it is the locking,
 * unhooking, flushing and freeing.
 */
struct pte_sample {
	double ns;
	long long freed, bytes, vmpte_before, vmpte_after;
	size_t bad;
	int err;
};

static void pte_sample(size_t n, int floor, struct pte_sample *out)
{
	size_t len = n * PMD_SZ, i, off = floor ? PMD_SZ - PAGE_SZ : 0;
	struct run r;
	char *p = map_sparse(len);

	for (i = 0; i < n; i++)
		fill(p + i * PMD_SZ + off, PAGE_SZ, i);
	for (i = 0; i < n && !floor; i++)
		if (i % 100)
			madvise(p + i * PMD_SZ, PAGE_SZ, MADV_DONTNEED);
	out->vmpte_before = self_pte_kb();
	walk(0, p, len, "pte_reclaim", PARTIAL, 512, &r);
	out->vmpte_after = self_pte_kb();
	out->ns = r.elapsed_ns;
	out->freed = r.c.v[RL_C_pte_reclaim_tables_freed];
	out->bytes = r.c.v[RL_C_pte_reclaim_bytes_freed];
	out->err = r.rc;
	for (out->bad = 0, i = 0; i < n; i++)
		if (floor || i % 100 == 0 ?
		    verify(p + i * PMD_SZ + off, PAGE_SZ, i) :
		    *(volatile uint64_t *)(p + i * PMD_SZ) != 0)
			out->bad++;
	munmap(p, len);
}

static void pte_one(size_t n)
{
	struct series ns = { 0 }, floor_ns = { 0 }, x_floor = { 0 },
		      over = { 0 };
	struct pte_sample c = { 0 }, f = { 0 };
	size_t empty = n - (n + 99) / 100, bad = 0;
	int round, k, err = 0, ok = 1;

	for (round = 0; round < BENCH_ROUNDS; round++) {
		for (k = 0; k < 2; k++) {
			if ((round + k) % 2)
				pte_sample(n, 1, &f);
			else
				pte_sample(n, 0, &c);
		}
		series_add(&ns, c.ns);
		series_add(&floor_ns, f.ns);
		series_add(&x_floor, c.ns / f.ns);
		series_add(&over, (c.ns - f.ns) / (c.freed ? c.freed : 1));
		bad += c.bad + f.bad;
		err = err ?: c.err ?: f.err;
		ok = ok && c.freed == (long long)empty && f.freed == 0;
	}
	printf("BENCH {\"kind\": \"pte_reclaim\", \"tables\": %zu, \"empty\": %zu, \"freed\": %lld, \"bytes_freed\": %lld, \"pairs\": %d, \"icount\": %s",
	       n, empty, c.freed, c.bytes, BENCH_ROUNDS,
	       icount ? "true" : "false");
	json_series("ns", "%.0f", &ns);
	json_series("floor_ns", "%.0f", &floor_ns);
	json_series("x_floor", "%.4f", &x_floor);
	json_series("over_floor_ns_per_table", "%.1f", &over);
	printf(", \"vmpte_before_kb\": %lld, \"vmpte_after_kb\": %lld, \"bad_pages\": %zu, \"error\": \"%s\"}\n",
	       c.vmpte_before, c.vmpte_after, bad, err ? errname(err) : "");
	tap(!err && !bad && ok,
	    "bench pte_reclaim %zu tables: %lld freed in %.3f ms (median of %d), %.2fx the floor (reading them: %.3f ms), data intact",
	    n, c.freed, series_median(&ns) / 1e6, BENCH_ROUNDS,
	    series_median(&x_floor), series_median(&floor_ns) / 1e6);
}

/* One emptying of @n one-page tables, timed, with VmPTE around each step. */
struct zap_run {
	double secs;			/* the zap, plus the walk if any */
	long long pte_kb[3];		/* VmPTE: before, after the zap, after the walk */
	size_t bad;			/* zapped pages that did not read zero */
	struct run walk;		/* the pte_reclaim run, if any */
};

/*
 * @n tables each holding one page, then MADV_DONTNEED of @zap_len bytes
 * at the start of each table and, with @walk, pte_reclaim over them all.
 */
static void zap_tables(size_t n, size_t zap_len, int walk_after,
		       struct zap_run *z)
{
	size_t len = n * PMD_SZ, i;
	char *p = map_sparse(len);
	double t0;

	for (i = 0; i < n; i++)
		p[i * PMD_SZ] = 1;
	z->pte_kb[0] = self_pte_kb();
	t0 = now();
	for (i = 0; i < n; i++)
		madvise(p + i * PMD_SZ, zap_len, MADV_DONTNEED);
	z->pte_kb[1] = self_pte_kb();
	if (walk_after)
		walk(0, p, len, "pte_reclaim", PARTIAL, 512, &z->walk);
	z->secs = now() - t0;
	z->pte_kb[2] = self_pte_kb();
	for (z->bad = 0, i = 0; i < n; i++)
		z->bad += p[i * PMD_SZ] != 0;
	munmap(p, len);
}

/*
 * Side by side with upstream PT_RECLAIM (6.14+; older kernels free
 * nothing on MADV_DONTNEED): @n tables holding one page each, emptied
 * (kernel) by MADV_DONTNEED of each whole 2 MiB, which is when PT_RECLAIM
 * frees the table, or (module) by MADV_DONTNEED of the one page, which
 * PT_RECLAIM leaves alone, then pte_reclaim.
 */
static void upstream_vs_module(size_t n)
{
	struct series ratio = { 0 }, ksecs = { 0 }, msecs = { 0 };
	struct zap_run k, m;
	long long kernel_freed, module_freed;
	size_t bad = 0;
	int round, j, err = 0;

	for (round = 0; round < BENCH_ROUNDS; round++) {
		for (j = 0; j < 2; j++) {
			if ((round + j) % 2)
				zap_tables(n, PAGE_SZ, 1, &m);
			else
				zap_tables(n, PMD_SZ, 0, &k);
		}
		series_add(&ksecs, k.secs);
		series_add(&msecs, m.secs);
		series_add(&ratio, k.secs / m.secs);
		bad += k.bad + m.bad;
		err = err ?: m.walk.rc;
	}
	kernel_freed = (k.pte_kb[0] - k.pte_kb[1]) / 4;
	module_freed = m.walk.c.v[RL_C_pte_reclaim_tables_freed];
	printf("BENCH {\"kind\": \"upstream\", \"tables\": %zu, \"pairs\": %d, \"icount\": %s, \"kernel_freed\": %lld, \"module_walk_ns\": %lld, \"module_kernel_freed\": %lld, \"module_freed\": %lld, \"module_vmpte_drop_kb\": %lld",
	       n, BENCH_ROUNDS, icount ? "true" : "false", kernel_freed,
	       m.walk.elapsed_ns, (m.pte_kb[0] - m.pte_kb[1]) / 4,
	       module_freed, m.pte_kb[1] - m.pte_kb[2]);
	json_series("kernel_secs", "%.6f", &ksecs);
	json_series("module_secs", "%.6f", &msecs);
	json_series("ratio", "%.4f", &ratio);
	printf(", \"bad_pages\": %zu, \"error\": \"%s\"}\n", bad,
	       err ? errname(err) : "");
	tap(!err && !bad,
	    "bench upstream vs module, %zu tables: kernel freed %lld on MADV_DONTNEED 2 MiB; module freed %lld; time kernel : module %.3f (%.3f..%.3f)",
	    n, kernel_freed, module_freed, series_median(&ratio),
	    series_min(&ratio), series_max(&ratio));
}

/*
 * Where upstream PT_RECLAIM frees nothing: each case empties 64 tables
 * its own way, then pte_reclaim runs.  The kernel's share is the VmPTE
 * drop during the emptying.
 */
enum coverage_case {
	COV_DONTNEED_WHOLE, COV_DONTNEED_PAGE, COV_FREE_PAGEOUT,
	COV_PRIVATE_FILE, COV_UFFD_WP, NR_COV
};
static const char *const coverage_name[] = {
	"MADV_DONTNEED of whole 2 MiB tables",
	"MADV_DONTNEED of the one page in each table",
	"MADV_FREE, then the lazily freed pages reclaimed (MADV_PAGEOUT)",
	"private file mapping (memfd), MADV_DONTNEED of whole 2 MiB",
	"uffd-wp registered anon range, MADV_DONTNEED of whole 2 MiB",
};

static void coverage_one(enum coverage_case c)
{
	const size_t n = 64, len = n * PMD_SZ;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };
	long long before, after;
	int memfd = -1, uffd = -1;
	size_t i, bad = 0;
	struct run r;
	char *p = map_sparse(len);

	if (c == COV_PRIVATE_FILE) {
		memfd = memfd_create("rl-cov", 0);
		if (memfd < 0 || ftruncate(memfd, len) ||
		    mmap(p, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_FIXED, memfd, 0) == MAP_FAILED)
			die("private memfd mapping");
		madvise(p, len, MADV_NOHUGEPAGE);
	}
	if (c == COV_UFFD_WP) {
		uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
		reg.range.start = (uintptr_t)p;
		reg.range.len = len;
		if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) ||
		    ioctl(uffd, UFFDIO_REGISTER, &reg))
			die("uffd-wp register");
	}
	for (i = 0; i < n; i++)
		p[i * PMD_SZ] = 1;
	before = self_pte_kb();
	for (i = 0; i < n; i++) {
		char *q = p + i * PMD_SZ;

		switch (c) {
		case COV_DONTNEED_PAGE:
			madvise(q, PAGE_SZ, MADV_DONTNEED);
			break;
		case COV_FREE_PAGEOUT:
			madvise(q, PAGE_SZ, MADV_FREE);
			madvise(q, PAGE_SZ, MADV_PAGEOUT);
			break;
		default:
			madvise(q, PMD_SZ, MADV_DONTNEED);
			break;
		}
	}
	after = self_pte_kb();
	walk(0, p, len, "pte_reclaim", PARTIAL, 512, &r);
	for (i = 0; i < n; i++)
		bad += p[i * PMD_SZ] != 0;
	munmap(p, len);
	if (memfd >= 0)
		close(memfd);
	if (uffd >= 0)
		close(uffd);
	printf("BENCH {\"kind\": \"coverage\", \"case\": \"%s\", \"tables\": %zu, \"kernel_freed\": %lld, \"module_freed\": %lld, \"module_kept_vma\": %lld, \"bad_pages\": %zu, \"error\": \"%s\"}\n",
	       coverage_name[c], n, (before - after) / 4,
	       r.c.v[RL_C_pte_reclaim_tables_freed],
	       r.c.v[RL_C_pte_reclaim_skip_vma], bad,
	       r.rc ? errname(r.rc) : "");
	tap(!r.rc && !bad, "bench coverage, %s: kernel freed %lld, module %lld of %zu tables",
	    coverage_name[c], (before - after) / 4,
	    r.c.v[RL_C_pte_reclaim_tables_freed], n);
}

/* Upstream PT_RECLAIM's reference workload, and then the module. */
static void reference(void)
{
	char *p = map_sparse(REF_LEN);
	long long base = self_pte_kb(), kernel, module;
	size_t i, bad = 0;
	struct run r;
	double t0 = now(), secs;

	for (i = 0; i < REF_STEPS; i++) {
		char *q = p + i * PMD_SZ;

		if (madvise(q, PMD_SZ, MADV_POPULATE_WRITE))
			memset(q, 1, PMD_SZ);
		madvise(q, PMD_SZ, MADV_DONTNEED);
	}
	secs = now() - t0;
	kernel = self_pte_kb();
	walk(0, p, REF_LEN, "pte_reclaim", PARTIAL, 512, &r);
	module = self_pte_kb();
	for (i = 0; i < REF_STEPS; i += 97)
		bad += *(volatile uint64_t *)(p + i * PMD_SZ + 4096) != 0;
	munmap(p, REF_LEN);
	printf("BENCH {\"kind\": \"reference\", \"icount\": %s, \"steps\": %lu, \"workload_secs\": %.3f, \"vmpte_start_kb\": %lld, \"vmpte_kernel_kb\": %lld, \"vmpte_module_kb\": %lld, \"freed\": %lld, \"ns\": %lld, \"upstream_with_kb\": 240, \"upstream_without_kb\": 102640, \"bad_pages\": %zu, \"error\": \"%s\"}\n",
	       icount ? "true" : "false", REF_STEPS, secs, base, kernel, module,
	       r.c.v[RL_C_pte_reclaim_tables_freed], r.elapsed_ns, bad,
	       r.rc ? errname(r.rc) : "");
	tap(!r.rc && !bad, "bench reference: VmPTE %lld kB after the workload, %lld kB after pte_reclaim",
	    kernel, module);
}

int main(int argc, char **argv)
{
	struct walker_env e;
	struct utsname u;
	int i;

	walker_start(argc, argv, &e);
	icount = want("icount");
	uname(&u);
	printf("BENCH {\"kind\": \"kernel\", \"release\": \"%s\"}\n",
	       u.release);
	if (want("pageout"))
		bench_pageout(&e);
	if (want("probes"))
		bench_probes(have_mthp() ? 64 : 2048);
	if (want("trace"))
		bench_trace_events(have_mthp() ? 64 : 2048);
	if (want("young"))
		bench_young(have_mthp() ? 64 : 2048, !have_mthp());
	if (want("pte")) {
		pte_one(1000);
		pte_one(10000);
		pte_one(100000);
	}
	if (want("upstream")) {
		upstream_vs_module(10000);
		for (i = 0; i < NR_COV; i++) {
			if (i == COV_UFFD_WP && !uffd_wp_supported()) {
				tap(1, "bench coverage, %s # SKIP %s",
				    coverage_name[i], UFFD_WP_SKIP);
				continue;
			}
			coverage_one(i);
		}
	}
	if (want("reference"))
		reference();
	return walker_end("bench_reclaim", &e, 0);
}
