// SPDX-License-Identifier: GPL-2.0
/*
 * pte_reclaim under fire, for a bounded time.  A target process holds
 * REGION_TABLES PTE tables of anonymous memory; its threads write pages,
 * MADV_DONTNEED whole tables and single pages, read pages, pin pages for
 * O_DIRECT writes to a zram disk (GUP-fast), and fork children that COW
 * write and check.  Another thread of this process reads the target with
 * process_vm_readv().  Meanwhile this process triggers pte_reclaim on the
 * region in a loop, every other run with pte_reclaim_zero 1 (the readers
 * map the zero page).
 *
 * Every page holds, in its first and last word, ((page index) << 32 |
 * generation) or zero: whoever reads a page (the target, its children,
 * process_vm_readv, the disk after O_DIRECT) checks that it is its own
 * page or zero, never another's.  At the end the target fills every page
 * with a pattern, the walkers run once more, and every byte is checked;
 * then everything is zapped and the walker must bring VmPTE back.
 * Usage: t_walker_pte_stress [seconds]   (default 20)
 */
#include "walker_lib.h"
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define REGION_TABLES 16UL
#define REGION_LEN (REGION_TABLES * PMD_SZ)
#define REGION_PAGES (REGION_LEN / PAGE_SZ)
#define DIO_LEN (16 * PAGE_SZ)
#define LAST_WORD (PAGE_SZ / 8 - 1)

enum op { OP_WRITE, OP_ZAP, OP_READ, OP_DIO, OP_FORK, OP_VMREAD, NR_OPS };
static const char *const op_name[NR_OPS] = {
	"page writes", "MADV_DONTNEED", "page reads", "O_DIRECT writes",
	"forks", "process_vm_readv",
};

/* Shared between this process and the target (MAP_SHARED). */
struct ctl {
	volatile int phase;	/* see enum phase */
	volatile int dio_fd_ok;
	char *volatile region;
	volatile long ops[NR_OPS];
	volatile long bad[NR_OPS];	/* pages found holding another's data */
	volatile long final_bad;	/* pages not identical at the end */
	volatile long long vm_pte_filled, vm_pte_dontneed, vm_pte_zapped;
};

enum phase {
	PH_START,	/* target: map, touch, publish region */
	PH_RUN,		/* everyone: churn */
	PH_STOP,	/* target: join threads, fill the pattern */
	PH_FILLED,	/* parent: walk once more */
	PH_VERIFY,	/* target: verify every byte, zap all */
	PH_ZAPPED,	/* parent: walk */
	PH_DONE,	/* target: report VmPTE and exit */
	PH_EXIT,
};

static struct ctl *ctl;
static pid_t target;
static int dio_fd = -1;

static void wait_phase(int phase)
{
	while (ctl->phase < phase)
		usleep(1000);
}

static uint64_t stamp(size_t page, uint32_t gen)
{
	return (uint64_t)page << 32 | gen;
}

/* A page's two stamp words are its own or zero. */
static int page_ok(const uint64_t *w, size_t page)
{
	return (w[0] == 0 || w[0] >> 32 == page) &&
	       (w[LAST_WORD] == 0 || w[LAST_WORD] >> 32 == page);
}

static unsigned int rnd(unsigned int *seed, unsigned int n)
{
	return rand_r(seed) % n;
}

static char *page_at(size_t i)
{
	return ctl->region + i * PAGE_SZ;
}

static void *writer(void *arg)
{
	unsigned int seed = (uintptr_t)arg;
	uint32_t gen = 1;

	while (ctl->phase == PH_RUN) {
		size_t i = rnd(&seed, REGION_PAGES);
		uint64_t *w = (uint64_t *)page_at(i);

		w[0] = stamp(i, gen);
		w[LAST_WORD] = stamp(i, gen++);
		if (!page_ok(w, i))
			ctl->bad[OP_WRITE]++;
		ctl->ops[OP_WRITE]++;
	}
	return NULL;
}

static void *zapper(void *arg)
{
	unsigned int seed = (uintptr_t)arg;

	while (ctl->phase == PH_RUN) {
		size_t t = rnd(&seed, REGION_TABLES);

		/* a whole table (empty, reclaimable) or one page */
		if (rnd(&seed, 2))
			madvise(ctl->region + t * PMD_SZ, PMD_SZ, MADV_DONTNEED);
		else
			madvise(page_at(rnd(&seed, REGION_PAGES)), PAGE_SZ,
				MADV_DONTNEED);
		ctl->ops[OP_ZAP]++;
		usleep(rnd(&seed, 2000));
	}
	return NULL;
}

static void *reader(void *arg)
{
	unsigned int seed = (uintptr_t)arg;

	while (ctl->phase == PH_RUN) {
		size_t i = rnd(&seed, REGION_PAGES);

		if (!page_ok((const uint64_t *)page_at(i), i))
			ctl->bad[OP_READ]++;
		ctl->ops[OP_READ]++;
	}
	return NULL;
}

