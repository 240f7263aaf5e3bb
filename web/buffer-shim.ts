// The kernel's byte strings use Node's Buffer; in the browser bundle every
// `Buffer` is this package's (esbuild's inject).
export { Buffer } from "buffer";
