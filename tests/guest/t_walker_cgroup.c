// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup target: with `cgroup` set, a trigger runs the walker
 * (pte_reclaim here) over every process of that cgroup v2 and its
 * descendants, each mm once, and no other process.
 *  - walk: three children under /rltest/a (two in a, one in a/b, two of
 *    them with a second thread), each with 64 empty PTE tables, and one
 *    child in the root cgroup: a trigger on /rltest/a walks the three
 *    (3 runs), frees their tables, leaves the fourth's; the absolute form
 *    /sys/fs/cgroup/rltest/a/b walks the one below;
 *  - pid: `pid` then frees the fourth's tables; `pid` and `cgroup` each
 *    clear the other;
 *  - errors: ENOENT, EINVAL, ENOTDIR, each leaving the value as it was;
 *  - exit: a zombie, a process killed just before the trigger and one
 *    killed during its walk are counted as exited, result 0; one that
 *    moved out to the root cgroup is not walked; one whose main thread
 *    exited while another thread runs is still walked; two processes
 *    sharing an mm (CLONE_VM) are walked once;
 *  - empty: a cgroup with no process: result 0, nothing walked.
 * Usage: t_walker_cgroup [group]   (walk, pid, errors, exit, empty)
 */
#include "walker_lib.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define CG_ROOT "/sys/fs/cgroup"
#define TABLES 64			/* each child's empty PTE tables */
#define BIG_TABLES 2048			/* the one killed during its walk */
#define C(r, name) ((r)->c.v[RL_C_pte_reclaim_##name])

/* The cgroups made here, as /proc/PID/cgroup prints them; parents first. */
static const char *const cgroups[] = {
	"/rltest", "/rltest/a", "/rltest/a/b", "/rltest/x", "/rltest/m",
	"/rltest/lead", "/rltest/vm", "/rltest/empty",
};
#define NR_CGROUPS (sizeof(cgroups) / sizeof(cgroups[0]))

enum child_mode {
	PLAIN,		/* one thread */
	THREADED,	/* and a second thread */
	EXIT_NOW,	/* exits once in its cgroup: a zombie until reaped */
	LEADER_EXITS,	/* the main thread exits, a second thread runs on */
	SHARES_MM,	/* and a CLONE_VM process (not a thread) sharing its mm */
};

#define KID(n, g, m, t) { .name = n, .cg = g, .mode = m, .tables = t }

struct child {
	const char *name;
	const char *cg;		/* its cgroup, NULL: the root cgroup */
	enum child_mode mode;
	size_t tables;
	pid_t pid;
	pid_t tid;		/* a live thread of it, for its status */
	pid_t vm_pid;		/* SHARES_MM: the process sharing its mm */
	long long pte0;		/* VmPTE, kB, once its tables are empty */
};

/* What `last` says of a cgroup trigger's processes. */
struct procs {
	long long walked, exited, kthread;
	char cgroup[256];	/* its "cgroup" line, "" if none */
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

/* VmPTE (kB) of thread @tid of @pid, or -1; any thread may call it. */
static long long vm_pte(pid_t pid, pid_t tid)
{
	char path[64], buf[4096], *s;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	s = strstr(buf, "\nVmPTE:");
	return s ? strtoll(s + 7, NULL, 10) : -1;
}

/* The first character of State: in /proc/PID/status, or '?'. */
static char proc_state(pid_t pid)
{
	char path[64], buf[4096], *s;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_text(path, buf, sizeof(buf)) < 0)
		return '?';
	s = strstr(buf, "\nState:");
	if (!s)
		return '?';
	s += 7;
	while (*s == ' ' || *s == '\t')
		s++;
	return *s ? *s : '?';
}

/* Moves @pid to cgroup @cg ("" for the root): 0 or an errno. */
static int cg_move(const char *cg, pid_t pid)
{
	char path[256], buf[32];

	snprintf(path, sizeof(path), CG_ROOT "%s/cgroup.procs", cg);
	snprintf(buf, sizeof(buf), "%d", pid);
	return write_bytes(path, buf, strlen(buf), -1);
}

