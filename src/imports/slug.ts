/**
 * Slugs for brands an import creates: the pure helper lives in the kernel (src/registries/slug.ts),
 * shared with the workflows' decisions that create brands.
 */
export { chooseSlug, slugBase, slugCandidates } from '../registries/slug.js';
