/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <dirent.h>

/* A DIR stream over the directory dir_fd refers to, with its own file
 * position (unlike fdopendir(dup(fd)), which shares it with dir_fd). dir_fd
 * may be an O_PATH fd. NULL with errno set on failure. */
DIR *opendir_fd(int dir_fd);
