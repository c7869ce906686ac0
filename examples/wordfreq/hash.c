#include <stdlib.h>
#include <string.h>
#include "wordfreq.h"

static unsigned long hash(const char *s)
{
	unsigned long h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

struct table *table_new(void)
{
	struct table *t = calloc(1, sizeof(*t));
	t->nslots = 16;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	return t;
}

static void grow(struct table *t)
{
	size_t n = t->nslots * 2;
	struct entry **s = calloc(n, sizeof(*s));
	for (size_t i = 0; i < t->nslots; i++)
		for (struct entry *e = t->slots[i], *next; e; e = next) {
			next = e->next;
			e->next = s[hash(e->word) % n];
			s[hash(e->word) % n] = e;
		}
	free(t->slots);
	t->slots = s;
	t->nslots = n;
}

void table_add(struct table *t, char *word)
{
	struct entry **p = &t->slots[hash(word) % t->nslots];
	for (struct entry *e = *p; e; e = e->next)
		if (!strcmp(e->word, word)) {
			e->count++;
			free(word);
			return;
		}
	struct entry *e = malloc(sizeof(*e));
	e->word = word;
	e->count = 1;
	e->next = *p;
	*p = e;
	if (++t->n > t->nslots * 2)
		grow(t);
}

struct entry **table_sorted(struct table *t)
{
	struct entry **v = malloc(t->n * sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < t->nslots; i++)
		for (struct entry *e = t->slots[i]; e; e = e->next)
			v[k++] = e;
	sort_entries(v, k);
	return v;
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nslots; i++)
		for (struct entry *e = t->slots[i], *next; e; e = next) {
			next = e->next;
			free(e->word);
			free(e);
		}
	free(t->slots);
	free(t);
}
