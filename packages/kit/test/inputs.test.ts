import { InputError } from '@tripo04os/common';
import { camelCase, defineInputs, type parseInput, rawInput, readInputs, splitLines } from '../src/inputs.ts';

/** Reads one input of the given definition from `INPUT_X`, returning the value or the error message. */
function read(def: Parameters<typeof parseInput>[1], value: string | undefined, env: Record<string, string> = {}) {
  const spec = { x: def };
  const masked: string[] = [];
  try {
    const inputs = readInputs(spec, { env: value === undefined ? env : { ...env, INPUT_X: value }, mask: (s) => masked.push(s) });
    return { value: (inputs as Record<string, unknown>).x, masked };
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).input).toBe('x');
    expect((err as Error).message).not.toContain('\n');
    return { error: (err as Error).message, masked };
  }
}

describe('string', () => {
  const def = { type: 'string', description: 'd', pattern: /^[a-z][a-z0-9-]*$/, accepts: 'a lower-case name' } as const;
  test('a good value is returned as it is, trimmed', () => {
    expect(read(def, '  ai-support \n').value).toBe('ai-support');
  });
  test('a bad value names the input, the value and the accepted form', () => {
    expect(read(def, 'AI Support').error).toBe("Input 'x' has the value 'AI Support': expected a lower-case name");
  });
  test('without `accepts` the pattern itself is shown', () => {
    expect(read({ type: 'string', description: 'd', pattern: /^\d+$/ }, 'abc').error).toBe(
      "Input 'x' has the value 'abc': expected a value matching /^\\d+$/",
    );
  });
  test('optional and empty gives undefined; required and empty fails', () => {
    expect(read({ type: 'string', description: 'd' }, '').value).toBeUndefined();
    expect(read({ type: 'string', description: 'd', required: true }, '').error).toBe("Input 'x' has no value: it is required");
    expect(read({ type: 'string', description: 'd', required: true }, undefined).error).toBe("Input 'x' has no value: it is required");
  });
  test('a default fills an empty input', () => {
    expect(read({ type: 'string', description: 'd', default: 'main' }, '').value).toBe('main');
  });
  test("an expression default is the runner's to evaluate: never used as a literal", () => {
    const def = { type: 'string', description: 'd', default: '${{ github.token }}' } as const;
    expect(read(def, '').value).toBeUndefined();
    expect(read(def, 'ghs_x').value).toBe('ghs_x');
    expect(read({ ...def, required: true }, '').error).toBe("Input 'x' has no value: it is required");
  });
  test('long and multi-line values stay on one line in the error', () => {
    const err = read({ type: 'string', description: 'd', pattern: /^x$/ }, `${'a'.repeat(100)}\nb`).error as string;
    expect(err).toBe(`Input 'x' has the value '${'a'.repeat(77)}...': expected a value matching /^x$/`);
    const err2 = read({ type: 'string', description: 'd', pattern: /^x$/ }, 'a\nb').error as string;
    expect(err2).toBe("Input 'x' has the value 'a\\nb': expected a value matching /^x$/");
  });
});

describe('boolean', () => {
  const def = { type: 'boolean', description: 'd' } as const;
  test.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['yes', true],
    ['on', true],
    ['false', false],
    ['False', false],
    ['FALSE', false],
    ['no', false],
    ['off', false],
    ['', false],
  ])('%j reads as %s', (raw, value) => {
    expect(read(def, raw).value).toBe(value);
  });
  test.each(['1', 'y', 'tru', 'enabled'])('%j is refused', (raw) => {
    expect(read(def, raw).error).toBe(`Input 'x' has the value '${raw}': expected true or false`);
  });
  test('a default true holds when empty', () => {
    expect(read({ ...def, default: true }, '').value).toBe(true);
  });
});

