// SPDX-License-Identifier: GPL-2.0
/*
 * The walker's cold (issue 3): it clears young bits and deactivates
 * without writing to swap, for small pages, a PTE-mapped large folio size
 * and PMD THP; judged by /proc/kpageflags on the classic LRU, by debugfs
 * lru_gen under MGLRU.
 *
 * young: with `young batched` and `young per_pte`, every young PTE of a
 * batch is cleared (a second walk finds none); contiguous blocks counted
 * on arm64 contpte.
 *
 * hold: a cold walk over 8192 PMDs under faults and mmaps gives the mmap
 * lock up every lock_hold_tables PMDs and still looks at every PTE once.
 *
 * ./t_walker_cold [WORD]: only the groups whose name contains WORD (cold,
 * young, hold).
 */
#include "walker_lib.h"

/*
 * Empties every CPU's LRU batches (folio_activate, folio_deactivate, ...
 * queue folios per CPU): mlock() starts with lru_add_drain_all(), on 6.1
 * and 6.12 alike.
 */
static void drain_lru_batches(void)
{
	static char *page;

	if (!page)
		page = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || mlock(page, PAGE_SZ))
		diag("mlock to drain the LRU batches: %s", strerror(errno));
	else
		munlock(page, PAGE_SZ);
}

/*
 * Reads each page twice through /proc/self/mem: GUP with FOLL_TOUCH
 * calls mark_page_accessed(), and the second call activates the folio
 * on the classic LRU (PTE-mapped pages only: a PMD-mapped THP is only
 * made young).
 */
static void activate(const char *p, size_t len)
{
	int fd = open("/proc/self/mem", O_RDONLY);
	uint64_t w;
	size_t off;
	int round;

	if (fd < 0) {
		diag("/proc/self/mem: %s", strerror(errno));
		return;
	}
	for (round = 0; round < 2; round++)
		for (off = 0; off < len; off += PAGE_SZ)
			if (pread(fd, &w, sizeof(w), (off_t)(uintptr_t)(p + off)) !=
			    sizeof(w))
				diag("pread /proc/self/mem: %s", strerror(errno));
	close(fd);
	drain_lru_batches();
}

/*
 * Anon pages in the youngest generation of every lruvec, from debugfs
 * lru_gen: per memcg and node, lines "SEQ AGE_MS ANON FILE", oldest
 * first.  -1 if unreadable.
 */
static long long mglru_youngest_anon(void)
{
	static char buf[1 << 16];
	long long sum = 0, last = -1;
	char *line, *next;
	int n;

	if (read_text("/sys/kernel/debug/lru_gen", buf, sizeof(buf)) <= 0)
		return -1;
	for (line = buf; line && *line; line = next) {
		unsigned long long seq, age, anon, file;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		n = sscanf(line, " %llu %llu %llu %llu", &seq, &age, &anon,
			   &file);
		if (n == 4) {
			last = anon;
			continue;
		}
		if (last >= 0)		/* a memcg or node header ends a list */
			sum += last;
		last = -1;
	}
	if (last >= 0)
		sum += last;
	return sum;
}

/* ------------------------------------------------------------------ */
/* cold                                                                */

