// Python's string semantics where the harness's parsers depend on them: str.split() and str.strip() without
// arguments, the whitespace and digit classes of Python's `re`, and the universal newlines of open(). JavaScript's
// \s, trim() and \d differ on a few characters (\x1c-\x1f, \x85, \ufeff, non-ASCII digits); a parser built on them
// would key a few ids differently from the harness.

/** The characters Python's str.isspace() (and so str.split(), str.strip() and re's \s) treats as whitespace. */
const WS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** Python re's \s, as a character class to put into a RegExp source. */
export const PY_SPACE = `[${WS}]`;

/** Python re's \d (any Unicode decimal digit); the RegExp needs the u flag. */
export const PY_DIGIT = '\\p{Nd}';

const WORDS = new RegExp(`[^${WS}]+`, 'g');
const LEADING = new RegExp(`^[${WS}]+`);
const TRAILING = new RegExp(`[${WS}]+$`);

/** Python's s.strip(). */
export function pyStrip(s: string): string {
  return s.replace(LEADING, '').replace(TRAILING, '');
}

/** Python's s.split(): runs of whitespace separate, no empty fields. */
export function pySplit(s: string): string[] {
  return s.match(WORDS) ?? [];
}

/** Python's s.rsplit(sep, 1)[0]: everything before the last `sep`, or all of s. */
export function beforeLast(s: string, sep: string): string {
  const at = s.lastIndexOf(sep);
  return at < 0 ? s : s.slice(0, at);
}

/** What Python's open() in text mode hands the harness: "\r\n" and lone "\r" read as "\n". */
export function universalNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

const ND = /\p{Nd}/u;

/**
 * The value of a run of Unicode decimal digits, as Python's int() reads it. Unicode keeps each script's digits
 * in one run of ten code points from 0 to 9, so a digit's value is its distance from the start of its run, mod 10.
 */
export function pyInt(digits: string): number {
  let value = 0;
  for (const ch of digits) {
    let cp = ch.codePointAt(0)!;
    let below = 0;
    while (ND.test(String.fromCodePoint(cp - 1))) {
      cp -= 1;
      below += 1;
    }
    value = value * 10 + (below % 10);
  }
  return value;
}
