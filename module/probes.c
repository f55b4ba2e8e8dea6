// SPDX-License-Identifier: GPL-2.0
/*
 * kretprobes on the stock kernel's reclaim steps:
 *
 * - madvise_cold_or_pageout_pte_range(), the per-PMD step of MADV_COLD and
 *   MADV_PAGEOUT: calls, pageout vs cold, time inside;
 * - try_to_unmap_one(), the per-VMA unmap of a folio during reclaim: calls,
 *   time inside, a histogram by folio order, and large folios that it
 *   reported unmapped while some of their PTEs in that VMA still map them
 *   (the race with a break-before-make PTE update that TTU_SYNC closes);
 * - reclaim_pages(), which both MADV_PAGEOUT and the module's walker hand
 *   their isolated folios to: calls and time inside, so a pageout's time
 *   splits into walk, unmap and the rest of reclaim (make bench).
 *
 * Handlers run with preemption disabled: they never sleep, take no lock,
 * and only add to per-CPU counters.
 */
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pagewalk.h>
#include <linux/rcupdate.h>
#include <linux/timekeeping.h>
#include "reclaimlab.h"
#include "compat.h"
#include "pgwalk.h"
#include "rl_trace.h"

/* Enough for every CPU to be inside several preemptible probed calls. */
#define RL_PROBE_MAXACTIVE 128

struct rl_madv_call {
	u64 start_ns;
	bool pageout;
};

struct rl_ttu_call {
	struct folio *folio;
	struct vm_area_struct *vma;
	unsigned long address;
	u64 start_ns;
};

struct rl_reclaim_call {
	u64 start_ns;
};

static int rl_madv_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct rl_madv_call *call = (void *)ri->data;
	struct mm_walk *walk = (void *)regs_get_kernel_argument(regs, 3);
	const struct rl_madvise_walk_private *priv = walk->private;

	call->start_ns = ktime_get_ns();
	call->pageout = priv->pageout;
	rl_count(RL_C_madv_calls, 1);
	rl_count(priv->pageout ? RL_C_madv_pageout_calls :
				 RL_C_madv_cold_calls, 1);
	return 0;
}

static int rl_madv_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct rl_madv_call *call = (void *)ri->data;
	u64 ns = ktime_get_ns() - call->start_ns;

	rl_count(RL_C_madv_ns, ns);
	trace_madvise_pmd(call->pageout, ns);
	return 0;
}

/*
 * How many pages of @folio are still mapped in [addr, end) of @mm.
 *
 * Lockless, from the return handler of try_to_unmap_one(): its caller
 * still holds the rmap lock (anon_vma or i_mmap) that free_pgtables() must
 * take to unlink the VMA, so the tables cannot be freed under us; where a
 * kernel frees PTE tables without that lock (6.5+: khugepaged, PT_RECLAIM)
 * it defers the free by RCU, and we read inside an RCU section.
 */
static unsigned long rl_pages_still_mapped(struct mm_struct *mm,
					   unsigned long addr,
					   unsigned long end,
					   struct folio *folio)
{
	unsigned long first = folio_pfn(folio);
	unsigned long last = first + folio_nr_pages(folio) - 1;
	unsigned long mapped = 0, next, pfn;
	pmd_t *pmdp, pmd;
	pte_t *ptep, pte;

	rcu_read_lock();
	for (; addr < end; addr = next) {
		next = pmd_addr_end(addr, end);
		pmdp = rl_pmd_of(mm, addr);
		if (!pmdp)
			continue;
		pmd = rl_pmdp_get_lockless(pmdp);
		if (!pmd_present(pmd))
			continue;
		if (pmd_trans_huge(pmd)) {
			pfn = pmd_pfn(pmd);
			if (pfn >= first && pfn <= last)
				mapped += (next - addr) >> PAGE_SHIFT;
			continue;
		}
		if (pmd_bad(pmd))
			continue;
		/* Index the snapshot, not *pmdp, which may have changed. */
		ptep = pte_offset_kernel(&pmd, addr);
		for (; addr < next; addr += PAGE_SIZE, ptep++) {
			pte = ptep_get(ptep);
			if (!pte_present(pte))
				continue;
			pfn = pte_pfn(pte);
			if (pfn >= first && pfn <= last)
				mapped++;
		}
	}
	rcu_read_unlock();
	return mapped;
}

static int rl_ttu_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct rl_ttu_call *call = (void *)ri->data;
	struct folio *folio = (void *)regs_get_kernel_argument(regs, 0);
	unsigned int order = folio_order(folio);

	call->folio = folio;
	call->vma = (void *)regs_get_kernel_argument(regs, 1);
	call->address = regs_get_kernel_argument(regs, 2);
	call->start_ns = ktime_get_ns();

	rl_count(RL_C_ttu_calls, 1);
	rl_count(RL_C_ttu_order_0 + min(order, RL_ORDER_BUCKETS - 1U), 1);
	if (order)
		rl_count(RL_C_ttu_large_calls, 1);
	return 0;
}

