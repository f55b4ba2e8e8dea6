#!/bin/sh
# Creates or updates $RL_CACHE/arm64-root: the arm64 rows of the matrix
# (Debian's stock arm64 6.1 and newest 6.12) with their images, modules
# and headers, and an arm64 busybox for the guests.  Run as root, on the
# amd64 machine: the packages are downloaded and unpacked, not installed
# (the arm64 headers depend on the arm64 gcc), and the headers' build tools
# are the host's own amd64 linux-kbuild of the same version (Multi-Arch:
# foreign).  Prints "LABEL KVER arm64" for each kernel on stdout.
set -eu
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || rl_die "must run as root (apt-get)"
export DEBIAN_FRONTEND=noninteractive
root=$RL_ARM64_ROOT

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
	apt-get update -q >&2 || rl_log "apt-get update reported errors; continuing"
fi
need=
for p in gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$' || need="$need $p"
done
if [ -n "$need" ]; then
	rl_log "installing:$need"
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $need >&2
fi

k61=$(rl_apt_6_1 arm64)
[ -n "$k61" ] || rl_die "cannot resolve the arm64 6.1 kernel from linux-image-arm64"
k612=$(rl_apt_6_12 arm64)
[ -n "$k612" ] || rl_die "cannot resolve an arm64 6.12 kernel with headers from apt"

# The series name of a kernel's kbuild and common headers packages, from
# what its arm64 headers package depends on.
dep_of() {	# PACKAGE PREFIX
	apt-cache depends "$1" | sed -n "s/^ *Depends: <\{0,1\}\($2[^ :<>]*\).*/\1/p" | head -n1
}

dl=$(mktemp -d)
chmod 755 "$dl"	# apt-get download runs as _apt
trap 'rm -rf "$dl"' EXIT
mkdir -p "$root"
for k in $k61 $k612; do
	if [ -r "$root/boot/vmlinuz-$k" ] && [ -r "$root/lib/modules/$k/modules.dep" ] &&
		[ -e "$root/usr/src/linux-headers-$k/scripts/mod" ]; then
		continue
	fi
	common=$(dep_of "linux-headers-$k:arm64" linux-headers-)
	kbuild=$(dep_of "linux-headers-$k:arm64" linux-kbuild-)
	[ -n "$common" ] && [ -n "$kbuild" ] || rl_die "cannot resolve the headers of $k"
	dpkg-query -W -f='${Status}\n' "$kbuild" 2>/dev/null |
		grep -q '^install ok installed$' || apt-get install -y -q --no-install-recommends "$kbuild" >&2
	rl_log "arm64: unpacking $k into $root"
	(cd "$dl" && apt-get download -q "linux-image-$k:arm64" \
		"linux-headers-$k:arm64" "$common" >&2)
	for d in "$dl"/*.deb; do
		dpkg-deb -x "$d" "$root"
	done
	rm -f "$dl"/*.deb
	# The headers' Makefile includes the common headers by absolute path,
	# and their scripts/ and tools/ point at ../../lib/linux-kbuild-*: send
	# both to this root and the host's kbuild (its tools run here).
	sed -i "s|^include /usr/src/|include $root/usr/src/|" \
		"$root/usr/src/linux-headers-$k/Makefile"
	mkdir -p "$root/usr/lib"
	ln -sfn "/usr/lib/$kbuild" "$root/usr/lib/$kbuild"
	depmod -b "$root" "$k"
done
if [ ! -x "$root/bin/busybox" ]; then
	(cd "$dl" && apt-get download -q busybox-static:arm64 >&2)
	dpkg-deb -x "$dl"/busybox-static_*.deb "$root"
fi
printf '6.1-arm64 %s arm64\n6.12-arm64 %s arm64\n' "$k61" "$k612"
