// The sampler's parsers and sources against fixture trees that mirror real cgroup and /proc files
// (tests/fixtures/cgroup/v2 is a capture from a cgroup v2 guest running a --memory 256m --cpus 0.5 container).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCgroupV1Source } from '../../src/sampler/cgroup-v1.js';
import { openCgroupV2Source } from '../../src/sampler/cgroup-v2.js';
import { decideLimitsEnforced } from '../../src/sampler/limits.js';
import { locateSource } from '../../src/sampler/locate.js';
import {
  parseBlkio,
  parseIoStat,
  parseKeyed,
  parseNumber,
  parsePressure,
  parseProcCgroup,
  parseProcStat,
  parseRawLine,
} from '../../src/sampler/parse.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const cgroupFixture = (name: string) => join(fixtures, 'cgroup', name);
const procFixture = (name: string) => readFileSync(join(fixtures, 'proc', name), 'utf8');

describe('keyed files', () => {
  it('parses memory.stat by key, keeping keys it does not know', () => {
    const stat = parseKeyed(readFileSync(join(cgroupFixture('v2'), 'memory.stat'), 'utf8'))!;
    expect(stat.get('anon')).toBe(107544576);
    expect(stat.get('inactive_file')).toBe(5263360);
    expect(stat.get('some_future_key')).toBe(7);
    expect(stat.has('nonexistent')).toBe(false);
  });

  it('tolerates tabs, runs of spaces, blank and malformed lines', () => {
    const m = parseKeyed('  usage_usec\t 12\n\nnr_periods   3  \ngarbage\nbad_value abc\n')!;
    expect([...m]).toEqual([
      ['usage_usec', 12],
      ['nr_periods', 3],
    ]);
  });

  it('reads "key: value" (/proc/PID/io) and "Key: N kB" (smaps_rollup, scaled to bytes)', () => {
    expect(parseKeyed(procFixture('io'))!.get('read_bytes')).toBe(5398528);
    const rollup = parseKeyed(procFixture('smaps_rollup'))!;
    expect(rollup.get('Rss')).toBe(110164 * 1024);
    expect(rollup.get('Pss')).toBe(108262 * 1024);
    expect(rollup.get('Swap')).toBe(0);
    // The "[rollup]" header line is not a key.
    expect([...rollup.keys()].some((k) => k.includes('-'))).toBe(false);
  });

  it('gives null for a missing file, an empty map for an empty one', () => {
    expect(parseKeyed(null)).toBeNull();
    expect(parseKeyed('')!.size).toBe(0);
  });
});

describe('single values and limits', () => {
  it('parses numbers; "max" and missing are null, not 0', () => {
    expect(parseNumber('113623040\n')).toBe(113623040);
    expect(parseNumber('0\n')).toBe(0);
    expect(parseNumber('max\n')).toBeNull();
    expect(parseNumber('')).toBeNull();
    expect(parseNumber(null)).toBeNull();
  });

  it('keeps limit files raw', () => {
    expect(parseRawLine('max\n')).toBe('max');
    expect(parseRawLine('max 100000\n')).toBe('max 100000');
    expect(parseRawLine('50000  100000\n')).toBe('50000 100000');
    expect(parseRawLine(null)).toBeNull();
  });
});

describe('io.stat and blkio', () => {
  it('sums io.stat over devices, ignoring unknown keys and odd spacing', () => {
    expect(parseIoStat(readFileSync(join(cgroupFixture('v2'), 'io.stat'), 'utf8'))).toEqual({
      readBytes: 5398528 + 1048576,
      writeBytes: 4096 + 2097152,
      readOps: 133 + 16,
      writeOps: 1 + 32,
    });
  });

  it('an existing io.stat without devices is zero I/O; a missing one is unknown', () => {
    expect(parseIoStat('')).toEqual({ readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0 });
    expect(parseIoStat(null)).toBeNull();
  });

  it('sums v1 blkio Read and Write lines over devices and skips the Total line', () => {
    expect(parseBlkio(readFileSync(join(cgroupFixture('v1'), 'blkio', 'blkio.throttle.io_service_bytes'), 'utf8'))).toEqual({
      read: 1048576 + 2048,
      write: 4096 + 8192,
    });
    expect(parseBlkio('Total 0\n')).toEqual({ read: 0, write: 0 });
  });
});

