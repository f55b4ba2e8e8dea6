// SPDX-License-Identifier: GPL-2.0
/*
 * pte_reclaim against the kernel paths that fill or read a table it may
 * free (issue 12), each a race run for a bounded time with the walker
 * looping on this process:
 *
 *   uffd      a userfaultfd monitor answering MISSING faults with
 *             UFFDIO_COPY while the region is zapped and refaulted: no
 *             UFFDIO_COPY may fail (EEXIST, EAGAIN), every page must read
 *             back what the monitor put there;
 *   zero_tlb  pte_reclaim_zero 1 on a table of zero-page entries that one
 *             thread rewrites (X, then a flag F) while a thread on the
 *             other CPU reads F, then X: it must never see the flag
 *             without the data (a stale TLB entry for the zero page);
 *             up to three times the others' time, ending at the first
 *             stale read;
 *   ksm_zero  KSM zero pages (use_zero_pages 1) freed with their table:
 *             the kernel's ksm_zero_pages count comes back when the
 *             process exits.
 *
 * Usage: t_pte_races [group[,group]] [seconds per race (default 5)]
 */
#include "walker_lib.h"
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define C(r, name) ((r)->c.v[RL_C_pte_reclaim_##name])

static double secs = 5;
static volatile int stop;

/*
 * The walker loop: pte_reclaim on [p, p + len) of this process, as fast
 * as triggers go (what it did is read from `stats` around the loop).
 */
struct walker_loop {
	const char *p;
	size_t len;
	int cpu;		/* pinned there, or -1 */
	long runs, errors;
	long long freed, zero_ptes, scanned, skip_vma;
};

static void *walker_loop(void *arg)
{
	struct walker_loop *wl = arg;
	struct rl_counters c0, c1;
	int err;

	if (wl->cpu >= 0)
		pin_to(wl->cpu);
	if (request(0, wl->p, wl->len, "pte_reclaim", PARTIAL, 512)) {
		wl->errors++;
		return NULL;
	}
	counters_read("stats", &c0);
	while (!stop) {
		err = knob_write("trigger", "1");
		wl->runs++;
		if (err) {
			if (!wl->errors++)
				diag("pte_reclaim trigger: %s", errname(err));
		}
	}
	counters_read("stats", &c1);
#define D(name) (c1.v[RL_C_pte_reclaim_##name] - c0.v[RL_C_pte_reclaim_##name])
	wl->freed = D(tables_freed);
	wl->zero_ptes = D(zero_ptes);
	wl->scanned = D(tables_scanned);
	wl->skip_vma = D(skip_vma);
#undef D
	return NULL;
}

static void walker_report(const char *name, const struct walker_loop *wl)
{
	diag("%s: %ld pte_reclaim runs (%ld failed): %lld tables scanned, %lld freed, %lld zero-page PTEs zapped, %lld kept as skip_vma",
	     name, wl->runs, wl->errors, wl->scanned, wl->freed, wl->zero_ptes,
	     wl->skip_vma);
	tap(wl->runs > 0 && wl->errors == 0 && wl->scanned > 0,
	    "%s: the walker ran %ld times over the tables (%lld scanned), none failed (%ld)",
	    name, wl->runs, wl->scanned, wl->errors);
}

/* ------------------------------------------------------------------ */
/* uffd: UFFDIO_COPY into tables the walker may free                   */

#define UFFD_LEN (64UL << 20)
#define UFFD_TABLES (UFFD_LEN / PMD_SZ)
#define UFFD_SEED 0x0ffdULL

static int uffd_fd = -1;
static char *uffd_base;
static long uffd_copies, uffd_eexist, uffd_eagain, uffd_other;

static void *uffd_monitor(void *unused)
{
	static uint64_t page[PAGE_SZ / 8] __attribute__((aligned(4096)));
	struct uffd_msg msg;

	(void)unused;
	pin_to(1);
	while (stop != 2) {
		struct pollfd pfd = { .fd = uffd_fd, .events = POLLIN };
		struct uffdio_copy copy = { 0 };
		struct uffdio_range wake;
		uintptr_t addr;
		size_t first, i;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (read(uffd_fd, &msg, sizeof(msg)) != sizeof(msg) ||
		    msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		addr = msg.arg.pagefault.address & ~(PAGE_SZ - 1);
		first = (addr - (uintptr_t)uffd_base) / 8;
		for (i = 0; i < PAGE_SZ / 8; i++)
			page[i] = pattern_word(first + i, UFFD_SEED);
		copy.dst = addr;
		copy.src = (uintptr_t)page;
		copy.len = PAGE_SZ;
		if (!ioctl(uffd_fd, UFFDIO_COPY, &copy)) {
			uffd_copies++;
			continue;
		}
		if (errno == EEXIST)
			uffd_eexist++;
		else if (errno == EAGAIN)
			uffd_eagain++;
		else
			uffd_other++;
		if (uffd_eexist + uffd_eagain + uffd_other <= 5)
			diag("uffd: UFFDIO_COPY at %#lx: %s (copy %lld)",
			     (unsigned long)addr, strerrorname_np(errno),
			     (long long)copy.copy);
		/*
		 * A failed copy wakes no one: wake the faulting thread so it
		 * faults again and the test goes on.
		 */
		wake.start = addr;
		wake.len = PAGE_SZ;
		ioctl(uffd_fd, UFFDIO_WAKE, &wake);
	}
	return NULL;
}

static void race_uffd(void)
{
	struct walker_loop wl = { .len = UFFD_LEN, .cpu = 0 };
	unsigned int seed = 12;
	size_t bad = 0, touched = 0, i;
	long rounds = 0;
	double t_end;
	pthread_t m, w;
	char *p = map_aligned(UFFD_LEN);

	madvise(p, UFFD_LEN, MADV_NOHUGEPAGE);
	uffd_fd = uffd_register(p, UFFD_LEN, UFFDIO_REGISTER_MODE_MISSING);
	if (uffd_fd < 0) {
		tap(0, "uffd: userfaultfd unavailable: %s", strerror(errno));
		munmap(p, UFFD_LEN);
		return;
	}
	uffd_base = p;
	wl.p = p;
	stop = 0;
	pthread_create(&m, NULL, uffd_monitor, NULL);
	pthread_create(&w, NULL, walker_loop, &wl);
	pin_to(1);
	t_end = now() + secs;
	while (now() < t_end) {
		/* one page per table, each filled by the monitor */
		for (i = 0; i < UFFD_TABLES; i++) {
			size_t off = i * PMD_SZ +
				     (rand_r(&seed) % (PMD_SZ / PAGE_SZ)) * PAGE_SZ;
			const uint64_t *q = (const uint64_t *)(p + off);

			bad += q[0] != pattern_word(off / 8, UFFD_SEED) ||
			       q[PAGE_SZ / 8 - 1] !=
				       pattern_word(off / 8 + PAGE_SZ / 8 - 1,
						    UFFD_SEED);
			touched++;
		}
		if (madvise(p, UFFD_LEN, MADV_DONTNEED))
			die("MADV_DONTNEED");
		rounds++;
	}
	stop = 1;
	pthread_join(w, NULL);
	stop = 2;
	pthread_join(m, NULL);
	unpin();
	diag("uffd: %ld rounds of %lu faults + MADV_DONTNEED of 64 MiB; %ld UFFDIO_COPY ok, %ld EEXIST, %ld EAGAIN, %ld other",
	     rounds, UFFD_TABLES, uffd_copies, uffd_eexist, uffd_eagain,
	     uffd_other);
	walker_report("uffd", &wl);
	tap(uffd_copies > 0 && uffd_eexist + uffd_eagain + uffd_other == 0,
	    "uffd: every UFFDIO_COPY placed its page (%ld ok; EEXIST %ld, EAGAIN %ld, other %ld)",
	    uffd_copies, uffd_eexist, uffd_eagain, uffd_other);
	tap(bad == 0, "uffd: every touched page reads back what the monitor put there (%zu of %zu bad)",
	    bad, touched);
	close(uffd_fd);
	munmap(p, UFFD_LEN);
}

/* ------------------------------------------------------------------ */
/* zero_tlb: the flag must never be seen without the data              */

#define ZT_LEN PMD_SZ
#define ZT_PAGES (ZT_LEN / PAGE_SZ)
#define ZT_WORD (ZT_PAGES / 2 * PAGE_SZ / 8)	/* one word in the middle */
#define PREEMPT_KNOB "/sys/kernel/debug/sched/preempt"

static uint64_t *zt_x;			/* the zero-page table */
static uint64_t zt_flag __attribute__((aligned(4096)));
static unsigned long zt_seq;		/* odd while the writer re-zeroes */
static long zt_stale, zt_reads, zt_rounds;
static uint64_t zt_first_x, zt_first_f;

static void spin_for(double s)
{
	double t = now() + s;

	while (now() < t)
		;
}

/* On the other CPU: F, then X; a flag without its data is a stale TLB. */
static void *zt_reader(void *unused)
{
	(void)unused;
	pin_to(1);
	while (!stop) {
		unsigned long s1 = __atomic_load_n(&zt_seq, __ATOMIC_ACQUIRE);
		uint64_t f = __atomic_load_n(&zt_flag, __ATOMIC_ACQUIRE);
		uint64_t x = __atomic_load_n(&zt_x[ZT_WORD], __ATOMIC_ACQUIRE);
		unsigned long s2 = __atomic_load_n(&zt_seq, __ATOMIC_ACQUIRE);

		zt_reads++;
		if (s1 == s2 && !(s1 & 1) && x < f) {
			if (!zt_stale++) {
				zt_first_x = x;
				zt_first_f = f;
			}
		}
	}
	return NULL;
}

/*
 * On the walker's CPU, at real-time priority: wakes at a random moment
 * (preempting the walker wherever it may be preempted), writes X then F,
 * keeps the CPU long enough for the reader's CPU to run, then re-zeroes
 * X (MADV_DONTNEED, then a read of every page: zero-page entries again).
 */
static void *zt_writer(void *unused)
{
	struct sched_param sp = { .sched_priority = 10 };
	unsigned int seed = 77;
	size_t i;
	uint64_t n;

	(void)unused;
	pin_to(0);
	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		diag("zero_tlb: SCHED_FIFO: %s", strerror(errno));
	for (n = 1; !stop; n++) {
		struct timespec ts = {
			.tv_nsec = 100000 + rand_r(&seed) % 1000000,
		};

		__atomic_store_n(&zt_x[ZT_WORD], n, __ATOMIC_RELEASE);
		__atomic_store_n(&zt_flag, n, __ATOMIC_RELEASE);
		if (zt_x[ZT_WORD] != n)
			zt_stale += 1000000;	/* its own write lost */
		spin_for(0.005);
		__atomic_add_fetch(&zt_seq, 1, __ATOMIC_ACQ_REL);
		__atomic_store_n(&zt_flag, 0, __ATOMIC_RELEASE);
		madvise(zt_x, ZT_LEN, MADV_DONTNEED);
		for (i = 0; i < ZT_PAGES; i++)
			(void)*(volatile uint64_t *)((char *)zt_x + i * PAGE_SZ);
		__atomic_add_fetch(&zt_seq, 1, __ATOMIC_ACQ_REL);
		zt_rounds++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* Full preemption, where the kernel lets the test choose (PREEMPT_DYNAMIC). */
static int preempt_full(char *old, size_t size)
{
	char buf[128], *a, *b;

	old[0] = '\0';
	if (read_text(PREEMPT_KNOB, buf, sizeof(buf)) < 0)
		return 0;
	a = strchr(buf, '(');
	b = a ? strchr(a, ')') : NULL;
	if (a && b && (size_t)(b - a) < size) {
		memcpy(old, a + 1, b - a - 1);
		old[b - a - 1] = '\0';
	}
	return write_bytes(PREEMPT_KNOB, "full", 4, -1) == 0;
}

static void race_zero_tlb(void)
{
	struct walker_loop wl = { .len = ZT_LEN, .cpu = 0 };
	char old_preempt[32];
	pthread_t w, rd, wr;
	int full;
	size_t i;

	zt_x = (uint64_t *)map_aligned(ZT_LEN);
	madvise(zt_x, ZT_LEN, MADV_NOHUGEPAGE);
	for (i = 0; i < ZT_PAGES; i++)
		(void)*(volatile uint64_t *)((char *)zt_x + i * PAGE_SZ);
	full = preempt_full(old_preempt, sizeof(old_preempt));
	diag("zero_tlb: preemption %s (was %s)",
	     full ? "full" : "as booted: no " PREEMPT_KNOB,
	     old_preempt[0] ? old_preempt : "?");
	knob_write("pte_reclaim_zero", "1");
	wl.p = (const char *)zt_x;
	stop = 0;
	pthread_create(&rd, NULL, zt_reader, NULL);
	pthread_create(&w, NULL, walker_loop, &wl);
	pthread_create(&wr, NULL, zt_writer, NULL);
	sleep(1);
	{
		/* three times the others' time: ends at the first stale read */
		double t_end = now() + 3 * secs;

		while (now() < t_end && !zt_stale)
			usleep(100000);
	}
	stop = 1;
	pthread_join(wr, NULL);
	pthread_join(w, NULL);
	pthread_join(rd, NULL);
	knob_write("pte_reclaim_zero", "0");
	if (full && old_preempt[0])
		write_bytes(PREEMPT_KNOB, old_preempt, strlen(old_preempt), -1);
	diag("zero_tlb: %ld rounds, %ld reads of F then X", zt_rounds,
	     zt_reads);
	walker_report("zero_tlb", &wl);
	tap(wl.zero_ptes > 0,
	    "zero_tlb: the walker zapped zero-page entries with their table (%lld)",
	    wl.zero_ptes);
	tap(zt_stale == 0,
	    "zero_tlb: the reader never saw the flag without the data (%ld times; first: F %llu, X %llu)",
	    zt_stale, (unsigned long long)zt_first_f,
	    (unsigned long long)zt_first_x);
	munmap(zt_x, ZT_LEN);
}

/* ------------------------------------------------------------------ */
/* ksm_zero: KSM's zero-page count survives the walker                 */

#define KSM "/sys/kernel/mm/ksm/"
#define KZ_LEN (8UL << 20)
#define KZ_PAGES (KZ_LEN / PAGE_SZ)

static long long mm_ksm_zero(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ksm_stat", pid);
	return field_in(path, "ksm_zero_pages");
}

static void ksm_zero_case(void)
{
	const char *knobs[] = { "run", "use_zero_pages", "pages_to_scan",
				"sleep_millisecs" };
	char saved[4][32];
	long long global0, merged, mm_after, global1;
	int up[2], go[2], status, i;
	struct run r;
	pid_t child;
	char c;

	if (access(KSM "ksm_zero_pages", R_OK)) {
		tap(1, "ksm_zero: # SKIP this kernel has no ksm_zero_pages count (%s): KSM zero pages are not accounted, nothing to leak",
		    strerror(errno));
		return;
	}
	for (i = 0; i < 4; i++) {
		char path[96];

		snprintf(path, sizeof(path), KSM "%s", knobs[i]);
		if (read_text(path, saved[i], sizeof(saved[i])) < 0)
			saved[i][0] = '\0';
		saved[i][strcspn(saved[i], "\n")] = '\0';
	}
	global0 = file_num(KSM "ksm_zero_pages");
	if (pipe(up) || pipe(go))
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		char *p = map_aligned(KZ_LEN);
		size_t pg, bad = 0;

		close(up[0]);
		close(go[1]);
		madvise(p, KZ_LEN, MADV_NOHUGEPAGE);
		/* real pages, each written (with zeros) */
		for (pg = 0; pg < KZ_PAGES; pg++)
			*(volatile uint64_t *)(p + pg * PAGE_SZ) = 0;
		if (madvise(p, KZ_LEN, MADV_MERGEABLE))
			_exit(101);
		if (write(up[1], &p, sizeof(p)) != sizeof(p) ||
		    read(go[0], &c, 1) != 1)
			_exit(102);
		for (pg = 0; pg < KZ_LEN / 8; pg++)
			bad += ((uint64_t *)p)[pg] != 0;
		_exit(bad ? 1 : 0);
	}
	close(up[1]);
	close(go[0]);
	{
		char *p;
		double t_end;

		if (read(up[0], &p, sizeof(p)) != sizeof(p))
			die("child");
		set_text(KSM "use_zero_pages", "1");
		set_text(KSM "pages_to_scan", "4096");
		set_text(KSM "sleep_millisecs", "0");
		set_text(KSM "run", "1");
		t_end = now() + 30;
		while (mm_ksm_zero(child) < (long long)KZ_PAGES && now() < t_end)
			usleep(50000);
		set_text(KSM "run", "0");
		merged = mm_ksm_zero(child);
		diag("ksm_zero: ksmd mapped %lld of %lu pages as KSM zero pages (global %lld -> %lld)",
		     merged, KZ_PAGES, global0, file_num(KSM "ksm_zero_pages"));
		tap(merged == (long long)KZ_PAGES,
		    "ksm_zero: every zero-filled page became a KSM zero page (%lld of %lu)",
		    merged, KZ_PAGES);
		knob_write("pte_reclaim_zero", "1");
		walk(child, p, KZ_LEN, "pte_reclaim", PARTIAL, 512, &r);
		knob_write("pte_reclaim_zero", "0");
		mm_after = mm_ksm_zero(child);
		diag("ksm_zero: pte_reclaim freed %lld tables, zapped %lld zero-page PTEs; the target's ksm_zero_pages %lld -> %lld",
		     C(&r, tables_freed), C(&r, zero_ptes), merged, mm_after);
		tap(!r.rc && r.result == 0 &&
		    C(&r, tables_freed) == (long long)(KZ_LEN / PMD_SZ) &&
		    C(&r, zero_ptes) == merged,
		    "ksm_zero: pte_reclaim_zero freed all %lu tables and their %lld KSM zero pages (%lld, %lld)",
		    KZ_LEN / PMD_SZ, merged, C(&r, tables_freed),
		    C(&r, zero_ptes));
		tap(mm_after == merged - C(&r, zero_ptes),
		    "ksm_zero: the target's ksm_zero_pages dropped by the entries zapped (%lld -> %lld)",
		    merged, mm_after);
	}
	if (write(go[1], "g", 1) != 1)
		diag("ksm_zero: child gone");
	waitpid(child, &status, 0);
	global1 = file_num(KSM "ksm_zero_pages");
	tap(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "ksm_zero: the target reads zeros everywhere after the walk (status %#x)",
	    status);
	tap(global1 == global0,
	    "ksm_zero: the global ksm_zero_pages is back after the target exited (%lld -> %lld)",
	    global0, global1);
	for (i = 3; i >= 0; i--) {
		char path[96];

		snprintf(path, sizeof(path), KSM "%s", knobs[i]);
		if (saved[i][0])
			set_text(path, saved[i]);
	}
	close(up[0]);
	close(go[1]);
}

int main(int argc, char **argv)
{
	struct walker_env e;

	if (argc > 2)
		secs = atof(argv[2]);
	walker_start(argc, argv, &e);
	if (want("uffd"))
		race_uffd();
	if (want("zero_tlb"))
		race_zero_tlb();
	if (want("ksm_zero"))
		ksm_zero_case();
	return walker_end("t_pte_races", &e, rl_failures);
}
