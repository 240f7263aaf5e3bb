/*
 * acls DIR - POSIX ACLs on the ext4 filesystem mounted at DIR (run as
 * root), as Linux's ext4 with its default acl mount option: an access ACL
 * set through system.posix_acl_access gives named users and groups their
 * rights (limited by the mask, which becomes the mode's group bits), an ACL
 * the mode says whole is not kept, chmod changes the ACL's mask, invalid
 * ACLs are EINVAL, a default ACL on a file EACCES, a non-owner EPERM.
 * Leaves DIR/acl (user 1000 rw, mask rw) for the host's debugfs.
 */
#include "ktest.h"
#include <grp.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#define A_USER_OBJ 0x01
#define A_USER 0x02
#define A_GROUP_OBJ 0x04
#define A_GROUP 0x08
#define A_MASK 0x10
#define A_OTHER 0x20

struct ent { uint16_t tag, perm; uint32_t id; };

static int setacl(const char *path, const char *which, const struct ent *e, int n)
{
    char buf[4 + 8 * 16];
    uint32_t v = 2;
    memcpy(buf, &v, 4);
    memcpy(buf + 4, e, 8 * n);
    return setxattr(path, which, buf, 4 + 8 * n, 0);
}

/* Whether user uid (group gid) may open path with flags: 1, 0 (EACCES), -1 other errors. */
static int may(const char *path, uid_t uid, gid_t gid, int flags)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
            _exit(3);
        int fd = open(path, flags);
        _exit(fd >= 0 ? 0 : errno == EACCES ? 1 : 2);
    }
    int st = 0;
    if (pid <= 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st) == 0 ? 1 : WEXITSTATUS(st) == 1 ? 0 : -1;
}

static int mode_of(const char *p) { struct stat st; return stat(p, &st) == 0 ? (int)(st.st_mode & 07777) : -1; }

