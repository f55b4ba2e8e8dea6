// SPDX-License-Identifier: GPL-2.0
/*
 * arm64's inline page-table and TLB helpers, which the walkers use where
 * the kernel does (set_pte_at(), __flush_tlb_range()), call two kernel
 * functions that are not exported to modules: mte_sync_tags() (a PTE that
 * gives access to a page's MTE tags) and, on 6.6+,
 * __mmu_notifier_arch_invalidate_secondary_tlbs() (every range flush).
 * The module defines both under the kernel's names, so the inlines link
 * to these, and each forwards to the kernel's own function, resolved at
 * load by symbols.c's table: the inline then does all it does in the
 * kernel.  They are not exported, so nothing else can reach them.
 */
#include <linux/mm_types.h>
#include <linux/mmu_notifier.h>
#include <asm/mte.h>
#include "../compat.h"

#if RL_HAVE_MTE_SYNC_TAGS
DEFINE_STATIC_CALL_NULL(rl_mte_sync_tags, rl_mte_sync_tags_fn);

#if RL_MM_6_12
void mte_sync_tags(pte_t pte, unsigned int nr_pages)
{
	static_call(rl_mte_sync_tags)(pte, nr_pages);
}
#else
void mte_sync_tags(pte_t old_pte, pte_t pte)
{
	static_call(rl_mte_sync_tags)(old_pte, pte);
}
#endif
#endif /* RL_HAVE_MTE_SYNC_TAGS */

#if RL_HAVE_ARCH_INVALIDATE_SECONDARY_TLBS
/* the static call is compat.h's, bound by symbols.c */
void __mmu_notifier_arch_invalidate_secondary_tlbs(struct mm_struct *mm,
						   unsigned long start,
						   unsigned long end)
{
	static_call(rl_arch_invalidate_secondary_tlbs)(mm, start, end);
}
#endif