/* The rest of the line of `last` starting with "@name ", into @out. */
static void last_text(const char *name, char *out, size_t size)
{
	static char buf[1 << 16];
	size_t len = strlen(name);
	char *line, *end;

	out[0] = '\0';
	if (read_text(RL_DIR "last", buf, sizeof(buf)) < 0)
		return;
	for (line = buf; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (end)
			*end = '\0';
		if (!strncmp(line, name, len) && line[len] == ' ') {
			snprintf(out, size, "%s", line + len + 1);
			return;
		}
	}
}

static void read_procs(struct procs *p)
{
	p->walked = field_in(RL_DIR "last", "procs_walked");
	p->exited = field_in(RL_DIR "last", "procs_skipped_exited");
	p->kthread = field_in(RL_DIR "last", "procs_skipped_kthread");
	last_text("cgroup", p->cgroup, sizeof(p->cgroup));
}

/* The `cgroup` knob, copied. */
static const char *cg_knob(char *out, size_t size)
{
	snprintf(out, size, "%s", knob_read("cgroup"));
	return out;
}

/* ------------------------------------------------------------------ */
/* The children                                                        */

static void report(int fd, int val)
{
	if (write(fd, &val, sizeof(val)) != sizeof(val))
		_exit(3);
}

static void *idle_thread(void *arg)
{
	/* LEADER_EXITS: this thread says it is the one to look at */
	if (arg)
		report(*(int *)arg, gettid());
	for (;;)
		pause();
	return NULL;
}

static char vm_stack[64 << 10] __attribute__((aligned(16)));

static int vm_sharer(void *arg)
{
	(void)arg;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;)
		pause();
	return 0;
}

/*
 * In its cgroup, @c->tables empty PTE tables (one page touched per
 * 2 MiB, then zapped); it reports its thread id (and SHARES_MM: the
 * sharer's pid), or -errno, on @fd, and waits to be killed.
 */
static void __attribute__((noreturn)) child_main(const struct child *c,
						 int fd)
{
	static int thread_fd;
	pthread_t t;
	size_t i;
	char *p;
	int err;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (c->cg) {
		err = cg_move(c->cg, getpid());
		if (err) {
			report(fd, -err);
			_exit(1);
		}
	}
	if (c->mode == EXIT_NOW) {
		report(fd, getpid());
		_exit(0);
	}
	p = map_sparse(c->tables * PMD_SZ);
	for (i = 0; i < c->tables; i++)
		p[i * PMD_SZ] = 1;
	for (i = 0; i < c->tables; i++)
		if (madvise(p + i * PMD_SZ, PAGE_SZ, MADV_DONTNEED)) {
			report(fd, -errno);
			_exit(1);
		}
	switch (c->mode) {
	case THREADED:
		err = pthread_create(&t, NULL, idle_thread, NULL);
		report(fd, err ? -err : getpid());
		break;
	case LEADER_EXITS:
		thread_fd = fd;
		err = pthread_create(&t, NULL, idle_thread, &thread_fd);
		if (err) {
			report(fd, -err);
			_exit(1);
		}
		pthread_exit(NULL);
	case SHARES_MM:
		err = clone(vm_sharer, vm_stack + sizeof(vm_stack),
			    CLONE_VM | SIGCHLD, NULL);
		if (err < 0) {
			report(fd, -errno);
			_exit(1);
		}
		report(fd, getpid());
		report(fd, err);
		break;
	default:
		report(fd, getpid());
		break;
	}
	for (;;)
		pause();
}

