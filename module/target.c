// SPDX-License-Identifier: GPL-2.0
/*
 * The request the knobs describe (target pid, range, walker, split, batch,
 * unmap) and the trigger that runs it.  Knob writes and triggers take a
 * snapshot of the request under rl_request_lock, so a long walk never
 * blocks a knob; triggers run one at a time under rl_trigger_lock, which
 * also guards the record of the last run (and the batched unmap's buffer).
 */
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/oom.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include "reclaimlab.h"
#include "compat.h"
#include "rl_trace.h"

const char *const rl_walker_names[] = { "pageout", "cold", "pte_reclaim" };
const char *const rl_split_names[] = { "never", "partial", "always" };
const char *const rl_unmap_names[] = { "kernel", "batched" };
const unsigned int rl_nr_walkers = ARRAY_SIZE(rl_walker_names);
const unsigned int rl_nr_splits = ARRAY_SIZE(rl_split_names);
const unsigned int rl_nr_unmaps = ARRAY_SIZE(rl_unmap_names);
const char *const rl_young_names[] = { "batched", "per_pte" };
const unsigned int rl_nr_youngs = ARRAY_SIZE(rl_young_names);

static DEFINE_MUTEX(rl_request_lock);
static struct rl_request rl_request = {
	.whole_mm = true,
	.walker = RL_WALKER_PAGEOUT,
	.split = RL_SPLIT_PARTIAL,
	.batch = RL_BATCH_MAX,
	.hold_tables = RL_HOLD_TABLES_DEFAULT,
	.pt_batch = RL_PT_BATCH_DEFAULT,
};

/* The most recent walker run: its request and counter deltas. */
struct rl_last_run {
	bool valid;
	struct rl_request req;
	u64 elapsed_ns;
	int result;
	/* a cgroup target's processes */
	unsigned long procs_walked, procs_skipped_exited, procs_skipped_kthread,
		procs_skipped_oom;
	u64 delta[RL_NR_COUNTERS];
};

static DEFINE_MUTEX(rl_trigger_lock);
static struct rl_last_run rl_last;
static u64 rl_before[RL_NR_COUNTERS];	/* under rl_trigger_lock */

/* @nr is in the writer's pid namespace. */
int rl_set_pid(int nr)
{
	struct task_struct *task;
	struct cgroup *old_cgrp;
	struct mm_struct *mm;
	struct pid *pid, *old;

	if (nr <= 0)
		return -EINVAL;
	pid = find_get_pid(nr);
	if (!pid)
		return -ESRCH;
	task = get_pid_task(pid, PIDTYPE_PID);
	if (!task) {
		put_pid(pid);
		return -ESRCH;
	}
	/* NULL for kernel threads and for tasks that have exited. */
	mm = get_task_mm(task);
	put_task_struct(task);
	if (!mm) {
		put_pid(pid);
		return -EINVAL;
	}
	mmput(mm);

	mutex_lock(&rl_request_lock);
	old = rl_request.pid;
	rl_request.pid = pid;
	old_cgrp = rl_request.cgrp;
	rl_request.cgrp = NULL;
	mutex_unlock(&rl_request_lock);
	put_pid(old);
	if (old_cgrp)
		cgroup_put(old_cgrp);
	return 0;
}

/* A cgroup v2 path (see rl_cgroup_lookup()), or "none". */
int rl_set_cgroup(const char *path)
{
	struct cgroup *cgrp = NULL, *old;
	struct pid *old_pid = NULL;

	if (strcmp(path, "none")) {
		cgrp = rl_cgroup_lookup(path);
		if (IS_ERR(cgrp))
			return PTR_ERR(cgrp);
	}
	mutex_lock(&rl_request_lock);
	old = rl_request.cgrp;
	rl_request.cgrp = cgrp;
	if (cgrp) {
		old_pid = rl_request.pid;
		rl_request.pid = NULL;
	}
	mutex_unlock(&rl_request_lock);
	put_pid(old_pid);
	if (old)
		cgroup_put(old);
	return 0;
}

int rl_set_range(bool whole_mm, unsigned long start, unsigned long end)
{
	if (!whole_mm && (start >= end || !PAGE_ALIGNED(start) ||
			  !PAGE_ALIGNED(end) || end > RL_USER_VA_END))
		return -EINVAL;

	mutex_lock(&rl_request_lock);
	rl_request.whole_mm = whole_mm;
	rl_request.start = whole_mm ? 0 : start;
	rl_request.end = whole_mm ? 0 : end;
	mutex_unlock(&rl_request_lock);
	return 0;
}

