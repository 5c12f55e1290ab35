export const id = 590;
export const ids = [590];
export const modules = {

/***/ 3590:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  callerIdentity: () => (/* reexport */ callerIdentity),
  defaultCredentials: () => (/* reexport */ defaultCredentials),
  describeEksCluster: () => (/* reexport */ describeEksCluster),
  eksTokenProvider: () => (/* reexport */ eksTokenProvider)
});

// UNUSED EXPORTS: DEFAULT_LIFECYCLE_POLICY, EKS_TOKEN_LIFETIME_MS, EKS_TOKEN_PREFIX, createEcrClient, createEksToken, decodeAuthorizationToken, describeRepository, ensureRepository, findingsOf, getEcrLogin, listImageTags, stsHost, waitForScanFindings

// EXTERNAL MODULE: ./packages/common/src/index.ts + 5 modules
var src = __webpack_require__(5062);
;// CONCATENATED MODULE: ./packages/aws/src/ecr.ts

let sdkPromise;
const sdk = () => (sdkPromise ??= Promise.all(/* import() */[__webpack_require__.e(422), __webpack_require__.e(118), __webpack_require__.e(861), __webpack_require__.e(249)]).then(__webpack_require__.t.bind(__webpack_require__, 8249, 19)));
async function createEcrClient(region) {
    const { ECRClient } = await sdk();
    return new ECRClient({ region });
}
function awsErrorName(err) {
    return err?.name ?? '';
}
function wrap(call, err) {
    if (err instanceof UserError)
        return err;
    const name = awsErrorName(err);
    const hint = name === 'CredentialsProviderError'
        ? ' (no AWS credentials: set role-to-assume with aws-actions/configure-aws-credentials, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)'
        : '';
    return new UserError(`ECR ${call} failed: ${name && name !== 'Error' ? `${name}: ` : ''}${errorMessage(err)}${hint}`);
}
/** Decodes an authorization token (base64 of `user:password`). */
function decodeAuthorizationToken(token) {
    const text = Buffer.from(token, 'base64').toString('utf8');
    const i = text.indexOf(':');
    if (i <= 0)
        throw new UserError('ECR GetAuthorizationToken returned a token that is not base64 of user:password');
    return { username: text.slice(0, i), password: text.slice(i + 1) };
}
/** GetAuthorizationToken → registry, user and password; the password (and token) are masked first. */
async function getEcrLogin(client, logger) {
    const { GetAuthorizationTokenCommand } = await sdk();
    let out;
    try {
        out = (await client.send(new GetAuthorizationTokenCommand({})));
    }
    catch (err) {
        throw wrap('GetAuthorizationToken', err);
    }
    const data = out.authorizationData?.[0];
    if (!data?.authorizationToken || !data.proxyEndpoint)
        throw new UserError('ECR GetAuthorizationToken returned no authorization data');
    logger.mask(data.authorizationToken);
    const { username, password } = decodeAuthorizationToken(data.authorizationToken);
    logger.mask(password);
    const registry = data.proxyEndpoint.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
    return { registry, proxyEndpoint: data.proxyEndpoint, username, password, ...(data.expiresAt ? { expiresAt: data.expiresAt } : {}) };
}
/** Expire untagged images after 14 days; tagged images are kept. */
const DEFAULT_LIFECYCLE_POLICY = JSON.stringify({
    rules: [
        {
            rulePriority: 1,
            description: 'Expire untagged images older than 14 days',
            selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
            action: { type: 'expire' },
        },
    ],
});
/** DescribeRepositories for one name: the repository, or undefined when it does not exist. */
async function describeRepository(client, name) {
    const { DescribeRepositoriesCommand } = await sdk();
    try {
        const out = (await client.send(new DescribeRepositoriesCommand({ repositoryNames: [name] })));
        const repo = out.repositories?.[0];
        if (!repo?.repositoryUri)
            return undefined;
        return {
            name,
            uri: repo.repositoryUri,
            created: false,
            ...(repo.registryId ? { registryId: repo.registryId } : {}),
            ...(repo.imageScanningConfiguration?.scanOnPush !== undefined ? { scanOnPush: repo.imageScanningConfiguration.scanOnPush } : {}),
        };
    }
    catch (err) {
        if (awsErrorName(err) === 'RepositoryNotFoundException')
            return undefined;
        throw wrap('DescribeRepositories', err);
    }
}
/**
 * DescribeRepositories (unless `known` already says what it found), and CreateRepository
 * (+ PutLifecyclePolicy) when it is missing.
 */
