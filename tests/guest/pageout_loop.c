// SPDX-License-Identifier: GPL-2.0
/*
 * Load for other tests: for SECONDS, fill THP-backed memory (MIB MiB,
 * default 4), page it out with MADV_PAGEOUT, and check every byte comes
 * back.  Prints one TAP line at the end; exits 1 if any byte differed.
 * Usage: pageout_loop [SECONDS [MIB]]
 */
#include "rltest.h"
#include <signal.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 10;
	size_t len = (argc > 2 ? strtoul(argv[2], NULL, 10) : 4) << 20;
	time_t end = time(NULL) + seconds;
	unsigned long rounds = 0, bad = 0;
	char *p;

	signal(SIGTERM, on_term);
	p = map_aligned(len);
	madvise(p, len, MADV_HUGEPAGE);
	while (!stop && time(NULL) < end) {
		fill(p, len, rounds);
		madvise(p, len, MADV_PAGEOUT);
		bad += verify(p, len, rounds);
		rounds++;
	}
	tap(bad == 0 && rounds > 0,
	    "pageout loop: %lu rounds of MADV_PAGEOUT, %lu bad pages", rounds,
	    bad);
	return bad ? 1 : 0;
}
