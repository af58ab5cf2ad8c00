/**
 * /admin/reference: the reference data an admin extends — recognition levels, certificate statuses
 * and 老字号 re-review outcomes (src/registries/reference-data.ts). Each list with its values, their
 * English names, whether they are built in, who added them and how many entries use them; a form
 * to add a value, and one to deactivate (or reactivate) an added value. Nothing is ever deleted: a
 * deactivated value stays on the entries that hold it and is no longer offered.
 *
 * Admins only (as the accounts page): the lists decide what every editor and every import may
 * write, so changing them is an administrator's act; editors and viewers get a 403. Writes go
 * through the registry service, so each is in the change log and the audit trail.
 */
import { Router, type Request, type Response } from 'express';
import { actorOf, flash, requireRole } from '../accounts/middleware.js';
import type { FieldProblem } from '../platform/errors.js';
import { registerMessages, t, type Lang } from '../platform/i18n.js';
import { url, type Render } from '../platform/views.js';
import { Certificate, TimeHonored } from '../registries/models.js';
import { isReferenceList, REFERENCE_LISTS, referenceItems, type ReferenceItem, type ReferenceList } from '../registries/reference-data.js';
import { REFERENCE_NAME_EN_MAX, REFERENCE_VALUE_MAX } from '../registries/rules.js';
import { addReferenceValue, setReferenceValueActive } from '../registries/service.js';
import { bodyOf, isAppError, str, versionOf } from './registries/context.js';
import { isObjectId } from './registries/forms.js';
import { AppError } from '../platform/errors.js';

registerMessages({
  'audit.model.ReferenceValue': ['参考数据', 'Reference data'],
  'reference.title': ['参考数据', 'Reference data'],
  'reference.intro': [
    '认定级别、证书状态和老字号复核结果是可扩展的参考数据：新增的值立即可在表单、导入和接口中使用，每次修改都记入审计日志。内置值不能停用；停用的值不再可选，已使用它的条目保持不变。',
    'Recognition levels, certificate statuses and re-review outcomes are reference data you can extend: an added value can be used at once in forms, imports and the API, and every change is in the audit trail. Built-in values cannot be deactivated; a deactivated value is no longer offered, and entries that hold it keep it.',
  ],
  'reference.list.certificate-level': ['认定级别', 'Recognition levels'],
  'reference.list.certificate-status': ['证书状态', 'Certificate statuses'],
  'reference.list.review-outcome': ['老字号复核结果', 'Time-honored re-review outcomes'],
  'reference.col.value': ['值（中文）', 'Value (Chinese)'],
  'reference.col.nameEn': ['英文名称', 'English name'],
  'reference.col.origin': ['来源', 'Origin'],
  'reference.col.inUse': ['使用中', 'In use'],
  'reference.col.state': ['状态', 'State'],
  'reference.col.action': ['操作', 'Action'],
  'reference.builtIn': ['内置', 'Built in'],
  'reference.addedBy': ['{actor} 新增', 'Added by {actor}'],
  'reference.active': ['可选', 'Active'],
  'reference.inactive': ['已停用', 'Deactivated'],
  'reference.deactivate': ['停用', 'Deactivate'],
  'reference.reactivate': ['重新启用', 'Reactivate'],
  'reference.add': ['新增一个值', 'Add a value'],
  'reference.addTo': ['新增到“{list}”', 'Add to “{list}”'],
  'reference.valueHint': ['中文名称，最多{n}个字符，保存后即为存储的值', 'The Chinese name, at most {n} characters; it is the stored value'],
  'reference.nameEnHint': ['英文页面显示的名称，最多{n}个字符', 'Shown on English pages, at most {n} characters'],
  'reference.submit': ['新增', 'Add'],
  'reference.added': ['已新增“{value}”。', 'Added “{value}”.'],
  'reference.deactivated': ['已停用“{value}”。', 'Deactivated “{value}”.'],
  'reference.reactivated': ['已重新启用“{value}”。', 'Reactivated “{value}”.'],
  'reference.errors': ['请更正以下问题后再提交。', 'Please correct the problems below.'],
});

export interface ReferenceAdminDeps {
  render: Render;
}

