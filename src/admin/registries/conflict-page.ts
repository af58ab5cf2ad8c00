/**
 * The conflict page (views/admin/conflict.hbs, 409): a form, status change or protection record
 * was based on a version someone has since replaced. It shows the user's values beside the saved
 * ones, who changed what meanwhile, and a way to start again from the current version — never a
 * silent overwrite.
 */
import type { Response } from 'express';
import { historyOf } from '../../audit/index.js';
import { label, t } from '../../platform/i18n.js';
import { url } from '../../platform/views.js';
import { brandRef, entryPath, langOf, load, send, type AdminContext } from './context.js';
import { formValuesOf, normalise, type FormValues } from './forms.js';
import { formFields, type EntitySpec } from './specs.js';
import { fieldLabel, historyView, type HistoryEvent } from './views.js';

export interface ConflictPage {
  spec: EntitySpec;
  id: string;
  /** The version the refused form was based on. */
  baseVersion: number;
  mine: FormValues;
  mode: 'edit' | 'status' | 'record';
}

export async function conflictPage(ctx: AdminContext, res: Response, o: ConflictPage): Promise<void> {
  const lang = langOf(res);
  const current = await load(o.spec, o.id);
  const events: HistoryEvent[] = await historyOf(o.spec.modelName, o.id);
  // Events newer than the version the form was based on (one per version when no version is recorded).
  const meanwhile = events.filter((e, i) => (typeof e.version === 'number' ? e.version > o.baseVersion : i < current.version - o.baseVersion));
  const changedBy = new Map<string, HistoryEvent>();
  for (const e of [...meanwhile].reverse()) for (const c of e.changes ?? []) changedBy.set(c.field, e);
  const fields = o.mode === 'edit' ? formFields(o.spec, 'edit') : [];
  const theirs = formValuesOf(o.spec, current, 'edit');
  const show = (type: string, v: string) => (type === 'checkbox' ? t(lang, v ? 'adminreg.yes' : 'adminreg.no') : type === 'select' ? label(lang, v) : v);
  const rows =
    o.mode === 'edit'
      ? fields.map((f) => {
          const by = changedBy.get(f.name.split('.')[0]!);
          const mine = o.mine[f.name] ?? '';
          return {
            label: fieldLabel(lang, f.name),
            mine: show(f.type, mine) || '—',
            theirs: show(f.type, theirs[f.name] ?? '') || '—',
            differs: normalise(mine, f.type) !== normalise(theirs[f.name] ?? '', f.type),
            by: by ? { actor: by.actor, at: by.at } : null,
          };
        })
      : Object.entries(o.mine).map(([name, mine]) => {
          const by = changedBy.get(name);
          const saved = name === 'statusReason' ? String(current.statusReason ?? '') : name === 'status' ? String(current.status ?? '') : '';
          return {
            label: fieldLabel(lang, name),
            mine: label(lang, mine) || '—',
            theirs: label(lang, saved) || '—',
            differs: mine !== saved,
            by: by ? { actor: by.actor, at: by.at } : null,
          };
        });
  const brand = o.spec.key === 'brands' ? null : await brandRef(current.brand);
  const entity = t(lang, `adminreg.entity.${o.spec.key}`);
  send(
    ctx,
    res,
    'admin/conflict',
    {
      title: t(lang, 'adminreg.conflict.title'),
      entity,
      subject: o.spec.key === 'brands' ? current.name : brand?.name,
      baseVersion: o.baseVersion,
      currentVersion: current.version,
      rows,
      meanwhile: historyView(lang, o.spec.modelName, meanwhile, current),
      isEdit: o.mode === 'edit',
      restartAction: url(lang, `${entryPath(o.spec.key, o.id)}/edit`),
      restartValues: o.mode === 'edit' ? Object.entries(o.mine).map(([name, value]) => ({ name, value })) : [],
      editHref: url(lang, `${entryPath(o.spec.key, o.id)}/edit`),
      entryHref: url(lang, entryPath(o.spec.key, o.id)),
    },
    409,
  );
}
