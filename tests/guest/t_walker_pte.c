// SPDX-License-Identifier: GPL-2.0
/*
 * The empty-PTE-table walker (walker pte_reclaim), on this process:
 *  - sparse: 16 GiB of address space, one page touched per 2 MiB (8192
 *    tables), MADV_DONTNEED on them: the kernel keeps the empty tables,
 *    pte_reclaim frees them all, and VmPTE / PageTables drop by exactly
 *    tables_freed x 4 KiB;
 *  - the range is usable again: reads give zeros, writes stick;
 *  - tables kept as not empty: one mapped page, one swap entry, one
 *    uffd-wp marker; their data intact;
 *  - a table spanning an unsupported VMA is kept, counted as such;
 *  - pte_reclaim_zero: tables only read (zero page) freed when asked;
 *  - beside: tables beside one of 64 kB mTHP (contpte on arm64): freed,
 *    and the mTHP table kept whole, its blocks still contiguous.
 *  - hold: over 8192 tables the walk gives the mmap lock up every
 *    lock_hold_tables (512) tables or when someone waits, while threads
 *    fault and mmap; all still freed; 0 keeps it for the whole walk.
 *  - sparse also with pt_batch 7 and 512: the same, with one TLB flush
 *    per run of tables (arm64 6.12 flushes each table under its locks),
 *    and no free that waits for every CPU;
 *  - race: a thread writes into the range through walks with pt_batch 64;
 *    every word reads back;
 *  - gup: O_DIRECT reads and vmsplice (GUP-fast) beside tables freed in
 *    runs: every byte right;
 *  - resched: with a CPU hog of another process on the walker's CPU and
 *    no one else after the lock, the walk still gives it up, each time
 *    the scheduler wants the CPU back (never switched out holding it).
 * Usage: t_walker_pte [group]
 *        (sparse, kept, vma, zero, beside, hold, resched, race, gup; deferred
 *        only when named)
 */
#include "walker_lib.h"
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#define SPARSE_LEN (16UL << 30)
#define SPARSE_TABLES (SPARSE_LEN / PMD_SZ)
#define C(r, name) ((r)->c.v[RL_C_pte_reclaim_##name])

/*
 * PageTables (kB) once freeing has settled: 6.12 frees tables after an
 * RCU grace period, so wait until two reads 50 ms apart agree.
 */
static long long page_tables_kb(void)
{
	long long a = field_in("/proc/meminfo", "PageTables"), b;
	int i;

	for (i = 0; i < 40; i++) {
		usleep(50000);
		b = field_in("/proc/meminfo", "PageTables");
		if (b == a)
			break;
		a = b;
	}
	return a;
}

static void pte_walk(const void *start, size_t len, struct run *r)
{
	walk(0, start, len, "pte_reclaim", PARTIAL, 512, r);
	if (r->rc || r->result)
		diag("pte_reclaim: write %s, result %lld", errname(r->rc),
		     r->result);
}

static void diag_pte(const char *name, const struct run *r)
{
	diag("%s: scanned %lld freed %lld bytes %lld zero_ptes %lld not_empty %lld busy %lld vma %lld, %.0f ns/table",
	     name, C(r, tables_scanned), C(r, tables_freed), C(r, bytes_freed),
	     C(r, zero_ptes), C(r, skip_not_empty), C(r, skip_busy),
	     C(r, skip_vma),
	     C(r, tables_scanned) > 0 ?
		(double)r->elapsed_ns / C(r, tables_scanned) : 0.0);
}

/* The counters of a run add up: every table scanned is accounted for. */
static void check_accounting(const char *name, const struct run *r)
{
	long long sum = C(r, tables_freed) + C(r, skip_not_empty) +
			C(r, skip_busy) + C(r, skip_vma);

	tap(!r->rc && r->result == 0 && C(r, runs) == 1 &&
	    sum == C(r, tables_scanned) &&
	    C(r, bytes_freed) == C(r, tables_freed) * (long long)PAGE_SZ,
	    "%s: run ok, scanned %lld = freed + kept %lld, bytes %lld = freed x 4096",
	    name, C(r, tables_scanned), sum, C(r, bytes_freed));
}

/*
 * Whether this kernel's frees wait for every CPU (6.1: an IPI to all
 * before each table, pt_batch 1 only).  Told by the kernel version, not by
 * the module, so that the counter is checked against what it should be.
 */
static int frees_sync(void)
{
	return !kernel_at_least(6, 5);
}

/*
 * The flushes and syncs of a run of @freed tables with pt_batch @batch
 * and the lock given up @breaks times (each break ends a run first).
 */
