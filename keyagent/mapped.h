/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>

/* Processes that have files below home_dir (a homefsd mount) memory-mapped:
 * a JSON array of {pid, comm}, at most MAPPED_MAX entries; NULL when out of
 * memory or the home is not mounted. */
#define MAPPED_MAX 64
struct json_object *mapped_by(const char *home_dir);
