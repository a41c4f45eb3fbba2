/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Clearing suid/sgid and security.capability (FUSE_HANDLE_KILLPRIV_V2).
 *
 * With KILLPRIV_V2 the kernel no longer asks for security.capability
 * (GETXATTR) on every write to decide whether to clear privileges: the FUSE
 * superblock is SB_NOSEC and the server clears them. homefsd lets the
 * backing filesystem do it, as it would natively: the write, truncate,
 * O_TRUNC open or chown runs without CAP_FSETID in this thread's effective
 * set, so the backing kernel clears suid/sgid (and always removes
 * security.capability). CAP_FSETID stays for everything else (chmod,
 * create): there the FUSE kernel has already applied the caller's rights.
 *
 * Which requests: those for which the kernel sets the KILL_SUIDGID flags,
 * which libfuse 3.14 does not pass on. The kernel sets them when the caller
 * lacks CAP_FSETID (write, truncate, O_TRUNC open) and for every chown of a
 * non-directory; fallocate and copy_file_range carry no flag, but with
 * KILLPRIV_V2 the kernel leaves their clearing to the server too, so they
 * are treated as writes; homefsd takes "the caller is not uid 0" for "lacks
 * CAP_FSETID". Passthrough writes never reach homefsd: the kernel runs them
 * with the credentials of the backing id's open, so that is made without
 * CAP_FSETID too, and suid/sgid are cleared on every passthrough write. */

#include <linux/capability.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "front.h"

static int caps(int set, struct __user_cap_data_struct d[2]) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

        return (int) syscall(set ? SYS_capset : SYS_capget, &h, d);
}

/* This thread's capabilities as they are outside fsetid_drop(): read once.
 * Nothing else in homefsd changes a thread's capabilities (fsuid switches
 * keep them: SECBIT_NO_SETUID_FIXUP), so the copy stays true, and a drop and
 * its restore cost one capset() each, not a capget() as well. */
static __thread struct __user_cap_data_struct thread_caps[2];
static __thread bool thread_caps_known;

bool fsetid_drop(void) {
        struct __user_cap_data_struct d[2];

        if (!thread_caps_known) {
                if (caps(0, thread_caps) < 0)
                        return false;
                thread_caps_known = true;
        }
        if (!(thread_caps[0].effective & (1U << CAP_FSETID)))
                return false;
        memcpy(d, thread_caps, sizeof(d));
        d[0].effective &= ~(1U << CAP_FSETID);
        return caps(1, d) == 0;
}

void fsetid_restore(bool dropped) {
        struct __user_cap_data_struct d[2];

        if (!dropped)
                return;
        memcpy(d, thread_caps, sizeof(d));
        (void) caps(1, d);
}

bool killpriv_for_caller(fuse_req_t req) {
        return fuse_req_ctx(req)->uid != 0;
}
