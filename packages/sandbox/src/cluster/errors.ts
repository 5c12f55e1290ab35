/** API errors as the real API server writes them: a `Status` object with reason, code and details. */
import type { Status, StatusCause } from './types.ts';

export class ApiError extends Error {
  readonly status: Status;
  constructor(status: Status) {
    super(status.message ?? status.reason ?? 'error');
    this.status = status;
  }
  get code(): number {
    return this.status.code;
  }
}

export function statusOf(code: number, reason: string, message: string, details?: Status['details']): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) s.details = details;
  return s;
}

/** `deployments.apps` for a grouped resource, `pods` for the core group. */
export function qualified(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export function notFound(resource: string, group: string, name: string): ApiError {
  return new ApiError(
    statusOf(404, 'NotFound', `${qualified(resource, group)} "${name}" not found`, { name, group: group || undefined, kind: resource }),
  );
}

export function alreadyExists(resource: string, group: string, name: string): ApiError {
  return new ApiError(
    statusOf(409, 'AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, {
      name,
      group: group || undefined,
      kind: resource,
    }),
  );
}

export function conflict(resource: string, group: string, name: string, why?: string): ApiError {
  return new ApiError(
    statusOf(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": ${why ?? 'the object has been modified; please apply your changes to the latest version and try again'}`,
      { name, group: group || undefined, kind: resource },
    ),
  );
}

export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): ApiError {
  const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return new ApiError(
    statusOf(422, 'Invalid', `${qualified(kind, group)} "${name}" is invalid: ${summary}`, {
      name,
      group: group || undefined,
      kind,
      causes,
    }),
  );
}

export function badRequest(message: string): ApiError {
  return new ApiError(statusOf(400, 'BadRequest', message));
}

export function methodNotAllowed(): ApiError {
  return new ApiError(statusOf(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
}

export function unauthorized(): ApiError {
  return new ApiError(statusOf(401, 'Unauthorized', 'Unauthorized'));
}

export function gone(message: string): ApiError {
  return new ApiError(statusOf(410, 'Expired', message));
}

export function notAcceptable(message: string): ApiError {
  return new ApiError(statusOf(406, 'NotAcceptable', message));
}

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(
    statusOf(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${contentType})`,
    ),
  );
}

export function internal(message: string): ApiError {
  return new ApiError(statusOf(500, 'InternalError', `Internal error occurred: ${message}`));
}

/** Helpers to build field causes with the real wording. */
export const cause = {
  required: (field: string, detail = ''): StatusCause => ({
    reason: 'FieldValueRequired',
    message: `Required value${detail ? `: ${detail}` : ''}`,
    field,
  }),
  invalid: (field: string, value: unknown, detail: string): StatusCause => ({
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${goValue(value)}: ${detail}`,
    field,
  }),
  duplicate: (field: string, value: unknown): StatusCause => ({
    reason: 'FieldValueDuplicate',
    message: `Duplicate value: ${goValue(value)}`,
    field,
  }),
  notSupported: (field: string, value: unknown, supported: string[]): StatusCause => ({
    reason: 'FieldValueNotSupported',
    message: `Unsupported value: ${goValue(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
    field,
  }),
  forbidden: (field: string, detail: string): StatusCause => ({ reason: 'FieldValueForbidden', message: `Forbidden: ${detail}`, field }),
};

/** Renders a value the way Go's %#v does for the simple cases the API server prints. */
export function goValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.every(([, x]) => typeof x === 'string')) {
      return `map[string]string{${entries.map(([k, x]) => `${JSON.stringify(k)}:${JSON.stringify(x)}`).join(', ')}}`;
    }
  }
  return JSON.stringify(v);
}