describe('pressure (PSI)', () => {
  it('parses the some and full lines', () => {
    expect(parsePressure('some avg10=1.50 avg60=0.40 avg300=0.08 total=812345\nfull avg10=0.75 avg60=0.20 avg300=0.04 total=400123\n')).toEqual({
      some: { avg10: 1.5, totalUsec: 812345 },
      full: { avg10: 0.75, totalUsec: 400123 },
    });
  });

  it('a cpu.pressure without "full" (before 5.13) has full null', () => {
    expect(parsePressure('some avg10=2.00 avg60=1.00 avg300=0.50 total=90000\n')).toEqual({ some: { avg10: 2, totalUsec: 90000 }, full: null });
    expect(parsePressure(null)).toBeNull();
  });
});

describe('/proc files', () => {
  it('parses /proc/PID/stat with spaces and parentheses in the command name', () => {
    expect(parseProcStat(procFixture('stat'))).toEqual({ comm: 'py (odd) name', ppid: 428, utime: 154, stime: 215, cutime: 0, cstime: 0, numThreads: 1, starttime: 2426, startstack: 140735673415968 });
    expect(parseProcStat('123 (truncated')).toBeNull();
    expect(parseProcStat(null)).toBeNull();
  });

  it('parses /proc/PID/cgroup lines of v1 controllers and the v2 line', () => {
    const hybrid = parseProcCgroup(procFixture('cgroup-hybrid'))!;
    expect(hybrid.find((m) => m.controllers.includes('memory'))!.path).toBe('/process_api/230f5ab1b6a07dcdd9678802e8e0c7b7');
    expect(hybrid.find((m) => m.controllers.includes('name=systemd'))!.path).toBe('/');
    expect(hybrid.find((m) => m.controllers.length === 0)!.path).toBe('/');
    expect(parseProcCgroup(procFixture('cgroup-v2'))).toEqual([
      {
        controllers: [],
        path: '/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-38fd21847b87ebe36974c6bd74aee72ce82a45dd2519ea174baf6aa17265288b.scope/container',
      },
    ]);
  });
});

describe('cgroup v2 source on fixture trees', () => {
  it('maps every file of a full v2 cgroup to its column', () => {
    const source = openCgroupV2Source(cgroupFixture('v2'));
    expect(source.read()).toEqual({
      memory_current_bytes: 113623040,
      memory_peak_bytes: 113659904,
      memory_working_set_bytes: 113623040 - 5263360,
      memory_anon_bytes: 107544576,
      memory_file_bytes: 5607424,
      memory_kernel_bytes: 471040,
      memory_shmem_bytes: 0,
      memory_sock_bytes: 0,
      memory_inactive_file_bytes: 5263360,
      memory_swap_bytes: 0,
      memory_events_high: 0,
      memory_events_max: 68,
      memory_events_oom: 1,
      memory_events_oom_kill: 1,
      cpu_usage_usec: 3681702,
      cpu_user_usec: 1541949,
      cpu_system_usec: 2139752,
      cpu_nr_periods: 78,
      cpu_nr_throttled: 71,
      cpu_throttled_usec: 3253393,
      io_read_bytes: 6447104,
      io_write_bytes: 2101248,
      io_read_ops: 149,
      io_write_ops: 33,
      pids_current: 1,
      psi_cpu_some_avg10: 18.04,
      psi_cpu_some_total_usec: 3141043,
      psi_cpu_full_avg10: 18.04,
      psi_cpu_full_total_usec: 3141043,
      psi_memory_some_avg10: 1.5,
      psi_memory_some_total_usec: 812345,
      psi_memory_full_avg10: 0.75,
      psi_memory_full_total_usec: 400123,
      psi_io_some_avg10: 0,
      psi_io_some_total_usec: 14247,
      psi_io_full_avg10: 0,
      psi_io_full_total_usec: 14247,
    });
    expect(source.readLimits()).toEqual({ memoryMax: '268435456', cpuMax: '50000 100000' });
    source.close();
  });

  it('a kernel without memory.peak, swap accounting or io: those are null, the zero counters stay 0', () => {
    const source = openCgroupV2Source(cgroupFixture('v2-nopeak'));
    const s = source.read();
    expect(s).toMatchObject({
      memory_current_bytes: 52445184,
      memory_peak_bytes: null,
      memory_working_set_bytes: 52445184 - 6291456,
      memory_kernel_bytes: null, // no "kernel" key before 5.18
      memory_swap_bytes: null,
      memory_events_oom_kill: 0,
      cpu_nr_throttled: 0,
      cpu_throttled_usec: 0,
      io_read_bytes: null,
      io_write_ops: null,
      psi_io_some_total_usec: null,
      psi_cpu_full_total_usec: 300,
    });
    expect(source.readLimits()).toEqual({ memoryMax: 'max', cpuMax: 'max 100000' });
  });

  it('without the cpu controller: no throttling keys, no cpu.max; a pressure file without "full"', () => {
    const source = openCgroupV2Source(cgroupFixture('v2-nocpu'));
    expect(source.read()).toMatchObject({
      cpu_usage_usec: 4100000,
      cpu_nr_periods: null,
      cpu_nr_throttled: null,
      cpu_throttled_usec: null,
      psi_cpu_some_avg10: 2,
      psi_cpu_full_avg10: null,
      psi_memory_some_total_usec: null,
      memory_kernel_bytes: 2097152,
    });
    expect(source.readLimits()).toEqual({ memoryMax: 'max', cpuMax: null });
  });

  it('a directory that is gone reads as an empty sample', () => {
    const source = openCgroupV2Source(join(tmpdir(), 'no-such-cgroup-dir'));
    expect(Object.values(source.read()).every((v) => v === null)).toBe(true);
  });
});

