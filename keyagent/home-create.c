/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "accounts.h"
#include "activation.h"
#include "agent-config.h"
#include "backing.h"
#include "front.h"
#include "home-ops.h"
#include "host-room.h"
#include "home-paths.h"
#include "log.h"
#include "luks.h"
#include "registry.h"
#include "secret.h"
#include "size.h"
#include "time-util.h"

#define MIB (1024ULL * 1024ULL)
#define DISK_SIZE_MIN (64 * MIB)         /* LUKS2 header (16 MiB) + a useful ext4 */
#define DISK_SIZE_DEFAULT_PERCENT 25U    /* of the host's free space; the image is sparse */

/* One create at a time: uid allocation and name checks must not race. */
static pthread_mutex_t create_mutex = PTHREAD_MUTEX_INITIALIZER;

/* What a create has done so far, for the rollback. */
struct create_progress {
        bool accounts, image, mountpoint;
        bool adopt;    /* in: an existing image may be taken over (create --identity) */
        bool adopting; /* the image exists and is taken over, not made */
        bool uid_auto; /* the uid was allocated here, not asked for */
};

/* The image's nominal size: given, a percentage of the host's free space
 * not yet promised to other homes (host-room.h), or the default percentage.
 * Rounded down to whole MiB. */
static int choose_disk_size(struct user_record *r, unsigned percent, struct agent_error *e) {
        uint64_t size = r->disk_size;
        struct host_room room;
        char a[32], b[32];
        int k;

        if (size == 0) {
                k = host_room_get(r->image_path, r->user_name, &room);
                if (k < 0)
                        return agent_error_set(e, k, AGENT_ERROR_FAILED, "Cannot see the free space below %s: %s.",
                                               r->image_path, strerror(-k));
                size = room.free > room.promised ? room.free - room.promised : 0;
                size = size / 100 * (percent ? percent : DISK_SIZE_DEFAULT_PERCENT);
        }
        size = size / MIB * MIB;
        if (size < DISK_SIZE_MIN)
                return agent_error_set(e, -ERANGE, AGENT_ERROR_INVALID_PARAMETER,
                                       "A home needs at least %s; %s was asked for (or is what the free space allows).",
                                       format_size(a, sizeof(a), DISK_SIZE_MIN), format_size(b, sizeof(b), size));
        r->disk_size = size;
        return 0;
}

static int check_names(struct user_record *r, struct create_progress *p, struct agent_error *e) {
        struct home *h = NULL;
        struct stat st;
        int k;

        if (registry_get(r->user_name, &h) == 0) {
                home_unref(h);
                return agent_error_set(e, -EEXIST, AGENT_ERROR_HOME_EXISTS, "A home for %s exists already.", r->user_name);
        }
        if (r->uid == 0) {
                uint32_t uid;

                if (accounts_allocate_uid(&uid) < 0)
                        return agent_error_set(e, -EBUSY, AGENT_ERROR_FAILED,
                                               "No free uid left in %u..%u; pass --uid.", HOMEFS_UID_MIN, HOMEFS_UID_MAX);
                r->uid = uid;
                p->uid_auto = r->gid == 0;
        }
        if (r->gid == 0)
                r->gid = r->uid;
        if (accounts_check_free(r->user_name, r->uid, r->gid) < 0)
                return agent_error_set(e, -EEXIST, AGENT_ERROR_USER_EXISTS,
                                       "The user or group %s, or the uid/gid %u/%u, exists already on this system; pick another name or uid.",
                                       r->user_name, r->uid, r->gid);
        k = home_paths_check(r, e);
        if (k < 0)
                return k;
        if (lstat(r->image_path, &st) == 0 && p->adopt && S_ISREG(st.st_mode)) {
                p->adopting = true; /* moved here with its record */
                r->disk_size = (uint64_t) st.st_size;
        } else if (lstat(r->image_path, &st) == 0)
                return agent_error_set(e, -EEXIST, AGENT_ERROR_HOME_EXISTS,
                                       "%s exists already; remove it or pass another --image-path.", r->image_path);
        if (lstat(r->home_directory, &st) == 0 && (!S_ISDIR(st.st_mode) || rmdir(r->home_directory) < 0))
                return agent_error_set(e, -EEXIST, AGENT_ERROR_HOME_EXISTS,
                                       "%s exists already and is not an empty directory; move it away first.", r->home_directory);
        return 0;
}

