/**
 * The decision step's 通过: the application becomes a listing, written through the registry
 * service like any other write (its change log names the reviewer; its rules may refuse, e.g. a
 * brand that already holds this tier, and the refusal comes back as field problems).
 *
 * The brand is found by credit code + name, else name + company, else created with a slug from
 * its name (registries/slug.ts, the import's rule). Then the kind's entry:
 *   time_honored  → TimeHonored {brand, tier: target, recognizedYear, batch of the notice, heritage/story/address}
 *   certification → Certificate {number WHJP-<year>-<6 digits>, level: target, product, scope, issuedAt today, validUntil +3 years}
 *   directory     → DirectoryEntry {brand, listedAt today}
 *   famous        → FamousMark {trademarkRegNo, recognition {route 行政认定, date today}}
 */
import { randomInt } from 'node:crypto';
import { Brand, Certificate, DirectoryEntry, FamousMark, TimeHonored, type BrandDoc } from '../registries/models.js';
import {
  CERTIFICATE_SCOPES,
  DIRECTORY_STATUSES,
  DISTRICTS,
  FAMOUS_STATUSES,
  RECOGNITION_ROUTES,
  SECTORS,
  TIME_HONORED_STATUSES,
} from '../registries/reference.js';
import { validationFailed, type FieldProblem } from '../platform/errors.js';
import { createEntry, type WriteContext } from '../registries/service.js';
import { chooseSlug } from '../registries/slug.js';
import { Enterprise, Notice, type ApplicationDoc } from './model.js';

/** The bureau, as the issuer and recognising authority of what its decisions list. */
export const BUREAU = '武汉市市场监督管理局';

const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');
const first = (fields: Record<string, unknown>, ...names: string[]) => names.map((n) => str(fields[n])).find(Boolean) ?? '';

const need = (field: string, zh: string, en: string): FieldProblem => ({
  field,
  message: `申报缺少${zh}，不能列入`,
  messageEn: `the application lacks ${en}; it cannot be listed`,
});

/** A day in Beijing as its UTC midnight (how the registries store dates). */
function beijingDay(now: Date): Date {
  const bj = new Date(now.getTime() + 8 * 3600_000);
  return new Date(Date.UTC(bj.getUTCFullYear(), bj.getUTCMonth(), bj.getUTCDate()));
}

async function findOrCreateBrand(fields: Record<string, unknown>, ent: { company: string; creditCode: string }, ctx: WriteContext): Promise<BrandDoc> {
  const name = first(fields, 'brandName', 'brand', 'name') || ent.company;
  const company = first(fields, 'company') || ent.company;
  const creditCode = (first(fields, 'creditCode') || ent.creditCode).toUpperCase();
  const byCode = creditCode ? await Brand.findOne({ creditCode, name }).lean<BrandDoc>() : null;
  if (byCode) return byCode;
  const byCompany = await Brand.findOne({ name, company }).lean<BrandDoc>();
  if (byCompany) return byCompany;
  const slug = await chooseSlug(name, creditCode, async (s) => Boolean(await Brand.exists({ slug: s })));
  const district = first(fields, 'district');
  const sector = first(fields, 'sector');
  const data: Record<string, unknown> = {
    slug,
    name,
    company,
    creditCode,
    ...((DISTRICTS as readonly string[]).includes(district) ? { district } : {}),
    ...((SECTORS as readonly string[]).includes(sector) ? { sector } : {}),
    ...(first(fields, 'industry') ? { industry: first(fields, 'industry').slice(0, 40) } : {}),
    ...(first(fields, 'description') ? { description: first(fields, 'description').slice(0, 2000) } : {}),
  };
  const founded = Number(first(fields, 'founded', 'foundedYear'));
  if (Number.isInteger(founded) && founded >= 600 && founded <= 2100) data.founded = founded;
  return createEntry(Brand, data, ctx);
}

async function certificateNumber(year: number): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const n = `WHJP-${year}-${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;
    if (!(await Certificate.exists({ number: n }))) return n;
  }
  throw new Error('no free certificate number');
}

/** Creates the brand (if new) and the kind's entry; registry problems throw validation_failed. */
export async function createListing(
  app: ApplicationDoc,
  ctx: WriteContext & { actor: string; now: Date },
): Promise<{ model: string; id: string; brandSlug: string }> {
  const ent = await Enterprise.findById(app.enterprise, { company: 1, creditCode: 1 }).lean<{ company: string; creditCode: string }>();
  const fields = app.versions.at(-1)?.fields ?? app.fields;
  // What the entry cannot do without, checked before a brand is created for it.
  const missing: FieldProblem[] = [];
  if ((app.kind === 'time_honored' || app.kind === 'certification') && !app.target) missing.push(need('target', '申报级别', 'the level applied for'));
  if (app.kind === 'certification' && !first(fields, 'product')) missing.push(need('product', '认定产品/服务/工程', 'the certified product'));
  if (app.kind === 'famous' && !first(fields, 'trademarkNo', 'trademarkRegNo', 'regNo'))
    missing.push(need('trademarkRegNo', '商标注册号', 'the registration number'));
  if (missing.length) throw validationFailed(missing);
  const wctx: WriteContext = { actor: ctx.actor, reason: `申报 ${app._id}`, now: ctx.now };
  const brand = await findOrCreateBrand(fields, ent ?? { company: '', creditCode: '' }, wctx);
  const today = beijingDay(ctx.now);
  const year = today.getUTCFullYear();
  const done = (model: string, id: unknown) => ({ model, id: String(id), brandSlug: brand.slug });
  switch (app.kind) {
    case 'time_honored': {
      const notice = app.notice ? await Notice.findById(app.notice, { batch: 1 }).lean<{ batch: string }>() : null;
      const entry = await createEntry(
        TimeHonored,
        {
          brand: brand._id,
          tier: app.target,
          recognizedYear: year,
          batch: notice?.batch ?? '',
          heritage: first(fields, 'heritage').slice(0, 500),
          story: (first(fields, 'story') || first(fields, 'heritage')).slice(0, 4000),
          address: first(fields, 'address').slice(0, 200),
          status: TIME_HONORED_STATUSES[0],
        },
        wctx,
      );
      return done('TimeHonored', entry._id);
    }
    case 'certification': {
      const validUntil = new Date(Date.UTC(year + 3, today.getUTCMonth(), today.getUTCDate()));
      const scope = first(fields, 'scope');
      const entry = await createEntry(
        Certificate,
        {
          number: await certificateNumber(year),
          brand: brand._id,
          level: app.target,
          product: first(fields, 'product').slice(0, 120),
          ...((CERTIFICATE_SCOPES as readonly string[]).includes(scope) ? { scope } : {}),
          issuedAt: today,
          validUntil,
          issuer: BUREAU,
          status: '有效',
        },
        wctx,
      );
      return done('Certificate', entry._id);
    }
    case 'directory': {
      const entry = await createEntry(DirectoryEntry, { brand: brand._id, listedAt: today, status: DIRECTORY_STATUSES[0] }, wctx);
      return done('DirectoryEntry', entry._id);
    }
    case 'famous': {
      const entry = await createEntry(
        FamousMark,
        {
          brand: brand._id,
          trademarkRegNo: first(fields, 'trademarkNo', 'trademarkRegNo', 'regNo'),
          // An application to the bureau is an administrative recognition (行政认定), never a court's.
          recognition: { route: RECOGNITION_ROUTES[0], date: today, authority: BUREAU },
          status: FAMOUS_STATUSES[1],
        },
        wctx,
      );
      return done('FamousMark', entry._id);
    }
  }
}
