// Turns a profile, flags and facts about this host into a LaunchSpec. The impure lookups live here
// so that the argv builder stays a pure function of the spec.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { UserError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import type { Profile } from '../profiles.js';
import {
  LABEL_OWNER_HOST,
  LABEL_OWNER_PID,
  LABEL_RUN_ID,
  MAX_ARGV_PROMPT_BYTES,
  PASSTHROUGH_ENV,
  SECRET_ENV,
  SHARED_PATHS_RW,
  SYSTEM_PATHS_RO,
  type LaunchSpec,
  type Mount,
  type ShareMode,
} from '../launch-spec.js';

/** Sortable, unique run id: 20261122-134201-1a2b3c. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** The claude binary: --claude, $AGENTPOD_CLAUDE, `claude` on PATH, then agentpod's own node_modules. */
export function resolveClaude(flag?: string): string {
  const candidate = flag ?? process.env.AGENTPOD_CLAUDE ?? findOnPath('claude') ?? join(packageRoot, 'node_modules', '.bin', 'claude');
  if (!existsSync(candidate)) {
    throw new UserError(`Claude Code CLI not found (looked at ${candidate}); install it with \`npm i -g @anthropic-ai/claude-code\` or pass --claude PATH`);
  }
  return realpathSync(candidate);
}

/** Pure cgroup v2 hosts let podman pick its runtime; on v1/hybrid hosts crun refuses, so runc is chosen. */
export function chooseRuntime(flag?: string): string | null {
  if (flag) return flag;
  if (process.env.AGENTPOD_RUNTIME) return process.env.AGENTPOD_RUNTIME;
  const pureV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  return !pureV2 && findOnPath('runc') ? 'runc' : null;
}

export interface LaunchInput {
  profile: Profile;
  image: string;
  workdir: string;
  workdirOnHost: boolean;
  model?: string;
  shareMode: ShareMode;
  runtime?: string;
  claude?: string;
  promptBytes: number;
  env?: Record<string, string>;
  labels?: Record<string, string>;
  extraMounts?: Mount[];
  stopGraceSeconds?: number;
}

export function buildLaunchSpec(input: LaunchInput): LaunchSpec {
  const runId = newRunId();
  const info = userInfo();
  const home = process.env.HOME ?? info.homedir;
  return {
    runId,
    sessionId: randomUUID(),
    containerName: `agentpod-${runId}`,
    image: input.image,
    workdir: input.workdir,
    workdirOnHost: input.workdirOnHost,
    profile: input.profile,
    model: input.model ?? input.profile.model,
    shareMode: input.shareMode,
    runtime: chooseRuntime(input.runtime),
    user: { name: info.username, uid: info.uid, gid: info.gid, home },
    hostPaths: [...SYSTEM_PATHS_RO, ...SHARED_PATHS_RW].filter((p) => existsSync(p)),
    claudePath: resolveClaude(input.claude),
    env: input.env ?? {},
    passEnv: [...SECRET_ENV, ...PASSTHROUGH_ENV].filter((name) => process.env[name] !== undefined),
    labels: {
      [LABEL_RUN_ID]: runId,
      [LABEL_OWNER_PID]: String(process.pid),
      [LABEL_OWNER_HOST]: hostname(),
      ...input.labels,
    },
    extraMounts: input.extraMounts ?? [],
    promptDelivery: input.promptBytes > MAX_ARGV_PROMPT_BYTES ? 'stdin' : 'argv',
    stopGraceSeconds: input.stopGraceSeconds ?? 10,
    clientPrefix: [],
  };
}
