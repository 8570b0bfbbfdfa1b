// A snapshot of the host a run ran on: hardware and OS from systeminformation, the container stack from
// `podman info`. Gathered once per process (a batch runs many trials on the same host), stored per run.
import type { Db } from '../db/open.js';
import { podmanInfo } from '../podman/client.js';

export interface HostFacts {
  cpuModel: string | null;
  cpuCores: number | null;
  memoryTotalBytes: number | null;
  os: string | null;
  kernel: string | null;
  podmanVersion: string | null;
  cgroupVersion: string | null;
  runtime: string | null;
  storageDriver: string | null;
  /** The raw answers, for what the columns leave out (or the error that replaced one). */
  raw: Record<string, unknown>;
}

/** Each part may fail on its own (no podman, odd /proc): a missing part is NULL, the run goes on. */
async function settle<T>(what: string, raw: Record<string, unknown>, get: () => Promise<T>): Promise<T | null> {
  try {
    const value = await get();
    raw[what] = value;
    return value;
  } catch (e) {
    raw[what] = { error: (e as Error).message };
    return null;
  }
}

export async function gatherHostFacts(): Promise<HostFacts> {
  // Loaded here, not with the module: systeminformation takes ~90 ms of CPU to load, and the sampler module is
  // on every launch's path while the snapshot runs alongside the container.
  const { default: si } = await import('systeminformation');
  const raw: Record<string, unknown> = {};
  const [cpu, mem, os, podman] = await Promise.all([
    settle('cpu', raw, () => si.cpu()),
    settle('mem', raw, () => si.mem()),
    settle('os', raw, () => si.osInfo()),
    settle('podman', raw, podmanInfo),
  ]);
  return {
    cpuModel: cpu ? `${cpu.manufacturer} ${cpu.brand}`.trim() : null,
    cpuCores: cpu?.cores ?? null,
    memoryTotalBytes: mem?.total ?? null,
    os: os ? `${os.distro} ${os.release}`.trim() : null,
    kernel: os?.kernel ?? null,
    podmanVersion: podman?.version?.Version ?? null,
    cgroupVersion: podman?.host?.cgroupVersion ?? null,
    runtime: podman?.host?.ociRuntime?.name ?? null,
    storageDriver: podman?.store?.graphDriverName ?? null,
    raw,
  };
}

let cached: { at: number; facts: Promise<HostFacts> } | null = null;

/** Writes the host snapshot of a run (gathered on the first call of this process). */
export async function takeHostSnapshot(db: Db, runId: string): Promise<void> {
  cached ??= { at: Date.now(), facts: gatherHostFacts() };
  const f = await cached.facts;
  db.prepare(
    `INSERT OR REPLACE INTO host_snapshots (run_id, taken_at, cpu_model, cpu_cores, memory_total_bytes, os, kernel,
       podman_version, cgroup_version, runtime, storage_driver, json)
     VALUES (@runId, @takenAt, @cpuModel, @cpuCores, @memoryTotalBytes, @os, @kernel, @podmanVersion, @cgroupVersion,
       @runtime, @storageDriver, @json)`,
  ).run({
    runId,
    takenAt: cached.at,
    cpuModel: f.cpuModel,
    cpuCores: f.cpuCores,
    memoryTotalBytes: f.memoryTotalBytes,
    os: f.os,
    kernel: f.kernel,
    podmanVersion: f.podmanVersion,
    cgroupVersion: f.cgroupVersion,
    runtime: f.runtime,
    storageDriver: f.storageDriver,
    json: JSON.stringify(f.raw),
  });
}
