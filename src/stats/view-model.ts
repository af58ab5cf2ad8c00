/**
 * Turns counts, figures and awards into what the statistics pages show: formatted numbers, the
 * SVG charts and, beside each chart, the rows of its data table.
 */
import { formatDate, formatNumber, formatTime, label, t, type Lang } from '../platform/i18n.js';
import { url } from '../platform/views.js';
import { KINDS } from '../registries/reference.js';
import { statusClass } from '../search/view-model.js';
import { barChart, lineChart, progressBar } from './charts.js';
import type { AwardDoc } from './models.js';
import { countAwards, type TargetProgress } from './progress.js';
import { DISTRICT_KINDS, type AreaRow, type RegistryStats } from '../registries/counts.js';
import type { FigureSummary } from './service.js';
import { AWARD_NAMES, FIGURE_KEYS, FIGURES, type FigureKey } from './targets.js';

const unitText = (lang: Lang, unit: string, unitEn: string) => (lang === 'en' ? unitEn : unit);
const withUnit = (lang: Lang, n: number | null, unit: string, unitEn: string) => {
  if (n === null) return '—';
  const u = unitText(lang, unit, unitEn);
  return u === '%' ? `${formatNumber(n)}%` : u ? `${formatNumber(n)} ${u}` : formatNumber(n);
};

function targetView(lang: Lang, p: TargetProgress, i: number) {
  const d = p.def;
  const name = lang === 'en' ? d.en : d.zh;
  const current = withUnit(lang, p.current, d.unit, d.unitEn);
  const target = `${d.comparison} ${withUnit(lang, d.target, d.unit, d.unitEn)}`;
  const percent = p.percent === null ? '—' : `${formatNumber(p.percent)}%`;
  let sourceText: string;
  let sourceUrl: string | null = null;
  if (d.source.type === 'registry') {
    sourceText = t(lang, 'stats.fromRegistry', { how: lang === 'en' ? d.source.howEn : d.source.howZh });
  } else if (p.origin.type === 'figure' && p.origin.observation) {
    const o = p.origin.observation;
    sourceText = t(lang, 'stats.fromFigure', { who: o.enteredBy, entered: formatDate(lang, o.createdAt), date: formatDate(lang, o.date), source: o.source });
    sourceUrl = o.sourceUrl || null;
  } else {
    sourceText = t(lang, 'stats.figureMissing');
  }
  const state = p.current === null ? t(lang, 'stats.noFigure') : p.met ? t(lang, 'stats.met') : t(lang, 'stats.notMet');
  return {
    key: d.key,
    name,
    current,
    target,
    percent,
    met: p.met,
    missing: p.current === null,
    state,
    sourceText,
    sourceUrl,
    figureDate: p.origin.type === 'figure' && p.origin.observation ? p.origin.observation.date : null,
    bar: progressBar({
      id: `target-${i}`,
      title: t(lang, 'stats.progressTitle', { name, current, target: withUnit(lang, d.target, d.unit, d.unitEn), percent }),
      desc: t(lang, 'stats.progressDesc', { state, source: sourceText }),
      value: p.current,
      target: d.target,
    }),
  };
}

function areaRows(lang: Lang, rows: AreaRow[]) {
  return rows.map((r) => ({
    label: label(lang, r.value),
    brands: formatNumber(r.brands),
    cells: DISTRICT_KINDS.map((k) => formatNumber(r[k])),
  }));
}

export interface StatsPageInput {
  stats: RegistryStats;
  computedAt: Date;
  ttlSeconds: number;
  progress: TargetProgress[];
  awards: AwardDoc[];
  /** Show every industry (back office) instead of the top 15. */
  allIndustries?: boolean;
  /** Whether demo data are present (then the page says the figures are for demonstration). */
  demo?: boolean;
}