async function ensureRepository(client, name, options) {
    const { CreateRepositoryCommand, PutLifecyclePolicyCommand } = await sdk();
    const existing = options.known !== undefined ? (options.known ?? undefined) : await describeRepository(client, name);
    if (existing)
        return existing;
    if (options.create === false) {
        throw new UserError(`ECR repository '${name}' does not exist; create it or set create-repository: true`);
    }
    let repo;
    try {
        const out = (await client.send(new CreateRepositoryCommand({
            repositoryName: name,
            imageTagMutability: options.tagMutability ?? 'MUTABLE',
            imageScanningConfiguration: { scanOnPush: true },
        })));
        repo = out.repository;
    }
    catch (err) {
        // Another job of the same matrix may have created it a moment ago.
        if (awsErrorName(err) === 'RepositoryAlreadyExistsException')
            return ensureRepository(client, name, { ...options, known: undefined, create: false });
        throw wrap('CreateRepository', err);
    }
    if (!repo?.repositoryUri)
        throw new UserError(`ECR CreateRepository returned no URI for '${name}'`);
    options.logger.info(`Created ECR repository ${repo.repositoryUri} (scan on push, tags ${options.tagMutability ?? 'MUTABLE'})`);
    const policy = options.lifecyclePolicy ?? DEFAULT_LIFECYCLE_POLICY;
    if (policy.trim() !== '') {
        try {
            await client.send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: policy }));
            options.logger.info(`Set the lifecycle policy of ${name}`);
        }
        catch (err) {
            throw wrap('PutLifecyclePolicy', err);
        }
    }
    return { name, uri: repo.repositoryUri, created: true, scanOnPush: true, ...(repo.registryId ? { registryId: repo.registryId } : {}) };
}
/** Every tag in a repository (DescribeImages, all pages); empty when the repository does not exist. */
async function listImageTags(client, name) {
    const { DescribeImagesCommand } = await sdk();
    const tags = [];
    let nextToken;
    do {
        let out;
        try {
            out = (await client.send(new DescribeImagesCommand({
                repositoryName: name,
                filter: { tagStatus: 'TAGGED' },
                maxResults: 1000,
                ...(nextToken ? { nextToken } : {}),
            })));
        }
        catch (err) {
            if (awsErrorName(err) === 'RepositoryNotFoundException')
                return [];
            throw wrap('DescribeImages', err);
        }
        for (const d of out.imageDetails ?? [])
            tags.push(...(d.imageTags ?? []));
        nextToken = out.nextToken;
    } while (nextToken);
    return tags;
}
class ScanPending extends (/* unused pure expression or super */ null && (Error)) {
    name = 'ScanPending';
}
/** Maps one page of DescribeImageScanFindings (basic and enhanced findings) to findings. */
function findingsOf(page, ignoreUnfixed = false) {
    const out = [];
    for (const f of page.imageScanFindings?.findings ?? []) {
        const attr = (k) => f.attributes?.find((a) => a.key === k)?.value;
        const pkg = attr('package_name');
        const version = attr('package_version');
        out.push({
            id: f.name ?? 'unknown',
            severity: f.severity ?? 'UNDEFINED',
            ...(pkg ? { package: pkg } : {}),
            ...(version ? { installedVersion: version } : {}),
            ...(f.uri ? { uri: f.uri } : {}),
            ...(f.description ? { title: f.description } : {}),
        });
    }
    for (const f of page.imageScanFindings?.enhancedFindings ?? []) {
        if (ignoreUnfixed && f.fixAvailable === 'NO')
            continue;
        const d = f.packageVulnerabilityDetails;
        const p = d?.vulnerablePackages?.[0];
        out.push({
            id: d?.vulnerabilityId ?? f.title ?? 'unknown',
            severity: f.severity ?? 'UNDEFINED',
            ...(p?.name ? { package: p.name } : {}),
            ...(p?.version ? { installedVersion: p.version } : {}),
            ...(p?.fixedInVersion ? { fixedVersion: p.fixedInVersion } : {}),
            ...(d?.sourceUrl ? { uri: d.sourceUrl } : {}),
            ...(f.title ? { title: f.title } : {}),
        });
    }
    return out;
}
/**
 * Waits for the scan of a pushed digest (DescribeImageScanFindings, polled with the shared retry
 * helper until `timeoutMs`): PENDING and IN_PROGRESS wait, COMPLETE and ACTIVE give the findings,
 * FAILED fails, UNSUPPORTED_IMAGE (and the other final statuses) return without findings.
 * A scan that was never started is started once (StartImageScan).
 */
