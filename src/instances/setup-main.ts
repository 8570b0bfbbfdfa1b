// `node dist/instances/setup-main.js [--rebuild]`, run by scripts/setup.sh as root: builds every instance whose
// cache entry is missing (or all with --rebuild), saying so and how long it took; a cached one is one line.
import { UserError } from '../errors.js';
import { formatBytes } from '../units.js';
import { buildInstance } from './build.js';
import { DEFAULT_INSTANCE, instanceCacheDir } from './recipe.js';

const log = (line: string) => process.stdout.write(`setup: ${line}\n`);

try {
  const rebuild = process.argv.includes('--rebuild');
  const { manifest, built } = await buildInstance(DEFAULT_INSTANCE, { log, rebuild });
  const where = instanceCacheDir(manifest.recipeHash);
  if (built) {
    log(`built instance ${manifest.id} (${manifest.image}) in ${manifest.buildSeconds} s: rootfs ${formatBytes(manifest.rootfsBytes)}, tarball ${formatBytes(manifest.tarballBytes)} in ${where}`);
  } else {
    log(`instance ${manifest.id} is built (${manifest.image}, ${where}); --rebuild-instances builds it again`);
  }
} catch (e) {
  process.stderr.write(`setup: ${e instanceof UserError ? e.message : (e as Error).stack}\n`);
  process.exitCode = 1;
}
