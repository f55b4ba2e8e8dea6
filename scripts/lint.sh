#!/bin/sh
# Lint of the module's sources: checkpatch --strict (taken from Debian's
# linux-source package at check time; the headers do not ship it, and it
# is not committed here) and sparse (make C=2) against every kernel of the
# matrix.  Exits non-zero on any finding.
set -eu
. "$(dirname "$0")/lib.sh"

cp_dir=$RL_CACHE/checkpatch
if [ ! -x "$cp_dir/scripts/checkpatch.pl" ]; then
	tarball=$(ls /usr/src/linux-source-*.tar.* 2>/dev/null | sort -V | tail -n1)
	[ -n "$tarball" ] || rl_die "no /usr/src/linux-source-*: run scripts/install-deps.sh"
	top=$(basename "$tarball" | sed 's/\.tar\..*//')
	mkdir -p "$cp_dir"
	tar -xf "$tarball" -C "$cp_dir" --strip-components=1 \
		"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch"
fi

cd "$RL_TOP"
status=0
rl_log "checkpatch --strict"
# shellcheck disable=SC2046
checkpatch() {
	"$cp_dir/scripts/checkpatch.pl" --no-tree --strict --quiet --terse \
		--ignore SPDX_LICENSE_TAG "$@" || status=1
}
# shellcheck disable=SC2046
checkpatch -f $(ls module/*.[ch] module/arch/*.[ch] include/*.h |
	grep -v '^module/compat.h$' | grep -v '^module/rl_trace.h$')
# The trace header is written as include/trace/events/ are (TP_PROTO a
# tab in, each TP_ macro's body on its own lines), which checkpatch's
# alignment checks flag in upstream's headers too; everything else holds.
checkpatch --ignore PARENTHESIS_ALIGNMENT,OPEN_ENDED_LINE -f module/rl_trace.h
# compat.h is the one place that may test the kernel version (DESIGN.md).
checkpatch --ignore LINUX_VERSION_CODE -f module/compat.h

# The chroot's 7.x is built (W=1 -Werror) by make check, not sparse-checked:
# Debian 12's sparse predates its headers.  The arm64 kernels are checked
# with their cross build (sparse is told the target by ARCH).
for kver in $(rl_host_kvers) $(rl_arm64_kvers); do
	rl_log "sparse against $kver"
	out=$(make -s module KVER="$kver" EXTRA_W="W=1 C=2" 2>&1) || status=1
	findings=$(echo "$out" | grep -E 'warning|error' || true)
	if [ -n "$findings" ]; then
		echo "$findings"
		status=1
	fi
done
[ $status = 0 ] && rl_log "lint clean"
exit $status