async function waitForScanFindings(client, repository, digest, options) {
    const { DescribeImageScanFindingsCommand, StartImageScanCommand } = await sdk();
    let polls = 0;
    let started = false;
    let lastStatus = 'not started';
    const pageOf = async (nextToken) => {
        try {
            return (await client.send(new DescribeImageScanFindingsCommand({
                repositoryName: repository,
                imageId: { imageDigest: digest },
                maxResults: 1000,
                ...(nextToken ? { nextToken } : {}),
            })));
        }
        catch (err) {
            if (awsErrorName(err) === 'ScanNotFoundException') {
                if (!started) {
                    started = true;
                    try {
                        await client.send(new StartImageScanCommand({ repositoryName: repository, imageId: { imageDigest: digest } }));
                        options.logger.info(`Started an ECR scan of ${repository}@${digest}`);
                    }
                    catch (e) {
                        if (awsErrorName(e) !== 'LimitExceededException')
                            throw wrap('StartImageScan', e);
                    }
                }
                throw new ScanPending('the scan has not started yet');
            }
            throw wrap('DescribeImageScanFindings', err);
        }
    };
    try {
        const { value } = await retry(async () => {
            const first = await pageOf();
            const status = first.imageScanStatus?.status ?? 'PENDING';
            lastStatus = status;
            const description = first.imageScanStatus?.description;
            if (status === 'PENDING' || status === 'IN_PROGRESS') {
                polls++;
                throw new ScanPending(`status ${status}`);
            }
            if (status === 'FAILED')
                throw new UserError(`ECR scan of ${repository}@${digest} failed${description ? `: ${description}` : ''}`);
            if (status !== 'COMPLETE' && status !== 'ACTIVE') {
                return { status, ...(description ? { description } : {}), findings: [], polls };
            }
            const findings = findingsOf(first, options.ignoreUnfixed);
            let token = first.nextToken;
            while (token) {
                const page = await pageOf(token);
                findings.push(...findingsOf(page, options.ignoreUnfixed));
                token = page.nextToken;
            }
            return { status, ...(description ? { description } : {}), findings, polls };
        }, {
            attempts: Number.MAX_SAFE_INTEGER,
            deadlineMs: options.timeoutMs,
            baseDelayMs: options.pollMs ?? 2000,
            maxDelayMs: options.maxPollMs ?? 15_000,
            isRetryable: (e) => e instanceof ScanPending,
            onRetry: ({ delayMs, error }) => options.logger.info(`ECR scan: ${errorMessage(error)}; next look in ${Math.round(delayMs / 100) / 10}s`),
        });
        return value;
    }
    catch (err) {
        if (err instanceof RetryError) {
            throw new UserError(`ECR scan of ${repository}@${digest} did not finish within ${formatDuration(options.timeoutMs)} (last status ${lastStatus}); raise scan-timeout`);
        }
        throw err;
    }
}

