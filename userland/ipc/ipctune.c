/* ipctune.c - the System V IPC limits and counters a program can see:
 * semctl IPC_INFO/SEM_INFO (semusz and semaem). */
#include "ktest.h"
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; struct seminfo *__buf; };

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

int main(void)
{
    kt_watchdog(60);
    seminfo_checks();
    return kt_done();
}
