// The permission-fix commit step. SWE-bench images hold /testbed owned by root, which the keep-id user
// cannot write: a temp container chowns it to the invoking user's uid:gid and is committed to a fixed
// image. The fixed image is cached: its labels name the source image id and uid:gid, and it is reused
// only while both match (a re-tagged source gets a new fix).
import { randomBytes } from 'node:crypto';
import { UserError } from '../errors.js';
import { podman, PodmanError, removeContainer } from '../podman/client.js';
import { assertImageReference } from '../podman/image-ref.js';
import { LABEL_OWNER_HOST, LABEL_OWNER_PID } from '../launch-spec.js';
import { CONDA_TESTBED_ENV, TESTBED } from './env.js';
import { runHelper } from './helper-container.js';
import { fixedImageName, imageBaseName } from './image-name.js';
import { inspectImage, resolveSourceImage, type SourceImage } from './source-image.js';

export const FIX_LABELS = {
  sourceImage: 'agentpod.source-image',
  sourceImageId: 'agentpod.source-image-id',
  uidGid: 'agentpod.uid-gid',
  /** The instance's test env (its bin goes first on PATH), "" when the image has none. */
  testEnv: 'agentpod.test-env',
  /** HEAD of /testbed: the commit the agent starts from and patches are taken against. */
  testbedHead: 'agentpod.testbed-head',
  hasIssue: 'agentpod.has-issue',
  fixSeconds: 'agentpod.fix-seconds',
} as const;

export interface FixResult {
  fixedImage: string;
  fixedImageId: string;
  /** True when a cached fixed image matched and nothing was chowned. */
  reused: boolean;
  /** How long the fix took (when reused: how long finding the cached one took). */
  seconds: number;
  testEnv: string | null;
  /** The fully qualified source name and its image id. */
  sourceImage: string;
  sourceImageId: string;
  testbedHead: string | null;
  hasIssue: boolean;
}

