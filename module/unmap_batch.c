// SPDX-License-Identifier: GPL-2.0
/*
 * The batched unmap (`unmap batched`): the pageout walker hands over an
 * anon large folio it found mapped whole by one run of PTEs, and this
 * file takes it out of the page table in one step, as try_to_unmap_one()
 * would one PTE at a time, so that reclaim finds it unmapped and in the
 * swap cache and neither splits it nor walks its rmap.
 *
 * Each step is the kernel's own for that PTE (mm/rmap.c of 6.1, 6.12 and
 * 7.2), done once for the batch where the kernel does it per PTE:
 *
 *   swap space for the folio as one unit (what shrink_folio_list() gives
 *   it before unmapping), mmu notifier range start, the PTE lock, the
 *   PTEs re-read and checked against the batch the walker saw, all
 *   cleared with their dirty bits handed to the folio, one TLB flush for
 *   the range, then
 *   - swap-backed: a swap reference per page, the anon-exclusive bits
 *     cleared after one pin check (the check is folio-wide, so once is
 *     what per-page calls would see), the mm on the swapoff list, the RSS
 *     counters moved, swap PTEs with each PTE's exclusive, soft-dirty and
 *     uffd-wp bits;
 *   - lazyfree (MADV_FREE, clean): the refcount and dirty check, and the
 *     PTEs left empty: reclaim frees the folio without I/O;
 *   then the rmap and the PTEs' folio references dropped.
 *
 * Anything the kernel would refuse or that changed since the walker looked
 * puts every PTE back as it was and leaves the folio to the kernel's path
 * (reclaim unmaps it), counted by reason; never a partial unmap.  A folio
 * that got swap space keeps it on that path: shrink_folio_list() gives a
 * folio swap space before its own try_to_unmap() too (6.1 splits a
 * PTE-mapped THP first: that split is what the batched unmap spares it),
 * and frees it where it frees its own (swap full, mlocked).
 */
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mm_inline.h>
#include <linux/rmap.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/userfaultfd_k.h>
#include "reclaimlab.h"
#include "compat.h"
#include "symbols.h"
#include "unmap_batch.h"

/*
 * One TLB flush for many folios (issue 25), where the kernel's own
 * reclaim defers its unmap flushes (CONFIG_ARCH_WANT_BATCHED_UNMAP_TLB_
 * FLUSH: x86, arm64 from 6.5; 6.1 arm64 flushes each folio at once, as
 * its try_to_unmap_one() does).  Under the PTE lock a batch's PTEs are
 * cleared, their dirty bits handed to the folio, and the flush noted in
 * the walk's rl_unmap_flush, as try_to_unmap_one() notes it with
 * set_tlb_ubc_flush_pending():
 *  - a CPU that still holds a stale entry can write through it only if
 *    the entry was dirty (a clean one must write its dirty bit to the PTE
 *    and faults on the cleared one: the architecture's promise that the
 *    kernel relies on there), and then the PTE was dirty and the folio is
 *    marked dirty: the lazyfree check refuses it, a swap-backed one is
 *    written after the flush, which comes before reclaim sees the folio;
 *  - mm->tlb_flush_batched gets a pending generation, so that anyone who
 *    changes these PTEs under their lock meanwhile (MADV_DONTNEED, under
 *    the mmap lock for read, as the walk holds it) flushes first, through
 *    flush_tlb_batched_pending();
 *  - what the architecture does at once is done at once (the arch
 *    header's rl_tlb_unmap_pending(): x86 tells secondary MMUs that cache the CPU's
 *    entries, 6.6+; arm64 issues its broadcast TLBIs), and the rest, the
 *    IPIs or the wait for the TLBIs, comes once (rl_tlb_unmap_complete());
 *  - 6.1's invalidate_range() and the dirty transfer stay where they
 *    were, under the lock, as there: only the CPU flush moves.
 * The kernel defers only when another CPU may cache the mm; deferring a
 * local flush too changes only when it happens, never that it happens
 * before reclaim.
 */
#define RL_UNMAP_DEFER_FLUSH	RL_HAVE_BATCHED_UNMAP_FLUSH

/*
 * mm->tlb_flush_batched as mm/rmap.c keeps it (the same on 6.1, 6.12 and
 * 7.2): bits 0-14 count the generations left pending, bits 16-30 those
 * flush_tlb_batched_pending() has flushed.
 */
