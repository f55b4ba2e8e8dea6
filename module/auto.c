// SPDX-License-Identifier: GPL-2.0
/*
 * The background mode.  With auto_interval_ms > 0 a kernel thread,
 * "reclaimlab_auto", runs pte_reclaim once per interval over every user
 * process, or over the `cgroup` if one is set, with `pte_reclaim_zero`
 * and `lock_hold_tables` as the knobs say.  It passes over an mm whose
 * page-table bytes have not grown since its last visit.
 *
 * Rounds start one interval apart.  The budget: each round may spend
 * auto_budget_pct of the interval (finding processes, walking, its own
 * bookkeeping).  A walk that runs out of it stops between two tables
 * (one table and RL_BUDGET_CHECK_NS past the end of it) and the next
 * round goes on from there, then on from the process where the pass
 * stopped.  Time spent over the budget is owed by the next rounds, time
 * left over is not saved up, and the rounds that would only pay a debt
 * off are slept through (rl_auto_rounds_owed()).  So over any stretch
 * the thread is busy for at most its share of the time, plus a few
 * tables.  The time is the thread's CPU time (rl_thread_cpu_ns()).
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
#include <linux/cred.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/wait.h>
#include "reclaimlab.h"
#include "symbols.h"

#define RL_AUTO_BUDGET_DEFAULT	1	/* percent */
#define RL_AUTO_INTERVAL_MAX_MS	(3600 * MSEC_PER_SEC)

static DEFINE_MUTEX(rl_auto_lock);	/* the thread's start and stop */
static struct task_struct *rl_auto_thread;
static unsigned int rl_auto_interval_ms;
static unsigned int rl_auto_budget_pct = RL_AUTO_BUDGET_DEFAULT;
static DECLARE_WAIT_QUEUE_HEAD(rl_auto_wait);
static bool rl_auto_kicked;		/* the interval changed: start over */

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

	if (rl_walk_lock_killable())
		return;
	if (resuming) {
		part.whole_mm = false;
		part.start = stopped->from;
		part.end = RL_USER_VA_END;
		before = stopped->pt_bytes;
		freed_before = stopped->freed;
		rl_auto_drop_stopped(st);
	} else {
		rl_count(RL_C_auto_mms_visited, 1);
		before = mm_pgtables_bytes(mm);
	}
	part.budget = &budget;
	freed = rl_stat_total(RL_C_pte_reclaim_tables_freed);
	ret = rl_walk_pte_reclaim(&part, mm);
	freed = rl_stat_total(RL_C_pte_reclaim_tables_freed) - freed;
	after = mm_pgtables_bytes(mm);
	rl_walk_unlock();

	rl_count(RL_C_auto_tables_freed, freed);
	freed += freed_before;
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
	mmput(mm);
}

/*
 * One round: the pass goes on until it ends or the budget runs out.
 * Returns the round's wall-clock ns.
 */
static u64 rl_auto_round(struct rl_auto_state *st, u64 round_budget_ns)
{
	u64 t_round = ktime_get_ns();
	const struct cred *cred;
	struct rl_request req;
	struct mm_struct *mm;

	rl_count(RL_C_auto_rounds, 1);
	/* what is owed carries over, what is left does not */
	st->budget_ns = min_t(s64, st->budget_ns, 0) + round_budget_ns;
	rl_auto_charge(st);	/* since the last round: waking up */

	rl_get_request(&req);
	req.walker = RL_WALKER_PTE_RECLAIM;
	req.whole_mm = true;
	/* a cgroup set or cleared since the pass began: a new pass */
	if (st->in_pass && st->pass.cgrp != req.cgrp) {
		rl_procs_end(&st->pass);
		st->in_pass = false;
		rl_auto_drop_stopped(st);
	}
	if (!st->in_pass) {
		rl_procs_start(&st->pass, req.cgrp);
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
			mmput(mm);
		}
		rl_auto_charge(st);
		if (!mm) {
			rl_procs_end(&st->pass);
			st->in_pass = false;
			break;
		}
		cond_resched();
	}
	if (st->in_pass && st->budget_ns <= 0)
		rl_count(RL_C_auto_budget_exhausted, 1);
	rl_put_request(&req);
	rl_mm_set_prune(&st->visited);
	rl_auto_charge(st);
	return ktime_get_ns() - t_round;
}

