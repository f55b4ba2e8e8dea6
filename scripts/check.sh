#!/bin/sh
# The body of `make check`: for every kernel of the matrix (x86-64 and
# arm64), build the module and run the guest suite, and for two of them a
# second boot with other page-table geometry ($RL_SECOND_BOOT_TESTS, a
# shorter subset; see boot_kernel), in two lanes at once.  Keeps going
# after a failure so one run reports everything; the last line is always
# "N passed, N failed" and the exit status is non-zero on any failure.
set -eu
. "$(dirname "$0")/lib.sh"

RL_SECOND_BOOT_TESTS=${RL_SECOND_BOOT_TESTS:-smoke*}
matrix=$(rl_matrix)	# here, so a missing matrix stops the script
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT

# record NAME STATUS PASSED FAILED SECS (from either lane: one line each)
record() {
	printf '%-36s %-4s %6s %6s %6s\n' "$@" >>"$summary"
}

# run NAME [guest.sh options] KVER
run() {
	name=$1
	shift
	t0=$(date +%s)
	st=ok
	"$RL_TOP/scripts/guest.sh" --name "$name" "$@" || st=FAIL
	p=0
	f=0
	[ -r "$RL_LOGS/$name.result" ] && read -r p f <"$RL_LOGS/$name.result"
	# A crash, timeout or splat fails the run even if every test said ok.
	[ $st = FAIL ] && [ "$f" -eq 0 ] && f=1
	secs=$(($(date +%s) - t0))
	rl_log "[$name] $st in ${secs}s"
	record "$name" $st "$p" "$f" "$secs"
}

# The test programs do not depend on the kernel: build them once per
# architecture.
make -s -C "$RL_TOP" tests-bin || record tests-bin FAIL 0 1 0
if [ -n "$(rl_arm64_kvers)" ]; then
	make -s -C "$RL_TOP" tests-bin TEST_ARCH=arm64 || record tests-bin-arm64 FAIL 0 1 0
fi

# The log scan must catch every kind of splat and pass our own lines, or a
# green run means nothing.
scan_selftest() {
	log=$(mktemp)
	missed=
	for splat in "BUG: kernel NULL pointer dereference, address: 0" \
		"WARNING: CPU: 0 PID: 1 at mm/rmap.c:1 try_to_unmap_one" \
		"Oops: 0010 [#1] PREEMPT SMP NOPTI" \
		"WARNING: possible circular locking dependency detected" \
		"BUG: KASAN: use-after-free in rl_walk" \
		"INFO: task t:1 blocked for more than 30 seconds." \
		"watchdog: BUG: soft lockup - CPU#0 stuck for 22s!" \
		"rcu: INFO: rcu_preempt self-detected stall on CPU" \
		"kernel BUG at mm/huge_memory.c:1!" \
		"INFO: lockdep is turned off." \
		"DEBUG_LOCKS_WARN_ON(1)"; do
		printf '[    1.0] %s\n' "$splat" >"$log"
		"$RL_TOP/scripts/scan-log.sh" "$log" >/dev/null && missed="$missed [$splat]"
	done
	printf 'ok 1 - BUG handling\n# WARNING: only a diagnostic\n[    0.0] rcu: \tRCU lockdep checking is enabled.\n' >"$log"
	"$RL_TOP/scripts/scan-log.sh" "$log" >/dev/null || missed="$missed [own TAP lines flagged]"
	rm -f "$log"
	if [ -n "$missed" ]; then
		echo "scan-log self-test failed:$missed"
		record scan-log-selftest FAIL 0 1 0
	else
		record scan-log-selftest ok 10 0 0
	fi
}
scan_selftest

# DKMS: `dkms add` + `dkms build` against every kernel of the matrix.
t0=$(date +%s)
mkdir -p "$RL_LOGS"
st=ok
"$RL_TOP/scripts/dkms-check.sh" >"$RL_LOGS/dkms.log" 2>&1 || st=FAIL
cat "$RL_LOGS/dkms.log"
p=$(awk 'END { print $2 }' "$RL_LOGS/dkms.log")
f=$(awk 'END { print $4 }' "$RL_LOGS/dkms.log")
case "$p/$f" in *[!0-9/]*|/*|*/) p=0 f=1 ;; esac
record dkms $st "$p" "$f" $(($(date +%s) - t0))

# boot_kernel KVER: build the module, run the full suite, then the second
# boot where one adds something: 6.12 x86-64 with 4-level paging (no5lvl:
# the full boot has QEMU's la57), arm64 6.12 with LPA2 (52-bit VA, 5
# levels; the full boot's Cortex-A76 has 48 bits, 4 levels).  6.1 and
# 7.x x86-64 have no second boot: their 4-level paths are the same code
# as 6.12's, and arm64 6.1 and 6.12 boot 4-level anyway.
boot_kernel() {
	kver=$1
	t0=$(date +%s)
	if ! make -s -C "$RL_TOP" module KVER="$kver" >"$RL_LOGS/$kver-build.log" 2>&1; then
		cat "$RL_LOGS/$kver-build.log"
		record "$kver-build" FAIL 0 1 $(($(date +%s) - t0))
		return
	fi
	run "$kver" "$kver"
	# The background budget is a CPU share: asserted where guest time
	# counts instructions, not host time (one vCPU: 6.1 hangs bringing
	# up a second under -icount).
	(export RL_ICOUNT=1 RL_SMP=1
	 run "$kver-icount" --tests auto --cmdline rl.args=budget "$kver")
	case $(rl_matrix | awk -v k="$kver" '$2 == k { print $1 }') in
	6.12)
		run "$kver-no5lvl" --no-la57 --tests "$RL_SECOND_BOOT_TESTS" "$kver" ;;
	6.12-arm64)
		run "$kver-lpa2" --cpu max,pauth-impdef=on \
			--tests "$RL_SECOND_BOOT_TESTS" "$kver" ;;
	esac
}

# Two lanes of boots at once, one per host core (each QEMU runs its
# guest's vCPUs on about one core: x86 single-threaded TCG; arm64's two
# vCPU threads share with the other lane), balanced by their usual time.
lane_a=$(echo "$matrix" | awk '$1 == "6.1" || $1 == "6.12" || $1 == "6.1-arm64" { print $2 }')
lane_b=$(echo "$matrix" | awk '$1 != "6.1" && $1 != "6.12" && $1 != "6.1-arm64" { print $2 }')
mkdir -p "$RL_LOGS"
(for k in $lane_a; do boot_kernel "$k"; done) >"$RL_LOGS/lane-a.out" 2>&1 &
pa=$!
(for k in $lane_b; do boot_kernel "$k"; done) >"$RL_LOGS/lane-b.out" 2>&1 &
pb=$!
wait $pa || true
wait $pb || true
cat "$RL_LOGS/lane-a.out" "$RL_LOGS/lane-b.out"

echo
printf '%-36s %-4s %6s %6s %6s\n' RUN STAT PASSED FAILED SECS
cat "$summary"
awk '{ p += $3; f += $4 } END { print p + 0 " passed, " f + 0 " failed" }' "$summary"
! awk '$2 != "ok" { bad = 1 } END { exit !bad }' "$summary"
