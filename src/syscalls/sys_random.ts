// getrandom: bytes from the kernel's random source (seeded under the virtual clock).

import { kerr } from "../lib/errors.js";
import { EINVAL, EFAULT } from "../abi/errno.js";
import { GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE } from "../abi/misc.js";
import { defineSyscalls } from "./table.js";
import { UserBuffer, IO_CHUNK } from "../mm/uio.js";
import { um } from "./util.js";
import { sizeArg } from "./args.js";

defineSyscalls({
  getrandom: (t, va, len, flags) => {
    if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) kerr(EINVAL);
    if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM)) kerr(EINVAL);
    // In bounded chunks, as far as the buffer is mapped writable (a short
    // count past that, EFAULT if none), as Linux's get_random_bytes_user.
    const buf = UserBuffer.of(um(t), va, Math.min(sizeArg(len), 0x1ffffff));
    let done = 0;
    while (done < buf.length) {
      const n = buf.accessible(done, Math.min(IO_CHUNK, buf.length - done), true);
      if (n === 0) { if (done > 0) break; kerr(EFAULT); }
      const b = new Uint8Array(n);
      t.k.random(b);
      buf.copyOut(done, b);
      done += n;
    }
    return done;
  },
});
