// SPDX-License-Identifier: GPL-2.0
/*
 * Adversarial scenarios: each runs for a bounded time while a thread of
 * this process triggers the module's walkers on it in a loop (pageout,
 * pageout with the batched unmap, cold, pageout batch 1 + split always,
 * pte_reclaim with and without the zero-page option) and another pages it
 * out with the stock MADV_PAGEOUT.  What the batched unmap did in each
 * (folios unmapped, fallbacks by reason) is printed.  Afterwards every byte is checked against what the
 * scenario says it must hold.  The guest log scan catches any splat.
 *
 *   mprotect   PTE break-before-make inside large folios (and the
 *              try_to_unmap_one partial-unmap counter)
 *   fork       children COW-write the region
 *   mremap     half of an mTHP range moved elsewhere, and back
 *   munmap     parts of the range unmapped and mapped again
 *   dontneed   MADV_DONTNEED and MADV_FREE of random pages
 *   ksm        KSM merging duplicate pages
 *   uffd       a userfaultfd-missing range filled by a handler thread, and
 *              a uffd-wp protected range
 *   memfd      a shared memfd (shmem) mapping
 *   file       a private and a shared mapping of a file on the rootfs
 *   pressure   another process forcing global reclaim
 * Usage: t_adv_races [seconds per scenario (default 3)] [scenario]
 */
#include "walker_lib.h"
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define LEN (16UL << 20)		/* 8 PMDs of large folios */
#define PAGES (LEN / PAGE_SZ)

static volatile int stop;
static double secs = 3;
static long walk_runs, walk_errors, stock_runs;

static const struct {
	const char *walker;
	int split, batch;
	const char *zero, *unmap;
} walks[] = {
	{ "pageout", PARTIAL, 512, "0", "kernel" },
	{ "pageout", PARTIAL, 512, "0", "batched" },
	{ "cold", PARTIAL, 512, "0", "kernel" },
	{ "pte_reclaim", PARTIAL, 512, "0", "kernel" },
	{ "pageout", ALWAYS, 1, "0", "kernel" },
	{ "pte_reclaim", PARTIAL, 512, "1", "kernel" },
};

/* The module's walkers on the whole of this process, in turn. */
static void *walker_loop(void *unused)
{
	struct run r;
	int i = 0;

	(void)unused;
	while (!stop) {
		knob_write("pte_reclaim_zero", walks[i].zero);
		walk_unmap = walks[i].unmap;
		walk(0, NULL, 0, walks[i].walker, walks[i].split,
		     walks[i].batch, &r);
		walk_unmap = "kernel";
		walk_runs++;
		if (r.rc || r.result) {
			walk_errors++;
			diag("walker %s: %s, result %lld", walks[i].walker,
			     errname(r.rc), r.result);
		}
		i = (i + 1) % (int)(sizeof(walks) / sizeof(walks[0]));
	}
	knob_write("pte_reclaim_zero", "0");
	return NULL;
}

static char *volatile stock_p;
static volatile size_t stock_len;

static void *stock_loop(void *unused)
{
	(void)unused;
	while (!stop) {
		if (stock_p)
			madvise(stock_p, stock_len, MADV_PAGEOUT);
		stock_runs++;
		usleep(1000);
	}
	return NULL;
}

/* Runs @churn (with @arg) for `secs` with both reclaim loops going. */
static void race(const char *name, void (*churn)(void *arg, unsigned int *seed),
		 void *arg, char *p, size_t len)
{
	pthread_t w, s;
	unsigned int seed = 42;
	double t_end = now() + secs;
	long runs0 = walk_runs, err0 = walk_errors;
	struct rl_counters c0, c1;
	char fb[512];

	counters_read("stats", &c0);
	stop = 0;
	stock_p = p;
	stock_len = len;
	pthread_create(&w, NULL, walker_loop, NULL);
	pthread_create(&s, NULL, stock_loop, NULL);
	while (now() < t_end)
		churn(arg, &seed);
	stop = 1;
	pthread_join(w, NULL);
	pthread_join(s, NULL);
	stock_p = NULL;
	tap(walk_runs > runs0 && walk_errors == err0,
	    "%s: %ld walker runs during the churn, %ld failed", name,
	    walk_runs - runs0, walk_errors - err0);
	counters_read("stats", &c1);
	diag("%s: batched unmap: %lld folios, fallbacks:%s", name,
	     c1.v[RL_C_unmap_batched] - c0.v[RL_C_unmap_batched],
	     unmap_fallbacks(&c0, &c1, fb, sizeof(fb)));
}

