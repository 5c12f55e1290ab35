import type { InputSpec } from './inputs.ts';

export interface ActionYmlInput {
  description?: string;
  required?: boolean | string;
  default?: unknown;
}

/**
 * Compares an action's input spec with the `inputs:` of its action.yml, both directions:
 * the same names, a description for each (the same words as the spec's), the same required
 * flags and the same defaults.
 * Returns one line per difference (empty when they agree).
 */
export function compareInputSpec(spec: InputSpec, ymlInputs: Record<string, ActionYmlInput> | undefined): string[] {
  const problems: string[] = [];
  const yml = ymlInputs ?? {};
  for (const [name, def] of Object.entries(spec)) {
    const y = yml[name];
    if (!y) {
      problems.push(`input '${name}' is in the input spec but not in action.yml`);
      continue;
    }
    const words = (text: unknown) => (typeof text === 'string' ? text.trim().replace(/\s+/g, ' ') : '');
    if (words(y.description) !== '' && words(y.description) !== words(def.description)) {
      problems.push(
        `input '${name}': action.yml description ${JSON.stringify(words(y.description))}, the spec's ${JSON.stringify(words(def.description))}`,
      );
    }
    const ymlRequired = y.required === true || y.required === 'true';
    if (ymlRequired !== (def.required === true)) {
      problems.push(`input '${name}': action.yml says required: ${ymlRequired}, the spec says ${def.required === true}`);
    }
    const specDefault = def.default === undefined ? undefined : String(def.default);
    const ymlDefault = y.default === undefined || y.default === null ? undefined : String(y.default);
    if (specDefault !== ymlDefault) {
      problems.push(`input '${name}': action.yml default ${JSON.stringify(ymlDefault)}, the spec's ${JSON.stringify(specDefault)}`);
    }
  }
  for (const [name, y] of Object.entries(yml)) {
    if (!(name in spec)) problems.push(`input '${name}' is in action.yml but not in the input spec`);
    if (!y || typeof y.description !== 'string' || y.description.trim() === '') {
      problems.push(`input '${name}' has no description in action.yml`);
    }
  }
  return problems;
}
