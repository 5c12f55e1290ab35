/**
 * The AWS endpoint: one HTTP server on 127.0.0.1 for ECR (JSON 1.1), EKS (REST JSON) and STS
 * (query protocol, XML). Every request must carry a SigV4 signature made with the sandbox
 * credentials; errors come in each service's real shape so the AWS SDK v3 raises the right
 * exception names.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { SeededFindings } from '../control.ts';
import { closeServer, listen, readBody } from '../http.ts';
import type { RegistryClient } from '../registry.ts';
import { ECR_TARGET_PREFIX, Ecr } from './ecr.ts';
import { userIdFor } from './eks-token.ts';
import { AwsError } from './errors.ts';
import { type SigV4Failure, verifySigV4 } from './sigv4.ts';

export interface ClusterInfo {
  name: string;
  endpoint: string;
  /** base64 of the CA PEM */
  caData: string;
  version: string;
}

export interface AwsEndpointOptions {
  host?: string;
  port?: number;
  region: string;
  accountId: string;
  /** IAM user name the sandbox credentials belong to. */
  userName: string;
  accessKeyId: string;
  secretAccessKey: string;
  registry: RegistryClient;
  registryUser: string;
  registryPassword: string;
  /** The EKS clusters DescribeCluster and ListClusters know, each with its own API server. */
  clusters: () => ClusterInfo[];
  /** Keeps ECR repositories across restarts. */
  ecrStateFile?: string;
  log?: (line: string) => void;
}

export interface AwsEndpoint {
  url: string;
  findings: { seed(f: SeededFindings): void; reset(): void };
  close(): Promise<void>;
}

type Service = 'ecr' | 'eks' | 'sts';

