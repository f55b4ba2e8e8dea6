/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared by the files of reclaimlab.ko.  Each file owns one
 * concern: stats.c the counters, symbols.c the kernel symbols the module
 * resolves at load, probes.c the kretprobes on the stock reclaim paths,
 * target.c the request a trigger runs, knobs.c the debugfs files,
 * walk_pageout.c and walk_pte_reclaim.c the walkers, unmap_batch.c the
 * pageout walker's batched unmap.
 */
#ifndef RECLAIMLAB_H
#define RECLAIMLAB_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/seq_file.h>
#include <linux/hashtable.h>
#include "../include/reclaimlab_counters.h"

#define RL_NAME "reclaimlab"

/* stats.c: cumulative counters, per-CPU so any context may count. */
void rl_count(enum rl_counter c, u64 n);
void rl_stats_read(u64 *values);
void rl_stats_read_raw(u64 *values);
u64 rl_stat_total(enum rl_counter c);
const char *rl_counter_name(enum rl_counter c);

/* trace.c: count an outcome and trace it (rl_trace.h) */
struct folio;
void rl_folio_event(enum rl_counter outcome, unsigned long addr,
		    struct folio *folio, unsigned int nr);
void rl_folio_event_at(enum rl_counter outcome, unsigned long addr,
		       unsigned long pfn, unsigned int order, unsigned int nr);
void rl_table_event(enum rl_counter outcome, unsigned long haddr);
void rl_stats_reset(void);
void rl_counters_show(struct seq_file *m, const u64 *values);

/* symbols.c */
int rl_symbols_resolve(const char *extra_required);
int rl_symbols_show(struct seq_file *m, void *unused);

/* probes.c */
int rl_probes_init(void);
void rl_probes_exit(void);
int rl_probes_set(bool on);
bool rl_probes_enabled(void);
u64 rl_probes_missed(void);

/* The walkers a trigger can run, in the order `walker` lists them. */
enum rl_walker {
	RL_WALKER_PAGEOUT,
	RL_WALKER_COLD,
	RL_WALKER_PTE_RECLAIM,
};

/* What `split` says to do with large folios not fully in the range. */
enum rl_split {
	RL_SPLIT_NEVER,
	RL_SPLIT_PARTIAL,
	RL_SPLIT_ALWAYS,
};

/* Who unmaps the large folios the pageout walker hands to reclaim. */
enum rl_unmap {
	RL_UNMAP_KERNEL,	/* reclaim, through try_to_unmap_one() */
	RL_UNMAP_BATCHED,	/* the walker, in one step (unmap_batch.c) */
};

/* How the pageout/cold walker clears young bits on a batch. */
enum rl_young {
	RL_YOUNG_BATCHED,	/* one call per contpte block (arm64) */
	RL_YOUNG_PER_PTE,	/* one call per PTE, as the kernel once did */
};

#define RL_BATCH_MAX 512

/*
 * lock_hold_tables: the most PMDs (PTE tables) a walk looks at in one
 * hold of the target's mmap lock.  512 is 1 GiB of address space, a few
 * ms of walking; 0 holds it for the whole walk (as before it was a knob).
 */
#define RL_HOLD_TABLES_DEFAULT	512
#define RL_HOLD_TABLES_MAX	BIT(20)

/*
 * pt_batch: the most empty PTE tables pte_reclaim unhooks before one TLB
 * flush and one free of them all (walk_pte_reclaim.c).  1 is a flush and
 * a free per table, the walker before batching.  512, as many as one
 * lock_hold_tables hold looks at (and about what an mmu_gather batches):
 * make bench's SMP rows, a thread of the target on another vCPU, 6.12
 * x86: 0.002 IPIs per freed table against 0.016 with 64 and 1.0 with 1,
 * and the time per table with that thread 1.00-1.03x that without.
 */
#define RL_PT_BATCH_DEFAULT	512
#define RL_PT_BATCH_MAX		512

/* target.c: the knobs' state and the trigger that acts on it. */
struct cgroup;
/*
 * A walk's CPU-time limit (the background mode's budget): the walk ends
 * between two PMDs once the thread's CPU time (rl_thread_cpu_ns()) has
 * reached @until_ns, returns -EAGAIN and says where it stopped, so that
 * a later walk goes on from there.
 */
struct rl_walk_budget {
	u64 until_ns;
	u64 checked_at;			/* local_clock() at the last look */
	unsigned long stopped_at;	/* out: the first address not walked */
};