;// CONCATENATED MODULE: ./packages/aws/src/eks.ts
/**
 * EKS access without the aws CLI: DescribeCluster for the endpoint and CA, and the bearer token
 * `aws eks get-token` would print (a presigned STS GetCallerIdentity URL, as
 * aws-iam-authenticator verifies it), refreshed before it expires. Credentials come from the
 * SDK's default chain, so it works after aws-actions/configure-aws-credentials (OIDC or keys).
 * The SDK modules are imported lazily to keep an action's cold start low.
 */

/** The default credential chain (env, web identity/OIDC, SSO, shared files, container, IMDS), memoised. */
async function defaultCredentials() {
    const { defaultProvider } = await Promise.all(/* import() */[__webpack_require__.e(422), __webpack_require__.e(118), __webpack_require__.e(861)]).then(__webpack_require__.t.bind(__webpack_require__, 5861, 19));
    return defaultProvider();
}
function credentialsError(err) {
    const name = err?.name ?? '';
    if (name === 'CredentialsProviderError' || /Could not load credentials/i.test((0,src/* errorMessage */.gJ)(err))) {
        return new src/* UserError */.yo('No AWS credentials found: run aws-actions/configure-aws-credentials (role-to-assume with OIDC, or access keys) before this step');
    }
    return undefined;
}
/** EKS DescribeCluster: the endpoint and CA of a cluster. An unknown cluster is one clear line. */
async function describeEksCluster(name, region, credentials) {
    const { EKSClient, DescribeClusterCommand } = await Promise.all(/* import() */[__webpack_require__.e(422), __webpack_require__.e(118), __webpack_require__.e(861), __webpack_require__.e(524)]).then(__webpack_require__.t.bind(__webpack_require__, 4524, 19));
    const client = new EKSClient({ region, ...(credentials ? { credentials } : {}), maxAttempts: 3 });
    try {
        const out = await client.send(new DescribeClusterCommand({ name }));
        const c = out.cluster;
        if (!c?.endpoint || !c.certificateAuthority?.data) {
            throw new src/* UserError */.yo(`EKS cluster '${name}' in ${region} has no endpoint yet (status ${c?.status ?? 'unknown'})`);
        }
        return { name, arn: c.arn, status: c.status, endpoint: c.endpoint, caData: c.certificateAuthority.data };
    }
    catch (err) {
        if (err instanceof src/* UserError */.yo)
            throw err;
        const code = err.name;
        if (code === 'ResourceNotFoundException') {
            throw new src/* UserError */.yo(`unknown EKS cluster '${name}' in region ${region}: check the input cluster-name and region`);
        }
        const cred = credentialsError(err);
        if (cred)
            throw cred;
        if (code === 'UnrecognizedClientException' || code === 'InvalidSignatureException' || code === 'ExpiredTokenException') {
            throw new src/* UserError */.yo(`AWS rejected the credentials while describing EKS cluster '${name}' (${code}): check the keys or the role set up by aws-actions/configure-aws-credentials`);
        }
        if (code === 'AccessDeniedException') {
            const who = await callerIdentity(region, credentials).catch(() => undefined);
            throw new src/* UserError */.yo(`${who ?? 'The AWS identity'} may not describe EKS cluster '${name}' (${code}): allow eks:DescribeCluster in its IAM policy`);
        }
        throw new src/* UserError */.yo(`EKS DescribeCluster '${name}' in ${region} failed: ${(0,src/* errorMessage */.gJ)(err)}`);
    }
    finally {
        client.destroy();
    }
}
/** The ARN of the identity the credentials belong to (STS GetCallerIdentity). */
async function callerIdentity(region, credentials) {
    const { STSClient, GetCallerIdentityCommand } = await Promise.all(/* import() */[__webpack_require__.e(422), __webpack_require__.e(118), __webpack_require__.e(861), __webpack_require__.e(695)]).then(__webpack_require__.t.bind(__webpack_require__, 1695, 19));
    const client = new STSClient({ region, ...(credentials ? { credentials } : {}), maxAttempts: 2 });
    try {
        return (await client.send(new GetCallerIdentityCommand({}))).Arn;
    }
    finally {
        client.destroy();
    }
}
/** The regional STS host a token is presigned for (aws-iam-authenticator accepts only these). */
function stsHost(region) {
    return region.startsWith('cn-') ? `sts.${region}.amazonaws.com.cn` : `sts.${region}.amazonaws.com`;
}
const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** aws-iam-authenticator accepts a token for 15 minutes from its X-Amz-Date. */
const EKS_TOKEN_LIFETIME_MS = 15 * 60_000;
function uriEscape(s) {
    return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
/**
 * An EKS bearer token: `k8s-aws-v1.` + base64url (no padding) of a SigV4-presigned
 * `GET https://sts.<region>.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15` with the
 * signed header `x-k8s-aws-id: <cluster>` and `X-Amz-Expires=60`.
 */
async function createEksToken(options) {
    const [{ SignatureV4 }, { Sha256 }, { HttpRequest }] = await Promise.all([
        Promise.all(/* import() */[__webpack_require__.e(422), __webpack_require__.e(118)]).then(__webpack_require__.t.bind(__webpack_require__, 5118, 19)),
        __webpack_require__.e(/* import() */ 156).then(__webpack_require__.t.bind(__webpack_require__, 3156, 23)),
        Promise.all(/* import() */[__webpack_require__.e(422), __webpack_require__.e(356)]).then(__webpack_require__.bind(__webpack_require__, 2356)),
    ]);
    const host = stsHost(options.region);
    const signer = new SignatureV4({ credentials: options.credentials, region: options.region, service: 'sts', sha256: Sha256 });
    const request = new HttpRequest({
        method: 'GET',
        protocol: 'https:',
        hostname: host,
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host, 'x-k8s-aws-id': options.clusterName },
    });
    const signingDate = options.signingDate ?? new Date();
    let signed;
    try {
        signed = await signer.presign(request, { expiresIn: 60, signingDate });
    }
    catch (err) {
        throw credentialsError(err) ?? err;
    }
    const query = Object.entries(signed.query ?? {})
        .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]]))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${uriEscape(k)}=${uriEscape(v)}`)
        .join('&');
    const url = `https://${host}/?${query}`;
    const signedAt = new Date(Math.floor(signingDate.getTime() / 1000) * 1000);
    return {
        token: EKS_TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url'),
        url,
        signedAt,
        expiresAt: new Date(signedAt.getTime() + EKS_TOKEN_LIFETIME_MS),
    };
}
/** Keeps a token fresh: a new one is signed once the current one has less than `minValidityMs` (default 5 min) left. */
function eksTokenProvider(options) {
    const now = options.now ?? Date.now;
    const margin = options.minValidityMs ?? 5 * 60_000;
    let current;
    let count = 0;
    const sign = () => {
        count++;
        const p = createEksToken({ ...options, signingDate: new Date(now()) });
        p.then((t) => options.onToken?.(t.token)).catch(() => { });
        return p;
    };
    return {
        get signed() {
            return count;
        },
        async getToken() {
            if (current) {
                const t = await current.catch(() => undefined);
                if (t && t.expiresAt.getTime() - now() > margin)
                    return t.token;
            }
            current = sign();
            return (await current).token;
        },
    };
}

;// CONCATENATED MODULE: ./packages/aws/src/index.ts




/***/ })

};
