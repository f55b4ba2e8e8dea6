/* SPDX-License-Identifier: GPL-2.0 */
/* Page-table lookups shared by the probes and the walkers. */
#ifndef RL_PGWALK_H
#define RL_PGWALK_H

#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched/signal.h>

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
 * the caller got a fatal signal, -ESRCH when the walk's own reference is
 * all that keeps @mm (the target has exited), else 0.
 */
static inline int rl_walk_should_stop(struct mm_struct *mm)
{
	if (fatal_signal_pending(current))
		return -EINTR;
	if (atomic_read(&mm->mm_users) <= 1)
		return -ESRCH;
	return 0;
}

#endif /* RL_PGWALK_H */
