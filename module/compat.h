/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place that knows how the supported kernels differ.  Everything
 * else calls the rl_* names below and never tests LINUX_VERSION_CODE.
 * What differs by architecture is in module/arch/, included below.
 *
 * mm's internal API changed between the kernels of the matrix; each
 * RL_HAVE_* below says which of 6.1, 6.12 and 7.2 have it (checked in
 * their sources): RL_MM_6_12 ones are true of 6.12 and 7.2, RL_MM_7 ones
 * of 7.2 only.  Debian does not backport these mm internals, so the version
 * is a sound test for them.
 */
#ifndef RL_COMPAT_H
#define RL_COMPAT_H

#include <linux/version.h>
#include <linux/ksm.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/pagemap.h>
#include <linux/mmu_notifier.h>
#include <linux/pgtable.h>
#include <linux/smp.h>
#include <asm/pgalloc.h>
#include <linux/static_call.h>
#include <linux/swap.h>
#include <linux/swapops.h>

#define RL_MM_6_12 (KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE)
/* The 7.x row of the matrix (7.2 checked). */
#define RL_MM_7 (KERNEL_VERSION(7, 0, 0) <= LINUX_VERSION_CODE)

/*
 * 6.6+: secondary MMUs that walk the CPU's page tables (IOMMU SVA) hear
 * of TLB flushes through arch_invalidate_secondary_tlbs(); every range
 * flush calls it, and a flush left for later calls it at once (what the
 * kernel's batched unmap does).  Not exported: resolved at load.
 */
#define RL_HAVE_ARCH_INVALIDATE_SECONDARY_TLBS	RL_MM_6_12
typedef void rl_arch_invalidate_secondary_tlbs_fn(struct mm_struct *mm,
						  unsigned long start,
						  unsigned long end);
DECLARE_STATIC_CALL(rl_arch_invalidate_secondary_tlbs,
		    rl_arch_invalidate_secondary_tlbs_fn);

static inline void rl_invalidate_secondary_tlbs(struct mm_struct *mm,
						unsigned long start,
						unsigned long end)
{
#if RL_HAVE_ARCH_INVALIDATE_SECONDARY_TLBS
	if (mm_has_notifiers(mm))
		static_call(rl_arch_invalidate_secondary_tlbs)(mm, start, end);
#endif
}

/*
 * What is an architecture's, not a kernel version's (an arch file may use
 * the RL_MM_* lines above, never the version itself).
 */
#if defined(CONFIG_X86_64)
#include "arch/x86.h"
#elif defined(CONFIG_ARM64)
#include "arch/arm64.h"
#else
#error "reclaimlab supports x86-64 and arm64 only (module/arch/)"
#endif

/* PTE tables are freed by RCU; __pte_offset_map_lock() maps and checks. */
#define RL_HAVE_PTE_MAP_RCU		RL_MM_6_12
/* folio_isolate_lru() returns bool, not 0 / -EBUSY. */
#define RL_HAVE_ISOLATE_BOOL		RL_MM_6_12
/* folio_deactivate(folio), not deactivate_page(page). */
#define RL_HAVE_FOLIO_DEACTIVATE	RL_MM_6_12
/* split_huge_page_to_list_to_order(), not split_huge_page_to_list(). */
#define RL_HAVE_SPLIT_TO_ORDER		RL_MM_6_12
/* folio_mapcount() is an inline, not an unexported function. */
#define RL_HAVE_FOLIO_MAPCOUNT_INLINE	RL_MM_6_12
/* mmu_notifier_range_init() takes no VMA; range_end() takes no only_end. */
#define RL_HAVE_MMU_RANGE_NO_VMA	RL_MM_6_12
/*
 * Every pte_offset_map_nolock() user that writes re-checks the PMD under
 * the PTE lock (pte_offset_map_rw_nolock(), 6.13), and
 * retract_page_tables() re-checks it under the PMD lock: what upstream's
 * own PT_RECLAIM relies on.
 */
