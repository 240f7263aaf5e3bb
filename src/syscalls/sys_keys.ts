// Kernel key management: add_key, request_key, keyctl. The handlers copy
// strings and payloads in and results out; the keys subsystem
// (security/keys/) does the rest.

import { kerr, KernelError } from "../lib/errors.js";
import { EINVAL, EPERM, ENOKEY, EOPNOTSUPP, ENAMETOOLONG, EFAULT, ERESTARTSYS, ERESTART_RESTARTBLOCK, MAX_ERRNO } from "../abi/errno.js";
import {
  KEYCTL_GET_KEYRING_ID, KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_UPDATE, KEYCTL_REVOKE, KEYCTL_CHOWN, KEYCTL_SETPERM,
  KEYCTL_DESCRIBE, KEYCTL_CLEAR, KEYCTL_LINK, KEYCTL_UNLINK, KEYCTL_SEARCH, KEYCTL_READ, KEYCTL_INSTANTIATE,
  KEYCTL_NEGATE, KEYCTL_SET_REQKEY_KEYRING, KEYCTL_SET_TIMEOUT, KEYCTL_ASSUME_AUTHORITY, KEYCTL_GET_SECURITY,
  KEYCTL_SESSION_TO_PARENT, KEYCTL_REJECT, KEYCTL_INSTANTIATE_IOV, KEYCTL_INVALIDATE, KEYCTL_RESTRICT_KEYRING,
  KEYCTL_MOVE, KEYCTL_CAPABILITIES, KEYCTL_CAPS0_CAPABILITIES, KEYCTL_CAPS0_BIG_KEY, KEYCTL_CAPS0_INVALIDATE,
  KEYCTL_CAPS0_RESTRICT_KEYRING, KEYCTL_CAPS0_MOVE, KEYCTL_CAPS1_NS_KEYRING_NAME, KEYCTL_CAPS1_NS_KEY_TAG,
  KEY_TYPE_NAME_MAX, KEY_MAX_DESC_SIZE, KEY_ADD_PAYLOAD_MAX,
} from "../abi/keyctl.js";
import { AT_FDCWD } from "../abi/fcntl.js";
import { PAGE_SIZE } from "../mm/phys.js";
import { resolveAt } from "../fs/vfs.js";
import { defineSyscalls } from "./table.js";
import { um } from "./util.js";
import { i32Arg, u32Arg, sizeArg } from "./args.js";
import type { Task } from "../kernel/task.js";
import * as keyctl from "../security/keys/keyctl.js";
import { joinSessionKeyring, sessionToParent } from "../security/keys/process_keys.js";
import { INVALID_ID } from "../security/keys/key.js";
import "../security/keys/proc.js";

// strndup_user: a string of fewer than `max` bytes; EINVAL when longer, EFAULT when unreadable.
function userString(t: Task, va: number, max: number): string {
  if (va === 0) kerr(EFAULT);
  try { return um(t).readCString(va, max - 1); }
  catch (e) { if (e instanceof KernelError && e.errno === ENAMETOOLONG) kerr(EINVAL); throw e; }
}

// key_get_type_from_user: 1 to 31 bytes, and not a "." type (the kernel's own).
function keyTypeArg(t: Task, va: number): string {
  const type = userString(t, va, KEY_TYPE_NAME_MAX);
  if (type === "") kerr(EINVAL);
  if (type[0] === ".") kerr(EPERM);
  return type;
}

// A uid_t or gid_t: (uid_t)-1 is "leave it" (INVALID_ID).
function idArg(v: number): number {
  const id = u32Arg(v);
  return id === 0xffff_ffff ? INVALID_ID : id;
}

function payloadArg(t: Task, va: number, plen: number): Uint8Array {
  return plen ? um(t).read(va, plen) : new Uint8Array(0);
}

