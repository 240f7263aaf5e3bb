/* hackbench.c - hackbench's pipe mode: GROUPS groups of FDS senders and FDS
 * receivers (processes); every sender writes LOOPS messages of 100 bytes to
 * every receiver of its group through the receiver's pipe.
 *
 *   hackbench GROUPS FDS LOOPS
 *
 * Prints the time from the start signal until the last receiver is done,
 * and the context switches the system made meanwhile (/proc/stat ctxt). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DATASIZE 100

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long ctxt(void)
{
    char buf[4096] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    char *p = strstr(buf, "ctxt ");
    return p ? atoll(p + 5) : -1;
}

static void ready(int ready_out, int wakefd)
{
    char dummy = 0;
    if (write(ready_out, &dummy, 1) != 1 || read(wakefd, &dummy, 1) != 1)
        _exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: hackbench GROUPS FDS LOOPS\n");
        return 2;
    }
    int groups = atoi(argv[1]), fds = atoi(argv[2]), loops = atoi(argv[3]);
    int readyfds[2], wakefds[2];
    if (pipe(readyfds) || pipe(wakefds))
        return 1;
    int children = 0;
    for (int g = 0; g < groups; g++) {
        int out[64];
        for (int r = 0; r < fds; r++) {
            int p[2];
            if (pipe(p))
                return 1;
            out[r] = p[1];
            if (fork() == 0) {
                close(p[1]);
                ready(readyfds[1], wakefds[0]);
                char buf[DATASIZE];
                for (long left = (long)fds * loops * DATASIZE; left > 0;) {
                    ssize_t n = read(p[0], buf, left < DATASIZE ? left : DATASIZE);
                    if (n <= 0)
                        _exit(1);
                    left -= n;
                }
                _exit(0);
            }
            close(p[0]);
            children++;
        }
        for (int s = 0; s < fds; s++) {
            if (fork() == 0) {
                ready(readyfds[1], wakefds[0]);
                char buf[DATASIZE];
                memset(buf, 's', sizeof buf);
                for (int l = 0; l < loops; l++)
                    for (int r = 0; r < fds; r++)
                        if (write(out[r], buf, DATASIZE) != DATASIZE)
                            _exit(1);
                _exit(0);
            }
            children++;
        }
        for (int r = 0; r < fds; r++)
            close(out[r]);
    }
    char dummy;
    for (int i = 0; i < children; i++)
        if (read(readyfds[0], &dummy, 1) != 1)
            return 1;
    long long c0 = ctxt(), t0 = now_ns();
    char go[256];
    memset(go, 0, sizeof go);
    for (int left = children; left > 0; left -= (left < 256 ? left : 256))
        if (write(wakefds[1], go, left < 256 ? left : 256) < 0)
            return 1;
    int bad = 0;
    for (int i = 0; i < children; i++) {
        int st;
        wait(&st);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bad++;
    }
    long long t1 = now_ns(), c1 = ctxt();
    printf("time_ms %.3f ctxt %lld tasks %d failed %d\n", (t1 - t0) / 1e6, c1 - c0, children, bad);
    return bad ? 1 : 0;
}
