/**
 * Meilisearch adapter for the SearchIndex port (production: used when MEILI_URL is set).
 *
 * Tested where: the SearchIndex contract suite, the findability and synonym tests and the fault
 * drills run against a real server whenever one is at hand (test/support/meili.ts starts
 * `../shared/bin/meilisearch` or MEILI_BIN; MEILI_URL selects an external one); the embedded
 * SQLite adapter (embedded.ts) is the reference behaviour the suite pins. Server: tested on
 * Meilisearch v1.50.0 (docs/decisions/0009-meilisearch-adapter.md); the `meilisearch` npm client
 * 0.62 targets v1.x, and this adapter uses `localizedAttributes`, the `rename` field of index
 * swaps and the `attributeRank` ranking rule (v1.36), so it needs v1.36 or later.
 *
 * Meilisearch segments Chinese with jieba and matches words by prefix, which misses substrings of
 * unknown brand names; so, like the embedded engine, documents carry our own enrichment from
 * text.ts (Han bigrams, unigrams, pinyin, normalised identifiers) and queries are built from the
 * same analysis (query.ts). Highlighting and the derived 过期 status are computed here, not by the
 * engine, so every adapter highlights alike. Synonyms are expanded at index time into tokens
 * (synonym-tokens.ts: Meilisearch applies none inside the phrases we send), so a change to the
 * synonym groups needs `npm run reindex`.
 */
import {
  Meilisearch,
  MeilisearchApiError,
  MeilisearchRequestError,
  MeilisearchRequestTimeOutError,
  MeilisearchTaskTimeOutError,
  type Config,
  type EnqueuedTaskPromise,
  type MultiSearchQuery,
  type MultiSearchResult,
  type Settings,
  type Task,
} from 'meilisearch';
import {
  BRAND_ENTRIES_MAX,
  FACETS,
  SearchUnavailableError,
  IN_FORCE_STATUSES,
  type BrandHit,
  type FacetName,
  type FacetValue,
  type IndexStats,
  type PrefixLookup,
  type SearchDoc,
  type SearchIndex,
  type SearchQuery,
  type SearchResult,
} from './port.js';
import { EXPIRED, VALID, effectiveStatus } from '../registries/kinds.js';
import { Lexicon } from './lexicon.js';
import { analyzeQuery, highlightVariants, toHit, type AnalyzedQuery } from './query.js';
import { resultNotes, understand } from './understand.js';
import { searchable, type Searchable } from './enrich.js';
import { synonymQueryToken, synonymTokensOf } from './synonym-tokens.js';
import { DEFAULT_SYNONYM_SET, type Synonyms } from './synonyms.js';
import { bigrams, gramTokens, isCjk, pinyinTokens, unigramTokens } from './text.js';

