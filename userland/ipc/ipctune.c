/* ipctune.c - the System V IPC limits and counters a program can see and set:
 * semctl IPC_INFO/SEM_INFO (semusz and semaem), kernel.msgmni, kernel.shmmni,
 * kernel.shmmax, kernel.shmall and
 * kernel.sem (ENOSPC, EINVAL and E2BIG past them, ERANGE for semmni, IPC_INFO reading them back),
 * kernel.{msg,sem,shm}_next_id (the next object's id, used once).
 *
 * The writes go to the IPC namespace of the program: under qemu-user (the host's
 * Linux) a new one (unshare CLONE_NEWIPC), or the writing checks are skipped;
 * under Ghost, Ghost's own. Every value written is put back. */
#include "ktest.h"
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; struct seminfo *__buf; };

/* The text of /proc/sys/kernel/NAME (trailing newline cut), or NULL. */
static char *sysctl_get(const char *name, char *buf, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "/proc/sys/kernel/%s", name);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    ssize_t r = read(fd, buf, n - 1);
    close(fd);
    if (r < 0)
        return NULL;
    buf[r] = 0;
    if (r > 0 && buf[r - 1] == '\n')
        buf[r - 1] = 0;
    return buf;
}

/* Writes text to /proc/sys/kernel/NAME: 0, or the errno of open or write. */
static int sysctl_set(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "/proc/sys/kernel/%s", name);
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return errno;
    int e = write(fd, text, strlen(text)) < 0 ? errno : 0;
    close(fd);
    return e;
}

static void seminfo_checks(void)
{
    struct seminfo before, after, limits;
    union semun u = {.__buf = &before};
    CHECK(semctl(0, 0, SEM_INFO, u) >= 0, "SEM_INFO");
    int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    CHECK(id >= 0, "semget of a set of 3");
    u.__buf = &after;
    int maxidx = semctl(0, 0, SEM_INFO, u);
    CHECK(maxidx >= 0, "SEM_INFO again");
    CHECK_EQ(after.semusz - before.semusz, 1, "SEM_INFO: semusz counts the sets in use");
    CHECK_EQ(after.semaem - before.semaem, 3, "SEM_INFO: semaem counts the semaphores in them");
    u.__buf = &limits;
    CHECK(semctl(0, 0, IPC_INFO, u) >= 0, "IPC_INFO");
    CHECK_EQ(limits.semusz, 20, "IPC_INFO: semusz is SEMUSZ (20)");
    CHECK_EQ(limits.semaem, 32767, "IPC_INFO: semaem is SEMAEM");
    semctl(id, 0, IPC_RMID);
}

/* msgmni at used+2: two more queues, then ENOSPC; IPC_INFO says it. */
static void msgmni_checks(void)
{
    char old[64];
    if (!sysctl_get("msgmni", old, sizeof old)) {
        kt_fail("kernel.msgmni readable", "errno %d", errno);
        return;
    }
    struct msginfo mi;
    int used = msgctl(0, MSG_INFO, (struct msqid_ds *)&mi) >= 0 ? mi.msgpool : -1;
    CHECK(used >= 0, "MSG_INFO: queues in use");
    char v[32];
    snprintf(v, sizeof v, "%d\n", used + 2);
    CHECK_EQ(sysctl_set("msgmni", v), 0, "kernel.msgmni is writable");
    char now[64];
    CHECK(sysctl_get("msgmni", now, sizeof now) && atoi(now) == used + 2, "kernel.msgmni reads back");
    CHECK(msgctl(0, IPC_INFO, (struct msqid_ds *)&mi) >= 0 && mi.msgmni == used + 2, "IPC_INFO's msgmni is the new limit");
    int a = msgget(IPC_PRIVATE, IPC_CREAT | 0600), b = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    CHECK(a >= 0 && b >= 0, "queues up to msgmni");
    CHECK_ERR(msgget(IPC_PRIVATE, IPC_CREAT | 0600), ENOSPC, "one more is ENOSPC");
    CHECK_EQ(sysctl_set("msgmni", "32769"), EINVAL, "msgmni past IPCMNI (32768) is EINVAL");
    CHECK_EQ(sysctl_set("msgmni", "-1"), EINVAL, "a negative msgmni is EINVAL");
    CHECK_EQ(sysctl_set("msgmni", "many"), EINVAL, "a word is EINVAL");
    msgctl(a, IPC_RMID, NULL);
    msgctl(b, IPC_RMID, NULL);
    CHECK_EQ(sysctl_set("msgmni", old), 0, "msgmni put back");
}

