/**
 * Import jobs for the back office: an uploaded file is checked (dry run) in the background, the
 * report waits for a regulator to confirm, then the same file is imported — with progress kept in
 * MongoDB (ImportJob) so the job page, which refreshes itself, can show it from any instance.
 *
 * Only one write can ever start per job: confirming inserts a claim with a unique _id (an insert
 * on a unique key is atomic on every server), so a double click or two editors cannot import the
 * file twice.
 * A job whose process died stops updating; its page says so after a while. A process that stops
 * cleanly (boot's stop) interrupts its running jobs and marks them so (ImportJobs.stop).
 * Re-uploading the file is then safe: an import is idempotent, rows already written come out
 * unchanged.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { readdir, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import mongoose, { Schema, type Model } from 'mongoose';
import type { Logger } from 'pino';
import type { EventRecorder } from '../audit/index.js';
import type { Config } from '../config/index.js';
import { errorCode } from '../platform/guards.js';
import type { Kind } from '../registries/reference.js';
import { runImport, type ImportSummary, type Problem } from './engine.js';

export type JobState = 'checking' | 'checked' | 'writing' | 'done' | 'failed';

/** Problems kept in the job document (all of them are in the job's problem file). */
export const PROBLEMS_KEPT = 200;

export interface JobSummary {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  problems: number;
  seconds: number;
  unknownColumns: string[];
  problemGroups: ImportSummary['problemGroups'];
  fileProblem: Problem | null;
  encoding: string | null;
  fileKind: string | null;
}

export interface ImportJobDoc {
  _id: mongoose.Types.ObjectId;
  registry: Kind;
  fileName: string;
  /** Where the upload is kept until the import is done (server side; never shown). */
  filePath: string;
  /** All problems of the latest phase, as CSV (server side). */
  problemsPath: string;
  fileSize: number;
  sha256: string;
  uploadedBy: string;
  state: JobState;
  progress: { phase: string; rows: number; bytes: number; totalBytes: number };
  check: JobSummary | null;
  result: JobSummary | null;
  problems: Problem[];
  confirmedBy: string;
  confirmedAt: Date | null;
  /** An i18n key (import.error.*) when the job failed. */
  error: string;
  createdAt: Date;
  updatedAt: Date;
}

const summarySchema = { type: Schema.Types.Mixed, default: null };

const jobSchema = new Schema<ImportJobDoc>(
  {
    registry: { type: String, required: true },
    fileName: { type: String, required: true },
    filePath: { type: String, required: true },
    problemsPath: { type: String, required: true },
    fileSize: { type: Number, required: true },
    sha256: { type: String, default: '' },
    uploadedBy: { type: String, required: true },
    state: { type: String, required: true, enum: ['checking', 'checked', 'writing', 'done', 'failed'] },
    progress: { type: Schema.Types.Mixed, default: () => ({ phase: 'reading', rows: 0, bytes: 0, totalBytes: 0 }) },
    check: summarySchema,
    result: summarySchema,
    problems: { type: Schema.Types.Mixed, default: [] },
    confirmedBy: { type: String, default: '' },
    confirmedAt: { type: Date, default: null },
    error: { type: String, default: '' },
  },
  { timestamps: true, versionKey: false, minimize: false, collection: 'import_jobs' },
);

export const ImportJob: Model<ImportJobDoc> = mongoose.models.ImportJob ?? mongoose.model<ImportJobDoc>('ImportJob', jobSchema);

/** Claims: `<jobId>:write`. A unique _id insert decides who runs the write. */
interface ImportClaimDoc {
  _id: string;
  at: Date;
  by: string;
}
const ImportClaim: Model<ImportClaimDoc> =
  mongoose.models.ImportClaim ??
  mongoose.model<ImportClaimDoc>('ImportClaim', new Schema({ _id: String, at: Date, by: String }, { versionKey: false, collection: 'import_claims' }));

/** A job that has not reported progress for this long is shown as interrupted. */
export const STALE_MS = 2 * 60_000;
/** Uploads and problem files older than this are removed when the next job starts. */
const KEEP_FILES_MS = 48 * 3600_000;

const toJobSummary = (s: ImportSummary): JobSummary => ({
  rows: s.rows,
  created: s.created,
  updated: s.updated,
  unchanged: s.unchanged,
  rejected: s.rejected,
  problems: s.problems,
  seconds: Math.round(s.seconds * 10) / 10,
  unknownColumns: s.unknownColumns.slice(0, 50),
  problemGroups: s.problemGroups,
  fileProblem: s.fileProblem,
  encoding: s.encoding,
  fileKind: s.fileKind,
});

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk);
  return h.digest('hex');
}

