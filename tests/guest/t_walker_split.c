// SPDX-License-Identifier: GPL-2.0
/*
 * The walker and folios it cannot take whole (issue 3): a batch never
 * crosses the range, a VMA or a PTE table; folios cut by any of them are
 * skipped (split never) or split (partial), and nothing outside the range
 * is paged out.  A split that fails (a pinned folio) leaves that folio
 * alone and the walk goes on.  Everything paged out is read back and
 * compared with what was written.
 *
 * ./t_walker_split [WORD]: only the groups whose name contains WORD (cut).
 */
#include "walker_lib.h"
#include <sys/uio.h>

/* ------------------------------------------------------------------ */
/* Folios cut by the range, by a VMA boundary, by a PTE table          */

/*
 * Checks the pages of [p + lo, p + hi) all present (want_swapped 0) or
 * all swapped (1).
 */
static void check_pages(const char *name, const char *what, const char *p,
			size_t lo, size_t hi, int want_swapped)
{
	struct span s;

	scan(0, p + lo, hi - lo, &s);
	tap(want_swapped ? (s.swapped == s.pages && s.present == 0) :
			   (s.present == s.pages && s.swapped == 0),
	    "%s: %s: %ld pages %s (%ld present, %ld swapped)", name, what,
	    s.pages, want_swapped ? "paged out" : "left mapped", s.present,
	    s.swapped);
}

/*
 * The range [p + F/2, p + REGION - F/2) cuts the first and the last
 * folio in half.
 */
static void cut_range_case(int kb, int pte_mapped, int split)
{
	const size_t F = (size_t)kb << 10, h = F / 2;
	const int pmd = kb == 2048 && !pte_mapped;
	uint64_t seed = 0xc0700000 + kb * 16 + pte_mapped * 4 + split;
	char name[128];
	struct span before;
	struct ksnap k;
	struct run r;
	long folios, inner, want_split;
	char *p;

	snprintf(name, sizeof(name), "walker cut range %s%s split %s",
		 size_name(kb), pte_mapped ? " PTE-mapped" : "",
		 split_name[split]);
	p = populate(REGION, kb, pte_mapped, seed);
	scan(0, p, REGION, &before);
	folios = before.large;
	inner = folios - 2;
	ksnap(&k);
	walk(0, p + h, REGION - F, "pageout", split, 512, &r);
	ksnap_delta(&k);
	check_run(name, &r, 512);
	diag("%s: %ld folios, 2 cut; kernel splits +%lld", name, folios,
	     k.splits);

	want_split = split == NEVER ? 0 : split == PARTIAL ? 2 : folios;
	tap(W(&r, split) == want_split && W(&r, split_failed) == 0 &&
	    W(&r, skip_partial) == (split == NEVER ? 2 : 0),
	    "%s: %ld folios split (%lld), %d cut folios left alone (%lld)",
	    name, want_split, W(&r, split), split == NEVER ? 2 : 0,
	    W(&r, skip_partial));
	tap(W(&r, large_whole) == (split == ALWAYS ? 0 : inner) &&
	    W(&r, pmd_whole) == (split == ALWAYS || !pmd ? 0 : inner),
	    "%s: the %ld folios inside the range went whole (%lld, %lld at the PMD)",
	    name, split == ALWAYS ? 0 : inner, W(&r, large_whole),
	    W(&r, pmd_whole));
	check_pages(name, "before the range", p, 0, h, 0);
	check_pages(name, "after the range", p, REGION - h, REGION, 0);
	check_pages(name, "whole folios inside", p, F, REGION - F, 1);
	check_pages(name, "the cut folios' halves inside", p, h, F,
		    split != NEVER);
	check_pages(name, "the cut folios' halves inside (end)", p,
		    REGION - F, REGION - h, split != NEVER);
	expect_identical(name, p, REGION, seed);
	munmap(p, REGION);
}

/*
 * mprotect(PROT_READ) of [p + F/2, p + F/2 + F) makes three VMAs whose
 * boundaries cut folios 0 and 1; the range is the whole region.  A batch
 * stops at a VMA's end, so neither folio is ever seen whole.
 */
static void cut_vma_case(int kb, int split)
{
	const size_t F = (size_t)kb << 10, h = F / 2;
	uint64_t seed = 0xc0710000 + kb * 16 + split;
	char name[128];
	struct span before;
	struct run r;
	long folios;
	char *p;

	snprintf(name, sizeof(name), "walker cut by VMAs %s split %s",
		 size_name(kb), split_name[split]);
	p = populate(REGION, kb, 0, seed);
	scan(0, p, REGION, &before);
	folios = before.large;
	if (mprotect(p + h, F, PROT_READ))
		die("mprotect");
	walk(0, p, REGION, "pageout", split, 512, &r);
	check_run(name, &r, 512);
	if (split == NEVER)
		/* each cut folio shows up once per VMA it lies in */
		tap(W(&r, split) == 0 && W(&r, skip_partial) >= 2 &&
		    W(&r, skip_partial) <= 4,
		    "%s: the 2 folios across VMA boundaries left alone (skip_partial %lld, split %lld)",
		    name, W(&r, skip_partial), W(&r, split));
	else
		tap(W(&r, split) == 2 && W(&r, skip_partial) == 0,
		    "%s: the 2 folios across VMA boundaries split (%lld), none skipped (%lld)",
		    name, W(&r, split), W(&r, skip_partial));
	tap(W(&r, large_whole) == folios - 2,
	    "%s: the other %ld folios went whole (%lld)", name, folios - 2,
	    W(&r, large_whole));
	check_pages(name, "the cut folios", p, 0, 2 * F, split != NEVER);
	check_pages(name, "the rest", p, 2 * F, REGION, 1);
	expect_identical(name, p, REGION, seed);
	munmap(p, REGION);
}

