#!/bin/sh
# make soak: on every kernel of the matrix, SOAK_SECS (default 300) of
# every walker and the stock pageout over a changing workload
# (tests/guest/t_soak.c), then unload and leak checks.  Not part of make
# check (too long for every CI run).
set -eu
. "$(dirname "$0")/lib.sh"

[ -s "$RL_MATRIX" ] || "$RL_TOP/scripts/install-deps.sh"
secs=${SOAK_SECS:-300}
make -s -C "$RL_TOP" tests-bin >/dev/null
bad=0
for kver in $(rl_matrix | awk '{ print $2 }'); do
	make -s -C "$RL_TOP" module KVER="$kver" >/dev/null
	"$RL_TOP/scripts/guest.sh" --tests soak --cmdline "rl.args=$secs" \
		--timeout $((secs * 3 / 2 + 900)) --name "soak-$kver" "$kver" || bad=1
done
[ $bad = 0 ] || rl_die "soak failed: see $RL_LOGS/soak-*.log"
