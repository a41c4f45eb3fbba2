/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* homefs-agent: the root daemon that alone reads keyslots and holds volume
 * keys. It listens on $HOMEFS_RUNTIME_DIR/agent.sock, serves each client on
 * its own thread, and starts a homefsd for every home it knows. */

#include <errno.h>
#include <getopt.h>
#include <libcryptsetup.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "accounts.h"
#include "agent-config.h"
#include "config.h"
#include "clients.h"
#include "dispatch.h"
#include "front-watch.h"
#include "front.h"
#include "fuse-uring.h"
#include "home-ops.h"
#include "home-paths.h"
#include "log.h"
#include "notify.h"
#include "paths.h"
#include "parse-util.h"
#if HAVE_PKCS11
#include "pkcs11.h"
#endif
#include "recover.h"
#include "registry.h"
#include "secret.h"
#include "spawn.h"
#include "userdb.h"

#if HAVE_PKCS11
_Static_assert(AGENT_PKCS11_MODULES_MAX == PKCS11_MODULES_MAX, "one bound for --pkcs11-module");
#endif

static void help(void) {
        printf("Usage: homefs-agent [OPTIONS]\n\n"
               "The homefs key agent: unlocks, locks and manages encrypted homes.\n"
               "Runs in the foreground as root; logs to standard error.\n\n"
               "  -h --help                 Show this help\n"
               "     --version              Show the version and the features built in\n"
               "     --activation=MODE      auto (default), dm-crypt or userspace\n"
               "     --homefsd=PATH         The front daemon (default %s)\n"
               "     --cryptdev=PATH        The userspace crypto engine (default %s)\n"
               "     --skel=DIR             Skeleton for new homes (default /etc/skel)\n"
               "     --front-timeout=SEC    How long homefsd may take to answer a call\n"
               "                            (default 30); then the agent goes on without it\n"
               "                            (a lock or deactivation still completes)\n"
               "     --idle-timeout=SEC     Close a client connection that sends no complete\n"
               "                            message for SEC seconds (default 300)\n"
               "     --fido2-device=PATH    Also look for FIDO2 security keys at PATH: a\n"
               "                            hidraw device, or unix:/SOCKET for CTAPHID over a\n"
               "                            Unix seqpacket socket (repeatable, up to 8)\n"
               "     --lock-drop-caches     Lock (sessions kept) also drops the clean page\n"
               "                            cache of every filesystem, so that the home's\n"
               "                            file contents leave memory while it is locked\n"
               "     --pkcs11-module=PATH   Also offer the PKCS#11 module at PATH (repeatable,\n"
               "                            up to 8); without it, only the modules registered\n"
               "                            with p11-kit, through %s\n"
               "     --userdb-socket=PATH   Serve homefs users to systemd's userdb (userdbctl,\n"
               "                            nss-systemd) at PATH (default %s;\n"
               "                            the file name is the service name); \"no\": don't.\n"
               "                            Off by default with a HOMEFS_RUNTIME_DIR of its own\n"
               "     --no-fuse-io-uring     Leave the kernel's FUSE over io_uring switch (fuse\n"
               "                            module parameter enable_uring) alone; by default\n"
               "                            the agent turns it on for homefsd\n"
               "     --login-shell=PATH     The shell in the passwd entries of homefs users\n"
               "                            (default %s, which execs the\n"
               "                            record's shell); 'record': the record's shell\n"
               "  -d --debug                Log debug messages\n\n"
               "Environment: HOMEFS_STATE_DIR (default /var/lib/homefs), HOMEFS_RUNTIME_DIR\n"
               "(default /run/homefs).\n",
               HOMEFS_SBINDIR "/homefsd", HOMEFS_LIBEXECDIR "/homefs-cryptdev", HOMEFS_P11KIT_PROXY,
               USERDB_SOCKET_DEFAULT, HOMEFS_LIBEXECDIR "/homefs-sshstub");
}

