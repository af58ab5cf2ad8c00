/**
 * `npm run user:create -- --email a@b.gov.cn --role editor [--name 名字] [--reset-password]`
 *
 * Creates a back-office account (or, with --reset-password, sets a new password on an existing
 * one and unlocks it). The password comes from the USER_PASSWORD environment variable or a hidden
 * prompt asked twice — never from the command line, where it would stay in the shell history and
 * in `ps`. Connects to MONGODB_URI, or else to the local demo database that `npm run demo` uses.
 *
 * Exit codes: 0 done · 64 bad arguments · 65 refused (account exists, weak password…) ·
 * 78 configuration · 1 anything else.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { EMAIL_PATTERN } from '../src/accounts/model.js';
import { ROLES } from '../src/accounts/roles.js';
import { isOneOf } from '../src/platform/guards.js';
import { createUser, normalizeEmail, passwordProblems, setPassword } from '../src/accounts/service.js';
import { ChainWriter } from '../src/audit/index.js';
import { loadConfigOrExit } from '../src/config/index.js';
import { connectDatabase, disconnectDatabase } from '../src/platform/db/index.js';
import { AppError } from '../src/platform/errors.js';
import { NoDatabaseNameError, scriptDatabase, type LocalMongo } from '../src/platform/local-mongo.js';

const USAGE = `usage: npm run user:create -- --email <address> --role <admin|editor|viewer> [--name <name>] [--reset-password]
  password: set USER_PASSWORD, or type it at the hidden prompt (asked twice)`;

function fail(code: number, message: string): never {
  console.error(message);
  process.exit(code);
}

let args: { email?: string; role?: string; name?: string; 'reset-password'?: boolean; help?: boolean };
try {
  args = parseArgs({
    options: {
      email: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
      'reset-password': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
} catch (err) {
  const message = (err as Error).message;
  const note = /--password\b/.test(message) ? '\npasswords are never taken from the command line (shell history, ps): use USER_PASSWORD or the prompt' : '';
  fail(64, `${message}${note}\n${USAGE}`);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const email = normalizeEmail(args.email ?? '');
const reset = args['reset-password'] === true;
if (!email || !EMAIL_PATTERN.test(email)) fail(64, `--email is missing or not an e-mail address\n${USAGE}`);
if (!reset && !isOneOf(ROLES, args.role)) fail(64, `--role must be one of: ${ROLES.join(', ')}\n${USAGE}`);

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    let value = '';
    const finish = () => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stdout.write('\n');
    };
    const onData = (chunk: string) => {
      for (const c of chunk) {
        if (c === '\r' || c === '\n') return (finish(), resolve(value));
        if (c === '\u0003' || c === '\u0004') return (finish(), reject(new Error('cancelled')));
        if (c === '\u007f' || c === '\b') value = [...value].slice(0, -1).join('');
        else if (c >= ' ') value += c;
      }
    };
    // Echo off before the question appears, so nothing typed early is shown.
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
    process.stdout.write(question);
  });
}

async function readPassword(): Promise<string> {
  const fromEnv = process.env.USER_PASSWORD;
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) fail(64, 'no password: set USER_PASSWORD or run in a terminal to be asked for it');
  const first = await promptHidden('password (not shown): ');
  const problems = passwordProblems(first, email);
  if (problems.length) fail(65, `password refused: ${problems[0]!.messageEn}`);
  const second = await promptHidden('the same password again: ');
  if (first !== second) fail(65, 'the two passwords differ; nothing was changed');
  return first;
}

const config = loadConfigOrExit({ LOG_LEVEL: 'warn', ...process.env });
let password: string;
try {
  password = await readPassword();
} catch {
  fail(1, 'cancelled; nothing was changed');
}
const refused = passwordProblems(password, email);
if (refused.length) fail(65, `password refused: ${refused[0]!.messageEn}`);

let mongo: LocalMongo | null = null;
let code = 0;
try {
  const db = await scriptDatabase({ uri: config.MONGODB_URI, dataDir: config.DATA_DIR });
  mongo = db.mongo;
  if (mongo) console.log(db.description);
  await connectDatabase(db.uri, db.dbName);
  const actor = `cli:${os.userInfo().username}`;
  // This process's appender for the account event: it races a running app's appender for the
  // chain's next position like any other writer, so the chain stays one line.
  const audit = new ChainWriter();
  if (reset) {
    await setPassword(audit, email, password, actor);
    console.log(`new password set for ${email}; the account is unlocked and its other sessions end`);
  } else {
    const user = await createUser(audit, { email, role: args.role!, name: args.name ?? '', password }, actor);
    console.log(`created ${user.role} account ${user.email}${user.name ? ` (${user.name})` : ''}; sign in at /admin/login`);
  }
} catch (err) {
  if (err instanceof NoDatabaseNameError) {
    console.error(err.message);
    code = 78;
  } else if (err instanceof AppError && ['validation_failed', 'not_found', 'bad_request'].includes(err.code)) {
    const detail = err.fields.length ? err.fields.map((f) => `${f.field}: ${f.messageEn}`).join('; ') : err.messageEn;
    const hint = err.fields.some((f) => f.field === 'email' && /already exists/.test(f.messageEn)) ? ' (use --reset-password to set a new password)' : '';
    console.error(`refused: ${detail}${hint}`);
    code = 65;
  } else {
    console.error(`user:create failed: ${(err as Error).message}`);
    code = 1;
  }
} finally {
  await disconnectDatabase().catch(() => undefined);
  await mongo?.stop().catch(() => undefined);
}
process.exit(code);
