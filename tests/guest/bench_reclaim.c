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
 *               (defaults), the walker with batch 1 + split always (the
 *               unbatched baseline) and, where DAMON is, DAMOS pageout;
 *   probes      stock MADV_PAGEOUT with the kretprobes off and on;
 *   pte_reclaim 1k, 10k and 100k empty tables;
 *   upstream    side by side with upstream PT_RECLAIM (7.x): the kernel
 *               freeing tables on MADV_DONTNEED of whole 2 MiB against
 *               the module after MADV_DONTNEED of single pages; and the
 *               cases upstream leaves alone (coverage);
 *   reference   upstream PT_RECLAIM's workload: mmap 50 GiB, 25,600 times
 *               populate 2 MiB and MADV_DONTNEED it; VmPTE before and
 *               after pte_reclaim.
 * Usage: bench_reclaim [group]
 */
#include "walker_lib.h"
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#define PAGEOUT_LEN (256UL << 20)	/* a run well over a second */
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

enum method { STOCK, MODULE, UNBATCHED, DAMOS, NR_METHODS };
static const char *const method_name[] = {
	"stock", "module", "module_batch1_always", "damos",
};

static void pageout_one(int kb, int pte_mapped, enum method m)
{
	uint64_t seed = 0xbe7c0000 + kb * 8 + pte_mapped * 4 + m;
	long long walk_split = 0;
	struct ksnap k;
	struct run r;
	double t0, secs;
	size_t bad;
	char *p;
	int err;

	p = populate(PAGEOUT_LEN, kb, pte_mapped, seed);
	ksnap(&k);
	t0 = now();
	switch (m) {
	case STOCK:
		err = stock_pageout(p, PAGEOUT_LEN);
		break;
	case DAMOS:
		err = damos_pageout(p, PAGEOUT_LEN, 60);
		break;
	default:
		walk(0, p, PAGEOUT_LEN, "pageout",
		     m == MODULE ? PARTIAL : ALWAYS, m == MODULE ? 512 : 1, &r);
		err = r.rc;
		walk_split = W(&r, split);
	}
	secs = now() - t0;
	ksnap_delta(&k);
	bad = verify(p, PAGEOUT_LEN, seed);
	munmap(p, PAGEOUT_LEN);
	printf("BENCH {\"kind\": \"pageout\", \"size\": \"%s%s\", \"kb\": %d, \"method\": \"%s\", \"mib\": %lu, \"secs\": %.6f, \"pages\": %lld, \"folios_whole\": %lld, \"splits\": %lld, \"bad_pages\": %zu, \"error\": \"%s\"}\n",
	       size_name(kb), pte_mapped ? " PTE-mapped" : "", kb,
	       method_name[m], PAGEOUT_LEN >> 20, secs, k.swap_kb / 4,
	       k.swpout, k.splits + walk_split, bad, err ? errname(err) : "");
	tap(!err && !bad, "bench pageout %s%s %s: %.3f s, memory identical",
	    size_name(kb), pte_mapped ? " PTE-mapped" : "", method_name[m],
	    secs);
}

static void bench_pageout(const struct walker_env *e)
{
	int i, m, damon = have_damon();

	if (!damon)
		diag("DAMON sysfs absent: no DAMOS pageout on this kernel");
	for (i = 0; i <= e->nr; i++) {
		int kb = i < e->nr ? e->sizes[i][0] : 4;
		int pte = i < e->nr ? e->sizes[i][1] : 0;

		for (m = 0; m < NR_METHODS; m++)
			if (m != DAMOS || damon)
				pageout_one(kb, pte, m);
	}
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * PROBE_PAIRS pairs of runs, probes off and on, each pair in the other
 * order from the last so that drift within a pair cancels out.  One
 * pair's ratio moves by several percent under TCG, so the median of the
 * pairs' overheads is the figure, with the lowest and highest beside it.
 */
static void bench_probes(int large_kb)
{
	int sizes[] = { 4, large_kb }, i, rep;

	for (i = 0; i < 2; i++) {
		double off = 0, on = 0, pct[PROBE_PAIRS];
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
			pct[rep] = (t[1] / t[0] - 1) * 100;
		}
		knob_write("probes", "on");
		qsort(pct, PROBE_PAIRS, sizeof(pct[0]), cmp_double);
		printf("BENCH {\"kind\": \"probes\", \"size\": \"%s\", \"mib\": %lu, \"runs\": %d, \"off_secs\": %.6f, \"on_secs\": %.6f, \"overhead_pct\": %.2f, \"overhead_min_pct\": %.2f, \"overhead_max_pct\": %.2f, \"bad_pages\": %zu}\n",
		       size_name(sizes[i]), PAGEOUT_LEN >> 20, PROBE_PAIRS, off,
		       on, pct[PROBE_PAIRS / 2], pct[0], pct[PROBE_PAIRS - 1],
		       bad);
		tap(!bad, "bench probes %s: median overhead %+.1f%% (%+.1f%% to %+.1f%%) over %d pairs, memory identical",
		    size_name(sizes[i]), pct[PROBE_PAIRS / 2], pct[0],
		    pct[PROBE_PAIRS - 1], PROBE_PAIRS);
	}
}

