// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/reclaimlab/: one value per file.  Every write is
 * validated whole before anything changes; a refused write returns an
 * errno and leaves the state as it was.
 */
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "reclaimlab.h"

/* Longer than any valid value: a cgroup path is the longest. */
#define RL_WRITE_MAX PATH_MAX

static struct dentry *rl_dir;
/* Kernel lockdown: files are offered read-only and writes refused. */
static bool rl_read_only;

/*
 * Copies a write into @buf as a string with surrounding white space
 * removed.  A value comes whole in one write at offset 0; empty, over-long
 * and binary (embedded NUL) writes are refused.
 */
static char *rl_copy_value(char *buf, const char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	if (*ppos != 0 || len == 0 || len >= RL_WRITE_MAX)
		return ERR_PTR(-EINVAL);
	if (copy_from_user(buf, ubuf, len))
		return ERR_PTR(-EFAULT);
	buf[len] = '\0';
	if (strlen(buf) != len)
		return ERR_PTR(-EINVAL);
	return strim(buf);
}

/* "0x" then hex digits, or decimal digits: nothing else (no octal, sign). */
static int rl_parse_address(const char *s, unsigned long *val)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!isxdigit(s[2]))
			return -EINVAL;
		return kstrtoul(s + 2, 16, val) ? -EINVAL : 0;
	}
	if (!isdigit(s[0]))
		return -EINVAL;
	return kstrtoul(s, 10, val) ? -EINVAL : 0;
}

/* A decimal number, digits only. */
static int rl_parse_uint(const char *s, unsigned int *n)
{
	if (!isdigit(s[0]) || kstrtouint(s, 10, n))
		return -EINVAL;
	return 0;
}

/* Index of @s in @names, or -EINVAL. */
static int rl_match(const char *const *names, unsigned int n, const char *s)
{
	int i = __sysfs_match_string(names, n, s);

	return i < 0 ? -EINVAL : i;
}

/* "[selected] other other" */
static void rl_show_choice(struct seq_file *m, const char *const *names,
			   unsigned int n, unsigned int selected)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		seq_printf(m, i == selected ? "%s[%s]" : "%s%s",
			   i ? " " : "", names[i]);
	seq_putc(m, '\n');
}

static void rl_pid_show(struct seq_file *m, const struct rl_request *req)
{
	if (req->pid)
		seq_printf(m, "%d\n", pid_vnr(req->pid));
	else
		seq_puts(m, "none\n");
}

static int rl_pid_store(char *s)
{
	int nr;

	if (kstrtoint(s, 10, &nr))
		return -EINVAL;
	return rl_set_pid(nr);
}

static void rl_cgroup_field_show(struct seq_file *m,
				 const struct rl_request *req)
{
	if (!req->cgrp) {
		seq_puts(m, "none\n");
		return;
	}
	rl_cgroup_show(m, req->cgrp);
	seq_putc(m, '\n');
}

static int rl_cgroup_store(char *s)
{
	return rl_set_cgroup(s);
}

static void rl_range_show(struct seq_file *m, const struct rl_request *req)
{
	if (req->whole_mm)
		seq_puts(m, "all\n");
	else
		seq_printf(m, "0x%lx 0x%lx\n", req->start, req->end);
}

static int rl_range_store(char *s)
{
	unsigned long start, end;
	char *first;

	if (!strcmp(s, "all"))
		return rl_set_range(true, 0, 0);
	first = strsep(&s, " \t");
	if (!s)
		return -EINVAL;
	s = skip_spaces(s);
	if (rl_parse_address(first, &start) || rl_parse_address(s, &end))
		return -EINVAL;
	return rl_set_range(false, start, end);
}

static void rl_walker_show(struct seq_file *m, const struct rl_request *req)
{
	rl_show_choice(m, rl_walker_names, rl_nr_walkers, req->walker);
}

static int rl_walker_store(char *s)
{
	int w = rl_match(rl_walker_names, rl_nr_walkers, s);

	if (w < 0)
		return w;
	rl_set_walker(w);
	return 0;
}

static void rl_split_show(struct seq_file *m, const struct rl_request *req)
{
	rl_show_choice(m, rl_split_names, rl_nr_splits, req->split);
}

