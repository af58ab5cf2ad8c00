/**
 * E-mail alerts (issue #15 item 6): double opt-in, one-click unsubscribe, the change-log trigger,
 * the daily passes and the mail outbox — asserted on what a real SMTP server, started here on
 * 127.0.0.1, received. The workers are driven pass by pass (no timers), so each step is exact.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as cheerio from 'cheerio';
import mongoose from 'mongoose';
import type { Express } from 'express';
import { SMTPServer } from 'smtp-server';
import request from 'supertest';
import { Alerts } from '../src/alerts/index.js';
import { Mail, Subscription } from '../src/alerts/model.js';
import { enqueueMail } from '../src/alerts/outbox.js';
import { subscribe, confirm } from '../src/alerts/service.js';
import { createApp } from '../src/app.js';
import type { Config } from '../src/config/index.js';
import { createLogger } from '../src/platform/logger.js';
import { changeStatus, updateEntry } from '../src/registries/service.js';
import { createTestUser, loginAs } from './support/admin.js';
import { testContext } from './support/context.js';
import { Certificate, createTestBrand, DirectoryEntry } from './support/helpers.js';

interface Received {
  to: string;
  subject: string;
  text: string;
  messageId: string;
  /** The raw header block, unfolded. */
  head: string;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(20);
  }
}

/** An app on the shared stack with its own alerts (not started: the test runs their passes). */
function appWith(alerts: Alerts, config: Config): Express {
  const ctx = testContext();
  return createApp({ config, logger: createLogger('silent'), index: ctx.index, sync: ctx.sync, auditTrail: ctx.auditTrail, audit: ctx.audit, alerts });
}

/** RFC 2047 encoded words (what nodemailer writes for a Chinese subject). */
const decodeWords = (v: string) =>
  v
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_, enc: string, data: string) =>
      enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQp(data.replace(/_/g, ' ')),
    );
