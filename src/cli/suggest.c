/* "Did you mean ...?": the closest of a set of names to a mistyped word. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Optimal string alignment distance (adjacent swaps count as one edit). */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d, *base, *row, *prev, *prev2, *t;

	if (la > 64 || lb > 64)
		return (size_t)-1;
	if ((base = calloc(3 * (lb + 1), sizeof(*base))) == NULL)
		return (size_t)-1;
	row = base;
	prev = row + lb + 1;
	prev2 = prev + lb + 1;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			d = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (row[j - 1] + 1 < d)
				d = row[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			row[j] = d;
		}
		t = prev2;
		prev2 = prev;
		prev = row;
		row = t;
	}
	d = prev[lb];
	free(base);
	return d;
}

const char *
hk_cli_suggest(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL, *prefixed = NULL;
	size_t i, d, bestd = (size_t)-1, len = strlen(word), nprefixed = 0, limit;

	if (len == 0)
		return NULL;
	for (i = 0; i < n; i++) {
		if (names[i] == NULL)
			continue;
		if (strncmp(names[i], word, len) == 0) {
			prefixed = names[i];
			nprefixed++;
		}
		d = edit_distance(word, names[i]);
		if (d < bestd) {
			bestd = d;
			best = names[i];
		} else if (d == bestd)
			best = NULL;	/* a tie: no single suggestion */
	}
	/* A unique prefix ("imp" for import) is the clearest answer. */
	if (nprefixed == 1)
		return prefixed;
	/* About one edit in three characters, at least one: typos, not guesses. */
	limit = len < 3 ? 1 : len / 3 + 1;
	return bestd <= limit ? best : NULL;
}
