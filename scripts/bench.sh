#!/bin/sh
# make bench: boots each kernel of the matrix once and runs
# tests/guest/bench_reclaim.c there (every measurement side by side in
# that one boot), then scripts/bench-report.py turns its "BENCH {json}"
# lines into a table on stdout, bench/<kernel>.json, bench/*.png and
# BENCHMARKS.md.  Installs what it needs first (as root).
# BENCH_GROUP=WORD runs only the benchmark groups whose name contains WORD
# (pageout, probes, pte, upstream, reference); BENCH_KERNELS="6.12 7.x"
# only those matrix rows.
set -eu
. "$(dirname "$0")/lib.sh"

[ -s "$RL_MATRIX" ] || "$RL_TOP/scripts/install-deps.sh"
if ! command -v gnuplot >/dev/null; then
	[ "$(id -u)" = 0 ] || rl_die "gnuplot missing: apt-get install gnuplot-nox (as root)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gnuplot-nox >/dev/null
fi
out=$RL_TOP/bench
mkdir -p "$out"
make -s -C "$RL_TOP" tests-bin >/dev/null
raws=
bad=0
for kver in $(rl_matrix | awk -v only="${BENCH_KERNELS:-}" \
	'only == "" || index(" " only " ", " " $1 " ") { print $2 }'); do
	make -s -C "$RL_TOP" module KVER="$kver" >/dev/null
	name=bench-$kver
	"$RL_TOP/scripts/guest.sh" --tests bench --timeout 3600 --name "$name" \
		${BENCH_GROUP:+--cmdline rl.args=$BENCH_GROUP} "$kver" || bad=1
	sed -n 's/^BENCH //p' "$RL_LOGS/$name.log" >"$RL_LOGS/$name.jsonl"
	raws="$raws $kver $RL_LOGS/$name.jsonl"
done
python3 "$RL_TOP/scripts/bench-report.py" "$out" "$RL_TOP/BENCHMARKS.md" $raws
[ $bad = 0 ] || rl_die "a benchmark run failed (a data check or the guest log): see $RL_LOGS/bench-*.log"
