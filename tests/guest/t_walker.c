// SPDX-License-Identifier: GPL-2.0
/*
 * The module's pageout/cold walker keeps its contract (issue 3).  Driven
 * through the knobs: pid, range, walker, split, batch, then trigger; each
 * run is judged by its counter deltas in `last`, by /proc/vmstat and the
 * per-size mTHP stats, by VmSwap, and page by page by /proc/PID/pagemap
 * (present / swapped) and /proc/kpageflags (folio heads, LRU, active).
 *
 * - pageout of large folios of every size the kernel offers (6.12: each
 *   mTHP size in turn, and PTE-mapped PMD THP; 6.1: PMD THP, PMD-mapped
 *   and PTE-mapped) and of small pages: every page goes to swap, fully
 *   mapped exclusive folios go whole (no split), and with batch 1 or split
 *   always they are split and counted;
 * - a batch never exceeds `batch` PTEs, nor crosses the range, a VMA or
 *   a PTE table: folios cut by any of them are skipped (never), split
 *   (partial) and nothing outside the range is paged out;
 * - a split that fails (a pinned folio) leaves that folio alone and the
 *   walk goes on;
 * - cold clears young bits and deactivates without writing to swap;
 * - shared, mlocked, hugetlb memory and a file the writer of `trigger`
 *   cannot write (FILE_RIGHTS_OF_WRITER: or the target) are skipped and
 *   counted, never paged out; range "all" skips [vvar];
 * - a target that exits mid-walk and a writer killed mid-trigger;
 * - side by side with stock process_madvise(MADV_PAGEOUT): the same pages
 *   reclaimed; the times and their ratio are printed, never judged.
 * Everything paged out is read back and compared with what was written.
 *
 * ./t_walker [WORD]: only the groups whose name contains WORD (pageout,
 * batch, cut, cold, skip, file, all, exit, kill, bench).
 */
#include "rltest.h"
#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#define THP "/sys/kernel/mm/transparent_hugepage/"
#define REGION (8UL << 20)		/* per-size cases: 4 PMDs */
#define BIG (256UL << 20)		/* exit and kill cases */
#define BENCH (32UL << 20)		/* side by side, per size */
#define FILE_SZ (1UL << 20)		/* file cases */
#define NOBODY 65534

static const int mthp_kb[] = { 16, 32, 64, 128, 256, 512, 1024, 2048 };
#define NR_MTHP ((int)(sizeof(mthp_kb) / sizeof(mthp_kb[0])))

enum { NEVER, PARTIAL, ALWAYS };
static const char *const split_name[] = { "never", "partial", "always" };

static const char *only;	/* argv[1]: run only the groups matching it */

static int want(const char *group)
{
	return !only || strstr(group, only);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *errname(int err)
{
	return err ? strerrorname_np(err) : "success";
}

/* ------------------------------------------------------------------ */
/* THP configuration (as in t_probes.c), saved and restored            */

static int have_mthp(void)
{
	return access(THP "hugepages-64kB/enabled", F_OK) == 0;
}

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

static void set_text(const char *path, const char *value)
{
	if (write_bytes(path, value, strlen(value), -1))
		diag("cannot write '%s' to %s", value, path);
}

/* The selected word of "always [madvise] never", into out. */
static void selected(const char *path, char *out, size_t size)
{
	char buf[256], *a, *b;

	out[0] = '\0';
	if (read_text(path, buf, sizeof(buf)) <= 0)
		return;
	a = strchr(buf, '[');
	b = a ? strchr(a, ']') : NULL;
	if (a && b && (size_t)(b - a) < size) {
		memcpy(out, a + 1, b - a - 1);
		out[b - a - 1] = '\0';
	}
}

static char saved_thp[16], saved_mthp[NR_MTHP][16];
static long long saved_nr_hugepages = -1;

static void save_thp(void)
{
	char path[256];
	int i;

	selected(THP "enabled", saved_thp, sizeof(saved_thp));
	for (i = 0; have_mthp() && i < NR_MTHP; i++) {
		snprintf(path, sizeof(path), THP "hugepages-%dkB/enabled",
			 mthp_kb[i]);
		selected(path, saved_mthp[i], sizeof(saved_mthp[i]));
	}
}

static void restore_thp(void)
{
	char path[256], buf[32];
	int i;

	if (saved_thp[0])
		set_text(THP "enabled", saved_thp);
	for (i = 0; have_mthp() && i < NR_MTHP; i++) {
		snprintf(path, sizeof(path), THP "hugepages-%dkB/enabled",
			 mthp_kb[i]);
		if (saved_mthp[i][0])
			set_text(path, saved_mthp[i]);
	}
	if (saved_nr_hugepages >= 0) {
		snprintf(buf, sizeof(buf), "%lld", saved_nr_hugepages);
		set_text("/proc/sys/vm/nr_hugepages", buf);
	}
}

/* Only folios of kb KiB (0: none) are allocated for anon memory. */
static void enable_only(int kb)
{
	char path[256];
	int i;

	if (!have_mthp()) {
		set_text(THP "enabled", kb ? "always" : "never");
		return;
	}
	set_text(THP "enabled", "never");
	for (i = 0; i < NR_MTHP; i++) {
		snprintf(path, sizeof(path), THP "hugepages-%dkB/enabled",
			 mthp_kb[i]);
		set_text(path, mthp_kb[i] == kb ? "always" : "never");
	}
}

static long long mthp_stat(int kb, const char *stat)
{
	char path[256];

	snprintf(path, sizeof(path), THP "hugepages-%dkB/stats/%s", kb, stat);
	return file_num(path);
}

/* Large folios swapped out whole, all sizes together. */
static long long large_swpout(void)
{
	long long sum = 0;
	int i;

	if (!have_mthp())
		return vmstat("thp_swpout");
	for (i = 0; i < NR_MTHP; i++)
		sum += mthp_stat(mthp_kb[i], "swpout");
	return sum;
}

/*
 * Large folios split, all sizes: the per-size stats/split where the
 * kernel has them (thp_split_page counts PMD-sized folios only).
 */
static long long large_splits(void)
{
	long long sum = 0;
	int i;

	if (!have_mthp() || mthp_stat(64, "split") < 0)
		return vmstat("thp_split_page");
	for (i = 0; i < NR_MTHP; i++)
		sum += mthp_stat(mthp_kb[i], "split");
	return sum;
}

/* The kernel counts splits of kb KiB folios (thp_split_page: PMD only). */
static int kernel_counts_splits(int kb)
{
	return kb == 2048 || mthp_stat(64, "split") >= 0;
}

static long long large_split_failed(void)
{
	long long sum = 0;
	int i;

	if (!have_mthp() || mthp_stat(64, "split_failed") < 0)
		return vmstat("thp_split_page_failed");
	for (i = 0; i < NR_MTHP; i++)
		sum += mthp_stat(mthp_kb[i], "split_failed");
	return sum;
}

/* What the kernel says happened, around one walk. */
struct ksnap {
	long long swap_kb, pswpout, swpout, splits, split_failed;
};

static void ksnap(struct ksnap *k)
{
	k->swap_kb = self_swap_kb();
	k->pswpout = vmstat("pswpout");
	k->swpout = large_swpout();
	k->splits = large_splits();
	k->split_failed = large_split_failed();
}

static void ksnap_delta(struct ksnap *k)
{
	struct ksnap n;

	ksnap(&n);
	k->swap_kb = n.swap_kb - k->swap_kb;
	k->pswpout = n.pswpout - k->pswpout;
	k->swpout = n.swpout - k->swpout;
	k->splits = n.splits - k->splits;
	k->split_failed = n.split_failed - k->split_failed;
}

/* ------------------------------------------------------------------ */
/* Memory: populate, and look at it page by page                       */

static const char *size_name(int kb)
{
	static char buf[32];

	if (kb <= 4)
		return "small pages";
	snprintf(buf, sizeof(buf), "%d kB", kb);
	return buf;
}

/* The per-PMD mprotect trick: PMD THPs become PTE-mapped, still whole. */
static void pte_map(char *p, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += PMD_SZ) {
		mprotect(p + off, PAGE_SZ, PROT_READ);
		mprotect(p + off, PAGE_SZ, PROT_READ | PROT_WRITE);
	}
	/* and khugepaged must not collapse them back while we look */
	madvise(p, len, MADV_NOHUGEPAGE);
}

