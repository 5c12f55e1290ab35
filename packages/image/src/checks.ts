/**
 * What docker-build needs to check its inputs into a plan, without the code that runs builders or
 * talks to registries (`driver.ts`, `registry.ts`, `publish.ts`: `node:http` alone costs Node 24
 * about 50 ms to load): an action imports `@tripo04os/image/checks` first, so a bad input fails
 * before the rest loads (issue 15). The same functions are on the package index.
 */
export {
  type Available,
  type Builder,
  type BuilderChoice,
  type BuildSpec,
  checkCapabilities,
  isDockerHub,
  mayPullFrom,
} from './builders.ts';
export { contextFromEnv, type GitContext, isPullRequest, tagOf } from './context.ts';
export { checkLabelLines, checkTags, DEFAULT_TAG_RULES, type Flavor, parseFlavor, parseTagRules, type TagRule } from './meta.ts';
export { type ImageLine, isValidImageName, isValidRepositoryName, parseImages, registryOf } from './naming.ts';
export type { Threshold } from './scan.ts';
