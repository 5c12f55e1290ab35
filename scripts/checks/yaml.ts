import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml';

/** A YAML file kept with its source, so findings can name lines. */
export interface YamlFile {
  path: string;
  text: string;
  doc: ReturnType<typeof parseDocument>;
  lineOf(node: Node | null | undefined): number | undefined;
  /** The text after a node on its line (where a trailing `# comment` sits). */
  restOfLine(node: Node): string;
}

export async function loadYaml(path: string): Promise<YamlFile> {
  const text = await readFile(path, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: false });
  return {
    path,
    text,
    doc,
    lineOf: (node) => (node?.range ? lineCounter.linePos(node.range[0]).line : undefined),
    restOfLine: (node) => {
      const end = node.range?.[1] ?? 0;
      const eol = text.indexOf('\n', end);
      // A plain scalar's range may stop before the comment, or the whole line may be in range.
      const lineStart = text.lastIndexOf('\n', end - 1) + 1;
      const line = text.slice(lineStart, eol === -1 ? undefined : eol);
      return line.slice(Math.max(0, end - lineStart));
    },
  };
}

export function mapEntries(node: unknown): [string, Node][] {
  if (!isMap(node)) return [];
  return (node as YAMLMap).items.flatMap((pair) =>
    isScalar(pair.key) ? [[String(pair.key.value), pair.value as Node] as [string, Node]] : [],
  );
}

export function getNode(node: unknown, key: string): Node | undefined {
  if (!isMap(node)) return undefined;
  return ((node as YAMLMap).get(key, true) as Node | undefined) ?? undefined;
}

export function scalarString(node: unknown): string | undefined {
  return isScalar(node) && node.value !== null && node.value !== undefined ? String(node.value) : undefined;
}

export function seqItems(node: unknown): Node[] {
  return isSeq(node) ? (node.items as Node[]) : [];
}