/* ------------------------------------------------------------------ */
/* PTE-table reclaim                                                   */

/*
 * @n tables: one page touched in each, zapped with MADV_DONTNEED, except
 * every 100th which keeps a page of data (checked after the walk).
 */
static void pte_one(size_t n)
{
	size_t len = n * PMD_SZ, i, bad = 0, kept = 0;
	long long before, after;
	struct run r;
	char *p = map_sparse(len);

	for (i = 0; i < n; i++)
		fill(p + i * PMD_SZ, PAGE_SZ, i);
	for (i = 0; i < n; i++) {
		if (i % 100 == 0)
			kept++;
		else
			madvise(p + i * PMD_SZ, PAGE_SZ, MADV_DONTNEED);
	}
	before = self_pte_kb();
	walk(0, p, len, "pte_reclaim", PARTIAL, 512, &r);
	after = self_pte_kb();
	for (i = 0; i < n; i++)
		if (i % 100 == 0 ? verify(p + i * PMD_SZ, PAGE_SZ, i) :
		    *(volatile uint64_t *)(p + i * PMD_SZ) != 0)
			bad++;
	munmap(p, len);
	printf("BENCH {\"kind\": \"pte_reclaim\", \"tables\": %zu, \"empty\": %zu, \"freed\": %lld, \"bytes_freed\": %lld, \"ns\": %lld, \"vmpte_before_kb\": %lld, \"vmpte_after_kb\": %lld, \"bad_pages\": %zu, \"error\": \"%s\"}\n",
	       n, n - kept, r.c.v[RL_C_pte_reclaim_tables_freed],
	       r.c.v[RL_C_pte_reclaim_bytes_freed], r.elapsed_ns, before,
	       after, bad, r.rc ? errname(r.rc) : "");
	tap(!r.rc && !bad &&
	    r.c.v[RL_C_pte_reclaim_tables_freed] == (long long)(n - kept),
	    "bench pte_reclaim %zu tables: %lld freed in %.3f ms, data intact",
	    n, r.c.v[RL_C_pte_reclaim_tables_freed], r.elapsed_ns / 1e6);
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
	struct zap_run k, m;
	long long kernel_freed, module_freed;

	zap_tables(n, PMD_SZ, 0, &k);
	zap_tables(n, PAGE_SZ, 1, &m);
	kernel_freed = (k.pte_kb[0] - k.pte_kb[1]) / 4;
	module_freed = m.walk.c.v[RL_C_pte_reclaim_tables_freed];
	printf("BENCH {\"kind\": \"upstream\", \"tables\": %zu, \"kernel_secs\": %.6f, \"kernel_freed\": %lld, \"module_secs\": %.6f, \"module_walk_ns\": %lld, \"module_kernel_freed\": %lld, \"module_freed\": %lld, \"module_vmpte_drop_kb\": %lld, \"bad_pages\": %zu, \"error\": \"%s\"}\n",
	       n, k.secs, kernel_freed, m.secs, m.walk.elapsed_ns,
	       (m.pte_kb[0] - m.pte_kb[1]) / 4, module_freed,
	       m.pte_kb[1] - m.pte_kb[2], k.bad + m.bad,
	       m.walk.rc ? errname(m.walk.rc) : "");
	tap(!m.walk.rc && !k.bad && !m.bad,
	    "bench upstream vs module, %zu tables: kernel freed %lld on MADV_DONTNEED 2 MiB; module freed %lld",
	    n, kernel_freed, module_freed);
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
	printf("BENCH {\"kind\": \"reference\", \"steps\": %lu, \"workload_secs\": %.3f, \"vmpte_start_kb\": %lld, \"vmpte_kernel_kb\": %lld, \"vmpte_module_kb\": %lld, \"freed\": %lld, \"ns\": %lld, \"upstream_with_kb\": 240, \"upstream_without_kb\": 102640, \"bad_pages\": %zu, \"error\": \"%s\"}\n",
	       REF_STEPS, secs, base, kernel, module,
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
	uname(&u);
	printf("BENCH {\"kind\": \"kernel\", \"release\": \"%s\"}\n",
	       u.release);
	if (want("pageout"))
		bench_pageout(&e);
	if (want("probes"))
		bench_probes(have_mthp() ? 64 : 2048);
	if (want("pte")) {
		pte_one(1000);
		pte_one(10000);
		pte_one(100000);
	}
	if (want("upstream")) {
		upstream_vs_module(10000);
		for (i = 0; i < NR_COV; i++)
			coverage_one(i);
	}
	if (want("reference"))
		reference();
	return walker_end("bench_reclaim", &e, 0);
}