/** Primary key field: Meilisearch ids allow only [a-zA-Z0-9_-], our ids contain ':'. */
const PK = 'pk';
/** HTTP request timeout. */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Headers sent with every request (the client's documented `requestInit` option). Node's fetch
 * asks for `gzip, deflate` by default; Meilisearch then compresses the reply and streams it
 * chunked, writing the headers and the body as two TCP segments. Its socket leaves Nagle's
 * algorithm on, so the body waits for the ACK of the headers, which the client delays by ~40 ms:
 * most searches paid that stall (docs/decisions/0009, "Transport"). Uncompressed, a reply is one
 * write with a Content-Length. The engine sits next to the app, where compression saves nothing.
 */
export const REQUEST_HEADERS: Readonly<Record<string, string>> = { 'Accept-Encoding': 'identity' };
/** How long a write waits for its task (indexing a large batch can take a while). */
const TASK_TIMEOUT_MS = 300_000;
const TASK_POLL_MS = 50;
/** Ids per filter when reading stored versions, and documents per addDocuments request. */
const VERSION_CHUNK = 1000;
const ADD_CHUNK = 10_000;
/** Values returned per facet (the embedded engine's limit). */
const FACET_LIMIT = 100;

/** A document as stored in Meilisearch: the SearchDoc plus searchable and ranking fields. */
type MeiliDoc = SearchDoc & {
  pk: string;
  /** Bigrams of the name alone: an attribute whose whole value can equal the query (exactness). */
  nameExact: string;
  /** Bigrams of name and title. */
  nameGrams: string;
  /** Bigrams of company, English name, keywords, industry. */
  textGrams: string;
  /** Single Han characters (one-character queries). */
  uni: string;
  /** Pinyin full, joined and initials, plus Latin words. */
  pinyin: string;
  /** Normalised identifiers. */
  ident: string;
  /** Synonym tokens of the group terms the document matches in its name or title (synonym-tokens.ts), after {@link SYN_LEAD}. */
  synName: string;
  /** Synonym tokens of the group terms it matches only elsewhere (company, keywords…), after {@link SYN_LEAD}. */
  synText: string;
  /** Joined pinyin of the name (or its Latin form): sort key for 'name'. */
  namePy: string;
  nameIni: string;
  /** Tokens in nameGrams / textGrams: the column lengths bm25 normalises by (ranking rules). */
  nameLen: number;
  textLen: number;
  nameNorm: string;
};

/** Every SearchDoc field, checked against the interface: what search returns. */
const DOC_FIELD_SET = {
  id: true,
  kind: true,
  entryId: true,
  version: true,
  slug: true,
  name: true,
  nameEn: true,
  title: true,
  company: true,
  district: true,
  sector: true,
  industry: true,
  keywords: true,
  summary: true,
  tier: true,
  status: true,
  expiresAt: true,
  niceClasses: true,
  identifiers: true,
  year: true,
  updatedAt: true,
  demo: true,
} satisfies Record<keyof SearchDoc, true>;
const isDocField = (k: string): k is keyof SearchDoc => Object.hasOwn(DOC_FIELD_SET, k);
const DOC_FIELDS = Object.keys(DOC_FIELD_SET).filter(isDocField);

/** Facets of the brand itself, the same on each of its entries: a `distinct` query's facet counts are brand counts. */
const BRAND_FACETS: readonly FacetName[] = ['district', 'sector'];

/** Port facet name → document attribute. */
const FACET_ATTR: Record<FacetName, string> = {
  kind: 'kind',
  district: 'district',
  sector: 'sector',
  tier: 'tier',
  status: 'status',
  nice: 'niceClasses',
};

/**
 * Searchable attributes in priority order: the attributeRank rule prefers earlier attributes.
 * Synonym tokens found in the name rank with the name, the others with the text (as the
 * embedded engine's bm25 weighs the column a synonym matched in).
 */
const SEARCHABLE: string[] = ['ident', 'nameExact', 'nameGrams', 'synName', 'pinyin', 'textGrams', 'synText', 'uni'];

export const SETTINGS: Settings = {
  searchableAttributes: SEARCHABLE,
  // `pk` is filterable so that stored versions can be read with `pk IN [...]`; `slug` because
  // the `distinct` search parameter (results grouped by brand) needs a filterable attribute, and
  // a page's brands' entries are read with `slug IN [...]`.
  filterableAttributes: ['kind', 'district', 'sector', 'tier', 'status', 'niceClasses', 'expiresAt', 'version', 'slug', PK],
  sortableAttributes: ['updatedAt', 'namePy'],
  // As the embedded engine (docs/decisions/0009, "Relevance parity"): the field that matched
  // (attributeRank), exact name / name prefix (exactness on nameExact), then what bm25 decides
  // among equal matches there — the shorter name column, then the shorter text column — then
  // the most recently updated. No `wordPosition`: where a token sits among our n-grams or
  // synonym tokens says nothing about relevance (bm25 ignores it), and it made the order among
  // equal matches an accident of token order. Entries in force before the others at equal
  // relevance is not a rule here: it depends on today's date (过期), see rankedQueries().
  rankingRules: ['words', 'typo', 'proximity', 'attributeRank', 'sort', 'exactness', 'nameLen:asc', 'textLen:asc', 'updatedAt:desc'],
  typoTolerance: {
    enabled: true,
    disableOnAttributes: ['nameExact', 'nameGrams', 'textGrams', 'uni', 'ident', 'synName', 'synText'],
    // As the embedded engine (query.ts typoWords): a number one digit off is another identifier.
    disableOnNumbers: true,
    minWordSizeForTypos: { oneTypo: 5 },
  },
  // Empty on purpose: synonyms are index-time tokens (synonym-tokens.ts), because Meilisearch
  // applies none inside the bigram phrases our queries are made of. Setting it clears any
  // synonyms an older deployment configured.
  synonyms: {},
  pagination: { maxTotalHits: 1_000_000 },
  // Count order, so that the values kept under the limit are the most frequent ones.
  faceting: { maxValuesPerFacet: 200, sortFacetValuesBy: { '*': 'count' } },
  localizedAttributes: [{ attributePatterns: ['nameExact', 'nameGrams', 'textGrams', 'uni'], locales: ['cmn'] }],
};

/**
 * Meilisearch id for a SearchDoc id. `${kind}:${entryId}` ids (letters, digits, '-', ':') map
 * ':' → '_', which is reversible for them; anything else becomes '_' + the UTF-8 bytes in hex,
 * which cannot collide with the first form (that never starts with '_').
 */
export function toPk(id: string): string {
  if (/^[A-Za-z0-9-]+(?::[A-Za-z0-9-]+)*$/.test(id)) return id.replace(/:/g, '_');
  return `_${Buffer.from(id, 'utf8').toString('hex')}`;
}

/**
 * The first word of both synonym attributes: a synonym token is then never at the start of its
 * attribute, so the `exactness` rule (which rewards an attribute that starts with the query)
 * cannot rank one document above another by the incidental order of its tokens. Not a token
 * any query produces (tokens are `zsyn` + letters).
 */
export const SYN_LEAD = 'zsyn0';

/** The synonym tokens of a document, split by where it matches the group term: name/title, or elsewhere. */
function synonymFields(d: SearchDoc, f: Searchable, synonyms: Synonyms): { synName: string; synText: string } {
  const inName = new Set(
    synonymTokensOf(
      {
        ...f,
        textGrams: '',
        uni: unigramTokens([d.name, d.title]),
        pinyin: pinyinTokens([d.name, d.title]),
        ident: '',
      },
      synonyms,
    ),
  );
  const elsewhere = synonymTokensOf(f, synonyms).filter((t) => !inName.has(t));
  return { synName: [SYN_LEAD, ...inName].join(' '), synText: [SYN_LEAD, ...elsewhere].join(' ') };
}

const tokenCount = (column: string) => column.split(' ').filter(Boolean).length;

/**
 * The document Meilisearch stores for a SearchDoc: our enrichment as searchable fields, and the
 * tokens of the synonym groups it matches (default: DEFAULT_SYNONYMS).
 */
export function toMeiliDoc(d: SearchDoc, synonyms: Synonyms = DEFAULT_SYNONYM_SET): MeiliDoc {
  const f = searchable(d);
  return {
    ...d,
    pk: toPk(d.id),
    nameExact: gramTokens([d.name]),
    nameGrams: f.nameGrams,
    textGrams: f.textGrams,
    uni: f.uni,
    pinyin: f.pinyin,
    ident: f.ident,
    ...synonymFields(d, f, synonyms),
    namePy: f.namePy,
    nameLen: tokenCount(f.nameGrams),
    textLen: tokenCount(f.textGrams),
    nameIni: f.nameIni,
    nameNorm: f.nameNorm,
  };
}

/**
 * The q sent to Meilisearch: Han runs as phrases of their bigrams (substring match), Latin runs
 * as words, and a run that belongs to a synonym group as that group term's token.
 */
export function meiliQuery(a: AnalyzedQuery, synonyms: Synonyms = DEFAULT_SYNONYM_SET): string {
  return a.runs.map((run) => synonymQueryToken(run, synonyms) ?? (isCjk(run) ? `"${bigrams(run).join(' ')}"` : run)).join(' ');
}

/** Identifiers are at least this long: a shorter last word is a pinyin or name prefix, never an identifier. */
const MIN_IDENT_PREFIX = 3;

/**
 * The attributes a query may match, or null for all. Meilisearch matches the last query word as
 * a prefix in every attribute, where the embedded engine matches identifiers whole and synonym
 * tokens only as sent: so the synonym attributes are searched only when the query carries a
 * synonym token (else "zs" would find every entry with one), and identifiers not for a lone
 * Latin word too short to be one (else "h" would rank every certificate numbered HB… first).
 */
export function searchOn(a: AnalyzedQuery, groups: Synonyms = DEFAULT_SYNONYM_SET): string[] | null {
  const all = SEARCHABLE;
  const synonyms = a.runs.some((run) => synonymQueryToken(run, groups) !== null);
  const shortLatin = a.runs.length === 1 && !isCjk(a.runs[0]!) && a.runs[0]!.length < MIN_IDENT_PREFIX;
  if (synonyms && !shortLatin) return null;
  return all.filter((attr) => (synonyms || !attr.startsWith('syn')) && (!shortLatin || attr !== 'ident'));
}

/**
 * The SearchDoc a hit carries. Searches retrieve only the SearchDoc fields (attributesToRetrieve:
 * DOC_FIELDS), so our enrichment never comes back; the nullable fields a stored document may lack
 * read as null, as the port promises.
 */
function pickDoc(hit: SearchDoc): SearchDoc {
  return { ...hit, expiresAt: hit.expiresAt ?? null, year: hit.year ?? null };
}

/** A quoted filter value: backslashes and double quotes escaped. */
function lit(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Certificates whose stored status is 有效 but whose expiry has passed. */
function expiredClause(now: number): string {
  return `(kind = "certified" AND status = ${lit(VALID)} AND expiresAt < ${now})`;
}

/** Entries in force at `now` (inForceAt, port.ts): an in-force status, and no certificate past its expiry. */
function inForceClause(now: number): string {
  return `(status IN [${[...IN_FORCE_STATUSES].map(lit).join(', ')}] AND NOT ${expiredClause(now)})`;
}

/**
 * The order "relevance, then entries in force first" from two rankings of one query, the entries
 * in force and the others, each in Meilisearch's order: merged by _rankingScore, the entries in
 * force winning ties. The score reflects the relevance rules (words … exactness), not the
 * tie-breaks after them, and never rises along one ranking.
 */
export function mergeByStanding<T extends { _rankingScore?: number }>(live: readonly T[], lapsed: readonly T[]): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < live.length || j < lapsed.length) {
    const takeLive = j >= lapsed.length || (i < live.length && (live[i]!._rankingScore ?? 0) >= (lapsed[j]!._rankingScore ?? 0));
    out.push(takeLive ? live[i++]! : lapsed[j++]!);
  }
  return out;
}

