export { execFp } from "./fpu";
