/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A client of the ssh-agent protocol (draft-miller-ssh-agent): list the
 * agent's keys, ask it to sign. Everything the agent answers is checked
 * (it may be a forwarded socket, with anything at the other end). */

#define SSH_AGENT_MESSAGE_MAX (256U * 1024U) /* OpenSSH's own bound */
#define SSH_AGENT_KEYS_MAX 1024U
#define SSH_AGENT_TIMEOUT_MS 60000 /* "ssh-add -c" waits for a person */
#define SSH_AGENT_RSA_SHA2_512 0x04U /* SIGN_REQUEST flag: sign with rsa-sha2-512 */

struct ssh_agent_identity {
        uint8_t *blob;
        size_t blob_len;
};

/* Connect to the agent's socket (SSH_AUTH_SOCK). Returns the fd. */
int ssh_agent_connect(const char *path);

/* REQUEST_IDENTITIES: the key blobs the agent holds. Free with
 * ssh_agent_identities_free(). */
int ssh_agent_list(int fd, struct ssh_agent_identity **ret, size_t *ret_n);
void ssh_agent_identities_free(struct ssh_agent_identity *ids, size_t n);

/* SIGN_REQUEST: the signature blob (string algorithm, string signature;
 * malloc'ed, wipe before freeing). -EACCES when the agent refuses (no such
 * key, the user declined an "ssh-add -c" confirmation). */
int ssh_agent_sign(int fd, const uint8_t *blob, size_t blob_len, const uint8_t *data, size_t data_len,
                   uint32_t flags, uint8_t **ret, size_t *ret_len);
