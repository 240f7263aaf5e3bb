/* sysvmsg.c - System V message queues: msgget (IPC_PRIVATE, keys, IPC_CREAT,
 * IPC_EXCL), msgsnd/msgrcv by type (0, positive, negative, MSG_EXCEPT),
 * E2BIG and MSG_NOERROR, IPC_NOWAIT (ENOMSG, EAGAIN), a blocking msgrcv
 * woken by a send, IPC_STAT counts and pids, IPC_SET, IPC_RMID waking a
 * blocked receiver with EIDRM, IPC_INFO/MSG_INFO/MSG_STAT, MSG_COPY.
 * Every queue made here is removed again (under qemu they are the host's). */
#include "ktest.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct kmsg {
    long mtype;
    char mtext[256];
};

static int send(int id, long type, const char *text, int flags)
{
    struct kmsg m;
    m.mtype = type;
    size_t n = strlen(text) + 1;
    memcpy(m.mtext, text, n);
    return msgsnd(id, &m, n, flags);
}

/* Receives one message of the type selector; returns its type, or -1 (errno set). */
static long recv(int id, long typ, int flags, char *text)
{
    struct kmsg m;
    memset(&m, 0, sizeof m);
    ssize_t n = msgrcv(id, &m, sizeof m.mtext, typ, flags | IPC_NOWAIT);
    if (n < 0)
        return -1;
    if (text)
        strcpy(text, m.mtext);
    return m.mtype;
}

static void on_signal(int sig)
{
    (void)sig;
}

/* qemu-user (7.2) declares msg_lspid and msg_lrpid as longs in its
 * msqid_ds conversion, so under qemu msg_lrpid reads as 0: those checks
 * hold only outside qemu. */
