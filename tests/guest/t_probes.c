// SPDX-License-Identifier: GPL-2.0
/*
 * The kretprobe counters agree with what the stock kernel did.  For
 * large-folio memory of each size the kernel offers (6.12: every mTHP size
 * in turn; 6.1: PMD THP, PMD-mapped and PTE-mapped), MADV_PAGEOUT:
 * - calls madvise_cold_or_pageout_pte_range() once per PMD, as pageout;
 * - calls try_to_unmap_one() on large folios at least as often as large
 *   folios went to swap whole (thp_swpout, per-size stats/swpout);
 * - shows the allocated folio order in the histogram;
 * - leaves no large folio partly mapped (nothing races here);
 * and the memory reads back byte-identical.  MADV_COLD counts as cold and
 * writes nothing to swap.
 */
#include "rltest.h"
#include "thp.h"

#define REGION (8UL << 20)		/* 4 PMDs */


/* Large folios of kb KiB allocated so far. */
static long long folios_allocated(int kb)
{
	return have_mthp() ? mthp_stat(kb, "anon_fault_alloc") :
			     vmstat("thp_fault_alloc");
}

static int order_of(int kb)
{
	int order = 0;

	while ((4 << order) < kb)
		order++;
	return order;
}

/*
 * Stock MADV_PAGEOUT of REGION filled with folios of kb KiB (4: small
 * pages).  pte_mapped: make PMD THPs PTE-mapped first, by write-protecting
 * one page of each and unprotecting it (the VMA merges back, the PMDs stay
 * split).
 */
static void pageout_case(int kb, int pte_mapped)
{
	const char *how = pte_mapped ? " PTE-mapped" : "";
	struct rl_counters c;
	long long folios, swpout, swap_kb, splits, nr_pmds = REGION / PMD_SZ;
	uint64_t seed = 0x5eed0000 + kb + pte_mapped;
	char *p;
	int order = order_of(kb);
	size_t bad, off;

	enable_only(kb > 4 ? kb : 0);
	p = map_aligned(REGION);
	madvise(p, REGION, MADV_HUGEPAGE);
	folios = folios_allocated(kb);
	fill(p, REGION, seed);
	folios = folios_allocated(kb) - folios;
	for (off = 0; pte_mapped && off < REGION; off += PMD_SZ) {
		mprotect(p + off, PAGE_SZ, PROT_READ);
		mprotect(p + off, PAGE_SZ, PROT_READ | PROT_WRITE);
	}
	if (kb > 4)
		diag("%d kB%s: %lld folios of order %d allocated", kb, how,
		     folios, order);

	knob_write("stats", "0");
	swpout = large_swpout();
	swap_kb = self_swap_kb();
	splits = vmstat("thp_split_page");
	if (madvise(p, REGION, MADV_PAGEOUT))
		die("MADV_PAGEOUT");
	splits = vmstat("thp_split_page") - splits;
	swpout = large_swpout() - swpout;
	swap_kb = self_swap_kb() - swap_kb;
	counters_read("stats", &c);
	diag("%d kB%s: madv_calls %lld ttu_calls %lld ttu_large_calls %lld ttu_order_%d %lld large swpout %lld swapped %lld kB",
	     kb, how, c.v[RL_C_madv_calls], c.v[RL_C_ttu_calls],
	     c.v[RL_C_ttu_large_calls], order, c.v[RL_C_ttu_order_0 + order],
	     swpout, swap_kb);

	tap(c.v[RL_C_madv_calls] == nr_pmds &&
	    c.v[RL_C_madv_pageout_calls] == nr_pmds &&
	    c.v[RL_C_madv_cold_calls] == 0,
	    "probes %d kB%s: MADV_PAGEOUT counted once per PMD as pageout (%lld of %lld)",
	    kb, how, c.v[RL_C_madv_pageout_calls], nr_pmds);
	tap(c.v[RL_C_madv_ns] > 0, "probes %d kB%s: time inside counted",
	    kb, how);
	/* MADV_PAGEOUT hands its folios to reclaim_pages() once per PMD */
	tap(c.v[RL_C_reclaim_calls] >= 1 &&
	    c.v[RL_C_reclaim_calls] <= nr_pmds &&
	    c.v[RL_C_reclaim_ns] > c.v[RL_C_ttu_ns] && c.v[RL_C_ttu_ns] > 0 &&
	    c.v[RL_C_madv_ns] > c.v[RL_C_reclaim_ns],
	    "probes %d kB%s: reclaim_pages %lld calls, %lld ns, inside madvise's %lld ns; try_to_unmap_one %lld ns inside that",
	    kb, how, c.v[RL_C_reclaim_calls], c.v[RL_C_reclaim_ns],
	    c.v[RL_C_madv_ns], c.v[RL_C_ttu_ns]);
	tap(swap_kb >= (long long)(REGION / 1024) * 9 / 10,
	    "probes %d kB%s: stock pageout swapped %lld of %lu kB", kb, how,
	    swap_kb, REGION / 1024);
	tap(c.v[RL_C_ttu_large_calls] >= swpout,
	    "probes %d kB%s: try_to_unmap_one on large folios (%lld) >= large folios swapped whole (%lld)",
	    kb, how, c.v[RL_C_ttu_large_calls], swpout);
	if (kb > 4 && pte_mapped && !have_mthp())
		/* before 6.9, MADV_PAGEOUT splits every PTE-mapped folio */
		tap(folios > 0 && splits >= folios &&
		    c.v[RL_C_ttu_large_calls] == 0,
		    "probes %d kB%s: pre-6.9 kernel split all %lld folios (%lld splits), unmapped them as small pages",
		    kb, how, folios, splits);
#if defined(__aarch64__)
	else if (kb > 4 && pte_mapped)
		/*
		 * contpte (6.9+): after the mprotect trick the folio's first
		 * 16-PTE block is unfolded and the others are contiguous, and
		 * the stock batch (folio_pte_batch()) compares PTE_CONT: it
		 * ends at 16 PTEs and MADV_PAGEOUT splits every folio
		 */
		tap(folios > 0 && splits >= folios &&
		    c.v[RL_C_ttu_large_calls] == 0,
		    "probes %d kB%s: arm64 contpte: the stock batch ends at the first contiguous block, all %lld folios split (%lld splits)",
		    kb, how, folios, splits);
#endif
	else if (kb > 4)
		tap(folios > 0 && c.v[RL_C_ttu_order_0 + order] > 0,
		    "probes %d kB%s: histogram shows order %d (%lld calls, %lld folios allocated)",
		    kb, how, order, c.v[RL_C_ttu_order_0 + order], folios);
	else
		tap(c.v[RL_C_ttu_large_calls] == 0 &&
		    c.v[RL_C_ttu_order_0] >= (long long)(REGION / PAGE_SZ) * 9 / 10,
		    "probes small pages: order-0 calls only (%lld)",
		    c.v[RL_C_ttu_order_0]);
	tap(c.v[RL_C_ttu_large_left_mapped] == 0,
	    "probes %d kB%s: no large folio left partly mapped (%lld)", kb,
	    how, c.v[RL_C_ttu_large_left_mapped]);
	tap(c.v[RL_C_probe_missed] == 0, "probes %d kB%s: no probe hit missed",
	    kb, how);

	bad = verify(p, REGION, seed);
	tap(bad == 0, "probes %d kB%s: memory reads back identical (%zu bad pages)",
	    kb, how, bad);
	munmap(p, REGION);
}

