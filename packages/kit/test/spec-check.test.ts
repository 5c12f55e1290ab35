import { defineInputs } from '../src/inputs.ts';
import { compareInputSpec } from '../src/spec-check.ts';

const spec = defineInputs({
  'cluster-name': { type: 'string', description: 'The EKS cluster', required: true },
  timeout: { type: 'duration', description: 'Rollout timeout', default: '5m' },
  replicas: { type: 'integer', description: 'Replicas', default: 2 },
  'dry-run': { type: 'boolean', description: 'Only print', default: false },
  token: { type: 'string', description: 'A token', secret: true },
});

const yml = () => ({
  'cluster-name': { description: 'The EKS cluster', required: true },
  timeout: { description: 'Rollout timeout', required: false, default: '5m' },
  replicas: { description: 'Replicas', default: 2 },
  'dry-run': { description: 'Only print', default: 'false' },
  token: { description: 'A token', required: false },
});

describe('compareInputSpec', () => {
  test('agrees when names, required flags and defaults match (YAML scalars compared as strings)', () => {
    expect(compareInputSpec(spec, yml())).toEqual([]);
  });
  test("required: 'true' as a string counts as required", () => {
    expect(compareInputSpec(spec, { ...yml(), 'cluster-name': { description: 'The EKS cluster', required: 'true' } })).toEqual([]);
  });
  test('an input only in the spec', () => {
    const y: Record<string, object> = yml();
    delete y.token;
    expect(compareInputSpec(spec, y)).toEqual(["input 'token' is in the input spec but not in action.yml"]);
  });
  test('an input only in action.yml', () => {
    expect(compareInputSpec(spec, { ...yml(), extra: { description: 'x' } })).toEqual([
      "input 'extra' is in action.yml but not in the input spec",
    ]);
  });
  test('a missing or blank description', () => {
    expect(compareInputSpec(spec, { ...yml(), token: {}, timeout: { description: '  ', default: '5m' } })).toEqual([
      "input 'timeout' has no description in action.yml",
      "input 'token' has no description in action.yml",
    ]);
  });
  test('a different description (whitespace and line folding aside)', () => {
    expect(compareInputSpec(spec, { ...yml(), timeout: { description: 'Rollout\n  timeout ', default: '5m' } })).toEqual([]);
    expect(compareInputSpec(spec, { ...yml(), timeout: { description: 'How long to wait', default: '5m' } })).toEqual([
      'input \'timeout\': action.yml description "How long to wait", the spec\'s "Rollout timeout"',
    ]);
  });
  test('a different required flag', () => {
    expect(compareInputSpec(spec, { ...yml(), 'cluster-name': { description: 'The EKS cluster' } })).toEqual([
      "input 'cluster-name': action.yml says required: false, the spec says true",
    ]);
  });
  test('a different, missing or extra default', () => {
    expect(
      compareInputSpec(spec, {
        ...yml(),
        timeout: { description: 'Rollout timeout', default: '10m' },
        replicas: { description: 'Replicas' },
        token: { description: 'A token', default: '' },
      }),
    ).toEqual([
      'input \'timeout\': action.yml default "10m", the spec\'s "5m"',
      "input 'replicas': action.yml default undefined, the spec's \"2\"",
      "input 'token': action.yml default \"\", the spec's undefined",
    ]);
  });
  test('no inputs in action.yml at all', () => {
    expect(compareInputSpec({ a: { type: 'string', description: 'x' } }, undefined)).toEqual([
      "input 'a' is in the input spec but not in action.yml",
    ]);
    expect(compareInputSpec({}, undefined)).toEqual([]);
  });
});
