// The launch spec: everything that decides the podman command, resolved before anything runs.
import type { Profile } from './profiles.js';

export type ShareMode = 'host' | 'narrow';

export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

export interface LaunchUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface LaunchSpec {
  runId: string;
  /** Given to claude with --session-id, so the trace file is known before the run starts. */
  sessionId: string;
  containerName: string;
  image: string;
  /** The agent's cwd inside the container. */
  workdir: string;
  /** True when workdir is a host folder (mounted in narrow mode); false for a folder inside the image (/testbed). */
  workdirOnHost: boolean;
  profile: Profile;
  model: string | null;
  shareMode: ShareMode;
  /** OCI runtime for --runtime; null lets podman choose. */
  runtime: string | null;
  user: LaunchUser;
  /** Which of the shareable system paths exist on this host (e.g. /lib64 is absent on some arches). */
  hostPaths: string[];
  /** Resolved real path of the claude binary. */
  claudePath: string;
  /** Extra variables with their values (never secrets): PATH additions, GIT_CONFIG_*, ... */
  env: Record<string, string>;
  /** Variables passed through by name only (-e NAME): secrets and the API endpoint. */
  passEnv: string[];
  labels: Record<string, string>;
  extraMounts: Mount[];
  /** Long prompts go through stdin: one argv element is capped at 128 KiB by the kernel. */
  promptDelivery: 'argv' | 'stdin';
  /** Seconds between SIGTERM and SIGKILL when a run is stopped. */
  stopGraceSeconds: number;
  /** The command podman's client runs under (a Slurm step: srun with the profile's limits); empty: none. */
  clientPrefix: string[];
}

export const SYSTEM_PATHS_RO = ['/usr', '/lib', '/lib64', '/bin', '/sbin', '/etc'];
export const SHARED_PATHS_RW = ['/home', '/tmp'];

/** Prompts up to this size travel as one argv element; larger ones through stdin. */
export const MAX_ARGV_PROMPT_BYTES = 64 * 1024;

/** Environment names passed into the container by name when they are set. */
export const SECRET_ENV = ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_AUTH_TOKEN'];
export const PASSTHROUGH_ENV = [
  'ANTHROPIC_BASE_URL',
  'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC',
  'DISABLE_AUTOUPDATER',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
];

export const LABEL_RUN_ID = 'agentpod.run-id';
export const LABEL_OWNER_PID = 'agentpod.owner-pid';
export const LABEL_OWNER_HOST = 'agentpod.owner-host';