static void check_flushes(const char *name, const struct run *r, int batch)
{
	/* arm64 6.12+ flushes each table under its locks, others per run */
#if defined(__aarch64__)
	const int per_table = batch == 1 || kernel_at_least(6, 5);
#else
	const int per_table = batch == 1;
#endif
	long long freed = C(r, tables_freed), breaks = C(r, lock_drops);
	long long flushes = C(r, flushes), syncs = C(r, syncs);
	long long most = per_table ? freed : freed / batch + breaks + 1;
	long long least = per_table ? freed : (freed + batch - 1) / batch;
	int sync = frees_sync();

	tap(flushes >= least && flushes <= most,
	    "%s: %lld TLB flushes for %lld tables freed (want %lld..%lld: %s)",
	    name, flushes, freed, least, most,
	    per_table ? "one a table" : "one a run, a run ends at each of the lock's breaks");
	tap(sync >= 0 && syncs == (sync && batch == 1 ? freed : 0),
	    "%s: %lld frees waited for every CPU (want %s)",
	    name, syncs,
	    sync && batch == 1 ? "one a table on 6.1" : "none");
}

static void test_sparse(int batch)
{
	long long pte0, pte_touched, pte_dontneed, pte_after, pt_before, pt_after;
	char *p = map_sparse(SPARSE_LEN);
	char name[32], value[16];
	size_t i, bad = 0;
	struct run r;

	snprintf(name, sizeof(name), "sparse pt_batch %d", batch);
	snprintf(value, sizeof(value), "%d", batch);
	if (knob_write("pt_batch", value))
		die("pt_batch");

	pte0 = self_pte_kb();
	for (i = 0; i < SPARSE_TABLES; i++)
		*(uint64_t *)(p + i * PMD_SZ) = pattern_word(i, 7);
	pte_touched = self_pte_kb();
	for (i = 0; i < SPARSE_TABLES; i++)
		if (madvise(p + i * PMD_SZ, PAGE_SZ, MADV_DONTNEED))
			die("MADV_DONTNEED");
	pte_dontneed = self_pte_kb();
	diag("%s: VmPTE %lld kB before, %lld kB with %lu tables, %lld kB after MADV_DONTNEED",
	     name, pte0, pte_touched, SPARSE_TABLES, pte_dontneed);
	tap(pte_touched - pte0 >= (long long)SPARSE_TABLES * 4,
	    "%s: touching one page per 2 MiB of 16 GiB costs >= %lu kB of tables (%lld)",
	    name, SPARSE_TABLES * 4, pte_touched - pte0);
	tap(pte_dontneed >= pte_touched - (long long)SPARSE_TABLES * 4 / 100,
	    "%s: MADV_DONTNEED leaves the empty tables (VmPTE %lld kB of %lld)",
	    name, pte_dontneed, pte_touched);

	pt_before = page_tables_kb();
	pte_walk(p, SPARSE_LEN, &r);
	pte_after = self_pte_kb();
	pt_after = page_tables_kb();
	diag_pte(name, &r);
	diag("%s: VmPTE %lld -> %lld kB, PageTables %lld -> %lld kB, %.3f ms per 1000 tables",
	     name, pte_dontneed, pte_after, pt_before, pt_after,
	     r.elapsed_ns / 1e6 / (SPARSE_TABLES / 1000.0));
	check_accounting(name, &r);
	check_flushes(name, &r, batch);
	tap(C(&r, tables_scanned) == (long long)SPARSE_TABLES &&
	    C(&r, tables_freed) == (long long)SPARSE_TABLES,
	    "%s: all %lu empty tables scanned and freed (%lld, %lld)",
	    name, SPARSE_TABLES, C(&r, tables_scanned), C(&r, tables_freed));
	tap(pte_dontneed - pte_after == C(&r, tables_freed) * 4,
	    "%s: VmPTE dropped by tables_freed x 4 kB (%lld kB)",
	    name, pte_dontneed - pte_after);
	tap(pt_before - pt_after >= C(&r, tables_freed) * 4 * 99 / 100,
	    "%s: PageTables dropped by tables_freed x 4 kB, +-1%% for others (%lld kB)",
	    name, pt_before - pt_after);
	tap((pte_dontneed - pte_after) * 100 >= (pte_touched - pte0) * 99,
	    "%s: >= 99%% of the page-table memory the range cost is back (%lld of %lld kB)",
	    name, pte_dontneed - pte_after, pte_touched - pte0);

	/* Usable again: zeros where nothing was written, then writes stick. */
	for (i = 0; i < SPARSE_TABLES; i++)
		if (*(volatile uint64_t *)(p + i * PMD_SZ + PAGE_SZ) != 0 ||
		    *(volatile uint64_t *)(p + i * PMD_SZ) != 0)
			bad++;
	tap(bad == 0, "%s: the range reads zeros after reclaim (%zu bad)",
	    name, bad);
	for (i = 0; i < SPARSE_TABLES; i++)
		*(uint64_t *)(p + i * PMD_SZ + 8) = pattern_word(i, 9);
	for (i = 0, bad = 0; i < SPARSE_TABLES; i++)
		if (*(uint64_t *)(p + i * PMD_SZ + 8) != pattern_word(i, 9))
			bad++;
	tap(bad == 0 && self_pte_kb() >= pte_after + (long long)SPARSE_TABLES * 4,
	    "%s: writes after reclaim stick, in new tables (%zu bad, VmPTE %lld kB)",
	    name, bad, self_pte_kb());
	munmap(p, SPARSE_LEN);
	knob_write("pt_batch", PT_BATCH_DEFAULT);
}

