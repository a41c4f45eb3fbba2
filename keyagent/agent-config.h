/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "activation-mode.h"

#define AGENT_FIDO2_DEVICES_MAX 8U
#define AGENT_PKCS11_MODULES_MAX 8U

/* The agent's settings, fixed at start (command line). main() owns the one
 * instance; what needs a setting is handed it: a home through its config
 * pointer (home.h), a client connection through dispatch_connection(). */
struct agent_config {
        char homefsd[PATH_MAX];   /* the front daemon binary */
        char cryptdev[PATH_MAX];  /* the userspace crypto engine binary */
        char skel[PATH_MAX];      /* skeleton for new homes */
        enum activation_mode activation;
        unsigned front_timeout_sec; /* how long a homefsd may take to answer */
        int idle_timeout_ms;      /* a client must send a whole message within this */
        char fido2_devices[AGENT_FIDO2_DEVICES_MAX][PATH_MAX]; /* --fido2-device, besides HID */
        unsigned n_fido2_devices;
        bool lock_drop_caches;    /* lock drops the page cache (home-lock.c) */
        char pkcs11_modules[AGENT_PKCS11_MODULES_MAX][PATH_MAX]; /* --pkcs11-module, besides p11-kit's proxy */
        unsigned n_pkcs11_modules;
        char login_shell[PATH_MAX]; /* the passwd shell of homefs users; "" = the record's shell */
        char userdb_socket[PATH_MAX]; /* io.systemd.UserDatabase socket, "" for none */
        bool fuse_io_uring;       /* turn on the kernel's FUSE over io_uring at start */
};