function facetClause(f: FacetName, value: string, now: number): string {
  if (f === 'nice') {
    const n = Number(value);
    return Number.isInteger(n) && n >= 0 ? `niceClasses = ${n}` : `niceClasses = ${lit(value)}`;
  }
  if (f === 'status') {
    if (value === EXPIRED) return `(status = ${lit(EXPIRED)} OR ${expiredClause(now)})`;
    if (value === VALID) return `(status = ${lit(VALID)} AND NOT ${expiredClause(now)})`;
  }
  return `${FACET_ATTR[f]} = ${lit(value)}`;
}

function sortFacet(counts: Record<string, number>, numeric: boolean): FacetValue[] {
  return Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([value, count]) => ({ value, count }))
    .sort((x, y) => y.count - x.count || (numeric ? Number(x.value) - Number(y.value) : x.value < y.value ? -1 : x.value > y.value ? 1 : 0))
    .slice(0, FACET_LIMIT);
}

/**
 * Facet counts in entries from a multi-search: each facet from the response `facetSource` names,
 * the status facet corrected by the count of valid certificates past their expiry (过期).
 */
function entryFacets(facetSource: Map<FacetName, number>, res: (i: number) => MultiSearchResult<MeiliDoc>, expiredSource: number): SearchResult['facets'] {
  const facets: SearchResult['facets'] = {};
  for (const [f, i] of facetSource) {
    const counts: Record<string, number> = { ...(res(i).facetDistribution?.[FACET_ATTR[f]] ?? {}) };
    if (f === 'status') {
      const expired = res(expiredSource).totalHits ?? 0;
      if (expired > 0) {
        counts[VALID] = (counts[VALID] ?? 0) - expired;
        counts[EXPIRED] = (counts[EXPIRED] ?? 0) + expired;
      }
    }
    facets[f] = sortFacet(counts, f === 'nice');
  }
  return facets;
}

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** Network failures (and timeouts) become SearchUnavailableError; everything else is kept. */
function mapError(err: unknown): unknown {
  if (err instanceof SearchUnavailableError) return err;
  if (err instanceof MeilisearchRequestError || err instanceof MeilisearchRequestTimeOutError || err instanceof MeilisearchTaskTimeOutError) {
    return new SearchUnavailableError(`Meilisearch unavailable: ${err.message}`, { cause: err });
  }
  if (err instanceof MeilisearchApiError && [502, 503, 504].includes(err.response.status)) {
    return new SearchUnavailableError(`Meilisearch unavailable: ${err.message}`, { cause: err });
  }
  return err;
}

