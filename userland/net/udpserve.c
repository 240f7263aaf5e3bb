/*
 * udpserve.c - a UDP server that answers each datagram with "guest:" and
 * the datagram, from the port it was sent to: `udpserve PORT N` serves at
 * most N datagrams on 0.0.0.0:PORT, the last one "quit", and exits 0
 * (test/net/usernet.test.ts runs it behind `ghost run -p HOST:PORT/udp`). Without arguments it checks itself
 * over 127.0.0.1 (a forked server, two clients answered each on its own
 * address), as test/net/net.test.ts runs every program here.
 */
#include "nettest.h"
#include <sys/wait.h>

static int serve(int fd, int n)
{
    for (int i = 0; i < n; i++) {
        char in[1024], out[1100];
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        ssize_t r = recvfrom(fd, in, sizeof in, 0, (struct sockaddr *)&from, &flen);
        if (r < 0)
            return 1;
        memcpy(out, "guest:", 6);
        memcpy(out + 6, in, (size_t)r);
        if (sendto(fd, out, (size_t)r + 6, 0, (struct sockaddr *)&from, flen) != r + 6)
            return 1;
        if (r == 4 && memcmp(in, "quit", 4) == 0)
            break;
    }
    return 0;
}

static int bound(int port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY) };
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
        return -1;
    return fd;
}

int main(int argc, char **argv)
{
    if (argc == 3) {
        int fd = bound(atoi(argv[1]));
        if (fd < 0) {
            perror("udpserve: bind");
            return 1;
        }
        return serve(fd, atoi(argv[2]));
    }
    vt_alarm(60);
    int fd = bound(0);
    CHECK(fd >= 0, "a UDP socket bound to a port of its own");
    int port = nt_port(fd);
    pid_t pid = fork();
    if (pid == 0)
        _exit(serve(fd, 2));
    close(fd);
    for (int c = 0; c < 2; c++) {
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_storage ss;
        socklen_t len = nt_addr(AF_INET, &ss, port);
        const char *msg = c ? "second" : "first";
        CHECK_EQ(sendto(s, msg, strlen(msg), 0, (struct sockaddr *)&ss, len), (ssize_t)strlen(msg), "a datagram to the server");
        char buf[64] = { 0 };
        struct sockaddr_in from;
        socklen_t flen = sizeof from;
        ssize_t r = recvfrom(s, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &flen);
        CHECK_EQ(r, (ssize_t)strlen(msg) + 6, "the answer's length");
        CHECK_STR(buf, c ? "guest:second" : "guest:first", "the answer");
        CHECK_EQ(ntohs(from.sin_port), port, "the answer comes from the server's port");
        close(s);
    }
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid, "the server exits");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the server served both");
    return kt_done();
}
