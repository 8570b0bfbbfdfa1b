// Runs one container with the built sampler attached, the way execute.ts wires it, as the user that owns
// the container (the sampler inspects it through that user's podman):
//   node sampler-child.mjs DB_PATH RUN_ID CONTAINER_NAME MEMORY_LIMIT_BYTES|- CPUS|- INTERVAL_MS -- PODMAN_RUN_ARGS...
// It makes sure agentpod's empty base image exists (in this user's store), inserts a minimal run row, starts the sampler, runs `podman run --name CONTAINER_NAME ...` attached, stops
// the sampler after the container exited and before `podman rm`, and prints the summary as one JSON line.
import { execa } from 'execa';
import { openDb } from '../../dist/db/open.js';
import { ensureBaseImage } from '../../dist/podman/image.js';
import { startSampler, takeHostSnapshot } from '../../dist/sampler/index.js';

const [dbPath, runId, containerName, memory, cpus, intervalMs, separator, ...runArgs] = process.argv.slice(2);
if (separator !== '--') throw new Error('usage: sampler-child.mjs DB RUN_ID NAME MEMORY CPUS INTERVAL_MS -- PODMAN_RUN_ARGS...');
const orNull = (v) => (v === '-' ? null : Number(v));

await ensureBaseImage();
const db = openDb(dbPath);
db.prepare(
  `INSERT INTO runs (id, status, started_at, image, profile, memory_limit_bytes, cpus, workdir, share_mode, session_id,
     container_name, run_dir, prompt_bytes, prompt_sha256, owner_pid, owner_host)
   VALUES (?, 'running', ?, 'test', 'test', ?, ?, '/', 'host', ?, ?, '/', 0, '', ?, 'test')`,
).run(runId, Date.now(), orNull(memory), orNull(cpus), `session-${runId}`, containerName, process.pid);

const logs = [];
const sampler = startSampler({ db, runId, containerName, intervalMs: Number(intervalMs), log: (line) => logs.push(line) });
const started = Date.now();
const run = await execa('podman', ['run', '--name', containerName, ...runArgs], { reject: false, cwd: '/tmp', stdin: 'ignore' });
const exited = Date.now();
const summary = await sampler.stop();
const stopMs = Date.now() - exited;
await execa('podman', ['rm', '-f', '--ignore', containerName], { reject: false, cwd: '/tmp' });
await takeHostSnapshot(db, runId);
db.close();
process.stdout.write(
  `${JSON.stringify({ summary, exitCode: run.exitCode, stdout: run.stdout, stderr: run.stderr, containerMs: exited - started, stopMs, logs })}\n`,
);