/* Starts @c and waits until it is ready; 0, or -1 (said why). */
static int spawn(struct child *c)
{
	int fds[2], v = 0;

	c->pid = 0;
	c->tid = 0;
	c->vm_pid = 0;
	c->pte0 = -1;
	if (pipe(fds))
		die("pipe");
	c->pid = fork();
	if (c->pid < 0)
		die("fork");
	if (!c->pid) {
		close(fds[0]);
		child_main(c, fds[1]);
	}
	close(fds[1]);
	if (read(fds[0], &v, sizeof(v)) != sizeof(v) || v <= 0) {
		tap(0, "%s: child %d in %s not ready: %s", c->name, c->pid,
		    c->cg ? c->cg : "/", v < 0 ? strerror(-v) : "no report");
		close(fds[0]);
		return -1;
	}
	c->tid = v;
	if (c->mode == SHARES_MM &&
	    (read(fds[0], &v, sizeof(v)) != sizeof(v) || v <= 0)) {
		tap(0, "%s: child %d: no CLONE_VM sharer", c->name, c->pid);
		close(fds[0]);
		return -1;
	}
	if (c->mode == SHARES_MM)
		c->vm_pid = v;
	close(fds[0]);
	if (c->mode == LEADER_EXITS) {
		int i;

		/* the leader stays a zombie while its other thread runs */
		for (i = 0; i < 200 && proc_state(c->pid) != 'Z'; i++)
			usleep(10000);
		diag("%s: leader %d state %c, thread %d runs", c->name,
		     c->pid, proc_state(c->pid), c->tid);
	}
	if (c->mode == EXIT_NOW) {
		siginfo_t si;

		/* exited, not reaped: a zombie in its cgroup */
		waitid(P_PID, c->pid, &si, WEXITED | WNOWAIT);
		return 0;
	}
	c->pte0 = vm_pte(c->pid, c->tid);
	return 0;
}

static void reap(struct child *c)
{
	if (c->pid <= 0)
		return;
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	c->pid = 0;
	/* reparented to this process (a subreaper) once c->pid is gone */
	if (c->vm_pid > 0) {
		kill(c->vm_pid, SIGKILL);
		waitpid(c->vm_pid, NULL, 0);
		c->vm_pid = 0;
	}
}

static long long pte_now(const struct child *c)
{
	return vm_pte(c->pid, c->tid);
}

/* ------------------------------------------------------------------ */
/* Triggers                                                            */

/* pte_reclaim over range all of cgroup @cg; 0 or the refusing errno. */
static int cg_select(const char *cg)
{
	int err = knob_write("walker", "pte_reclaim");

	if (!err)
		err = knob_write("range", "all");
	if (!err)
		err = knob_write("cgroup", cg);
	if (err)
		diag("selecting pte_reclaim, range all, cgroup %s: %s", cg,
		     errname(err));
	return err;
}

static void fail_run(struct run *r, struct procs *p, int err)
{
	int i;

	r->rc = err;
	r->result = -1;
	for (i = 0; i < RL_NR_COUNTERS; i++)
		r->c.v[i] = -1;
	p->walked = -1;
	p->exited = -1;
	p->kthread = -1;
	p->cgroup[0] = '\0';
}

static void cg_trigger(const char *cg, struct run *r, struct procs *p)
{
	int err;

	memset(r, 0, sizeof(*r));
	err = cg_select(cg);
	if (err) {
		fail_run(r, p, err);
		return;
	}
	trigger(r);
	read_procs(p);
}

static void diag_cg(const char *name, const struct run *r,
		    const struct procs *p)
{
	diag("%s: write %s, result %lld, %.3f s; last: cgroup \"%s\" procs_walked %lld skipped_exited %lld skipped_kthread %lld; pte_reclaim runs %lld scanned %lld freed %lld not_empty %lld busy %lld vma %lld",
	     name, errname(r->rc), r->result, r->secs, p->cgroup, p->walked,
	     p->exited, p->kthread, C(r, runs), C(r, tables_scanned),
	     C(r, tables_freed), C(r, skip_not_empty), C(r, skip_busy),
	     C(r, skip_vma));
}

/* ------------------------------------------------------------------ */
/* The tests                                                           */

static struct child kids[] = {
	KID("a1", "/rltest/a", THREADED, TABLES),
	KID("a2", "/rltest/a", PLAIN, TABLES),
	KID("b1", "/rltest/a/b", THREADED, TABLES),
	KID("out", NULL, PLAIN, TABLES),
};
#define NR_KIDS (sizeof(kids) / sizeof(kids[0]))
#define OUT (&kids[3])

