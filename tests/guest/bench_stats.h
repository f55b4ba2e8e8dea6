/* SPDX-License-Identifier: GPL-2.0 */
/*
 * make bench's statistics (tests/guest/lib/bench_stats.c): a series of
 * samples from alternating rounds, its median and range, and the JSON
 * fields a BENCH line carries for it.
 */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#define BENCH_MAX_SAMPLES 16

struct series {
	int n;
	double v[BENCH_MAX_SAMPLES];
};

void series_add(struct series *s, double v);
double series_median(const struct series *s);
double series_min(const struct series *s);
double series_max(const struct series *s);

/*
 * Prints `, "KEY": MEDIAN, "KEY_min": MIN, "KEY_max": MAX, "KEY_all":
 * [...]` (fmt: each number's printf format) into the BENCH line being
 * written.
 */
void json_series(const char *key, const char *fmt, const struct series *s);

#endif
