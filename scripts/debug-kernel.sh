#!/bin/sh
# Usage: debug-kernel.sh
# Builds the debug guest kernel (KASAN, lockdep, DEBUG_VM, PAGE_TABLE_CHECK,
# DEBUG_PAGEALLOC...) from Debian's linux-source-6.12 tarball: defconfig
# plus scripts/debug-kernel.config, release <version>-rl-debug.  Installs it
# the way a distro does, under $RL_CACHE/debug-root:
#   boot/vmlinuz-REL, boot/config-REL, boot/System.map-REL,
#   lib/modules/REL/ (its "build" link is the build tree, so
#   make -C .../lib/modules/REL/build M=DIR modules works).
# Does nothing when that kernel is installed and the fragment is unchanged
# (a copy of it is kept as boot/debug-kernel.config-REL).  Progress goes to
# stderr; the last line of stdout is the release.  Takes long: run it under
# nice.
set -eu
. "$(dirname "$0")/lib.sh"

tarball=/usr/src/linux-source-6.12.tar.xz
frag=$RL_TOP/scripts/debug-kernel.config
localversion=-rl-debug
dir=$RL_CACHE/debug-kernel
src=$dir/src
root=$RL_CACHE/debug-root

[ $# -eq 0 ] || rl_die "usage: $0"
[ -r "$frag" ] || rl_die "no $frag"

# Build dependencies (dwarves only matters for BTF, which needs DEBUG_INFO).
missing=
for p in gcc make bc flex bison libelf-dev libssl-dev cpio xz-utils kmod; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || rl_die "missing packages:$missing (run as root)"
	rl_log "installing$missing"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		$missing >&2
fi
[ -r "$tarball" ] || rl_die "no $tarball (apt-get install linux-source-6.12)"

# Extract once; again when the tree is gone or the tarball changed (a
# linux-source upgrade).  Into a temporary directory first, so a broken
# extraction never looks like a tree.
stamp=$(stat -c '%s %Y' "$tarball")
if [ ! -f "$src/Makefile" ] || [ "$(cat "$dir/src.stamp" 2>/dev/null)" != "$stamp" ]; then
	rl_log "extracting $tarball into $src"
	rm -rf "$src" "$dir/src.tmp" "$dir/src.stamp"
	mkdir -p "$dir/src.tmp"
	tar -xJf "$tarball" -C "$dir/src.tmp" --strip-components=1
	mv "$dir/src.tmp" "$src"
	echo "$stamp" >"$dir/src.stamp"
fi

kmake() {
	make -C "$src" LOCALVERSION="$localversion" "$@"
}

# The release is known before configuring: LOCALVERSION_AUTO=n and the
# tarball is no git tree, so nothing else is appended (checked below).
release=$(kmake -s kernelversion)$localversion
boot=$root/boot
if [ -f "$boot/vmlinuz-$release" ] && [ -f "$src/vmlinux" ] &&
	cmp -s "$frag" "$boot/debug-kernel.config-$release"; then
	rl_log "$release is up to date in $root"
	echo "$release"
	exit 0
fi
# From here on an interrupted run must not look finished.
rm -f "$boot/debug-kernel.config-$release"

rl_log "configuring: x86_64 defconfig + $frag"
kmake -s x86_64_defconfig >&2
(cd "$src" && scripts/kconfig/merge_config.sh -m .config "$frag") >&2
kmake -s olddefconfig >&2
# merge_config.sh -m checks nothing: every line of the fragment must have
# survived olddefconfig as written ("=n": not set).
bad=0
while IFS= read -r line; do
	case $line in CONFIG_*=*) ;; *) continue ;; esac
	sym=${line%%=*}
	if [ "${line#*=}" = n ]; then
		got=$(grep "^$sym=" "$src/.config" || true)
		[ -z "$got" ] && continue
	else
		grep -qxF "$line" "$src/.config" && continue
		got=$(grep -E "^$sym=|^# $sym is not set" "$src/.config" || true)
	fi
	echo "debug-kernel: asked $line, got ${got:-nothing}" >&2
	bad=1
done <"$frag"
[ "$bad" = 0 ] || rl_die "the fragment does not apply cleanly (see above)"

jobs=$(nproc)
rl_log "building bzImage and modules (-j$jobs)"
kmake -j"$jobs" bzImage modules >&2
got=$(kmake -s kernelrelease)
[ "$got" = "$release" ] || rl_die "built $got, expected $release"

rl_log "installing $release into $root"
rm -rf "$root/lib/modules/$release"
kmake -s INSTALL_MOD_PATH="$root" modules_install >&2
[ -L "$root/lib/modules/$release/build" ] ||
	rl_die "modules_install made no build link"
mkdir -p "$boot"
cp "$src/.config" "$boot/config-$release"
cp "$src/System.map" "$boot/System.map-$release"
cp "$src/arch/x86/boot/bzImage" "$boot/vmlinuz-$release.tmp"
mv "$boot/vmlinuz-$release.tmp" "$boot/vmlinuz-$release"
cp "$frag" "$boot/debug-kernel.config-$release"
echo "$release"
