// A task's keyrings (Linux's security/keys/process_keys.c): the thread
// keyring (@t), the process keyring (@p), the session keyring (@s), and its
// user's keyrings (@u, @us). They are made when first asked for; clone and
// exec pass them on as copy_creds and prepare_exec_creds do.

import { kerr } from "../../lib/errors.js";
import { EACCES, EINVAL, ENOKEY, EPERM, EAGAIN } from "../../abi/errno.js";
import {
  KEY_SPEC_THREAD_KEYRING, KEY_SPEC_PROCESS_KEYRING, KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING,
  KEY_SPEC_USER_SESSION_KEYRING, KEY_SPEC_GROUP_KEYRING, KEY_SPEC_REQKEY_AUTH_KEY, KEY_SPEC_REQUESTOR_KEYRING,
  KEY_POS_ALL, KEY_POS_SETATTR, KEY_USR_ALL, KEY_USR_VIEW, KEY_USR_READ, KEY_USR_LINK, KEY_NEED_SEARCH, KEY_NEED_LINK,
  KEY_REQKEY_DEFL_USER_KEYRING, KEY_REQKEY_DEFL_USER_SESSION_KEYRING, KEY_REQKEY_DEFL_SESSION_KEYRING,
  KEY_REQKEY_DEFL_PROCESS_KEYRING,
} from "../../abi/keyctl.js";
import type { Task } from "../../kernel/task.js";
import { type Key, type KeyRegistry, keys, keyTypeKeyring, keyPermits, INVALID_ID } from "./key.js";
import { keyLink, keyringSearch, type KeyMatch, type SearchResult } from "./keyring.js";

// Perms of the keyrings the kernel makes (process_keys.c, keyctl.c).
const USER_KEYRING_PERM = (KEY_POS_ALL & ~KEY_POS_SETATTR) | KEY_USR_ALL;
const TASK_KEYRING_PERM = KEY_POS_ALL | KEY_USR_VIEW;
const SESSION_KEYRING_PERM = KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ;
const NAMED_SESSION_PERM = KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ | KEY_USR_LINK;

function newKeyring(reg: KeyRegistry, desc: string, uid: number, gid: number, perm: number, quota: "in" | "overrun" | "none"): Key {
  const k = reg.alloc(keyTypeKeyring, desc, uid, gid, perm, quota);
  reg.instantiate(k, new Uint8Array(0), 0);
  return k;
}

// look_up_user_keyrings: the user keyring "_uid.N" and user-session keyring
// "_uid_ses.N" of the task's real uid, made on first use and kept for the
// kernel's life (Linux's per-namespace register). Another user's keyring
// named "_uid.N" is never taken for them.
export function userKeyrings(t: Task): { uid: Key; session: Key } {
  const reg = keys(t.k);
  const uid = t.cred.uid;
  let u = reg.userKeyrings.get(uid);
  if (!u) {
    const ring = newKeyring(reg, `_uid.${uid}`, uid, INVALID_ID, USER_KEYRING_PERM, "in");
    const ses = newKeyring(reg, `_uid_ses.${uid}`, uid, INVALID_ID, USER_KEYRING_PERM, "in");
    ring.uidKeyring = ses.uidKeyring = true;
    keyLink(reg, ses, ring);
    u = { uid: ring, session: ses };
    reg.userKeyrings.set(uid, u);
  }
  return u;
}

export function installThreadKeyring(t: Task): Key {
  const reg = keys(t.k);
  const c = reg.cred(t);
  return (c.thread ??= newKeyring(reg, "_tid", t.cred.uid, t.cred.gid, TASK_KEYRING_PERM, "overrun"));
}

export function installProcessKeyring(t: Task): Key {
  const reg = keys(t.k);
  const c = reg.cred(t);
  return (c.process ??= newKeyring(reg, "_pid", t.cred.uid, t.cred.gid, TASK_KEYRING_PERM, "overrun"));
}

