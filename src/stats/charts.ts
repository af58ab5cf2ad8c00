/**
 * Server-rendered SVG charts: horizontal bars (districts, sectors), lines (additions per year) and
 * target progress bars. No client-side library and no script: the markup is inline in the page.
 *
 * - CSP-safe: no `style` attributes. Colours come from classes in public/css/stats.css, with
 *   presentation attributes (fill=, stroke=) as fallbacks that any CSS rule overrides.
 * - Accessible: every chart is `role="img"` named by its <title> and described by its <desc>;
 *   the page puts a real data table beside each chart, so the numbers are never only in a picture.
 * - Readable on a 390 px phone: a narrow viewBox (400 units) scaled to the container's width,
 *   14-unit text, long labels shortened with "…" (the full label is in the row's <title> and table).
 * - Every string that reaches the markup goes through escapeXml(); numbers are formatted here.
 */
import { formatNumber } from '../platform/i18n.js';

/** Markup built by this module. Handlebars prints it as HTML via toHTML() (no triple braces needed). */
export class Svg {
  constructor(readonly markup: string) {}
  toHTML(): string {
    return this.markup;
  }
  toString(): string {
    return this.markup;
  }
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const FONT = 14;
const WIDTH = 400;

/** Approximate rendered width: CJK and full-width characters one em, others about half. */
export function textWidth(s: string, size = FONT): number {
  let w = 0;
  for (const ch of s) w += /[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]/.test(ch) ? size : size * 0.58;
  return w;
}

/** Shortens a label to fit `max` units, ending in "…". */
export function fitLabel(s: string, max: number, size = FONT): string {
  if (textWidth(s, size) <= max) return s;
  let out = '';
  for (const ch of s) {
    if (textWidth(`${out}${ch}…`, size) > max) break;
    out += ch;
  }
  return `${out}…`;
}

/** The id must be usable in an attribute and unique on the page. */
function safeId(id: string): string {
  if (!/^[a-z][a-z0-9-]{0,60}$/.test(id)) throw new Error(`charts: bad id "${id}"`);
  return id;
}

function open(id: string, height: number, title: string, desc: string, cls: string): string {
  const i = safeId(id);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart ${cls}" viewBox="0 0 ${WIDTH} ${height}" width="100%" ` +
    `preserveAspectRatio="xMinYMin meet" role="img" aria-labelledby="${i}-title ${i}-desc" focusable="false" font-size="${FONT}">` +
    `<title id="${i}-title">${escapeXml(title)}</title><desc id="${i}-desc">${escapeXml(desc)}</desc>`
  );
}

export interface BarDatum {
  label: string;
  value: number;
}

export interface BarChartOptions {
  id: string;
  title: string;
  desc: string;
  data: BarDatum[];
  format?: (n: number) => string;
}

/** Horizontal bars, one row per datum, the value written at the end of each bar. */
export function barChart(o: BarChartOptions): Svg {
  const fmt = o.format ?? formatNumber;
  const rowH = 28;
  const barH = 18;
  const labelW = 122;
  const valueW = 64;
  const barMax = WIDTH - labelW - valueW - 6;
  const max = Math.max(0, ...o.data.map((d) => d.value));
  const height = Math.max(1, o.data.length) * rowH + 8;
  const rows = o.data.map((d, i) => {
    const y = 4 + i * rowH;
    const w = max > 0 ? Math.max(d.value > 0 ? 1 : 0, Math.round((d.value / max) * barMax)) : 0;
    const mid = y + rowH / 2;
    return (
      `<g class="chart-row"><title>${escapeXml(`${d.label}: ${fmt(d.value)}`)}</title>` +
      `<text class="chart-label" x="${labelW - 8}" y="${mid + 5}" text-anchor="end" fill="currentColor">${escapeXml(fitLabel(d.label, labelW - 12))}</text>` +
      `<rect class="chart-bar" x="${labelW}" y="${mid - barH / 2}" width="${w}" height="${barH}" rx="2" fill="#9c1c1c"/>` +
      `<text class="chart-value" x="${labelW + w + 6}" y="${mid + 5}" fill="currentColor">${escapeXml(fmt(d.value))}</text></g>`
    );
  });
  const axis = `<line class="chart-axis" x1="${labelW}" y1="2" x2="${labelW}" y2="${height - 2}" stroke="#4f5a65" stroke-width="1"/>`;
  return new Svg(`${open(o.id, height, o.title, o.desc, 'chart-bars')}${axis}${rows.join('')}</svg>`);
}

/** A round upper bound for an axis (four steps of a round size): 0 → 4, 37 → 40, 96 → 100, 1234 → 1600, 500000 → 500000. */
export function niceMax(max: number, ticks = 4): number {
  if (max <= 0) return ticks;
  const rough = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8, 10].map((f) => f * mag).find((s) => s * ticks >= max) ?? 10 * mag;
  return Number.isInteger(step) ? step * ticks : Math.max(ticks, Math.ceil(step) * ticks);
}

