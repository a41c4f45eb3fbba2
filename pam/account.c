/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <security/pam_ext.h>
#include <syslog.h>
#include <time.h>

#include "pam-homefs.h"
#include "time-util.h"

/* The record's account checks: locked, notBeforeUSec, notAfterUSec. */
PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        _cleanup_record_ struct user_record *rec = NULL;
        struct pam_homefs m;
        int r;

        r = pam_homefs_init(&m, pamh, argc, argv);
        if (r != PAM_SUCCESS)
                return r;
        r = pam_homefs_lookup(&m, &rec);
        if (r != PAM_SUCCESS)
                return r;
        switch (user_record_check_login(rec, now_usec())) {
        case -EKEYREVOKED:
                pam_syslog(pamh, LOG_NOTICE, "account %s is locked", m.user);
                pam_error(pamh, "The account %s is locked; ask an administrator.", m.user);
                return PAM_PERM_DENIED;
        case -EKEYEXPIRED:
                pam_syslog(pamh, LOG_NOTICE, "account %s has expired (notAfterUSec)", m.user);
                pam_error(pamh, "The account %s has expired; ask an administrator.", m.user);
                return PAM_ACCT_EXPIRED;
        case -ETIME:
                pam_syslog(pamh, LOG_NOTICE, "account %s is not valid yet (notBeforeUSec)", m.user);
                pam_error(pamh, "The account %s is not valid yet; ask an administrator.", m.user);
                return PAM_ACCT_EXPIRED;
        }
        return PAM_SUCCESS;
}
