/* A plain-text table for iovsctl's human output: rows of strings, column widths
 * from the content, text left-aligned and numeric columns right-aligned, with
 * free "note" lines between rows (a port's error, its drop reasons). */
#ifndef IOVSCTL_TABLE_H
#define IOVSCTL_TABLE_H

#include <stdio.h>

struct iovsctl_table;

/* A table with 'n_cols' columns named by 'headers'. Returns 0 or -ENOMEM. */
int iovsctl_table_create(unsigned n_cols, const char *const *headers, struct iovsctl_table **out);
void iovsctl_table_destroy(struct iovsctl_table *t);

/* Appends a row of n_cols strings (copied; NULL prints as "-"). Returns 0 or -ENOMEM. */
int iovsctl_table_row(struct iovsctl_table *t, const char *const *cells);
/* Appends a line printed as is below the previous row, not part of any column. */
int iovsctl_table_note(struct iovsctl_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints every line, each prefixed with 'indent'. Returns 0 or -ENOMEM. */
int iovsctl_table_print(const struct iovsctl_table *t, FILE *f, const char *indent);

#endif
