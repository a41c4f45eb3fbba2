/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "dir-util.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "registry.h"

static pthread_mutex_t registry_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct home **homes;
static size_t n_homes;
static int records_fd = -1;

static int mkdir_p_0700(const char *path) {
        char buf[PATH_MAX];
        size_t len = strlen(path);

        if (len == 0 || len >= sizeof(buf))
                return -ENAMETOOLONG;
        memcpy(buf, path, len + 1);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = 0;
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(buf, 0700) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int registry_records_fd(void) {
        char path[PATH_MAX];
        int r, fd;

        if (records_fd >= 0)
                return records_fd;
        if ((size_t) snprintf(path, sizeof(path), "%s/records", homefs_state_dir()) >= sizeof(path))
                return -ENAMETOOLONG;
        r = mkdir_p_0700(path);
        if (r < 0)
                return log_error_errno(r, "creating %s: %m", path);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(-errno, "opening %s: %m", path);
        records_fd = fd;
        return fd;
}

static struct home *home_new(const struct agent_config *config, struct user_record *r) {
        struct home *h = calloc(1, sizeof(*h));

        if (!h)
                return NULL;
        h->user_name = strdup(r->user_name);
        if (!h->user_name) {
                free(h);
                return NULL;
        }
        h->config = config;
        h->n_ref = 1; /* the registry's */
        pthread_mutex_init(&h->lock, NULL);
        pthread_cond_init(&h->front_changed, NULL);
        h->record = r;
        h->uid = r->uid;
        h->mount_fd = -1;
        activation_init(&h->activation);
        return h;
}

static void home_free(struct home *h) {
        proto_conn_free(h->front);
        safe_close(h->mount_fd);
        user_record_free(h->record);
        pthread_mutex_destroy(&h->lock);
        pthread_cond_destroy(&h->front_changed);
        free(h->user_name);
        free(h);
}

void home_unref(struct home *h) {
        bool last;

        if (!h)
                return;
        pthread_mutex_lock(&registry_mutex);
        last = --h->n_ref == 0;
        pthread_mutex_unlock(&registry_mutex);
        if (last)
                home_free(h);
}

static struct home *find_locked(const char *user_name) {
        for (size_t i = 0; i < n_homes; i++)
                if (streq(homes[i]->user_name, user_name))
                        return homes[i];
        return NULL;
}

int registry_get(const char *user_name, struct home **ret) {
        struct home *h;

        pthread_mutex_lock(&registry_mutex);
        h = find_locked(user_name);
        if (h)
                h->n_ref++;
        pthread_mutex_unlock(&registry_mutex);
        if (!h)
                return -ENOENT;
        *ret = h;
        return 0;
}

int registry_add(const struct agent_config *config, struct user_record *r, struct home **ret) {
        struct home **n, *h;
        int k = 0;

        pthread_mutex_lock(&registry_mutex);
        if (find_locked(r->user_name)) {
                k = -EEXIST;
                goto finish;
        }
        n = realloc(homes, (n_homes + 1) * sizeof(*homes));
        if (!n) {
                k = -ENOMEM;
                goto finish;
        }
        homes = n;
        h = home_new(config, r);
        if (!h) {
                k = -ENOMEM;
                goto finish;
        }
        homes[n_homes++] = h;
        if (ret) {
                h->n_ref++;
                *ret = h;
        }
finish:
        pthread_mutex_unlock(&registry_mutex);
        return k;
}

void registry_remove(struct home *h) {
        bool found = false;

        pthread_mutex_lock(&registry_mutex);
        for (size_t i = 0; i < n_homes; i++)
                if (homes[i] == h) {
                        memmove(homes + i, homes + i + 1, (n_homes - i - 1) * sizeof(*homes));
                        n_homes--;
                        found = true;
                        break;
                }
        pthread_mutex_unlock(&registry_mutex);
        if (found) {
                h->removed = true;
                home_unref(h); /* the registry's reference */
        }
}

int registry_list(struct home ***ret, size_t *ret_n) {
        struct home **l;

        pthread_mutex_lock(&registry_mutex);
        l = calloc(n_homes ? n_homes : 1, sizeof(*l));
        if (!l) {
                pthread_mutex_unlock(&registry_mutex);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n_homes; i++) {
                l[i] = homes[i];
                l[i]->n_ref++;
        }
        *ret_n = n_homes;
        pthread_mutex_unlock(&registry_mutex);
        *ret = l;
        return 0;
}

void registry_list_free(struct home **l, size_t n) {
        for (size_t i = 0; i < n; i++)
                home_unref(l[i]);
        free(l);
}

int registry_load(const struct agent_config *config) {
        int dfd = registry_records_fd();
        struct dirent *de;
        DIR *d;

        if (dfd < 0)
                return dfd;
        d = opendir_fd(dfd);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                struct user_record *r = NULL;
                _cleanup_free_ char *name = NULL, *error = NULL;
                int k;

                if (len <= 5 || !streq(de->d_name + len - 5, ".yaml"))
                        continue;
                name = strndup(de->d_name, len - 5);
                if (!name)
                        break;
                k = user_record_load(dfd, name, &r, &error);
                if (k < 0) {
                        log_error("skipping record %s: %s", de->d_name, error ? error : strerror(-k));
                        continue;
                }
                k = user_record_apply_defaults(r);
                if (k >= 0)
                        k = registry_add(config, r, NULL);
                if (k < 0) {
                        log_error_errno(k, "skipping record %s: %m", de->d_name);
                        user_record_free(r);
                }
        }
        closedir(d);
        return 0;
}
