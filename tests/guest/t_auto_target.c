// SPDX-License-Identifier: GPL-2.0
/*
 * The background mode's target and its locks (module/auto.c, issue 24):
 *  - target: auto_cgroup is the mode's own.  Started on a cgroup, a
 *    trigger that sets `pid` elsewhere (which clears `cgroup`) leaves it
 *    there: a process outside keeps its empty tables, one inside has them
 *    freed; auto_cgroup reads back, refuses a bad path and takes "none";
 *  - busy: a target whose mmap lock another thread of it holds for write
 *    again and again (mprotect over 256 MiB), and whose page tables keep
 *    growing (so it is not passed over as unchanged), is passed over, counted in
 *    auto_mms_busy, never waited for: 0 returns at once and rmmod works
 *    after it (run-all.sh);
 *  - pidns: started from a child pid namespace, it walks that namespace's
 *    processes and no others;
 *  - cycles: starting and stopping the thread 300 times, the last ones at
 *    once after the start, leaves no kmalloc memory behind;
 *  - prune: the mms of processes that exited are let go every round, not
 *    only when a long pass ends;
 *  - recreated: auto_cgroup's cgroup removed and made again mid-pass gets
 *    a new pass from the first pid.
 * Usage: t_auto_target [group]
 *        (target, busy, pidns, cycles, prune, recreated)
 */
#include "rltest.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define CG_ROOT "/sys/fs/cgroup"
#define CG_IN "/rltest_auto"
#define TABLES 64
#define MS 1000000LL

static const char *only;