const csvCell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Collects a phase's problems: the first ones for the page, all of them into a CSV file. */
class ProblemSink {
  readonly kept: Problem[] = [];
  private out: WriteStream;
  constructor(file: string) {
    this.out = createWriteStream(file, { encoding: 'utf8' });
    this.out.write('\uFEFF行,列,问题,Problem\r\n');
  }
  async add(p: Problem): Promise<void> {
    if (this.kept.length < PROBLEMS_KEPT) this.kept.push(p);
    // Cells that start like a formula are neutralised, as in every CSV we hand out.
    const cells = [String(p.row), p.column, p.message, p.messageEn].map((c) => csvCell(/^[=+\-@\t\r]/.test(c) ? `'${c}` : c));
    if (!this.out.write(`${cells.join(',')}\r\n`)) await new Promise<void>((r) => this.out.once('drain', () => r()));
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}

/** Thrown into a running import by ImportJobs.stop(): the job ends at its next report. */
class Interrupted extends Error {
  constructor() {
    super('import interrupted: the server is stopping');
  }
}

/**
 * Progress reports, at most one database write a second. `report` throws once the jobs are
 * stopping (the engine then ends the run at that point); `settled` waits for the last write.
 */
function progressWriter(id: mongoose.Types.ObjectId, stopping: () => boolean) {
  let last = 0;
  let pending: Promise<unknown> = Promise.resolve();
  return {
    report(p: { phase: string; rows: number; bytes: number; totalBytes: number }): void {
      if (stopping()) throw new Interrupted();
      const now = Date.now();
      if (now - last < 1000) return;
      last = now;
      pending = pending.then(() => ImportJob.updateOne({ _id: id }, { $set: { progress: p } }).catch(() => {}));
    },
    settled: () => pending,
  };
}

export interface JobDeps {
  /** Folder for uploads and problem files. */
  dir: string;
  logger: Logger;
  /** Where the imports record their events: the app's audit trail (boot). */
  audit: EventRecorder;
  /** How long a request waits for a phase before showing the job page (default 3 s). */
  waitMs?: number;
}

/** Where a configuration keeps uploads and problem files. */
export const importDir = (config: Pick<Config, 'DATA_DIR'>) => path.resolve(config.DATA_DIR, 'imports');

/** Removes upload and problem files left by old jobs (best effort). */
async function sweep(dir: string): Promise<void> {
  const names = await readdir(dir).catch((): string[] => []);
  const now = Date.now();
  await Promise.all(
    names.map(async (n) => {
      const p = path.join(dir, n);
      const s = await stat(p).catch(() => null);
      if (s && now - s.mtimeMs > KEEP_FILES_MS) await rm(p, { force: true }).catch(() => {});
    }),
  );
}

/** Resolves when `work` settles or after `ms`, whichever is first; leaves no timer behind. */
async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([work.catch(() => {}), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * This process's import jobs. Boot makes one and stops it right after the server: `stop()`
 * refuses new jobs, ends the running ones at their next progress report (every few hundred rows;
 * they are marked failed with `import.error.interrupted`) and waits until all of their work,
 * database writes included, is done.
 */
export class ImportJobs {
  readonly dir: string;
  private readonly logger: Logger;
  private readonly audit: EventRecorder;
  private readonly waitMs: number;
  private readonly work = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(deps: JobDeps) {
    this.dir = deps.dir;
    this.logger = deps.logger;
    this.audit = deps.audit;
    this.waitMs = deps.waitMs ?? 3000;
  }

  /**
   * Creates a job for an uploaded file and starts its dry run. Resolves when the dry run is done
   * or after `waitMs`, whichever is first (small files show their report at once).
   */
  start(o: { registry: Kind; filePath: string; fileName: string; fileSize: number; actor: string; waitMs?: number }): Promise<ImportJobDoc> {
    if (this.stopping) return Promise.reject(new Interrupted());
    return this.track(async () => {
      void this.track(() => sweep(this.dir));
      const id = new mongoose.Types.ObjectId();
      const doc = await ImportJob.create({
        _id: id,
        registry: o.registry,
        fileName: o.fileName,
        filePath: o.filePath,
        problemsPath: path.join(this.dir, `${id.toHexString()}.problems.csv`),
        fileSize: o.fileSize,
        sha256: await sha256(o.filePath),
        uploadedBy: o.actor,
        state: 'checking',
        progress: { phase: 'reading', rows: 0, bytes: 0, totalBytes: o.fileSize },
      });
      const job: ImportJobDoc = doc.toObject();
      await within(
        this.track(() => this.check(job)),
        o.waitMs ?? this.waitMs,
      );
      return job;
    });
  }

  /**
   * Confirms a checked job and runs the import in the background. Returns false when the job is
   * not waiting for confirmation or someone else confirmed it first.
   */
  confirm(id: string, actor: string, o: { waitMs?: number } = {}): Promise<boolean> {
    if (this.stopping) return Promise.reject(new Interrupted());
    return this.track(async () => {
      const job = await findJob(id);
      if (!job || job.state !== 'checked') return false;
      try {
        await ImportClaim.create({ _id: `${id}:write`, at: new Date(), by: actor });
      } catch (err) {
        if (errorCode(err) === 11000) return false;
        throw err;
      }
      await ImportJob.updateOne(
        { _id: job._id },
        {
          $set: { state: 'writing', confirmedBy: actor, confirmedAt: new Date(), progress: { phase: 'reading', rows: 0, bytes: 0, totalBytes: job.fileSize } },
        },
      );
      await within(
        this.track(() => this.write(job, actor)),
        o.waitMs ?? this.waitMs,
      );
      return true;
    });
  }

  /** Refuses new jobs, interrupts the running ones and waits for everything they started. */
  async stop(): Promise<void> {
    this.stopping = true;
    // Work can start more work (a job its dry run): wait until none is left.
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }

  /** Runs `fn` as work that stop() waits for. */
  private track<T>(fn: () => Promise<T>): Promise<T> {
    const run = fn();
    this.work.add(run);
    void run.catch(() => {}).finally(() => this.work.delete(run));
    return run;
  }

  /** The dry run of a job: stores its report. */
  private async check(job: ImportJobDoc): Promise<void> {
    const sink = new ProblemSink(job.problemsPath);
    const progress = progressWriter(job._id, () => this.stopping);
    try {
      if (this.stopping) throw new Interrupted();
      const summary = await runImport({
        registry: job.registry,
        file: job.filePath,
        fileName: job.fileName,
        dryRun: true,
        actor: job.uploadedBy,
        audit: this.audit,
        onProblem: (p) => this.whileRunning(() => sink.add(p)),
        onProgress: (p) => progress.report(p),
      });
      await sink.close();
      await progress.settled();
      await ImportJob.updateOne({ _id: job._id }, { $set: { state: 'checked', check: toJobSummary(summary), problems: sink.kept } });
    } catch (err) {
      await sink.close();
      await progress.settled();
      await this.failed(job, err, 'import.error.check', 'import check failed');
    }
  }

  /** The import of a confirmed job; the upload is removed once it is done. */
  private async write(job: ImportJobDoc, actor: string): Promise<void> {
    const sink = new ProblemSink(job.problemsPath);
    const progress = progressWriter(job._id, () => this.stopping);
    try {
      if (this.stopping) throw new Interrupted();
      if ((await sha256(job.filePath)) !== job.sha256) throw new Error('upload changed since it was checked');
      const summary = await runImport({
        registry: job.registry,
        file: job.filePath,
        fileName: job.fileName,
        dryRun: false,
        actor,
        audit: this.audit,
        onProblem: (p) => this.whileRunning(() => sink.add(p)),
        onProgress: (p) => progress.report(p),
      });
      await sink.close();
      await progress.settled();
      await ImportJob.updateOne({ _id: job._id }, { $set: { state: 'done', result: toJobSummary(summary), problems: sink.kept } });
      await unlink(job.filePath).catch(() => {});
    } catch (err) {
      await sink.close();
      await progress.settled();
      await this.failed(job, err, 'import.error.write', 'import failed');
    }
  }

  /** `fn`, unless the jobs are stopping (then the run ends here). */
  private whileRunning(fn: () => Promise<void>): Promise<void> {
    return this.stopping ? Promise.reject(new Interrupted()) : fn();
  }

  private async failed(job: ImportJobDoc, err: unknown, error: string, message: string): Promise<void> {
    const interrupted = err instanceof Interrupted;
    if (interrupted) this.logger.warn({ job: job._id.toHexString() }, 'import interrupted: the server is stopping');
    else this.logger.error({ err, job: job._id.toHexString() }, message);
    await ImportJob.updateOne({ _id: job._id }, { $set: { state: 'failed', error: interrupted ? 'import.error.interrupted' : error } });
  }
}

export async function findJob(id: string): Promise<ImportJobDoc | null> {
  if (!mongoose.isValidObjectId(id) || !/^[0-9a-f]{24}$/i.test(id)) return null;
  return ImportJob.findById(id).lean();
}

/** Recent jobs for the import page. */
export async function recentJobs(limit = 10): Promise<ImportJobDoc[]> {
  return ImportJob.find().sort({ _id: -1 }).limit(limit).lean();
}

export const isStale = (job: ImportJobDoc, now = Date.now()) =>
  (job.state === 'checking' || job.state === 'writing') && now - new Date(job.updatedAt).getTime() > STALE_MS;
