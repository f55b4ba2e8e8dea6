#!/bin/sh
# Creates once, then updates, the Debian sid chroot ($RL_CACHE/sid-root)
# that carries the 7.x kernel of the matrix: its image and modules, which
# the guests boot, and its headers with the toolchain they need (their
# build tools want a newer C library than Debian 12 has), so the module
# for 7.x is built inside it (scripts/build-module.sh).  Run as root;
# prints the kernel's KVER on stdout.
set -eu
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || rl_die "must run as root (debootstrap, chroot)"
root=$RL_SID_ROOT
mirror=${RL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
export DEBIAN_FRONTEND=noninteractive

if [ ! -x "$root/usr/bin/gcc" ]; then
	command -v debootstrap >/dev/null ||
		apt-get install -y -q --no-install-recommends debootstrap >&2
	rm -rf "$root.tmp"
	rl_log "debootstrap sid into $root (once)"
	debootstrap --variant=minbase \
		--include=gcc,make,libc6-dev,libelf-dev,bc,flex,bison,kmod,xz-utils,zstd,ca-certificates,dkms \
		sid "$root.tmp" "$mirror" >&2
	mv "$root.tmp" "$root"
fi
chroot "$root" apt-get update -q >&2 || rl_log "sid: apt-get update reported errors; continuing"
chroot "$root" apt-get install -y -q --no-install-recommends \
	linux-image-amd64 linux-headers-amd64 dkms >&2
kver=$(chroot "$root" dpkg-query -W -f='${Depends}\n' linux-image-amd64 |
	tr ',' '\n' | sed -n 's/^ *linux-image-\([0-9][^ ]*-amd64\).*/\1/p' | head -n1)
[ -n "$kver" ] || rl_die "cannot tell the kernel linux-image-amd64 installs in $root"
[ -r "$root/boot/vmlinuz-$kver" ] || rl_die "$root/boot/vmlinuz-$kver missing"
[ -d "$root/usr/src/linux-headers-$kver" ] || rl_die "headers for $kver missing in $root"
echo "$kver"
