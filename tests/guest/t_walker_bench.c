// SPDX-License-Identifier: GPL-2.0
/*
 * The walker side by side with stock process_madvise(MADV_PAGEOUT)
 * (issue 3), for every large folio size the kernel offers and small
 * pages: the same pages reclaimed; the times and their ratio are printed,
 * never judged.  Everything paged out is read back and compared with
 * what was written.
 *
 * ./t_walker_bench [WORD]: only the groups whose name contains WORD
 * (bench).
 */
#include "walker_lib.h"

#define BENCH (32UL << 20)		/* side by side, per size */

/* ------------------------------------------------------------------ */
/* Side by side with stock MADV_PAGEOUT                               */

struct bench {
	double secs;
	long long pages;	/* by VmSwap */
	long long reclaimed;	/* by walk_reclaimed (module runs) */
	size_t bad;
	int err;
};

/* way: 0 stock, 1 module (batch 512, split partial), 2 (1, always) */
static void bench_one(int kb, int pte_mapped, int way, struct bench *b)
{
	uint64_t seed = 0xbe7c0000 + kb * 8 + pte_mapped * 4 + way;
	long long swap0;
	struct run r;
	double t0;
	char *p;

	memset(b, 0, sizeof(*b));
	p = populate(BENCH, kb, pte_mapped, seed);
	swap0 = self_swap_kb();
	if (way == 0) {
		t0 = now();
		b->err = stock_pageout(p, BENCH);
		b->secs = now() - t0;
		b->reclaimed = -1;
	} else {
		walk(0, p, BENCH, "pageout", way == 1 ? PARTIAL : ALWAYS,
		     way == 1 ? 512 : 1, &r);
		b->err = r.rc;
		b->secs = r.secs;
		b->reclaimed = W(&r, reclaimed);
	}
	b->pages = (self_swap_kb() - swap0) / 4;
	b->bad = verify(p, BENCH, seed);
	munmap(p, BENCH);
}

static int within_1pc(long long a, long long b)
{
	long long d = a > b ? a - b : b - a, m = a > b ? a : b;

	return d * 100 <= m;
}

static void bench_case(int kb, int pte_mapped)
{
	struct bench s, m, a;
	char name[96];

	snprintf(name, sizeof(name), "walker bench %s%s, %lu MiB",
		 size_name(kb), pte_mapped ? " PTE-mapped" : "", BENCH >> 20);
	bench_one(kb, pte_mapped, 0, &s);
	bench_one(kb, pte_mapped, 1, &m);
	bench_one(kb, pte_mapped, 2, &a);
	diag("%s: time stock : module : module batch 1 split always = %.3f : %.3f : %.3f s = %.2f : 1 : %.2f",
	     name, s.secs, m.secs, a.secs, m.secs > 0 ? s.secs / m.secs : 0,
	     m.secs > 0 ? a.secs / m.secs : 0);
	diag("%s: pages reclaimed: stock %lld, module %lld (walk_reclaimed %lld), batch 1 split always %lld (walk_reclaimed %lld)",
	     name, s.pages, m.pages, m.reclaimed, a.pages, a.reclaimed);
	tap(!s.err && !m.err && s.pages > 0 && within_1pc(s.pages, m.pages) &&
	    within_1pc(s.pages, m.reclaimed),
	    "%s: module reclaims what stock process_madvise does, within 1%% (%lld, %lld pages; %s, %s)",
	    name, s.pages, m.pages, errname(s.err), errname(m.err));
	tap(!a.err && within_1pc(s.pages, a.pages) &&
	    within_1pc(s.pages, a.reclaimed),
	    "%s: so does batch 1 split always (%lld pages, %s)", name, a.pages,
	    errname(a.err));
	tap(!s.bad && !m.bad && !a.bad,
	    "%s: memory reads back identical after each (%zu, %zu, %zu bad pages)",
	    name, s.bad, m.bad, a.bad);
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	struct walker_env e;
	int i;

	walker_start(argc, argv, &e);
	if (want("bench")) {
		for (i = 0; i < e.nr; i++)
			bench_case(e.sizes[i][0], e.sizes[i][1]);
		bench_case(4, 0);
	}

	return walker_end("t_walker_bench", &e, rl_failures);
}
