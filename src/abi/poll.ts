// poll/select/epoll constants and layouts for riscv64
// (asm-generic/poll.h, linux/eventpoll.h, linux/posix_types.h).

import { struct } from "./struct.js";

export const POLLIN = 0x0001;
export const POLLPRI = 0x0002;
export const POLLOUT = 0x0004;
export const POLLERR = 0x0008;
export const POLLHUP = 0x0010;
export const POLLNVAL = 0x0020;
export const POLLRDNORM = 0x0040;
export const POLLRDBAND = 0x0080;
export const POLLWRNORM = 0x0100;
export const POLLWRBAND = 0x0200;
export const POLLMSG = 0x0400;
export const POLLREMOVE = 0x1000;
export const POLLRDHUP = 0x2000;

/** struct pollfd. */
export const pollfd = struct("struct pollfd", 8, {
  fd: [0, "i32"],
  events: [4, "i16"],
  revents: [6, "i16"],
}, 4);

/** select(2) limit; fd_set is FD_SETSIZE bits. */
export const FD_SETSIZE = 1024;
export const FD_SET_BYTES = FD_SETSIZE / 8;

// epoll events (same bits as POLL*, plus input flags in the top bits)
export const EPOLLIN = 0x0000_0001;
export const EPOLLPRI = 0x0000_0002;
export const EPOLLOUT = 0x0000_0004;
export const EPOLLERR = 0x0000_0008;
export const EPOLLHUP = 0x0000_0010;
export const EPOLLNVAL = 0x0000_0020;
export const EPOLLRDNORM = 0x0000_0040;
export const EPOLLRDBAND = 0x0000_0080;
export const EPOLLWRNORM = 0x0000_0100;
export const EPOLLWRBAND = 0x0000_0200;
export const EPOLLMSG = 0x0000_0400;
export const EPOLLRDHUP = 0x0000_2000;
/** Set in events delivered from io_uring wakeups (kernel-internal use). */
export const EPOLL_URING_WAKE = 1 << 27;
export const EPOLLEXCLUSIVE = 1 << 28;
export const EPOLLWAKEUP = 1 << 29;
export const EPOLLONESHOT = 1 << 30;
export const EPOLLET = 0x8000_0000;
/** Input-only flags (EP_PRIVATE_BITS). */
export const EPOLL_INPUT_FLAGS = (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE) >>> 0;

export const EPOLL_CLOEXEC = 0o2000000;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;

/**
 * struct epoll_event: NOT packed on riscv64 (only x86-64 packs it), so the
 * 64-bit data sits at offset 8 and the struct is 16 bytes.
 */
export const epoll_event = struct("struct epoll_event", 16, {
  events: [0, "u32"],
  data: [8, "u64"],
});

/** struct epoll_params for EPIOCSPARAMS/EPIOCGPARAMS (Linux 6.9). */
export const epoll_params = struct("struct epoll_params", 8, {
  busy_poll_usecs: [0, "u32"],
  busy_poll_budget: [4, "u16"],
  prefer_busy_poll: [6, "u8"],
  __pad: [7, "u8"],
}, 4);
/** _IOW(0x8A, 0x01, struct epoll_params). */
export const EPIOCSPARAMS = 0x4008_8a01;
/** _IOR(0x8A, 0x02, struct epoll_params). */
export const EPIOCGPARAMS = 0x8008_8a02;
