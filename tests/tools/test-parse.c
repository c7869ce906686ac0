/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The parser on hand-written logs with known answers: counters, inherited
 * blocks of fork children, logging gaps, NUL padding, truncation, unknown
 * and corrupt lines (with their line numbers), foreign input, exec and
 * FINI endings, and the per-tick samples.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "check.h"
#include "parse.h"

#define HDRX(pid, origin, extra)                                                \
	"# MALLOC-STAT-LOG 1\n# PID " pid "\n# PPID 1\n# START 500\n# PSTART 400\n" \
	"# TIME 1700000000000000000 1000000000\n# ORIGIN " origin "\n" extra        \
	"# FILE log." pid ".1.0\n# EXE /bin/x\n# CWD /tmp\n# CMDLINE x a\\sb c\n"       \
	"# MAPS\n5555-6666 r-xp 0 0:0 0 /bin/x\n# END MAPS\n+ INIT 0 0x0\n-\n"
#define HDR(pid, origin) HDRX(pid, origin, "")
/* HDR is 16 lines: entries start on line 17. */

static struct mstat_blocks tab;

static int parse(struct mstat_image *im, const char *text, size_t len)
{
	mstat_image_init(im);
	return mstat_parse(im, text, len, &tab);
}

static bool has_diag(const struct mstat_image *im, uint64_t line, const char *msg)
{
	for (unsigned i = 0; i < im->diag.nkept; i++)
		if (im->diag.kept[i].line == line && strstr(im->diag.kept[i].msg, msg))
			return true;
	for (unsigned i = 0; i < im->diag.nkept; i++)
		fprintf(stderr, "  have %llu: %s\n", (unsigned long long)im->diag.kept[i].line,
			im->diag.kept[i].msg);
	return false;
}

static void counters(void)
{
	static const char log[] = HDR("10", "image")
		"+ TIME 1000000000 0x0\n-\n"
		"+ malloc 10 0x1000 24\n-\n"			/* 24 */
		"+ calloc 100 0x2000 104\n-\n"			/* 128 */
		"+ realloc-inplace 200 0x2000 216 104\n-\n"	/* 240 */
		"+ TIME 1004000000 0x0\n-\n"
		"+ realloc-realloc 5000 0x9000 5008 0x2000 216\n-\n"	/* 5032 */
		"+ free 24 0x1000\n-\n"			/* 5008 */
		"+ realloc-alloc 30 0x3000 40\n-\n"		/* 5048 */
		"+ realloc-free 40 0x3000\n-\n"		/* 5008 */
		"+ posix_memalign 64 0x4000 72\n-\n"		/* 5080, 6 allocations, 4 frees */
		"+ TIME 1012000000 0x0\n-\n"
		"+ FINI 0 0x0 allocations=6 allocated=5464 deallocations=4 deallocated=384 in_use=5080 peak_in_use=5080\n-\n"
		"+ free 72 0x4000\n-\n";			/* after FINI: 5008 */
	struct mstat_image im;

	CHECK_EQ(parse(&im, log, sizeof(log) - 1), 0);
	CHECK(im.valid);
	CHECK_EQ(im.pid, 10);
	CHECK_EQ(im.start, 500);
	CHECK(im.has_pstart && im.pstart == 400);
	CHECK_EQ(im.mono_ns, 1000000000);
	CHECK_EQ(im.argc, 3);
	CHECK(!strcmp(im.argv + 2, "a b"));
	CHECK(!strcmp(mstat_image_command(&im), "x"));
	CHECK(!strcmp(im.name, "log.10.1.0"));
	CHECK_EQ(im.allocs, 6);
	CHECK_EQ(im.frees, 5);
	CHECK_EQ(im.alloc_bytes, 24 + 104 + 216 + 5008 + 40 + 72);
	CHECK_EQ(im.in_use, 5008);
	CHECK_EQ(im.peak, 5080);
	CHECK_EQ(im.live_blocks, 1);
	CHECK_EQ(im.live_bytes, 5008);
	CHECK_EQ(im.live_req, 5000);
	CHECK(im.has_fini && !im.fini_mismatch);
	CHECK_EQ(im.end, MSTAT_END_EXIT);
	CHECK_EQ(im.diag.count, 0);
	CHECK_EQ(im.t_first, 1000000000);
	CHECK_EQ(im.t_last, 1012000000);
	/* Ticks: [1.000: max 240 end 240] [1.004: max 5080 end 5080] [1.012: 5080 -> 5008] */
	CHECK_EQ(im.nsamples, 3);
	if (im.nsamples == 3) {
		CHECK_EQ(im.samples[0].max[MSTAT_HEAP], 240);
		CHECK_EQ(im.samples[1].max[MSTAT_HEAP], 5080);
		CHECK_EQ(im.samples[1].end[MSTAT_HEAP], 5080);
		CHECK_EQ(im.samples[2].t, 1012000000);
		CHECK_EQ(im.samples[2].max[MSTAT_HEAP], 5080);
		CHECK_EQ(im.samples[2].end[MSTAT_HEAP], 5008);
	}
	mstat_image_free(&im);

	/* FINI that disagrees with the entries. */
	static const char bad[] = HDR("11", "image")
		"+ malloc 10 0x1000 24\n-\n"
		"+ FINI 0 0x0 allocations=2 allocated=48 deallocations=0 deallocated=0 in_use=48 peak_in_use=48\n-\n";

	CHECK_EQ(parse(&im, bad, sizeof(bad) - 1), 0);
	CHECK(im.fini_mismatch);
	CHECK(has_diag(&im, 19, "FINI counters differ"));
	mstat_image_free(&im);
}

