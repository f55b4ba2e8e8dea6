// SPDX-License-Identifier: GPL-2.0
/*
 * The trace events' one instantiation (rl_trace.h), and the helpers the
 * walkers call where a folio or a table gets its outcome: each counts
 * the outcome's counter and traces it, so the trace and the counters
 * agree line for line.
 */
#include <linux/mm.h>
#define CREATE_TRACE_POINTS
#include "rl_trace.h"

/* @folio (held by the caller), at @addr, @nr of its PTEs in the run. */
void rl_folio_event(enum rl_counter outcome, unsigned long addr,
		    struct folio *folio, unsigned int nr)
{
	rl_count(outcome, 1);
	trace_walk_folio(addr, folio_pfn(folio), folio_order(folio), nr,
			 outcome);
}

/* The same, for a folio no longer held: its pfn and order from before. */
void rl_folio_event_at(enum rl_counter outcome, unsigned long addr,
		       unsigned long pfn, unsigned int order, unsigned int nr)
{
	rl_count(outcome, 1);
	trace_walk_folio(addr, pfn, order, nr, outcome);
}

/* The PTE table covering @haddr: freed or kept, by @outcome. */
void rl_table_event(enum rl_counter outcome, unsigned long haddr)
{
	rl_count(outcome, 1);
	trace_pt_table(haddr, outcome);
}
