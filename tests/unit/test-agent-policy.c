/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent's pure policy pieces: activation choice and the unlock rate limit. */
#include <errno.h>

#include "activation.h"
#include "clients.h"
#include "home-paths.h"
#include "ratelimit.h"
#include "tap.h"

static void test_activation_choice(void) {
        enum activation_mode m, parsed;

        tap_ok(activation_choose(ACTIVATION_AUTO, true, &m) == 0 && m == ACTIVATION_DM_CRYPT, "auto with device-mapper is dm-crypt");
        tap_ok(activation_choose(ACTIVATION_AUTO, false, &m) == 0 && m == ACTIVATION_USERSPACE, "auto without device-mapper is userspace");
        tap_ok(activation_choose(ACTIVATION_DM_CRYPT, false, &m) == -EOPNOTSUPP, "dm-crypt without device-mapper is refused");
        tap_ok(activation_choose(ACTIVATION_DM_CRYPT, true, &m) == 0 && m == ACTIVATION_DM_CRYPT, "dm-crypt with device-mapper");
        tap_ok(activation_choose(ACTIVATION_USERSPACE, true, &m) == 0 && m == ACTIVATION_USERSPACE, "userspace is honoured with device-mapper");
        tap_ok(activation_mode_from_string("userspace", &parsed) == 0 && parsed == ACTIVATION_USERSPACE, "parse userspace");
        tap_ok(activation_mode_from_string("dm-crypt", &parsed) == 0 && parsed == ACTIVATION_DM_CRYPT, "parse dm-crypt");
        tap_ok(activation_mode_from_string("auto", &parsed) == 0 && parsed == ACTIVATION_AUTO, "parse auto");
        tap_ok(activation_mode_from_string("dmcrypt", &parsed) == -EINVAL, "reject an unknown mode");
}

static unsigned spend(struct ratelimit *rl, uint64_t t, uint64_t *retry) {
        unsigned allowed = 0;

        for (unsigned i = 0; i < 100; i++) {
                if (!ratelimit_check(rl, t, retry))
                        break;
                allowed++;
                ratelimit_failed(rl, t);
        }
        return allowed;
}

static void test_ratelimit(void) {
        struct ratelimit rl = {};
        const uint64_t iv = RATELIMIT_INTERVAL_USEC_DEFAULT;
        uint64_t t = 1000000000ULL, retry = 0;

        TAP_EQ_INT(spend(&rl, t, &retry), RATELIMIT_BURST_DEFAULT, "default: a burst of 10 failures, then refused");
        TAP_EQ_INT(RATELIMIT_BURST_DEFAULT * 1000000ULL * 60 / iv, 10, "the default is 10 per minute");
        tap_ok(retry == iv, "the refusal says when to retry (%llu us)", (unsigned long long) retry);
        tap_ok(!ratelimit_check(&rl, t + iv - 1, &retry) && retry == 1, "still refused just before the window ends");
        tap_ok(ratelimit_check(&rl, t + iv, &retry), "a new window after the interval");
        TAP_EQ_INT(spend(&rl, t + iv, &retry), RATELIMIT_BURST_DEFAULT, "with a whole burst");
        ratelimit_succeeded(&rl);
        tap_ok(ratelimit_check(&rl, t + iv + 2, &retry), "a success starts afresh");
        ratelimit_failed(&rl, t + iv + 2);
        tap_ok(ratelimit_check(&rl, t - 5000000ULL, &retry), "a clock going back does not lock out");

        rl = (struct ratelimit) {};
        ratelimit_configure(&rl, 3, 5000000ULL);
        TAP_EQ_INT(spend(&rl, t, &retry), 3, "the record's burst (3) is honoured");
        tap_ok(retry == 5000000ULL, "and its interval (5 s)");
        ratelimit_failed(&rl, t + 1000);
        tap_ok(!ratelimit_check(&rl, t + 4999999ULL, &retry), "failures beyond the burst do not extend the window");
        tap_ok(ratelimit_check(&rl, t + 5000000ULL, &retry), "the window ends on time");
}

