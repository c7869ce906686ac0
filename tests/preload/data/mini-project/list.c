/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* A singly linked list of strings. */
#include <stdlib.h>
#include <string.h>

#include "mini.h"

struct node *mini_push(struct node *head, const char *key)
{
	struct node *n = malloc(sizeof(*n));

	if (!n)
		return head;
	n->key = strdup(key);
	n->next = head;
	return n;
}

void mini_free(struct node *head)
{
	while (head) {
		struct node *next = head->next;

		free(head->key);
		free(head);
		head = next;
	}
}