describe('enum', () => {
  const def = { type: 'enum', description: 'd', values: ['rolling', 'blue-green', 'canary'] } as const;
  test.each(['rolling', 'blue-green', 'canary'])('%s is accepted', (v) => {
    expect(read(def, v).value).toBe(v);
  });
  test('other values, case included, are refused with the list', () => {
    expect(read(def, 'Rolling').error).toBe("Input 'x' has the value 'Rolling': expected one of rolling, blue-green, canary");
  });
});

describe('integer', () => {
  const def = { type: 'integer', description: 'd', min: 1, max: 10 } as const;
  test.each([
    ['1', 1],
    ['10', 10],
    [' 7 ', 7],
    ['+3', 3],
  ])('%j reads as %d', (raw, n) => {
    expect(read(def, raw).value).toBe(n);
  });
  test.each(['0', '11', '-1', '1.5', 'ten', '1e3', '0x10', '99999999999999999999'])('%j is refused with the range', (raw) => {
    expect(read(def, raw).error).toBe(`Input 'x' has the value '${raw}': expected a whole number from 1 to 10`);
  });
  test('the range reads naturally when open on one side or both', () => {
    expect(read({ type: 'integer', description: 'd', min: 0 }, 'x').error).toMatch(/expected a whole number of at least 0$/);
    expect(read({ type: 'integer', description: 'd', max: 5 }, 'x').error).toMatch(/expected a whole number of at most 5$/);
    expect(read({ type: 'integer', description: 'd' }, 'x').error).toMatch(/expected a whole number$/);
    expect(read({ type: 'integer', description: 'd' }, '-42').value).toBe(-42);
  });
  test('a default is used when empty', () => {
    expect(read({ ...def, default: 3 }, '').value).toBe(3);
  });
});

describe('duration', () => {
  const def = { type: 'duration', description: 'd', minMs: 1000, maxMs: 3_600_000 } as const;
  test.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['30', 30_000],
  ])('%s is %d ms', (raw, ms) => {
    expect(read(def, raw).value).toBe(ms);
  });
  test('1h30m reads as 90 minutes when the range allows it', () => {
    expect(read({ type: 'duration', description: 'd' }, '1h30m').value).toBe(5_400_000);
  });
  test.each(['ten minutes', '10x', '-5s', '1h 30m'])('%j is refused', (raw) => {
    expect(read(def, raw).error).toBe(`Input 'x' has the value '${raw}': expected a duration such as 90s, 10m or 1h30m`);
  });
  test('out of range names the bound', () => {
    expect(read(def, '500ms').error).toBe("Input 'x' has the value '500ms': expected a duration such as 90s, 10m or 1h30m, at least 1.0s");
    expect(read(def, '2h').error).toBe("Input 'x' has the value '2h': expected a duration such as 90s, 10m or 1h30m, at most 1h00m");
  });
  test('a default written like action.yml is parsed', () => {
    expect(read({ ...def, default: '5m' }, '').value).toBe(300_000);
  });
});

describe('list', () => {
  test('one item per line, blank lines and # comments left out', () => {
    expect(read({ type: 'list', description: 'd' }, 'a\n\n  b  \n# not this\nc,d').value).toEqual(['a', 'b', 'c,d']);
  });
  test('commas split too when asked', () => {
    expect(read({ type: 'list', description: 'd', commas: true }, 'a, b\nc').value).toEqual(['a', 'b', 'c']);
  });
  test('empty is an empty list', () => {
    expect(read({ type: 'list', description: 'd' }, '').value).toEqual([]);
  });
  test('splitLines on its own', () => {
    expect(splitLines('x\r\ny')).toEqual(['x', 'y']);
  });
});