/* One table per case, each 2 MiB aligned inside one mapping. */
static void expect_kept(const char *name, const char *table)
{
	struct run r;

	pte_walk(table, PMD_SZ, &r);
	diag_pte(name, &r);
	check_accounting(name, &r);
	tap(C(&r, tables_scanned) == 1 && C(&r, tables_freed) == 0 &&
	    C(&r, skip_not_empty) == 1,
	    "%s: the table is kept, counted as not empty", name);
}

/* pagemap bits of the page at @addr in this process. */
static uint64_t pagemap(const void *addr)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t e = 0;

	if (fd < 0 || pread(fd, &e, 8, (uintptr_t)addr / PAGE_SZ * 8) != 8)
		e = 0;
	if (fd >= 0)
		close(fd);
	return e;
}

#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_UFFD_WP (1ULL << 57)

static void test_kept_page_and_swap(void)
{
	char *p = map_sparse(2 * PMD_SZ);
	char *swapped = p + PMD_SZ + 5 * PAGE_SZ;

	fill(p + 3 * PAGE_SZ, PAGE_SZ, 11);
	fill(swapped, PAGE_SZ, 12);
	if (madvise(swapped, PAGE_SZ, MADV_PAGEOUT))
		die("MADV_PAGEOUT");
	diag("kept: pagemap of the swapped page %#llx",
	     (unsigned long long)pagemap(swapped));
	tap((pagemap(swapped) & (PM_SWAP | PM_PRESENT)) == PM_SWAP,
	    "kept: MADV_PAGEOUT left a swap entry");
	expect_kept("kept: a table mapping one page", p);
	expect_kept("kept: a table holding one swap entry", p + PMD_SZ);
	expect_identical("kept: the mapped page", p + 3 * PAGE_SZ, PAGE_SZ, 11);
	expect_identical("kept: the swapped page", swapped, PAGE_SZ, 12);
	munmap(p, 2 * PMD_SZ);
}

/*
 * A uffd-wp marker: a write-protected page of a shmem (memfd) mapping
 * registered for uffd-wp, then zapped, leaves a marker in its PTE.
 */
static void test_kept_uffd_wp(void)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
	};
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };
	struct uffdio_writeprotect wp = { .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	int uffd, memfd;
	char *p, *page;
	void *m;

	if (!uffd_wp_supported()) {
		tap(1, "kept: uffd-wp on shmem # SKIP %s", UFFD_WP_SKIP);
		return;
	}
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	memfd = memfd_create("rl-uffd-wp", 0);
	if (uffd < 0 || memfd < 0 || ioctl(uffd, UFFDIO_API, &api) ||
	    ftruncate(memfd, 2 * PMD_SZ)) {
		tap(0, "kept: uffd-wp on shmem unavailable: %s", strerror(errno));
		return;
	}
	/* a 2 MiB-aligned shared mapping of the memfd */
	p = map_sparse(PMD_SZ);
	m = mmap(p, PMD_SZ, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 memfd, 0);
	if (m == MAP_FAILED)
		die("mmap memfd");
	page = p + 7 * PAGE_SZ;
	fill(page, PAGE_SZ, 13);
	reg.range.start = (uintptr_t)p;
	reg.range.len = PMD_SZ;
	wp.range.start = (uintptr_t)page;
	wp.range.len = PAGE_SZ;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) ||
	    ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) ||
	    madvise(page, PAGE_SZ, MADV_DONTNEED))
		die("uffd-wp register, protect, zap");
	diag("kept: pagemap of the zapped uffd-wp page %#llx",
	     (unsigned long long)pagemap(page));
	tap((pagemap(page) & (PM_UFFD_WP | PM_PRESENT)) == PM_UFFD_WP,
	    "kept: zapping a uffd-wp page left a marker");
	expect_kept("kept: a table holding one uffd-wp marker", p);
	/* a read needs no uffd answer: the page cache still has the data */
	expect_identical("kept: the uffd-wp page", page, PAGE_SZ, 13);
	munmap(p, PMD_SZ);
	close(uffd);
	close(memfd);
}

