// SPDX-License-Identifier: GPL-2.0
/*
 * reclaimlab: watch, drive and compare large-folio reclaim on a stock
 * kernel.  See DESIGN.md for the interface and README for its use.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/security.h>
#include "reclaimlab.h"

static bool probes = true;
module_param(probes, bool, 0444);
MODULE_PARM_DESC(probes,
		 "Register the kretprobes on the stock reclaim paths at load (default: on; toggle later through debugfs 'probes')");

static char *test_require_symbol;
module_param(test_require_symbol, charp, 0444);
MODULE_PARM_DESC(test_require_symbol,
		 "For the test suite: one more kernel symbol the load requires, to check that a missing one is refused by name");

static bool test_lockdown;
module_param(test_lockdown, bool, 0444);
MODULE_PARM_DESC(test_lockdown,
		 "For the test suite: behave as under kernel lockdown (debugfs read-only)");

/*
 * Kernel lockdown (integrity mode, which Secure Boot turns on) lets no one
 * open a debugfs file that has a write bit, for reading or writing.  The
 * module then offers every readable file read-only and says what is lost.
 */
static bool rl_debugfs_locked_down(void)
{
	if (!test_lockdown && !security_locked_down(LOCKDOWN_DEBUGFS))
		return false;
	pr_warn(RL_NAME ": kernel lockdown%s: debugfs is read-only, so reclaimlab offers its files read-only\n",
		test_lockdown ? " (simulated by test_lockdown=1)" : "");
	pr_warn(RL_NAME ": works: the kretprobe counters (read stats and last), probes as the probes= parameter set them, symbols\n");
	pr_warn(RL_NAME ": does not work: pid, cgroup, range, walker, split, batch, unmap, young, pte_reclaim_zero, lock_hold_tables, pt_batch, auto_interval_ms and trigger cannot be written (no walker runs, no background mode), stats cannot be reset, probes cannot be switched\n");
	return true;
}

static int __init reclaimlab_init(void)
{
	int ret;

	ret = rl_symbols_resolve(test_require_symbol);
	if (ret)
		return ret;
	ret = rl_probes_init();
	if (ret)
		return ret;
	if (probes) {
		ret = rl_probes_set(true);
		if (ret)
			goto out_probes;
	}
	ret = rl_debugfs_init(rl_debugfs_locked_down());
	if (ret)
		goto out_probes;
	pr_info(RL_NAME ": loaded, probes %s\n", probes ? "on" : "off");
	return 0;

out_probes:
	rl_probes_exit();
	return ret;
}

static void __exit reclaimlab_exit(void)
{
	/* No knob can be open here: an open file holds a module reference. */
	rl_debugfs_exit();
	rl_auto_exit();
	rl_probes_exit();
	rl_target_exit();
	/* after every walk: the frees they left may call module code */
	rl_pte_reclaim_exit();
	pr_info(RL_NAME ": unloaded\n");
}

module_init(reclaimlab_init);
module_exit(reclaimlab_exit);

MODULE_DESCRIPTION("Large-folio reclaim lab: kprobe observers and batched reclaim walkers");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.2");
