// SPDX-License-Identifier: GPL-2.0
/*
 * The pageout and cold walker.  Walks the target's range VMA by VMA and
 * PMD by PMD with the mmap lock held for read, as MADV_PAGEOUT does, and:
 *
 * - handles a PMD-mapped THP wholly in the range at the PMD level;
 * - finds each run of present PTEs that map consecutive pages of one large
 *   folio (at most `batch` long, never past the PMD, VMA or range end) and
 *   handles it as one batch under the PTE lock: young cleared on the whole
 *   run with one TLB flush, then, if the run is the whole folio and the
 *   folio is exclusive, the folio is isolated (pageout) or deactivated
 *   (cold) whole; with `unmap batched`, an anon one is isolated and
 *   unmapped in one step by unmap_batch.c, with the PTE lock dropped;
 * - splits a large folio it cannot handle whole, as `split` says, with the
 *   PTE lock dropped; a failed split leaves the folio and the walk goes on
 *   with the lock taken again;
 * - hands the isolated folios to reclaim_pages() after each PMD;
 * - gives the mmap lock up every `lock_hold_tables` PMDs, and when someone
 *   waits for it, then finds its VMA again (pgwalk.h's rl_lock_hold).
 */
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/pagemap.h>
#include "reclaimlab.h"
#include "compat.h"
#include "pgwalk.h"
#include "symbols.h"
#include "unmap_batch.h"

struct rl_walk {
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	const struct rl_request *req;
	const struct cred *cred;	/* the target's: whose file access counts */
	bool pageout;
	bool file_ok;			/* this VMA's file folios may go */
	struct list_head isolated;
	struct rl_lock_hold hold;	/* of the mmap lock, for read */
	unsigned long flush_start;	/* TLB range made old, not flushed */
	unsigned long flush_end;
	struct rl_unmap_flush unmap_flush;	/* batched unmaps' flush */
};

/* Notes [start, end) for the one TLB flush before the lock is dropped. */
static void rl_defer_flush(struct rl_walk *w, unsigned long start,
			   unsigned long end)
{
	if (w->flush_start == w->flush_end) {
		w->flush_start = start;
		w->flush_end = end;
		return;
	}
	w->flush_start = min(w->flush_start, start);
	w->flush_end = max(w->flush_end, end);
}

static void rl_flush_pending(struct rl_walk *w)
{
	if (w->flush_start == w->flush_end)
		return;
	rl_flush_tlb_range(w->mm, w->flush_start, w->flush_end, false);
	w->flush_start = w->flush_end;
}

/*
 * Hands the isolated folios to reclaim; no page-table lock may be held.
 * The batched unmaps' TLB flush comes first: reclaim writes and frees.
 */
static void rl_reclaim_isolated(struct rl_walk *w)
{
	rl_unmap_flush(w->mm, &w->unmap_flush);
	if (!list_empty(&w->isolated))
		rl_count(RL_C_walk_reclaimed,
			 static_call(rl_reclaim_pages)(&w->isolated));
}

/*
 * Page cache of a file the target could not write is not its to evict, as
 * MADV_PAGEOUT decides for its caller: judged with the target's
 * credentials, not the root writer's of `trigger`.
 */
static bool rl_can_pageout_file(struct vm_area_struct *vma,
				const struct cred *cred)
{
	const struct cred *old;
	bool ok;

	if (!vma->vm_file)
		return true;
	old = override_creds(cred);
	ok = file_owner_or_capable(vma->vm_file) ||
	     file_permission(vma->vm_file, MAY_WRITE) == 0;
	revert_creds(old);
	return ok;
}

/*
 * The counter that says why @folio must be left alone, or -1 if it may go.
 * @mapcount: what folio_mapcount() is when only this mapping maps it.
 */
static int rl_skip_reason(struct rl_walk *w, struct folio *folio,
			  int mapcount)
{
	if (is_zone_device_page(&folio->page))
		return RL_C_walk_skip_device;
	if (folio_test_ksm(folio))
		return RL_C_walk_skip_ksm;
	if (rl_folio_mapcount(folio) != mapcount)
		return RL_C_walk_skip_shared;
	if (!folio_test_anon(folio) && !w->file_ok)
		return RL_C_walk_skip_file_nowrite;
	if (folio_test_unevictable(folio))
		return RL_C_walk_skip_unevictable;
	if (!folio_test_lru(folio))
		return RL_C_walk_skip_not_lru;
	return -1;
}

