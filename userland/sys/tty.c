/* tty.c - ioctl TCGETS / TIOCGWINSZ (ENOTTY on non-terminals). */
#include "ktest.h"
#include <sys/ioctl.h>
#include <termios.h>

int main(void)
{
    kt_mktemp("tty");
    struct termios tio;
    struct winsize ws;

    int fd = open(kt_path("file"), O_RDWR | O_CREAT, 0644);
    CHECK_ERR(ioctl(fd, TCGETS, &tio), ENOTTY, "TCGETS on a regular file is ENOTTY");
    CHECK_ERR(ioctl(fd, TIOCGWINSZ, &ws), ENOTTY, "TIOCGWINSZ on a regular file is ENOTTY");
    CHECK_ERR(ioctl(fd, TIOCGPGRP, &(int){0}), ENOTTY, "TIOCGPGRP on a regular file is ENOTTY");
    errno = 0;
    CHECK(isatty(fd) == 0 && errno == ENOTTY, "isatty of a regular file is 0 with ENOTTY");
    close(fd);

    int nul = open("/dev/null", O_RDWR);
    CHECK_ERR(ioctl(nul, TCGETS, &tio), ENOTTY, "TCGETS on /dev/null is ENOTTY");
    CHECK_ERR(ioctl(nul, TIOCGWINSZ, &ws), ENOTTY, "TIOCGWINSZ on /dev/null is ENOTTY");
    CHECK(isatty(nul) == 0, "isatty(/dev/null) is 0");
    close(nul);

    int dir = open(".", O_RDONLY | O_DIRECTORY);
    CHECK_ERR(ioctl(dir, TCGETS, &tio), ENOTTY, "TCGETS on a directory is ENOTTY");
    close(dir);

    CHECK_ERR(ioctl(9999, TCGETS, &tio), EBADF, "TCGETS on a bad fd is EBADF");

    /* If a standard stream is a terminal (interactive run), check it too. */
    int tty = -1;
    for (int i = 0; i <= 2; i++) {
        if (ioctl(i, TCGETS, &tio) == 0) {
            tty = i;
            break;
        }
    }
    if (tty >= 0) {
        kt_printf("# fd %d is a terminal\n", tty);
        CHECK_EQ(isatty(tty), 1, "isatty of a terminal is 1");
        CHECK_EQ(ioctl(tty, TIOCGWINSZ, &ws), 0, "TIOCGWINSZ on a terminal");
        CHECK(ws.ws_row < 10000 && ws.ws_col < 10000, "window size is plausible");
        CHECK_ERR(syscall(SYS_ioctl, tty, TCGETS, KT_BAD_PTR), EFAULT, "TCGETS into a bad pointer is EFAULT");
        CHECK(tcgetattr(tty, &tio) == 0, "tcgetattr on a terminal");
    } else {
        kt_skip("terminal checks", "no standard stream is a terminal");
    }

    kt_cleanup();
    return kt_done();
}