static int copy_path(char *dst, const char *src, const char *what) {
        if (src[0] != '/' || strlen(src) >= PATH_MAX) {
                fprintf(stderr, "homefs-agent: --%s needs an absolute path\n", what);
                return -EINVAL;
        }
        strcpy(dst, src);
        return 0;
}

/* A number of seconds, 1 to max, for --NAME. */
static int parse_seconds(const char *s, unsigned long max, const char *name, unsigned long *ret) {
        uint64_t v;

        if (safe_atou64(s, &v) < 0 || v == 0 || v > max) {
                fprintf(stderr, "homefs-agent: --%s takes seconds, 1 to %lu\n", name, max);
                return -EINVAL;
        }
        *ret = (unsigned long) v;
        return 0;
}

static int parse_argv(int argc, char *argv[], struct agent_config *config) {
        enum { ARG_VERSION = 0x100, ARG_ACTIVATION, ARG_HOMEFSD, ARG_CRYPTDEV, ARG_SKEL, ARG_FRONT_TIMEOUT,
               ARG_IDLE_TIMEOUT, ARG_FIDO2_DEVICE, ARG_LOCK_DROP_CACHES, ARG_PKCS11_MODULE, ARG_USERDB_SOCKET,
               ARG_NO_FUSE_IO_URING, ARG_LOGIN_SHELL };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "activation", required_argument, NULL, ARG_ACTIVATION },
                { "homefsd", required_argument, NULL, ARG_HOMEFSD },
                { "cryptdev", required_argument, NULL, ARG_CRYPTDEV },
                { "skel", required_argument, NULL, ARG_SKEL },
                { "front-timeout", required_argument, NULL, ARG_FRONT_TIMEOUT },
                { "idle-timeout", required_argument, NULL, ARG_IDLE_TIMEOUT },
                { "fido2-device", required_argument, NULL, ARG_FIDO2_DEVICE },
                { "lock-drop-caches", no_argument, NULL, ARG_LOCK_DROP_CACHES },
                { "pkcs11-module", required_argument, NULL, ARG_PKCS11_MODULE },
                { "userdb-socket", required_argument, NULL, ARG_USERDB_SOCKET },
                { "no-fuse-io-uring", no_argument, NULL, ARG_NO_FUSE_IO_URING },
                { "login-shell", required_argument, NULL, ARG_LOGIN_SHELL },
                { "debug", no_argument, NULL, 'd' },
                {}
        };
        bool userdb_given = false;
        unsigned long sec;
        int c;

        while ((c = getopt_long(argc, argv, "hd", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("homefs-agent %s %s\n", HOMEFS_VERSION, HOMEFS_FEATURES);
                        return 0;
                case ARG_ACTIVATION:
                        if (activation_mode_from_string(optarg, &config->activation) < 0) {
                                fprintf(stderr, "homefs-agent: --activation takes auto, dm-crypt or userspace\n");
                                return -EINVAL;
                        }
                        break;
                case ARG_HOMEFSD:
                        if (copy_path(config->homefsd, optarg, "homefsd") < 0)
                                return -EINVAL;
                        break;
                case ARG_CRYPTDEV:
                        if (copy_path(config->cryptdev, optarg, "cryptdev") < 0)
                                return -EINVAL;
                        break;
                case ARG_SKEL:
                        if (copy_path(config->skel, optarg, "skel") < 0)
                                return -EINVAL;
                        break;
                case ARG_FRONT_TIMEOUT:
                        if (parse_seconds(optarg, 3600, "front-timeout", &sec) < 0)
                                return -EINVAL;
                        config->front_timeout_sec = (unsigned) sec;
                        break;
                case ARG_IDLE_TIMEOUT:
                        if (parse_seconds(optarg, 86400, "idle-timeout", &sec) < 0)
                                return -EINVAL;
                        config->idle_timeout_ms = (int) sec * 1000;
                        break;
                case ARG_FIDO2_DEVICE:
                        if (!HAVE_FIDO2) {
                                fprintf(stderr, "homefs-agent: --fido2-device: this build has no FIDO2 support "
                                        "(meson -Dfido2=enabled needs libfido2)\n");
                                return -EINVAL;
                        }
                        if (config->n_fido2_devices >= AGENT_FIDO2_DEVICES_MAX ||
                            copy_path(config->fido2_devices[config->n_fido2_devices],
                                      strncmp(optarg, "unix:", 5) == 0 ? optarg + 5 : optarg, "fido2-device") < 0)
                                return -EINVAL;
                        if (strncmp(optarg, "unix:", 5) == 0) /* keep the prefix: it names the transport */
                                snprintf(config->fido2_devices[config->n_fido2_devices], PATH_MAX, "%s", optarg);
                        config->n_fido2_devices++;
                        break;
                case ARG_LOCK_DROP_CACHES:
                        config->lock_drop_caches = true;
                        break;
                case ARG_PKCS11_MODULE:
                        if (!HAVE_PKCS11) {
                                fprintf(stderr, "homefs-agent: --pkcs11-module: this build has no PKCS#11 support "
                                        "(meson -Dpkcs11=enabled needs libp11 and p11-kit)\n");
                                return -EINVAL;
                        }
                        if (config->n_pkcs11_modules >= AGENT_PKCS11_MODULES_MAX ||
                            copy_path(config->pkcs11_modules[config->n_pkcs11_modules], optarg,
                                      "pkcs11-module") < 0)
                                return -EINVAL;
                        config->n_pkcs11_modules++;
                        break;
                case ARG_LOGIN_SHELL:
                        if (streq(optarg, "record"))
                                config->login_shell[0] = 0;
                        else if (copy_path(config->login_shell, optarg, "login-shell") < 0 ||
                                 strpbrk(optarg, ":\n")) {
                                fprintf(stderr, "homefs-agent: --login-shell takes 'record' or a path without ':'\n");
                                return -EINVAL;
                        }
                        break;
                case ARG_USERDB_SOCKET:
                        userdb_given = true;
                        if (streq(optarg, "no") || !*optarg)
                                config->userdb_socket[0] = 0;
                        else if (copy_path(config->userdb_socket, optarg, "userdb-socket") < 0)
                                return -EINVAL;
                        break;
                case ARG_NO_FUSE_IO_URING:
                        config->fuse_io_uring = false;
                        break;
                case 'd':
                        log_set_max_level(LOG_LEVEL_DEBUG);
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "homefs-agent: takes no arguments; see --help\n");
                return -EINVAL;
        }
        /* An agent with a private runtime directory (tests, the demo, the
         * bench) is not the machine's: it serves userdb only if asked to. */
        if (!userdb_given && !streq(homefs_runtime_dir(), HOMEFS_RUNTIME_DIR_DEFAULT))
                config->userdb_socket[0] = 0;
        if (config->userdb_socket[0]) {
                const char *service = userdb_service_name(config->userdb_socket);

                if (!service) {
                        fprintf(stderr, "homefs-agent: --userdb-socket needs a file name\n");
                        return -EINVAL;
                }
                /* Neither the agent's own NSS lookups nor its helpers' may
                 * ask its userdb service: it may wait for the transition
                 * that looks the user up (nss-systemd honours this). */
                if (setenv("SYSTEMD_BYPASS_USERDB", service, 1) < 0)
                        return -ENOMEM;
                spawn_bypass_userdb(service);
        }
        return 1;
}

