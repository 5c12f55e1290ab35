/**
 * Where the image goes and the credentials for it: for ECR the registry token and the
 * repository (created, or its lifecycle policy brought to the input, when this run pushes);
 * for another registry the image input and its username/password. Also the tags already in the
 * repository, which decide whether a release takes `latest`.
 */
import {
  createEcrClient,
  describeRepository,
  type EcrLogin,
  type EcrSender,
  ensureRepository,
  getEcrLogin,
  listImageTags,
  type Repository,
} from '@tripo04os/aws';
import { errorMessage, type Logger } from '@tripo04os/common';
import { clientFor, type RegistryCredentials } from '@tripo04os/image';
import type { ActionInputs, Plan } from './plan.ts';

export interface Access {
  /** Image name without tag (`registry/repository`). */
  image: string;
  registry: string;
  credentials?: RegistryCredentials;
  ecr?: { client: EcrSender; repository: string };
}

type EcrLookups = { client: EcrSender; token: EcrLogin; known: Repository | null };

/**
 * The read-only ECR look-ups (GetAuthorizationToken and DescribeRepositories change nothing),
 * started early so they overlap the builder probe; undefined for another registry.
 */
export function startEcrLookups(plan: Plan, log: Logger): Promise<EcrLookups> | undefined {
  if (plan.target.kind !== 'ecr') return undefined;
  const { repository, region } = plan.target;
  const lookups = (async () => {
    const client = await createEcrClient(region);
    const [token, known] = await Promise.all([getEcrLogin(client, log), describeRepository(client, repository)]);
    return { client, token, known: known ?? null };
  })();
  lookups.catch(() => {});
  return lookups;
}

/** The registry access of the plan; for a push to ECR the repository is made ready. */
export async function openRegistry(
  plan: Plan,
  inputs: ActionInputs,
  lookups: Promise<EcrLookups> | undefined,
  log: Logger,
): Promise<Access> {
  if (plan.target.kind !== 'ecr' || !lookups)
    return {
      image: plan.target.kind === 'registry' ? plan.target.image : '',
      registry: plan.target.kind === 'registry' ? plan.target.registry : '',
      ...(plan.target.kind === 'registry' && plan.target.credentials ? { credentials: plan.target.credentials } : {}),
    };
  const { client, token, known } = await lookups;
  const repo = plan.push
    ? await ensureRepository(client, plan.target.repository, {
        known,
        create: inputs.createRepository,
        tagMutability: inputs.tagMutability,
        ...(plan.lifecyclePolicy !== undefined ? { lifecyclePolicy: plan.lifecyclePolicy } : {}),
        logger: log,
      })
    : { uri: `${token.registry}/${plan.target.repository}`, created: false };
  log.info(`ECR repository ${repo.uri}${repo.created ? ' (created)' : ''}`);
  return {
    image: repo.uri,
    registry: token.registry,
    credentials: { username: token.username, password: token.password },
    ecr: { client, repository: plan.target.repository },
  };
}

/** The tags already in the repository; undefined (with a warning) when they cannot be read. */
export async function existingTags(access: Access, log: Logger): Promise<string[] | undefined> {
  try {
    if (access.ecr) return await listImageTags(access.ecr.client, access.ecr.repository);
    const { client, repository } = clientFor(access.image, access.credentials ? { credentials: access.credentials } : {});
    return await client.listTags(repository);
  } catch (err) {
    log.warning(`Could not list the tags of ${access.image}, so latest is left where it is: ${errorMessage(err)}`);
    return undefined;
  }
}