static void shmmni_checks(void)
{
    char old[64];
    if (!sysctl_get("shmmni", old, sizeof old)) {
        kt_fail("kernel.shmmni readable", "errno %d", errno);
        return;
    }
    struct shm_info si;
    int used = shmctl(0, SHM_INFO, (struct shmid_ds *)&si) >= 0 ? si.used_ids : -1;
    CHECK(used >= 0, "SHM_INFO: segments in use");
    char v[32];
    snprintf(v, sizeof v, "%d", used + 1);
    CHECK_EQ(sysctl_set("shmmni", v), 0, "kernel.shmmni is writable");
    struct shminfo lim;
    CHECK(shmctl(0, IPC_INFO, (struct shmid_ds *)&lim) >= 0 && lim.shmmni == (unsigned long)used + 1, "IPC_INFO's shmmni is the new limit");
    int a = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    CHECK(a >= 0, "a segment up to shmmni");
    CHECK_ERR(shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600), ENOSPC, "one more is ENOSPC");
    shmctl(a, IPC_RMID, NULL);
    CHECK_EQ(sysctl_set("shmmni", old), 0, "shmmni put back");
}

/* shmctl IPC_INFO writes a struct shminfo (72 bytes) and no more; shmseg is shmmni. */
static void shminfo_checks(void)
{
    unsigned char buf[sizeof(struct shminfo) + 16];
    memset(buf, 0xa5, sizeof buf);
    CHECK(shmctl(0, IPC_INFO, (struct shmid_ds *)buf) >= 0, "shmctl IPC_INFO");
    int past = 0;
    for (size_t i = sizeof(struct shminfo); i < sizeof buf; i++)
        past |= buf[i] != 0xa5;
    kt_check(sizeof(struct shminfo) == 72 && !past, "shmctl IPC_INFO writes the 72 bytes of struct shminfo, nothing past them",
             "sizeof %zu, bytes past it %s", sizeof(struct shminfo), past ? "written" : "untouched");
    struct shminfo lim;
    memcpy(&lim, buf, sizeof lim);
    CHECK(lim.shmseg == lim.shmmni && lim.shmmin == 1, "IPC_INFO: shmseg is shmmni, shmmin 1");
}

/* kernel.shmmax (bytes in a segment) and kernel.shmall (pages in all of them). */
static void shmmax_checks(void)
{
    char oldmax[64], oldall[64], now[64];
    if (!sysctl_get("shmmax", oldmax, sizeof oldmax) || !sysctl_get("shmall", oldall, sizeof oldall)) {
        kt_fail("kernel.shmmax and shmall readable", "errno %d", errno);
        return;
    }
    CHECK_EQ(sysctl_set("shmmax", "8192"), 0, "kernel.shmmax is writable");
    CHECK_STR(sysctl_get("shmmax", now, sizeof now), "8192", "kernel.shmmax reads back");
    struct shminfo lim;
    CHECK(shmctl(0, IPC_INFO, (struct shmid_ds *)&lim) >= 0 && lim.shmmax == 8192, "IPC_INFO's shmmax is the new limit");
    CHECK_ERR(shmget(IPC_PRIVATE, 8193, IPC_CREAT | 0600), EINVAL, "a segment past shmmax is EINVAL");
    int a = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
    CHECK(a >= 0, "a segment of shmmax");
    CHECK_EQ(sysctl_set("shmmax", "-5"), EINVAL, "a negative shmmax is EINVAL");
    /* Ghost has no hugetlbfs (CONFIG_HUGETLBFS off in /proc/config.gz); the host may. */
    if (!kt_qemu())
        CHECK_ERR(shmget(IPC_PRIVATE, 4096, IPC_CREAT | SHM_HUGETLB | 0600), EINVAL, "SHM_HUGETLB without hugetlbfs is EINVAL");
    struct shm_info si;
    CHECK(shmctl(0, SHM_INFO, (struct shmid_ds *)&si) >= 0, "SHM_INFO");
    char v[32];
    snprintf(v, sizeof v, "%lu", si.shm_tot + 3);
    CHECK_EQ(sysctl_set("shmall", v), 0, "kernel.shmall is writable");
    int b = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
    CHECK(b >= 0, "pages up to shmall");
    CHECK_ERR(shmget(IPC_PRIVATE, 4097, IPC_CREAT | 0600), ENOSPC, "a segment past shmall (in all segments) is ENOSPC");
    int c = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    CHECK(c >= 0, "the last page of shmall");
    shmctl(a, IPC_RMID, NULL);
    shmctl(b, IPC_RMID, NULL);
    shmctl(c, IPC_RMID, NULL);
    CHECK_EQ(sysctl_set("shmmax", oldmax), 0, "shmmax put back");
    CHECK_EQ(sysctl_set("shmall", oldall), 0, "shmall put back");
}

