/**
 * Handlers of the create form, for brands, trademarks and each registry kind: the empty form
 * (a brand can be filled in from ?brand=<slug>) and its submission through the registry service.
 */
import { actorOf } from '../../accounts/middleware.js';
import { createEntry } from '../../registries/service.js';
import { bodyOf, entryPath, isAppError, saved, type AdminContext, type Doc, type Handler } from './context.js';
import { formPage } from './form-page.js';
import { domainProblems, parseForm, type FormValues } from './forms.js';
import { formFields, specOf, type EntityKey } from './specs.js';

/** The bureau's calendar day (Beijing time, UTC+8 all year) as YYYY-MM-DD: "today" for a regulator in Wuhan. */
export const bureauDay = (now: Date): string => new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);

/** GET /<key>/new */
export function createForm(ctx: AdminContext, key: EntityKey): Handler {
  const spec = specOf(key);
  return async function createForm(req, res) {
    const values: FormValues = {};
    const { brand } = req.query;
    const brandSlug = typeof brand === 'string' && /^[a-z0-9][a-z0-9-]{0,79}$/.test(brand) ? brand : '';
    for (const f of formFields(spec, 'create')) {
      if (f.type === 'brand') values[f.name] = brandSlug;
      else if (f.name === 'status' && f.options) values[f.name] = f.options[0]!;
      else if (f.today) values[f.name] = bureauDay(ctx.now());
      else values[f.name] = '';
    }
    formPage(ctx, res, { spec, mode: 'create', values });
  };
}

/** POST /<key>/new */
export function createSubmit(ctx: AdminContext, key: EntityKey): Handler {
  const spec = specOf(key);
  return async function createSubmit(req, res) {
    const parsed = await parseForm(spec, bodyOf(req), 'create');
    if (parsed.problems.length) {
      const problems = [...parsed.problems, ...(await domainProblems(spec, parsed))];
      return formPage(ctx, res, { spec, mode: 'create', values: parsed.values, problems });
    }
    try {
      const doc = await createEntry<Doc>(spec.model, parsed.data, { actor: actorOf(res), now: ctx.now() });
      saved(req, res, entryPath(key, doc._id));
    } catch (err) {
      if (!isAppError(err, 'validation_failed')) throw err;
      formPage(ctx, res, { spec, mode: 'create', values: parsed.values, problems: err.fields });
    }
  };
}