/*
 * len bytes, 2 MiB aligned, of folios of kb KiB (4: small pages), filled
 * with seed; pte_mapped: PMD THPs made PTE-mapped.
 */
static char *populate(size_t len, int kb, int pte_mapped, uint64_t seed)
{
	char *p;

	enable_only(kb > 4 ? kb : 0);
	p = map_aligned(len);
	madvise(p, len, kb > 4 ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	fill(p, len, seed);
	if (pte_mapped)
		pte_map(p, len);
	return p;
}

#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_PFN ((1ULL << 55) - 1)
#define KPF_REFERENCED 2
#define KPF_LRU 5
#define KPF_ACTIVE 6
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16

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

static int kpageflags_fd = -2;

static uint64_t kpageflags(uint64_t pfn, int *ok)
{
	uint64_t f = 0;

	if (kpageflags_fd == -2)
		kpageflags_fd = open("/proc/kpageflags", O_RDONLY);
	if (kpageflags_fd < 0 ||
	    pread(kpageflags_fd, &f, 8, pfn * 8) != 8) {
		*ok = 0;
		return 0;
	}
	return f;
}

/* pid 0: this process. */
static void scan(pid_t pid, const void *addr, size_t len, struct span *s)
{
	uint64_t pm[512];
	uintptr_t a = (uintptr_t)addr;
	char path[64];
	size_t i, n, done;
	int fd;

	memset(s, 0, sizeof(*s));
	s->flags_ok = 1;
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/pagemap");
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		s->flags_ok = 0;
		s->pages = -1;
		return;
	}
	for (done = 0; done < len / PAGE_SZ; done += n) {
		n = len / PAGE_SZ - done;
		if (n > 512)
			n = 512;
		if (pread(fd, pm, n * 8, (a / PAGE_SZ + done) * 8) !=
		    (ssize_t)(n * 8)) {
			s->flags_ok = 0;
			s->pages = -1;
			break;
		}
		for (i = 0; i < n; i++) {
			uint64_t f;

			s->pages++;
			if (pm[i] & PM_SWAP)
				s->swapped++;
			if (!(pm[i] & PM_PRESENT))
				continue;
			s->present++;
			if (!(pm[i] & PM_PFN)) {
				s->flags_ok = 0;	/* PFNs hidden */
				continue;
			}
			f = kpageflags(pm[i] & PM_PFN, &s->flags_ok);
			if (f & (1ULL << KPF_COMPOUND_TAIL)) {
				s->tails++;
				continue;
			}
			if (f & (1ULL << KPF_COMPOUND_HEAD))
				s->large++;
			else
				s->small++;
			s->lru += !!(f & (1ULL << KPF_LRU));
			s->active += !!(f & (1ULL << KPF_ACTIVE));
			s->referenced += !!(f & (1ULL << KPF_REFERENCED));
		}
	}
	close(fd);
}

/* Every page of [p, p + len) present, none swapped. */
static int all_present(const void *p, size_t len)
{
	struct span s;

	scan(0, p, len, &s);
	return s.pages == (long)(len / PAGE_SZ) && s.present == s.pages &&
	       s.swapped == 0;
}

/* kB of PMD-mapped anon THP in this process. */
static long long pmd_mapped_kb(void)
{
	return field_in("/proc/self/smaps_rollup", "AnonHugePages");
}

/* Pages of [p, p + len) in memory, by mincore(). */
static long resident(void *p, size_t len)
{
	unsigned char vec[FILE_SZ / PAGE_SZ];
	size_t i, n = len / PAGE_SZ;
	long r = 0;

	if (n > sizeof(vec) || mincore(p, len, vec))
		return -1;
	for (i = 0; i < n; i++)
		r += vec[i] & 1;
	return r;
}

/*
 * Empties every CPU's LRU batches (folio_activate, folio_deactivate, ...
 * queue folios per CPU): mlock() starts with lru_add_drain_all(), on 6.1
 * and 6.12 alike.
 */
static void drain_lru_batches(void)
{
	static char *page;

	if (!page)
		page = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || mlock(page, PAGE_SZ))
		diag("mlock to drain the LRU batches: %s", strerror(errno));
	else
		munlock(page, PAGE_SZ);
}

/*
 * Reads each page twice through /proc/self/mem: GUP with FOLL_TOUCH
 * calls mark_page_accessed(), and the second call activates the folio
 * on the classic LRU (PTE-mapped pages only: a PMD-mapped THP is only
 * made young).
 */
static void activate(const char *p, size_t len)
{
	int fd = open("/proc/self/mem", O_RDONLY);
	uint64_t w;
	size_t off;
	int round;

	if (fd < 0) {
		diag("/proc/self/mem: %s", strerror(errno));
		return;
	}
	for (round = 0; round < 2; round++)
		for (off = 0; off < len; off += PAGE_SZ)
			if (pread(fd, &w, sizeof(w), (off_t)(uintptr_t)(p + off)) !=
			    sizeof(w))
				diag("pread /proc/self/mem: %s", strerror(errno));
	close(fd);
	drain_lru_batches();
}

/* MGLRU on: "active" is a generation, not a page flag. */
static int mglru(void)
{
	char buf[32];

	if (read_text("/sys/kernel/mm/lru_gen/enabled", buf, sizeof(buf)) <= 0)
		return 0;
	return strtol(buf, NULL, 0) & 1;
}

