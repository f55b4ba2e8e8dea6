# Shared helpers for reclaimlab's scripts (sourced, POSIX sh).
# Every path the scripts write to lives under the repository, so a clean
# clone plus scripts/install-deps.sh is all a machine needs.

RL_TOP=$(cd "$(dirname "$0")/.." && pwd)
RL_CACHE=${RL_CACHE:-$RL_TOP/.cache}
RL_BUILD=${RL_BUILD:-$RL_TOP/build}
RL_LOGS=${RL_LOGS:-$RL_TOP/logs}
RL_MATRIX=$RL_CACHE/kernels.list

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

# The KVER of one matrix label (6.1, 6.12).
rl_kver() {
	rl_matrix | awk -v l="$1" '$1 == l { print $2 }'
}