static int want(const char *group)
{
	return !only || !strcmp(only, group);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long stat_of(const char *name)
{
	return field_in(RL_DIR "stats", name);
}

static long long vm_pte(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return field_in(path, "VmPTE");
}

static int cg_move(const char *cg, pid_t pid)
{
	char path[256], buf[32];

	snprintf(path, sizeof(path), CG_ROOT "%s/cgroup.procs", cg);
	snprintf(buf, sizeof(buf), "%d", pid);
	return write_bytes(path, buf, strlen(buf), -1);
}

/*
 * A child with @tables empty PTE tables (one page of each 2 MiB touched
 * and zapped), in cgroup @cg ("" for the root); it waits to be killed.
 * @mprotect_loop: a second thread write-locks its mmap lock again and
 * again.  Returns its pid once it is ready.
 */
static void *mprotect_loop(void *arg)
{
	char *p = arg;
	const size_t len = 256UL << 20;

	for (;;) {
		/* a new empty table each time: the mm keeps growing */
		char *t = map_sparse(PMD_SZ);

		t[0] = 1;
		madvise(t, PAGE_SZ, MADV_DONTNEED);
		mprotect(p, len, PROT_READ);
		mprotect(p, len, PROT_READ | PROT_WRITE);
	}
	return NULL;
}

static pid_t spawn_tables(const char *cg, size_t tables, int busy)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe(fds))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		char *p = map_sparse(tables * PMD_SZ);
		size_t off;

		close(fds[0]);
		if (cg_move(cg, getpid()))
			_exit(2);
		for (off = 0; off < tables * PMD_SZ; off += PMD_SZ) {
			p[off] = 1;
			madvise(p + off, PAGE_SZ, MADV_DONTNEED);
		}
		if (busy) {
			const size_t len = 256UL << 20;
			char *b = mmap(NULL, len, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			pthread_t t;

			if (b == MAP_FAILED)
				_exit(3);
			madvise(b, len, MADV_NOHUGEPAGE);
			touch_pages(b, len);
			if (pthread_create(&t, NULL, mprotect_loop, b))
				_exit(4);
		}
		if (write(fds[1], "r", 1) != 1)
			_exit(5);
		for (;;)
			pause();
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) != 1) {
		close(fds[0]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	close(fds[0]);
	return pid;
}

static pid_t spawn(const char *cg, int busy)
{
	return spawn_tables(cg, TABLES, busy);
}

static void reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* ------------------------------------------------------------------ */

static void test_target(void)
{
	long long in0, out0, in1, out1, t0, off0;
	pid_t in, out;
	char path[64];
	int err;

	tap(!strcmp(knob_read("auto_cgroup"), "none"),
	    "target: auto_cgroup is none by default (reads '%s')",
	    knob_read("auto_cgroup"));
	err = knob_write("auto_cgroup", "/no/such/cgroup");
	tap(err == ENOENT && !strcmp(knob_read("auto_cgroup"), "none"),
	    "target: auto_cgroup /no/such/cgroup refused with ENOENT (%s), still none",
	    strerrorname_np(err) ?: "success");
	if (mkdir(CG_ROOT CG_IN, 0755) && errno != EEXIST)
		die("mkdir " CG_IN);
	in = spawn(CG_IN, 0);
	out = spawn("", 0);
	if (in < 0 || out < 0)
		die("spawn");
	in0 = vm_pte(in);
	out0 = vm_pte(out);

	err = knob_write("auto_cgroup", CG_IN);
	tap(!err && !strcmp(knob_read("auto_cgroup"), CG_IN),
	    "target: auto_cgroup %s set (%s, reads '%s')", CG_IN,
	    strerrorname_np(err) ?: "success", knob_read("auto_cgroup"));
	/* the trigger knobs point elsewhere; the mode must not follow */
	knob_write("cgroup", CG_IN);
	snprintf(path, sizeof(path), "%d", getpid());
	if (knob_write("pid", path) || knob_write("walker", "pageout") ||
	    knob_write("trigger", "1"))
		die("trigger on self");
	if (knob_write("auto_budget_pct", "100") ||
	    knob_write("auto_interval_ms", "50"))
		die("auto on");
	t0 = now_ns();
	do {
		usleep(50000);
		in1 = vm_pte(in);
	} while (in0 - in1 < TABLES * 4 && now_ns() - t0 < 5000 * MS);
	usleep(500000);		/* more rounds: time to reach the outsider */
	out1 = vm_pte(out);
	knob_write("auto_interval_ms", "0");
	tap(in0 - in1 >= TABLES * 4,
	    "target: the process in auto_cgroup has its %d tables freed: VmPTE %lld -> %lld kB",
	    TABLES, in0, in1);
	tap(out1 == out0,
	    "target: a process outside it keeps them though `pid` was set and triggered elsewhere: VmPTE %lld -> %lld kB",
	    out0, out1);
	/* removed while it is the target: the passes end at once */
	reap(in);
	in = -1;
	off0 = stat_of("auto_cgroup_offline");
	rmdir(CG_ROOT CG_IN);
	knob_write("auto_interval_ms", "10");
	t0 = now_ns();
	do
		usleep(20000);
	while (stat_of("auto_cgroup_offline") == off0 &&
	       now_ns() - t0 < 2000 * MS);
	knob_write("auto_interval_ms", "0");
	tap(stat_of("auto_cgroup_offline") > off0,
	    "target: auto_cgroup removed: its passes end early (auto_cgroup_offline +%lld)",
	    stat_of("auto_cgroup_offline") - off0);
	err = knob_write("auto_cgroup", "none");
	tap(!err && !strcmp(knob_read("auto_cgroup"), "none"),
	    "target: auto_cgroup none clears it (%s)",
	    strerrorname_np(err) ?: "success");
	knob_write("auto_budget_pct", "1");
	reap(in);
	reap(out);
	rmdir(CG_ROOT CG_IN);
}

static void test_busy(void)
{
	long long busy0, busy1, t0, t1;
	pid_t pid;

	if (mkdir(CG_ROOT CG_IN, 0755) && errno != EEXIST)
		die("mkdir " CG_IN);
	pid = spawn(CG_IN, 1);
	if (pid < 0)
		die("spawn busy");
	busy0 = stat_of("auto_mms_busy");
	if (knob_write("auto_cgroup", CG_IN) ||
	    knob_write("auto_budget_pct", "100") ||
	    knob_write("auto_interval_ms", "10"))
		die("auto on");
	usleep(2000000);
	busy1 = stat_of("auto_mms_busy");
	diag("busy: child VmPTE %lld kB; auto_mms_visited %lld, unchanged %lld, rounds %lld",
	     vm_pte(pid), stat_of("auto_mms_visited"),
	     stat_of("auto_mms_unchanged"), stat_of("auto_rounds"));
	t0 = now_ns();
	knob_write("auto_interval_ms", "0");
	t1 = now_ns();
	tap(busy1 > busy0,
	    "busy: a target whose mmap lock is write-held again and again is passed over, not waited for: auto_mms_busy +%lld",
	    busy1 - busy0);
	/* generous: it bounds a hang, not a latency (plain TCG) */
	tap((t1 - t0) / MS < 2000,
	    "busy: auto_interval_ms 0 returned in %lld ms", (t1 - t0) / MS);
	knob_write("auto_cgroup", "none");
	knob_write("auto_budget_pct", "1");
	reap(pid);
	rmdir(CG_ROOT CG_IN);
}

/*
 * Started from a child pid namespace (as from a container that can write
 * debugfs), the mode walks that namespace's processes only: its init,
 * which started it, has its tables freed; a process outside keeps its.
 */
static void test_pidns(void)
{
	long long out0, out1, in0 = -1, in1 = -1, t0;
	int fds[2], rdy[2], go[2], status;
	pid_t out, mid, in = -1;
	char c;

	out = spawn("", 0);
	if (out < 0 || pipe(fds) || pipe(rdy) || pipe(go))
		die("spawn / pipe");
	out0 = vm_pte(out);
	knob_write("auto_cgroup", "none");
	knob_write("auto_budget_pct", "100");
	mid = fork();
	if (mid < 0)
		die("fork");
	if (!mid) {
		pid_t init;

		if (unshare(CLONE_NEWPID))
			_exit(2);
		init = fork();	/* pid 1 of the new namespace */
		if (init < 0)
			_exit(3);
		if (!init) {
			char *p = map_sparse(TABLES * PMD_SZ);
			size_t off;

			for (off = 0; off < TABLES * PMD_SZ; off += PMD_SZ) {
				p[off] = 1;
				madvise(p + off, PAGE_SZ, MADV_DONTNEED);
			}
			/* ready; started once its VmPTE has been read */
			if (write(rdy[1], "r", 1) != 1 ||
			    read(go[0], &c, 1) != 1)
				_exit(5);
			if (knob_write("auto_interval_ms", "50"))
				_exit(4);
			for (;;)
				pause();
		}
		/* its host pid, for the parent to watch */
		_exit(write(fds[1], &init, sizeof(init)) == sizeof(init) ?
		      0 : 6);
	}
	close(fds[1]);
	close(rdy[1]);
	close(go[0]);
	if (read(fds[0], &in, sizeof(in)) != sizeof(in) ||
	    read(rdy[0], &c, 1) != 1)
		in = -1;
	close(rdy[0]);
	in0 = in > 0 ? vm_pte(in) : -1;
	if (write(go[1], "g", 1) != 1)
		in = -1;
	close(go[1]);
	close(fds[0]);
	waitpid(mid, &status, 0);
	t0 = now_ns();
	do {
		usleep(50000);
		in1 = in > 0 ? vm_pte(in) : -1;
	} while (in > 0 && in0 - in1 < TABLES * 4 &&
		 now_ns() - t0 < 5000 * MS);
	usleep(500000);
	out1 = vm_pte(out);
	knob_write("auto_interval_ms", "0");
	tap(in > 0 && in0 - in1 >= TABLES * 4,
	    "pidns: started from a child pid namespace, its init (host pid %d) has its %d tables freed: VmPTE %lld -> %lld kB",
	    in, TABLES, in0, in1);
	tap(out1 == out0,
	    "pidns: a process outside that namespace keeps its: VmPTE %lld -> %lld kB",
	    out0, out1);
	knob_write("auto_budget_pct", "1");
	reap(in);
	reap(out);
}

/*
 * Sums the caches of /proc/slabinfo whose name starts with @prefix (all
 * of it if @whole is 0, else the name is @prefix): objects in use into
 * @objs, their kB as the return value; -1 if unreadable.
 */
static long long slab_in_use(const char *prefix, int whole, long long *objs)
{
	static char buf[1 << 17];
	long long total = 0, active, size;
	char *line, *save;
	char name[64];
	int n, caches = 0;

	/* a seq_file gives a page a read: read to the end */
	int fd = open("/proc/slabinfo", O_RDONLY);
	ssize_t got;

	*objs = 0;
	if (fd < 0)
		return -1;
	for (n = 0; n < (int)sizeof(buf) - 1; n += got) {
		got = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (got <= 0)
			break;
	}
	close(fd);
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%63s %lld %*d %lld", name, &active,
			   &size) != 3 ||
		    strncmp(name, prefix, strlen(prefix)) ||
		    (whole && strcmp(name, prefix)))
			continue;
		total += active * size;
		*objs += active;
		caches++;
	}
	diag("/proc/slabinfo: %d bytes read, %d %s caches, %lld kB",
	     n, caches, prefix, total / 1024);
	return caches ? total / 1024 : -1;
}

