// What /proc shows of the layers above fs/ comes through here, as Linux's
// proc_create: a subsystem registers its file's contents, and procfs never
// imports the subsystem (the layer order, test/layers.test.ts).

import type { Kernel } from "../../kernel/kernel.js";

// /proc/sysvipc/{shm,sem,msg}: each kind registers its listing (a header
// line, then one row per object, in index order, as Linux's sysvipc_proc).
export const sysvipcListings = new Map<string, { header: string; rows: (k: Kernel) => string[] }>();

// Whether a syscall is implemented (not ENOSYS), for /proc/config.gz; the
// syscall table registers it. Without one, no syscall family counts.
let syscallImplemented: (name: string) => boolean = () => false;
export function registerSyscallStatus(fn: (name: string) => boolean): void { syscallImplemented = fn; }
export function isSyscallImplemented(name: string): boolean { return syscallImplemented(name); }

// /proc/net/*: the network stack registers each file's text (tcp, udp, dev…),
// and /proc/sys/net/* its sysctls (a value, and a setter for writable ones).
export const procNetFiles = new Map<string, (k: Kernel) => string>();
export const procNetSysctls = new Map<string, { get: (k: Kernel) => string; set?: (k: Kernel, v: string) => void }>();

// /proc/sys/kernel/* of the layers above fs/ (the System V IPC limits and
// next ids): a value, and a setter for writable ones.
export const procKernelSysctls = new Map<string, { get: (k: Kernel) => string; set?: (k: Kernel, v: string) => void }>();

// /proc/<name> files of the layers above fs/ (/proc/keys, /proc/key-users):
// the text, made when the file is opened, for the reading task (k.current).
export const procRootFiles = new Map<string, (k: Kernel) => string>();

// /proc/sys/kernel/<dir>/* (kernel.keys.*): a directory of sysctls.
export const procKernelSysctlDirs = new Map<string, Map<string, { get: (k: Kernel) => string; set?: (k: Kernel, v: string) => void }>>();

// /proc/sys/fs/<dir>/* of the layers above fs/ (fs.mqueue.*): writable
// sysctls that replace the fixed values procfs shows under the same name.
export const procFsSysctlDirs = new Map<string, Map<string, { get: (k: Kernel) => string; set?: (k: Kernel, v: string) => void }>>();