/* kernel.sem: "semmsl semmns semopm semmni". */
static void sem_checks(void)
{
    char old[128];
    if (!sysctl_get("sem", old, sizeof old)) {
        kt_fail("kernel.sem readable", "errno %d", errno);
        return;
    }
    int msl, mns, opm, mni;
    CHECK(sscanf(old, "%d %d %d %d", &msl, &mns, &opm, &mni) == 4, "kernel.sem has four numbers");
    CHECK_EQ(sysctl_set("sem", "5 1000 2 200"), 0, "kernel.sem is writable");
    char now[128];
    CHECK_STR(sysctl_get("sem", now, sizeof now), "5\t1000\t2\t200", "kernel.sem reads back, tab-separated");
    struct seminfo lim;
    union semun u = {.__buf = &lim};
    CHECK(semctl(0, 0, IPC_INFO, u) >= 0 && lim.semmsl == 5 && lim.semmns == 1000 && lim.semopm == 2 && lim.semmni == 200,
          "IPC_INFO reads the four limits");
    CHECK_ERR(semget(IPC_PRIVATE, 6, IPC_CREAT | 0600), EINVAL, "a set past semmsl is EINVAL");
    int id = semget(IPC_PRIVATE, 5, IPC_CREAT | 0600);
    CHECK(id >= 0, "a set of semmsl");
    struct sembuf ops[3] = {{0, 1, 0}, {1, 1, 0}, {2, 1, 0}};
    CHECK_ERR(semop(id, ops, 3), E2BIG, "a semop past semopm is E2BIG");
    CHECK_OK(semop(id, ops, 2), "a semop of semopm");
    semctl(id, 0, IPC_RMID);
    CHECK_EQ(sysctl_set("sem", "7 1000 3 40000"), ERANGE, "a semmni past IPCMNI is ERANGE");
    CHECK_STR(sysctl_get("sem", now, sizeof now), "7\t1000\t3\t200", "... which keeps semmni, the other three written");
    CHECK_EQ(sysctl_set("sem", old), 0, "kernel.sem put back");
}

/* kernel.KIND_next_id: -1, then the id the next object gets, then -1 again. */
static void next_id_checks(const char *kind, int want, int (*make)(void), void (*drop)(int))
{
    char name[32], v[32], now[64];
    snprintf(name, sizeof name, "%s_next_id", kind);
    char desc[128];
    if (!sysctl_get(name, now, sizeof now)) {
        snprintf(desc, sizeof desc, "kernel.%s", name);
        kt_skip(desc, "no CONFIG_CHECKPOINT_RESTORE");
        return;
    }
    snprintf(desc, sizeof desc, "kernel.%s is -1 unset", name);
    CHECK_STR(now, "-1", desc);
    snprintf(v, sizeof v, "%d", want);
    snprintf(desc, sizeof desc, "kernel.%s takes %d", name, want);
    CHECK_EQ(sysctl_set(name, v), 0, desc);
    int id = make();
    snprintf(desc, sizeof desc, "the next %s object's id is %d", kind, want);
    CHECK_EQ(id, want, desc);
    snprintf(desc, sizeof desc, "kernel.%s is -1 again after use", name);
    CHECK_STR(sysctl_get(name, now, sizeof now), "-1", desc);
    int id2 = make();
    snprintf(desc, sizeof desc, "the %s object after it gets an id of its own", kind);
    CHECK(id2 >= 0 && id2 != want, desc);
    snprintf(desc, sizeof desc, "kernel.%s below -1 is EINVAL", name);
    CHECK_EQ(sysctl_set(name, "-2"), EINVAL, desc);
    drop(id);
    drop(id2);
}

static int make_msg(void) { return msgget(IPC_PRIVATE, IPC_CREAT | 0600); }
static void drop_msg(int id) { msgctl(id, IPC_RMID, NULL); }
static int make_sem(void) { return semget(IPC_PRIVATE, 1, IPC_CREAT | 0600); }
static void drop_sem(int id) { semctl(id, 0, IPC_RMID); }
static int make_shm(void) { return shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600); }
static void drop_shm(int id) { shmctl(id, IPC_RMID, NULL); }

int main(void)
{
    kt_watchdog(60);
    seminfo_checks();
    shminfo_checks();
    int own = unshare(CLONE_NEWIPC) == 0;
    if (!own && kt_qemu()) {
        kt_skip("IPC sysctls", "no IPC namespace of our own on the host");
        return kt_done();
    }
    msgmni_checks();
    shmmni_checks();
    shmmax_checks();
    sem_checks();
    next_id_checks("msg", 3 * 32768 + 5, make_msg, drop_msg);
    next_id_checks("sem", 2 * 32768 + 7, make_sem, drop_sem);
    next_id_checks("shm", 12345, make_shm, drop_shm);
    return kt_done();
}
