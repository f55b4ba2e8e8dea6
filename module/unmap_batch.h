/* SPDX-License-Identifier: GPL-2.0 */
/* The batched unmap (unmap_batch.c), called by the pageout walker. */
#ifndef RL_UNMAP_BATCH_H
#define RL_UNMAP_BATCH_H

#include <linux/mm.h>

/*
 * The TLB flush of the folios a walk unmapped in batches and has not yet
 * flushed (RL_UNMAP_DEFER_FLUSH): one for a PMD's worth of folios, as
 * shrink_folio_list() does one for its list (TTU_BATCH_FLUSH).  The walk
 * does it before it hands the folios to reclaim, which may write or free
 * them, and so before it drops the mmap lock.  @marks: the generations
 * this walk has added to mm->tlb_flush_batched (see unmap_batch.c).
 */
struct rl_unmap_flush {
	unsigned long start, end;	/* start == end: nothing pending */
	unsigned int marks;
};

/* The flush, if one is pending. */
void rl_unmap_flush(struct mm_struct *mm, struct rl_unmap_flush *f);

/*
 * What flush_tlb_batched_pending() does under a PTE lock (flush what
 * reclaim left in @mm's TLBs), except that a walk does not flush its own
 * deferred folios there: they are flushed by rl_unmap_flush().
 */
void rl_unmap_sync_batched(struct mm_struct *mm, struct rl_unmap_flush *f);

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
	struct rl_unmap_flush *flush;	/* where a deferred flush is noted */
};

/*
 * Unmaps the whole batch in one step, or, counting why, nothing: then the
 * folio is left to the kernel's reclaim path.  True if unmapped.
 */
bool rl_unmap_batch(struct rl_unmap_batch *b);

#endif /* RL_UNMAP_BATCH_H */
