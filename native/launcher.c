/*
 * bunbase-launcher: fence this process with qw_sandbox_apply(), then execve()
 * the program named after "--" (Bun). Every layer survives execve, so the
 * program starts already fenced, before it has run a single instruction of its
 * own, let alone user code.
 *
 *   bunbase-launcher [options] -- /abs/path/to/program [args...]
 *
 * Exit codes before the exec: 42 bad settings (this project's convention),
 * 43 the fence could not be applied (or --require and a layer is missing),
 * 127 the exec itself failed. After the exec, the program's own.
 */
#define _GNU_SOURCE
#include "sandbox.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXIT_BAD_SETTINGS 42
#define EXIT_FENCE_FAILED 43
#define EXIT_EXEC_FAILED 127

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const char USAGE[] =
    "usage: bunbase-launcher [options] -- /abs/program [args...]\n"
    "\n"
    "Filesystem (Landlock):\n"
    "  --allow-fs            with no --fs-rw: everything but /proc, /sys, /dev read-write\n"
    "  --fs-rw DIR           read-write directory (repeatable)\n"
    "  --fs-ro DIR           read-only directory (repeatable)\n"
    "  --read PATH           runtime file or directory, read only (repeatable)\n"
    "  --exec PATH           runtime file or directory, read and execute (repeatable)\n"
    "  --write-file PATH     existing file the runtime may open for writing, e.g. /dev/null\n"
    "  --workdir DIR         chdir here first; granted read-write\n"
    "  --no-auto-exec        do not grant the program and its ELF interpreter automatically\n"
    "Processes, network:\n"
    "  --allow-child         allow fork/exec (default: denied by seccomp)\n"
    "  --allow-net           no private network namespace, no Landlock TCP rules\n"
    "  --allow-inet-sockets  allow socket() for every family (default: none)\n"
    "  --allow-unix-sockets  allow socket(AF_UNIX) (socketpair is always allowed)\n"
    "Limits (0 or absent: inherited):\n"
    "  --max-fds N  --cpu-seconds N  --as-bytes N  --data-bytes N  --fsize-bytes N\n"
    "  --max-procs N         RLIMIT_NPROC (per uid, counts threads; see docs/os-fence.md)\n"
    "Process setup:\n"
    "  --env NAME=VALUE      environment of the program; nothing else is passed (repeatable;\n"
    "                        LD_* refused)\n"
    "  --keep-fd N           keep descriptor N open across the exec (0-2 always are)\n"
    "  --report-fd N         write the report as one JSON line to N before the exec\n"
    "  --report-env NAME     also pass the report to the program as NAME=<json>\n"
    "  --require             exit 43 unless every layer is on or off (nothing unavailable)\n"
    "  --landlock-audit      keep Landlock audit records for denials\n";

typedef struct QWLauncher {
    QWSandboxPolicy policy;
    const char **rw, **ro;
    QWSandboxPath *runtime;
    char **env;
    int *keep;
    size_t n_env, n_keep;
    int report_fd;
    const char *report_env; /* NAME, or NULL */
    char *report_env_entry; /* "NAME=<json>", heap, appended to env */
    int require;
    int auto_exec;
    char **program; /* argv of the program, NULL-terminated (inside our argv) */
    char interp[PATH_MAX];
} QWLauncher;

static int bad(const char *fmt, const char *arg) {
    fprintf(stderr, "bunbase-launcher: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun bunbase-launcher --help for the options.\n");
    return EXIT_BAD_SETTINGS;
}

static int parse_u64(const char *s, uint64_t *out) {
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_fd(const char *s, int *out) {
    uint64_t v;
    if (parse_u64(s, &v) != 0 || v > INT_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

/* The ELF interpreter (PT_INTERP) of `path`, or "" if it has none (static, or
 * not ELF: then the kernel will say so at exec). */
static int read_interp(const char *path, char *out, size_t cap) {
    out[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    Elf64_Ehdr eh;
    int rc = 0;
    if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr))
        goto done;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph)) != (ssize_t)sizeof ph)
            break;
        if (ph.p_type != PT_INTERP)
            continue;
        if (ph.p_filesz == 0 || ph.p_filesz >= cap) {
            rc = -1;
            break;
        }
        if (pread(fd, out, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz) {
            out[0] = '\0';
            rc = -1;
            break;
        }
        out[ph.p_filesz] = '\0';
        break;
    }
done:
    close(fd);
    return rc;
}

