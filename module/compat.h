/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place that knows how the supported kernels differ.  Everything
 * else calls the rl_* names below and never tests LINUX_VERSION_CODE.
 * Where Debian backports make version numbers unreliable, test for the
 * feature instead.
 */
#ifndef RL_COMPAT_H
#define RL_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/pgtable.h>

/*
 * A lockless snapshot of a PMD.  6.1 has no pmdp_get_lockless(); on x86-64
 * a PMD is one naturally aligned 64-bit word, so READ_ONCE() is what
 * 6.12's pmdp_get_lockless() does there too, on both kernels.
 */
static inline pmd_t rl_pmdp_get_lockless(pmd_t *pmdp)
{
	return READ_ONCE(*pmdp);
}

/*
 * mm/madvise.c passes this to madvise_cold_or_pageout_pte_range() as
 * walk->private.  The struct is private to that file; its layout is the
 * same in 6.1 and 6.12 (checked in their sources): a mmu_gather pointer
 * and the pageout flag.
 */
struct rl_madvise_walk_private {
	struct mmu_gather *tlb;
	bool pageout;
};

#endif /* RL_COMPAT_H */
