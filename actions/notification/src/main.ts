import { runContext, UserError } from '@tripo04os/common';
import { mask, readActionInputs, run, runnerLogger, setOutput } from '@tripo04os/kit';
import { spec } from './inputs.ts';
import { outputs, renderSummary } from './summary.ts';
import { buildTargets, requireChannel } from './targets.ts';

async function main(): Promise<void> {
  const inputs = readActionInputs(spec);
  requireChannel(inputs);
  const { targets, secrets } = await buildTargets(inputs, mask);
  const { buildMessage, configuredChannels, notify } = await import('@tripo04os/notify');
  const channels = configuredChannels(targets);
  const message = buildMessage(
    {
      status: inputs.status,
      ...(inputs.title ? { title: inputs.title } : {}),
      ...(inputs.text ? { text: inputs.text } : {}),
      fields: inputs.fields,
      ...(inputs.environment ? { environment: inputs.environment } : {}),
      automaticFields: inputs.automaticFields,
    },
    runContext(process.env),
  );

  const result = await runnerLogger.group(`Notify ${channels.join(', ')}`, () =>
    notify(message, targets, { retries: inputs.retries, deadlineMs: inputs.retryDeadline, logger: runnerLogger, secrets }),
  );
  for (const [name, value] of Object.entries(outputs(result))) setOutput(name, value);
  await renderSummary(message, result).write();

  // One channel failing never stops the others; by default it is a warning, not a failed step.
  const failures = result.channels.filter((c) => !c.ok).map((c) => `${c.channel}: ${c.error}`);
  if (failures.length === 0) return;
  if (inputs.failOnError) {
    throw new UserError(`Notification failed on ${failures.length} of ${result.channels.length} channels: ${failures.join('; ')}`);
  }
  for (const line of failures) runnerLogger.warning(`Notification not delivered: ${line}`);
}

await run(main);
