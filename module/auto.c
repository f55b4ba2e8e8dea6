// SPDX-License-Identifier: GPL-2.0
/*
 * The background mode.  With auto_interval_ms > 0 a kernel thread,
 * "reclaimlab_auto", runs pte_reclaim once per interval over every user
 * process of the pid namespace of whoever started it, or over the
 * processes of `auto_cgroup` if one is set (its own target: a trigger's
 * `pid` and `cgroup` never change it), with `pte_reclaim_zero` and
 * `lock_hold_tables` as the knobs say.  It passes over an mm whose
 * page-table bytes have not grown since its last visit, and never waits
 * for a lock: an mm whose mmap lock is taken (or a trigger in progress)
 * is passed over until a later round.
 *
 * Rounds start one interval apart.  The budget: each round may spend
 * auto_budget_pct of the interval (finding processes, walking, its own
 * bookkeeping).  A walk that runs out of it stops between two tables
 * (one table and RL_BUDGET_CHECK_NS past the end of it) and the next
 * round goes on from there, then on from the process where the pass
 * stopped.  Time spent over the budget is owed by the next rounds, time
 * left over is not saved up, and the rounds that would only pay a debt
 * off are slept through (rl_auto_next_round()): the next round starts an
 * interval after the last one began, or once the debt is paid off at the
 * budget's rate, whichever is later.  A knob write changes neither the
 * debt nor when the next round is due unless it changes that rate or the
 * interval.  So over any stretch the thread is busy for at most its
 * share of the time, plus a few tables.  The time is the thread's CPU
 * time (rl_thread_cpu_ns()).
 *
 * It stops at once (after the table it is at: the walkers check
 * kthread_should_stop()) when 0 is written and on rmmod.  Under kernel
 * lockdown debugfs is read-only, so it is never started.
 */
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/cgroup.h>
#include <linux/pid_namespace.h>
#include <linux/cred.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/wait.h>
#include "reclaimlab.h"
#include "symbols.h"

#define RL_AUTO_BUDGET_DEFAULT	1	/* percent */
#define RL_AUTO_INTERVAL_MIN_MS	10
#define RL_AUTO_INTERVAL_MAX_MS	(3600 * MSEC_PER_SEC)

static DEFINE_MUTEX(rl_auto_lock);	/* the thread's start and stop */
static struct task_struct *rl_auto_thread;
static struct rl_auto_state *rl_auto_thread_state;	/* under the lock */
static unsigned int rl_auto_interval_ms;
static unsigned int rl_auto_budget_pct = RL_AUTO_BUDGET_DEFAULT;
static DECLARE_WAIT_QUEUE_HEAD(rl_auto_wait);
static bool rl_auto_kicked;		/* a knob changed: look again */

/*
 * The background mode's own target: auto_cgroup (NULL: every user
 * process) and the pid namespace whose processes it walks (the
 * starter's), each referenced.
 */
static DEFINE_MUTEX(rl_auto_target_lock);
static struct cgroup *rl_auto_cgrp;
static struct pid_namespace *rl_auto_pid_ns;

/* A walk of one mm the budget stopped, to go on with in a later round */
struct rl_auto_stopped {
	struct mm_struct *mm;		/* mmgrab()bed; NULL: none */
	unsigned long from;		/* the first address not walked */
	unsigned long pt_bytes;		/* when its first part began */
	u64 freed;			/* tables its parts freed so far */
};

/* The thread's own state; only it touches it. */
struct rl_auto_state {
	struct rl_mm_set visited;	/* page-table bytes at the last visit */
	struct rl_procs pass;		/* the pass over the processes */
	bool in_pass;
	struct rl_auto_stopped stopped;
	s64 budget_ns;			/* left in this round; < 0: owed */
	u64 cpu_charged;		/* the thread's CPU time charged so far */
	bool ran;			/* a round has run */
	u64 round_start, round_end;	/* the last round's, ktime ns */
	u64 debt_ns;			/* what the last round overspent */
};

/*
 * The thread's CPU time since the last charge, off the budget.  CPU
 * time, not wall-clock time around the walks, which missed the work
 * outside them (waking up, the scheduler): on 6.12 arm64 under TCG the
 * thread's CPU time came out at 3x it.
 */
static s64 rl_auto_charge(struct rl_auto_state *st)
{
	u64 cpu = rl_thread_cpu_ns();
	s64 ns = cpu - st->cpu_charged;

	st->cpu_charged = cpu;
	st->budget_ns -= ns;
	rl_count(RL_C_auto_ns, ns);
	return ns;
}

static void rl_auto_drop_stopped(struct rl_auto_state *st)
{
	if (st->stopped.mm)
		mmdrop(st->stopped.mm);
	st->stopped.mm = NULL;
}

