/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel functions reclaimlab needs but the kernel does not export.  Each
 * is resolved once at load (symbols.c) and called through a static call of
 * the module's own: the call site and the trampoline are direct branches,
 * so the call is safe on IBT hardware even where objtool sealed the target
 * (its endbr64 replaced by a NOP because nothing in the kernel takes its
 * address).  An indirect call there would raise #CP.
 *
 * The ones whose name or type differs between kernels are in compat.h.
 */
#ifndef RL_SYMBOLS_H
#define RL_SYMBOLS_H

#include <linux/kallsyms.h>
#include <linux/static_call.h>
#include <linux/sched.h>
#include <linux/sched/cputime.h>
#include "compat.h"

/* Typed after the kernel's own declaration, which kallsyms.h still has. */
DECLARE_STATIC_CALL(rl_kallsyms_lookup_name, kallsyms_lookup_name);
/* `symbols` prints addresses to whom /proc/kallsyms would. */
DECLARE_STATIC_CALL(rl_kallsyms_show_value, kallsyms_show_value);

DECLARE_STATIC_CALL(rl_vm_normal_folio, vm_normal_folio);

/* Declared only in mm/internal.h on 6.12: the same type on both kernels. */
typedef unsigned long rl_reclaim_pages_fn(struct list_head *folio_list);
DECLARE_STATIC_CALL(rl_reclaim_pages, rl_reclaim_pages_fn);

DECLARE_STATIC_CALL(rl_lru_add_drain_all, lru_add_drain_all);

/*
 * Reclaim defers TLB flushes of what it unmapped only where the kernel is
 * built with batched unmap flushing (x86; arm64 from 6.5): elsewhere it
 * flushes before it returns, and flush_tlb_batched_pending() is an empty
 * inline with no symbol.
 */
#define RL_HAVE_BATCHED_UNMAP_FLUSH \
	IS_ENABLED(CONFIG_ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH)

typedef void rl_flush_tlb_batched_pending_fn(struct mm_struct *mm);
DECLARE_STATIC_CALL(rl_flush_tlb_batched_pending,
		    rl_flush_tlb_batched_pending_fn);

/* Flushes what reclaim left pending in @mm's TLBs (see above). */
static inline void rl_flush_tlb_batched_pending(struct mm_struct *mm)
{
	if (RL_HAVE_BATCHED_UNMAP_FLUSH)
		static_call(rl_flush_tlb_batched_pending)(mm);
}

/*
 * The calling thread's CPU time to the ns: se.sum_exec_runtime plus what
 * it has run since the scheduler last banked it.  The field alone moves
 * at ticks, and a vCPU the host starves takes its ticks late: on 6.12
 * arm64 under a loaded host the background mode's charge for one walk
 * then came in two parts, and its spending went 12 ms past the budget
 * plus the largest charge.
 */
DECLARE_STATIC_CALL(rl_task_sched_runtime, task_sched_runtime);

static inline u64 rl_thread_cpu_ns(void)
{
	return static_call(rl_task_sched_runtime)(current);
}

#endif /* RL_SYMBOLS_H */
