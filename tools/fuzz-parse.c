/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * libFuzzer target for the log parser: any bytes, read as one image's log,
 * must give a report or a reasoned refusal, never a crash, a leak or
 * undefined behaviour; and no stack a figure that is no number or below
 * zero (a summary's rows are doubles the file gives).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "blocks.h"
#include "parse.h"
#include "stacks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Sums of weights may miss zero by a rounding, no more. */
static bool figure_ok(double v)
{
	return isfinite(v) && v > -1;
}

static bool site_ok(const struct mstat_site *st)
{
	return figure_ok(st->calls) && figure_ok(st->bytes) && figure_ok(st->leaked_calls) &&
	       figure_ok(st->leaked_bytes) && figure_ok(st->peak_calls) && figure_ok(st->peak_bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mstat_blocks tab;
	static struct mstat_stackdb db;
	static int runs;
	struct mstat_image im;

	if (!tab.slot && mstat_blocks_init(&tab) < 0)
		return 0;
	/* Stacks on, the per-executable tables emptied now and then. */
	if (runs++ % 256 == 0) {
		if (runs > 1)
			mstat_stackdb_free(&db);
		if (mstat_stackdb_init(&db, -1) < 0)
			return 0;
	}
	mstat_image_init(&im);
	(void)mstat_parse_stacks(&im, (const char *)data, size, &tab, &db);
	/* The counters the report prints must hold together. */
	if (im.valid && (im.live_blocks > im.allocs || im.live_bytes > im.alloc_bytes ||
			 im.frees > im.allocs + im.inh_frees + im.unknown_frees))
		__builtin_trap();
	if (tab.count)
		__builtin_trap();
	for (size_t i = 0; i < db.naggs; i++) {
		if (!site_ok(&db.aggs[i].total))
			__builtin_trap();
		for (size_t k = 0; k < db.aggs[i].n; k++)
			if (!site_ok(&db.aggs[i].v[k].st))
				__builtin_trap();
	}
	mstat_image_free(&im);
	return 0;
}