/* O_DIRECT pins the target's pages (GUP) to write them to the disk. */
static void *dio(void *arg)
{
	unsigned int seed = (uintptr_t)arg;
	uint64_t *buf;
	size_t i, k;

	if (posix_memalign((void **)&buf, PAGE_SZ, DIO_LEN))
		return NULL;
	while (ctl->phase == PH_RUN) {
		i = rnd(&seed, REGION_PAGES / 16) * 16;
		if (pwrite(dio_fd, page_at(i), DIO_LEN, 0) != (ssize_t)DIO_LEN ||
		    pread(dio_fd, buf, DIO_LEN, 0) != (ssize_t)DIO_LEN) {
			ctl->bad[OP_DIO]++;
			break;
		}
		for (k = 0; k < 16; k++)
			if (!page_ok(buf + k * PAGE_SZ / 8, i + k))
				ctl->bad[OP_DIO]++;
		ctl->ops[OP_DIO]++;
	}
	free(buf);
	return NULL;
}

/* Children COW-write some pages, check them and every other page. */
static void *forker(void *arg)
{
	unsigned int seed = (uintptr_t)arg;
	int status;

	while (ctl->phase == PH_RUN) {
		pid_t child = fork();

		if (child == 0) {
			int bad = 0;
			size_t i, n;

			for (n = 0; n < 64; n++) {
				uint64_t *w;

				i = rnd(&seed, REGION_PAGES);
				w = (uint64_t *)page_at(i);
				w[0] = stamp(i, 0xc0c0c0c0);
				bad += w[0] != stamp(i, 0xc0c0c0c0);
			}
			for (i = 0; i < REGION_PAGES; i++)
				bad += !page_ok((const uint64_t *)page_at(i), i);
			_exit(bad ? 1 : 0);
		}
		if (child < 0 || waitpid(child, &status, 0) != child ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			ctl->bad[OP_FORK]++;
		ctl->ops[OP_FORK]++;
		usleep(50000);
	}
	return NULL;
}

static void run_target(void)
{
	void *(*const fn[])(void *) = { writer, zapper, reader, forker, dio };
	int nr = dio_fd >= 0 ? 5 : 4;
	pthread_t th[5];
	char *p;
	int i;

	p = map_aligned(REGION_LEN);
	madvise(p, REGION_LEN, MADV_NOHUGEPAGE);
	memset(p, 0, REGION_LEN);	/* stamps or zeros from now on */
	ctl->region = p;
	ctl->phase = PH_RUN;
	for (i = 0; i < nr; i++)
		pthread_create(&th[i], NULL, fn[i], (void *)(uintptr_t)(i + 1));
	wait_phase(PH_STOP);
	for (i = 0; i < nr; i++)
		pthread_join(th[i], NULL);

	fill(p, REGION_LEN, 77);
	ctl->phase = PH_FILLED;
	wait_phase(PH_VERIFY);
	ctl->final_bad = verify(p, REGION_LEN, 77);
	ctl->vm_pte_filled = field_in("/proc/self/status", "VmPTE");
	madvise(p, REGION_LEN, MADV_DONTNEED);
	/* what the kernel itself freed (PT_RECLAIM, 6.14+) */
	ctl->vm_pte_dontneed = field_in("/proc/self/status", "VmPTE");
	ctl->phase = PH_ZAPPED;
	wait_phase(PH_DONE);
	ctl->vm_pte_zapped = field_in("/proc/self/status", "VmPTE");
	ctl->phase = PH_EXIT;
	_exit(0);
}

static void *vm_reader(void *arg)
{
	unsigned int seed = (uintptr_t)arg;
	uint64_t buf[PAGE_SZ / 8];

	while (ctl->phase == PH_RUN) {
		size_t i = rnd(&seed, REGION_PAGES);
		struct iovec local = { buf, PAGE_SZ };
		struct iovec remote = { page_at(i), PAGE_SZ };

		if (process_vm_readv(target, &local, 1, &remote, 1, 0) !=
		    (ssize_t)PAGE_SZ || !page_ok(buf, i))
			ctl->bad[OP_VMREAD]++;
		ctl->ops[OP_VMREAD]++;
	}
	return NULL;
}

/* A spare zram disk for O_DIRECT, or -1. */
static int open_dio_disk(void)
{
	char id[16], path[64];
	int fd;

	if (read_text("/sys/class/zram-control/hot_add", id, sizeof(id)) <= 0)
		return -1;
	id[strcspn(id, "\n")] = '\0';
	snprintf(path, sizeof(path), "/sys/block/zram%s/disksize", id);
	if (write_bytes(path, "4M", 2, -1))
		return -1;
	snprintf(path, sizeof(path), "/dev/zram%s", id);
	fd = open(path, O_RDWR | O_DIRECT);
	if (fd < 0)
		diag("open %s O_DIRECT: %s", path, strerror(errno));
	return fd;
}

static void add_run(struct run *sum, const struct run *r)
{
	int i;

	for (i = 0; i < RL_NR_COUNTERS; i++)
		sum->c.v[i] += r->c.v[i];
	sum->elapsed_ns += r->elapsed_ns;
}

#define C(r, name) ((r)->c.v[RL_C_pte_reclaim_##name])

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 20, t0, t_end;
	struct run r, sum = { 0 };
	long runs = 0, failed = 0;
	pthread_t vmr;
	int status, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED)
		die("mmap ctl");
	dio_fd = open_dio_disk();
	tap(dio_fd >= 0, "stress: a zram disk for O_DIRECT (GUP) writes");
	target = fork();
	if (target == 0)
		run_target();
	wait_phase(PH_RUN);
	pthread_create(&vmr, NULL, vm_reader, (void *)(uintptr_t)99);

	t0 = now();
	t_end = t0 + secs;
	while (now() < t_end) {
		/* every other run also zaps the zero page the readers map */
		knob_write("pte_reclaim_zero", runs % 2 ? "1" : "0");
		walk(target, ctl->region, REGION_LEN, "pte_reclaim", PARTIAL,
		     512, &r);
		runs++;
		if (r.rc || r.result) {
			failed++;
			diag("stress: run %ld: %s, result %lld", runs,
			     errname(r.rc), r.result);
		}
		add_run(&sum, &r);
	}
	knob_write("pte_reclaim_zero", "0");
	ctl->phase = PH_STOP;
	pthread_join(vmr, NULL);
	wait_phase(PH_FILLED);

	diag("stress: %.1f s, %ld pte_reclaim runs over %lu tables; scanned %lld freed %lld not_empty %lld busy %lld vma %lld, zero PTEs zapped %lld",
	     now() - t0, runs, REGION_TABLES, C(&sum, tables_scanned),
	     C(&sum, tables_freed), C(&sum, skip_not_empty),
	     C(&sum, skip_busy), C(&sum, skip_vma), C(&sum, zero_ptes));
	for (i = 0; i < NR_OPS; i++) {
		if (i == OP_DIO && dio_fd < 0)
			continue;
		tap(ctl->ops[i] > 0 && ctl->bad[i] == 0,
		    "stress: %ld %s, %ld saw another page's data or failed",
		    ctl->ops[i], op_name[i], ctl->bad[i]);
	}
	tap(runs > 0 && failed == 0 && C(&sum, runs) == runs,
	    "stress: %ld walker runs, %ld failed", runs, failed);
	tap(C(&sum, tables_freed) > 0,
	    "stress: tables were freed under the churn (%lld)",
	    C(&sum, tables_freed));
	tap(C(&sum, tables_scanned) == C(&sum, tables_freed) +
	    C(&sum, skip_not_empty) + C(&sum, skip_busy) + C(&sum, skip_vma) &&
	    C(&sum, bytes_freed) == C(&sum, tables_freed) * (long long)PAGE_SZ,
	    "stress: counters add up over all runs");

	/* Filled with a pattern: the walkers again, then every byte. */
	walk(target, ctl->region, REGION_LEN, "pte_reclaim", PARTIAL, 512, &r);
	tap(!r.rc && C(&r, tables_freed) == 0 &&
	    C(&r, skip_not_empty) == (long long)REGION_TABLES,
	    "stress: full tables are all kept (not_empty %lld)",
	    C(&r, skip_not_empty));
	walk(target, ctl->region, REGION_LEN, "pageout", PARTIAL, 512, &r);
	ctl->phase = PH_VERIFY;
	wait_phase(PH_ZAPPED);
	tap(ctl->final_bad == 0,
	    "stress: every page reads back identical after pageout (%ld bad)",
	    ctl->final_bad);

	walk(target, ctl->region, REGION_LEN, "pte_reclaim", PARTIAL, 512, &r);
	ctl->phase = PH_DONE;
	wait_phase(PH_EXIT);
	tap((ctl->vm_pte_filled - ctl->vm_pte_dontneed) / 4 +
	    C(&r, tables_freed) == (long long)REGION_TABLES &&
	    ctl->vm_pte_filled - ctl->vm_pte_zapped ==
	    (long long)REGION_TABLES * 4,
	    "stress: zapped, all %lu tables freed (%lld by the kernel's own MADV_DONTNEED, %lld by pte_reclaim), VmPTE %lld -> %lld kB",
	    REGION_TABLES, (ctl->vm_pte_filled - ctl->vm_pte_dontneed) / 4,
	    C(&r, tables_freed), ctl->vm_pte_filled, ctl->vm_pte_zapped);
	waitpid(target, &status, 0);
	tap(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "stress: the target exits cleanly");
	request(0, NULL, 0, "pageout", PARTIAL, 512);
	return rl_failures ? 1 : 0;
}
