/**
 * `npm run audit:lighthouse [-- flags]`: Lighthouse's accessibility, best-practices and SEO
 * categories for the public pages (issue #14: each ≥ 95), on the mobile and the desktop form
 * factor. A measurement tool, not part of CI (too slow and too noisy there).
 *
 * 1. the site: `--url URL` of one already running, or else the demo stack started here
 *    (scripts/demo.ts in a child process on a free port of 127.0.0.1, its database in a fresh
 *    temporary DATA_DIR, removed afterwards), used once it has indexed the demo data;
 * 2. the pages: home, a search, a brand page, a valid certificate's /verify page (its number
 *    read from /api/v1/brands/cailinji), the brand's report, the directory, its 老字号 story, the
 *    digital-museum index and the showcase;
 * 3. the Lighthouse CLI (the pinned devDependency) once per page and form factor, one at a time,
 *    with Debian's Chromium (CHROME_PATH, else /usr/bin/chromium; never a browser download).
 *
 * Prints a table of scores, then each failing audit's id and title per page. Exits 1 when a
 * score is below --min, 2 when the site or a run fails.
 *
 * Flags: --url URL  --form-factor mobile|desktop|both (both)  --page NAME (repeatable: home,
 *        search, brand, verify, report, directory)  --min N (95)  --json FILE (all scores and
 *        failing audits as JSON)  --max-minutes M (20).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CATEGORIES = ['accessibility', 'best-practices', 'seo'] as const;
type Category = (typeof CATEGORIES)[number];
type FormFactor = 'mobile' | 'desktop';

const { values: flags } = parseArgs({
  options: {
    url: { type: 'string' },
    'form-factor': { type: 'string', default: 'both' },
    page: { type: 'string', multiple: true },
    min: { type: 'string', default: '95' },
    json: { type: 'string' },
    'max-minutes': { type: 'string', default: '20' },
  },
});

const formFactors: FormFactor[] = flags['form-factor'] === 'both' ? ['mobile', 'desktop'] : [flags['form-factor'] as FormFactor];
if (!formFactors.every((f) => f === 'mobile' || f === 'desktop')) {
  console.error('--form-factor is mobile, desktop or both');
  process.exit(2);
}
const minScore = Number(flags.min);
const chromePath = process.env.CHROME_PATH || '/usr/bin/chromium';

let demo: ChildProcess | null = null;
let dataDir: string | null = null;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** scripts/demo.ts in a child process; resolves with its URL once the demo data is searchable. */
async function startDemo(): Promise<string> {
  const port = await freePort();
  dataDir = mkdtempSync(path.join(tmpdir(), 'lighthouse-demo-'));
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  const child = spawn(tsx, [path.join(ROOT, 'scripts', 'demo.ts')], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo = child;
  const url = `http://localhost:${port}`;
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (/^ready in /m.test(out)) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(url);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`the demo stack exited (${code}) before it was ready:\n${out}`)));
  });
}

async function stopDemo(): Promise<void> {
  const child = demo;
  demo = null;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = null;
}

