// Prints one plain closing line, `jest: N passed, N failed, N skipped`, after jest's own summary,
// so that CI tools that read closing lines (not jest's layout) see what ran.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`);
  }
}
