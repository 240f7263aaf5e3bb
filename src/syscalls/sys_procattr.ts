// Process attributes: getcpu (Ghost has one CPU: cpu 0, node 0) and personality.

import { PER_QUERY } from "../abi/misc.js";
import { defineSyscalls } from "./table.js";
import { um } from "./util.js";

defineSyscalls({
  getcpu: (t, cpuVa, nodeVa) => {
    if (cpuVa) um(t).setU32(cpuVa, 0);
    if (nodeVa) um(t).setU32(nodeVa, 0);
    return 0;
  },
  // The execution domain: only PER_LINUX exists, but the flags are kept and returned, as Linux does.
  personality: (t, persona) => {
    const old = t.personality;
    if ((persona >>> 0) !== PER_QUERY) t.personality = persona >>> 0;
    return old;
  },
});
