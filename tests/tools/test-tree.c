/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Stitching on hand-made sets: fork children by file, exec chains, new
 * processes hung from the parent image live at their start, pid reuse,
 * orphans vouched for by FORK entries, untraced parents and exec'd
 * programs as virtual nodes, duplicates; then the tree's heap over time.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "load.h"
#include "parse.h"
#include "report.h"
#include "timeline.h"
#include "tree.h"

static struct mstat_set set;
static struct mstat_blocks tab;

/* Adds a log; t in ms of CLOCK_MONOTONIC; START ticks follow t. */
static long add(const char *name, int pid, int ppid, int pstart, int start, int t,
		const char *origin, const char *body)
{
	char text[4096];
	long k = mstat_set_add(&set);
	struct mstat_image *im = &set.img[k];
	/* Leading "# " lines of body belong to the header. */
	const char *entries = body;
	int n;

	while (entries[0] == '#' && entries[1] == ' ')
		entries = strchr(entries, '\n') + 1;
	n = snprintf(text, sizeof(text),
		     "# MALLOC-STAT-LOG 1\n# PID %d\n# PPID %d\n# START %d\n# PSTART %d\n"
		     "# TIME 1700000000000000000 %llu\n# ORIGIN %s\n# FILE %s\n# CMDLINE %s\n"
		     "%.*s+ INIT 0 0x0\n-\n+ TIME %llu 0x0\n-\n%s",
		     pid, ppid, start, pstart, (unsigned long long)t * 1000000ull, origin, name,
		     name, (int)(entries - body), body, (unsigned long long)t * 1000000ull, entries);
	im->path = strdup(name);
	im->name = strdup(name);
	CHECK_EQ(mstat_parse(im, text, (size_t)n, &tab), 0);
	CHECK_EQ(im->diag.count, 0);
	set.nvalid++;
	return k;
}

static const char *cmd(long k)
{
	return k < 0 ? "(none)" : set.img[k].virt ? "(virtual)" : set.img[k].name;
}

#define PARENT_IS(k, p, r)                                                          \
	do {                                                                        \
		if (set.img[k].parent != (p) || set.img[k].rel != (r))              \
			fprintf(stderr, "  %s: parent %s rel %d\n", cmd(k),         \
				cmd(set.img[k].parent), set.img[k].rel);            \
		CHECK(set.img[k].parent == (p));                                    \
		CHECK(set.img[k].rel == (r));                                       \
	} while (0)

