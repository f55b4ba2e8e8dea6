#!/bin/sh
# Usage: build-module.sh KVER
# Builds reclaimlab.ko for KVER into $RL_BUILD/KVER/ (W=1, warnings are
# errors) from a private copy of the sources, so two kernels' objects
# never mix.  Kernels of the matrix that live in the sid chroot (the 7.x
# row) are built inside it, with its toolchain; arm64 kernels are
# cross-built with the host's aarch64-linux-gnu- toolchain.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || rl_die "usage: $0 KVER"
kver=$1
root=$(rl_root "$kver")
out=$RL_BUILD/$kver
rm -rf "$out/src"
mkdir -p "$out/src"
cp -r "$RL_TOP/Kbuild" "$RL_TOP/module" "$RL_TOP/include" "$out/src/"
if [ "$(rl_arch "$kver")" = arm64 ]; then
	# The headers sit under the arm64 root (their build link is absolute).
	# 6.1's Makefile does not pick a cross compiler from ARCH alone.
	# shellcheck disable=SC2086
	make -C "$root/usr/src/linux-headers-$kver" M="$out/src" ${EXTRA_W:-W=1} \
		ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- KCFLAGS=-Werror modules
elif [ "$root" != "$RL_SID_ROOT" ]; then
	# this machine's toolchain: Debian's kernels and the debug kernel
	# shellcheck disable=SC2086
	make -C "$root/lib/modules/$kver/build" M="$out/src" ${EXTRA_W:-W=1} \
		KCFLAGS=-Werror modules
else
	# The chroot sees the copy under /tmp; objtool needs /proc.
	inner=/tmp/reclaimlab-build-$kver
	rm -rf "$root$inner"
	cp -r "$out/src" "$root$inner"
	mount -t proc proc "$root/proc"
	st=0
	chroot "$root" make -C "/usr/src/linux-headers-$kver" M="$inner" W=1 \
		KCFLAGS=-Werror modules || st=$?
	umount "$root/proc"
	[ $st = 0 ] || exit $st
	cp "$root$inner/reclaimlab.ko" "$out/src/reclaimlab.ko"
fi
cp "$out/src/reclaimlab.ko" "$out/reclaimlab.ko"
