/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * PREFIX.nolog: the images that got no log of their own (a full disk, no
 * descriptor to spare), one slot each, written by the preload where the
 * tools find them. Layout in doc/log-format.md.
 */
#ifndef MSTAT_NOLOG_H
#define MSTAT_NOLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MSTAT_NOLOG_MAGIC "# MALLOC-STAT-NOLOG "
#define MSTAT_NOLOG_SLOT 256u
#define MSTAT_NOLOG_SLOTS 1024u	/* as the preload makes the file */

struct mstat_nolog {
	int64_t pid, ppid;
	uint64_t start, pstart;
	int err;		/* errno of the failure */
	char what[16];		/* create, keep-fd, write */
	char *exe;
	char *cmdline;		/* arguments separated by spaces, as the header escapes them */
};

struct mstat_nologs {
	struct mstat_nolog *v;
	size_t n, cap;
	size_t files;		/* nolog files read */
};

/* Reads one nolog file into out; a damaged slot is named as FILE:LINE (a
 * slot is a line) on msgs and skipped. 0, or -ENOMEM. */
int mstat_nolog_read(struct mstat_nologs *out, const char *file, const char *shown,
		     FILE *msgs);

/* What errno says stopped a log (CUT) or kept an image from having one:
 * "full disk" (ENOSPC, EDQUOT), "file-size limit" (EFBIG), else the
 * errno's name ("ENOMEM"), so that a report never calls one the other. */
const char *mstat_nolog_cause(int err);

/* The errno's name ("EFBIG"), or "unknown errno". */
const char *mstat_errno_name(int err);

/* Whether a record names process pid (with start; 0: any start) and,
 * when ppid >= 0, as a child of ppid (with pstart; 0: any): a process
 * that others' logs name but that got no log of its own is counted once,
 * as this record, not again as an untraced child. */
bool mstat_nolog_has(const struct mstat_nologs *l, int64_t pid, uint64_t start, int64_t ppid,
		     uint64_t pstart);

void mstat_nologs_free(struct mstat_nologs *l);

/* Makes PREFIX.nolog with its slots written, before the traced command
 * starts, so that the preload can record images even on a full disk.
 * 0 or -errno. */
int mstat_nolog_create(const char *prefix);

#endif
