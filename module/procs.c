// SPDX-License-Identifier: GPL-2.0
/*
 * The processes a walk over many visits: every user process, or those of
 * one cgroup v2 and its descendants.  Each mm is visited once however many
 * threads (or CLONE_VM processes) share it.  Used by a trigger with
 * `cgroup` set and by the background mode (auto.c).
 *
 * Processes are found by thread-group id in the initial pid namespace,
 * with a cursor, so the walk between two of them may sleep and a pass may
 * be resumed later (the background mode's budget).  A process that starts
 * after the cursor went past its id is seen by the next pass.
 */
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/magic.h>
#include <linux/namei.h>
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
	char *buf, *rel;
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
	/* the mount's root is the v2 root of the writer's namespace */
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf) {
		path_put(&fs_path);
		return ERR_PTR(-ENOMEM);
	}
	rel = dentry_path_raw(fs_path.dentry, buf, PATH_MAX);
	path_put(&fs_path);
	cgrp = IS_ERR(rel) ? ERR_CAST(rel) : cgroup_get_from_path(rel);
	kfree(buf);
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

void rl_procs_start(struct rl_procs *procs, struct cgroup *cgrp)
{
	memset(procs, 0, sizeof(*procs));
	procs->cgrp = cgrp;
	procs->next_tgid = 1;
	rl_mm_set_init(&procs->seen);
}

/* Forgets the mms seen, for a new pass. */
void rl_procs_end(struct rl_procs *procs)
{
	rl_mm_set_clear(&procs->seen);
}

/* The next thread-group leader from the cursor on, referenced, or NULL. */
static struct task_struct *rl_procs_next_task(struct rl_procs *procs)
{
	struct task_struct *task = NULL;
	struct pid *pid;

	rcu_read_lock();
	while (!task) {
		pid = find_ge_pid(procs->next_tgid, &init_pid_ns);
		if (!pid)
			break;
		procs->next_tgid = pid_nr(pid) + 1;
		/* NULL for the id of a thread that is not a leader */
		task = pid_task(pid, PIDTYPE_TGID);
		if (task && procs->cgrp &&
		    !cgroup_is_descendant(task_dfl_cgroup(task), procs->cgrp))
			task = NULL;
	}
	if (task)
		get_task_struct(task);
	rcu_read_unlock();
	return task;
}

/*
 * The process's mm, held, or NULL once every thread has exited: a
 * leader that exited before its other threads has none of its own
 * (what find_lock_task_mm() does, which is not exported).
 */
static struct mm_struct *rl_process_mm(struct task_struct *leader)
{
	struct mm_struct *mm = get_task_mm(leader);
	struct task_struct *t;

	if (mm)
		return mm;
	rcu_read_lock();
	for_each_thread(leader, t) {
		mm = get_task_mm(t);
		if (mm)
			break;
	}
	rcu_read_unlock();
	return mm;
}

/*
 * The next mm to walk, held (mmput() it), with its process's credentials
 * (put_cred() them); NULL at the end of the pass.  Kernel threads and
 * exited processes are counted and passed over; an mm already visited in
 * this pass (CLONE_VM) is passed over.
 */
struct mm_struct *rl_procs_next(struct rl_procs *procs,
				const struct cred **cred)
{
	struct task_struct *task;
	struct mm_struct *mm;

	while ((task = rl_procs_next_task(procs))) {
		if (task->flags & PF_KTHREAD) {
			procs->skipped_kthread++;
			put_task_struct(task);
			continue;
		}
		mm = rl_process_mm(task);
		if (!mm) {
			procs->skipped_exited++;
			put_task_struct(task);
			continue;
		}
		/* seen, or no memory to note it: never walked twice */
		if (rl_mm_set_find(&procs->seen, mm) ||
		    !rl_mm_set_add(&procs->seen, mm)) {
			mmput(mm);
			put_task_struct(task);
			continue;
		}
		*cred = get_task_cred(task);
		put_task_struct(task);
		return mm;
	}
	return NULL;
}
