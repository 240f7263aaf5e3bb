// What the Linux 6.1 riscv64 headers installed here cannot confirm, and why.
//
// NOT_IN_6_1: names the 6.1 uapi headers (and glibc 2.36) do not define —
// added to Linux after 6.1, kernel-internal, or helpers of src/abi/ itself.
// CHANGED_SINCE_6_1: names whose 6.1 value differs from 6.15's; the test checks
// the 6.1 value given here, the source holds the 6.15 one.

type Reasons = Readonly<Record<string, string>>;

const internal = (names: string[], where: string): Reasons =>
  Object.fromEntries(names.map((n) => [n, `kernel-internal (${where})`]));
const newer = (names: string[], since: string): Reasons =>
  Object.fromEntries(names.map((n) => [n, `added after 6.1 (${since})`]));
const ours = (names: string[]): Reasons => Object.fromEntries(names.map((n) => [n, "src/abi helper, not a Linux name"]));

export const NOT_IN_6_1: Readonly<Record<string, Reasons>> = {
  // Syscall numbers above 450, from scripts/syscall.tbl (all "common").
  syscalls: {
    ...newer(["riscv_hwprobe"], "6.4"),
    ...newer(["cachestat"], "6.5"),
    ...newer(["fchmodat2", "map_shadow_stack"], "6.6"),
    ...newer(["futex_wake", "futex_wait", "futex_requeue"], "6.7"),
    ...newer(["statmount", "listmount", "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules"], "6.8"),
    ...newer(["mseal"], "6.10"),
    ...newer(["setxattrat", "getxattrat", "listxattrat", "removexattrat"], "6.13"),
    ...newer(["open_tree_attr"], "6.15"),
  },
  errno: {
    ...internal(["ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND", "ENOIOCTLCMD", "ERESTART_RESTARTBLOCK"], "include/linux/errno.h"),
    ...internal(["MAX_ERRNO"], "include/linux/err.h"),
  },
  signal: {
    SA_RESTORER: "not defined on riscv64 (the test confirms its absence from asm/signal.h)",
    ...newer(["SEGV_CPERR"], "6.6"),
    ...newer(["RISCV_V_MAGIC", "END_MAGIC", "END_HDR_SIZE"], "6.5, riscv vector signal context"),
    ...internal(["UAPI_SA_FLAGS", "SIG_KERNEL_ONLY_MASK", "SIG_KERNEL_STOP_MASK", "SIG_KERNEL_COREDUMP_MASK",
      "SIG_KERNEL_IGNORE_MASK", "SYNCHRONOUS_MASK"], "include/linux/signal.h, kernel/signal.c"),
    ...internal(["SI_PREAMBLE_SIZE"], "__ARCH_SI_PREAMBLE_SIZE, computed in asm-generic/siginfo.h"),
    ...ours(["SIGSET_SIZE"]),
  },
  fcntl: {
    ...newer(["F_SEAL_EXEC"], "6.3"),
    ...newer(["AT_HANDLE_FID"], "6.5"),
    ...newer(["F_DUPFD_QUERY"], "6.10"),
    ...newer(["F_CREATED_QUERY", "AT_RENAME_NOREPLACE", "AT_RENAME_EXCHANGE", "AT_RENAME_WHITEOUT",
      "AT_HANDLE_MNT_ID_UNIQUE", "AT_HANDLE_CONNECTABLE"], "6.12–6.13"),
    ...newer(["AT_EXECVE_CHECK"], "6.14"),
    ...internal(["OPEN_HOW_SIZE_VER0", "OPEN_HOW_SIZE_LATEST", "VALID_RESOLVE_FLAGS", "O_PATH_FLAGS"], "include/linux/fcntl.h"),
    ...internal(["SETFL_MASK"], "fs/fcntl.c"),
    ...internal(["S_IALLUGO"], "include/linux/stat.h"),
    ...internal(["MAX_RW_COUNT"], "include/linux/fs.h"),
    ...newer(["RWF_NOAPPEND"], "6.9"),
    ...newer(["RWF_ATOMIC"], "6.11"),
    ...newer(["RWF_DONTCACHE"], "6.14"),
  },
  mman: {
    ...newer(["MAP_DROPPABLE"], "6.11"),
    ...newer(["MADV_GUARD_INSTALL", "MADV_GUARD_REMOVE"], "6.13"),
    ...internal(["LEGACY_MAP_MASK"], "include/linux/mman.h"),
    MAP_ANON: "libc spelling of MAP_ANONYMOUS",
  },
  stat: {
    ...newer(["STATX_MNT_ID_UNIQUE"], "6.8"),
    ...newer(["STATX_SUBVOL"], "6.10"),
    ...newer(["STATX_WRITE_ATOMIC", "STATX_ATTR_WRITE_ATOMIC"], "6.11"),
    ...newer(["STATX_DIO_READ_ALIGN"], "6.14"),
    ...newer(["PID_FS_MAGIC"], "6.9"),
    ...internal(["ST_VALID", "ST_NOSYMFOLLOW"], "include/linux/statfs.h"),
    ...ours(["DIRENT64_NAME_OFFSET"]),
  },
  elf: {
    ...newer(["NT_RISCV_CSR", "NT_RISCV_VECTOR"], "riscv ptrace regsets"),
  },
  auxv: {
    ...newer(["AT_RSEQ_FEATURE_SIZE", "AT_RSEQ_ALIGN"], "6.3"),
    ...newer(["AT_HWCAP3", "AT_HWCAP4"], "not emitted on riscv"),
    ...newer(["COMPAT_HWCAP_ISA_V"], "6.5"),
    ...ours(["AT_RANDOM_BYTES", "HWCAP_RV64GC"]),
  },
  clone: ours(["CLONE_NS_FLAGS"]),
  sched: {
    ...newer(["SCHED_EXT"], "6.12"),
    ...internal(["MAX_RT_PRIO"], "include/linux/sched/prio.h"),
    ...ours(["RT_PRIO_MIN", "RT_PRIO_MAX"]),
  },
  wait: ours(["WSTOPFLAG", "WCONTINUED_STATUS"]),
  ptrace: ours([
    "PTRACE_SYSCALL_INFO_SIZE_NONE", "PTRACE_SYSCALL_INFO_SIZE_ENTRY", "PTRACE_SYSCALL_INFO_SIZE_EXIT",
    "USER_REGS_SIZE", "USER_FPREGS_SIZE", "FPREGS_FCSR_OFFSET", "REGSET_ELEM_SIZE",
  ]),
  time: {
    ...internal(["CPUCLOCK_PROF", "CPUCLOCK_VIRT", "CPUCLOCK_SCHED", "CPUCLOCK_MAX", "CLOCKFD", "CPUCLOCK_CLOCK_MASK",
      "CPUCLOCK_PERTHREAD_MASK", "CLOCKFD_MASK"], "include/linux/posix-timers_types.h; encoding checked against glibc below"),
    ...ours(["NSEC_PER_SEC", "USEC_PER_SEC"]),
  },
  timex: internal(["ADJ_ADJTIME", "ADJ_OFFSET_READONLY"], "include/linux/timex.h"),
  resource: ours(["RLIM_INFINITY_LO", "RLIM_INFINITY_HI"]),
  ioctl: internal(["INIT_C_IFLAG", "INIT_C_OFLAG", "INIT_C_CFLAG", "INIT_C_LFLAG"], "tty_std_termios, drivers/tty/tty_io.c"),
  poll: {
    ...newer(["EPIOCSPARAMS", "EPIOCGPARAMS"], "6.9"),
    ...internal(["EPOLL_INPUT_FLAGS"], "EP_PRIVATE_BITS, fs/eventpoll.c"),
    ...ours(["FD_SET_BYTES"]),
  },
  futex: newer(["FUTEX2_SIZE_U8", "FUTEX2_SIZE_U16", "FUTEX2_SIZE_U32", "FUTEX2_SIZE_U64", "FUTEX2_NUMA",
    "FUTEX2_PRIVATE", "FUTEX2_SIZE_MASK"], "6.7"),
  prctl: {
    ...newer(["PR_GET_AUXV"], "after 6.1"),
    ...newer(["PR_SET_MDWE", "PR_GET_MDWE", "PR_MDWE_REFUSE_EXEC_GAIN", "PR_MDWE_NO_INHERIT"], "6.3; NO_INHERIT 6.6"),
    ...newer(["PR_SET_MEMORY_MERGE", "PR_GET_MEMORY_MERGE"], "6.4"),
    ...newer(["PR_RISCV_V_SET_CONTROL", "PR_RISCV_V_GET_CONTROL", "PR_RISCV_V_VSTATE_CTRL_DEFAULT",
      "PR_RISCV_V_VSTATE_CTRL_OFF", "PR_RISCV_V_VSTATE_CTRL_ON", "PR_RISCV_V_VSTATE_CTRL_INHERIT",
      "PR_RISCV_V_VSTATE_CTRL_CUR_MASK", "PR_RISCV_V_VSTATE_CTRL_NEXT_MASK", "PR_RISCV_V_VSTATE_CTRL_MASK"], "6.5"),
    ...newer(["PR_RISCV_SET_ICACHE_FLUSH_CTX", "PR_RISCV_CTX_SW_FENCEI_ON", "PR_RISCV_CTX_SW_FENCEI_OFF",
      "PR_RISCV_SCOPE_PER_PROCESS", "PR_RISCV_SCOPE_PER_THREAD"], "6.9"),
    ...newer(["PR_PPC_GET_DEXCR", "PR_PPC_SET_DEXCR"], "6.10"),
    ...newer(["PR_GET_SHADOW_STACK_STATUS", "PR_SET_SHADOW_STACK_STATUS", "PR_LOCK_SHADOW_STACK_STATUS",
      "PR_SHADOW_STACK_ENABLE", "PR_SHADOW_STACK_WRITE", "PR_SHADOW_STACK_PUSH"], "6.13"),
    ...newer(["PR_TIMER_CREATE_RESTORE_IDS", "PR_TIMER_CREATE_RESTORE_IDS_OFF", "PR_TIMER_CREATE_RESTORE_IDS_ON",
      "PR_TIMER_CREATE_RESTORE_IDS_GET"], "6.15"),
    ...internal(["SUID_DUMP_DISABLE", "SUID_DUMP_USER", "SUID_DUMP_ROOT"], "include/linux/sched/coredump.h"),
    ...internal(["TASK_COMM_LEN"], "include/linux/sched.h"),
    ...newer(["SECBIT_EXEC_RESTRICT_FILE", "SECBIT_EXEC_DENY_INTERACTIVE"], "6.14"),
    ...ours(["CAP_FULL_SET"]),
  },
  socket: {
    ...newer(["SO_PASSPIDFD", "SO_PEERPIDFD", "SCM_PIDFD"], "6.5"),
    ...newer(["SO_DEVMEM_LINEAR", "SO_DEVMEM_DMABUF", "SO_DEVMEM_DONTNEED"], "6.12"),
    ...newer(["SCM_TS_OPT_ID"], "6.13"),
    ...newer(["SO_RCVPRIORITY"], "6.14"),
    ...internal(["MSG_PROBE", "SCM_SECURITY", "SOCK_TYPE_MASK", "SOCK_MAX"], "include/linux/socket.h, include/linux/net.h"),
    ...internal(["SCM_MAX_FD"], "include/net/scm.h"),
    ...ours(["CMSG_DATA_OFFSET", "SOCK_EE_SIZE", "IP_MREQ_SIZE", "IP_MREQN_SIZE", "GROUP_REQ_SIZE", "GROUP_REQ_GROUP", "IPV6_MREQ_SIZE"]),
    ...internal(["IGMP_MAX_MEMBERSHIPS"], "net/ipv4/igmp.c, sysctl_igmp_max_memberships's default"),
  },
  inet: {
    ...ours(["IPV4_VERSION", "IPV4_HLEN", "IPV4_DADDR", "IPV6_VERSION", "IPV6_HLEN", "ICMP_HLEN", "UDP_HLEN", "TCP_HLEN", "LINGER_SIZE",
      "IFREQ_SIZE", "IFR_UNION", "IFCONF_SIZE", "IFC_BUF"]),
    ...internal(["TCPHDR_FIN", "TCPHDR_SYN", "TCPHDR_RST", "TCPHDR_PSH", "TCPHDR_ACK", "TCPHDR_URG", "TCP_MAX_WSCALE",
      "TCPOPT_EOL", "TCPOPT_NOP", "TCPOPT_MSS", "TCPOPT_WINDOW", "TCPOPT_SACK_PERM", "TCPOPT_SACK", "TCPOPT_TIMESTAMP",
      "TCPOLEN_TIMESTAMP", "TCPOLEN_TSTAMP_ALIGNED", "TCPOLEN_SACK_PERBLOCK"], "include/net/tcp.h"),
    ...internal(["TCP_ESTABLISHED", "TCP_SYN_SENT", "TCP_SYN_RECV", "TCP_FIN_WAIT1", "TCP_FIN_WAIT2", "TCP_TIME_WAIT",
      "TCP_CLOSE", "TCP_CLOSE_WAIT", "TCP_LAST_ACK", "TCP_LISTEN", "TCP_CLOSING"], "include/net/tcp_states.h"),
    ...internal(["IP_DF", "IP_MF", "IP_OFFMASK"], "include/net/ip.h"),
    ...internal(["IP_MAXPACKET"], "glibc's netinet/ip.h, not uapi"),
    ...internal(["NDISC_NEIGHBOUR_SOLICITATION", "NDISC_NEIGHBOUR_ADVERTISEMENT", "ND_OPT_SOURCE_LL_ADDR", "ND_OPT_TARGET_LL_ADDR"],
      "include/net/ndisc.h"),
    ...internal(["IPV6_ADDR_LOOPBACK", "IPV6_ADDR_LINKLOCAL", "IPV6_ADDR_SITELOCAL"], "include/net/ipv6.h"),
    ...ours(["NA_FLAG_ROUTER", "NA_FLAG_SOLICITED", "NA_FLAG_OVERRIDE", "NDISC_MSG_LEN", "NDISC_HOP_LIMIT"]),
  },
  netlink: {
    ...ours(["IFINFOMSG_SIZE", "IFADDRMSG_SIZE", "RTMSG_SIZE", "RTA_HDRLEN", "RTNL_LINK_STATS_SIZE", "SOL_NETLINK_LEVEL"]),
    ...internal(["IP6_RT_PRIO_ADDRCONF", "IP6_RT_PRIO_USER", "INFINITY_LIFE_TIME"], "include/net/addrconf.h"),
    ...internal(["USER_HZ"], "include/asm-generic/param.h"),
    ...ours(["NDMSG_SIZE", "NDA_CACHEINFO_SIZE", "IFA_CACHEINFO_SIZE"]),
  },
  mount: {
    ...newer(["MOVE_MOUNT_BENEATH"], "6.5"),
    ...newer(["FSCONFIG_CMD_CREATE_EXCL"], "6.6"),
    ...newer(["FALLOC_FL_ALLOCATE_RANGE"], "uapi name for mode 0"),
    ...internal(["UMOUNT_UNUSED"], "include/linux/fs.h"),
    ...newer(["XATTR_ARGS_SIZE_VER0"], "6.13"),
  },
  misc: {
    ...newer(["MFD_NOEXEC_SEAL", "MFD_EXEC", "MEMBARRIER_CMD_GET_REGISTRATIONS"], "6.3"),
    ...newer(["PIDFD_THREAD", "PIDFD_SIGNAL_THREAD", "PIDFD_SIGNAL_THREAD_GROUP", "PIDFD_SIGNAL_PROCESS_GROUP"], "6.9"),
    ...ours(["PER_QUERY", "KCMP_EPOLL_SLOT_SIZE", "IO_EVENT_SIZE", "AIO_RING_HEADER_SIZE"]),
    ...internal(["KIOCB_KEY", "AIO_RING_MAGIC", "AIO_RING_COMPAT_FEATURES", "AIO_RING_INCOMPAT_FEATURES", "AIO_MAX_NR"], "fs/aio.c"),
  },
};

export const CHANGED_SINCE_6_1: Readonly<Record<string, Readonly<Record<string, number | bigint>>>> = {
  // 451 in 6.1; 468 in 6.15 (cachestat … open_tree_attr).
  syscalls: { NR_SYSCALLS: 451 },
  // SEGV_CPERR (10) arrived in 6.6.
  signal: { NSIGSEGV: 9 },
  // riscv grew AT_MINSIGSTKSZ in 6.5, so ARCH_DLINFO has one more entry.
  auxv: { AT_VECTOR_SIZE_ARCH: 9 },
  // RWF_NOAPPEND (6.9), RWF_ATOMIC (6.11) and RWF_DONTCACHE (6.14) joined the mask.
  fcntl: { RWF_SUPPORTED: 0x1f },
  // SECBIT_EXEC_RESTRICT_FILE and SECBIT_EXEC_DENY_INTERACTIVE (6.14) joined the mask.
  prctl: { SECURE_ALL_BITS: 0x55, SECURE_ALL_LOCKS: 0xaa },
};