/** A valid certificate of the demo brand cailinji, for the /verify page. */
async function validCertificate(base: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/brands/cailinji`);
  if (!res.ok) throw new Error(`/api/v1/brands/cailinji answered ${res.status}`);
  const brand = (await res.json()) as { certificates?: Array<{ number: string; statusCode: string }> };
  const cert = brand.certificates?.find((c) => c.statusCode === 'valid');
  if (!cert) throw new Error('cailinji has no valid certificate');
  return cert.number;
}

interface Failure {
  id: string;
  title: string;
  category: Category;
}
interface Result {
  page: string;
  formFactor: FormFactor;
  scores: Record<Category, number | null>;
  failures: Failure[];
}

interface LhAudit {
  score: number | null;
  scoreDisplayMode: string;
  title: string;
}
interface LhReport {
  runtimeError?: { code: string; message: string };
  categories: Record<string, { score: number | null; auditRefs: Array<{ id: string }> }>;
  audits: Record<string, LhAudit>;
}

function runLighthouse(url: string, formFactor: FormFactor): Promise<LhReport> {
  const args = [
    url,
    '--output=json',
    '--output-path=stdout',
    '--quiet',
    `--only-categories=${CATEGORIES.join(',')}`,
    '--chrome-flags=--headless=new --no-sandbox',
    ...(formFactor === 'desktop' ? ['--preset=desktop'] : ['--form-factor=mobile']),
  ];
  const bin = path.join(ROOT, 'node_modules', '.bin', 'lighthouse');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: ROOT, env: { ...process.env, CHROME_PATH: chromePath }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`lighthouse exited ${code} on ${url}:\n${err}`));
      try {
        resolve(JSON.parse(out) as LhReport);
      } catch {
        reject(new Error(`lighthouse printed no report for ${url}:\n${err}`));
      }
    });
  });
}

function summarise(page: string, formFactor: FormFactor, report: LhReport): Result {
  if (report.runtimeError) throw new Error(`${page} (${formFactor}): ${report.runtimeError.code} ${report.runtimeError.message}`);
  const scores = {} as Record<Category, number | null>;
  const failures: Failure[] = [];
  for (const category of CATEGORIES) {
    const cat = report.categories[category];
    scores[category] = cat?.score == null ? null : Math.round(cat.score * 100);
    for (const ref of cat?.auditRefs ?? []) {
      const audit = report.audits[ref.id];
      if (!audit || audit.score === null || audit.score >= 1) continue;
      if (['notApplicable', 'manual', 'informative'].includes(audit.scoreDisplayMode)) continue;
      failures.push({ id: ref.id, title: audit.title, category });
    }
  }
  return { page, formFactor, scores, failures };
}

function printTable(results: Result[]): void {
  const head = ['page', 'form factor', 'accessibility', 'best practices', 'SEO'];
  const rows = results.map((r) => [r.page, r.formFactor, ...CATEGORIES.map((c) => String(r.scores[c] ?? '–'))]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

async function main(): Promise<number> {
  const started = Date.now();
  const base = (flags.url ?? (await startDemo())).replace(/\/$/, '');
  console.log(`site: ${base}${flags.url ? '' : ` (demo stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`}`);
  const cert = await validCertificate(base);
  const pages: Array<[string, string]> = [
    ['home', '/'],
    ['search', `/search?q=${encodeURIComponent('热干面')}`],
    ['brand', '/brands/cailinji'],
    ['verify', `/verify/${encodeURIComponent(cert)}`],
    ['report', '/report?brand=cailinji'],
    ['directory', '/directory'],
    ['story', '/time-honored/cailinji/story'],
    ['museum', '/time-honored/stories'],
    ['showcase', '/showcase'],
  ];
  const wanted = flags.page?.length ? pages.filter(([name]) => flags.page!.includes(name)) : pages;
  const results: Result[] = [];
  for (const [name, pagePath] of wanted) {
    for (const formFactor of formFactors) {
      const t = Date.now();
      const result = summarise(`${name} ${decodeURIComponent(pagePath)}`, formFactor, await runLighthouse(base + pagePath, formFactor));
      results.push(result);
      const s = CATEGORIES.map((c) => result.scores[c] ?? '–').join('/');
      console.log(`  ${name} ${formFactor}: ${s} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    }
  }
  console.log(`\nLighthouse ${CATEGORIES.join(', ')} (Chromium at ${chromePath}):\n`);
  printTable(results);
  const failing = results.filter((r) => r.failures.length);
  if (failing.length) {
    console.log('\nfailing audits:');
    for (const r of failing) {
      console.log(`  ${r.page} (${r.formFactor})`);
      for (const f of r.failures) console.log(`    [${f.category}] ${f.id}: ${f.title}`);
    }
  } else console.log('\nno failing audits');
  if (flags.json) writeFileSync(flags.json, `${JSON.stringify(results, null, 2)}\n`);
  const low = results.filter((r) => CATEGORIES.some((c) => (r.scores[c] ?? 0) < minScore));
  if (low.length) console.log(`\n${low.length} of ${results.length} runs have a category below ${minScore}`);
  return low.length ? 1 : 0;
}

const deadlineTimer = setTimeout(
  () => {
    console.error(`audit:lighthouse: still running after ${flags['max-minutes']} min; stopping`);
    void stopDemo().finally(() => process.exit(2));
  },
  Number(flags['max-minutes']) * 60_000,
);
deadlineTimer.unref();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stopDemo().finally(() => process.exit(130)));

let code = 2;
try {
  code = await main();
} catch (err) {
  console.error(`audit:lighthouse failed: ${(err as Error).message}`);
} finally {
  await stopDemo();
}
process.exit(code);
