// A small HTML/SVG builder that escapes by default: text and attribute values from traces can never become markup.

/** Markup that is already safe. */
export class Html {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export type Child = Html | string | number | null | undefined | false | readonly Child[];
export type Attrs = Record<string, string | number | boolean | null | undefined>;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Trusted markup (the page's own CSS); never for data. */
export function raw(html: string): Html {
  return new Html(html);
}

function render(child: Child): string {
  if (child === null || child === undefined || child === false) return '';
  if (child instanceof Html) return child.html;
  if (Array.isArray(child)) return child.map(render).join('');
  return escapeHtml(String(child));
}

const VOID = new Set(['meta', 'br', 'hr', 'wbr']);

/** `<tag attrs>children</tag>`; attributes with null, undefined or false are left out, true is written bare. */
export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): Html {
  const attrText = Object.entries(attrs)
    .filter(([, v]) => v !== null && v !== undefined && v !== false)
    .map(([k, v]) => (v === true ? ` ${k}` : ` ${k}="${escapeHtml(String(v))}"`))
    .join('');
  return new Html(VOID.has(tag) ? `<${tag}${attrText}>` : `<${tag}${attrText}>${render(children)}</${tag}>`);
}

export function fragment(...children: Child[]): Html {
  return new Html(render(children));
}