static int parse_args(QWLauncher *l, int argc, char **argv) {
    QWSandboxPolicy *p = &l->policy;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t *num = NULL;
        if (!strcmp(a, "--")) {
            if (i + 1 >= argc)
                return bad("%s", "no program after --");
            l->program = &argv[i + 1];
            if (l->program[0][0] != '/')
                return bad("program must be an absolute path: %s", l->program[0]);
            return 0;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(USAGE, stdout);
            return -1; /* main turns this into exit status 0 */
        } else if (!strcmp(a, "--allow-fs")) {
            p->allow_filesystem = 1;
        } else if (!strcmp(a, "--allow-child")) {
            p->allow_child_process = 1;
        } else if (!strcmp(a, "--allow-net")) {
            p->allow_network = 1;
        } else if (!strcmp(a, "--allow-inet-sockets")) {
            p->allow_inet_sockets = 1;
        } else if (!strcmp(a, "--allow-unix-sockets")) {
            p->allow_unix_sockets = 1;
        } else if (!strcmp(a, "--require")) {
            l->require = 1;
        } else if (!strcmp(a, "--landlock-audit")) {
            p->landlock_audit = 1;
        } else if (!strcmp(a, "--no-auto-exec")) {
            l->auto_exec = 0;
        } else {
            /* Everything below takes a value. */
            if (!v)
                return bad("%s needs a value", a);
            i++;
            if (!strcmp(a, "--fs-rw") || !strcmp(a, "--fs-ro") || !strcmp(a, "--read") ||
                !strcmp(a, "--exec") || !strcmp(a, "--write-file") || !strcmp(a, "--workdir")) {
                if (v[0] != '/')
                    return bad("paths must be absolute: %s", v);
            }
            if (!strcmp(a, "--fs-rw")) {
                l->rw[p->n_rw_paths++] = v;
            } else if (!strcmp(a, "--fs-ro")) {
                l->ro[p->n_ro_paths++] = v;
            } else if (!strcmp(a, "--read")) {
                l->runtime[p->n_runtime_paths++] = (QWSandboxPath){v, QW_SANDBOX_READ};
            } else if (!strcmp(a, "--exec")) {
                l->runtime[p->n_runtime_paths++] = (QWSandboxPath){v, QW_SANDBOX_EXEC};
            } else if (!strcmp(a, "--write-file")) {
                l->runtime[p->n_runtime_paths++] = (QWSandboxPath){v, QW_SANDBOX_READ | QW_SANDBOX_WRITE};
            } else if (!strcmp(a, "--workdir")) {
                p->workdir = v;
            } else if (!strcmp(a, "--env")) {
                if (!strchr(v, '=') || v[0] == '=')
                    return bad("--env wants NAME=VALUE, got: %s", v);
                if (!strncmp(v, "LD_", 3))
                    return bad("refusing to pass a dynamic-loader variable: %s", v);
                l->env[l->n_env++] = (char *)v;
            } else if (!strcmp(a, "--keep-fd")) {
                if (parse_fd(v, &l->keep[l->n_keep]) != 0)
                    return bad("--keep-fd wants a descriptor number, got: %s", v);
                l->n_keep++;
            } else if (!strcmp(a, "--report-env")) {
                if (!v[0] || strchr(v, '='))
                    return bad("--report-env wants a variable name, got: %s", v);
                l->report_env = v;
            } else if (!strcmp(a, "--report-fd")) {
                if (parse_fd(v, &l->report_fd) != 0)
                    return bad("--report-fd wants a descriptor number, got: %s", v);
            } else if (!strcmp(a, "--max-fds")) {
                num = &p->max_fds;
            } else if (!strcmp(a, "--cpu-seconds")) {
                num = &p->cpu_seconds;
            } else if (!strcmp(a, "--as-bytes")) {
                num = &p->address_space_bytes;
            } else if (!strcmp(a, "--data-bytes")) {
                num = &p->data_bytes;
            } else if (!strcmp(a, "--fsize-bytes")) {
                num = &p->file_size_bytes;
            } else if (!strcmp(a, "--max-procs")) {
                num = &p->max_processes;
            } else {
                return bad("unknown option: %s", a);
            }
            if (num && parse_u64(v, num) != 0)
                return bad("not a non-negative integer: %s", v);
        }
    }
    return bad("%s", "missing -- before the program");
}

/* Mark every inherited descriptor above stderr close-on-exec, except those
 * the caller asked to keep: a stray descriptor from the host is access that
 * no Landlock rule would ever see. */
