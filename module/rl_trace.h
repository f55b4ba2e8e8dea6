/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reclaimlab's trace events, under /sys/kernel/tracing/events/reclaimlab/
 * (perf list, bpftrace, trace-cmd).  They cost a static branch while
 * disabled.  Every action and reason is a counter's name from
 * include/reclaimlab_counter_list.h, copied in when the event fires, so
 * a trace line and a counter never disagree on a name; trace.c's helpers
 * count and trace in one call.  CREATE_TRACE_POINTS is defined in trace.c
 * alone.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM reclaimlab

#if !defined(RL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define RL_TRACE_H

#include <linux/string.h>
#include <linux/tracepoint.h>
#include "reclaimlab.h"

#define RL_TRACE_NAME 32	/* longer than any counter's name */
#define RL_TRACE_CHOICE 12	/* longer than any knob choice's */

/*
 * One per trigger: its request, result, time and the main counters of
 * the run (the deltas `last` shows).
 */
TRACE_EVENT(walk_run,
	TP_PROTO(const struct rl_request *req, pid_t pid, u64 cgroup_id,
		 int result, u64 elapsed_ns, const u64 *delta),
	TP_ARGS(req, pid, cgroup_id, result, elapsed_ns, delta),
	TP_STRUCT__entry(
		__array(char, walker, RL_TRACE_CHOICE)
		__field(pid_t, pid)
		__field(u64, cgroup_id)
		__field(bool, whole_mm)
		__field(unsigned long, start)
		__field(unsigned long, end)
		__array(char, split, RL_TRACE_CHOICE)
		__field(unsigned int, batch)
		__array(char, unmap, RL_TRACE_CHOICE)
		__array(char, young, RL_TRACE_CHOICE)
		__field(bool, zero)
		__field(unsigned int, lock_hold_tables)
		__field(int, result)
		__field(u64, elapsed_ns)
		__field(u64, large_whole)
		__field(u64, split_folios)
		__field(u64, isolated)
		__field(u64, reclaimed)
		__field(u64, deactivated)
		__field(u64, unmap_batched)
		__field(u64, tables_freed)
	),
	TP_fast_assign(
		strscpy(__entry->walker, rl_walker_names[req->walker],
			RL_TRACE_CHOICE);
		__entry->pid = pid;
		__entry->cgroup_id = cgroup_id;
		__entry->whole_mm = req->whole_mm;
		__entry->start = req->start;
		__entry->end = req->end;
		strscpy(__entry->split, rl_split_names[req->split],
			RL_TRACE_CHOICE);
		__entry->batch = req->batch;
		strscpy(__entry->unmap, rl_unmap_names[req->unmap],
			RL_TRACE_CHOICE);
		strscpy(__entry->young, rl_young_names[req->young],
			RL_TRACE_CHOICE);
		__entry->zero = req->pte_zero;
		__entry->lock_hold_tables = req->hold_tables;
		__entry->result = result;
		__entry->elapsed_ns = elapsed_ns;
		__entry->large_whole = delta[RL_C_walk_large_whole];
		__entry->split_folios = delta[RL_C_walk_split];
		__entry->isolated = delta[RL_C_walk_isolated];
		__entry->reclaimed = delta[RL_C_walk_reclaimed];
		__entry->deactivated = delta[RL_C_walk_deactivated];
		__entry->unmap_batched = delta[RL_C_unmap_batched];
		__entry->tables_freed = delta[RL_C_pte_reclaim_tables_freed];
	),
	TP_printk("walker=%s pid=%d cgroup_id=%llu whole_mm=%d start=0x%lx end=0x%lx split=%s batch=%u unmap=%s young=%s zero=%d lock_hold_tables=%u result=%d elapsed_ns=%llu large_whole=%llu split_folios=%llu isolated=%llu reclaimed=%llu deactivated=%llu unmap_batched=%llu tables_freed=%llu",
		  __entry->walker, __entry->pid, __entry->cgroup_id,
		  __entry->whole_mm, __entry->start, __entry->end, __entry->split, __entry->batch,
		  __entry->unmap, __entry->young, __entry->zero,
		  __entry->lock_hold_tables, __entry->result, __entry->elapsed_ns,
		  __entry->large_whole, __entry->split_folios,
		  __entry->isolated, __entry->reclaimed, __entry->deactivated,
		  __entry->unmap_batched, __entry->tables_freed)
);

