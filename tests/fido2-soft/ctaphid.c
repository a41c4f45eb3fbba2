/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CTAPHID (CTAP 2.1, section 11.2) over a Unix seqpacket socket: each packet
 * is one 64-byte HID report. One client at a time, like a real key.
 *
 * soft-fido2 --socket PATH --state FILE [--deny-presence-file FILE]
 *            [--pin-file FILE] [--pin-protocols 1|2|12]
 * --pin-file sets the initial PIN (first line) when the state has none. */
#include <errno.h>
#include <getopt.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "soft-fido2.h"

#define REPORT 64
#define INIT_DATA (REPORT - 7)
#define CONT_DATA (REPORT - 5)
#define PAYLOAD_MAX 7609
#define BROADCAST 0xffffffffU

enum { CMD_PING = 0x81, CMD_MSG = 0x83, CMD_INIT = 0x86, CMD_WINK = 0x88, CMD_CBOR = 0x90, CMD_CANCEL = 0x91,
       CMD_KEEPALIVE = 0xbb, CMD_ERROR = 0xbf };
enum { ERR_INVALID_CMD = 0x01, ERR_INVALID_LEN = 0x03, ERR_INVALID_SEQ = 0x04, ERR_INVALID_CHANNEL = 0x0b };

extern int advertised_pin_protocols;

static uint32_t get_be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) (v >> 24), p[1] = (uint8_t) (v >> 16), p[2] = (uint8_t) (v >> 8), p[3] = (uint8_t) v;
}

static int send_msg(int fd, uint32_t cid, uint8_t cmd, const uint8_t *data, size_t n) {
        uint8_t r[REPORT];
        size_t off = 0;

        for (int seq = -1; seq == -1 || off < n; seq++) {
                size_t room = seq < 0 ? INIT_DATA : CONT_DATA, k = n - off < room ? n - off : room;

                memset(r, 0, sizeof(r));
                put_be32(r, cid);
                if (seq < 0) {
                        r[4] = cmd;
                        r[5] = (uint8_t) (n >> 8), r[6] = (uint8_t) n;
                        memcpy(r + 7, data + off, k);
                } else {
                        r[4] = (uint8_t) seq;
                        memcpy(r + 5, data + off, k);
                }
                off += k;
                if (send(fd, r, sizeof(r), MSG_NOSIGNAL) != (ssize_t) sizeof(r))
                        return -1;
        }
        return 0;
}

static int send_error(int fd, uint32_t cid, uint8_t code) {
        return send_msg(fd, cid, CMD_ERROR, &code, 1);
}

/* Read one whole message (initial packet and continuations). */
static int recv_msg(int fd, uint32_t *cid, uint8_t *cmd, uint8_t *data, size_t *n) {
        uint8_t r[REPORT];
        size_t want, got;
        ssize_t k;

        do {
                k = recv(fd, r, sizeof(r), 0);
                if (k <= 0)
                        return -1;
        } while (k != REPORT || !(r[4] & 0x80)); /* stray continuation: ignore */
        *cid = get_be32(r);
        *cmd = r[4];
        want = (size_t) r[5] << 8 | r[6];
        if (want > PAYLOAD_MAX)
                return send_error(fd, *cid, ERR_INVALID_LEN), 1;
        got = want < INIT_DATA ? want : INIT_DATA;
        memcpy(data, r + 7, got);
        for (uint8_t seq = 0; got < want; seq++) {
                size_t c = want - got < CONT_DATA ? want - got : CONT_DATA;

                k = recv(fd, r, sizeof(r), 0);
                if (k <= 0)
                        return -1;
                if (k != REPORT || get_be32(r) != *cid || r[4] != seq)
                        return send_error(fd, *cid, ERR_INVALID_SEQ), 1;
                memcpy(data + got, r + 5, c);
                got += c;
        }
        *n = want;
        return 0;
}

static int handle_cbor(struct authenticator *a, int fd, uint32_t cid, const uint8_t *data, size_t n) {
        static uint8_t out[PAYLOAD_MAX];
        struct cbor_load_result res;
        cbor_item_t *req = NULL, *resp = NULL;
        int status;

        if (n < 1)
                return send_error(fd, cid, ERR_INVALID_LEN);
        if (n > 1) {
                req = cbor_load(data + 1, n - 1, &res);
                if (!req || res.read != n - 1 || !cbor_isa_map(req)) {
                        if (req)
                                cbor_decref(&req);
                        out[0] = CTAP2_ERR_INVALID_CBOR;
                        return send_msg(fd, cid, CMD_CBOR, out, 1);
                }
        }
        switch (data[0]) {
        case 0x01: status = req ? ctap_make_credential(a, req, &resp) : CTAP2_ERR_MISSING_PARAMETER; break;
        case 0x02: status = req ? ctap_get_assertion(a, req, &resp) : CTAP2_ERR_MISSING_PARAMETER; break;
        case 0x04: status = ctap_get_info(a, &resp); break;
        case 0x06: status = req ? ctap_client_pin(a, req, &resp) : CTAP2_ERR_MISSING_PARAMETER; break;
        default: status = CTAP1_ERR_INVALID_COMMAND;
        }
        if (req)
                cbor_decref(&req);
        out[0] = (uint8_t) status;
        n = 1;
        if (status == CTAP2_OK && resp)
                n += cbor_serialize(resp, out + 1, sizeof(out) - 1);
        if (resp)
                cbor_decref(&resp);
        return send_msg(fd, cid, CMD_CBOR, out, n);
}