/* kB of kmalloc memory in use; -1 if unreadable. */
static long long kmalloc_kb(void)
{
	long long objs;

	return slab_in_use("kmalloc-", 0, &objs);
}

/*
 * mm_structs in use (a cache of its own: never merged); -1 if unreadable.
 * The cache is shrunk first: SLUB counts the free objects of per-CPU
 * slabs as in use (46 -> 230 -> 99 with 200 freed, shrink unwritten).
 */
static long long mm_structs(void)
{
	long long objs;

	int err = write_bytes("/sys/kernel/slab/mm_struct/shrink", "1", 1, -1);

	if (err)
		diag("/sys/kernel/slab/mm_struct/shrink: %s", strerror(err));

	return slab_in_use("mm_struct", 1, &objs) < 0 ? -1 : objs;
}

/* Whether the kernel has KASAN: its runtime is in kallsyms. */
static int kasan_kernel(void)
{
	static char line[512];
	FILE *f = fopen("/proc/kallsyms", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, " __asan_load8\n") != NULL;
	fclose(f);
	return found;
}

static void test_cycles(void)
{
	long long kb0, kb1;
	int i, err = 0;

	/* one cycle first: what the first start allocates for good */
	knob_write("auto_interval_ms", "3600000");
	knob_write("auto_interval_ms", "0");
	kb0 = kmalloc_kb();
	for (i = 0; i < 300 && !err; i++) {
		err = knob_write("auto_interval_ms", "3600000");
		if (i % 2)
			usleep(1000);	/* half after its first round */
		err = err ?: knob_write("auto_interval_ms", "0");
	}
	kb1 = kmalloc_kb();
	/*
	 * KASAN holds freed objects in its quarantine (up to 1/32 of RAM)
	 * and slabinfo counts them as in use: no leak can be told there
	 * (the soak's slab check skips likewise).
	 */
	if (kasan_kernel()) {
		printf("ok - cycles: %d starts and stops (%s): kmalloc in use %lld -> %lld kB # SKIP KASAN quarantine counts in slabinfo\n",
		       i, strerrorname_np(err) ?: "success", kb0, kb1);
		return;
	}
	/* each thread's state is over 1 kB: 300 leaked would be 300 kB */
	tap(!err && kb0 >= 0 && kb1 - kb0 < 150,
	    "cycles: %d starts and stops (%s): kmalloc in use %lld -> %lld kB (want < +150)",
	    i, strerrorname_np(err) ?: "success", kb0, kb1);
}

