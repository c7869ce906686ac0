/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Formatting for people and for other programs: byte sizes in binary
 * units, counts with k/M suffixes, and strings escaped for JSON and HTML.
 */
#ifndef MSTAT_UNITS_H
#define MSTAT_UNITS_H

#include <stdint.h>
#include <stdio.h>

#define MSTAT_UNIT_LEN 24

/* "0 B", "1023 B", "1.0 KiB", "12.3 MiB", "1.21 GiB" into buf. */
const char *mstat_bytes(char *buf, int64_t v);

/* "999", "12.3k", "4.56M", "1.2G" into buf. */
const char *mstat_count(char *buf, uint64_t v);

/* s as a JSON string, quotes included; invalid UTF-8 becomes U+FFFD. */
void mstat_json_str(FILE *out, const char *s);

/* s with &, <, >, " and ' escaped for HTML text and attributes. */
void mstat_html_str(FILE *out, const char *s);

#endif
