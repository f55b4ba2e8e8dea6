// SPDX-License-Identifier: GPL-2.0
/*
 * The walker and other processes (issue 3): range "all" on a child skips
 * [vvar] and what it shares with its parent and pages out the rest; a
 * target that exits mid-walk and a writer killed mid-trigger end well, and
 * the module still works afterwards.  Everything paged out is read back
 * and compared with what was written.
 *
 * ./t_walker_proc [WORD]: only the groups whose name contains WORD (all,
 * exit, kill).
 */
#include "walker_lib.h"
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#define BIG (256UL << 20)		/* exit and kill cases */

/* The module still takes a trigger: 1 MiB of small pages on self. */
static void module_works(const char *name)
{
	size_t len = 1UL << 20;
	struct run r;
	char *p = populate(len, 4, 0, 0xa11ce);
	size_t bad;

	walk(0, p, len, "pageout", PARTIAL, 512, &r);
	bad = verify(p, len, 0xa11ce);
	tap(r.rc == 0 && r.result == 0 &&
	    W(&r, reclaimed) == (long long)(len / PAGE_SZ) && bad == 0,
	    "%s: afterwards the module still works (trigger %s, %lld of %lu pages reclaimed, %zu bad)",
	    name, errname(r.rc), W(&r, reclaimed), len / PAGE_SZ, bad);
	munmap(p, len);
}

/* ------------------------------------------------------------------ */
/* range all, target exits mid-walk, writer killed mid-trigger        */

/* A field of /proc/PID/status, thread-safe (own buffer); -1 if none. */
static long long status_kb(pid_t pid, const char *field)
{
	char path[64], buf[4096], *s;
	size_t len = strlen(field);

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_text(path, buf, sizeof(buf)) <= 0)
		return -1;
	for (s = buf; s; s = strchr(s, '\n')) {
		if (*s == '\n')
			s++;
		if (!strncmp(s, field, len) && s[len] == ':')
			return strtoll(s + len + 1, NULL, 10);
	}
	return -1;
}

/*
 * A forked child maps len bytes of small pages (fill: with seed, else
 * one word a page) and reports the address; then, when told, verifies
 * (fill only) and exits 0 if all is well.  Returns its pid.
 */
struct target {
	pid_t pid;
	char *p;
	int go;			/* write a byte: verify and exit */
};

static void start_target(struct target *t, size_t len, int do_fill,
			 uint64_t seed)
{
	int up[2], down[2];
	char c;

	enable_only(0);
	if (pipe(up) || pipe(down))
		die("pipe");
	t->pid = fork();
	if (t->pid < 0)
		die("fork");
	if (!t->pid) {
		char *p = map_aligned(len);
		size_t off;

		close(up[0]);
		close(down[1]);
		madvise(p, len, MADV_NOHUGEPAGE);
		if (do_fill)
			fill(p, len, seed);
		else
			for (off = 0; off < len; off += PAGE_SZ)
				*(volatile uint64_t *)(p + off) = off + 1;
		if (write(up[1], &p, sizeof(p)) != sizeof(p))
			_exit(3);
		if (read(down[0], &c, 1) != 1)
			_exit(2);
		_exit(do_fill && verify(p, len, seed) ? 1 : 0);
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], &t->p, sizeof(t->p)) != sizeof(t->p))
		die("target setup");
	close(up[0]);
	t->go = down[1];
}

/* Tells the target to verify and exit; its exit status. */
static int finish_target(struct target *t)
{
	int status;

	if (write(t->go, "g", 1) != 1)
		diag("target %d gone before verifying", t->pid);
	close(t->go);
	waitpid(t->pid, &status, 0);
	return status;
}

/*
 * Range all on a child: its fresh region goes to swap, what it shares
 * with this process (fork) stays, and the [vvar] mapping (VM_PFNMAP |
 * VM_IO on x86) is skipped as a VMA.
 */