#define RL_TLB_BATCH_FLUSHED_SHIFT	16
#define RL_TLB_BATCH_PENDING_MASK	(BIT(RL_TLB_BATCH_FLUSHED_SHIFT - 1) - 1)
#define RL_TLB_BATCH_PENDING_LARGE	(RL_TLB_BATCH_PENDING_MASK / 2)

#if RL_UNMAP_DEFER_FLUSH
/* Adds a pending generation, as set_tlb_ubc_flush_pending() does. */
static void rl_tlb_batch_mark(struct mm_struct *mm, struct rl_unmap_flush *f)
{
	int batch;

	/* after the PTEs were cleared */
	barrier();
	batch = atomic_read(&mm->tlb_flush_batched);
	do {
		if ((batch & RL_TLB_BATCH_PENDING_MASK) <=
		    RL_TLB_BATCH_PENDING_LARGE) {
			atomic_inc(&mm->tlb_flush_batched);
			f->marks++;
			return;
		}
		/* pending would catch flushed up: 1 pending, 0 flushed */
	} while (!atomic_try_cmpxchg(&mm->tlb_flush_batched, &batch, 1));
	f->marks = 1;
}

/* Generations pending that flush_tlb_batched_pending() has not flushed. */
static int rl_tlb_batch_unflushed(struct mm_struct *mm)
{
	int batch = atomic_read(&mm->tlb_flush_batched);

	return (batch & RL_TLB_BATCH_PENDING_MASK) -
	       (batch >> RL_TLB_BATCH_FLUSHED_SHIFT);
}
#endif

void rl_unmap_sync_batched(struct mm_struct *mm, struct rl_unmap_flush *f)
{
#if RL_UNMAP_DEFER_FLUSH
	/*
	 * Only this walk's generations pending: its own folios, which it
	 * flushes before reclaim.  Any other count means someone else left
	 * a flush pending (or flushed ours), and the kernel's flush of the
	 * whole mm covers ours too.  (Another reclaimer that flushed ours
	 * and left exactly as many of its own would be passed over here; it
	 * flushes its own before it writes or frees them.)
	 */
	if (f && f->marks && rl_tlb_batch_unflushed(mm) == f->marks)
		return;
	rl_flush_tlb_batched_pending(mm);
	if (f) {
		f->marks = 0;
		f->start = f->end;
	}
#else
	rl_flush_tlb_batched_pending(mm);
#endif
}

void rl_unmap_flush(struct mm_struct *mm, struct rl_unmap_flush *f)
{
	if (f->start == f->end)
		return;
#if RL_UNMAP_DEFER_FLUSH
	rl_tlb_unmap_complete(mm, f->start, f->end);
	rl_count(RL_C_unmap_flushes, 1);
#endif
	f->start = f->end;
}

/*
 * The TLB flush of a batch whose PTEs were just cleared, under the PTE
 * lock: noted in @f (see above), or done now.
 */
static void rl_unmap_flush_batch(struct mm_struct *mm, unsigned long addr,
				 unsigned long end, struct rl_unmap_flush *f)
{
#if RL_UNMAP_DEFER_FLUSH
	if (f) {
		rl_tlb_batch_mark(mm, f);
		rl_tlb_unmap_pending(mm, addr, end);
		if (f->start == f->end) {
			f->start = addr;
			f->end = end;
		} else {
			f->start = min(f->start, addr);
			f->end = max(f->end, end);
		}
		return;
	}
#endif
	/* x86 tells secondary MMUs from inside it (6.12+) */
	rl_flush_tlb_range(mm, addr, end, false);
	rl_count(RL_C_unmap_flushes, 1);
}

/*
 * The PTEs of the batch being unmapped, as they were, to put back on a
 * refusal.  Walks run one at a time under the trigger lock (target.c), so
 * one buffer serves them all and keeps 4 KiB off the stack.
 */
static pte_t rl_unmap_saved[RL_BATCH_MAX];

/*
 * Whether the @nr PTEs from @pte still map @folio from its first page,
 * present, with the bits of the batch the walker found (@first: its first
 * PTE; young, dirty, soft-dirty and write may differ, as there).  Each
 * PTE must map page i of @folio and no other page: the batch's swap
 * entries replace exactly these PTEs.
 */
