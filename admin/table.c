/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "macro.h"
#include "table.h"

struct table {
        size_t n_columns;
        char **headers;
        char ***rows; /* each an array of n_columns strings */
        size_t n_rows;
};

static void cells_free(char **cells, size_t n) {
        if (!cells)
                return;
        for (size_t i = 0; i < n; i++)
                free(cells[i]);
        free(cells);
}

static char **cells_dup(const char *const *cells, size_t n) {
        char **c = calloc(n, sizeof(char *));

        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                /* Cells come from the agent, and so from users: escaped. */
                c[i] = cells[i] ? escape_dup(cells[i]) : strdup("-");
                if (!c[i]) {
                        cells_free(c, n);
                        return NULL;
                }
        }
        return c;
}

struct table *table_new(size_t n_columns, const char *const *headers) {
        struct table *t = calloc(1, sizeof(*t));

        if (!t)
                return NULL;
        t->n_columns = n_columns;
        t->headers = cells_dup(headers, n_columns);
        if (!t->headers) {
                free(t);
                return NULL;
        }
        return t;
}

void table_free(struct table *t) {
        if (!t)
                return;
        for (size_t i = 0; i < t->n_rows; i++)
                cells_free(t->rows[i], t->n_columns);
        free(t->rows);
        cells_free(t->headers, t->n_columns);
        free(t);
}

int table_add_row(struct table *t, const char *const *cells) {
        char ***rows, **row;

        row = cells_dup(cells, t->n_columns);
        if (!row)
                return -ENOMEM;
        rows = realloc(t->rows, (t->n_rows + 1) * sizeof(char **));
        if (!rows) {
                cells_free(row, t->n_columns);
                return -ENOMEM;
        }
        rows[t->n_rows++] = row;
        t->rows = rows;
        return 0;
}

size_t table_n_rows(const struct table *t) {
        return t->n_rows;
}

/* qsort() has no context argument; the column is passed through this. */
static size_t sort_column;

static int compare_rows(const void *a, const void *b) {
        char *const *ra = *(char **const *) a, *const *rb = *(char **const *) b;

        return strcmp(ra[sort_column], rb[sort_column]);
}

void table_sort(struct table *t, size_t column) {
        if (column >= t->n_columns || t->n_rows < 2)
                return;
        sort_column = column;
        qsort(t->rows, t->n_rows, sizeof(char **), compare_rows);
}

static void print_row(const struct table *t, char *const *cells, const size_t *widths, FILE *f) {
        for (size_t i = 0; i < t->n_columns; i++) {
                if (i + 1 < t->n_columns)
                        fprintf(f, "%-*s  ", (int) widths[i], cells[i]);
                else
                        fprintf(f, "%s\n", cells[i]);
        }
}

void table_print(const struct table *t, FILE *f, bool header) {
        _cleanup_free_ size_t *widths = calloc(t->n_columns, sizeof(size_t));

        if (!widths)
                return;
        for (size_t i = 0; i < t->n_columns; i++) {
                widths[i] = header ? strlen(t->headers[i]) : 0;
                for (size_t j = 0; j < t->n_rows; j++)
                        if (strlen(t->rows[j][i]) > widths[i])
                                widths[i] = strlen(t->rows[j][i]);
        }
        if (header)
                print_row(t, t->headers, widths, f);
        for (size_t j = 0; j < t->n_rows; j++)
                print_row(t, t->rows[j], widths, f);
}
