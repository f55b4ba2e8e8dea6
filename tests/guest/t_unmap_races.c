// SPDX-License-Identifier: GPL-2.0
/*
 * The pageout walker's batched unmap (`unmap batched`, issue 14) racing
 * what can change a folio's PTEs, references or swap while it goes out;
 * every byte is checked afterwards and the fallbacks are shown by reason:
 *
 * - churn: mprotect toggling inside folios (break-before-make),
 *   MADV_DONTNEED and refaults of whole folios, and reads while the walker
 *   unmaps them in batches; every folio holds its latest contents;
 * - fork: children fork off, read and COW-write the region while the
 *   walker unmaps it in batches; each sees its own data, and SwapFree is
 *   back once all have exited and the region is gone;
 * - writes: a thread on another CPU keeps writing fresh words into the
 *   pages while the walker unmaps them in batches (every other folio
 *   shared with a child, which the walker passes over, so a PMD's flush
 *   covers a broken run of folios): no write is lost, so every
 *   folio's flush came before reclaim wrote it;
 * - odirect: O_DIRECT reads from a zram disk land in random pages (GUP
 *   pins them for the I/O) while the walker unmaps in batches;
 * - swapfull: only 8 MiB of swap for 16 MiB: the batched unmap falls back
 *   for want of swap, nothing is lost;
 * - swapoff: folios the walker swapped out whole come back on swapoff
 *   (the mm is on the list swapoff walks);
 * - kill: the target killed while its folios go out, many times: no
 *   error but ESRCH, swap comes back.
 * t_adv_races loops unmap batched in its scenarios too (munmap, mremap,
 * uffd, KSM, memory pressure, ...).
 *
 * ./t_unmap_races [WORDS]: only the groups whose name contains one of the
 * comma-separated WORDS.
 */
#include "walker_lib.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/swap.h>
#include <sys/wait.h>
/* ------------------------------------------------------------------ */
/* races: the walker looping with unmap batched while something churns */

#define RACE_LEN (16UL << 20)
#define RACE_PAGES (RACE_LEN / PAGE_SZ)

static volatile int race_stop;
static long race_runs, race_errors;
static void *race_p;
static pid_t race_pid;		/* 0: this process */

static void *batched_walker_loop(void *unused)
{
	struct run r;

	(void)unused;
	while (!race_stop) {
		walk_unmap = "batched";
		walk(race_pid, race_p, RACE_LEN, "pageout", PARTIAL, 512, &r);
		race_runs++;
		if ((r.rc && r.rc != ESRCH) || (r.result && r.result != -ESRCH)) {
			race_errors++;
			diag("batched walk: %s, result %lld", errname(r.rc),
			     r.result);
		}
	}
	walk_unmap = "kernel";
	return NULL;
}

/* Starts the loop on [p, p + RACE_LEN) of @pid; the stats before. */
static pthread_t race_start(pid_t pid, void *p, struct rl_counters *c0)
{
	pthread_t t;

	counters_read("stats", c0);
	race_stop = 0;
	race_pid = pid;
	race_p = p;
	race_runs = race_errors = 0;
	pthread_create(&t, NULL, batched_walker_loop, NULL);
	return t;
}

/* Stops it; asserts it ran without error and shows what it did. */
static void race_end(const char *name, pthread_t t,
		     const struct rl_counters *c0)
{
	struct rl_counters c1;
	char fb[512];

	race_stop = 1;
	pthread_join(t, NULL);
	counters_read("stats", &c1);
	tap(race_runs > 0 && race_errors == 0 &&
	    c1.v[RL_C_unmap_batched] > c0->v[RL_C_unmap_batched],
	    "%s: %ld batched walks, %ld failed; %lld folios unmapped in batches; fallbacks:%s",
	    name, race_runs, race_errors,
	    c1.v[RL_C_unmap_batched] - c0->v[RL_C_unmap_batched],
	    unmap_fallbacks(c0, &c1, fb, sizeof(fb)));
}

static long long swap_free_kb(void)
{
	return field_in("/proc/meminfo", "SwapFree");
}

/*
 * Swap is back: SwapFree within the per-CPU swap slot caches (64 slots a
 * CPU on 6.1 and 6.12) of @before, once reclaim of swap cache settles.
 */
