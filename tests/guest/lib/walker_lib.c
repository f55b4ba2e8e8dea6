// SPDX-License-Identifier: GPL-2.0
/*
 * What the walker tests (t_walker_*.c) share: the THP settings, saved at
 * the start and restored at the end of every program; the kernel's
 * counters around a walk; populating memory and looking at it page by
 * page; driving the walker through the knobs and judging each run.
 */
#include "walker_lib.h"
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>

const char *const split_name[] = { "never", "partial", "always" };

/* argv[1]: run only the groups matching it, or any of a comma list */
static const char *only;

int want(const char *group)
{
	const char *w = only;
	size_t len;

	if (!only)
		return 1;
	for (; *w; w += len + (w[len] == ',')) {
		len = strcspn(w, ",");
		if (len && memmem(group, strlen(group), w, len))
			return 1;
	}
	return 0;
}

int want_named(const char *group)
{
	return only && want(group);
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *errname(int err)
{
	return err ? strerrorname_np(err) : "success";
}

/* ------------------------------------------------------------------ */
/* THP configuration saved and restored (the helpers are in thp.h)     */

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

/* nr_hugepages as it was before this program first changed it. */
void save_nr_hugepages(void)
{
	if (saved_nr_hugepages < 0)
		saved_nr_hugepages = file_num("/proc/sys/vm/nr_hugepages");
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


void ksnap(struct ksnap *k)
{
	k->swap_kb = self_swap_kb();
	k->pswpout = vmstat("pswpout");
	k->swpout = large_swpout();
	k->splits = large_splits();
	k->split_failed = large_split_failed();
}

void ksnap_delta(struct ksnap *k)
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

const char *size_name(int kb)
{
	static char buf[32];

	if (kb <= 4)
		return "small pages";
	snprintf(buf, sizeof(buf), "%d kB", kb);
	return buf;
}

/* The per-PMD mprotect trick: PMD THPs become PTE-mapped, still whole. */
void pte_map(char *p, size_t len)
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
char *populate(size_t len, int kb, int pte_mapped, uint64_t seed)
{
	char *p;

	/* before any measured window: see unmap_prime_mmlist() */
	if (!getenv("RL_NO_PRIME"))
		unmap_prime_mmlist();
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
void scan(pid_t pid, const void *addr, size_t len, struct span *s)
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

/* kB of PMD-mapped anon THP in this process. */
long long pmd_mapped_kb(void)
{
	return field_in("/proc/self/smaps_rollup", "AnonHugePages");
}

/* MGLRU on: "active" is a generation, not a page flag. */
int mglru(void)
{
	char buf[32];

	if (read_text("/sys/kernel/mm/lru_gen/enabled", buf, sizeof(buf)) <= 0)
		return 0;
	return strtol(buf, NULL, 0) & 1;
}

/* ------------------------------------------------------------------ */
/* Driving the walker                                                  */

const char *walk_unmap = "kernel";

/* Selects target, range (len 0: all), walker, split, batch, walk_unmap. */
int request(pid_t pid, const void *start, size_t len,
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
	if (!err)
		err = knob_write("unmap", walk_unmap);
	/* a walk of this process: see unmap_prime_mmlist() */
	if (!err && !strcmp(walk_unmap, "batched") &&
	    (!pid || pid == getpid()) && !getenv("RL_NO_PRIME"))
		unmap_prime_mmlist();
	if (err)
		diag("selecting pid %d range %p+%#zx %s split %s batch %d unmap %s: %s",
		     pid ? pid : getpid(), start, len, walker,
		     split_name[split], batch, walk_unmap, errname(err));
	return err;
}

void read_last(struct run *r)
{
	int i;

	counters_read("last", &r->c);
	r->result = field_in(RL_DIR "last", "result");
	r->elapsed_ns = field_in(RL_DIR "last", "elapsed_ns");
	if (r->rc && r->rc != EINTR && r->rc != ESRCH)
		for (i = 0; i < RL_NR_COUNTERS; i++)
			r->c.v[i] = -1;	/* `last` is an older run's */
}

int trigger(struct run *r)
{
	double t0 = now();

	r->rc = knob_write("trigger", "1");
	r->secs = now() - t0;
	read_last(r);
	return r->rc;
}

void walk(pid_t pid, const void *start, size_t len,
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

/* The walker's counters that moved, on one line. */
void diag_walk(const char *name, const struct run *r)
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
void check_run(const char *name, const struct run *r, int batch)
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

/* ------------------------------------------------------------------ */
/* A program's start and end                                           */

/*
 * argv[1] selects the groups; the THP settings are saved; the large
 * folio sizes this kernel offers are listed in e.
 */
void walker_start(int argc, char **argv, struct walker_env *e)
{
	int i;

	e->t0 = now();
	e->nr = 0;
	e->cut_kb = 64;
	e->cut_pte = 0;
	only = argc > 1 ? argv[1] : NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	save_thp();
	if (have_mthp()) {
		diag("mTHP kernel: every size in turn, PMD THP also PTE-mapped");
		for (i = 0; i < NR_MTHP; i++) {
			e->sizes[e->nr][0] = mthp_kb[i];
			e->sizes[e->nr++][1] = 0;
		}
	} else {
		diag("no mTHP: PMD THP, PMD-mapped and PTE-mapped");
		e->sizes[e->nr][0] = 2048;
		e->sizes[e->nr++][1] = 0;
		e->cut_kb = 2048;
		e->cut_pte = 1;
	}
	e->sizes[e->nr][0] = 2048;
	e->sizes[e->nr++][1] = 1;
	diag("LRU: %s; swap: %lld kB free", mglru() ? "MGLRU" : "classic",
	     field_in("/proc/meminfo", "SwapFree"));
}

/*
 * The knobs back to their defaults, the THP settings (and nr_hugepages)
 * restored; the exit status: 1 if any check failed, in the program
 * (failures: its rl_failures) or here.
 */
int walker_end(const char *prog, const struct walker_env *e, int failures)
{
	request(0, NULL, 0, "pageout", PARTIAL, 512);	/* the defaults */
	restore_thp();
	diag("%s: %.1f s", prog, now() - e->t0);
	return failures || rl_failures ? 1 : 0;
}

int stock_pageout(void *p, size_t len)
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

int uffd_wp_supported(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC), ok;

	if (fd < 0)
		return 0;
	/* the kernel clears the WP features its architecture lacks */
	ok = !ioctl(fd, UFFDIO_API, &api) &&
	     (api.features & UFFD_FEATURE_PAGEFAULT_FLAG_WP);
	close(fd);
	return ok;
}

int uffd_register(void *p, size_t len, unsigned long long mode)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)p, .len = len },
		.mode = mode,
	};
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK), err;

	if (fd < 0)
		return -1;
	if (ioctl(fd, UFFDIO_API, &api) || ioctl(fd, UFFDIO_REGISTER, &reg)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* A hot-added zram disk of @mib MiB: its number, or -1. */
int zram_add(int mib)
{
	char path[96], size[32];
	int id = (int)file_num("/sys/class/zram-control/hot_add");

	if (id <= 0)
		return -1;
	snprintf(path, sizeof(path), "/sys/block/zram%d/disksize", id);
	snprintf(size, sizeof(size), "%dM", mib);
	if (write_bytes(path, size, strlen(size), -1))
		return -1;
	return id;
}

void zram_remove(int id)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", id);
	set_text("/sys/class/zram-control/hot_remove", buf);
}
