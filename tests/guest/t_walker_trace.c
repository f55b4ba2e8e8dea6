// SPDX-License-Identifier: GPL-2.0
/*
 * The module's trace events (module/rl_trace.h, under
 * /sys/kernel/tracing/events/reclaimlab/) against its counters: each
 * walk_folio and pt_table line is emitted in the call that counts its
 * action or outcome, so per trigger the lines of each action must number
 * exactly that counter's delta in `last`, and the one walk_run line must
 * carry `last`'s result, time and deltas:
 *
 * - setup: the events are there; a 16 MiB buffer per CPU;
 * - pageout: large folios cut by the range (one split, one pinned so its
 *   split fails) and whole ones inside: the lines per action, their
 *   order, PTEs and addresses;
 * - unmap: pageout with unmap batched, one folio held by a pipe: an
 *   unmap_batched or unmap_fallback_<reason> line per folio, each one of
 *   a folio also traced as walk_large_whole;
 * - cold: the cold walker with half the folios shared with a child;
 * - pte: pte_reclaim over emptied tables and a few kept ones: a pt_table
 *   line per table, freed or kept, at the table's address;
 * - madvise: the stock MADV_COLD and MADV_PAGEOUT: a madvise_pmd line per
 *   call the probe counts (madv_calls in stats), with the same ns;
 * - off: with the events disabled a trigger traces nothing;
 * - reclaimctl: `reclaimctl trace -- CMD` sums the same lines.
 *
 * ./t_walker_trace [WORDS]: only the groups whose name contains one of the
 * comma-separated WORDS (setup always runs).
 */
#include "walker_lib.h"
#include <sys/uio.h>
#include <sys/wait.h>

#define TR "/sys/kernel/tracing/"
#define TR_EV TR "events/reclaimlab/"
#define BUFFER_KB "16384"

/* ------------------------------------------------------------------ */
/* tracefs                                                             */

struct folio_ev {
	int action;		/* enum rl_counter, or -1: not a counter */
	unsigned long addr, pfn;
	int order, ptes;
};

struct table_ev {
	int outcome;		/* enum rl_counter, or -1 */
	int freed;		/* the line said "freed" */
	unsigned long addr;
};

/* What one trace session holds, parsed. */
struct trace {
	long long lines;	/* event lines (not '#') */
	long long entries, written;	/* the header's; -1 if absent */
	int lost;		/* a "LOST n EVENTS" line */
	long long other;	/* lines of no event of ours, unparsable */
	char unknown[64];	/* the first action/outcome that is no counter */
	int runs;		/* walk_run lines */
	char run[2048];		/* the first walk_run line's fields */
	long long folio_by[RL_NR_COUNTERS];	/* walk_folio lines per action */
	long long table_by[RL_NR_COUNTERS];	/* pt_table lines per outcome */
	long long table_word_bad;	/* "freed" said of a kept one, or not */
	long long madv_pageout, madv_cold, madv_bad, madv_ns;
	long long left_mapped;	/* ttu_left_mapped lines */
	struct folio_ev *f;
	size_t nf, cf;
	struct table_ev *t;
	size_t nt, ct;
};

static char saved_buffer_kb[32], saved_tracing_on[8];

static int tr_write(const char *file, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), TR "%s", file);
	return write_bytes(path, value, strlen(value), -1);
}

static int events_enable(int on)
{
	return tr_write("events/reclaimlab/enable", on ? "1" : "0");
}

