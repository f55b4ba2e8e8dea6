// SPDX-License-Identifier: GPL-2.0
/*
 * The one table of kernel symbols reclaimlab resolves at load.  A missing
 * one fails the load with a message naming it, never a crash later.
 *
 * kallsyms_lookup_name() itself is not exported since 5.7: a kprobe on it
 * tells its address.
 */
#include <linux/kprobes.h>
#include <linux/stringify.h>
#include <linux/uaccess.h>
#include "reclaimlab.h"
#include "symbols.h"

DEFINE_STATIC_CALL_NULL(rl_kallsyms_lookup_name, kallsyms_lookup_name);
DEFINE_STATIC_CALL_NULL(rl_vm_normal_folio, vm_normal_folio);
DEFINE_STATIC_CALL_NULL(rl_reclaim_pages, rl_reclaim_pages_fn);
DEFINE_STATIC_CALL_NULL(rl_lru_add_drain_all, lru_add_drain_all);
#if RL_HAVE_BATCHED_UNMAP_FLUSH
DEFINE_STATIC_CALL_NULL(rl_flush_tlb_batched_pending,
			rl_flush_tlb_batched_pending_fn);
#endif
#if RL_HAVE_FLUSH_TLB_MM_RANGE
DEFINE_STATIC_CALL_NULL(rl_flush_tlb_mm_range, rl_flush_tlb_mm_range_fn);
#endif
DEFINE_STATIC_CALL_NULL(rl_folio_isolate_lru, rl_folio_isolate_lru_fn);
DEFINE_STATIC_CALL_NULL(rl_deactivate, RL_DEACTIVATE_FN);
DEFINE_STATIC_CALL_NULL(rl_split, RL_SPLIT_FN);
#if !RL_HAVE_FOLIO_MAPCOUNT_INLINE
DEFINE_STATIC_CALL_NULL(rl_folio_mapcount, folio_mapcount);
#endif
#if RL_HAVE_PTE_MAP_RCU
DEFINE_STATIC_CALL_NULL(rl_pte_offset_map, __pte_offset_map);
#endif
DEFINE_STATIC_CALL_NULL(rl_mmu_notifier_start, rl_mmu_notifier_start_fn);
DEFINE_STATIC_CALL_NULL(rl_mmu_notifier_end, rl_mmu_notifier_end_fn);
#if RL_PT_FREE_RCU
DEFINE_STATIC_CALL_NULL(rl_pte_free_defer, pte_free_defer);
#endif

#if RL_HAVE_KSM_ZERO_PAGES
atomic_long_t *rl_ksm_zero_pages;
#endif
DEFINE_STATIC_CALL_NULL(rl_add_to_swap, rl_add_to_swap_fn);
DEFINE_STATIC_CALL_NULL(rl_swap_dup, rl_swap_dup_fn);
DEFINE_STATIC_CALL_NULL(rl_swap_put, rl_swap_put_fn);
DEFINE_STATIC_CALL_NULL(rl_remove_rmap, RL_REMOVE_RMAP_FN);
DEFINE_STATIC_CALL_NULL(rl_mm_trace_rss_stat, rl_mm_trace_rss_stat_fn);
DEFINE_STATIC_CALL_NULL(rl_task_sched_runtime, task_sched_runtime);
DEFINE_STATIC_CALL_NULL(rl_kallsyms_show_value, kallsyms_show_value);
#if RL_HAVE_ARCH_INVALIDATE_SECONDARY_TLBS
DEFINE_STATIC_CALL_NULL(rl_arch_invalidate_secondary_tlbs,
			rl_arch_invalidate_secondary_tlbs_fn);
#endif
#if RL_HAVE_MMU_INVALIDATE_RANGE
DEFINE_STATIC_CALL_NULL(rl_mmu_invalidate_range,
			__mmu_notifier_invalidate_range);
#endif
/* the kernel's, guarding init_mm.mmlist (swapoff's list of swapped mms) */
spinlock_t *rl_mmlist_lock;
struct mm_struct *rl_init_mm;

enum rl_symbol_use {
	RL_SYM_CALLED,	/* called through its static call */
	RL_SYM_PROBED,	/* only a kprobe target, never called */
	RL_SYM_DATA,	/* a variable, reached through a pointer */
	RL_SYM_DATA_OPTIONAL,	/* ... that may be missing (see .missing) */
};

struct rl_symbol {
	const char *name;
	enum rl_symbol_use use;
	struct static_call_key *key;
	void *tramp;
	void **data;	/* RL_SYM_DATA*: where its address goes */
	const char *missing;	/* RL_SYM_DATA_OPTIONAL: what does not work */
	unsigned long addr;
	u32 entry_insn;
};

