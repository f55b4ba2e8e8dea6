#!/bin/sh
# Usage: install-deps.sh [LABEL...]
# Installs, idempotently, what reclaimlab needs on a Debian 12 machine (run
# as root) for the matrix rows LABEL (6.1 6.12 7.x 6.1-arm64 6.12-arm64;
# default all): the build and lint tools, QEMU and busybox for the guests,
# and each row's kernel image and headers.  The versions are resolved from
# apt now, because point releases come and go on the archive; the picked
# versions are merged into .cache/kernels.list.  Returns at once when every
# row asked for is there already.
set -eu
. "$(dirname "$0")/lib.sh"

ALL="6.1 6.12 7.x 6.1-arm64 6.12-arm64"
labels=${*:-$ALL}
for l in $labels; do
	case " $ALL " in *" $l "*) ;; *) rl_die "unknown matrix row $l (rows: $ALL)" ;; esac
done

# The fast path: every row asked for is in the matrix with its image.
have_row() {
	[ -s "$RL_MATRIX" ] || return 1
	k=$(awk -v l="$1" '$1 == l { print $2 }' "$RL_MATRIX")
	[ -n "$k" ] && [ -r "$(rl_root "$k")/boot/vmlinuz-$k" ]
}
todo=
for l in $labels; do
	have_row "$l" || todo="$todo $l"
done
[ -z "$todo" ] && exit 0

[ "$(id -u)" = 0 ] || rl_die "must run as root (it calls apt-get) to install:$todo"
export DEBIAN_FRONTEND=noninteractive
wants() { case " $todo " in *" $1 "*) true ;; *) false ;; esac; }

TOOLS="linux-source-6.12 make gcc libc6-dev bc flex bison libelf-dev kmod cpio xz-utils zstd
	busybox-static sparse perl python3 file dkms openssl"
if wants 6.1 || wants 6.12 || wants 7.x; then
	TOOLS="$TOOLS qemu-system-x86"
fi
wants 7.x && TOOLS="$TOOLS debootstrap"

missing() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

# apt-cache needs fresh lists to see the newest point releases.
apt-get update -q >/dev/null || rl_log "apt-get update reported errors; continuing"

rows=
kernels=
for series in 6.1 6.12; do
	wants $series || continue
	k=$(rl_apt_$(echo $series | tr . _) amd64)
	[ -n "$k" ] || rl_die "cannot resolve the $series kernel (with headers) from apt"
	rows="$rows
$series $k"
	kernels="$kernels $k"
done

pkgs=$(missing $TOOLS)
for k in $kernels; do
	pkgs="$pkgs $(missing "linux-image-$k" "linux-headers-$k")"
done
pkgs=$(echo $pkgs)
if [ -n "$pkgs" ]; then
	rl_log "installing: $pkgs"
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $pkgs
fi
for k in $kernels; do
	[ -r "/boot/vmlinuz-$k" ] || rl_die "/boot/vmlinuz-$k missing after install"
	[ -d "/lib/modules/$k/build" ] || rl_die "headers for $k missing after install"
done

mkdir -p "$RL_CACHE"
if wants 7.x; then
	# 7.x: sid's kernel, in a chroot with the toolchain its headers need.
	rows="$rows
7.x $("$RL_TOP/scripts/sid-chroot.sh") chroot"
fi
if wants 6.1-arm64 || wants 6.12-arm64; then
	# arm64: Debian's arm64 6.1 and 6.12, unpacked and cross-built.
	rows="$rows
$("$RL_TOP/scripts/arm64-root.sh")"
fi

# Merge: the rows resolved now replace their labels' old ones; the matrix
# stays in the order of $ALL.
{
	[ -s "$RL_MATRIX" ] && cat "$RL_MATRIX"
	echo "$rows"
} | awk -v all="$ALL" '
	NF >= 2 { row[$1] = $0 }
	END { n = split(all, l, " "); for (i = 1; i <= n; i++) if (l[i] in row) print row[l[i]] }
' >"$RL_MATRIX.tmp"
mv "$RL_MATRIX.tmp" "$RL_MATRIX"
echo "kernel matrix:"
sed 's/^/  /' "$RL_MATRIX"
