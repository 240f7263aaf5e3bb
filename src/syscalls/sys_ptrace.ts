// ptrace(2): the request layer is kernel/ptrace_request.ts.

import { defineSyscalls } from "./table.js";
import { ptraceRequest } from "../kernel/ptrace_request.js";
import { REG_A0 } from "../arch/riscv64/layout.js";
import { i32Arg } from "./args.js";

const DATA_ARG = 3;

defineSyscalls({
  ptrace: [
    // data is a whole 64-bit word for PTRACE_POKE*: taken from the register, not the (saturated) number.
    (t, request, pid, addr, data) => ptraceRequest(t, i32Arg(request), i32Arg(pid), addr, data, t.k.hart.regBig(REG_A0 + DATA_ARG)),
    "partial",
    "no PTRACE_SINGLESTEP (EIO, as riscv Linux), PEEKSIGINFO, seccomp requests or PTRACE_EVENT_SECCOMP; PTRACE_EVENT_EXIT only for exit/exit_group, not a death by signal; a tracee's death reaches its real parent at once, not after the tracer's wait",
  ],
});
