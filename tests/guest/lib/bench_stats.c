// SPDX-License-Identifier: GPL-2.0
/* make bench's statistics: see bench_stats.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench_stats.h"

void series_add(struct series *s, double v)
{
	if (s->n < BENCH_MAX_SAMPLES)
		s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The middle sample (the mean of the two middle ones for an even count). */
double series_median(const struct series *s)
{
	double v[BENCH_MAX_SAMPLES];

	if (!s->n)
		return 0;
	memcpy(v, s->v, s->n * sizeof(v[0]));
	qsort(v, s->n, sizeof(v[0]), cmp_double);
	return s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
}

double series_min(const struct series *s)
{
	double m = s->n ? s->v[0] : 0;
	int i;

	for (i = 1; i < s->n; i++)
		if (s->v[i] < m)
			m = s->v[i];
	return m;
}

double series_max(const struct series *s)
{
	double m = s->n ? s->v[0] : 0;
	int i;

	for (i = 1; i < s->n; i++)
		if (s->v[i] > m)
			m = s->v[i];
	return m;
}

static void json_num(const char *fmt, double v)
{
	printf(fmt, v);
}

void json_series(const char *key, const char *fmt, const struct series *s)
{
	int i;

	printf(", \"%s\": ", key);
	json_num(fmt, series_median(s));
	printf(", \"%s_min\": ", key);
	json_num(fmt, series_min(s));
	printf(", \"%s_max\": ", key);
	json_num(fmt, series_max(s));
	printf(", \"%s_all\": [", key);
	for (i = 0; i < s->n; i++) {
		printf(i ? ", " : "");
		json_num(fmt, s->v[i]);
	}
	printf("]");
}
