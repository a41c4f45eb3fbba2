/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "agent-config.h"
#include "backing.h"
#include "front.h"
#include "home-ops.h"
#include "home-paths.h"
#include "log.h"
#include "luks.h"
#include "registry.h"
#include "secret.h"
#include "spool.h"
#include "time-util.h"
#include "unlock-methods.h"

int home_check_login(struct home *h, struct agent_error *e) {
        switch (user_record_check_login(h->record, now_usec())) {
        case -EKEYREVOKED:
                return agent_error_set(e, -EPERM, AGENT_ERROR_ACCOUNT_LOCKED,
                                       "The account %s is locked; an administrator can unlock it with 'homefsctl update %s --locked=no'.",
                                       h->user_name, h->user_name);
        case -EKEYEXPIRED:
                return agent_error_set(e, -EKEYEXPIRED, AGENT_ERROR_ACCOUNT_EXPIRED,
                                       "The account %s has expired (notAfterUSec); ask an administrator.", h->user_name);
        case -ETIME:
                return agent_error_set(e, -EKEYEXPIRED, AGENT_ERROR_ACCOUNT_EXPIRED,
                                       "The account %s is not valid yet (notBeforeUSec); ask an administrator.", h->user_name);
        }
        return 0;
}

/* Check the account and the rate limit before any expensive work. */
static int unlock_precheck(struct home *h, struct agent_error *e) {
        uint64_t retry = 0;
        int r;

        r = home_check_login(h, e);
        if (r < 0)
                return r;
        r = home_paths_check(h->record, e);
        if (r < 0)
                return r;
        r = home_image_check(h->record->image_path, e);
        if (r < 0)
                return r;
        if (!home_ratelimit_check(h, &retry)) {
                e->retry_after_usec = retry;
                return agent_error_set(e, -EAGAIN, AGENT_ERROR_RATE_LIMITED,
                                       "Too many failed attempts for %s; try again in %llu s.",
                                       h->user_name, (unsigned long long) ((retry + 999999) / 1000000));
        }
        return 0;
}

/* Activate, check and mount the filesystem, and hand the home to the front. */
static int unlock_attach(struct home *h, const void *key, size_t key_size, const struct luks_geometry *geo,
                         struct agent_error *e) {
        char runtime[PATH_MAX];
        int mount_fd = -1, home_fd = -1, r;

        r = home_runtime_dir(h, runtime, sizeof(runtime));
        if (r < 0)
                return r;
        r = activation_start(&h->activation, h->config->activation, h->config->cryptdev,
                             h->record->image_path, h->user_name, runtime, key, key_size, geo,
                             h->record->luks_discard);
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED,
                                       "Activating the image of %s failed: %s.", h->user_name, strerror(-r));
        r = backing_fsck(h->activation.device);
        /* After a resize while locked, a shrink to "min", or an online
         * growth the kernel refused. */
        if (r >= 0 && backing_grow_offline(h->activation.device) < 0)
                log_warning("the filesystem of %s could not grow to its device; it keeps its size", h->user_name);
        if (r >= 0)
                r = backing_mount(h->activation.device, h->record->luks_discard, &mount_fd);
        if (r >= 0)
                r = backing_open_home(mount_fd, h->user_name, &home_fd);
        if (r >= 0)
                r = front_attach(h, home_fd);
        safe_close(home_fd);
        if (r < 0) {
                safe_close(mount_fd);
                (void) activation_stop(&h->activation);
                return agent_error_set(e, r, AGENT_ERROR_FAILED,
                                       "Mounting the home of %s failed: %s.", h->user_name, strerror(-r));
        }
        h->mount_fd = mount_fd;
        h->activated = true;
        /* One of the two places a home becomes usable, whoever asked
         * (Unlock, Activate, a login session; the other is home_resume()):
         * queued jobs run now. */
        spool_run_after_unlock(h);
        return 0;
}

int home_verify_secrets(struct home *h, const struct unlock_secrets *secrets, void **key, size_t *key_size,
                        struct luks_geometry *geo, struct agent_error *e) {
        int r;

        r = unlock_precheck(h, e);
        if (r < 0)
                return r;
        *key = secret_alloc(LUKS_VOLUME_KEY_MAX);
        if (!*key)
                return -ENOMEM;
        return unlock_methods_get_key(h, secrets, *key, key_size, geo, e);
}

int home_verify(struct home *h, const char *password, void **key, size_t *key_size,
                struct luks_geometry *geo, struct agent_error *e) {
        return home_verify_secrets(h, &(struct unlock_secrets) { .password = password }, key, key_size, geo, e);
}

int home_unlock(struct home *h, const struct unlock_secrets *secrets, bool *already, struct agent_error *e) {
        _cleanup_secret_ void *key = NULL;
        struct luks_geometry geo;
        size_t key_size = 0;
        int r;

        *already = false;
        r = home_verify_secrets(h, secrets, &key, &key_size, &geo, e);
        if (r < 0)
                return r;
        if (h->activated && h->activation.suspended)
                return home_resume(h, key, key_size, e);
        if (h->activated) {
                *already = true;
                return 0;
        }
        r = front_ensure(h);
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FRONT_NOT_RUNNING,
                                       "homefsd for %s is not running and could not be started; see the agent's log.", h->user_name);
        return unlock_attach(h, key, key_size, &geo, e);
        /* key is wiped and freed on return: activation is done with it. */
}

int home_authenticate(struct home *h, const char *password, struct agent_error *e) {
        _cleanup_secret_ void *key = NULL;
        struct luks_geometry geo;
        size_t key_size = 0;

        return home_verify(h, password, &key, &key_size, &geo, e);
}

int home_passwd(struct home *h, const char *old_password, const char *new_password, struct agent_error *e) {
        int r;

        r = unlock_precheck(h, e);
        if (r < 0)
                return r;
        r = luks_change_password(h->record->image_path, h->record, old_password, new_password);
        if (r == -EPERM) {
                home_note_failed_attempt(h);
                return agent_error_set(e, r, AGENT_ERROR_BAD_CREDENTIALS, "Wrong current password for %s.", h->user_name);
        }
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Changing the password of %s failed: %s.",
                                       h->user_name, strerror(-r));
        home_note_good_attempt(h);
        h->record->last_password_change_usec = h->record->last_change_usec = now_usec();
        r = user_record_save(registry_records_fd(), h->record);
        if (r < 0)
                log_warning_errno(r, "password of %s changed, but saving its record failed: %m", h->user_name);
        return 0;
}
