/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Stitching: the images of a set become one forest. A process is
 * (BOOT, PID, START), so that logs of several machines stay apart; its
 * images in TIME order are its exec chain; fork children hang from the
 * parent's log file, new processes from the parent image live when they
 * started. Processes seen only through others (static
 * binaries, scrubbed environments) become virtual nodes: gaps, never
 * guesses.
 */
#ifndef MSTAT_TREE_H
#define MSTAT_TREE_H

#include <stdio.h>

#include "load.h"

/* Clock ticks per second of START (sysconf(_SC_CLK_TCK) on Linux). */
#define MSTAT_CLK_TCK 100

/* Links every image of set (parent, rel, children, proc) and appends the
 * virtual nodes. Duplicate logs (the same file twice) are reported on msgs
 * and left out. 0 or -ENOMEM. */
int mstat_tree_build(struct mstat_set *set, FILE *msgs);

/* True for what the reports show: valid logs placed in the tree, and the
 * virtual nodes that hold children. */
bool mstat_tree_shown(const struct mstat_image *im);

#endif
