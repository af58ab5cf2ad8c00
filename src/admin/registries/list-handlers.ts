/**
 * Handlers of the back-office lists: the brand list, one list per registry kind (both read the
 * search index, and say so with a 503 when it is down) and the "due" view.
 */
import { t } from '../../platform/i18n.js';
import type { Kind } from '../../registries/reference.js';
import { SearchUnavailableError } from '../../search/port.js';
import { langOf, send, type AdminContext, type Handler } from './context.js';
import { dueView } from './due.js';
import { brandList, registryList } from './lists.js';
import { parseMissingParam, toCompleteQueue } from './to-complete.js';
import { missingList } from './missing-list.js';
import { assertPlainQuery } from '../../search/params.js';

/** GET /brands */
export function brandsList(ctx: AdminContext): Handler {
  return async function brandsList(req, res) {
    const lang = langOf(res);
    const vm = await brandList(lang, req.query, ctx.index).catch((err) => {
      if (err instanceof SearchUnavailableError) return null;
      throw err;
    });
    if (!vm) return send(ctx, res, 'admin/list', { title: t(lang, 'adminreg.list.brands'), heading: t(lang, 'adminreg.list.brands'), unavailable: true }, 503);
    send(ctx, res, 'admin/brands', { title: t(lang, 'adminreg.list.brands'), ...vm });
  };
}

/** GET /<kind> */
export function kindList(ctx: AdminContext, kind: Kind): Handler {
  return async function kindList(req, res) {
    const lang = langOf(res);
    const heading = t(lang, `kind.${kind}`);
    // Filtered to 待补充, the list reads MongoDB (missing-list.ts): the index does not hold it.
    const query = assertPlainQuery(req.query);
    if (query.missing) {
      send(ctx, res, 'admin/list', { title: heading, heading, ...(await missingList(lang, kind, query, ctx.now())) });
      return;
    }
    try {
      const vm = await registryList(lang, kind, req.query, ctx.index, ctx.now());
      send(ctx, res, 'admin/list', { title: heading, heading, ...vm });
    } catch (err) {
      if (!(err instanceof SearchUnavailableError)) throw err;
      send(ctx, res, 'admin/list', { title: heading, heading, unavailable: true, kind }, 503);
    }
  };
}

/** GET /due */
export function duePage(ctx: AdminContext): Handler {
  return async function duePage(req, res) {
    const lang = langOf(res);
    const only = parseMissingParam(req.query.missing);
    const [vm, toComplete] = await Promise.all([dueView(lang, ctx.now()), toCompleteQueue(lang, only)]);
    send(ctx, res, 'admin/due', {
      title: t(lang, 'adminreg.due.title'),
      ...vm,
      toComplete,
      groups: vm.groups.map((g) => ({ ...g, title: t(lang, `adminreg.due.${g.key}`, { n: vm.days }), id: `due-${g.key}` })),
    });
  };
}
