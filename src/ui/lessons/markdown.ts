/**
 * The lessons' minimal markdown (`**bold**`, `*italic*`, `` `code` ``, "- " list
 * items, blank-line paragraphs) as plain data the page renders with elements,
 * never as HTML: lesson text cannot inject markup, even from a future custom lesson.
 */
export type Inline = { kind: 'text' | 'strong' | 'em' | 'code'; text: string };
export type Block = { kind: 'p'; inline: Inline[] } | { kind: 'ul'; items: Inline[][] };

const INLINE = /(\*\*[^*]+\*\*|`[^`]+`|\*[^*\s][^*]*\*)/g;

export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) out.push({ kind: 'text', text: text.slice(last, m.index) });
    const token = m[0];
    if (token.startsWith('**')) out.push({ kind: 'strong', text: token.slice(2, -2) });
    else if (token.startsWith('`')) out.push({ kind: 'code', text: token.slice(1, -1) });
    else out.push({ kind: 'em', text: token.slice(1, -1) });
    last = m.index + token.length;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) });
  return out;
}

export function parseBlocks(body: string): Block[] {
  const blocks: Block[] = [];
  for (const para of body.split(/\n\s*\n/)) {
    const lines = para.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) continue;
    if (lines.every((l) => /^\s*- /.test(l))) {
      blocks.push({ kind: 'ul', items: lines.map((l) => parseInline(l.replace(/^\s*- /, ''))) });
    } else {
      blocks.push({ kind: 'p', inline: parseInline(lines.join(' ')) });
    }
  }
  return blocks;
}
