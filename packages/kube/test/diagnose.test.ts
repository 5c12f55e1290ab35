import { describe, expect, it } from '@jest/globals';
import { formatDiagnosis, formatEvents } from '../src/diagnose.ts';
import { podProblem } from '../src/rollout.ts';
import type { ContainerStatus, KubeEvent, Pod } from '../src/types.ts';

const ev = (reason: string, message: string, at: string, count = 1, type = 'Warning'): KubeEvent => ({
  metadata: { name: `e-${reason}` },
  involvedObject: { kind: 'Pod', name: 'p' },
  reason,
  message,
  type,
  count,
  lastTimestamp: at,
});

describe('diagnosis', () => {
  it('formats events oldest first, the most recent ones kept', () => {
    const events = [
      ev('BackOff', 'Back-off pulling image', '2026-01-01T00:00:05Z', 3),
      ev('Failed', 'Failed to pull image', '2026-01-01T00:00:01Z'),
      ev('Scheduled', 'assigned', '2026-01-01T00:00:00Z', 1, 'Normal'),
    ];
    expect(formatEvents(events, 2)).toEqual(['Warning Failed: Failed to pull image', 'Warning BackOff: Back-off pulling image (x3)']);
  });

  it('prints reason, message, events and the previous log per failing pod', () => {
    const text = formatDiagnosis({
      namespace: 'staging',
      deployment: 'api',
      reason: 'PodFailure',
      message: 'pod api-2-x: container app is in CrashLoopBackOff',
      replicaSet: 'api-2',
      replicaSetEvents: ['Normal SuccessfulCreate: Created pod: api-2-x'],
      pods: [
        {
          name: 'api-2-x',
          phase: 'Running',
          containers: [
            {
              name: 'app',
              state: 'waiting: CrashLoopBackOff',
              message: 'back-off 10s restarting failed container',
              restarts: 2,
              lastState: 'terminated: Error (exit code 1)',
              previousLog: 'starting\nKeyError: DATABASE_URL',
            },
          ],
          events: ['Warning BackOff: Back-off restarting failed container'],
        },
      ],
    });
    expect(text).toBe(
      [
        'Deployment staging/api: pod api-2-x: container app is in CrashLoopBackOff',
        '  new ReplicaSet api-2',
        '    event: Normal SuccessfulCreate: Created pod: api-2-x',
        '  pod api-2-x (Running)',
        '    container app: waiting: CrashLoopBackOff: back-off 10s restarting failed container (2 restarts)',
        '      last state: terminated: Error (exit code 1)',
        '      previous log:',
        '        starting',
        '        KeyError: DATABASE_URL',
        '    event: Warning BackOff: Back-off restarting failed container',
      ].join('\n'),
    );
  });

  it.each([
    ['ErrImagePull', true],
    ['ImagePullBackOff', true],
    ['InvalidImageName', true],
    ['CreateContainerConfigError', true],
    ['CrashLoopBackOff', true],
    ['ContainerCreating', false],
    ['PodInitializing', false],
  ])('a container waiting in %s is a fatal problem: %s', (reason, fatal) => {
    const pod: Pod = {
      metadata: { name: 'p' },
      status: {
        containerStatuses: [
          { name: 'ok', ready: true, state: { running: {} } },
          { name: 'app', state: { waiting: { reason, message: 'm' } } },
        ],
      },
    };
    expect(podProblem(pod)).toEqual(fatal ? { container: 'app', reason, message: 'm' } : undefined);
  });
  const crashCases: [string, boolean, Omit<ContainerStatus, 'name'>][] = [
    [
      'running again after a crash, not ready',
      true,
      { ready: false, restartCount: 3, state: { running: {} }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } },
    ],
    ['just terminated by a crash', true, { ready: false, restartCount: 1, state: { terminated: { exitCode: 2, reason: 'Error' } } }],
    [
      'ready again after one crash',
      false,
      { ready: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 1 } } },
    ],
    [
      'restarted after a clean exit',
      false,
      { ready: false, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 0, reason: 'Completed' } } },
    ],
    ['starting, never crashed', false, { ready: false, restartCount: 0, state: { running: {} } }],
  ];
  it.each(crashCases)('a container %s is crash-looping: %s', (_name, fatal, status) => {
    const pod: Pod = { metadata: { name: 'p' }, status: { containerStatuses: [{ name: 'app', ...status }] } };
    const problem = podProblem(pod);
    expect(problem).toEqual(
      fatal
        ? {
            container: 'app',
            reason: 'CrashLoopBackOff',
            message: expect.stringMatching(/^restarted \d+ times?, last exit code [12] \(Error\)$/),
          }
        : undefined,
    );
  });
});