/*
 * The counter that says why large @folio, which the walk cannot take
 * whole, must not be split either, or -1 if it may be.  The checks
 * MADV_PAGEOUT makes before its own split: a folio mapped elsewhere is
 * not split to free this mapping's part (@exclusive_mapcount: what
 * folio_mapcount() is when only this mapping maps it, 1 for a PMD), nor
 * page cache the target may not evict; and no ZONE_DEVICE folio is split
 * (fsdax PMDs look like THPs on 7.x, which has no devmap bit).
 */
static int rl_split_skip_reason(struct rl_walk *w, struct folio *folio,
				int exclusive_mapcount)
{
	if (is_zone_device_page(&folio->page))
		return RL_C_walk_skip_device;
	if (rl_folio_mapcount(folio) > exclusive_mapcount)
		return RL_C_walk_skip_shared;
	if (!folio_test_anon(folio) && !w->file_ok)
		return RL_C_walk_skip_file_nowrite;
	return -1;
}

/*
 * Isolates or deactivates @folio (@nr PTEs from @addr), whose young bits
 * are already clear.  False if it is not on an LRU list (counted).
 */
static bool rl_act(struct rl_walk *w, struct folio *folio,
		   unsigned long addr, unsigned int nr)
{
	folio_clear_referenced(folio);
	if (!w->pageout) {
		rl_folio_deactivate(folio);
		rl_count(RL_C_walk_deactivated, 1);
	} else if (rl_folio_isolate_lru(folio)) {
		list_add(&folio->lru, &w->isolated);
		rl_count(RL_C_walk_isolated, 1);
	} else {
		rl_folio_event(RL_C_walk_skip_not_lru, addr, folio, nr);
		return false;
	}
	return true;
}

/*
 * Splits @folio (@nr PTEs of it from @addr) into small pages and drops
 * the reference the caller took before dropping its page-table lock.
 * Called with nothing but the mmap lock held; takes the folio lock only
 * if free, so the walk never waits on it.  True if the folio was split.
 */
static bool rl_split_and_put(struct folio *folio, unsigned long addr,
			     unsigned int nr)
{
	unsigned long pfn = folio_pfn(folio);
	unsigned int order = folio_order(folio);
	int err;

	if (!folio_trylock(folio)) {
		folio_put(folio);
		rl_folio_event_at(RL_C_walk_skip_folio_locked, addr, pfn, order,
				  nr);
		return false;
	}
	err = rl_split_folio(folio);
	folio_unlock(folio);
	folio_put(folio);
	rl_folio_event_at(err ? RL_C_walk_split_failed : RL_C_walk_split, addr,
			  pfn, order, nr);
	return !err;
}

/*
 * How many PTEs from @pte (which is @first) map consecutive pages of
 * @folio with the same bits, but for those rl_pte_batch_bits() ignores:
 * at most @max.  A contiguous block (arm64 contpte) is looked at once, by
 * its first PTE in the range: its PTEs differ only in the PFN.
 */
static unsigned int rl_folio_pte_batch(struct folio *folio, pte_t *pte,
				       pte_t first, unsigned int max)
{
	unsigned long end_pfn = folio_pfn(folio) + folio_nr_pages(folio);
	pte_t expected = rl_pte_batch_bits(first);
	pte_t cur = first;
	unsigned int nr = 0, step;

	for (;;) {
		step = rl_pte_batch_hint(pte + nr, cur);
		if (rl_pte_is_cont(cur))
			rl_count(RL_C_walk_contpte_blocks, 1);
		nr += step;
		expected = rl_pte_advance_pfn(expected, step);
		if (nr >= max)
			return max;
		cur = ptep_get(pte + nr);
		/* never past the folio's last page, whatever the PTEs say */
		if (pte_pfn(expected) >= end_pfn || !pte_present(cur) ||
		    pte_val(rl_pte_batch_bits(cur)) != pte_val(expected))
			return nr;
	}
}

/*
 * Whether large @folio, handed to reclaim whole, is unmapped by the walker
 * in one step (unmap batched) rather than by reclaim.
 */
static bool rl_unmaps_batched(struct rl_walk *w, struct folio *folio)
{
	return w->pageout && w->req->unmap == RL_UNMAP_BATCHED &&
	       folio_test_anon(folio);
}

/*
 * A run of @nr PTEs from @pte: all of large @folio, or small @folio.  True
 * if large @folio is to be unmapped in one step: then it is isolated and
 * left locked for rl_unmap_stopped().
 */
