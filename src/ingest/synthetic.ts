// Synthetic Claude Code traces shaped like real ones (a response split over several lines with partial
// output_tokens, Bash tool calls and their results), for the benchmark and the large-ingest tests.
// Deterministic for a seed; returns the counts a correct ingest must find.
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface CorpusExpectation {
  files: number;
  bytes: number;
  lines: number;
  responses: number;
  toolCalls: number;
  outputTokens: number;
}

/** A small fast PRNG (mulberry32): the same corpus for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (random: () => number, n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
const uuid = (random: () => number) => `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-8${hex(random, 3)}-${hex(random, 12)}`;
const FILLER = 'The quick brown fox jumps over the lazy dog; ünïcödé ✓ 日本語. ';

/** Writes one session trace of about `targetBytes`; returns what a correct ingest must count. */
export async function writeSyntheticTrace(path: string, targetBytes: number, random: () => number): Promise<CorpusExpectation> {
  const sessionId = uuid(random);
  const out = createWriteStream(path);
  const expect: CorpusExpectation = { files: 1, bytes: 0, lines: 0, responses: 0, toolCalls: 0, outputTokens: 0 };
  let t = Date.UTC(2026, 0, 1) + Math.floor(random() * 1e9);
  let parent: string | null = null;
  const write = async (obj: Record<string, unknown>) => {
    const id = uuid(random);
    const line = `${JSON.stringify({ parentUuid: parent, isSidechain: false, userType: 'external', cwd: '/testbed', sessionId, version: '2.1.16', gitBranch: 'main', ...obj, uuid: id, timestamp: new Date((t += 50 + Math.floor(random() * 2000))).toISOString() })}\n`;
    parent = id;
    expect.lines++;
    expect.bytes += Buffer.byteLength(line);
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  await write({ type: 'user', message: { role: 'user', content: 'Fix the failing test in the repository.' } });
  while (expect.bytes < targetBytes) {
    const messageId = `msg_${hex(random, 24)}`;
    const requestId = `req_${hex(random, 24)}`;
    const toolId = `toolu_${hex(random, 24)}`;
    const outputTokens = 20 + Math.floor(random() * 500);
    const usage = (output: number) => ({ input_tokens: 3, cache_creation_input_tokens: 200, cache_read_input_tokens: 15000, output_tokens: output });
    const assistant = (content: unknown[], output: number, stop: string | null) => ({
      type: 'assistant', requestId,
      message: { model: 'claude-haiku-4-5-20251001', id: messageId, type: 'message', role: 'assistant', content, stop_reason: stop, stop_sequence: null, usage: usage(output) },
    });
    await write(assistant([{ type: 'text', text: 'Running the tests next.' }], 1, null));
    await write(assistant([{ type: 'tool_use', id: toolId, name: 'Bash', input: { command: `pytest -x tests/test_${hex(random, 4)}.py`, description: 'Run tests' } }], outputTokens, 'tool_use'));
    expect.responses++;
    expect.toolCalls++;
    expect.outputTokens += outputTokens;
    // Result sizes are skewed: most small, a few large (real traces hold whole files in tool results).
    const resultBytes = Math.min(Math.max(0, targetBytes - expect.bytes), Math.floor(200 * Math.exp(random() * 7)));
    const stdout = FILLER.repeat(Math.ceil(resultBytes / FILLER.length)).slice(0, resultBytes);
    await write({ type: 'user', message: { role: 'user', content: [{ tool_use_id: toolId, type: 'tool_result', content: stdout, is_error: random() < 0.1 }] }, toolUseResult: { stdout, stderr: '', interrupted: false } });
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return expect;
}

export function addExpectations(a: CorpusExpectation, b: CorpusExpectation): CorpusExpectation {
  return {
    files: a.files + b.files, bytes: a.bytes + b.bytes, lines: a.lines + b.lines,
    responses: a.responses + b.responses, toolCalls: a.toolCalls + b.toolCalls, outputTokens: a.outputTokens + b.outputTokens,
  };
}

/**
 * A corpus of `sizes.length` session files in project folders of 100 files each; `sizes` in bytes.
 */
export async function writeSyntheticCorpus(dir: string, sizes: number[], seed: number): Promise<CorpusExpectation> {
  const random = seededRandom(seed);
  let total: CorpusExpectation = { files: 0, bytes: 0, lines: 0, responses: 0, toolCalls: 0, outputTokens: 0 };
  for (let i = 0; i < sizes.length; i++) {
    const project = join(dir, `-project-${Math.floor(i / 100)}`);
    mkdirSync(project, { recursive: true });
    total = addExpectations(total, await writeSyntheticTrace(join(project, `${uuid(random)}.jsonl`), sizes[i], random));
  }
  return total;
}

/** File sizes with a log-normal spread: `median` bytes, p99 ≈ median × 50, capped at `max`. */
export function logNormalSizes(count: number, median: number, max: number, seed: number): number[] {
  const random = seededRandom(seed);
  const sigma = Math.log(50) / 2.326;
  return Array.from({ length: count }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return Math.min(max, Math.round(median * Math.exp(sigma * z)));
  });
}
