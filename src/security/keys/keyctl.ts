// The key operations behind add_key, request_key and keyctl (Linux's
// security/keys/keyctl.c, key.c's key_create_or_update, request_key.c),
// on arguments already copied in from the program.

import { kerr } from "../../lib/errors.js";
import {
  EACCES, EAGAIN, EDQUOT, EEXIST, EINVAL, ENODEV, ENOENT, ENOKEY, EOPNOTSUPP, EPERM, ENOTDIR,
} from "../../abi/errno.js";
import {
  KEY_NEED_WRITE, KEY_NEED_SEARCH, KEY_NEED_LINK, KEY_NEED_SETATTR, KEY_NEED_VIEW, KEY_NEED_READ,
  KEY_POS_VIEW, KEY_POS_SEARCH, KEY_POS_LINK, KEY_POS_SETATTR, KEY_POS_READ, KEY_POS_WRITE, KEY_USR_VIEW,
  KEY_POS_ALL, KEY_USR_ALL, KEY_GRP_ALL, KEY_OTH_ALL, KEYCTL_MOVE_EXCL,
  KEY_REQKEY_DEFL_NO_CHANGE, KEY_REQKEY_DEFL_THREAD_KEYRING, KEY_REQKEY_DEFL_PROCESS_KEYRING,
  KEY_REQKEY_DEFL_DEFAULT, KEY_REQKEY_DEFL_REQUESTOR_KEYRING, KEY_REQKEY_DEFL_GROUP_KEYRING,
} from "../../abi/keyctl.js";
import { CAP_SYS_ADMIN } from "../../abi/prctl.js";
import { hasCap } from "../../kernel/cred.js";
import type { Task } from "../../kernel/task.js";
import { type Key, type KeyType, keys, keyType, keyPermits, mungedId, KEY_NEGATIVE_TIMEOUT, INVALID_ID, KEY_IS_UNINSTANTIATED } from "./key.js";
import { keyLink, keyUnlink, keyringClear, findKeyToUpdate, keyringSearch, keyringRead } from "./keyring.js";
import {
  lookupUserKey, searchProcessKeyrings, defaultDestKeyring, installThreadKeyring, installProcessKeyring,
} from "./process_keys.js";

// The permission add_key and request_key give a key they make (KEY_PERM_UNDEF).
function defaultPerm(type: KeyType): number {
  let perm = KEY_POS_VIEW | KEY_POS_SEARCH | KEY_POS_LINK | KEY_POS_SETATTR | KEY_USR_VIEW;
  if (type.canRead) perm |= KEY_POS_READ;
  if (type.name === "keyring" || type.canUpdate) perm |= KEY_POS_WRITE;
  return perm;
}

// add_key after the copy-in (key_create_or_update): updates the key of that
// type and description the keyring holds when the type can be updated,
// else makes a new key and links it, replacing any such link.
export function addKey(t: Task, typeName: string, desc: string | null, payload: Uint8Array, ringid: number): number {
  const reg = keys(t.k);
  reg.gc();
  const { key: keyring, possessed } = lookupUserKey(t, ringid, { create: true }, KEY_NEED_WRITE);
  const type = keyType(typeName);
  if (!type) kerr(ENODEV);
  if (!keyring.links) kerr(ENOTDIR);
  if (desc !== null) type.vetDescription?.(desc);
  const prep = type.preparse(payload);
  if (desc === null) kerr(EINVAL);
  if (keyring.restricted) kerr(EPERM);
  if (type.canUpdate) {
    const old = findKeyToUpdate(keyring, type.name, desc);
    if (old) {
      if (!keyPermits(t, old, possessed, KEY_NEED_WRITE)) kerr(EACCES);
      reg.instantiate(old, prep.data, prep.quotalen);
      old.expiry = 0;
      reg.dirty = true;
      return old.serial;
    }
  }
  const key = reg.alloc(type, desc, t.cred.fsuid, t.cred.fsgid, defaultPerm(type), "in");
  try {
    reg.instantiate(key, prep.data, prep.quotalen);
    keyLink(reg, keyring, key);
  } catch (e) {
    reg.destroy(key);
    throw e;
  }
  return key.serial;
}