export interface LineSeries {
  name: string;
  values: number[];
}

export interface LineChartOptions {
  id: string;
  title: string;
  desc: string;
  /** X-axis categories (years), in order. */
  categories: string[];
  series: LineSeries[];
  format?: (n: number) => string;
}

/** Dash patterns so that series differ by more than colour. */
const DASHES = ['', '6 3', '2 3', '8 3 2 3', '1 2'];

/** Lines over categories, one per series, with a legend above and a y-axis of four steps. */
export function lineChart(o: LineChartOptions): Svg {
  const fmt = o.format ?? formatNumber;
  const legendRowH = 20;
  const perRow = 2;
  const legendH = Math.ceil(o.series.length / perRow) * legendRowH + 6;
  const left = 46;
  const right = 14;
  const top = legendH + 8;
  const plotH = 170;
  const bottom = 26;
  const height = top + plotH + bottom;
  const plotW = WIDTH - left - right;
  const max = niceMax(Math.max(0, ...o.series.flatMap((s) => s.values)));
  const n = o.categories.length;
  const x = (i: number) => left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const parts: string[] = [];

  o.series.forEach((s, i) => {
    const lx = 4 + (i % perRow) * (WIDTH / perRow);
    const ly = 4 + Math.floor(i / perRow) * legendRowH + 10;
    const dash = DASHES[i % DASHES.length];
    parts.push(
      `<g class="chart-legend series-${i}"><line x1="${lx}" y1="${ly}" x2="${lx + 26}" y2="${ly}" stroke="currentColor" stroke-width="3"${dash ? ` stroke-dasharray="${dash}"` : ''}/>` +
        `<text x="${lx + 32}" y="${ly + 4.5}" fill="#1d2329">${escapeXml(fitLabel(s.name, WIDTH / perRow - 40))}</text></g>`,
    );
  });

  for (let k = 0; k <= 4; k++) {
    const v = (max / 4) * k;
    const yy = y(v);
    parts.push(
      `<line class="chart-grid" x1="${left}" y1="${yy}" x2="${WIDTH - right}" y2="${yy}" stroke="#d8dee4" stroke-width="1"/>` +
        `<text class="chart-tick" x="${left - 6}" y="${yy + 4.5}" text-anchor="end" fill="currentColor">${escapeXml(fmt(v))}</text>`,
    );
  }
  const every = Math.max(1, Math.ceil(n / 7));
  o.categories.forEach((c, i) => {
    if (i % every !== 0 && i !== n - 1) return;
    if (i !== n - 1 && n - 1 - i < every) return; // keep the last label clear of its neighbour
    parts.push(`<text class="chart-tick" x="${x(i)}" y="${top + plotH + 18}" text-anchor="middle" fill="currentColor">${escapeXml(c)}</text>`);
  });
  parts.push(`<line class="chart-axis" x1="${left}" y1="${top + plotH}" x2="${WIDTH - right}" y2="${top + plotH}" stroke="#4f5a65" stroke-width="1"/>`);

  o.series.forEach((s, i) => {
    const dash = DASHES[i % DASHES.length];
    const pts = s.values.map((v, j) => `${x(j).toFixed(1)},${y(v).toFixed(1)}`);
    const marks = s.values.map(
      (v, j) =>
        `<circle cx="${x(j).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="currentColor"><title>${escapeXml(`${s.name} ${o.categories[j] ?? ''}: ${fmt(v)}`)}</title></circle>`,
    );
    parts.push(
      `<g class="chart-series series-${i}"><polyline class="chart-line" points="${pts.join(' ')}" fill="none" stroke="currentColor" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/>${marks.join('')}</g>`,
    );
  });
  return new Svg(`${open(o.id, height, o.title, o.desc, 'chart-lines')}${parts.join('')}</svg>`);
}

export interface ProgressOptions {
  id: string;
  title: string;
  desc: string;
  value: number | null;
  target: number;
}

/** A bar filled to value/target (full when met; a thin outline alone when there is no value yet). */
export function progressBar(o: ProgressOptions): Svg {
  const height = 22;
  const ratio = o.value === null || o.target <= 0 ? 0 : Math.min(1, Math.max(0, o.value / o.target));
  const w = Math.round(ratio * WIDTH);
  const state = o.value === null ? 'progress-none' : ratio >= 1 ? 'progress-met' : 'progress-open';
  return new Svg(
    `${open(o.id, height, o.title, o.desc, `chart-progress ${state}`)}` +
      `<rect class="progress-track" x="0.5" y="0.5" width="${WIDTH - 1}" height="${height - 1}" rx="5" fill="#eef0f2" stroke="#4f5a65" stroke-width="1"/>` +
      (w > 0 ? `<rect class="progress-fill" x="0.5" y="0.5" width="${Math.max(0, w - 1)}" height="${height - 1}" rx="5" fill="#1f6f3a"/>` : '') +
      '</svg>',
  );
}
