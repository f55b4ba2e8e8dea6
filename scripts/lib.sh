# Shared helpers for reclaimlab's scripts (sourced, POSIX sh).
# Every path the scripts write to lives under the repository, so a clean
# clone plus scripts/install-deps.sh is all a machine needs.

RL_TOP=$(cd "$(dirname "$0")/.." && pwd)
RL_CACHE=${RL_CACHE:-$RL_TOP/.cache}
RL_BUILD=${RL_BUILD:-$RL_TOP/build}
RL_LOGS=${RL_LOGS:-$RL_TOP/logs}
RL_MATRIX=$RL_CACHE/kernels.list
# The Debian sid chroot that carries the 7.x kernel (scripts/sid-chroot.sh).
RL_SID_ROOT=$RL_CACHE/sid-root

rl_die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

rl_log() {
	echo ">> $*" >&2
}

# Prints "LABEL KVER" for each kernel of the matrix, as picked by
# scripts/install-deps.sh.
rl_matrix() {
	[ -s "$RL_MATRIX" ] ||
		rl_die "no kernel matrix yet: run scripts/install-deps.sh (as root)"
	cat "$RL_MATRIX"
}

# The debug kernel's install root (scripts/debug-kernel.sh).
RL_DEBUG_ROOT=$RL_CACHE/debug-root

# Where KVER's files live: "" for a kernel installed on this machine, the
# chroot for one that needs it (a third field "chroot" in the matrix), the
# debug kernel's root for it.
rl_root() {
	if [ -r "$RL_DEBUG_ROOT/boot/vmlinuz-$1" ]; then
		echo "$RL_DEBUG_ROOT"
		return
	fi
	rl_matrix | awk -v k="$1" -v r="$RL_SID_ROOT" \
		'$2 == k && $3 == "chroot" { print r }'
}

# The KVERs of the matrix whose headers build on this machine.
rl_host_kvers() {
	rl_matrix | awk '$3 != "chroot" { print $2 }'
}

# The KVER of one matrix label (6.1, 6.12, 7.x).
rl_kver() {
	rl_matrix | awk -v l="$1" '$1 == l { print $2 }'
}
