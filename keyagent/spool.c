/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dir-util.h"
#include "log.h"
#include "parse-util.h"
#include "paths.h"
#include "record.h"
#include "spool.h"
#include "time-util.h"

#define JOB_SUFFIX ".job"
#define JOB_NAME_MAX 32

int spool_check_argv(struct json_object *argv) {
        size_t n, total = 0;

        if (!argv || !json_object_is_type(argv, json_type_array))
                return -EINVAL;
        n = json_object_array_length(argv);
        if (n < 1 || n > SPOOL_ARGS_MAX)
                return -E2BIG;
        for (size_t i = 0; i < n; i++) {
                struct json_object *a = json_object_array_get_idx(argv, i);

                if (!json_object_is_type(a, json_type_string))
                        return -EINVAL;
                total += (size_t) json_object_get_string_len(a) + 1;
                if (total > SPOOL_JOB_MAX)
                        return -E2BIG;
        }
        return json_object_get_string_len(json_object_array_get_idx(argv, 0)) > 0 ? 0 : -EINVAL;
}

/* The user's spool directory, made if missing; every step below a
 * directory fd, never following a symlink. */
static int spool_dir(const char *user) {
        int state, spool, dir;

        if (!user_name_is_valid(user))
                return -EINVAL;
        state = open(homefs_state_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (state < 0)
                return -errno;
        (void) mkdirat(state, "spool", 0700);
        spool = openat(state, "spool", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(state);
        if (spool < 0)
                return -errno;
        (void) mkdirat(spool, user, 0700);
        dir = openat(spool, user, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(spool);
        return dir < 0 ? -errno : dir;
}

static bool is_job_name(const char *name, uint64_t *id) {
        return parse_digits(&name, id) >= 0 && streq(name, JOB_SUFFIX);
}

/* The job ids in the directory, sorted (at most SPOOL_JOBS_MAX + slack). */
static int job_ids(int dir_fd, uint64_t *ids, size_t max, size_t *ret_n) {
        DIR *d = opendir_fd(dir_fd);
        struct dirent *de;
        size_t n = 0;

        if (!d)
                return -errno;
        while ((de = readdir(d)))
                if (n < max && is_job_name(de->d_name, &ids[n]))
                        n++;
        closedir(d);
        for (size_t i = 1; i < n; i++) /* insertion sort: n is small */
                for (size_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
                        uint64_t t = ids[j];
                        ids[j] = ids[j - 1];
                        ids[j - 1] = t;
                }
        *ret_n = n;
        return 0;
}

static void job_name(uint64_t id, char buf[static JOB_NAME_MAX]) {
        snprintf(buf, JOB_NAME_MAX, "%020" PRIu64 JOB_SUFFIX, id);
}

static int write_job(int dir_fd, uint64_t id, const char *text) {
        char name[JOB_NAME_MAX];
        size_t len = strlen(text);
        int fd;

        job_name(id, name);
        fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        if (write(fd, text, len) != (ssize_t) len || fsync(fd) < 0) {
                int r = errno ? -errno : -EIO;

                close(fd);
                (void) unlinkat(dir_fd, name, 0);
                return r;
        }
        close(fd);
        return 0;
}

int spool_add(const char *user, uid_t uid, struct json_object *argv, uint64_t *ret_id) {
        _cleanup_close_ int dir = spool_dir(user);
        uint64_t ids[SPOOL_JOBS_MAX + 1], id = now_usec();
        struct json_object *job;
        size_t n = 0;
        int r;

        if (dir < 0)
                return dir;
        r = job_ids(dir, ids, ELEMENTSOF(ids), &n);
        if (r < 0)
                return r;
        if (n >= SPOOL_JOBS_MAX)
                return -EDQUOT;
        job = json_object_new_object();
        json_object_object_add(job, "argv", json_object_get(argv));
        json_object_object_add(job, "uid", json_object_new_int64(uid));
        json_object_object_add(job, "queuedUSec", json_object_new_uint64(id));
        if (n > 0 && id <= ids[n - 1])
                id = ids[n - 1] + 1; /* keep the order even if the clock went back */
        do
                r = write_job(dir, id, json_object_to_json_string_ext(job, JSON_C_TO_STRING_PLAIN));
        while (r == -EEXIST && ++id);
        json_object_put(job);
        if (r >= 0)
                *ret_id = id;
        return r;
}

/* Read and check one job file. */
static int read_job(int dir_fd, uint64_t id, struct json_object **ret) {
        char name[JOB_NAME_MAX], buf[SPOOL_JOB_MAX * 2 + 256];
        struct json_object *job, *argv;
        ssize_t n;
        int fd;

        job_name(id, name);
        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0 || (size_t) n >= sizeof(buf) - 1)
                return -EBADMSG;
        buf[n] = 0;
        job = json_tokener_parse(buf);
        if (!job || !json_object_object_get_ex(job, "argv", &argv) || spool_check_argv(argv) < 0) {
                json_object_put(job);
                return -EBADMSG;
        }
        json_object_object_add(job, "id", json_object_new_uint64(id));
        *ret = job;
        return 0;
}

/* The user's spool directory and its jobs, oldest first. */
struct jobs {
        int dir;
        size_t n;
        uint64_t ids[SPOOL_JOBS_MAX * 2];
};

static void jobs_close(struct jobs *j) {
        j->dir = safe_close(j->dir);
}

static int jobs_open(const char *user, struct jobs *j) {
        int r;

        j->n = 0;
        j->dir = spool_dir(user);
        if (j->dir < 0)
                return j->dir;
        r = job_ids(j->dir, j->ids, ELEMENTSOF(j->ids), &j->n);
        if (r < 0)
                jobs_close(j);
        return r;
}

/* Read each job (remove: and remove its file) into an array; unreadable
 * ones are skipped (remove: and dropped). */
static int jobs_collect(const char *user, bool remove, struct json_object **ret) {
        _cleanup_(jobs_close) struct jobs j = { .dir = -1 };
        char name[JOB_NAME_MAX];
        struct json_object *arr, *job = NULL;
        int r;

        r = jobs_open(user, &j);
        if (r < 0)
                return r;
        arr = json_object_new_array();
        for (size_t i = 0; arr && i < j.n; i++) {
                r = read_job(j.dir, j.ids[i], &job);
                job_name(j.ids[i], name);
                /* Removed before it can run: at most once, whatever happens next. */
                if (remove && unlinkat(j.dir, name, 0) < 0) {
                        json_object_put(r >= 0 ? job : NULL);
                        continue;
                }
                if (r < 0)
                        log_warning("skipped the unreadable job %s of %s", name, user);
                else
                        json_object_array_add(arr, job);
        }
        if (!arr)
                return -ENOMEM;
        *ret = arr;
        return 0;
}

int spool_list(const char *user, struct json_object **ret) {
        return jobs_collect(user, false, ret);
}

int spool_take_all(const char *user, struct json_object **ret) {
        return jobs_collect(user, true, ret);
}

int spool_clear(const char *user, unsigned *ret_n) {
        _cleanup_(jobs_close) struct jobs j = { .dir = -1 };
        char name[JOB_NAME_MAX];
        unsigned removed = 0;
        int r;

        r = jobs_open(user, &j);
        if (r < 0)
                return r;
        for (size_t i = 0; i < j.n; i++) {
                job_name(j.ids[i], name);
                if (unlinkat(j.dir, name, 0) == 0)
                        removed++;
        }
        *ret_n = removed;
        return 0;
}

int spool_forget(const char *user) {
        unsigned n;
        int r, state, spool;

        r = spool_clear(user, &n);
        if (r < 0)
                return r;
        state = open(homefs_state_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (state < 0)
                return -errno;
        spool = openat(state, "spool", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(state);
        if (spool < 0)
                return -errno;
        r = unlinkat(spool, user, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
        close(spool);
        return r;
}