/*
 * Every process has the vDSO, a special mapping (no file, not anonymous):
 * over the whole address space, its table is kept as unsupported.
 */
static void test_unsupported_vma(void)
{
	struct timespec ts;
	struct run r;

	clock_gettime(CLOCK_MONOTONIC, &ts);	/* through the vDSO */
	pte_walk(NULL, 0, &r);
	diag_pte("vma: range all", &r);
	check_accounting("vma: range all", &r);
	tap(C(&r, skip_vma) >= 1,
	    "vma: range all keeps the vDSO's table as an unsupported VMA (%lld)",
	    C(&r, skip_vma));
}

static void test_zero(void)
{
	size_t n = 64, i, bad = 0;
	char *p = map_sparse(n * PMD_SZ);
	long long pte_before;
	struct run r;

	for (i = 0; i < n; i++)
		bad += *(volatile char *)(p + i * PMD_SZ + 17 * PAGE_SZ) != 0;
	tap(bad == 0 && pagemap(p + 17 * PAGE_SZ) & PM_PRESENT,
	    "zero: %zu tables mapping only the zero page (reads give zeros)",
	    n);

	pte_walk(p, n * PMD_SZ, &r);
	diag_pte("zero: pte_reclaim_zero 0", &r);
	tap(C(&r, tables_freed) == 0 && C(&r, skip_not_empty) == (long long)n,
	    "zero: pte_reclaim_zero 0 keeps them as not empty");

	knob_write("pte_reclaim_zero", "1");
	pte_before = self_pte_kb();
	pte_walk(p, n * PMD_SZ, &r);
	knob_write("pte_reclaim_zero", "0");
	diag_pte("zero: pte_reclaim_zero 1", &r);
	check_accounting("zero", &r);
	tap(C(&r, tables_freed) == (long long)n &&
	    C(&r, zero_ptes) == (long long)n &&
	    pte_before - self_pte_kb() == (long long)n * 4,
	    "zero: pte_reclaim_zero 1 frees all %zu tables, zaps %zu zero PTEs, VmPTE -%lld kB",
	    n, n, pte_before - self_pte_kb());
	for (i = 0, bad = 0; i < n; i++)
		bad += *(volatile char *)(p + i * PMD_SZ + 17 * PAGE_SZ) != 0;
	tap(bad == 0, "zero: reads still give zeros (%zu bad)", bad);

	/* mlocked (read-only, so mlock maps the zero page): never zapped */
	if (mprotect(p, PMD_SZ, PROT_READ) || mlock(p, PMD_SZ))
		die("mprotect, mlock");
	knob_write("pte_reclaim_zero", "1");
	pte_walk(p, PMD_SZ, &r);
	knob_write("pte_reclaim_zero", "0");
	diag_pte("zero: mlocked", &r);
	tap(pagemap(p + 5 * PAGE_SZ) & PM_PRESENT &&
	    C(&r, tables_freed) == 0 && C(&r, zero_ptes) == 0 &&
	    C(&r, skip_not_empty) == 1,
	    "zero: an mlocked range's zero-page table is kept as not empty");
	munlock(p, PMD_SZ);
	munmap(p, n * PMD_SZ);
}

/*
 * hold: while pte_reclaim walks 8192 tables (16 holds), one thread of
 * the process faults pages in (each write a new page: the fault needs the
 * mmap lock, or the VMA's lock on 6.12+) and another maps and unmaps (the
 * mmap lock for write).  With lock_hold_tables 512 the walk gives the lock up
 * every 512 tables or when someone waits, every table is still freed,
 * and the faulting thread's longest stall is printed against the walk's
 * time; with 0 (the walk before #16) it keeps the lock all through.
 */
/*
 * Not 100k as in make bench: with a thread of the target running on the
 * other vCPU, each table freed costs a TLB-flush IPI, about 1 ms under
 * TCG, so a 100k walk took 75-130 s of the suite on 6.12, and 16k still
 * 97 s of 7.2's t_walker_pte (bench_servers measures 100k on one vCPU,
 * where no IPI is sent).
 */
#define HOLD_TABLES 8192UL

/* One walk of @p under load; the fault thread's longest stall, in s. */
static double hold_walk(char *p, const char *hold_tables, struct run *r)
{
	struct hold_load h;

	knob_write("lock_hold_tables", hold_tables);
	hold_start(&h, 1000);
	pte_walk(p, HOLD_TABLES * PMD_SZ, r);
	hold_stop(&h);
	knob_write("lock_hold_tables", "512");
	diag("hold: lock_hold_tables %s: the walk took %.1f ms; the faulting thread's longest stall %.1f ms over %ld faults (%ld mmap/munmap), %lld lock breaks",
	     hold_tables, r->elapsed_ns / 1e6, h.longest * 1e3, h.faults,
	     h.maps, C(r, lock_drops));
	tap(h.faults > 0, "hold: lock_hold_tables %s: the faulting thread ran (%ld faults)",
	    hold_tables, h.faults);
	return h.longest;
}

