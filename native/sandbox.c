/*
 * qw_sandbox_apply(): the order of the layers, plus the small ones (network
 * namespace, rlimits, capabilities, no_new_privs) and the report.
 *
 * Order, and why:
 *   1. setpgid         so that "our process group" means us and nothing of the
 *                      host's (the seccomp kill rule relies on it). Not setsid:
 *                      a new session is a new scheduler autogroup, which under
 *                      load gave a worker a fraction of the CPU a plain child
 *                      gets (a 0.5 ms handler answered in 2.5 ms);
 *   2. netns           needs CAP_SYS_ADMIN (or a fresh user namespace, which
 *                      needs a single thread) and writes the uid/gid maps;
 *   3. chdir           to the private working directory, while we can still
 *                      resolve any path;
 *   4. capabilities    dropped once nothing above needs them;
 *   5. no_new_privs    required by Landlock and seccomp without CAP_SYS_ADMIN;
 *   6. Landlock        opens every granted path, so it needs file descriptors
 *                      and the filesystem still reachable;
 *   7. rlimits         after Landlock, so a tiny RLIMIT_NOFILE cannot starve
 *                      the ruleset of descriptors;
 *   8. seccomp         last: it forbids calls the earlier steps make (unshare,
 *                      and on other kernels perhaps more).
 */
#define _GNU_SOURCE
#include "sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "qw_trace.h"

void qw__sandbox_note(QWSandboxReport *report, const char *fmt, ...) {
    size_t used = strlen(report->reason);
    if (used + 3 >= sizeof report->reason)
        return;
    if (used) {
        memcpy(report->reason + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(report->reason + used, sizeof report->reason - used, fmt, ap);
    va_end(ap);
}

const char *qw_sandbox_state_name(QWSandboxState state) {
    switch (state) {
    case QW_SANDBOX_OFF:
        return "off";
    case QW_SANDBOX_ON:
        return "on";
    case QW_SANDBOX_UNAVAILABLE:
        return "unavailable";
    case QW_SANDBOX_ERROR:
        return "error";
    }
    return "error";
}

static int count_threads(void) {
    DIR *dir = opendir("/proc/self/task");
    if (!dir)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(dir);
    return n;
}

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int err = errno;
    close(fd);
    errno = err;
    return n == (ssize_t)len ? 0 : -1;
}

/* Map our own ids into the new user namespace, so getuid() inside still says
 * who we are (unmapped, it would say 65534). Access checks use the real ids
 * either way, so failure here is cosmetic and only noted. */
static void map_ids(QWSandboxReport *report, uid_t uid, gid_t gid) {
    char line[64];
    snprintf(line, sizeof line, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
    if (write_file("/proc/self/uid_map", line) != 0)
        qw__sandbox_note(report, "netns: uid_map: %s", strerror(errno));
    if (write_file("/proc/self/setgroups", "deny") != 0)
        qw__sandbox_note(report, "netns: setgroups: %s", strerror(errno));
    snprintf(line, sizeof line, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
    if (write_file("/proc/self/gid_map", line) != 0)
        qw__sandbox_note(report, "netns: gid_map: %s", strerror(errno));
}

static QWSandboxState apply_netns(QWSandboxReport *report) {
    /* Try the plain unshare first: it works for root and for anyone holding
     * CAP_SYS_ADMIN, and leaves the user namespace alone. */
    if (unshare(CLONE_NEWNET) == 0)
        return QW_SANDBOX_ON;
    int err = errno;
    if (err != EPERM) {
        qw__sandbox_note(report, "netns: %s", strerror(err));
        return err == EINVAL || err == ENOSYS ? QW_SANDBOX_UNAVAILABLE : QW_SANDBOX_ERROR;
    }
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0) {
        map_ids(report, uid, gid);
        return QW_SANDBOX_ON;
    }
    err = errno;
    /* EPERM/ENOSPC: user namespaces disabled or exhausted; EINVAL: the kernel
     * lacks them (or we have threads, checked earlier). */
    qw__sandbox_note(report, "netns: user namespace: %s", strerror(err));
    return err == EPERM || err == ENOSPC || err == EINVAL || err == ENOSYS ? QW_SANDBOX_UNAVAILABLE
                                                                           : QW_SANDBOX_ERROR;
}

/* Empty every capability set, ambient and bounding included, so that neither
 * we nor anything we exec (a root-owned process would otherwise regain the
 * full set at execve) holds one. */
static QWSandboxState drop_capabilities(QWSandboxReport *report) {
    int bounding_ok = 1;
    for (int cap = 0; cap < 64; cap++) {
        if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
            break; /* EINVAL: past the last capability this kernel knows */
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
            bounding_ok = 0; /* EPERM without CAP_SETPCAP: we hold nothing anyway */
    }
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &hdr, data) != 0) {
        qw__sandbox_note(report, "capabilities: capset: %s", strerror(errno));
        return QW_SANDBOX_ERROR;
    }
    if (!bounding_ok && geteuid() == 0) {
        /* Root without CAP_SETPCAP cannot shrink the bounding set; execve
         * would hand the rest back. no_new_privs does not prevent that for
         * root, so say so. */
        qw__sandbox_note(report, "capabilities: bounding set not dropped");
        return QW_SANDBOX_ERROR;
    }
    return QW_SANDBOX_ON;
}

