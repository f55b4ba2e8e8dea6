// SPDX-License-Identifier: GPL-2.0
/*
 * Load on the target's mmap lock while a long walk runs (lib for the
 * lock_hold_tables tests and bench): one thread faults new pages in a
 * loop and records its longest stall, another maps and unmaps (the mmap
 * lock for write).
 */
#include "walker_lib.h"
#include <pthread.h>

#define HOLD_FAULT_LEN (8UL << 20)

static void *hold_fault_loop(void *arg)
{
	struct hold_load *h = arg;
	double last = now(), t;
	size_t off = 0;

	while (!h->stop) {
		h->p[off] = 1;
		t = now();
		if (h->measuring && t - last > h->longest)
			h->longest = t - last;
		last = t;
		h->faults++;
		off += PAGE_SZ;
		if (off == HOLD_FAULT_LEN) {
			madvise(h->p, HOLD_FAULT_LEN, MADV_DONTNEED);
			off = 0;
		}
	}
	return NULL;
}

static void *hold_map_loop(void *arg)
{
	struct hold_load *h = arg;

	while (!h->stop) {
		void *m = mmap(NULL, PAGE_SZ, PROT_READ, MAP_PRIVATE |
			       MAP_ANONYMOUS, -1, 0);

		if (m != MAP_FAILED)
			munmap(m, PAGE_SZ);
		h->maps++;
		usleep(h->map_sleep_us);
	}
	return NULL;
}

void hold_start(struct hold_load *h, int map_sleep_us)
{
	memset(h, 0, sizeof(*h));
	h->map_sleep_us = map_sleep_us;
	h->p = mmap(NULL, HOLD_FAULT_LEN, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h->p == MAP_FAILED)
		die("mmap");
	madvise(h->p, HOLD_FAULT_LEN, MADV_NOHUGEPAGE);
	if (pthread_create(&h->fault_thread, NULL, hold_fault_loop, h) ||
	    pthread_create(&h->map_thread, NULL, hold_map_loop, h))
		die("pthread_create");
	/* both running before the walk starts */
	usleep(100000);
	h->measuring = 1;
}

void hold_stop(struct hold_load *h)
{
	h->stop = 1;
	pthread_join(h->fault_thread, NULL);
	pthread_join(h->map_thread, NULL);
	munmap(h->p, HOLD_FAULT_LEN);
}

/* A sparse range of @tables PTE tables, each emptied of its one page. */
char *hold_sparse_tables(size_t tables)
{
	char *p = map_sparse(tables * PMD_SZ);
	size_t i;

	for (i = 0; i < tables; i++)
		p[i * PMD_SZ] = 1;
	for (i = 0; i < tables; i++)
		madvise(p + i * PMD_SZ, PAGE_SZ, MADV_DONTNEED);
	return p;
}