// join_session_keyring: with no name a new anonymous "_ses" keyring; with a
// name the keyring of that name the caller may search (not a user keyring),
// or a new one. Returns the serial of the session keyring (0 when it was already).
export function joinSessionKeyring(t: Task, name: string | null): number {
  const reg = keys(t.k);
  const c = reg.cred(t);
  reg.dirty = true;
  if (name === null) {
    c.session = newKeyring(reg, "_ses", t.cred.uid, t.cred.gid, SESSION_KEYRING_PERM, c.session ? "in" : "overrun");
    return c.session.serial;
  }
  reg.gc();
  const now = reg.now();
  let ring: Key | undefined;
  for (const k of reg.keys.values()) {
    if (!k.links || k.uidKeyring || k.description !== name || k.revoked || k.invalidated || reg.expired(k, now)) continue;
    if (!keyPermits(t, k, false, KEY_NEED_SEARCH)) continue;
    ring = k;
    break;
  }
  // As Linux: joining the keyring that already is the session keyring gives 0.
  if (ring && ring === c.session) return 0;
  c.session = ring ?? newKeyring(reg, name, t.cred.uid, t.cred.gid, NAMED_SESSION_PERM, "in");
  return c.session.serial;
}

// The keyrings a search of "the caller's keyrings" goes through, in order
// (search_cred_keyrings_rcu): thread, process, then session or, without
// one, the user-session keyring.
function searchRoots(t: Task): Key[] {
  const c = keys(t.k).cred(t);
  const roots: Key[] = [];
  if (c.thread) roots.push(c.thread);
  if (c.process) roots.push(c.process);
  roots.push(c.session ?? userKeyrings(t).session);
  return roots;
}

// search_process_keyrings_rcu: the first match; else a negative key's error
// before "nothing found" (EAGAIN) before any other error.
export function searchProcessKeyrings(t: Task, match: KeyMatch, skipState = false): SearchResult {
  let ret: number | null = null;
  let err = EAGAIN;
  for (const ring of searchRoots(t)) {
    const r = keyringSearch(t, ring, true, match, skipState);
    if ("key" in r) return r;
    if (r.errno === EAGAIN) { if (ret === null) ret = r.errno; }
    else if (r.errno === ENOKEY) ret = r.errno;
    else err = r.errno;
  }
  return { errno: ret ?? err };
}

// Whether the task possesses key: it is one of its keyrings, or a search of
// them finds it (lookup_user_key's test).
export function possesses(t: Task, key: Key): boolean {
  const c = keys(t.k).cred(t);
  if (key === c.thread || key === c.process || key === c.session) return true;
  return "key" in searchProcessKeyrings(t, (k) => k === key, true);
}

export interface LookupFlags {
  // Make a missing @t, @p or @s (KEY_LOOKUP_CREATE).
  create?: boolean;
  // An uninstantiated or negative key will do (KEY_LOOKUP_PARTIAL).
  partial?: boolean;
  // Skip the revoked and expired checks (unlink, move).
  forUnlink?: boolean;
}