static void fork_child(void)
{
	static const char log[] = HDRX("12", "fork log.10.1.0 300", "# INHERITED 1000\n")
		"+ free 500 0xa000\n-\n"
		"+ malloc 100 0xb000 104\n-\n"
		"+ realloc-realloc 50 0xc000 56 0xd000 400\n-\n"
		"+ FORK 99 0x0 777\n-\n"
		"+ FORK 98 0x0\n-\n";
	struct mstat_image im;

	CHECK_EQ(parse(&im, log, sizeof(log) - 1), 0);
	CHECK_EQ(im.origin, MSTAT_ORIGIN_FORK);
	CHECK(!strcmp(im.origin_file, "log.10.1.0"));
	CHECK_EQ(im.origin_off, 300);
	CHECK_EQ(im.inherited, 1000);
	CHECK_EQ(im.inh_frees, 2);
	CHECK_EQ(im.inh_free_bytes, 900);
	CHECK_EQ(im.in_use, 1000 - 500 + 104 - 400 + 56);
	CHECK_EQ(im.peak, 1000);
	CHECK_EQ(im.live_blocks, 2);	/* own: never the inherited ones */
	CHECK_EQ(im.live_bytes, 160);
	CHECK_EQ(im.end, MSTAT_END_DIED);
	CHECK_EQ(im.diag.count, 0);
	CHECK_EQ(im.nforks, 2);
	if (im.nforks == 2) {
		CHECK_EQ(im.forks[0].pid, 99);
		CHECK_EQ(im.forks[0].off, 777);
		CHECK_EQ(im.forks[1].pid, 98);
	}
	mstat_image_free(&im);
}

