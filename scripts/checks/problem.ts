/** One finding of a repository check, printed as `file:line: [rule] message`. */
export interface Problem {
  file: string;
  line?: number;
  rule: string;
  message: string;
}

export function formatProblem(p: Problem, root?: string): string {
  const file = root && p.file.startsWith(`${root}/`) ? p.file.slice(root.length + 1) : p.file;
  return `${file}${p.line ? `:${p.line}` : ''}: [${p.rule}] ${p.message}`;
}