/* Format, then activate once to make the filesystem and the home inside it. */
static int make_image(const struct agent_config *config, const struct user_record *r, const char *password, struct agent_error *e) {
        _cleanup_secret_ void *key = NULL;
        _cleanup_close_ int dir_fd = -1, fd = -1, mount_fd = -1;
        const char *name;
        struct activation act;
        struct luks_geometry geo;
        char runtime[PATH_MAX];
        size_t key_size = 0;
        struct home tmp = { .user_name = r->user_name };
        int k;

        dir_fd = home_path_parent("image", r->image_path, &name, e);
        if (dir_fd < 0)
                return dir_fd;
        fd = openat(dir_fd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return agent_error_set(e, -errno, AGENT_ERROR_FAILED, "Cannot create %s: %m.", r->image_path);
        if (ftruncate(fd, (off_t) r->disk_size) < 0)
                return agent_error_set(e, -errno, AGENT_ERROR_FAILED, "Cannot size %s: %m.", r->image_path);
        fd = safe_close(fd);

        k = luks_format(r->image_path, r, password);
        if (k < 0)
                return agent_error_set(e, k, AGENT_ERROR_FAILED, "LUKS2 format of %s failed: %s.", r->image_path, strerror(-k));
        key = secret_alloc(LUKS_VOLUME_KEY_MAX);
        if (!key)
                return -ENOMEM;
        k = luks_get_volume_key(r->image_path, password, key, &key_size, &geo);
        if (k < 0)
                return agent_error_set(e, k, AGENT_ERROR_FAILED, "Reopening the new image failed: %s.", strerror(-k));
        k = home_runtime_dir(&tmp, runtime, sizeof(runtime));
        if (k < 0)
                return k;
        k = activation_start(&act, config->activation, config->cryptdev, r->image_path,
                             r->user_name, runtime, key, key_size, &geo, r->luks_discard);
        if (k < 0)
                return agent_error_set(e, k, AGENT_ERROR_FAILED, "Activating the new image failed: %s.", strerror(-k));
        k = backing_mkfs(act.device, r->user_name);
        if (k >= 0)
                k = backing_mount(act.device, false, &mount_fd);
        if (k >= 0)
                k = backing_populate(mount_fd, r->user_name, r->uid, r->gid, config->skel);
        if (k >= 0)
                k = backing_sync(mount_fd);
        mount_fd = safe_close(mount_fd);
        (void) activation_stop(&act);
        if (k < 0)
                return agent_error_set(e, k, AGENT_ERROR_FAILED, "Making the filesystem of the new home failed: %s.", strerror(-k));
        return 0;
}

/* An image moved here: the password must open it. */
static int check_adopted_image(const struct user_record *r, const char *password, struct agent_error *e) {
        _cleanup_secret_ void *key = secret_alloc(LUKS_VOLUME_KEY_MAX);
        size_t key_size = 0;
        int k;

        if (!key)
                return -ENOMEM;
        k = luks_get_volume_key(r->image_path, password, key, &key_size, NULL);
        if (k == -EPERM)
                return agent_error_set(e, k, AGENT_ERROR_BAD_CREDENTIALS, "The password does not open %s.", r->image_path);
        if (k < 0)
                return agent_error_set(e, k, AGENT_ERROR_FAILED, "%s is not a LUKS2 image homefs can open: %s.",
                                       r->image_path, strerror(-k));
        return 0;
}

/* The mountpoint, made below the checked parent's fd: root's, mode 0000. */
static int make_mountpoint(const struct user_record *r, struct agent_error *e) {
        const char *name;
        _cleanup_close_ int dir_fd = home_path_parent("home directory", r->home_directory, &name, e);
        struct stat st;

        if (dir_fd < 0)
                return dir_fd;
        if (mkdirat(dir_fd, name, 0000) < 0 && errno != EEXIST)
                return agent_error_set(e, -errno, AGENT_ERROR_FAILED, "Cannot create %s: %m.", r->home_directory);
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
            (st.st_mode & 022))
                return agent_error_set(e, -EEXIST, AGENT_ERROR_HOME_EXISTS,
                                       "%s appeared meanwhile and is not root's directory; move it away first.",
                                       r->home_directory);
        return 0;
}