static void cold_case(void)
{
	long long nr_pmds = REGION / PMD_SZ, swap_kb, pswpout;
	struct rl_counters c;
	char *p;

	enable_only(have_mthp() ? 64 : 2048);
	p = map_aligned(REGION);
	madvise(p, REGION, MADV_HUGEPAGE);
	fill(p, REGION, 42);
	knob_write("stats", "0");
	swap_kb = self_swap_kb();
	pswpout = vmstat("pswpout");
	if (madvise(p, REGION, MADV_COLD))
		die("MADV_COLD");
	counters_read("stats", &c);
	tap(c.v[RL_C_madv_calls] == nr_pmds &&
	    c.v[RL_C_madv_cold_calls] == nr_pmds &&
	    c.v[RL_C_madv_pageout_calls] == 0,
	    "probes: MADV_COLD counted once per PMD as cold (%lld of %lld)",
	    c.v[RL_C_madv_cold_calls], nr_pmds);
	tap(self_swap_kb() == swap_kb && vmstat("pswpout") == pswpout,
	    "probes: MADV_COLD wrote nothing to swap");
	tap(verify(p, REGION, 42) == 0, "probes: cold memory reads back identical");
	munmap(p, REGION);
}

int main(void)
{
	int i;

	knob_write("probes", "on");
	if (have_mthp()) {
		diag("mTHP kernel: every size in turn");
		for (i = 0; i < NR_MTHP; i++)
			pageout_case(mthp_kb[i], 0);
		pageout_case(2048, 1);
	} else {
		diag("no mTHP: PMD THP, PMD-mapped and PTE-mapped");
		pageout_case(2048, 0);
		pageout_case(2048, 1);
	}
	pageout_case(4, 0);
	cold_case();
	enable_only(0);
	return rl_failures ? 1 : 0;
}