static void gaps(void)
{
	static const char gap[] = HDR("13", "image")
		"+ LOG 0 0x0\n-\n+ LOG 1 0x0\n-\n+ free 24 0x1000\n-\n+ LOST 3 0x0\n-\n";
	static const char nogap[] = HDR("14", "image") "+ free 24 0x1000\n-\n";
	/* Its free went unlogged while logging was off: the address comes
	 * back without a word, and counts once. */
	static const char again[] = HDR("16", "image")
		"+ malloc 20 0x2000 24\n-\n+ LOG 0 0x0\n-\n+ LOG 1 0x0\n-\n"
		"+ malloc 30 0x2000 40\n-\n";
	static const char again_nogap[] = HDR("17", "image")
		"+ malloc 20 0x2000 24\n-\n+ malloc 30 0x2000 40\n-\n";
	struct mstat_image im;

	CHECK_EQ(parse(&im, again, sizeof(again) - 1), 0);
	CHECK_EQ(im.diag.count, 0);
	CHECK_EQ(im.live_blocks, 1);
	CHECK_EQ(im.live_bytes, 40);
	mstat_image_free(&im);
	CHECK_EQ(parse(&im, again_nogap, sizeof(again_nogap) - 1), 0);
	CHECK(has_diag(&im, 19, "allocation of a block already live"));
	mstat_image_free(&im);

	CHECK_EQ(parse(&im, gap, sizeof(gap) - 1), 0);
	CHECK_EQ(im.unknown_frees, 1);
	CHECK_EQ(im.log_off, 1);
	CHECK_EQ(im.lost, 3);
	CHECK_EQ(im.diag.count, 0);
	mstat_image_free(&im);
	CHECK_EQ(parse(&im, nogap, sizeof(nogap) - 1), 0);
	CHECK_EQ(im.unknown_frees, 1);
	CHECK(has_diag(&im, 17, "free of a block never allocated"));
	mstat_image_free(&im);
}

static void endings(void)
{
	static const char ex[] = HDR("15", "image")
		"+ malloc 1 0x10 24\n-\n+ EXEC 0 0x0 /bin/a b\n-\n";
	static const char failed[] = HDR("16", "image")
		"+ EXEC 0 0x0 /nope\n-\n+ EXEC-FAILED 2 0x0\n-\n+ malloc 1 0x10 24\n-\n";
	struct mstat_image im;

	CHECK_EQ(parse(&im, ex, sizeof(ex) - 1), 0);
	CHECK_EQ(im.end, MSTAT_END_EXEC);
	CHECK(im.exec_path && !strcmp(im.exec_path, "/bin/a b"));
	CHECK(!mstat_image_leaks(&im));
	mstat_image_free(&im);
	CHECK_EQ(parse(&im, failed, sizeof(failed) - 1), 0);
	CHECK_EQ(im.end, MSTAT_END_DIED);
	CHECK(!im.exec_path);
	CHECK(mstat_image_leaks(&im));
	mstat_image_free(&im);
}

static void damage(void)
{
	static const char log[] = HDR("17", "image")
		"# FUTURE thing\n"			/* 17: a comment after the header */
		"+ malloc 10 0x1000 24\n-\n"		/* 18 */
		"+ FROB 1 0x2\n-\n"			/* 20 */
		"+ malloc 1x 0x1000 24\n-\n"		/* 22 */
		"+ malloc 123456789012345678901 0x2000 24\n-\n"	/* 24 */
		"+ free 24 0xzz\n-\n"			/* 26 */
		"garbage here\n"			/* 28 */
		"+ malloc 10 0x3000 24\n"		/* 29: not closed */
		"+ malloc 10 0x4000 24 extra fields\n-\n"	/* 30 */
		"+ FROB 2 0x2\n-\n"			/* 32: same reason again */
		"+ malloc 10 0x5000 2";		/* 34: cut short */
	char buf[sizeof(log) + 100];
	struct mstat_image im;

	CHECK_EQ(parse(&im, log, sizeof(log) - 1), 0);
	CHECK_EQ(im.allocs, 3);
	CHECK_EQ(im.live_blocks, 3);
	CHECK(has_diag(&im, 20, "unknown entry type 'FROB' skipped"));
	CHECK(has_diag(&im, 22, "bad malloc entry"));
	CHECK(has_diag(&im, 26, "bad free entry"));
	CHECK(has_diag(&im, 28, "unexpected line skipped"));
	CHECK(has_diag(&im, 29, "entry not closed"));
	CHECK(has_diag(&im, 34, "last line cut short"));
	CHECK_EQ(im.diag.count, 8);	/* FROB twice, bad malloc twice */
	mstat_image_free(&im);

	/* NUL padding: the same as without. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, log, sizeof(log) - 1);
	CHECK_EQ(parse(&im, buf, sizeof(buf)), 0);
	CHECK_EQ(im.allocs, 3);
	CHECK_EQ(im.size, sizeof(log) - 1);
	mstat_image_free(&im);
	/* A NUL with more log after it is damage: said, and read past. */
	size_t frob = (size_t)(strstr(log, "+ FROB") - log);

	buf[frob] = '\0';
	CHECK_EQ(parse(&im, buf, sizeof(buf)), 0);
	CHECK_EQ(im.allocs, 3);
	CHECK(has_diag(&im, 20, "NUL bytes inside the log"));
	CHECK(!has_diag(&im, 20, "unknown entry type"));
	mstat_image_free(&im);
	/* A killed writer: one unpublished entry, then zeros. It ends there. */
	memset(buf + (strstr(log + frob, "\n-\n") - log) + 3, 0,
	       sizeof(buf) - (size_t)(strstr(log + frob, "\n-\n") - log) - 3);
	CHECK_EQ(parse(&im, buf, sizeof(buf)), 0);
	CHECK_EQ(im.allocs, 1);
	CHECK_EQ(im.diag.count, 0);
	mstat_image_free(&im);
}