static void expect_swap_back(const char *name, long long before)
{
	long long slack = sysconf(_SC_NPROCESSORS_ONLN) * 64 * 4, now_kb = 0;
	int i;

	for (i = 0; i < 50; i++) {
		now_kb = swap_free_kb();
		if (now_kb >= before - slack)
			break;
		usleep(100000);
	}
	tap(now_kb >= before - slack,
	    "%s: SwapFree back (%lld -> %lld kB, slot caches allow %lld)",
	    name, before, now_kb, slack);
}


/* The contents of folio @f of generation @gen: its own fill. */
static uint64_t churn_seed(long f, int gen)
{
	return 0xc4a00000ULL + f * 1000 + gen;
}

static void churn_case(int kb, int pte_mapped)
{
	const size_t fsz = (size_t)kb * 1024;
	const long folios = RACE_LEN / fsz;
	static int gen[RACE_LEN / (16 * 1024)];
	long ops[3] = { 0 }, bad = 0, f;
	struct rl_counters c0;
	unsigned int rs = 77;
	char name[128];
	double t_end;
	pthread_t t;
	char *p;

	unmap_case_name(name, sizeof(name), "churn", kb, pte_mapped);
	p = populate(RACE_LEN, kb, pte_mapped, 1);
	for (f = 0; f < folios; f++) {
		gen[f] = 0;
		fill(p + f * fsz, fsz, churn_seed(f, 0));
	}
	t = race_start(0, p, &c0);
	for (t_end = now() + 4; now() < t_end;) {
		char *folio;
		size_t off, n;
		int op = rand_r(&rs) % 3;

		f = rand_r(&rs) % folios;
		folio = p + f * fsz;
		ops[op]++;
		switch (op) {
		case 0:	/* break-before-make on a part of the folio */
			off = (rand_r(&rs) % (fsz / PAGE_SZ)) * PAGE_SZ;
			n = (1 + rand_r(&rs) % 4) * PAGE_SZ;
			if (off + n > fsz)
				n = fsz - off;
			mprotect(folio + off, n, PROT_READ);
			mprotect(folio + off, n, PROT_READ | PROT_WRITE);
			break;
		case 1:	/* gone, and faulted in again with new contents */
			madvise(folio, fsz, MADV_DONTNEED);
			fill(folio, fsz, churn_seed(f, ++gen[f]));
			break;
		default:	/* read back, swapping in what went out */
			bad += verify(folio, fsz, churn_seed(f, gen[f])) != 0;
		}
		usleep(200);
	}
	race_end(name, t, &c0);
	for (f = 0; f < folios; f++)
		bad += verify(p + f * fsz, fsz, churn_seed(f, gen[f])) != 0;
	tap(bad == 0,
	    "%s: %ld mprotect toggles, %ld zaps and refaults, %ld reads; every folio holds its latest contents (%ld did not)",
	    name, ops[0], ops[1], ops[2], bad);
	munmap(p, RACE_LEN);
}

/* A child: reads the whole region, COW-writes 64 pages, checks all. */
static int fork_child(char *p, uint64_t seed, unsigned int rs)
{
	static unsigned char mine[RACE_PAGES];
	size_t i, pg, bad = 0;

	for (i = 0; i < 64; i++) {
		pg = rand_r(&rs) % RACE_PAGES;
		mine[pg] = 1;
		fill(p + pg * PAGE_SZ, PAGE_SZ, 0xc41d + pg);
	}
	for (pg = 0; pg < RACE_PAGES; pg++) {
		uint64_t *w = (uint64_t *)(p + pg * PAGE_SZ);

		if (mine[pg])
			bad += verify((char *)w, PAGE_SZ, 0xc41d + pg);
		else
			bad += w[0] != pattern_word(pg * PAGE_SZ / 8, seed) ||
			       w[511] != pattern_word(pg * PAGE_SZ / 8 + 511,
						      seed);
	}
	return bad ? 1 : 0;
}

