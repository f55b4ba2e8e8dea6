// SPDX-License-Identifier: GPL-2.0
/*
 * Soak (make soak): for a bounded time, a target process that changes its
 * workload every round (large folios of every size or small pages, paged
 * out in parts, and a sparse mapping whose pages are zapped so that its
 * PTE tables are left empty) while this process runs every walker on it
 * in turn, and the stock MADV_PAGEOUT runs inside the target.  Each target
 * is killed and replaced now and then.
 *
 * Two phases in one boot, the same workload in each: first the stock
 * kernel alone (no walker), then the walkers, with the background mode
 * (auto_interval_ms 500) on beside them.  After each, with every
 * target gone: swap slots are back, every target found its data intact,
 * no walker run failed, and the page-table pages that belong to no
 * process (PageTables minus every process's VmPTE) did not grow in the
 * walkers' phase by more than the stock kernel let them move in its own.
 * The caller (run-all.sh) then unloads the module and checks what it left.
 *
 * Usage: t_soak [seconds [WALKER]]  (default 300 s of walkers after a
 * stock phase of half that, at least 30 s; WALKER: that walker only)
 */
#include "walker_lib.h"
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#define SOAK_LEN (16UL << 20)
#define SPARSE_TABLES 128UL
#define SPARSE_LEN (SPARSE_TABLES * PMD_SZ)
/* the background mode's interval in the walkers' phase */
#define SOAK_AUTO_MS "500"
/* kB the unowned page tables may move beyond the stock phase's drift */
#define PT_NOISE_KB 16

/* walker, pte_reclaim_zero, unmap */
static const char *const walkers[][3] = {
	{ "pageout", "0", "kernel" }, { "pageout", "0", "batched" },
	{ "cold", "0", "kernel" }, { "pte_reclaim", "0", "kernel" },
	{ "pte_reclaim", "1", "kernel" },
};

#define NR_WALKERS ((int)(sizeof(walkers) / sizeof(walkers[0])))

/*
 * One page per PTE table of the sparse mapping, written, read back and
 * zapped: SPARSE_TABLES empty tables that only pte_reclaim gives back
 * before munmap.  Returns the pages that read back wrong.
 */
static size_t sparse_round(char *q, uint64_t s)
{
	size_t off, bad = 0;

	for (off = 0; off < SPARSE_LEN; off += PMD_SZ)
		*(volatile uint64_t *)(q + off) = s + off;
	for (off = 0; off < SPARSE_LEN; off += PMD_SZ)
		bad += *(volatile uint64_t *)(q + off) != s + off;
	for (off = 0; off < SPARSE_LEN; off += PMD_SZ)
		madvise(q + off, PAGE_SZ, MADV_DONTNEED);
	return bad;
}

/* After a round: the zapped pages read zero, whoever freed their tables. */
static size_t sparse_check(const char *q)
{
	size_t off, bad = 0;

	for (off = 0; off < SPARSE_LEN; off += PMD_SZ)
		bad += *(volatile const uint64_t *)(q + off) != 0;
	return bad;
}

/* The target: a new workload every round, each one checked. */
static void target(unsigned int seed, int pipe_fd)
{
	int sizes[NR_MTHP + 1], nr = 0, i;
	char *q = map_sparse(SPARSE_LEN);

	sizes[nr++] = 4;
	for (i = 0; have_mthp() && i < NR_MTHP; i++)
		sizes[nr++] = mthp_kb[i];
	if (!have_mthp())
		sizes[nr++] = 2048;
	for (;;) {
		int kb = sizes[rand_r(&seed) % nr];
		uint64_t s = rand_r(&seed);
		char *p = populate(SOAK_LEN, kb, rand_r(&seed) % 2, s);
		size_t k, bad = sparse_round(q, s);

		for (k = 0; k < 50; k++) {
			size_t off = (rand_r(&seed) % (SOAK_LEN / PAGE_SZ)) * PAGE_SZ;

			if (rand_r(&seed) % 4 == 0)
				madvise(p + off, PAGE_SZ, MADV_PAGEOUT);
			usleep(10000);
		}
		bad += verify(p, SOAK_LEN, s) + sparse_check(q);
		if (bad && write(pipe_fd, &bad, sizeof(bad)) < 0)
			_exit(2);
		munmap(p, SOAK_LEN);
	}
}

/* kB of page tables of every process (their VmPTE). */
static long long all_processes_pte_kb(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	long long sum = 0, v;
	char path[64];

	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/status", de->d_name);
		v = field_in(path, "VmPTE");
		if (v > 0)
			sum += v;
	}
	if (d)
		closedir(d);
	return sum;
}

/* What the system looks like between phases, with no target alive. */
struct soak_state {
	long long swap_free, swap_cached, page_tables, processes_pte;
	long long page_tables_unfolded;	/* before vm.stat_refresh */
	long long tables_freed;
};