static int setup(void)
{
	unsigned int i;
	char buf[64];

	for (i = 0; i < NR_CGROUPS; i++) {
		snprintf(buf, sizeof(buf), CG_ROOT "%s", cgroups[i]);
		if (mkdir(buf, 0755) && errno != EEXIST) {
			tap(0, "setup: mkdir %s: %s", buf, strerror(errno));
			return -1;
		}
	}
	for (i = 0; i < NR_KIDS; i++)
		if (spawn(&kids[i]))
			return -1;
	for (i = 0; i < NR_KIDS; i++)
		diag("setup: %s pid %d in %s, %zu empty tables, VmPTE %lld kB",
		     kids[i].name, kids[i].pid,
		     kids[i].cg ? kids[i].cg : "/", kids[i].tables,
		     kids[i].pte0);
	tap(1, "setup: %zu cgroups under " CG_ROOT "/rltest, 3 children under /rltest/a (one in a/b), 1 in the root cgroup",
	    NR_CGROUPS);
	return 0;
}

static void test_walk(void)
{
	long long drop[NR_KIDS], out_after, min_drop = -1;
	struct procs p;
	struct run r;
	char cg[256];
	unsigned int i;

	cg_trigger("/rltest/a", &r, &p);
	for (i = 0; i < NR_KIDS; i++)
		drop[i] = kids[i].pte0 - pte_now(&kids[i]);
	out_after = pte_now(OUT);
	diag_cg("walk /rltest/a", &r, &p);
	for (i = 0; i < 3; i++) {
		diag("walk: %s VmPTE %lld -> %lld kB", kids[i].name,
		     kids[i].pte0, kids[i].pte0 - drop[i]);
		if (min_drop < 0 || drop[i] < min_drop)
			min_drop = drop[i];
	}
	tap(r.rc == 0 && r.result == 0,
	    "walk: trigger on cgroup /rltest/a succeeded (%s, result %lld)",
	    errname(r.rc), r.result);
	tap(!strcmp(p.cgroup, "/rltest/a"),
	    "walk: last says cgroup \"%s\" (want /rltest/a)", p.cgroup);
	tap(p.walked == 3 && p.exited == 0 && p.kthread == 0,
	    "walk: procs_walked %lld (want 3: a, a and a/b), skipped_exited %lld, skipped_kthread %lld (want 0, 0)",
	    p.walked, p.exited, p.kthread);
	tap(C(&r, runs) == 3,
	    "walk: pte_reclaim_runs %lld (want 3: each mm once, two of them with 2 threads)",
	    C(&r, runs));
	tap(C(&r, tables_freed) >= 3 * TABLES,
	    "walk: tables_freed %lld (want >= %d)", C(&r, tables_freed),
	    3 * TABLES);
	tap(min_drop >= TABLES * 4,
	    "walk: each of the three's VmPTE dropped by >= %d kB (least %lld kB)",
	    TABLES * 4, min_drop);
	tap(out_after == OUT->pte0 && out_after > 0,
	    "walk: the root cgroup's child kept its tables (VmPTE %lld -> %lld kB)",
	    OUT->pte0, out_after);

	/* the absolute form, of the cgroup below */
	cg_trigger(CG_ROOT "/rltest/a/b", &r, &p);
	diag_cg("walk " CG_ROOT "/rltest/a/b", &r, &p);
	tap(!strcmp(cg_knob(cg, sizeof(cg)), "/rltest/a/b"),
	    "walk: cgroup written as " CG_ROOT "/rltest/a/b reads \"%s\" (want /rltest/a/b)",
	    cg);
	tap(r.rc == 0 && r.result == 0 && p.walked == 1 &&
	    C(&r, runs) == 1 && !strcmp(p.cgroup, "/rltest/a/b"),
	    "walk: trigger on " CG_ROOT "/rltest/a/b walks 1 process (%s, result %lld, procs_walked %lld, runs %lld, last cgroup \"%s\")",
	    errname(r.rc), r.result, p.walked, C(&r, runs), p.cgroup);
	tap(pte_now(OUT) == OUT->pte0,
	    "walk: the root cgroup's child still kept its tables (VmPTE %lld kB)",
	    pte_now(OUT));
}

