/* The table printer of table.h. Each row is one allocation holding its cells
 * back to back ("a\0b\0c\0"), so an fdb of 100k entries costs 100k small
 * blocks; widths and alignment are computed once, when printing. */
#include "table.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define COL_GAP 2

struct row {
	bool note;  /* one free line instead of cells */
	char *text; /* n_cols NUL-terminated cells, or the note */
};

struct iovsctl_table {
	unsigned n_cols;
	size_t n_rows;
	size_t cap;
	struct row *rows; /* rows[0] is the header */
};

static int
append(struct iovsctl_table *t, bool note, char *text)
{
	if (text == NULL)
		return -ENOMEM;
	if (t->n_rows == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct row *rows = realloc(t->rows, cap * sizeof(*rows));

		if (rows == NULL) {
			free(text);
			return -ENOMEM;
		}
		t->rows = rows;
		t->cap = cap;
	}
	t->rows[t->n_rows++] = (struct row){.note = note, .text = text};
	return 0;
}

int
iovsctl_table_row(struct iovsctl_table *t, const char *const *cells)
{
	size_t len = 0, n;
	unsigned c;
	char *text, *p;

	for (c = 0; c < t->n_cols; c++)
		len += strlen(cells[c] ? cells[c] : "-") + 1;
	text = p = malloc(len);
	for (c = 0; text != NULL && c < t->n_cols; c++) {
		n = strlen(cells[c] ? cells[c] : "-") + 1;
		memcpy(p, cells[c] ? cells[c] : "-", n);
		p += n;
	}
	return append(t, false, text);
}

int
iovsctl_table_note(struct iovsctl_table *t, const char *fmt, ...)
{
	char *text;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	return append(t, true, n < 0 ? NULL : text);
}

int
iovsctl_table_create(unsigned n_cols, const char *const *headers, struct iovsctl_table **out)
{
	struct iovsctl_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	t->n_cols = n_cols;
	if (iovsctl_table_row(t, headers) != 0) {
		iovsctl_table_destroy(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

void
iovsctl_table_destroy(struct iovsctl_table *t)
{
	size_t r;

	if (t == NULL)
		return;
	for (r = 0; r < t->n_rows; r++)
		free(t->rows[r].text);
	free(t->rows);
	free(t);
}

/* Characters on screen: UTF-8 continuation bytes take no column. */
static size_t
width_of(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* "123", "4.5", "12.0%": right-aligned. */
static bool
is_number(const char *s)
{
	bool digit = false, dot = false;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digit = true;
		else if (*s == '.' && !dot && digit)
			dot = true;
		else
			return digit && s[0] == '%' && s[1] == '\0';
	}
	return digit;
}

struct col {
	size_t width;
	bool numeric; /* every data cell is a number or "-" */
	bool any_number;
};

static void
measure(const struct iovsctl_table *t, struct col *cols)
{
	size_t r;
	unsigned c;

	for (c = 0; c < t->n_cols; c++)
		cols[c] = (struct col){.numeric = true};
	for (r = 0; r < t->n_rows; r++) {
		const char *cell = t->rows[r].text;

		for (c = 0; !t->rows[r].note && c < t->n_cols; c++, cell += strlen(cell) + 1) {
			size_t w = width_of(cell);

			if (w > cols[c].width)
				cols[c].width = w;
			if (r == 0 || strcmp(cell, "-") == 0)
				continue;
			if (is_number(cell))
				cols[c].any_number = true;
			else
				cols[c].numeric = false;
		}
	}
}

static void
print_row(const struct iovsctl_table *t, const struct col *cols, const char *cell, FILE *f)
{
	unsigned c;

	for (c = 0; c < t->n_cols; c++, cell += strlen(cell) + 1) {
		int pad = (int)(cols[c].width - width_of(cell));
		bool right = cols[c].numeric && cols[c].any_number;

		if (c > 0)
			fprintf(f, "%*s", COL_GAP, "");
		if (right)
			fprintf(f, "%*s%s", pad, "", cell);
		else if (c + 1 < t->n_cols)
			fprintf(f, "%s%*s", cell, pad, "");
		else
			fputs(cell, f);
	}
	fputc('\n', f);
}

int
iovsctl_table_print(const struct iovsctl_table *t, FILE *f, const char *indent)
{
	struct col *cols = calloc(t->n_cols ? t->n_cols : 1, sizeof(*cols));
	size_t r;

	if (cols == NULL)
		return -ENOMEM;
	measure(t, cols);
	for (r = 0; r < t->n_rows; r++) {
		fputs(indent, f);
		if (t->rows[r].note)
			fprintf(f, "%s\n", t->rows[r].text);
		else
			print_row(t, cols, t->rows[r].text, f);
	}
	free(cols);
	return 0;
}