static void cryptsetup_log(int level, const char *msg, void *userdata) {
        size_t n = strlen(msg);

        /* libcryptsetup's own messages end in a newline. */
        if (level == CRYPT_LOG_ERROR)
                log_error("libcryptsetup: %.*s", (int) (n && msg[n - 1] == '\n' ? n - 1 : n), msg);
        else
                log_debug("libcryptsetup: %.*s", (int) (n && msg[n - 1] == '\n' ? n - 1 : n), msg);
}

/* Bind a 0666 socket at path (authorization is per call, by SO_PEERCRED).
 * It is bound and listening under a temporary name first and then renamed
 * into place: a client that finds the path is never refused because bind()
 * came before listen(). */
static int listen_at(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, r;

        if (strlen(path) + strlen(".new") >= sizeof(sa.sun_path))
                return log_error_errno(-ENAMETOOLONG, "the socket path %s is too long", path);
        strcpy(sa.sun_path, path);
        strcat(sa.sun_path, ".new");
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(-errno, "socket: %m");
        (void) unlink(sa.sun_path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            chmod(sa.sun_path, 0666) < 0 || listen(fd, 64) < 0 || rename(sa.sun_path, path) < 0) {
                r = log_error_errno(-errno, "listening on %s: %m", path);
                (void) unlink(sa.sun_path);
                close(fd);
                return r;
        }
        return fd;
}

