/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Lock with sessions kept: the activation stays, its key goes. dm-crypt's
 * suspend wipes the key from the kernel and queues I/O; homefs-cryptdev does
 * the same in userspace on its control channel (cryptdev/cryptdev-key.c). */
#include <errno.h>
#include <libcryptsetup.h>

#include "activation-userspace.h"
#include "activation.h"
#include "log.h"
#include "macro.h"

/* Wiping waits for the requests in flight (each one sector run of pread or
 * pwrite on the image); giving the key back builds a few cipher contexts. */
#define CONTROL_TIMEOUT_MS 30000

static int dm_crypt_call(struct activation *a, const void *key, size_t key_size, bool suspend) {
        struct crypt_device *cd = NULL;
        int r;

        r = crypt_init_by_name(&cd, a->dm_name);
        if (r >= 0)
                r = suspend ? crypt_suspend(cd, a->dm_name)
                            : crypt_resume_by_volume_key(cd, a->dm_name, key, key_size);
        crypt_free(cd);
        return r;
}

int activation_suspend(struct activation *a) {
        int r;

        if (a->suspended)
                return 0;
        if (a->dm_name[0])
                r = dm_crypt_call(a, NULL, 0, true);
        else if (a->control_fd >= 0)
                r = cryptdev_control(a->control_fd, 'W', NULL, 0, CONTROL_TIMEOUT_MS);
        else
                r = -ENODEV;
        if (r < 0)
                return log_error_errno(r, "wiping the key of %s failed: %m", a->device);
        a->suspended = true;
        return 0;
}

int activation_resume(struct activation *a, const void *key, size_t key_size) {
        int r;

        if (!a->suspended)
                return 0;
        if (a->dm_name[0])
                r = dm_crypt_call(a, key, key_size, false);
        else
                r = cryptdev_control(a->control_fd, 'K', key, key_size, CONTROL_TIMEOUT_MS);
        if (r < 0)
                return log_error_errno(r, "giving the key of %s back failed: %m", a->device);
        a->suspended = false;
        return 0;
}

int activation_fail_held(struct activation *a) {
        if (!a->suspended)
                return 0;
        /* dm-crypt: a suspended device cannot fail its queue; the teardown
         * resumes nothing and crypt_deactivate with the queue pending
         * would hang, so the device is replaced by an error target. */
        if (a->dm_name[0]) {
                struct crypt_device *cd = NULL;
                int r = crypt_init_by_name(&cd, a->dm_name);

                if (r >= 0)
                        r = crypt_deactivate_by_name(cd, a->dm_name, CRYPT_DEACTIVATE_FORCE);
                crypt_free(cd);
                if (r >= 0)
                        a->dm_name[0] = 0;
                return r;
        }
        if (a->control_fd < 0)
                return -ENODEV;
        return cryptdev_control(a->control_fd, 'F', NULL, 0, CONTROL_TIMEOUT_MS);
}
