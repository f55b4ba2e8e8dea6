/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one list of reclaimlab's counters, shared by the module (which keeps
 * and prints them) and the guest tests (which look them up by name).  An
 * X-macro file: define RL_COUNTER(name), include this, undefine it.  Names
 * are what the debugfs files `stats` and `last` print, one "name value"
 * line each, in this order.  No include guard, on purpose.
 */

/* kretprobe on madvise_cold_or_pageout_pte_range() */
RL_COUNTER(madv_calls)			/* calls, one per PMD walked */
RL_COUNTER(madv_pageout_calls)		/* ... made for MADV_PAGEOUT */
RL_COUNTER(madv_cold_calls)		/* ... made for MADV_COLD */
RL_COUNTER(madv_ns)			/* ns spent inside */
/* kretprobe on try_to_unmap_one() */
RL_COUNTER(ttu_calls)			/* calls */
RL_COUNTER(ttu_failed)			/* calls that returned false */
RL_COUNTER(ttu_ns)			/* ns spent inside */
RL_COUNTER(ttu_large_calls)		/* calls on large folios */
RL_COUNTER(ttu_large_left_mapped)	/* large folios still partly mapped
					 * in the VMA after a success
					 */
RL_COUNTER(ttu_order_0)			/* calls by folio order ... */
RL_COUNTER(ttu_order_1)
RL_COUNTER(ttu_order_2)
RL_COUNTER(ttu_order_3)
RL_COUNTER(ttu_order_4)
RL_COUNTER(ttu_order_5)
RL_COUNTER(ttu_order_6)
RL_COUNTER(ttu_order_7)
RL_COUNTER(ttu_order_8)
RL_COUNTER(ttu_order_9)			/* ... order 9 (PMD) and above */
/* kretprobe on reclaim_pages(): stock MADV_PAGEOUT's and the walker's */
RL_COUNTER(reclaim_calls)		/* calls */
RL_COUNTER(reclaim_ns)			/* ns spent inside (unmap, swap-out,
					 * compression, LRU)
					 */
/* any probe */
RL_COUNTER(probe_missed)		/* kretprobe hits lost: no free instance */
/* the pageout/cold walker (walker pageout or cold) */
RL_COUNTER(walk_runs)			/* walker runs */
RL_COUNTER(walk_ns)			/* ns spent in them */
RL_COUNTER(walk_ptes_scanned)		/* PTEs looked at */
RL_COUNTER(walk_batches)		/* runs of PTEs mapping one large folio,
					 * handled as one batch
					 */
RL_COUNTER(walk_batch_ptes)		/* PTEs in those batches */
RL_COUNTER(walk_contpte_blocks)		/* contiguous blocks in them (arm64
					 * contpte: 16 PTEs, one TLB entry)
					 */
RL_COUNTER(walk_large_whole)		/* large folios handled whole */
RL_COUNTER(walk_pmd_whole)		/* ... of which PMD-mapped THPs */
RL_COUNTER(walk_split)			/* large folios split */
RL_COUNTER(walk_split_failed)		/* splits that failed */
RL_COUNTER(walk_skip_partial)		/* partly mapped large folios left
					 * alone (split never)
					 */
RL_COUNTER(walk_skip_vma)		/* VMAs skipped: hugetlb, DAX, PFNMAP, IO,
					 * MIXEDMAP
					 */
RL_COUNTER(walk_skip_mlocked)		/* VMAs skipped: VM_LOCKED */
RL_COUNTER(walk_skip_file_nowrite)	/* file folios of a file the caller
					 * cannot write
					 */
RL_COUNTER(walk_skip_shared)		/* folios mapped by another process
					 * or twice
					 */
RL_COUNTER(walk_skip_folio_locked)	/* folios whose lock was busy */
RL_COUNTER(walk_skip_not_lru)		/* folios not on an LRU list */
RL_COUNTER(walk_skip_unevictable)	/* unevictable folios */
RL_COUNTER(walk_skip_ksm)		/* KSM folios */
RL_COUNTER(walk_skip_device)		/* zone-device folios */
RL_COUNTER(walk_young_cleared)		/* PTEs (or PMDs) made old */
RL_COUNTER(walk_isolated)		/* folios isolated for pageout */
RL_COUNTER(walk_reclaimed)		/* pages reclaimed by them */
RL_COUNTER(walk_deactivated)		/* folios moved to the inactive list */
RL_COUNTER(walk_lock_drops)		/* times a walk gave up the target's
					 * mmap lock (lock_hold_tables)
					 */
RL_COUNTER(walk_lock_waited)		/* ... of which someone waited */
/* the pageout walker's batched unmap (unmap batched) */
RL_COUNTER(unmap_batched)		/* anon large folios unmapped whole in
					 * one step by the walker
					 */
RL_COUNTER(unmap_batched_ptes)		/* PTEs in those batches */
RL_COUNTER(unmap_flushes)		/* TLB flushes for them: one per PMD
					 * of folios where the kernel defers
					 * its own (x86; arm64 6.12+), else
					 * one per folio
					 */
