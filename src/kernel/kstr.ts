// Kernel strings are byte strings: a path or name holds one char (0..255)
// per byte, as Linux treats names (any bytes but '/' and NUL), so names that
// are not UTF-8 survive. Strings from the host (its paths, the command line)
// are UTF-8 and cross over through these.

// A host (UTF-8) string as the kernel's byte string.
export function fromHost(s: string): string { return Buffer.from(s, "utf8").toString("latin1"); }

// A kernel byte string as its bytes.
export function kbytes(s: string): Buffer { return Buffer.from(s, "latin1"); }

// A kernel byte string for the host's eyes (messages, not paths).
export function toHost(s: string): string { return Buffer.from(s, "latin1").toString("utf8"); }
