// SPDX-License-Identifier: GPL-2.0
/*
 * The main job's workloads, one per step; run-all.sh's demo() runs each
 * under `reclaimctl diff` so its counters show side by side:
 *   demo stock    32 MiB of large folios (64 KiB mTHP where the kernel
 *                 has mTHP, PMD THP otherwise) paged out with the stock
 *                 MADV_PAGEOUT (the probes watch);
 *   demo module   the same memory paged out by reclaimlab's walker;
 *   demo sparse   16 GiB of address space, one page per 2 MiB touched and
 *                 MADV_DONTNEED'd, then the empty tables freed by the
 *                 pte_reclaim walker;
 *   demo ptethp stock|batched
 *                 32 MiB of PTE-mapped 2 MiB THP (the step make demo runs
 *                 on 6.1) paged out with the stock MADV_PAGEOUT, or by the
 *                 walker with unmap batched.
 * Every step reads its memory back and prints an ok / not ok line.
 */
#include "rltest.h"
#include "thp.h"

#define DEMO_REGION (32UL << 20)
#define SPARSE_LEN (16UL << 30)

/* Runs the module's walker on [p, p + len) of this process. */
static int walk_self(const char *walker, const void *p, size_t len)
{
	char buf[64];
	int err;

	snprintf(buf, sizeof(buf), "%d", getpid());
	err = knob_write("pid", buf);
	snprintf(buf, sizeof(buf), "%p %p", p, (const char *)p + len);
	err = err ?: knob_write("range", buf);
	err = err ?: knob_write("walker", walker);
	err = err ?: knob_write("trigger", "1");
	if (err)
		diag("walker %s: %s", walker, strerror(err));
	return err;
}

static int large_folios(int module)
{
	int mthp = have_mthp();
	char *p;
	int err = 0;

	enable_only(mthp ? 64 : 2048);
	p = map_aligned(DEMO_REGION);
	madvise(p, DEMO_REGION, MADV_HUGEPAGE);
	fill(p, DEMO_REGION, 7);
	diag("%s pageout of %lu MiB of %s folios", module ?
	     "reclaimlab's walker (walker pageout):" : "stock MADV_PAGEOUT:",
	     DEMO_REGION >> 20, mthp ? "64 KiB mTHP" : "2 MiB THP");
	if (module)
		err = walk_self("pageout", p, DEMO_REGION);
	else if (madvise(p, DEMO_REGION, MADV_PAGEOUT))
		err = errno;
	diag("VmSwap of the workload: %lld kB", self_swap_kb());
	expect_identical(module ? "module pageout" : "stock pageout", p,
			 DEMO_REGION, 7);
	return err;
}

/*
 * PMD THPs made PTE-mapped (an mprotect of one page and back splits the
 * PMD, not the folio), paged out by the stock path or the walker with the
 * batched unmap.
 */
static int pte_mapped_thp(int batched)
{
	size_t off;
	char *p;
	int err = 0;

	enable_only(2048);
	p = map_aligned(DEMO_REGION);
	madvise(p, DEMO_REGION, MADV_HUGEPAGE);
	fill(p, DEMO_REGION, 11);
	for (off = 0; off < DEMO_REGION; off += PMD_SZ) {
		mprotect(p + off, PAGE_SZ, PROT_READ);
		mprotect(p + off, PAGE_SZ, PROT_READ | PROT_WRITE);
	}
	madvise(p, DEMO_REGION, MADV_NOHUGEPAGE);	/* no khugepaged */
	diag("%s pageout of %lu MiB of PTE-mapped 2 MiB THP", batched ?
	     "reclaimlab's walker with unmap batched:" : "stock MADV_PAGEOUT:",
	     DEMO_REGION >> 20);
	if (batched) {
		err = knob_write("unmap", "batched");
		err = err ?: walk_self("pageout", p, DEMO_REGION);
		knob_write("unmap", "kernel");
	} else if (madvise(p, DEMO_REGION, MADV_PAGEOUT)) {
		err = errno;
	}
	diag("VmSwap of the workload: %lld kB", self_swap_kb());
	expect_identical(batched ? "walker pageout, unmap batched" :
				   "stock pageout", p, DEMO_REGION, 11);
	return err;
}

static int sparse(void)
{
	char *p = map_sparse(SPARSE_LEN);
	long long touched, zapped, freed;
	size_t i, n = SPARSE_LEN / PMD_SZ, bad = 0;
	int err;

	for (i = 0; i < n; i++)
		p[i * PMD_SZ] = 1;
	touched = self_pte_kb();
	for (i = 0; i < n; i++)
		madvise(p + i * PMD_SZ, PAGE_SZ, MADV_DONTNEED);
	zapped = self_pte_kb();
	diag("sparse: one page in each 2 MiB of 16 GiB, %zu PTE tables", n);
	diag("VmPTE %lld kB touched, %lld kB after MADV_DONTNEED: the empty tables stay",
	     touched, zapped);
	err = walk_self("pte_reclaim", p, SPARSE_LEN);
	freed = self_pte_kb();
	diag("VmPTE %lld kB after reclaimlab's pte_reclaim", freed);
	/* a sample: each read maps a new table, which the diff would show */
	for (i = 0; i < n; i += 512)
		bad += p[i * PMD_SZ] != 0;
	tap(!err && bad == 0 && freed < zapped / 10,
	    "sparse: tables freed, the range still reads zeros (%zu bad of %zu sampled)",
	    bad, n / 512);
	return err;
}

int main(int argc, char **argv)
{
	const char *step = argc > 1 ? argv[1] : "";

	if (!strcmp(step, "stock"))
		return large_folios(0) || rl_failures;
	if (!strcmp(step, "module"))
		return large_folios(1) || rl_failures;
	if (!strcmp(step, "sparse"))
		return sparse() || rl_failures;
	if (!strcmp(step, "ptethp") && argc > 2)
		return pte_mapped_thp(!strcmp(argv[2], "batched")) ||
		       rl_failures;
	fprintf(stderr, "usage: demo stock|module|sparse|ptethp stock|batched\n");
	return 2;
}
