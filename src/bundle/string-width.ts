// Stands in for the `string-width` package inside the bundled CLI (scripts/bundle-cli.mjs). The package builds
// an Intl.Segmenter and Unicode-property regexes when it is loaded — about 30–50 ms of every start, help
// printed or not. Here printable ASCII (all of agentpod's help but a few symbols) is measured by its length,
// and the segmenter is made on the first string that needs it; the rules are string-width 7's.
import { eastAsianWidth } from 'get-east-asian-width';
import stripAnsi from 'strip-ansi';

let segmenter: Intl.Segmenter | undefined;
let ignorable: RegExp | undefined;
let emoji: RegExp | undefined;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

const zeroWidth = (c: number) =>
  c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0x200b && c <= 0x200f) || c === 0xfeff ||
  (c >= 0x300 && c <= 0x36f) || (c >= 0x1ab0 && c <= 0x1aff) || (c >= 0x1dc0 && c <= 0x1dff) ||
  (c >= 0x20d0 && c <= 0x20ff) || (c >= 0xfe20 && c <= 0xfe2f) || (c >= 0xd800 && c <= 0xdfff) || (c >= 0xfe00 && c <= 0xfe0f);

export default function stringWidth(text: string, options: { ambiguousIsNarrow?: boolean; countAnsiEscapeCodes?: boolean } = {}): number {
  if (typeof text !== 'string' || text.length === 0) return 0;
  const string = options.countAnsiEscapeCodes ? text : stripAnsi(text);
  if (PRINTABLE_ASCII.test(string)) return string.length;
  segmenter ??= new Intl.Segmenter();
  ignorable ??= /^\p{Default_Ignorable_Code_Point}$/u;
  emoji ??= new RegExp('^\\p{RGI_Emoji}$', 'v');
  const ambiguousAsWide = options.ambiguousIsNarrow === false;
  let width = 0;
  for (const { segment } of segmenter.segment(string)) {
    const codePoint = segment.codePointAt(0)!;
    if (zeroWidth(codePoint) || ignorable.test(segment)) continue;
    width += emoji.test(segment) ? 2 : eastAsianWidth(codePoint, { ambiguousAsWide });
  }
  return width;
}
