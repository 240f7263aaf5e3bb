/* umask.c - umask and its effect on file and directory creation. */
#include "ktest.h"

int main(void)
{
    kt_mktemp("umask");
    struct stat st;

    mode_t orig = umask(022);
    kt_printf("# initial umask %03o\n", (unsigned)orig);
    CHECK_EQ(umask(077), 022, "umask returns the previous mask");
    CHECK_EQ(syscall(SYS_umask, 027), 077, "raw umask returns the previous mask");
    CHECK_EQ(umask(077), 027, "umask round-trips");

    int fd = open(kt_path("f077"), O_WRONLY | O_CREAT, 0666);
    fstat(fd, &st);
    close(fd);
    CHECK_EQ(st.st_mode & 0777, 0600, "umask 077: file 0666 -> 0600");
    mkdir(kt_path("d077"), 0777);
    stat(kt_path("d077"), &st);
    CHECK_EQ(st.st_mode & 0777, 0700, "umask 077: directory 0777 -> 0700");

    umask(0);
    fd = open(kt_path("f000"), O_WRONLY | O_CREAT, 0666);
    fstat(fd, &st);
    close(fd);
    CHECK_EQ(st.st_mode & 0777, 0666, "umask 0: file mode unchanged");

    umask(0222);
    fd = open(kt_path("f222"), O_WRONLY | O_CREAT, 0777);
    CHECK(fd >= 0, "a read-only mode still returns a writable fd for the creator");
    CHECK_EQ(write(fd, "x", 1), 1, "write to the just-created read-only file");
    fstat(fd, &st);
    close(fd);
    CHECK_EQ(st.st_mode & 0777, 0555, "umask 0222: file 0777 -> 0555");

    umask(0);
    CHECK_EQ(syscall(SYS_umask, 0xffff), 0, "set a mask with extra high bits");
    CHECK_EQ(umask(0), 0777, "only the permission bits are kept");
    umask(orig);

    kt_cleanup();
    return kt_done();
}
