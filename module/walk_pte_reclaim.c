// SPDX-License-Identifier: GPL-2.0
/*
 * The empty-PTE-table walker.  Visits every PTE table that maps part of
 * the target's range and frees the ones whose 512 entries are all none:
 * page-table memory left behind by MADV_DONTNEED, by pageout of ranges
 * later zapped, by partial munmap.  With `pte_reclaim_zero 1` a table whose
 * present entries all map the shared zero page is zapped and freed too: a
 * later read faults the zero page back in.
 *
 * For each table, in this order:
 *  1. every VMA the table spans must be anonymous or a regular file
 *     mapping (not hugetlb, PFNMAP, IO, MIXEDMAP, special);
 *  2. a look without locks: a used table costs no lock and no notifier;
 *  3. the rmap locks of the spanned VMAs that this kernel needs (compat.h),
 *     for write, without waiting;
 *  4. secondary MMUs are told (MMU_NOTIFY_CLEAR over the table's 2 MiB);
 *  5. the PMD lock, then the PTE lock, without waiting; the PMD must still
 *     point to the same table and every entry must still be none;
 *  6. the PMD is cleared and the TLB flushed (with the paging-structure
 *     caches: freed_tables) before the locks are dropped, then the table
 *     is freed the way compat.h says is safe on this kernel (rl_pt_free()).
 *     With `pt_batch` N > 1, an empty table's flush and free wait instead
 *     in a run of up to N tables: one flush for the run, then frees that
 *     wait for no other CPU (rl_pt_run_drain()).
 * A lock that is taken is never waited for: the table is kept and counted
 * as busy.  compat.h says which locks each kernel needs, and why.  The
 * target's mmap lock is given up every `lock_hold_tables` tables, and
 * when someone waits for it (pgwalk.h's rl_lock_hold); the VMAs are
 * looked up again after.  Each table's outcome is counted and traced in
 * one call (trace.c).
 */
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/mmu_notifier.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/userfaultfd_k.h>
#include "reclaimlab.h"
#include "compat.h"
#include "pgwalk.h"
#include "symbols.h"

/* Distinct rmap locks one table may need (a file and an anon_vma, each
 * for up to two VMAs); a table needing more is kept as busy.
 */
#define RL_PT_MAX_RMAP_LOCKS 4

/* What the VMAs a table spans allow, and the locks it needs. */
struct rl_pt_span {
	bool supported;		/* every VMA is anonymous or a regular file */
	bool zero_ok;		/* zero-page entries may be zapped */
	bool keep_uffd;		/* RL_PT_KEEP_UFFD_TABLES applies */
	/* the file VMA whose THP collapse must be kept out, or NULL */
	struct vm_area_struct *thp_vma;
	struct rw_semaphore *rmap[RL_PT_MAX_RMAP_LOCKS];
	unsigned int nr_rmap;
	bool too_many_locks;
};

enum rl_pt_state {
	RL_PT_EMPTY,		/* every entry none */
	RL_PT_ZERO,		/* none or the zero page, and zero_ok */
	RL_PT_USED,
};

/*
 * A run of tables unhooked from their PMDs and taken off the mm's count,
 * whose TLB flush (if @flush) and free are still to come (pt_batch > 1).
 *
 * Where it is safe (RL_PT_DEFER_TABLE_FLUSH: x86, and 6.1), an empty
 * table's flush waits past its PMD lock, as upstream's own freeing of
 * empty tables does (6.14's zap_pte_range() clears the PMD under its lock
 * and leaves the flush to tlb_finish_mmu()).  Until the flush, a CPU may
 * still walk the unhooked table through its paging-structure caches: it
 * finds every entry none and faults, the fault drops the cached entry and
 * installs a fresh table (6.12+: under the per-VMA lock; on 6.1 it waits
 * for the walk's write lock, which the run never outlives).  The table
 * itself is freed only after the flush, so no walk ever lands in a reused
 * page.  arm64 6.12+ flushes each table under its locks (arch/arm64.h
 * says why) and batches only the frees.  A zero-page table is flushed
 * under its locks everywhere (rl_pt_unhook()): its entries still map the
 * zero page in TLBs, and a new page faulted in beside a stale one must
 * not be read as zero.  Secondary MMUs heard of each table under its
 * locks (start and end around the clear); on 6.12+ the run's flush tells
 * those that walk the CPU's tables (SVA) again.
 *
 * Static: walks run one at a time, under the trigger lock (target.c).
 */