static void test_hold(void)
{
	char *p = hold_sparse_tables(HOLD_TABLES);
	long long freed, busy;
	double before, after;
	struct run r;
	size_t i;

	/* before #16: the lock held for the whole walk */
	before = hold_walk(p, "0", &r);
	diag_pte("hold 0", &r);
	/* kept as busy under the load, as below: freed by a walk after it */
	freed = C(&r, tables_freed);
	busy = C(&r, skip_busy);
	tap(C(&r, lock_drops) == 0 && freed + busy == (long long)HOLD_TABLES,
	    "hold: lock_hold_tables 0: the lock is kept all through (%lld breaks), every table freed or kept as busy (%lld + %lld of %lu)",
	    C(&r, lock_drops), freed, busy, HOLD_TABLES);
	pte_walk(p, HOLD_TABLES * PMD_SZ, &r);
	tap(freed + C(&r, tables_freed) == (long long)HOLD_TABLES,
	    "hold: lock_hold_tables 0: every table freed by the end (%lld under the load, %lld by a walk after it, of %lu)",
	    freed, C(&r, tables_freed), HOLD_TABLES);

	for (i = 0; i < HOLD_TABLES; i++)
		p[i * PMD_SZ] = 1;
	for (i = 0; i < HOLD_TABLES; i++)
		madvise(p + i * PMD_SZ, PAGE_SZ, MADV_DONTNEED);
	after = hold_walk(p, "512", &r);
	diag_pte("hold 512", &r);
	diag("hold: the longest stall of a fault, %lu tables: %.1f ms with the lock held all through, %.1f ms with lock_hold_tables 512",
	     HOLD_TABLES, before * 1e3, after * 1e3);
	tap(C(&r, lock_drops) >= (long long)HOLD_TABLES / 512,
	    "hold: the walk gave the mmap lock up %lld times (want >= %lu: every 512 tables), %lld of them because someone waited",
	    C(&r, lock_drops), HOLD_TABLES / 512, C(&r, lock_waited));
	/*
	 * Under the load a table whose lock was taken is kept as busy (never
	 * waited for: 129 of 8192 on 6.12 arm64); a walk after the load
	 * frees those, so every table is freed by the end.
	 */
	freed = C(&r, tables_freed);
	busy = C(&r, skip_busy);
	pte_walk(p, HOLD_TABLES * PMD_SZ, &r);
	tap(freed + busy == (long long)HOLD_TABLES &&
	    freed + C(&r, tables_freed) == (long long)HOLD_TABLES,
	    "hold: every table freed by the end: %lld under the load, %lld kept as busy then and freed by a walk after it (%lld), of %lu",
	    freed, busy, C(&r, tables_freed), HOLD_TABLES);
	for (i = 0; i < HOLD_TABLES; i++)
		if (*(volatile char *)(p + i * PMD_SZ) != 0)
			break;
	tap(i == HOLD_TABLES, "hold: the range reads zeros (%zu of %lu tables)",
	    i, HOLD_TABLES);
	munmap(p, HOLD_TABLES * PMD_SZ);
}

/*
 * batch race: with pt_batch 64, a thread works in the walked range all
 * through five walks.  Each round it writes a fresh word into one table
 * of each kind: a "churn" table (index 3 mod 4) is written, read back
 * and emptied again, so that walks keep unhooking it while the thread
 * faults it back in (6.12+: into a range whose old table a run has
 * unhooked and not yet flushed or freed; 6.1: after the walk); a "keep"
 * table (1 mod 4) keeps its last word.  Between walks the even tables
 * are made again and emptied, so each walk frees some.  Every read-back
 * matches, and at the end every keep table holds its last word exactly.
 */
#define RACE_TABLES 4096UL

struct race_writer {
	char *p;
	uint64_t *shadow;
	volatile int stop;
	long writes, bad;
};

