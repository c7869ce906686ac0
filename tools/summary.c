/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Summary bodies (summary.h). Every word is checked against the file's
 * length before it is followed: a damaged, truncated or foreign file gives
 * a reason, never a read outside the buffer.
 */
#include "summary.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define SB_MAGIC "\0MSSUM01"
#define SB_LEN 1152u		/* version 1 */
#define SB2_LEN 1216u		/* version 2: shards and thread slots */
#define SB4_LEN 1280u		/* version 4: call stacks */
#define SHDR_LEN 1088u
#define TCTR_LEN 64u
#define SHARDS_MAX 64u
#define THREADS_MAX 65536u
#define TL_CAPLOG_MAX 16u
#define TAB_BITS_MAX 40u
#define LIST_OFF 1168u		/* version 3: the packed list's words */
#define LIST_GROUP 64u
#define GROUP_LEN 24u		/* first address, data offset, freed bits */
#define SITES_OFF 1200u		/* version 4: the sites word, used, clock, peak */
#define ROW_BITS_MAX 32u	/* a stack id is 32 bits */
#define SIZE_MASK ((1ull << 48) - 1)	/* version 4: a slot's sizes, the id above */

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
static int threads_read(struct mstat_summary *s, const unsigned char *b, uint64_t sb_len, char *why,
			size_t cap)
{
	uint64_t w = mstat_summary_u64(b + 1160), off = (w >> 32) * 64, n = w & 0xffffffff;
	char whose[48];

	if (w) {
		if (n > THREADS_MAX || off < sb_len || off + TCTR_LEN * n > s->len)
			return BAD("thread counters (%" PRIu64 " at +%" PRIu64 ") outside the body", n, off);
		for (uint64_t i = 0; i < n; i++) {
			const unsigned char *c = b + off + TCTR_LEN * i;

			for (unsigned k = 0; k < 5; k++)
				s->ctr[k] += mstat_summary_u64(c + 8 * k);
			s->threads_counted += mstat_summary_u64(c) || mstat_summary_u64(c + 16);
		}
		s->threads = (unsigned)n;
		if ((int64_t)s->ctr[5] < (int64_t)s->ctr[4])
			s->ctr[5] = s->ctr[4];
	}
	w = mstat_summary_u64(b + 1152);
	off = (w >> 32) * 64;
	n = w & 0xffffffff;
	if (!w)
		return table_at(s, b, mstat_summary_u64(b + 16), sb_len, "", why, cap);
	if (n == 0 || n > SHARDS_MAX || off < sb_len || off + SHDR_LEN * n > s->len)
		return BAD("shards (%" PRIu64 " at +%" PRIu64 ") outside the body", n, off);
	for (uint64_t k = 0; k < n; k++) {
		const unsigned char *h = b + off + SHDR_LEN * k;

		snprintf(whose, sizeof(whose), "shard %" PRIu64 "'s ", k);
		if (table_at(s, b, mstat_summary_u64(h), sb_len, whose, why, cap) < 0)
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

/* A LEB128 number at *p before end: 0, or -1 past end or past 64 bits. */
static int varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned sh = 0;; sh += 7) {
		unsigned c;

		if (*p >= end || sh > 63)
			return -1;
		c = *(*p)++;
		if (sh == 63 && c > 1)
			return -1;
		x |= (uint64_t)(c & 0x7f) << sh;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
}

/* A packed entry at *p before end into b (address, usable, requested,
 * stack id: version 4's fourth number); b[0] holds the one before, or the
 * group's address for its first. 0, or -1 for an entry that runs past end
 * or is impossible. */
static int entry(const unsigned char **p, const unsigned char *end, bool first, bool stack,
		 uint64_t b[4])
{
	uint64_t d = 0, z, h;

	if (!first && (varint(p, end, &d) < 0 || d == 0 || b[0] + d < b[0]))
		return -1;
	if (varint(p, end, &b[1]) < 0 || varint(p, end, &z) < 0)
		return -1;
	b[3] = 0;
	if (stack && varint(p, end, &b[3]) < 0)
		return -1;
	h = z >> 1;	/* zigzag: usable - requested */
	if (z & 1 ? h >= UINT64_MAX - b[1] : h > b[1])
		return -1;
	b[0] += d;
	b[2] = z & 1 ? b[1] + h + 1 : b[1] - h;
	return 0;
}

static uint64_t group_end(const struct mstat_summary *s, uint64_t g)
{
	return (g + 1) * LIST_GROUP < s->nlist ? mstat_summary_u64(s->groups + (g + 1) * GROUP_LEN + 8) :
		s->list_len;
}

/* The packed list (version 3 on): every group where the one before
 * ends, every entry inside its group, addresses rising. */
static int list_check(struct mstat_summary *s, const unsigned char *b, uint64_t sb_len, char *why,
		      size_t cap)
{
	uint64_t n = mstat_summary_u64(b + LIST_OFF), idx = mstat_summary_u64(b + LIST_OFF + 8);
	uint64_t doff = mstat_summary_u64(b + LIST_OFF + 16), dlen = mstat_summary_u64(b + LIST_OFF + 24);
	uint64_t groups = n / LIST_GROUP + (n % LIST_GROUP != 0), at = 0, last = 0;

	if (groups > s->len / GROUP_LEN || idx < sb_len || idx > s->len - groups * GROUP_LEN ||
	    doff < sb_len || doff > s->len || dlen > s->len - doff)
		return BAD("packed list (%" PRIu64 " blocks, %" PRIu64 " bytes at +%" PRIu64
			   ") outside the body", n, dlen, doff);
	s->groups = b + idx;
	s->list = b + doff;
	s->nlist = n;
	s->list_len = dlen;
	for (uint64_t g = 0; g < groups; g++) {
		const unsigned char *gp = s->groups + g * GROUP_LEN, *p, *e;
		uint64_t cnt = n - g * LIST_GROUP < LIST_GROUP ? n - g * LIST_GROUP : LIST_GROUP;
		uint64_t blk[4] = { mstat_summary_u64(gp) }, end = group_end(s, g);
		uint64_t freed = mstat_summary_u64(gp + 16);

		if (mstat_summary_u64(gp + 8) != at || end < at || end > dlen || blk[0] <= last ||
		    (cnt < LIST_GROUP && freed >> cnt))
			return BAD("packed list: group %" PRIu64 " of %" PRIu64 " impossible", g, groups);
		p = s->list + at;
		e = s->list + end;
		for (uint64_t k = 0; k < cnt; k++)
			if (entry(&p, e, k == 0, s->version >= 4, blk) < 0)
				return BAD("packed list: entry %" PRIu64 " of group %" PRIu64
					   " damaged", k, g);
		if (p != e)
			return BAD("packed list: %zu bytes left in group %" PRIu64, (size_t)(e - p), g);
		at = end;
		last = blk[0];
	}
	if (at != dlen)
		return BAD("packed list: %" PRIu64 " bytes after its last group", dlen - at);
	return 0;
}

bool mstat_summary_next(const struct mstat_summary *s, struct mstat_summary_walk *w, uint64_t b[4])
{
	while (w->slot < s->nslots) {
		const unsigned char *p = mstat_summary_slot(s, w->slot++);

		if ((b[0] = mstat_summary_u64(p))) {
			b[1] = mstat_summary_u64(p + 8);
			b[2] = mstat_summary_u64(p + 16);
			b[3] = 0;
			if (s->version >= 4) {
				b[3] = b[1] >> 48 | (b[2] >> 48) << 16;
				b[1] &= SIZE_MASK;
				b[2] &= SIZE_MASK;
			}
			return true;
		}
	}
	while (w->entry < s->nlist) {
		uint64_t g = w->entry / LIST_GROUP, k = w->entry % LIST_GROUP;
		const unsigned char *gp = s->groups + g * GROUP_LEN;

		if (k == 0) {
			w->p = s->list + mstat_summary_u64(gp + 8);
			w->addr = mstat_summary_u64(gp);
		}
		b[0] = w->addr;
		if (entry(&w->p, s->list + group_end(s, g), k == 0, s->version >= 4, b) < 0)
			break;	/* not after list_check */
		w->addr = b[0];
		w->entry++;
		if (!(mstat_summary_u64(gp + 16) >> k & 1))
			return true;
	}
	w->entry = s->nlist;
	return false;
}

/* Version 4's call stacks: the rows and the peak's words. Damaged words
 * leave the body without stacks, said in sites_why: what they would add
 * is not worth the body's counters and blocks. */
static void sites_read(struct mstat_summary *s, const unsigned char *b)
{
	uint64_t w = mstat_summary_u64(b + SITES_OFF), off = (w >> 32) * 64, bits = w & 0xff;

	s->sites_used = mstat_summary_u64(b + SITES_OFF + 8);
	s->site_clock = mstat_summary_u64(b + SITES_OFF + 16);
	s->peak_stamp = mstat_summary_u64(b + SITES_OFF + 24);
	s->peak_heap = (int64_t)mstat_summary_u64(b + SITES_OFF + 32);
	if (!w)
		return;
	if (bits > ROW_BITS_MAX || (w & 0xffffff00) || off < SB4_LEN ||
	    off + (MSTAT_SUMMARY_ROW << bits) > s->len) {
		snprintf(s->sites_why, sizeof(s->sites_why), "call-stack rows (%" PRIu64 " at +%" PRIu64
			 ") outside the body: its stacks are not read", (uint64_t)1 << (bits > 63 ? 63 : bits), off);
		return;
	}
	s->rows = b + off;
	s->nrows = 1ull << bits;
}

static double f64(const unsigned char *p)
{
	double v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

int mstat_summary_row(const struct mstat_summary *s, uint64_t id, struct mstat_summary_row *r,
		      char *why, size_t cap)
{
	const unsigned char *p = s->rows + id * MSTAT_SUMMARY_ROW;
	double v[6], slack;
	bool held;

	if (!mstat_summary_u64(p + 48)) {
		for (unsigned k = 0; k < 6; k++)
			if (mstat_summary_u64(p + 8 * k))
				return BAD("call-stack row %" PRIu64 " has figures and no stamp", id);
		return 1;
	}
	for (unsigned k = 0; k < 6; k++) {
		v[k] = f64(p + 8 * k);
		/* Beyond 2^64 no heap goes: such figures would add up to
		 * infinity across images. */
		if (!isfinite(v[k]) || fabs(v[k]) > 0x1p64)
			return BAD("call-stack row %" PRIu64 " has a figure that is no number or beyond 2^64", id);
	}
	/* Live figures are sums and differences of the same weights: with
	 * sampling they may miss zero, or the made figures, by a rounding. */
	for (unsigned k = 0; k < 6; k++) {
		slack = 0.5 + fabs(v[k & 1]) * 1e-9;
		if (v[k] < -slack || v[k] > v[k & 1] + slack)
			return BAD("call-stack row %" PRIu64 " has impossible figures (below zero, or more "
				   "live than made)", id);
		if (v[k] < 0)
			v[k] = 0;
	}
	held = mstat_summary_u64(p + 48) <= s->peak_stamp;
	*r = (struct mstat_summary_row){ v[0], v[1], v[2], v[3], held ? v[2] : v[4], held ? v[3] : v[5],
					 mstat_summary_u64(p + 48) };
	return 0;
}

int mstat_summary_read(const char *buf, size_t len, uint64_t at, struct mstat_summary *s,
		       char *why, size_t cap)
{
	const unsigned char *b;
	uint64_t off, word, n, shift, caplog, tloff, sb_len;

	memset(s, 0, sizeof(*s));
	if (at > len || len - at < SB_LEN)
		return BAD("body at byte %" PRIu64 ", beyond the end of the file (%" PRIu64 " bytes)",
			   at, (uint64_t)len);
	off = at;
	b = (const unsigned char *)buf + off;
	if (off % 64 || memcmp(b, SB_MAGIC, 8))
		return BAD("no summary body at byte %" PRIu64 " (the SUMMARY line's)", off);
	word = mstat_summary_u64(b + 8);
	if (word >> 32 != MSTAT_SUMMARY_PAGE || (word & 0xffffffff) < 1 || (word & 0xffffffff) > 4)
		return BAD("summary body version %" PRIu64 ", page size %" PRIu64 ": not supported",
			   word & 0xffffffff, word >> 32);
	s->version = (unsigned)(word & 0xffffffff);
	sb_len = s->version == 1 ? SB_LEN : s->version < 4 ? SB2_LEN : SB4_LEN;
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
			      threads_read(s, b, sb_len, why, cap) < 0)
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
	if (s->version >= 4)
		sites_read(s, b);
	/* Version 4 says by its words whether a list is there. */
	if (s->version == 3 || (s->version >= 4 && mstat_summary_u64(b + LIST_OFF + 8)))
		return list_check(s, b, sb_len, why, cap);
	return 0;
}