describe('cgroup v1 source on a fixture tree', () => {
  it('maps the per-controller files, converting ns and USER_HZ to usec', () => {
    const dir = cgroupFixture('v1');
    const source = openCgroupV1Source({
      memory: join(dir, 'memory'),
      cpu: join(dir, 'cpu'),
      cpuacct: join(dir, 'cpuacct'),
      blkio: join(dir, 'blkio'),
      pids: join(dir, 'pids'),
    });
    expect(source.read()).toEqual({
      memory_current_bytes: 160202752,
      memory_peak_bytes: 209715200,
      memory_working_set_bytes: 160202752 - 94298112,
      memory_anon_bytes: 1945600,
      memory_file_bytes: 148144128,
      memory_kernel_bytes: 10407936,
      memory_shmem_bytes: 65536,
      memory_inactive_file_bytes: 94298112,
      memory_swap_bytes: 0,
      memory_events_oom_kill: 2,
      memory_failcnt: 12,
      cpu_usage_usec: 5069314,
      cpu_user_usec: 4050000,
      cpu_system_usec: 1010000,
      cpu_nr_periods: 120,
      cpu_nr_throttled: 80,
      cpu_throttled_usec: 4000000,
      io_read_bytes: 1050624,
      io_write_bytes: 12288,
      io_read_ops: 32,
      io_write_ops: 5,
      pids_current: 4,
    });
    expect(source.readLimits()).toEqual({ memoryMax: '268435456', cpuMax: '50000 100000' });
  });

  it('a controller that is not there gives nulls', () => {
    const source = openCgroupV1Source({ memory: join(cgroupFixture('v1'), 'memory') });
    expect(source.read()).toMatchObject({ memory_current_bytes: 160202752, cpu_usage_usec: null, io_read_bytes: null, pids_current: null });
    expect(source.readLimits()).toEqual({ memoryMax: '268435456', cpuMax: null });
  });
});

