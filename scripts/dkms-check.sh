#!/bin/sh
# `dkms add` + `dkms build` of a clean copy of the sources against every
# kernel of the matrix (no loading), as a user would run them, then
# removes it again.  Prints TAP-like "ok"/"not ok" lines and
# "dkms: N passed, N failed"; exits non-zero on a failure.
set -u	# each step reports its own failure
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || rl_die "must run as root (dkms writes /usr/src, /var/lib/dkms)"
command -v dkms >/dev/null || rl_die "dkms missing: run scripts/install-deps.sh"
name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"$/\1/p' "$RL_TOP/dkms.conf")
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$RL_TOP/dkms.conf")
passed=0
failed=0
tap() {	# tap OK DESCRIPTION
	if [ "$1" = 0 ]; then
		echo "ok - dkms: $2"
		passed=$((passed + 1))
	else
		echo "not ok - dkms: $2"
		failed=$((failed + 1))
	fi
}

unregister() {
	dkms remove -m "$name" -v "$ver" --all >/dev/null 2>&1 || true
	rm -rf "/usr/src/$name-$ver"
}
unregister
stage=$(mktemp -d)
trap 'unregister; rm -rf "$stage"' EXIT
# What a fresh clone holds of the module: `dkms add .` copies the tree.
mkdir "$stage/$name"
cp -r "$RL_TOP/dkms.conf" "$RL_TOP/Kbuild" "$RL_TOP/Makefile" \
	"$RL_TOP/module" "$RL_TOP/include" "$stage/$name/"

grep -q "MODULE_VERSION(\"$ver\")" "$RL_TOP/module/main.c"
tap $? "dkms.conf version $ver is the module's MODULE_VERSION"
(cd "$stage/$name" && dkms add .) >"$stage/add.log" 2>&1
tap $? "dkms add . registers $name/$ver" || cat "$stage/add.log"

# dkms_build KVER [CHROOT]: dkms build, and the module it made.
dkms_build() {
	kver=$1
	root=${2:-}
	st=0
	if [ -z "$root" ]; then
		dkms build -m "$name" -v "$ver" -k "$kver" >"$stage/build.log" 2>&1 || st=$?
	else
		# The same in the chroot, with its own dkms tree and /usr/src.
		rm -rf "$root/tmp/$name" "$root/usr/src/$name-$ver"
		cp -r "$stage/$name" "$root/tmp/$name"
		mount -t proc proc "$root/proc"
		chroot "$root" sh -c "dkms remove -m $name -v $ver --all >/dev/null 2>&1;
			cd /tmp/$name && dkms add . && dkms build -m $name -v $ver -k $kver" \
			>"$stage/build.log" 2>&1 || st=$?
		umount "$root/proc"
	fi
	if [ $st != 0 ]; then
		sed 's/^/# /' "$stage/build.log"
		find "$root/var/lib/dkms/$name/$ver/build" -name make.log \
			-exec sed 's/^/# /' {} \; 2>/dev/null || true
	fi
	tap $st "dkms build $name/$ver -k $kver${root:+ (in the sid chroot)}"
	ko=$(find "$root/var/lib/dkms/$name/$ver/$kver" -name "$name.ko*" 2>/dev/null | head -n1)
	magic=$(modinfo -F vermagic "$ko" 2>/dev/null | awk '{ print $1 }')
	mver=$(modinfo -F version "$ko" 2>/dev/null)
	[ "$magic" = "$kver" ] && [ "$mver" = "$ver" ]
	tap $? "the built module is for $kver (vermagic '$magic'), version '$mver'"
	if [ -n "$root" ]; then
		chroot "$root" dkms remove -m "$name" -v "$ver" --all >/dev/null 2>&1
		rm -rf "$root/tmp/$name" "$root/usr/src/$name-$ver"
	fi
}

for kver in $(rl_host_kvers); do
	dkms_build "$kver"
done
for kver in $(rl_matrix | awk '$3 == "chroot" { print $2 }'); do
	dkms_build "$kver" "$(rl_root "$kver")"
done
echo "dkms: $passed passed, $failed failed"
[ $failed = 0 ]
