import { EmbeddedSearchIndex } from './src/search/embedded.js';
const idx = new EmbeddedSearchIndex('/tmp/idx500k.sqlite');
await idx.init();
const db = (idx as any).db;
const orig = db.prepare.bind(db);
let times: any[] = [];
db.prepare = (sql: string) => { const st = orig(sql); const wrap = (fn: string) => (...a: any[]) => { const t0 = performance.now(); const r = st[fn](...a); times.push([(performance.now() - t0).toFixed(1), sql.slice(0, 100).replace(/\s+/g, ' ')]); return r; }; return { run: wrap('run'), all: wrap('all'), get: wrap('get'), pluck: () => st.pluck() }; };
for (const q of ['食品', '食品', '福']) {
  times = [];
  (idx as any).statements.clear();
  const t = performance.now();
  const r = await idx.search({ q, filters: {}, sort: 'relevance', page: 1, pageSize: 20, facets: true });
  console.log(q, r.total, (performance.now() - t).toFixed(1));
  console.log(times.map((x) => x.join('  ')).join('\n'));
}