export interface FixOptions {
  uid: number;
  gid: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Runs as root in the temp container: chown /testbed (-h: symlinks themselves, never their targets) and
 * report what a launch needs to know, as key=value lines. $1 = uid:gid, $2 = the conda env to look for.
 */
const FIX_SCRIPT = `set -e
test -d ${TESTBED} || { echo "no ${TESTBED} directory in the image" >&2; exit 3; }
chown -R -h "$1" ${TESTBED}
echo "head=$(git -c safe.directory=${TESTBED} -C ${TESTBED} rev-parse --verify -q HEAD || true)"
if test -d "$2/bin"; then echo "test-env=$2"; fi
if test -f /issue.md; then echo has-issue=1; fi`;

const NO_TESTBED_EXIT = 3;

function parseProbe(stdout: string): { head: string; testEnv: string; hasIssue: string } {
  const values = new Map(stdout.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  return { head: values.get('head') ?? '', testEnv: values.get('test-env') ?? '', hasIssue: values.get('has-issue') ?? '0' };
}

const elapsedSeconds = (since: number) => Math.round((performance.now() - since) / 10) / 100;

function resultFrom(fixedImage: string, id: string, labels: Record<string, string>, reused: boolean, seconds: number): FixResult {
  return {
    fixedImage,
    fixedImageId: id,
    reused,
    seconds,
    testEnv: labels[FIX_LABELS.testEnv] || null,
    sourceImage: labels[FIX_LABELS.sourceImage],
    sourceImageId: labels[FIX_LABELS.sourceImageId],
    testbedHead: labels[FIX_LABELS.testbedHead] || null,
    hasIssue: labels[FIX_LABELS.hasIssue] === '1',
  };
}

/** The cached fixed image of `sourceImage` for uid:gid, made first when missing or stale. */
export async function fixImage(sourceImage: string, opts: FixOptions): Promise<FixResult> {
  const log = opts.log ?? (() => {});
  assertImageReference(sourceImage, 'image');
  const started = performance.now();
  const source = await resolveSourceImage(sourceImage, log);
  const fixedImage = fixedImageName(source.name, opts.uid, opts.gid);
  const uidGid = `${opts.uid}:${opts.gid}`;
  const cached = await inspectImage(fixedImage);
  const cachedLabels = cached?.Config.Labels ?? {};
  if (cached && cachedLabels[FIX_LABELS.sourceImageId] === source.id && cachedLabels[FIX_LABELS.uidGid] === uidGid) {
    log(`using cached fixed image ${fixedImage} (source ${source.id.slice(0, 12)} unchanged, uid:gid ${uidGid}): no chown`);
    return resultFrom(fixedImage, cached.Id, cachedLabels, true, elapsedSeconds(started));
  }
  if (cached) log(`fixed image ${fixedImage} is stale (made from another ${source.name} or uid:gid): fixing again`);

  const fixStarted = performance.now();
  await commitFixedImage(source, fixedImage, uidGid, opts.signal);
  const fixed = await inspectImage(fixedImage);
  if (!fixed) throw new Error(`podman commit made no image ${fixedImage}`);
  const seconds = elapsedSeconds(fixStarted);
  log(`permission fix: chown -R ${uidGid} ${TESTBED} of ${source.name} → ${fixedImage} in ${seconds.toFixed(2)} s`);
  // The stale image is no longer tagged; remove it unless a container still uses it.
  if (cached && cached.Id !== fixed.Id) await podman(['rmi', cached.Id]).catch(() => {});
  return resultFrom(fixedImage, fixed.Id, fixed.Config.Labels ?? {}, false, seconds);
}

/** The temp container's chown and probes, committed as `fixedImage`; the container is removed whatever happens. */
async function commitFixedImage(source: SourceImage, fixedImage: string, uidGid: string, signal?: AbortSignal): Promise<void> {
  const started = performance.now();
  const temp = `agentpod-fix-${imageBaseName(source.name).replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 60)}-${randomBytes(3).toString('hex')}`;
  const interrupted = () => new UserError(`interrupted during the permission fix of ${source.name}`, 130);
  // Removing the temp container ends the chown at once; the podman run then fails and we report the interrupt.
  const onAbort = () => void removeContainer(temp).catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal?.aborted) throw interrupted();
    let probe;
    try {
      // By id, so a re-tag of the name between inspect and run cannot slip in another image.
      probe = parseProbe(await runHelper({ image: source.id, keepAs: temp, user: '0:0', command: ['sh', '-c', FIX_SCRIPT, 'sh', uidGid, CONDA_TESTBED_ENV] }));
    } catch (e) {
      if (signal?.aborted) throw interrupted();
      if (e instanceof PodmanError && e.podmanExitCode === NO_TESTBED_EXIT) throw new UserError(`${source.name}: no ${TESTBED} directory in the image (is it a SWE-bench image?)`);
      throw e;
    }
    if (signal?.aborted) throw interrupted();
    const labels: Record<string, string> = {
      [FIX_LABELS.sourceImage]: source.name,
      [FIX_LABELS.sourceImageId]: source.id,
      [FIX_LABELS.uidGid]: uidGid,
      [FIX_LABELS.testEnv]: probe.testEnv,
      [FIX_LABELS.testbedHead]: probe.head,
      [FIX_LABELS.hasIssue]: probe.hasIssue,
      [FIX_LABELS.fixSeconds]: String(elapsedSeconds(started)),
      // A commit keeps the container's labels: blank the owner ones, or every container of the fixed image
      // would look like a leftover of this (soon dead) process to the sweep.
      [LABEL_OWNER_PID]: '',
      [LABEL_OWNER_HOST]: '',
    };
    await podman([
      'commit',
      '--quiet',
      // The temp container ran as 0:0 with our script as its command: the image gets the keep-id user and
      // the source's own command back.
      '--change', `USER ${uidGid}`,
      '--change', `CMD ${JSON.stringify(source.cmd)}`,
      ...Object.entries(labels).flatMap(([key, value]) => ['--change', `LABEL ${key}=${JSON.stringify(value)}`]),
      temp,
      fixedImage,
    ]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await removeContainer(temp);
  }
}