// Copies `data` out when the buffer is big enough for all of it, as
// keyctl_read_key and keyctl_describe_key do; returns its length.
function copyOutWhole(t: Task, va: number, buflen: number, data: Uint8Array): number {
  if (va !== 0 && buflen > 0 && data.length <= buflen) um(t).write(va, data);
  return data.length;
}

// Whether /sbin/request-key, request_key's upcall program, is in the root.
function upcallPresent(t: Task): boolean {
  try { resolveAt(t, AT_FDCWD, "/sbin/request-key", true); return true; } catch { return false; }
}

function addKey(t: Task, typeVa: number, descVa: number, payloadVa: number, plenArg: number, ringid: number): number {
  const plen = sizeArg(plenArg);
  if (plen > KEY_ADD_PAYLOAD_MAX) kerr(EINVAL);
  const type = keyTypeArg(t, typeVa);
  let desc: string | null = descVa ? userString(t, descVa, KEY_MAX_DESC_SIZE) : null;
  if (desc === "") desc = null;
  else if (desc !== null && desc[0] === "." && type.startsWith("keyring")) kerr(EPERM);
  const payload = payloadArg(t, payloadVa, plen);
  return keyctl.addKey(t, type, desc, payload, i32Arg(ringid));
}

function requestKey(t: Task, typeVa: number, descVa: number, calloutVa: number, destid: number): number {
  const type = keyTypeArg(t, typeVa);
  const desc = userString(t, descVa, KEY_MAX_DESC_SIZE);
  const callout = calloutVa ? userString(t, calloutVa, PAGE_SIZE) : null;
  if (desc === "") kerr(EINVAL);
  return keyctl.requestKey(t, type, desc, callout, i32Arg(destid), () => upcallPresent(t));
}

const CAPABILITIES = new Uint8Array([
  KEYCTL_CAPS0_CAPABILITIES | KEYCTL_CAPS0_BIG_KEY | KEYCTL_CAPS0_INVALIDATE | KEYCTL_CAPS0_RESTRICT_KEYRING | KEYCTL_CAPS0_MOVE,
  KEYCTL_CAPS1_NS_KEYRING_NAME | KEYCTL_CAPS1_NS_KEY_TAG,
]);

