import { describe, expect, it } from 'vitest';
import { evalRunArgv, type EvalContainerSpec } from '../../src/grading/container.js';

const spec: EvalContainerSpec = {
  name: 'agentpod-eval-r1-2',
  imageId: 'sha256:abc',
  evalId: 'r1/eval-2',
  runId: 'r1',
  evalDir: '/data/runs/r1/eval/attempt-2',
  runtime: 'runc',
  memoryBytes: null,
  memorySwapBytes: null,
  cpus: null,
  pidsLimit: null,
  backstopSeconds: 1860,
  owner: { pid: 42, host: 'h' },
};

describe('evalRunArgv', () => {
  it('runs the driver as root in the source image by id, no network, nothing of the host but the evaluation folder', () => {
    expect(evalRunArgv(spec)).toEqual([
      'run', '--name', 'agentpod-eval-r1-2', '--network=none', '--user', '0:0', '--workdir', '/testbed', '--runtime', 'runc',
      '--label', 'agentpod.run-id=r1', '--label', 'agentpod.eval-id=r1/eval-2', '--label', 'agentpod.owner-pid=42', '--label', 'agentpod.owner-host=h',
      '--timeout', '1860', '-v', '/data/runs/r1/eval/attempt-2:/agentpod-eval', '--entrypoint', '/bin/bash', 'sha256:abc', '/agentpod-eval/driver.sh',
    ]);
  });

  it('passes the evaluation profile\'s limits', () => {
    const argv = evalRunArgv({ ...spec, runtime: null, memoryBytes: 2 ** 30, memorySwapBytes: 2 ** 30, cpus: 1.5, pidsLimit: 512, backstopSeconds: null });
    expect(argv.join(' ')).toContain('--memory 1073741824b --memory-swap 1073741824b --cpus 1.5 --pids-limit 512 -v');
    expect(argv).not.toContain('--runtime');
    expect(argv).not.toContain('--timeout');
  });
});