/* Set a limit to `value`, soft and hard (for RLIMIT_CPU the hard limit is one
 * second later, so SIGXCPU comes before SIGKILL). The hard limit is never
 * raised: an inherited lower one wins, and the soft limit follows it. */
static int lower_limit(int resource, uint64_t value, int cpu) {
    struct rlimit cur;
    if (getrlimit(resource, &cur) != 0)
        return -1;
    rlim_t soft = (rlim_t)value;
    rlim_t hard = cpu ? soft + 1 : soft;
    if (cur.rlim_max != RLIM_INFINITY && hard > cur.rlim_max)
        hard = cur.rlim_max;
    if (soft > hard)
        soft = hard;
    struct rlimit next = {.rlim_cur = soft, .rlim_max = hard};
    return setrlimit(resource, &next);
}

static QWSandboxState apply_rlimits(const QWSandboxPolicy *p, QWSandboxReport *report) {
    struct {
        int resource;
        uint64_t value;
        const char *name;
    } limits[] = {
        {RLIMIT_NOFILE, p->max_fds, "RLIMIT_NOFILE"},       {RLIMIT_CPU, p->cpu_seconds, "RLIMIT_CPU"},
        {RLIMIT_AS, p->address_space_bytes, "RLIMIT_AS"},   {RLIMIT_DATA, p->data_bytes, "RLIMIT_DATA"},
        {RLIMIT_FSIZE, p->file_size_bytes, "RLIMIT_FSIZE"}, {RLIMIT_NPROC, p->max_processes, "RLIMIT_NPROC"},
    };
    QWSandboxState state = QW_SANDBOX_OFF;
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        if (!limits[i].value)
            continue;
        if (state == QW_SANDBOX_OFF)
            state = QW_SANDBOX_ON;
        if (lower_limit(limits[i].resource, limits[i].value, limits[i].resource == RLIMIT_CPU) != 0) {
            qw__sandbox_note(report, "rlimits: %s: %s", limits[i].name, strerror(errno));
            state = QW_SANDBOX_ERROR;
        }
    }
    return state;
}

QWSandboxState qw_sandbox_apply_netns(QWSandboxReport *report) {
    memset(report, 0, sizeof *report);
    int threads = count_threads();
    if (threads != 1) {
        qw__sandbox_note(report, "netns: %s", threads > 1 ? "called with several threads" : "cannot count threads");
        report->netns = QW_SANDBOX_ERROR;
        return report->netns;
    }
    report->netns = apply_netns(report);
    return report->netns;
}

