/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* homefsd's local wake-ups: its reading of /proc/loadavg, where a wrong
 * "1" would put a queue thread at idle priority beside other work. */
#include <stdio.h>

#include "log.h"
#include "tap.h"
#include "wake-local.h"

static void check(const char *text, int want) {
        int got = loadavg_runnable(text);

        tap_ok(got == want, "\"%s\" -> %d (got %d)", text, want, got);
}

int main(void) {
        log_setup("test-wake-local", LOG_LEVEL_ERROR);

        check("0.29 0.54 1.06 1/99 3091", 1);
        check("0.29 0.54 1.06 2/99 3091", 2);
        check("12.00 8.10 4.00 17/1203 99999", 17);
        check("0.00 0.00 0.00 0/1 1", 0);
        /* Not of that form: never "alone". */
        check("", -1);
        check("/", -1);
        check("0.29 0.54 1.06 /99 3091", -1);
        check("0.29 0.54 1.06 x1/99 3091", -1);
        check("0.29 0.54 1.06 -1/99 3091", -1);
        check("1/99", 1);
        check("0.29 0.54 1.06 99999999999/99 3091", -1);
        check("0.29 0.54 1.06 1", -1);
        return tap_done();
}
