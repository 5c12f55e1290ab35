/** The runner's file commands: GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE (`k=v` and `k<<DELIM` heredocs), GITHUB_PATH. */
import { readFileSync } from 'node:fs';

export function readKeyValueFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  return parseKeyValue(text, file);
}

export function parseKeyValue(text: string, file = 'file'): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (!line) continue;
    const heredoc = line.indexOf('<<');
    const eq = line.indexOf('=');
    if (heredoc > 0 && (eq < 0 || heredoc < eq)) {
      const key = line.slice(0, heredoc);
      const delim = line.slice(heredoc + 2);
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length && lines[j] !== delim; j++) body.push(lines[j] as string);
      if (j >= lines.length) throw new Error(`Matching delimiter not found '${delim}' in ${file}`);
      out[key] = body.join('\n');
      i = j;
    } else if (eq > 0) {
      out[line.slice(0, eq)] = line.slice(eq + 1);
    } else {
      throw new Error(`Invalid format '${line}' in ${file}`);
    }
  }
  return out;
}

export function readPathFile(file: string): string[] {
  try {
    return readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}
