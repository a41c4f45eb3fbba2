/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "homefsctl.h"

enum action { ACTION_RUN, ACTION_HELP, ACTION_VERSION };

/* Parse the options (getopt_long, which leaves optind at the verb). Returns 0,
 * or -EINVAL after printing a usage error. */
int parse_options(int argc, char **argv, struct options *o, enum action *action);