void rl_set_walker(enum rl_walker w)
{
	mutex_lock(&rl_request_lock);
	rl_request.walker = w;
	mutex_unlock(&rl_request_lock);
}

void rl_set_split(enum rl_split s)
{
	mutex_lock(&rl_request_lock);
	rl_request.split = s;
	mutex_unlock(&rl_request_lock);
}

int rl_set_batch(unsigned int batch)
{
	if (batch < 1 || batch > RL_BATCH_MAX)
		return -EINVAL;
	mutex_lock(&rl_request_lock);
	rl_request.batch = batch;
	mutex_unlock(&rl_request_lock);
	return 0;
}

void rl_set_unmap(enum rl_unmap u)
{
	mutex_lock(&rl_request_lock);
	rl_request.unmap = u;
	mutex_unlock(&rl_request_lock);
}

void rl_set_young(enum rl_young y)
{
	mutex_lock(&rl_request_lock);
	rl_request.young = y;
	mutex_unlock(&rl_request_lock);
}

void rl_set_pte_zero(bool on)
{
	mutex_lock(&rl_request_lock);
	rl_request.pte_zero = on;
	mutex_unlock(&rl_request_lock);
}

int rl_set_hold_tables(unsigned int n)
{
	if (n > RL_HOLD_TABLES_MAX)
		return -EINVAL;
	mutex_lock(&rl_request_lock);
	rl_request.hold_tables = n;
	mutex_unlock(&rl_request_lock);
	return 0;
}

int rl_set_pt_batch(unsigned int n)
{
	if (!n || n > RL_PT_BATCH_MAX)
		return -EINVAL;
	mutex_lock(&rl_request_lock);
	rl_request.pt_batch = n;
	mutex_unlock(&rl_request_lock);
	return 0;
}

void rl_get_request(struct rl_request *req)
{
	mutex_lock(&rl_request_lock);
	*req = rl_request;
	get_pid(req->pid);
	if (req->cgrp)
		cgroup_get(req->cgrp);
	mutex_unlock(&rl_request_lock);
}

void rl_put_request(struct rl_request *req)
{
	put_pid(req->pid);
	req->pid = NULL;
	if (req->cgrp)
		cgroup_put(req->cgrp);
	req->cgrp = NULL;
}

static int rl_run_walker(const struct rl_request *req, struct mm_struct *mm,
			 const struct cred *cred)
{
	switch (req->walker) {
	case RL_WALKER_PAGEOUT:
	case RL_WALKER_COLD:
		return rl_walk_pageout(req, mm, cred);
	case RL_WALKER_PTE_RECLAIM:
		return rl_walk_pte_reclaim(req, mm);
	default:
		return -EOPNOTSUPP;
	}
}

/*
 * The target's mm (held against exit: the walk pins it, not the task) and
 * credentials, or an errno: -EINVAL with no target, -ESRCH if it is gone
 * or an OOM victim.
 */
static struct mm_struct *rl_target_mm(struct pid *pid,
				      const struct cred **cred)
{
	struct task_struct *task;
	struct mm_struct *mm;

	if (!pid)
		return ERR_PTR(-EINVAL);
	task = get_pid_task(pid, PIDTYPE_PID);
	if (!task)
		return ERR_PTR(-ESRCH);
	/* being killed: the OOM reaper must get its mmap lock, not a walk */
	if (tsk_is_oom_victim(task)) {
		put_task_struct(task);
		return ERR_PTR(-ESRCH);
	}
	mm = get_task_mm(task);
	if (mm)
		*cred = get_task_cred(task);
	put_task_struct(task);
	return mm ?: ERR_PTR(-ESRCH);
}

/*
 * Every process of the request's cgroup and below, one after the other.
 * One that exits before or during its walk is counted, not an error.
 */
static int rl_trigger_cgroup(const struct rl_request *req)
{
	const struct cred *cred;
	struct rl_procs procs;
	struct mm_struct *mm;
	int ret = 0;

	rl_procs_start(&procs, req->cgrp, task_active_pid_ns(current));
	for (;;) {
		mm = rl_procs_next(&procs, &cred);
		if (!mm && procs.paused) {
			/* a stretch of pids with none of the cgroup's */
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
			cond_resched();
			continue;
		}
		if (!mm)
			break;
		ret = rl_run_walker(req, mm, cred);
		put_cred(cred);
		mmput(mm);
		if (ret == -ESRCH) {
			procs.skipped_exited++;
			ret = 0;
			continue;
		}
		if (ret)
			break;
		procs.walked++;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
	}
	rl_last.procs_walked = procs.walked;
	rl_last.procs_skipped_exited = procs.skipped_exited;
	rl_last.procs_skipped_kthread = procs.skipped_kthread;
	rl_last.procs_skipped_oom = procs.skipped_oom;
	if (!ret && procs.offline)
		ret = -ENOENT;	/* the cgroup was removed meanwhile */
	rl_procs_end(&procs);
	return ret;
}

