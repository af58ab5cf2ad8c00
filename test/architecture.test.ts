/**
 * The floor plan holds (docs/architecture.md): dependency-cruiser checks every import of src/
 * against the layer rules of `.dependency-cruiser.cjs`, and ESLint checks that no file but the
 * registry service writes an entry model. Each rule is also shown to bite, on a small tree with
 * one forbidden import per rule, so a rule that silently matches nothing fails here too.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ESLint } from 'eslint';

const ROOT = path.resolve(import.meta.dirname, '..');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const CRUISER = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
}

/** Runs the dependency-cruiser CLI (as `npm run arch` does) and returns its violations. */
async function cruise(cwd: string): Promise<{ modules: number; violations: Violation[] }> {
  const run = promisify(execFile);
  const args = [CRUISER, 'src', '--config', CONFIG, '--output-type', 'json'];
  // The CLI exits non-zero when it finds errors; its JSON report is on stdout either way.
  const { stdout } = await run(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024 }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  const report = JSON.parse(stdout) as { modules: unknown[]; summary: { violations: Violation[] } };
  return { modules: report.modules.length, violations: report.summary.violations };
}

describe('architecture: the rooms and what each may touch', function () {
  this.timeout(60_000);

  it('src/ has no forbidden import, no folder or file cycle and nothing unresolvable', async () => {
    const { modules, violations } = await cruise(ROOT);
    assert.ok(modules > 90, `the cruise saw the whole of src/ (${modules} modules)`);
    assert.deepEqual(
      violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`),
      [],
    );
  });

  it('each layer rule fails on a deliberately forbidden import', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'arch-probe-'));
    try {
      const file = (rel: string, text: string) => {
        mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        writeFileSync(path.join(dir, rel), text);
      };
      file('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src'] }));
      file('src/platform/http.ts', "import { Brand } from '../registries/models.js';\nexport const x = Brand;\n");
      file('src/registries/models.ts', "import { page } from '../site/pages.js';\nexport const Brand = page;\n");
      file('src/site/pages.ts', "import { edit } from '../admin/edit.js';\nexport const page = edit;\n");
      file('src/admin/edit.ts', "import { boot } from '../main.js';\nexport const edit = boot;\n");
      file('src/search/sync.ts', "import { chain } from '../audit/index.js';\nexport const sync = chain;\n");
      file('src/audit/index.ts', "import { role } from '../accounts/roles.js';\nexport const chain = role;\n");
      file('src/accounts/roles.ts', "import { stats } from '../stats/routes.js';\nexport const role = stats;\n");
      file('src/stats/routes.ts', 'export const stats = 1;\n');
      file('src/main.ts', 'export const boot = 1;\n');
      file('src/verify/a.ts', "import { b } from './b.js';\nexport const a = b;\n");
      file('src/verify/b.ts', "import { a } from './a.js';\nexport const b = a;\n");
      file('src/imports/x.ts', "import { y } from './missing.js';\nexport const x = y;\n");

      const found = new Set((await cruise(dir)).violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`));
      for (const expected of [
        'platform-is-the-floor: src/platform/http.ts → src/registries/models.ts',
        'kernel-knows-no-subscriber: src/registries/models.ts → src/site/pages.ts',
        'feature-to-feature: src/site/pages.ts → src/admin/edit.ts',
        'features-below-boot: src/admin/edit.ts → src/main.ts',
        'search-and-audit-apart: src/search/sync.ts → src/audit/index.ts',
        'subscribers-below-features: src/audit/index.ts → src/accounts/roles.ts',
        'identity-below-features: src/accounts/roles.ts → src/stats/routes.ts',
        'no-file-cycles: src/verify/a.ts → src/verify/b.ts',
        'no-unresolvable: src/imports/x.ts → ./missing.js',
      ]) {
        assert.ok(found.has(expected), `expected «${expected}» among:\n${[...found].join('\n')}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('only the registry service writes entries (ESLint, eslint.config.js)', () => {
    const eslint = new ESLint({ cwd: ROOT });
    const writeErrors = async (code: string, filePath: string) =>
      (await eslint.lintText(code, { filePath: path.join(ROOT, filePath) }))[0]!.messages.filter((m) => m.ruleId === 'no-restricted-syntax');

    const WRITES = [
      "await Brand.updateOne({ _id: id }, { $set: { name: 'x' } });",
      'await ENTRY_MODELS[kind].insertMany(rows);',
      "await Certificate.findOneAndUpdate({ number }, { $set: { status: '撤销' } });",
      'await new DirectoryEntry({ brand }).save();',
      "await updateByIds(Trademark, ids, { $set: { status: 'x' } });",
      "await mongoose.connection.collection('famousmarks').deleteMany({});",
      'await entryModel(kind).bulkWrite(ops);',
    ];

    it('refuses each way of writing an entry outside the service', async () => {
      for (const code of WRITES) {
        const errors = await writeErrors(`${code}\n`, 'src/site/probe.ts');
        assert.equal(errors.length, 1, `not caught in src/site/: ${code}`);
        assert.match(errors[0]!.message, /src\/registries\/service\.ts/);
      }
    });

    it('lets the service write, and lets anyone read', async () => {
      for (const code of WRITES) assert.deepEqual(await writeErrors(`${code}\n`, 'src/registries/service.ts'), [], code);
      for (const code of [
        'await Brand.findOne({ slug });',
        'await ENTRY_MODELS[kind].find().lean();',
        "await User.updateOne({ _id }, { $set: { role: 'viewer' } });",
      ]) {
        assert.deepEqual(await writeErrors(`${code}\n`, 'src/site/probe.ts'), [], code);
      }
    });

    it('finds no such write anywhere in src/', async () => {
      const results = await eslint.lintFiles(['src/**/*.ts']);
      const writes = results.flatMap((r) =>
        r.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => `${path.relative(ROOT, r.filePath)}:${m.line}`),
      );
      assert.ok(results.length > 80, `linted the whole of src/ (${results.length} files)`);
      assert.deepEqual(writes, []);
    });
  });
});
