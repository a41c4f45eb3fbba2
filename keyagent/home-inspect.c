/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>
#include <sys/statfs.h>

#include "home-ops.h"
#include "host-room.h"
#include "log.h"
#include "luks-token.h"

/* diskSize (the image's size), imageAllocated (bytes it takes on the host);
 * hostFree (what the filesystem holding the image has free) and
 * hostUnpromised (that, less what every home on it may still claim: 0 when
 * overcommitted); while unlocked fileSystemSize and fileSystemUsed as df
 * counts them. */
void home_add_sizes(struct home *h, struct json_object *o) {
        struct host_room room;
        struct statfs sf;
        struct stat st;

        if (stat(h->record->image_path, &st) == 0) {
                json_object_object_add(o, "diskSize", json_object_new_uint64((uint64_t) st.st_size));
                json_object_object_add(o, "imageAllocated", json_object_new_uint64((uint64_t) st.st_blocks * 512));
        }
        if (host_room_get(h->record->image_path, NULL, &room) >= 0) {
                json_object_object_add(o, "hostFree", json_object_new_uint64(room.free));
                json_object_object_add(o, "hostUnpromised",
                                       json_object_new_uint64(room.free > room.promised ? room.free - room.promised : 0));
        }
        if (h->unlocked && h->mount_fd >= 0 && fstatfs(h->mount_fd, &sf) == 0) {
                json_object_object_add(o, "fileSystemSize", json_object_new_uint64((uint64_t) sf.f_blocks * sf.f_bsize));
                json_object_object_add(o, "fileSystemUsed",
                                       json_object_new_uint64((uint64_t) (sf.f_blocks - sf.f_bfree) * sf.f_bsize));
        }
}

void home_add_details(struct home *h, struct json_object *o) {
        struct json_object *creds = NULL;

        if (luks_list_credentials(h->record->image_path, &creds) >= 0)
                json_object_object_add(o, "credentials", creds);
        if (h->unlocked)
                json_object_object_add(o, "activation",
                                       json_object_new_string(h->activation.dm_name[0] ? "dm-crypt" : "userspace"));
        json_object_object_add(o, "holders", home_holders(h->record->home_directory));
}
