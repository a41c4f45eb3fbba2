/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tap.h"
int main(void) { tap_plan(0); return tap_done(); }
