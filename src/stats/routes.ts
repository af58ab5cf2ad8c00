/**
 * The statistics pages.
 *
 * - `statsRoutes` (public, mount at the site root): `GET /stats`.
 * - `statsAdminRoutes` (a back-office feature, mounted inside /admin after requireRole('viewer')):
 *   `GET /stats` — the same view plus every industry, each figure's history and the awards list;
 *   `POST /stats/figures`, `POST /stats/awards`, `POST /stats/awards/:id/withdraw` — editors only.
 *
 * Registry counts scan every collection, so they come from a shared SwrCache (recounted at most
 * once a minute, and the page says when they were computed); figures and awards are small and
 * read fresh, so what an editor just entered shows at once. Both pages use views/stats.hbs; the
 * back office's extra sections are behind its `admin` flag.
 */
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { actorOf, flash, requireRole } from '../accounts/middleware.js';
import { ROLE_RANK } from '../accounts/roles.js';
import { AppError, type FieldProblem } from '../platform/errors.js';
import { isRecord } from '../platform/guards.js';
import { formatTime, label, t, type Lang } from '../platform/i18n.js';
import { url, type Render } from '../platform/views.js';
import { assertPlainQuery } from '../search/params.js';
import type { SwrCache } from '../platform/swr-cache.js';
import './messages.js';
import { targetProgress } from './progress.js';
import type { RegistryStats } from '../registries/counts.js';
import { attachAward, figureSummaries, listAwards, recordFigure, withdrawAward } from './service.js';
import { AWARD_NAMES, FIGURE_KEYS, FIGURES } from './targets.js';
import { figuresViewModel, statsViewModel } from './view-model.js';

export interface StatsDeps {
  render: Render;
  logger?: Pick<Logger, 'warn'>;
  /** The registry counts (registries/counts.ts `registryStatsCache`), one per app, shared by every page that shows counts. */
  cache: SwrCache<RegistryStats>;
}

async function pageData(lang: Lang, cache: SwrCache<RegistryStats>, admin: boolean) {
  const [cached, figures, awards] = await Promise.all([cache.get(), figureSummaries(), listAwards({ includeWithdrawn: admin })]);
  const progress = targetProgress(cached.value, figures, awards);
  const vm = statsViewModel(lang, {
    stats: cached.value,
    computedAt: cached.at,
    ttlSeconds: cached.ttlSeconds,
    progress,
    awards,
    allIndustries: admin,
    demo: cached.value.demoBrands > 0,
  });
  return { vm, figures, awards };
}

/** Public /stats. */
export function statsRoutes(deps: StatsDeps): Router {
  const router = Router();
  const { cache } = deps;
  router.get('/stats', async (req, res) => {
    const lang = res.locals.lang;
    assertPlainQuery(req.query);
    const { vm } = await pageData(lang, cache, false);
    res.setHeader('Cache-Control', 'public, max-age=60');
    res.type('html').send(deps.render('stats', { ...res.locals, title: t(lang, 'stats.title'), ...vm }));
  });
  return router;
}

type Values = Record<string, string>;
interface FormState {
  values: Values;
  errors: Record<string, string>;
  summary: Array<{ href: string; label: string; message: string }>;
  general: string[];
}

const emptyForm = (values: Values = {}): FormState => ({ values, errors: {}, summary: [], general: [] });

/** The submitted strings, to show again after a refusal (hostile non-strings become ''). */
function keep(body: unknown, fields: string[]): Values {
  const b = isRecord(body) ? body : {};
  return Object.fromEntries(
    fields.map((f) => {
      const v = b[f];
      return [f, typeof v === 'string' ? v.slice(0, 2000) : ''];
    }),
  );
}

function formFromError(lang: Lang, err: AppError, values: Values, prefix: string): FormState {
  const form = emptyForm(values);
  const problems: FieldProblem[] = err.fields;
  for (const p of problems) {
    const message = lang === 'en' ? p.messageEn : p.message;
    if (form.errors[p.field]) continue;
    form.errors[p.field] = message;
    form.summary.push({ href: `#${prefix}-${p.field}`, label: t(lang, `stats.field.${p.field}`), message });
  }
  if (!problems.length) form.general.push(lang === 'en' ? err.messageEn : err.message);
  return form;
}