/*
 * Anon pages in the youngest generation of every lruvec, from debugfs
 * lru_gen: per memcg and node, lines "SEQ AGE_MS ANON FILE", oldest
 * first.  -1 if unreadable.
 */
static long long mglru_youngest_anon(void)
{
	static char buf[1 << 16];
	long long sum = 0, last = -1;
	char *line, *next;
	int n;

	if (read_text("/sys/kernel/debug/lru_gen", buf, sizeof(buf)) <= 0)
		return -1;
	for (line = buf; line && *line; line = next) {
		unsigned long long seq, age, anon, file;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		n = sscanf(line, " %llu %llu %llu %llu", &seq, &age, &anon,
			   &file);
		if (n == 4) {
			last = anon;
			continue;
		}
		if (last >= 0)		/* a memcg or node header ends a list */
			sum += last;
		last = -1;
	}
	if (last >= 0)
		sum += last;
	return sum;
}

/* ------------------------------------------------------------------ */
/* Driving the walker                                                  */

struct run {
	int rc;			/* the trigger write: 0 or an errno */
	long long result;	/* "result" in last */
	long long elapsed_ns;	/* "elapsed_ns" in last */
	double secs;		/* the trigger write, wall clock */
	struct rl_counters c;	/* the run's deltas, from last; -1 if none */
};

/* Selects target, range (len 0: all), walker, split, batch. */
static int request(pid_t pid, const void *start, size_t len,
		   const char *walker, int split, int batch)
{
	char buf[64];
	int err;

	snprintf(buf, sizeof(buf), "%d", pid ? pid : getpid());
	err = knob_write("pid", buf);
	if (!err) {
		if (len)
			snprintf(buf, sizeof(buf), "0x%lx 0x%lx",
				 (unsigned long)start,
				 (unsigned long)start + len);
		else
			snprintf(buf, sizeof(buf), "all");
		err = knob_write("range", buf);
	}
	if (!err)
		err = knob_write("walker", walker);
	if (!err)
		err = knob_write("split", split_name[split]);
	if (!err) {
		snprintf(buf, sizeof(buf), "%d", batch);
		err = knob_write("batch", buf);
	}
	if (err)
		diag("selecting pid %d range %p+%#zx %s split %s batch %d: %s",
		     pid ? pid : getpid(), start, len, walker,
		     split_name[split], batch, errname(err));
	return err;
}

static void read_last(struct run *r)
{
	int i;

	counters_read("last", &r->c);
	r->result = field_in(RL_DIR "last", "result");
	r->elapsed_ns = field_in(RL_DIR "last", "elapsed_ns");
	if (r->rc && r->rc != EINTR && r->rc != ESRCH)
		for (i = 0; i < RL_NR_COUNTERS; i++)
			r->c.v[i] = -1;	/* `last` is an older run's */
}

static int trigger(struct run *r)
{
	double t0 = now();

	r->rc = knob_write("trigger", "1");
	r->secs = now() - t0;
	read_last(r);
	return r->rc;
}

static void walk(pid_t pid, const void *start, size_t len,
		 const char *walker, int split, int batch, struct run *r)
{
	int i;

	memset(r, 0, sizeof(*r));
	r->rc = request(pid, start, len, walker, split, batch);
	if (r->rc) {
		r->result = -1;
		for (i = 0; i < RL_NR_COUNTERS; i++)
			r->c.v[i] = -1;
		return;
	}
	trigger(r);
}

#define W(r, name) ((r)->c.v[RL_C_walk_##name])

/* The walker's counters that moved, on one line. */
static void diag_walk(const char *name, const struct run *r)
{
	char buf[1024];
	size_t o = 0;
	int i;

	for (i = RL_C_walk_runs; i <= RL_C_walk_deactivated; i++) {
		if (i == RL_C_walk_runs || i == RL_C_walk_ns || !r->c.v[i])
			continue;
		o += snprintf(buf + o, sizeof(buf) - o, " %s %lld",
			      rl_counter_names[i] + 5, r->c.v[i]);
		if (o >= sizeof(buf))
			break;
	}
	diag("%s: %.3f s,%s", name, r->secs, o ? buf : " no walk counter moved");
}

/*
 * Every run: the trigger succeeded, ran the walker once, no batch went
 * over the limit, and every PTE in a batch was counted as scanned.
 */
static void check_run(const char *name, const struct run *r, int batch)
{
	long long b = W(r, batches), bp = W(r, batch_ptes);

	diag_walk(name, r);
	tap(r->rc == 0 && r->result == 0 && W(r, runs) == 1,
	    "%s: trigger succeeded (%s, last result %lld, walk_runs %lld)",
	    name, errname(r->rc), r->result, W(r, runs));
	tap(b >= 0 && bp >= b && bp <= b * batch &&
	    bp <= W(r, ptes_scanned),
	    "%s: no batch over %d PTEs (%lld PTEs in %lld batches, of %lld PTEs scanned)",
	    name, batch, bp, b, W(r, ptes_scanned));
}

/* The module still takes a trigger: 1 MiB of small pages on self. */
static void module_works(const char *name)
{
	size_t len = 1UL << 20;
	struct run r;
	char *p = populate(len, 4, 0, 0xa11ce);
	size_t bad;

	walk(0, p, len, "pageout", PARTIAL, 512, &r);
	bad = verify(p, len, 0xa11ce);
	tap(r.rc == 0 && r.result == 0 &&
	    W(&r, reclaimed) == (long long)(len / PAGE_SZ) && bad == 0,
	    "%s: afterwards the module still works (trigger %s, %lld of %lu pages reclaimed, %zu bad)",
	    name, errname(r.rc), W(&r, reclaimed), len / PAGE_SZ, bad);
	munmap(p, len);
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
	size_t bad;
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
	bad = verify(p, REGION, seed);
	tap(bad == 0, "%s: memory reads back identical (%zu bad pages)", name,
	    bad);
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
	size_t bad;
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
	bad = verify(p, REGION, seed);
	tap(bad == 0, "%s: memory reads back identical (%zu bad pages)", name,
	    bad);
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
	size_t bad;
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
	bad = verify(p, REGION, seed);
	tap(bad == 0, "%s: memory reads back identical (%zu bad pages)", name,
	    bad);
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
	size_t bad;

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
	bad = verify(dst, len, seed);
	tap(bad == 0, "%s: memory reads back identical (%zu bad pages)", name,
	    bad);
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
	size_t bad;
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
	bad = verify(p, REGION, seed);
	tap(bad == 0, "%s: memory reads back identical (%zu bad pages)", name,
	    bad);
	munmap(p, REGION);
}

/* ------------------------------------------------------------------ */
/* cold                                                                */

