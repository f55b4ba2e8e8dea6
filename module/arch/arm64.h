/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What reclaimlab needs that is arm64's, not a kernel version's (the x86-64
 * twin is arch/x86.h): the lockless PMD read, the young bits of a PTE, a
 * batch or a PMD, contiguous (contpte) blocks, the next PFN inside a
 * batch, the TLB flush of a range and what a function's entry says about
 * BTI.  Included by compat.h.
 *
 * contpte (6.9+, CONFIG_ARM64_CONTPTE): a naturally aligned block of
 * CONT_PTES (16 with 4K pages) PTEs of one folio may carry PTE_CONT, one
 * TLB entry for all of them.  The public PTE helpers (ptep_get(),
 * ptep_test_and_clear_young(), ...) treat such a block as a whole: young
 * and dirty are the block's (ptep_get() gathers them from all 16), and
 * clearing young on any PTE of the block clears it on all 16.  So one call
 * per block does what 16 calls would, and the batch steps from block to
 * block (pte_batch_hint()).  6.1 has no contpte user mappings: every block
 * is one PTE there, with the same code.
 */
#ifndef RL_ARCH_ARM64_H
#define RL_ARCH_ARM64_H

#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/pgtable.h>
#include <linux/static_call.h>
#include <asm/tlbflush.h>

/* A PMD is one naturally aligned 64-bit word: READ_ONCE() is atomic. */
static inline pmd_t rl_pmdp_get_lockless(pmd_t *pmdp)
{
	return READ_ONCE(*pmdp);
}

/* @pte (as read from @ptep) is one PTE of a contiguous block. */
static inline bool rl_pte_is_cont(pte_t pte)
{
	return pte_valid(pte) && pte_cont(pte);
}

/*
 * How many PTEs from @ptep (which reads @pte) to the end of its contiguous
 * block, 1 if it is in none: what 6.12's pte_batch_hint() says, here for
 * 6.1 too.
 */
static inline unsigned int rl_pte_batch_hint(pte_t *ptep, pte_t pte)
{
	if (!rl_pte_is_cont(pte))
		return 1;
	return CONT_PTES - (((unsigned long)ptep / sizeof(pte_t)) &
			    (CONT_PTES - 1));
}

/*
 * @pte without PTE_CONT, which only says the TLB may cache its block as
 * one entry: one folio can be mapped partly by blocks and partly not (a
 * block is unfolded when one of its PTEs changes, e.g. by mprotect(), and
 * folded again only when its last PTE is written), and that must not end
 * a batch.  (6.12's own folio_pte_batch() compares the bit, so MADV_PAGEOUT
 * splits such a folio at the first block boundary.)
 */
static inline pte_t rl_pte_hint_bits_clear(pte_t pte)
{
	return pte_mknoncont(pte);
}

/*
 * Clears young on the @nr PTEs from @pte (mapping @addr on) of one folio;
 * how many were young.  One ptep_test_and_clear_young() per contiguous
 * block (it clears all of the block's, about CONT_PTES cmpxchg, and says
 * whether any was young: the block's PTEs count as young together, as
 * ptep_get() reports them); one per PTE elsewhere, only if it is young.
 * A batch never holds part of a block of another folio: blocks are
 * naturally aligned within one folio.
 */
static inline unsigned int rl_clear_young_ptes(struct vm_area_struct *vma,
					       unsigned long addr, pte_t *pte,
					       unsigned int nr)
{
	unsigned int i, step, cleared = 0;

	for (i = 0; i < nr; i += step) {
		pte_t cur = READ_ONCE(pte[i]);

		step = min(nr - i, rl_pte_batch_hint(pte + i, cur));
		if (!rl_pte_is_cont(cur) && !pte_young(cur))
			continue;
		if (ptep_test_and_clear_young(vma, addr + i * PAGE_SIZE,
					      pte + i))
			cleared += step;
	}
	return cleared;
}