/*
 * PageTables as it is, not as it was last folded: every CPU keeps its own
 * unfolded share of NR_PAGETABLE (up to its vmstat threshold, 24 pages a
 * CPU in a 2-CPU 3 GiB guest), which /proc/meminfo leaves out until the
 * next vmstat update.  Writing vm.stat_refresh folds them all now.
 */
static long long page_tables_kb(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	if (fd < 0 || write(fd, "1", 1) != 1)
		die("vm.stat_refresh");
	close(fd);
	return field_in("/proc/meminfo", "PageTables");
}

/*
 * Page tables freed through RCU (pte_free_defer(), 6.5+; every table on
 * 7.x) leave PageTables only when their grace period has passed: wait
 * until it holds still for half a second (at most 10 s).
 */
static long long settled(long long (*read_kb)(void))
{
	long long last = -1, v = -1;
	int still = 0, n;

	for (n = 0; n < 100 && still < 5; n++) {
		usleep(100000);
		v = read_kb();
		still = v == last ? still + 1 : 0;
		last = v;
	}
	return v;
}

static long long meminfo_page_tables_kb(void)
{
	return field_in("/proc/meminfo", "PageTables");
}

static void soak_state(struct soak_state *st)
{
	struct rl_counters c;

	/* first as meminfo shows it, for the report only */
	st->page_tables_unfolded = settled(meminfo_page_tables_kb);
	settled(page_tables_kb);
	st->swap_free = field_in("/proc/meminfo", "SwapFree");
	st->swap_cached = field_in("/proc/meminfo", "SwapCached");
	st->processes_pte = all_processes_pte_kb();
	st->page_tables = page_tables_kb();
	counters_read("stats", &c);
	st->tables_freed = c.v[RL_C_pte_reclaim_tables_freed];
}

/* Page-table kB that no process's VmPTE accounts for. */
static long long unowned_pt_kb(const struct soak_state *st)
{
	return st->page_tables - st->processes_pte;
}

struct soak_phase {
	const char *name;
	double secs;
	int stock_only;		/* no walker at all */
	const char *only;	/* one walker only, or NULL for all */
	long runs, failed, targets, bad_reports;
	long long auto_rounds, auto_visited;	/* the background mode's */
	struct soak_state before, after;
};

