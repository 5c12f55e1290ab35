/**
 * node packages/report/src/cli.ts OUT: (re)writes OUT/report.html from the run folder OUT and
 * prints its path. Exit code 2 for a wrong call, 1 when the folder cannot be read.
 */
import { errorMessage } from '@tripo04os/common';
import { writeReport } from './index.ts';

const args = process.argv.slice(2);
if (args.length !== 1 || args[0] === '--help' || args[0] === '-h') {
  process.stderr.write('usage: node packages/report/src/cli.ts OUT   (OUT: a run folder with run.json)\n');
  process.exit(args[0] === '--help' || args[0] === '-h' ? 0 : 2);
}
try {
  console.log(await writeReport(args[0] as string));
} catch (err) {
  process.stderr.write(`report: ${errorMessage(err)}\n`);
  process.exit(1);
}