static int rl_ttu_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct rl_ttu_call *call = (void *)ri->data;
	struct folio *folio = call->folio;
	struct vm_area_struct *vma = call->vma;
	unsigned long end, mapped;

	rl_count(RL_C_ttu_ns, ktime_get_ns() - call->start_ns);
	if (!regs_return_value(regs)) {
		rl_count(RL_C_ttu_failed, 1);
		return 0;
	}
	/* hugetlb folios are unmapped whole by a PUD/PMD entry: no race. */
	if (!folio_test_large(folio) || folio_test_hugetlb(folio))
		return 0;

	/*
	 * Not a refault: every path that maps this folio again (swap-in,
	 * file faults and fault-around, UFFDIO_CONTINUE, KSM, migration)
	 * takes the folio lock, which try_to_unmap()'s caller holds until
	 * after this handler.  What can count without being the race is a
	 * PTE copied by fork() into a child VMA this rmap walk visited
	 * before the copy (copy_present_pte() takes no folio lock), in the
	 * few instructions between try_to_unmap_one()'s own walk and here.
	 */
	/* The folio's pages lie at most its size beyond @address. */
	end = min(vma->vm_end, call->address + folio_size(folio));
	mapped = rl_pages_still_mapped(vma->vm_mm, call->address, end, folio);
	if (mapped) {
		rl_count(RL_C_ttu_large_left_mapped, 1);
		trace_ttu_left_mapped(vma->vm_mm, call->address,
				      folio_order(folio), mapped);
	}
	return 0;
}

static int rl_reclaim_entry(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	struct rl_reclaim_call *call = (void *)ri->data;

	call->start_ns = ktime_get_ns();
	rl_count(RL_C_reclaim_calls, 1);
	return 0;
}

static int rl_reclaim_return(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct rl_reclaim_call *call = (void *)ri->data;

	rl_count(RL_C_reclaim_ns, ktime_get_ns() - call->start_ns);
	return 0;
}

static struct kretprobe rl_madv_probe = {
	.kp.symbol_name = "madvise_cold_or_pageout_pte_range",
	.entry_handler = rl_madv_entry,
	.handler = rl_madv_return,
	.data_size = sizeof(struct rl_madv_call),
	.maxactive = RL_PROBE_MAXACTIVE,
};

static struct kretprobe rl_ttu_probe = {
	.kp.symbol_name = "try_to_unmap_one",
	.entry_handler = rl_ttu_entry,
	.handler = rl_ttu_return,
	.data_size = sizeof(struct rl_ttu_call),
	.maxactive = RL_PROBE_MAXACTIVE,
};

static struct kretprobe rl_reclaim_probe = {
	.kp.symbol_name = "reclaim_pages",
	.entry_handler = rl_reclaim_entry,
	.handler = rl_reclaim_return,
	.data_size = sizeof(struct rl_reclaim_call),
	.maxactive = RL_PROBE_MAXACTIVE,
};

static struct kretprobe *rl_kretprobes[] = {
	&rl_madv_probe, &rl_ttu_probe, &rl_reclaim_probe,
};

static DEFINE_MUTEX(rl_probes_lock);	/* serialises enable/disable */
static bool rl_probes_on;

/*
 * The kretprobes are registered once, disabled, for the module's whole
 * life: a probe that cannot be placed fails the load, and `probes` then
 * only arms and disarms them, which allocates nothing.
 */
int rl_probes_init(void)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(rl_kretprobes); i++)
		rl_kretprobes[i]->kp.flags = KPROBE_FLAG_DISABLED;
	ret = register_kretprobes(rl_kretprobes, ARRAY_SIZE(rl_kretprobes));
	if (ret)
		pr_err(RL_NAME ": cannot register the kretprobes on madvise_cold_or_pageout_pte_range, try_to_unmap_one and reclaim_pages: %d\n",
		       ret);
	return ret;
}

void rl_probes_exit(void)
{
	unregister_kretprobes(rl_kretprobes, ARRAY_SIZE(rl_kretprobes));
}

int rl_probes_set(bool on)
{
	int i, ret = 0;

	mutex_lock(&rl_probes_lock);
	for (i = 0; i < ARRAY_SIZE(rl_kretprobes) && on != rl_probes_on; i++) {
		ret = on ? enable_kretprobe(rl_kretprobes[i]) :
			   disable_kretprobe(rl_kretprobes[i]);
		if (ret) {
			/* put back the ones already switched */
			while (i--)
				on ? disable_kretprobe(rl_kretprobes[i]) :
				     enable_kretprobe(rl_kretprobes[i]);
			break;
		}
	}
	if (!ret)
		WRITE_ONCE(rl_probes_on, on);
	mutex_unlock(&rl_probes_lock);
	return ret;
}

bool rl_probes_enabled(void)
{
	return READ_ONCE(rl_probes_on);
}

u64 rl_probes_missed(void)
{
	return READ_ONCE(rl_madv_probe.nmissed) +
	       READ_ONCE(rl_ttu_probe.nmissed) +
	       READ_ONCE(rl_reclaim_probe.nmissed);
}