struct rl_pt_run {
	struct mm_struct *mm;
	unsigned int nr, max;		/* max: pt_batch */
	bool flush;			/* an empty table awaits its flush */
	unsigned long start, end;	/* ... the span of those */
	pgtable_t tables[RL_PT_BATCH_MAX];
};

static struct rl_pt_run rl_pt_run;

/* The run's flush, then its frees.  Before the mmap lock goes, always. */
static void rl_pt_run_drain(void *arg)
{
	struct rl_pt_run *run = arg;
	unsigned int i;

	if (run->flush) {
		rl_flush_tlb_range(run->mm, run->start, run->end, true);
		rl_count(RL_C_pte_reclaim_flushes, 1);
		run->flush = false;
	}
	for (i = 0; i < run->nr; i++)
		rl_pt_free_later(run->mm, run->tables[i]);
	run->nr = 0;
}

/* A table unhooked under its locks: freed now, or when the run drains. */
static void rl_pt_run_add(struct rl_pt_run *run, pmd_t pmdval)
{
	if (run->max == 1) {
		rl_pt_free(run->mm, pmdval);
		if (RL_PT_FREE_SYNCS)
			rl_count(RL_C_pte_reclaim_syncs, 1);
		return;
	}
	mm_dec_nr_ptes(run->mm);
	run->tables[run->nr++] = pmd_pgtable(pmdval);
	if (run->nr == run->max)
		rl_pt_run_drain(run);
}

static bool rl_pt_vma_supported(struct vm_area_struct *vma)
{
	if (is_vm_hugetlb_page(vma) ||
	    (vma->vm_flags & (VM_PFNMAP | VM_IO | VM_MIXEDMAP)))
		return false;
	if (vma_is_anonymous(vma))
		return true;
	return vma->vm_file && S_ISREG(file_inode(vma->vm_file)->i_mode);
}

static void rl_pt_span_add_lock(struct rl_pt_span *span,
				struct rw_semaphore *sem)
{
	unsigned int i;

	for (i = 0; i < span->nr_rmap; i++)
		if (span->rmap[i] == sem)
			return;
	if (span->nr_rmap == RL_PT_MAX_RMAP_LOCKS) {
		span->too_many_locks = true;
		return;
	}
	span->rmap[span->nr_rmap++] = sem;
}

/* Looks at the VMAs that [@haddr, @haddr + PMD_SIZE) spans. */
static void rl_pt_span_of(struct mm_struct *mm, unsigned long haddr,
			  bool zero_pages, struct rl_pt_span *span)
{
	unsigned long hend = haddr + PMD_SIZE;
	struct vm_area_struct *vma;

	memset(span, 0, sizeof(*span));
	span->supported = true;
	span->zero_ok = zero_pages;
	for (vma = find_vma(mm, haddr); vma && vma->vm_start < hend;
	     vma = find_vma(mm, vma->vm_end)) {
		if (!rl_pt_vma_supported(vma)) {
			span->supported = false;
			return;
		}
		if (userfaultfd_armed(vma)) {
			span->zero_ok = false;
			span->keep_uffd = RL_PT_KEEP_UFFD_TABLES;
		}
		if (vma->vm_flags & VM_LOCKED)
			span->zero_ok = false;
		if (vma->vm_file) {
			if (RL_PT_LOCK_I_MMAP)
				rl_pt_span_add_lock(span,
						    &vma->vm_file->f_mapping->i_mmap_rwsem);
			/* collapse_pte_mapped_thp() only takes whole tables */
			if (RL_PT_LOCK_FILE_THP &&
			    range_in_vma(vma, haddr, hend))
				span->thp_vma = vma;
		}
		if (RL_PT_LOCK_ANON_VMA && vma->anon_vma)
			rl_pt_span_add_lock(span, &vma->anon_vma->root->rwsem);
	}
}

static void rl_pt_rmap_unlock(struct rl_pt_span *span, unsigned int nr)
{
	while (nr--)
		up_write(span->rmap[nr]);
}

/*
 * Takes every rmap lock of @span for write, without waiting: rmap walkers
 * (and on 6.12 retract_page_tables(), which takes the i_mmap lock for read
 * and frees tables without re-checking the PMD) stay out.  Trylocks also
 * keep lockdep quiet about taking two locks of one class.
 */
