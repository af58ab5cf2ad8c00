/**
 * The few per-document values a text query needs for every match — facet group, update time,
 * certificate expiry, and the keys the rank tiers compare (normalised name and title, name
 * pinyin and initials) — held in memory by SQLite rowid.
 *
 * Why: reading them from the `docs` table costs a B-tree lookup per match (~1 µs), which made a
 * query matching 36,000 entries take over 100 ms at 500,000 entries. Here numbers live in typed
 * arrays and names in one UTF-16 arena (no string object per name: the collector has nothing to
 * trace, and short names are compared in a small per-document record). 65 MB outside the JS
 * heap at 500,000 documents, read in 1.5–2.5 s when the index opens, and kept in step with
 * every write the embedded adapter makes.
 */
import type Database from 'better-sqlite3';

export interface ColumnRow {
  grp: number;
  /** The brand's slug (results grouped by brand); rows without one share the brand ''. */
  brand?: string;
  updatedAt: number;
  expiresAt: number | null;
  nameNorm: string;
  titleNorm: string;
  py: string;
  ini: string;
}

/** A 32-bit set of a text's characters (a one-bit-per-character Bloom filter). */
export function charBits(text: string): number {
  let bits = 0;
  for (let i = 0; i < text.length; i++) bits |= 1 << (Math.imul(text.charCodeAt(i), 0x9e3779b1) >>> 27);
  return bits;
}

/** Code units per rowid in DocColumns.sig: the name's length and its first four code units. */
const SIG = 5;

/** Whether `q` is at offset `p` of the arena. */
function matchAt(c: Uint16Array, p: number, q: string): boolean {
  for (let i = 0; i < q.length; i++) if (c[p + i] !== q.charCodeAt(i)) return false;
  return true;
}

/** Whether `q` is within the `len` code units at offset `p`. */
function contains(c: Uint16Array, p: number, len: number, q: string): boolean {
  for (let i = 0; i + q.length <= len; i++) if (matchAt(c, p + i, q)) return true;
  return false;
}

/** Compares two stretches of the arena code unit by code unit (a shorter prefix first). */
function compareAt(c: Uint16Array, a: number, an: number, b: number, bn: number): number {
  const n = Math.min(an, bn);
  for (let i = 0; i < n; i++) {
    const d = c[a + i]! - c[b + i]!;
    if (d) return d;
  }
  return an - bn;
}

/** A copy of `a` of length `size`, the new tail set to `fill`. */
function grown(a: Int32Array<ArrayBuffer>, size: number, fill?: number): Int32Array<ArrayBuffer>;
function grown(a: Float64Array<ArrayBuffer>, size: number, fill?: number): Float64Array<ArrayBuffer>;
function grown(a: Uint16Array<ArrayBuffer>, size: number, fill?: number): Uint16Array<ArrayBuffer>;
function grown(a: Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer> | Uint16Array<ArrayBuffer>, size: number, fill = 0) {
  const b = a instanceof Int32Array ? new Int32Array(size) : a instanceof Float64Array ? new Float64Array(size) : new Uint16Array(size);
  if (fill) b.fill(fill);
  b.set(a);
  return b;
}

export class DocColumns {
  /** Facet group id by rowid; 0 = no document (group ids start at 1). */
  private grps = new Int32Array(1024);
  /** Brand number by rowid (slugs interned in `brandNumbers`, numbers from 1). */
  private brands = new Int32Array(1024);
  private brandNumbers = new Map<string, number>();
  private updated = new Float64Array(1024);
  /** Certificate expiry (epoch ms) by rowid; NaN when none. */
  private expiry = new Float64Array(1024).fill(Number.NaN);
  /**
   * One bit per character of name and title (charBits): a query whose bits are not all set
   * cannot be in the name, which settles most matches' rank tier without reading the name.
   */
  private bloom = new Int32Array(1024);
  /** First character code of the name's pinyin (0 when none): the same shortcut for the pinyin tiers. */
  private pyHead = new Uint16Array(1024);
  /**
   * Normalised names, titles, name pinyin and initials, UTF-16 code units, by offset and length;
   * a title equal to its name shares it.
   */
  private chars = new Uint16Array(1 << 16);
  private charsUsed = 0;
  /** Code units no longer referenced (names replaced or removed), reclaimed by compact(). */
  private charsGarbage = 0;
  /**
   * Per rowid, SIG code units: the name's length (bit 15: the title is the name), then its
   * first four code units. Most brand names are four characters or fewer, so their rank tier is
   * decided from this one small record; the 24 MB arena at 500,000 entries does not stay in the
   * CPU cache, and reading it cost ~150 ns a match.
   */
  private sig = new Uint16Array(1024 * SIG);
  private nameAt = new Int32Array(1024);
  private nameLen = new Uint16Array(1024);
  private titleAt = new Int32Array(1024);
  private titleLen = new Uint16Array(1024);
  private pyAt = new Int32Array(1024);
  private pyLen = new Uint16Array(1024);
  private iniAt = new Int32Array(1024);
  private iniLen = new Uint16Array(1024);
  /** The largest rowid ever set (rowids are dense: SQLite gives max + 1 to a new document). */
  maxRowid = 0;