static int listen_agent_socket(void) {
        const char *runtime = homefs_runtime_dir();
        char path[108];
        int r;

        if (mkdir(runtime, 0755) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "creating %s: %m", runtime);
        if (chmod(runtime, 0755) < 0)
                return log_error_errno(-errno, "chmod %s: %m", runtime);
        r = homefs_agent_socket_path(path, sizeof(path));
        if (r < 0)
                return log_error_errno(r, "the runtime directory path %s is too long", runtime);
        return listen_at(path);
}

/* The userdb socket's directory (/run/systemd/userdb) may not exist on a
 * host without systemd: make it and its parent, as systemd would (0755). */
static int listen_userdb_socket(const char *path) {
        char dir[PATH_MAX];
        char *slash;

        strcpy(dir, path);
        slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = 0;
                char *parent = strrchr(dir, '/');
                if (parent && parent != dir) {
                        *parent = 0;
                        if (mkdir(dir, 0755) == 0)
                                (void) chmod(dir, 0755); /* not the agent's umask */
                        *parent = '/';
                }
                if (mkdir(dir, 0755) == 0)
                        (void) chmod(dir, 0755);
                else if (errno != EEXIST)
                        return log_error_errno(-errno, "creating %s: %m", dir);
        }
        return listen_at(path);
}

/* account: what the connection bounds count it against (clients.h). */
typedef void (*serve_fn)(const struct agent_config *config, struct proto_conn *conn, uid_t peer_uid, uid_t account);

struct listener {
        const char *name; /* for the log */
        int fd;
        serve_fn serve;
        const struct agent_config *config;
};

struct connection {
        struct proto_conn *conn;
        const struct listener *listener;
};

/* userdb lookups carry no per-account state. */
static void serve_userdb(const struct agent_config *config, struct proto_conn *conn, uid_t peer_uid, uid_t account) {
        userdb_serve_connection(config, conn, peer_uid);
}

