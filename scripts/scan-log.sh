#!/bin/sh
# Usage: scan-log.sh LOG
# Prints, with line numbers, every kernel splat in a guest console log and
# exits 1 if there is any.  This is the one list of what counts as a splat.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] && [ -r "$1" ] || rl_die "usage: $0 LOG"

pat='Oops:|BUG:|kernel BUG at|invalid opcode:|WARNING:|Kernel panic'
pat="$pat|general protection fault|possible circular locking"
# lockdep's reports are WARNINGs or BUGs; these are what it says besides.
# (Not "lockdep" alone: a debug kernel's boot says "RCU lockdep checking is
# enabled".)
pat="$pat|possible recursive locking|lockdep is turned off"
pat="$pat|DEBUG_LOCKS_WARN_ON|KASAN|UBSAN"
pat="$pat|self-detected stall|rcu: INFO:|RCU stall|soft lockup|hard LOCKUP"
pat="$pat|blocked for more than|hung_task|unreferenced object"
pat="$pat|list_(add|del) corruption|BAD page|Bad page|bad pmd"
pat="$pat|Bad rss-counter|refcount_t:"

# Our own TAP output may name a splat ("ok 3 - BUG handling"), and the
# kernel echoes its command line (hung_task_panic=...): neither is a splat.
hits=$(tr -d '\r' <"$1" | grep -n -E "$pat" |
	grep -v -E '^[0-9]+:((not )?ok |# |1\.\.)|[Cc]ommand line' || true)
[ -z "$hits" ] && exit 0
echo "$hits"
exit 1
