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
/* either probe */
RL_COUNTER(probe_missed)		/* kretprobe hits lost: no free instance */
/* triggers of the module's own walkers */
RL_COUNTER(triggers)			/* trigger writes that ran a walker */
RL_COUNTER(trigger_errors)		/* walker runs that ended in an error */