static bool rl_pt_rmap_trylock(struct rl_pt_span *span)
{
	unsigned int i;

	if (span->too_many_locks)
		return false;
	for (i = 0; i < span->nr_rmap; i++) {
		if (!down_write_trylock(span->rmap[i])) {
			rl_pt_rmap_unlock(span, i);
			return false;
		}
	}
	return true;
}

static enum rl_pt_state rl_pt_state_of(pte_t *pte, bool zero_ok)
{
	bool zero = false;
	int i;

	for (i = 0; i < PTRS_PER_PTE; i++) {
		pte_t entry = ptep_get(pte + i);

		if (pte_none(entry))
			continue;
		if (zero_ok && pte_present(entry) &&
		    is_zero_pfn(pte_pfn(entry))) {
			zero = true;
			continue;
		}
		return RL_PT_USED;
	}
	return zero ? RL_PT_ZERO : RL_PT_EMPTY;
}

/* True if @pmdval (read without a lock) points to a PTE table. */
static bool rl_pmd_is_table(pmd_t pmdval)
{
	return !pmd_none(pmdval) && pmd_present(pmdval) &&
	       !pmd_trans_huge(pmdval) && !rl_pmd_devmap(pmdval) &&
	       !pmd_bad(pmdval);
}

/*
 * Holds the lock of the file THP that collapse_pte_mapped_thp() would hold
 * while it works on this table (RL_PT_LOCK_FILE_THP).  Called under the
 * PMD and PTE locks: a collapse between its scan and its own free of the
 * table holds that folio locked and in the page cache, and one that has
 * not scanned yet will find the PMD cleared.  Returns the locked folio
 * (the caller unlocks and puts it), NULL if there is none to hold, or an
 * ERR_PTR if it is busy.
 */
static struct folio *rl_pt_lock_file_thp(struct rl_pt_span *span,
					 unsigned long haddr)
{
	struct vm_area_struct *vma = span->thp_vma;
	struct folio *folio;

	if (!vma)
		return NULL;
	/* no FGP flags: a lookup that neither sleeps nor allocates */
	folio = __filemap_get_folio(vma->vm_file->f_mapping,
				    linear_page_index(vma, haddr), 0, 0);
	if (IS_ERR_OR_NULL(folio))
		return NULL;
	if (!folio_test_large(folio)) {
		folio_put(folio);
		return NULL;
	}
	if (folio_trylock(folio))
		return folio;
	folio_put(folio);
	return ERR_PTR(-EBUSY);
}

/*
 * Under the PMD and PTE locks: clears the zero-page entries (if @state
 * says there are some) and the PMD, and flushes the TLB, or (an empty
 * table in a run, pt_batch > 1) leaves the flush to the run.
 *
 * The flush comes before the locks are dropped, as wp_page_copy() and
 * pmdp_collapse_flush() do: once they are dropped, a fault (under the
 * per-VMA lock, which the walker does not exclude) can install a new
 * table and a new page at an address whose zero-page entry another CPU
 * still has in its TLB.  That CPU would read the old zero while it
 * already sees later writes through other pages.  freed_tables also
 * drops the paging-structure caches that point to the table.
 */
static void rl_pt_unhook(struct rl_pt_run *run, pmd_t *pmd, pte_t *pte,
			 unsigned long haddr, enum rl_pt_state state)
{
	struct mm_struct *mm = run->mm;
	pte_t old;
	int i;

	if (state == RL_PT_ZERO) {
		for (i = 0; i < PTRS_PER_PTE; i++) {
			if (pte_none(ptep_get(pte + i)))
				continue;
			/* the kernel's own clear: page_table_check sees it */
			old = ptep_get_and_clear(mm, haddr + i * PAGE_SIZE,
						 pte + i);
			/* what zap_pte_range() does for a zero page */
			rl_ksm_unmap_zero_page(mm, old);
			rl_count(RL_C_pte_reclaim_zero_ptes, 1);
		}
	}
	pmd_clear(pmd);
	if (RL_PT_DEFER_TABLE_FLUSH && state == RL_PT_EMPTY && run->max > 1) {
		if (!run->flush) {
			run->flush = true;
			run->start = haddr;
			run->end = haddr + PMD_SIZE;
		}
		run->start = min(run->start, haddr);
		run->end = max(run->end, haddr + PMD_SIZE);
		return;
	}
	rl_flush_tlb_range(mm, haddr, haddr + PMD_SIZE, true);
	rl_count(RL_C_pte_reclaim_flushes, 1);
}

