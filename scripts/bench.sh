#!/bin/sh
# make bench: boots each kernel of the matrix once and runs
# tests/guest/bench_reclaim.c there (every measurement side by side in
# that one boot), then scripts/bench-report.py turns its "BENCH {json}"
# lines into a table on stdout, bench/<kernel>.json, bench/*.png and
# BENCHMARKS.md.  Installs what it needs first (as root).
# Every timed group runs in one boot per kernel under QEMU -icount (guest
# time counts instructions, so timings repeat to a fraction of a percent
# where plain TCG moves one run by +-15%), with one vCPU: 6.1 hangs
# bringing up a second vCPU under -icount, and one vCPU keeps every kernel
# alike.  Each timed comparison runs in alternating rounds
# (bench_reclaim.c).  The reference workload's figure is VmPTE, not a
# time, and it touches 50 GiB: it runs in a plain TCG boot beside it
# (about 15 min under -icount, 3 on plain TCG), its rows marked so.
# The SMP rows (group smp: what a walk costs other CPUs, counted in IPIs:
# pte_reclaim, the batched unmap, and at 2 vCPUs the background mode)
# run after those, on plain multi-threaded TCG (never -icount, where
# vCPUs take turns and an IPI's answer waits a whole slice), one boot
# per kernel and vCPU count (1, 2, 4; RL_SMP_CPUS), one at a time.
# BENCH_GROUP="WORD..." runs only the benchmark groups whose name contains
# a WORD (pageout, probes, trace, young, pte, upstream, stall, auto,
# reference, smp),
# keeping the other groups' last results; BENCH_KERNELS="6.12 7.x"
# only those matrix rows (the others keep their last results, dated).
set -eu
. "$(dirname "$0")/lib.sh"

"$RL_TOP/scripts/install-deps.sh"	# returns at once when all is there
if ! command -v gnuplot >/dev/null; then
	[ "$(id -u)" = 0 ] || rl_die "gnuplot missing: apt-get install gnuplot-nox (as root)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gnuplot-nox >/dev/null
fi
out=$RL_TOP/bench
mkdir -p "$out" "$RL_LOGS"
make -s -C "$RL_TOP" tests-bin >/dev/null
if [ -n "$(rl_arm64_kvers)" ]; then
	make -s -C "$RL_TOP" tests-bin TEST_ARCH=arm64 >/dev/null
fi
wanted() {	# wanted GROUP: whether BENCH_GROUP (if set) selects it
	[ -n "${BENCH_GROUP:-}" ] || return 0
	for w in $BENCH_GROUP; do
		case $1 in *"$w"*) return 0 ;; esac
	done
	return 1
}
groups=
for g in pageout probes trace young pte upstream stall auto; do
	wanted $g && groups="$groups${groups:+,}$g"
done
tcg_groups=
wanted reference && tcg_groups=reference
smp_cpus=
wanted smp && smp_cpus=${RL_SMP_CPUS:-1 2 4}
[ -n "$groups$tcg_groups$smp_cpus" ] ||
	rl_die "BENCH_GROUP=${BENCH_GROUP:-} selects no group"
# one line: the case patterns below match " $kver " in " $kvers "
kvers=$(rl_matrix | awk -v only="${BENCH_KERNELS:-}" \
	'only == "" || index(" " only " ", " " $1 " ") { print $2 }' | tr '\n' ' ')
for kver in $kvers; do
	make -s -C "$RL_TOP" module KVER="$kver" >/dev/null