#define RL_HAVE_PTE_MAP_RW_NOLOCK	RL_MM_7
/* split_huge_page_to_list_to_order() is an inline around the __ one. */
#define RL_HAVE_SPLIT_TO_ORDER_INLINE	RL_MM_7
/*
 * KSM counts the zero pages it maps (use_zero_pages 1) in ksm_zero_pages,
 * globally and per mm (6.10+); whoever clears such an entry subtracts it.
 * 6.1 counts nothing.
 */
#define RL_HAVE_KSM_ZERO_PAGES		(RL_MM_6_12 && IS_ENABLED(CONFIG_KSM))
/*
 * A file's page cache may have a minimum folio order (large block sizes,
 * 6.11+): its folios are split no lower than that.
 */
#define RL_HAVE_MIN_FOLIO_ORDER		RL_MM_6_12
/* ZONE_DEVICE pages have no devmap bit in page tables any more. */
#define RL_HAVE_PMD_DEVMAP		(!RL_MM_7)

static inline bool rl_pmd_devmap(pmd_t pmd)
{
#if RL_HAVE_PMD_DEVMAP
	return pmd_devmap(pmd);
#else
	return false;
#endif
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

/*
 * The kernel functions whose name or type differ.  Each is resolved at
 * load (symbols.c) and called through the module's static call.
 */
#if RL_HAVE_ISOLATE_BOOL
typedef bool rl_folio_isolate_lru_fn(struct folio *folio);
#else
typedef int rl_folio_isolate_lru_fn(struct folio *folio);
#endif
DECLARE_STATIC_CALL(rl_folio_isolate_lru, rl_folio_isolate_lru_fn);

/* True if @folio was taken off its LRU list (with a reference). */
static inline bool rl_folio_isolate_lru(struct folio *folio)
{
#if RL_HAVE_ISOLATE_BOOL
	return static_call(rl_folio_isolate_lru)(folio);
#else
	return static_call(rl_folio_isolate_lru)(folio) == 0;
#endif
}

/*
 * Static calls are typed after the kernel's own declaration where a public
 * header has one (typeof never references the symbol itself).
 */
#if RL_HAVE_FOLIO_DEACTIVATE
#define RL_DEACTIVATE_FN folio_deactivate
#define rl_deactivate_arg(folio) (folio)
#else
#define RL_DEACTIVATE_FN deactivate_page
#define rl_deactivate_arg(folio) (&(folio)->page)
#endif
DECLARE_STATIC_CALL(rl_deactivate, RL_DEACTIVATE_FN);

static inline void rl_folio_deactivate(struct folio *folio)
{
	static_call(rl_deactivate)(rl_deactivate_arg(folio));
}

#if RL_HAVE_SPLIT_TO_ORDER_INLINE
#define RL_SPLIT_FN __split_huge_page_to_list_to_order
#elif RL_HAVE_SPLIT_TO_ORDER
#define RL_SPLIT_FN split_huge_page_to_list_to_order
#else
#define RL_SPLIT_FN split_huge_page_to_list
#endif
DECLARE_STATIC_CALL(rl_split, RL_SPLIT_FN);

static inline int rl_split_to_order(struct folio *folio, int order)
{
#if RL_HAVE_SPLIT_TO_ORDER
	return static_call(rl_split)(&folio->page, NULL, order);
#else
	/* 6.1 splits to small pages only; rl_split_order() is 0 there */
	return static_call(rl_split)(&folio->page, NULL);
#endif
}

/*
 * The order a locked large folio may be split to, or an errno: 0 for
 * anon, the mapping's minimum for page cache (what the kernel's
 * min_order_for_split() says, which is not exported); -EBUSY if it was
 * truncated meanwhile.
 */
static inline int rl_split_order(struct folio *folio)
{
	if (folio_test_anon(folio))
		return 0;
	if (!folio->mapping)
		return -EBUSY;
#if RL_HAVE_MIN_FOLIO_ORDER
	return mapping_min_folio_order(folio->mapping);
#else
	return 0;
#endif
}

/*
 * Splits a locked large folio as far as it may be split; 0 or an errno
 * (-EINVAL where its order is already the lowest its file allows).
 */
static inline int rl_split_folio(struct folio *folio)
{
	int order = rl_split_order(folio);

	if (order < 0)
		return order;
	if (order >= folio_order(folio))
		return -EINVAL;
	return rl_split_to_order(folio, order);
}

#if RL_HAVE_FOLIO_MAPCOUNT_INLINE
static inline int rl_folio_mapcount(struct folio *folio)
{
	return folio_mapcount(folio);
}
#else
DECLARE_STATIC_CALL(rl_folio_mapcount, folio_mapcount);
static inline int rl_folio_mapcount(struct folio *folio)
{
	return static_call(rl_folio_mapcount)(folio);
}
#endif

/*
 * Maps the PTE table under @pmd without locking it, and says in @pmdval
 * which PMD value it used; NULL if @pmd does not point to a table.  The
 * caller locks pte_lockptr(mm, pmdval) and checks that *pmd is still
 * @pmdval, as the kernel's own pte_offset_map_lock() does.  6.12's
 * __pte_offset_map() maps inside an RCU section that pte_unmap() ends
 * (tables may be freed by RCU there).  On 6.1 a PTE table is only freed
 * under the mmap lock in write mode, which the walker excludes by holding
 * it for read.
 */
#if RL_HAVE_PTE_MAP_RCU
DECLARE_STATIC_CALL(rl_pte_offset_map, __pte_offset_map);
static inline pte_t *rl_pte_map(pmd_t *pmd, unsigned long addr,
				pmd_t *pmdval)
{
	return static_call(rl_pte_offset_map)(pmd, addr, pmdval);
}

/*
 * For sparse: a mapped table owes the pte_unmap() that ends its RCU read.
 * 7.x replaced __cond_lock() with Clang's context analysis.
 */
#ifdef __cond_lock
#define rl_pte_mapped(pte) __cond_lock(RCU, (pte) != NULL)
#else
#define rl_pte_mapped(pte) ((pte) != NULL)
#endif
#else
#define rl_pte_mapped(pte) ((pte) != NULL)
static inline pte_t *rl_pte_map(pmd_t *pmd, unsigned long addr,
				pmd_t *pmdval)
{
	*pmdval = rl_pmdp_get_lockless(pmd);
	if (pmd_none(*pmdval) || !pmd_present(*pmdval) ||
	    pmd_trans_huge(*pmdval) || pmd_devmap(*pmdval) ||
	    pmd_bad(*pmdval))
		return NULL;
	return pte_offset_map(pmdval, addr);
}
#endif

/*
 * @pte without the bits that may differ inside one batch: young and dirty
 * (set by hardware), soft-dirty, and write (one PTE of a large folio can
 * be read-only, e.g. after mprotect() or a COW break), as upstream's
 * folio_pte_batch() ignores them; and what the architecture says is only
 * a TLB hint (rl_pte_hint_bits_clear(): arm64's contiguous bit).
 */
static inline pte_t rl_pte_batch_bits(pte_t pte)
{
	pte = pte_wrprotect(pte_clear_soft_dirty(pte_mkold(pte_mkclean(pte))));
	return rl_pte_hint_bits_clear(pte);
}

/*
 * Freeing an empty PTE table (walk_pte_reclaim.c): what keeps everyone
 * else off the table differs between the kernels.
 *
 * 6.12 and 7.2: every pte_offset_map() user maps the table inside an RCU
 * read section, GUP-fast runs with IRQs off (also an RCU read section),
 * and the kernel itself frees retracted tables through pte_free_defer().
 * So the walker holds the mmap lock for read and frees through
 * pte_free_defer() too.  What else frees or moves tables is kept off the
 * walker's VMAs by the write lock: mremap and fork hold it throughout;
 * munmap (6.12) detaches the VMAs under it and may downgrade to read
 * before free_pgtables(), but by then the walker, which finds its VMAs
 * again after every lock break, cannot see them, and a table the
 * detached range shares with a live neighbour is kept by free_pgtables()
 * (floor and ceiling) and re-checked under the PMD lock by the walker.  6.12
 * still has writers that map a table without re-checking the PMD under
 * its lock (RL_HAVE_PTE_MAP_RW_NOLOCK below); they need more, see the
 * RL_PT_* switches.
 *
 * 6.1: pte_offset_map() users trust the mmap lock alone and re-check
 * nothing, and tables are freed at once.  So the walker holds the mmap
 * lock for write (faults, GUP, every madvise and ioctl out), holds the
 * anon_vma lock for write (rmap walkers out), and makes every CPU take an
 * IPI before the free: a GUP-fast walk runs with IRQs off, so once each
 * CPU has answered none can still be inside the table.
 */
#define RL_PT_FREE_RCU		RL_HAVE_PTE_MAP_RCU

/* Without RCU-freed tables the walk keeps faults out: mmap lock for write. */
#define RL_PT_MMAP_WRITE	(!RL_PT_FREE_RCU)

/*
 * Whether an empty table's TLB flush may wait past its locks for its
 * run's one flush (walk_pte_reclaim.c): where the architecture copes
 * with a fault that refills the PMD first (x86, arch/x86.h), and on 6.1,
 * where none can: the walk holds the mmap lock for write until after the
 * run's flush (faults, GUP and userfaultfd need it for read, khugepaged
 * for write; GUP-fast fills nothing).
 */
#define RL_PT_DEFER_TABLE_FLUSH	(RL_ARCH_PT_DEFER_TABLE_FLUSH || RL_PT_MMAP_WRITE)

/*
 * Empty tables of userfaultfd-registered VMAs (any mode: MISSING, WP or
 * MINOR; UFFDIO_COPY, ZEROPAGE, CONTINUE and POISON work on any of them)
 * are kept on 6.12 and 7.x.  There the ioctls run under the per-VMA lock
 * (or the mmap lock for read), which the walker does not exclude:
 * - mfill_atomic() allocates or finds the table, re-reads the PMD once,
 *   then maps the table to install the page; a table freed in between
 *   makes the ioctl fail with EAGAIN (or EEXIST if a THP fault filled
 *   the PMD), the page is not placed and the faulting thread is not
 *   woken.  Still so in 7.2 (t_pte_races uffd saw EAGAIN there).
 * - 6.12's UFFDIO_MOVE fills a table without re-checking the PMD (6.13
 *   added the re-check; on 7.x it retries).
 * On 6.1 every ioctl holds the mmap lock for read across the fill, and
 * the walker holds it for write: they cannot overlap, so the tables go.
 */
#define RL_PT_KEEP_UFFD_TABLES	RL_PT_FREE_RCU

/*
 * On 6.12, collapse_pte_mapped_thp() runs with the mmap lock for read and
 * frees the table of a file THP without re-checking the PMD: the walker
 * holds that THP's folio lock, as the kernel does, to keep it out.  On 6.1
 * it needs the mmap lock for write, which the walker holds.
 */
#define RL_PT_LOCK_FILE_THP	(RL_PT_FREE_RCU && !RL_HAVE_PTE_MAP_RW_NOLOCK)

/*
 * The i_mmap lock for write keeps out 6.1's file rmap walkers and 6.12's
 * retract_page_tables(), which takes it for read and frees a table without
 * re-checking the PMD.
 */
#define RL_PT_LOCK_I_MMAP	(!RL_HAVE_PTE_MAP_RW_NOLOCK)

/* The anon_vma lock keeps 6.1's rmap walkers out (see above). */
#define RL_PT_LOCK_ANON_VMA	(!RL_PT_FREE_RCU)

/*
 * Whether the scheduler wants this CPU for another task.  Under
 * PREEMPT_LAZY (7.x; Debian's default there) a tick first sets only the
 * lazy flag, which need_resched() does not test, and the next tick
 * preempts the task wherever it is: a walk would be switched out with
 * the target's mmap lock held.  So the lazy flag counts too, and it is
 * answered with schedule(): cond_resched() does nothing in a preemptible
 * kernel.  6.1 and 6.12 have no lazy flag (voluntary preemption).
 */
static inline bool rl_resched_wanted(void)
{
#ifdef TIF_NEED_RESCHED_LAZY
	if (test_thread_flag(TIF_NEED_RESCHED_LAZY))
		return true;
#endif
	return need_resched();
}

/* With no lock held: gives the CPU up if rl_resched_wanted() says so. */
static inline void rl_resched(void)
{
	if (rl_resched_wanted())
		schedule();
	else
		cond_resched();
}

/*
 * The background mode's mmap lock, only tried.  6.12 dropped
 * mmap_write_trylock() (no user left), and only 6.1 walks under the
 * write lock (RL_PT_MMAP_WRITE): elsewhere a write try never succeeds.
 */
static inline bool rl_mmap_trylock(struct mm_struct *mm, bool write)
{
	if (!write)
		return mmap_read_trylock(mm);
#if RL_MM_6_12
	return false;
#else
	return mmap_write_trylock(mm);
#endif
}

#if RL_HAVE_MMU_RANGE_NO_VMA
typedef void rl_mmu_notifier_end_fn(struct mmu_notifier_range *range);
#define rl_mmu_range_init(range, mm, start, end) \
	mmu_notifier_range_init(range, MMU_NOTIFY_CLEAR, 0, mm, start, end)
#define rl_mmu_end_args(range) (range)
#else
typedef void rl_mmu_notifier_end_fn(struct mmu_notifier_range *range,
				    bool only_end);
#define rl_mmu_range_init(range, mm, start, end) \
	mmu_notifier_range_init(range, MMU_NOTIFY_CLEAR, 0, NULL, mm, start, end)
#define rl_mmu_end_args(range) (range, false)
#endif
typedef int rl_mmu_notifier_start_fn(struct mmu_notifier_range *range);
DECLARE_STATIC_CALL(rl_mmu_notifier_start, rl_mmu_notifier_start_fn);
DECLARE_STATIC_CALL(rl_mmu_notifier_end, rl_mmu_notifier_end_fn);

/*
 * Tells secondary MMUs (KVM, IOMMU SVA, which may cache the table) that
 * [start, end) is being cleared, as mmu_notifier_invalidate_range_start()
 * does: that inline calls a function the kernel does not export.
 */
static inline void rl_mmu_clear_start(struct mmu_notifier_range *range,
				      struct mm_struct *mm,
				      unsigned long start, unsigned long end)
{
	rl_mmu_range_init(range, mm, start, end);
	if (!mm_has_notifiers(mm))
		return;
	range->flags |= MMU_NOTIFIER_RANGE_BLOCKABLE;
	/* a blockable start always succeeds */
	static_call(rl_mmu_notifier_start)(range);
}

static inline void rl_mmu_clear_end(struct mmu_notifier_range *range)
{
	if (mm_has_notifiers(range->mm))
		static_call(rl_mmu_notifier_end)rl_mmu_end_args(range);
}

/*
 * Whether @mm belongs to an OOM victim the oom_reaper is to reap (queued
 * for it, or already being reaped).  The reaper only trylocks the mmap
 * lock for read: a walk holding it (for write on 6.1) or queued for it
 * defeats the reaper, so walks leave such an mm alone.  7.x reads mm
 * flags through mm_flags_test().
 */
static inline bool rl_mm_oom_victim(struct mm_struct *mm)
{
#if RL_MM_7
	return mm_flags_test(MMF_OOM_REAP_QUEUED, mm) ||
	       mm_flags_test(MMF_UNSTABLE, mm);
#else
	return test_bit(MMF_OOM_REAP_QUEUED, &mm->flags) ||
	       test_bit(MMF_UNSTABLE, &mm->flags);
#endif
}

#if RL_HAVE_KSM_ZERO_PAGES
/* Resolved at load (symbols.c): the kernel does not export it. */
extern atomic_long_t *rl_ksm_zero_pages;
#endif

/*
 * What ksm_might_unmap_zero_page() does (an inline that uses the
 * unexported ksm_zero_pages): a KSM zero page's entry, cleared, is taken
 * off KSM's counts.
 */
static inline void rl_ksm_unmap_zero_page(struct mm_struct *mm, pte_t pte)
{
#if RL_HAVE_KSM_ZERO_PAGES
	if (is_ksm_zero_pte(pte)) {
		atomic_long_dec(rl_ksm_zero_pages);
		atomic_long_dec(&mm->ksm_zero_pages);
	}
#endif
}

#if RL_PT_FREE_RCU
DECLARE_STATIC_CALL(rl_pte_free_defer, pte_free_defer);
#else
static inline void rl_ipi_nop(void *unused)
{
}
#endif

/* rl_pt_free() waits for every CPU to answer an IPI (6.1) */
#define RL_PT_FREE_SYNCS	(!RL_PT_FREE_RCU)

/*
 * Frees the PTE table @pmdval pointed to, already unhooked from its PMD
 * with the TLB flushed, and takes it off the mm's page-table count: a
 * table at a time (pt_batch 1), as the walker did before batching.
 */
static inline void rl_pt_free(struct mm_struct *mm, pmd_t pmdval)
{
	mm_dec_nr_ptes(mm);
#if RL_PT_FREE_RCU
	static_call(rl_pte_free_defer)(mm, pmd_pgtable(pmdval));
#else
	smp_call_function(rl_ipi_nop, NULL, 1);
	pte_free(mm, pmd_pgtable(pmdval));
#endif
}

/*
 * Frees @table, one of a run of tables unhooked (and taken off the mm's
 * count) whose TLB flush has been done, without waiting for other CPUs
 * (pt_batch > 1):
 *
 * 6.12 and 7.2: pte_free_defer(), as above.
 *
 * 6.1: after an RCU grace period, through the table page's rcu_head (free
 * in a page-table page: it overlays only compound_head, which is 0 for a
 * table, and the PMD-table-only pmd_huge_pte; 6.5's generic
 * pte_free_defer() uses it the same way).  That is enough because the
 * only walker of the table left once its PMD is clear and the TLB flushed
 * is GUP-fast, which runs with IRQs off, and since 4.20 a grace period
 * waits for every IRQs-off section (RCU-sched merged into RCU): the one
 * the smp_call_function() of rl_pt_free() waits for.  Software walkers
 * are out already: the walk holds the mmap lock for write, and the rmap
 * locks while it clears the PMD.  The callback is module code:
 * rl_pt_free_barrier() waits for the last one before unload.
 */
#if RL_PT_FREE_RCU
static inline void rl_pt_free_later(struct mm_struct *mm, pgtable_t table)
{
	static_call(rl_pte_free_defer)(mm, table);
}

static inline void rl_pt_free_barrier(void)
{
}
#else
static inline void rl_pt_free_rcu(struct rcu_head *head)
{
	/* the generic pte_free() does not look at the mm */
	pte_free(NULL, container_of(head, struct page, rcu_head));
}

static inline void rl_pt_free_later(struct mm_struct *mm, pgtable_t table)
{
	call_rcu(&table->rcu_head, rl_pt_free_rcu);
}

static inline void rl_pt_free_barrier(void)
{
	rcu_barrier();
}
#endif

/*
 * The batched unmap (unmap_batch.c) does what each kernel's
 * try_to_unmap_one() does to an anon folio, through the kernel's own
 * functions, which differ:
 *
 * - swap space: add_to_swap() (6.1, 6.12; it also marks the folio
 *   dirty) became folio_alloc_swap() (7.x; the caller marks it dirty);
 * - a swap reference per PTE: swap_duplicate()/swap_free() on each entry
 *   (6.1; 6.12's swap_free() is an inline around swap_free_nr()) became
 *   folio_dup_swap()/folio_put_swap() on the whole folio (7.x);
 * - the rmap: page_remove_rmap() per page (6.1) became
 *   folio_remove_rmap_ptes() for a range (6.12, 7.x);
 * - the RSS counters: atomics with mm_trace_rss_stat(mm, member, count)
 *   (6.1) became per-CPU counters with mm_trace_rss_stat(mm, member);
 * - 6.1's secondary MMUs with an invalidate_range() callback (IOMMU SVA)
 *   must hear of a cleared PTE under the PTE lock; 6.12 dropped that
 *   callback (x86's flush_tlb_mm_range() tells them itself).
 */
/* folio_alloc_swap() adds to the swap cache; folio_dup_swap() and co. */
#define RL_HAVE_FOLIO_SWAP_API		RL_MM_7
/* folio_remove_rmap_ptes(), not page_remove_rmap(). */
#define RL_HAVE_REMOVE_RMAP_PTES	RL_MM_6_12
/* mm counters are percpu_counters; mm_trace_rss_stat() takes no count. */
#define RL_HAVE_PERCPU_RSS		RL_MM_6_12
/* mmu_notifier_invalidate_range() exists and must be called under PTL. */
#define RL_HAVE_MMU_INVALIDATE_RANGE	(!RL_MM_6_12)

#if RL_HAVE_FOLIO_SWAP_API
#define RL_ADD_TO_SWAP_NAME	"folio_alloc_swap"
#define RL_SWAP_DUP_NAME	"folio_dup_swap"
#define RL_SWAP_PUT_NAME	"folio_put_swap"
#elif RL_MM_6_12
#define RL_ADD_TO_SWAP_NAME	"add_to_swap"
#define RL_SWAP_DUP_NAME	"swap_duplicate"
#define RL_SWAP_PUT_NAME	"swap_free_nr"
#else
#define RL_ADD_TO_SWAP_NAME	"add_to_swap"
#define RL_SWAP_DUP_NAME	"swap_duplicate"
#define RL_SWAP_PUT_NAME	"swap_free"
#endif

#if RL_HAVE_FOLIO_SWAP_API
typedef int rl_add_to_swap_fn(struct folio *folio);
typedef int rl_swap_dup_fn(struct folio *folio, struct page *subpage);
typedef void rl_swap_put_fn(struct folio *folio, struct page *subpage);
#else
typedef bool rl_add_to_swap_fn(struct folio *folio);
typedef int rl_swap_dup_fn(swp_entry_t entry);
#if RL_MM_6_12
typedef void rl_swap_put_fn(swp_entry_t entry, int nr_pages);
#else
typedef void rl_swap_put_fn(swp_entry_t entry);
#endif
#endif
DECLARE_STATIC_CALL(rl_add_to_swap, rl_add_to_swap_fn);
DECLARE_STATIC_CALL(rl_swap_dup, rl_swap_dup_fn);
DECLARE_STATIC_CALL(rl_swap_put, rl_swap_put_fn);

/*
 * Gives locked anon @folio swap space as one unit and puts it in the swap
 * cache, dirty, as shrink_folio_list() does; false if there is none (a
 * large folio gets no fallback to small slots here: the kernel's path
 * splits it then).
 */
static inline bool rl_add_to_swap(struct folio *folio)
{
#if RL_HAVE_FOLIO_SWAP_API
	if (static_call(rl_add_to_swap)(folio))
		return false;
	folio_mark_dirty(folio);
	return true;
#else
	return static_call(rl_add_to_swap)(folio);
#endif
}

/* The swap entry of page @i of @folio, which is in the swap cache. */
static inline swp_entry_t rl_folio_swap_entry(struct folio *folio,
					      unsigned int i)
{
#if RL_MM_6_12
	swp_entry_t entry = folio->swap;
#else
	swp_entry_t entry = folio_swap_entry(folio);
#endif
	return swp_entry(swp_type(entry), swp_offset(entry) + i);
}

/*
 * Takes one swap reference for each page of @folio (locked, in the swap
 * cache), as the swap PTEs about to replace its PTEs will hold: all or
 * none; 0 or an errno.
 */
/*
 * One swap reference for page @i of @folio; 0 or an errno.  7.x's
 * folio_dup_swap() takes a NULL subpage (the whole folio) from shmem
 * only: for anon a count near SWAP_MAP_MAX needs a continuation, and a
 * whole-folio call that fails partway leaves the pages before it bumped.
 * So page by page, as try_to_unmap_one() calls it.
 */
static inline int rl_swap_dup_one(struct folio *folio, unsigned int i)
{
#if RL_HAVE_FOLIO_SWAP_API
	return static_call(rl_swap_dup)(folio, folio_page(folio, i));
#else
	return static_call(rl_swap_dup)(rl_folio_swap_entry(folio, i));
#endif
}

/* Drops what rl_swap_dup_one() took. */
static inline void rl_swap_put_one(struct folio *folio, unsigned int i)
{
#if RL_HAVE_FOLIO_SWAP_API
	static_call(rl_swap_put)(folio, folio_page(folio, i));
#elif RL_MM_6_12
	static_call(rl_swap_put)(rl_folio_swap_entry(folio, i), 1);
#else
	static_call(rl_swap_put)(rl_folio_swap_entry(folio, i));
#endif
}

static inline int rl_swap_dup_folio(struct folio *folio)
{
	unsigned int i, nr = folio_nr_pages(folio);
	int err;

	for (i = 0; i < nr; i++) {
		err = rl_swap_dup_one(folio, i);
		if (err < 0)
			goto undo;
	}
	return 0;
undo:
	while (i--)
		rl_swap_put_one(folio, i);
	return err;
}

/* Drops what rl_swap_dup_folio() took. */
static inline void rl_swap_put_folio(struct folio *folio)
{
	unsigned int i;

	for (i = 0; i < folio_nr_pages(folio); i++)
		rl_swap_put_one(folio, i);
}

#if RL_HAVE_REMOVE_RMAP_PTES
#define RL_REMOVE_RMAP_FN folio_remove_rmap_ptes
#else
#define RL_REMOVE_RMAP_FN page_remove_rmap
#endif
DECLARE_STATIC_CALL(rl_remove_rmap, RL_REMOVE_RMAP_FN);

/* Takes @nr PTE mappings from @page on off @folio's rmap. */
static inline void rl_folio_remove_rmap_ptes(struct folio *folio,
					     struct page *page,
					     unsigned int nr,
					     struct vm_area_struct *vma)
{
#if RL_HAVE_REMOVE_RMAP_PTES
	static_call(rl_remove_rmap)(folio, page, nr, vma);
#else
	unsigned int i;

	for (i = 0; i < nr; i++)
		static_call(rl_remove_rmap)(page + i, vma, false);
#endif
}

#if RL_HAVE_PERCPU_RSS
typedef void rl_mm_trace_rss_stat_fn(struct mm_struct *mm, int member);
#else
typedef void rl_mm_trace_rss_stat_fn(struct mm_struct *mm, int member,
				     long count);
#endif
DECLARE_STATIC_CALL(rl_mm_trace_rss_stat, rl_mm_trace_rss_stat_fn);

/* add_mm_counter(), whose tracepoint helper is not exported. */
static inline void rl_add_mm_counter(struct mm_struct *mm, int member,
				     long value)
{
#if RL_HAVE_PERCPU_RSS
	percpu_counter_add(&mm->rss_stat[member], value);
	static_call(rl_mm_trace_rss_stat)(mm, member);
#else
	long count = atomic_long_add_return(value,
					    &mm->rss_stat.count[member]);

	static_call(rl_mm_trace_rss_stat)(mm, member, count);
#endif
}

#if RL_HAVE_MMU_INVALIDATE_RANGE
DECLARE_STATIC_CALL(rl_mmu_invalidate_range, __mmu_notifier_invalidate_range);
#endif

/* 6.1: what mmu_notifier_invalidate_range() does, under the PTE lock. */
static inline void rl_mmu_invalidate_range(struct mm_struct *mm,
					   unsigned long start,
					   unsigned long end)
{
#if RL_HAVE_MMU_INVALIDATE_RANGE
	if (mm_has_notifiers(mm))
		static_call(rl_mmu_invalidate_range)(mm, start, end);
#endif
}

/*
 * A clean lazyfree folio with a reference besides its mappings and the
 * isolation's stays lazyfree for a later pass (7.x); before, reclaim made
 * it swap-backed as if it had been redirtied.
 */
#define RL_HAVE_LAZYFREE_REF_STAYS_LAZY	RL_MM_7

/*
 * VM_DROPPABLE (6.11+) folios are dropped even when dirty: the batched
 * unmap leaves them to the kernel.
 */
static inline bool rl_vma_droppable(struct vm_area_struct *vma)
{
#ifdef VM_DROPPABLE
	return vma->vm_flags & VM_DROPPABLE;
#else
	return false;
#endif
}

/* Resolved at load (symbols.c): swapoff finds swapped mms on this list. */
extern spinlock_t *rl_mmlist_lock;
extern struct mm_struct *rl_init_mm;

#endif /* RL_COMPAT_H */
