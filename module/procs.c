// SPDX-License-Identifier: GPL-2.0
/*
 * The processes a walk over many visits: every user process, or those of
 * one cgroup v2 and its descendants.  Each mm is visited once however many
 * threads (or CLONE_VM processes) share it.  Used by a trigger with
 * `cgroup` set and by the background mode (auto.c).
 *
 * Processes are found by thread-group id in one pid namespace (the
 * writer's for a trigger, the starter's for the background mode: never
 * more than `pid` could name), with a cursor, so the walk between two of
 * them may sleep and a pass may be resumed later (the background mode's
 * budget).  A process that starts after the cursor went past its id is
 * seen by the next pass.
 */
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/magic.h>
#include <linux/namei.h>
#include <linux/oom.h>
#include <linux/path.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include "reclaimlab.h"

/*
 * A cgroup v2 path: as /proc/PID/cgroup prints it (relative to the v2
 * root of the writer's cgroup namespace, "/" the root itself), or a
 * directory on a cgroup2 mount.  Returns a referenced cgroup, or
 * -ENOENT (no such cgroup), -ENOTDIR (not a directory), -EOPNOTSUPP (a
 * cgroup v1 hierarchy, or no cgroup support), -EINVAL (not absolute).
 */
struct cgroup *rl_cgroup_lookup(const char *path)
{
	struct cgroup *cgrp;
	struct path fs_path;
	long magic;

	if (!IS_ENABLED(CONFIG_CGROUPS))
		return ERR_PTR(-EOPNOTSUPP);
	if (path[0] != '/')
		return ERR_PTR(-EINVAL);
	if (kern_path(path, LOOKUP_FOLLOW, &fs_path))
		return cgroup_get_from_path(path);

	magic = fs_path.dentry->d_sb->s_magic;
	if (magic == CGROUP2_SUPER_MAGIC && !d_is_dir(fs_path.dentry)) {
		path_put(&fs_path);
		return ERR_PTR(-ENOTDIR);
	}
	if (magic != CGROUP2_SUPER_MAGIC) {
		path_put(&fs_path);
		if (magic == CGROUP_SUPER_MAGIC)
			return ERR_PTR(-EOPNOTSUPP);
		/* "/" and the like: a v2 path that is also a directory */
		return cgroup_get_from_path(path);
	}
	/*
	 * The directory's own cgroup, by its kernfs id (its inode number on
	 * 64-bit): a path rebuilt from the dentry would be the global one,
	 * and wrong in a child cgroup namespace.  cgroup_get_from_id()
	 * refuses a cgroup outside the writer's namespace.
	 */
	cgrp = cgroup_get_from_id(d_inode(fs_path.dentry)->i_ino);
	path_put(&fs_path);
	return cgrp;
}

/* The path of @cgrp as /proc/PID/cgroup of the reader would print it. */
void rl_cgroup_show(struct seq_file *m, struct cgroup *cgrp)
{
	char *buf = kmalloc(PATH_MAX, GFP_KERNEL);

	if (buf && cgroup_path_ns(cgrp, buf, PATH_MAX,
				  current->nsproxy->cgroup_ns) >= 0)
		seq_puts(m, buf);
	else
		seq_puts(m, "?");
	kfree(buf);
}

/*
 * A set of mms, each kept by an mm_count reference (mmgrab()): its
 * address cannot be reused while it is in the set, so the address is
 * its key.  The reference keeps the struct, not the address space.
 */
void rl_mm_set_init(struct rl_mm_set *set)
{
	hash_init(set->table);
}

struct rl_mm_entry *rl_mm_set_find(struct rl_mm_set *set,
				   struct mm_struct *mm)
{
	struct rl_mm_entry *e;

	hash_for_each_possible(set->table, e, node, (unsigned long)mm)
		if (e->mm == mm)
			return e;
	return NULL;
}

/* Adds @mm (not in the set yet); NULL if there is no memory for it. */
struct rl_mm_entry *rl_mm_set_add(struct rl_mm_set *set,
				  struct mm_struct *mm)
{
	struct rl_mm_entry *e = kzalloc(sizeof(*e), GFP_KERNEL);

	if (!e)
		return NULL;
	mmgrab(mm);
	e->mm = mm;
	hash_add(set->table, &e->node, (unsigned long)mm);
	return e;
}

static void rl_mm_set_del(struct rl_mm_entry *e)
{
	hash_del(&e->node);
	mmdrop(e->mm);
	kfree(e);
}

/* Forgets every mm, or only those whose address space is gone. */
static void rl_mm_set_drop(struct rl_mm_set *set, bool only_gone)
{
	struct hlist_node *tmp;
	struct rl_mm_entry *e;
	int bkt;

	hash_for_each_safe(set->table, bkt, tmp, e, node)
		if (!only_gone || !atomic_read(&e->mm->mm_users))
			rl_mm_set_del(e);
}

/* Forgets the mms whose process exited. */
void rl_mm_set_prune(struct rl_mm_set *set)
{
	rl_mm_set_drop(set, true);
}

void rl_mm_set_clear(struct rl_mm_set *set)
{
	rl_mm_set_drop(set, false);
}