static bool rl_handle_run(struct rl_walk *w, struct folio *folio, pte_t *pte,
			  unsigned long addr, unsigned int nr)
{
	bool large = folio_test_large(folio);
	unsigned int cleared;
	int reason;

	reason = rl_skip_reason(w, folio, large ? folio_nr_pages(folio) : 1);
	if (reason >= 0) {
		rl_folio_event(reason, addr, folio, nr);
		return false;
	}
	/* Revalidate a large folio under its lock: no one may be splitting it. */
	if (large && !folio_trylock(folio)) {
		rl_folio_event(RL_C_walk_skip_folio_locked, addr, folio, nr);
		return false;
	}
	if (large && rl_folio_mapcount(folio) != folio_nr_pages(folio)) {
		rl_folio_event(RL_C_walk_skip_shared, addr, folio, nr);
		goto unlock;
	}
	if (large && rl_unmaps_batched(w, folio)) {
		/* its PTEs go in one step: no young bits to clear first */
		folio_clear_referenced(folio);
		if (!rl_folio_isolate_lru(folio)) {
			rl_folio_event(RL_C_walk_skip_not_lru, addr, folio, nr);
			goto unlock;
		}
		list_add(&folio->lru, &w->isolated);
		rl_count(RL_C_walk_isolated, 1);
		rl_folio_event(RL_C_walk_large_whole, addr, folio, nr);
		return true;
	}
	if (w->req->young == RL_YOUNG_PER_PTE)
		cleared = rl_clear_young_each_pte(w->vma, addr, pte, nr);
	else
		cleared = rl_clear_young_ptes(w->vma, addr, pte, nr);
	if (cleared) {
		rl_count(RL_C_walk_young_cleared, cleared);
		rl_defer_flush(w, rl_young_span_start(addr),
			       rl_young_span_end(addr + nr * PAGE_SIZE));
	}
	if (rl_act(w, folio, addr, nr) && large)
		rl_folio_event(RL_C_walk_large_whole, addr, folio, nr);
unlock:
	if (large)
		folio_unlock(folio);
	return false;
}

/* Where rl_walk_pte_table() stopped, and why. */
struct rl_pte_stop {
	unsigned long addr;	/* the first address not done */
	struct folio *split;	/* to split there (referenced), or NULL */
	struct folio *unmap;	/* to unmap there (locked, isolated), or NULL */
	unsigned int nr;	/* PTEs of it in the range */
	pte_t first;		/* the PTE at addr (unmap) */
};

/*
 * Scans the PTEs of [addr, end), all under one PMD, with the PTE lock held,
 * until the end or a large folio that must be split first (which needs
 * the lock dropped).
 */
static void rl_walk_pte_table(struct rl_walk *w, pmd_t *pmd,
			      unsigned long addr, unsigned long end,
			      struct rl_pte_stop *stop)
{
	const struct rl_request *req = w->req;
	unsigned long scanned = 0;
	pte_t *start_pte, *pte;
	spinlock_t *ptl;	/* the PTE table's */
	pmd_t pmdval;

	stop->split = NULL;
	stop->unmap = NULL;
again:
	start_pte = rl_pte_map(pmd, addr, &pmdval);
	if (!rl_pte_mapped(start_pte)) {
		stop->addr = end;
		return;
	}
	ptl = pte_lockptr(w->mm, &pmdval);
	spin_lock(ptl);
	if (unlikely(!pmd_same(pmdval, rl_pmdp_get_lockless(pmd)))) {
		pte_unmap_unlock(start_pte, ptl);
		goto again;
	}
	/*
	 * Reclaim may have unmapped PTEs here and deferred their TLB flush:
	 * flush before looking at them, or a stale writable entry could let
	 * a write land in a page already on its way to swap.
	 */
	rl_unmap_sync_batched(w->mm, &w->unmap_flush);

