// Keys (Linux's security/keys/key.c, user_defined.c, big_key.c): a key has
// a random serial, a type, a description, an owner and group, a permission
// mask, a state (uninstantiated, positive, or negative with an errno), an
// optional expiry and a payload. Every key is charged to its owner's quota
// (Linux's struct key_user): a count of keys and of bytes, bounded by
// /proc/sys/kernel/keys/{maxkeys,maxbytes} (root_* for uid 0).

import { kerr } from "../../lib/errors.js";
import { EDQUOT, EINVAL, ENOKEY, EKEYREVOKED, EKEYEXPIRED } from "../../abi/errno.js";
import { KernelLocal } from "../../kernel/local.js";
import type { Kernel } from "../../kernel/kernel.js";
import type { Task } from "../../kernel/task.js";
import { KEY_GRP_ALL } from "../../abi/keyctl.js";

// A key type's methods, as struct key_type. preparse checks a payload and
// gives what the key keeps and what it costs in quota bytes.
export interface KeyType {
  readonly name: string;
  preparse(payload: Uint8Array): { data: Uint8Array; quotalen: number };
  // add_key on an existing key of this type and description updates it (else it replaces the link).
  readonly canUpdate: boolean;
  // KEYCTL_READ is EOPNOTSUPP without it.
  readonly canRead: boolean;
  // Checks a description (logon's "service:name"); EINVAL when it is not one.
  vetDescription?(desc: string): void;
  // The tail of the /proc/keys line.
  describe(key: Key): string;
}

// Uninstantiated, positive; a negative state is -errno (ENOKEY, EKEYREJECTED…).
export const KEY_IS_UNINSTANTIATED = 0;
export const KEY_IS_POSITIVE = 1;

// Bytes a keyring is charged for each link it holds (Linux's KEYQUOTA_LINK_BYTES).
export const KEYQUOTA_LINK_BYTES = 4;
// Seconds a negative key made by a failed request_key lives (key_negative_timeout).
export const KEY_NEGATIVE_TIMEOUT = 60;
// INVALID_GID: a key without a group (the user keyrings); shown as the overflow gid.
export const INVALID_ID = -1;
const OVERFLOW_ID = 65534;

export class Key {
  perm: number;
  state = KEY_IS_UNINSTANTIATED;
  revoked = false;
  invalidated = false;
  inQuota = false;
  // The user keyrings (_uid.N, _uid_ses.N): never found by name (KEY_ALLOC_UID_KEYRING).
  uidKeyring = false;
  // Seconds on the real-time clock; 0: never.
  expiry = 0;
  revokedAt = 0;
  payload: Uint8Array = new Uint8Array(0);
  datalen = 0;
  quotalen: number;
  // A keyring's links, in the order they were made; null for other types.
  readonly links: Key[] | null;
  // KEYCTL_RESTRICT_KEYRING with no type: no new links at all.
  restricted = false;
  constructor(
    readonly serial: number, readonly type: KeyType, readonly description: string,
    public uid: number, public gid: number, perm: number, public user: KeyUser,
  ) {
    this.perm = perm;
    this.quotalen = description.length + 1;
    this.links = type.name === "keyring" ? [] : null;
  }
  get isKeyring(): boolean { return this.links !== null; }
  get negative(): boolean { return this.state < 0; }
}

// One user's keys and quota (struct key_user, /proc/key-users).
export interface KeyUser { uid: number; nkeys: number; nikeys: number; qnkeys: number; qnbytes: number }

// A task's keyrings (the keyring fields of Linux's struct cred).
export interface KeyCred {
  thread: Key | null;
  process: Key | null;
  session: Key | null;
  // KEYCTL_SET_REQKEY_KEYRING's setting (cred->jit_keyring).
  reqkeyDefault: number;
}

// The kernel's keys: by serial, the quota per user, the user keyrings, the tunables.
export class KeyRegistry {
  readonly keys = new Map<number, Key>();
  readonly users = new Map<number, KeyUser>();
  readonly userKeyrings = new Map<number, { uid: Key; session: Key }>();
  readonly creds = new WeakMap<Task, KeyCred>();
  maxkeys = 200;
  maxbytes = 20000;
  rootMaxkeys = 1000000;
  rootMaxbytes = 25000000;
  gcDelay = 300;
  constructor(readonly k: Kernel) {}

  now(): number { return Math.floor(this.k.clock.realtime() / 1e9); }

  user(uid: number): KeyUser {
    let u = this.users.get(uid);
    if (!u) { u = { uid, nkeys: 0, nikeys: 0, qnkeys: 0, qnbytes: 0 }; this.users.set(uid, u); }
    return u;
  }
  maxKeysOf(uid: number): number { return uid === 0 ? this.rootMaxkeys : this.maxkeys; }
  maxBytesOf(uid: number): number { return uid === 0 ? this.rootMaxbytes : this.maxbytes; }

