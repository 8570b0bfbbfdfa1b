// The pure parts of the AgentCgroup importer: the published value formats, the sample mapping and flags, the
// study's Bash categories.
import { describe, expect, it } from 'vitest';
import { studyBashCategory } from '../../src/analysis/families.js';
import { instanceFromImage, isInstanceId, localToUtcMs, naiveAsUtcMs, parseMemUsage, parsePercent, parsePodmanSize, utcOffsetMinutes } from '../../src/importers/agentcgroup/formats.js';
import { compareSummary } from '../../src/importers/agentcgroup/self-check.js';
import { attemptUtcOffset, instanceOf, mapSamples, mapToolWindows } from '../../src/importers/agentcgroup/map.js';

describe('podman sizes', () => {
  it('reads podman\'s decimal units, whatever the number of digits', () => {
    expect(parsePodmanSize('185.7MB')).toBe(185_700_000);
    // the study's truncating parser read "186MB" as 18 MB: here it is 186 MB
    expect(parsePodmanSize('186MB')).toBe(186_000_000);
    expect(parsePodmanSize('1.461GB')).toBe(1_461_000_000);
    expect(parsePodmanSize('950kB')).toBe(950_000);
    expect(parsePodmanSize('0B')).toBe(0);
    expect(parsePodmanSize('12MiB')).toBeNull();
    expect(parsePodmanSize('lots')).toBeNull();
  });

  it('splits "used / limit" and says null for what is not one', () => {
    expect(parseMemUsage('11.71MB / 134.5GB')).toEqual({ usedBytes: 11_710_000, limitBytes: 134_500_000_000 });
    expect(parseMemUsage('0B / 0B')).toEqual({ usedBytes: 0, limitBytes: 0 });
    expect(parseMemUsage('x / 1GB')).toBeNull();
    expect(parseMemUsage(42)).toBeNull();
    expect(parsePercent('96.07%')).toBe(96.07);
    expect(parsePercent('0.00%')).toBe(0);
    expect(parsePercent('n/a')).toBeNull();
  });
});

describe('times', () => {
  it('reads naive local times with the clock offset found from a sample\'s epoch', () => {
    // all_images_haiku: "2026-02-06T18:22:06.839635" local is epoch 1770430926.8396 (UTC 02:22:06 the next day)
    expect(utcOffsetMinutes('2026-02-06T18:22:06.839635', 1770430926.8396466)).toBe(-480);
    expect(utcOffsetMinutes('2026-02-07T02:22:06.839635', 1770430926.8396466)).toBe(0);
    expect(naiveAsUtcMs('2026-02-06T18:14:31.465697')).toBe(Date.UTC(2026, 1, 6, 18, 14, 31, 466));
    expect(localToUtcMs('2026-02-06T18:14:31.5', -480)).toBe(Date.UTC(2026, 1, 7, 2, 14, 31, 500));
    expect(naiveAsUtcMs('yesterday')).toBeNull();
    expect(utcOffsetMinutes('2026-02-06T18:22:06', undefined)).toBeNull();
  });

  it('takes the offset from the attempt\'s own samples, else the data set\'s', () => {
    expect(attemptUtcOffset([{ timestamp: '2026-02-06T18:22:06', epoch: 1770430926, mem_usage: '1MB / 2GB', cpu_percent: '1%' }], 0)).toBe(-480);
    expect(attemptUtcOffset([], 60)).toBe(60);
    expect(attemptUtcOffset([], null)).toBeNull();
  });
});

describe('instances', () => {
  it('takes the folder when it names an instance, else the image', () => {
    expect(isInstanceId('NVIDIA__nv-ingest-71')).toBe(true);
    expect(isInstanceId('CLI_Tools_Easy')).toBe(false);
    expect(instanceFromImage('swerebench/sweb.eval.x86_64.asottile_1776_pyupgrade-939')).toBe('asottile__pyupgrade-939');
    expect(instanceFromImage('docker.io/swerebench/sweb.eval.x86_64.pre-commit_1776_pre-commit-2524:latest')).toBe('pre-commit__pre-commit-2524');
    expect(instanceFromImage('python:3.12')).toBeNull();
    expect(instanceOf('NVIDIA__nv-ingest-71', 'swerebench/sweb.eval.x86_64.nvidia_1776_nv-ingest-71')).toBe('NVIDIA__nv-ingest-71');
    expect(instanceOf('CLI_Tools_Easy', 'swerebench/sweb.eval.x86_64.asottile_1776_pyupgrade-939')).toBe('asottile__pyupgrade-939');
    expect(instanceOf('CLI_Tools_Easy', null)).toBe('CLI_Tools_Easy');
  });
});

