// SWE-bench-style test images (a root-owned /testbed repo, optionally /issue.md), built by the test user
// in its own rootless store with the project's buildTestbedImage.
import { benchUser } from '../../src/bench/launch.js';
import { buildTestbedImageAs } from '../../src/bench/test-images.js';
import type { TestbedImageSpec } from '../../src/testbed-image.js';
import { podmanAsTestUser } from './user.js';

/** Builds the image in the test user's store (the bench's user is the same: $AGENTPOD_TEST_USER or us). */
export function buildTestImage(spec: TestbedImageSpec): Promise<string> {
  return buildTestbedImageAs(benchUser(), spec);
}

/** Names of the test user's containers whose name matches `pattern` (podman's regex filter). */
export async function containersNamed(pattern: string): Promise<string[]> {
  const r = await podmanAsTestUser(['ps', '-a', '--filter', `name=${pattern}`, '--format', '{{.Names}}']);
  if (r.exitCode !== 0) throw new Error(String(r.stderr));
  return String(r.stdout).split('\n').filter(Boolean);
}

export async function containersLabeled(label: string): Promise<string[]> {
  const r = await podmanAsTestUser(['ps', '-a', '--filter', `label=${label}`, '--format', '{{.Names}}']);
  if (r.exitCode !== 0) throw new Error(String(r.stderr));
  return String(r.stdout).split('\n').filter(Boolean);
}

export async function imageId(name: string): Promise<string | null> {
  const r = await podmanAsTestUser(['image', 'inspect', '--format', '{{.Id}}', name]);
  return r.exitCode === 0 ? String(r.stdout).trim() : null;
}

export async function removeTestImages(names: string[]): Promise<void> {
  if (names.length) await podmanAsTestUser(['rmi', '-f', ...names]);
}