int rl_trigger(void)
{
	const struct cred *cred = NULL;
	struct mm_struct *mm = NULL;
	struct rl_request req;
	u64 start_ns;
	int i, ret;

	if (mutex_lock_killable(&rl_trigger_lock))
		return -EINTR;
	rl_get_request(&req);
	if (!req.cgrp) {
		/* refused before anything is counted: no target, or gone */
		mm = rl_target_mm(req.pid, &cred);
		if (IS_ERR(mm)) {
			ret = PTR_ERR(mm);
			goto out;
		}
	}

	/* raw totals: a reset of `stats` meanwhile cannot wrap the deltas */
	rl_stats_read_raw(rl_before);
	start_ns = ktime_get_ns();
	if (mm) {
		ret = rl_run_walker(&req, mm, cred);
		put_cred(cred);
		mmput(mm);
	} else {
		ret = rl_trigger_cgroup(&req);
	}
	rl_last.elapsed_ns = ktime_get_ns() - start_ns;

	rl_count(RL_C_triggers, 1);
	if (ret)
		rl_count(RL_C_trigger_errors, 1);
	rl_stats_read_raw(rl_last.delta);
	for (i = 0; i < RL_NR_COUNTERS; i++)
		rl_last.delta[i] -= rl_before[i];

	rl_put_request(&rl_last.req);
	rl_last.req = req;
	get_pid(req.pid);
	if (req.cgrp)
		cgroup_get(req.cgrp);
	rl_last.result = ret;
	rl_last.valid = true;
	trace_walk_run(&req, req.pid ? pid_nr(req.pid) : 0,
		       req.cgrp ? cgroup_id(req.cgrp) : 0, ret,
		       rl_last.elapsed_ns, rl_last.delta);
out:
	rl_put_request(&req);
	mutex_unlock(&rl_trigger_lock);
	return ret;
}

/*
 * For walks that are not triggers (the background mode): one walk at a
 * time, so the counter deltas a trigger records in `last` are its own.
 * Only tried: the background mode never waits behind a trigger (its stop
 * would wait with it).
 */
bool rl_walk_trylock(void)
{
	return mutex_trylock(&rl_trigger_lock);
}

void rl_walk_unlock(void)
{
	mutex_unlock(&rl_trigger_lock);
}

int rl_last_show(struct seq_file *m, void *unused)
{
	const struct rl_request *req = &rl_last.req;

	mutex_lock(&rl_trigger_lock);
	if (!rl_last.valid) {
		seq_puts(m, "result none\n");
		goto out;
	}
	seq_printf(m, "walker %s\n", rl_walker_names[req->walker]);
	if (req->cgrp) {
		seq_puts(m, "cgroup ");
		rl_cgroup_show(m, req->cgrp);
		seq_printf(m, "\nprocs_walked %lu\n", rl_last.procs_walked);
		seq_printf(m, "procs_skipped_exited %lu\n",
			   rl_last.procs_skipped_exited);
		seq_printf(m, "procs_skipped_kthread %lu\n",
			   rl_last.procs_skipped_kthread);
		seq_printf(m, "procs_skipped_oom %lu\n",
			   rl_last.procs_skipped_oom);
	} else {
		seq_printf(m, "pid %d\n", pid_vnr(req->pid));
	}
	if (req->whole_mm)
		seq_puts(m, "range all\n");
	else
		seq_printf(m, "range 0x%lx 0x%lx\n", req->start, req->end);
	seq_printf(m, "split %s\n", rl_split_names[req->split]);
	seq_printf(m, "batch %u\n", req->batch);
	seq_printf(m, "unmap %s\n", rl_unmap_names[req->unmap]);
	seq_printf(m, "young %s\n", rl_young_names[req->young]);
	seq_printf(m, "pte_reclaim_zero %d\n", req->pte_zero);
	seq_printf(m, "lock_hold_tables %u\n", req->hold_tables);
	seq_printf(m, "pt_batch %u\n", req->pt_batch);
	seq_printf(m, "elapsed_ns %llu\n", rl_last.elapsed_ns);
	seq_printf(m, "result %d\n", rl_last.result);
	rl_counters_show(m, rl_last.delta);
out:
	mutex_unlock(&rl_trigger_lock);
	return 0;
}

void rl_target_exit(void)
{
	rl_put_request(&rl_request);
	rl_put_request(&rl_last.req);
}
