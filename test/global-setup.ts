// Starts shared services for the whole test run (the sandbox, once it exists).
export default async function globalSetup(): Promise<void> {}
