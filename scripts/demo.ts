/**
 * `npm run demo`: the whole product on its embedded default. Uses MONGODB_URI when set, otherwise
 * a local `mongod` or FerretDB (built once); loads the demo data; serves http://localhost:3000
 * with the embedded search engine. Ctrl-C stops the server and the database.
 *
 * The site answers as soon as the server is up; the demo accounts are printed then, and the
 * demo data is filled in after, with a progress line every tenth of the brands. The data set only
 * fills in what is missing, so a restart keeps the regulators' edits (src/demo/seed.ts).
 * PUBLIC_BASE_URL (QR codes, JSON-LD, the /api examples) follows HOST and PORT unless it is set.
 *
 * It also (re)creates three demo accounts, admin@demo.local, editor@demo.local and
 * viewer@demo.local, with passwords generated afresh at every start and printed below the URL.
 * Only this script does that: a real deployment creates accounts with `npm run user:create`.
 *
 * `npm run demo -- --meili` (or DEMO_MEILI=1) runs it on the production engine instead: it starts
 * the Meilisearch binary (MEILI_BIN, else ../shared/bin/meilisearch) on 127.0.0.1 with its data
 * in DATA_DIR/meili, kept between runs, and stops it with the rest. With MEILI_URL set, that
 * server is used and nothing is started.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ensureAccount, hashPassword, normalizeEmail, setDuties } from '../src/accounts/service.js';
import { User, publicUser } from '../src/accounts/model.js';
import { Enterprise } from '../src/applications/model.js';
import { Brand } from '../src/registries/models.js';
import type { Role } from '../src/accounts/roles.js';
import { loadConfigOrExit, localBaseUrl } from '../src/config/index.js';
import { seedDemo, seedSummary } from '../src/demo/seed.js';
import { boot, type Running } from '../src/main.js';
import { NoDatabaseNameError, scriptDatabase, type LocalMongo } from '../src/platform/local-mongo.js';
import { startMeiliServer, type MeiliServer } from '../src/platform/meili-server.js';

const started = Date.now();
const env: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn', ...process.env };
// The addresses the site prints (QR codes, JSON-LD, /api examples) are the ones it listens on.
env.PUBLIC_BASE_URL = localBaseUrl(env);
let config = loadConfigOrExit(env);
const wantMeili = process.argv.slice(2).includes('--meili') || ['1', 'true'].includes(process.env.DEMO_MEILI ?? '');
let meili: MeiliServer | null = null;
let mongo: LocalMongo | null = null;
let running: Running | null = null;
let stopping = false;

/**
 * Ctrl-C: the app gets SHUTDOWN_TIMEOUT_SECONDS to stop (as `npm start` does), then the local
 * database and search servers are stopped whatever happened, so no child process outlives the
 * demo. A second Ctrl-C skips the wait.
 */
async function shutdown(code: number): Promise<void> {
  if (stopping) {
    console.log('stopping now');
    await Promise.allSettled([mongo?.stop(), meili?.stop()]);
    process.exit(1);
  }
  stopping = true;
  console.log('\nstopping…');
  const bound = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), config.SHUTDOWN_TIMEOUT_SECONDS * 1000).unref());
  const stopped = await Promise.race([running?.stop().catch((err: unknown) => console.error(err)), bound]);
  if (stopped === 'late') console.error(`the app did not stop within ${config.SHUTDOWN_TIMEOUT_SECONDS} s; stopping the database anyway`);
  await mongo?.stop().catch((err: unknown) => console.error(err));
  await meili?.stop().catch((err: unknown) => console.error(err));
  process.exit(stopped === 'late' ? 1 : code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  let db;
  try {
    db = await scriptDatabase({ uri: config.MONGODB_URI, dataDir: config.DATA_DIR, log: (line) => console.log(line) });
  } catch (err) {
    if (!(err instanceof NoDatabaseNameError)) throw err;
    console.error(err.message);
    process.exit(78);
  }
  mongo = db.mongo;
  if (wantMeili && !config.MEILI_URL) {
    meili = await startMeiliServer({ dataDir: path.join(config.DATA_DIR, 'meili') });
    config = loadConfigOrExit({ ...env, MEILI_URL: meili.url, MEILI_MASTER_KEY: meili.masterKey });
    console.log(
      `meilisearch: v${meili.version} at ${meili.url} (data in ${path.join(config.DATA_DIR, 'meili')}, kept between runs; master key new at each start)`,
    );
  }
  running = await boot(config, { mongoUri: db.uri, dbName: db.dbName, migrations: 'run' });
  const accounts: Array<[Role, string]> = [];
  const names: Record<Role, string> = { admin: '演示管理员', editor: '演示编辑', viewer: '演示只读' };
  for (const role of ['admin', 'editor', 'viewer'] as const) {
    const password = randomBytes(12).toString('base64url');
    await ensureAccount(running.auditTrail, { email: `${role}@demo.local`, name: names[role], role, password }, 'demo-script');
    accounts.push([role, password]);
  }
  const secs = () => ((Date.now() - started) / 1000).toFixed(1);
  console.log(`open ${running.url}  (answering after ${secs()} s; Ctrl-C to stop; ${running.url}/readyz shows the search engine's health and lag)`);
  console.log(`back office: ${running.url}/admin/login — demo accounts (passwords are new at each start):`);
  for (const [role, password] of accounts) console.log(`  ${`${role}@demo.local`.padEnd(20)} ${password}`);
  console.log('filling in the demo data (what exists already is left as it is)…');
  const report = await seedDemo(undefined, { onProgress: (p) => console.log(`  ${p.line}`) });
  console.log(`demo data: ${seedSummary(report)}; indexing for search…`);
  // The workflows: the demo editor holds every review duty (区级/市级/专家), so one account can walk
  // an application through the chain; an enterprise account for 武商 (a listed 武汉老字号) can
  // apply and send a re-review self-report. Its password is new at each start, like the others.
  const admin = await User.findOne({ email: 'admin@demo.local' }).lean();
  const editor = await User.findOne({ email: 'editor@demo.local' }).lean();
  if (admin && editor) await setDuties(running.auditTrail, publicUser(admin), String(editor._id), ['district', 'city', 'expert']);
  const wushang = await Brand.findOne({ slug: 'wushang' }, { creditCode: 1, company: 1 }).lean();
  if (wushang?.creditCode) {
    const password = randomBytes(12).toString('base64url');
    const email = normalizeEmail('enterprise@demo.local');
    await Enterprise.updateOne(
      { email },
      {
        $set: {
          passwordHash: await hashPassword(password),
          company: wushang.company || '武商集团股份有限公司',
          creditCode: wushang.creditCode,
          disabled: false,
          failedLogins: 0,
          lockedUntil: null,
          passwordChangedAt: new Date(),
        },
        $setOnInsert: {
          email,
          contactName: '演示企业联系人',
          phone: '',
          emailVerifiedAt: new Date(),
          verifyTokenHash: null,
          verifyExpiresAt: null,
          version: 1,
        },
      },
      { upsert: true },
    );
    console.log(`enterprise applications: ${running.url}/apply/login — ${email.padEnd(22)} ${password}  (武商; the editor holds every review duty)`);
  }
  await running.sync.drain();
  const stats = await running.index.stats();
  console.log(`ready in ${secs()} s: ${stats.documents} entries searchable; database: ${mongo ? mongo.engine : 'external'}; search: ${running.index.name}`);
} catch (err) {
  console.error(`demo failed: ${(err as Error).message}`);
  await shutdown(1);
}
