/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Summary bodies (summary.h). Every word is checked against the file's
 * length before it is followed: a damaged, truncated or foreign file gives
 * a reason, never a read outside the buffer.
 */
#include "summary.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define SB_MAGIC "\0MSSUM01"
#define SB_LEN 1152u		/* version 1 */
#define SB2_LEN 1216u		/* version 2: shards and thread slots */
#define SHDR_LEN 1088u
#define TCTR_LEN 64u
#define SHARDS_MAX 64u
#define THREADS_MAX 65536u
#define TL_CAPLOG_MAX 16u
#define TAB_BITS_MAX 40u

/* The reason into why; the value to return. */
#define BAD(...) (snprintf(why, cap, __VA_ARGS__), -EINVAL)

/* A table word (off64 << 32 | bits) into s->tabs. */
static int table_at(struct mstat_summary *s, const unsigned char *b, uint64_t word, uint64_t sb_len,
		    const char *whose, char *why, size_t cap)
{
	uint64_t toff = (word >> 32) * 64, bits = word & 0xff;

	if (bits > TAB_BITS_MAX || toff < sb_len ||
	    toff + ((uint64_t)MSTAT_SUMMARY_SLOT << bits) > s->len)
		return BAD("%slive-block table (%" PRIu64 " slots at +%" PRIu64 ") outside the body",
			   whose, (uint64_t)1 << (bits > 63 ? 63 : bits), toff);
	s->tabs[s->ntabs].slots = b + toff;
	s->tabs[s->ntabs].nslots = 1ull << bits;
	s->nslots += 1ull << bits;
	s->ntabs++;
	return 0;
}

/* Version 2, with threads: each shard's table and figures, and each
 * thread's counts, added to the superblock's. */
static int threads_read(struct mstat_summary *s, const unsigned char *b, char *why, size_t cap)
{
	uint64_t w = mstat_summary_u64(b + 1160), off = (w >> 32) * 64, n = w & 0xffffffff;
	char whose[48];

	if (w) {
		if (n > THREADS_MAX || off < SB2_LEN || off + TCTR_LEN * n > s->len)
			return BAD("thread counters (%" PRIu64 " at +%" PRIu64 ") outside the body", n, off);
		for (uint64_t i = 0; i < n; i++) {
			const unsigned char *c = b + off + TCTR_LEN * i;

			for (unsigned k = 0; k < 5; k++)
				s->ctr[k] += mstat_summary_u64(c + 8 * k);
		}
		s->threads = (unsigned)n;
		if ((int64_t)s->ctr[5] < (int64_t)s->ctr[4])
			s->ctr[5] = s->ctr[4];
	}
	w = mstat_summary_u64(b + 1152);
	off = (w >> 32) * 64;
	n = w & 0xffffffff;
	if (!w)
		return table_at(s, b, mstat_summary_u64(b + 16), SB2_LEN, "", why, cap);
	if (n == 0 || n > SHARDS_MAX || off < SB2_LEN || off + SHDR_LEN * n > s->len)
		return BAD("shards (%" PRIu64 " at +%" PRIu64 ") outside the body", n, off);
	for (uint64_t k = 0; k < n; k++) {
		const unsigned char *h = b + off + SHDR_LEN * k;

		snprintf(whose, sizeof(whose), "shard %" PRIu64 "'s ", k);
		if (table_at(s, b, mstat_summary_u64(h), SB2_LEN, whose, why, cap) < 0)
			return -EINVAL;
		s->unknown_frees += mstat_summary_u64(h + 16);
		s->unknown_bytes += mstat_summary_u64(h + 24);
		for (unsigned i = 0; i < 64; i++) {
			s->hist_n[i] += mstat_summary_u64(h + 64 + 8 * i);
			s->hist_bytes[i] += mstat_summary_u64(h + 576 + 8 * i);
		}
	}
	return 0;
}

int mstat_summary_read(const char *buf, size_t len, uint64_t page, struct mstat_summary *s,
		       char *why, size_t cap)
{
	const unsigned char *b;
	uint64_t off, word, n, shift, caplog, tloff, sb_len;

	memset(s, 0, sizeof(*s));
	if (page > len / MSTAT_SUMMARY_PAGE || page * MSTAT_SUMMARY_PAGE + SB_LEN > len)
		return BAD("body at byte %" PRIu64 ", beyond the end of the file (%" PRIu64 " bytes)",
			   page * MSTAT_SUMMARY_PAGE, len);
	off = page * MSTAT_SUMMARY_PAGE;
	b = (const unsigned char *)buf + off;
	if (memcmp(b, SB_MAGIC, 8))
		return BAD("no summary body at byte %" PRIu64 " (%" PRIu64 ": not a page of this file)", off, page);
	word = mstat_summary_u64(b + 8);
	if (word >> 32 != MSTAT_SUMMARY_PAGE || ((word & 0xffffffff) != 1 && (word & 0xffffffff) != 2))
		return BAD("summary body version %" PRIu64 ", page size %" PRIu64 ": not supported",
			   word & 0xffffffff, word >> 32);
	s->version = (unsigned)(word & 0xffffffff);
	sb_len = s->version == 1 ? SB_LEN : SB2_LEN;
	s->off = off;
	s->len = mstat_summary_u64(b + 40);
	if (s->len < sb_len || s->len > len - off)
		return BAD("body of %" PRIu64 " bytes, the file has %" PRIu64 " after its start",
			   s->len, (uint64_t)(len - off));
	s->bin_ns = mstat_summary_u64(b + 32);
	s->unknown_frees = mstat_summary_u64(b + 48);
	s->unknown_bytes = mstat_summary_u64(b + 56);
	for (unsigned k = 0; k < 6; k++)
		s->ctr[k] = mstat_summary_u64(b + 64 + 8 * k);
	s->lost = mstat_summary_u64(b + 112);
	for (unsigned k = 0; k < 64; k++) {
		s->hist_n[k] = mstat_summary_u64(b + 128 + 8 * k);
		s->hist_bytes[k] = mstat_summary_u64(b + 640 + 8 * k);
	}

	if (s->version == 1 ? table_at(s, b, mstat_summary_u64(b + 16), SB_LEN, "", why, cap) < 0 :
			      threads_read(s, b, why, cap) < 0)
		return -EINVAL;

	word = mstat_summary_u64(b + 24);
	n = word & 0xffff;
	shift = (word >> 16) & 0xff;
	caplog = (word >> 24) & 0xff;
	tloff = (word >> 32) * 64;
	if (caplog > TL_CAPLOG_MAX || n > 1ull << caplog || shift > 40 || s->bin_ns == 0 ||
	    s->bin_ns > 1000000000ull || tloff < sb_len || tloff + MSTAT_SUMMARY_BIN * n > s->len)
		return BAD("timeline (%" PRIu64 " bins at +%" PRIu64 ") outside the body or impossible",
			   n, tloff);
	s->bins = b + tloff;
	s->nbins = (unsigned)n;
	s->bin_ns <<= shift;
	return 0;
}