/*
 * prune (#24 item 12): the pass notes every mm it has walked, each held
 * by an mm_count reference, so that it walks none twice.  Those of
 * processes that exited are dropped every round, not at the pass's end,
 * which on a large host is many rounds away.  PRUNE_KIDS processes are
 * walked early in a pass (lower pids) that then stays on a large one
 * (PRUNE_TABLES empty tables at 1% of 100 ms: tens of seconds); the
 * kids exit, and their mm_structs must go while the pass is still on.
 */
#define PRUNE_KIDS 200
#define PRUNE_TABLES 32768UL

static pid_t spawn_big(void)
{
	pid_t pid = spawn_tables("", PRUNE_TABLES, 0);

	if (pid < 0)
		die("the large process did not start");
	return pid;
}

static void test_prune(void)
{
	long long mm0, mm_kids, mm_after = -1, visited0, stopped0, pte0, pte1;
	long long visited = 0, stopped = 0, t0;
	pid_t kids[PRUNE_KIDS], big;
	int i;

	if (kasan_kernel()) {
		printf("ok - prune: # SKIP KASAN quarantine counts freed mm_structs in slabinfo\n");
		return;
	}
	mm0 = mm_structs();
	for (i = 0; i < PRUNE_KIDS; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			die("fork");
		if (!kids[i]) {
			for (;;)
				pause();
		}
	}
	big = spawn_big();
	mm_kids = mm_structs();
	pte0 = vm_pte(big);
	visited0 = stat_of("auto_mms_visited");
	stopped0 = stat_of("auto_walks_stopped");
	knob_write("auto_budget_pct", "1");
	if (knob_write("auto_interval_ms", "100"))
		die("auto_interval_ms 100");
	/* the kids walked, and the pass inside the large process */
	for (t0 = now_ns(); now_ns() - t0 < 60000 * MS; usleep(50000)) {
		visited = stat_of("auto_mms_visited") - visited0;
		stopped = stat_of("auto_walks_stopped") - stopped0;
		if (visited >= PRUNE_KIDS && stopped > 0)
			break;
	}
	for (i = 0; i < PRUNE_KIDS; i++)
		reap(kids[i]);
	/* a few rounds: each one prunes */
	for (t0 = now_ns(); now_ns() - t0 < 3000 * MS; usleep(100000)) {
		mm_after = mm_structs();
		if (mm_after - mm0 < PRUNE_KIDS / 10)
			break;
	}
	pte1 = vm_pte(big);
	knob_write("auto_interval_ms", "0");
	diag("prune: mm_structs %lld, %lld with the kids, %lld after they exited; %lld mms walked, %lld walks stopped; the large one's VmPTE %lld -> %lld kB",
	     mm0, mm_kids, mm_after, visited, stopped, pte0, pte1);
	tap(visited >= PRUNE_KIDS && stopped > 0 && pte1 > pte0 / 2,
	    "prune: the pass walked the %d kids (%lld mms) and was still on in the large process (VmPTE %lld of %lld kB left)",
	    PRUNE_KIDS, visited, pte1, pte0);
	tap(mm0 > 0 && mm_kids - mm0 >= PRUNE_KIDS &&
	    mm_after - mm0 < PRUNE_KIDS / 10,
	    "prune: the kids' mm_structs went with them while the pass went on: %lld -> %lld -> %lld in use (want < +%d)",
	    mm0, mm_kids, mm_after, PRUNE_KIDS / 10);
	reap(big);
}