/* events/reclaimlab/enable: "0", "1", or "X" (some on, some off). */
static const char *enable_state(void)
{
	static char buf[16];

	if (read_text(TR_EV "enable", buf, sizeof(buf)) <= 0)
		return "<unreadable>";
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static int trace_clear(void)
{
	int fd = open(TR "trace", O_WRONLY | O_TRUNC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* Events off, the buffer emptied, events on. */
static void trace_begin(void)
{
	int err = events_enable(0);

	if (!err)
		err = trace_clear();
	if (!err)
		err = events_enable(1);
	if (err)
		diag("starting a trace session: %s", errname(err));
}

static void trace_end(void)
{
	int err = events_enable(0);

	if (err)
		diag("disabling the events: %s", errname(err));
}

static int counter_index(const char *name)
{
	int i;

	for (i = 0; i < RL_NR_COUNTERS; i++)
		if (!strcmp(rl_counter_names[i], name))
			return i;
	return -1;
}

/*
 * The value of the @nth (0: first; -1: last) "key=value" word of @s,
 * into @out; NULL if there is none.
 */
static const char *kv(const char *s, const char *key, int nth, char *out,
		      size_t size)
{
	size_t klen = strlen(key), vlen;
	const char *found = NULL, *w;
	int n = 0;

	for (w = s; *w; w += strcspn(w, " \t\n")) {
		w += strspn(w, " \t\n");
		if (!*w)
			break;
		if (strncmp(w, key, klen) || w[klen] != '=')
			continue;
		if (nth < 0 || n++ == nth) {
			found = w + klen + 1;
			if (nth >= 0)
				break;
		}
	}
	if (!found)
		return NULL;
	vlen = strcspn(found, " \t\n");
	if (vlen >= size)
		vlen = size - 1;
	memcpy(out, found, vlen);
	out[vlen] = '\0';
	return out;
}

/* A number-valued field of @s (decimal or 0x), or -1. */
static long long kv_num(const char *s, const char *key, int nth)
{
	char buf[64];

	if (!kv(s, key, nth, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

/* The first word of @s, into @out. */
static void first_word(const char *s, char *out, size_t size)
{
	size_t n;

	s += strspn(s, " \t");
	n = strcspn(s, " \t\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

static void note_unknown(struct trace *t, const char *name)
{
	if (!t->unknown[0])
		snprintf(t->unknown, sizeof(t->unknown), "%s", name);
}

/* "12345.678901:", the word before an event's name. */
static int is_timestamp(const char *w, size_t n)
{
	size_t i, dots = 0;

	if (n < 3 || w[n - 1] != ':')
		return 0;
	for (i = 0; i < n - 1; i++) {
		if (w[i] == '.')
			dots++;
		else if (w[i] < '0' || w[i] > '9')
			return 0;
	}
	return dots == 1;
}

/*
 * One line: "COMM-PID [CPU] FLAGS TIMESTAMP: EVENT: FIELDS".  The event
 * is the first word ending in ':' after one that is a timestamp.
 */
static void parse_line(struct trace *t, char *line)
{
	char *w, *prev = NULL, *event = NULL, *fields;
	size_t n, prev_n = 0;
	char name[64];

	for (w = line; *w; w += n) {
		w += strspn(w, " \t");
		n = strcspn(w, " \t\n");
		if (!n)
			break;
		if (prev && w[n - 1] == ':' && is_timestamp(prev, prev_n)) {
			event = w;
			break;
		}
		prev = w;
		prev_n = n;
	}
	if (!event) {
		t->other++;
		return;
	}
	n = strcspn(event, " \t\n") - 1;
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, event, n);
	name[n] = '\0';
	fields = event + n + 1;

	if (!strcmp(name, "walk_run")) {
		if (!t->runs++)
			snprintf(t->run, sizeof(t->run), "%s", fields);
	} else if (!strcmp(name, "walk_folio")) {
		struct folio_ev e;
		char act[64];

		if (!kv(fields, "action", 0, act, sizeof(act)))
			act[0] = '\0';
		e.action = counter_index(act);
		e.addr = kv_num(fields, "addr", 0);
		e.pfn = kv_num(fields, "pfn", 0);
		e.order = kv_num(fields, "order", 0);
		e.ptes = kv_num(fields, "ptes", 0);
		if (e.action < 0)
			note_unknown(t, act);
		else
			t->folio_by[e.action]++;
		if (t->nf == t->cf) {
			t->cf = t->cf ? 2 * t->cf : 1024;
			t->f = realloc(t->f, t->cf * sizeof(*t->f));
			if (!t->f)
				die("realloc");
		}
		t->f[t->nf++] = e;
	} else if (!strcmp(name, "pt_table")) {
		struct table_ev e;
		char out[64], word[16];

		if (!kv(fields, "outcome", 0, out, sizeof(out)))
			out[0] = '\0';
		/* "addr=0x... freed|kept outcome=..." */
		w = strstr(fields, "addr=");
		first_word(w ? w + strcspn(w, " \t") : "", word, sizeof(word));
		e.outcome = counter_index(out);
		e.freed = !strcmp(word, "freed");
		e.addr = kv_num(fields, "addr", 0);
		if (e.outcome < 0)
			note_unknown(t, out);
		else
			t->table_by[e.outcome]++;
		if ((e.outcome == RL_C_pte_reclaim_tables_freed) != e.freed ||
		    (!e.freed && strcmp(word, "kept")))
			t->table_word_bad++;
		if (t->nt == t->ct) {
			t->ct = t->ct ? 2 * t->ct : 1024;
			t->t = realloc(t->t, t->ct * sizeof(*t->t));
			if (!t->t)
				die("realloc");
		}
		t->t[t->nt++] = e;
	} else if (!strcmp(name, "madvise_pmd")) {
		first_word(fields, name, sizeof(name));
		if (!strcmp(name, "pageout"))
			t->madv_pageout++;
		else if (!strcmp(name, "cold"))
			t->madv_cold++;
		else
			t->madv_bad++;
		t->madv_ns += kv_num(fields, "ns", 0);
	} else if (!strcmp(name, "ttu_left_mapped")) {
		t->left_mapped++;
	} else {
		t->other++;
	}
}

static void trace_free(struct trace *t)
{
	free(t->f);
	free(t->t);
	memset(t, 0, sizeof(*t));
}

/* Reads and parses the whole buffer (the events must be off). */
static void trace_read(struct trace *t)
{
	static char line[8192];
	FILE *f = fopen(TR "trace", "r");
	char *s;

	memset(t, 0, sizeof(*t));
	t->entries = t->written = -1;
	if (!f) {
		diag("%s: %s", TR "trace", strerror(errno));
		t->lost = 1;
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#') {
			s = strstr(line, "entries-in-buffer/entries-written:");
			if (s)
				sscanf(s + strlen("entries-in-buffer/entries-written:"),
				       " %lld/%lld", &t->entries, &t->written);
			continue;
		}
		if (line[0] == '\n')
			continue;
		if (strstr(line, "LOST") && strstr(line, "EVENTS")) {
			t->lost = 1;
			continue;
		}
		t->lines++;
		parse_line(t, line);
	}
	fclose(f);
}

/* ------------------------------------------------------------------ */
/* A traced trigger, and what every one must show                      */

/* The counters a walk_folio line is emitted with (action=NAME). */
static int folio_action(int i)
{
	if (i >= RL_C_walk_large_whole && i <= RL_C_walk_skip_device)
		return i != RL_C_walk_pmd_whole && i != RL_C_walk_skip_vma &&
		       i != RL_C_walk_skip_mlocked;
	return i == RL_C_unmap_batched ||
	       (i >= RL_C_unmap_fallback_changed &&
		i <= RL_C_unmap_fallback_referenced);
}

/* The counters a pt_table line is emitted with (outcome=NAME). */
static int table_outcome(int i)
{
	return i == RL_C_pte_reclaim_tables_freed ||
	       i == RL_C_pte_reclaim_skip_not_empty ||
	       i == RL_C_pte_reclaim_skip_busy ||
	       i == RL_C_pte_reclaim_skip_vma;
}

/* One trigger of the request as selected, in its own trace session. */
static void traced_walk(pid_t pid, const void *start, size_t len,
			const char *walker, int split, struct run *r,
			struct trace *t)
{
	int i;

	memset(r, 0, sizeof(*r));
	r->rc = request(pid, start, len, walker, split, 512);
	if (r->rc) {
		r->result = -1;
		for (i = 0; i < RL_NR_COUNTERS; i++)
			r->c.v[i] = -1;
		memset(t, 0, sizeof(*t));
		return;
	}
	trace_begin();
	trigger(r);
	trace_end();
	trace_read(t);
}

/* "name lines/delta" for each counter of @which that moved, into @buf. */
static int compare_counts(const struct run *r, const long long *by,
			  int (*which)(int), char *buf, size_t size)
{
	size_t o = 0;
	int i, ok = 1;

	buf[0] = '\0';
	for (i = 0; i < RL_NR_COUNTERS; i++) {
		if (!which(i) || (!by[i] && !r->c.v[i]))
			continue;
		ok &= by[i] == r->c.v[i];
		if (o < size)
			o += snprintf(buf + o, size - o, " %s %lld/%lld",
				      rl_counter_names[i], by[i], r->c.v[i]);
	}
	if (!o)
		snprintf(buf, size, " none");
	return ok;
}

/*
 * What every traced trigger must show: a complete trace of our events
 * only, one walk_run line that is `last`, and per action and outcome as
 * many lines as the counter's delta.
 */
static void check_session(const char *name, const struct run *r,
			  const struct trace *t, const char *walker,
			  const void *start, size_t len)
{
	char buf[1024], w[16];
	const char *run = t->run;
	long long want[7], got[7];
	static const char *const keys[7] = {
		"large_whole", "split_folios", "isolated", "reclaimed",
		"deactivated",
		"unmap_batched", "tables_freed",
	};
	int i, ok;

	tap(r->rc == 0 && r->result == 0 && !t->lost &&
	    t->entries == t->written && t->entries == t->lines &&
	    !t->other && !t->unknown[0],
	    "%s: trigger %s, result %lld; trace complete: %lld lines, %lld in the buffer of %lld written, %lld not ours, unknown action '%s'",
	    name, errname(r->rc), r->result, t->lines, t->entries,
	    t->written, t->other, t->unknown);

	want[0] = W(r, large_whole);
	want[1] = W(r, split);
	want[2] = W(r, isolated);
	want[3] = W(r, reclaimed);
	want[4] = W(r, deactivated);
	want[5] = U(r, batched);
	want[6] = r->c.v[RL_C_pte_reclaim_tables_freed];
	ok = t->runs == 1;
	for (i = 0; i < 7; i++) {
		got[i] = kv_num(run, keys[i], 0);
		ok &= got[i] == want[i];
	}
	if (!kv(run, "walker", 0, w, sizeof(w)))
		w[0] = '\0';
	ok &= !strcmp(w, walker) && kv_num(run, "pid", 0) == getpid() &&
	      kv_num(run, "result", 0) == r->result &&
	      kv_num(run, "elapsed_ns", 0) == r->elapsed_ns &&
	      kv_num(run, "start", 0) == (long long)(uintptr_t)start &&
	      kv_num(run, "end", 0) == (long long)((uintptr_t)start + len);
	tap(ok,
	    "%s: %d walk_run line: walker=%s pid=%lld start=%#llx end=%#llx result=%lld (last %lld) elapsed_ns=%lld (%lld) large_whole=%lld (%lld) split_folios=%lld (%lld) isolated=%lld (%lld) reclaimed=%lld (%lld) deactivated=%lld (%lld) unmap_batched=%lld (%lld) tables_freed=%lld (%lld)",
	    name, t->runs, w, kv_num(run, "pid", 0), kv_num(run, "start", 0),
	    kv_num(run, "end", 0), kv_num(run, "result", 0), r->result,
	    kv_num(run, "elapsed_ns", 0), r->elapsed_ns, got[0], want[0],
	    got[1], want[1], got[2], want[2], got[3], want[3], got[4],
	    want[4], got[5], want[5], got[6], want[6]);

	ok = compare_counts(r, t->folio_by, folio_action, buf, sizeof(buf));
	tap(ok, "%s: walk_folio lines per action = `last` deltas (lines/delta):%s",
	    name, buf);
	if (W(r, skip_vma) || W(r, skip_mlocked))
		diag("%s: VMA counters (no walk_folio line): walk_skip_vma %lld walk_skip_mlocked %lld",
		     name, W(r, skip_vma), W(r, skip_mlocked));

	ok = compare_counts(r, t->table_by, table_outcome, buf, sizeof(buf));
	tap(ok && !t->table_word_bad &&
	    (long long)t->nt == r->c.v[RL_C_pte_reclaim_tables_scanned],
	    "%s: pt_table lines per outcome = `last` deltas:%s; %zu lines for %lld tables scanned, %lld saying freed/kept wrongly",
	    name, buf, t->nt, r->c.v[RL_C_pte_reclaim_tables_scanned],
	    t->table_word_bad);

	tap(t->left_mapped == r->c.v[RL_C_ttu_large_left_mapped] &&
	    t->madv_pageout + t->madv_cold + t->madv_bad ==
		    r->c.v[RL_C_madv_calls],
	    "%s: ttu_left_mapped lines %lld = ttu_large_left_mapped delta %lld; madvise_pmd lines %lld = madv_calls delta %lld",
	    name, t->left_mapped, r->c.v[RL_C_ttu_large_left_mapped],
	    t->madv_pageout + t->madv_cold + t->madv_bad,
	    r->c.v[RL_C_madv_calls]);
}

static int order_of(size_t bytes)
{
	int o = 0;

	while ((PAGE_SZ << o) < bytes)
		o++;
	return o;
}

/* Shows a few lines of one action, as the trace has them. */
static void diag_folio_lines(const char *name, const struct trace *t,
			     int action, int max)
{
	size_t i;

	for (i = 0; i < t->nf && max; i++) {
		if (t->f[i].action != action)
			continue;
		diag("%s: walk_folio: addr=%#lx pfn=%#lx order=%d ptes=%d action=%s",
		     name, t->f[i].addr, t->f[i].pfn, t->f[i].order,
		     t->f[i].ptes, rl_counter_names[action]);
		max--;
	}
}

/* A case's length: 4 folios of @kb, at least a PMD's worth. */
static size_t case_len(int kb)
{
	size_t f = (size_t)kb << 10;

	return f >= PMD_SZ ? 4 * f : PMD_SZ;
}

static int pin_page(const void *page, int pfd[2])
{
	struct iovec iov = { .iov_base = (void *)page, .iov_len = PAGE_SZ };

	if (pipe(pfd))
		return errno;
	if (vmsplice(pfd[1], &iov, 1, 0) != (ssize_t)PAGE_SZ)
		return errno;
	return 0;
}

/* ------------------------------------------------------------------ */
/* pageout: whole folios, a split one, a failed split                  */

static void test_pageout(int kb, int pte_mapped)
{
	const size_t F = (size_t)kb << 10, h = F / 2, len = case_len(kb);
	const long folios = len / F;
	const int order = order_of(F);
	uint64_t seed = 0x7ace0000 + kb;
	long bad = 0, nwhole = 0, ncut = 0;
	char name[96];
	struct trace t;
	struct run r;
	int pfd[2], err;
	size_t i;
	char *p;

	snprintf(name, sizeof(name), "trace pageout %s%s cut", size_name(kb),
		 pte_mapped ? " PTE-mapped" : "");
	p = populate(len, kb, pte_mapped, seed);
	/* the first cut folio held by a pipe: its split fails */
	err = pin_page(p + h, pfd);
	if (err) {
		tap(0, "%s: vmsplice: %s", name, strerror(err));
		munmap(p, len);
		return;
	}
	traced_walk(0, p + h, len - F, "pageout", PARTIAL, &r, &t);
	diag_walk(name, &r);
	check_session(name, &r, &t, "pageout", p + h, len - F);
	tap(W(&r, large_whole) == folios - 2 && W(&r, split) == 1 &&
	    W(&r, split_failed) == 1 && t.folio_by[RL_C_walk_large_whole] ==
	    folios - 2 && t.folio_by[RL_C_walk_split] == 1 &&
	    t.folio_by[RL_C_walk_split_failed] == 1,
	    "%s: both kinds traced: walk_large_whole %lld lines (want %ld), walk_split %lld (1), walk_split_failed %lld (1)",
	    name, t.folio_by[RL_C_walk_large_whole], folios - 2,
	    t.folio_by[RL_C_walk_split], t.folio_by[RL_C_walk_split_failed]);
	for (i = 0; i < t.nf; i++) {
		const struct folio_ev *e = &t.f[i];

		if (e->action == RL_C_walk_large_whole) {
			nwhole++;
			bad += e->order != order || e->ptes != (int)(F / PAGE_SZ) ||
			       e->addr % F || e->addr < (uintptr_t)p + F ||
			       e->addr >= (uintptr_t)p + len - F || !e->pfn;
		} else if (e->action == RL_C_walk_split ||
			   e->action == RL_C_walk_split_failed) {
			ncut++;
			bad += e->order != order ||
			       e->ptes != (int)(h / PAGE_SZ) || !e->pfn ||
			       e->addr != (e->action == RL_C_walk_split_failed ?
					   (uintptr_t)p + h :
					   (uintptr_t)p + len - F);
		}
	}
	tap(bad == 0 && nwhole + ncut > 0,
	    "%s: order=%d ptes=%zu at each whole folio's address, order=%d ptes=%zu for the cut ones at the range's ends (%ld of %ld lines not)",
	    name, order, F / PAGE_SZ, order, h / PAGE_SZ, bad, nwhole + ncut);
	diag_folio_lines(name, &t, RL_C_walk_large_whole, 1);
	diag_folio_lines(name, &t, RL_C_walk_split, 1);
	diag_folio_lines(name, &t, RL_C_walk_split_failed, 1);
	diag("%s: walk_run: %.300s", name, t.run);
	close(pfd[0]);
	close(pfd[1]);
	expect_identical(name, p, len, seed);
	trace_free(&t);
	munmap(p, len);
}

/* ------------------------------------------------------------------ */
/* unmap batched: a line per folio, batched or left to the kernel      */

static void test_unmap(int kb, int pte_mapped)
{
	const size_t F = (size_t)kb << 10, len = case_len(kb);
	const long folios = len / F;
	uint64_t seed = 0x7acf0000 + kb;
	long long fb_lines = 0;
	long unmatched = 0;
	char name[96];
	struct trace t;
	struct run r;
	int pfd[2], err;
	size_t i, j;
	char *p;

	snprintf(name, sizeof(name), "trace unmap batched %s%s", size_name(kb),
		 pte_mapped ? " PTE-mapped" : "");
	p = populate(len, kb, pte_mapped, seed);
	/* the second folio held by a pipe: left to the kernel's unmap */
	err = pin_page(p + F + PAGE_SZ, pfd);
	if (err) {
		tap(0, "%s: vmsplice: %s", name, strerror(err));
		munmap(p, len);
		return;
	}
	walk_unmap = "batched";
	traced_walk(0, p, len, "pageout", PARTIAL, &r, &t);
	walk_unmap = "kernel";
	diag_walk(name, &r);
	check_session(name, &r, &t, "pageout", p, len);
	for (i = RL_C_unmap_fallback_changed;
	     i <= RL_C_unmap_fallback_referenced; i++)
		fb_lines += t.folio_by[i];
	tap(t.folio_by[RL_C_unmap_batched] == U(&r, batched) &&
	    fb_lines == unmap_fallback_sum(&r) &&
	    t.folio_by[RL_C_unmap_batched] + fb_lines == folios &&
	    fb_lines >= 1,
	    "%s: %lld unmap_batched lines (delta %lld), %lld unmap_fallback_* lines (deltas %lld): one per folio of %ld, the held one among the fallbacks",
	    name, t.folio_by[RL_C_unmap_batched], U(&r, batched), fb_lines,
	    unmap_fallback_sum(&r), folios);
	/* each a folio the walk took whole first */
	for (i = 0; i < t.nf; i++) {
		if (t.f[i].action != RL_C_unmap_batched &&
		    (t.f[i].action < RL_C_unmap_fallback_changed ||
		     t.f[i].action > RL_C_unmap_fallback_referenced))
			continue;
		for (j = 0; j < i; j++)
			if (t.f[j].action == RL_C_walk_large_whole &&
			    t.f[j].addr == t.f[i].addr &&
			    t.f[j].pfn == t.f[i].pfn)
				break;
		unmatched += j == i;
	}
	tap(unmatched == 0,
	    "%s: each unmap line follows the folio's walk_large_whole line (%ld do not)",
	    name, unmatched);
	diag_folio_lines(name, &t, RL_C_unmap_batched, 1);
	for (i = RL_C_unmap_fallback_changed;
	     i <= RL_C_unmap_fallback_referenced; i++)
		diag_folio_lines(name, &t, i, 1);
	close(pfd[0]);
	close(pfd[1]);
	expect_identical(name, p, len, seed);
	trace_free(&t);
	munmap(p, len);
}

/* ------------------------------------------------------------------ */
/* cold: whole, split and shared folios                                */

static void test_cold(int kb, int pte_mapped)
{
	const size_t F = (size_t)kb << 10, h = F / 2, len = case_len(kb);
	const long half = len / 2 / F;
	uint64_t seed = 0x7ad00000 + kb;
	char name[96], c = 0;
	struct trace t;
	struct run r;
	int pfd[2];
	pid_t child;
	char *p;

	snprintf(name, sizeof(name), "trace cold %s%s", size_name(kb),
		 pte_mapped ? " PTE-mapped" : "");
	p = populate(len, kb, pte_mapped, seed);
	/* the second half shared with a child: skip_shared */
	if (madvise(p, len / 2, MADV_DONTFORK) || pipe(pfd))
		die("MADV_DONTFORK, pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		close(pfd[1]);
		if (read(pfd[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(pfd[0]);
	traced_walk(0, p + h, len - F, "cold", PARTIAL, &r, &t);
	close(pfd[1]);
	waitpid(child, NULL, 0);
	diag_walk(name, &r);
	check_session(name, &r, &t, "cold", p + h, len - F);
	tap(t.folio_by[RL_C_walk_large_whole] == half - 1 &&
	    t.folio_by[RL_C_walk_split] == 1 &&
	    t.folio_by[RL_C_walk_skip_shared] == half,
	    "%s: walk_large_whole %lld lines (want %ld), walk_split %lld (1), walk_skip_shared %lld (%ld: the child's half)",
	    name, t.folio_by[RL_C_walk_large_whole], half - 1,
	    t.folio_by[RL_C_walk_split], t.folio_by[RL_C_walk_skip_shared],
	    half);
	diag_folio_lines(name, &t, RL_C_walk_skip_shared, 1);
	expect_identical(name, p, len, seed);
	trace_free(&t);
	munmap(p, len);
}

/* ------------------------------------------------------------------ */
/* pte_reclaim: a pt_table line per table                              */

#define PTE_TABLES 68
#define PTE_KEPT(i) ((i) % 17 == 3)	/* 4 of the 68 */

static void test_pte(void)
{
	const size_t len = PTE_TABLES * PMD_SZ;
	char *p = map_sparse(len);
	long want_freed = 0, want_kept = 0, bad_addr = 0;
	const char *name = "trace pte_reclaim";
	struct trace t;
	struct run r;
	size_t i, k;

	for (i = 0; i < PTE_TABLES; i++)
		p[i * PMD_SZ + 7 * PAGE_SZ] = 1;
	for (i = 0; i < PTE_TABLES; i++) {
		if (PTE_KEPT(i)) {
			want_kept++;
			continue;
		}
		want_freed++;
		if (madvise(p + i * PMD_SZ + 7 * PAGE_SZ, PAGE_SZ,
			    MADV_DONTNEED))
			die("MADV_DONTNEED");
	}
	traced_walk(0, p, len, "pte_reclaim", PARTIAL, &r, &t);
	diag("%s: scanned %lld freed %lld not_empty %lld busy %lld vma %lld",
	     name, r.c.v[RL_C_pte_reclaim_tables_scanned],
	     r.c.v[RL_C_pte_reclaim_tables_freed],
	     r.c.v[RL_C_pte_reclaim_skip_not_empty],
	     r.c.v[RL_C_pte_reclaim_skip_busy],
	     r.c.v[RL_C_pte_reclaim_skip_vma]);
	check_session(name, &r, &t, "pte_reclaim", p, len);
	tap(t.table_by[RL_C_pte_reclaim_tables_freed] == want_freed &&
	    r.c.v[RL_C_pte_reclaim_tables_freed] == want_freed &&
	    kv_num(t.run, "tables_freed", 0) == want_freed,
	    "%s: %lld 'freed' lines = tables_freed delta %lld = walk_run tables_freed=%lld = the %ld emptied tables",
	    name, t.table_by[RL_C_pte_reclaim_tables_freed],
	    r.c.v[RL_C_pte_reclaim_tables_freed],
	    kv_num(t.run, "tables_freed", 0), want_freed);
	tap(t.table_by[RL_C_pte_reclaim_skip_not_empty] == want_kept &&
	    r.c.v[RL_C_pte_reclaim_skip_not_empty] == want_kept,
	    "%s: %lld 'kept outcome=pte_reclaim_skip_not_empty' lines = delta %lld = the %ld tables with a page",
	    name, t.table_by[RL_C_pte_reclaim_skip_not_empty],
	    r.c.v[RL_C_pte_reclaim_skip_not_empty], want_kept);
	for (i = 0; i < t.nt; i++) {
		k = (t.t[i].addr - (uintptr_t)p) / PMD_SZ;
		bad_addr += t.t[i].addr % PMD_SZ || t.t[i].addr < (uintptr_t)p ||
			    k >= PTE_TABLES || (!PTE_KEPT(k)) != t.t[i].freed;
	}
	tap(bad_addr == 0 && t.nt == PTE_TABLES,
	    "%s: each of the %d tables has one line, at its address, freed or kept as it should (%zu lines, %ld wrong)",
	    name, PTE_TABLES, t.nt, bad_addr);
	for (i = 0, k = 0; i < t.nt && k < 2; i++)
		if (i == 0 || t.t[i].freed != t.t[0].freed) {
			diag("%s: pt_table: addr=%#lx %s outcome=%s", name,
			     t.t[i].addr, t.t[i].freed ? "freed" : "kept",
			     t.t[i].outcome >= 0 ?
			     rl_counter_names[t.t[i].outcome] : "?");
			k++;
		}
	trace_free(&t);
	munmap(p, len);
}

/* ------------------------------------------------------------------ */
/* madvise_pmd: the stock path, a line per probed call                 */

static void madvise_case(char *p, size_t len, int advice, const char *kind)
{
	struct rl_counters c0, c1;
	long long calls, kind_calls, ns, lines, of_kind;
	char name[64];
	struct trace t;
	int rc;

	snprintf(name, sizeof(name), "trace madvise %s", kind);
	counters_read("stats", &c0);
	trace_begin();
	rc = madvise(p, len, advice) ? errno : 0;
	trace_end();
	counters_read("stats", &c1);
	trace_read(&t);
	calls = c1.v[RL_C_madv_calls] - c0.v[RL_C_madv_calls];
	kind_calls = advice == MADV_PAGEOUT ?
		c1.v[RL_C_madv_pageout_calls] - c0.v[RL_C_madv_pageout_calls] :
		c1.v[RL_C_madv_cold_calls] - c0.v[RL_C_madv_cold_calls];
	ns = c1.v[RL_C_madv_ns] - c0.v[RL_C_madv_ns];
	lines = t.madv_pageout + t.madv_cold + t.madv_bad;
	of_kind = advice == MADV_PAGEOUT ? t.madv_pageout : t.madv_cold;
	tap(rc == 0 && !t.lost && t.entries == t.written && !t.other &&
	    !t.unknown[0] && t.runs == 0 && t.nf == 0 && t.nt == 0,
	    "%s: madvise %s; trace complete (%lld of %lld written), %lld lines, none of a walker",
	    name, errname(rc), t.entries, t.written, t.lines);
	tap(lines == calls && calls == (long long)(len / PMD_SZ) &&
	    of_kind == lines && kind_calls == calls,
	    "%s: %lld madvise_pmd lines = madv_calls delta in stats %lld (madv_%s_calls %lld) = %zu PMDs, %lld of them say %s",
	    name, lines, calls, kind, kind_calls, len / PMD_SZ, of_kind,
	    kind);
	tap(t.madv_ns == ns,
	    "%s: the lines' ns add up to the madv_ns delta (%lld, %lld)", name,
	    t.madv_ns, ns);
	tap(t.left_mapped ==
		    c1.v[RL_C_ttu_large_left_mapped] -
		    c0.v[RL_C_ttu_large_left_mapped],
	    "%s: ttu_left_mapped lines %lld = ttu_large_left_mapped delta %lld",
	    name, t.left_mapped,
	    c1.v[RL_C_ttu_large_left_mapped] -
	    c0.v[RL_C_ttu_large_left_mapped]);
	trace_free(&t);
}

static void test_madvise(void)
{
	const size_t len = 4 * PMD_SZ;
	uint64_t seed = 0x7ad10000;
	int was_on = !strcmp(knob_read("probes"), "on");
	char *p;

	if (!was_on)
		knob_write("probes", "on");
	p = populate(len, 4, 0, seed);
	madvise_case(p, len, MADV_COLD, "cold");
	madvise_case(p, len, MADV_PAGEOUT, "pageout");
	expect_identical("trace madvise", p, len, seed);
	if (!was_on)
		knob_write("probes", "off");
	munmap(p, len);
}

/* ------------------------------------------------------------------ */
/* off: nothing traced while the events are disabled                   */

static void test_off(int kb, int pte_mapped)
{
	const size_t len = case_len(kb);
	uint64_t seed = 0x7ad20000;
	struct trace t;
	struct run r;
	char *p;
	int err;

	p = populate(len, kb, pte_mapped, seed);
	err = events_enable(0);
	if (!err)
		err = trace_clear();
	walk(0, p, len, "pageout", PARTIAL, 512, &r);
	if (!err)
		err = madvise(p, PMD_SZ, MADV_COLD) ? errno : 0;
	trace_read(&t);
	tap(!err && r.rc == 0 && W(&r, runs) == 1 && W(&r, large_whole) > 0 &&
	    t.lines == 0 && t.written <= 0,
	    "trace off: a pageout trigger (walk_runs %lld, walk_large_whole %lld) and a MADV_COLD with the events disabled: %lld lines, %lld written (%s)",
	    W(&r, runs), W(&r, large_whole), t.lines, t.written,
	    errname(err));
	trace_free(&t);
	munmap(p, len);
}

/* ------------------------------------------------------------------ */
/* reclaimctl trace -- CMD                                             */

static void test_reclaimctl(int kb, int pte_mapped)
{
	const size_t F = (size_t)kb << 10, h = F / 2, len = case_len(kb);
	const int order = order_of(F);
	long long by[RL_NR_COUNTERS] = { 0 };
	long long runs = -1, bad_order = 0, rows = 0;
	const char *name = "trace reclaimctl trace";
	char line[512], tok[6][64], buf[1024];
	uint64_t seed = 0x7ad30000;
	struct run r;
	FILE *f;
	char *p;
	int st, n, i, ok;

	if (access("/bin/reclaimctl", X_OK) ||
	    system("reclaimctl trace --help >/dev/null 2>&1")) {
		tap(1, "%s # SKIP no reclaimctl trace here", name);
		return;
	}
	p = populate(len, kb, pte_mapped, seed);
	memset(&r, 0, sizeof(r));
	r.rc = request(0, p + h, len - F, "pageout", PARTIAL, 512);
	f = popen("reclaimctl trace -- sh -c 'echo 1 >" RL_DIR "trigger' 2>&1",
		  "r");
	if (r.rc || !f) {
		tap(0, "%s: request %s, popen %s", name, errname(r.rc),
		    f ? "ok" : strerror(errno));
		if (f)
			pclose(f);
		munmap(p, len);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		diag("%s: | %.*s", name, (int)strcspn(line, "\n"), line);
		n = sscanf(line, "%63s %63s %63s %63s %63s %63s", tok[0],
			   tok[1], tok[2], tok[3], tok[4], tok[5]);
		if (n < 4)
			continue;
		if (!strcmp(tok[0], "walk_folio")) {
			i = counter_index(tok[2]);
			rows++;
			if (i < 0) {
				bad_order++;
				continue;
			}
			by[i] += strtoll(tok[3], NULL, 10);
			if ((i == RL_C_walk_large_whole || i == RL_C_walk_split) &&
			    strtol(tok[1], NULL, 10) != order)
				bad_order++;
		} else if (!strcmp(tok[0], "walk_run") && n >= 5 &&
			   !strcmp(tok[2], "pageout") &&
			   !strcmp(tok[3], "result=0")) {
			runs = strtoll(tok[4], NULL, 10);
		}
	}
	st = pclose(f);
	read_last(&r);
	ok = compare_counts(&r, by, folio_action, buf, sizeof(buf));
	tap(WIFEXITED(st) && WEXITSTATUS(st) == 0 && runs == 1,
	    "%s: exits %d, its table has one 'walk_run pageout result=0' (%lld)",
	    name, WIFEXITED(st) ? WEXITSTATUS(st) : -1, runs);
	tap(ok && rows > 0 && bad_order == 0 && by[RL_C_walk_large_whole] > 0 &&
	    by[RL_C_walk_split] > 0,
	    "%s: walk_folio rows summed per action = `last` deltas (count/delta):%s; order %d on the large ones (%lld rows wrong)",
	    name, buf, order, bad_order);
	tap(!strcmp(enable_state(), "0"),
	    "%s: the events are off again after it (enable %s)", name,
	    enable_state());
	expect_identical(name, p, len, seed);
	munmap(p, len);
}

/* ------------------------------------------------------------------ */

static int setup(void)
{
	static const char *const events[] = {
		"walk_run", "walk_folio", "pt_table", "ttu_left_mapped",
		"madvise_pmd",
	};
	char path[256], missing[256] = "", buf[64], *s;
	size_t i, o = 0;
	long long kb;
	int err;

	if (access(TR_EV, F_OK)) {
		tap(0, "trace setup: no %s (%s): tracefs not mounted, or the module has no trace events",
		    TR_EV, strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(path, sizeof(path), TR_EV "%s/format", events[i]);
		if (access(path, R_OK))
			o += snprintf(missing + o, sizeof(missing) - o, " %s",
				      events[i]);
	}
	tap(!missing[0], "trace setup: %s has every event (missing:%s)", TR_EV,
	    missing[0] ? missing : " none");
	/*
	 * "7 (expanded: 1408)" before the first use: the size it takes
	 * then is the one to give back
	 */
	if (read_text(TR "buffer_size_kb", buf, sizeof(buf)) <= 0)
		buf[0] = '\0';
	s = strstr(buf, "expanded:");
	s = s ? s + strlen("expanded:") : buf;
	snprintf(saved_buffer_kb, sizeof(saved_buffer_kb), "%lld",
		 strtoll(s, NULL, 10));
	if (read_text(TR "tracing_on", saved_tracing_on,
		      sizeof(saved_tracing_on)) <= 0)
		saved_tracing_on[0] = '\0';
	saved_tracing_on[strcspn(saved_tracing_on, "\n")] = '\0';
	err = events_enable(0);
	if (!err)
		err = tr_write("buffer_size_kb", BUFFER_KB);
	if (!err)
		err = tr_write("tracing_on", "1");
	if (!err)
		err = trace_clear();
	kb = file_num(TR "buffer_size_kb");
	/* rounded up to whole sub-buffers */
	tap(!err && kb >= atoll(BUFFER_KB),
	    "trace setup: events off, buffer_size_kb %lld (asked " BUFFER_KB ", was %s), tracing_on 1 (was %s), trace cleared (%s)",
	    kb, saved_buffer_kb, saved_tracing_on, errname(err));
	return err ? -1 : 0;
}

static void restore(void)
{
	events_enable(0);
	trace_clear();
	if (atoll(saved_buffer_kb) > 0)
		tr_write("buffer_size_kb", saved_buffer_kb);
	if (saved_tracing_on[0])
		tr_write("tracing_on", saved_tracing_on);
	knob_write("unmap", "kernel");
}

int main(int argc, char **argv)
{
	struct walker_env e;
	int kb, pte;

	walker_start(argc, argv, &e);
	kb = e.cut_kb;
	pte = e.cut_pte;
	if (setup()) {
		restore();
		return walker_end("t_walker_trace", &e, 1);
	}
	if (want("pageout"))
		test_pageout(kb, pte);
	if (want("unmap"))
		test_unmap(kb, pte);
	if (want("cold"))
		test_cold(kb, pte);
	if (want("pte"))
		test_pte();
	if (want("madvise"))
		test_madvise();
	if (want("off"))
		test_off(kb, pte);
	if (want("reclaimctl"))
		test_reclaimctl(kb, pte);
	restore();
	tap(!strcmp(enable_state(), "0"),
	    "trace: the events are disabled at the end (enable %s)",
	    enable_state());
	return walker_end("t_walker_trace", &e, 0);
}