function keyctlSyscall(t: Task, opArg: number, a2: number, a3: number, a4: number, a5: number): number {
  const op = i32Arg(opArg);
  const id = i32Arg(a2);
  switch (op) {
    case KEYCTL_GET_KEYRING_ID: return keyctl.getKeyringId(t, id, a3 !== 0);
    case KEYCTL_JOIN_SESSION_KEYRING: {
      if (a2 === 0) return joinSessionKeyring(t, null);
      const name = userString(t, a2, KEY_MAX_DESC_SIZE);
      if (name[0] === ".") kerr(EPERM);
      return joinSessionKeyring(t, name);
    }
    case KEYCTL_UPDATE: {
      const plen = sizeArg(a4);
      if (plen > PAGE_SIZE) kerr(EINVAL);
      return keyctl.updateKey(t, id, payloadArg(t, a3, plen));
    }
    case KEYCTL_REVOKE: return keyctl.revokeKey(t, id);
    case KEYCTL_CHOWN: return keyctl.chownKey(t, id, idArg(a3), idArg(a4));
    case KEYCTL_SETPERM: return keyctl.setPerm(t, id, u32Arg(a3));
    case KEYCTL_DESCRIBE:
      return copyOutWhole(t, a3, sizeArg(a4), Buffer.from(keyctl.describeKey(t, id), "latin1"));
    case KEYCTL_CLEAR: return keyctl.clearKeyring(t, id);
    case KEYCTL_LINK: return keyctl.linkKey(t, id, i32Arg(a3));
    case KEYCTL_UNLINK: return keyctl.unlinkKey(t, id, i32Arg(a3));
    case KEYCTL_MOVE: return keyctl.moveKey(t, id, i32Arg(a3), i32Arg(a4), u32Arg(a5));
    case KEYCTL_SEARCH: {
      const type = keyTypeArg(t, a3);
      const desc = userString(t, a4, KEY_MAX_DESC_SIZE);
      return keyctl.searchKey(t, id, type, desc, i32Arg(a5));
    }
    case KEYCTL_READ: return copyOutWhole(t, a3, sizeArg(a4), keyctl.readKey(t, id));
    // Instantiating needs the authorisation key an upcall hands its helper,
    // and Ghost runs no upcall: EPERM, as Linux for a caller without one.
    case KEYCTL_INSTANTIATE:
      if (sizeArg(a4) > KEY_ADD_PAYLOAD_MAX) kerr(EINVAL);
      return kerr(EPERM);
    case KEYCTL_INSTANTIATE_IOV: return kerr(EPERM);
    case KEYCTL_NEGATE: return kerr(EPERM);
    case KEYCTL_REJECT: {
      const error = u32Arg(a4);
      if (error === 0 || error >= MAX_ERRNO || (error >= ERESTARTSYS && error <= ERESTART_RESTARTBLOCK)) kerr(EINVAL);
      return kerr(EPERM);
    }
    case KEYCTL_ASSUME_AUTHORITY:
      if (id < 0) kerr(EINVAL);
      return id === 0 ? 0 : kerr(ENOKEY);
    case KEYCTL_SET_REQKEY_KEYRING: return keyctl.setReqkeyKeyring(t, id);
    case KEYCTL_SET_TIMEOUT: return keyctl.setTimeout(t, id, u32Arg(a3));
    case KEYCTL_GET_SECURITY:
      keyctl.getSecurity(t, id);
      if (a3 !== 0 && sizeArg(a4) > 0) um(t).write(a3, new Uint8Array(1));
      return 1;
    case KEYCTL_SESSION_TO_PARENT: return sessionToParent(t);
    case KEYCTL_INVALIDATE: return keyctl.invalidateKey(t, id);
    case KEYCTL_RESTRICT_KEYRING: {
      const type = a3 ? keyTypeArg(t, a3) : null;
      const restriction = a4 ? userString(t, a4, PAGE_SIZE) : null;
      return keyctl.restrictKeyring(t, id, type, restriction);
    }
    case KEYCTL_CAPABILITIES: {
      const n = Math.min(sizeArg(a3), CAPABILITIES.length);
      if (a2 !== 0 && n > 0) um(t).write(a2, CAPABILITIES.subarray(0, n));
      return CAPABILITIES.length;
    }
    // GET_PERSISTENT, DH_COMPUTE, PKEY_*, WATCH_KEY: as Linux built without
    // CONFIG_PERSISTENT_KEYRINGS, CONFIG_KEY_DH_OPERATIONS,
    // CONFIG_ASYMMETRIC_KEY_TYPE and CONFIG_KEY_NOTIFICATIONS; and unknown operations.
    default: return kerr(EOPNOTSUPP);
  }
}

const PARTIAL_NOTE = "no request-key upcall: /sbin/request-key is never run, a missing key is made negative " +
  "and the call fails (ENOENT without the program, ENOKEY with it)";

defineSyscalls({
  add_key: [(t, type, desc, payload, plen, ringid) => addKey(t, type, desc, payload, plen, ringid), "implemented",
    "key types keyring, user, logon, big_key (others ENODEV)"],
  request_key: [(t, type, desc, callout, dest) => requestKey(t, type, desc, callout, dest), "partial", PARTIAL_NOTE],
  keyctl: [(t, op, a2, a3, a4, a5) => keyctlSyscall(t, op, a2, a3, a4, a5), "partial",
    "INSTANTIATE/NEGATE/REJECT are EPERM and ASSUME_AUTHORITY ENOKEY (no upcall hands out an authorisation key); " +
    "GET_PERSISTENT, DH_COMPUTE, PKEY_* and WATCH_KEY are EOPNOTSUPP (as Linux without those configs); " +
    "RESTRICT_KEYRING supports only the no-type form"],
});
