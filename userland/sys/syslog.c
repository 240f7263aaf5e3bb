/* syslog.c - the kernel log through klogctl(3): a fault that kills a process
 * is logged (Linux's show_unhandled_signals), a caught one is not; the
 * actions' results, errors and permissions.
 * Under qemu-user only the first check runs: the rest would read (and clear)
 * the host's own log. */
#include "ktest.h"
#include <signal.h>
#include <sys/klog.h>
#include <sys/wait.h>

static int died_of_segv(void (*body)(void))
{
    pid_t c = fork();
    if (c == 0) {
        body();
        _exit(0);
    }
    int st = 0;
    waitpid(c, &st, 0);
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV;
}

/* Hidden from the compiler, which would warn about a constant address. */
static volatile int *volatile at_0x10 = (volatile int *)16, *volatile at_0x18 = (volatile int *)24;

static void store_at_0x10(void) { *at_0x10 = 1; }

static void on_segv(int sig) { (void)sig; _exit(7); }
static void caught_store(void)
{
    signal(SIGSEGV, on_segv);
    *at_0x18 = 1;
}

static char buf[1 << 17];

int main(void)
{
    CHECK_ERR(klogctl(99, buf, 10), EINVAL, "an unknown action is EINVAL");
    if (kt_qemu()) /* qemu-user checks the buffer before the arguments, unlike Linux */
        return kt_done();
    CHECK_ERR(klogctl(3, NULL, 10), EINVAL, "READ_ALL into NULL is EINVAL");
    CHECK_ERR(klogctl(3, buf, -1), EINVAL, "READ_ALL of a negative length is EINVAL");

    CHECK_EQ(klogctl(10, NULL, 0), 1 << 17, "SIZE_BUFFER is the 128 KiB log buffer");
    CHECK_OK(klogctl(5, NULL, 0), "CLEAR as root");
    CHECK_EQ(klogctl(3, buf, sizeof buf), 0, "READ_ALL after CLEAR is empty");
    CHECK(died_of_segv(store_at_0x10), "a store to 0x10 kills the child with SIGSEGV");
    int n = klogctl(3, buf, sizeof buf - 1);
    CHECK(n > 0, "READ_ALL returns the new record");
    buf[n > 0 ? n : 0] = 0;
    CHECK(strstr(buf, "<6>[") == buf, "records start with <level>[seconds]");
    CHECK(strstr(buf, "]: unhandled signal 11 code 0x1 at 0x0000000000000010 in ") != NULL,
          "the fault is logged: signal 11, SEGV_MAPERR, the address");
    CHECK(strstr(buf, "epc : 0x") != NULL, "with the registers");
    CHECK_EQ(klogctl(3, buf, 20), 0, "READ_ALL into a buffer smaller than a record gives nothing");

    CHECK_OK(klogctl(5, NULL, 0), "CLEAR again");
    pid_t c = fork();
    if (c == 0) {
        caught_store();
        _exit(0);
    }
    int st = 0;
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "a caught SIGSEGV runs the handler");
    CHECK_EQ(klogctl(3, buf, sizeof buf), 0, "... and is not logged");

    died_of_segv(store_at_0x10);
    CHECK(klogctl(9, NULL, 0) > 0, "SIZE_UNREAD counts the unread records");
    n = klogctl(2, buf, sizeof buf);
    CHECK(n > 0 && strstr(buf, "unhandled signal 11") != NULL, "READ consumes them");
    CHECK_EQ(klogctl(9, NULL, 0), 0, "... leaving none unread");
    n = klogctl(4, buf, sizeof buf);
    CHECK(n > 0, "READ_CLEAR returns the records");
    CHECK_EQ(klogctl(3, buf, sizeof buf), 0, "... and clears them");
    CHECK_ERR(klogctl(8, NULL, 9), EINVAL, "CONSOLE_LEVEL 9 is EINVAL");
    CHECK_OK(klogctl(8, NULL, 4), "CONSOLE_LEVEL 4");

    c = fork();
    if (c == 0) {
        if (setuid(65534) != 0)
            _exit(2);
        int ok = klogctl(10, NULL, 0) == (1 << 17) && klogctl(3, buf, sizeof buf) >= 0;
        errno = 0;
        int clear = klogctl(5, NULL, 0);
        int e1 = errno;
        errno = 0;
        int rd = klogctl(2, buf, sizeof buf);
        int e2 = errno;
        _exit(ok && clear == -1 && e1 == EPERM && rd == -1 && e2 == EPERM ? 0 : 1);
    }
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "uid 65534 may READ_ALL and SIZE_BUFFER, not CLEAR or READ (EPERM)");
    return kt_done();
}
