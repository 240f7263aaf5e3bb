// A socket's shutdown state (Linux's sk_shutdown mask, include/net/sock.h):
// the directions shutdown(2) or the peer closed. Kernel-internal, not ABI.
export const RCV_SHUTDOWN = 1;
export const SEND_SHUTDOWN = 2;
export const SHUTDOWN_MASK = RCV_SHUTDOWN | SEND_SHUTDOWN;
