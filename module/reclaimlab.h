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

#include <linux/types.h>
#include <linux/seq_file.h>
#include "../include/reclaimlab_counters.h"

#define RL_NAME "reclaimlab"

/* stats.c: cumulative counters, per-CPU so any context may count. */
void rl_count(enum rl_counter c, u64 n);
void rl_stats_read(u64 *values);
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

/* target.c: the knobs' state and the trigger that acts on it. */
struct rl_request {
	struct pid *pid;	/* NULL until `pid` is written */
	bool whole_mm;		/* range is `all` */
	unsigned long start, end;
	enum rl_walker walker;
	enum rl_split split;
	unsigned int batch;
	enum rl_unmap unmap;
	enum rl_young young;
	bool pte_zero;		/* pte_reclaim also frees zero-page tables */
};

extern const char *const rl_walker_names[];
extern const char *const rl_split_names[];
extern const char *const rl_unmap_names[];
extern const char *const rl_young_names[];
extern const unsigned int rl_nr_walkers, rl_nr_splits, rl_nr_unmaps,
	rl_nr_youngs;

int rl_set_pid(int nr);
int rl_set_range(bool whole_mm, unsigned long start, unsigned long end);
void rl_set_walker(enum rl_walker w);
void rl_set_split(enum rl_split s);
int rl_set_batch(unsigned int batch);
void rl_set_unmap(enum rl_unmap u);
void rl_set_young(enum rl_young y);
void rl_set_pte_zero(bool on);
void rl_get_request(struct rl_request *req);	/* takes a pid reference */
void rl_put_request(struct rl_request *req);
int rl_trigger(void);
int rl_last_show(struct seq_file *m, void *unused);
void rl_target_exit(void);

/* walk_pageout.c: the pageout and cold walker */
struct cred;
struct mm_struct;
int rl_walk_pageout(const struct rl_request *req, struct mm_struct *mm,
		    const struct cred *cred);

/* walk_pte_reclaim.c: the empty-PTE-table walker */
int rl_walk_pte_reclaim(const struct rl_request *req, struct mm_struct *mm);

/* knobs.c */
int rl_debugfs_init(bool read_only);
void rl_debugfs_exit(void);

#endif /* RECLAIMLAB_H */
