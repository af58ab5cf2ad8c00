/**
 * The create and edit form page (views/admin/edit.hbs), shared by the create and edit handlers:
 * the entity's fields with the typed values, the problems beside them, and the version the form
 * is based on.
 */
import type { Response } from 'express';
import type { FieldProblem } from '../../platform/errors.js';
import { t } from '../../platform/i18n.js';
import { url } from '../../platform/views.js';
import { entryPath, langOf, send, type AdminContext, type BrandRef, type Doc } from './context.js';
import { formView, type FormValues } from './forms.js';
import { formFields, type EntitySpec } from './specs.js';
import { brandLinks } from './views.js';

export interface FormPage {
  spec: EntitySpec;
  mode: 'create' | 'edit';
  values: FormValues;
  problems?: FieldProblem[];
  version?: number;
  doc?: Doc;
  brand?: BrandRef | null;
  notice?: string;
  /** 200, or 400 when there are problems. */
  status?: number;
}

export function formPage(ctx: AdminContext, res: Response, o: FormPage): void {
  const lang = langOf(res);
  const fields = formFields(o.spec, o.mode);
  const entity = t(lang, `adminreg.entity.${o.spec.key}`);
  const heading = o.mode === 'create' ? t(lang, 'adminreg.form.createTitle', { entity }) : t(lang, 'adminreg.form.editTitle', { entity });
  const subject = o.spec.key === 'brands' ? (typeof o.doc?.name === 'string' ? o.doc.name : undefined) : o.brand?.name;
  send(
    ctx,
    res,
    'admin/edit',
    {
      title: subject ? `${heading} · ${subject}` : heading,
      heading,
      subject,
      mode: o.mode,
      isEdit: o.mode === 'edit',
      action: url(lang, o.mode === 'create' ? `/admin/${o.spec.key}/new` : `${entryPath(o.spec.key, o.doc!._id)}/edit`),
      cancelHref: url(lang, o.mode === 'create' ? `/admin/${o.spec.key === 'trademarks' ? 'brands' : o.spec.key}` : entryPath(o.spec.key, o.doc!._id)),
      version: o.version,
      notice: o.notice,
      brand: brandLinks(lang, o.brand ?? null),
      ...formView(lang, fields, o.values, o.problems ?? []),
    },
    o.status ?? (o.problems?.length ? 400 : 200),
  );
}
