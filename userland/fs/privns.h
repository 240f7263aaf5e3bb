/* privns.h - for the mount tests (mounts.c, mountns.c): under qemu-user the
 * mounts are the host's, so the program first takes a private mount
 * namespace of its own; where it cannot, its checks are skipped. */
#pragma once
#include "ktest.h"
#include <sched.h>
#include <sys/mount.h>

/* 1 to go on; 0 when the set was skipped (the caller returns kt_done()). */
static __attribute__((unused)) int vt_private_mounts(const char *what)
{
    if (!kt_qemu())
        return 1;
    if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
        return 1;
    kt_skip(what, "cannot get a private mount namespace under qemu-user");
    return 0;
}
