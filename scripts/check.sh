#!/bin/sh
# The body of `make check`: for every kernel of the matrix, build the module
# and run the guest suite twice, with 5-level paging (full suite) and with
# no5lvl ($RL_LA57_OFF_TESTS, a shorter subset).  Keeps going after a
# failure so one run reports everything; the last line is always
# "N passed, N failed" and the exit status is non-zero on any failure.
set -eu
. "$(dirname "$0")/lib.sh"

RL_LA57_OFF_TESTS=${RL_LA57_OFF_TESTS:-smoke*}
matrix=$(rl_matrix)	# here, so a missing matrix stops the script
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
total_p=0
total_f=0
bad=0

# record NAME STATUS PASSED FAILED SECS
record() {
	printf '%-36s %-4s %6s %6s %6s\n' "$@" >>"$summary"
	total_p=$((total_p + $3))
	total_f=$((total_f + $4))
	[ "$2" = ok ] || bad=1
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

# The test programs do not depend on the kernel: build them once.
make -C "$RL_TOP" tests-bin || record tests-bin FAIL 0 1 0

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

for kver in $(echo "$matrix" | awk '{ print $2 }'); do
	t0=$(date +%s)
	if ! make -C "$RL_TOP" module KVER="$kver"; then
		record "$kver-build" FAIL 0 1 $(($(date +%s) - t0))
		continue
	fi
	run "$kver" "$kver"
	run "$kver-no5lvl" --no-la57 --tests "$RL_LA57_OFF_TESTS" "$kver"
done

echo
printf '%-36s %-4s %6s %6s %6s\n' RUN STAT PASSED FAILED SECS
cat "$summary"
echo "$total_p passed, $total_f failed"
exit $bad
