// SPDX-License-Identifier: GPL-2.0
/*
 * reclaimlab: watch, drive and compare large-folio reclaim on a stock
 * kernel.  See DESIGN.md for the interface and README for its use.
 */
#include <linux/init.h>
#include <linux/module.h>
#include "reclaimlab.h"

static bool probes = true;
module_param(probes, bool, 0444);
MODULE_PARM_DESC(probes,
		 "Register the kretprobes on the stock reclaim paths at load (default: on; toggle later through debugfs 'probes')");

static char *test_require_symbol;
module_param(test_require_symbol, charp, 0444);
MODULE_PARM_DESC(test_require_symbol,
		 "For the test suite: one more kernel symbol the load requires, to check that a missing one is refused by name");

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
	ret = rl_debugfs_init();
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
	rl_probes_exit();
	rl_target_exit();
	pr_info(RL_NAME ": unloaded\n");
}

module_init(reclaimlab_init);
module_exit(reclaimlab_exit);

MODULE_DESCRIPTION("Large-folio reclaim lab: kprobe observers and batched reclaim walkers");
MODULE_LICENSE("GPL");