static char *large_region(int kb, uint64_t seed)
{
	return populate(LEN, kb, 0, seed);
}

/* Words [first, first + len/8) of the fill(seed) pattern, at @p. */
static size_t verify_from(const char *p, size_t len, uint64_t seed,
			  size_t first_word)
{
	const uint64_t *w = (const uint64_t *)p;
	size_t i, bad = 0;

	for (i = 0; i < len / 8; i++) {
		if (w[i] != pattern_word(first_word + i, seed)) {
			bad++;
			i |= PAGE_SZ / 8 - 1;
		}
	}
	return bad;
}

/* ------------------------------------------------------------------ */

static void churn_mprotect(void *arg, unsigned int *seed)
{
	char *p = arg;
	size_t off = (rand_r(seed) % PAGES) * PAGE_SZ;
	size_t n = (1 + rand_r(seed) % 32) * PAGE_SZ;

	if (off + n > LEN)
		n = LEN - off;
	mprotect(p + off, n, PROT_READ);
	mprotect(p + off, n, PROT_READ | PROT_WRITE);
}

static void scenario_mprotect(int kb)
{
	long long left0 = field_in(RL_DIR "stats", "ttu_large_left_mapped");
	char name[64];
	char *p;

	snprintf(name, sizeof(name), "mprotect %s", size_name(kb));
	p = large_region(kb, 1);
	race(name, churn_mprotect, p, p, LEN);
	expect_identical(name, p, LEN, 1);
	diag("%s: try_to_unmap_one left %lld large folios partly mapped (stock kernel behaviour, counted by the probe)",
	     name, field_in(RL_DIR "stats", "ttu_large_left_mapped") - left0);
	munmap(p, LEN);
}

static long child_failures;

