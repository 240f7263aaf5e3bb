/*
 * ustrings.c - strings and words the kernel reads from user memory where
 * they meet a page boundary: execve's argv and envp strings and pointer
 * arrays, and path names, placed so that they cross into the next page, end
 * exactly at it, or run into an unmapped page (EFAULT), and paths of
 * PATH_MAX-1 and PATH_MAX bytes (ENAMETOOLONG). The kernel's string readers
 * search and copy a page at a time; these are their edges.
 */
#include "ktest.h"
#include <sys/mman.h>
#include <sys/wait.h>

static long pg;
static char *area; /* two readable pages, then one unmapped */

/* Child mode: print argv[1..] and the value of USTR, one per line. */
static int echo_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        printf("%s\n", argv[i]);
    const char *e = getenv("USTR");
    printf("%s\n", e ? e : "(none)");
    fflush(stdout);
    return 0;
}

/* Runs self with argv and envp; returns its output (static buffer). */
static const char *run_self(char *const argv[], char *const envp[])
{
    static char out[4 * 4096];
    int p[2];
    if (pipe(p) != 0)
        return "(pipe failed)";
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        kt_exec(kt_self, argv, envp);
        _exit(127);
    }
    close(p[1]);
    ssize_t n = pid > 0 ? kt_read_full(p[0], out, sizeof out - 1) : -1;
    close(p[0]);
    int st = 0;
    if (pid > 0)
        kt_waitpid(pid, &st, 0);
    out[n > 0 ? n : 0] = 0;
    return out;
}

/* A string of len 'a'..'z' bytes placed so that it starts at area+off. */
static char *place(long off, int len)
{
    char *s = area + off;
    for (int i = 0; i < len; i++)
        s[i] = (char)('a' + i % 26);
    s[len] = 0;
    return s;
}

/* execve in a child with a bad argument; the errno it failed with, or -1. */
static int exec_errno(char *const argv[], char *const envp[])
{
    int p[2];
    if (pipe(p) != 0)
        return -2;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        execve(kt_self, argv, envp);
        int e = errno;
        (void)!write(p[1], &e, sizeof e);
        _exit(0);
    }
    close(p[1]);
    int e = -1;
    if (pid > 0 && read(p[0], &e, sizeof e) != sizeof e)
        e = -1;
    close(p[0]);
    if (pid > 0)
        kt_waitpid(pid, NULL, 0);
    return e;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "-echo"))
        return echo_args(argc - 1, argv + 1);
    kt_init(argc, argv);
    kt_watchdog(120);
    pg = sysconf(_SC_PAGESIZE);
    area = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED || munmap(area + 2 * pg, pg) != 0) {
        kt_fail("mmap", "errno %d", errno);
        return kt_done();
    }

    /* An argv string across the page boundary, one ending just before it
     * (its NUL the page's last byte), one starting at the next page. */
    char *across = place(pg - 100, 300);
    char *atend = place(pg - 400, 299); /* NUL at pg-101 */
    char *last = place(2 * pg - 50, 48); /* NUL at 2*pg-2, before the hole */
    char *env[] = {place(2 * pg - 1000, 900), NULL};
    memcpy(env[0], "USTR=", 5);
    char *av[] = {(char *)"ustrings", (char *)"-echo", across, atend, last, NULL};
    char want[4096];
    snprintf(want, sizeof want, "%s\n%s\n%s\n%s\n", across, atend, last, env[0] + 5);
    const char *got = run_self(av, env);
    kt_check(!strcmp(got, want), "argv and envp strings across and at page ends", "got %.60s...", got);

    /* The argv pointer array itself straddling the boundary: its second
     * pointer's 8 bytes are split over two pages. */
    char **arr = (char **)(area + pg - 12);
    char *ptrs[] = {(char *)"ustrings", (char *)"-echo", (char *)"split", NULL};
    memcpy(arr, ptrs, sizeof ptrs);
    char *noenv[] = {NULL};
    got = run_self(arr, noenv);
    kt_check(!strcmp(got, "split\n(none)\n"), "argv array with a pointer across pages", "got '%s'", got);

    /* A string running into the unmapped page: EFAULT. */
    char *tail = area + 2 * pg - 10;
    memset(tail, 'x', 10);
    char *bad[] = {(char *)"ustrings", tail, NULL};
    int e = exec_errno(bad, noenv);
    kt_check(e == EFAULT, "argv string into an unmapped page: EFAULT", "errno %d", e);
    char *badenv[] = {tail, NULL};
    char *ok_av[] = {(char *)"ustrings", NULL};
    e = exec_errno(ok_av, badenv);
    kt_check(e == EFAULT, "envp string into an unmapped page: EFAULT", "errno %d", e);

    /* Paths: PATH_MAX-1 bytes ("/" then "./" repeats) resolve; PATH_MAX bytes
     * are ENAMETOOLONG. Placed across the page boundary. */
    char *path = area + pg - 2000;
    int n = PATH_MAX - 1;
    path[0] = '/';
    for (int i = 1; i < n; i++)
        path[i] = (i % 2) ? '.' : '/';
    path[n - 1] = '/';
    path[n] = 0;
    struct stat sb;
    int r = stat(path, &sb);
    kt_check(r == 0 && S_ISDIR(sb.st_mode), "a path of PATH_MAX-1 bytes across pages resolves", "r %d errno %d", r, errno);
    path[n] = '.';
    path[n + 1] = 0;
    errno = 0;
    r = stat(path, &sb);
    kt_check(r == -1 && errno == ENAMETOOLONG, "a path of PATH_MAX bytes: ENAMETOOLONG", "r %d errno %d", r, errno);
    /* A path running into the unmapped page: EFAULT. */
    errno = 0;
    r = stat(tail, &sb);
    kt_check(r == -1 && errno == EFAULT, "a path into an unmapped page: EFAULT", "r %d errno %d", r, errno);
    return kt_done();
}