/*
 * Two PMD THPs mremap()ed 1 MiB off alignment: each is still one whole,
 * exclusive folio, but its PTEs lie in two PTE tables, and a batch never
 * crosses a table's end.
 */
static void cross_pmd_case(int split)
{
	const size_t len = 2 * PMD_SZ;
	uint64_t seed = 0xc0720000 + split;
	char name[96], *src, *area, *dst;
	struct span before;
	struct run r;

	snprintf(name, sizeof(name), "walker THP across PTE tables split %s",
		 split_name[split]);
	src = populate(len, 2048, 0, seed);
	area = map_aligned(len + PMD_SZ);
	dst = area + PMD_SZ / 2;
	dst = mremap(src, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	if (dst == MAP_FAILED)
		die("mremap");
	madvise(dst, len, MADV_NOHUGEPAGE);	/* no khugepaged collapse */
	scan(0, dst, len, &before);
	tap(before.large == 2 && before.small == 0 && pmd_mapped_kb() == 0,
	    "%s: setup: %ld THPs (%ld small pages), each across two PTE tables",
	    name, before.large, before.small);
	walk(0, dst, len, "pageout", split, 512, &r);
	check_run(name, &r, 512);
	if (split == NEVER)
		tap(W(&r, large_whole) == 0 && W(&r, split) == 0 &&
		    W(&r, skip_partial) >= 2 && W(&r, skip_partial) <= 4,
		    "%s: no folio taken whole, both left alone (skip_partial %lld)",
		    name, W(&r, skip_partial));
	else
		tap(W(&r, large_whole) == 0 && W(&r, split) == 2,
		    "%s: no folio taken whole, both split (%lld)", name,
		    W(&r, split));
	check_pages(name, "the region", dst, 0, len, split != NEVER);
	expect_identical(name, dst, len, seed);
	munmap(dst, len);
	munmap(area, len + PMD_SZ);
}

/*
 * The first folio is cut by the range and pinned (vmsplice holds a
 * reference), so its split fails; the walk must go on with the rest.
 */
static void split_failed_case(int kb, int pte_mapped)
{
	const size_t F = (size_t)kb << 10, h = F / 2;
	uint64_t seed = 0x5f1d0000 + kb;
	char name[96];
	struct span before;
	struct iovec iov;
	struct ksnap k;
	struct run r;
	int pfd[2];
	char *p;

	snprintf(name, sizeof(name), "walker failed split %s%s", size_name(kb),
		 pte_mapped ? " PTE-mapped" : "");
	p = populate(REGION, kb, pte_mapped, seed);
	scan(0, p, REGION, &before);
	if (pipe(pfd))
		die("pipe");
	iov.iov_base = p + h;
	iov.iov_len = PAGE_SZ;
	if (vmsplice(pfd[1], &iov, 1, 0) != (ssize_t)PAGE_SZ)
		die("vmsplice");
	ksnap(&k);
	walk(0, p + h, REGION - h, "pageout", PARTIAL, 512, &r);
	ksnap_delta(&k);
	check_run(name, &r, 512);
	diag("%s: kernel split_failed +%lld", name, k.split_failed);
	tap(W(&r, split_failed) == 1 && W(&r, split) == 0,
	    "%s: the pinned cut folio's split failed and was counted (%lld failed, %lld split)",
	    name, W(&r, split_failed), W(&r, split));
	tap(W(&r, large_whole) == before.large - 1,
	    "%s: the walk went on: the other %ld folios went whole (%lld)",
	    name, before.large - 1, W(&r, large_whole));
	check_pages(name, "the pinned folio", p, 0, F, 0);
	check_pages(name, "the rest", p, F, REGION, 1);
	close(pfd[0]);
	close(pfd[1]);
	expect_identical(name, p, REGION, seed);
	munmap(p, REGION);
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	struct walker_env e;
	int i;

	walker_start(argc, argv, &e);
	if (want("cut")) {
		for (i = NEVER; i <= ALWAYS; i++) {
			cut_range_case(e.cut_kb, e.cut_pte, i);
			cut_range_case(2048, 0, i);
		}
		cut_vma_case(have_mthp() ? 64 : 2048, NEVER);
		cut_vma_case(have_mthp() ? 64 : 2048, PARTIAL);
		cross_pmd_case(NEVER);
		cross_pmd_case(PARTIAL);
		split_failed_case(e.cut_kb, e.cut_pte);
	}

	return walker_end("t_walker_split", &e, rl_failures);
}
