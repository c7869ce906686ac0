/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* The mini project's interfaces. */
#ifndef MINI_H
#define MINI_H

#include <stddef.h>

struct node {
	struct node *next;
	char *key;
};

unsigned long mini_hash(const char *s);
struct node *mini_push(struct node *head, const char *key);
void mini_free(struct node *head);
char *mini_join(const char *a, const char *b);

#endif
