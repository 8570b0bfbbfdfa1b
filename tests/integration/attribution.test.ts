// Per-process samples and attribution for real: the real agent (Claude Code against the scripted API) in a
// rootless container runs a Bash call whose python3 holds ~120 MB, as the demo's check does. On this project's
// hybrid-cgroup hosts the processes come from the process tree; on cgroup v2 hosts from cgroup.procs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scriptedApiForFile } from '../helpers/mock.js';
import { agentpod, userTempDir } from '../helpers/user.js';

const MB = 1e6;

const SCRIPT = `
turns:
  - content:
      - { type: tool_use, name: Bash, input: { command: "cat /etc/hostname", description: "A small call first" } }
  - content:
      - { type: tool_use, name: Bash, input: { command: "python3 -c \\"import time; b = b'x' * (120 * 1000 * 1000); time.sleep(1.5)\\"", description: "Hold 120 MB" } }
  - content:
      - { type: text, text: "Done." }
`;

const api = scriptedApiForFile(SCRIPT);

type Call = { tool: string; detail: string; peak_memory_bytes: number; tool_peak_rss_bytes: number | null; agent_rss_bytes: number | null };
type ProcessLine = { tool_use_id: string; rank: number; command: string; peak_rss_bytes: number; folded: number; cmdline: string | null };

describe('attribution of a real run', () => {
  it("gives the Bash call's python3 its ~120 MB, while the agent's own memory stays the agent's", async () => {
    const dataDir = userTempDir('agentpod-attribution-data-');
    const workdir = userTempDir('agentpod-attribution-work-');
    const r = await agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, '--json', 'hold some memory'], { env: api.env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const { runId, runDir } = JSON.parse(String(r.stdout).trim().split('\n').pop()!) as { runId: string; runDir: string };

    const q = await agentpod(['query', 'tool-resources', '--data-dir', dataDir, '--run', runId, '--json']);
    expect(q.exitCode, String(q.stderr)).toBe(0);
    const [small, hold] = JSON.parse(String(q.stdout)) as Call[];
    console.log('calls', JSON.stringify([small, hold]));
    expect(hold.detail).toContain('python3');
    expect(hold.tool_peak_rss_bytes!).toBeGreaterThanOrEqual(100 * MB);
    expect(small.tool_peak_rss_bytes!).toBeLessThan(20 * MB);
    // The agent (Claude Code, a few hundred MB) is the same size in both calls: the 120 MB are not its own...
    expect(hold.agent_rss_bytes!).toBeGreaterThan(50 * MB);
    expect(Math.abs(hold.agent_rss_bytes! - small.agent_rss_bytes!)).toBeLessThan(60 * MB);
    // ...though the container's peak during the call holds both.
    expect(hold.peak_memory_bytes - hold.agent_rss_bytes!).toBeGreaterThanOrEqual(100 * MB);

    const p = await agentpod(['query', 'tool-processes', '--data-dir', dataDir, '--run', runId, '--json']);
    expect(p.exitCode, String(p.stderr)).toBe(0);
    const lines = JSON.parse(String(p.stdout)) as ProcessLine[];
    const top = lines.find((l) => l.rank === 1 && l.command === 'python3')!;
    expect(top).toMatchObject({ folded: 0 });
    expect(top.peak_rss_bytes).toBeGreaterThanOrEqual(100 * MB);
    expect(top.cmdline).toContain('python3 -c');

    const rep = await agentpod(['report', runId, '--data-dir', dataDir]);
    expect(rep.exitCode, String(rep.stderr)).toBe(0);
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('class="area area-agent"');
    expect(html).toContain('class="area area-tools"');
  });
});
