// Git work dirs owned by the test user, for runs whose start state agentpod records (and replays recreate).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { isRoot, runAsTestUser, testUser, userTempDir } from './user.js';

export async function gitAsTestUser(dir: string, args: string[]): Promise<string> {
  const r = await runAsTestUser('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@x', ...args]);
  if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${String(r.stderr)}`);
  return String(r.stdout);
}

/** A clean git work tree with these files in its one commit. */
export async function gitWorkdir(files: Record<string, string>): Promise<string> {
  const dir = userTempDir('agentpod-git-work-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  if (isRoot) await execa('chown', ['-R', `${testUser.uid}:${testUser.gid}`, dir]);
  await gitAsTestUser(dir, ['init', '-q']);
  await gitAsTestUser(dir, ['add', '.']);
  await gitAsTestUser(dir, ['commit', '-qm', 'start']);
  return dir;
}
