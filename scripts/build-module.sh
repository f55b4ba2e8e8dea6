#!/bin/sh
# Usage: build-module.sh KVER
# Builds reclaimlab.ko for KVER into $RL_BUILD/KVER/ (W=1, warnings are
# errors) from a private copy of the sources, so two kernels' objects
# never mix.  Kernels of the matrix that live in the sid chroot (the 7.x
# row) are built inside it, with its toolchain.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || rl_die "usage: $0 KVER"
kver=$1
root=$(rl_root "$kver")
out=$RL_BUILD/$kver
rm -rf "$out/src"
mkdir -p "$out/src"
cp -r "$RL_TOP/Kbuild" "$RL_TOP/module" "$RL_TOP/include" "$out/src/"
if [ "$root" != "$RL_SID_ROOT" ]; then
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
