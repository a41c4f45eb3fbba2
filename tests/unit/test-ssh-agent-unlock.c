/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The homefs-ssh-agent credential's pieces without privileges: public key
 * lines (and the key types refused), the challenge and passphrase against a
 * vector computed with python3-cryptography from the documented format,
 * signature checks, and the ssh-agent client against a fake agent that
 * answers with malformed messages. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base64.h"
#include "macro.h"
#include "secret.h"
#include "ssh-agent-client.h"
#include "ssh-key.h"
#include "ssh-unlock.h"
#include "tap.h"

/* Ed25519 key from the seed 32 x 0x42; its signature over the challenge for
 * "alice" with salt 00 01 .. 1f; the passphrase (python3-cryptography). */
#define VEC_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICFS+NGbeR0kRTJC4V8uq2y3z/p7al7TAJeWDgaYgdsS"
#define VEC_SIG "AAAAC3NzaC1lZDI1NTE5AAAAQB8K2CNAGfARQqdvu+Jm0OGQlgw0YnMUNQLpvfY1fEh9wmoq23fnIRgKv8TKh2CPnMeqkFs3myOUH2jQ6GDyTAY="
#define VEC_PASS "bhOJlcCJLhez5YtnH/TUs9K8/CBqDC7L5IQPtB3B4vk="
#define VEC_CHALLENGE                                                                                          \
        "686f6d6566732d7373682d6167656e742d756e6c6f636b2d76310000000005616c69636500000020000102030405060708090a" \
        "0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static int parse(const char *line, const char **why) {
        struct ssh_pubkey k;
        int r = ssh_pubkey_parse_line(line, &k, why);

        ssh_pubkey_clear(&k);
        return r;
}