static void cold_case(int kb, int pte_mapped)
{
	const long pages = REGION / PAGE_SZ;
	const int lru_gen = mglru();
	uint64_t seed = 0xc01d0000 + kb * 4 + pte_mapped;
	long long young0 = -1, young1 = -1;
	struct span before, after;
	struct ksnap k;
	struct run r;
	char name[96];
	long folios;
	char *p;

	snprintf(name, sizeof(name), "walker cold %s%s", size_name(kb),
		 pte_mapped ? " PTE-mapped" : kb == 2048 ? " PMD-mapped" : "");
	p = populate(REGION, kb, pte_mapped, seed);
	activate(p, REGION);
	scan(0, p, REGION, &before);
	folios = before.large + before.small;
	if (lru_gen)
		young0 = mglru_youngest_anon();
	ksnap(&k);
	walk(0, p, REGION, "cold", PARTIAL, 512, &r);
	drain_lru_batches();
	ksnap_delta(&k);
	if (lru_gen)
		young1 = mglru_youngest_anon();
	scan(0, p, REGION, &after);
	check_run(name, &r, 512);

	tap(W(&r, young_cleared) > 0, "%s: young bits cleared (%lld)", name,
	    W(&r, young_cleared));
	tap(W(&r, deactivated) == folios,
	    "%s: all %ld folios deactivated (%lld)", name, folios,
	    W(&r, deactivated));
	tap(W(&r, reclaimed) == 0 && k.swap_kb == 0 && k.pswpout == 0 &&
	    after.present == pages,
	    "%s: nothing written to swap (walk_reclaimed %lld, VmSwap +%lld kB, pswpout +%lld, %ld of %ld pages present)",
	    name, W(&r, reclaimed), k.swap_kb, k.pswpout, after.present,
	    pages);
	if (lru_gen) {
		diag("%s: MGLRU is on: kpageflags has no active bit for its generations (KPF_ACTIVE %ld of %ld folios before); judging by debugfs lru_gen instead",
		     name, before.active, folios);
		if (young0 < 0)
			diag("%s: /sys/kernel/debug/lru_gen unreadable: walk_deactivated is all there is",
			     name);
		else if (young0 < pages * 9 / 10)
			/*
			 * 7.x adds freshly faulted anon folios to the second
			 * youngest generation, where folio_deactivate() puts
			 * them too: there is nothing for cold to move.
			 */
			diag("%s: the region was not in the youngest generation before (anon %lld there): walk_deactivated is all there is",
			     name, young0);
		else
			tap(young0 - young1 >= pages * 9 / 10,
			    "%s: the youngest generation lost the region's pages (anon %lld -> %lld, want -%ld)",
			    name, young0, young1, pages);
	} else if (!before.flags_ok || !after.flags_ok) {
		diag("%s: /proc/kpageflags unreadable: walk_deactivated is all there is",
		     name);
	} else {
		diag("%s: before: %ld of %ld folios on the LRU, %ld active, %ld referenced",
		     name, before.lru, folios, before.active,
		     before.referenced);
		if (!before.active)
			diag("%s: nothing was active before (a PMD-mapped THP is not activated by GUP): the check below is weak",
			     name);
		tap(after.lru == folios && after.active == 0,
		    "%s: all folios on the inactive list after (%ld on the LRU, %ld active, %ld referenced)",
		    name, after.lru, after.active, after.referenced);
	}
	expect_identical(name, p, REGION, seed);
	munmap(p, REGION);
}

/* ------------------------------------------------------------------ */
/* young: batched (per contiguous block) and per_pte clear the same    */

/*
 * Every page read (young), then a cold walk with `young` @mode: every
 * batch's young bits cleared, which a second walk right after shows (it
 * finds none young).  On arm64 with contpte (6.12: mTHP), each 64 kB of a
 * folio is one contiguous block: the walk counts them, and per_pte counts
 * one young PTE per block (its first call clears all 16).
 */
static void young_case(int kb, int pte_mapped, const char *mode)
{
	const long pages = REGION / PAGE_SZ, folios = REGION / 1024 / kb;
#if defined(__aarch64__)
	const long blocks = have_mthp() && kb >= 64 ? REGION / (64 << 10) : 0;
#else
	const long blocks = 0;
#endif
	const int per_pte = !strcmp(mode, "per_pte");
	uint64_t seed = 0x7c0d0000 + kb + per_pte;
	struct run r, again;
	char name[96];
	long want_young;
	char *p;

	snprintf(name, sizeof(name), "walker cold young %s %s%s", mode,
		 size_name(kb), pte_mapped ? " PTE-mapped" : "");
	p = populate(REGION, kb, pte_mapped, seed);
	touch_pages(p, REGION);
	if (knob_write("young", mode))
		die("young");
	walk(0, p, REGION, "cold", PARTIAL, 512, &r);
	walk(0, p, REGION, "cold", PARTIAL, 512, &again);
	knob_write("young", "batched");
	check_run(name, &r, 512);
	/* a contiguous block reads young as one: per_pte finds it once */
	want_young = blocks && per_pte ? blocks : pages;
	tap(W(&r, young_cleared) == want_young && W(&r, batches) == folios,
	    "%s: %lld young PTEs cleared (want %ld), %lld batches (want %ld)",
	    name, W(&r, young_cleared), want_young, W(&r, batches), folios);
	tap(W(&r, contpte_blocks) == blocks,
	    "%s: %lld contiguous blocks in the batches (want %ld%s)", name,
	    W(&r, contpte_blocks), blocks,
	    blocks ? ": arm64 contpte" : ": none on this architecture or kernel");
	tap(W(&again, young_cleared) == 0,
	    "%s: a second walk finds nothing young (%lld)", name,
	    W(&again, young_cleared));
	expect_identical(name, p, REGION, seed);
	munmap(p, REGION);
}

