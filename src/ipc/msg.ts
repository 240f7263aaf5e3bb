// System V message queues (Linux's ipc/msg.c): the queues and their per-kernel ids.

import { WaitQueue } from "../lib/wait.js";
import { MSGMNI, MSGMNB } from "../abi/ipc.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Task } from "../kernel/task.js";
import { IpcIds, perKernel, procKernelSysctls, registerNextId, intSysctl, IPCMNI, type IpcObject } from "./util.js";

export interface Message { type: bigint; text: Uint8Array }

export interface MsgQueue extends IpcObject {
  stime: number; rtime: number; ctime: number; lspid: number; lrpid: number;
  messages: Message[]; cbytes: number; qbytes: number;
  removed: boolean;
  senders: WaitQueue; // parked on a full queue
  receivers: WaitQueue; // parked waiting for a matching message
}

// A parked msgsnd/msgrcv remembers its queue, so that its retry after
// IPC_RMID fails with EIDRM rather than the EINVAL of an unknown id.
export class MsgSpace extends IpcIds<MsgQueue> {
  constructor(k: Kernel) { super(k, MSGMNI); }

  create(t: Task, key: number, flags: number): MsgQueue {
    return this.add({
      ...this.fresh(t, key, flags),
      stime: 0, rtime: 0, ctime: this.now(), lspid: 0, lrpid: 0,
      messages: [], cbytes: 0, qbytes: MSGMNB, removed: false,
      senders: new WaitQueue(), receivers: new WaitQueue(),
    });
  }
  // IPC_RMID: the messages go, and every parked sender and receiver wakes to EIDRM.
  destroy(q: MsgQueue): void {
    this.remove(q);
    q.removed = true;
    q.messages = [];
    q.cbytes = 0;
    q.senders.wakeAll();
    q.receivers.wakeAll();
  }
}

export const space = perKernel((k) => new MsgSpace(k));

// kernel.msgmni (0 to IPCMNI, as Linux's msg sysctl) and kernel.msg_next_id.
procKernelSysctls.set("msgmni", { get: (k) => String(space(k).mni), set: (k, v) => { space(k).mni = intSysctl(v, 0, IPCMNI); } });
registerNextId("msg", space);
