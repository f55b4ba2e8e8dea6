// SPDX-License-Identifier: GPL-2.0
/*
 * What the walker skips and counts, never pages out (issue 3): anon
 * memory shared with a child, mlocked memory, hugetlb memory, and the
 * page cache of a file the target cannot write (the module judges by the
 * target's credentials, not the writer of `trigger`'s).  Everything is
 * read back and compared with what was written.
 *
 * And what is skipped is never split either: page cache of a file the
 * target cannot write, partly in the range (PTE- and PMD-mapped THP),
 * and a THP shared with a child under split always.
 *
 * ./t_walker_skip [WORD]: only the groups whose name contains WORD (skip,
 * file, split).
 */
#include "walker_lib.h"
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define FILE_SZ (1UL << 20)		/* file cases */
#define NOBODY 65534

/* Every page of [p, p + len) present, none swapped. */
static int all_present(const void *p, size_t len)
{
	struct span s;

	scan(0, p, len, &s);
	return s.pages == (long)(len / PAGE_SZ) && s.present == s.pages &&
	       s.swapped == 0;
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
 * A forked child that keeps [p, p + len) mapped (every folio now mapped
 * twice) and, once told to, checks it holds the fill(seed) pattern.
 * Returns the child; *go is the descriptor that tells it.
 */
static pid_t fork_checker(const char *p, size_t len, uint64_t seed, int *go)
{
	int fds[2];
	pid_t child;
	char c;

	if (pipe(fds))
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		close(fds[1]);
		if (read(fds[0], &c, 1) != 1)
			_exit(2);
		_exit(verify(p, len, seed) ? 1 : 0);
	}
	close(fds[0]);
	*go = fds[1];
	return child;
}

/* Tells the child of fork_checker() to check, and reports what it found. */
static void checker_report(const char *name, pid_t child, int go)
{
	int status;

	if (write(go, "g", 1) != 1)
		die("write");
	close(go);
	waitpid(child, &status, 0);
	tap(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: the child's copy reads back identical (status %#x)", name,
	    status);
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
	char name[96];
	long folios;
	pid_t child;
	char *p;
	int go;

	snprintf(name, sizeof(name), "walker skip shared %s", size_name(kb));
	p = populate(REGION, kb, 0, seed);
	scan(0, p, REGION, &before);
	folios = before.large + before.small;
	child = fork_checker(p, REGION, seed, &go);
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
	checker_report(name, child, go);
	expect_identical(name, p, REGION, seed);
	munmap(p, REGION);
}

static void mlocked_case(void)
{
	const char *name = "walker skip mlocked";
	uint64_t seed = 0x3710c4ed;
	struct ksnap k;
	struct run r;
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
	expect_identical(name, p, REGION, seed);
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
	char *p;

	save_nr_hugepages();
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
	expect_identical(name, p, PMD_SZ, seed);
	munmap(p, PMD_SZ);
	set_text(nr, "0");
}

/* ------------------------------------------------------------------ */
/* File mappings of a file that cannot be written                      */

/*
 * The target's right to write the file decides that its page cache may
 * be paged out (the issue: "a file the target cannot write"), not the
 * rights of the writer of `trigger`, unlike process_madvise(), which
 * judges its caller (can_do_file_pageout() with current's credentials).
 */
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
 *    writer without DAC/FOWNER capabilities: the writer cannot write it,
 *    the target can: the pages go;
 * 2. the same, walked by full root: both can, the pages go;
 * 3. owned by root, mapped by a child that became nobody, walked by full
 *    root: the target cannot write it: skipped and counted.
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
	diag("walker file: " RL_FILE " (tmpfs), 0444: %ld of %ld pages resident; the rights of the target decide",
	     resident(p, FILE_SZ), pages);

	/* 1 */
	memset(&r, 0, sizeof(r));
	wrc = trigger_without_file_caps(getpid(), p, FILE_SZ);
	r.rc = wrc < 99 ? wrc : EPERM;
	if (wrc >= 99)
		diag("walker file: the capability-less writer failed: exit status %d",
		     wrc);
	read_last(&r);
	file_expect("walker file nobody's, writer without file capabilities, target root",
		    &r, resident(p, FILE_SZ), 1);
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
		    resident(p, FILE_SZ), 0);
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
/* Never split what is skipped (issue 12, item 4)                      */

#define HUGE_MNT "/tmp/rl_huge"
#define HUGE_FILE HUGE_MNT "/ro"
#define HUGE_FILE_SZ (4UL << 20)	/* two PMD-size folios */

/*
 * A root-owned 0444 file on a huge=always tmpfs: its page cache is THP.
 * Made anew for each case, so no case sees another's splits.
 */
static int huge_file_create(void)
{
	char *buf = malloc(HUGE_FILE_SZ);
	long long shmem_huge;
	int fd;

	if (!buf)
		die("malloc");
	unlink(HUGE_FILE);
	fill(buf, HUGE_FILE_SZ, 0x5b11);
	fd = open(HUGE_FILE, O_RDWR | O_CREAT | O_TRUNC, 0444);
	if (fd < 0 || write(fd, buf, HUGE_FILE_SZ) != (ssize_t)HUGE_FILE_SZ)
		die("write " HUGE_FILE);
	free(buf);
	close(fd);
	shmem_huge = field_in("/proc/meminfo", "ShmemHugePages");
	diag("walker split: " HUGE_FILE " on tmpfs huge=always, ShmemHugePages %lld kB",
	     shmem_huge);
	return shmem_huge >= (long long)(HUGE_FILE_SZ >> 10) ? 0 : -2;
}

