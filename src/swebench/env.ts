// The environment of a SWE-bench trial: git settings through GIT_CONFIG_* (so nothing is written to the
// shared host ~/.gitconfig) and the instance's own test environment first on PATH.
import { DEFAULT_PATH } from '../podman/argv.js';

/** Where SWE-bench images keep the instance's conda env; host /usr hides the image's, /opt stays visible. */
export const CONDA_TESTBED_ENV = '/opt/miniconda3/envs/testbed';

export const TESTBED = '/testbed';

export const AGENT_GIT_CONFIG: [string, string][] = [
  ['user.name', 'agentpod'],
  ['user.email', 'agentpod@localhost'],
  ['safe.directory', TESTBED],
];

/** git's GIT_CONFIG_COUNT / GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n for these settings (git >= 2.31). */
export function gitConfigEnv(entries: [string, string][]): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** spec.env of a trial: git identity and safe.directory; with a test env, its bin leads PATH. */
export function trialEnv(testEnv: string | null): Record<string, string> {
  return {
    ...gitConfigEnv(AGENT_GIT_CONFIG),
    ...(testEnv ? { PATH: `${testEnv}/bin:${DEFAULT_PATH}` } : {}),
  };
}