static void *race_write(void *arg)
{
	struct race_writer *w = arg;
	uint64_t x = 88172645463325252ULL, v = 0;

	while (!w->stop) {
		volatile uint64_t *churn;
		size_t keep, c;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		keep = (x % (RACE_TABLES / 4)) * 4 + 1;
		c = ((x >> 20) % (RACE_TABLES / 4)) * 4 + 3;
		v++;
		w->shadow[keep] = pattern_word(keep, v);
		*(volatile uint64_t *)(w->p + keep * PMD_SZ + 64) =
			w->shadow[keep];
		churn = (volatile uint64_t *)(w->p + c * PMD_SZ + 64);
		*churn = pattern_word(c, v);
		if (*churn != pattern_word(c, v))
			w->bad++;
		madvise(w->p + c * PMD_SZ, PAGE_SZ, MADV_DONTNEED);
		w->writes++;
	}
	return NULL;
}

static void test_batch_race(void)
{
	struct race_writer w = { .p = hold_sparse_tables(RACE_TABLES) };
	long long freed = 0, kept = 0, busy = 0;
	size_t i, bad = 0, written = 0;
	long during = 0;
	pthread_t t;
	struct run r;
	int k;

	w.shadow = calloc(RACE_TABLES, sizeof(*w.shadow));
	if (!w.shadow)
		die("calloc");
	knob_write("pt_batch", "64");
	if (pthread_create(&t, NULL, race_write, &w))
		die("pthread_create");
	for (k = 0; k < 5; k++) {
		long before = w.writes;

		pte_walk(w.p, RACE_TABLES * PMD_SZ, &r);
		during += w.writes - before;
		freed += C(&r, tables_freed);
		kept += C(&r, skip_not_empty);
		busy += C(&r, skip_busy);
		/* the even tables again, empty: every walk has some to free */
		for (i = 0; i < RACE_TABLES; i += 2) {
			w.p[i * PMD_SZ] = 1;
			madvise(w.p + i * PMD_SZ, PAGE_SZ, MADV_DONTNEED);
		}
	}
	w.stop = 1;
	pthread_join(t, NULL);
	knob_write("pt_batch", PT_BATCH_DEFAULT);
	for (i = 0; i < RACE_TABLES; i++) {
		uint64_t got = *(volatile uint64_t *)(w.p + i * PMD_SZ + 64);

		if (!w.shadow[i])
			continue;
		written++;
		if (got != w.shadow[i])
			bad++;
	}
	diag("batch race: %ld rounds (%ld while a walk ran), %lld tables freed, %lld kept as not empty, %lld as busy over 5 walks",
	     w.writes, during, freed, kept, busy);
	/* the even tables each walk: freed, or busy under the writer's lock */
	tap(freed + busy >= 5 * (long long)RACE_TABLES / 2 &&
	    freed >= (long long)RACE_TABLES && kept > 0 && during > 0,
	    "batch race: pt_batch 64 freed %lld tables (%lld more kept busy) and kept %lld written ones while a thread wrote and emptied tables in the range (%ld rounds during the walks)",
	    freed, busy, kept, during);
	tap(bad == 0 && w.bad == 0,
	    "batch race: every word written reads back (%ld bad at once, %zu bad at the end of %zu keep tables written)",
	    w.bad, bad, written);
	free(w.shadow);
	munmap(w.p, RACE_TABLES * PMD_SZ);
}

/*
 * deferred: 8192 tables freed with pt_batch 512, and the program ends
 * straight after: run-all.sh unloads the module at once (on 6.1 the
 * frees still wait for RCU then) and checks that PageTables came back.
 */
static void test_deferred(void)
{
	char *p = hold_sparse_tables(HOLD_TABLES);
	struct run r;

	knob_write("pt_batch", "512");
	pte_walk(p, HOLD_TABLES * PMD_SZ, &r);
	knob_write("pt_batch", PT_BATCH_DEFAULT);
	tap(!r.rc && C(&r, tables_freed) == (long long)HOLD_TABLES,
	    "deferred: pt_batch 512 freed all %lu tables (%lld) in %lld flushes",
	    HOLD_TABLES, C(&r, tables_freed), C(&r, flushes));
}

/*
 * gup: GUP-fast walks the page tables with no lock, IRQs off, while
 * walks free the tables beside it in runs (pt_batch 64): one thread does
 * O_DIRECT reads from a zram disk into the pages of emptied tables (its
 * GUP-fast finds a table being unhooked or freed, or none) and empties
 * them again; another vmsplice()s the data pages of the tables between
 * them into a pipe (GUP-fast pins them) and reads them back.  Every byte
 * must be what it should be, and tables must go meanwhile.
 */
#define GUP_TABLES 2048UL
#define GUP_BLOCKS 256

struct gup_thread {
	char *p, *disk;
	int fd;
	volatile int *stop;
	long ops, bad;
};