// lookup_user_key: a key id from a program (a serial or a KEY_SPEC_* id)
// to the key, checked for state and for the permission `need` (0: the
// caller checks). ENOKEY for no such key, EINVAL for a bad special id.
export function lookupUserKey(t: Task, id: number, flags: LookupFlags, need: number): { key: Key; possessed: boolean } {
  const reg = keys(t.k);
  const c = reg.cred(t);
  let key: Key | undefined;
  let possessed = true;
  switch (id) {
    case KEY_SPEC_THREAD_KEYRING:
      if (!c.thread && !flags.create) kerr(ENOKEY);
      key = installThreadKeyring(t);
      break;
    case KEY_SPEC_PROCESS_KEYRING:
      if (!c.process && !flags.create) kerr(ENOKEY);
      key = installProcessKeyring(t);
      break;
    case KEY_SPEC_SESSION_KEYRING: {
      // As Linux: a task without a session keyring is given its user-session
      // keyring as one, or a new session keyring when asked to create.
      const us = userKeyrings(t).session;
      if (!c.session) {
        if (flags.create) joinSessionKeyring(t, null);
        else c.session = us;
      } else if (c.session === us && flags.create) joinSessionKeyring(t, null);
      key = c.session!;
      break;
    }
    case KEY_SPEC_USER_KEYRING: key = userKeyrings(t).uid; break;
    case KEY_SPEC_USER_SESSION_KEYRING: key = userKeyrings(t).session; break;
    case KEY_SPEC_GROUP_KEYRING: kerr(EINVAL);
    // No request_key upcall ever runs, so no task holds an authorisation key.
    case KEY_SPEC_REQKEY_AUTH_KEY:
    case KEY_SPEC_REQUESTOR_KEYRING: kerr(ENOKEY);
    default:
      if (id < 1) kerr(EINVAL);
      key = reg.keys.get(id);
      if (!key) kerr(ENOKEY);
      possessed = possesses(t, key);
  }
  // A negative key gives its error unless the caller takes any state (or checks later).
  if (!flags.partial && key.negative && need !== 0) kerr(-key.state);
  if (!flags.forUnlink && need !== 0) {
    const e = reg.validate(key);
    if (e) kerr(e);
  }
  if (need !== 0 && !keyPermits(t, key, possessed, need)) kerr(EACCES);
  return { key, possessed };
}

// The keyring request_key links a new key into when not told
// (construct_get_dest_keyring), by KEYCTL_SET_REQKEY_KEYRING's setting.
export function defaultDestKeyring(t: Task): Key {
  const c = keys(t.k).cred(t);
  switch (c.reqkeyDefault) {
    case KEY_REQKEY_DEFL_USER_KEYRING: return userKeyrings(t).uid;
    case KEY_REQKEY_DEFL_USER_SESSION_KEYRING: return userKeyrings(t).session;
    case KEY_REQKEY_DEFL_SESSION_KEYRING: return c.session ?? userKeyrings(t).session;
    case KEY_REQKEY_DEFL_PROCESS_KEYRING: return c.process ?? c.session ?? userKeyrings(t).session;
    default: return c.thread ?? c.process ?? c.session ?? userKeyrings(t).session;
  }
}

// copy_creds: a new thread gets a fresh thread keyring when its creator had
// one; a new process gets none, and no process keyring either. Both keep
// the session keyring and the request-key default.
export function keysFork(parent: Task, child: Task, thread: boolean): void {
  const reg = keys(parent.k);
  // A new task with an exit since the last collection keeps the task count: collect anyway.
  reg.dirty = true;
  const pc = reg.creds.get(parent);
  if (!pc) return;
  const c = { ...pc, thread: null, process: thread ? pc.process : null };
  reg.creds.set(child, c);
  if (pc.thread && thread) installThreadKeyring(child);
}

// prepare_exec_creds: a new program starts without thread or process keyring.
export function keysExec(t: Task): void {
  const c = keys(t.k).creds.get(t);
  if (c) { c.thread = null; c.process = null; keys(t.k).dirty = true; }
}

// KEYCTL_SESSION_TO_PARENT: the parent (single-threaded, not init, with the
// caller's ids) takes the caller's session keyring.
export function sessionToParent(t: Task): number {
  const reg = keys(t.k);
  const ring = lookupUserKey(t, KEY_SPEC_SESSION_KEYRING, {}, KEY_NEED_LINK).key;
  const parent = t.tg.parent;
  const pt = parent && parent.threads.size === 1 ? [...parent.threads][0] : null;
  if (!parent || parent.pid <= 1 || !pt || pt.kthread) kerr(EPERM);
  const pc = reg.cred(pt);
  if (pc.session === ring) return 0;
  const me = t.cred, p = pt.cred;
  if (p.uid !== me.euid || p.euid !== me.euid || p.suid !== me.euid ||
    p.gid !== me.egid || p.egid !== me.egid || p.sgid !== me.egid) kerr(EPERM);
  if ((pc.session && pc.session.uid !== me.euid) || ring.uid !== me.euid) kerr(EPERM);
  pc.session = ring;
  reg.dirty = true;
  return 0;
}
