import * as core from './commands.ts';

export type Cell = string | number | boolean | null | undefined;

function escapeCell(value: Cell): string {
  if (value === null || value === undefined || value === '') return '—';
  return String(value).replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** A markdown table (GitHub-flavoured), readable in the job summary and in plain logs. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const lines = [
    `| ${headers.map(escapeCell).join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${headers.map((_, i) => escapeCell(r[i])).join(' | ')} |`),
  ];
  return `${lines.join('\n')}\n`;
}

/** A collapsible block, for long details such as diagnoses and logs. */
export function markdownDetails(label: string, body: string): string {
  return `<details><summary>${label}</summary>\n\n\`\`\`text\n${body.replace(/```/g, "'''")}\n\`\`\`\n\n</details>\n`;
}

/**
 * Builds the job summary in markdown, then writes it once. Each action adds a heading, a table
 * a person can read at a glance, and details where something failed.
 */
export class Summary {
  private parts: string[] = [];
  heading(text: string, level: 2 | 3 | 4 = 3): this {
    this.parts.push(`${'#'.repeat(level)} ${text}\n`);
    return this;
  }
  text(markdown: string): this {
    this.parts.push(`${markdown}\n`);
    return this;
  }
  table(headers: readonly string[], rows: readonly (readonly Cell[])[]): this {
    this.parts.push(markdownTable(headers, rows));
    return this;
  }
  details(label: string, body: string): this {
    this.parts.push(markdownDetails(label, body));
    return this;
  }
  toString(): string {
    return this.parts.join('\n');
  }
  /** Appends to the job summary file; does nothing outside a runner. */
  async write(): Promise<void> {
    if (!process.env.GITHUB_STEP_SUMMARY) return;
    await core.summary.addRaw(this.toString(), true).write();
  }
}