static void rollback(const struct user_record *r, const struct create_progress *p) {
        if (p->image && unlink(r->image_path) < 0)
                log_warning_errno(-errno, "rollback: removing %s: %m", r->image_path);
        if (p->accounts)
                (void) accounts_remove(r->user_name);
        if (p->mountpoint)
                (void) rmdir(r->home_directory);
        (void) user_record_delete(registry_records_fd(), r->user_name);
}

static int create_locked(const struct agent_config *config, struct user_record *r, const char *password,
                         const struct create_options *o, bool *ret_overcommitted, struct agent_error *e) {
        struct create_progress p = { .adopt = o->adopt };
        _cleanup_free_ char *error = NULL;
        int k, lock_fd;

        lock_fd = accounts_lock();
        k = check_names(r, &p, e);
        if (k >= 0 && !p.adopting)
                k = choose_disk_size(r, o->disk_size_percent, e);
        /* An adopted image's size is what it is: only new ones are checked. */
        if (k >= 0 && !p.adopting)
                k = host_room_check(r->image_path, r->user_name, r->disk_size, 0, o->allow_overcommit,
                                    ret_overcommitted, e);
        /* Complete now: uid, gid and size are chosen. */
        if (k >= 0 && (k = user_record_validate(r, &error)) < 0)
                agent_error_set(e, k, AGENT_ERROR_INVALID_RECORD, "Invalid record: %s.", error ? error : strerror(-k));
        if (k < 0) {
                accounts_unlock(lock_fd);
                return k;
        }
        r->last_change_usec = now_usec();
        /* The accounts first: they fix the uid, which owns the home inside
         * the image. */
        p.accounts = true;
        k = accounts_add(r, config->login_shell, p.uid_auto);
        accounts_unlock(lock_fd);
        if (k < 0) {
                agent_error_set(e, k, AGENT_ERROR_FAILED, "Adding the user %s to passwd/group failed.", r->user_name);
                goto fail;
        }
        if (p.adopting)
                k = check_adopted_image(r, password, e);
        else {
                r->last_password_change_usec = r->last_change_usec;
                p.image = true;
                k = make_image(config, r, password, e);
        }
        if (k < 0)
                goto fail;
        p.mountpoint = true;
        /* While no homefsd runs, the mountpoint is a root-owned 0000 directory:
         * nothing can be stored in it by mistake. */
        k = make_mountpoint(r, e);
        if (k < 0)
                goto fail;
        k = user_record_save(registry_records_fd(), r);
        if (k < 0) {
                agent_error_set(e, k, AGENT_ERROR_FAILED, "Saving the record of %s failed: %s.", r->user_name, strerror(-k));
                goto fail;
        }
        return 0;
fail:
        rollback(r, &p);
        return k;
}

int home_create(const struct agent_config *config, struct json_object *record, const char *password,
                const struct create_options *o, struct user_record **ret, bool *ret_overcommitted,
                struct agent_error *e) {
        _cleanup_record_ struct user_record *r = NULL;
        _cleanup_free_ char *error = NULL;
        struct user_record *copy = NULL;
        struct home *h = NULL;
        int k;

        k = user_record_from_json(record, "request", &r, &error);
        if (k >= 0)
                k = user_record_apply_defaults(r);
        if (k < 0)
                return agent_error_set(e, k, AGENT_ERROR_INVALID_RECORD, "Invalid record: %s.", error ? error : strerror(-k));

        pthread_mutex_lock(&create_mutex);
        *ret_overcommitted = false;
        k = create_locked(config, r, password, o, ret_overcommitted, e);
        if (k >= 0) {
                struct json_object *j = user_record_to_json(r);

                k = j ? user_record_from_json(j, "self", &copy, NULL) : -ENOMEM;
                json_object_put(j);
                if (k >= 0)
                        k = registry_add(config, TAKE_PTR(r), &h);
        }
        pthread_mutex_unlock(&create_mutex);
        if (k < 0) {
                user_record_free(copy);
                return k;
        }

        pthread_mutex_lock(&h->lock);
        if (front_ensure(h) < 0)
                log_warning("home of %s created, but homefsd did not start; it stays inactive", h->user_name);
        pthread_mutex_unlock(&h->lock);
        home_unref(h);
        *ret = copy;
        log_info("created home of %s", copy->user_name);
        return 0;
}
