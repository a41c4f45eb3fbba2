/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running queued jobs after an unlock: as the home's user (its uid, gid and
 * supplementary groups), in the home, with a small fixed environment; their
 * output and exit status go to the agent's log. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "spawn.h"
#include "spool.h"

#define GROUPS_MAX 256
#define JOB_PATH "/usr/local/bin:/usr/bin:/bin"

struct runner {
        char *user, *home, *shell;
        uid_t uid;
        gid_t gid;
        gid_t groups[GROUPS_MAX];
        int n_groups;
        struct json_object *jobs;
};

static void runner_free(struct runner *r) {
        free(r->user);
        free(r->home);
        free(r->shell);
        json_object_put(r->jobs);
        free(r);
}

/* argv[0] as a path: as given if it has a slash, else the first match in
 * JOB_PATH; found before fork(), where searching is not safe. */
static void resolve(const char *name, char *buf, size_t size) {
        char dirs[] = JOB_PATH, *save = NULL;

        snprintf(buf, size, "%s", name);
        if (strchr(name, '/'))
                return;
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                snprintf(buf, size, "%s/%s", d, name);
                if (access(buf, X_OK) == 0)
                        return;
        }
        snprintf(buf, size, "%s", name);
}

static _Noreturn void child(const struct runner *r, const char *path, char **argv, char **env, int out) {
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

        spawn_reset_signals();
        if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
                _exit(125);
        /* Nothing of the agent's may reach the user's job (mount fds of
         * other homes, client sockets), CLOEXEC or not. */
        if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
                _exit(125);
        if (setgroups((size_t) r->n_groups, r->groups) < 0 || setresgid(r->gid, r->gid, r->gid) < 0 ||
            setresuid(r->uid, r->uid, r->uid) < 0)
                _exit(125);
        if (chdir(r->home) < 0)
                _exit(125);
        execve(path, argv, env);
        _exit(errno == ENOENT ? 127 : 126);
}

/* Relay the job's output line by line, then reap it. */
static int relay_and_wait(const char *user, uint64_t id, int fd, pid_t pid) {
        FILE *f = fdopen(fd, "r");
        char line[1024];
        int status;

        /* The job's output is the user's: the log escapes it (lib/log.c),
         * for whichever terminal shows the log. */
        while (f && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = 0;
                log_info("job %" PRIu64 " of %s: %s", id, user, line);
        }
        if (f)
                fclose(f);
        else
                close(fd);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void run_job(const struct runner *r, struct json_object *job) {
        struct json_object *argv_j = NULL, *id_j = NULL, *uid_j = NULL;
        char path[4096], home_env[4096 + 8], user_env[96], logname_env[96], shell_env[4096 + 8];
        char *argv[SPOOL_ARGS_MAX + 1] = {}, *env[] = { home_env, user_env, logname_env, shell_env,
                                                         (char *) "PATH=" JOB_PATH, NULL };
        uint64_t id;
        size_t n;
        int p[2], status;
        pid_t pid;

        json_object_object_get_ex(job, "argv", &argv_j);
        json_object_object_get_ex(job, "id", &id_j);
        id = (uint64_t) json_object_get_uint64(id_j);
        /* A job runs only as the uid that queued it: one left behind by a
         * removed user (or from before jobs recorded it) never runs as the
         * next owner of the name. */
        if (!json_object_object_get_ex(job, "uid", &uid_j) || !json_object_is_type(uid_j, json_type_int) ||
            json_object_get_int64(uid_j) != (int64_t) r->uid) {
                log_warning("job %" PRIu64 " of %s was not queued by uid %u; dropped without running it",
                            id, r->user, (unsigned) r->uid);
                return;
        }
        n = json_object_array_length(argv_j);
        for (size_t i = 0; i < n && i < SPOOL_ARGS_MAX; i++)
                argv[i] = (char *) json_object_get_string(json_object_array_get_idx(argv_j, i));
        resolve(argv[0], path, sizeof(path));
        snprintf(home_env, sizeof(home_env), "HOME=%s", r->home);
        snprintf(user_env, sizeof(user_env), "USER=%s", r->user);
        snprintf(logname_env, sizeof(logname_env), "LOGNAME=%s", r->user);
        snprintf(shell_env, sizeof(shell_env), "SHELL=%s", r->shell);

        if (pipe2(p, O_CLOEXEC) < 0) {
                log_error_errno(errno, "job %" PRIu64 " of %s: pipe: %m", id, r->user);
                return;
        }
        log_info("job %" PRIu64 " of %s: running %s", id, r->user, argv[0]);
        pid = fork();
        if (pid == 0)
                child(r, path, argv, env, p[1]);
        close(p[1]);
        if (pid < 0) {
                close(p[0]);
                log_error_errno(errno, "job %" PRIu64 " of %s: fork: %m", id, r->user);
                return;
        }
        status = relay_and_wait(r->user, id, p[0], pid);
        log_info("job %" PRIu64 " of %s: exited with status %d", id, r->user, status);
}

static void *runner_thread(void *arg) {
        struct runner *r = arg;

        for (size_t i = 0; i < json_object_array_length(r->jobs); i++)
                run_job(r, json_object_array_get_idx(r->jobs, i));
        runner_free(r);
        return NULL;
}

void spool_run_after_unlock(struct home *h) {
        struct runner *r = calloc(1, sizeof(*r));
        pthread_t t;

        if (!r)
                return;
        if (spool_take_all(h->user_name, &r->jobs) < 0 || json_object_array_length(r->jobs) == 0) {
                runner_free(r);
                return;
        }
        r->user = strdup(h->user_name);
        r->home = strdup(h->record->home_directory);
        r->shell = strdup(h->record->shell ? h->record->shell : "/bin/sh");
        r->uid = h->record->uid;
        r->gid = h->record->gid ? h->record->gid : h->record->uid;
        r->n_groups = GROUPS_MAX;
        if (getgrouplist(h->user_name, r->gid, r->groups, &r->n_groups) < 0) {
                r->groups[0] = r->gid;
                r->n_groups = 1;
        }
        if (!r->user || !r->home || !r->shell || pthread_create(&t, NULL, runner_thread, r) != 0) {
                log_error("cannot run the queued jobs of %s; they are lost", h->user_name);
                runner_free(r);
                return;
        }
        pthread_detach(t);
}