static void test_pid(void)
{
	long long before = pte_now(OUT), after;
	char cg[256], pid[64];
	struct procs p;
	struct run r;
	int err;

	err = knob_write("cgroup", "/rltest/a");
	walk(OUT->pid, NULL, 0, "pte_reclaim", PARTIAL, 512, &r);
	after = pte_now(OUT);
	read_procs(&p);
	diag("pid %d: write %s, result %lld, runs %lld, freed %lld, VmPTE %lld -> %lld kB",
	     OUT->pid, errname(r.rc), r.result, C(&r, runs),
	     C(&r, tables_freed), before, after);
	tap(!err && r.rc == 0 && r.result == 0 && C(&r, runs) == 1 &&
	    C(&r, tables_freed) >= TABLES && before - after >= TABLES * 4,
	    "pid: pid %d (the root cgroup's child) frees its tables: runs %lld, tables_freed %lld (want >= %d), VmPTE -%lld kB",
	    OUT->pid, C(&r, runs), C(&r, tables_freed), TABLES,
	    before - after);
	tap(!strcmp(cg_knob(cg, sizeof(cg)), "none"),
	    "pid: writing pid cleared cgroup (reads \"%s\")", cg);
	tap(p.walked == -1 && !p.cgroup[0],
	    "pid: last of a pid trigger has no cgroup lines (procs_walked %lld, cgroup \"%s\")",
	    p.walked, p.cgroup);

	err = knob_write("cgroup", "/rltest/a");
	snprintf(pid, sizeof(pid), "%s", knob_read("pid"));
	tap(!err && !strcmp(pid, "none") &&
	    !strcmp(cg_knob(cg, sizeof(cg)), "/rltest/a"),
	    "pid: writing cgroup /rltest/a (%s) cleared pid (reads \"%s\"), cgroup reads \"%s\"",
	    errname(err), pid, cg);
}

static void expect_refused(const char *value, int want)
{
	char before[256], after[256];
	int err;

	cg_knob(before, sizeof(before));
	err = knob_write("cgroup", value);
	cg_knob(after, sizeof(after));
	tap(err == want && !strcmp(before, after),
	    "errors: cgroup \"%s\" refused with %s (want %s), value still \"%s\" (was \"%s\")",
	    value, errname(err), errname(want), after, before);
}

static void test_errors(void)
{
	char cg[256];
	int err;

	err = knob_write("cgroup", "/rltest/a");
	tap(!err && !strcmp(cg_knob(cg, sizeof(cg)), "/rltest/a"),
	    "errors: cgroup /rltest/a to start from (%s, reads \"%s\")",
	    errname(err), cg);
	expect_refused("/rltest/nope", ENOENT);
	expect_refused(CG_ROOT "/rltest/nope", ENOENT);
	expect_refused("rltest/a", EINVAL);
	expect_refused(CG_ROOT "/rltest/cgroup.procs", ENOTDIR);
	expect_refused("/rltest/cgroup.procs", ENOTDIR);
	err = knob_write("cgroup", "/tmp");
	diag("errors: cgroup \"/tmp\" (a directory, not of cgroup2): %s, reads \"%s\"",
	     errname(err), cg_knob(cg, sizeof(cg)));
	knob_write("cgroup", "/rltest/a");
}

struct killer {
	const struct child *c;
	volatile int stop;
	int killed;
	long long pte_at_kill;
	double at;		/* when, s after the trigger began */
	double t0;
};

/* Kills the child as soon as its walk has freed some of its tables. */
static void *killer_loop(void *arg)
{
	struct killer *k = arg;
	long long v;

	while (!k->stop) {
		v = vm_pte(k->c->pid, k->c->tid);
		if (v >= 0 && v <= k->c->pte0 - 64) {
			kill(k->c->pid, SIGKILL);
			k->killed = 1;
			k->pte_at_kill = v;
			k->at = now() - k->t0;
			break;
		}
	}
	return NULL;
}

