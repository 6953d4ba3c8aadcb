/*
 * Start-up timeline of a worker, for measuring only: built with -DQW_TRACE,
 * the worker writes "TRACE <step> <wall-clock ms>" lines to its stderr (which
 * the host turns into log entries) at each step between its fork and `ready`.
 * bench/cold-start-steps.mjs reads them. Compiled out otherwise.
 */
#ifndef QW_TRACE_H
#define QW_TRACE_H
#ifdef QW_TRACE
#include <stdio.h>
#include <time.h>
static inline void qw_trace(const char *what) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    fprintf(stderr, "TRACE %s %.3f\n", what, (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6);
}
#else
#define qw_trace(x) ((void)0)
#endif
#endif