// request_key after the copy-in (request_key_and_link): a key found in the
// caller's keyrings (linked into dest when one is given); else, with callout
// information, the upcall. Ghost runs no /sbin/request-key: the key is made
// negative for 60 s and linked into the destination, and the call fails
// with ENOENT when the program is missing, as Linux's failed exec, or with
// ENOKEY when it is there (Ghost cannot run it).
export function requestKey(
  t: Task, typeName: string, desc: string, callout: string | null, destid: number, upcallPresent: () => boolean,
): number {
  const reg = keys(t.k);
  reg.gc();
  const dest = destid ? lookupUserKey(t, destid, { create: true }, KEY_NEED_WRITE).key : null;
  const type = keyType(typeName);
  if (!type) kerr(ENOKEY);
  const r = searchProcessKeyrings(t, (k) => k.type === type && k.description === desc);
  if ("key" in r) {
    if (dest) {
      if (!keyPermits(t, r.key, r.possessed, KEY_NEED_LINK)) kerr(EACCES);
      keyLink(reg, dest, r.key);
    }
    return r.key.serial;
  }
  if (r.errno !== EAGAIN) kerr(r.errno);
  if (callout === null) kerr(ENOKEY);
  // construct_key_and_link: keyrings are never made by an upcall.
  if (type.name === "keyring") kerr(EPERM);
  let ring = dest;
  if (!ring) {
    ring = defaultDestKeyring(t);
    if (!keyPermits(t, ring, true, KEY_NEED_WRITE)) kerr(EACCES);
  }
  const key = reg.alloc(type, desc, t.cred.fsuid, t.cred.fsgid, defaultPerm(type), "in");
  try {
    keyLink(reg, ring, key);
  } catch (e) {
    reg.destroy(key);
    throw e;
  }
  reg.negate(key, KEY_NEGATIVE_TIMEOUT, ENOKEY);
  kerr(upcallPresent() ? ENOKEY : ENOENT);
}

// KEYCTL_GET_KEYRING_ID.
export function getKeyringId(t: Task, id: number, create: boolean): number {
  keys(t.k).gc();
  return lookupUserKey(t, id, { create }, KEY_NEED_SEARCH).key.serial;
}

// KEYCTL_UPDATE: a new payload through the type's update (EOPNOTSUPP without one).
export function updateKey(t: Task, id: number, payload: Uint8Array): number {
  const reg = keys(t.k);
  reg.gc();
  const { key } = lookupUserKey(t, id, {}, KEY_NEED_WRITE);
  if (!key.type.canUpdate) kerr(EOPNOTSUPP);
  const prep = key.type.preparse(payload);
  reg.instantiate(key, prep.data, prep.quotalen);
  return 0;
}

// KEYCTL_REVOKE: Write or Setattr permission.
export function revokeKey(t: Task, id: number): number {
  const reg = keys(t.k);
  reg.gc();
  let key: Key;
  try { key = lookupUserKey(t, id, {}, KEY_NEED_WRITE).key; }
  catch (e) {
    if ((e as { errno?: number }).errno !== EACCES) throw e;
    key = lookupUserKey(t, id, {}, KEY_NEED_SETATTR).key;
  }
  if (!key.revoked) { key.revoked = true; key.revokedAt = reg.now(); reg.dirty = true; }
  return 0;
}

// KEYCTL_INVALIDATE: Search permission; the key goes at the next collection.
export function invalidateKey(t: Task, id: number): number {
  const reg = keys(t.k);
  reg.gc();
  lookupUserKey(t, id, {}, KEY_NEED_SEARCH).key.invalidated = true;
  reg.dirty = true;
  reg.gc();
  return 0;
}