/** Quoted-printable bytes to UTF-8 text. */
const decodeQp = (v: string) =>
  Buffer.from(
    v.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('utf8');

/** What a mail reader would show of a message: its headers, and its text/plain part decoded. */
function parseMessage(to: string, raw: string): Received {
  const [headBlock = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const head = headBlock.replace(/\r?\n[ \t]+/g, ' ');
  const get = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'im').exec(head)?.[1]?.trim() ?? '';
  const body = rest.join('\n\n');
  const plain = /Content-Type: text\/plain[^]*?Content-Transfer-Encoding: (\S+)\r?\n\r?\n([^]*?)\r?\n--/i.exec(body);
  const text = !plain ? '' : plain[1]!.toLowerCase() === 'base64' ? Buffer.from(plain[2]!.replace(/\s+/g, ''), 'base64').toString('utf8') : decodeQp(plain[2]!);
  return { to, subject: decodeWords(get('Subject')), text, messageId: get('Message-ID'), head };
}

const header = (m: Received, name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'im').exec(m.head)?.[1]?.trim();

describe('e-mail alerts', function () {
  this.timeout(60_000);
  const received: Received[] = [];
  let server: SMTPServer;
  let alerts: Alerts;
  let app: Express;
  let config: Config;

  before(async () => {
    server = new SMTPServer({
      authOptional: true,
      hideSTARTTLS: true,
      disabledCommands: ['AUTH'],
      logger: false,
      // Two kinds of trouble on demand: a mailbox that does not exist (550, permanent) and a busy one (451, try later).
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('refused-')) return callback(Object.assign(new Error('no such mailbox'), { responseCode: 550 }));
        if (address.address.startsWith('busy-')) return callback(Object.assign(new Error('mailbox busy, try later'), { responseCode: 451 }));
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push(parseMessage(session.envelope.rcptTo.map((r) => r.address).join(','), Buffer.concat(chunks).toString('utf8')));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as AddressInfo).port;
    config = { ...testContext().config, SMTP_URL: `smtp://127.0.0.1:${port}` };
    alerts = new Alerts({ config, log: createLogger('silent'), settleMs: 0, leaseMs: 400, backoffMs: 50, maxAttempts: 3 });
    await alerts.producer.init();
    app = appWith(alerts, config);
  });

  after(async () => {
    await alerts.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** One round of the workers: change log → items → mails → SMTP. */
  async function round(): Promise<void> {
    await alerts.producer.runOnce();
    await alerts.sender.runOnce();
  }

  const to = (email: string) => received.filter((m) => m.to === email);

  it('when a citizen subscribes to a brand, then only a confirmation arrives until they confirm; then one status change is one alert with one-click unsubscribe, and after it nothing more', async () => {
    const email = `citizen-${Date.now().toString(36)}@example.cn`;
    const { slug, directory } = await createTestBrand({ slugPrefix: 'alert', name: '提醒测试品牌' });
    const page = cheerio.load((await request(app).get(`/brands/${slug}`)).text);
    const form = page('form.alerts-inline');
    assert.equal(form.attr('action'), '/alerts/subscribe', 'the brand page carries a subscribe form');
    assert.equal(form.find('input[name="type"]').val(), 'brand');
    assert.equal(form.find('input[name="ref"]').val(), slug);
    const token = String(form.find('input[name="_form"]').val());
    await pause(1_100); // a form sent within a second of its page is a script's

    const res = await request(app).post('/alerts/subscribe').type('form').send({ _form: token, type: 'brand', ref: slug, email });
    assert.equal(res.status, 303, res.text.slice(0, 300));
    assert.equal(res.headers.location, '/alerts/sent');
    await round();
    await until('the confirmation', () => to(email).length === 1);
    const confirmation = to(email)[0]!;
    assert.match(confirmation.subject, /请确认订阅.*Please confirm/);
    assert.match(confirmation.text, /提醒测试品牌/);
    const link = /https?:\/\/[^\s]+\/alerts\/confirm\/([A-Za-z0-9_-]+)/.exec(confirmation.text);
    assert.ok(link, confirmation.text);
    const stored = await Subscription.findOne({ email }).lean();
    assert.equal(stored?.status, 'pending');
    assert.ok(stored?.confirmHash && !stored.confirmHash.includes(link[1]!), 'only a hash of the token is stored');

    // Not confirmed yet: a status change of the brand's entry sends nothing.
    const suspended = await changeStatus(DirectoryEntry, String(directory!._id), Number(directory!.version), '暂停', '测试：确认前的变化', { actor: 'test' });
    await round();
    await pause(200);
    assert.equal(to(email).length, 1, 'nothing but the confirmation before confirming');

    const confirmPath = `/alerts/confirm/${link[1]}`;
    const confirmPage = await request(app).get(confirmPath);
    assert.equal(confirmPage.status, 200);
    assert.equal((await Subscription.findOne({ email }).lean())?.status, 'pending', 'opening the link (a mail scanner) does not confirm');
    const confirmed = await request(app).post(confirmPath).type('form').send({});
    assert.equal(confirmed.status, 200);
    assert.match(confirmed.text, /订阅成功/);
    assert.equal((await request(app).post(confirmPath).type('form').send({})).status, 404, 'the token is single-use');

    await changeStatus(DirectoryEntry, String(directory!._id), Number(suspended.version), '在册', '测试：恢复在册', { actor: 'test' });
    await round();
    await until('the alert', () => to(email).length === 2);
    await round();
    await pause(200);
    assert.equal(to(email).length, 2, 'exactly one alert for one status change');
    const alert = to(email)[1]!;
    assert.match(alert.text, /提醒测试品牌/);
    assert.match(alert.text, /暂停 → 在册/);
    assert.match(alert.text, /测试：恢复在册/);
    const unsubscribe = header(alert, 'List-Unsubscribe');
    assert.match(unsubscribe ?? '', /^<https?:\/\/[^>]+\/alerts\/unsubscribe\/[0-9a-f]{24}\.[A-Za-z0-9_-]+>$/);
    assert.equal(header(alert, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
    const row = await Mail.findOne({ to: email, kind: 'alert' }).lean();
    assert.equal(row?.status, 'sent');
    assert.equal(alert.messageId, row?.messageId, 'the Message-ID is the one the outbox stored');

    // RFC 8058 one-click: a POST from the mail client, no page, no form token.
    const unsubscribePath = new URL(unsubscribe!.slice(1, -1)).pathname;
    const gone = await request(app).post(unsubscribePath).type('form').send('List-Unsubscribe=One-Click');
    assert.equal(gone.status, 200);
    assert.equal((await Subscription.findOne({ email }).lean())?.status, 'unsubscribed');
    const again = await DirectoryEntry.findById(directory!._id).lean();
    await changeStatus(DirectoryEntry, String(directory!._id), Number(again!.version), '暂停', '测试：退订后的变化', { actor: 'test' });
    await round();
    await pause(200);
    assert.equal(to(email).length, 2, 'no mail after unsubscribing');
    assert.equal(
      (
        await request(app)
          .post(`${unsubscribePath.slice(0, -3)}xyz`)
          .type('form')
          .send('List-Unsubscribe=One-Click')
      ).status,
      404,
      'a forged token is refused',
    );
  });

  it('when a sender claims a mail and dies, then after the lease another claim delivers it, once', async () => {
    const key = `test:crash:${Date.now().toString(36)}`;
    const email = `crash-${Date.now().toString(36)}@example.cn`;
    assert.ok(await enqueueMail({ key, kind: 'alert', to: email, subject: '崩溃测试 | crash test', text: 'x', html: '<p>x</p>' }, config.PUBLIC_BASE_URL));
    assert.equal(
      await enqueueMail({ key, kind: 'alert', to: email, subject: 'again', text: 'x', html: 'x' }, config.PUBLIC_BASE_URL),
      false,
      'one mail per key',
    );
    const claimed = await alerts.sender.claim();
    assert.equal(claimed?.mail._id, key, 'the claim took our mail');
    // …and the sender "crashes": it never sends nor marks. Within the lease nobody else takes it.
    await alerts.sender.runOnce();
    await pause(100);
    assert.equal(to(email).length, 0);
    await pause(alerts.sender.leaseMs);
    await alerts.sender.runOnce();
    await until('the retried mail', () => to(email).length === 1);
    await alerts.sender.runOnce();
    await pause(200);
    assert.equal(to(email).length, 1, 'delivered once');
    const row = await Mail.findById(key).lean();
    assert.equal(row?.status, 'sent');
    assert.equal(row?.attempts, 2);
    assert.equal(to(email)[0]!.messageId, row?.messageId);
  });

  it('when the SMTP server refuses a mail, then it is retried with a back-off, dead after the last attempt (or at once if refused for good), and admins see and may retry it', async () => {
    const stamp = Date.now().toString(36);
    const busy = `busy-${stamp}@example.cn`;
    const refused = `refused-${stamp}@example.cn`;
    for (const [key, address] of [
      [`test:busy:${stamp}`, busy],
      [`test:refused:${stamp}`, refused],
    ] as const) {
      await enqueueMail({ key, kind: 'alert', to: address, subject: `退信测试 ${address}`, text: 'x', html: 'x' }, config.PUBLIC_BASE_URL);
    }
    await alerts.sender.runOnce();
    const refusedRow = await Mail.findById(`test:refused:${stamp}`).lean();
    assert.equal(refusedRow?.status, 'dead', 'a permanent refusal is not retried');
    assert.match(refusedRow?.lastError ?? '', /no such mailbox/);
    const busyRow = await Mail.findById(`test:busy:${stamp}`).lean();
    assert.equal(busyRow?.status, 'queued', 'a temporary refusal is retried…');
    assert.ok(busyRow!.nextAttemptAt.getTime() > Date.now() - 10, '…after a back-off');
    for (let i = 0; i < 10 && (await Mail.findById(`test:busy:${stamp}`).lean())?.status !== 'dead'; i++) {
      await pause(120 * (i + 1));
      await alerts.sender.runOnce();
    }
    const dead = await Mail.findById(`test:busy:${stamp}`).lean();
    assert.equal(dead?.status, 'dead');
    assert.equal(dead?.attempts, 3, 'dead after the last of its attempts');

    const { agent, csrf } = await loginAs('admin', { app });
    const list = cheerio.load((await agent.get('/admin/outbox?status=dead')).text);
    const rows = list('tr.outbox-dead').filter((_, tr) => list(tr).text().includes(stamp));
    assert.equal(rows.length, 2, 'dead letters are listed for admins');
    const detailPath = `/admin/outbox/${encodeURIComponent(`test:busy:${stamp}`)}`;
    const retried = await agent
      .post(`${detailPath}/retry`)
      .type('form')
      .send({ _csrf: await csrf(detailPath) });
    assert.equal(retried.status, 303);
    assert.equal((await Mail.findById(`test:busy:${stamp}`).lean())?.status, 'queued', 'an admin put it back in the queue');
    await Mail.deleteMany({ _id: mongoose.trusted({ $in: [`test:busy:${stamp}`, `test:refused:${stamp}`] }) });
  });

  it('when the e-mail is not an address, then the form says so on the e-mail field and nothing is queued', async () => {
    const { slug } = await createTestBrand({ slugPrefix: 'alertbad', name: '提醒校验品牌' });
    const token = String(
      cheerio
        .load((await request(app).get(`/brands/${slug}`)).text)('form.alerts-inline input[name="_form"]')
        .val(),
    );
    await pause(1_100);
    for (const [lang, want] of [
      ['', /邮箱格式不正确/],
      ['?lang=en', /not a valid e-mail address/],
    ] as const) {
      const res = await request(app).post(`/alerts/subscribe${lang}`).type('form').send({ _form: token, type: 'brand', ref: slug, email: 'not-an-address' });
      assert.equal(res.status, 400);
      const $ = cheerio.load(res.text);
      assert.match($('#alerts-email-error').text(), want);
      assert.equal($('#alerts-email').attr('aria-invalid'), 'true');
      assert.equal($('#alerts-email').val(), 'not-an-address', 'what was typed comes back');
    }
    assert.equal(await Mail.countDocuments({ to: 'not-an-address' }), 0);
  });

  it('when one address asks for confirmations again and again, then after three in a day it is refused', async () => {
    const email = `flood-${Date.now().toString(36)}@example.cn`;
    const ctx = { links: { base: config.PUBLIC_BASE_URL } };
    for (const kind of ['directory', 'famous', 'time-honored']) await subscribe({ email, type: 'list', ref: kind, lang: 'zh' }, ctx);
    await assert.rejects(
      subscribe({ email, type: 'list', ref: 'certified', lang: 'zh' }, ctx),
      (err: Error & { code?: string }) => err.code === 'rate_limited',
    );
    assert.equal(await Mail.countDocuments({ to: email, kind: 'confirm' }), 3);
  });

  it('when the form token is missing or the post comes from another site, then it is refused and nothing is stored', async () => {
    const { slug } = await createTestBrand({ slugPrefix: 'alertcsrf', name: '提醒跨站品牌' });
    const email = `csrf-${Date.now().toString(36)}@example.cn`;
    const missing = await request(app).post('/alerts/subscribe').type('form').send({ type: 'brand', ref: slug, email });
    assert.equal(missing.status, 403);
    const token = String(
      cheerio
        .load((await request(app).get(`/brands/${slug}`)).text)('form.alerts-inline input[name="_form"]')
        .val(),
    );
    await pause(1_100);
    const crossSite = await request(app)
      .post('/alerts/subscribe')
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ _form: token, type: 'brand', ref: slug, email });
    assert.equal(crossSite.status, 403);
    assert.equal(await Subscription.countDocuments({ email }), 0);
    assert.equal(await Mail.countDocuments({ to: email }), 0);
  });

  it('when a confirmed certificate is within 30 days of expiry, then its subscriber is told once; the daily digest reaches editors once a day', async () => {
    const number = `TX${Date.now().toString(36).toUpperCase()}`;
    const { certificate } = await createTestBrand({ slugPrefix: 'alertcert', name: '到期提醒品牌', certificate: { number, product: '测试产品' } });
    const cert = certificate!;
    await updateEntry(Certificate, String(cert._id), Number(cert.version), { validUntil: new Date(Date.now() + 10 * 86_400_000) }, { actor: 'test' });
    const verify = cheerio.load((await request(app).get(`/verify/${number}`)).text);
    assert.equal(verify('form.alerts-inline input[name="ref"]').val(), number, 'the certificate result carries a subscribe form');

    const email = `cert-${Date.now().toString(36)}@example.cn`;
    await subscribe({ email, type: 'certificate', ref: number, lang: 'zh' }, { links: { base: config.PUBLIC_BASE_URL } });
    const token = /\/alerts\/confirm\/([A-Za-z0-9_-]+)/.exec((await Mail.findOne({ to: email, kind: 'confirm' }).lean())!.text)![1]!;
    assert.ok(await confirm(token));
    await alerts.producer.daily();
    await alerts.producer.daily();
    await alerts.sender.runOnce();
    await until('the expiry alert', () => to(email).length === 2);
    await pause(200);
    assert.equal(to(email).length, 2, 'the confirmation and one expiry alert');
    assert.match(to(email)[1]!.text, new RegExp(`证书 ${number}.*到期`));

    const { user } = await createTestUser('editor');
    const now = new Date();
    assert.ok((await alerts.producer.digestPass(now, { anyHour: true })) >= 1, 'the editor gets a digest');
    assert.equal(await alerts.producer.digestPass(now, { anyHour: true }), 0, 'and not a second one that day');
    await alerts.sender.runOnce();
    await until('the digest', () => to(user.email).length === 1);
    await pause(200);
    assert.equal(to(user.email).length, 1, 'one digest per day');
    assert.match(to(user.email)[0]!.subject, /监管待办日报/);
    assert.match(header(to(user.email)[0]!, 'List-Unsubscribe') ?? '', /alerts\/unsubscribe/);
  });

  it('when two entries join a list in one pass, then its subscriber gets one mail naming both', async () => {
    const list = cheerio.load((await request(app).get('/directory')).text)('form.alerts-inline');
    assert.equal(list.find('input[name="type"]').val(), 'list', 'the list page carries a subscribe form');
    assert.equal(list.find('input[name="ref"]').val(), 'directory');
    const email = `list-${Date.now().toString(36)}@example.cn`;
    await subscribe({ email, type: 'list', ref: 'directory', lang: 'zh' }, { links: { base: config.PUBLIC_BASE_URL } });
    const token = /\/alerts\/confirm\/([A-Za-z0-9_-]+)/.exec((await Mail.findOne({ to: email, kind: 'confirm' }).lean())!.text)![1]!;
    assert.ok(await confirm(token));
    await alerts.sender.runOnce();
    await createTestBrand({ slugPrefix: 'alertlist', name: '新增名单甲' });
    await createTestBrand({ slugPrefix: 'alertlist', name: '新增名单乙' });
    await round();
    await until('the listings mail', () => to(email).length === 2);
    await round();
    await pause(200);
    assert.equal(to(email).length, 2, 'the confirmation and one mail for both listings');
    assert.match(to(email)[1]!.text, /新增名单甲/);
    assert.match(to(email)[1]!.text, /新增名单乙/);
  });

  describe('without SMTP_URL', () => {
    let folderAlerts: Alerts;
    let folderApp: Express;
    let dir: string;

    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'alerts-outbox-'));
      const c = { ...testContext().config, SMTP_URL: undefined, DATA_DIR: dir };
      folderAlerts = new Alerts({ config: c, log: createLogger('silent'), settleMs: 0 });
      folderApp = appWith(folderAlerts, c);
    });

    it('when a confirmation is written to the folder, then /admin/outbox lists it for admins, escaped and with its link, and refuses everyone else', async () => {
      const { slug } = await createTestBrand({ slugPrefix: 'alertdemo', name: '<b>演示</b>品牌' });
      const email = `demo-${Date.now().toString(36)}@example.cn`;
      await subscribe({ email, type: 'brand', ref: slug, lang: 'zh' }, { links: { base: 'http://localhost:3000' } });
      await folderAlerts.sender.runOnce();
      const row = await Mail.findOne({ to: email }).lean();
      assert.equal(row?.status, 'sent');
      assert.ok(row?.file?.startsWith(path.join(dir, 'outbox')), String(row?.file));
      assert.match(readFileSync(row.file!, 'utf8'), /Message-ID: <[0-9a-f]{32}@localhost>/i);

      assert.equal((await request(folderApp).get('/admin/outbox')).status, 303, 'signed out: to the sign-in page');
      const editor = await loginAs('editor', { app: folderApp });
      assert.equal((await editor.agent.get('/admin/outbox')).status, 403, 'editors do not read other people’s mail');
      const { agent } = await loginAs('admin', { app: folderApp });
      const list = await agent.get('/admin/outbox');
      assert.equal(list.status, 200);
      const $ = cheerio.load(list.text);
      assert.match($('.outbox-where').text(), /SMTP_URL/);
      const link = $('table.outbox a').filter((_, a) => $(a).closest('tr').text().includes(email));
      assert.equal(link.length, 1, 'the message is listed');
      const detail = await agent.get(link.attr('href')!);
      assert.equal(detail.status, 200);
      assert.ok(!detail.text.includes('<b>演示</b>'), 'the brand name is escaped');
      const $d = cheerio.load(detail.text);
      const confirmLink = $d('.mail-body a').filter((_, a) => /\/alerts\/confirm\//.test($d(a).attr('href') ?? ''));
      assert.ok(confirmLink.length >= 1, 'the confirmation link is clickable');
    });
  });
});