static void cold_case(int kb, int pte_mapped)
{
	const long pages = REGION / PAGE_SZ;
	const int lru_gen = mglru();
	uint64_t seed = 0xc01d0000 + kb * 4 + pte_mapped;
	long long young0 = -1, young1 = -1;
	struct span before, after;
	struct ksnap k;
	struct run r;
	char name[96];
	long folios;
	size_t bad;
	char *p;

	snprintf(name, sizeof(name), "walker cold %s%s", size_name(kb),
		 pte_mapped ? " PTE-mapped" : kb == 2048 ? " PMD-mapped" : "");
	p = populate(REGION, kb, pte_mapped, seed);
	activate(p, REGION);
	scan(0, p, REGION, &before);
	folios = before.large + before.small;
	if (lru_gen)
		young0 = mglru_youngest_anon();
	ksnap(&k);
	walk(0, p, REGION, "cold", PARTIAL, 512, &r);
	drain_lru_batches();
	ksnap_delta(&k);
	if (lru_gen)
		young1 = mglru_youngest_anon();
	scan(0, p, REGION, &after);
	check_run(name, &r, 512);

	tap(W(&r, young_cleared) > 0, "%s: young bits cleared (%lld)", name,
	    W(&r, young_cleared));
	tap(W(&r, deactivated) == folios,
	    "%s: all %ld folios deactivated (%lld)", name, folios,
	    W(&r, deactivated));
	tap(W(&r, reclaimed) == 0 && k.swap_kb == 0 && k.pswpout == 0 &&
	    after.present == pages,
	    "%s: nothing written to swap (walk_reclaimed %lld, VmSwap +%lld kB, pswpout +%lld, %ld of %ld pages present)",
	    name, W(&r, reclaimed), k.swap_kb, k.pswpout, after.present,
	    pages);
	if (lru_gen) {
		diag("%s: MGLRU is on: kpageflags has no active bit for its generations (KPF_ACTIVE %ld of %ld folios before); judging by debugfs lru_gen instead",
		     name, before.active, folios);
		if (young0 < 0)
			diag("%s: /sys/kernel/debug/lru_gen unreadable: walk_deactivated is all there is",
			     name);
		else
			tap(young0 - young1 >= pages * 9 / 10,
			    "%s: the youngest generation lost the region's pages (anon %lld -> %lld, want -%ld)",
			    name, young0, young1, pages);
	} else if (!before.flags_ok || !after.flags_ok) {
		diag("%s: /proc/kpageflags unreadable: walk_deactivated is all there is",
		     name);
	} else {
		diag("%s: before: %ld of %ld folios on the LRU, %ld active, %ld referenced",
		     name, before.lru, folios, before.active,
		     before.referenced);
		if (!before.active)
			diag("%s: nothing was active before (a PMD-mapped THP is not activated by GUP): the check below is weak",
			     name);
		tap(after.lru == folios && after.active == 0,
		    "%s: all folios on the inactive list after (%ld on the LRU, %ld active, %ld referenced)",
		    name, after.lru, after.active, after.referenced);
	}
	bad = verify(p, REGION, seed);
	tap(bad == 0, "%s: memory reads back identical (%zu bad pages)", name,
	    bad);
	munmap(p, REGION);
}

/* ------------------------------------------------------------------ */
/* Skipped and counted, never paged out                                */

/*
 * Anon memory shared with a forked child: every folio is mapped twice.
 * The child checks its copy after the walk.
 */
static void shared_case(int kb)
{
	uint64_t seed = 0x5ba7ed00 + kb;
	struct span before;
	struct ksnap k;
	struct run r;
	char name[96], c;
	int go[2], status;
	long folios;
	size_t bad;
	pid_t child;
	char *p;

	snprintf(name, sizeof(name), "walker skip shared %s", size_name(kb));
	p = populate(REGION, kb, 0, seed);
	scan(0, p, REGION, &before);
	folios = before.large + before.small;
	if (pipe(go))
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(verify(p, REGION, seed) ? 1 : 0);
	}
	close(go[0]);
	ksnap(&k);
	walk(0, p, REGION, "pageout", PARTIAL, 512, &r);
	ksnap_delta(&k);
	check_run(name, &r, 512);
	tap(W(&r, skip_shared) == folios,
	    "%s: all %ld folios skipped as shared (%lld)", name, folios,
	    W(&r, skip_shared));
	tap(W(&r, isolated) == 0 && W(&r, reclaimed) == 0 && k.swap_kb == 0 &&
	    all_present(p, REGION),
	    "%s: nothing paged out (isolated %lld, reclaimed %lld, VmSwap +%lld kB)",
	    name, W(&r, isolated), W(&r, reclaimed), k.swap_kb);
	if (write(go[1], "g", 1) != 1)
		die("write");
	close(go[1]);
	waitpid(child, &status, 0);
	tap(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: the child's copy reads back identical (status %#x)", name,
	    status);
	bad = verify(p, REGION, seed);
	tap(bad == 0, "%s: memory reads back identical (%zu bad pages)", name,
	    bad);
	munmap(p, REGION);
}

static void mlocked_case(void)
{
	const char *name = "walker skip mlocked";
	uint64_t seed = 0x3710c4ed;
	struct ksnap k;
	struct run r;
	size_t bad;
	char *p;

	p = populate(REGION, 4, 0, seed);
	if (mlock(p, REGION)) {
		diag("%s: mlock: %s", name, strerror(errno));
		tap(1, "%s: skipped: mlock failed", name);
		munmap(p, REGION);
		return;
	}
	ksnap(&k);
	walk(0, p, REGION, "pageout", PARTIAL, 512, &r);
	ksnap_delta(&k);
	check_run(name, &r, 512);
	tap(W(&r, skip_mlocked) == 1,
	    "%s: the VM_LOCKED VMA skipped and counted (%lld)", name,
	    W(&r, skip_mlocked));
	tap(W(&r, isolated) == 0 && W(&r, reclaimed) == 0 && k.swap_kb == 0 &&
	    all_present(p, REGION),
	    "%s: nothing paged out (isolated %lld, reclaimed %lld, VmSwap +%lld kB)",
	    name, W(&r, isolated), W(&r, reclaimed), k.swap_kb);
	munlock(p, REGION);
	bad = verify(p, REGION, seed);
	tap(bad == 0, "%s: memory reads back identical (%zu bad pages)", name,
	    bad);
	munmap(p, REGION);
}

