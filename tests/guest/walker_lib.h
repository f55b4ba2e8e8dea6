/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The walker tests' shared helpers (tests/guest/lib/walker_lib.c), on top
 * of rltest.h.  Each t_walker_* program starts with walker_start() and
 * ends with walker_end(), which restores the THP settings and
 * nr_hugepages it changed.
 */
#ifndef WALKER_LIB_H
#define WALKER_LIB_H

#include "rltest.h"
#include <pthread.h>
#include "thp.h"

#define REGION (8UL << 20)		/* per-size cases: 4 PMDs */

enum { NEVER, PARTIAL, ALWAYS };

/* The module's pt_batch at load, which a test that changes it puts back. */
#define PT_BATCH_DEFAULT "512"
extern const char *const split_name[];

int want(const char *group);
/* Only when argv[1] names it: a group left out of a whole run. */
int want_named(const char *group);
double now(void);
const char *errname(int err);

/* THP configuration, saved and restored */
void save_nr_hugepages(void);

/* What the kernel says happened, around one walk. */
struct ksnap {
	long long swap_kb, pswpout, swpout, splits, split_failed;
};

void ksnap(struct ksnap *k);
void ksnap_delta(struct ksnap *k);

/* Memory: populate, and look at it page by page */
const char *size_name(int kb);
char *populate(size_t len, int kb, int pte_mapped, uint64_t seed);
void pte_map(char *p, size_t len);

/* A span of a process's memory, page by page. */
struct span {
	long pages, present, swapped;
	/* of the present pages, by /proc/kpageflags: */
	long small;		/* small folios */
	long large;		/* large folio heads (a folio counts here) */
	long tails;		/* large folio tail pages */
	/* of the folios (small + large heads): */
	long lru, active, referenced;
	int flags_ok;		/* PFNs and kpageflags were readable */
};

void scan(pid_t pid, const void *addr, size_t len, struct span *s);
long long pmd_mapped_kb(void);
int mglru(void);

/* process_madvise(MADV_PAGEOUT) on self (madvise() where it is missing):
 * the stock path; 0 or an errno.
 */
int stock_pageout(void *p, size_t len);

/*
 * A non-blocking userfaultfd with [p, p + len) registered in @mode
 * (UFFDIO_REGISTER_MODE_*): its descriptor, or -1 with errno set.
 */
int uffd_register(void *p, size_t len, unsigned long long mode);
/*
 * Whether userfaultfd offers write-protection here: the architecture must
 * have it (HAVE_ARCH_USERFAULTFD_WP: x86-64; arm64 6.12 but not 6.1).
 */
int uffd_wp_supported(void);
#define UFFD_WP_SKIP "no uffd-wp on this kernel's architecture (UFFDIO_API offers no UFFD_FEATURE_PAGEFAULT_FLAG_WP: arm64 before 6.10)"

/* Driving the walker */
struct run {
	int rc;			/* the trigger write: 0 or an errno */
	long long result;	/* "result" in last */
	long long elapsed_ns;	/* "elapsed_ns" in last */
	double secs;		/* the trigger write, wall clock */
	struct rl_counters c;	/* the run's deltas, from last; -1 if none */
};

/* What request() writes to `unmap` ("kernel" unless a test says). */
extern const char *walk_unmap;

int request(pid_t pid, const void *start, size_t len, const char *walker,
	    int split, int batch);
void read_last(struct run *r);
int trigger(struct run *r);
void walk(pid_t pid, const void *start, size_t len, const char *walker,
	  int split, int batch, struct run *r);

#define W(r, name) ((r)->c.v[RL_C_walk_##name])
#define U(r, name) ((r)->c.v[RL_C_unmap_##name])

void diag_walk(const char *name, const struct run *r);
void check_run(const char *name, const struct run *r, int batch);

/* Load on the mmap lock during a long walk (lib/hold_lib.c) */
struct hold_load {
	char *p;
	volatile int stop, measuring;
	int map_sleep_us;	/* between two mmap/munmap pairs */
	volatile double longest;	/* the fault thread's longest stall, s */
	volatile long faults, maps;
	pthread_t fault_thread, map_thread;
};

void hold_start(struct hold_load *h, int map_sleep_us);
void hold_stop(struct hold_load *h);
char *hold_sparse_tables(size_t tables);

/* A hot-added zram disk of @mib MiB: its number, or -1. */
int zram_add(int mib);
void zram_remove(int id);

/* The batched unmap (lib/unmap_lib.c) */

/*
 * Whether the module runs without mmlist_lock (no KALLSYMS_ALL: arm64
 * 6.1): then it batches an mm's swap-backed folios only once the kernel
 * has put the mm on swapoff's list; unmap_prime_mmlist() has the kernel
 * swap one page of this process out for that, again after a swapoff
 * brought it back (populate() calls it, and request() for a batched walk
 * of this process, unless RL_NO_PRIME is set).
 */
int unmap_mmlist_missing(void);
void unmap_prime_mmlist(void);

/* Fallbacks to the kernel's unmap in @r, all reasons together. */
long long unmap_fallback_sum(const struct run *r);
/*
 * The fallbacks between two counter snapshots as " reason N" words in
 * @buf, or " none".
 */
const char *unmap_fallbacks(const struct rl_counters *c0,
			    const struct rl_counters *c1, char *buf,
			    size_t size);
/* "unmap batched WHAT 64 kB[ PTE-mapped]": a case's name, into @buf. */
void unmap_case_name(char *buf, size_t size, const char *what, int kb,
		     int pte_mapped);
/* A pageout walk with unmap batched, checked and shown. */
void walk_batched(const char *name, void *p, size_t len, struct run *r);

/* A program's start and end */
struct walker_env {
	int sizes[NR_MTHP + 2][2];	/* the large sizes: kB, PTE-mapped */
	int nr;
	int cut_kb, cut_pte;	/* a PTE-mapped large folio size */
	double t0;
};

void walker_start(int argc, char **argv, struct walker_env *e);
int walker_end(const char *prog, const struct walker_env *e, int failures);

#endif
