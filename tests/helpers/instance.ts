// The realistic instance (docs/instances.md) for integration tests: its image imported into the test user's
// podman store from the cache `npm run setup` builds, its task records and its patch variants.
import { ensureInstanceImage, type Instance } from '../../src/instances/instance.js';
import { DEFAULT_INSTANCE } from '../../src/instances/recipe.js';
import { runAsTestUser } from './user.js';

let pending: Promise<Instance> | undefined;

/** Fails with "run npm run setup as root to build it" when the instance has not been built. */
export function testInstance(): Promise<Instance> {
  pending ??= ensureInstanceImage(DEFAULT_INSTANCE, { run: (file, args) => runAsTestUser(file, args) });
  return pending;
}

/** The gold patch as one Edit: its removed lines as old_string, its added lines as new_string (one hunk). */
export function goldEdit(gold: string): { old_string: string; new_string: string } {
  const lines = gold.split('\n');
  const pick = (sign: string) => lines.filter((l) => l.startsWith(sign) && !l.startsWith(sign.repeat(3))).map((l) => l.slice(1)).join('\n');
  return { old_string: pick('-'), new_string: pick('+') };
}