static void run_phase(struct soak_phase *ph, unsigned int seed)
{
	double t0 = now(), t_new = 0;
	pid_t pid = 0;
	int fds[2], i = 0;
	size_t bad;

	if (pipe(fds))
		die("pipe");
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	soak_state(&ph->before);
	/* the walkers' phase runs the background mode beside the triggers */
	ph->auto_rounds = -field_in(RL_DIR "stats", "auto_rounds");
	ph->auto_visited = -field_in(RL_DIR "stats", "auto_mms_visited");
	if (!ph->stock_only)
		knob_write("auto_interval_ms", SOAK_AUTO_MS);
	while (now() - t0 < ph->secs) {
		struct run r;

		if (!pid || now() > t_new) {
			if (pid) {
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
			}
			pid = fork();
			if (pid == 0) {
				close(fds[0]);
				target(seed + ph->targets, fds[1]);
			}
			ph->targets++;
			t_new = now() + 5 + rand_r(&seed) % 10;
			usleep(200000);
		}
		if (ph->stock_only) {
			usleep(100000);
		} else if (ph->only && strcmp(walkers[i][0], ph->only)) {
			i = (i + 1) % NR_WALKERS;
		} else {
			knob_write("pte_reclaim_zero", walkers[i][1]);
			walk_unmap = walkers[i][2];
			walk(pid, NULL, 0, walkers[i][0], rand_r(&seed) % 3,
			     rand_r(&seed) % 2 ? 512 : 1 + rand_r(&seed) % 64,
			     &r);
			walk_unmap = "kernel";
			ph->runs++;
			/* a target killed between two runs may be gone */
			if ((r.rc && r.rc != ESRCH) ||
			    (r.result && r.result != -ESRCH)) {
				ph->failed++;
				diag("soak: %s on %d: %s, result %lld",
				     walkers[i][0], pid, errname(r.rc),
				     r.result);
			}
			i = (i + 1) % NR_WALKERS;
		}
		while (read(fds[0], &bad, sizeof(bad)) == sizeof(bad)) {
			ph->bad_reports++;
			diag("soak: a target found %zu bad pages", bad);
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	while (read(fds[0], &bad, sizeof(bad)) == sizeof(bad))
		ph->bad_reports++;
	close(fds[0]);
	close(fds[1]);
	knob_write("pte_reclaim_zero", "0");
	knob_write("auto_interval_ms", "0");
	ph->auto_rounds += field_in(RL_DIR "stats", "auto_rounds");
	ph->auto_visited += field_in(RL_DIR "stats", "auto_mms_visited");
	soak_state(&ph->after);
}

/* The checks every phase must pass. */
static void check_phase(const struct soak_phase *ph)
{
	/*
	 * Slots still held once the targets are gone: by swap-cache folios
	 * no one maps (the kernel drops them lazily, SwapCached) and by the
	 * per-CPU swap slot caches before 6.15 (64 slots to hand out and 64
	 * returned ones a CPU, SWAP_SLOTS_CACHE_SIZE).
	 */
	long long slack = ph->after.swap_cached +
			  2 * 64 * 4 * sysconf(_SC_NPROCESSORS_ONLN);

	diag("soak %s: %.0f s, %ld targets, %ld walker runs; PageTables %lld -> %lld kB (unfolded %lld -> %lld), the processes' VmPTE %lld -> %lld kB, unowned %lld -> %lld kB",
	     ph->name, ph->secs, ph->targets, ph->runs,
	     ph->before.page_tables, ph->after.page_tables,
	     ph->before.page_tables_unfolded, ph->after.page_tables_unfolded,
	     ph->before.processes_pte, ph->after.processes_pte,
	     unowned_pt_kb(&ph->before), unowned_pt_kb(&ph->after));
	tap(ph->failed == 0 && (ph->stock_only || ph->runs > 0),
	    "soak %s: %ld walker runs, %ld failed", ph->name, ph->runs,
	    ph->failed);
	tap(ph->stock_only ? ph->auto_rounds == 0 : ph->auto_rounds > 0,
	    "soak %s: the background mode %s (%lld rounds, %lld mms walked)",
	    ph->name, ph->stock_only ? "stayed off" : "ran beside the walkers",
	    ph->auto_rounds, ph->auto_visited);
	tap(ph->targets > 0 && ph->bad_reports == 0,
	    "soak %s: every one of %ld targets found its data intact (%ld reports)",
	    ph->name, ph->targets, ph->bad_reports);
	tap(ph->after.swap_free >= ph->before.swap_free - slack,
	    "soak %s: swap slots released with the targets (SwapFree %lld -> %lld kB; SwapCached %lld kB, slot caches)",
	    ph->name, ph->before.swap_free, ph->after.swap_free,
	    ph->after.swap_cached);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 300;
	struct soak_phase stock = { .name = "stock", .stock_only = 1 };
	struct soak_phase walk_all = { .name = "walkers" };
	char *wargv[] = { argv[0], NULL };
	long long stock_drift, walk_drift, allowed, freed;
	struct walker_env e;

	walker_start(1, wargv, &e);
	stock.secs = secs / 2 > 30 ? secs / 2 : 30;
	walk_all.secs = secs;
	walk_all.only = argc > 2 ? argv[2] : NULL;
	if (walk_all.only)
		walk_all.name = walk_all.only;
	run_phase(&stock, 7);
	check_phase(&stock);
	run_phase(&walk_all, 7);
	check_phase(&walk_all);

	/*
	 * The page-table check.  Every freed user table leaves its mm's
	 * VmPTE at once (the kernel's check_mm() at each target's exit, which
	 * the log scan watches, holds that per mm); a table the walker took
	 * out of an mm but never gave back to the page allocator, or gave
	 * back without its destructor, would stay in PageTables with no
	 * process owning it.  The kernel itself moves that unowned part by
	 * some pages over minutes (its own page tables for vmalloc'd stacks
	 * and module text, tables waiting for RCU), so the walkers' phase is
	 * judged against the stock phase's drift over the same workload.
	 */
	stock_drift = unowned_pt_kb(&stock.after) - unowned_pt_kb(&stock.before);
	walk_drift = unowned_pt_kb(&walk_all.after) -
		     unowned_pt_kb(&walk_all.before);
	allowed = (stock_drift > 0 ? stock_drift : 0) + PT_NOISE_KB;
	freed = walk_all.after.tables_freed - walk_all.before.tables_freed;
	diag("soak: pte_reclaim freed %lld tables (%lld kB) in the walkers' phase: a leak of 1 table in %lld would exceed the allowance",
	     freed, freed * 4, freed * 4 / (allowed + 4));
	tap(walk_all.only || freed >= (long long)SPARSE_TABLES,
	    "soak: pte_reclaim freed the targets' empty tables (%lld, at least %lu)",
	    freed, SPARSE_TABLES);
	tap(walk_drift <= allowed,
	    "soak: page tables no process owns moved %+lld kB with the walkers, %+lld kB with the stock kernel alone (allowed %lld)",
	    walk_drift, stock_drift, allowed);
	return walker_end("t_soak", &e, rl_failures);
}
