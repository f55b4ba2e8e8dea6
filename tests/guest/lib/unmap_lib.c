// SPDX-License-Identifier: GPL-2.0
/*
 * What the batched-unmap tests (t_unmap_*.c, and t_adv_races' batched
 * walks) share: its counters summed and shown, and one batched walk.
 */
#include "walker_lib.h"

int unmap_mmlist_missing(void)
{
	static int missing = -1;
	char line[256];
	FILE *f;

	if (missing >= 0)
		return missing;
	f = fopen(RL_DIR "symbols", "r");
	if (!f)
		return 0;
	missing = 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "mmlist_lock ", 12) &&
		    strstr(line, "data(missing)"))
			missing = 1;
	fclose(f);
	return missing;
}

void unmap_prime_mmlist(void)
{
	static char *page;
	struct span s;

	if (!unmap_mmlist_missing())
		return;
	if (!page) {
		page = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED)
			die("mmap");
		madvise(page, PAGE_SZ, MADV_NOHUGEPAGE);
		memset(page, 0x5a, PAGE_SZ);
	}
	/* again each time: a swapoff brings it back and drains the list */
	scan(0, page, PAGE_SZ, &s);
	if (s.swapped)
		return;
	if (madvise(page, PAGE_SZ, MADV_PAGEOUT))
		die("MADV_PAGEOUT");
	scan(0, page, PAGE_SZ, &s);
	diag("mmlist_lock not in kallsyms: one page paged out by the kernel first (%s), which puts this mm on swapoff's list",
	     s.swapped == 1 ? "swapped" : "NOT swapped");
}

long long unmap_fallback_sum(const struct run *r)
{
	long long sum = 0;
	int i;

	for (i = RL_C_unmap_fallback_changed;
	     i <= RL_C_unmap_fallback_referenced; i++)
		sum += r->c.v[i];
	return sum;
}

const char *unmap_fallbacks(const struct rl_counters *c0,
			    const struct rl_counters *c1, char *buf,
			    size_t size)
{
	size_t o = 0;
	int i;

	buf[0] = '\0';
	for (i = RL_C_unmap_fallback_changed;
	     i <= RL_C_unmap_fallback_referenced && o < size; i++)
		if (c1->v[i] > c0->v[i])
			o += snprintf(buf + o, size - o, " %s %lld",
				      rl_counter_names[i] +
				      strlen("unmap_fallback_"),
				      c1->v[i] - c0->v[i]);
	return o ? buf : " none";
}

void unmap_case_name(char *buf, size_t size, const char *what, int kb,
		     int pte_mapped)
{
	snprintf(buf, size, "unmap batched %s %s%s", what, size_name(kb),
		 pte_mapped ? " PTE-mapped" : "");
}

/* The batched unmap's counters that moved, on one line. */
static void diag_unmap(const char *name, const struct run *r)
{
	char buf[1024];
	size_t o = 0;
	int i;

	for (i = RL_C_unmap_batched;
	     i <= RL_C_unmap_fallback_referenced && o < sizeof(buf); i++)
		if (r->c.v[i])
			o += snprintf(buf + o, sizeof(buf) - o, " %s %lld",
				      rl_counter_names[i], r->c.v[i]);
	diag("%s: ttu_calls %lld ttu_ns %lld,%s", name, r->c.v[RL_C_ttu_calls],
	     r->c.v[RL_C_ttu_ns], o ? buf : " no unmap counter moved");
}

void walk_batched(const char *name, void *p, size_t len, struct run *r)
{
	walk_unmap = "batched";
	walk(0, p, len, "pageout", PARTIAL, 512, r);
	walk_unmap = "kernel";
	check_run(name, r, 512);
	diag_unmap(name, r);
}
