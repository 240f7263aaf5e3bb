/* sysvshm.c - System V shared memory: shmget (IPC_PRIVATE, keys, IPC_CREAT,
 * IPC_EXCL), shmat/shmdt, sharing with a forked child, IPC_STAT (size,
 * attach count, pids, mode), IPC_SET, IPC_RMID while attached, errors. */
#include "ktest.h"
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>

int main(void)
{
    int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
    CHECK(id >= 0, "shmget IPC_PRIVATE 10000 bytes");
    struct shmid_ds ds;
    CHECK_OK(shmctl(id, IPC_STAT, &ds), "IPC_STAT");
    CHECK(ds.shm_segsz == 10000 && ds.shm_nattch == 0 && (ds.shm_perm.mode & 0777) == 0600 && ds.shm_cpid == getpid() &&
              ds.shm_perm.uid == geteuid() && ds.shm_perm.cuid == geteuid(),
          "size, no attaches, mode, creator");
    char *p = shmat(id, NULL, 0);
    CHECK(p != (void *)-1, "shmat");
    CHECK(p[0] == 0 && p[9999] == 0, "a new segment reads as zeros");
    strcpy(p, "from the parent");
    shmctl(id, IPC_STAT, &ds);
    CHECK(ds.shm_nattch == 1 && ds.shm_lpid == getpid() && ds.shm_atime > 0, "one attach, last pid, attach time");
    char *q = shmat(id, NULL, SHM_RDONLY);
    CHECK(q != (void *)-1 && q != p && strcmp(q, "from the parent") == 0, "a second, read-only attach sees the same bytes");
    shmctl(id, IPC_STAT, &ds);
    CHECK_EQ(ds.shm_nattch, 2, "two attaches");
    CHECK_OK(shmdt(q), "shmdt the read-only one");

    pid_t c = fork();
    if (c == 0) {
        int ok = strcmp(p, "from the parent") == 0;
        strcpy(p + 100, "from the child");
        char *r = shmat(id, NULL, 0);
        ok = ok && r != (void *)-1 && strcmp(r + 100, "from the child") == 0;
        _exit(ok ? 0 : 1);
    }
    int st;
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a forked child shares the attach and can attach again");
    CHECK(strcmp(p + 100, "from the child") == 0, "the parent sees the child's write");
    shmctl(id, IPC_STAT, &ds);
    CHECK_EQ(ds.shm_nattch, 1, "the child's attaches went with it");

    ds.shm_perm.mode = 0640;
    CHECK_OK(shmctl(id, IPC_SET, &ds), "IPC_SET mode 0640");
    shmctl(id, IPC_STAT, &ds);
    CHECK_EQ(ds.shm_perm.mode & 0777, 0640, "the new mode reads back");

    CHECK_OK(shmctl(id, IPC_RMID, NULL), "IPC_RMID while attached");
    CHECK(strcmp(p, "from the parent") == 0, "the attached memory stays");
    CHECK_OK(shmctl(id, IPC_STAT, &ds), "IPC_STAT still works while attached");
    CHECK((ds.shm_perm.mode & SHM_DEST) && ds.shm_perm.__key == IPC_PRIVATE, "SHM_DEST is set");
    CHECK_OK(shmdt(p), "shmdt the last attach");
    CHECK_ERR(shmctl(id, IPC_STAT, &ds), EINVAL, "then the segment is gone: EINVAL");
    CHECK_ERR(shmdt(p), EINVAL, "shmdt of what is no attach is EINVAL");

    /* keys */
    key_t key = 0x47480000 + (getpid() & 0xffff);
    int k1 = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
    CHECK(k1 >= 0, "shmget of a new key with IPC_CREAT|IPC_EXCL");
    CHECK_EQ(shmget(key, 4096, 0), k1, "the key finds it again");
    CHECK_ERR(shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600), EEXIST, "IPC_EXCL on an existing key is EEXIST");
    CHECK_ERR(shmget(key, 8192, 0), EINVAL, "asking for more than its size is EINVAL");
    CHECK_ERR(shmget(key + 1, 4096, 0), ENOENT, "an unknown key without IPC_CREAT is ENOENT");
    CHECK_ERR(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL, "a zero size is EINVAL");
    CHECK_ERR(shmat(k1, (void *)4097, 0), EINVAL, "an unaligned address without SHM_RND is EINVAL");
    char *a = shmat(k1, NULL, 0);
    char *b = shmat(k1, a, SHM_RND | SHM_REMAP);
    CHECK(b == a, "SHM_REMAP attaches over an existing attach");
    CHECK_ERR(shmat(k1, a, 0), EINVAL, "over a mapping without SHM_REMAP is EINVAL");
    shmdt(a);
    CHECK_OK(shmctl(k1, IPC_RMID, NULL), "IPC_RMID of an unattached segment");
    CHECK_ERR(shmget(key, 4096, 0), ENOENT, "its key is gone");
    CHECK_ERR(shmctl(12345678, IPC_STAT, &ds), EINVAL, "an unknown id is EINVAL");
    return kt_done();
}