// KEYCTL_CHOWN: a new owner needs CAP_SYS_ADMIN and moves the key's quota
// (EDQUOT when the new owner's is full); a group the caller is not in too.
export function chownKey(t: Task, id: number, uid: number, gid: number): number {
  const reg = keys(t.k);
  reg.gc();
  if (uid === INVALID_ID && gid === INVALID_ID) return 0;
  const { key } = lookupUserKey(t, id, { create: true, partial: true }, KEY_NEED_SETATTR);
  if (!hasCap(t.cred, CAP_SYS_ADMIN)) {
    if (uid !== INVALID_ID && uid !== key.uid) kerr(EACCES);
    if (gid !== INVALID_ID && gid !== key.gid && gid !== t.cred.egid && !t.cred.groups.includes(gid)) kerr(EACCES);
  }
  if (uid !== INVALID_ID && uid !== key.uid) {
    const from = key.user, to = reg.user(uid);
    if (key.inQuota) {
      if (to.qnkeys + 1 > reg.maxKeysOf(uid) || to.qnbytes + key.quotalen > reg.maxBytesOf(uid)) kerr(EDQUOT);
      to.qnkeys++; to.qnbytes += key.quotalen;
      from.qnkeys--; from.qnbytes -= key.quotalen;
    }
    to.nkeys++; from.nkeys--;
    if (key.state !== KEY_IS_UNINSTANTIATED) { to.nikeys++; from.nikeys--; }
    key.user = to;
    key.uid = uid;
  }
  if (gid !== INVALID_ID) key.gid = gid;
  return 0;
}

// KEYCTL_SETPERM: the owner (or CAP_SYS_ADMIN) sets the four masks.
export function setPerm(t: Task, id: number, perm: number): number {
  keys(t.k).gc();
  if ((perm & ~(KEY_POS_ALL | KEY_USR_ALL | KEY_GRP_ALL | KEY_OTH_ALL)) !== 0) kerr(EINVAL);
  const { key } = lookupUserKey(t, id, { create: true, partial: true }, KEY_NEED_SETATTR);
  if (key.uid !== t.cred.fsuid && !hasCap(t.cred, CAP_SYS_ADMIN)) kerr(EACCES);
  key.perm = perm >>> 0;
  return 0;
}

// KEYCTL_DESCRIBE's text: "type;uid;gid;perm;description" and its NUL.
export function describeKey(t: Task, id: number): string {
  keys(t.k).gc();
  const { key } = lookupUserKey(t, id, { partial: true }, KEY_NEED_VIEW);
  return `${key.type.name};${mungedId(key.uid)};${mungedId(key.gid)};${(key.perm >>> 0).toString(16).padStart(8, "0")};${key.description}\0`;
}

// KEYCTL_CLEAR: Write permission on a keyring.
export function clearKeyring(t: Task, id: number): number {
  const reg = keys(t.k);
  reg.gc();
  const { key } = lookupUserKey(t, id, { create: true }, KEY_NEED_WRITE);
  keyringClear(reg, key);
  reg.gc();
  return 0;
}

// KEYCTL_LINK: Write on the keyring, Link on the key.
export function linkKey(t: Task, id: number, ringid: number): number {
  const reg = keys(t.k);
  reg.gc();
  const ring = lookupUserKey(t, ringid, { create: true }, KEY_NEED_WRITE).key;
  const key = lookupUserKey(t, id, { create: true }, KEY_NEED_LINK).key;
  keyLink(reg, ring, key);
  return 0;
}

// KEYCTL_UNLINK: Write on the keyring; any state of key.
export function unlinkKey(t: Task, id: number, ringid: number): number {
  const reg = keys(t.k);
  reg.gc();
  const ring = lookupUserKey(t, ringid, {}, KEY_NEED_WRITE).key;
  const key = lookupUserKey(t, id, { partial: true, forUnlink: true }, 0).key;
  keyUnlink(reg, ring, key);
  reg.gc();
  return 0;
}

// KEYCTL_MOVE: unlink from one keyring and link into another; EEXIST with
// KEYCTL_MOVE_EXCL when the destination holds a key of that type and description.
export function moveKey(t: Task, id: number, fromid: number, toid: number, flags: number): number {
  const reg = keys(t.k);
  reg.gc();
  if (flags & ~KEYCTL_MOVE_EXCL) kerr(EINVAL);
  const key = lookupUserKey(t, id, { partial: true, forUnlink: true }, 0).key;
  const from = lookupUserKey(t, fromid, {}, KEY_NEED_WRITE).key;
  const to = lookupUserKey(t, toid, { create: true }, KEY_NEED_WRITE).key;
  if (!from.links || !to.links) kerr(ENOTDIR);
  if (from === to) return 0;
  if (!from.links.includes(key)) kerr(ENOENT);
  if ((flags & KEYCTL_MOVE_EXCL) && to.links.some((l) => l.type === key.type && l.description === key.description)) kerr(EEXIST);
  keyLink(reg, to, key);
  keyUnlink(reg, from, key);
  return 0;
}