static void *gup_odirect(void *arg)
{
	struct gup_thread *g = arg;
	unsigned int rs = 5;

	pin_to((int)sysconf(_SC_NPROCESSORS_ONLN) - 1);
	while (!*g->stop) {
		size_t i = (rand_r(&rs) % (GUP_TABLES / 2)) * 2 + 1;
		int b = rand_r(&rs) % GUP_BLOCKS;
		char *page = g->p + i * PMD_SZ;

		if (pread(g->fd, page, PAGE_SZ, (off_t)b * PAGE_SZ) !=
		    (ssize_t)PAGE_SZ ||
		    memcmp(page, g->disk + b * PAGE_SZ, PAGE_SZ))
			g->bad++;
		madvise(page, PAGE_SZ, MADV_DONTNEED);
		g->ops++;
	}
	return NULL;
}

static void *gup_vmsplice(void *arg)
{
	struct gup_thread *g = arg;
	static char buf[PAGE_SZ];
	unsigned int rs = 6;
	int fds[2];

	if (pipe(fds))
		return NULL;
	while (!*g->stop) {
		size_t i = (rand_r(&rs) % (GUP_TABLES / 2)) * 2;
		struct iovec iov = { g->p + i * PMD_SZ, PAGE_SZ };

		if (vmsplice(fds[1], &iov, 1, 0) != (ssize_t)PAGE_SZ ||
		    read(fds[0], buf, PAGE_SZ) != (ssize_t)PAGE_SZ ||
		    verify(buf, PAGE_SZ, 0x9a9000 + i))
			g->bad++;
		g->ops++;
	}
	close(fds[0]);
	close(fds[1]);
	return NULL;
}

static void test_gup(void)
{
	char *p = map_sparse(GUP_TABLES * PMD_SZ), dev[32];
	volatile int stop = 0;
	struct gup_thread od = { .p = p, .stop = &stop };
	struct gup_thread vs = { .p = p, .stop = &stop };
	long long freed = 0;
	pthread_t t1, t2;
	struct run r;
	double t0;
	size_t i;
	int id, k;

	id = zram_add(4);
	snprintf(dev, sizeof(dev), "/dev/zram%d", id);
	od.fd = id < 0 ? -1 : open(dev, O_RDWR | O_DIRECT);
	od.disk = map_aligned(GUP_BLOCKS * PAGE_SZ);
	fill(od.disk, GUP_BLOCKS * PAGE_SZ, 0x61f7);
	if (od.fd < 0 || pwrite(od.fd, od.disk, GUP_BLOCKS * PAGE_SZ, 0) !=
			      (ssize_t)(GUP_BLOCKS * PAGE_SZ)) {
		tap(0, "gup: setup: a zram disk for O_DIRECT (%s)",
		    strerror(errno));
		goto out;
	}
	for (i = 0; i < GUP_TABLES; i++) {
		if (i % 2) {
			p[i * PMD_SZ] = 1;
			madvise(p + i * PMD_SZ, PAGE_SZ, MADV_DONTNEED);
		} else {
			fill(p + i * PMD_SZ, PAGE_SZ, 0x9a9000 + i);
		}
	}
	knob_write("pt_batch", "64");
	if (pthread_create(&t1, NULL, gup_odirect, &od) ||
	    pthread_create(&t2, NULL, gup_vmsplice, &vs))
		die("pthread_create");
	/* 6 walks at least, for 2 s at least */
	for (k = 0, t0 = now(); k < 6 || now() - t0 < 2.0; k++) {
		pte_walk(p, GUP_TABLES * PMD_SZ, &r);
		freed += C(&r, tables_freed);
	}
	stop = 1;
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	knob_write("pt_batch", PT_BATCH_DEFAULT);
	diag("gup: %lld tables freed over %d walks; %ld O_DIRECT reads (%ld bad), %ld vmsplices (%ld bad)",
	     freed, k, od.ops, od.bad, vs.ops, vs.bad);
	tap(freed > 0 && od.ops > 0 && vs.ops > 0,
	    "gup: walks freed %lld tables while %ld O_DIRECT reads and %ld vmsplices ran beside them",
	    freed, od.ops, vs.ops);
	tap(od.bad == 0 && vs.bad == 0,
	    "gup: every O_DIRECT read and every vmsplice gave the right bytes (%ld, %ld bad)",
	    od.bad, vs.bad);
out:
	if (od.fd >= 0)
		close(od.fd);
	munmap(od.disk, GUP_BLOCKS * PAGE_SZ);
	if (id > 0)
		zram_remove(id);
	munmap(p, GUP_TABLES * PMD_SZ);
}

/*
 * resched (#24 item 5): the walk's only competitor is a busy process on
 * the same CPU, which never takes this process's mmap lock; the hold
 * limit is the largest there is.  So nothing but need_resched() can
 * make the walk give the lock up: before the fix it kept it through
 * every switch to the hog (0 breaks), now it breaks each time the
 * scheduler wants the CPU.  A walk of 8192 tables takes tens of ms on
 * one CPU, several ticks: there is always one break at least.
 */