/** Everything /stats (and the top of /admin/stats) shows. */
export function statsViewModel(lang: Lang, input: StatsPageInput) {
  const { stats } = input;
  const kindLabel = (k: string) => t(lang, `kind.${k}`);
  const districts = stats.byDistrict;
  const firstYear = stats.years[0];
  const lastYear = stats.years[stats.years.length - 1];
  const years: number[] = [];
  if (firstYear !== undefined && lastYear !== undefined) for (let y = firstYear; y <= lastYear; y++) years.push(y);
  const industries = input.allIndustries ? stats.byIndustry : stats.byIndustry.slice(0, 15);

  return {
    freshness: t(lang, 'stats.freshness', { time: formatTime(lang, input.computedAt), ttl: input.ttlSeconds }),
    demo: Boolean(input.demo),
    targets: input.progress.map((p, i) => targetView(lang, p, i)),
    brandsTotal: t(lang, 'stats.brandsTotal', { n: formatNumber(stats.brands) }),
    registries: KINDS.map((k) => {
      const r = stats.registries[k];
      return {
        kind: k,
        label: kindLabel(k),
        total: formatNumber(r.total),
        // A brand on several lists (time-honored tiers) or with several certificates counts once here.
        brands: r.brands !== r.total ? t(lang, 'stats.registryBrands', { n: formatNumber(r.brands) }) : '',
        href: url(lang, `/${k}`),
        tierCaption: t(lang, 'stats.byTier', { kind: kindLabel(k) }),
        statusCaption: t(lang, 'stats.byStatus', { kind: kindLabel(k) }),
        tiers: r.byTier.map((c) => ({ label: label(lang, c.value), count: formatNumber(c.count) })),
        statuses: r.byStatus.map((c) => ({ label: label(lang, c.value), count: formatNumber(c.count), statusClass: statusClass(c.value) })),
      };
    }),
    areaHeads: DISTRICT_KINDS.map((k) => t(lang, `kind.short.${k}`)),
    district: {
      chart: barChart({
        id: 'chart-district',
        title: t(lang, 'stats.byDistrictChart'),
        desc: t(lang, 'stats.byDistrictDesc'),
        data: districts.map((r) => ({ label: label(lang, r.value), value: r.brands })),
      }),
      rows: areaRows(lang, districts),
    },
    sector: {
      chart: barChart({
        id: 'chart-sector',
        title: t(lang, 'stats.bySectorChart'),
        desc: t(lang, 'stats.bySectorDesc'),
        data: stats.bySector.map((r) => ({ label: label(lang, r.value), value: r.brands })),
      }),
      rows: areaRows(lang, stats.bySector),
    },
    industries: industries.map((r) => ({
      label: label(lang, r.value),
      // An industry without an English name is shown as stored: Chinese text.
      labelLang: lang === 'en' && label(lang, r.value) === r.value ? 'zh-Hans' : null,
      sector: label(lang, r.sector),
      brands: formatNumber(r.brands),
    })),
    industryCaption: t(lang, input.allIndustries ? 'stats.byIndustryTableAll' : 'stats.byIndustryTable'),
    years: {
      chart: lineChart({
        id: 'chart-years',
        title: t(lang, 'stats.byYearChart'),
        desc: t(lang, 'stats.byYearDesc'),
        categories: years.map(String),
        series: KINDS.map((k) => ({ name: t(lang, `kind.short.${k}`), values: years.map((y) => stats.registries[k].byYear[y] ?? 0) })),
      }),
      heads: KINDS.map((k) => t(lang, `kind.short.${k}`)),
      rows: years.map((y) => {
        const values = KINDS.map((k) => stats.registries[k].byYear[y] ?? 0);
        return { year: y, cells: values.map(formatNumber), total: formatNumber(values.reduce((a, b) => a + b, 0)) };
      }),
    },
    awardCounts: AWARD_NAMES.map((a) => ({ label: label(lang, a), count: formatNumber(countAwards(input.awards, [a], 'none')) })),
    awardList: input.awards
      .filter((a) => !a.withdrawn)
      .map((a) => ({
        award: label(lang, a.award),
        year: a.year,
        brand: a.brandName,
        company: a.company,
        href: url(lang, `/brands/${a.brandSlug}`),
      })),
    openDataHref: url(lang, '/open-data'),
    apiHref: url(lang, '/api'),
  };
}

/** The back office's figure panels: latest value and the full history of each figure. */
export function figuresViewModel(lang: Lang, figures: Record<FigureKey, FigureSummary>) {
  return FIGURE_KEYS.map((key) => {
    const f = FIGURES[key];
    const s = figures[key];
    const name = lang === 'en' ? f.en : f.zh;
    const fmt = (v: number) => withUnit(lang, v, f.unit, f.unit === '%' ? '%' : '');
    return {
      key,
      name,
      historyCaption: t(lang, 'stats.history', { name }),
      latest: s.latest ? { value: fmt(s.latest.value), date: s.latest.date, source: s.latest.source } : null,
      history: s.history.map((o) => ({
        value: fmt(o.value),
        date: o.date,
        source: o.source,
        sourceUrl: o.sourceUrl || null,
        note: o.note,
        enteredBy: o.enteredBy,
        enteredAt: formatTime(lang, o.createdAt),
      })),
    };
  });
}
