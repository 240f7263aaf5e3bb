// System V IPC (include/uapi/linux/ipc.h, shm.h; asm-generic ipcbuf.h and
// shmbuf.h as riscv64 uses them).

import { struct } from "./struct.js";

export const IPC_PRIVATE = 0;
export const IPC_CREAT = 0o1000;
export const IPC_EXCL = 0o2000;
export const IPC_NOWAIT = 0o4000;
export const IPC_RMID = 0;
export const IPC_SET = 1;
export const IPC_STAT = 2;
export const IPC_INFO = 3;
export const IPC_64 = 0x0100;

export const SHM_RDONLY = 0o10000;
export const SHM_RND = 0o20000;
export const SHM_REMAP = 0o40000;
export const SHM_EXEC = 0o100000;
export const SHM_HUGETLB = 0o4000; // shmget: a segment of huge pages
export const SHM_LOCK = 11;
export const SHM_UNLOCK = 12;
export const SHM_STAT = 13;
export const SHM_INFO = 14;
export const SHM_STAT_ANY = 15;
export const SHM_DEST = 0o1000; // shm_perm.mode: marked for removal
export const SHM_LOCKED = 0o2000;
export const SHMMIN = 1;
export const SHMMNI = 4096;
export const SHMALL = 0x7fff_ffff_ffff_f000 / 4096; // pages
export const SHMMAX = 0x7fff_ffff_ffff_f000; // ULONG_MAX - 2^24 in Linux: effectively unlimited

/** struct ipc64_perm. */
export const ipc64_perm = struct("struct ipc64_perm", 48, {
  key: [0, "i32"], uid: [4, "u32"], gid: [8, "u32"], cuid: [12, "u32"], cgid: [16, "u32"], mode: [20, "u32"], seq: [24, "u16"],
});

/** struct shmid64_ds (64-bit: no _high time words); shm_perm is an ipc64_perm at 0. */
export const shmid64_ds = struct("struct shmid64_ds", 112, {
  shm_segsz: [48, "u64"], shm_atime: [56, "i64"], shm_dtime: [64, "i64"], shm_ctime: [72, "i64"],
  shm_cpid: [80, "i32"], shm_lpid: [84, "i32"], shm_nattch: [88, "u64"],
});

/** struct shminfo64 (shmctl IPC_INFO): five limits, then four unused longs. */
export const shminfo64 = struct("struct shminfo64", 72, {
  shmmax: [0, "u64"], shmmin: [8, "u64"], shmmni: [16, "u64"], shmseg: [24, "u64"], shmall: [32, "u64"],
});

/** struct shm_info (shmctl SHM_INFO). */
export const shm_info = struct("struct shm_info", 48, {
  used_ids: [0, "i32"], shm_tot: [8, "u64"], shm_rss: [16, "u64"], shm_swp: [24, "u64"],
  swap_attempts: [32, "u64"], swap_successes: [40, "u64"],
});

// Semaphores (include/uapi/linux/sem.h).
export const SEM_UNDO = 0x1000;
export const GETPID = 11;
export const GETVAL = 12;
export const GETALL = 13;
export const GETNCNT = 14;
export const GETZCNT = 15;
export const SETVAL = 16;
export const SETALL = 17;
export const SEM_STAT = 18;
export const SEM_INFO = 19;
export const SEM_STAT_ANY = 20;
export const SEMMNI = 32000;
export const SEMMSL = 32000;
export const SEMMNS = SEMMNI * SEMMSL;
export const SEMOPM = 500;
export const SEMVMX = 32767;
export const SEMAEM = SEMVMX;
export const SEMUME = SEMOPM;
export const SEMUSZ = 20; // sizeof struct sem_undo, as uapi's sem.h says
export const SEMMNU = SEMMNS;
export const SEMMAP = SEMMNS;

/** struct sembuf. */
export const sembuf = struct("struct sembuf", 6, { sem_num: [0, "u16"], sem_op: [2, "i16"], sem_flg: [4, "i16"] }, 2);