int main(void)
{
	long p1a, p1b, f, s, s2, reuse, g, orphan, nofile, x, y, dup, v, e;
	struct mstat_timeline tl;
	FILE *devnull = fopen("/dev/null", "w");

	if (mstat_blocks_init(&tab) < 0)
		return 99;
	p1a = add("p1a", 100, 1, 1, 1000, 10000, "image",
		  "+ malloc 1000 0x10 1008\n-\n"
		  "+ TIME 10020000000 0x0\n-\n+ FORK 300 0x0 10\n-\n"
		  "+ TIME 10100000000 0x0\n-\n+ FORK 500 0x0 20\n-\n"
		  "+ FORK 101 0x0 30\n-\n"
		  "+ TIME 10400000000 0x0\n-\n+ EXEC 0 0x0 /bin/p1b\n-\n");
	p1b = add("p1b", 100, 1, 1, 1000, 10500, "image",
		  "+ malloc 2000 0x10 2008\n-\n+ TIME 10700000000 0x0\n-\n"
		  "+ FINI 0 0x0 allocations=1 allocated=2008 deallocations=0 deallocated=0 in_use=2008 peak_in_use=2008\n-\n");
	f = add("f", 101, 100, 1000, 1001, 10010, "fork p1a 100", "# INHERITED 1008\n");
	s = add("s", 102, 100, 1000, 1060, 10600, "image",
		"+ malloc 500 0x10 504\n-\n+ TIME 10620000000 0x0\n-\n+ free 504 0x10\n-\n");
	s2 = add("s2", 103, 100, 1000, 1020, 10200, "image", "");
	reuse = add("reuse", 101, 100, 1000, 5000, 50000, "image", "");
	g = add("g", 400, 300, 1002, 1005, 10050, "image", "");
	orphan = add("orphan", 500, 1, 1, 1010, 10110, "image", "");
	nofile = add("nofile", 600, 100, 1000, 1011, 10111, "fork gone 5", "");
	x = add("x", 700, 100, 1000, 1012, 10120, "image",
		"+ TIME 10130000000 0x0\n-\n+ EXEC 0 0x0 /static\n-\n");
	y = add("y", 701, 700, 1012, 1020, 10200, "image", "");
	dup = add("s", 102, 100, 1000, 1060, 10600, "image", "");

	CHECK_EQ(mstat_tree_build(&set, devnull), 0);
	PARENT_IS(p1a, -1, MSTAT_REL_ROOT);
	PARENT_IS(p1b, p1a, MSTAT_REL_EXEC);
	CHECK_EQ(set.img[p1b].proc, p1a);
	PARENT_IS(f, p1a, MSTAT_REL_FORK);
	PARENT_IS(s, p1b, MSTAT_REL_SPAWN);	/* started after the exec */
	PARENT_IS(s2, p1a, MSTAT_REL_SPAWN);
	PARENT_IS(reuse, p1b, MSTAT_REL_SPAWN);
	CHECK_EQ(set.img[reuse].proc, reuse);	/* not f's process */
	PARENT_IS(orphan, p1a, MSTAT_REL_SPAWN);	/* vouched for by FORK 500 */
	PARENT_IS(nofile, p1a, MSTAT_REL_FORK);	/* by PPID when the file is gone */
	CHECK(!set.img[dup].valid);
	/* g's parent 300 left no log: a virtual node, forked by p1a. */
	v = set.img[g].parent;
	CHECK(v >= 0 && set.img[v].virt);
	if (v >= 0) {
		CHECK_EQ(set.img[v].pid, 300);
		PARENT_IS(v, p1a, MSTAT_REL_FORK);
		CHECK(mstat_tree_shown(&set.img[v]));
	}
	/* y started after x exec'd an untraced program. */
	CHECK(set.img[x].exec_untraced);
	e = set.img[y].parent;
	CHECK(e >= 0 && set.img[e].virt && set.img[e].rel == MSTAT_REL_EXEC);
	if (e >= 0) {
		CHECK_EQ(set.img[e].parent, x);
		CHECK(set.img[e].exec_path && !strcmp(set.img[e].exec_path, "/static"));
	}
	/* FORK entries: 300, 500 and 101 all matched. */
	CHECK_EQ(set.img[p1a].untraced_forks, 0);
	/* The root's parent (pid 1) dissolved: the only roots are p1a. */
	for (size_t k = 0; k < set.n; k++)
		if (mstat_tree_shown(&set.img[k]) && set.img[k].parent < 0)
			CHECK_EQ((long)k, p1a);
	/* Children in start order. */
	CHECK_EQ(set.img[p1a].first_child, f);

	/* Heap over time: p1a holds 1008 from 10.000 to 10.400; p1b 2008
	 * from 10.500 to 10.700; s 504 during the tick at 10.600. */
	CHECK_EQ(mstat_timeline_build(&tl, &set), 0);
	CHECK_EQ(tl.bin_ns, MSTAT_TICK_NS);
	CHECK_EQ(tl.peak, 2008 + 504);
	CHECK_EQ(tl.t0 + tl.peak_bin * tl.bin_ns, 10600000000ull);
	CHECK_EQ(mstat_timeline_at(&tl, &set.img[p1a], 10200000000ull, MSTAT_HEAP), 1008);
	CHECK_EQ(mstat_timeline_at(&tl, &set.img[p1a], 10404000000ull, MSTAT_HEAP), 0);
	CHECK_EQ(mstat_timeline_at(&tl, &set.img[s], 10604000000ull, MSTAT_HEAP), 504);
	CHECK_EQ(tl.total[mstat_timeline_bin(&tl, 10300000000ull)], 1008);
	CHECK_EQ(tl.total[mstat_timeline_bin(&tl, 10650000000ull)], 2008);
	/* The fork child inherited 1008 but adds nothing of its own. */
	CHECK_EQ(mstat_timeline_at(&tl, &set.img[f], 10010000000ull, MSTAT_HEAP), 0);
	mstat_timeline_free(&tl);

	mstat_set_free(&set);
	mstat_blocks_free(&tab);
	fclose(devnull);
	return CHECK_DONE();
}
