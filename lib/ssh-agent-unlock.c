/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "base64.h"
#include "macro.h"
#include "secret.h"
#include "ssh-agent-client.h"
#include "ssh-agent-unlock.h"
#include "ssh-key.h"
#include "ssh-unlock.h"

static void close_fdp(int *fd) {
        if (*fd >= 0)
                close(*fd);
}

static void identities_freep(struct ssh_agent_identity **ids, size_t n) {
        ssh_agent_identities_free(*ids, n);
}

static bool agent_holds(const struct ssh_agent_identity *ids, size_t n, const struct ssh_pubkey *k) {
        for (size_t i = 0; i < n; i++)
                if (ids[i].blob_len == k->blob_len && memcmp(ids[i].blob, k->blob, k->blob_len) == 0)
                        return true;
        return false;
}

static uint32_t sign_flags(const struct ssh_pubkey *k) {
        return k->type == SSH_KEY_RSA ? SSH_AGENT_RSA_SHA2_512 : 0;
}

/* The signature blob, base64, in secret memory. */
static int sign_base64(int fd, const struct ssh_pubkey *k, const uint8_t *data, size_t len, char **ret) {
        uint8_t *sig = NULL;
        size_t sig_len = 0;
        int r;

        r = ssh_agent_sign(fd, k->blob, k->blob_len, data, len, sign_flags(k), &sig, &sig_len);
        if (r < 0)
                return r;
        *ret = base64_encode_secret(sig, sig_len);
        explicit_bzero(sig, sig_len);
        free(sig);
        return *ret ? 0 : -ENOMEM;
}

static int call_unlock(struct proto_conn *c, const char *user, const struct ssh_pubkey *k, const char *sig_b64,
                       bool *already, struct agent_error *e) {
        _cleanup_free_ char *line = ssh_pubkey_to_line(k);
        struct json_object *params = json_object_new_object(), *s = json_object_new_object(), *reply = NULL;
        int r;

        if (!line || !params || !s) {
                json_object_put(params);
                json_object_put(s);
                return -ENOMEM;
        }
        json_object_object_add(s, "publicKey", json_object_new_string(line));
        json_object_object_add(s, "signature", json_object_new_string(sig_b64));
        json_object_object_add(params, "userName", json_object_new_string(user));
        json_object_object_add(params, "sshAgentSignature", s);
        json_object_get(params); /* to wipe it after the call */
        r = agent_call(c, AGENT_INTERFACE ".Unlock", params, true, &reply, e);
        ssh_unlock_wipe_signatures(params);
        json_object_put(params);
        if (r >= 0)
                (void) proto_get_bool(reply, "alreadyActive", already);
        json_object_put(reply);
        return r;
}

/* Try one challenge {publicKey, challenge} if the ssh-agent holds its key:
 * -ENOKEY if it does not, -EACCES if it refuses to sign, another errno of
 * the ssh-agent's or (e filled) of Unlock's. */
static int try_challenge(struct proto_conn *c, const char *user, int fd, const struct ssh_agent_identity *ids,
                         size_t n_ids, struct json_object *ch, bool *already, struct agent_error *e) {
        _cleanup_free_ void *data = NULL;
        _cleanup_secret_ char *sig = NULL;
        struct ssh_pubkey k;
        const char *line, *b64;
        size_t len;
        int r;

        if (proto_get_string(ch, "publicKey", PROTO_MESSAGE_MAX, &line) < 0 ||
            proto_get_string(ch, "challenge", PROTO_MESSAGE_MAX, &b64) < 0 || base64_decode(b64, &data, &len) < 0)
                return -EBADMSG;
        /* Only a homefs challenge for this user is signed, whatever the
         * other end of the socket asks. */
        if (!ssh_unlock_challenge_is_for(data, len, user) || ssh_pubkey_parse_line(line, &k, NULL) < 0)
                return -ENOKEY;
        if (!agent_holds(ids, n_ids, &k)) {
                ssh_pubkey_clear(&k);
                return -ENOKEY;
        }
        r = sign_base64(fd, &k, data, len, &sig);
        if (r >= 0)
                r = call_unlock(c, user, &k, sig, already, e);
        ssh_pubkey_clear(&k);
        return r;
}

static int get_challenges(struct proto_conn *c, const char *user, struct json_object **ret, struct agent_error *e) {
        struct json_object *params = json_object_new_object(), *reply = NULL, *arr;
        int r;

        if (!params)
                return -ENOMEM;
        json_object_object_add(params, "userName", json_object_new_string(user));
        r = agent_call(c, AGENT_INTERFACE ".GetSshUnlockChallenges", params, false, &reply, e);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(reply, "challenges", &arr) || !json_object_is_type(arr, json_type_array)) {
                json_object_put(reply);
                return -EBADMSG;
        }
        *ret = json_object_get(arr);
        json_object_put(reply);
        return 0;
}

