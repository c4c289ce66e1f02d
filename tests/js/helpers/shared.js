// Locates ../shared (read-only material beside the repository). Tests that need it skip with
// a message when it is absent, so the rest of the suite still runs.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const sharedDir = fileURLToPath(new URL('../../../../shared/', import.meta.url));
export const hasShared = existsSync(sharedDir);
export const missingSharedMessage = `../shared not found at ${sharedDir}: skipping tests that need QKeras reference material`;

export function sharedPath(relative) {
  return sharedDir + relative;
}
