// SPDX-License-Identifier: GPL-2.0
/*
 * Every debugfs knob: good values read back, bad values get the errno
 * DESIGN.md names and change nothing.
 */
#include "rltest.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

static const char *printable(const char *s, size_t len)
{
	static char out[96];
	size_t i, o = 0;

	for (i = 0; i < len && o < sizeof(out) - 6; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f)
			out[o++] = c;
		else
			o += sprintf(out + o, "\\x%02x", c);
	}
	if (i < len)
		o += sprintf(out + o, "...(%zu bytes)", len);
	out[o] = '\0';
	return out;
}

static const char *errname(int err)
{
	return err ? strerrorname_np(err) : "success";
}

static void expect_value(const char *knob, const char *value,
			 const char *readback)
{
	int err = knob_write(knob, value);
	const char *now = knob_read(knob);

	tap(!err && !strcmp(now, readback), "%s: '%s' accepted, reads '%s' (got %s, '%s')",
	    knob, value, readback, errname(err), now);
}

/* A refused write of len bytes at offset (-1: a plain write). */
static void expect_refused_at(const char *knob, const char *value, size_t len,
			      off_t offset, int want)
{
	char path[256], before[512];
	int err;

	snprintf(path, sizeof(path), RL_DIR "%s", knob);
	snprintf(before, sizeof(before), "%s", knob_read(knob));
	err = write_bytes(path, value, len, offset);
	tap(err == want && !strcmp(before, knob_read(knob)),
	    "%s: '%s'%s refused with %s (got %s), value unchanged", knob,
	    printable(value, len), offset > 0 ? " at offset 1" : "",
	    errname(want), errname(err));
}

static void expect_refused(const char *knob, const char *value, int want)
{
	expect_refused_at(knob, value, strlen(value), -1, want);
}

static void test_pid(void)
{
	char self[32], buf[32], longval[300];
	pid_t child;
	int status;

	expect_value("pid", "1", "1");
	snprintf(self, sizeof(self), "%d", getpid());
	expect_value("pid", self, self);
	expect_refused("pid", "abc", EINVAL);
	expect_refused("pid", "-5", EINVAL);
	expect_refused("pid", "0", EINVAL);
	expect_refused("pid", "12abc", EINVAL);
	expect_refused("pid", "99999999999999999999", EINVAL);
	expect_refused("pid", "", EINVAL);
	expect_refused("pid", "\n", EINVAL);
	memset(longval, '1', sizeof(longval));
	expect_refused_at("pid", longval, sizeof(longval), -1, EINVAL);
	expect_refused_at("pid", "1\0", 2, -1, EINVAL);
	expect_refused_at("pid", self, strlen(self), 1, EINVAL);
	/* kthreadd: a kernel thread has no mm */
	expect_refused("pid", "2", EINVAL);

	/* a zombie has no mm any more; once reaped its pid is gone */
	child = fork();
	if (child == 0)
		_exit(0);
	usleep(200000);
	snprintf(buf, sizeof(buf), "%d", child);
	expect_refused("pid", buf, EINVAL);
	waitpid(child, &status, 0);
	expect_refused("pid", buf, ESRCH);
	expect_refused("pid", "4194304", ESRCH);	/* above any pid_max */
}

/*
 * Whether this boot maps user addresses above 2^48 (x86 la57: 5-level
 * paging; arm64 LPA2: 52-bit VA): a hinted mapping there is placed there.
 */
static int large_user_va(void)
{
	void *hint = (void *)(1UL << 50);
	void *p = mmap(hint, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_FIXED_NOREPLACE, -1, 0);
	int large = p == hint;

	if (p != MAP_FAILED)
		munmap(p, 4096);
	return large;
}

/* The end of user space the module takes as a range's limit: TASK_SIZE. */
static unsigned long user_va_end(int large)
{
#if defined(__aarch64__)
	return large ? 1UL << 52 : 1UL << 48;
#else
	return large ? (1UL << 56) - 4096 : (1UL << 47) - 4096;
#endif
}