static void test_clients(void) {
        unsigned admitted = 0;

        for (unsigned i = 0; i < CLIENTS_PER_UID_MAX + 5; i++)
                if (clients_admit(1000, 1000) == 0)
                        admitted++;
        TAP_EQ_INT(admitted, CLIENTS_PER_UID_MAX, "one uid gets at most CLIENTS_PER_UID_MAX connections");
        tap_ok(clients_admit(1000, 1000) == -EUSERS, "the next is refused with EUSERS");
        tap_ok(clients_admit(1001, 1001) == 0, "another uid is still served");
        tap_ok(clients_admit(0, 0) == 0, "root is never refused");
        clients_release(1000, 1000);
        tap_ok(clients_admit(1000, 1000) == 0, "a released slot can be used again");
        for (unsigned i = 0; i < CLIENTS_PER_UID_MAX; i++)
                clients_release(1000, 1000);
        clients_release(1001, 1001);

        /* Sessions have their own budget: a user with 16 connections can
         * still log in more often once they become sessions. */
        for (unsigned i = 0; i < CLIENTS_PER_UID_MAX; i++)
                (void) clients_admit(3000, 3000);
        tap_ok(clients_admit(3000, 3000) == -EUSERS, "a 17th connection is refused");
        tap_ok(clients_session_begin(3000, 3000) == 0, "a connection becomes a session");
        tap_ok(clients_admit(3000, 3000) == 0, "which frees its ordinary slot");
        tap_ok(clients_session_begin(4000, 4000) == -EINVAL, "only an admitted connection can become a session");
        clients_session_end(3000, 3000);
        tap_ok(clients_admit(3000, 3000) == -EUSERS, "a session that ended counts as ordinary until released");
        for (unsigned i = 0; i < CLIENTS_PER_UID_MAX + 1; i++)
                clients_release(3000, 3000);

        /* Subordinate uids of one login share one budget; a uid claiming
         * another's login uid (possible while its own is unset) never takes
         * the slots of that user's own uid. */
        admitted = 0;
        for (uid_t u = 300000; u < 300004; u++)
                for (unsigned i = 0; i < CLIENTS_PER_UID_MAX; i++)
                        if (clients_admit(u, 5000) == 0)
                                admitted++;
        TAP_EQ_INT(admitted, CLIENTS_PER_UID_MAX, "4 uids under one login uid get CLIENTS_PER_UID_MAX in all");
        admitted = 0;
        for (unsigned i = 0; i < CLIENTS_PER_UID_MAX; i++)
                if (clients_admit(5000, 5000) == 0)
                        admitted++;
        TAP_EQ_INT(admitted, CLIENTS_PER_UID_MAX, "the login uid's own uid keeps its own CLIENTS_PER_UID_MAX");
        tap_ok(clients_session_begin(5000, 5000) == 0 && clients_admit(5000, 5000) == 0,
               "and its sessions are its own too");
        clients_session_end(5000, 5000);
        for (unsigned i = 0; i < CLIENTS_PER_UID_MAX + 1; i++)
                clients_release(5000, 5000);
        for (unsigned i = 0; i < CLIENTS_PER_UID_MAX; i++)
                clients_release(300000, 5000);
        tap_ok(clients_admit(300001, 5000) == 0, "released subordinate slots are shared again");
        clients_release(300001, 5000);

        admitted = 0;
        for (uid_t l = 80000; l < 80000 + 100; l++)
                if (clients_admit(7000, l) == 0)
                        admitted++;
        TAP_EQ_INT(admitted, CLIENTS_PER_UID_MAX, "one uid claiming 100 login uids gets CLIENTS_PER_UID_MAX in all");
        for (uid_t l = 80000; l < 80000 + CLIENTS_PER_UID_MAX; l++)
                clients_release(7000, l);
        tap_ok(clients_admit(7000, 7000) == 0, "released, they can be used again");
        clients_release(7000, 7000);

        /* Sessions count against the uid: claiming ever new login uids
         * brings no more than CLIENTS_SESSIONS_PER_UID_MAX. */
        admitted = 0;
        for (uid_t l = 70000; l < 70000 + CLIENTS_SESSIONS_PER_UID_MAX + 10; l++)
                if (clients_admit(6000, l) == 0 && clients_session_begin(6000, l) == 0)
                        admitted++;
        TAP_EQ_INT(admitted, CLIENTS_SESSIONS_PER_UID_MAX, "sessions under ever new login uids stop at the uid's bound");
        tap_ok(clients_admit(6001, 6001) == 0 && clients_session_begin(6001, 6001) == 0, "another uid still gets one");
        clients_session_end(6001, 6001);
        clients_release(6001, 6001);
        for (uid_t l = 70000; l < 70000 + CLIENTS_SESSIONS_PER_UID_MAX + 10; l++) {
                if (l < 70000 + CLIENTS_SESSIONS_PER_UID_MAX)
                        clients_session_end(6000, l);
                clients_release(6000, l);
        }
        tap_ok(clients_admit(6000, 6000) == 0 && clients_session_begin(6000, 6000) == 0,
               "once they end, the uid gets sessions again");
        clients_session_end(6000, 6000);
        clients_release(6000, 6000);

        admitted = 0;
        for (uid_t u = 2000; u < 2000 + CLIENTS_MAX + 10; u++)
                if (clients_admit(u, u) == 0)
                        admitted++;
        TAP_EQ_INT(admitted, CLIENTS_MAX, "at most CLIENTS_MAX connections from users in all");
        tap_ok(clients_admit(0, 0) == 0, "root is served even then");
        tap_ok(clients_admit(0, 4242) == 0, "root is served whatever its login uid");
        for (uid_t u = 2000; u < 2000 + CLIENTS_MAX + 10; u++)
                clients_release(u, u);

        /* Many uids of one login (subordinate uids) share one budget; a
         * user whose login uid is 0 is still counted (not root). */
        admitted = 0;
        for (uid_t u = 100000; u < 100000 + 4 * CLIENTS_PER_UID_MAX; u++)
                if (clients_admit(u, 5000) == 0)
                        admitted++;
        TAP_EQ_INT(admitted, CLIENTS_PER_UID_MAX, "uids of one login uid share CLIENTS_PER_UID_MAX connections");
        for (uid_t u = 100000; u < 100000 + CLIENTS_PER_UID_MAX; u++)
                clients_release(u, 5000);
        admitted = 0;
        for (unsigned i = 0; i < CLIENTS_PER_UID_MAX + 1; i++)
                if (clients_admit(7000 + i, 0) == 0)
                        admitted++;
        TAP_EQ_INT(admitted, CLIENTS_PER_UID_MAX, "non-root processes of root's login are counted, not exempt");
}

static void test_path_is_below(void) {
        tap_ok(path_is_below("/proc", "/proc"), "/proc is below /proc");
        tap_ok(path_is_below("/proc/self/mem", "/proc"), "/proc/self/mem is below /proc");
        tap_ok(!path_is_below("/process/x", "/proc"), "/process/x is not below /proc");
        tap_ok(!path_is_below("/home/proc", "/proc"), "/home/proc is not below /proc");
        tap_ok(path_is_below("/run/homefs/x", "/run/"), "a trailing slash in the prefix is ignored");
        tap_ok(!path_is_below("/runx", "/run/"), "/runx is not below /run/");
}

int main(void) {
        test_activation_choice();
        test_clients();
        test_ratelimit();
        test_path_is_below();
        return tap_done();
}