describe('samples', () => {
  const raw = (epoch: unknown, mem: unknown, cpu = '1.00%') => ({ timestamp: '2026-01-01T00:00:00', epoch, mem_usage: mem, cpu_percent: cpu });

  it('flags the start-up reading and every "0B / 0B" one, and keeps them', () => {
    const { samples, problems } = mapSamples([raw(100.0004, '2MB / 8GB'), raw(101.04, '186MB / 8GB'), raw(102.08, '0B / 0B', '0.00%'), raw(103.12, '0B / 0B', '0.00%')]);
    expect(problems).toEqual([]);
    expect(samples).toEqual([
      { tMs: 100_000, memoryBytes: 2_000_000, cpuPercent: 1, flag: 'startup' },
      { tMs: 101_040, memoryBytes: 186_000_000, cpuPercent: 1, flag: null },
      { tMs: 102_080, memoryBytes: 0, cpuPercent: 0, flag: 'gone' },
      { tMs: 103_120, memoryBytes: 0, cpuPercent: 0, flag: 'gone' },
    ]);
  });

  it('names the samples it cannot use and goes on', () => {
    const { samples, problems } = mapSamples([raw('soon', '1MB / 2GB'), raw(5, 'much'), raw(6, '1MB / 2GB'), raw(6.0001, '2MB / 2GB')]);
    expect(samples.map((s) => s.tMs)).toEqual([6000]);
    expect(samples[0].flag).toBe('startup');
    expect(problems).toEqual(['sample 1: epoch "soon" unusable', 'sample 2: mem_usage "much" unusable', 'sample 4: a second reading at epoch 6.0001']);
  });

  it('reads both tool_calls.json formats', () => {
    const windows = mapToolWindows({
      format: 'windows',
      calls: [
        { timestamp: '2026-02-07T02:22:12.916Z', tool: 'Bash', id: 'toolu_1', input: { command: 'pytest -x' }, end_timestamp: '2026-02-07T02:22:14.000Z' },
        { timestamp: '2026-02-07T02:22:15.000Z', tool: 'Read', id: 'toolu_2' },
      ],
    });
    expect(windows).toEqual([
      { seq: 1, toolUseId: 'toolu_1', toolName: 'Bash', input: '{"command":"pytest -x"}', command: 'pytest -x', startMs: Date.UTC(2026, 1, 7, 2, 22, 12, 916), endMs: Date.UTC(2026, 1, 7, 2, 22, 14) },
      { seq: 2, toolUseId: 'toolu_2', toolName: 'Read', input: null, command: null, startMs: Date.UTC(2026, 1, 7, 2, 22, 15), endMs: null },
    ]);
  });
});

describe('the self-check', () => {
  const rebuilt = { sampleCount: 3, durationSeconds: 2.0004, memoryMb: { min: 2, max: 186, avg: 94 }, cpuPercent: { min: 0, max: 10, avg: 5 } };
  const published = { sample_count: 3, duration_seconds: 2.0, memory_mb: { min: 2, max: 186, avg: 94 }, cpu_percent: { min: 0, max: 10, avg: 5 } };

  it('accepts a summary the samples reproduce (epochs stored as whole ms)', () => {
    expect(compareSummary(published, rebuilt)).toEqual([]);
  });

  it('names each figure the samples do not reproduce', () => {
    expect(compareSummary({ ...published, sample_count: 4, memory_mb: { min: 2, max: 190, avg: 94 } }, rebuilt)).toEqual([
      'sample_count 4 published, 3 from the samples',
      'memory_mb.max 190 published, 186 from the samples',
    ]);
    expect(compareSummary(null, rebuilt)).toEqual(['no summary to compare with']);
  });
});

describe('the study\'s Bash categories', () => {
  it('matches in the study\'s order, on the lower-cased line', () => {
    expect(studyBashCategory('cd /testbed && python -m pytest tests/ -x')).toBe('test_execution');
    // test execution comes first: installing pytest is a test execution for the study
    expect(studyBashCategory('pip install pytest')).toBe('test_execution');
    expect(studyBashCategory('pip install -e .')).toBe('package_install');
    expect(studyBashCategory('git diff HEAD')).toBe('git_operations');
    expect(studyBashCategory('git clone x')).toBe('other');
    expect(studyBashCategory('python -c "import x"')).toBe('python_snippet');
    expect(studyBashCategory('PYTHON reproduce.py')).toBe('python_run');
    expect(studyBashCategory('ls -la && python3 -c "print(1)"')).toBe('python_snippet');
    expect(studyBashCategory('find . -name "*.py" | head')).toBe('file_exploration');
    expect(studyBashCategory('grep -rn foo src')).toBe('text_processing');
    expect(studyBashCategory('echo done')).toBe('other');
    expect(studyBashCategory(null)).toBe('other');
  });
});

describe('the import\'s texts', () => {
  it('draws a progress bar that fits the terminal', async () => {
    const { formatProgressBar } = await import('../../src/importers/agentcgroup/progress.js');
    expect(formatProgressBar({ dataSet: 'all_images_haiku', attemptsDone: 29, attemptsTotal: 58, current: 'x__y-1/attempt_1' })).toBe(
      `all_images_haiku [${'#'.repeat(12)}${'-'.repeat(12)}] 29/58 x__y-1/attempt_1`,
    );
    expect(formatProgressBar({ dataSet: 'set', attemptsDone: 0, attemptsTotal: 3, current: 'a'.repeat(200) }, 60)).toHaveLength(59);
  });
});