static void test_resched(void)
{
	char *p = hold_sparse_tables(HOLD_TABLES);
	char max[16];
	struct run r;
	pid_t hog;

	pin_to(0);
	hog = fork();
	if (hog < 0)
		die("fork");
	if (!hog) {
		for (;;)
			;
	}
	snprintf(max, sizeof(max), "%lu", 1UL << 20);
	knob_write("lock_hold_tables", max);
	pte_walk(p, HOLD_TABLES * PMD_SZ, &r);
	knob_write("lock_hold_tables", "512");
	kill(hog, SIGKILL);
	waitpid(hog, NULL, 0);
	unpin();
	diag_pte("resched", &r);
	tap(!r.rc && C(&r, lock_drops) > 0 &&
	    C(&r, lock_waited) == C(&r, lock_drops),
	    "resched: beside a CPU hog the walk gave the mmap lock up %lld times, each one because the scheduler wanted the CPU (%lld), with no limit and no one waiting",
	    C(&r, lock_drops), C(&r, lock_waited));
	tap(C(&r, tables_freed) + C(&r, skip_busy) == (long long)HOLD_TABLES &&
	    C(&r, tables_freed) > 0,
	    "resched: every table freed or kept as busy (%lld + %lld of %lu)",
	    C(&r, tables_freed), C(&r, skip_busy), HOLD_TABLES);
	munmap(p, HOLD_TABLES * PMD_SZ);
}

/*
 * Tables beside large folios: one table of 64 kB mTHP (contpte blocks on
 * arm64 6.12), one emptied, one mapping only the zero page.  pte_reclaim
 * with the zero-page option frees the two and keeps the first whole: its
 * data intact and, on arm64, every block still contiguous (a cold walk
 * counts them).
 */
static void test_beside_large(void)
{
	const int mthp = have_mthp();
#if defined(__aarch64__)
	const long blocks = mthp ? PMD_SZ / (64 << 10) : 0;
#else
	const long blocks = 0;
#endif
	char *p = map_aligned(3 * PMD_SZ);
	uint64_t seed = 0xbe51de;
	struct run r;
	size_t bad;

	enable_only(mthp ? 64 : 0);
	madvise(p, PMD_SZ, mthp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	madvise(p + PMD_SZ, 2 * PMD_SZ, MADV_NOHUGEPAGE);
	fill(p, PMD_SZ, seed);
	/* one page, not the whole table: 7.x's PT_RECLAIM would free it */
	p[PMD_SZ + 5 * PAGE_SZ] = 1;
	madvise(p + PMD_SZ + 5 * PAGE_SZ, PAGE_SZ, MADV_DONTNEED);
	bad = *(volatile char *)(p + 2 * PMD_SZ + 9 * PAGE_SZ) != 0;

	knob_write("pte_reclaim_zero", "1");
	pte_walk(p, 3 * PMD_SZ, &r);
	knob_write("pte_reclaim_zero", "0");
	diag_pte("beside large", &r);
	tap(C(&r, tables_freed) == 2 && C(&r, zero_ptes) == 1 &&
	    C(&r, skip_not_empty) == 1 && !bad,
	    "beside %s: the emptied and the zero-page table freed, the full one kept (%lld freed, %lld zero PTEs, %lld kept)",
	    mthp ? "64 kB mTHP" : "small pages", C(&r, tables_freed),
	    C(&r, zero_ptes), C(&r, skip_not_empty));
	expect_identical("beside large: the kept table", p, PMD_SZ, seed);
	walk(0, p, PMD_SZ, "cold", PARTIAL, 512, &r);
	tap(W(&r, contpte_blocks) == blocks,
	    "beside large: the kept table's contiguous blocks all still there (%lld, want %ld%s)",
	    W(&r, contpte_blocks), blocks,
	    blocks ? ": arm64 contpte" : ": none here");
	munmap(p, 3 * PMD_SZ);
}

int main(int argc, char **argv)
{
	struct walker_env e;

	walker_start(argc, argv, &e);
	if (want("sparse")) {
		test_sparse(1);
		test_sparse(7);
		test_sparse(512);
	}
	if (want("kept")) {
		test_kept_page_and_swap();
		test_kept_uffd_wp();
	}
	if (want("vma"))
		test_unsupported_vma();
	if (want("zero"))
		test_zero();
	if (want("beside"))
		test_beside_large();
	if (want("hold"))
		test_hold();
	if (want("resched"))
		test_resched();
	if (want("race"))
		test_batch_race();
	if (want("gup"))
		test_gup();
	if (want_named("deferred"))
		test_deferred();
	return walker_end("t_walker_pte", &e, 0);
}
