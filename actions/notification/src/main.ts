import { runContext, UserError } from '@tripo04os/common';
import { checkInputs } from '@tripo04os/kit/early';
import { spec } from './inputs.ts';
import { type ActionInputs, buildTargets, type Plan } from './targets.ts';

async function main(inputs: ActionInputs, { targets, secrets }: Plan): Promise<void> {
  const { runnerLogger, setOutput } = await import('@tripo04os/kit');
  const { buildMessage, configuredChannels, notify } = await import('@tripo04os/notify');
  const { outputs, renderSummary } = await import('./summary.ts');
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

  const result = await runnerLogger.group(`Notify ${configuredChannels(targets).join(', ')}`, () =>
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

// Every input is checked before @actions/core and the channel code load: a bad one fails fast.
const checked = await checkInputs(spec, async (inputs, mask) => ({ inputs, plan: await buildTargets(inputs, mask) }));
if (checked) {
  const { run } = await import('@tripo04os/kit');
  await run(() => main(checked.inputs, checked.plan));
}