int ssh_agent_unlock(struct proto_conn *c, const char *user, const char *auth_sock, bool *already, char *why,
                     size_t why_size, struct agent_error *e) {
        _cleanup_(close_fdp) int fd = -1;
        struct json_object *challenges = NULL;
        struct ssh_agent_identity *ids = NULL;
        size_t n_ids = 0, n;
        bool refused = false;
        int r;

        why[0] = 0;
        *already = false;
        r = get_challenges(c, user, &challenges, e);
        if (r < 0)
                return r;
        n = json_object_array_length(challenges);
        if (n == 0)
                r = -ENOKEY; /* nothing enrolled: nothing to say */
        else if (!auth_sock || !auth_sock[0]) {
                snprintf(why, why_size, "No SSH agent was forwarded (ssh -A), so no key can unlock the home of %s.", user);
                r = -ENOKEY;
        } else if ((fd = ssh_agent_connect(auth_sock)) < 0 || (r = ssh_agent_list(fd, &ids, &n_ids)) < 0) {
                snprintf(why, why_size, "Cannot ask the SSH agent for its keys: %s.", strerror(fd < 0 ? -fd : -r));
                r = -ENOKEY;
        } else {
                r = -ENOKEY;
                for (size_t i = 0; i < n && r == -ENOKEY; i++) {
                        r = try_challenge(c, user, fd, ids, n_ids, json_object_array_get_idx(challenges, i), already, e);
                        /* The ssh-agent refused, timed out or went away
                         * (homefs-agent's errors have e filled): try the
                         * next key, then say so. */
                        if (r < 0 && r != -ENOKEY && e->origin == AGENT_ERROR_NONE) {
                                refused = true;
                                r = -ENOKEY;
                        }
                }
                if (r == -ENOKEY)
                        snprintf(why, why_size,
                                 refused ? "Your SSH agent did not sign for the home of %s (refused or timed out)."
                                         : "None of the keys in your SSH agent is enrolled to unlock the home of %s.",
                                 user);
        }
        identities_freep(&ids, n_ids);
        json_object_put(challenges);
        return r;
}

int ssh_agent_enroll_sign(const char *user, const char *public_key_line, const char *auth_sock,
                          struct json_object **ret, char *why, size_t why_size) {
        _cleanup_(ssh_buf_freep) struct ssh_buf challenge = {};
        _cleanup_(close_fdp) int fd = -1;
        _cleanup_secret_ char *sig = NULL, *salt_b64 = NULL;
        _cleanup_free_ char *line = NULL;
        struct ssh_agent_identity *ids = NULL;
        uint8_t salt[SSH_UNLOCK_SALT_LEN];
        const char *reason = NULL;
        struct ssh_pubkey k;
        size_t n_ids = 0;
        int r;

        why[0] = 0;
        *ret = NULL;
        r = ssh_pubkey_parse_line(public_key_line, &k, &reason);
        if (r < 0) {
                snprintf(why, why_size, "%s", reason ? reason : strerror(-r));
                return r;
        }
        line = ssh_pubkey_to_line(&k);
        if (!auth_sock || !auth_sock[0]) {
                snprintf(why, why_size, "SSH_AUTH_SOCK is not set: the key must be in a running ssh-agent to enroll it.");
                r = -ENOKEY;
        } else if ((fd = ssh_agent_connect(auth_sock)) < 0 || (r = ssh_agent_list(fd, &ids, &n_ids)) < 0) {
                snprintf(why, why_size, "Cannot reach the SSH agent at %s: %s.", auth_sock, strerror(fd < 0 ? -fd : -r));
                r = -ENOKEY;
        } else if (!agent_holds(ids, n_ids, &k)) {
                snprintf(why, why_size, "The key is not in the SSH agent; add it with ssh-add first.");
                r = -ENOKEY;
        } else if (getrandom(salt, sizeof(salt), 0) != (ssize_t) sizeof(salt))
                r = -EIO;
        else if ((r = ssh_unlock_challenge(user, salt, &challenge)) >= 0 &&
                 (r = sign_base64(fd, &k, challenge.p, challenge.len, &sig)) < 0)
                snprintf(why, why_size, "The SSH agent did not sign: %s.", strerror(-r));
        if (r >= 0 && (!line || !(salt_b64 = base64_encode_secret(salt, sizeof(salt)))))
                r = -ENOMEM;
        if (r >= 0) {
                *ret = json_object_new_object();
                json_object_object_add(*ret, "publicKey", json_object_new_string(line));
                json_object_object_add(*ret, "salt", json_object_new_string(salt_b64));
                json_object_object_add(*ret, "signature", json_object_new_string(sig));
        }
        if (r < 0 && !why[0])
                snprintf(why, why_size, "%s", strerror(-r));
        identities_freep(&ids, n_ids);
        ssh_pubkey_clear(&k);
        return r;
}