// KEYCTL_SEARCH: a search of one keyring; the key found is linked into dest when one is given.
export function searchKey(t: Task, ringid: number, typeName: string, desc: string, destid: number): number {
  const reg = keys(t.k);
  reg.gc();
  const { key: ring, possessed } = lookupUserKey(t, ringid, {}, KEY_NEED_SEARCH);
  const dest = destid ? lookupUserKey(t, destid, { create: true }, KEY_NEED_WRITE).key : null;
  const type = keyType(typeName);
  if (!type) kerr(ENOKEY);
  const r = keyringSearch(t, ring, possessed, (k) => k.type === type && k.description === desc);
  if (!("key" in r)) kerr(r.errno === EAGAIN ? ENOKEY : r.errno);
  if (dest) {
    if (!keyPermits(t, r.key, r.possessed, KEY_NEED_LINK)) kerr(EACCES);
    keyLink(reg, dest, r.key);
  }
  return r.key.serial;
}

// KEYCTL_READ's data: Read permission, or possession (found by searching
// the caller's keyrings). A negative key gives its error.
export function readKey(t: Task, id: number): Uint8Array {
  const reg = keys(t.k);
  reg.gc();
  const { key, possessed } = lookupUserKey(t, id, {}, 0);
  if (key.negative) kerr(-key.state);
  if (!keyPermits(t, key, possessed, KEY_NEED_READ) && !possessed) kerr(EACCES);
  if (!key.type.canRead) kerr(EOPNOTSUPP);
  const e = reg.validate(key);
  if (e) kerr(e);
  return key.links ? keyringRead(key) : key.payload;
}

// KEYCTL_SET_TIMEOUT: expiry in seconds from now, 0 for none.
export function setTimeout(t: Task, id: number, timeout: number): number {
  const reg = keys(t.k);
  reg.gc();
  const { key } = lookupUserKey(t, id, { create: true, partial: true }, KEY_NEED_SETATTR);
  key.expiry = timeout ? reg.now() + timeout : 0;
  reg.dirty = true;
  return 0;
}

// KEYCTL_SET_REQKEY_KEYRING: returns the old setting.
export function setReqkeyKeyring(t: Task, defl: number): number {
  const c = keys(t.k).cred(t);
  const old = c.reqkeyDefault;
  if (defl === KEY_REQKEY_DEFL_NO_CHANGE) return old;
  if (defl === KEY_REQKEY_DEFL_THREAD_KEYRING) installThreadKeyring(t);
  else if (defl === KEY_REQKEY_DEFL_PROCESS_KEYRING) installProcessKeyring(t);
  else if (defl < KEY_REQKEY_DEFL_DEFAULT || defl > KEY_REQKEY_DEFL_REQUESTOR_KEYRING || defl === KEY_REQKEY_DEFL_GROUP_KEYRING) kerr(EINVAL);
  c.reqkeyDefault = defl;
  return old;
}

// KEYCTL_RESTRICT_KEYRING: with no type, the keyring takes no new links;
// a type names a restriction scheme, and Ghost's key types have none.
export function restrictKeyring(t: Task, id: number, typeName: string | null, restriction: string | null): number {
  keys(t.k).gc();
  const { key } = lookupUserKey(t, id, {}, KEY_NEED_SETATTR);
  if (typeName !== null && restriction === null) kerr(EINVAL);
  if (!key.links) kerr(ENOTDIR);
  if (key.restricted) kerr(EEXIST);
  if (typeName !== null) kerr(ENOENT);
  key.restricted = true;
  return 0;
}

// KEYCTL_GET_SECURITY: no LSM labels keys; the context is "".
export function getSecurity(t: Task, id: number): void {
  keys(t.k).gc();
  lookupUserKey(t, id, { partial: true }, KEY_NEED_VIEW);
}