  // A fresh serial: random, at least 3, unused (Linux's key_alloc_serial).
  private serial(): number {
    const b = new Uint8Array(4);
    for (;;) {
      this.k.random(b);
      const s = (b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24) >>> 1;
      if (s >= 3 && !this.keys.has(s)) return s;
    }
  }

  // key_alloc: a new uninstantiated key. "in" quota is checked and charged,
  // "overrun" charged without the check (the thread, process and session
  // keyrings), "none" not charged.
  alloc(type: KeyType, desc: string, uid: number, gid: number, perm: number, quota: "in" | "overrun" | "none"): Key {
    const user = this.user(uid);
    const key = new Key(this.serial(), type, desc, uid, gid, perm, user);
    if (quota !== "none") {
      if (quota === "in" && (user.qnkeys + 1 > this.maxKeysOf(uid) || user.qnbytes + key.quotalen > this.maxBytesOf(uid))) kerr(EDQUOT);
      user.qnkeys++;
      user.qnbytes += key.quotalen;
      key.inQuota = true;
    }
    user.nkeys++;
    this.keys.set(key.serial, key);
    return key;
  }

  // key_payload_reserve: the key now holds datalen bytes; EDQUOT when its
  // owner's byte quota cannot take the growth (reaching it exactly is allowed).
  reserve(key: Key, datalen: number): void {
    const delta = datalen - key.datalen;
    if (delta !== 0 && key.inQuota) {
      if (delta > 0 && key.user.qnbytes + delta > this.maxBytesOf(key.user.uid)) kerr(EDQUOT);
      key.user.qnbytes += delta;
      key.quotalen += delta;
    }
    key.datalen = datalen;
  }

  // Instantiates a key positively with a checked payload.
  instantiate(key: Key, data: Uint8Array, quotalen: number): void {
    this.reserve(key, quotalen);
    key.payload = data;
    if (key.state === KEY_IS_UNINSTANTIATED) key.user.nikeys++;
    key.state = KEY_IS_POSITIVE;
  }

  // key_reject_and_link: negative with an errno, expiring after timeout seconds.
  negate(key: Key, timeout: number, errno: number): void {
    if (key.state === KEY_IS_UNINSTANTIATED) key.user.nikeys++;
    key.state = -errno;
    key.expiry = timeout > 0 ? this.now() + timeout : 0;
    this.dirty = true;
  }

  // A key gone: its quota given back (key_gc_unused_keys).
  destroy(key: Key): void {
    this.keys.delete(key.serial);
    const u = key.user;
    u.nkeys--;
    if (key.state !== KEY_IS_UNINSTANTIATED) u.nikeys--;
    if (key.inQuota) { u.qnkeys--; u.qnbytes -= key.quotalen; }
    if (u.nkeys === 0 && u.qnkeys === 0) this.users.delete(u.uid);
  }

  // Reads the clock only for a key that has an expiry.
  expired(key: Key, now?: number): boolean { return key.expiry !== 0 && (now ?? this.now()) >= key.expiry; }

  // key_validate: invalidated ENOKEY, revoked EKEYREVOKED, expired EKEYEXPIRED.
  validate(key: Key): number {
    if (key.invalidated) return ENOKEY;
    if (key.revoked) return EKEYREVOKED;
    if (this.expired(key)) return EKEYEXPIRED;
    return 0;
  }

  cred(t: Task): KeyCred {
    let c = this.creds.get(t);
    if (!c) { c = { thread: null, process: null, session: null, reqkeyDefault: 0 }; this.creds.set(t, c); }
    return c;
  }

  // Whether a collection could free or unlink something: set by every change
  // that drops a link or a task's keyring, or that dates a key (revoke,
  // timeout, negate); task exits show as a change in the task count.
  dirty = true;
  private lastTasks = -1;
  // When the next revoked or expired key's links are due to be cut.
  private nextDeadline = Infinity;

  // The garbage collector (security/keys/gc.c), run before each key
  // operation when something may have changed since the last run, and for
  // /proc listings. Links to invalidated keys, and to revoked or expired
  // ones gc_delay seconds on, are cut; then every key no task's keyrings,
  // no user keyring and no link still reaches is destroyed. Linux collects
  // from a work queue soon after the last reference goes; Ghost at once.
  gc(): void {
    if (!this.dirty && this.k.tasks.size === this.lastTasks && (this.nextDeadline === Infinity || this.now() < this.nextDeadline)) return;
    this.collect();
  }

