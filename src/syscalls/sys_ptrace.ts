// ptrace(2): the request layer is kernel/ptrace_request.ts.

import { defineSyscalls } from "./table.js";
import { ptraceRequest } from "../kernel/ptrace_request.js";
import { REG_A0 } from "../arch/riscv64/layout.js";
import { i32Arg } from "./args.js";

const DATA_ARG = 3;
// No request is outside int range.
const NO_REQUEST = -1;

// The request is a long: 1 << 32 is no PTRACE_TRACEME (the whole register is compared, as Linux does).
function requestArg(v: bigint): number { return v >= -0x8000_0000n && v <= 0x7fff_ffffn ? Number(v) : NO_REQUEST; }

defineSyscalls({
  ptrace: [
    // data is a whole 64-bit word for PTRACE_POKE*: taken from the register, not the (saturated) number.
    (t, _request, pid, addr, data) => ptraceRequest(t, requestArg(t.k.hart.regBig(REG_A0)), i32Arg(pid), addr, data, t.k.hart.regBig(REG_A0 + DATA_ARG)),
    "partial",
    "no PTRACE_SINGLESTEP (EIO, as riscv Linux), PEEKSIGINFO, seccomp requests or PTRACE_EVENT_SECCOMP; PTRACE_EVENT_EXIT only for exit/exit_group, not a death by signal",
  ],
});
