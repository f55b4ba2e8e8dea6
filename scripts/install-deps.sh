#!/bin/sh
# Installs, idempotently, everything reclaimlab needs on a Debian 12 machine
# (run as root): the build and lint tools, QEMU and busybox for the guests,
# and the image and headers of every kernel of the matrix.  The matrix
# versions are resolved from apt now, because point releases come and go on
# the archive; the picked versions are written to .cache/kernels.list.
set -eu
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || rl_die "must run as root (it calls apt-get)"
export DEBIAN_FRONTEND=noninteractive

TOOLS="linux-source-6.12 make gcc libc6-dev bc flex bison libelf-dev kmod cpio xz-utils zstd
	busybox-static qemu-system-x86 sparse perl python3 file dkms openssl
	debootstrap"

missing() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

updated=
apt_update_once() {
	[ -n "$updated" ] && return
	apt-get update -q >/dev/null || rl_log "apt-get update reported errors; continuing"
	updated=1
}

# apt-cache needs fresh lists to see the newest point releases.
apt_update_once

# 6.1 LTS: whatever bookworm's meta package points at.
k61=$(apt-cache depends linux-image-amd64 |
	sed -n 's/^ *Depends: linux-image-\(6\.1\.[^ ]*-amd64\)$/\1/p' | head -n1)
[ -n "$k61" ] || rl_die "cannot resolve the 6.1 kernel from linux-image-amd64"

# 6.12 LTS: the newest bookworm-security build that also has headers.
k612=
for v in $(apt-cache pkgnames linux-image-6.12. |
	sed -n 's/^linux-image-\(6\.12\.[0-9]*+deb12-amd64\)$/\1/p' | sort -rV); do
	if apt-cache show "linux-headers-$v" >/dev/null 2>&1; then
		k612=$v
		break
	fi
done
[ -n "$k612" ] || rl_die "cannot resolve a 6.12 kernel with headers from apt"

pkgs=$(missing $TOOLS linux-image-$k61 linux-headers-$k61 \
	linux-image-$k612 linux-headers-$k612)
if [ -n "$pkgs" ]; then
	rl_log "installing: $(echo $pkgs)"
	apt-get install -y -q --no-install-recommends $pkgs
fi

mkdir -p "$RL_CACHE"
# 7.x: sid's kernel, in a chroot with the toolchain its headers need.
k7=$("$RL_TOP/scripts/sid-chroot.sh")
printf '6.1 %s\n6.12 %s\n7.x %s chroot\n' "$k61" "$k612" "$k7" >"$RL_MATRIX"
for k in $k61 $k612; do
	[ -r "/boot/vmlinuz-$k" ] || rl_die "/boot/vmlinuz-$k missing after install"
	[ -d "/lib/modules/$k/build" ] || rl_die "headers for $k missing after install"
done
echo "kernel matrix:"
sed 's/^/  /' "$RL_MATRIX"