static bool rl_unmap_ptes_unchanged(struct folio *folio, pte_t *pte,
				    unsigned int nr, pte_t first)
{
	pte_t expected = rl_pte_batch_bits(first);
	unsigned long pfn = folio_pfn(folio);
	unsigned int i, step;

	if (pte_pfn(first) != pfn || nr > folio_nr_pages(folio))
		return false;
	/* a contiguous block by its first PTE, as rl_folio_pte_batch() */
	for (i = 0; i < nr; i += step) {
		pte_t cur = ptep_get(pte + i);

		if (!pte_present(cur) || pte_pfn(cur) != pfn + i ||
		    pte_val(rl_pte_batch_bits(cur)) != pte_val(expected))
			return false;
		step = rl_pte_batch_hint(pte + i, cur);
		expected = rl_pte_advance_pfn(expected, step);
	}
	return true;
}

/*
 * Puts the @nr saved PTEs back from @addr, old: the folio goes to the
 * kernel's path as the walker hands it there otherwise, young bits
 * cleared (6.1's reclaim_pages() does not ignore them).  Nothing else was
 * changed: a TLB entry that the batch's flush (now or deferred) has not
 * dropped yet maps the same page as the restored PTE.
 */
static void rl_unmap_restore(struct mm_struct *mm, pte_t *pte,
			     unsigned long addr, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		set_pte_at(mm, addr + i * PAGE_SIZE, pte + i,
			   pte_mkold(rl_unmap_saved[i]));
}

/*
 * A batch refused before its PTEs were touched goes to the kernel's path
 * with its young bits cleared, as the walker's own path leaves it; if the
 * PTEs changed meanwhile, they are left as they are.
 */
static void rl_unmap_make_old(struct rl_unmap_batch *b, pte_t *pte)
{
	unsigned int cleared;

	if (!rl_unmap_ptes_unchanged(b->folio, pte, b->nr, b->first))
		return;
	cleared = rl_clear_young_ptes(b->vma, b->addr, pte, b->nr);
	if (!cleared)
		return;
	rl_count(RL_C_walk_young_cleared, cleared);
	rl_flush_tlb_range(b->vma->vm_mm, b->addr,
			   b->addr + b->nr * PAGE_SIZE, false);
}

/*
 * What folio_try_share_anon_rmap_pte() does for each exclusive page of the
 * batch, with one pin check: after the PTEs are cleared, a folio that may
 * be pinned (its pin count is folio-wide) keeps its pages exclusive and
 * the batch fails; else they become possibly shared, as a swap PTE
 * requires.
 */
static bool rl_unmap_share_anon(struct folio *folio, unsigned int nr)
{
	unsigned int i;

	/*
	 * GUP-fast pins, then re-reads the PTE: order our PTE clear before
	 * our read of the pin count (pairs with try_grab_folio()'s barrier).
	 */
	smp_mb();
	if (unlikely(folio_maybe_dma_pinned(folio)))
		return false;
	for (i = 0; i < nr; i++)
		if (PageAnonExclusive(folio_page(folio, i)))
			ClearPageAnonExclusive(folio_page(folio, i));
	/* a wmb paired with the rmb in gup_must_unshare() */
	smp_mb__after_atomic();
	return true;
}

/*
 * Swap PTEs for the cleared batch: each keeps its saved PTE's soft-dirty
 * and uffd-wp bits and says whether its page was exclusive (@excl, read
 * before sharing).
 */
static void rl_unmap_set_swap_ptes(struct mm_struct *mm, struct folio *folio,
				   pte_t *pte, unsigned long addr,
				   unsigned int nr, const unsigned long *excl)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		pte_t old = rl_unmap_saved[i];
		pte_t swp = swp_entry_to_pte(rl_folio_swap_entry(folio, i));

		if (test_bit(i, excl))
			swp = pte_swp_mkexclusive(swp);
		if (pte_soft_dirty(old))
			swp = pte_swp_mksoft_dirty(swp);
		if (pte_uffd_wp(old))
			swp = pte_swp_mkuffd_wp(swp);
		set_pte_at(mm, addr + i * PAGE_SIZE, pte + i, swp);
	}
}

/*
 * try_to_unmap_one()'s, after the swap references are taken: swapoff
 * finds the mms with swap entries on init_mm's mmlist.  As there, an
 * unlocked look that finds @mm on it is enough: swapoff's drain_mmlist()
 * empties the list only while no swap entry is in use, and this batch's
 * are.  False if @mm is not on it and cannot be put there: mmlist_lock or
 * init_mm is not in kallsyms (no CONFIG_KALLSYMS_ALL); the batch then
 * goes to the kernel's path, which puts it there.
 */
