/**
 * Handlers of the edit form, for brands, trademarks and each registry kind: the form filled from
 * the saved entry, and its submission — only the changed fields, claimed against the version the
 * form was based on, so a stale form gets the conflict page. A "restart" from the conflict page
 * shows the user's values again on top of the current version.
 */
import { actorOf } from '../../accounts/middleware.js';
import { t } from '../../platform/i18n.js';
import { updateEntry } from '../../registries/service.js';
import { bodyOf, brandRef, entryPath, isAppError, langOf, load, saved, versionOf, type AdminContext, type Handler } from './context.js';
import { conflictPage } from './conflict-page.js';
import { formPage } from './form-page.js';
import { changedOnly, domainProblems, formValuesOf, parseForm } from './forms.js';
import { specOf, type EntityKey } from './specs.js';

/** GET /<key>/:id/edit */
export function editForm(ctx: AdminContext, key: EntityKey): Handler {
  const spec = specOf(key);
  return async function editForm(req, res) {
    const doc = await load(spec, String(req.params.id));
    const brand = key === 'brands' ? null : await brandRef(doc.brand);
    formPage(ctx, res, { spec, mode: 'edit', values: formValuesOf(spec, doc, 'edit'), version: doc.version, doc, brand });
  };
}

/** POST /<key>/:id/edit */
export function editSubmit(ctx: AdminContext, key: EntityKey): Handler {
  const spec = specOf(key);
  return async function editSubmit(req, res) {
    const lang = langOf(res);
    const doc = await load(spec, String(req.params.id));
    const body = bodyOf(req);
    const version = versionOf(body);
    const brand = key === 'brands' ? null : await brandRef(doc.brand);
    const parsed = await parseForm(spec, body, 'edit');
    if (body._action === 'restart') {
      // From the conflict page: the user's values on top of the current version, to review and save.
      return formPage(ctx, res, {
        spec,
        mode: 'edit',
        values: parsed.values,
        problems: parsed.problems,
        version: doc.version,
        doc,
        brand,
        status: 200,
        notice: t(lang, 'adminreg.conflict.restarted', { v: doc.version }),
      });
    }
    if (parsed.problems.length) {
      const problems = [...parsed.problems, ...(await domainProblems(spec, parsed, doc))];
      return formPage(ctx, res, { spec, mode: 'edit', values: parsed.values, problems, version, doc, brand });
    }
    try {
      const changes = changedOnly(spec, parsed, formValuesOf(spec, doc, 'edit'));
      await updateEntry(spec.model, String(doc._id), version, changes, { actor: actorOf(res), now: ctx.now() });
      saved(req, res, entryPath(key, doc._id));
    } catch (err) {
      if (isAppError(err, 'validation_failed'))
        return formPage(ctx, res, { spec, mode: 'edit', values: parsed.values, problems: err.fields, version, doc, brand });
      if (isAppError(err, 'conflict')) return conflictPage(ctx, res, { spec, id: String(doc._id), baseVersion: version, mine: parsed.values, mode: 'edit' });
      throw err;
    }
  };
}