/*
 * Step 5's last look, under the PMD and PTE locks: the PMD still points to
 * the table that was looked at, no file THP collapse is working on it,
 * and it is still empty.  Then it is unhooked.  Returns the counter that
 * says why the table was kept, or -1 if it was unhooked.
 */
static int rl_pt_unhook_checked(struct rl_pt_run *run, pmd_t *pmd,
				pmd_t pmdval, unsigned long haddr,
				struct rl_pt_span *span)
{
	int reason = RL_C_pte_reclaim_skip_busy;
	struct folio *thp;
	pmd_t mapped;
	pte_t *pte;

	pte = rl_pte_map(pmd, haddr, &mapped);
	if (!rl_pte_mapped(pte))
		return reason;
	thp = pmd_same(mapped, pmdval) ? rl_pt_lock_file_thp(span, haddr) :
					 ERR_PTR(-EAGAIN);
	if (!IS_ERR(thp)) {
		enum rl_pt_state state = rl_pt_state_of(pte, span->zero_ok);

		if (state == RL_PT_USED) {
			reason = RL_C_pte_reclaim_skip_not_empty;
		} else {
			rl_pt_unhook(run, pmd, pte, haddr, state);
			reason = -1;
		}
		if (thp) {
			folio_unlock(thp);
			folio_put(thp);
		}
	}
	pte_unmap(pte);
	return reason;
}

/* Step 5 with the PMD lock held: the PTE lock too, if it is another. */
static int rl_pt_unhook_pml_held(struct rl_pt_run *run, spinlock_t *pml,
				 pmd_t *pmd, pmd_t pmdval, unsigned long haddr,
				 struct rl_pt_span *span)
{
	spinlock_t *ptl = pte_lockptr(run->mm, &pmdval);
	int reason;

	if (ptl == pml)
		return rl_pt_unhook_checked(run, pmd, pmdval, haddr, span);
	if (!spin_trylock(ptl))
		return RL_C_pte_reclaim_skip_busy;
	reason = rl_pt_unhook_checked(run, pmd, pmdval, haddr, span);
	spin_unlock(ptl);
	return reason;
}

/* Step 5: the PMD lock, never waited for; the PMD must not have changed. */
static int rl_pt_unhook_locked(struct rl_pt_run *run, pmd_t *pmd,
			       pmd_t pmdval, unsigned long haddr,
			       struct rl_pt_span *span)
{
	spinlock_t *pml = pmd_lockptr(run->mm, pmd);
	int reason = RL_C_pte_reclaim_skip_busy;

	if (!spin_trylock(pml))
		return reason;
	if (pmd_same(rl_pmdp_get_lockless(pmd), pmdval))
		reason = rl_pt_unhook_pml_held(run, pml, pmd, pmdval, haddr,
					       span);
	spin_unlock(pml);
	return reason;
}