static void test_lines(void) {
        const char *why = NULL;

        TAP_EQ_INT(parse(VEC_KEY " comment", NULL), 0, "an ed25519 line parses");
        TAP_EQ_INT(parse("ecdsa-sha2-nistp256 AAAA", &why), -EOPNOTSUPP, "ECDSA is refused");
        tap_ok(why && strstr(why, "randomized"), "... saying why");
        TAP_EQ_INT(parse("sk-ssh-ed25519@openssh.com AAAA", &why), -EOPNOTSUPP, "sk- keys are refused");
        tap_ok(why && strstr(why, "counter"), "... saying why");
        TAP_EQ_INT(parse("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAICFS+NGbeR0kRTJC4V8uq2y3z/p7al7TAJeWDgaYgdsS", NULL),
                   -EINVAL, "a blob of another type than the line says is refused");
        TAP_EQ_INT(parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAHyFS+NGbeR0kRTJC4V8uq2y3z/p7al7TAJeWDgaYgdsS", NULL),
                   -EINVAL, "an ed25519 key of 31 bytes is refused");
        TAP_EQ_INT(parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICFS+NGbeR0kRTJC4V8uq2y3z/p7al7TAJeWDgaYgdsSAA==", NULL),
                   -EINVAL, "trailing bytes after the key are refused");
        TAP_EQ_INT(parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAQCFS", NULL), -EINVAL, "a length beyond the blob is refused");
        TAP_EQ_INT(parse("ssh-ed25519", NULL), -EINVAL, "a line without the key is refused");
        /* ssh-rsa, e = 65537, n of 1024 bits */
        TAP_EQ_INT(parse("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQD/////////////////////////////////////////////////////////"
                         "////////////////////////////////////////////////////////////////////////////////////////////////"
                         "//////////8=", NULL),
                   -EINVAL, "a 1024-bit RSA key is refused");
        TAP_EQ_INT(parse("-----BEGIN OPENSSH PRIVATE KEY-----", &why), -EINVAL, "a private key is refused");
}

static void test_vector(void) {
        _cleanup_(ssh_buf_freep) struct ssh_buf ch = {};
        _cleanup_free_ void *sig = NULL;
        _cleanup_secret_ char *pass = NULL;
        uint8_t salt[SSH_UNLOCK_SALT_LEN], raw[SSH_SIGNATURE_MAX];
        char hex[2 * 256 + 1] = "";
        struct ssh_pubkey k;
        size_t sig_len = 0, raw_len = 0;

        for (unsigned i = 0; i < sizeof(salt); i++)
                salt[i] = (uint8_t) i;
        tap_ok(ssh_unlock_challenge("alice", salt, &ch) == 0 && ch.len <= 256, "the challenge is built");
        for (size_t i = 0; i < ch.len; i++)
                sprintf(hex + 2 * i, "%02x", ch.p[i]);
        tap_ok(strcmp(hex, VEC_CHALLENGE) == 0, "the challenge's bytes are the documented layout");
        tap_ok(ssh_pubkey_parse_line(VEC_KEY, &k, NULL) == 0 && base64_decode(VEC_SIG, &sig, &sig_len) == 0, "vector read");
        TAP_EQ_INT(ssh_signature_verify(&k, sig, sig_len, ch.p, ch.len, raw, &raw_len), 0, "the signature verifies");
        tap_ok(ssh_unlock_passphrase(raw, raw_len, salt, &pass) == 0 && strcmp(pass, VEC_PASS) == 0,
               "the passphrase is the documented HKDF's");
        TAP_EQ_INT(ssh_signature_verify(&k, sig, sig_len, ch.p, ch.len - 1, raw, &raw_len), -EPERM,
                   "the signature of another message does not verify");
        ((uint8_t *) sig)[sig_len - 1] ^= 1;
        TAP_EQ_INT(ssh_signature_verify(&k, sig, sig_len, ch.p, ch.len, raw, &raw_len), -EPERM,
                   "a flipped bit does not verify");
        ((uint8_t *) sig)[3] = 12; /* the algorithm name's length */
        TAP_EQ_INT(ssh_signature_verify(&k, sig, sig_len, ch.p, ch.len, raw, &raw_len), -EBADMSG,
                   "a malformed blob is refused");
        TAP_EQ_INT(ssh_signature_verify(&k, sig, 3, ch.p, ch.len, raw, &raw_len), -EBADMSG, "a truncated blob is refused");
        ssh_pubkey_clear(&k);
}

/* A fake ssh-agent: answers the first request with reply (len bytes, sent
 * as is: it includes the length prefix or lies in it). */
static int fake_agent(const void *reply, size_t len) {
        int sv[2];
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        pid = fork();
        if (pid == 0) {
                uint8_t buf[4096];
                size_t want = 4, got = 0;
                ssize_t k;

                close(sv[0]);
                /* the whole request: its length, then that many bytes */
                while (got < want && (k = read(sv[1], buf + got, want - got)) > 0) {
                        got += (size_t) k;
                        if (got == 4)
                                want = 4 + ((size_t) buf[2] << 8 | buf[3]);
                }
                (void) !write(sv[1], reply, len);
                _exit(0);
        }
        close(sv[1]);
        return sv[0];
}

static int list_from(const void *reply, size_t len, size_t *n) {
        struct ssh_agent_identity *ids = NULL;
        int fd = fake_agent(reply, len), r;

        *n = 0;
        r = ssh_agent_list(fd, &ids, n);
        ssh_agent_identities_free(ids, *n);
        close(fd);
        while (wait(NULL) > 0)
                ;
        return r;
}

static void test_agent_client(void) {
        static const uint8_t one_key[] = { 0, 0, 0, 19, 12, 0, 0, 0, 1, 0, 0, 0, 3, 'k', 'e', 'y', 0, 0, 0, 3, 'c', 'm', 't' };
        static const uint8_t failure[] = { 0, 0, 0, 1, 5 };
        static const uint8_t too_many[] = { 0, 0, 0, 5, 12, 0xff, 0xff, 0xff, 0xff };
        static const uint8_t past_end[] = { 0, 0, 0, 13, 12, 0, 0, 0, 1, 0, 0, 0, 200, 'k', 'e', 'y', 0 };
        static const uint8_t huge[] = { 0x7f, 0xff, 0xff, 0xff, 12 };
        static const uint8_t short_msg[] = { 0, 0, 0, 9, 12, 0, 0 };
        static const uint8_t wrong_type[] = { 0, 0, 0, 5, 14, 0, 0, 0, 0 };
        uint8_t *sig = NULL;
        size_t n, sig_len = 0;
        int fd, r;

        TAP_EQ_INT(list_from(one_key, sizeof(one_key), &n), 0, "the agent's one key is listed");
        TAP_EQ_INT(n, 1, "... one");
        TAP_EQ_INT(list_from(failure, sizeof(failure), &n), -EACCES, "SSH_AGENT_FAILURE is a refusal");
        TAP_EQ_INT(list_from(too_many, sizeof(too_many), &n), -EBADMSG, "a key count of 2^32-1 is refused");
        TAP_EQ_INT(list_from(past_end, sizeof(past_end), &n), -EBADMSG, "a string past the message's end is refused");
        TAP_EQ_INT(list_from(huge, sizeof(huge), &n), -EBADMSG, "a 2 GiB message is refused before it is read");
        TAP_EQ_INT(list_from(short_msg, sizeof(short_msg), &n), -ECONNRESET, "a message cut short is an error");
        TAP_EQ_INT(list_from(wrong_type, sizeof(wrong_type), &n), -EBADMSG, "an answer of another type is refused");

        fd = fake_agent(failure, sizeof(failure));
        r = ssh_agent_sign(fd, (const uint8_t *) "k", 1, (const uint8_t *) "d", 1, 0, &sig, &sig_len);
        TAP_EQ_INT(r, -EACCES, "a refused signature (ssh-add -c declined) is -EACCES");
        close(fd);
        fd = fake_agent(past_end, sizeof(past_end));
        r = ssh_agent_sign(fd, (const uint8_t *) "k", 1, (const uint8_t *) "d", 1, 0, &sig, &sig_len);
        TAP_EQ_INT(r, -EBADMSG, "a sign answer of another type is refused");
        close(fd);
        while (wait(NULL) > 0)
                ;
        TAP_EQ_INT(ssh_agent_connect("relative/path"), -EINVAL, "SSH_AUTH_SOCK must be absolute");
}

/* The client signs only challenges of the documented shape for its user. */
static void test_challenge_shape(void) {
        static const uint8_t salt[SSH_UNLOCK_SALT_LEN] = { 1 };
        _cleanup_(ssh_buf_freep) struct ssh_buf ch = {}, other = {};

        tap_ok(ssh_unlock_challenge("alice", salt, &ch) == 0, "a challenge for alice");
        tap_ok(ssh_unlock_challenge_is_for(ch.p, ch.len, "alice"), "is signed for alice");
        tap_ok(!ssh_unlock_challenge_is_for(ch.p, ch.len, "bob"), "not for bob");
        tap_ok(!ssh_unlock_challenge_is_for(ch.p, ch.len - 1, "alice"), "not cut short");
        tap_ok(!ssh_unlock_challenge_is_for(ch.p + sizeof(SSH_UNLOCK_DOMAIN), ch.len - sizeof(SSH_UNLOCK_DOMAIN), "alice"),
               "not without the homefs domain (what another protocol's signed data could be)");
        ssh_put_bytes(&other, ch.p, ch.len);
        ssh_put_u8(&other, 0);
        tap_ok(!ssh_unlock_challenge_is_for(other.p, other.len, "alice"), "not with bytes after it");
        ssh_buf_free(&other);
        ssh_put_string(&other, "SSHSIG", 6);
        tap_ok(!ssh_unlock_challenge_is_for(other.p, other.len, "alice"), "not another protocol's blob");
}

int main(void) {
        test_lines();
        test_vector();
        test_challenge_shape();
        test_agent_client();
        return tap_done();
}
