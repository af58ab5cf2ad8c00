/**
 * The regulators' editing screens (mounted inside /admin after requireRole('viewer')):
 * lists per registry and of brands, an entry page with its history, create and edit forms,
 * status changes with a reason (动态管理), the famous-mark ledger's protection records and the
 * "due" view.
 *
 * Every write goes through the registry service (which audits it and feeds the search index);
 * forms carry the version they were based on, and a stale one gets the conflict page, never a
 * silent overwrite. Viewers read everything here; forms and writes need the editor role.
 */
import { Router, type Request, type Response } from 'express';
import type { Model } from 'mongoose';
import { actorOf, flash, requireRole } from '../../accounts/middleware.js';
import { historyOf } from '../../audit/index.js';
import { AppError, type FieldProblem } from '../../platform/errors.js';
import { label, t, type Lang } from '../../platform/i18n.js';
import { url, type Render } from '../../platform/views.js';
import {
  Brand, Certificate, DirectoryEntry, FamousMark, TimeHonored, Trademark, effectiveCertificateStatus,
} from '../../registries/models.js';
import { KINDS, PROTECTION_RECORD_KINDS, type Kind } from '../../registries/reference.js';
import { appendProtectionRecord, changeStatus, createEntry, updateEntry } from '../../registries/service.js';
import { SearchUnavailableError, type SearchIndex } from '../../search/port.js';
import { statusClass } from '../../search/view-model.js';
import { ROLE_RANK, type Role } from '../../accounts/roles.js';
import { dueView } from './due.js';
import { changedOnly, domainProblems, formValuesOf, formView, isObjectId, normalise, parseDay, parseForm, type FormValues } from './forms.js';
import { brandList, registryList } from './lists.js';
import './messages.js';
import { formFields, SPECS, type EntityKey, type EntitySpec, type FieldSpec } from './specs.js';
import { brandLinks, factRows, fieldLabel, historyView, recordsView, statusView, type HistoryEvent } from './views.js';

export interface RegistryAdminDeps {
  render: Render;
  index: SearchIndex;
  /** Clock for expiry (过期) and the due view; injectable for tests. */
  now?: () => Date;
}

type Doc = Record<string, any> & { _id: unknown; version: number };

const badRequest = (field: string, zh: string, en: string) =>
  new AppError('bad_request', `${field}: ${zh}`, { messageEn: `${field}: ${en}`, fields: [{ field, message: zh, messageEn: en }] });

/** The version a form was based on: one plain positive integer, or a 400. */
function versionOf(body: Record<string, unknown>): number {
  const v = body.version;
  if (typeof v !== 'string' || !/^\d{1,9}$/.test(v) || Number(v) < 1) throw badRequest('version', '版本号缺失或格式不正确', 'missing or malformed version');
  return Number(v);
}

/** One plain string from a form body (arrays and objects are refused as a field problem). */
function str(body: Record<string, unknown>, name: string, problems: FieldProblem[]): string {
  const v = body[name];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') {
    problems.push({ field: name, message: '格式不正确，应为一段文字', messageEn: 'must be a single text value' });
    return '';
  }
  return v;
}