/*
 * After a round left a debt: the rounds that would only pay it off, to
 * be slept through rather than woken for.  A round that wakes up to find
 * itself in debt still costs CPU time (the wake-up, the scheduler): under
 * TCG on a loaded host more than a 1% round's budget, so that the debt
 * grew while it was being paid off (6.12 arm64 spent 3.4% against 1%).
 * They count as rounds, and as rounds out of budget.  At most an hour's.
 */
static u64 rl_auto_rounds_owed(struct rl_auto_state *st, u64 interval_ns,
			       u64 round_budget_ns)
{
	u64 rounds;

	if (st->budget_ns >= 0 || !round_budget_ns)
		return 0;
	rounds = div64_u64(-st->budget_ns, round_budget_ns);
	rounds = min(rounds, div64_u64((u64)RL_AUTO_INTERVAL_MAX_MS *
				       NSEC_PER_MSEC, interval_ns));
	st->budget_ns += rounds * round_budget_ns;
	rl_count(RL_C_auto_rounds, rounds);
	rl_count(RL_C_auto_budget_exhausted, rounds);
	return rounds;
}

/* Runs until kthread_stop(); @data is its state, freed here. */
static int rl_auto_fn(void *data)
{
	struct rl_auto_state *st = data;
	u64 interval_ns, round_budget_ns, round_ns, sleep_ns;

	st->cpu_charged = rl_thread_cpu_ns();
	while (!kthread_should_stop()) {
		WRITE_ONCE(rl_auto_kicked, false);
		interval_ns = (u64)READ_ONCE(rl_auto_interval_ms) * NSEC_PER_MSEC;
		round_budget_ns = interval_ns * READ_ONCE(rl_auto_budget_pct) /
				  100;
		round_ns = rl_auto_round(st, round_budget_ns);
		/* rounds start one interval apart, not an interval after */
		sleep_ns = interval_ns - min(round_ns, interval_ns);
		sleep_ns += rl_auto_rounds_owed(st, interval_ns,
						round_budget_ns) * interval_ns;
		/* a new interval (or 0, or rmmod) ends the sleep at once */
		wait_event_interruptible_timeout(rl_auto_wait,
						 kthread_should_stop() ||
						 READ_ONCE(rl_auto_kicked),
						 nsecs_to_jiffies(sleep_ns));
	}
	if (st->in_pass)
		rl_procs_end(&st->pass);
	rl_auto_drop_stopped(st);
	rl_mm_set_clear(&st->visited);
	kfree(st);
	return 0;
}

/* Under rl_auto_lock. */
static int rl_auto_start(void)
{
	struct rl_auto_state *st = kzalloc(sizeof(*st), GFP_KERNEL);
	struct task_struct *thread;

	if (!st)
		return -ENOMEM;
	rl_mm_set_init(&st->visited);
	thread = kthread_run(rl_auto_fn, st, RL_NAME "_auto");
	if (IS_ERR(thread)) {
		kfree(st);
		return PTR_ERR(thread);
	}
	rl_auto_thread = thread;
	return 0;
}

/* 0 stops the thread (waiting for it to end); more starts it. */
int rl_auto_set_interval(unsigned int ms)
{
	unsigned int old;
	int ret = 0;

	if (ms > RL_AUTO_INTERVAL_MAX_MS)
		return -EINVAL;
	mutex_lock(&rl_auto_lock);
	/* before the start: the thread's first round reads it */
	old = rl_auto_interval_ms;
	WRITE_ONCE(rl_auto_interval_ms, ms);
	if (!ms && rl_auto_thread) {
		kthread_stop(rl_auto_thread);
		rl_auto_thread = NULL;
	} else if (ms && !rl_auto_thread) {
		ret = rl_auto_start();
		if (ret)
			WRITE_ONCE(rl_auto_interval_ms, old);
	} else if (ms) {
		/* a round with the new interval now, not after the old one */
		WRITE_ONCE(rl_auto_kicked, true);
		wake_up(&rl_auto_wait);
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
	WRITE_ONCE(rl_auto_budget_pct, pct);
	return 0;
}

unsigned int rl_auto_budget(void)
{
	return READ_ONCE(rl_auto_budget_pct);
}

void rl_auto_exit(void)
{
	rl_auto_set_interval(0);
}