  /** Reads every document's columns from the `docs` table. */
  static load(db: Database.Database): DocColumns {
    const cols = new DocColumns();
    const max = db.prepare<[], number | null>('SELECT max(rowid) FROM docs').pluck().get() ?? 0;
    cols.grow(max);
    const rows = db
      .prepare<[], [number, number, number, number | null, string, string, string, string, string]>(
        'SELECT rowid, grp, updated_at, expires_at, name_norm, title_norm, py, ini, brand FROM docs',
      )
      .raw()
      .iterate();
    for (const r of rows) cols.set(r[0], { grp: r[1], updatedAt: r[2], expiresAt: r[3], nameNorm: r[4], titleNorm: r[5], py: r[6], ini: r[7], brand: r[8] });
    return cols;
  }

  private grow(rowid: number): void {
    if (rowid < this.grps.length) return;
    let size = this.grps.length;
    while (size <= rowid) size *= 2;
    this.grps = grown(this.grps, size);
    this.brands = grown(this.brands, size);
    this.updated = grown(this.updated, size);
    this.expiry = grown(this.expiry, size, Number.NaN);
    this.bloom = grown(this.bloom, size);
    this.pyHead = grown(this.pyHead, size);
    this.sig = grown(this.sig, size * SIG);
    this.nameAt = grown(this.nameAt, size);
    this.nameLen = grown(this.nameLen, size);
    this.titleAt = grown(this.titleAt, size);
    this.titleLen = grown(this.titleLen, size);
    this.pyAt = grown(this.pyAt, size);
    this.pyLen = grown(this.pyLen, size);
    this.iniAt = grown(this.iniAt, size);
    this.iniLen = grown(this.iniLen, size);
  }

  /** Makes room for `n` more code units: compacts when half the arena is garbage, else grows it. */
  private reserve(n: number): void {
    if (this.charsUsed + n <= this.chars.length) return;
    if (this.charsGarbage > this.charsUsed / 2) this.compact();
    let size = this.chars.length;
    while (this.charsUsed + n > size) size *= 2;
    if (size !== this.chars.length) {
      const next = new Uint16Array(size);
      next.set(this.chars.subarray(0, this.charsUsed));
      this.chars = next;
    }
  }

  /** Appends text to the arena (after reserve()); returns its offset. */
  private store(text: string): number {
    const at = this.charsUsed;
    for (let i = 0; i < text.length; i++) this.chars[at + i] = text.charCodeAt(i);
    this.charsUsed += text.length;
    return at;
  }

  /** Rewrites the arena with only the live names and titles. */
  private compact(): void {
    const next = new Uint16Array(this.chars.length);
    let used = 0;
    const move = (at: number, len: number) => {
      next.set(this.chars.subarray(at, at + len), used);
      used += len;
      return used - len;
    };
    for (let r = 0; r <= this.maxRowid; r++) {
      if (!this.grps[r]) continue;
      const shared = this.titleAt[r] === this.nameAt[r] && this.titleLen[r] === this.nameLen[r];
      this.nameAt[r] = move(this.nameAt[r]!, this.nameLen[r]!);
      this.titleAt[r] = shared ? this.nameAt[r]! : move(this.titleAt[r]!, this.titleLen[r]!);
      this.pyAt[r] = move(this.pyAt[r]!, this.pyLen[r]!);
      this.iniAt[r] = move(this.iniAt[r]!, this.iniLen[r]!);
    }
    this.chars = next;
    this.charsUsed = used;
    this.charsGarbage = 0;
  }

  private release(rowid: number): void {
    if (!this.grps[rowid]) return;
    const shared = this.titleAt[rowid] === this.nameAt[rowid] && this.titleLen[rowid] === this.nameLen[rowid];
    this.charsGarbage += this.nameLen[rowid]! + (shared ? 0 : this.titleLen[rowid]!) + this.pyLen[rowid]! + this.iniLen[rowid]!;
  }