  // One collection; returns each live key's usage (links and task references).
  collect(): Map<Key, number> {
    const now = this.now();
    this.dirty = false;
    this.lastTasks = this.k.tasks.size;
    this.nextDeadline = Infinity;
    const usage = new Map<Key, number>();
    const stack: Key[] = [];
    const ref = (key: Key | null) => {
      if (!key) return;
      const n = usage.get(key);
      usage.set(key, (n ?? 0) + 1);
      if (n === undefined) stack.push(key);
    };
    for (const t of this.k.tasks.values()) {
      const c = this.creds.get(t);
      if (c) { ref(c.thread); ref(c.process); ref(c.session); }
    }
    for (const u of this.userKeyrings.values()) { ref(u.uid); ref(u.session); }
    while (stack.length) {
      const key = stack.pop()!;
      if (!key.links) continue;
      const before = key.links.length;
      for (let i = key.links.length - 1; i >= 0; i--) {
        const l = key.links[i];
        const deadSince = l.revoked ? l.revokedAt : l.expiry !== 0 ? l.expiry : Infinity;
        if (l.invalidated || now >= deadSince + this.gcDelay) key.links.splice(i, 1);
        else if (deadSince !== Infinity) this.nextDeadline = Math.min(this.nextDeadline, deadSince + this.gcDelay);
      }
      if (key.links.length !== before) this.reserve(key, key.links.length * KEYQUOTA_LINK_BYTES);
      for (const l of key.links) ref(l);
    }
    for (const key of [...this.keys.values()]) if (!usage.has(key)) this.destroy(key);
    return usage;
  }
}

const REGISTRY = new KernelLocal<KeyRegistry>("keys", (k) => new KeyRegistry(k));
export function keys(k: Kernel): KeyRegistry { return k.local(REGISTRY); }

// key_task_permission: the user mask when the task's fsuid owns the key, else
// the group mask when its group matches, else other; the possessor mask too
// when the task possesses the key. Root has no exemption.
export function keyPermits(t: Task, key: Key, possessed: boolean, need: number): boolean {
  const c = t.cred;
  let kperm: number;
  if (key.uid === c.fsuid) kperm = key.perm >>> 16;
  else if (key.gid !== INVALID_ID && (key.perm & KEY_GRP_ALL) && (key.gid === c.fsgid || c.groups.includes(key.gid))) kperm = key.perm >>> 8;
  else kperm = key.perm;
  if (possessed) kperm |= key.perm >>> 24;
  return (kperm & need & 0x3f) === need;
}

// An id as /proc and KEYCTL_DESCRIBE print it (from_kuid_munged).
export function mungedId(id: number): number { return id === INVALID_ID ? OVERFLOW_ID : id; }

// ---- The key types ----

// "user": up to 32767 bytes of anything, readable and updatable (user_defined.c).
const userPreparse = (payload: Uint8Array) => {
  if (payload.length === 0 || payload.length > 32767) kerr(EINVAL);
  return { data: payload, quotalen: payload.length };
};
const dataDescribe = (key: Key) => key.description + (key.state === KEY_IS_POSITIVE ? `: ${key.datalen}` : "");

export const keyTypeUser: KeyType = {
  name: "user", canUpdate: true, canRead: true, preparse: userPreparse, describe: dataDescribe,
};

// "logon": a user key the kernel never gives back, named "service:name".
export const keyTypeLogon: KeyType = {
  name: "logon", canUpdate: true, canRead: false, preparse: userPreparse, describe: dataDescribe,
  vetDescription(desc) {
    const colon = desc.indexOf(":");
    if (colon <= 0) kerr(EINVAL);
  },
};

// "big_key": up to 1 MiB - 1; past BIG_KEY_FILE_THRESHOLD Linux keeps it in
// a shmem file and charges a flat 16 bytes (big_key.c).
const BIG_KEY_FILE_THRESHOLD = 1024;
export const keyTypeBigKey: KeyType = {
  name: "big_key", canUpdate: true, canRead: true,
  preparse(payload) {
    if (payload.length === 0) kerr(EINVAL);
    return { data: payload, quotalen: payload.length > BIG_KEY_FILE_THRESHOLD ? 16 : payload.length };
  },
  describe: (key) => key.description + (key.state === KEY_IS_POSITIVE ?
    `: ${key.payload.length} [${key.payload.length > BIG_KEY_FILE_THRESHOLD ? "file" : "buff"}]` : ""),
};

// "keyring": no payload; its "data" is its links, 4 quota bytes each.
export const keyTypeKeyring: KeyType = {
  name: "keyring", canUpdate: false, canRead: true,
  preparse(payload) {
    if (payload.length !== 0) kerr(EINVAL);
    return { data: payload, quotalen: 0 };
  },
  describe: (key) => (key.description || "[anon]") +
    (key.state === KEY_IS_POSITIVE ? (key.links!.length ? `: ${key.links!.length}` : ": empty") : ""),
};

const KEY_TYPES = new Map<string, KeyType>([keyTypeKeyring, keyTypeUser, keyTypeLogon, keyTypeBigKey].map((ty) => [ty.name, ty]));

// key_type_lookup: undefined for a type this kernel does not have.
export function keyType(name: string): KeyType | undefined { return KEY_TYPES.get(name); }
