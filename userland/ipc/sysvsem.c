/* sysvsem.c - System V semaphores: semget, semctl (SETVAL, GETVAL, SETALL,
 * GETALL, GETPID, GETNCNT, IPC_STAT, IPC_RMID), semop (atomic lists,
 * IPC_NOWAIT, waiting for zero, blocking until another process posts),
 * semtimedop timeouts, SEM_UNDO at exit, EIDRM for a sleeper. */
#include "ktest.h"
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static int op(int id, unsigned short num, short delta, short flg)
{
    struct sembuf b = {num, delta, flg};
    return semop(id, &b, 1);
}

int main(void)
{
    int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    CHECK(id >= 0, "semget IPC_PRIVATE, 3 semaphores");
    struct semid_ds ds;
    union semun u = {.buf = &ds};
    CHECK_OK(semctl(id, 0, IPC_STAT, u), "IPC_STAT");
    CHECK(ds.sem_nsems == 3 && (ds.sem_perm.mode & 0777) == 0600 && ds.sem_perm.uid == geteuid(), "nsems, mode, owner");
    CHECK_EQ(semctl(id, 1, GETVAL), 0, "new semaphores are 0");
    u.val = 5;
    CHECK_OK(semctl(id, 1, SETVAL, u), "SETVAL 5");
    CHECK_EQ(semctl(id, 1, GETVAL), 5, "GETVAL reads it");
    CHECK_EQ(semctl(id, 1, GETPID), getpid(), "GETPID: the last to change it");
    u.val = 40000;
    CHECK_ERR(semctl(id, 1, SETVAL, u), ERANGE, "SETVAL above 32767 is ERANGE");
    CHECK_ERR(semctl(id, 3, GETVAL), EINVAL, "semaphore 3 of 3 is EINVAL");

    /* atomic lists */
    struct sembuf two[2] = {{0, -1, IPC_NOWAIT}, {1, -1, 0}};
    CHECK_ERR(semop(id, two, 2), EAGAIN, "a list that cannot all go: EAGAIN (IPC_NOWAIT)");
    CHECK_EQ(semctl(id, 1, GETVAL), 5, "... and nothing of it happened");
    struct sembuf ok2[2] = {{0, 2, 0}, {1, -3, 0}};
    CHECK_OK(semop(id, ok2, 2), "a list that can: +2 on 0, -3 on 1");
    unsigned short all[3];
    u.array = all;
    CHECK_OK(semctl(id, 0, GETALL, u), "GETALL");
    CHECK(all[0] == 2 && all[1] == 2 && all[2] == 0, "values 2 2 0");
    CHECK_ERR(op(id, 0, 0, IPC_NOWAIT), EAGAIN, "waiting for zero on a nonzero semaphore with IPC_NOWAIT: EAGAIN");
    CHECK_OK(op(id, 2, 0, 0), "waiting for zero on a zero semaphore returns at once");
    CHECK_ERR(op(id, 7, 1, 0), EFBIG, "sem_num past the set is EFBIG");

    /* blocking: a child waits on semaphore 2, the parent posts */
    pid_t c = fork();
    if (c == 0)
        _exit(op(id, 2, -1, 0) == 0 ? 0 : 1);
    struct timespec nap = {0, 50000000};
    int waiting = 0;
    for (int i = 0; i < 100 && !waiting; i++) {
        nanosleep(&nap, NULL);
        waiting = semctl(id, 2, GETNCNT) == 1;
    }
    CHECK(waiting, "GETNCNT counts the sleeping child");
    CHECK_OK(op(id, 2, 1, 0), "post");
    int st;
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child's semop went through");
    CHECK_EQ(semctl(id, 2, GETVAL), 0, "and took the post");

    /* semtimedop */
    struct timespec to = {0, 100000000};
    struct sembuf w = {2, -1, 0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int r = semtimedop(id, &w, 1, &to);
    int e = errno;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    kt_check(r == -1 && e == EAGAIN && ms >= 90, "semtimedop gives up with EAGAIN after its timeout", "r %d errno %d after %ld ms", r, e, ms);

    /* SEM_UNDO: a child's adjustment is undone when it exits */
    c = fork();
    if (c == 0)
        _exit(op(id, 0, 3, SEM_UNDO) == 0 ? 0 : 1);
    waitpid(c, &st, 0);
    CHECK_EQ(semctl(id, 0, GETVAL), 2, "SEM_UNDO: a child's +3 is undone at its exit");

    /* IPC_RMID wakes a sleeper with EIDRM */
    c = fork();
    if (c == 0) {
        int rr = op(id, 2, -1, 0);
        _exit(rr == -1 && errno == EIDRM ? 0 : 1);
    }
    for (int i = 0; i < 100 && semctl(id, 2, GETNCNT) != 1; i++)
        nanosleep(&nap, NULL);
    CHECK_OK(semctl(id, 0, IPC_RMID), "IPC_RMID");
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the sleeper wakes with EIDRM");
    CHECK_ERR(semctl(id, 0, GETVAL), EINVAL, "the set is gone");

    /* keys */
    key_t key = 0x47530000 + (getpid() & 0xffff);
    int k1 = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
    CHECK(k1 >= 0, "semget of a new key");
    CHECK_EQ(semget(key, 1, 0), k1, "the key finds it (asking for fewer)");
    CHECK_ERR(semget(key, 3, 0), EINVAL, "asking for more semaphores than it has is EINVAL");
    CHECK_ERR(semget(key, 2, IPC_CREAT | IPC_EXCL | 0600), EEXIST, "IPC_EXCL on an existing key is EEXIST");
    CHECK_ERR(semget(key + 1, 1, 0), ENOENT, "an unknown key is ENOENT");
    CHECK_ERR(semget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL, "creating 0 semaphores is EINVAL");
    semctl(k1, 0, IPC_RMID);
    return kt_done();
}