/* range END: accepted if @end is within user space, else EINVAL. */
static void expect_end(unsigned long user_end, unsigned long end)
{
	char buf[64], want[64];

	snprintf(buf, sizeof(buf), "0x1000 0x%lx", end);
	if (end <= user_end) {
		snprintf(want, sizeof(want), "0x1000 0x%lx", end);
		expect_value("range", buf, want);
	} else {
		expect_refused("range", buf, EINVAL);
	}
}

static void test_range(unsigned long user_end)
{
	expect_value("range", "0x1000 0x2000", "0x1000 0x2000");
	expect_value("range", "4096 8192", "0x1000 0x2000");
	expect_value("range", "  0x200000\t0x400000\n", "0x200000 0x400000");
	expect_value("range", "0 0x7ffffffff000", "0x0 0x7ffffffff000");
	expect_end(user_end, 0xfffffffffff000UL);
	expect_end(user_end, user_end);
	expect_end(user_end, user_end + 4096);
	expect_value("range", "all", "all");
	expect_value("range", "0x1000 0x3000", "0x1000 0x3000");

	expect_refused("range", "0x2000 0x1000", EINVAL);
	expect_refused("range", "0x1000 0x1000", EINVAL);
	expect_refused("range", "0x1001 0x2000", EINVAL);
	expect_refused("range", "0x1000 0x2001", EINVAL);
	expect_end(user_end, 0x800000000000UL);
	knob_write("range", "0x1000 0x3000");
	expect_refused("range", "0x1000 0x200000000000000", EINVAL);
	expect_refused("range", "0x1000 0xfffffffffffff000", EINVAL);
	expect_refused("range", "0x1000 0x1ffffffffffffffff000", EINVAL);
	expect_refused("range", "0x1000", EINVAL);
	expect_refused("range", "0x1000 0x2000 0x3000", EINVAL);
	expect_refused("range", "-4096 0x2000", EINVAL);
	expect_refused("range", "0x 0x2000", EINVAL);
	expect_refused("range", "0x1000 +8192", EINVAL);
	/* decimal with leading zeros, not octal: 10000 and 20000 */
	expect_refused("range", "010000 020000", EINVAL);	/* unaligned */
	expect_value("range", "040960 081920", "0xa000 0x14000");
	expect_refused("range", "garbage", EINVAL);
	expect_refused("range", "al", EINVAL);
	expect_refused("range", "", EINVAL);
	expect_refused_at("range", "0x1000\0 0x2000", 14, -1, EINVAL);
	expect_value("range", "all", "all");
}

static void test_choice(const char *knob, const char *const names[],
			int n, const char *dflt)
{
	char want[128];
	int i, j;

	for (i = 0; i < n; i++) {
		want[0] = '\0';
		for (j = 0; j < n; j++)
			snprintf(want + strlen(want), sizeof(want) - strlen(want),
				 j == i ? "%s[%s]" : "%s%s", j ? " " : "",
				 names[j]);
		expect_value(knob, names[i], want);
	}
	expect_refused(knob, "foo", EINVAL);
	expect_refused(knob, "[pageout]", EINVAL);
	expect_refused(knob, "", EINVAL);
	expect_refused(knob, "1", EINVAL);
	knob_write(knob, dflt);
}

static void test_batch(void)
{
	expect_value("batch", "1", "1");
	expect_value("batch", "64", "64");
	expect_value("batch", "512", "512");
	expect_refused("batch", "0", EINVAL);
	expect_refused("batch", "513", EINVAL);
	expect_refused("batch", "-1", EINVAL);
	expect_refused("batch", "4294967297", EINVAL);
	expect_refused("batch", "0x10", EINVAL);
	expect_refused("batch", "ten", EINVAL);
	expect_refused("batch", "", EINVAL);
}

static void test_pte_reclaim_zero(void)
{
	expect_value("pte_reclaim_zero", "1", "1");
	expect_value("pte_reclaim_zero", "0", "0");
	expect_refused("pte_reclaim_zero", "2", EINVAL);
	expect_refused("pte_reclaim_zero", "on", EINVAL);
	expect_refused("pte_reclaim_zero", "-1", EINVAL);
	expect_refused("pte_reclaim_zero", "01", EINVAL);
	expect_refused("pte_reclaim_zero", "", EINVAL);
}

