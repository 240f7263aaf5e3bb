/* pingpong.c - a parent and a child bounce a byte through two pipes while a
 * thread of the parent burns CPU: context switches, wake-ups, syscalls and
 * page faults for the trace tests. Prints a checksum and a few random bytes
 * (getrandom, /dev/urandom) so that runs can be compared. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int stop, stopped;

static void *burn(void *arg)
{
    (void)arg;
    volatile unsigned long x = 0;
    while (!stop)
        x++;
    stopped = 1;
    return NULL;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 100;
    int a[2], b[2];
    if (pipe(a) || pipe(b))
        return 1;
    pid_t c = fork();
    if (c == 0) {
        char ch;
        for (int i = 0; i < rounds; i++) {
            if (read(a[0], &ch, 1) != 1)
                _exit(2);
            ch++;
            write(b[1], &ch, 1);
        }
        _exit(0);
    }
    pthread_t th;
    pthread_create(&th, NULL, burn, NULL);
    unsigned sum = 0;
    char ch = 0;
    for (int i = 0; i < rounds; i++) {
        write(a[1], &ch, 1);
        read(b[0], &ch, 1);
        sum = sum * 31 + (unsigned char)ch;
    }
    stop = 1;
    while (!stopped) /* (no pthread_join: it is not what is tested here) */
        sched_yield();
    pthread_detach(th);
    int st;
    waitpid(c, &st, 0);
    unsigned char r[8];
    getrandom(r, sizeof r, 0);
    FILE *f = fopen("/dev/urandom", "r");
    unsigned char u[4] = {0};
    if (f) {
        fread(u, 1, sizeof u, f);
        fclose(f);
    }
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    printf("sum %u status %d random %02x%02x%02x%02x%02x%02x%02x%02x urandom %02x%02x%02x%02x realtime %lld\n", sum, st,
           r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], u[0], u[1], u[2], u[3], (long long)rt.tv_sec);
    return 0;
}