/*
 * What the pageout/cold walker did with one folio: action is the counter
 * it counted (walk_large_whole, walk_split, walk_split_failed,
 * walk_skip_<reason>, unmap_batched, unmap_fallback_<reason>).  Not the
 * VMA skips (walk_skip_vma, walk_skip_mlocked): no folio is looked at.
 */
TRACE_EVENT(walk_folio,
	TP_PROTO(unsigned long addr, unsigned long pfn, unsigned int order,
		 unsigned int nr, enum rl_counter action),
	TP_ARGS(addr, pfn, order, nr, action),
	TP_STRUCT__entry(
		__field(unsigned long, addr)
		__field(unsigned long, pfn)
		__field(unsigned int, order)
		__field(unsigned int, nr)
		__array(char, action, RL_TRACE_NAME)
	),
	TP_fast_assign(
		__entry->addr = addr;
		__entry->pfn = pfn;
		__entry->order = order;
		__entry->nr = nr;
		strscpy(__entry->action, rl_counter_name(action),
			RL_TRACE_NAME);
	),
	TP_printk("addr=0x%lx pfn=0x%lx order=%u ptes=%u action=%s",
		  __entry->addr, __entry->pfn, __entry->order, __entry->nr,
		  __entry->action)
);

/*
 * One PTE table pte_reclaim looked at: freed
 * (pte_reclaim_tables_freed), or kept and why (pte_reclaim_skip_<why>).
 */
TRACE_EVENT(pt_table,
	TP_PROTO(unsigned long addr, enum rl_counter outcome),
	TP_ARGS(addr, outcome),
	TP_STRUCT__entry(
		__field(unsigned long, addr)
		__field(bool, freed)
		__array(char, outcome, RL_TRACE_NAME)
	),
	TP_fast_assign(
		__entry->addr = addr;
		__entry->freed = outcome == RL_C_pte_reclaim_tables_freed;
		strscpy(__entry->outcome, rl_counter_name(outcome),
			RL_TRACE_NAME);
	),
	TP_printk("addr=0x%lx %s outcome=%s", __entry->addr,
		  __entry->freed ? "freed" : "kept", __entry->outcome)
);

/*
 * The stock try_to_unmap_one() returned success on a large folio that
 * still has @mapped PTEs in the VMA (ttu_large_left_mapped).
 */
TRACE_EVENT(ttu_left_mapped,
	TP_PROTO(const struct mm_struct *mm, unsigned long addr,
		 unsigned int order, unsigned long mapped),
	TP_ARGS(mm, addr, order, mapped),
	TP_STRUCT__entry(
		__field(const void *, mm)
		__field(unsigned long, addr)
		__field(unsigned int, order)
		__field(unsigned long, mapped)
	),
	TP_fast_assign(
		__entry->mm = mm;
		__entry->addr = addr;
		__entry->order = order;
		__entry->mapped = mapped;
	),
	TP_printk("mm=%p addr=0x%lx order=%u mapped=%lu", __entry->mm,
		  __entry->addr, __entry->order, __entry->mapped)
);

/* One call of the stock madvise_cold_or_pageout_pte_range(): one PMD. */
TRACE_EVENT(madvise_pmd,
	TP_PROTO(bool pageout, u64 ns),
	TP_ARGS(pageout, ns),
	TP_STRUCT__entry(
		__field(bool, pageout)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->pageout = pageout;
		__entry->ns = ns;
	),
	TP_printk("%s ns=%llu", __entry->pageout ? "pageout" : "cold",
		  __entry->ns)
);

#endif /* RL_TRACE_H */

/* Outside the guard: read again by define_trace.h (trace.c). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE rl_trace
#include <trace/define_trace.h>
