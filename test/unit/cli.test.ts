import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseSimulateArgs } from '../../src/commands/simulate';

/** The built CLI (`npm test` builds first), as a person runs it. */
const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');
const kgroot = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, KAFKA_BROKERS: '127.0.0.1:1' }, timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('kgroot CLI', () => {
  it('<command> --help prints that command\'s usage and exits 0', () => {
    const r = kgroot('simulate', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: kgroot simulate \[options\]/);
    expect(r.out).toMatch(/--client <id>/);
    expect(r.out).toMatch(/--scenario <name>.*\(choices: "oom-kill"/s);
    expect(kgroot('help', 'stack').out).toMatch(/^Usage: kgroot stack \[options\] <verb> \[services\.\.\.\]/);
    const all = kgroot('--help');
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/graph-builder\s+per-client graph builder/);
  });

  it.each([
    [['simulate', '--client', 'Bad_Id'], /^error: option '--client <id>' argument 'Bad_Id' is invalid\. client id must start with a lowercase letter/],
    [['simulate', '--client', 'demo', '--rate', 'fast'], /^error: option '--rate <n>' argument 'fast' is invalid\. must be a non-negative number/],
    [['simulate'], /^error: required option '--client <id>' not specified/],
    [['status', '--jsn'], /^error: unknown option '--jsn'/],
    [['stack', 'frob'], /^error: command-argument value 'frob' is invalid for argument 'verb'/],
    [['topics', 'extra'], /^error: too many arguments for 'topics'/],
    // rca reads its own argv (several --alert, a confirm verb) and says so itself.
    [['rca'], /^kgroot rca: --client: client id must be a string, got undefined/],
    [['nope'], /^error: unknown command 'nope'/],
  ])('a usage error (%j) prints one line on stderr and exits 2', (args, line) => {
    const r = kgroot(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(line);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.out).toBe('');
  });

  it('no command prints the usage on stderr and exits 2', () => {
    const r = kgroot();
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^Usage: kgroot <command> \[args\]/);
  });

  it('parses simulate\'s options with defaults', () => {
    expect(parseSimulateArgs(['--client', 'demo'])).toEqual({ client: 'demo', scenario: 'oom-kill', rate: 20, heartbeatSeconds: 30, groundTruth: 'ground-truth-demo.json', delaySeconds: 0, exitAfterScenario: false, speed: 60 });
    expect(parseSimulateArgs(['--client', 'demo', '--rate', '0', '--exit-after-scenario', '--ground-truth', '/tmp/g.json'])).toMatchObject({ rate: 0, exitAfterScenario: true, groundTruth: '/tmp/g.json' });
  });
});
