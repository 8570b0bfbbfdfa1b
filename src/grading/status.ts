// What a parser makes of a test log: test id → status word. The harness's TestStatus has exactly these five
// (no XPASS). A map value is the raw first (or last) word of the line, so it can be something else too
// (`ERROR:` from "ERROR: file or directory not found: x"): the decision then counts it neither passed nor failed.

export const TEST_STATUSES = ['FAILED', 'PASSED', 'SKIPPED', 'ERROR', 'XFAIL'] as const;
export type TestStatus = (typeof TEST_STATUSES)[number];

/** Insertion-ordered like a Python dict: a later line for the same id overwrites the status, not the position. */
export type StatusMap = Map<string, string>;

export type LogParser = (log: string) => StatusMap;

/** A parser of the harness would raise on this log (e.g. IndexError): the harness grades nothing then. */
export class ParserCrash extends Error {}
