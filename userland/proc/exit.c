/*
 * exit.c - process exit paths and statuses.
 *
 * Without arguments it checks atexit ordering and stdio flushing at exit and
 * exits 0. With arguments it exits in a particular way, for the test runner
 * to check the status the parent sees:
 *
 *   exit N          exit(N)                     -> status N & 0xff
 *   _exit N         _exit(N)                    -> status N & 0xff
 *   exit_group N    raw exit_group syscall      -> status N & 0xff
 *   exit_thread N   raw exit syscall (the only thread, so the process ends) -> N & 0xff
 *   return N        return N from main          -> status N & 0xff
 *   kill SIG        kill(getpid(), SIG), default action -> killed by SIG
 *   abort           abort()                     -> killed by SIGABRT
 *   segv            store through a NULL pointer -> killed by SIGSEGV
 *   flush           printf without newline, then exit(3); stdout must say "flushed"
 *   noflush         printf without newline, then _exit(4); stdout must be empty
 */
#include "ktest.h"
#include <signal.h>

static int order[3], norder;

static void h1(void)
{
    order[norder++] = 1;
    /* registered first, so runs last: verify the order */
    int good = norder == 3 && order[0] == 3 && order[1] == 2 && order[2] == 1;
    if (good)
        kt_printf("ok - atexit handlers ran in reverse order of registration\n");
    else
        kt_printf("not ok - atexit handlers ran in reverse order of registration: got %d handlers, order %d %d %d\n",
                  norder, order[0], order[1], order[2]);
    if (!good)
        _exit(1);
}
static void h2(void)
{
    order[norder++] = 2;
}
static void h3(void)
{
    order[norder++] = 3;
}

int main(int argc, char **argv)
{
    if (argc >= 2) {
        const char *how = argv[1];
        int n = argc >= 3 ? atoi(argv[2]) : 0;
        if (strcmp(how, "exit") == 0)
            exit(n);
        if (strcmp(how, "_exit") == 0)
            _exit(n);
        if (strcmp(how, "exit_group") == 0)
            syscall(SYS_exit_group, n);
        if (strcmp(how, "exit_thread") == 0)
            syscall(SYS_exit, n);
        if (strcmp(how, "return") == 0)
            return n;
        if (strcmp(how, "kill") == 0) {
            kill(getpid(), n);
            return 100; /* not reached for fatal signals */
        }
        if (strcmp(how, "abort") == 0)
            abort();
        if (strcmp(how, "segv") == 0) {
            *(volatile int *)(uintptr_t)0 = 1;
            return 101;
        }
        if (strcmp(how, "flush") == 0) {
            printf("flushed");
            exit(3);
        }
        if (strcmp(how, "noflush") == 0) {
            printf("not flushed");
            _exit(4);
        }
        fprintf(stderr, "exit: unknown mode %s\n", how);
        return 99;
    }

    CHECK_EQ(atexit(h1), 0, "atexit h1");
    CHECK_EQ(atexit(h2), 0, "atexit h2");
    CHECK_EQ(atexit(h3), 0, "atexit h3");
    /* This line sits in stdio's buffer (stdout is a pipe) until exit flushes it. */
    printf("ok - stdio buffers are flushed at exit\n");
    return kt_done();
}
