/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The parts of the kernel's include/uapi/linux/fuse.h (protocol 7.42) that
 * Debian 12's headers and libfuse 3.14 predate: the INIT reply's flags2 and
 * max_stack_depth, the OPEN reply's backing id (passthrough), and the
 * FUSE-over-io_uring ring entries, and FUSE_HANDLE_KILLPRIV_V2. Used by
 * the libfuse 3.14 device I/O (devio-fuse314.c, passthrough-fuse314.c,
 * uring-liburing.c). */

#include <stddef.h>
#include <stdint.h>

#define K_FUSE_FORGET 2
#define K_FUSE_INIT 26
#define K_FUSE_BATCH_FORGET 42
#define K_FUSE_HANDLE_KILLPRIV_V2 (1U << 28)
#define K_FUSE_INIT_EXT (1U << 30)
#define K_FUSE_PASSTHROUGH_FLAGS2 (1U << (37 - 32))
#define K_FUSE_OVER_IO_URING_FLAGS2 (1U << (41 - 32))
#define K_FOPEN_PASSTHROUGH (1U << 7)

struct k_fuse_in_header {
        uint32_t len;
        uint32_t opcode;
        uint64_t unique;
        uint64_t nodeid;
        uint32_t uid;
        uint32_t gid;
        uint32_t pid;
        uint16_t total_extlen;
        uint16_t padding;
};
_Static_assert(sizeof(struct k_fuse_in_header) == 40, "fuse_in_header layout");

struct k_fuse_out_header {
        uint32_t len;
        int32_t error;
        uint64_t unique;
};

/* fuse_init_in as of 7.36: flags2 follows flags when FUSE_INIT_EXT is set. */
struct k_fuse_init_in {
        uint32_t major;
        uint32_t minor;
        uint32_t max_readahead;
        uint32_t flags;
        uint32_t flags2;
        uint32_t unused[11];
};

/* fuse_init_out as of 7.40: max_stack_depth took the first unused word. */
struct k_fuse_init_out {
        uint32_t major;
        uint32_t minor;
        uint32_t max_readahead;
        uint32_t flags;
        uint16_t max_background;
        uint16_t congestion_threshold;
        uint32_t max_write;
        uint32_t time_gran;
        uint16_t max_pages;
        uint16_t map_alignment;
        uint32_t flags2;
        uint32_t max_stack_depth;
        uint32_t unused[6];
};
_Static_assert(offsetof(struct k_fuse_init_out, max_stack_depth) == 36, "fuse_init_out layout");

/* fuse_open_out as of 7.40: backing_id took the padding. */
struct k_fuse_open_out {
        uint64_t fh;
        uint32_t open_flags;
        int32_t backing_id;
};
_Static_assert(offsetof(struct k_fuse_open_out, backing_id) == 12, "fuse_open_out layout");

/* ---- FUSE over io_uring (7.42, kernel 6.14) ---- */

#define K_FUSE_URING_IN_OUT_HEADER_SZ 128
#define K_FUSE_URING_OP_IN_OUT_SZ 128
#define K_FUSE_IO_URING_CMD_REGISTER 1
#define K_FUSE_IO_URING_CMD_COMMIT_AND_FETCH 2

struct k_fuse_uring_ent_in_out {
        uint64_t flags;
        uint64_t commit_id; /* the request's unique */
        uint32_t payload_sz; /* bytes used in the payload buffer, both ways */
        uint32_t padding;
        uint64_t reserved;
};

/* A ring entry's header buffer (the first iovec of REGISTER). The kernel
 * puts the fuse_in_header in in_out, the request's first argument (its
 * per-operation header, possibly empty) in op_in and every other argument
 * in the payload buffer; a reply is a fuse_out_header in in_out and all of
 * its arguments in the payload buffer. */
struct k_fuse_uring_req_header {
        char in_out[K_FUSE_URING_IN_OUT_HEADER_SZ];
        char op_in[K_FUSE_URING_OP_IN_OUT_SZ];
        struct k_fuse_uring_ent_in_out ring_ent_in_out;
};

/* In the 80-byte command area of a 128-byte SQE. */
struct k_fuse_uring_cmd_req {
        uint64_t flags;
        uint64_t commit_id;
        uint16_t qid;
        uint8_t padding[6];
};
