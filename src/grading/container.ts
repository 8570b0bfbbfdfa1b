// The grading container's podman command: a fresh container of the instance's source image (its own /usr,
// /lib and test environment; nothing of the host shared), root inside as in the harness, no network, the
// evaluation folder mounted, the driver as its main process. Pure, so every flag is unit-tested.
import { LABEL_OWNER_HOST, LABEL_OWNER_PID, LABEL_RUN_ID } from '../launch-spec.js';
import { EVAL_FILES, EVAL_MOUNT } from './driver.js';

export const LABEL_EVAL_ID = 'agentpod.eval-id';

export interface EvalContainerSpec {
  name: string;
  /** The source image, by id (a re-tag between the check and the run cannot slip in another image). */
  imageId: string;
  evalId: string;
  runId: string;
  /** Host folder of this evaluation: the driver, the patches and the eval script in, the logs out. */
  evalDir: string;
  runtime: string | null;
  memoryBytes: number | null;
  memorySwapBytes: number | null;
  cpus: number | null;
  pidsLimit: number | null;
  /** conmon kills the container after this many seconds: a backstop should agentpod die; null for none. */
  backstopSeconds: number | null;
  owner: { pid: number; host: string };
}

export function evalRunArgv(s: EvalContainerSpec): string[] {
  const argv = ['run', '--name', s.name, '--network=none', '--user', '0:0', '--workdir', '/testbed'];
  if (s.runtime) argv.push('--runtime', s.runtime);
  const labels = { [LABEL_RUN_ID]: s.runId, [LABEL_EVAL_ID]: s.evalId, [LABEL_OWNER_PID]: String(s.owner.pid), [LABEL_OWNER_HOST]: s.owner.host };
  for (const [key, value] of Object.entries(labels)) argv.push('--label', `${key}=${value}`);
  if (s.memoryBytes !== null) argv.push('--memory', `${s.memoryBytes}b`);
  if (s.memorySwapBytes !== null) argv.push('--memory-swap', `${s.memorySwapBytes}b`);
  if (s.cpus !== null) argv.push('--cpus', String(s.cpus));
  if (s.pidsLimit !== null) argv.push('--pids-limit', String(s.pidsLimit));
  if (s.backstopSeconds !== null) argv.push('--timeout', String(s.backstopSeconds));
  argv.push('-v', `${s.evalDir}:${EVAL_MOUNT}`);
  // Whatever the image's entrypoint, the driver runs under bash.
  argv.push('--entrypoint', '/bin/bash', s.imageId, `${EVAL_MOUNT}/${EVAL_FILES.driver}`);
  return argv;
}
