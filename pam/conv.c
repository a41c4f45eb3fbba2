/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <security/pam_ext.h>
#include <stdlib.h>

#include "pam-homefs.h"
#include "secret.h"

int pam_homefs_ask(struct pam_homefs *m, const char *prompt, char **ret) {
        char *resp = NULL;
        int r;

        r = pam_prompt(m->pamh, PAM_PROMPT_ECHO_OFF, &resp, "%s", prompt);
        if (r != PAM_SUCCESS || !resp) {
                free(resp);
                return r == PAM_BUF_ERR ? -ENOMEM : -ECANCELED;
        }
        /* The application's copy is wiped at once; ours lives in secret memory. */
        *ret = secret_strdup(resp);
        string_wipe(resp);
        free(resp);
        return *ret ? 0 : -ENOMEM;
}

static int prompter_ask(void *userdata, const char *prompt, char **ret) {
        return pam_homefs_ask(userdata, prompt, ret);
}

static void prompter_info(void *userdata, const char *message) {
        struct pam_homefs *m = userdata;

        pam_info(m->pamh, "%s", message);
}

struct unlock_prompter pam_homefs_prompter(struct pam_homefs *m) {
        return (struct unlock_prompter) { .ask = prompter_ask, .info = prompter_info, .userdata = m };
}