static void foreign(void)
{
	struct mstat_image im;

	CHECK_EQ(parse(&im, "hello\n", 6), -EINVAL);
	CHECK(!im.valid && has_diag(&im, 1, "not a malloc-stat log"));
	mstat_image_free(&im);
	/* Empty: the process ended before its first line; not a problem. */
	CHECK_EQ(parse(&im, "", 0), -EINVAL);
	CHECK(im.empty && im.diag.count == 0);
	mstat_image_free(&im);
	CHECK_EQ(parse(&im, "\0\0\0", 3), -EINVAL);
	CHECK(im.empty && im.diag.count == 0);
	mstat_image_free(&im);
	CHECK_EQ(parse(&im, "# MALLOC-STAT-LOG 2\n# PID 1\n", 28), -EINVAL);
	CHECK(has_diag(&im, 1, "version 2 is not supported"));
	mstat_image_free(&im);
	CHECK_EQ(parse(&im, "# MALLOC-STAT-LO", 16), -EINVAL);
	mstat_image_free(&im);
	CHECK_EQ(parse(&im, "# MALLOC-STAT-LOG 1", 19), -EINVAL);
	CHECK(has_diag(&im, 1, "cut short"));
	mstat_image_free(&im);
	CHECK_EQ(parse(&im, "# PID 7\n# MALLOC-STAT-LOG 1\n# PID 7\n", 36), -EINVAL);
	CHECK(has_diag(&im, 1, "shared-stream log"));
	mstat_image_free(&im);
	/* A log without identity is read but not placed. */
	CHECK_EQ(parse(&im, "# MALLOC-STAT-LOG 1\n+ malloc 1 0x10 24\n-\n", 41), 0);
	CHECK(im.valid && im.allocs == 1);
	CHECK(has_diag(&im, 1, "header lacks PID"));
	mstat_image_free(&im);
	/* Nothing but a version line: nothing to read. */
	CHECK_EQ(parse(&im, "# MALLOC-STAT-LOG 1\n", 20), -EINVAL);
	CHECK(!im.valid && has_diag(&im, 1, "nothing to read"));
	mstat_image_free(&im);
	/* Version "1.3" with more words is still version 1. */
	CHECK_EQ(parse(&im, "# MALLOC-STAT-LOG 1.3 extra\n# PID 1\n", 36), 0);
	mstat_image_free(&im);
}

int main(void)
{
	if (mstat_blocks_init(&tab) < 0)
		return 99;
	counters();
	fork_child();
	gaps();
	endings();
	damage();
	foreign();
	CHECK_EQ(tab.count, 0);
	mstat_blocks_free(&tab);
	return CHECK_DONE();
}
