export { type EksTokenOptions, type EksTokenResult, verifyEksToken } from './aws/eks-token.ts';
export { type MakeEksTokenOptions, makeEksToken } from './aws/eks-token-sign.ts';
export type { ControlParts, ImageBehaviour, ScanStatus, SeededFinding, SeededFindings, ServiceUrl, Severity } from './control.ts';
export { SandboxControl, SandboxControlError } from './control-client.ts';
export { readSandboxEnv, readSandboxEnvSync, SANDBOX_ENV_KEYS, type SandboxEnv, type SandboxEnvKey } from './env.ts';
export { type Sandbox, type SandboxStatus, type StartOptions, sandboxStatus, startSandbox, stopSandbox } from './lifecycle.ts';
export { parseImageReference, RegistryClient } from './registry.ts';
export type { RecordedMail } from './smtp.ts';
export type { FailureRule, WebhookRequest } from './webhooks.ts';
