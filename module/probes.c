// SPDX-License-Identifier: GPL-2.0
/*
 * kretprobes on the stock kernel's reclaim steps:
 *
 * - madvise_cold_or_pageout_pte_range(), the per-PMD step of MADV_COLD and
 *   MADV_PAGEOUT: calls, pageout vs cold, time inside;
 * - try_to_unmap_one(), the per-VMA unmap of a folio during reclaim: calls,
 *   a histogram by folio order, and large folios that it reported unmapped
 *   while some of their PTEs in that VMA still map them (the race with a
 *   break-before-make PTE update that TTU_SYNC closes).
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

/* Enough for every CPU to be inside several preemptible probed calls. */
#define RL_PROBE_MAXACTIVE 128

struct rl_madv_call {
	u64 start_ns;
};

struct rl_ttu_call {
	struct folio *folio;
	struct vm_area_struct *vma;
	unsigned long address;
};

static int rl_madv_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct rl_madv_call *call = (void *)ri->data;
	struct mm_walk *walk = (void *)regs_get_kernel_argument(regs, 3);
	const struct rl_madvise_walk_private *priv = walk->private;

	call->start_ns = ktime_get_ns();
	rl_count(RL_C_madv_calls, 1);
	rl_count(priv->pageout ? RL_C_madv_pageout_calls :
				 RL_C_madv_cold_calls, 1);
	return 0;
}

static int rl_madv_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct rl_madv_call *call = (void *)ri->data;

	rl_count(RL_C_madv_ns, ktime_get_ns() - call->start_ns);
	return 0;
}

/* The PMD entry covering @addr, or NULL where an upper level maps nothing. */
static pmd_t *rl_pmd_of(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;

	if (pgd_none(READ_ONCE(*pgd)) || pgd_bad(READ_ONCE(*pgd)))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(READ_ONCE(*p4d)) || p4d_bad(READ_ONCE(*p4d)))
		return NULL;
	pud = pud_offset(p4d, addr);
	/* pud_bad() is also true of a 1 GiB leaf: nothing of a folio there. */
	if (pud_none(READ_ONCE(*pud)) || pud_bad(READ_ONCE(*pud)))
		return NULL;
	return pmd_offset(pud, addr);
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
	unsigned long end;

	if (!regs_return_value(regs)) {
		rl_count(RL_C_ttu_failed, 1);
		return 0;
	}
	/* hugetlb folios are unmapped whole by a PUD/PMD entry: no race. */
	if (!folio_test_large(folio) || folio_test_hugetlb(folio))
		return 0;

	/* The folio's pages lie at most its size beyond @address. */
	end = min(vma->vm_end, call->address + folio_size(folio));
	if (rl_pages_still_mapped(vma->vm_mm, call->address, end, folio))
		rl_count(RL_C_ttu_large_left_mapped, 1);
	return 0;
}

static struct kretprobe rl_madv_probe, rl_ttu_probe;
static DEFINE_MUTEX(rl_probes_lock);	/* registration and rl_probes_on */
static bool rl_probes_on;
static atomic64_t rl_missed_before;	/* by registrations now gone */

/* register_kretprobe() wants a fresh struct each time. */
static void rl_probe_init(struct kretprobe *rp, const char *symbol,
			  kretprobe_handler_t entry, kretprobe_handler_t ret,
			  size_t data_size)
{
	memset(rp, 0, sizeof(*rp));
	rp->kp.symbol_name = symbol;
	rp->entry_handler = entry;
	rp->handler = ret;
	rp->data_size = data_size;
	rp->maxactive = RL_PROBE_MAXACTIVE;
}

static int rl_probes_register(void)
{
	int ret;

	rl_probe_init(&rl_madv_probe, "madvise_cold_or_pageout_pte_range",
		      rl_madv_entry, rl_madv_return,
		      sizeof(struct rl_madv_call));
	rl_probe_init(&rl_ttu_probe, "try_to_unmap_one", rl_ttu_entry,
		      rl_ttu_return, sizeof(struct rl_ttu_call));

	ret = register_kretprobe(&rl_madv_probe);
	if (ret) {
		pr_err(RL_NAME ": kretprobe on madvise_cold_or_pageout_pte_range failed: %d\n",
		       ret);
		return ret;
	}
	ret = register_kretprobe(&rl_ttu_probe);
	if (ret) {
		pr_err(RL_NAME ": kretprobe on try_to_unmap_one failed: %d\n",
		       ret);
		unregister_kretprobe(&rl_madv_probe);
	}
	return ret;
}

static void rl_probes_unregister(void)
{
	unregister_kretprobe(&rl_madv_probe);
	unregister_kretprobe(&rl_ttu_probe);
	atomic64_add(READ_ONCE(rl_madv_probe.nmissed) +
		     READ_ONCE(rl_ttu_probe.nmissed), &rl_missed_before);
}

int rl_probes_set(bool on)
{
	int ret = 0;

	mutex_lock(&rl_probes_lock);
	if (on && !rl_probes_on)
		ret = rl_probes_register();
	else if (!on && rl_probes_on)
		rl_probes_unregister();
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
	u64 missed = atomic64_read(&rl_missed_before);

	mutex_lock(&rl_probes_lock);
	if (rl_probes_on)
		missed += READ_ONCE(rl_madv_probe.nmissed) +
			  READ_ONCE(rl_ttu_probe.nmissed);
	mutex_unlock(&rl_probes_lock);
	return missed;
}
