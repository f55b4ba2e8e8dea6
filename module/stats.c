// SPDX-License-Identifier: GPL-2.0
/*
 * Cumulative counters.  Each CPU adds to its own copy, so the kprobe
 * handlers count without locks or shared cache lines.  A reset does not
 * write the per-CPU copies (a handler could be adding at that moment);
 * it records the current sums as a baseline that reads subtract.
 */
#include <linux/percpu.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/stringify.h>
#include "reclaimlab.h"

struct rl_pcpu_counters {
	u64 v[RL_NR_COUNTERS];
};

static DEFINE_PER_CPU(struct rl_pcpu_counters, rl_pcpu);
static u64 rl_baseline[RL_NR_COUNTERS];
static DEFINE_MUTEX(rl_baseline_lock);

static const char *const rl_counter_names[] = {
#define RL_COUNTER(name) __stringify(name),
#include "../include/reclaimlab_counter_list.h"
#undef RL_COUNTER
};

const char *rl_counter_name(enum rl_counter c)
{
	return c < RL_NR_COUNTERS ? rl_counter_names[c] : "?";
}

void rl_count(enum rl_counter c, u64 n)
{
	this_cpu_add(rl_pcpu.v[c], n);
}

/* Totals since load; probe_missed comes from the kretprobes themselves. */
static void rl_stats_sum(u64 *values)
{
	int cpu, i;

	memset(values, 0, sizeof(u64) * RL_NR_COUNTERS);
	for_each_possible_cpu(cpu) {
		struct rl_pcpu_counters *c = per_cpu_ptr(&rl_pcpu, cpu);

		for (i = 0; i < RL_NR_COUNTERS; i++)
			values[i] += READ_ONCE(c->v[i]);
	}
	values[RL_C_probe_missed] += rl_probes_missed();
}

/* One counter's total since load: for deltas, which a reset cannot move. */
u64 rl_stat_total(enum rl_counter c)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(&rl_pcpu, cpu)->v[c]);
	return sum;
}

/* Totals since load, which a reset does not move: for deltas. */
void rl_stats_read_raw(u64 *values)
{
	rl_stats_sum(values);
}

void rl_stats_read(u64 *values)
{
	int i;

	mutex_lock(&rl_baseline_lock);
	rl_stats_sum(values);
	for (i = 0; i < RL_NR_COUNTERS; i++)
		values[i] -= rl_baseline[i];
	mutex_unlock(&rl_baseline_lock);
}

void rl_stats_reset(void)
{
	mutex_lock(&rl_baseline_lock);
	rl_stats_sum(rl_baseline);
	mutex_unlock(&rl_baseline_lock);
}

void rl_counters_show(struct seq_file *m, const u64 *values)
{
	int i;

	for (i = 0; i < RL_NR_COUNTERS; i++)
		seq_printf(m, "%s %llu\n", rl_counter_names[i], values[i]);
}