/*
 * recreated (#24 item 17): a pass on a cgroup goes on from its cursor
 * only while auto_cgroup names the same cgroup.  The operator's case: a
 * service's cgroup is removed and made again under the same path while
 * a pass is inside a large process there.  The new cgroup must get a
 * new pass from the first pid, so a process of it with a lower pid than
 * the large one is walked at once, not after the old pass ends.  (Before
 * the fix the pass compared cgroup pointers without holding the old one,
 * whose memory the new one could take; holding it makes that impossible,
 * so this checks the outcome, not the reuse.)
 */
static void test_recreated(void)
{
	long long small0, small1 = -1, big0, big1, stopped0, t0;
	pid_t small, big;
	int err;

	if (mkdir(CG_ROOT CG_IN, 0755) && errno != EEXIST)
		die("mkdir " CG_IN);
	small = spawn("", 0);		/* the lower pid, outside for now */
	big = spawn_big();
	if (small < 0 || cg_move(CG_IN, big))
		die("spawn, move");
	small0 = vm_pte(small);
	big0 = vm_pte(big);
	stopped0 = stat_of("auto_walks_stopped");
	knob_write("auto_budget_pct", "1");
	if (knob_write("auto_cgroup", CG_IN) ||
	    knob_write("auto_interval_ms", "100"))
		die("auto on " CG_IN);
	for (t0 = now_ns(); now_ns() - t0 < 30000 * MS; usleep(50000))
		if (stat_of("auto_walks_stopped") > stopped0)
			break;
	/* the cgroup made again: the large process out, the small one in */
	cg_move("", big);
	if (rmdir(CG_ROOT CG_IN))
		die("rmdir " CG_IN);
	if (mkdir(CG_ROOT CG_IN, 0755) || cg_move(CG_IN, small))
		die("mkdir " CG_IN " again");
	err = knob_write("auto_cgroup", CG_IN);
	for (t0 = now_ns(); now_ns() - t0 < 5000 * MS; usleep(50000)) {
		small1 = vm_pte(small);
		if (small0 - small1 >= TABLES * 4)
			break;
	}
	big1 = vm_pte(big);
	knob_write("auto_interval_ms", "0");
	knob_write("auto_cgroup", "none");
	diag("recreated: walks stopped %lld; small VmPTE %lld -> %lld kB, large %lld -> %lld kB",
	     stat_of("auto_walks_stopped") - stopped0, small0, small1, big0,
	     big1);
	tap(!err && stat_of("auto_walks_stopped") > stopped0 &&
	    small0 - small1 >= TABLES * 4 && big1 > big0 / 2,
	    "recreated: %s made again mid-pass (%s): its process of a lower pid has its %d tables freed at once (VmPTE %lld -> %lld kB) while the old pass's large process keeps most (%lld -> %lld kB)",
	    CG_IN, strerrorname_np(err) ?: "success", TABLES, small0, small1,
	    big0, big1);
	reap(small);
	reap(big);
	rmdir(CG_ROOT CG_IN);
}

int main(int argc, char **argv)
{
	only = argc > 1 ? argv[1] : NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	knob_write("auto_interval_ms", "0");
	if (want("target"))
		test_target();
	if (want("busy"))
		test_busy();
	if (want("pidns"))
		test_pidns();
	if (want("cycles"))
		test_cycles();
	if (want("prune"))
		test_prune();
	if (want("recreated"))
		test_recreated();
	knob_write("auto_interval_ms", "0");
	return rl_failures ? 1 : 0;
}
