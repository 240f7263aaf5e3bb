// Keyrings (Linux's security/keys/keyring.c): a keyring holds links to
// keys, at most one per (type, description); linking a key of the same type
// and description replaces the old link. Searches go through the keys a
// keyring holds first, then into the keyrings it links, to a depth of six,
// entering only keyrings that grant Search.

import { kerr } from "../../lib/errors.js";
import { EACCES, EAGAIN, EDEADLK, ELOOP, ENOENT, ENOTDIR, EPERM, EKEYREVOKED, EKEYEXPIRED } from "../../abi/errno.js";
import { KEY_NEED_SEARCH } from "../../abi/keyctl.js";
import type { Task } from "../../kernel/task.js";
import { type Key, type KeyRegistry, KEYQUOTA_LINK_BYTES, keyPermits, keys } from "./key.js";

// KEYRING_SEARCH_MAX_DEPTH: nesting a link may not exceed.
const KEYRING_SEARCH_MAX_DEPTH = 6;

function requireKeyring(keyring: Key): Key[] {
  if (!keyring.links) kerr(ENOTDIR);
  return keyring.links;
}

// Whether `target` is reachable from `from` (a link from target to from would make a cycle).
function reaches(from: Key, target: Key, depth = 0): boolean {
  if (from === target) return true;
  if (!from.links || depth > KEYRING_SEARCH_MAX_DEPTH) return false;
  return from.links.some((l) => l.links !== null && reaches(l, target, depth + 1));
}

// How deep the keyrings below `key` go (1 for a key or an empty keyring).
function depthBelow(key: Key, seen = new Set<Key>()): number {
  if (!key.links || seen.has(key)) return 1;
  seen.add(key);
  let d = 0;
  for (const l of key.links) if (l.links) d = Math.max(d, depthBelow(l, seen));
  return d + 1;
}

// key_link: links key into keyring, replacing a link to a key of the same
// type and description. A new link costs the keyring's owner 4 quota bytes.
export function keyLink(reg: KeyRegistry, keyring: Key, key: Key): void {
  const links = requireKeyring(keyring);
  if (links.includes(key)) return;
  if (keyring.restricted) kerr(EPERM);
  if (key.links) {
    if (reaches(key, keyring)) kerr(EDEADLK);
    if (depthBelow(key) >= KEYRING_SEARCH_MAX_DEPTH) kerr(ELOOP);
  }
  const same = links.findIndex((l) => l.type === key.type && l.description === key.description);
  if (same >= 0) { links[same] = key; reg.dirty = true; return; }
  reg.reserve(keyring, keyring.datalen + KEYQUOTA_LINK_BYTES);
  links.push(key);
}

// key_unlink: ENOENT when the keyring does not hold the key. The link's
// quota bytes go back to the keyring's owner.
export function keyUnlink(reg: KeyRegistry, keyring: Key, key: Key): void {
  const links = requireKeyring(keyring);
  const i = links.indexOf(key);
  if (i < 0) kerr(ENOENT);
  links.splice(i, 1);
  reg.reserve(keyring, links.length * KEYQUOTA_LINK_BYTES);
  reg.dirty = true;
}

// keyring_clear: every link cut.
export function keyringClear(reg: KeyRegistry, keyring: Key): void {
  const links = requireKeyring(keyring);
  links.length = 0;
  reg.reserve(keyring, 0);
  reg.dirty = true;
}

// The link in keyring (not below it) to a key of this type and description
// that add_key would update: neither revoked nor invalidated.
export function findKeyToUpdate(keyring: Key, typeName: string, desc: string): Key | undefined {
  return keyring.links!.find((l) => l.type.name === typeName && l.description === desc && !l.revoked && !l.invalidated);
}

export type KeyMatch = (key: Key) => boolean;

// The outcome of a search: the key found (and whether the caller possesses
// it), or the errno: EAGAIN for nothing found, a negative key's error, or
// EKEYREVOKED, EKEYEXPIRED, EACCES for a match the caller may not have.
export type SearchResult = { key: Key; possessed: boolean } | { errno: number };

// keyring_search_rcu: keyring's own keys first, then the keyrings it links.
// skipState: find a key whatever its state (the possession test).
export function keyringSearch(t: Task, keyring: Key, possessed: boolean, match: KeyMatch, skipState = false): SearchResult {
  const reg = keys(t.k);
  let err = EAGAIN;
  if (!keyPermits(t, keyring, possessed, KEY_NEED_SEARCH)) return { errno: EACCES };
  const seen = new Set<Key>();
  const walk = (ring: Key, depth: number): Key | null | undefined => {
    seen.add(ring);
    for (const key of ring.links!) {
      if (!match(key)) continue;
      if (key.invalidated) continue;
      if (!skipState) {
        if (reg.expired(key)) { err = EKEYEXPIRED; continue; }
        if (key.revoked) { err = EKEYREVOKED; continue; }
      }
      if (!keyPermits(t, key, possessed, KEY_NEED_SEARCH)) { err = EACCES; continue; }
      if (!skipState && key.negative) { err = -key.state; return null; }
      return key;
    }
    if (depth >= KEYRING_SEARCH_MAX_DEPTH) return undefined;
    for (const sub of ring.links!) {
      if (!sub.links || seen.has(sub) || sub.invalidated || sub.revoked || reg.expired(sub)) continue;
      if (!keyPermits(t, sub, possessed, KEY_NEED_SEARCH)) continue;
      const r = walk(sub, depth + 1);
      if (r !== undefined) return r;
    }
    return undefined;
  };
  if (!keyring.links) return { errno: ENOTDIR };
  const found = walk(keyring, 1);
  return found ? { key: found, possessed } : { errno: err };
}

// What KEYCTL_READ gives of a keyring: the serials it links, as ints.
export function keyringRead(keyring: Key): Uint8Array {
  const links = keyring.links!;
  const out = new Uint8Array(links.length * 4);
  const dv = new DataView(out.buffer);
  links.forEach((l, i) => dv.setInt32(i * 4, l.serial, true));
  return out;
}
