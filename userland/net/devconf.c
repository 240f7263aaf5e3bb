/*
 * devconf.c - net.ipv4.conf.<dev>.tag, a per-device integer sysctl
 * (proc_dointvec): 0 at first, what was written reads back, "default" is
 * unchanged by a write to "lo", and a value that is not an integer is
 * EINVAL. Under qemu-riscv64 in a network namespace of the program's own,
 * so that nothing of the host's changes (root only).
 */
#include "nettest.h"

static void read_tag(const char *dev, const char *want)
{
    char path[128], buf[32] = "", d[160];
    snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/tag", dev);
    int fd;
    snprintf(d, sizeof d, "open %s", path);
    CHECK_OK(fd = open(path, O_RDONLY), d);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n >= 0)
        buf[n] = 0;
    snprintf(d, sizeof d, "%s reads %s", path, want);
    CHECK_STR(buf, want, d);
}

int main(int argc, char **argv)
{
    kt_init(argc, argv);
    kt_watchdog(60);
    if (kt_qemu() && nt_own_netns() < 0) {
        kt_skip("devconf", "needs a network namespace of its own (root)");
        return kt_done();
    }
    if (getuid() != 0) {
        kt_skip("devconf", "not root");
        return kt_done();
    }
    read_tag("all", "0\n");
    read_tag("default", "0\n");
    read_tag("lo", "0\n");
    CHECK_OK(nt_sysctl("/proc/sys/net/ipv4/conf/lo/tag", "5\n"), "write 5 to lo/tag");
    read_tag("lo", "5\n");
    read_tag("default", "0\n");
    int fd = open("/proc/sys/net/ipv4/conf/lo/tag", O_WRONLY);
    CHECK_ERR(write(fd, "x\n", 2), EINVAL, "write x to lo/tag");
    close(fd);
    read_tag("lo", "5\n");
    CHECK_OK(nt_sysctl("/proc/sys/net/ipv4/conf/lo/tag", "0"), "write 0 to lo/tag");
    read_tag("lo", "0\n");
    return kt_done();
}