/*
 * hold: a cold walk over 8192 PMDs, one small page in each, while threads
 * fault and mmap: the walk gives the mmap lock up every lock_hold_tables
 * PMDs (or when someone waits) and, finding its VMA again after each
 * break, looks at every PTE of the range exactly once.
 */
#define HOLD_PMDS 8192UL

static void hold_case(void)
{
	char *p = map_sparse(HOLD_PMDS * PMD_SZ);
	struct hold_load h;
	struct run r;
	size_t i;

	for (i = 0; i < HOLD_PMDS; i++)
		p[i * PMD_SZ] = (char)(i | 1);
	hold_start(&h, 1000);
	walk(0, p, HOLD_PMDS * PMD_SZ, "cold", PARTIAL, 512, &r);
	hold_stop(&h);
	diag_walk("hold", &r);
	diag("hold: the cold walk took %.1f ms; the faulting thread's longest stall %.1f ms over %ld faults (%ld mmap/munmap)",
	     r.elapsed_ns / 1e6, h.longest * 1e3, h.faults, h.maps);
	tap(r.rc == 0 && r.result == 0 &&
	    W(&r, lock_drops) >= (long long)(HOLD_PMDS / 512),
	    "hold: the cold walk gave the mmap lock up %lld times (want >= %lu: every 512 PMDs), %lld of them because someone waited",
	    W(&r, lock_drops), HOLD_PMDS / 512, W(&r, lock_waited));
	/*
	 * Young bits: at most one per page (a PTE seen twice could count
	 * twice); a few may already be old (7.2's MGLRU aging cleared 12 of
	 * 16384 in one run).
	 */
	tap(W(&r, ptes_scanned) == (long long)(HOLD_PMDS * 512) &&
	    W(&r, young_cleared) <= (long long)HOLD_PMDS &&
	    W(&r, young_cleared) >= (long long)(HOLD_PMDS * 99 / 100),
	    "hold: every PTE looked at once across the breaks (%lld of %lu), the pages made old (%lld of %lu: 99%% or more, none twice)",
	    W(&r, ptes_scanned), HOLD_PMDS * 512, W(&r, young_cleared),
	    HOLD_PMDS);
	for (i = 0; i < HOLD_PMDS; i++)
		if (p[i * PMD_SZ] != (char)(i | 1))
			break;
	tap(i == HOLD_PMDS && h.faults > 0,
	    "hold: every page reads back (%zu of %lu), the faulting thread ran (%ld faults)",
	    i, HOLD_PMDS, h.faults);
	munmap(p, HOLD_PMDS * PMD_SZ);
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	struct walker_env e;

	walker_start(argc, argv, &e);
	if (want("cold")) {
		cold_case(4, 0);
		cold_case(e.cut_kb, e.cut_pte);
		cold_case(2048, 0);
	}
	if (want("young")) {
		young_case(e.cut_kb, e.cut_pte, "batched");
		young_case(e.cut_kb, e.cut_pte, "per_pte");
	}
	if (want("hold"))
		hold_case();

	return walker_end("t_walker_cold", &e, rl_failures);
}