describe('map', () => {
  test('key=value lines, value may hold the separator', () => {
    expect(read({ type: 'map', description: 'd' }, 'env=prod\nurl = https://x/?a=b\n').value).toEqual({
      env: 'prod',
      url: 'https://x/?a=b',
    });
  });
  test('another separator', () => {
    expect(read({ type: 'map', description: 'd', separator: ':' }, 'team: payments').value).toEqual({ team: 'payments' });
  });
  test('a line without a key is refused, naming the line', () => {
    expect(read({ type: 'map', description: 'd' }, 'a=1\nnot a pair').error).toBe(
      "Input 'x' has the value 'not a pair': expected lines of the form key=value",
    );
    expect(read({ type: 'map', description: 'd' }, '=1').error).toBe("Input 'x' has the value '=1': expected lines of the form key=value");
  });
  test('keys are checked against keyPattern', () => {
    expect(read({ type: 'map', description: 'd', keyPattern: /^[A-Z_]+$/ }, 'lower=1').error).toBe(
      "Input 'x' has the value 'lower=1': expected lines of the form key=value with keys matching /^[A-Z_]+$/",
    );
  });
  test('empty is an empty map', () => {
    expect(read({ type: 'map', description: 'd' }, '').value).toEqual({});
  });
});

describe('url', () => {
  const def = { type: 'url', description: 'd', schemes: ['https'] } as const;
  test('an https URL is returned as a URL', () => {
    const v = read(def, 'https://hooks.slack.com/services/T/B/C').value as URL;
    expect(v).toBeInstanceOf(URL);
    expect(v.hostname).toBe('hooks.slack.com');
  });
  test.each(['http://example.com/x', 'ftp://example.com', 'hooks.slack.com/x', 'not a url'])('%j is refused', (raw) => {
    expect(read(def, raw).error).toBe(`Input 'x' has the value '${raw}': expected a URL starting with https://`);
  });
  test('http:// only for loopback hosts when allowed', () => {
    const loop = { ...def, httpLoopback: true } as const;
    expect((read(loop, 'http://127.0.0.1:8080/hook').value as URL).port).toBe('8080');
    expect((read(loop, 'http://localhost/x').value as URL).hostname).toBe('localhost');
    expect(read(loop, 'http://10.0.0.1/x').error).toBe(
      "Input 'x' has the value 'http://10.0.0.1/x': expected a URL starting with https:// (http:// only for loopback hosts)",
    );
  });
  test('several schemes are listed', () => {
    expect(read({ type: 'url', description: 'd', schemes: ['https', 'oci'] }, 'ssh://x').error).toMatch(
      /expected a URL starting with https:\/\/ or oci:\/\/$/,
    );
  });
});

describe('secrets', () => {
  const secret = 'xoxb-123-SECRET-value';
  test('a secret is masked before it is parsed, and never echoed in an error', () => {
    const r = read({ type: 'string', description: 'd', secret: true, pattern: /^https:/ }, secret);
    expect(r.masked).toEqual([secret]);
    expect(r.error).toBe("Input 'x' has the value '***': expected a value matching /^https:/");
    expect(r.error).not.toContain('SECRET');
  });
  test.each([
    [{ type: 'boolean', description: 'd', secret: true } as const, 'expected true or false'],
    [{ type: 'enum', description: 'd', secret: true, values: ['a'] } as const, 'expected one of a'],
    [{ type: 'integer', description: 'd', secret: true } as const, 'expected a whole number'],
    [{ type: 'duration', description: 'd', secret: true } as const, 'expected a duration such as 90s, 10m or 1h30m'],
  ])('no type echoes a secret: %o', (def, accepted) => {
    const r = read(def, secret);
    expect(r.error).toBe(`Input 'x' has the value '***': ${accepted}`);
    expect(r.masked).toEqual([secret]);
  });
  test('a secret URL shows only its scheme', () => {
    const r = read({ type: 'url', description: 'd', secret: true, schemes: ['https'] }, 'http://hooks.example.com/T0/B0/secret');
    expect(r.error).toBe("Input 'x' has the value 'http://***': expected a URL starting with https://");
    expect(r.masked).toEqual(['http://hooks.example.com/T0/B0/secret']);
  });
  test('each value of a secret map is masked on its own, whatever the separator', () => {
    const r = read({ type: 'map', description: 'd', secret: true, separator: ':' }, 'user: admin\npassword: hunter22');
    expect(r.masked).toEqual(['user: admin\npassword: hunter22', 'admin', 'hunter22']);
    expect(r.value).toEqual({ user: 'admin', password: 'hunter22' });
    const bad = read({ type: 'map', description: 'd', secret: true }, 'token hunter22');
    expect(bad.error).toBe("Input 'x' has the value '***': expected lines of the form key=value");
  });
  test('a secret from the environment fallback is masked too', () => {
    const r = read({ type: 'string', description: 'd', secret: true, env: 'TOKEN' }, undefined, { TOKEN: 'from-env-secret' });
    expect(r.value).toBe('from-env-secret');
    expect(r.masked).toEqual(['from-env-secret']);
  });
  test('an empty secret masks nothing', () => {
    expect(read({ type: 'string', description: 'd', secret: true }, '').masked).toEqual([]);
  });
});