static int rl_split_store(char *s)
{
	int split = rl_match(rl_split_names, rl_nr_splits, s);

	if (split < 0)
		return split;
	rl_set_split(split);
	return 0;
}

static void rl_batch_show(struct seq_file *m, const struct rl_request *req)
{
	seq_printf(m, "%u\n", req->batch);
}

static int rl_batch_store(char *s)
{
	unsigned int batch;

	if (kstrtouint(s, 10, &batch))
		return -EINVAL;
	return rl_set_batch(batch);
}

static void rl_unmap_show(struct seq_file *m, const struct rl_request *req)
{
	rl_show_choice(m, rl_unmap_names, rl_nr_unmaps, req->unmap);
}

static int rl_unmap_store(char *s)
{
	int unmap = rl_match(rl_unmap_names, rl_nr_unmaps, s);

	if (unmap < 0)
		return unmap;
	rl_set_unmap(unmap);
	return 0;
}

static void rl_young_show(struct seq_file *m, const struct rl_request *req)
{
	rl_show_choice(m, rl_young_names, rl_nr_youngs, req->young);
}

static int rl_young_store(char *s)
{
	int young = rl_match(rl_young_names, rl_nr_youngs, s);

	if (young < 0)
		return young;
	rl_set_young(young);
	return 0;
}

static void rl_pte_reclaim_zero_show(struct seq_file *m,
				     const struct rl_request *req)
{
	seq_printf(m, "%d\n", req->pte_zero);
}

static int rl_pte_reclaim_zero_store(char *s)
{
	if (strcmp(s, "0") && strcmp(s, "1"))
		return -EINVAL;
	rl_set_pte_zero(s[0] == '1');
	return 0;
}

static void rl_lock_hold_tables_show(struct seq_file *m,
				     const struct rl_request *req)
{
	seq_printf(m, "%u\n", req->hold_tables);
}

static int rl_lock_hold_tables_store(char *s)
{
	unsigned int n;

	return rl_parse_uint(s, &n) ?: rl_set_hold_tables(n);
}

static void rl_pt_batch_show(struct seq_file *m, const struct rl_request *req)
{
	seq_printf(m, "%u\n", req->pt_batch);
}

static int rl_pt_batch_store(char *s)
{
	unsigned int n;

	return rl_parse_uint(s, &n) ?: rl_set_pt_batch(n);
}

static int rl_auto_interval_ms_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "%u\n", rl_auto_interval());
	return 0;
}

static int rl_auto_interval_ms_store(char *s)
{
	unsigned int ms;

	return rl_parse_uint(s, &ms) ?: rl_auto_set_interval(ms);
}

static int rl_auto_budget_pct_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "%u\n", rl_auto_budget());
	return 0;
}

static int rl_auto_budget_pct_store(char *s)
{
	unsigned int pct;

	return rl_parse_uint(s, &pct) ?: rl_auto_set_budget(pct);
}

static int rl_auto_cgroup_knob_show(struct seq_file *m, void *unused)
{
	rl_auto_cgroup_show(m);
	return 0;
}

static int rl_auto_cgroup_store(char *s)
{
	return rl_auto_set_cgroup(s);
}

static int rl_trigger_store(char *s)
{
	if (strcmp(s, "1"))
		return -EINVAL;
	return rl_trigger();
}

static int rl_stats_show(struct seq_file *m, void *unused)
{
	u64 values[RL_NR_COUNTERS];

	rl_stats_read(values);
	rl_counters_show(m, values);
	return 0;
}

static int rl_stats_store(char *s)
{
	if (strcmp(s, "0"))
		return -EINVAL;
	rl_stats_reset();
	return 0;
}

static const char *const rl_onoff_names[] = { "off", "on" };

static int rl_probes_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "%s\n", rl_onoff_names[rl_probes_enabled()]);
	return 0;
}

static int rl_probes_store(char *s)
{
	int on = rl_match(rl_onoff_names, ARRAY_SIZE(rl_onoff_names), s);

	if (on < 0)
		return on;
	return rl_probes_set(on);
}

/*
 * One debugfs file: how to show it (a whole file, or one field of the
 * request) and how to take a write, if at all.
 */
struct rl_knob {
	const char *name;
	umode_t mode;
	int (*show)(struct seq_file *m, void *unused);
	void (*show_field)(struct seq_file *m, const struct rl_request *req);
	int (*store)(char *value);
};

