/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel functions reclaimlab needs but the kernel does not export.  Each
 * is resolved once at load (symbols.c) and called through a static call of
 * the module's own: the call site and the trampoline are direct branches,
 * so the call is safe on IBT hardware even where objtool sealed the target
 * (its endbr64 replaced by a NOP because nothing in the kernel takes its
 * address).  An indirect call there would raise #CP.
 */
#ifndef RL_SYMBOLS_H
#define RL_SYMBOLS_H

#include <linux/static_call.h>

typedef unsigned long rl_kallsyms_lookup_name_fn(const char *name);
DECLARE_STATIC_CALL(rl_kallsyms_lookup_name, rl_kallsyms_lookup_name_fn);

#endif /* RL_SYMBOLS_H */