static void hugetlb_case(void)
{
	const char *name = "walker skip hugetlb";
	const char *nr = "/proc/sys/vm/nr_hugepages";
	uint64_t seed = 0x6e7b;
	long long free0, free1;
	struct ksnap k;
	struct run r;
	size_t bad;
	char *p;

	if (saved_nr_hugepages < 0)
		saved_nr_hugepages = file_num(nr);
	set_text(nr, "4");
	if (file_num(nr) < 1) {
		diag("%s: no huge page could be reserved (nr_hugepages %lld)",
		     name, file_num(nr));
		tap(1, "%s: skipped: no hugetlb pages", name);
		return;
	}
	p = mmap(NULL, PMD_SZ, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED) {
		diag("%s: mmap(MAP_HUGETLB): %s", name, strerror(errno));
		tap(1, "%s: skipped: no hugetlb mapping", name);
		return;
	}
	fill(p, PMD_SZ, seed);
	free0 = field_in("/proc/meminfo", "HugePages_Free");
	ksnap(&k);
	walk(0, p, PMD_SZ, "pageout", PARTIAL, 512, &r);
	ksnap_delta(&k);
	free1 = field_in("/proc/meminfo", "HugePages_Free");
	check_run(name, &r, 512);
	tap(W(&r, skip_vma) == 1, "%s: the hugetlb VMA skipped and counted (%lld)",
	    name, W(&r, skip_vma));
	tap(W(&r, isolated) == 0 && W(&r, reclaimed) == 0 &&
	    W(&r, split) == 0 && k.swap_kb == 0 && free0 == free1,
	    "%s: nothing paged out or split (isolated %lld, reclaimed %lld, split %lld, VmSwap +%lld kB, HugePages_Free %lld -> %lld)",
	    name, W(&r, isolated), W(&r, reclaimed), W(&r, split), k.swap_kb,
	    free0, free1);
	bad = verify(p, PMD_SZ, seed);
	tap(bad == 0, "%s: memory reads back identical (%zu bad pages)", name,
	    bad);
	munmap(p, PMD_SZ);
	set_text(nr, "0");
}

/* ------------------------------------------------------------------ */
/* File mappings of a file that cannot be written                      */

/*
 * Whose right to write the file decides that its page cache may be
 * paged out.  process_madvise() judges its caller (can_do_file_pageout()
 * with current's credentials), so the contract says the writer of
 * `trigger`; the issue says "a file the target cannot write".  Set to 0
 * to judge by the target's credentials instead: the cases below then
 * expect the opposite outcome where writer and target differ.
 */
#define FILE_RIGHTS_OF_WRITER 0

#define RL_FILE "/tmp/rl_walker_file"

/*
 * Drops the capabilities that let root write any file (CAP_DAC_OVERRIDE,
 * CAP_DAC_READ_SEARCH, CAP_FOWNER) from the effective set.  uid 0 stays:
 * the knobs are root's files, mode 0600, open to their owner without
 * any capability.
 */
static int drop_file_caps(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	uint32_t drop = (1U << CAP_DAC_OVERRIDE) | (1U << CAP_DAC_READ_SEARCH) |
			(1U << CAP_FOWNER);

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[0].effective &= ~drop;
	return syscall(SYS_capset, &hdr, data) ? -1 : 0;
}

/*
 * A forked writer without those capabilities runs pageout on target's
 * [p, p + len).  Its exit status: the trigger's errno, or 99 if it could
 * still open the file for writing, 101 if capset failed, 102 if a knob
 * refused.
 */
