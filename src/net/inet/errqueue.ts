// The socket error queue (MSG_ERRQUEUE) as ip_recv_error/ipv6_recv_error
// read it: each entry gives back the payload of the datagram an ICMP error
// quoted, its destination as the message's name, and one control message —
// SOL_IP/IP_RECVERR on an AF_INET socket, SOL_IPV6/IPV6_RECVERR on an
// AF_INET6 one — holding struct sock_extended_err and the offender's
// address. Reading an entry removes it (MSG_PEEK does not keep it) and
// leaves the next entry's errno, or none, as the socket's pending error.

import { EAGAIN } from "../../abi/errno.js";
import {
  AF_INET, AF_UNSPEC, SOL_IP, SOL_IPV6, IP_RECVERR, IPV6_RECVERR, SOCK_EE_SIZE, SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6, SO_EE_ORIGIN_LOCAL,
  cmsghdr, CMSG_LEN, CMSG_DATA_OFFSET,
} from "../../abi/socket.js";
import { kerr } from "../../lib/errors.js";
import { encodeSockaddr } from "./addr.js";
import type { ErrQueueEntry, InetSocket } from "./socket.js";

export interface ErrQueueRead { entry: ErrQueueEntry; name: Uint8Array; cmsg: Uint8Array }

// Takes the oldest entry; EAGAIN when there is none (a read of the queue never waits).
export function takeErrQueue(s: InetSocket): ErrQueueRead {
  const entry = s.errQueue.shift() ?? kerr(EAGAIN);
  // sock_dequeue_err_skb: only an ICMP error left next becomes the pending one.
  const next = s.errQueue[0];
  s.err = next && !next.local ? next.errno : 0;
  const offender = encodeSockaddr(s.family, entry.offender, 0);
  // A local error names no offender (ipv4_datagram_support_cmsg): all zeros, AF_UNSPEC.
  if (entry.local) { offender.fill(0); new DataView(offender.buffer).setUint16(0, AF_UNSPEC, true); }
  const cmsg = new Uint8Array(CMSG_LEN(SOCK_EE_SIZE + offender.length));
  const dv = new DataView(cmsg.buffer);
  const v4sock = s.family === AF_INET;
  cmsghdr.write(dv, 0, { cmsg_len: cmsg.length, cmsg_level: v4sock ? SOL_IP : SOL_IPV6, cmsg_type: v4sock ? IP_RECVERR : IPV6_RECVERR });
  const at = CMSG_DATA_OFFSET;
  dv.setUint32(at, entry.errno, true);
  cmsg[at + 4] = entry.local ? SO_EE_ORIGIN_LOCAL : entry.v6 ? SO_EE_ORIGIN_ICMP6 : SO_EE_ORIGIN_ICMP;
  cmsg[at + 5] = entry.type;
  cmsg[at + 6] = entry.code;
  if (entry.local) dv.setUint32(at + 8, entry.local.info, true); // ee_info
  cmsg.set(offender, at + SOCK_EE_SIZE);
  return { entry, name: encodeSockaddr(s.family, entry.dst, entry.dport), cmsg };
}