describe('env fallback and required', () => {
  const def = { type: 'string', description: 'd', env: 'AWS_REGION', required: true } as const;
  test('the input wins over the environment', () => {
    expect(read(def, 'eu-west-1', { AWS_REGION: 'us-east-1' }).value).toBe('eu-west-1');
  });
  test('the environment fills an empty input', () => {
    expect(read(def, '', { AWS_REGION: 'us-east-1' }).value).toBe('us-east-1');
  });
  test('neither: the error names the variable too', () => {
    expect(read(def, '', {}).error).toBe("Input 'x' has no value: it is required (or set AWS_REGION)");
  });
  test('a value from the environment is validated like the input', () => {
    expect(read({ type: 'integer', description: 'd', env: 'N', max: 3 }, undefined, { N: '9' }).error).toBe(
      "Input 'x' has the value '9': expected a whole number of at most 3",
    );
  });
});

describe('readInputs', () => {
  const spec = defineInputs({
    'cluster-name': { type: 'string', description: 'd', required: true },
    'rollout-timeout': { type: 'duration', description: 'd', default: '5m' },
    replicas: { type: 'integer', description: 'd', min: 1 },
    'dry-run': { type: 'boolean', description: 'd' },
    old: { type: 'string', description: 'd', deprecationMessage: 'use cluster-name' },
  });
  test('reads INPUT_ names with dashes kept and returns camelCase keys', () => {
    const warnings: string[] = [];
    const inputs = readInputs(spec, {
      env: { 'INPUT_CLUSTER-NAME': 'prod', 'INPUT_DRY-RUN': 'true', INPUT_OLD: 'x' },
      warn: (m) => warnings.push(m),
    });
    expect(inputs).toEqual({ clusterName: 'prod', rolloutTimeout: 300_000, replicas: undefined, dryRun: true, old: 'x' });
    expect(warnings).toEqual(["Input 'old' is deprecated: use cluster-name"]);
  });
  test('INPUT_CLUSTER_NAME (underscore) is not the dashed input', () => {
    expect(() => readInputs(spec, { env: { INPUT_CLUSTER_NAME: 'prod' } })).toThrow("Input 'cluster-name' has no value: it is required");
  });
  test('the first bad input stops the reading', () => {
    expect(() => readInputs(spec, { env: { 'INPUT_CLUSTER-NAME': 'p', INPUT_REPLICAS: '0' } })).toThrow(
      "Input 'replicas' has the value '0': expected a whole number of at least 1",
    );
  });
  test('rawInput upper-cases and turns spaces into underscores', () => {
    expect(rawInput('my input', { INPUT_MY_INPUT: ' v ' })).toBe('v');
    expect(rawInput('health-check-url', { 'INPUT_HEALTH-CHECK-URL': 'u' })).toBe('u');
  });
  test('camelCase', () => {
    expect(camelCase('health-check-url')).toBe('healthCheckUrl');
    expect(camelCase('k8s-1-context')).toBe('k8s1Context');
  });
});
