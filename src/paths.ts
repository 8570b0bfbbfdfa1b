// Where agentpod keeps its data: $AGENTPOD_DATA_DIR, else $XDG_DATA_HOME/agentpod, else ~/.local/share/agentpod.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function dataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.AGENTPOD_DATA_DIR) return resolve(env.AGENTPOD_DATA_DIR);
  const xdg = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(env.HOME ?? homedir(), '.local', 'share');
  return join(xdg, 'agentpod');
}

export function dbPath(dataDirectory: string, flag?: string): string {
  return flag ? resolve(flag) : join(dataDirectory, 'agentpod.db');
}

export function runDir(dataDirectory: string, runId: string): string {
  return join(dataDirectory, 'runs', runId);
}

/** Claude Code's project folder name: the cwd with every non-alphanumeric character replaced by '-'. */
export function claudeProjectDirName(cwd: string): string {
  return cwd.replace(/[^a-zA-Z0-9]/g, '-');
}

export function claudeTracePath(home: string, cwd: string, sessionId: string): string {
  return join(home, '.claude', 'projects', claudeProjectDirName(cwd), `${sessionId}.jsonl`);
}
