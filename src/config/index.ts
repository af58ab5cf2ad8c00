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
  /** The site's operator (主办单位), shown in every page's footer and the statements. */
  SITE_OPERATOR: z.string().trim().min(1).max(100).default('武汉市市场监督管理局'),
  SITE_OPERATOR_EN: z.string().trim().min(1).max(200).default('Wuhan Administration for Market Regulation'),
  /** How to reach the operator (footer, privacy and accessibility statements): a phone line, an address. */
  SITE_CONTACT: z.string().trim().min(1).max(200).default('12315（市场监管咨询投诉热线）'),
  SITE_CONTACT_EN: z.string().trim().min(1).max(200).default('12315 (market regulation hotline)'),
  /** E-mail for reports (accessibility problems, corrections); shown only when set. */
  SITE_CONTACT_EMAIL: z.email().optional(),
  /** ICP filing number (备案号) shown in the footer when set, e.g. 鄂ICP备xxxxxxxx号. */
  SITE_ICP: z.string().trim().min(1).max(60).optional(),
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
  /** Reports (纠错与举报, POST /report) per client per hour. */
  RATE_LIMIT_REPORT_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(10),
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
  /** A back-office session ends this many hours after sign-in, however active (absolute lifetime). */
  SESSION_MAX_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
  /**
   * SIGINT/SIGTERM: seconds to finish in-flight requests and background passes before the process
   * exits anyway (an orchestrator's own kill usually follows after 30 s).
   */
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(10),
  /**
   * Failed sign-ins in a row for one account from one source (client address) before that pair is
   * backed off (docs/decisions/0011); other sources are not affected.
   */
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  /** The first back-off of a pair, in minutes; each further failure doubles it. */
  LOGIN_LOCK_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(15),
  /** The longest back-off of a pair, in minutes (the doubling stops here). */
  LOGIN_LOCK_MAX_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(24 * 60),
  /**
   * Failed sign-ins per account per clock hour from all sources together above which only sources
   * that signed in to it successfully before (LOGIN_KNOWN_SOURCE_DAYS) are still heard.
   */
  LOGIN_ACCOUNT_MAX_FAILURES_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(100),
  /** How long a source that signed in to an account successfully counts as known for it, in days. */
  LOGIN_KNOWN_SOURCE_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /**
   * Failed sign-in attempts per client per 15 minutes (whatever the account). Over it, a client is
   * refused for the accounts it has failed for; a correct password for any other still works.
   */
  RATE_LIMIT_LOGIN_PER_15MIN: z.coerce.number().int().min(1).max(100_000).default(20),
  /** Largest spreadsheet accepted by the back-office import, in MiB. */
  IMPORT_MAX_MB: z.coerce.number().int().min(1).max(2048).default(200),
  /** Where uploaded pictures are kept (outside the web root; default: $DATA_DIR/media). See src/platform/media-store.ts. */
  MEDIA_DIR: z.string().min(1).optional(),
  /** Largest picture accepted by the back office, in MiB. */
  MEDIA_MAX_MB: z.coerce.number().int().min(1).max(100).default(10),
  /** Keys the audit chain's HMAC (src/audit/keys.ts); required (≥ 32 characters) in production. */
  AUDIT_HMAC_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Retired audit keys, comma-separated: events written under them still verify after a rotation. */
  AUDIT_HMAC_PREVIOUS_KEYS: z
    .string()
    .refine((v) => v.split(',').every((k) => k.trim().length === 0 || k.trim().length >= 32), 'each key must be at least 32 characters')
    .optional(),
  /** JSON-lines file the audit chain's head is anchored to (default: $DATA_DIR/audit-anchors.jsonl). */
  AUDIT_ANCHOR_FILE: z.string().min(1).optional(),
  /** Seconds between two anchors of the audit chain's head (one more is written at shutdown). */
  AUDIT_ANCHOR_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /**
   * Where e-mail alerts are sent (src/alerts): smtp:// or smtps://user:pass@host:port. Unset: the
   * messages are written to $DATA_DIR/outbox and shown at /admin/outbox (demo, development).
   */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s/]+/, 'must start with smtp:// or smtps:// and name a host')
    .optional(),
  /** The From of alert mails. */
  MAIL_FROM: z.string().trim().min(3).max(200).default('武汉市品牌名录 <noreply@localhost>'),
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/**
 * Production runs on nothing that could be a development default: its own session secret, the
 * public address people reach it at (links in QR codes, JSON-LD and the API description; the
 * origin unsafe back-office requests must come from) over https (Secure cookies, HSTS), and a
 * database of its own. Everything missing is named on one line.
 */
function productionProblems(cfg: Config, given: Record<string, unknown>): string[] {
  const missing = [
    ...(cfg.SESSION_SECRET ? [] : ['SESSION_SECRET (at least 32 random characters, e.g. `openssl rand -hex 32`)']),
    ...(cfg.AUDIT_HMAC_KEY ? [] : ['AUDIT_HMAC_KEY (at least 32 random characters, kept outside the database: it keys the audit chain)']),
    ...(given.PUBLIC_BASE_URL ? [] : ['PUBLIC_BASE_URL (the https address of the site)']),
    ...(cfg.MONGODB_URI ? [] : ['MONGODB_URI (mongodb://…/database)']),
  ];
  if (missing.length) {
    return [
      `config: production (the default of \`npm start\`) needs ${missing.join(', ')}; for the local stack use \`npm run demo\`, or set NODE_ENV=development`,
    ];
  }
  if (!cfg.PUBLIC_BASE_URL.startsWith('https://')) {
    return [`config: PUBLIC_BASE_URL ${JSON.stringify(cfg.PUBLIC_BASE_URL)} must be https in production (session cookies are Secure, HSTS is on)`];
  }
  return [];
}

/** Variables whose value is a secret: a message names them and their length, never the value. */
const SECRET_NAME = /SECRET|KEY|PASSWORD|TOKEN/i;

/**
 * A variable's value as a configuration message may show it: secrets hidden, and the password of
 * a URL with credentials (smtps://user:pass@host, mongodb://user:pass@host) replaced by ***.
 */
export function shownValue(name: string, value: unknown): string {
  if (value === undefined || value === null) return 'null';
  const text = String(value);
  if (SECRET_NAME.test(name)) return `(hidden, ${text.length} characters)`;
  return JSON.stringify(text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@\s]*@/i, '$1:***@'));
}

/** Parses and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings in .env files mean "not set".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map(
      (i) => `config: ${i.path.join('.')} ${shownValue(String(i.path[0]), cleaned[String(i.path[0])])} is invalid: ${i.message}`,
    );
    throw new ConfigError(problems);
  }
  const cfg = result.data;
  if (cfg.MEILI_URL && !cfg.MEILI_MASTER_KEY) {
    throw new ConfigError(['config: MEILI_MASTER_KEY is required when MEILI_URL is set']);
  }
  if (cfg.NODE_ENV === 'production') {
    const problems = productionProblems(cfg, cleaned);
    if (problems.length) throw new ConfigError(problems);
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

/**
 * The public address of the local stack (`npm run demo`): PUBLIC_BASE_URL when set, else the one
 * it listens on — http://localhost:<PORT>, or http://<HOST>:<PORT> when HOST names a host — so QR
 * codes, JSON-LD and the /api examples point at the running site.
 */
export function localBaseUrl(env: NodeJS.ProcessEnv): string {
  if (env.PUBLIC_BASE_URL) return env.PUBLIC_BASE_URL;
  const host = !env.HOST || ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost'].includes(env.HOST) ? 'localhost' : env.HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${env.PORT || '3000'}`;
}
