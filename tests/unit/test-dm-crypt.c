/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dm-crypt activation and teardown sequence (keyagent/dm-crypt.c) with a
 * fake device-mapper: deactivation while held is retried and then deferred,
 * a stale mapping of the same image is taken over at activation, one of
 * another image is refused. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dm-crypt.h"
#include "tap.h"

struct fake {
        bool mapped;            /* a mapping of our name exists */
        const char *mapping_uuid, *image_uuid;
        unsigned busy_for;      /* deactivations that fail with EBUSY first */
        unsigned deactivations, deferred, activations, slept_ms;
        bool pending_deferred;
};

static int f_image_uuid(void *u, const char *image, char *buf, size_t size) {
        snprintf(buf, size, "%s", ((struct fake *) u)->image_uuid);
        return 0;
}

static int f_mapping_uuid(void *u, const char *name, char *buf, size_t size) {
        struct fake *f = u;

        if (!f->mapped)
                return -ENODEV;
        snprintf(buf, size, "%s", f->mapping_uuid);
        return 0;
}

static int f_activate(void *u, const char *image, const char *name, const void *key, size_t key_size, bool discard) {
        struct fake *f = u;

        if (f->mapped)
                return -EEXIST; /* what device-mapper answers */
        f->activations++;
        f->mapped = true;
        f->mapping_uuid = f->image_uuid;
        return 0;
}

static int f_deactivate(void *u, const char *name, bool deferred) {
        struct fake *f = u;

        if (!f->mapped)
                return -ENODEV;
        if (deferred) {
                f->deferred++;
                f->pending_deferred = true;
                return 0;
        }
        f->deactivations++;
        if (f->busy_for > 0) {
                f->busy_for--;
                return -EBUSY;
        }
        f->mapped = false;
        return 0;
}

static void f_sleep_ms(void *u, unsigned ms) {
        ((struct fake *) u)->slept_ms += ms;
}

static const struct dm_crypt_ops fake_ops = {
        .image_uuid = f_image_uuid,
        .mapping_uuid = f_mapping_uuid,
        .activate = f_activate,
        .deactivate = f_deactivate,
        .sleep_ms = f_sleep_ms,
};

static const char key[64];

int main(void) {
        struct fake f;

        tap_plan(0);

        f = (struct fake) { .mapped = true, .mapping_uuid = "A", .image_uuid = "A", .busy_for = 3 };
        TAP_EQ_INT(dm_crypt_deactivate(&fake_ops, &f, "homefs-u"), 0, "deactivate held 3 times: retried until free");
        TAP_EQ_INT(f.deactivations, 4, "... 4 attempts");
        tap_ok(!f.mapped && f.deferred == 0, "... the mapping is gone, nothing deferred");
        tap_ok(f.slept_ms > 0 && f.slept_ms < 2000, "... waiting between attempts (%u ms)", f.slept_ms);

        f = (struct fake) { .mapped = true, .mapping_uuid = "A", .image_uuid = "A", .busy_for = 1000 };
        TAP_EQ_INT(dm_crypt_deactivate(&fake_ops, &f, "homefs-u"), -EBUSY, "held for good: -EBUSY");
        TAP_EQ_INT(f.deactivations, DM_CRYPT_BUSY_TRIES, "... after every attempt");
        tap_ok(f.deferred == 1 && f.pending_deferred, "... and deferred removal is requested");
        tap_ok(f.slept_ms <= DM_CRYPT_BUSY_TRIES * 1000, "... bounded in time (%u ms)", f.slept_ms);

        f = (struct fake) {};
        TAP_EQ_INT(dm_crypt_deactivate(&fake_ops, &f, "homefs-u"), 0, "no mapping: nothing to do");

        f = (struct fake) { .image_uuid = "A" };
        TAP_EQ_INT(dm_crypt_activate(&fake_ops, &f, "/img", "homefs-u", key, sizeof(key), false), 0, "a fresh activation");
        tap_ok(f.activations == 1 && f.deactivations == 0, "... activates once, tears nothing down");

        f = (struct fake) { .mapped = true, .mapping_uuid = "A", .image_uuid = "A", .busy_for = 2 };
        TAP_EQ_INT(dm_crypt_activate(&fake_ops, &f, "/img", "homefs-u", key, sizeof(key), false), 0,
                   "a stale mapping of the same image (held twice more) is taken over");
        tap_ok(f.deactivations == 3 && f.activations == 1 && f.mapped, "... torn down with retries, then activated anew");

        f = (struct fake) { .mapped = true, .mapping_uuid = "A", .image_uuid = "A", .busy_for = 1000 };
        TAP_EQ_INT(dm_crypt_activate(&fake_ops, &f, "/img", "homefs-u", key, sizeof(key), false), -EBUSY,
                   "a stale mapping still held refuses the unlock with EBUSY");
        tap_ok(f.activations == 0 && f.pending_deferred, "... activates nothing, the old one goes when released");

        f = (struct fake) { .mapped = true, .mapping_uuid = "B", .image_uuid = "A" };
        TAP_EQ_INT(dm_crypt_activate(&fake_ops, &f, "/img", "homefs-u", key, sizeof(key), false), -EEXIST,
                   "a mapping of that name over another image is refused");
        tap_ok(f.deactivations == 0 && f.activations == 0 && f.mapped, "... and left alone");
        return tap_done();
}
