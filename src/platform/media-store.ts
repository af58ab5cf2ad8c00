/**
 * Where uploaded pictures' bytes live: a small port, so the app never touches a folder or a
 * bucket directly. Keys are relative, slash-separated names the app makes itself
 * (`pictures/<id>/960.webp`); the store never builds a path from anything a visitor sent.
 *
 * The default is a local folder outside the web root (config MEDIA_DIR, under DATA_DIR); an
 * S3-compatible adapter implements the same three methods (PutObject / GetObject / DeleteObjects
 * under a prefix) without the rest of the app changing.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { errorCode } from './guards.js';

export interface MediaStore {
  /** Stores `bytes` under `key`, replacing what was there (atomically for a reader). */
  put(key: string, bytes: Buffer): Promise<void>;
  /** The bytes under `key`, or null when there are none. */
  get(key: string): Promise<Buffer | null>;
  /** Removes every object whose key starts with `prefix/` (a picture's variants). */
  removePrefix(prefix: string): Promise<void>;
}

/** Keys: lower-case letters, digits, `-`, `_` and `.` in slash-separated parts, none of them `.` or `..`. */
const KEY = /^[a-z0-9_-][a-z0-9_.-]*(\/[a-z0-9_-][a-z0-9_.-]*)*$/;

export function assertKey(key: string): string {
  if (!KEY.test(key) || key.split('/').some((p) => p === '.' || p === '..') || key.length > 200) throw new Error(`media store: bad key ${JSON.stringify(key)}`);
  return key;
}

/** A folder on the local disk. Writes go to a temporary name first, then are renamed in place. */
export class LocalMediaStore implements MediaStore {
  readonly root: string;
  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private file(key: string): string {
    return path.join(this.root, ...assertKey(key).split('/'));
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    const target = this.file(key);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${randomUUID()}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, target);
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.file(key));
    } catch (err) {
      if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return null;
      throw err;
    }
  }

  async removePrefix(prefix: string): Promise<void> {
    await rm(this.file(prefix), { recursive: true, force: true });
  }
}
