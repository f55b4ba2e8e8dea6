// SPDX-License-Identifier: GPL-2.0
/*
 * Knob fuzzing: random and hostile byte strings written to every debugfs
 * file of the module for a bounded time, while a child process pages its
 * memory out in a loop (load for the probes and a target for triggers).
 * Each write must be accepted whole or refused with an errno from the
 * expected set, and a refused write must leave every readable setting as
 * it was.  The guest log scan catches any splat.
 * Usage: t_fuzz_knobs [seconds]   (default 20)
 */
#include "walker_lib.h"
#include <signal.h>
#include <sys/wait.h>

static const char *const knobs[] = {
	"pid", "range", "walker", "split", "batch", "unmap", "young",
	"pte_reclaim_zero", "trigger", "stats", "probes", "last", "symbols",
	"lock_hold_tables", "cgroup", "auto_interval_ms", "auto_budget_pct",
	"auto_cgroup", "pt_batch",
};
#define NR_KNOBS (int)(sizeof(knobs) / sizeof(knobs[0]))

/* The settings a refused write must not change. */
static const char *const settings[] = {
	"pid", "range", "walker", "split", "batch", "unmap", "young",
	"pte_reclaim_zero", "probes", "lock_hold_tables", "cgroup",
	"auto_interval_ms", "auto_budget_pct", "auto_cgroup", "pt_batch",
};
#define NR_SETTINGS (int)(sizeof(settings) / sizeof(settings[0]))

static const char *const corpus[] = {
	"", " ", "\n", "\t\n", "0", "1", "2", "-1", "-0", "+1", "01", "0x",
	"0x0", "0x1000", "4096", "512", "513", "4294967295", "4294967296",
	"18446744073709551615", "18446744073709551616",
	"99999999999999999999999999999999", "all", "all ", " all", "ALL",
	"0x1000 0x2000", "0x1000\t0x2000", "0x2000 0x1000", "4096 8192",
	"0x7ffffffff000 0x800000000000", "0 0", "0x1000 0x1000 0x1000",
	"pageout", "cold", "pte_reclaim", "PAGEOUT", "pageout\n", " cold ",
	"pte_reclaim\npageout", "[pageout]", "never", "partial", "always",
	"on", "off", "On", "yes", "%s%s%s%n", "\xff\xfe\xfd", "\xc3\xa9",
	"kernel", "batched", "Batched", "per_pte", "per-pte", "1\n1", "0\n", "none",
	"/nope", "nope", "/proc", "/sys/fs/cgroup/cgroup.procs", "3600000",
	"3600001", "100", "101", "200",
};
#define NR_CORPUS (int)(sizeof(corpus) / sizeof(corpus[0]))

static unsigned int seed = 12345;

static unsigned int rnd(unsigned int n)
{
	return rand_r(&seed) % n;
}

static void snapshot(char out[NR_SETTINGS][256])
{
	int i;

	for (i = 0; i < NR_SETTINGS; i++)
		snprintf(out[i], 256, "%.255s", knob_read(settings[i]));
}

/* A value: from the corpus, random bytes, or a long run of one byte. */
static size_t make_value(char *buf, size_t max)
{
	const char *c;
	size_t len, i;

	switch (rnd(4)) {
	case 0:
	case 1:
		c = corpus[rnd(NR_CORPUS)];
		len = strlen(c);
		memcpy(buf, c, len);
		return len;
	case 2:
		len = rnd(64) + 1;
		break;
	default:
		len = rnd(max) + 1;
		break;
	}
	if (rnd(2))
		for (i = 0; i < len; i++)
			buf[i] = rnd(256);
	else
		memset(buf, "1 0xa\0"[rnd(6)], len);
	return len;
}

/* ESPIPE: pwrite() on a file opened write-only (nonseekable_open()). */
static int errno_expected(int err)
{
	return err == EINVAL || err == ESRCH || err == EACCES || err == EPERM ||
	       err == EINTR || err == ESPIPE ||
	       /* cgroup paths */
	       err == ENOENT || err == ENOTDIR || err == EOPNOTSUPP;
}

struct tally {
	long accepted, refused, unexpected, changed, short_writes;
};

