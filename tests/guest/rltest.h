/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for reclaimlab's guest test programs (static, run as root in
 * the busybox guest).  Each program prints TAP lines, "ok - ..." or
 * "not ok - ...", that run-all.sh numbers; diagnostics start with "# ".
 */
#ifndef RLTEST_H
#define RLTEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "reclaimlab_counters.h"

#define RL_DIR "/sys/kernel/debug/reclaimlab/"
#define PAGE_SZ 4096UL
#define PMD_SZ (2UL << 20)

static int rl_failures;

static inline void tap(int pass, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", pass ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!pass)
		rl_failures++;
}

static inline void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline void die(const char *what)
{
	printf("not ok - %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Reads a whole small file into buf; returns its length or -errno. */
static inline int read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

/*
 * Writes len bytes in one write(); returns 0 or the errno the kernel gave.
 * offset >= 0 seeks there first, on a read-write descriptor.
 */
static inline int write_bytes(const char *path, const void *buf, size_t len,
			      off_t offset)
{
	int fd = open(path, offset >= 0 ? O_RDWR : O_WRONLY);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return errno;
	if (offset >= 0 && lseek(fd, offset, SEEK_SET) != offset)
		n = -1;
	else
		n = write(fd, buf, len);
	if (n < 0)
		err = errno;
	else if ((size_t)n != len)
		err = EIO;	/* a short write is as good as a refusal */
	close(fd);
	return err;
}

static inline int knob_write(const char *knob, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), RL_DIR "%s", knob);
	return write_bytes(path, value, strlen(value), -1);
}

/* The knob's content without the trailing newline. */
static inline const char *knob_read(const char *knob)
{
	static char buf[4096];
	char path[256];
	int n;

	snprintf(path, sizeof(path), RL_DIR "%s", knob);
	n = read_text(path, buf, sizeof(buf));
	if (n < 0)
		return "<unreadable>";
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return buf;
}

/* "name value" lines (stats, last, /proc/vmstat): the value, or -1. */
static inline long long field_in(const char *path, const char *name)
{
	static char buf[1 << 16];
	size_t len = strlen(name);
	char *line;

	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	for (line = buf; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, name, len) &&
		    (line[len] == ' ' || line[len] == ':'))
			return strtoll(line + len + 1, NULL, 10);
	}
	return -1;
}

/* All module counters at once, indexed by enum rl_counter. */
struct rl_counters {
	long long v[RL_NR_COUNTERS];
};

static const char *const rl_counter_names[] = {
#define RL_COUNTER(name) #name,
#include "reclaimlab_counter_list.h"
#undef RL_COUNTER
};

static inline void counters_read(const char *file, struct rl_counters *c)
{
	char path[256];
	int i;

	snprintf(path, sizeof(path), RL_DIR "%s", file);
	for (i = 0; i < RL_NR_COUNTERS; i++)
		c->v[i] = field_in(path, rl_counter_names[i]);
}

static inline long long vmstat(const char *name)
{
	return field_in("/proc/vmstat", name);
}

/* A number alone in a file (sysfs), or -1. */
static inline long long file_num(const char *path)
{
	char buf[64];

	if (read_text(path, buf, sizeof(buf)) <= 0)
		return -1;
	return strtoll(buf, NULL, 10);
}

/* kB of this process's memory on swap (VmSwap). */
static inline long long self_swap_kb(void)
{
	return field_in("/proc/self/status", "VmSwap");
}

/* kB of page tables of this process (VmPTE). */
static inline long long self_pte_kb(void)
{
	return field_in("/proc/self/status", "VmPTE");
}

/*
 * len bytes of 2 MiB-aligned address space with no THP and nothing
 * reserved: for touching one page per PTE table over many tables.
 */
static inline char *map_sparse(size_t len)
{
	char *p = mmap(NULL, len + PMD_SZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		die("mmap sparse");
	a = (char *)(((uintptr_t)p + PMD_SZ - 1) & ~(PMD_SZ - 1));
	if (madvise(a, len, MADV_NOHUGEPAGE))
		die("MADV_NOHUGEPAGE");
	return a;
}

/* A 2 MiB-aligned anonymous mapping of len bytes. */
static inline char *map_aligned(size_t len)
{
	char *p = mmap(NULL, len + PMD_SZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		die("mmap");
	a = ((uintptr_t)p + PMD_SZ - 1) & ~(PMD_SZ - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	munmap((char *)a + len, (uintptr_t)p + PMD_SZ - a);
	return (char *)a;
}

/* Every 8-byte word says where it is and which fill it came from. */
/* Pins the calling thread to @cpu (says so if it cannot). */
static inline void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		diag("sched_setaffinity(cpu %d): %s", cpu, strerror(errno));
}

/* Lets the calling thread run on every CPU again. */
static inline void unpin(void)
{
	cpu_set_t all;
	int i;

	CPU_ZERO(&all);
	for (i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &all);
	sched_setaffinity(0, sizeof(all), &all);
}

/* Whether the running kernel is @major.@minor or later (0 if unknown). */
static inline int kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma, mi;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return 0;
	return ma > major || (ma == major && mi >= minor);
}

static inline uint64_t pattern_word(size_t word, uint64_t seed)
{
	return (word * 0x9e3779b97f4a7c15ULL) ^ seed;
}

/* Reads a byte of every page of [p, p + len): each PTE young again. */
static inline void touch_pages(const char *p, size_t len)
{
	volatile const char *v = p;
	size_t off;

	for (off = 0; off < len; off += PAGE_SZ)
		(void)v[off];
}

static inline void fill(char *p, size_t len, uint64_t seed)
{
	uint64_t *w = (uint64_t *)p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = pattern_word(i, seed);
}

/* Number of 4 KiB pages whose content differs from fill(). */
static inline size_t verify(const char *p, size_t len, uint64_t seed)
{
	const uint64_t *w = (const uint64_t *)p;
	size_t i, bad = 0;

	for (i = 0; i < len / 8; i++) {
		if (w[i] != pattern_word(i, seed)) {
			bad++;
			i |= PAGE_SZ / 8 - 1;	/* count each page once */
		}
	}
	return bad;
}

/* Asserts that len bytes at p read back exactly as fill(p, len, seed) wrote. */
static inline void expect_identical(const char *name, const char *p,
				    size_t len, uint64_t seed)
{
	size_t bad = verify(p, len, seed);

	tap(bad == 0, "%s: memory reads back identical (%zu bad pages)", name,
	    bad);
}

#endif /* RLTEST_H */
