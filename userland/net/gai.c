/*
 * gai.c - glibc's getaddrinfo over Ghost's addresses.
 *
 * Without arguments (loopback, under qemu-riscv64 and Ghost): numeric
 * IPv6 and IPv4 hosts, and localhost for AF_INET from /etc/hosts.
 *
 * With NAME... (on Ghost's eth0): prints, for each NAME, the addresses
 * getaddrinfo(AF_UNSPEC, SOCK_STREAM, AI_ADDRCONFIG) gives, in its order,
 * as `NAME: ADDR ADDR ...`. glibc asks the kernel which families have an
 * address other than loopback (AI_ADDRCONFIG, through RTM_GETADDR) and
 * sorts by RFC 3484 with the source address each destination would get
 * (a connected UDP socket's getsockname): so the order shows what the
 * kernel's addresses and routes are.
 */
#include "nettest.h"
#include <netdb.h>

static void list(const char *name)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = getenv("GAI_NOADDRCONFIG") ? 0 : AI_ADDRCONFIG;
    int r = getaddrinfo(name, NULL, &hints, &res);
    if (r != 0) {
        kt_printf("%s: error %s\n", name, gai_strerror(r));
        return;
    }
    char line[1024];
    int n = snprintf(line, sizeof line, "%s:", name);
    for (struct addrinfo *a = res; a && n < (int)sizeof line - 64; a = a->ai_next) {
        char text[INET6_ADDRSTRLEN];
        const void *p = a->ai_family == AF_INET ? (const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr
                                                : (const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
        inet_ntop(a->ai_family, p, text, sizeof text);
        n += snprintf(line + n, sizeof line - n, " %s", text);
    }
    freeaddrinfo(res);
    kt_printf("%s\n", line);
}

static const char *first(const char *name, int fam, int flags)
{
    static char text[INET6_ADDRSTRLEN];
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = fam;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = flags;
    if (getaddrinfo(name, NULL, &hints, &res) != 0 || !res)
        return "(none)";
    const void *p = res->ai_family == AF_INET ? (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr
                                              : (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr;
    inet_ntop(res->ai_family, p, text, sizeof text);
    freeaddrinfo(res);
    return text;
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            list(argv[i]);
        return 0;
    }
    CHECK_STR(first("::1", AF_UNSPEC, AI_NUMERICHOST), "::1", "numeric IPv6 host");
    CHECK_STR(first("127.0.0.1", AF_UNSPEC, AI_NUMERICHOST | AI_ADDRCONFIG), "127.0.0.1", "numeric IPv4 host with AI_ADDRCONFIG");
    CHECK_STR(first("localhost", AF_INET, 0), "127.0.0.1", "localhost for AF_INET from /etc/hosts");
    return kt_done();
}