static void range_all_case(void)
{
	const char *name = "walker range all";
	const size_t len = REGION;
	uint64_t seed = 0xa11a11;
	struct target t;
	struct span s;
	struct run r;
	long long swap0, swap1;
	int status;

	start_target(&t, len, 1, seed);
	swap0 = status_kb(t.pid, "VmSwap");
	walk(t.pid, NULL, 0, "pageout", PARTIAL, 512, &r);
	swap1 = status_kb(t.pid, "VmSwap");
	scan(t.pid, t.p, len, &s);
	check_run(name, &r, 512);
	tap(W(&r, skip_vma) >= 1,
	    "%s: [vvar] (VM_PFNMAP|VM_IO) skipped as a VMA (skip_vma %lld)",
	    name, W(&r, skip_vma));
	tap(W(&r, skip_shared) > 0,
	    "%s: memory shared with the parent since fork skipped (skip_shared %lld)",
	    name, W(&r, skip_shared));
	/* file pages only the child maps may go too, not into its VmSwap */
	tap(s.swapped == (long)(len / PAGE_SZ) &&
	    W(&r, reclaimed) >= (swap1 - swap0) / 4 &&
	    swap1 - swap0 >= (long long)(len / 1024),
	    "%s: the child's region went to swap (%ld of %lu pages; child's VmSwap +%lld kB, walk_reclaimed %lld)",
	    name, s.swapped, len / PAGE_SZ, swap1 - swap0, W(&r, reclaimed));
	status = finish_target(&t);
	tap(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: the child's memory reads back identical (status %#x)", name,
	    status);
}

struct killer {
	pid_t victim;		/* a child: killed once it has swap, reaped */
	double t_kill, t_reaped;
	long long swap_kb;	/* its VmSwap when killed */
	int status;
};

static void *killer_thread(void *arg)
{
	struct killer *k = arg;
	double end = now() + 10;
	long long kb = 0;

	while (now() < end) {
		kb = status_kb(k->victim, "VmSwap");
		if (kb != 0)
			break;
		usleep(1000);
	}
	k->swap_kb = kb;
	k->t_kill = now();
	kill(k->victim, SIGKILL);
	if (waitpid(k->victim, &k->status, 0) != k->victim)
		k->status = -1;
	k->t_reaped = now();
	return NULL;
}

/*
 * The target is SIGKILLed (by a thread of this process) once the walk
 * has begun to swap it out, and reaped by that thread: its exit must
 * not wait for the walk, the trigger must end well.
 */
static void target_exit_case(void)
{
	const char *name = "walker target exits mid-walk";
	struct killer k = { 0 };
	struct target t;
	pthread_t th;
	struct run r;
	double t_start, t_end;
	int status, err;

	t_start = now();
	start_target(&t, BIG, 0, 0);
	diag("%s: target %d mapped %lu MiB in %.2f s", name, t.pid, BIG >> 20,
	     now() - t_start);
	memset(&r, 0, sizeof(r));
	r.rc = request(t.pid, t.p, BIG, "pageout", PARTIAL, 512);
	if (r.rc) {
		tap(0, "%s: cannot select the target: %s", name,
		    errname(r.rc));
		kill(t.pid, SIGKILL);
		waitpid(t.pid, &status, 0);
		return;
	}
	k.victim = t.pid;
	err = pthread_create(&th, NULL, killer_thread, &k);
	if (err) {
		errno = err;
		die("pthread_create");
	}
	t_start = now();
	trigger(&r);
	t_end = now();
	pthread_join(th, NULL);
	close(t.go);
	diag("%s: trigger %s after %.3f s; kill at +%.3f s (target had %lld kB swapped), reaped at +%.3f s; last result %lld",
	     name, errname(r.rc), t_end - t_start, k.t_kill - t_start,
	     k.swap_kb, k.t_reaped - t_start, r.result);
	diag_walk(name, &r);
	if (r.rc == 0 && t_end - k.t_reaped > 0.5)
		diag("%s: the walk went on %.3f s after the target was reaped, paging out the memory of a dead process",
		     name, t_end - k.t_reaped);
	tap(k.swap_kb > 0 && k.t_kill < t_end,
	    "%s: the kill landed while the walk was paging the target out",
	    name);
	tap(r.rc == 0 || r.rc == ESRCH || r.rc == EINTR,
	    "%s: trigger returned 0, ESRCH or EINTR (%s)", name,
	    errname(r.rc));
	tap(r.rc == ESRCH || r.result == -r.rc,
	    "%s: last records the run's result (%lld)", name, r.result);
	tap(k.status != -1 && WIFSIGNALED(k.status) &&
	    WTERMSIG(k.status) == SIGKILL && k.t_reaped - k.t_kill < 5,
	    "%s: the target died of SIGKILL and was reaped %.3f s after the kill",
	    name, k.t_reaped - k.t_kill);
	module_works(name);
}

