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
 * bookkeeping).  A round that runs out stops after the mm it is in and
 * the next round goes on from the process where it stopped; time spent
 * over the budget is owed by the next rounds, time left over is not saved
 * up (and the rounds that would only pay a debt off are slept through).
 * So over any stretch the thread is busy for at most its share of the
 * time, plus one mm's walk.  The time is the thread's CPU time (see
 * rl_auto_charge()).
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

#define RL_AUTO_BUDGET_DEFAULT	1	/* percent */
#define RL_AUTO_INTERVAL_MAX_MS	(3600 * MSEC_PER_SEC)

static DEFINE_MUTEX(rl_auto_lock);	/* the thread's start and stop */
static struct task_struct *rl_auto_thread;
static unsigned int rl_auto_interval_ms;
static unsigned int rl_auto_budget_pct = RL_AUTO_BUDGET_DEFAULT;
static DECLARE_WAIT_QUEUE_HEAD(rl_auto_wait);
static bool rl_auto_kicked;		/* the interval changed: start over */

/* The thread's own state; only it touches it. */
struct rl_auto_state {
	struct rl_mm_set visited;	/* page-table bytes at the last visit */
	struct rl_procs pass;		/* the pass over the processes */
	bool in_pass;
	s64 budget_ns;			/* left in this round; < 0: owed */
	u64 cpu_charged;		/* the thread's CPU time charged so far */
};

/*
 * The thread's CPU time, what /proc/PID/schedstat shows (up to a tick
 * behind), and so what the budget counts: also the work outside a round
 * (waking up, the scheduler), which wall-clock time around the walks
 * missed: on 6.12 arm64 under TCG the thread's CPU time came out at 3x.
 */
static s64 rl_auto_charge(struct rl_auto_state *st)
{
	u64 cpu = READ_ONCE(current->se.sum_exec_runtime);
	s64 ns = cpu - st->cpu_charged;

	st->cpu_charged = cpu;
	st->budget_ns -= ns;
	rl_count(RL_C_auto_ns, ns);
	return ns;
}

/*
 * One mm: passed over if its page-table bytes did not grow since the
 * last visit, else walked.
 */
static void rl_auto_visit(struct rl_auto_state *st,
			  const struct rl_request *req, struct mm_struct *mm)
{
	struct rl_mm_entry *seen = rl_mm_set_find(&st->visited, mm);
	unsigned long before, after, freed_bytes;
	u64 freed;

	before = mm_pgtables_bytes(mm);
	if (seen && before <= seen->pt_bytes) {
		rl_count(RL_C_auto_mms_unchanged, 1);
		return;
	}
	if (rl_walk_lock_killable())
		return;
	before = mm_pgtables_bytes(mm);
	freed = rl_stat_total(RL_C_pte_reclaim_tables_freed);
	rl_walk_pte_reclaim(req, mm);
	freed = rl_stat_total(RL_C_pte_reclaim_tables_freed) - freed;
	after = mm_pgtables_bytes(mm);
	rl_walk_unlock();

	rl_count(RL_C_auto_mms_visited, 1);
	rl_count(RL_C_auto_tables_freed, freed);
	if (!seen)
		seen = rl_mm_set_add(&st->visited, mm);
	if (!seen)
		return;
	/*
	 * What the walk left: tables made behind it while it ran count as
	 * growth, so the next round walks the mm again (noting @after
	 * would pass over them for as long as the process stays idle).
	 */
	freed_bytes = freed * PAGE_SIZE;
	seen->pt_bytes = min(after, before > freed_bytes ?
				    before - freed_bytes : 0);
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
	}
	if (!st->in_pass) {
		rl_procs_start(&st->pass, req.cgrp);
		st->in_pass = true;
	}

	/* the budget counts all the thread does: finding processes too */
	while (st->budget_ns > 0 && !kthread_should_stop()) {
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

/* Runs until kthread_stop(); @data is its state, freed here. */
static int rl_auto_fn(void *data)
{
	struct rl_auto_state *st = data;
	u64 interval_ns, round_ns;

	st->cpu_charged = READ_ONCE(current->se.sum_exec_runtime);
	while (!kthread_should_stop()) {
		WRITE_ONCE(rl_auto_kicked, false);
		interval_ns = (u64)READ_ONCE(rl_auto_interval_ms) * NSEC_PER_MSEC;
		round_ns = rl_auto_round(st, interval_ns *
					 READ_ONCE(rl_auto_budget_pct) / 100);
		/* rounds start one interval apart, not an interval after */
		round_ns = min(round_ns, interval_ns);
		wait_event_interruptible_timeout(rl_auto_wait,
						 kthread_should_stop() ||
						 READ_ONCE(rl_auto_kicked),
						 nsecs_to_jiffies(interval_ns -
								  round_ns));
	}
	if (st->in_pass)
		rl_procs_end(&st->pass);
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
