/**
 * One typed configuration object, read from the environment and validated once at start-up.
 * Every problem is reported at once, one line per variable, and the process exits non-zero.
 */
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3000),
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:3000'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
    .optional(),
  /** Where the local stack keeps its database files when it runs its own server. */
  DATA_DIR: z.string().min(1).default('.data'),
  MEILI_URL: z.url({ protocol: /^https?$/ }).optional(),
  MEILI_MASTER_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  MEILI_SEARCH_KEY: z.string().min(1).optional(),
  /** JSON file with synonym groups (an array of arrays of terms); defaults in src/search/synonyms.ts. */
  SEARCH_SYNONYMS_FILE: z.string().min(1).optional(),
  MEILI_INDEX: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'letters, digits, - and _ only')
    .default('brands'),
  /** Embedded search: SQLite file, or ":memory:". */
  SEARCH_INDEX_PATH: z.string().min(1).optional(),
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  /** Changes waiting for the search index above which /readyz answers 503 (0: no limit). */
  READY_MAX_LAG: z.coerce.number().int().min(0).max(100_000_000).default(10_000),
  TRUST_PROXY: bool.default(false),
  RATE_LIMIT_SEARCH_PER_MIN: z.coerce.number().int().min(1).max(100_000).default(120),
  /** Certificate checks (/verify pages, QR codes, the certificate API) per client per minute. */
  RATE_LIMIT_VERIFY_PER_MIN: z.coerce.number().int().min(1).max(1_000_000).default(60),
  /**
   * Several instances behind one address: the search and verify limits are counted in memory and
   * synchronised through MongoDB every few seconds, so the instances agree. Off: each instance
   * counts on its own, with no database work per request.
   */
  RATE_LIMIT_SHARED: bool.default(false),
  /**
   * Seconds a public GET answer may be served from memory (src/platform/page-cache.ts); every write
   * applied here and every sync pass clears it at once. 0 turns it off.
   */
  PAGE_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
  /** Signs back-office session cookies; required (≥ 32 characters) in production. */
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** A back-office session ends after this many minutes without a request. */
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  /** Failed sign-ins in a row before an account is locked for LOGIN_LOCK_MINUTES. */
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  LOGIN_LOCK_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(15),
  /** Failed sign-in attempts per client per 15 minutes (whatever the account). */
  RATE_LIMIT_LOGIN_PER_15MIN: z.coerce.number().int().min(1).max(100_000).default(20),
  /** Largest spreadsheet accepted by the back-office import, in MiB. */
  IMPORT_MAX_MB: z.coerce.number().int().min(1).max(2048).default(200),
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Parses and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings in .env files mean "not set".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map(
      (i) => `config: ${i.path.join('.')} ${JSON.stringify(cleaned[String(i.path[0])] ?? null)} is invalid: ${i.message}`,
    );
    throw new ConfigError(problems);
  }
  const cfg = result.data;
  if (cfg.MEILI_URL && !cfg.MEILI_MASTER_KEY) {
    throw new ConfigError(['config: MEILI_MASTER_KEY is required when MEILI_URL is set']);
  }
  if (cfg.NODE_ENV === 'production' && !cfg.SESSION_SECRET) {
    throw new ConfigError(['config: SESSION_SECRET is required in production (at least 32 random characters)']);
  }
  return cfg;
}

/** loadConfig for entry points: prints the problems and exits with status 78 (EX_CONFIG). */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) console.error(p);
      process.exit(78);
    }
    throw err;
  }
}
