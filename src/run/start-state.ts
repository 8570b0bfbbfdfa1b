// What a plain run starts from, recorded before its container starts so the run can be replayed later in a
// fresh copy of the same state (docs/replay.md): a host work dir that is a clean git work tree is its HEAD; a
// work dir inside the image is the image (by id). Anything else cannot be recreated, and the row says why.
import { execa } from 'execa';
import type { Db } from '../db/open.js';
import { podman } from '../podman/client.js';

export type StartState =
  | { kind: 'git'; workdir: string; top: string; head: string; changes: number }
  | { kind: 'image'; workdir: string; image: string; imageId: string | null }
  | { kind: 'none'; workdir: string; reason: string };

/** Never a lock, an index refresh or a prompt in the user's repository: these only read. */
const READ_ONLY_GIT_ENV = { GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0' };

async function git(workdir: string, args: string[]): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await execa('git', ['-C', workdir, ...args], { reject: false, stdin: 'ignore', env: READ_ONLY_GIT_ENV });
  return { ok: r.exitCode === 0, out: String(r.stdout ?? ''), err: String(r.stderr ?? r.message ?? '') };
}

/** A host work dir's git state: its top-level folder, HEAD, and how many entries `git status` lists. */
export async function gitStartState(workdir: string): Promise<StartState> {
  const rev = await git(workdir, ['rev-parse', '--show-toplevel', '--verify', '-q', 'HEAD']);
  if (!rev.ok) {
    const reason = /not a git repository/i.test(rev.err) ? 'not a git work tree' : /dubious ownership/i.test(rev.err) ? 'a git work tree git refuses to read (dubious ownership)' : 'a git work tree without a commit';
    return { kind: 'none', workdir, reason };
  }
  const [top, head] = rev.out.trim().split('\n');
  const status = await git(workdir, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=none']);
  if (!status.ok) return { kind: 'none', workdir, reason: `git status failed: ${status.err.trim().split('\n').pop()}` };
  return { kind: 'git', workdir, top, head, changes: status.out.split('\0').filter(Boolean).length };
}

export async function captureStartState(input: { workdir: string; workdirOnHost: boolean; image: string }): Promise<StartState> {
  if (input.workdirOnHost) return gitStartState(input.workdir);
  const id = await podman(['image', 'inspect', '--format', '{{.Id}}', input.image]).then((out) => out.trim(), () => null);
  return { kind: 'image', workdir: input.workdir, image: input.image, imageId: id };
}

export function recordStartState(db: Db, runId: string, s: StartState): void {
  db.prepare(
    `INSERT INTO run_start_states (run_id, kind, workdir, git_top, git_head, git_changes, image, image_id, reason)
     VALUES (@runId, @kind, @workdir, @top, @head, @changes, @image, @imageId, @reason)`,
  ).run({
    runId,
    kind: s.kind,
    workdir: s.workdir,
    top: s.kind === 'git' ? s.top : null,
    head: s.kind === 'git' ? s.head : null,
    changes: s.kind === 'git' ? s.changes : null,
    image: s.kind === 'image' ? s.image : null,
    imageId: s.kind === 'image' ? s.imageId : null,
    reason: s.kind === 'none' ? s.reason : null,
  });
}

interface StartStateRow {
  kind: StartState['kind'];
  workdir: string;
  git_top: string | null;
  git_head: string | null;
  git_changes: number | null;
  image: string | null;
  image_id: string | null;
  reason: string | null;
}

export function readStartState(db: Db, runId: string): StartState | null {
  const r = db.prepare('SELECT * FROM run_start_states WHERE run_id = ?').get(runId) as StartStateRow | undefined;
  if (!r) return null;
  if (r.kind === 'git') return { kind: 'git', workdir: r.workdir, top: r.git_top!, head: r.git_head!, changes: r.git_changes ?? 0 };
  if (r.kind === 'image') return { kind: 'image', workdir: r.workdir, image: r.image!, imageId: r.image_id };
  return { kind: 'none', workdir: r.workdir, reason: r.reason ?? 'unknown' };
}