function isIndexNotFound(err: unknown): boolean {
  return err instanceof MeilisearchApiError && err.cause?.code === 'index_not_found';
}

function taskError(task: Task, what: string): Error {
  const reason = task.error ? `${task.error.message} (${task.error.code})` : 'no error message';
  return new Error(`Meilisearch ${what}: task ${task.uid} ${task.status}: ${reason}`, { cause: task.error ?? undefined });
}

type ReplayOp = { upsert: SearchDoc[] } | { remove: string[] };

/**
 * SearchIndex on Meilisearch v1.x through the official `meilisearch` client.
 *
 * - Documents are SearchDocs plus enriched searchable fields computed with text.ts (the same
 *   tokens the embedded adapter puts in its FTS columns), keyed by `pk` (see {@link toPk}).
 * - Every write waits for its task; a task that does not succeed is thrown as an Error carrying
 *   the task's error message. Connection failures and timeouts are thrown as
 *   SearchUnavailableError with the client's error as `cause`.
 * - Writes are serialised per index inside this process, so the "never replace a newer version"
 *   check (read versions, then add) holds against this instance's own writers; it is not atomic
 *   against other processes writing the same index.
 * - Queries: Han runs become phrases of their bigrams (substring match), Latin runs are passed as
 *   words (pinyin, identifiers, English), a synonym group term as its token (see
 *   {@link meiliQuery}), matchingStrategy 'all'. Facet counts are disjunctive like
 *   the embedded engine (each facet counted with every filter but its own) and the status facet
 *   derives 过期 for certificates, all in one multi-search request.
 * - Public searches and stats never use the admin key: they use `searchKey`, or when none is
 *   configured the server's search-only key (one whose only action is `search`), looked up once
 *   with the admin key. A configured `searchKey` that can manage keys is refused at init(): it is
 *   an admin key in disguise. Everything else uses `apiKey`.
 */
export class MeiliSearchIndex implements SearchIndex {
  readonly name = 'meilisearch';
  private readonly admin: Meilisearch;
  private readonly config: Omit<Config, 'apiKey'>;
  private readonly searchKey: string | undefined;
  /** The search-only client, once its key is known. */
  private reader: Promise<Meilisearch> | null = null;
  private readonly uid: string;
  /** Tail of the write queue per index uid. */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Live writes recorded while a rebuild runs, replayed into the new index before the swap. */
  private replay: ReplayOp[] | null = null;
  /** The synonym groups documents carry tokens of and queries are mapped with (synonym-tokens.ts). */
  private readonly synonyms: Synonyms;
  /**
   * The search dictionary (lexicon.ts): read from the index's documents at init(), then grown by
   * this instance's writes (and replaced by a rebuild's). Counts only grow between restarts
   * (a replaced or removed document is not subtracted: the engine does not return what it
   * replaced), and another instance's writes are known after this one restarts.
   */
  private lexicon = new Lexicon();

  /** `synonyms`: the groups a query term also finds (default: DEFAULT_SYNONYMS); changing them needs a reindex. */
  constructor(opts: { host: string; apiKey: string; searchKey?: string; indexUid: string; synonyms?: Synonyms }) {
    const config = {
      host: opts.host,
      timeout: REQUEST_TIMEOUT_MS,
      defaultWaitOptions: { timeout: TASK_TIMEOUT_MS, interval: TASK_POLL_MS },
      requestInit: { headers: { ...REQUEST_HEADERS } },
    };
    this.config = config;
    this.admin = new Meilisearch({ ...config, apiKey: opts.apiKey });
    this.searchKey = opts.searchKey;
    this.uid = opts.indexUid;
    this.synonyms = opts.synonyms ?? DEFAULT_SYNONYM_SET;
  }

  async init(): Promise<void> {
    await this.guard(async () => {
      await this.ensureIndex(this.uid);
      await this.applySettings(this.uid);
      if (this.searchKey) await this.refuseAdminSearchKey();
      await this.searchClient();
      this.lexicon = await this.readLexicon(this.uid);
    });
  }

  /** The dictionary of an index's documents, read in pages of the few fields it needs. */
  private async readLexicon(uid: string): Promise<Lexicon> {
    const lexicon = new Lexicon();
    const index = this.admin.index<MeiliDoc>(uid);
    const fields: Array<keyof SearchDoc> = ['kind', 'name', 'title', 'company', 'industry', 'keywords', 'tier'];
    const limit = 10_000;
    for (let offset = 0; ; offset += limit) {
      const page = await index.getDocuments({ fields, limit, offset });
      lexicon.addDocs(page.results.map((d) => ({ ...d, keywords: d.keywords ?? [] })));
      if (page.results.length < limit) break;
    }
    return lexicon;
  }

  /** The API key public searches are sent with (for the key check in the tests and /readyz). */
  async publicKey(): Promise<string> {
    return this.guard(async () => {
      await this.searchClient();
      return this.resolvedSearchKey!;
    });
  }

  async upsert(docs: SearchDoc[]): Promise<void> {
    if (docs.length === 0) return;
    await this.guard(() =>
      this.serial(this.uid, async () => {
        await this.writeDocs(this.uid, docs, this.lexicon);
        this.replay?.push({ upsert: docs });
      }),
    );
  }

  async remove(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.guard(() =>
      this.serial(this.uid, async () => {
        await this.removeDocs(this.uid, ids);
        this.replay?.push({ remove: ids });
      }),
    );
  }