const bodyOf = (req: Request) => (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
const isAppError = (err: unknown, code: string): err is AppError => err instanceof AppError && err.code === code;

export function registryAdminRoutes(deps: RegistryAdminDeps): Router {
  const { render, index } = deps;
  const now = deps.now ?? (() => new Date());
  const router = Router();
  const editor = requireRole('editor');

  const langOf = (res: Response) => (res.locals.lang as Lang) ?? 'zh';
  const canEdit = (res: Response) => {
    const role = (res.locals.user as { role?: Role } | undefined)?.role;
    return role ? ROLE_RANK[role] >= ROLE_RANK.editor : false;
  };
  const send = (res: Response, view: string, data: Record<string, unknown>, status = 200) => {
    res.status(status);
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(render(view, { ...res.locals, canEdit: canEdit(res), ...data }));
  };
  /** After a write: the message for the next page, and a 303 so a reload does not post again. */
  const saved = (req: Request, res: Response, path: string, hash = '') => {
    flash(req, 'adminreg.saved');
    res.redirect(303, url(langOf(res), path) + hash);
  };
  const entryPath = (key: EntityKey, id: unknown) => `/admin/${key}/${String(id)}`;

  async function load(spec: EntitySpec, id: string): Promise<Doc> {
    const doc = isObjectId(id) ? ((await spec.model.findById(id).lean()) as Doc | null) : null;
    if (!doc) throw new AppError('not_found', '找不到该条目', { messageEn: 'No such entry' });
    return doc;
  }
  const brandRef = async (id: unknown) => (id ? ((await Brand.findById(id).select('name slug').lean()) as { _id: unknown; name: string; slug: string } | null) : null);

  // ----- lists ---------------------------------------------------------------------------------

  router.get('/brands', async (req, res) => {
    const lang = langOf(res);
    const vm = await brandList(lang, req.query as Record<string, unknown>, index).catch((err) => {
      if (err instanceof SearchUnavailableError) return null;
      throw err;
    });
    if (!vm) return send(res, 'admin/list', { title: t(lang, 'adminreg.list.brands'), heading: t(lang, 'adminreg.list.brands'), unavailable: true }, 503);
    send(res, 'admin/brands', { title: t(lang, 'adminreg.list.brands'), ...vm });
  });

  for (const kind of KINDS) {
    router.get(`/${kind}`, async (req, res) => {
      const lang = langOf(res);
      const heading = t(lang, `kind.${kind}`);
      try {
        const vm = await registryList(lang, kind, req.query as Record<string, unknown>, index, now());
        send(res, 'admin/list', { title: heading, heading, ...vm });
      } catch (err) {
        if (!(err instanceof SearchUnavailableError)) throw err;
        send(res, 'admin/list', { title: heading, heading, unavailable: true, kind }, 503);
      }
    });
  }

  router.get('/due', async (_req, res) => {
    const lang = langOf(res);
    const vm = await dueView(lang, now());
    send(res, 'admin/due', {
      title: t(lang, 'adminreg.due.title'),
      ...vm,
      groups: vm.groups.map((g) => ({ ...g, title: t(lang, `adminreg.due.${g.key}`, { n: vm.days }), id: `due-${g.key}` })),
    });
  });

  // ----- create and edit forms -----------------------------------------------------------------

  const entities: EntityKey[] = ['brands', 'trademarks', ...KINDS];

  function formPage(res: Response, o: {
    spec: EntitySpec; mode: 'create' | 'edit'; values: FormValues; problems?: FieldProblem[];
    version?: number; doc?: Doc; brand?: { _id: unknown; name: string; slug: string } | null; notice?: string; status?: number;
  }) {
    const lang = langOf(res);
    const fields = formFields(o.spec, o.mode);
    const entity = t(lang, `adminreg.entity.${o.spec.key}`);
    const heading = o.mode === 'create' ? t(lang, 'adminreg.form.createTitle', { entity }) : t(lang, 'adminreg.form.editTitle', { entity });
    const subject = o.spec.key === 'brands' ? (o.doc?.name as string | undefined) : o.brand?.name;
    send(res, 'admin/edit', {
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
    }, o.status ?? (o.problems?.length ? 400 : 200));
  }

  for (const key of entities) {
    const spec = SPECS[key];

    router.get(`/${key}/new`, editor, async (req, res) => {
      const values: FormValues = {};
      const q = req.query as Record<string, unknown>;
      const brandSlug = typeof q.brand === 'string' && /^[a-z0-9][a-z0-9-]{0,79}$/.test(q.brand) ? q.brand : '';
      for (const f of formFields(spec, 'create')) {
        if (f.type === 'brand') values[f.name] = brandSlug;
        else if (f.name === 'status' && f.options) values[f.name] = f.options[0]!;
        else values[f.name] = '';
      }
      formPage(res, { spec, mode: 'create', values });
    });

    router.post(`/${key}/new`, editor, async (req, res) => {
      const parsed = await parseForm(spec, bodyOf(req), 'create');
      if (parsed.problems.length) {
        const problems = [...parsed.problems, ...(await domainProblems(spec, parsed))];
        return formPage(res, { spec, mode: 'create', values: parsed.values, problems });
      }
      try {
        const doc = await createEntry<Doc>(spec.model, parsed.data, { actor: actorOf(res), now: now() });
        saved(req, res, entryPath(key, doc._id));
      } catch (err) {
        if (!isAppError(err, 'validation_failed')) throw err;
        formPage(res, { spec, mode: 'create', values: parsed.values, problems: err.fields });
      }
    });

    router.get(`/${key}/:id/edit`, editor, async (req, res) => {
      const doc = await load(spec, String(req.params.id));
      const brand = key === 'brands' ? null : await brandRef(doc.brand);
      formPage(res, { spec, mode: 'edit', values: formValuesOf(spec, doc, 'edit'), version: doc.version, doc, brand });
    });

    router.post(`/${key}/:id/edit`, editor, async (req, res) => {
      const lang = langOf(res);
      const doc = await load(spec, String(req.params.id));
      const body = bodyOf(req);
      const version = versionOf(body);
      const brand = key === 'brands' ? null : await brandRef(doc.brand);
      const parsed = await parseForm(spec, body, 'edit');
      if (body._action === 'restart') {
        // From the conflict page: the user's values on top of the current version, to review and save.
        return formPage(res, {
          spec, mode: 'edit', values: parsed.values, problems: parsed.problems, version: doc.version, doc, brand, status: 200,
          notice: t(lang, 'adminreg.conflict.restarted', { v: doc.version }),
        });
      }
      if (parsed.problems.length) {
        const problems = [...parsed.problems, ...(await domainProblems(spec, parsed, doc))];
        return formPage(res, { spec, mode: 'edit', values: parsed.values, problems, version, doc, brand });
      }
      try {
        const changes = changedOnly(spec, parsed, formValuesOf(spec, doc, 'edit'));
        await updateEntry(spec.model, doc._id as string, version, changes, { actor: actorOf(res), now: now() });
        saved(req, res, entryPath(key, doc._id));
      } catch (err) {
        if (isAppError(err, 'validation_failed')) return formPage(res, { spec, mode: 'edit', values: parsed.values, problems: err.fields, version, doc, brand });
        if (isAppError(err, 'conflict')) return conflictPage(res, { spec, id: String(doc._id), baseVersion: version, mine: parsed.values, mode: 'edit' });
        throw err;
      }
    });

    router.get(`/${key}/:id`, async (req, res) => {
      const doc = await load(spec, String(req.params.id));
      await entryPage(res, spec, doc, {});
    });
  }

  // ----- the conflict page ---------------------------------------------------------------------

  async function conflictPage(res: Response, o: { spec: EntitySpec; id: string; baseVersion: number; mine: FormValues; mode: 'edit' | 'status' | 'record' }) {
    const lang = langOf(res);
    const current = await load(o.spec, o.id);
    const events = ((await historyOf(o.spec.modelName, o.id)) ?? []) as HistoryEvent[];
    // Events newer than the version the form was based on (one per version when no version is recorded).
    const meanwhile = events.filter((e, i) => (typeof e.version === 'number' ? e.version > o.baseVersion : i < current.version - o.baseVersion));
    const changedBy = new Map<string, HistoryEvent>();
    for (const e of [...meanwhile].reverse()) for (const c of e.changes ?? []) changedBy.set(c.field, e);
    const fields = o.mode === 'edit' ? formFields(o.spec, 'edit') : [];
    const theirs = formValuesOf(o.spec, current, 'edit');
    const show = (type: string, v: string) => (type === 'checkbox' ? t(lang, v ? 'adminreg.yes' : 'adminreg.no') : type === 'select' ? label(lang, v) : v);
    const rows = o.mode === 'edit'
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
        return { label: fieldLabel(lang, name), mine: label(lang, mine) || '—', theirs: label(lang, saved) || '—', differs: mine !== saved, by: by ? { actor: by.actor, at: by.at } : null };
      });
    const brand = o.spec.key === 'brands' ? null : await brandRef(current.brand);
    const entity = t(lang, `adminreg.entity.${o.spec.key}`);
    send(res, 'admin/conflict', {
      title: t(lang, 'adminreg.conflict.title'),
      entity,
      subject: o.spec.key === 'brands' ? current.name : brand?.name,
      baseVersion: o.baseVersion,
      currentVersion: current.version,
      rows,
      meanwhile: historyView(lang, o.spec.modelName, meanwhile),
      isEdit: o.mode === 'edit',
      restartAction: url(lang, `${entryPath(o.spec.key, o.id)}/edit`),
      restartValues: o.mode === 'edit' ? Object.entries(o.mine).map(([name, value]) => ({ name, value })) : [],
      editHref: url(lang, `${entryPath(o.spec.key, o.id)}/edit`),
      entryHref: url(lang, entryPath(o.spec.key, o.id)),
    }, 409);
  }

  // ----- the entry page ------------------------------------------------------------------------

  interface EntryExtras {
    statusForm?: { values: { status: string; statusReason: string }; problems: FieldProblem[] };
    recordForm?: { values: Record<string, string>; problems: FieldProblem[] };
    status?: number;
  }

  async function entryPage(res: Response, spec: EntitySpec, doc: Doc, extras: EntryExtras) {
    const lang = langOf(res);
    const id = String(doc._id);
    const clock = now();
    const brand = spec.key === 'brands' ? { _id: doc._id, name: doc.name as string, slug: doc.slug as string } : await brandRef(doc.brand);
    const [events, related] = await Promise.all([
      historyOf(spec.modelName, id) as Promise<HistoryEvent[]>,
      relatedOf(lang, spec.key, doc, brand, clock),
    ]);
    const entity = t(lang, `adminreg.entity.${spec.key}`);
    const st = statusView(lang, spec, doc, clock);
    const editable = canEdit(res);
    const statusProblems = extras.statusForm?.problems ?? [];
    const recordProblems = extras.recordForm?.problems ?? [];
    const anchor = spec.key === 'brands' || spec.key === 'trademarks' ? '' : `#${spec.key}`;
    send(res, 'admin/entry', {
      title: `${entity} · ${brand?.name ?? ''}`,
      entity,
      entityKey: spec.key,
      heading: spec.key === 'certified' ? `${doc.product}` : spec.key === 'trademarks' ? `${doc.mark}` : brand?.name ?? '',
      brand: brandLinks(lang, brand),
      publicHref: brand ? `${url(lang, `/brands/${brand.slug}`)}${anchor}` : null,
      version: doc.version,
      createdAt: doc.createdAt ?? null,
      updatedAt: doc.updatedAt ?? null,
      facts: factRows(lang, spec, doc),
      status: st,
      editHref: url(lang, `${entryPath(spec.key, id)}/edit`),
      listHref: url(lang, `/admin/${spec.key === 'trademarks' ? 'brands' : spec.key}`),
      listLabel: t(lang, `adminreg.list.${spec.key === 'trademarks' ? 'brands' : spec.key}`),
      ...related,
      statusForm: editable && spec.statuses ? {
        action: url(lang, `${entryPath(spec.key, id)}/status`),
        version: doc.version,
        ...formView(lang, [{ name: 'status', type: 'select', options: spec.statuses, required: true }, { name: 'statusReason', type: 'textarea', required: true, max: 500 }],
          extras.statusForm?.values ?? { status: '', statusReason: '' }, statusProblems),
      } : null,
      recordForm: editable && spec.key === 'famous' ? recordFormView(lang, id, doc, extras.recordForm?.values, recordProblems) : null,
      history: historyView(lang, spec.modelName, events ?? []),
    }, extras.status ?? 200);
  }

  /** What an entry page shows besides its own fields: the brand's trademarks, its lists, the ledger. */
  async function relatedOf(lang: Lang, key: EntityKey, doc: Doc, brand: { _id: unknown; slug: string } | null, clock: Date) {
    const tmRows = (list: Array<Record<string, any>>) => list.map((m) => ({
      href: url(lang, `/admin/trademarks/${String(m._id)}`), editHref: url(lang, `/admin/trademarks/${String(m._id)}/edit`),
      regNo: m.regNo, mark: m.mark, nice: (m.niceClasses ?? []).join('、'), validFrom: m.validFrom, validTo: m.validTo, madrid: m.madrid,
    }));
    if (key === 'directory' && brand) {
      const marks = await Trademark.find({ brand: String(brand._id) }).sort({ regNo: 1 }).lean();
      return { showTrademarks: true, trademarks: tmRows(marks), newTrademarkHref: url(lang, '/admin/trademarks/new', { brand: brand.slug }) };
    }
    if (key === 'famous') return { showRecords: true, records: recordsView(lang, (doc.records ?? []) as never[]) };
    if (key !== 'brands' || !brand) return {};
    const [marks, directory, famous, timeHonored, certificates] = await Promise.all([
      Trademark.find({ brand: String(brand._id) }).sort({ regNo: 1 }).lean(),
      DirectoryEntry.findOne({ brand: String(brand._id) }).lean(),
      FamousMark.find({ brand: String(brand._id) }).lean(),
      TimeHonored.findOne({ brand: String(brand._id) }).lean(),
      Certificate.find({ brand: String(brand._id) }).sort({ issuedAt: -1 }).lean(),
    ]);
    const entry = (k: Kind, e: Record<string, any>, what: string) => {
      const s = k === 'certified' ? effectiveCertificateStatus(e as { status: string; validUntil: Date }, clock) : String(e.status);
      return { href: url(lang, entryPath(k, e._id)), kind: t(lang, `kind.${k}`), what, status: label(lang, s), statusClass: statusClass(s) };
    };
    const entries = [
      ...(directory ? [entry('directory', directory, directory.advantage ? t(lang, 'brand.advantage') : '')] : []),
      ...famous.map((f) => entry('famous', f, f.trademarkRegNo)),
      ...(timeHonored ? [entry('time-honored', timeHonored, label(lang, timeHonored.tier))] : []),
      ...certificates.map((c) => entry('certified', c, `${c.product} · ${c.number}`)),
    ];
    const add = (k: EntityKey) => ({ href: url(lang, `/admin/${k}/new`, { brand: brand.slug }), label: t(lang, `adminreg.add.${k}`) });
    return {
      showTrademarks: true,
      showEntries: true,
      trademarks: tmRows(marks),
      newTrademarkHref: url(lang, '/admin/trademarks/new', { brand: brand.slug }),
      entries,
      addLinks: [
        ...(directory ? [] : [add('directory')]),
        add('famous'),
        ...(timeHonored ? [] : [add('time-honored')]),
        add('certified'),
      ],
    };
  }

  function recordFormView(lang: Lang, id: string, doc: Doc, values: Record<string, string> | undefined, problems: FieldProblem[]) {
    const v = values ?? { date: '', kind: '', summary: '', outcome: '', links: '', corrects: '' };
    const records = (doc.records ?? []) as Array<{ _id: unknown; date: Date; kind: string }>;
    // Field names carry a "record." prefix so their ids never clash with the status form's.
    const fields: FieldSpec[] = [
      { name: 'record.date', type: 'date', required: true },
      { name: 'record.kind', type: 'select', options: PROTECTION_RECORD_KINDS, required: true },
      { name: 'record.summary', type: 'textarea', required: true, max: 2000 },
      { name: 'record.outcome', type: 'textarea', max: 1000 },
      { name: 'record.links', type: 'textarea', hint: true },
    ];
    if (records.length) {
      fields.push({
        name: 'record.corrects', type: 'select', options: records.map((r) => String(r._id)),
        optionLabels: Object.fromEntries(records.map((r, i) => [String(r._id),
          t(lang, 'adminreg.records.option', { n: i + 1, kind: label(lang, r.kind), d: r.date ? new Date(r.date).toISOString().slice(0, 10) : '' })])),
        emptyLabel: 'adminreg.records.correctsNone',
      });
    }
    return {
      action: url(lang, `/admin/famous/${id}/records`),
      version: doc.version,
      ...formView(lang, fields,
        Object.fromEntries(Object.entries(v).map(([k, x]) => [`record.${k}`, x])),
        problems.map((p) => ({ ...p, field: `record.${p.field}` }))),
    };
  }

  // ----- status changes (动态管理) ---------------------------------------------------------------

  for (const kind of KINDS) {
    const spec = SPECS[kind];
    router.post(`/${kind}/:id/status`, editor, async (req, res) => {
      const doc = await load(spec, String(req.params.id));
      const body = bodyOf(req);
      const version = versionOf(body);
      const problems: FieldProblem[] = [];
      const status = str(body, 'status', problems).trim();
      const reason = str(body, 'statusReason', problems).trim();
      const values = { status, statusReason: reason };
      if (!problems.some((p) => p.field === 'status')) {
        if (!status) problems.push({ field: 'status', message: '请选择新状态', messageEn: 'choose the new status' });
        else if (!spec.statuses!.includes(status)) problems.push({ field: 'status', message: `状态必须是以下之一：${spec.statuses!.join('、')}`, messageEn: `status must be one of: ${spec.statuses!.join(', ')}` });
        else if (status === doc.status) problems.push({ field: 'status', message: '新状态与当前状态相同', messageEn: 'the new status is the current status' });
      }
      if (!problems.some((p) => p.field === 'statusReason')) {
        if (!reason) problems.push({ field: 'statusReason', message: '请填写状态变更原因', messageEn: 'a reason for the status change is required' });
        else if (reason.length > 500) problems.push({ field: 'statusReason', message: '原因不能超过500个字符', messageEn: 'the reason is at most 500 characters' });
      }
      if (problems.length) return entryPage(res, spec, doc, { statusForm: { values, problems }, status: 400 });
      try {
        await changeStatus(spec.model as Model<any>, String(doc._id), version, status, reason, { actor: actorOf(res), reason, now: now() });
        saved(req, res, entryPath(kind, doc._id));
      } catch (err) {
        if (isAppError(err, 'validation_failed')) return entryPage(res, spec, doc, { statusForm: { values, problems: err.fields }, status: 400 });
        if (isAppError(err, 'conflict')) return conflictPage(res, { spec, id: String(doc._id), baseVersion: version, mine: values, mode: 'status' });
        throw err;
      }
    });
  }

  // ----- the famous-mark ledger: protection records (appended, never edited) --------------------

  router.post('/famous/:id/records', editor, async (req, res) => {
    const spec = SPECS.famous;
    const doc = await load(spec, String(req.params.id));
    const body = bodyOf(req);
    const version = versionOf(body);
    const problems: FieldProblem[] = [];
    const read = (name: string) => str(body, `record.${name}`, problems).replace(/^\s+|\s+$/g, '');
    const values = { date: read('date'), kind: read('kind'), summary: read('summary'), outcome: read('outcome'), links: read('links'), corrects: read('corrects') };
    const problem = (field: string, message: string, messageEn: string) => {
      if (!problems.some((p) => p.field === `record.${field}` || p.field === field)) problems.push({ field, message, messageEn });
    };
    // str() names shape problems with the form name; report them on the short name.
    for (const p of problems) p.field = p.field.replace(/^record\./, '');
    const date = parseDay(values.date);
    if (!values.date) problem('date', '请填写日期', 'the date is required');
    else if (!date) problem('date', '日期格式应为 YYYY-MM-DD，且须为真实日期', 'must be a real date as YYYY-MM-DD');
    if (!values.kind) problem('kind', '请选择记录类型', 'choose the kind of record');
    else if (!(PROTECTION_RECORD_KINDS as readonly string[]).includes(values.kind)) problem('kind', `记录类型必须是以下之一：${PROTECTION_RECORD_KINDS.join('、')}`, `kind must be one of: ${PROTECTION_RECORD_KINDS.join(', ')}`);
    if (!values.summary) problem('summary', '请填写摘要', 'the summary is required');
    else if (values.summary.length > 2000) problem('summary', '摘要不能超过2000个字符', 'the summary is at most 2000 characters');
    if (values.outcome.length > 1000) problem('outcome', '结果不能超过1000个字符', 'the outcome is at most 1000 characters');
    const links = values.links.split(/[\r\n]+/).map((l) => l.trim()).filter(Boolean);
    if (links.length > 20) problem('links', '最多20个链接', 'at most 20 links');
    const bad = links.find((l) => !isHttpUrl(l));
    if (bad) problem('links', `链接须以 http:// 或 https:// 开头：${bad.slice(0, 60)}`, `links must start with http:// or https://: ${bad.slice(0, 60)}`);
    const records = (doc.records ?? []) as Array<{ _id: unknown }>;
    if (values.corrects && !records.some((r) => String(r._id) === values.corrects)) problem('corrects', '所更正的记录不存在', 'the record to correct does not exist');
    if (problems.length) return entryPage(res, spec, doc, { recordForm: { values, problems }, status: 400 });
    try {
      await appendProtectionRecord(String(doc._id), version, {
        date: date!, kind: values.kind, summary: values.summary, outcome: values.outcome, links,
        ...(values.corrects ? { corrects: values.corrects } : {}),
      } as never, { actor: actorOf(res), now: now() });
      saved(req, res, entryPath('famous', doc._id), '#records');
    } catch (err) {
      if (isAppError(err, 'validation_failed')) {
        const mapped = err.fields.map((p) => ({ ...p, field: p.field.replace(/^records\.\d+\./, '') }));
        return entryPage(res, spec, doc, { recordForm: { values, problems: mapped }, status: 400 });
      }
      if (isAppError(err, 'conflict')) {
        return conflictPage(res, { spec, id: String(doc._id), baseVersion: version, mine: { summary: values.summary }, mode: 'record' });
      }
      throw err;
    }
  });

  return router;
}

function isHttpUrl(s: string): boolean {
  if (s.length > 500 || /[\s<>"]/.test(s)) return false;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
