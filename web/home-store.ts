// The guest's home directory kept across reloads in the browser's IndexedDB:
// one record, the list of its files and directories with their modes and
// contents. The worker loads it before booting (the files go into the root
// filesystem) and saves it while the machine runs when something changed.

export interface HomeEntry { path: string; type: "file" | "dir"; mode: number; data?: Uint8Array }

const DB = "ghost";
const STORE = "home";
const KEY = "entries";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx<T>(mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = op(t.objectStore(STORE));
      t.oncomplete = () => resolve(req.result);
      t.onerror = () => reject(t.error);
    });
  } finally {
    db.close();
  }
}

export async function loadHome(): Promise<HomeEntry[]> {
  return ((await tx("readonly", (s) => s.get(KEY))) as HomeEntry[] | undefined) ?? [];
}

export async function saveHome(entries: HomeEntry[]): Promise<void> {
  await tx("readwrite", (s) => s.put(entries, KEY));
}

export async function clearHome(): Promise<void> {
  await tx("readwrite", (s) => s.delete(KEY));
}
