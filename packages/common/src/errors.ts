/**
 * An error whose message is meant for the person running the action: one line that says
 * what is wrong and what to do. Actions print only the message of a UserError, never a stack.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** A bad input: names the input, the value, and what is accepted. */
export class InputError extends UserError {
  override name = 'InputError';
  readonly input: string;
  constructor(input: string, value: string, accepted: string) {
    super(`Input '${input}' has ${describeValue(value)}: ${accepted}`);
    this.input = input;
  }
}

function describeValue(value: string): string {
  if (value === '') return 'no value';
  const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return `the value '${shown.replace(/\n/g, '\\n')}'`;
}

/** The message of any thrown value, as one line. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
