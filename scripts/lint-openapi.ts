/**
 * `npm run lint:openapi`: writes the served OpenAPI document (src/api-docs/openapi.ts) to a
 * temporary file and lints it with Redocly (its recommended rules) and Spectral (spectral:oas);
 * any error or warning fails. Needs no network: both linters run from node_modules, and Redocly's
 * telemetry and update check are turned off.
 *
 * Exit status: 0 clean, 1 a linter found a problem (its report is printed above).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from '../src/api-docs/openapi.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);

const dir = mkdtempSync(path.join(tmpdir(), 'openapi-lint-'));
try {
  const doc = path.join(dir, 'openapi.json');
  writeFileSync(doc, JSON.stringify(openApiDocument('https://brands.example.gov.cn'), null, 2));
  const ruleset = path.join(dir, '.spectral.yaml');
  writeFileSync(ruleset, 'extends: ["spectral:oas"]\n');
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
  const runs: Array<[string, string[]]> = [
    ['redocly', ['lint', '--format', 'stylish', '--max-problems', '50', doc]],
    ['spectral', ['lint', '--ruleset', ruleset, '--fail-severity', 'warn', doc]],
  ];
  let failed = false;
  for (const [name, args] of runs) {
    // Warnings count as failures for Redocly too: it exits 0 on warnings alone, so its output is read.
    const r = spawnSync(bin(name), args, { env, encoding: 'utf8' });
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    const warned = name === 'redocly' && /\b[1-9][0-9]* warnings?\b/i.test(out);
    const ok = r.status === 0 && !warned;
    if (!ok) process.stdout.write(out);
    console.log(`lint:openapi ${name}: ${ok ? 'clean' : r.error ? r.error.message : 'problems found'}`);
    failed ||= !ok;
  }
  process.exitCode = failed ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
