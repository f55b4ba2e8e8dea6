// SPDX-License-Identifier: GPL-2.0
/*
 * The main job's workload: 32 MiB of large-folio memory (64 KiB mTHP
 * where the kernel has mTHP, PMD THP otherwise), paged out with the stock
 * MADV_PAGEOUT, and the module's probe counters shown beside /proc/vmstat
 * and the mTHP stats that moved.  Reads the memory back and checks it.
 */
#include "rltest.h"
#include "thp.h"

#define DEMO_REGION (32UL << 20)

static const char *const vmstat_names[] = {
	"pswpout", "thp_swpout", "thp_swpout_fallback", "thp_split_page",
};
#define NR_VMSTAT (int)(sizeof(vmstat_names) / sizeof(vmstat_names[0]))

int main(void)
{
	int mthp = have_mthp();
	long long vm0[NR_VMSTAT], sw0 = 0, sw1 = 0;
	struct rl_counters c;
	size_t bad;
	char *p;
	int i;

	enable_only(mthp ? 64 : 2048);
	p = map_aligned(DEMO_REGION);
	madvise(p, DEMO_REGION, MADV_HUGEPAGE);
	fill(p, DEMO_REGION, 7);
	knob_write("stats", "0");
	for (i = 0; i < NR_VMSTAT; i++)
		vm0[i] = vmstat(vmstat_names[i]);
	if (mthp)
		sw0 = file_num(THP "hugepages-64kB/stats/swpout");

	madvise(p, DEMO_REGION, MADV_PAGEOUT);

	counters_read("stats", &c);
	if (mthp)
		sw1 = file_num(THP "hugepages-64kB/stats/swpout");
	diag("");
	diag("stock MADV_PAGEOUT of %lu MiB of %s folios",
	       DEMO_REGION >> 20, mthp ? "64 KiB mTHP" : "2 MiB THP");
	diag("");
	diag("%-34s %14s", "reclaimlab probe counter", "delta");
	for (i = 0; i < RL_NR_COUNTERS; i++)
		if (c.v[i])
			diag("%-34s %14lld", rl_counter_names[i], c.v[i]);
	diag("");
	diag("%-34s %14s", "/proc/vmstat and mTHP stats", "delta");
	for (i = 0; i < NR_VMSTAT; i++)
		diag("%-34s %14lld", vmstat_names[i],
		       vmstat(vmstat_names[i]) - vm0[i]);
	if (mthp)
		diag("%-34s %14lld", "hugepages-64kB/stats/swpout",
		       sw1 - sw0);
	diag("%-34s %14lld", "VmSwap (kB, this process)", self_swap_kb());
	diag("");
	bad = verify(p, DEMO_REGION, 7);
	tap(bad == 0 && c.v[RL_C_madv_pageout_calls] > 0,
	    "demo: probes counted the pageout, memory reads back identical");
	return bad ? 1 : 0;
}