/* @name_str: the kernel's name; rl_@call: the module's static call. */
#define RL_SYM_CALL_AS(name_str, call) {				\
	.name = name_str,						\
	.use = RL_SYM_CALLED,						\
	.key = &STATIC_CALL_KEY(rl_##call),				\
	.tramp = STATIC_CALL_TRAMP_ADDR(rl_##call),			\
}

#define RL_SYM_CALL(sym) RL_SYM_CALL_AS(#sym, sym)

#define RL_SYM_PROBE(sym) { .name = #sym, .use = RL_SYM_PROBED }

/* The kernel's variable @sym, at the module's pointer rl_@sym. */
#define RL_SYM_DATA(sym) {						\
	.name = #sym,							\
	.use = RL_SYM_DATA,						\
	.data = (void **)&rl_##sym,					\
}

/*
 * The same, for a variable the module can do without: kallsyms lists data
 * only with CONFIG_KALLSYMS_ALL (not in Debian's arm64 6.1); @what_fails
 * says what works otherwise, in the load's message.
 */
#define RL_SYM_DATA_OPT(sym, what_fails) {				\
	.name = #sym,							\
	.use = RL_SYM_DATA_OPTIONAL,					\
	.data = (void **)&rl_##sym,					\
	.missing = what_fails,						\
}

#define RL_NO_MMLIST							\
	"unmap batched leaves a swap-backed folio to the kernel's path while its mm is not on swapoff's list (unmap_fallback_no_mmlist): the kernel's own swap-out puts it there"

static struct rl_symbol rl_symbols[] = {
	/* first: it resolves the others */
	RL_SYM_CALL(kallsyms_lookup_name),
	RL_SYM_PROBE(madvise_cold_or_pageout_pte_range),
	RL_SYM_PROBE(try_to_unmap_one),
	/* the pageout/cold walker */
	RL_SYM_CALL(vm_normal_folio),
	RL_SYM_CALL(reclaim_pages),
	RL_SYM_CALL(lru_add_drain_all),
#if RL_HAVE_BATCHED_UNMAP_FLUSH
	RL_SYM_CALL(flush_tlb_batched_pending),
#endif
#if RL_HAVE_FLUSH_TLB_MM_RANGE
	RL_SYM_CALL(flush_tlb_mm_range),
#endif
	RL_SYM_CALL(folio_isolate_lru),
	RL_SYM_CALL_AS(__stringify(RL_DEACTIVATE_FN), deactivate),
	RL_SYM_CALL_AS(__stringify(RL_SPLIT_FN), split),
#if !RL_HAVE_FOLIO_MAPCOUNT_INLINE
	RL_SYM_CALL(folio_mapcount),
#endif
#if RL_HAVE_PTE_MAP_RCU
	RL_SYM_CALL_AS("__pte_offset_map", pte_offset_map),
#endif
	/* the PTE-table walker */
	RL_SYM_CALL_AS("__mmu_notifier_invalidate_range_start",
		       mmu_notifier_start),
	RL_SYM_CALL_AS("__mmu_notifier_invalidate_range_end",
		       mmu_notifier_end),
#if RL_PT_FREE_RCU
	RL_SYM_CALL(pte_free_defer),
#endif
#if RL_HAVE_KSM_ZERO_PAGES
	RL_SYM_DATA(ksm_zero_pages),
#endif
	/* the pageout walker's batched unmap */
	RL_SYM_CALL_AS(RL_ADD_TO_SWAP_NAME, add_to_swap),
	RL_SYM_CALL_AS(RL_SWAP_DUP_NAME, swap_dup),
	RL_SYM_CALL_AS(RL_SWAP_PUT_NAME, swap_put),
	RL_SYM_CALL_AS(__stringify(RL_REMOVE_RMAP_FN), remove_rmap),
	RL_SYM_CALL(mm_trace_rss_stat),
#if RL_HAVE_MMU_INVALIDATE_RANGE
	RL_SYM_CALL_AS("__mmu_notifier_invalidate_range",
		       mmu_invalidate_range),
#endif
	/* the background mode's budget */
	RL_SYM_CALL(task_sched_runtime),
	/* who may read the addresses in `symbols` */
	RL_SYM_CALL(kallsyms_show_value),
	RL_SYM_DATA_OPT(mmlist_lock, RL_NO_MMLIST),
	RL_SYM_DATA_OPT(init_mm, RL_NO_MMLIST),
#ifdef RL_HAVE_ARM64_SHIMS
	/* what arm64's inline helpers call (arch/arm64_shims.c) */
#if RL_HAVE_MTE_SYNC_TAGS
	RL_SYM_CALL(mte_sync_tags),
#endif
#endif
#if RL_HAVE_ARCH_INVALIDATE_SECONDARY_TLBS
	/* arm64's range-flush inline, and a flush left for later (both) */
	RL_SYM_CALL_AS("__mmu_notifier_arch_invalidate_secondary_tlbs",
		       arch_invalidate_secondary_tlbs),
#endif
};

