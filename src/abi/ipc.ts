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
