/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* escape_to()/escape_dup(): what a user controls cannot drive root's terminal. */
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "tap.h"

static void check(const char *in, const char *want) {
        char *got = escape_dup(in);

        tap_ok(got && strcmp(got, want) == 0, "escapes to \"%s\" (got \"%s\")", want, got ? got : "(null)");
        free(got);
}

int main(void) {
        char buf[8];

        tap_plan(0);
        check("plain text", "plain text");
        check("\x1b]0;owned\a\x1b[2J", "\\e]0;owned\\x07\\e[2J");
        check("line\nfake root prompt# ", "line\\nfake root prompt# ");
        check("tab\tcr\rdel\x7f", "tab\\tcr\\rdel\\x7f");
        check("back\\slash", "back\\\\slash");
        check("Jos\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x99\x82", "Jos\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x99\x82"); /* printable UTF-8 stays */
        check("c1 \xc2\x9b" "31m", "c1 \\xc2\\x9b31m");   /* U+009B, an 8-bit CSI */
        check("raw \x9b", "raw \\x9b");                      /* a lone C1 byte */
        check("bad \xc3(", "bad \\xc3(");                    /* truncated sequence */
        check("over \xc0\xaf", "over \\xc0\\xaf");           /* overlong */
        check("sur \xed\xa0\x80", "sur \\xed\\xa0\\x80");    /* a surrogate */
        check("", "");
        escape_to(buf, sizeof(buf), "ab\x1b\x1b\x1b");
        tap_ok(strcmp(buf, "ab\\e\\e") == 0, "truncation keeps whole escapes (got \"%s\")", buf);
        escape_to(buf, 1, "abc");
        tap_ok(buf[0] == 0, "a 1-byte buffer gets an empty string");
        return tap_done();
}
