#!/bin/sh
# Usage: guest.sh [--cmdline "EXTRA"] [--tests PATTERN] [--timeout SECS]
#                 [--name NAME] [--no-la57] [--cpu ARM64-CPU] KVER
# Boots KVER under QEMU (TCG: /dev/kvm is not usable here) with a fresh
# initramfs, runs the guest suite and judges the run from the serial log,
# which stays in $RL_LOGS/NAME.log.  Prints the TAP lines as "[NAME] ...",
# writes "PASSED FAILED" to $RL_LOGS/NAME.result and exits 0 only for a
# complete, splat-free run with no failed and at least one passed test.
set -eu
. "$(dirname "$0")/lib.sh"

extra=
tests=
secs=900
name=
while [ $# -gt 1 ]; do
	case $1 in
	--cmdline) extra="$extra $2"; shift 2 ;;
	--tests)   tests=$2; shift 2 ;;
	--timeout) secs=$2; shift 2 ;;
	--name)    name=$2; shift 2 ;;
	--no-la57) extra="$extra no5lvl"; shift ;;
	--cpu)     RL_ARM64_CPU=$2; shift 2 ;;
	*)         rl_die "unknown option $1" ;;
	esac
done
[ $# -eq 1 ] || rl_die "usage: $0 [options] KVER (see the script header)"
kver=$1
name=${name:-$kver}
vmlinuz=$(rl_root "$kver")/boot/vmlinuz-$kver
[ -r "$vmlinuz" ] || rl_die "no $vmlinuz"
case $tests in *' '*) rl_die "--tests: no spaces, it goes on the kernel command line" ;; esac

initrd=$RL_BUILD/$kver/initramfs-$name.cpio.gz	# per boot: boots may run at once
log=$RL_LOGS/$name.log
result=$RL_LOGS/$name.result
mkdir -p "$RL_LOGS"
rm -f "$log" "$result"
"$RL_TOP/scripts/mkinitramfs.sh" "$kver" "$initrd"

arch=$(rl_arch "$kver")
console=ttyS0
[ "$arch" = arm64 ] && console=ttyAMA0
# No "quiet" and no oops=panic: every splat must reach the log, and the
# suite goes on after one so a single run reports all of them.
append="console=$console panic=-1${tests:+ rl.tests=$tests}$extra"
rl_log "[$name] booting $kver (timeout ${secs}s), log: $log"
qrc=0
# thread=single: QEMU 7.2's multi-threaded TCG does not emulate x86
# cross-modifying code faithfully; arming a kprobe (text_poke_bp on an
# ftrace site) while the other vCPU runs the probed function sent it to
# address 0, on 6.1 and 6.12 alike, and never with one vCPU or with
# single-threaded TCG.  The guest still has 2 CPUs, interleaved.
# RL_TCG_OPTS= (empty) brings multi-threaded TCG back; RL_SMP=1 gives
# one vCPU (how the fault above was told apart).
# RL_ICOUNT=1: guest time counts instructions (one is one ns, idle time
# skipped), so timings repeat to a fraction of a percent; about 2x slower.
icount=
[ "${RL_ICOUNT:-0}" = 1 ] && icount="-icount shift=0,sleep=off"
# arm64: the virt board with a Cortex-A76 (a phone's big core: 4-level,
# 48-bit VA, hardware access/dirty flags, no pointer-authentication
# emulation, which makes -cpu max 2-3x slower); RL_ARM64_CPU picks
# another (max,pauth-impdef=on has LPA2: 52-bit VA, 5 levels on 6.12).
# Its multi-threaded TCG is sound: arm64 code patching does its own cache
# maintenance, which QEMU honours.
if [ "$arch" = arm64 ]; then
	set -- qemu-system-aarch64 -M virt -cpu "${RL_ARM64_CPU:-cortex-a76}" \
		-accel tcg${RL_TCG_OPTS-}
else
	set -- qemu-system-x86_64 -cpu max -accel tcg${RL_TCG_OPTS-,thread=single}
fi
# shellcheck disable=SC2086
timeout -k 10 "$secs" "$@" $icount -smp ${RL_SMP:-2} -m 3G \
	-kernel "$vmlinuz" -initrd "$initrd" -append "$append" \
	-nographic -monitor none -serial "file:$log" -nic none -no-reboot \
	</dev/null || qrc=$?
# The serial log has CRLF line ends; plain LF keeps grep and editors simple.
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"

grep -E '^(ok|not ok) |^# |^1\.\.[0-9]' "$log" | sed "s/^/[$name] /" || true
passed=$(grep -c '^ok ' "$log" || true)
failed=$(grep -c '^not ok ' "$log" || true)
echo "$passed $failed" >"$result"

bad=0
fail() {
	echo "[$name] FAIL: $*"
	bad=1
}
done_rc=$(sed -n 's/.*RL-GUEST-DONE rc=\([0-9]*\).*/\1/p' "$log" | tail -n1)
if [ -z "$done_rc" ]; then
	if [ "$qrc" = 124 ]; then
		fail "no RL-GUEST-DONE: timed out after ${secs}s"
	else
		fail "no RL-GUEST-DONE: guest died (qemu rc=$qrc)"
	fi
elif [ "$done_rc" != 0 ]; then
	fail "run-all.sh exited with rc=$done_rc"
fi
if ! splats=$("$RL_TOP/scripts/scan-log.sh" "$log"); then
	fail "kernel splats in $log:"
	echo "$splats" | sed "s/^/[$name]   /"
fi
[ "$failed" -eq 0 ] || fail "$failed test(s) failed"
[ "$passed" -gt 0 ] || fail "no test passed"
[ "$bad" = 0 ] && echo "[$name] PASS: $passed passed"
exit $bad