/** struct semid64_ds (64-bit); sem_perm is an ipc64_perm at 0. */
export const semid64_ds = struct("struct semid64_ds", 88, {
  sem_otime: [48, "i64"], sem_ctime: [56, "i64"], sem_nsems: [64, "u64"],
});

// Message queues (include/uapi/linux/msg.h; asm-generic msgbuf.h, 64-bit).
export const MSG_STAT = 11;
export const MSG_INFO = 12;
export const MSG_STAT_ANY = 13;
export const MSG_NOERROR = 0o10000; // msgrcv: truncate a message longer than the buffer
export const MSG_EXCEPT = 0o20000; // msgrcv: the first message not of the given type
export const MSG_COPY = 0o40000; // msgrcv: copy the message at an index, leave it queued
export const MSGMNI = 32000; // queues
export const MSGMAX = 8192; // bytes in one message
export const MSGMNB = 16384; // default bytes a queue holds (msg_qbytes)
export const MSGSSZ = 16;
export const MSGPOOL = (MSGMNI * MSGMNB) / 1024; // kbytes
export const MSGTQL = MSGMNB;
export const MSGMAP = MSGMNB;
export const MSGSEG = Math.min((MSGPOOL * 1024) / MSGSSZ, 0xffff);

/** struct msgbuf: a long mtype, then mtext[] (flexible) at MSGBUF_MTEXT. */
export const msgbuf = struct("struct msgbuf", 8, { mtype: [0, "i64"] });
export const MSGBUF_MTEXT = 8;

/** struct msqid64_ds (64-bit: no _high time words); msg_perm is an ipc64_perm at 0. */
export const msqid64_ds = struct("struct msqid64_ds", 120, {
  msg_stime: [48, "i64"], msg_rtime: [56, "i64"], msg_ctime: [64, "i64"],
  msg_cbytes: [72, "u64"], msg_qnum: [80, "u64"], msg_qbytes: [88, "u64"],
  msg_lspid: [96, "i32"], msg_lrpid: [100, "i32"],
});

/** struct msginfo (msgctl IPC_INFO / MSG_INFO). */
export const msginfo = struct("struct msginfo", 32, {
  msgpool: [0, "i32"], msgmap: [4, "i32"], msgmax: [8, "i32"], msgmnb: [12, "i32"],
  msgmni: [16, "i32"], msgssz: [20, "i32"], msgtql: [24, "i32"], msgseg: [28, "u16"],
}, 4);

// POSIX message queues (include/uapi/linux/mqueue.h, ipc/mqueue.c).
/** struct mq_attr: mq_flags, mq_maxmsg, mq_msgsize, mq_curmsgs, then 4 reserved longs. */
export const mq_attr = struct("struct mq_attr", 64, {
  mq_flags: [0, "i64"],
  mq_maxmsg: [8, "i64"],
  mq_msgsize: [16, "i64"],
  mq_curmsgs: [24, "i64"],
});
export const MQ_PRIO_MAX = 32768;
/** The defaults and limits of an IPC namespace (/proc/sys/fs/mqueue). */
export const DFLT_QUEUESMAX = 256;
export const DFLT_MSG = 10;
export const DFLT_MSGMAX = 10;
export const DFLT_MSGSIZE = 8192;
export const DFLT_MSGSIZEMAX = 8192;
/** What CAP_SYS_RESOURCE may ask for at most. */
export const HARD_MSGMAX = 65536;
export const HARD_MSGSIZEMAX = 16 * 1024 * 1024;
/** Kernel bytes charged per message slot (sizeof struct msg_msg and of posix_msg_tree_node on 64-bit). */
export const MQ_MSG_OVERHEAD = 48;
export const MQ_TREE_NODE_SIZE = 48;
/** SIGEV_THREAD's cookie (NOTIFY_COOKIE_LEN). */
export const NOTIFY_COOKIE_LEN = 32;
/** The cookie's last byte as the netlink socket receives it: a message arrived, or the registration went. */
export const NOTIFY_NONE = 0;
export const NOTIFY_WOKENUP = 1;
export const NOTIFY_REMOVED = 2;
/** The mqueue filesystem's magic (linux/magic.h). */
export const MQUEUE_MAGIC = 0x19800202;
