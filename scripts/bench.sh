#!/bin/sh
# make bench: boots each kernel of the matrix once and runs
# tests/guest/bench_reclaim.c there (every measurement side by side in
# that one boot), then scripts/bench-report.py turns its "BENCH {json}"
# lines into a table on stdout, bench/<kernel>.json, bench/*.png and
# BENCHMARKS.md.  Installs what it needs first (as root).
# The probe-overhead group runs in a second boot, one vCPU, with QEMU's
# -icount (guest time counts instructions): its target is a few percent,
# and plain TCG timing moves one pair of runs by +-15%.
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
mkdir -p "$out" "$RL_LOGS"
make -s -C "$RL_TOP" tests-bin >/dev/null
wanted() {	# wanted GROUP: whether BENCH_GROUP (if set) selects it
	case $1 in *"${BENCH_GROUP:-}"*) true ;; *) false ;; esac
}
timed=
for g in pageout pte upstream reference; do
	wanted $g && timed="$timed${timed:+,}$g"
done
raws=
bad=0
for kver in $(rl_matrix | awk -v only="${BENCH_KERNELS:-}" \
	'only == "" || index(" " only " ", " " $1 " ") { print $2 }'); do
	make -s -C "$RL_TOP" module KVER="$kver" >/dev/null
	name=bench-$kver
	: >"$RL_LOGS/$name.jsonl"
	if [ -n "$timed" ]; then
		"$RL_TOP/scripts/guest.sh" --tests bench --timeout 3600 \
			--name "$name" --cmdline "rl.args=$timed" "$kver" || bad=1
		sed -n 's/^BENCH //p' "$RL_LOGS/$name.log" >>"$RL_LOGS/$name.jsonl"
	fi
	if wanted probes; then
		# one vCPU: 6.1 under -icount hangs bringing up the second
		RL_ICOUNT=1 RL_SMP=1 "$RL_TOP/scripts/guest.sh" --tests bench \
			--timeout 3600 --name "$name-icount" \
			--cmdline rl.args=probes "$kver" || bad=1
		sed -n 's/^BENCH //p' "$RL_LOGS/$name-icount.log" |
			grep -v '"kind": "kernel"' >>"$RL_LOGS/$name.jsonl"
	fi
	raws="$raws $kver $RL_LOGS/$name.jsonl"
done
python3 "$RL_TOP/scripts/bench-report.py" "$out" "$RL_TOP/BENCHMARKS.md" $raws
[ $bad = 0 ] || rl_die "a benchmark run failed (a data check or the guest log): see $RL_LOGS/bench-*.log"
