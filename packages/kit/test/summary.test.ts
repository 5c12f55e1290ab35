import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markdownDetails, markdownTable, Summary } from '../src/summary.ts';

describe('markdownTable', () => {
  test('a header, a separator and one line per row', () => {
    expect(
      markdownTable(
        ['service', 'replicas', 'ready'],
        [
          ['ai-support', 3, true],
          ['dashboard-api', 0, false],
        ],
      ),
    ).toBe(
      ['| service | replicas | ready |', '| --- | --- | --- |', '| ai-support | 3 | true |', '| dashboard-api | 0 | false |', ''].join(
        '\n',
      ),
    );
  });
  test('pipes are escaped, new lines become <br>, empty cells show a dash', () => {
    expect(markdownTable(['a|b', 'c'], [['x|y', 'one\ntwo'], [null], [undefined, '']])).toBe(
      ['| a\\|b | c |', '| --- | --- |', '| x\\|y | one<br>two |', '| — | — |', '| — | — |', ''].join('\n'),
    );
  });
  test('no rows: just the header', () => {
    expect(markdownTable(['a'], [])).toBe('| a |\n| --- |\n');
  });
});

describe('markdownDetails', () => {
  test('a collapsible block whose body cannot close the code fence', () => {
    expect(markdownDetails('Pod events', 'line 1\n```\nline 2')).toBe(
      "<details><summary>Pod events</summary>\n\n```text\nline 1\n'''\nline 2\n```\n\n</details>\n",
    );
  });
});

describe('Summary', () => {
  test('collects heading, text, table and details in order', () => {
    const s = new Summary()
      .heading('Deploy')
      .text('Rolled out **ai-support**.')
      .table(['k', 'v'], [['image', 'x:1']])
      .details('log', 'ok');
    expect(s.toString()).toBe(
      [
        '### Deploy\n',
        'Rolled out **ai-support**.\n',
        '| k | v |\n| --- | --- |\n| image | x:1 |\n',
        '<details><summary>log</summary>\n\n```text\nok\n```\n\n</details>\n',
      ].join('\n'),
    );
    expect(new Summary().heading('H', 2).toString()).toBe('## H\n');
  });

  test('write appends to GITHUB_STEP_SUMMARY and does nothing without it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'summary-'));
    const file = join(dir, 'summary.md');
    const before = process.env.GITHUB_STEP_SUMMARY;
    try {
      delete process.env.GITHUB_STEP_SUMMARY;
      await new Summary().text('nowhere').write(); // must not throw
      const { writeFile } = await import('node:fs/promises');
      await writeFile(file, 'earlier step\n');
      process.env.GITHUB_STEP_SUMMARY = file;
      await new Summary().heading('One').write();
      await new Summary().table(['a'], [[1]]).write();
      expect(await readFile(file, 'utf8')).toBe('earlier step\n### One\n\n| a |\n| --- |\n| 1 |\n\n');
    } finally {
      if (before === undefined) delete process.env.GITHUB_STEP_SUMMARY;
      else process.env.GITHUB_STEP_SUMMARY = before;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