/*
 * One walk of @mm: all of it, or (@st->stopped.mm == @mm) the rest of a
 * walk the budget stopped.  It ends where the round's budget does.
 */
static void rl_auto_walk(struct rl_auto_state *st,
			 const struct rl_request *req, struct mm_struct *mm)
{
	struct rl_auto_stopped *stopped = &st->stopped;
	bool resuming = stopped->mm == mm;
	struct rl_walk_budget budget = {
		.until_ns = st->cpu_charged + max_t(s64, st->budget_ns, 0),
	};
	struct rl_request part = *req;
	unsigned long before, after, freed_bytes;
	struct rl_mm_entry *seen;
	u64 freed, freed_before = 0;	/* by the walk's earlier parts */
	int ret;

	/*
	 * A trigger runs: this mm waits for a later pass (a stopped walk is
	 * given up, not retried at once: the round would spin on it).
	 */
	if (!rl_walk_trylock()) {
		rl_count(RL_C_auto_mms_busy, 1);
		if (resuming)
			rl_auto_drop_stopped(st);
		return;
	}
	if (resuming) {
		part.whole_mm = false;
		part.start = stopped->from;
		part.end = RL_USER_VA_END;
		before = stopped->pt_bytes;
		freed_before = stopped->freed;
		rl_auto_drop_stopped(st);
	} else {
		before = mm_pgtables_bytes(mm);
	}
	part.budget = &budget;
	freed = rl_stat_total(RL_C_pte_reclaim_tables_freed);
	ret = rl_walk_pte_reclaim(&part, mm);
	freed = rl_stat_total(RL_C_pte_reclaim_tables_freed) - freed;
	after = mm_pgtables_bytes(mm);
	rl_walk_unlock();

	/*
	 * Its mmap lock was taken, nothing walked: not noted as visited, so
	 * a later pass looks at it again (a resumed walk starts over).
	 */
	if (ret == -EBUSY) {
		rl_count(RL_C_auto_mms_busy, 1);
		return;
	}
	rl_count(RL_C_auto_tables_freed, freed);
	freed += freed_before;
	if (!resuming)
		rl_count(RL_C_auto_mms_visited, 1);
	if (ret == -EAGAIN) {
		rl_count(RL_C_auto_walks_stopped, 1);
		mmgrab(mm);
		*stopped = (struct rl_auto_stopped) {
			.mm = mm,
			.from = budget.stopped_at,
			.pt_bytes = before,
			.freed = freed,
		};
		return;
	}
	seen = rl_mm_set_find(&st->visited, mm) ?:
	       rl_mm_set_add(&st->visited, mm);
	if (!seen)
		return;
	/*
	 * What the walk left: tables made behind it while it ran (or
	 * between its parts) count as growth, so the next round walks the
	 * mm again (noting @after would pass over them for as long as the
	 * process stays idle).
	 */
	freed_bytes = freed * PAGE_SIZE;
	seen->pt_bytes = min(after, before > freed_bytes ?
				    before - freed_bytes : 0);
}

/* One mm of the pass: passed over if its page-table bytes did not grow. */
static void rl_auto_visit(struct rl_auto_state *st,
			  const struct rl_request *req, struct mm_struct *mm)
{
	struct rl_mm_entry *seen = rl_mm_set_find(&st->visited, mm);

	if (rl_mm_oom_victim(mm)) {
		rl_count(RL_C_auto_oom_victims, 1);
		return;
	}
	if (seen && mm_pgtables_bytes(mm) <= seen->pt_bytes) {
		rl_count(RL_C_auto_mms_unchanged, 1);
		return;
	}
	rl_auto_walk(st, req, mm);
}

/* The rest of the walk the budget stopped, if its mm still lives. */
static void rl_auto_resume(struct rl_auto_state *st,
			   const struct rl_request *req)
{
	struct mm_struct *mm = st->stopped.mm;

	if (!mmget_not_zero(mm)) {
		rl_auto_drop_stopped(st);
		return;
	}
	rl_auto_walk(st, req, mm);
	/* the exit_mmap() of a process that exited meanwhile is not ours */
	mmput_async(mm);
}

/* The request of one round: the knobs', on the mode's own target. */
static void rl_auto_request(struct rl_request *req)
{
	rl_get_request(req);
	rl_put_request(req);	/* a trigger's pid and cgroup: not ours */
	req->walker = RL_WALKER_PTE_RECLAIM;
	req->whole_mm = true;
	req->nowait = true;
	mutex_lock(&rl_auto_target_lock);
	req->cgrp = rl_auto_cgrp;
	if (req->cgrp)
		cgroup_get(req->cgrp);
	mutex_unlock(&rl_auto_target_lock);
}