static void serve(struct authenticator *a, int fd) {
        static uint8_t data[PAYLOAD_MAX];
        uint32_t cid, next_cid = 1;
        uint8_t cmd, init[17];
        size_t n;
        int r;

        while ((r = recv_msg(fd, &cid, &cmd, data, &n)) >= 0) {
                if (r > 0)
                        continue;
                if (cmd == CMD_INIT) {
                        if (n != 8) {
                                send_error(fd, cid, ERR_INVALID_LEN);
                                continue;
                        }
                        memcpy(init, data, 8);
                        put_be32(init + 8, cid == BROADCAST ? next_cid++ : cid);
                        init[12] = 2, init[13] = 1, init[14] = 0, init[15] = 0;
                        init[16] = 0x04 | 0x08; /* CBOR, no MSG */
                        send_msg(fd, cid, CMD_INIT, init, sizeof(init));
                } else if (cid == BROADCAST || cid == 0)
                        send_error(fd, cid, ERR_INVALID_CHANNEL);
                else if (cmd == CMD_PING)
                        send_msg(fd, cid, CMD_PING, data, n);
                else if (cmd == CMD_WINK)
                        send_msg(fd, cid, CMD_WINK, NULL, 0);
                else if (cmd == CMD_CANCEL)
                        continue; /* nothing runs long enough to cancel */
                else if (cmd == CMD_CBOR)
                        handle_cbor(a, fd, cid, data, n);
                else
                        send_error(fd, cid, ERR_INVALID_CMD);
        }
}

static int initial_pin(struct authenticator *a, const char *path) {
        char pin[128] = "";
        FILE *f = fopen(path, "re");

        if (!f || !fgets(pin, sizeof(pin), f)) {
                if (f)
                        fclose(f);
                return -1;
        }
        fclose(f);
        pin[strcspn(pin, "\n")] = 0;
        if (strlen(pin) < 4)
                return -1;
        SHA256((const uint8_t *) pin, strlen(pin), (uint8_t *) pin);
        memcpy(a->pin_hash, pin, 16);
        a->pin_set = true;
        a->pin_retries = PIN_RETRIES_MAX;
        return state_save(a);
}

static int listen_on(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -1;
        strcpy(sa.sun_path, path);
        (void) unlink(path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 4) < 0)
                return -1;
        return fd;
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                { "socket", required_argument, NULL, 's' },
                { "state", required_argument, NULL, 't' },
                { "deny-presence-file", required_argument, NULL, 'd' },
                { "pin-file", required_argument, NULL, 'p' },
                { "pin-protocols", required_argument, NULL, 'P' },
                {}
        };
        struct authenticator a = {};
        const char *sock = NULL, *pin_file = NULL;
        int c, lfd;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
                switch (c) {
                case 's': sock = optarg; break;
                case 't': a.state_path = optarg; break;
                case 'd': a.deny_presence_path = optarg; break;
                case 'p': pin_file = optarg; break;
                case 'P': advertised_pin_protocols = (strchr(optarg, '1') ? 1 : 0) | (strchr(optarg, '2') ? 2 : 0); break;
                default: return 2;
                }
        if (!sock || !a.state_path || !advertised_pin_protocols) {
                fprintf(stderr, "usage: soft-fido2 --socket PATH --state FILE [--deny-presence-file FILE] [--pin-file FILE] [--pin-protocols 1|2|12]\n");
                return 2;
        }
        signal(SIGPIPE, SIG_IGN);
        if (state_load(&a) < 0 || (pin_file && !a.pin_set && initial_pin(&a, pin_file) < 0)) {
                fprintf(stderr, "soft-fido2: cannot load the state %s or the PIN\n", a.state_path);
                return 1;
        }
        key_agreement_regenerate(&a);
        lfd = listen_on(sock);
        if (lfd < 0) {
                perror("soft-fido2: listen");
                return 1;
        }
        for (;;) {
                int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

                if (fd < 0) {
                        if (errno == EINTR)
                                continue;
                        return 1;
                }
                serve(&a, fd);
                close(fd);
                a.pin_token_valid = false; /* a new session needs a new token */
        }
}
