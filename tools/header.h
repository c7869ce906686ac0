/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The header of a log: the version line and the "# KEY VALUE" lines, with
 * the format's backslash escapes undone.
 */
#ifndef MSTAT_HEADER_H
#define MSTAT_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image.h"

#define MSTAT_LOG_MAGIC "# MALLOC-STAT-LOG "
#define MSTAT_LOG_MAJOR 1

/* The major version of a version line [p, eol), or -EINVAL when it is not
 * one. */
int mstat_header_version(const char *p, const char *eol);

/* One header line, p just after "# ", eol at its '\n'. Returns 0, 1 when
 * the line opens the MAPS block (skip to "# END MAPS"), or -ENOMEM. Bad
 * and unknown lines are recorded in im->diag at line. */
int mstat_header_line(struct mstat_image *im, const char *p, const char *eol, uint64_t line);

/* A malloc'd copy of [p, p+n) with \\ and \n undone (and \s, when args,
 * which also splits arguments at unescaped spaces into NUL-separated
 * strings). *len gets the bytes without the final NUL, *nargs the number
 * of strings. NULL on ENOMEM. */
char *mstat_unescape(const char *p, size_t n, bool args, size_t *len, unsigned *nargs);

#endif
