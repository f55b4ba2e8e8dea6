/* SPDX-License-Identifier: GPL-2.0 */
/* Page-table lookups shared by the probes and the walkers. */
#ifndef RL_PGWALK_H
#define RL_PGWALK_H

#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/pgtable.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include "reclaimlab.h"
#include "compat.h"
#include "symbols.h"

/*
 * The PMD entry covering @addr in @mm, or NULL where an upper level maps
 * nothing.  Works with 4- and 5-level paging: p4d_offset() folds when
 * the CPU runs 4 levels.
 */
static inline pmd_t *rl_pmd_of(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;

	if (pgd_none(READ_ONCE(*pgd)) || pgd_bad(READ_ONCE(*pgd)))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(READ_ONCE(*p4d)) || p4d_bad(READ_ONCE(*p4d)))
		return NULL;
	pud = pud_offset(p4d, addr);
	/* pud_bad() is also true of a 1 GiB leaf: no PMD table there. */
	if (pud_none(READ_ONCE(*pud)) || pud_bad(READ_ONCE(*pud)))
		return NULL;
	return pmd_offset(pud, addr);
}

/*
 * Whether a walk over @mm should end now, between two PMDs: -EINTR when
 * the caller got a fatal signal (or is the background mode's thread and
 * was told to stop), -ESRCH when the walk's own reference is
 * all that keeps @mm (the target has exited) or @mm is an OOM victim's,
 * else 0.
 */
static inline int rl_walk_should_stop(struct mm_struct *mm)
{
	if (fatal_signal_pending(current))
		return -EINTR;
	/* the background mode's thread, told to stop */
	if ((current->flags & PF_KTHREAD) && kthread_should_stop())
		return -EINTR;
	if (atomic_read(&mm->mm_users) <= 1)
		return -ESRCH;
	/* the OOM reaper's: a walk must not hold the lock it tries */
	if (rl_mm_oom_victim(mm))
		return -ESRCH;
	return 0;
}

/*
 * Whether a walk with a CPU-time limit (@budget: NULL for none) has
 * spent it, after one more PMD.  The thread's CPU time takes the
 * runqueue lock to read, so it is read only once RL_BUDGET_CHECK_NS have
 * gone by on this CPU's clock since the last read: a walk overruns by at
 * most that and one table, and an empty PMD stays cheap.
 */
#define RL_BUDGET_CHECK_NS	(100 * NSEC_PER_USEC)

static inline bool rl_walk_budget_spent(struct rl_walk_budget *budget)
{
	u64 now;

	if (!budget)
		return false;
	now = local_clock();
	if (now - budget->checked_at < RL_BUDGET_CHECK_NS)
		return false;
	budget->checked_at = now;
	return rl_thread_cpu_ns() >= budget->until_ns;
}

/*
 * A walker's hold of the target's mmap lock.  A long walk gives it up
 * after @limit PMDs (the knob lock_hold_tables; 0: never) and, once it
 * has looked at RL_HOLD_MIN_TABLES in this hold, as soon as someone
 * waits for it.  So a fault, mmap or munmap of the target waits for one
 * batch of the walk, not for all of it, and a target that takes the
 * lock all the time still lets the walk get on (without the minimum, a
 * 100k-table walk under a steady stream of mmaps gave the lock up 44196
 * times; with it, 3165).  It is also given up when the scheduler wants
 * the CPU back (rl_resched_wanted(), the lazy request of 7.x too),
 * before rescheduling: a walker switched out with the lock held (for
 * write on 6.1) would stall the whole target for as long as it waits for
 * a CPU.  After a break the VMAs may have
 * changed: the walker finds its place again from the address.
 *
 * @nowait (the background mode): the lock is only ever tried, never
 * waited for, so that a target whose lock someone holds for long (GUP on
 * a hung FUSE or NFS mapping, a long mmap_write) neither holds up the
 * thread's stop nor gets a queued writer in front of its own faults.
 */
#define RL_HOLD_MIN_TABLES	32

struct rl_lock_hold {
	struct mm_struct *mm;
	bool write;			/* for write, not read */
	bool nowait;			/* trylock only: -EBUSY if taken */
	bool locked;
	unsigned int limit;
	unsigned int held;		/* PMDs looked at in this hold */
	enum rl_counter drops, waited;	/* counted at each break */
	/*
	 * Work the walk left pending under the lock (pte_reclaim's run of
	 * unhooked tables, whose TLB flush must come before the lock
	 * goes): done first whenever the lock is given up.
	 */
	void (*drain)(void *arg);
	void *drain_arg;
};

/*
 * @h->nowait: tries, RL_HOLD_TRY_US apart.  A target that faults all the
 * time holds its lock for read in short stretches with gaps between them;
 * one try per round landed in those stretches round after round on 6.1
 * arm64 (whose walk needs the lock for write), and the target kept its
 * tables.  Never queued on the lock, so never in front of the target's
 * own faults, and the thread's stop is seen between two tries.
 */
#define RL_HOLD_TRIES		16
#define RL_HOLD_TRY_US		250

/* 0, -EINTR on a fatal signal, -EBUSY if @h->nowait and it is taken. */
static inline int rl_hold_lock(struct rl_lock_hold *h)
{
	unsigned int tries;
	int ret;

	h->held = 0;
	if (h->nowait) {
		for (tries = 0; tries < RL_HOLD_TRIES; tries++) {
			h->locked = rl_mmap_trylock(h->mm, h->write);
			if (h->locked)
				return 0;
			if (rl_walk_should_stop(h->mm))
				break;
			usleep_range(RL_HOLD_TRY_US, 2 * RL_HOLD_TRY_US);
		}
		return -EBUSY;
	}
	ret = h->write ? mmap_write_lock_killable(h->mm) :
			 mmap_read_lock_killable(h->mm);
	h->locked = !ret;
	return ret ? -EINTR : 0;
}

/* Safe to call when a break could not take the lock again. */
static inline void rl_hold_unlock(struct rl_lock_hold *h)
{
	if (!h->locked)
		return;
	if (h->drain)
		h->drain(h->drain_arg);
	h->locked = false;
	if (h->write)
		mmap_write_unlock(h->mm);
	else
		mmap_read_unlock(h->mm);
}

/*
 * After one more PMD, with no page-table lock held and nothing pending
 * (TLB flush, isolated folios) but what @h->drain does: gives the lock up if the hold is over,
 * someone waits or the CPU is wanted, and takes it again.  Returns 1
 * after a break, 0 if the lock was kept, or what rl_hold_lock() says
 * (the lock is not held then).
 */
static inline int rl_hold_break(struct rl_lock_hold *h)
{
	bool waited;

	if (!h->limit)
		return 0;
	if (++h->held >= h->limit)
		waited = false;
	else if (rl_resched_wanted())
		waited = true;
	else if (h->held >= RL_HOLD_MIN_TABLES &&
		 mmap_lock_is_contended(h->mm))
		waited = true;
	else
		return 0;
	rl_hold_unlock(h);
	rl_count(h->drops, 1);
	if (waited)
		rl_count(h->waited, 1);
	rl_resched();
	return rl_hold_lock(h) ?: 1;
}

#endif /* RL_PGWALK_H */
