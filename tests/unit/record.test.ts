import { describe, expect, it } from 'vitest';
import { decideStatus, type RunStatusInputs } from '../../src/run/record.js';

const base: RunStatusInputs = { interrupted: false, timedOut: false, oomKilled: false, kernelOomKills: 0, exitCode: 0, agentResult: { subtype: 'success', is_error: false } };

describe('decideStatus', () => {
  it('is ok only with exit 0 and a non-error result line', () => {
    expect(decideStatus(base)).toBe('ok');
    expect(decideStatus({ ...base, agentResult: null })).toBe('failed');
    expect(decideStatus({ ...base, agentResult: { is_error: true } })).toBe('failed');
    expect(decideStatus({ ...base, exitCode: 1 })).toBe('failed');
  });
  it('prefers the most specific cause: interrupted, then timeout, then oom', () => {
    expect(decideStatus({ ...base, interrupted: true, timedOut: true, oomKilled: true })).toBe('interrupted');
    expect(decideStatus({ ...base, timedOut: true, oomKilled: true })).toBe('timeout');
    expect(decideStatus({ ...base, exitCode: 137, oomKilled: true })).toBe('oom');
  });
  it('counts kernel OOM kills inside the container even when podman says not OOMKilled', () => {
    expect(decideStatus({ ...base, exitCode: 1, oomKilled: false, kernelOomKills: 1 })).toBe('oom');
    expect(decideStatus({ ...base, exitCode: 1, oomKilled: null, kernelOomKills: null })).toBe('failed');
  });
  it('calls a run oom when a tool process was OOM-killed even though the agent finished', () => {
    expect(decideStatus({ ...base, kernelOomKills: 2 })).toBe('oom');
    expect(decideStatus({ ...base, kernelOomKills: 0 })).toBe('ok');
  });
});