int qw_sandbox_apply(const QWSandboxPolicy *policy, QWSandboxReport *report) {
    /* An early network namespace (qw_sandbox_apply_netns) keeps its state and
     * notes; asked for together with network, it is a caller's mistake. */
    QWSandboxState early_netns = QW_SANDBOX_OFF;
    char early_reason[QW_SANDBOX_REASON_MAX] = "";
    if (policy->netns_applied) {
        early_netns = report->netns;
        memcpy(early_reason, report->reason, sizeof early_reason);
        early_reason[sizeof early_reason - 1] = '\0';
    }
    memset(report, 0, sizeof *report);
    int failed = 0;
    if (policy->netns_applied) {
        memcpy(report->reason, early_reason, sizeof early_reason);
        if (policy->allow_network) {
            qw__sandbox_note(report, "netns: made early for a policy that allows network");
            early_netns = QW_SANDBOX_ERROR;
        }
    }

    int threads = count_threads();
    if (threads != 1) {
        if (threads > 1)
            qw__sandbox_note(report, "called with %d threads; call before any thread starts", threads);
        else
            qw__sandbox_note(report, "cannot count threads in /proc/self/task");
        report->netns = report->rlimits = report->capabilities = report->no_new_privs = report->landlock =
            report->seccomp = QW_SANDBOX_ERROR;
        return -1;
    }

    /* Errors are ignored: the kill rule checks getpgrp() itself and, when we
     * do not lead our group, allows only our own pid. */
    if (getpgrp() != getpid())
        (void)setpgid(0, 0);

    if (policy->netns_applied)
        report->netns = early_netns;
    else
        report->netns = policy->allow_network ? QW_SANDBOX_OFF : apply_netns(report);
    qw_trace("netns");

    if (policy->workdir && chdir(policy->workdir) != 0) {
        qw__sandbox_note(report, "workdir %s: %s", policy->workdir, strerror(errno));
        failed = 1;
    }

    report->capabilities = drop_capabilities(report);

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0) {
        report->no_new_privs = QW_SANDBOX_ON;
    } else {
        qw__sandbox_note(report, "no_new_privs: %s", strerror(errno));
        report->no_new_privs = QW_SANDBOX_ERROR;
    }

    report->landlock = qw__sandbox_landlock(policy, report);
    qw_trace("landlock");
    report->rlimits = apply_rlimits(policy, report);
    qw_trace("rlimits");
    report->seccomp = qw__sandbox_seccomp(policy, report);

    const QWSandboxState *all[] = {&report->netns,        &report->rlimits,  &report->capabilities,
                                   &report->no_new_privs, &report->landlock, &report->seccomp};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (*all[i] == QW_SANDBOX_ERROR)
            failed = 1;
    return failed ? -1 : 0;
}

int qw_sandbox_report_complete(const QWSandboxReport *r) {
    const QWSandboxState all[] = {r->netns,        r->rlimits,  r->capabilities,
                                  r->no_new_privs, r->landlock, r->seccomp};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i] != QW_SANDBOX_ON && all[i] != QW_SANDBOX_OFF)
            return 0;
    return 1;
}

/* JSON string body: escape quotes, backslashes and control characters. */
static size_t escape_json(const char *s, char *out, size_t cap) {
    size_t n = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char tmp[8];
        const char *piece = tmp;
        if (c == '"' || c == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)c;
            tmp[2] = '\0';
        } else if (c < 0x20) {
            snprintf(tmp, sizeof tmp, "\\u%04x", c);
        } else {
            tmp[0] = (char)c;
            tmp[1] = '\0';
        }
        size_t len = strlen(piece);
        if (n + len >= cap)
            break;
        memcpy(out + n, piece, len);
        n += len;
    }
    out[n] = '\0';
    return n;
}

int qw_sandbox_report_json(const QWSandboxReport *r, char *buf, size_t len) {
    char reason[QW_SANDBOX_REASON_MAX * 6 + 1];
    escape_json(r->reason, reason, sizeof reason);
    int n = snprintf(buf, len,
                     "{\"landlock\":\"%s\",\"landlockAbi\":%d,\"seccomp\":\"%s\","
                     "\"rlimits\":\"%s\",\"netns\":\"%s\",\"noNewPrivs\":\"%s\","
                     "\"capabilities\":\"%s\"%s%s%s}",
                     qw_sandbox_state_name(r->landlock), r->landlock_abi, qw_sandbox_state_name(r->seccomp),
                     qw_sandbox_state_name(r->rlimits), qw_sandbox_state_name(r->netns),
                     qw_sandbox_state_name(r->no_new_privs), qw_sandbox_state_name(r->capabilities),
                     reason[0] ? ",\"reason\":\"" : "", reason, reason[0] ? "\"" : "");
    if (n < 0 || (size_t)n >= len)
        return -1;
    return n;
}
