// Credentials (Linux's struct cred): who a task acts as, for permission checks.

export interface Cred { uid: number; gid: number; fsuid: number; fsgid: number; groups: number[] }

// A task's credentials: the four uid and gid pairs and the capability sets (bit n = capability n).
export interface TaskCred extends Cred {
  euid: number; egid: number; suid: number; sgid: number;
  capEff: bigint; capPrm: bigint; capInh: bigint;
}

// Every capability Linux 6.15 knows (0..40).
export const CAP_FULL = (1n << 41n) - 1n;
