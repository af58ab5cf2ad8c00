/**
 * `npm run import -- --registry directory --file path.xlsx [--dry-run] [--actor name]`
 *
 * Imports a CSV or XLSX file into one registry of MONGODB_URI (else the local demo database) through the registry service (so
 * the audit trail and the running app's search sync see every write). With --dry-run nothing is
 * written: the problems are listed (row, column, message) and the would-be counts printed.
 * Exit status: 0 when every row is fine, 1 when rows have problems (or were rejected), 64 on
 * bad usage, 78 on bad configuration.
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfigOrExit } from '../src/config/index.js';
import { ChainWriter } from '../src/audit/index.js';
import { runImport, type Problem } from '../src/imports/engine.js';
import { connectDatabase, disconnectDatabase } from '../src/platform/db/index.js';
import { KINDS, type Kind } from '../src/registries/reference.js';
import { openScriptDatabase } from './database.js';
import { progressLine } from './progress.js';

const usage = `usage: npm run import -- --registry <${KINDS.join('|')}> --file <path.csv|path.xlsx> [--dry-run] [--actor name] [--lang en]`;
let values;
try {
  ({ values } = parseArgs({
    options: {
      registry: { type: 'string' },
      file: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      actor: { type: 'string' },
      lang: { type: 'string', default: 'zh' },
    },
  }));
} catch (err) {
  console.error(`${(err as Error).message}\n${usage}`);
  process.exit(64);
}
const registry = values.registry as Kind;
if (!KINDS.includes(registry) || !values.file) {
  console.error(usage);
  process.exit(64);
}
if (!existsSync(values.file)) {
  console.error(`import: no such file: ${values.file}`);
  process.exit(64);
}
const en = values.lang === 'en';
const config = loadConfigOrExit();
const actor = values.actor || `cli:${process.env.USER ?? 'unknown'}`;
const dryRun = values['dry-run'];
const fileName = path.basename(values.file);

const db = await openScriptDatabase(config);
await connectDatabase(db.uri, db.dbName);
const started = Date.now();
let lastDraw = 0;
const tty = process.stderr.isTTY;
const line = (p: Problem) => {
  const where = p.row === 0 ? (en ? 'file' : '文件') : `${en ? 'row' : '第'} ${p.row}${en ? '' : ' 行'}`;
  return `${where}\t${p.column || '-'}\t${en ? p.messageEn : p.message}`;
};
let clearBar = false;
const summary = await runImport({
  registry,
  file: values.file,
  fileName,
  dryRun,
  actor,
  audit: new ChainWriter(),
  onProblem: (p) => {
    if (clearBar) process.stderr.write('\r\x1b[K');
    clearBar = false;
    process.stdout.write(`${line(p)}\n`);
  },
  onProgress: (p) => {
    const now = Date.now();
    if (now - lastDraw < 250) return;
    lastDraw = now;
    if (tty) {
      process.stderr.write(progressLine(p.bytes, p.totalBytes, started, `bytes · ${p.rows} rows · ${p.phase}`));
      clearBar = true;
    }
  },
});
if (tty) process.stderr.write('\n');
const verb = dryRun ? (en ? 'would be ' : '（预演）') : '';
if (en) {
  console.log(
    `${dryRun ? 'dry run' : 'import'} ${registry} ${fileName}: ${summary.rows} rows — ${verb}created ${summary.created}, ${verb}updated ${summary.updated}, unchanged ${summary.unchanged}, rejected ${summary.rejected}; ${summary.problems} problems; ${summary.seconds.toFixed(1)} s`,
  );
} else {
  console.log(
    `${dryRun ? '预演' : '导入'} ${registry} ${fileName}：共 ${summary.rows} 行 —— ${verb}新建 ${summary.created}，${verb}更新 ${summary.updated}，不变 ${summary.unchanged}，拒绝 ${summary.rejected}；问题 ${summary.problems} 个；用时 ${summary.seconds.toFixed(1)} 秒`,
  );
}
if (summary.unknownColumns.length) {
  console.log(en ? `ignored unknown columns: ${summary.unknownColumns.join(', ')}` : `已忽略无法识别的列：${summary.unknownColumns.join('、')}`);
}
await disconnectDatabase();
await db.mongo?.stop();
process.exit(summary.problems > 0 ? 1 : 0);