static void test_exit_mid_walk(void)
{
	struct child zombie = KID("zombie", "/rltest/x", EXIT_NOW, 0);
	struct child dying = KID("killed before", "/rltest/x", PLAIN, TABLES);
	struct child big = KID("killed during", "/rltest/x", PLAIN,
			       BIG_TABLES);
	struct killer k = { .c = &big };
	struct procs p;
	pthread_t t;
	struct run r;
	int err;

	if (spawn(&zombie) || spawn(&dying) || spawn(&big))
		goto out;
	diag("exit: zombie %d (state %c), %d to be killed before the trigger, %d (VmPTE %lld kB) during its walk",
	     zombie.pid, proc_state(zombie.pid), dying.pid, big.pid,
	     big.pte0);
	memset(&r, 0, sizeof(r));
	err = cg_select("/rltest/x");
	if (err) {
		tap(0, "exit: selecting /rltest/x: %s", errname(err));
		goto out;
	}
	k.t0 = now();
	if (pthread_create(&t, NULL, killer_loop, &k))
		die("pthread_create");
	kill(dying.pid, SIGKILL);
	r.rc = knob_write("trigger", "1");
	r.secs = now() - k.t0;
	k.stop = 1;
	pthread_join(t, NULL);
	read_last(&r);
	read_procs(&p);
	diag_cg("exit /rltest/x", &r, &p);
	if (k.killed)
		diag("exit: %d killed %.3f s into the trigger, its VmPTE then %lld of %lld kB (mid-walk)",
		     big.pid, k.at, k.pte_at_kill, big.pte0);
	else
		diag("exit: %d not killed during the trigger (its walk was over before the poll saw it)",
		     big.pid);
	tap(r.rc == 0 && r.result == 0,
	    "exit: a zombie, one killed before and one killed during the walk: result 0 (%s, result %lld)",
	    errname(r.rc), r.result);
	tap(p.walked + p.exited == 3 && p.exited >= 1 && p.walked <= 2 &&
	    p.kthread == 0,
	    "exit: procs_walked %lld + skipped_exited %lld = 3 (the zombie counted as exited), skipped_kthread %lld",
	    p.walked, p.exited, p.kthread);
	if (k.killed)
		tap(p.exited >= 2 || p.walked >= 1,
		    "exit: the process killed mid-walk counted (walked %lld, exited %lld)",
		    p.walked, p.exited);
out:
	reap(&zombie);
	reap(&dying);
	reap(&big);
}

