// The published files' value formats, parsed: podman's decimal sizes, percentages, naive local times, image
// names. Pure; see docs/characterization.md ("Importing") for the formats.

/** Where imported samples say they come from (samples.source). */
export const PODMAN_STATS_SOURCE = 'podman-stats';

/** podman's units are decimal (go-units HumanSize): kB, MB, GB = 1e3, 1e6, 1e9 bytes. */
const DECIMAL_UNITS: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, PB: 1e15 };

/** Bytes from a podman size such as "185.7MB", "186MB", "1.461GB", "0B"; null when it is not one. */
export function parsePodmanSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$/.exec(text);
  if (!m) return null;
  const unit = DECIMAL_UNITS[m[2]];
  return unit === undefined ? null : Math.round(Number(m[1]) * unit);
}

/** `"<used> / <limit>"` (the limit is the host's RAM when none was set); null when malformed. */
export function parseMemUsage(text: unknown): { usedBytes: number; limitBytes: number | null } | null {
  if (typeof text !== 'string') return null;
  const [used, limit] = text.split('/');
  const usedBytes = parsePodmanSize(used ?? '');
  if (usedBytes === null) return null;
  return { usedBytes, limitBytes: limit === undefined ? null : parsePodmanSize(limit) };
}

/** 18.5 from "18.5%"; null when malformed. */
export function parsePercent(text: unknown): number | null {
  if (typeof text === 'number') return Number.isFinite(text) ? text : null;
  if (typeof text !== 'string') return null;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  return m ? Number(m[1]) : null;
}

const NAIVE = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?$/;

/** A naive local time ("2026-02-06T18:14:31.465697") read as if it were UTC, in epoch ms; null when malformed. */
export function naiveAsUtcMs(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = NAIVE.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) + ms;
}

/**
 * The clock's offset from UTC in minutes (local = UTC + offset), from a sample's naive `timestamp` and its UTC
 * `epoch` (seconds), rounded to a quarter hour; null when either is missing.
 */
export function utcOffsetMinutes(naiveTimestamp: unknown, epochSeconds: unknown): number | null {
  const naive = naiveAsUtcMs(naiveTimestamp);
  if (naive === null || typeof epochSeconds !== 'number') return null;
  return Math.round((naive - epochSeconds * 1000) / 900_000) * 15;
}

/** A naive local time in UTC epoch ms, given the clock's offset. */
export function localToUtcMs(text: unknown, offsetMinutes: number): number | null {
  const naive = naiveAsUtcMs(text);
  return naive === null ? null : naive - offsetMinutes * 60_000;
}

/** An ISO time with a zone ("2026-02-07T02:22:12.916Z"), epoch ms; null when missing or malformed. */
export function isoMs(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/** A task folder named like a SWE-bench instance (`owner__repo-123`), not a label like `CLI_Tools_Easy`. */
export const isInstanceId = (name: string) => /^[^_\s][^\s]*__[^\s]+-\d+$/.test(name);

/**
 * The instance of a SWE-bench/SWE-rebench image: `…/sweb.eval.x86_64.<owner>_1776_<repo>-<n>[:tag]` →
 * `<owner>__<repo>-<n>` (the image name is lower case, so the owner is too); null for other names.
 */
export function instanceFromImage(image: unknown): string | null {
  if (typeof image !== 'string') return null;
  const m = /(?:^|\/)sweb\.eval\.[^./]+\.(.+?)_1776_(.+?)(?::[^:/]*)?$/.exec(image);
  return m ? `${m[1]}__${m[2]}` : null;
}