/* @cgrp (or NULL: every user process) is held until rl_procs_end(). */
void rl_procs_start(struct rl_procs *procs, struct cgroup *cgrp,
		    struct pid_namespace *ns)
{
	memset(procs, 0, sizeof(*procs));
	procs->cgrp = cgrp;
	if (cgrp)
		cgroup_get(cgrp);
	procs->ns = get_pid_ns(ns);
	procs->next_tgid = 1;
	rl_mm_set_init(&procs->seen);
}

/* Forgets the mms seen, for a new pass. */
void rl_procs_end(struct rl_procs *procs)
{
	rl_mm_set_clear(&procs->seen);
	if (procs->cgrp)
		cgroup_put(procs->cgrp);
	procs->cgrp = NULL;
	/* put_pid_ns() takes no NULL */
	if (procs->ns)
		put_pid_ns(procs->ns);
	procs->ns = NULL;
}

/*
 * Pids looked at in one RCU read section, at most: a cgroup with few
 * processes (or none) would have a call walk the whole pid space.
 */
#define RL_PROCS_SCAN_MAX	1024

/*
 * The next thread-group leader from the cursor on, referenced, or NULL:
 * at the end, or (@procs->paused) after RL_PROCS_SCAN_MAX pids with no
 * leader to return, the cursor where the next call goes on.
 */
static struct task_struct *rl_procs_next_task(struct rl_procs *procs)
{
	struct task_struct *task = NULL;
	unsigned int scanned = 0;
	struct pid *pid;

	rcu_read_lock();
	while (!task) {
		if (++scanned > RL_PROCS_SCAN_MAX) {
			procs->paused = true;
			break;
		}
		pid = find_ge_pid(procs->next_tgid, procs->ns);
		if (!pid)
			break;
		procs->next_tgid = pid_nr_ns(pid, procs->ns) + 1;
		/* NULL for the id of a thread that is not a leader */
		task = pid_task(pid, PIDTYPE_TGID);
	}
	if (task)
		get_task_struct(task);
	rcu_read_unlock();
	return task;
}

/* Whether @task is in the cgroup of the pass (or there is none). */
static bool rl_procs_task_in(struct rl_procs *procs, struct task_struct *task)
{
	bool in;

	if (!procs->cgrp)
		return true;
	rcu_read_lock();
	in = cgroup_is_descendant(task_dfl_cgroup(task), procs->cgrp);
	rcu_read_unlock();
	return in;
}

/*
 * The process's mm, held, or NULL once every thread has exited: a
 * leader that exited before its other threads has none of its own
 * (what find_lock_task_mm() does, which is not exported).  *@from: the
 * thread it was taken from, referenced; its cgroup is the process's (an
 * exited leader is not migrated with the others).
 */
static struct mm_struct *rl_process_mm(struct task_struct *leader,
				       struct task_struct **from)
{
	struct mm_struct *mm = get_task_mm(leader);
	struct task_struct *t;

	*from = leader;
	if (!mm) {
		rcu_read_lock();
		for_each_thread(leader, t) {
			mm = get_task_mm(t);
			if (mm) {
				*from = t;
				break;
			}
		}
		if (mm)
			get_task_struct(*from);
		rcu_read_unlock();
		return mm;
	}
	get_task_struct(leader);
	return mm;
}

/*
 * The next mm to walk, held (mmput() it), with its process's credentials
 * (put_cred() them); NULL at the end of the pass, or when a call has
 * looked at RL_PROCS_SCAN_MAX pids (@procs->paused: call again), or when
 * the cgroup is gone (@procs->offline).  Kernel threads, exited processes
 * and OOM victims are counted and passed over; an mm already visited in
 * this pass (CLONE_VM) is passed over.
 */
struct mm_struct *rl_procs_next(struct rl_procs *procs,
				const struct cred **cred)
{
	struct task_struct *task, *from;
	struct mm_struct *mm;

	procs->paused = false;
	/* removed: its processes went to its parent, and no new ones come */
	if (procs->cgrp && !(READ_ONCE(procs->cgrp->self.flags) & CSS_ONLINE)) {
		procs->offline = true;
		return NULL;
	}
	while ((task = rl_procs_next_task(procs))) {
		if (task->flags & PF_KTHREAD) {
			/* counted only if it is one of the pass's */
			if (rl_procs_task_in(procs, task))
				procs->skipped_kthread++;
			put_task_struct(task);
			continue;
		}
		/* the reaper must get its mmap lock, not a walk */
		if (tsk_is_oom_victim(task)) {
			procs->skipped_oom++;
			put_task_struct(task);
			continue;
		}
		mm = rl_process_mm(task, &from);
		put_task_struct(task);
		if (!mm) {
			procs->skipped_exited++;
			continue;
		}
		if (!rl_procs_task_in(procs, from)) {
			put_task_struct(from);
			mmput_async(mm);
			continue;
		}
		/* seen, or no memory to note it: never walked twice */
		if (rl_mm_set_find(&procs->seen, mm) ||
		    !rl_mm_set_add(&procs->seen, mm)) {
			put_task_struct(from);
			mmput_async(mm);
			continue;
		}
		*cred = get_task_cred(from);
		put_task_struct(from);
		return mm;
	}
	return NULL;
}
