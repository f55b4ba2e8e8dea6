/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counter indices, from the one list in reclaimlab_counter_list.h.  Must
 * compile both in the kernel and in user space: no includes here.
 */
#ifndef RECLAIMLAB_COUNTERS_H
#define RECLAIMLAB_COUNTERS_H

/* Orders above this are counted in the last histogram bucket. */
#define RL_ORDER_BUCKETS 10

enum rl_counter {
#define RL_COUNTER(name) RL_C_##name,
#include "reclaimlab_counter_list.h"
#undef RL_COUNTER
	RL_NR_COUNTERS
};

#endif /* RECLAIMLAB_COUNTERS_H */