static bool rl_unmap_note_swapped_mm(struct mm_struct *mm)
{
	if (!list_empty(&mm->mmlist))
		return true;
	if (!rl_mmlist_lock || !rl_init_mm)
		return false;
	spin_lock(rl_mmlist_lock);
	if (list_empty(&mm->mmlist))
		list_add(&mm->mmlist, &rl_init_mm->mmlist);
	spin_unlock(rl_mmlist_lock);
	return true;
}

/*
 * Swap-backed: the PTEs are cleared and flushed.  0, or the counter of the
 * reason the batch was refused (nothing changed then but the saved PTEs
 * still to be put back by the caller).
 */
static int rl_unmap_swapbacked(struct rl_unmap_batch *b, pte_t *pte)
{
	DECLARE_BITMAP(excl, RL_BATCH_MAX);
	struct folio *folio = b->folio;
	struct mm_struct *mm = b->vma->vm_mm;
	unsigned int i, nr = b->nr;
	bool any_excl = false;

	/* as try_to_unmap_one() would find it after add_to_swap() */
	if (unlikely(!folio_test_swapcache(folio)))
		return RL_C_unmap_fallback_changed;
	if (rl_swap_dup_folio(folio))
		return RL_C_unmap_fallback_swap_dup;
	if (!rl_unmap_note_swapped_mm(mm)) {
		rl_swap_put_folio(folio);
		return RL_C_unmap_fallback_no_mmlist;
	}
	bitmap_zero(excl, nr);
	for (i = 0; i < nr; i++) {
		if (PageAnonExclusive(folio_page(folio, i))) {
			__set_bit(i, excl);
			any_excl = true;
		}
	}
	if (any_excl && !rl_unmap_share_anon(folio, nr)) {
		rl_swap_put_folio(folio);
		return RL_C_unmap_fallback_pinned;
	}
	rl_add_mm_counter(mm, MM_ANONPAGES, -(long)nr);
	rl_add_mm_counter(mm, MM_SWAPENTS, nr);
	rl_unmap_set_swap_ptes(mm, folio, pte, b->addr, nr, excl);
	return 0;
}

/*
 * Lazyfree (anon, not swap-backed): the PTEs are cleared and flushed.  The
 * folio goes without I/O if no one redirtied it (through a PTE, whose
 * dirty bit the caller handed to the folio, or a GUP reference) and no one
 * else holds a reference; a redirtied folio becomes swap-backed again, as
 * the kernel does.  0 or the reason counter.
 */
static int rl_unmap_lazyfree(struct rl_unmap_batch *b)
{
	struct folio *folio = b->folio;
	int ref_count, map_count;

	/* clear PTE; barrier; read refcount (GUP-fast: inc; barrier; read PTE) */
	smp_mb();
	ref_count = folio_ref_count(folio);
	map_count = rl_folio_mapcount(folio);
	/* refcount before the dirty flag, as __remove_mapping() reads them */
	smp_rmb();
	if (folio_test_dirty(folio)) {
		folio_set_swapbacked(folio);
		return RL_C_unmap_fallback_redirtied;
	}
	/* the isolation's reference and one per PTE */
	if (ref_count != 1 + map_count) {
		if (!RL_HAVE_LAZYFREE_REF_STAYS_LAZY)
			folio_set_swapbacked(folio);
		return RL_C_unmap_fallback_referenced;
	}
	rl_add_mm_counter(b->vma->vm_mm, MM_ANONPAGES, -(long)b->nr);
	return 0;
}

/*
 * The part under the PTE lock.  0 when the batch is unmapped, else the
 * reason counter, with every PTE as it was.
 */