static void test_pt_batch(void)
{
	expect_value("pt_batch", "512", "512");
	expect_value("pt_batch", "7", "7");
	expect_refused("pt_batch", "0", EINVAL);
	expect_refused("pt_batch", "513", EINVAL);
	expect_refused("pt_batch", "-1", EINVAL);
	expect_refused("pt_batch", "", EINVAL);
	expect_value("pt_batch", "1", "1");
	expect_value("pt_batch", "512", "512");
}

static void test_lock_hold_tables(void)
{
	expect_value("lock_hold_tables", "0", "0");
	expect_value("lock_hold_tables", "1", "1");
	expect_value("lock_hold_tables", "1048576", "1048576");
	expect_refused("lock_hold_tables", "1048577", EINVAL);
	expect_refused("lock_hold_tables", "-1", EINVAL);
	expect_refused("lock_hold_tables", "+5", EINVAL);
	expect_refused("lock_hold_tables", "0x10", EINVAL);
	expect_refused("lock_hold_tables", "", EINVAL);
	expect_value("lock_hold_tables", "512", "512");
}

/* The background mode's knobs; t_auto runs it. */
static void test_auto_knobs(void)
{
	expect_value("auto_budget_pct", "100", "100");
	expect_refused("auto_budget_pct", "0", EINVAL);
	expect_refused("auto_budget_pct", "101", EINVAL);
	expect_refused("auto_budget_pct", "1.5", EINVAL);
	expect_value("auto_budget_pct", "1", "1");
	expect_refused("auto_interval_ms", "3600001", EINVAL);
	expect_refused("auto_interval_ms", "-1", EINVAL);
	expect_refused("auto_interval_ms", "1s", EINVAL);
	/* under 10 ms: a timeout under one jiffy would spin */
	expect_refused("auto_interval_ms", "1", EINVAL);
	expect_refused("auto_interval_ms", "9", EINVAL);
	expect_value("auto_interval_ms", "0", "0");
	tap(!strcmp(knob_read("auto_cgroup"), "none"),
	    "auto_cgroup: none by default");
	expect_refused("auto_cgroup", "relative/path", EINVAL);
	expect_refused("auto_cgroup", "/no/such/cgroup", ENOENT);
}

/* The cgroup target's errors; t_walker_cgroup runs it. */
static void test_cgroup(void)
{
	static char longval[5000];
	char self[32];

	memset(longval, '/', sizeof(longval));
	expect_refused_at("cgroup", longval, sizeof(longval), -1, EINVAL);

	expect_refused("cgroup", "/rl-no-such-cgroup", ENOENT);
	expect_refused("cgroup", "relative", EINVAL);
	expect_refused("cgroup", "/sys/fs/cgroup/cgroup.procs", ENOTDIR);
	expect_refused("cgroup", "", EINVAL);
	tap(!strcmp(knob_read("cgroup"), "none"),
	    "cgroup: still none after the refused writes");
	expect_value("cgroup", "/", "/");
	tap(!strcmp(knob_read("pid"), "none"),
	    "cgroup: setting it clears pid");
	snprintf(self, sizeof(self), "%d", getpid());
	expect_value("pid", self, self);
	tap(!strcmp(knob_read("cgroup"), "none"),
	    "cgroup: setting pid clears it");
}

