// The offline demo's SWE-bench-style image: a root-owned repo at /testbed with one bug and a check that
// takes a visible amount of memory for a moment, so the demo's samples show the test run.
import { buildTestbedImage } from '../testbed-image.js';
import { imageExists } from '../podman/image.js';

/** Bump the tag when the content below changes, so an old demo image is not reused. */
export const DEMO_IMAGE = 'localhost/agentpod/demo:2';

const CALC_PY = `"""A tiny calculator."""


def add(a, b):
    return a - b


def total(values):
    result = 0
    for value in values:
        result = add(result, value)
    return result
`;

const TEST_CALC_PY = `import time

from calc import add, total


def main():
    assert add(2, 3) == 5, f"add(2, 3) == {add(2, 3)}, expected 5"
    # About 120 MB held for a second: the run's memory samples show the check running.
    values = list(range(3_000_000))
    assert total(values) == sum(values)
    time.sleep(1)
    print("ok: add and total")


if __name__ == "__main__":
    main()
`;

const ISSUE_MD = `# add() subtracts

\`calc.add(2, 3)\` returns -1 instead of 5, so \`total()\` is wrong too.
Fix \`add\` in /testbed/calc.py; \`python3 test_calc.py\` in /testbed must pass. Do not change the test.
`;

/** Builds the demo image unless it is already there; returns its name. */
export async function ensureDemoImage(log: (line: string) => void): Promise<string> {
  if (await imageExists(DEMO_IMAGE)) return DEMO_IMAGE;
  log(`building ${DEMO_IMAGE} (podman import: /testbed owned by root, /issue.md)`);
  await buildTestbedImage({
    tag: DEMO_IMAGE,
    files: { 'calc.py': CALC_PY, 'test_calc.py': TEST_CALC_PY, 'README.md': '# calc\n' },
    issue: ISSUE_MD,
  });
  return DEMO_IMAGE;
}