  async versions(ids: string[]): Promise<Map<string, number>> {
    return this.guard(() => this.readVersions(this.uid, ids));
  }

  async rebuild(fill: (write: (docs: SearchDoc[]) => Promise<void>) => Promise<void>): Promise<void> {
    if (this.replay) throw new Error('Meilisearch rebuild already running');
    const live = this.uid;
    const fresh = `${live}_rebuild_${Date.now()}`;
    const freshLexicon = new Lexicon();
    this.replay = [];
    let swapped = false;
    try {
      await this.guard(async () => {
        await this.ensureIndex(live); // the swap needs both indexes
        await this.ensureIndex(fresh);
        await this.applySettings(fresh);
      });
      await fill((docs) => this.guard(() => this.serial(fresh, () => this.writeDocs(fresh, docs, freshLexicon))));
      // Hold the live write queue: writes arriving now wait and then land on the new index.
      await this.guard(() =>
        this.serial(live, async () => {
          for (let op = this.replay?.shift(); op; op = this.replay?.shift()) {
            if ('upsert' in op) await this.writeDocs(fresh, op.upsert, freshLexicon);
            else await this.removeDocs(fresh, op.remove);
          }
          await this.waitOk(this.admin.swapIndexes([{ indexes: [live, fresh], rename: false }]), `swap ${live} with ${fresh}`);
          swapped = true;
          this.lexicon = freshLexicon;
          this.replay = null;
        }),
      );
    } catch (err) {
      if (!swapped)
        await this.admin
          .deleteIndex(fresh)
          .waitTask()
          .catch(() => undefined);
      throw err;
    } finally {
      this.replay = null;
    }
    // After the swap the old documents live under the rebuild name.
    await this.guard(() => this.waitOk(this.admin.deleteIndex(fresh), `delete ${fresh}`));
  }

  async stats(): Promise<IndexStats> {
    return this.guard(async () => {
      const res = await (await this.searchClient()).index(this.uid).search(null, { facets: ['kind'], page: 1, hitsPerPage: 0 });
      const byKind: Record<string, number> = { ...(res.facetDistribution?.kind ?? {}) };
      return { documents: res.totalHits, byKind };
    });
  }

