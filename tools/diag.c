/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Per-image problem lists: bounded, deduplicated by reason, printed in the
 * "malloc-stat: FILE:LINE: reason" form that editors and people both read.
 */
#include "diag.h"

#include <stdarg.h>
#include <string.h>

void mstat_diag_add(struct mstat_diag *d, uint64_t line, const char *fmt, ...)
{
	char msg[MSTAT_DIAG_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Reasons quote the input: keep them one printable line. */
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	d->count++;
	for (unsigned i = 0; i < d->nkept; i++) {
		if (!strcmp(d->kept[i].msg, msg)) {
			d->kept[i].times++;
			return;
		}
	}
	if (d->nkept == MSTAT_DIAG_KEEP)
		return;
	d->kept[d->nkept].line = line;
	d->kept[d->nkept].times = 1;
	memcpy(d->kept[d->nkept].msg, msg, sizeof(msg));
	d->nkept++;
}

void mstat_diag_print(const struct mstat_diag *d, FILE *out, const char *path, uint64_t line0)
{
	uint64_t shown = 0;

	for (unsigned i = 0; i < d->nkept; i++) {
		const struct mstat_diag_item *it = &d->kept[i];

		if (it->line)
			fprintf(out, "malloc-stat: %s:%llu: %s", path,
				(unsigned long long)(line0 + it->line), it->msg);
		else
			fprintf(out, "malloc-stat: %s: %s", path, it->msg);
		if (it->times > 1)
			fprintf(out, " (%llu times, first here)", (unsigned long long)it->times);
		fputc('\n', out);
		shown += it->times;
	}
	if (d->count > shown)
		fprintf(out, "malloc-stat: %s: %llu more problems not shown\n", path,
			(unsigned long long)(d->count - shown));
}