struct rl_request {
	struct pid *pid;	/* NULL until `pid` is written */
	struct cgroup *cgrp;	/* or every process of this cgroup */
	bool whole_mm;		/* range is `all` */
	unsigned long start, end;
	enum rl_walker walker;
	enum rl_split split;
	unsigned int batch;
	enum rl_unmap unmap;
	enum rl_young young;
	bool pte_zero;		/* pte_reclaim also frees zero-page tables */
	unsigned int hold_tables;	/* lock_hold_tables */
	unsigned int pt_batch;		/* 1..RL_PT_BATCH_MAX */
	struct rl_walk_budget *budget;	/* NULL: none (pte_reclaim only) */
	bool nowait;	/* never wait for the mmap lock: -EBUSY (pte_reclaim) */
};

extern const char *const rl_walker_names[];
extern const char *const rl_split_names[];
extern const char *const rl_unmap_names[];
extern const char *const rl_young_names[];
extern const unsigned int rl_nr_walkers, rl_nr_splits, rl_nr_unmaps,
	rl_nr_youngs;

int rl_set_pid(int nr);
int rl_set_cgroup(const char *path);
int rl_set_range(bool whole_mm, unsigned long start, unsigned long end);
void rl_set_walker(enum rl_walker w);
void rl_set_split(enum rl_split s);
int rl_set_batch(unsigned int batch);
void rl_set_unmap(enum rl_unmap u);
void rl_set_young(enum rl_young y);
void rl_set_pte_zero(bool on);
int rl_set_hold_tables(unsigned int n);
int rl_set_pt_batch(unsigned int n);
void rl_get_request(struct rl_request *req);	/* takes a pid reference */
void rl_put_request(struct rl_request *req);
int rl_trigger(void);
bool rl_walk_trylock(void);
void rl_walk_unlock(void);
int rl_last_show(struct seq_file *m, void *unused);
void rl_target_exit(void);

struct cred;
struct mm_struct;

/* procs.c: a set of mms, kept by address */
struct rl_mm_entry {
	struct hlist_node node;
	struct mm_struct *mm;		/* mmgrab()bed */
	unsigned long pt_bytes;		/* the background mode's: at the visit */
};

struct rl_mm_set {
	DECLARE_HASHTABLE(table, 6);
};

void rl_mm_set_init(struct rl_mm_set *set);
struct rl_mm_entry *rl_mm_set_find(struct rl_mm_set *set,
				   struct mm_struct *mm);
struct rl_mm_entry *rl_mm_set_add(struct rl_mm_set *set,
				  struct mm_struct *mm);
void rl_mm_set_prune(struct rl_mm_set *set);
void rl_mm_set_clear(struct rl_mm_set *set);

/* procs.c: the processes of a cgroup, or every process, each mm once */
struct pid_namespace;
struct rl_procs {
	struct cgroup *cgrp;		/* NULL: every user process; held */
	struct pid_namespace *ns;	/* whose pids are walked; held */
	pid_t next_tgid;		/* the cursor, in @ns */
	bool paused;			/* the last call stopped early */
	bool offline;			/* @cgrp was removed */
	struct rl_mm_set seen;		/* mms visited in this pass */
	unsigned long walked, skipped_exited, skipped_kthread, skipped_oom;
};

struct cgroup *rl_cgroup_lookup(const char *path);
void rl_cgroup_show(struct seq_file *m, struct cgroup *cgrp);
void rl_procs_start(struct rl_procs *procs, struct cgroup *cgrp,
		    struct pid_namespace *ns);
struct mm_struct *rl_procs_next(struct rl_procs *procs,
				const struct cred **cred);
void rl_procs_end(struct rl_procs *procs);

/* walk_pageout.c: the pageout and cold walker */
int rl_walk_pageout(const struct rl_request *req, struct mm_struct *mm,
		    const struct cred *cred);

/*
 * walk_pte_reclaim.c: the empty-PTE-table walker; -EAGAIN when
 * req->budget ended it (see there where), or when req->nowait found the
 * mmap lock taken after it began; -EBUSY when req->nowait found it
 * taken at the start
 */
int rl_walk_pte_reclaim(const struct rl_request *req, struct mm_struct *mm);
/* Waits for the tables a walk left to free later (before unload). */
void rl_pte_reclaim_exit(void);

/* auto.c: the background mode */
int rl_auto_set_interval(unsigned int ms);
unsigned int rl_auto_interval(void);
int rl_auto_set_budget(unsigned int pct);
unsigned int rl_auto_budget(void);
int rl_auto_set_cgroup(const char *path);
void rl_auto_cgroup_show(struct seq_file *m);
void rl_auto_exit(void);

/* knobs.c */
int rl_debugfs_init(bool read_only);
void rl_debugfs_exit(void);

#endif /* RECLAIMLAB_H */
