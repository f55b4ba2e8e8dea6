/* SPDX-License-Identifier: GPL-2.0 */
/*
 * THP and mTHP settings and stats for the guest tests: which sizes the
 * kernel offers (6.12: per-size mTHP; 6.1: PMD THP only), allocating one
 * size at a time, and the per-size counters.
 */
#ifndef RL_THP_H
#define RL_THP_H

#include "rltest.h"

#define THP "/sys/kernel/mm/transparent_hugepage/"

/* The anon mTHP sizes of x86-64, 16 KiB to the PMD size. */
static const int mthp_kb[] __attribute__((unused)) = {
	16, 32, 64, 128, 256, 512, 1024, 2048,
};
#define NR_MTHP ((int)(sizeof(mthp_kb) / sizeof(mthp_kb[0])))

static inline int have_mthp(void)
{
	return access(THP "hugepages-64kB/enabled", F_OK) == 0;
}

static inline void set_text(const char *path, const char *value)
{
	if (write_bytes(path, value, strlen(value), -1))
		diag("cannot write '%s' to %s", value, path);
}

static inline long long mthp_stat(int kb, const char *stat)
{
	char path[256];

	snprintf(path, sizeof(path), THP "hugepages-%dkB/stats/%s", kb, stat);
	return file_num(path);
}

/* Large folios swapped out whole, all sizes together. */
static inline long long large_swpout(void)
{
	long long sum = 0;
	int i;

	if (!have_mthp())
		return vmstat("thp_swpout");
	for (i = 0; i < NR_MTHP; i++)
		sum += mthp_stat(mthp_kb[i], "swpout");
	return sum;
}

/* Only folios of kb KiB (0: none) are allocated for anon memory. */
static inline void enable_only(int kb)
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

#endif /* RL_THP_H */