RL_COUNTER(unmap_lazyfree)		/* ... of which lazyfree (MADV_FREE)
					 * folios, freed without swap
					 */
RL_COUNTER(unmap_ns)			/* ns spent unmapping (mmu notifier
					 * start to end; compare ttu_ns)
					 */
RL_COUNTER(unmap_swap_ns)		/* ns spent giving them swap space
					 * (reclaim's own time, moved here)
					 */
RL_COUNTER(unmap_fallback_changed)	/* left to the kernel's unmap: a PTE,
					 * the PMD or the mapcount changed
					 * since the walker looked
					 */
RL_COUNTER(unmap_fallback_pinned)	/* ... the folio may be DMA-pinned */
RL_COUNTER(unmap_fallback_uffd_wp)	/* ... its VMA is uffd-wp registered */
RL_COUNTER(unmap_fallback_droppable)	/* ... its VMA is VM_DROPPABLE */
RL_COUNTER(unmap_fallback_hwpoison)	/* ... it has a poisoned page */
RL_COUNTER(unmap_fallback_no_swap)	/* ... no swap space for it whole */
RL_COUNTER(unmap_fallback_swap_dup)	/* ... a swap reference failed */
RL_COUNTER(unmap_fallback_no_mmlist)	/* ... the mm is not on swapoff's list
					 * yet and the module cannot add it
					 * (no mmlist_lock in kallsyms)
					 */
RL_COUNTER(unmap_fallback_redirtied)	/* ... lazyfree, but written since
					 * MADV_FREE (swap-backed again)
					 */
RL_COUNTER(unmap_fallback_referenced)	/* ... someone else holds a reference
					 * (reclaim would keep it too)
					 */
/* the empty-PTE-table walker (walker pte_reclaim) */
RL_COUNTER(pte_reclaim_runs)		/* walker runs */
RL_COUNTER(pte_reclaim_ns)		/* ns spent in them */
RL_COUNTER(pte_reclaim_tables_scanned)	/* PTE tables looked at */
RL_COUNTER(pte_reclaim_tables_freed)	/* PTE tables freed */
RL_COUNTER(pte_reclaim_bytes_freed)	/* page-table bytes given back */
RL_COUNTER(pte_reclaim_lock_drops)	/* times a walk gave up the target's
					 * mmap lock (every lock_hold_tables
					 * tables, or when someone waited)
					 * and took it again
					 */
RL_COUNTER(pte_reclaim_lock_waited)	/* ... of which someone waited */
RL_COUNTER(pte_reclaim_flushes)		/* TLB flushes for freed tables: one
					 * per table with pt_batch 1 or a
					 * zero-page table, else one per run
					 */
RL_COUNTER(pte_reclaim_syncs)		/* waits for every CPU before a free
					 * (6.1 with pt_batch 1: an IPI to
					 * all; 0 where frees wait for RCU)
					 */
RL_COUNTER(pte_reclaim_zero_ptes)	/* zero-page PTEs zapped with their
					 * table (pte_reclaim_zero 1)
					 */
RL_COUNTER(pte_reclaim_skip_not_empty)	/* tables kept: an entry is not none
					 * (a page, swap, migration entry,
					 * marker)
					 */
RL_COUNTER(pte_reclaim_skip_busy)	/* tables kept: a lock was taken, or
					 * the PMD changed under us
					 */
RL_COUNTER(pte_reclaim_skip_vma)	/* tables kept: they span a VMA the
					 * walker does not free tables of
					 */
/* the background mode (auto_interval_ms): pte_reclaim on its own */
RL_COUNTER(auto_rounds)			/* rounds, one per interval (those
					 * slept through to pay a debt off too)
					 */
RL_COUNTER(auto_mms_visited)		/* mms walked */
RL_COUNTER(auto_mms_unchanged)		/* mms passed over: page-table bytes
					 * not grown since the last visit
					 */
RL_COUNTER(auto_tables_freed)		/* PTE tables they freed */
RL_COUNTER(auto_ns)			/* the thread's CPU time, ns (what the
					 * budget counts)
					 */
RL_COUNTER(auto_budget_exhausted)	/* rounds that stopped on the budget,
					 * the rest carried over
					 */
RL_COUNTER(auto_walks_stopped)		/* walks the budget ended inside an
					 * mm; a later round goes on from there
					 */
RL_COUNTER(auto_mms_busy)		/* mms passed over this round: their
					 * mmap lock (or a trigger) was held;
					 * the thread never waits for one
					 */
RL_COUNTER(auto_cgroup_offline)		/* passes ended early: auto_cgroup
					 * was removed
					 */
RL_COUNTER(auto_oom_victims)		/* mms passed over: an OOM victim's */
/* triggers of the module's own walkers */
RL_COUNTER(triggers)			/* trigger writes that ran a walker */
RL_COUNTER(trigger_errors)		/* walker runs that ended in an error */