  set(rowid: number, r: ColumnRow): void {
    this.grow(rowid);
    this.release(rowid);
    if (rowid > this.maxRowid) this.maxRowid = rowid;
    // Names longer than 65,535 code units are cut (only for ranking; the body keeps the full name).
    const name = r.nameNorm.slice(0, 0xffff);
    const title = r.titleNorm.slice(0, 0xffff);
    const py = r.py.slice(0, 0xffff);
    const ini = r.ini.slice(0, 0xffff);
    this.reserve(name.length + (title === name ? 0 : title.length) + py.length + ini.length);
    this.grps[rowid] = r.grp;
    this.brands[rowid] = this.brandNumber(r.brand ?? '');
    this.updated[rowid] = r.updatedAt;
    this.expiry[rowid] = r.expiresAt ?? Number.NaN;
    this.bloom[rowid] = charBits(name) | charBits(title);
    this.pyHead[rowid] = r.py.charCodeAt(0) || 0;
    this.nameAt[rowid] = this.store(name);
    this.nameLen[rowid] = name.length;
    this.titleAt[rowid] = title === name ? this.nameAt[rowid]! : this.store(title);
    this.titleLen[rowid] = title.length;
    const b = rowid * SIG;
    this.sig[b] = Math.min(name.length, 0x7fff) | (title === name ? 0x8000 : 0);
    for (let i = 0; i < SIG - 1; i++) this.sig[b + 1 + i] = i < name.length ? name.charCodeAt(i) : 0;
    this.pyAt[rowid] = this.store(py);
    this.pyLen[rowid] = py.length;
    this.iniAt[rowid] = this.store(ini);
    this.iniLen[rowid] = ini.length;
  }

  delete(rowid: number): void {
    if (rowid >= this.grps.length) return;
    this.release(rowid);
    this.grps[rowid] = 0;
    this.brands[rowid] = 0;
    this.expiry[rowid] = Number.NaN;
    this.bloom[rowid] = 0;
    this.pyHead[rowid] = 0;
    this.nameLen[rowid] = 0;
    this.titleLen[rowid] = 0;
    this.sig[rowid * SIG] = 0;
    this.pyLen[rowid] = 0;
    this.iniLen[rowid] = 0;
  }

  /** The number of a brand's slug, given on first sight (kept: a brand's number never changes while the index is open). */
  private brandNumber(slug: string): number {
    let n = this.brandNumbers.get(slug);
    if (n === undefined) {
      n = this.brandNumbers.size + 1;
      this.brandNumbers.set(slug, n);
    }
    return n;
  }

  /** How many brand numbers have been given (the largest is this count). */
  brandCount(): number {
    return this.brandNumbers.size;
  }

  /** The brand number of a rowid (1…), 0 when unknown: rows of one brand share it. */
  brand(rowid: number): number {
    return rowid < this.brands.length ? this.brands[rowid]! : 0;
  }

  /** Certificate expiry (epoch ms) of a rowid, NaN when none. */
  expiresAt(rowid: number): number {
    return this.expiry[rowid]!;
  }

  /** The facet group of a rowid, 0 when unknown. */
  grp(rowid: number): number {
    return rowid < this.grps.length ? this.grps[rowid]! : 0;
  }

  /** The normalised name as stored (for checks; the hot paths compare in place). */
  name(rowid: number): string {
    const at = this.nameAt[rowid]!;
    return String.fromCharCode(...this.chars.subarray(at, at + this.nameLen[rowid]!));
  }

  /**
   * Order by name: pinyin of the name, then the normalised name, then rowid (as browsing's
   * `ORDER BY py, name_norm, rowid`, comparing code units).
   */
  compareByName(x: number, y: number): number {
    return (
      compareAt(this.chars, this.pyAt[x]!, this.pyLen[x]!, this.pyAt[y]!, this.pyLen[y]!) ||
      compareAt(this.chars, this.nameAt[x]!, this.nameLen[x]!, this.nameAt[y]!, this.nameLen[y]!) ||
      x - y
    );
  }