/* One PTE table, the one covering [@haddr, @haddr + PMD_SIZE). */
static void rl_pt_reclaim_table(struct rl_pt_run *run, unsigned long haddr,
				bool zero_pages)
{
	struct mm_struct *mm = run->mm;
	struct mmu_notifier_range range;
	struct rl_pt_span span;
	pmd_t *pmd, pmdval, mapped;
	enum rl_pt_state state;
	int reason;
	pte_t *pte;

	pmd = rl_pmd_of(mm, haddr);
	if (!pmd)
		return;
	pmdval = rl_pmdp_get_lockless(pmd);
	if (!rl_pmd_is_table(pmdval))
		return;
	rl_count(RL_C_pte_reclaim_tables_scanned, 1);

	rl_pt_span_of(mm, haddr, zero_pages, &span);
	if (!span.supported) {
		rl_table_event(RL_C_pte_reclaim_skip_vma, haddr);
		return;
	}

	/* Step 2: a racy look, confirmed under the locks below. */
	pte = rl_pte_map(pmd, haddr, &mapped);
	if (!rl_pte_mapped(pte)) {
		/* the PMD changed since it was read */
		rl_table_event(RL_C_pte_reclaim_skip_busy, haddr);
		return;
	}
	state = rl_pt_state_of(pte, span.zero_ok);
	pte_unmap(pte);
	if (state == RL_PT_USED) {
		rl_table_event(RL_C_pte_reclaim_skip_not_empty, haddr);
		return;
	}
	if (span.keep_uffd) {
		rl_table_event(RL_C_pte_reclaim_skip_vma, haddr);
		return;
	}

	if (!rl_pt_rmap_trylock(&span)) {
		rl_table_event(RL_C_pte_reclaim_skip_busy, haddr);
		return;
	}
	rl_mmu_clear_start(&range, mm, haddr, haddr + PMD_SIZE);
	reason = rl_pt_unhook_locked(run, pmd, mapped, haddr, &span);
	rl_mmu_clear_end(&range);
	/* under the rmap locks, as before batching, when pt_batch is 1 */
	if (reason < 0)
		rl_pt_run_add(run, mapped);
	rl_pt_rmap_unlock(&span, span.nr_rmap);

	if (reason >= 0) {
		rl_table_event(reason, haddr);
		return;
	}
	rl_table_event(RL_C_pte_reclaim_tables_freed, haddr);
	rl_count(RL_C_pte_reclaim_bytes_freed, PAGE_SIZE);
}

int rl_walk_pte_reclaim(const struct rl_request *req, struct mm_struct *mm)
{
	unsigned long start = req->whole_mm ? 0 : req->start;
	unsigned long end = req->whole_mm ? RL_USER_VA_END : req->end;
	unsigned long addr = start;	/* where to look the VMAs up from */
	unsigned long taddr, vend, next = 0;	/* first table not yet seen */
	struct vm_area_struct *vma;
	struct rl_lock_hold hold = {
		.mm = mm,
		.write = RL_PT_MMAP_WRITE,
		.nowait = req->nowait,
		.limit = req->hold_tables,
		.drops = RL_C_pte_reclaim_lock_drops,
		.waited = RL_C_pte_reclaim_lock_waited,
		.drain = rl_pt_run_drain,
		.drain_arg = &rl_pt_run,
	};
	u64 t0 = ktime_get_ns();
	int ret;

	rl_pt_run = (struct rl_pt_run) {
		.mm = mm,
		.max = clamp(req->pt_batch, 1U, (unsigned int)RL_PT_BATCH_MAX),
	};
	ret = rl_hold_lock(&hold);
	if (ret)
		return ret;
	/* VMA by VMA from @addr, found again after each lock break */
	while (addr < end && (vma = find_vma(mm, addr)) && vma->vm_start < end) {
		/*
		 * Not even read: a hugetlb VMA's PMD table may be shared with
		 * another mm and unshared and freed under the i_mmap lock
		 * alone.  It has no PTE tables, and (aligned to its huge page
		 * size) shares no PMD range with another VMA.
		 */
		if (is_vm_hugetlb_page(vma)) {
			addr = vma->vm_end;
			continue;
		}
		taddr = ALIGN_DOWN(max(addr, vma->vm_start), PMD_SIZE);
		taddr = max(taddr, next);
		vend = min(end, vma->vm_end);
		addr = vma->vm_end;
		for (; taddr < vend; taddr = next) {
			next = taddr + PMD_SIZE;
			rl_pt_reclaim_table(&rl_pt_run, taddr, req->pte_zero);
			ret = rl_walk_should_stop(mm);
			if (ret)
				goto out;
			if (rl_walk_budget_spent(req->budget)) {
				req->budget->stopped_at = next;
				ret = -EAGAIN;
				goto out;
			}
			ret = rl_hold_break(&hold);
			if (ret == -EBUSY && req->budget) {
				/* taken meanwhile: a later walk goes on */
				req->budget->stopped_at = next;
				ret = -EAGAIN;
			}
			if (ret < 0)
				goto out;
			if (ret) {
				ret = 0;
				addr = next;
				break;
			}
			/* lock_hold_tables 0 only: the breaks reschedule */
			cond_resched();
		}
	}
out:
	rl_hold_unlock(&hold);
	rl_count(RL_C_pte_reclaim_runs, 1);
	rl_count(RL_C_pte_reclaim_ns, ktime_get_ns() - t0);
	return ret;
}

void rl_pte_reclaim_exit(void)
{
	rl_pt_free_barrier();
}