static void fork_case(int kb, int pte_mapped)
{
	uint64_t seed = 0xf02c0000 + kb;
	long long swap0 = swap_free_kb();
	struct rl_counters c0;
	long children = 0, failed = 0;
	double t_end;
	pthread_t t;
	char name[128];
	char *p;

	unmap_case_name(name, sizeof(name), "fork", kb, pte_mapped);
	p = populate(RACE_LEN, kb, pte_mapped, seed);
	t = race_start(0, p, &c0);
	for (t_end = now() + 4; now() < t_end; children++) {
		int status;
		pid_t c = fork();

		if (c == 0)
			_exit(fork_child(p, seed, children * 7919 + 1));
		if (c < 0 || waitpid(c, &status, 0) != c ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	race_end(name, t, &c0);
	tap(children > 0 && failed == 0,
	    "%s: %ld children each saw their own data (%ld did not)", name,
	    children, failed);
	expect_identical(name, p, RACE_LEN, seed);
	munmap(p, RACE_LEN);
	expect_swap_back(name, swap0);
}

struct writer {
	char *p;
	uint32_t *ver;			/* each page's last version written */
	volatile int stop;
	long writes;
};

/* A page's first word: its number and the version last written. */
static uint64_t writes_word(long pg, uint32_t v)
{
	return (uint64_t)pg << 32 | v;
}

static void *write_loop(void *arg)
{
	struct writer *w = arg;
	int cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int rs = 99;

	/* another CPU than the checker's: its TLB holds the entries */
	pin_to(cpus - 1);
	while (!w->stop) {
		long pg = rand_r(&rs) % RACE_PAGES;
		uint32_t v = w->ver[pg] + 1;

		*(volatile uint64_t *)(w->p + pg * PAGE_SZ) =
			writes_word(pg, v);
		/* the word before the version: a reader that sees v sees it */
		__atomic_store_n(&w->ver[pg], v, __ATOMIC_RELEASE);
		w->writes++;
	}
	return NULL;
}

static void writes_case(int kb, int pte_mapped)
{
	static uint32_t ver[RACE_PAGES];
	const size_t fsz = (size_t)kb * 1024;
	struct writer w = { .ver = ver };
	size_t off;
	long bad = 0, stale = 0, checks = 0, pg;
	unsigned int rs = 7;
	struct rl_counters c0;
	char name[128];
	pthread_t t, wt;
	double t_end;
	pid_t child;

	unmap_case_name(name, sizeof(name), "writes", kb, pte_mapped);
	w.p = populate(RACE_LEN, kb, pte_mapped, 2);
	for (pg = 0; pg < (long)RACE_PAGES; pg++) {
		ver[pg] = 0;
		*(uint64_t *)(w.p + pg * PAGE_SZ) = writes_word(pg, 0);
	}
	/*
	 * Every other folio shared with a child: passed over, beside the
	 * batches (whole folios kept out of it stay in VMAs of their own).
	 */
	for (off = 0; off < RACE_LEN; off += 2 * fsz)
		madvise(w.p + off, fsz, MADV_DONTFORK);
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		pause();
		_exit(0);
	}
	t = race_start(0, w.p, &c0);
	if (pthread_create(&wt, NULL, write_loop, &w))
		die("pthread_create");
	/*
	 * Meanwhile this thread reads pages the writer wrote: a page that
	 * shows an older version than one already written lost that write
	 * (it went through a stale TLB entry into a page on its way out).
	 */
	for (t_end = now() + 4; now() < t_end; checks++) {
		uint32_t v;
		uint64_t got;

		pg = rand_r(&rs) % RACE_PAGES;
		v = __atomic_load_n(&ver[pg], __ATOMIC_ACQUIRE);
		got = *(volatile uint64_t *)(w.p + pg * PAGE_SZ);
		if (got >> 32 != (uint64_t)pg || (uint32_t)got < v)
			stale++;
	}
	w.stop = 1;
	pthread_join(wt, NULL);
	race_end(name, t, &c0);
	for (pg = 0; pg < (long)RACE_PAGES; pg++)
		bad += *(volatile uint64_t *)(w.p + pg * PAGE_SZ) !=
		       writes_word(pg, ver[pg]);
	tap(w.writes > 0 && checks > 0 && stale == 0 && bad == 0,
	    "%s: %ld writes from another CPU during the batched walks, %ld reads beside them: none saw a lost write (%ld did), every page holds its last one (%ld do not)",
	    name, w.writes, checks, stale, bad);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	munmap(w.p, RACE_LEN);
}

#define DISK_BLOCKS 256		/* 1 MiB of pattern on the disk */

/* 1 if the page at @page differs from words @first.. of fill(seed). */
static int page_differs(const char *page, size_t first, uint64_t seed)
{
	const uint64_t *w = (const uint64_t *)page;
	size_t i;

	for (i = 0; i < PAGE_SZ / 8; i++)
		if (w[i] != pattern_word(first + i, seed))
			return 1;
	return 0;
}

static void odirect_case(int kb, int pte_mapped)
{
	static int block_of[RACE_PAGES];	/* -1: the fill */
	uint64_t seed = 0x0d10000 + kb;
	struct rl_counters c0;
	long reads = 0, bad = 0, pg;
	char name[128], dev[32], *p, *disk;
	int id, fd;
	double t_end;
	pthread_t t;

	unmap_case_name(name, sizeof(name), "O_DIRECT", kb, pte_mapped);
	id = zram_add(4);
	snprintf(dev, sizeof(dev), "/dev/zram%d", id);
	fd = id < 0 ? -1 : open(dev, O_RDWR | O_DIRECT);
	disk = map_aligned(DISK_BLOCKS * PAGE_SZ);
	fill(disk, DISK_BLOCKS * PAGE_SZ, seed ^ 0xd15c);
	if (fd < 0 || pwrite(fd, disk, DISK_BLOCKS * PAGE_SZ, 0) !=
			      (ssize_t)(DISK_BLOCKS * PAGE_SZ)) {
		tap(0, "%s: setup: a zram disk for O_DIRECT (%s)", name,
		    strerror(errno));
		goto out;
	}
	for (pg = 0; pg < (long)RACE_PAGES; pg++)
		block_of[pg] = -1;
	p = populate(RACE_LEN, kb, pte_mapped, seed);
	t = race_start(0, p, &c0);
	for (t_end = now() + 4; now() < t_end; reads++) {
		int b = rand() % DISK_BLOCKS;

		pg = rand() % RACE_PAGES;
		if (pread(fd, p + pg * PAGE_SZ, PAGE_SZ, b * PAGE_SZ) !=
		    (ssize_t)PAGE_SZ) {
			bad++;
			break;
		}
		block_of[pg] = b;
	}
	race_end(name, t, &c0);
	for (pg = 0; pg < (long)RACE_PAGES; pg++) {
		const char *page = p + pg * PAGE_SZ;

		if (block_of[pg] < 0)
			bad += page_differs(page, pg * PAGE_SZ / 8, seed);
		else
			bad += memcmp(page, disk + block_of[pg] * PAGE_SZ,
				      PAGE_SZ) != 0;
	}
	tap(reads > 0 && bad == 0,
	    "%s: %ld O_DIRECT reads into the region; every page holds what it must (%ld pages not)",
	    name, reads, bad);
	munmap(p, RACE_LEN);
out:
	if (fd >= 0)
		close(fd);
	munmap(disk, DISK_BLOCKS * PAGE_SZ);
	if (id > 0)
		zram_remove(id);
}

static void swapfull_case(int kb, int pte_mapped)
{
	uint64_t seed = 0x5ff00000 + kb;
	char name[128], dev[40], cmd[96];
	struct run r;
	int id;
	char *p;

	unmap_case_name(name, sizeof(name), "swap full", kb, pte_mapped);
	id = zram_add(8);
	snprintf(dev, sizeof(dev), "/dev/zram%d", id);
	snprintf(cmd, sizeof(cmd), "mkswap %s >/dev/null", dev);
	if (id < 0 || system(cmd) || swapon(dev, 0) ||
	    swapoff("/dev/zram0")) {
		tap(0, "%s: setup: 8 MiB of swap on %s instead of zram0 (%s)",
		    name, dev, strerror(errno));
		if (id > 0) {
			swapoff(dev);
			zram_remove(id);
		}
		return;
	}
	p = populate(RACE_LEN, kb, pte_mapped, seed);
	walk_batched(name, p, RACE_LEN, &r);
	tap(U(&r, fallback_no_swap) > 0 && U(&r, batched) > 0,
	    "%s: %lld folios unmapped in batches until swap ran out, then %lld left to the kernel for want of swap",
	    name, U(&r, batched), U(&r, fallback_no_swap));
	expect_identical(name, p, RACE_LEN, seed);
	munmap(p, RACE_LEN);
	if (swapon("/dev/zram0", 0) || swapoff(dev))
		tap(0, "%s: swap back on zram0 (%s)", name, strerror(errno));
	zram_remove(id);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void swapoff_case(int kb, int pte_mapped)
{
	const long pages = RACE_LEN / PAGE_SZ;
	uint64_t seed = 0x5a0f0000 + kb;
	struct sigaction sa = { .sa_handler = on_alarm };
	struct span after;
	struct run r;
	char name[128];
	int err = 0;
	char *p;

	unmap_case_name(name, sizeof(name), "swapoff", kb, pte_mapped);
	p = populate(RACE_LEN, kb, pte_mapped, seed);
	walk_batched(name, p, RACE_LEN, &r);
	scan(0, p, RACE_LEN, &after);
	tap(U(&r, batched) == (long long)(RACE_LEN / 1024 / kb) &&
	    after.swapped == pages,
	    "%s: %lld folios swapped out in batches, %ld of %ld pages in swap",
	    name, U(&r, batched), after.swapped, pages);
	/* swapoff finds them through the mm list, or never ends: 60 s */
	sigaction(SIGALRM, &sa, NULL);
	alarm(60);
	if (swapoff("/dev/zram0"))
		err = errno;
	alarm(0);
	scan(0, p, RACE_LEN, &after);
	tap(!err && after.present == pages && after.swapped == 0,
	    "%s: swapoff brought every page back (%s; %ld present, %ld in swap)",
	    name, errname(err), after.present, after.swapped);
	if (swapon("/dev/zram0", 0))
		tap(0, "%s: swap back on (%s)", name, strerror(errno));
	expect_identical(name, p, RACE_LEN, seed);
	munmap(p, RACE_LEN);
}

static void kill_case(int kb, int pte_mapped)
{
	long long swap0 = swap_free_kb();
	uint64_t seed = 0x4111000 + kb;
	long rounds = 0, bad = 0, esrch = 0;
	long long batched = 0;
	char name[128];

	unmap_case_name(name, sizeof(name), "target killed", kb, pte_mapped);
	for (rounds = 0; rounds < 12; rounds++) {
		int go[2], status;
		struct run r;
		pid_t t, killer;

		if (pipe(go))
			die("pipe");
		t = fork();
		if (t == 0) {
			char *p = populate(RACE_LEN, kb, pte_mapped, seed);

			if (write(go[1], &p, sizeof(p)) != sizeof(p))
				_exit(1);
			for (;;)
				pause();
		}
		{
			char *tp;

			if (read(go[0], &tp, sizeof(tp)) != sizeof(tp))
				die("target");
			/*
			 * Selected while alive (a zombie's pid is refused),
			 * killed from then on: the trigger must end cleanly.
			 */
			memset(&r, 0, sizeof(r));
			walk_unmap = "batched";
			if (request(t, tp, RACE_LEN, "pageout", PARTIAL, 512))
				die("selecting the target");
			walk_unmap = "kernel";
			killer = fork();
			if (killer == 0) {
				usleep(1000 * (rounds * 5 % 60));
				kill(t, SIGKILL);
				_exit(0);
			}
			trigger(&r);
		}
		if (U(&r, batched) > 0)
			batched += U(&r, batched);
		if (r.rc == ESRCH || r.result == -ESRCH)
			esrch++;
		else if (r.rc || r.result)
			bad++;
		waitpid(killer, NULL, 0);
		waitpid(t, &status, 0);
		close(go[0]);
		close(go[1]);
	}
	tap(bad == 0,
	    "%s: %ld walks of a target killed meanwhile: none failed but with ESRCH (%ld did; %lld folios unmapped in batches before the end)",
	    name, rounds, esrch, batched);
	expect_swap_back(name, swap0);
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	struct walker_env e;
	int kb, pte;

	walker_start(argc, argv, &e);
	/* the smallest large folio the kernel has */
	kb = e.cut_kb;
	pte = e.cut_pte;
	if (want("churn"))
		churn_case(kb, pte);
	if (want("fork"))
		fork_case(kb, pte);
	if (want("writes"))
		writes_case(kb, pte);
	if (want("odirect"))
		odirect_case(kb, pte);
	if (want("swapfull"))
		swapfull_case(kb, pte);
	if (want("swapoff"))
		swapoff_case(kb, pte);
	if (want("kill"))
		kill_case(kb, pte);
	return walker_end("t_unmap_races", &e, rl_failures);
}