done
# boot NAME ARGS: one guest, its BENCH lines into $RL_LOGS/NAME.jsonl
# (RL_ICOUNT and RL_SMP from the caller).
boot() {
	rc=0
	"$RL_TOP/scripts/guest.sh" --tests bench --timeout 3600 --name "$1" \
		--cmdline "rl.args=$2" "$kver" >"$RL_LOGS/$1.out" 2>&1 || rc=$?
	sed -n 's/^BENCH //p' "$RL_LOGS/$1.log" >"$RL_LOGS/$1.jsonl"
	return $rc
}
# Every boot runs at once: under -icount a guest's time counts its own
# instructions, so sharing the host's cores changes no timed figure, only
# the wall clock (about halved on 2 cores).
raws=
pids=
for kver in $kvers; do
	name=bench-$kver
	names=
	if [ -n "$groups" ]; then
		(export RL_ICOUNT=1 RL_SMP=1; boot "$name" "$groups,icount") &
		pids="$pids $!"
		names="$names $name"
	fi
	if [ -n "$tcg_groups" ]; then
		(boot "$name-tcg" "$tcg_groups") &
		pids="$pids $!"
		names="$names $name-tcg"
	fi
	for n in $smp_cpus; do
		names="$names $name-smp$n"
	done
	kernel_names="${kernel_names:-} $kver:$(echo $names | tr ' ' ,)"
done
bad=0
for pid in $pids; do
	wait "$pid" || bad=1
done
# the SMP rows, one boot at a time: plain TCG times move with the load
for kver in $kvers; do
	for n in $smp_cpus; do
		args=smp_tables,smp_unmap
		[ "$n" = 2 ] && args=$args,smp_background
		# multi-threaded TCG (RL_TCG_OPTS empty): single-threaded, the
		# vCPUs take turns and an IPI waits for the other's slice.  On
		# x86 it sometimes breaks the guest kernel's own text patching
		# at boot (an int3 oops before any module: 7.2, once in 15):
		# a boot that died before its first test is tried again.
		for try in 1 2 3; do
			(export RL_SMP=$n RL_TCG_OPTS=
			 boot "bench-$kver-smp$n" $args) && break
			if [ $try = 3 ] || ! grep -q "no test passed" \
				"$RL_LOGS/bench-$kver-smp$n.out"; then
				bad=1
				break
			fi
			echo ">> bench-$kver-smp$n: died at boot, again" >&2
		done
	done
done
# one file per kernel: the kernel line once, then every boot's rows
for kn in $kernel_names; do
	kver=${kn%%:*}
	: >"$RL_LOGS/bench-$kver.all.jsonl"
	first=1
	for n in $(echo "${kn#*:}" | tr , ' '); do
		grep -v '^\[.*\] BENCH ' "$RL_LOGS/$n.out" || true
		if [ $first = 1 ]; then
			cat "$RL_LOGS/$n.jsonl"
		else
			grep -v '"kind": "kernel"' "$RL_LOGS/$n.jsonl" || true
		fi >>"$RL_LOGS/bench-$kver.all.jsonl"
		first=0
	done
done
# With BENCH_GROUP, a kernel's rows of the groups not run come from its
# last results.
if [ -n "${BENCH_GROUP:-}" ]; then
	for kver in $kvers; do
		[ -r "$out/$kver.json" ] || continue
		python3 - "$out/$kver.json" "$RL_LOGS/bench-$kver.all.jsonl" <<'EOF'
import json, sys
old = json.load(open(sys.argv[1]))["results"]
new = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
kinds = {r["kind"] for r in new}
with open(sys.argv[2], "a") as f:
    for r in old:
        if r["kind"] not in kinds:
            f.write(json.dumps(r) + "\n")
EOF
	done
fi
# In the matrix's order; the rows BENCH_KERNELS left out keep their last
# results.
for kver in $(rl_matrix | awk '{ print $2 }'); do
	case " $kvers " in
	*" $kver "*) raws="$raws $kver $RL_LOGS/bench-$kver.all.jsonl" ;;
	*) [ -r "$out/$kver.json" ] && raws="$raws $kver $out/$kver.json" ;;
	esac
done
python3 "$RL_TOP/scripts/bench-report.py" "$out" "$RL_TOP/BENCHMARKS.md" $raws
[ $bad = 0 ] || rl_die "a benchmark run failed (a data check or the guest log): see $RL_LOGS/bench-*.log"
