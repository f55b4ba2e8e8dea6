#!/bin/sh
# The main job (make demo): boot the stock 6.12 kernel in QEMU, load
# reclaimlab, page out large-folio memory with the stock MADV_PAGEOUT and
# show the probe counters beside /proc/vmstat; then the module's walker
# and pte_reclaim; then boot the stock 6.1 kernel for PTE-mapped THP paged
# out by the stock path (split) and by the walker with unmap batched
# (whole).  Installs what it needs on a fresh Debian 12 machine first (as
# root).
set -eu
. "$(dirname "$0")/lib.sh"

if [ ! -s "$RL_MATRIX" ]; then
	"$RL_TOP/scripts/install-deps.sh"
fi
make -s -C "$RL_TOP" tests-bin >/dev/null
# boot KERNEL-ROW TESTS: the walk-through prints its tables as TAP
# diagnostics ("# ...").
boot() {
	kver=$(rl_kver "$1")
	make -s -C "$RL_TOP" module KVER="$kver" >/dev/null
	"$RL_TOP/scripts/guest.sh" --tests "$2" --name "demo-$kver" "$kver" |
		sed -n 's/^\[[^]]*\] //; s/^# \{0,1\}//p; /^ok \|^not ok \|^PASS\|^FAIL/p' |
		grep -v "^--- $2\$"
}
boot 6.12 demo
boot 6.1 demo_unmap
