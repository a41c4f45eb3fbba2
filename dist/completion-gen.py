#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the bash completion of homefsctl from the code's own tables, so that
# it cannot go stale: the verbs of admin/homefsctl.c (verbs[]) and the long
# options of admin/options.c (options[]).
# Usage: completion-gen.py TEMPLATE HOMEFSCTL_C OPTIONS_C OUTPUT
import re
import sys


def table(path, start, pattern):
    text = open(path, encoding="utf-8").read()
    body = text[text.index(start):]
    body = body[:body.index("};")]
    return re.findall(pattern, body)


template, homefsctl_c, options_c, output = sys.argv[1:]
verbs = table(homefsctl_c, "verbs[] = {", r'\{ "([a-z0-9-]+)", verb_')
options = []
for name, kind in table(options_c, "options[] = {", r'\{ "([a-z0-9-]+)", (no|required|optional)_argument'):
    options.append("--" + name + ("=" if kind == "required" else ""))
    if kind == "optional":
        options.append("--" + name + "=")
if not verbs or not options:
    sys.exit("completion-gen.py: no verbs or options found; did the tables change shape?")
text = open(template, encoding="utf-8").read()
text = text.replace("@VERBS@", " ".join(verbs)).replace("@OPTIONS@", " ".join(options))
open(output, "w", encoding="utf-8").write(text)