/*
 * What rl_clear_young_ptes() may have made old when it cleared [start,
 * end): whole contiguous blocks (a block's young bits go together, also
 * past the ends of a batch that holds part of one), so the TLB flush
 * after it covers them, as contpte_ptep_clear_flush_young() flushes the
 * block.  Blocks are aligned inside a PMD: the span stays in it.
 */
static inline unsigned long rl_young_span_start(unsigned long start)
{
	return ALIGN_DOWN(start, CONT_PTE_SIZE);
}

static inline unsigned long rl_young_span_end(unsigned long end)
{
	return ALIGN(end, CONT_PTE_SIZE);
}

/*
 * The same, one call per PTE whatever the blocks (on a block, each call
 * clears all of it again): the cost the batch saves, for `young per_pte`
 * and the benchmark.
 */
static inline unsigned int rl_clear_young_each_pte(struct vm_area_struct *vma,
						   unsigned long addr,
						   pte_t *pte, unsigned int nr)
{
	unsigned int i, cleared = 0;

	for (i = 0; i < nr; i++)
		cleared += !!ptep_test_and_clear_young(vma,
						       addr + i * PAGE_SIZE,
						       pte + i);
	return cleared;
}

static inline bool rl_pmdp_test_and_clear_young(struct vm_area_struct *vma,
						unsigned long addr,
						pmd_t *pmdp)
{
	return pmd_young(READ_ONCE(*pmdp)) &&
	       pmdp_test_and_clear_young(vma, addr, pmdp);
}

/*
 * The PTE that maps the page @nr on with the same bits as @pte: through
 * the PFN, as the output-address bits move with LPA2 (52-bit PA on 6.12).
 */
static inline pte_t rl_pte_advance_pfn(pte_t pte, unsigned int nr)
{
	return pfn_pte(pte_pfn(pte) + nr, pte_pgprot(pte));
}

/*
 * Flushes [start, end) of @mm from every CPU (TLBI ... IS is broadcast in
 * hardware: no IPI) and, on 6.12+, tells secondary MMUs; @freed_tables: a
 * page table was unhooked too, so the walk caches go as well (not a
 * last-level-only TLBI).  What arm64's tlb_flush() does for an mmu_gather,
 * with the same on-stack VMA (TLB_FLUSH_VMA: only vm_mm is read); level 3
 * is the PTE level of 4K pages, 0 is "any".
 */
#define RL_HAVE_FLUSH_TLB_MM_RANGE	0	/* inline here, no symbol */
#ifdef TLBI_TTL_UNKNOWN
#define RL_TLBI_LEVEL_ANY	TLBI_TTL_UNKNOWN
#else
#define RL_TLBI_LEVEL_ANY	0
#endif
static inline void rl_flush_tlb_range(struct mm_struct *mm,
				      unsigned long start, unsigned long end,
				      bool freed_tables)
{
	struct vm_area_struct vma = TLB_FLUSH_VMA(mm, 0);

	__flush_tlb_range(&vma, start, end, PAGE_SIZE, !freed_tables,
			  freed_tables ? RL_TLBI_LEVEL_ANY : 3);
}

/*
 * pte_reclaim's runs: an empty table is flushed under its locks here
 * wherever a fault can run beside the walk (6.12+), and only its free
 * waits for the run.  Deferring the flush past the PMD lock would let a
 * fault fill the PMD while other CPUs still cache the old table entry: a
 * THP fault's block entry over it breaks arm64's break-before-make rule
 * (a TLB conflict abort kills the task), and a small fault through the
 * stale entry finds the old table empty and faults again, with no TLBI
 * on that path, until the flush.  (compat.h: on 6.1 no fault can.)
 */
#define RL_ARCH_PT_DEFER_TABLE_FLUSH	0

#if RL_MM_6_12
/*
 * The batched unmap's deferred flush (unmap_batch.c, 6.5+), as arm64's
 * arch_tlbbatch_add_pending() and arch_tlbbatch_flush() split it: the
 * broadcast TLBIs are issued when the PTEs are cleared (which also tells
 * secondary MMUs), and only their completion, one DSB, waits.
 */