/* A child COW-writes 64 random pages, then checks every page. */
static void churn_fork(void *arg, unsigned int *seed)
{
	char *p = arg;
	pid_t child = fork();
	int status;

	if (child == 0) {
		static unsigned char mine[PAGES];
		size_t i, pg, bad = 0;

		for (i = 0; i < 64; i++) {
			pg = rand_r(seed) % PAGES;
			mine[pg] = 1;
			fill(p + pg * PAGE_SZ, PAGE_SZ, 0xc0c0 + pg);
		}
		for (pg = 0; pg < PAGES; pg++)
			bad += mine[pg] ?
			       verify(p + pg * PAGE_SZ, PAGE_SZ, 0xc0c0 + pg) :
			       verify_from(p + pg * PAGE_SZ, PAGE_SZ, 2,
					   pg * PAGE_SZ / 8);
		_exit(bad ? 1 : 0);
	}
	if (child < 0 || waitpid(child, &status, 0) != child ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		child_failures++;
	usleep(20000);
}

static void scenario_fork(int kb)
{
	long f0 = child_failures;
	char name[64];
	char *p;

	snprintf(name, sizeof(name), "fork + COW %s", size_name(kb));
	p = large_region(kb, 2);
	race(name, churn_fork, p, p, LEN);
	tap(child_failures == f0, "%s: every child read its own writes and the parent's data (%ld failed)",
	    name, child_failures - f0);
	expect_identical(name, p, LEN, 2);
	munmap(p, LEN);
}

/* The second half moves to a spare place and back, in turns. */
struct mremap_state {
	char *p, *spare;
	int away;
};

static void churn_mremap(void *arg, unsigned int *seed)
{
	struct mremap_state *m = arg;
	void *to = m->away ? m->p + LEN / 2 : m->spare;
	void *from = m->away ? m->spare : m->p + LEN / 2;

	(void)seed;
	if (mremap(from, LEN / 2, LEN / 2, MREMAP_MAYMOVE | MREMAP_FIXED,
		   to) == MAP_FAILED)
		die("mremap");
	m->away = !m->away;
	usleep(2000);
}

static void scenario_mremap(int kb)
{
	struct mremap_state m;
	char name[64];
	size_t bad;

	snprintf(name, sizeof(name), "mremap half %s", size_name(kb));
	m.p = large_region(kb, 3);
	m.spare = map_aligned(LEN / 2);
	m.away = 0;
	race(name, churn_mremap, &m, m.p, LEN / 2);
	bad = verify(m.p, LEN / 2, 3) +
	      verify_from(m.away ? m.spare : m.p + LEN / 2, LEN / 2, 3,
			  LEN / 2 / 8);
	tap(bad == 0, "%s: both halves read back identical where they are (%zu bad pages)",
	    name, bad);
	munmap(m.p, LEN);
	munmap(m.spare, LEN / 2);
}

/* A random 1 MiB hole is unmapped, then mapped and filled again. */
static void churn_munmap(void *arg, unsigned int *seed)
{
	char *p = arg;
	size_t off = (rand_r(seed) % (LEN / (1UL << 20))) << 20;
	uint64_t *w = (uint64_t *)(p + off);
	size_t i;

	munmap(p + off, 1UL << 20);
	if (mmap(p + off, 1UL << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		die("mmap hole");
	/* the pattern of seed 4 at its own offset, as before */
	for (i = 0; i < (1UL << 20) / 8; i++)
		w[i] = pattern_word(off / 8 + i, 4);
	usleep(2000);
}

static void scenario_munmap(int kb)
{
	char name[64];
	char *p;

	snprintf(name, sizeof(name), "munmap + remap parts %s", size_name(kb));
	p = large_region(kb, 4);
	race(name, churn_munmap, p, p, LEN);
	expect_identical(name, p, LEN, 4);
	munmap(p, LEN);
}

/* Random pages zapped (they must read zero) or lazily freed (either). */
static unsigned char page_state[PAGES];	/* 0 data, 1 zero, 2 either */

static void churn_dontneed(void *arg, unsigned int *seed)
{
	char *p = arg;
	size_t pg = rand_r(seed) % PAGES;

	if (rand_r(seed) % 2) {
		madvise(p + pg * PAGE_SZ, PAGE_SZ, MADV_DONTNEED);
		page_state[pg] = 1;
	} else if (page_state[pg] == 0) {
		madvise(p + pg * PAGE_SZ, PAGE_SZ, MADV_FREE);
		page_state[pg] = 2;
	}
	usleep(200);
}

static void scenario_dontneed(int kb)
{
	size_t pg, bad = 0, zero = 0, kept = 0;
	char name[64];
	char *p;

	snprintf(name, sizeof(name), "MADV_DONTNEED/FREE %s", size_name(kb));
	memset(page_state, 0, sizeof(page_state));
	p = large_region(kb, 5);
	race(name, churn_dontneed, p, p, LEN);
	for (pg = 0; pg < PAGES; pg++) {
		const char *q = p + pg * PAGE_SZ;
		int is_zero = *(const uint64_t *)q == 0 &&
			      !memcmp(q, q + 8, PAGE_SZ - 8);
		int is_data = !verify_from(q, PAGE_SZ, 5, pg * PAGE_SZ / 8);

		if (page_state[pg] == 0)
			bad += !is_data;
		else if (page_state[pg] == 1)
			bad += !is_zero;
		else
			bad += !is_zero && !is_data;
		zero += page_state[pg] == 1;
		kept += page_state[pg] == 0;
	}
	tap(bad == 0, "%s: %zu pages kept their data, %zu zapped read zero, the lazily freed either (%zu bad)",
	    name, kept, zero, bad);
	munmap(p, LEN);
}

/* KSM: half the pages are copies of one page; ksmd merges them. */
static void churn_idle(void *arg, unsigned int *seed)
{
	(void)arg;
	(void)seed;
	usleep(10000);
}

static void scenario_ksm(void)
{
	long long shared0 = file_num("/sys/kernel/mm/ksm/pages_sharing");
	char *p = map_aligned(LEN);
	size_t pg, bad = 0;

	madvise(p, LEN, MADV_NOHUGEPAGE);
	for (pg = 0; pg < PAGES; pg++)
		fill(p + pg * PAGE_SZ, PAGE_SZ, pg % 2 ? 6 : 0x6000 + pg);
	if (write_bytes("/sys/kernel/mm/ksm/pages_to_scan", "4096", 4, -1) ||
	    write_bytes("/sys/kernel/mm/ksm/sleep_millisecs", "0", 1, -1) ||
	    write_bytes("/sys/kernel/mm/ksm/run", "1", 1, -1) ||
	    madvise(p, LEN, MADV_MERGEABLE)) {
		tap(0, "ksm: KSM unavailable: %s", strerror(errno));
		munmap(p, LEN);
		return;
	}
	/* merged first (a paged-out page is not merged), then raced */
	{
		double t_end = now() + 20;

		while (file_num("/sys/kernel/mm/ksm/pages_sharing") <= shared0 &&
		       now() < t_end)
			usleep(50000);
	}
	tap(file_num("/sys/kernel/mm/ksm/pages_sharing") > shared0,
	    "ksm: ksmd merged the duplicate pages (pages_sharing %lld -> %lld)",
	    shared0, file_num("/sys/kernel/mm/ksm/pages_sharing"));
	race("ksm", churn_idle, NULL, p, LEN);
	for (pg = 0; pg < PAGES; pg++)
		bad += verify(p + pg * PAGE_SZ, PAGE_SZ,
			      pg % 2 ? 6 : 0x6000 + pg) != 0;
	tap(bad == 0, "ksm: every page reads back identical (%zu bad)", bad);
	madvise(p, LEN, MADV_UNMERGEABLE);
	write_bytes("/sys/kernel/mm/ksm/run", "2", 1, -1);
	munmap(p, LEN);
}

/* userfaultfd: missing faults answered with the pattern by a thread. */
static int uffd_fd = -1;
static char *uffd_base;

static void *uffd_handler(void *unused)
{
	static char page[4096] __attribute__((aligned(4096)));
	struct uffd_msg msg;

	(void)unused;
	for (;;) {
		struct pollfd pfd = { .fd = uffd_fd, .events = POLLIN };
		struct uffdio_copy copy = { 0 };
		uintptr_t addr;

		if (poll(&pfd, 1, 200) <= 0) {
			if (stop == 2)
				return NULL;
			continue;
		}
		if (read(uffd_fd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		addr = msg.arg.pagefault.address & ~(PAGE_SZ - 1);
		{
			uint64_t *w = (uint64_t *)page;
			size_t first = (addr - (uintptr_t)uffd_base) / 8, i;

			for (i = 0; i < PAGE_SZ / 8; i++)
				w[i] = pattern_word(first + i, 7);
		}
		copy.dst = addr;
		copy.src = (uintptr_t)page;
		copy.len = PAGE_SZ;
		ioctl(uffd_fd, UFFDIO_COPY, &copy);
	}
}

static void churn_touch(void *arg, unsigned int *seed)
{
	char *p = arg;
	size_t pg = rand_r(seed) % PAGES;

	(void)*(volatile char *)(p + pg * PAGE_SZ);
}

static void scenario_uffd(void)
{
	struct uffdio_writeprotect wp = { .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	pthread_t h;
	char *p = map_aligned(LEN);
	size_t bad;

	if (!uffd_wp_supported()) {
		tap(1, "uffd: # SKIP %s", UFFD_WP_SKIP);
		munmap(p, LEN);
		return;
	}
	madvise(p, LEN, MADV_NOHUGEPAGE);
	uffd_fd = uffd_register(p, LEN, UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP);
	if (uffd_fd < 0) {
		tap(0, "uffd: userfaultfd unavailable: %s", strerror(errno));
		munmap(p, LEN);
		return;
	}
	uffd_base = p;
	stop = 0;
	pthread_create(&h, NULL, uffd_handler, NULL);
	/* the first half filled now and write-protected */
	{
		size_t i;

		for (i = 0; i < LEN / 2; i += PAGE_SZ)
			(void)*(volatile char *)(p + i);
	}
	wp.range.start = (uintptr_t)p;
	wp.range.len = LEN / 2;
	ioctl(uffd_fd, UFFDIO_WRITEPROTECT, &wp);
	race("uffd missing + wp", churn_touch, p, p, LEN);
	stop = 0;
	/* every page faulted in (through the handler), then checked */
	bad = verify(p, LEN, 7);
	stop = 2;
	pthread_join(h, NULL);
	tap(bad == 0, "uffd missing + wp: every page reads back what the handler put there (%zu bad)",
	    bad);
	close(uffd_fd);
	munmap(p, LEN);
}

/* Shared memfd (shmem) and files on the rootfs, private and shared. */
static void churn_write(void *arg, unsigned int *seed)
{
	char *p = arg;
	size_t pg = rand_r(seed) % PAGES;

	uint64_t *w = (uint64_t *)(p + pg * PAGE_SZ);
	size_t i;

	/* rewrite a page with what it already holds */
	for (i = 0; i < PAGE_SZ / 8; i++)
		w[i] = pattern_word(pg * PAGE_SZ / 8 + i, 8);
}

static void scenario_fd(const char *name, int fd, int flags)
{
	char *p;

	if (fd < 0 || ftruncate(fd, LEN))
		die(name);
	p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (p == MAP_FAILED)
		die(name);
	fill(p, LEN, 8);
	race(name, churn_write, p, p, LEN);
	expect_identical(name, p, LEN, 8);
	munmap(p, LEN);
	close(fd);
}

/* Another process takes most of memory: global reclaim runs too. */
static void scenario_pressure(int kb)
{
	long long avail = field_in("/proc/meminfo", "MemAvailable");
	pid_t hog = fork();
	char name[64];
	char *p;

	if (hog == 0) {
		size_t len = (size_t)(avail > 0 ? avail : 1 << 20) * 1024 / 10 * 8;
		char *q = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		size_t i;

		for (;;)
			for (i = 0; q != MAP_FAILED && i < len; i += PAGE_SZ)
				q[i] = (char)i;
	}
	snprintf(name, sizeof(name), "memory pressure %s", size_name(kb));
	p = large_region(kb, 9);
	race(name, churn_touch, p, p, LEN);
	kill(hog, SIGKILL);
	waitpid(hog, NULL, 0);
	expect_identical(name, p, LEN, 9);
	munmap(p, LEN);
}

int main(int argc, char **argv)
{
	const char *only = argc > 2 ? argv[2] : "";
	struct walker_env e;
	char *wargv[] = { argv[0], NULL };
	int large;

	if (argc > 1)
		secs = atof(argv[1]);
	walker_start(1, wargv, &e);
	large = e.cut_kb;	/* 64 kB mTHP, or PTE-mapped THP on 6.1 */
	if (strstr("mprotect", only)) {
		scenario_mprotect(large);
		scenario_mprotect(2048);
	}
	if (strstr("fork", only))
		scenario_fork(large);
	if (strstr("mremap", only))
		scenario_mremap(large);
	if (strstr("munmap", only))
		scenario_munmap(large);
	if (strstr("dontneed", only))
		scenario_dontneed(large);
	if (strstr("ksm", only))
		scenario_ksm();
	if (strstr("uffd", only))
		scenario_uffd();
	if (strstr("memfd", only))
		scenario_fd("memfd shared", memfd_create("rl-adv", 0),
			    MAP_SHARED);
	if (strstr("file", only)) {
		scenario_fd("file private", open("/tmp/rl-adv-private",
						 O_RDWR | O_CREAT | O_TRUNC, 0600),
			    MAP_PRIVATE);
		scenario_fd("file shared", open("/tmp/rl-adv-shared",
						O_RDWR | O_CREAT | O_TRUNC, 0600),
			    MAP_SHARED);
		unlink("/tmp/rl-adv-private");
		unlink("/tmp/rl-adv-shared");
	}
	if (strstr("pressure", only))
		scenario_pressure(large);
	diag("t_adv_races: %ld walker runs, %ld stock MADV_PAGEOUT runs",
	     walk_runs, stock_runs);
	return walker_end("t_adv_races", &e, rl_failures);
}
