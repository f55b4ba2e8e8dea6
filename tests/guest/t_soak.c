// SPDX-License-Identifier: GPL-2.0
/*
 * Soak (make soak): for a bounded time, a target process that changes its
 * workload every few seconds (large folios of every size, small pages, a
 * sparse mapping, zapped and paged out in parts, every page checked) while
 * this process runs every walker on it in turn, and the stock
 * MADV_PAGEOUT runs inside the target.  Each target is killed and replaced
 * now and then.  At the end, with every target gone: swap slots and
 * page-table pages are back to what they were before the first target,
 * every target found its data intact, and no walker run failed.  The
 * caller (run-all.sh) then unloads the module and checks what it left.
 * Usage: t_soak [seconds [stock|WALKER]]   (default 300; "stock": no
 * walker, the baseline the leak checks can be compared with; a walker's
 * name: that walker only)
 */
#include "walker_lib.h"
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#define SOAK_LEN (16UL << 20)

static const char *const walkers[][2] = {
	{ "pageout", "0" }, { "cold", "0" }, { "pte_reclaim", "0" },
	{ "pte_reclaim", "1" },
};

/* The target: a new workload every round, each one checked. */
static void target(unsigned int seed, int pipe_fd)
{
	int sizes[NR_MTHP + 1], nr = 0, i;

	sizes[nr++] = 4;
	for (i = 0; have_mthp() && i < NR_MTHP; i++)
		sizes[nr++] = mthp_kb[i];
	if (!have_mthp())
		sizes[nr++] = 2048;
	for (;;) {
		int kb = sizes[rand_r(&seed) % nr];
		uint64_t s = rand_r(&seed);
		char *p = populate(SOAK_LEN, kb, rand_r(&seed) % 2, s);
		size_t k, bad;

		for (k = 0; k < 50; k++) {
			size_t off = (rand_r(&seed) % (SOAK_LEN / PAGE_SZ)) * PAGE_SZ;

			if (rand_r(&seed) % 4 == 0)
				madvise(p + off, PAGE_SZ, MADV_PAGEOUT);
			usleep(10000);
		}
		bad = verify(p, SOAK_LEN, s);
		if (bad && write(pipe_fd, &bad, sizeof(bad)) < 0)
			_exit(2);
		munmap(p, SOAK_LEN);
	}
}

/* kB of page tables of every process (their VmPTE), to tell what is theirs. */
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

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 300, t0 = now(), t_new = 0;
	int stock_only = argc > 2 && !strcmp(argv[2], "stock");
	/* one walker only (pageout, cold, pte_reclaim), to tell them apart */
	const char *only = argc > 2 && !stock_only ? argv[2] : NULL;
	long long swap0, pt0, swap1, pt1, procs0, procs1, cached1, slack;
	long runs = 0, failed = 0, targets = 0, bad_reports = 0;
	char *wargv[] = { argv[0], NULL };
	unsigned int seed = 7;
	struct walker_env e;
	pid_t pid = 0;
	int fds[2], i = 0;

	walker_start(1, wargv, &e);
	if (pipe(fds))
		die("pipe");
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	swap0 = field_in("/proc/meminfo", "SwapFree");
	pt0 = field_in("/proc/meminfo", "PageTables");
	procs0 = all_processes_pte_kb();
	while (now() - t0 < secs) {
		struct run r;
		size_t bad;

		if (!pid || now() > t_new) {
			if (pid) {
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
			}
			pid = fork();
			if (pid == 0) {
				close(fds[0]);
				target(seed + targets, fds[1]);
			}
			targets++;
			t_new = now() + 5 + rand_r(&seed) % 10;
			usleep(200000);
		}
		if (stock_only) {	/* the baseline: no walker at all */
			usleep(100000);
		} else if (only && strcmp(walkers[i][0], only)) {
			i = (i + 1) % (int)(sizeof(walkers) / sizeof(walkers[0]));
		} else {
			knob_write("pte_reclaim_zero", walkers[i][1]);
			walk(pid, NULL, 0, walkers[i][0], rand_r(&seed) % 3,
			     rand_r(&seed) % 2 ? 512 : 1 + rand_r(&seed) % 64,
			     &r);
			runs++;
			/* a target killed between two runs may be gone */
			if ((r.rc && r.rc != ESRCH) ||
			    (r.result && r.result != -ESRCH)) {
				failed++;
				diag("soak: %s on %d: %s, result %lld",
				     walkers[i][0], pid, errname(r.rc),
				     r.result);
			}
			i = (i + 1) % (int)(sizeof(walkers) / sizeof(walkers[0]));
		}
		while (read(fds[0], &bad, sizeof(bad)) == sizeof(bad)) {
			bad_reports++;
			diag("soak: a target found %zu bad pages", bad);
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	knob_write("pte_reclaim_zero", "0");
	/*
	 * Page tables freed through RCU (pte_free_defer(), 6.5+) leave
	 * PageTables only when their grace period has passed: wait until it
	 * holds still for half a second (at most 10 s).
	 */
	{
		long long last = -1, v;
		int still = 0, n;

		for (n = 0; n < 100 && still < 5; n++) {
			usleep(100000);
			v = field_in("/proc/meminfo", "PageTables");
			still = v == last ? still + 1 : 0;
			last = v;
		}
	}
	swap1 = field_in("/proc/meminfo", "SwapFree");
	cached1 = field_in("/proc/meminfo", "SwapCached");
	pt1 = field_in("/proc/meminfo", "PageTables");
	procs1 = all_processes_pte_kb();
	/*
	 * Slots still held once the targets are gone: by swap-cache folios
	 * no one maps (the kernel drops them lazily, SwapCached) and by the
	 * per-CPU swap slot caches before 6.15 (64 slots to hand out and 64
	 * returned ones a CPU, SWAP_SLOTS_CACHE_SIZE).
	 */
	slack = cached1 + 2 * 64 * 4 * sysconf(_SC_NPROCESSORS_ONLN);
	diag("soak: %.0f s, %ld targets, %ld walker runs", now() - t0, targets,
	     runs);
	tap(failed == 0 && (stock_only || runs > 0),
	    "soak: %ld walker runs, %ld failed", runs, failed);
	tap(bad_reports == 0, "soak: every target found its data intact (%ld reports)",
	    bad_reports);
	if (stock_only) {
		/*
		 * The baseline run, first in a boot: the stock kernel alone
		 * moves PageTables by a few pages here (seen: -32 kB on 6.1,
		 * +24 kB on 6.12, with no process's VmPTE moving), so the
		 * walkers' run is judged after it.
		 */
		diag("soak baseline (no walker): SwapFree %lld -> %lld kB, PageTables %lld -> %lld kB, the live processes' VmPTE %lld -> %lld kB",
		     swap0, swap1, pt0, pt1, procs0, procs1);
		return walker_end("t_soak", &e, rl_failures);
	}
	tap(swap1 >= swap0 - slack,
	    "soak: swap slots released with the targets (SwapFree %lld -> %lld kB; SwapCached %lld kB, slot caches)",
	    swap0, swap1, cached1);
	tap(pt1 - pt0 <= procs1 - procs0 + 16,
	    "soak: page-table pages back: PageTables %lld -> %lld kB, the live processes' VmPTE %lld -> %lld kB",
	    pt0, pt1, procs0, procs1);
	return walker_end("t_soak", &e, rl_failures);
}
