// Second build step (after tsc): dist/cli-main.js — the yargs part of the CLI — bundled with yargs and the
// light modules every command needs at start (commands/*, units, paths, ...), so a start reads one file instead
// of ~60 small ones. What commands load lazily (`await import(...)`: the database, podman, the sampler, ...)
// stays the separate files tsc wrote, and so does errors.js, which both sides use: every class exists once.
// `string-width` is replaced by src/bundle/string-width.ts, which makes its Intl.Segmenter only when a help
// text needs one (the package makes it on load: 30–50 ms of every start).
import { build } from 'esbuild';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const entry = join(dist, 'cli-main.js');
/** Modules whose identity matters (classes tested with instanceof): loaded as files, never copied in. */
const SHARED = [join(dist, 'errors.js')];

/** The import path of a dist/ file as seen from the bundle, which replaces dist/cli-main.js. */
const fromBundle = (file) => `./${relative(dist, file)}`;

await build({
  entryPoints: [entry],
  outfile: entry,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  alias: { 'string-width': join(dist, 'bundle', 'string-width.js') },
  plugins: [
    {
      name: 'lazy-and-shared-modules-stay-files',
      setup(b) {
        b.onResolve({ filter: /^\.\.?\// }, (args) => {
          if (!args.importer.startsWith(dist)) return undefined; // relative imports inside node_modules
          const file = resolve(args.resolveDir, args.path);
          if (args.kind === 'dynamic-import' || SHARED.includes(file)) return { path: fromBundle(file), external: true };
          return undefined;
        });
        // Packages our own modules import lazily (execa, yaml, better-sqlite3, ...) stay in node_modules.
        b.onResolve({ filter: /^[^./]/ }, (args) => (args.kind === 'dynamic-import' && args.importer.startsWith(dist) && args.path !== 'yargs' ? { path: args.path, external: true } : undefined));
      },
    },
  ],
});
