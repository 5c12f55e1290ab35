/** A typed client for the control endpoint (SANDBOX_CONTROL_URL). */
import type { ImageBehaviour, SeededFindings, ServiceUrl } from './control.ts';
import type { RecordedMail } from './smtp.ts';
import type { FailureRule, WebhookRequest } from './webhooks.ts';

export class SandboxControlError extends Error {
  override name = 'SandboxControlError';
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

export class SandboxControl {
  readonly url: string;
  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) {
      const error = (parsed as { error?: string } | undefined)?.error ?? text;
      throw new SandboxControlError(`sandbox control ${method} ${path}: ${res.status} ${error}`, res.status);
    }
    return parsed as T;
  }

  /** GET /health: whether the daemon answers, and what runs. */
  health(): Promise<{ ok: boolean } & Record<string, unknown>> {
    return this.#call('GET', '/health');
  }

  /** POST /images: pushes a tiny real scratch image to the sandbox registry. */
  pushImage(repository: string, tag = 'latest'): Promise<{ image: string; digest: string }> {
    return this.#call('POST', '/images', { repository, tag });
  }

  /** PUT /behaviours: how pods running an image (exact reference, or repository matching every tag) behave. */
  setBehaviour(behaviour: ImageBehaviour): Promise<ImageBehaviour> {
    return this.#call('PUT', '/behaviours', behaviour);
  }

  /** GET /behaviours */
  behaviours(): Promise<ImageBehaviour[]> {
    return this.#call('GET', '/behaviours');
  }

  /** DELETE /behaviours */
  async resetBehaviours(): Promise<void> {
    await this.#call('DELETE', '/behaviours');
  }

  /** PUT /ecr/findings: what DescribeImageScanFindings answers for an image. */
  seedFindings(findings: SeededFindings): Promise<SeededFindings> {
    return this.#call('PUT', '/ecr/findings', findings);
  }

  /** GET /webhooks: every request the webhook sink got, oldest first (optionally under a path prefix). */
  webhooks(path?: string): Promise<WebhookRequest[]> {
    return this.#call('GET', `/webhooks${path ? `?path=${encodeURIComponent(path)}` : ''}`);
  }

  /** DELETE /webhooks: forget recorded requests and pending failures. */
  async clearWebhooks(): Promise<void> {
    await this.#call('DELETE', '/webhooks');
  }

  /** POST /webhooks/fail: the next `count` requests (under `path`) answer `status` (with Retry-After when given). */
  failWebhooks(rule: { status: number; count?: number; retryAfter?: number; path?: string }): Promise<FailureRule> {
    return this.#call('POST', '/webhooks/fail', rule);
  }

  /** GET /mails: every mail the SMTP sink accepted. */
  mails(): Promise<RecordedMail[]> {
    return this.#call('GET', '/mails');
  }

  /** DELETE /mails */
  async clearMails(): Promise<void> {
    await this.#call('DELETE', '/mails');
  }

  /** GET /services: the loopback URL of each Kubernetes Service. */
  services(): Promise<ServiceUrl[]> {
    return this.#call('GET', '/services');
  }

  /** GET /requests: real requests each pod answered through each Service. */
  requests(): Promise<{ namespace: string; pod: string; service: string; requests: number }[]> {
    return this.#call('GET', '/requests');
  }

  /** GET /metrics: the pods' application metrics (Prometheus text format). */
  async metrics(): Promise<string> {
    const res = await fetch(`${this.url}/metrics`);
    if (!res.ok) throw new SandboxControlError(`sandbox control GET /metrics: ${res.status}`, res.status);
    return res.text();
  }

  /** GET /eks/clusters */
  clusters(): Promise<{ name: string; endpoint: string }[]> {
    return this.#call('GET', '/eks/clusters');
  }

  /** POST /reset: forget behaviours, findings, recorded requests and mails. */
  async reset(): Promise<void> {
    await this.#call('POST', '/reset');
  }
}