/** How many entries hold each value of a list (a value in use is never removed, only deactivated). */
async function usage(list: ReferenceList, items: readonly ReferenceItem[]): Promise<number[]> {
  return Promise.all(
    items.map((i) =>
      list === 'certificate-level'
        ? Certificate.countDocuments({ level: i.value })
        : list === 'certificate-status'
          ? Certificate.countDocuments({ status: i.value })
          : TimeHonored.countDocuments({ 'reviews.outcome': i.value }),
    ),
  );
}

/** A refused addition, shown again on its list's form. */
interface AddForm {
  list: ReferenceList;
  values: { value: string; nameEn: string };
  problems: FieldProblem[];
}

async function page(render: Render, res: Response, status: number, failed?: AddForm): Promise<void> {
  const lang: Lang = res.locals.lang ?? 'zh';
  const msg = (p: FieldProblem) => (lang === 'en' ? p.messageEn : p.message);
  const lists = await Promise.all(
    REFERENCE_LISTS.map(async (list) => {
      const items = referenceItems(list);
      const counts = await usage(list, items);
      const form = failed?.list === list ? failed : null;
      const errorOf = (field: string) =>
        (form?.problems ?? [])
          .filter((p) => p.field === field)
          .map(msg)
          .join('；');
      return {
        list,
        title: t(lang, `reference.list.${list}`),
        items: items.map((i, n) => ({
          ...i,
          inUse: counts[n] ?? 0,
          origin: i.builtIn ? t(lang, 'reference.builtIn') : t(lang, 'reference.addedBy', { actor: i.addedBy }),
          action: i.builtIn || !i.id ? null : { href: url(lang, `/admin/reference/${i.id}/active`), active: i.active ? '0' : '1', version: i.version },
        })),
        form: {
          action: url(lang, '/admin/reference'),
          value: form?.values.value ?? '',
          nameEn: form?.values.nameEn ?? '',
          valueError: errorOf('value'),
          nameEnError: errorOf('nameEn'),
          other: (form?.problems ?? []).filter((p) => p.field !== 'value' && p.field !== 'nameEn').map(msg),
          failed: Boolean(form),
        },
      };
    }),
  );
  res
    .status(status)
    .type('html')
    .send(
      render('admin/reference', {
        ...res.locals,
        title: t(lang, 'reference.title'),
        lists,
        valueMax: REFERENCE_VALUE_MAX,
        nameEnMax: REFERENCE_NAME_EN_MAX,
      }),
    );
}

const langOf = (res: Response): Lang => res.locals.lang ?? 'zh';

function listOf(body: Record<string, unknown>): ReferenceList {
  const list = body.list;
  if (!isReferenceList(list)) throw new AppError('bad_request', '参考数据列表不存在', { messageEn: 'no such reference list' });
  return list;
}

export function referenceAdminRoutes({ render }: ReferenceAdminDeps): Router {
  const router = Router();
  const admin = requireRole('admin');

  router.get('/reference', admin, (_req, res) => page(render, res, 200));

  router.post('/reference', admin, async (req: Request, res: Response) => {
    const body = bodyOf(req);
    const list = listOf(body);
    const problems: FieldProblem[] = [];
    const values = { value: str(body, 'value', problems).trim(), nameEn: str(body, 'nameEn', problems).trim() };
    if (problems.length) return page(render, res, 400, { list, values, problems });
    try {
      await addReferenceValue(list, values, { actor: actorOf(res), reason: 'reference data: value added' });
    } catch (err) {
      if (isAppError(err, 'validation_failed')) return page(render, res, 400, { list, values, problems: err.fields });
      throw err;
    }
    flash(req, 'reference.added', { value: values.value });
    res.redirect(303, `${url(langOf(res), '/admin/reference')}#list-${list}`);
  });

  router.post('/reference/:id/active', admin, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    if (!isObjectId(id)) throw new AppError('not_found', '找不到该值', { messageEn: 'No such value' });
    const body = bodyOf(req);
    const version = versionOf(body);
    const active = body.active === '1' ? true : body.active === '0' ? false : null;
    if (active === null) throw new AppError('bad_request', 'active 应为 1 或 0', { messageEn: 'active must be 1 or 0' });
    const doc = await setReferenceValueActive(id, version, active, {
      actor: actorOf(res),
      reason: active ? 'reference data: value reactivated' : 'reference data: value deactivated',
    });
    flash(req, active ? 'reference.reactivated' : 'reference.deactivated', { value: String(doc.value) });
    res.redirect(303, `${url(langOf(res), '/admin/reference')}#list-${String(doc.list)}`);
  });

  return router;
}
