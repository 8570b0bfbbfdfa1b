import { userInfo } from 'node:os';
import type { Argv, CommandModule } from 'yargs';
import type { FixedImage } from '../swebench/fixed-images.js';
import { assertImageReference } from '../podman/image-ref.js';
import { formatBytes, formatDuration } from '../units.js';
import { abortOnSignals, rootlessGuard } from './launch.js';

interface ImagesArgs {
  json: boolean;
  'as-user'?: string;
}

// Fixed images live in the invoking user's rootless store: as root, work as --as-user (like run).
const withImagesOptions = <T>(y: Argv<T>) =>
  y
    .option('json', { type: 'boolean', default: false, describe: 'machine-readable output' })
    .option('as-user', { type: 'string', describe: 'when root: act on this user\'s rootless image store' });

async function guard(args: ImagesArgs): Promise<void> {
  const reexecCode = await rootlessGuard({ 'dry-run': false, 'as-user': args['as-user'] });
  if (reexecCode !== undefined) process.exit(reexecCode);
}

function printTable(images: FixedImage[]): void {
  const now = Date.now();
  const rows = [
    ['FIXED IMAGE', 'SOURCE', 'UID:GID', 'AGE', 'SIZE', 'STATE'],
    ...images.map((i) => [i.name ?? i.id.slice(0, 12), i.source, i.uidGid, formatDuration(now - i.createdAt), formatBytes(i.sizeBytes), i.state]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) process.stdout.write(`${r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()}\n`);
}

const fixCommand: CommandModule<object, ImagesArgs & { image: string }> = {
  command: 'fix <image>',
  describe: 'Make (or find cached) the permission-fixed image of a SWE-bench image for this user',
  builder: (y) => withImagesOptions(y).positional('image', { type: 'string', demandOption: true }).example('$0 images fix docker.io/swerebench/sweb.eval.x86_64.encode_1776_starlette-1147', ''),
  handler: async (args) => {
    assertImageReference(args.image, 'image');
    await guard(args);
    const { uid, gid } = userInfo();
    const controller = abortOnSignals();
    const { fixImage } = await import('../swebench/fix.js');
    const fix = await fixImage(args.image, { uid, gid, log: (line) => process.stderr.write(`${line}\n`), signal: controller.signal });
    if (args.json) process.stdout.write(`${JSON.stringify(fix)}\n`);
    else process.stdout.write(`${fix.fixedImage}\n`);
  },
};

const listCommand: CommandModule<object, ImagesArgs> = {
  command: 'list',
  describe: 'List fixed images: source, uid:gid, age, size, and whether the source still matches',
  builder: (y) => withImagesOptions(y),
  handler: async (args) => {
    await guard(args);
    const { listFixedImages } = await import('../swebench/fixed-images.js');
    const images = await listFixedImages();
    if (args.json) process.stdout.write(`${JSON.stringify(images, null, 2)}\n`);
    else printTable(images);
  },
};

const pruneCommand: CommandModule<object, ImagesArgs & { all: boolean }> = {
  command: 'prune',
  describe: 'Remove fixed images whose source is gone or changed (--all: every fixed image)',
  builder: (y) => withImagesOptions(y).option('all', { type: 'boolean', default: false, describe: 'remove current fixed images too' }),
  handler: async (args) => {
    await guard(args);
    const { listFixedImages, removeImages } = await import('../swebench/fixed-images.js');
    const images = (await listFixedImages()).filter((i) => args.all || i.state !== 'current');
    const { removed, kept } = await removeImages(images);
    if (args.json) process.stdout.write(`${JSON.stringify({ removed, kept }, null, 2)}\n`);
    else {
      for (const i of removed) process.stdout.write(`removed ${i.name ?? i.id.slice(0, 12)} (${i.state}, from ${i.source})\n`);
      for (const k of kept) process.stdout.write(`kept ${k.image.name ?? k.image.id.slice(0, 12)}: ${k.reason}\n`);
      if (removed.length + kept.length === 0) process.stdout.write('nothing to prune\n');
    }
    if (kept.length) process.exitCode = 1;
  },
};

export const imagesCommand: CommandModule = {
  command: 'images',
  describe: 'Permission-fixed SWE-bench images: fix, list, prune',
  builder: (y) => y.command(fixCommand).command(listCommand).command(pruneCommand).demandCommand(1, 'images fix IMAGE | images list | images prune'),
  handler: () => {},
};