const AUTH_ERRORS: Record<Service, Record<SigV4Failure, [string, number]>> = {
  ecr: {
    missing: ['MissingAuthenticationTokenException', 403],
    malformed: ['IncompleteSignatureException', 403],
    'unknown-key': ['UnrecognizedClientException', 400],
    mismatch: ['InvalidSignatureException', 403],
    expired: ['InvalidSignatureException', 403],
  },
  eks: {
    missing: ['MissingAuthenticationTokenException', 403],
    malformed: ['IncompleteSignatureException', 403],
    'unknown-key': ['UnrecognizedClientException', 403],
    mismatch: ['InvalidSignatureException', 403],
    expired: ['InvalidSignatureException', 403],
  },
  sts: {
    missing: ['MissingAuthenticationToken', 403],
    malformed: ['IncompleteSignature', 403],
    'unknown-key': ['InvalidClientTokenId', 403],
    mismatch: ['SignatureDoesNotMatch', 403],
    expired: ['SignatureDoesNotMatch', 403],
  },
};

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendError(res: ServerResponse, service: Service, err: AwsError, requestId: string): void {
  if (service === 'sts') {
    const type = err.status >= 500 ? 'Receiver' : 'Sender';
    send(
      res,
      err.status,
      'text/xml',
      `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${err.code}</Code>\n    <Message>${xmlEscape(err.message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
      { 'x-amzn-requestid': requestId },
    );
  } else if (service === 'ecr') {
    send(res, err.status, 'application/x-amz-json-1.1', JSON.stringify({ __type: err.code, message: err.message, ...err.extra }), {
      'x-amzn-requestid': requestId,
    });
  } else {
    send(res, err.status, 'application/json', JSON.stringify({ message: err.message, ...err.extra }), {
      'x-amzn-errortype': `${err.code}:`,
      'x-amzn-requestid': requestId,
    });
  }
}

/** Which service a request is for, from its shape (used before and besides the signature). */
function serviceOf(req: IncomingMessage, path: string): Service {
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target.startsWith(ECR_TARGET_PREFIX)) return 'ecr';
  if (path.startsWith('/clusters')) return 'eks';
  return 'sts';
}

export async function startAwsEndpoint(options: AwsEndpointOptions): Promise<AwsEndpoint> {
  const log = options.log ?? (() => {});
  const credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
  const ecr = new Ecr({
    region: options.region,
    accountId: options.accountId,
    registry: options.registry,
    registryUser: options.registryUser,
    registryPassword: options.registryPassword,
    ...(options.ecrStateFile ? { stateFile: options.ecrStateFile } : {}),
  });
  const arn = `arn:aws:iam::${options.accountId}:user/${options.userName}`;

  async function eks(method: string, path: string): Promise<unknown> {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const clusters = options.clusters();
    if (method === 'GET' && parts.length === 1 && parts[0] === 'clusters') return { clusters: clusters.map((c) => c.name) };
    if (method === 'GET' && parts.length === 2 && parts[0] === 'clusters') {
      const name = parts[1]!;
      const c = clusters.find((k) => k.name === name);
      if (!c) throw new AwsError('ResourceNotFoundException', 404, `No cluster found for name: ${name}.`, { clusterName: name });
      return {
        cluster: {
          name: c.name,
          arn: `arn:aws:eks:${options.region}:${options.accountId}:cluster/${c.name}`,
          createdAt: Math.floor(Date.now() / 1000) - 86400,
          version: c.version,
          endpoint: c.endpoint,
          roleArn: `arn:aws:iam::${options.accountId}:role/eks-cluster-role`,
          resourcesVpcConfig: {
            subnetIds: [],
            securityGroupIds: [],
            vpcId: 'vpc-sandbox',
            endpointPublicAccess: true,
            endpointPrivateAccess: false,
            publicAccessCidrs: ['127.0.0.1/32'],
          },
          kubernetesNetworkConfig: { serviceIpv4Cidr: '10.100.0.0/16', ipFamily: 'ipv4' },
          identity: { oidc: { issuer: `${c.endpoint}/oidc` } },
          status: 'ACTIVE',
          certificateAuthority: { data: c.caData },
          platformVersion: 'eks.1',
          tags: {},
          accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
        },
      };
    }
    throw new AwsError('UnknownOperationException', 404, `No EKS operation at ${method} ${path} in the sandbox`);
  }

  function sts(params: URLSearchParams, requestId: string): string {
    const action = params.get('Action');
    if (action !== 'GetCallerIdentity')
      throw new AwsError(
        'InvalidAction',
        400,
        `Could not find operation ${action ?? '(none)'} for version ${params.get('Version') ?? '(none)'}`,
      );
    if (params.get('Version') !== '2011-06-15')
      throw new AwsError('InvalidAction', 400, `Could not find operation ${action} for version ${params.get('Version') ?? '(none)'}`);
    return `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <GetCallerIdentityResult>\n    <Arn>${arn}</Arn>\n    <UserId>${userIdFor(options.accessKeyId)}</UserId>\n    <Account>${options.accountId}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n`;
  }

  const server = createServer(async (req, res) => {
    const requestId = randomUUID();
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const rawPath = q < 0 ? raw : raw.slice(0, q);
    const rawQuery = q < 0 ? '' : raw.slice(q + 1);
    const method = req.method ?? 'GET';
    const service = serviceOf(req, rawPath);
    try {
      const body = await readBody(req);
      const auth = verifySigV4({ method, rawPath, rawQuery, headers: req.headers, body }, credentials);
      if (!auth.ok) {
        const [code, status] = AUTH_ERRORS[service][auth.failure];
        log(`aws: ${method} ${rawPath} ${service}: ${code} (${auth.message})`);
        throw new AwsError(code, status, auth.message);
      }
      if (auth.service !== service) {
        const [code, status] = AUTH_ERRORS[service].mismatch;
        throw new AwsError(code, status, `Credential should be scoped to correct service: '${service}'.`);
      }
      if (service === 'ecr') {
        const operation = String(req.headers['x-amz-target']).slice(ECR_TARGET_PREFIX.length);
        let input: Record<string, unknown> = {};
        if (body.length) {
          try {
            input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
          } catch {
            throw new AwsError('SerializationException', 400, 'The request body is not valid JSON');
          }
        }
        const out = await ecr.handle(operation, input);
        log(`aws: ecr ${operation} 200`);
        send(res, 200, 'application/x-amz-json-1.1', JSON.stringify(out), { 'x-amzn-requestid': requestId });
      } else if (service === 'eks') {
        const out = await eks(method, rawPath);
        log(`aws: eks ${method} ${rawPath} 200`);
        send(res, 200, 'application/json', JSON.stringify(out), { 'x-amzn-requestid': requestId });
      } else {
        const params = new URLSearchParams(rawQuery);
        if (method === 'POST') for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.set(k, v);
        const xml = sts(params, requestId);
        log('aws: sts GetCallerIdentity 200');
        send(res, 200, 'text/xml', xml, { 'x-amzn-requestid': requestId });
      }
    } catch (err) {
      const e =
        err instanceof AwsError
          ? err
          : new AwsError(service === 'sts' ? 'InternalFailure' : 'ServerException', 500, err instanceof Error ? err.message : String(err));
      if (!(err instanceof AwsError)) log(`aws: ${method} ${rawPath}: ${e.message}`);
      if (!res.headersSent) sendError(res, service, e, requestId);
    }
  });
  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, host, options.port ?? 0);
  return {
    url: `http://${host}:${port}`,
    findings: { seed: (f) => ecr.seed(f), reset: () => ecr.resetFindings() },
    close: () => closeServer(server),
  };
}
