#ifndef WORDFREQ_H
#define WORDFREQ_H
#include <stddef.h>

struct strbuf { char *s; size_t len, cap; };
void sb_init(struct strbuf *b);
void sb_addc(struct strbuf *b, char c);
char *sb_detach(struct strbuf *b);

struct entry { char *word; unsigned long count; struct entry *next; };
struct table { struct entry **slots; size_t nslots, n; };
struct table *table_new(void);
void table_add(struct table *t, char *word);
struct entry **table_sorted(struct table *t);
void table_free(struct table *t);

int read_word(struct strbuf *b, int (*get)(void *), void *arg);
void sort_entries(struct entry **v, size_t n);
#endif
