// /sys/class/net/<dev> (Linux's net/core/net-sysfs.c): what ip, ifconfig,
// systemd and udev-less tools read of a device without netlink.

import { kerr } from "../../lib/errors.js";
import { EINVAL } from "../../abi/errno.js";
import { IFF_UP, IFF_LOOPBACK, IFF_RUNNING, ARPHRD_ETHER, ARPHRD_LOOPBACK } from "../../abi/inet.js";
import { registerSysNetDevices, type SysNetDevice } from "../../fs/sysfs.js";
import type { Kernel } from "../../kernel/kernel.js";
import { type NetDevice, netStack } from "./stack.js";
import { formatMac } from "../dev/nic.js";

// Linux's default transmit queue length (DEFAULT_TX_QUEUE_LEN), lo's too.
export const TXQUEUELEN = 1000;
const ETH_ALEN = 6;

function device(d: NetDevice): SysNetDevice {
  const lo = (d.flags & IFF_LOOPBACK) !== 0;
  const up = () => (d.flags & IFF_UP) !== 0;
  const line = (v: string | number) => () => `${v}\n`;
  const s = d.stats;
  return {
    name: d.name,
    attrs: [
      ["addr_assign_type", line(0)],
      ["addr_len", line(ETH_ALEN)],
      ["address", () => `${formatMac(d.hwaddr)}\n`],
      ["broadcast", line(lo ? "00:00:00:00:00:00" : "ff:ff:ff:ff:ff:ff")],
      // carrier_show: EINVAL while the device is down.
      ["carrier", () => (up() ? "1\n" : kerr(EINVAL))],
      ["dev_id", line("0x0")],
      ["dev_port", line(0)],
      // dev->flags: IFF_RUNNING is the operational state's, not a flag set here (dev_get_flags adds it for ioctls and netlink).
      ["flags", () => `0x${(d.flags & ~IFF_RUNNING).toString(16)}\n`],
      ["ifindex", line(d.index)],
      ["iflink", line(d.index)],
      ["link_mode", line(0)],
      ["mtu", () => `${d.mtu}\n`],
      // lo has no operational state of its own (IF_OPER_UNKNOWN); eth0's follows its carrier.
      ["operstate", () => (lo ? "unknown\n" : up() ? "up\n" : "down\n")],
      ["tx_queue_len", line(TXQUEUELEN)],
      ["type", line(lo ? ARPHRD_LOOPBACK : ARPHRD_ETHER)],
      ["uevent", line(`INTERFACE=${d.name}\nIFINDEX=${d.index}`)],
    ],
    stats: [
      ["collisions", line(0)], ["multicast", line(0)],
      ["rx_bytes", () => `${s.rxBytes}\n`], ["rx_dropped", () => `${s.rxDropped}\n`], ["rx_errors", line(0)], ["rx_packets", () => `${s.rxPackets}\n`],
      ["tx_bytes", () => `${s.txBytes}\n`], ["tx_dropped", line(0)], ["tx_errors", line(0)], ["tx_packets", () => `${s.txPackets}\n`],
    ],
  };
}

registerSysNetDevices((k: Kernel) => netStack(k).devices.map(device));