static inline void rl_tlb_unmap_pending(struct mm_struct *mm,
					unsigned long start,
					unsigned long end)
{
	struct vm_area_struct vma = TLB_FLUSH_VMA(mm, 0);

	__flush_tlb_range_nosync(&vma, start, end, PAGE_SIZE, true, 3);
}

static inline void rl_tlb_unmap_complete(struct mm_struct *mm,
					 unsigned long start,
					 unsigned long end)
{
	__tlbi_sync_s1ish();
}
#endif

/* Little-endian encodings of what may be at a function's entry. */
#define RL_INSN_BTI_C		0xd503245f
#define RL_INSN_BTI_JC		0xd50324df
#define RL_INSN_PACIASP		0xd503233f
#define RL_INSN_NOP		0xd503201f	/* an unused ftrace site */
#define RL_INSN_MOV_X9_LR	0xaa1e03e9	/* an ftrace site in use */

/*
 * What the first 4 bytes at a resolved function say about BTI.  The
 * module's static calls are generic on arm64 (no HAVE_STATIC_CALL): a
 * load of the key's function and a BLR, an indirect call.  With
 * CONFIG_ARM64_BTI_KERNEL the kernel's text is guarded and a BLR must
 * land on a landing pad (bti c / bti jc, or paciasp, which is one
 * implicitly); without it (Debian's arm64 6.1 and 6.12) any entry is.
 */
static inline const char *rl_entry_kind(u32 insn)
{
	switch (insn) {
	case RL_INSN_BTI_C:
		return "bti-c";
	case RL_INSN_BTI_JC:
		return "bti-jc";
	case RL_INSN_PACIASP:
		return "paciasp";
	case RL_INSN_NOP:
	case RL_INSN_MOV_X9_LR:
		return "ftrace";
	default:
		return "plain";
	}
}

/* Whether an indirect call may enter a function that starts with @insn. */
static inline bool rl_entry_callable(u32 insn)
{
	return !IS_ENABLED(CONFIG_ARM64_BTI_KERNEL) ||
	       insn == RL_INSN_BTI_C || insn == RL_INSN_BTI_JC ||
	       insn == RL_INSN_PACIASP;
}

/*
 * The inline helpers above (set_pte_at(), __flush_tlb_range()) call two
 * kernel functions that are not exported: arch/arm64_shims.c defines them
 * for the module, forwarding to the kernel's own, resolved at load.
 */
#define RL_HAVE_ARM64_SHIMS	1
/* without MTE, mte_sync_tags() is an empty inline */
#define RL_HAVE_MTE_SYNC_TAGS	IS_ENABLED(CONFIG_ARM64_MTE)

#if RL_MM_6_12
typedef void rl_mte_sync_tags_fn(pte_t pte, unsigned int nr_pages);
#else
typedef void rl_mte_sync_tags_fn(pte_t old_pte, pte_t pte);
#endif
DECLARE_STATIC_CALL(rl_mte_sync_tags, rl_mte_sync_tags_fn);

/*
 * Where user space ends for this boot: 1 << vabits_actual (52 with LPA2 on
 * a 52-bit VA kernel, 48 otherwise); TASK_SIZE_MAX is the build's VA_BITS.
 */
#define RL_USER_VA_END		TASK_SIZE_64

/* How the module calls a resolved function, for `symbols` and the log. */
#define RL_CALL_KIND		"indirect(static_call,generic)"
#define RL_CALL_SAFETY							\
	(IS_ENABLED(CONFIG_ARM64_BTI_KERNEL) ?				\
	 "kernel text is BTI-guarded: each entry was checked for a landing pad" : \
	 "kernel text is not BTI-guarded (CONFIG_ARM64_BTI_KERNEL=n): any entry is a valid target")

#endif /* RL_ARCH_ARM64_H */