static void *connection_thread(void *userdata) {
        struct connection *c = userdata;
        struct proto_conn *conn = c->conn;
        struct ucred cred;
        socklen_t len = sizeof(cred);
        uid_t account;
        int r;

        if (getsockopt(conn->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                proto_conn_free(conn);
                free(c);
                return NULL;
        }
        r = clients_account(conn->fd, &cred, &account);
        if (r == -ESRCH)
                log_warning("refusing a connection from uid %u: the connecting process exited before it was identified",
                            (unsigned) cred.uid);
        else if (r < 0)
                log_warning_errno(r, "refusing a connection from uid %u: cannot identify its process: %m",
                                  (unsigned) cred.uid);
        if (r < 0) {
                proto_conn_free(conn);
                free(c);
                return NULL;
        }
        r = clients_admit(cred.uid, account);
        if (r < 0) {
                log_warning("refusing a connection from uid %u (login uid %u): %s", (unsigned) cred.uid,
                            (unsigned) account, r == -EUSERS ? "it has too many open already" : "too many clients");
                proto_conn_free(conn);
                free(c);
                return NULL;
        }
        c->listener->serve(c->listener->config, conn, cred.uid, account);
        clients_release(cred.uid, account);
        free(c);
        return NULL;
}

/* What to do when accept() fails for lack of a resource; NULL for any
 * other error. */
static const char *accept_starved_hint(int error) {
        switch (error) {
        case EMFILE:
                return "the agent's open-file limit (RLIMIT_NOFILE) is reached: raise it (LimitNOFILE=, ulimit -n)";
        case ENFILE:
                return "the system's open-file limit is reached: raise fs.file-max";
        case ENOBUFS:
        case ENOMEM:
                return "the system is out of memory";
        default:
                return NULL;
        }
}

/* A connection that accept() fails on for lack of a resource stays in the
 * backlog, and the next accept() fails at once: so wait before each retry,
 * 50 ms doubling to 1 s, and say it once when it starts (and once when it
 * ends), or root would spin and flood the log while the limit holds.
 * Returns the time waited, the next call's waited_ms. */
static unsigned accept_wait(const struct listener *l, int error, unsigned waited_ms) {
        unsigned ms = waited_ms == 0 ? 50 : waited_ms >= 500 ? 1000 : 2 * waited_ms;

        if (waited_ms == 0)
                log_warning_errno(-error, "cannot accept connections on %s: %m; %s. Clients wait until it can again",
                                  l->name, accept_starved_hint(error));
        nanosleep(&(struct timespec) { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L }, NULL);
        return ms;
}

static void *accept_thread(void *userdata) {
        const struct listener *l = userdata;
        unsigned waited_ms = 0; /* nonzero while accept() is starved */

        for (;;) {
                struct connection *c;
                pthread_attr_t attr;
                pthread_t t;
                int fd;

                fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
                if (fd < 0 && accept_starved_hint(errno)) {
                        waited_ms = accept_wait(l, errno, waited_ms);
                        continue;
                }
                if (fd < 0) {
                        if (errno != EINTR && errno != ECONNABORTED)
                                log_warning_errno(-errno, "accept: %m");
                        continue;
                }
                if (waited_ms) {
                        log_info("accepting connections on %s again", l->name);
                        waited_ms = 0;
                }
                c = malloc(sizeof(*c));
                if (!c) {
                        close(fd);
                        continue;
                }
                c->listener = l;
                c->conn = proto_conn_new(fd);
                if (!c->conn) {
                        close(fd);
                        free(c);
                        continue;
                }
                pthread_attr_init(&attr);
                pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                if (pthread_create(&t, &attr, connection_thread, c) != 0) {
                        proto_conn_free(c->conn);
                        free(c);
                }
                pthread_attr_destroy(&attr);
        }
        return NULL;
}

static int start_listener(struct listener *l) {
        pthread_t t;

        if (pthread_create(&t, NULL, accept_thread, l) != 0)
                return log_error_errno(-EAGAIN, "cannot start an accept thread");
        return 0;
}

/* Run fn on every home, each under its lock. */
static void for_each_home(void (*fn)(struct home *h)) {
        struct home **homes;
        size_t n;

        if (registry_list(&homes, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                pthread_mutex_lock(&homes[i]->lock);
                fn(homes[i]);
                pthread_mutex_unlock(&homes[i]->lock);
        }
        registry_list_free(homes, n);
}

/* Start homefsd for every home with an image, so that while the agent runs no
 * home path is a bare directory; but not for a home whose paths fail the
 * checks (a directory above it became writable by a user since create):
 * its front would mount wherever that user points. */
static void start_front(struct home *h) {
        struct agent_error e = {};

        if (home_paths_check(h->record, &e) < 0)
                log_error("not starting the front of %s: %s", h->user_name, e.message);
        else if (home_get_state(h) == HOME_UNMOUNTED)
                (void) front_ensure(h);
}

/* passwd/group follow the records: a difference (an edit by hand, a crash
 * between usermod and the record's save) is repaired in favour of the record. */
static void sync_account(struct home *h) {
        if (accounts_sync(h->record, h->config->login_shell, "repaired from the record") == -ENOENT)
                log_warning("%s has a record but no passwd entry; remove and re-create the home, "
                            "or add the user by hand", h->user_name);
}

/* On SIGTERM: deactivate every home (held requests of a locked one fail
 * with EIO) and stop every front. */
static void shut_down_home(struct home *h) {
        struct agent_error e = {};

        (void) home_deactivate(h, &e);
        if (h->front)
                (void) front_terminate(h);
}

int main(int argc, char *argv[]) {
        /* Static: every home and every connection thread points at it until exit. */
        static struct agent_config config = {
                .homefsd = HOMEFS_SBINDIR "/homefsd",
                .cryptdev = HOMEFS_LIBEXECDIR "/homefs-cryptdev",
                .skel = "/etc/skel",
                .activation = ACTIVATION_AUTO,
                .front_timeout_sec = 30,
                .idle_timeout_ms = 5 * 60 * 1000,
                .login_shell = HOMEFS_LIBEXECDIR "/homefs-sshstub",
                .userdb_socket = USERDB_SOCKET_DEFAULT,
                .fuse_io_uring = true,
        };
        static struct listener agent = { .name = "the agent socket", .fd = -1, .serve = dispatch_connection, .config = &config };
        static struct listener userdb = { .name = "the userdb socket", .fd = -1, .serve = serve_userdb, .config = &config };
        char sock[108];
        sigset_t mask;
        int r, sig;

        log_setup("homefs-agent", LOG_LEVEL_INFO);
        r = parse_argv(argc, argv, &config);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        if (geteuid() != 0) {
                log_error("homefs-agent must run as root");
                return 1;
        }
        secret_process_harden();
        umask(0077);
        if (notify_init() < 0)
                log_warning("NOTIFY_SOCKET is not an absolute path or @name: not telling the service manager");
        crypt_set_log_callback(NULL, cryptsetup_log, NULL);
#if HAVE_PKCS11
        pkcs11_modules_init((const char (*)[PATH_MAX]) config.pkcs11_modules, config.n_pkcs11_modules);
#endif

        /* Signals are taken synchronously by the main thread; every thread
         * created from here on inherits the mask. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);

        r = registry_load(&config);
        if (r < 0)
                return 1;
        recover_at_start(config.cryptdev);
        for_each_home(sync_account);
        agent.fd = listen_agent_socket();
        if (agent.fd < 0 || start_listener(&agent) < 0)
                return 1;
        if (config.userdb_socket[0]) {
                userdb.fd = listen_userdb_socket(config.userdb_socket);
                if (userdb.fd < 0 || start_listener(&userdb) < 0)
                        return 1;
        }
        if (config.fuse_io_uring)
                (void) fuse_uring_enable();
        for_each_home(start_front);
        (void) front_watch_start();
        log_info("ready (activation: %s, state %s, runtime %s)", activation_mode_to_string(config.activation),
                 homefs_state_dir(), homefs_runtime_dir());
        /* Logins started at boot wait for this (Type=notify): the socket
         * listens and every home's front is up. */
        r = notify_send("READY=1\nSTATUS=Serving homes");
        if (r < 0)
                log_warning_errno(r, "telling the service manager we are ready: %m");

        do
                r = sigwait(&mask, &sig);
        while (r == 0 && sig == SIGHUP);

        log_info("shutting down: deactivating every home");
        (void) notify_send("STOPPING=1\nSTATUS=Deactivating every home");
        front_watch_stop();
        if (homefs_agent_socket_path(sock, sizeof(sock)) >= 0)
                (void) unlink(sock);
        if (userdb.fd >= 0)
                (void) unlink(config.userdb_socket);
        for_each_home(shut_down_home);
        return 0;
}
