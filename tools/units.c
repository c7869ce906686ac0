/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Human units and output escaping.
 */
#include "units.h"

#include <stdbool.h>
#include <string.h>

const char *mstat_bytes(char *buf, int64_t v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	uint64_t a = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	const char *sign = v < 0 ? "-" : "";
	double d = (double)a;
	unsigned u = 0;

	if (a < 1024) {
		snprintf(buf, MSTAT_UNIT_LEN, "%s%llu B", sign, (unsigned long long)a);
		return buf;
	}
	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	snprintf(buf, MSTAT_UNIT_LEN, d < 10 ? "%s%.2f %s" : d < 100 ? "%s%.1f %s" : "%s%.0f %s",
		 sign, d, unit[u]);
	return buf;
}

const char *mstat_count(char *buf, uint64_t v)
{
	static const char suf[] = "kMGTP";
	double d = (double)v;
	unsigned u = 0;

	if (v < 10000) {
		snprintf(buf, MSTAT_UNIT_LEN, "%llu", (unsigned long long)v);
		return buf;
	}
	while (d >= 1000 && u < 5) {
		d /= 1000;
		u++;
	}
	snprintf(buf, MSTAT_UNIT_LEN, d < 10 ? "%.2f%c" : d < 100 ? "%.1f%c" : "%.0f%c", d,
		 suf[u - 1]);
	return buf;
}

/* Length of the valid UTF-8 sequence at s, 0 when invalid. */
static unsigned utf8_len(const unsigned char *s)
{
	unsigned n, i;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, c = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, c = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
		return 0;
	return n;
}

/* Escaped text gathers here, written a buffer at a time: a command line
 * can be megabytes, and stdio per byte was the whole cost of the JSON. */
struct obuf {
	FILE *out;
	size_t n;
	char b[4096];
};

static void ob_put(struct obuf *o, const void *p, size_t n)
{
	if (o->n + n > sizeof(o->b)) {
		fwrite(o->b, 1, o->n, o->out);
		o->n = 0;
		if (n > sizeof(o->b)) {
			fwrite(p, 1, n, o->out);
			return;
		}
	}
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

void mstat_json_str(FILE *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	struct obuf o = { .out = out };

	ob_put(&o, "\"", 1);
	while (*p) {
		const unsigned char *run = p;
		unsigned n;

		/* the plain ASCII run: as it is */
		while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			p++;
		ob_put(&o, run, (size_t)(p - run));
		if (!*p)
			break;
		n = utf8_len(p);
		if (!n) {
			ob_put(&o, "\\ufffd", 6);
			p++;
		} else if (*p == '"' || *p == '\\') {
			char e[2] = { '\\', (char)*p++ };

			ob_put(&o, e, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			char e[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };

			ob_put(&o, e, 6);
			p++;
		} else {
			ob_put(&o, p, n);
			p += n;
		}
	}
	ob_put(&o, "\"", 1);
	fwrite(o.b, 1, o.n, out);
}

void mstat_html_str(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	while (*p) {
		unsigned n = utf8_len(p);

		if (!n) {
			fputs("&#xfffd;", out);
			p++;
			continue;
		}
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			if (*p < 0x20 && *p != '\t')
				fputc('?', out);
			else
				fwrite(p, 1, n, out);
		}
		p += n;
	}
}