static int trigger_without_file_caps(pid_t target, const void *p, size_t len)
{
	int status, fd;
	pid_t w = fork();

	if (w < 0)
		die("fork");
	if (!w) {
		if (drop_file_caps())
			_exit(101);
		fd = open(RL_FILE, O_WRONLY);
		if (fd >= 0)
			_exit(99);
		if (request(target, p, len, "pageout", PARTIAL, 512))
			_exit(102);
		_exit(knob_write("trigger", "1"));
	}
	waitpid(w, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * RL_FILE mapped shared, read-only, in this process; every page faulted
 * in (and checked) if touch.
 */
static char *file_map(int touch)
{
	char *p;
	int fd = open(RL_FILE, O_RDONLY);

	if (fd < 0)
		die("open " RL_FILE);
	p = mmap(NULL, FILE_SZ, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap " RL_FILE);
	close(fd);
	if (touch && verify(p, FILE_SZ, 0xf11e))
		diag(RL_FILE " does not read back what was written");
	return p;
}

static void file_create(void)
{
	char *buf = malloc(FILE_SZ);
	int fd;

	if (!buf)
		die("malloc");
	fill(buf, FILE_SZ, 0xf11e);
	unlink(RL_FILE);
	fd = open(RL_FILE, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, FILE_SZ) != (ssize_t)FILE_SZ)
		die("write " RL_FILE);
	free(buf);
	if (fchmod(fd, 0444))
		die("chmod " RL_FILE);
	close(fd);
}

/*
 * One file case: after the walk, paged_out says whether the file's pages
 * should have left memory (skipped: counted in walk_skip_file_nowrite).
 * res is the resident count after the walk, by mincore().
 */
static void file_expect(const char *name, const struct run *r, long res,
			int paged_out)
{
	const long pages = FILE_SZ / PAGE_SZ;

	check_run(name, r, 512);
	if (paged_out)
		tap(W(r, skip_file_nowrite) == 0 && W(r, reclaimed) == pages &&
		    res == 0,
		    "%s: all %ld pages paged out (reclaimed %lld, skip_file_nowrite %lld, %ld still resident)",
		    name, pages, W(r, reclaimed), W(r, skip_file_nowrite), res);
	else
		tap(W(r, skip_file_nowrite) == pages && W(r, isolated) == 0 &&
		    W(r, reclaimed) == 0 && res == pages,
		    "%s: all %ld folios skipped and counted (skip_file_nowrite %lld), none paged out (reclaimed %lld, %ld resident)",
		    name, pages, W(r, skip_file_nowrite), W(r, reclaimed), res);
}

/*
 * A 1 MiB tmpfs file, mode 0444, mapped MAP_SHARED PROT_READ:
 * 1. owned by nobody, mapped by this (root) process, walked by a root
 *    writer without DAC/FOWNER capabilities: the writer cannot write it;
 * 2. the same, walked by full root: both can, the pages go;
 * 3. owned by root, mapped by a child that became nobody, walked by full
 *    root: the target cannot write it.
 * Then stock MADV_PAGEOUT on the same mapping, for comparison.
 */
static void file_case(void)
{
	const long pages = FILE_SZ / PAGE_SZ;
	int go[2], up[2], status, wrc, fd;
	struct run r;
	size_t bad;
	pid_t child;
	char *p, c;

	file_create();
	if (chown(RL_FILE, NOBODY, NOBODY))
		die("chown " RL_FILE);
	p = file_map(1);
	diag("walker file: " RL_FILE " (tmpfs), 0444: %ld of %ld pages resident; the rights of the %s decide",
	     resident(p, FILE_SZ), pages,
	     FILE_RIGHTS_OF_WRITER ? "writer of trigger" : "target");

	/* 1 */
	memset(&r, 0, sizeof(r));
	wrc = trigger_without_file_caps(getpid(), p, FILE_SZ);
	r.rc = wrc < 99 ? wrc : EPERM;
	if (wrc >= 99)
		diag("walker file: the capability-less writer failed: exit status %d",
		     wrc);
	read_last(&r);
	file_expect("walker file nobody's, writer without file capabilities, target root",
		    &r, resident(p, FILE_SZ), !FILE_RIGHTS_OF_WRITER);
	bad = verify(p, FILE_SZ, 0xf11e);

	/* 2 */
	walk(0, p, FILE_SZ, "pageout", PARTIAL, 512, &r);
	file_expect("walker file nobody's, writer root, target root", &r,
		    resident(p, FILE_SZ), 1);
	bad += verify(p, FILE_SZ, 0xf11e);

	if (madvise(p, FILE_SZ, MADV_PAGEOUT))
		diag("walker file: stock MADV_PAGEOUT: %s", strerror(errno));
	diag("walker file: stock MADV_PAGEOUT (root, on itself) left %ld of %ld pages resident",
	     resident(p, FILE_SZ), pages);
	bad += verify(p, FILE_SZ, 0xf11e);
	munmap(p, FILE_SZ);

	/*
	 * 3: the child inherits a read-only descriptor (the guest's / is
	 * root's, mode 0700: nobody cannot open paths).
	 */
	fd = open(RL_FILE, O_RDONLY);
	if (fd < 0 || chown(RL_FILE, 0, 0) || pipe(go) || pipe(up))
		die("open/chown/pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		close(up[0]);
		close(go[1]);
		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(101);
		p = mmap(NULL, FILE_SZ, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED || verify(p, FILE_SZ, 0xf11e))
			_exit(102);
		if (write(up[1], &p, sizeof(p)) != sizeof(p) ||
		    read(go[0], &c, 1) != 1)
			_exit(103);
		_exit(0);
	}
	close(fd);
	close(up[1]);
	close(go[0]);
	if (read(up[0], &p, sizeof(p)) != sizeof(p)) {
		waitpid(child, &status, 0);
		tap(0, "walker file: the child could not become nobody and map the file (status %#x)",
		    status);
		close(up[0]);
		close(go[1]);
		unlink(RL_FILE);
		return;
	}
	close(up[0]);
	walk(child, p, FILE_SZ, "pageout", PARTIAL, 512, &r);
	p = file_map(0);		/* mincore without faulting */
	file_expect("walker file root's, writer root, target nobody", &r,
		    resident(p, FILE_SZ), FILE_RIGHTS_OF_WRITER);
	if (write(go[1], "g", 1) != 1)
		diag("walker file: child gone");
	close(go[1]);
	waitpid(child, &status, 0);
	bad += verify(p, FILE_SZ, 0xf11e);
	tap(bad == 0, "walker file: the file reads back identical after each (%zu bad pages)",
	    bad);
	munmap(p, FILE_SZ);
	unlink(RL_FILE);
}

/* ------------------------------------------------------------------ */
/* range all, target exits mid-walk, writer killed mid-trigger        */

/* A field of /proc/PID/status, thread-safe (own buffer); -1 if none. */
static long long status_kb(pid_t pid, const char *field)
{
	char path[64], buf[4096], *s;
	size_t len = strlen(field);

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_text(path, buf, sizeof(buf)) <= 0)
		return -1;
	for (s = buf; s; s = strchr(s, '\n')) {
		if (*s == '\n')
			s++;
		if (!strncmp(s, field, len) && s[len] == ':')
			return strtoll(s + len + 1, NULL, 10);
	}
	return -1;
}

/*
 * A forked child maps len bytes of small pages (fill: with seed, else
 * one word a page) and reports the address; then, when told, verifies
 * (fill only) and exits 0 if all is well.  Returns its pid.
 */
struct target {
	pid_t pid;
	char *p;
	int go;			/* write a byte: verify and exit */
};

static void start_target(struct target *t, size_t len, int do_fill,
			 uint64_t seed)
{
	int up[2], down[2];
	char c;

	enable_only(0);
	if (pipe(up) || pipe(down))
		die("pipe");
	t->pid = fork();
	if (t->pid < 0)
		die("fork");
	if (!t->pid) {
		char *p = map_aligned(len);
		size_t off;

		close(up[0]);
		close(down[1]);
		madvise(p, len, MADV_NOHUGEPAGE);
		if (do_fill)
			fill(p, len, seed);
		else
			for (off = 0; off < len; off += PAGE_SZ)
				*(volatile uint64_t *)(p + off) = off + 1;
		if (write(up[1], &p, sizeof(p)) != sizeof(p))
			_exit(3);
		if (read(down[0], &c, 1) != 1)
			_exit(2);
		_exit(do_fill && verify(p, len, seed) ? 1 : 0);
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], &t->p, sizeof(t->p)) != sizeof(t->p))
		die("target setup");
	close(up[0]);
	t->go = down[1];
}

/* Tells the target to verify and exit; its exit status. */
static int finish_target(struct target *t)
{
	int status;

	if (write(t->go, "g", 1) != 1)
		diag("target %d gone before verifying", t->pid);
	close(t->go);
	waitpid(t->pid, &status, 0);
	return status;
}

/*
 * Range all on a child: its fresh region goes to swap, what it shares
 * with this process (fork) stays, and the [vvar] mapping (VM_PFNMAP |
 * VM_IO on x86) is skipped as a VMA.
 */
static void range_all_case(void)
{
	const char *name = "walker range all";
	const size_t len = REGION;
	uint64_t seed = 0xa11a11;
	struct target t;
	struct span s;
	struct run r;
	long long swap0, swap1;
	int status;

	start_target(&t, len, 1, seed);
	swap0 = status_kb(t.pid, "VmSwap");
	walk(t.pid, NULL, 0, "pageout", PARTIAL, 512, &r);
	swap1 = status_kb(t.pid, "VmSwap");
	scan(t.pid, t.p, len, &s);
	check_run(name, &r, 512);
	tap(W(&r, skip_vma) >= 1,
	    "%s: [vvar] (VM_PFNMAP|VM_IO) skipped as a VMA (skip_vma %lld)",
	    name, W(&r, skip_vma));
	tap(W(&r, skip_shared) > 0,
	    "%s: memory shared with the parent since fork skipped (skip_shared %lld)",
	    name, W(&r, skip_shared));
	/* file pages only the child maps may go too, not into its VmSwap */
	tap(s.swapped == (long)(len / PAGE_SZ) &&
	    W(&r, reclaimed) >= (swap1 - swap0) / 4 &&
	    swap1 - swap0 >= (long long)(len / 1024),
	    "%s: the child's region went to swap (%ld of %lu pages; child's VmSwap +%lld kB, walk_reclaimed %lld)",
	    name, s.swapped, len / PAGE_SZ, swap1 - swap0, W(&r, reclaimed));
	status = finish_target(&t);
	tap(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: the child's memory reads back identical (status %#x)", name,
	    status);
}

struct killer {
	pid_t victim;		/* a child: killed once it has swap, reaped */
	double t_kill, t_reaped;
	long long swap_kb;	/* its VmSwap when killed */
	int status;
};