static int rl_unmap_locked(struct rl_unmap_batch *b, pte_t *pte)
{
	struct vm_area_struct *vma = b->vma;
	struct mm_struct *mm = vma->vm_mm;
	struct folio *folio = b->folio;
	unsigned long addr = b->addr, end = b->addr + b->nr * PAGE_SIZE;
	bool dirty = false;
	unsigned int i;
	int reason;

	/* reclaim may have left stale TLB entries here: see rl_walk_pte_table */
	rl_unmap_sync_batched(mm, b->flush);
	if (!rl_unmap_ptes_unchanged(folio, pte, b->nr, b->first) ||
	    rl_folio_mapcount(folio) != b->nr)
		return RL_C_unmap_fallback_changed;

	for (i = 0; i < b->nr; i++) {
		rl_unmap_saved[i] = ptep_get_and_clear(mm, addr + i * PAGE_SIZE,
						       pte + i);
		dirty |= pte_dirty(rl_unmap_saved[i]);
	}
	/*
	 * One flush for the range, now or with the walk's others before
	 * reclaim (rl_unmap_flush_batch(): a stale entry can only write if
	 * it was dirty, and then the folio is dirty from here on).
	 */
	rl_unmap_flush_batch(mm, addr, end, b->flush);
	if (dirty)
		folio_mark_dirty(folio);
	/* before the RSS counters go down */
	update_hiwater_rss(mm);

	if (folio_test_swapbacked(folio))
		reason = rl_unmap_swapbacked(b, pte);
	else
		reason = rl_unmap_lazyfree(b);
	if (reason) {
		rl_unmap_restore(mm, pte, addr, b->nr);
		return reason;
	}
	rl_mmu_invalidate_range(mm, addr, end);
	rl_folio_remove_rmap_ptes(folio, &folio->page, b->nr, vma);
	folio_put_refs(folio, b->nr);
	return 0;
}

/* The checks that need no page-table lock; 0 or the reason counter. */
static int rl_unmap_refusal(struct rl_unmap_batch *b)
{
	struct folio *folio = b->folio;

	/* the kernel does not batch these either, or handles them apart */
	if (userfaultfd_wp(b->vma))
		return RL_C_unmap_fallback_uffd_wp;
	if (rl_vma_droppable(b->vma))
		return RL_C_unmap_fallback_droppable;
	if (folio_test_has_hwpoisoned(folio))
		return RL_C_unmap_fallback_hwpoison;
	if (!folio_test_swapbacked(folio))
		return folio_test_swapcache(folio) ?
			RL_C_unmap_fallback_changed : 0;
	/* shrink_folio_list() gives a pinned folio no swap space */
	if (folio_maybe_dma_pinned(folio))
		return RL_C_unmap_fallback_pinned;
	/*
	 * Nor a large one someone else holds a reference to (it could not
	 * free it after the write-out): it activates it.  Expected: the
	 * isolation's, one per PTE, and the swap cache's, one per page.
	 */
	if (folio_ref_count(folio) !=
	    1 + b->nr + (folio_test_swapcache(folio) ? b->nr : 0))
		return RL_C_unmap_fallback_referenced;
	if (!folio_test_swapcache(folio)) {
		u64 t0 = ktime_get_ns();
		bool added = rl_add_to_swap(folio);

		rl_count(RL_C_unmap_swap_ns, ktime_get_ns() - t0);
		if (!added)
			return RL_C_unmap_fallback_no_swap;
	}
	return 0;
}

bool rl_unmap_batch(struct rl_unmap_batch *b)
{
	struct mm_struct *mm = b->vma->vm_mm;
	unsigned long end = b->addr + b->nr * PAGE_SIZE;
	struct mmu_notifier_range range;
	spinlock_t *ptl;	/* the PTE table's */
	int refusal, reason;
	pte_t *pte;
	pmd_t pmdval;
	u64 t0 = 0;

	refusal = rl_unmap_refusal(b);
	if (!refusal) {
		t0 = ktime_get_ns();
		rl_mmu_clear_start(&range, mm, b->addr, end);
	}
	pte = rl_pte_map(b->pmd, b->addr, &pmdval);
	if (!rl_pte_mapped(pte)) {
		reason = refusal ?: RL_C_unmap_fallback_changed;
	} else {
		ptl = pte_lockptr(mm, &pmdval);
		spin_lock(ptl);
		if (!pmd_same(pmdval, rl_pmdp_get_lockless(b->pmd))) {
			/* a refusal keeps its own reason: it came first */
			reason = refusal ?: RL_C_unmap_fallback_changed;
		} else if (refusal) {
			rl_unmap_make_old(b, pte);
			reason = refusal;
		} else {
			reason = rl_unmap_locked(b, pte);
		}
		pte_unmap_unlock(pte, ptl);
	}
	if (!refusal) {
		rl_mmu_clear_end(&range);
		rl_count(RL_C_unmap_ns, ktime_get_ns() - t0);
	}
	if (reason) {
		rl_folio_event(reason, b->addr, b->folio, b->nr);
		return false;
	}
	rl_folio_event(RL_C_unmap_batched, b->addr, b->folio, b->nr);
	rl_count(RL_C_unmap_batched_ptes, b->nr);
	if (!folio_test_swapbacked(b->folio))
		rl_count(RL_C_unmap_lazyfree, 1);
	return true;
}
