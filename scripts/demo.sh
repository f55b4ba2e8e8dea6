#!/bin/sh
# The main job (make demo): boot the stock 6.12 kernel in QEMU, load
# reclaimlab, page out large-folio memory with the stock MADV_PAGEOUT and
# show the probe counters beside /proc/vmstat.  Installs what it needs on
# a fresh Debian 12 machine first (as root).
set -eu
. "$(dirname "$0")/lib.sh"

if [ ! -s "$RL_MATRIX" ]; then
	"$RL_TOP/scripts/install-deps.sh"
fi
kver=$(rl_kver 6.12)
make -s -C "$RL_TOP" module KVER="$kver" >/dev/null
make -s -C "$RL_TOP" tests-bin >/dev/null
# The walk-through prints its table as TAP diagnostics ("# ...").
"$RL_TOP/scripts/guest.sh" --tests demo --name "demo-$kver" "$kver" |
	sed -n 's/^\[[^]]*\] //; s/^# \{0,1\}//p; /^ok \|^not ok \|^PASS\|^FAIL/p' |
	grep -v '^--- demo$'
