/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The live-block table against a plain array: random inserts and removals
 * of clustered heap-like addresses, through growth, deletion chains and a
 * reset.
 */
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "check.h"

#define N 20000

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(void)
{
	static uint64_t live[N];	/* 0: not live; else its usable size */
	struct mstat_blocks b;
	struct mstat_block out;
	size_t count = 0;

	CHECK(mstat_blocks_init(&b) == 0);
	for (int round = 0; round < 400000; round++) {
		size_t i = next() % N;
		uint64_t addr = 0x55d94d790000ull + i * 16;

		if (live[i]) {
			CHECK(mstat_blocks_take(&b, addr, &out));
			CHECK_EQ(out.usable, live[i]);
			CHECK_EQ(out.req, live[i] - 8);
			live[i] = 0;
			count--;
			CHECK(!mstat_blocks_take(&b, addr, &out));
		} else {
			live[i] = 24 + (next() % 1000) * 16;
			CHECK_EQ(mstat_blocks_put(&b, addr, live[i], live[i] - 8, &out), 0);
			count++;
		}
		if (check_failures > 10)
			break;
	}
	CHECK_EQ(b.count, count);
	for (size_t i = 0; i < N; i++) {
		uint64_t addr = 0x55d94d790000ull + i * 16;
		bool in = mstat_blocks_take(&b, addr, &out);

		CHECK(in == (live[i] != 0));
	}
	CHECK_EQ(b.count, 0);
	/* A replaced block reports 1 and keeps one entry. */
	CHECK_EQ(mstat_blocks_put(&b, 0x1000, 24, 10, &out), 0);
	CHECK_EQ(mstat_blocks_put(&b, 0x1000, 40, 30, &out), 1);
	CHECK(out.usable == 24 && out.req == 10);
	CHECK(!mstat_blocks_take(&b, 0, &out));
	CHECK_EQ(b.count, 1);
	CHECK(mstat_blocks_take(&b, 0x1000, &out) && out.usable == 40);
	/* Reset gives back a grown table. */
	for (uint64_t a = 1; a <= 200000; a++)
		mstat_blocks_put(&b, a << 4, 16, 8, &out);
	mstat_blocks_reset(&b);
	CHECK_EQ(b.count, 0);
	CHECK(b.mask + 1 <= 1024);
	CHECK(!mstat_blocks_take(&b, 16, &out));
	mstat_blocks_free(&b);
	return CHECK_DONE();
}
