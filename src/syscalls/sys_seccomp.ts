// seccomp(2): the handler decodes the arguments; kernel/seccomp.ts does the work.

import { doSeccomp } from "../kernel/seccomp.js";
import { defineSyscalls } from "./table.js";
import { u32Arg } from "./args.js";

defineSyscalls({
  seccomp: [
    (t, op, flags, uargs) => doSeccomp(t, u32Arg(op), u32Arg(flags), uargs),
    "partial",
    "strict and classic-BPF filter modes, TSYNC, GET_ACTION_AVAIL, GET_NOTIF_SIZES; no user-notification listener " +
      "(SECCOMP_FILTER_FLAG_NEW_LISTENER is EINVAL; SECCOMP_RET_USER_NOTIF fails the syscall with ENOSYS as without a listener); " +
      "SECCOMP_RET_TRACE is ENOSYS (no tracer stop)",
  ],
});