/* One round: the pass goes on until it ends or the budget runs out. */
static void rl_auto_round(struct rl_auto_state *st, u64 round_budget_ns)
{
	const struct cred *cred;
	struct rl_request req;
	struct mm_struct *mm;

	rl_count(RL_C_auto_rounds, 1);
	/* a debt was slept off before the round was due: a fresh budget */
	st->budget_ns = round_budget_ns;
	rl_auto_charge(st);	/* since the last round: waking up */

	rl_auto_request(&req);
	/*
	 * auto_cgroup set or cleared since the pass began: a new pass (the
	 * pass holds its cgroup, so the pointer cannot be a new one's)
	 */
	if (st->in_pass && st->pass.cgrp != req.cgrp) {
		rl_procs_end(&st->pass);
		st->in_pass = false;
		rl_auto_drop_stopped(st);
	}
	if (!st->in_pass) {
		mutex_lock(&rl_auto_target_lock);
		rl_procs_start(&st->pass, req.cgrp, rl_auto_pid_ns);
		mutex_unlock(&rl_auto_target_lock);
		st->in_pass = true;
	}

	/* the budget counts all the thread does: finding processes too */
	while (st->budget_ns > 0 && !kthread_should_stop()) {
		/* first the rest of a walk the budget stopped */
		if (st->stopped.mm) {
			rl_auto_resume(st, &req);
			rl_auto_charge(st);
			cond_resched();
			continue;
		}
		mm = rl_procs_next(&st->pass, &cred);
		if (mm) {
			put_cred(cred);
			rl_auto_visit(st, &req, mm);
			mmput_async(mm);
		}
		rl_auto_charge(st);
		if (!mm && !st->pass.paused) {
			if (st->pass.offline)
				rl_count(RL_C_auto_cgroup_offline, 1);
			rl_procs_end(&st->pass);
			st->in_pass = false;
			break;
		}
		cond_resched();
	}
	if (st->in_pass && st->budget_ns <= 0)
		rl_count(RL_C_auto_budget_exhausted, 1);
	rl_put_request(&req);
	/* the mms of processes that exited: neither set pins them longer */
	rl_mm_set_prune(&st->visited);
	if (st->in_pass)
		rl_mm_set_prune(&st->pass.seen);
	rl_auto_charge(st);
}

/*
 * When the next round is due: an interval after the last one began, or
 * later, once what it overspent is paid off at the budget's rate (a
 * round that woke up only to find itself in debt would cost CPU time
 * too: under TCG on a loaded host more than a 1% round's budget, so the
 * debt grew while it was being paid off).  Read from the knobs each
 * time, so a write that changes neither leaves it where it was.  The
 * rounds slept through to pay a debt off are counted when the next one
 * runs, as rounds and as rounds out of budget.
 */
static u64 rl_auto_next_round(const struct rl_auto_state *st,
			      u64 interval_ns, unsigned int pct)
{
	u64 paid_at;

	if (!st->ran)
		return 0;
	paid_at = st->round_end + min_t(u64, div_u64(st->debt_ns * 100, pct),
					(u64)RL_AUTO_INTERVAL_MAX_MS *
					NSEC_PER_MSEC);
	return max(st->round_start + interval_ns, paid_at);
}

/* A timeout never shorter than @ns: a truncated one would spin. */
static long rl_auto_jiffies_up(u64 ns)
{
	return max_t(long, nsecs_to_jiffies(ns + TICK_NSEC - 1), 1);
}

/* Up to @ns; a changed knob (or 0, or rmmod) ends the sleep. */
static void rl_auto_sleep(u64 ns)
{
	wait_event_interruptible_timeout(rl_auto_wait,
					 kthread_should_stop() ||
					 READ_ONCE(rl_auto_kicked),
					 rl_auto_jiffies_up(ns));
}

/* Runs until kthread_stop(); @data is its state, freed by the stopper. */
static int rl_auto_fn(void *data)
{
	struct rl_auto_state *st = data;
	u64 interval_ns, next, now;
	unsigned int pct;

	st->cpu_charged = rl_thread_cpu_ns();
	while (!kthread_should_stop()) {
		WRITE_ONCE(rl_auto_kicked, false);
		interval_ns = (u64)READ_ONCE(rl_auto_interval_ms) * NSEC_PER_MSEC;
		pct = READ_ONCE(rl_auto_budget_pct);
		next = rl_auto_next_round(st, interval_ns, pct);
		now = ktime_get_ns();
		if (now < next) {
			rl_auto_sleep(next - now);
			continue;
		}
		if (st->ran && st->debt_ns) {
			u64 slept = div64_u64(now - st->round_start,
					      interval_ns);

			if (slept > 1) {
				rl_count(RL_C_auto_rounds, slept - 1);
				rl_count(RL_C_auto_budget_exhausted, slept - 1);
			}
		}
		st->round_start = now;
		rl_auto_round(st, div_u64(interval_ns * pct, 100));
		st->round_end = ktime_get_ns();
		st->debt_ns = st->budget_ns < 0 ? -st->budget_ns : 0;
		st->ran = true;
	}
	return 0;
}

