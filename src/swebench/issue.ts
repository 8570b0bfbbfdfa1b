// /issue.md of a fixed image, read once with a helper container and then kept in the data dir under the
// image id (an id names immutable content, so the copy never goes stale).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FixResult } from './fix.js';
import { runHelper } from './helper-container.js';

export function issueCachePath(dataDir: string, imageId: string): string {
  return join(dataDir, 'image-cache', imageId.replace(/^sha256:/, ''), 'issue.md');
}

/** The image's /issue.md, or null when it has none (the fix step recorded whether it does). */
export async function readImageIssue(fixed: FixResult, dataDir: string): Promise<string | null> {
  if (!fixed.hasIssue) return null;
  const cached = issueCachePath(dataDir, fixed.fixedImageId);
  if (existsSync(cached)) return readFileSync(cached, 'utf8');
  const text = await runHelper({ image: fixed.fixedImageId, command: ['cat', '/issue.md'] });
  mkdirSync(dirname(cached), { recursive: true });
  const partial = `${cached}.${process.pid}.tmp`;
  writeFileSync(partial, text);
  renameSync(partial, cached);
  return text;
}