/*
 * A forked writer triggers pageout of a big target with batch 1 and is
 * SIGKILLed once the walk has begun: it must die promptly, the run ends
 * with -EINTR and exact counters, the target's memory is intact.
 */
static void writer_kill_case(void)
{
	const char *name = "walker writer killed mid-trigger";
	uint64_t seed = 0x6b111;
	long long swap0, swap1, kb = 0;
	struct target t;
	struct run r;
	int sync[2], status, wstatus;
	double t0, t_kill, t_dead;
	char c = 0;
	pid_t w;

	t0 = now();
	start_target(&t, BIG, 1, seed);
	diag("%s: target %d filled %lu MiB in %.2f s", name, t.pid, BIG >> 20,
	     now() - t0);
	swap0 = status_kb(t.pid, "VmSwap");
	if (pipe(sync))
		die("pipe");
	w = fork();
	if (w < 0)
		die("fork");
	if (!w) {
		int err = request(t.pid, t.p, BIG, "pageout", PARTIAL, 1);

		if (err)
			_exit(100);
		if (write(sync[1], "s", 1) != 1)
			_exit(101);
		err = knob_write("trigger", "1");
		c = 'd';
		if (write(sync[1], &c, 1) != 1)
			_exit(101);
		pause();
		_exit(err);
	}
	close(sync[1]);
	if (read(sync[0], &c, 1) != 1 || c != 's') {
		tap(0, "%s: the writer could not select the target", name);
		kill(t.pid, SIGKILL);
		waitpid(w, &wstatus, 0);
		waitpid(t.pid, &status, 0);
		return;
	}
	t0 = now();
	while (now() - t0 < 10 && (kb = status_kb(t.pid, "VmSwap")) == swap0)
		usleep(1000);
	t_kill = now();
	kill(w, SIGKILL);
	waitpid(w, &wstatus, 0);
	t_dead = now();
	c = 0;
	fcntl(sync[0], F_SETFL, O_NONBLOCK);
	if (read(sync[0], &c, 1) != 1)
		c = 0;
	close(sync[0]);
	memset(&r, 0, sizeof(r));
	r.rc = EINTR;
	read_last(&r);
	swap1 = status_kb(t.pid, "VmSwap");
	diag("%s: walk began after %.3f s (target VmSwap %lld kB); writer died %.3f s after SIGKILL; last: result %lld, elapsed %.3f s",
	     name, t_kill - t0, kb, t_dead - t_kill, r.result,
	     r.elapsed_ns / 1e9);
	diag_walk(name, &r);
	tap(kb > swap0 && c != 'd',
	    "%s: the kill landed inside the trigger, after the walk began",
	    name);
	tap(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL &&
	    t_dead - t_kill < 5,
	    "%s: the writer died of SIGKILL within 5 s (%.3f s)", name,
	    t_dead - t_kill);
	tap(r.result == -EINTR && W(&r, reclaimed) < (long long)(BIG / PAGE_SZ),
	    "%s: last: the run stopped early with -EINTR (result %lld, %lld of %lu pages reclaimed)",
	    name, r.result, W(&r, reclaimed), BIG / PAGE_SZ);
	tap((swap1 - swap0) / 4 == W(&r, reclaimed),
	    "%s: last: walk_reclaimed %lld == the target's VmSwap +%lld kB / 4",
	    name, W(&r, reclaimed), swap1 - swap0);
	t0 = now();
	status = finish_target(&t);
	tap(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: the target's memory reads back identical (status %#x, %.2f s)",
	    name, status, now() - t0);
	module_works(name);
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	struct walker_env e;

	walker_start(argc, argv, &e);
	if (want("all"))
		range_all_case();
	if (want("exit"))
		target_exit_case();
	if (want("kill"))
		writer_kill_case();

	return walker_end("t_walker_proc", &e, rl_failures);
}
