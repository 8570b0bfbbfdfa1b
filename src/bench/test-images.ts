// SWE-bench-style images for the bench and the integration tests, built with buildTestbedImage in another
// user's rootless store: both run as root, the images must belong to the unprivileged user that runs agentpod.
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isRoot } from '../as-user.js';
import { ensureInstanceImage, type Instance } from '../instances/instance.js';
import { DEFAULT_INSTANCE } from '../instances/recipe.js';
import { packageRoot } from '../package-root.js';
import type { TestbedImageSpec } from '../testbed-image.js';
import { mustSucceed, runAsBenchUser, type BenchUser } from './launch.js';

// The compiled module, also when this file is loaded from source by the tests.
const BUILD_SCRIPT = `
import { readFileSync } from 'node:fs';
import { buildTestbedImage } from ${JSON.stringify(pathToFileURL(join(packageRoot, 'dist', 'testbed-image.js')).href)};
process.stdout.write(await buildTestbedImage(JSON.parse(readFileSync(process.argv[1], 'utf8'))));
`;

/** Returns the image id. The spec goes through a file: 50k files do not fit in one argv element. */
export async function buildTestbedImageAs(user: BenchUser, spec: TestbedImageSpec): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'agentpod-imagespec-'));
  try {
    const specFile = join(dir, 'spec.json');
    writeFileSync(specFile, JSON.stringify(spec));
    if (isRoot()) chownSync(dir, user.uid, user.gid);
    if (isRoot()) chownSync(specFile, user.uid, user.gid);
    const r = mustSucceed(`building image ${spec.tag}`, await runAsBenchUser(user, process.execPath, ['--input-type=module', '-e', BUILD_SCRIPT, specFile], {}));
    return String(r.stdout).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The realistic instance (docs/instances.md) with its image in the bench user's store. */
export function instanceAs(user: BenchUser): Promise<Instance> {
  return ensureInstanceImage(DEFAULT_INSTANCE, { run: (file, args) => runAsBenchUser(user, file, args, {}) });
}

/** The scripted agent that fixes calcImageSpec's bug in one Bash call (then runs its check, with `check`). */
export function calcFixScript(check: boolean): string {
  const command = `sed -i 's/a - b/a + b/' calc.py${check ? ' && python3 check.py' : ''}`;
  return `
turns:
  - content:
      - { type: tool_use, name: Bash, input: { command: ${JSON.stringify(command)} } }
  - content:
      - { type: text, text: "Fixed." }
`;
}

/** A seeded bug (add subtracts), a check that fails until it is fixed, a test, and the issue describing it. */
export function calcImageSpec(tag: string, withIssue: boolean): TestbedImageSpec {
  return {
    tag,
    files: {
      'calc.py': 'def add(a, b):\n    return a - b\n',
      'check.py': 'import calc\nassert calc.add(2, 3) == 5, "add is broken"\nprint("check passed")\n',
      'tests/test_calc.py': 'import calc\n\ndef test_add():\n    assert calc.add(1, 1) == 2\n',
      '.gitignore': '*.log\n',
    },
    ...(withIssue ? { issue: '# add() subtracts\n\n`calc.add(2, 3)` returns -1 instead of 5.\n' } : {}),
  };
}

/** A /testbed of `count` small files, 100 to a folder (the permission fix's cost grows with the file count). */
export function manyFilesImageSpec(tag: string, count: number): TestbedImageSpec {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) files[`pkg${Math.floor(i / 100)}/m${i}.py`] = `VALUE = ${i}\n`;
  return { tag, files, issue: 'bench image\n' };
}