static int seal_descriptors(const QWLauncher *l) {
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        /* Pre-5.11 kernel: walk the table up to the soft limit. */
        long max = sysconf(_SC_OPEN_MAX);
        for (long fd = 3; fd < max && fd < 65536; fd++) {
            int fl = fcntl((int)fd, F_GETFD);
            if (fl >= 0)
                fcntl((int)fd, F_SETFD, fl | FD_CLOEXEC);
        }
    }
    for (size_t i = 0; i < l->n_keep; i++) {
        int fd = l->keep[i];
        int fl = fcntl(fd, F_GETFD);
        if (fl < 0) {
            fprintf(stderr, "bunbase-launcher: --keep-fd %d: not an open descriptor\n", fd);
            return -1;
        }
        if (fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) != 0)
            return -1;
    }
    return 0;
}

static void write_all(int fd, const char *buf, size_t len) {
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

static int run(QWLauncher *l) {
    QWSandboxPolicy *p = &l->policy;
    p->rw_paths = l->rw;
    p->ro_paths = l->ro;
    p->runtime_paths = l->runtime;
    const char *prog = l->program[0];
    if (l->auto_exec) {
        if (access(prog, X_OK) != 0)
            return bad("cannot execute the program: %s", prog);
        l->runtime[p->n_runtime_paths++] = (QWSandboxPath){prog, QW_SANDBOX_EXEC};
        if (read_interp(prog, l->interp, sizeof l->interp) != 0)
            return bad("cannot read the ELF interpreter of %s", prog);
        if (l->interp[0])
            l->runtime[p->n_runtime_paths++] = (QWSandboxPath){l->interp, QW_SANDBOX_EXEC};
    }
    /* The one execve seccomp lets through when children are denied is the
     * one below, with this very pointer. */
    p->exec_filename = prog;

    if (seal_descriptors(l) != 0)
        return EXIT_BAD_SETTINGS;

    QWSandboxReport report;
    int failed = qw_sandbox_apply(p, &report) != 0;
    char json[QW_SANDBOX_JSON_MAX + 2];
    int n = qw_sandbox_report_json(&report, json, sizeof json - 1);
    if (n < 0)
        n = snprintf(json, sizeof json, "{\"error\":\"report too long\"}");
    json[n++] = '\n';
    if (l->report_fd >= 0)
        write_all(l->report_fd, json, (size_t)n);
    if (failed || (l->require && !qw_sandbox_report_complete(&report))) {
        fprintf(stderr, "bunbase-launcher: the OS fence is incomplete, not starting %s: %.*s", prog, n, json);
        return EXIT_FENCE_FAILED;
    }

    if (l->report_env) {
        /* The env array has room: it holds at most one entry per argument. */
        size_t len = strlen(l->report_env) + 1 + (size_t)n;
        l->report_env_entry = malloc(len);
        if (!l->report_env_entry)
            return EXIT_FENCE_FAILED;
        snprintf(l->report_env_entry, len, "%s=%.*s", l->report_env, n - 1, json);
        l->env[l->n_env++] = l->report_env_entry;
    }

    execve(prog, l->program, l->env);
    fprintf(stderr, "bunbase-launcher: exec %s: %s\n", prog, strerror(errno));
    return EXIT_EXEC_FAILED;
}

int main(int argc, char **argv) {
    QWLauncher l;
    memset(&l, 0, sizeof l);
    l.report_fd = -1;
    l.auto_exec = 1;
    /* No list can hold more entries than there are arguments. */
    size_t cap = (size_t)argc + 2;
    l.rw = calloc(cap, sizeof *l.rw);
    l.ro = calloc(cap, sizeof *l.ro);
    l.runtime = calloc(cap, sizeof *l.runtime);
    l.env = calloc(cap, sizeof *l.env);
    l.keep = calloc(cap, sizeof *l.keep);
    int rc;
    if (!l.rw || !l.ro || !l.runtime || !l.env || !l.keep) {
        fprintf(stderr, "bunbase-launcher: out of memory\n");
        rc = EXIT_BAD_SETTINGS;
    } else {
        rc = parse_args(&l, argc, argv);
        if (rc == 0)
            rc = run(&l);
        else if (rc < 0)
            rc = 0;
    }
    free(l.rw);
    free(l.ro);
    free(l.runtime);
    free(l.env);
    free(l.keep);
    free(l.report_env_entry);
    return rc;
}