static void test_migrated_out(void)
{
	struct child m = KID("migrated", "/rltest/m", PLAIN, TABLES);
	struct procs p;
	char path[64], buf[256];
	struct run r;
	int err;

	if (spawn(&m))
		goto out;
	err = cg_move("", m.pid);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", m.pid);
	if (read_text(path, buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	tap(!err && !strcmp(buf, "0::/"),
	    "exit: moved %d from /rltest/m to the root cgroup (%s, /proc/PID/cgroup \"%s\")",
	    m.pid, errname(err), buf);
	cg_trigger("/rltest/m", &r, &p);
	diag_cg("exit /rltest/m", &r, &p);
	tap(r.rc == 0 && r.result == 0 && p.walked == 0 && p.exited == 0 &&
	    C(&r, runs) == 0 && pte_now(&m) == m.pte0,
	    "exit: the process that moved out is not walked (result %lld, procs_walked %lld, exited %lld, runs %lld, VmPTE %lld -> %lld kB)",
	    r.result, p.walked, p.exited, C(&r, runs), m.pte0, pte_now(&m));
out:
	reap(&m);
}

static void test_leader_exited(void)
{
	struct child l = KID("leader exited", "/rltest/lead", LEADER_EXITS,
			     TABLES);
	long long after;
	struct procs p;
	struct run r;

	if (spawn(&l))
		goto out;
	cg_trigger("/rltest/lead", &r, &p);
	after = pte_now(&l);
	diag_cg("exit /rltest/lead", &r, &p);
	tap(r.rc == 0 && r.result == 0 && p.walked == 1 && C(&r, runs) == 1 &&
	    C(&r, tables_freed) >= TABLES && l.pte0 - after >= TABLES * 4,
	    "exit: a process whose main thread exited (state %c) while thread %d runs is walked: procs_walked %lld (want 1), skipped_exited %lld, runs %lld, tables_freed %lld, VmPTE %lld -> %lld kB",
	    proc_state(l.pid), l.tid, p.walked, p.exited, C(&r, runs),
	    C(&r, tables_freed), l.pte0, after);
out:
	reap(&l);
}

/*
 * The same after the process moved to /rltest/x: its threads moved, its
 * exited leader stayed where it was (an exited task is not migrated), so
 * membership is judged by the thread the mm is taken from: walked in
 * /rltest/x, not in /rltest/lead.
 */
static void test_leader_exited_moved(void)
{
	struct child l = KID("leader exited, moved", "/rltest/lead",
			     LEADER_EXITS, TABLES);
	struct procs p_old, p_new;
	struct run r_old, r_new;
	long long after;
	int err;

	if (spawn(&l))
		goto out;
	err = cg_move("/rltest/x", l.tid);
	if (err) {
		tap(0, "exit: moving thread %d to /rltest/x: %s", l.tid,
		    errname(err));
		goto out;
	}
	cg_trigger("/rltest/lead", &r_old, &p_old);
	cg_trigger("/rltest/x", &r_new, &p_new);
	after = pte_now(&l);
	diag_cg("exit moved /rltest/lead", &r_old, &p_old);
	diag_cg("exit moved /rltest/x", &r_new, &p_new);
	tap(r_old.rc == 0 && p_old.walked == 0 && r_new.rc == 0 &&
	    p_new.walked == 1 && l.pte0 - after >= TABLES * 4,
	    "exit: a process whose main thread exited, moved to /rltest/x, is walked there (procs_walked %lld, want 1) and not in /rltest/lead where its leader stayed (%lld, want 0); VmPTE %lld -> %lld kB",
	    p_new.walked, p_old.walked, l.pte0, after);
out:
	reap(&l);
}

static void test_shared_mm(void)
{
	struct child v = KID("shares mm", "/rltest/vm", SHARES_MM, TABLES);
	long long after;
	struct procs p;
	char buf[256], *s;
	struct run r;

	if (spawn(&v))
		goto out;
	if (read_text(CG_ROOT "/rltest/vm/cgroup.procs", buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	for (s = buf; *s; s++)
		if (*s == '\n')
			*s = ' ';
	diag("exit: /rltest/vm holds %s(%d and its CLONE_VM sharer %d)", buf,
	     v.pid, v.vm_pid);
	cg_trigger("/rltest/vm", &r, &p);
	after = pte_now(&v);
	diag_cg("exit /rltest/vm", &r, &p);
	tap(r.rc == 0 && r.result == 0 && p.walked == 1 && C(&r, runs) == 1 &&
	    C(&r, tables_freed) >= TABLES && v.pte0 - after >= TABLES * 4,
	    "exit: two processes sharing an mm (CLONE_VM) walked once: procs_walked %lld (want 1), runs %lld, tables_freed %lld, VmPTE %lld -> %lld kB",
	    p.walked, C(&r, runs), C(&r, tables_freed), v.pte0, after);
out:
	reap(&v);
}

static void test_empty(void)
{
	struct procs p;
	struct run r;
	char cg[256];
	int err;

	cg_trigger("/rltest/empty", &r, &p);
	diag_cg("empty /rltest/empty", &r, &p);
	tap(r.rc == 0 && r.result == 0 && p.walked == 0 && p.exited == 0 &&
	    p.kthread == 0 && C(&r, runs) == 0 &&
	    !strcmp(p.cgroup, "/rltest/empty"),
	    "empty: trigger on an empty cgroup: %s, result %lld, procs_walked %lld, exited %lld, kthread %lld, runs %lld, last cgroup \"%s\"",
	    errname(r.rc), r.result, p.walked, p.exited, p.kthread,
	    C(&r, runs), p.cgroup);

	/* removed after it was set: the trigger says so, not "all done" */
	if (mkdir(CG_ROOT "/rltest/gone", 0755) && errno != EEXIST)
		die("mkdir /rltest/gone");
	err = knob_write("cgroup", "/rltest/gone");
	if (rmdir(CG_ROOT "/rltest/gone"))
		die("rmdir /rltest/gone");
	err = err ?: knob_write("trigger", "1");
	tap(err == ENOENT,
	    "empty: trigger on a cgroup removed since it was set: %s (want ENOENT)",
	    errname(err));

	err = knob_write("cgroup", "none");
	tap(!err && !strcmp(cg_knob(cg, sizeof(cg)), "none"),
	    "empty: cgroup \"none\" clears it (%s, reads \"%s\")",
	    errname(err), cg);
	err = knob_write("trigger", "1");
	diag("empty: trigger with neither pid nor cgroup: %s", errname(err));
}

/*
 * In a child cgroup namespace rooted at /rltest/a, the path form ("/b",
 * relative to that root, as /proc/self/cgroup prints it there) and the
 * directory form (CG_ROOT/rltest/a/b on the init namespace's mount)
 * name the same cgroup, which reads back as "/b" there.  A child does it
 * and says how it went in its exit status.
 */
static void test_cgroupns(void)
{
	char got_path[256] = "", got_dir[256] = "";
	int err_path, err_dir, status;
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		char out[520];
		int n;

		close(fds[0]);
		if (cg_move("/rltest/a", getpid()) || unshare(CLONE_NEWCGROUP))
			_exit(2);
		err_path = knob_write("cgroup", "/b");
		snprintf(got_path, sizeof(got_path), "%s", knob_read("cgroup"));
		err_dir = knob_write("cgroup", CG_ROOT "/rltest/a/b");
		snprintf(got_dir, sizeof(got_dir), "%s", knob_read("cgroup"));
		n = snprintf(out, sizeof(out), "%d %d %.250s %.250s", err_path,
			     err_dir, got_path, got_dir);
		_exit(write(fds[1], out, n) == n ? 0 : 3);
	}
	close(fds[1]);
	{
		char in[520] = "";
		ssize_t n = read(fds[0], in, sizeof(in) - 1);

		if (n > 0)
			in[n] = '\0';
		if (sscanf(in, "%d %d %255s %255s", &err_path, &err_dir,
			   got_path, got_dir) != 4)
			err_path = err_dir = -1;
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	tap(WIFEXITED(status) && WEXITSTATUS(status) == 0 && !err_path &&
	    !err_dir && !strcmp(got_path, "/b") && !strcmp(got_dir, "/b"),
	    "cgroupns: in a cgroup namespace rooted at /rltest/a, \"/b\" (%s, reads \"%s\") and " CG_ROOT "/rltest/a/b (%s, reads \"%s\") are the same cgroup (child status %d)",
	    err_path > 0 ? strerrorname_np(err_path) : err_path ? "?" : "ok",
	    got_path,
	    err_dir > 0 ? strerrorname_np(err_dir) : err_dir ? "?" : "ok",
	    got_dir, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	knob_write("cgroup", "none");
}

static void cleanup(void)
{
	unsigned int i;
	char buf[64];

	knob_write("cgroup", "none");
	for (i = 0; i < NR_KIDS; i++)
		reap(&kids[i]);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	for (i = NR_CGROUPS; i-- > 0;) {
		snprintf(buf, sizeof(buf), CG_ROOT "%s", cgroups[i]);
		if (rmdir(buf) && errno != ENOENT)
			diag("cleanup: rmdir %s: %s", buf, strerror(errno));
	}
}

int main(int argc, char **argv)
{
	struct walker_env e;
	char buf[64];

	walker_start(argc, argv, &e);
	/* a CLONE_VM sharer comes back here when its parent dies */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (read_text(CG_ROOT "/cgroup.controllers", buf, sizeof(buf)) < 0) {
		tap(0, "no cgroup2 at " CG_ROOT ": %s", strerror(errno));
		return walker_end("t_walker_cgroup", &e, 1);
	}
	if (!setup()) {
		if (want("walk"))
			test_walk();
		if (want("pid"))
			test_pid();
		if (want("errors"))
			test_errors();
		if (want("exit")) {
			test_exit_mid_walk();
			test_migrated_out();
			test_leader_exited();
			test_leader_exited_moved();
			test_shared_mm();
		}
		if (want("empty"))
			test_empty();
		if (want("cgroupns"))
			test_cgroupns();
	}
	cleanup();
	return walker_end("t_walker_cgroup", &e, 0);
}
