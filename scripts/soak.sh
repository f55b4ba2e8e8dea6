#!/bin/sh
# make soak: on every kernel of the matrix, a stock phase of SOAK_SECS/2
# then SOAK_SECS (default 300) of every walker over a changing workload
# (tests/guest/t_soak.c), then unload and leak checks.  SOAK_DEBUG=1 also
# soaks the lockdep/KASAN debug kernel (building it first if needed,
# scripts/debug-kernel.sh).  Not part of make check (too long for every
# CI run).
set -eu
. "$(dirname "$0")/lib.sh"

"$RL_TOP/scripts/install-deps.sh"	# returns at once when all is there
secs=${SOAK_SECS:-300}
kvers=$(rl_matrix | awk '{ print $2 }')
if [ "${SOAK_DEBUG:-0}" = 1 ]; then
	kvers="$kvers $("$RL_TOP/scripts/debug-kernel.sh" | tail -n1)"
fi
make -s -C "$RL_TOP" tests-bin >/dev/null
if [ -n "$(rl_arm64_kvers)" ]; then
	make -s -C "$RL_TOP" tests-bin TEST_ARCH=arm64 >/dev/null
fi
bad=0
for kver in $kvers; do
	make -s -C "$RL_TOP" module KVER="$kver" >/dev/null
	"$RL_TOP/scripts/guest.sh" --tests soak --cmdline "rl.args=$secs" \
		--timeout $((secs * 3 / 2 + 900)) --name "soak-$kver" "$kver" ||
		bad=1
done
[ $bad = 0 ] || rl_die "soak failed: see $RL_LOGS/soak-*.log"
