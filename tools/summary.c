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
#define SB_LEN 1152u
#define TL_CAPLOG_MAX 16u
#define TAB_BITS_MAX 40u

/* The reason into why; the value to return. */
#define BAD(...) (snprintf(why, cap, __VA_ARGS__), -EINVAL)

int mstat_summary_read(const char *buf, size_t len, uint64_t page, struct mstat_summary *s,
		       char *why, size_t cap)
{
	const unsigned char *b;
	uint64_t off, word, toff, bits, n, shift, caplog, tloff;

	memset(s, 0, sizeof(*s));
	if (page > len / MSTAT_SUMMARY_PAGE || page * MSTAT_SUMMARY_PAGE + SB_LEN > len)
		return BAD("body at byte %" PRIu64 ", beyond the end of the file (%" PRIu64 " bytes)",
			   page * MSTAT_SUMMARY_PAGE, len);
	off = page * MSTAT_SUMMARY_PAGE;
	b = (const unsigned char *)buf + off;
	if (memcmp(b, SB_MAGIC, 8))
		return BAD("no summary body at byte %" PRIu64 " (%" PRIu64 ": not a page of this file)", off, page);
	if (mstat_summary_u64(b + 8) != ((uint64_t)MSTAT_SUMMARY_PAGE << 32 | 1))
		return BAD("summary body version %" PRIu64 ", page size %" PRIu64 ": not supported",
			   mstat_summary_u64(b + 8) & 0xffffffff, mstat_summary_u64(b + 8) >> 32);
	s->off = off;
	s->len = mstat_summary_u64(b + 40);
	if (s->len < SB_LEN || s->len > len - off)
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

	word = mstat_summary_u64(b + 16);
	toff = (word >> 32) * 64;
	bits = word & 0xff;
	if (bits > TAB_BITS_MAX || toff < SB_LEN ||
	    toff + ((uint64_t)MSTAT_SUMMARY_SLOT << bits) > s->len)
		return BAD("live-block table (%" PRIu64 " slots at +%" PRIu64 ") outside the body",
			   (uint64_t)1 << (bits > 63 ? 63 : bits), toff);
	s->slots = b + toff;
	s->nslots = 1ull << bits;

	word = mstat_summary_u64(b + 24);
	n = word & 0xffff;
	shift = (word >> 16) & 0xff;
	caplog = (word >> 24) & 0xff;
	tloff = (word >> 32) * 64;
	if (caplog > TL_CAPLOG_MAX || n > 1ull << caplog || shift > 40 || s->bin_ns == 0 ||
	    s->bin_ns > 1000000000ull || tloff < SB_LEN || tloff + MSTAT_SUMMARY_BIN * n > s->len)
		return BAD("timeline (%" PRIu64 " bins at +%" PRIu64 ") outside the body or impossible",
			   n, tloff);
	s->bins = b + tloff;
	s->nbins = (unsigned)n;
	s->bin_ns <<= shift;
	return 0;
}
