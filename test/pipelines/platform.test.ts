/**
 * examples/platform (the four services of spec 1.3/5.2 in one repository), copied out into a
 * repository of its own: a push to main builds the four images as a matrix (their references
 * and digests collected into one JSON object) and deploys them together to staging.
 */
import { SandboxControl } from '@tripo04os/sandbox';
import {
  git,
  kubectl,
  type PipelineSandbox,
  pipelineSandbox,
  registryTags,
  runPipeline,
  STAGING,
  secretsFile,
  serviceRepo,
} from './helpers.ts';

const SERVICES = ['ai-support', 'premium-driver-matching', 'profit-optimization-engine', 'dashboard-api'];

let sb: PipelineSandbox;
let repo: string;
beforeAll(async () => {
  sb = await pipelineSandbox();
  repo = await serviceRepo(sb, 'platform');
}, 120_000);
afterAll(async () => {
  await sb?.stop();
}, 60_000);

test('a push to main: four images built as a matrix, collected into one JSON object, deployed together to staging', async () => {
  const sha = await git(repo, 'rev-parse', 'HEAD');
  const secrets = await secretsFile(sb, '/services/T0/B0/platform-main');
  const run = await runPipeline(sb, repo, { event: 'push', ref: 'refs/heads/main', secrets, name: 'main' });
  if (run.conclusion !== 'success') throw new Error(await run.failures());

  // One build leg per service, then the aggregating job.
  const legs = run.jobs.filter((j) => j.path.startsWith('pipeline / build / image'));
  expect(legs.map((j) => j.result)).toEqual(['success', 'success', 'success', 'success']);
  const images = JSON.parse(run.job('build / collect').outputs.images ?? '{}') as Record<string, string>;
  const digests = JSON.parse(run.job('build / collect').outputs.digests ?? '{}') as Record<string, string>;
  expect(Object.keys(images).sort()).toEqual([...SERVICES].sort());
  for (const name of SERVICES) {
    expect(images[name]).toBe(`${sb.env.SANDBOX_REGISTRY}/tripo04os-${name}@${digests[name]}`);
    expect(await registryTags(sb, `tripo04os-${name}`)).toEqual(expect.arrayContaining([`sha-${sha.slice(0, 7)}`, 'main']));
    // Each service runs the image built for it, in the staging cluster.
    expect(
      await kubectl(
        sb,
        STAGING,
        'get',
        'deployment',
        name,
        '-n',
        'tripo04os-staging',
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      ),
    ).toBe(images[name]);
    expect(await run.log('deploy-staging')).toContain(
      `${name}: ${sb.env.SANDBOX_INGRESS_URL}/${STAGING}/tripo04os-staging/${name}/health answered 200`,
    );
  }
  // dashboard-api's integration test ran against PostgreSQL and Redis.
  expect(await run.log('integration')).toMatch(/test_dashboard_api_integration\.py::test_trips_per_city_reads_postgres_then_redis PASSED/);
  const slack = await new SandboxControl(sb.env.SANDBOX_CONTROL_URL).webhooks('/services/T0/B0/platform-main');
  expect(slack).toHaveLength(1);
  for (const name of SERVICES) expect(JSON.stringify(slack[0]?.json)).toContain(name);
}, 900_000);
