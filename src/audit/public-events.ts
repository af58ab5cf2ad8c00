/**
 * The audit trail's events that a public page may tell about an entry (a brand's history on its
 * page and feed, a certificate's on its verification result): the updates, status changes and
 * appended records of the given entries, newest first. Creations are not read here: the listing
 * facts (listed on, issued on) come from the entries themselves, which carry the bureau's dates.
 * The pages choose which fields to tell and never show who made a change.
 */
import mongoose from 'mongoose';
import { AuditEvent, type AuditEventDoc } from './model.js';

/** An entry as the change log and the audit trail name it: its model's name and its id. */
export interface EntryRef {
  model: string;
  id: string;
}

/** Entry events newest first, at most `limit` (the trail keeps every event; a page shows the recent ones). */
export async function publicEventsOf(refs: EntryRef[], limit: number): Promise<AuditEventDoc[]> {
  if (!refs.length) return [];
  const models = new Map(refs.map((r) => [r.id, r.model]));
  const found = await AuditEvent.find(
    { entryId: mongoose.trusted({ $in: [...models.keys()] }), action: mongoose.trusted({ $in: ['update', 'status', 'record'] }) },
    { at: 1, seq: 1, action: 1, model: 1, entryId: 1, reason: 1, changes: 1 },
  ).lean<AuditEventDoc[]>();
  return found
    .filter((e) => e.entryId && models.get(e.entryId) === e.model)
    .sort((a, b) => b.seq - a.seq)
    .slice(0, limit);
}
