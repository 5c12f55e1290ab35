// node packages/report/src/cli.ts OUT, as a person or a script calls it.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { greenRun, writeRunFolder } from '@tripo04os/report/fixtures';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'report-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('report CLI', () => {
  it('writes OUT/report.html and prints its path', async () => {
    await writeRunFolder(dir, greenRun());
    const r = cli(dir);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${join(dir, 'report.html')}\n`);
    expect(r.status).toBe(0);
    expect((await stat(join(dir, 'report.html'))).size).toBeGreaterThan(0);
  });

  it('says in one line what is wrong with a folder that is not a run', () => {
    const r = cli(join(dir, 'missing'));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `report: No run folder at '${join(dir, 'missing')}': ${join(dir, 'missing', 'run.json')} cannot be read (ENOENT)\n`,
    );
  });

  it('prints its usage when called wrongly', () => {
    const r = cli();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: node packages/report/src/cli.ts OUT');
  });
});