/* Judges one write() that returned @n (errno @err) for @len bytes. */
static void judge(const char *knob, size_t len, ssize_t n, int err,
		  char before[NR_SETTINGS][256], struct tally *t)
{
	char after[NR_SETTINGS][256];
	int i;

	if (n >= 0 && n != (ssize_t)len) {
		t->short_writes++;
		diag("%s: a write of %zu bytes returned %zd", knob, len, n);
		return;
	}
	if (n >= 0) {
		t->accepted++;
		return;
	}
	t->refused++;
	if (!errno_expected(err)) {
		t->unexpected++;
		diag("%s: refused with unexpected %s", knob, errname(err));
	}
	snapshot(after);
	for (i = 0; i < NR_SETTINGS; i++) {
		if (strcmp(before[i], after[i])) {
			t->changed++;
			diag("%s: a refused write (%s) changed %s: '%s' -> '%s'",
			     knob, errname(err), settings[i], before[i], after[i]);
		}
	}
}

/*
 * Writes @len bytes of @buf to @knob: whole at offset 0, at another
 * offset, after a seek, or in two writes on one descriptor (each judged).
 */
static void fuzz_one(const char *knob, const char *buf, size_t len,
		     struct tally *t)
{
	char before[NR_SETTINGS][256];
	char path[128];
	size_t first;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), RL_DIR "%s", knob);
	snapshot(before);
	fd = open(path, O_RDWR);
	if (fd < 0)
		fd = open(path, O_WRONLY);
	if (fd < 0) {
		judge(knob, len, -1, errno, before, t);
		return;
	}
	switch (rnd(4)) {
	case 1:
		n = pwrite(fd, buf, len, 1 + rnd(4096));
		break;
	case 2:
		first = len > 1 ? 1 + rnd(len - 1) : len;
		n = write(fd, buf, first);
		judge(knob, first, n, errno, before, t);
		snapshot(before);
		buf += first;
		len -= first;
		n = write(fd, buf, len);
		break;
	case 3:
		lseek(fd, rnd(100000), rnd(2) ? SEEK_SET : SEEK_END);
		n = write(fd, buf, len);
		break;
	default:
		n = write(fd, buf, len);
		break;
	}
	judge(knob, len, n, errno, before, t);
	close(fd);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 20, t_end;
	static char buf[3 * 4096];
	struct tally t[NR_KNOBS] = { 0 };
	pid_t load;
	int k;

	setvbuf(stdout, NULL, _IOLBF, 0);
	load = fork();
	if (load == 0) {
		execl("./pageout_loop", "pageout_loop", "3600", (char *)NULL);
		_exit(127);
	}
	/* the load as the target of whatever trigger the fuzz makes */
	snprintf(buf, sizeof(buf), "%d", load);
	knob_write("pid", buf);

	t_end = now() + secs;
	while (now() < t_end) {
		k = rnd(NR_KNOBS);
		fuzz_one(knobs[k], buf, make_value(buf, sizeof(buf)), &t[k]);
	}
	kill(load, SIGKILL);
	waitpid(load, NULL, 0);

	for (k = 0; k < NR_KNOBS; k++) {
		tap(t[k].short_writes == 0 && t[k].unexpected == 0 &&
		    t[k].changed == 0 && t[k].accepted + t[k].refused > 0,
		    "fuzz %s: %ld writes accepted, %ld refused with an expected errno, %ld otherwise, %ld short, %ld refusals changed a setting",
		    knobs[k], t[k].accepted, t[k].refused - t[k].unexpected,
		    t[k].unexpected, t[k].short_writes, t[k].changed);
	}
	/* the knobs work after the fuzz */
	request(0, NULL, 0, "pageout", PARTIAL, 512);
	knob_write("pte_reclaim_zero", "0");
	knob_write("probes", "on");
	knob_write("lock_hold_tables", "512");
	knob_write("pt_batch", PT_BATCH_DEFAULT);
	knob_write("cgroup", "none");
	knob_write("auto_cgroup", "none");
	knob_write("auto_interval_ms", "0");
	knob_write("auto_budget_pct", "1");
	tap(!strcmp(knob_read("walker"), "[pageout] cold pte_reclaim") &&
	    !strcmp(knob_read("probes"), "on"),
	    "fuzz: the knobs take good values afterwards");
	return rl_failures ? 1 : 0;
}
