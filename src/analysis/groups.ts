// Tool calls grouped per tool name, and Bash calls once more per command family.
import { bashFamily, type BashFamily } from './families.js';

export interface ToolCallKey {
  tool: string;
  /** Bash calls only: the command's family. */
  family: BashFamily | null;
}

export function toolCallKey(toolName: string | null, command: string | null): ToolCallKey {
  const tool = toolName ?? '(unknown)';
  return { tool, family: tool === 'Bash' ? bashFamily(command) : null };
}

export interface ToolGroup<T> extends ToolCallKey {
  items: T[];
}

const byCountThenName = <T>(a: ToolGroup<T>, b: ToolGroup<T>) =>
  b.items.length - a.items.length || a.tool.localeCompare(b.tool) || (a.family ?? '').localeCompare(b.family ?? '');

/**
 * One group per tool (family null) with all its calls, most calls first; right after the Bash group, one
 * group per Bash family, most calls first.
 */
export function groupByToolAndFamily<T extends ToolCallKey>(items: T[]): ToolGroup<T>[] {
  const tools = new Map<string, ToolGroup<T>>();
  const families = new Map<string, ToolGroup<T>>();
  for (const item of items) {
    let group = tools.get(item.tool);
    if (!group) tools.set(item.tool, (group = { tool: item.tool, family: null, items: [] }));
    group.items.push(item);
    if (item.family === null) continue;
    let familyGroup = families.get(item.family);
    if (!familyGroup) families.set(item.family, (familyGroup = { tool: item.tool, family: item.family, items: [] }));
    familyGroup.items.push(item);
  }
  const familyGroups = [...families.values()].sort(byCountThenName);
  return [...tools.values()].sort(byCountThenName).flatMap((g) => (g.tool === 'Bash' ? [g, ...familyGroups] : [g]));
}

/** Partial figures of one group, stored per session or run (analysis/stored.ts): `calls` counts its calls. */
export interface StoredGroupPart {
  tool: string;
  /** '' for tools without families. */
  family: string;
  calls: number;
}

export interface MergedGroup<T> extends ToolCallKey {
  calls: number;
  parts: T[];
}

/**
 * Stored parts merged into the groups groupByToolAndFamily makes from the calls themselves, in its order: one
 * group per tool with all its parts, most calls first; right after the Bash group, one per Bash family.
 */
export function mergeStoredGroups<T extends StoredGroupPart>(parts: T[]): MergedGroup<T>[] {
  const tools = new Map<string, MergedGroup<T>>();
  const families = new Map<string, MergedGroup<T>>();
  for (const part of parts) {
    let group = tools.get(part.tool);
    if (!group) tools.set(part.tool, (group = { tool: part.tool, family: null, calls: 0, parts: [] }));
    group.calls += part.calls;
    group.parts.push(part);
    if (part.family === '') continue;
    const key = `${part.tool}\0${part.family}`;
    let familyGroup = families.get(key);
    if (!familyGroup) families.set(key, (familyGroup = { tool: part.tool, family: part.family as BashFamily, calls: 0, parts: [] }));
    familyGroup.calls += part.calls;
    familyGroup.parts.push(part);
  }
  const order = (a: MergedGroup<T>, b: MergedGroup<T>) => b.calls - a.calls || a.tool.localeCompare(b.tool) || (a.family ?? '').localeCompare(b.family ?? '');
  const familyGroups = [...families.values()].sort(order);
  return [...tools.values()].sort(order).flatMap((g) => (g.tool === 'Bash' ? [g, ...familyGroups] : [g]));
}

/** A stored list of values (analysis/stored.ts packValues; NULL or '' for none), ascending. */
export function parseValues(list: string | null): Float64Array {
  return list ? Float64Array.from(JSON.parse(`[${list}]`) as number[]).sort() : new Float64Array(0);
}

/** Sorted arrays together, ascending. */
export function mergedValues(arrays: Float64Array[]): Float64Array {
  if (arrays.length === 1) return arrays[0];
  const out = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out.sort();
}