static void *killer_thread(void *arg)
{
	struct killer *k = arg;
	double end = now() + 10;
	long long kb = 0;

	while (now() < end) {
		kb = status_kb(k->victim, "VmSwap");
		if (kb != 0)
			break;
		usleep(1000);
	}
	k->swap_kb = kb;
	k->t_kill = now();
	kill(k->victim, SIGKILL);
	if (waitpid(k->victim, &k->status, 0) != k->victim)
		k->status = -1;
	k->t_reaped = now();
	return NULL;
}

/*
 * The target is SIGKILLed (by a thread of this process) once the walk
 * has begun to swap it out, and reaped by that thread: its exit must
 * not wait for the walk, the trigger must end well.
 */
static void target_exit_case(void)
{
	const char *name = "walker target exits mid-walk";
	struct killer k = { 0 };
	struct target t;
	pthread_t th;
	struct run r;
	double t_start, t_end;
	int status, err;

	t_start = now();
	start_target(&t, BIG, 0, 0);
	diag("%s: target %d mapped %lu MiB in %.2f s", name, t.pid, BIG >> 20,
	     now() - t_start);
	memset(&r, 0, sizeof(r));
	r.rc = request(t.pid, t.p, BIG, "pageout", PARTIAL, 512);
	if (r.rc) {
		tap(0, "%s: cannot select the target: %s", name,
		    errname(r.rc));
		kill(t.pid, SIGKILL);
		waitpid(t.pid, &status, 0);
		return;
	}
	k.victim = t.pid;
	err = pthread_create(&th, NULL, killer_thread, &k);
	if (err) {
		errno = err;
		die("pthread_create");
	}
	t_start = now();
	trigger(&r);
	t_end = now();
	pthread_join(th, NULL);
	close(t.go);
	diag("%s: trigger %s after %.3f s; kill at +%.3f s (target had %lld kB swapped), reaped at +%.3f s; last result %lld",
	     name, errname(r.rc), t_end - t_start, k.t_kill - t_start,
	     k.swap_kb, k.t_reaped - t_start, r.result);
	diag_walk(name, &r);
	if (r.rc == 0 && t_end - k.t_reaped > 0.5)
		diag("%s: the walk went on %.3f s after the target was reaped, paging out the memory of a dead process",
		     name, t_end - k.t_reaped);
	tap(k.swap_kb > 0 && k.t_kill < t_end,
	    "%s: the kill landed while the walk was paging the target out",
	    name);
	tap(r.rc == 0 || r.rc == ESRCH || r.rc == EINTR,
	    "%s: trigger returned 0, ESRCH or EINTR (%s)", name,
	    errname(r.rc));
	tap(r.rc == ESRCH || r.result == -r.rc,
	    "%s: last records the run's result (%lld)", name, r.result);
	tap(k.status != -1 && WIFSIGNALED(k.status) &&
	    WTERMSIG(k.status) == SIGKILL && k.t_reaped - k.t_kill < 5,
	    "%s: the target died of SIGKILL and was reaped %.3f s after the kill",
	    name, k.t_reaped - k.t_kill);
	module_works(name);
}

/*
 * A forked writer triggers pageout of a big target with batch 1 and is
 * SIGKILLed once the walk has begun: it must die promptly, the run ends
 * with -EINTR and exact counters, the target's memory is intact.
 */
static void writer_kill_case(void)
{
	const char *name = "walker writer killed mid-trigger";
	uint64_t seed = 0x6b111;
	long long swap0, swap1, kb = 0;
	struct target t;
	struct run r;
	int sync[2], status, wstatus;
	double t0, t_kill, t_dead;
	char c = 0;
	pid_t w;

	t0 = now();
	start_target(&t, BIG, 1, seed);
	diag("%s: target %d filled %lu MiB in %.2f s", name, t.pid, BIG >> 20,
	     now() - t0);
	swap0 = status_kb(t.pid, "VmSwap");
	if (pipe(sync))
		die("pipe");
	w = fork();
	if (w < 0)
		die("fork");
	if (!w) {
		int err = request(t.pid, t.p, BIG, "pageout", PARTIAL, 1);

		if (err)
			_exit(100);
		if (write(sync[1], "s", 1) != 1)
			_exit(101);
		err = knob_write("trigger", "1");
		c = 'd';
		if (write(sync[1], &c, 1) != 1)
			_exit(101);
		pause();
		_exit(err);
	}
	close(sync[1]);
	if (read(sync[0], &c, 1) != 1 || c != 's') {
		tap(0, "%s: the writer could not select the target", name);
		kill(t.pid, SIGKILL);
		waitpid(w, &wstatus, 0);
		waitpid(t.pid, &status, 0);
		return;
	}
	t0 = now();
	while (now() - t0 < 10 && (kb = status_kb(t.pid, "VmSwap")) == swap0)
		usleep(1000);
	t_kill = now();
	kill(w, SIGKILL);
	waitpid(w, &wstatus, 0);
	t_dead = now();
	c = 0;
	fcntl(sync[0], F_SETFL, O_NONBLOCK);
	if (read(sync[0], &c, 1) != 1)
		c = 0;
	close(sync[0]);
	memset(&r, 0, sizeof(r));
	r.rc = EINTR;
	read_last(&r);
	swap1 = status_kb(t.pid, "VmSwap");
	diag("%s: walk began after %.3f s (target VmSwap %lld kB); writer died %.3f s after SIGKILL; last: result %lld, elapsed %.3f s",
	     name, t_kill - t0, kb, t_dead - t_kill, r.result,
	     r.elapsed_ns / 1e9);
	diag_walk(name, &r);
	tap(kb > swap0 && c != 'd',
	    "%s: the kill landed inside the trigger, after the walk began",
	    name);
	tap(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL &&
	    t_dead - t_kill < 5,
	    "%s: the writer died of SIGKILL within 5 s (%.3f s)", name,
	    t_dead - t_kill);
	tap(r.result == -EINTR && W(&r, reclaimed) < (long long)(BIG / PAGE_SZ),
	    "%s: last: the run stopped early with -EINTR (result %lld, %lld of %lu pages reclaimed)",
	    name, r.result, W(&r, reclaimed), BIG / PAGE_SZ);
	tap((swap1 - swap0) / 4 == W(&r, reclaimed),
	    "%s: last: walk_reclaimed %lld == the target's VmSwap +%lld kB / 4",
	    name, W(&r, reclaimed), swap1 - swap0);
	t0 = now();
	status = finish_target(&t);
	tap(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: the target's memory reads back identical (status %#x, %.2f s)",
	    name, status, now() - t0);
	module_works(name);
}

/* ------------------------------------------------------------------ */
/* Side by side with stock MADV_PAGEOUT                               */