describe('locating the container', () => {
  const ID = '38fd21847b87ebe36974c6bd74aee72ce82a45dd2519ea174baf6aa17265288b';
  const PID = 4242;

  function fakeHost(procCgroup: string, opts: { pureV2: boolean; dirs: string[] }) {
    const root = mkdtempSync(join(tmpdir(), 'agentpod-locate-'));
    const cgroupRoot = join(root, 'cgroup');
    const procRoot = join(root, 'proc');
    mkdirSync(join(procRoot, String(PID)), { recursive: true });
    writeFileSync(join(procRoot, String(PID), 'cgroup'), procCgroup);
    mkdirSync(cgroupRoot);
    if (opts.pureV2) writeFileSync(join(cgroupRoot, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    for (const file of opts.dirs) {
      mkdirSync(join(cgroupRoot, file, '..'), { recursive: true });
      writeFileSync(join(cgroupRoot, file), '0\n');
    }
    return { cgroupRoot, procRoot };
  }

  it('v2: the init pid\'s own cgroup (crun\'s container/ leaf)', () => {
    const leaf = `/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope/container`;
    const { cgroupRoot, procRoot } = fakeHost(procFixture('cgroup-v2'), { pureV2: true, dirs: [`${leaf}/memory.current`] });
    expect(locateSource({ id: ID, pid: PID }, cgroupRoot, procRoot)).toEqual({ kind: 'cgroup-v2', dir: join(cgroupRoot, leaf), pid: PID });
  });

  it('v2 without the memory controller delegated: proc', () => {
    const { cgroupRoot, procRoot } = fakeHost(procFixture('cgroup-v2'), { pureV2: true, dirs: [] });
    expect(locateSource({ id: ID, pid: PID }, cgroupRoot, procRoot)).toMatchObject({ kind: 'proc', pid: PID, reason: expect.stringMatching(/no memory controller/) });
  });

  it('hybrid rootless: the memory cgroup is the shared session one, so proc', () => {
    const { cgroupRoot, procRoot } = fakeHost(procFixture('cgroup-hybrid'), { pureV2: false, dirs: ['memory/process_api/230f5ab1b6a07dcdd9678802e8e0c7b7/memory.usage_in_bytes'] });
    expect(locateSource({ id: ID, pid: PID }, cgroupRoot, procRoot)).toMatchObject({ kind: 'proc', reason: expect.stringMatching(/is not the container's own/) });
  });

  it("v1 rootful: the container's own directory in each hierarchy", () => {
    const path = `/machine.slice/libpod-${ID}.scope`;
    const procCgroup = `12:pids:${path}\n4:memory:${path}\n3:cpu,cpuacct:${path}\n2:blkio:/\n1:name=systemd:${path}\n`;
    const { cgroupRoot, procRoot } = fakeHost(procCgroup, { pureV2: false, dirs: [`memory${path}/memory.usage_in_bytes`] });
    expect(locateSource({ id: ID, pid: PID }, cgroupRoot, procRoot)).toEqual({
      kind: 'cgroup-v1',
      dirs: { memory: join(cgroupRoot, 'memory', path), cpu: join(cgroupRoot, 'cpu', path), cpuacct: join(cgroupRoot, 'cpuacct', path), pids: join(cgroupRoot, 'pids', path) },
      pid: PID,
    });
  });

  it('an init pid that already exited: proc (which then finds nothing)', () => {
    const { cgroupRoot, procRoot } = fakeHost('', { pureV2: true, dirs: [] });
    expect(locateSource({ id: ID, pid: PID + 1 }, cgroupRoot, procRoot)).toMatchObject({ kind: 'proc' });
  });
});

describe('limits_enforced', () => {
  const none = { memoryBytes: null, cpus: null };
  const asked = { memoryBytes: 268435456, cpus: 0.5 };

  it('is null when no limit was asked or nothing was sampled', () => {
    expect(decideLimitsEnforced('cgroup-v2', none, { memoryMax: 'max', cpuMax: 'max 100000' })).toBeNull();
    expect(decideLimitsEnforced(null, asked, { memoryMax: null, cpuMax: null })).toBeNull();
  });

  it('is 1 when the kernel has what was asked (page rounding allowed)', () => {
    expect(decideLimitsEnforced('cgroup-v2', asked, { memoryMax: '268435456', cpuMax: '50000 100000' })).toBe(true);
    expect(decideLimitsEnforced('cgroup-v2', { memoryBytes: 268435456 + 100, cpus: null }, { memoryMax: '268435456', cpuMax: 'max 100000' })).toBe(true);
    expect(decideLimitsEnforced('cgroup-v1', asked, { memoryMax: '268435456', cpuMax: '50000 100000' })).toBe(true);
  });

  it('is 0 when a limit reads back unlimited or different, and always on the proc fallback', () => {
    expect(decideLimitsEnforced('cgroup-v2', asked, { memoryMax: 'max', cpuMax: '50000 100000' })).toBe(false);
    expect(decideLimitsEnforced('cgroup-v2', asked, { memoryMax: '268435456', cpuMax: 'max 100000' })).toBe(false);
    expect(decideLimitsEnforced('cgroup-v1', asked, { memoryMax: '9223372036854771712', cpuMax: '-1 100000' })).toBe(false);
    expect(decideLimitsEnforced('proc', asked, { memoryMax: null, cpuMax: null })).toBe(false);
  });
});
