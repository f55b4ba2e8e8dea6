/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What reclaimlab needs that is x86-64's, not a kernel version's: the
 * lockless PMD read, the young bits of a PTE, a batch or a PMD, the next
 * PFN inside a batch, the TLB flush of a range, and what objtool leaves
 * at a function's entry (IBT).  Included by compat.h, which stays about
 * versions; arch/arm64.h is its arm64 twin, with the same names.
 */
#ifndef RL_ARCH_X86_H
#define RL_ARCH_X86_H

#include <linux/bitops.h>
#include <linux/mm_types.h>
#include <linux/pgtable.h>
#include <linux/static_call.h>

/*
 * A lockless snapshot of a PMD.  6.1 has no pmdp_get_lockless(); on x86-64
 * a PMD is one naturally aligned 64-bit word, so READ_ONCE() is what
 * 6.12's pmdp_get_lockless() does there too, on both kernels.
 */
static inline pmd_t rl_pmdp_get_lockless(pmd_t *pmdp)
{
	return READ_ONCE(*pmdp);
}

/* What ptep_test_and_clear_young() does, which is not exported. */
static inline bool rl_ptep_test_and_clear_young(pte_t *ptep)
{
	return pte_young(ptep_get(ptep)) &&
	       test_and_clear_bit(_PAGE_BIT_ACCESSED,
				  (unsigned long *)&ptep->pte);
}

/* x86 has no contiguous PTE blocks: every PTE is a block of its own. */
static inline bool rl_pte_is_cont(pte_t pte)
{
	return false;
}

static inline unsigned int rl_pte_batch_hint(pte_t *ptep, pte_t pte)
{
	return 1;
}

/* @pte without the bits that are only a hint to the TLB: none on x86. */
static inline pte_t rl_pte_hint_bits_clear(pte_t pte)
{
	return pte;
}

/*
 * Clears young on the @nr PTEs of one batch from @pte; how many were
 * young.  One PTE at a time on x86 (arm64 clears a contpte block in one
 * call); @vma and @addr are for the architectures that need them.
 */
static inline unsigned int rl_clear_young_ptes(struct vm_area_struct *vma,
					       unsigned long addr, pte_t *pte,
					       unsigned int nr)
{
	unsigned int i, cleared = 0;

	for (i = 0; i < nr; i++)
		cleared += rl_ptep_test_and_clear_young(pte + i);
	return cleared;
}

/* What clearing young on [start, end) made old: just that, on x86. */
static inline unsigned long rl_young_span_start(unsigned long start)
{
	return start;
}

static inline unsigned long rl_young_span_end(unsigned long end)
{
	return end;
}

/* `young per_pte`: on x86 the same as the batch. */
static inline unsigned int rl_clear_young_each_pte(struct vm_area_struct *vma,
						   unsigned long addr,
						   pte_t *pte, unsigned int nr)
{
	return rl_clear_young_ptes(vma, addr, pte, nr);
}

/* Likewise pmdp_test_and_clear_young(). */
static inline bool rl_pmdp_test_and_clear_young(struct vm_area_struct *vma,
						unsigned long addr,
						pmd_t *pmdp)
{
	return pmd_young(*pmdp) &&
	       test_and_clear_bit(_PAGE_BIT_ACCESSED,
				  (unsigned long *)&pmdp->pmd);
}

/*
 * The PTE that maps the page @nr on with the same bits as @pte: through
 * the PFN, as the kernel's pte_advance_pfn() does.  A PROT_NONE PTE
 * (mprotect, NUMA-balancing hinting) holds its PFN inverted (L1TF), so
 * adding to the raw value would step down, not up.
 */
static inline pte_t rl_pte_advance_pfn(pte_t pte, unsigned int nr)
{
	return pfn_pte(pte_pfn(pte) + nr, pte_pgprot(pte));
}

/*
 * asm/tlbflush.h declares flush_tlb_mm_range() only for the kernel proper,
 * not modules: resolved at load (symbols.c).
 */
#define RL_HAVE_FLUSH_TLB_MM_RANGE	1
typedef void rl_flush_tlb_mm_range_fn(struct mm_struct *mm,
				      unsigned long start, unsigned long end,
				      unsigned int stride_shift,
				      bool freed_tables);
DECLARE_STATIC_CALL(rl_flush_tlb_mm_range, rl_flush_tlb_mm_range_fn);

/*
 * Flushes [start, end) of @mm from every CPU that may cache it, and (6.12+)
 * tells secondary MMUs; @freed_tables: a page table was unhooked too.
 * Stride PAGE_SHIFT: hugetlb VMAs are never walked.
 */
static inline void rl_flush_tlb_range(struct mm_struct *mm,
				      unsigned long start, unsigned long end,
				      bool freed_tables)
{
	static_call(rl_flush_tlb_mm_range)(mm, start, end, PAGE_SHIFT,
					   freed_tables);
}

/*
 * pte_reclaim's runs (walk_pte_reclaim.c): an empty table's flush may
 * wait past its locks for the run's one flush.  A CPU that still walks
 * the unhooked table through its paging-structure caches finds it empty,
 * and the page fault that follows drops those entries (upstream's own
 * PT_RECLAIM, x86-only in 6.14, leaves the same window until
 * tlb_finish_mmu()).
 */
#define RL_ARCH_PT_DEFER_TABLE_FLUSH	1

/*
 * The batched unmap's deferred flush (unmap_batch.c), as x86's
 * arch_tlbbatch_add_pending() and arch_tlbbatch_flush() split it: at
 * the clear nothing goes to other CPUs, only secondary MMUs are told
 * (6.6+); the completion is one range flush, IPIs to the mm's CPUs.
 */
static inline void rl_tlb_unmap_pending(struct mm_struct *mm,
					unsigned long start,
					unsigned long end)
{
	rl_invalidate_secondary_tlbs(mm, start, end);
}

static inline void rl_tlb_unmap_complete(struct mm_struct *mm,
					 unsigned long start,
					 unsigned long end)
{
	rl_flush_tlb_range(mm, start, end, false);
}

/* Little-endian encodings of what objtool leaves at a function's entry. */
#define RL_INSN_ENDBR64		0xfa1e0ff3	/* f3 0f 1e fa */
#define RL_INSN_SEALED_ENDBR	0x001f0f66	/* osp nopl (%rax) */

/*
 * What the first 4 bytes at a resolved function say about IBT: an endbr64
 * (an indirect call may land there), sealed (objtool replaced it: only a
 * direct call is safe, which is how the module calls), or neither.
 */
static inline const char *rl_entry_kind(u32 insn)
{
	if (insn == RL_INSN_ENDBR64)
		return "endbr64";
	if (insn == RL_INSN_SEALED_ENDBR)
		return "sealed";
	return "no-endbr";
}

/*
 * Every resolved function is reached by a direct call (the static call's
 * patched site or trampoline), which IBT does not check: any entry is.
 */
static inline bool rl_entry_callable(u32 insn)
{
	return true;
}

/* Where user space ends for this boot (5-level paging moves it). */
#define RL_USER_VA_END		TASK_SIZE_MAX

/* How the module calls a resolved function, for `symbols` and the log. */
#define RL_CALL_KIND		"direct(static_call)"
#define RL_CALL_SAFETY		"direct calls are not IBT-checked: any entry is a valid target"

#endif /* RL_ARCH_X86_H */