/* process_madvise(MADV_PAGEOUT) on self; madvise() if it is missing. */
static int stock_pageout(void *p, size_t len)
{
	static int pidfd = -2;
	struct iovec iov = { .iov_base = p, .iov_len = len };
	long n;

	if (pidfd == -2)
		pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd >= 0) {
		n = syscall(SYS_process_madvise, pidfd, &iov, 1, MADV_PAGEOUT,
			    0);
		if (n == (long)len)
			return 0;
		if (n >= 0)
			return EIO;
		if (errno != ENOSYS)
			return errno;
	}
	return madvise(p, len, MADV_PAGEOUT) ? errno : 0;
}

struct bench {
	double secs;
	long long pages;	/* by VmSwap */
	long long reclaimed;	/* by walk_reclaimed (module runs) */
	size_t bad;
	int err;
};

/* way: 0 stock, 1 module (batch 512, split partial), 2 (1, always) */
static void bench_one(int kb, int pte_mapped, int way, struct bench *b)
{
	uint64_t seed = 0xbe7c0000 + kb * 8 + pte_mapped * 4 + way;
	long long swap0;
	struct run r;
	double t0;
	char *p;

	memset(b, 0, sizeof(*b));
	p = populate(BENCH, kb, pte_mapped, seed);
	swap0 = self_swap_kb();
	if (way == 0) {
		t0 = now();
		b->err = stock_pageout(p, BENCH);
		b->secs = now() - t0;
		b->reclaimed = -1;
	} else {
		walk(0, p, BENCH, "pageout", way == 1 ? PARTIAL : ALWAYS,
		     way == 1 ? 512 : 1, &r);
		b->err = r.rc;
		b->secs = r.secs;
		b->reclaimed = W(&r, reclaimed);
	}
	b->pages = (self_swap_kb() - swap0) / 4;
	b->bad = verify(p, BENCH, seed);
	munmap(p, BENCH);
}

static int within_1pc(long long a, long long b)
{
	long long d = a > b ? a - b : b - a, m = a > b ? a : b;

	return d * 100 <= m;
}

static void bench_case(int kb, int pte_mapped)
{
	struct bench s, m, a;
	char name[96];

	snprintf(name, sizeof(name), "walker bench %s%s, %lu MiB",
		 size_name(kb), pte_mapped ? " PTE-mapped" : "", BENCH >> 20);
	bench_one(kb, pte_mapped, 0, &s);
	bench_one(kb, pte_mapped, 1, &m);
	bench_one(kb, pte_mapped, 2, &a);
	diag("%s: time stock : module : module batch 1 split always = %.3f : %.3f : %.3f s = %.2f : 1 : %.2f",
	     name, s.secs, m.secs, a.secs, m.secs > 0 ? s.secs / m.secs : 0,
	     m.secs > 0 ? a.secs / m.secs : 0);
	diag("%s: pages reclaimed: stock %lld, module %lld (walk_reclaimed %lld), batch 1 split always %lld (walk_reclaimed %lld)",
	     name, s.pages, m.pages, m.reclaimed, a.pages, a.reclaimed);
	tap(!s.err && !m.err && s.pages > 0 && within_1pc(s.pages, m.pages) &&
	    within_1pc(s.pages, m.reclaimed),
	    "%s: module reclaims what stock process_madvise does, within 1%% (%lld, %lld pages; %s, %s)",
	    name, s.pages, m.pages, errname(s.err), errname(m.err));
	tap(!a.err && within_1pc(s.pages, a.pages) &&
	    within_1pc(s.pages, a.reclaimed),
	    "%s: so does batch 1 split always (%lld pages, %s)", name, a.pages,
	    errname(a.err));
	tap(!s.bad && !m.bad && !a.bad,
	    "%s: memory reads back identical after each (%zu, %zu, %zu bad pages)",
	    name, s.bad, m.bad, a.bad);
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	/* the large sizes: kB and PTE-mapped, as each kernel offers them */
	int sizes[NR_MTHP + 2][2], nr = 0, i;
	int cut_kb = 64, cut_pte = 0;	/* a PTE-mapped large folio size */
	double t0 = now();

	only = argc > 1 ? argv[1] : NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	save_thp();
	if (have_mthp()) {
		diag("mTHP kernel: every size in turn, PMD THP also PTE-mapped");
		for (i = 0; i < NR_MTHP; i++) {
			sizes[nr][0] = mthp_kb[i];
			sizes[nr++][1] = 0;
		}
	} else {
		diag("no mTHP: PMD THP, PMD-mapped and PTE-mapped");
		sizes[nr][0] = 2048;
		sizes[nr++][1] = 0;
		cut_kb = 2048;
		cut_pte = 1;
	}
	sizes[nr][0] = 2048;
	sizes[nr++][1] = 1;
	diag("LRU: %s; swap: %lld kB free", mglru() ? "MGLRU" : "classic",
	     field_in("/proc/meminfo", "SwapFree"));

	if (want("pageout")) {
		for (i = 0; i < nr; i++)
			pageout_case(sizes[i][0], sizes[i][1], PARTIAL, 512);
		pageout_case(4, 0, PARTIAL, 512);
	}
	if (want("batch")) {
		for (i = 0; i < nr; i++) {
			pageout_case(sizes[i][0], sizes[i][1], PARTIAL, 1);
			pageout_case(sizes[i][0], sizes[i][1], ALWAYS, 1);
		}
		pageout_case(4, 0, PARTIAL, 1);
		pageout_case(cut_kb, cut_pte, ALWAYS, 512);
		batch_edge_case(cut_kb, cut_pte);
	}
	if (want("cut")) {
		for (i = NEVER; i <= ALWAYS; i++) {
			cut_range_case(cut_kb, cut_pte, i);
			cut_range_case(2048, 0, i);
		}
		cut_vma_case(have_mthp() ? 64 : 2048, NEVER);
		cut_vma_case(have_mthp() ? 64 : 2048, PARTIAL);
		cross_pmd_case(NEVER);
		cross_pmd_case(PARTIAL);
		split_failed_case(cut_kb, cut_pte);
	}
	if (want("cold")) {
		cold_case(4, 0);
		cold_case(cut_kb, cut_pte);
		cold_case(2048, 0);
	}
	if (want("skip")) {
		shared_case(4);
		shared_case(have_mthp() ? 64 : 2048);
		mlocked_case();
		hugetlb_case();
	}
	if (want("file"))
		file_case();
	if (want("all"))
		range_all_case();
	if (want("exit"))
		target_exit_case();
	if (want("kill"))
		writer_kill_case();
	if (want("bench")) {
		for (i = 0; i < nr; i++)
			bench_case(sizes[i][0], sizes[i][1]);
		bench_case(4, 0);
	}

	request(0, NULL, 0, "pageout", PARTIAL, 512);	/* the defaults */
	restore_thp();
	diag("t_walker: %.1f s", now() - t0);
	return rl_failures ? 1 : 0;
}
