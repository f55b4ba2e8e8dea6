#!/bin/sh
# Usage: mkinitramfs.sh KVER OUT.cpio.gz
# Builds the guest's busybox initramfs: /init (tests/guest/init), the zram
# module chain of KVER, reclaimlab.ko and the tests.  Nothing is taken from
# the host's own initrd, so the guest is the same whatever the host runs.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || rl_die "usage: $0 KVER OUT.cpio.gz"
kver=$1
out=$2
root=$(rl_root "$kver")	# "" or the chroot that has this kernel
[ -d "$root/lib/modules/$kver" ] || rl_die "no $root/lib/modules/$kver"
arch=$(rl_arch "$kver")
if [ "$arch" = arm64 ]; then
	busybox=$RL_ARM64_ROOT/bin/busybox	# scripts/arm64-root.sh
	bins=$RL_BUILD/tests/bin-arm64
else
	busybox=/bin/busybox
	bins=$RL_BUILD/tests/bin
fi
[ -x "$busybox" ] || rl_die "no $busybox (install busybox-static)"
[ -x /bin/busybox ] || rl_die "no /bin/busybox (install busybox-static)"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage/bin" "$stage/etc" "$stage/dev" "$stage/proc" \
	"$stage/sys" "$stage/tmp" "$stage/root" "$stage/tests"
cp "$busybox" "$stage/bin/busybox"
# Applet links now rather than in /init, so /init can use plain names; the
# host's busybox lists them (the arm64 one is the same Debian build).
for a in $(/bin/busybox --list-full); do
	[ -e "$stage/$a" ] && continue
	mkdir -p "$stage/$(dirname "$a")"
	ln -s /bin/busybox "$stage/$a"
done
# The kernel opens /dev/console before /init runs; devtmpfs is not up yet.
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null ||
	rl_log "cannot mknod /dev/console (not root?); /init reopens it"

# Prints NAME's dependencies, recursively, before NAME itself; duplicates
# are removed by the caller.  $1 is per call, so no locals are needed.
kmod_order() {
	for d in $(modinfo -b "${root:-/}" -k "$kver" -F depends "$1" | tr ',' ' '); do
		kmod_order "$d"
	done
	echo "$1"
}

: >"$stage/etc/rl-kmods"
for m in $(kmod_order zram | awk '!seen[$0]++'); do
	src=$(modinfo -b "${root:-/}" -k "$kver" -n "$m") ||
		rl_die "module $m not found for $kver"
	[ "$src" = "(builtin)" ] && continue
	rel=${src#"$root"/lib/modules/"$kver"/}
	dst=/lib/modules/$kver/${rel%.ko*}.ko
	mkdir -p "$stage$(dirname "$dst")"
	# busybox insmod reads neither xz nor zstd.
	case $src in
	*.ko.xz)  xz -dc "$src" ;;
	*.ko.zst) zstd -dcq "$src" ;;
	*.ko.gz)  gzip -dc "$src" ;;
	*.ko)     cat "$src" ;;
	*)        rl_die "unknown module format: $src" ;;
	esac >"$stage$dst"
	echo "$dst" >>"$stage/etc/rl-kmods"
done

mod=$RL_BUILD/$kver/reclaimlab.ko
if [ -f "$mod" ]; then
	cp "$mod" "$stage/reclaimlab.ko"
else
	rl_log "warning: $mod not built; the guest has no reclaimlab.ko"
fi

if [ -d "$bins" ]; then
	cp -R "$bins/." "$stage/tests/"
else
	rl_log "warning: no $bins (make tests-bin TEST_ARCH=$arch); the guest has no test programs"
fi
for f in "$RL_TOP"/tests/guest/*.sh; do
	[ -f "$f" ] && cp "$f" "$stage/tests/"
done
cp "$RL_TOP/scripts/reclaimctl" "$stage/bin/reclaimctl"
chmod 755 "$stage/bin/reclaimctl"
cp "$RL_TOP/tests/guest/init" "$stage/init"
chmod 755 "$stage/init"

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -6 >"$out.tmp"
mv "$out.tmp" "$out"