static const char *const rl_use_name[] = {
	[RL_SYM_CALLED] = RL_CALL_KIND,
	[RL_SYM_PROBED] = "kprobe(not-called)",
	[RL_SYM_DATA] = "data(pointer)",
	[RL_SYM_DATA_OPTIONAL] = "data(pointer)",
};

/* Points @s's static call at @addr. */
static void rl_symbol_bind(struct rl_symbol *s, unsigned long addr)
{
	s->addr = addr;
	__static_call_update(s->key, s->tramp, (void *)addr);
}

static int rl_find_kallsyms_lookup_name(struct rl_symbol *self)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long addr;
	int ret;

	ret = register_kprobe(&kp);
	if (ret) {
		pr_err(RL_NAME ": cannot find kallsyms_lookup_name through a kprobe (%d); refusing to load\n",
		       ret);
		return ret;
	}
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);

	/*
	 * On IBT kernels the kprobe sits after the entry's endbr64.  Entering
	 * there by a direct jump is harmless; then ask the function for its
	 * own exact start.
	 */
	rl_symbol_bind(self, addr);
	addr = static_call(rl_kallsyms_lookup_name)("kallsyms_lookup_name");
	if (!addr) {
		pr_err(RL_NAME ": kallsyms_lookup_name cannot find itself; refusing to load\n");
		return -ENOENT;
	}
	rl_symbol_bind(self, addr);
	return 0;
}

static unsigned long rl_lookup(const char *name)
{
	return static_call(rl_kallsyms_lookup_name)(name);
}

/*
 * Resolves every symbol of the table, and @extra_required if set (the test
 * suite names a symbol that does not exist to check the refusal).
 */
int rl_symbols_resolve(const char *extra_required)
{
	struct rl_symbol *s;
	size_t resolved = 0;
	int ret;

	ret = rl_find_kallsyms_lookup_name(&rl_symbols[0]);
	if (ret)
		return ret;

	if (extra_required && *extra_required && !rl_lookup(extra_required)) {
		pr_err(RL_NAME ": required kernel symbol %s not found; refusing to load\n",
		       extra_required);
		return -ENOENT;
	}

	for (s = rl_symbols; s < rl_symbols + ARRAY_SIZE(rl_symbols); s++) {
		unsigned long addr = rl_lookup(s->name);

		if (!addr && s->use == RL_SYM_DATA_OPTIONAL) {
			pr_info(RL_NAME ": %s is not in kallsyms (CONFIG_KALLSYMS_ALL=n): %s\n",
				s->name, s->missing);
			*s->data = NULL;
			continue;
		}
		if (!addr) {
			pr_err(RL_NAME ": required kernel symbol %s not found; refusing to load\n",
			       s->name);
			return -ENOENT;
		}
		if (copy_from_kernel_nofault(&s->entry_insn, (void *)addr,
					     sizeof(s->entry_insn)))
			s->entry_insn = 0;
		s->addr = addr;
		if (s->use == RL_SYM_CALLED && !rl_entry_callable(s->entry_insn)) {
			pr_err(RL_NAME ": kernel function %s starts with no BTI landing pad (0x%08x), and the module calls it indirectly; refusing to load\n",
			       s->name, s->entry_insn);
			return -ENOEXEC;
		}
		if (s->use == RL_SYM_CALLED)
			rl_symbol_bind(s, addr);
		else if (s->use == RL_SYM_DATA ||
			 s->use == RL_SYM_DATA_OPTIONAL)
			*s->data = (void *)addr;
		resolved++;
	}
	pr_info(RL_NAME ": %zu kernel symbols resolved; functions called %s: %s\n",
		resolved, RL_CALL_KIND, RL_CALL_SAFETY);
	return 0;
}

/*
 * Whether the reader may see kernel addresses: what /proc/kallsyms
 * decides for the opener's credentials (kptr_restrict, CAP_SYSLOG,
 * perf_event_paranoid), with zeros otherwise, as it prints them.
 */
static bool rl_symbols_show_addr(struct seq_file *m)
{
	return static_call(rl_kallsyms_show_value)(m->file->f_cred);
}

int rl_symbols_show(struct seq_file *m, void *unused)
{
	bool show_addr = rl_symbols_show_addr(m);
	const struct rl_symbol *s;

	seq_printf(m, "%-36s %-18s %-9s %s\n", "symbol", "address", "entry",
		   "call");
	for (s = rl_symbols; s < rl_symbols + ARRAY_SIZE(rl_symbols); s++) {
		bool data = s->use == RL_SYM_DATA ||
			    s->use == RL_SYM_DATA_OPTIONAL;

		seq_printf(m, "%-36s 0x%016lx %-9s %s\n", s->name,
			   show_addr ? s->addr : 0UL,
			   data ? "-" : rl_entry_kind(s->entry_insn),
			   data && !s->addr ? "data(missing)" :
					      rl_use_name[s->use]);
	}
	return 0;
}