/** Back-office /admin/stats and its forms. */
export function statsAdminRoutes(deps: StatsDeps): Router {
  const router = Router();
  const { cache } = deps;

  const show = async (
    req: Request,
    res: Response,
    forms: { figure?: FormState; award?: FormState; withdraw?: FormState & { id: string } } = {},
    status = 200,
  ) => {
    const lang = res.locals.lang;
    const { vm, figures, awards } = await pageData(lang, cache, true);
    const role = res.locals.user?.role ?? 'viewer';
    const canEdit = ROLE_RANK[role] >= ROLE_RANK.editor;
    const figureForm = forms.figure ?? emptyForm({ key: '', value: '', date: '', source: '', sourceUrl: '', note: '' });
    const awardForm = forms.award ?? emptyForm({ brand: '', award: '', year: String(new Date().getUTCFullYear() - 1), note: '' });
    res.status(status);
    res.type('html').send(
      deps.render('stats', {
        ...res.locals,
        admin: true,
        title: t(lang, 'stats.adminTitle'),
        ...vm,
        canEdit,
        figurePanels: figuresViewModel(lang, figures),
        figureForm,
        figureOptions: FIGURE_KEYS.map((k) => ({
          value: k,
          // Counts need no unit in English (件/项 are Chinese measure words); a share keeps its %.
          label: lang === 'en' ? `${FIGURES[k].en}${FIGURES[k].unit === '%' ? ' (%)' : ''}` : `${FIGURES[k].zh}（${FIGURES[k].unit}）`,
          selected: figureForm.values.key === k,
        })),
        awardForm,
        awardOptions: AWARD_NAMES.map((a) => ({ value: a, label: label(lang, a), selected: awardForm.values.award === a })),
        awardsAdmin: awards.map((a) => {
          const id = String(a._id);
          const w = forms.withdraw?.id === id ? forms.withdraw : null;
          return {
            id,
            award: label(lang, a.award),
            year: a.year,
            brand: a.brandName,
            brandSlug: a.brandSlug,
            href: url(lang, `/brands/${a.brandSlug}`),
            company: a.company,
            note: a.note,
            enteredBy: a.enteredBy,
            enteredAt: formatTime(lang, a.createdAt),
            withdrawn: a.withdrawn,
            withdrawnReason: a.withdrawnReason,
            version: a.version,
            action: url(lang, `/admin/stats/awards/${id}/withdraw`),
            reasonError: w?.errors.reason ?? w?.general[0] ?? null,
            reasonValue: w?.values.reason ?? '',
          };
        }),
        figureAction: url(lang, '/admin/stats/figures'),
        awardAction: url(lang, '/admin/stats/awards'),
        publicHref: url(lang, '/stats'),
      }),
    );
  };

  router.get('/stats', async (req, res) => {
    assertPlainQuery(req.query);
    await show(req, res);
  });

  const FIGURE_FIELDS = ['key', 'value', 'date', 'source', 'sourceUrl', 'note'];
  router.post('/stats/figures', requireRole('editor'), async (req, res) => {
    const lang = res.locals.lang;
    try {
      await recordFigure(req.body ?? {}, { actor: actorOf(res) });
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed') {
        return show(req, res, { figure: formFromError(lang, err, keep(req.body, FIGURE_FIELDS), 'figure') }, 400);
      }
      throw err;
    }
    flash(req, 'stats.saved.figure');
    res.redirect(303, `${url(lang, '/admin/stats')}#figures`);
  });

  const AWARD_FIELDS = ['brand', 'award', 'year', 'note'];
  router.post('/stats/awards', requireRole('editor'), async (req, res) => {
    const lang = res.locals.lang;
    try {
      await attachAward(req.body ?? {}, { actor: actorOf(res) });
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed') {
        return show(req, res, { award: formFromError(lang, err, keep(req.body, AWARD_FIELDS), 'award') }, 400);
      }
      throw err;
    }
    flash(req, 'stats.saved.award');
    res.redirect(303, `${url(lang, '/admin/stats')}#awards`);
  });

  router.post('/stats/awards/:id/withdraw', requireRole('editor'), async (req, res) => {
    const lang = res.locals.lang;
    const id = String(req.params.id);
    try {
      await withdrawAward(id, req.body ?? {}, { actor: actorOf(res) });
    } catch (err) {
      if (err instanceof AppError && (err.code === 'validation_failed' || err.code === 'conflict')) {
        const form = formFromError(lang, err, keep(req.body, ['reason']), 'withdraw');
        return show(req, res, { withdraw: { ...form, id } }, err.status);
      }
      throw err;
    }
    flash(req, 'stats.saved.withdrawn');
    res.redirect(303, `${url(lang, '/admin/stats')}#awards`);
  });

  return router;
}
