/* SPDX-License-Identifier: GPL-2.0 */
/* The batched unmap (unmap_batch.c), called by the pageout walker. */
#ifndef RL_UNMAP_BATCH_H
#define RL_UNMAP_BATCH_H

#include <linux/mm.h>

/*
 * An anon large folio the walker found mapped whole, from its first page,
 * by @nr PTEs from @addr under @pmd in @vma (the mmap lock held for read):
 * @first is the PTE it saw at @addr.  The folio is locked, isolated from
 * its LRU (the isolation's reference is the caller's) and exclusive to
 * this mapping; the PTE lock is not held.
 */
struct rl_unmap_batch {
	struct vm_area_struct *vma;
	pmd_t *pmd;
	unsigned long addr;
	struct folio *folio;
	unsigned int nr;
	pte_t first;
};

/*
 * Unmaps the whole batch in one step, or, counting why, nothing: then the
 * folio is left to the kernel's reclaim path.  True if unmapped.
 */
bool rl_unmap_batch(struct rl_unmap_batch *b);

#endif /* RL_UNMAP_BATCH_H */