int main(void)
{
    char text[256];
    struct msqid_ds ds;
    int st;

    /* create, keys, IPC_EXCL, ENOENT */
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    CHECK(id >= 0, "msgget IPC_PRIVATE");
    CHECK_OK(msgctl(id, IPC_STAT, &ds), "IPC_STAT of a new queue");
    CHECK(ds.msg_qnum == 0 && ds.msg_cbytes == 0 && ds.msg_qbytes > 0 && ds.msg_lspid == 0 && ds.msg_lrpid == 0 &&
              ds.msg_stime == 0 && ds.msg_rtime == 0 && ds.msg_ctime > 0,
          "empty, no pids, no send or receive time, a change time");
    CHECK((ds.msg_perm.mode & 0777) == 0600 && ds.msg_perm.uid == geteuid() && ds.msg_perm.cuid == geteuid() &&
              ds.msg_perm.__key == IPC_PRIVATE,
          "mode, owner, creator, key");
    size_t qbytes = ds.msg_qbytes;

    key_t key = 0x47580000 + (getpid() & 0xffff);
    int k1 = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    CHECK(k1 >= 0 && k1 != id, "msgget of a new key with IPC_CREAT|IPC_EXCL");
    CHECK_EQ(msgget(key, 0), k1, "the key finds it again");
    CHECK_EQ(msgget(key, IPC_CREAT | 0600), k1, "IPC_CREAT without IPC_EXCL finds it too");
    CHECK_ERR(msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST, "IPC_EXCL on an existing key is EEXIST");
    CHECK_ERR(msgget(key + 1, 0), ENOENT, "an unknown key without IPC_CREAT is ENOENT");
    CHECK_OK(msgctl(k1, IPC_RMID, NULL), "IPC_RMID of the keyed queue");
    CHECK_ERR(msgget(key, 0), ENOENT, "its key is gone");
    CHECK_ERR(msgctl(k1, IPC_STAT, &ds), EINVAL, "and so is its id: EINVAL");

    /* send and receive by type */
    CHECK_OK(send(id, 3, "three", 0), "send type 3");
    CHECK_OK(send(id, 1, "one", 0), "send type 1");
    CHECK_OK(send(id, 2, "two-a", 0), "send type 2");
    CHECK_OK(send(id, 2, "two-b", 0), "send a second type 2");
    CHECK_OK(send(id, 5, "five", 0), "send type 5");
    CHECK_OK(msgctl(id, IPC_STAT, &ds), "IPC_STAT after five sends");
    CHECK(ds.msg_qnum == 5 && ds.msg_cbytes == 6 + 4 + 6 + 6 + 5 && ds.msg_lspid == getpid() && ds.msg_stime > 0 &&
              ds.msg_lrpid == 0,
          "5 messages, their bytes, the sender's pid");
    CHECK_EQ(recv(id, 2, 0, text), 2, "msgtyp 2 takes the first of type 2");
    CHECK_STR(text, "two-a", "in send order");
    CHECK_EQ(recv(id, -4, 0, text), 1, "msgtyp -4 takes the lowest type <= 4");
    CHECK_STR(text, "one", "the type 1 message");
    CHECK_EQ(recv(id, 3, MSG_EXCEPT, text), 2, "msgtyp 3 with MSG_EXCEPT takes the first not of type 3");
    CHECK_STR(text, "two-b", "the second type 2");
    CHECK_EQ(recv(id, 0, 0, text), 3, "msgtyp 0 takes the first message");
    CHECK_STR(text, "three", "the type 3 message");
    CHECK_ERR(recv(id, -4, 0, NULL), ENOMSG, "no type <= 4 left: ENOMSG with IPC_NOWAIT");
    CHECK_ERR(recv(id, 7, 0, NULL), ENOMSG, "no type 7: ENOMSG");
    CHECK_OK(msgctl(id, IPC_STAT, &ds), "IPC_STAT after four receives");
    CHECK(ds.msg_qnum == 1 && ds.msg_cbytes == 5 && (kt_qemu() || ds.msg_lrpid == getpid()) && ds.msg_rtime > 0,
          "one message left, its bytes, the receiver's pid");
    CHECK_EQ(recv(id, 0, 0, text), 5, "the last message");
    CHECK_ERR(recv(id, 0, 0, NULL), ENOMSG, "an empty queue: ENOMSG with IPC_NOWAIT");

    /* sizes */
    struct kmsg m = {.mtype = 4};
    memset(m.mtext, 'x', sizeof m.mtext);
    CHECK_OK(msgsnd(id, &m, 100, 0), "send 100 bytes");
    CHECK_ERR(msgrcv(id, &m, 10, 0, IPC_NOWAIT), E2BIG, "receiving it into 10 bytes is E2BIG");
    CHECK_OK(msgctl(id, IPC_STAT, &ds), "IPC_STAT");
    CHECK_EQ(ds.msg_qnum, 1, "E2BIG leaves the message queued");
    memset(m.mtext, 0, sizeof m.mtext);
    CHECK_EQ(msgrcv(id, &m, 10, 0, IPC_NOWAIT | MSG_NOERROR), 10, "MSG_NOERROR truncates to 10 bytes");
    CHECK(m.mtype == 4 && m.mtext[9] == 'x' && m.mtext[10] == 0, "only 10 bytes were written");
    CHECK_OK(msgctl(id, IPC_STAT, &ds), "IPC_STAT");
    CHECK(ds.msg_qnum == 0 && ds.msg_cbytes == 0, "the truncated message is gone");
    CHECK_OK(msgsnd(id, &m, 0, 0), "an empty message");
    CHECK_EQ(msgrcv(id, &m, 0, 0, IPC_NOWAIT), 0, "received as 0 bytes");
    m.mtype = 0;
    CHECK_ERR(msgsnd(id, &m, 1, 0), EINVAL, "mtype 0 is EINVAL");
    m.mtype = -1;
    CHECK_ERR(msgsnd(id, &m, 1, 0), EINVAL, "a negative mtype is EINVAL");
    m.mtype = 1;
    static char big[8192 + 16];
    memcpy(big, &m.mtype, sizeof m.mtype);
    CHECK_ERR(msgsnd(id, big, 8193, 0), EINVAL, "more than msgmax (8192) is EINVAL");
    CHECK_ERR(msgsnd(12345678, &m, 1, 0), EINVAL, "an unknown id is EINVAL");
    CHECK_ERR(msgrcv(id, &m, 1, 0, MSG_COPY), EINVAL, "MSG_COPY without IPC_NOWAIT is EINVAL");

    /* a full queue */
    int sent = 0;
    while (msgsnd(id, big, 8192, IPC_NOWAIT) == 0)
        sent++;
    CHECK(errno == EAGAIN && (size_t)sent == qbytes / 8192, "a full queue with IPC_NOWAIT is EAGAIN");
    CHECK_ERR(msgsnd(id, big, 1, IPC_NOWAIT), EAGAIN, "even for one byte");

    /* MSG_COPY: the message at an index, left queued (needs CONFIG_CHECKPOINT_RESTORE on the host) */
    int r = msgrcv(id, big, 8192, 1, MSG_COPY | IPC_NOWAIT);
    if (r < 0 && errno == ENOSYS) {
        kt_skip("MSG_COPY copies the message at an index", "the host kernel has no MSG_COPY");
    } else {
        CHECK_EQ(r, 8192, "MSG_COPY copies the message at index 1");
        CHECK_ERR(msgrcv(id, big, 8192, sent, MSG_COPY | IPC_NOWAIT), ENOMSG, "MSG_COPY past the end is ENOMSG");
        CHECK_OK(msgctl(id, IPC_STAT, &ds), "IPC_STAT");
        CHECK_EQ(ds.msg_qnum, sent, "MSG_COPY leaves the queue as it was");
    }

    /* a blocked sender wakes when a receive makes room (qemu-user writes mtype back even on a failed msgrcv) */
    memcpy(big, &m.mtype, sizeof m.mtype);
    pid_t c = fork();
    if (c == 0)
        _exit(msgsnd(id, big, 100, 0) == 0 ? 0 : 1);
    usleep(100000);
    CHECK_EQ(msgrcv(id, big, 8192, 0, IPC_NOWAIT), 8192, "receive one message from the full queue");
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child's blocked msgsnd completes");
    CHECK_OK(msgctl(id, IPC_STAT, &ds), "IPC_STAT");
    CHECK(ds.msg_lspid == c && ds.msg_qnum == (unsigned long)sent && ds.msg_cbytes == (sent - 1) * 8192UL + 100,
          "the child's message is queued, its pid is msg_lspid");
    while (msgrcv(id, big, 8192, 0, IPC_NOWAIT) >= 0)
        ;
    CHECK_EQ(errno, ENOMSG, "drained");

    /* a blocked receiver wakes when a message arrives */
    c = fork();
    if (c == 0) {
        struct kmsg cm;
        ssize_t n = msgrcv(id, &cm, sizeof cm.mtext, 9, 0);
        _exit(n == 6 && cm.mtype == 9 && strcmp(cm.mtext, "hello") == 0 ? 0 : 1);
    }
    usleep(100000);
    CHECK_OK(send(id, 8, "other", 0), "a message of another type does not wake it for good");
    usleep(50000);
    CHECK_OK(send(id, 9, "hello", 0), "send the type it waits for");
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child's blocking msgrcv gets it");
    CHECK_OK(msgctl(id, IPC_STAT, &ds), "IPC_STAT");
    CHECK((kt_qemu() || ds.msg_lrpid == c) && ds.msg_qnum == 1 && ds.msg_lspid == getpid(), "msg_lrpid is the child's");
    CHECK_EQ(recv(id, 8, 0, text), 8, "the other message is still there");

    /* IPC_SET */
    ds.msg_perm.mode = 0640;
    ds.msg_qbytes = 4096;
    CHECK_OK(msgctl(id, IPC_SET, &ds), "IPC_SET mode 0640 and msg_qbytes 4096");
    CHECK_OK(msgctl(id, IPC_STAT, &ds), "IPC_STAT");
    CHECK((ds.msg_perm.mode & 0777) == 0640 && ds.msg_qbytes == 4096, "the new mode and limit read back");
    CHECK_ERR(msgsnd(id, big, 4097, IPC_NOWAIT), EAGAIN, "a message over the new limit does not fit");

    /* permissions, as an unprivileged user (only when there is root to drop) */
    if (geteuid() == 0) {
        c = fork();
        if (c == 0) {
            int bad = 0;
            if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
                _exit(100);
            struct kmsg cm = {.mtype = 1};
            struct msqid_ds cds;
            if (msgsnd(id, &cm, 1, IPC_NOWAIT) != -1 || errno != EACCES)
                bad |= 1; /* others have no bits in 0640 */
            if (msgctl(id, IPC_STAT, &cds) != -1 || errno != EACCES)
                bad |= 2;
            if (msgctl(id, IPC_RMID, NULL) != -1 || errno != EPERM)
                bad |= 4; /* neither owner nor creator */
            int own = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
            if (own < 0 || msgctl(own, IPC_STAT, &cds) != 0)
                _exit(101);
            cds.msg_qbytes = 16384 * 2;
            if (msgctl(own, IPC_SET, &cds) != -1 || errno != EPERM)
                bad |= 8; /* past msgmnb needs CAP_SYS_RESOURCE */
            cds.msg_qbytes = 1000;
            if (msgctl(own, IPC_SET, &cds) != 0)
                bad |= 16; /* lowering it does not */
            if (msgctl(own, IPC_RMID, NULL) != 0)
                bad |= 32;
            _exit(bad);
        }
        waitpid(c, &st, 0);
        CHECK_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0,
                 "unprivileged: EACCES to send and stat, EPERM to remove, EPERM to raise msg_qbytes past msgmnb");
    } else {
        kt_skip("unprivileged permission checks", "not running as root");
    }

    /* IPC_INFO, MSG_INFO, MSG_STAT */
    struct msginfo mi;
    CHECK(msgctl(0, IPC_INFO, (struct msqid_ds *)&mi) >= 0 && mi.msgmax > 0 && mi.msgmnb > 0 && mi.msgmni > 0,
          "IPC_INFO reports the limits");
    int maxidx = msgctl(0, MSG_INFO, (struct msqid_ds *)&mi);
    CHECK(maxidx >= 0 && mi.msgpool >= 1, "MSG_INFO counts the queues in use");
    CHECK_EQ(msgctl(id % 32768, MSG_STAT, &ds), id, "MSG_STAT of the queue's index returns its id");
    CHECK_ERR(msgctl(id, 99, &ds), EINVAL, "an unknown command is EINVAL");

    /* a handled signal ends a blocked msgrcv with EINTR, even with SA_RESTART */
    c = fork();
    if (c == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGUSR1, &sa, NULL);
        struct kmsg cm;
        ssize_t n = msgrcv(id, &cm, sizeof cm.mtext, 0, 0);
        _exit(n < 0 && errno == EINTR ? 0 : 1);
    }
    usleep(100000);
    kill(c, SIGUSR1);
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "msgrcv interrupted by a handler (SA_RESTART) is EINTR");

    /* IPC_RMID wakes a blocked receiver with EIDRM */
    c = fork();
    if (c == 0) {
        struct kmsg cm;
        ssize_t n = msgrcv(id, &cm, sizeof cm.mtext, 0, 0);
        _exit(n < 0 && errno == EIDRM ? 0 : 1);
    }
    usleep(100000);
    CHECK_OK(msgctl(id, IPC_RMID, NULL), "IPC_RMID with a receiver blocked");
    waitpid(c, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the blocked msgrcv fails with EIDRM");
    CHECK_ERR(msgctl(id, IPC_STAT, &ds), EINVAL, "the removed queue's id is EINVAL");
    CHECK_ERR(msgrcv(id, &m, 1, 0, IPC_NOWAIT), EINVAL, "msgrcv on it too");
    return kt_done();
}