	for (pte = start_pte; addr < end; pte += 1, addr += PAGE_SIZE) {
		pte_t ptent = ptep_get(pte);
		struct folio *folio;
		unsigned int nr, max;
		int reason;
		bool whole;

		scanned++;
		if (!pte_present(ptent))
			continue;
		folio = static_call(rl_vm_normal_folio)(w->vma, addr, ptent);
		if (!folio)
			continue;
		if (!folio_test_large(folio)) {
			rl_handle_run(w, folio, pte, addr, 1);
			continue;
		}

		max = min_t(unsigned long, req->batch,
			    (end - addr) >> PAGE_SHIFT);
		nr = rl_folio_pte_batch(folio, pte, ptent, max);
		rl_count(RL_C_walk_batches, 1);
		rl_count(RL_C_walk_batch_ptes, nr);
		whole = nr == folio_nr_pages(folio) &&
			pte_pfn(ptent) == folio_pfn(folio);
		if (whole && req->split != RL_SPLIT_ALWAYS) {
			if (rl_handle_run(w, folio, pte, addr, nr)) {
				/* unmapped with this lock dropped */
				stop->unmap = folio;
				stop->nr = nr;
				stop->first = ptent;
				scanned += nr - 1;
				break;
			}
			goto next;
		}
		/* partly in the range, or split always: split, or skip */
		if (!whole && req->split == RL_SPLIT_NEVER)
			reason = RL_C_walk_skip_partial;
		else
			reason = rl_split_skip_reason(w, folio,
						      folio_nr_pages(folio));
		if (reason >= 0) {
			rl_folio_event(reason, addr, folio, nr);
		} else {
			folio_get(folio);
			stop->split = folio;
			stop->nr = nr;
			scanned--;	/* it is looked at again after the split */
			break;
		}
next:
		scanned += nr - 1;
		pte += nr - 1;
		addr += (nr - 1) * PAGE_SIZE;
	}
	rl_flush_pending(w);
	pte_unmap_unlock(start_pte, ptl);
	stop->addr = addr;
	rl_count(RL_C_walk_ptes_scanned, scanned);
}

/*
 * Unmaps the folio rl_walk_pte_table() stopped at in one step, or leaves
 * it to reclaim's unmap; either way it stays isolated for reclaim.
 */
static void rl_unmap_stopped(struct rl_walk *w, pmd_t *pmd,
			     const struct rl_pte_stop *stop)
{
	struct rl_unmap_batch batch = {
		.vma = w->vma,
		.pmd = pmd,
		.addr = stop->addr,
		.folio = stop->unmap,
		.nr = stop->nr,
		.first = stop->first,
		.flush = &w->unmap_flush,
	};

	rl_unmap_batch(&batch);
	folio_unlock(stop->unmap);
}

/* The PTEs of [addr, end), all under one PMD. */
static void rl_walk_ptes(struct rl_walk *w, pmd_t *pmd, unsigned long addr,
			 unsigned long end)
{
	struct rl_pte_stop stop;

	while (addr < end) {
		rl_walk_pte_table(w, pmd, addr, end, &stop);
		addr = stop.addr;
		if (stop.unmap) {
			rl_unmap_stopped(w, pmd, &stop);
			addr += stop.nr * PAGE_SIZE;
			continue;
		}
		if (!stop.split)
			break;
		/*
		 * Split with the PTE lock dropped; then look at the same
		 * address again (small pages now), or, if the split failed,
		 * leave the folio as it is and go on past it.
		 */
		if (!rl_split_and_put(stop.split, addr, stop.nr)) {
			rl_count(RL_C_walk_ptes_scanned, stop.nr);
			addr += stop.nr * PAGE_SIZE;
		}
	}
}

/*
 * A PMD that maps a THP.  Returns false if the PMD no longer maps one, or
 * the THP was split: the caller walks its PTEs then.
 */
static bool rl_walk_pmd_huge(struct rl_walk *w, pmd_t *pmd,
			     unsigned long addr, unsigned long end)
{
	bool whole = end - addr == PMD_SIZE;
	/* the pages the PMD maps in the range */
	unsigned int nr = (end - addr) >> PAGE_SHIFT;
	struct folio *folio;
	spinlock_t *ptl;	/* the PMD's */
	int reason;

	ptl = pmd_lock(w->mm, pmd);
	if (!pmd_trans_huge(*pmd)) {
		spin_unlock(ptl);
		return false;
	}
	folio = page_folio(pmd_page(*pmd));

	if (!whole || w->req->split == RL_SPLIT_ALWAYS) {
		if (!whole && w->req->split == RL_SPLIT_NEVER)
			reason = RL_C_walk_skip_partial;
		else
			reason = rl_split_skip_reason(w, folio, 1);
		if (reason >= 0) {
			rl_folio_event(reason, addr, folio, nr);
			spin_unlock(ptl);
			return true;
		}
		folio_get(folio);
		spin_unlock(ptl);
		rl_split_and_put(folio, addr, nr);
		return false;
	}

	/* A PMD mapping counts once in folio_mapcount(). */
	reason = rl_skip_reason(w, folio, 1);
	if (reason >= 0) {
		rl_folio_event(reason, addr, folio, nr);
	} else {
		if (rl_pmdp_test_and_clear_young(w->vma, addr, pmd)) {
			rl_count(RL_C_walk_young_cleared, 1);
			rl_defer_flush(w, addr, end);
		}
		if (rl_act(w, folio, addr, nr)) {
			rl_folio_event(RL_C_walk_large_whole, addr, folio, nr);
			rl_count(RL_C_walk_pmd_whole, 1);
		}
	}
	rl_flush_pending(w);
	spin_unlock(ptl);
	return true;
}

