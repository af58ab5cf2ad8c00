/**
 * Issue #12 item 4: recognition levels, certificate statuses and re-review outcomes become
 * reference data (src/registries/reference-data.ts). This step stores the built-in values
 * (including the new certificate status 注销 and the outcomes 通过 / 附条件通过 / 不通过) that the
 * collection does not hold yet, through the registry service, so each is in the change log and the
 * audit trail. Values an admin added are left alone. Stored entries keep their shape: a
 * certificate's level and status are the same strings as before, and a time-honored entry without
 * `reviews` reads as having none.
 */
import { builtInDocuments, ReferenceValue, refreshReferenceData } from '../reference-data.js';
import { createEntry } from '../service.js';
import type { MigrationStep } from './step.js';

export const step: MigrationStep = {
  id: '2026-12-reference-data',
  describe: 'store the built-in recognition levels, certificate statuses and re-review outcomes as reference data',
  async run(log) {
    await ReferenceValue.init(); // the unique {list, value} index, before anything is inserted
    const stored = await ReferenceValue.find({}).select('list value').lean<Array<{ list: string; value: string }>>();
    const have = new Set(stored.map((d) => `${d.list}\u0000${d.value}`));
    let changed = 0;
    for (const doc of builtInDocuments()) {
      if (have.has(`${doc.list}\u0000${doc.value}`)) continue;
      await createEntry(ReferenceValue, doc, { actor: 'migration', reason: 'built-in reference data (issue #12)' });
      changed++;
    }
    await refreshReferenceData();
    log(`${changed} built-in values stored, ${builtInDocuments().length - changed} already present`);
    return { changed };
  },
};