int main(int argc, char **argv)
{
    if (argc < 2) {
        kt_printf("usage: acls DIR\n");
        return 2;
    }
    char p[512], q[512];
    snprintf(p, sizeof p, "%s/acl", argv[1]);
    snprintf(q, sizeof q, "%s/plain", argv[1]);
    close(open(p, O_RDWR | O_CREAT | O_TRUNC, 0640));
    chmod(p, 0640);
    CHECK_EQ(may(p, 1000, 1000, O_RDWR), 0, "before the ACL user 1000 may not open it");

    struct ent acl[] = { { A_USER_OBJ, 6, 0 }, { A_USER, 6, 1000 }, { A_GROUP_OBJ, 4, 0 }, { A_MASK, 6, 0 }, { A_OTHER, 0, 0 } };
    CHECK_OK(setacl(p, "system.posix_acl_access", acl, 5), "an access ACL with user 1000 rw");
    CHECK_EQ(mode_of(p), 0660, "the mode's group bits are the mask");
    CHECK_EQ(may(p, 1000, 1000, O_RDWR), 1, "user 1000 opens it for writing");
    CHECK_EQ(may(p, 1001, 1001, O_RDONLY), 0, "user 1001 (other) may not read it");
    char buf[256];
    ssize_t n = getxattr(p, "system.posix_acl_access", buf, sizeof buf);
    CHECK_EQ(n, 4 + 8 * 5, "the ACL reads back in the VFS's form");
    CHECK(n == 44 && memcmp(buf + 4 + 8, &acl[1], 8) == 0, "with the named user");

    /* chmod narrows the mask: user 1000 loses write. */
    CHECK_OK(chmod(p, 0640), "chmod 640");
    CHECK_EQ(may(p, 1000, 1000, O_RDWR), 0, "user 1000 may not write past the mask");
    CHECK_EQ(may(p, 1000, 1000, O_RDONLY), 1, "but reads");
    n = getxattr(p, "system.posix_acl_access", buf, sizeof buf);
    struct ent *m = (struct ent *)(buf + 4 + 8 * 3);
    CHECK(n == 44 && m->tag == A_MASK && m->perm == 4, "the ACL's mask follows the mode");
    CHECK_OK(chmod(p, 0660), "chmod 660 gives it back");

    /* A named user with fewer rights than other: the entry wins. */
    close(open(q, O_RDWR | O_CREAT | O_TRUNC, 0644));
    chmod(q, 0644);
    struct ent deny[] = { { A_USER_OBJ, 6, 0 }, { A_USER, 0, 1002 }, { A_GROUP_OBJ, 4, 0 }, { A_MASK, 4, 0 }, { A_OTHER, 4, 0 } };
    CHECK_OK(setacl(q, "system.posix_acl_access", deny, 5), "an ACL denying user 1002");
    CHECK_EQ(may(q, 1002, 1002, O_RDONLY), 0, "user 1002 may not read");
    CHECK_EQ(may(q, 1003, 1003, O_RDONLY), 1, "user 1003 (other) reads");

    /* An ACL the mode says whole is not kept. */
    struct ent plain[] = { { A_USER_OBJ, 7, 0 }, { A_GROUP_OBJ, 5, 0 }, { A_OTHER, 1, 0 } };
    CHECK_OK(setacl(q, "system.posix_acl_access", plain, 3), "a minimal ACL");
    CHECK_EQ(mode_of(q), 0751, "sets the mode");
    CHECK_ERR(getxattr(q, "system.posix_acl_access", buf, sizeof buf), ENODATA, "and is not stored");
    CHECK_EQ(may(q, 1002, 1002, O_RDONLY), 0, "user 1002 is other again (no read bit)");

    /* Invalid ones, a default ACL on a file, a non-owner. */
    struct ent nomask[] = { { A_USER_OBJ, 6, 0 }, { A_USER, 6, 1000 }, { A_GROUP_OBJ, 4, 0 }, { A_OTHER, 0, 0 } };
    CHECK_ERR(setacl(q, "system.posix_acl_access", nomask, 4), EINVAL, "a named entry without a mask is EINVAL");
    struct ent order[] = { { A_GROUP_OBJ, 4, 0 }, { A_USER_OBJ, 6, 0 }, { A_OTHER, 0, 0 } };
    CHECK_ERR(setacl(q, "system.posix_acl_access", order, 3), EINVAL, "entries out of order are EINVAL");
    CHECK_ERR(setxattr(q, "system.posix_acl_access", "\2\0\0\0\1", 5, 0), EINVAL, "a cut entry is EINVAL");
    CHECK_ERR(setacl(q, "system.posix_acl_default", acl, 5), EACCES, "a default ACL on a file is EACCES");
    CHECK_OK(setacl(argv[1], "system.posix_acl_default", acl, 5), "a default ACL on a directory");
    CHECK_EQ(getxattr(argv[1], "system.posix_acl_default", buf, sizeof buf), 44, "reads back");
    /* What the directory creates takes its ACL, the umask left out. */
    char sub[512], f[512], d2[512];
    snprintf(sub, sizeof sub, "%s/inherit", argv[1]);
    snprintf(f, sizeof f, "%s/inherit/f", argv[1]);
    snprintf(d2, sizeof d2, "%s/inherit/d", argv[1]);
    mkdir(sub, 0755);
    /* Made under the top directory's default ACL: back to a plain 0755 so user 1000 may search it. */
    struct ent open755[] = { { A_USER_OBJ, 7, 0 }, { A_GROUP_OBJ, 5, 0 }, { A_OTHER, 5, 0 } };
    CHECK_OK(setacl(sub, "system.posix_acl_access", open755, 3), "the new directory made 0755");
    CHECK_OK(setacl(sub, "system.posix_acl_default", acl, 5), "a default ACL on a new directory");
    mode_t old = umask(077);
    close(open(f, O_RDWR | O_CREAT, 0666));
    CHECK_EQ(mode_of(f), 0660, "a file made under it: the ACL's bits, not the umask's");
    CHECK_EQ(getxattr(f, "system.posix_acl_access", buf, sizeof buf), 44, "it has the access ACL");
    CHECK_ERR(getxattr(f, "system.posix_acl_default", buf, sizeof buf), ENODATA, "but no default ACL");
    CHECK_EQ(may(f, 1000, 1000, O_RDWR), 1, "user 1000 writes it");
    CHECK_OK(mkdir(d2, 0750), "a directory made under it");
    CHECK_EQ(mode_of(d2), 0640, "its mode masked by the ACL (no x for the owner)");
    CHECK_EQ(getxattr(d2, "system.posix_acl_default", buf, sizeof buf), 44, "it inherits the default ACL");
    umask(old);
    CHECK_OK(removexattr(argv[1], "system.posix_acl_default"), "and goes");
    pid_t pid = fork();
    if (pid == 0) {
        if (setuid(1000) != 0)
            _exit(3);
        _exit(setacl(p, "system.posix_acl_access", acl, 5) == -1 && errno == EPERM ? 0 : 1);
    }
    int st = 0;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "a non-owner setting an ACL is EPERM");
    return kt_done();
}
