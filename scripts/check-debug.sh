#!/bin/sh
# make check-debug: builds (once; scripts/debug-kernel.sh) a 6.12 kernel
# with lockdep, KASAN, DEBUG_VM, PAGE_TABLE_CHECK, DEBUG_PAGEALLOC and
# friends, builds the module against it and runs the whole guest suite on
# it; any lockdep, KASAN or VM_BUG report fails the run (scan-log.sh).
# Ends with "N passed, N failed" like make check.
set -eu
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
kver=$("$RL_TOP/scripts/debug-kernel.sh" | tail -n1)
t1=$(date +%s)
rl_log "debug kernel $kver ready in $((t1 - t0)) s"
make -s -C "$RL_TOP" tests-bin >/dev/null
make -s -C "$RL_TOP" module KVER="$kver" >/dev/null
st=0
# 4-level paging: with QEMU's la57, Debian's 6.12.118 source built this
# way reports a KASAN wild-memory-access in do_raw_spin_lock() from an
# edge IRQ during cpu_detect(), at 0.005 s, before any module, and then
# turns lock debugging off for the rest of the boot.
"$RL_TOP/scripts/guest.sh" --timeout 3300 --no-la57 --name "debug-$kver" "$kver" || st=1
p=0
f=1
[ -r "$RL_LOGS/debug-$kver.result" ] && read -r p f <"$RL_LOGS/debug-$kver.result"
[ $st = 1 ] && [ "$f" -eq 0 ] && f=1
rl_log "debug kernel suite in $(($(date +%s) - t1)) s"
echo "$p passed, $f failed"
exit $st