/*
 * [@start, @end) of @vma.  Returns 0 when it is done, 1 when the mmap lock
 * was given up after the PMD that ends at *@resume (the caller finds the
 * VMA there again), or an errno.
 */
static int rl_walk_vma(struct rl_walk *w, struct vm_area_struct *vma,
		       unsigned long start, unsigned long end,
		       unsigned long *resume)
{
	unsigned long addr, next;
	pmd_t *pmd;
	int ret;

	/* DAX: no page cache, no LRU; its PMDs are device memory */
	if (is_vm_hugetlb_page(vma) || vma_is_dax(vma) ||
	    (vma->vm_flags & (VM_PFNMAP | VM_IO | VM_MIXEDMAP))) {
		rl_count(RL_C_walk_skip_vma, 1);
		return 0;
	}
	if (vma->vm_flags & VM_LOCKED) {
		rl_count(RL_C_walk_skip_mlocked, 1);
		return 0;
	}
	w->vma = vma;
	w->file_ok = rl_can_pageout_file(vma, w->cred);

	for (addr = start; addr < end; addr = next) {
		next = pmd_addr_end(addr, end);
		pmd = rl_pmd_of(w->mm, addr);
		if (pmd) {
			pmd_t pmdval = rl_pmdp_get_lockless(pmd);
			/* nothing mapped, or a THP handled at the PMD level */
			bool done = pmd_none(pmdval) ||
				    (pmd_trans_huge(pmdval) &&
				     rl_walk_pmd_huge(w, pmd, addr, next));

			if (!done)
				rl_walk_ptes(w, pmd, addr, next);
		}
		rl_reclaim_isolated(w);
		ret = rl_walk_should_stop(w->mm);
		if (ret)
			return ret;
		/* nothing is pending here: the PMD's flush and reclaim are done */
		ret = rl_hold_break(&w->hold);
		if (ret) {
			*resume = next;
			return ret;
		}
		cond_resched();
	}
	return 0;
}

int rl_walk_pageout(const struct rl_request *req, struct mm_struct *mm,
		    const struct cred *cred)
{
	unsigned long start = req->whole_mm ? 0 : req->start;
	unsigned long end = req->whole_mm ? RL_USER_VA_END : req->end;
	unsigned long addr = start;
	struct vm_area_struct *vma;
	struct rl_walk w = {
		.mm = mm,
		.req = req,
		.cred = cred,
		.pageout = req->walker == RL_WALKER_PAGEOUT,
		.isolated = LIST_HEAD_INIT(w.isolated),
		.hold = {
			.mm = mm,
			.limit = req->hold_tables,
			.drops = RL_C_walk_lock_drops,
			.waited = RL_C_walk_lock_waited,
		},
	};
	u64 t0 = ktime_get_ns();
	int ret = 0;

	/* Folios still in a CPU's LRU batch are not on the LRU yet. */
	static_call(rl_lru_add_drain_all)();

	if (rl_hold_lock(&w.hold))
		return -EINTR;
	/* VMA by VMA from @addr, found again after each lock break */
	while (addr < end && (vma = find_vma(mm, addr)) &&
	       vma->vm_start < end) {
		ret = rl_walk_vma(&w, vma, max(addr, vma->vm_start),
				  min(end, vma->vm_end), &addr);
		if (ret < 0)
			break;
		if (!ret)
			addr = vma->vm_end;
		ret = 0;
	}
	rl_hold_unlock(&w.hold);

	rl_count(RL_C_walk_runs, 1);
	rl_count(RL_C_walk_ns, ktime_get_ns() - t0);
	return ret;
}
