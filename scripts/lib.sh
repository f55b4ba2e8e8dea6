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
# The arm64 kernels' unpacked packages (scripts/arm64-root.sh).
RL_ARM64_ROOT=$RL_CACHE/arm64-root

# Where KVER's files live: "" for a kernel installed on this machine, the
# chroot for one that needs it (a third field "chroot" in the matrix), the
# arm64 root for an arm64 kernel (third field "arm64"), the debug kernel's
# root for it.
rl_root() {
	if [ -r "$RL_DEBUG_ROOT/boot/vmlinuz-$1" ]; then
		echo "$RL_DEBUG_ROOT"
		return
	fi
	rl_matrix | awk -v k="$1" -v r="$RL_SID_ROOT" -v a="$RL_ARM64_ROOT" \
		'$2 == k && $3 == "chroot" { print r } $2 == k && $3 == "arm64" { print a }'
}

# The architecture KVER runs on: arm64 for Debian's -arm64 flavour, else
# x86_64.
rl_arch() {
	case $1 in
	*-arm64) echo arm64 ;;
	*)       echo x86_64 ;;
	esac
}

# The KVERs of the matrix installed on this machine (amd64, its toolchain).
rl_host_kvers() {
	rl_matrix | awk 'NF == 2 { print $2 }'
}

# The KVERs of the matrix that are cross-built for arm64.
rl_arm64_kvers() {
	rl_matrix | awk '$3 == "arm64" { print $2 }'
}

# Debian 12's kernels of FLAVOUR (amd64, arm64), from apt's lists: the 6.1
# LTS bookworm's meta package points at, and the newest 6.12 LTS
# (bookworm-security) that also has headers.
rl_apt_6_1() {
	apt-cache depends "linux-image-$1:$1" |
		sed -n "s/^ *Depends: linux-image-\(6\.1\.[^ :]*-$1\).*\$/\1/p" | head -n1
}
rl_apt_6_12() {
	for v in $(apt-cache pkgnames linux-image-6.12. |
		sed -n "s/^linux-image-\(6\.12\.[0-9]*+deb12-$1\)\$/\1/p" | sort -rV); do
		if apt-cache show "linux-headers-$v:$1" >/dev/null 2>&1; then
			echo "$v"
			return
		fi
	done
}

# The KVER of one matrix label (6.1, 6.12, 7.x).
rl_kver() {
	rl_matrix | awk -v l="$1" '$1 == l { print $2 }'
}
