#include <stdio.h>
#include <stdlib.h>
#include "version.h"
#include "wordfreq.h"

static int get(void *arg) { return getc((FILE *)arg); }

int main(int argc, char **argv)
{
	size_t top = argc > 1 ? strtoul(argv[1], NULL, 10) : 10;
	struct table *t = table_new();
	struct strbuf b;

	sb_init(&b);
	while (read_word(&b, get, stdin))
		table_add(t, sb_detach(&b));
	struct entry **v = table_sorted(t);
	for (size_t i = 0; i < top && i < t->n; i++)
		printf("%7lu %s\n", v[i]->count, v[i]->word);
	fprintf(stderr, "wordfreq %s: %zu distinct words\n", WORDFREQ_VERSION, t->n);
	free(v);
	table_free(t);
	return 0;
}