  async health(): Promise<void> {
    try {
      await this.admin.health();
    } catch (err) {
      throw new SearchUnavailableError(`Meilisearch health check failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    // HTTP only: nothing to close.
  }

  /**
   * Query understanding (understand.ts, shared with the embedded engine) reads the query into
   * attempts — every term, then relaxed — sent in order until one finds something (one
   * multi-search each; only a query that finds nothing costs more than one).
   */
  async search(query: SearchQuery): Promise<SearchResult> {
    return this.guard(async () => {
      const now = (query.now ?? new Date()).getTime();
      const u = understand(query.q, query.filters, { lexicon: this.lexicon, synonyms: this.synonyms });
      let first: SearchResult | null = null;
      for (const attempt of u.attempts) {
        const r = await this.searchAs({ ...query, filters: attempt.filters }, attempt.query, now);
        if (r.total > 0) return { ...r, ...resultNotes(u, attempt) };
        first ??= { ...r, ...resultNotes(u, u.attempts[0]!) };
      }
      return first!;
    });
  }

  /**
   * Suggestions: the two standing rankings (in force, then the others) with `limit` and nothing
   * else — no facets, no exhaustive total (Meilisearch stops at the limit and estimates) — and
   * the dictionary's completions from the in-process lexicon, as the embedded engine answers.
   */
  async lookup(q: string, o: { limit: number; words: number; now?: Date }): Promise<PrefixLookup> {
    return this.guard(async () => {
      const now = (o.now ?? new Date()).getTime();
      const a = analyzeQuery(q);
      const words = isCjk(a.compact) ? this.lexicon.complete(a.compact, o.words) : [];
      const query: SearchQuery = { q, filters: {}, sort: 'relevance', page: 1, pageSize: o.limit, facets: false };
      const plan = this.plan(query, a, now);
      const ranked = this.rankedQueries(query, plan, now);
      if (!ranked) return { hits: [], words };
      const res = await this.multi(ranked([], { retrieve: DOC_FIELDS, limit: o.limit }));
      const also = highlightVariants(a, this.synonyms);
      const hits = mergeByStanding(res(0).hits, res(1).hits)
        .slice(0, o.limit)
        .map((h) => this.hitOf(h, a, also, now));
      return { hits, words };
    });
  }

  /** One attempt: the query `a` with the query's filters. */
  private async searchAs(query: SearchQuery, a: AnalyzedQuery, now: number): Promise<SearchResult> {
    const plan = this.plan(query, a, now);
    if (query.group === 'brand' && query.filters.kind === undefined && plan.base.q !== '') return this.searchBrands(query, a, now, plan);
    const { base, filterFor, withFilter, sort } = plan;

    const ranked = this.rankedQueries(query, plan, now);
    const main: MultiSearchQuery = {
      ...base,
      ...withFilter(filterFor()),
      page: Math.max(1, Math.floor(query.page)),
      // Split by standing, the page comes from the two rankings (added last); this one counts.
      hitsPerPage: ranked ? 0 : Math.max(0, Math.floor(query.pageSize)),
      attributesToRetrieve: DOC_FIELDS,
    };
    if (sort) main.sort = sort;
    const queries: MultiSearchQuery[] = [main];
    /** Which response holds each facet's counts. */
    const facetSource = new Map<FacetName, number>();
    let expiredSource = -1;
    if (query.facets) {
      const own: string[] = [];
      for (const f of FACETS) {
        if (query.filters[f] === undefined) {
          own.push(FACET_ATTR[f]);
          facetSource.set(f, 0);
        } else {
          // Disjunctive: a filtered facet is counted with every filter but its own.
          facetSource.set(f, queries.length);
          queries.push({ ...base, ...withFilter(filterFor(f)), facets: [FACET_ATTR[f]], page: 1, hitsPerPage: 0 });
        }
      }
      if (own.length) main.facets = own;
      // Stored status cannot say 过期: count the expired certificates the status facet covers.
      expiredSource = queries.length;
      queries.push({ ...base, filter: [...filterFor('status'), expiredClause(now)].join(' AND '), page: 1, hitsPerPage: 0 });
    }

    const split = queries.length;
    if (ranked) queries.push(...ranked(filterFor(), { retrieve: DOC_FIELDS, limit: query.page * query.pageSize }));
    const res = await this.multi(queries);
    const first = res(0);
    const facets = query.facets ? entryFacets(facetSource, res, expiredSource) : {};
    const also = highlightVariants(a, this.synonyms);
    const page = ranked ? mergeByStanding(res(split).hits, res(split + 1).hits).slice((query.page - 1) * query.pageSize) : first.hits;
    const hits = page.map((h) => this.hitOf(h, a, also, now));
    return { hits, total: first.totalHits ?? first.estimatedTotalHits ?? hits.length, facets };
  }

  /**
   * For relevance order with words: a maker of the two rankings mergeByStanding() combines — the
   * query's matches in force at `now`, and the others — each from its first hit to `limit`.
   * Meilisearch cannot rank by standing itself: whether a certificate is in force depends on
   * the date of the search, and a ranking rule reads stored values. Null for the other orders.
   */
  private rankedQueries(query: SearchQuery, plan: ReturnType<MeiliSearchIndex['plan']>, now: number) {
    if (query.sort !== 'relevance' || plan.base.q === '') return null;
    const live = inForceClause(now);
    return (clauses: string[], o: { retrieve: string[]; limit: number; distinct?: string }): MultiSearchQuery[] =>
      [live, `NOT ${live}`].map((standing) => ({
        ...plan.base,
        filter: [...clauses, standing].join(' AND '),
        offset: 0,
        limit: Math.max(0, Math.floor(o.limit)),
        showRankingScore: true,
        attributesToRetrieve: o.retrieve,
        ...(o.distinct ? { distinct: o.distinct } : {}),
      }));
  }

  /** What every request of an attempt shares: the query, the filters but some, the sort. */
  private plan(query: SearchQuery, a: AnalyzedQuery, now: number) {
    const q = meiliQuery(a, this.synonyms);
    const base: MultiSearchQuery = { indexUid: this.uid, q, matchingStrategy: 'all' };
    const on = searchOn(a, this.synonyms);
    if (on) base.attributesToSearchOn = on;
    if (a.runs.some(isCjk)) base.locales = ['cmn'];

    /** The query's filter clauses, but those of `skip`. */
    const filterFor = (...skip: FacetName[]): string[] => {
      const clauses: string[] = [];
      for (const f of FACETS) {
        const v = query.filters[f];
        if (v !== undefined && !skip.includes(f)) clauses.push(facetClause(f, v, now));
      }
      return clauses;
    };
    const withFilter = (clauses: string[]): Pick<MultiSearchQuery, 'filter'> => (clauses.length ? { filter: clauses.join(' AND ') } : {});

    let sort: string[] | undefined;
    if (query.sort === 'updated' || (query.sort === 'relevance' && q === '')) sort = ['updatedAt:desc'];
    else if (query.sort === 'name') sort = ['namePy:asc'];
    return { base, filterFor, withFilter, sort };
  }

  /** Sends one multi-search; the result reads the answer to each query by its position. */
  private async multi(queries: MultiSearchQuery[]): Promise<(i: number) => MultiSearchResult<MeiliDoc>> {
    const { results } = await (await this.searchClient()).multiSearch<{ queries: MultiSearchQuery[] }, MeiliDoc>({ queries });
    return (i) => {
      const r = results[i];
      if (!r) throw new Error(`Meilisearch multi-search returned ${results.length} results for ${queries.length} queries`);
      return r;
    };
  }

  private hitOf(h: MeiliDoc, a: AnalyzedQuery, also: AnalyzedQuery[], now: number) {
    const doc = pickDoc(h);
    return toHit(doc, effectiveStatus(doc.kind, doc.status, doc.expiresAt, now), a, also);
  }

  /**
   * One attempt grouped by brand (SearchQuery.group). Two round trips of one multi-search each:
   *
   * 1. The page's brands: the query with `distinct: slug` (one hit per brand, the best-ranked;
   *    totalHits counts brands). With facets, the entry counts of every facet as ungrouped
   *    (the registry facet keeps them: choosing a registry lists entries), which also name the
   *    values present.
   *    The brand's own facets (district, sector) from a `distinct` query's facetDistribution.
   * 2. The page's brands' entries (`slug IN [...]`, in rank order), and, per value of tier, status
   *    and Nice class, the number of brands with a matching entry having it: a `distinct` query's
   *    totalHits under that value's filter. Not the facetDistribution of a `distinct` query:
   *    Meilisearch counts that over one document per brand, so a brand whose entries differ in
   *    such a facet would count under one value only (exact only for the brand's own facets).
   */
  private async searchBrands(query: SearchQuery, a: AnalyzedQuery, now: number, plan: ReturnType<MeiliSearchIndex['plan']>): Promise<SearchResult> {
    const { base, filterFor, withFilter, sort } = plan;
    const all = filterFor();
    const ranked = this.rankedQueries(query, plan, now);
    const main: MultiSearchQuery = {
      ...base,
      ...withFilter(all),
      distinct: 'slug',
      page: Math.max(1, Math.floor(query.page)),
      hitsPerPage: ranked ? 0 : Math.max(0, Math.floor(query.pageSize)),
      attributesToRetrieve: ['slug'],
    };
    if (sort) main.sort = sort;
    const queries: MultiSearchQuery[] = [main];
    const facetSource = new Map<FacetName, number>();
    let expiredSource = -1;
    if (query.facets) {
      const own: string[] = [];
      for (const f of FACETS) {
        if (query.filters[f] === undefined) {
          own.push(FACET_ATTR[f]);
          facetSource.set(f, 1);
        } else {
          facetSource.set(f, queries.length + 1);
          queries.push({ ...base, ...withFilter(filterFor(f)), facets: [FACET_ATTR[f]], page: 1, hitsPerPage: 0 });
        }
      }
      queries.splice(1, 0, { ...base, ...withFilter(all), facets: own, page: 1, hitsPerPage: 0 });
      expiredSource = queries.length;
      queries.push({ ...base, filter: [...filterFor('status'), expiredClause(now)].join(' AND '), page: 1, hitsPerPage: 0 });
    }
    // Brand facets (district, sector: the same on every entry of a brand) are counted exactly by
    // a distinct query's facetDistribution, one document per brand: with every filter but its own.
    const brandFacetSource = new Map<FacetName, number>();
    if (query.facets) {
      const own = BRAND_FACETS.filter((f) => query.filters[f] === undefined);
      if (own.length) {
        for (const f of own) brandFacetSource.set(f, queries.length);
        queries.push({ ...base, ...withFilter(all), distinct: 'slug', facets: own.map((f) => FACET_ATTR[f]), page: 1, hitsPerPage: 0 });
      }
      for (const f of BRAND_FACETS.filter((f) => query.filters[f] !== undefined)) {
        brandFacetSource.set(f, queries.length);
        queries.push({ ...base, ...withFilter(filterFor(f)), distinct: 'slug', facets: [FACET_ATTR[f]], page: 1, hitsPerPage: 0 });
      }
    }
    const split = queries.length;
    if (ranked) queries.push(...ranked(all, { retrieve: ['slug'], limit: query.page * query.pageSize, distinct: 'slug' }));
    const first = await this.multi(queries);
    const top = first(0);
    const order = ranked ? mergeByStanding(first(split).hits, first(split + 1).hits) : top.hits;
    // Merged, a brand may come twice (an entry in force, one not): the first is its rank.
    const slugs = [...new Set(order.map((h) => h.slug))].slice(
      ranked ? (query.page - 1) * query.pageSize : 0,
      ranked ? query.page * query.pageSize : undefined,
    );
    const present = query.facets ? entryFacets(facetSource, first, expiredSource) : {};

    // Round 2: the page's entries, and a brand count per facet value.
    const second: MultiSearchQuery[] = [];
    const mine = [...all, `slug IN [${slugs.map(lit).join(', ')}]`];
    const entryQueries = !slugs.length ? 0 : ranked ? 2 : 1;
    if (slugs.length && ranked) second.push(...ranked(mine, { retrieve: DOC_FIELDS, limit: slugs.length * BRAND_ENTRIES_MAX }));
    else if (slugs.length) {
      const entries: MultiSearchQuery = {
        ...base,
        filter: mine.join(' AND '),
        page: 1,
        hitsPerPage: slugs.length * BRAND_ENTRIES_MAX,
        attributesToRetrieve: DOC_FIELDS,
      };
      if (sort) entries.sort = sort;
      second.push(entries);
    }
    const counted: Array<[FacetName, string]> = [];
    for (const f of FACETS) {
      if (f === 'kind' || BRAND_FACETS.includes(f)) continue;
      for (const { value } of present[f] ?? []) {
        counted.push([f, value]);
        second.push({ ...base, filter: [...filterFor(f), facetClause(f, value, now)].join(' AND '), distinct: 'slug', page: 1, hitsPerPage: 0 });
      }
    }
    const res = second.length ? await this.multi(second) : null;

    const also = highlightVariants(a, this.synonyms);
    const bySlug = new Map<string, BrandHit>(slugs.map((slug) => [slug, { slug, entries: [] }]));
    if (res && slugs.length)
      for (const h of entryQueries === 2 ? mergeByStanding(res(0).hits, res(1).hits) : res(0).hits) {
        const b = bySlug.get(h.slug);
        if (b && b.entries.length < BRAND_ENTRIES_MAX) b.entries.push(this.hitOf(h, a, also, now));
      }
    // A brand whose entries changed between the two requests may come back empty: left out.
    const brands = [...bySlug.values()].filter((b) => b.entries.length > 0);

    const facets: SearchResult['facets'] = {};
    if (query.facets && res) {
      const offset = entryQueries;
      const counts = new Map<FacetName, Record<string, number>>();
      counted.forEach(([f, value], i) => {
        const m = counts.get(f) ?? {};
        m[value] = res(offset + i).totalHits ?? 0;
        counts.set(f, m);
      });
      for (const f of FACETS) facets[f] = f === 'kind' ? (present.kind ?? []) : sortFacet(counts.get(f) ?? {}, f === 'nice');
    } else if (query.facets) {
      for (const f of FACETS) facets[f] = f === 'kind' ? (present.kind ?? []) : [];
    }
    for (const [f, i] of brandFacetSource) facets[f] = sortFacet({ ...(first(i).facetDistribution?.[FACET_ATTR[f]] ?? {}) }, false);
    return {
      hits: brands.map((b) => b.entries[0]!),
      brands,
      total: top.totalHits ?? top.estimatedTotalHits ?? brands.length,
      facets,
    };
  }

  // --- internals -------------------------------------------------------------------------------

  private resolvedSearchKey: string | null = null;

  /** The search-only client: the configured key, else the server's search-only key. */
  private searchClient(): Promise<Meilisearch> {
    if (!this.reader) {
      this.reader = (async () => {
        const key = this.searchKey ?? (await this.findSearchKey());
        this.resolvedSearchKey = key;
        return new Meilisearch({ ...this.config, apiKey: key });
      })();
      // A failed look-up (server down) is tried again on the next search.
      this.reader.catch(() => {
        this.reader = null;
      });
    }
    return this.reader;
  }

  /** A key whose only action is `search`, on every index or on ours, and not expired. */
  private async findSearchKey(): Promise<string> {
    let results: Awaited<ReturnType<Meilisearch['getKeys']>>['results'];
    try {
      ({ results } = await this.admin.getKeys({ limit: 1000 }));
    } catch (err) {
      // A server without a master key (local experiments) has no keys at all: nothing to protect.
      if (err instanceof MeilisearchApiError && err.cause?.code === 'missing_master_key') return '';
      throw err;
    }
    const now = Date.now();
    const key = results.find(
      (k) =>
        k.actions.length === 1 &&
        k.actions[0] === 'search' &&
        (k.indexes.includes('*') || k.indexes.includes(this.uid)) &&
        (!k.expiresAt || new Date(k.expiresAt).getTime() > now),
    );
    if (!key) throw new Error('Meilisearch has no search-only API key for public search: create one (actions: ["search"]) and set MEILI_SEARCH_KEY');
    return key.key;
  }

  /** Throws when the configured search key may list API keys, i.e. is not a search-only key. */
  private async refuseAdminSearchKey(): Promise<void> {
    const probe = new Meilisearch({ ...this.config, apiKey: this.searchKey! });
    try {
      await probe.getKeys({ limit: 1 });
    } catch (err) {
      if (err instanceof MeilisearchApiError && (err.response.status === 401 || err.response.status === 403)) return;
      throw err;
    }
    throw new Error('MEILI_SEARCH_KEY can manage API keys: public search needs a search-only key (actions: ["search"])');
  }

  /** Runs `fn` after the previous write queued for `uid` has settled. */
  private async serial<T>(uid: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(uid) ?? Promise.resolve()).then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(uid, tail);
    try {
      return await run;
    } finally {
      if (this.queues.get(uid) === tail) this.queues.delete(uid);
    }
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw mapError(err);
    }
  }

  /** Waits for the task and throws unless it succeeded. */
  private async waitOk(enqueued: EnqueuedTaskPromise, what: string): Promise<Task> {
    const task = await enqueued.waitTask();
    if (task.status !== 'succeeded') throw taskError(task, what);
    return task;
  }

  private async ensureIndex(uid: string): Promise<void> {
    let primaryKey: string | undefined;
    try {
      primaryKey = (await this.admin.getRawIndex(uid)).primaryKey ?? undefined;
    } catch (err) {
      if (!isIndexNotFound(err)) throw err;
      const task = await this.admin.createIndex(uid, { primaryKey: PK }).waitTask();
      // Another instance may have created it meanwhile.
      if (task.status !== 'succeeded' && task.error?.code !== 'index_already_exists') throw taskError(task, `create index ${uid}`);
      return;
    }
    if (primaryKey === undefined) await this.waitOk(this.admin.updateIndex(uid, { primaryKey: PK }), `set primary key of ${uid}`);
    else if (primaryKey !== PK) throw new Error(`Meilisearch index ${uid} has primary key '${primaryKey}', expected '${PK}': rebuild it under another name`);
  }

  private async applySettings(uid: string): Promise<void> {
    await this.waitOk(this.admin.index(uid).updateSettings(SETTINGS), `settings of ${uid}`);
  }

  private async readVersions(uid: string, ids: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const index = this.admin.index<MeiliDoc>(uid);
    for (const chunk of chunks([...new Set(ids)], VERSION_CHUNK)) {
      const res = await index.getDocuments({
        filter: `${PK} IN [${chunk.map((id) => lit(toPk(id))).join(', ')}]`,
        fields: ['id', 'version'],
        limit: chunk.length,
      });
      for (const d of res.results) out.set(d.id, d.version);
    }
    return out;
  }

  /** Adds documents, skipping any whose stored version is newer. Call inside serial(uid). */
  private async writeDocs(uid: string, docs: SearchDoc[], lexicon: Lexicon): Promise<void> {
    if (docs.length === 0) return;
    // Within a batch the last of equal versions wins, as in sequential writes.
    const latest = new Map<string, SearchDoc>();
    for (const d of docs) {
      const prev = latest.get(d.id);
      if (!prev || d.version >= prev.version) latest.set(d.id, d);
    }
    const held = await this.readVersions(uid, [...latest.keys()]);
    const toWrite = [...latest.values()].filter((d) => !((held.get(d.id) ?? -Infinity) > d.version)).map((d) => toMeiliDoc(d, this.synonyms));
    const index = this.admin.index<MeiliDoc>(uid);
    // Enqueue every chunk, then wait in order (Meilisearch batches consecutive additions).
    const pending: EnqueuedTaskPromise[] = [];
    for (const chunk of chunks(toWrite, ADD_CHUNK)) {
      const p = index.addDocuments(chunk, { primaryKey: PK });
      await p; // enqueue in order
      pending.push(p);
    }
    for (const p of pending) await this.waitOk(p, `add documents to ${uid}`);
    lexicon.addDocs(toWrite);
  }

  private async removeDocs(uid: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.waitOk(this.admin.index<MeiliDoc>(uid).deleteDocuments([...new Set(ids)].map(toPk)), `delete documents from ${uid}`);
  }
}