static void test_write_only_and_read_only(void)
{
	const char *walkers[] = { "pageout", "cold", "pte_reclaim" };
	char buf[64];
	int i, err;

	struct rl_counters c;
	char self[32];
	pid_t child;
	char *p;

	tap(!strcmp(knob_read("last"), "result none"),
	    "last: 'result none' before any trigger (got '%s')", knob_read("last"));

	/* a target that has exited */
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	snprintf(buf, sizeof(buf), "%d", child);
	knob_write("pid", buf);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	err = knob_write("trigger", "1");
	tap(err == ESRCH, "trigger: target exited: ESRCH (got %s)", errname(err));
	tap(!strcmp(knob_read("last"), "result none"),
	    "last: a refused trigger records no run");

	snprintf(self, sizeof(self), "%d", getpid());
	knob_write("pid", self);
	p = map_aligned(PMD_SZ);
	fill(p, PMD_SZ, 3);
	snprintf(buf, sizeof(buf), "%p %p", (void *)p, (void *)(p + 16 * PAGE_SZ));
	knob_write("range", buf);
	for (i = 0; i < 3; i++) {
		knob_write("walker", walkers[i]);
		err = knob_write("trigger", "1");
		counters_read("last", &c);
		tap(!err && field_in(RL_DIR "last", "result") == 0 &&
		    c.v[i == 2 ? RL_C_pte_reclaim_runs : RL_C_walk_runs] == 1 &&
		    c.v[RL_C_triggers] == 1,
		    "trigger: walker %s on 16 pages of itself runs (%s, runs %lld)",
		    walkers[i], errname(err),
		    c.v[i == 2 ? RL_C_pte_reclaim_runs : RL_C_walk_runs]);
	}
	tap(verify(p, PMD_SZ, 3) == 0, "trigger: the walked memory reads back identical");
	munmap(p, PMD_SZ);
	knob_write("walker", "pageout");
	knob_write("range", "all");
	expect_refused("trigger", "0", EINVAL);
	expect_refused("trigger", "2", EINVAL);
	expect_refused("trigger", "yes", EINVAL);
	expect_refused("trigger", "", EINVAL);

	err = open(RL_DIR "last", O_WRONLY) < 0 ? errno : 0;
	tap(err == EACCES, "last: opening for write refused with EACCES (got %s)",
	    errname(err));
	err = open(RL_DIR "symbols", O_WRONLY) < 0 ? errno : 0;
	tap(err == EACCES, "symbols: opening for write refused with EACCES (got %s)",
	    errname(err));
	err = read_text(RL_DIR "trigger", buf, sizeof(buf));
	tap(err == -EACCES, "trigger: reading refused with EACCES (got %d)", err);
}

static void expect_stats_refused(const char *value, long long madv_calls)
{
	int err = knob_write("stats", value);
	struct rl_counters c;

	counters_read("stats", &c);
	tap(err == EINVAL && c.v[RL_C_madv_calls] >= madv_calls,
	    "stats: '%s' refused with EINVAL (got %s), counters not reset (%lld)",
	    value, errname(err), c.v[RL_C_madv_calls]);
}

static void test_stats_and_probes(void)
{
	struct rl_counters c;
	char *p;

	expect_value("probes", "off", "off");
	expect_value("probes", "on", "on");
	expect_refused("probes", "maybe", EINVAL);
	expect_refused("probes", "1", EINVAL);
	expect_refused("probes", "", EINVAL);

	/* make the counters move, then reset */
	p = map_aligned(PMD_SZ);
	memset(p, 1, PMD_SZ);
	madvise(p, PMD_SZ, MADV_COLD);
	counters_read("stats", &c);
	tap(c.v[RL_C_madv_calls] > 0, "stats: MADV_COLD moved madv_calls (%lld)",
	    c.v[RL_C_madv_calls]);
	/* the counters are live; a refused write must not reset them */
	expect_stats_refused("1", c.v[RL_C_madv_calls]);
	expect_stats_refused("reset", c.v[RL_C_madv_calls]);
	tap(!knob_write("stats", "0"), "stats: '0' accepted");
	counters_read("stats", &c);
	tap(c.v[RL_C_madv_calls] == 0 && c.v[RL_C_madv_cold_calls] == 0,
	    "stats: reset to zero (madv_calls %lld)", c.v[RL_C_madv_calls]);
	munmap(p, PMD_SZ);
}

/*
 * `last` holds a trigger's own deltas even when `stats` is reset while it
 * runs: a child triggers pte_reclaim over this process's RESET_TABLES
 * empty tables while this process resets the counters again and again.
 */
#define RESET_TABLES 4096

