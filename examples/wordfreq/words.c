#include <ctype.h>
#include <stdio.h>
#include "wordfreq.h"

int read_word(struct strbuf *b, int (*get)(void *), void *arg)
{
	int c;
	while ((c = get(arg)) != EOF && !isalpha(c))
		;
	if (c == EOF)
		return 0;
	do
		sb_addc(b, (char)tolower(c));
	while ((c = get(arg)) != EOF && isalpha(c));
	return 1;
}