/* Shows the knob's field of a snapshot of the request. */
static int rl_request_show(struct seq_file *m, void *unused)
{
	const struct rl_knob *knob = m->private;
	struct rl_request req;

	rl_get_request(&req);
	knob->show_field(m, &req);
	rl_put_request(&req);
	return 0;
}

#define RL_REQUEST_KNOB(name)						\
	{ #name, 0600, rl_request_show, rl_##name##_show, rl_##name##_store }

static const struct rl_knob rl_knobs[] = {
	RL_REQUEST_KNOB(pid),
	{ "cgroup", 0600, rl_request_show, rl_cgroup_field_show,
	  rl_cgroup_store },
	RL_REQUEST_KNOB(range),
	RL_REQUEST_KNOB(walker),
	RL_REQUEST_KNOB(split),
	RL_REQUEST_KNOB(batch),
	RL_REQUEST_KNOB(unmap),
	RL_REQUEST_KNOB(young),
	RL_REQUEST_KNOB(pte_reclaim_zero),
	RL_REQUEST_KNOB(lock_hold_tables),
	RL_REQUEST_KNOB(pt_batch),
	{ "trigger", 0200, NULL, NULL, rl_trigger_store },
	{ "auto_interval_ms", 0600, rl_auto_interval_ms_show, NULL,
	  rl_auto_interval_ms_store },
	{ "auto_budget_pct", 0600, rl_auto_budget_pct_show, NULL,
	  rl_auto_budget_pct_store },
	{ "auto_cgroup", 0600, rl_auto_cgroup_knob_show, NULL,
	  rl_auto_cgroup_store },
	{ "stats", 0600, rl_stats_show, NULL, rl_stats_store },
	{ "last", 0400, rl_last_show, NULL, NULL },
	{ "probes", 0600, rl_probes_show, NULL, rl_probes_store },
	{ "symbols", 0400, rl_symbols_show, NULL, NULL },
};

static int rl_knob_open(struct inode *inode, struct file *file)
{
	const struct rl_knob *knob = inode->i_private;

	if ((file->f_mode & FMODE_READ) && !knob->show)
		return -EACCES;
	if ((file->f_mode & FMODE_WRITE) && !knob->store)
		return -EACCES;
	/* what debugfs itself answers under lockdown */
	if ((file->f_mode & FMODE_WRITE) && rl_read_only)
		return -EPERM;
	/* A write-only open needs no seq_file. */
	if (!(file->f_mode & FMODE_READ))
		return nonseekable_open(inode, file);
	return single_open(file, knob->show, (void *)knob);
}

static ssize_t rl_knob_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	const struct rl_knob *knob = file_inode(file)->i_private;
	char *buf, *value;
	int ret;

	if (*ppos != 0 || len == 0 || len >= RL_WRITE_MAX)
		return -EINVAL;
	buf = kmalloc(len + 1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	value = rl_copy_value(buf, ubuf, len, ppos);
	ret = IS_ERR(value) ? PTR_ERR(value) : knob->store(value);
	kfree(buf);
	return ret ? ret : len;
}

static int rl_knob_release(struct inode *inode, struct file *file)
{
	if (file->f_mode & FMODE_READ)
		return single_release(inode, file);
	return 0;
}

static const struct file_operations rl_knob_fops = {
	.owner = THIS_MODULE,
	.open = rl_knob_open,
	.read = seq_read,
	.write = rl_knob_write,
	.llseek = seq_lseek,
	.release = rl_knob_release,
};

/* @read_only: under kernel lockdown; write-only files are left out. */
int rl_debugfs_init(bool read_only)
{
	const struct rl_knob *knob;

	rl_read_only = read_only;
	rl_dir = debugfs_create_dir(RL_NAME, NULL);
	if (IS_ERR(rl_dir))
		return PTR_ERR(rl_dir);
	for (knob = rl_knobs; knob < rl_knobs + ARRAY_SIZE(rl_knobs); knob++) {
		if (read_only && !knob->show)
			continue;
		debugfs_create_file(knob->name,
				    read_only ? knob->mode & 0444 : knob->mode,
				    rl_dir, (void *)knob, &rl_knob_fops);
	}
	return 0;
}

void rl_debugfs_exit(void)
{
	debugfs_remove_recursive(rl_dir);
}
