// SPDX-License-Identifier: GPL-2.0
/*
 * The walker's pageout of large folios (issue 3), judged by its counter
 * deltas in `last`, by /proc/vmstat and the per-size mTHP stats, by
 * VmSwap, and page by page by /proc/PID/pagemap and /proc/kpageflags:
 *
 * - pageout of large folios of every size the kernel offers (6.12: each
 *   mTHP size in turn, and PTE-mapped PMD THP; 6.1: PMD THP, PMD-mapped
 *   and PTE-mapped) and of small pages: every page goes to swap, fully
 *   mapped exclusive folios go whole (no split), and with batch 1 or split
 *   always they are split and counted;
 * - batch: a batch never exceeds `batch` PTEs; exactly a folio's PTEs
 *   take it whole, one less cannot.
 * Everything paged out is read back and compared with what was written.
 *
 * ./t_walker_pageout [WORD]: only the groups whose name contains WORD
 * (pageout, batch).
 */
#include "walker_lib.h"

/*
 * Before 6.10, shrink_folio_list() splits a large folio that has no PMD
 * mapping before it swaps it out (!folio_entire_mapcount() ->
 * split_folio_to_list()).  A PTE-mapped THP that the walker hands whole
 * to reclaim is therefore split by the kernel itself on 6.1: only the
 * walker's own counters can say it was handled whole there.  mTHP (6.8)
 * is the marker the matrix offers: 6.1 has neither, 6.12 both.
 */
static int reclaim_splits_pte_mapped(void)
{
	return !have_mthp();
}

/* The kernel counts splits of kb KiB folios (thp_split_page: PMD only). */
static int kernel_counts_splits(int kb)
{
	return kb == 2048 || mthp_stat(64, "split") >= 0;
}

/* ------------------------------------------------------------------ */
/* pageout of every folio size: whole, batch 1, split always           */

/*
 * pageout of REGION of folios of kb KiB (4: small pages) with split and
 * batch.  A folio goes whole when it is PMD-mapped (handled at the PMD,
 * batch does not apply) or its PTEs fit one batch, unless split always;
 * otherwise it is split and its pages go one by one.
 */
static void pageout_case(int kb, int pte_mapped, int split, int batch)
{
	const long pages = REGION / PAGE_SZ;
	const int large = kb > 4, pmd = large && kb == 2048 && !pte_mapped;
	uint64_t seed = 0x9a6e0000 + kb * 16 + pte_mapped * 4 + split;
	char name[128];
	struct span before, after;
	struct ksnap k;
	struct run r;
	long folios, whole, splits;
	long long pmd_kb;
	char *p;

	snprintf(name, sizeof(name), "walker pageout %s%s batch %d split %s",
		 size_name(kb), pte_mapped ? " PTE-mapped" : "", batch,
		 split_name[split]);
	p = populate(REGION, kb, pte_mapped, seed);
	scan(0, p, REGION, &before);
	pmd_kb = pmd_mapped_kb();
	folios = before.large + before.small;
	if (large)
		tap(before.large == (long)(REGION / 1024 / kb) &&
		    before.small == 0 &&
		    pmd_kb == (pmd ? (long long)(REGION / 1024) : 0),
		    "%s: setup: %ld folios of %d kB (%ld small pages), %lld kB PMD-mapped",
		    name, before.large, kb, before.small, pmd_kb);

	ksnap(&k);
	walk(0, p, REGION, "pageout", split, batch, &r);
	ksnap_delta(&k);
	scan(0, p, REGION, &after);
	check_run(name, &r, batch);

	whole = large && split != ALWAYS && (pmd || batch >= kb / 4) ?
		before.large : 0;
	splits = large && !whole ? before.large : 0;
	tap(W(&r, reclaimed) == pages && k.swap_kb == (long long)(REGION / 1024) &&
	    after.swapped == pages && after.present == 0,
	    "%s: every page went to swap (walk_reclaimed %lld, VmSwap +%lld kB, pagemap %ld of %ld swapped)",
	    name, W(&r, reclaimed), k.swap_kb, after.swapped, pages);
	tap(W(&r, large_whole) == whole &&
	    W(&r, pmd_whole) == (pmd ? whole : 0) &&
	    W(&r, split) == splits && W(&r, split_failed) == 0,
	    "%s: %ld folios whole (%lld, %lld at the PMD), %ld split (%lld, %lld failed)",
	    name, whole, W(&r, large_whole), W(&r, pmd_whole), splits,
	    W(&r, split), W(&r, split_failed));
	tap(W(&r, isolated) == folios - splits + splits * (kb / 4),
	    "%s: isolated %lld folios (want %ld)", name, W(&r, isolated),
	    folios - splits + splits * (kb / 4));
	if (whole && !pmd)
		tap(W(&r, batches) == whole && W(&r, batch_ptes) == pages,
		    "%s: one batch per folio (%lld batches, %lld PTEs)", name,
		    W(&r, batches), W(&r, batch_ptes));
	if (whole && pte_mapped && reclaim_splits_pte_mapped()) {
		diag("%s: this kernel's shrink_folio_list() splits a PTE-mapped THP before swap-out: kernel splits +%lld, thp_swpout +%lld",
		     name, k.splits, k.swpout);
		tap(W(&r, split) == 0 && W(&r, large_whole) == whole,
		    "%s: the walker handed all %ld folios to reclaim whole (the split is the kernel's: thp_split_page +%lld)",
		    name, whole, k.splits);
	} else if (large && !kernel_counts_splits(kb)) {
		diag("%s: this kernel has no per-size mTHP split counter", name);
		tap(k.swpout == whole,
		    "%s: kernel: %lld large folios swapped out whole (want %ld)",
		    name, k.swpout, whole);
	} else if (large) {
		tap(k.swpout == whole && k.splits == splits,
		    "%s: kernel: %lld large folios swapped out whole (want %ld), %lld split (want %ld)",
		    name, k.swpout, whole, k.splits, splits);
	}
	expect_identical(name, p, REGION, seed);
	munmap(p, REGION);
}

/*
 * batch exactly the folio's PTEs takes it whole; one PTE less cannot
 * (the run does not cover the folio), so split partial splits it.
 */
static void batch_edge_case(int kb, int pte_mapped)
{
	int n = kb / 4;

	pageout_case(kb, pte_mapped, PARTIAL, n);
	pageout_case(kb, pte_mapped, PARTIAL, n - 1);
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	struct walker_env e;
	int i;

	walker_start(argc, argv, &e);
	if (want("pageout")) {
		for (i = 0; i < e.nr; i++)
			pageout_case(e.sizes[i][0], e.sizes[i][1], PARTIAL, 512);
		pageout_case(4, 0, PARTIAL, 512);
	}
	if (want("batch")) {
		for (i = 0; i < e.nr; i++) {
			pageout_case(e.sizes[i][0], e.sizes[i][1], PARTIAL, 1);
			pageout_case(e.sizes[i][0], e.sizes[i][1], ALWAYS, 1);
		}
		pageout_case(4, 0, PARTIAL, 1);
		pageout_case(e.cut_kb, e.cut_pte, ALWAYS, 512);
		batch_edge_case(e.cut_kb, e.cut_pte);
	}

	return walker_end("t_walker_pageout", &e, rl_failures);
}