/*
 * A child that becomes nobody maps the file read-only, shared, at a PMD
 * boundary (PMD-mapped) or one page past it (PTE-mapped), and reads it
 * all; the root walker then walks the first 1 MiB only, with split
 * partial: each large folio there is partly in the range, the kind the
 * walker splits, but the target may not evict this page cache.  Nothing
 * may be split (MADV_PAGEOUT filters before splitting too).
 */
static void split_file_case(int pte_mapped)
{
	const char *name = pte_mapped ? "walker split file nobody, PTE-mapped THP, partial range" :
					"walker split file nobody, PMD-mapped THP, partial range";
	int go[2], up[2], status;
	long long shmem_pmd = -1;
	struct ksnap k;
	struct run r;
	int fd, err = huge_file_create();
	pid_t child;
	char *p, c;

	if (err) {
		tap(0, "%s: a THP-backed tmpfs file (%s)", name,
		    err == -1 ? strerror(errno) : "no ShmemHugePages");
		return;
	}
	/* the child gets a descriptor: nobody cannot open paths under / */
	fd = open(HUGE_FILE, O_RDONLY);
	if (fd < 0 || pipe(go) || pipe(up))
		die("open/pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		char *base;

		close(up[0]);
		close(go[1]);
		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(101);
		base = map_aligned(HUGE_FILE_SZ + PMD_SZ);
		p = mmap(base + (pte_mapped ? PAGE_SZ : 0), HUGE_FILE_SZ,
			 PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
		if (p == MAP_FAILED || verify(p, HUGE_FILE_SZ, 0x5b11))
			_exit(102);
		if (write(up[1], &p, sizeof(p)) != sizeof(p) ||
		    read(go[0], &c, 1) != 1)
			_exit(103);
		_exit(verify(p, HUGE_FILE_SZ, 0x5b11) ? 1 : 0);
	}
	close(fd);
	close(up[1]);
	close(go[0]);
	if (read(up[0], &p, sizeof(p)) != sizeof(p)) {
		waitpid(child, &status, 0);
		tap(0, "%s: the child could not become nobody and map the file (status %#x)",
		    name, status);
		close(up[0]);
		close(go[1]);
		return;
	}
	{
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", child);
		shmem_pmd = field_in(path, "ShmemPmdMapped");
	}
	ksnap(&k);
	walk(child, p, 1UL << 20, "pageout", PARTIAL, 512, &r);
	ksnap_delta(&k);
	check_run(name, &r, 512);
	diag("%s: ShmemPmdMapped %lld kB in the target; thp_split_page +%lld",
	     name, shmem_pmd, k.splits);
	tap(pte_mapped ? shmem_pmd == 0 : shmem_pmd >= (long long)(PMD_SZ >> 10),
	    "%s: the file's THP is %s-mapped in the target (ShmemPmdMapped %lld kB)",
	    name, pte_mapped ? "PTE" : "PMD", shmem_pmd);
	tap(W(&r, split) == 0 && W(&r, split_failed) == 0 && k.splits == 0 &&
	    W(&r, skip_file_nowrite) >= 1 && W(&r, isolated) == 0,
	    "%s: not split (walk_split %lld, split_failed %lld, thp_split_page +%lld), skipped as skip_file_nowrite (%lld), nothing isolated (%lld)",
	    name, W(&r, split), W(&r, split_failed), k.splits,
	    W(&r, skip_file_nowrite), W(&r, isolated));
	if (write(go[1], "g", 1) != 1)
		diag("%s: child gone", name);
	close(go[1]);
	close(up[0]);
	waitpid(child, &status, 0);
	tap(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: the target reads the file back identical (status %#x)", name,
	    status);
}

/*
 * PMD-mapped THPs of this process shared with a forked child (each
 * mapped by both PMDs), walked with split always: a folio mapped
 * elsewhere is never split to free this mapping's part.
 */
static void split_forked_thp_case(void)
{
	const char *name = "walker split always, THP shared with a child";
	uint64_t seed = 0xf04c;
	struct ksnap k;
	struct run r;
	pid_t child;
	long long pmd_kb;
	char *p;
	int go;

	p = populate(REGION, 2048, 0, seed);
	pmd_kb = pmd_mapped_kb();
	child = fork_checker(p, REGION, seed, &go);
	ksnap(&k);
	walk(0, p, REGION, "pageout", ALWAYS, 512, &r);
	ksnap_delta(&k);
	check_run(name, &r, 512);
	tap(pmd_kb >= (long long)(REGION >> 10) && W(&r, split) == 0 &&
	    W(&r, split_failed) == 0 && k.splits == 0 &&
	    W(&r, skip_shared) == (long long)(REGION / PMD_SZ),
	    "%s: none of the %lu THPs (%lld kB PMD-mapped) split (walk_split %lld, thp_split_page +%lld), each skipped as shared (%lld)",
	    name, REGION / PMD_SZ, pmd_kb, W(&r, split), k.splits,
	    W(&r, skip_shared));
	checker_report(name, child, go);
	expect_identical(name, p, REGION, seed);
	munmap(p, REGION);
}

static void split_cases(void)
{
	mkdir(HUGE_MNT, 0755);
	if (mount("tmpfs", HUGE_MNT, "tmpfs", 0, "huge=always,size=16m")) {
		tap(0, "walker split: mount a huge=always tmpfs: %s",
		    strerror(errno));
	} else {
		split_file_case(1);
		split_file_case(0);
	}
	unlink(HUGE_FILE);
	umount(HUGE_MNT);
	rmdir(HUGE_MNT);
	split_forked_thp_case();
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	struct walker_env e;

	walker_start(argc, argv, &e);
	if (want("skip")) {
		shared_case(4);
		shared_case(have_mthp() ? 64 : 2048);
		mlocked_case();
		hugetlb_case();
	}
	if (want("file"))
		file_case();
	if (want("split"))
		split_cases();

	return walker_end("t_walker_skip", &e, rl_failures);
}