static void test_last_across_reset(void)
{
	char *p = map_sparse(RESET_TABLES * PMD_SZ);
	long long freed, runs;
	int resets = 0, status;
	char buf[32];
	size_t off;
	pid_t pid;

	for (off = 0; off < RESET_TABLES * PMD_SZ; off += PMD_SZ) {
		p[off] = 1;
		madvise(p + off, PAGE_SZ, MADV_DONTNEED);
	}
	snprintf(buf, sizeof(buf), "%d", getpid());
	if (knob_write("pid", buf) || knob_write("range", "all") ||
	    knob_write("walker", "pte_reclaim"))
		die("pte_reclaim on self");
	/* the counters have moved before: a delta off the reset would wrap */
	madvise(p, PAGE_SZ, MADV_COLD);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid)
		_exit(knob_write("trigger", "1") ? 1 : 0);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		knob_write("stats", "0");
		resets++;
	}
	freed = field_in(RL_DIR "last", "pte_reclaim_tables_freed");
	runs = field_in(RL_DIR "last", "pte_reclaim_runs");
	tap(WIFEXITED(status) && !WEXITSTATUS(status) &&
	    freed >= RESET_TABLES && freed < RESET_TABLES + 512 && runs == 1,
	    "last: a trigger's deltas stand though stats was reset %d times while it ran: pte_reclaim_tables_freed %lld (want %d, or a few more of this process's), runs %lld (want 1)",
	    resets, freed, RESET_TABLES, runs);
	knob_write("walker", "pageout");
	munmap(p, RESET_TABLES * PMD_SZ);
}

int main(void)
{
	static const char *const walkers[] = { "pageout", "cold", "pte_reclaim" };
	static const char *const splits[] = { "never", "partial", "always" };
	static const char *const unmaps[] = { "kernel", "batched" };
	static const char *const youngs[] = { "batched", "per_pte" };
	int large = large_user_va();
	unsigned long user_end = user_va_end(large);

	printf("# user space ends at 0x%lx (%s)\n", user_end,
	       large ? "above 2^48: la57 or LPA2" : "48 bits or less");

	tap(!strcmp(knob_read("pid"), "none"), "pid: 'none' before any write");
	tap(!strcmp(knob_read("range"), "all"), "range: 'all' by default");
	tap(!strcmp(knob_read("walker"), "[pageout] cold pte_reclaim"),
	    "walker: pageout by default");
	tap(!strcmp(knob_read("split"), "never [partial] always"),
	    "split: partial by default");
	tap(!strcmp(knob_read("batch"), "512"), "batch: 512 by default");
	tap(!strcmp(knob_read("unmap"), "[kernel] batched"),
	    "unmap: kernel by default");
	tap(!strcmp(knob_read("young"), "[batched] per_pte"),
	    "young: batched by default");
	tap(!strcmp(knob_read("probes"), "on"), "probes: on at load");
	tap(!strcmp(knob_read("pte_reclaim_zero"), "0"),
	    "pte_reclaim_zero: 0 by default");
	tap(!strcmp(knob_read("lock_hold_tables"), "512"),
	    "lock_hold_tables: 512 by default");
	tap(!strcmp(knob_read("pt_batch"), "512"),
	    "pt_batch: 512 by default");
	tap(!strcmp(knob_read("cgroup"), "none"), "cgroup: none by default");
	tap(!strcmp(knob_read("auto_interval_ms"), "0"),
	    "auto_interval_ms: 0 (off) by default");
	tap(!strcmp(knob_read("auto_budget_pct"), "1"),
	    "auto_budget_pct: 1 by default");

	test_pid();
	test_range(user_end);
	test_choice("walker", walkers, 3, "pageout");
	test_choice("split", splits, 3, "partial");
	test_choice("unmap", unmaps, 2, "kernel");
	test_choice("young", youngs, 2, "batched");
	test_batch();
	test_pte_reclaim_zero();
	test_lock_hold_tables();
	test_pt_batch();
	test_auto_knobs();
	test_cgroup();
	test_write_only_and_read_only();
	test_stats_and_probes();
	test_last_across_reset();
	return rl_failures ? 1 : 0;
}
