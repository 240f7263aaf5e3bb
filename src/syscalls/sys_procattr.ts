// Process attributes: getcpu (Ghost has one CPU: cpu 0, node 0) and personality.

import { PER_QUERY } from "../abi/misc.js";
import { defineSyscalls } from "./table.js";
import { um } from "./util.js";
import { u32Arg } from "./args.js";

defineSyscalls({
  getcpu: (t, cpuVa, nodeVa) => {
    if (cpuVa) um(t).setU32(cpuVa, 0);
    if (nodeVa) um(t).setU32(nodeVa, 0);
    return 0;
  },
  // The execution domain: only PER_LINUX exists, but the flags are kept and returned, as Linux does.
  personality: (t, persona) => {
    const old = t.personality;
    if ((u32Arg(persona)) !== PER_QUERY) t.personality = u32Arg(persona);
    return old;
  },
});
