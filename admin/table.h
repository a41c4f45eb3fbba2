/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A plain text table: columns separated by two spaces, each as wide as its
 * widest cell, the last one not padded. */

struct table;

struct table *table_new(size_t n_columns, const char *const *headers);
void table_free(struct table *t);
static inline void table_freep(struct table **t) {
        table_free(*t);
}
#define _cleanup_table_ __attribute__((cleanup(table_freep)))

/* Copies n_columns cells (NULL prints as "-"). */
int table_add_row(struct table *t, const char *const *cells);
size_t table_n_rows(const struct table *t);

/* Sort the rows by the text of one column. */
void table_sort(struct table *t, size_t column);

void table_print(const struct table *t, FILE *f, bool header);
