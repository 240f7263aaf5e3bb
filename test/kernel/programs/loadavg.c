/* loadavg.c - one CPU hog for SECONDS seconds, then /proc/loadavg. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long ms = argc > 1 ? atol(argv[1]) : 5100;
    pid_t c = fork();
    if (c == 0) {
        volatile unsigned long x = 0;
        for (;;)
            x++;
    }
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    char buf[256] = {0};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        fgets(buf, sizeof buf, f);
        fclose(f);
    }
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    printf("%s", buf);
    return 0;
}
