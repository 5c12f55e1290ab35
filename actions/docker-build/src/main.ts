/**
 * docker-build's entry. The inputs are read and checked into a plan (`plan.ts`: tags, labels,
 * context, repository, builder capabilities) before anything heavy loads and before any probe or
 * network call, so a bad input fails in milliseconds (issue 15). Then the builder probes start
 * (their processes run while the rest of the step loads) and `build.ts` does the work.
 */
import { hasCommand } from '@tripo04os/common';
import { checkInputs, isPostEarly, saveStateEarly } from '@tripo04os/kit/early';
import type { Checked } from './build.ts';
import { spec } from './inputs.ts';

if (isPostEarly()) {
  const [{ run }, { post }] = await Promise.all([import('@tripo04os/kit'), import('./build.ts')]);
  await run(post);
} else {
  // First, before anything can fail: the post step must know it is the post step.
  saveStateEarly('isPost', 'true');
  const now = new Date();
  const checked = await checkInputs(spec, async (inputs): Promise<Checked> => {
    const [{ contextFromEnv }, { makePlan }] = await Promise.all([import('@tripo04os/image/checks'), import('./plan.ts')]);
    const ctx = { ...contextFromEnv(), now };
    if (!inputs.build) return { inputs, ctx };
    return { inputs, ctx, plan: makePlan(inputs, { ctx, env: process.env, cwd: process.cwd() }) };
  });
  let found: ReturnType<NonNullable<Checked['probes']>['builder']> | undefined;
  if (checked?.plan) {
    const { plan, ctx } = checked;
    const [{ findBuilder }, { buildsFirst }] = await Promise.all([import('@tripo04os/image/driver'), import('./plan.ts')]);
    const builder = () => {
      found ??= findBuilder(plan.builder, process.env);
      found.catch(() => {}); // awaited by main
      return found;
    };
    // The probe's processes run while the rest loads; an explicit builder that builds first needs
    // none (a process spawn costs the main thread 15-20 ms, and the probe competes with the build).
    if (plan.builder === 'auto' || !buildsFirst(plan, ctx, plan.builder)) builder();
    checked.probes = { builder, trivy: plan.scan.kind === 'trivy' ? hasCommand('trivy') : Promise.resolve(false) };
  }
  if (checked) {
    const [{ run }, { main }] = await Promise.all([import('@tripo04os/kit'), import('./build.ts')]).catch(async (err) => {
      await found?.catch(() => {}); // leave no probe process behind
      throw err;
    });
    await run(() => main(checked));
  }
}
// Nothing may keep the step alive once the work is done (a stray socket must not hang the job).
process.exit(process.exitCode ?? 0);