static struct rl_auto_state *rl_auto_state_alloc(void)
{
	struct rl_auto_state *st = kzalloc(sizeof(*st), GFP_KERNEL);

	if (st)
		rl_mm_set_init(&st->visited);
	return st;
}

static void rl_auto_state_free(struct rl_auto_state *st)
{
	if (st->in_pass)
		rl_procs_end(&st->pass);
	rl_auto_drop_stopped(st);
	rl_mm_set_clear(&st->visited);
	kfree(st);
}

/* Under rl_auto_lock. */
static int rl_auto_start(void)
{
	struct rl_auto_state *st = rl_auto_state_alloc();
	struct pid_namespace *old;
	struct task_struct *thread;

	if (!st)
		return -ENOMEM;
	/* the starter's pid namespace, as `pid` is read in the writer's */
	mutex_lock(&rl_auto_target_lock);
	old = rl_auto_pid_ns;
	rl_auto_pid_ns = get_pid_ns(task_active_pid_ns(current));
	mutex_unlock(&rl_auto_target_lock);
	if (old)
		put_pid_ns(old);
	thread = kthread_run(rl_auto_fn, st, RL_NAME "_auto");
	if (IS_ERR(thread)) {
		rl_auto_state_free(st);
		return PTR_ERR(thread);
	}
	rl_auto_thread = thread;
	rl_auto_thread_state = st;
	return 0;
}

/* Under rl_auto_lock. */
static void rl_auto_stop(void)
{
	kthread_stop(rl_auto_thread);
	/* the thread may never have run (stopped at once): freed here */
	rl_auto_state_free(rl_auto_thread_state);
	rl_auto_thread = NULL;
	rl_auto_thread_state = NULL;
}

/* Wakes the thread to look at the knobs again. */
static void rl_auto_kick(void)
{
	WRITE_ONCE(rl_auto_kicked, true);
	wake_up(&rl_auto_wait);
}

/*
 * 0 stops the thread (waiting for it to end); at least
 * RL_AUTO_INTERVAL_MIN_MS starts it, or changes its interval.
 */
int rl_auto_set_interval(unsigned int ms)
{
	unsigned int old;
	int ret = 0;

	if (ms && (ms < RL_AUTO_INTERVAL_MIN_MS ||
		   ms > RL_AUTO_INTERVAL_MAX_MS))
		return -EINVAL;
	mutex_lock(&rl_auto_lock);
	/* before the start: the thread's first round reads it */
	old = rl_auto_interval_ms;
	WRITE_ONCE(rl_auto_interval_ms, ms);
	if (!ms && rl_auto_thread) {
		rl_auto_stop();
	} else if (ms && !rl_auto_thread) {
		ret = rl_auto_start();
		if (ret)
			WRITE_ONCE(rl_auto_interval_ms, old);
	} else if (ms != old) {
		/* due sooner or later from the last round's start */
		rl_auto_kick();
	}
	mutex_unlock(&rl_auto_lock);
	return ret;
}

unsigned int rl_auto_interval(void)
{
	return READ_ONCE(rl_auto_interval_ms);
}

int rl_auto_set_budget(unsigned int pct)
{
	if (pct < 1 || pct > 100)
		return -EINVAL;
	if (xchg(&rl_auto_budget_pct, pct) != pct)
		rl_auto_kick();	/* a debt is paid off at the new rate */
	return 0;
}

unsigned int rl_auto_budget(void)
{
	return READ_ONCE(rl_auto_budget_pct);
}

/* A cgroup v2 path (see rl_cgroup_lookup()), or "none". */
int rl_auto_set_cgroup(const char *path)
{
	struct cgroup *cgrp = NULL, *old;

	if (strcmp(path, "none")) {
		cgrp = rl_cgroup_lookup(path);
		if (IS_ERR(cgrp))
			return PTR_ERR(cgrp);
	}
	mutex_lock(&rl_auto_target_lock);
	old = rl_auto_cgrp;
	rl_auto_cgrp = cgrp;
	mutex_unlock(&rl_auto_target_lock);
	if (old)
		cgroup_put(old);
	return 0;
}

void rl_auto_cgroup_show(struct seq_file *m)
{
	mutex_lock(&rl_auto_target_lock);
	if (rl_auto_cgrp)
		rl_cgroup_show(m, rl_auto_cgrp);
	else
		seq_puts(m, "none");
	mutex_unlock(&rl_auto_target_lock);
	seq_putc(m, '\n');
}

void rl_auto_exit(void)
{
	rl_auto_set_interval(0);
	rl_auto_set_cgroup("none");
	if (rl_auto_pid_ns)
		put_pid_ns(rl_auto_pid_ns);
	rl_auto_pid_ns = NULL;
}