  /**
   * The name rank tier of a document for the compact query `q` (with `bits` = charBits(q)):
   * 1 exact name or title, 2 name prefix, 3 name or title contains it, 0 none.
   */
  nameTier(rowid: number, q: string, bits: number): number {
    if ((this.bloom[rowid]! & bits) !== bits) return 0;
    const m = q.length;
    const b = rowid * SIG;
    const head = this.sig[b]!;
    const len = head & 0x7fff;
    if (head & 0x8000 && len < SIG) {
      // The whole name (which is also the title) is in the record.
      const sig = this.sig;
      for (let at = 0; at + m <= len; at++) {
        let i = 0;
        while (i < m && sig[b + 1 + at + i] === q.charCodeAt(i)) i++;
        if (i === m) return at > 0 ? 3 : m === len ? 1 : 2;
      }
      return 0;
    }
    const c = this.chars;
    const at = this.nameAt[rowid]!;
    const n = this.nameLen[rowid]!;
    const tAt = this.titleAt[rowid]!;
    const tn = this.titleLen[rowid]!;
    if ((n === m && matchAt(c, at, q)) || (tn === m && matchAt(c, tAt, q))) return 1;
    if (n >= m && matchAt(c, at, q)) return 2;
    if (contains(c, at, n, q) || (tAt !== at && contains(c, tAt, tn, q))) return 3;
    return 0;
  }

  /**
   * The pinyin rank tier of a document for the Latin query `q`: 4 the name's pinyin or initials
   * are `q`, 5 they start with it, 0 neither.
   */
  pinyinTier(rowid: number, q: string): number {
    if (this.pyHead[rowid] !== q.charCodeAt(0)) return 0;
    const c = this.chars;
    const m = q.length;
    const pAt = this.pyAt[rowid]!;
    const pn = this.pyLen[rowid]!;
    const iAt = this.iniAt[rowid]!;
    const inn = this.iniLen[rowid]!;
    if ((pn === m && matchAt(c, pAt, q)) || (inn === m && matchAt(c, iAt, q))) return 4;
    if ((pn > m && matchAt(c, pAt, q)) || (inn > m && matchAt(c, iAt, q))) return 5;
    return 0;
  }

  updatedAt(rowid: number): number {
    return this.updated[rowid]!;
  }

  /**
   * The k most recently updated of `rowids` (equal times: lower rowid first), in that order.
   * The same as smallest() with a recency comparator, written out because it orders most of a
   * large result's page: one typed-array read per rowid rejects all but a few.
   */
  mostRecent(rowids: readonly number[], k: number): number[] {
    const upd = this.updated;
    if (k <= 0) return [];
    const before = (x: number, y: number) => upd[x]! > upd[y]! || (upd[x] === upd[y] && x < y);
    if (rowids.length <= k) return [...rowids].sort((x, y) => (before(x, y) ? -1 : before(y, x) ? 1 : 0));
    // Min-heap of the k best so far: its root is the worst of them.
    const heap = rowids.slice(0, k);
    const down = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < k && before(heap[m]!, heap[l]!)) m = l;
        if (r < k && before(heap[m]!, heap[r]!)) m = r;
        if (m === i) return;
        const t = heap[i]!;
        heap[i] = heap[m]!;
        heap[m] = t;
        i = m;
      }
    };
    for (let i = (k >> 1) - 1; i >= 0; i--) down(i);
    for (let i = k; i < rowids.length; i++) {
      const x = rowids[i]!;
      const root = heap[0]!;
      if (upd[x]! < upd[root]! || (upd[x] === upd[root] && x > root)) continue;
      heap[0] = x;
      down(0);
    }
    return heap.sort((x, y) => (before(x, y) ? -1 : before(y, x) ? 1 : 0));
  }

  /** True when the document is a certificate whose expiry is before `now` (NaN compares false). */
  expiredAt(rowid: number, now: number): boolean {
    return this.expiry[rowid]! < now;
  }
}

/**
 * The k smallest items of `items` under `cmp`, in order: a bounded max-heap, O(n log k), so a
 * page of 20 out of 100,000 matches costs a few comparisons per match instead of a full sort.
 */
export function smallest<T>(items: readonly T[], k: number, cmp: (a: T, b: T) => number): T[] {
  if (k <= 0) return [];
  if (items.length <= k || k * 8 >= items.length) return [...items].sort(cmp).slice(0, k);
  const heap: T[] = [];
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (cmp(heap[i]!, heap[p]!) <= 0) return;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && cmp(heap[l]!, heap[m]!) > 0) m = l;
      if (r < heap.length && cmp(heap[r]!, heap[m]!) > 0) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (const x of items) {
    if (heap.length < k) {
      heap.push(x);
      up(heap.length - 1);
    } else if (cmp(x, heap[0]!) < 0) {
      heap[0] = x;
      down(0);
    }
  }
  return heap.sort(cmp);
}
