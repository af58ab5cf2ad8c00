/**
 * Server-side rendering with Handlebars (compiled once at start-up). Templates get plain view
 * models; helpers translate, format and escape. `{{{ }}}` is only used for the layout body and
 * for JSON-LD that we serialise ourselves.
 */
import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { formatDate, label, parseLang, t, type Lang } from './i18n.js';

export type Render = (view: string, context: Record<string, unknown>) => string;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.hbs') ? [path.join(dir, e.name)] : [],
  );
}

/** Builds URLs that keep the page language: url(lang, "/search", {q: "…"}). */
export function url(lang: Lang, pathname: string, params: Record<string, string | number | undefined | null> = {}): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') sp.set(k, String(v));
  if (lang === 'en') sp.set('lang', 'en');
  const qs = sp.toString();
  return qs ? `${pathname}?${qs}` : pathname;
}

export interface RendererOptions {
  /** A public file's address for links (src/platform/assets.ts); default: the bare path. */
  asset?: (rel: string) => string;
  /**
   * Extra stylesheets by view name (e.g. stats: ["css/stats.css"]), so a page loads only what it
   * uses; the layout links them as `styles`. A context's own `styles` win.
   */
  styles?: Record<string, readonly string[]>;
}

export function createRenderer(viewsDir: string, options: RendererOptions = {}): Render {
  const hb = Handlebars.create();
  const asset = options.asset ?? ((rel: string) => `/${rel.replace(/^\/+/, '')}`);
  const langOf = (options: Handlebars.HelperOptions): Lang => parseLang(options.data?.root?.lang);

  hb.registerHelper('t', function (key: string, options: Handlebars.HelperOptions) {
    return t(langOf(options), key, options.hash ?? {});
  });
  hb.registerHelper('term', function (term: string, options: Handlebars.HelperOptions) {
    return label(langOf(options), term);
  });
  /** {{date d}}, or {{date d precision}} for a partial date ("year" | "month"; anything else is a day). */
  hb.registerHelper('date', function (d: Date | string | number, ...rest: unknown[]) {
    const options = rest[rest.length - 1] as Handlebars.HelperOptions;
    const precision = rest.length > 1 && (rest[0] === 'year' || rest[0] === 'month') ? rest[0] : 'day';
    return formatDate(langOf(options), d, precision);
  });
  hb.registerHelper('url', function (pathname: string, options: Handlebars.HelperOptions) {
    return url(langOf(options), pathname, options.hash ?? {});
  });
  /** A file under public/ by its content-hashed address: {{asset "css/site.css"}}. */
  hb.registerHelper('asset', (rel: unknown) => asset(String(rel)));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  /** Joins strings, e.g. a message key built from a value: (concat "admin.role." user.role). */
  hb.registerHelper('concat', (...args: unknown[]) =>
    args
      .slice(0, -1)
      .map((a) => String(a ?? ''))
      .join(''),
  );
  hb.registerHelper('join', (list: unknown, sep: unknown) => (Array.isArray(list) ? list.join(typeof sep === 'string' ? sep : '、') : ''));
  /** Highlight segments → escaped text with <mark> around matches. */
  hb.registerHelper('hl', (segments: unknown, fallback: unknown) => {
    if (!Array.isArray(segments)) return String(fallback ?? '');
    const html = segments.map((s, i) => (i % 2 ? `<mark>${hb.escapeExpression(String(s))}</mark>` : hb.escapeExpression(String(s)))).join('');
    return new hb.SafeString(html);
  });
  /**
   * Text that quotes Chinese reference values (stored terms in an English description, an API
   * example): on English pages each run of Han characters is marked lang="zh-Hans", so screen
   * readers switch voice and the English-mode check (test/english.test.ts) knows it is data.
   */
  hb.registerHelper('zhRuns', function (text: unknown, options: Handlebars.HelperOptions) {
    const s = String(text ?? '');
    if (langOf(options) !== 'en') return s;
    return new hb.SafeString(
      s
        .split(/(\p{Script=Han}+(?:[\p{Script=Han}\u3000-\u303f\uff08\uff09\uff0c\uff1a]*\p{Script=Han})?)/u)
        .map((part, i) => (i % 2 ? `<span lang="zh-Hans">${hb.escapeExpression(part)}</span>` : hb.escapeExpression(part)))
        .join(''),
    );
  });
  /** JSON for a <script type="application/ld+json"> block: "<" escaped so it can't close the tag. */
  hb.registerHelper(
    'jsonld',
    (value: unknown) =>
      new hb.SafeString(
        JSON.stringify(value)
          .replace(/</g, '\\u003c')
          .replace(/\u2028/g, '\\u2028')
          .replace(/\u2029/g, '\\u2029'),
      ),
  );

  const templates = new Map<string, Handlebars.TemplateDelegate>();
  for (const file of walk(viewsDir)) {
    const name = path
      .relative(viewsDir, file)
      .replace(/\\/g, '/')
      .replace(/\.hbs$/, '');
    const source = readFileSync(file, 'utf8');
    if (name.startsWith('partials/')) hb.registerPartial(name.slice('partials/'.length), source);
    else templates.set(name, hb.compile(source, { strict: false }));
  }
  if (!templates.get('layouts/main')) throw new Error(`views: layouts/main.hbs is missing in ${viewsDir}`);

  // `layout: "admin"` in the context picks views/layouts/admin.hbs (the back office).
  return (view, context) => {
    const tpl = templates.get(view);
    if (!tpl) throw new Error(`views: no template "${view}"`);
    const layoutName = typeof context.layout === 'string' ? context.layout : 'main';
    const layout = templates.get(`layouts/${layoutName}`);
    if (!layout) throw new Error(`views: no layout "${layoutName}"`);
    const body = tpl(context);
    const styles = context.styles ?? options.styles?.[view] ?? [];
    return layout({ ...context, styles, body });
  };
}
