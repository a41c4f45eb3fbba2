/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A thread that notices, within FRONT_WATCH_INTERVAL_MS, that a home's
 * homefsd died (its connection hung up) or, for an unlocked home, that its
 * homefs-cryptdev died. A dead front of an unlocked home means nobody guards
 * the decrypted filesystem any more: the home is torn down (locked) and a new
 * front started, which comes up locked. A dead cryptdev means the filesystem
 * has lost its disk: the home is locked. */

#define FRONT_WATCH_INTERVAL_MS 200

int front_watch_start(void);

/* At shutdown: the fronts go away on purpose from now on. */
void front_watch_stop(void);
