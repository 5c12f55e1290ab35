import { spawnSync } from 'node:child_process';

/** The real kubectl against a kubeconfig (benchmarks set up and read the cluster with it). */
export function kubectlFor(kubeconfig: string): (args: string[], input?: string) => string {
  return (args, input) => {
    const r = spawnSync('/usr/bin/kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig }, input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
}
