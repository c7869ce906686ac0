/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Symbols for the frames of call stacks, after the run, with elfutils'
 * libdwfl: function, source file and line, inlined calls, C++ names
 * demangled, separate debug files found in the standard places. Each
 * module is opened once for the whole trace and its answers cached; a
 * module without symbols (or gone, or changed since the run) gives
 * "module+0xADDR", never an error.
 */
#ifndef MSTAT_SYMBOLS_H
#define MSTAT_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>

#include "stacks.h"

/* One function of a frame. */
struct mstat_sym {
	const char *func;	/* demangled; "module+0xADDR" when unknown */
	const char *file;	/* source file, or NULL */
	unsigned line;
	bool inlined;		/* inlined into the next one */
	bool resolved;		/* func is a real name */
};

/*
 * The functions at frame f (a return address: its call site is looked
 * up), innermost first: the inlined calls, then the function that holds
 * them. *out points into db's caches, valid until the next call.
 * Returns how many (at least 1).
 */
size_t mstat_symbolize(struct mstat_stackdb *db, struct mstat_frame f, const struct mstat_sym **out);

/* The base name of a module ("?" for none). */
const char *mstat_module_name(const struct mstat_stackdb *db, unsigned mod);

/* Frames resolved and modules opened so far (for --stats). */
void mstat_symbols_stats(const struct mstat_stackdb *db, size_t *lookups, size_t *modules);

void mstat_symbols_free(struct mstat_stackdb *db);

/* Whether this build resolves symbols (libdw was found). */
extern const bool mstat_symbols_available;

#endif
