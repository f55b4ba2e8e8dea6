#!/bin/sh
# Usage: demo.sh [arm64]
# The main job (make demo): boot the stock 6.12 kernel in QEMU, load
# reclaimlab, page out large-folio memory with the stock MADV_PAGEOUT and
# show the probe counters beside /proc/vmstat; then the module's walker
# and pte_reclaim; then boot the stock 6.1 kernel for PTE-mapped THP paged
# out by the stock path (split) and by the walker with unmap batched
# (whole).  With arm64 (make demo ARCH=arm64): the same on Debian's arm64
# 6.12 (contpte-mapped mTHP), both boots of it.  Installs what its boots
# use on a fresh Debian 12 machine first (as root).
set -eu
. "$(dirname "$0")/lib.sh"

# ARCH from make's command line is in the environment: not for Kbuild.
unset ARCH
if [ "${1:-}" = arm64 ]; then
	rows="6.12-arm64 6.12-arm64"
	"$RL_TOP/scripts/install-deps.sh" 6.12-arm64
	make -s -C "$RL_TOP" tests-bin TEST_ARCH=arm64 >/dev/null
else
	rows="6.12 6.1"
	"$RL_TOP/scripts/install-deps.sh" 6.12 6.1
	make -s -C "$RL_TOP" tests-bin >/dev/null
fi
# boot KERNEL-ROW TESTS: the walk-through prints its tables as TAP
# diagnostics ("# ...").
boot() {
	kver=$(rl_kver "$1")
	make -s -C "$RL_TOP" module KVER="$kver" >/dev/null
	"$RL_TOP/scripts/guest.sh" --tests "$2" --name "demo-$kver-$2" "$kver" |
		sed -n 's/^\[[^]]*\] //; s/^# \{0,1\}//p; /^ok \|^not ok \|^PASS\|^FAIL/p' |
		grep -v "^--- $2\$"
}
set -- $rows
boot "$1" demo
boot "$2" demo_unmap
